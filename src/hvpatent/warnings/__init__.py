"""Early warning: which patents are about to be lost, and which are about to become high-value.

All kinds come from the legal state on the as-of date (docs/legal-state.md has the rules and
sources) and the high-value evidence (docs/indicators.md); docs/warnings.md defines each kind, its
window and its deadline. One row per patent and kind; a patent can have several kinds.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from hvpatent.indicators.base import ALL_APPLICANTS, applications_of, first_applicants, in_region
from hvpatent.indicators.config import high_value_settings
from hvpatent.indicators.highvalue import criteria_evidence
from hvpatent.legal import legal_state
from hvpatent.legal.state import add_years

KINDS = ("grace", "restorable", "annuity_due", "milestone_10y", "expiring")
KIND_LABELS = {
    "annuity_due": ("年费即将到期", "annuity due"),
    "grace": ("年费滞纳期（宽限期）内", "in the annuity grace period"),
    "restorable": ("已因未缴年费终止，可请求恢复", "lapsed, can still be restored"),
    "milestone_10y": ("即将维持满10年", "about to pass 10 years maintained"),
    "expiring": ("专利权即将期满", "term ends soon"),
}


def warnings_table(con: ibis.BaseBackend, as_of: date, within_days: int = 90, region: str | None = None,
                   enterprise: str | None = None) -> ir.Table:
    """(app_no, kind, deadline, amount, high_value, other_criteria, …) for every warning in the window
    [as_of, as_of + within_days]; ``enterprise`` (normalised name) keeps patents where it is any applicant."""
    day, end = ibis.date(as_of), ibis.date(as_of + timedelta(days=within_days))
    states = legal_state(con, as_of)
    in_force = states.state.isin(("valid", "grace"))
    settings = high_value_settings()
    anniversary = add_years(states.filing_date, ibis.literal(settings.maintained_years))
    parts = [
        states.filter((states.state == "valid") & states.next_due_date.between(day, end)).mutate(
            kind=ibis.literal("annuity_due"), deadline=states.next_due_date, amount=states.next_due_amount),
        # Last day to pay with a late fee: the grace period's last day (docs/legal-state.md, rule 4).
        states.filter(states.state == "grace").mutate(
            kind=ibis.literal("grace"), deadline=states.grace_end,
            amount=states.next_due_amount + states.late_fee.fill_null(0)),
        states.filter(states.state == "restorable").mutate(
            kind=ibis.literal("restorable"), deadline=states.restore_deadline, amount=ibis.null("float64")),
        # "More than 10 years" is reached the day after the 10th anniversary; keep it in force until then.
        states.filter(in_force & (states.patent_type == "invention") & anniversary.between(day, end)).mutate(
            kind=ibis.literal("milestone_10y"), deadline=anniversary, amount=ibis.null("float64")),
        states.filter(in_force & states.term_end.between(day, end)).mutate(
            kind=ibis.literal("expiring"), deadline=states.term_end, amount=ibis.null("float64")),
    ]
    cols = ["app_no", "patent_type", "filing_date", "grant_date", "state", "years_maintained", "kind", "deadline",
            "amount"]
    rows = ibis.union(*[p.select(*cols).mutate(amount=p.amount.cast("float64")) for p in parts])
    evidence = criteria_evidence(con, states, as_of, settings)
    per_app = evidence.group_by("app_no").aggregate(
        criteria=evidence.criterion.collect(distinct=True).sort().join(","),
        other=(evidence.criterion != "maintained_10y").sum())
    rows = rows.left_join(per_app, "app_no").drop("app_no_right")
    rows = rows.mutate(high_value=rows.criteria.notnull(),
                       only_by_milestone=(rows.kind == "milestone_10y") & (rows.other.fill_null(0) == 0))
    # Warnings are a to-do list, not a statistic: without a region, every patent in the warehouse
    # (the domestic scope of the national figures does not apply).
    scope = region or ALL_APPLICANTS
    rows = in_region(rows.left_join(first_applicants(con), "app_no").drop("app_no_right"), scope)
    rows = rows.drop("province_code", "city_code", "applicant_type")  # the list shows town and county
    if enterprise:
        rows = rows.semi_join(applications_of(con, enterprise), "app_no")
    priority = ibis.cases((rows.high_value & (rows.kind != "milestone_10y"), 0),
                          (rows.kind == "milestone_10y", 1), else_=2)
    return rows.mutate(priority=priority).drop("other")


def warnings_list(con: ibis.BaseBackend, as_of: date, within_days: int = 90, region: str | None = None,
                  enterprise: str | None = None, high_value_at_risk: bool = False) -> list[dict]:
    """Rows ordered by priority: high-value patents at risk, then near-milestone, then by deadline.
    ``high_value_at_risk`` keeps only high-value patents that one of the other kinds could cost."""
    t = warnings_table(con, as_of, within_days, region, enterprise)
    if high_value_at_risk:
        t = t.filter(t.priority == 0)
    return t.order_by(["priority", "deadline", "app_no", "kind"]).to_pyarrow().to_pylist()


def counts(rows: list[dict], by: str) -> list[dict]:
    """Warnings per town (``town_code``) or enterprise (``applicant_name``) and kind."""
    table: dict[str, dict] = {}
    for r in rows:
        entry = table.setdefault(r.get(by) or "", {by: r.get(by), "total": 0, **{k: 0 for k in KINDS},
                                                    "high_value": 0})
        entry["total"] += 1
        entry[r["kind"]] += 1
        entry["high_value"] += bool(r["high_value"])
    return sorted(table.values(), key=lambda e: -e["total"])


__all__ = ["KINDS", "KIND_LABELS", "counts", "warnings_list", "warnings_table"]
