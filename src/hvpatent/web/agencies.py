"""Patent agencies for the bureau (docs/agencies.md "web"): /agencies (the ranking, the watch list with its reasons,
a trend chart of the largest agencies), /agencies/{key} (one agency: figures, clients, flagged applications, the
docx letter to the agency or to its clients at /agencies/{key}/letter.docx), API twins under /api/agencies.  Staff
only (admin, analyst).

The flags the figures count are the review queue's cached ones (web/abnormal.py ``cached_flags``); the table itself
is computed fresh (its confirmed counts follow the reviews, which change without an import).  The supervision room
(its door ``hvpatent.supervision``) does the work; no SQL here."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

from hvpatent.warehouse.accounts import User
from hvpatent.web import inputs
from hvpatent.web.abnormal import (
    AsOfQ,
    FmtQ,
    RegionQ,
    as_of_day,
    cached_flags,
    labelled,
    region_code,
    supervision_config,
)
from hvpatent.web.analytics import MEDIA
from hvpatent.web.api import _table_response, analytics, jsonable
from hvpatent.web.pages import STAFF, _lang, _render, _user
from hvpatent.web.security import require

router = APIRouter()
Staff = Annotated[User, Depends(require(*STAFF))]
KEY_CHARS = 120               # a key is a five-digit code or "n:" and a normalised name
BAD_KEY = re.compile(r"[\x00-\x1f\x7f/\\]|\.\.")
CHART_AGENCIES = 8            # the trend chart draws the largest agencies
WORDS: dict[str, tuple[str, str]] = {
    "title": ("专利代理机构监管", "Patent agencies"), "as_of": ("截至", "As of"), "region": ("区划代码", "Region"),
    "watch_only": ("只看重点关注", "Watch list only"), "show": ("显示", "Show"), "export": ("导出", "Export"),
    "rank": ("排名", "Rank"), "name": ("代理机构", "Agency"), "code": ("机构代码", "Code"),
    "applications": ("代理申请", "Applications"), "invention": ("发明", "Invention"),
    "utility_model": ("实用新型", "Utility model"), "design": ("外观设计", "Design"),
    "invention_share": ("发明占比", "Invention share"), "grant_rate": ("授权率", "Grant rate"),
    "rejection_rate": ("驳回率", "Rejection rate"), "deemed_withdrawal_rate": ("视撤率", "Deemed-withdrawal rate"),
    "avg_claims": ("平均权利要求数", "Average claims"), "flagged": ("被标记申请", "Flagged"),
    "flagged_share": ("标记占比", "Flagged share"), "confirmed": ("确认为非正常", "Confirmed abnormal"),
    "clients": ("本区委托人", "Clients in the region"), "watch": ("重点关注", "Watch list"),
    "reasons": ("关注理由", "Reasons"), "trend": ("年度代理申请量", "Applications per year"),
    "none": ("暂无记录", "Nothing to show"), "variants": ("名称写法", "Spellings"),
    "applicant": ("申请人", "Applicant"), "app_no": ("申请号", "Application"), "patent_title": ("名称", "Title"),
    "rules": ("规则", "Rules"), "letter_agency": ("下载致代理机构的函（Word）", "Letter to the agency (docx)"),
    "letter_clients": ("下载致委托人的提示函（Word）", "Letter to its clients (docx)"),
    "flagged_applications": ("被标记的申请", "Flagged applications"), "back": ("返回代理机构列表", "Back to agencies"),
    "unranked": ("申请量不足，不排名", "too few applications to rank"), "yes": ("是", "yes"),
    "cleared": ("已排除", "Cleared on review"),
}
# The table's csv/xlsx columns, headed in the language asked (the CLI's AGENCY_EXPORT_COLUMNS say the same); rates
# in percent.  English headings are capitalised: the spreadsheet writer would translate a heading that is a key of
# the shared reports.tables.COLUMN_LABELS ("key" as 指标代码, "name" as 指标), and none of these is one.
AGENCY_EXPORT: dict[str, tuple[str, str]] = {
    "rank": ("排名", "Rank"), "key": ("机构键", "Agency key"), "code": ("机构代码", "Agency code"),
    "name": ("代理机构", "Agency"), "variants": ("名称写法", "Spellings"), "applications": ("代理申请", "Applications"),
    "invention": ("发明", "Inventions"), "utility_model": ("实用新型", "Utility models"),
    "design": ("外观设计", "Designs"),
    "invention_pct": ("发明占比(%)", "Invention share (%)"), "grant_pct": ("发明授权率(%)", "Grant rate (%)"),
    "rejection_pct": ("发明驳回率(%)", "Rejection rate (%)"),
    "deemed_withdrawal_pct": ("发明视撤率(%)", "Deemed-withdrawal rate (%)"),
    "avg_claims": ("平均权利要求项数", "Average claims"), "flagged": ("被标记申请", "Flagged"),
    "flagged_pct": ("标记占比(%)", "Flagged share (%)"), "cleared": ("已排除", "Cleared on review"),
    "confirmed": ("确认为非正常", "Confirmed abnormal"), "clients": ("本区委托人", "Clients in the region"),
    "watch_word": ("重点关注", "Watch list"), "reasons": ("关注理由", "Reasons"),
    "trend": ("年度代理申请量", "Applications per year"),
}


def _i(request: Request) -> int:
    return 0 if _lang(request) == "zh" else 1


def _key(text: str) -> str:
    """An agency key as the room makes them; 422 for what cannot be one (too long, control characters, paths)."""
    if not text or len(text) > KEY_CHARS or BAD_KEY.search(text):
        raise inputs.invalid("key", text, "机构代码或 n:名称 / the agency's code or n:name")
    return text


def _table(request: Request, as_of: date, region: str | None) -> list[dict]:
    from hvpatent.supervision import agency_table

    config = supervision_config()
    flags = cached_flags(request, as_of, region, config)
    return analytics(request).compute(lambda con: agency_table(con, as_of, region=region, config=config, flags=flags))


def _detail(request: Request, key: str, as_of: date, region: str | None) -> dict:
    """One agency; 404 when the key names none in the region."""
    from hvpatent.supervision import agency_detail

    config = supervision_config()
    flags = cached_flags(request, as_of, region, config)
    detail = analytics(request).compute(lambda con: agency_detail(con, key, as_of, region=region, config=config,
                                                                  flags=flags))
    if detail is None:
        raise HTTPException(404, f"未找到代理机构 {key[:40]} / no agency {key[:40]}")
    return detail


def _percent(value: object) -> float | None:
    return None if value is None else round(float(value) * 100, 1)


def _export_rows(rows: list[dict], i: int) -> list[dict]:
    """Rows for csv/xlsx, every column headed in words: counts by type as columns, rates in percent, the watch as
    a word, the reasons in one language, the trend as year:count text."""
    out = []
    for r in rows:
        row = {**r, **{t: (r.get("by_type") or {}).get(t, 0) for t in ("invention", "utility_model", "design")}}
        row.update({f"{k}_pct": _percent(r.get(f"{k}_{x}")) for k, x in (
            ("invention", "share"), ("grant", "rate"), ("rejection", "rate"), ("deemed_withdrawal", "rate"),
            ("flagged", "share"))})
        row["watch_word"] = WORDS["yes"][i] if r.get("watch") else ""
        row["reasons"] = [x[i] for x in r.get("reasons") or []]
        row["trend"] = [f"{t['year']}:{t['applications']}" for t in r.get("trend") or []]
        row["avg_claims"] = None if r.get("avg_claims") is None else round(float(r["avg_claims"]), 2)
        out.append(row)
    columns = {k: v for k, v in AGENCY_EXPORT.items() if k != "cleared" or any("cleared" in r for r in rows)}
    return labelled(out, columns, i)


def _chart(rows: list[dict], i: int) -> dict:
    """The trend chart's data (static/agencies.js): applications per year of the largest agencies."""
    top = sorted(rows, key=lambda r: (-(r.get("applications") or 0), r["key"]))[:CHART_AGENCIES]
    years = sorted({t["year"] for r in top for t in r.get("trend") or []})
    series = []
    for r in top:
        per_year = {t["year"]: t["applications"] for t in r.get("trend") or []}
        series.append({"name": r["name"], "key": r["key"], "values": [per_year.get(y, 0) for y in years]})
    return {"years": [str(y) for y in years], "series": series, "title": WORDS["trend"][i]}


# -- API ---------------------------------------------------------------------------------------------------------

@router.get("/api/agencies", summary="专利代理机构排名与重点关注名单 / agencies ranked, with the watch list")
def api_agencies(request: Request, user: Staff, as_of: AsOfQ = None, region: RegionQ = None, watch: bool = False,
                 format: FmtQ = "json", lang: str = "zh") -> Response:
    day = as_of_day(as_of, request)  # lang: read through _lang (the query's, else the cookie's)
    rows = _table(request, day, region_code(region, request))
    rows = [r for r in rows if r.get("watch")] if watch else rows
    return _table_response(rows if format == "json" else _export_rows(rows, _i(request)), format,
                           f"专利代理机构-{day.isoformat()}")


@router.get("/api/agencies/{key}", summary="一家代理机构：指标、委托人、被标记的申请 / one agency")
def api_agency(request: Request, user: Staff, key: str, as_of: AsOfQ = None, region: RegionQ = None) -> JSONResponse:
    detail = _detail(request, _key(key), as_of_day(as_of, request), region_code(region, request))
    return JSONResponse(jsonable([detail])[0])


# -- pages ---------------------------------------------------------------------------------------------------------

def _page(request: Request, user: User, template: str, **context) -> HTMLResponse:
    from hvpatent.supervision import RULE_WORDS

    i = _i(request)
    # lists joined as each language writes them (the full-width "；" is Chinese punctuation)
    return _render(request, template, user, "agencies", w={k: v[i] for k, v in WORDS.items()}, lang_i=i,
                   rule_words={k: v[i] for k, v in RULE_WORDS.items()}, pct=_pct, sep=("；", "; ")[i], **context)


def _pct(value: object) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"


@router.get("/agencies", response_class=HTMLResponse, include_in_schema=False)
def agencies_page(request: Request, as_of: AsOfQ = None, region: RegionQ = None,
                  watch: Annotated[str | None, Query(pattern="^1$")] = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    day, code = as_of_day(as_of, request), region_code(region, request)
    rows = _table(request, day, code)
    i = _i(request)
    shown = [r for r in rows if r.get("watch")] if watch else rows
    params = [(k, v) for k, v in (("as_of", as_of), ("region", region), ("watch", "true" if watch else None)) if v]
    return _page(request, user, "agencies.html", title=WORDS["title"][i], rows=shown,
                 watched=[r for r in rows if r.get("watch")], chart=_chart(rows, i), as_of=day, region=code or "",
                 watch=bool(watch), query=urlencode([(k, v) for k, v in (("as_of", as_of), ("region", region)) if v]),
                 export_url=f"/api/agencies?{urlencode([*params, ('format', 'xlsx'), ('lang', _lang(request))])}")


@router.get("/agencies/{key}", response_class=HTMLResponse, include_in_schema=False)
def agency_page(request: Request, key: str, as_of: AsOfQ = None, region: RegionQ = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    day, code = as_of_day(as_of, request), region_code(region, request)
    detail = _detail(request, _key(key), day, code)
    query = urlencode([(k, v) for k, v in (("as_of", as_of), ("region", region)) if v])
    return _page(request, user, "agencies_detail.html", title=detail["name"], d=detail, as_of=day, region=code or "",
                 query=query, key_url=quote(detail["key"], safe=""))


@router.get("/agencies/{key}/letter.docx", include_in_schema=False)
def letter(request: Request, key: str, to: Annotated[str, Query(max_length=10)] = "agency", as_of: AsOfQ = None,
           region: RegionQ = None) -> Response:
    """The docx letter to the agency or to its clients, in the page's language, signed by the region's office: a
    town's by its district's (its first 6 digits; a town has no IP office), as the command line signs it."""
    from hvpatent.reports.agency_letters import agency_letter
    from hvpatent.reports.bulletin import default_issuer

    _user(request, *STAFF)
    to = inputs.choice("to", to, ("agency", "clients"))
    day, code = as_of_day(as_of, request), region_code(region, request)
    detail = _detail(request, _key(key), day, code)
    issuer = default_issuer((code or analytics(request).plan.region)[:6])
    data = agency_letter(detail, to=to, as_of=day, lang=_lang(request), issuer=issuer)
    name = quote(f"{detail['name']}-{'致代理机构' if to == 'agency' else '致委托人'}-{day.isoformat()}.docx")
    return StreamingResponse(io.BytesIO(data), media_type=MEDIA["docx"],
                             headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"})
