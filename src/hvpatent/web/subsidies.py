"""Subsidies and rewards by policy items for the bureau (知识产权资助奖励, docs/subsidies.md "pages and API"):
/subsidies (what each patent or enterprise is eligible for in a period, with each row's rule trace, and a form to
record the applications), /subsidies/ledger (review, approve or reject, pay a batch — the answer is the finance
office's xlsx — and claw back), /subsidies/budget (spend against the budget, a table and a chart) and
/subsidies/whatif (next year's spend under a variant policy and its expected high-value effect), with their API
twins under /api/subsidies.  Staff only (admin, analyst): an enterprise or bank account gets 403.  The subsidies
room (its door ``hvpatent.subsidies``) does the work: reads through ``Analytics.compute`` (never cached: the ledger
changes without an import), changes on the warehouse's connection under its write lock.  No SQL here."""

from __future__ import annotations

import io
import json
import re
import tempfile
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from hvpatent.warehouse.accounts import User
from hvpatent.web import inputs
from hvpatent.web.api import XLSX, _table_response, analytics, jsonable
from hvpatent.web.pages import STAFF, _lang, _render, _user
from hvpatent.web.security import check_csrf, require
from hvpatent.web.writes import ledger_write

router = APIRouter()
Staff = Annotated[User, Depends(require(*STAFF))]
PeriodQ = Annotated[str | None, Query(max_length=7, description="YYYY | YYYY-Qn | YYYY-Hn")]
ItemQ = Annotated[str | None, Query(max_length=60, description="a policy item's id")]
PayeeQ = Annotated[str | None, Query(max_length=200, description="the payee's name (normalised as the registry does)")]
StatusQ = Annotated[str | None, Query(max_length=12, description="applied | reviewed | approved | rejected | paid | "
                                                                  "clawed_back")]
BatchQ = Annotated[str | None, Query(max_length=60)]
YearQ = Annotated[str | None, Query(max_length=4, description="YYYY")]
AsOfQ = Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD")]
FmtQ = Annotated[str, Query(pattern="^(json|csv|xlsx)$")]
PAGE_ROWS = 200                 # rows of the eligible page at a time
MAX_VARIANT_BYTES = 256 << 10   # a policy variant is a few KiB of YAML; more is not one
MAX_KEYS = 2000                 # ledger keys in one change
KEY_TEXT = 300
WORDS: dict[str, tuple[str, str]] = {
    "title": ("资助奖励", "Subsidies and rewards"), "ledger_title": ("资助奖励台账", "Subsidy ledger"),
    "budget_title": ("资助预算执行", "Subsidy spend against budget"),
    "whatif_title": ("资助政策调整测算", "Policy what-if"),
    "eligible_nav": ("符合条件", "Eligible"), "ledger_nav": ("台账", "Ledger"), "budget_nav": ("预算", "Budget"),
    "whatif_nav": ("政策测算", "What-if"), "period": ("期间", "Period"),
    "as_of": ("核算日", "Assessed on"), "item": ("资助项目", "Item"),
    "payee": ("受资助单位", "Payee"), "all": ("全部", "All"), "show": ("显示", "Show"),
    "show_all": ("含不符合条件的", "Include ineligible"), "page": ("页", "Page"), "rows": ("条", "rows"),
    "prev": ("上一页", "Previous"), "next": ("下一页", "Next"), "subject": ("对象", "Subject"),
    "event_date": ("事项日期", "Event date"), "version": ("政策版本", "Policy version"),
    "town": ("镇街", "Town"), "gross": ("标准金额（元）", "Gross (yuan)"),
    "amount": ("资助金额（元）", "Amount (yuan)"),
    "eligible": ("符合条件", "Eligible"), "yes": ("是", "yes"), "no": ("否", "no"),
    "reasons": ("未通过的规则", "Failed rules"), "ledger_status": ("台账状态", "Ledger status"),
    "trace": ("核算过程", "Rule trace"), "rule": ("规则", "Rule"), "facts": ("依据", "Facts"),
    "result": ("结果", "Result"), "totals": ("按项目合计", "Totals per item"), "count": ("件数", "Count"),
    "none": ("暂无记录", "Nothing to show"), "done": ("已完成", "Done"), "errors": ("未完成：", "Not done:"),
    "apply_title": ("登记本期申请（勾选的行；不勾选则登记全部符合条件的）",
                    "Record applications for the period (the ticked rows; none ticked: every eligible row)"),
    "apply": ("登记申请", "Record applications"), "finance_ledger": ("经贴息台账拨付", "paid via the finance ledger"),
    "status": ("状态", "Status"), "batch": ("拨付批次", "Payment batch"),
    "computed": ("核算金额（元）", "Computed (yuan)"),
    "approved": ("核准金额（元）", "Approved (yuan)"), "note": ("备注/理由", "Note / reason"),
    "review_pass": ("初审通过", "Review: pass"), "review_fail": ("初审不通过", "Review: fail"),
    "approve": ("核准", "Approve"), "reject": ("不予核准", "Reject"),
    "act_title": ("对勾选的行：", "For the ticked rows:"),
    "pay_title": ("拨付：已核准的申请记为已拨付，并下载拨付清单（Excel）",
                  "Pay: the approved rows become paid; download the batch for the finance office (xlsx)"),
    "pay": ("拨付并下载", "Pay and download"), "export": ("导出", "Export"),
    "clawbacks": ("应追回的资助", "Clawbacks due"), "clawback": ("追回", "Claw back"),
    "reason": ("理由", "Reason"), "clawback_amount": ("追回金额（空=全部）", "Amount (empty = all)"),
    "year": ("年度", "Year"), "by": ("分组", "By"), "committed": ("已核准（元）", "Committed (yuan)"),
    "paid": ("已拨付（元）", "Paid (yuan)"), "clawed_back": ("已追回（元）", "Clawed back (yuan)"),
    "budget": ("预算（元）", "Budget (yuan)"), "remaining": ("余额（元）", "Remaining (yuan)"),
    "variant": ("政策方案（YAML，≤256 KiB；不上传则用示例方案）",
                "Variant policy (YAML, ≤ 256 KiB; none: the shipped example)"),
    "compute": ("测算", "Compute"), "base": ("现行政策", "Current policy"), "variant_col": ("调整方案", "Variant"),
    "base_count": ("现行件数", "Base count"), "base_yuan": ("现行金额（元）", "Base (yuan)"),
    "variant_count": ("方案件数", "Variant count"), "variant_yuan": ("方案金额（元）", "Variant (yuan)"),
    "high_value": ("预计高价值发明专利", "Expected high-value invention patents"),
    "expected": ("预计新增", "Expected new"), "per_10k": ("每万人口", "Per 10,000 people"),
    "population": ("人口", "Population"), "assumptions": ("测算假设", "Assumptions"),
    "variant_file": ("方案文件", "Variant file"), "total": ("合计", "Total"), "key": ("申请编号", "Key"),
}
BY_WORDS: dict[str, tuple[str, str]] = {"item": ("资助项目", "Item"), "town": ("镇街", "Town"),
                                        "industry": ("产业", "Industry"), "applicant_type": ("申请人类型",
                                                                                        "Applicant type")}


def _i(request: Request) -> int:
    return 0 if _lang(request) == "zh" else 1


def _words(request: Request) -> dict[str, str]:
    i = _i(request)
    return {k: v[i] for k, v in WORDS.items()}


# -- inputs ----------------------------------------------------------------------------------------------------------

def _today(request: Request) -> date:
    return inputs.as_of(request.app.state.default_as_of or date.today())


def _period(text: str | None, request: Request) -> tuple[str, date, date]:
    """The period asked (default: the current year), its first and last day; 422 naming it when not one."""
    from hvpatent.finance.ledger import LedgerError, period_range

    period = (text or "").strip() or str(_today(request).year)
    try:
        first, last = period_range(period)
    except LedgerError as err:
        raise inputs.invalid("period", period, "YYYY | YYYY-Q1…Q4 | YYYY-H1/H2") from err
    return period, first, last


def _as_of(text: str | None, request: Request, last: date) -> date:
    """The assessment day: the one asked, else the period's last day or today when that is earlier."""
    if text:
        try:
            return inputs.as_of(date.fromisoformat(text))
        except ValueError as err:
            raise inputs.invalid("as_of", text, "YYYY-MM-DD") from err
    return min(last, _today(request))


def _year(text: str | None, request: Request, default: int, low: int = 1990) -> int:
    year = inputs.integer("year", text, low, 2100)
    return default if year is None else year


def _payee(text: str | None) -> str | None:
    from hvpatent.ingest.fields import normalize_name

    return normalize_name(text.strip()) if text and text.strip() else None


def _item(text: str | None, policy) -> str | None:
    if not text:
        return None
    return inputs.choice("item", text, tuple(policy.item_ids()))


def _status(text: str | None) -> str | None:
    from hvpatent.subsidies import LEDGER_STATUSES

    return inputs.choice("status", text, LEDGER_STATUSES) if text else None


def _keys(texts: list[str]) -> list[tuple[str, str, str]]:
    """Ledger keys from their text form ``item|subject_key|period``; 422 naming the first bad one."""
    from hvpatent.subsidies import SubsidyError, parse_key

    if len(texts) > MAX_KEYS:
        raise HTTPException(422, f"key：最多 {MAX_KEYS} 个 / key: at most {MAX_KEYS}")
    if any(len(t) > KEY_TEXT for t in texts):
        raise HTTPException(422, f"key：超过 {KEY_TEXT} 个字符 / key: longer than {KEY_TEXT} characters")
    try:
        return [parse_key(t.strip()) for t in texts]
    except SubsidyError as err:
        raise HTTPException(422, str(err)) from err


def _policy():
    """The policy in force for the app (the user's copy, else the shipped one); a broken file is the server's
    fault, said plainly (file and field), not a traceback."""
    from hvpatent.subsidies import PolicyError, load_policy

    try:
        return load_policy()
    except PolicyError as err:
        raise HTTPException(500, f"资助政策文件有误 / bad subsidy policy file: {err}") from err


def _variant_example() -> Path:
    import hvpatent.subsidies

    return Path(hvpatent.subsidies.__file__).parent / "variant-example.yaml"


def _load_variant(data: bytes, name: str):
    """A variant policy from an upload: 413 when too large, 422 with the file and field when it cannot be used."""
    from hvpatent.subsidies import PolicyError
    from hvpatent.subsidies.policy import policy_from_bytes

    if len(data) > MAX_VARIANT_BYTES:
        raise HTTPException(413, f"{name}：文件超过 256 KiB / {name}: larger than 256 KiB")
    try:
        return policy_from_bytes(data, name)
    except PolicyError as err:
        raise HTTPException(422, str(err)) from err


# -- the room's work ----------------------------------------------------------------------------------------------

def _eligible(request: Request, period: str, as_of: date, item: str | None, payee: str | None,
              show_all: bool) -> list[dict]:
    from hvpatent.subsidies import eligible

    policy = _policy()
    items = (item,) if item else None
    rows = analytics(request).compute(lambda con: eligible(con, policy, period, as_of=as_of, ledger=con.con,
                                                           payee=payee, items=items))
    return rows if show_all else [r for r in rows if r["eligible"]]


def _ledger(request: Request, **filters) -> list[dict]:
    from hvpatent.subsidies import ledger_rows

    return analytics(request).compute(lambda con: ledger_rows(con.con, **filters))


def _write(request: Request, change: Callable):
    """``change(duck, con)`` under the write lock (web/writes.py): 503 when an import holds it, 422 with the reason
    for a change the ledger refuses."""
    from hvpatent.subsidies import SubsidyError

    return ledger_write(request, change, SubsidyError)


def _apply(request: Request, user: User, period: str, as_of: date, keys: list | None, payee: str | None,
           items: tuple[str, ...] | None) -> dict:
    from hvpatent.subsidies import apply_items

    policy = _policy()
    return _write(request, lambda duck, con: apply_items(duck, con, policy, period, as_of=as_of, by=user.username,
                                                         keys=keys or None, payee=payee, items=items))


def _review(request: Request, user: User, keys: list, passed: bool, note: str | None) -> list[dict]:
    from hvpatent.subsidies import review

    return _write(request, lambda duck, con: review(duck, keys, passed=passed, by=user.username, note=note))


def _decide(request: Request, user: User, keys: list, approve: bool, note: str | None) -> list[dict]:
    from hvpatent.subsidies import decide

    policy = _policy()
    return _write(request, lambda duck, con: decide(duck, policy, keys, approve=approve, by=user.username,
                                                    note=note))


def _pay(request: Request, user: User, batch: str, keys: list | None) -> list[dict]:
    from hvpatent.subsidies import pay

    if not batch.strip():
        raise HTTPException(422, "batch：请填写拨付批次 / batch: a payment batch name is needed")
    return _write(request, lambda duck, con: pay(duck, batch.strip(), by=user.username, keys=keys or None))


def _claw_back(request: Request, user: User, key: tuple, reason: str, amount: Decimal | None) -> dict:
    from hvpatent.subsidies import claw_back

    return _write(request, lambda duck, con: claw_back(duck, key, by=user.username, reason=reason,
                                                       amount_yuan=amount))


def _clawbacks(request: Request) -> list[dict]:
    from hvpatent.subsidies import clawback_words, clawbacks_due

    policy, day = _policy(), _today(request)
    rows = analytics(request).compute(lambda con: clawbacks_due(con.con, con, policy, day))
    return [{**r, "why": clawback_words(r)} for r in rows]  # (zh, en): the page picks its language


def _spend(request: Request, year: int, by: str) -> list[dict]:
    from hvpatent.subsidies import spend

    policy = _policy()
    return analytics(request).compute(lambda con: spend(con.con, year, by=by, policy=policy))


def _projection(request: Request, variant, year: int) -> dict:
    from hvpatent.subsidies import projection

    base, day = _policy(), _today(request)
    return analytics(request).compute(lambda con: projection(con, con.con, base, variant, year, as_of=day))


def _xlsx(rows: list[dict], lang: str, batch: str | None) -> StreamingResponse:
    from hvpatent.subsidies import write_batch_xlsx

    with tempfile.TemporaryDirectory() as tmp:
        data = write_batch_xlsx(rows, Path(tmp) / "batch.xlsx", lang=lang, batch=batch).read_bytes()
    name = quote(f"资助拨付批次-{batch}" if batch else "资助奖励台账")
    return StreamingResponse(io.BytesIO(data), media_type=XLSX,
                             headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}.xlsx"})


def _flat(rows: list[dict]) -> list[dict]:
    """Rows for csv/xlsx: the trace (a list of steps) as one JSON cell, so a spreadsheet keeps it whole."""
    return [{**r, "trace": json.dumps(jsonable([{"t": r["trace"]}])[0]["t"], ensure_ascii=False)}
            if isinstance(r.get("trace"), list) else r for r in rows]


def _export(rows: list[dict], fmt: str, name: str) -> Response:
    return _table_response(rows if fmt == "json" else _flat(rows), fmt, name)


def _ledger_export(rows: list[dict], fmt: str, lang: str) -> Response:
    """The ledger: xlsx as the finance office reads it (write_batch_xlsx: words for headers and statuses, a summary
    sheet); json and csv with every column, the trace as one JSON cell in csv."""
    if fmt == "xlsx":
        return _xlsx(rows, lang, None)
    return _export(rows, fmt, "资助奖励台账")


def _yuan(value: object) -> str:
    """An amount as the pages show it: thousands separated, two decimals; '—' for none."""
    return "—" if value is None else f"{Decimal(str(value)):,.2f}"


def _key_text(row: dict) -> str:
    from hvpatent.subsidies import key_text

    return key_text(row["item"], row["subject_key"], row["period"])


# -- API ---------------------------------------------------------------------------------------------------------

class ApplyIn(BaseModel):
    period: str = Field(min_length=4, max_length=7)
    keys: list[Annotated[str, Field(min_length=5, max_length=KEY_TEXT)]] | None = Field(default=None,
                                                                                         max_length=MAX_KEYS)
    payee: str | None = Field(default=None, max_length=200)
    items: list[Annotated[str, Field(max_length=60)]] | None = Field(default=None, max_length=50)
    as_of: date | None = None


class KeysIn(BaseModel):
    keys: list[Annotated[str, Field(min_length=5, max_length=KEY_TEXT)]] = Field(min_length=1, max_length=MAX_KEYS)
    note: str | None = Field(default=None, max_length=500)


class ReviewIn(KeysIn):
    passed: bool


class DecisionIn(KeysIn):
    approve: bool


class PaymentIn(BaseModel):
    batch: str = Field(min_length=1, max_length=60)
    keys: list[Annotated[str, Field(min_length=5, max_length=KEY_TEXT)]] | None = Field(default=None,
                                                                                         max_length=MAX_KEYS)
    format: Literal["json", "xlsx"] = "xlsx"


class ClawbackIn(BaseModel):
    key: str = Field(min_length=5, max_length=KEY_TEXT)
    reason: str = Field(min_length=1, max_length=500)
    amount_yuan: Decimal | None = Field(default=None, gt=0, lt=Decimal("1e13"), decimal_places=2)


@router.get("/api/subsidies/policy", summary="资助奖励政策 / the subsidy policy (every version and item)")
def api_policy(request: Request, user: Staff) -> JSONResponse:
    return JSONResponse(jsonable([_policy().to_dict()])[0])


@router.get("/api/subsidies/eligible", summary="符合条件的资助事项及核算过程 / eligible rows with their rule trace")
def api_eligible(request: Request, user: Staff, period: PeriodQ = None, item: ItemQ = None, payee: PayeeQ = None,
                 show: Annotated[str | None, Query(pattern="^all$")] = None, as_of: AsOfQ = None,
                 format: FmtQ = "json") -> Response:
    period, _, last = _period(period, request)
    rows = _eligible(request, period, _as_of(as_of, request, last), _item(item, _policy()), _payee(payee),
                     show == "all")
    return _export(rows, format, f"资助奖励-符合条件-{period}")


@router.get("/api/subsidies/ledger", summary="资助奖励台账 / the subsidy ledger")
def api_ledger(request: Request, user: Staff, period: PeriodQ = None, item: ItemQ = None, status: StatusQ = None,
               payee: PayeeQ = None, batch: BatchQ = None, format: FmtQ = "json", lang: str = "zh") -> Response:
    filters = _ledger_filters(request, period, item, status, payee, batch)
    return _ledger_export(_ledger(request, **filters), format, "en" if lang == "en" else "zh")


@router.get("/api/subsidies/clawbacks", summary="应追回的资助 / paid rows due for clawback")
def api_clawbacks(request: Request, user: Staff) -> JSONResponse:
    return JSONResponse(jsonable(_clawbacks(request)))


@router.get("/api/subsidies/budget", summary="资助预算执行 / spend against the budget")
def api_budget(request: Request, user: Staff, year: YearQ = None,
               by: Annotated[str, Query(max_length=20)] = "item") -> JSONResponse:
    from hvpatent.subsidies import SPEND_DIMENSIONS

    year_n = _year(year, request, _today(request).year)
    return JSONResponse(jsonable(_spend(request, year_n, inputs.choice("by", by, SPEND_DIMENSIONS))))


@router.get("/api/subsidies/whatif", summary="政策调整测算（示例方案）/ what-if with the shipped example variant")
def api_whatif(request: Request, user: Staff, year: YearQ = None) -> JSONResponse:
    from hvpatent.subsidies import load_policy

    year_n = _year(year, request, _today(request).year + 1, low=1991)  # the basis is the year before
    return JSONResponse(jsonable([_projection(request, load_policy(_variant_example()), year_n)])[0])


@router.post("/api/subsidies/apply", summary="登记申请 / record applications for a period (X-CSRF-Token)")
def api_apply(request: Request, user: Staff, body: ApplyIn) -> JSONResponse:
    check_csrf(request, request.headers.get("x-csrf-token"))
    period, _, last = _period(body.period, request)
    policy = _policy()
    items = tuple(_item(i, policy) for i in body.items) if body.items else None
    as_of = inputs.as_of(body.as_of) if body.as_of else _as_of(None, request, last)
    keys = _keys(body.keys) if body.keys else None
    return JSONResponse(jsonable([_apply(request, user, period, as_of, keys, _payee(body.payee), items)])[0])


@router.post("/api/subsidies/review", summary="初审 / review applied rows: pass or fail (X-CSRF-Token)")
def api_review(request: Request, user: Staff, body: ReviewIn) -> JSONResponse:
    check_csrf(request, request.headers.get("x-csrf-token"))
    return JSONResponse(jsonable(_review(request, user, _keys(body.keys), body.passed, body.note)))


@router.post("/api/subsidies/decide", summary="核准或不予核准 / approve or reject reviewed rows (X-CSRF-Token)")
def api_decide(request: Request, user: Staff, body: DecisionIn) -> JSONResponse:
    check_csrf(request, request.headers.get("x-csrf-token"))
    return JSONResponse(jsonable(_decide(request, user, _keys(body.keys), body.approve, body.note)))


@router.post("/api/subsidies/pay", summary="拨付已核准的申请 / pay the approved rows as a batch (X-CSRF-Token)")
def api_pay(request: Request, user: Staff, body: PaymentIn, lang: str = "zh") -> Response:
    check_csrf(request, request.headers.get("x-csrf-token"))
    rows = _pay(request, user, body.batch, _keys(body.keys) if body.keys else None)
    if body.format == "json":
        return JSONResponse(jsonable(rows))
    return _xlsx(rows, "en" if lang == "en" else "zh", body.batch.strip())


@router.post("/api/subsidies/clawback", summary="追回 / claw back a paid row (X-CSRF-Token)")
def api_clawback(request: Request, user: Staff, body: ClawbackIn) -> JSONResponse:
    check_csrf(request, request.headers.get("x-csrf-token"))
    key = _keys([body.key])[0]
    return JSONResponse(jsonable([_claw_back(request, user, key, body.reason.strip(), body.amount_yuan)])[0])


# -- pages ---------------------------------------------------------------------------------------------------------

def _page(request: Request, user: User, template: str, code: int = 200, **context) -> HTMLResponse:
    from hvpatent.subsidies import LEDGER_STATUS_WORDS, RULE_WORDS

    i = _i(request)
    response = _render(request, template, user, "subsidies", w=_words(request),
                       rules={k: v[i] for k, v in RULE_WORDS.items()},
                       statuses={k: v[i] for k, v in LEDGER_STATUS_WORDS.items()}, yuan=_yuan, **context)
    response.status_code = code
    return response


def _totals(rows: list[dict], i: int) -> list[dict]:
    """Eligible rows and their amounts per item, in the order the items first appear."""
    totals: dict[str, dict] = {}
    for r in rows:
        t = totals.setdefault(r["item"], {"item": r["item"], "name": (r["item_zh"], r["item_en"])[i], "count": 0,
                                          "amount": Decimal(0)})
        if r["eligible"]:
            t["count"] += 1
            t["amount"] += Decimal(r["amount_yuan"])
    return list(totals.values())


@router.get("/subsidies", response_class=HTMLResponse, include_in_schema=False)
def eligible_page(request: Request, period: PeriodQ = None, item: ItemQ = None, payee: PayeeQ = None,
                  show: Annotated[str | None, Query(pattern="^all$")] = None, as_of: AsOfQ = None,
                  done: Annotated[str | None, Query(max_length=300)] = None,
                  page: Annotated[str | None, Query(max_length=6)] = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    return _eligible_view(request, user, period, item, payee, show == "all", as_of, done=done,
                          page=inputs.integer("page", page, 1, 99999) or 1)


def _eligible_view(request: Request, user: User, period: str | None, item: str | None, payee: str | None,
                   show_all: bool, as_of: str | None, *, done: str | None = None, error: str | None = None,
                   code: int = 200, page: int = 1) -> HTMLResponse:
    period, _, last = _period(period, request)
    policy = _policy()
    day = _as_of(as_of, request, last)
    rows = _eligible(request, period, day, _item(item, policy), _payee(payee), show_all)
    i = _i(request)
    items = {v.id: (v.name_zh, v.name_en)[i] for ver in policy.versions for v in ver.items}
    params = [(k, v) for k, v in (("period", period), ("item", item), ("payee", payee),
                                  ("show", "all" if show_all else None)) if v]
    # A district's year is thousands of rows, each with its trace: the page shows PAGE_ROWS at a time (the totals
    # and the export cover them all).
    pages = max(1, -(-len(rows) // PAGE_ROWS))
    page = min(page, pages)
    shown = rows[(page - 1) * PAGE_ROWS:page * PAGE_ROWS]
    return _page(request, user, "subsidies.html", code, title=WORDS["title"][i], rows=shown, totals=_totals(rows, i),
                 items=items, period=period, item=item, payee=payee or "", show_all=show_all, as_of=day, done=done,
                 error=error, key_text=_key_text, page=page, pages=pages, row_count=len(rows),
                 page_url=lambda n: f"/subsidies?{urlencode([*params, ('page', n)])}",
                 export_url=f"/api/subsidies/eligible?{urlencode([*params, ('format', 'xlsx')])}")


def _form_step(request: Request, user: User, work: Callable[[], str], back: str) -> Response:
    """A form's change: back to ``back`` with a note when done (303); the reason on an error page when refused."""
    try:
        done = work()
    except HTTPException as err:
        if err.status_code not in (413, 422, 503):
            raise
        from hvpatent.web.pages import error_page

        return error_page(request, err.status_code, str(err.detail))
    sep = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{sep}{urlencode({'done': done[:300]})}", status_code=303)


@router.post("/subsidies/apply", include_in_schema=False)
def apply_form(request: Request, csrf: Annotated[str, Form()], period: Annotated[str, Form(max_length=7)] = "",
               key: Annotated[list[str] | None, Form()] = None,
               item: Annotated[str, Form(max_length=60)] = "",
               payee: Annotated[str, Form(max_length=200)] = "") -> Response:
    user = _user(request, *STAFF)
    check_csrf(request, csrf)
    # a bad period is the form's own error (a 422 page naming it), before anything is written
    period, _, last = _period(period, request)

    def work() -> str:
        keys = _keys(key) if key else None
        items = (_item(item, _policy()),) if item else None
        result = _apply(request, user, period, _as_of(None, request, last), keys, _payee(payee), items)
        return (f"{period}: +{len(result['added'])} · {('已登记', 'already')[_i(request)]} {len(result['already'])}"
                f" · {('不符合', 'ineligible')[_i(request)]} {len(result['ineligible'])}")

    back = f"/subsidies?{urlencode([(k, v) for k, v in (('period', period), ('item', item), ('payee', payee)) if v])}"
    return _form_step(request, user, work, back)


def _ledger_filters(request: Request, period: str | None, item: str | None, status: str | None, payee: str | None,
                    batch: str | None) -> dict:
    return {"period": _period(period, request)[0] if period else None, "item": _item(item, _policy()),
            "status": _status(status), "payee": _payee(payee), "batch": (batch or "").strip() or None}


@router.get("/subsidies/ledger", response_class=HTMLResponse, include_in_schema=False)
def ledger_page(request: Request, period: PeriodQ = None, item: ItemQ = None, status: StatusQ = None,
                payee: PayeeQ = None, batch: BatchQ = None,
                done: Annotated[str | None, Query(max_length=300)] = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    filters = _ledger_filters(request, period, item, status, payee, batch)
    rows = _ledger(request, **filters)
    i, lang = _i(request), _lang(request)
    policy = _policy()
    params = [(k, v) for k, v in (("period", period), ("item", item), ("status", status), ("payee", payee),
                                  ("batch", batch)) if v]
    return _page(request, user, "subsidies_ledger.html", title=WORDS["ledger_title"][i], rows=rows,
                 items={v.id: (v.name_zh, v.name_en)[i] for ver in policy.versions for v in ver.items},
                 clawbacks=_clawbacks(request), f={k: v or "" for k, v in filters.items()}, payee=payee or "",
                 done=done, key_text=_key_text,
                 export_xlsx=f"/api/subsidies/ledger?{urlencode([*params, ('format', 'xlsx'), ('lang', lang)])}",
                 export_csv=f"/api/subsidies/ledger?{urlencode([*params, ('format', 'csv')])}")


@router.post("/subsidies/ledger/act", include_in_schema=False)
def act_form(request: Request, csrf: Annotated[str, Form()],
             action: Annotated[str, Form(pattern="^(pass|fail|approve|reject)$")],
             key: Annotated[list[str] | None, Form()] = None,
             note: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Review (pass/fail) or decide (approve/reject) the ticked rows; a failed review or a rejection needs a note."""
    user = _user(request, *STAFF)
    check_csrf(request, csrf)

    def work() -> str:
        if not key:
            raise HTTPException(422, "key：请勾选至少一行 / key: tick at least one row")
        if action in ("fail", "reject") and not note.strip():
            raise HTTPException(422, "note：不通过或不予核准须写明理由 / note: a failed review or a rejection needs "
                                     "the reason")
        keys = _keys(key)
        if action in ("pass", "fail"):
            rows = _review(request, user, keys, action == "pass", note.strip() or None)
        else:
            rows = _decide(request, user, keys, action == "approve", note.strip() or None)
        return f"{action}: {len(rows)}"

    return _form_step(request, user, work, "/subsidies/ledger")


@router.post("/subsidies/ledger/pay", include_in_schema=False)
def pay_form(request: Request, csrf: Annotated[str, Form()], batch: Annotated[str, Form(max_length=60)] = "",
             key: Annotated[list[str] | None, Form()] = None) -> Response:
    """Pay the approved rows (the ticked ones, or all) as one batch; the answer is the batch's xlsx."""
    user = _user(request, *STAFF)
    check_csrf(request, csrf)
    rows = _pay(request, user, batch, _keys(key) if key else None)
    return _xlsx(rows, _lang(request), batch.strip())


@router.post("/subsidies/ledger/clawback", include_in_schema=False)
def clawback_form(request: Request, csrf: Annotated[str, Form()], key: Annotated[str, Form(max_length=KEY_TEXT)],
                  reason: Annotated[str, Form(max_length=500)] = "",
                  amount_yuan: Annotated[str, Form(max_length=20)] = "") -> Response:
    user = _user(request, *STAFF)
    check_csrf(request, csrf)

    def work() -> str:
        if not reason.strip():
            raise HTTPException(422, "reason：请写明追回理由 / reason: the reason is needed")
        amount = None
        if amount_yuan.strip():
            if not re.fullmatch(r"[0-9]{1,12}(\.[0-9]{1,2})?", amount_yuan.strip()) or not Decimal(amount_yuan):
                raise inputs.invalid("amount_yuan", amount_yuan, "> 0, 2 decimals")
            amount = Decimal(amount_yuan.strip())
        row = _claw_back(request, user, _keys([key])[0], reason.strip(), amount)
        return f"{_key_text(row)}: {row['status']}"

    return _form_step(request, user, work, "/subsidies/ledger")


def _chart(rows: list[dict], i: int, by: str) -> dict:
    """The budget chart's data (static/subsidies.js): one bar group per row."""
    return {"names": [r[("label_zh", "label_en")[i]] or r["key"] for r in rows],
            "committed": [float(r["committed_yuan"] or 0) for r in rows],
            "paid": [float(r["paid_yuan"] or 0) for r in rows],
            "budget": [float(r["budget_yuan"]) if r.get("budget_yuan") is not None else None for r in rows],
            "words": {k: WORDS[k][i] for k in ("committed", "paid", "budget")}, "by": by}


@router.get("/subsidies/budget", response_class=HTMLResponse, include_in_schema=False)
def budget_page(request: Request, year: YearQ = None,
                by: Annotated[str, Query(max_length=20)] = "item") -> HTMLResponse:
    from hvpatent.subsidies import SPEND_DIMENSIONS

    user = _user(request, *STAFF)
    year_n = _year(year, request, _today(request).year)
    by = inputs.choice("by", by, SPEND_DIMENSIONS)
    rows = _spend(request, year_n, by)
    i = _i(request)
    return _page(request, user, "subsidies_budget.html", title=WORDS["budget_title"][i], rows=rows, year=year_n,
                 by=by, dims={d: BY_WORDS.get(d, (d, d))[i] for d in SPEND_DIMENSIONS}, chart=_chart(rows, i, by))


def _whatif_view(request: Request, user: User, year: int, variant, name: str, *, error: str | None = None,
                 code: int = 200) -> HTMLResponse:
    i = _i(request)
    result = _projection(request, variant, year) if variant is not None else None
    return _page(request, user, "subsidies_whatif.html", code, title=WORDS["whatif_title"][i], year=year,
                 result=result, variant_name=name, error=error, lang_i=i)


@router.get("/subsidies/whatif", response_class=HTMLResponse, include_in_schema=False)
def whatif_page(request: Request, year: YearQ = None) -> HTMLResponse:
    from hvpatent.subsidies import load_policy

    user = _user(request, *STAFF)
    year_n = _year(year, request, _today(request).year + 1, low=1991)  # the basis is the year before
    return _whatif_view(request, user, year_n, load_policy(_variant_example()), "variant-example.yaml")


@router.post("/subsidies/whatif", response_class=HTMLResponse, include_in_schema=False)
def whatif_upload(request: Request, csrf: Annotated[str, Form()], file: UploadFile | None = None,
                  year: Annotated[str, Form(max_length=4)] = "") -> HTMLResponse:
    """The projection under an uploaded variant; one that cannot be used is said on the page (file and field)."""
    from hvpatent.subsidies import load_policy

    user = _user(request, *STAFF)
    check_csrf(request, csrf)
    year_n = _year(year or None, request, _today(request).year + 1, low=1991)
    if file is None or not file.filename:
        return _whatif_view(request, user, year_n, load_policy(_variant_example()), "variant-example.yaml")
    data = file.file.read(MAX_VARIANT_BYTES + 1)   # a sync route (threadpool): the projection blocks
    name = Path(file.filename).name[:100]
    try:
        variant = _load_variant(data, name)
    except HTTPException as err:
        return _whatif_view(request, user, year_n, None, name, error=str(err.detail), code=err.status_code)
    return _whatif_view(request, user, year_n, variant, name)
