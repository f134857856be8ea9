"""The facts each subsidy item pays for (subsidies/facts.py, docs/subsidies.md): for every item kind, the events of
the period 2024 in a hand-built warehouse, each kind with an event on the day before the period (2023-12-31), on its
first day, on its last day and on the day after (2025-01-01): only the two inside are events.

The warehouse (plain INSERTs), assessed on AS_OF = 2025-06-30:
  G0..G3  inventions filed 2020-01-10, granted 2023-12-31 / 2024-01-01 / 2024-12-31 / 2025-01-01;
          G1: first applicant 甲 (party town 胜利路街道), second 乙 (来苏镇); IPC C09K19/30 (SEI 1.2), H01L
          U1      a utility model granted 2024-06-01 (not an invention grant)
  M0..M3  inventions filed 2013-12-30 / 2013-12-31 / 2014-12-30 / 2014-12-31, granted 2016-01-05: maintained
          more than 10 years from 2023-12-31 / 2024-01-01 / 2024-12-31 / 2025-01-01 (the anniversary + 1 day);
          M2: its annuity due 2024-12-30 unpaid (a lapse announced 2025-02-01 giving that due date), so in its
          grace period (in force) from 2024-12-30 to 2025-06-30: 'grace' on its event day and on AS_OF
  P0..P3  PCT national-phase entries (pct_app_no) filed on the four days
  G1's family F1: members US granted 2023-12-31, EP 2024-01-01, JP 2024-12-31, KR 2025-01-01, GB granted with no
          date, CN 2024-05-01 (domestic), DE 2024-06-01 (an office the item does not pay)
  finance_ledger (interest_subsidy unless said): C0 2023-Q4 approved, C1 2024-Q1 paid, C2 2024-H2 approved,
          C3 2025-Q1 approved, C4 2024-Q2 applied, C5 2024-Q2 risk_compensation approved; pledgor 丙
  recognitions of 丙 (directory town 来苏镇): ip_advantage municipal 2023-12-31, 2024-01-01 (record town
          胜利路街道), national 2024-12-31, provincial 2025-01-01, district 2024-06-01 (a level not paid);
          ip_demonstration municipal 2024-05-01 (another kind)
  navigation_projects: N0..N3 accepted on the four days for 丙 (kind enterprise); N4 accepted 2024-06-01 without
          an enterprise (industry); N5 in progress
  awards: G1 中国专利奖 金奖 2023, 银奖 2024, 优秀奖 2024 (a grade not paid), 国家科学技术进步奖 二等奖 2024;
          G2 中国专利奖 金奖 2025
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from hvpatent.subsidies.facts import Applicant, events
from hvpatent.subsidies.policy import Item
from hvpatent.warehouse.store import Warehouse

START, END, AS_OF = date(2024, 1, 1), date(2024, 12, 31), date(2025, 6, 30)
DAYS = (date(2023, 12, 31), START, END, date(2025, 1, 1))
SHENGLI, LAISU = "500118002000", "500118111000"
JIA, YI, BING = "重庆甲科技有限公司", "重庆乙材料有限公司", "重庆丙机械有限公司"


def _app(wh, app_no, ptype, filed, *, pct=None, family=None, ipcs=(), grant=None, first=JIA, first_town=SHENGLI,
         others=()):
    wh.con.execute("INSERT INTO applications (app_no, patent_type, filing_date, pct_app_no, title, ipc_main, "
                   "family_id, source, row_hash, first_import_id, last_import_id) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, 'test', 'h', 1, 1)",
                   [app_no, ptype, filed, pct, f"标题{app_no}", ipcs[0] if ipcs else None, family])
    for seq, (name, town) in enumerate([(first, first_town), *others], start=1):
        wh.con.execute("INSERT INTO parties (app_no, seq, role, name, name_norm, party_type, province_code, "
                       "city_code, county_code, town_code, country) "
                       "VALUES (?, ?, 'applicant', ?, ?, 'enterprise', ?, ?, ?, ?, 'CN')",
                       [app_no, seq, name, name, town and town[:2] + "0000", town and town[:4] + "00",
                        town and town[:6], town])
    for seq, ipc in enumerate(ipcs, start=1):
        wh.con.execute("INSERT INTO ipc_classes VALUES (?, ?, ?, ?)", [app_no, seq, ipc, seq == 1])
    if grant:
        wh.con.execute("INSERT INTO legal_events (app_no, event_date, event_type, raw_text, import_id) "
                       "VALUES (?, ?, 'granted', '授权', 1)", [app_no, grant])


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("facts") / "facts.duckdb")
    for i, day in enumerate(DAYS):
        _app(wh, f"G{i}", "invention", date(2020, 1, 10), grant=day,
             ipcs=("C09K19/30", "H01L21/00") if i == 1 else (), family="F1" if i == 1 else None,
             others=[(YI, LAISU)] if i == 1 else ())
        _app(wh, f"P{i}", "invention", day, pct=f"PCT/CN2023/00000{i}")
    _app(wh, "U1", "utility_model", date(2023, 1, 5), grant=date(2024, 6, 1))
    for i, filed in enumerate((date(2013, 12, 30), date(2013, 12, 31), date(2014, 12, 30), date(2014, 12, 31))):
        _app(wh, f"M{i}", "invention", filed, grant=date(2016, 1, 5))
    wh.con.execute("INSERT INTO legal_events VALUES ('M2', '2025-02-01', 'annuity_lapse', '未缴年费', "
                   "'2024-12-30', 1)")
    members = [("US1", "US", DAYS[0]), ("EP1", "EP", DAYS[1]), ("JP1", "JP", DAYS[2]), ("KR1", "KR", DAYS[3]),
               ("GB1", "GB", None), ("CN1", "CN", date(2024, 5, 1)), ("DE1", "DE", date(2024, 6, 1))]
    for member, office, day in members:
        wh.con.execute("INSERT INTO family_members VALUES ('F1', ?, ?, true, ?)", [office, member, day])
    ledger = [("interest_subsidy", "C0", "2023-Q4", "approved"), ("interest_subsidy", "C1", "2024-Q1", "paid"),
              ("interest_subsidy", "C2", "2024-H2", "approved"), ("interest_subsidy", "C3", "2025-Q1", "approved"),
              ("interest_subsidy", "C4", "2024-Q2", "applied"), ("risk_compensation", "C5", "2024-Q2", "approved")]
    for scheme, contract, period, status in ledger:
        wh.con.execute("INSERT INTO finance_ledger (scheme, contract_no, period, policy_version, enterprise, bank, "
                       "claimed_yuan, computed_yuan, approved_yuan, status, trace, applied_at, applied_by) "
                       "VALUES (?, ?, ?, '2024-01', ?, '重庆银行', 1000, 1000, 812.50, ?, '[]', now(), 't')",
                       [scheme, contract, period, BING, status])
    wh.con.execute("INSERT INTO pledge_contracts (contract_no, pledgor, pledgor_norm, pledgee, pledgee_norm, "
                   "amount_yuan, registered_date, source) VALUES ('C1', '重庆丙机械有限公司（原名）', ?, '重庆银行', "
                   "'重庆银行', 100000, '2023-06-01', 'test')", [BING])
    wh.con.execute("INSERT INTO enterprises VALUES (?, ?, NULL, NULL, ?)", [BING, BING, LAISU])
    recognitions = [("ip_advantage", "municipal", DAYS[0], None), ("ip_advantage", "municipal", DAYS[1], SHENGLI),
                    ("ip_advantage", "national", DAYS[2], None), ("ip_advantage", "provincial", DAYS[3], None),
                    ("ip_advantage", "district", date(2024, 6, 1), None),
                    ("ip_demonstration", "municipal", date(2024, 5, 1), None)]
    for kind, level, day, town in recognitions:
        wh.con.execute("INSERT INTO recognitions (name_norm, name, kind, level, recognised_date, certificate_no, "
                       "town_code) VALUES (?, ?, ?, ?, ?, ?, ?)", [BING, BING, kind, level, day, f"Z{day}", town])
    projects = [(f"N{i}", "enterprise", BING, day, "accepted") for i, day in enumerate(DAYS)]
    projects += [("N4", "industry", None, date(2024, 6, 1), "accepted"), ("N5", "enterprise", BING, None,
                                                                          "in_progress")]
    for number, kind, firm, day, status in projects:
        wh.con.execute("INSERT INTO navigation_projects (project_no, title, kind, enterprise, enterprise_norm, "
                       "started_date, accepted_date, status) VALUES (?, ?, ?, ?, ?, '2023-01-01', ?, ?)",
                       [number, f"导航{number}", kind, firm, firm, day, status])
    awards = [("G1", "中国专利奖", "金奖", 2023), ("G1", "中国专利奖", "银奖", 2024),
              ("G1", "中国专利奖", "优秀奖", 2024), ("G1", "国家科学技术进步奖", "二等奖", 2024),
              ("G2", "中国专利奖", "金奖", 2025)]
    for app_no, award, grade, year in awards:
        wh.con.execute("INSERT INTO awards VALUES (?, ?, ?, ?)", [app_no, award, grade, year])
    yield wh.ibis()
    wh.close()


def item(kind: str, subject: str = "patent", **fields) -> Item:
    return Item(id=f"t_{kind}", kind=kind, name_zh="测试", name_en="test", subject=subject, **fields)


def keyed(found) -> list[tuple[str, date]]:
    return [(e.event_key, e.event_date) for e in found]


def test_invention_grants_in_the_period_with_the_patent_facts(con):
    found = events(con, item("invention_grant", amount_yuan=Decimal(5000)), START, END, as_of=AS_OF)
    assert keyed(found) == [("invention_grant:G1", START), ("invention_grant:G2", END)]
    g1 = found[0]
    assert (g1.item, g1.kind, g1.subject_kind, g1.subject_key, g1.app_no) == (
        "t_invention_grant", "invention_grant", "patent", "G1", "G1")
    assert g1.subject_name == "标题G1"
    assert g1.facts == {"patent_type": "invention", "state": "valid", "in_force": True, "grant_date": "2024-01-01",
                        "ipc_main": "C09K19/30", "ipcs": ["C09K19/30", "H01L21/00"], "sei": ["1.2"],
                        "title": "标题G1"}
    assert g1.applicants == (Applicant(1, JIA, JIA, "enterprise", SHENGLI), Applicant(2, YI, YI, "enterprise", LAISU))


def test_a_grant_unknown_on_the_assessment_day_is_no_event(con):
    found = events(con, item("invention_grant"), START, END, as_of=date(2024, 12, 30))
    assert keyed(found) == [("invention_grant:G1", START)]


def test_high_value_criterion_first_day_and_state_on_it(con):
    found = events(con, item("high_value_criterion", criterion="maintained_10y"), START, END, as_of=AS_OF)
    assert keyed(found) == [("hv:maintained_10y:M1", START), ("hv:maintained_10y:M2", END)]
    m2 = found[1]
    assert m2.facts["criterion"] == "maintained_10y" and m2.facts["evidence"] == "2014-12-30"
    # the annuity due 2024-12-30 was not paid: in its grace period on both days (in force), lapse due date before
    assert (m2.facts["state"], m2.facts["in_force"], m2.facts["state_on_event"]) == ("grace", True, "grace")
    assert found[0].facts["state_on_event"] == "valid"


def test_high_value_criterion_names_one_criterion(con):
    found = events(con, item("high_value_criterion", criterion="sei"), START, END, as_of=AS_OF)
    assert found == []  # G1's SEI code holds from its filing day (2020)
    sei = events(con, item("high_value_criterion", criterion="sei"), date(2020, 1, 10), date(2020, 1, 10),
                 as_of=AS_OF)
    assert keyed(sei) == [("hv:sei:G1", date(2020, 1, 10))] and sei[0].facts["evidence"].startswith("1.2 ")
    # a member abroad granted with no date counts from the filing day (criterion_periods' rule): GB1, not US1
    abroad = events(con, item("high_value_criterion", criterion="family_abroad"), date(2020, 1, 10),
                    date(2023, 12, 31), as_of=AS_OF)
    assert keyed(abroad) == [("hv:family_abroad:G1", date(2020, 1, 10))] and abroad[0].facts["evidence"] == "GB1"


def test_pct_filings_on_the_filing_day(con):
    found = events(con, item("pct_filing"), START, END, as_of=AS_OF)
    assert keyed(found) == [("pct:P1", START), ("pct:P2", END)]
    assert found[0].facts["pct_app_no"] == "PCT/CN2023/000001" and found[0].facts["state"] == "pending"


def test_grants_abroad_per_office_the_item_pays(con):
    amounts = {office: Decimal(10000) for office in ("US", "EP", "JP", "KR", "GB", "CN")}
    found = events(con, item("grant_abroad", amounts=amounts), START, END, as_of=AS_OF)
    assert keyed(found) == [("grant_abroad:G1:EP", START), ("grant_abroad:G1:JP", END)]
    assert [e.subject_key for e in found] == ["G1@EP", "G1@JP"]
    assert found[1].facts["office"] == "JP" and found[1].facts["member_no"] == "JP1"
    assert found[1].facts["grant_date"] == "2024-12-31"
    everywhere = events(con, item("grant_abroad"), START, END, as_of=AS_OF)  # no amounts: any office abroad
    assert [e.subject_key for e in everywhere] == ["G1@EP", "G1@DE", "G1@JP"]


def test_pledge_interest_on_the_claim_period_end(con):
    found = events(con, item("pledge_interest", "enterprise", rate=Decimal("0.5")), START, END, as_of=AS_OF)
    assert keyed(found) == [("pledge_interest:C1:2024-Q1", date(2024, 3, 31)), ("pledge_interest:C2:2024-H2", END)]
    c1 = found[0]
    assert (c1.subject_kind, c1.subject_key, c1.subject_name, c1.app_no) == (
        "enterprise", BING, "重庆丙机械有限公司（原名）", None)
    assert c1.facts == {"contract_no": "C1", "finance_period": "2024-Q1", "finance_status": "paid",
                        "bank": "重庆银行", "finance_amount_yuan": "812.50"}
    assert c1.applicants == (Applicant(1, BING, "重庆丙机械有限公司（原名）", "enterprise", LAISU),)


def test_recognitions_of_the_kind_and_levels_the_item_pays(con):
    amounts = {level: Decimal(1) for level in ("national", "provincial", "municipal")}
    found = events(con, item("ip_advantage", "enterprise", amounts=amounts), START, END, as_of=AS_OF)
    assert keyed(found) == [(f"ip_advantage:{BING}:municipal:2024-01-01", START),
                            (f"ip_advantage:{BING}:national:2024-12-31", END)]
    first, last = found
    assert first.facts["level"] == "municipal" and first.facts["certificate_no"] == "Z2024-01-01"
    assert first.applicants[0].town_code == SHENGLI   # the record's own town
    assert last.applicants[0].town_code == LAISU      # the directory's
    assert events(con, item("ip_standard", "enterprise"), START, END, as_of=AS_OF) == []


def test_navigation_projects_accepted_for_an_enterprise(con):
    found = events(con, item("navigation_project", "enterprise"), START, END, as_of=AS_OF)
    assert keyed(found) == [("navigation:N1", START), ("navigation:N2", END)]
    assert found[0].facts["project_kind"] == "enterprise" and found[0].subject_key == f"{BING}#N1"
    # one enterprise, two projects accepted in one year: two ledger keys, so both can be paid
    assert [e.subject_key for e in found] == [f"{BING}#N1", f"{BING}#N2"]
    industry = {"industry": Decimal(1), "region": Decimal(1)}
    assert events(con, item("navigation_project", "enterprise", amounts=industry), START, END, as_of=AS_OF) == []


def test_china_patent_award_dated_first_of_january(con):
    grades = {"金奖": Decimal(1), "银奖": Decimal(1)}
    found = events(con, item("china_patent_award", amounts=grades), START, END, as_of=AS_OF)
    assert keyed(found) == [("award:G1:中国专利奖:银奖:2024", START)] and found[0].subject_key == "G1#银奖"
    assert {k: found[0].facts[k] for k in ("award", "grade", "year")} == {"award": "中国专利奖", "grade": "银奖",
                                                                          "year": 2024}
    # 1 January is the day before a period that starts on 2 January, and the last day of one ending on it
    assert events(con, item("china_patent_award", amounts=grades), date(2024, 1, 2), END, as_of=AS_OF) == []
    assert len(events(con, item("china_patent_award", amounts=grades), date(2023, 6, 1), START, as_of=AS_OF)) == 1


def test_unknown_kind_is_refused(con):
    with pytest.raises(ValueError, match="unknown item kind"):
        events(con, item("lottery"), START, END, as_of=AS_OF)
