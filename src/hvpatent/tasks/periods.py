"""Reporting periods and their due dates.  OWNER: H2."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hvpatent.plan.model import Plan


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period: ``key`` 2024-09 (month) | 2024Q3 (quarter) | 2024H2 (half) | 2024 (year)."""
    start: date
    end: date
    key: str
    cadence: str


def period_of(day: date, cadence: str) -> Period:
    raise NotImplementedError


def parse_period(text: str, cadence: str | None = None) -> Period:
    """A period from its key (ValueError with a bilingual message naming the accepted forms)."""
    raise NotImplementedError


def reporting_periods(plan: Plan, through: date | None = None) -> list[Period]:
    """The plan's reporting periods (Reporting.start..end), those ending on or before ``through`` when given."""
    raise NotImplementedError


def due_date(plan: Plan, period: Period) -> date:
    """The ``due_working_days``-th working day after the period's last day (reference/workdays.py)."""
    raise NotImplementedError
