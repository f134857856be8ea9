"""High-value invention patents: CNIPA's five criteria, each with its evidence.

A valid invention patent is high-value when it meets at least one of (国家知识产权局, 2021, the
statistical scope of 每万人口高价值发明专利拥有量 in the 14th Five-Year Plan):
1. ``sei`` — it belongs to a strategic emerging industry (IPC concordance, `sei_rules`);
2. ``family_abroad`` — it has a granted family member outside mainland China;
3. ``maintained_10y`` — it has been maintained for more than 10 years;
4. ``pledge_high`` — it has obtained high pledge financing;
5. ``award`` — it won a national S&T award or the China Patent Award.
Definitions, thresholds and edge cases: docs/indicators.md.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import ibis
import ibis.expr.types as ir

from hvpatent.indicators.base import sei_matches
from hvpatent.indicators.config import HighValueSettings, high_value_settings
from hvpatent.legal import IN_FORCE
from hvpatent.legal.state import add_years
from hvpatent.warehouse.derived import fingerprint_of, is_current

CRITERIA = ("sei", "family_abroad", "maintained_10y", "pledge_high", "award")


def valid_inventions(states: ir.Table) -> ir.Table:
    return states.filter((states.patent_type == "invention") & states.state.isin(IN_FORCE))


def _sei(con: ibis.BaseBackend) -> ir.Table:
    m = sei_matches(con)
    return m.select("app_no", criterion=ibis.literal("sei"),
                    evidence=m.code.concat(" ", m.name, " (", m.ipc, ")"))


def _family_abroad(con: ibis.BaseBackend, as_of: date, settings: HighValueSettings) -> ir.Table:
    members = con.table("family_members")
    members = members.filter(
        members.granted
        & ~members.office.isin(list(settings.domestic_offices))
        & (members.grant_date.isnull() | (members.grant_date <= ibis.date(as_of)))
    )
    apps = con.table("applications").filter(lambda t: t.family_id.notnull()).select("app_no", "family_id")
    joined = apps.join(members, "family_id")
    return joined.select("app_no", criterion=ibis.literal("family_abroad"), evidence=joined.member_no)


def _maintained(states: ir.Table, as_of: date, settings: HighValueSettings) -> ir.Table:
    # "More than N years": the as-of date is after the N-th anniversary of the filing date.
    anniversary = add_years(states.filing_date, ibis.literal(settings.maintained_years))
    passed = states.filter(ibis.date(as_of) > anniversary)
    return passed.select("app_no", criterion=ibis.literal("maintained_10y"),
                         evidence=passed.filing_date.cast("string"))


def pledge_totals(con: ibis.BaseBackend, as_of: date, settings: HighValueSettings | None = None,
                  contract_nos: list[str] | None = None) -> ir.Table:
    """(app_no, pledged_yuan, contracts): pledge financing attributed to each patent up to as_of; ``contract_nos``:
    of those contracts only (a bank's own, on its valuation sheet)."""
    settings = settings or high_value_settings()
    pledges = con.table("pledges")
    pledges = pledges.filter(pledges.registered_date <= ibis.date(as_of))
    if contract_nos is not None:
        pledges = pledges.filter(pledges.contract_no.isin(contract_nos))
    per_contract = pledges.group_by("contract_no").aggregate(patents=pledges.app_no.nunique())
    shared = pledges.join(per_contract, "contract_no")
    amount = shared.amount_yuan.cast("float64")
    if settings.pledge_basis == "per_patent_share":
        amount = amount / shared.patents
    shared = shared.mutate(share=amount)
    return shared.group_by("app_no").aggregate(pledged_yuan=shared.share.sum(),
                                               contracts=shared.contract_no.nunique())


def _pledge_high(con: ibis.BaseBackend, as_of: date, settings: HighValueSettings) -> ir.Table:
    totals = pledge_totals(con, as_of, settings)
    high = totals.filter(totals.pledged_yuan >= settings.pledge_threshold_yuan)
    return high.select("app_no", criterion=ibis.literal("pledge_high"),
                       evidence=high.pledged_yuan.cast("decimal(18, 2)").cast("string").concat(" CNY / ",
                                                                                 high.contracts.cast("string")))


def _award(con: ibis.BaseBackend, as_of: date, settings: HighValueSettings) -> ir.Table:
    awards = con.table("awards")
    named = ibis.or_(*[awards.award.contains(name) for name in settings.awards])
    won = awards.filter(named & (awards.year <= as_of.year))
    return won.select("app_no", criterion=ibis.literal("award"),
                      evidence=won.award.concat(" ", won.grade, " ", won.year.cast("string")))


# -- criterion periods: when each criterion holds, stored per application (warehouse/derived.py) ---------
CRITERION_PERIODS = "criterion_periods"
PERIODS_VERSION = 1


def periods_fingerprint(settings: HighValueSettings | None = None) -> str:
    """What stored criterion periods were built with: the version and the high-value settings.

    A new SEI table makes them not current too (Warehouse.replace_sei_rules).
    """
    settings = settings or high_value_settings()
    return fingerprint_of({"version": PERIODS_VERSION, "settings": dataclasses.asdict(settings)})


def criterion_periods(con: ibis.BaseBackend, apps: ir.Table, settings: HighValueSettings | None = None) -> ir.Table:
    """(app_no, criterion, evidence, valid_from, valid_to) of the applications in ``apps``: from which day
    (and until which, null: open-ended) each criterion holds with that evidence, by the same rules as the
    criteria above on one day. Validity is not part of it: evidence counts only for valid inventions."""
    settings = settings or high_value_settings()
    apps = con.table("applications").semi_join(apps.select("app_no"), "app_no")
    open_end = ibis.null("date")

    sei = sei_matches(con, apps).join(apps.select("app_no", "filing_date"), "app_no")
    members = con.table("family_members")
    members = members.filter(members.granted & ~members.office.isin(list(settings.domestic_offices)))
    family = apps.filter(apps.family_id.notnull()).join(members, "family_id")
    awards = con.table("awards").semi_join(apps, "app_no")
    awards = awards.filter(ibis.or_(*[awards.award.contains(name) for name in settings.awards]))
    anniversary = add_years(apps.filing_date, ibis.literal(settings.maintained_years))
    parts = [
        sei.select("app_no", criterion=ibis.literal("sei"), evidence=sei.code.concat(" ", sei.name, " (", sei.ipc, ")"),
                   valid_from=sei.filing_date, valid_to=open_end),
        # a member without a grant date counts on every day, as on one day
        family.select("app_no", criterion=ibis.literal("family_abroad"), evidence=family.member_no,
                      valid_from=family.grant_date.fill_null(family.filing_date), valid_to=open_end),
        # "more than N years": from the day after the N-th anniversary
        apps.select("app_no", criterion=ibis.literal("maintained_10y"), evidence=apps.filing_date.cast("string"),
                    valid_from=anniversary + ibis.interval(days=1), valid_to=open_end),
        _pledge_periods(con, apps, settings),
        awards.select("app_no", criterion=ibis.literal("award"),
                      evidence=awards.award.concat(" ", awards.grade, " ", awards.year.cast("string")),
                      valid_from=ibis.date(awards.year, 1, 1), valid_to=open_end),
    ]
    return ibis.union(*[p.select(app_no=p.app_no.cast("string"), criterion=p.criterion.cast("string"),
                                 evidence=p.evidence.cast("string"), valid_from=p.valid_from.cast("date"),
                                 valid_to=p.valid_to.cast("date")) for p in parts], distinct=True)


def _pledge_periods(con: ibis.BaseBackend, apps: ir.Table, settings: HighValueSettings) -> ir.Table:
    """pledge_totals() evaluated on every day it can change for an application (a registration of a line of
    one of its contracts: a later line shares the contract among more patents), kept where high."""
    pledges = con.table("pledges")
    mine = pledges.semi_join(apps, "app_no").select("contract_no", "app_no", "amount_yuan", "registered_date")
    days = mine.select("app_no", "contract_no").join(pledges.select("contract_no", day=pledges.registered_date),
                                                     "contract_no").select("app_no", "day").distinct()
    lines = days.join(mine, "app_no")
    lines = lines.filter(lines.registered_date <= lines.day).select("app_no", "day", "contract_no", "amount_yuan")
    contract_days = lines.select("contract_no", "day").distinct()
    on_day = contract_days.join(pledges.select("contract_no", "registered_date", other=pledges.app_no), "contract_no")
    on_day = on_day.filter(on_day.registered_date <= on_day.day)
    patents = on_day.group_by(["contract_no", "day"]).aggregate(patents=on_day.other.nunique())
    shared = lines.join(patents, ["contract_no", "day"])
    amount = shared.amount_yuan.cast("float64")
    if settings.pledge_basis == "per_patent_share":
        amount = amount / shared.patents
    shared = shared.mutate(share=amount)
    totals = shared.group_by(["app_no", "day"]).aggregate(pledged_yuan=shared.share.sum(),
                                                          contracts=shared.contract_no.nunique())
    totals = totals.mutate(valid_to=totals.day.lead().over(ibis.window(group_by="app_no", order_by="day")))
    high = totals.filter(totals.pledged_yuan >= settings.pledge_threshold_yuan)
    # As a decimal: a float's text differs between engines (Spark writes 3.0E7)
    evidence = high.pledged_yuan.cast("decimal(18, 2)").cast("string").concat(" CNY / ", high.contracts.cast("string"))
    return high.select("app_no", criterion=ibis.literal("pledge_high"), evidence=evidence,
                       valid_from=high.day, valid_to=high.valid_to)


def criteria_evidence(con: ibis.BaseBackend, states: ir.Table, as_of: date,
                      settings: HighValueSettings | None = None) -> ir.Table:
    """(app_no, criterion, evidence) for every valid invention patent and criterion it meets.

    From the stored criterion periods when current (a range filter), else by the rules of that day."""
    settings = settings or high_value_settings()
    valid = valid_inventions(states)
    if is_current(con, CRITERION_PERIODS, periods_fingerprint(settings)):
        day = ibis.date(as_of)
        periods = con.table(CRITERION_PERIODS)
        periods = periods.filter((periods.valid_from <= day) & (periods.valid_to.isnull() | (periods.valid_to > day)))
        evidence = periods.select("app_no", "criterion", "evidence").distinct()
        return evidence.semi_join(valid.select("app_no"), "app_no")
    parts = [
        _sei(con), _family_abroad(con, as_of, settings), _maintained(valid, as_of, settings),
        _pledge_high(con, as_of, settings), _award(con, as_of, settings),
    ]
    # The parts come from different tables; align their types (nullability included) for the union.
    parts = [p.select(app_no=p.app_no.cast("string"), criterion=p.criterion.cast("string"),
                      evidence=p.evidence.cast("string")) for p in parts]
    evidence = ibis.union(*parts, distinct=True)
    return evidence.semi_join(valid.select("app_no"), "app_no")
