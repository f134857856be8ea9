"""`hvp value`: the value assessment after GB/T 42748-2023 (docs/value.md) — one patent's breakdown, or every
scored patent of a region or enterprise as a table (xlsx with every indicator's parts as columns, csv, json);
`hvp value sheet APP_NO...`: the valuation sheet (评估表, docx) for a bank's loan file (reports/valuation.py)."""

from __future__ import annotations

import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hvpatent.cli.common import (
    AsOfOption,
    DbOption,
    DefaultCommandGroup,
    OutOption,
    RegionOption,
    analytics_backend,
    app,
    as_known_on,
    console,
    err_console,
    open_warehouse,
    parse_as_of,
    write_json,
)
from hvpatent.i18n import lang


class ValueFmt(StrEnum):
    table = "table"
    json = "json"
    xlsx = "xlsx"
    csv = "csv"


SCENARIO_HELP = "pledge（质押融资）| transfer（转让许可）| management（分级管理）"


class _ValueGroup(DefaultCommandGroup):
    """`hvp value` keeps its plain form (`hvp value [APP_NO] [options]` is `hvp value show ...`); `sheet` is the
    other command."""

    default_command = "show"


value_app = typer.Typer(cls=_ValueGroup, help="专利价值评估（GB/T 42748-2023）与评估表 / patent value and the "
                                               "valuation sheet")
app.add_typer(value_app, name="value")


def _fail(zh: str, en: str) -> typer.Exit:
    err_console.print(zh if lang() == "zh" else en, style="red", markup=False, highlight=False)
    return typer.Exit(2)


@value_app.command("show")
def value_cmd(
    app_no: Annotated[str | None, typer.Argument(help="申请号（省略则列出全部专利）/ application number")] = None,
    as_of: AsOfOption = None,
    scenario: Annotated[str, typer.Option("--scenario", help=SCENARIO_HELP)] = "management",
    region: RegionOption = None,
    enterprise: Annotated[str | None, typer.Option(help="企业名称（任一申请人位置）/ enterprise name")] = None,
    fmt: Annotated[ValueFmt, typer.Option("--format", help="table | json | xlsx | csv")] = ValueFmt.table,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """专利价值评估（GB/T 42748-2023）/ patent value assessment: one patent's breakdown, or all patents."""
    from hvpatent.value import SCENARIOS, ValueConfigError, value_of, value_scores, value_settings

    if scenario not in SCENARIOS:
        raise _fail(f"未知的评估场景 {scenario!r}，可用：{', '.join(SCENARIOS)}",
                    f"unknown scenario {scenario!r}; one of {', '.join(SCENARIOS)}")
    try:
        settings = value_settings()
    except ValueConfigError as err:
        raise _fail(f"价值评估配置有误：{err}", f"bad value configuration: {err}") from None
    day = parse_as_of(as_of)
    if app_no is not None:
        from hvpatent.ingest.appno import AppNoError, normalize_appno

        try:
            number = normalize_appno(app_no)
        except AppNoError as err:
            raise _fail(f"申请号无效：{err}", f"bad application number: {err}") from None
        with open_warehouse(db, read_only=True) as wh:
            result = value_of(analytics_backend(wh), number, day, as_known_on(), settings=settings)
        if result is None:
            raise _fail(f"{number}：库中没有这件专利，或它不参与评估（外观设计、或申请日晚于 {day}）",
                        f"{number}: not in the warehouse, or not assessed (a design, or filed after {day})")
        _show_one(result, scenario, fmt, out)
        return
    from hvpatent.ingest.fields import normalize_name

    if region is not None and not re.fullmatch(r"[0-9]{6}|[0-9]{12}", region) and region != "all":
        raise _fail(f"区划代码无效：{region!r}（6 或 12 位）", f"bad region code {region!r} (6 or 12 digits)")
    with open_warehouse(db, read_only=True) as wh:
        rows = value_scores(analytics_backend(wh), day, scenario, region,
                            normalize_name(enterprise) if enterprise else None, as_known_on=as_known_on(),
                            settings=settings)
    _show_all(rows, fmt, out)


def _show_one(result: dict, scenario: str, fmt: ValueFmt, out: Path | None) -> None:
    if fmt is ValueFmt.json:
        write_json(result, out)
        return
    if fmt in (ValueFmt.xlsx, ValueFmt.csv):
        raise _fail("单件专利的评估用 table 或 json 格式", "one patent's breakdown: --format table or json")
    zh = lang() == "zh"
    s = result["scenarios"][scenario]
    c = result["cohort"]
    title = (f"{result['app_no']} {result['title'] or ''}  {s['label_zh'] if zh else s['label_en']}  "
             f"{'得分' if zh else 'score'} {s['score']:.1f}（{s['grade']}）  @ {result['as_of']}")
    table = Table(title=title)
    for head in (("维度", "dimension"), ("指标", "indicator"), ("输入", "input"), ("标准化得分", "normalised"),
                 ("权重", "weight"), ("贡献", "contribution")):
        table.add_column(head[0] if zh else head[1])
    for d in s["dimensions"]:
        table.add_row(f"{d['label_zh'] if zh else d['label_en']} {d['score']:.1f}", "", "", "",
                      f"{d['weight']:.2f}", "")
        for i in d["indicators"]:
            table.add_row("", i["label_zh"] if zh else i["label_en"], i["input"] if zh else i["input_en"],
                          f"{i['normalised']:.1f}", f"{i['overall_weight']:.3f}", f"{i['contribution']:.2f}")
    console.print(table)
    cohort = (f"比较组：{c['field_name']} × {c['filing_year']} 年（{c['basis_label']}，{c['size']} 件）" if zh else
              f"Cohort: {c['field_name_en']} × {c['filing_year']} ({c['basis_label_en']}, {c['size']} patents)")
    console.print(cohort, markup=False, highlight=False)
    evidence = ("；" if zh else "; ").join(f"{x['criterion']} {x['evidence']}" for x in result["criteria"])
    if zh:
        hv = "高价值发明专利：" + (f"是（{evidence}）" if result["high_value"] else "否")
    else:
        hv = "High-value invention: " + (f"yes ({evidence})" if result["high_value"] else "no")
    console.print(hv, markup=False, highlight=False)
    console.print(f"{result['standard']}", markup=False, highlight=False)


def _show_all(rows: list[dict], fmt: ValueFmt, out: Path | None) -> None:
    from hvpatent.reports.value import write_value_csv, write_value_xlsx

    if fmt is ValueFmt.xlsx:
        path = write_value_xlsx(rows, out or Path("专利价值评估.xlsx"), lang())
        console.print(f"已写入 / written: {path}（{len(rows)}）", markup=False, highlight=False)
        return
    if fmt is ValueFmt.csv:
        if out is None:
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                sys.stdout.write(write_value_csv(rows, Path(tmp) / "value.csv", lang()).read_text(encoding="utf-8-sig"))
            return
        path = write_value_csv(rows, out, lang())
        console.print(f"已写入 / written: {path}（{len(rows)}）", markup=False, highlight=False)
        return
    if fmt is ValueFmt.json:
        write_json(rows, out)
        return
    zh = lang() == "zh"
    table = Table(title=f"{'专利价值评估' if zh else 'Patent value'}: {len(rows)}")
    heads = (("申请号", "app no."), ("名称", "title"), ("技术领域", "field"), ("申请年", "year"), ("得分", "score"),
             ("等级", "grade"), ("法律", "legal"), ("技术", "technical"), ("经济", "economic"),
             ("高价值", "high-value"), ("第一申请人", "first applicant"))
    for head in heads:
        table.add_column(head[0] if zh else head[1])
    for r in rows:
        table.add_row(r["app_no"], r["title"] or "", r["field_name"] if zh else r["field_name_en"],
                      str(r["filing_year"]), f"{r['score']:.1f}", r["grade"], f"{r['legal']:.1f}",
                      f"{r['technical']:.1f}", f"{r['economic']:.1f}", ("是" if zh else "yes") if r["high_value"]
                      else "", r["applicant_name"] or "")
    console.print(table)


@value_app.command("sheet")
def sheet_cmd(
    app_nos: Annotated[list[str] | None, typer.Argument(
        help="申请号（可多件，组成质押组合；省略则取 --contract 的出质专利）/ application numbers")] = None,
    as_of: AsOfOption = None,
    contract: Annotated[str | None, typer.Option("--contract", help="质押登记号 / pledge registration no.")] = None,
    bank: Annotated[str | None, typer.Option("--bank", help="质权人（银行）名称：只列明本行的质押 / the pledgee bank: "
                                                            "only its own pledges itemised")] = None,
    all_pledges: Annotated[bool, typer.Option(
        "--all-pledges", help="与 --bank 同用：列明所有质权人的质押（局内使用）/ with --bank: itemise every "
                              "pledgee's pledges (for bureau staff)")] = False,
    sheet_lang: Annotated[str | None, typer.Option("--lang", help="zh | en（默认同全局）/ default: the global one")]
    = None,
    out: Annotated[Path | None, typer.Option("--out", help="输出 docx 文件 / output docx")] = None,
    db: DbOption = None,
) -> None:
    """评估表（docx，供贷款档案）/ the valuation sheet for the loan file: pledge-scenario value, legal state,
    pledges; an indicator-based assessment, not an appraisal under the Asset Appraisal Law."""
    from hvpatent.ingest.appno import AppNoError, normalize_appno
    from hvpatent.ingest.fields import normalize_name
    from hvpatent.reports.valuation import make_valuation_sheet
    from hvpatent.value import ValueConfigError

    language = sheet_lang or lang()
    if language not in ("zh", "en"):
        raise _fail(f"--lang 只能是 zh 或 en：{language!r}", f"--lang must be zh or en: {language!r}")
    if not app_nos and not contract:
        raise _fail("请给出申请号，或用 --contract 指定质押登记号", "give application numbers, or --contract")
    numbers = []
    for raw in app_nos or []:
        try:
            numbers.append(normalize_appno(raw))
        except AppNoError as err:
            raise _fail(f"申请号无效：{raw}（{err}）", f"bad application number {raw}: {err}") from None
    day = parse_as_of(as_of)
    name = numbers[0] if numbers else contract
    target = out or Path(f"{'评估表' if language == 'zh' else 'valuation-sheet'}-{name}-{day.isoformat()}.docx")
    if target.is_dir():
        raise _fail(f"无法写入 {target}：这是一个文件夹", f"cannot write {target}: it is a folder")
    # A sheet for a bank itemises that bank's pledges only (another bank's are counted), as on /bank/valuation.
    pledges_of = normalize_name(bank) if bank and not all_pledges else None
    with open_warehouse(db, read_only=True) as wh:
        try:
            sheet = make_valuation_sheet(analytics_backend(wh), numbers, day, bank=bank, contract_no=contract,
                                         lang=language, pledges_of=pledges_of)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(sheet.data)
        except ValueConfigError as err:
            raise _fail(f"价值评估配置有误：{err}", f"bad value configuration: {err}") from None
        except OSError as err:
            raise _fail(f"无法写入 {target}：{err}", f"cannot write {target}: {err}") from None
        except ValueError as err:
            raise _fail(str(err), str(err)) from None
    left = (f"，未列入 {len(sheet.left_out)} 件 / {len(sheet.left_out)} left out" if sheet.left_out else "")
    console.print(f"已写入 / written: {target}（{len(sheet.patents)} 件专利 / patents{left}）", markup=False,
                  highlight=False)
