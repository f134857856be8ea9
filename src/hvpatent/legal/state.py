"""Legal state of every application at any date, as one portable Ibis expression.

The rules (docs/legal-state.md has them with their articles):
- term: 20 years for inventions, 10 for utility models, 15 for designs filed from 2021-06-01
  (10 before), counted from the filing date; an imported term adjustment moves the end;
- an annuity-lapse event carries its announcement date; the right ends, retroactively, on the
  due date of the unpaid annuity (given by the source as the effective date, or derived as the
  last filing anniversary at least six months before the announcement);
- from that due date to the corresponding day six months later (the grace period's last day) the
  patent is in its grace period and still in force ('grace'); then 'restorable' until the
  restoration deadline (two months from receipt of the termination notice), then 'lapsed';
- a restoration after the lapse's due date cancels that lapse.

Hindsight: by default every event is applied at its legal effective date whatever the date it
became known (a lapse announced later still ends the right on its due date; a restoration made
later means the right never ended).  ``as_known_on`` gives the other reading: only events (and
status snapshots) published by that date count, which reproduces a figure published then.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from hvpatent.reference.fees import DESIGN_15_YEAR_FROM, FeeRules, default_rules

STATES = ("pending", "valid", "grace", "restorable", "lapsed", "expired", "invalidated",
          "withdrawn", "rejected", "surrendered", "ended")
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


def _amount_case(patent_type: ir.StringValue, year: ir.IntegerValue, rules: FeeRules) -> ir.FloatingValue:
    """The annuity for a patent year; years past the schedule (a term extended by adjustment or
    compensation) pay the schedule's last rate (docs/legal-state.md, rule 3)."""
    branches = []
    for ptype, rows in rules.annuity.items():
        for first, last, amount in rows:
            branches.append(((patent_type == ptype) & year.between(first, last), amount))
        last_year, last_amount = max((last, amount) for _, last, amount in rows)
        branches.append(((patent_type == ptype) & (year > last_year), last_amount))
    return ibis.cases(*branches, else_=ibis.null("float64"))


# Events after which a status snapshot no longer says anything: they decide the state themselves.
DECISIVE_EVENTS = ("granted", "annuity_lapse", "restoration", "withdrawn", "deemed_withdrawn", "rejected",
                   "invalidated_full", "surrendered", "expiry", "ended")


def known_events(con: ibis.BaseBackend, as_known_on: date | None = None,
                 rules: FeeRules | None = None) -> ir.Table:
    """The legal events, or only those published by ``as_known_on``.

    A lapse that a source dates only by the day the right ended (PatSnap's 失效日: its date is not
    after its date of effect) cannot have been published before the grace period ran out, so it
    counts as known from the day after the grace period's last day at the earliest.
    """
    events = con.table("legal_events")
    if as_known_on is None:
        return events
    grace = ibis.literal((rules or default_rules()).grace_period_months)
    undated_lapse = (events.event_type == "annuity_lapse") & (events.event_date <= events.effective_date)
    known_from = ibis.ifelse(undated_lapse, add_months(events.effective_date, grace) + ibis.interval(days=1),
                             events.event_date)
    return events.filter(known_from <= ibis.date(as_known_on))


def legal_state(con: ibis.BaseBackend, as_of: date, rules: FeeRules | None = None,
                applications: ir.Table | None = None, as_known_on: date | None = None,
                annuity: bool = True) -> ir.Table:
    """One row per application filed on or before ``as_of`` with its state on that day.

    Read from the stored timelines (legal/timeline.py: a range filter) when they are current for these
    rules; otherwise, or for ``as_known_on``, computed from the events by the rules directly.
    ``annuity=False`` leaves out the next-annuity columns (indicators never read them).
    """
    from hvpatent.legal.timeline import state_from_timeline, timeline_ready

    rules = rules or default_rules()
    if as_known_on is None and timeline_ready(con, rules):
        return state_from_timeline(con, as_of, rules, applications, annuity=annuity)
    return direct_state(con, as_of, rules, applications, as_known_on, annuity=annuity)


def direct_state(con: ibis.BaseBackend, as_of: date, rules: FeeRules | None = None,
                 applications: ir.Table | None = None, as_known_on: date | None = None,
                 annuity: bool = True) -> ir.Table:
    """The state on ``as_of`` computed from the events by the rules (no stored timeline)."""
    rules = rules or default_rules()
    day = ibis.date(as_of)
    apps = applications if applications is not None else con.table("applications")
    days = apps.filter(apps.filing_date <= day).select("app_no", day=day)
    return finish_state(states_on_days(con, days, rules, as_known_on).drop("day"), day, rules, annuity)


def finish_state(t: ir.Table, day: ir.DateValue, rules: FeeRules, annuity: bool = True) -> ir.Table:
    """The columns that move with the day itself: years maintained and (``annuity``) the next annuity.

    ``day`` may be a constant or a column (several days in one query)."""
    t = t.mutate(years_maintained=ibis.ifelse(t.granted, whole_years(t.filing_date, _right_end(t, day)),
                                              ibis.null("int32")))
    t = t.drop("ended_date")
    return _with_annuity(t, day, rules) if annuity else t


def _left(t: ir.Table, other: ir.Table, keys: list[str]) -> ir.Table:
    joined = t.left_join(other, keys)
    return joined.drop(*[f"{k}_right" for k in keys if f"{k}_right" in joined.columns])


def states_on_days(con: ibis.BaseBackend, days: ir.Table, rules: FeeRules,
                   as_known_on: date | None = None) -> ir.Table:
    """The state of each (app_no, day) of ``days`` on that day, days before filing left out.

    The day is a column, not a constant, so one query evaluates an application on many days: the
    timelines (legal/timeline.py) evaluate each application at every day its state can change.
    """
    apps = con.table("applications").select("app_no", "patent_type", "filing_date")
    t = days.select("app_no", "day").join(apps, "app_no")
    t = t.filter(t.filing_date <= t.day)
    events = known_events(con, as_known_on, rules)
    t = _left(t, _lapses(events, t, rules), ["app_no", "day"])
    t = _left(t, _event_dates(events, t), ["app_no", "day"])
    t = _left(t, _restorations(events), ["app_no"])
    t = _left(t, _term_adjustments(events), ["app_no"])
    t = _with_term_and_deadlines(t, rules)
    t = t.mutate(state=_state(t, t.day))
    t = _with_snapshot(t, con, as_known_on)
    return t.drop("term_end_adjusted", "last_decisive_date")


def _lapses(events: ir.Table, days: ir.Table, rules: FeeRules) -> ir.Table:
    """(app_no, day, lapse_due_date): the latest lapse in effect by each day, with hindsight.

    A lapse announcement's effective date is the unpaid annuity's due date: stated by the source
    (``effective_date``) or derived as the last anniversary such that the grace period had run out
    by the announcement.
    """
    lapses = lapse_effective_dates(events, days.select("app_no", "filing_date").distinct(), rules)
    lapses = lapses.join(days.select("app_no", "day"), "app_no")
    return (lapses.filter(lapses.effective <= lapses.day)
            .group_by(["app_no", "day"]).aggregate(lapse_due_date=lapses.effective.max()))


def lapse_effective_dates(events: ir.Table, apps: ir.Table, rules: FeeRules) -> ir.Table:
    """(app_no, effective) of every annuity-lapse event: the due date of the unpaid annuity."""
    lapses = events.filter(events.event_type == "annuity_lapse").join(apps, "app_no")
    announced_less_grace = lapses.event_date - ibis.interval(months=rules.grace_period_months)
    derived = add_years(lapses.filing_date, whole_years(lapses.filing_date, announced_less_grace))
    return lapses.select("app_no", effective=ibis.coalesce(lapses.effective_date, derived))


def _event_dates(events: ir.Table, days: ir.Table) -> ir.Table:
    """Per application and day, the dates of the events that decide its state on that day.

    Events count from their effective date (the stated one, else the event's own date), except a
    restoration, which counts whenever it happened: the restored right is deemed never to have
    ended (hindsight; ``as_known_on`` leaves out restorations published later).
    """
    effective = ibis.coalesce(events.effective_date, events.event_date)
    events = events.mutate(effective=effective).join(days.select("app_no", "day"), "app_no")
    in_effect = events.filter(events.effective <= events.day)

    def first(table: ir.Table, *types: str, agg: str = "min") -> ir.DateValue:
        column = ibis.ifelse(table.event_type.isin(types), table.effective, ibis.null("date"))
        return column.min() if agg == "min" else column.max()

    dates = in_effect.group_by(["app_no", "day"]).aggregate(
        grant_date=first(in_effect, "granted"),
        withdrawn_date=first(in_effect, "withdrawn", "deemed_withdrawn"),
        rejected_date=first(in_effect, "rejected"),
        invalidated_date=first(in_effect, "invalidated_full"),
        surrendered_date=first(in_effect, "surrendered"),
        expiry_date=first(in_effect, "expiry"),
        ended_date=first(in_effect, "ended"),
        # when the source dated it (the announcement), to compare with a snapshot's export date
        last_decisive_date=ibis.ifelse(in_effect.event_type.isin(DECISIVE_EVENTS), in_effect.event_date,
                                       ibis.null("date")).max(),
    )
    return dates


def _restorations(events: ir.Table) -> ir.Table:
    """(app_no, restored_date): the latest restoration, whenever it happened (hindsight)."""
    restorations = events.filter(events.event_type == "restoration")
    return restorations.group_by("app_no").aggregate(restored_date=restorations.event_date.max())


def _term_adjustments(events: ir.Table) -> ir.Table:
    """(app_no, term_end_adjusted): the adjusted end of term from 期限补偿 events (Rules arts. 77–84)."""
    adj = events.filter((events.event_type == "term_adjustment") & events.effective_date.notnull())
    return adj.group_by("app_no").aggregate(term_end_adjusted=adj.effective_date.max())


def term_end(t: ir.Table, rules: FeeRules) -> ir.DateValue:
    """The end of term: the adjusted end when one was imported, else filing date plus the term."""
    term_years = ibis.cases(
        (t.patent_type == "invention", rules.term_years["invention"]),
        (t.patent_type == "utility_model", rules.term_years["utility_model"]),
        (t.filing_date >= ibis.date(DESIGN_15_YEAR_FROM), rules.term_years["design_from_2021_06_01"]),
        else_=rules.term_years["design_before_2021_06_01"],
    )
    return ibis.coalesce(t.term_end_adjusted, add_years(t.filing_date, term_years))


def grace_end_of(due: ir.DateValue, rules: FeeRules) -> ir.DateValue:
    """The grace period's last day: the corresponding day six months after the due date (Rules art. 5)."""
    return add_months(due, ibis.literal(rules.grace_period_months))


def restore_deadline_of(due: ir.DateValue, rules: FeeRules) -> ir.DateValue:
    """The last day to request restoration of a right lapsed on ``due``.

    The termination notice is taken as issued the day after the grace period's last day, and the two
    months for restoration (Rules art. 6) run from its receipt: the same day when served electronically,
    15 days later by mail (art. 4).
    """
    notice_received = grace_end_of(due, rules) + ibis.interval(days=1 + rules.notice_receipt_days)
    return add_months(notice_received, ibis.literal(rules.restoration_months_after_notice))


def _with_term_and_deadlines(t: ir.Table, rules: FeeRules) -> ir.Table:
    t = t.mutate(term_end=term_end(t, rules))
    lapse_active = t.lapse_due_date.notnull() & (
        t.restored_date.isnull() | (t.restored_date < t.lapse_due_date)
    )
    t = t.mutate(
        lapse_due_date=ibis.ifelse(lapse_active, t.lapse_due_date, ibis.null("date")),
        grace_end=ibis.ifelse(lapse_active, grace_end_of(t.lapse_due_date, rules), ibis.null("date")),
        restore_deadline=ibis.ifelse(lapse_active, restore_deadline_of(t.lapse_due_date, rules),
                                     ibis.null("date")),
    )
    return t


def _state(t: ir.Table, day: ir.DateValue) -> ir.StringValue:
    granted = t.grant_date.notnull()
    return ibis.cases(
        (t.invalidated_date.notnull(), "invalidated"),
        (~granted & (t.withdrawn_date.notnull() | t.surrendered_date.notnull()), "withdrawn"),
        (~granted & t.rejected_date.notnull(), "rejected"),
        (t.ended_date.notnull(), "ended"),
        (~granted, "pending"),
        (t.surrendered_date.notnull(), "surrendered"),
        (t.lapse_due_date.notnull() & (day <= t.grace_end), "grace"),
        (t.lapse_due_date.notnull() & (day <= t.restore_deadline), "restorable"),
        (t.lapse_due_date.notnull(), "lapsed"),
        ((day >= t.term_end) | t.expiry_date.notnull(), "expired"),
        else_="valid",
    )


def _with_snapshot(t: ir.Table, con: ibis.BaseBackend, as_known_on: date | None) -> ir.Table:
    """Apply the latest bare-status snapshot taken by each day where the dated events are silent.

    A snapshot (有效 / 失效 / 审中 on an export date) says what was true on its own date and after it,
    never when it became true: an application with no grant event that a snapshot shows in force is
    'valid' from the snapshot on ('expired' once its term is over) and counts as granted, one shown
    ended is 'ended'; a decisive event dated after the snapshot overrides it.
    """
    snaps = con.table("status_snapshots")
    if as_known_on is not None:
        snaps = snaps.filter(snaps.snapshot_date <= ibis.date(as_known_on))
    taken = snaps.select("app_no", "snapshot_date").join(t.select("app_no", "day"), "app_no")
    taken = taken.filter(taken.snapshot_date <= taken.day)
    latest = taken.group_by(["app_no", "day"]).aggregate(snapshot_date=taken.snapshot_date.max())
    latest = latest.join(snaps, ["app_no", "snapshot_date"]).select(
        "app_no", "day", "snapshot_date", snapshot_status=snaps.status)
    t = _left(t, latest, ["app_no", "day"])
    day = t.day
    current = t.last_decisive_date.isnull() | (t.last_decisive_date <= t.snapshot_date)
    shown_granted = (current & (t.snapshot_status == "in_force") & (t.state == "pending")).fill_null(False)
    state = ibis.cases(
        (shown_granted & (day >= t.term_end), "expired"),
        (shown_granted, "valid"),
        (current & (t.snapshot_status == "ended") & t.state.isin(("pending", "valid")), "ended"),
        else_=t.state,
    )
    # A patent shown in force is granted although no source gives its grant date.
    return t.mutate(state=state, granted=t.grant_date.notnull() | shown_granted)


def _right_end(t: ir.Table, day: ir.DateValue) -> ir.DateValue:
    """The day the right ended, or the as-of day while it is in force."""
    return ibis.cases(
        (t.state.isin(IN_FORCE), day),
        (t.state == "invalidated", t.grant_date),  # invalidated rights are deemed never to have existed
        (t.state.isin(("restorable", "lapsed")), t.lapse_due_date),
        (t.state == "surrendered", t.surrendered_date),
        (t.state == "expired", ibis.least(t.term_end, t.expiry_date.fill_null(t.term_end))),
        (t.state == "ended", t.ended_date),  # null when only a snapshot said so: date unknown
        else_=ibis.null("date"),
    )


def _with_annuity(t: ir.Table, day: ir.DateValue, rules: FeeRules) -> ir.Table:
    """Next annuity due (date, patent year, amount) and, in the grace period, the late fee."""
    done = whole_years(t.filing_date, day)
    due_today = add_years(t.filing_date, done) == day
    k = ibis.ifelse(due_today, done, done + 1)  # the due date is the k-th anniversary
    in_grace = t.state == "grace"
    due_k = ibis.ifelse(in_grace, whole_years(t.filing_date, t.lapse_due_date), k)
    due_date = add_years(t.filing_date, due_k)
    full = _amount_case(t.patent_type, due_k + 1, rules)
    annual = full
    if rules.reduction_rate:
        grant_year = whole_years(t.filing_date, t.grant_date) + 1
        reduced = (due_k + 1) < grant_year + rules.reduction_years
        annual = ibis.ifelse(reduced, full * (1 - rules.reduction_rate), full)
    # Late fee (Guidelines Part V ch. 2; CNIPA fee schedule): none up to one whole month after the
    # due date, then 5% more of the FULL annuity for each further month begun: paid on the
    # corresponding day one month later it is still 0, the day after 5%.
    months = whole_months(t.lapse_due_date, day)
    exact = add_months(t.lapse_due_date, months) == day
    step = ibis.greatest(ibis.ifelse(exact, months - 1, months), 0)
    late_rate = ibis.cases(
        *[(step == m, rate) for m, rate in enumerate(rules.late_fee_rates)],
        else_=rules.late_fee_rates[-1],
    )
    has_due = t.state.isin(IN_FORCE) & (due_date < t.term_end)
    return t.mutate(
        next_due_date=ibis.ifelse(has_due, due_date, ibis.null("date")),
        next_due_year=ibis.ifelse(has_due, due_k + 1, ibis.null("int32")),
        next_due_amount=ibis.ifelse(has_due, annual, ibis.null("float64")),
        late_fee=ibis.ifelse(in_grace, full * late_rate, ibis.null("float64")),
    )
