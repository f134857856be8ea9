"""`hvp report`: the statistical bulletin as Word, Excel, HTML or PDF."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from hvpatent.cli.common import (
    AsOfOption,
    DbOption,
    RegionOption,
    analytics_backend,
    app,
    console,
    err_console,
    open_warehouse,
    parse_as_of,
)
from hvpatent.cli.plan import ExcludeAbnormalOption, exclude_abnormal_default
from hvpatent.i18n import t


@app.command("report")
def report_cmd(
    as_of: AsOfOption = None,
    period: Annotated[str, typer.Option("--period", help="month | quarter | year")] = "quarter",
    region: RegionOption = None,
    fmt: Annotated[str, typer.Option("--format", help="docx | xlsx | pdf | html")] = "docx",
    out: Annotated[Path | None, typer.Option("--out", help="输出文件 / output file")] = None,
    plan_file: Annotated[str | None, typer.Option(
        "--plan", help="方案代码（hvp plan list）或方案文件 YAML（默认：默认方案）/ a plan key or file (default: the "
                  "default plan)")] = None,
    issuer: Annotated[str | None, typer.Option("--issuer", help="发布单位（默认：<地区>知识产权局）")] = None,
    db: DbOption = None,
    exclude_abnormal: ExcludeAbnormalOption = None,
) -> None:
    """生成统计通报（Word/Excel/PDF/HTML）/ write the statistical bulletin."""
    from hvpatent.plan.model import PlanError
    from hvpatent.plan.registry import resolve_plan
    from hvpatent.reports import FORMATS
    from hvpatent.reports.charts import FontMissing
    from hvpatent.reports.html_writer import ChromiumMissing

    if fmt not in FORMATS:
        raise typer.BadParameter(" | ".join(FORMATS), param_hint="--format")
    if period not in ("month", "quarter", "year"):
        raise typer.BadParameter("month | quarter | year", param_hint="--period")
    day = parse_as_of(as_of)
    try:
        plan = resolve_plan(plan_file)
    except (PlanError, OSError) as err:
        err_console.print(f"[red]{err}[/red]")
        raise typer.Exit(2) from err
    exclude = exclude_abnormal_default(exclude_abnormal)   # asked before the warehouse: a bad settings file exits 2
    path = out or Path(f"通报-{day.isoformat()}.{fmt}")
    with open_warehouse(db, read_only=True) as wh:
        try:
            write_report(analytics_backend(wh), day, period, region, plan, fmt, path, issuer, exclude)
        except (FontMissing, ChromiumMissing) as err:
            err_console.print(f"[red]{err}[/red]")
            raise typer.Exit(3) from err
    console.print(t("xlsx_written", path=path))


def write_report(con, day: date, period: str, region: str | None, plan, fmt: str, path: Path,
                 issuer: str | None = None, exclude_abnormal: bool | None = None) -> Path:
    from hvpatent.reports import build_bulletin, write_bulletin

    bulletin = build_bulletin(con, day, period, region, plan, issuer, exclude_abnormal=exclude_abnormal)
    return write_bulletin(bulletin, fmt, path)
