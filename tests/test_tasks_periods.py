"""Reporting periods and due dates (tasks/periods.py): a plan's periods and due dates counted in China's working days
past National Day 2024 and the Spring Festival 2024 (docs/tasks.md).  The calendar itself (keys of every cadence,
previous/next) is tests/test_reference_periods.py."""

from dataclasses import replace
from datetime import date

import pytest

from hvpatent.plan.model import Reporting, load_plan
from hvpatent.tasks.periods import Period, due_date, parse_period, period_of, plan_period, reporting_periods


@pytest.fixture(scope="module")
def plan():
    return load_plan()


def test_the_calendar_is_re_exported_from_reference_periods():
    # tasks.periods keeps the plan's part; Period, period_of and parse_period are reference/periods.py's.
    from hvpatent.reference import periods as reference

    assert (Period, period_of, parse_period) == (reference.Period, reference.period_of, reference.parse_period)


def test_plan_periods_run_from_issue_to_deadline(plan):
    # Seed plan: issued 2022-10-13, deadline 2024-12-31, quarterly.
    keys = [p.key for p in reporting_periods(plan)]
    assert keys == ["2022Q4", "2023Q1", "2023Q2", "2023Q3", "2023Q4", "2024Q1", "2024Q2", "2024Q3", "2024Q4"]


def test_plan_periods_through_a_day(plan):
    # Ending on or before the day: 2024Q3 ends 2024-09-30.
    assert reporting_periods(plan, date(2024, 9, 29))[-1].key == "2024Q2"
    assert reporting_periods(plan, date(2024, 9, 30))[-1].key == "2024Q3"
    assert reporting_periods(plan, date(2024, 10, 1))[-1].key == "2024Q3"
    # Begun by the day: 2024Q4 begins 2024-10-01.
    assert reporting_periods(plan, date(2024, 9, 30), begun=True)[-1].key == "2024Q3"
    assert reporting_periods(plan, date(2024, 10, 1), begun=True)[-1].key == "2024Q4"
    assert reporting_periods(plan, date(2022, 9, 30)) == []


def test_plan_periods_of_a_monthly_reporting_window(plan):
    monthly = replace(plan, reporting=Reporting(cadence="month", start=date(2023, 11, 15), end=date(2024, 2, 1)))
    assert [p.key for p in reporting_periods(monthly)] == ["2023-11", "2023-12", "2024-01", "2024-02"]


def test_plan_period_refuses_one_outside_the_plan(plan):
    assert plan_period(plan, "2024q4").key == "2024Q4"
    with pytest.raises(ValueError, match=r"不在方案.*not one of plan yongchuan-2022-2024's.*2022Q4 to 2024Q4"):
        plan_period(plan, "2025Q1")
    with pytest.raises(ValueError, match="not a quarter"):
        plan_period(plan, "2024-09")


def test_due_date_after_national_day_2024(plan):
    # 2024Q3 ends Mon 2024-09-30; 1-7 Oct off; working days 8,9,10,11, Sat 12 (调休), 14..18: the 10th is Fri 10-18.
    assert due_date(plan, parse_period("2024Q3")) == date(2024, 10, 18)
    three = replace(plan, reporting=Reporting(due_working_days=5))
    assert due_date(three, parse_period("2024Q3")) == date(2024, 10, 12)   # the Saturday worked


def test_due_date_after_the_spring_festival_2024(plan):
    # January 2024 ends Wed 01-31: Feb 1, 2, Sun 4 (调休), 5, 6, 7, 8, 9, (10-17 off), Sun 18 (调休), Mon 19.
    monthly = replace(plan, reporting=Reporting(cadence="month"))
    assert due_date(monthly, parse_period("2024-01")) == date(2024, 2, 19)
    nine = replace(plan, reporting=Reporting(cadence="month", due_working_days=9))
    assert due_date(nine, parse_period("2024-01")) == date(2024, 2, 18)


def test_due_date_after_new_year(plan):
    # 2023Q4 ends Sun 2023-12-31; 2024-01-01 off; Jan 2-5 and 8-12 are nine, Mon 15 the tenth.
    assert due_date(plan, parse_period("2023Q4")) == date(2024, 1, 15)


def test_a_plan_without_periods_says_so(plan):
    # reporting.start after reporting.end (a plan file FX1's checks now refuse; built by hand here): no IndexError.
    empty = replace(plan, reporting=Reporting(start=date(2024, 12, 1), end=date(2024, 1, 1)))
    assert reporting_periods(empty) == []
    with pytest.raises(ValueError, match=r"没有报送期.*has no reporting periods \(2024-12-01 to 2024-01-01\)"):
        plan_period(empty, "2024Q3")


def test_periods_up_to_the_calendars_last_year(plan):
    # A window ending in 2200's last quarter stops there (the period after it is outside the calendar).
    late = replace(plan, reporting=Reporting(start=date(2200, 7, 1), end=date(2200, 12, 31)))
    assert [p.key for p in reporting_periods(late)] == ["2200Q3", "2200Q4"]
