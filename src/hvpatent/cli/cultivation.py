"""`hvp plan gap`: the gap to a plan target on the deadline, the candidates that close it and the what-if."""

from __future__ import annotations

import csv
import json
import math
import re
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hvpatent import i18n
from hvpatent.cli.common import (
    AsOfOption,
    DbOption,
    OutOption,
    RegionOption,
    analytics_backend,
    console,
    err_console,
    open_warehouse,
    parse_as_of,
    write_json,
)
from hvpatent.cli.plan import PlanOption, _load, plan_app

FORMATS = ("table", "json", "xlsx", "csv")
TOP = 10

LABELS: dict[str, tuple[str, str]] = {
    "target_key": ("目标", "target"), "indicator": ("指标", "indicator"), "region": ("地区", "region"),
    "as_of": ("统计日", "as of"), "deadline": ("截止日", "deadline"), "target_value": ("目标值", "target value"),
    "target_basis": ("目标依据", "target basis"), "current_value": ("现值", "current value"),
    "current_count": ("现有件数", "current count"), "population_now": ("现人口", "population now"),
    "population_deadline": ("截止日人口", "population on the deadline"),
    "population_method": ("人口口径", "population method"), "required_count": ("所需件数", "required count"),
    "expiring_count": ("截止前期满", "terms ending by the deadline"), "held_count": ("截止日仍在保护期内",
                                                                           "still in term on the deadline"),
    "gap": ("差距（件）", "gap (patents)"), "note": ("说明", "note"),
    "app_no": ("申请号", "application number"), "title": ("名称", "title"), "kind": ("类别代码", "kind key"),
    "kind_label": ("类别", "kind"), "action": ("行动", "action"), "action_date": ("最后行动日", "last day to act"),
    "effect_date": ("生效日", "counts from"), "effect": ("作用", "effect"), "criterion": ("情形", "criterion"),
    "probability": ("历史成功率", "historical rate"), "high_value_now": ("现为高价值", "high-value now"),
    "applicant_name": ("第一申请人", "first applicant"), "applicant_norm": ("申请人(规范名)", "applicant (normalised)"),
    "town_code": ("镇街代码", "town code"), "evidence": ("依据", "evidence"),
    "scenario": ("情景", "scenario"), "count": ("计入件数", "counted"), "per_10k": ("每万人", "per 10,000"),
    "all": ("全部成功", "if all succeed"), "expected": ("按历史成功率", "expected"),
    "n": ("样本数", "cases"), "listed": ("列出", "listed"), "rate": ("比率", "rate"), "method": ("方法", "method"),
    "keep_alive": ("保住", "keep alive"), "milestone_10y": ("满10年", "10 years"),
    "pending_sei": ("待授权", "pending SEI"), "family_abroad": ("海外同族", "family abroad"),
    "pledge_near": ("质押", "pledge"), "award_cycle": ("专利奖", "award"),
}
SCENARIOS = {"none": ("都不成功", "none succeeds"), "all": ("全部成功", "all succeed"),
             "historical": ("按历史成功率", "at historical rates")}
CANDIDATE_COLUMNS = ("app_no", "title", "kind_label", "action", "action_date", "effect_date", "effect", "criterion",
                     "probability", "high_value_now", "applicant_name", "town_code", "evidence")


def _label(key: str) -> str:
    pair = LABELS.get(key)
    return key if pair is None else pair[0 if i18n.lang() == "zh" else 1]


def _localised(rows: list[dict], columns: tuple[str, ...] | None = None) -> list[dict]:
    return [{_label(k): r.get(k) for k in (columns or tuple(r))} for r in rows]


def _parse_day(text: str, hint: str) -> date:
    from hvpatent.ingest.fields import parse_date

    try:
        day = parse_date(text)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint=hint) from err
    if day is None:
        raise typer.BadParameter(text, param_hint=hint)
    return day


def gap_report(con, plan, target: str, day: date, deadline: date | None, value: float | None,
               region: str | None) -> dict:
    """Everything the command shows, as plain data: gap, what-if, candidates, rates, per town and enterprise."""
    from hvpatent.cultivation import (
        candidates,
        contributions,
        historical_rates,
        kind_summary,
        plain_rates,
        plan_gap,
        what_if,
    )

    rates = historical_rates(con, day, region or plan.region)
    gap = plan_gap(con, plan, target, day, deadline, value, region, rates=rates)
    rows = candidates(con, day, gap.deadline, gap.region, rates=rates)
    if i18n.lang() != "zh":
        for r in rows:
            r["kind_label"] = _kind_label(r["kind"])
    # per kind, town and enterprise: only what moves the target's count, as the what-if counts it
    return {"gap": gap.as_dict(), "what_if": what_if(gap, rows), "rates": plain_rates(rates), "candidates": rows,
            "by_kind": [{**k, "kind_label": _kind_label(k["kind"])} for k in kind_summary(rows, gap)],
            "by_town": contributions(rows, "town_code", gap),
            "by_enterprise": contributions(rows, "applicant_norm", gap)}


def _kind_label(kind: str) -> str:
    from hvpatent.cultivation import KIND_LABELS

    return KIND_LABELS[kind][0 if i18n.lang() == "zh" else 1]


def _print(report: dict) -> None:
    gap = report["gap"]
    zh = i18n.lang() == "zh"
    title = (f"{gap['target_key']}：截至 {gap['as_of']}，至 {gap['deadline']} 的差距" if zh
             else f"{gap['target_key']}: the gap on {gap['deadline']}, as of {gap['as_of']}")
    table = Table(title=title, show_header=False)
    for key in ("region", "target_basis", "current_value", "current_count", "population_deadline",
                "population_method", "required_count", "expiring_count", "held_count", "gap", "note"):
        if gap.get(key) not in (None, ""):
            shown = gap[key]
            text = f"{shown:,.4f}".rstrip("0").rstrip(".") if isinstance(shown, float) else str(shown)
            table.add_row(_label(key), text)
    console.print(table)
    scenarios = Table(title="如果 / what if")
    for key in ("scenario", "count", "per_10k", "gap"):
        scenarios.add_column(_label(key))
    for name, pair in SCENARIOS.items():
        s = report["what_if"][name]
        scenarios.add_row(pair[0 if zh else 1], str(s["count"]), str(s["per_10k"]), str(s["gap"]))
    console.print(scenarios)
    kinds = Table(title="候选 / candidates")
    for key in ("kind_label", "listed", "count", "expected"):
        kinds.add_column(_label(key))
    for s in report["by_kind"]:
        kinds.add_row(s["kind_label"], str(s["listed"]), str(s["count"]), str(s["expected"]))
    console.print(kinds)
    for name, by in (("by_town", "town_code"), ("by_enterprise", "applicant_name")):
        top = Table(title=("前10个镇街" if by == "town_code" else "前10家申请人") if zh
                    else ("top towns" if by == "town_code" else "top applicants"))
        for key in (by, "all", "expected"):
            top.add_column(_label(key))
        for entry in report[name][:TOP]:
            top.add_row(str(entry.get(by) or "—"), str(entry["all"]), str(entry["expected"]))
        console.print(top)


def _sheets(report: dict) -> dict[str, list[dict]]:
    zh = i18n.lang() == "zh"
    gap_rows = [{_label("target_key"): _label(k), _label("evidence"): v} for k, v in report["gap"].items()]
    gap_rows += [{_label("target_key"): SCENARIOS[n][0 if zh else 1], _label("evidence"): json.dumps(s)}
                 for n, s in report["what_if"].items()]
    return {
        "差距" if zh else "gap": gap_rows,
        "候选" if zh else "candidates": _localised(report["candidates"], CANDIDATE_COLUMNS),
        "按镇街" if zh else "by town": _localised(report["by_town"]),
        "按企业" if zh else "by enterprise": _localised(report["by_enterprise"]),
    }


def _write_csv(rows: list[dict], out: Path | None) -> None:
    from hvpatent.reports.safe_cells import safe_row

    local = _localised(rows, CANDIDATE_COLUMNS)
    handle = out.open("w", encoding="utf-8-sig", newline="") if out else sys.stdout
    try:
        writer = csv.writer(handle)
        writer.writerow(safe_row([_label(c) for c in CANDIDATE_COLUMNS]))
        for r in local:
            writer.writerow(safe_row(list(r.values())))
    finally:
        if out:
            handle.close()


@plan_app.command("gap")
def gap_cmd(
    target: Annotated[str, typer.Option("--target", help="方案目标代码，如 high_value_per_10k / the plan target")],
    deadline: Annotated[str | None, typer.Option("--deadline", help="截止日 YYYY-MM-DD（默认方案截止日）")] = None,
    as_of: AsOfOption = None,
    value: Annotated[float | None, typer.Option("--value", help="目标值（代替方案值）/ target value")] = None,
    region: RegionOption = None,
    fmt: Annotated[str, typer.Option("--format", help="table | json | xlsx | csv")] = "table",
    out: OutOption = None,
    plan_file: PlanOption = None,
    db: DbOption = None,
) -> None:
    """截止日的差距、可补差距的候选专利与情景 / the gap on the deadline, the candidates and the what-if."""
    from hvpatent.cultivation import GapError, find_target

    if fmt not in FORMATS:
        raise typer.BadParameter(" | ".join(FORMATS), param_hint="--format")
    if value is not None and (not math.isfinite(value) or value < 0):  # click's float takes nan and inf
        raise typer.BadParameter(i18n.say(f"目标值应为不小于 0 的有限数：{value}", f"a finite number ≥ 0, not {value}"),
                                 param_hint="--value")
    plan = _load(plan_file)
    try:
        find_target(plan, target)
    except GapError as err:
        err_console.print(f"[red]{err}[/red]", markup=True, highlight=False)
        raise typer.Exit(2) from None
    if region is not None and not re.fullmatch(r"[0-9]{6}|[0-9]{12}", region) and region != "all":  # no ５００…
        raise typer.BadParameter(i18n.say(f"区划代码无效：{region!r}（6 或 12 位）",
                                      f"bad region code {region!r} (6 or 12 digits)"), param_hint="--region")
    day = parse_as_of(as_of)
    end = _parse_day(deadline, "--deadline") if deadline else None
    if (end or plan.deadline) <= day:
        raise typer.BadParameter(i18n.say(f"截止日 {end or plan.deadline} 须晚于统计日 {day}",
                                      f"the deadline {end or plan.deadline} must be after the as-of date {day}"),
                                 param_hint="--deadline")
    with open_warehouse(db, read_only=True) as wh:
        report = gap_report(analytics_backend(wh), plan, target, day, end, value, region)
    if fmt == "table":
        _print(report)
    elif fmt == "json":
        write_json(report, out)
    elif fmt == "csv":
        _write_csv(report["candidates"], out)
    else:
        from hvpatent.reports.tables import to_frame, write_xlsx

        path = out or Path(f"差距-{target}-{day.isoformat()}.xlsx")
        write_xlsx({name: to_frame(rows) for name, rows in _sheets(report).items()}, path)
        console.print(i18n.t("xlsx_written", path=path))
