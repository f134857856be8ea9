"""A size limit on every request body, checked before any route reads it — before the login check,
which FastAPI runs only after it has read (and, for uploads, spooled to disk) the whole body.

A declared ``Content-Length`` over the limit is answered 413 at once, the body unread; a body sent
without one (chunked) is counted as it arrives and the request ends in 413 as soon as it passes the
limit.  Every route takes 64 KiB (logins, password changes, forms and cancel buttons need far less);
the two upload routes take the upload limit plus 1 MiB for the multipart framing and form fields, and the
what-if's policy upload 272 KiB.
The answer is JSON under /api/ and the error page elsewhere, Chinese / English like every message.

OWASP File Upload Cheat Sheet ("set a file size limit"), OWASP Denial of Service Cheat Sheet
("limit the request size"); RFC 9110 §15.5.14 (413 Content Too Large).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_LIMIT = 64 << 10
UPLOAD_ROUTES = (("POST", "/imports"), ("POST", "/api/imports"))
# A unit's progress report with its attachments (web/unit.py): the tasks settings' max_total_mib of files plus 1 MiB
# for the text, the figures and the multipart framing; app.py passes that limit (create_app(report_upload_mib=)).
REPORT_ROUTES = (("POST", "/unit/reports"), ("POST", "/api/unit/reports"))
# Small uploads with a limit of their own: a policy variant for the what-if (web/subsidies.py checks 256 KiB of
# file; 16 KiB more for the multipart framing and the form fields).
SMALL_UPLOAD_ROUTES: dict[tuple[str, str], int] = {("POST", "/subsidies/whatif"): (256 + 16) << 10}


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 and n % (1 << 20) == 0 else f"{n >> 10} KiB"


class BodyLimit:
    """Pure ASGI middleware: ``default`` bytes for every request body, ``upload`` bytes for the upload
    routes (``upload_label``: the file limit users are told, e.g. 50 MiB)."""

    def __init__(self, app: ASGIApp, *, upload: int, upload_label: str, default: int = DEFAULT_LIMIT,
                 report: int = 31 << 20, report_label: str = "30 MiB") -> None:
        self.app, self.default, self.upload, self.upload_label = app, default, upload, upload_label
        self.report, self.report_label = report, report_label

    def _limit(self, scope: Scope) -> tuple[int, str]:
        route = (scope["method"], scope["path"].rstrip("/") or "/")
        if route in UPLOAD_ROUTES:
            return self.upload, f"文件超过上限 {self.upload_label} / file too large ({self.upload_label} at most)"
        if route in REPORT_ROUTES:
            return self.report, (f"附件合计超过上限 {self.report_label} / attachments too large ({self.report_label} "
                                 "at most in all)")
        if route in SMALL_UPLOAD_ROUTES:
            small = SMALL_UPLOAD_ROUTES[route]
            return small, f"文件超过上限 {_size(small)} / file too large ({_size(small)} at most)"
        return self.default, (f"请求内容超过上限 {_size(self.default)} / request body too large "
                              f"({_size(self.default)} at most)")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, message = self._limit(scope)
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and (not declared.strip().isdigit() or int(declared) > limit):
            await _too_large(scope, message)(scope, receive, send)  # the body is never read
            return

        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > limit:  # routes re-raise HTTPException from body reading: the app answers
                    raise HTTPException(413, message)
            return msg

        async def watched(msg: Message) -> None:
            nonlocal started
            started = started or msg["type"] == "http.response.start"
            await send(msg)

        try:
            await self.app(scope, counted, watched)
        except HTTPException as err:  # read outside a route (middleware): answer here if we still can
            if err.status_code != 413 or started:
                raise
            await _too_large(scope, message)(scope, receive, send)


def _too_large(scope: Scope, message: str) -> Response:
    if scope["path"].startswith("/api/"):
        return JSONResponse({"detail": message}, 413)
    from hvpatent.web.pages import error_page

    return error_page(Request(scope), 413, message)
