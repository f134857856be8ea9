"""Legal-state timelines give the same state as the rules, on every application of a generated world and
on many dates; an import makes only the applications it touched stale, and the refresh rebuilds only those.

The hand-worked cases of test_legal_state.py check both paths too (its ``facts`` helper).
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import pytest

from hvpatent.indicators import derived_tables, refresh_derived
from hvpatent.indicators.base import first_applicants, industry_memberships, sei_matches
from hvpatent.legal.state import direct_state, finish_state, legal_state, states_on_days
from hvpatent.legal.timeline import TABLE, state_from_timeline, states_on_dates, timeline_ready
from hvpatent.model import Batch
from hvpatent.reference.fees import default_rules
from hvpatent.warehouse.derived import is_current, stale_count
from hvpatent.warehouse.store import Warehouse
from rows import assert_same_rows

# Quarter-ends over the whole life of the demo's applications, plus days picked to fall on and around
# typical change days (anniversaries are spread over the year, so every month's first and last days).
DAYS = sorted({date(y, m, 1) - timedelta(days=d) for y in range(2013, 2047, 3) for m in (1, 4, 7, 10) for d in (0, 1)}
              | {date(2024, m, day) for m in range(1, 13) for day in (1, 15, 28)})


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from hvpatent.demo import generate_demo
    from hvpatent.ingest import import_file

    root = tmp_path_factory.mktemp("timeline-demo")
    wh = Warehouse(root / "demo.duckdb")
    for path in generate_demo(root / "files", applications=1200, seed=11, comparison=0):
        import_file(wh, path)
    assert stale_count(wh.con) > 1000  # the import marked what it brought
    refresh_derived(wh)
    yield wh
    wh.close()


def _rows(expr) -> list[dict]:
    return sorted(expr.to_pyarrow().to_pylist(), key=lambda r: r["app_no"])


_same = assert_same_rows


def test_timeline_is_used_once_refreshed(demo):
    con = demo.ibis()
    assert timeline_ready(con, default_rules())
    assert stale_count(demo.con) == 0
    # a lapse-and-restore history gives several intervals; some application has more than three
    most = demo.con.execute(f"SELECT max(n) FROM (SELECT count(*) n FROM {TABLE} GROUP BY app_no)").fetchall()[0][0]
    assert most > 3


def test_timeline_gives_the_rules_state_on_every_day(demo):
    """Every application on every one of DAYS: the stored timelines (a range join) against the rules evaluated
    with the day as a column (direct_state is those rules with the day a constant), in one query each."""
    con = demo.ibis()
    rules = default_rules()
    assert timeline_ready(con, rules)
    stored = _days_rows(states_on_dates(con, DAYS, rules))
    apps = con.table("applications").select("app_no", "filing_date")
    pairs = apps.cross_join(ibis.memtable({"day": DAYS}, schema={"day": "date"}))
    pairs = pairs.filter(pairs.filing_date <= pairs.day).select("app_no", "day")
    by_rules = states_on_days(con, pairs, rules)
    direct = _days_rows(finish_state(by_rules, by_rules.day, rules, annuity=False))
    assert len(direct) > 50_000
    _same(direct, stored)
    # the world exercises the rules: every kind of state occurs on some day
    states_seen = {r["state"] for r in direct}
    assert {"pending", "valid", "grace", "restorable", "lapsed", "expired", "rejected", "withdrawn"} <= states_seen


@pytest.mark.parametrize("day", DAYS[::15])
def test_one_days_reader_gives_the_rules_state_with_the_annuity(demo, day):
    """The one-day readers, with the columns that move with the day itself (the next annuity, its late fee)."""
    con = demo.ibis()
    rules = default_rules()
    _same(_rows(direct_state(con, day, rules)), _rows(state_from_timeline(con, day, rules)))


def _days_rows(expr) -> list[dict]:
    return sorted(expr.to_pyarrow().to_pylist(), key=lambda r: (r["app_no"], r["day"]))


def test_stored_memberships_equal_matching(demo):
    con = demo.ibis()
    apps = con.table("applications")
    for name, compute in (("sei_members", lambda: sei_matches(con, apps)),
                          ("industry_members", lambda: industry_memberships(con, apps)),
                          ("first_applicants", lambda: first_applicants(con, apps))):
        stored = con.table(name)
        columns = stored.columns
        left = sorted(tuple(r.values()) for r in stored.to_pyarrow().to_pylist())
        right = sorted(tuple(r[c] for c in columns) for r in compute().to_pyarrow().to_pylist())
        assert left == right and left, name


def test_an_import_refreshes_only_what_it_touched(demo):
    con = demo.ibis()
    before = _rows(legal_state(con, date(2030, 1, 1)))
    numbers = [r["app_no"] for r in before if r["state"] == "valid"][:2]
    batch = Batch()
    batch.set("legal_events", [{"app_no": n, "event_date": date(2026, 3, 2), "event_type": "invalidated_full",
                                "raw_text": "宣告专利权全部无效"} for n in numbers])
    with demo.import_transaction("invalidations.csv", "inv-sha", "test", "fixture") as tx:
        tx.add(batch, len(numbers))
    assert stale_count(demo.con) == 2
    assert not timeline_ready(con, default_rules())
    # while stale, figures come from the rules: already right
    stale_view = {r["app_no"]: r["state"] for r in _rows(legal_state(con, date(2030, 1, 1)))}
    assert [stale_view[n] for n in numbers] == ["invalidated", "invalidated"]
    rebuilt = refresh_derived(demo)
    assert rebuilt == {name: 2 for name in (TABLE, "sei_members", "industry_members", "first_applicants",
                                            "criterion_periods")}
    assert timeline_ready(con, default_rules())
    after = _rows(legal_state(con, date(2030, 1, 1)))
    changed = {a["app_no"] for a, b in zip(before, after, strict=True) if a != b}
    assert changed == set(numbers)
    _same(after, _rows(direct_state(con, date(2030, 1, 1))))


def test_changed_rules_make_the_timeline_not_current(demo):
    from dataclasses import replace

    rules = replace(default_rules(), notice_service="mail")
    con = demo.ibis()
    assert not timeline_ready(con, rules)  # built for electronic service: the deadlines differ
    day = date(2024, 6, 30)
    _same(_rows(legal_state(con, day, rules)), _rows(direct_state(con, day, rules)))


def test_a_new_sei_table_rebuilds_the_memberships(demo):
    from hvpatent.reference.sei import builtin_rules

    con = demo.ibis()
    names = [d.name for d in derived_tables()]
    assert is_current(con, "sei_members", derived_tables()[names.index("sei_members")].fingerprint)
    demo.replace_sei_rules(builtin_rules()[:3], "test: three rules")
    assert not is_current(con, "sei_members", derived_tables()[names.index("sei_members")].fingerprint)
    rebuilt = refresh_derived(demo)
    assert rebuilt == {name: demo.count("applications")  # the others were current
                       for name in ("sei_members", "criterion_periods")}
    stored = {r["code"] for r in con.table("sei_members").to_pyarrow().to_pylist()}
    assert stored <= {r.code for r in builtin_rules()[:3]}


def test_a_town_assignment_moves_the_stored_first_applicants(demo):
    from hvpatent.reference.applicant_towns import assign, unassign
    from hvpatent.reference.regions import region_by_code

    con = demo.ibis()
    fingerprint = next(d.fingerprint for d in derived_tables() if d.name == "first_applicants")
    name = demo.con.execute("SELECT name FROM parties WHERE seq = 1 AND county_code = '500118' "
                            "AND town_code <> '500118111000' ORDER BY app_no LIMIT 1").fetchall()[0][0]
    assign(demo.con, name, region_by_code()["500118111000"], "test")
    assert not is_current(con, "first_applicants", fingerprint)  # figures follow at once, computed
    moved = first_applicants(con).filter(lambda t: t.applicant_name == name).to_pyarrow().to_pylist()
    assert moved and {r["town_code"] for r in moved} == {"500118111000"}
    assert refresh_derived(demo) == {"first_applicants": demo.count("applications")}
    stored = first_applicants(con).filter(lambda t: t.applicant_name == name).to_pyarrow().to_pylist()
    assert {r["town_code"] for r in stored} == {"500118111000"}
    unassign(demo.con, name)
    refresh_derived(demo)


def _evidence(con, day, direct: bool) -> list[tuple]:
    """Every (app_no, criterion, evidence) on a day, by the rules or from the stored tables."""
    from hvpatent.indicators.highvalue import criteria_evidence

    states = direct_state(con, day, default_rules())
    if direct:  # the same call with every stored table out of reach: what a warehouse never refreshed gives
        with pytest.MonkeyPatch.context() as patch:
            for module in ("hvpatent.warehouse.derived", "hvpatent.indicators.highvalue", "hvpatent.indicators.base"):
                patch.setattr(f"{module}.is_current", lambda *args: False)
            rows = criteria_evidence(con, states, day).to_pyarrow().to_pylist()
    else:
        rows = criteria_evidence(con, states, day).to_pyarrow().to_pylist()
    return sorted((r["app_no"], r["criterion"], r["evidence"]) for r in rows)


def test_criterion_periods_give_each_days_evidence(demo):
    from hvpatent.indicators.highvalue import CRITERION_PERIODS, periods_fingerprint

    con = demo.ibis()
    assert is_current(con, CRITERION_PERIODS, periods_fingerprint())
    criteria_seen = set()
    for day in DAYS[::3]:
        stored = _evidence(con, day, direct=False)
        assert stored == _evidence(con, day, direct=True), day
        criteria_seen |= {c for _, c, _ in stored}
    assert {"sei", "family_abroad", "maintained_10y"} <= criteria_seen


def test_a_later_line_that_shares_a_contract_ends_high_pledge_financing(warehouse):
    # Contract K: 1,200万 on A alone from 2020-03-01 (high: at least 1,000万), then B joins the contract
    # on 2021-03-01 and A's share is 600万: high on 2020-03-01 .. 2021-02-28 only (per-patent share).
    from legal_fixtures import add_application

    a, b = (add_application(warehouse, date(2015, 1, 5), [(date(2017, 6, 1), "granted")]) for _ in range(2))
    batch = Batch()
    batch.set("pledges", [
        {"contract_no": "K", "app_no": a, "amount_yuan": 12_000_000, "registered_date": date(2020, 3, 1)},
        {"contract_no": "K", "app_no": b, "amount_yuan": 12_000_000, "registered_date": date(2021, 3, 1)}])
    with warehouse.import_transaction("pledges.csv", "pledge-sha", "test", "fixture") as tx:
        tx.add(batch, 2)
    assert stale_count(warehouse.con) == 2  # the pledges marked their patents
    refresh_derived(warehouse)
    # A third patent joins K in a later import: it marks every patent of the contract (their shares change)
    c = add_application(warehouse, date(2015, 1, 5), [(date(2017, 6, 1), "granted")])
    refresh_derived(warehouse)
    later = Batch()
    later.set("pledges", [{"contract_no": "K", "app_no": c, "amount_yuan": 12_000_000,
                           "registered_date": date(2021, 9, 1)}])
    with warehouse.import_transaction("pledges-2.csv", "pledge-sha-2", "test", "fixture") as tx:
        tx.add(later, 1)
    assert stale_count(warehouse.con) == 3
    refresh_derived(warehouse)
    con = warehouse.ibis()
    for day, expected in ((date(2020, 2, 29), []), (date(2020, 3, 1), [(a, "pledge_high", "12000000.00 CNY / 1")]),
                          (date(2021, 2, 28), [(a, "pledge_high", "12000000.00 CNY / 1")]),
                          (date(2021, 3, 1), [])):
        stored = [e for e in _evidence(con, day, direct=False) if e[1] == "pledge_high"]
        assert stored == expected, day
        assert stored == [e for e in _evidence(con, day, direct=True) if e[1] == "pledge_high"], day


def test_an_enterprise_directory_import_marks_its_first_applications(demo):
    con = demo.ibis()
    norm, name, count = demo.con.execute(
        "SELECT name_norm, max(name), count(*) FROM parties WHERE seq = 1 AND county_code = '500118' "
        "AND town_code <> '500118111000' GROUP BY name_norm ORDER BY count(*) DESC, name_norm LIMIT 1").fetchall()[0]
    batch = Batch()
    batch.set("enterprises", [{"name_norm": norm, "name": name, "town_code": "500118111000"}])
    with demo.import_transaction("enterprises.xlsx", "ent-sha", "test", "fixture") as tx:
        tx.add(batch, 1)
    assert stale_count(demo.con) == count  # the applications it is the first applicant of
    refresh_derived(demo)
    stored = first_applicants(con).filter(lambda t: t.applicant == norm).to_pyarrow().to_pylist()
    assert len(stored) == count and {r["town_code"] for r in stored} == {"500118111000"}
