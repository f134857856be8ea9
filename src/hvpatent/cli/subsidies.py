"""`hvp subsidies`: 资助奖励 / subsidies and rewards by policy rules (docs/subsidies.md, "Command line"): the policy,
what each patent or enterprise is eligible for in a period with its rule trace, the ledger's steps (apply, review,
approve or reject, pay a batch as xlsx for the finance office, claw back), spend against the budget and the what-if
of a policy variant.  Everything goes through the room's door `hvpatent.subsidies`; no SQL here."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
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
    TableFmt,
    app,
    check_out,
    console,
    fail,
    open_warehouse,
    parse_as_of,
    write_json,
    writing,
)

subsidies_app = typer.Typer(help="资助奖励 / subsidies and rewards by policy rules", no_args_is_help=True)
app.add_typer(subsidies_app, name="subsidies")

PolicyOption = Annotated[Path | None, typer.Option(
    "--policy", help="政策文件（默认用户的 subsidies.yaml，否则内置示例）/ policy file (default: yours, else the "
                     "shipped example)")]
PeriodOption = Annotated[str, typer.Option("--period", help="期间 YYYY | YYYY-Q1…Q4 | YYYY-H1/H2 / period")]
KeysOption = Annotated[list[str], typer.Option(
    "--key", help="台账键 项目|对象|期间（可重复）/ ledger key item|subject|period (repeatable)")]
OptKeysOption = Annotated[list[str] | None, typer.Option(
    "--key", help="只处理这些台账键（可重复）/ only these ledger keys item|subject|period (repeatable)")]
PayeeOption = Annotated[str | None, typer.Option("--payee", help="受资助人名称 / payee (enterprise or person)")]
ItemsOption = Annotated[list[str] | None, typer.Option("--item", help="政策项目编号（可重复）/ policy item id "
                                                                      "(repeatable)")]
WhoOption = Annotated[str | None, typer.Option(
    "--by", help="经办人（记入审计日志，默认当前系统用户）/ who does it (audit log; default: the system user)")]
NoteOption = Annotated[str | None, typer.Option("--note", help="意见 / note")]
FmtOption = Annotated[TableFmt | None, typer.Option(
    "--format", help="table | json | csv | xlsx（默认按 --out 的扩展名，否则 table）/ default: from --out's suffix")]


class ShowFmt(StrEnum):
    """The formats of the commands that show one document rather than a table of rows (policy, whatif)."""

    table = "table"
    json = "json"


class SpendBy(StrEnum):
    item = "item"
    town = "town"
    industry = "industry"
    applicant_type = "applicant_type"


# -- shared pieces ---------------------------------------------------------------------------------------------

def _i() -> int:
    return 0 if i18n.lang() == "zh" else 1


@contextmanager
def _refused() -> Iterator[None]:
    """The room's refusals (a bad policy file, a ledger change refused, a bad period) end in their message and
    exit 2, never a traceback."""
    from hvpatent.finance import LedgerError
    from hvpatent.subsidies import PolicyError, SubsidyError

    try:
        yield
    except PolicyError as err:
        raise fail(f"政策文件有误：{err}", f"bad policy file: {err}") from None
    except (SubsidyError, LedgerError) as err:
        raise fail(str(err), str(err)) from None  # the room's message: both languages already


def _policy(path: Path | None):
    from hvpatent.subsidies import load_policy

    if path is not None and not path.is_file():   # named before the loader's own words about it
        raise fail(f"政策文件不存在：{path}", f"policy file not found: {path}")
    with _refused():
        return load_policy(path)


def _period(period: str) -> tuple[date, date]:
    """The period's first and last day (finance.ledger.period_range: the one reading of YYYY, YYYY-Qn, YYYY-Hn)."""
    from hvpatent.finance import period_range

    with _refused():
        return period_range(period)


def _as_of(as_of: str | None, period: str) -> date:
    """--as-of, else the period's last day, or today while the period runs (as rules.eligible does)."""
    last = _period(period)[1]
    return parse_as_of(as_of) if as_of else min(last, date.today())


def _who(by: str | None) -> str:
    import getpass

    return (by or "").strip() or getpass.getuser()  # the audit log names a person, never "cli"


def _keys(texts: list[str] | None) -> list[tuple[str, str, str]] | None:
    from hvpatent.subsidies import parse_key

    if not texts:
        return None
    with _refused():
        return [parse_key(text.strip()) for text in texts]


def _check_items(policy, items: list[str] | None) -> tuple[str, ...] | None:
    if not items:
        return None
    known = policy.item_ids()
    for item in items:
        if item not in known:
            raise fail(f"未知的政策项目 {item!r}，可用：{'、'.join(known)}",
                                 f"unknown policy item {item!r}; one of: {', '.join(known)}")
    return tuple(items)


def _payee(name: str | None) -> str | None:
    from hvpatent.ingest.fields import normalize_name

    return normalize_name(name) if name and name.strip() else None


def _format(fmt: TableFmt | None, out: Path | None) -> TableFmt:
    if fmt is not None:
        return fmt
    suffix = out.suffix.lower().lstrip(".") if out else ""
    return TableFmt(suffix) if suffix in ("json", "csv", "xlsx") else TableFmt.table


def _cell(value: object) -> object:
    if isinstance(value, bool):
        return ("是" if value else "否") if i18n.lang() == "zh" else ("yes" if value else "no")
    if isinstance(value, list | tuple):
        return "; ".join(map(str, value))
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return value


def _labelled(rows: list[dict], columns: dict[str, tuple[str, str]], plain: bool = False) -> list[dict]:
    """The rows' columns in order under the current language's headers (plain: numbers stay numbers)."""
    i = _i()
    return [{labels[i]: (r.get(key) if plain and not isinstance(r.get(key), bool | list) else _cell(r.get(key)))
             for key, labels in columns.items()} for r in rows]


def _written(path: Path, count: int) -> None:
    console.print(i18n.say(f"已写入 {path}（{count} 行）", f"written: {path} ({count} rows)"),
                  markup=False, highlight=False)


def _emit(rows: list[dict], columns: dict[str, tuple[str, str]], fmt: TableFmt, out: Path | None, title: str,
          default_name: str, *, raw: object = None, extra: dict[str, list[dict]] | None = None) -> None:
    """Rows to the screen, or json (``raw``, default the rows) / csv / xlsx (``extra``: more sheets) to --out."""
    if fmt is TableFmt.json:
        write_json(rows if raw is None else raw, out)
    elif fmt is TableFmt.xlsx:
        import pandas as pd

        from hvpatent.reports.tables import write_xlsx

        path = out or Path(default_name)
        sheets = {title: pd.DataFrame(_labelled(rows, columns, plain=True),
                                      columns=[c[_i()] for c in columns.values()])}
        sheets.update({name: pd.DataFrame(sheet) for name, sheet in (extra or {}).items()})
        with writing(path):
            write_xlsx(sheets, path)
        _written(path, len(rows))
    elif fmt is TableFmt.csv:
        from hvpatent.reports.safe_cells import csv_text

        text = csv_text(_labelled(rows, columns, plain=True))
        if out is None:
            sys.stdout.write(text)
            return
        with writing(out):
            out.write_text("\ufeff" + text, encoding="utf-8", newline="")  # the BOM: Excel reads Chinese
        _written(out, len(rows))
    else:
        _print_table(_labelled(rows, columns), [c[_i()] for c in columns.values()], f"{title}: {len(rows)}")


def _print_table(rows: list[dict], heads: list[str], title: str) -> None:
    """Cells are folded, never cut short with "…" (a cut cap's note); a ledger key, which the next command is given,
    stays on one line."""
    table = Table(title=title)
    key_heads = {c[_i()] for c in (ELIGIBLE_COLUMNS["key"],)}
    for head in heads:
        if head in key_heads:
            table.add_column(head, no_wrap=True, min_width=max((len(str(r[head])) for r in rows), default=0))
        else:
            table.add_column(head, overflow="fold")
    for r in rows:
        table.add_row(*["" if v is None else str(v) for v in r.values()])
    console.print(table)


def _item_names(policy) -> dict[str, str]:
    """Item id → its name in the user's language (the latest version's words)."""
    return {item.id: i18n.say(item.name_zh, item.name_en) for v in policy.versions for item in v.items}


def _status_word(status: str | None) -> str:
    from hvpatent.subsidies import LEDGER_STATUS_WORDS

    if status is None:
        return ""
    return LEDGER_STATUS_WORDS.get(status, (status, status))[_i()]


# -- policy ----------------------------------------------------------------------------------------------------

def _amount_text(item) -> str:
    if item.amount_yuan is not None:
        return f"{item.amount_yuan:,.2f}"
    if item.rate is not None:
        return f"{item.rate:.0%}" if item.rate <= 1 else str(item.rate)
    return "; ".join(f"{k} {v:,.2f}" for k, v in item.amounts.items())


def _conditions_text(item) -> str:
    c, parts = item.conditions, []
    if c.region:
        parts.append(i18n.say(f"区域 {c.region}", f"region {c.region}"))
    if c.patent_types:
        parts.append("/".join(c.patent_types))
    if item.subject == "patent":
        parts.append(i18n.say("第一申请人" if c.applicant == "first" else "任一申请人",
                              "first applicant" if c.applicant == "first" else "any applicant"))
        if c.in_force:
            parts.append(i18n.say("有效", "in force"))
    for values in (c.applicant_types, c.fields, c.ipc_prefixes):
        if values:
            parts.append("/".join(values))
    if item.criterion:
        parts.append(item.criterion)
    if item.cap_per_subject_yuan is not None:
        parts.append(i18n.say(f"每件上限 {item.cap_per_subject_yuan:,.0f}", f"cap {item.cap_per_subject_yuan:,.0f}"
                                                                          " per subject"))
    if item.cap_per_applicant_year_yuan is not None:
        parts.append(i18n.say(f"每户每年上限 {item.cap_per_applicant_year_yuan:,.0f}",
                              f"cap {item.cap_per_applicant_year_yuan:,.0f} per payee and year"))
    if item.clawback_lapse_years:
        parts.append(i18n.say(f"{item.clawback_lapse_years} 年内失效追回", f"clawback if lapsed within "
                                                                          f"{item.clawback_lapse_years} years"))
    return "; ".join(parts)


@subsidies_app.command("policy")
def policy_cmd(
    policy: PolicyOption = None,
    fmt: Annotated[ShowFmt, typer.Option("--format", help="table | json")] = ShowFmt.table,
) -> None:
    """资助奖励政策：版本与项目 / the policy file read, its versions and items."""
    p = _policy(policy)
    if fmt is ShowFmt.json:
        write_json(p.to_dict(), None)
        return
    console.print(i18n.say(f"政策文件：{p.path}", f"policy file: {p.path}"), markup=False, highlight=False)
    for v in p.versions:
        end = v.effective_to or i18n.say("至今", "open")
        caps = [i18n.say(f"每户每年上限 {v.cap_per_applicant_year_yuan:,.2f}",
                         f"cap per payee and year {v.cap_per_applicant_year_yuan:,.2f}")
                if v.cap_per_applicant_year_yuan is not None else "",
                i18n.say(f"年度预算 {v.budget_yuan:,.2f}", f"budget a year {v.budget_yuan:,.2f}")
                if v.budget_yuan is not None else ""]
        console.print(f"{v.version} {i18n.say(v.name_zh, v.name_en)} · {v.effective_from} … {end} · "
                      f"{i18n.say('区域', 'region')} {v.region} · {' · '.join(c for c in caps if c)}\n"
                      f"  {i18n.say('依据', 'source')}: {v.source}", markup=False, highlight=False)
        heads = [("编号", "id"), ("类别", "kind"), ("名称", "name"), ("对象", "subject"),
                 ("金额或比例", "amount or rate"), ("预算", "budget"), ("条件", "conditions")]
        rows = [{"id": it.id, "kind": it.kind, "name": i18n.say(it.name_zh, it.name_en), "subject": it.subject,
                 "amount": _amount_text(it), "budget": "" if it.budget_yuan is None else f"{it.budget_yuan:,.2f}",
                 "conditions": _conditions_text(it)} for it in v.items]
        _print_table(rows, [h[_i()] for h in heads], i18n.say(f"{v.version} 的项目", f"items of {v.version}"))


# -- eligibility -----------------------------------------------------------------------------------------------

ELIGIBLE_COLUMNS: dict[str, tuple[str, str]] = {
    "key": ("台账键", "key"), "event_date": ("事项日期", "event date"), "item_name": ("项目", "item"),
    "subject": ("对象", "subject"), "payee_name": ("受资助人", "payee"), "town_code": ("镇街", "town"),
    "gross_yuan": ("标准金额（元）", "gross (yuan)"), "amount_yuan": ("核算金额（元）", "amount (yuan)"),
    "eligible": ("符合", "eligible"), "ledger_status": ("台账状态", "ledger status"),
    "steps": ("未通过或削减的规则", "failed or cut rules"),
}
TOTAL_COLUMNS: dict[str, tuple[str, str]] = {
    "item": ("项目编号", "item id"), "item_name": ("项目", "item"), "count": ("符合件数", "eligible"),
    "gross_yuan": ("标准金额（元）", "gross (yuan)"), "amount_yuan": ("核算金额（元）", "amount (yuan)"),
}
# The steps that cut an amount rather than refuse it: shown with their note when they cut (rules.py, RULE_WORDS).
CUT_RULES = ("amount", "cap_subject", "cap_item_year", "cap_version_year", "budget")


def _rule_word(rule: str) -> str:
    from hvpatent.subsidies import RULE_WORDS

    return RULE_WORDS.get(rule, (rule, rule))[_i()]


def _steps(row: dict) -> str:
    """The trace's failed steps (✗) and the cap or budget steps that cut the amount (✂), with their notes."""
    shown = []
    for step in row.get("trace") or ():
        note = step.get("note") or ""
        if not step.get("ok"):
            shown.append(f"✗ {_rule_word(step['rule'])}" + (f": {note}" if note else ""))
        elif step["rule"] in CUT_RULES and note:   # a passed cap or budget step has a note only when it cut
            shown.append(f"✂ {_rule_word(step['rule'])}: {note}")
    if row.get("paid_via"):
        shown.append(i18n.say("经贴息台账拨付", "paid via the finance ledger"))
    return "; ".join(shown)


def _shown(row: dict) -> dict:
    from hvpatent.subsidies import key_text

    return {**row, "key": key_text(row["item"], row["subject_key"], row["period"]),
            "item_name": i18n.say(row["item_zh"], row["item_en"]),
            "subject": row.get("subject_name") or row["subject_key"],
            "ledger_status": _status_word(row.get("ledger_status")), "steps": _steps(row)}


def _totals(rows: list[dict]) -> list[dict]:
    """Per item (in the rows' order): eligible rows, their gross and their amount after caps."""
    totals: dict[str, dict] = {}
    for r in rows:
        t = totals.setdefault(r["item"], {"item": r["item"], "item_name": i18n.say(r["item_zh"], r["item_en"]),
                                          "count": 0, "gross_yuan": Decimal(0), "amount_yuan": Decimal(0)})
        if r["eligible"]:
            t["count"] += 1
            t["gross_yuan"] += Decimal(r["gross_yuan"])
            t["amount_yuan"] += Decimal(r["amount_yuan"])
    return list(totals.values())


def _trace_sheet(rows: list[dict]) -> list[dict]:
    """One line per rule step of each row: the full trace, for the xlsx."""
    i, heads = _i(), (("台账键", "key"), ("规则", "rule"), ("依据", "facts"), ("结果", "result"), ("通过", "ok"),
                      ("说明", "note"))
    return [dict(zip([h[i] for h in heads],
                     (r["key"], _rule_word(s["rule"]), json.dumps(s.get("facts"), ensure_ascii=False, default=str),
                      str(s.get("result")), _cell(bool(s.get("ok"))), s.get("note") or ""), strict=True))
            for r in rows for s in r.get("trace") or ()]


@subsidies_app.command("eligible")
def eligible_cmd(
    period: PeriodOption,
    policy: PolicyOption = None,
    as_of: AsOfOption = None,
    payee: PayeeOption = None,
    item: ItemsOption = None,
    region: RegionOption = None,
    show_all: Annotated[bool, typer.Option("--all", help="也列出不符合的及其原因 / ineligible rows too, with "
                                                         "their reasons")] = False,
    fmt: FmtOption = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """计算期间内每一项可得资助及其规则过程 / every eligible item of the period with its amount and rule trace."""
    from hvpatent.subsidies import eligible

    p, fmt = _policy(policy), _format(fmt, out)
    items, day = _check_items(p, item), _as_of(as_of, period)
    check_out(out)
    # not read-only: a warehouse from before the ledger gets its table
    with open_warehouse(db, must_exist=True) as wh, _refused():
        rows = eligible(wh.ibis(), p, period.strip(), as_of=day, ledger=wh.con, region=region,
                        payee=_payee(payee), items=items)
    totals = _totals(rows)
    shown = [_shown(r) for r in rows if show_all or r["eligible"]]
    columns = ELIGIBLE_COLUMNS if show_all else {k: v for k, v in ELIGIBLE_COLUMNS.items() if k != "eligible"}
    title = i18n.say(f"{period} 资助奖励", f"Subsidies {period}")
    raw = {"period": period.strip(), "as_of": day, "policy": p.path, "rows": shown, "totals": totals}
    extra = {i18n.say("规则过程", "Rule trace"): _trace_sheet(shown),
             i18n.say("按项目合计", "Totals per item"): _labelled(totals, TOTAL_COLUMNS, plain=True)}
    _emit(shown, columns, fmt, out, title, "subsidies-eligible.xlsx", raw=raw, extra=extra)
    if fmt is TableFmt.table:
        _print_table(_labelled(totals, TOTAL_COLUMNS), [c[_i()] for c in TOTAL_COLUMNS.values()],
                     i18n.say("按项目合计", "Totals per item"))
        if not shown:
            console.print(i18n.say("（无符合条件的项目）", "(nothing eligible)"))


# -- the ledger's steps ----------------------------------------------------------------------------------------

def _ledger_step(db: Path | None, work):
    """One change of the ledger, under the warehouse's write lock; the room's refusals end in their message."""
    with open_warehouse(db, must_exist=True) as wh, wh.lock, _refused():
        return work(wh)


def _print_rows(rows: list[dict]) -> None:
    from hvpatent.subsidies import key_text

    for row in rows:
        amount = row["approved_yuan"] if row.get("approved_yuan") is not None else row["computed_yuan"]
        console.print(f"{key_text(row['item'], row['subject_key'], row['period'])}: {_status_word(row['status'])} · "
                      f"{amount:,.2f}", highlight=False, markup=False)


@subsidies_app.command("apply")
def apply_cmd(
    period: PeriodOption,
    policy: PolicyOption = None,
    key: OptKeysOption = None,
    payee: PayeeOption = None,
    item: ItemsOption = None,
    as_of: AsOfOption = None,
    by: WhoOption = None,
    db: DbOption = None,
) -> None:
    """记录符合条件的申请（重复运行不会重复记录）/ record the eligible rows as applications (a re-run adds
    nothing)."""
    from hvpatent.subsidies import apply_items

    p, keys = _policy(policy), _keys(key)
    items, day, who = _check_items(p, item), _as_of(as_of, period), _who(by)
    for k in keys or ():
        if k[2] != period.strip():
            raise fail(f"台账键 {'|'.join(k)} 的期间不是 {period}", f"key {'|'.join(k)} is not of "
                                                                              f"period {period}")
    result = _ledger_step(db, lambda wh: apply_items(wh.con, wh.ibis(), p, period.strip(), as_of=day, by=who,
                                                     keys=keys, payee=_payee(payee), items=items))
    _print_rows(result["added"])
    added = result["added"]
    if added:
        total = sum(Decimal(r["computed_yuan"]) for r in added)
        console.print(i18n.say(f"新增申请 {len(added)} 笔，合计 {total:,.2f} 元",
                               f"{len(added)} applications added, {total:,.2f} yuan"), highlight=False, markup=False)
    else:
        console.print(i18n.say("没有新的申请", "nothing new"), highlight=False, markup=False)
    for name, zh, en in (("already", "已在台账", "already in the ledger"), ("ineligible", "不符合条件", "not eligible"),
                         ("finance_ledger", "经贴息台账办理", "handled by the finance ledger")):
        if result.get(name):
            console.print(f"{i18n.say(zh, en)}: {len(result[name])}", highlight=False, markup=False)


@subsidies_app.command("review")
def review_cmd(
    key: KeysOption,
    passed: Annotated[bool, typer.Option("--pass/--fail", help="初审通过或不通过 / review passed or failed")],
    note: NoteOption = None,
    by: WhoOption = None,
    db: DbOption = None,
) -> None:
    """初审申请 / review applications: passed, or failed (rejected)."""
    from hvpatent.subsidies import review

    keys, who = _keys(key), _who(by)
    _print_rows(_ledger_step(db, lambda wh: review(wh.con, keys, passed=passed, by=who, note=note)))


@subsidies_app.command("approve")
def approve_cmd(
    key: KeysOption,
    note: NoteOption = None,
    policy: PolicyOption = None,
    by: WhoOption = None,
    db: DbOption = None,
) -> None:
    """核准已初审的申请（复核上限与预算）/ approve reviewed applications (caps and budget checked again)."""
    from hvpatent.subsidies import decide

    p, keys, who = _policy(policy), _keys(key), _who(by)
    _print_rows(_ledger_step(db, lambda wh: decide(wh.con, p, keys, approve=True, by=who, note=note)))


@subsidies_app.command("reject")
def reject_cmd(
    key: KeysOption,
    note: Annotated[str, typer.Option("--note", help="理由 / reason")],
    policy: PolicyOption = None,
    by: WhoOption = None,
    db: DbOption = None,
) -> None:
    """不予核准，并写明理由 / reject applications, with the reason."""
    from hvpatent.subsidies import decide

    if not note.strip():
        raise fail("请写明不予核准的理由（--note）", "give the reason (--note)")
    p, keys, who = _policy(policy), _keys(key), _who(by)
    _print_rows(_ledger_step(db, lambda wh: decide(wh.con, p, keys, approve=False, by=who, note=note.strip())))


@subsidies_app.command("pay")
def pay_cmd(
    batch: Annotated[str, typer.Option("--batch", help="拨付批次名 / payment batch name")],
    out: Annotated[Path, typer.Option("--out", help="拨付清单 xlsx / the batch's xlsx")],
    key: OptKeysOption = None,
    by: WhoOption = None,
    db: DbOption = None,
) -> None:
    """把已核准的申请记为已拨付，并写出拨付清单 / pay approved applications in one batch; its xlsx."""
    from hvpatent.subsidies import pay, write_batch_xlsx

    if not batch.strip():
        raise fail("请给出拨付批次名（--batch）", "give the batch a name (--batch)")
    check_out(out)   # before anything is marked paid
    keys, who = _keys(key), _who(by)
    rows = _ledger_step(db, lambda wh: pay(wh.con, batch.strip(), by=who, keys=keys))
    if not rows:
        raise fail("没有已核准待拨付的申请", "nothing approved to pay")
    with writing(out):
        write_batch_xlsx(rows, out, lang=i18n.lang(), batch=batch.strip())
    total = sum(Decimal(r["approved_yuan"] if r.get("approved_yuan") is not None else r["computed_yuan"])
                for r in rows)
    console.print(i18n.say(f"拨付批次 {batch}：{len(rows)} 笔，合计 {total:,.2f} 元 → {out}",
                           f"payment batch {batch}: {len(rows)} rows, {total:,.2f} yuan → {out}"),
                  highlight=False, markup=False)


LEDGER_COLUMNS: dict[str, tuple[str, str]] = {
    "key": ("台账键", "key"), "item_name": ("项目", "item"), "subject": ("对象", "subject"),
    "payee_name": ("受资助人", "payee"), "event_date": ("事项日期", "event date"),
    "policy_version": ("政策版本", "policy version"), "computed_yuan": ("核算金额（元）", "computed (yuan)"),
    "approved_yuan": ("核准金额（元）", "approved (yuan)"), "status_word": ("状态", "status"),
    "payment_batch": ("拨付批次", "payment batch"), "clawback_yuan": ("追回金额（元）", "clawed back (yuan)"),
    "note": ("意见", "note"),
}


def _ledger_shown(rows: list[dict], names: dict[str, str]) -> list[dict]:
    from hvpatent.subsidies import key_text

    return [{**r, "key": key_text(r["item"], r["subject_key"], r["period"]),
             "item_name": names.get(r["item"], r["item"]), "subject": r.get("subject_name") or r["subject_key"],
             "status_word": _status_word(r.get("status"))} for r in rows]


def _names_if_any(policy: Path | None) -> dict[str, str]:
    """Item names from the policy, when it loads; the ledger itself needs none (ids are shown then)."""
    from hvpatent.subsidies import PolicyError, load_policy

    try:
        return _item_names(load_policy(policy))
    except (PolicyError, OSError):
        return {}


@subsidies_app.command("ledger")
def ledger_cmd(
    period: Annotated[str | None, typer.Option("--period", help="YYYY | YYYY-Qn | YYYY-Hn")] = None,
    item: Annotated[str | None, typer.Option("--item", help="政策项目编号 / policy item id")] = None,
    status: Annotated[str | None, typer.Option(
        "--status", help="applied | reviewed | approved | rejected | paid | clawed_back")] = None,
    payee: PayeeOption = None,
    batch: Annotated[str | None, typer.Option("--batch", help="拨付批次 / payment batch")] = None,
    policy: PolicyOption = None,
    fmt: FmtOption = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """资助奖励台账 / the ledger, filtered."""
    from hvpatent.subsidies import LEDGER_STATUSES, ledger_rows, write_batch_xlsx

    if status is not None and status not in LEDGER_STATUSES:
        raise fail(f"未知的状态 {status!r}，可用：{'、'.join(LEDGER_STATUSES)}",
                             f"unknown status {status!r}; one of: {', '.join(LEDGER_STATUSES)}")
    if period is not None:
        _period(period)
    fmt = _format(fmt, out)
    check_out(out)
    # not read-only: a warehouse from before the ledger gets its table
    with open_warehouse(db, must_exist=True) as wh, _refused():
        rows = ledger_rows(wh.con, period=period and period.strip(), item=item, status=status, payee=_payee(payee),
                           batch=batch)
    if fmt is TableFmt.xlsx:   # the finance office's layout, as a payment batch's
        path = out or Path("subsidies-ledger.xlsx")
        with writing(path):
            write_batch_xlsx(rows, path, lang=i18n.lang(), batch=batch)
        _written(path, len(rows))
        return
    shown = _ledger_shown(rows, _names_if_any(policy))
    _emit(shown, LEDGER_COLUMNS, fmt, out, i18n.say("资助奖励台账", "Subsidy ledger"), "subsidies-ledger.xlsx",
          raw=rows)
    if fmt is TableFmt.table and not rows:
        console.print(i18n.say("（无记录）", "(no rows)"))


# -- clawbacks -------------------------------------------------------------------------------------------------

CLAWBACK_COLUMNS: dict[str, tuple[str, str]] = {
    "key": ("台账键", "key"), "item_name": ("项目", "item"), "subject": ("对象", "subject"),
    "payee_name": ("受资助人", "payee"), "paid_at": ("拨付时间", "paid at"),
    "approved_yuan": ("已拨付（元）", "paid (yuan)"), "why": ("追回原因", "why"),
}


def _why(row: dict) -> str:
    """Why a clawback is due, in the command's language (the room's one wording, subsidies.clawback_words)."""
    from hvpatent.subsidies import clawback_words

    return i18n.say(*clawback_words(row))


@subsidies_app.command("clawbacks")
def clawbacks_cmd(
    as_of: AsOfOption = None,
    policy: PolicyOption = None,
    fmt: FmtOption = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """应追回的已拨付资助（专利提前失效、被通报为非正常申请）/ paid rows now due to be clawed back."""
    from hvpatent.subsidies import clawbacks_due

    p, day, fmt = _policy(policy), parse_as_of(as_of), _format(fmt, out)
    check_out(out)
    with open_warehouse(db, must_exist=True) as wh, _refused():
        rows = clawbacks_due(wh.con, wh.ibis(), p, day)
    shown = [{**r, "why": _why(r)} for r in _ledger_shown(rows, _item_names(p))]
    _emit(shown, CLAWBACK_COLUMNS, fmt, out, i18n.say(f"{day} 应追回", f"Clawbacks due {day}"),
          "subsidies-clawbacks.xlsx", raw=rows)


@subsidies_app.command("clawback")
def clawback_cmd(
    key: Annotated[str, typer.Option("--key", help="台账键 项目|对象|期间 / ledger key item|subject|period")],
    reason: Annotated[str, typer.Option("--reason", help="追回原因 / reason")],
    amount: Annotated[str | None, typer.Option("--amount", help="追回金额（默认全额）/ amount (default: all)")] = None,
    by: WhoOption = None,
    db: DbOption = None,
) -> None:
    """追回一笔已拨付的资助 / claw back one paid row."""
    from hvpatent.subsidies import claw_back

    if not reason.strip():
        raise fail("请写明追回原因（--reason）", "give the reason (--reason)")
    parsed = (_keys([key]) or [None])[0]
    yuan = _yuan(amount) if amount is not None else None
    who = _who(by)
    row = _ledger_step(db, lambda wh: claw_back(wh.con, parsed, by=who, reason=reason.strip(), amount_yuan=yuan))
    _print_rows([row])
    if row.get("clawback_yuan") is not None:
        console.print(i18n.say(f"已追回 {row['clawback_yuan']:,.2f} 元", f"clawed back {row['clawback_yuan']:,.2f} "
                                                                          "yuan"), highlight=False, markup=False)


def _yuan(text: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0:
        raise fail(f"--amount 应为正数金额（元）：{text!r}", f"--amount must be a positive amount in "
                                                                   f"yuan, not {text!r}")
    return value.quantize(Decimal("0.01"))


# -- budget and what-if ----------------------------------------------------------------------------------------

SPEND_COLUMNS: dict[str, tuple[str, str]] = {
    "key": ("编号", "key"), "label": ("名称", "name"), "count": ("笔数", "rows"),
    "committed_yuan": ("已核准（元）", "committed (yuan)"), "paid_yuan": ("已拨付（元）", "paid (yuan)"),
    "clawed_back_yuan": ("已追回（元）", "clawed back (yuan)"), "net_yuan": ("净支出（元）", "net (yuan)"),
    "budget_yuan": ("预算（元）", "budget (yuan)"),
    "remaining_yuan": ("余额（元）", "remaining (yuan)"),
}


def _year(year: int, low: int = 1990) -> int:
    if not low <= year <= 2100:
        raise fail(f"年份无效：{year}（{low}–2100）", f"bad year: {year} ({low}–2100)")
    return year


@subsidies_app.command("budget")
def budget_cmd(
    year: Annotated[int, typer.Option("--year", help="年度 / year")],
    by: Annotated[SpendBy, typer.Option("--by", help="item | town | industry | applicant_type")] = SpendBy.item,
    policy: PolicyOption = None,
    fmt: FmtOption = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """年度资助支出与预算：按项目、镇街、产业、申请人类别 / the year's spend against the budget."""
    from hvpatent.subsidies import spend

    p = _policy(policy) if by is SpendBy.item else None   # the budget is the policy's, per item
    fmt, year = _format(fmt, out), _year(year)
    check_out(out)
    with open_warehouse(db, must_exist=True) as wh, _refused():
        rows = spend(wh.con, year, by=by.value, policy=p)
    shown = [{**r, "label": i18n.say(r.get("label_zh") or "", r.get("label_en") or "") or r["key"]} for r in rows]
    _emit(shown, SPEND_COLUMNS, fmt, out, i18n.say(f"{year} 年资助支出", f"Subsidy spend {year}"),
          "subsidies-budget.xlsx", raw=rows)


WHATIF_COLUMNS: dict[str, tuple[str, str]] = {
    "item": ("编号", "item id"), "item_name": ("项目", "item"), "base_count": ("现行件数", "base count"),
    "base_yuan": ("现行金额（元）", "base (yuan)"), "variant_count": ("调整后件数", "variant count"),
    "variant_yuan": ("调整后金额（元）", "variant (yuan)"),
}


TOTAL_WORDS: dict[str, tuple[str, str]] = {
    "base_budget_yuan": ("现行预算（元）", "base budget (yuan)"),
    "variant_budget_yuan": ("调整后预算（元）", "variant budget (yuan)"),
}


@subsidies_app.command("whatif")
def whatif_cmd(
    year: Annotated[int, typer.Option("--year", help="预测年度 / the year projected")],
    variant: Annotated[Path, typer.Option("--variant", help="调整后的政策文件 / the policy variant")],
    policy: PolicyOption = None,
    as_of: AsOfOption = None,
    region: RegionOption = None,
    fmt: Annotated[ShowFmt, typer.Option("--format", help="table | json")] = ShowFmt.table,
    db: DbOption = None,
) -> None:
    """按调整后的政策预测下一年支出及对高价值指标的影响 / next year's spend under a variant and its expected
    effect on the high-value indicators."""
    from hvpatent.subsidies import projection

    base, alt, year = _policy(policy), _policy(variant), _year(year, low=1991)  # its basis is the year before
    day = parse_as_of(as_of)
    if day.year < 1991:  # the basis year is the year before the as-of day at the latest
        raise fail(f"--as-of 无效：{day}（1991 年起）", f"bad --as-of: {day} (from 1991)")
    with open_warehouse(db, must_exist=True) as wh, _refused():
        result = projection(wh.ibis(), wh.con, base, alt, year, as_of=day, region=region)
    if fmt is ShowFmt.json:
        write_json(result, None)
        return
    _print_whatif(result)


def _print_whatif(result: dict) -> None:
    items = [{**r, "item_name": i18n.say(r.get("item_zh") or "", r.get("item_en") or "") or r["item"]}
             for r in result["items"]]
    _emit(items, WHATIF_COLUMNS, TableFmt.table, None,
          i18n.say(f"{result['year']} 年预测", f"Projection {result['year']}"), "")
    totals = result.get("totals") or {}
    if totals:
        words = {**{k: v[_i()] for k, v in WHATIF_COLUMNS.items()}, **{k: v[_i()] for k, v in TOTAL_WORDS.items()}}
        console.print(i18n.say("合计", "totals") + ": " + " · ".join(f"{words.get(k, k)} {_cell(v)}"
                                                                    for k, v in totals.items()),
                      markup=False, highlight=False)
    hv = result.get("high_value") or {}
    if hv:
        console.print(i18n.say(
            f"预计新增高价值发明专利：现行 {_cell(hv.get('expected_base'))}，"
            f"调整后 {_cell(hv.get('expected_variant'))}；"
            f"每万人 {_cell(hv.get('per_10k_base'))} → {_cell(hv.get('per_10k_variant'))}",
            f"expected new high-value patents: base {_cell(hv.get('expected_base'))}, variant "
            f"{_cell(hv.get('expected_variant'))}; per 10,000 people {_cell(hv.get('per_10k_base'))} → "
            f"{_cell(hv.get('per_10k_variant'))}"), markup=False, highlight=False)
        for assumption in hv.get("assumptions") or ():
            console.print(f"  · {_words(assumption)}", markup=False, highlight=False)


def _words(text: object) -> str:
    """A text given in both languages — a (zh, en) pair or a {zh, en} dict — in the user's; a string as it is."""
    if isinstance(text, list | tuple) and len(text) == 2:
        return i18n.say(str(text[0]), str(text[1]))
    if isinstance(text, dict):
        return i18n.say(str(text.get("zh", "")), str(text.get("en", "")))
    return str(text)
