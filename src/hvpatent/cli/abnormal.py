"""`hvp abnormal`: suspected abnormal applications of a region on a day (the review queue), with each rule's evidence;
`hvp abnormal review`: a person's decision (cleared / confirmed), stored and audit-logged; `hvp abnormal history`:
one application's decisions (docs/abnormal.md, "Command line, pages and API").  Everything goes through the room's
door `hvpatent.supervision`; no SQL here.  The output helpers at the bottom are shared with cli/agencies.py."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hvpatent import i18n
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


class _AbnormalGroup(DefaultCommandGroup):
    """`hvp abnormal [options]` is `hvp abnormal queue [options]`."""

    default_command = "queue"


abnormal_app = typer.Typer(cls=_AbnormalGroup, help="疑似非正常专利申请与复核（不带子命令即 queue）/ "
                                                    "suspected abnormal applications and their review (plain: queue)")
app.add_typer(abnormal_app, name="abnormal")

RegionOption = Annotated[str | None, typer.Option(
    "--region", help="区划代码（6 或 12 位；默认方案地区，与页面一致；all = 不限）/ region code (6 or 12 digits; "
                     "default: the plan's, as the pages; all: every region)")]
ConfigOption = Annotated[Path | None, typer.Option(
    "--config", help="监管设置文件（默认用户的 supervision.yaml，否则内置）/ supervision settings file")]
FmtOption = Annotated[TableFmt | None, typer.Option(
    "--format", help="table | json | csv | xlsx（默认按 --out 的扩展名，否则 table）/ default: from --out's suffix")]
WhoOption = Annotated[str | None, typer.Option(
    "--by", help="复核人（记入审计日志，默认当前系统用户）/ who decides (audit log; default: the system user)")]
STATUSES = ("pending", "cleared", "confirmed")

QUEUE_COLUMNS: dict[str, tuple[str, str]] = {
    "app_no": ("申请号", "application number"), "filing_date": ("申请日", "filing date"),
    "title": ("名称", "title"), "applicant_name": ("第一申请人", "first applicant"),
    "agency": ("代理机构", "agency"), "rules_words": ("疑似情形", "rules"), "status_word": ("复核状态", "status"),
}
QUEUE_EXPORT_COLUMNS: dict[str, tuple[str, str]] = {
    **QUEUE_COLUMNS, "patent_type": ("专利类型", "type"), "town_code": ("镇街代码", "town code"),
    "decided_at": ("复核时间", "decided at"), "decided_by": ("复核人", "decided by"), "note": ("意见", "note"),
    "summaries": ("情形说明", "findings"),
}
HISTORY_COLUMNS: dict[str, tuple[str, str]] = {
    "decided_at": ("复核时间", "decided at"), "status_word": ("结论", "decision"),
    "decided_by": ("复核人", "decided by"), "rules_words": ("当时的疑似情形", "rules then"), "note": ("意见", "note"),
}


# -- shared pieces (cli/agencies.py uses them too) -----------------------------------------------------------------

def _i() -> int:
    return 0 if i18n.lang() == "zh" else 1


def words(pair: object) -> str:
    """A (zh, en) pair — or a {zh, en} dict — in the user's language; anything else as text."""
    if isinstance(pair, list | tuple) and len(pair) == 2:
        return str(pair[_i()])
    if isinstance(pair, dict) and ("zh" in pair or "en" in pair):
        return str(pair.get("zh" if _i() == 0 else "en", ""))
    return "" if pair is None else str(pair)


def out_format(fmt: TableFmt | None, out: Path | None) -> TableFmt:
    """--format, else --out's suffix (json, csv, xlsx), else a table on the screen."""
    if fmt is not None:
        return fmt
    suffix = out.suffix.lower().lstrip(".") if out else ""
    return TableFmt(suffix) if suffix in ("json", "csv", "xlsx") else TableFmt.table


def settings(path: Path | None):
    """The supervision settings (--config, else the user's, else the shipped ones); a bad file exits 2 naming the
    file and the key."""
    from hvpatent.supervision import ConfigError, load_config

    if path is not None and not path.is_file():
        raise fail(f"监管设置文件不存在：{path}", f"settings file not found: {path}")
    try:
        return load_config(path)
    except ConfigError as err:
        raise fail(f"监管设置文件有误：{err}", f"bad settings file: {err}") from None


# ASCII digits only: \d would take full-width ５００１１８, which no region is keyed by
REGION_CODE = re.compile(r"[0-9]{6}|[0-9]{12}")


def plan_region() -> str:
    from hvpatent.plan import load_plan

    return load_plan().region


def region_of(region: str | None) -> str | None:
    """--region as the room takes it: none given is the plan's region (the pages' default, and hvp recognitions'),
    ``all`` is every region (None); anything but a 6- or 12-digit code exits 2 naming it, and so does a code of no
    division (as the pages answer 422: it would only give an empty list)."""
    from hvpatent.reference.regions import region_by_code

    if region is None:
        return plan_region()
    text = region.strip()
    if text.lower() == "all":
        return None
    if not REGION_CODE.fullmatch(text):
        raise fail(f"区划代码应为 6 或 12 位数字或 all（--region）：{region!r}",
                   f"--region must be a 6- or 12-digit code or all: {region!r}")
    if text not in region_by_code():
        raise fail(f"没有这个区划代码的行政区划（--region）：{text}", f"--region: no division has the code {text}")
    return text


def app_number(text: str) -> str:
    """An application number as the warehouse keys it (CN…, no dot, a missing check digit: as the pages take it);
    one that is not a number exits 2 naming it."""
    from hvpatent.ingest.appno import AppNoError, normalize_appno

    given = text.strip()
    try:
        return normalize_appno(given)
    except AppNoError as err:
        raise fail(f"无法识别的申请号 {given!r}（应如 202429500003.8，校验位须正确）",
                   f"bad application number {given!r}: {err}") from None


def in_rule_order(rules) -> list[str]:
    """Rule names in RULES order, as the queue lists them (a review stores its rules sorted by name); a name the
    room no longer has goes last."""
    from hvpatent.supervision import RULES

    return sorted(rules, key=lambda r: (RULES.index(r) if r in RULES else len(RULES), r))


def check_choice(value: str | None, allowed: tuple[str, ...], zh: str, en: str, option: str) -> str | None:
    """``value`` when it is one of ``allowed``; else exit 2 naming the option and the allowed values."""
    if value is None or value.strip() in allowed:
        return value.strip() if value is not None else None
    raise fail(f"未知的{zh} {value!r}（{option}），可用：{'、'.join(allowed)}",
               f"unknown {en} {value!r} ({option}); one of: {', '.join(allowed)}")


def labelled(rows: list[dict], columns: dict[str, tuple[str, str]]) -> list[dict]:
    """Rows keyed by the columns' words in the user's language, lists joined."""
    i = _i()
    return [{labels[i]: plain(r.get(key)) for key, labels in columns.items()} for r in rows]


def plain(value: object) -> object:
    """A cell for a table or a spreadsheet: lists joined by "; ", dicts as JSON text, None as empty."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(words(v) if isinstance(v, list | tuple) else str(plain(v)) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return value


def percent(value: object) -> str:
    return "" if value is None else f"{float(value):.1%}"


def written(path: Path, count: int) -> None:
    console.print(i18n.say(f"已写入 {path}（{count} 行）", f"written: {path} ({count} rows)"),
                  markup=False, highlight=False)


def emit(rows: list[dict], columns: dict[str, tuple[str, str]], fmt: TableFmt, out: Path | None, title: str,
         default_name: str, *, raw: object = None, extra: dict[str, list[dict]] | None = None,
         one_line: tuple[str, ...] = ()) -> None:
    """Rows on the screen, or json (``raw``, default the rows) / csv / xlsx (``extra``: more sheets, their rows
    already worded) to --out.  The xlsx and csv writers neutralise every text cell (reports/safe_cells.py)."""
    if fmt is TableFmt.json:
        write_json(rows if raw is None else raw, out)
    elif fmt is TableFmt.xlsx:
        import pandas as pd

        from hvpatent.reports.tables import write_xlsx

        path = out or Path(default_name)
        sheets = {title: pd.DataFrame(labelled(rows, columns), columns=[c[_i()] for c in columns.values()])}
        sheets.update({name: pd.DataFrame(sheet) for name, sheet in (extra or {}).items()})
        with writing(path):
            write_xlsx(sheets, path)
        written(path, len(rows))
    elif fmt is TableFmt.csv:
        from hvpatent.reports.safe_cells import csv_text

        text = csv_text(labelled(rows, columns))
        if out is None:
            sys.stdout.write(text)
            return
        with writing(out):
            out.write_text("\ufeff" + text, encoding="utf-8", newline="")  # the BOM: Excel reads Chinese
        written(out, len(rows))
    else:
        print_table(labelled(rows, columns), [c[_i()] for c in columns.values()], f"{title}: {len(rows)}",
                    one_line=tuple(columns[k][_i()] for k in one_line))


def print_table(rows: list[dict], heads: list[str], title: str, one_line: tuple[str, ...] = ()) -> None:
    """Cells folded, never cut short; the first column and ``one_line`` (an application number or key, given to the
    next command) stay on one line."""
    table = Table(title=title)
    for n, head in enumerate(heads):
        if n == 0 or head in one_line:
            table.add_column(head, no_wrap=True, min_width=max((len(str(r[head])) for r in rows), default=0))
        else:
            table.add_column(head, overflow="fold")
    for r in rows:
        table.add_row(*[str(r[h]) for h in heads])
    console.print(table)


def who(by: str | None) -> str:
    import getpass

    return (by or "").strip() or getpass.getuser()  # the audit log names a person, never "cli"


# -- the queue -----------------------------------------------------------------------------------------------------

def rule_word(rule: str) -> str:
    from hvpatent.supervision import RULE_WORDS

    return RULE_WORDS.get(rule, (rule, rule))[_i()]


def status_word(status: str | None) -> str:
    from hvpatent.supervision import REVIEW_WORDS

    return REVIEW_WORDS.get(status or "pending", (status, status))[_i()]


def flag_json(flag) -> dict:
    """One flag for a JSON export: the rule, its words, the summary in both languages and the evidence."""
    return {"rule": flag.rule, "rule_words": list(rule_word_pair(flag.rule)), "summary": list(flag.summary),
            "evidence": flag.evidence}


def rule_word_pair(rule: str) -> tuple[str, str]:
    from hvpatent.supervision import RULE_WORDS

    return RULE_WORDS.get(rule, (rule, rule))


def _shown(row: dict) -> dict:
    return {**row, "rules_words": "; ".join(rule_word(r) for r in row.get("rules") or ()),
            "status_word": status_word(row.get("status")),
            "summaries": "; ".join(words(f.summary) for f in row.get("flags") or ())}


def _queue_json(row: dict) -> dict:
    return {**{k: v for k, v in row.items() if k != "flags"}, "flags": [flag_json(f) for f in row.get("flags") or ()]}


def flatten(evidence: dict, prefix: str = "") -> dict:
    """Evidence as spreadsheet columns: nested dicts as "key.sub", lists of plain values joined, lists of records as
    JSON text."""
    flat: dict = {}
    for key, value in evidence.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, list | tuple) and any(isinstance(v, dict | list | tuple) for v in value):
            flat[name] = json.dumps(value, ensure_ascii=False, default=str)
        else:
            flat[name] = plain(value)
    return flat


def _rule_sheets(rows: list[dict]) -> dict[str, list[dict]]:
    """One sheet per rule that flagged something: the application, its applicant, the finding, the evidence's keys
    as columns (in the order first seen)."""
    i, sheets = _i(), {}
    heads = (("申请号", "application number"), ("第一申请人", "first applicant"), ("情形说明", "finding"))
    for row in rows:
        for flag in row.get("flags") or ():
            name = rule_word_pair(flag.rule)[0] if i == 0 else flag.rule
            sheets.setdefault(name, []).append({heads[0][i]: row["app_no"], heads[1][i]: row.get("applicant_name"),
                                                heads[2][i]: words(flag.summary), **flatten(flag.evidence)})
    return sheets


@abnormal_app.command("queue")
def queue_cmd(
    as_of: AsOfOption = None,
    region: RegionOption = None,
    rule: Annotated[str | None, typer.Option("--rule", help="只看一条规则 / one rule only")] = None,
    status: Annotated[str | None, typer.Option("--status", help="pending | cleared | confirmed")] = None,
    config: ConfigOption = None,
    fmt: FmtOption = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """疑似非正常申请的复核队列：规则、证据与复核状态 / the review queue: suspected abnormal applications, their rules,
    evidence and review status."""
    from hvpatent.supervision import RULES, abnormal_queue

    rule = check_choice(rule, RULES, "规则", "rule", "--rule")
    status = check_choice(status, STATUSES, "复核状态", "status", "--status")
    where = region_of(region)
    day, cfg, fmt = parse_as_of(as_of), settings(config), out_format(fmt, out)
    check_out(out)
    # not read-only: a warehouse from before the reviews gets its table
    with open_warehouse(db, must_exist=True) as wh:
        rows = abnormal_queue(wh.ibis(), day, region=where, config=cfg, rule=rule, status=status)
    shown = [_shown(r) for r in rows]
    title = i18n.say(f"{day} 疑似非正常申请", f"Suspected abnormal applications {day}")
    raw = {"as_of": day, "region": where or "all", "settings": cfg.source, "settings_digest": cfg.digest(),
           "rows": [_queue_json(r) for r in rows]}
    columns = QUEUE_COLUMNS if fmt is TableFmt.table else QUEUE_EXPORT_COLUMNS
    emit(shown, columns, fmt, out, title, "abnormal.xlsx", raw=raw, extra=_rule_sheets(rows))
    if fmt is TableFmt.table and not rows:
        console.print(i18n.say("（无疑似非正常申请）", "(nothing flagged)"))


# -- a decision and the history ------------------------------------------------------------------------------------

@contextmanager
def _refused() -> Iterator[None]:
    """The room's refusal of a review ends in its message (both languages already) and exit 2, nothing written."""
    from hvpatent.supervision import ReviewError

    try:
        yield
    except ReviewError as err:
        zh, _, en = str(err).partition(" / ")   # the room writes "中文 / English"
        raise fail(zh, en or zh) from None


@abnormal_app.command("review")
def review_cmd(
    app_nos: Annotated[list[str], typer.Argument(help="申请号（可多个）/ application numbers", metavar="APP_NO...")],
    status: Annotated[str, typer.Option("--status", help="cleared（排除）| confirmed（确认）")],
    note: Annotated[str | None, typer.Option("--note", help="复核意见 / the reviewer's note")] = None,
    by: WhoOption = None,
    as_of: AsOfOption = None,
    region: RegionOption = None,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """记录复核结论（排除或确认），连同这些申请当前的疑似情形与证据 / record a decision (cleared or confirmed) with the
    applications' current flags as its evidence."""
    from hvpatent.supervision import REVIEW_STATUSES, flag_applications, record_review

    decided = check_choice(status, REVIEW_STATUSES, "复核结论", "decision", "--status")
    numbers = list(dict.fromkeys(app_number(a) for a in app_nos if a.strip()))
    if not numbers:
        raise fail("请给出申请号", "give the application numbers")
    where = region_of(region)
    day, cfg, person = parse_as_of(as_of), settings(config), who(by)
    text = (note or "").strip() or None
    with open_warehouse(db, must_exist=True) as wh, wh.lock, _refused():
        wanted = set(numbers)
        flags = [f for f in flag_applications(wh.ibis(), day, region=where, config=cfg) if f.app_no in wanted]
        count = record_review(wh.con, numbers, decided, by=person, note=text, flags=flags)
    flagged = {f.app_no for f in flags}
    console.print(i18n.say(f"已记录 {count} 件：{status_word(decided)}（复核人 {person}）",
                           f"recorded {count}: {status_word(decided)} (by {person})"), markup=False, highlight=False)
    for number in numbers:
        rules = list(dict.fromkeys(rule_word(f.rule) for f in flags if f.app_no == number))   # the rules' order
        line = "; ".join(rules) if number in flagged else i18n.say("当前无疑似情形", "not flagged now")
        console.print(f"  {number}: {line}", markup=False, highlight=False)


@abnormal_app.command("history")
def history_cmd(
    app_no: Annotated[str, typer.Argument(help="申请号 / application number")],
    fmt: Annotated[TableFmt, typer.Option("--format", help="table | json | csv | xlsx")] = TableFmt.table,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """一件申请的全部复核记录（由早到晚）/ every decision on one application, oldest first."""
    from hvpatent.supervision import review_history

    number = app_number(app_no)
    check_out(out)
    with open_warehouse(db, must_exist=True) as wh:
        rows = review_history(wh.ibis(), number)
    shown = [{**r, "status_word": status_word(r.get("status")),
              "rules_words": "; ".join(rule_word(x) for x in in_rule_order(r.get("rules") or ()))} for r in rows]
    emit(shown, HISTORY_COLUMNS, fmt, out, i18n.say(f"{number} 的复核记录", f"Reviews of {number}"),
         "abnormal-history.xlsx", raw=rows)
    if fmt is TableFmt.table and not rows:
        console.print(i18n.say("（尚无复核记录）", "(no decisions yet)"))
