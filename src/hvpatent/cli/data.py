"""Commands that bring data in: import, templates, the demo world (region checks: cli/regions.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from hvpatent.cli.common import (
    DbOption,
    app,
    console,
    err_console,
    open_warehouse,
    parse_as_of,
)
from hvpatent.cli.refresh import refresh_derived_tables
from hvpatent.i18n import say, t
from hvpatent.ingest.heartbeat import watching

# The phase an import is in (ingest/heartbeat.py), shown beside its rows.
_PHASES = {"checking": "检查文件 / checking", "reading": "读取 / reading", "storing": "写入 / storing"}


class _RateColumn(ProgressColumn):
    """Rows a second, over the last seconds (rich's own estimate)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} 行/s" if speed else "")


@app.command("import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="xlsx / xls / csv / jsonl / parquet")],
    source: Annotated[str, typer.Option(help="auto|cnipa|incopat|patsnap|google|companydata|trademarks")] = "auto",
    mapping: Annotated[Path | None, typer.Option(help="额外的表头映射 YAML / extra header mapping")] = None,
    skip_bad_rows: Annotated[bool, typer.Option("--skip-bad-rows", help="跳过错误行，导入其余行")] = False,
    report: Annotated[Path | None, typer.Option(help="错误清单 xlsx / errors report")] = None,
    exported: Annotated[str | None, typer.Option(
        "--exported", help="导出日期 YYYY-MM-DD（当前状态的日期）/ export date of current states")] = None,
    db: DbOption = None,
    server: Annotated[str | None, typer.Option(
        "--server", help="通过运行中的看板导入，如 http://127.0.0.1:8000 / import through a running server")] = None,
    user: Annotated[str | None, typer.Option(
        "--user", help="看板管理员账号（密码取自 $HVP_PASSWORD 或提示输入）/ admin account on the server")] = None,
) -> None:
    """导入专利数据或模板文件 / import patent exports and record templates."""
    from hvpatent.ingest import FileError, ImportRejected, import_file
    from hvpatent.ingest.errors import RowErrors, error_count
    from hvpatent.ingest.fields import parse_date
    from hvpatent.ingest.limits import MAX_ROW_ERRORS

    try:
        exported_on = parse_date(exported)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--exported") from err
    if server:  # the server holds the warehouse: upload to it (cli/remote.py)
        if source != "auto" or mapping or exported_on:
            raise typer.BadParameter("--source、--mapping、--exported 不能与 --server 同用 / not with --server",
                                     param_hint="--server")
        from hvpatent.cli.remote import import_via_server

        failed, all_errors = import_via_server(files, server, user, skip_bad_rows, _print_notes, _print_errors)
        _finish(failed, all_errors, report)
        return
    failed = False
    all_errors = RowErrors(count_rows=False, limit=len(files) * MAX_ROW_ERRORS)  # each file's kept, all counted
    with open_warehouse(db) as wh:
        for path in files:
            with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,} 行"),
                          _RateColumn(), TextColumn("{task.fields[phase]}"), TimeElapsedColumn(),
                          console=err_console, transient=True) as bar:
                task = bar.add_task(path.name, total=None, phase="")
                try:
                    with watching(lambda phase, task=task: bar.update(task, phase=_PHASES.get(phase, phase))):
                        result, errors = import_file(
                            wh, path, source=source, mapping=mapping, skip_bad_rows=skip_bad_rows,
                            progress=lambda n, task=task: bar.advance(task, n), exported=exported_on,
                        )
                except ImportRejected as rej:
                    failed = True
                    all_errors.extend(rej.errors)
                    err_console.print(f"[red]{t('rejected', file=path.name, count=rej.count)}[/red]")
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
            _print_notes(result)
            if errors:
                err_console.print(f"[yellow]{t('skipped_rows', file=path.name, count=error_count(errors))}[/yellow]")
                _print_errors(errors)
        refresh_derived_tables(wh)
    _finish(failed, all_errors, report)


def _finish(failed: bool, all_errors: list, report: Path | None) -> None:
    from hvpatent.ingest import write_errors_report

    if report and all_errors:
        write_errors_report(all_errors, report)
        console.print(t("report_written", path=report))
    if failed:
        raise typer.Exit(1)


def _print_notes(result) -> None:
    """Unknown legal-event words (stored as 'other') and warnings of one import."""
    if result.unknown_events:
        words = "、".join(f"{word}（{n}）" for word, n in result.unknown_events.items())
        err_console.print(f"[yellow]{t('unknown_events', file=result.file_name, words=words)}[/yellow]")
    for message, n in result.warnings.items():
        err_console.print(f"[yellow]{t('import_warning', file=result.file_name, message=message, count=n)}[/yellow]")


def _print_errors(errors, limit: int = 20) -> None:
    table = Table("文件/file", "行/row", "字段/field", "值/value", "原因/reason")
    for e in errors[:limit]:
        table.add_row(e.file, str(e.row), e.field, e.value, e.reason)
    err_console.print(table)
    from hvpatent.ingest.errors import error_count, not_listed

    if error_count(errors) > limit:
        err_console.print(f"… {not_listed(error_count(errors) - min(limit, len(errors)))}")


@app.command("imports")
def imports_cmd(db: DbOption = None) -> None:
    """导入记录 / import history."""
    with open_warehouse(db, read_only=True) as wh:
        frame = wh.frame("SELECT * FROM imports ORDER BY import_id")
    table = Table(*frame.columns)
    for row in frame.itertuples(index=False):
        table.add_row(*[str(v) for v in row])
    console.print(table)


@app.command("template")
def template_cmd(
    kind: Annotated[str, typer.Argument(help="pledges, awards, population, trademarks, enterprises, "
                                             "market_entities, recognitions, navigation_projects, abnormal")],
    out: Annotated[Path | None, typer.Option(help="输出文件 / output xlsx")] = None,
) -> None:
    """生成数据模板 xlsx / write an empty template with Chinese headers."""
    from hvpatent.ingest.templates import TEMPLATES, write_template

    if kind not in TEMPLATES:
        raise typer.BadParameter(f"{kind} ∉ {', '.join(TEMPLATES)}")
    path = write_template(kind, out or Path(f"{kind}.xlsx"))
    console.print(t("template_written", path=path))


@app.command("demo")
def demo_cmd(
    out: Annotated[Path, typer.Option(help="演示数据目录 / where the demo files go")] = Path("demo-data"),
    applications: Annotated[int, typer.Option(help="申请件数 / number of applications")] = 30_000,
    seed: Annotated[int, typer.Option(help="随机种子 / seed")] = 2022,
    comparison: Annotated[int | None, typer.Option(
        "--comparison", min=0,
        help="对比区域申请件数（默认为申请件数的2倍，0为不生成）/ comparison-world applications "
             "(default 2 × applications, 0 = none)")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of")] = "2024-06-30",
    generate_only: Annotated[bool, typer.Option("--generate-only", help="只生成文件，不导入")] = False,
    serve: Annotated[bool, typer.Option("--serve", help="最后启动网页看板 / end by serving the dashboard")] = False,
    port: Annotated[int, typer.Option(help="看板端口 / dashboard port")] = 8000,
    db: DbOption = None,
) -> None:
    """生成并导入合成演示区县 / generate and import the synthetic demo district."""
    from hvpatent.cli.plan import exclude_abnormal_default, print_demo_progress
    from hvpatent.demo import generate_demo
    from hvpatent.ingest import import_file
    from hvpatent.plan import load_plans

    exclude_abnormal_default(None)  # a bad supervision.yaml stops here with its message, before any work
    console.print(f"[bold yellow]{t('demo_banner')}[/bold yellow]")
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"),
                  TimeElapsedColumn(), console=err_console, transient=True) as bar:
        if comparison is None:
            comparison = 2 * applications
        task = bar.add_task("生成 / generating", total=applications + comparison)
        files = generate_demo(out, applications=applications, seed=seed, comparison=comparison,
                              progress=lambda n: bar.advance(task, n))
    console.print(t("demo_generated", path=out, count=applications))
    if comparison:
        console.print(say(f"对比区域（其他区县与外省，合成）：{comparison} 件申请",
                          f"Comparison world (elsewhere, synthetic): {comparison} applications"))
    if generate_only:
        return
    with open_warehouse(db) as wh:
        console.print(t("db_path", path=wh.path))
        for path in files:
            result, _ = import_file(wh, path)
            if result.already_imported:
                console.print(t("already_imported", file=path.name, id=result.import_id))
            else:
                console.print(t("imported", file=path.name, read=result.rows_read,
                                inserted=result.rows_inserted, updated=result.rows_updated,
                                unchanged=result.rows_unchanged, rejected=result.rows_rejected))
        refresh_derived_tables(wh)
        train_breakdowns(wh)
        day = parse_as_of(as_of)
        plans = load_plans()
        for plan in plans:   # every known plan, the district's first: a plan is data, each reports the same way
            print_demo_progress(wh, day, plan)
        write_demo_bulletins(wh, day, out, plans)
        accounts = create_demo_accounts(wh, day) + seed_demo_tasks(wh, day, plans)
        issue_demo_editions(wh, day, plans)
        db_path = wh.path
    console.print(f"[bold yellow]{t('demo_banner')}[/bold yellow]")
    console.print(t("demo_login", url=f"http://127.0.0.1:{port}/") if serve else
                  say("演示账号（角色 用户名 密码 所属企业、银行或单位），hvp serve 启动看板后登录：",
                      "Demo accounts (role, user, password, enterprise, bank or unit) for the dashboard (hvp serve):"))
    for username, role, password, organisation in accounts:
        console.print(f"  {role:<10} {username:<10} {password}  {organisation or ''}", markup=False, highlight=False)
    if serve:
        from hvpatent.cli.web import run_server

        run_server(db_path, "127.0.0.1", port, default_as_of=parse_as_of(as_of))


def train_breakdowns(wh) -> None:
    """The breakdown classifier of each plan industry, trained on the imported world, so that the navigation pages
    show the model's placements of the patents no rule places (as `hvp breakdown train --all` would)."""
    from hvpatent.indicators import industries
    from hvpatent.navigation import train

    for industry in industries():
        report = train(wh.con, industry.code)
        console.print(say(f"技术分解分类器 {industry.name}：训练 {report.training_patents} 件，"
                          f"模型归属 {report.placed} 件",
                          f"Breakdown classifier {industry.code}: trained on {report.training_patents} patents, "
                          f"placed {report.placed}"))


# Not the user name (demo-<role>), at least 12 characters: the account policy (docs/security.md).
DEMO_PASSWORDS = {"admin": "yongchuan-admin-2024", "analyst": "yongchuan-analyst-2024",
                  "enterprise": "yongchuan-enterprise-2024", "bank": "yongchuan-bank-2024"}


def create_demo_accounts(wh, day) -> list[tuple[str, str, str, str | None]]:
    """One account per role for the demo world (the enterprise one for its largest patent holder, the bank one
    bound to DEMO_BANK, the demo's biggest pledgee): (user, role, password, its enterprise or bank); the passwords
    are printed because the data are synthetic and the server listens on loopback."""
    from hvpatent.demo import DEMO_BANK, DEMO_COUNTY
    from hvpatent.indicators import Context, grouped_values
    from hvpatent.ingest.fields import normalize_name
    from hvpatent.warehouse.accounts import add_user, get_user

    # The district's own enterprise: the comparison world's applicants are elsewhere (demo/comparison.py).
    top = grouped_values(Context.create(wh.ibis(), day, region=DEMO_COUNTY), "valid_inventions", "enterprise")
    top = top.order_by(top.value.desc()).limit(1).to_pyarrow().to_pylist()
    enterprise = top[0]["group"] if top else None
    accounts = []
    for role, password in DEMO_PASSWORDS.items():
        if role == "enterprise" and enterprise is None:
            continue
        name = f"demo-{role}"
        if get_user(wh.con, name) is None:
            add_user(wh.con, name, password, role, enterprise if role == "enterprise" else None, by="demo",
                     bank=normalize_name(DEMO_BANK) if role == "bank" else None)
        accounts.append((name, role, password,
                         enterprise if role == "enterprise" else DEMO_BANK if role == "bank" else None))
    return accounts


def write_demo_bulletins(wh, day, out: Path, plans=None) -> None:
    """The demo world's quarterly bulletin of each plan (default: the seed plan alone), each in its plan's region,
    as Word, Excel, HTML and (with Chromium) PDF; the default plan's files keep their old names, another plan's
    begin with its key."""
    from hvpatent.cli.common import analytics_backend
    from hvpatent.plan import load_plan
    from hvpatent.reports import build_bulletin, write_bulletin
    from hvpatent.reports.html_writer import ChromiumMissing

    chromium = True
    for number, plan in enumerate(plans or [load_plan()]):
        bulletin = build_bulletin(analytics_backend(wh), day, "quarter", None, plan, notice=t("demo_banner"))
        stem = f"{plan.key}-演示通报-{day.isoformat()}" if number else f"演示通报-{day.isoformat()}"
        for fmt in ("docx", "xlsx", "html", "pdf") if chromium else ("docx", "xlsx", "html"):
            path = out / f"{stem}.{fmt}"
            try:
                write_bulletin(bulletin, fmt, path)
            except ChromiumMissing as err:
                err_console.print(f"[yellow]{err}[/yellow]")
                chromium = False   # said once, not once per plan
                continue
            console.print(t("xlsx_written", path=path))


def seed_demo_tasks(wh, day, plans) -> list[tuple[str, str, str, str | None]]:
    """The demo's unit accounts and their task reports and scores (demo/tasks.py); the accounts as
    create_demo_accounts gives them."""
    from hvpatent.demo.tasks import create_unit_accounts, seed_reports

    accounts = create_unit_accounts(wh.con, plans)
    seeded = seed_reports(wh.con, plans, day)
    c = seeded.counts
    console.print(say(f"任务进展报告（演示）：按时 {c['on_time']} 份，逾期报送 {c['late']} 份，"
                      f"逾期未报 {c['missing']} 份，尚未到期 {c['not_yet']} 份；定性评价 {seeded.scores} 个",
                      f"Task reports (demo): {c['on_time']} on time, {c['late']} late, {c['missing']} never filed, "
                      f"{c['not_yet']} not yet due; {seeded.scores} qualitative scores"))
    return accounts


def issue_demo_editions(wh, day, plans) -> None:
    """The bulletin editions due on the demo's day (hvpatent.schedule.run_schedule); a failure is the demo's
    failure, never hidden."""
    from hvpatent.cli.common import analytics_backend
    from hvpatent.schedule import run_schedule

    issued = run_schedule(wh.con, analytics_backend(wh), plans, day, by="demo")
    for edition in issued:
        console.print(say(f"已印发通报：{edition.get('plan_key')} {edition.get('period')}",
                          f"Bulletin edition issued: {edition.get('plan_key')} {edition.get('period')}"))


