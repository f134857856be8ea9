"""`hvp financing`: 融资对接请求 / financing requests between banks and enterprises (docs/finance-requests.md):
the list (filters by status, bank, enterprise; table, json, xlsx, csv), a contract linked by bureau staff, and the
automatic linking of consented requests to the contracts the registry now holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hvpatent import i18n
from hvpatent.cli.common import (
    AsOfOption,
    DbOption,
    OutOption,
    TableFmt,
    app,
    console,
    err_console,
    open_warehouse,
    parse_as_of,
    write_json,
    writing,
)

financing_app = typer.Typer(help="融资对接请求 / financing requests between banks and enterprises",
                             no_args_is_help=True)
app.add_typer(financing_app, name="financing")


def _fail(message: str) -> typer.Exit:
    err_console.print(message, style="red", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


def display_rows(rows: list[dict], lang: str) -> list[dict]:
    """Requests as a table for people: status in words, patents joined, in the language's column names."""
    from hvpatent.finance import REQUEST_STATUS_WORDS

    i = 0 if lang == "zh" else 1
    heads = {"request_id": ("请求编号", "Request"), "status": ("状态", "Status"), "bank_name": ("银行", "Bank"),
             "enterprise_name": ("企业", "Enterprise"), "app_nos": ("专利", "Patents"),
             "amount_yuan": ("意向金额(元)", "Amount (CNY)"), "created_at": ("发起时间", "Created"),
             "decided_at": ("处理时间", "Decided"), "contract_no": ("质押登记号", "Contract no."),
             "note": ("备注", "Note")}
    out = []
    for r in rows:
        shown = {**r, "status": REQUEST_STATUS_WORDS[r["status"]][i], "app_nos": ";".join(r["app_nos"])}
        out.append({heads[k][i]: shown[k] for k in heads})
    return out


@financing_app.command("list")
def list_cmd(
    status: Annotated[str | None, typer.Option(
        help="状态：interest 银行有意向 | consented 企业同意 | declined 企业拒绝 | withdrawn 银行撤回 | "
             "contracted 已签约质押 / status: interest | consented | declined | withdrawn | contracted")] = None,
    bank: Annotated[str | None, typer.Option(
        help="银行（质权人）名称，总行含其分支行 / bank name (a head office covers its branches)")] = None,
    enterprise: Annotated[str | None, typer.Option(help="企业名称 / enterprise name")] = None,
    fmt: Annotated[TableFmt, typer.Option("--format", help="table | json | xlsx | csv")] = TableFmt.table,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """融资对接请求清单 / the financing requests (newest first)."""
    from hvpatent.finance import RequestError, list_requests
    from hvpatent.ingest.fields import normalize_name

    if out is not None and fmt is TableFmt.table:  # --out alone: the file's suffix says the format
        fmt = {".json": TableFmt.json, ".csv": TableFmt.csv}.get(out.suffix.lower(), TableFmt.xlsx)
    with open_warehouse(db, must_exist=True) as wh:  # not read-only: a warehouse from before the ledger gets its tables
        try:
            rows = list_requests(wh.con, status=status, bank=normalize_name(bank) if bank else None,
                                 enterprise=normalize_name(enterprise) if enterprise else None)
        except RequestError as err:
            raise _fail(str(err)) from None
    if fmt is TableFmt.json:
        write_json(rows, out)
        return
    shown = display_rows(rows, i18n.lang())
    if fmt is TableFmt.csv:
        from hvpatent.reports.safe_cells import csv_text

        text = csv_text(shown, list(shown[0]) if shown else ["request_id"])
        if out:
            with writing(out):
                out.write_text(text, encoding="utf-8-sig")
        else:
            console.print(text, markup=False, highlight=False, end="")
        return
    if fmt is TableFmt.xlsx:
        from hvpatent.reports.tables import to_frame, write_xlsx

        path = out or Path("financing_requests.xlsx")
        with writing(path):
            write_xlsx({i18n.say("融资对接请求", "financing requests"): to_frame(shown)}, path)
        console.print(i18n.t("xlsx_written", path=path))
        return
    from rich.table import Table

    table = Table(title=i18n.say(f"融资对接请求（{len(rows)} 条）", f"Financing requests ({len(rows)})"))
    for column in (list(shown[0]) if shown else []):
        table.add_column(column)
    for row in shown:
        table.add_row(*["" if v is None else str(v) for v in row.values()])
    console.print(table)


@financing_app.command("link")
def link_cmd(
    request_id: Annotated[str, typer.Argument(help="请求编号 / request id")],
    contract_no: Annotated[str, typer.Argument(help="质押登记号 / pledge contract number")],
    by: Annotated[str | None, typer.Option(
        help="操作人（记入审计日志，默认当前系统用户） / who links (audit log; default: the system user)")] = None,
    db: DbOption = None,
) -> None:
    """把已登记的质押合同关联到企业已同意的请求 / link a registered contract to a consented request."""
    import getpass

    from hvpatent.finance import RequestError, link_contract

    by = (by or "").strip() or getpass.getuser()  # the audit log names a person, never "cli"
    with open_warehouse(db, must_exist=True) as wh, wh.lock:
        try:
            row = link_contract(wh.con, request_id.strip(), contract_no, by=by)
        except RequestError as err:
            raise _fail(str(err)) from None
    console.print(i18n.say(f"{row['request_id']} 已关联质押合同 {row['contract_no']}",
                           f"{row['request_id']} linked to contract {row['contract_no']}"), markup=False)


@financing_app.command("match")
def match_cmd(as_of: AsOfOption = None, db: DbOption = None) -> None:
    """自动关联：企业已同意的请求与其后登记的同一银行、同一出质人的质押合同 / link consented requests to the contracts
    registered since (same bank, the enterprise as pledgor)."""
    from hvpatent.finance import match_contracts

    day = parse_as_of(as_of)
    with open_warehouse(db, must_exist=True) as wh, wh.lock:
        changed = match_contracts(wh.con, wh.ibis(), day)
    for row in changed:
        console.print(f"{row['request_id']} → {row['contract_no']}", markup=False)
    console.print(i18n.say(f"关联 {len(changed)} 条请求", f"{len(changed)} requests linked"))
