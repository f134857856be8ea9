"""Reporting periods and due dates (tasks/periods.py): keys of every cadence, a plan's periods, due dates counted in
China's working days past National Day 2024 and the Spring Festival 2024 (docs/tasks.md)."""

from dataclasses import replace
from datetime import date

import pytest

from hvpatent.plan.model import Reporting, load_plan
from hvpatent.tasks.periods import Period, due_date, parse_period, period_of, plan_period, reporting_periods


@pytest.fixture(scope="module")
def plan():
    return load_plan()


@pytest.mark.parametrize(("text", "expected"), [
    ("2024Q3", Period(date(2024, 7, 1), date(2024, 9, 30), "2024Q3", "quarter")),
    ("2024q3", Period(date(2024, 7, 1), date(2024, 9, 30), "2024Q3", "quarter")),
    (" 2024-09 ", Period(date(2024, 9, 1), date(2024, 9, 30), "2024-09", "month")),
    ("2024-02", Period(date(2024, 2, 1), date(2024, 2, 29), "2024-02", "month")),   # a leap year's February
    ("2023-12", Period(date(2023, 12, 1), date(2023, 12, 31), "2023-12", "month")),
    ("2024H2", Period(date(2024, 7, 1), date(2024, 12, 31), "2024H2", "half")),
    ("2024h1", Period(date(2024, 1, 1), date(2024, 6, 30), "2024H1", "half")),
    ("2024", Period(date(2024, 1, 1), date(2024, 12, 31), "2024", "year")),
])
def test_parse_period_every_form(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize("text", ["2024Q5", "2024Q0", "2024-13", "2024-00", "2024H3", "24Q3", "2024/09", "", "Q3"])
def test_parse_period_refuses_bad_keys_in_both_languages(text):
    with pytest.raises(ValueError, match=r"报送期格式有误.*bad period.*2024Q3"):
        parse_period(text)


def test_parse_period_of_another_cadence_refused():
    with pytest.raises(ValueError, match=r"不是季度.*not a quarter"):
        parse_period("2024-09", "quarter")
    assert parse_period("2024Q3", "quarter").key == "2024Q3"


@pytest.mark.parametrize(("day", "cadence", "key"), [
    (date(2024, 9, 30), "quarter", "2024Q3"), (date(2024, 10, 1), "quarter", "2024Q4"),
    (date(2024, 6, 30), "half", "2024H1"), (date(2024, 7, 1), "half", "2024H2"),
    (date(2024, 1, 31), "month", "2024-01"), (date(2024, 12, 31), "year", "2024"),
])
def test_period_of_boundaries(day, cadence, key):
    assert period_of(day, cadence).key == key
    with pytest.raises(ValueError, match="cadence"):
        period_of(day, "week")


def test_previous_and_next_cross_the_year():
    q1 = parse_period("2024Q1")
    assert q1.previous().key == "2023Q4" and q1.previous().next() == q1
    assert parse_period("2024-01").previous().key == "2023-12"


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
