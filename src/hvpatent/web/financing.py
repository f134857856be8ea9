"""Financing requests (融资对接, docs/finance-requests.md): the enterprise's answer (/mine/financing: the requests
addressed to it, consent or decline) and the bureau's pipeline (/finance/pipeline: every request, counts by status
and bank, a contract linked by hand).  API twins: /api/mine/financing, /api/finance/pipeline,
/api/finance/requests.  An enterprise sees the requests addressed to itself (which bank asks, on which of its
patents) and answers only those; staff (admin, analyst) see and link all.

Automatic linking: when a page or API lists requests, consented requests that a registered contract now matches
(finance.requests.contract_matches: the bank's contract, the enterprise as pledgor, registered since the request)
are linked first (`sync_contracts`), so no import step has to remember it.  No SQL here.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hvpatent.warehouse.accounts import User
from hvpatent.web.api import analytics
from hvpatent.web.bank import LABELS, _request_rows, _write, request_fields, rows_response
from hvpatent.web.bank import Fmt3 as Fmt
from hvpatent.web.pages import STAFF, _lang, _render, _user
from hvpatent.web.security import check_csrf, require

router = APIRouter()
EnterpriseUser = Annotated[User, Depends(require("enterprise"))]
Staff = Annotated[User, Depends(require(*STAFF))]
WORDS: dict[str, tuple[str, str]] = {
    "mine": ("融资对接", "Financing requests"), "pipeline": ("融资对接进展", "Financing pipeline"),
    "bank_name": ("银行", "Bank"), "consent": ("同意", "Consent"), "decline": ("拒绝", "Decline"),
    "note": ("答复备注", "Answer note"), "link": ("关联质押合同", "Link a contract"), "total": ("合计", "Total"),
    "done": ("已处理", "Done"), "none": ("暂无", "None"), "export": ("导出", "Export"),
    "explain": ("银行根据公开的可质押专利清单向贵企业发起融资对接；同意后银行将与贵企业联系办理质押登记。",
                "A bank marked interest in financing you on patents from the public candidate list; after you "
                "consent, the bank contacts you to register the pledge."),
}


def sync_contracts(request: Request) -> None:
    """Link the consented requests that registered contracts now match (finance.requests.contract_matches, on the
    contracts registered by today), under the write lock; nothing when no request waits for its contract.  Skipped
    (done on the next read) when an import holds the lock."""
    from hvpatent.finance import AUTO_LINKER, RequestError, contract_matches, link_contract, list_requests

    a = analytics(request)
    waiting = a.compute(lambda con: list_requests(con.con, status="consented"))
    if not waiting:
        return
    linked = {r["contract_no"] for r in a.compute(lambda con: list_requests(con.con, status="contracted"))}
    # Cached per data version and waiting set: a page viewed again finds no new contract without a new import.
    key = ("financing_matches", date.today(), tuple(sorted(r["request_id"] for r in waiting)), tuple(sorted(linked)))
    matches = a.answer(key, lambda con: contract_matches(con, waiting, date.today(), linked))
    if not matches or not a.warehouse.lock.acquire(timeout=1.0):
        return
    try:
        for request_id, contract_no in matches.items():
            try:
                link_contract(a.warehouse.con, request_id, contract_no, by=AUTO_LINKER)
            except RequestError:  # answered or linked meanwhile
                continue
    finally:
        a.warehouse.lock.release()
        a.changed()


def _i(request: Request) -> int:
    return 0 if _lang(request) == "zh" else 1


def _mine(request: Request, user: User) -> list[dict]:
    from hvpatent.finance import list_requests

    if user.role != "enterprise":
        raise HTTPException(403, "无权访问 / not allowed for this account")
    if not user.enterprise:
        return []
    sync_contracts(request)
    return analytics(request).compute(lambda con: list_requests(con.con, enterprise=user.enterprise))


def _mine_rows(rows: list[dict], i: int) -> list[dict]:
    return [{**r, "bank_name": src["bank_name"]} for r, src in zip(_request_rows(rows, i), rows, strict=True)]


MINE_COLUMNS = ("request_id", "status", "bank_name", "app_nos", "amount_yuan", "created_at", "decided_at",
                "contract_no", "note")


@router.get("/mine/financing", response_class=HTMLResponse, include_in_schema=False)
def mine_page(request: Request, done: str | None = None) -> HTMLResponse:
    user = _user(request, "enterprise")
    i = _i(request)
    labels = {**{k: v[i] for k, v in LABELS.items()}, "bank_name": WORDS["bank_name"][i]}
    return _render(request, "financing_mine.html", user, "my_financing", title=WORDS["mine"][i],
                   rows=_mine_rows(_mine(request, user), i), columns=MINE_COLUMNS, labels=labels,
                   words={k: v[i] for k, v in WORDS.items()}, done=(done or "")[:40] or None)


def _answer(request: Request, user: User, request_id: str, consent: bool, note: str | None) -> dict:
    from hvpatent.finance import answer_request

    if user.role != "enterprise" or not user.enterprise:
        raise HTTPException(403, "无权访问 / not allowed for this account")
    return _write(request, lambda con: answer_request(con, request_id, enterprise=user.enterprise,
                                                      consent=consent, by=user.username, note=note))


@router.post("/mine/financing/{request_id}/answer", include_in_schema=False)
def answer_form(request: Request, request_id: str, csrf: Annotated[str, Form()],
                answer: Annotated[str, Form(pattern="^(consent|decline)$")],
                note: Annotated[str, Form(max_length=1000)] = ""):
    user = _user(request, "enterprise")
    check_csrf(request, csrf)
    _answer(request, user, request_id, answer == "consent", note or None)
    return RedirectResponse(f"/mine/financing?{urlencode({'done': request_id})}", status_code=303)


@router.get("/api/mine/financing", summary="向本企业发起的融资对接请求 / financing requests addressed to us")
def api_mine(request: Request, user: EnterpriseUser, format: Fmt = "json"):
    return rows_response([request_fields(r, MINE_COLUMNS) for r in _mine(request, user)], format, "融资对接请求")


@router.post("/api/mine/financing/{request_id}/answer",
             summary="同意或拒绝对接请求 / consent to or decline a request (X-CSRF-Token)")
def api_answer(request: Request, user: EnterpriseUser, request_id: str, body: dict) -> dict:
    check_csrf(request, request.headers.get("x-csrf-token"))
    consent, note = body.get("consent"), body.get("note")
    if not isinstance(consent, bool) or (note is not None and not isinstance(note, str)):
        raise HTTPException(422, "consent: true | false; note: text")
    return request_fields(_answer(request, user, request_id, consent, note), MINE_COLUMNS)


# -- the bureau -------------------------------------------------------------------------------------------
def _all(request: Request, status: str | None, bank: str | None, enterprise: str | None) -> list[dict]:
    from hvpatent.finance import REQUEST_STATUSES, list_requests

    if status and status not in REQUEST_STATUSES:
        raise HTTPException(422, f"status: {' | '.join(REQUEST_STATUSES)}")
    sync_contracts(request)
    return analytics(request).compute(lambda con: list_requests(
        con.con, status=status or None, bank=bank or None, enterprise=enterprise or None))


def _pipeline(request: Request) -> dict:
    from hvpatent.finance import pipeline

    return analytics(request).compute(lambda con: pipeline(con.con))


PIPELINE_COLUMNS = ("request_id", "status", "bank_name", "enterprise_name", "app_nos", "amount_yuan", "created_at",
                    "decided_at", "contract_no", "note")


@router.get("/finance/pipeline", response_class=HTMLResponse, include_in_schema=False)
def pipeline_page(request: Request, status: str | None = None, done: str | None = None) -> HTMLResponse:
    from hvpatent.finance import REQUEST_STATUS_WORDS

    user = _user(request, *STAFF)
    i = _i(request)
    rows = _all(request, status or None, None, None)
    labels = {**{k: v[i] for k, v in LABELS.items()}, "bank_name": WORDS["bank_name"][i]}
    shown = [{**r, "bank_name": src["bank_name"]} for r, src in zip(_request_rows(rows, i), rows, strict=True)]
    return _render(request, "financing_pipeline.html", user, "financing_pipeline", title=WORDS["pipeline"][i],
                   rows=shown, columns=PIPELINE_COLUMNS, labels=labels, summary=_pipeline(request),
                   statuses={k: v[i] for k, v in REQUEST_STATUS_WORDS.items()}, status=status or "",
                   words={k: v[i] for k, v in WORDS.items()}, done=(done or "")[:40] or None,
                   export_url="/api/finance/requests?" + urlencode(
                       [*([("status", status)] if status else []), ("format", "xlsx")]))


@router.post("/finance/pipeline/{request_id}/link", include_in_schema=False)
def link_form(request: Request, request_id: str, csrf: Annotated[str, Form()],
              contract_no: Annotated[str, Form(max_length=100)]):
    from hvpatent.finance import link_contract

    user = _user(request, *STAFF)
    check_csrf(request, csrf)
    _write(request, lambda con: link_contract(con, request_id, contract_no, by=user.username))
    return RedirectResponse(f"/finance/pipeline?{urlencode({'done': request_id})}", status_code=303)


@router.get("/api/finance/pipeline", summary="融资对接进展（按状态、银行计数）/ the financing pipeline")
def api_pipeline(request: Request, user: Staff) -> dict:
    return _pipeline(request)


@router.get("/api/finance/requests", summary="全部融资对接请求 / every financing request")
def api_all(request: Request, user: Staff, status: str | None = None, bank: str | None = None,
            enterprise: str | None = None, format: Fmt = "json"):
    from hvpatent.ingest.fields import normalize_name

    return rows_response(_all(request, status, normalize_name(bank) if bank else None,
                              normalize_name(enterprise) if enterprise else None), format, "融资对接请求")


@router.post("/api/finance/requests/{request_id}/link",
             summary="关联质押合同 / link a registered contract to a consented request (X-CSRF-Token)")
def api_link(request: Request, user: Staff, request_id: str, body: dict) -> dict:
    from hvpatent.finance import link_contract

    check_csrf(request, request.headers.get("x-csrf-token"))
    contract_no = body.get("contract_no")
    if not isinstance(contract_no, str):
        raise HTTPException(422, "contract_no: text")
    return _write(request, lambda con: link_contract(con, request_id, contract_no, by=user.username))
