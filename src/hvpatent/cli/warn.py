"""`hvp warnings`: patents about to be lost or about to become high-value, and reminder letters."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hvpatent.cli.common import (
    AsOfOption,
    DbOption,
    Fmt,
    FormatOption,
    OutOption,
    RegionOption,
    analytics_backend,
    app,
    console,
    emit,
    err_console,
    open_warehouse,
    parse_as_of,
)
from hvpatent.i18n import lang

warnings_app = typer.Typer(help="预警：年费、滞纳期、可恢复、满10年、期满 / early warning", invoke_without_command=True)
app.add_typer(warnings_app, name="warnings")

WithinOption = Annotated[str, typer.Option("--within", help="预警窗口，如 90d / window, e.g. 90d")]


def _days(text: str) -> int:
    value = text.strip().lower().removesuffix("d")
    if not value.isdigit():
        raise typer.BadParameter("例如 90d / e.g. 90d", param_hint="--within")
    return int(value)


@warnings_app.callback()
def warnings_cmd(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    within: WithinOption = "90d",
    region: RegionOption = None,
    enterprise: Annotated[str | None, typer.Option(help="企业名称 / enterprise name")] = None,
    by: Annotated[str | None, typer.Option("--by", help="town | enterprise：按镇街或企业计数")] = None,
    high_value_at_risk: Annotated[bool, typer.Option(
        "--high-value-at-risk", help="只列有失效风险的高价值专利 / only high-value patents at risk")] = False,
    fmt: FormatOption = Fmt.table,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """预警清单（高价值与即将满10年的优先）/ the warning list, high-value and near-milestone first."""
    if ctx.invoked_subcommand is not None:
        return
    from hvpatent.ingest.fields import normalize_name
    from hvpatent.warnings import KIND_LABELS, counts, warnings_list

    with open_warehouse(db, read_only=True) as wh:
        rows = warnings_list(analytics_backend(wh), parse_as_of(as_of), _days(within), region,
                             normalize_name(enterprise) if enterprise else None, high_value_at_risk)
    if by:
        if by not in ("town", "enterprise"):
            raise typer.BadParameter("town | enterprise", param_hint="--by")
        emit({"warnings": counts(rows, "town_code" if by == "town" else "applicant_name")}, fmt, out)
        return
    i = 0 if lang() == "zh" else 1
    shown = [{"app_no": r["app_no"], "kind": KIND_LABELS[r["kind"]][i], "deadline": r["deadline"],
              "amount": r["amount"], "high_value": r["high_value"], "only_by_milestone": r["only_by_milestone"],
              "applicant_name": r["applicant_name"], "town_code": r["town_code"], "state": r["state"]}
             for r in rows]
    emit({"warnings": shown if fmt is not Fmt.json else rows}, fmt, out,
         title=f"预警 / warnings: {len(rows)}")


@warnings_app.command("letters")
def letters_cmd(
    enterprise: Annotated[str, typer.Option(help="企业名称 / enterprise name")],
    as_of: AsOfOption = None,
    within: WithinOption = "90d",
    fmt: Annotated[str, typer.Option("--format", help="docx")] = "docx",
    issuer: Annotated[str | None, typer.Option(help="发函单位（默认：方案所在地区知识产权局）")] = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """给企业的专利维护提醒函（Word）/ a reminder letter to one enterprise."""
    from hvpatent.ingest.fields import normalize_name
    from hvpatent.reports.letters import write_letter
    from hvpatent.warnings import KIND_LABELS, warnings_list

    if fmt != "docx":
        raise typer.BadParameter("docx", param_hint="--format")
    day = parse_as_of(as_of)
    with open_warehouse(db, read_only=True) as wh:
        rows = warnings_list(analytics_backend(wh), day, _days(within), None, normalize_name(enterprise))
    if not rows:
        err_console.print(f"{enterprise}：{day} 起 {within} 内没有需要提醒的专利 / nothing to remind")
        raise typer.Exit(1)
    path = out or Path(f"提醒函-{enterprise}-{day.isoformat()}.docx")
    if issuer is None:
        from hvpatent.plan import load_plan
        from hvpatent.reports import default_issuer

        issuer = default_issuer(load_plan().region)
    write_letter(enterprise, rows, day, issuer, path, {k: v[0] for k, v in KIND_LABELS.items()})
    console.print(f"已写入 / written: {path}（{len(rows)}）")
