"""`hvp agencies`: patent agencies of a region on a day, ranked, with the watch list and its reasons; `hvp agencies
show KEY`: one agency's figures, clients and flagged applications; `hvp agencies letter`: a docx letter to an agency
or to its clients (docs/agencies.md, "Command line").  Everything goes through the room's door
`hvpatent.supervision`; no SQL here."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from hvpatent import i18n
from hvpatent.cli.abnormal import (
    ConfigOption,
    FmtOption,
    RegionOption,
    emit,
    labelled,
    out_format,
    percent,
    plan_region,
    print_table,
    region_of,
    rule_word,
    settings,
    words,
)
from hvpatent.cli.common import (
    AsOfOption,
    DbOption,
    DefaultCommandGroup,
    OutOption,
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


class _AgenciesGroup(DefaultCommandGroup):
    """`hvp agencies [options]` is `hvp agencies list [options]`."""

    default_command = "list"


agencies_app = typer.Typer(cls=_AgenciesGroup, help="专利代理机构监管（不带子命令即 list）/ patent agency supervision "
                                                    "(plain: list)")
app.add_typer(agencies_app, name="agencies")


class ShowFmt(StrEnum):
    table = "table"
    json = "json"


class LetterTo(StrEnum):
    agency = "agency"
    clients = "clients"


# On the screen: the figures that rank and watch; the exports carry every figure.
AGENCY_COLUMNS: dict[str, tuple[str, str]] = {
    "rank_text": ("排名", "rank"), "key": ("机构键", "key"), "name": ("代理机构", "agency"),
    "applications": ("代理申请量", "applications"), "invention_pct": ("发明占比", "invention share"),
    "grant_pct": ("授权率", "grant rate"), "rejection_pct": ("驳回率", "rejection rate"),
    "flagged_pct": ("疑似占比", "flagged share"), "watch_word": ("重点关注", "watch"),
    "reasons_text": ("原因", "reasons"),
}
AGENCY_EXPORT_COLUMNS: dict[str, tuple[str, str]] = {
    **AGENCY_COLUMNS, "deemed_withdrawal_pct": ("视撤率", "deemed withdrawn"), "flagged": ("疑似件数", "flagged"),
    "cleared": ("已排除件数", "cleared"), "confirmed": ("确认件数", "confirmed"), "clients": ("委托人数", "clients"),
    "code": ("机构代码", "code"), "variants_text": ("名称写法", "spellings"),
    "invention": ("发明", "inventions"), "utility_model": ("实用新型", "utility models"),
    "design": ("外观设计", "designs"), "avg_claims": ("平均权利要求项数", "average claims"),
}
CLIENT_COLUMNS: dict[str, tuple[str, str]] = {
    "applicant_name": ("委托人", "client"), "applications": ("申请量", "applications"),
    "flagged": ("疑似件数", "flagged"),
}
FLAGGED_COLUMNS: dict[str, tuple[str, str]] = {
    "app_no": ("申请号", "application number"), "title": ("名称", "title"), "rules_words": ("疑似情形", "rules"),
}


def _shown(row: dict) -> dict:
    """A row of agency_table with its rates as percentages and its words in the user's language."""
    by_type = row.get("by_type") or {}
    return {**row, "rank_text": "" if row.get("rank") is None else row["rank"],
            "invention_pct": percent(row.get("invention_share")), "grant_pct": percent(row.get("grant_rate")),
            "rejection_pct": percent(row.get("rejection_rate")),
            "deemed_withdrawal_pct": percent(row.get("deemed_withdrawal_rate")),
            "flagged_pct": percent(row.get("flagged_share")),
            "watch_word": i18n.say("是", "yes") if row.get("watch") else "",
            "reasons_text": "; ".join(words(r) for r in row.get("reasons") or ()),
            "variants_text": "; ".join(row.get("variants") or ()),
            "invention": by_type.get("invention", 0), "utility_model": by_type.get("utility_model", 0),
            "design": by_type.get("design", 0)}


def _trend_sheet(rows: list[dict]) -> list[dict]:
    i = 0 if i18n.lang() == "zh" else 1
    heads = (("机构键", "key"), ("代理机构", "agency"), ("年份", "year"), ("申请量", "applications"))
    return [dict(zip([h[i] for h in heads], (r["key"], r["name"], t["year"], t["applications"]), strict=True))
            for r in rows for t in r.get("trend") or ()]


@agencies_app.command("list")
def list_cmd(
    as_of: AsOfOption = None,
    region: RegionOption = None,
    watch: Annotated[bool, typer.Option("--watch", help="只列重点关注的机构 / the watch list only")] = False,
    config: ConfigOption = None,
    fmt: FmtOption = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """代理机构排名与重点关注名单（含原因）/ agencies ranked, with the watch list and its reasons."""
    from hvpatent.supervision import agency_table

    where = region_of(region)
    day, cfg, fmt = parse_as_of(as_of), settings(config), out_format(fmt, out)
    check_out(out)
    with open_warehouse(db, must_exist=True) as wh:
        rows = agency_table(wh.ibis(), day, region=where, config=cfg)
    if watch:
        rows = [r for r in rows if r.get("watch")]
    title = (i18n.say(f"{day} 重点关注的代理机构", f"Agencies on the watch list {day}") if watch
             else i18n.say(f"{day} 代理机构", f"Patent agencies {day}"))
    columns = AGENCY_COLUMNS if fmt is TableFmt.table else AGENCY_EXPORT_COLUMNS
    emit([_shown(r) for r in rows], columns, fmt, out, title, "agencies.xlsx",
         raw={"as_of": day, "region": where or "all", "settings_digest": cfg.digest(), "rows": rows},
         extra={i18n.say("逐年申请量", "Applications per year"): _trend_sheet(rows)}, one_line=("key", "name"))
    if fmt is TableFmt.table and not rows:
        console.print(i18n.say("（无代理机构）", "(no agencies)"))


def _detail(db: Path | None, key: str, as_of: str | None, region: str | None, config: Path | None) -> dict:
    """One agency's detail (``region``: already region_of's answer); an unknown key exits 2."""
    from hvpatent.supervision import agency_detail

    day, cfg = parse_as_of(as_of), settings(config)
    with open_warehouse(db, must_exist=True) as wh:
        detail = agency_detail(wh.ibis(), key.strip(), day, region=region, config=cfg)
    if detail is None:
        raise fail(f"未知的代理机构 {key!r}（见 hvp agencies 的“机构键”列）",
                   f"unknown agency {key!r} (see the key column of hvp agencies)")
    return detail


def _flagged_shown(rows: list[dict]) -> list[dict]:
    return [{**r, "rules_words": "; ".join(rule_word(x) for x in r.get("rules") or ())} for r in rows]


def _show_words(row: dict) -> dict:
    """One agency's lines say what a blank would leave unsaid, as its page does: an unranked agency, "no" for the
    watch, and "—" for a figure with no data (a rate with nothing concluded)."""
    words_for = {"rank_text": i18n.say("申请量不足，不排名", "too few applications to rank"),
                 "watch_word": i18n.say("否", "no")}
    return {**row, **{k: words_for.get(k, "—") for k, v in row.items() if v is None or v == ""}}


@agencies_app.command("show")
def show_cmd(
    key: Annotated[str, typer.Argument(help="机构键（代码或 n:名称）/ agency key (code or n:name)")],
    as_of: AsOfOption = None,
    region: RegionOption = None,
    config: ConfigOption = None,
    fmt: Annotated[ShowFmt, typer.Option("--format", help="table | json")] = ShowFmt.table,
    db: DbOption = None,
) -> None:
    """一家代理机构：各项指标、委托人、疑似非正常申请 / one agency: its figures, clients and flagged applications."""
    detail = _detail(db, key, as_of, region_of(region), config)
    if fmt is ShowFmt.json:
        write_json(detail, None)
        return
    clients = detail.get("clients") or []
    shown, i = _show_words(_shown({**detail, "clients": len(clients)})), 0 if i18n.lang() == "zh" else 1
    console.print(f"{detail['name']} · {detail['key']}", markup=False, highlight=False)
    for name, labels in AGENCY_EXPORT_COLUMNS.items():
        if name not in ("name", "key"):
            console.print(f"  {labels[i]}: {labelled([shown], {name: labels})[0][labels[i]]}",
                          markup=False, highlight=False)
    trend = "; ".join(f"{t['year']}: {t['applications']}" for t in detail.get("trend") or ())
    if trend:
        console.print(f"  {i18n.say('逐年申请量', 'applications per year')}: {trend}", markup=False, highlight=False)
    print_table(labelled(clients, CLIENT_COLUMNS), [c[i] for c in CLIENT_COLUMNS.values()],
                i18n.say(f"委托人: {len(clients)}", f"Clients: {len(clients)}"))
    flagged = _flagged_shown(detail.get("flagged_applications") or [])
    print_table(labelled(flagged, FLAGGED_COLUMNS), [c[i] for c in FLAGGED_COLUMNS.values()],
                i18n.say(f"疑似非正常申请: {len(flagged)}", f"Flagged applications: {len(flagged)}"))


def _one_client(detail: dict, name: str) -> dict:
    """The detail narrowed to one client (its normalised or written name); exit 2 when it is not a client, or when
    nothing of it is flagged (a letter to a named client about nothing would have no addressee)."""
    from hvpatent.ingest.fields import normalize_name

    wanted = {name.strip(), normalize_name(name)}
    clients = [c for c in detail.get("clients") or () if {c.get("applicant"), c.get("applicant_name")} & wanted]
    if not clients:
        raise fail(f"{name!r} 不是 {detail['name']} 在本区的委托人", f"{name!r} is not a client of {detail['name']} "
                                                                    "in the region")
    keys = {c.get("applicant") for c in clients} | {c.get("applicant_name") for c in clients}
    # a flagged row that names its applicant is kept for this client only; one that does not is kept as it is
    flagged = [f for f in detail.get("flagged_applications") or ()
               if not {"applicant", "applicant_name"} & set(f) or {f.get("applicant"), f.get("applicant_name")} & keys]
    if not flagged:
        shown = clients[0].get("applicant_name") or name
        raise fail(f"{shown} 经 {detail['name']} 代理的申请中没有疑似非正常申请（或均已复核排除），未写函",
                   f"{shown} has no flagged applications through {detail['name']} (none, or all cleared on review): "
                   "no letter written")
    return {**detail, "clients": clients, "flagged_applications": flagged}


@agencies_app.command("letter")
def letter_cmd(
    key: Annotated[str, typer.Argument(help="机构键 / agency key")],
    to: Annotated[LetterTo, typer.Option("--to", help="agency（致代理机构）| clients（致委托人）")],
    out: Annotated[Path, typer.Option("--out", help="输出的 docx 文件 / the docx written")],
    client: Annotated[str | None, typer.Option("--client", help="只致这一委托人 / one client only")] = None,
    as_of: AsOfOption = None,
    region: RegionOption = None,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """给代理机构或其委托人的提醒函（docx）/ a letter (docx) to the agency or to its clients."""
    from hvpatent.reports.agency_letters import agency_letter
    from hvpatent.reports.bulletin import default_issuer

    if out.suffix.lower() != ".docx":
        raise fail(f"--out 应为 .docx 文件：{out}", f"--out must be a .docx file: {out}")
    named = client.strip() if client is not None and client.strip() else None
    if named is not None and to is not LetterTo.clients:
        raise fail("--client 只用于 --to clients", "--client goes with --to clients only")
    where = region_of(region)
    check_out(out)
    detail = _detail(db, key, as_of, where, config)
    if named is not None:
        detail = _one_client(detail, named)
        named = detail["clients"][0].get("applicant") or named   # the normalised name the letter matches
    # signed by the bureau, as the bulletin and the other letters are: the region's district or city (a town has no
    # IP office: its first 6 digits), the plan's for every region
    data = agency_letter(detail, to=to.value, as_of=parse_as_of(as_of), lang=i18n.lang(), client=named,
                         issuer=default_issuer((where or plan_region())[:6]))
    with writing(out):
        out.write_bytes(data)
    console.print(i18n.say(f"已写入 {out}", f"written: {out}"), markup=False, highlight=False)
