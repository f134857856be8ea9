"""Spend against the budget by item, town, industry and applicant type (docs/subsidies.md, "Budget and what-if").

A year's spend is the ledger's rows of the year's periods (period ``2024``, ``2024-H1``, ``2024-Q3`` … all belong
to 2024) that the bureau has committed: approved (committed), paid, and paid then clawed back (paid, with the
amount recovered shown apart and subtracted in ``net_yuan``).  Interest subsidies on pledge loans are paid through
issue 18's finance ledger, never through ``subsidy_ledger``: its approved and paid ``interest_subsidy`` rows of the
year are counted under the policy's pledge_interest item, so the budget view shows all the district pays.  It is the
one rule of the room (rules.finance_committed): the same rows count as the payee's committed money toward the
version's yearly cap and budget in rules.eligible and at approval (ledger.decide).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import duckdb

from hvpatent.subsidies.common import say as _say
from hvpatent.subsidies.common import table_exists as _has_table
from hvpatent.subsidies.policy import PolicyVersion, SubsidyPolicy

SPEND_DIMENSIONS = ("item", "town", "industry", "applicant_type")
PLEDGE_INTEREST = "pledge_interest"   # the pledge_interest item's id when no policy names it
ZERO = Decimal("0.00")
# A row with no value in the dimension (a payee not placed in a town, a patent in no SEI industry …).
NONE_LABELS: dict[str, tuple[str, str]] = {
    "town": ("未定位", "not placed"), "industry": ("未归入战略性新兴产业", "no strategic emerging industry"),
    "applicant_type": ("未分类", "unclassified"), "item": ("未知项目", "unknown item")}
TOTAL_LABEL = ("合计", "Total")


def _money(value: object) -> Decimal:
    return ZERO if value is None else Decimal(str(value)).quantize(ZERO)


def budget_version(policy: SubsidyPolicy, year: int) -> PolicyVersion | None:
    """The version whose budgets a year is measured against: the one in force on 1 July of the year; none then
    (the year starts or ends a gap), the latest version in force on some day of the year."""
    version = policy.version_on(date(year, 7, 1))
    if version is not None:
        return version
    start, end = date(year, 1, 1), date(year, 12, 31)
    during = [v for v in policy.versions
              if v.effective_from <= end and (v.effective_to is None or start <= v.effective_to)]
    return max(during, key=lambda v: v.effective_from, default=None)


def pledge_item_id(policy: SubsidyPolicy | None, year: int) -> str:
    """The id of the policy's pledge_interest item (the year's budget version first, then any version)."""
    if policy is None:
        return PLEDGE_INTEREST
    version = budget_version(policy, year)
    ordered = ([version] if version else []) + list(reversed(policy.versions))
    return next((i.id for v in ordered for i in v.items if i.kind == "pledge_interest"), PLEDGE_INTEREST)


# -- the rows counted ---------------------------------------------------------------------------------------------

def _subsidy_rows(duck: duckdb.DuckDBPyConnection, year: int) -> list[dict]:
    """The year's committed rows of subsidy_ledger: item, town_code, industry, applicant_type and the three sums."""
    if not _has_table(duck, "subsidy_ledger"):
        return []
    found = duck.execute(
        "SELECT item, town_code, industry, applicant_type, status, coalesce(approved_yuan, computed_yuan),"
        " clawback_yuan FROM subsidy_ledger WHERE substr(period, 1, 4) = ?"
        " AND status IN ('approved', 'paid', 'clawed_back')", [str(year)]).fetchall()
    rows = []
    for item, town, industry, kind, status, amount, clawback in found:
        amount = _money(amount)
        # A clawed-back row was paid; its recovery is what claw_back recorded (the whole amount when it recorded
        # none).
        back = (_money(clawback) if clawback is not None else amount) if status == "clawed_back" else ZERO
        rows.append({"item": item, "town": town or "", "industry": industry or "", "applicant_type": kind or "",
                     "committed": amount if status == "approved" else ZERO,
                     "paid": amount if status != "approved" else ZERO, "clawed_back": back})
    return rows


def _trace_town(trace: str | None) -> str:
    """The pledgor's town the finance ledger judged the claim by (its local_pledgor step: the pledge registry's
    pledgor region rule, docs/finance.md "Region"), or ''."""
    try:
        steps = json.loads(trace or "[]")
    except ValueError:
        return ""
    for step in steps if isinstance(steps, list) else []:
        if isinstance(step, dict) and step.get("rule") == "local_pledgor":
            return str((step.get("facts") or {}).get("town_code") or "")
    return ""


def _pledgor_type(duck: duckdb.DuckDBPyConnection, enterprise: str) -> str:
    """The pledgor's applicant category: settled by a person (applicant_categories), else the name rules; a
    pledgor no rule places is counted as an enterprise (the pledge registry's rule for a pledgor)."""
    from hvpatent.reference.applicant_categories import UNCLASSIFIED, category_of_name

    if _has_table(duck, "applicant_categories"):
        settled = duck.execute("SELECT category FROM applicant_categories WHERE name_norm = ?",
                               [enterprise]).fetchone()
        if settled:
            return settled[0]
    found = category_of_name(enterprise) if enterprise else UNCLASSIFIED
    return "enterprise" if found == UNCLASSIFIED else found


def _finance_rows(duck: duckdb.DuckDBPyConnection, year: int, item: str) -> list[dict]:
    """The finance ledger's approved and paid interest subsidies of the year, as rows of the pledge_interest item
    (the pledgor's town from the claim's trace, no industry: a loan is not one patent's)."""
    if not _has_table(duck, "finance_ledger"):
        return []
    found = duck.execute(
        "SELECT enterprise, status, coalesce(approved_yuan, computed_yuan), trace FROM finance_ledger"
        " WHERE scheme = 'interest_subsidy' AND substr(period, 1, 4) = ? AND status IN ('approved', 'paid')",
        [str(year)]).fetchall()
    types: dict[str, str] = {}
    rows = []
    for enterprise, status, amount, trace in found:
        if enterprise not in types:
            types[enterprise] = _pledgor_type(duck, enterprise or "")
        amount = _money(amount)
        rows.append({"item": item, "town": _trace_town(trace), "industry": "", "applicant_type": types[enterprise],
                     "committed": amount if status == "approved" else ZERO,
                     "paid": amount if status == "paid" else ZERO, "clawed_back": ZERO})
    return rows


# -- labels ---------------------------------------------------------------------------------------------------------

def _item_labels(policy: SubsidyPolicy | None, year: int) -> dict[str, tuple[str, str]]:
    """Item id → (name_zh, name_en): the budget version's names first, then older and newer versions'."""
    if policy is None:
        return {}
    version = budget_version(policy, year)
    ordered = list(reversed(policy.versions)) + ([version] if version else [])
    return {i.id: (i.name_zh, i.name_en) for v in ordered for i in v.items}


def _sei_names(duck: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """SEI code → name: the warehouse's SEI table (the user's import or the shipped one), else the shipped one."""
    if _has_table(duck, "sei_rules"):
        names = dict(duck.execute("SELECT code, min(name) FROM sei_rules GROUP BY code").fetchall())
        if names:
            return names
    from hvpatent.reference.sei import builtin_rules

    return {r.code: r.name for r in builtin_rules()}


def _labeller(duck: duckdb.DuckDBPyConnection, by: str, policy: SubsidyPolicy | None, year: int):
    """key → (label_zh, label_en) for the dimension."""
    if by == "item":
        items = _item_labels(policy, year)
        return lambda key: items.get(key, (key, key))
    if by == "town":
        from hvpatent.reference.regions import region_name

        return lambda key: (region_name(key) or key,) * 2
    if by == "industry":
        names = _sei_names(duck)
        return lambda key: (f"{key} {names[key]}", f"SEI {key} ({names[key]})") if key in names else (key, key)
    from hvpatent.reference.applicant_categories import ENGLISH, rules

    zh = rules().labels
    return lambda key: (zh.get(key, key), ENGLISH.get(key, key))


# -- the spend --------------------------------------------------------------------------------------------------------

def _entry(key: str, label: tuple[str, str]) -> dict:
    return {"key": key, "label_zh": label[0], "label_en": label[1], "count": 0, "committed_yuan": ZERO,
            "paid_yuan": ZERO, "clawed_back_yuan": ZERO, "net_yuan": ZERO, "budget_yuan": None,
            "remaining_yuan": None}


def _add(entry: dict, row: dict) -> None:
    entry["count"] += 1
    entry["committed_yuan"] += row["committed"]
    entry["paid_yuan"] += row["paid"]
    entry["clawed_back_yuan"] += row["clawed_back"]
    entry["net_yuan"] = entry["committed_yuan"] + entry["paid_yuan"] - entry["clawed_back_yuan"]


def _with_budget(entry: dict, budget: Decimal | None) -> dict:
    if budget is not None:
        entry["budget_yuan"] = _money(budget)
        entry["remaining_yuan"] = entry["budget_yuan"] - entry["net_yuan"]
    return entry


def spend(duck: duckdb.DuckDBPyConnection, year: int, *, by: str = "item",
          policy: SubsidyPolicy | None = None) -> list[dict]:
    """The year's spend grouped ``by`` item | town | industry | applicant_type: rows {key, label_zh, label_en,
    count, committed_yuan (approved, not yet paid), paid_yuan (paid, clawed-back rows included), clawed_back_yuan,
    net_yuan (committed + paid − clawed back), budget_yuan, remaining_yuan (budget − net)}, then a total row (key
    ``total``).  Amounts are Decimal yuan.  With a policy: by item, each item of the budget version (budget_version:
    in force on 1 July) is listed, spent or not, with its budget; the total row carries the version's budget in
    every dimension.  A key of '' gathers rows with no value (a payee placed in no town …)."""
    if by not in SPEND_DIMENSIONS:
        raise ValueError(_say(f"未知的分组 {by!r}，可用：{' | '.join(SPEND_DIMENSIONS)}",
                              f"unknown grouping {by!r}; one of {' | '.join(SPEND_DIMENSIONS)}"))
    rows = _subsidy_rows(duck, year) + _finance_rows(duck, year, pledge_item_id(policy, year))
    label = _labeller(duck, by, policy, year)
    version = budget_version(policy, year) if policy is not None else None
    groups: dict[str, dict] = {}
    if by == "item" and version is not None:   # every item of the version, in the policy's order
        for item in version.items:
            groups[item.id] = _with_budget(_entry(item.id, label(item.id)), item.budget_yuan)
    for row in rows:
        key = row[by]
        if key not in groups:
            groups[key] = _entry(key, label(key) if key else NONE_LABELS[by])
        _add(groups[key], row)
    for entry in groups.values():
        if entry["budget_yuan"] is not None:
            _with_budget(entry, entry["budget_yuan"])
    listed = list(groups) if by == "item" and version is not None else []
    rest = sorted((k for k in groups if k not in listed), key=lambda k: (k == "", k))
    total = _entry("total", TOTAL_LABEL)
    for row in rows:
        _add(total, row)
    _with_budget(total, version.budget_yuan if version is not None else None)
    return [groups[k] for k in (*listed, *rest)] + [total]
