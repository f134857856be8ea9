"""The bureau's view of the task reports (docs/tasks.md "pages and API"): /tasks/reports (who has reported, on time,
late, overdue, per period), /tasks/reports/{id} (one report, its figures and attachments), /tasks/overdue (reminder
letters), /tasks/assessment (qualitative scores and the assessment sheet); API twins under /api/tasks.  Staff only
(admin, analyst): an enterprise, bank or unit account gets 403.  OWNER: H7.

The tasks room (its door ``hvpatent.tasks``) and its documents (reports.task_letters, reports.assessment_sheet) do
the work; reads go through the warehouse's reader, the one write (a score) under the write lock.  No SQL here.
Any staff account (admin or analyst) may record a qualitative score: scoring is the bureau's assessment work, done by
its analysts, not an administration of the platform (imports, editions) kept to admin (docs/tasks.md).  Status words
are the room's one ``STATUS_WORDS``; names from the plan file reach file and zip names only through
``reports.task_letters.safe_file_name``."""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from dataclasses import asdict
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from hvpatent import tasks
from hvpatent.i18n import half
from hvpatent.plan.model import Plan, PlanError
from hvpatent.warehouse.accounts import User
from hvpatent.web import inputs
from hvpatent.web.abnormal import AsOfQ, as_of_day, labelled
from hvpatent.web.analytics import MEDIA
from hvpatent.web.api import _table_response, analytics, jsonable
from hvpatent.web.downloads import disposition
from hvpatent.web.pages import STAFF, _lang, _render, _user
from hvpatent.web.security import check_csrf, require
from hvpatent.web.writes import ledger_write

router = APIRouter()
Staff = Annotated[User, Depends(require(*STAFF))]
PlanQ = Annotated[str | None, Query(max_length=80, description="方案代码 / a plan's key (default: the default plan)")]
PeriodQ = Annotated[str | None, Query(max_length=10, description="报送期 / period: 2024Q3, 2024-09, 2024H2, 2024")]
UnitQ = Annotated[str | None, Query(max_length=60, description="单位 / a unit the plan names")]
StatusQ = Annotated[str | None, Query(max_length=12, description="on_time | late | overdue | pending | optional")]
FmtQ = Annotated[str, Query(pattern="^(json|csv|xlsx)$")]
FileNo = Annotated[int, Path(ge=1, le=10_000)]
ID_CHARS = 64
NOTE_CHARS = 500
WORDS: dict[str, tuple[str, str]] = {
    "title": ("任务进展报告", "Task reports"), "plan": ("方案", "Plan"), "period": ("报送期", "Period"),
    "unit": ("单位", "Unit"), "status": ("状态", "Status"), "as_of": ("截至", "As of"), "all": ("全部", "All"),
    "show": ("显示", "Show"), "export": ("导出", "Export"), "task": ("任务", "Task"), "due": ("报送截止日", "Due"),
    "submitted_at": ("报送时间", "Submitted"), "version": ("版本", "Version"), "none": ("暂无记录", "Nothing to show"),
    "role": ("角色", "Role"), "days_late": ("逾期工作日", "Working days late"), "report": ("报告", "Report"),
    "text": ("报告内容", "Report"), "figures": ("单位填报数据", "Figures entered"), "name": ("名称", "Name"),
    "value": ("数值", "Value"), "value_unit": ("单位", "Unit of measure"), "files": ("附件", "Attachments"),
    "size": ("大小（字节）", "Size (bytes)"), "history": ("版本记录", "Versions"), "by": ("报送人", "By"),
    "linked": ("相关指标与目标", "Linked indicators and targets"), "previous": ("上期末", "Previous period end"),
    "change": ("变化", "Change"), "current": ("当前", "Current"), "target": ("目标", "Target"),
    "overdue_title": ("逾期未报", "Overdue reports"), "letter": ("下载催报函（Word）", "Reminder letter (docx)"),
    "letters_zip": ("全部催报函（zip）", "All reminder letters (zip)"),
    "assessment_title": ("考核评分表", "Assessment sheet"), "rank": ("排名", "Rank"),
    "timeliness": ("报送及时性", "Timeliness"), "indicators": ("指标进展", "Indicators"),
    "qualitative": ("定性评价分", "Qualitative score"), "total": ("总分", "Total"), "notes": ("说明", "Notes"),
    "score_form": ("录入定性评价分", "Record a qualitative score"), "score": ("分数（0–100）", "Score (0–100)"),
    "note": ("说明", "Note"), "save": ("保存", "Save"), "matrix": ("报送情况", "Who has reported"),
    "back": ("返回报送情况", "Back to the reports"), "responsible": ("责任单位", "responsible"),
    "cooperating": ("配合单位", "cooperating"), "saved": ("已保存定性评价分", "Qualitative score saved"),
    "latest": ("最近一期报送情况", "Latest period"), "download": ("下载", "Download"),
    "first_submitted_at": ("首次报送", "First filed"), "latest_submitted_at": ("最近修改", "Last amended"),
}
# The status export's columns, headed in the language asked (English capitalised: the spreadsheet writer would
# translate a heading that is a key of reports.tables.COLUMN_LABELS, and none of these is one).
STATUS_EXPORT: dict[str, tuple[str, str]] = {
    "task_number": ("任务序号", "Task number"), "task_title": ("任务", "Task"), "unit": ("单位", "Unit"),
    "role_word": ("角色", "Role"), "period": ("报送期", "Period"), "due": ("报送截止日", "Due date"),
    "status_word": ("状态", "Status"), "first_submitted_at": ("首次报送时间", "First filed at"),
    "submitted_at": ("最近修改时间", "Last amended at"), "version": ("版本", "Version"),
    "working_days_late": ("逾期工作日", "Working days late"), "report_id": ("报告编号", "Report id"),
}


def _i(request: Request) -> int:
    return 0 if _lang(request) == "zh" else 1


def plan_name(plan: Plan, i: int) -> str:
    """The plan's name in the page's language (name_en is the Chinese name when the file gives none)."""
    return plan.name if i == 0 else plan.name_en


# -- inputs ----------------------------------------------------------------------------------------------------------

def plan_of(request: Request, key: str | None) -> Plan:
    """The plan asked (the default plan when none); 422 naming the known keys for an unknown one."""
    try:
        return analytics(request).plans.get((key or "").strip() or None)
    except PlanError as err:
        raise HTTPException(422, f"plan：{err}") from err


def period_of(plan: Plan, text: str | None, as_of: date):
    """The plan's reporting period asked, by default the latest one begun by ``as_of`` (else the first); 422 for a
    key that is none of the plan's."""
    periods = tasks.reporting_periods(plan)
    if not periods:
        raise HTTPException(422, f"plan：方案 {plan.key} 没有报送期 / plan {plan.key} has no reporting periods")
    if not text:
        begun = [p for p in periods if p.start <= as_of]
        return begun[-1] if begun else periods[0]
    try:
        period = tasks.parse_period(text.strip(), plan.reporting.cadence)
    except ValueError as err:
        raise HTTPException(422, f"period：{err}") from err
    if period.key not in {p.key for p in periods}:
        raise inputs.invalid("period", text, f"{periods[0].key}–{periods[-1].key}")
    return period


def unit_of(plan: Plan, text: str | None) -> str | None:
    """The unit asked (None when none: every unit); 422 for a name the plan does not give."""
    if not text:
        return None
    if text.strip() not in plan.units():
        raise inputs.invalid("unit", text, "方案列明的单位 / a unit the plan names")
    return text.strip()


def required_unit(plan: Plan, text: str | None) -> str:
    """The unit a letter or a score is for: one the plan names, never blank (422 naming the parameter)."""
    unit = unit_of(plan, text)
    if unit is None:
        raise inputs.invalid("unit", text or "", "方案列明的单位 / a unit the plan names")
    return unit


def _status(text: str | None) -> str | None:
    return inputs.choice("status", text, tasks.STATUSES) if text else None


def _report_id(text: str) -> str:
    if not text or len(text) > ID_CHARS or not text.replace("-", "").isalnum() or not text.isascii():
        raise HTTPException(404, "未找到该报告 / no such report")
    return text


# -- the room's work -------------------------------------------------------------------------------------------------

def status_rows(request: Request, plan: Plan, as_of: date, period: str | None, unit: str | None = None,
                status: str | None = None) -> list:
    rows = _refusal_422(lambda: analytics(request).compute(
        lambda con: tasks.report_status(con, plan, as_of, period=period, unit=unit)))
    return [r for r in rows if status is None or r.status == status]


def _refusal_422(compute):
    """The room's refusal of a question (a period not begun, a plan too large to list at once) as a 422 with its
    message, never a 500."""
    try:
        return compute()
    except tasks.ReportError as err:
        raise HTTPException(422, str(err)) from err


def counts(rows: list) -> dict[str, int]:
    """How many rows of each status, every status named (0 when none)."""
    found = Counter(r.status for r in rows)
    return {s: found.get(s, 0) for s in tasks.STATUSES}


def matrix(plan: Plan, rows: list) -> dict:
    """The task × unit grid of a period: the tasks and units that have a row, in the plan's order, and the cells."""
    cells = {(r.task_number, r.unit): r for r in rows}
    return {"tasks": [t for t in plan.tasks if any(k[0] == t.number for k in cells)],
            "units": [u for u in plan.units() if any(k[1] == u for k in cells)], "cells": cells}


def _export_rows(rows: list, i: int) -> list[dict]:
    shown = [{**asdict(r), "status_word": tasks.STATUS_WORDS[r.status][i],
              "role_word": WORDS.get(r.role, (r.role, r.role))[i]} for r in rows]
    return labelled(shown, STATUS_EXPORT, i)


def _report(request: Request, report_id: str) -> dict:
    """One report with its version history and its task's linked figures; 404 when there is none."""
    i = _i(request)

    def read(con) -> dict:
        report = tasks.get_report(con, report_id)
        history = tasks.report_history(con, report["plan_key"], report["task_number"], report["unit"],
                                       report["period"])
        try:
            plan = analytics(request).plans.get(report["plan_key"])
        except PlanError:  # a plan no longer loaded: the report stands without its figures
            plan = None
        figures = tasks.task_figures(con, plan, report["task_number"], report["period"]) if plan else []
        task = plan.task(report["task_number"]) if plan else None
        return {**report, "history": history, "linked": figures, "task_title": task.title if task else "",
                "plan_name": plan_name(plan, i) if plan else report["plan_key"]}

    try:
        return analytics(request).compute(read)
    except tasks.ReportNotFound as err:
        raise HTTPException(404, "未找到该报告 / no such report") from err


def _file(request: Request, report_id: str, file_no: int) -> Response:
    """An attachment as it was received, always as a download (never shown inline: its bytes are the unit's)."""
    try:
        f = analytics(request).compute(lambda con: tasks.report_file(con, report_id, file_no))
    except tasks.ReportNotFound as err:
        raise HTTPException(404, "未找到该附件 / no such attachment") from err
    return _download(f["content"], f["media_type"], f["file_name"])


def _download(data: bytes, media_type: str, name: str) -> Response:
    return Response(data, media_type=media_type, headers={
        "Content-Disposition": disposition(name), "X-Content-Type-Options": "nosniff"})


def _overdue(request: Request, plan: Plan, as_of: date, unit: str | None = None) -> list:
    return analytics(request).compute(lambda con: tasks.overdue(con, plan, as_of, unit=unit))


def _by_unit(rows: list) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for r in rows:
        grouped.setdefault(r.unit, []).append(r)
    return grouped


# The documents (python-docx, openpyxl) are imported when one is asked for, not with every page.
def _letter(request: Request, plan: Plan, unit: str, as_of: date) -> Response:
    from hvpatent.reports.task_letters import reminder_letter

    rows = _overdue(request, plan, as_of, unit)
    if not rows:
        raise HTTPException(422, f"unit：{unit} 截至 {as_of} 没有逾期未报的报告 / unit: {unit} has no overdue "
                                 f"report on {as_of}")
    data = reminder_letter(plan, unit, rows, as_of, lang=_lang(request))
    return _download(data, MEDIA["docx"], letter_name(unit, as_of))


def letter_name(unit: str, as_of: date) -> str:
    """A unit's letter's file (and zip entry) name: a plan file's unit name ("../x", "a/b") never makes a path."""
    return f"催报函-{_safe_name(unit)}-{as_of.isoformat()}.docx"


def _letters_zip(request: Request, plan: Plan, as_of: date) -> Response:
    from hvpatent.reports.task_letters import reminder_letters, unique_file_names

    letters = reminder_letters(plan, _overdue(request, plan, as_of), as_of, lang=_lang(request))
    # two names that clean to the same text get "-2", "-3": no letter overwrites another (as the CLI's remind)
    names = unique_file_names([letter_name(u, as_of) for u in letters])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in zip(names, letters.values(), strict=True):
            z.writestr(name, data)
    return _download(buffer.getvalue(), "application/zip", f"催报函-{_safe_name(plan.key)}-{as_of.isoformat()}.zip")


def _safe_name(name: str) -> str:
    """A name from the plan file (a unit, a key) as a file or zip entry name (no path, no control characters)."""
    from hvpatent.reports.task_letters import safe_file_name

    return safe_file_name(name)


def _sheet(request: Request, plan: Plan, period: str, as_of: date) -> list:
    return _refusal_422(lambda: analytics(request).compute(
        lambda con: tasks.assessment_sheet(con, plan, period, as_of)))


def _sheet_xlsx(request: Request, plan: Plan, period: str, as_of: date) -> Response:
    from hvpatent.reports.assessment_sheet import write_assessment_xlsx

    data = write_assessment_xlsx(_sheet(request, plan, period, as_of), plan, period, as_of, lang=_lang(request))
    return _download(data, MEDIA["xlsx"], f"考核评分表-{_safe_name(plan.key)}-{period}.xlsx")


def _score(request: Request, user: User, plan_key: str | None, unit: str, period: str, score: float,
           note: str | None) -> dict:
    """The qualitative score, under the write lock; 422 with the room's reason when it is refused."""
    plan = plan_of(request, plan_key)
    day = as_of_day(None, request)
    if not (period or "").strip():  # never "the latest period" by default: a score names the period it is for
        raise inputs.invalid("period", period or "", "2024Q3, 2024-09, 2024H2, 2024")
    period_key = period_of(plan, period, day).key
    checked = required_unit(plan, unit)
    if not 0 <= score <= 100:
        raise inputs.invalid("score", str(score), "0–100")
    note = (note or "").strip() or None
    return ledger_write(request, lambda duck, con: tasks.record_score(duck, plan, checked, period_key, score,
                                                                      note=note, by=user.username), tasks.ReportError)


def _sheet_json(rows: list) -> list[dict]:
    return jsonable([asdict(r) for r in rows])


# -- API ---------------------------------------------------------------------------------------------------------

@router.get("/api/tasks/status", summary="任务报送情况 / who has reported, per task, unit and period")
def api_status(request: Request, user: Staff, plan: PlanQ = None, period: PeriodQ = None, unit: UnitQ = None,
               status: StatusQ = None, as_of: AsOfQ = None, format: FmtQ = "json", lang: str = "zh") -> Response:
    p, day = plan_of(request, plan), as_of_day(as_of, request)
    key = period_of(p, period, day).key
    rows = status_rows(request, p, day, key, unit_of(p, unit), _status(status))
    data = [asdict(r) for r in rows] if format == "json" else _export_rows(rows, _i(request))
    return _table_response(data, format, f"任务报送情况-{p.key}-{key}")


@router.get("/api/tasks/reports/{report_id}", summary="一份任务进展报告 / one report, its versions and figures")
def api_report(request: Request, user: Staff, report_id: str) -> JSONResponse:
    return JSONResponse(jsonable([_report(request, _report_id(report_id))])[0])


@router.get("/api/tasks/reports/{report_id}/files/{file_no}", summary="报告附件 / a report's attachment")
def api_file(request: Request, user: Staff, report_id: str, file_no: FileNo) -> Response:
    return _file(request, _report_id(report_id), file_no)


@router.get("/api/tasks/overdue", summary="逾期未报 / overdue reports")
def api_overdue(request: Request, user: Staff, plan: PlanQ = None, unit: UnitQ = None, as_of: AsOfQ = None,
                format: FmtQ = "json", lang: str = "zh") -> Response:
    p, day = plan_of(request, plan), as_of_day(as_of, request)
    rows = _overdue(request, p, day, unit_of(p, unit))
    data = [asdict(r) for r in rows] if format == "json" else _export_rows(rows, _i(request))
    return _table_response(data, format, f"逾期未报-{p.key}-{day.isoformat()}")


@router.get("/api/tasks/overdue/letter", summary="催报函（Word）/ a unit's reminder letter (docx)")
def api_letter(request: Request, user: Staff, unit: Annotated[str, Query(max_length=60)], plan: PlanQ = None,
               as_of: AsOfQ = None) -> Response:
    p = plan_of(request, plan)
    return _letter(request, p, required_unit(p, unit), as_of_day(as_of, request))


@router.get("/api/tasks/assessment", summary="考核评分表 / the assessment sheet")
def api_assessment(request: Request, user: Staff, plan: PlanQ = None, period: PeriodQ = None, as_of: AsOfQ = None,
                   format: Annotated[str, Query(pattern="^(json|xlsx)$")] = "json") -> Response:
    p, day = plan_of(request, plan), as_of_day(as_of, request)
    key = period_of(p, period, day).key
    if format == "xlsx":
        return _sheet_xlsx(request, p, key, day)
    return JSONResponse(_sheet_json(_sheet(request, p, key, day)))


class ScoreIn(BaseModel):
    plan: str | None = Field(None, max_length=80)
    unit: str = Field(max_length=60)
    period: str = Field(max_length=10)
    score: float
    note: str | None = Field(None, max_length=NOTE_CHARS)


@router.post("/api/tasks/scores", summary="录入定性评价分 / record a unit's qualitative score")
def api_score(request: Request, user: Staff, body: ScoreIn) -> JSONResponse:
    check_csrf(request, request.headers.get("x-csrf-token"))
    return JSONResponse(jsonable([_score(request, user, body.plan, body.unit, body.period, body.score,
                                         body.note)])[0])


# -- pages ---------------------------------------------------------------------------------------------------------

def _page(request: Request, user: User, template: str, plan: Plan, **context) -> HTMLResponse:
    return _render(request, template, user, "task_reports", **_words(request, plan), **context)


def _words(request: Request, plan: Plan) -> dict:
    """What every task page shares: the words, the status words, the plan and the plans to choose from, each
    plan's name in the page's language."""
    i = _i(request)
    plans = list(analytics(request).plans)
    return {"w": {k: v[i] for k, v in WORDS.items()},
            "status_words": {k: v[i] for k, v in tasks.STATUS_WORDS.items()}, "plan": plan, "plans": plans,
            "plan_name": plan_name(plan, i), "plan_names": {p.key: plan_name(p, i) for p in plans}}


def _query(**params: str | None) -> str:
    return urlencode([(k, v) for k, v in params.items() if v])


@router.get("/tasks/reports", response_class=HTMLResponse, include_in_schema=False)
def reports_page(request: Request, plan: PlanQ = None, period: PeriodQ = None, unit: UnitQ = None,
                 status: StatusQ = None, as_of: AsOfQ = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    p, day = plan_of(request, plan), as_of_day(as_of, request)
    per = period_of(p, period, day)
    code, wanted = unit_of(p, unit), _status(status)
    rows = status_rows(request, p, day, per.key, code)
    shown = [r for r in rows if wanted is None or r.status == wanted]
    q = dict(plan=p.key, period=per.key, unit=code, status=wanted, as_of=as_of)
    # every figure links to what is behind it: a count to its status, a unit's column to that unit
    count_urls = {s: f"/tasks/reports?{_query(**{**q, 'status': s})}" for s in tasks.STATUSES}
    unit_urls = {u: f"/tasks/reports?{_query(**{**q, 'unit': u})}" for u in p.units()}
    return _page(request, user, "task_reports.html", p, title=WORDS["title"][_i(request)], rows=shown,
                 counts=counts(rows), grid=matrix(p, shown), period=per, due=tasks.due_date(p, per), as_of=day,
                 unit=code or "", status=wanted or "", periods=[x.key for x in tasks.reporting_periods(p)],
                 count_urls=count_urls, unit_urls=unit_urls,
                 export_url=f"/api/tasks/status?{_query(**q, format='xlsx', lang=_lang(request))}",
                 csv_url=f"/api/tasks/status?{_query(**q, format='csv', lang=_lang(request))}")


@router.get("/tasks/reports/{report_id}", response_class=HTMLResponse, include_in_schema=False)
def report_page(request: Request, report_id: str) -> HTMLResponse:
    user = _user(request, *STAFF)
    r = _report(request, _report_id(report_id))
    plan = analytics(request).plans.by_key.get(r["plan_key"]) or analytics(request).plans.default
    return _page(request, user, "task_reports_detail.html", plan, title=f"{r['task_title']} · {r['unit']}", r=r)


@router.get("/tasks/reports/{report_id}/files/{file_no}", include_in_schema=False)
def file_download(request: Request, report_id: str, file_no: FileNo) -> Response:
    _user(request, *STAFF)
    return _file(request, _report_id(report_id), file_no)


@router.get("/tasks/overdue", response_class=HTMLResponse, include_in_schema=False)
def overdue_page(request: Request, plan: PlanQ = None, as_of: AsOfQ = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    p, day = plan_of(request, plan), as_of_day(as_of, request)
    return _page(request, user, "task_reports_overdue.html", p, title=WORDS["overdue_title"][_i(request)],
                 groups=_by_unit(_overdue(request, p, day)), as_of=day,
                 query=_query(plan=plan, as_of=day.isoformat()))


@router.get("/tasks/overdue/letter", include_in_schema=False)
def letter_download(request: Request, unit: Annotated[str, Query(max_length=60)], plan: PlanQ = None,
                    as_of: AsOfQ = None) -> Response:
    _user(request, *STAFF)
    p = plan_of(request, plan)
    return _letter(request, p, required_unit(p, unit), as_of_day(as_of, request))


@router.get("/tasks/overdue/letters.zip", include_in_schema=False)
def letters_download(request: Request, plan: PlanQ = None, as_of: AsOfQ = None) -> Response:
    _user(request, *STAFF)
    return _letters_zip(request, plan_of(request, plan), as_of_day(as_of, request))


@router.get("/tasks/assessment", response_class=HTMLResponse, include_in_schema=False)
def assessment_page(request: Request, plan: PlanQ = None, period: PeriodQ = None, as_of: AsOfQ = None,
                    saved: Annotated[str | None, Query(pattern="^1$")] = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    p, day = plan_of(request, plan), as_of_day(as_of, request)
    per = period_of(p, period, day)
    q = _query(plan=plan, period=per.key, as_of=as_of)
    rows, i = _sheet(request, p, per.key, day), _i(request)
    notes = {r.unit: ("；" if i == 0 else "; ").join(half(n, i) for n in r.notes) for r in rows}
    # a unit's row leads to its reports of the period (what its timeliness is made of)
    unit_urls = {r.unit: f"/tasks/reports?{_query(plan=p.key, period=per.key, unit=r.unit, as_of=as_of)}"
                 for r in rows}
    return _page(request, user, "task_reports_assessment.html", p, title=WORDS["assessment_title"][i],
                 rows=rows, notes=notes, unit_urls=unit_urls, period=per, as_of=day, saved=bool(saved),
                 export_url=f"/tasks/assessment.xlsx?{q}", back=f"/tasks/assessment?{q}")


@router.get("/tasks/assessment.xlsx", include_in_schema=False)
def assessment_xlsx(request: Request, plan: PlanQ = None, period: PeriodQ = None, as_of: AsOfQ = None) -> Response:
    _user(request, *STAFF)
    p, day = plan_of(request, plan), as_of_day(as_of, request)
    return _sheet_xlsx(request, p, period_of(p, period, day).key, day)


# The score form's fields and their longest values (as the API's ScoreIn); a field beyond them is refused.
SCORE_FIELDS = {"csrf": 200, "plan": 80, "unit": 60, "period": 10, "score": 10, "note": NOTE_CHARS, "as_of": 10}


async def _score_fields(request: Request) -> dict[str, str]:
    """The score form's text fields, read only after the role is checked: a part sent as a file, a field too long
    or a form that cannot be read is a bilingual 422 (FastAPI's Form() parameters would parse and check the body
    before the role, answering a unit or a visitor "csrf: Field required")."""
    try:
        form: FormData = await request.form(max_files=0, max_fields=len(SCORE_FIELDS) + 5)
    except (MultiPartException, StarletteHTTPException) as err:
        if isinstance(err, StarletteHTTPException) and err.status_code != 400:
            raise
        detail = str(getattr(err, "detail", None) or getattr(err, "message", "") or err)[:80]
        raise HTTPException(422, f"表单无法读取（{detail}） / the form could not be read ({detail})") from err
    fields: dict[str, str] = {}
    for name, longest in SCORE_FIELDS.items():
        value = form.get(name, "")
        if not isinstance(value, str):
            raise HTTPException(422, f"{name}：应为文字 / {name}: expected text")
        if len(value) > longest:
            raise inputs.invalid(name, value, f"≤ {longest} 字 / at most {longest} characters")
        fields[name] = value
    return fields


@router.post("/tasks/scores", include_in_schema=False)
async def score_form(request: Request) -> Response:
    """Record the score; back to the sheet with a notice, or the reason on an error page (422, 503)."""
    user = _user(request, *STAFF)  # before the body is read: another role gets 403, a visitor the login page
    try:
        form = await _score_fields(request)
        check_csrf(request, form["csrf"])
        try:
            value = float(form["score"])
        except ValueError as err:
            raise inputs.invalid("score", form["score"], "0–100") from err
        await run_in_threadpool(_score, request, user, form["plan"] or None, form["unit"], form["period"], value,
                                form["note"])
    except HTTPException as err:
        if err.status_code not in (422, 503):
            raise
        from hvpatent.web.pages import error_page

        return error_page(request, err.status_code, str(err.detail))
    # back to the sheet as of today: a sheet as of an earlier day counts only the scores recorded by then
    target = _query(plan=form["plan"] or None, period=form["period"], saved="1")
    return RedirectResponse(f"/tasks/assessment?{target}", status_code=303)


# -- the /tasks page (web/pages.py's route calls this) -------------------------------------------------------------

def tasks_overview(request: Request, plan_key: str | None, as_of: date) -> dict:
    """The /tasks page's context: the plan, its tasks with their units, linked indicators and targets, and each
    task's status counts in the latest period begun by ``as_of``."""
    p = plan_of(request, plan_key)
    per = period_of(p, None, as_of)
    rows = status_rows(request, p, as_of, per.key)
    targets = {t.key: t.name for t in p.targets}
    rows_of = [{"number": k.number, "title": k.title, "goal": k.goal, "responsible": list(k.responsible),
                "cooperating": list(k.cooperating), "indicators": list(k.indicators),
                "targets": [(t, targets.get(t, t)) for t in k.targets],
                "counts": counts([r for r in rows if r.task_number == k.number])} for k in p.tasks]
    q = dict(plan=p.key, period=per.key, as_of=as_of.isoformat())
    return {**_words(request, p), "period": per, "tasks": rows_of, "totals": counts(rows),
            "count_urls": {s: f"/tasks/reports?{_query(**q, status=s)}" for s in tasks.STATUSES},
            "export_url": f"/api/plan/tasks?{_query(plan=p.key, format='xlsx')}"}
