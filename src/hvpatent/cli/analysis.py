"""Commands that read the warehouse: legal state, figures."""

from __future__ import annotations

import dataclasses
import json
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
    RegionOption,
    analytics_backend,
    app,
    as_known_on,
    console,
    emit,
    err_console,
    open_warehouse,
    parse_as_of,
)
from hvpatent.i18n import label, t


@app.command("status")
def status_cmd(
    app_no: Annotated[str, typer.Argument(help="申请号 / application number")],
    as_of: AsOfOption = None,
    fmt: Annotated[Fmt, typer.Option("--format", help="table | json")] = Fmt.table,
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
    day = parse_as_of(as_of)
    with open_warehouse(db, read_only=True) as wh:
        status = status_of(analytics_backend(wh), number, day, as_known_on=as_known_on())
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


@app.command("summary")
def summary_cmd(as_of: AsOfOption = None, region: RegionOption = None, db: DbOption = None) -> None:
    """主要指标 / headline figures."""
    from hvpatent.indicators import HEADLINE, figures

    with open_warehouse(db, read_only=True) as wh:
        rows = figures(analytics_backend(wh), parse_as_of(as_of), region, keys=list(HEADLINE),
                       as_known_on=as_known_on())
    print_figures(rows, t("headline_title", date=parse_as_of(as_of), region=_region_label(region)))


def _region_label(code: str | None) -> str:
    from hvpatent.reference.regions import region_name

    if not code:  # the scope of CNIPA's national figures (docs/indicators.md, "Scope")
        return "全国，国内申请人（不含港澳台及国外）" if i18n.lang() == "zh" else \
            "national, domestic applicants (excl. Hong Kong, Macao, Taiwan and foreign)"
    return region_name(code) or code


def print_figures(rows: list[dict], title: str) -> None:
    table = Table(title=title)
    for header in ("指标 / indicator", "分组 / group", "数值 / value", "单位 / unit", "上期 / previous",
                   "环比% / PoP%", "上年同期 / last year", "同比% / YoY%"):
        table.add_column(header)
    for r in rows:
        name = r["name"] if i18n.lang() == "zh" else r["name_en"]
        cells = [name, _group_label(r["group"])]
        cells += ["—" if r[k] is None else f"{r[k]:,.2f}".rstrip("0").rstrip(".") if k != "unit" else r[k]
                  for k in ("value", "unit", "previous", "change_pct", "last_year", "yoy_pct")]
        table.add_row(*cells)
    console.print(table)


RANKING_LEVELS = ("county", "city", "province")
# The core indicators a ranking shows when no --key is given (patents; trademark keys may be asked with --key).
RANKING_KEYS = ("valid_inventions", "valid_inventions_per_10k", "high_value_inventions", "high_value_per_10k",
                "invention_applications", "invention_grants")


def ranking_rows(rows: list[dict], keys: list[str]) -> list[dict]:
    """One row per region with a value per indicator, ranked by the first indicator (no value last). A count
    that a region lacks is 0 (no record of it); a ratio or per-10k value it lacks stays None."""
    from hvpatent.indicators import INDICATORS

    counts = [k for k in keys if not (INDICATORS[k].ratio or INDICATORS[k].per_10k)]
    regions: dict[str, dict] = {}
    for r in rows:
        if r["group"] is not None:
            blank = {"code": r["group"], **dict.fromkeys(keys), **dict.fromkeys(counts, 0.0)}
            regions.setdefault(r["group"], blank)[r["key"]] = r["value"]
    ordered = sorted(regions.values(), key=lambda r: (r.get(keys[0]) is None, -(r.get(keys[0]) or 0), r["code"]))
    return [{"rank": i, **r} for i, r in enumerate(ordered, start=1)]


def print_ranking(rows: list[dict], keys: list[str], title: str) -> None:
    from hvpatent.indicators import INDICATORS
    from hvpatent.reference.regions import region_name

    table = Table(title=title)
    for header in ("名次 / rank", "代码 / code", "区域 / region"):
        table.add_column(header)
    for k in keys:
        table.add_column(INDICATORS[k].label(i18n.lang()), justify="right")
    for r in ranking_rows(rows, keys):
        cells = [str(r["rank"]), r["code"], region_name(r["code"]) or "—"]
        cells += ["—" if r.get(k) is None else f"{r[k]:,.2f}".rstrip("0").rstrip(".") for k in keys]
        table.add_row(*cells)
    console.print(table)


def _group_label(group: str | None) -> str:
    from hvpatent.indicators import industry_name
    from hvpatent.reference.regions import region_name

    if group is None:
        return ""
    return region_name(group) or (label(group) if group in i18n.LABELS else industry_name(group))


@app.command("indicators")
def indicators_cmd(
    as_of: AsOfOption = None,
    region: RegionOption = None,
    period: Annotated[str, typer.Option("--period", help="month | quarter | year（流量指标的统计期）")] = "year",
    by: Annotated[str | None, typer.Option(
        "--by", help="town | industry | applicant-type | enterprise | institution | county | city | province"
                     "（按区域排名 / rankings by region）")] = None,
    key: Annotated[list[str] | None, typer.Option("--key", help="只看这些指标 / only these indicators")] = None,
    drill: Annotated[str | None, typer.Option("--drill", help="导出某指标背后的明细 / the records behind KEY")] = None,
    fmt: FormatOption = Fmt.table,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """指标及同比环比，可分组、可下钻 / indicators with changes, breakdowns and drill-down."""
    from hvpatent.indicators import DIMENSIONS, INDICATORS, PERIOD_MONTHS, figures
    from hvpatent.indicators import drill as drill_records

    day = parse_as_of(as_of)
    if period not in PERIOD_MONTHS:
        raise typer.BadParameter(" | ".join(PERIOD_MONTHS), param_hint="--period")
    if by is not None and by not in DIMENSIONS:
        raise typer.BadParameter(" | ".join(DIMENSIONS), param_hint="--by")
    for k in [*(key or []), *([drill] if drill else [])]:
        if k not in INDICATORS:
            err_console.print(f"[red]{t('unknown_indicator', key=k, keys=', '.join(INDICATORS))}[/red]")
            raise typer.Exit(2)
    with open_warehouse(db, read_only=True) as wh:
        con = analytics_backend(wh)
        if drill:
            rows = drill_records(con, drill, day, region, period, as_known_on=as_known_on())
            ind = INDICATORS[drill]
            err_console.print(t("drill_count", name=ind.label(i18n.lang()), count=len(rows)))
            emit({drill: rows}, fmt, out)
            return
        if by in RANKING_LEVELS and not key:
            key = list(RANKING_KEYS)
        rows = figures(con, day, region, period, by, key, as_known_on=as_known_on())
    title = t("headline_title", date=day, region=_region_label(region))
    if fmt is Fmt.table and by in RANKING_LEVELS:
        print_ranking(rows, key, t("ranking_title", level=t(f"level_{by}"), date=day, region=_region_label(region),
                                   key=INDICATORS[key[0]].label(i18n.lang())))
    elif fmt is Fmt.table:
        print_figures(rows, title)
    else:
        emit({"indicators": rows}, fmt, out)


@app.command("highvalue")
def highvalue_cmd(as_of: AsOfOption = None, region: RegionOption = None, fmt: FormatOption = Fmt.table,
                  out: OutOption = None, db: DbOption = None) -> None:
    """高价值发明专利清单及其满足的情形 / high-value invention patents and their criteria."""
    from hvpatent.indicators import high_value_list

    with open_warehouse(db, read_only=True) as wh:
        rows = high_value_list(analytics_backend(wh), parse_as_of(as_of), region, as_known_on=as_known_on())
    if fmt is Fmt.table:
        rows = [{"app_no": r["app_no"], "title": r["title"], "applicant_name": r["applicant_name"],
                 "criteria": "、".join(label(c) for c in r["criteria"].split(","))} for r in rows]
    emit({"highvalue": rows}, fmt, out, title=f"高价值发明专利 / high-value invention patents: {len(rows)}")


@app.command("explain")
def explain_cmd(app_no: Annotated[str, typer.Argument(help="申请号")], as_of: AsOfOption = None,
                fmt: Annotated[Fmt, typer.Option("--format", help="table | json")] = Fmt.table,
                db: DbOption = None) -> None:
    """逐项说明某专利是否为高价值发明专利 / why a patent is or is not high-value."""
    from hvpatent.indicators import explain
    from hvpatent.ingest.appno import AppNoError, normalize_appno

    try:
        number = normalize_appno(app_no)
    except AppNoError as err:
        err_console.print(f"[red]{t('bad_appno', reason=err)}[/red]")
        raise typer.Exit(2) from err
    day = parse_as_of(as_of)
    with open_warehouse(db, read_only=True) as wh:
        result = explain(analytics_backend(wh), number, day)
    if result is None:
        err_console.print(f"[red]{t('not_found', app_no=number)}[/red]")
        raise typer.Exit(1)
    if fmt is Fmt.json:
        console.print_json(json.dumps(dataclasses.asdict(result), default=str, ensure_ascii=False))
        return
    verdict = "是高价值发明专利" if result.high_value else "不是高价值发明专利"
    if i18n.lang() == "en":
        verdict = "high-value" if result.high_value else "not high-value"
    table = Table(title=f"{number} @ {day}: {verdict}（{label(result.state)}）", show_lines=True)
    table.add_column("情形 / criterion")
    table.add_column("满足 / met")
    table.add_column("依据或原因 / evidence or reason")
    for check in result.checks:
        table.add_row(label(check.criterion), "✔" if check.met else "✘",
                      "\n".join(check.evidence) if check.met else check.reason)
    console.print(table)
    if result.note:
        console.print(result.note)
