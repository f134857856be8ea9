"""The state of a registered trademark on any day: the rules once in plain Python (``mark_state``, the
reference) and once as a portable Ibis expression over the warehouse (``mark_states``, DuckDB and Spark); a test
runs both over hand-built marks on every boundary day.  docs/trademarks.md has the rules with their articles.

In short (Trademark Law 2019, TM Law; Implementing Regulations 2014, Regs):
- the right starts on the registration day (核准注册之日, art. 39); after an opposition that failed, on the day the
  three-month opposition period ends (art. 36(2)): preliminary publication + 3 months;
- a term is 10 years: registered 2015-03-14, the term ends 2025-03-13 ((R − 1 day) + 10 years, art. 39);
- renewal within the 12 months before the term ends, or in the 6 months' grace after it (art. 40); each renewal
  runs 10 years from the day after the previous term's end, so the n-th term ends n × 10 years after the first;
  a renewal filed in the window or in grace continues the mark from its filing day;
- the export's term_end (专用权期限, as CNIPA printed it) is authoritative when given: the term in force on the
  export day ends on it, earlier terms ended 10, 20 … years before it (the chain back to the start of the right,
  ``term_chain``), so the renewals it shows count as made in time; renewal events extend the chain beyond it;
- in grace the registration still subsists (state ``in_grace``, effective); from the day after the grace period
  the mark is ``lapsed`` (注销 for not renewing, art. 40);
- 撤销 (arts. 49, 55): ends on the announcement day; 注销 on request (Regs art. 73): on the day the office received
  the request (the event's effective_date); 宣告无效 (arts. 44, 45, 47): the mark leaves the count from the
  invalidation (a past day's figure keeps what the register showed then);
- a status snapshot (status_text such as 注销 / 撤销 / 无效, as of status_date) without any dated ending event
  ends the mark from status_date.
Events count from their effective date (effective_date, else event_date), with hindsight (as legal/state.py).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from hvpatent.legal.state import add_months, add_years, whole_years

STATES = ("pending", "refused", "registered", "in_grace", "lapsed", "cancelled", "invalidated", "unknown")
EFFECTIVE = ("registered", "in_grace")  # the registration subsists on the day
TERM_YEARS, RENEWAL_WINDOW_MONTHS, GRACE_MONTHS, OPPOSITION_MONTHS = 10, 12, 6, 3
KEYS = ["reg_no", "nice_class"]
ONE_DAY = timedelta(days=1)
# Dated events that end a registered mark, with the state they give; when several are in effect the first of
# this order decides (an invalidation voids the mark whatever ended it before).
ENDING_EVENTS = (("invalidated", "invalidated"), ("cancelled_nonuse", "cancelled"),
                 ("cancelled_request", "cancelled"), ("not_renewed", "lapsed"))
REFUSING_EVENTS = ("rejected", "opposition_upheld", "withdrawn")  # a mark never registered
RENEWAL_EVENTS = ("renewal_filed", "renewed")
# A renewal request refused, not accepted, withdrawn or deemed abandoned: the filings of that term before it no
# longer continue the mark (a later filing in time, or an approval, still does).
RENEWAL_REFUSED = "renewal_refused"
# Status snapshot words (the export's 商标状态), first match wins; a text with a "pending" marker (撤销/无效宣告
# 申请审查中, 待审) says a proceeding is under way, not that the mark ended.
SNAPSHOT_WORDS = (("宣告无效", "invalidated"), ("撤销", "cancelled"), ("注销", "cancelled"), ("无效", "unknown"),
                  ("失效", "unknown"), ("销亡", "unknown"), ("驳回", "refused"), ("不予注册", "refused"),
                  ("已注册", "registered"), ("注册商标", "registered"), ("有效", "registered"))
SNAPSHOT_PENDING = ("申请", "审查中", "待", "复审")


@dataclass(frozen=True)
class MarkState:
    state: str
    effective: bool
    term_end: date | None = None       # end of the term in force on the day
    renewal_opens: date | None = None  # first day of the 12-month renewal window
    grace_end: date | None = None      # last day of the 6 months' grace


# -- plain Python: the reference --------------------------------------------------------------------------------
def shift_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` (either sign), clamped to the month's last day (2024-02-29 + 12 → 2025-02-28)."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _add_years(day: date, years: int) -> date:
    return shift_months(day, 12 * years)


def _whole_years(start: date, end: date) -> int:
    guess = end.year - start.year
    return guess - (_add_years(start, guess) > end)


def first_term_end(start: date) -> date:
    """The last day of the first 10-year term of a right that starts on ``start`` (art. 39)."""
    return _add_years(start - timedelta(days=1), TERM_YEARS)


def term_end_after(registration_date: date, renewals: int) -> date:
    """The last day of the term in force after ``renewals`` renewals, computed from the registration day alone
    (art. 40: each 10 years from the day after the previous term's end, (S − 1 day) + 10 years); the export's
    term_end, when given, decides instead (``term_chain``)."""
    return _add_years(first_term_end(registration_date), TERM_YEARS * renewals)


def renewal_opens(term_end: date) -> date:
    return shift_months(term_end, -RENEWAL_WINDOW_MONTHS) + timedelta(days=1)


def grace_end(term_end: date) -> date:
    return shift_months(term_end, GRACE_MONTHS)


def snapshot_state(text: str | None) -> str | None:
    """What a status text says, or None (no word known, or a proceeding under way)."""
    if not text or any(w in text for w in SNAPSHOT_PENDING):
        return None
    return next((state for word, state in SNAPSHOT_WORDS if word in text), None)


def _effective_day(event: dict) -> date:
    return event.get("effective_date") or event["event_date"]


def registration_start(mark: dict, events: list[dict]) -> date | None:
    """The first day of the right: the registration day, or after a failed opposition the day the three-month
    opposition period ends (art. 36(2)); None when the mark was never registered."""
    registered = [_effective_day(e) for e in events if e["event_type"] == "registered"]
    day = mark.get("registration_date") or (min(registered) if registered else None)
    if day is None:
        return None
    opposed = any(e["event_type"] == "opposition_rejected" for e in events)
    if opposed and mark.get("prelim_pub_date"):
        return shift_months(mark["prelim_pub_date"], OPPOSITION_MONTHS)
    return day


def known_from(mark: dict, start: date | None) -> date | None:
    """The first day a mark is in the statistics at all (filed, else registered, published or exported)."""
    return mark.get("filing_date") or start or mark.get("prelim_pub_date") or mark.get("status_date")


def term_chain(start: date, export_end: date | None) -> tuple[date, int]:
    """(anchor, k): the term ends of a right that starts on ``start`` are ``anchor + 10 × (n − k)`` years after
    n renewals. Without an export term_end the anchor is the computed first term's end (k = 0). With one, the
    export is authoritative (CNIPA's dates: an opposed mark's right from the end of the opposition period, a
    Madrid mark's from its international registration, a renewed term): the anchor is the export's term_end and
    k the renewals it shows: the term ends nearest to 10, 20 … years after the start, i.e. k = round(whole years
    from start to term_end + 1 day, in decades) − 1, at least 0 (an end 5 to 15 years after the start is the
    first term's)."""
    if export_end is None:
        return first_term_end(start), 0
    years = _whole_years(start, export_end + timedelta(days=1))
    return export_end, max(0, (years + 5) // TERM_YEARS - 1)


def _renewals(events: list[dict], first_end: date, day: date, exported: int) -> int:
    """Renewals in effect on ``day``: those the export's term_end shows (``exported``), and each renewal event by
    then whose filing fell in a term's window or grace (an approval, ``renewed``, counts for the latest window
    opened)."""
    def term_of(on: date) -> int:
        term = 0
        while renewal_opens(_add_years(first_end, TERM_YEARS * (term + 1))) <= on:
            term += 1  # the latest term whose renewal window had opened by then
        return term

    refused: dict[int, date] = {}  # term -> the last refusal of its renewal in effect on the day
    for event in events:
        on = _effective_day(event)
        if event["event_type"] == RENEWAL_REFUSED and on <= day:
            refused[term_of(on)] = max(on, refused.get(term_of(on), on))
    count = exported
    for event in events:
        on = _effective_day(event)
        if event["event_type"] not in RENEWAL_EVENTS or on > day:
            continue
        term = term_of(on)
        end = _add_years(first_end, TERM_YEARS * term)
        if renewal_opens(end) > on:
            continue  # filed before the first window opened: not a renewal in time
        if event["event_type"] == "renewal_filed" and (on > grace_end(end) or on <= refused.get(term, on - ONE_DAY)):
            continue  # filed too late, or refused since
        count = max(count, term + 1)
    return count


def mark_state(mark: dict, events: list[dict], day: date) -> MarkState:
    """The state of one mark (a stored ``trademarks`` row as a dict) with its events on ``day``."""
    start = registration_start(mark, events)
    in_effect = [e for e in events if _effective_day(e) <= day]
    snapshot = None
    if mark.get("status_date") and mark["status_date"] <= day:
        snapshot = snapshot_state(mark.get("status_text"))
    if start is None or start > day:
        if any(e["event_type"] in REFUSING_EVENTS for e in in_effect) or snapshot == "refused":
            return MarkState("refused", False)
        if start is None and snapshot is not None:
            return MarkState("unknown", False)  # the export says registered or ended, without a registration day
        return MarkState("pending", False)
    anchor, exported = term_chain(start, mark.get("term_end"))
    first_end = _add_years(anchor, -TERM_YEARS * exported)
    end = _add_years(anchor, TERM_YEARS * (_renewals(events, first_end, day, exported) - exported))
    terms = {"term_end": end, "renewal_opens": renewal_opens(end), "grace_end": grace_end(end)}
    ended_by = {e["event_type"] for e in in_effect}
    for event_type, state in ENDING_EVENTS:
        if event_type in ended_by:
            return MarkState(state, False, **terms)
    if day > terms["grace_end"]:
        return MarkState("lapsed", False, **terms)
    dated_end = any(e["event_type"] in dict(ENDING_EVENTS) for e in events)
    if not dated_end and snapshot not in (None, "registered", "refused"):
        return MarkState(snapshot, False, **terms)
    return MarkState("in_grace" if day > end else "registered", True, **terms)


# -- Ibis: the same rules over the warehouse ---------------------------------------------------------------------
def _flag(condition: ir.BooleanValue) -> ir.IntegerValue:
    return ibis.ifelse(condition, 1, 0).max()


def _first(events: ir.Table, types: tuple[str, ...]) -> ir.DateValue:
    return ibis.ifelse(events.event_type.isin(types), events.effective, ibis.null("date")).min()


def _left(t: ir.Table, other: ir.Table, keys: list[str]) -> ir.Table:
    joined = t.left_join(other, keys)
    return joined.drop(*[f"{k}_right" for k in keys if f"{k}_right" in joined.columns])


def _snapshot(text: ir.StringValue) -> ir.StringValue:
    pending = ibis.literal(False)
    for word in SNAPSHOT_PENDING:
        pending |= text.contains(word)
    branches = [(text.contains(word), state) for word, state in SNAPSHOT_WORDS]
    return ibis.ifelse(text.isnull() | pending, ibis.null("string"), ibis.cases(*branches, else_=ibis.null("string")))


def _term_end(first_end: ir.DateValue, renewals: ir.IntegerValue) -> ir.DateValue:
    return add_years(first_end, renewals * TERM_YEARS)


def _opens(term_end: ir.DateValue) -> ir.DateValue:
    return add_months(term_end, ibis.literal(-RENEWAL_WINDOW_MONTHS)) + ibis.interval(days=1)


def mark_states(con: ibis.BaseBackend, day: date, marks: ir.Table | None = None) -> ir.Table:
    """One row per (reg_no, nice_class) known on ``day`` (filed by then): state, effective, term_end,
    renewal_opens, grace_end, as ``mark_state`` gives them. ``marks``: only these rows of ``trademarks``."""
    m = marks if marks is not None else con.table("trademarks")
    return _states(con, m.mutate(day=ibis.date(day))).drop("day")


def mark_states_on(con: ibis.BaseBackend, days: list[date], marks: ir.Table | None = None) -> ir.Table:
    """``mark_states`` of several days in one query (a column ``day``): a trend compiles once, not per day."""
    m = marks if marks is not None else con.table("trademarks")
    return _states(con, m.cross_join(ibis.memtable({"day": sorted(set(days))}, schema={"day": "date"})))


def _states(con: ibis.BaseBackend, m: ir.Table) -> ir.Table:
    """The rules over marks with a column ``day`` (a constant, or several days per mark)."""
    on_day = [*KEYS, "day"]
    m = m.select(*on_day, "filing_date", "prelim_pub_date", "registration_date", "status_text", "status_date",
                 export_end=m.term_end)
    ev = con.table("trademark_events")
    ev = ev.select(*KEYS, "event_type", effective=ibis.coalesce(ev.effective_date, ev.event_date))
    ending = tuple(t for t, _ in ENDING_EVENTS)
    whole = ev.group_by(KEYS).aggregate(registered_on=_first(ev, ("registered",)),
                                        opposed=_flag(ev.event_type == "opposition_rejected"),
                                        dated_end=_flag(ev.event_type.isin(ending)))
    t = _left(m, whole, KEYS)
    registered = ibis.coalesce(t.registration_date, t.registered_on)
    opposed = (t.opposed == 1) & t.prelim_pub_date.notnull()
    start = ibis.ifelse(registered.notnull() & opposed, add_months(t.prelim_pub_date, ibis.literal(OPPOSITION_MONTHS)),
                        registered)
    t = t.mutate(start=start)
    # term_chain: the export's term_end anchors the chain of term ends when given
    decades = (whole_years(t.start, t.export_end + ibis.interval(days=1)) + 5) // TERM_YEARS - 1
    t = t.mutate(exported=ibis.ifelse(t.export_end.isnull(), 0, ibis.greatest(decades, 0)),
                 anchor=ibis.coalesce(t.export_end,
                                      add_years(t.start - ibis.interval(days=1), ibis.literal(TERM_YEARS))))
    t = t.mutate(first_end=add_years(t.anchor, -t.exported * TERM_YEARS))
    t = t.filter(ibis.coalesce(t.filing_date, t.start, t.prelim_pub_date, t.status_date) <= t.day)
    upto = ev.join(t.select(*on_day, "first_end"), KEYS)
    upto = upto.filter(upto.effective <= upto.day)
    dated = upto.group_by(on_day).aggregate(
        refused=_flag(upto.event_type.isin(REFUSING_EVENTS)),
        **{f"on_{e}": _flag(upto.event_type == e) for e in ending})
    t = _left(t, dated, on_day)
    t = _left(t, _renewal_count(upto), on_day)
    renewals = ibis.greatest(t.exported, t.renewals.fill_null(0))
    t = t.mutate(term_end=ibis.ifelse(t.start <= t.day, _term_end(t.anchor, renewals - t.exported),
                                      ibis.null("date")))
    t = t.mutate(renewal_opens=_opens(t.term_end), grace_end=add_months(t.term_end, ibis.literal(GRACE_MONTHS)))
    snapshot = ibis.ifelse(t.status_date <= t.day, _snapshot(t.status_text), ibis.null("string"))
    on = {e: t[f"on_{e}"].fill_null(0) == 1 for e in ending}
    not_registered = t.start.isnull() | (t.start > t.day)
    state = ibis.cases(
        (not_registered & ((t.refused.fill_null(0) == 1) | (snapshot.fill_null("") == "refused")), "refused"),
        (t.start.isnull() & snapshot.notnull(), "unknown"),
        (not_registered, "pending"),
        *[(on[e], s) for e, s in ENDING_EVENTS],
        (t.day > t.grace_end, "lapsed"),
        ((t.dated_end.fill_null(0) == 0) & snapshot.notnull() & ~snapshot.isin(("registered", "refused")),
         snapshot),
        (t.day > t.term_end, "in_grace"),
        else_="registered",
    )
    t = t.mutate(state=state)
    return t.select(*on_day, "state", effective=t.state.isin(EFFECTIVE), term_end=t.term_end,
                    renewal_opens=t.renewal_opens, grace_end=t.grace_end)


def _renewal_count(upto: ir.Table) -> ir.Table:
    """(reg_no, nice_class, day, renewals): the renewals the events in effect give (see ``_renewals``). The term
    a filing renews is the latest whose window had opened by then: whole years from the first term's end to
    (filing − 1 day + 12 months), divided by 10."""
    def with_term(events: ir.Table) -> ir.Table:
        reach = add_months(events.effective - ibis.interval(days=1), ibis.literal(RENEWAL_WINDOW_MONTHS))
        return events.mutate(reach=reach, term=whole_years(events.first_end, reach) // TERM_YEARS)

    r = with_term(upto.filter(upto.event_type.isin(RENEWAL_EVENTS) & upto.first_end.notnull()))
    refusals = with_term(upto.filter((upto.event_type == RENEWAL_REFUSED) & upto.first_end.notnull()))
    refusals = refusals.group_by([*KEYS, "day", "term"]).aggregate(refused_on=refusals.effective.max())
    r = r.left_join(refusals, [*KEYS, "day", "term"]).select(r, "refused_on")
    end = _term_end(r.first_end, r.term)
    filed_in_time = ((r.effective <= add_months(end, ibis.literal(GRACE_MONTHS)))
                     & (r.refused_on.isnull() | (r.effective > r.refused_on)))
    in_time = (r.reach >= r.first_end) & ((r.event_type == "renewed") | filed_in_time)
    r = r.filter(in_time).mutate(renewals=r.term + 1)
    return r.group_by([*KEYS, "day"]).aggregate(renewals=r.renewals.max())


__all__ = ["EFFECTIVE", "STATES", "MarkState", "first_term_end", "grace_end", "mark_state", "mark_states",
           "mark_states_on", "registration_start", "renewal_opens", "snapshot_state", "term_chain", "term_end_after"]
