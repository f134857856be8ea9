"""Legal-state timelines: each application's state as intervals [valid_from, valid_to).

The state of an application changes only on a few days: its filing date, the effective date of each of
its events, the day after a lapse's grace period and restoration deadline, the end of its term and the
date of each status snapshot. The timeline evaluates the rules of legal/state.py on exactly those days
(``states_on_days``: the same expressions, with the day as a column), and each evaluation holds until
the next such day. So the state on any date is a range filter on the stored timeline, and the answers
are those of the rules by construction (tests/test_timeline.py checks every application of a generated
world on many dates).

What moves with the day itself (years maintained while in force, the next annuity, the late fee) is
computed at query time by ``finish_state``, as the direct path does.

The timelines use hindsight (every event at its legal effective date). A figure "as known on" a date
(``as_known_on``) depends on publication dates and is computed by the rules directly.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from hvpatent.legal.state import (
    finish_state,
    grace_end_of,
    lapse_effective_dates,
    restore_deadline_of,
    states_on_days,
    term_end,
)
from hvpatent.reference.fees import FeeRules, default_rules
from hvpatent.warehouse.derived import fingerprint_of

TABLE = "legal_timeline"
# Bump when the timeline's columns or rules change: stored timelines of another version are rebuilt.
VERSION = 1


def fingerprint(rules: FeeRules | None = None) -> str:
    """What a stored timeline was built with: the version and the rules that decide states.

    Fee amounts are left out: they are applied at query time (``finish_state``).
    """
    rules = rules or default_rules()
    basis = {"version": VERSION, "term_years": rules.term_years, "grace": rules.grace_period_months,
             "restore": rules.restoration_months_after_notice, "receipt": rules.notice_receipt_days}
    return fingerprint_of(basis)


def change_days(con: ibis.BaseBackend, apps: ir.Table, rules: FeeRules) -> ir.Table:
    """(app_no, day): every day on which an application's state can change, from its filing date on."""
    apps = apps.select("app_no", "patent_type", "filing_date")
    events = con.table("legal_events").semi_join(apps, "app_no")
    lapses = lapse_effective_dates(events, apps.select("app_no", "filing_date"), rules)
    adjusted = events.filter((events.event_type == "term_adjustment") & events.effective_date.notnull())
    adjusted = adjusted.group_by("app_no").aggregate(term_end_adjusted=adjusted.effective_date.max())
    terms = apps.left_join(adjusted, "app_no")
    snaps = con.table("status_snapshots").semi_join(apps, "app_no")
    one_day = ibis.interval(days=1)
    parts = [
        apps.select("app_no", day=apps.filing_date),
        events.select("app_no", day=ibis.coalesce(events.effective_date, events.event_date)),
        lapses.select("app_no", day=lapses.effective),
        lapses.select("app_no", day=grace_end_of(lapses.effective, rules) + one_day),
        lapses.select("app_no", day=restore_deadline_of(lapses.effective, rules) + one_day),
        terms.select(app_no=terms.app_no, day=term_end(terms, rules)),
        snaps.select("app_no", day=snaps.snapshot_date),
    ]
    days = ibis.union(*[p.select(app_no=p.app_no.cast("string"), day=p.day.cast("date")) for p in parts],
                      distinct=True)
    first = apps.select("app_no", "filing_date")
    days = days.join(first, "app_no")
    return days.filter(days.day >= days.filing_date).select("app_no", "day")


def timeline(con: ibis.BaseBackend, apps: ir.Table | None = None, rules: FeeRules | None = None) -> ir.Table:
    """The timeline rows of the applications in ``apps`` (default: all): the state facts of states_on_days
    with ``valid_from`` (the day they start) and ``valid_to`` (the next change; null: open-ended)."""
    rules = rules or default_rules()
    apps_all = con.table("applications")
    apps = apps_all if apps is None else apps_all.semi_join(apps.select("app_no"), "app_no")
    states = states_on_days(con, change_days(con, apps, rules), rules)
    following = ibis.window(group_by="app_no", order_by="day")
    states = states.mutate(valid_to=states.day.lead().over(following))
    return states.rename(valid_from="day")


def timeline_ready(con: ibis.BaseBackend, rules: FeeRules) -> bool:
    """Whether the stored timelines are complete and were built with these rules."""
    from hvpatent.warehouse.derived import is_current

    return is_current(con, TABLE, fingerprint(rules))


def state_from_timeline(con: ibis.BaseBackend, as_of: date, rules: FeeRules,
                        applications: ir.Table | None = None, annuity: bool = True) -> ir.Table:
    """legal_state() read from the stored timelines: the interval that holds ``as_of``."""
    day = ibis.date(as_of)
    t = con.table(TABLE)
    t = t.filter((t.valid_from <= day) & (t.valid_to.isnull() | (t.valid_to > day)))
    if applications is not None:
        t = t.semi_join(applications.select("app_no"), "app_no")
    return finish_state(t.drop("valid_from", "valid_to"), day, rules, annuity)


def states_on_dates(con: ibis.BaseBackend, days: list[date], rules: FeeRules | None = None,
                    as_known_on: date | None = None, applications: ir.Table | None = None) -> ir.Table:
    """legal_state() of several days in one query: a row per application and day, the day as ``day``;
    only the ``applications`` given (an ``app_no`` column), when given.

    From the stored timelines the intervals holding each day (a range join); otherwise, or for
    ``as_known_on``, the rules evaluated with the day as a column (legal/state.py, states_on_days).
    Without the next-annuity columns, which no indicator reads."""
    rules = rules or default_rules()
    dates = ibis.memtable({"day": list(days)}, schema={"day": "date"})
    if as_known_on is None and timeline_ready(con, rules):
        t = con.table(TABLE)
        if applications is not None:
            t = t.semi_join(applications.select("app_no"), "app_no")
        t = t.join(dates, (t.valid_from <= dates.day) & (t.valid_to.isnull() | (t.valid_to > dates.day)))
        t = t.drop("valid_from", "valid_to")
    else:
        apps = con.table("applications").select("app_no", "filing_date")
        if applications is not None:
            apps = apps.semi_join(applications.select("app_no"), "app_no")
        pairs = apps.cross_join(dates)
        t = states_on_days(con, pairs.filter(pairs.filing_date <= pairs.day).select("app_no", "day"), rules,
                           as_known_on)
    return finish_state(t, t.day, rules, annuity=False)
