"""A unit's workspace (role ``unit``, docs/tasks.md "the unit's workspace"): /unit (its tasks across plans, the
status of each period that has begun, a form to file a report), /unit/reports/{id} (one of its reports: text,
figures, the task's linked figures, files, versions, an amend form), /unit/reports/{id}/files/{n} (a file) and
POST /unit/reports (file a report with attachments); API twins under /api/unit.

The unit role only (staff, enterprise and bank accounts: 403; anonymous: the login page, 401 for the API).  A unit
sees and files its own reports only: another unit's report id is 404, the same answer as a missing one (the room
checks ``unit=``; the handlers never ask without it; a report id of any length is accepted and answered 404 when it
is not the unit's).  Uploads are read with a cap (the tasks settings' file limit
+ 1 byte, so the room's check can say "too large") and checked by the room (tasks.attachments): a refusal is the
form again with the message (422), nothing stored.  A form with more parts than ours could have (more figure
rows than the settings' max_figures, more files than max_files) is refused the same way, in both languages, never
Starlette's English 400.  The room's door does the work; no SQL here.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from hvpatent import tasks
from hvpatent.i18n import half
from hvpatent.indicators.measures import INDICATORS
from hvpatent.plan.model import Plan, PlanError
from hvpatent.warehouse.accounts import User
from hvpatent.web.api import analytics, jsonable
from hvpatent.web.downloads import disposition
from hvpatent.web.pages import _day, _lang, _render, _user
from hvpatent.web.security import check_csrf, require
from hvpatent.web.writes import write_lock

router = APIRouter()
UnitUser = Annotated[User, Depends(require("unit"))]
REPORT_ID_CHARS = 64     # a report id is 32 hex characters; a longer one is no report of ours (404, not 422)
FileNo = Annotated[int, Path(ge=1, le=1000)]
FIGURE_ROWS = 10          # figure rows on the form at least (an amendment shows every figure it has, up to the cap)
FORM_EXTRA_FIELDS = 10    # the form's fields besides the figure rows: csrf, plan, task, period, text and a margin
WORDS: dict[str, tuple[str, str]] = {
    "title": ("本单位任务与进展报告", "Our tasks and progress reports"),
    "explain": ("下表列出本单位在行动方案中牵头或配合的任务、关联指标与目标，以及每个已开始的报送期的报送情况。"
                "每个报送期结束后应在报送截止日前提交进展报告（文字、数据，附件可为 PDF、Word、Excel 或图片）。",
                "The plan tasks your unit leads or cooperates on, their linked indicators and targets, and the "
                "status of each reporting period that has begun. File a progress report for each period by its due "
                "date (text, figures; attachments may be PDF, Word, Excel or images)."),
    "plan": ("行动方案", "Plan"), "task": ("任务", "Task"), "role": ("角色", "Role"),
    "responsible": ("责任单位", "responsible"), "cooperating": ("配合单位", "cooperating"),
    "indicators": ("关联指标", "Linked indicators"), "targets": ("关联目标", "Linked targets"),
    "period": ("报送期", "Period"), "due": ("报送截止日", "Due"), "status": ("状态", "Status"),
    "submitted": ("提交时间", "Submitted"), "version": ("版本", "Version"),
    "late_days": ("逾期工作日", "Working days late"), "filed_on": ("报送日", "Filed"),
    "file_title": ("提交进展报告", "File a progress report"), "text": ("进展情况", "Progress"),
    "figures": ("数据", "Figures"), "figure_name": ("名称", "Name"), "figure_value": ("数值", "Value"),
    "figure_unit": ("单位", "Unit"), "files": ("附件", "Attachments"),
    "files_hint": ("PDF、Word（.docx）、Excel（.xlsx）、PNG 或 JPEG，最多 {n} 个，每个不超过 {mib} MiB",
                   "PDF, Word (.docx), Excel (.xlsx), PNG or JPEG; at most {n} files, {mib} MiB each"),
    "submit": ("提交", "Submit"), "open": ("查看", "Open"), "none": ("暂无", "None"),
    "done": ("报告已提交", "Report filed"), "refused": ("未能提交", "Not filed"),
    "report": ("进展报告", "Progress report"), "linked": ("关联指标与目标数据", "Linked indicators and targets"),
    "value": ("本期值", "This period"), "previous": ("上期值", "Previous period"), "change": ("变化", "Change"),
    "history": ("版本记录", "Versions"), "amend": ("修改报告（提交新版本）", "Amend (file a new version)"),
    "keep_files": ("未选择新附件时沿用上一版本的附件", "Without new files, the previous version's files are kept"),
    "file_name": ("文件名", "File"), "kind": ("类型", "Kind"), "size": ("大小（字节）", "Size (bytes)"),
    "first_submitted": ("首次提交", "First filed"), "by": ("提交人", "By"),
    "back": ("返回本单位任务", "Back to our tasks"), "current": ("当前", "current"), "target": ("目标值", "Target"),
    "no_unit": ("本账户未关联单位，请联系区知识产权局。",
                "This account is not linked to a unit; please contact the district IP bureau."),
}


def _i(request: Request) -> int:
    return 0 if _lang(request) == "zh" else 1


def _unit(user: User) -> str:
    """The account's unit; 403 for any other role, and for a unit account without a unit (it has no reports)."""
    if user.role != "unit" or not user.unit:
        raise HTTPException(403, "无权访问 / not allowed for this account")
    return user.unit


KEY_ECHO = 64             # a posted plan key or period is echoed at most this long in a message


def _unit_plan(request: Request, unit: str, key: str | None) -> Plan:
    """The plan a unit files under: only a plan that names the unit (never another region's plan, and a refusal
    never lists the loaded plans' keys); no key: the default plan if it names the unit, else the unit's only plan."""
    plans = analytics(request).plans
    mine = {p.key: p for p in plans.of_unit(unit)}
    if not key:
        if plans.default_key in mine:
            return mine[plans.default_key]
        if len(mine) == 1:
            return next(iter(mine.values()))
        raise tasks.ReportError("plan：请选择行动方案 / plan: choose a plan")
    if key not in mine:
        raise tasks.ReportError(f"没有这个方案 / no such plan: {key[:KEY_ECHO]!r}")
    return mine[key]


def _config():
    return tasks.load_config()


def report_body_limit() -> dict:
    """BodyLimit's report options (web/limits.py REPORT_ROUTES): the tasks settings' max_total_mib of files plus
    1 MiB for the text, the figures and the multipart framing."""
    mib = _config().attachments["max_total_mib"]
    return {"report": (int(mib) + 1) << 20, "report_label": f"{mib} MiB"}


# -- reading ----------------------------------------------------------------------------------------
def _began(plan: Plan, day: date) -> list:
    """The plan's reporting periods that have begun on ``day`` (a current one may be reported before it ends)."""
    return [p for p in tasks.reporting_periods(plan) if p.start <= day]


def _tasks(request: Request, unit: str, day: date) -> list[dict]:
    """The unit's tasks across the plans, each with the status of every period that has begun (newest first), and
    its plan, linked indicators and targets named in the page's language (the keys stay for the API)."""
    a, lang = analytics(request), _lang(request)
    rows = tasks.unit_tasks(a.plans, unit)
    statuses: dict[tuple[str, int], list] = {}
    with a.warehouse.reader() as con:
        for key in dict.fromkeys(r["plan_key"] for r in rows):
            try:
                found = tasks.report_status(con, a.plans.get(key), day, unit=unit)
            except tasks.ReportError as err:  # a plan too large to list (the room's row cap): say so, never a 500
                raise HTTPException(422, str(err)) from err
            for s in found:
                if s.unit == unit:  # the room's filter; kept here too: never another unit's row
                    statuses.setdefault((s.plan_key, s.task_number), []).append(s)
    out = []
    for r in rows:
        task, plan = r["task"], a.plans.get(r["plan_key"])
        targets = {t.key: t.name for t in plan.targets}
        out.append({"plan_key": r["plan_key"], "plan_name": r["plan_name"],
                    "plan_title": plan.name if lang == "zh" else plan.name_en, "role": r["role"],
                    "number": task.number, "title": task.title, "goal": task.goal,
                    "indicators": list(task.indicators), "targets": list(task.targets),
                    "indicator_names": [INDICATORS[k].label(lang) if k in INDICATORS else k
                                        for k in task.indicators],
                    "target_names": [targets.get(k, k) for k in task.targets],
                    "periods": sorted(statuses.get((r["plan_key"], task.number), []), key=lambda s: s.period,
                                      reverse=True)})
    return out


def _periods(request: Request, unit: str, day: date) -> dict[str, list[str]]:
    """Period keys the form offers, per plan that names the unit (plans may differ in cadence): every period begun,
    newest first."""
    return {plan.key: sorted((p.key for p in _began(plan, day)), reverse=True)
            for plan in analytics(request).plans.of_unit(unit)}


def _no_report(report_id: str) -> HTTPException:
    return HTTPException(404, f"没有此报告 / no such report: {report_id[:REPORT_ID_CHARS]}")


def _report(request: Request, unit: str, report_id: str) -> dict:
    """The unit's own report; 404 for another unit's, for a missing one and for an id no report can have alike."""
    if len(report_id) > REPORT_ID_CHARS:
        raise _no_report(report_id)
    with analytics(request).warehouse.reader() as con:
        try:
            report = tasks.get_report(con, report_id, unit=unit)
        except tasks.ReportNotFound as err:
            raise _no_report(report_id) from err
    if report["unit"] != unit:  # the room's check; kept here too
        raise _no_report(report_id)
    return report


def _details(request: Request, unit: str, report: dict) -> tuple[list[dict], list[dict]]:
    """The report's versions and its task's linked figures for the period.  The figures' records_url is dropped:
    /records is the bureau's (a unit gets 403 there), so the unit sees the names and values without links."""
    a = analytics(request)
    with a.warehouse.reader() as con:
        history = tasks.report_history(con, report["plan_key"], report["task_number"], unit, report["period"])
        try:
            figures = tasks.task_figures(con, a.plans.get(report["plan_key"]), report["task_number"],
                                         report["period"])
        except PlanError:  # the report's plan is no longer loaded: its text and files still show
            figures = []
    figures = [{k: v for k, v in f.items() if k != "records_url"} for f in figures]
    return [h for h in history if h.get("unit", unit) == unit], figures


def _file(request: Request, unit: str, report_id: str, file_no: int) -> Response:
    missing = HTTPException(404, f"没有此文件 / no such file: {report_id[:REPORT_ID_CHARS]}/{file_no}")
    if len(report_id) > REPORT_ID_CHARS:
        raise missing
    with analytics(request).warehouse.reader() as con:
        try:
            row = tasks.report_file(con, report_id, file_no, unit=unit)
        except tasks.ReportNotFound as err:
            raise missing from err
    return Response(row["content"], media_type=row["media_type"],
                    headers={"Content-Disposition": disposition(row["file_name"])})


# -- filing -----------------------------------------------------------------------------------------
def _max_figures() -> int:
    return int(_config().report["max_figures"])


async def _read_form(request: Request) -> FormData:
    """The multipart form, with Starlette's own caps on the parts (the body itself is capped by BodyLimit): room
    for every figure the settings allow (3 fields each) and the form's other fields, and a few files more than
    allowed (so _uploads, not Starlette, names the limit).  A form beyond them, or one Starlette cannot parse, is a
    bilingual ReportError / AttachmentError (Starlette would answer 400 in English)."""
    limits, figures = _config().attachments, _max_figures()
    try:
        return await request.form(max_files=int(limits["max_files"]) + 5,
                                  max_fields=3 * figures + FORM_EXTRA_FIELDS)
    except (MultiPartException, StarletteHTTPException) as err:
        if isinstance(err, StarletteHTTPException) and err.status_code != 400:
            raise
        detail = str(getattr(err, "detail", None) or getattr(err, "message", "") or err)
    if detail.startswith("Too many files"):
        raise tasks.AttachmentError(f"附件过多：最多 {limits['max_files']} 个 / too many attachments: at most "
                                    f"{limits['max_files']}")
    if detail.startswith("Too many fields"):
        raise tasks.ReportError(f"数据过多：最多 {figures} 项 / too many figures: at most {figures}")
    raise tasks.ReportError(f"表单无法读取（{detail[:80]}） / the form could not be read ({detail[:80]})")


def _text_field(form: FormData, name: str) -> str:
    """A text field of the form ("" when absent); a file sent where text is expected is refused, never stored as
    the file's description."""
    value = form.get(name)
    if isinstance(value, UploadFile):
        raise tasks.ReportError(f"{name}：应为文字 / {name}: expected text")
    return value or ""


def _text_list(form: FormData, name: str) -> list[str]:
    values = form.getlist(name)
    if any(isinstance(v, UploadFile) for v in values):
        raise tasks.ReportError(f"{name}：应为文字 / {name}: expected text")
    return [str(v) for v in values]


def _figures(form: FormData) -> list[dict]:
    """Every figure row as typed, from the parallel fields figure_name / figure_value / figure_unit: the room skips
    the blank ones and checks the rest, each message naming the form's row number (blank rows counted)."""
    names, values, units = (_text_list(form, k) for k in ("figure_name", "figure_value", "figure_unit"))
    rows = max(len(names), len(values), len(units))
    return [{"name": names[n] if n < len(names) else "", "value": values[n] if n < len(values) else "",
             "unit": units[n] if n < len(units) else ""} for n in range(rows)]


async def _uploads(form: FormData) -> list[tuple[str, bytes]]:
    """Each uploaded file read to at most the file limit + 1 byte (never unbounded): the room's check then sees a
    file too large and names it.  An empty file input (no file chosen) is no file."""
    limits = _config().attachments
    cap = (int(limits["max_file_mib"]) << 20) + 1
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and (f.filename or f.size)]
    if len(files) > int(limits["max_files"]):
        raise tasks.AttachmentError(f"附件过多：最多 {limits['max_files']} 个 / too many attachments: at most "
                                    f"{limits['max_files']}")
    return [(f.filename or "", await f.read(cap)) for f in files]


def _task_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise tasks.ReportError(f"task：任务编号无效（{text[:20]}） / task: not a task number ({text[:20]})") from None


def _target(request: Request, unit: str, form: FormData) -> tuple[Plan, int, str]:
    """The plan, task number and period a form names.  The page sends task = "plan/number" and period =
    "plan/period" (plans of one region may share units and so task numbers, and differ in cadence); the API and the
    amend form may send plan, task = number and period = key.  Fields naming different plans are refused."""
    plan_key, task, period = (_text_field(form, k).strip() for k in ("plan", "task", "period"))
    keys = {plan_key} if plan_key else set()
    if "/" in task:
        key, _, task = task.rpartition("/")
        keys.add(key)
    if "/" in period:
        key, _, period = period.rpartition("/")
        keys.add(key)
    if len(keys) > 1:
        raise tasks.ReportError("任务与报送期不属于同一行动方案 / the task and the period are of different plans")
    plan = _unit_plan(request, unit, next(iter(keys), None))
    return plan, _task_number(task), period


async def _file_report(request: Request, user: User, form: FormData) -> dict:
    """File the unit's report from the form; ReportError / AttachmentError / PlanError for a refusal."""
    unit = _unit(user)
    plan, number, period = _target(request, unit, form)
    text = _text_field(form, "text")
    figures, files = _figures(form), await _uploads(form)

    def write() -> dict:
        with write_lock(request) as a:
            return tasks.file_report(a.warehouse.con, plan, number, unit, period, text=text, figures=figures,
                                     attachments=files, by=user.username)

    return await run_in_threadpool(write)


REFUSED = (tasks.ReportError, tasks.AttachmentError, PlanError)


# -- pages ------------------------------------------------------------------------------------------
def _w(request: Request) -> dict[str, str]:
    """The page's words in its language, the status words the door's (the same on every page, CLI and letter)."""
    i = _i(request)
    return {k: v[i] for k, v in {**WORDS, **tasks.STATUS_WORDS}.items()}


def _figure_rows(figures: int) -> int:
    """Figure rows on a form: at least FIGURE_ROWS, one for each figure already there (an amendment or a refused
    form keeps every figure), never more than the settings allow (max_figures 0: no figure rows)."""
    return min(max(FIGURE_ROWS, figures), _max_figures())


def _unit_page(request: Request, user: User, *, error: str | None = None, form: FormData | None = None,
               done: str | None = None) -> HTMLResponse:
    unit, day = user.unit or "", _day(request)
    limits = _config().attachments
    w = _w(request)
    w["files_hint"] = w["files_hint"].format(n=limits["max_files"], mib=limits["max_file_mib"])
    rows = _tasks(request, unit, day) if unit else []
    echo = _echo(form)
    response = _render(request, "unit.html", user, "my_tasks", title=w["title"], w=w, unit=unit, rows=rows,
                       periods=_periods(request, unit, day) if unit else [], as_of=day,
                       error=half(error, _i(request)) if error else None, form=echo,
                       figure_rows=_figure_rows(len(echo["figures"])), max_files=limits["max_files"],
                       accept=_accept(limits), done=done)
    if error:
        response.status_code = 422
    return response


ECHO_CHARS = {"figure_name": 60, "figure_value": 30, "figure_unit": 20}  # the inputs' maxlength


def _echo(form: FormData | None) -> dict:
    """What the unit typed, to show the form again after a refusal (the files must be chosen again), clipped: the
    keys to KEY_ECHO, the text to the settings' max_text_chars, each figure field to its input's maxlength; a file
    sent as a text field echoes nothing.  An old-style plan + task / period is echoed as the select's "plan/…"."""
    if form is None:
        return {"figures": []}

    def text(value: object, limit: int) -> str:
        return "" if isinstance(value, UploadFile) or value is None else str(value)[:limit]

    plan, task, period = (text(form.get(k), 2 * KEY_ECHO) for k in ("plan", "task", "period"))
    if plan and task and "/" not in task:
        task = f"{plan}/{task}"
    if plan and period and "/" not in period:
        period = f"{plan}/{period}"
    columns = [[text(v, ECHO_CHARS[k]) for v in form.getlist(k)] for k in ECHO_CHARS]
    limit = int(_config().report["max_text_chars"])
    return {"task": task, "period": period, "text": text(form.get("text"), limit),
            "figures": list(zip(*columns, strict=False))[:_max_figures()]}


def _accept(limits: dict) -> str:
    extensions = {"pdf": ".pdf", "docx": ".docx", "xlsx": ".xlsx", "png": ".png", "jpeg": ".jpg,.jpeg"}
    return ",".join(extensions[k] for k in limits.get("kinds", extensions) if k in extensions)


@router.get("/unit", response_class=HTMLResponse, include_in_schema=False)
def unit_page(request: Request, done: str | None = None) -> HTMLResponse:
    user = _user(request, "unit")
    return _unit_page(request, user, done=(done or "")[:20] or None)


@router.get("/unit/reports/{report_id}", response_class=HTMLResponse, include_in_schema=False)
def report_page(request: Request, report_id: str, done: str | None = None) -> HTMLResponse:
    user = _user(request, "unit")
    unit = _unit(user)
    report = _report(request, unit, report_id)
    history, figures = _details(request, unit, report)
    return _render(request, "unit_report.html", user, "my_tasks", title=_w(request)["report"], w=_w(request),
                   report=report, history=history, linked=figures,
                   figure_rows=_figure_rows(len(report.get("figures") or ())),
                   accept=_accept(_config().attachments), done=bool(done))


@router.get("/unit/reports/{report_id}/files/{file_no}", include_in_schema=False)
def report_file_page(request: Request, report_id: str, file_no: FileNo) -> Response:
    user = _user(request, "unit")
    return _file(request, _unit(user), report_id, file_no)


@router.post("/unit/reports", include_in_schema=False)
async def file_form(request: Request):
    user = _user(request, "unit")  # before the body is read: only a unit's upload is parsed
    _unit(user)
    try:
        form = await _read_form(request)
    except REFUSED as err:  # not our form (too many parts): the page again, nothing read further, nothing stored
        return await run_in_threadpool(_unit_page, request, user, error=str(err))
    csrf = form.get("csrf")
    check_csrf(request, csrf if isinstance(csrf, str) else None)
    try:
        report = await _file_report(request, user, form)
    except REFUSED as err:
        return await run_in_threadpool(_unit_page, request, user, error=str(err), form=form)
    query = urlencode({"done": report["version"]})
    return RedirectResponse(f"/unit/reports/{quote(str(report['report_id']), safe='')}?{query}", status_code=303)


# -- API ----------------------------------------------------------------------------------------------
@router.get("/api/unit/tasks", summary="本单位的任务及各报送期状态 / our tasks and the status of each period")
def api_tasks(request: Request, user: UnitUser) -> JSONResponse:
    unit, day = _unit(user), _day(request)
    rows = [{**r, "periods": [asdict(s) for s in r["periods"]]} for r in _tasks(request, unit, day)]
    return JSONResponse(jsonable([{"unit": unit, "as_of": day, "periods": _periods(request, unit, day),
                                   "tasks": rows}])[0])


@router.get("/api/unit/reports", summary="本单位的进展报告（各报告最新版本） / our reports (newest versions)")
def api_reports(request: Request, user: UnitUser) -> JSONResponse:
    unit = _unit(user)
    with analytics(request).warehouse.reader() as con:
        rows = tasks.reports(con, unit=unit)
    return JSONResponse(jsonable([r for r in rows if r["unit"] == unit]))


@router.get("/api/unit/reports/{report_id}", summary="本单位的一份报告 / one of our reports")
def api_report(request: Request, user: UnitUser, report_id: str) -> JSONResponse:
    unit = _unit(user)
    report = _report(request, unit, report_id)
    history, figures = _details(request, unit, report)
    return JSONResponse(jsonable([{**report, "history": history, "linked_figures": figures}])[0])


@router.get("/api/unit/reports/{report_id}/files/{file_no}", summary="报告附件 / a report's attachment")
def api_report_file(request: Request, user: UnitUser, report_id: str, file_no: FileNo) -> Response:
    return _file(request, _unit(user), report_id, file_no)


@router.post("/api/unit/reports", summary="提交进展报告（multipart，X-CSRF-Token） / file a report (multipart)")
async def api_file(request: Request, user: UnitUser) -> JSONResponse:
    _unit(user)
    check_csrf(request, request.headers.get("x-csrf-token"))  # before the body is read
    try:
        form = await _read_form(request)
        report = await _file_report(request, user, form)
    except REFUSED as err:
        raise HTTPException(422, str(err)) from err
    return JSONResponse(jsonable([report])[0], status_code=201)
