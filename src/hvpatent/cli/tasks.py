"""`hvp tasks`: the plan's tasks as work the units report on (docs/tasks.md, "Command line").  A bureau clerk lists
the tasks, sees who has reported (on time, late, overdue), enters a unit's paper report with its attachments, writes
the reminder letters, records the bureau's qualitative score and exports the assessment sheet.  Everything goes
through the room's door `hvpatent.tasks` (and the documents of reports/); no SQL here."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from hvpatent import i18n
from hvpatent.cli.abnormal import check_choice, emit, out_format, who, written
from hvpatent.cli.common import (
    AsOfOption,
    DbOption,
    OutOption,
    TableFmt,
    app,
    cannot_write,
    check_out,
    console,
    fail,
    open_warehouse,
    parse_as_of,
    write_json,
    writing,
)
from hvpatent.i18n import half

tasks_app = typer.Typer(help="重点任务报送、逾期与考核 / task reports, overdue reports and assessment",
                        no_args_is_help=True)
app.add_typer(tasks_app, name="tasks")

PlanOption = Annotated[str | None, typer.Option(
    "--plan", help="方案代码或方案文件（.yaml；默认：默认方案）/ plan key or plan file (default: the default plan)")]
UnitOption = Annotated[str | None, typer.Option("--unit", help="单位名称，如 区科技局 / unit, e.g. 区科技局")]
NeedUnit = Annotated[str, typer.Option("--unit", help="单位名称，如 区科技局 / unit, e.g. 区科技局")]
FmtOption = Annotated[TableFmt | None, typer.Option(
    "--format", help="table | json | csv | xlsx（默认按 --out 的扩展名，否则 table）/ default: from --out's suffix")]
WhoOption = Annotated[str | None, typer.Option(
    "--by", help="录入人（记入审计日志，默认当前系统用户）/ who enters it (audit log; default: the system user)")]
TaskArg = Annotated[int, typer.Argument(help="任务序号 / task number")]
PeriodArg = Annotated[str, typer.Argument(help="报送期，如 2024Q3、2024-09、2024H2、2024 / reporting period")]

ROLE_WORDS: dict[str, tuple[str, str]] = {"responsible": ("责任单位", "responsible"),
                                          "cooperating": ("配合单位", "cooperating")}
LIST_COLUMNS: dict[str, tuple[str, str]] = {
    "number": ("序号", "no."), "group": ("类别", "group"), "title": ("任务", "task"), "role_word": ("角色", "role"),
    "responsible": ("责任单位", "responsible units"), "cooperating": ("配合单位", "cooperating units"),
    "indicators": ("关联指标", "indicators"), "targets": ("关联目标", "targets"),
}
STATUS_COLUMNS: dict[str, tuple[str, str]] = {
    "task_number": ("任务", "task"), "task_title": ("任务名称", "title"), "unit": ("单位", "unit"),
    "role_word": ("角色", "role"), "period": ("报送期", "period"), "due": ("报送截止日", "due date"),
    "status_word": ("状态", "status"),
    # the first filing decides the status (on time or late); the latest is an amendment's
    "first_submitted_at": ("首次报送", "first filed"), "submitted_at": ("最近报送", "last filed"),
    "version": ("版本", "version"),
    "working_days_late": ("逾期工作日", "working days late"), "report_id": ("报告编号", "report id"),
}
HISTORY_COLUMNS: dict[str, tuple[str, str]] = {
    "version": ("版本", "version"), "submitted_at": ("报送时间", "submitted at"),
    "submitted_by": ("报送人", "submitted by"), "file_count": ("附件数", "files"), "text": ("内容", "text"),
    "report_id": ("报告编号", "report id"),
}
ASSESS_COLUMNS: dict[str, tuple[str, str]] = {
    "rank": ("名次", "rank"), "unit": ("单位", "unit"), "timeliness": ("报送及时性", "timeliness"),
    "indicators": ("指标进展", "indicators"), "qualitative": ("定性评价分", "qualitative score"),
    "total": ("总分", "total"), "notes": ("说明", "notes"),
}
# "name=value" or "name=value unit" (the unit after a space): 专利质押金额=1.5 亿元
FIGURE = re.compile(r"\s*(?P<name>[^=]+?)\s*=\s*(?P<value>[^\s]+)(?:\s+(?P<unit>.+?))?\s*")


# -- resolving the arguments -----------------------------------------------------------------------------------------

def plan_of(plan: str | None):
    """--plan: a key of the known plans, or a plan file (loaded with the known plans), resolved as `hvp plan` and
    `hvp report` resolve it (plan/registry.resolve_plan); the default plan when none is given.  An unknown key or a
    bad or missing file exits 2 naming it."""
    from hvpatent.plan import PlanError
    from hvpatent.plan.registry import looks_like_file, resolve_plan

    value = (plan or "").strip() or None
    if value and looks_like_file(value) and not Path(value).is_file():
        raise fail(f"方案文件不存在（--plan）：{value}", f"plan file not found (--plan): {value}")
    try:
        return resolve_plan(value)
    except PlanError as err:
        raise fail(f"方案有误（--plan）：{err}", f"bad plan (--plan): {err}") from None
    except OSError as err:
        raise fail(f"无法读取方案文件（--plan）：{value}：{err.strerror or err}",
                   f"cannot read the plan file (--plan): {value}: {err.strerror or err}") from None


def unit_of(plan, unit: str | None) -> str | None:
    """A unit the plan names; another exits 2 listing the plan's units."""
    if unit is None:
        return None
    text = unit.strip()
    if text not in plan.units():
        listing = "、".join(plan.units())
        raise fail(f"方案《{plan.name}》没有这个单位（--unit）：{text!r}，可用：{listing}",
                   f"the plan {plan.key} names no unit {text!r} (--unit); one of: {listing}")
    return text


def task_of(plan, number: int):
    task = plan.task(number)
    if task is None:
        numbers = ", ".join(str(t.number) for t in plan.tasks)
        raise fail(f"方案《{plan.name}》没有第 {number} 项任务，可用：{numbers}",
                   f"the plan {plan.key} has no task {number}; one of: {numbers}")
    return task


def period_of(plan, text: str) -> str:
    """The period's key as the room keys it (2024q3 → 2024Q3), in the plan's cadence; exit 2 naming the forms."""
    from hvpatent.tasks import parse_period

    try:
        return parse_period(text.strip(), plan.reporting.cadence).key
    except ValueError as err:  # the room writes "中文 / English"
        raise fail(half(err, 0), half(err, 1)) from None


@contextmanager
def refused() -> Iterator[None]:
    """The room's refusals (messages written "中文 / English") end in the user's language, in red, exit 2."""
    from hvpatent.tasks import AttachmentError, ReportError, ReportNotFound

    try:
        yield
    except (ReportError, AttachmentError, ReportNotFound) as err:
        text = str(err.args[0]) if isinstance(err, LookupError) and err.args else str(err)
        raise fail(half(text, 0), half(text, 1)) from None


def _i() -> int:
    """0 for Chinese, 1 for English: the index into a (zh, en) pair."""
    return 0 if i18n.lang() == "zh" else 1


def words(pairs: dict[str, tuple[str, str]], key: str | None) -> str:
    return pairs.get(key or "", (key or "", key or ""))[_i()]


def _status_row(row) -> dict:
    """A status row worded; first_submitted_at is the filing that decides the status (version 1's), shown beside
    the latest version's submitted_at."""
    from hvpatent.tasks import STATUS_WORDS

    data = dict(row.__dict__) if not isinstance(row, dict) else dict(row)
    if "first_submitted_at" not in data:   # a room without the field: only version 1 is its own first filing
        data["first_submitted_at"] = data.get("submitted_at") if data.get("version") == 1 else None
    return {**data, "status_word": words(STATUS_WORDS, data.get("status")),
            "role_word": words(ROLE_WORDS, data.get("role"))}


# -- list and status -------------------------------------------------------------------------------------------------

@tasks_app.command("list")
def list_cmd(
    unit: UnitOption = None,
    plan: PlanOption = None,
    fmt: FmtOption = None,
    out: OutOption = None,
) -> None:
    """方案的重点任务：责任单位、配合单位、关联指标与目标（--unit：该单位的任务及其角色）/ the plan's tasks with their
    units, linked indicators and targets (--unit: the unit's tasks and its role)."""
    the_plan = plan_of(plan)
    who_ = unit_of(the_plan, unit)
    fmt = out_format(fmt, out)
    check_out(out)
    rows = []
    for task in the_plan.tasks:
        role = ("responsible" if who_ in task.responsible else "cooperating" if who_ in task.cooperating else None)
        if who_ is not None and role is None:
            continue
        rows.append({"number": task.number, "group": task.group, "title": task.title, "role": role,
                     "role_word": words(ROLE_WORDS, role) if role else "", "responsible": list(task.responsible),
                     "cooperating": list(task.cooperating), "indicators": list(task.indicators),
                     "targets": list(task.targets)})
    columns = LIST_COLUMNS if who_ else {k: v for k, v in LIST_COLUMNS.items() if k != "role_word"}
    title = i18n.say(f"《{the_plan.name}》重点任务", f"Tasks of {the_plan.name_en or the_plan.key}")
    emit(rows, columns, fmt, out, title + (f" — {who_}" if who_ else ""), "tasks.xlsx",
         raw={"plan": the_plan.key, "unit": who_, "tasks": rows}, one_line=("number",))


@tasks_app.command("status")
def status_cmd(
    as_of: AsOfOption = None,
    period: Annotated[str | None, typer.Option("--period", help="只看一个报送期 / one period only")] = None,
    unit: UnitOption = None,
    status: Annotated[str | None, typer.Option(
        "--status", help="on_time | late | overdue | pending | optional")] = None,
    plan: PlanOption = None,
    fmt: FmtOption = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """各任务、单位、报送期的报送状态及按状态计数 / who has reported: every task, unit and period with its status,
    and the counts by status."""
    from hvpatent.tasks import STATUS_WORDS, STATUSES, report_status

    the_plan = plan_of(plan)
    who_, wanted = unit_of(the_plan, unit), check_choice(status, STATUSES, "状态", "status", "--status")
    key = period_of(the_plan, period) if period else None
    day, fmt = parse_as_of(as_of), out_format(fmt, out)
    check_out(out)
    with open_warehouse(db, must_exist=True) as wh, refused():
        rows = [_status_row(r) for r in report_status(wh.ibis(), the_plan, day, unit=who_, period=key)]
    rows = [r for r in rows if wanted is None or r["status"] == wanted]
    counts = {s: sum(r["status"] == s for r in rows) for s in STATUSES}
    title = i18n.say(f"{day} 任务报送情况", f"Task reports as of {day}")
    raw = {"plan": the_plan.key, "as_of": day, "unit": who_, "period": key, "counts": counts, "rows": rows}
    count_rows = [{i18n.say("状态", "status"): words(STATUS_WORDS, s), i18n.say("数量", "count"): n}
                  for s, n in counts.items()]
    emit(rows, STATUS_COLUMNS, fmt, out, title, "task-status.xlsx", raw=raw,
         extra={i18n.say("按状态计数", "counts"): count_rows}, one_line=("report_id",))
    if fmt is TableFmt.table:
        console.print("  ".join(f"{words(STATUS_WORDS, s)} {n}" for s, n in counts.items()),
                      markup=False, highlight=False)


@tasks_app.command("overdue")
def overdue_cmd(
    as_of: AsOfOption = None,
    unit: UnitOption = None,
    plan: PlanOption = None,
    fmt: FmtOption = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """逾期未报的报告（已过报送截止日仍未报送）/ the overdue reports: due dates passed, nothing filed."""
    from hvpatent.tasks import overdue

    the_plan, day = plan_of(plan), parse_as_of(as_of)
    who_, fmt = unit_of(the_plan, unit), out_format(fmt, out)
    check_out(out)
    with open_warehouse(db, must_exist=True) as wh, refused():
        rows = [_status_row(r) for r in overdue(wh.ibis(), the_plan, day, unit=who_)]
    columns = {k: v for k, v in STATUS_COLUMNS.items()
               if k not in ("first_submitted_at", "submitted_at", "version", "report_id")}
    emit(rows, columns, fmt, out, i18n.say(f"{day} 逾期未报", f"Overdue reports as of {day}"),
         "task-overdue.xlsx", raw={"plan": the_plan.key, "as_of": day, "rows": rows})
    if fmt is TableFmt.table and not rows:
        console.print(i18n.say("（无逾期未报）", "(nothing overdue)"))


# -- filing a report ---------------------------------------------------------------------------------------------------

def parse_figure(text: str) -> dict:
    """--figure "name=value[ unit]": a finite number; anything else exits 2 naming the option's text."""
    match = FIGURE.fullmatch(text)
    value = None
    if match:
        try:
            value = float(match["value"].replace(",", ""))
        except ValueError:
            value = None
    if value is None or not math.isfinite(value):
        raise fail(f"数据项应写作 名称=数值[ 单位]（--figure）：{text!r}",
                   f"--figure must read name=value[ unit]: {text!r}")
    return {"name": match["name"], "value": value, "unit": (match["unit"] or "").strip()}


def read_capped(path: Path, cap: int, option: str) -> bytes:
    """The file's bytes, its size checked before reading (a 5 GiB file is refused, never read); exit 2 naming it."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise fail(f"不是文件（{option}）：{path}", f"not a file ({option}): {path}")
        if size > cap:
            raise fail(f"文件过大（{option}）：{path}（{size} 字节，上限 {cap} 字节）",
                       f"file too large ({option}): {path} ({size} bytes; at most {cap})")
        with path.open("rb") as handle:
            data = handle.read(cap + 1)   # a file that grew since the stat is still cut at the cap
    except OSError as err:
        raise fail(f"无法读取（{option}）：{path}：{err.strerror or err}",
                   f"cannot read ({option}): {path}: {err.strerror or err}") from None
    if len(data) > cap:
        raise fail(f"文件过大（{option}）：{path}", f"file too large ({option}): {path}")
    return data


def report_text(text: str | None, text_file: Path | None, max_chars: int) -> str:
    if (text is None) == (text_file is None):
        raise fail("请给出 --text 或 --text-file（二者之一）", "give --text or --text-file (one of them)")
    if text is not None:
        return text
    data = read_capped(text_file, max_chars * 4 + 4, "--text-file")   # UTF-8: at most 4 bytes a character
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise fail(f"报告文本应为 UTF-8 编码（--text-file）：{text_file}",
                   f"the report text must be UTF-8 (--text-file): {text_file}") from None


def attachments_of(files: list[Path], limits: dict) -> list[tuple[str, bytes]]:
    """The --attach files read within the settings' limits: the count and each size checked before any is read."""
    most = int(limits.get("max_files", 10))
    if len(files) > most:
        raise fail(f"附件过多（--attach）：{len(files)} 个，上限 {most} 个",
                   f"too many attachments (--attach): {len(files)}; at most {most}")
    cap = int(float(limits.get("max_file_mib", 20)) * 1024 * 1024)
    return [(path.name, read_capped(path, cap, "--attach")) for path in files]


@tasks_app.command("report")
def report_cmd(
    task: TaskArg,
    period: PeriodArg,
    unit: NeedUnit,
    text: Annotated[str | None, typer.Option("--text", help="报告内容 / the report's text")] = None,
    text_file: Annotated[Path | None, typer.Option(
        "--text-file", help="报告内容文件（UTF-8）/ the report's text from a file (UTF-8)")] = None,
    figure: Annotated[list[str] | None, typer.Option(
        "--figure", help='数据项 "名称=数值[ 单位]"（可多次）/ a figure "name=value[ unit]" (repeatable)')] = None,
    attach: Annotated[list[Path] | None, typer.Option(
        "--attach", help="附件 pdf/docx/xlsx/png/jpg（可多次）/ an attachment (repeatable)")] = None,
    by: WhoOption = None,
    keep_files: Annotated[bool, typer.Option(
        "--keep-files/--no-keep-files",
        help="未给附件时沿用上一版本的附件（默认沿用）/ with no --attach, carry the previous version's files")] = True,
    plan: PlanOption = None,
    db: DbOption = None,
) -> None:
    """报送（或修改：新版本）单位某任务某报送期的进展报告（如录入纸质报告）/ file (or amend: the next version) a
    unit's report on a task for a period (e.g. a paper report entered by the bureau)."""
    from hvpatent.tasks import ConfigError, file_report, load_config

    the_plan = plan_of(plan)
    task_of(the_plan, task)
    who_, key = unit_of(the_plan, unit), period_of(the_plan, period)
    try:
        config = load_config()
    except ConfigError as err:
        raise fail(f"任务设置文件有误：{err}", f"bad tasks settings file: {err}") from None
    body = report_text(text, text_file, int(config.report.get("max_text_chars", 20000)))
    figures = [parse_figure(f) for f in figure or ()]
    files = attachments_of(list(attach or ()), config.attachments)
    person = who(by)
    with open_warehouse(db, must_exist=True) as wh, wh.lock, refused():
        stored = file_report(wh.con, the_plan, task, who_, key, text=body, figures=figures, attachments=files,
                             by=person, keep_files=keep_files)
    names = ", ".join(f["file_name"] for f in stored.get("files") or ()) or i18n.say("无", "none")
    console.print(i18n.say(
        f"已报送：任务 {task} {key} {who_} 第 {stored['version']} 版（报告编号 {stored['report_id']}；附件：{names}）",
        f"filed: task {task} {key} {who_} version {stored['version']} (report {stored['report_id']}; files: "
        f"{names})"), markup=False, highlight=False)


# -- reading reports -------------------------------------------------------------------------------------------------

@tasks_app.command("show")
def show_cmd(
    report_id: Annotated[str, typer.Argument(help="报告编号 / report id")],
    fmt: Annotated[TableFmt, typer.Option("--format", help="table | json")] = TableFmt.table,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """一份报告：内容、数据项、附件及任务关联指标的数据 / one report: its text, figures, files and the figures of
    the task's linked indicators."""
    from hvpatent.plan import PlanError, load_plans
    from hvpatent.tasks import get_report, task_figures

    check_out(out)
    with open_warehouse(db, must_exist=True) as wh, refused():
        report = get_report(wh.ibis(), report_id.strip())
        try:
            the_plan = load_plans().get(report["plan_key"])
        except PlanError:
            the_plan = None   # a plan no longer known: the report is still shown, without the indicators
        linked = task_figures(wh.ibis(), the_plan, report["task_number"], report["period"]) if the_plan else []
    if fmt is not TableFmt.table:
        write_json({**report, "linked_figures": linked}, out)
        return
    _print_report(report, linked)


def _print_report(report: dict, linked: list[dict]) -> None:
    say = i18n.say
    lines = [
        say(f"报告 {report['report_id']}：任务 {report['task_number']} {report['period']} {report['unit']} "
            f"第 {report['version']} 版", f"Report {report['report_id']}: task {report['task_number']} "
            f"{report['period']} {report['unit']} version {report['version']}"),
        say(f"方案：{report['plan_key']}；报送：{report['submitted_at']}（{report['submitted_by']}）；首次报送："
            f"{report['first_submitted_at']}", f"plan: {report['plan_key']}; filed {report['submitted_at']} by "
            f"{report['submitted_by']}; first filed {report['first_submitted_at']}"),
        "", report["text"], "",
    ]
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    figures = [{"name": f["name"], "value": f["value"], "unit": f.get("unit") or ""} for f in report["figures"]]
    emit(figures, {"name": ("数据项", "figure"), "value": ("数值", "value"), "unit": ("单位", "unit")},
         TableFmt.table, None, say("报告的数据项", "Figures reported"), "")
    emit(list(report.get("files") or ()), {
        "file_no": ("序号", "no."), "file_name": ("文件名", "file name"), "kind": ("类型", "kind"),
        "size_bytes": ("字节", "bytes"), "sha256": ("SHA-256", "SHA-256")},
        TableFmt.table, None, say("附件", "Attachments"), "", one_line=("sha256",))
    shown = [{"name": f.get("name") or f.get("target_key") or f.get("key"),
              "value": f.get("value", f.get("current")), "previous": f.get("previous", f.get("target")),
              "direction": f.get("direction") or f.get("status") or ""} for f in linked]
    emit(shown, {"name": ("指标/目标", "indicator / target"), "value": ("本期末", "at period end"),
                 "previous": ("上期末/目标", "previous / target"), "direction": ("变化", "change")},
         TableFmt.table, None, say("关联指标与目标", "Linked indicators and targets"), "")


@tasks_app.command("history")
def history_cmd(
    task: TaskArg,
    period: PeriodArg,
    unit: NeedUnit,
    plan: PlanOption = None,
    fmt: FmtOption = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """一份报告的各版本（由早到晚）/ every version of a unit's report on a task for a period, oldest first."""
    from hvpatent.tasks import report_history

    the_plan = plan_of(plan)
    task_of(the_plan, task)
    who_, key, fmt = unit_of(the_plan, unit), period_of(the_plan, period), out_format(fmt, out)
    check_out(out)
    with open_warehouse(db, must_exist=True) as wh, refused():
        rows = report_history(wh.ibis(), the_plan.key, task, who_, key)
    shown = [{**r, "file_count": r.get("file_count", len(r.get("files") or ()))} for r in rows]
    emit(shown, HISTORY_COLUMNS, fmt, out, i18n.say(f"任务 {task} {key} {who_} 的报送记录",
                                                    f"Versions: task {task} {key} {who_}"),
         "task-report-history.xlsx", raw=rows, one_line=("report_id",))
    if fmt is TableFmt.table and not rows:
        console.print(i18n.say("（尚未报送）", "(not filed yet)"))


@tasks_app.command("file")
def file_cmd(
    report_id: Annotated[str, typer.Argument(help="报告编号 / report id")],
    number: Annotated[int, typer.Argument(help="附件序号 / the file's number")],
    out: Annotated[Path, typer.Option("--out", help="保存到 / write to")],
    force: Annotated[bool, typer.Option("--force", help="覆盖已有文件 / overwrite an existing file")] = False,
    db: DbOption = None,
) -> None:
    """取出报告的一个附件（存储的原样字节）/ write one of a report's attachments (the bytes as stored)."""
    from hvpatent.tasks import report_file

    check_out(out)
    if out.exists() and not force:
        raise fail(f"文件已存在，不覆盖（加 --force 覆盖）：{out}", f"{out} exists; not overwritten (--force to)")
    with open_warehouse(db, must_exist=True) as wh, refused():
        stored = report_file(wh.ibis(), report_id.strip(), number)
    with writing(out):
        out.write_bytes(stored["content"])
    console.print(i18n.say(f"已写入 {out}（{stored['file_name']}，{stored['size_bytes']} 字节）",
                           f"written: {out} ({stored['file_name']}, {stored['size_bytes']} bytes)"),
                  markup=False, highlight=False)


# -- reminders, scores, the assessment sheet -----------------------------------------------------------------------

@tasks_app.command("remind")
def remind_cmd(
    out: Annotated[Path, typer.Option("--out", help="催报函写入的文件夹 / the folder for the letters")],
    as_of: AsOfOption = None,
    unit: UnitOption = None,
    plan: PlanOption = None,
    db: DbOption = None,
) -> None:
    """为有逾期未报的单位各写一份催报函（docx）/ one reminder letter (docx) per unit with overdue reports."""
    from hvpatent.reports.task_letters import reminder_letters, safe_file_name, unique_file_names
    from hvpatent.tasks import overdue

    the_plan, day = plan_of(plan), parse_as_of(as_of)
    who_ = unit_of(the_plan, unit)
    if out.exists() and not out.is_dir():
        raise fail(f"--out 应为文件夹：{out}", f"--out must be a folder: {out}")
    with open_warehouse(db, must_exist=True) as wh, refused():
        rows = overdue(wh.ibis(), the_plan, day, unit=who_)
    if not rows:
        console.print(i18n.say("（无逾期未报，未写催报函）", "(nothing overdue; no letters written)"))
        return
    letters = reminder_letters(the_plan, rows, day, lang=i18n.lang())
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise cannot_write(out, err.strerror or str(err)) from None
    # two units whose names clean alike get "-2": no letter overwrites another (the web's zip does the same)
    names = unique_file_names([f"{safe_file_name(u)}.docx" for u in letters])
    for name, data in zip(names, letters.values(), strict=True):
        path = out / name
        with writing(path):
            path.write_bytes(data)
        console.print(i18n.say(f"已写入 {path}", f"written: {path}"), markup=False, highlight=False)


@tasks_app.command("score")
def score_cmd(
    unit: Annotated[str, typer.Argument(help="单位 / unit")],
    period: PeriodArg,
    score: Annotated[float, typer.Argument(help="定性评价分 0–100 / qualitative score 0–100")],
    note: Annotated[str | None, typer.Option("--note", help="评价说明 / a note")] = None,
    by: WhoOption = None,
    plan: PlanOption = None,
    db: DbOption = None,
) -> None:
    """记录区局对单位某报送期的定性评价分 / record the bureau's qualitative score of a unit for a period."""
    from hvpatent.tasks import record_score

    the_plan = plan_of(plan)
    who_, key, person = unit_of(the_plan, unit), period_of(the_plan, period), who(by)
    if not math.isfinite(score) or not 0 <= score <= 100:
        raise fail(f"定性评价分应在 0 到 100 之间：{score}", f"the qualitative score must be 0 to 100: {score}")
    with open_warehouse(db, must_exist=True) as wh, wh.lock, refused():
        record_score(wh.con, the_plan, who_, key, score, note=(note or "").strip() or None, by=person)
    console.print(i18n.say(f"已记录：{who_} {key} 定性评价分 {score:g}（{person}）",
                           f"recorded: {who_} {key} qualitative score {score:g} (by {person})"),
                  markup=False, highlight=False)


def _assessment_row(row) -> dict:
    return {"rank": row.rank, "unit": row.unit, "timeliness": _num(row.timeliness),
            "indicators": _num(row.indicators), "qualitative": _num(row.qualitative), "total": _num(row.total),
            "notes": "; ".join(i18n.in_language(n) for n in row.notes)}


def _num(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


@tasks_app.command("assess")
def assess_cmd(
    period: PeriodArg,
    as_of: AsOfOption = None,
    plan: PlanOption = None,
    fmt: Annotated[TableFmt | None, typer.Option(
        "--format", help="table | json | xlsx（默认按 --out 的扩展名）/ default: from --out's suffix")] = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """考核评分表：各单位的报送及时性、指标进展、定性评价分与总分、名次 / the assessment sheet: each unit's
    timeliness, indicator progress, qualitative score, total and rank."""
    from hvpatent.tasks import assessment_sheet

    the_plan = plan_of(plan)
    key, day, fmt = period_of(the_plan, period), parse_as_of(as_of), out_format(fmt, out)
    if fmt is TableFmt.csv:
        raise fail("考核评分表可输出 table、json 或 xlsx", "the assessment sheet is table, json or xlsx")
    check_out(out)
    with open_warehouse(db, must_exist=True) as wh, refused():
        rows = assessment_sheet(wh.ibis(), the_plan, key, day)
    if fmt is TableFmt.xlsx:
        from hvpatent.reports.assessment_sheet import write_assessment_xlsx

        path = out or Path(f"assessment-{key}.xlsx")
        data = write_assessment_xlsx(rows, the_plan, key, day, lang=i18n.lang())
        with writing(path):
            path.write_bytes(data)
        written(path, len(rows))
        return
    shown = [_assessment_row(r) for r in rows]
    raw = {"plan": the_plan.key, "period": key, "as_of": day,
           "rows": [{**r.__dict__} for r in rows]}
    emit(shown, ASSESS_COLUMNS, fmt, out, i18n.say(f"{key} 考核评分表（截至 {day}）",
                                                   f"Assessment sheet {key} (as of {day})"),
         f"assessment-{key}.xlsx", raw=raw)
