"""`hvp regions …`: what attribution left unresolved, the share resolved, and assigning an applicant's town."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from hvpatent.cli.common import DbOption, console, err_console, open_warehouse, regions_app
from hvpatent.i18n import lang, t

RegionArg = Annotated[str | None, typer.Option("--region", help="区县代码（默认行动方案的地区） / county code")]
LAYER_LABELS = {"assigned": ("手工指定", "assigned"), "directory": ("企业名录", "enterprise directory"),
                "gazetteer": ("地名库（道路/园区/村社区）", "gazetteer"), "town_name": ("地址中的镇街名", "town name"),
                "name": ("申请人名称中的地名", "applicant's name"),
                "unrecorded": ("导入时未记录来源", "layer not recorded at import"), "none": ("未归属镇街", "no town")}


def _region(region: str | None) -> str:
    if region:
        return region
    from hvpatent.plan import load_plan

    return load_plan().region


@regions_app.command("unresolved")
def regions_unresolved(
    limit: Annotated[int, typer.Option(help="最多显示行数")] = 50,
    region: RegionArg = None,
    db: DbOption = None,
) -> None:
    """未能归属到镇街的第一申请人，按申请件数排序 / first applicants without a town, most applications first."""
    from hvpatent.reference.attribution import regions_report

    county = _region(region)
    with open_warehouse(db, read_only=True) as wh:
        rows, summary = regions_report(wh.ibis(), county, limit)
    _print_share(summary)
    if not rows:
        console.print(t("unresolved_none"))
        return
    table = Table("申请人/applicant", "地址/address", "件数/applications", "已解析到/resolved to")
    for r in rows:
        table.add_row(r["name"], r["address"] or "", str(r["applications"]), r["resolved_to"] or "")
    console.print(table)
    console.print("用 hvp regions assign 申请人 镇街 指定镇街，无需重新导入 / fix: hvp regions assign NAME TOWN")


@regions_app.command("resolved")
def regions_resolved(region: RegionArg = None, db: DbOption = None) -> None:
    """第一申请人与申请件归属到镇街的比例，按来源 / share resolved to a town, by layer."""
    from hvpatent.reference.attribution import resolution_summary

    with open_warehouse(db, read_only=True) as wh:
        summary = resolution_summary(wh.ibis(), _region(region))
    _print_share(summary)
    table = Table("来源/layer", "申请人/applicants", "申请件/applications")
    for layer, label in LAYER_LABELS.items():
        found = summary["layers"].get(layer)
        if found:
            table.add_row(label[0] if lang() == "zh" else label[1], str(found["applicants"]),
                          str(found["applications"]))
    console.print(table)


def _print_share(summary: dict) -> None:
    if not summary["applications"]:
        return
    console.print(f"已归属镇街：第一申请人 {summary['applicant_share']:.1%}（共 {summary['applicants']}），"
                  f"申请件 {summary['application_share']:.1%}（共 {summary['applications']}） / "
                  "resolved to a town: applicants, applications")


@regions_app.command("assign")
def regions_assign(
    name: Annotated[str, typer.Argument(help="申请人名称 / applicant name")],
    town: Annotated[str, typer.Argument(help="镇街名称或代码 / town name or code")],
    region: RegionArg = None,
    by: Annotated[str | None, typer.Option("--by", help="操作人（默认当前用户） / who assigns")] = None,
    db: DbOption = None,
) -> None:
    """指定申请人所在镇街，其全部专利（含历史数字）随之改变 / set an applicant's town for all its patents."""
    from hvpatent.cli.refresh import refresh_derived_tables
    from hvpatent.reference.applicant_towns import assign
    from hvpatent.reference.editions import resolve_town

    try:
        target = resolve_town(town, _region(region))
        with open_warehouse(db) as wh:
            done = assign(wh.con, name, target, by)
            refresh_derived_tables(wh)  # the stored first-applicant regions follow the assignment
    except ValueError as err:
        err_console.print(f"[red]{err}[/red]")
        raise typer.Exit(2) from err
    from hvpatent.reference.regions import region_name

    before = f"（原为 {region_name(done.previous)}）" if done.previous else ""
    console.print(f"已将「{done.name}」（{done.applications} 件）归属到 {target.name} {target.code}{before}；"
                  f"各项数字即时按新归属计算，无需重新导入 / assigned; figures follow without re-import")


@regions_app.command("unassign")
def regions_unassign(name: Annotated[str, typer.Argument(help="申请人名称")], db: DbOption = None) -> None:
    """取消手工指定的镇街 / remove a manual town assignment."""
    from hvpatent.cli.refresh import refresh_derived_tables
    from hvpatent.reference.applicant_towns import unassign

    with open_warehouse(db) as wh:
        removed = unassign(wh.con, name)
        refresh_derived_tables(wh)
    console.print("已取消 / removed" if removed else "没有该申请人的手工指定 / nothing to remove")


@regions_app.command("edition")
def regions_edition() -> None:
    """行政区划数据的版本与来源 / edition and source of the divisions."""
    from hvpatent.reference.regions import edition

    for key, value in edition().items():
        console.print(f"{key}: {value}")
