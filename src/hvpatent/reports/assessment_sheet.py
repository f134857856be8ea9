"""The assessment sheet (考核评分表) as an Excel workbook: a summary sheet (rank, unit, the three parts, total,
notes) under the weights and the settings file they came from, then one sheet per unit with its tasks' details
(timeliness and indicator scores).  Numbers stay numbers; every text cell is a string cell made safe by
reports/safe_cells.py, so a unit's or a task's text beginning with "=" is shown, never evaluated."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font

from hvpatent.i18n import half
from hvpatent.plan.model import Plan
from hvpatent.reports.safe_cells import safe_value, sheet_title
from hvpatent.tasks import STATUS_WORDS

WORDS: dict[str, tuple[str, str]] = {
    "title": ("考核评分表", "Assessment sheet"), "summary": ("汇总", "Summary"),
    "plan": ("方案", "Plan"), "period": ("报送期", "Reporting period"), "as_of": ("数据截至", "As of"),
    "weights": ("权重", "Weights"), "source": ("设置来源", "Settings from"),
    "timeliness": ("报送及时性", "Timeliness"), "indicators": ("指标进展", "Indicator progress"),
    "qualitative": ("定性评价分", "Qualitative score"), "total": ("总分", "Total"), "rank": ("排名", "Rank"),
    "unit": ("单位", "Unit"), "notes": ("说明", "Notes"), "task": ("任务", "Task"), "status": ("报送状态", "Status"),
    "indicator": ("指标", "Indicator"), "direction": ("变动", "Change"), "score": ("得分", "Score"),
    "rule": ("缺少某项得分时，其权重按其余各项的权重比例分配；总分相同者并列排名。",
             "A missing part's weight is shared among the others in proportion to their weights; equal totals "
             "share a rank."),
}
# the tasks room's one wording of each status (tasks/status.py), and a dash for a task without a status row
SHEET_STATUS_WORDS: dict[str | None, tuple[str, str]] = {**STATUS_WORDS, None: ("—", "—")}
DIRECTION_WORDS = {"up": ("上升", "up"), "flat": ("持平", "flat"), "down": ("下降", "down"),
                   None: ("无数据", "no data")}


def _cell(ws, value: object) -> object:
    """A safe cell: text as a string cell (openpyxl would store "=…" as a formula), numbers as they are."""
    value = safe_value(value)
    if isinstance(value, str):
        cell = Cell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def _append(ws, values: list, bold: bool = False) -> None:
    ws.append([_cell(ws, v) for v in values])
    if bold:
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)


def _head(ws, plan: Plan, period: str, as_of: date, config, i: int, w: dict[str, str]) -> None:
    weights = config.assessment["weights"]
    _append(ws, [f"{plan.name if i == 0 else plan.name_en} {w['title']}"], bold=True)
    _append(ws, [w["period"], period])
    _append(ws, [w["as_of"], as_of.isoformat()])
    _append(ws, [w["weights"], "，".join(f"{w[p]} {weights.get(p, 0):g}"
                                         for p in ("timeliness", "indicators", "qualitative"))])
    _append(ws, [w["source"], config.source])
    _append(ws, [w["rule"]])
    _append(ws, [])


def _summary(ws, rows: list, i: int, w: dict[str, str]) -> None:
    _append(ws, [w[k] for k in ("rank", "unit", "timeliness", "indicators", "qualitative", "total", "notes")],
            bold=True)
    for r in rows:
        _append(ws, [r.rank, r.unit, r.timeliness, r.indicators, r.qualitative, r.total,
                     "；".join(half(n, i) for n in r.notes)])
    for letter, width in zip("ABCDEFG", (6, 20, 12, 12, 12, 10, 60), strict=True):
        ws.column_dimensions[letter].width = width


def _unit_sheet(ws, row, i: int, w: dict[str, str]) -> None:
    _append(ws, [row.unit, w["total"], row.total, w["rank"], row.rank], bold=True)
    _append(ws, [w[k] for k in ("task", "status", "timeliness", "indicator", "direction", "score")], bold=True)
    for d in row.details:
        task = f"{d['task_number']}. {d['title']}"
        status = SHEET_STATUS_WORDS.get(d["status"], (d["status"], d["status"]))[i]
        _append(ws, [task, status, d["timeliness"], None, None, None])
        for ind in d["indicators"]:
            _append(ws, [None, None, None, ind["name"], DIRECTION_WORDS.get(ind["direction"], ("", ""))[i],
                         ind["score"]])
    for letter, width in zip("ABCDEF", (30, 12, 12, 24, 10, 10), strict=True):
        ws.column_dimensions[letter].width = width


def write_assessment_xlsx(rows: list, plan: Plan, period: str, as_of: date, lang: str = "zh", *,
                          config=None) -> bytes:
    """The workbook's bytes: the summary sheet, then one sheet per unit (named after it, made unique).  ``config``:
    the settings the rows were scored with (default: load_config()), whose weights and source head the summary."""
    if config is None:
        from hvpatent.tasks import load_config

        config = load_config()
    i = 1 if lang == "en" else 0
    w = {k: v[i] for k, v in WORDS.items()}
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title(w["summary"])
    _head(ws, plan, period, as_of, config, i, w)
    _summary(ws, rows, i, w)
    used = {ws.title.lower()}
    for row in rows:
        name, n = sheet_title(row.unit), 2
        while name.lower() in used:
            name = f"{sheet_title(row.unit)[:28]}_{n}"
            n += 1
        used.add(name.lower())
        _unit_sheet(wb.create_sheet(name), row, i, w)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
