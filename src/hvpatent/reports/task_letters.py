"""Reminder letters (催报函) to a unit that has not filed its progress reports on the plan's tasks: addressed to
the unit, a table of its overdue reports (task, period, due date, working days overdue), a request to file them
within a number of working days (the date is counted on China's working-day calendar, reference/workdays.py), the
issuing office and the date.  Chinese, or English with ``lang="en"``.  Every name and title is a plain text run,
cleaned of the characters XML forbids (docx_writer._paragraph, _table)."""

from __future__ import annotations

import io
import re
from datetime import date

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH

from hvpatent.plan.model import Plan
from hvpatent.reference.workdays import add_working_days
from hvpatent.reports.bulletin import Table
from hvpatent.reports.docx_writer import BODY_FONT, HEADING_FONT, TITLE_FONT, _paragraph, _table

FILE_WITHIN = 5   # working days the letter gives the unit to file
WORDS: dict[str, tuple[str, str]] = {
    "overdue": ("逾期未报送的进展报告", "Progress reports overdue"),
    "task": ("任务", "Task"), "period": ("报送期", "Period"), "due": ("报送截止日", "Due date"),
    "days": ("逾期工作日", "Working days overdue"),
    "issuer": ("知识产权局", "Intellectual Property Office"),
}
HALF = {"1": "上半年", "2": "下半年"}
# Path separators, characters Windows forbids, control characters and dot runs: none may reach a file or zip name.
UNSAFE_NAME = re.compile(r'(?:[\\/:*?"<>|\x00-\x1f\x7f]|\.{2,})+')
# Windows' device names: "CON.docx" or "nul" opens the device, not a file, whatever the extension.
RESERVED_NAMES = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(10)),
                            *(f"LPT{n}" for n in range(10))})
NAME_CHARS = 100


def safe_file_name(name: str) -> str:
    """A unit's (or any plan-given) name as a file or zip entry name: no path or control characters, no dot runs,
    never empty, a dot name or a Windows device name (CON, NUL, COM1 … get a leading "_"), at most 100 characters,
    never ending in a dot or a space (Windows drops them)."""
    cleaned = UNSAFE_NAME.sub("_", name).strip(" .")
    if not cleaned.strip("_"):
        return "unit"
    if cleaned.split(".", 1)[0].rstrip(" ").upper() in RESERVED_NAMES:
        cleaned = f"_{cleaned}"
    return cleaned[:NAME_CHARS].rstrip(" .")


def unique_file_names(names: list[str]) -> list[str]:
    """``names`` (file names, in order) made distinct: a name already given (ignoring case, as Windows and macOS
    do) gets "-2", "-3" … before its extension, so that no letter overwrites another when two units' names clean
    to the same text.  One helper for the web's zip and the CLI's folder."""
    taken: set[str] = set()
    out: list[str] = []
    for name in names:
        stem, dot, suffix = name.rpartition(".")
        stem, suffix = (stem, f".{suffix}") if dot and stem else (name, "")
        candidate, n = name, 1
        while candidate.casefold() in taken:
            n += 1
            candidate = f"{stem}-{n}{suffix}"
        taken.add(candidate.casefold())
        out.append(candidate)
    return out


def period_label(key: str, i: int = 0) -> str:
    """2024-09 → 2024年9月, 2024Q3 → 2024年第3季度, 2024H2 → 2024年下半年, 2024 → 2024年 (the key in English)."""
    if i:
        return key
    if m := re.fullmatch(r"(\d{4})-(\d{2})", key):
        return f"{m[1]}年{int(m[2])}月"
    if m := re.fullmatch(r"(\d{4})Q([1-4])", key):
        return f"{m[1]}年第{m[2]}季度"
    if m := re.fullmatch(r"(\d{4})H([12])", key):
        return f"{m[1]}年{HALF[m[2]]}"
    return f"{key}年" if re.fullmatch(r"\d{4}", key) else key


def _when(day: date, i: int) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if i == 0 else day.isoformat()


def _signature(issuer: str, i: int) -> str:
    """An English letter signed by a Chinese office name alone gets the English title, the name in brackets."""
    if i == 1 and not re.search(r"[A-Za-z]", issuer) and re.search(r"[\u3400-\u9fff]", issuer):
        return f"{WORDS['issuer'][1]} ({issuer})"
    return issuer


def _overdue(rows: list, unit: str) -> list:
    return sorted((r for r in rows if r.unit == unit and r.status == "overdue"),
                  key=lambda r: (r.due, r.task_number))


def reminder_letter(plan: Plan, unit: str, rows: list, as_of: date, *, issuer: str | None = None,
                    lang: str = "zh", issued_on: date | None = None, within: int = FILE_WITHIN) -> bytes:
    """A docx letter to ``unit`` listing its overdue reports among ``rows`` (ReportStatus rows, e.g.
    tasks.overdue(con, plan, as_of)), asking it to file them within ``within`` working days of ``issued_on``
    (default ``as_of``).  ``issuer``: the signing office (default reports.bulletin.default_issuer(plan.region))."""
    from hvpatent.reports.bulletin import default_issuer

    i = 1 if lang == "en" else 0
    w = {k: v[i] for k, v in WORDS.items()}
    issued_on = issued_on or as_of
    by_day = add_working_days(issued_on, within)
    mine = _overdue(rows, unit)
    name = plan.name if i == 0 else plan.name_en
    doc = Document()
    _paragraph(doc, f"关于报送《{name}》重点任务进展情况的催报函" if i == 0 else
               f"Reminder: progress reports on the key tasks of the {name}", TITLE_FONT, 22,
               align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(doc, f"{unit}：" if i == 0 else f"To {unit}:", BODY_FONT, 16, indent=False)
    _paragraph(doc, f"根据《{name}》的工作安排，各报送单位应在每个报送期结束后按期报送重点任务进展情况。经核查，"
                    f"截至{_when(as_of, i)}，贵单位尚有{len(mine)}份进展报告逾期未报送，详见下表：" if i == 0 else
                    f"Under the {name}, each reporting unit reports on its key tasks after every reporting period. "
                    f"As of {as_of.isoformat()}, {len(mine)} of your progress reports are overdue:")
    columns = [(k, w[k]) for k in ("task", "period", "due", "days")]
    _table(doc, Table(w["overdue"], columns, [
        {"task": f"{r.task_number}. {r.task_title}", "period": period_label(r.period, i),
         "due": _when(r.due, i), "days": r.working_days_late} for r in mine], wrap=("task",)))
    # the last day is named as included ("含当日"): a filing on it is in time, which "于X前" alone leaves open
    _paragraph(doc, f"请贵单位在{within}个工作日内、即{_when(by_day, i)}（含当日）前通过系统补报上述进展报告。"
                    "如有特殊情况，请及时与本局联系。" if i == 0 else
                    f"Please file these reports in the system by {by_day.isoformat()}, that day included (within "
                    f"{within} working days), or contact this office if there is a reason you cannot.")
    signer = _signature(issuer or default_issuer(plan.region), i)
    _paragraph(doc, signer, HEADING_FONT, 16, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    _paragraph(doc, _when(issued_on, i), BODY_FONT, 16, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def reminder_letters(plan: Plan, rows: list, as_of: date, **options) -> dict[str, bytes]:
    """{unit: letter} for every unit with an overdue report among ``rows``, in the plan's unit order (options:
    those of reminder_letter)."""
    order = {u: n for n, u in enumerate(plan.units())}
    units = sorted({r.unit for r in rows if r.status == "overdue"}, key=lambda u: (order.get(u, len(order)), u))
    return {u: reminder_letter(plan, u, rows, as_of, **options) for u in units}
