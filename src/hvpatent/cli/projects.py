"""`hvp projects`: navigation projects (专利导航项目) as records — list, add (or update) one, import the template.
Every way in goes through the navigation_projects template's checks (ingest/projects.py, docs/importing.md); `add`
saves its one project directly (always applied, recorded as an import), reads go through the navigation room."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hvpatent import i18n
from hvpatent.cli.common import (
    DbOption,
    Fmt,
    FormatOption,
    OutOption,
    analytics_backend,
    app,
    console,
    emit,
    err_console,
    open_warehouse,
)

projects_app = typer.Typer(help="专利导航项目（立项、验收） / patent navigation projects", no_args_is_help=True)
app.add_typer(projects_app, name="projects")

# Column words of the table format (json and xlsx keep the English keys).
HEADERS: dict[str, tuple[str, str]] = {
    "project_no": ("项目编号", "project no."), "title": ("项目名称", "title"), "kind": ("项目类型", "kind"),
    "enterprise": ("承担单位", "enterprise"), "industry": ("产业", "industry"), "started_date": ("立项日期", "started"),
    "accepted_date": ("验收日期", "accepted"), "status": ("状态", "status"), "report_file": ("报告文件", "report"),
    "note": ("备注", "note"),
}
# The template header of each `add` option, to name the option in an error.
OPTIONS = {"项目编号": "--no", "项目名称": "--title", "项目类型": "--kind", "承担单位": "--enterprise",
           "产业": "--industry", "立项日期": "--started", "验收日期": "--accepted", "状态": "--status",
           "报告文件": "--report", "备注": "--note"}


def _words(row: dict) -> dict:
    """A record with its kind and status in the user's language (the table format)."""
    from hvpatent.indicators.config import industry_name
    from hvpatent.ingest import KIND_WORDS, STATUS_WORDS

    i = 0 if i18n.lang() == "zh" else 1
    return {**row, "kind": KIND_WORDS[row["kind"]][i] if row["kind"] in KIND_WORDS else row["kind"],
            "status": STATUS_WORDS[row["status"]][i] if row["status"] in STATUS_WORDS else row["status"],
            "industry": industry_name(row["industry"]) if row["industry"] and i == 0 else row["industry"]}


@projects_app.command("list")
def list_cmd(
    status: Annotated[str | None, typer.Option(
        "--status", help="立项 / 实施中 / 已验收 / 终止（或 approved / in_progress / accepted / terminated）")] = None,
    industry: Annotated[str | None, typer.Option("--industry", help="方案产业代码或名称 / a plan industry")] = None,
    fmt: FormatOption = Fmt.table,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """列出导航项目 / list the navigation projects."""
    from hvpatent.ingest import industry_of, status_of
    from hvpatent.navigation import project_list

    try:
        code = status_of(status) if status else None
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--status") from err
    try:
        ind = industry_of(industry) if industry else None
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--industry") from err
    with open_warehouse(db, read_only=True) as wh:
        rows = project_list(analytics_backend(wh), status=code, industry=ind)
    rows = [{k: v for k, v in r.items() if k != "enterprise_norm"} for r in rows]
    if fmt is Fmt.table:
        i = 0 if i18n.lang() == "zh" else 1
        rows = [{HEADERS[k][i]: v for k, v in _words(r).items() if k in HEADERS} for r in rows]
    emit({"navigation_projects": rows}, fmt, out,
         title=i18n.say(f"专利导航项目：{len(rows)}", f"navigation projects: {len(rows)}"))


def _import(path: Path | None, db: Path | None, option_names: bool, fields: dict | None = None) -> None:
    """Import one navigation_projects template file, or (``fields``) save one project typed in; row errors printed
    (by option for `add`), exit 1."""
    from hvpatent.ingest import FileError, ImportRejected, import_file, save_project

    with open_warehouse(db) as wh:
        try:
            result = (save_project(wh, fields, via="hvp projects add") if fields is not None
                      else import_file(wh, path)[0] if path is not None else None)
        except ImportRejected as rej:
            for e in rej.errors:
                where = f"{OPTIONS.get(e.field, e.field)}" if option_names else f"{e.file} 第 {e.row} 行「{e.field}」"
                err_console.print(f"[red]{where}: {e.value} — {e.reason}[/red]")
            raise typer.Exit(1) from rej
        except (FileError, ValueError) as err:
            where = path.name if path is not None else "hvp projects add"
            err_console.print(f"[red]{where}: {err.reason if isinstance(err, FileError) else err}[/red]")
            raise typer.Exit(1) from err
    if result is None:
        return
    if result.already_imported:  # a file seen before (by its checksum): its rows are as they were then
        console.print(i18n.say("此文件已导入过，未作改变（逐条修改请用 hvp projects add）",
                               "this file was imported before; nothing changed (hvp projects add edits one)"))
        return
    console.print(i18n.say(f"导航项目：新增 {result.rows_inserted}，更新 {result.rows_updated}，"
                           f"未变 {result.rows_unchanged}",
                           f"navigation projects: {result.rows_inserted} new, {result.rows_updated} updated, "
                           f"{result.rows_unchanged} unchanged"))


@projects_app.command("add")
def add_cmd(
    no: Annotated[str, typer.Option("--no", help="项目编号（已有则更新） / project number (updates an existing one)")],
    title: Annotated[str, typer.Option("--title", help="项目名称 / title")],
    kind: Annotated[str, typer.Option("--kind", help="企业 / 产业 / 区域（enterprise / industry / region）")],
    started: Annotated[str, typer.Option("--started", help="立项日期 YYYY-MM-DD / start date")],
    enterprise: Annotated[str | None, typer.Option(
        "--enterprise", help="承担单位（企业类必填） / the enterprise (required for kind enterprise)")] = None,
    industry: Annotated[str | None, typer.Option("--industry", help="方案产业代码或名称 / a plan industry")] = None,
    accepted: Annotated[str | None, typer.Option(
        "--accepted", help="验收日期 YYYY-MM-DD（状态为已验收时必填） / acceptance date")] = None,
    status: Annotated[str | None, typer.Option(
        "--status", help="立项 / 实施中 / 已验收 / 终止；默认：有验收日期为已验收，否则立项")] = None,
    report: Annotated[str | None, typer.Option("--report", help="报告文件 / report file")] = None,
    note: Annotated[str | None, typer.Option("--note", help="备注 / note")] = None,
    db: DbOption = None,
) -> None:
    """新增或更新一个导航项目（与模板导入同样校验） / add or update a project, checked as the template is."""
    fields = {"project_no": no, "title": title, "kind": kind, "enterprise": enterprise, "industry": industry,
              "started_date": started, "accepted_date": accepted,
              "status": status or ("已验收" if accepted else "立项"), "report_file": report, "note": note}
    _import(None, db, option_names=True, fields=fields)


@projects_app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="模板 xlsx / csv（hvp template navigation_projects）")],
    db: DbOption = None,
) -> None:
    """导入导航项目模板 / import the navigation_projects template."""
    from hvpatent.ingest import FileError, detect_template, peek_headers, template_headers

    if not file.is_file():
        raise typer.BadParameter(i18n.say(f"文件不存在：{file}", f"no such file: {file}"), param_hint="FILE")
    try:
        kind = detect_template(peek_headers(file, template_headers()))
    except (FileError, ValueError) as err:
        err_console.print(f"[red]{file.name}: {err.reason if isinstance(err, FileError) else err}[/red]")
        raise typer.Exit(1) from err
    if kind != "navigation_projects":
        message = i18n.say(f"{file.name} 不是导航项目模板（须有项目编号、项目名称、项目类型、立项日期、状态列）",
                           f"{file.name} is no navigation_projects template")
        err_console.print(f"[red]{message}[/red]")
        raise typer.Exit(1)
    _import(file, db, option_names=False)
