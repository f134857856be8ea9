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
from dataclasses import dataclass, field
from datetime import date

import ibis
import ibis.expr.types as ir

from hvpatent.i18n import say
from hvpatent.indicators.base import HK_MACAO_TAIWAN, first_applicants, industry_memberships, region_column
from hvpatent.legal import IN_FORCE, states_on_dates

NATIONAL = "national"   # compare value meaning domestic China (indicators in_region(None))
YEARS = 10              # filing years in the trend
GROWTH_YEARS = 3        # growth: the last 3 full years against the 3 before
STRONG_RTA, WEAK_RTA = 1.2, 0.8
TREND_TYPES = ("invention", "utility_model")
SIDES = ("region", "compare")
MEASURES = ("applications", "grants", "valid", "key")


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
    _states: dict = field(default_factory=dict)
    _placed: ir.Table | None = None

    def side(self, side: str) -> ir.Table:
        if side not in SIDES:
            raise ValueError(say(f"side 应为 region 或 compare：{side!r}", f"side must be region or compare: {side!r}"))
        p = self.patents
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


def scope(con: ibis.BaseBackend, industry: str, as_of: date, region: str, compare: str | None,
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
    possible when the region lies outside it) has no RTA and counts as strong."""
    if region_count == 0 and compare_count == 0:
        return "absent"
    if region_count == 0 and compare_growth is not None and compare_growth > 0:
        return "gap"
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
              *, as_known_on: date | None = None, top: int = 20) -> Landscape:
    """The industry's landscape for the region (default the plan's) against the comparison region (default the
    region's province; None or NATIONAL: domestic China).  KeyError: unknown industry; ValueError: bad region."""
    from hvpatent.navigation import who

    region, region_name, compare, compare_name = resolve(industry, region, compare)
    the_tree = _tree(industry)
    sc = scope(con, industry, as_of, region, compare, as_known_on)
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
    land.notes.append(say("按第一申请人所在地区计数；对比区域包含本区域自身的专利",
                          "Counted by the first applicant's region; the comparison region includes the region's own "
                          "patents"))
    return land


def landscape_patents(con: ibis.BaseBackend, industry: str, as_of: date, region: str | None = None,
                      compare: str | None = ...,  # type: ignore[assignment]
                      *, side: str = "region", branch: str | None = None, applicant: str | None = None,
                      inventor: str | None = None, year: int | None = None, measure: str = "applications",
                      as_known_on: date | None = None, limit: int | None = None,
                      patent_type: str | None = None) -> list[dict]:
    """The patents behind a figure of landscape(): their number is the figure (docs/navigation.md, "Drill-down").

    measure applications: filed up to as_of (in ``year`` when given); grants: granted up to as_of (in ``year``);
    valid: in force on as_of (on ``year``'s last day, or as_of in its year); key: the region's key patents."""
    from hvpatent.ingest.fields import normalize_name
    from hvpatent.navigation import who

    if measure not in MEASURES:
        raise ValueError(say(f"measure 应为 {', '.join(MEASURES)} 之一：{measure!r}",
                             f"measure must be one of {', '.join(MEASURES)}: {measure!r}"))
    region, _, compare, _ = resolve(industry, region, compare)
    the_tree = _tree(industry)
    if branch is not None:
        the_tree.get(branch)  # KeyError for a branch not in the tree
    sc = scope(con, industry, as_of, region, compare, as_known_on)
    p = sc.side("region" if measure == "key" else side)
    if patent_type is not None:
        p = p.filter(p.patent_type == patent_type)
    if applicant is not None:
        p = p.filter(p.applicant == normalize_name(applicant))
    if inventor is not None:
        inv = con.table("inventors")
        inv = inv.filter((inv.name_norm == normalize_name(inventor)) | (inv.name == inventor))
        p = p.semi_join(inv.select("app_no"), "app_no")
    if branch is not None:
        pl = sc.placed()
        p = p.semi_join(pl.filter(pl.branch == branch).select("app_no"), "app_no")
    day = year_end(year, as_of) if measure == "valid" and year is not None else as_of
    s = sc.states([*trend_days(sc), day])
    s = s.filter(s.day == ibis.date(day)).drop("day")
    p = p.join(s, "app_no")  # every patent has a state from its filing date: only `valid` on a year end drops some
    if measure == "applications" and year is not None:
        p = p.filter(p.filing_date.year() == year)
    elif measure == "grants":
        p = p.filter(p.grant_date.notnull() & (p.grant_date <= ibis.date(as_of)))
        if year is not None:
            p = p.filter(p.grant_date.year() == year)
    elif measure == "valid":
        p = p.filter(p.state.isin(IN_FORCE))
    elif measure == "key":
        keys = [k["app_no"] for k in who.key_patents(sc)]
        p = p.filter(p.app_no.isin(keys)) if keys else p.limit(0)
    p = p.select("app_no", "title", "patent_type", "filing_date", "grant_date", "state", "applicant_name",
                 "region_code").order_by("app_no")
    if limit is not None:
        p = p.limit(limit)
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
