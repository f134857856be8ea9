"""`hvp trademarks`: effective trademarks (list, one mark), renewal warnings and renewal reminder letters."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from hvpatent.cli.common import (
    AsOfOption,
    DbOption,
    Fmt,
    FormatOption,
    OutOption,
    analytics_backend,
    app,
    console,
    emit,
    err_console,
    open_warehouse,
    parse_as_of,
)
from hvpatent.i18n import lang

trademarks_app = typer.Typer(help="商标：有效商标清单、单件商标、续展预警与提醒函 / trademarks", no_args_is_help=True)
app.add_typer(trademarks_app, name="trademarks")

WithinOption = Annotated[str, typer.Option("--within", help="预警窗口，如 180d / window, e.g. 180d")]
LIST_COLUMNS = (("reg_no", "注册号", "reg. no."), ("nice_class", "类别", "class"), ("mark_name", "商标名称", "mark"),
                ("mark_kind", "商标种类", "kind"), ("applicant_name", "注册人", "owner"),
                ("town_code", "镇街代码", "town code"), ("state", "状态", "state"),
                ("registration_date", "注册公告日", "registered"), ("term_end", "专用权期限至", "term ends"))
WARN_COLUMNS = (("kind", "预警事项", "warning"), ("reg_no", "注册号", "reg. no."), ("nice_class", "类别", "class"),
                ("mark_name", "商标名称", "mark"), ("owner", "注册人", "owner"), ("deadline", "期限", "deadline"),
                ("days_left", "剩余天数", "days left"), ("action", "办理事项", "what to do"))


def _w(zh: str, en: str) -> str:
    return zh if lang() == "zh" else en


def _days(text: str) -> int:
    value = text.strip().lower().removesuffix("d")
    if not value.isdigit() or not 0 < int(value) <= 3650:
        raise typer.BadParameter(_w("例如 180d（1 至 3650 天）", "e.g. 180d (1 to 3650 days)"), param_hint="--within")
    return int(value)


def _shown(rows: list[dict], columns: tuple) -> list[dict]:
    """Rows for the printed table: the chosen columns under headers of the language."""
    i = 1 if lang() == "zh" else 2
    return [{c[i]: r.get(c[0]) for c in columns} for r in rows]


TM_REGION_OPTION = Annotated[str | None, typer.Option(
    "--region", help="区划代码（6 位，镇街 9 或 12 位；默认方案地区；all = 全部，含境外注册人）"
                     " / region code (default: the plan's; all = every mark)")]
CODE = re.compile(r"\d{6}(\d{3}(\d{3})?)?")


def _region(region: str | None) -> str:
    """The region the command reads: the plan's by default (as the dashboard), ``all`` (indicators.ALL_APPLICANTS:
    every mark, foreign owners included), or a code of 6 digits or a town's 9 or 12 (stored as 12)."""
    from hvpatent.indicators import ALL_APPLICANTS
    from hvpatent.reference.regions import normalize_code

    if region is None:
        from hvpatent.plan import load_plan

        return load_plan().region
    text = region.strip()
    if text.lower() == ALL_APPLICANTS:
        return ALL_APPLICANTS
    if not CODE.fullmatch(text):
        raise typer.BadParameter(_w("6 位区划代码、9 或 12 位镇街代码，或 all", "a 6-digit region code, a 9- or "
                                    "12-digit town code, or all"), param_hint="--region")
    return normalize_code(text)


def _town(town: str | None) -> str | None:
    from hvpatent.reference.regions import normalize_code

    if town is None:
        return None
    if not re.fullmatch(r"\d{9}(\d{3})?", town.strip()):
        raise typer.BadParameter(_w("9 或 12 位镇街代码", "a 9- or 12-digit town code"), param_hint="--town")
    return normalize_code(town.strip())


@trademarks_app.command("list")
def list_cmd(
    as_of: AsOfOption = None,
    region: TM_REGION_OPTION = None,
    town: Annotated[str | None, typer.Option("--town", help="镇街代码（9 或 12 位）/ town code")] = None,
    nice_class: Annotated[int | None, typer.Option("--class", min=1, max=45, help="尼斯分类 1-45 / Nice class")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="注册人名称 / owner name")] = None,
    kind: Annotated[str | None, typer.Option(
        "--kind", help="ordinary | collective | certification | special | gi | madrid")] = None,
    fmt: FormatOption = Fmt.table,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """有效商标清单（按类别计）/ effective trademarks (one row per class)."""
    from hvpatent.trademarks.listing import LIST_KINDS, mark_list

    if kind is not None and kind not in LIST_KINDS:
        raise typer.BadParameter(" | ".join(LIST_KINDS), param_hint="--kind")
    where, town = _region(region), _town(town)
    day = parse_as_of(as_of)
    with open_warehouse(db, read_only=True) as wh:
        rows = mark_list(analytics_backend(wh), day, where, town=town, nice_class=nice_class, owner=owner, kind=kind)
    title = _w(f"有效商标（截至 {day}）：{len(rows)} 件", f"Effective trademarks (as of {day}): {len(rows)}")
    emit({_w("有效商标", "trademarks"): rows if fmt is not Fmt.table else _shown(rows, LIST_COLUMNS)}, fmt, out,
         title=title)


@trademarks_app.command("show")
def show_cmd(
    reg_no: Annotated[str, typer.Argument(help="注册号 / registration number")],
    nice_class: Annotated[int | None, typer.Option("--class", min=1, max=45, help="尼斯分类 / Nice class")] = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = Fmt.table,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """单件商标：著录项目、当日状态、续展期与宽展期、事件 / one trademark: its row, state, events."""
    from hvpatent.trademarks.listing import mark_classes, mark_detail

    day = parse_as_of(as_of)
    number = reg_no.strip()
    with open_warehouse(db, read_only=True) as wh:
        con = analytics_backend(wh)
        classes = [nice_class] if nice_class is not None else mark_classes(con, number)
        details = [d for c in classes if (d := mark_detail(con, number, c, day)) is not None]
    if not details:
        shown = number[:40]
        err_console.print(_w(f"仓库中没有注册号 {shown}" + (f" 第 {nice_class} 类" if nice_class else "") + " 的商标",
                             f"No trademark {shown}" + (f" in class {nice_class}" if nice_class else "")
                             + " in the warehouse"), markup=False, highlight=False)
        raise typer.Exit(1)
    if fmt is Fmt.json:
        emit({"trademarks": details}, fmt, out)
        return
    sheets: dict[str, list[dict]] = {}
    for d in details:
        m, s = d["mark"], d["state"]
        head = f"{m['reg_no']} / {m['nice_class']}"
        facts = [("商标名称", "mark", m["mark_name"]), ("注册人", "owner", m["owner"]),
                 ("商标种类", "kind", m["mark_kind"]), ("地理标志", "geographical indication", m["is_gi"]),
                 ("马德里国际注册", "Madrid", m["is_madrid"]), ("镇街代码", "town code", m["town_code"]),
                 ("申请日", "filed", m["filing_date"]), ("注册公告日", "registered", m["registration_date"]),
                 (f"{day} 状态", f"state on {day}", s["state"]), ("有效", "effective", s["effective"]),
                 ("专用权期限至", "term ends", s["term_end"]), ("续展期起", "renewal opens", s["renewal_opens"]),
                 ("宽展期至", "grace ends", s["grace_end"]),
                 ("导出状态", "exported status", f"{m['status_text'] or ''} ({m['status_date'] or ''})")]
        i = 0 if lang() == "zh" else 1
        sheets[head] = [{_w("项目", "item"): f[i], _w("内容", "value"): f[2]} for f in facts]
        sheets[head + _w(" 事件", " events")] = [
            {_w("日期", "date"): e["event_date"], _w("事件", "event"): e["event_type"],
             _w("生效日", "effective"): e["effective_date"], _w("说明", "detail"): e["detail"]} for e in d["events"]]
    emit(sheets, fmt, out)


@trademarks_app.command("warn")
def warn_cmd(
    as_of: AsOfOption = None,
    within: WithinOption = "180d",
    region: TM_REGION_OPTION = None,
    fmt: FormatOption = Fmt.table,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """续展预警：续展期将至或已开始、处于宽展期的注册商标（《商标法》第四十条）/ renewals due and in grace."""
    from hvpatent.trademarks.warnings import TM_KIND_LABELS, renewal_warnings

    where = _region(region)
    day = parse_as_of(as_of)
    with open_warehouse(db, read_only=True) as wh:
        rows = renewal_warnings(analytics_backend(wh), day, _days(within), where)
    if fmt is Fmt.table:
        i = 0 if lang() == "zh" else 1
        rows = [{**r, "kind": TM_KIND_LABELS[r["kind"]][i], "action": r["action"] if i == 0 else r["action_en"]}
                for r in rows]
        rows = _shown(rows, WARN_COLUMNS)
    emit({_w("商标续展预警", "renewal warnings"): rows}, fmt, out,
         title=_w(f"商标续展预警（截至 {day}）：{len(rows)} 件", f"Trademark renewals (as of {day}): {len(rows)}"))


@trademarks_app.command("letters")
def letters_cmd(
    out: Annotated[Path, typer.Option("--out", help="输出目录 / output folder")],
    as_of: AsOfOption = None,
    within: WithinOption = "180d",
    region: TM_REGION_OPTION = None,
    issuer: Annotated[str | None, typer.Option(help="发函单位（默认：方案所在地区知识产权局）")] = None,
    db: DbOption = None,
) -> None:
    """每个有续展预警的注册人一封提醒函（Word）/ one renewal reminder (docx) per owner with warnings."""
    from hvpatent.reports.letters import write_trademark_letter
    from hvpatent.trademarks.warnings import by_owner, renewal_warnings

    where = _region(region)
    day = parse_as_of(as_of)
    with open_warehouse(db, read_only=True) as wh:
        rows = renewal_warnings(analytics_backend(wh), day, _days(within), where)
    if not rows:
        err_console.print(_w(f"{day} 起 {within} 内没有需要续展的商标", f"No renewals due within {within} of {day}"))
        raise typer.Exit(1)
    if issuer is None:
        from hvpatent.indicators import ALL_APPLICANTS
        from hvpatent.plan import load_plan
        from hvpatent.reports import default_issuer

        issuer = default_issuer(load_plan().region if where == ALL_APPLICANTS else where)
    groups = list(by_owner(rows).values())
    owners = [g[0]["owner"] or g[0]["owner_norm"] for g in groups]
    written = [write_trademark_letter(owner, owner_rows, day, issuer, out / name, lang())
               for owner, owner_rows, name in zip(owners, groups, letter_file_names(owners, day, lang()), strict=True)]
    console.print(_w(f"已写入 {len(written)} 封提醒函到 {out}", f"Wrote {len(written)} letters to {out}"),
                  markup=False, highlight=False)


def letter_file_name(owner: str, day, language: str = "zh", n: int = 1) -> str:
    """A file name safe on any disk: letters (any script), digits, '-' and '.'; the rest becomes '_'; the n-th
    owner with the same cleaned name gets '-n' after it."""
    name = re.sub(r"[^\w.\-]", "_", owner, flags=re.UNICODE).strip("._")[:80] or "owner"
    return (f"{'商标续展提醒函' if language == 'zh' else 'trademark-renewal'}-{name}{f'-{n}' if n > 1 else ''}"
            f"-{day.isoformat()}.docx")


def letter_file_names(owners: list[str], day, language: str = "zh") -> list[str]:
    """One file name per owner, in order, none the same (compared case-blind, as some disks do): two owners whose
    cleaned names are equal (e.g. 'A/B' and 'A:B') get '-2', '-3' ... instead of overwriting each other."""
    used: set[str] = set()
    names = []
    for owner in owners:
        n = 1
        while (name := letter_file_name(owner, day, language, n)).casefold() in used:
            n += 1
        used.add(name.casefold())
        names.append(name)
    return names
