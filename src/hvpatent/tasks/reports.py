"""Filing and reading the units' progress reports (workflow tables task_reports, task_report_files).  OWNER: H2.

A unit files one report per task and reporting period; filing again amends it: the next version, the earlier ones
kept (report_history).  A report holds the unit's text, the figures it enters ({name, value, unit}, stored as JSON
text) and its attachments, each checked by tasks/attachments.py before anything is written.  An amendment given no
files keeps the previous version's (``keep_files``).  The report row, its files and the audit_log row are written in
one transaction: a failure anywhere leaves the tables as they were.

Reading is scoped: given ``unit``, another unit's report is ReportNotFound, the same answer as a missing one, so a
unit account cannot learn which report ids exist.
"""

from __future__ import annotations

import json
import math
import unicodedata
import uuid
from collections.abc import Sequence
from datetime import datetime

import duckdb
import ibis

from hvpatent.plan.model import Plan, Task
from hvpatent.plan.registry import Plans
from hvpatent.reference.clock import china_now
from hvpatent.tasks import attachments as _attachments
from hvpatent.tasks.config import TasksConfig, load_config
from hvpatent.tasks.periods import Period, plan_period
from hvpatent.warehouse.transaction import transaction

REPORTS, FILES = "task_reports", "task_report_files"
FILE_META = ("file_no", "file_name", "kind", "media_type", "size_bytes", "sha256")


class ReportError(ValueError):
    """A report that cannot be filed; the message (Chinese / English) names the field."""


class AttachmentRefused(ReportError, _attachments.AttachmentError):
    """An attachment refused while filing: both a ReportError and the AttachmentError it came from."""


class ReportNotFound(LookupError):
    """No such report, or not one the asking unit may see (the same answer either way)."""


def _say(zh: str, en: str) -> ReportError:
    return ReportError(f"{zh} / {en}")


def unit_tasks(plans: Plans, unit: str) -> list[dict]:
    """The unit's tasks in every plan: {plan_key, plan_name, task (Task), role: responsible | cooperating}."""
    found = []
    for plan in plans:
        for task in plan.tasks:
            role = task_role(task, unit)
            if role:
                found.append({"plan_key": plan.key, "plan_name": plan.name, "task": task, "role": role})
    return found


def task_role(task: Task, unit: str) -> str | None:
    """responsible | cooperating | None: the unit's part in the task."""
    if unit in task.responsible:
        return "responsible"
    if unit in task.cooperating:
        return "cooperating"
    return None


def clean_text(text: str) -> str:
    """Control characters other than newline and tab removed (a CR LF is a newline), ends stripped."""
    text = str(text).replace("\r\n", "\n")
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc").strip()


def _checked_text(text: str, config: TasksConfig) -> str:
    cleaned = clean_text(text or "")
    if not cleaned:
        raise _say("报告正文不能为空", "the report's text is empty")
    limit = config.report["max_text_chars"]
    if len(cleaned) > limit:
        raise _say(f"报告正文超过 {limit} 字（{len(cleaned)} 字）",
                   f"the report's text is over {limit} characters ({len(cleaned)})")
    return cleaned


def _number(value: object, zh: str, en: str) -> float:
    """The figure's value as a number; ``zh`` / ``en`` name the figure in each half of the message."""
    if isinstance(value, bool):
        raise _say(f"{zh}：数值应为数字", f"{en}: the value must be a number")
    try:
        number = float(str(value).strip().replace(",", "")) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise _say(f"{zh}：数值应为数字", f"{en}: the value must be a number") from None
    if not math.isfinite(number):
        raise _say(f"{zh}：数值应为有限数", f"{en}: the value must be a finite number")
    return number


def _blank(raw: object) -> bool:
    """A figure row with no name, value or unit: an empty row of the form, skipped (its number kept)."""
    return isinstance(raw, dict) and not any(clean_text(raw.get(k) if raw.get(k) is not None else "")
                                             for k in ("name", "value", "unit"))


def _checked_figures(figures: Sequence[dict], config: TasksConfig) -> list[dict]:
    """The figures checked, each message naming the figure by its place in the list given (the form's row number:
    blank rows count in the numbering but are not kept)."""
    limit, name_max, unit_max = (config.report[k] for k in
                                 ("max_figures", "max_figure_name_chars", "max_figure_unit_chars"))
    given = [(i, raw) for i, raw in enumerate(figures or (), 1) if not _blank(raw)]
    if len(given) > limit:
        raise _say(f"填报数据最多 {limit} 项（{len(given)} 项）", f"at most {limit} figures ({len(given)} given)")
    checked = []
    for i, raw in given:
        zh, en = f"第 {i} 项数据", f"figure {i}"
        if not isinstance(raw, dict):
            raise _say(f"{zh}：应有名称、数值、单位", f"{en}: expected a name, a value and a unit")
        name, unit = clean_text(raw.get("name") or ""), clean_text(raw.get("unit") or "")
        if not name:
            raise _say(f"{zh}：名称不能为空", f"{en}: the name is empty")
        if len(name) > name_max:
            raise _say(f"{zh}：名称超过 {name_max} 字", f"{en}: the name is over {name_max} characters")
        if len(unit) > unit_max:
            raise _say(f"{zh}：单位超过 {unit_max} 字", f"{en}: the unit is over {unit_max} characters")
        checked.append({"name": name, "value": _number(raw.get("value"), zh, en), "unit": unit})
    return checked


def _checked_files(attachments: Sequence[tuple[str, bytes]], config: TasksConfig) -> list:
    if not attachments:
        return []
    try:
        return _attachments.check_attachments(list(attachments), config)
    except _attachments.AttachmentError as err:
        raise AttachmentRefused(str(err)) from err


def _checked_target(plan: Plan, task_number: int, unit: str, period: str, now: datetime) -> Period:
    task = plan.task(task_number)
    if task is None:
        raise _say(f"方案 {plan.key} 没有任务 {task_number}", f"plan {plan.key} has no task {task_number}")
    if task_role(task, unit) is None:
        raise _say(f"{unit} 不是任务 {task_number} 的责任单位或配合单位",
                   f"{unit} is neither a responsible nor a cooperating unit of task {task_number}")
    try:
        found = plan_period(plan, period)
    except ValueError as err:
        raise ReportError(str(err)) from None
    if found.start > now.date():
        raise _say(f"报送期 {found.key} 尚未开始（{found.start} 起）",
                   f"period {found.key} has not begun (it begins on {found.start})")
    return found


def file_report(duck: duckdb.DuckDBPyConnection, plan: Plan, task_number: int, unit: str, period: str, *,
                text: str, figures: Sequence[dict] = (), attachments: Sequence[tuple[str, bytes]] = (), by: str,
                now: datetime | None = None, keep_files: bool = True, config: TasksConfig | None = None) -> dict:
    """File (or amend: the next version) the unit's report on the task for the period, attachments checked
    (tasks.attachments) and stored with it in one transaction.  Returns the stored report (as get_report)."""
    from hvpatent.warehouse.accounts import audit

    config = config or load_config()
    now = now or china_now()   # Beijing time: due dates and periods are days of China's calendar
    found = _checked_target(plan, task_number, unit, period, now)
    body = _checked_text(text, config)
    numbers = _checked_figures(figures, config)
    files = _checked_files(attachments, config)
    key = [plan.key, task_number, unit, found.key]
    report_id = uuid.uuid4().hex
    try:
        with transaction(duck):
            last = duck.execute(f"SELECT version, report_id FROM {REPORTS} WHERE plan_key = ? AND task_number = ?"
                                " AND unit = ? AND period = ? ORDER BY version DESC LIMIT 1", key).fetchone()
            version = last[0] + 1 if last else 1
            _check_versions(version, config)
            duck.execute(f"INSERT INTO {REPORTS} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         [report_id, *key, version, body, json.dumps(numbers, ensure_ascii=False), now, by])
            for no, f in enumerate(files, 1):
                duck.execute(f"INSERT INTO {FILES} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             [report_id, no, f.file_name, f.kind, f.media_type, f.size_bytes, f.sha256, f.content])
            if not files and keep_files and last:
                # an amendment of the text alone keeps the files the unit sent before
                duck.execute(f"INSERT INTO {FILES} SELECT ?, file_no, file_name, kind, media_type, size_bytes,"
                             f" sha256, content FROM {FILES} WHERE report_id = ?", [report_id, last[1]])
            audit(duck, by, "task_report_filed", f"{plan.key}/{task_number}/{unit}/{found.key} v{version}")
    except duckdb.ConstraintException:
        # another filing of the same report took this version number first
        raise _say("同一报告正在被另一人提交，请重试",
                   "the same report was filed at the same moment; try again") from None
    return _read_back(duck, report_id)


def _check_versions(version: int, config: TasksConfig) -> None:
    """Refuse a version past tasks.yaml's report.max_versions: each amendment stores its files again, so unbounded
    amendments would let one unit account fill the disk."""
    cap = config.report["max_versions"]
    if version > cap:
        raise _say(f"这份报告已修改 {cap - 1} 次，已达版本上限 {cap}，不能再修改；如需更正请联系知识产权局",
                   f"this report has reached its limit of {cap} versions and cannot be amended again; "
                   "ask the IP office to correct it")


def _read_back(duck: duckdb.DuckDBPyConnection, report_id: str) -> dict:
    """The stored report, read on a cursor of its own: an Ibis backend made on the server's shared connection would
    turn DuckDB's replacement scans off for every user of it (warehouse/store.py, Warehouse.ibis)."""
    cursor = duck.cursor()
    try:
        return get_report(ibis.duckdb.from_connection(cursor), report_id)
    finally:
        cursor.close()


def _table(con: ibis.BaseBackend, name: str):
    try:
        return con.table(name)
    except Exception:  # the backends raise their own kinds of "table not found": no table, no reports
        return None


def _rows(con: ibis.BaseBackend, **where: object) -> list[dict]:
    """Report rows matching ``where`` (column = value, None ignored), each with first_submitted_at (its first
    version's), oldest version first within a report."""
    table = _table(con, REPORTS)
    if table is None:
        return []
    for column, value in where.items():
        if value is not None:
            table = table.filter(table[column] == value)
    rows = table.to_pyarrow().to_pylist()
    rows.sort(key=lambda r: (r["plan_key"], r["task_number"], r["unit"], r["period"], r["version"]))
    for row in rows:
        row["figures"] = json.loads(row["figures"] or "[]")
    return _with_first(con, rows)


def _with_first(con: ibis.BaseBackend, rows: list[dict]) -> list[dict]:
    """first_submitted_at: version 1's submitted_at (read when ``rows`` lack it, e.g. one version asked for)."""
    first: dict[tuple, datetime] = {}
    groups = {(r["plan_key"], r["task_number"], r["unit"], r["period"]) for r in rows}
    missing = {g for g in groups if not any(r["version"] == 1 and _group(r) == g for r in rows)}
    for row in rows:
        if row["version"] == 1:
            first[_group(row)] = row["submitted_at"]
    if missing:
        # only the version-1 rows of the groups that lack theirs (get_report of a v2+), not the whole table's
        table = _table(con, REPORTS)
        keys = [(table.plan_key == g[0]) & (table.task_number == g[1]) & (table.unit == g[2]) & (table.period == g[3])
                for g in sorted(missing)]
        table = table.filter((table.version == 1) & ibis.or_(*keys))
        for row in table.select("plan_key", "task_number", "unit", "period", "submitted_at").to_pyarrow().to_pylist():
            first.setdefault(_group(row), row["submitted_at"])
    for row in rows:
        row["first_submitted_at"] = first.get(_group(row), row["submitted_at"])
    return rows


def _group(row: dict) -> tuple:
    return row["plan_key"], row["task_number"], row["unit"], row["period"]


def _files(con: ibis.BaseBackend, report_ids: list[str]) -> dict[str, list[dict]]:
    table = _table(con, FILES)
    if table is None or not report_ids:
        return {}
    table = table.filter(table.report_id.isin(report_ids)).select("report_id", *FILE_META)
    found: dict[str, list[dict]] = {}
    for row in sorted(table.to_pyarrow().to_pylist(), key=lambda r: (r["report_id"], r["file_no"])):
        found.setdefault(row.pop("report_id"), []).append(row)
    return found


def filings(con: ibis.BaseBackend, plan_key: str, unit: str | None = None) -> list[dict]:
    """Every version's filing of the plan's reports (unit's only when given), oldest version first within a report:
    {task_number, unit, period, version, submitted_at, report_id}, without the text and figures (the status of who
    has reported needs only the times)."""
    table = _table(con, REPORTS)
    if table is None:
        return []
    table = table.filter(table.plan_key == plan_key)
    if unit is not None:
        table = table.filter(table.unit == unit)
    rows = table.select("task_number", "unit", "period", "version", "submitted_at", "report_id").to_pyarrow()
    return sorted(rows.to_pylist(), key=lambda r: (r["task_number"], r["unit"], r["period"], r["version"]))


def reports(con: ibis.BaseBackend, *, plan_key: str | None = None, unit: str | None = None,
            task_number: int | None = None, period: str | None = None, latest_only: bool = True) -> list[dict]:
    """The reports, newest version of each (all versions with latest_only=False); ``unit`` limits to one unit's.
    Each row as get_report's, but with ``file_count`` in place of ``files``."""
    rows = _rows(con, plan_key=plan_key, unit=unit, task_number=task_number, period=period)
    if latest_only:
        newest = {_group(r): r for r in rows}   # oldest first: the last of each group wins
        rows = list(newest.values())
    files = _files(con, [r["report_id"] for r in rows])
    for row in rows:
        row["file_count"] = len(files.get(row["report_id"], []))
    return rows


def get_report(con: ibis.BaseBackend, report_id: str, unit: str | None = None) -> dict:
    """One report with its files' metadata; ReportNotFound when absent or (``unit`` given) another unit's."""
    rows = _rows(con, report_id=str(report_id))
    if not rows or (unit is not None and rows[0]["unit"] != unit):
        raise ReportNotFound(f"没有这份报告 / no such report: {report_id}")
    row = rows[0]
    row["files"] = _files(con, [row["report_id"]]).get(row["report_id"], [])
    return row


def report_history(con: ibis.BaseBackend, plan_key: str, task_number: int, unit: str, period: str) -> list[dict]:
    """Every version of the unit's report on the task for the period, oldest first, each with its files."""
    rows = _rows(con, plan_key=plan_key, task_number=task_number, unit=unit, period=period)
    files = _files(con, [r["report_id"] for r in rows])
    for row in rows:
        row["files"] = files.get(row["report_id"], [])
    return rows


def report_file(con: ibis.BaseBackend, report_id: str, file_no: int, unit: str | None = None) -> dict:
    """{file_name, kind, media_type, size_bytes, sha256, content}; ReportNotFound as get_report."""
    report = get_report(con, report_id, unit)
    table = _table(con, FILES)
    found = [] if table is None else table.filter(
        (table.report_id == report["report_id"]) & (table.file_no == int(file_no))).to_pyarrow().to_pylist()
    if not found:
        raise ReportNotFound(f"没有这个附件 / no such attachment: {report_id}/{file_no}")
    row = found[0]
    return {k: row[k] for k in ("file_name", "kind", "media_type", "size_bytes", "sha256", "content")}
