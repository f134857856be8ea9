"""`hvp enterprise`: one enterprise's cultivation plan (its portfolio's value, high-value patents, candidates
and warnings, and what it could do before the plan's deadline) and the letter (docx) that tells it so."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from hvpatent import i18n
from hvpatent.cli.common import (
    AsOfOption,
    DbOption,
    Fmt,
    FormatOption,
    analytics_backend,
    app,
    console,
    emit,
    err_console,
    open_warehouse,
    parse_as_of,
)

enterprise_app = typer.Typer(help="企业培育计划与提示函 / one enterprise's cultivation plan and letter",
                             no_args_is_help=True)
app.add_typer(enterprise_app, name="enterprise")

NameArg = Annotated[str, typer.Argument(help="企业名称（任一申请人位置）/ the enterprise (any applicant position)")]
DeadlineOption = Annotated[str | None, typer.Option(
    "--deadline", help="截止日 YYYY-MM-DD（默认行动方案的截止日）/ deadline (default: the plan's)")]


def _deadline(text: str | None, day: date, plan_deadline: date) -> date:
    deadline = plan_deadline if text is None else parse_as_of(text)
    if deadline <= day:
        raise typer.BadParameter(f"{deadline} ≤ --as-of {day}：截止日须晚于统计日 / the deadline must be after as_of",
                                 param_hint="--deadline")
    return deadline


def _plan_of(name: str, as_of: str | None, deadline: str | None, db: Path | None) -> dict:
    """The enterprise's plan (reports.cultivation.enterprise_plan); exit 1 when it holds no patent."""
    from hvpatent.ingest.fields import normalize_name
    from hvpatent.plan import load_plan
    from hvpatent.reports.cultivation import enterprise_plan

    plan = load_plan()
    day = parse_as_of(as_of)
    end = _deadline(deadline, day, plan.deadline)
    with open_warehouse(db, read_only=True) as wh:
        try:
            found = enterprise_plan(analytics_backend(wh), normalize_name(name), day, end, plan)
        except ValueError as err:
            raise typer.BadParameter(str(err)) from err
    if not (found["scores"] or found["high_value"] or found["candidates"] or found["warnings"]):
        err_console.print(f"{name}：仓库中没有该企业的专利 / no patents of this enterprise", markup=False)
        raise typer.Exit(1)
    return found


@enterprise_app.command("show")
def show_cmd(name: NameArg, as_of: AsOfOption = None, deadline: DeadlineOption = None,
             fmt: FormatOption = Fmt.table, out: Annotated[Path | None, typer.Option("--out")] = None,
             db: DbOption = None) -> None:
    """企业的专利价值、高价值专利、培育候选、预警与截止日前可办理的事项 / an enterprise's plan."""
    from hvpatent.cultivation import KIND_LABELS
    from hvpatent.reports.cultivation import aim_sentence

    found = _plan_of(name, as_of, deadline, db)
    lang = i18n.lang()
    i = 0 if lang == "zh" else 1
    value = found["value"]
    summary = [{"item": k, "value": v} for k, v in (
        ("scored", value["scored"]), ("mean_score", value["mean_score"]),
        *((f"grade_{g}", n) for g, n in value["by_grade"].items()), ("high_value", len(found["high_value"])),
        ("candidates", len(found["candidates"])), ("warnings", len(found["warnings"])))]
    actions = [{"action_date": r["action_date"], "app_no": r["app_no"], "kind": KIND_LABELS[r["kind"]][i]
                if r["kind"] in KIND_LABELS else r["kind"], "action": r.get("action" if i == 0 else "action_en"),
                "effect_date": r["effect_date"], "effect": r["effect"]} for r in found["candidates"]]
    high = [{"app_no": r["app_no"], "title": r.get("title"), "criteria": r.get("criteria")}
            for r in found["high_value"]]
    warns = [{"app_no": r["app_no"], "kind": r["kind"], "deadline": r["deadline"], "amount": r["amount"]}
             for r in found["warnings"]]
    if fmt is Fmt.json:
        emit({"plan": [{k: v for k, v in found.items() if k != "scores"}]}, fmt, out)
        return
    if fmt is Fmt.table:
        aim = aim_sentence(found["gap"], lang)
        console.print(f"{found['name']} · {found['as_of']} → {found['deadline']}", markup=False)
        if aim:
            console.print(aim, markup=False)
    emit({"value": summary, "high_value": high, "actions": actions, "warnings": warns}, fmt, out)


@enterprise_app.command("letter")
def letter_cmd(name: NameArg, out: Annotated[Path, typer.Option("--out", help="输出 docx 文件 / output file")],
               as_of: AsOfOption = None, deadline: DeadlineOption = None,
               issuer: Annotated[str | None, typer.Option(help="发函单位（默认：方案所在地区知识产权局）")] = None,
               contact: Annotated[str, typer.Option(help="联系人与电话 / contact line")] = "",
               db: DbOption = None) -> None:
    """给企业的高价值发明专利培育提示函（Word）/ the cultivation letter to one enterprise."""
    from hvpatent.plan import load_plan
    from hvpatent.reports import default_issuer
    from hvpatent.reports.cultivation import write_cultivation_letter

    found = _plan_of(name, as_of, deadline, db)
    path = write_cultivation_letter(found["name"], found["candidates"], found["gap"], found["as_of"],
                                    issuer or default_issuer(load_plan().region), out, i18n.lang(),
                                    high_value=found["high_value"], contact=contact)
    console.print(f"已写入 / written: {path}（{len(found['candidates'])}）", markup=False)
