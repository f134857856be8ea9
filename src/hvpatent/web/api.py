"""The REST API (OpenAPI at /docs and /openapi.json). Handlers call the analytics rooms through
`Analytics`; none of them holds SQL."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import duckdb
from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel

from hvpatent.indicators import INDICATORS
from hvpatent.ingest.appno import AppNoError, normalize_appno
from hvpatent.reference.clock import china_today
from hvpatent.warehouse.accounts import AccountError, User, set_active, set_password
from hvpatent.warehouse.sessions import unlock
from hvpatent.web import inputs
from hvpatent.web.analytics import Analytics
from hvpatent.web.jobs import BadFileName, QueueFull, TooLarge
from hvpatent.web.security import (
    LOCKED,
    check_csrf,
    client_ip,
    csrf_token,
    current_user,
    end_session,
    require,
    start_session,
)

router = APIRouter(prefix="/api")
STAFF = ("admin", "analyst")
Staff = Annotated[User, Depends(require(*STAFF))]
Admin = Annotated[User, Depends(require("admin"))]
EnterpriseUser = Annotated[User, Depends(require("enterprise"))]
Anyone = Annotated[User, Depends(current_user)]
# The patent lists: staff, and an enterprise for its own; a bank or a unit account gets 403.
Viewer = Annotated[User, Depends(require(*STAFF, "enterprise"))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

AsOf = Annotated[date | None, Query(description="统计日期 / as-of date (default: today)")]
Region = Annotated[str | None, Query(description="区划代码 / region code, e.g. 500118")]
Period = Annotated[str, Query(description="month | quarter | year")]
Fmt = Annotated[str, Query(pattern="^(json|xlsx)$", description="json | xlsx")]


def analytics(request: Request) -> Analytics:
    return request.app.state.analytics


class Login(BaseModel):
    username: str
    password: str


@router.post("/login", summary="登录 / log in", responses={429: {"description": "暂时锁定 / locked for a while"}})
def login(body: Login, request: Request) -> dict:
    result = request.app.state.sessions.login(body.username, body.password, client_ip(request),
                                              request.headers.get("user-agent", ""))
    _refuse_locked(result.locked_until)
    if result.user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "用户名或密码错误 / wrong username or password")
    start_session(request, result.token)
    return {"username": result.user.username, "role": result.user.role, "csrf": csrf_token(request)}


def _refuse_locked(until: datetime | None) -> None:
    if until is not None:  # the same answer for names that exist and names that do not
        wait = max(1, int((until - datetime.now()).total_seconds()))
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, LOCKED, headers={"Retry-After": str(wait)})


@router.post("/logout", summary="退出，会话立即失效 / log out (the session ends at once; X-CSRF-Token)")
def logout(request: Request) -> dict:
    if "sid" in request.session:
        check_csrf(request, request.headers.get("x-csrf-token"))
    end_session(request)
    return {"ok": True}


class PasswordChange(BaseModel):
    current_password: str
    new_password: str


@router.post("/me/password", summary="修改本人密码，其他会话全部失效 / change one's password (X-CSRF-Token)",
             responses={429: {"description": "当前密码错误次数过多，暂时锁定 / locked for a while"}})
def change_password(body: PasswordChange, request: Request, user: Anyone) -> dict:
    check_csrf(request, request.headers.get("x-csrf-token"))
    store = request.app.state.sessions
    # Through the login throttle, outside the write lock: a wrong current password is a failed login, so a
    # stolen session cannot guess the password without limit.
    checked = store.verify(user.username, body.current_password, client_ip(request), "password_check_failed")
    _refuse_locked(checked.locked_until)
    if checked.user is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "当前密码不对 / the current password is wrong")
    with store.account_cursor() as cursor:
        try:
            set_password(cursor, user.username, body.new_password, by=user.username)
        except AccountError as err:
            raise HTTPException(422, str(err)) from err
    start_session(request, store.start(user.username, client_ip(request), request.headers.get("user-agent", "")))
    return {"ok": True, "csrf": csrf_token(request)}


def _account_change(request: Request, change: Callable[[duckdb.DuckDBPyConnection], dict]) -> dict:
    """An admin's change to an account (CSRF checked); an unknown user is 404."""
    check_csrf(request, request.headers.get("x-csrf-token"))
    with request.app.state.sessions.account_cursor() as cursor:
        try:
            return change(cursor)
        except AccountError as err:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from err


@router.post("/users/{name}/unlock", summary="解除登录锁定 / lift a login lockout (admin, X-CSRF-Token)")
def unlock_user(request: Request, user: Admin, name: str) -> dict:
    return _account_change(request, lambda cursor: {
        "username": name, "was_locked": unlock(cursor, name, by=user.username)})


@router.post("/users/{name}/deactivate", summary="停用账号，会话立即失效 / deactivate an account (admin, X-CSRF-Token)")
def deactivate_user(request: Request, user: Admin, name: str) -> dict:
    if name == user.username:
        raise HTTPException(422, "不能停用自己的账号 / you cannot deactivate your own account")
    return _account_change(request, lambda cursor: {
        "username": name, "sessions_ended": set_active(cursor, name, False, by=user.username)})


@router.get("/me", summary="当前用户 / the current user")
def me(request: Request, user: Anyone) -> dict:
    return {"username": user.username, "role": user.role, "enterprise": user.enterprise, "unit": user.unit,
            "csrf": csrf_token(request)}


def _day(as_of: date | None) -> date:
    return inputs.as_of(as_of or china_today())  # within the documented range, else 422


@router.get("/indicators", summary="指标及同比环比 / indicators with changes")
def indicators(request: Request, user: Staff, as_of: AsOf = None, region: Region = None, period: Period = "year",
               by: str | None = None, key: Annotated[list[str] | None, Query()] = None) -> list[dict]:
    inputs.query(period=period, by=by, by_name="by", region=region, key=key)
    a, day = analytics(request), _day(as_of)
    # encoded once per data version: the dashboard's most asked question (web/analytics.py, json_body)
    body = a.json_body(("figures", day, region, period, by, tuple(key or ())),
                       lambda: a.figures(day, region, period, by, key))
    return Response(body, media_type="application/json")


def _table_response(rows: list[dict], fmt: str, name: str):
    """json, csv (UTF-8 with a BOM, so Excel reads the Chinese) or xlsx; in csv and xlsx a list is one cell."""
    if fmt == "json":
        return JSONResponse(jsonable(rows))
    from hvpatent.reports.safe_cells import csv_text, flat_cell

    if fmt == "csv":
        return Response(("\ufeff" + csv_text(jsonable(rows))).encode("utf-8"), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quote(name)}.csv"})
    from hvpatent.reports import to_frame, write_xlsx

    rows = [{k: flat_cell(v) if isinstance(v, list | tuple) else v for k, v in r.items()} for r in rows]
    with tempfile.TemporaryDirectory() as tmp:
        path = write_xlsx({name: to_frame(rows)}, Path(tmp) / "export.xlsx")
        data = path.read_bytes()
    return StreamingResponse(io.BytesIO(data), media_type=XLSX,
                             headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quote(name)}.xlsx"})


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


def jsonable(rows: list[dict]) -> list[dict]:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(rows)


@router.get("/indicators/{key}/records", summary="指标下钻明细 / the records behind a figure")
def indicator_records(request: Request, user: Staff, key: str, as_of: AsOf = None, region: Region = None,
                      period: Period = "year", group_by: str | None = None, group: str | None = None,
                      format: Fmt = "json"):
    inputs.query(period=period, by=group_by, region=region, key=key, group=group)
    rows = analytics(request).drill(key, _day(as_of), region, period, group_by, group)
    return _table_response(rows, format, INDICATORS[key].zh)


@router.get("/highvalue", summary="高价值发明专利清单 / high-value invention patents")
def highvalue(request: Request, user: Viewer, as_of: AsOf = None, region: Region = None, criterion: str | None = None,
              q: str | None = None, town: str | None = None, format: Fmt = "json"):
    if user.role == "bank":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "无权访问 / not allowed for this account")
    inputs.query(region=region, criterion=criterion, town=town, q=q)
    applicant = user.enterprise if user.role == "enterprise" else None
    rows = analytics(request).high_value(_day(as_of), region, criterion, q, town, applicant)
    return _table_response(rows, format, "高价值发明专利")


@router.get("/patents/{app_no}", summary="单件专利：法律状态、历史、同族、质押、高价值判断 / one patent")
def patent(request: Request, user: Anyone, app_no: str, as_of: AsOf = None) -> dict:
    try:
        number = normalize_appno(app_no)
    except AppNoError as err:
        raise HTTPException(422, str(err)) from err
    a = analytics(request)
    if user.role in ("bank", "unit") or (user.role == "enterprise" and not a.owned_by(number, user.enterprise)):
        # The same answer as for a number that does not exist: no hint of other enterprises' patents.
        raise HTTPException(status.HTTP_404_NOT_FOUND, "没有这件专利 / no such patent")
    profile = a.profile(number, _day(as_of))
    if profile is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "没有这件专利 / no such patent")
    return jsonable([profile])[0]


@router.get("/my/patents", summary="本企业的有效发明专利 / the enterprise's own patents")
def my_patents(request: Request, user: EnterpriseUser, as_of: AsOf = None, format: Fmt = "json"):
    portfolio = analytics(request).portfolio(user.enterprise, _day(as_of))
    if format == "xlsx":
        return _table_response(portfolio["valid_inventions"], format, "本企业有效发明专利")
    return jsonable([portfolio])[0]


@router.get("/warnings", summary="预警：年费、滞纳期、可恢复、满10年、期满 / early warnings")
def warnings(request: Request, user: Viewer, as_of: AsOf = None, within: Annotated[int, Query(ge=1, le=730)] = 90,
             high_value_at_risk: bool = False, format: Fmt = "json"):
    if user.role == "bank":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "无权访问 / not allowed for this account")
    a = analytics(request)
    rows = a.warnings(_day(as_of), within, *a.scope(user), high_value_at_risk)
    return _table_response(rows, format, "高价值专利风险清单" if high_value_at_risk else "预警清单")


PlanKey = Annotated[str | None, Query(description="方案代码（默认：默认方案）/ plan key (default: the default plan)")]


def known_plan(a: Analytics, plan: str | None) -> str | None:
    """The plan key asked for, checked: an unknown key is 422 naming the known keys (a page says it the same way)."""
    from hvpatent.plan.model import PlanError

    try:
        return a.plan_of(plan).key
    except PlanError as err:
        raise HTTPException(422, str(err)) from err


@router.get("/plan/progress", summary="行动方案目标进展 / plan progress")
def plan_progress(request: Request, user: Staff, as_of: AsOf = None, plan: PlanKey = None) -> dict:
    a, day = analytics(request), _day(as_of)
    key = known_plan(a, plan)
    # Without the confirmed abnormal applications (the supervision settings), the confirmed set is part of the
    # question: a new confirmation is a workflow row, not an import, and must not be answered from the cache.
    exclude = a.exclude_abnormal_default()
    question = ("plan", day, *(("without_abnormal", a.confirmed_stamp()) if exclude else ()),
                *a.plan_question(a.plan_of(key), a.plan))
    return Response(a.json_body(question, lambda: a.plan_progress(day, plan_key=key)), media_type="application/json")


@router.get("/plan/tasks", summary="重点任务与责任单位 / the plan's tasks")
def plan_tasks(request: Request, user: Staff, format: Fmt = "json", plan: PlanKey = None):
    a = analytics(request)
    rows = a.plan_tasks(known_plan(a, plan))
    if format == "xlsx":  # lists of units read better joined in a spreadsheet cell
        rows = [{k: "、".join(v) if isinstance(v, list) else v for k, v in r.items()} for r in rows]
    return _table_response(rows, format, "重点任务")


@router.get("/plans", summary="已知的方案 / the known plans")
def plans(request: Request, user: Staff) -> list[dict]:
    a = analytics(request)
    return [{"key": p.key, "name": p.name, "name_en": p.name_en, "document": p.document, "region": p.region,
             "issued": p.issued, "deadline": p.deadline, "tasks": len(p.tasks), "targets": len(p.targets),
             "default": p.key == a.plan.key} for p in a.plans]


@router.get("/imports", summary="导入历史 / import history")
def imports(request: Request, user: Staff, format: Fmt = "json"):
    return _table_response(analytics(request).imports(), format, "导入历史")


@router.post("/imports", status_code=status.HTTP_202_ACCEPTED,
             summary="上传文件，排队导入 / upload a file; it is imported in the background (admin, CSRF)",
             responses={413: {"description": "文件过大 / too large"}, 422: {"description": "文件名无效 / bad name"},
                        503: {"description": "导入队列已满 / the import queue is full"}})
async def upload(request: Request, user: Admin, file: Annotated[UploadFile, File()],
                 csrf: Annotated[str | None, Form()] = None, skip_bad_rows: Annotated[bool, Form()] = False):
    """The file is checked (size, name) and queued; `GET /api/imports/jobs/{job_id}?wait=S` follows it."""
    check_csrf(request, csrf or request.headers.get("x-csrf-token"))
    job = await queue_upload(request, user, file, skip_bad_rows)
    return JSONResponse(jsonable([job])[0], status_code=status.HTTP_202_ACCEPTED)


async def queue_upload(request: Request, user: User, file: UploadFile, skip_bad_rows: bool) -> dict:
    """An upload of either door (this API, the imports page) spooled and queued; the job's record.  The
    one mapping of the queue's refusals: a bad name 422, too large 413, queue full or disk refusing 503
    with Retry-After (RFC 9110 §10.2.3), page or JSON alike."""
    try:
        return await run_in_threadpool(analytics(request).submit_import, file.filename, file.file, skip_bad_rows,
                                       user.username)
    except BadFileName as err:
        raise HTTPException(422, f"{err}：{file.filename!r}"[:400]) from err
    except TooLarge as err:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, str(err)) from err
    except QueueFull as err:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(err), headers={"Retry-After": "30"}) from err


@router.get("/imports/jobs", summary="导入任务（最新在前）/ import jobs, newest first")
def import_jobs(request: Request, user: Staff) -> list[dict]:
    return jsonable(analytics(request).jobs.list())


_WAITERS = CapacityLimiter(200)  # long polls wait on threads of their own, never the request pool's


@router.get("/imports/jobs/{job_id}", summary="导入任务状态；wait=S 最多等待 S 秒直到结束 / one import job")
async def import_job(request: Request, user: Staff, job_id: str,
                     wait: Annotated[float, Query(ge=0, le=60, description="秒 / seconds to wait for the end")] = 0,
                     until: Annotated[str, Query(pattern="^(final|started)$",
                                                 description="final | started / 等到结束或开始")] = "final"):
    job = await to_thread.run_sync(analytics(request).jobs.wait, job_id, wait, until, limiter=_WAITERS)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "没有这个导入任务 / no such import job")
    return jsonable([job])[0]


@router.post("/imports/jobs/{job_id}/cancel", summary="取消导入任务 / cancel an import job (admin, CSRF)")
def cancel_import_job(request: Request, user: Admin, job_id: str, csrf: Annotated[str | None, Form()] = None):
    check_csrf(request, csrf or request.headers.get("x-csrf-token"))
    job = analytics(request).cancel_import(job_id, user.username)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "没有这个导入任务 / no such import job")
    return jsonable([job])[0]


@router.get("/audit", summary="审计日志 / audit log (admin)")
def audit(request: Request, user: Admin) -> list[dict]:
    return jsonable(analytics(request).audit_log())


@router.get("/reports/bulletin", summary="统计通报 / the statistical bulletin (docx|xlsx|pdf|html)")
def bulletin(request: Request, user: Staff, as_of: AsOf = None, period: Period = "quarter", region: Region = None,
             format: Annotated[str, Query(pattern="^(docx|xlsx|pdf|html)$")] = "docx"):
    inputs.query(period=period, region=region)
    data, media = analytics(request).bulletin(_day(as_of), period, region, format, user.username)
    name = f"统计通报-{_day(as_of).isoformat()}.{format}"
    return Response(data, media_type=media,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quote(name)}"})
