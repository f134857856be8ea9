"""Patent navigation in the dashboard and the API (专利导航, GB/T 39551; docs/navigation.md): the 8 industries with
their key figures, one industry's landscape (trend, share, the technology tree as a sunburst, the position per
branch, applicants, innovation entities, inventors, the co-applicant network, partners, key patents and the
recommendations), the patents behind every figure, and the exports (xlsx of a list, xlsx and docx of a landscape).

Staff only (admin, analyst), like the enterprise rankings: a landscape names other enterprises' key patents and
their criteria, rankings and inventors (personal names), so an enterprise or a bank account is refused (403).
Answers come from the navigation room through `Analytics.answer` (cached per data version, gated); no SQL here.
Navigation projects have their own page (web/navigation_projects.py).
"""

from __future__ import annotations

import dataclasses
import io
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse

from hvpatent.model import PARTY_TYPES
from hvpatent.warehouse.accounts import User
from hvpatent.web import inputs
from hvpatent.web.api import XLSX, analytics, jsonable
from hvpatent.web.inputs import choice as _choice
from hvpatent.web.inputs import integer as _int
from hvpatent.web.inputs import invalid as _bad
from hvpatent.web.pages import STAFF, _lang, _render, _user
from hvpatent.web.security import require

if TYPE_CHECKING:
    from hvpatent.navigation import Landscape

router = APIRouter()
Viewer = Annotated[User, Depends(require(*STAFF))]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PAGE_SIZE = 100                      # rows of a patent list per page, read from the query with offset/limit
EXPORT_CAP = 100_000                 # rows of a list's xlsx export at most (the file and the page say when cut)
API_LIMIT = 1_000                    # rows of a list's JSON answer by default (`limit` up to EXPORT_CAP, `offset`)
SIDES = ("region", "compare")
LIST_SIDES = (*SIDES, "elsewhere")   # elsewhere: the comparison region without the region (partners, recruits)
PATENT_TYPES = ("invention", "utility_model", "design")
TEN_YEAR_TYPES = "invention,utility_model"  # the types the trend, and so the 10-year cards, count
PARTIES = ("first", "any")
MEASURES = ("applications", "grants", "valid", "key")
REPORT_FORMATS = ("json", "xlsx", "docx")
DEFAULT_COMPARE = "province"         # the cache key of "the region's province" (landscape's default)
REGION_CODE = re.compile(r"[0-9]{6}([0-9]{6})?")  # ASCII digits only (full-width digits pass str.isdigit)
POSITIONS = ("strong", "balanced", "weak", "gap", "absent")

DateQ = Annotated[str | None, Query(max_length=10, description="统计日期 YYYY-MM-DD / as-of date (default: today)")]
RegionQ = Annotated[str | None, Query(max_length=12, description="区划代码 / region code (default: the plan's)")]
CompareQ = Annotated[str | None, Query(max_length=12, description="对比区域：区划代码或 national / comparison "
                                                                  "region: a code or national (default: the province)")]
SideQ = Annotated[str, Query(max_length=10, description="region | compare | elsewhere")]
BranchQ = Annotated[str | None, Query(max_length=200, description="技术分支代码 / branch code")]
TextQ = Annotated[str | None, Query(max_length=200)]
YearQ = Annotated[str | None, Query(max_length=4, description="申请年 / filing year")]
MeasureQ = Annotated[str, Query(max_length=15, description="applications | grants | valid | key")]
PageQ = Annotated[str | None, Query(max_length=6, description="页码 / page (1, 2, ...)")]
TypeQ = Annotated[str | None, Query(max_length=40, description="专利类型 / patent type: invention | utility_model | "
                                                               "design, several separated by commas")]
SinceQ = Annotated[str | None, Query(max_length=4, description="申请年起 / filed in this year or later")]
ApplicantTypeQ = Annotated[str | None, Query(max_length=12, description="第一申请人类型 / the first applicant's "
                                                                        "type: " + " | ".join(PARTY_TYPES))]
PartyQ = Annotated[str, Query(max_length=5, description="first（第一申请人）| any（任一申请人，合作网络）/ "
                                                        "first applicant | any applicant (the network)")]
OffsetQ = Annotated[str | None, Query(max_length=7, description="跳过行数 / rows to skip")]
LimitQ = Annotated[str | None, Query(max_length=6, description=f"行数上限 / rows at most (default {API_LIMIT}, "
                                                               f"at most {EXPORT_CAP})")]
ListFmtQ = Annotated[str, Query(max_length=5, description="json | xlsx")]
ReportFmtQ = Annotated[str, Query(max_length=5, description="json | xlsx | docx")]

WORDS: dict[str, tuple[str, str]] = {
    "navigation": ("专利导航", "Patent navigation"), "industry": ("产业", "Industry"),
    "region": ("本区域", "Region"), "compare": ("对比区域", "Comparison region"), "as_of": ("统计日期", "As of"),
    "applications": ("申请量", "Applications"), "grants": ("授权量", "Grants"), "valid": ("有效量", "Valid"),
    "key": ("核心专利", "Key patents"), "valid_inventions": ("有效发明专利", "Valid inventions"),
    "share": ("本区域占对比区域比重", "Region's share of the comparison region"),
    "strong": ("优势分支", "Strong branches"), "gap": ("空白分支", "Gap branches"),
    "ten_years": ("近10年", "last 10 years"), "show": ("查看", "Show"), "trend": ("申请、授权、有效趋势", "Trend"),
    "share_trend": ("申请量占比走势", "Share of applications"), "tree": ("技术分解", "Technology breakdown"),
    "branches": ("技术分支定位", "Position by branch"), "branch": ("技术分支", "Branch"),
    "level": ("层级", "Level"), "region_count": ("本区域申请", "Region"),
    "compare_count": ("对比区域申请", "Comparison"),
    "region_share": ("本区域占比", "Region share"), "compare_share": ("对比区域占比", "Comparison share"),
    "rta": ("显示性技术优势指数", "RTA"), "region_growth": ("本区域增长", "Region growth"),
    "compare_growth": ("对比区域增长", "Comparison growth"), "position": ("定位", "Position"),
    "pos_strong": ("优势", "strong"), "pos_balanced": ("持平", "balanced"), "pos_weak": ("薄弱", "weak"),
    "pos_gap": ("空白", "gap"), "pos_absent": ("均无", "absent"),
    "applicants": ("主要申请人", "Top applicants"), "applicant": ("申请人", "Applicant"),
    "applicant_type": ("申请人类型", "Applicant type"), "inventions": ("发明", "Inventions"),
    "entity_types": ("创新主体类型", "Innovation entities by type"), "entities": ("主体数", "Entities"),
    "inventors": ("发明人（人才）", "Inventors (talent)"), "inventor": ("发明人", "Inventor"),
    "patents": ("专利", "Patents"), "co_inventors": ("合作发明人", "Co-inventors"),
    "network": ("合作申请网络", "Co-applicant network"), "partners": ("合作与引进对象", "Partners elsewhere"),
    "reason": ("理由", "Reason"), "reason_partner": ("合作", "partner"), "reason_recruit": ("引进", "recruit"),
    "reason_high_value": ("高价值", "high-value"), "reason_most_cited": ("被引最多", "most cited"),
    "key_patents": ("核心专利", "Key patents"), "forward_citations": ("被引次数", "Cited by"),
    "recommendations": ("发展路径建议", "Recommendations"), "rule": ("规则", "Rule"),
    "notes": ("说明", "Notes"), "list": ("专利清单", "Patents"), "app_no": ("申请号", "Application"),
    "title": ("名称", "Title"), "patent_type": ("类型", "Type"), "filing_date": ("申请日", "Filed"),
    "grant_date": ("授权日", "Granted"), "state": ("法律状态", "State"), "region_code": ("区划", "Region code"),
    "source": ("归属来源", "Placement"), "year": ("申请年", "Year"), "page": ("页", "Page"),
    "prev": ("上一页", "Previous"), "next": ("下一页", "Next"), "records": ("件", "patents"),
    "export": ("导出 Excel", "Export xlsx"), "export_landscape": ("导出分析表 (xlsx)", "Landscape (xlsx)"),
    "report": ("导航报告 (docx)", "Report (docx)"), "all": ("全部", "all"), "back": ("返回", "Back"),
    "national": ("全国", "national"), "nothing": ("暂无", "none"),
    "side_region": ("本区域", "region"), "side_compare": ("对比区域", "comparison region"),
    "side_elsewhere": ("对比区域中本区域以外", "comparison region outside the region"), "side": ("范围", "Side"),
    "measure": ("指标", "Measure"), "since_year": ("申请年起", "Filed from"), "party": ("申请人位置", "Applicant"),
    "party_first": ("第一申请人", "first applicant"), "party_any": ("任一申请人", "any applicant"),
    "cut": ("导出最多 {cap} 行：本清单共 {total} 行，导出文件只含前 {cap} 行（按申请号排序）",
            "The export holds at most {cap} rows: this list has {total}, the file holds the first {cap} "
            "(by application number)"),
    "invention": ("发明", "invention"), "utility_model": ("实用新型", "utility model"),
    "design": ("外观设计", "design"),
    "click_hint": ("点击图表或数字查看背后的专利清单。", "Click a chart or a number for the patents behind it."),
}


def words(lang: str) -> dict[str, str]:
    i = 0 if lang == "zh" else 1
    return {k: v[i] for k, v in WORDS.items()}


# -- parsing the query: each bad value a 422 (404 for what does not exist) naming the parameter ----------------
def _industries() -> dict[str, str]:
    """The plan's 8 industries, code → Chinese name, in the order of indicators/industries.yaml."""
    from hvpatent.indicators.config import industries

    return {i.code: i.name for i in industries()}


def _industry(industry: str) -> str:
    known = _industries()
    if industry not in known:
        shown = industry if len(industry) <= 40 else industry[:40] + "…"
        raise HTTPException(404, f"未知产业 {shown!r}，可用：{' | '.join(known)} / industry: unknown {shown!r}; "
                                 f"allowed: {' | '.join(known)}")
    return industry


def _as_of(text: str | None, request: Request) -> date:
    if not text:
        return inputs.as_of(request.app.state.default_as_of or date.today())
    try:
        day = date.fromisoformat(text) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) else None
    except ValueError:
        day = None
    if day is None:
        raise _bad("as_of", text, "YYYY-MM-DD")
    return inputs.as_of(day)  # within the documented range, else 422


def _region(text: str | None, request: Request) -> str:
    if not text:
        region = analytics(request).plan.region
        if not region:
            raise HTTPException(422, "region：方案未设定区域，请给出区划代码 / region: the plan names no region; "
                                     "give a region code")
        return region
    if not REGION_CODE.fullmatch(text):
        raise _bad("region", text, "6 或 12 位区划代码 / a 6- or 12-digit region code")
    return text


def _compare(text: str | None) -> str | None:
    """The comparison region: a code, "national", or None for the landscape's default (the province)."""
    if not text:
        return None
    if text == "national":
        return text
    if not REGION_CODE.fullmatch(text):
        raise _bad("compare", text, "national 或 6/12 位区划代码 / national or a 6- or 12-digit region code")
    return text


def _branch(industry: str, branch: str | None) -> str | None:
    from hvpatent.navigation import TreeError, tree

    if not branch:
        return None
    try:
        codes = [b.code for b in tree(industry).branches]
    except KeyError as err:
        raise _bad("industry", industry, " | ".join(_industries()), 404) from err
    except TreeError as err:
        raise HTTPException(500, str(err)) from err
    if branch not in codes:
        raise _bad("branch", branch, f"{industry} 技术分解中的分支代码 / a branch code of {industry}'s breakdown", 404)
    return branch


@dataclasses.dataclass(frozen=True)
class Question:
    """One landscape question, parsed and validated: what the cache keys on and the links carry."""
    industry: str
    day: date
    region: str
    compare: str | None       # None: the landscape's default, the region's province

    def key(self) -> tuple:
        return (self.industry, self.day, self.region, self.compare or DEFAULT_COMPARE)

    def params(self, **extra: Any) -> str:
        values = {"as_of": self.day.isoformat(), "region": self.region, "compare": self.compare, **extra}
        return urlencode({k: v for k, v in values.items() if v is not None and v != ""})


def _question(request: Request, industry: str, as_of: str | None, region: str | None,
              compare: str | None) -> Question:
    return Question(_industry(industry), _as_of(as_of, request), _region(region, request), _compare(compare))


def _compare_arg(q: Question) -> Any:
    return ... if q.compare is None else q.compare


def _ask(request: Request, key: tuple, compute, *, cache: bool = True) -> Any:
    """An answer of the navigation room: KeyError (unknown industry) 404, ValueError (a bad region code or filter,
    bilingual) 422 — never a 500 for a question that cannot be asked.  ``cache=False``: computed through the gate
    but not kept (Analytics.compute), for answers too large for the cache."""
    from hvpatent.navigation import TreeError

    try:
        if not cache:
            return analytics(request).compute(compute)
        return analytics(request).answer(("navigation", *key), compute)
    except TreeError as err:  # the breakdowns file (a user's copy) is bad: say which file, branch and field
        raise HTTPException(500, str(err)) from err
    except KeyError as err:
        raise HTTPException(404, f"未知产业或分支 / unknown industry or branch: {err}") from err
    except ValueError as err:
        raise HTTPException(422, str(err)) from err


def high_value_of(request: Request, q: Question) -> list[dict]:
    """The region's high-value patents on the day (indicators.high_value_list), computed once per (as_of, region)
    and shared by the 8 landscapes of the overview (and with the high-value page's cache)."""
    return analytics(request).high_value(q.day, q.region, None, None, None, None)


def landscape_of(request: Request, q: Question) -> Landscape:
    from hvpatent.navigation import landscape

    rows = high_value_of(request, q)  # asked before, never inside, the landscape's computation (one gate slot each)
    return _ask(request, ("landscape", *q.key()),
                lambda con: landscape(con, q.industry, q.day, q.region, _compare_arg(q), high_value=rows))


def patents_of(request: Request, q: Question, filters: dict, offset: int = 0,
               limit: int | None = PAGE_SIZE) -> tuple[int, list[dict]]:
    """(how many patents the figure has, the rows from ``offset``, ``limit`` at most): one scope for both, paged
    in the query (never the whole list for one page).  Cached when ``limit`` is at most PAGE_SIZE (a page); a
    longer answer (an export, a long JSON page) is computed through the gate each time, never kept in the cache."""
    from hvpatent.navigation import landscape_patent_count, landscape_patents, landscape_scope

    def compute(con) -> tuple[int, list[dict]]:
        sc = landscape_scope(con, q.industry, q.day, q.region, _compare_arg(q))
        total = landscape_patent_count(con, q.industry, q.day, q.region, _compare_arg(q), scope=sc, **filters)
        rows = landscape_patents(con, q.industry, q.day, q.region, _compare_arg(q), scope=sc, offset=offset,
                                 limit=limit, **filters) if offset < total else []
        return total, rows

    small = limit is not None and limit <= PAGE_SIZE
    return _ask(request, ("patents", *q.key(), *sorted(filters.items()), offset, limit), compute, cache=small)


def recommendations_of(request: Request, q: Question, land: Landscape, lang: str) -> list[dict]:
    from hvpatent.navigation import recommendations

    return _ask(request, ("recommendations", *q.key(), lang),
                lambda con: [dataclasses.asdict(r) for r in recommendations(land, lang)])


def _patent_types(text: str | None) -> str | None:
    """One patent type or several separated by commas, each known, in a canonical order (one cache key)."""
    if not text:
        return None
    types = [t.strip() for t in text.split(",")]
    if not all(t in PATENT_TYPES for t in types):
        raise _bad("patent_type", text, " | ".join(PATENT_TYPES) + "（可用逗号分隔多个 / several separated by commas）")
    return ",".join(t for t in PATENT_TYPES if t in types)


def _list_filters(industry: str, side: str, branch: str | None, applicant: str | None, inventor: str | None,
                  year: str | None, measure: str, patent_type: str | None = None, since_year: str | None = None,
                  party: str = "first", applicant_type: str | None = None) -> dict:
    """The filters of a list (landscape_patents' arguments), each checked: a 422 (404 for a branch that does not
    exist) naming the parameter."""
    if measure == "key" and side != "region":  # key patents are the region's (landscape_patents refuses others)
        raise _bad("side", side, "region（核心专利 / key patents)")
    return {"side": _choice("side", side, LIST_SIDES), "branch": _branch(industry, branch),
            "applicant": applicant or None, "inventor": inventor or None, "year": _int("year", year, 1985, 2100),
            "measure": _choice("measure", measure, MEASURES), "patent_type": _patent_types(patent_type),
            "since_year": _int("since_year", since_year, 1985, 2100), "party": _choice("party", party, PARTIES),
            "applicant_type": _choice("applicant_type", applicant_type, PARTY_TYPES) if applicant_type else None}


def _filter_text(key: str, value: Any, w: dict[str, str], lang: str = "zh") -> str:
    """A filter's value as the list page shows it, in the page's language."""
    if key in ("side", "party"):
        return w.get(f"{key}_{value}", str(value))
    if key == "applicant_type":
        from hvpatent.web.i18n import translate

        return translate(str(value), lang)
    if key == "measure":
        return w.get(str(value), str(value))
    if key == "patent_type":
        return "、".join(w.get(t, t) for t in str(value).split(","))
    return str(value)


def _shown(filters: dict) -> dict:
    """The filters a link carries: those given, without the defaults."""
    return {k: v for k, v in filters.items() if v is not None and not (k == "party" and v == "first")}


# -- the figures the pages show ---------------------------------------------------------------------------------
def key_figures(land: Landscape) -> dict:
    """An industry's card on /navigation: the region's and the comparison's applications of the 10 filing years
    (both patent types), the region's valid inventions at as_of, the region's share and the strong/gap branches."""
    last = max(land.years) if land.years else None
    totals = {side: sum(r["applications"] for r in land.trend if r["side"] == side) for side in SIDES}
    valid = sum(r["valid"] for r in land.trend
                if r["side"] == "region" and r["patent_type"] == "invention" and r["year"] == last)
    positions = [b["position"] for b in land.branches]
    return {"applications": totals["region"], "compare_applications": totals["compare"],
            "share": totals["region"] / totals["compare"] if totals["compare"] else None,
            "valid_inventions": valid, "strong": positions.count("strong"), "gap": positions.count("gap")}


def card_filters(land: Landscape) -> dict[str, dict]:
    """The list behind each card figure of key_figures(): its length is the figure (the 10 filing years and the
    two patent types the trend counts; valid inventions on as_of)."""
    ten = {"measure": "applications", "since_year": land.years[0] if land.years else None,
           "patent_type": TEN_YEAR_TYPES}
    return {"applications": {"side": "region", **ten}, "compare_applications": {"side": "compare", **ten},
            "valid_inventions": {"side": "region", "measure": "valid", "patent_type": "invention"}}


def sunburst(branches: list[dict], lang: str) -> list[dict]:
    """The technology tree as ECharts sunburst data: value = the region's count, the comparison in the tooltip;
    each node carries its branch code (a click opens its list)."""
    nodes: dict[str, dict] = {}
    roots: list[dict] = []
    for b in branches:  # tree order: parents before children
        node = {"name": b["name"] if lang == "zh" else (b.get("name_en") or b["name"]), "value": b["region_count"],
                "branch": b["branch"], "compare": b["compare_count"], "position": b["position"], "children": []}
        nodes[b["branch"]] = node
        parent = nodes.get(b["parent"]) if b["parent"] else None
        (parent["children"] if parent is not None else roots).append(node)
    return roots


def _chart_data(q: Question, land: Landscape, lang: str) -> dict:
    w = words(lang)
    years = list(land.years)
    series = []
    for side in SIDES:
        for measure in ("applications", "grants", "valid"):
            by_year = {y: 0 for y in years}
            for r in land.trend:
                if r["side"] == side and r["year"] in by_year:
                    by_year[r["year"]] += r[measure]
            series.append({"name": f"{w['side_' + side]}·{w[measure]}", "side": side, "measure": measure,
                           "values": [by_year[y] for y in years],  # a point's list: these filters and its year
                           "filters": {"side": side, "measure": measure, "patent_type": TEN_YEAR_TYPES}})
    share = {r["year"]: r["share"] for r in land.share}
    region_top = land.applicants.get("region", [])[:20]
    network = land.network or {"nodes": [], "edges": []}
    return {
        "base": f"/navigation/{q.industry}/patents?{q.params()}", "years": years, "series": series,
        "share": {"name": w["share"], "values": [share.get(y) for y in years],
                  "filters": {"side": "region", "patent_type": TEN_YEAR_TYPES}},
        "sunburst": sunburst(land.branches, lang),
        "applicants": {"names": [r["applicant"] for r in region_top],
                       "values": [r["applications"] for r in region_top]},
        "network": {"nodes": network.get("nodes", []), "edges": network.get("edges", [])},
        "words": {k: w[k] for k in ("trend", "share_trend", "tree", "applicants", "network", "region_count",
                                    "compare_count", "patents")},
    }


def _position_names(lang: str) -> dict[str, str]:
    w = words(lang)
    return {p: w["pos_" + p] for p in POSITIONS}


# -- pages ------------------------------------------------------------------------------------------------------
@router.get("/navigation", response_class=HTMLResponse, include_in_schema=False)
def navigation_page(request: Request, as_of: DateQ = None, region: RegionQ = None,
                    compare: CompareQ = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    lang = _lang(request)
    cards = []
    for code, name in _industries().items():
        q = _question(request, code, as_of, region, compare)
        land = landscape_of(request, q)
        links = {k: f"/navigation/{code}/patents?{q.params(**f)}" for k, f in card_filters(land).items()}
        cards.append({"industry": code, "name": name if lang == "zh" else code,
                      "url": f"/navigation/{code}?{q.params()}", "figures": key_figures(land), "links": links,
                      "region_name": land.region_name, "compare_name": land.compare_name})
    q0 = _question(request, next(iter(_industries())), as_of, region, compare)
    return _render(request, "navigation.html", user, "navigation", title=words(lang)["navigation"], cards=cards,
                   w=words(lang), as_of=q0.day, region=q0.region, compare=q0.compare or "")


@router.get("/navigation/{industry}", response_class=HTMLResponse, include_in_schema=False)
def industry_page(request: Request, industry: str, as_of: DateQ = None, region: RegionQ = None,
                  compare: CompareQ = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    lang = _lang(request)
    w = words(lang)
    q = _question(request, industry, as_of, region, compare)
    land = landscape_of(request, q)
    return _render(request, "navigation_industry.html", user, "navigation",
                   title=f"{land.industry_name} · {w['navigation']}", land=land, q=q, w=w, lang_index=int(lang != "zh"),
                   figures=key_figures(land), cards=card_filters(land), positions=_position_names(lang),
                   recommendations=recommendations_of(request, q, land, lang), chart=_chart_data(q, land, lang),
                   list_url=lambda **kw: f"/navigation/{q.industry}/patents?{q.params(**kw)}",
                   export_url=f"/api/navigation/{q.industry}?{q.params(format='xlsx', lang=lang)}",
                   report_url=f"/api/navigation/{q.industry}?{q.params(format='docx', lang=lang)}")


@router.get("/navigation/{industry}/patents", response_class=HTMLResponse, include_in_schema=False)
def patents_page(request: Request, industry: str, as_of: DateQ = None, region: RegionQ = None,
                 compare: CompareQ = None, side: SideQ = "region", branch: BranchQ = None, applicant: TextQ = None,
                 inventor: TextQ = None, year: YearQ = None, measure: MeasureQ = "applications",
                 patent_type: TypeQ = None, since_year: SinceQ = None, party: PartyQ = "first",
                 applicant_type: ApplicantTypeQ = None, page: PageQ = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    lang = _lang(request)
    w = words(lang)
    q = _question(request, industry, as_of, region, compare)
    filters = _list_filters(q.industry, side, branch, applicant, inventor, year, measure, patent_type, since_year,
                            party, applicant_type)
    number = _int("page", page, 1, 999999) or 1
    total, rows = patents_of(request, q, filters, (number - 1) * PAGE_SIZE, PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    if number > pages:
        raise _bad("page", str(number), f"1–{pages}")
    shown = _shown(filters)
    labels = [(k, w.get(k, k), _filter_text(k, v, w, lang)) for k, v in shown.items()]
    cut = w["cut"].format(cap=f"{EXPORT_CAP:,}", total=f"{total:,}") if total > EXPORT_CAP else None
    return _render(request, "navigation_patents.html", user, "navigation", title=f"{w['list']} · {w['navigation']}",
                   w=w, q=q, rows=rows, total=total, page=number, first=(number - 1) * PAGE_SIZE, cut=cut,
                   pages=pages, filters=shown, filter_labels=labels, industry_name=_industries()[q.industry],
                   page_url=lambda n: f"/navigation/{q.industry}/patents?{q.params(**shown, page=n)}",
                   back_url=f"/navigation/{q.industry}?{q.params()}",
                   export_url=f"/api/navigation/{q.industry}/patents?{q.params(**shown, format='xlsx', lang=lang)}")


# -- API --------------------------------------------------------------------------------------------------------
@router.get("/api/navigation/{industry}", summary="产业专利导航分析（专利态势）/ an industry's patent landscape")
def api_landscape(request: Request, user: Viewer, industry: str, as_of: DateQ = None, region: RegionQ = None,
                  compare: CompareQ = None, format: ReportFmtQ = "json", lang: str = "zh"):
    fmt = _choice("format", format, REPORT_FORMATS)
    lang = "en" if lang == "en" else "zh"
    q = _question(request, industry, as_of, region, compare)
    land = landscape_of(request, q)
    if fmt == "json":
        return JSONResponse(jsonable([{**dataclasses.asdict(land),
                                       "recommendations": recommendations_of(request, q, land, lang)}])[0])
    return _report(request, q, land, fmt, lang)


@router.get("/api/navigation/{industry}/patents", summary="专利态势中一个数字背后的专利 / the patents behind a figure")
def api_patents(request: Request, user: Viewer, industry: str, as_of: DateQ = None, region: RegionQ = None,
                compare: CompareQ = None, side: SideQ = "region", branch: BranchQ = None, applicant: TextQ = None,
                inventor: TextQ = None, year: YearQ = None, measure: MeasureQ = "applications",
                patent_type: TypeQ = None, since_year: SinceQ = None, party: PartyQ = "first",
                applicant_type: ApplicantTypeQ = None, offset: OffsetQ = None, limit: LimitQ = None,
                format: ListFmtQ = "json", lang: str = "zh"):
    """JSON: the rows from ``offset`` (``limit`` at most, default 1,000), ordered by application number; the
    figure's whole count in the header ``X-Total-Count``.  xlsx: the first 100,000 rows, with a note when cut."""
    fmt = _choice("format", format, ("json", "xlsx"))
    q = _question(request, industry, as_of, region, compare)
    filters = _list_filters(q.industry, side, branch, applicant, inventor, year, measure, patent_type, since_year,
                            party, applicant_type)
    lang = "en" if lang == "en" else "zh"
    if fmt == "xlsx":
        total, rows = patents_of(request, q, filters, 0, EXPORT_CAP)
        return _list_xlsx(rows, total, q, lang)
    start = _int("offset", offset, 0, 9_999_999) or 0
    size = _int("limit", limit, 1, EXPORT_CAP) or API_LIMIT
    total, rows = patents_of(request, q, filters, start, size)
    return JSONResponse(jsonable(rows), headers={"X-Total-Count": str(total)})


# -- downloads --------------------------------------------------------------------------------------------------
LIST_COLUMNS = ("app_no", "title", "patent_type", "filing_date", "grant_date", "state", "applicant", "region_code",
                "branches", "source")


def _download(data: bytes, media: str, name: str, suffix: str) -> StreamingResponse:
    return StreamingResponse(io.BytesIO(data), media_type=media,
                             headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}.{suffix}"})


def _list_xlsx(rows: list[dict], total: int, q: Question, lang: str) -> StreamingResponse:
    """The list's first EXPORT_CAP rows; when the list is longer, a second sheet (说明 / Notes) says so."""
    from hvpatent.reports import to_frame, write_xlsx

    w = words(lang)
    table = [{w[c]: ("、".join(r.get(c) or []) if c == "branches" else r.get(c)) for c in LIST_COLUMNS} for r in rows]
    frame = to_frame(table) if table else to_frame([{w[c]: None for c in LIST_COLUMNS}]).iloc[0:0]
    sheets = {w["list"]: frame}
    if total > len(rows):
        sheets[w["notes"]] = to_frame([{w["notes"]: w["cut"].format(cap=f"{EXPORT_CAP:,}", total=f"{total:,}")}])
    with tempfile.TemporaryDirectory() as tmp:
        data = write_xlsx(sheets, Path(tmp) / "patents.xlsx").read_bytes()
    return _download(data, XLSX, f"{_industries()[q.industry]}-{w['list']}", "xlsx")


def _report(request: Request, q: Question, land: Landscape, fmt: str, lang: str) -> StreamingResponse:
    """The landscape's companion xlsx (every table drilled to its patents, sheet 明细) or the docx report
    (reports.navigation), computed once per question and data version."""
    from hvpatent.navigation import recommendations
    from hvpatent.reports.navigation import navigation_details, write_navigation_report, write_navigation_xlsx

    def build(con) -> bytes:
        recs = recommendations(land, lang)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"navigation.{fmt}"
            if fmt == "xlsx":
                return write_navigation_xlsx(land, recs, path, navigation_details(con, land)).read_bytes()
            return write_navigation_report(land, recs, path, "docx").read_bytes()

    data = _ask(request, ("report", *q.key(), fmt, lang), build)
    name = f"{_industries()[q.industry]}-{'专利导航' if lang == 'zh' else 'navigation'}"
    return _download(data, XLSX if fmt == "xlsx" else DOCX, name, fmt)
