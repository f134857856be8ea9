"""An enterprise's subsidies and rewards (docs/subsidies.md, "pages and API"): /mine/subsidies shows what the
enterprise is eligible for in a period and why (each row's rule trace in words: the facts that made it eligible, the
rule or cap that cut it, the reasons that refused it -- ineligible rows of its own patents too), its ledger rows with
their status, and a form to apply for its eligible rows not yet applied for.  API twins: /api/mine/subsidies and
/api/mine/subsidies/apply.

The enterprise role only (others: 403; anonymous: the login page, 401 for the API).  An enterprise sees and applies
for rows whose payee is its own enterprise (``user.enterprise``, a normalised name) and nothing else: a key that is not
one of its rows in the period -- another payee's, or none at all -- is 404, the same answer either way.  The room's
door does the work, through web/subsidies.py's readers and its write under the warehouse's lock.  No SQL here.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from hvpatent.warehouse.accounts import User
from hvpatent.web.api import analytics, jsonable
from hvpatent.web.pages import _lang, _render, _user
from hvpatent.web.security import check_csrf, require
from hvpatent.web.subsidies import (
    KEY_TEXT,
    MAX_KEYS,
    PeriodQ,
    _as_of,
    _key_text,
    _keys,
    _period,
    _policy,
    _write,
    _yuan,
)

router = APIRouter()
EnterpriseUser = Annotated[User, Depends(require("enterprise"))]
WORDS: dict[str, tuple[str, str]] = {
    "title": ("资助奖励申请", "My subsidies and rewards"),
    "explain": ("下表列出本企业在所选期间按现行资助政策可申请的事项，以及不符合条件的事项和原因。勾选符合条件的事项"
                "后提交申请，由区知识产权局审核、核准并拨付。",
                "What your enterprise may apply for in the period under the subsidy policy in force, and what it "
                "may not and why. Tick eligible rows and apply; the district IP bureau reviews, approves and pays."),
    "period": ("期间", "Period"), "as_of": ("核算日", "Assessed on"), "show": ("显示", "Show"),
    "item": ("资助项目", "Item"),
    "subject": ("对象", "Subject"), "event_date": ("事项日期", "Event date"), "version": ("政策版本", "Policy version"),
    "amount": ("资助金额（元）", "Amount (yuan)"), "gross": ("标准金额（元）", "Gross (yuan)"),
    "eligible": ("符合条件", "Eligible"), "yes": ("是", "yes"), "no": ("否", "no"),
    "why": ("依据与原因", "Why"), "passed": ("符合", "met"), "failed": ("不符合", "not met"),
    "cut": ("金额被上限或预算削减", "cut by a cap or the budget"), "reasons": ("不符合的规则", "Rules not met"),
    "ledger_status": ("申请状态", "Application status"), "finance_ledger": ("经贴息台账拨付", "paid via the finance "
                                                                                            "ledger"),
    "apply_title": ("申请勾选的事项", "Apply for the ticked rows"), "apply": ("提交申请", "Apply"),
    "ledger": ("本企业的资助申请", "Our applications"), "status": ("状态", "Status"),
    "computed": ("核算金额（元）", "Computed (yuan)"), "approved": ("核准金额（元）", "Approved (yuan)"),
    "batch": ("拨付批次", "Payment batch"), "applied_at": ("申请时间", "Applied"), "note": ("备注", "Note"),
    "colon": ("：", ": "), "none": ("暂无", "None"), "done": ("已提交申请", "Applied"),
    "no_enterprise": ("本账户未关联企业，请联系区知识产权局。", "This account is not linked to an enterprise; "
                                                                    "please contact the district IP bureau."),
}


def _i(request: Request) -> int:
    return 0 if _lang(request) == "zh" else 1


def _enterprise(user: User) -> str:
    """The account's enterprise; 403 for any other role (the page is an enterprise's own)."""
    if user.role != "enterprise":
        raise HTTPException(403, "无权访问 / not allowed for this account")
    return user.enterprise or ""


def _mine(request: Request, payee: str, period: str, as_of: date) -> list[dict]:
    """Every row of the period whose payee is ``payee``, eligible or not; none without an enterprise (a payee
    filter of None would be everybody's)."""
    from hvpatent.subsidies import eligible

    if not payee:
        return []
    policy = _policy()
    rows = analytics(request).compute(lambda con: eligible(con, policy, period, as_of=as_of, ledger=con.con,
                                                           payee=payee))
    return [r for r in rows if r["payee"] == payee]  # the filter is the room's; kept here too: never another's


def _ledger(request: Request, payee: str, period: str | None) -> list[dict]:
    from hvpatent.subsidies import ledger_rows

    if not payee:
        return []
    rows = analytics(request).compute(lambda con: ledger_rows(con.con, period=period, payee=payee))
    return [r for r in rows if r["payee"] == payee]


def appliable(row: dict) -> bool:
    """An eligible row that no ledger row holds yet and that is paid here (not via the finance ledger)."""
    return bool(row["eligible"]) and not row["ledger_status"] and not row["paid_via"]


def _apply(request: Request, user: User, period_text: str | None, texts: list[str]) -> dict:
    """Apply for the enterprise's own rows named by their keys; 404 for a key that is not one of them."""
    from hvpatent.subsidies import apply_items

    payee = _enterprise(user)
    period, _, last = _period(period_text, request)
    keys = _keys([t for t in texts if t.strip()])
    if not keys:
        raise HTTPException(422, "key：请勾选要申请的事项 / key: tick the rows to apply for")
    as_of = _as_of(None, request, last)
    own = {_key_text(r): r for r in _mine(request, payee, period, as_of)}
    texts = ["|".join(key) for key in keys]
    for text in texts:
        if text not in own:  # another payee's key reads exactly as a missing one
            raise HTTPException(404, f"没有此事项 / no such row: {text[:KEY_TEXT]}")
    for text in texts:
        if not appliable(own[text]):
            # A row in the ledger (a rejected one included: only the bureau re-opens it) or not eligible: an
            # enterprise applies once, for what it is eligible for.
            status = own[text]["ledger_status"] or ("paid_via_finance" if own[text]["paid_via"] else "ineligible")
            raise HTTPException(422, f"key：{text[:KEY_TEXT]} 已在台账或不符合条件（{status}），不能申请 / "
                                     f"key: {text[:KEY_TEXT]} is in the ledger or not eligible ({status})")
    policy = _policy()
    return _write(request, lambda duck, con: apply_items(duck, con, policy, period, as_of=as_of, by=user.username,
                                                         keys=keys, payee=payee))


def _steps(row: dict, i: int) -> list[dict]:
    """The row's trace as words: the rule's name, the facts it looked at, its result and whether it was met."""
    from hvpatent.subsidies import RULE_WORDS

    out = []
    for step in row.get("trace") or []:
        facts = step.get("facts")
        text = "; ".join(f"{k}={v}" for k, v in facts.items()) if isinstance(facts, dict) else str(facts or "")
        out.append({"rule": RULE_WORDS.get(step["rule"], (step["rule"],) * 2)[i], "facts": text,
                    "result": step.get("result"), "note": step.get("note"), "ok": bool(step.get("ok"))})
    return out


def _view_rows(rows: list[dict], i: int) -> list[dict]:
    from hvpatent.subsidies import LEDGER_STATUS_WORDS, RULE_WORDS

    return [{**r, "key": _key_text(r), "item_name": r["item_zh"] if i == 0 else r["item_en"],
             "steps": _steps(r, i), "appliable": appliable(r),
             "cut": bool(r["eligible"]) and r["amount_yuan"] < r["gross_yuan"],
             "reason_words": [RULE_WORDS.get(x, (x, x))[i] for x in r.get("reasons") or []],
             "status_word": LEDGER_STATUS_WORDS.get(r["ledger_status"], (r["ledger_status"],) * 2)[i]
             if r["ledger_status"] else ""} for r in rows]


def _ledger_view(rows: list[dict], i: int) -> list[dict]:
    from hvpatent.subsidies import LEDGER_STATUS_WORDS

    names = {v.id: (v.name_zh, v.name_en)[i] for ver in _policy().versions for v in ver.items}
    return [{**r, "status_word": LEDGER_STATUS_WORDS.get(r["status"], (r["status"],) * 2)[i],
             "item_name": names.get(r["item"], r["item"])} for r in rows]


@router.get("/mine/subsidies", response_class=HTMLResponse, include_in_schema=False)
def mine_page(request: Request, period: PeriodQ = None, done: str | None = None) -> HTMLResponse:
    user = _user(request, "enterprise")
    payee, i = _enterprise(user), _i(request)
    period, _, last = _period(period, request)
    as_of = _as_of(None, request, last)
    rows = _view_rows(_mine(request, payee, period, as_of), i)
    return _render(request, "mine_subsidies.html", user, "my_subsidies", title=WORDS["title"][i],
                   w={k: v[i] for k, v in WORDS.items()}, period=period, as_of=as_of, rows=rows,
                   ledger=_ledger_view(_ledger(request, payee, None), i), yuan=_yuan, enterprise=payee,
                   done=(done or "")[:10] or None)


@router.post("/mine/subsidies/apply", include_in_schema=False)
def apply_form(request: Request, csrf: Annotated[str, Form()], period: Annotated[str, Form(max_length=7)],
               key: Annotated[list[str] | None, Form(max_length=MAX_KEYS)] = None):
    user = _user(request, "enterprise")
    check_csrf(request, csrf)
    result = _apply(request, user, period, key or [])
    query = urlencode({"period": period, "done": len(result["added"])})
    return RedirectResponse(f"/mine/subsidies?{query}", status_code=303)


class MineApplyIn(BaseModel):
    period: str = Field(min_length=4, max_length=7)
    keys: list[Annotated[str, Field(min_length=5, max_length=KEY_TEXT)]] = Field(min_length=1, max_length=MAX_KEYS)


@router.get("/api/mine/subsidies", summary="本企业可申请的资助奖励及台账 / our eligible rows (with why) and ledger")
def api_mine(request: Request, user: EnterpriseUser, period: PeriodQ = None) -> JSONResponse:
    payee = _enterprise(user)
    period, _, last = _period(period, request)
    as_of = _as_of(None, request, last)
    rows = [{**r, "key": _key_text(r), "appliable": appliable(r)} for r in _mine(request, payee, period, as_of)]
    return JSONResponse(jsonable([{"period": period, "as_of": as_of, "payee": payee, "eligible": rows,
                                   "ledger": _ledger(request, payee, None)}])[0])


@router.post("/api/mine/subsidies/apply", summary="申请本企业的资助事项 / apply for our rows (X-CSRF-Token)")
def api_apply(request: Request, user: EnterpriseUser, body: MineApplyIn) -> JSONResponse:
    check_csrf(request, request.headers.get("x-csrf-token"))
    return JSONResponse(jsonable([_apply(request, user, body.period, body.keys)])[0])
