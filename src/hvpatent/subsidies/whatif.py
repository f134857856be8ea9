"""Next year's spend under a policy variant and its expected effect on the high-value indicators (docs/subsidies.md,
"Budget and what-if").

The projection compares two policies for ``year``: the base policy's version and the variant's version in force on
1 July of the year (none then: the latest version).

- Spend: the events of the basis year (the last complete year before ``year``: ``year − 1``, or earlier when the
  as-of day lies inside that year) judged by rules.eligible under the base policy are taken as next year's events.
  Each eligible row is re-priced to each projected version: its amount_yuan (caps applied) times the ratio of the
  item's amount in the projected version to its amount in the version that judged the row (per office, level or
  grade where the item pays by one; a rate item by its rate).  An item missing in a version pays nothing there.
- High-value effect: the candidates of issue 12 (cultivation.candidates, as of ``as_of``, deadline 31 December of
  ``year``) that would become high-value; each one's chance is its probability (× its survival).  Under the
  variant, each probability is raised (or lowered) by an assumed response to the reward for its criterion:
  p × (1 + elasticity × relative change of the criterion item's amount), held within [0, 1].  The elasticity
  (default 0.1) is assumed, not measured.  A patent counts once: 1 − Π(1 − chance) over its candidate actions.
  The variant's extra expected patents per criterion are added to that criterion item's count and spend.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import duckdb
import ibis

from hvpatent import cultivation  # called through the package: tests patch its candidates
from hvpatent.subsidies import rules as rules_mod
from hvpatent.subsidies.common import money as _yuan
from hvpatent.subsidies.policy import Item, PolicyVersion, SubsidyPolicy

DEFAULT_ELASTICITY = 0.1
NEW_ITEM_CHANGE = 1.0   # relative change assumed when the base pays nothing for a criterion and the variant does
# The items whose amount depends on a part of the event (amounts per office, level, grade or project kind).
_KEY_FACTS = ("office", "level", "grade", "project_kind")


def projected_version(policy: SubsidyPolicy, year: int) -> PolicyVersion | None:
    """The version in force on 1 July of the year; none then: the latest version (by effective_from)."""
    return policy.version_on(date(year, 7, 1)) or max(policy.versions, key=lambda v: v.effective_from, default=None)


def basis_year(year: int, as_of: date) -> int:
    """The last complete year before ``year`` on the as-of day."""
    return min(year - 1, as_of.year - 1)


# -- re-pricing a row -------------------------------------------------------------------------------------------

def _amount_key(item: Item, row: dict) -> str | None:
    """Which of the item's ``amounts`` an event is paid by: the office, level, project kind or grade its facts name
    (the trace's steps: the ``amount`` step records the one it was paid by); for a grant abroad, else the office of
    its subject (``app_no@office``).  Event keys are not read: their shape is facts.py's to change."""
    from hvpatent.subsidies.policy import AMOUNT_KEYS

    wanted = (AMOUNT_KEYS[item.kind],) if item.kind in AMOUNT_KEYS else _KEY_FACTS
    for step in sorted(row.get("trace") or [], key=lambda s: not (isinstance(s, dict) and s.get("rule") == "amount")):
        facts = step.get("facts") if isinstance(step, dict) else None
        for name in wanted:
            if isinstance(facts, dict) and facts.get(name) is not None:
                return str(facts[name])
    if item.kind == "grant_abroad" and "@" in (row.get("subject_key") or ""):
        return row["subject_key"].rpartition("@")[2].partition("#")[0]
    return None


def price(item: Item | None, row: dict) -> Decimal | None:
    """The item's amount (or rate) for the row's event; None when the item is missing or names no amount for it."""
    if item is None:
        return None
    if item.amount_yuan is not None:
        return Decimal(item.amount_yuan)
    if item.rate is not None:
        return Decimal(item.rate)
    if item.amounts:
        key = _amount_key(item, row)
        if key in item.amounts:
            return Decimal(item.amounts[key])
        if len(item.amounts) == 1:   # one amount for every kind
            return Decimal(next(iter(item.amounts.values())))
    return None


def repriced(row: dict, judged: Item | None, target: Item | None) -> Decimal:
    """The row's amount_yuan (caps applied) at the target item's price: amount × target price / judged price."""
    new, old = price(target, row), price(judged, row)
    amount = Decimal(str(row.get("amount_yuan") or 0))
    if new is None:
        return Decimal(0)
    if old is None or old == 0:   # the judging version named no price for it: the target's amount uncut
        return new if target is not None and target.rate is None else amount
    return amount * new / old


# -- the high-value response ------------------------------------------------------------------------------------

def criterion_amounts(version: PolicyVersion | None) -> dict[str, Decimal]:
    """criterion → the amount the version's high_value_criterion items pay for it (summed over items)."""
    found: dict[str, Decimal] = defaultdict(Decimal)
    for item in version.items if version else ():
        if item.kind == "high_value_criterion" and item.criterion and item.amount_yuan is not None:
            found[item.criterion] += Decimal(item.amount_yuan)
    return dict(found)


def relative_change(base: dict[str, Decimal], variant: dict[str, Decimal], criterion: str) -> float:
    """(variant − base) / base of the amount paid for the criterion; a reward the base lacks: NEW_ITEM_CHANGE."""
    old, new = base.get(criterion, Decimal(0)), variant.get(criterion, Decimal(0))
    if old == 0:
        return NEW_ITEM_CHANGE if new > 0 else 0.0
    return float((new - old) / old)


def chance(row: dict, change: float, elasticity: float) -> float:
    """One candidate's chance of making its patent high-value under a relative change of its reward."""
    p = float(row.get("probability") or 0.0) * (1 + elasticity * change)
    survival = row.get("survival")
    return min(1.0, max(0.0, p)) * (1.0 if survival is None else float(survival))


def expected_new(rows: list[dict], changes: dict[str, float], elasticity: float) -> tuple[float, dict[str, float]]:
    """(expected new high-value patents: each patent once, 1 − Π(1 − chance); criterion → Σ chance, the expected
    criteria reached, each one a reward) of the candidates that would become high-value.  A candidate naming
    several criteria (a restoration) gets no response."""
    failing: dict[str, float] = defaultdict(lambda: 1.0)
    per_criterion: dict[str, float] = defaultdict(float)
    for r in rows:
        if r.get("high_value_now") or r.get("effect") == "keep":
            continue
        c = chance(r, changes.get(r.get("criterion") or "", 0.0), elasticity)
        failing[r["app_no"]] *= 1 - c
        per_criterion[r.get("criterion") or ""] += c
    return sum((1 - f for f in failing.values()), 0.0), dict(per_criterion)


def _in_year(by_end: tuple[float, dict[str, float]], by_year_before: tuple[float, dict[str, float]]
             ) -> tuple[float, dict[str, float]]:
    """Expected by the end of the projected year less expected by the end of the year before (never below 0)."""
    total = max(0.0, by_end[0] - by_year_before[0])
    per = {c: max(0.0, v - by_year_before[1].get(c, 0.0)) for c, v in by_end[1].items()}
    return total, per


def _assumptions(elasticity: float, basis: int, year: int, population_basis: str) -> list[str]:
    return [
        f"下一年事项数按 {basis} 年（{year} 年前最近的完整年度）符合条件的事项数估计 / "
        f"next year's events: the eligible events of {basis}, the last complete year before {year}",
        f"各项目金额按 {year} 年 7 月 1 日施行的政策版本（无则最新版本）计算，上限按 {basis} 年核算结果等比例折算 / "
        f"amounts of the versions in force on 1 July {year} (else the latest), cap cuts of the {basis} run kept in "
        "proportion",
        f"高价值专利的响应弹性 {elasticity}（假定值，未经测算）：培育候选的成功概率"
        f" ×（1 + 弹性 × 该标准奖励金额的相对变化），不超过 1 / response elasticity {elasticity}"
        " (assumed, not measured): each candidate's probability × (1 + elasticity × relative change of its"
        " criterion's reward), at most 1",
        f"基线：培育候选（专利培育）在 {year} 年内成为高价值的概率——截至 {year} 年末的期望减去截至上年末的期望，"
        f"每件专利只计一次 / baseline: the cultivation candidates expected to become high-value within {year} — "
        f"expected by the end of {year} less expected by the end of {year - 1} — each patent counted once",
        f"每万人口 / per 10,000 residents: {population_basis}",  # the basis is worded in the caller's language
    ]


# -- the projection -----------------------------------------------------------------------------------------------

def _spend_items(base_v: PolicyVersion | None, variant_v: PolicyVersion | None, judged: dict[str, PolicyVersion],
                 rows: list[dict]) -> dict[str, dict]:
    items: dict[str, dict] = {}
    for version in (base_v, variant_v):
        for item in version.items if version else ():
            items.setdefault(item.id, {"item": item.id, "item_zh": item.name_zh, "item_en": item.name_en,
                                       "base_count": 0, "base_yuan": Decimal(0), "variant_count": 0,
                                       "variant_yuan": Decimal(0)})
    for row in rows:
        entry = items.get(row["item"])
        if entry is None:   # an item neither projected version has: paid by neither
            continue
        was = judged.get(row.get("policy_version") or "")
        was_item = was.item(row["item"]) if was else None
        for side, version in (("base", base_v), ("variant", variant_v)):
            target = version.item(row["item"]) if version else None
            if target is not None:
                entry[f"{side}_count"] += 1
                entry[f"{side}_yuan"] += repriced(row, was_item, target)
    return items


def _respond(items: dict[str, dict], variant_v: PolicyVersion | None, extra: dict[str, float]) -> None:
    """The variant's extra expected rewards per criterion added to its high_value_criterion items."""
    for item in variant_v.items if variant_v else ():
        more = extra.get(item.criterion or "") if item.kind == "high_value_criterion" else None
        if more and item.amount_yuan is not None:
            entry = items[item.id]
            entry["variant_count"] = round(entry["variant_count"] + more, 2)
            entry["variant_yuan"] += Decimal(repr(more)) * Decimal(item.amount_yuan)


def projection(con: ibis.BaseBackend, duck: duckdb.DuckDBPyConnection | None, base: SubsidyPolicy,
               variant: SubsidyPolicy, year: int, *, as_of: date, region: str | None = None,
               elasticity: float = DEFAULT_ELASTICITY) -> dict:
    """Next year's spend per item under both policies and the expected new high-value patents (module docstring).

    Returns {year, basis_year, base_version, variant_version, elasticity, items: [{item, item_zh, item_en,
    base_count, base_yuan, variant_count, variant_yuan}], totals: {base_count, base_yuan, variant_count,
    variant_yuan, base_budget_yuan, variant_budget_yuan}, high_value: {expected_base, expected_variant,
    per_10k_base, per_10k_variant, population, population_basis, candidates, assumptions}}.  The basis year is
    judged without the ledger (``duck`` is not read): next year's events are new, none paid yet."""
    base_v, variant_v = projected_version(base, year), projected_version(variant, year)
    basis = basis_year(year, as_of)
    rows = [r for r in rules_mod.eligible(con, base, str(basis), as_of=date(basis, 12, 31), region=region)
            if r.get("eligible")]
    judged = {v.version: v for v in base.versions}
    items = _spend_items(base_v, variant_v, judged, rows)

    place = region or (base_v.region if base_v else None)
    deadline = date(year, 12, 31)
    found = cultivation.candidates(con, min(as_of, deadline), deadline, region=place)
    # Only what lands in the projected year: assessed before it starts, the candidates' window runs from as_of,
    # so what is expected by the end of the year before is taken off (no call when that window is empty).
    year_before = date(year - 1, 12, 31)
    earlier = cultivation.candidates(con, as_of, year_before, region=place) if as_of < year_before else []
    amounts_b, amounts_v = criterion_amounts(base_v), criterion_amounts(variant_v)
    changes = {c: relative_change(amounts_b, amounts_v, c) for c in set(amounts_b) | set(amounts_v)}
    expected_b, per_b = _in_year(expected_new(found, {}, elasticity), expected_new(earlier, {}, elasticity))
    expected_v, per_v = _in_year(expected_new(found, changes, elasticity),
                                 expected_new(earlier, changes, elasticity))
    _respond(items, variant_v, {c: per_v.get(c, 0.0) - per_b.get(c, 0.0) for c in set(per_b) | set(per_v)})

    population, population_basis = cultivation.projected_population(con, place, deadline)
    listed = list(items.values())
    for entry in listed:
        entry["base_yuan"], entry["variant_yuan"] = _yuan(entry["base_yuan"]), _yuan(entry["variant_yuan"])
    totals = {
        "base_count": sum(e["base_count"] for e in listed), "base_yuan": sum((e["base_yuan"] for e in listed),
                                                                             Decimal("0.00")),
        "variant_count": round(sum(e["variant_count"] for e in listed), 2),
        "variant_yuan": sum((e["variant_yuan"] for e in listed), Decimal("0.00")),
        "base_budget_yuan": base_v.budget_yuan if base_v else None,
        "variant_budget_yuan": variant_v.budget_yuan if variant_v else None}

    def per_10k(expected: float) -> float | None:
        return round(expected / population * 10_000, 4) if population else None

    return {
        "year": year, "basis_year": basis, "base_version": base_v.version if base_v else None,
        "variant_version": variant_v.version if variant_v else None, "elasticity": elasticity,
        "items": listed, "totals": totals,
        "high_value": {
            "expected_base": round(expected_b, 4), "expected_variant": round(expected_v, 4),
            "per_10k_base": per_10k(expected_b), "per_10k_variant": per_10k(expected_v),
            "population": population, "population_basis": population_basis,
            "candidates": sum(1 for r in found if not r.get("high_value_now") and r.get("effect") != "keep"),
            "assumptions": _assumptions(elasticity, basis, year, population_basis)}}
