"""The raw inputs of the value assessment, one row per scored application, as one portable Ibis expression.

Scored: invention and utility-model applications filed on or before the day (designs have no claims, IPC or
citations: the standard's technical indicators do not apply).  Citations, pledges, transfers, licences, awards
and family grants are read as known on ``as_known_on`` (default: the day itself): none dated after it counts,
and an application (a citing one, or one of a subclass's filings) counts from the day it was published
(its earliest publication; else its filing date + 18 months, Patent Law art. 34).  An award, dated by its year
only, counts from 31 December of that year; a family member counts from its grant date, and one without a date
only in an assessment on or after the day of the latest import.  The legal state is read with today's knowledge
(the stored timelines: a lapse announced after the day but due before it counts) unless ``as_known_on`` is given;
the validation gives it.  docs/value.md lists each input.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from functools import cache
from importlib import resources

import ibis
import ibis.expr.types as ir

from hvpatent.indicators.base import first_applicants, has_table, sei_matches
from hvpatent.indicators.config import high_value_settings
from hvpatent.indicators.highvalue import criteria_evidence, pledge_totals
from hvpatent.legal import IN_FORCE, legal_state
from hvpatent.legal.state import add_months, whole_months
from hvpatent.value.settings import ValueSettings, value_settings

SCORED_TYPES = ("invention", "utility_model")
PUBLICATION_MONTHS = 18  # Patent Law art. 34: an invention application is published 18 months after filing
UNCLASSIFIED = 0  # the field of an application whose main IPC is missing or matches no prefix


@cache
def technology_fields() -> dict[int, tuple[str, str, tuple[str, ...]]]:
    """field number -> (name_zh, name_en, IPC prefixes), from fields.csv (WIPO's 35 fields, Schmoch 2008)."""
    text = resources.files(__package__).joinpath("fields.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {int(r["field"]): (r["name_zh"], r["name_en"], tuple(r["prefixes"].split())) for r in rows}


def field_name(field: int, lang: str = "zh") -> str:
    if field not in technology_fields():
        return "未分类" if lang == "zh" else "Unclassified"
    zh, en, _ = technology_fields()[field]
    return zh if lang == "zh" else en


def field_of_ipc(ipc: str | None) -> int:
    """The field of one IPC code by the longest matching prefix (the Python twin of the query's join)."""
    key = _group_key_py(ipc)
    prefixes = {p: f for f, (_, _, ps) in technology_fields().items() for p in ps}
    for candidate in (key, key[:4], key[:3]):
        if candidate and candidate in prefixes:
            return prefixes[candidate]
    return UNCLASSIFIED


def _group_key_py(ipc: str | None) -> str:
    text = (ipc or "").upper().replace(" ", "")
    return text.split("/")[0]


def _group_key(ipc: ir.StringValue) -> ir.StringValue:
    """'G01N 33/48' -> 'G01N33': subclass and main group, the finest level of the concordance."""
    text = ipc.upper().replace(" ", "")
    slash = text.find("/")
    return ibis.ifelse(slash >= 0, text.substr(0, slash), text)


@cache
def _fields_table() -> ir.Table:
    rows = [{"prefix": p, "field": f} for f, (_, _, ps) in technology_fields().items() for p in ps]
    return ibis.memtable(rows, schema=ibis.schema({"prefix": "string", "field": "int64"}))


def _left(t: ir.Table, other: ir.Table, key: str = "app_no") -> ir.Table:
    joined = t.left_join(other, key)
    return joined.drop(f"{key}_right") if f"{key}_right" in joined.columns else joined


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def known_on(con: ibis.BaseBackend) -> ir.Table:
    """(app_no, filing_date, known_on): the day each application became public (earliest publication; else
    filing + 18 months)."""
    apps = con.table("applications")
    pubs = con.table("publications")
    first = pubs.filter(pubs.pub_date.notnull()).group_by("app_no").aggregate(first_pub=pubs.pub_date.min())
    t = _left(apps.select("app_no", "filing_date", "ipc_main"), first)
    return t.select("app_no", "filing_date", "ipc_main",
                    known_on=ibis.coalesce(t.first_pub, add_months(t.filing_date, ibis.literal(PUBLICATION_MONTHS))))


def publication_key(pub_no: ir.StringValue) -> ir.StringValue:
    """A publication number as citations.cited_key: upper case, no separators, no kind code, CN prefix."""
    text = pub_no.upper().replace(" ", "").replace("-", "").replace(".", "").replace("/", "")
    bare = text.re_replace(r"[A-Z][0-9]?$", "")
    return ibis.ifelse(bare.substr(0, 2) == "CN", bare, ibis.literal("CN").concat(bare))


def forward_citations(con: ibis.BaseBackend, cutoff: date, scored: ir.Table, known: ir.Table | None = None
                      ) -> ir.Table:
    """(app_no, forward_citations): citing applications (once each, self-citations left out) whose citation
    was public on or before ``cutoff``."""
    if not has_table(con, "citations"):
        return scored.select("app_no", forward_citations=ibis.literal(0, "int64")).limit(0)
    pubs = con.table("publications").semi_join(scored.select("app_no"), "app_no")
    keys = pubs.select("app_no", key=publication_key(pubs.pub_no)).distinct()
    cites = con.table("citations")
    joined = cites.join(keys, cites.cited_key == keys.key).select("app_no", "citing_app_no")
    known = known if known is not None else known_on(con)
    citing = known.select(citing_app_no=known.app_no, citing_known=known.known_on)
    dated = joined.join(citing, "citing_app_no")
    dated = dated.filter((dated.citing_known <= ibis.date(cutoff)) & (dated.citing_app_no != dated.app_no))
    return dated.group_by("app_no").aggregate(forward_citations=dated.citing_app_no.nunique())


def _event_counts(con: ibis.BaseBackend, cutoff: date) -> ir.Table:
    from hvpatent.legal import known_events

    events = known_events(con, cutoff)
    events = events.filter(events.event_date <= ibis.date(cutoff))

    def count(kind: str) -> ir.IntegerValue:
        return (events.event_type == kind).cast("int64").sum()

    return events.group_by("app_no").aggregate(
        invalidation_partial=count("invalidated_partial"), restorations=count("restoration"),
        transfers=count("transfer"), licences=count("licence"), pledge_events=count("pledge_registered"))


def latest_import_day(con: ibis.BaseBackend) -> date | None:
    """The day of the latest import (max(imports.imported_at)); None for a warehouse without imports."""
    if not has_table(con, "imports"):
        return None
    imports = con.table("imports")
    last = imports.aggregate(last=imports.imported_at.max()).to_pyarrow().column("last")[0].as_py()
    return last.date() if isinstance(last, datetime) else last


def last_award_year(cutoff: date) -> int:
    """The last award year counted on ``cutoff``: an award is dated by its year only and announced in its
    course, so an award of year Y counts from 31 December of Y."""
    return cutoff.year if (cutoff.month, cutoff.day) == (12, 31) else cutoff.year - 1


def _family(con: ibis.BaseBackend, cutoff: date, scored: ir.Table) -> ir.Table:
    """(app_no, family_size, family_countries, family_granted_abroad) as known on ``cutoff``.

    family_members holds no filing date, so a member counts on a day when it was granted on or before it; a
    member without a grant date (pending, or granted undated) counts only when ``cutoff`` is on or after the day
    of the latest import (today's assessment: it is in the warehouse by then), never in a back-dated one."""
    domestic = list(high_value_settings().domestic_offices)
    last_import = latest_import_day(con)
    undated_known = last_import is not None and cutoff >= last_import
    members = con.table("family_members")
    apps = scored.filter(scored.family_id.notnull()).select("app_no", "family_id")
    joined = apps.join(members, "family_id")
    joined = joined.filter(ibis.ifelse(joined.grant_date.notnull(), joined.grant_date <= ibis.date(cutoff),
                                       ibis.literal(undated_known)))
    abroad = ~joined.office.isin(domestic)
    # a country or regional office where protection can be granted: WO (a PCT application) grants nothing
    country = abroad & (joined.office != "WO")
    granted = abroad & joined.granted
    return joined.group_by("app_no").aggregate(
        family_size=joined.member_no.nunique(),
        family_countries=ibis.ifelse(country, joined.office, ibis.null("string")).nunique(),
        family_granted_abroad=ibis.ifelse(granted, joined.member_no, ibis.null("string")).nunique())


def _tech_cycle(k: ir.Table, cutoff: date, years: int) -> ir.Table:
    """(subclass, recent_filings, previous_filings): the subclass's filings known on ``cutoff`` in the last
    ``years`` years and the ``years`` before those."""
    start_recent, start_previous = years_before(cutoff, years), years_before(cutoff, 2 * years)
    k = k.filter(k.ipc_main.notnull() & (k.known_on <= ibis.date(cutoff)) & (k.filing_date <= ibis.date(cutoff))
                 & (k.filing_date > ibis.date(start_previous)))
    k = k.mutate(subclass=_group_key(k.ipc_main).substr(0, 4),
                 recent=(k.filing_date > ibis.date(start_recent)).cast("int64"))
    return k.group_by("subclass").aggregate(recent_filings=k.recent.sum(),
                                            previous_filings=(1 - k.recent).sum())


def _applicant_size(con: ibis.BaseBackend, k: ir.Table, cutoff: date) -> ir.Table:
    """(applicant, applicant_size): applications known on ``cutoff`` where the name is an applicant."""
    k = k.filter((k.known_on <= ibis.date(cutoff)) & (k.filing_date <= ibis.date(cutoff))).select("app_no")
    parties = con.table("parties").select("app_no", applicant=ibis._.name_norm)
    owned = parties.join(k, "app_no")
    return owned.group_by("applicant").aggregate(applicant_size=owned.app_no.nunique())


def _field(t: ir.Table) -> ir.Table:
    fields = _fields_table()
    key = _group_key(t.ipc_main.fill_null(""))
    t = t.mutate(k_group=key, k_sub=key.substr(0, 4), k_class=key.substr(0, 3))
    for col, name in (("k_group", "f_group"), ("k_sub", "f_sub"), ("k_class", "f_class")):
        lookup = fields.select(**{col: fields.prefix, name: fields.field})
        joined = t.left_join(lookup, col)
        t = joined.drop(f"{col}_right") if f"{col}_right" in joined.columns else joined
    field = ibis.coalesce(t.f_group, t.f_sub, t.f_class, ibis.literal(UNCLASSIFIED, "int64"))
    return t.mutate(field=field).drop("k_group", "k_sub", "k_class", "f_group", "f_sub", "f_class")


def value_features(con: ibis.BaseBackend, as_of: date, apps: ir.Table | None = None,
                   as_known_on: date | None = None, settings: ValueSettings | None = None) -> ir.Table:
    """One row per scored application with the raw inputs of its value (module docstring)."""
    settings = settings or value_settings()
    known = as_known_on or as_of
    cutoff = min(as_of, known)  # nothing after the day, nor after the day the data are read as known
    day = ibis.date(as_of)
    applications = con.table("applications")
    scored = applications.filter(applications.patent_type.isin(SCORED_TYPES) & (applications.filing_date <= day))
    if apps is not None:
        scored = scored.semi_join(apps.select("app_no"), "app_no")
    t = scored.select("app_no", "title", "patent_type", "filing_date", "ipc_main", "claims_count", "family_id")

    # as_known_on only when given: without it legal_state reads the stored timelines (much faster)
    full_states = legal_state(con, as_of, applications=scored, as_known_on=as_known_on, annuity=False)
    states = full_states.select("app_no", "state", "years_maintained", "term_end")
    t = _left(t, states)
    live = t.state.isin((*IN_FORCE, "pending"))
    remaining = ibis.ifelse(live & (t.term_end > day), whole_months(day, t.term_end), 0)
    # Cast before dividing: Spark divides an integer by a decimal literal in decimal(…, 6), DuckDB in double.
    t = t.mutate(remaining_years=remaining.cast("float64") / 12.0,
                 years_maintained=t.years_maintained.fill_null(0).cast("int64"))

    t = _left(t, _event_counts(con, cutoff))
    pledged = pledge_totals(con, cutoff).select("app_no", "pledged_yuan", pledge_contracts=ibis._.contracts)
    t = _left(t, pledged)
    awards = con.table("awards")
    awards = awards.filter(awards.year <= last_award_year(cutoff))
    t = _left(t, awards.group_by("app_no").aggregate(awards=awards.count()))
    t = _left(t, _family(con, cutoff, scored))
    public = known_on(con)
    t = _left(t, forward_citations(con, cutoff, scored, public))
    ipcs = con.table("ipc_classes").semi_join(scored.select("app_no"), "app_no")
    ipcs = ipcs.mutate(subclass=_group_key(ipcs.ipc).substr(0, 4))
    t = _left(t, ipcs.group_by("app_no").aggregate(ipc_subclasses=ipcs.subclass.nunique()))
    sei = (sei_matches(con, scored) if apps is not None else sei_matches(con)).select("app_no").distinct()
    t = _left(t, sei.mutate(sei_member=ibis.literal(True)))

    t = t.mutate(subclass=_group_key(t.ipc_main.fill_null("")).substr(0, 4))
    cycle = _tech_cycle(public, cutoff, settings.tech_cycle_years)
    joined = t.left_join(cycle, "subclass")
    t = joined.drop("subclass_right") if "subclass_right" in joined.columns else joined

    firsts = first_applicants(con).select("app_no", "applicant", "applicant_name", "applicant_type", "province_code",
                                          "city_code", "county_code", "town_code")
    t = _left(t, firsts)
    joined = t.left_join(_applicant_size(con, public, cutoff), "applicant")
    t = joined.drop("applicant_right") if "applicant_right" in joined.columns else joined

    hv = criteria_evidence(con, full_states, as_of)
    hv = hv.group_by("app_no").aggregate(criteria=hv.criterion.nunique())
    t = _left(t, hv)
    t = _field(t)

    zero = ibis.literal(0, "int64")
    recent = t.recent_filings.fill_null(0).cast("float64")
    previous = t.previous_filings.fill_null(0).cast("float64")
    return t.select(
        "app_no", "title", "patent_type", "filing_date", "field", "ipc_main",
        filing_year=t.filing_date.year().cast("int64"),
        state=t.state.fill_null("pending"),
        in_force=ibis.cases((t.state.isin(IN_FORCE), 1.0), (t.state == "pending", 0.5), else_=0.0),
        remaining_years=t.remaining_years,
        years_maintained=t.years_maintained,
        invalidation_partial=t.invalidation_partial.fill_null(0).cast("int64"),
        restorations=t.restorations.fill_null(0).cast("int64"),
        claims_count=t.claims_count.cast("float64"),  # null when the source gave no claims (neutral score)
        family_size=t.family_size.fill_null(0).cast("int64"),
        family_countries=t.family_countries.fill_null(0).cast("int64"),
        family_granted_abroad=t.family_granted_abroad.fill_null(0).cast("int64"),
        forward_citations=t.forward_citations.fill_null(0).cast("int64"),
        ipc_subclasses=t.ipc_subclasses.fill_null(ibis.ifelse(t.ipc_main.notnull(), 1, 0)).cast("int64"),
        sei=t.sei_member.fill_null(False),
        subclass=t.subclass,
        recent_filings=recent.cast("int64"), previous_filings=previous.cast("int64"),
        tech_cycle_growth=(recent.cast("float64") + 1.0) / (previous.cast("float64") + 1.0),
        transfers=t.transfers.fill_null(0).cast("int64"),
        licences=t.licences.fill_null(0).cast("int64"),
        pledges=ibis.greatest(t.pledge_contracts.fill_null(zero).cast("int64"),
                              t.pledge_events.fill_null(zero).cast("int64")),
        pledged_yuan=t.pledged_yuan.fill_null(0.0).cast("float64"),
        awards=t.awards.fill_null(0).cast("int64"),
        applicant=t.applicant, applicant_name=t.applicant_name,
        applicant_type=t.applicant_type.fill_null("other"),
        applicant_size=t.applicant_size.fill_null(0).cast("int64"),
        province_code=t.province_code, city_code=t.city_code, county_code=t.county_code, town_code=t.town_code,
        high_value=t.criteria.fill_null(0) > 0,
    )

