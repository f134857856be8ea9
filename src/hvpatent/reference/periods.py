"""Calendar periods, the one definition every room uses: a month (key ``2024-09``), quarter (``2024Q3``), half year
(``2024H2``) or year (``2024``).  The tasks room's reporting periods (tasks/periods.py) and the schedule room's
bulletin periods (schedule/editions.py) are these; what a period is *due* on is each room's own rule.

Keys are read in one spelling per cadence (a month as ``2024-09`` or ``2024-9``, a quarter ``2024Q3``/``2024q3``,
a half ``2024H2``); years run from 1900 to 2200, the range the product's day arithmetic keeps to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

CADENCES = ("month", "quarter", "half", "year")
FIRST_YEAR, LAST_YEAR = 1900, 2200
_FORMS = (
    (re.compile(r"(\d{4})-(\d{1,2})"), "month"),
    (re.compile(r"(\d{4})[Qq]([1-4])"), "quarter"),
    (re.compile(r"(\d{4})[Hh]([12])"), "half"),
    (re.compile(r"(\d{4})"), "year"),
)
_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}   # months per period
_ZH = {"month": "月", "quarter": "季度", "half": "半年", "year": "年度"}
EXAMPLES = {"month": "2024-09", "quarter": "2024Q3", "half": "2024H2", "year": "2024"}


@dataclass(frozen=True, order=True)
class Period:
    """One period: ``key`` 2024-09 (month) | 2024Q3 (quarter) | 2024H2 (half) | 2024 (year).  Periods of one
    cadence order by their start."""
    start: date
    end: date
    key: str
    cadence: str

    def previous(self) -> Period:
        """The period of the same cadence just before this one (ValueError before 1900)."""
        return period_of(self.start - timedelta(days=1), self.cadence)

    def next(self) -> Period:
        """The period of the same cadence just after this one (ValueError after 2200)."""
        return period_of(self.end + timedelta(days=1), self.cadence)


def _key(year: int, index: int, cadence: str) -> str:
    if cadence == "month":
        return f"{year}-{index:02d}"
    if cadence == "quarter":
        return f"{year}Q{index}"
    if cadence == "half":
        return f"{year}H{index}"
    return str(year)


def _build(year: int, index: int, cadence: str) -> Period:
    """The ``index``-th period (1-based) of ``cadence`` in ``year``."""
    months = _MONTHS[cadence]
    first = (index - 1) * months + 1
    last = first + months - 1
    end = date(year, 12, 31) if last == 12 else date(year, last + 1, 1) - timedelta(days=1)
    return Period(date(year, first, 1), end, _key(year, index, cadence), cadence)


def check_cadence(cadence: str, allowed: tuple[str, ...] = CADENCES) -> None:
    """ValueError (bilingual) for a cadence not in ``allowed``."""
    if cadence not in allowed:
        raise ValueError(f"周期应为 {', '.join(allowed)} / cadence must be one of {', '.join(allowed)}:"
                         f" {str(cadence)[:20]!r}")


def period_of(day: date, cadence: str) -> Period:
    """The period of ``cadence`` that holds ``day``; ValueError for a day outside 1900..2200."""
    check_cadence(cadence)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"日期 {day} 不在 {FIRST_YEAR} 至 {LAST_YEAR} 年之间 / day {day} is outside the years "
                         f"{FIRST_YEAR} to {LAST_YEAR}")
    return _build(day.year, (day.month - 1) // _MONTHS[cadence] + 1, cadence)


def parse_period(text: str, cadence: str | None = None) -> Period:
    """A period from its key (ValueError with a bilingual message naming the accepted forms).  ``cadence`` given,
    the key must be of that cadence."""
    given = str(text).strip()
    for pattern, form in _FORMS:
        match = pattern.fullmatch(given)
        if not match:
            continue
        year = int(match.group(1))
        index = int(match.group(2)) if form != "year" else 1
        if not FIRST_YEAR <= year <= LAST_YEAR or not 1 <= index <= 12 // _MONTHS[form]:
            break
        if cadence is not None and form != cadence:
            check_cadence(cadence)
            raise ValueError(f"报送期 {given} 不是{_ZH[cadence]}（如 {EXAMPLES[cadence]}）"
                             f" / period {given} is not a {cadence} (e.g. {EXAMPLES[cadence]})")
        return _build(year, index, form)
    shown = given if len(given) <= 20 else given[:20] + "…"
    raise ValueError(f"报送期格式有误：{shown!r}，应如 2024-09（月）、2024Q3（季度）、2024H2（半年）、2024（年），"
                     f"年份在 {FIRST_YEAR} 至 {LAST_YEAR} 之间 / bad period {shown!r}: expected 2024-09 (month), "
                     f"2024Q3 (quarter), 2024H2 (half) or 2024 (year), years {FIRST_YEAR} to {LAST_YEAR}")
