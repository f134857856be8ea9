"""Issuing, listing and checking bulletin editions (docs/schedule.md).  OWNER: H1.

An edition is the bulletin of one plan's region for one month or quarter, as issued: its files' bytes, their
SHA-256, the figures it printed and which imports it saw.  Rows are only ever inserted (no UPDATE, no DELETE here or
anywhere): a correction is the next version, which lists what changed from the one before and says so on its first
page."""

from __future__ import annotations

import hashlib
import json
import math
import re
import tempfile
from datetime import date
from pathlib import Path

import duckdb
import ibis

from hvpatent.plan.model import Plan
from hvpatent.plan.registry import Plans
from hvpatent.reference.clock import china_now
from hvpatent.reference.periods import FIRST_YEAR, LAST_YEAR, Period, parse_period, period_of
from hvpatent.reference.workdays import next_working_day
from hvpatent.schedule.config import SCHEDULE_CADENCES, ScheduleConfig, load_config
from hvpatent.warehouse.transaction import transaction

MAX_REASON_CHARS = 500
SNAPSHOT_TRIES = 3  # builds of one edition while the data keep changing under it, before giving up
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
MEDIA = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "html": "text/html; charset=utf-8", "pdf": "application/pdf"}
IMPORTS = "imports"  # the data-stamp line's key in an edition's changes
AUDIT_ACTION = "bulletin_edition_issued"
# The file hashes an audit line records at issue: always its end (audit_detail), so a reason typed with
# "sha256 docx=…" in it cannot stand in for them.
HASHES = re.compile(r" sha256 ((?:[a-z]+=[0-9a-f]{64},)*[a-z]+=[0-9a-f]{64})\Z")


class EditionError(ValueError):
    pass


def issue_day(period: Period) -> date:
    """The day a period's bulletin is due: the first working day after it (State Council holiday notices:
    reference/workdays.py)."""
    return next_working_day(period.end)


def bulletin_period(cadence: str, key: str) -> Period:
    """The month or quarter of a key (2024-09, 2024Q3) for a bulletin; EditionError naming the key otherwise."""
    if cadence not in SCHEDULE_CADENCES:
        raise EditionError(f"未知的周期 {str(cadence)[:20]!r}（{' | '.join(SCHEDULE_CADENCES)}）/ unknown cadence")
    try:
        return parse_period(key, cadence)
    except ValueError as err:
        raise EditionError(str(err)) from None


def _check_day(today: date) -> None:
    """Days outside the calendar's years are refused here, not met as an overflow deep in the date arithmetic."""
    if not FIRST_YEAR + 1 <= today.year <= LAST_YEAR:
        raise EditionError(f"日期 {today} 不在 {FIRST_YEAR + 1} 至 {LAST_YEAR} 年之间 / day {today} is outside the "
                           f"years {FIRST_YEAR + 1} to {LAST_YEAR}")


def in_plan(plan: Plan, period: Period) -> bool:
    """Whether the period overlaps the plan's span (issued .. deadline): a plan's bulletins stop after its
    deadline and never go back before it was issued."""
    return period.end >= plan.issued and period.start <= plan.deadline


def edition_id(plan_key: str, cadence: str, period: str, version: int) -> str:
    return f"{plan_key}/{cadence}/{period}/v{version}"


def edition_ref(edition_id: str) -> str:
    """The edition id in one URL path segment (plan keys, cadences and periods never hold '~')."""
    return edition_id.replace("/", "~")


def _id(text: str) -> str:
    return text.replace("~", "/")


def _plans(plans: Plans, config: ScheduleConfig) -> list[Plan]:
    from hvpatent.plan.model import PlanError

    try:
        return [plans.get(k) for k in config.plans] if config.plans else [plans.default]
    except PlanError as err:
        raise EditionError(f"{config.source}: plans: {err}") from None


def _issued_periods(con: ibis.BaseBackend) -> set[tuple[str, str, str]]:
    t = con.table("bulletin_editions")
    rows = t.select("plan_key", "cadence", "period").distinct().to_pyarrow().to_pylist()
    return {(r["plan_key"], r["cadence"], r["period"]) for r in rows}


def _latest_due(cadence: str, today: date) -> Period:
    """The latest period of ``cadence`` whose bulletin is due on or before ``today``."""
    period = period_of(today, cadence)
    while issue_day(period) > today:
        period = period.previous()
    return period


def due_editions(con: ibis.BaseBackend, plans: Plans, today: date, config: ScheduleConfig | None = None
                 ) -> list[dict]:
    """The editions due on ``today`` not yet issued: {plan_key, cadence, period, as_of, due_on}.  Per plan and
    cadence only the latest ``catch_up_periods`` periods whose due day has come are looked at, so a first run does
    not print years of back issues; periods outside the plan's span (issued .. deadline) are not a plan's."""
    _check_day(today)
    config = config or load_config()
    issued = _issued_periods(con)
    due = []
    for plan in _plans(plans, config):
        for cadence in config.cadences:
            period = _latest_due(cadence, today)
            for _ in range(config.catch_up_periods):
                if (config.start and period.end < config.start) or period.end < plan.issued:
                    break
                if in_plan(plan, period) and (plan.key, cadence, period.key) not in issued:
                    due.append({"plan_key": plan.key, "cadence": cadence, "period": period.key,
                                "as_of": period.end, "due_on": issue_day(period)})
                if period.start.year == FIRST_YEAR and period.start.month == 1:
                    break  # nothing before the calendar's first year
                period = period.previous()
    return sorted(due, key=lambda d: (d["plan_key"], d["cadence"], d["as_of"]))


def _one(duck: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """One row read on its own cursor, fully fetched (the connection may be the analytics' too)."""
    cursor = duck.cursor()
    try:
        rows = cursor.execute(sql, params or []).fetchall()
    finally:
        cursor.close()
    return rows[0] if rows else None


def _iso(value) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def _count_and_last(duck: duckdb.DuckDBPyConnection, table: str, column: str) -> tuple[int, str | None]:
    """A table's rows and its latest time (0 and None for a warehouse made before the table)."""
    try:
        count, last = _one(duck, f"SELECT count(*), max({column}) FROM {table}")  # table and column are ours
    except duckdb.CatalogException:
        return 0, None
    return int(count), _iso(last)


def data_stamp(duck: duckdb.DuckDBPyConnection) -> dict:
    """What the warehouse held when the edition was built: its imports, the last unit report filed, the last
    qualitative score, the plan values entered (a count and a digest: a value may be replaced in place), the
    abnormal-application reviews (confirmed ones leave the figures) and the branch corrections (they move patents
    between the industries' branches): a count and the latest time of each, since a correction replaces its row.
    Two stamps equal, the bulletin's figures are the same."""
    count, last_id, last_at = _one(duck, "SELECT count(*), max(import_id), max(imported_at) FROM imports")
    (last_report,) = _one(duck, "SELECT max(submitted_at) FROM task_reports")
    (last_score,) = _one(duck, "SELECT max(scored_at) FROM unit_scores")
    values, digest = _one(duck, "SELECT count(*), md5(coalesce(string_agg(target_key || '|' || as_of_date || '|'"
                                " || value, ';' ORDER BY target_key, as_of_date), '')) FROM plan_values")
    reviews, last_review = _count_and_last(duck, "abnormal_reviews", "decided_at")
    corrections, last_correction = _count_and_last(duck, "branch_corrections", "corrected_at")
    return {"imports": int(count), "last_import_id": last_id, "last_imported_at": _iso(last_at),
            "last_report_at": _iso(last_report), "last_score_at": _iso(last_score), "plan_values": int(values),
            "plan_values_md5": digest, "reviews": reviews, "last_review_at": last_review,
            "corrections": corrections, "last_correction_at": last_correction}


def _number(v: object) -> float | None:
    if v is None:
        return None
    f = float(v)  # type: ignore[arg-type]
    return None if math.isnan(f) or math.isinf(f) else round(f, 6)


def _task_figures(bulletin) -> dict[str, float]:
    """The key-tasks section's counts per reporting period (``tasks:<period>:on_time|late|overdue|required``),
    read back from its 任务报送 sheet, and each unit's assessment total (``score:<unit>``) from its 考核评分 table."""
    from hvpatent.reports.tasks_section import SHEET
    from hvpatent.tasks import STATUS_WORDS

    status_of = {zh: key for key, (zh, _en) in STATUS_WORDS.items()}
    figures: dict[str, float] = {}
    for row in bulletin.sheets.get(SHEET, []):
        period = row["period"]
        figures[f"tasks:{period}:required"] = figures.get(f"tasks:{period}:required", 0.0) + 1
        for status in ("on_time", "late", "overdue"):
            figures.setdefault(f"tasks:{period}:{status}", 0.0)
        status = status_of.get(row["status"], row["status"])
        if status in ("on_time", "late", "overdue"):
            figures[f"tasks:{period}:{status}"] += 1
    for section in bulletin.sections:
        for table in section.tables:
            if table.title.endswith("考核评分"):
                figures.update({f"score:{r['unit']}": _number(r["total"]) for r in table.rows})
    return figures


def edition_figures(bulletin, plan: Plan) -> dict[str, float | None]:
    """The indicators the bulletin printed, the plan targets' current values (``target:KEY``), and the key tasks'
    report counts and assessment totals (_task_figures): a re-issue lists every printed number that changed."""
    figures = {k: _number(v) for k, v in bulletin.figures.items()}
    by_name = {t.name: t.key for t in plan.targets}
    for row in bulletin.sheets.get("目标进展", []):
        if row["name"] in by_name:
            figures[f"target:{by_name[row['name']]}"] = _number(row["current"])
    figures.update(_task_figures(bulletin))
    return figures


_TASK_WORDS = {"required": ("应报", "required"), "on_time": ("按时报送", "on time"), "late": ("逾期报送", "late"),
               "overdue": ("逾期未报", "overdue")}


def _figure_name(key: str, plan: Plan) -> str:
    from hvpatent.indicators import INDICATORS

    if key.startswith("target:"):
        return next((t.name for t in plan.targets if t.key == key[7:]), key)
    if key.startswith("tasks:") and key.count(":") == 2:
        _, period, status = key.split(":")
        return f"{period}任务报送{_TASK_WORDS.get(status, (status,))[0]}份数"
    if key.startswith("score:"):
        return f"{key[6:]}考核总分"
    return INDICATORS[key].zh if key in INDICATORS else key


def figure_changes(before: dict, after: dict, stamp_before: dict, stamp_after: dict, plan: Plan) -> list[dict]:
    """Every figure that differs between two versions, and the data-stamp line (imports n -> m)."""
    changes = [{"key": k, "name": _figure_name(k, plan), "before": before.get(k), "after": after.get(k)}
               for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    changes.append({"key": IMPORTS, "name": "数据导入批次 / imports", "before": stamp_before.get("imports"),
                    "after": stamp_after.get("imports")})
    return changes


def _show(v: object) -> str:
    if v is None:
        return "—"
    return f"{v:g}" if isinstance(v, float) else str(v)


def reissue_notice(version: int, reason: str, changes: list[dict]) -> str:
    """The first-page notice of a re-issued bulletin, in Chinese and English."""
    figures = [c for c in changes if c["key"] != IMPORTS]
    stamp = next(c for c in changes if c["key"] == IMPORTS)
    zh = "、".join(f"{c['name']}由{_show(c['before'])}变为{_show(c['after'])}" for c in figures) or "数字无变化"
    en = "; ".join(f"{c['key']} {_show(c['before'])} → {_show(c['after'])}" for c in figures) or "no figure changed"
    imports = f"{_show(stamp['before'])} → {_show(stamp['after'])}"
    return (f"本期通报为第{version}版，更正原因：{reason}；与上一版相比变化：{zh}（数据导入批次 {imports}）。\n"
            f"This is version {version} of this bulletin, re-issued because: {reason}; changes from version "
            f"{version - 1}: {en} (imports {imports}).")


def _reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    text = CONTROL.sub("", reason).strip()
    if not text:
        raise EditionError("更正原因不能为空 / the reason must not be empty")
    if len(text) > MAX_REASON_CHARS:
        raise EditionError(f"更正原因超过 {MAX_REASON_CHARS} 字 / the reason is over {MAX_REASON_CHARS} characters")
    return text


def _last(duck: duckdb.DuckDBPyConnection, plan_key: str, cadence: str, period: str) -> dict | None:
    row = _one(duck, "SELECT version, figures, data_stamp, issued_on FROM bulletin_editions WHERE plan_key = ?"
               " AND cadence = ? AND period = ? ORDER BY version DESC LIMIT 1", [plan_key, cadence, period])
    if row is None:
        return None
    return {"version": row[0], "figures": json.loads(row[1]), "data_stamp": json.loads(row[2]), "issued_on": row[3]}


def _write_files(bulletin, formats: tuple[str, ...], stem: str) -> dict[str, tuple[str, bytes]]:
    from hvpatent.reports import write_bulletin

    files = {}
    with tempfile.TemporaryDirectory(prefix="hvp-edition-") as folder:
        for fmt in formats:
            path = Path(folder) / f"{stem}.{fmt}"
            write_bulletin(bulletin, fmt, path)
            files[fmt] = (path.name, path.read_bytes())
    return files


def _build(duck: duckdb.DuckDBPyConnection, con: ibis.BaseBackend, plan: Plan, span: Period, today: date):
    """The bulletin and the data stamp it was built on, both of one state of the warehouse: the stamp is read
    before and after the build, and the build repeated when an import, a report or a score landed meanwhile (the
    server's writers commit while a scheduled run reads)."""
    from hvpatent.reports import build_bulletin

    stamp = data_stamp(duck)
    for _ in range(SNAPSHOT_TRIES):
        bulletin = build_bulletin(con, as_of=span.end, period=span.cadence, region=plan.region, plan=plan,
                                  issued_on=today)
        after = data_stamp(duck)
        if after == stamp:
            return bulletin, stamp
        stamp = after
    raise EditionError(f"{plan.key} {span.key}：数据在生成通报期间一直在变，请稍后再印发 / the data kept changing "
                       "while the bulletin was built: issue it again later")


def issue_edition(duck: duckdb.DuckDBPyConnection, con: ibis.BaseBackend, plan: Plan, cadence: str, period: str, *,
                  by: str, today: date, reason: str | None = None, config: ScheduleConfig | None = None) -> dict:
    """Issue version 1 of the period's edition, or (``reason`` given) the next version with its changes listed."""
    config = config or load_config()
    _check_day(today)
    span = bulletin_period(cadence, period)
    if not in_plan(plan, span):
        raise EditionError(f"{span.key} 不在方案 {plan.key} 的期限内（{plan.issued} 至 {plan.deadline}）/ {span.key} "
                           f"lies outside plan {plan.key}'s span ({plan.issued} to {plan.deadline})")
    if today < issue_day(span):
        raise EditionError(f"{plan.key} {span.key} 的通报 {issue_day(span)} 才到期 / not due until "
                           f"{issue_day(span)}")
    reason = _reason(reason)
    last = _last(duck, plan.key, cadence, span.key)
    if last is not None and reason is None:
        raise EditionError(f"{plan.key} {cadence} {span.key} 已于 {last['issued_on']} 印发第{last['version']}版，"
                           f"重新印发须说明原因 / already issued (v{last['version']}); a re-issue needs a reason")
    if last is None and reason is not None:
        raise EditionError(f"{plan.key} {cadence} {span.key} 尚未印发，无可重新印发 / not issued yet: nothing to "
                           "re-issue")
    version = 1 if last is None else last["version"] + 1
    bulletin, stamp = _build(duck, con, plan, span, today)
    figures = edition_figures(bulletin, plan)
    changes = [] if last is None else figure_changes(last["figures"], figures, last["data_stamp"], stamp, plan)
    if last is not None:
        bulletin.notice = reissue_notice(version, reason or "", changes)
    files = _write_files(bulletin, config.formats, f"{plan.key}-{span.key}-v{version}")
    key = edition_id(plan.key, cadence, span.key, version)
    store_edition(duck, key, plan, span, version, today, by, stamp, figures, changes, reason, files)
    return edition_from_duck(duck, key)


def audit_detail(key: str, reason: str | None, files: dict[str, tuple[str, bytes]]) -> str:
    """The audit line of an issue: the edition, the reason, and each file's SHA-256, a second record of the hashes
    outside the edition's own rows, which `verify` compares with (a tamper must rewrite the audit log too)."""
    hashes = ",".join(f"{fmt}={hashlib.sha256(content).hexdigest()}" for fmt, (_name, content) in sorted(files.items()))
    return key + (f" ({reason})" if reason else "") + f" sha256 {hashes}"


def store_edition(duck: duckdb.DuckDBPyConnection, key: str, plan: Plan, span: Period, version: int, today: date,
                  by: str, stamp: dict, figures: dict, changes: list[dict], reason: str | None,
                  files: dict[str, tuple[str, bytes]]) -> None:
    """Every row of the edition in one transaction, and its audit line (issue_edition's last step; tests use it
    to lay down an edition without building a bulletin)."""
    from hvpatent.warehouse.accounts import audit

    try:
        with transaction(duck):
            duck.execute("INSERT INTO bulletin_editions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         [key, plan.key, plan.region, span.cadence, span.key, version, span.end, issue_day(span),
                          today, china_now(), by, json.dumps(stamp), json.dumps(figures, ensure_ascii=False),
                          json.dumps(changes, ensure_ascii=False), reason])
            for fmt, (name, content) in files.items():
                duck.execute("INSERT INTO bulletin_edition_files VALUES (?, ?, ?, ?, ?, ?)",
                             [key, fmt, name, len(content), hashlib.sha256(content).hexdigest(), content])
            audit(duck, by, AUDIT_ACTION, audit_detail(key, reason, files))
    except duckdb.ConstraintException:
        raise EditionError(f"{key} 已由另一进程印发 / {key} was issued meanwhile") from None


def run_schedule(duck: duckdb.DuckDBPyConnection, con: ibis.BaseBackend, plans: Plans, today: date, *,
                 by: str = "schedule", config: ScheduleConfig | None = None) -> list[dict]:
    """Issue every edition due on ``today`` and not yet issued (idempotent: a second run issues nothing)."""
    config = config or load_config()
    return [issue_edition(duck, con, plans.get(d["plan_key"]), d["cadence"], d["period"], by=by, today=today,
                          config=config)
            for d in due_editions(con, plans, today, config)]


COLUMNS = ("edition_id", "plan_key", "region", "cadence", "period", "version", "as_of", "due_on", "issued_on",
           "issued_at", "issued_by", "data_stamp", "figures", "changes", "reason")


def _edition(row: dict, files: list[dict]) -> dict:
    out = {**row, "ref": edition_ref(row["edition_id"]), "late": row["issued_on"] > row["due_on"],
           "data_stamp": json.loads(row["data_stamp"]), "figures": json.loads(row["figures"]),
           "changes": json.loads(row["changes"])}
    out["files"] = [{k: f[k] for k in ("format", "file_name", "size_bytes", "sha256")} for f in files
                    if f["edition_id"] == row["edition_id"]]
    return out


def _files(con: ibis.BaseBackend, ids: list[str] | None = None) -> list[dict]:
    t = con.table("bulletin_edition_files")
    if ids is not None:
        t = t.filter(t.edition_id.isin(ids))
    return t.select("edition_id", "format", "file_name", "size_bytes", "sha256").order_by(
        ["edition_id", "format"]).to_pyarrow().to_pylist()


def editions(con: ibis.BaseBackend, plan_key: str | None = None) -> list[dict]:
    """Every edition (of one plan when given), the latest issued first, with its files (no bytes)."""
    t = con.table("bulletin_editions")
    if plan_key:
        t = t.filter(t.plan_key == plan_key)
    rows = t.order_by([ibis.desc("as_of"), "plan_key", "cadence", ibis.desc("version")]).to_pyarrow().to_pylist()
    files = _files(con) if rows else []
    return [_edition(r, files) for r in rows]


def edition(con: ibis.BaseBackend, edition_id: str) -> dict:
    """One edition by id (plan/cadence/period/vN, or its ~ form); EditionError when there is none."""
    key = _id(edition_id)
    t = con.table("bulletin_editions")
    rows = t.filter(t.edition_id == key).to_pyarrow().to_pylist()
    if not rows:
        raise EditionError(f"没有这个通报版本 / no such edition: {key[:80]}")
    return _edition(rows[0], _files(con, [key]))


def edition_from_duck(duck: duckdb.DuckDBPyConnection, key: str) -> dict:
    cursor = duck.cursor()
    try:
        return edition(ibis.duckdb.from_connection(cursor), key)
    finally:
        cursor.close()


def edition_file(con: ibis.BaseBackend, edition_id: str, fmt: str) -> dict:
    """One file of an edition with its bytes (``content``) and media type; EditionError when there is none."""
    key = _id(edition_id)
    t = con.table("bulletin_edition_files")
    rows = t.filter((t.edition_id == key) & (t.format == fmt)).to_pyarrow().to_pylist()
    if not rows:
        raise EditionError(f"通报版本 {key[:80]} 没有 {fmt[:10]} 文件 / no {fmt[:10]} file of that edition")
    return {**rows[0], "media_type": MEDIA.get(fmt, "application/octet-stream")}


def _audited_hashes(duck: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Edition id -> {format: sha256} as written into the audit log at issue (editions issued before the audit
    line carried hashes have none: they are checked against their own rows only)."""
    cursor = duck.cursor()
    try:
        lines = cursor.execute("SELECT detail FROM audit_log WHERE action = ?", [AUDIT_ACTION]).fetchall()
    finally:
        cursor.close()
    found: dict[str, dict[str, str]] = {}
    for (detail,) in lines:
        match = HASHES.search(detail or "")
        if match:
            key = detail.split(" ", 1)[0]
            found[key] = dict(pair.split("=", 1) for pair in match.group(1).split(","))
    return found


def _missing(edition_key: str, fmt: str | None, audited: str | None) -> dict:
    """A verify row for a file the audit log recorded (or an edition holds) but that has no file row."""
    return {"edition_id": edition_key, "format": fmt, "file_name": None, "sha256": None, "audited": audited,
            "actual": None, "missing": True, "ok": False}


def verify_editions(duck: duckdb.DuckDBPyConnection) -> list[dict]:
    """Each stored file's SHA-256 recomputed against the one recorded in its row and the one the audit log
    recorded at issue; the files are read one at a time (years of editions never sit in memory together).  A
    format the audit line recorded whose file row is gone, and an edition left with no file at all, are rows with
    ``missing`` true (``format`` None for the latter)."""
    audited = _audited_hashes(duck)
    cursor = duck.cursor()
    try:
        keys = cursor.execute("SELECT edition_id, format FROM bulletin_edition_files ORDER BY edition_id, format"
                              ).fetchall()
        ids = [k for (k,) in cursor.execute("SELECT edition_id FROM bulletin_editions ORDER BY edition_id").fetchall()]
        out = []
        for edition_key, fmt in keys:
            name, size, recorded, content = cursor.execute(
                "SELECT file_name, size_bytes, sha256, content FROM bulletin_edition_files WHERE edition_id = ?"
                " AND format = ?", [edition_key, fmt]).fetchone()
            actual = hashlib.sha256(content).hexdigest()
            at_issue = audited.get(edition_key, {}).get(fmt)
            out.append({"edition_id": edition_key, "format": fmt, "file_name": name, "sha256": recorded,
                        "audited": at_issue, "actual": actual, "missing": False,
                        "ok": actual == recorded and len(content) == size and at_issue in (None, actual)})
    finally:
        cursor.close()
    present = set(keys)
    with_files = {k for k, _ in keys}
    for edition_key in sorted(set(ids) | set(audited)):
        gone = [fmt for fmt in sorted(audited.get(edition_key, {})) if (edition_key, fmt) not in present]
        out.extend(_missing(edition_key, fmt, audited[edition_key][fmt]) for fmt in gone)
        if edition_key not in with_files and not gone:
            out.append(_missing(edition_key, None, None))
    return out
