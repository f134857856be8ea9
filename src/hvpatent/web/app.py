"""The web application: API, pages and static files (ECharts ships in the package)."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from hvpatent.warehouse.store import Warehouse
from hvpatent.web.analytics import Analytics


def create_app(db: Path, *, secret: str | None = None, secure_cookies: bool = False,
               plan_file: Path | None = None, max_upload_mib: int = 50, default_as_of: date | None = None) -> FastAPI:
    """``secret`` signs the session cookies (default: $HVP_SECRET, else random per start, which logs
    everyone out on restart); ``secure_cookies`` marks them HTTPS-only for deployments behind TLS."""
    from hvpatent.web import api, pages

    warehouse = Warehouse(db)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        warehouse.close()

    app = FastAPI(lifespan=lifespan, title="hvpatent 高价值发明专利监测平台 API", version="1",
                  description="指标、高价值专利、行动方案进展、下钻明细与导入。 Indicators, high-value patents, "
                              "plan progress, drill-down lists and imports.")
    app.state.warehouse = warehouse
    app.state.analytics = Analytics(warehouse, plan_file, max_upload_bytes=max_upload_mib << 20)
    app.add_middleware(SessionMiddleware, secret_key=secret or os.environ.get("HVP_SECRET") or secrets.token_hex(32),
                       session_cookie="hvp_session", same_site="lax", https_only=secure_cookies,
                       max_age=8 * 3600)
    app.state.default_as_of = default_as_of
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    @app.exception_handler(pages.LoginRequired)
    async def to_login(request: Request, exc: pages.LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", status.HTTP_303_SEE_OTHER)

    @app.exception_handler(StarletteHTTPException)
    async def errors(request: Request, exc: StarletteHTTPException):
        if request.url.path.startswith("/api/"):
            return await http_exception_handler(request, exc)
        return pages.error_page(request, exc.status_code, str(exc.detail))

    return app
