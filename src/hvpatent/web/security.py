"""Who is asking: sessions, role checks, CSRF tokens, safe redirects and the security headers.

The session cookie is signed (itsdangerous) and carries only a random session token (or, before login, the
login form's CSRF token); the session itself lives in the warehouse (hvpatent.warehouse.sessions), so
logout, a password change or a deactivation ends it at once. docs/security.md describes the whole.
"""

from __future__ import annotations

import json
import secrets
from base64 import b64decode, b64encode
from typing import Annotated
from urllib.parse import unquote, urlsplit

import itsdangerous
from fastapi import Depends, HTTPException, Request, status
from itsdangerous.exc import BadSignature
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import Session
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hvpatent.warehouse.accounts import User
from hvpatent.warehouse.sessions import ABSOLUTE, LOCKOUT, csrf_for

COOKIE = "hvp_session"

# No inline script anywhere: every script is a file under /static (OWASP CSP cheat sheet, strict policy).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self';"
       " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# FastAPI's /docs and /redoc pages load Swagger UI / ReDoc from their CDN and start them with an inline
# script; they are for staff only, and only they get this wider policy.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net;"
            " style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com;"
            " font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com"
            " https://cdn.redoc.ly; worker-src 'self' blob:; connect-src 'self'; object-src 'none';"
            " base-uri 'none'; frame-ancestors 'none'")
DOCS_PATHS = ("/docs", "/redoc")


def is_https(scope: Scope) -> bool:
    """Served over TLS, or behind a trusted proxy that says so: `hvp serve --trusted-proxies IPS` has uvicorn
    set the scheme from X-Forwarded-Proto when the connection comes from one of those addresses (without it,
    the header is ignored)."""
    return scope.get("scheme") in ("https", "wss")


class SessionCookies:
    """Starlette's SessionMiddleware, except that the cookie is marked Secure per request: always when
    ``secure`` is True, never when False, and when None (the default) whenever the request came over HTTPS."""

    def __init__(self, app: ASGIApp, secret_key: str, *, secure: bool | None = None,
                 max_age: int = int(ABSOLUTE.total_seconds())) -> None:
        self.app, self.secure, self.max_age = app, secure, max_age
        self.signer = itsdangerous.TimestampSigner(secret_key)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        cookie = HTTPConnection(scope).cookies.get(COOKIE)
        had_session = False
        scope["session"] = Session()
        if cookie:
            try:
                data = json.loads(b64decode(self.signer.unsign(cookie.encode(), max_age=self.max_age)))
                if isinstance(data, dict):
                    scope["session"], had_session = Session(data), True
            except (BadSignature, ValueError):
                pass
        secure = is_https(scope) if self.secure is None else self.secure
        flags = "; path=/; httponly; samesite=lax" + ("; secure" if secure else "")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                session: Session = scope["session"]
                headers = MutableHeaders(scope=message)
                if session.accessed:
                    headers.add_vary_header("Cookie")
                if session.modified and session:
                    value = self.signer.sign(b64encode(json.dumps(session).encode())).decode()
                    headers.append("Set-Cookie", f"{COOKIE}={value}; Max-Age={self.max_age}{flags}")
                elif session.modified and had_session:
                    headers.append("Set-Cookie", f"{COOKIE}=null; expires=Thu, 01 Jan 1970 00:00:00 GMT{flags}")
            await send(message)

        await self.app(scope, receive, send_wrapper)


class SecurityHeaders:
    """Content-Security-Policy, frame and sniffing protection and the referrer policy on every response
    (OWASP HTTP Headers cheat sheet); HSTS when the request came over HTTPS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        policy = DOCS_CSP if path in DOCS_PATHS else CSP

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = policy
                headers["X-Frame-Options"] = "DENY"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
                if is_https(scope):
                    headers["Strict-Transport-Security"] = "max-age=31536000"
                if path.startswith("/api/") or path == "/openapi.json":
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_wrapper)


def client_ip(request: Request) -> str:
    """The client's address, as the login throttle counts it: the socket's peer, or, when the peer is a proxy
    named by `hvp serve --trusted-proxies`, the nearest X-Forwarded-For address that is not itself a trusted
    proxy (uvicorn rewrites the peer then)."""
    return request.client.host if request.client else ""


def session_user(request: Request) -> User | None:
    """The user of the request's live session, looked up once per request."""
    if hasattr(request.state, "user"):
        return request.state.user
    token = request.session.get("sid")
    user = request.app.state.sessions.user(token) if isinstance(token, str) else None
    if user is None and "sid" in request.session:
        request.session.clear()  # ended, expired or forged: the browser drops the cookie
    request.state.user = user
    return user


def start_session(request: Request, token: str) -> None:
    request.session.clear()
    request.session["sid"] = token


def end_session(request: Request) -> None:
    token = request.session.get("sid")
    if isinstance(token, str):
        request.app.state.sessions.end(token)
    request.session.clear()
    request.state.user = None


def current_user(request: Request) -> User:
    user = session_user(request)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "请先登录 / please log in")
    return user


def require(*roles: str):
    """A dependency that lets only the given roles through."""
    def check(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "无权访问 / not allowed for this account")
        return user
    return check


def csrf_token(request: Request) -> str:
    """The session's CSRF token; before login, a random one kept in the (signed) cookie for the login form."""
    token = request.session.get("sid")
    if isinstance(token, str):
        return csrf_for(token)
    csrf = request.session.get("csrf")
    if not isinstance(csrf, str):
        csrf = secrets.token_urlsafe(32)
        request.session["csrf"] = csrf
    return csrf


def check_csrf(request: Request, token: str | None) -> None:
    sid, csrf = request.session.get("sid"), request.session.get("csrf")
    expected = csrf_for(sid) if isinstance(sid, str) else csrf if isinstance(csrf, str) else None
    if not expected or not token or not secrets.compare_digest(expected, token):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "表单已过期，请刷新后重试 / invalid CSRF token")


def safe_next(target: str | None) -> str:
    """Where to go after login: only a path on this site (OWASP Unvalidated Redirects cheat sheet)."""
    if not target or not target.startswith("/") or len(target) > 2000:
        return "/"
    for text in (target, unquote(target)):
        if text.startswith(("//", "/\\")) or "\\" in text or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
            return "/"
        parts = urlsplit(text)
        if parts.scheme or parts.netloc:
            return "/"
    return target


_MINUTES = int(LOCKOUT.total_seconds()) // 60
LOCKED = (f"登录失败次数过多，已暂时锁定，请 {_MINUTES} 分钟后再试或联系管理员解锁 / too many failed logins:"
          f" locked for {_MINUTES} minutes; try again later or ask an administrator to unlock")
