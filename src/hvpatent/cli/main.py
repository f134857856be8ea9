"""The `hvp` command line.  Messages are Chinese by default; `--lang en` switches to English."""

from __future__ import annotations

import json
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hvpatent import i18n
from hvpatent.i18n import label, t

app = typer.Typer(help="hvpatent：高价值发明专利工作平台 / high-value invention patent platform",
                  no_args_is_help=True, pretty_exceptions_enable=False)
regions_app = typer.Typer(help="行政区划归属 / region attribution", no_args_is_help=True)
app.add_typer(regions_app, name="regions")
# Piped output (files, tests, other programs) gets wide tables instead of Rich's 80 columns.
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

_state: dict[str, Path | None] = {"db": None}

DbOption = Annotated[Path | None, typer.Option("--db", help="数据仓库文件 / warehouse file (DuckDB)")]


class Fmt(StrEnum):
    table = "table"
    json = "json"


@app.callback()
def main(
    lang: Annotated[str, typer.Option("--lang", help="zh | en")] = i18n.lang(),
    db: DbOption = None,
) -> None:
    i18n.set_lang(lang)
    _state["db"] = db


def _warehouse(db: Path | None, read_only: bool = False):
    from hvpatent.warehouse.store import Warehouse, default_db_path

    path = db or _state["db"] or default_db_path()
    if read_only and not Path(path).exists():
        err_console.print(f"[red]{t('db_path', path=path)}: not found[/red]")
        raise typer.Exit(2)
    return Warehouse(path, read_only=read_only)


def _as_of(value: str | None) -> date:
    from hvpatent.ingest.fields import parse_date

    if value is None:
        return date.today()
    try:
        parsed = parse_date(value)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from err
    if parsed is None:
        raise typer.BadParameter(value)
    return parsed


@app.command("import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="xlsx / xls / csv / jsonl / parquet")],
    source: Annotated[str, typer.Option(help="auto|cnipa|incopat|patsnap|google")] = "auto",
    mapping: Annotated[Path | None, typer.Option(help="额外的表头映射 YAML / extra header mapping")] = None,
    skip_bad_rows: Annotated[bool, typer.Option("--skip-bad-rows", help="跳过错误行，导入其余行")] = False,
    report: Annotated[Path | None, typer.Option(help="错误清单 xlsx / errors report")] = None,
    db: DbOption = None,
) -> None:
    """导入专利数据或模板文件 / import patent exports and record templates."""
    from hvpatent.ingest import FileError, ImportRejected, import_file, write_errors_report

    failed = False
    all_errors = []
    with _warehouse(db) as wh:
        for path in files:
            with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed} 行"),
                          TimeElapsedColumn(), console=err_console, transient=True) as bar:
                task = bar.add_task(path.name, total=None)
                try:
                    result, errors = import_file(
                        wh, path, source=source, mapping=mapping, skip_bad_rows=skip_bad_rows,
                        progress=lambda n, task=task: bar.advance(task, n),
                    )
                except ImportRejected as rej:
                    failed = True
                    all_errors.extend(rej.errors)
                    err_console.print(f"[red]{t('rejected', file=path.name, count=len(rej.errors))}[/red]")
                    _print_errors(rej.errors)
                    continue
                except (FileError, ValueError) as err:
                    failed = True
                    reason = err.reason if isinstance(err, FileError) else str(err)
                    err_console.print(f"[red]{t('file_error', file=path.name, reason=reason)}[/red]")
                    continue
            all_errors.extend(errors)
            if result.already_imported:
                console.print(t("already_imported", file=path.name, id=result.import_id))
                continue
            console.print(t("imported", file=path.name, read=result.rows_read, inserted=result.rows_inserted,
                            updated=result.rows_updated, unchanged=result.rows_unchanged,
                            rejected=result.rows_rejected))
            if errors:
                err_console.print(f"[yellow]{t('skipped_rows', file=path.name, count=len(errors))}[/yellow]")
                _print_errors(errors)
    if report and all_errors:
        write_errors_report(all_errors, report)
        console.print(t("report_written", path=report))
    if failed:
        raise typer.Exit(1)


def _print_errors(errors, limit: int = 20) -> None:
    table = Table("文件/file", "行/row", "字段/field", "值/value", "原因/reason")
    for e in errors[:limit]:
        table.add_row(e.file, str(e.row), e.field, e.value, e.reason)
    err_console.print(table)
    if len(errors) > limit:
        err_console.print(f"… +{len(errors) - limit}")


@app.command("imports")
def imports_cmd(db: DbOption = None) -> None:
    """导入记录 / import history."""
    with _warehouse(db, read_only=True) as wh:
        frame = wh.frame("SELECT * FROM imports ORDER BY import_id")
    table = Table(*frame.columns)
    for row in frame.itertuples(index=False):
        table.add_row(*[str(v) for v in row])
    console.print(table)


@app.command("template")
def template_cmd(
    kind: Annotated[str, typer.Argument(help="pledges|awards|population|trademarks|enterprises")],
    out: Annotated[Path | None, typer.Option(help="输出文件 / output xlsx")] = None,
) -> None:
    """生成数据模板 xlsx / write an empty template with Chinese headers."""
    from hvpatent.ingest.templates import TEMPLATES, write_template

    if kind not in TEMPLATES:
        raise typer.BadParameter(f"{kind} ∉ {', '.join(TEMPLATES)}")
    path = write_template(kind, out or Path(f"{kind}.xlsx"))
    console.print(t("template_written", path=path))


@app.command("status")
def status_cmd(
    app_no: Annotated[str, typer.Argument(help="申请号 / application number")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="日期 YYYY-MM-DD（默认今天）")] = None,
    fmt: Annotated[Fmt, typer.Option("--format")] = Fmt.table,
    db: DbOption = None,
) -> None:
    """某日的法律状态 / legal state of one application on a date."""
    from hvpatent.ingest.appno import AppNoError, normalize_appno
    from hvpatent.legal import status_of

    try:
        number = normalize_appno(app_no)
    except AppNoError as err:
        err_console.print(f"[red]{t('bad_appno', reason=err)}[/red]")
        raise typer.Exit(2) from err
    day = _as_of(as_of)
    with _warehouse(db, read_only=True) as wh:
        status = status_of(wh.ibis(), number, day)
    if status is None:
        err_console.print(f"[red]{t('not_found', app_no=number)}[/red]")
        raise typer.Exit(1)
    if fmt is Fmt.json:
        console.print_json(json.dumps({"as_of": day, **status.facts, "events": status.events}, default=str))
        return
    f = status.facts
    table = Table(show_header=False, title=f"{number} @ {day}")
    rows = [
        ("类型 / type", label(f["patent_type"])), ("申请日 / filed", f["filing_date"]),
        ("状态 / state", label(f["state"])), ("授权日 / granted", f["grant_date"]),
        ("维持年限 / years maintained", f["years_maintained"]), ("届满日 / term end", f["term_end"]),
        ("下次年费 / next annuity due", f["next_due_date"]), ("年度 / patent year", f["next_due_year"]),
        ("金额 / amount (CNY)", f["next_due_amount"]), ("滞纳金 / late fee", f["late_fee"]),
        ("应缴日 / unpaid due date", f["lapse_due_date"]),
        ("恢复期限 / restoration deadline", f["restore_deadline"] if f["state"] in ("grace", "restorable") else None),
    ]
    for name, value in rows:
        table.add_row(name, "" if value is None else str(value))
    console.print(table)
    history = Table("日期/date", "事件/event", "原文/text", title="法律事件 / legal events")
    for e in status.events:
        history.add_row(str(e["event_date"]), e["event_type"], e["raw_text"])
    console.print(history)


@regions_app.command("unresolved")
def regions_unresolved(
    limit: Annotated[int, typer.Option(help="最多显示行数")] = 50,
    db: DbOption = None,
) -> None:
    """未能归属到行政区划的申请人 / parties not attributed to a region."""
    from hvpatent.reference.attribution import unresolved_parties

    with _warehouse(db, read_only=True) as wh:
        rows = unresolved_parties(wh.ibis(), limit)
    if not rows:
        console.print(t("unresolved_none"))
        return
    table = Table("申请人/party", "地址/address", "件数/applications", "已解析/resolved to")
    for r in rows:
        table.add_row(r["name"], r["address"] or "", str(r["applications"]), r["resolved_to"] or "")
    console.print(table)


@app.command("summary")
def summary_cmd(
    as_of: Annotated[str | None, typer.Option("--as-of")] = None,
    region: Annotated[str | None, typer.Option("--region", help="区划代码，如 500118")] = None,
    db: DbOption = None,
) -> None:
    """主要指标 / headline figures."""
    from hvpatent.indicators import headline
    from hvpatent.reference.regions import region_name

    with _warehouse(db, read_only=True) as wh:
        figures = headline(wh.ibis(), _as_of(as_of), region)
    _print_headline(figures, region_name(region) or region or "全部")


def _print_headline(h, region_label: str) -> None:
    table = Table(show_header=False, title=t("headline_title", date=h.as_of, region=region_label))
    table.add_row("专利申请 / applications", f"{h.applications:,}")
    table.add_row("发明专利申请 / invention applications", f"{h.inventions:,}")
    table.add_row("有效发明专利 / valid invention patents", f"{h.valid_inventions:,}")
    table.add_row("常住人口 / residents", f"{h.population:,}" if h.population else "—")
    per10k = h.valid_inventions_per_10k
    table.add_row("每万人口发明专利拥有量 / per 10,000 residents", f"{per10k}" if per10k is not None else "—")
    console.print(table)


@app.command("demo")
def demo_cmd(
    out: Annotated[Path, typer.Option(help="演示数据目录 / where the demo files go")] = Path("demo-data"),
    applications: Annotated[int, typer.Option(help="申请件数 / number of applications")] = 30_000,
    seed: Annotated[int, typer.Option(help="随机种子 / seed")] = 2022,
    as_of: Annotated[str | None, typer.Option("--as-of")] = "2024-06-30",
    generate_only: Annotated[bool, typer.Option("--generate-only", help="只生成文件，不导入")] = False,
    db: DbOption = None,
) -> None:
    """生成并导入合成演示区县 / generate and import the synthetic demo district."""
    from hvpatent.demo import DEMO_COUNTY, generate_demo
    from hvpatent.indicators import headline
    from hvpatent.ingest import import_file
    from hvpatent.reference.regions import region_name

    console.print(f"[bold yellow]{t('demo_banner')}[/bold yellow]")
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"),
                  TimeElapsedColumn(), console=err_console, transient=True) as bar:
        task = bar.add_task("生成 / generating", total=applications)
        files = generate_demo(out, applications=applications, seed=seed,
                              progress=lambda n: bar.advance(task, n))
    console.print(t("demo_generated", path=out, count=applications))
    if generate_only:
        return
    with _warehouse(db) as wh:
        console.print(t("db_path", path=wh.path))
        for path in files:
            result, _ = import_file(wh, path)
            if result.already_imported:
                console.print(t("already_imported", file=path.name, id=result.import_id))
            else:
                console.print(t("imported", file=path.name, read=result.rows_read,
                                inserted=result.rows_inserted, updated=result.rows_updated,
                                unchanged=result.rows_unchanged, rejected=result.rows_rejected))
        figures = headline(wh.ibis(), _as_of(as_of), DEMO_COUNTY)
    _print_headline(figures, f"{region_name(DEMO_COUNTY)}（演示/DEMO）")


if __name__ == "__main__":
    app()
