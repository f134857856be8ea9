"""The warehouse facts a policy item pays for (docs/subsidies.md, "the facts each item pays for"): events in a period.

``events`` finds every event of an item's kind whose day lies in [start, end] — a grant, the first day a
high-value criterion holds, a PCT filing, a grant abroad, an approved interest subsidy, a recognition, an accepted
navigation project, a China Patent Award — with the facts the eligibility rules (rules.py) judge and the trace
shows.  It names the event and its subject only: it filters by the kind and by the criterion, offices, levels,
kinds or grades the item pays for, never by the item's conditions (region, patent type, in force, fields …).

The warehouse's own rules decide each fact, never a copy: the legal state and the grant date (legal/), the first
applicant's town and category (indicators.base.first_applicants), SEI codes (indicators.base.sei_matches), the
criterion periods (indicators.highvalue.criterion_periods), where a recognised enterprise is
(recognitions.records).  Each query runs once per call, for all the events found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from hvpatent.subsidies.policy import Item


@dataclass(frozen=True)
class Applicant:
    seq: int
    name_norm: str
    name: str
    applicant_type: str
    town_code: str | None


@dataclass(frozen=True)
class Event:
    item: str
    kind: str
    subject_kind: str            # patent | enterprise
    subject_key: str             # app_no, app_no@OFFICE (grant_abroad), the enterprise's normalised name; + #part
    subject_name: str | None
    app_no: str | None
    event_key: str               # names the one event paid: a live ledger row holds it
    event_date: date
    applicants: tuple[Applicant, ...]
    facts: dict = field(default_factory=dict)   # evidence, JSON-able


# The words of the awards table that name the China Patent Award (中国专利奖; its grades 金奖/银奖/优秀奖).
CHINA_PATENT_AWARD = "中国专利奖"


@dataclass
class _Found:
    """An event before its subject's facts are added: patent subjects get the patent's facts and applicants,
    enterprise subjects the enterprise as the one applicant (``town``: the town its own record gives)."""
    subject_kind: str
    subject_key: str
    subject_name: str | None
    app_no: str | None
    event_key: str
    event_date: date
    facts: dict
    town: str | None = None
    # What tells two events of one subject apart in the ledger's key (item, subject_key, period): an enterprise's
    # two projects accepted in a year, two recognition levels, a patent's award grades.  The Event's subject_key is
    # ``{subject_key}#{part}``; subject_key itself stays the patent or the enterprise (its facts are looked up by it).
    part: str | None = None


def events(con: ibis.BaseBackend, item: Item, start: date, end: date, *, as_of: date) -> list[Event]:
    """Every event of the item's kind whose day lies in [start, end], facts as on ``as_of``; ordered by
    (event_date, subject_key, event_key).  ValueError for a kind no finder knows."""
    finder = _FINDERS.get(item.kind)
    if finder is None:
        raise ValueError(f"unknown item kind {item.kind!r}")
    found = [f for f in finder(con, item, start, end, as_of) if start <= f.event_date <= end]
    patents = _patent_facts(con, sorted({f.app_no for f in found if f.subject_kind == "patent"}), as_of)
    firms = _enterprise_applicants(con, {_firm(f) for f in found if f.subject_kind == "enterprise"})
    out = []
    for f in found:
        if f.subject_kind == "patent":
            base, applicants = patents.get(f.app_no, ({}, ()))
            facts, name = {**base, **f.facts}, f.subject_name or base.get("title")
        else:
            facts, name, applicants = f.facts, f.subject_name, (firms[_firm(f)],)
        key = f"{f.subject_key}#{f.part}" if f.part else f.subject_key
        out.append(Event(item.id, item.kind, f.subject_kind, key, name, f.app_no, f.event_key,
                         f.event_date, applicants, _jsonable(facts)))
    return sorted(out, key=lambda e: (e.event_date, e.subject_key, e.event_key))


def _firm(found: _Found) -> tuple[str, str, str | None]:
    return found.subject_key, found.subject_name or found.subject_key, found.town


# -- finders: one query each ---------------------------------------------------------------------------------------

def _rows(expr: ir.Table) -> list[dict]:
    return expr.to_pyarrow().to_pylist()


def _has(con: ibis.BaseBackend, name: str) -> bool:
    from hvpatent.indicators.base import has_table

    return has_table(con, name)


def _invention_grants(con, item: Item, start: date, end: date, as_of: date) -> list[_Found]:
    """A grant (the ``granted`` legal event, at its effective date) of an invention: the grant the legal state on
    ``as_of`` knows.  A patent shown in force by a snapshot with no grant event has no grant day: no event."""
    from hvpatent.legal import legal_state

    apps = con.table("applications")
    states = legal_state(con, as_of, applications=apps.filter(apps.patent_type == "invention"), annuity=False)
    states = states.filter(states.grant_date.between(ibis.date(start), ibis.date(end)))
    return [_Found("patent", r["app_no"], None, r["app_no"], f"invention_grant:{r['app_no']}", r["grant_date"],
                   {"grant_date": r["grant_date"]}) for r in _rows(states.select("app_no", "grant_date"))]


def _high_value(con, item: Item, start: date, end: date, as_of: date) -> list[_Found]:
    """The first day the item's criterion holds for an invention (criterion_periods' valid_from, earliest over its
    evidence rows), with the evidence of that day; the state on that day goes in the facts (``state_on_event``)."""
    from hvpatent.indicators.highvalue import criterion_periods

    apps = con.table("applications")
    periods = criterion_periods(con, apps.filter(apps.patent_type == "invention"))
    periods = periods.filter(periods.criterion == item.criterion)
    first = periods.group_by("app_no").aggregate(first_day=periods.valid_from.min())
    first = first.filter(first.first_day.between(ibis.date(start), ibis.date(end)))
    rows = periods.join(first, "app_no")
    rows = rows.filter(rows.valid_from == rows.first_day).select("app_no", "first_day", "evidence")
    evidence: dict[tuple[str, date], list[str]] = {}
    for r in _rows(rows):
        evidence.setdefault((r["app_no"], r["first_day"]), []).append(r["evidence"])
    on_day = _states_on(con, list(evidence))
    return [_Found("patent", app_no, None, app_no, f"hv:{item.criterion}:{app_no}", day,
                   {"criterion": item.criterion, "evidence": "；".join(sorted(set(ev))),
                    "state_on_event": on_day.get(app_no)})
            for (app_no, day), ev in evidence.items()]


def _states_on(con, pairs: list[tuple[str, date]]) -> dict[str, str]:
    """The legal state of each (app_no, day) on that day, in one query (legal.state.states_on_days)."""
    if not pairs:
        return {}
    from hvpatent.legal.state import states_on_days
    from hvpatent.reference.fees import default_rules

    days = ibis.memtable({"app_no": [a for a, _ in pairs], "day": [d for _, d in pairs]},
                         schema={"app_no": "string", "day": "date"})
    states = states_on_days(con, days, default_rules()).select("app_no", "state")
    return {r["app_no"]: r["state"] for r in _rows(states)}


def _pct_filings(con, item: Item, start: date, end: date, as_of: date) -> list[_Found]:
    """An application that entered China from a PCT application (pct_app_no known): its day is the CN filing date,
    which for a national-phase entry is the international filing date."""
    apps = con.table("applications")
    apps = apps.filter(apps.pct_app_no.notnull() & apps.filing_date.between(ibis.date(start), ibis.date(end)))
    return [_Found("patent", r["app_no"], None, r["app_no"], f"pct:{r['app_no']}", r["filing_date"],
                   {"pct_app_no": r["pct_app_no"], "pct_entry_date": r["pct_entry_date"],
                    "filing_date": r["filing_date"]})
            for r in _rows(apps.select("app_no", "filing_date", "pct_app_no", "pct_entry_date"))]


def _grants_abroad(con, item: Item, start: date, end: date, as_of: date) -> list[_Found]:
    """A granted family member at an office outside the domestic ones (high-value settings), on its grant date;
    only the offices the item's amounts name.  A member with no grant date has no day: no event."""
    from hvpatent.indicators.config import high_value_settings

    members = con.table("family_members")
    members = members.filter(members.granted & ~members.office.isin(list(high_value_settings().domestic_offices))
                             & members.grant_date.between(ibis.date(start), ibis.date(end)))
    if item.amounts:
        members = members.filter(members.office.isin(list(item.amounts)))
    apps = con.table("applications")
    joined = apps.filter(apps.family_id.notnull()).join(members, "family_id")
    rows = _rows(joined.select("app_no", "office", "member_no", "grant_date"))
    return [_Found("patent", f"{r['app_no']}@{r['office']}", None, r["app_no"],
                   f"grant_abroad:{r['app_no']}:{r['office']}", r["grant_date"],
                   {"office": r["office"], "member_no": r["member_no"], "grant_date": r["grant_date"]})
            for r in rows]


def _pledge_interest(con, item: Item, start: date, end: date, as_of: date) -> list[_Found]:
    """An interest subsidy the finance ledger approved or paid (issue 18), on the last day of its claim period.
    The finance ledger is a workflow table: a Parquet/Spark export has none, and then there are no events."""
    from hvpatent.finance.ledger import period_range

    if not _has(con, "finance_ledger"):
        return []
    ledger = con.table("finance_ledger")
    ledger = ledger.filter((ledger.scheme == "interest_subsidy") & ledger.status.isin(("approved", "paid")))
    rows = _rows(ledger.select("contract_no", "period", "enterprise", "bank", "status", "approved_yuan"))
    names = _pledgor_names(con, {r["enterprise"] for r in rows})
    out = []
    for r in rows:
        day = period_range(r["period"])[1]
        out.append(_Found("enterprise", r["enterprise"], names.get(r["enterprise"], r["enterprise"]), None,
                          f"pledge_interest:{r['contract_no']}:{r['period']}", day,
                          {"contract_no": r["contract_no"], "finance_period": r["period"],
                           "finance_status": r["status"], "bank": r["bank"],
                           "finance_amount_yuan": None if r["approved_yuan"] is None else str(r["approved_yuan"])}))
    return out


def _pledgor_names(con, norms: set[str]) -> dict[str, str]:
    """The names the pledge registry gives the pledgors (finance_ledger keeps the normalised one only)."""
    if not norms or not _has(con, "pledge_contracts"):
        return {}
    contracts = con.table("pledge_contracts")
    named = contracts.filter(contracts.pledgor_norm.isin(sorted(norms)))
    named = named.group_by("pledgor_norm").aggregate(name=named.pledgor.max())
    return {r["pledgor_norm"]: r["name"] for r in _rows(named)}


def _recognitions(con, item: Item, start: date, end: date, as_of: date) -> list[_Found]:
    """A recognition of the item's kind (贯标 certification, advantage or demonstration enterprise) at a level the
    item's amounts name, on its recognised date; the enterprise placed by the recognitions' rule."""
    from hvpatent.recognitions.records import _placed

    if not _has(con, "recognitions"):
        return []
    placed = _placed(con, [item.kind], list(item.amounts) or None)
    placed = placed.filter(placed.recognised_date.between(ibis.date(start), ibis.date(end)))
    rows = _rows(placed.select("name_norm", "name", "level", "recognised_date", "expiry_date", "revoked_date",
                               "certifier", "certificate_no", "document", "region_code"))
    return [_Found("enterprise", r["name_norm"], r["name"], None,
                   f"{item.kind}:{r['name_norm']}:{r['level']}:{r['recognised_date'].isoformat()}",
                   r["recognised_date"],
                   {"kind": item.kind, "level": r["level"], "certificate_no": r["certificate_no"],
                    "recognised_date": r["recognised_date"], "expiry_date": r["expiry_date"],
                    "revoked_date": r["revoked_date"], "certifier": r["certifier"], "document": r["document"]},
                   town=r["region_code"], part=r["level"])
            for r in rows]


def _navigation(con, item: Item, start: date, end: date, as_of: date) -> list[_Found]:
    """An accepted navigation project run for an enterprise, on its accepted date; of the kinds the item's amounts
    name.  A project with no enterprise (an industry or region project the bureau runs) pays no one: no event."""
    if not _has(con, "navigation_projects"):
        return []
    projects = con.table("navigation_projects")
    projects = projects.filter((projects.status == "accepted") & projects.enterprise_norm.notnull()
                               & projects.accepted_date.between(ibis.date(start), ibis.date(end)))
    if item.amounts:
        projects = projects.filter(projects.kind.isin(list(item.amounts)))
    rows = _rows(projects.select("project_no", "title", "kind", "enterprise", "enterprise_norm", "accepted_date",
                                 "industry"))
    return [_Found("enterprise", r["enterprise_norm"], r["enterprise"] or r["enterprise_norm"], None,
                   f"navigation:{r['project_no']}", r["accepted_date"],
                   {"project_no": r["project_no"], "project_kind": r["kind"], "title": r["title"],
                    "accepted_date": r["accepted_date"], "project_industry": r["industry"]}, part=r["project_no"])
            for r in rows]


def _awards(con, item: Item, start: date, end: date, as_of: date) -> list[_Found]:
    """A China Patent Award of a grade the item's amounts name, dated 1 January of the award's year (the day is not
    recorded; the high-value award criterion counts from the same day, indicators.highvalue.criterion_periods)."""
    awards = con.table("awards")
    awards = awards.filter(awards.award.contains(CHINA_PATENT_AWARD)
                           & awards.year.between(start.year, end.year))
    if item.amounts:
        awards = awards.filter(awards.grade.isin(list(item.amounts)))
    out = []
    for r in _rows(awards.select("app_no", "award", "grade", "year")):
        day = date(r["year"], 1, 1)
        out.append(_Found("patent", r["app_no"], None, r["app_no"],
                          f"award:{r['app_no']}:{r['award']}:{r['grade']}:{r['year']}", day,
                          {"award": r["award"], "grade": r["grade"], "year": r["year"]}, part=r["grade"]))
    return out


_FINDERS: dict[str, Callable[..., list[_Found]]] = {
    "invention_grant": _invention_grants, "high_value_criterion": _high_value, "pct_filing": _pct_filings,
    "grant_abroad": _grants_abroad, "pledge_interest": _pledge_interest, "ip_standard": _recognitions,
    "ip_advantage": _recognitions, "ip_demonstration": _recognitions, "navigation_project": _navigation,
    "china_patent_award": _awards,
}


# -- the subjects' facts ------------------------------------------------------------------------------------------

def _patent_facts(con, app_nos: list[str], as_of: date) -> dict[str, tuple[dict, tuple[Applicant, ...]]]:
    """Per application: its facts on ``as_of`` (patent_type, state, in_force, grant_date, ipc_main, ipcs, sei,
    title) and its applicants in order — the first with its town and category by first_applicants' rules, the
    others with their party town and type."""
    if not app_nos:
        return {}
    from hvpatent.indicators.base import first_applicants, sei_matches
    from hvpatent.legal import IN_FORCE, legal_state

    apps = ibis.memtable({"app_no": app_nos}, schema={"app_no": "string"})
    table = con.table("applications").semi_join(apps, "app_no")
    states = {r["app_no"]: r for r in _rows(legal_state(con, as_of, applications=table, annuity=False)
                                            .select("app_no", "state", "grant_date"))}
    ipcs = con.table("ipc_classes").semi_join(apps, "app_no")
    ipc_lists: dict[str, list[str]] = {}
    for r in _rows(ipcs.order_by(["app_no", "seq"]).select("app_no", "ipc")):
        ipc_lists.setdefault(r["app_no"], []).append(r["ipc"])
    sei = sei_matches(con, table)
    sei_codes: dict[str, set[str]] = {}
    for r in _rows(sei.select("app_no", "code").distinct()):
        sei_codes.setdefault(r["app_no"], set()).add(r["code"])
    out = {}
    for r in _rows(table.select("app_no", "patent_type", "ipc_main", "title", "filing_date")):
        state = states.get(r["app_no"], {})
        facts = {"patent_type": r["patent_type"], "state": state.get("state"),
                 "in_force": state.get("state") in IN_FORCE, "grant_date": state.get("grant_date"),
                 "ipc_main": r["ipc_main"], "ipcs": ipc_lists.get(r["app_no"], []),
                 "sei": sorted(sei_codes.get(r["app_no"], ())), "title": r["title"]}
        out[r["app_no"]] = (facts, ())
    for app_no, people in _patent_applicants(con, apps, first_applicants).items():
        if app_no in out:
            out[app_no] = (out[app_no][0], people)
    return out


def _patent_applicants(con, apps: ir.Table, first_applicants) -> dict[str, tuple[Applicant, ...]]:
    first = first_applicants(con, apps)
    people: dict[str, list[Applicant]] = {}
    for r in _rows(first.select("app_no", "applicant", "applicant_name", "applicant_type", "town_code")):
        people.setdefault(r["app_no"], []).append(Applicant(1, r["applicant"], r["applicant_name"],
                                                            r["applicant_type"], r["town_code"]))
    parties = con.table("parties").semi_join(apps, "app_no")
    parties = parties.filter(parties.seq > 1).order_by(["app_no", "seq"])
    for r in _rows(parties.select("app_no", "seq", "name_norm", "name", "party_type", "town_code")):
        people.setdefault(r["app_no"], []).append(Applicant(r["seq"], r["name_norm"], r["name"], r["party_type"],
                                                            r["town_code"]))
    return {app_no: tuple(sorted(found, key=lambda a: a.seq)) for app_no, found in people.items()}


def _enterprise_applicants(con, entries: set[tuple[str, str, str | None]]) -> dict[tuple, Applicant]:
    """The enterprise of each (name_norm, name, town its record gives) as an applicant: its town the record's, else
    the one assigned by hand or the enterprise directory's (reference.applicant_towns); its category by the
    first applicants' evidence (reference.applicant_categories: settled > credit code > name > directory)."""
    if not entries:
        return {}
    from hvpatent.reference.applicant_categories import category_of_name, with_categories
    from hvpatent.reference.applicant_towns import with_overrides

    keyed = sorted(entries, key=lambda e: (e[0], e[2] or "", e[1]))
    null = [None] * len(keyed)
    rows = ibis.memtable({"idx": list(range(len(keyed))), "applicant": [e[0] for e in keyed],
                          "applicant_type": [category_of_name(e[1]) for e in keyed], "given": [e[2] for e in keyed],
                          "province_code": null, "city_code": null, "county_code": null, "town_code": null},
                         schema={"idx": "int64", "applicant": "string", "applicant_type": "string", "given": "string",
                                 "province_code": "string", "city_code": "string", "county_code": "string",
                                 "town_code": "string"})
    placed = with_categories(with_overrides(rows, con), con)
    placed = placed.select("idx", "applicant_type", town=ibis.coalesce(placed.given, placed.town_code))
    out = {}
    for r in _rows(placed):
        norm, name, given = keyed[r["idx"]]
        out[(norm, name, given)] = Applicant(1, norm, name, r["applicant_type"], r["town"])
    return out


def _jsonable(facts: dict) -> dict:
    """Dates as ISO strings, decimals as strings: the trace is stored as JSON."""
    def plain(value):
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value
    return {key: plain(value) for key, value in facts.items()}
