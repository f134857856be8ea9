"""The facts each subsidy item pays for (subsidies/facts.py, docs/subsidies.md): for every item kind, the events of
the period 2024 in a hand-built warehouse, each kind with an event on the day before the period (2023-12-31), on its
first day, on its last day and on the day after (2025-01-01): only the two inside are events.

The warehouse (plain INSERTs), assessed on AS_OF = 2025-06-30:
  G0..G3  inventions filed 2020-01-10, granted 2023-12-31 / 2024-01-01 / 2024-12-31 / 2025-01-01;
          G1: first applicant 甲 (party town 胜利路街道), second 乙 (来苏镇); IPC C09K19/30 (SEI 1.2), H01L
          U1      a utility model granted 2024-06-01 (not an invention grant)
  H1      an invention filed 2022-05-10 in an SEI class (C09K19/30), granted 2024-03-01: the criterion holds from
          its filing, the granted invention meets it from 2024-03-01
  M0..M3  inventions filed 2013-12-30 / 2013-12-31 / 2014-12-30 / 2014-12-31, granted 2016-01-05: maintained
          more than 10 years from 2023-12-31 / 2024-01-01 / 2024-12-31 / 2025-01-01 (the anniversary + 1 day);
          M2: its annuity due 2024-12-30 unpaid (a lapse announced 2025-02-01 giving that due date), so in its
          grace period (in force) from 2024-12-30 to 2025-06-30: 'grace' on its event day and on AS_OF
  P0..P3  PCT national-phase entries (pct_app_no) filed on the four days
  G1's family F1: members US granted 2023-12-31, EP 2024-01-01, JP 2024-12-31, KR 2025-01-01, GB granted with no
          date, CN 2024-05-01 (domestic), DE 2024-06-01 (an office the item does not pay), a second US member
          US2 granted 2024-06-01 (the family's US grant is US1's, 2023-12-31)
  family F2: an invention A1 filed 2021-03-01, its divisional A1D (same filing date), a utility model A1U filed
          2021-02-01; one US member granted 2024-07-01.  Family F3: a utility model U3 only; US granted 2024-05-01
  finance_ledger (interest_subsidy unless said): C0 2023-Q4 approved, C1 2024-Q1 paid, C2 2024-H2 approved,
          C3 2025-Q1 approved, C4 2024-Q2 applied, C5 2024-Q2 risk_compensation approved; pledgor 丙
  recognitions of 丙 (directory town 来苏镇), certificate Z{day}: ip_advantage municipal 2023-12-31, 2024-01-01
          (record town 胜利路街道), national 2024-12-31, provincial 2025-01-01, district 2024-06-01 (a level not
          paid); ip_demonstration municipal 2024-05-01 (another kind), national 2024-08-01 without a certificate
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
    _app(wh, "H1", "invention", date(2022, 5, 10), ipcs=("C09K19/30",), grant=date(2024, 3, 1))
    _app(wh, "A1", "invention", date(2021, 3, 1), family="F2")
    _app(wh, "A1D", "invention", date(2021, 3, 1), family="F2")
    _app(wh, "A1U", "utility_model", date(2021, 2, 1), family="F2")
    _app(wh, "U3", "utility_model", date(2021, 2, 1), family="F3")
    for i, filed in enumerate((date(2013, 12, 30), date(2013, 12, 31), date(2014, 12, 30), date(2014, 12, 31))):
        _app(wh, f"M{i}", "invention", filed, grant=date(2016, 1, 5))
    wh.con.execute("INSERT INTO legal_events VALUES ('M2', '2025-02-01', 'annuity_lapse', '未缴年费', "
                   "'2024-12-30', 1)")
    members = [("US1", "US", DAYS[0]), ("EP1", "EP", DAYS[1]), ("JP1", "JP", DAYS[2]), ("KR1", "KR", DAYS[3]),
               ("GB1", "GB", None), ("CN1", "CN", date(2024, 5, 1)), ("DE1", "DE", date(2024, 6, 1)),
               ("US2", "US", date(2024, 6, 1))]
    members = [("F1", *m) for m in members] + [("F2", "US3", "US", date(2024, 7, 1)),
                                               ("F3", "US4", "US", date(2024, 5, 1))]
    for family, member, office, day in members:
        wh.con.execute("INSERT INTO family_members VALUES (?, ?, ?, true, ?)", [family, office, member, day])
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
                    ("ip_demonstration", "municipal", date(2024, 5, 1), None),
                    ("ip_demonstration", "national", date(2024, 8, 1), None)]
    for kind, level, day, town in recognitions:
        certificate = None if (kind, level) == ("ip_demonstration", "national") else f"Z{day}"
        wh.con.execute("INSERT INTO recognitions (name_norm, name, kind, level, recognised_date, certificate_no, "
                       "town_code) VALUES (?, ?, ?, ?, ?, ?, ?)", [BING, BING, kind, level, day, certificate, town])
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
    assert keyed(found) == [("invention_grant:G1", START), ("invention_grant:H1", date(2024, 3, 1)),
                            ("invention_grant:G2", END)]
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
    assert keyed(found) == [("invention_grant:G1", START), ("invention_grant:H1", date(2024, 3, 1))]


def test_high_value_criterion_first_day_and_state_on_it(con):
    found = events(con, item("high_value_criterion", criterion="maintained_10y"), START, END, as_of=AS_OF)
    assert keyed(found) == [("hv:maintained_10y:M1", START), ("hv:maintained_10y:M2", END)]
    m2 = found[1]
    assert m2.facts["criterion"] == "maintained_10y" and m2.facts["evidence"] == "2014-12-30"
    # the annuity due 2024-12-30 was not paid: in its grace period on both days (in force), lapse due date before
    assert (m2.facts["state"], m2.facts["in_force"], m2.facts["state_on_event"]) == ("grace", True, "grace")
    assert found[0].facts["state_on_event"] == "valid"
    assert found[0].facts["criterion_from"] == "2024-01-01"   # granted 2016: the criterion's own first day


def _hv_days(con, criterion: str, start: date, end: date, as_of: date = AS_OF) -> list[tuple[str, date]]:
    return keyed(events(con, item("high_value_criterion", criterion=criterion), start, end, as_of=as_of))


def test_a_criterion_met_before_the_grant_is_an_event_on_the_grant_day(con):
    # H1: SEI class from its filing (2022-05-10), granted 2024-03-01 — the event is the grant day, not the filing
    assert _hv_days(con, "sei", date(2022, 1, 1), date(2023, 12, 31)) == []
    assert _hv_days(con, "sei", date(2024, 2, 1), date(2024, 2, 29)) == []           # ends the day before
    assert _hv_days(con, "sei", date(2024, 3, 1), date(2024, 3, 1)) == [("hv:sei:H1", date(2024, 3, 1))]
    assert _hv_days(con, "sei", date(2024, 3, 2), END) == []                          # starts the day after
    h1 = events(con, item("high_value_criterion", criterion="sei"), START, END, as_of=AS_OF)
    assert keyed(h1) == [("hv:sei:G1", START), ("hv:sei:H1", date(2024, 3, 1))]
    assert (h1[1].facts["criterion_from"], h1[1].facts["state_on_event"]) == ("2022-05-10", "valid")
    assert h1[1].facts["evidence"] == "1.2 电子核心产业 (C09K19/30)"
    # the grant as the assessment day knows it: not on the day before it, on the day itself
    assert _hv_days(con, "sei", START, END, as_of=date(2024, 2, 29)) == [("hv:sei:G1", START)]
    assert _hv_days(con, "sei", START, END, as_of=date(2024, 3, 1)) == [("hv:sei:G1", START),
                                                                        ("hv:sei:H1", date(2024, 3, 1))]


def test_high_value_criterion_names_one_criterion(con):
    # G1's SEI code and its family abroad hold from before its grant (2024-01-01): both events on the grant day
    assert _hv_days(con, "sei", date(2020, 1, 1), date(2023, 12, 31)) == []
    abroad = events(con, item("high_value_criterion", criterion="family_abroad"), START, END, as_of=AS_OF)
    assert keyed(abroad) == [("hv:family_abroad:G1", START)]
    # the members holding on that day: GB1 granted with no date (counted from the filing day, criterion_periods'
    # rule), US1 (2023-12-31), EP1 (2024-01-01); not JP1, DE1, US2 granted later
    assert abroad[0].facts["evidence"] == "EP1；GB1；US1" and abroad[0].facts["criterion_from"] == "2020-01-10"
    assert _hv_days(con, "maintained_10y", date(2024, 3, 1), date(2024, 3, 1)) == []


def test_pct_filings_on_the_filing_day(con):
    found = events(con, item("pct_filing"), START, END, as_of=AS_OF)
    assert keyed(found) == [("pct:P1", START), ("pct:P2", END)]
    assert found[0].facts["pct_app_no"] == "PCT/CN2023/000001" and found[0].facts["state"] == "pending"


def test_grants_abroad_per_family_and_office_the_item_pays(con):
    amounts = {office: Decimal(10000) for office in ("US", "EP", "JP", "KR", "GB", "CN")}
    found = events(con, item("grant_abroad", amounts=amounts), START, END, as_of=AS_OF)
    # F1's US grant is US1's (2023-12-31, the day before): US2 granted in 2024 is the same family's second US member
    assert keyed(found) == [("grant_abroad:F1:EP", START), ("grant_abroad:F2:US", date(2024, 7, 1)),
                            ("grant_abroad:F1:JP", END)]
    assert [e.subject_key for e in found] == ["G1@EP", "A1@US", "G1@JP"]
    assert found[2].facts["office"] == "JP" and found[2].facts["member_no"] == "JP1"
    assert found[2].facts["grant_date"] == "2024-12-31" and found[2].facts["family_id"] == "F1"
    everywhere = events(con, item("grant_abroad"), START, END, as_of=AS_OF)  # no amounts: any office abroad
    assert [e.subject_key for e in everywhere] == ["G1@EP", "G1@DE", "A1@US", "G1@JP"]


def test_one_grant_abroad_of_a_family_is_one_event(con):
    us = item("grant_abroad", amounts={"US": Decimal(30000)})
    # F2: invention A1, its divisional A1D and the utility model A1U (filed first) share one US grant: one event,
    # paid to the invention filed first (A1 before its divisional by number); F3 has only a utility model: none
    found = events(con, us, START, END, as_of=AS_OF)
    assert keyed(found) == [("grant_abroad:F2:US", date(2024, 7, 1))]
    assert (found[0].subject_key, found[0].app_no, found[0].facts["patent_type"]) == ("A1@US", "A1", "invention")
    # F1's two US members: one event, on the earlier grant (US1), none on the later (US2)
    f1 = events(con, us, date(2023, 12, 31), date(2024, 6, 30), as_of=AS_OF)
    assert keyed(f1) == [("grant_abroad:F1:US", date(2023, 12, 31))] and f1[0].facts["member_no"] == "US1"


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
    assert keyed(found) == [("ip_advantage:cert:Z2024-01-01", START), ("ip_advantage:cert:Z2024-12-31", END)]
    first, last = found
    assert first.facts["level"] == "municipal" and first.facts["certificate_no"] == "Z2024-01-01"
    assert first.applicants[0].town_code == SHENGLI   # the record's own town
    assert last.applicants[0].town_code == LAISU      # the directory's
    assert events(con, item("ip_standard", "enterprise"), START, END, as_of=AS_OF) == []


def test_a_recognition_is_keyed_by_its_certificate_else_by_its_year(con):
    # a bureau's corrected date names the same recognition: the day is not part of either key
    found = events(con, item("ip_demonstration", "enterprise"), START, END, as_of=AS_OF)
    assert keyed(found) == [("ip_demonstration:cert:Z2024-05-01", date(2024, 5, 1)),
                            (f"ip_demonstration:{BING}:national:2024", date(2024, 8, 1))]
    assert [e.subject_key for e in found] == [f"{BING}#municipal", f"{BING}#national"]


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
    assert keyed(found) == [("award:G1:银奖:2024", START)] and found[0].subject_key == "G1#银奖"
    assert {k: found[0].facts[k] for k in ("award", "grade", "year")} == {"award": "中国专利奖", "grade": "银奖",
                                                                          "year": 2024}
    # 1 January is the day before a period that starts on 2 January, and the last day of one ending on it
    assert events(con, item("china_patent_award", amounts=grades), date(2024, 1, 2), END, as_of=AS_OF) == []
    assert len(events(con, item("china_patent_award", amounts=grades), date(2023, 6, 1), START, as_of=AS_OF)) == 1


def test_unknown_kind_is_refused(con):
    with pytest.raises(ValueError, match="unknown item kind"):
        events(con, item("lottery"), START, END, as_of=AS_OF)


def test_a_memo_reads_states_and_criterion_periods_once(con, monkeypatch):
    import hvpatent.indicators.highvalue as highvalue
    import hvpatent.legal as legal

    calls = {"legal_state": 0, "criterion_periods": 0}

    def counted(name, real):
        def call(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)
        return call

    kinds = [item("invention_grant"), item("high_value_criterion", criterion="sei"),
             item("high_value_criterion", criterion="family_abroad"), item("grant_abroad")]
    alone = [events(con, k, START, END, as_of=AS_OF) for k in kinds]
    monkeypatch.setattr(legal, "legal_state", counted("legal_state", legal.legal_state))
    monkeypatch.setattr(highvalue, "criterion_periods", counted("criterion_periods", highvalue.criterion_periods))
    memo: dict = {}
    shared = [events(con, k, START, END, as_of=AS_OF, memo=memo) for k in kinds]
    again = [events(con, k, START, END, as_of=AS_OF, memo=memo) for k in kinds]
    assert shared == alone and again == alone
    # the inventions' states once (every patent of these items is an invention), the criterion periods once
    assert calls == {"legal_state": 1, "criterion_periods": 1}
