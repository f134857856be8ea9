"""An industry's patent landscape (专利态势) for a region against a comparison region: trends, the region's
share, each branch's counts, RTA, growth and position, and (navigation/who.py) who: applicants, innovation
entities, inventors, the co-applicant network, partners elsewhere, key patents.

Every count is one portable Ibis query over the industry's member set (one grouped query per table, never one
per branch), so the same code runs on DuckDB and on Spark.  A patent belongs to the region of its first
applicant (CNIPA's counting rule, docs/indicators.md); the comparison side counts every patent of the
comparison region, the region's own included.  Definitions: docs/navigation.md.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import ibis
import ibis.expr.types as ir

from hvpatent.i18n import say
from hvpatent.indicators.base import (
    HK_MACAO_TAIWAN,
    code_prefix,
    first_applicants,
    has_table,
    industry_memberships,
    region_column,
)
from hvpatent.legal import IN_FORCE, states_on_dates

NATIONAL = "national"   # compare value meaning domestic China (indicators in_region(None))
YEARS = 10              # filing years in the trend
GROWTH_YEARS = 3        # growth: the last 3 full years against the 3 before
STRONG_RTA, WEAK_RTA = 1.2, 0.8
TREND_TYPES = ("invention", "utility_model")
SIDES = ("region", "compare")
# A list's sides: "elsewhere" is the comparison region without the region (where partners and recruits are found).
LIST_SIDES = (*SIDES, "elsewhere")
MEASURES = ("applications", "grants", "valid", "key")
PARTIES = ("first", "any")   # applicant= matches the first applicant (the counts) or any applicant (the network)
PATENT_TYPES = ("invention", "utility_model", "design")


@dataclass
class Landscape:
    industry: str
    industry_name: str
    as_of: date
    region: str
    region_name: str
    compare: str | None
    compare_name: str
    years: list[int] = field(default_factory=list)
    trend: list[dict] = field(default_factory=list)
    share: list[dict] = field(default_factory=list)
    branches: list[dict] = field(default_factory=list)
    applicants: dict[str, list[dict]] = field(default_factory=dict)
    entity_types: list[dict] = field(default_factory=list)
    inventors: list[dict] = field(default_factory=list)
    network: dict = field(default_factory=lambda: {"nodes": [], "edges": []})
    partners: list[dict] = field(default_factory=list)
    key_patents: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# -- arguments ------------------------------------------------------------------------------------
def _tree(industry: str):
    """The industry's technology breakdown (navigation/tree.py; KeyError for an unknown industry)."""
    return importlib.import_module("hvpatent.navigation.tree").tree(industry)


def _placements(con: ibis.BaseBackend, industry: str) -> ir.Table:
    return importlib.import_module("hvpatent.navigation.placement").placements(con, industry)


def industry_name(industry: str) -> str:
    from hvpatent.indicators.config import industries

    for item in industries():
        if item.code == industry:
            return item.name
    raise KeyError(industry)


def check_region(code: str, what: str = "region") -> str:
    """A region code of 6 or 12 ASCII digits that the division table knows; ValueError (both languages)."""
    from hvpatent.reference.regions import region_name

    text = str(code).strip()
    if not (text.isascii() and text.isdigit() and len(text) in (6, 12)) or region_name(text) is None:
        raise ValueError(say(f"地区代码无效（{what}）：{code!r}，应为行政区划表中的 6 位或 12 位数字代码",
                             f"invalid region code ({what}): {code!r}; expected a 6- or 12-digit code of the "
                             "administrative divisions"))
    return text


def resolve(industry: str, region: str | None, compare: object) -> tuple[str, str, str | None, str]:
    """(region, region_name, compare or None for national, compare_name); KeyError for an unknown industry."""
    from hvpatent.reference.regions import region_name

    industry_name(industry)
    if region is None:
        from hvpatent.plan import load_plan

        region = load_plan().region
    region = check_region(region)
    if compare is ...:
        compare = region[:2] + "0000"
    if compare is None or compare == NATIONAL:
        return region, region_name(region) or region, None, say("全国", "China")
    compare = check_region(str(compare), "compare")
    return region, region_name(region) or region, compare, region_name(compare) or compare


def _inside(t: ir.Table, code: str | None) -> ir.BooleanValue:
    """Whether a first-applicant row belongs to the region (None: domestic China, as indicators.in_region)."""
    if code is None:
        return t.province_code.notnull() & ~t.province_code.isin(HK_MACAO_TAIWAN)
    return (t[region_column(code)] == code).fill_null(False)


def region_inside(region: str, compare: str | None) -> bool:
    """Whether the region lies inside the comparison region (None: domestic China, without Hong Kong, Macao and
    Taiwan), so that the comparison side includes the region's own patents."""
    if compare is None:
        return region[:2] + "0000" not in HK_MACAO_TAIWAN
    return region.startswith(code_prefix(compare))


def year_end(year: int, as_of: date) -> date:
    return min(date(year, 12, 31), as_of)


def last_full_year(as_of: date) -> int:
    return as_of.year if (as_of.month, as_of.day) == (12, 31) else as_of.year - 1


# -- the scope: the industry's patents of both sides, once ---------------------------------------------
@dataclass
class Scope:
    con: ibis.BaseBackend
    industry: str
    as_of: date
    region: str
    compare: str | None
    as_known_on: date | None
    patents: ir.Table      # app_no, patent_type, filing_date, title, first applicant columns, is_region, is_compare
    high_value: list[dict] | None = None   # indicators.high_value_list(con, as_of, region) rows, when given
    _states: dict = field(default_factory=dict)
    _placed: ir.Table | None = None

    def side(self, side: str) -> ir.Table:
        """A side's patents: region, compare, or elsewhere (in the comparison region, not in the region)."""
        if side not in LIST_SIDES:
            raise ValueError(say(f"side 应为 {', '.join(LIST_SIDES)} 之一：{side!r}",
                                 f"side must be one of {', '.join(LIST_SIDES)}: {side!r}"))
        p = self.patents
        if side == "elsewhere":
            return p.filter(p.is_compare & ~p.is_region)
        return p.filter(p.is_region if side == "region" else p.is_compare)

    def long(self) -> ir.Table:
        """One row per patent and side it counts for (a region patent inside the comparison region twice)."""
        p = self.patents
        cols = [c for c in p.columns if c not in ("is_region", "is_compare")]
        region = p.filter(p.is_region).select(*cols, side=ibis.literal("region"))
        compare = p.filter(p.is_compare).select(*cols, side=ibis.literal("compare"))
        return region.union(compare)

    def states(self, days: list[date]) -> ir.Table:
        """(app_no, day, state, grant_date) of the scope's patents on these days, in one query, kept."""
        key = tuple(sorted(set(days)))
        if key not in self._states:
            s = states_on_dates(self.con, list(key), as_known_on=self.as_known_on,
                                applications=self.patents.select("app_no"))
            self._states[key] = s.select("app_no", "day", "state", "grant_date").cache()
        return self._states[key]

    def at_as_of(self) -> ir.Table:
        """(app_no, state, grant_date) on the as-of date."""
        s = self.states(trend_days(self))
        return s.filter(s.day == ibis.date(self.as_of)).drop("day")

    def placed(self) -> ir.Table:
        """(app_no, branch, source) of the scope's patents: the industry's placements (navigation/placement.py)."""
        if self._placed is None:
            pl = _placements(self.con, self.industry)
            self._placed = pl.select("app_no", "branch", "source").semi_join(
                self.patents.select("app_no"), "app_no").cache()
        return self._placed


def trend_days(scope: Scope) -> list[date]:
    first = scope.as_of.year - YEARS + 1
    return [year_end(y, scope.as_of) for y in range(first, scope.as_of.year + 1)]


def _scope(con: ibis.BaseBackend, industry: str, as_of: date, region: str, compare: str | None,
           as_known_on: date | None = None) -> Scope:
    """The industry's applications filed up to ``as_of`` whose first applicant is in the region or the comparison
    region, with their first-applicant columns: computed once and cached (every figure is a query of it)."""
    members = industry_memberships(con)
    members = members.filter(members.industry == industry).select("app_no").distinct()
    fa = first_applicants(con).semi_join(members, "app_no")
    is_region, is_compare = _inside(fa, region), _inside(fa, compare)
    fa = fa.mutate(is_region=is_region, is_compare=is_compare)
    fa = fa.filter(fa.is_region | fa.is_compare)
    apps = con.table("applications").select("app_no", "patent_type", "filing_date", "title")
    apps = apps.filter(apps.filing_date <= ibis.date(as_of))
    p = fa.join(apps, "app_no")
    p = p.mutate(region_code=ibis.coalesce(p.town_code, p.county_code, p.city_code, p.province_code))
    return Scope(con, industry, as_of, region, compare, as_known_on, p.cache())


# -- figures ----------------------------------------------------------------------------------------------
def trend(sc: Scope, years: list[int]) -> list[dict]:
    """Applications by filing year, grants by grant year (up to as_of), valid at each year end (as_of for the
    as-of year), by side and type: three grouped queries."""
    first = years[0]
    long = sc.long()
    long = long.filter(long.patent_type.isin(TREND_TYPES))
    filed = long.filter(long.filing_date.year() >= first)
    filed = filed.group_by(["side", "patent_type", filed.filing_date.year().name("year")]).aggregate(
        n=filed.app_no.count())
    now = sc.at_as_of()
    granted = long.join(now, "app_no")
    granted = granted.filter(granted.grant_date.notnull() & (granted.grant_date <= ibis.date(sc.as_of))
                             & (granted.grant_date.year() >= first))
    granted = granted.group_by(["side", "patent_type", granted.grant_date.year().name("year")]).aggregate(
        n=granted.app_no.count())
    s = sc.states(trend_days(sc))
    valid = long.join(s.filter(s.state.isin(IN_FORCE)), "app_no")
    valid = valid.group_by(["side", "patent_type", valid.day.year().name("year")]).aggregate(n=valid.app_no.count())
    counts: dict[tuple, dict] = {}
    for measure, table in (("applications", filed), ("grants", granted), ("valid", valid)):
        for row in table.to_pyarrow().to_pylist():
            counts.setdefault((row["side"], int(row["year"]), row["patent_type"]), {})[measure] = int(row["n"])
    return [{"side": side, "year": y, "patent_type": t,
             **{m: counts.get((side, y, t), {}).get(m, 0) for m in ("applications", "grants", "valid")}}
            for side in SIDES for y in years for t in TREND_TYPES]


def share(rows: list[dict], years: list[int]) -> list[dict]:
    out = []
    for y in years:
        region = sum(r["applications"] for r in rows if r["side"] == "region" and r["year"] == y)
        compare = sum(r["applications"] for r in rows if r["side"] == "compare" and r["year"] == y)
        out.append({"year": y, "region_applications": region, "compare_applications": compare,
                    "share": region / compare if compare else None})
    return out


def _growth(recent: int, earlier: int) -> float | None:
    return recent / earlier - 1 if earlier else None


def position(region_count: int, compare_count: int, rta: float | None, compare_growth: float | None) -> str:
    """strong (RTA >= 1.2) | balanced | weak (RTA < 0.8) | gap (none in the region, the comparison region growing)
    | absent (none on either side).  A branch with patents in the region and none in the comparison region (only
    possible when the region lies outside it) has no RTA and counts as strong; none in the region while the
    comparison region has some and is not growing is weak (also when the region has no patent of the industry at
    all, so that its shares and the RTA are undefined)."""
    if region_count == 0 and compare_count == 0:
        return "absent"
    if region_count == 0:
        return "gap" if compare_growth is not None and compare_growth > 0 else "weak"
    if rta is None:
        return "strong"
    if rta >= STRONG_RTA:
        return "strong"
    if rta < WEAK_RTA:
        return "weak"
    return "balanced"


def branch_figures(sc: Scope, the_tree) -> list[dict]:
    """One row per branch of the tree (tree order): counts, shares, RTA, growth, position; one grouped query."""
    last = last_full_year(sc.as_of)
    recent, earlier = (last - GROWTH_YEARS + 1, last), (last - 2 * GROWTH_YEARS + 1, last - GROWTH_YEARS)
    long = sc.long()
    totals = {r["side"]: int(r["n"]) for r in
              long.group_by("side").aggregate(n=long.app_no.count()).to_pyarrow().to_pylist()}
    placed = sc.placed().select("app_no", "branch").distinct()
    j = placed.join(long.select("app_no", "side", "filing_date"), "app_no")
    year = j.filing_date.year()
    window = ibis.cases((year.between(*recent), "recent"), (year.between(*earlier), "earlier"), else_="other")
    grouped = j.group_by(["branch", "side", window.name("window")]).aggregate(n=j.app_no.count())
    counts: dict[tuple, int] = {}
    for row in grouped.to_pyarrow().to_pylist():
        counts[(row["branch"], row["side"], row["window"])] = int(row["n"])
    rows = []
    for b in the_tree.branches:
        fig: dict = {"branch": b.code, "name": b.name, "name_en": b.name_en, "parent": b.parent, "level": b.level}
        for side in SIDES:
            c = {w: counts.get((b.code, side, w), 0) for w in ("recent", "earlier", "other")}
            total = totals.get(side, 0)
            fig[f"{side}_count"] = sum(c.values())
            fig[f"{side}_share"] = fig[f"{side}_count"] / total if total else None
            fig[f"{side}_growth"] = _growth(c["recent"], c["earlier"])
        rs, cs = fig["region_share"], fig["compare_share"]
        fig["rta"] = rs / cs if rs is not None and cs else None
        fig["position"] = position(fig["region_count"], fig["compare_count"], fig["rta"], fig["compare_growth"])
        rows.append({k: fig[k] for k in ("branch", "name", "name_en", "parent", "level", "region_count",
                                         "compare_count", "region_share", "compare_share", "rta", "region_growth",
                                         "compare_growth", "position")})
    return rows


def landscape(con: ibis.BaseBackend, industry: str, as_of: date, region: str | None = None,
              compare: str | None = ...,  # type: ignore[assignment]
              *, as_known_on: date | None = None, top: int = 20, high_value: list[dict] | None = None,
              scope: Scope | None = None) -> Landscape:
    """The industry's landscape for the region (default the plan's) against the comparison region (default the
    region's province; None or NATIONAL: domestic China).  KeyError: unknown industry; ValueError: bad region.

    ``high_value``: the rows of ``indicators.high_value_list(con, as_of, region, as_known_on=...)`` when the caller
    has them already (one computation for the landscapes of several industries); ``scope``: a
    ``landscape_scope(...)`` of the same question to reuse."""
    from hvpatent.navigation import who

    region, region_name, compare, compare_name = resolve(industry, region, compare)
    the_tree = _tree(industry)
    sc = _reuse(con, scope, industry, as_of, region, compare, as_known_on) if scope is not None else \
        _scope(con, industry, as_of, region, compare, as_known_on)
    if high_value is not None:
        sc.high_value = list(high_value)
        sc._states.pop("key_patents", None)  # key patents of other high-value rows, if the scope holds any
    years = list(range(as_of.year - YEARS + 1, as_of.year + 1))
    land = Landscape(industry, industry_name(industry), as_of, region, region_name, compare, compare_name, years)
    land.trend = trend(sc, years)
    land.share = share(land.trend, years)
    land.branches = branch_figures(sc, the_tree)
    who.fill(sc, the_tree, land, top)
    if all(r["compare_applications"] == r["region_applications"] for r in land.share):
        land.notes.append(say("近十年对比区域除本区域外没有该产业的专利申请，占比与 RTA 无对比意义："
                              "请导入对比区域的数据"
                              "（如全国 CN 公开数据）",
                              "In the last ten years the comparison region has no application of the industry besides "
                              "the region's own, so shares and RTA compare nothing: import its data (e.g. a "
                              "country-wide export of CN publications)"))
    if not any(r["region_count"] for r in land.branches):
        land.notes.append(say("本区域没有该产业分支上的专利", "The region has no patent on the industry's branches"))
    if region_inside(region, compare):
        land.notes.append(say("按第一申请人所在地区计数；对比区域包含本区域自身的专利",
                              "Counted by the first applicant's region; the comparison region includes the region's "
                              "own patents"))
    else:
        land.notes.append(say("按第一申请人所在地区计数；本区域不在对比区域内",
                              "Counted by the first applicant's region; the region lies outside the comparison region"))
    return land



# -- the patents behind a figure ------------------------------------------------------------------------------
def landscape_scope(con: ibis.BaseBackend, industry: str, as_of: date, region: str | None = None,
                    compare: str | None = ...,  # type: ignore[assignment]
                    *, as_known_on: date | None = None) -> Scope:
    """The computed scope of one question (the industry's patents of both sides, cached, and the legal states it
    reads, kept): pass it as ``scope=`` to landscape(), landscape_patents() and landscape_patent_count() to answer
    many drill-downs of the same question without recomputing it.  Same arguments and errors as landscape()."""
    region, _, compare, _ = resolve(industry, region, compare)
    _tree(industry)
    return _scope(con, industry, as_of, region, compare, as_known_on)


def _reuse(con: ibis.BaseBackend, sc: Scope, industry: str, as_of: date, region: str, compare: str | None,
           as_known_on: date | None) -> Scope:
    """The given scope, when it was computed for this question on this connection; ValueError (both languages)
    otherwise (its cached tables live on the connection that computed them)."""
    if sc.con is not con:
        raise ValueError(say("scope 是在另一个连接上计算的：请在同一连接上调用 landscape_scope()",
                             "the scope was computed on another connection: call landscape_scope() on this one"))
    asked = (industry, as_of, region, compare, as_known_on)
    held = (sc.industry, sc.as_of, sc.region, sc.compare, sc.as_known_on)
    if held != asked:
        raise ValueError(say(f"scope 属于另一个问题：{held}，而不是 {asked}",
                             f"the scope was computed for another question: {held}, not {asked}"))
    return sc


def _patent_types(value: str | Iterable[str] | None) -> list[str] | None:
    """None, or the patent types asked for: one type, several (a list, or one string separated by commas)."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    types = [str(t).strip() for t in items if str(t).strip()]
    if not types or any(t not in PATENT_TYPES for t in types):
        raise ValueError(say(f"patent_type 应为 {', '.join(PATENT_TYPES)} 中的一个或多个（逗号分隔）：{value!r}",
                             f"patent_type must be one or more of {', '.join(PATENT_TYPES)} (separated by commas): "
                             f"{value!r}"))
    return types


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(say(f"{name} 应为 {', '.join(allowed)} 之一：{value!r}",
                             f"{name} must be one of {', '.join(allowed)}: {value!r}"))
    return value


def _state_day(as_of: date, measure: str, year: int | None) -> date:
    """The day a list's states are read on: ``year``'s last day for valid in a year, else as_of."""
    return year_end(year, as_of) if measure == "valid" and year is not None else as_of


def _states_at(sc: Scope, day: date, apps: ir.Table | None = None) -> ir.Table:
    """(app_no, state, grant_date) on ``day``: from states the scope holds already (a landscape computed on it),
    else computed on that one day only: for ``apps`` (a page's app_nos) when given, else for the whole scope."""
    held = next((t for k, t in sc._states.items() if isinstance(k, tuple) and day in k), None)
    if held is None and apps is not None:
        held = states_on_dates(sc.con, [day], as_known_on=sc.as_known_on, applications=apps.select("app_no")) \
            .select("app_no", "day", "state", "grant_date")
    elif held is None:
        held = sc.states([day])
    return held.filter(held.day == ibis.date(day)).drop("day")


def _drill(con: ibis.BaseBackend, industry: str, as_of: date, region: str | None, compare: object, *, side: str,
           branch: str | None, applicant: str | None, inventor: str | None, year: int | None, measure: str,
           as_known_on: date | None, patent_type: str | Iterable[str] | None, party: str, since_year: int | None,
           scope: Scope | None, applicant_type: str | None = None) -> tuple[Scope, ir.Table]:
    """The scope and the filtered patents of a drill-down (with state and grant_date when the measure filters on
    them: grants, valid)."""
    from hvpatent.ingest.fields import normalize_name
    from hvpatent.navigation import who

    _choice("measure", measure, MEASURES)
    _choice("side", side, LIST_SIDES)
    _choice("party", party, PARTIES)
    types = _patent_types(patent_type)
    region, _, compare, _ = resolve(industry, region, compare)
    the_tree = _tree(industry)
    if branch is not None:
        the_tree.get(branch)  # KeyError for a branch not in the tree
    if measure == "key" and side != "region":
        raise ValueError(say(f"side：核心专利只属于本区域（side=region），不能是 {side!r}",
                             f"side: key patents are the region's (side=region), not {side!r}"))
    sc = _reuse(con, scope, industry, as_of, region, compare, as_known_on) if scope is not None else \
        _scope(con, industry, as_of, region, compare, as_known_on)
    p = sc.side(side)
    if applicant_type is not None:
        p = p.filter(p.applicant_type == applicant_type)
    if types is not None:
        p = p.filter(p.patent_type.isin(types))
    if since_year is not None:
        p = p.filter(p.filing_date.year() >= int(since_year))
    if applicant is not None:
        norm = normalize_name(applicant)
        if party == "first":
            p = p.filter(p.applicant == norm)
        else:  # named in any position, as the co-applicant network counts a node's patents
            parties = sc.con.table("parties")
            parties = parties.filter(parties.role.isin(who.APPLICANT_ROLES) & (parties.name_norm == norm))
            p = p.semi_join(parties.select("app_no"), "app_no")
    if inventor is not None:
        if has_table(sc.con, "inventors"):
            inv = sc.con.table("inventors")
            inv = inv.filter((inv.name_norm == normalize_name(inventor)) | (inv.name == inventor))
            p = p.semi_join(inv.select("app_no"), "app_no")
        else:
            p = p.limit(0)
    if branch is not None:
        pl = sc.placed()
        p = p.semi_join(pl.filter(pl.branch == branch).select("app_no"), "app_no")
    if measure == "applications" and year is not None:
        p = p.filter(p.filing_date.year() == year)
    elif measure == "key":
        keys = [k["app_no"] for k in who.key_patents(sc)]
        p = p.filter(p.app_no.isin(keys)) if keys else p.limit(0)
    if measure in ("grants", "valid"):
        p = p.join(_states_at(sc, _state_day(as_of, measure, year)), "app_no")
        # every patent has a state from its filing date: only `valid` on a year end drops
        if measure == "grants":
            p = p.filter(p.grant_date.notnull() & (p.grant_date <= ibis.date(as_of)))
            if year is not None:
                p = p.filter(p.grant_date.year() == year)
        elif measure == "valid":
            p = p.filter(p.state.isin(IN_FORCE))
    return sc, p


def landscape_patents(con: ibis.BaseBackend, industry: str, as_of: date, region: str | None = None,
                      compare: str | None = ...,  # type: ignore[assignment]
                      *, side: str = "region", branch: str | None = None, applicant: str | None = None,
                      inventor: str | None = None, year: int | None = None, measure: str = "applications",
                      as_known_on: date | None = None, limit: int | None = None,
                      patent_type: str | Iterable[str] | None = None, party: str = "first",
                      since_year: int | None = None, offset: int = 0, scope: Scope | None = None,
                      applicant_type: str | None = None) -> list[dict]:
    """The patents behind a figure of landscape(): their number is the figure (docs/navigation.md, "Drill-down").

    measure applications: filed up to as_of (in ``year`` when given); grants: granted up to as_of (in ``year``);
    valid: in force on as_of (on ``year``'s last day, or as_of in its year); key: the region's key patents.
    side: region | compare | elsewhere (the comparison region without the region: partners and recruits).
    patent_type: one type or several (a list or "invention,utility_model"); since_year: filed in that year or later;
    party: "first" (``applicant`` is the first applicant, as every count) or "any" (named in any position, as the
    co-applicant network's nodes); applicant_type: the first applicant's type (the innovation entities' rows).
    measure key needs side region (ValueError naming side otherwise).  Ordered by app_no; ``offset``/``limit`` page
    in the query, and the legal states are read for the page only (on one day) unless the scope holds them;
    ``scope``: a landscape_scope(...) of the same question, computed on ``con``, to reuse."""
    from hvpatent.navigation import who

    sc, p = _drill(con, industry, as_of, region, compare, side=side, branch=branch, applicant=applicant,
                   inventor=inventor, year=year, measure=measure, as_known_on=as_known_on, patent_type=patent_type,
                   party=party, since_year=since_year, scope=scope, applicant_type=applicant_type)
    stated = "state" in p.columns
    p = p.select("app_no", "title", "patent_type", "filing_date", "applicant_name", "region_code",
                 *(("grant_date", "state") if stated else ()))
    offset = max(int(offset), 0)
    if offset:
        # by row number rather than limit(offset=): Ibis' PySpark backend leaks its paging column into the result
        p = p.mutate(list_row=ibis.row_number().over(order_by=p.app_no))
        p = p.filter(p.list_row >= offset)
        if limit is not None:
            p = p.filter(p.list_row < offset + int(limit))
        p = p.drop("list_row")
    p = p.order_by("app_no")
    if limit is not None:
        p = p.limit(int(limit))
    if not stated:  # page first, then the page's states on the one day
        p = p.join(_states_at(sc, _state_day(as_of, measure, year), p), "app_no").order_by("app_no")
    rows = p.to_pyarrow().to_pylist()
    placed = who.branches_of(sc, p) if rows else {}
    out = []
    for r in rows:
        on = placed.get(r["app_no"], {})
        out.append({"app_no": r["app_no"], "title": r["title"], "patent_type": r["patent_type"],
                    "filing_date": r["filing_date"], "grant_date": r["grant_date"], "state": r["state"],
                    "applicant": r["applicant_name"], "region_code": r["region_code"], "branches": sorted(on),
                    "source": on.get(branch) if branch is not None else None})
    return out


def landscape_patent_count(con: ibis.BaseBackend, industry: str, as_of: date, region: str | None = None,
                           compare: str | None = ...,  # type: ignore[assignment]
                           *, side: str = "region", branch: str | None = None, applicant: str | None = None,
                           inventor: str | None = None, year: int | None = None, measure: str = "applications",
                           as_known_on: date | None = None, patent_type: str | Iterable[str] | None = None,
                           party: str = "first", since_year: int | None = None, scope: Scope | None = None,
                           applicant_type: str | None = None) -> int:
    """How many patents landscape_patents() would list with the same arguments (counted in the query)."""
    _, p = _drill(con, industry, as_of, region, compare, side=side, branch=branch, applicant=applicant,
                  inventor=inventor, year=year, measure=measure, as_known_on=as_known_on, patent_type=patent_type,
                  party=party, since_year=since_year, scope=scope, applicant_type=applicant_type)
    return int(p.count().execute())
