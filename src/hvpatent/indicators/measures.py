"""The indicators: each one is the list of records behind it (its drill-down) plus how the list
adds up, so that every figure equals the length (or sum) of its list by construction.

Definitions, sources and edge cases are in docs/indicators.md under the same keys.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir

from hvpatent.indicators.base import (
    ALL_APPLICANTS,
    code_prefix,
    first_applicants,
    has_table,
    in_region,
    industry_memberships,
)
from hvpatent.indicators.config import HighValueSettings, high_value_settings, trademark_density_base
from hvpatent.indicators.highvalue import CRITERIA, criteria_evidence, valid_inventions
from hvpatent.legal import legal_state, states_on_dates

PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}
DIMENSIONS = ("town", "industry", "applicant-type", "enterprise", "institution", "county", "city", "province",
              "nice-class")
DIMENSION_COLUMN = {"town": "town_code", "industry": "industry", "applicant-type": "applicant_type",
                    "enterprise": "applicant", "institution": "applicant", "county": "county_code",
                    "city": "city_code", "province": "province_code", "nice-class": "nice_class"}
# Rankings of regions (docs/indicators.md, "Rankings by region"): the first applicant's region at each level.
REGION_DIMENSIONS = ("county", "city", "province")
# Which first applicants each per-applicant breakdown keeps: enterprises; universities and institutes.
APPLICANT_TYPES = {"enterprise": ("enterprise",), "institution": ("university", "institute")}


def shift_months(day: date, months: int) -> date:
    """The same day ``months`` earlier (negative: later), clamped to the month's last day."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def period_start(as_of: date, period: str) -> date:
    """Start of the month / quarter / year that contains the as-of date (flows are to date)."""
    if period == "month":
        return as_of.replace(day=1)
    if period == "quarter":
        return date(as_of.year, (as_of.month - 1) // 3 * 3 + 1, 1)
    return date(as_of.year, 1, 1)


@dataclass
class Context:
    """One evaluation: a warehouse, an as-of date, the start of the period, a region."""

    con: ibis.BaseBackend
    as_of: date
    start: date
    region: str | None = None
    settings: HighValueSettings = field(default_factory=high_value_settings)
    as_known_on: date | None = None  # only events published by then (docs/legal-state.md, "Hindsight")
    _memo: dict = field(default_factory=dict, repr=False)
    # without the applications confirmed abnormal by review (docs/indicators.md, "Without abnormal applications")
    exclude_abnormal: bool = False

    @classmethod
    def create(cls, con: ibis.BaseBackend, as_of: date, period: str = "year", region: str | None = None,
               settings: HighValueSettings | None = None, as_known_on: date | None = None,
               exclude_abnormal: bool = False) -> Context:
        if period not in PERIOD_MONTHS:
            raise ValueError(f"period must be one of {', '.join(PERIOD_MONTHS)}")
        return cls(con, as_of, period_start(as_of, period), region, settings or high_value_settings(),
                   as_known_on, exclude_abnormal=exclude_abnormal)

    def shifted(self, months: int) -> Context:
        """The same evaluation ``months`` earlier: as-of date and period start both move."""
        return self.at(shift_months(self.as_of, months), shift_months(self.start, months))

    def at(self, as_of: date, start: date) -> Context:
        """Another as-of date and period over the same warehouse and region; cached tables are
        shared, so asking many questions of the same day computes its legal states once."""
        return Context(self.con, as_of, start, self.region, self.settings, self.as_known_on, self._memo,
                       self.exclude_abnormal)

    def memo(self, key: str, build: Callable[[], ir.Table], dated: bool = True) -> ir.Table:
        """A table built once per as-of date (or once per warehouse when not ``dated``)."""
        slot = (key, self.as_of, self.region) if dated else (key,)
        if slot not in self._memo:
            self._memo[slot] = build()
        return self._memo[slot]

    def applicants(self) -> ir.Table:
        """The first applicant of every application of the region (built once: any day, any period); without the
        applications confirmed abnormal when ``exclude_abnormal``."""
        if self.exclude_abnormal:
            return self.memo(f"applicants:{self.region}:without_abnormal", self._without_abnormal, dated=False)
        return self.memo(f"applicants:{self.region}", lambda: in_region(first_applicants(self.con), self.region),
                         dated=False)

    def _confirmed_abnormal(self) -> list[str]:
        """The applications whose latest review so far confirms them abnormal.  Undated on purpose: applicants()
        is built once for every day of a trend, and a confirmation says the filing was abnormal from the start."""
        from hvpatent.supervision import confirmed_applications  # the supervision room loads only when asked

        if ("confirmed_abnormal",) not in self._memo:
            self._memo[("confirmed_abnormal",)] = sorted(confirmed_applications(self.con))
        return self._memo[("confirmed_abnormal",)]

    def _without_abnormal(self) -> ir.Table:
        everyone = in_region(first_applicants(self.con), self.region)
        confirmed = self._confirmed_abnormal()
        if not confirmed:
            return everyone
        return everyone.anti_join(ibis.memtable({"app_no": confirmed}), "app_no")

    def excluded_abnormal(self) -> int:
        """How many of the region's applications filed on or before as_of exclude_abnormal leaves out (0 when not
        excluding): the note counts what the day's figures could have held, not a confirmed application filed
        after it (the exclusion itself is undated, _confirmed_abnormal)."""
        if not self.exclude_abnormal or not self._confirmed_abnormal():
            return 0
        everyone = in_region(first_applicants(self.con), self.region)
        apps = self.con.table("applications")
        filed = apps.filter(apps.filing_date <= self.as_of, apps.app_no.isin(self._confirmed_abnormal()))
        return int(everyone.semi_join(filed.select("app_no"), "app_no").count().execute())

    def industry_members(self) -> ir.Table:
        """(app_no, industry) for the plan's industries, matched once per warehouse."""
        def build() -> ir.Table:
            members = industry_memberships(self.con)
            stored = isinstance(members.op(), ops.DatabaseTable)  # the refreshed table: nothing to cache
            return members if stored else members.cache()
        return self.memo("industries", build, dated=False)

    def prefetch(self, days: Iterable[date]) -> None:
        """Compute the legal states of all these days in one query, kept once: states() of any of them is
        then a filter of that table (a trend over eight quarter-ends costs one evaluation, not eight)."""
        wanted = frozenset(days) - self._prefetched()
        if not wanted:
            return
        # the region's applications first: a county's days are read from its own timelines, not the country's
        states = states_on_dates(self.con, sorted(wanted), as_known_on=self.as_known_on,
                                 applications=self.applicants())
        table = states.join(self.applicants(), "app_no").cache()
        self._memo.setdefault(("prefetched", self.region), []).append((wanted, table))

    def _prefetched(self) -> frozenset[date]:
        return frozenset().union(*(d for d, _ in self._memo.get(("prefetched", self.region), [])))

    def states(self) -> ir.Table:
        """Legal state of every application on the as-of date, in the region, with its dimensions."""
        def build() -> ir.Table:
            for days, table in self._memo.get(("prefetched", self.region), []):
                if self.as_of in days:
                    return table.filter(table.day == ibis.date(self.as_of)).drop("day")
            states = legal_state(self.con, self.as_of, as_known_on=self.as_known_on, annuity=False)
            scoped = states.join(self.applicants(), "app_no")
            return scoped.cache()
        return self.memo("states", build)

    def evidence(self) -> ir.Table:
        # Not cached: queries read it within one union (compute.values), which runs each part once.
        return self.memo("evidence", lambda: criteria_evidence(self.con, self.states(), self.as_of,
                                                                self.settings))

    def in_period(self, column: ir.DateValue) -> ir.BooleanValue:
        return column.between(ibis.date(self.start), ibis.date(self.as_of))


# -- record lists ---------------------------------------------------------------------------
RECORD_COLUMNS = ["app_no", "patent_type", "filing_date", "grant_date", "state", "years_maintained",
                  "applicant_name", "applicant_type", "applicant", "town_code", "county_code"]


def _patents(table: ir.Table) -> ir.Table:
    return table.select(*RECORD_COLUMNS)


def valid_invention_records(ctx: Context) -> ir.Table:
    return _patents(valid_inventions(ctx.states()))


def industry_valid_invention_records(ctx: Context) -> ir.Table:
    """Valid invention patents that belong to at least one of the plan's industries."""
    members = ctx.industry_members()
    return valid_invention_records(ctx).semi_join(members, "app_no")


def high_value_records(ctx: Context, criterion: str | None = None) -> ir.Table:
    evidence = ctx.evidence()
    if criterion:
        evidence = evidence.filter(evidence.criterion == criterion)
    per_app = evidence.group_by("app_no").aggregate(
        criteria=evidence.criterion.collect(distinct=True).sort().join(","),
    )
    return _patents(valid_inventions(ctx.states())).join(per_app, "app_no")


def invention_application_records(ctx: Context) -> ir.Table:
    s = ctx.states()
    return _patents(s.filter((s.patent_type == "invention") & ctx.in_period(s.filing_date)))


def application_records(ctx: Context) -> ir.Table:
    s = ctx.states()
    return _patents(s.filter(ctx.in_period(s.filing_date)))


def grant_records(ctx: Context) -> ir.Table:
    s = ctx.states()
    return _patents(s.filter(s.grant_date.notnull() & ctx.in_period(s.grant_date)))


def invention_grant_records(ctx: Context) -> ir.Table:
    g = grant_records(ctx)
    return g.filter(g.patent_type == "invention")


def invention_concluded_records(ctx: Context) -> ir.Table:
    """Invention applications whose examination concluded in the period: granted, rejected,
    withdrawn or deemed withdrawn (结案)."""
    s = ctx.states()
    concluded_on = ibis.coalesce(s.grant_date, s.rejected_date, s.withdrawn_date)
    s = s.filter((s.patent_type == "invention") & concluded_on.notnull() & ctx.in_period(concluded_on))
    return _patents(s)


def maintainable_invention_records(ctx: Context) -> ir.Table:
    """Invention patents granted by the as-of date whose term had not ended by then."""
    s = ctx.states()
    return _patents(s.filter((s.patent_type == "invention") & s.granted
                             & (s.term_end > ibis.date(ctx.as_of))))


def pct_application_records(ctx: Context) -> ir.Table:
    s = ctx.states()
    apps = ctx.con.table("applications").select("app_no", "family_id", "pct_app_no")
    members = ctx.con.table("family_members")
    wo = members.filter(members.office == "WO")
    flagged = apps.filter(apps.pct_app_no.notnull() | apps.family_id.isin(wo.family_id)).select("app_no")
    return _patents(s.filter(ctx.in_period(s.filing_date)).semi_join(flagged, "app_no"))


def _pledge_contract_records(ctx: Context, patents_only: bool) -> ir.Table:
    """Pledge contracts registered in the period whose pledgor is of the region (finance/registry.py,
    docs/finance.md "Region"), as the registry stood on the as-of day: one row per contract and patent pledged
    (app_no null for a contract pledging trademarks only), so the figure counts contracts (``distinct_key``) and a
    breakdown by industry can read the patents.  The amount is the amount registered: a change is not new
    financing."""
    from hvpatent.finance.registry import contracts_on, current_items

    def build() -> ir.Table:
        return contracts_on(ctx.con, ctx.as_of)

    c = ctx.memo("pledge_contracts_on", build)
    c = c.filter(ctx.in_period(c.registered_date))
    if ctx.region != ALL_APPLICANTS:
        c = in_region(c, ctx.region)
    if patents_only:
        c = c.filter(c.patents > 0)
    it = current_items(ctx.con, ctx.as_of)  # the items on the day; ``c`` has their contracts already
    it = it.filter(it.item_kind == "patent").select(i_no=it.contract_no, app_no=it.item_no)
    joined = c.left_join(it, c.contract_no == it.i_no)
    return joined.select("contract_no", "app_no", "pledgor", "pledgee", "registered_date", "released_date",
                         amount_yuan=joined.registered_amount_yuan, applicant_name=joined.enterprise_name,
                         applicant_type=joined.applicant_type, applicant=joined.enterprise,
                         town_code=joined.town_code, county_code=joined.county_code, city_code=joined.city_code,
                         province_code=joined.province_code, kind=joined.kind)


def pledge_records(ctx: Context) -> ir.Table:
    """专利权质押: contracts pledging at least one patent (mixed patent and trademark contracts included)."""
    return _pledge_contract_records(ctx, patents_only=True)


def ip_pledge_records(ctx: Context) -> ir.Table:
    """专利商标质押: every contract, patents, trademarks or both, each once."""
    return _pledge_contract_records(ctx, patents_only=False)


def has_trademark_records(ctx: Context) -> bool:
    """Whether the warehouse holds any trademark record of ctx.region (asked once per region)."""
    from hvpatent.trademarks.records import marks_in_region

    slot = ("has_trademark_records", ctx.region)
    if slot not in ctx._memo and not has_table(ctx.con, "trademarks"):
        ctx._memo[slot] = False  # a warehouse (or Parquet export) older than the records: the totals only
    if slot not in ctx._memo:
        marks = marks_in_region(ctx.con, ctx.region)
        ctx._memo[slot] = bool(marks.select("reg_no").limit(1).to_pyarrow().num_rows)
    return ctx._memo[slot]


def trademark_records(ctx: Context) -> ir.Table:
    """Effective registered trademarks (有效商标注册量), Madrid registrations apart: the region's trademark records
    when it has any, else its latest aggregate count (the ``trademarks`` template, kept for districts that only have
    totals: docs/indicators.md, "Trademarks")."""
    if has_trademark_records(ctx):
        return effective_mark_records(ctx)
    return trademark_count_records(ctx)


def effective_mark_records(ctx: Context) -> ir.Table:
    """The region's effective marks from records only, Madrid registrations apart: what the ``trademarks`` figure
    lists when the region has records, and what the official forms count (a total breaks down by nothing)."""
    return _marks(ctx, lambda r: ibis.literal(True))


def trademark_count_records(ctx: Context) -> ir.Table:
    """The latest effective-trademark count on or before the as-of date for the region (and,
    when broken down by town, for each town that has one): one row per region, trademark_key = region code."""
    tm = ctx.con.table("trademark_counts")
    tm = tm.filter(tm.as_of_date <= ibis.date(ctx.as_of))
    latest = tm.group_by("region_code").aggregate(as_of_date=tm.as_of_date.max())
    rows = tm.join(latest, ["region_code", "as_of_date"])
    code = ctx.region
    if code and code != ALL_APPLICANTS:
        rows = rows.filter((rows.region_code == code) | rows.region_code.startswith(code_prefix(code)))
    found = rows.select("region_code", "as_of_date", "effective_count").to_pyarrow().to_pylist()
    rows = ibis.memtable(_outside_parts(found), schema={"region_code": "string", "as_of_date": "date",
                                                         "effective_count": "int64"})
    return rows.select("region_code", "as_of_date", "effective_count", trademark_key=rows.region_code,
                       town_code=ibis.ifelse(rows.region_code.length() == 12, rows.region_code,
                                             ibis.null("string")))


def _outside_parts(rows: list[dict]) -> list[dict]:
    """The aggregate rows without counting a mark twice: a district's total and its towns' totals are both
    given, so the district row keeps only what its towns do not cover (its total less theirs, never below
    zero); the towns keep their own. A figure is then the sum of the list, by town or not."""
    def inside(child: str, parent: str) -> bool:
        return child != parent and child.startswith(code_prefix(parent))

    out = []
    for row in rows:
        code = row["region_code"]
        parts = [r for r in rows if inside(r["region_code"], code)]
        direct = [r for r in parts if not any(inside(r["region_code"], o["region_code"]) for o in parts)]
        covered = sum(r["effective_count"] for r in direct)
        out.append({**row, "effective_count": max(row["effective_count"] - covered, 0)})
    return out


def _marks(ctx: Context, when: Callable[[ir.Table], ir.BooleanValue], effective: bool = True,
           madrid: bool = False) -> ir.Table:
    """Trademark records of the region (effective ones, or every mark known on the day), Madrid
    registrations (or only those) apart, that meet ``when``."""
    from hvpatent.trademarks.records import effective_marks, mark_records

    rows = effective_marks(ctx) if effective else mark_records(ctx)
    rows = rows.filter(rows.is_madrid.fill_null(False) == madrid)
    return rows.filter(when(rows))


def trademark_registration_records(ctx: Context) -> ir.Table:
    """Marks registered in the period (注册公告日期 = registration_date), whatever their state now."""
    return _marks(ctx, lambda r: r.registration_date.notnull() & ctx.in_period(r.registration_date), effective=False)


def trademark_application_records(ctx: Context) -> ir.Table:
    """Marks filed in the period (申请日期), one per class."""
    return _marks(ctx, lambda r: r.filing_date.notnull() & ctx.in_period(r.filing_date), effective=False)


def geographical_indication_records(ctx: Context) -> ir.Table:
    return _marks(ctx, lambda r: r.is_gi.fill_null(False))


def collective_mark_records(ctx: Context) -> ir.Table:
    return _marks(ctx, lambda r: r.mark_kind == "collective")


def certification_mark_records(ctx: Context) -> ir.Table:
    return _marks(ctx, lambda r: r.mark_kind == "certification")


def madrid_records(ctx: Context) -> ir.Table:
    return _marks(ctx, lambda r: ibis.literal(True), madrid=True)


# -- the registry -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Indicator:
    key: str
    zh: str
    en: str
    unit: str                   # 件 | 件/万人 | % | 万元 | 份
    kind: str                   # stock | flow
    records: Callable[[Context], ir.Table] | None = None
    sum_column: str | None = None        # the figure is a sum over distinct record keys
    distinct_key: str = "app_no"
    ratio: tuple[str, str, float] | None = None   # numerator key, denominator key, scale
    per_10k: str | None = None                     # numerator key, over 10,000 of the base
    base: str = "population"   # of per_10k: population | market_entities | configured (trademark_density_base)

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def _hv(criterion: str) -> Callable[[Context], ir.Table]:
    return lambda ctx: high_value_records(ctx, criterion)


CRITERION_LABELS = {
    "sei": ("高价值发明专利：战略性新兴产业", "high-value: strategic emerging industry"),
    "family_abroad": ("高价值发明专利：海外有同族专利权", "high-value: granted family member abroad"),
    "maintained_10y": ("高价值发明专利：维持年限超过10年", "high-value: maintained over 10 years"),
    "pledge_high": ("高价值发明专利：较高质押融资金额", "high-value: high pledge financing"),
    "award": ("高价值发明专利：国家科学技术奖或中国专利奖", "high-value: national S&T award or China Patent Award"),
}

INDICATORS: dict[str, Indicator] = {i.key: i for i in [
    Indicator("valid_inventions", "有效发明专利", "valid invention patents", "件", "stock", valid_invention_records),
    Indicator("valid_inventions_per_10k", "每万人口发明专利拥有量", "valid invention patents per 10,000 residents",
              "件/万人", "stock", per_10k="valid_inventions"),
    Indicator("industry_valid_inventions", "主导产业有效发明专利", "valid invention patents of the plan's industries",
              "件", "stock", industry_valid_invention_records),
    Indicator("high_value_inventions", "高价值发明专利", "high-value invention patents", "件", "stock",
              high_value_records),
    *[Indicator(f"high_value_{c}", CRITERION_LABELS[c][0], CRITERION_LABELS[c][1], "件", "stock", _hv(c))
      for c in CRITERIA],
    Indicator("high_value_per_10k", "每万人口高价值发明专利拥有量", "high-value invention patents per 10,000 residents",
              "件/万人", "stock", per_10k="high_value_inventions"),
    Indicator("applications", "专利申请量", "patent applications", "件", "flow", application_records),
    Indicator("grants", "专利授权量", "patent grants", "件", "flow", grant_records),
    Indicator("invention_applications", "发明专利申请量", "invention applications", "件", "flow",
              invention_application_records),
    Indicator("invention_grants", "发明专利授权量", "invention grants", "件", "flow", invention_grant_records),
    Indicator("invention_concluded", "发明专利审查结案量", "invention examinations concluded", "件", "flow",
              invention_concluded_records),
    Indicator("invention_grant_rate", "发明专利授权率", "invention grant rate", "%", "flow",
              ratio=("invention_grants", "invention_concluded", 100.0)),
    Indicator("maintainable_inventions", "授权且未届满的发明专利", "granted inventions within term", "件", "stock",
              maintainable_invention_records),
    Indicator("invention_maintenance_rate", "发明专利维持率", "invention maintenance rate", "%", "stock",
              ratio=("valid_inventions", "maintainable_inventions", 100.0)),
    Indicator("family_abroad_share", "有效发明专利海外同族占比", "share of valid inventions with family abroad", "%",
              "stock", ratio=("high_value_family_abroad", "valid_inventions", 100.0)),
    Indicator("pct_applications", "PCT国际专利申请量", "PCT applications", "件", "flow", pct_application_records),
    Indicator("pledge_amount", "专利权质押融资额", "patent pledge financing amount", "万元", "flow", pledge_records,
              sum_column="amount_yuan", distinct_key="contract_no"),
    Indicator("pledge_count", "专利权质押登记数", "patent pledge contracts", "份", "flow", pledge_records,
              distinct_key="contract_no"),
    Indicator("ip_pledge_amount", "专利商标质押融资额", "patent and trademark pledge financing amount", "万元", "flow",
              ip_pledge_records, sum_column="amount_yuan", distinct_key="contract_no"),
    Indicator("ip_pledge_count", "专利商标质押登记数", "patent and trademark pledge contracts", "份", "flow",
              ip_pledge_records, distinct_key="contract_no"),
    Indicator("trademarks", "有效商标注册量", "effective registered trademarks", "件", "stock", trademark_records,
              sum_column="effective_count", distinct_key="trademark_key"),
    Indicator("trademarks_per_10k_entities", "每万户市场主体有效商标拥有量",
              "effective trademarks per 10,000 market entities", "件/万户", "stock", per_10k="trademarks",
              base="market_entities"),
    Indicator("trademarks_per_10k_residents", "每万人口有效商标拥有量", "effective trademarks per 10,000 residents",
              "件/万人", "stock", per_10k="trademarks"),
    Indicator("trademarks_per_10k", "有效商标拥有量密度", "effective trademark density", "件/万户", "stock",
              per_10k="trademarks", base="configured"),
    Indicator("trademark_registrations", "商标注册量", "trademark registrations", "件", "flow",
              trademark_registration_records, distinct_key="trademark_key"),
    Indicator("trademark_applications", "商标申请量", "trademark applications", "件", "flow",
              trademark_application_records, distinct_key="trademark_key"),
    Indicator("geographical_indications", "地理标志商标", "geographical indication marks", "件", "stock",
              geographical_indication_records, distinct_key="trademark_key"),
    Indicator("collective_marks", "集体商标", "collective marks", "件", "stock", collective_mark_records,
              distinct_key="trademark_key"),
    Indicator("certification_marks", "证明商标", "certification marks", "件", "stock", certification_mark_records,
              distinct_key="trademark_key"),
    Indicator("madrid_registrations", "马德里国际注册商标", "Madrid international registrations", "件", "stock",
              madrid_records, distinct_key="trademark_key"),
]}


def resolved(ind: Indicator) -> Indicator:
    """The indicator as computed now: ``trademarks_per_10k`` takes the base configured (indicators config
    ``trademark_density_base``), with that base's name and unit."""
    if ind.base != "configured":
        return ind
    which = "entities" if trademark_density_base() == "market_entities" else "residents"
    same = INDICATORS[f"trademarks_per_10k_{which}"]
    return replace(ind, zh=same.zh, en=same.en, unit=same.unit, base=same.base)
