"""Shared pieces of the `hvp` command line: the app, consoles, options and output helpers."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from hvpatent import i18n

app = typer.Typer(help="hvpatent：高价值发明专利工作平台 / high-value invention patent platform",
                  no_args_is_help=True, pretty_exceptions_enable=False)
regions_app = typer.Typer(help="行政区划归属 / region attribution", no_args_is_help=True)
applicants_app = typer.Typer(help="申请人类别与未分类申请人 / applicant categories", no_args_is_help=True)
plan_app = typer.Typer(help="行动方案：目标、任务、进度 / the action plan", no_args_is_help=True)
reference_app = typer.Typer(help="参照表 / reference tables", no_args_is_help=True)
config_app = typer.Typer(help="配置 / configuration", no_args_is_help=True)
app.add_typer(regions_app, name="regions")
app.add_typer(applicants_app, name="applicants")
app.add_typer(plan_app, name="plan")
app.add_typer(reference_app, name="reference")
app.add_typer(config_app, name="config")

# Piped output (files, tests, other programs) gets wide tables instead of Rich's 80 columns.
class DefaultCommandGroup(TyperGroup):
    """A command group whose plain form runs one of its commands: with ``default_command = "show"``, `hvp value
    [options]` is `hvp value show [options]` (subclass and set it; `hvp value`, `hvp abnormal`, `hvp agencies`)."""

    default_command = ""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

settings: dict = {"db": None, "engine": "duckdb", "spark_master": "local[2]", "spark_data": None,
                  "as_known_on": None}

DbOption = Annotated[Path | None, typer.Option("--db", help="数据仓库文件 / warehouse file (DuckDB)")]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="统计日期 YYYY-MM-DD（默认今天）/ as-of date")]
RegionOption = Annotated[str | None, typer.Option("--region", help="区划代码，如 500118 / region code")]
OutOption = Annotated[Path | None, typer.Option("--out", help="输出文件 / output file")]


class Fmt(StrEnum):
    table = "table"
    json = "json"
    xlsx = "xlsx"


FormatOption = Annotated[Fmt, typer.Option("--format", help="table | json | xlsx")]


class TableFmt(StrEnum):
    """Fmt with csv: the formats of the commands that print one table of rows (the finance room's)."""

    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


def fail(zh: str, en: str, code: int = 2) -> typer.Exit:
    """The message in the user's language on standard error, and the Exit to raise (2: bad input)."""
    from hvpatent.i18n import say

    err_console.print(say(zh, en), style="red", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def fail_message(message: object, code: int = 2) -> typer.Exit:
    """``fail`` for a message written "中文 / English" (the rooms' errors): only the user's language's half is
    printed.  What stands before the Chinese words (a file, a key, an edition id) is kept in the English half too;
    a message with no " / " is printed whole."""
    text = str(message.args[0]) if isinstance(message, LookupError) and message.args else str(message)
    zh, sep, en = text.partition(" / ")
    if not sep:
        return fail(text, text, code)
    first = next((i for i, c in enumerate(zh) if _cjk(c)), len(zh))
    prefix = zh[:first].rstrip(" :：")
    if prefix and not en.startswith(prefix):
        en = f"{prefix}: {en}"
    return fail(zh, en, code)


def _cjk(c: str) -> bool:
    """A Chinese character or full-width punctuation: where a message's Chinese half begins."""
    return "\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef"


@app.callback()
def main(
    lang: Annotated[str, typer.Option("--lang", help="zh | en")] = i18n.lang(),
    db: DbOption = None,
    engine: Annotated[str, typer.Option("--engine", help="duckdb | spark（分析在 Spark 上运行）")] = "duckdb",
    spark_master: Annotated[str, typer.Option("--spark-master", help="Spark master URL")] = "local[2]",
    spark_data: Annotated[str | None, typer.Option(
        "--spark-data", help="集群可读的 Parquet 目录（hvp export-parquet 的输出，如 hdfs://… 或 s3a://…）")] = None,
    as_known_on: Annotated[str | None, typer.Option(
        "--as-known-on",
        help="只用该日及以前公告的法律事件（复现当日发布的数字）/ only events published by this date")] = None,
) -> None:
    i18n.set_lang(lang)
    if engine not in ("duckdb", "spark"):
        raise typer.BadParameter("duckdb | spark", param_hint="--engine")
    known = parse_as_of(as_known_on) if as_known_on else None
    settings.update(db=db, engine=engine, spark_master=spark_master, spark_data=spark_data, as_known_on=known)


def as_known_on() -> date | None:
    """The --as-known-on date, when the user gave one (docs/legal-state.md, "Hindsight")."""
    return settings["as_known_on"]


def open_warehouse(db: Path | None = None, read_only: bool = False, must_exist: bool = False):
    """The warehouse, or exit 2 with a message when it is missing or another process holds it (a running
    `hvp serve` or import: DuckDB lets one process have the file; warehouse/busy.py).  ``must_exist``: a command
    that opens read-write only to add its workflow tables must not create an empty warehouse at a mistyped path."""
    from hvpatent.warehouse.store import Warehouse, WarehouseBusy, default_db_path

    path = db or settings["db"] or default_db_path()
    if read_only and not Path(path).exists() and settings["engine"] == "spark" and settings["spark_data"]:
        return Warehouse(":memory:")  # a cluster's queries read only the Parquet export (docs/spark.md)
    if (read_only or must_exist) and not Path(path).exists():
        err_console.print(f"[red]{i18n.t('db_path', path=path)}: not found[/red]")
        raise typer.Exit(2)
    try:
        return Warehouse(path, read_only=read_only)
    except WarehouseBusy as busy:
        err_console.print(busy.message(), style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def analytics_backend(wh):
    """The Ibis backend analytics run on: the DuckDB warehouse itself, or Spark over its export."""
    if settings["engine"] == "spark":
        from hvpatent.warehouse.spark import spark_backend, spark_from_warehouse, spark_session

        if settings["spark_data"]:  # a cluster reads an export on shared storage
            return spark_backend(spark_session(settings["spark_master"]), settings["spark_data"])
        backend, _ = spark_from_warehouse(wh, settings["spark_master"])
        return backend
    return wh.ibis()


def parse_as_of(value: str | None) -> date:
    from hvpatent.indicators import check_as_of
    from hvpatent.ingest.fields import parse_date

    if value is None:  # Beijing's today, whatever the host's zone (a UTC cron at 07:00 Beijing is still "yesterday")
        from hvpatent.reference.clock import china_today

        return china_today()
    try:
        parsed = parse_date(value)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--as-of") from err
    if parsed is None:
        raise typer.BadParameter(value, param_hint="--as-of")
    try:
        return check_as_of(parsed)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--as-of") from err


def resolve_industry(text: str) -> str:
    """The plan's industry code for a code or a Chinese name (new_energy, 新能源); exit 2 listing the 8 otherwise."""
    from hvpatent.indicators.config import industries

    for ind in industries():
        if text.strip() in (ind.code, ind.name):
            return ind.code
    raise unknown_industry(text)


def unknown_industry(text: str) -> typer.Exit:
    """Exit 2 after naming the unknown industry and listing the plan's industries (code and name)."""
    from hvpatent.indicators.config import industries

    listing = "、".join(f"{i.code}（{i.name}）" for i in industries())
    message = i18n.say(f"未知的产业 {text!r}，可用：{listing}", f"unknown industry {text!r}; one of: {listing}")
    err_console.print(message, style="red", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


def cannot_write(path: Path | str, why: str) -> typer.Exit:
    """Exit 2 after naming an output file that cannot be written (no traceback)."""
    err_console.print(i18n.say(f"无法写入 {path}：{why}", f"cannot write {path}: {why}"),
                      style="red", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


def check_out(path: Path | str | None) -> None:
    """Exit 2 before any work when --out names a folder (an output is a file)."""
    if path is not None and Path(path).is_dir():
        raise cannot_write(path, i18n.say("这是一个文件夹，请给出文件名", "it is a folder; give a file name"))


@contextmanager
def writing(path: Path | str | None) -> Iterator[None]:
    """Around the writing of one output file: a folder, a missing or read-only parent, a full disk (any OSError)
    exits 2 naming the path, as every `hvp` command does for a file it cannot write."""
    check_out(path)
    try:
        yield
    except OSError as err:
        if path is None:
            raise
        raise cannot_write(path, err.strerror or str(err)) from None


def write_json(payload: object, out: Path | None) -> None:
    """JSON to a file, or to standard output (dates and decimals as text); exit 2 naming an unwritable file."""
    text = json.dumps(payload, ensure_ascii=False, default=str, indent=1)
    if out:
        with writing(out):
            out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")


def emit(sheets: dict[str, list[dict]], fmt: Fmt, out: Path | None, title: str = "") -> None:
    """Print tables, JSON, or write one xlsx sheet per table."""
    if fmt is Fmt.xlsx:
        from hvpatent.reports.tables import to_frame, write_xlsx

        path = out or Path("hvpatent.xlsx")
        with writing(path):
            write_xlsx({name: to_frame(rows) for name, rows in sheets.items()}, path)
        console.print(i18n.t("xlsx_written", path=path))
        return
    if fmt is Fmt.json:
        write_json(sheets if len(sheets) > 1 else next(iter(sheets.values())), out)
        return
    from hvpatent.reports.tables import COLUMN_LABELS

    for name, rows in sheets.items():
        table = Table(title=title or name)
        columns = list(rows[0]) if rows else []
        for column in columns:
            labels = COLUMN_LABELS.get(column)
            table.add_column(labels[0 if i18n.lang() == "zh" else 1] if labels else column)
        for row in rows:
            table.add_row(*["" if row[c] is None else str(row[c]) for c in columns])
        console.print(table)
