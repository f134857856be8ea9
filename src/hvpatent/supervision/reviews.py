"""A person's review of suspected abnormal applications: cleared or confirmed, stored append-only in
abnormal_reviews and audit-logged; the review queue joins the flags with the latest review of each application.

The table is append-only: every decision is a new row, so an application's history is kept and its status is its
latest row.  A confirmation needs a note (the reason a reviewer gives for it: it excludes the application from
subsidies and, when asked, from the plan's figures); clearing may go without.  A day's reviews are those decided on
or before it (decided_at's date ≤ as_of), like the rest of the product's "known on as_of".
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import duckdb
import ibis

from hvpatent.supervision.config import SupervisionConfig
from hvpatent.supervision.flags import Flag
from hvpatent.warehouse.transaction import transaction

REVIEW_STATUSES = ("cleared", "confirmed")
REVIEW_WORDS = {"cleared": ("已排除", "cleared"), "confirmed": ("确认为非正常申请", "confirmed abnormal"),
                "pending": ("待复核", "to review")}
TABLE = "abnormal_reviews"
MAX_EVIDENCE = 20_000      # characters of evidence JSON kept per row: a near-identical group can list hundreds
MAX_NOTE = 1_000
MAX_APPS = 5_000           # applications one call may decide: a bulk decision beyond this is a mistake


class ReviewError(ValueError):
    """A review that cannot be recorded; the message (Chinese / English) says why."""


def _say(zh: str, en: str) -> ReviewError:
    return ReviewError(f"{zh} / {en}")


def _numbers(app_nos: object) -> list[str]:
    """The application numbers as a list of text, or ReviewError: one text would be read letter by letter, and a
    number (202429500001) is not an application number (202429500001.9)."""
    if isinstance(app_nos, str | bytes) or not isinstance(app_nos, Sequence | set | frozenset):
        raise _say(f"申请号应以列表给出，而不是 {type(app_nos).__name__}：{app_nos!r:.60}",
                   f"app_nos must be a list of application numbers, not {type(app_nos).__name__}: {app_nos!r:.60}")
    wrong = next((a for a in app_nos if not isinstance(a, str)), ...)
    if wrong is not ...:
        raise _say(f"申请号应为文本：{wrong!r:.60}（{type(wrong).__name__}）",
                   f"an application number must be text: {wrong!r:.60} ({type(wrong).__name__})")
    return list(app_nos)


def _checked(duck: duckdb.DuckDBPyConnection, app_nos: Sequence[str], status: str, by: str,
             note: str | None) -> tuple[list[str], str, str | None]:
    """The de-duplicated application numbers, the reviewer and the note, or ReviewError."""
    if status not in REVIEW_STATUSES:
        raise _say(f"复核结论应为 {'、'.join(REVIEW_STATUSES)} 之一：{status!r}",
                   f"the review status must be one of {', '.join(REVIEW_STATUSES)}: {status!r}")
    who = (by or "").strip()
    if not who:
        raise _say("须注明复核人", "the reviewer (by) is needed")
    text = (note or "").strip()[:MAX_NOTE] or None
    if status == "confirmed" and text is None:
        raise _say("确认为非正常申请须写明理由（note）", "a confirmation needs a reason (note)")
    wanted = list(dict.fromkeys(a.strip() for a in _numbers(app_nos) if a.strip()))
    if not wanted:
        raise _say("没有给出申请号", "no application number given")
    if len(wanted) > MAX_APPS:
        raise _say(f"一次最多复核 {MAX_APPS} 件", f"at most {MAX_APPS} applications at a time")
    known = {r[0] for r in duck.execute("SELECT app_no FROM applications WHERE app_no IN (SELECT unnest(?))",
                                        [wanted]).fetchall()}
    unknown = [a for a in wanted if a not in known]
    if unknown:
        raise _say(f"数据中没有申请号 {unknown[0]}", f"no application {unknown[0]} in the warehouse")
    return wanted, who, text


def _evidence(flags: Sequence[Flag]) -> str:
    """The flags' evidence as JSON, cut to MAX_EVIDENCE characters (still valid JSON: an excerpt then)."""
    text = json.dumps([{"rule": f.rule, "evidence": f.evidence, "summary": list(f.summary)} for f in flags],
                      ensure_ascii=False, default=str)
    if len(text) <= MAX_EVIDENCE:
        return text
    cut = MAX_EVIDENCE - 40
    while True:   # escaping the excerpt lengthens it: shorten until the whole fits
        short = json.dumps({"truncated": True, "excerpt": text[:cut]}, ensure_ascii=False)
        if len(short) <= MAX_EVIDENCE:
            return short
        cut -= len(short) - MAX_EVIDENCE


def record_review(duck: duckdb.DuckDBPyConnection, app_nos: Sequence[str], status: str, *, by: str,
                  note: str | None = None, flags: Sequence[Flag] = ()) -> int:
    """One row per application (status, who, note, the rules and evidence of ``flags`` for it) in one transaction,
    each audit-logged; returns the rows written.  Nothing is written when one application is unknown."""
    from hvpatent.warehouse.accounts import audit

    wanted, who, text = _checked(duck, app_nos, status, by, note)
    per_app: dict[str, list[Flag]] = defaultdict(list)
    for flag in flags:
        per_app[flag.app_no].append(flag)
    with transaction(duck):
        last = dict(duck.execute(f"SELECT app_no, max(decided_at) FROM {TABLE} WHERE app_no IN (SELECT unnest(?))"
                                 " GROUP BY app_no", [wanted]).fetchall())
        now = datetime.now()
        for app_no in wanted:
            # the key is (app_no, decided_at): a second decision within the clock's resolution comes just after
            at = max(now, last[app_no] + timedelta(microseconds=1)) if last.get(app_no) else now
            own = per_app.get(app_no, [])
            rules = sorted({f.rule for f in own})
            duck.execute(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)",
                         [app_no, at, status, who, text, json.dumps(rules), _evidence(own)])
            audit(duck, who, "abnormal_review", f"{app_no} {status}" + (f": {text}" if text else ""))
    return len(wanted)


def _rows(con: ibis.BaseBackend, as_of: date | None = None, app_no: str | None = None) -> list[dict]:
    """The review rows (all, or one application's), decided on or before ``as_of``, oldest first."""
    try:
        table = con.table(TABLE)
    except Exception:  # the backends raise their own kinds of "table not found": no table, no reviews
        return []
    if as_of is not None:
        table = table.filter(table.decided_at.date() <= as_of)
    if app_no is not None:
        table = table.filter(table.app_no == app_no)
    rows = table.order_by(["app_no", "decided_at"]).to_pyarrow().to_pylist()
    for row in rows:
        row["rules"] = json.loads(row["rules"] or "[]")
    return rows


def latest_reviews(con: ibis.BaseBackend, as_of: date | None = None) -> dict[str, dict]:
    """{app_no: {status, decided_at, decided_by, note, rules}}: each application's latest review (decided on or
    before ``as_of`` when given).  A warehouse without the table has none."""
    latest: dict[str, dict] = {}
    for row in _rows(con, as_of):   # oldest first: the last row of each application wins
        latest[row["app_no"]] = {k: row[k] for k in ("status", "decided_at", "decided_by", "note", "rules")}
    return latest


def confirmed_applications(con: ibis.BaseBackend, as_of: date | None = None) -> dict[str, dict]:
    """The applications whose latest review (by ``as_of``) is confirmed: {app_no: {decided_at, decided_by, note}}."""
    return {app_no: {k: r[k] for k in ("decided_at", "decided_by", "note")}
            for app_no, r in latest_reviews(con, as_of).items() if r["status"] == "confirmed"}


def review_history(con: ibis.BaseBackend, app_no: str) -> list[dict]:
    """Every review of one application, oldest first: {status, decided_at, decided_by, note, rules, evidence}."""
    rows = _rows(con, app_no=app_no)
    for row in rows:
        row["evidence"] = json.loads(row["evidence"] or "[]")
    return rows


QUEUE_COLUMNS = ("app_no", "title", "patent_type", "filing_date", "applicant_name", "agency", "town_code")


def _details(con: ibis.BaseBackend, app_nos: list[str], region: str | None) -> dict[str, dict]:
    """QUEUE_COLUMNS of these applications whose first applicant lies in the region."""
    from hvpatent.indicators.base import first_applicants, in_region

    if not app_nos:
        return {}
    apps = con.table("applications")
    apps = apps.filter(apps.app_no.isin(app_nos))
    firsts = in_region(first_applicants(con, apps), region).select("app_no", "applicant_name", "town_code")
    rows = apps.select("app_no", "title", "patent_type", "filing_date", "agency").join(firsts, "app_no")
    return {r["app_no"]: r for r in rows.select(*QUEUE_COLUMNS).to_pyarrow().to_pylist()}


def abnormal_queue(con: ibis.BaseBackend, as_of: date, *, region: str | None = None,
                   config: SupervisionConfig | None = None, rule: str | None = None,
                   status: str | None = None, flags: Sequence[Flag] | None = None) -> list[dict]:
    """One row per flagged (or reviewed) application (``flags`` precomputed, e.g. cached by the pages, else
    flag_applications): app_no, title, patent_type, filing_date, applicant_name,
    agency, town_code, rules [names], flags [Flag], status (pending | cleared | confirmed), decided_at, decided_by,
    note.  Filters: one rule, one status.  Each application shows its latest decision whenever it was taken: the
    queue is a person's worklist, and a decision is about the application, not the day the flags were computed for
    (what a decision excludes counts from its day: confirmed_applications).  An application reviewed but no longer
    flagged stays with its status and rules [].  Pending first, then more rules first, then app_no."""
    from hvpatent.supervision.flags import RULES, flag_applications

    if rule is not None and rule not in RULES:
        raise _say(f"未知的规则：{rule}", f"unknown rule: {rule} ({', '.join(RULES)})")
    if status is not None and status not in (*REVIEW_STATUSES, "pending"):
        raise _say(f"未知的复核状态：{status}",
                   f"unknown review status: {status} (pending, {', '.join(REVIEW_STATUSES)})")
    if flags is None:
        flags = flag_applications(con, as_of, region=region, config=config)
    by_app: dict[str, list[Flag]] = defaultdict(list)
    for flag in flags:
        by_app[flag.app_no].append(flag)
    reviews = latest_reviews(con)
    details = _details(con, sorted(set(by_app) | set(reviews)), region)
    rows = []
    for app_no, info in details.items():
        own = by_app.get(app_no, [])
        review = reviews.get(app_no, {})
        row = {**info, "rules": list(dict.fromkeys(f.rule for f in own)), "flags": own,
               "status": review.get("status", "pending"), "decided_at": review.get("decided_at"),
               "decided_by": review.get("decided_by"), "note": review.get("note")}
        if (rule is None or rule in row["rules"]) and (status is None or row["status"] == status):
            rows.append(row)
    rows.sort(key=lambda r: (r["status"] != "pending", -len(r["rules"]), r["app_no"]))
    return rows
