"""`hvp recognitions`: dated enterprise recognitions in force on a day, or the enterprises new since a date
(the plan's two enterprise targets and the list behind each figure; docs/recognitions.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from hvpatent import i18n
from hvpatent.cli.common import (
    AsOfOption,
    DbOption,
    Fmt,
    FormatOption,
    OutOption,
    analytics_backend,
    app,
    emit,
    open_warehouse,
    parse_as_of,
)

recognitions_app = typer.Typer(help="企业认定与贯标认证（带日期） / dated enterprise recognitions",
                               no_args_is_help=True)
app.add_typer(recognitions_app, name="recognitions")

# Column words of the table format (json and xlsx keep the English keys).
HEADERS: dict[str, tuple[str, str]] = {
    "name": ("企业名称", "enterprise"), "credit_code": ("统一社会信用代码", "credit code"),
    "region_code": ("所在地区", "region"), "kind_label": ("认定类型", "kind"), "level_label": ("级别", "level"),
    "recognised_date": ("认定日期", "recognised"), "expiry_date": ("有效期至", "expires"),
    "revoked_date": ("撤销日期", "revoked"), "certifier": ("认证机构", "certifier"),
    "certificate_no": ("证书编号", "certificate"), "first_date": ("首次新认定", "first new"),
    "recognitions": ("认定次数", "recognitions"), "listed": ("期间内认定", "recognitions in the window"),
}


def _kinds(values: list[str] | None) -> list[str]:
    from hvpatent.recognitions import kind_of

    try:
        return [kind_of(v) for v in values or []]
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--kind") from err


def _levels(values: list[str] | None) -> list[str]:
    from hvpatent.recognitions import level_of

    try:
        return [level_of(v) for v in values or []]
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--level") from err


def _target(key: str):
    from hvpatent.plan import load_plan

    plan = load_plan()
    targets = {t.key: t for t in plan.targets if t.source == "recognitions"}
    if key not in targets:
        raise typer.BadParameter(f"{key} ∉ {', '.join(targets)}", param_hint="--target")
    return plan, targets[key]


@recognitions_app.command("list")
def list_cmd(
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", help="ip_advantage | ip_demonstration | ip_standard | high_tech（或中文）；可多次")] = None,
    level: Annotated[list[str] | None, typer.Option(
        "--level", help="national | provincial | municipal | district（或 国家级/市级/区级），可多次")] = None,
    as_of: AsOfOption = None,
    new_since: Annotated[str | None, typer.Option(
        "--new-since", help="只列此日之后新认定的企业（一家一行）；baseline = 方案基期 / new after this day")] = None,
    target: Annotated[str | None, typer.Option(
        "--target", help="方案目标，如 new_ip_advantage_enterprises：列出该目标数值背后的企业 / a plan target")] = None,
    region: Annotated[str | None, typer.Option(
        "--region", help="区划代码（默认方案地区；all = 不限） / region code (default: the plan's)")] = None,
    fmt: FormatOption = Fmt.table,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """在有效期内的认定，或某日之后新认定的企业 / recognitions in force, or enterprises new since a day."""
    from hvpatent.plan import load_plan
    from hvpatent.recognitions import recognition_list

    day = parse_as_of(as_of)
    kinds, levels = _kinds(kind), _levels(level)
    plan = load_plan()
    since: date | None = None
    if target:
        plan, goal = _target(target)
        kinds, levels, since = list(goal.kinds), list(goal.levels), goal.since or plan.baseline_date
    elif new_since:
        since = plan.baseline_date if new_since == "baseline" else parse_as_of(new_since)
    where = None if region == "all" else region or plan.region
    with open_warehouse(db, read_only=True) as wh:
        rows = recognition_list(analytics_backend(wh), day, kinds or None, levels or None, where, since,
                                i18n.lang())
    title = (f"{since} 之后新认定 / new after {since}，截至 {day} / as of {day}" if since
             else f"截至 {day} 有效 / in force on {day}")
    if fmt is Fmt.table:
        i = 0 if i18n.lang() == "zh" else 1
        rows = [{HEADERS[k][i]: v for k, v in r.items() if k in HEADERS} for r in rows]
    emit({"recognitions": rows}, fmt, out, title=f"{title}：{len(rows)}")
