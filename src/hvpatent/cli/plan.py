"""Commands for the action plan, reference tables and configuration."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hvpatent import i18n
from hvpatent.cli.common import (
    AsOfOption,
    DbOption,
    Fmt,
    FormatOption,
    OutOption,
    analytics_backend,
    app,
    config_app,
    console,
    emit,
    err_console,
    fail,
    open_warehouse,
    parse_as_of,
    plan_app,
    reference_app,
)
from hvpatent.cli.refresh import refresh_derived_tables
from hvpatent.i18n import label, t

PlanOption = Annotated[str | None, typer.Option(
    "--plan", help="方案代码（hvp plan list）或方案文件 YAML（默认：默认方案）/ a plan key or file "
                   "(default: the default plan)")]


# `hvp plan list`'s columns, labelled here: the shared COLUMN_LABELS read "key"/"name" as an indicator's
PLAN_COLUMNS: dict[str, tuple[str, str]] = {
    "key": ("方案代码", "plan key"), "name": ("方案名称", "plan"), "region": ("区划", "region"),
    "deadline": ("截止日", "deadline"), "tasks": ("任务数", "tasks"), "targets": ("目标数", "targets"),
    "default_word": ("默认", "default"), "file": ("文件", "file"),
}


def _load(plan: str | None):
    """The plan ``--plan`` names (a key or a file); a bad file or an unknown key exits 2 with the file and field."""
    return _load_all(plan)[1]


def _load_all(plan: str | None):
    """The known plans and the one ``--plan`` names (plan/registry.py), or exit 2 with the reason."""
    from hvpatent.plan.model import PlanError
    from hvpatent.plan.registry import resolve_plans

    try:
        return resolve_plans(plan)
    except (PlanError, OSError) as err:
        err_console.print(f"[red]{err}[/red]", markup=True, highlight=False)
        raise typer.Exit(2) from err


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}".rstrip("0").rstrip(".")


def progress_rows(results, exclude_abnormal: bool = False) -> list[dict]:
    """The json/csv/xlsx rows; ``exclude_abnormal`` says whether the figures leave out the applications confirmed
    abnormal (``excluded_abnormal`` is the count either way, so 0 alone cannot tell)."""
    return [{
        "key": p.target.key, "name": p.target.name, "unit": p.target.unit, "current": p.current,
        "target": p.target.target if p.target.direction == "reach" else "增长/increase",
        "gap": p.gap, "baseline": p.baseline_value, "projection": p.projection, "status": p.status,
        "trend": [[d.isoformat(), v] for d, v in p.trend], "note": p.note,
        "exclude_abnormal": exclude_abnormal, "excluded_abnormal": p.excluded_abnormal,
    } for p in results]


ExcludeAbnormalOption = Annotated[bool | None, typer.Option(
    "--exclude-abnormal/--include-abnormal",
    help="剔除经复核确认的非正常专利申请（默认按 supervision 配置 plan.exclude_confirmed） / leave out the "
         "applications confirmed abnormal (default: the supervision settings' plan.exclude_confirmed)")]


def exclude_abnormal_default(given: bool | None) -> bool:
    """The option as given, else the supervision settings' plan.exclude_confirmed (a bad settings file: exit 2 with
    its message, which names the file and the key; `hvp report` and `hvp demo` ask here too)."""
    if given is not None:
        return given
    from hvpatent.supervision import ConfigError, load_config

    try:
        return load_config().exclude_confirmed
    except ConfigError as err:
        raise fail(f"监管设置文件有误：{err}", f"bad settings file: {err}") from None


def print_excluded(results, exclude_abnormal: bool) -> None:
    """The visible note whenever the figures leave out applications confirmed abnormal, 0 of them included (as the
    plan page and the bulletin say it): the user sees that the option took effect."""
    from hvpatent.plan.progress import excluded_note

    if exclude_abnormal:
        count = results[0].excluded_abnormal if results else 0
        console.print(excluded_note(count)[0 if i18n.lang() == "zh" else 1], markup=False, highlight=False)


def print_progress(plan, day: date, results) -> None:
    from hvpatent.plan.progress import METHOD

    title = f"{plan.name if i18n.lang() == 'zh' else plan.name_en}：截至 {day} / as of {day}"
    table = Table(title=title, show_lines=True)
    for header in ("目标 / target", "现值 / current", "目标值 / target", "差距 / gap", "基期 / baseline",
                   "预测 / projection", "判断 / status", "近8季度 / last 8 quarters", "说明 / note"):
        table.add_column(header)
    colors = {"achieved": "green", "on_track": "green", "at_risk": "yellow", "off_track": "red", "missed": "red"}
    for p in results:
        target = _fmt(p.target.target) if p.target.direction == "reach" else "增长 / increase"
        status = f"[{colors.get(p.status, 'white')}]{label(p.status)}[/]"
        trend = " → ".join(_fmt(v) for _, v in p.trend)
        table.add_row(f"{p.target.name} ({p.target.unit})", _fmt(p.current), target, _fmt(p.gap),
                      _fmt(p.baseline_value), _fmt(p.projection), status, trend, p.note)
    console.print(table)
    console.print(f"预测方法 / method: {METHOD[i18n.lang()]}；截止日 / deadline {plan.deadline}")


@plan_app.command("progress")
def progress_cmd(as_of: AsOfOption = None, plan_file: PlanOption = None, fmt: FormatOption = Fmt.table,
                 out: OutOption = None, db: DbOption = None,
                 exclude_abnormal: ExcludeAbnormalOption = None) -> None:
    """各项目标的现值、差距、趋势与预测 / each target's value, gap, trend and projection."""
    from hvpatent.plan import plan_progress

    plan = _load(plan_file)
    day = parse_as_of(as_of)
    exclude = exclude_abnormal_default(exclude_abnormal)
    with open_warehouse(db, read_only=True) as wh:
        results = plan_progress(analytics_backend(wh), plan, day, exclude_abnormal=exclude)
    if fmt is Fmt.table:
        print_progress(plan, day, results)
        print_excluded(results, exclude)
    else:
        emit({"progress": progress_rows(results, exclude)}, fmt, out)


@plan_app.command("tasks")
def tasks_cmd(plan_file: PlanOption = None, fmt: FormatOption = Fmt.table, out: OutOption = None) -> None:
    """方案的重点任务与责任单位 / the plan's tasks and responsible units."""
    plan = _load(plan_file)
    rows = [{"number": k.number, "group": k.group, "title": k.title, "goal": k.goal,
             "responsible": "、".join(k.responsible), "cooperating": "、".join(k.cooperating),
             "indicators": ", ".join(k.indicators)} for k in plan.tasks]
    emit({"tasks": rows}, fmt, out, title=plan.name)


@plan_app.command("list")
def list_cmd(plan_file: PlanOption = None, fmt: FormatOption = Fmt.table, out: OutOption = None) -> None:
    """已知的方案：内置、用户配置文件夹 plans/ 中的与 --plan 指定的 / the known plans."""
    from hvpatent.cli.abnormal import emit as emit_rows
    from hvpatent.cli.common import TableFmt

    plans, _ = _load_all(plan_file)
    rows = [{"key": p.key, "name": p.name if i18n.lang() == "zh" else p.name_en, "region": p.region,
             "deadline": p.deadline.isoformat(), "tasks": len(p.tasks), "targets": len(p.targets),
             "default": p.key == plans.default_key, "file": p.file} for p in plans]
    shown = [{**r, "default_word": i18n.say("是", "yes") if r["default"] else i18n.say("否", "no")} for r in rows]
    emit_rows(shown, PLAN_COLUMNS, TableFmt(fmt.value), out, i18n.say("方案", "Plans"), "plans.xlsx", raw=rows,
              one_line=("key",))


@plan_app.command("set")
def set_cmd(
    key: Annotated[str, typer.Argument(help="目标代码，如 navigation_projects")],
    value: Annotated[float, typer.Argument(help="数值")],
    as_of: AsOfOption = None,
    note: Annotated[str | None, typer.Option(help="说明 / note")] = None,
    plan_file: PlanOption = None,
    db: DbOption = None,
) -> None:
    """录入数据中没有的目标值 / record a value for a target no data covers."""
    plan = _load(plan_file)
    keys = [tg.key for tg in plan.targets if tg.source in ("entered", "tags", "recognitions", "navigation_projects")]
    if key not in keys:
        raise typer.BadParameter(f"{key} ∉ {', '.join(keys)}", param_hint="KEY")
    day = parse_as_of(as_of)
    with open_warehouse(db) as wh:
        wh.set_plan_value(key, day, value, note)
    console.print(t("plan_value_set", key=key, value=value, date=day))


@reference_app.command("import-sei")
def import_sei_cmd(file: Annotated[Path, typer.Argument(help="官方参照关系表 xlsx/xls/csv")],
                   db: DbOption = None) -> None:
    """用官方《战略性新兴产业分类与国际专利分类参照关系表》替换内置近似表 / replace the SEI concordance."""
    from hvpatent.ingest import FileError
    from hvpatent.reference.sei import read_sei_table

    try:
        rules, errors = read_sei_table(file)
    except FileError as err:
        err_console.print(f"[red]{t('file_error', file=file.name, reason=err.reason)}[/red]")
        raise typer.Exit(1) from err
    if errors:
        err_console.print(f"[red]{t('rejected', file=file.name, count=len(errors))}[/red]")
        emit({"errors": [e.__dict__ for e in errors[:50]]}, Fmt.table, None)
        raise typer.Exit(1)
    with open_warehouse(db) as wh:
        wh.replace_sei_rules(rules, file.name)
        refresh_derived_tables(wh)
    console.print(t("sei_imported", file=file.name, count=len(rules)))


@config_app.command("path")
def config_path_cmd() -> None:
    """配置文件夹：放入 config.yaml / industries.yaml / fees.yaml 即替换内置配置 / the user config folder."""
    from hvpatent.reference.userconfig import user_config_dir

    console.print(str(user_config_dir()))


@app.command("export-parquet")
def export_parquet_cmd(folder: Annotated[Path, typer.Argument(help="输出文件夹（Spark 集群可读的位置）")],
                       db: DbOption = None) -> None:
    """把数据仓库导出为 Parquet，供 Spark 使用 / export the warehouse as Parquet for Spark."""
    from hvpatent.warehouse.spark import derived_names, export_parquet

    with open_warehouse(db, read_only=True) as wh:
        paths = export_parquet(wh, folder)
    console.print(t("xlsx_written", path=f"{folder} ({len(paths)} tables)"))
    # Without them Spark computes every state from the events, far more slowly.
    if not {p.stem for p in paths} >= set(derived_names()):
        console.print("派生表不是最新，未导出：先运行 hvp refresh，或在集群上运行 hvp spark build-timelines / "
                      "the derived tables are not current and were left out: run hvp refresh first, or "
                      "hvp spark build-timelines on the cluster")


def print_demo_progress(wh, day: date, plan=None) -> None:
    """The demo's plan progress (``plan``, default the seed plan), as `hvp plan progress` gives it by default (the
    settings' plan.exclude_confirmed, with its note); a bad supervision.yaml exits 2 here with its message, before
    the demo's bulletin would read it."""
    from hvpatent.plan import load_plan, plan_progress

    plan, exclude = plan or load_plan(), exclude_abnormal_default(None)
    results = plan_progress(analytics_backend(wh), plan, day, exclude_abnormal=exclude)
    print_progress(plan, day, results)
    print_excluded(results, exclude)
