"""The official statistical forms (专月表 and the tables bureaus publish) in the dashboard and the API: the
list of forms, a form filled for a period and a region (JSON, xlsx, docx, csv, or an HTML table with the
form's merged headers), and the patents behind any cell. Data comes from `Analytics` (cached, through the
heavy-work gate); no SQL here. Staff only (admin, analyst)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response

from hvpatent.forms import NATIONAL, PLACEHOLDERS, FormError, FormResult, PeriodError, layout, parse_period
from hvpatent.reports.tables import COLUMN_LABELS
from hvpatent.web.api import Staff, _table_response, analytics, jsonable
from hvpatent.web.i18n import translate
from hvpatent.web.pages import STAFF, _lang, _render, _user

router = APIRouter()
COUNTRY = "all"  # the country in the URLs this module writes
MEASURES = {"applications": ("申请受理量", "applications"), "grants": ("授权量", "grants"),
            "valid_inventions": ("有效发明专利量", "valid invention patents"),
            "high_value_inventions": ("高价值发明专利量", "high-value invention patents")}
VALUE_LABELS = {  # the words of a cell's list as the forms say them (others through web/i18n.translate)
    "origin": {"mainland": ("内地", "mainland"), "hk": ("香港", "Hong Kong"), "macao": ("澳门", "Macao"),
               "taiwan": ("台湾", "Taiwan"), "foreign": ("国外", "foreign"), "unknown": ("未知", "unknown")},
    "category": {"university": ("大专院校", "university"), "institute": ("科研单位", "institute"),
                 "enterprise": ("工矿企业", "enterprise"), "government": ("机关团体", "government"),
                 "individual": ("个人", "individual")},
    "applicant_type": {"other": ("未分类", "unclassified")},
}
TRANSLATED = ("patent_type", "state", "applicant_type")
RECORD_LABELS = {**COLUMN_LABELS, "origin": ("第一申请人来源", "first applicant's origin"),
                 "category": ("计入类别", "counted as"), "province_code": ("省级代码", "province code"),
                 "city_code": ("市级代码", "city code")}

PeriodQ = Annotated[str | None, Query(max_length=40, description=(
    "统计期：2024-03、2024-Q1、2024、2024-01..2024-06（默认上一个完整月份） / period (default: the last complete "
    "month)"))]
RegionQ = Annotated[str | None, Query(max_length=20, description=(
    "区划代码，或 全国/all（默认行动方案的地区） / region code, or 全国/all for the country (default: the plan's)"))]
FormFmt = Annotated[str, Query(pattern="^(json|xlsx|docx|csv)$", description="json | xlsx | docx | csv")]
CellFmt = Annotated[str, Query(pattern="^(json|xlsx)$", description="json | xlsx")]


# -- the questions: form, period, region ----------------------------------------------------------------
def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "…"


def _specs(request: Request) -> dict:
    try:
        return analytics(request).form_specs()
    except FormError as err:  # a bureau's form file that cannot be used: say which, never a traceback
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"表式文件有误 / bad form file — {err}") from err


def _spec(request: Request, key: str):
    specs = _specs(request)
    if key not in specs:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"没有表式「{_shown(key)}」；可用：{', '.join(specs)} / no such form")
    return specs[key]


def last_complete_month(day: date) -> str:
    """The latest month that has ended on ``day``: the month itself on its last day, else the one before."""
    end = day if (day + timedelta(days=1)).day == 1 else day.replace(day=1) - timedelta(days=1)
    return f"{end.year}-{end.month:02d}"


def _period(request: Request, given: str | None) -> str:
    """The canonical period key (2024-03, 2024-Q1, …); 422 with the accepted forms for anything else."""
    text = given or last_complete_month(request.app.state.default_as_of or date.today())
    try:
        return parse_period(text).key
    except PeriodError as err:
        raise HTTPException(422, f"period：{err}") from err


def _region(request: Request, given: str | None) -> str | None:
    """A region code as stored; None for the country (全国 / all); the plan's region when not given."""
    from hvpatent.reference.regions import normalize_code, region_by_code

    if given is None or not given.strip():
        return analytics(request).plan.region
    if given.strip().lower() in NATIONAL:
        return None
    code = normalize_code(given)
    if code not in region_by_code():
        raise HTTPException(422, f"region：未知区划代码「{_shown(given)}」，应为区划代码或 全国/all / "
                                 "unknown region code; give a region code or 全国/all")
    return code


def _param(region: str | None) -> str:
    return region or COUNTRY


def _query(period: str, region: str | None, **extra: str) -> str:
    return urlencode({"period": period, "region": _param(region), **extra})


def _filled(request: Request, key: str, period: str | None, region: str | None) -> FormResult:
    _spec(request, key)
    period_key, code = _period(request, period), _region(request, region)
    try:
        return analytics(request).form(key, period_key, code)
    except ValueError as err:  # a date out of range; a region without sub-regions for a form by region
        raise HTTPException(422, str(err)) from err


def _records(request: Request, key: str, period: str | None, region: str | None, row: str,
             column: str) -> tuple[FormResult, list[dict]]:
    result = _filled(request, key, period, region)
    missing = HTTPException(status.HTTP_404_NOT_FOUND, f"表中没有可下钻的格「{_shown(row)}:{_shown(column)}」"
                                                       "（人口与排名无明细） / no list behind this cell")
    if (row, column) not in result.cells:  # only the cells the form shows
        raise missing
    try:
        rows = analytics(request).form_cell(key, result.period.key, result.region, row, column)
    except KeyError as err:
        raise missing from err
    return result, rows


def _cell_url(prefix: str, result: FormResult, row: str, column: str) -> str:
    return (f"{prefix}/forms/{quote(result.spec.key, safe='')}/cells/{quote(row, safe='')}/{quote(column, safe='')}"
            f"?{_query(result.period.key, result.region)}")


def _labels(result: FormResult, row: str, column: str, lang: str) -> tuple[str, str]:
    found = next(r for r in result.rows if r.key == row)
    return (" ".join(t(lang) for t in found.labels),
            " ".join(t(lang) for t in result.spec.column(column).labels))


def _file_name(*parts: str) -> str:
    """A file name safe in a Content-Disposition header and on any disk: letters (any script), digits,
    ``-`` and ``.``; everything else (slashes, quotes, spaces, control characters) becomes ``_``."""
    name = re.sub(r"[^\w.\-]", "_", "-".join(parts), flags=re.UNICODE).strip("._")
    return name[:120] or "form"


def _attachment(data: bytes, media: str, name: str, ascii_name: str) -> Response:
    return Response(data, media_type=media, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"})


# -- the API ----------------------------------------------------------------------------------------------
def form_json(result: FormResult, lang: str) -> dict:
    """The filled form as JSON: the header block, the columns with their label paths, the rows with their
    labels and every cell as printed, with the URL of the records behind it where there are any."""
    spec = result.spec
    return {
        "key": spec.key, "title": spec.title(lang), "table_no": spec.table_no, "measure": spec.measure,
        "period": result.period.key, "period_label": result.period.label(lang), "region": result.region,
        "region_name": result.region_label(lang),
        "header": [{"label": label, "value": value} for label, value in result.header_block(lang)],
        "columns": [{"key": c.key, "kind": c.kind, "labels": [t(lang) for t in c.labels]} for c in spec.columns],
        "rows": [{"key": r.key, "kind": r.kind, "code": r.code, "labels": [t(lang) for t in r.labels],
                  "cells": {c.key: {"value": result.cells[(r.key, c.key)].value,
                                    "text": result.cells[(r.key, c.key)].text,
                                    "drill_url": _cell_url("/api", result, r.key, c.key)
                                    if result.cells[(r.key, c.key)].drill else None}
                            for c in spec.columns}}
                 for r in result.rows],
        "notes": [n(lang) for n in result.notes],
    }


@router.get("/api/forms", summary="官方统计报表（专月表等）列表 / the official statistical forms", tags=["forms"])
def api_forms(request: Request, user: Staff) -> list[dict]:
    lang = _lang(request)
    return [{"key": f.key, "title": {"zh": f.title("zh"), "en": f.title("en")}, "table_no": f.table_no,
             "measure": f.measure, "by_region": f.by_region is not None, "title_shown": f.title(lang)}
            for f in _specs(request).values()]


@router.get("/api/forms/{key}", summary="填报一张统计报表 / one form filled for a period and a region",
            tags=["forms"])
def api_form(request: Request, user: Staff, key: str, period: PeriodQ = None, region: RegionQ = None,
             format: FormFmt = "json"):
    result = _filled(request, key, period, region)
    lang = _lang(request)
    if format == "json":
        return JSONResponse(jsonable([form_json(result, lang)])[0])
    data, media = analytics(request).form_file(key, result.period.key, result.region, format, lang, user.username)
    name = _file_name(result.spec.title(lang), result.period.key, result.region or "全国")
    fallback = re.sub(r"[^A-Za-z0-9.\-]", "_", _file_name(result.spec.key, result.period.key, result.region or "CN"))
    return _attachment(data, media, f"{name}.{format}", f"{fallback}.{format}")


@router.get("/api/forms/{key}/cells/{row}/{column}", summary="一格背后的专利 / the patents behind one cell",
            tags=["forms"])
def api_form_cell(request: Request, user: Staff, key: str, row: str, column: str, period: PeriodQ = None,
                  region: RegionQ = None, format: CellFmt = "json"):
    result, rows = _records(request, key, period, region, row, column)
    row_label, column_label = _labels(result, row, column, _lang(request))
    return _table_response(rows, format, _file_name(result.spec.title("zh"), row_label, column_label))


# -- the pages --------------------------------------------------------------------------------------------
def region_choices(plan_region: str | None, chosen: str | None, lang: str = "zh") -> list[tuple[str, str]]:
    """(URL value, name) of the regions offered: the plan's region, the cities and the province above it
    (not the 市辖区 / 县 placeholders of a municipality), the chosen one if it is none of these, and 全国."""
    from hvpatent.reference.regions import region_by_code

    table = region_by_code()
    chain, code = [], plan_region
    while code and code in table:
        if table[code].name not in PLACEHOLDERS:  # not offered as a region
            chain.append((code, table[code].name))
        code = table[code].parent_code
    if chosen and chosen not in dict(chain):
        chain.append((chosen, table[chosen].name if chosen in table else chosen))
    return [*chain, (COUNTRY, "全国" if lang == "zh" else "China")]


@router.get("/forms", response_class=HTMLResponse, include_in_schema=False)
def forms_page(request: Request, period: PeriodQ = None, region: RegionQ = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    lang = _lang(request)
    period_key, code = _period(request, period), _region(request, region)
    forms = [{"key": f.key, "title": f.title(lang), "table_no": f.table_no or "",
              "measure": MEASURES.get(f.measure, (f.measure, f.measure))[0 if lang == "zh" else 1],
              "rows": translate("form_by_region", lang) if f.by_region else str(len(f.rows)),
              "url": f"/forms/{quote(f.key, safe='')}?{_query(period_key, code)}"} for f in _specs(request).values()]
    return _render(request, "forms_list.html", user, "forms", forms=forms, period=period_key,
                   region_param=_param(code), regions=region_choices(analytics(request).plan.region, code, lang))


def _html_rows(result: FormResult, lang: str) -> tuple[list[list[dict]], list[list[dict]]]:
    """The grid of `forms.render.layout` as table rows of cells with rowspan / colspan (a merged block
    starts in its top-left row); header rows and body rows apart. Drillable data cells carry their link."""
    grid = layout(result, lang)
    rows: list[list[dict]] = [[] for _ in range(grid.rows)]
    for b in sorted(grid.blocks, key=lambda b: (b.r0, b.c0)):
        cell = {"text": b.text, "kind": b.kind, "rowspan": b.r1 - b.r0 + 1, "colspan": b.c1 - b.c0 + 1,
                "href": None, "key": None}
        if b.kind == "data":
            row = result.rows[b.r0 - grid.header_rows]
            column = result.spec.columns[b.c0 - grid.label_cols]
            cell["key"] = f"{row.key}:{column.key}"
            if result.cells[(row.key, column.key)].drill:
                cell["href"] = _cell_url("", result, row.key, column.key)
        rows[b.r0].append(cell)
    return rows[:grid.header_rows], rows[grid.header_rows:]


@router.get("/forms/{key}", response_class=HTMLResponse, include_in_schema=False)
def form_page(request: Request, key: str, period: PeriodQ = None, region: RegionQ = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    lang = _lang(request)
    result = _filled(request, key, period, region)
    head, body = _html_rows(result, lang)
    query = _query(result.period.key, result.region)
    downloads = [(fmt, f"/api/forms/{quote(key, safe='')}?{query}&format={fmt}") for fmt in ("xlsx", "docx", "csv")]
    return _render(request, "forms.html", user, "forms", title=result.spec.title(lang),
                   header=result.header_block(lang), head=head, body=body,
                   notes=[n(lang) for n in result.notes], downloads=downloads,
                   back=f"/forms?{query}", source=result.spec.source)


@router.get("/forms/{key}/cells/{row}/{column}", response_class=HTMLResponse, include_in_schema=False)
def form_cell_page(request: Request, key: str, row: str, column: str, period: PeriodQ = None,
                   region: RegionQ = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    lang = _lang(request)
    result, rows = _records(request, key, period, region, row, column)
    row_label, column_label = _labels(result, row, column, lang)
    cell = result.cells[(row, column)]
    unit = result.spec.unit(lang)
    # The heading says the cell as printed: a count is the number of patents listed below; a share or a
    # density adds the number of patents behind it (its count's).
    count = f"{cell.text} {unit}" if result.spec.column(column).kind == "count" else (
        f"{cell.text}（{len(rows)} {unit}）" if lang == "zh" else f"{cell.text} ({len(rows)} {unit})")
    title = (f"{result.spec.title(lang)} · {result.region_label(lang)} {result.period.label(lang)} · {row_label} · "
             f"{column_label}{'：' if lang == 'zh' else ': '}{count}")
    columns = [c for c in (rows[0] if rows else []) if c not in ("province_code", "city_code")]
    rows = [{c: _shown_value(c, v, lang) for c, v in r.items()} for r in rows]
    labels = {c: v[0 if lang == "zh" else 1] for c, v in RECORD_LABELS.items()}
    export = f"{_cell_url('/api', result, row, column)}&format=xlsx"
    return _render(request, "records.html", user, "forms", title=title, rows=rows, columns=columns, labels=labels,
                   as_of=result.as_of, limit=1000, export_url=export)


def _shown_value(column: str, value: object, lang: str) -> object:
    """A coded value of a cell's list in words of the page's language (the API keeps the codes)."""
    if not isinstance(value, str):
        return value
    words = VALUE_LABELS.get(column, {}).get(value)
    if words:
        return words[0 if lang == "zh" else 1]
    return translate(value, lang) if column in TRANSLATED else value
