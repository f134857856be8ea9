"""Reporting periods and their due dates.  OWNER: H2.

A period (reference/periods.py) is a calendar month (key ``2024-09``), quarter (``2024Q3``), half year
(``2024H2``) or year (``2024``).
A plan's units report every ``reporting.cadence`` period from the one holding ``reporting.start`` (default: the
plan's issue date) to the one holding ``reporting.end`` (default: its deadline); each report is due
``reporting.due_working_days`` working days after the period's last day (reference/workdays.py: the State Council's
holiday arrangements, so a due date after National Day or the Spring Festival moves past the days off).
"""

from __future__ import annotations

from datetime import date

from hvpatent.plan.model import Plan
from hvpatent.reference.periods import CADENCES, Period, parse_period, period_of
from hvpatent.reference.workdays import add_working_days

# Period, period_of and parse_period live in reference/periods.py (one definition for the tasks and the schedule
# rooms); they are re-exported here so `from hvpatent.tasks.periods import Period` keeps working.
__all__ = ["CADENCES", "Period", "due_date", "parse_period", "period_of", "plan_period", "plan_span",
           "reporting_periods"]


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
        if period == stop:  # not next(): the period after one ending in 2200 is outside the calendar's years
            break
        period = period.next()
    return found


def plan_period(plan: Plan, key: str) -> Period:
    """One of the plan's periods by its key; ValueError (bilingual) for a bad key or one outside the plan's."""
    period = parse_period(key, plan.reporting.cadence)
    periods = reporting_periods(plan)
    if not periods:  # a reporting window that holds no period (start after end): say so, not an IndexError
        first, last = plan_span(plan)
        raise ValueError(f"方案 {plan.key} 没有报送期（{first} 至 {last}）/ plan {plan.key} has no reporting periods"
                         f" ({first} to {last})")
    if period not in periods:
        raise ValueError(f"报送期 {period.key} 不在方案 {plan.key} 的报送期内（{periods[0].key} 至 {periods[-1].key}）"
                         f" / period {period.key} is not one of plan {plan.key}'s ({periods[0].key} to"
                         f" {periods[-1].key})")
    return period


def due_date(plan: Plan, period: Period) -> date:
    """The ``due_working_days``-th working day after the period's last day (reference/workdays.py)."""
    return add_working_days(period.end, plan.reporting.due_working_days)
