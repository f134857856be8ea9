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
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import ibis

from hvpatent.plan.model import Plan
from hvpatent.plan.registry import Plans
from hvpatent.reference.workdays import next_working_day
from hvpatent.schedule.config import CADENCES, ScheduleConfig, load_config

MAX_REASON_CHARS = 500
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
MONTH_KEY = re.compile(r"(\d{4})-(\d{2})")
QUARTER_KEY = re.compile(r"(\d{4})Q([1-4])")
MEDIA = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "html": "text/html; charset=utf-8", "pdf": "application/pdf"}
IMPORTS = "imports"  # the data-stamp line's key in an edition's changes


class EditionError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    key: str
    cadence: str

    @property
    def due_on(self) -> date:
        """The first working day after the period (State Council holiday notices: reference/workdays.py)."""
        return next_working_day(self.end)


def period_of(cadence: str, day: date) -> Period:
    """The month or quarter holding ``day``."""
    if cadence == "month":
        start = day.replace(day=1)
        key = f"{day.year}-{day.month:02d}"
    elif cadence == "quarter":
        start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        key = f"{day.year}Q{(day.month - 1) // 3 + 1}"
    else:
        raise EditionError(f"未知的周期 {cadence!r}（{' | '.join(CADENCES)}）/ unknown cadence")
    months = 1 if cadence == "month" else 3
    nxt = date(start.year + (start.month + months - 1) // 12, (start.month + months - 1) % 12 + 1, 1)
    return Period(start, nxt - timedelta(days=1), key, cadence)


def parse_period(cadence: str, key: str) -> Period:
    """The period of a key (2024-09 for a month, 2024Q3 for a quarter); EditionError naming the key otherwise."""
    pattern = MONTH_KEY if cadence == "month" else QUARTER_KEY if cadence == "quarter" else None
    match = pattern.fullmatch(key.strip()) if pattern else None
    if match is None:
        raise EditionError(f"期次 {key!r} 不是{'月份（如 2024-09）' if cadence == 'month' else '季度（如 2024Q3）'}"
                           f" / {key!r} is not a {cadence} key (2024-09, 2024Q3)")
    year, n = int(match.group(1)), int(match.group(2))
    if not 1900 <= year <= 2999 or (cadence == "month" and not 1 <= n <= 12):
        raise EditionError(f"期次 {key!r} 不存在 / no such period")
    return period_of(cadence, date(year, n if cadence == "month" else 3 * n - 2, 1))


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


def due_editions(con: ibis.BaseBackend, plans: Plans, today: date, config: ScheduleConfig | None = None
                 ) -> list[dict]:
    """The editions due on ``today`` not yet issued: {plan_key, cadence, period, as_of, due_on}.  Per plan and
    cadence only the latest ``catch_up_periods`` periods whose due day has come are looked at, so a first run does
    not print years of back issues."""
    config = config or load_config()
    issued = _issued_periods(con)
    due = []
    for plan in _plans(plans, config):
        for cadence in config.cadences:
            period = period_of(cadence, today)
            while period.due_on > today:
                period = period_of(cadence, period.start - timedelta(days=1))
            for _ in range(config.catch_up_periods):
                if config.start and period.end < config.start:
                    break
                if (plan.key, cadence, period.key) not in issued:
                    due.append({"plan_key": plan.key, "cadence": cadence, "period": period.key,
                                "as_of": period.end, "due_on": period.due_on})
                period = period_of(cadence, period.start - timedelta(days=1))
    return sorted(due, key=lambda d: (d["plan_key"], d["cadence"], d["as_of"]))


def _one(duck: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """One row read on its own cursor, fully fetched (the connection may be the analytics' too)."""
    cursor = duck.cursor()
    try:
        rows = cursor.execute(sql, params or []).fetchall()
    finally:
        cursor.close()
    return rows[0] if rows else None


def data_stamp(duck: duckdb.DuckDBPyConnection) -> dict:
    """Which imports the warehouse holds: the edition's data are those."""
    count, last_id, last_at = _one(duck, "SELECT count(*), max(import_id), max(imported_at) FROM imports")
    return {"imports": int(count), "last_import_id": last_id,
            "last_imported_at": last_at.isoformat(timespec="seconds") if last_at else None}


def _number(v: object) -> float | None:
    if v is None:
        return None
    f = float(v)  # type: ignore[arg-type]
    return None if math.isnan(f) or math.isinf(f) else round(f, 6)


def _figures(bulletin, plan: Plan) -> dict[str, float | None]:
    """The indicators the bulletin printed, and the plan targets' current values (``target:KEY``)."""
    figures = {k: _number(v) for k, v in bulletin.figures.items()}
    by_name = {t.name: t.key for t in plan.targets}
    for row in bulletin.sheets.get("目标进展", []):
        if row["name"] in by_name:
            figures[f"target:{by_name[row['name']]}"] = _number(row["current"])
    return figures


def _figure_name(key: str, plan: Plan) -> str:
    from hvpatent.indicators import INDICATORS

    if key.startswith("target:"):
        return next((t.name for t in plan.targets if t.key == key[7:]), key)
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


def issue_edition(duck: duckdb.DuckDBPyConnection, con: ibis.BaseBackend, plan: Plan, cadence: str, period: str, *,
                  by: str, today: date, reason: str | None = None, config: ScheduleConfig | None = None) -> dict:
    """Issue version 1 of the period's edition, or (``reason`` given) the next version with its changes listed."""
    from hvpatent.reports import build_bulletin

    config = config or load_config()
    span = parse_period(cadence, period)
    if today < span.due_on:
        raise EditionError(f"{plan.key} {span.key} 的通报 {span.due_on} 才到期 / not due until {span.due_on}")
    reason = _reason(reason)
    last = _last(duck, plan.key, cadence, span.key)
    if last is not None and reason is None:
        raise EditionError(f"{plan.key} {cadence} {span.key} 已于 {last['issued_on']} 印发第{last['version']}版，"
                           f"重新印发须说明原因 / already issued (v{last['version']}); a re-issue needs a reason")
    if last is None and reason is not None:
        raise EditionError(f"{plan.key} {cadence} {span.key} 尚未印发，无可重新印发 / not issued yet: nothing to "
                           "re-issue")
    version = 1 if last is None else last["version"] + 1
    stamp = data_stamp(duck)
    bulletin = build_bulletin(con, as_of=span.end, period=cadence, region=plan.region, plan=plan, issued_on=today)
    figures = _figures(bulletin, plan)
    changes = [] if last is None else figure_changes(last["figures"], figures, last["data_stamp"], stamp, plan)
    if last is not None:
        bulletin.notice = reissue_notice(version, reason or "", changes)
    files = _write_files(bulletin, config.formats, f"{plan.key}-{span.key}-v{version}")
    key = edition_id(plan.key, cadence, span.key, version)
    _store(duck, key, plan, span, version, today, by, stamp, figures, changes, reason, files)
    return edition_from_duck(duck, key)


def _store(duck, key, plan, span, version, today, by, stamp, figures, changes, reason, files) -> None:
    """Every row of the edition in one transaction, and its audit line."""
    from hvpatent.warehouse.accounts import audit

    duck.execute("BEGIN TRANSACTION")
    try:
        duck.execute("INSERT INTO bulletin_editions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     [key, plan.key, plan.region, span.cadence, span.key, version, span.end, span.due_on, today,
                      datetime.now(), by, json.dumps(stamp), json.dumps(figures, ensure_ascii=False),
                      json.dumps(changes, ensure_ascii=False), reason])
        for fmt, (name, content) in files.items():
            duck.execute("INSERT INTO bulletin_edition_files VALUES (?, ?, ?, ?, ?, ?)",
                         [key, fmt, name, len(content), hashlib.sha256(content).hexdigest(), content])
        audit(duck, by, "bulletin_edition_issued", key + (f" ({reason})" if reason else ""))
        duck.execute("COMMIT")
    except duckdb.ConstraintException:
        duck.execute("ROLLBACK")
        raise EditionError(f"{key} 已由另一进程印发 / {key} was issued meanwhile") from None
    except BaseException:
        duck.execute("ROLLBACK")
        raise


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


def verify_editions(con: ibis.BaseBackend) -> list[dict]:
    """Each stored file's SHA-256 recomputed against the one recorded at issue."""
    t = con.table("bulletin_edition_files")
    out = []
    for row in t.order_by(["edition_id", "format"]).to_pyarrow().to_pylist():
        actual = hashlib.sha256(row["content"]).hexdigest()
        out.append({"edition_id": row["edition_id"], "format": row["format"], "file_name": row["file_name"],
                    "sha256": row["sha256"], "actual": actual,
                    "ok": actual == row["sha256"] and len(row["content"]) == row["size_bytes"]})
    return out
