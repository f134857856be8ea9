"""Subsidies end to end (docs/subsidies.md): the real facts, rules and ledger on a small warehouse — each event paid
once, whatever the periods and policy versions it is assessed under.

The warehouse (plain INSERTs), all of 重庆甲科技有限公司 (甲) in 胜利路街道 of the district 500118:
  CN1   invention filed 2020-03-01 in family FA, granted 2024-02-15
  CN1D  its divisional (same filing date, FA), granted 2024-05-10
  CN1U  a utility model of FA filed 2020-02-01, granted 2020-09-01
  FA's members abroad: US1 granted 2024-04-20 — one grant abroad of the family, paid once, to CN1
  CN2   invention filed 2022-04-01 in an SEI class (C09K19/30), granted 2024-05-20: the criterion holds from 2022,
        the granted invention meets it from 2024-05-20 — paid in 2024, not in 2022
  甲's 优势企业 (municipal) recognition, certificate YC-001, recognised 2024-03-10, corrected by the bureau to
        2024-04-10 after the first payment (from Q1 into Q2): the same recognition, not a second one

The policy: one version "2024" (2022-01-01 onwards) paying invention_grant 5,000, hv_sei 2,000, grant_abroad US
30,000, ip_advantage municipal 50,000; then a second version "2024r" with the same item ids and other amounts.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest

from hvpatent.subsidies import apply_items, decide, eligible, ledger_rows, pay, review
from hvpatent.subsidies.policy import parse_policy
from hvpatent.warehouse.store import Warehouse

SHENGLI = "500118002000"
JIA = "重庆甲科技有限公司"
D = Decimal


def _app(wh: Warehouse, app_no: str, ptype: str, filed: date, family: str | None, grant: date | None,
         ipc: str | None = None) -> None:
    wh.con.execute("INSERT INTO applications (app_no, patent_type, filing_date, title, ipc_main, family_id, source, "
                   "row_hash, first_import_id, last_import_id) VALUES (?, ?, ?, ?, ?, ?, 'test', 'h', 1, 1)",
                   [app_no, ptype, filed, f"标题{app_no}", ipc, family])
    wh.con.execute("INSERT INTO parties (app_no, seq, role, name, name_norm, party_type, province_code, city_code, "
                   "county_code, town_code, country) VALUES (?, 1, 'applicant', ?, ?, 'enterprise', '500000', "
                   "'500100', '500118', ?, 'CN')", [app_no, JIA, JIA, SHENGLI])
    if ipc:
        wh.con.execute("INSERT INTO ipc_classes VALUES (?, 1, ?, true)", [app_no, ipc])
    if grant:
        wh.con.execute("INSERT INTO legal_events (app_no, event_date, event_type, raw_text, import_id) "
                       "VALUES (?, ?, 'granted', '授权', 1)", [app_no, grant])


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("subsidies_e2e") / "e2e.duckdb")
    _app(wh, "CN1", "invention", date(2020, 3, 1), "FA", date(2024, 2, 15))
    _app(wh, "CN1D", "invention", date(2020, 3, 1), "FA", date(2024, 5, 10))
    _app(wh, "CN1U", "utility_model", date(2020, 2, 1), "FA", date(2020, 9, 1))
    _app(wh, "CN2", "invention", date(2022, 4, 1), None, date(2024, 5, 20), ipc="C09K19/30")
    wh.con.execute("INSERT INTO family_members VALUES ('FA', 'US', 'US1', true, '2024-04-20')")
    wh.con.execute("INSERT INTO recognitions (name_norm, name, kind, level, recognised_date, certificate_no, "
                   "town_code) VALUES (?, ?, 'ip_advantage', 'municipal', '2024-03-10', 'YC-001', ?)",
                   [JIA, JIA, SHENGLI])
    yield wh
    wh.close()


def _policy(version: str, invention: int, sei: int, us: int, municipal: int):
    items = [
        {"id": "invention_grant", "kind": "invention_grant", "name_zh": "发明授权", "name_en": "grant",
         "amount_yuan": invention, "conditions": {"patent_types": ["invention"]}},
        {"id": "hv_sei", "kind": "high_value_criterion", "criterion": "sei", "name_zh": "战新", "name_en": "SEI",
         "amount_yuan": sei},
        {"id": "grant_abroad", "kind": "grant_abroad", "name_zh": "国外授权", "name_en": "abroad",
         "amounts": {"US": us}},
        {"id": "ip_advantage", "kind": "ip_advantage", "name_zh": "优势企业", "name_en": "advantage",
         "amounts": {"municipal": municipal}, "exclude_abnormal": False},
    ]
    return parse_policy({"versions": [{"version": version, "name_zh": version, "name_en": version,
                                       "effective_from": date(2022, 1, 1), "region": "500118", "source": "test",
                                       "items": items}]}, "e2e.yaml")


FIRST = _policy("2024", 5000, 2000, 30000, 50000)
REVISED = _policy("2024r", 8000, 3000, 40000, 60000)
# (item, subject_key, event_key, event_date, amount): every event of 2024, each to be paid once
EXPECTED = [
    ("invention_grant", "CN1", "invention_grant:CN1", date(2024, 2, 15), D(5000)),
    ("ip_advantage", f"{JIA}#municipal", "ip_advantage:cert:YC-001", date(2024, 3, 10), D(50000)),
    ("grant_abroad", "CN1@US", "grant_abroad:FA:US", date(2024, 4, 20), D(30000)),
    ("invention_grant", "CN1D", "invention_grant:CN1D", date(2024, 5, 10), D(5000)),
    ("hv_sei", "CN2", "hv:sei:CN2", date(2024, 5, 20), D(2000)),
    ("invention_grant", "CN2", "invention_grant:CN2", date(2024, 5, 20), D(5000)),
]


def _advance(duck, policy, batch: str) -> None:
    waiting = [(r["item"], r["subject_key"], r["period"]) for r in ledger_rows(duck, status="applied")]
    review(duck, waiting, passed=True, by="li")
    decide(duck, policy, waiting, approve=True, by="zhao")
    pay(duck, batch, by="wang")


def test_each_event_is_paid_once_across_periods_and_versions(wh):
    con, duck = wh.ibis(), wh.con
    # 2022: CN2's SEI class held from its filing, but it was no granted invention yet — nothing to pay
    assert eligible(con, FIRST, "2022", as_of=date(2022, 12, 31)) == []

    first = apply_items(duck, con, FIRST, "2024", as_of=date(2024, 12, 31), by="clerk")
    added = [(r["item"], r["subject_key"], r["event_key"], r["event_date"], r["computed_yuan"])
             for r in first["added"]]
    assert sorted(added, key=lambda r: (r[3], r[0])) == EXPECTED
    assert {r["payee"] for r in first["added"]} == {JIA} and {r["period"] for r in first["added"]} == {"2024"}
    _advance(duck, FIRST, "2024年第1批")

    # the bureau corrects the recognition's date (Q1 → Q2); the same certificate is the same recognition
    duck.execute("UPDATE recognitions SET recognised_date = '2024-04-10' WHERE certificate_no = 'YC-001'")
    for policy, period, as_of in ((FIRST, "2024-H1", date(2024, 6, 30)), (FIRST, "2024-Q2", date(2024, 6, 30)),
                                  (REVISED, "2024", date(2024, 12, 31))):
        again = apply_items(duck, con, policy, period, as_of=as_of, by="clerk")
        assert again["added"] == [], (period, policy.versions[0].version)
        rows = eligible(con, policy, period, as_of=as_of, ledger=duck)
        # each row names the paid row: another period's holds the event (paid_before), the same key is itself
        assert rows and all(r["ledger_status"] == "paid" for r in rows), period
        assert all(not r["eligible"] and "paid_before" in r["reasons"] for r in rows if r["period"] != "2024")
    h1 = {r["event_key"] for r in eligible(con, FIRST, "2024-H1", as_of=date(2024, 6, 30), ledger=duck)}
    assert h1 == {e[2] for e in EXPECTED}   # every event seen again in H1, none added

    paid = ledger_rows(duck)
    assert sorted((r["item"], r["subject_key"], r["event_key"], r["event_date"], r["approved_yuan"])
                  for r in paid) == sorted(EXPECTED)
    assert {(r["status"], r["period"], r["policy_version"], r["payment_batch"]) for r in paid} == {
        ("paid", "2024", "2024", "2024年第1批")}


def test_demo_abnormal_notice_batch_is_the_quarter():
    from hvpatent.demo.subsidies import RecentFilings, abnormal_rows

    def batch(filed: date, export: date) -> str:
        filings = RecentFilings({JIA})
        filings.by_applicant[JIA] = [("CN9", filed, "标题", "代理")]
        return abnormal_rows(random.Random(1), filings, export)[0][5]

    # notified 90–150 days after the filing, no later than the export day: September, December, January
    assert batch(date(2024, 6, 20), date(2024, 9, 30)) == "2024年第3批"
    assert batch(date(2024, 9, 15), date(2024, 12, 20)) == "2024年第4批"
    assert batch(date(2024, 10, 15), date(2025, 1, 20)) == "2025年第1批"
