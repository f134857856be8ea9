"""The pledge registry's statistics for the bureau (知识产权质押融资统计, docs/finance.md; docs/web.md "IP finance"):
contracts and amounts registered in a period, by month, bank, enterprise, industry or town, for patents, trademarks
or both; every figure links to the contracts behind it (/finance/contracts), every contract to its detail
(/finance/contracts/{contract_no}: items → /patents/{app_no}, changes, history); the API answers the same as JSON,
CSV or xlsx.

Staff only (admin, analyst): the statistics name every bank's contracts and every pledgor, so an enterprise or a
bank account is refused (403; the bank has its own workspace, web/bank.py).  Answers come from the finance room
(`hvpatent.finance`: pledge_statistics, statistics_contracts, contract_detail) through `Analytics.answer`; no SQL.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from hvpatent.warehouse.accounts import User
from hvpatent.web import inputs
from hvpatent.web.api import _table_response, analytics, jsonable
from hvpatent.web.inputs import choice as _choice
from hvpatent.web.inputs import integer as _int
from hvpatent.web.inputs import invalid as _bad
from hvpatent.web.pages import STAFF, _lang, _render, _user
from hvpatent.web.security import require

router = APIRouter()
Viewer = Annotated[User, Depends(require(*STAFF))]
KINDS = ("all", "patent", "trademark")
FORMATS = ("json", "csv", "xlsx")
PAGE_SIZE = 100      # contracts per page of /finance/contracts
API_LIMIT = 1_000    # contracts of a JSON answer by default (limit, offset; X-Total-Count)
REGION_CODE = re.compile(r"[0-9]{6}([0-9]{6})?")  # ASCII digits only (full-width digits pass \d)
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
STAT_COLUMNS = ("contracts", "amount_yuan", "patents", "trademarks", "enterprises", "released", "disposed")

DateQ = Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD")]
ByQ = Annotated[str, Query(max_length=12, description="period | bank | enterprise | industry | town")]
KindQ = Annotated[str, Query(max_length=10, description="all | patent | trademark")]
RegionQ = Annotated[str | None, Query(max_length=12, description="区划代码或 all / a region code or all "
                                                                 "(default: the plan's region)")]
GroupQ = Annotated[str | None, Query(max_length=200, description="统计表中的分组 / a group of the statistics "
                                                                  "(omitted: every contract of the period)")]
TextQ = Annotated[str | None, Query(max_length=10)]
FmtQ = Annotated[str, Query(max_length=5, description="json | csv | xlsx")]

WORDS: dict[str, tuple[str, str]] = {
    "finance": ("知识产权质押融资", "IP pledge financing"), "from": ("起始日", "From"), "to": ("截止日", "To"),
    "by": ("统计维度", "By"), "kind": ("质押物", "Pledged items"), "region": ("区域", "Region"),
    "show": ("统计", "Show"), "export": ("导出 Excel", "Export xlsx"), "csv": ("导出 CSV", "Export CSV"),
    "period": ("月份", "Month"), "bank": ("质权人（银行）", "Pledgee (bank)"),
    "enterprise": ("出质人（企业）", "Pledgor"),
    "industry": ("产业", "Industry"), "town": ("镇街", "Town"), "all": ("全部", "all"),
    "patent": ("专利", "patents"), "trademark": ("商标", "trademarks"), "all_regions": ("全部区域", "all regions"),
    "group": ("分组", "Group"), "contracts": ("质押合同（笔）", "Contracts"),
    "amount_wan": ("质押金额（万元）", "Amount (10k CNY)"), "amount_yuan": ("质押金额（元）", "Amount (CNY)"),
    "patents": ("质押专利（件）", "Patents"), "trademarks": ("质押商标（件）", "Trademarks"),
    "enterprises": ("出质企业（家）", "Pledgors"), "released": ("已注销", "Released"),
    "disposed": ("已处置", "Disposed"),
    "total": ("合计", "Total"), "nothing": ("暂无", "none"),
    "total_note": ("合计为期内登记的全部质押合同，每笔只计一次；一笔合同的专利分属多个产业时，它在每个产业各计一次，"
                   "故各产业之和可能大于合计，无产业归属（如仅有商标）的合同不在产业分组中。变更登记不是新合同。",
                   "The total counts every contract registered in the period once.  A contract whose patents "
                   "belong to several industries counts once in each, so the industries may add up to more than "
                   "the total, and a contract with no industry (trademarks only) is in none.  A change is not a "
                   "new contract."),
    "click_hint": ("点击数字或图表查看背后的质押合同。", "Click a number or a bar for the contracts behind it."),
    "list": ("质押合同清单", "Pledge contracts"), "contract_no": ("质押登记号", "Contract no."),
    "pledgor": ("出质人", "Pledgor"), "pledgee": ("质权人", "Pledgee"), "amount": ("金额（元）", "Amount (CNY)"),
    "registered_date": ("登记日", "Registered"), "loan_start": ("债务起始日", "Loan start"),
    "loan_end": ("债务到期日", "Loan maturity"), "released_date": ("注销日", "Released"),
    "disposed_date": ("处置日", "Disposed"), "status": ("状态", "Status"), "town_code": ("镇街", "Town"),
    "registered_amount_yuan": ("登记金额（元）", "Registered amount (CNY)"), "source": ("来源", "Source"),
    "amount_on": ("{day} 金额（元）", "Amount on {day} (CNY)"),
    "active": ("有效", "active"), "mixed": ("专利和商标", "patents and trademarks"),
    "item_kind": ("类型", "Kind"), "item_no": ("号码", "Number"), "title": ("名称", "Title"),
    "added_date": ("加入日", "Added"), "removed_date": ("移出日", "Removed"), "items": ("质押物", "Pledged items"),
    "changes": ("变更登记", "Changes"), "history": ("登记历程", "History"), "change_date": ("变更日", "Changed"),
    "field": ("变更事项", "Field"), "old_value": ("原值", "Old"), "new_value": ("新值", "New"),
    "as_of": ("截至", "As of"), "page": ("页", "Page"), "prev": ("上一页", "Previous"), "next": ("下一页", "Next"),
    "back": ("返回统计", "Back to the statistics"), "records": ("笔", "contracts"),
    "date": ("日期", "Date"), "event": ("事项", "Event"), "registration": ("设立登记", "registration"),
    "item_added": ("增加质押物", "item added"), "item_removed": ("移出质押物", "item removed"),
    "change": ("变更登记", "change"), "mark_name": ("商标", "Mark"), "patent_type": ("专利类型", "Patent type"),
    "current": ("仍在质押", "Still pledged"), "enterprise_name": ("企业", "Enterprise"),
}


def words(lang: str) -> dict[str, str]:
    i = 0 if lang == "zh" else 1
    return {k: v[i] for k, v in WORDS.items()}


# -- the question: each bad value a 422 naming the parameter --------------------------------------------------
def _date(name: str, text: str) -> date:
    try:
        day = date.fromisoformat(text) if DAY.fullmatch(text) else None
    except ValueError:
        day = None
    if day is None:
        raise _bad(name, text, "YYYY-MM-DD")
    return inputs.as_of(day)  # within the documented range, else 422


def default_day(request: Request) -> date:
    return inputs.as_of(request.app.state.default_as_of or date.today())


@dataclasses.dataclass(frozen=True)
class Question:
    """One statistics question, parsed: what the cache keys on and every link carries."""
    start: date
    end: date
    by: str
    kind: str
    region: str          # a region code, or "all"

    @property
    def region_arg(self) -> str | None:
        return None if self.region == "all" else self.region

    def key(self) -> tuple:
        return (self.start, self.end, self.by, self.kind, self.region)

    def params(self, **extra: Any) -> str:
        """The query string; ``group`` is kept even when empty (a legacy contract's unnamed bank or pledgor is the
        group ''), None is left out (no group: every contract of the period)."""
        values = {"from": self.start.isoformat(), "to": self.end.isoformat(), "by": self.by, "kind": self.kind,
                  "region": self.region, **extra}
        return urlencode({k: v for k, v in values.items() if v is not None and (v != "" or k == "group")})


def question(request: Request, start: str | None, end: str | None, by: str, kind: str,
             region: str | None) -> Question:
    """The question of a page or an API call: [from, to] (default: the year to date of the as-of day), the
    dimension, the kind of pledged item, the region (default: the plan's; ``all``: every contract)."""
    from hvpatent.finance import STAT_DIMENSIONS

    to_day = _date("to", end) if end else default_day(request)
    from_day = _date("from", start) if start else date(to_day.year, 1, 1)
    if from_day > to_day:
        raise HTTPException(422, f"from：起始日 {from_day} 晚于截止日 {to_day} / from: {from_day} is after to "
                                 f"{to_day}")
    if not region:
        region = analytics(request).plan.region or "all"
    elif region != "all" and not REGION_CODE.fullmatch(region):
        raise _bad("region", region, "all 或 6/12 位区划代码 / all or a 6- or 12-digit region code")
    return Question(from_day, to_day, _choice("by", by, STAT_DIMENSIONS), _choice("kind", kind, KINDS), region)


def _group(q: Question, group: str | None) -> str | None:
    """None (absent): every contract of the period; '' is a group (no bank, pledgor or town stated)."""
    if group is None:
        return None
    if q.by == "period" and not MONTH.fullmatch(group):
        raise _bad("group", group, "YYYY-MM（by=period）")
    if q.by == "town" and group and not (REGION_CODE.fullmatch(group) and len(group) == 12):
        raise _bad("group", group, "12 位镇街代码（by=town）/ a 12-digit town code (by=town)")
    return group


# -- answers of the finance room (cached per data version, gated) ----------------------------------------------
def _ask(request: Request, key: tuple, compute) -> Any:
    try:
        return analytics(request).answer(("finance", *key), compute)
    except ValueError as err:  # a question the registry cannot ask: bilingual, names what
        raise HTTPException(422, str(err)) from err


def statistics_of(request: Request, q: Question) -> list[dict]:
    from hvpatent.finance import pledge_statistics

    return _ask(request, ("statistics", *q.key()), lambda con: pledge_statistics(
        con, q.start, q.end, by=q.by, region=q.region_arg, kind=q.kind))


def contracts_of(request: Request, q: Question, group: str | None) -> list[dict]:
    """Every contract behind a figure (``group`` None: every contract of the period, the total's), in the
    registry's order; the pages and the API page through it."""
    from hvpatent.finance import statistics_contracts

    by = q.by if group is not None else "period"  # the total: the months partition the period's contracts
    return _ask(request, ("contracts", *q.key(), group), lambda con: statistics_contracts(
        con, q.start, q.end, by=by, group=group, region=q.region_arg, kind=q.kind))


def totals_of(request: Request, q: Question) -> dict:
    """The period's figures, each contract once (pledge_total): never the sum of the groups (a contract with patents
    of several industries is in each of them)."""
    from hvpatent.finance import pledge_total

    return _ask(request, ("total", q.start, q.end, q.kind, q.region), lambda con: pledge_total(
        con, q.start, q.end, region=q.region_arg, kind=q.kind))


def detail_of(request: Request, contract_no: str, day: date) -> dict:
    """The contract however its number is typed (contract_numbers: the stored key first, then as typed)."""
    from hvpatent.finance import contract_detail, contract_numbers

    if len(contract_no) > 100 or not contract_no.strip():
        raise _bad("contract_no", contract_no, "质押登记号 / a contract number")
    numbers = contract_numbers(contract_no)
    number, result = numbers[0], None
    for candidate in numbers:
        result = _ask(request, ("contract", candidate, day),
                      lambda con, candidate=candidate: contract_detail(con, candidate, day))
        if result is not None:
            break
    if result is None:
        raise HTTPException(404, f"没有质押登记号为 {number} 的质押合同（截至 {day}）/ no pledge contract {number} "
                                 f"registered by {day}")
    return result


# -- pages ------------------------------------------------------------------------------------------------------
def _wan(amount: Any) -> float:
    return round(float(amount or 0) / 10_000, 2)


@router.get("/finance", response_class=HTMLResponse, include_in_schema=False)
def finance_page(request: Request, start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
                 to: DateQ = None, by: ByQ = "period", kind: KindQ = "all", region: RegionQ = None) -> HTMLResponse:
    from hvpatent.finance import STAT_DIMENSIONS

    user = _user(request, *STAFF)
    lang = _lang(request)
    w = words(lang)
    q = question(request, start, to, by, kind, region)
    rows = [{**r, "amount_wan": _wan(r.get("amount_yuan")), "url": f"/finance/contracts?{q.params(group=r['group'])}"}
            for r in statistics_of(request, q)]
    total = totals_of(request, q)
    chart = {"names": [str(r.get("label") or r["group"]) for r in rows], "urls": [r["url"] for r in rows],
             "contracts": [r.get("contracts") or 0 for r in rows], "amounts": [r["amount_wan"] for r in rows],
             "words": {k: w[k] for k in ("contracts", "amount_wan", by)}}
    return _render(request, "finance.html", user, "finance", title=w["finance"], w=w, q=q, rows=rows, total=total,
                   total_wan=_wan(total["amount_yuan"]), total_url=f"/finance/contracts?{q.params()}",
                   chart=chart, dimensions=STAT_DIMENSIONS, kinds=KINDS,
                   export_url=f"/api/finance/statistics?{q.params(format='xlsx')}",
                   csv_url=f"/api/finance/statistics?{q.params(format='csv')}")


@router.get("/finance/contracts", response_class=HTMLResponse, include_in_schema=False)
def contracts_page(request: Request, start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
                   to: DateQ = None, by: ByQ = "period", kind: KindQ = "all", region: RegionQ = None,
                   group: GroupQ = None, page: TextQ = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    lang = _lang(request)
    w = words(lang)
    q = question(request, start, to, by, kind, region)
    chosen = _group(q, group)
    everything = contracts_of(request, q, chosen)
    number = _int("page", page, 1, 999_999) or 1
    pages = max(1, -(-len(everything) // PAGE_SIZE))
    if number > pages:
        raise _bad("page", str(number), f"1–{pages}")
    first = (number - 1) * PAGE_SIZE
    label = next((str(r.get("label") or r["group"]) for r in statistics_of(request, q) if r["group"] == chosen),
                 chosen) if chosen is not None else w["total"]
    return _render(request, "finance_contracts.html", user, "finance", title=f"{w['list']} · {label}", w=w, q=q,
                   rows=everything[first:first + PAGE_SIZE], total=len(everything), first=first, page=number,
                   pages=pages, group=chosen, label=label,
                   page_url=lambda n: f"/finance/contracts?{q.params(group=chosen, page=n)}",
                   back_url=f"/finance?{q.params()}",
                   export_url=f"/api/finance/contracts?{q.params(group=chosen, format='xlsx')}")


@router.get("/finance/contracts/{contract_no}", response_class=HTMLResponse, include_in_schema=False)
def contract_page(request: Request, contract_no: str, as_of: DateQ = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    lang = _lang(request)
    w = words(lang)
    day = _date("as_of", as_of) if as_of else default_day(request)
    c = detail_of(request, contract_no, day)
    return _render(request, "finance_contract.html", user, "finance", title=f"{c['contract_no']} · {w['finance']}",
                   w=w, c=c, as_of=day, sections=[(k, c.get(k) or []) for k in ("items", "changes", "history")])


# -- API --------------------------------------------------------------------------------------------------------
def _table(rows: list[dict], fmt: str, name: str, headers: dict[str, str] | None = None) -> Response:
    response = _table_response(rows, fmt, name)
    response.headers.update(headers or {})
    return response


@router.get("/api/finance/statistics", summary="知识产权质押融资统计 / pledge statistics by period, bank, enterprise, "
                                               "industry or town", tags=["finance"])
def api_statistics(request: Request, user: Viewer,
                   start: Annotated[str | None, Query(alias="from", max_length=10, description="YYYY-MM-DD")] = None,
                   to: DateQ = None, by: ByQ = "period", kind: KindQ = "all", region: RegionQ = None,
                   format: FmtQ = "json"):
    """One row per group: contracts, amount_yuan, patents, trademarks, enterprises, released, disposed.  JSON also
    carries the period's total (never the sum of groups: a contract with patents of several industries is in each)."""
    fmt = _choice("format", format, FORMATS)
    q = question(request, start, to, by, kind, region)
    rows = statistics_of(request, q)
    if fmt != "json":
        return _table(rows, fmt, "知识产权质押融资统计")
    return JSONResponse(jsonable([{"from": q.start, "to": q.end, "by": q.by, "kind": q.kind, "region": q.region,
                                   "groups": rows, "total": totals_of(request, q)}])[0])


@router.get("/api/finance/contracts", summary="一个统计数字背后的质押合同 / the contracts behind a figure",
            tags=["finance"])
def api_contracts(request: Request, user: Viewer,
                  start: Annotated[str | None, Query(alias="from", max_length=10, description="YYYY-MM-DD")] = None,
                  to: DateQ = None, by: ByQ = "period", kind: KindQ = "all", region: RegionQ = None,
                  group: GroupQ = None, offset: TextQ = None, limit: TextQ = None, format: FmtQ = "json"):
    """JSON: the contracts from ``offset`` (``limit`` at most, default 1,000), the whole count in ``X-Total-Count``;
    csv and xlsx: every contract."""
    fmt = _choice("format", format, FORMATS)
    q = question(request, start, to, by, kind, region)
    rows = contracts_of(request, q, _group(q, group))
    count = {"X-Total-Count": str(len(rows))}
    if fmt != "json":
        return _table(rows, fmt, "质押合同清单", count)
    first = _int("offset", offset, 0, 9_999_999) or 0
    size = _int("limit", limit, 1, 100_000) or API_LIMIT
    return _table(rows[first:first + size], "json", "", count)


@router.get("/api/finance/contracts/{contract_no}", summary="一笔质押合同：质押物、变更、历程 / one pledge contract",
            tags=["finance"])
def api_contract(request: Request, user: Viewer, contract_no: str, as_of: DateQ = None) -> JSONResponse:
    day = _date("as_of", as_of) if as_of else default_day(request)
    return JSONResponse(jsonable([detail_of(request, contract_no, day)])[0])
