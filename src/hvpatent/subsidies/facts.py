"""The warehouse facts a policy item pays for (docs/subsidies.md, "the facts each item pays for"): events in a period.

``events`` finds every event of an item's kind whose day lies in [start, end] — a grant, the first day a
high-value criterion holds, a PCT filing, a grant abroad, an approved interest subsidy, a recognition, an accepted
navigation project, a China Patent Award — with the facts the eligibility rules (rules.py) judge and the trace
shows.  It names the event and its subject only: it filters by the kind and by the criterion, offices, levels,
kinds or grades the item pays for, never by the item's conditions (region, patent type, in force, fields …).

The warehouse's own rules decide each fact, never a copy: the legal state and the grant date (legal/), the first
applicant's town and category (indicators.base.first_applicants), SEI codes (indicators.base.sei_matches), the
criterion periods (indicators.highvalue.criterion_periods), where a recognised enterprise is
(recognitions.records).  Each query runs once per call, for all the events found; a caller judging many items
on one as-of day (rules.eligible) passes one ``memo`` dict to every call, and then the legal states, the criterion
periods, the families abroad and each patent's or enterprise's facts are read once for all of them.
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


def events(con: ibis.BaseBackend, item: Item, start: date, end: date, *, as_of: date,
           memo: dict | None = None) -> list[Event]:
    """Every event of the item's kind whose day lies in [start, end], facts as on ``as_of``; ordered by
    (event_date, subject_key, event_key), one per event_key (the earliest).  ``memo``: a dict the caller keeps for
    one assessment (the same warehouse, any as-of days): what was read for one item is reused by the next.
    ValueError for a kind no finder knows."""
    finder = _FINDERS.get(item.kind)
    if finder is None:
        raise ValueError(f"unknown item kind {item.kind!r}")
    memo = {} if memo is None else memo
    found = [f for f in finder(con, item, start, end, as_of, memo) if start <= f.event_date <= end]
    found.sort(key=lambda f: (f.event_date, f.subject_key, f.part or "", f.event_key))
    found = list({f.event_key: f for f in reversed(found)}.values())   # one event per key: the earliest
    patents = _patent_facts(con, sorted({f.app_no for f in found if f.subject_kind == "patent"}), as_of, memo)
    firms = _enterprise_applicants(con, {_firm(f) for f in found if f.subject_kind == "enterprise"}, memo)
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


def _memo(memo: dict, key: tuple, compute: Callable[[], object]):
    """The value kept under ``key``, computed on first use."""
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _firm(found: _Found) -> tuple[str, str, str | None]:
    return found.subject_key, found.subject_name or found.subject_key, found.town


# -- finders: one query each ---------------------------------------------------------------------------------------

def _rows(expr: ir.Table) -> list[dict]:
    return expr.to_pyarrow().to_pylist()


def _has(con: ibis.BaseBackend, name: str) -> bool:
    from hvpatent.indicators.base import has_table

    return has_table(con, name)


def _invention_states(con, as_of: date, memo: dict) -> dict[str, dict]:
    """Every invention's legal state and grant date on ``as_of`` (legal.legal_state), read once per memo."""
    from hvpatent.legal import legal_state

    def read() -> dict[str, dict]:
        apps = con.table("applications")
        states = legal_state(con, as_of, applications=apps.filter(apps.patent_type == "invention"), annuity=False)
        return {r["app_no"]: r for r in _rows(states.select("app_no", "state", "grant_date"))}
    return _memo(memo, ("invention_states", as_of), read)


def _invention_grants(con, item: Item, start: date, end: date, as_of: date, memo: dict) -> list[_Found]:
    """A grant (the ``granted`` legal event, at its effective date) of an invention: the grant the legal state on
    ``as_of`` knows.  A patent shown in force by a snapshot with no grant event has no grant day: no event."""
    return [_Found("patent", app_no, None, app_no, f"invention_grant:{app_no}", r["grant_date"],
                   {"grant_date": r["grant_date"]})
            for app_no, r in _invention_states(con, as_of, memo).items()
            if r["grant_date"] is not None and start <= r["grant_date"] <= end]


def _criterion_periods(con, memo: dict) -> dict[str, dict[str, list[dict]]]:
    """{criterion: {app_no: [period rows]}} of every invention (indicators.highvalue.criterion_periods), read once
    per memo."""
    from hvpatent.indicators.highvalue import criterion_periods

    def read() -> dict[str, dict[str, list[dict]]]:
        apps = con.table("applications")
        periods = criterion_periods(con, apps.filter(apps.patent_type == "invention"))
        out: dict[str, dict[str, list[dict]]] = {}
        for r in _rows(periods):
            out.setdefault(r["criterion"], {}).setdefault(r["app_no"], []).append(r)
        return out
    return _memo(memo, ("criterion_periods",), read)


def _covers(period: dict, day: date) -> bool:
    """A criterion period [valid_from, valid_to) holds on the day (valid_to null: open-ended)."""
    return period["valid_from"] <= day and (period["valid_to"] is None or day < period["valid_to"])


def _high_value(con, item: Item, start: date, end: date, as_of: date, memo: dict) -> list[_Found]:
    """The first day the patent is a granted invention meeting the item's criterion: the earliest day, on or after
    the grant (the grant the legal state on ``as_of`` knows), that a criterion period holds — the later of the
    criterion's valid_from and the grant date.  Not granted by ``as_of``, or the day after ``as_of``: no event yet.
    Facts: the evidence holding on that day, the first day the criterion held at all (``criterion_from``, before
    the grant for a criterion met while pending) and the legal state on the event day (``state_on_event``)."""
    states = _invention_states(con, as_of, memo)
    found = []
    for app_no, periods in _criterion_periods(con, memo).get(item.criterion, {}).items():
        grant = (states.get(app_no) or {}).get("grant_date")
        if grant is None:
            continue
        days = [max(p["valid_from"], grant) for p in periods]
        days = [d for d, p in zip(days, periods, strict=True) if _covers(p, d) and d <= as_of]
        if not days or not start <= min(days) <= end:
            continue
        day = min(days)
        evidence = sorted({p["evidence"] for p in periods if _covers(p, day)})
        found.append((app_no, day, evidence, min(p["valid_from"] for p in periods)))
    on_day = _states_on(con, [(app_no, day) for app_no, day, _, _ in found], memo)
    return [_Found("patent", app_no, None, app_no, f"hv:{item.criterion}:{app_no}", day,
                   {"criterion": item.criterion, "evidence": "；".join(evidence), "criterion_from": since,
                    "state_on_event": on_day.get((app_no, day))})
            for app_no, day, evidence, since in found]


def _states_on(con, pairs: list[tuple[str, date]], memo: dict) -> dict[tuple[str, date], str]:
    """The legal state of each (app_no, day) on that day, in one query for those not read before
    (legal.state.states_on_days)."""
    wanted = [p for p in dict.fromkeys(pairs) if ("state_on", *p) not in memo]
    if wanted:
        from hvpatent.legal.state import states_on_days
        from hvpatent.reference.fees import default_rules

        days = ibis.memtable({"app_no": [a for a, _ in wanted], "day": [d for _, d in wanted]},
                             schema={"app_no": "string", "day": "date"})
        read = {(r["app_no"], r["day"]): r["state"]
                for r in _rows(states_on_days(con, days, default_rules()).select("app_no", "day", "state"))}
        for pair in wanted:
            memo[("state_on", *pair)] = read.get(pair)
    return {pair: memo[("state_on", *pair)] for pair in pairs}


def _pct_filings(con, item: Item, start: date, end: date, as_of: date, memo: dict) -> list[_Found]:
    """An application that entered China from a PCT application (pct_app_no known): its day is the CN filing date,
    which for a national-phase entry is the international filing date."""
    apps = con.table("applications")
    apps = apps.filter(apps.pct_app_no.notnull() & apps.filing_date.between(ibis.date(start), ibis.date(end)))
    return [_Found("patent", r["app_no"], None, r["app_no"], f"pct:{r['app_no']}", r["filing_date"],
                   {"pct_app_no": r["pct_app_no"], "pct_entry_date": r["pct_entry_date"],
                    "filing_date": r["filing_date"]})
            for r in _rows(apps.select("app_no", "filing_date", "pct_app_no", "pct_entry_date"))]


def _family_grants_abroad(con, memo: dict) -> list[dict]:
    """One row per (family, office abroad) with a dated grant: the earliest grant there (its member; ties by member
    number) and the family's CN invention it is paid to — the earliest filed, then the lowest app_no (a divisional
    keeps its parent's filing date, so the parent is chosen).  Utility models and designs are not chosen: the item
    pays an invention granted abroad.  Read once per memo."""
    from hvpatent.indicators.config import high_value_settings

    def read() -> list[dict]:
        members = con.table("family_members")
        members = members.filter(members.granted & members.grant_date.notnull()
                                 & ~members.office.isin(list(high_value_settings().domestic_offices)))
        first: dict[tuple[str, str], dict] = {}
        for r in _rows(members.select("family_id", "office", "member_no", "grant_date")):
            key = (r["family_id"], r["office"])
            if key not in first or (r["grant_date"], r["member_no"]) < (first[key]["grant_date"],
                                                                        first[key]["member_no"]):
                first[key] = r
        apps = con.table("applications")
        apps = apps.filter((apps.patent_type == "invention") & apps.family_id.isin(sorted({f for f, _ in first})))
        chosen: dict[str, str] = {}
        for r in sorted(_rows(apps.select("app_no", "family_id", "filing_date")),
                        key=lambda r: (r["filing_date"] or date.max, r["app_no"]), reverse=True):
            chosen[r["family_id"]] = r["app_no"]   # the last written is the earliest filed, lowest number
        return [{**r, "app_no": chosen[r["family_id"]]} for key, r in sorted(first.items()) if key[0] in chosen]
    return _memo(memo, ("family_grants_abroad",), read)


def _grants_abroad(con, item: Item, start: date, end: date, as_of: date, memo: dict) -> list[_Found]:
    """A family's first grant at an office outside the domestic ones (high-value settings), on that grant's date;
    only the offices the item's amounts name.  One event per family and office, however many CN applications
    (divisionals, a utility model filed the same day) or members at that office the family has; paid to one CN
    invention of the family.  A member with no grant date has no day: no event."""
    return [_Found("patent", f"{r['app_no']}@{r['office']}", None, r["app_no"],
                   f"grant_abroad:{r['family_id'] or r['app_no']}:{r['office']}", r["grant_date"],
                   {"office": r["office"], "member_no": r["member_no"], "grant_date": r["grant_date"],
                    "family_id": r["family_id"]})
            for r in _family_grants_abroad(con, memo)
            if start <= r["grant_date"] <= end and (not item.amounts or r["office"] in item.amounts)]


def _pledge_interest(con, item: Item, start: date, end: date, as_of: date, memo: dict) -> list[_Found]:
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


def _recognitions(con, item: Item, start: date, end: date, as_of: date, memo: dict) -> list[_Found]:
    """A recognition of the item's kind (贯标 certification, advantage or demonstration enterprise) at a level the
    item's amounts name, on its recognised date; the enterprise placed by the recognitions' rule."""
    from hvpatent.recognitions.records import _placed

    if not _has(con, "recognitions"):
        return []
    placed = _placed(con, [item.kind], list(item.amounts) or None)
    placed = placed.filter(placed.recognised_date.between(ibis.date(start), ibis.date(end)))
    rows = _rows(placed.select("name_norm", "name", "level", "recognised_date", "expiry_date", "revoked_date",
                               "certifier", "certificate_no", "document", "region_code"))
    return [_Found("enterprise", r["name_norm"], r["name"], None, _recognition_key(item.kind, r), r["recognised_date"],
                   {"kind": item.kind, "level": r["level"], "certificate_no": r["certificate_no"],
                    "recognised_date": r["recognised_date"], "expiry_date": r["expiry_date"],
                    "revoked_date": r["revoked_date"], "certifier": r["certifier"], "document": r["document"]},
                   town=r["region_code"], part=r["level"])
            for r in rows]


def _recognition_key(kind: str, row: dict) -> str:
    """The certificate names the recognition; without one, the enterprise, level and year do — not the day, which a
    bureau may correct (a corrected date is the same recognition, never a second event)."""
    certificate = (row["certificate_no"] or "").strip()
    if certificate:
        return f"{kind}:cert:{certificate}"
    return f"{kind}:{row['name_norm']}:{row['level']}:{row['recognised_date'].year}"


def _navigation(con, item: Item, start: date, end: date, as_of: date, memo: dict) -> list[_Found]:
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


def _awards(con, item: Item, start: date, end: date, as_of: date, memo: dict) -> list[_Found]:
    """A China Patent Award of a grade the item's amounts name, dated 1 January of the award's year (the day is not
    recorded; the high-value award criterion counts from the same day, indicators.highvalue.criterion_periods).  The
    key leaves out the award's free-text words: one grade of one year is one award, however the row spells it."""
    awards = con.table("awards")
    awards = awards.filter(awards.award.contains(CHINA_PATENT_AWARD)
                           & awards.year.between(start.year, end.year))
    if item.amounts:
        awards = awards.filter(awards.grade.isin(list(item.amounts)))
    out = []
    for r in _rows(awards.select("app_no", "award", "grade", "year")):
        day = date(r["year"], 1, 1)
        out.append(_Found("patent", r["app_no"], None, r["app_no"],
                          f"award:{r['app_no']}:{r['grade']}:{r['year']}", day,
                          {"award": r["award"], "grade": r["grade"], "year": r["year"]}, part=r["grade"]))
    return out


_FINDERS: dict[str, Callable[..., list[_Found]]] = {
    "invention_grant": _invention_grants, "high_value_criterion": _high_value, "pct_filing": _pct_filings,
    "grant_abroad": _grants_abroad, "pledge_interest": _pledge_interest, "ip_standard": _recognitions,
    "ip_advantage": _recognitions, "ip_demonstration": _recognitions, "navigation_project": _navigation,
    "china_patent_award": _awards,
}


# -- the subjects' facts ------------------------------------------------------------------------------------------

def _patent_facts(con, app_nos: list[str], as_of: date, memo: dict) -> dict[str, tuple[dict, tuple[Applicant, ...]]]:
    """Per application: its facts on ``as_of`` (patent_type, state, in_force, grant_date, ipc_main, ipcs, sei,
    title) and its applicants in order — the first with its town and category by first_applicants' rules, the
    others with their party town and type.  Read for those not in the memo, kept there per (app_no, as_of)."""
    missing = [a for a in app_nos if ("patent", a, as_of) not in memo]
    if missing:
        read = _read_patent_facts(con, missing, as_of, memo)
        for app_no in missing:   # an app_no the warehouse lacks (an award's typo) has no facts
            memo[("patent", app_no, as_of)] = read.get(app_no, ({}, ()))
    return {a: memo[("patent", a, as_of)] for a in app_nos}


def _read_patent_facts(con, app_nos: list[str], as_of: date,
                       memo: dict) -> dict[str, tuple[dict, tuple[Applicant, ...]]]:
    from hvpatent.indicators.base import first_applicants, sei_matches
    from hvpatent.legal import IN_FORCE, legal_state

    apps = ibis.memtable({"app_no": app_nos}, schema={"app_no": "string"})
    table = con.table("applications").semi_join(apps, "app_no")
    # the inventions' states when another item of this memo read them already; the legal state otherwise
    known = memo.get(("invention_states", as_of), {})
    states = {a: known[a] for a in app_nos if a in known}
    if len(states) < len(app_nos):
        rest = table.filter(~table.app_no.isin(list(states))) if states else table
        states |= {r["app_no"]: r for r in _rows(legal_state(con, as_of, applications=rest, annuity=False)
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


def _enterprise_applicants(con, entries: set[tuple[str, str, str | None]], memo: dict) -> dict[tuple, Applicant]:
    """The enterprise of each (name_norm, name, town its record gives) as an applicant, kept in the memo."""
    missing = {e for e in entries if ("firm", e) not in memo}
    if missing:
        for entry, applicant in _read_enterprise_applicants(con, missing).items():
            memo[("firm", entry)] = applicant
    return {e: memo[("firm", e)] for e in entries}


def _read_enterprise_applicants(con, entries: set[tuple[str, str, str | None]]) -> dict[tuple, Applicant]:
    """The enterprise of each (name_norm, name, town its record gives) as an applicant: its town the record's, else
    the one assigned by hand or the enterprise directory's (reference.applicant_towns); its category by the
    first applicants' evidence (reference.applicant_categories: settled > credit code > name > directory)."""
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
