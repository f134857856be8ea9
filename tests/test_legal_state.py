"""Legal state at any date, on hand-built histories whose answers are worked out by hand.

Rules under test (docs/legal-state.md): annuities fall due on filing anniversaries; an unpaid
annuity opens a six-month grace period with a late fee of 5% per whole month after the first;
the right then ends retroactively on the due date and can be restored until the notice deadline
(grace end + 15 days presumed receipt + 2 months)."""

from __future__ import annotations

from datetime import date

import pytest

from hvpatent.legal import status_of
from hvpatent.reference.fees import default_rules, parse_rules
from legal_fixtures import add_application


def facts(wh, number, day, rules=None):
    return status_of(wh.ibis(), number, day, rules).facts


@pytest.fixture
def lapsed(warehouse):
    # Filed 2010-03-15, granted 2013-01-10; the 10th-year annuity due 2019-03-15 is not paid;
    # CNIPA announces the termination on 2019-11-20.
    return add_application(warehouse, date(2010, 3, 15), [
        (date(2013, 1, 10), "granted"), (date(2019, 11, 20), "annuity_lapse")])


@pytest.mark.parametrize(("day", "state"), [
    (date(2012, 12, 31), "pending"),     # before grant
    (date(2013, 1, 10), "valid"),        # grant day
    (date(2019, 3, 14), "valid"),        # day before the unpaid due date
    (date(2019, 3, 15), "grace"),        # the due date: grace period starts
    (date(2019, 9, 14), "grace"),        # last day of the six-month grace period
    (date(2019, 9, 15), "restorable"),   # day after: terminated, still restorable
    (date(2019, 11, 30), "restorable"),  # restoration deadline: 9-15 + 15 days + 2 months
    (date(2019, 12, 1), "lapsed"),       # day after the deadline
])
def test_lapse_boundaries(warehouse, lapsed, day, state):
    assert facts(warehouse, lapsed, day)["state"] == state


def test_lapse_effective_date_is_the_unpaid_due_date(warehouse, lapsed):
    f = facts(warehouse, lapsed, date(2020, 6, 1))
    assert f["lapse_due_date"] == date(2019, 3, 15)
    assert f["years_maintained"] == 9  # 2010-03-15 to 2019-03-15
    assert f["next_due_date"] is None


@pytest.mark.parametrize(("day", "months_late", "fee"), [
    (date(2019, 4, 14), 0, 0.0),      # within the first month: no late fee
    (date(2019, 4, 15), 1, 200.0),    # one whole month: 5% of 4,000
    (date(2019, 9, 14), 5, 1000.0),   # five whole months: 25%
])
def test_late_fee_in_grace_period(warehouse, lapsed, day, months_late, fee):
    f = facts(warehouse, lapsed, day)
    assert f["state"] == "grace"
    assert f["next_due_date"] == date(2019, 3, 15)
    assert f["next_due_year"] == 10 and f["next_due_amount"] == 4000.0
    assert f["late_fee"] == fee


def test_restoration_cancels_the_lapse(warehouse):
    number = add_application(warehouse, date(2010, 3, 15), [
        (date(2013, 1, 10), "granted"), (date(2019, 11, 20), "annuity_lapse"),
        (date(2019, 11, 25), "restoration")])
    assert facts(warehouse, number, date(2019, 11, 24))["state"] == "restorable"
    after = facts(warehouse, number, date(2019, 11, 25))
    assert after["state"] == "valid"
    assert after["years_maintained"] == 9
    assert after["next_due_date"] == date(2020, 3, 15) and after["next_due_year"] == 11


def test_relapse_after_restoration(warehouse):
    number = add_application(warehouse, date(2010, 3, 15), [
        (date(2013, 1, 10), "granted"), (date(2019, 11, 20), "annuity_lapse"),
        (date(2019, 11, 25), "restoration"), (date(2021, 10, 30), "annuity_lapse")])
    f = facts(warehouse, number, date(2022, 6, 1))
    assert (f["state"], f["lapse_due_date"]) == ("lapsed", date(2021, 3, 15))


@pytest.mark.parametrize(("day", "state"), [
    (date(2030, 3, 14), "valid"), (date(2030, 3, 15), "expired"),
])
def test_invention_term_is_twenty_years(warehouse, day, state):
    number = add_application(warehouse, date(2010, 3, 15), [(date(2013, 1, 10), "granted")])
    f = facts(warehouse, number, day)
    assert f["term_end"] == date(2030, 3, 15)
    assert f["state"] == state


def test_no_annuity_due_after_the_term(warehouse):
    number = add_application(warehouse, date(2010, 3, 15), [(date(2013, 1, 10), "granted")])
    f = facts(warehouse, number, date(2029, 3, 16))
    assert f["next_due_date"] is None  # the 20th year's annuity was the last


@pytest.mark.parametrize(("filing", "term_end"), [
    (date(2021, 5, 31), date(2031, 5, 31)),   # design filed before the 2021 law: 10 years
    (date(2021, 6, 1), date(2036, 6, 1)),     # from 2021-06-01: 15 years
])
def test_design_term_depends_on_filing_date(warehouse, filing, term_end):
    number = add_application(warehouse, filing, [(date(2021, 12, 1), "granted")], "design")
    assert facts(warehouse, number, date(2022, 1, 1))["term_end"] == term_end


def test_utility_model_term_and_fees(warehouse):
    number = add_application(warehouse, date(2015, 7, 1), [(date(2016, 1, 5), "granted")], "utility_model")
    f = facts(warehouse, number, date(2020, 7, 2))
    assert f["term_end"] == date(2025, 7, 1)
    assert (f["next_due_date"], f["next_due_year"], f["next_due_amount"]) == (date(2021, 7, 1), 7, 1200.0)
    assert facts(warehouse, number, date(2025, 7, 1))["state"] == "expired"


def test_annuity_due_today_is_the_next_due(warehouse):
    number = add_application(warehouse, date(2010, 3, 15), [(date(2013, 1, 10), "granted")])
    f = facts(warehouse, number, date(2016, 3, 15))
    assert (f["next_due_date"], f["next_due_year"], f["next_due_amount"]) == (date(2016, 3, 15), 7, 2000.0)
    f = facts(warehouse, number, date(2016, 3, 16))
    assert (f["next_due_date"], f["next_due_year"]) == (date(2017, 3, 15), 8)


def test_leap_day_filing_falls_due_on_28_february(warehouse):
    number = add_application(warehouse, date(2012, 2, 29), [(date(2014, 6, 1), "granted")])
    f = facts(warehouse, number, date(2019, 1, 1))
    assert f["next_due_date"] == date(2019, 2, 28)
    assert facts(warehouse, number, date(2019, 2, 28))["years_maintained"] == 7


@pytest.mark.parametrize(("events", "state"), [
    ([(date(2012, 5, 1), "deemed_withdrawn")], "withdrawn"),
    ([(date(2012, 5, 1), "withdrawn")], "withdrawn"),
    ([(date(2012, 5, 1), "rejected")], "rejected"),
    ([(date(2011, 5, 1), "published")], "pending"),
    ([(date(2012, 5, 1), "granted"), (date(2015, 5, 1), "invalidated_full")], "invalidated"),
    ([(date(2012, 5, 1), "granted"), (date(2015, 5, 1), "invalidated_partial")], "valid"),
    ([(date(2012, 5, 1), "granted"), (date(2015, 5, 1), "surrendered")], "surrendered"),
])
def test_terminal_states(warehouse, events, state):
    number = add_application(warehouse, date(2010, 3, 15), events)
    assert facts(warehouse, number, date(2016, 1, 1))["state"] == state


def test_events_after_the_as_of_date_are_ignored(warehouse):
    number = add_application(warehouse, date(2010, 3, 15), [(date(2012, 5, 1), "rejected")])
    assert facts(warehouse, number, date(2012, 4, 30))["state"] == "pending"


def test_not_yet_filed_is_absent(warehouse):
    number = add_application(warehouse, date(2010, 3, 15), [])
    assert status_of(warehouse.ibis(), number, date(2010, 3, 14)) is None


def test_fee_reduction_applies_to_first_ten_years_from_grant(warehouse):
    data = yaml_rules()
    data["fee_reduction"]["rate"] = 0.85
    rules = parse_rules(data)
    # Granted in patent year 3 (2012-2013): reduction covers patent years 3..12.
    number = add_application(warehouse, date(2010, 3, 15), [(date(2012, 8, 1), "granted")])
    # 2021-03-15 is the 11th anniversary: patent year 12, the last reduced one.
    assert facts(warehouse, number, date(2021, 1, 1), rules)["next_due_amount"] == pytest.approx(4000 * 0.15)
    assert facts(warehouse, number, date(2022, 1, 1), rules)["next_due_amount"] == 6000.0


def yaml_rules() -> dict:
    from importlib import resources

    import yaml

    return yaml.safe_load(resources.files("hvpatent.reference").joinpath("fees.yaml").read_text("utf-8"))


def test_fee_schedule_lookup():
    rules = default_rules()
    assert [rules.annuity_for("invention", y) for y in (1, 3, 4, 6, 7, 9, 10, 12, 13, 15, 16, 20)] == [
        900, 900, 1200, 1200, 2000, 2000, 4000, 4000, 6000, 6000, 8000, 8000]
    assert rules.annuity_for("design", 15) == 3000 and rules.annuity_for("utility_model", 11) is None
