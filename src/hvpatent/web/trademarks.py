"""Trademarks in the dashboard and the API: the effective trademarks of the plan's region with their breakdowns
by town, Nice class and enterprise (each figure a link to the marks behind it), one mark's page (its row, its
state on the day, its events, term, renewal window and grace), and the renewal warnings with a reminder letter
per owner. Data comes from `Analytics` (cached, through the heavy-work gate); no SQL here. Staff only (admin,
analyst): other accounts are refused."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from fastapi.responses import HTMLResponse, Response

from hvpatent.indicators import INDICATORS
from hvpatent.reference.regions import region_name
from hvpatent.trademarks.listing import LIST_KINDS
from hvpatent.trademarks.warnings import TM_KIND_LABELS
from hvpatent.web import inputs
from hvpatent.web.api import Staff, _day, _table_response, analytics, jsonable
from hvpatent.web.pages import STAFF, _lang, _render, _user
from hvpatent.web.pages import _day as page_day

router = APIRouter()
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BYS = {"town": "by_town", "nice-class": "by_class", "enterprise": "by_enterprise"}
# (indicator, the list's filter): the headline figures, each with the list behind it
HEADLINE = (("trademarks", {}), ("trademarks_per_10k", {}), ("geographical_indications", {"kind": "gi"}),
            ("collective_marks", {"kind": "collective"}), ("certification_marks", {"kind": "certification"}),
            ("madrid_registrations", {"kind": "madrid"}))
LIST_COLUMNS = ("reg_no", "nice_class", "mark_name", "mark_kind", "is_gi", "is_madrid", "applicant_name",
                "applicant_type", "town_code", "state", "registration_date", "term_end")

RegionQ = Annotated[str | None, Query(max_length=20, description="区划代码（默认行动方案的地区）/ region code")]
TownQ = Annotated[str | None, Query(max_length=20, description="镇街代码（12 位）/ town code")]
ClassQ = Annotated[int | None, Query(ge=1, le=45, description="尼斯分类 1-45 / Nice class")]
OwnerQ = Annotated[str | None, Query(max_length=200, description="注册人（规范名）/ owner (normalised name)")]
KindQ = Annotated[str | None, Query(max_length=20, description=" | ".join(LIST_KINDS))]
WithinQ = Annotated[int, Query(ge=1, le=730, description="预警窗口（天）/ window in days")]
RegNo = Annotated[str, Path(max_length=40, description="注册号 / registration number")]
ClassP = Annotated[int, Path(ge=1, le=45, description="尼斯分类 / Nice class")]
Fmt = Annotated[str, Query(pattern="^(json|xlsx)$", description="json | xlsx")]
# The words of these pages (zh, en): the columns, the states (trademarks.state), kinds, owner types and events
# (model.MARK_KINDS, TRADEMARK_EVENT_TYPES); the dashboard's own words are in web/i18n.py.
WORDS: dict[str, tuple[str, str]] = {
    "trademarks": ("商标", "Trademarks"), "warnings": ("商标续展预警", "Trademark renewals"),
    "by_town": ("按镇街", "By town"), "by_class": ("按尼斯分类", "By Nice class"),
    "by_enterprise": ("按企业", "By enterprise"),
    "aggregate_only": ("本地区没有商标明细，只有有效商标注册量汇总数（用 hvp template trademarks 填报），"
                       "故无分布与清单；导入商标局或商业数据库导出的商标明细（hvp import）后"
                       "即可按镇街、类别、企业查看。",
                       "This region has no trademark records, only a total of effective trademarks (filled in with "
                       "hvp template trademarks): no breakdown and no lists. Import trademark exports (hvp import) "
                       "to see them by town, class and enterprise."),
    "no_trademark_data": ("本地区暂无商标数据：导入商标局或商业数据库导出的商标明细（hvp import），"
                          "或用 hvp template trademarks 填报有效商标注册量汇总数。",
                          "No trademark data for this region: import trademark exports (hvp import), or fill in "
                          "the total of effective trademarks with hvp template trademarks."),
    "within_180": ("今后180天", "next 180 days"),
    "art40": ("续展：期满前12个月内；宽展期6个月（《商标法》第四十条）",
              "renewal: in the 12 months before the term ends; 6 months' grace (Trademark Law art. 40)"),
    "reg_no": ("注册号", "Reg. No."), "nice_class": ("类别", "Class"), "mark_name": ("商标名称", "Mark"),
    "mark_kind": ("商标种类", "Kind"), "is_gi": ("地理标志", "Geographical indication"),
    "is_madrid": ("马德里国际注册", "Madrid"), "applicant_name": ("注册人", "Owner"),
    "applicant_type": ("注册人类型", "Owner type"), "town_code": ("镇街代码", "Town code"), "state": ("状态", "State"),
    "registration_date": ("注册公告日", "Registered"), "term_end": ("专用权期限至", "Term ends"),
    "filing_date": ("申请日", "Filed"), "prelim_pub_date": ("初审公告日", "Preliminary approval"),
    "address": ("地址", "Address"), "exported": ("导出时状态", "Status in the export"),
    "similar_groups": ("类似群", "Similar groups"), "agency": ("代理机构", "Agency"),
    "effective": ("有效", "effective"), "renewal_window": ("续展期", "Renewal window"),
    "grace_end": ("宽展期至", "Grace ends"), "record": ("著录项目", "Record"), "events": ("商标事件", "Events"),
    "days_left": ("剩余天数", "Days left"), "action": ("办理事项", "What to do"),
    "letters": ("续展提醒函（每个注册人一封）", "Renewal reminders (one per owner)"),
    "letter": ("下载提醒函", "Letter"),
    "pending": ("审查中", "pending"), "refused": ("未获注册", "refused"), "registered": ("注册有效", "registered"),
    "in_grace": ("宽展期内（仍有效）", "in grace (still effective)"), "lapsed": ("期满未续展", "lapsed"),
    "cancelled": ("已撤销/注销", "cancelled"), "invalidated": ("已宣告无效", "invalidated"),
    "unknown": ("不详", "unknown"),
    "ordinary": ("普通商标", "ordinary"), "collective": ("集体商标", "collective"),
    "certification": ("证明商标", "certification"), "special": ("特殊标志", "special"),
    "enterprise": ("企业", "enterprise"), "university": ("大专院校", "university"),
    "institute": ("科研单位", "institute"),
    "individual": ("个人", "individual"), "government": ("机关团体", "government"), "other": ("其他", "other"),
    "ev_filed": ("申请", "filed"), "ev_preliminary_approval": ("初审公告", "preliminary approval"),
    "ev_opposition_filed": ("提出异议", "opposition filed"), "ev_opposition_upheld": ("异议成立", "opposition upheld"),
    "ev_opposition_rejected": ("异议不成立", "opposition rejected"), "ev_registered": ("注册公告", "registered"),
    "ev_renewal_filed": ("申请续展", "renewal filed"), "ev_renewed": ("核准续展", "renewed"),
    "ev_transfer": ("转让", "transfer"), "ev_licence": ("许可备案", "licence"), "ev_pledge": ("质押", "pledge"),
    "ev_change": ("变更", "change"), "ev_cancelled_nonuse": ("撤销（三年不使用等）", "cancelled (non-use etc.)"),
    "ev_cancelled_request": ("申请注销", "cancelled on request"), "ev_not_renewed": ("期满未续展注销", "not renewed"),
    "ev_invalidated": ("宣告无效", "invalidated"), "ev_partial_cancellation": ("部分撤销", "partly cancelled"),
    "ev_partial_invalidation": ("部分无效", "partly invalidated"), "ev_rejected": ("驳回", "rejected"),
    "ev_withdrawn": ("撤回", "withdrawn"), "ev_other": ("其他", "other"),
}
KIND_WORDS = {"gi": "is_gi", "madrid": "is_madrid"}


def word(key: str, lang: str) -> str:
    entry = WORDS.get(key)
    return entry[0 if lang == "zh" else 1] if entry else key


def _page(request: Request, name: str, user, **context) -> HTMLResponse:
    lang = _lang(request)
    return _render(request, name, user, "trademarks", w=lambda key: word(key, lang), **context)


def _region(request: Request, region: str | None) -> str | None:
    if region:
        inputs.query(region=region)
        return region
    return analytics(request).plan.region


def _filters(town: str | None, kind: str | None, owner: str | None) -> None:
    inputs.query(town=town, owner=owner)
    if kind and kind not in LIST_KINDS:
        inputs._bad("kind", kind, " | ".join(LIST_KINDS))


def _marks(request: Request, day: date, region: str | None, town: str | None, nice_class: int | None,
           owner: str | None, kind: str | None) -> list[dict]:
    _filters(town, kind, owner)
    try:
        return analytics(request).trademark_list(day, region, town, nice_class, owner or None, kind or None)
    except ValueError as err:
        raise HTTPException(422, str(err)) from err


def _mark(request: Request, reg_no: str, nice_class: int, day: date) -> dict:
    found = analytics(request).trademark(reg_no.strip(), nice_class, day)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"没有注册号 {reg_no[:40]} 第 {nice_class} 类的商标 / "
                                                       "no such trademark")
    return found


def list_url(prefix: str, day: date, region: str | None, **filters: object) -> str:
    params = {"as_of": day.isoformat(), **({"region": region} if region else {}),
              **{k: v for k, v in filters.items() if v not in (None, "")}}
    path = "/api/trademarks" if prefix == "/api" else "/trademarks/list"
    return f"{path}?{urlencode(params)}"


def mark_url(reg_no: str, nice_class: int) -> str:
    return f"/trademarks/{quote(str(reg_no), safe='')}/{int(nice_class)}"


# -- the API ----------------------------------------------------------------------------------------------
@router.get("/api/trademarks", summary="有效商标清单 / effective trademarks (one row per class)", tags=["trademarks"])
def api_trademarks(request: Request, user: Staff, as_of: date | None = None, region: RegionQ = None,
                   town: TownQ = None, nice_class: ClassQ = None, owner: OwnerQ = None, kind: KindQ = None,
                   format: Fmt = "json"):
    day = _day(as_of)
    rows = _marks(request, day, _region(request, region), town, nice_class, owner, kind)
    return _table_response(rows, format, "有效商标")


@router.get("/api/trademarks/warnings", summary="商标续展预警 / trademark renewals due and in grace",
            tags=["trademarks"])
def api_trademark_warnings(request: Request, user: Staff, as_of: date | None = None, within: WithinQ = 180,
                           region: RegionQ = None, format: Fmt = "json"):
    rows = analytics(request).trademark_warnings(_day(as_of), within, _region(request, region))
    return _table_response(rows, format, "商标续展预警")


@router.get("/api/trademarks/{reg_no}/{nice_class}", summary="单件商标：状态、期限、事件 / one trademark",
            tags=["trademarks"])
def api_trademark(request: Request, user: Staff, reg_no: RegNo, nice_class: ClassP, as_of: date | None = None) -> dict:
    return jsonable([_mark(request, reg_no, nice_class, _day(as_of))])[0]


# -- the pages --------------------------------------------------------------------------------------------
def _group_names(by: str, rows: list[dict], marks: list[dict], lang: str) -> None:
    owners = {m["applicant"]: m["applicant_name"] for m in marks}
    for r in rows:
        g = r["group"]
        r["name"] = (region_name(g) or g) if by == "town" else (
            (f"第{g}类" if lang == "zh" else f"class {g}") if by == "nice-class" else owners.get(g, g))


@router.get("/trademarks", response_class=HTMLResponse, include_in_schema=False)
def trademarks_page(request: Request, by: Annotated[str, Query(max_length=20)] = "town",
                    region: RegionQ = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    if by not in BYS:
        inputs._bad("by", by, " | ".join(BYS))
    a, day, lang = analytics(request), page_day(request), _lang(request)
    code = _region(request, region)
    figures = {f["key"]: f["value"] for f in a.figures(day, code, "year", None, [k for k, _ in HEADLINE])}
    has_records = a.has_trademark_records(day, code)
    marks = a.trademark_list(day, code) if has_records else []
    # without records, the figure is the aggregate total (hvp template trademarks) when there is one: its row
    notice = None if has_records else (
        "aggregate_only" if a.drill("trademarks", day, code, "year", None, None) else "no_trademark_data")
    headline = [{"key": k, "label": INDICATORS[k].label(lang), "unit": INDICATORS[k].unit, "value": figures.get(k),
                 "url": list_url("", day, region, **f) if has_records and k != "trademarks_per_10k" else None}
                for k, f in HEADLINE]
    rows: list[dict] = []
    per_10k = by == "town"
    if has_records:
        wanted = ["trademarks", *(["trademarks_per_10k"] if per_10k else [])]
        table: dict[str, dict] = {}
        for f in a.figures(day, code, "year", by, wanted):
            if f["group"] is None:
                continue
            table.setdefault(str(f["group"]), {"group": str(f["group"])})[f["key"]] = f["value"]
        rows = sorted(table.values(), key=lambda r: -(r.get("trademarks") or 0))
        if by == "enterprise":
            rows = rows[:50]
        _group_names(by, rows, marks, lang)
        filter_name = {"town": "town", "nice-class": "nice_class", "enterprise": "owner"}[by]
        for r in rows:
            r["url"] = list_url("", day, region, **{filter_name: r["group"]})
    warnings = a.trademark_warnings(day, 180, code)
    counts = {k: sum(1 for w in warnings if w["kind"] == k) for k in TM_KIND_LABELS}
    i = 0 if lang == "zh" else 1
    return _page(request, "trademarks.html", user, as_of=day, by=by, bys=list(BYS),
                   headline=headline, rows=rows, per_10k=per_10k, has_records=has_records, notice=notice,
                   per_10k_label=INDICATORS["trademarks_per_10k"].label(lang) if per_10k else "",
                   region_param=region or "", region_label=region_name(code) or code or "",
                   warning_counts=[(TM_KIND_LABELS[k][i], n) for k, n in counts.items()],
                   warnings_url=f"/trademarks/warnings?{urlencode({'as_of': day.isoformat()})}",
                   chart_rows=[{"name": r["name"], "value": r.get("trademarks") or 0} for r in rows[:30]],
                   chart_title=INDICATORS["trademarks"].label(lang),
                   group_label=BYS[by])


@router.get("/trademarks/list", response_class=HTMLResponse, include_in_schema=False)
def trademark_list_page(request: Request, region: RegionQ = None, town: TownQ = None, nice_class: ClassQ = None,
                        owner: OwnerQ = None, kind: KindQ = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    lang, day = _lang(request), page_day(request)
    rows = _marks(request, day, _region(request, region), town, nice_class, owner, kind)
    what = [region_name(town) or town if town else "",
            (f"第{nice_class}类" if lang == "zh" else f"class {nice_class}") if nice_class else "",
            next((r["applicant_name"] for r in rows), owner) if owner else "", word(KIND_WORDS.get(kind, kind), lang)
            if kind else ""]
    title = " · ".join([word("trademarks", lang), *[w for w in what if w]])
    export = list_url("/api", day, region, town=town, nice_class=nice_class, owner=owner, kind=kind) + "&format=xlsx"
    return _page(request, "trademarks_list.html", user, title=title, rows=rows, as_of=day,
                   columns=LIST_COLUMNS, limit=1000, export_url=export, mark_url=mark_url)


@router.get("/trademarks/warnings", response_class=HTMLResponse, include_in_schema=False)
def trademark_warnings_page(request: Request, within: WithinQ = 180, region: RegionQ = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    lang, day = _lang(request), page_day(request)
    rows = analytics(request).trademark_warnings(day, within, _region(request, region))
    i = 0 if lang == "zh" else 1
    query = {"as_of": day.isoformat(), "within": within, **({"region": region} if region else {})}
    owners: dict[str, dict] = {}
    for r in rows:
        entry = owners.setdefault(r["owner_norm"], {"owner": r["owner"], "count": 0,
                                                    "url": "/trademarks/warnings/letter?"
                                                           + urlencode({**query, "owner": r["owner_norm"]})})
        entry["count"] += 1
    return _page(request, "trademarks_warnings.html", user, title=word("warnings", lang),
                   rows=rows, as_of=day, within=within, owners=list(owners.values()), mark_url=mark_url,
                   kind_names={k: v[i] for k, v in TM_KIND_LABELS.items()}, action="action" if i == 0 else "action_en",
                   export_url=f"/api/trademarks/warnings?{urlencode({**query, 'format': 'xlsx'})}")


@router.get("/trademarks/warnings/letter", include_in_schema=False)
def trademark_letter(request: Request, owner: Annotated[str, Query(max_length=200)], within: WithinQ = 180,
                     region: RegionQ = None) -> Response:
    user = _user(request, *STAFF)
    from hvpatent.reports.bulletin import default_issuer

    a, day, lang = analytics(request), page_day(request), _lang(request)
    code = _region(request, region)
    data = a.trademark_letter(day, within, code, owner, default_issuer(code), lang, user.username)
    if data is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "该注册人没有续展预警 / no renewal warnings for this owner")
    name = re.sub(r"[^\w.\-]", "_", f"商标续展提醒函-{owner}-{day.isoformat()}", flags=re.UNICODE)[:120]
    return Response(data, media_type=DOCX, headers={
        "Content-Disposition": f"attachment; filename=\"trademark-renewal-{day.isoformat()}.docx\"; "
                               f"filename*=UTF-8''{quote(name)}.docx"})


@router.get("/trademarks/{reg_no}/{nice_class}", response_class=HTMLResponse, include_in_schema=False)
def trademark_page(request: Request, reg_no: RegNo, nice_class: ClassP) -> HTMLResponse:
    user = _user(request, *STAFF)
    day = page_day(request)
    found = _mark(request, reg_no, nice_class, day)
    m = found["mark"]
    return _page(request, "trademark.html", user, title=f"{m['reg_no']} / {m['nice_class']}",
                   m=m, s=found["state"], events=found["events"], as_of=day,
                   town=region_name(m["town_code"]) if m["town_code"] else None)

