"""Who is asking: the session user, role checks and CSRF tokens for forms.

Sessions are Starlette's signed cookies (itsdangerous); the cookie holds only the username and a
CSRF token, and the user is looked up again on every request so a deactivated account stops at once.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from hvpatent.warehouse.accounts import User


def session_user(request: Request) -> User | None:
    name = request.session.get("user")
    if not name:
        return None
    return request.app.state.analytics.user(name)


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
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, token: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not token or not secrets.compare_digest(expected, token):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "表单已过期，请刷新后重试 / invalid CSRF token")
