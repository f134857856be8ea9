"""Reporting periods and their due dates.  OWNER: H2.

A period is a calendar month (key ``2024-09``), quarter (``2024Q3``), half year (``2024H2``) or year (``2024``).
A plan's units report every ``reporting.cadence`` period from the one holding ``reporting.start`` (default: the
plan's issue date) to the one holding ``reporting.end`` (default: its deadline); each report is due
``reporting.due_working_days`` working days after the period's last day (reference/workdays.py: the State Council's
holiday arrangements, so a due date after National Day or the Spring Festival moves past the days off).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from hvpatent.plan.model import CADENCES, Plan
from hvpatent.reference.workdays import add_working_days

_FORMS = (
    (re.compile(r"(\d{4})-(\d{1,2})"), "month"),
    (re.compile(r"(\d{4})[Qq]([1-4])"), "quarter"),
    (re.compile(r"(\d{4})[Hh]([12])"), "half"),
    (re.compile(r"(\d{4})"), "year"),
)
_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}   # months per period


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period: ``key`` 2024-09 (month) | 2024Q3 (quarter) | 2024H2 (half) | 2024 (year)."""
    start: date
    end: date
    key: str
    cadence: str

    def previous(self) -> Period:
        """The period of the same cadence just before this one."""
        return period_of(self.start - timedelta(days=1), self.cadence)

    def next(self) -> Period:
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


def _check_cadence(cadence: str) -> None:
    if cadence not in CADENCES:
        raise ValueError(f"报送周期应为 {', '.join(CADENCES)} / cadence must be one of {', '.join(CADENCES)}:"
                         f" {cadence!r}")


def period_of(day: date, cadence: str) -> Period:
    """The period of ``cadence`` that holds ``day``."""
    _check_cadence(cadence)
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
        if not 1900 <= year <= 2200 or not 1 <= index <= 12 // _MONTHS[form]:
            break
        if cadence is not None and form != cadence:
            _check_cadence(cadence)
            raise ValueError(f"报送期 {given} 不是{_ZH[cadence]}（如 {_EXAMPLE[cadence]}）"
                             f" / period {given} is not a {cadence} (e.g. {_EXAMPLE[cadence]})")
        return _build(year, index, form)
    raise ValueError(f"报送期格式有误：{given!r}，应如 2024-09（月）、2024Q3（季度）、2024H2（半年）、2024（年）"
                     f" / bad period {given!r}: expected 2024-09 (month), 2024Q3 (quarter), 2024H2 (half) or 2024"
                     " (year)")


_ZH = {"month": "月", "quarter": "季度", "half": "半年", "year": "年度"}
_EXAMPLE = {"month": "2024-09", "quarter": "2024Q3", "half": "2024H2", "year": "2024"}


def plan_span(plan: Plan) -> tuple[date, date]:
    """The days the plan's reporting covers: reporting.start (default: issued) to reporting.end (default:
    deadline)."""
    return plan.reporting.start or plan.issued, plan.reporting.end or plan.deadline


def reporting_periods(plan: Plan, through: date | None = None, *, begun: bool = False) -> list[Period]:
    """The plan's reporting periods (Reporting.start..end), those ending on or before ``through`` when given (with
    ``begun``: those that have begun by ``through``, the current period included)."""
    cadence = plan.reporting.cadence
    first, last = plan_span(plan)
    period, stop = period_of(first, cadence), period_of(last, cadence)
    found: list[Period] = []
    while period <= stop:
        if through is not None and (period.start > through if begun else period.end > through):
            break
        found.append(period)
        period = period.next()
    return found


def plan_period(plan: Plan, key: str) -> Period:
    """One of the plan's periods by its key; ValueError (bilingual) for a bad key or one outside the plan's."""
    period = parse_period(key, plan.reporting.cadence)
    periods = reporting_periods(plan)
    if period not in periods:
        raise ValueError(f"报送期 {period.key} 不在方案 {plan.key} 的报送期内（{periods[0].key} 至 {periods[-1].key}）"
                         f" / period {period.key} is not one of plan {plan.key}'s ({periods[0].key} to"
                         f" {periods[-1].key})")
    return period


def due_date(plan: Plan, period: Period) -> date:
    """The ``due_working_days``-th working day after the period's last day (reference/workdays.py)."""
    return add_working_days(period.end, plan.reporting.due_working_days)
