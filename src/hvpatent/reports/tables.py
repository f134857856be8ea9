"""Tabular exports with Chinese (or English) headers; numbers stay numbers, one sheet per table."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from hvpatent.i18n import lang
from hvpatent.reports.safe_cells import neutralise, safe_value, sheet_title

COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "app_no": ("申请号", "application number"), "patent_type": ("专利类型", "type"),
    "filing_date": ("申请日", "filing date"), "grant_date": ("授权日", "grant date"),
    "state": ("法律状态", "legal state"), "years_maintained": ("维持年限", "years maintained"),
    "applicant_name": ("第一申请人", "first applicant"), "applicant_type": ("申请人类型", "applicant type"),
    "applicant": ("申请人(规范名)", "applicant (normalised)"), "town_code": ("镇街代码", "town code"),
    "town": ("镇街", "town"), "country": ("国别", "country"),
    "county_code": ("区县代码", "county code"), "criteria": ("高价值情形", "criteria"),
    "criterion": ("情形", "criterion"), "evidence": ("依据", "evidence"),
    "contract_no": ("质押登记号", "contract no."), "pledgor": ("出质人", "pledgor"),
    "pledgee": ("质权人", "pledgee"), "registered_date": ("登记日", "registered"),
    "released_date": ("解除日", "released"), "amount_yuan": ("质押金额(元)", "amount (CNY)"),
    "region_code": ("区划代码", "region code"), "as_of_date": ("统计日期", "as of"),
    "effective_count": ("有效商标注册量", "effective trademarks"),
    "trademark_key": ("注册号/类别", "registration / class"), "reg_no": ("注册号", "registration number"),
    "nice_class": ("国际分类", "Nice class"), "mark_name": ("商标名称", "mark"),
    "mark_kind": ("商标类型", "kind of mark"),
    "is_gi": ("地理标志", "geographical indication"), "is_madrid": ("马德里国际注册", "Madrid registration"),
    "registration_date": ("注册公告日期", "registration date"), "term_end": ("专用权期限届满日", "term ends"),
    "province_code": ("省级代码", "province code"), "city_code": ("市级代码", "city code"),
    "key": ("指标代码", "indicator key"), "name": ("指标", "indicator"), "unit": ("单位", "unit"),
    "group": ("分组", "group"), "value": ("数值", "value"), "previous": ("上期", "previous period"),
    "change_pct": ("环比(%)", "period-on-period (%)"), "last_year": ("上年同期", "same period last year"),
    "yoy_pct": ("同比(%)", "year-on-year (%)"), "title": ("名称", "title"),
}


def to_frame(rows: list[dict] | pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    if columns:
        frame = frame[[c for c in columns if c in frame.columns]]
    return frame


def _header(column: str) -> str:
    labels = COLUMN_LABELS.get(column)
    return column if labels is None else labels[0 if lang() == "zh" else 1]


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path) -> Path:
    """One sheet per table, translated headers, values kept as numbers and dates. Every text cell is a
    string cell, neutralised against formula injection and cleaned of characters XML forbids
    (reports/safe_cells.py), so data from any import can be exported and no spreadsheet evaluates it."""
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for title, frame in sheets.items():
        ws = wb.create_sheet(_unique(sheet_title(str(title)), used))
        ws.append([_text_cell(ws, neutralise(str(_header(c)))) for c in frame.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in frame.itertuples(index=False):
            ws.append([_cell(ws, v) for v in row])
        for i, column in enumerate(frame.columns, 1):
            ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(_header(column)) * 2 + 4))
        ws.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


_STORABLE = (str, int, float, Decimal, bool, date, datetime, time, timedelta)


def _unique(name: str, used: set[str]) -> str:
    """Excel compares sheet names case-insensitively; two tables never share one."""
    candidate, n = name, 2
    while candidate.lower() in used:
        candidate = f"{name[:28]}_{n}"
        n += 1
    used.add(candidate.lower())
    return candidate


def _cell(ws, value: object):
    if _missing(value):
        return None
    value = _plain(value)
    if not isinstance(value, _STORABLE):  # lists, dicts, …: their text, as a person would read it
        value = "、".join(map(str, value)) if isinstance(value, list | tuple | set) else str(value)
    value = safe_value(value)
    return _text_cell(ws, value) if isinstance(value, str) else value


def _text_cell(ws, text: str) -> Cell:
    """A string cell: openpyxl would otherwise store "=…" as a formula and "#N/A" as an error."""
    cell = Cell(ws, value=text)
    cell.data_type = "s"
    return cell


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _plain(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().date()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value
