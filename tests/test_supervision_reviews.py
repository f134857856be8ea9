"""Reviews of suspected abnormal applications (supervision/reviews.py, docs/abnormal.md "Reviews"): recording with
its refusals and audit, the latest review by a day (day before, of and after), the history, and the review queue
merging hand-built flags with the reviews.  One small warehouse shared by the module, its reviews emptied per test."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import ibis
import pytest

from hvpatent.supervision import (
    Flag,
    ReviewError,
    abnormal_queue,
    confirmed_applications,
    latest_reviews,
    record_review,
    review_history,
)
from hvpatent.supervision import reviews as R
from hvpatent.warehouse.store import Warehouse

LOCAL, ELSEWHERE = "500118001000", "500119001000"
APPS = {"CN1": ("甲公司", LOCAL), "CN2": ("乙公司", LOCAL), "CN3": ("丙公司", LOCAL), "CN9": ("外地公司", ELSEWHERE)}


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory):
    warehouse = Warehouse(Path(tmp_path_factory.mktemp("reviews")) / "w.duckdb")
    for app_no, (name, town) in APPS.items():
        warehouse.con.execute("INSERT INTO applications (app_no, patent_type, filing_date, title, agency, source,"
                              " row_hash, first_import_id, last_import_id) VALUES (?, 'invention', ?, ?, '某代理所',"
                              " 'test', 'h', 1, 1)", [app_no, date(2023, 5, 1), f"{app_no} 的标题"])
        warehouse.con.execute("INSERT INTO parties (app_no, seq, role, name, name_norm, party_type, province_code,"
                              " city_code, county_code, town_code) VALUES (?, 1, 'applicant', ?, ?, 'enterprise',"
                              " ?, ?, ?, ?)", [app_no, name, name, town[:2] + "0000", town[:4] + "00", town[:6],
                                               town])
    yield warehouse
    warehouse.close()


@pytest.fixture
def db(wh: Warehouse) -> Warehouse:
    wh.con.execute("DELETE FROM abnormal_reviews")
    wh.con.execute("DELETE FROM audit_log")
    return wh


def flag(app_no: str, rule: str = "near_duplicate", **evidence) -> Flag:
    return Flag(app_no, rule, evidence or {"similarity": 0.9}, ("相似", "similar"))


def put(db: Warehouse, app_no: str, at: datetime, status: str, note: str | None = "理由") -> None:
    db.con.execute("INSERT INTO abnormal_reviews VALUES (?, ?, ?, 'li', ?, '[]', '[]')", [app_no, at, status, note])


# -- recording --------------------------------------------------------------------------------------------------

def test_record_writes_one_row_per_application_with_its_rules_evidence_and_audit(db):
    flags = [flag("CN1", "near_duplicate", group=["CN1", "CN2"]), flag("CN1", "name_variants"), flag("CN2")]
    assert record_review(db.con, ["CN1", "CN2", "CN1"], "confirmed", by="li", note="同一代理所批量", flags=flags) == 2
    rows = db.con.execute("SELECT app_no, status, decided_by, note, rules, evidence FROM abnormal_reviews"
                          " ORDER BY app_no").fetchall()
    assert [r[:4] for r in rows] == [("CN1", "confirmed", "li", "同一代理所批量"),
                                     ("CN2", "confirmed", "li", "同一代理所批量")]
    assert json.loads(rows[0][4]) == ["name_variants", "near_duplicate"]
    assert json.loads(rows[0][5])[0] == {"rule": "near_duplicate", "evidence": {"group": ["CN1", "CN2"]},
                                         "summary": ["相似", "similar"]}
    assert json.loads(rows[1][4]) == ["near_duplicate"]
    audit = db.con.execute("SELECT username, detail FROM audit_log WHERE action = 'abnormal_review'"
                           " ORDER BY detail").fetchall()
    assert audit == [("li", "CN1 confirmed: 同一代理所批量"), ("li", "CN2 confirmed: 同一代理所批量")]


@pytest.mark.parametrize(("app_nos", "status", "by", "note", "message"), [
    (["CN1"], "abnormal", "li", "x", "must be one of cleared, confirmed"),
    (["CN1"], "confirmed", "li", "  ", "a confirmation needs a reason"),
    (["CN1"], "cleared", " ", None, "the reviewer"),
    ([], "cleared", "li", None, "no application number"),
    (["CN1", "CN404"], "cleared", "li", None, "no application CN404 in the warehouse"),
    ("CN1", "cleared", "li", None, "must be a list of application numbers, not str: 'CN1'"),  # not C, N, 1
    (None, "cleared", "li", None, "must be a list of application numbers, not NoneType"),
    (["CN1", 202429500001], "cleared", "li", None, r"must be text: 202429500001 \(int\)"),
    (["CN1", None], "cleared", "li", None, r"must be text: None \(NoneType\)"),
])
def test_record_refuses_and_writes_nothing(db, app_nos, status, by, note, message):
    with pytest.raises(ReviewError, match=message) as err:
        record_review(db.con, app_nos, status, by=by, note=note)
    assert " / " in str(err.value)   # Chinese / English
    assert db.con.execute("SELECT count(*) FROM abnormal_reviews").fetchone()[0] == 0
    assert db.con.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 0


def test_clearing_needs_no_note_and_a_second_decision_is_history(db):
    record_review(db.con, ["CN1"], "confirmed", by="li", note="重复")
    record_review(db.con, ["CN1"], "confirmed", by="wang", note="再次确认")   # the same status again: a new row
    record_review(db.con, ["CN1"], "cleared", by="zhao")
    history = review_history(db.ibis(), "CN1")
    assert [(h["status"], h["decided_by"], h["note"]) for h in history] == [
        ("confirmed", "li", "重复"), ("confirmed", "wang", "再次确认"), ("cleared", "zhao", None)]
    assert history[0]["decided_at"] < history[1]["decided_at"] < history[2]["decided_at"]
    assert latest_reviews(db.ibis())["CN1"]["status"] == "cleared"
    assert confirmed_applications(db.ibis()) == {}
    assert review_history(db.ibis(), "CN2") == []


def test_evidence_is_cut_to_a_bound_and_stays_json(db):
    record_review(db.con, ["CN1"], "cleared", by="li", flags=[flag("CN1", members=["X" * 50] * 1000)])
    [(text,)] = db.con.execute("SELECT evidence FROM abnormal_reviews").fetchall()
    assert R.MAX_EVIDENCE - 100 < len(text) <= R.MAX_EVIDENCE
    assert json.loads(text)["truncated"] is True


# -- by a day -----------------------------------------------------------------------------------------------------

def test_a_review_counts_from_the_day_it_was_decided(db):
    put(db, "CN1", datetime(2024, 6, 30, 17, 5), "confirmed", "重复")
    put(db, "CN2", datetime(2024, 6, 1, 9, 0), "confirmed", "重复")
    put(db, "CN2", datetime(2024, 6, 30, 23, 59), "cleared", None)   # cleared later the same day as CN1's
    con = db.ibis()
    assert confirmed_applications(con, date(2024, 6, 29)) == {
        "CN2": {"decided_at": datetime(2024, 6, 1, 9, 0), "decided_by": "li", "note": "重复"}}
    assert set(confirmed_applications(con, date(2024, 6, 30))) == {"CN1"}
    assert set(confirmed_applications(con, date(2024, 7, 1))) == {"CN1"}
    assert latest_reviews(con, date(2024, 5, 31)) == {}
    assert latest_reviews(con, date(2024, 6, 30))["CN2"]["status"] == "cleared"


def test_a_warehouse_without_the_table_has_no_reviews():
    con = ibis.duckdb.connect()
    assert latest_reviews(con) == {} and confirmed_applications(con, date(2024, 1, 1)) == {}
    assert review_history(con, "CN1") == []


# -- the queue ------------------------------------------------------------------------------------------------------

def test_queue_merges_flags_with_reviews_and_sorts_pending_first(db):
    put(db, "CN2", datetime(2024, 6, 1), "confirmed")
    put(db, "CN3", datetime(2024, 6, 1), "cleared", None)   # reviewed, no longer flagged: stays, rules []
    flags = [flag("CN1"), flag("CN2"), flag("CN2", "bulk_filing"), flag("CN9")]
    rows = abnormal_queue(db.ibis(), date(2024, 12, 31), region="500118", flags=flags)
    assert [(r["app_no"], r["status"], r["rules"]) for r in rows] == [
        ("CN1", "pending", ["near_duplicate"]), ("CN2", "confirmed", ["near_duplicate", "bulk_filing"]),
        ("CN3", "cleared", [])]   # CN9's applicant lies outside the region
    first = rows[0]
    assert {k: first[k] for k in ("title", "patent_type", "filing_date", "applicant_name", "agency", "town_code")} \
        == {"title": "CN1 的标题", "patent_type": "invention", "filing_date": date(2023, 5, 1),
            "applicant_name": "甲公司", "agency": "某代理所", "town_code": LOCAL}
    assert first["flags"] == [flags[0]] and first["decided_at"] is None
    assert rows[1]["decided_by"] == "li" and rows[1]["note"] == "理由"


def test_queue_filters_and_shows_the_latest_decision_whatever_the_day(db):
    put(db, "CN2", datetime(2024, 6, 1), "confirmed")
    flags = [flag("CN1"), flag("CN2", "bulk_filing")]
    con = db.ibis()
    assert [r["app_no"] for r in abnormal_queue(con, date(2024, 12, 31), flags=flags, rule="bulk_filing")] == ["CN2"]
    assert [r["app_no"] for r in abnormal_queue(con, date(2024, 12, 31), flags=flags, status="pending")] == ["CN1"]
    # decided on 1 June 2024: the queue of 31 May still shows it (a worklist shows each latest decision)
    assert [r["status"] for r in abnormal_queue(con, date(2024, 5, 31), flags=flags)] == ["pending", "confirmed"]
    with pytest.raises(ReviewError, match="unknown review status"):
        abnormal_queue(con, date(2024, 12, 31), flags=flags, status="done")
    with pytest.raises(ReviewError, match="unknown rule"):
        abnormal_queue(con, date(2024, 12, 31), flags=flags, rule="nope")
