"""`hvp pledges`: 专利商标质押登记与统计 / the pledge registry and its statistics (docs/finance.md).

`stats`: contracts and amounts registered in a period, by month, bank, enterprise, industry or town (the bureau's
/finance page); `list`: the contracts behind one figure (--group) or every contract of the period; `show`: one
contract on a day, with its items, changes and history.  The counting is the registry's (hvpatent.finance)."""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from hvpatent import i18n
from hvpatent.cli.common import (
    AsOfOption,
    DbOption,
    OutOption,
    TableFmt,
    analytics_backend,
    app,
    check_out,
    console,
    fail,
    open_warehouse,
    parse_as_of,
    write_json,
    writing,
)

pledges_app = typer.Typer(help="专利商标质押登记与统计 / the pledge registry and its statistics", no_args_is_help=True)
app.add_typer(pledges_app, name="pledges")

KINDS = ("all", "patent", "trademark")
STAT_COLUMNS = ("contracts", "amount_yuan", "patents", "trademarks", "enterprises", "released", "disposed")
# registered_amount_yuan is what the statistics sum; amount_yuan is the amount on --to (changes applied)
CONTRACT_COLUMNS = ("contract_no", "pledgor", "pledgee", "registered_amount_yuan", "amount_yuan", "registered_date",
                    "loan_start", "loan_end", "status", "kind", "patents", "trademarks", "town_code")
HEADS: dict[str, tuple[str, str]] = {
    "group": ("分组", "group"), "label": ("名称", "label"), "contracts": ("质押合同（笔）", "contracts"),
    "amount_yuan": ("金额（元）", "amount (CNY)"), "patents": ("专利（件）", "patents"),
    "trademarks": ("商标（件）", "trademarks"), "enterprises": ("出质企业（家）", "pledgors"),
    "released": ("已注销", "released"), "disposed": ("已处置", "disposed"),
    "contract_no": ("质押登记号", "contract no."),
    "pledgor": ("出质人", "pledgor"), "pledgee": ("质权人", "pledgee"), "registered_date": ("登记日", "registered"),
    "loan_start": ("债务起始日", "loan start"), "loan_end": ("债务到期日", "loan maturity"),
    "status": ("状态", "status"),
    "kind": ("质押物", "items"), "town_code": ("镇街", "town"), "total": ("合计", "total"),
    "registered_amount_yuan": ("登记金额（元）", "registered amount (CNY)"), "released_date": ("注销日", "released"),
    "disposed_date": ("处置日", "disposed"), "source": ("来源", "source"), "item_kind": ("类型", "kind"),
    "item_no": ("号码", "number"), "title": ("名称", "title"), "added_date": ("加入日", "added"),
    "removed_date": ("移出日", "removed"), "change_date": ("变更日", "changed"), "field": ("变更事项", "field"),
    "old_value": ("原值", "old"), "new_value": ("新值", "new"), "items": ("质押物", "pledged items"),
    "changes": ("变更登记", "changes"), "history": ("登记历程", "history"),
}


FromOption = Annotated[str | None, typer.Option("--from", help="起始日 YYYY-MM-DD（默认 --to 所在年的 1 月 1 日）/ "
                                                                "first day (default: 1 January of --to's year)")]
ToOption = Annotated[str | None, typer.Option("--to", help="截止日 YYYY-MM-DD（默认今天）/ last day (default: today)")]
ByOption = Annotated[str, typer.Option("--by", help="period（月）| bank | enterprise | industry | town")]
KindOption = Annotated[str, typer.Option("--kind", help="all | patent | trademark")]
RegionOption = Annotated[str | None, typer.Option(
    "--region", help="区划代码，all 为全部（默认方案的区域）/ region code, all for every contract "
                     "(default: the plan's)")]
FmtOption = Annotated[TableFmt, typer.Option("--format", help="table | json | csv | xlsx")]


def _head(column: str, heads: dict[str, tuple[str, str]] | None = None) -> str:
    pair = (heads or {}).get(column) or HEADS.get(column)
    return pair[0 if i18n.lang() == "zh" else 1] if pair else column


def _on_day(day: date) -> dict[str, tuple[str, str]]:
    """The list's heading of amount_yuan: the amount on the day, beside the registered amount the statistics sum."""
    return {"amount_yuan": (f"{day} 金额（元）", f"amount on {day} (CNY)")}


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return parse_as_of(text)
    except typer.BadParameter as err:
        raise fail(f"{option}：无效的日期 {text!r}（{err}）", f"{option}: bad date {text!r} ({err})") from None


def _question(start: str | None, end: str | None, by: str, kind: str,
              region: str | None) -> tuple[date, date, str, str, str | None]:
    from hvpatent.finance import STAT_DIMENSIONS

    to_day = _day(end, "--to") or date.today()
    from_day = _day(start, "--from") or date(to_day.year, 1, 1)
    if from_day > to_day:
        raise fail(f"--from {from_day} 晚于 --to {to_day}", f"--from {from_day} is after --to {to_day}")
    if by not in STAT_DIMENSIONS:
        raise fail(f"--by：无效的值 {by!r}，可用：{' | '.join(STAT_DIMENSIONS)}",
                    f"--by: invalid value {by!r}; one of {' | '.join(STAT_DIMENSIONS)}")
    if kind not in KINDS:
        raise fail(f"--kind：无效的值 {kind!r}，可用：{' | '.join(KINDS)}",
                    f"--kind: invalid value {kind!r}; one of {' | '.join(KINDS)}")
    if region is None:
        from hvpatent.plan import load_plan

        region = load_plan().region
    elif region == "all":
        region = None
    elif not re.fullmatch(r"[0-9]{6}|[0-9]{12}", region):
        raise fail(f"--region：区划代码无效 {region!r}（6 或 12 位，或 all）",
                    f"--region: bad region code {region!r} (6 or 12 digits, or all)")
    return from_day, to_day, by, kind, region


def _csv_text(rows: list[dict], columns: list[str], heads: dict[str, tuple[str, str]] | None = None) -> str:
    from hvpatent.reports.safe_cells import csv_text

    return csv_text(rows, columns, [_head(c, heads) for c in columns])


def _output(rows: list[dict], columns: list[str], fmt: TableFmt, out: Path | None, title: str,
            payload: Any = None, heads: dict[str, tuple[str, str]] | None = None) -> None:
    """The rows as a table, JSON (``payload`` when given: the rows with their total), CSV (UTF-8 with a BOM in a
    file, plain on standard output) or xlsx (one sheet, translated headers; ``heads`` overrides HEADS);
    an unwritable --out exits 2."""
    if fmt is TableFmt.json:
        write_json(rows if payload is None else payload, out)
        return
    if fmt is TableFmt.csv:
        text = _csv_text(rows, columns, heads)
        if out is None:
            sys.stdout.write(text)
            return
        with writing(out):
            out.write_text("\ufeff" + text, encoding="utf-8")
        console.print(i18n.say(f"已写入 {out}（{len(rows)} 行）", f"written: {out} ({len(rows)} rows)"),
                      markup=False, highlight=False)
        return
    if fmt is TableFmt.xlsx:
        from hvpatent.reports.tables import to_frame, write_xlsx

        path = out or Path(f"{title}.xlsx")
        frame = to_frame([{_head(c, heads): r.get(c) for c in columns} for r in rows]) if rows else \
            to_frame([{_head(c, heads): None for c in columns}]).iloc[0:0]
        with writing(path):
            write_xlsx({title: frame}, path)
        console.print(i18n.say(f"已写入 {path}（{len(rows)} 行）", f"written: {path} ({len(rows)} rows)"),
                      markup=False, highlight=False)
        return
    table = Table(title=title)
    for c in columns:
        table.add_column(_head(c, heads))
    for r in rows:
        table.add_row(*["" if r.get(c) is None else str(r.get(c)) for c in columns])
    console.print(table)


@pledges_app.command("stats")
def stats_cmd(start: FromOption = None, end: ToOption = None, by: ByOption = "period", kind: KindOption = "all",
              region: RegionOption = None, fmt: FmtOption = TableFmt.table, out: OutOption = None,
              db: DbOption = None) -> None:
    """知识产权质押融资统计（按月、银行、企业、产业、镇街）/ pledge statistics by month, bank, enterprise, industry
    or town; a contract counts once per group, the total once (never the sum of groups)."""
    from hvpatent.finance import pledge_statistics, pledge_total

    check_out(out)
    start_day, end_day, by, kind, area = _question(start, end, by, kind, region)
    with open_warehouse(db, read_only=True) as wh:
        con = analytics_backend(wh)
        rows = pledge_statistics(con, start_day, end_day, by=by, region=area, kind=kind)
        total = {**pledge_total(con, start_day, end_day, region=area, kind=kind), "group": "total",
                 "label": _head("total")}
    columns = ["group", "label", *STAT_COLUMNS]
    title = i18n.say(f"知识产权质押融资统计 {start_day}–{end_day}", f"Pledge statistics {start_day} to {end_day}")
    if fmt is TableFmt.json:
        payload = {"from": start_day, "to": end_day, "by": by, "kind": kind, "region": area or "all",
                   "groups": rows, "total": total}
        _output(rows, columns, fmt, out, title, payload)
        return
    _output([*rows, total], columns, fmt, out, title)
    if fmt is TableFmt.table and by == "industry":
        console.print(i18n.say("一笔合同的专利分属多个产业时在每个产业各计一次；合计每笔只计一次。",
                               "A contract with patents of several industries counts in each; the total once."),
                      markup=False, highlight=False)


@pledges_app.command("list")
def list_cmd(start: FromOption = None, end: ToOption = None, by: ByOption = "period", kind: KindOption = "all",
             region: RegionOption = None,
             group: Annotated[str | None, typer.Option("--group", help="统计表中的分组（省略则为期内全部合同）/ a "
                                                                        "group of the statistics (omitted: every "
                                                                        "contract of the period)")] = None,
             fmt: FmtOption = TableFmt.table, out: OutOption = None, db: DbOption = None) -> None:
    """一个统计数字背后的质押合同 / the contracts behind a figure of `hvp pledges stats`: the registered amount
    (what the statistics sum) and the amount on --to (changes applied) side by side."""
    from hvpatent.finance import statistics_contracts

    check_out(out)
    start_day, end_day, by, kind, area = _question(start, end, by, kind, region)
    with open_warehouse(db, read_only=True) as wh:
        rows = statistics_contracts(analytics_backend(wh), start_day, end_day, by=by, group=group, region=area,
                                    kind=kind)
    title = i18n.say("质押合同清单", "Pledge contracts") + (f" · {group}" if group else "")
    _output(rows, list(CONTRACT_COLUMNS), fmt, out, title, heads=_on_day(end_day))


@pledges_app.command("show")
def show_cmd(contract_no: Annotated[str, typer.Argument(help="质押登记号（大小写、空格、全角均可）/ contract "
                                                                      "number (any case, spaces, full-width)")],
             as_of: AsOfOption = None,
             fmt: Annotated[TableFmt, typer.Option("--format", help="table | json")] = TableFmt.table,
             out: OutOption = None, db: DbOption = None) -> None:
    """一笔质押合同：当日状态、质押物、变更、历程 / one pledge contract on a day: items, changes, history."""
    from hvpatent.finance import contract_detail, contract_numbers

    if fmt in (TableFmt.csv, TableFmt.xlsx):
        raise fail("单笔合同用 table 或 json 格式", "one contract: --format table or json")
    check_out(out)
    day = parse_as_of(as_of)
    numbers = contract_numbers(contract_no)   # Y2024…, y2024 …, full-width: the stored key first
    number = numbers[0] if numbers else contract_no.strip()
    detail = None
    with open_warehouse(db, read_only=True) as wh:
        con = analytics_backend(wh)
        for candidate in numbers:
            detail = contract_detail(con, candidate, day)
            if detail is not None:
                break
    if detail is None:
        raise fail(f"没有质押登记号为 {number} 的质押合同（截至 {day}）",
                    f"no pledge contract {number} registered by {day}", code=1)
    if fmt is TableFmt.json:
        write_json(detail, out)
        return
    head = Table(title=f"{_head('contract_no')} {detail['contract_no']} @ {day}", show_header=False)
    head.add_column()
    head.add_column()
    for key, value in detail.items():
        if key not in ("contract_no", "items", "changes", "history") and not isinstance(value, list | dict):
            head.add_row(_head(key, _on_day(day)), "" if value is None else str(value))
    console.print(head)
    for section in ("items", "changes", "history"):
        rows = detail.get(section) or []
        table = Table(title=_head(section))
        columns = list(rows[0]) if rows else []
        for c in columns:
            table.add_column(_head(c))
        for r in rows:
            table.add_row(*["" if r.get(c) is None else str(r.get(c)) for c in columns])
        console.print(table)
