"""`hvp navigate INDUSTRY`: an industry's patent landscape (专利导航) for a region against a comparison region —
key figures as a table, the landscape as JSON, the companion workbook as xlsx, or the navigation report
(docx|pdf, with its workbook next to it).  docs/navigation-report.md."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hvpatent.cli.common import (
    AsOfOption,
    DbOption,
    OutOption,
    RegionOption,
    analytics_backend,
    app,
    as_known_on,
    check_out,
    console,
    err_console,
    open_warehouse,
    parse_as_of,
    resolve_industry,
    unknown_industry,
    write_json,
    writing,
)
from hvpatent.i18n import lang, say, t

# The files `hvp demo` writes and imports: a warehouse that imported both holds the synthetic demo world (a small
# demo may write no families file: its trademark records, always written, tell it instead).
DEMO_FILES = frozenset({"patents_cnipa.csv", "families_google.jsonl"})
DEMO_FILES_SMALL = frozenset({"patents_cnipa.csv", "trademarks_cnipa.csv"})
REGION_CODE = re.compile(r"[0-9]{6}|[0-9]{12}")


class NavFmt(StrEnum):
    table = "table"
    json = "json"
    xlsx = "xlsx"


class ReportFmt(StrEnum):
    docx = "docx"
    pdf = "pdf"


def _fail(zh: str, en: str, code: int = 2) -> typer.Exit:
    err_console.print(say(zh, en), style="red", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _check_region(value: str | None, option: str, allow_national: bool = False) -> None:
    if value is None or (allow_national and value == "national"):
        return
    from hvpatent.reference.regions import region_name

    if not REGION_CODE.fullmatch(value) or region_name(value) is None:
        also_zh, also_en = ("，或 national", ", or national") if allow_national else ("", "")
        raise _fail(f"{option} 区划代码无效：{value!r}（6 或 12 位已知代码{also_zh}）",
                    f"bad {option} region code {value!r} (a known 6- or 12-digit code{also_en})")


def data_facts(wh) -> tuple[date | None, bool]:
    """(the day of the latest import, whether the warehouse holds the synthetic demo world)."""
    rows = wh.con.sql("SELECT file_name, imported_at FROM imports").fetchall()
    names = {Path(r[0]).name for r in rows}
    latest = max((r[1] for r in rows if r[1] is not None), default=None)
    day = latest.date() if isinstance(latest, datetime) else latest
    return day, names >= DEMO_FILES or names >= DEMO_FILES_SMALL


def landscape_json(land) -> dict:
    """The landscape as a dict with dates in ISO form."""
    def plain(v):
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [plain(x) for x in v]
        return v

    return plain(dataclasses.asdict(land))


@app.command("navigate")
def navigate_cmd(
    industry: Annotated[str, typer.Argument(help="产业代码或名称，如 new_energy / 新能源 / industry code or name")],
    as_of: AsOfOption = None,
    region: RegionOption = None,
    compare: Annotated[str | None, typer.Option(
        "--compare", help="对比区域代码或 national（默认：本地区所在省）/ comparison region or national")] = None,
    report: Annotated[ReportFmt | None, typer.Option("--report", help="docx | pdf：写导航报告及配套 xlsx")] = None,
    out: OutOption = None,
    fmt: Annotated[NavFmt, typer.Option("--format", help="table | json | xlsx")] = NavFmt.table,
    db: DbOption = None,
) -> None:
    """产业专利导航分析 / an industry's patent landscape, its report and workbook."""
    from hvpatent.navigation import landscape, landscape_scope, recommendations

    code = resolve_industry(industry)
    check_out(out)   # a folder as --out: say so before computing the landscape
    _check_region(region, "--region")
    _check_region(compare, "--compare", allow_national=True)
    day = parse_as_of(as_of)
    with open_warehouse(db, read_only=True) as wh:
        con = analytics_backend(wh)
        kwargs = {} if compare is None else {"compare": compare}
        try:
            known = as_known_on()
            # one scope for the landscape and every drill-down of its workbook's 明细 sheet
            scope = landscape_scope(con, code, day, region, as_known_on=known, **kwargs)
            land = landscape(con, code, day, region, as_known_on=known, scope=scope, **kwargs)
        except KeyError:
            raise unknown_industry(industry) from None   # no technology breakdown for it
        except ValueError as err:
            raise _fail(f"无法分析：{err}", f"cannot analyse: {err}") from None
        recs = recommendations(land, lang())
        imported_on, demo = data_facts(wh)
        notice = t("demo_banner") if demo else ""
        if report is not None or fmt is NavFmt.xlsx:
            from hvpatent.reports.navigation import navigation_details

            details = navigation_details(con, land, scope=scope)
    if report is not None:
        _write_report(land, recs, report, out, details, imported_on, notice)
        return
    if fmt is NavFmt.json:
        write_json(landscape_json(land), out)
        return
    if fmt is NavFmt.xlsx:
        from hvpatent.reports.navigation import write_navigation_xlsx

        path = out or Path(f"专利导航-{code}-{day.isoformat()}.xlsx")
        with writing(path):
            write_navigation_xlsx(land, recs, path, details, imported_on=imported_on, notice=notice)
        console.print(t("xlsx_written", path=path), markup=False, highlight=False)
        return
    _print(land, recs, notice)


def _write_report(land, recs, fmt: ReportFmt, out: Path | None, details, imported_on, notice: str) -> None:
    from hvpatent.reports.charts import FontMissing
    from hvpatent.reports.html_writer import ChromiumMissing
    from hvpatent.reports.navigation import write_navigation_report, write_navigation_xlsx

    path = out or Path(f"专利导航报告-{land.industry}-{land.as_of.isoformat()}.{fmt.value}")
    try:
        with writing(path):
            written = write_navigation_report(land, recs, path, fmt.value, imported_on=imported_on, notice=notice)
    except (FontMissing, ChromiumMissing) as err:
        raise _fail(str(err), str(err), 3) from None
    book_path = written.with_suffix(".xlsx")
    if book_path == written:   # --out named .xlsx: keep the report
        book_path = written.with_name(written.stem + "-明细.xlsx")
    with writing(book_path):
        book = write_navigation_xlsx(land, recs, book_path, details, imported_on=imported_on, notice=notice)
    console.print(t("xlsx_written", path=written), markup=False, highlight=False)
    console.print(t("xlsx_written", path=book), markup=False, highlight=False)


def _position(position: str | None, zh: bool) -> str:
    from hvpatent.reports.navigation import POSITION_NAMES

    return (POSITION_NAMES.get(position or "", position or "") if zh else position) or ""


def _print(land, recs, notice: str) -> None:
    zh = lang() == "zh"
    if notice:
        console.print(notice, style="bold yellow", markup=False, highlight=False)
    console.print(say(f"{land.region_name}{land.industry_name}产业专利导航（对比区域：{land.compare_name}，"
                      f"截至 {land.as_of}）",
                      f"{land.industry_name} patent landscape of {land.region_name} against {land.compare_name} "
                      f"(as of {land.as_of})"), markup=False, highlight=False)
    trend = Table(title=say("申请趋势", "Applications by year"))
    for head in (("年份", "year"), ("本地区申请", "region"), ("对比区域申请", "comparison"), ("占比(%)", "share (%)")):
        trend.add_column(head[0] if zh else head[1])
    for s in land.share:
        trend.add_row(str(s["year"]), str(s.get("region_applications") or 0), str(s.get("compare_applications") or 0),
                      "—" if s.get("share") is None else f"{s['share'] * 100:.2f}")
    console.print(trend)
    branches = Table(title=say("技术分支定位", "Branches"))
    for head in (("技术分支", "branch"), ("本地区", "region"), ("对比区域", "comparison"), ("RTA", "RTA"),
                 ("本地区增长", "region growth"), ("定位", "position")):
        branches.add_column(head[0] if zh else head[1])
    for b in land.branches:
        name = b.get("name") if zh else b.get("name_en")
        branches.add_row("  " * ((b.get("level") or 1) - 1) + str(name), str(b.get("region_count") or 0),
                         str(b.get("compare_count") or 0), "—" if b.get("rta") is None else f"{b['rta']:.2f}",
                         "—" if b.get("region_growth") is None else f"{b['region_growth'] * 100:+.1f}%",
                         _position(b.get("position"), zh))
    console.print(branches)
    advice = Table(title=say("发展路径建议", "Recommendations"))
    for head in (("建议", "recommendation"), ("规则", "rule")):
        advice.add_column(head[0] if zh else head[1])
    for r in recs:
        title, _ = r.label(lang())
        advice.add_row(title, r.rule)
    console.print(advice)
    for note in land.notes:
        console.print(note, markup=False, highlight=False)
