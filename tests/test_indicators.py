"""Indicators on the hand-built district of world.py, with answers worked out by hand.

As of 2024-12-31, region 500118, period = year 2024 (previous period = same period last year = 2023).
Attributed to Yongchuan by first applicant: A1 A2 A3 A5 A6 A7 A8 A9 A10 (A4's first applicant is in
Beijing).  Valid inventions: A1, A3 (restored), A5, A10 — A2 was granted and lapsed in 2024, A6 is
pending, A8 rejected, A9 withdrawn.
"""

from __future__ import annotations

from datetime import date

import pytest

import world
from hvpatent.indicators import Context, drill, explain, figures, grouped_values, high_value_list, value
from world import A1, A2, A3, A4, A5, A6, A8, A10

AS_OF = date(2024, 12, 31)


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    from hvpatent.warehouse.store import Warehouse

    wh = Warehouse(tmp_path_factory.mktemp("world") / "world.duckdb")
    world.build(wh)
    yield wh.ibis()
    wh.close()


def v(con, key, as_of=AS_OF, region="500118", period="year"):
    return value(Context.create(con, as_of, period, region), key)


EXPECTED = {
    "valid_inventions": 4,                  # A1 A3 A5 A10
    "valid_inventions_per_10k": pytest.approx(0.04),       # 4 / 1,000,000 residents (year-end 2024) × 10,000
    "high_value_inventions": 3,             # A1 A3 A5 (A10 meets no criterion)
    "high_value_sei": 2,                    # A3 A23L7/10 (4.5, block A23L*), A5 G06N3/08; A1's H01M10/052
                                            # is SEI only with an automotive keyword (5.2) and its title has none
    "high_value_family_abroad": 1,          # A5: EP granted (the JP member is not granted)
    "high_value_maintained_10y": 2,         # A1 filed 2010, A3 filed 2012-06-01 (restored)
    "high_value_pledge_high": 1,            # A5: half of P1 (750万) + P2 (800万) = 1,550万 ≥ 1,000万
    "high_value_award": 1,                  # A5: 中国专利奖 2023
    "high_value_per_10k": pytest.approx(0.03),
    "applications": 1,                      # A6 (A7 was filed in 2023)
    "grants": 3,                            # A2, A7 (utility model), A10
    "invention_applications": 1,            # A6
    "invention_grants": 2,                  # A2, A10
    "invention_concluded": 3,               # A2, A10 granted; A8 rejected (A9 concluded in 2023)
    "invention_grant_rate": pytest.approx(66.67, abs=0.01),
    "maintainable_inventions": 5,           # A1 A2 A3 A5 A10 granted, within term
    "invention_maintenance_rate": 80.0,     # 4 / 5
    "family_abroad_share": 25.0,            # 1 / 4
    "pct_applications": 1,                  # A6 has a WO family member
    "pledge_amount": 800.0,                 # 万元: P2 registered 2024 (P1 was 2023)
    "pledge_count": 1,
    "trademarks": 16_600,
    "industry_valid_inventions": 4,         # each valid invention is in one plan industry
}


@pytest.mark.parametrize(("key", "expected"), EXPECTED.items())
def test_indicator_values(con, key, expected):
    assert v(con, key) == expected


def test_last_year_and_changes(con):
    rows = {r["key"]: r for r in figures(con, AS_OF, "500118", "year",
                                         keys=["valid_inventions", "invention_grants", "pledge_amount"])}
    # 2023-12-31: A1, A3 (restored 2023-02-10), A5 valid; A2 and A10 not yet granted.
    assert rows["valid_inventions"]["last_year"] == 3
    assert rows["valid_inventions"]["yoy_pct"] == pytest.approx(33.33)
    assert rows["invention_grants"]["last_year"] == 0
    assert rows["invention_grants"]["yoy_pct"] is None  # no change from zero
    # 2023: P1 pledges two patents of the region; the contract's 1,500万 counts once.
    assert rows["pledge_amount"]["last_year"] == 1500.0
    assert rows["pledge_amount"]["yoy_pct"] == pytest.approx((800 - 1500) / 1500 * 100, abs=0.01)


def test_restored_patent_counts_with_hindsight_unless_known_later(con):
    # A3: annuity due 2022-06-01 unpaid, grace ended 2022-12-01, termination announced 2023-01-20,
    # restored 2023-02-10. With hindsight the right never ended: A1, A3, A5 on 2022-12-31.
    assert v(con, "valid_inventions", date(2022, 12, 31)) == 3
    assert v(con, "valid_inventions", date(2022, 11, 30)) == 3  # in its grace period anyway

    def known_on(day: date) -> float:
        ctx = Context.create(con, date(2022, 12, 31), "year", "500118", as_known_on=day)
        return value(ctx, "valid_inventions")

    assert known_on(date(2023, 1, 19)) == 3   # the termination not yet announced
    assert known_on(date(2023, 1, 20)) == 2   # announced, the restoration not yet made: A1, A5
    assert known_on(date(2023, 2, 10)) == 3   # restored


def test_counting_rule_is_the_first_applicant(con):
    assert v(con, "valid_inventions", region="110000") == 1  # A4 only, not A5
    assert v(con, "high_value_family_abroad", region="110000") == 1
    assert A4 not in {r["app_no"] for r in drill(con, "valid_inventions", AS_OF, "500118")}


def test_quarter_period(con):
    # Q4 2024: A10 was granted in Q3, so no invention grant in Q4; previous quarter Q3 had one.
    rows = figures(con, AS_OF, "500118", "quarter", keys=["invention_grants"])
    assert (rows[0]["value"], rows[0]["previous"], rows[0]["last_year"]) == (0, 1, 0)


@pytest.mark.parametrize("key", [k for k, e in EXPECTED.items() if isinstance(e, int) and not k.startswith(
    ("trademarks", "pledge"))])
def test_drill_down_count_equals_figure(con, key):
    assert len(drill(con, key, AS_OF, "500118")) == v(con, key)


def test_pledge_drill_adds_up_to_the_figure(con):
    rows = drill(con, "pledge_amount", AS_OF, "500118")
    amounts = {r["contract_no"]: r["amount_yuan"] for r in rows}
    assert sum(amounts.values()) / 10_000 == v(con, "pledge_amount")


def test_breakdowns(con):
    def groups(key, by):
        rows = grouped_values(Context.create(con, AS_OF, "year", "500118"), key, by).to_pyarrow().to_pylist()
        return {r["group"]: r["value"] for r in rows}

    assert groups("valid_inventions", "town") == {"500118002000": 2, "500118111000": 2}
    assert groups("valid_inventions_per_10k", "town") == {"500118002000": pytest.approx(0.2),
                                                          "500118111000": pytest.approx(0.4)}
    assert groups("valid_inventions", "applicant-type") == {"enterprise": 3, "university": 1}
    assert groups("valid_inventions", "enterprise") == {"重庆甲新能源科技有限公司": 1, "重庆乙食品有限公司": 2}
    assert groups("valid_inventions", "industry") == {
        "new_energy": 1, "consumer_goods": 1, "electronics": 1, "smart_home_materials": 1}


def test_high_value_list_names_the_criteria(con):
    rows = {r["app_no"]: r["criteria"] for r in high_value_list(con, AS_OF, "500118")}
    assert rows == {A1: "maintained_10y", A3: "maintained_10y,sei",
                    A5: "award,family_abroad,pledge_high,sei"}


def test_explain_high_value(con):
    result = explain(con, A5, AS_OF)
    assert result.high_value
    met = {c.criterion: c.evidence for c in result.checks if c.met}
    assert met["family_abroad"] == ["EP-3000005-B1"]
    assert met["award"] == ["中国专利奖 优秀奖 2023"]
    assert set(met) == {"sei", "family_abroad", "pledge_high", "award"}
    not_met = {c.criterion: c.reason for c in result.checks if not c.met}
    assert "2027-05-05" in not_met["maintained_10y"]  # more than 10 years only after this day


def test_explain_not_high_value(con):
    result = explain(con, A10, AS_OF)
    assert result.eligible and not result.high_value
    reasons = {c.criterion: c.reason for c in result.checks}
    assert "A47B88/40" in reasons["sei"]
    assert "0.00 万元" in reasons["pledge_high"]


def test_explain_ineligible(con):
    lapsed = explain(con, A2, AS_OF)
    assert not lapsed.eligible and not lapsed.high_value and lapsed.state == "lapsed"
    assert explain(con, A8, AS_OF).state == "rejected"
    assert explain(con, A6, date(2024, 1, 1)) is None  # not yet filed


def test_maintained_boundary(con):
    # A3 filed 2012-06-01: "more than 10 years" from the day after the 10th anniversary — but it was in
    # grace on 2022-06-01 (annuity unpaid) and only valid again after restoration; A1 filed 2010-03-01.
    assert A1 in _hv(con, "maintained_10y", date(2020, 3, 2))
    assert A1 not in _hv(con, "maintained_10y", date(2020, 3, 1))


def _hv(con, criterion, day):
    return {r["app_no"] for r in drill(con, f"high_value_{criterion}", day, "500118")}


def test_unknown_drill_key(con):
    with pytest.raises(KeyError):
        drill(con, "nonsense", AS_OF)


def test_application_imported_from_two_sources_counts_once(warehouse, tmp_path):
    """The same invention arrives in a CNIPA export and in Google Patents data: one patent, once."""
    import json

    from conftest import write_xlsx
    from hvpatent.ingest import import_file
    from test_import import A, good_rows, google_rows

    import_file(warehouse, write_xlsx(tmp_path / "cnipa.xlsx", good_rows()))
    bq = tmp_path / "bq.jsonl"
    bq.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in google_rows()), encoding="utf-8")
    import_file(warehouse, bq)
    con = warehouse.ibis()
    ctx = Context.create(con, date(2018, 12, 31), "year", "500118")
    assert [r["app_no"] for r in drill(con, "valid_inventions", date(2018, 12, 31), "500118")] == [A]
    assert value(ctx, "valid_inventions") == 1
    # the US grant from either source makes it high-value once; not SEI: the official table has no
    # H01M4/58, and H01M10/052 counts (5.2) only with an automotive keyword, which the title lacks
    assert [(r["app_no"], r["criteria"]) for r in high_value_list(con, date(2018, 12, 31), "500118")] == [
        (A, "family_abroad")]
    assert value(Context.create(con, date(2017, 12, 31), "year", "500118"), "invention_grants") == 1
