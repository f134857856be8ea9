"""The period a form reports: a month (2024-03), a quarter (2024-Q1), a year (2024) or a range of months
(2024-01..2024-06), as the forms print it (2024年3月, 2024年1-6月)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4})-(\d{1,2})\.\.(\d{4})-(\d{1,2})$")
FIRST_YEAR, LAST_YEAR = 1985, 2100  # the Patent Law's first year; the end of the dates figures are asked for


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def key(self) -> str:
        """The period as given on the command line, for file names and URLs."""
        first, last = self.start, self.end
        if (first.month, last.month) == (1, 12) and first.year == last.year:
            return f"{first.year}"
        if first.year == last.year and first.month == last.month:
            return f"{first.year}-{first.month:02d}"
        if first.year == last.year and first.month % 3 == 1 and last.month == first.month + 2:
            return f"{first.year}-Q{(first.month + 2) // 3}"
        return f"{first.year}-{first.month:02d}..{last.year}-{last.month:02d}"

    def label(self, lang: str = "zh") -> str:
        """年月 as the forms print them: 2007年10月, 2024年1-6月, 2024年, 2023年11月-2024年2月."""
        first, last = self.start, self.end
        if lang != "zh":
            if first.year == last.year and first.month == last.month:
                return first.strftime("%B %Y")
            return f"{first.strftime('%b %Y')} – {last.strftime('%b %Y')}"
        if first.year == last.year and (first.month, last.month) == (1, 12):
            return f"{first.year}年"
        if first.year == last.year and first.month == last.month:
            return f"{first.year}年{first.month}月"
        if first.year == last.year:
            return f"{first.year}年{first.month}-{last.month}月"
        return f"{first.year}年{first.month}月-{last.year}年{last.month}月"


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _checked(year: int, month: int, text: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR or not 1 <= month <= 12:
        raise PeriodError(f"统计期「{text}」超出范围（{FIRST_YEAR}–{LAST_YEAR} 年，1–12 月） / period out of range")


def parse_period(text: str) -> Period:
    """``2024-03`` | ``2024-Q1`` | ``2024`` | ``2024-01..2024-06``; anything else is a PeriodError."""
    text = (text or "").strip()
    if m := _MONTH.match(text):
        year, month = int(m[1]), int(m[2])
        _checked(year, month, text)
        return Period(date(year, month, 1), _month_end(year, month))
    if m := _QUARTER.match(text):
        year, quarter = int(m[1]), int(m[2])
        _checked(year, 1, text)
        return Period(date(year, quarter * 3 - 2, 1), _month_end(year, quarter * 3))
    if m := _YEAR.match(text):
        year = int(m[1])
        _checked(year, 1, text)
        return Period(date(year, 1, 1), date(year, 12, 31))
    if m := _RANGE.match(text):
        y1, m1, y2, m2 = (int(g) for g in m.groups())
        _checked(y1, m1, text)
        _checked(y2, m2, text)
        period = Period(date(y1, m1, 1), _month_end(y2, m2))
        if period.start > period.end:
            raise PeriodError(f"统计期「{text}」的起点晚于终点 / the period starts after it ends")
        return period
    raise PeriodError(f"无法识别统计期「{text}」：应为 2024-03、2024-Q1、2024 或 2024-01..2024-06 / "
                      "period must be YYYY-MM, YYYY-Qn, YYYY or YYYY-MM..YYYY-MM")
