"""`hvp applicants …`: the five official applicant categories, the unclassified, and settling them by hand."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from hvpatent.cli.common import DbOption, applicants_app, console, err_console, open_warehouse


def _region(given: str | None) -> str | None:
    """A known region code (normalised), or None for every applicant; an unknown code is refused (exit 2)."""
    if given is None:
        return None
    from hvpatent.reference.regions import normalize_code, region_by_code

    code = normalize_code(given.strip())
    if code not in region_by_code():
        raise typer.BadParameter(f"未知区划代码「{given}」 / unknown region code", param_hint="--region")
    return code


RegionArg = Annotated[str | None, typer.Option("--region", callback=_region,
                                               help="区划代码（默认全部） / region code (default: all)")]
CATEGORY_HELP = "大专院校|科研单位|工矿企业|机关团体|个人，或 university|institute|enterprise|government|individual"


@applicants_app.command("unclassified")
def applicants_unclassified(
    region: RegionArg = None,
    limit: Annotated[int, typer.Option(help="最多显示行数 / rows shown")] = 50,
    db: DbOption = None,
) -> None:
    """未能归入五类的第一申请人，按申请件数排序 / first applicants no evidence classifies, most applications first."""
    from hvpatent.reference.applicant_categories import unclassified

    with open_warehouse(db, read_only=True) as wh:
        rows, summary = unclassified(wh.ibis(), region, limit)
    if not rows:
        console.print("所有第一申请人均已分类 / every first applicant is classified")
        return
    share = f"{summary['share']:.1%}" if summary["share"] is not None else "-"
    console.print(f"未分类：申请人 {summary['applicants']} 个，申请件 {summary['applications']} 件，"
                  f"占全部 {summary['all_applications']} 件的 {share} / unclassified applicants, applications, share")
    table = Table("申请人/applicant", "件数/applications", "地址示例/example address")
    for r in rows:  # names and addresses as Text: data, never read as markup
        table.add_row(Text(r["name"]), str(r["applications"]), Text(r["address"] or ""))
    console.print(table)
    console.print("用 hvp applicants classify 申请人 类别 认定，无需重新导入 / "
                  "fix: hvp applicants classify NAME CATEGORY")


@applicants_app.command("classify")
def applicants_classify(
    name: Annotated[str, typer.Argument(help="申请人名称 / applicant name")],
    category: Annotated[str, typer.Argument(help=CATEGORY_HELP)],
    by: Annotated[str | None, typer.Option("--by", help="认定人（默认当前用户） / who settles")] = None,
    db: DbOption = None,
) -> None:
    """人工认定申请人类别，优先于信用代码与名称规则 / settle an applicant's category over every other evidence."""
    from hvpatent.cli.refresh import refresh_derived_tables
    from hvpatent.reference.applicant_categories import label, settle

    try:
        with open_warehouse(db) as wh:
            done = settle(wh.con, name, category, by)
            refresh_derived_tables(wh)  # the stored first-applicant categories follow the settlement
    except ValueError as err:  # the message holds the name as typed: printed as text, not markup
        err_console.print(str(err), style="red", markup=False, highlight=False)
        raise typer.Exit(2) from err
    before = f"（原认定为 {label(done.previous)}）" if done.previous else ""
    console.print(f"已将「{done.name}」（{done.applications} 件）认定为 {label(done.category)}{before}；"
                  "各项数字即时按新类别计算，无需重新导入 / settled; figures follow without re-import",
                  markup=False, highlight=False)


@applicants_app.command("unclassify")
def applicants_unclassify(name: Annotated[str, typer.Argument(help="申请人名称 / applicant name")],
                          db: DbOption = None) -> None:
    """取消人工认定的类别 / remove a settled category."""
    from hvpatent.cli.refresh import refresh_derived_tables
    from hvpatent.reference.applicant_categories import unsettle

    with open_warehouse(db) as wh:
        removed = unsettle(wh.con, name)
        refresh_derived_tables(wh)
    console.print("已取消 / removed" if removed else "没有该申请人的人工认定 / nothing to remove")


@applicants_app.command("categories")
def applicants_categories(region: RegionArg = None, db: DbOption = None) -> None:
    """第一申请人按类别与依据计数 / first applicants and applications per category and evidence."""
    from hvpatent.reference.applicant_categories import SOURCE_LABELS, category_counts, label, rules

    with open_warehouse(db, read_only=True) as wh:
        groups = category_counts(wh.ibis(), region)
    service = rules().service
    table = Table("类别/category", "职务/service", "依据/evidence", "申请人/applicants", "申请件/applications")
    for g in groups:
        kind = "" if g["category"] not in service else (
            "职务 / service" if service[g["category"]] else "非职务 / non-service")
        source = SOURCE_LABELS.get(g["category_source"], (g["category_source"], ""))
        table.add_row(label(g["category"]), kind, f"{source[0]} / {source[1]}", str(g["applicants"]),
                      str(g["applications"]))
    console.print(table)
