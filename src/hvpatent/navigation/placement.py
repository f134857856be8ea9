"""Placements (分支归属) of an industry's patents on its technology breakdown's branches.

Rules first (IPC + keywords, navigation/breakdowns.yaml), each rule placement carrying its ancestors; the
classifier's stored predictions for the patents no rule put on a level-1 branch; then people's corrections.
Portable Ibis: the same expressions run on DuckDB and on Spark.  docs/navigation-trees.md, "How placement works".
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import ibis
import ibis.expr.types as ir

from hvpatent.indicators.base import has_table, industry_memberships, rows_table, rule_matches, rules_table
from hvpatent.navigation.tree import Tree, tree

SOURCES = ("rule", "model", "corrected")
PAIR_SCHEMA = ibis.schema({"branch": "string", "ancestor": "string"})
EFFECT_SCHEMA = ibis.schema({"app_no": "string", "branch": "string", "on_branch": "boolean"})


def ancestor_pairs(con: ibis.BaseBackend, t: Tree) -> ir.Table:
    """(branch, ancestor) for every branch and each of its ancestors, the branch itself included."""
    rows = [(b.code, a) for b in t.branches for a in [b.code, *t.ancestors(b.code)]]
    return rows_table(con, rows, PAIR_SCHEMA, f"hvp_branch_ancestors_{t.industry}")


def correction_effects(t: Tree, rows: Iterable[tuple[str, str, bool]]) -> dict[str, tuple[set[str], set[str]]]:
    """What corrections [(app_no, branch, on_branch)] do to each patent: app_no -> (on, off).

    on: every branch corrected on and each of its ancestors; off: every branch corrected off and each of its
    descendants, less ``on``.  The order of the corrections does not matter: an on correction wins over an off
    one on an ancestor (or on the branch itself).  Branches no longer in the tree are ignored.  The one rule
    for both counting (placements) and training (classifier.with_corrections)."""
    codes = set(t.codes())
    on: dict[str, set[str]] = {}
    off: dict[str, set[str]] = {}
    for app_no, branch, on_branch in rows:
        if branch not in codes:
            continue  # a branch no longer in the (edited) tree
        if on_branch:
            on.setdefault(app_no, set()).update((branch, *t.ancestors(branch)))
        else:
            off.setdefault(app_no, set()).update((branch, *t.descendants(branch)))
    return {a: (on.get(a, set()), off.get(a, set()) - on.get(a, set())) for a in sorted({*on, *off})}


def corrected(branches: Iterable[str], effect: tuple[set[str], set[str]] | None) -> set[str]:
    """A patent's branches after its corrections' effect (correction_effects): off ones gone, on ones added."""
    if effect is None:
        return set(branches)
    on, off = effect
    return (set(branches) - off) | on


def _effects_table(con: ibis.BaseBackend, industry: str,
                   effects: dict[str, tuple[set[str], set[str]]]) -> ir.Table:
    """(app_no, branch, on_branch) of the effects: on_branch True for the branches put on, False for those
    taken off.  Named by content, so an expression built earlier keeps reading the rows it was built with."""
    rows = sorted([(a, b, True) for a, (on, _) in effects.items() for b in on]
                  + [(a, b, False) for a, (_, off) in effects.items() for b in off])
    digest = hashlib.sha1(repr(rows).encode("utf-8")).hexdigest()[:12]
    return rows_table(con, rows, EFFECT_SCHEMA, f"hvp_branch_corrected_{industry}_{digest}")


def _members(con: ibis.BaseBackend, industry: str, apps: ir.Table | None) -> ir.Table:
    members = industry_memberships(con, apps)
    return members.filter(members.industry == industry).select("app_no")


def _with_ancestors(placed: ir.Table, pairs: ir.Table) -> ir.Table:
    """Each (app_no, branch, ...) row also on every ancestor of its branch (the other columns kept)."""
    joined = placed.join(pairs, placed.branch == pairs.branch)
    others = [c for c in placed.columns if c not in ("app_no", "branch")]
    return joined.select("app_no", *others, branch=joined.ancestor)


def rule_placements(con: ibis.BaseBackend, industry: str, apps: ir.Table | None = None) -> ir.Table:
    """(app_no, branch): every patent of the industry on every branch whose rule matches, and on each ancestor.

    ``apps`` limits the patents looked at (e.g. a labelled sample).  KeyError for an unknown industry.
    """
    t = tree(industry)
    rules = [rule for branch in t.branches for rule in branch.rules]
    # Only the industry's patents are matched (a fifth of a national world, not all of it).
    members = _members(con, industry, apps)
    matches = rule_matches(con, rules_table(con, rules, f"hvp_branch_rules_{industry}"), members)
    matched = matches.select("app_no", branch=matches.code).distinct()
    placed = _with_ancestors(matched, ancestor_pairs(con, t))
    return placed.select("app_no", "branch").distinct()


def placements(con: ibis.BaseBackend, industry: str) -> ir.Table:
    """(app_no, branch, source, confidence): rules, then the model where no rule placed a level-1 branch, then
    corrections.

    source 'rule' (confidence 1.0); 'model': the stored predictions (branch_predictions) of the industry's
    patents without a level-1 rule placement, with ancestors (an ancestor takes its best child's confidence);
    'corrected' (1.0): branch_corrections' on_branch rows, with ancestors.  An off correction removes the branch
    and its descendants; an on correction wins over an off one on an ancestor (correction_effects, the rule the
    classifier's training follows too).  Predictions and corrections naming a branch no longer in the tree are
    ignored.  The industry's corrections (people's decisions: few) are read once here, to apply that rule.
    """
    t = tree(industry)
    codes = t.codes()
    level1 = [b.code for b in t.children(None)]
    pairs = ancestor_pairs(con, t)
    members = _members(con, industry, None)
    ruled = rule_placements(con, industry)
    result = ruled.mutate(source=ibis.literal("rule"), confidence=ibis.literal(1.0, "float64"))
    columns = ["app_no", "branch", "source", "confidence"]
    result = result.select(*columns)

    if has_table(con, "branch_predictions"):
        pred = con.table("branch_predictions")
        pred = pred.filter((pred.industry == industry) & pred.branch.isin(codes))
        pred = pred.select("app_no", "branch", confidence=pred.confidence.cast("float64"))
        placed_l1 = ruled.filter(ruled.branch.isin(level1)).select("app_no").distinct()
        pred = pred.semi_join(members, "app_no").anti_join(placed_l1, "app_no")
        pred = _with_ancestors(pred, pairs)
        pred = pred.group_by(["app_no", "branch"]).aggregate(confidence=pred.confidence.max())
        pred = pred.mutate(source=ibis.literal("model")).select(*columns)
        result = result.union(pred)

    if has_table(con, "branch_corrections"):
        corr = con.table("branch_corrections")
        corr = corr.filter((corr.industry == industry) & corr.branch.isin(codes))
        got = corr.select("app_no", "branch", "on_branch").to_pyarrow().to_pydict()
        effects = correction_effects(t, zip(got["app_no"], got["branch"], got["on_branch"], strict=True))
        if effects:
            touched = _effects_table(con, industry, effects).semi_join(members, "app_no")
            on = touched.filter(touched.on_branch).select("app_no", "branch")
            result = result.anti_join(touched.select("app_no", "branch"), ["app_no", "branch"])
            on = on.mutate(source=ibis.literal("corrected"), confidence=ibis.literal(1.0, "float64"))
            result = result.union(on.select(*columns))
    return result
