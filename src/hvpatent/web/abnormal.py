"""The review queue of suspected abnormal applications for the bureau (docs/abnormal.md "web"): /abnormal (flags with
their one-line summaries, filters by rule and status, a form to confirm or clear the ticked rows), /abnormal/{app_no}
(one application's flags with their evidence and the rule's source, its review history) and POST /abnormal/review,
with their API twins under /api/abnormal.  Staff only (admin, analyst): an enterprise or bank account gets 403.

The flags are cached per import generation (``Analytics.answer``, the settings' digest in the key: a changed
config.yaml is a new question); the reviews are read fresh on every request (they change without an import) and
written on the warehouse's connection under its write lock.  The supervision room (its door
``hvpatent.supervision``) does the work; no SQL here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from hvpatent.reference.clock import china_today
from hvpatent.warehouse.accounts import User
from hvpatent.web import inputs
from hvpatent.web.api import _table_response, analytics, jsonable
from hvpatent.web.pages import STAFF, _lang, _render, _user
from hvpatent.web.security import check_csrf, require
from hvpatent.web.writes import ledger_write

router = APIRouter()
Staff = Annotated[User, Depends(require(*STAFF))]
AsOfQ = Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD")]
RegionQ = Annotated[str | None, Query(max_length=12, description="区划代码 / region code (6 or 12 digits)")]
RuleQ = Annotated[str | None, Query(max_length=40, description="a rule's name (RULES)")]
StatusQ = Annotated[str | None, Query(max_length=12, description="pending | cleared | confirmed")]
FmtQ = Annotated[str, Query(pattern="^(json|csv|xlsx)$")]
DoneQ = Annotated[str | None, Query(max_length=12, description="the status just recorded (cleared | confirmed)")]
CountQ = Annotated[str | None, Query(max_length=6, description="how many applications it was recorded for")]
APP_NO = re.compile(r"\d{12}\.[\dX]|\d{8}\.[\dX]")  # the warehouse's application numbers (new and old form)
PAGE_ROWS = 200      # queue rows shown at a time (the export covers them all)
MAX_APPS = 2000      # applications in one review
NOTE_CHARS = 500
WORDS: dict[str, tuple[str, str]] = {
    "title": ("非正常专利申请复核", "Suspected abnormal applications"), "as_of": ("截至", "As of"),
    "region": ("区划代码", "Region"), "rule": ("规则", "Rule"), "status": ("复核状态", "Review status"),
    "all": ("全部", "All"), "show": ("显示", "Show"), "app_no": ("申请号", "Application"),
    "patent_title": ("名称", "Title"), "applicant": ("申请人", "Applicant"), "agency": ("代理机构", "Agency"),
    "filing_date": ("申请日", "Filed"), "summary": ("线索", "Findings"), "none": ("暂无记录", "Nothing to show"),
    "page": ("页", "Page"), "rows": ("件", "applications"), "prev": ("上一页", "Previous"),
    "next": ("下一页", "Next"), "export": ("导出", "Export"), "done": ("已完成", "Done"),
    "act_title": ("对勾选的申请：", "For the ticked applications:"), "note": ("复核意见（必填）", "Note (required)"),
    "confirm": ("确认为非正常申请", "Confirm abnormal"), "clear": ("排除（正常申请）", "Clear"),
    "lead": ("提示：规则标记只是线索，须人工复核后认定。", "A flag is a lead for a person to review, never a verdict."),
    "evidence": ("依据", "Evidence"), "source": ("规则出处", "Rule source"), "history": ("复核记录", "Review history"),
    "decided_at": ("复核时间", "Decided at"), "decided_by": ("复核人", "Decided by"), "rules": ("规则", "Rules"),
    "no_flags": ("截至该日无规则标记", "No rule flags this application on that day"),
    "back": ("返回复核列表", "Back to the queue"), "patent": ("专利详情", "Patent details"),
    "done_line": ("已完成：{status}，{n} 件", "Done: {status}, applications: {n}"),
}
# The queue's csv/xlsx columns, headed in the language asked (the CLI's QUEUE_EXPORT_COLUMNS say the same).  The
# English headings are capitalised: the spreadsheet writer translates a heading that is a key of the shared
# reports.tables.COLUMN_LABELS ("title", "key", "name" ...), and none of these is one.
QUEUE_EXPORT: dict[str, tuple[str, str]] = {
    "app_no": ("申请号", "Application number"), "title": ("名称", "Title"), "patent_type": ("专利类型", "Patent type"),
    "filing_date": ("申请日", "Filing date"), "applicant_name": ("申请人", "Applicant"),
    "agency": ("代理机构", "Agency"), "town_code": ("镇街代码", "Town code"), "rules": ("疑似情形", "Rules"),
    "summaries": ("情形说明", "Findings"), "status": ("复核状态", "Review status"),
    "decided_at": ("复核时间", "Decided at"), "decided_by": ("复核人", "Decided by"), "note": ("复核意见", "Note"),
}
# Evidence keys the rules use, in words; a key not listed here is shown as it is.
EVIDENCE_WORDS: dict[str, tuple[str, str]] = {
    "group": ("相同内容组", "group"), "members": ("内容相同或相近的申请", "near-identical applications"),
    "member_count": ("组内件数", "applications in the group"), "closest": ("最相近的申请", "closest application"),
    "similarity": ("相似度", "similarity"), "threshold": ("阈值", "threshold"), "thresholds": ("阈值", "thresholds"),
    "min_cluster": ("最少件数", "minimum group size"), "min_names": ("最少申请人名称数", "minimum names"),
    "window_days": ("时间窗（天）", "window (days)"), "first_filing": ("最早申请日", "first filed"),
    "last_filing": ("最晚申请日", "last filed"), "span_days": ("时间跨度（天）", "span (days)"),
    "applicant": ("申请人", "applicant"), "applicant_name": ("申请人", "applicant"),
    "applicant_names": ("申请人名称", "applicant names"), "applicants": ("申请人数", "applicants"),
    "applicant_type": ("申请人类型", "applicant type"), "names": ("申请人名称", "applicant names"),
    "agencies": ("代理机构", "agencies"), "shared_agencies": ("共用代理机构", "shared agencies"),
    "shared_addresses": ("共用地址", "shared addresses"), "one_agency": ("同一代理机构", "one agency"),
    "applications": ("申请件数", "applications"), "filings": ("申请件数", "filings"), "own_average": (
        "自身历史平均", "its own average"), "history_windows": ("历史时段数", "history windows"),
    "peers": ("同类申请人", "peers"), "peer_quantile_value": ("同类申请人分位值", "peers' quantile"),
    "window_start": ("时间窗起", "window start"), "window_end": ("时间窗止", "window end"),
    "filed_before_window": ("时间窗前申请", "filed before the window"), "grant_rate": ("授权率", "grant rate"),
    "low_grant_rate": ("授权率偏低", "low grant rate"), "withdrawn": ("撤回", "withdrawn"),
    "withdrawn_share": ("撤回占比", "withdrawn share"), "many_withdrawn": ("大量撤回", "many withdrawn"),
    "deemed_withdrawn": ("视为撤回", "deemed withdrawn"), "surrendered": ("放弃", "surrendered"),
    "granted_inventions": ("授权发明", "granted inventions"), "concluded_inventions": ("已结案发明",
                                                                                  "concluded inventions"),
    "inventions": ("发明申请", "inventions"), "sections": ("技术领域（IPC部）", "fields (IPC sections)"),
    "shell": ("疑似空壳", "shell company"), "in_directory": ("在企业名录中", "in the directory"),
    "recognitions": ("资质认定", "recognitions"), "patentee": ("专利权人", "patentee"),
    "patentee_name": ("专利权人", "patentee"), "patents": ("专利", "patents"), "transfers": ("转让", "transfers"),
    "transferred": ("转让", "transferred"), "parties": ("受让方", "parties"),
    "unknown_parties": ("无关联受让方", "unrelated parties"), "party": ("受让方", "party"),
    "granted": ("授权日", "granted on"), "days": ("天数", "days"), "payments": ("资助拨付", "subsidy payments"),
    "paid": ("拨付日", "paid on"), "amount": ("金额", "amount"), "item": ("资助项目", "item"),
    "days_after_payment": ("拨付后天数", "days after payment"), "end_event": ("终止事件", "ending event"),
    "end_date": ("终止日", "ended on"), "kind": ("类型", "kind"), "app_no": ("申请号", "application"),
    "app_nos": ("申请号", "applications"), "name": ("名称", "name"),
}


def _i(request: Request) -> int:
    return 0 if _lang(request) == "zh" else 1


def _words(request: Request) -> dict[str, str]:
    i = _i(request)
    return {k: v[i] for k, v in WORDS.items()}


# -- inputs ----------------------------------------------------------------------------------------------------------

def as_of_day(text: str | None, request: Request) -> date:
    """The day asked (YYYY-MM-DD, within the documented range), else the app's default day or today; 422 naming
    the field when it is not one."""
    if text:
        try:
            return inputs.as_of(date.fromisoformat(text))
        except ValueError as err:
            raise inputs.invalid("as_of", text, "YYYY-MM-DD") from err
    # today in Beijing, whatever the host's zone, as pages._day
    return inputs.as_of(request.app.state.default_as_of or china_today())


def region_code(text: str | None, request: Request) -> str | None:
    """The region asked (6 or 12 ASCII digits naming a division that exists, else 422 naming the field), by default
    the plan's region (the bureau's district).  A code of no division would only give an empty page."""
    from hvpatent.reference.regions import region_by_code

    text = (text or "").strip()
    if not text:
        return analytics(request).plan.region
    inputs.query(region=text)
    if text not in region_by_code():
        raise inputs.invalid("region", text, "存在的区划代码 / the code of an existing division")
    return text


def _rule(text: str | None) -> str | None:
    from hvpatent.supervision import RULES

    return inputs.choice("rule", text, RULES) if text else None


def _status(text: str | None) -> str | None:
    from hvpatent.supervision import REVIEW_STATUSES

    return inputs.choice("status", text, ("pending", *REVIEW_STATUSES)) if text else None


def _app_no(text: str) -> str:
    """An application number as the warehouse keys it; 422 naming it when it is not one."""
    from hvpatent.ingest.appno import AppNoError, normalize_appno

    if len(text) > 40:
        raise inputs.invalid("app_no", text, "申请号 / an application number")
    try:
        return normalize_appno(text.strip())
    except AppNoError as err:
        raise HTTPException(422, f"app_no：{err}") from err


def _app_nos(texts: Sequence[str]) -> list[str]:
    if not texts:
        raise HTTPException(422, "app_no：请勾选至少一件申请 / app_no: tick at least one application")
    if len(texts) > MAX_APPS:
        raise HTTPException(422, f"app_no：最多 {MAX_APPS} 件 / app_no: at most {MAX_APPS}")
    return list(dict.fromkeys(_app_no(t) for t in texts))


def supervision_config():
    """The supervision settings in force; a broken file is the server's fault, said plainly (file and field)."""
    from hvpatent.supervision import ConfigError, load_config

    try:
        return load_config()
    except ConfigError as err:
        raise HTTPException(500, f"非正常申请规则配置有误 / bad supervision settings: {err}") from err


# -- the room's work ----------------------------------------------------------------------------------------------

def cached_flags(request: Request, as_of: date, region: str | None, config=None) -> list:
    """Every rule's flags on ``as_of`` for ``region``, computed once per import generation and settings."""
    from hvpatent.supervision import flag_applications

    config = config or supervision_config()
    return analytics(request).answer(("abnormal", as_of, region, config.digest()),
                                     lambda con: flag_applications(con, as_of, region=region, config=config))


def _queue(request: Request, as_of: date, region: str | None, rule: str | None, status: str | None) -> list[dict]:
    from hvpatent.supervision import abnormal_queue

    config = supervision_config()
    flags = cached_flags(request, as_of, region, config)
    return analytics(request).compute(lambda con: abnormal_queue(con, as_of, region=region, config=config, rule=rule,
                                                               status=status, flags=flags))


def _detail(request: Request, app_no: str, as_of: date, region: str | None) -> dict | None:
    """One application's flags on the day, its latest review and review history; None when nothing is known of it."""
    from hvpatent.supervision import latest_reviews, review_history

    flags = [f for f in cached_flags(request, as_of, region) if f.app_no == app_no]

    def read(con) -> tuple[list[dict], dict | None]:
        return review_history(con, app_no), latest_reviews(con).get(app_no)

    history, latest = analytics(request).compute(read)
    profile = analytics(request).profile(app_no, as_of)
    if profile is None and not flags and not history:
        return None
    app = (profile or {}).get("application") or {}
    parties = (profile or {}).get("parties") or []
    return {"app_no": app_no, "title": app.get("title"), "applicant_name": parties[0]["name"] if parties else None,
            "agency": app.get("agency"), "filing_date": app.get("filing_date"), "flags": flags, "history": history,
            "status": (latest or {}).get("status", "pending"), "latest": latest}


def _record(request: Request, user: User, app_nos: list[str], status: str, note: str, as_of: date,
            region: str | None) -> int:
    """The review, under the write lock; the flags of those applications on the day go with it as its evidence."""
    from hvpatent.supervision import REVIEW_STATUSES, ReviewError, record_review

    status = inputs.choice("status", status, REVIEW_STATUSES)
    note = note.strip()
    if not note:
        raise HTTPException(422, "note：请写明复核意见 / note: the reason for the review is needed")
    wanted = set(app_nos)
    flags = [f for f in cached_flags(request, as_of, region) if f.app_no in wanted]
    return ledger_write(request, lambda duck, con: record_review(duck, app_nos, status, by=user.username, note=note,
                                                                 flags=flags), ReviewError)


def _flat(rows: list[dict], i: int) -> list[dict]:
    """Queue rows for JSON: the flags as their one-line summaries in the language asked."""
    return [{**{k: v for k, v in r.items() if k != "flags"}, "summaries": [f.summary[i] for f in r.get("flags", [])]}
            for r in rows]


def labelled(rows: list[dict], columns: dict[str, tuple[str, str]], i: int) -> list[dict]:
    """Rows for csv/xlsx keyed by the columns' headings in the language ``i`` (0 zh, 1 en)."""
    return [{labels[i]: r.get(key) for key, labels in columns.items()} for r in rows]


def _export_rows(rows: list[dict], i: int) -> list[dict]:
    """Queue rows for csv/xlsx: every column headed in words, rules, status and patent type as words too."""
    from hvpatent.i18n import LABELS
    from hvpatent.supervision import REVIEW_WORDS, RULE_WORDS

    lang = "zh" if i == 0 else "en"
    shown = [{**r, "rules": [RULE_WORDS[x][i] if x in RULE_WORDS else x for x in r.get("rules") or []],
              "status": REVIEW_WORDS[r["status"]][i] if r.get("status") in REVIEW_WORDS else r.get("status"),
              "patent_type": LABELS.get(r.get("patent_type") or "", {}).get(lang, r.get("patent_type"))}
             for r in _flat(rows, i)]
    return labelled(shown, QUEUE_EXPORT, i)


def _flag_dict(flag, config) -> dict:
    return {"app_no": flag.app_no, "rule": flag.rule, "evidence": flag.evidence, "summary": list(flag.summary),
            "source": config.rule(flag.rule).source}


# -- API ---------------------------------------------------------------------------------------------------------

class ReviewIn(BaseModel):
    app_nos: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(min_length=1, max_length=MAX_APPS)
    status: str = Field(max_length=12)
    note: str = Field(min_length=1, max_length=NOTE_CHARS)
    as_of: date | None = None
    region: str | None = Field(default=None, max_length=12)


@router.get("/api/abnormal", summary="疑似非正常专利申请复核列表 / the review queue of suspected abnormal applications")
def api_queue(request: Request, user: Staff, as_of: AsOfQ = None, region: RegionQ = None, rule: RuleQ = None,
              status: StatusQ = None, format: FmtQ = "json", lang: str = "zh") -> Response:
    day, i = as_of_day(as_of, request), _i(request)  # lang: read through _lang (the query's, else the cookie's)
    rows = _queue(request, day, region_code(region, request), _rule(rule), _status(status))
    return _table_response(_flat(rows, i) if format == "json" else _export_rows(rows, i), format,
                           f"非正常申请复核-{day.isoformat()}")


@router.get("/api/abnormal/{app_no}", summary="一件申请的标记与复核记录 / one application's flags and reviews")
def api_detail(request: Request, user: Staff, app_no: str, as_of: AsOfQ = None,
               region: RegionQ = None) -> JSONResponse:
    number, day = _app_no(app_no), as_of_day(as_of, request)
    detail = _detail(request, number, day, region_code(region, request))
    if detail is None:
        raise HTTPException(404, f"未找到申请 {number} / no application {number}")
    config = supervision_config()
    return JSONResponse(jsonable([{**detail, "flags": [_flag_dict(f, config) for f in detail["flags"]]}])[0])


@router.post("/api/abnormal/review", summary="复核：排除或确认 / review: clear or confirm (X-CSRF-Token)")
def api_review(request: Request, user: Staff, body: ReviewIn) -> JSONResponse:
    check_csrf(request, request.headers.get("x-csrf-token"))
    day = inputs.as_of(body.as_of) if body.as_of else as_of_day(None, request)
    n = _record(request, user, _app_nos(body.app_nos), body.status, body.note, day, region_code(body.region, request))
    return JSONResponse({"recorded": n, "status": body.status})


# -- pages ---------------------------------------------------------------------------------------------------------

def _page(request: Request, user: User, template: str, code: int = 200, **context) -> HTMLResponse:
    from hvpatent.supervision import REVIEW_WORDS, RULE_WORDS, RULES

    i = _i(request)
    response = _render(request, template, user, "abnormal", w=_words(request),
                       rule_words={k: RULE_WORDS[k][i] for k in RULES},
                       status_words={k: v[i] for k, v in REVIEW_WORDS.items()},
                       evidence_words={k: v[i] for k, v in EVIDENCE_WORDS.items()}, lang_i=i, **context)
    response.status_code = code
    return response


@router.get("/abnormal", response_class=HTMLResponse, include_in_schema=False)
def queue_page(request: Request, as_of: AsOfQ = None, region: RegionQ = None, rule: RuleQ = None,
               status: StatusQ = None, done: DoneQ = None, n: CountQ = None,
               page: Annotated[str | None, Query(max_length=6)] = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    day, code = as_of_day(as_of, request), region_code(region, request)
    rule_n, status_n = _rule(rule), _status(status)
    page_n = inputs.integer("page", page, 1, 99999) or 1
    rows = _queue(request, day, code, rule_n, status_n)
    pages = max(1, -(-len(rows) // PAGE_ROWS))
    page_n = min(page_n, pages)
    params = [(k, v) for k, v in (("as_of", as_of), ("region", region), ("rule", rule_n), ("status", status_n)) if v]
    return _page(request, user, "abnormal.html", title=WORDS["title"][_i(request)],
                 rows=rows[(page_n - 1) * PAGE_ROWS:page_n * PAGE_ROWS], row_count=len(rows), page=page_n,
                 pages=pages, as_of=day, region=code or "", rule=rule_n or "", status=status_n or "",
                 done=_done(request, done, n),
                 back=f"/abnormal?{urlencode(params)}",
                 page_url=lambda n: f"/abnormal?{urlencode([*params, ('page', n)])}",
                 export_url=f"/api/abnormal?{urlencode([*params, ('format', 'xlsx'), ('lang', _lang(request))])}")


@router.get("/abnormal/{app_no}", response_class=HTMLResponse, include_in_schema=False)
def detail_page(request: Request, app_no: str, as_of: AsOfQ = None, region: RegionQ = None,
                done: DoneQ = None, n: CountQ = None) -> HTMLResponse:
    user = _user(request, *STAFF)
    number, day, code = _app_no(app_no), as_of_day(as_of, request), region_code(region, request)
    detail = _detail(request, number, day, code)
    if detail is None:
        raise HTTPException(404, f"未找到申请 {number} / no application {number}")
    config = supervision_config()
    query = urlencode([(k, v) for k, v in (("as_of", as_of), ("region", region)) if v])
    # query: the evidence's links to other applications keep the day and region, so they show the same group
    return _page(request, user, "abnormal_detail.html", title=number, d=detail, as_of=day, region=code or "",
                 sources={f.rule: config.rule(f.rule).source for f in detail["flags"]}, done=_done(request, done, n),
                 is_app_no=_is_app_no, query=query, back=f"/abnormal/{number}?{query}", queue_url=f"/abnormal?{query}")


def _done(request: Request, done: str | None, n: str | None) -> str | None:
    """The notice after a review, in words (``done``: the status recorded, ``n``: how many); a value that is neither
    is 422, so no text from the address is ever shown on the bureau's page."""
    from hvpatent.supervision import REVIEW_STATUSES, REVIEW_WORDS

    if not done:
        return None
    # the error names the fields without repeating their text (which is what such a link would want shown)
    if done not in REVIEW_STATUSES or not n or not re.fullmatch(r"[0-9]{1,4}", n) or int(n) > MAX_APPS:
        raise HTTPException(422, f"done/n：无效的完成提示，可用：done={' | '.join(REVIEW_STATUSES)}，n=0–{MAX_APPS} / "
                                 f"done/n: not a notice of a review; allowed: done={' | '.join(REVIEW_STATUSES)}, "
                                 f"n=0–{MAX_APPS}")
    status, count, i = done, int(n), _i(request)
    return WORDS["done_line"][i].format(status=REVIEW_WORDS[status][i], n=count)


def _is_app_no(text: str) -> bool:
    """Whether an evidence value is an application number (shown as a link to its review page)."""
    return bool(APP_NO.fullmatch(text))


def _safe_back(back: str) -> str:
    """Only back to a page of the queue (never another site or path)."""
    if back.startswith("/abnormal") and not back.startswith("//") and "\\" not in back and len(back) <= 400:
        return back
    return "/abnormal"


@router.post("/abnormal/review", include_in_schema=False)
def review_form(request: Request, csrf: Annotated[str, Form()],
                status: Annotated[str, Form(max_length=12)] = "",
                app_no: Annotated[list[str] | None, Form()] = None,
                note: Annotated[str, Form(max_length=NOTE_CHARS)] = "",
                as_of: Annotated[str, Form(max_length=10)] = "", region: Annotated[str, Form(max_length=12)] = "",
                back: Annotated[str, Form(max_length=400)] = "/abnormal") -> Response:
    """Confirm or clear the ticked applications with a note; back to the page with a note of what was done, or the
    reason on an error page (422: a bad value, 503: an import holds the warehouse)."""
    user = _user(request, *STAFF)
    check_csrf(request, csrf)
    try:
        day, code = as_of_day(as_of or None, request), region_code(region or None, request)
        n = _record(request, user, _app_nos(app_no or []), status, note, day, code)
    except HTTPException as err:
        if err.status_code not in (422, 503):
            raise
        from hvpatent.web.pages import error_page

        return error_page(request, err.status_code, str(err.detail))
    target = _safe_back(back)
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}{urlencode({'done': status, 'n': n})}", status_code=303)
