"""Calendar periods (reference/periods.py), the one definition the tasks room (reporting periods) and the schedule
room (bulletin periods) share: keys of every cadence, the period holding a day, previous/next across a year, and the
calendar's years (1900..2200)."""

from datetime import date

import pytest

from hvpatent.reference.periods import Period, parse_period, period_of


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


@pytest.mark.parametrize(("day", "cadence", "key", "start", "end"), [
    (date(2024, 9, 30), "month", "2024-09", date(2024, 9, 1), date(2024, 9, 30)),
    (date(2024, 10, 1), "month", "2024-10", date(2024, 10, 1), date(2024, 10, 31)),
    (date(2024, 11, 30), "quarter", "2024Q4", date(2024, 10, 1), date(2024, 12, 31)),
    (date(2023, 12, 31), "quarter", "2023Q4", date(2023, 10, 1), date(2023, 12, 31)),
])
def test_period_of_a_day_and_its_key_agree(day, cadence, key, start, end):
    # What the schedule room's bulletins use (months and quarters): the same Period as parse_period's.
    p = period_of(day, cadence)
    assert (p.key, p.start, p.end) == (key, start, end)
    assert parse_period(key, cadence) == p


@pytest.mark.parametrize("text", ["1899-12", "2201Q1", "0001", "9999-12"])
def test_years_outside_the_calendar_are_refused(text):
    with pytest.raises(ValueError, match=r"1900 至 2200.*years 1900 to 2200"):
        parse_period(text)


@pytest.mark.parametrize("day", [date(1899, 12, 31), date(2201, 1, 1), date(1, 1, 1), date(9999, 12, 31)])
def test_period_of_a_day_outside_the_calendar_is_a_value_error_not_an_overflow(day):
    with pytest.raises(ValueError, match="outside the years 1900 to 2200"):
        period_of(day, "month")


def test_previous_of_the_first_and_next_of_the_last_period_are_refused():
    assert parse_period("1900-01").start == date(1900, 1, 1)
    with pytest.raises(ValueError, match="outside the years"):
        parse_period("1900-01").previous()
    with pytest.raises(ValueError, match="outside the years"):
        parse_period("2200Q4").next()


def test_periods_order_by_their_start():
    assert sorted([parse_period("2024Q3"), parse_period("2023Q4"), parse_period("2024Q1")]) == [
        parse_period("2023Q4"), parse_period("2024Q1"), parse_period("2024Q3")]
