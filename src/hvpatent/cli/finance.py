"""`hvp finance`: 贴息与风险补偿 / interest subsidies and risk compensation (docs/finance-subsidies.md): the policy,
one claim computed with its rule trace, the ledger's steps (apply, approve, reject, pay a batch as xlsx for the
finance office) and the ledger itself."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hvpatent import i18n
from hvpatent.cli.common import (
    AsOfOption,
    DbOption,
    Fmt,
    OutOption,
    app,
    console,
    err_console,
    open_warehouse,
    parse_as_of,
    write_json,
    writing,
)

finance_app = typer.Typer(help="贴息与风险补偿 / interest subsidies and risk compensation", no_args_is_help=True)
app.add_typer(finance_app, name="finance")


class Scheme(StrEnum):
    interest_subsidy = "interest_subsidy"
    risk_compensation = "risk_compensation"


SchemeOption = Annotated[Scheme, typer.Option("--scheme",
                                              help="interest_subsidy（贴息）| risk_compensation（风险补偿）")]
ContractOption = Annotated[str, typer.Option("--contract", help="质押登记号（大小写、空格、全角均可）/ contract "
                                                                "number (any case, spaces, full-width)")]
PeriodOption = Annotated[str, typer.Option("--period", help="期间 YYYY | YYYY-Q1…Q4 | YYYY-H1/H2 / period")]
ByOption = Annotated[str, typer.Option("--by", help="经办人 / who does it (audit log)")]
PolicyOption = Annotated[Path | None, typer.Option("--policy", help="政策文件（默认 policy.yaml）/ policy file")]


def _fail(message: str) -> typer.Exit:
    err_console.print(message, style="red", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _policy(path: Path | None):
    from hvpatent.finance import PolicyError, load_policy

    try:
        return load_policy(path)
    except PolicyError as err:
        raise _fail(i18n.say(f"政策文件有误：{err}", f"bad policy file: {err}")) from None


def _trace_table(claim: dict) -> Table:
    from hvpatent.finance import RULE_WORDS

    i = 0 if i18n.lang() == "zh" else 1
    table = Table(title=i18n.say("核算过程", "Rule trace"))
    for head in (("规则", "Rule"), ("依据", "Facts"), ("结果", "Result"), ("通过", "OK")):
        table.add_column(head[i])
    for step in claim["trace"]:
        facts = "; ".join(f"{k}={v}" for k, v in step["facts"].items())
        result = str(step["result"]) + (f"  ({step['note']})" if step.get("note") else "")
        table.add_row(RULE_WORDS.get(step["rule"], (step["rule"],) * 2)[i], facts, result,
                      "✓" if step["ok"] else "✗")
    return table


@finance_app.command("policy")
def policy_cmd(
    fmt: Annotated[Fmt, typer.Option("--format", help="table | json")] = Fmt.table,
    policy: PolicyOption = None,
) -> None:
    """贴息与风险补偿政策 / the policy in force (versions, caps, cooperating banks, LPR table)."""
    p = _policy(policy)
    if fmt is Fmt.json:
        write_json(p.describe(), None)
        return
    console.print(i18n.say(f"政策文件：{p.source}", f"policy file: {p.source}"), markup=False, highlight=False)
    for v in p.versions:
        sub, risk = v.interest_subsidy, v.risk_compensation
        end = v.effective_to or i18n.say("至今", "open")
        console.print(
            f"[bold]{v.version}[/bold] {i18n.say(v.name_zh, v.name_en)} · {v.effective_from} … {end} · "
            f"{i18n.say('区域', 'region')} {v.region}\n"
            f"  {i18n.say('贴息', 'interest subsidy')}: {sub.share:.0%} · "
            f"{i18n.say('贷款期限至少', 'loan term at least')} {sub.min_loan_months} {i18n.say('个月', 'months')} · "
            f"{i18n.say('每户每年上限', 'cap per enterprise and year')} {sub.cap_per_enterprise_year_yuan:,.2f}\n"
            f"  {i18n.say('风险补偿', 'risk compensation')}: {risk.share:.0%} · "
            f"{i18n.say('每笔上限', 'cap per contract')} {risk.cap_per_contract_yuan:,.2f}\n"
            f"  {i18n.say('合作银行', 'cooperating banks')}: {'、'.join(v.cooperating_banks)}", highlight=False)
    since, percent = p.lpr[-1]
    console.print(i18n.say(f"一年期 LPR：{len(p.lpr)} 条，最新 {since} {percent}%（{p.lpr_source}）",
                           f"1-year LPR: {len(p.lpr)} entries, latest {since} {percent}% ({p.lpr_source})"),
                  markup=False, highlight=False)


@finance_app.command("compute")
def compute_cmd(
    scheme: SchemeOption,
    contract: ContractOption,
    period: PeriodOption,
    claimed: Annotated[float, typer.Option("--claimed", help="申请金额（元）：利息或净损失 / interest or net loss")],
    as_of: AsOfOption = None,
    fmt: Annotated[Fmt, typer.Option("--format", help="table | json")] = Fmt.table,
    policy: PolicyOption = None,
    db: DbOption = None,
) -> None:
    """核算一笔贴息或风险补偿（不记账）/ compute one claim with its rule trace (nothing is recorded)."""
    from hvpatent.finance import LedgerError, compute_claim

    p, day = _policy(policy), parse_as_of(as_of)
    with open_warehouse(db, must_exist=True) as wh:  # not read-only: a warehouse from before the ledger gets its tables
        try:
            claim = compute_claim(wh.ibis(), scheme.value, contract.strip(), period, claimed, policy=p, as_of=day,
                                  ledger=wh.con)
        except LedgerError as err:
            raise _fail(str(err)) from None
    if fmt is Fmt.json:
        write_json(claim, None)
        return
    console.print(_trace_table(claim))
    verdict = i18n.say("符合", "eligible") if claim["eligible"] else i18n.say("不符合", "not eligible")
    console.print(f"{claim['contract_no']} {period}: {verdict} · {i18n.say('核算金额', 'amount')} "
                  f"{claim['amount']:,.2f}", highlight=False, markup=False)


def _ledger_step(db: Path | None, work) -> dict | list[dict]:
    from hvpatent.finance import LedgerError

    with open_warehouse(db, must_exist=True) as wh:
        try:
            return work(wh)
        except LedgerError as err:
            raise _fail(str(err)) from None


def _print_row(row: dict) -> None:
    from hvpatent.finance import LEDGER_STATUS_WORDS

    i = 0 if i18n.lang() == "zh" else 1
    amount = row["approved_yuan"] if row["approved_yuan"] is not None else row["computed_yuan"]
    console.print(f"{row['scheme']} {row['contract_no']} {row['period']}: {LEDGER_STATUS_WORDS[row['status']][i]} · "
                  f"{amount:,.2f}", highlight=False, markup=False)


@finance_app.command("apply")
def apply_cmd(
    scheme: SchemeOption,
    contract: ContractOption,
    period: PeriodOption,
    claimed: Annotated[float, typer.Option("--claimed", help="申请金额（元）/ amount claimed")],
    by: ByOption,
    as_of: AsOfOption = None,
    policy: PolicyOption = None,
    db: DbOption = None,
) -> None:
    """记录一笔申请（不符合条件的记为未通过）/ record a claim (an ineligible one is recorded as rejected)."""
    from hvpatent.finance import apply_claim

    p, day = _policy(policy), parse_as_of(as_of)
    row = _ledger_step(db, lambda wh: apply_claim(wh.con, wh.ibis(), scheme.value, contract.strip(), period, claimed,
                                                  policy=p, as_of=day, by=by))
    console.print(_trace_table(row))
    _print_row(row)


@finance_app.command("approve")
def approve_cmd(
    scheme: SchemeOption,
    contract: ContractOption,
    period: PeriodOption,
    by: ByOption,
    amount: Annotated[float | None, typer.Option("--amount", help="核准金额（默认核算金额）/ approved amount")] = None,
    policy: PolicyOption = None,
    db: DbOption = None,
) -> None:
    """核准一笔已申请的 / approve an applied claim."""
    from hvpatent.finance import decide_claim

    p = _policy(policy)
    _print_row(_ledger_step(db, lambda wh: decide_claim(wh.con, scheme.value, contract.strip(), period, approve=True,
                                                        approved_yuan=amount, by=by, policy=p)))


@finance_app.command("reject")
def reject_cmd(
    scheme: SchemeOption,
    contract: ContractOption,
    period: PeriodOption,
    reason: Annotated[str, typer.Option("--reason", help="理由 / reason")],
    by: ByOption,
    db: DbOption = None,
) -> None:
    """不予核准 / reject an applied claim, with the reason."""
    from hvpatent.finance import decide_claim

    _print_row(_ledger_step(db, lambda wh: decide_claim(wh.con, scheme.value, contract.strip(), period,
                                                        approve=False, reason=reason, by=by)))


@finance_app.command("pay")
def pay_cmd(
    batch: Annotated[str, typer.Option("--batch", help="拨付批次名 / payment batch name")],
    out: Annotated[Path, typer.Option("--out", help="拨付清单 xlsx / the batch's xlsx")],
    by: ByOption,
    db: DbOption = None,
) -> None:
    """把全部已核准的申请记为已拨付，并写出拨付清单 / pay every approved claim in one batch; its xlsx."""
    from hvpatent.cli.common import check_out
    from hvpatent.finance import pay_claims, write_ledger_xlsx

    check_out(out)   # before anything is marked paid
    rows = _ledger_step(db, lambda wh: pay_claims(wh.con, batch, by=by))
    with writing(out):
        write_ledger_xlsx(rows, out, lang=i18n.lang(), batch=batch.strip())
    total = sum(r["approved_yuan"] for r in rows)
    console.print(i18n.say(f"拨付批次 {batch}：{len(rows)} 笔，合计 {total:,.2f} 元 → {out}",
                           f"payment batch {batch}: {len(rows)} claims, {total:,.2f} yuan → {out}"),
                  highlight=False, markup=False)


@finance_app.command("ledger")
def ledger_cmd(
    scheme: Annotated[Scheme | None, typer.Option("--scheme", help="interest_subsidy | risk_compensation")] = None,
    status: Annotated[str | None, typer.Option("--status", help="applied | approved | rejected | paid")] = None,
    period: Annotated[str | None, typer.Option("--period", help="YYYY | YYYY-Qn | YYYY-Hn")] = None,
    batch: Annotated[str | None, typer.Option("--batch", help="拨付批次 / payment batch")] = None,
    fmt: Annotated[Fmt, typer.Option("--format", help="table | json | xlsx")] = Fmt.table,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """贴息与风险补偿台账 / the ledger, filtered."""
    from hvpatent.finance import LedgerError, export_rows, ledger_rows, write_ledger_xlsx

    if out is not None and fmt is Fmt.table:   # --out alone: the file's suffix says the format
        fmt = Fmt.json if out.suffix.lower() == ".json" else Fmt.xlsx
    with open_warehouse(db, must_exist=True) as wh:  # not read-only: a warehouse from before the ledger gets its tables
        try:
            rows = ledger_rows(wh.con, scheme=scheme.value if scheme else None, status=status, period=period,
                               batch=batch)
        except LedgerError as err:
            raise _fail(str(err)) from None
    if fmt is Fmt.json:
        write_json(rows, out)
    elif fmt is Fmt.xlsx:
        path = out or Path("finance-ledger.xlsx")
        with writing(path):
            write_ledger_xlsx(rows, path, lang=i18n.lang(), batch=batch)
        console.print(i18n.t("xlsx_written", path=path))
    else:
        shown = export_rows(rows, i18n.lang())
        table = Table(title=i18n.say("贴息与风险补偿台账", "Finance ledger"))
        for column in (list(shown[0]) if shown else []):
            table.add_column(column)
        for row in shown:
            table.add_row(*["" if v is None else str(v) for v in row.values()])
        console.print(table)
        if not rows:
            console.print(i18n.say("（无记录）", "(no rows)"))
