"""Patent value assessment in the dashboard and the API (GB/T 42748-2023; docs/value.md): the region's patents
ranked by value with filters and an xlsx export (staff), one patent's breakdown (staff; an enterprise user only
for its own patents), and their JSON.  Data comes from the value room through `Analytics.answer`; no SQL here."""

from __future__ import annotations

import io
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse

from hvpatent.ingest.appno import AppNoError, normalize_appno
from hvpatent.reference.regions import towns_of
from hvpatent.warehouse.accounts import User
from hvpatent.web import inputs
from hvpatent.web.api import XLSX, AsOf, Staff, analytics, jsonable
from hvpatent.web.pages import STAFF, _day, _lang, _render, _user
from hvpatent.web.security import require

if TYPE_CHECKING:
    import pandas as pd

router = APIRouter()
Viewer = Annotated[User, Depends(require(*STAFF, "enterprise"))]
ScenarioQ = Annotated[str, Query(max_length=20, description="pledge | transfer | management")]
TownQ = Annotated[str | None, Query(max_length=12, description="12 位镇街代码 / a 12-digit town code")]
FieldQ = Annotated[str | None, Query(max_length=3, description="WIPO 技术领域 1–35 / technology field")]
GradeQ = Annotated[str | None, Query(max_length=2, description="A | B | C | D")]
FmtQ = Annotated[str, Query(pattern="^(json|xlsx)$", description="json | xlsx")]
LIMIT = 500  # rows shown on the page; the export has all
WORDS: dict[str, tuple[str, str]] = {
    "value": ("专利价值评估", "Patent value"), "scenario": ("评估场景", "Scenario"), "town": ("镇街", "Town"),
    "field": ("技术领域", "Field"), "grade": ("等级", "Grade"), "all": ("全部", "All"), "filter": ("筛选", "Filter"),
    "export": ("导出 Excel", "Export xlsx"), "app_no": ("申请号", "Application"), "title": ("名称", "Title"),
    "applicant": ("第一申请人", "First applicant"), "score": ("得分", "Score"), "legal": ("法律", "Legal"),
    "technical": ("技术", "Technical"), "economic": ("经济", "Economic"), "high_value": ("高价值", "High-value"),
    "year": ("申请年", "Year"), "as_of": ("统计日期", "As of"), "records": ("件", "patents"),
    "first_n": ("仅显示前", "showing the first"), "yes": ("是", "yes"), "no": ("否", "no"),
    "dimension": ("维度", "Dimension"), "indicator": ("指标", "Indicator"), "input": ("输入", "Input"),
    "normalised": ("标准化得分", "Normalised"), "weight": ("权重", "Weight"), "contribution": ("贡献", "Contribution"),
    "cohort": ("比较组", "Cohort"), "criteria": ("高价值判据", "High-value criteria"),
    "note": ("各指标为同技术领域、同申请年专利中的百分位（0–100）；权重与分档为本平台配置，见文档 docs/value.md。",
             "Each indicator is a percentile (0–100) among patents of the same field and filing year; weights and "
             "grades are this platform's configuration (docs/value.md)."),
}


def _scenario(scenario: str) -> str:
    from hvpatent.value import SCENARIOS

    if scenario not in SCENARIOS:
        raise HTTPException(422, f"scenario：无效的值 {scenario[:20]!r}，可用：{' | '.join(SCENARIOS)} / "
                                 f"scenario: invalid value; allowed: {' | '.join(SCENARIOS)}")
    return scenario


def _filters(town: str | None, field: str | None, grade: str | None) -> tuple[str | None, int | None, str | None]:
    from hvpatent.value import technology_fields, value_settings

    inputs.query(town=town or None)
    number = None
    if field:
        if not re.fullmatch(r"[0-9]{1,2}", field) or (int(field) != 0 and int(field) not in technology_fields()):
            raise HTTPException(422, "field：1–35 的 WIPO 技术领域编号 / field: a WIPO technology field, 1–35")
        number = int(field)
    grades = [g for g, _ in value_settings().grades]
    if grade and grade not in grades:
        raise HTTPException(422, f"grade：可用 {' | '.join(grades)} / grade: one of {' | '.join(grades)}")
    return town or None, number, grade or None


def _frame(request: Request, day: date) -> pd.DataFrame:
    """The day's value frame (every scored patent, graded per scenario), computed once per day and data
    version: the lists of every scenario and every breakdown are cut from it."""
    from hvpatent.value import value_frame

    return analytics(request).answer(("value", "frame", day), lambda con: value_frame(con, day))


def _ranked(request: Request, day: date, scenario: str, town: str | None, field: int | None,
            grade: str | None) -> list[dict]:
    from hvpatent.value import value_scores

    a = analytics(request)
    region = a.plan.region
    frame = _frame(request, day)
    rows = a.answer(("value", "scores", day, scenario, region),
                    lambda con: value_scores(con, day, scenario, region, frame=frame))
    return [r for r in rows if (town is None or r["town_code"] == town) and (field is None or r["field"] == field)
            and (grade is None or r["grade"] == grade)]


def _breakdown(request: Request, user: User, app_no: str, day: date) -> dict:
    from hvpatent.value import value_of

    try:
        number = normalize_appno(app_no)
    except AppNoError as err:
        raise HTTPException(422, str(err)) from err
    a = analytics(request)
    not_found = HTTPException(404, f"没有这件专利的价值评估 / no value assessment for {number}")
    if user.role == "enterprise" and not a.owned_by(number, user.enterprise):
        raise not_found  # another's patent: as if it did not exist
    frame = _frame(request, day)
    result = a.answer(("value", "one", number, day), lambda con: value_of(con, number, day, frame=frame))
    if result is None:
        raise not_found
    return result


def _xlsx(rows: list[dict], lang: str) -> StreamingResponse:
    from hvpatent.reports.value import write_value_xlsx

    with tempfile.TemporaryDirectory() as tmp:
        data = write_value_xlsx(rows, Path(tmp) / "value.xlsx", lang).read_bytes()
    name = quote("专利价值评估" if lang == "zh" else "patent-value")
    return StreamingResponse(io.BytesIO(data), media_type=XLSX,
                             headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}.xlsx"})


@router.get("/api/value", summary="专利价值评估（GB/T 42748-2023），按得分排序 / patents ranked by value")
def api_value(request: Request, user: Staff, as_of: AsOf = None, scenario: ScenarioQ = "management",
              town: TownQ = None, field: FieldQ = None, grade: GradeQ = None, format: FmtQ = "json",
              lang: str = "zh"):
    day = inputs.as_of(as_of or date.today())
    rows = _ranked(request, day, _scenario(scenario), *_filters(town, field, grade))
    if format == "xlsx":
        return _xlsx(rows, "en" if lang == "en" else "zh")
    return JSONResponse(jsonable(rows))


@router.get("/api/value/{app_no}", summary="一件专利的价值评估明细 / one patent's value breakdown")
def api_value_one(request: Request, user: Viewer, app_no: str, as_of: AsOf = None) -> JSONResponse:
    day = inputs.as_of(as_of or date.today())
    return JSONResponse(jsonable([_breakdown(request, user, app_no, day)])[0])


@router.get("/value", response_class=HTMLResponse, include_in_schema=False)
def value_page(request: Request, scenario: ScenarioQ = "management", town: TownQ = None, field: FieldQ = None,
               grade: GradeQ = None) -> HTMLResponse:
    from hvpatent.value import SCENARIOS, field_name, technology_fields, value_settings

    user = _user(request, *STAFF)
    day, lang = _day(request), _lang(request)
    i = 0 if lang == "zh" else 1
    town_v, field_v, grade_v = _filters(town, field, grade)
    rows = _ranked(request, day, _scenario(scenario), town_v, field_v, grade_v)
    a = analytics(request)
    town_list = [(t.code, t.name) for t in towns_of(a.plan.region)] if a.plan.region else []
    settings = value_settings()
    params = {k: v for k, v in {"as_of": day.isoformat(), "scenario": scenario, "town": town_v,
                                "field": field_v, "grade": grade_v, "format": "xlsx", "lang": lang}.items()
              if v is not None}
    return _render(request, "value.html", user, "value_assessment", title=WORDS["value"][i], rows=rows, limit=LIMIT,
                   as_of=day, scenario=scenario, town=town_v, field=field_v, grade=grade_v,
                   w={k: v[i] for k, v in WORDS.items()}, towns=town_list, town_names=dict(town_list),
                   scenarios=[(s, (settings.scenarios[s].label_zh, settings.scenarios[s].label_en)[i])
                              for s in SCENARIOS],
                   fields=[(f, field_name(f, lang)) for f in sorted(technology_fields())],
                   grades=[g for g, _ in settings.grades], lang_index=i,
                   export_url=f"/api/value?{urlencode(params)}")


@router.get("/value/{app_no}", response_class=HTMLResponse, include_in_schema=False)
def value_detail_page(request: Request, app_no: str) -> HTMLResponse:
    user = _user(request, *STAFF, "enterprise")
    day, lang = _day(request), _lang(request)
    i = 0 if lang == "zh" else 1
    result = _breakdown(request, user, app_no, day)
    return _render(request, "value_detail.html", user, "value_assessment",
                   title=f"{result['app_no']} · {WORDS['value'][i]}", v=result, as_of=day,
                   w={k: v[i] for k, v in WORDS.items()}, lang_index=i)
