"""Interest subsidies and risk compensation (贴息与风险补偿, docs/finance-subsidies.md): the bureau's ledger page
(/finance/subsidies: the ledger with filters and each claim's rule trace, a form to apply, approve or reject each
applied claim, a payment batch whose answer is the finance office's xlsx) and its API twins (/api/finance/subsidies
…).  Staff only (admin, analyst); a bank or enterprise account gets 403.  The finance room's ledger (finance.ledger)
does the work: reads through `Analytics.compute` (never cached: the ledger changes without an import), changes on
the warehouse's connection under its write lock.  No SQL here."""

from __future__ import annotations

import io
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from hvpatent.warehouse.accounts import User
from hvpatent.web.api import XLSX, analytics, jsonable
from hvpatent.web.pages import STAFF, _lang, _render, _user
from hvpatent.web.security import check_csrf, require
from hvpatent.web.writes import ledger_write

router = APIRouter()
Staff = Annotated[User, Depends(require(*STAFF))]
SchemeQ = Annotated[str | None, Query(max_length=20, description="interest_subsidy | risk_compensation")]
StatusQ = Annotated[str | None, Query(max_length=10, description="applied | approved | rejected | paid")]
PeriodQ = Annotated[str | None, Query(max_length=7, description="YYYY | YYYY-Qn | YYYY-Hn")]
WORDS: dict[str, tuple[str, str]] = {
    "title": ("贴息与风险补偿", "Interest subsidies and risk compensation"), "all": ("全部", "All"),
    "show": ("显示", "Show"), "scheme": ("项目", "Scheme"), "status": ("状态", "Status"), "period": ("期间", "Period"),
    "contract_no": ("质押登记号", "Contract no."), "enterprise": ("出质人（企业）", "Pledgor"),
    "bank": ("质权人（银行）", "Pledgee"), "claimed": ("申请金额（元）", "Claimed (yuan)"),
    "computed": ("核算金额（元）", "Computed (yuan)"), "approved": ("核准金额（元）", "Approved (yuan)"),
    "batch": ("拨付批次", "Payment batch"), "trace": ("核算过程", "Rule trace"), "apply": ("申请", "Apply"),
    "apply_title": ("登记申请（已申请或未通过的可重新申请）",
                    "Record a claim (an applied or rejected one may be re-applied)"),
    "claimed_hint": ("贴息填实付利息，风险补偿填净损失", "interest paid, or the net loss"),
    "approve": ("核准", "Approve"), "reject": ("不予核准", "Reject"), "reason": ("理由", "Reason"),
    "amount": ("金额（空=核算金额）", "Amount (empty = computed)"),
    "pay_title": ("拨付：全部已核准的申请记为已拨付，并下载拨付清单（Excel）",
                  "Pay: every approved claim becomes paid; download the batch for the finance office (xlsx)"),
    "pay": ("拨付并下载", "Pay and download"), "export": ("导出台账", "Export the ledger"),
    "errors": ("未完成：", "Not done:"), "done": ("已完成", "Done"), "none": ("暂无记录", "No claims"),
    "policy": ("政策", "Policy"), "rule": ("规则", "Rule"), "facts": ("依据", "Facts"), "result": ("结果", "Result"),
}


class ClaimIn(BaseModel):
    scheme: Literal["interest_subsidy", "risk_compensation"]
    contract_no: str = Field(min_length=1, max_length=100)
    period: str = Field(min_length=4, max_length=7)
    claimed_yuan: float = Field(gt=0, lt=1e13)
    as_of: date | None = None


class DecisionIn(BaseModel):
    scheme: Literal["interest_subsidy", "risk_compensation"]
    contract_no: str = Field(min_length=1, max_length=100)
    period: str = Field(min_length=4, max_length=7)
    approve: bool
    approved_yuan: float | None = Field(default=None, gt=0, lt=1e13)
    reason: str | None = Field(default=None, max_length=500)


class PaymentIn(BaseModel):
    batch: str = Field(min_length=1, max_length=60)
    format: Literal["json", "xlsx"] = "xlsx"


def _policy():
    from hvpatent.finance import PolicyError, load_policy

    try:
        return load_policy()
    except PolicyError as err:
        raise HTTPException(500, f"政策文件有误 / bad policy file: {err}") from err


def _rows(request: Request, scheme: str | None, status: str | None, period: str | None) -> list[dict]:
    from hvpatent.finance import LedgerError, ledger_rows

    try:
        return analytics(request).compute(
            lambda con: ledger_rows(con.con, scheme=scheme or None, status=status or None, period=period or None))
    except LedgerError as err:
        raise HTTPException(422, str(err)) from err


def _write(request: Request, change):
    """``change(duck, con)`` under the write lock (web/writes.py): 503 when an import holds it, 422 with the reason
    for a change the ledger refuses."""
    from hvpatent.finance import LedgerError

    return ledger_write(request, change, LedgerError)


def _apply(request: Request, user: User, claim: ClaimIn) -> dict:
    from hvpatent.finance import apply_claim

    policy, day = _policy(), claim.as_of or date.today()
    return _write(request, lambda duck, con: apply_claim(duck, con, claim.scheme, claim.contract_no.strip(),
                                                         claim.period.strip(), claim.claimed_yuan, policy=policy,
                                                         as_of=day, by=user.username))


def _decide(request: Request, user: User, d: DecisionIn) -> dict:
    from hvpatent.finance import decide_claim

    policy = _policy()
    return _write(request, lambda duck, con: decide_claim(duck, d.scheme, d.contract_no.strip(), d.period.strip(),
                                                          approve=d.approve, approved_yuan=d.approved_yuan,
                                                          reason=d.reason, by=user.username, policy=policy))


def _pay(request: Request, user: User, batch: str) -> list[dict]:
    from hvpatent.finance import pay_claims

    return _write(request, lambda duck, con: pay_claims(duck, batch.strip(), by=user.username))


def _xlsx(rows: list[dict], lang: str, batch: str | None) -> StreamingResponse:
    from hvpatent.finance import write_ledger_xlsx

    with tempfile.TemporaryDirectory() as tmp:
        data = write_ledger_xlsx(rows, Path(tmp) / "ledger.xlsx", lang=lang, batch=batch).read_bytes()
    name = quote(f"拨付批次-{batch}" if batch else "贴息与风险补偿台账")
    return StreamingResponse(io.BytesIO(data), media_type=XLSX,
                             headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}.xlsx"})


def _export(rows: list[dict], fmt: str, lang: str) -> Response:
    if fmt == "xlsx":
        return _xlsx(rows, lang, None)
    if fmt == "csv":
        from hvpatent.finance import export_rows
        from hvpatent.reports.safe_cells import csv_text

        return Response("\ufeff" + csv_text(export_rows(rows, lang)), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": "attachment; filename*=UTF-8''finance-ledger.csv"})
    return JSONResponse(jsonable(rows))


# -- API ---------------------------------------------------------------------------------------------------------

@router.get("/api/finance/subsidies", summary="贴息与风险补偿台账 / the interest subsidy and risk compensation ledger")
def api_ledger(request: Request, user: Staff, scheme: SchemeQ = None, status: StatusQ = None, period: PeriodQ = None,
               format: Annotated[str, Query(pattern="^(json|csv|xlsx)$")] = "json", lang: str = "zh") -> Response:
    return _export(_rows(request, scheme, status, period), format, "en" if lang == "en" else "zh")


@router.get("/api/finance/subsidies/policy", summary="贴息与风险补偿政策 / the policy")
def api_policy(request: Request, user: Staff) -> JSONResponse:
    return JSONResponse(jsonable([_policy().describe()])[0])


@router.post("/api/finance/subsidies/compute", summary="核算一笔（不记账）/ compute one claim with its rule trace")
def api_compute(request: Request, user: Staff, claim: ClaimIn) -> JSONResponse:
    from hvpatent.finance import LedgerError, compute_claim

    check_csrf(request, request.headers.get("x-csrf-token"))
    policy, day = _policy(), claim.as_of or date.today()
    try:
        result = analytics(request).compute(lambda con: compute_claim(
            con, claim.scheme, claim.contract_no.strip(), claim.period.strip(), claim.claimed_yuan, policy=policy,
            as_of=day, ledger=con.con))
    except LedgerError as err:
        raise HTTPException(422, str(err)) from err
    return JSONResponse(jsonable([result])[0])


@router.post("/api/finance/subsidies/apply", summary="登记申请 / record a claim (X-CSRF-Token)")
def api_apply(request: Request, user: Staff, claim: ClaimIn) -> JSONResponse:
    check_csrf(request, request.headers.get("x-csrf-token"))
    return JSONResponse(jsonable([_apply(request, user, claim)])[0])


@router.post("/api/finance/subsidies/decide", summary="核准或不予核准 / approve or reject a claim (X-CSRF-Token)")
def api_decide(request: Request, user: Staff, decision: DecisionIn) -> JSONResponse:
    check_csrf(request, request.headers.get("x-csrf-token"))
    return JSONResponse(jsonable([_decide(request, user, decision)])[0])


@router.post("/api/finance/subsidies/pay",
             summary="拨付已核准的申请 / pay the approved claims in a batch (X-CSRF-Token)")
def api_pay(request: Request, user: Staff, payment: PaymentIn, lang: str = "zh") -> Response:
    check_csrf(request, request.headers.get("x-csrf-token"))
    rows = _pay(request, user, payment.batch)
    if payment.format == "json":
        return JSONResponse(jsonable(rows))
    return _xlsx(rows, "en" if lang == "en" else "zh", payment.batch.strip())


# -- the page ------------------------------------------------------------------------------------------------------

def _page(request: Request, user: User, scheme: str | None, status: str | None, period: str | None, *,
          error: str | None = None, done: str | None = None, code: int = 200) -> HTMLResponse:
    from hvpatent.finance import LEDGER_STATUS_WORDS, LEDGER_STATUSES, RULE_WORDS, SCHEME_WORDS, SCHEMES

    lang = _lang(request)
    i = 0 if lang == "zh" else 1
    rows = _rows(request, scheme, status, period)
    policy = _policy()
    version = policy.versions[-1]
    summary = (f"{version.version} · {SCHEME_WORDS['interest_subsidy'][i]} {version.interest_subsidy.share:.0%}, "
               f"{('每户每年上限', 'cap per enterprise and year')[i]} "
               f"{version.interest_subsidy.cap_per_enterprise_year_yuan:,.0f} · "
               f"{SCHEME_WORDS['risk_compensation'][i]} {version.risk_compensation.share:.0%}, "
               f"{('每笔上限', 'cap per contract')[i]} {version.risk_compensation.cap_per_contract_yuan:,.0f}")
    params = [(k, v) for k, v in (("scheme", scheme), ("status", status), ("period", period)) if v]
    response = _render(
        request, "finance_subsidies.html", user, "finance_subsidies", title=WORDS["title"][i], rows=rows,
        w={k: v[i] for k, v in WORDS.items()}, schemes={s: SCHEME_WORDS[s][i] for s in SCHEMES},
        statuses={s: LEDGER_STATUS_WORDS[s][i] for s in LEDGER_STATUSES},
        rules={k: v[i] for k, v in RULE_WORDS.items()},
        scheme=scheme, status=status, period=period, error=error, done=done, policy_summary=summary,
        export_url=f"/api/finance/subsidies?{urlencode([*params, ('format', 'xlsx'), ('lang', lang)])}")
    response.status_code = code
    return response


def _filters(scheme: str | None, status: str | None, period: str | None) -> tuple[str | None, ...]:
    from hvpatent.finance import LEDGER_STATUSES, SCHEMES, LedgerError, period_range

    if scheme and scheme not in SCHEMES:
        raise HTTPException(422, f"scheme：可用 / one of {' | '.join(SCHEMES)}")
    if status and status not in LEDGER_STATUSES:
        raise HTTPException(422, f"status：可用 / one of {' | '.join(LEDGER_STATUSES)}")
    if period:
        try:
            period_range(period)
        except LedgerError as err:
            raise HTTPException(422, str(err)) from err
    return scheme or None, status or None, period or None


@router.get("/finance/subsidies", response_class=HTMLResponse, include_in_schema=False)
def subsidies_page(request: Request, scheme: SchemeQ = None, status: StatusQ = None, period: PeriodQ = None,
                   done: Annotated[str | None, Query(max_length=200)] = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    return _page(request, user, *_filters(scheme, status, period), done=done)


def _form_step(request: Request, user: User, work) -> Response:
    """A form's change: back to the list with a note when done (303), the list with the reason when refused."""
    try:
        done = work()
    except HTTPException as err:
        if err.status_code not in (422, 503):
            raise
        return _page(request, user, None, None, None, error=str(err.detail), code=err.status_code)
    return RedirectResponse(f"/finance/subsidies?{urlencode({'done': done})}", status_code=303)


@router.post("/finance/subsidies/apply", include_in_schema=False)
def apply_form(request: Request, csrf: Annotated[str, Form()], scheme: Annotated[str, Form(max_length=20)] = "",
               contract_no: Annotated[str, Form(max_length=100)] = "", period: Annotated[str, Form(max_length=7)] = "",
               claimed_yuan: Annotated[str, Form(max_length=20)] = "") -> Response:
    user = _user(request, *STAFF)
    check_csrf(request, csrf)

    def work() -> str:
        try:
            claim = ClaimIn(scheme=scheme, contract_no=contract_no, period=period, claimed_yuan=float(claimed_yuan))
        except ValueError as err:
            raise HTTPException(422, "请填写项目、质押登记号、期间和大于 0 的金额 / scheme, contract number, "
                                     "period and an amount above 0 are needed") from err
        row = _apply(request, user, claim)
        return f"{row['contract_no']} {row['period']}: {row['status']} {row['computed_yuan']:,.2f}"

    return _form_step(request, user, work)


@router.post("/finance/subsidies/decide", include_in_schema=False)
def decide_form(request: Request, csrf: Annotated[str, Form()], scheme: Annotated[str, Form(max_length=20)],
                contract_no: Annotated[str, Form(max_length=100)], period: Annotated[str, Form(max_length=7)],
                decision: Annotated[str, Form(pattern="^(approve|reject)$")],
                approved_yuan: Annotated[str, Form(max_length=20)] = "",
                reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    user = _user(request, *STAFF)
    check_csrf(request, csrf)

    def work() -> str:
        try:
            amount = float(approved_yuan) if approved_yuan.strip() else None
            d = DecisionIn(scheme=scheme, contract_no=contract_no, period=period, approve=decision == "approve",
                           approved_yuan=amount, reason=reason or None)
        except ValueError as err:
            raise HTTPException(422, "金额须为大于 0 的数 / the amount must be a number above 0") from err
        row = _decide(request, user, d)
        return f"{row['contract_no']} {row['period']}: {row['status']}"

    return _form_step(request, user, work)


@router.post("/finance/subsidies/pay", include_in_schema=False)
def pay_form(request: Request, csrf: Annotated[str, Form()],
             batch: Annotated[str, Form(max_length=60)] = "") -> Response:
    user = _user(request, *STAFF)
    check_csrf(request, csrf)
    try:
        rows = _pay(request, user, batch)
    except HTTPException as err:
        if err.status_code not in (422, 503):
            raise
        return _page(request, user, None, None, None, error=str(err.detail), code=err.status_code)
    return _xlsx(rows, _lang(request), batch.strip())
