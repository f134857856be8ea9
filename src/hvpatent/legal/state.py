"""Legal state of every application at any date, as one portable Ibis expression.

The rules (docs/legal-state.md has them with their sources):
- term: 20 years for inventions, 10 for utility models, 15 for designs filed from 2021-06-01
  (10 before), counted from the filing date;
- an annuity-lapse event carries its announcement date; the right ends, retroactively, on the
  due date of the unpaid annuity, i.e. the last filing anniversary at least six months (the
  grace period) before the announcement;
- from that due date for six months the patent is in its grace period and still in force
  ('grace'); after that it is 'restorable' until the restoration deadline (notice taken as
  dispatched when the grace period ends, received 15 days later, plus two months), then 'lapsed';
- a restoration event dated after the lapse's due date cancels that lapse.
Dates are compared with effective dates as known today (hindsight), so a historical as-of date
shows what was legally true on that day.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from hvpatent.reference.fees import DESIGN_15_YEAR_FROM, FeeRules, default_rules

STATES = ("pending", "valid", "grace", "restorable", "lapsed", "expired", "invalidated",
          "withdrawn", "rejected", "surrendered")
IN_FORCE = ("valid", "grace")  # states in which the right exists on the day


def add_years(day: ir.DateValue, years: ir.IntegerValue) -> ir.DateValue:
    # A 29 February date falls on 28 February in common years, as the Implementing Rules'
    # "last day of the month" rule for time limits gives.
    return day + years.as_interval("Y")


def add_months(day: ir.DateValue, months: ir.IntegerValue) -> ir.DateValue:
    return day + months.as_interval("M")


def whole_years(start: ir.DateValue, end: ir.DateValue) -> ir.IntegerValue:
    """Completed years from start to end (the anniversary itself completes a year)."""
    guess = end.year() - start.year()
    return guess - (add_years(start, guess) > end).cast("int32")


def whole_months(start: ir.DateValue, end: ir.DateValue) -> ir.IntegerValue:
    guess = (end.year() - start.year()) * 12 + end.month() - start.month()
    return guess - (add_months(start, guess) > end).cast("int32")


def _first(events: ir.Table, types: tuple[str, ...], agg: str = "min") -> ir.DateValue:
    when = events.event_type.isin(types)
    column = ibis.ifelse(when, events.event_date, ibis.null("date"))
    return column.min() if agg == "min" else column.max()


def _amount_case(patent_type: ir.StringValue, year: ir.IntegerValue, rules: FeeRules) -> ir.FloatingValue:
    branches = []
    for ptype, rows in rules.annuity.items():
        for first, last, amount in rows:
            branches.append(((patent_type == ptype) & year.between(first, last), amount))
    return ibis.cases(*branches, else_=ibis.null("float64"))


def legal_state(con: ibis.BaseBackend, as_of: date, rules: FeeRules | None = None,
                applications: ir.Table | None = None) -> ir.Table:
    """One row per application filed on or before ``as_of`` with its state on that day."""
    rules = rules or default_rules()
    day = ibis.date(as_of)
    apps = applications if applications is not None else con.table("applications")
    apps = apps.filter(apps.filing_date <= day).select("app_no", "patent_type", "filing_date")
    events = con.table("legal_events")

    # Lapse announcements give their effective (due) date: the last anniversary such that the
    # grace period had ended by the announcement.
    lapses = events.filter(events.event_type == "annuity_lapse").join(apps, "app_no")
    grace = ibis.literal(rules.grace_period_months)
    announced_less_grace = lapses.event_date - ibis.interval(months=rules.grace_period_months)
    lapses = lapses.mutate(
        effective=add_years(lapses.filing_date, whole_years(lapses.filing_date, announced_less_grace))
    )
    lapse = (lapses.filter(lapses.effective <= day)
             .group_by("app_no").aggregate(lapse_due_date=lapses.effective.max()))

    known = events.filter(events.event_date <= day)
    per_app = known.group_by("app_no").aggregate(
        grant_date=_first(known, ("granted",)),
        withdrawn_date=_first(known, ("withdrawn", "deemed_withdrawn")),
        rejected_date=_first(known, ("rejected",)),
        invalidated_date=_first(known, ("invalidated_full",)),
        surrendered_date=_first(known, ("surrendered",)),
        expiry_date=_first(known, ("expiry",)),
        restored_date=_first(known, ("restoration",), "max"),
    )
    t = apps.left_join(per_app, "app_no").drop("app_no_right")
    t = t.left_join(lapse, "app_no").drop("app_no_right")

    term_years = ibis.cases(
        (t.patent_type == "invention", rules.term_years["invention"]),
        (t.patent_type == "utility_model", rules.term_years["utility_model"]),
        (t.filing_date >= ibis.date(DESIGN_15_YEAR_FROM), rules.term_years["design_from_2021_06_01"]),
        else_=rules.term_years["design_before_2021_06_01"],
    )
    t = t.mutate(term_end=add_years(t.filing_date, term_years))
    lapse_active = t.lapse_due_date.notnull() & (
        t.restored_date.isnull() | (t.restored_date < t.lapse_due_date)
    )
    t = t.mutate(
        lapse_due_date=ibis.ifelse(lapse_active, t.lapse_due_date, ibis.null("date")),
        grace_end=ibis.ifelse(lapse_active, add_months(t.lapse_due_date, grace), ibis.null("date")),
    )
    t = t.mutate(
        restore_deadline=t.grace_end
        + ibis.interval(days=rules.presumed_receipt_days)
        + ibis.interval(months=rules.restoration_months_after_notice),
    )
    granted = t.grant_date.notnull()
    state = ibis.cases(
        (t.invalidated_date.notnull(), "invalidated"),
        (~granted & t.withdrawn_date.notnull(), "withdrawn"),
        (~granted & t.rejected_date.notnull(), "rejected"),
        (~granted, "pending"),
        (t.surrendered_date.notnull(), "surrendered"),
        (t.lapse_due_date.notnull() & (day < t.grace_end), "grace"),
        (t.lapse_due_date.notnull() & (day <= t.restore_deadline), "restorable"),
        (t.lapse_due_date.notnull(), "lapsed"),
        ((day >= t.term_end) | t.expiry_date.notnull(), "expired"),
        else_="valid",
    )
    t = t.mutate(state=state)
    right_end = ibis.cases(
        (t.state.isin(IN_FORCE), day),
        (t.state == "invalidated", t.grant_date),  # invalidated rights are deemed never to have existed
        (t.state.isin(("restorable", "lapsed")), t.lapse_due_date),
        (t.state == "surrendered", t.surrendered_date),
        (t.state == "expired", ibis.least(t.term_end, t.expiry_date.fill_null(t.term_end))),
        else_=ibis.null("date"),
    )
    t = t.mutate(years_maintained=ibis.ifelse(granted, whole_years(t.filing_date, right_end),
                                              ibis.null("int32")))
    return _with_annuity(t, day, rules)


def _with_annuity(t: ir.Table, day: ir.DateValue, rules: FeeRules) -> ir.Table:
    """Next annuity due (date, patent year, amount) and, in the grace period, the late fee."""
    done = whole_years(t.filing_date, day)
    due_today = add_years(t.filing_date, done) == day
    k = ibis.ifelse(due_today, done, done + 1)  # the due date is the k-th anniversary
    in_grace = t.state == "grace"
    due_k = ibis.ifelse(in_grace, whole_years(t.filing_date, t.lapse_due_date), k)
    due_date = add_years(t.filing_date, due_k)
    annual = _amount_case(t.patent_type, due_k + 1, rules)
    if rules.reduction_rate:
        grant_year = whole_years(t.filing_date, t.grant_date) + 1
        reduced = (due_k + 1) < grant_year + rules.reduction_years
        annual = ibis.ifelse(reduced, annual * (1 - rules.reduction_rate), annual)
    months_late = whole_months(t.lapse_due_date, day)
    late_rate = ibis.cases(
        *[(months_late == m, rate) for m, rate in enumerate(rules.late_fee_rates)],
        else_=rules.late_fee_rates[-1],
    )
    has_due = t.state.isin(IN_FORCE) & (due_date < t.term_end)
    return t.mutate(
        next_due_date=ibis.ifelse(has_due, due_date, ibis.null("date")),
        next_due_year=ibis.ifelse(has_due, due_k + 1, ibis.null("int32")),
        next_due_amount=ibis.ifelse(has_due, annual, ibis.null("float64")),
        late_fee=ibis.ifelse(in_grace, annual * late_rate, ibis.null("float64")),
    )
