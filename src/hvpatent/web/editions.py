"""Issued bulletin editions (docs/schedule.md): /editions (every edition, its versions and changes, downloads) and
/api/editions.  Staff only; POST /api/editions/run (admin) issues the due editions while the server holds the
warehouse (`hvp schedule run --server URL`).  OWNER: H1.

An edition id holds '/' (plan/cadence/period/vN): in a URL it is one path segment with '~' for '/'
(yongchuan-2022-2024~quarter~2024Q3~v1); the schedule room accepts either form.  No SQL here: the room's door."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from hvpatent.reference.clock import china_today
from hvpatent.warehouse.accounts import User
from hvpatent.web.api import analytics, jsonable
from hvpatent.web.downloads import disposition
from hvpatent.web.inputs import as_of
from hvpatent.web.pages import STAFF, _lang, _render, _user
from hvpatent.web.security import check_csrf, require
from hvpatent.web.writes import write_lock

router = APIRouter()
Staff = Annotated[User, Depends(require(*STAFF))]
Admin = Annotated[User, Depends(require("admin"))]
REF = re.compile(r"[a-z0-9_-]{1,64}~(month|quarter)~[0-9]{4}(-[0-9]{2}|Q[1-4])~v[0-9]{1,4}")
FORMAT = "^(docx|xlsx|html|pdf)$"
PlanQ = Annotated[str | None, Query(max_length=64, pattern="^[a-z0-9_-]+$")]
WORDS: dict[str, tuple[str, str]] = {
    "title": ("通报版本", "Bulletin editions"), "edition": ("版本", "Edition"), "period": ("期次", "Period"),
    "version": ("版次", "Version"), "as_of": ("数据截至", "Data to"), "due_on": ("到期日", "Due on"),
    "issued_on": ("印发日", "Issued on"), "stamp": ("数据", "Data"), "changes": ("与上一版的变化", "Changes"),
    "files": ("文件", "Files"), "reason": ("更正原因", "Reason"), "late": ("迟发", "late"),
    "none": ("尚无已印发的通报；hvp schedule run 按期印发。", "No edition yet; `hvp schedule run` issues them."),
    "imports": ("批导入", "imports"), "last_report": ("最后报送", "last report"),
    "last_score": ("最后评分", "last score"), "month": ("月报", "monthly"), "quarter": ("季报", "quarterly"),
    "rule": ("每月、每季度结束后的第一个工作日（按国务院办公厅节假日安排）印发；"
             "已印发的版本不再改动，更正即印发新版本。",
             "Issued on the first working day after each month and quarter (State Council holiday notices); an "
             "issued edition never changes: a correction is a new version."),
}


def _ref(text: str) -> str:
    """An edition reference from a URL; 404 for what cannot be one (the same answer as a missing edition)."""
    if not REF.fullmatch(text):
        raise HTTPException(404, "没有这个通报版本 / no such edition")
    return text


def _list(request: Request, plan: str | None) -> list[dict]:
    from hvpatent.schedule import editions

    return analytics(request).compute(lambda con: editions(con, plan))


def _one(request: Request, ref: str) -> dict:
    from hvpatent.schedule import EditionError, edition

    try:
        return analytics(request).compute(lambda con: edition(con, _ref(ref)))
    except EditionError as err:
        raise HTTPException(404, str(err)) from None


def _download(request: Request, ref: str, fmt: str) -> Response:
    from hvpatent.schedule import EditionError, edition_file

    if not re.fullmatch(FORMAT, fmt):
        raise HTTPException(404, "没有这种格式 / no such format")
    try:
        f = analytics(request).compute(lambda con: edition_file(con, _ref(ref), fmt))
    except EditionError as err:
        raise HTTPException(404, str(err)) from None
    name = f["file_name"]
    return Response(f["content"], media_type=f["media_type"], headers={
        "Content-Disposition": disposition(name), "X-Content-SHA256": f["sha256"]})


@router.get("/api/editions", summary="已印发的通报版本 / issued bulletin editions")
def api_editions(request: Request, user: Staff, plan: PlanQ = None) -> JSONResponse:
    return JSONResponse(jsonable(_list(request, plan)))


@router.get("/api/editions/{ref}", summary="一个通报版本 / one edition (plan~cadence~period~vN)")
def api_edition(request: Request, user: Staff, ref: str) -> JSONResponse:
    return JSONResponse(jsonable([_one(request, ref)])[0])


@router.get("/api/editions/{ref}/{fmt}", summary="版本文件（与印发时逐字节相同）/ an edition's file as issued")
def api_edition_file(request: Request, user: Staff, ref: str, fmt: str) -> Response:
    return _download(request, ref, fmt)


class RunIn(BaseModel):
    today: str | None = Field(default=None, max_length=10)
    dry_run: bool = False


def _day(text: str | None, dry_run: bool) -> date:
    """The run's day: today in Beijing by default; a given day within the figures' range (inputs.as_of, 422), and
    not after today unless a dry run (an edition issued for a month that has not ended would stand forever)."""
    today = china_today()
    if not text:
        return today
    try:
        day = as_of(date.fromisoformat(text))
    except ValueError:
        raise HTTPException(422, f"today 应为日期 YYYY-MM-DD / today: expected YYYY-MM-DD: {text[:10]!r}") from None
    if day > today and not dry_run:
        raise HTTPException(422, f"today 不能晚于今天（{today}），除非 dry_run / today cannot be in the future "
                                 f"({today}) unless dry_run")
    return day


@router.post("/api/editions/run", summary="印发到期的通报 / issue the due editions (admin, X-CSRF-Token)")
def api_run(request: Request, user: Admin, body: RunIn) -> JSONResponse:
    """The due editions issued under the warehouse's write lock (503 while an import holds it); idempotent."""
    from hvpatent.schedule import ConfigError, EditionError, due_editions, load_config, run_schedule

    check_csrf(request, request.headers.get("x-csrf-token"))
    day = _day(body.today, body.dry_run)
    try:
        config = load_config()
    except ConfigError as err:
        raise HTTPException(422, str(err)) from None
    with write_lock(request) as a:
        try:
            with a.warehouse.reader() as con:
                due = due_editions(con, a.plans, day, config)
                issued = [] if body.dry_run else run_schedule(a.warehouse.con, con, a.plans, day,
                                                              by=user.username, config=config)
        except EditionError as err:
            raise HTTPException(422, str(err)) from None
    return JSONResponse(jsonable([{"today": day, "due": due, "issued": issued}])[0])


@router.get("/editions", response_class=HTMLResponse, include_in_schema=False)
def editions_page(request: Request, plan: PlanQ = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    i = 0 if _lang(request) == "zh" else 1
    return _render(request, "editions.html", user, "editions", title=WORDS["title"][i], rows=_list(request, plan),
                   w={k: v[i] for k, v in WORDS.items()}, lang_i=i)


@router.get("/editions/{ref}/{fmt}", include_in_schema=False)
def edition_download(request: Request, ref: str, fmt: str) -> Response:
    _user(request, *STAFF)
    return _download(request, ref, fmt)


