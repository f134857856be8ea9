"""Navigation projects (专利导航项目) in the dashboard and the API: the list with filters, and a form that adds or
updates one project.  The form's project is checked by the navigation_projects template's own parsers and rules
and saved at once by the ingest room (ingest.save_project: upserted by its number in one transaction with an import
record and an audit entry; no import queue, and a save always applies); a bad value answers 422 with the field
named.  Staff (admin, analyst: bureau staff record approvals and acceptances) see and edit every project, an
enterprise user sees its own (read only), a bank user nothing.  Reads come from the navigation room's door through
`Analytics.answer`; no SQL here."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hvpatent.indicators.config import industries
from hvpatent.ingest import KIND_WORDS, STATUS_WORDS, FileError, ImportRejected, industry_of, save_project, status_of
from hvpatent.navigation import project_list
from hvpatent.warehouse.accounts import User
from hvpatent.web.api import Fmt, _table_response, analytics
from hvpatent.web.pages import STAFF, _lang, _render, _user
from hvpatent.web.security import check_csrf, require

router = APIRouter()
ROLES = (*STAFF, "enterprise")
Reader = Annotated[User, Depends(require(*ROLES))]   # anonymous → 401 JSON, bank → 403, as the other APIs
COLUMNS = ("project_no", "title", "kind", "enterprise", "industry", "started_date", "accepted_date", "status",
           "report_file", "note")
LABELS: dict[str, tuple[str, str]] = {
    "project_no": ("项目编号", "Project no."), "title": ("项目名称", "Title"), "kind": ("项目类型", "Kind"),
    "enterprise": ("承担单位", "Enterprise"), "industry": ("产业", "Industry"), "started_date": ("立项日期", "Started"),
    "accepted_date": ("验收日期", "Accepted"), "status": ("状态", "Status"), "report_file": ("报告文件", "Report"),
    "note": ("备注", "Note"),
}
WORDS: dict[str, tuple[str, str]] = {
    "title": ("专利导航项目", "Patent navigation projects"), "all": ("全部", "All"), "show": ("显示", "Show"),
    "add": ("新增或更新项目（编号相同即更新）", "Add or update a project (the same number updates it)"),
    "save": ("保存", "Save"), "saved": ("已保存", "Saved"), "export": ("导出", "Export"),
    "errors": ("未保存，请改正：", "Not saved; please correct:"),
    "rule": ("方案目标按基期后验收的企业导航项目计数", "The plan's target counts enterprise projects accepted after "
             "the baseline"),
}


def _filters(status: str | None, industry: str | None) -> tuple[str | None, str | None]:
    """Filter codes from the query (Chinese words or codes; empty = all); 422 for a word not known."""
    try:
        return (status_of(status) if status else None), (industry_of(industry) if industry else None)
    except ValueError as err:
        raise HTTPException(422, str(err)) from err


def _projects(request: Request, user: User, status: str | None, industry: str | None) -> list[dict]:
    """The projects the user may see: an enterprise user only its own (by normalised name)."""
    if user.role not in ROLES:
        raise HTTPException(403)
    own = user.enterprise if user.role == "enterprise" else None
    if user.role == "enterprise" and not own:
        return []
    rows = analytics(request).answer(
        ("navigation_projects", status, industry, own),
        lambda con: project_list(con, status=status, industry=industry, enterprise=own))
    return [{k: r[k] for k in COLUMNS} for r in rows]


def _words(rows: list[dict], lang: str) -> list[dict]:
    i = 0 if lang == "zh" else 1
    names = {ind.code: ind.name for ind in industries()}
    return [{**r, "kind": KIND_WORDS.get(r["kind"], (r["kind"],) * 2)[i],
             "status": STATUS_WORDS.get(r["status"], (r["status"],) * 2)[i],
             "industry": (names.get(r["industry"], r["industry"]) if i == 0 else r["industry"]) or None}
            for r in rows]


@router.get("/api/navigation/projects", summary="专利导航项目 / patent navigation projects")
def api_projects(request: Request, user: Reader, status: str | None = None, industry: str | None = None,
                 format: Fmt = "json"):
    code, ind = _filters(status, industry)
    return _table_response(_projects(request, user, code, ind), format, "导航项目")


def _page(request: Request, user: User, status: str | None, industry: str | None, *, errors: list | None = None,
          values: dict | None = None, saved: str | None = None, code: int = 200) -> HTMLResponse:
    lang = _lang(request)
    i = 0 if lang == "zh" else 1
    rows = _projects(request, user, status, industry)
    params = [(k, v) for k, v in (("status", status), ("industry", industry)) if v]
    response = _render(
        request, "navigation_projects.html", user, "navigation_projects", title=WORDS["title"][i],
        rows=_words(rows, lang), columns=COLUMNS, labels={c: v[i] for c, v in LABELS.items()},
        words={k: v[i] for k, v in WORDS.items()}, status=status, industry=industry,
        statuses={k: v[i] for k, v in STATUS_WORDS.items()}, kinds={k: v[i] for k, v in KIND_WORDS.items()},
        industries={ind.code: ind.name if i == 0 else ind.code for ind in industries()},
        can_edit=user.role in STAFF, errors=errors or [], values=values or {}, saved=saved,
        export_url=f"/api/navigation/projects?{urlencode([*params, ('format', 'xlsx')])}")
    response.status_code = code
    return response


@router.get("/navigation/projects", response_class=HTMLResponse, include_in_schema=False)
def projects_page(request: Request, status: str | None = None, industry: str | None = None,
                  saved: str | None = None) -> HTMLResponse:
    user = _user(request, *ROLES)
    code, ind = _filters(status or None, industry or None)
    return _page(request, user, code, ind, saved=(saved or "")[:60] or None)


def _kept_filters(status: str, industry: str) -> tuple[str | None, str | None]:
    """The list's filters the form carried (hidden view_status, view_industry), to re-render the page or come back
    to it filtered as it was; a word not known is dropped (the list shows all), never an error of the save."""
    try:
        return _filters(status or None, industry or None)
    except HTTPException:
        return None, None


#: How long a save waits for the warehouse's write lock (an import holding it for minutes): then the form says so.
LOCK_WAIT_S = 10.0


@router.post("/navigation/projects", response_class=HTMLResponse, include_in_schema=False)
def save_project_form(request: Request, csrf: Annotated[str, Form()],
                      project_no: Annotated[str, Form(max_length=100)] = "",
                      title: Annotated[str, Form(max_length=500)] = "", kind: Annotated[str, Form(max_length=40)] = "",
                      enterprise: Annotated[str, Form(max_length=200)] = "",
                      industry: Annotated[str, Form(max_length=60)] = "",
                      started_date: Annotated[str, Form(max_length=20)] = "",
                      accepted_date: Annotated[str, Form(max_length=20)] = "",
                      status: Annotated[str, Form(max_length=40)] = "",
                      report_file: Annotated[str, Form(max_length=500)] = "",
                      note: Annotated[str, Form(max_length=1000)] = "",
                      view_status: Annotated[str, Form(max_length=40)] = "",
                      view_industry: Annotated[str, Form(max_length=60)] = ""):
    user = _user(request, *STAFF)
    shown = _kept_filters(view_status.strip(), view_industry.strip())   # the list as the user filtered it
    check_csrf(request, csrf)
    fields = {"project_no": project_no, "title": title, "kind": kind, "enterprise": enterprise,
              "industry": industry, "started_date": started_date, "accepted_date": accepted_date, "status": status,
              "report_file": report_file, "note": note}
    fields = {k: v.strip() for k, v in fields.items()}
    a = analytics(request)
    lock = a.warehouse.lock  # the writers' lock of the shared connection (imports hold it while they run)
    if not lock.acquire(timeout=LOCK_WAIT_S):
        busy = ("", "", "正在导入数据，请稍后再保存 / an import is running; please save again in a minute")
        return _page(request, user, *shown, errors=[busy], values=fields, code=503)
    try:
        save_project(a.warehouse, fields, by=user.username, via="网页表单 / web form")
    except ImportRejected as rej:
        errors = [(e.field, e.value, e.reason) for e in rej.errors]
        return _page(request, user, *shown, errors=errors, values=fields, code=422)
    except FileError as err:
        return _page(request, user, *shown, errors=[("", "", err.reason)], values=fields, code=500)
    finally:
        lock.release()
    a.changed()  # cached answers (this list, the plan's navigation_projects target) are of the data before
    params = [(k, v) for k, v in zip(("status", "industry"), shown, strict=True) if v]
    query = urlencode([*params, ("saved", fields["project_no"])])
    return RedirectResponse(f"/navigation/projects?{query}", status_code=303)
