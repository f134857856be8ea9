"""Placements (分支归属) of an industry's patents on its technology breakdown's branches.

Rules first (IPC + keywords, navigation/breakdowns.yaml), each rule placement carrying its ancestors; the
classifier's stored predictions for the patents no rule put on a level-1 branch; then people's corrections.
Portable Ibis: the same expressions run on DuckDB and on Spark.  docs/navigation-trees.md, "How placement works".
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from hvpatent.indicators.base import has_table, industry_memberships, rule_matches, rules_table
from hvpatent.navigation.tree import Tree, tree

SOURCES = ("rule", "model", "corrected")
PAIR_SCHEMA = ibis.schema({"branch": "string", "ancestor": "string"})


def _pairs_table(con: ibis.BaseBackend, rows: list[tuple[str, str]], name: str) -> ir.Table:
    """(branch, ancestor) rows as a temporary table of the backend, as indicators.base.rules_table does (on Spark
    straight to a DataFrame, elsewhere an in-memory table registered under the name)."""
    if con.name == "pyspark":
        session = con._session  # the backend exposes no public handle to its SparkSession
        frame = session.createDataFrame(rows, "branch string, ancestor string")
        frame.createOrReplaceTempView(name)
        return con.table(name)
    frame = ibis.memtable([{"branch": b, "ancestor": a} for b, a in rows], schema=PAIR_SCHEMA)
    return con.create_table(name, frame, temp=True, overwrite=True)


def ancestor_pairs(con: ibis.BaseBackend, t: Tree) -> ir.Table:
    """(branch, ancestor) for every branch and each of its ancestors, the branch itself included."""
    rows = [(b.code, a) for b in t.branches for a in [b.code, *t.ancestors(b.code)]]
    return _pairs_table(con, rows, f"hvp_branch_ancestors_{t.industry}")


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
    and its descendants; an on correction wins over an off one on an ancestor.  Predictions and corrections
    naming a branch no longer in the tree are ignored.
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
        corr = corr.semi_join(members, "app_no")
        on = corr.filter(corr.on_branch).select("app_no", "branch")
        on = _with_ancestors(on, pairs).distinct()
        off = corr.filter(~corr.on_branch).select("app_no", "branch")
        # descendants: the pairs whose ancestor is the branch turned off (itself included)
        off = off.join(pairs, off.branch == pairs.ancestor)
        off = off.select("app_no", branch=off.branch_right).distinct()
        off = off.anti_join(on, ["app_no", "branch"])
        result = result.anti_join(off, ["app_no", "branch"]).anti_join(on, ["app_no", "branch"])
        on = on.mutate(source=ibis.literal("corrected"), confidence=ibis.literal(1.0, "float64")).select(*columns)
        result = result.union(on)
    return result
