"""The web application: API, pages and static files (ECharts ships in the package)."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request, status
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from hvpatent.reference.clock import china_today
from hvpatent.warehouse.sessions import SessionStore
from hvpatent.warehouse.store import Warehouse
from hvpatent.web.analytics import Analytics, Busy
from hvpatent.web.limits import BodyLimit
from hvpatent.web.security import SecurityHeaders, SessionCookies, session_user


def create_app(db: Path, *, secret: str | None = None, secure_cookies: bool | None = None,
               plan_file: Path | None = None, plan_files: Sequence[Path] = (), max_upload_mib: int = 50,
               default_as_of: date | None = None,
               idle_minutes: float = 30, public_docs: bool = False, heavy_slots: int | None = None,
               heavy_queue: int | None = None, heavy_wait_s: float = 10.0, warm: bool = False) -> FastAPI:
    """``secret`` signs the session cookies (default: $HVP_SECRET, else random per start, which logs
    everyone out on restart); ``secure_cookies`` marks them HTTPS-only: None (default) when the request came
    over HTTPS (directly or through a trusted proxy's X-Forwarded-Proto), True always, False never.
    ``idle_minutes`` ends a session after that long without requests (8 hours end it in any case);
    ``public_docs`` serves /docs, /redoc and /openapi.json to anyone, not only to staff.
    ``heavy_slots`` uncached computations run at once (default: the CPU count), ``heavy_queue`` more wait
    (default 4 × slots) at most ``heavy_wait_s`` seconds; beyond that the answer is 503 + Retry-After.
    ``warm`` computes the first overview in the background at start and after each import (`hvp serve` does).
    ``plan_file`` and ``plan_files``: plan files known besides the shipped and the user's plans (plan/registry.py),
    the first of them the default plan."""
    from hvpatent.web import (
        abnormal,
        agencies,
        api,
        bank,
        cultivation,
        editions,
        finance,
        finance_subsidies,
        financing,
        forms,
        navigation,
        navigation_projects,
        pages,
        recognitions,
        subsidies,
        subsidies_mine,
        task_reports,
        trademarks,
        unit,
        value,
    )

    warehouse = Warehouse(db)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.analytics.close()  # the import worker ends (a running import is cancelled) first
        warehouse.close()

    app = FastAPI(lifespan=lifespan, title="hvpatent 高价值发明专利监测平台 API", version="1",
                  docs_url=None, redoc_url=None, openapi_url=None,  # served below, for staff only
                  description="指标、高价值专利、行动方案进展、下钻明细与导入。 Indicators, high-value patents, "
                              "plan progress, drill-down lists and imports.")
    app.state.warehouse = warehouse
    files = [*([plan_file] if plan_file else []), *plan_files]
    app.state.analytics = Analytics(warehouse, files, max_upload_bytes=max_upload_mib << 20,
                                    heavy_slots=heavy_slots, heavy_queue=heavy_queue, heavy_wait_s=heavy_wait_s)
    app.state.sessions = SessionStore(warehouse.con, idle=timedelta(minutes=idle_minutes))
    # Innermost, so its 413 page has the session; still before every route reads a body (or checks a login).
    app.add_middleware(BodyLimit, upload=(max_upload_mib + 1) << 20, upload_label=f"{max_upload_mib} MiB",
                       **unit.report_body_limit())  # a unit's report: the tasks settings' attachment total
    app.add_middleware(SessionCookies, secret_key=secret or os.environ.get("HVP_SECRET") or secrets.token_hex(32),
                       secure=secure_cookies)
    app.add_middleware(SecurityHeaders)
    app.state.default_as_of = default_as_of
    if warm:
        app.state.analytics.keep_warm(lambda: default_as_of or china_today())
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(forms.router)  # the official statistical forms: API and pages
    app.include_router(recognitions.router)  # dated enterprise recognitions: the plan's two targets, lists
    app.include_router(trademarks.router)  # trademarks: dashboard, lists, one mark, renewal warnings, API
    app.include_router(cultivation.router)  # the gap to a target, candidates, an enterprise's plan, letters
    app.include_router(value.router)  # patent value assessment (GB/T 42748-2023): ranked list, breakdown, API
    app.include_router(navigation_projects.router)  # navigation projects as records (before /navigation/{industry})
    app.include_router(navigation.router)  # patent navigation: industries, a landscape, the patents behind it
    app.include_router(bank.router)  # the bank's workspace: contracts, candidates, requests, risk watch, valuation
    app.include_router(financing.router)  # financing requests: the enterprise's answer, the bureau's pipeline
    app.include_router(finance.router)  # the pledge registry's statistics for the bureau, with drill-down
    app.include_router(finance_subsidies.router)  # interest subsidies and risk compensation: the ledger
    app.include_router(subsidies.router)  # subsidies and rewards by policy items: eligibility, ledger, budget, what-if
    app.include_router(subsidies_mine.router)  # an enterprise's subsidies: what it is eligible for and why, apply
    app.include_router(abnormal.router)  # suspected abnormal applications: the review queue, evidence, decisions
    app.include_router(agencies.router)  # patent agencies: ranking, watch list, one agency, letters
    app.include_router(unit.router)  # a unit's tasks and its progress reports (role unit)
    app.include_router(task_reports.router)  # the bureau's view of the task reports: status, overdue, letters, scores
    app.include_router(editions.router)  # issued bulletin editions, their versions and files
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    _api_docs(app, public_docs)

    @app.exception_handler(pages.LoginRequired)
    async def to_login(request: Request, exc: pages.LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", status.HTTP_303_SEE_OTHER)

    @app.exception_handler(StarletteHTTPException)
    async def errors(request: Request, exc: StarletteHTTPException):
        if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
            return await http_exception_handler(request, exc)
        response = pages.error_page(request, exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})  # a 503 page says Retry-After like the API
        return response

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy):
        """Too many uncached questions at once: 503 with Retry-After (RFC 9110 §10.2.3), page or JSON."""
        response = await errors(request, StarletteHTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        """A query value of the wrong type (within=abc): the API's 422 JSON, the pages' 422 error page."""
        if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
            return await request_validation_exception_handler(request, exc)
        fields = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg', '')}"
                           for e in exc.errors())
        return pages.error_page(request, 422, f"参数无效 / invalid parameter — {fields}"[:500])

    return app


def _api_docs(app: FastAPI, public: bool) -> None:
    """/openapi.json, /docs (Swagger UI) and /redoc: for staff unless ``public``; pages send anonymous
    visitors to the login page, the JSON answers 401/403."""
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    from fastapi.responses import JSONResponse

    from hvpatent.web import pages

    def allowed(request: Request, page: bool) -> None:
        if public:
            return
        user = session_user(request)
        if user is None and page:
            raise pages.LoginRequired()
        if user is None:
            raise StarletteHTTPException(status.HTTP_401_UNAUTHORIZED, "请先登录 / please log in")
        if user.role not in ("admin", "analyst"):
            raise StarletteHTTPException(status.HTTP_403_FORBIDDEN, "无权访问 / not allowed for this account")

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(request: Request) -> JSONResponse:
        allowed(request, page=False)
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request):
        allowed(request, page=True)
        return get_swagger_ui_html(openapi_url="/openapi.json", title=app.title + " - docs")

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request):
        allowed(request, page=True)
        return get_redoc_html(openapi_url="/openapi.json", title=app.title + " - ReDoc")
