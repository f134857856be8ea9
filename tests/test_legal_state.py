"""Legal state at any date, on hand-built histories whose answers are worked out by hand.

Rules under test (docs/legal-state.md): annuities fall due on filing anniversaries; an unpaid
annuity opens a six-month grace period ending on the corresponding day (Rules art. 5), with a late
fee of 5% of the full annuity for each month begun after the first whole month; the right then ends
retroactively on the due date and can be restored within two months of receiving the termination
notice, taken as issued the day after the grace period (received the same day when served
electronically, 15 days later by mail; Rules arts. 4 and 6)."""

from __future__ import annotations

from datetime import date

import pytest

from hvpatent.indicators import refresh_derived
from hvpatent.legal import status_of
from hvpatent.legal.timeline import timeline_ready
from hvpatent.reference.fees import default_rules, parse_rules
from legal_fixtures import add_application


def facts(wh, number, day, rules=None):
    """The facts by the rules, checked against the stored timeline once it is refreshed."""
    direct = status_of(wh.ibis(), number, day, rules).facts
    refresh_derived(wh)
    assert rules is not None or timeline_ready(wh.ibis(), default_rules())
    assert status_of(wh.ibis(), number, day, rules).facts == direct
    return direct


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
    (date(2019, 9, 14), "grace"),        # day before the grace period's last day
    (date(2019, 9, 15), "grace"),        # the corresponding day six months on: grace's last day
    (date(2019, 9, 16), "restorable"),   # day after: terminated, still restorable
    (date(2019, 11, 15), "restorable"),  # day before the deadline
    (date(2019, 11, 16), "restorable"),  # notice 9-16 received electronically that day + 2 months
    (date(2019, 11, 17), "lapsed"),      # day after the deadline
])
def test_lapse_boundaries(warehouse, lapsed, day, state):
    assert facts(warehouse, lapsed, day)["state"] == state


@pytest.mark.parametrize(("day", "state"), [
    (date(2019, 11, 30), "restorable"),  # day before: notice 9-16 + 15 days presumed receipt = 10-01
    (date(2019, 12, 1), "restorable"),   # 10-01 + 2 months
    (date(2019, 12, 2), "lapsed"),
])
def test_restoration_deadline_by_mail(warehouse, lapsed, day, state):
    data = yaml_rules()
    data["restoration"]["notice_service"] = "mail"
    assert facts(warehouse, lapsed, day, parse_rules(data))["state"] == state


def test_notice_service_must_be_known():
    data = yaml_rules()
    data["restoration"]["notice_service"] = "pigeon"
    with pytest.raises(ValueError, match="notice_service"):
        parse_rules(data)


def test_lapse_effective_date_is_the_unpaid_due_date(warehouse, lapsed):
    f = facts(warehouse, lapsed, date(2020, 6, 1))
    assert f["lapse_due_date"] == date(2019, 3, 15)
    assert f["years_maintained"] == 9  # 2010-03-15 to 2019-03-15
    assert f["next_due_date"] is None


@pytest.mark.parametrize(("day", "fee"), [
    (date(2019, 3, 15), 0.0),      # the due date itself
    (date(2019, 4, 14), 0.0),      # within the first month: no late fee
    (date(2019, 4, 15), 0.0),      # exactly one whole month: still none
    (date(2019, 4, 16), 200.0),    # more than one month: 5% of 4,000
    (date(2019, 5, 15), 200.0),    # up to two whole months: 5%
    (date(2019, 5, 16), 400.0),    # more than two: 10%
    (date(2019, 8, 15), 800.0),    # up to five whole months: 20%
    (date(2019, 8, 16), 1000.0),   # more than five: 25%
    (date(2019, 9, 15), 1000.0),   # the grace period's last day: 25%
])
def test_late_fee_in_grace_period(warehouse, lapsed, day, fee):
    f = facts(warehouse, lapsed, day)
    assert f["state"] == "grace"
    assert f["next_due_date"] == date(2019, 3, 15)
    assert f["next_due_year"] == 10 and f["next_due_amount"] == 4000.0
    assert f["late_fee"] == fee


def test_late_fee_is_a_share_of_the_full_annuity(warehouse):
    # With an 85% reduction the annuity due is 600, but the late fee is 5% of the full 4,000.
    data = yaml_rules()
    data["fee_reduction"]["rate"] = 0.85
    number = add_application(warehouse, date(2010, 3, 15), [
        (date(2012, 8, 1), "granted"), (date(2019, 11, 20), "annuity_lapse")])
    f = facts(warehouse, number, date(2019, 4, 16), parse_rules(data))
    assert f["next_due_amount"] == pytest.approx(600.0)
    assert f["late_fee"] == pytest.approx(200.0)


def test_restoration_cancels_the_lapse(warehouse):
    # Termination announced 2019-11-05 (due date 2019-03-15), restored 2019-11-10, within the
    # deadline of 2019-11-16.
    number = add_application(warehouse, date(2010, 3, 15), [
        (date(2013, 1, 10), "granted"), (date(2019, 11, 5), "annuity_lapse"),
        (date(2019, 11, 10), "restoration")])
    # With hindsight the right never ended: the restoration counts before it was made ...
    assert facts(warehouse, number, date(2019, 11, 9))["state"] == "valid"
    assert facts(warehouse, number, date(2019, 9, 16))["state"] == "valid"
    # ... and as known on the day before it, the patent was terminated and restorable.
    known = status_of(warehouse.ibis(), number, date(2019, 11, 9), as_known_on=date(2019, 11, 9)).facts
    assert known["state"] == "restorable"
    known = status_of(warehouse.ibis(), number, date(2019, 11, 10), as_known_on=date(2019, 11, 10)).facts
    assert known["state"] == "valid"
    # Known before the termination was announced, the patent looked in force all along.
    assert status_of(warehouse.ibis(), number, date(2019, 11, 4), as_known_on=date(2019, 11, 4)
                     ).facts["state"] == "valid"
    after = facts(warehouse, number, date(2019, 11, 10))
    assert after["state"] == "valid"
    assert after["years_maintained"] == 9
    assert after["next_due_date"] == date(2020, 3, 15) and after["next_due_year"] == 11


def test_a_lapse_announced_later_ends_the_right_on_its_due_date(warehouse, lapsed):
    # Hindsight: on 2019-10-01 the termination (announced 2019-11-20) was not yet public.
    assert facts(warehouse, lapsed, date(2019, 10, 1))["state"] == "restorable"
    known = status_of(warehouse.ibis(), lapsed, date(2019, 10, 1), as_known_on=date(2019, 11, 19)).facts
    assert known["state"] == "valid"
    known = status_of(warehouse.ibis(), lapsed, date(2019, 10, 1), as_known_on=date(2019, 11, 20)).facts
    assert known["state"] == "restorable"


def test_stated_effective_date_of_a_lapse_is_used_as_given(warehouse):
    # A source that states the date the right ended (PatSnap 失效日) needs no derivation.
    number = add_application(warehouse, date(2010, 3, 15), [(date(2013, 1, 10), "granted")])
    _add_events(warehouse, number, [{"event_date": date(2020, 3, 15), "event_type": "annuity_lapse",
                                     "effective_date": date(2020, 3, 15), "raw_text": "未缴年费"}])
    assert facts(warehouse, number, date(2020, 3, 14))["state"] == "valid"
    assert facts(warehouse, number, date(2020, 3, 15))["lapse_due_date"] == date(2020, 3, 15)
    assert facts(warehouse, number, date(2020, 9, 15))["state"] == "grace"
    assert facts(warehouse, number, date(2020, 9, 16))["state"] == "restorable"


@pytest.mark.parametrize(("day", "state"), [
    (date(2030, 3, 14), "valid"), (date(2030, 3, 15), "valid"),   # the original term end
    (date(2031, 3, 14), "valid"),                                  # last day of the adjusted term
    (date(2031, 3, 15), "expired"),                                # adjusted end
])
def test_term_adjustment_moves_the_end_of_term(warehouse, day, state):
    # 专利权期限补偿 of 365 days (Rules arts. 77-84): the term ends 2031-03-15 instead of 2030-03-15.
    number = add_application(warehouse, date(2010, 3, 15), [(date(2013, 1, 10), "granted")])
    _add_events(warehouse, number, [{"event_date": date(2013, 6, 1), "event_type": "term_adjustment",
                                     "effective_date": date(2031, 3, 15), "raw_text": "专利权期限补偿"}])
    f = facts(warehouse, number, day)
    assert (f["state"], f["term_end"]) == (state, date(2031, 3, 15))


def test_ended_for_a_cause_not_stated(warehouse):
    number = add_application(warehouse, date(2010, 3, 15), [(date(2013, 1, 10), "granted")])
    _add_events(warehouse, number, [{"event_date": date(2018, 5, 2), "event_type": "ended",
                                     "effective_date": date(2018, 5, 2), "raw_text": "失效"}])
    assert facts(warehouse, number, date(2018, 5, 1))["state"] == "valid"
    f = facts(warehouse, number, date(2018, 5, 2))
    assert (f["state"], f["years_maintained"]) == ("ended", 8)


def test_giving_up_the_right_to_a_patent_before_grant_is_a_withdrawal(warehouse):
    # 视为放弃取得专利权的权利: the grant formalities were not completed; no right ever existed.
    number = add_application(warehouse, date(2010, 3, 15), [(date(2012, 5, 1), "surrendered")])
    assert facts(warehouse, number, date(2012, 5, 1))["state"] == "withdrawn"


def _add_events(wh, number, events):
    from hvpatent.model import Batch

    batch = Batch()
    batch.set("legal_events", [{"app_no": number, **e} for e in events])
    with wh.import_transaction(f"events-{number}-{len(events)}", f"ev{number}", "test", "fixture") as tx:
        tx.add(batch, len(events))


def _add_snapshot(wh, number, day, status):
    from hvpatent.model import Batch

    batch = Batch()
    batch.set("status_snapshots", [{"app_no": number, "snapshot_date": day, "status": status,
                                    "raw_text": status, "source": "test"}])
    with wh.import_transaction(f"snap-{number}-{day}", f"sn{number}{day}", "test", "fixture") as tx:
        tx.add(batch, 1)


@pytest.mark.parametrize(("status", "before", "on", "after"), [
    ("in_force", "pending", "valid", "valid"),   # 有效 on 2021-06-30, no grant date known
    ("ended", "pending", "ended", "ended"),      # 失效
    ("pending", "pending", "pending", "pending"),
])
def test_a_bare_status_counts_from_its_snapshot_date_only(warehouse, status, before, on, after):
    number = add_application(warehouse, date(2018, 3, 15), [])
    _add_snapshot(warehouse, number, date(2021, 6, 30), status)
    assert facts(warehouse, number, date(2021, 6, 29))["state"] == before
    assert facts(warehouse, number, date(2021, 6, 30))["state"] == on
    assert facts(warehouse, number, date(2021, 7, 1))["state"] == after
    assert facts(warehouse, number, date(2021, 7, 1))["grant_date"] is None  # never invented
    as_known = status_of(warehouse.ibis(), number, date(2021, 7, 1), as_known_on=date(2021, 6, 29)).facts
    assert as_known["state"] == "pending"


def test_a_patent_shown_in_force_is_granted_and_counts_its_years(warehouse):
    number = add_application(warehouse, date(2018, 3, 15), [])
    _add_snapshot(warehouse, number, date(2021, 6, 30), "in_force")
    f = facts(warehouse, number, date(2021, 7, 1))
    assert (f["state"], f["granted"], f["grant_date"], f["years_maintained"]) == ("valid", True, None, 3)
    assert facts(warehouse, number, date(2021, 6, 29))["granted"] is False


@pytest.mark.parametrize(("day", "state"), [
    (date(2020, 3, 14), "valid"), (date(2020, 3, 15), "expired"), (date(2020, 3, 16), "expired")])
def test_a_patent_shown_in_force_still_expires_with_its_term(warehouse, day, state):
    number = add_application(warehouse, date(2010, 3, 15), [], "utility_model")
    _add_snapshot(warehouse, number, date(2019, 6, 30), "in_force")
    assert facts(warehouse, number, day)["state"] == state


@pytest.mark.parametrize(("known_on", "state"), [
    (date(2020, 9, 15), "valid"),   # the grace period's last day: the termination cannot be public yet
    (date(2020, 9, 16), "grace"),   # from the next day it may be
])
def test_a_lapse_dated_only_by_its_effect_is_known_after_the_grace_period(warehouse, known_on, state):
    number = add_application(warehouse, date(2010, 3, 15), [(date(2013, 1, 10), "granted")])
    _add_events(warehouse, number, [{"event_date": date(2020, 3, 15), "event_type": "annuity_lapse",
                                     "effective_date": date(2020, 3, 15), "raw_text": "未缴年费"}])
    known = status_of(warehouse.ibis(), number, date(2020, 6, 1), as_known_on=known_on).facts
    assert known["state"] == state


def test_annuities_of_an_adjusted_term_pay_the_last_rate(warehouse):
    number = add_application(warehouse, date(2010, 3, 15), [(date(2013, 1, 10), "granted")])
    _add_events(warehouse, number, [{"event_date": date(2013, 6, 1), "event_type": "term_adjustment",
                                     "effective_date": date(2031, 3, 15), "raw_text": "专利权期限补偿"}])
    f = facts(warehouse, number, date(2029, 3, 16))
    assert (f["next_due_date"], f["next_due_year"], f["next_due_amount"]) == (date(2030, 3, 15), 21, 8000.0)
    assert facts(warehouse, number, date(2030, 3, 16))["next_due_date"] is None  # no year 22 within the term


def test_a_dated_event_after_the_snapshot_overrides_it(warehouse):
    number = add_application(warehouse, date(2018, 3, 15), [(date(2022, 1, 4), "granted")])
    _add_snapshot(warehouse, number, date(2021, 6, 30), "pending")
    _add_snapshot(warehouse, number, date(2020, 6, 30), "ended")  # an older, contradicted export
    assert facts(warehouse, number, date(2021, 12, 31))["state"] == "pending"
    assert facts(warehouse, number, date(2022, 1, 4))["state"] == "valid"


def test_a_snapshot_in_force_does_not_revive_a_lapse(warehouse, lapsed):
    _add_snapshot(warehouse, lapsed, date(2019, 6, 30), "in_force")
    assert facts(warehouse, lapsed, date(2020, 6, 1))["state"] == "lapsed"


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
