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

from datetime import date

import ibis
import ibis.expr.types as ir

from hvpatent.indicators.base import sei_matches
from hvpatent.indicators.config import HighValueSettings, high_value_settings
from hvpatent.legal import IN_FORCE
from hvpatent.legal.state import add_years

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


def pledge_totals(con: ibis.BaseBackend, as_of: date, settings: HighValueSettings | None = None) -> ir.Table:
    """(app_no, pledged_yuan, contracts): pledge financing attributed to each patent up to as_of."""
    settings = settings or high_value_settings()
    pledges = con.table("pledges")
    pledges = pledges.filter(pledges.registered_date <= ibis.date(as_of))
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
                       evidence=high.pledged_yuan.round(2).cast("string").concat(" CNY / ",
                                                                                 high.contracts.cast("string")))


def _award(con: ibis.BaseBackend, as_of: date, settings: HighValueSettings) -> ir.Table:
    awards = con.table("awards")
    named = ibis.or_(*[awards.award.contains(name) for name in settings.awards])
    won = awards.filter(named & (awards.year <= as_of.year))
    return won.select("app_no", criterion=ibis.literal("award"),
                      evidence=won.award.concat(" ", won.grade, " ", won.year.cast("string")))


def criteria_evidence(con: ibis.BaseBackend, states: ir.Table, as_of: date,
                      settings: HighValueSettings | None = None) -> ir.Table:
    """(app_no, criterion, evidence) for every valid invention patent and criterion it meets."""
    settings = settings or high_value_settings()
    valid = valid_inventions(states)
    parts = [
        _sei(con), _family_abroad(con, as_of, settings), _maintained(valid, as_of, settings),
        _pledge_high(con, as_of, settings), _award(con, as_of, settings),
    ]
    # The parts come from different tables; align their types (nullability included) for the union.
    parts = [p.select(app_no=p.app_no.cast("string"), criterion=p.criterion.cast("string"),
                      evidence=p.evidence.cast("string")) for p in parts]
    evidence = ibis.union(*parts, distinct=True)
    return evidence.semi_join(valid.select("app_no"), "app_no")
