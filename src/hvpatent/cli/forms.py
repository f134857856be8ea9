"""`hvp forms`: the official statistical forms, listed, filled for a region and a period, written as
xlsx / docx / csv, and any cell's patents listed (docs/forms.md)."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from hvpatent.cli.common import DbOption, analytics_backend, app, as_known_on, console, err_console, open_warehouse
from hvpatent.i18n import lang

if TYPE_CHECKING:
    import ibis

    from hvpatent.forms import FormResult, FormSpec, Period

FormsDirOption = Annotated[Path | None, typer.Option(
    "--forms-dir", help="本地表式目录（YAML，同名覆盖内置表式；默认 $HVP_FORMS_DIR） / a bureau's own forms")]


def _forms_dir(given: Path | None) -> Path | None:
    return given or (Path(os.environ["HVP_FORMS_DIR"]) if os.environ.get("HVP_FORMS_DIR") else None)


def _region(given: str | None) -> str | None:
    """A region code; 全国 (or china / all) for the whole country; by default the plan's region."""
    from hvpatent.forms import NATIONAL

    if given and given.strip().lower() in NATIONAL:
        return None
    if given:
        from hvpatent.reference.regions import normalize_code, region_by_code

        code = normalize_code(given.strip())
        if code not in region_by_code():
            raise typer.BadParameter(f"未知区划代码「{given}」 / unknown region code", param_hint="--region")
        return code
    from hvpatent.plan import load_plan

    return load_plan().region


def _last_month() -> str:
    today = date.today()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year}-{month:02d}"


@app.command("forms")
def forms_cmd(
    form: Annotated[str, typer.Argument(help="表式 key 或 YAML 文件；list 列出全部 / a form key or file; list")],
    period: Annotated[str | None, typer.Option(
        "--period", help="统计期：2024-03、2024-Q1、2024、2024-01..2024-06（默认上月）")] = None,
    region: Annotated[str | None, typer.Option(
        "--region", help="区划代码；全国 = 全国（默认行动方案的地区） / region code, or 全国")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table | json | xlsx | docx | csv")] = "table",
    out: Annotated[Path | None, typer.Option("--out", help="输出文件 / output file")] = None,
    cell: Annotated[str | None, typer.Option(
        "--cell", help="下钻：行key:列key，列出该格背后的专利 / list the patents behind one cell (ROW:COLUMN)")] = None,
    forms_dir: FormsDirOption = None,
    db: DbOption = None,
) -> None:
    """官方统计报表：列出、生成（xlsx/docx/csv）与下钻 / the official statistical forms."""
    from hvpatent.forms import FORMATS, FormError, PeriodError, find_form, list_forms, parse_period

    try:
        if form == "list":
            _print_list(list_forms(_forms_dir(forms_dir)))
            return
        spec = find_form(form, _forms_dir(forms_dir))
        chosen = parse_period(period or _last_month())
    except (FormError, PeriodError) as err:
        err_console.print(str(err), style="red", markup=False)
        raise typer.Exit(2) from err
    if fmt not in ("table", "json", *FORMATS):
        raise typer.BadParameter("table | json | xlsx | docx | csv", param_hint="--format")
    code = _region(region)
    with open_warehouse(db, read_only=True) as wh:
        con = analytics_backend(wh)
        if cell:
            _drill(con, spec, chosen, code, cell, fmt, out)
            return
        result = _compute(con, spec, chosen, code)
    _emit(result, fmt, out)


def _compute(con: ibis.BaseBackend, spec: FormSpec, chosen: Period, code: str | None) -> FormResult:
    from hvpatent.forms import compute_form

    try:
        return compute_form(con, spec, chosen, code, as_known_on())
    except ValueError as err:  # a region without sub-regions for a form by region; a date out of range
        err_console.print(str(err), style="red", markup=False)
        raise typer.Exit(2) from err


def _print_list(forms: list[FormSpec]) -> None:
    zh = lang() == "zh"
    table = Table("key", "表号" if zh else "form no.", "表名" if zh else "title", "统计对象" if zh else "measure",
                  "行" if zh else "rows")
    for f in forms:
        rows = ("分地区" if zh else "by sub-region") if f.by_region else str(len(f.rows))
        table.add_row(f.key, f.table_no or "", f.title(lang()), f.measure, rows)
    console.print(table)


def _emit(result: FormResult, fmt: str, out: Path | None) -> None:
    from hvpatent.forms import write_form

    if fmt in ("xlsx", "docx", "csv"):
        region = result.region or "全国"
        path = out or Path(f"{result.spec.key}-{result.period.key}-{region}.{fmt}")
        path.write_bytes(write_form(result, fmt, lang()))
        console.print(f"已写入 / written: {path}")
        return
    if fmt == "json":
        payload = _as_json(result)
        text = json.dumps(payload, ensure_ascii=False, indent=1)
        if out:
            out.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text + "\n")
        return
    _print_table(result)


def _as_json(result: FormResult) -> dict:
    here = lang()
    return {
        "form": result.spec.key, "title": result.spec.title(here), "period": result.period.key,
        "region": result.region, "header": dict(result.header_block(here)),
        "columns": [{"key": c.key, "labels": [t(here) for t in c.labels], "kind": c.kind}
                    for c in result.spec.columns],
        "rows": [{"key": r.key, "labels": [t(here) for t in r.labels],
                  "cells": {c.key: {"value": result.cells[(r.key, c.key)].value,
                                    "text": result.cells[(r.key, c.key)].text} for c in result.spec.columns}}
                 for r in result.rows],
        "notes": [n(here) for n in result.notes],
    }


def _print_table(result: FormResult) -> None:
    here = lang()
    colon = "：" if here == "zh" else ": "
    block = "    ".join(f"{label}{colon}{value}" for label, value in result.header_block(here))
    table = Table(title=f"{result.spec.title(here)}\n{block}", show_lines=False)
    depth = max([len(r.labels) for r in result.rows] + [1])
    for i in range(depth):
        table.add_column(" ".join(t(here) for t in result.spec.row_header) if i == 0 else "")
    for c in result.spec.columns:
        table.add_column("\n".join(t(here) for t in c.labels), justify="right")
    for r in result.rows:
        labels = [t(here) for t in r.labels] + [""] * (depth - len(r.labels))
        table.add_row(*labels, *[result.cells[(r.key, c.key)].text for c in result.spec.columns])
    console.print(table)
    for i, note in enumerate(result.notes, 1):
        console.print(f"注 {i}：{note(here)}" if here == "zh" else f"Note {i}: {note(here)}", markup=False)


def _drill(con: ibis.BaseBackend, spec: FormSpec, chosen: Period, code: str | None, cell: str, fmt: str,
           out: Path | None) -> None:
    from hvpatent.cli.common import Fmt, emit
    from hvpatent.forms import cell_records

    row, _, column = cell.partition(":")
    try:
        rows = cell_records(con, spec, chosen, code, row, column, as_known_on()).to_pyarrow().to_pylist()
    except KeyError as err:
        err_console.print(f"表中没有该格「{cell}」（行key:列key；人口与排名无明细） / no such cell", style="red",
                          markup=False)
        raise typer.Exit(2) from err
    except ValueError as err:  # a date out of range; a region without sub-regions for a form by region
        err_console.print(str(err), style="red", markup=False)
        raise typer.Exit(2) from err
    wanted = Fmt(fmt) if fmt in ("table", "json", "xlsx") else Fmt.table
    emit({"明细": rows}, wanted, out, title=f"{spec.title(lang())} {row}:{column}（{len(rows)} 件）")
