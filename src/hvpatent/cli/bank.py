"""`hvp bank`: 银行：质押候选与风险监测 / bank workspace (docs/finance-bank.md).

`hvp bank candidates` (collateral candidates, or with --excluded the patents that are not, with the reason),
`hvp bank bundles` (a suggested bundle per enterprise) and `hvp bank risk` (the risk watch on a bank's pledged
patents: the daily export).  Tables on screen; json, csv or xlsx with --format (or from --out's suffix)."""

from __future__ import annotations

import csv
import re
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hvpatent.cli.common import (
    AsOfOption,
    DbOption,
    OutOption,
    RegionOption,
    TableFmt,
    analytics_backend,
    app,
    console,
    fail,
    open_warehouse,
    parse_as_of,
    write_json,
    writing,
)
from hvpatent.i18n import lang, say

bank_app = typer.Typer(help="银行：质押候选与风险监测 / bank workspace", no_args_is_help=True)
app.add_typer(bank_app, name="bank")


FmtOption = Annotated[TableFmt | None, typer.Option(
    "--format", help="table | json | csv | xlsx（默认按 --out 的扩展名，否则 table）/ default: from --out's suffix")]
MinYearsOption = Annotated[float, typer.Option(
    "--min-years", help="剩余保护期至少（年）/ remaining term at least (years)")]
EnterpriseOption = Annotated[str | None, typer.Option(
    "--enterprise", help="企业名称（第一申请人）/ enterprise (first applicant)")]
UtilityOption = Annotated[bool, typer.Option(
    "--utility-models", help="也列实用新型 / offer utility models too")]


def _format(fmt: TableFmt | None, out: Path | None) -> TableFmt:
    if fmt is not None:
        return fmt
    suffix = out.suffix.lower().lstrip(".") if out else ""
    return TableFmt(suffix) if suffix in ("json", "csv", "xlsx") else TableFmt.table


def _check_region(region: str | None) -> None:
    if region is not None and not re.fullmatch(r"[0-9]{6}|[0-9]{12}", region):
        raise fail(f"区划代码无效：{region!r}（6 或 12 位）", f"bad region code {region!r} (6 or 12 digits)")


def _check_years(years: float) -> None:
    if years < 0 or years > 30:
        raise fail(f"--min-years 应在 0 到 30 之间：{years:g}", f"--min-years must be 0 to 30, not {years:g}")


def _cell(value: object) -> object:
    if isinstance(value, list | tuple):
        return "、".join(map(str, value)) if lang() == "zh" else "; ".join(map(str, value))
    if isinstance(value, bool):
        return ("是" if value else "否") if lang() == "zh" else ("yes" if value else "no")
    return value


def _labelled(rows: list[dict], columns: dict[str, tuple[str, str]]) -> list[dict]:
    """The rows with the columns in order under the current language's headers."""
    i = 0 if lang() == "zh" else 1
    return [{labels[i]: _cell(r.get(key)) for key, labels in columns.items()} for r in rows]


def _emit(rows: list[dict], columns: dict[str, tuple[str, str]], fmt: TableFmt, out: Path | None, title: str,
          default_name: str) -> None:
    """Rows to the screen (table), or json / csv / xlsx to --out (json and csv to standard output without)."""
    if fmt is TableFmt.json:
        write_json(rows, out)
        return
    labelled = _labelled(rows, columns)
    heads = [labels[0 if lang() == "zh" else 1] for labels in columns.values()]
    if fmt is TableFmt.xlsx:
        import pandas as pd

        from hvpatent.reports.tables import write_xlsx

        path = out or Path(default_name)
        with writing(path):
            write_xlsx({title[:31]: pd.DataFrame(labelled, columns=heads)}, path)
        console.print(say(f"已写入 {path}（{len(rows)} 行）", f"written: {path} ({len(rows)} rows)"),
                      markup=False, highlight=False)
        return
    if fmt is TableFmt.csv:
        from hvpatent.reports.safe_cells import safe_row

        def write(fh) -> None:
            writer = csv.writer(fh)
            writer.writerow(safe_row(heads))
            for r in labelled:
                writer.writerow(safe_row(["" if v is None else v for v in r.values()]))

        if out is None:
            write(sys.stdout)
            return
        with writing(out), out.open("w", newline="", encoding="utf-8-sig") as fh:  # the BOM: Excel reads Chinese
            write(fh)
        console.print(say(f"已写入 {out}（{len(rows)} 行）", f"written: {out} ({len(rows)} rows)"),
                      markup=False, highlight=False)
        return
    table = Table(title=f"{title}: {len(rows)}")
    for head in heads:
        table.add_column(head)
    for r in labelled:
        table.add_row(*["" if v is None else str(v) for v in r.values()])
    console.print(table)


def _candidates(db: Path | None, day: date, region: str | None, enterprise: str | None, min_years: float,
                utility_models: bool, excluded: bool = False) -> list[dict]:
    from hvpatent.finance import collateral_candidates, excluded_patents
    from hvpatent.ingest.fields import normalize_name
    from hvpatent.value import ValueConfigError

    types = ("invention", "utility_model") if utility_models else ("invention",)
    who = normalize_name(enterprise) if enterprise else None
    with open_warehouse(db, read_only=True) as wh:
        con = analytics_backend(wh)
        try:
            if excluded:
                return excluded_patents(con, day, region=region, enterprise=who, min_remaining_years=min_years,
                                        types=types)
            return collateral_candidates(con, day, region=region, enterprise=who, min_remaining_years=min_years,
                                         types=types)
        except ValueConfigError as err:
            raise fail(f"价值评估配置有误：{err}", f"bad value configuration: {err}") from None


@bank_app.command("candidates")
def candidates_cmd(
    as_of: AsOfOption = None,
    region: RegionOption = None,
    min_years: MinYearsOption = 5.0,
    enterprise: EnterpriseOption = None,
    utility_models: UtilityOption = False,
    excluded: Annotated[bool, typer.Option(
        "--excluded", help="列出未入选的专利及原因 / the patents that are not candidates, with the reason")] = False,
    fmt: FmtOption = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """可质押专利（候选）/ collateral candidates: valid, N years of term left, not pledged, no pending invalidation."""
    from hvpatent.finance import CANDIDATE_COLUMNS, EXCLUDED_COLUMNS

    _check_region(region)
    _check_years(min_years)
    day = parse_as_of(as_of)
    rows = _candidates(db, day, region, enterprise, min_years, utility_models, excluded)
    if excluded:
        _emit(rows, EXCLUDED_COLUMNS, _format(fmt, out), out, say("未入选专利", "Not candidates"), "未入选专利.xlsx")
    else:
        _emit(rows, CANDIDATE_COLUMNS, _format(fmt, out), out, say("可质押专利", "Collateral candidates"),
              "可质押专利.xlsx")


@bank_app.command("bundles")
def bundles_cmd(
    as_of: AsOfOption = None,
    region: RegionOption = None,
    min_years: MinYearsOption = 5.0,
    enterprise: EnterpriseOption = None,
    utility_models: UtilityOption = False,
    bundle_size: Annotated[int, typer.Option("--bundle-size", help="每组专利数 / patents per bundle")] = 3,
    fmt: FmtOption = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """按企业的建议质押组合 / a suggested bundle per enterprise (its best candidates by pledge value)."""
    from hvpatent.finance import BUNDLE_COLUMNS, candidate_bundles

    _check_region(region)
    _check_years(min_years)
    if bundle_size < 1 or bundle_size > 50:
        raise fail(f"--bundle-size 应在 1 到 50 之间：{bundle_size}",
                    f"--bundle-size must be 1 to 50, not {bundle_size}")
    day = parse_as_of(as_of)
    rows = candidate_bundles(_candidates(db, day, region, enterprise, min_years, utility_models),
                             bundle_size=bundle_size)
    _emit(rows, BUNDLE_COLUMNS, _format(fmt, out), out, say("建议质押组合", "Suggested bundles"), "建议质押组合.xlsx")


@bank_app.command("risk")
def risk_cmd(
    bank: Annotated[str | None, typer.Option(
        "--bank", help="质权人（银行）名称，总行名称含其分支机构；省略则全部 / the pledgee (a head office covers its "
                       "branches); all when left out")] = None,
    as_of: AsOfOption = None,
    within: Annotated[int, typer.Option("--within", help="提前提醒天数 / days ahead")] = 90,
    region: RegionOption = None,
    fmt: FmtOption = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """质押专利风险监测（每日导出）/ the risk watch on pledged patents (the daily export)."""
    from hvpatent.finance import RISK_COLUMNS, RISK_LABELS, SEVERITIES, risk_watch

    _check_region(region)
    if within < 0 or within > 3660:
        raise fail(f"--within 应在 0 到 3660 之间：{within}", f"--within must be 0 to 3660, not {within}")
    if bank is not None and not bank.strip():
        raise fail("--bank 不能为空", "--bank must not be empty")
    day = parse_as_of(as_of)
    with open_warehouse(db, read_only=True) as wh:
        rows = risk_watch(analytics_backend(wh), day, bank=bank, within_days=within, region=region)
    i = 0 if lang() == "zh" else 1
    fmt = _format(fmt, out)
    if fmt is not TableFmt.json:
        rows = [{**r, "severity": SEVERITIES[r["severity"]][i], "kind": RISK_LABELS[r["kind"]][i],
                 "action": r["action_zh"] if i == 0 else r["action_en"]} for r in rows]
    title = say(f"质押专利风险监测 {day}", f"Risk watch {day}")
    _emit(rows, RISK_COLUMNS, fmt, out, title, f"质押风险监测-{day}.xlsx")
