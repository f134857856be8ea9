"""The bank's workspace (bank role, docs/finance-requests.md): its pledge contracts, the public collateral candidates
and bundles, the risk watch on its pledged patents, its financing requests, a contract's detail and the valuation
sheet (docx) for the loan file.  Pages under /bank, API twins under /api/bank (json | csv | xlsx).

Isolation: a bank account sees the contracts whose pledgee is its bank (registry.bank_filter, the one rule: a head
office sees its branches), its own requests, and the public candidate lists (public patent data only: no other
bank's contract, no enterprise's requests).  A contract that is not its bank's answers 404 exactly as one that does
not exist.  Only the bank role opens these pages: bureau staff read every contract on /finance and every request on
/finance/pipeline, so there is no "view as a bank" here.  A bank account bound to no bank is refused (403).
Reads go through `Analytics.answer`/`compute`; requests are written under the warehouse's write lock; no SQL here.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hvpatent.ingest.appno import AppNoError, normalize_appno
from hvpatent.warehouse.accounts import User
from hvpatent.web.api import _table_response, analytics
from hvpatent.web.pages import _day, _lang, _render, _user
from hvpatent.web.security import check_csrf, require
from hvpatent.web.writes import write_lock

router = APIRouter()
BankUser = Annotated[User, Depends(require("bank"))]   # anonymous → 401, other roles → 403 (JSON)
Fmt3 = Annotated[str, Query(pattern="^(json|csv|xlsx)$", description="json | csv | xlsx")]

CONTRACT_COLUMNS = ("contract_no", "pledgor", "amount_yuan", "loan_start", "loan_end", "registered_date", "status",
                    "patents", "trademarks", "kind")
CANDIDATE_COLUMNS = ("app_no", "title", "patent_type", "applicant_name", "town_code", "grant_date", "term_end",
                     "remaining_years", "next_due_date", "score", "grade", "high_value")
BUNDLE_COLUMNS = ("enterprise_name", "town_code", "candidates", "best_score", "suggested", "suggested_score")
RISK_COLUMNS = ("contract_no", "pledgor", "item_no", "kind", "deadline", "severity", "action", "loan_end")
REQUEST_COLUMNS = ("request_id", "status", "enterprise_name", "app_nos", "amount_yuan", "created_at", "decided_at",
                   "contract_no", "note")
LABELS: dict[str, tuple[str, str]] = {
    "contract_no": ("质押登记号", "Contract no."), "pledgor": ("出质人", "Pledgor"), "pledgee": ("质权人", "Pledgee"),
    "amount_yuan": ("金额(元)", "Amount (CNY)"), "loan_start": ("债务起始日", "Loan start"),
    "loan_end": ("债务到期日", "Loan maturity"), "registered_date": ("登记日", "Registered"),
    "status": ("状态", "Status"),
    "patents": ("专利数", "Patents"), "trademarks": ("商标数", "Trademarks"), "kind": ("类型", "Kind"),
    "app_no": ("申请号", "Application"), "title": ("名称", "Title"), "patent_type": ("专利类型", "Type"),
    "applicant_name": ("专利权人", "Owner"), "town_code": ("镇街", "Town"), "grant_date": ("授权日", "Granted"),
    "term_end": ("期限届满日", "Term ends"), "remaining_years": ("剩余年限", "Years left"),
    "next_due_date": ("下次年费", "Next annuity"), "score": ("评估分", "Score"), "grade": ("等级", "Grade"),
    "high_value": ("高价值", "High-value"), "enterprise_name": ("企业", "Enterprise"),
    "candidates": ("候选专利", "Candidates"), "best_score": ("最高分", "Best score"),
    "suggested": ("建议组合", "Suggested bundle"), "suggested_score": ("组合分", "Bundle score"),
    "item_no": ("质押物", "Item"), "deadline": ("期限", "Deadline"), "severity": ("等级", "Severity"),
    "action": ("应对", "What to do"), "request_id": ("请求编号", "Request"), "app_nos": ("专利", "Patents"),
    "created_at": ("发起时间", "Created"), "decided_at": ("处理时间", "Decided"), "note": ("备注", "Note"),
}
WORDS: dict[str, tuple[str, str]] = {
    "home": ("银行工作台", "Bank workspace"), "contracts": ("本行有效质押合同", "Our active pledge contracts"),
    "alerts": ("风险监测提示", "Risk watch alerts"), "requests": ("融资对接请求", "Financing requests"),
    "candidates": ("可质押专利", "Collateral candidates"), "bundles": ("企业质押组合建议", "Suggested bundles"),
    "risk": ("质押专利风险监测", "Risk watch on pledged patents"), "export": ("导出", "Export"),
    "filter": ("筛选", "Filter"), "town": ("镇街代码", "Town code"),
    "min_years": ("剩余年限不少于", "At least years left"),
    "grade": ("等级", "Grade"), "within": ("天内", "days ahead"), "ask": ("发起对接", "Mark interest"),
    "amount": ("意向金额(元)", "Amount (CNY)"), "note": ("备注", "Note"), "withdraw": ("撤回", "Withdraw"),
    "no_bank": ("此银行账号未绑定银行，请联系管理员", "This bank account is bound to no bank; ask an administrator"),
    "public_note": ("候选清单只含公开专利数据", "Candidates show public patent data only"),
    "items": ("质押物", "Pledged items"), "changes": ("变更", "Changes"), "history": ("登记历史", "History"),
    "sheet": ("评估表", "Valuation sheet"), "none": ("暂无", "None"), "busy": (
        "正在导入数据，请稍后再试", "an import is running; please try again in a minute"),
}
STATUS_WORDS: dict[str, tuple[str, str]] = {
    "active": ("有效", "active"), "released": ("已注销", "released"), "disposed": ("已处置", "disposed"),
}


def _bank_of(user: User) -> str:
    if user.role != "bank":
        raise HTTPException(403, "无权访问 / not allowed for this account")
    if not user.bank:
        raise HTTPException(403, "此银行账号未绑定银行 / this bank account is bound to no bank")
    return user.bank


def _rows(table) -> list[dict]:
    return table.to_pyarrow().to_pylist()


def rows_response(rows: list[dict], fmt: str, name: str) -> Response:
    """json, csv or xlsx: the API's one table response (lists as one cell, every text cell made safe)."""
    return _table_response(rows, fmt, name)


# -- reads (the finance room's door through Analytics) ------------------------------------------------------
def bank_contracts(request: Request, bank: str, day: date, *, active_only: bool = True) -> list[dict]:
    from hvpatent.finance import bank_filter, contracts_on

    def compute(con) -> list[dict]:
        table = bank_filter(contracts_on(con, day), bank)
        if active_only:
            table = table.filter(table.status == "active")
        return _rows(table.order_by([table.registered_date.desc(), table.contract_no]))

    return analytics(request).answer(("bank_contracts", bank, day, active_only), compute)


def own_contract(request: Request, bank: str, contract_no: str, day: date) -> dict:
    """The contract's detail when its pledgee is the bank (bank_filter) on the day; 404 otherwise, the same answer
    as for a number that does not exist."""
    from hvpatent.finance import bank_filter, contract_detail, contracts_on

    def compute(con) -> dict | None:
        mine = bank_filter(contracts_on(con, day), bank)
        if mine.filter(mine.contract_no == contract_no).count().to_pyarrow().as_py() == 0:
            return None
        return contract_detail(con, contract_no, day)

    detail = analytics(request).answer(("bank_contract", bank, contract_no, day), compute)
    if detail is None:
        raise HTTPException(404, "没有这份质押合同 / no such pledge contract")
    return detail


def bank_risk(request: Request, bank: str, day: date, within: int) -> list[dict]:
    from hvpatent.finance import risk_watch

    return analytics(request).answer(("bank_risk", bank, day, within),
                                     lambda con: risk_watch(con, day, bank=bank, within_days=within))


def candidates(request: Request, day: date, min_years: float) -> list[dict]:
    """The public candidate list of the plan's region (the same for every bank): computed once per day with no
    minimum term, then cut at ``min_years`` by the candidates' own rule (term_end on or after term_threshold), so
    each filter does not score the region again."""
    from hvpatent.finance import collateral_candidates, term_threshold
    from hvpatent.web.cultivation import value_frame_of

    region = analytics(request).plan.region
    frame = value_frame_of(request, day)  # the day's value frame the value pages keep: scored once for all
    rows = analytics(request).answer(
        ("bank_candidates", day, region),
        lambda con: collateral_candidates(con, day, region=region, min_remaining_years=0.0, frame=frame))
    threshold = term_threshold(day, min_years)
    return [r for r in rows if r["term_end"] is not None and r["term_end"] >= threshold]


def _filtered(rows: list[dict], town: str | None, grade: str | None) -> list[dict]:
    return [r for r in rows if (not town or str(r.get("town_code") or "").startswith(town))
            and (not grade or str(r.get("grade")) == grade)]


def _bundles(rows: list[dict]) -> list[dict]:
    from hvpatent.finance import candidate_bundles

    return candidate_bundles(rows)


def bank_requests(request: Request, bank: str) -> list[dict]:
    from hvpatent.finance import list_requests
    from hvpatent.web.financing import sync_contracts

    sync_contracts(request)
    return analytics(request).compute(lambda con: list_requests(con.con, bank=bank))


# -- shaping for pages and exports ----------------------------------------------------------------------------
def _i(request: Request) -> int:
    return 0 if _lang(request) == "zh" else 1


def _contract_rows(rows: list[dict], i: int) -> list[dict]:
    return [{**{c: r.get(c) for c in CONTRACT_COLUMNS},
             "status": STATUS_WORDS.get(r.get("status"), (r.get("status"),) * 2)[i]} for r in rows]


def _risk_rows(rows: list[dict], i: int) -> list[dict]:
    return [{**{c: r.get(c) for c in RISK_COLUMNS}, "action": r.get("action_zh" if i == 0 else "action_en"),
             "kind": r.get("label_zh" if i == 0 else "label_en") or r.get("kind")} for r in rows]


def _request_rows(rows: list[dict], i: int) -> list[dict]:
    from hvpatent.finance import REQUEST_STATUS_WORDS

    return [{**{c: r.get(c) for c in REQUEST_COLUMNS}, "status_code": r["status"],
             "status": REQUEST_STATUS_WORDS[r["status"]][i], "app_nos": ";".join(r["app_nos"])} for r in rows]


def request_fields(row: dict, columns: tuple[str, ...] = REQUEST_COLUMNS) -> dict:
    """A request as a bank's API gives it: the page's columns (status as its code, patents as a list), never the
    login names (created_by, decided_by) nor the normalised names the workflow keys on."""
    return {c: row.get(c) for c in columns}


def _labels(i: int) -> dict[str, str]:
    return {k: v[i] for k, v in LABELS.items()}


def _words(i: int) -> dict[str, str]:
    return {k: v[i] for k, v in WORDS.items()}


def _min_years(value: float | None) -> float:
    if value is None:
        return 5.0
    if not 0 <= value <= 20:
        raise HTTPException(422, "min_years: 0–20")
    return value


def _within(value: int) -> int:
    if not 1 <= value <= 730:
        raise HTTPException(422, "within: 1–730")
    return value


# -- pages -----------------------------------------------------------------------------------------------------
@router.get("/bank", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request) -> HTMLResponse:
    user = _user(request, "bank")
    bank, day, i = _bank_of(user), _day(request), _i(request)
    contracts = bank_contracts(request, bank, day)
    alerts = bank_risk(request, bank, day, 90)
    mine = bank_requests(request, bank)
    return _render(request, "bank.html", user, "bank_home", title=WORDS["home"][i], as_of=day, bank=bank,
                   contracts=_contract_rows(contracts, i), columns=CONTRACT_COLUMNS, labels=_labels(i),
                   words=_words(i), alerts=len(alerts), requests=_request_rows(mine, i),
                   request_columns=REQUEST_COLUMNS)


@router.get("/bank/candidates", response_class=HTMLResponse, include_in_schema=False)
def candidates_page(request: Request, town: str | None = None, min_years: float | None = None,
                    grade: str | None = None) -> HTMLResponse:
    user = _user(request, "bank")
    _bank_of(user)
    day, i, years = _day(request), _i(request), _min_years(min_years)
    rows = _filtered(candidates(request, day, years), town, grade)
    params = [(k, v) for k, v in (("as_of", day.isoformat()), ("town", town), ("min_years", min_years),
                                  ("grade", grade)) if v not in (None, "")]
    return _render(request, "bank_candidates.html", user, "bank_candidates", title=WORDS["candidates"][i],
                   as_of=day, rows=rows, columns=CANDIDATE_COLUMNS, bundles=_bundles(rows),
                   bundle_columns=BUNDLE_COLUMNS, labels=_labels(i), words=_words(i), town=town or "",
                   min_years=years, grade=grade or "",
                   export_url=f"/api/bank/candidates?{urlencode([*params, ('format', 'xlsx')])}",
                   bundles_export_url=f"/api/bank/bundles?{urlencode([*params, ('format', 'xlsx')])}")


@router.get("/bank/risk", response_class=HTMLResponse, include_in_schema=False)
def risk_page(request: Request, within: int = 90) -> HTMLResponse:
    user = _user(request, "bank")
    bank, day, i = _bank_of(user), _day(request), _i(request)
    within = _within(within)
    rows = _risk_rows(bank_risk(request, bank, day, within), i)
    export = urlencode({"as_of": day.isoformat(), "within": within, "format": "xlsx"})
    return _render(request, "bank_risk.html", user, "bank_risk", title=WORDS["risk"][i], as_of=day, rows=rows,
                   columns=RISK_COLUMNS, labels=_labels(i), words=_words(i), within=within,
                   export_url=f"/api/bank/risk?{export}")


@router.get("/bank/requests", response_class=HTMLResponse, include_in_schema=False)
def requests_page(request: Request, done: str | None = None) -> HTMLResponse:
    user = _user(request, "bank")
    bank, i = _bank_of(user), _i(request)
    rows = _request_rows(bank_requests(request, bank), i)
    return _render(request, "bank_requests.html", user, "bank_requests", title=WORDS["requests"][i], rows=rows,
                   columns=REQUEST_COLUMNS, labels=_labels(i), words=_words(i), done=(done or "")[:40] or None,
                   export_url="/api/bank/requests?format=xlsx")


@router.get("/bank/contracts/{contract_no}", response_class=HTMLResponse, include_in_schema=False)
def contract_page(request: Request, contract_no: str) -> HTMLResponse:
    user = _user(request, "bank")
    bank, day, i = _bank_of(user), _day(request), _i(request)
    detail = own_contract(request, bank, contract_no, day)
    return _render(request, "bank_contract.html", user, "bank_home", title=contract_no, as_of=day, c=detail,
                   labels=_labels(i), words=_words(i),
                   status=STATUS_WORDS.get(detail.get("status"), (detail.get("status"),) * 2)[i])


def _write(request: Request, change) -> dict:
    """``change(con)`` on the warehouse's connection under its write lock: 503 when an import holds it, 422 with
    the reason for a refused change, 404 for a request that is not there or not the user's; cached answers are
    then of the data before."""
    from hvpatent.finance import RequestError, RequestNotFound

    with write_lock(request) as a:
        try:
            return change(a.warehouse.con)
        except RequestNotFound as err:  # not there, or another's: the same answer
            raise HTTPException(404, str(err)) from err
        except RequestError as err:  # a refused change
            raise HTTPException(422, str(err)) from err
        finally:
            a.changed()


def _create(request: Request, user: User, enterprise: str, app_nos: list[str], amount_yuan, note) -> dict:
    """A request from the public candidate list: every patent must be a current candidate of that enterprise (a
    bank cannot probe who owns what beyond the public list)."""
    from hvpatent.finance import create_request

    bank = _bank_of(user)
    numbers = []
    for raw in app_nos:
        for part in str(raw).replace("；", ";").replace(",", ";").split(";"):
            if part.strip():
                try:
                    numbers.append(normalize_appno(part.strip()))
                except AppNoError as err:
                    raise HTTPException(422, f"app_nos: {part!r}: {err}") from err
    listed = [r for r in candidates(request, _day(request), 0.0) if r["applicant"] == enterprise]
    known = {r["app_no"] for r in listed}
    if not listed or not numbers or not set(numbers) <= known:
        missing = ", ".join(sorted(set(numbers) - known)) or "—"
        raise HTTPException(422, f"app_nos: 不在该企业的可质押专利清单中 / not among the enterprise's collateral "
                                 f"candidates: {missing}")
    name = listed[0].get("applicant_name") or enterprise
    return _write(request, lambda con: create_request(
        con, bank=bank, bank_name=bank, enterprise=enterprise, enterprise_name=name, app_nos=numbers,
        amount_yuan=amount_yuan, note=note, by=user.username))


@router.post("/bank/requests", include_in_schema=False)
def create_form(request: Request, csrf: Annotated[str, Form()],
                enterprise: Annotated[str, Form(max_length=300)],
                app_nos: Annotated[str, Form(max_length=5000)],
                amount_yuan: Annotated[str, Form(max_length=30)] = "",
                note: Annotated[str, Form(max_length=1000)] = ""):
    user = _user(request, "bank")
    check_csrf(request, csrf)
    row = _create(request, user, enterprise.strip(), [app_nos], amount_yuan or None, note)
    return RedirectResponse(f"/bank/requests?{urlencode({'done': row['request_id']})}", status_code=303)


@router.post("/bank/requests/{request_id}/withdraw", include_in_schema=False)
def withdraw_form(request: Request, request_id: str, csrf: Annotated[str, Form()]):
    from hvpatent.finance import withdraw_request

    user = _user(request, "bank")
    check_csrf(request, csrf)
    bank = _bank_of(user)
    _write(request, lambda con: withdraw_request(con, request_id, bank=bank, by=user.username))
    return RedirectResponse(f"/bank/requests?{urlencode({'done': request_id})}", status_code=303)


def _sheet_numbers(request: Request, bank: str, day: date, app_no: list[str], contract_no: str | None) -> list[str]:
    """The patents a bank may have a valuation sheet of: its own contract's patent items (404 when the contract is
    not its bank's), or patents on the public candidate list; anything else is 404."""
    numbers: list[str] = []
    for raw in app_no:
        for part in raw.replace("；", ";").replace(",", ";").split(";"):
            if part.strip():
                try:
                    numbers.append(normalize_appno(part.strip()))
                except AppNoError as err:
                    raise HTTPException(422, f"app_no: {part!r}: {err}") from err
    if contract_no:
        detail = own_contract(request, bank, contract_no, day)
        items = {it.get("item_no") for it in detail.get("items", []) if it.get("item_kind", "patent") == "patent"}
        numbers = numbers or sorted(items)
        if not numbers or not set(numbers) <= items:
            raise HTTPException(404, "质押合同中没有这件专利 / no such patent in the contract")
        return numbers
    public = {r["app_no"] for r in candidates(request, day, 0.0)}
    if not numbers or not set(numbers) <= public:
        raise HTTPException(404, "不在可质押专利清单中 / not on the collateral candidate list")
    return numbers


def _valuation(request: Request, user: User, app_no: list[str], contract_no: str | None) -> Response:
    from urllib.parse import quote

    from hvpatent.reports.valuation import valuation_sheet

    bank, day = _bank_of(user), _day(request)
    numbers = _sheet_numbers(request, bank, day, app_no, contract_no)
    lang = _lang(request)
    from hvpatent.web.cultivation import value_frame_of

    frame = value_frame_of(request, day)
    try:
        data = analytics(request).answer(  # a sheet is some tens of kB: kept like any answer, per data version
            ("bank_valuation", bank, tuple(numbers), contract_no or None, day, lang),
            lambda con: valuation_sheet(con, numbers, day, bank=bank, contract_no=contract_no or None, lang=lang,
                                        frame=frame, pledges_of=bank))  # another bank's pledges: counted, not shown
    except ValueError as err:  # nothing of the contract can be assessed (the warehouse lacks it, a design, ...)
        raise HTTPException(422, str(err)) from err
    name = f"评估表_{contract_no or numbers[0]}.docx"
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@router.get("/bank/valuation", include_in_schema=False)
def valuation_page(request: Request, app_no: Annotated[list[str] | None, Query()] = None,
                   contract_no: str | None = None) -> Response:
    return _valuation(request, _user(request, "bank"), app_no or [], contract_no)


# -- API twins -------------------------------------------------------------------------------------------------
@router.get("/api/bank/contracts", summary="本行质押合同 / the bank's pledge contracts")
def api_contracts(request: Request, user: BankUser, as_of: date | None = None, status: str = "active",
                  format: Fmt3 = "json"):
    if status not in ("active", "all"):
        raise HTTPException(422, "status: active | all")
    rows = bank_contracts(request, _bank_of(user), _day(request), active_only=status == "active")
    return rows_response(rows, format, "质押合同")


@router.get("/api/bank/contracts/{contract_no}", summary="本行质押合同详情 / one of the bank's contracts")
def api_contract(request: Request, user: BankUser, contract_no: str) -> dict:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(own_contract(request, _bank_of(user), contract_no, _day(request)))


@router.get("/api/bank/candidates", summary="可质押专利（公开数据）/ collateral candidates (public data)")
def api_candidates(request: Request, user: BankUser, town: str | None = None, min_years: float | None = None,
                   grade: str | None = None, format: Fmt3 = "json"):
    _bank_of(user)
    rows = _filtered(candidates(request, _day(request), _min_years(min_years)), town, grade)
    return rows_response(rows, format, "可质押专利")


@router.get("/api/bank/bundles", summary="企业质押组合建议 / suggested bundles per enterprise")
def api_bundles(request: Request, user: BankUser, town: str | None = None, min_years: float | None = None,
                grade: str | None = None, format: Fmt3 = "json"):
    _bank_of(user)
    rows = _bundles(_filtered(candidates(request, _day(request), _min_years(min_years)), town, grade))
    return rows_response(rows, format, "质押组合")


@router.get("/api/bank/risk", summary="质押专利风险监测 / risk watch on the bank's pledged patents")
def api_risk(request: Request, user: BankUser, within: int = 90, format: Fmt3 = "json"):
    rows = bank_risk(request, _bank_of(user), _day(request), _within(within))
    return rows_response(rows, format, "风险监测")


@router.get("/api/bank/requests", summary="本行融资对接请求 / the bank's financing requests")
def api_requests(request: Request, user: BankUser, format: Fmt3 = "json"):
    rows = [request_fields(r) for r in bank_requests(request, _bank_of(user))]
    return rows_response(rows, format, "融资对接请求")


@router.post("/api/bank/requests", summary="发起对接请求 / mark interest (X-CSRF-Token)")
def api_create(request: Request, user: BankUser, body: dict) -> dict:
    check_csrf(request, request.headers.get("x-csrf-token"))
    app_nos = body.get("app_nos") or []
    if isinstance(app_nos, str):
        app_nos = [app_nos]
    if not isinstance(app_nos, list) or not isinstance(body.get("enterprise"), str):
        raise HTTPException(422, "enterprise: text; app_nos: a list of application numbers")
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise HTTPException(422, "note: text")
    return request_fields(_create(request, user, body["enterprise"].strip(), [str(a) for a in app_nos],
                                  body.get("amount_yuan"), note))


@router.post("/api/bank/requests/{request_id}/withdraw", summary="撤回对接请求 / withdraw a request (X-CSRF-Token)")
def api_withdraw(request: Request, user: BankUser, request_id: str) -> dict:
    from hvpatent.finance import withdraw_request

    check_csrf(request, request.headers.get("x-csrf-token"))
    bank = _bank_of(user)
    return request_fields(_write(request, lambda con: withdraw_request(con, request_id, bank=bank,
                                                                       by=user.username)))


@router.get("/api/bank/valuation", summary="评估表（docx）/ valuation sheet (docx)")
def api_valuation(request: Request, user: BankUser, app_no: Annotated[list[str] | None, Query()] = None,
                  contract_no: str | None = None) -> Response:
    return _valuation(request, user, app_no or [], contract_no)
