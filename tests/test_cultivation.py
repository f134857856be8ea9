"""Cultivation (docs/cultivation.md): the gap arithmetic, each candidate kind at its boundary days, the historical
rates on a hand-made history, the what-if and the command once.  Every answer is worked out by hand beside it.

As of 2024-06-30; deadline 2024-12-31; the warning window (90 days) ends on 2024-09-28.
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest

from hvpatent.cultivation import (
    Gap,
    GapError,
    candidates,
    contributions,
    counted_units,
    historical_rates,
    kind_summary,
    per_10k_targets,
    plan_gap,
    projected_population,
    what_if,
)
from hvpatent.cultivation.gap import _required
from hvpatent.ingest.fields import normalize_name
from hvpatent.plan.model import parse_plan
from legal_fixtures import add_application

AS_OF, DEADLINE = date(2024, 6, 30), date(2024, 12, 31)
REGION, TOWN = "500118", "500118002000"
E1, E2 = "重庆甲新能源科技有限公司", "重庆乙优势企业有限公司"
SEI_IPC, PLAIN_IPC = "G06N3/08", "A47B88/40"   # artificial intelligence (SEI 1.5); furniture drawers (none)
GRANTED_2017 = [(date(2017, 1, 1), "granted")]


def add(wh, filing: date, events: list, ipc: str = PLAIN_IPC, family: str | None = None, name: str = E1) -> str:
    """An invention of the region (first applicant ``name`` in 胜利路街道) with one IPC code."""
    number = add_application(wh, filing, events)
    wh.con.execute("INSERT INTO parties (app_no, seq, role, name, name_norm, party_type, town_code, county_code,"
                   " city_code, province_code) VALUES (?, 1, 'applicant', ?, ?, 'enterprise', ?, ?, '500100',"
                   " '500000')", [number, name, normalize_name(name), TOWN, REGION])
    wh.con.execute("INSERT INTO ipc_classes VALUES (?, 1, ?, true)", [number, ipc])
    wh.con.execute("UPDATE applications SET ipc_main = ?, family_id = ?, title = ? WHERE app_no = ?",
                   [ipc, family, f"专利{number}", number])
    return number


def populations(wh, rows: dict[int, int]) -> None:
    for year, people in rows.items():
        wh.con.execute("INSERT INTO population VALUES (?, ?, ?)", [REGION, year, people])


# -- the gap ---------------------------------------------------------------------------------------------------
PLAN = {
    "plan": {"name": "测试方案", "issued": date(2022, 1, 1), "region": REGION, "baseline_date": date(2021, 12, 31),
             "deadline": DEADLINE},
    "targets": [
        {"key": "vi", "name": "每万人口发明专利拥有量", "source": "indicator", "indicator": "valid_inventions_per_10k",
         "target": 0.5, "unit": "件/万人"},
        {"key": "vi_up", "name": "增长", "source": "indicator", "indicator": "valid_inventions_per_10k",
         "direction": "increase", "unit": "件/万人"},
        {"key": "vi_count", "name": "有效发明专利", "source": "indicator", "indicator": "valid_inventions",
         "target": 4, "unit": "件"},
        {"key": "marks", "name": "商标", "source": "indicator", "indicator": "trademarks", "target": 10, "unit": "件"},
    ],
}


@pytest.fixture(scope="module")
def gap_world(tmp_path_factory):
    from hvpatent.warehouse.store import Warehouse

    path = tmp_path_factory.mktemp("gap") / "gap.duckdb"
    wh = Warehouse(path)
    apps = {
        "ends_on_deadline": add(wh, date(2004, 12, 31), [(date(2007, 1, 1), "granted")]),  # term ends 2024-12-31
        "ends_after": add(wh, date(2005, 1, 1), [(date(2007, 1, 1), "granted")]),          # term ends 2025-01-01
        "plain": add(wh, date(2015, 3, 1), [(date(2018, 1, 1), "granted")]),
        "pending": add(wh, date(2023, 1, 1), []),
    }
    # A straight line: 2025 extends it to 101,000.
    populations(wh, {2020: 96_000, 2021: 97_000, 2022: 98_000, 2023: 99_000, 2024: 100_000})
    from hvpatent.indicators import refresh_derived

    refresh_derived(wh)
    wh.close()
    wh = Warehouse(path, read_only=True)
    yield wh.ibis(), apps, path
    wh.close()


def test_required_count_is_exact_where_floats_are_not():
    # 1.1 × 100,000 / 10,000 is 11 exactly; in floats 11.000000000000002, whose ceiling would ask for 12.
    assert 1.1 * 100_000 / 10_000 > 11
    assert _required(True, Fraction(11, 10), 100_000.0, strict=False) == 11
    # Strictly more than 11 patents' worth: 12.  10.7 per 10,000 of 1,000,000: 1,070.
    assert _required(True, Fraction(11, 10), 100_000.0, strict=True) == 12
    assert _required(True, Fraction(107, 10), 1_000_000.0, strict=False) == 1070
    # 0.5 per 10,000 of 101,000 is 5.05: 6 patents.  A count target of 4: 4; strictly more than 4: 5.
    assert _required(True, Fraction(1, 2), 101_000.0, strict=False) == 6
    assert _required(False, Fraction(4), None, strict=False) == 4
    assert _required(False, Fraction(4), None, strict=True) == 5
    assert _required(True, Fraction(1, 2), None, strict=False) is None


def test_population_read_projected_carried_or_missing(gap_world, tmp_path):
    con, _, _ = gap_world
    assert projected_population(con, REGION, DEADLINE)[0] == 100_000          # 2024 row read
    assert projected_population(con, REGION, date(2025, 12, 30))[0] == 100_000  # still year-end 2024
    people, method = projected_population(con, REGION, date(2025, 12, 31))   # no 2025 row: the line 2020–2024
    assert people == 101_000 and "2020" in method and "2024" in method
    assert projected_population(con, "500119", DEADLINE)[0] is None
    from hvpatent.warehouse.store import Warehouse

    one = Warehouse(tmp_path / "one.duckdb")
    one.con.execute("INSERT INTO population VALUES (?, 2022, 80000)", [REGION])
    assert projected_population(one.ibis(), REGION, DEADLINE)[0] == 80_000  # one row: carried as it is
    one.close()


def test_gap_read_population(gap_world):
    con, _, _ = gap_world
    gap = plan_gap(con, parse_plan(PLAN, "t"), "vi", AS_OF)
    # 3 valid inventions now; the one whose term ends on the deadline (2024-12-31) is not in force on it: held 2.
    # 0.5 per 10,000 of 100,000 (year-end 2024, read): 5 needed; 5 − 2 = 3.
    assert (gap.current_count, gap.expiring_count, gap.held_count) == (3, 1, 2)
    assert (gap.population_deadline, gap.required_count, gap.gap) == (100_000, 5, 3)
    assert gap.region == REGION and gap.deadline == DEADLINE


def test_gap_projected_population(gap_world):
    con, _, _ = gap_world
    gap = plan_gap(con, parse_plan(PLAN, "t"), "vi", AS_OF, deadline=date(2025, 12, 31))
    # Year-end 2025 projected: 101,000; 0.5 × 10.1 = 5.05 → 6.  Both old terms end by 2025-12-31: held 1; gap 5.
    assert (gap.population_deadline, gap.required_count, gap.expiring_count, gap.gap) == (101_000, 6, 2, 5)


def test_gap_value_given_float_edge(gap_world):
    con, _, _ = gap_world
    gap = plan_gap(con, parse_plan(PLAN, "t"), "vi", AS_OF, target_value=1.1)
    assert (gap.required_count, gap.gap) == (11, 9)  # 11 (not 12) − held 2


def test_gap_increase_over_baseline(gap_world):
    con, _, _ = gap_world
    gap = plan_gap(con, parse_plan(PLAN, "t"), "vi_up", AS_OF)
    # Baseline 2021-12-31: 3 valid inventions over 97,000 (year-end 2021).  On the deadline, over 100,000:
    # strictly more than 3 × 100,000 / 97,000 = 3.09… → 4; held 2 → gap 2.
    assert gap.required_count == 4 and gap.gap == 2
    assert gap.target_value == pytest.approx(3 / 97_000 * 10_000)


def test_gap_count_target_and_errors(gap_world):
    con, _, _ = gap_world
    plan = parse_plan(PLAN, "t")
    gap = plan_gap(con, plan, "vi_count", AS_OF)
    assert (gap.required_count, gap.gap, gap.per_10k) == (4, 2, False)
    assert plan_gap(con, plan, "vi", AS_OF, region="500119").required_count is None  # no population there
    for key in ("nope", "marks"):
        with pytest.raises(GapError, match=key):
            plan_gap(con, plan, key, AS_OF)


# -- candidates --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from hvpatent.warehouse.store import Warehouse

    wh = Warehouse(tmp_path_factory.mktemp("cultivation") / "c.duckdb")
    a = {
        # keep_alive: high-value (SEI) patents at risk
        "due_last_day": add(wh, date(2015, 9, 28), GRANTED_2017, SEI_IPC),   # annuity due 2024-09-28
        "due_after": add(wh, date(2015, 9, 29), GRANTED_2017, SEI_IPC),      # due 2024-09-29: outside the window
        # lapse announced 2024-11-20 → due 2024-03-01; grace's last day 2024-09-01
        "grace": add(wh, date(2016, 3, 1), [*GRANTED_2017, (date(2024, 11, 20), "annuity_lapse")], SEI_IPC),
        # lapse announced 2024-08-01 → due 2024-01-10; grace ends 2024-07-10; restorable until 2024-09-11
        "restorable": add(wh, date(2015, 1, 10), [*GRANTED_2017, (date(2024, 8, 1), "annuity_lapse")], SEI_IPC),
        "plain_grace": add(wh, date(2016, 3, 2), [*GRANTED_2017, (date(2024, 11, 20), "annuity_lapse")]),
        # milestone_10y (not high-value otherwise)
        "ms_on_deadline": add(wh, date(2014, 12, 30), GRANTED_2017),  # 10th anniversary 2024-12-30; counts 12-31
        "ms_after": add(wh, date(2014, 12, 31), GRANTED_2017),        # counts 2025-01-01: after the deadline
        "ms_today": add(wh, date(2014, 6, 30), GRANTED_2017),         # anniversary on the as-of date
        "ms_past": add(wh, date(2014, 6, 29), GRANTED_2017),          # high-value since 2024-06-30
        # grant history (with the award patents' below): filing→grant 730 and 1,000 days, one refused after 500
        "granted_730": add(wh, date(2019, 8, 1), [(date(2019, 8, 1) + timedelta(730), "granted")]),
        "granted_1000": add(wh, date(2019, 8, 1), [(date(2019, 8, 1) + timedelta(1000), "granted")]),
        "refused_500": add(wh, date(2019, 8, 1), [(date(2019, 8, 1) + timedelta(500), "rejected")]),
        # pending SEI inventions: 729, 730 and 731 days from filing to the deadline
        "pending_729": add(wh, DEADLINE - timedelta(729), [], SEI_IPC),
        "pending_730": add(wh, DEADLINE - timedelta(730), [], SEI_IPC),
        "pending_731": add(wh, DEADLINE - timedelta(731), [], SEI_IPC),
        "pending_plain": add(wh, DEADLINE - timedelta(731), []),
        # family abroad: FA's US member granted 2024-07-01, its JP member never; FB's EP member 2024-06-30
        "family_waiting": add(wh, date(2017, 1, 1), [(date(2019, 1, 1), "granted")], family="FA"),
        "family_granted": add(wh, date(2017, 1, 2), [(date(2019, 1, 1), "granted")], family="FB"),
        # pledges: exactly half the 10,000,000 threshold (registered on the as-of date), a cent below, at it
        "pledge_half": add(wh, date(2017, 2, 1), [(date(2019, 1, 1), "granted")]),
        "pledge_below": add(wh, date(2017, 2, 2), [(date(2019, 1, 1), "granted")]),
        "pledge_high": add(wh, date(2017, 2, 3), [(date(2019, 1, 1), "granted")]),
        # high-value already (SEI), near the pledge threshold: pledging adds nothing to the count, not listed
        "pledge_sei": add(wh, date(2017, 2, 4), [(date(2019, 1, 1), "granted")], SEI_IPC),
        # award cycle: an IP-advantage enterprise's patents granted on and after the 2024 call's cut-off
        "award_cutoff": add(wh, date(2020, 1, 1), [(date(2023, 12, 31), "granted")], name=E2),
        "award_late": add(wh, date(2020, 1, 2), [(date(2024, 1, 1), "granted")], name=E2),
    }
    wh.con.executemany("INSERT INTO family_members VALUES (?, ?, ?, ?, ?)", [
        ["FA", "US", "US1", True, date(2024, 7, 1)], ["FA", "JP", "JP1", False, None],
        ["FB", "EP", "EP1", True, date(2024, 6, 30)]])
    wh.con.executemany("INSERT INTO pledges (contract_no, app_no, amount_yuan, registered_date) VALUES (?, ?, ?, ?)",
                       [["C1", a["pledge_half"], 5_000_000, AS_OF], ["C2", a["pledge_below"], 4_999_999.99, AS_OF],
                        ["C3", a["pledge_high"], 10_000_000, date(2023, 1, 1)],
                        ["C4", a["pledge_sei"], 6_000_000, AS_OF]])
    wh.con.execute("INSERT INTO recognitions (name_norm, name, kind, level, recognised_date, expiry_date) VALUES"
                   " (?, ?, 'ip_advantage', 'municipal', DATE '2023-01-01', DATE '2026-01-01')",
                   [normalize_name(E2), E2])
    from hvpatent.indicators import refresh_derived

    refresh_derived(wh)  # as `hvp import` does: states read from the stored timelines (smaller queries)
    con = wh.ibis()
    rates = historical_rates(con, AS_OF, REGION)
    yield con, a, rates
    wh.close()


_FOUND: dict[tuple, dict] = {}


def found(world, as_of=AS_OF, deadline=DEADLINE, kind=None) -> dict[tuple[str, str], dict]:
    """{(name, kind): row} of the candidates on that day (each day asked once: the warnings' query is slow)."""
    con, apps, rates = world
    if (as_of, deadline, kind) not in _FOUND:
        names = {v: k for k, v in apps.items()}
        rows = candidates(con, as_of, deadline, REGION, rates=rates, kinds=None if kind is None else (kind,))
        assert kind is None or all(r["kind"] == kind for r in rows)
        _FOUND[(as_of, deadline, kind)] = {(names[r["app_no"]], r["kind"]): r for r in rows}
    return _FOUND[(as_of, deadline, kind)]


def test_every_row_has_the_contract_keys(world):
    keys = {"app_no", "title", "kind", "kind_label", "action", "action_en", "action_date", "effect_date", "effect",
            "criterion", "probability", "high_value_now", "applicant_name", "applicant_norm", "town_code",
            "evidence"}
    rows = list(found(world, kind="milestone_10y").values()) + list(found(world, kind="keep_alive").values())
    assert rows and all(set(r) >= keys for r in rows)
    assert all(r["town_code"] == TOWN for r in rows)


def test_keep_alive_annuity_window(world):
    rows = found(world, kind="keep_alive")
    row = rows[("due_last_day", "keep_alive")]  # due on the window's last day
    assert (row["action_date"], row["effect"], row["criterion"]) == (date(2024, 9, 28), "keep", "sei")
    assert ("due_after", "keep_alive") not in rows  # due the day after the window
    # the day after the due date it is paid (no lapse): nothing due again until 2025
    assert ("due_last_day", "keep_alive") not in found(world, date(2024, 9, 29), kind="keep_alive")


def test_keep_alive_grace_until_its_last_day(world):
    for day in (AS_OF, date(2024, 9, 1)):   # in grace, and on the grace period's last day
        row = found(world, day, kind="keep_alive")[("grace", "keep_alive")]
        assert (row["action_date"], row["effect"]) == (date(2024, 9, 1), "keep")
        assert "滞纳金" in row["action"]
    after = found(world, date(2024, 9, 2), kind="keep_alive")[("grace", "keep_alive")]  # now restorable
    assert after["effect"] == "add" and after["action_date"] > date(2024, 9, 2)
    assert ("plain_grace", "keep_alive") not in found(world, kind="keep_alive")  # not high-value


def test_keep_alive_restorable_until_the_deadline(world):
    for day in (date(2024, 9, 2), date(2024, 9, 11)):  # (grace ended 07-10) … the restoration deadline
        row = found(world, day, kind="keep_alive")[("restorable", "keep_alive")]
        assert (row["action_date"], row["effect"], row["high_value_now"]) == (date(2024, 9, 11), "add", False)
    assert ("restorable", "keep_alive") not in found(world, date(2024, 9, 12), kind="keep_alive")  # lapsed


def test_milestone_boundaries(world):
    rows = found(world, kind="milestone_10y")
    on = rows[("ms_on_deadline", "milestone_10y")]
    # 10th anniversary 2024-12-30 (the annuity of year 11 is due that day); "more than 10 years" from 12-31.
    assert (on["action_date"], on["effect_date"], on["effect"]) == (date(2024, 12, 30), date(2024, 12, 31), "add")
    assert ("ms_after", "milestone_10y") not in rows     # counts only from 2025-01-01
    today = rows[("ms_today", "milestone_10y")]          # anniversary on the as-of date: not high-value yet
    assert today["effect_date"] == date(2024, 7, 1)
    assert ("ms_past", "milestone_10y") not in rows      # already high-value
    # one annuity (due on the anniversary) before it counts: the annuity rate to the power 1
    assert on["probability"] == pytest.approx(world[2]["milestone_10y"]["rate"], abs=1e-4)
    assert ("ms_on_deadline", "milestone_10y") not in found(world, deadline=date(2024, 12, 30), kind="milestone_10y")


def test_milestone_probability_counts_the_dues_to_the_deadline(world):
    rate = world[2]["milestone_10y"]["rate"]
    # ms_on_deadline (filed 2014-12-30) owes 2024-12-30 and, to stay in force on a 2025 deadline, 2025-12-30:
    # deadline 2025-12-29 (the day before that due): rate¹; on it: rate² (the due on the deadline is owed); after.
    for deadline, power in ((date(2025, 12, 29), 1), (date(2025, 12, 30), 2), (date(2025, 12, 31), 2)):
        row = found(world, deadline=deadline, kind="milestone_10y")[("ms_on_deadline", "milestone_10y")]
        assert row["probability"] == pytest.approx(rate ** power, abs=1e-4)
    # ms_today: due 2024-06-30 (the as-of date) and 2025-06-30 → rate²; before: 1 due to its anniversary only
    today = found(world, deadline=date(2025, 12, 31), kind="milestone_10y")[("ms_today", "milestone_10y")]
    assert today["probability"] == pytest.approx(rate ** 2, abs=1e-4)


def test_annuities_due_on_the_days_around_the_deadline():
    from hvpatent.cultivation.rates import annuities_due

    filed, term = date(2015, 9, 28), date(2035, 9, 28)
    # anniversaries from the as-of date to the deadline, both included: 2024-09-28 due
    assert annuities_due(filed, term, "valid", AS_OF, date(2024, 9, 27)) == 0
    assert annuities_due(filed, term, "valid", AS_OF, date(2024, 9, 28)) == 1
    assert annuities_due(filed, term, "valid", AS_OF, date(2024, 9, 29)) == 1
    assert annuities_due(filed, term, "valid", date(2024, 9, 28), date(2025, 9, 28)) == 2  # due on the as-of day
    assert annuities_due(filed, term, "valid", date(2024, 9, 29), date(2025, 9, 28)) == 1
    assert annuities_due(filed, term, "grace", AS_OF, date(2024, 9, 27)) == 1     # the unpaid one in grace
    # none on the 20th anniversary: the term ends that day
    assert annuities_due(date(2004, 12, 31), date(2024, 12, 31), "valid", AS_OF, date(2025, 6, 30)) == 0


def test_pending_sei_grant_probability(world):
    rows = found(world, kind="pending_sei")
    # Grants of the last five years after 730, 1,000, 1,460 and 1,460 days (the award patents: 2020-01-01 →
    # 2023-12-31, 2020-01-02 → 2024-01-01), one refusal after 500: p = 4/5.  Pending 730 days before the deadline,
    # 546 days old now: F(546) = 0, G(546) = 1, F(730) = 1/4 → (4/5 · 1/4) / (4/5 · 1 + 1/5 · 0) = 1/4.
    assert rows[("pending_730", "pending_sei")]["probability"] == pytest.approx(0.25)
    assert rows[("pending_731", "pending_sei")]["probability"] == pytest.approx(0.25)
    assert ("pending_729", "pending_sei") not in rows  # 729 days to the deadline: no grant came that fast
    assert ("pending_plain", "pending_sei") not in rows  # not SEI
    row = rows[("pending_730", "pending_sei")]
    assert (row["action_date"], row["effect"], row["criterion"]) == (DEADLINE, "add", "sei")


def test_family_abroad_until_the_member_is_granted(world):
    before = found(world, kind="family_abroad")  # US member granted the day after the as-of date
    row = before[("family_waiting", "family_abroad")]
    assert "JP1" in row["evidence"] and "US1" in row["evidence"]
    assert row["probability"] == pytest.approx(1 / 3, abs=1e-4)
    assert ("family_granted", "family_abroad") not in before  # EP member granted on the as-of date
    assert ("family_waiting", "family_abroad") not in found(world, date(2024, 7, 1), kind="family_abroad")
    assert ("family_waiting", "family_abroad") not in found(world, date(2024, 7, 2), kind="family_abroad")


def test_pledge_near_share_of_the_threshold(world):
    rows = found(world, kind="pledge_near")
    row = rows[("pledge_half", "pledge_near")]  # 5,000,000 = 0.5 × 10,000,000: in
    assert "5,000,000" in row["action"] and row["effect"] == "add"
    assert ("pledge_below", "pledge_near") not in rows  # a cent below
    assert ("pledge_high", "pledge_near") not in rows   # at the threshold: high-value already
    assert ("pledge_sei", "pledge_near") not in rows    # high-value by SEI: the pledge would add nothing
    assert all(not r["high_value_now"] for r in found(world).values() if r["effect"] == "add")
    # registered on the as-of date: the day before it had none
    assert ("pledge_half", "pledge_near") not in found(world, date(2024, 6, 29), kind="pledge_near")


def test_award_cycle_boundaries(world):
    # The 2024 call closes 2024-10-31; its winners are taken as announced 2025-06-30.
    assert not found(world, kind="award_cycle")  # announced after the deadline 2024-12-31
    rows = found(world, deadline=date(2025, 6, 30), kind="award_cycle")
    row = rows[("award_cutoff", "award_cycle")]  # granted 2023-12-31: the cut-off day
    assert (row["action_date"], row["effect_date"]) == (date(2024, 10, 31), date(2025, 6, 30))
    assert ("award_late", "award_cycle") not in rows  # granted 2024-01-01: the 2025 call
    assert not found(world, deadline=date(2025, 6, 29), kind="award_cycle")
    on_close = found(world, date(2024, 10, 31), date(2025, 6, 30), kind="award_cycle")
    assert ("award_cutoff", "award_cycle") in on_close
    # the day after the 2024 call closes: the 2025 call (announced 2026-06-30), which both patents may enter
    later = found(world, date(2024, 11, 1), date(2026, 6, 30), kind="award_cycle")
    assert later[("award_late", "award_cycle")]["action_date"] == date(2025, 10, 31)
    assert not found(world, date(2024, 11, 1), date(2026, 6, 29), kind="award_cycle")


# -- rates -------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def history(tmp_path_factory):
    from hvpatent.warehouse.store import Warehouse

    wh = Warehouse(tmp_path_factory.mktemp("rates") / "r.duckdb")
    add(wh, date(2015, 3, 1), GRANTED_2017)                                        # paid every year
    add(wh, date(2015, 5, 1), [*GRANTED_2017, (date(2022, 11, 20), "annuity_lapse")])  # unpaid 2022-05-01
    add(wh, date(2016, 2, 1), [*GRANTED_2017, (date(2021, 9, 10), "annuity_lapse"),      # restored
                               (date(2021, 10, 1), "restoration")])
    yield wh.ibis()
    wh.close()


def test_rates_on_a_hand_made_history(history):
    rates = historical_rates(history, AS_OF)
    # Annuities of 2019–2023 (outcome known by 2023-09-30): the first patent 5 due, 5 paid; the second due 2019–2022
    # (restorable on 2023-01-01, not counted), 2022 unpaid: 4 due, 3 paid; the third restored: 5 due, 5 paid → 13/14.
    assert (rates["keep_alive"]["successes"], rates["keep_alive"]["n"]) == (13, 14)
    # Lapses since 2019-06-30 whose restoration window is over: two, one restored.
    assert rates["restorable"]["rate"] == pytest.approx(0.5)
    assert rates["pending_sei"]["n"] == 0 and "默认" in rates["pending_sei"]["method"]
    assert all(r["method"] for r in rates.values())


def test_rates_of_the_candidate_world(world):
    rates = world[2]
    # 4 of 5 examinations concluded since 2019-06-30 granted (the 2017 and 2019-01-01 grants are before)
    assert (rates["pending_sei"]["successes"], rates["pending_sei"]["n"]) == (4, 5)
    assert rates["pending_sei"]["grant_days"] == [730, 1000, 1460, 1460]
    assert rates["pending_sei"]["other_days"] == [500]
    assert rates["family_abroad"]["rate"] == pytest.approx(1 / 3)  # EP1 granted on the as-of date, of 3


# -- what-if and contributions ------------------------------------------------------------------------------------
def _gap(indicator: str = "high_value_inventions", **survival) -> Gap:
    return Gap("t", "high_value_per_10k", REGION, AS_OF, DEADLINE, 1.0, "", None, 10, 100_000, 100_000.0, "", 12, 1,
               3, count_indicator=indicator, per_10k=True, **survival)


def _r(app_no: str, kind: str, effect: str, p: float, hv: bool, town: str, firm: str, day: date = DEADLINE,
       survival: float = 1.0) -> dict:
    return {"app_no": app_no, "kind": kind, "effect": effect, "probability": p, "high_value_now": hv,
            "town_code": town, "applicant_norm": firm, "applicant_name": firm.upper(), "action_date": day,
            "effect_date": day, "survival": survival}


ROWS = [
    _r("K", "keep_alive", "keep", 0.9, True, "T1", "a"),
    _r("M", "milestone_10y", "add", 0.5, False, "T1", "a"),
    _r("M", "pledge_near", "add", 0.5, False, "T1", "a"),
    _r("P", "pending_sei", "add", 0.2, False, "T2", "b"),
    _r("F", "family_abroad", "add", 0.4, True, "T2", "b"),
]


def test_what_if_high_value():
    # A Gap made by hand (no survival): every held patent taken as kept.
    result = what_if(_gap(), ROWS)
    # held 10 − 1 = 9.  None: K lost → 8.  All: K kept, M and P added (F is high-value already) → 11.
    # Historical: 9 − 0.1 + M (its milestone is its survival: 0.5 × (1 − (1 − 1)(1 − 0.5)) = 0.5) + 0.2 = 9.6.
    assert result["none"] == {"count": 8, "per_10k": 0.8, "gap": 4}
    assert result["all"] == {"count": 11, "per_10k": 1.1, "gap": 1}
    assert result["historical"]["count"] == pytest.approx(9.6)
    assert result["historical"]["gap"] == pytest.approx(2.4)
    assert what_if(_gap(), ROWS, {"pending_sei": 1.0})["historical"]["count"] == pytest.approx(10.4)


# The survival worked by hand: annuity-paid rate 0.9.  Held on the deadline (high-value): K (2 annuities owed),
# H1 (none), H2 (1), X (1: its keep row's due is after the deadline).  E's term ends before the deadline (not held).
SURVIVAL = {"annuity_rate": 0.9, "held_dues": {"K": 2, "H1": 0, "H2": 1, "X": 1}}
ROWS_2 = [
    _r("K", "keep_alive", "keep", 0.9, True, "T1", "a", date(2024, 9, 1), survival=0.9),   # its other due: 0.9
    _r("X", "keep_alive", "keep", 0.9, True, "T1", "a", date(2025, 1, 1)),                 # due after the deadline
    _r("E", "keep_alive", "keep", 0.9, True, "T1", "a", date(2024, 9, 1)),                 # already expiring
    _r("M", "milestone_10y", "add", 0.81, False, "T1", "a"),                               # 2 dues: 0.9²
    _r("M", "pledge_near", "add", 0.5, False, "T1", "a", survival=0.81),
    _r("P", "pending_sei", "add", 0.2, False, "T2", "b"),
    _r("F", "family_abroad", "add", 0.4, True, "T2", "b", survival=0.9),                  # high-value already
    _r("G", "family_abroad", "add", 0.4, False, "T2", "b", survival=0.9),
]


def test_what_if_every_held_patent_at_its_survival():
    gap = _gap(**SURVIVAL)
    result = what_if(gap, ROWS_2)
    # Baseline (no listed action decides them): H1 1 + H2 0.9 + X 0.9 = 2.8 (X's row is skipped: its due is after
    # the deadline, so it neither lowers "none" nor counts as an action; E's row: not held).
    # Decided: K, M, P, G (F is high-value already).  none 2.8; all 2.8 + 4 = 6.8.
    # historical: 2.8 + K 0.9 × 0.9 + M 0.81 (survive: the milestone; the pledge adds nothing more) + P 0.2
    #             + G 0.9 × 0.4 = 2.8 + 0.81 + 0.81 + 0.2 + 0.36 = 4.98.
    assert result["none"]["count"] == pytest.approx(2.8)
    assert result["all"]["count"] == pytest.approx(6.8)
    assert result["historical"]["count"] == pytest.approx(4.98)
    # contributions under the same rule add up to the what-if's differences, by town and by enterprise
    for by in ("town_code", "applicant_norm"):
        groups = contributions(ROWS_2, by, gap)
        assert sum(g["all"] for g in groups) == pytest.approx(result["all"]["count"] - result["none"]["count"])
        assert sum(g["expected"] for g in groups) == pytest.approx(
            result["historical"]["count"] - result["none"]["count"])
    towns = {g["town_code"]: g for g in contributions(ROWS_2, "town_code", gap)}
    assert (towns["T1"]["all"], towns["T1"]["keep_alive"], towns["T2"]["family_abroad"]) == (2, 1, 1)
    assert towns["T1"]["expected"] == pytest.approx(1.62) and towns["T2"]["expected"] == pytest.approx(0.56)


def test_what_if_valid_inventions_with_pending_and_survival():
    gap = _gap("valid_inventions", annuity_rate=0.9, held_dues={"K": 2, "H1": 0, "H2": 3},
               pending_grants={"P": 0.2, "Q": 0.5})
    rows = [_r("K", "keep_alive", "keep", 0.9, True, "T1", "a", date(2024, 9, 1), survival=0.9),
            _r("P", "pending_sei", "add", 0.2, False, "T2", "b"),
            _r("R", "keep_alive", "add", 0.3, False, "T2", "b", survival=0.9),     # restorable
            _r("G", "family_abroad", "add", 0.4, False, "T2", "b", survival=0.9)]  # adds no valid invention
    result = what_if(gap, rows)
    # baseline: H1 1 + H2 0.9³ = 0.729 + Q (pending, not listed) 0.5 = 2.229; decided K, P, R.
    # historical: 2.229 + 0.81 + 0.2 + 0.27 = 3.509
    assert result["none"]["count"] == pytest.approx(2.23)
    assert result["all"]["count"] == pytest.approx(5.23)
    assert result["historical"]["count"] == pytest.approx(3.51)


def test_what_if_without_survival_counts_only_keeping_and_grants():
    result = what_if(_gap("valid_inventions"), ROWS)
    assert (result["none"]["count"], result["all"]["count"]) == (8, 10)  # only P adds a valid invention


def test_contributions_per_town_and_enterprise():
    towns = {e["town_code"]: e for e in contributions(ROWS, "town_code")}
    assert (towns["T1"]["all"], towns["T1"]["keep_alive"], towns["T1"]["pledge_near"]) == (2, 1, 1)
    assert towns["T1"]["expected"] == pytest.approx(0.9 + 0.75)
    assert towns["T2"]["expected"] == pytest.approx(0.6)
    firms = contributions(ROWS, "applicant_norm")
    assert firms[0]["applicant_norm"] == "a" and firms[0]["applicant_name"] == "A"
    with pytest.raises(ValueError):
        contributions(ROWS, "county_code")


HV_PLAN = {**PLAN, "targets": [{"key": "hv", "name": "高价值发明专利", "source": "indicator",
                                "indicator": "high_value_inventions", "target": 20, "unit": "件"}]}


def test_gap_survival_and_what_if_on_the_world(world):
    con, apps, rates = world
    gap = plan_gap(con, parse_plan(HV_PLAN, "t"), "hv", AS_OF, rates=rates)
    rows = candidates(con, AS_OF, DEADLINE, REGION, rates=rates)
    dues = {name: gap.held_dues[no] for name, no in apps.items() if no in gap.held_dues}
    # high-value inventions held: due_last_day owes 2024-09-28; due_after 2024-09-29; grace the unpaid one (its
    # next due 2025-03-01 is after the deadline); pledge_sei (due 2025-02-04) none; ms_past 2024-06-29 (passed)
    assert (dues["due_last_day"], dues["due_after"], dues["grace"], dues["pledge_sei"]) == (1, 1, 1, 0)
    assert dues["restorable"] == 1      # in its grace period on the as-of date (grace ends 2024-07-10)
    assert "plain_grace" not in dues    # not high-value
    r = rates["keep_alive"]["rate"]
    assert gap.annuity_rate == r and gap.expected_held == pytest.approx(
        sum(r ** n for n in gap.held_dues.values()), abs=0.01)
    result = what_if(gap, rows)
    for by in ("town_code", "applicant_norm"):
        groups = contributions(rows, by, gap)
        assert sum(g["all"] for g in groups) == pytest.approx(result["all"]["count"] - result["none"]["count"])
        assert sum(g["expected"] for g in groups) == pytest.approx(
            result["historical"]["count"] - result["none"]["count"], abs=0.02)
    assert "held_dues" not in gap.as_dict() and gap.as_dict()["expected_held"] == gap.expected_held
    # per kind, by the same rule: listed = its rows; count = the patents it decides; a patent with one kind only
    # adds its whole expected count to that kind
    units = counted_units(gap, rows)
    for k in kind_summary(rows, gap):
        mine = [u for u in units.values() if any(r["kind"] == k["kind"] for r in u["rows"])]
        assert k["listed"] == sum(r["kind"] == k["kind"] for r in rows) and k["count"] == len(mine)
        assert k["expected"] == pytest.approx(sum(u["expected"] for u in mine), abs=0.01)
    assert sum(k["listed"] for k in kind_summary(rows, gap)) == len(rows)
    assert sum(k["count"] for k in kind_summary(rows, gap)) >= len(units) > 0


def test_per_10k_targets_are_patent_counts_only():
    """A trademark density is a per-10k figure too, but no patent count: the page and the bulletin skip it."""
    plan = parse_plan({**PLAN, "targets": [
        {"key": "tm", "name": "每万户商标", "source": "indicator", "indicator": "trademarks_per_10k", "target": 5,
         "unit": "件/万户"},
        {"key": "vi10k", "name": "每万人口发明专利拥有量", "source": "indicator",
         "indicator": "valid_inventions_per_10k", "target": 10, "unit": "件/万人"},
        {"key": "hv", "name": "高价值发明专利", "source": "indicator", "indicator": "high_value_inventions",
         "target": 20, "unit": "件"}]}, "t")
    assert per_10k_targets(plan) == ["vi10k"]


def test_gap_of_valid_inventions_counts_every_pending_invention(gap_world):
    con, apps, _ = gap_world
    gap = plan_gap(con, parse_plan(PLAN, "t"), "vi_count", AS_OF)
    # gap_world's one pending invention (filed 2023-01-01, not SEI) and no grant history: no chance known
    assert gap.pending_grants == {} and gap.pending_count == 0
    # the three valid ones: ends_on_deadline expires; ends_after (filed 2005-01-01) next owes 2025-01-01 and plain
    # (filed 2015-03-01) 2025-03-01, both after the deadline: none owed, both kept in every scenario.
    assert gap.held_dues == {apps["ends_after"]: 0, apps["plain"]: 0}
    assert what_if(gap, [])["none"]["count"] == 2


def test_enterprise_candidates_scope(world):
    con, apps, rates = world
    rows = candidates(con, AS_OF, date(2025, 6, 30), REGION, normalize_name(E2), rates=rates, kinds=("award_cycle",))
    assert [r["app_no"] for r in rows] == [apps["award_cutoff"]] and rows[0]["applicant_name"] == E2


# -- the command --------------------------------------------------------------------------------------------------
def test_cli_gap(gap_world, tmp_path):
    import json

    import yaml
    from openpyxl import load_workbook

    from test_cli import hvp

    _, _, path = gap_world
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(PLAN, allow_unicode=True), encoding="utf-8")
    base = ["--db", str(path), "plan", "gap", "--plan", str(plan), "--as-of", "2024-06-30"]
    data = json.loads(hvp(*base, "--target", "vi", "--deadline", "2024-12-31", "--format", "json").stdout)
    assert (data["gap"]["required_count"], data["gap"]["gap"]) == (5, 3)
    assert set(data["what_if"]) == {"none", "all", "historical"}
    out = tmp_path / "gap.xlsx"
    # the deadline the day after the as-of date: counted
    hvp("--lang", "en", *base, "--target", "vi", "--deadline", "2024-07-01", "--format", "xlsx", "--out", str(out))
    assert load_workbook(out).sheetnames == ["gap", "candidates", "by town", "by enterprise"]
    wrong = hvp(*base, "--target", "nope", check=False)
    assert wrong.returncode == 2 and "nope" in wrong.stderr
    for code in ("xyz", "５００１１８"):  # full-width digits pass str.isdigit()
        bad = hvp(*base, "--target", "vi", "--region", code, check=False)
        assert bad.returncode == 2 and code in bad.stderr
    for day in ("2024-06-29", "2024-06-30"):  # the deadline the day before, and the day of, the as-of date
        early = hvp(*base, "--target", "vi", "--deadline", day, check=False)
        assert early.returncode == 2 and day in early.stderr
    assert sum(k["listed"] for k in data["by_kind"]) == len(data["candidates"])
    for text in ("nan", "inf", "-1"):  # click's float takes nan and inf; a negative target is no target
        bad = hvp(*base, "--target", "vi", "--value", text, check=False)
        assert bad.returncode == 2 and "--value" in bad.stderr
