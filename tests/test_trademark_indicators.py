"""The trademark indicators on a tiny hand-built district (SQL inserts, no importer): counts per town and per Nice
class equal to their drill-down lists, Madrid apart, GIs in the total and apart, the densities by hand, the
aggregate template as the fallback of a district without records, and the plan's trademark target moving when a
trademark is added."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from hvpatent.indicators import drill, figures, value
from hvpatent.indicators.measures import Context
from hvpatent.warehouse.store import Warehouse

AS_OF = date(2024, 12, 31)
DISTRICT, OTHER, TOTALS_ONLY = "500118", "500101", "500102"  # 永川, 万州 (one mark), 涪陵 (totals only)
T1, T2 = "500118002000", "500118111000"
# (reg_no, class, kind, gi, madrid, town, county, filed, registered, term_end)
MARKS = [
    ("A1", 9, "ordinary", False, False, T1, DISTRICT, "2014-01-01", "2015-03-14", "2025-03-13"),
    ("A1", 35, "ordinary", False, False, T1, DISTRICT, "2014-01-01", "2015-03-14", "2025-03-13"),  # same mark
    ("A2", 30, "collective", True, False, T2, DISTRICT, "2019-05-01", "2020-05-01", "2030-04-30"),  # a GI
    ("A3", 29, "certification", False, False, T2, DISTRICT, "2023-02-01", "2024-03-01", "2034-02-28"),
    ("A4", 7, "ordinary", False, False, T1, DISTRICT, "2012-01-01", "2013-01-10", "2023-01-09"),  # lapsed 2023-07-10
    ("A5", 7, "ordinary", False, False, T1, DISTRICT, "2024-02-10", None, None),  # pending
    ("G1", 9, "ordinary", False, True, T1, DISTRICT, "2020-06-01", "2021-01-01", "2030-12-31"),  # Madrid
    ("A7", 3, "ordinary", False, False, None, DISTRICT, "2018-01-01", "2019-01-01", "2028-12-31"),  # in no town
    ("A8", 3, "ordinary", False, False, None, OTHER, "2018-01-01", "2019-01-01", "2028-12-31"),
    ("A9", 9, "ordinary", False, False, T1, DISTRICT, "2015-01-01", "2016-01-01", "2025-12-31"),  # 撤销 2024-06-01
]
EFFECTIVE = {"A1/9", "A1/35", "A2/30", "A3/29", "A7/3"}  # of the district on AS_OF, Madrid apart


def _insert(wh: Warehouse, marks: list[tuple]) -> None:
    for reg, cls, kind, gi, madrid, town, county, filed, registered, end in marks:
        wh.con.execute(
            """INSERT INTO trademarks (reg_no, nice_class, mark_name, mark_kind, is_gi, is_madrid, owner, owner_norm,
                   owner_type, province_code, city_code, county_code, town_code, filing_date, registration_date,
                   term_end, status_date, source)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'enterprise', '500000', '500100', ?, ?, ?, ?, ?, '2024-12-31', 't')""",
            [reg, cls, f"标{reg}", kind, gi, madrid, f"{reg}公司", f"{reg}公司", county, town, filed, registered, end])


def _build(wh: Warehouse) -> None:
    _insert(wh, MARKS)
    wh.con.execute("INSERT INTO trademark_events VALUES ('A9', 9, '2024-06-01', 'cancelled_nonuse', NULL, NULL, "
                   "'撤销', 1)")
    wh.con.executemany("INSERT INTO market_entities VALUES (?, ?, ?)",
                       [(DISTRICT, 2023, 40_000), (DISTRICT, 2024, 50_000), (T1, 2024, 20_000)])
    wh.con.executemany("INSERT INTO population VALUES (?, ?, ?)", [(DISTRICT, 2024, 1_000_000)])
    wh.con.executemany("INSERT INTO trademark_counts VALUES (?, ?, ?)", [
        (DISTRICT, "2024-06-30", 16_000),  # the district has records: they win
        (TOTALS_ONLY, "2023-12-31", 2_800), (TOTALS_ONLY, "2024-06-30", 3_000), (TOTALS_ONLY, "2025-06-30", 3_300)])


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    with Warehouse(tmp_path_factory.mktemp("tm-ind") / "w.duckdb") as wh:
        _build(wh)
        yield wh.ibis()


def _keys(rows: list[dict]) -> set[str]:
    return {r["trademark_key"] for r in rows}


def _by(con, key: str, by: str) -> dict[str, float]:
    return {r["group"]: r["value"] for r in figures(con, AS_OF, DISTRICT, by=by, keys=[key])}


def test_effective_marks_counted_per_class(con):
    assert value(Context.create(con, AS_OF, region=DISTRICT), "trademarks") == 5
    assert _keys(drill(con, "trademarks", AS_OF, DISTRICT)) == EFFECTIVE  # lapsed, pending, 撤销, Madrid: out


@pytest.mark.parametrize(("by", "expected"), [
    ("town", {T1: 2, T2: 2, None: 1}),                               # A1 twice; A2, A3; A7 in no town
    ("nice-class", {"9": 1, "35": 1, "30": 1, "29": 1, "3": 1}),
])
def test_breakdowns_equal_their_lists(con, by, expected):
    found = _by(con, "trademarks", by)
    assert found == expected
    for group, count in found.items():
        if group is None:
            continue
        assert len(drill(con, "trademarks", AS_OF, DISTRICT, by=by, group=group)) == count


def test_madrid_apart_and_gi_in_the_total_and_apart(con):
    assert _keys(drill(con, "madrid_registrations", AS_OF, DISTRICT)) == {"G1/9"}
    assert _keys(drill(con, "geographical_indications", AS_OF, DISTRICT)) == {"A2/30"}
    assert _keys(drill(con, "collective_marks", AS_OF, DISTRICT)) == {"A2/30"}
    assert _keys(drill(con, "certification_marks", AS_OF, DISTRICT)) == {"A3/29"}
    ctx = Context.create(con, AS_OF, region=DISTRICT)
    assert [value(ctx, k) for k in ("madrid_registrations", "geographical_indications")] == [1, 1]


def test_flows(con):
    # 2024: A3 registered 2024-03-01; A5 filed 2024-02-10 (A3 was filed in 2023)
    assert _keys(drill(con, "trademark_registrations", AS_OF, DISTRICT)) == {"A3/29"}
    assert _keys(drill(con, "trademark_applications", AS_OF, DISTRICT)) == {"A5/7"}
    earlier = Context.create(con, date(2023, 12, 31), region=DISTRICT)
    assert value(earlier, "trademark_applications") == 1  # A3 filed 2023-02-01
    assert value(earlier, "trademarks") == 5 - 1 + 1  # A3 not yet registered; A9 not yet cancelled


def test_densities_by_hand(con, monkeypatch):
    ctx = Context.create(con, AS_OF, region=DISTRICT)
    assert value(ctx, "trademarks_per_10k_entities") == pytest.approx(1.0)     # 5 / 50,000 (2024) × 10,000
    assert value(ctx, "trademarks_per_10k_residents") == pytest.approx(0.05)   # 5 / 1,000,000 × 10,000
    row = figures(con, AS_OF, DISTRICT, keys=["trademarks_per_10k"])[0]
    assert (row["value"], row["unit"], row["name"]) == (1.0, "件/万户", "每万户市场主体有效商标拥有量")
    # mid-year the base is the latest year-end before: 2023's 40,000 entities; the marks of 2024-06-30 are 5
    # (A9 cancelled 2024-06-01; A3 registered 2024-03-01): 5 / 40,000 × 10,000 = 1.25
    mid = Context.create(con, date(2024, 6, 30), region=DISTRICT)
    assert value(mid, "trademarks_per_10k_entities") == pytest.approx(1.25)
    assert _by(con, "trademarks_per_10k_entities", "town") == {T1: pytest.approx(1.0)}  # 2 / 20,000 × 10,000
    monkeypatch.setattr("hvpatent.indicators.measures.trademark_density_base", lambda: "residents")
    row = figures(con, AS_OF, DISTRICT, keys=["trademarks_per_10k"])[0]
    assert (row["value"], row["unit"]) == (0.05, "件/万人")


def test_aggregate_fallback_only_without_records(con):
    # 涪陵 has no trademark record: its latest total on or before the day (2025's is later)
    assert value(Context.create(con, AS_OF, region=TOTALS_ONLY), "trademarks") == 3_000
    assert value(Context.create(con, date(2024, 1, 31), region=TOTALS_ONLY), "trademarks") == 2_800
    assert [r["trademark_key"] for r in drill(con, "trademarks", AS_OF, TOTALS_ONLY)] == [TOTALS_ONLY]
    # 永川 has records: they win over its 16,000
    assert value(Context.create(con, AS_OF, region=DISTRICT), "trademarks") == 5
    assert value(Context.create(con, AS_OF, region=OTHER), "trademarks") == 1


def test_plan_target_moves_when_marks_are_added(tmp_path):
    from hvpatent.plan import load_plan, plan_progress

    plan = load_plan()
    plan = replace(plan, targets=[t for t in plan.targets if t.key == "trademarks"])
    with Warehouse(tmp_path / "w.duckdb") as wh:
        _build(wh)
        before = plan_progress(wh.ibis(), plan, AS_OF)[0]
        assert before.current == 5
        _insert(wh, [("B1", 5, "ordinary", False, False, T2, DISTRICT, "2022-01-01", "2023-05-01", "2033-04-30"),
                     ("B1", 10, "ordinary", False, False, T2, DISTRICT, "2022-01-01", "2023-05-01", "2033-04-30")])
        after = plan_progress(wh.ibis(), plan, AS_OF)[0]
    assert after.current == 7
    assert dict(after.trend)[date(2023, 6, 30)] == dict(before.trend)[date(2023, 6, 30)] + 2  # history moves too


def test_aggregate_totals_of_a_district_and_its_towns_count_once(tmp_path):
    # 涪陵 gives its own total (3,000) and two towns' (1,000 + 500): the district row keeps the 1,500 the towns do
    # not cover, so the figure is 3,000, not 4,500, and still the sum of its list. Towns over the total (800 + 400
    # against 1,000, a later report) leave the district row at 0: the figure is the towns' 1,200.
    town1, town2 = f"{TOTALS_ONLY}001000", f"{TOTALS_ONLY}002000"
    with Warehouse(tmp_path / "agg.duckdb") as wh:
        wh.con.executemany("INSERT INTO trademark_counts VALUES (?, ?, ?)", [
            (TOTALS_ONLY, "2024-06-30", 3_000), (town1, "2024-06-30", 1_000), (town2, "2024-06-30", 500),
            (TOTALS_ONLY, "2024-12-31", 1_000), (town1, "2024-12-31", 800), (town2, "2024-12-31", 400)])
        con = wh.ibis()
        mid = date(2024, 6, 30)
        assert value(Context.create(con, mid, region=TOTALS_ONLY), "trademarks") == 3_000
        listed = {r["trademark_key"]: r["effective_count"] for r in drill(con, "trademarks", mid, TOTALS_ONLY)}
        assert listed == {TOTALS_ONLY: 1_500, town1: 1_000, town2: 500}
        assert value(Context.create(con, AS_OF, region=TOTALS_ONLY), "trademarks") == 1_200
        assert value(Context.create(con, mid, region=town1), "trademarks") == 1_000
