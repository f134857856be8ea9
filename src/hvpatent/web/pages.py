"""The dashboard's pages: server-rendered HTML (Jinja2) with ECharts for the charts. Data comes
from `Analytics`, as for the API; every figure links to the list behind it, every list exports."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request, UploadFile, status
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from hvpatent.indicators import CRITERIA, INDICATORS, industry_name
from hvpatent.ingest.appno import AppNoError, normalize_appno
from hvpatent.reference.clock import china_today
from hvpatent.reference.regions import region_name, towns_of
from hvpatent.reports.tables import COLUMN_LABELS
from hvpatent.warehouse.accounts import User
from hvpatent.web import inputs
from hvpatent.web.i18n import LANGS, UI, pick_lang, translate
from hvpatent.web.security import check_csrf, client_ip, csrf_token, end_session, safe_next, session_user, start_session

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(__import__("pathlib").Path(__file__).parent / "templates"))
STAFF = ("admin", "analyst")
NAV = [("/", "overview", STAFF), ("/towns", "towns", STAFF), ("/industries", "industries", STAFF),
       ("/enterprises", "enterprises", STAFF), ("/highvalue", "highvalue", (*STAFF, "enterprise")),
       ("/mine", "my_patents", ("enterprise",)), ("/warnings", "warnings", (*STAFF, "enterprise")),
       ("/trademarks", "trademarks", STAFF), ("/tasks", "tasks", STAFF),
       ("/tasks/reports", "task_reports", STAFF), ("/editions", "editions", STAFF),
       ("/unit", "my_tasks", ("unit",)),
       ("/recognitions", "recognitions", STAFF), ("/value", "value_assessment", STAFF),
       ("/cultivation", "cultivation", STAFF),
       ("/navigation", "navigation", STAFF), ("/navigation/projects", "navigation_projects", STAFF),
       ("/finance", "finance", STAFF), ("/finance/pipeline", "financing_pipeline", STAFF),
       ("/finance/subsidies", "finance_subsidies", STAFF),
       ("/subsidies", "subsidies", STAFF),
       ("/bank", "bank_home", ("bank",)), ("/bank/candidates", "bank_candidates", ("bank",)),
       ("/bank/risk", "bank_risk", ("bank",)), ("/bank/requests", "bank_requests", ("bank",)),
       ("/mine/financing", "my_financing", ("enterprise",)),
       ("/mine/subsidies", "my_subsidies", ("enterprise",)),
       ("/mine/plan", "my_plan", ("enterprise",)), ("/imports", "imports", STAFF),
       ("/docs", "api", STAFF)]


def _num(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


templates.env.filters["num"] = _num


class LoginRequired(Exception):
    pass


def _lang(request: Request) -> str:
    return pick_lang(request.query_params.get("lang"), request.cookies.get("hvp_lang"))


def _render(request: Request, name: str, user: User | None, active: str = "", **context) -> HTMLResponse:
    lang = _lang(request)
    response = templates.TemplateResponse(request, name, {
        "user": user, "nav": NAV, "active": active, "lang": lang, "csrf": csrf_token(request),
        "_": lambda key: translate(key, lang), "title": context.pop("title", translate(active or "app", lang)),
        **context})
    if request.query_params.get("lang") in LANGS:  # never an unknown value
        response.set_cookie("hvp_lang", lang, samesite="lax", max_age=365 * 86400, httponly=True,
                            secure=request.url.scheme == "https")
    return response


def _user(request: Request, *roles: str) -> User:
    user = session_user(request)
    if user is None:
        raise LoginRequired()
    if roles and user.role not in roles:
        raise HTTPException(status.HTTP_403_FORBIDDEN, translate("forbidden", _lang(request)))
    return user


def _day(request: Request) -> date:
    text = request.query_params.get("as_of")
    try:
        day = date.fromisoformat(text) if text else request.app.state.default_as_of or china_today()
    except ValueError as err:
        raise HTTPException(422, "as_of: YYYY-MM-DD") from err
    return inputs.as_of(day)  # within the documented range, else 422


def _a(request: Request):
    return request.app.state.analytics


def error_page(request: Request, code: int, message: str) -> HTMLResponse:
    response = _render(request, "error.html", session_user(request), "", title=str(code), code=code, message=message)
    response.status_code = code
    return response


# -- login -------------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return _render(request, "login.html", None, "login", next=safe_next(next), error=None)


@router.post("/login")
def login_form(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()],
               csrf: Annotated[str, Form()], next: Annotated[str, Form()] = "/"):
    check_csrf(request, csrf)
    next = safe_next(next)
    result = request.app.state.sessions.login(username, password, client_ip(request),
                                              request.headers.get("user-agent", ""))
    if result.user is None:
        error = translate("locked" if result.locked_until else "bad_login", _lang(request))
        response = _render(request, "login.html", None, "login", next=next, error=error)
        response.status_code = status.HTTP_429_TOO_MANY_REQUESTS if result.locked_until else status.HTTP_200_OK
        return response
    start_session(request, result.token)
    home = {"enterprise": "/mine", "bank": "/bank", "unit": "/unit"}.get(result.user.role, "/")
    return RedirectResponse(next if next != "/" else home, status.HTTP_303_SEE_OTHER)


@router.post("/logout")
def logout_form(request: Request, csrf: Annotated[str, Form()]):
    check_csrf(request, csrf)
    end_session(request)
    return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)


# -- the plan and the district ------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def overview(request: Request) -> HTMLResponse:
    user = _user(request)
    if user.role in ("enterprise", "bank", "unit"):
        home = {"enterprise": "/mine", "bank": "/bank", "unit": "/unit"}[user.role]
        return RedirectResponse(home, status.HTTP_303_SEE_OTHER)
    _user(request, *STAFF)
    a, day = _a(request), _day(request)
    plan = _plan(request)
    progress = a.plan_progress(day, _exclude_abnormal(request), plan.key)
    figures = a.figures(day, plan.region, "year", None, None)
    series = [t for t in progress["targets"] if t["key"] in ("valid_inventions_per_10k", "high_value_per_10k")]
    trend = {"labels": [p["date"].isoformat() for p in series[0]["trend"]] if series else [],
             "series": [{"name": t["name"], "values": [None if p["value"] is None else round(p["value"], 2)
                                                       for p in t["trend"]]} for t in series]}
    plans = [{"key": p.key, "name": p.name if _lang(request) == "zh" else p.name_en} for p in a.plans]
    # The overdue task reports of this plan (tasks room): a count linking to the bureau's list; None while unknown.
    return _render(request, "overview.html", user, "overview", progress=progress, figures=figures, trend=trend,
                   as_of=day, plan_key=plan.key, plans=plans, overdue=a.overdue_count(day, plan.key))


def _plan(request: Request):
    """The plan ``?plan=KEY`` names (absent: the default); an unknown key is 422 naming the known keys."""
    from hvpatent.plan.model import PlanError

    try:
        return _a(request).plan_of(request.query_params.get("plan"))
    except PlanError as err:
        raise HTTPException(422, str(err)) from err


def _exclude_abnormal(request: Request) -> bool | None:
    """The plan page's toggle ?exclude_abnormal=1|0; absent: the supervision settings decide."""
    text = request.query_params.get("exclude_abnormal")
    if text in (None, ""):
        return None
    if text not in ("0", "1"):
        raise HTTPException(422, "exclude_abnormal: 0 | 1")
    return text == "1"


BREAKDOWNS = {
    "towns": ("town", [("valid_inventions", "有效发明专利"), ("valid_inventions_per_10k", "每万人口发明专利"),
                       ("high_value_inventions", "高价值发明专利"), ("invention_applications", "发明专利申请")],
              "valid_inventions_per_10k"),
    "industries": ("industry", [("valid_inventions", "有效发明专利"), ("high_value_inventions", "高价值发明专利"),
                                ("invention_applications", "发明专利申请"), ("invention_grants", "发明专利授权")],
                   "valid_inventions"),
    "enterprises": ("enterprise", [("valid_inventions", "有效发明专利"), ("high_value_inventions", "高价值发明专利"),
                                   ("invention_grants", "发明专利授权")], "valid_inventions"),
}


def _group_name(by: str, group: str, names: dict[str, str]) -> str:
    if by == "town":
        return region_name(group) or group
    if by == "industry":
        return industry_name(group)
    return names.get(group, group)


def _breakdown(request: Request, page: str) -> HTMLResponse:
    user = _user(request, *STAFF)
    a, day = _a(request), _day(request)
    by, columns, ranked = BREAKDOWNS[page]
    region = a.plan.region
    rows: dict[str, dict] = {}
    for row in a.figures(day, region, "year", by, [k for k, _ in columns]):
        if row["group"] is None:  # not attributed to a town: listed by `hvp regions unresolved`
            continue
        rows.setdefault(row["group"], {"group": row["group"]})[row["key"]] = row["value"]
    names = a.applicant_names(day, region) if by == "enterprise" else {}
    ordered = sorted(rows.values(), key=lambda r: -(r.get(ranked) or 0))
    if by == "enterprise":
        ordered = ordered[:50]
    for r in ordered:
        r["name"] = _group_name(by, r["group"], names)
    lang = _lang(request)
    notice = translate("no_town_map", lang) if by == "town" else ""
    chart_rows = [{"name": r["name"], "value": r.get(ranked) or 0} for r in ordered[:30]]
    return _render(request, "breakdown.html", user, page, rows=ordered, columns=columns, by=by, region=region,
                   as_of=day, group_label=translate(page + "_group", lang), notice=notice, chart_rows=chart_rows,
                   chart_title=dict(columns)[ranked], title=translate(page, lang))


@router.get("/towns", response_class=HTMLResponse)
def towns(request: Request) -> HTMLResponse:
    return _breakdown(request, "towns")


@router.get("/industries", response_class=HTMLResponse)
def industries_page(request: Request) -> HTMLResponse:
    return _breakdown(request, "industries")


@router.get("/enterprises", response_class=HTMLResponse)
def enterprises(request: Request) -> HTMLResponse:
    return _breakdown(request, "enterprises")


@router.get("/records/{key}", response_class=HTMLResponse)
def records_page(request: Request, key: str, region: str | None = None, period: str = "year",
                 group_by: str | None = None, group: str | None = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    if key not in INDICATORS:
        raise HTTPException(404, key)
    inputs.query(period=period, by=group_by, region=region, group=group)
    day = _day(request)
    rows = _a(request).drill(key, day, region or None, period, group_by or None, group)
    params = {k: v for k, v in {"as_of": day.isoformat(), "region": region, "period": period,
                                "group_by": group_by, "group": group, "format": "xlsx"}.items() if v}
    lang = _lang(request)
    title = INDICATORS[key].label(lang) + (f" · {_group_name(group_by, group, {})}" if group_by and group else "")
    columns = list(rows[0]) if rows else []
    labels = {c: v[0 if lang == "zh" else 1] for c, v in COLUMN_LABELS.items()}
    return _render(request, "records.html", user, "", title=title, rows=rows, columns=columns, labels=labels,
                   as_of=day, limit=1000, export_url=f"/api/indicators/{key}/records?{urlencode(params)}")


@router.get("/highvalue", response_class=HTMLResponse)
def highvalue_page(request: Request, q: str | None = None, criterion: str | None = None,
                   town: str | None = None) -> HTMLResponse:
    user = _user(request, *STAFF, "enterprise")
    inputs.query(criterion=criterion, town=town, q=q)
    a, day = _a(request), _day(request)
    region, applicant = a.scope(user)
    rows = a.high_value(day, region, criterion or None, q or None, town or None, applicant)
    town_list = [(t.code, t.name) for t in towns_of(a.plan.region)]
    params = {k: v for k, v in {"as_of": day.isoformat(), "region": region, "q": q, "criterion": criterion,
                                "town": town, "format": "xlsx"}.items() if v}
    return _render(request, "highvalue.html", user, "highvalue", rows=rows, as_of=day, q=q, criterion=criterion,
                   town=town, criteria=CRITERIA, towns=town_list, town_names=dict(town_list),
                   export_url=f"/api/highvalue?{urlencode(params)}")


@router.get("/patents/{app_no}", response_class=HTMLResponse)
def patent_page(request: Request, app_no: str) -> HTMLResponse:
    user = _user(request, *STAFF, "enterprise")
    try:
        number = normalize_appno(app_no)
    except AppNoError as err:
        raise HTTPException(422, str(err)) from err
    a, day = _a(request), _day(request)
    if user.role == "enterprise" and not a.owned_by(number, user.enterprise):
        raise HTTPException(status.HTTP_404_NOT_FOUND, translate("no_patent", _lang(request)))
    profile = a.profile(number, day)
    if profile is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, translate("no_patent", _lang(request)))
    return _render(request, "patent.html", user, "", title=number, p=profile, as_of=day)


@router.get("/mine", response_class=HTMLResponse)
def mine(request: Request) -> HTMLResponse:
    user = _user(request, "enterprise")
    day = _day(request)
    portfolio = _a(request).portfolio(user.enterprise, day)
    return _render(request, "mine.html", user, "my_patents", rows=portfolio["valid_inventions"], as_of=day)


@router.get("/warnings", response_class=HTMLResponse)
def warnings_page(request: Request, within: int = 90, high_value_at_risk: bool = False) -> HTMLResponse:
    from hvpatent.warnings import KIND_LABELS

    user = _user(request, *STAFF, "enterprise")
    a, day = _a(request), _day(request)
    rows = a.warnings(day, max(1, min(within, 730)), *a.scope(user), high_value_at_risk)
    i = 0 if _lang(request) == "zh" else 1
    export = urlencode({"as_of": day.isoformat(), "within": within, "format": "xlsx",
                        **({"high_value_at_risk": "true"} if high_value_at_risk else {})})
    return _render(request, "warnings.html", user, "warnings", rows=rows, as_of=day, within=within,
                   high_value_at_risk=high_value_at_risk,
                   kind_names={k: v[i] for k, v in KIND_LABELS.items()}, export_url=f"/api/warnings?{export}")


@router.get("/tasks", response_class=HTMLResponse)
def tasks(request: Request, plan: str | None = None) -> HTMLResponse:
    """The plan's tasks: units, linked indicators and targets, and who has reported in the latest period begun
    (web/task_reports.py ``tasks_overview``); ?plan=KEY when several plans are loaded."""
    from hvpatent.web.task_reports import tasks_overview

    user = _user(request, *STAFF)
    day = _day(request)
    names = {k: i.label(_lang(request)) for k, i in INDICATORS.items()}
    context = tasks_overview(request, (plan or "")[:80] or None, day)
    return _render(request, "tasks.html", user, "tasks", indicator_names=names, as_of=day,
                   region=context["plan"].region, **context)


@router.get("/imports", response_class=HTMLResponse)
def imports_page(request: Request, job: str | None = None) -> HTMLResponse:
    """The import queue (each job's status, a cancel button while it may be cancelled), the chosen
    job's validation report (``?job=ID``, where an upload leads) and the import history."""
    user = _user(request, *STAFF)
    a = _a(request)
    jobs = a.jobs.list()
    chosen = next((j for j in jobs if j["job_id"] == job), None) if job else None
    return _render(request, "imports.html", user, "imports", imports=a.imports(), jobs=jobs, chosen=chosen,
                   result=chosen["result"] if chosen else None,
                   refresh=any(j["status"] in ("queued", "running") for j in jobs))


@router.post("/imports")
async def imports_upload(request: Request, file: UploadFile, csrf: Annotated[str, Form()],
                         skip_bad_rows: Annotated[bool, Form()] = False):
    """Queue the upload and show it on the imports page (post/redirect/get: a reload does not upload again);
    refusals as the API's (api.queue_upload), on the error page."""
    from hvpatent.web.api import queue_upload

    user = _user(request, "admin")
    check_csrf(request, csrf)
    job = await queue_upload(request, user, file, skip_bad_rows)
    return RedirectResponse(f"/imports?{urlencode({'job': job['job_id']})}", status.HTTP_303_SEE_OTHER)


@router.post("/imports/jobs/{job_id}/cancel")
def imports_cancel(request: Request, job_id: str, csrf: Annotated[str, Form()]):
    user = _user(request, "admin")
    check_csrf(request, csrf)
    if _a(request).cancel_import(job_id, user.username) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "没有这个导入任务 / no such import job")
    return RedirectResponse(f"/imports?{urlencode({'job': job_id})}", status.HTTP_303_SEE_OTHER)


__all__ = ["UI", "LoginRequired", "router"]
