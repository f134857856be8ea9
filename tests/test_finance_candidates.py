"""Collateral candidates (finance/candidates.py) on a hand-built tiny district: each exclusion at its boundary
(the day before, of and after: remaining term exactly N years, a pledge's registration and release, an
invalidation request and its decision, the grace period's last day), the region and enterprise filters, the
utility-model flag, the bundles worked by hand, and the invalidation request's event word."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from hvpatent.finance import EXCLUSIONS, candidate_bundles, collateral_candidates
from hvpatent.finance.candidates import add_months, excluded_patents, screen, term_threshold, whole_months
from hvpatent.indicators import refresh_derived
from hvpatent.ingest.appno import check_digit
from hvpatent.ingest.fields import classify_event, normalize_name
from hvpatent.model import EVENT_TYPES, Batch
from hvpatent.value import value_frame, value_scores
from hvpatent.warehouse.store import Warehouse

DAY = date(2025, 6, 30)
ONE = timedelta(days=1)
FIRM_A, FIRM_B, OUTSIDE = "重庆候选甲科技有限公司", "重庆候选乙机械有限公司", "北京候选丙有限公司"
YC = {"province_code": "500000", "city_code": "500100", "county_code": "500118", "town_code": "500118002000"}
BJ = {"province_code": "110000", "city_code": "110100", "county_code": "110108", "town_code": "110108001000"}
BANK = "重庆候选银行永川支行"


def no(serial: int, year: int, type_digit: str = "1") -> str:
    digits = f"{year}{type_digit}{serial:07d}"
    return f"{digits}.{check_digit(digits)}"


A1, A2, A3, A4 = no(1, 2015), no(2, 2016), no(3, 2017), no(4, 2018)
B1 = no(5, 2016)
TERM = no(6, 2010)       # filed 2010-06-30: term_end 2030-06-30, exactly 5 years after DAY
GRACE = no(7, 2014)      # annuity due 2025-03-15 unpaid: grace until 2025-09-15
LAPSED = no(8, 2012)     # lapsed for good in 2020
PLEDGED = no(9, 2016)    # contract K1 registered 2025-01-10, released 2025-06-30
INVAL = no(10, 2016)     # invalidation requested 2025-03-01, undecided
UPHELD = no(11, 2016)    # requested 2024-01-01, upheld (维持有效) 2024-09-01
UM = no(12, 2022, "2")   # a utility model: term_end 2032-02-01
OUT = no(13, 2016)       # a Beijing first applicant
PENDING = no(14, 2021)   # never granted

G = "granted"
APPS = [  # app_no, type, filed, applicant, address fields, events
    (A1, "invention", date(2015, 3, 1), FIRM_A, YC, [(date(2017, 5, 2), G)]),
    (A2, "invention", date(2016, 4, 1), FIRM_A, YC, [(date(2018, 6, 1), G)]),
    (A3, "invention", date(2017, 5, 1), FIRM_A, YC, [(date(2019, 7, 1), G)]),
    (A4, "invention", date(2018, 6, 1), FIRM_A, YC, [(date(2020, 8, 1), G)]),
    (B1, "invention", date(2016, 2, 1), FIRM_B, YC, [(date(2018, 3, 1), G)]),
    (TERM, "invention", date(2010, 6, 30), FIRM_B, YC, [(date(2012, 9, 1), G)]),
    (GRACE, "invention", date(2014, 3, 15), FIRM_B, YC,
     [(date(2016, 1, 5), G), (date(2025, 11, 20), "annuity_lapse")]),
    (LAPSED, "invention", date(2012, 1, 1), FIRM_B, YC, [(date(2014, 1, 1), G), (date(2020, 9, 1), "annuity_lapse")]),
    (PLEDGED, "invention", date(2016, 7, 1), FIRM_B, YC, [(date(2018, 9, 1), G)]),
    (INVAL, "invention", date(2016, 8, 1), FIRM_B, YC,
     [(date(2018, 10, 1), G), (date(2025, 3, 1), "invalidation_requested")]),
    (UPHELD, "invention", date(2016, 9, 1), FIRM_B, YC,
     [(date(2018, 11, 1), G), (date(2024, 1, 1), "invalidation_requested"), (date(2024, 9, 1), "other")]),
    (UM, "utility_model", date(2022, 2, 1), FIRM_A, YC, [(date(2022, 8, 1), G)]),
    (OUT, "invention", date(2016, 10, 1), OUTSIDE, BJ, [(date(2018, 12, 1), G)]),
    (PENDING, "invention", date(2021, 1, 1), FIRM_A, YC, [(date(2022, 1, 1), "examination")]),
]
RAW = {"other": "专利权维持有效", "invalidation_requested": "无效宣告请求", "annuity_lapse": "未缴年费专利权终止"}


_WAREHOUSE: dict[str, Warehouse] = {}


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("candidates") / "c.duckdb")
    batch = Batch()
    batch.set("applications", [{"app_no": a, "patent_type": t, "filing_date": f, "title": f"候选{i}",
                                "ipc_main": "G06N3/08", "source": "test"} for i, (a, t, f, *_) in enumerate(APPS, 1)])
    batch.set("parties", [{"app_no": a, "seq": 1, "role": "applicant", "name": who, "name_norm": normalize_name(who),
                           "party_type": "enterprise", "address": "", **where} for a, _, _, who, where, _ in APPS])
    batch.set("ipc_classes", [{"app_no": a, "seq": 1, "ipc": "G06N3/08", "is_main": True} for a, *_ in APPS])
    batch.set("legal_events", [{"app_no": a, "event_date": d, "event_type": e, "raw_text": RAW.get(e, e)}
                               for a, _, f, _, _, events in APPS for d, e in [(f, "filed"), *events]])
    batch.set("pledge_contracts", [
        {"contract_no": "K1", "pledgor": FIRM_B, "pledgor_norm": normalize_name(FIRM_B), "pledgee": BANK,
         "pledgee_norm": normalize_name(BANK), "amount_yuan": 2_000_000, "loan_start": date(2025, 1, 10),
         "loan_end": date(2026, 1, 9), "registered_date": date(2025, 1, 10), "released_date": date(2025, 6, 30),
         "disposed_date": None, "source": "test"}])
    batch.set("pledge_items", [{"contract_no": "K1", "item_kind": "patent", "item_no": PLEDGED,
                                "added_date": date(2025, 1, 10), "removed_date": None}])
    with wh.import_transaction("cand", "cand", "test", "fixture") as tx:
        tx.add(batch, len(APPS))
    refresh_derived(wh)  # as hvp import does: legal states from the stored timelines
    _WAREHOUSE["wh"] = wh
    yield wh.ibis()
    wh.close()


_FRAMES: dict[date, object] = {}


def frame(con, day: date):
    """The value frame of a day, computed once per day for the whole module."""
    if day not in _FRAMES:
        _FRAMES[day] = value_frame(con, day)
    return _FRAMES[day]


_REASONS: dict[tuple, dict[str, list[str]]] = {}


def reasons(con, day: date, **kw) -> dict[str, list[str]]:
    """app_no → exclusion reasons on the day (the screening without the value: it does not depend on it)."""
    key = (day, tuple(sorted(kw.items())))
    if key not in _REASONS:
        _REASONS[key] = {r["app_no"]: r["reasons"] for r in screen(con, day, score=False, **kw)}
    return _REASONS[key]


def test_the_day_candidates_and_why_not(con):
    got = reasons(con, DAY, region="500118")
    # Candidates on 2025-06-30: A1–A4 (FIRM_A), B1, TERM (exactly 5 years left), PLEDGED (released that day),
    # UPHELD (the request was decided: upheld).  OUT is outside the region; PENDING was never granted.
    assert {a for a, r in got.items() if not r} == {A1, A2, A3, A4, B1, TERM, PLEDGED, UPHELD}
    assert got[GRACE] == ["grace"]
    assert got[LAPSED] == ["not_in_force"]
    assert got[INVAL] == ["invalidation_pending"]
    assert got[UM] == ["patent_type"]
    assert OUT not in got and PENDING not in got
    assert set(EXCLUSIONS) >= {"patent_type", "not_in_force", "grace", "short_term", "pledged",
                               "invalidation_pending"}
    assert all(len(words) == 2 and all(words) for words in EXCLUSIONS.values())


def test_candidate_rows_carry_value_and_deadlines(con):
    rows = collateral_candidates(con, DAY, region="500118", frame=frame(con, DAY))
    by = {r["app_no"]: r for r in rows}
    # TERM: term_end 2030-06-30, whole months from 2025-06-30 = 60 → 5.0 years; next annuity: the year-16 one due
    # on the filing anniversary 2025-06-30 itself (still "next due" on its due day).
    assert by[TERM]["term_end"] == date(2030, 6, 30) and by[TERM]["remaining_years"] == 5.0
    assert by[TERM]["next_due_date"] == date(2025, 6, 30)
    # A1 filed 2015-03-01: term_end 2035-03-01; 2025-06-30 → 2035-03-01 is 116 whole months = 9.67 years.
    assert by[A1]["remaining_years"] == round(116 / 12, 2) and by[A1]["applicant_name"] == FIRM_A
    assert by[A1]["town_code"] == "500118002000" and by[A1]["grant_date"] == date(2017, 5, 2)
    pledge = {r["app_no"]: r for r in value_scores(con, DAY, "pledge", "all", frame=frame(con, DAY))}
    for r in rows:
        assert r["score"] == pledge[r["app_no"]]["score"] and r["grade"] == pledge[r["app_no"]]["grade"]
    scores = [(-r["score"], r["app_no"]) for r in rows]
    assert scores == sorted(scores)  # best pledge score first


@pytest.mark.parametrize(("day", "ok"), [(DAY - ONE, True), (DAY, True), (DAY + ONE, False)])
def test_remaining_term_exactly_n_years(con, day, ok):
    # TERM's term ends 2030-06-30: on 2025-06-29 more than 5 years remain, on 2025-06-30 exactly 5 (the right is in
    # force through 2030-06-29), on 2025-07-01 less.
    assert (reasons(con, day)[TERM] == []) is ok
    if not ok:
        assert reasons(con, day)[TERM] == ["short_term"]


def test_min_years_is_a_parameter(con):
    # With 10 years asked, A1 (9.67 left) is short; A4 (filed 2018-06-01, term_end 2038-06-01, 12.9 left) is not.
    got = reasons(con, DAY, min_remaining_years=10)
    assert got[A1] == ["short_term"] and got[A4] == []
    assert term_threshold(DAY, 10) == date(2035, 6, 30) and term_threshold(DAY, 0.5) == date(2025, 12, 30)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29) and whole_months(date(2024, 1, 31), DAY) == 17
    with pytest.raises(ValueError):
        screen(con, DAY, min_remaining_years=-1)


@pytest.mark.parametrize(("day", "pledged"), [
    (date(2025, 1, 9), False), (date(2025, 1, 10), True), (date(2025, 1, 11), True),    # registration
    (date(2025, 6, 29), True), (date(2025, 6, 30), False), (date(2025, 7, 1), False),   # release
])
def test_pledge_registration_and_release(con, day, pledged):
    assert ("pledged" in reasons(con, day)[PLEDGED]) is pledged


@pytest.mark.parametrize(("app", "day", "pending"), [
    (INVAL, date(2025, 2, 28), False), (INVAL, date(2025, 3, 1), True), (INVAL, date(2025, 3, 2), True),
    (UPHELD, date(2023, 12, 31), False), (UPHELD, date(2024, 1, 1), True),
    (UPHELD, date(2024, 8, 31), True), (UPHELD, date(2024, 9, 1), False), (UPHELD, date(2024, 9, 2), False),
])
def test_invalidation_request_until_decided(con, app, day, pending):
    assert ("invalidation_pending" in reasons(con, day)[app]) is pending


@pytest.mark.parametrize(("day", "reason"), [
    (date(2025, 3, 14), None), (date(2025, 3, 15), "grace"),      # the unpaid annuity's due date
    (date(2025, 9, 15), "grace"), (date(2025, 9, 16), "not_in_force"),  # the grace period's last day
])
def test_annuities_not_in_order(con, day, reason):
    # GRACE filed 2014-03-15: the year-12 annuity due 2025-03-15 was not paid (termination announced 2025-11-20,
    # retroactive to the due date); grace until 2025-09-15, restorable from 2025-09-16.
    got = reasons(con, day)[GRACE]
    assert (got[0] if got else None) == reason


def test_excluded_patents_say_why(con):
    rows = {r["app_no"]: r for r in excluded_patents(con, DAY + ONE, region="500118", frame=frame(con, DAY + ONE))}
    assert rows[TERM]["reason"] == "short_term"
    assert rows[TERM]["reason_zh"] == "剩余保护期不足（少于 5 年）"
    assert rows[TERM]["reason_en"] == "remaining term too short (under 5 years)"
    assert rows[INVAL]["reason_zh"] == EXCLUSIONS["invalidation_pending"][0]
    assert A1 not in rows


def test_region_enterprise_and_types(con):
    everyone = {r["app_no"] for r in collateral_candidates(con, DAY, frame=frame(con, DAY))}
    assert OUT in everyone  # no region: every first applicant
    mine = {r["app_no"] for r in collateral_candidates(con, DAY, enterprise=normalize_name(FIRM_A),
                                                         frame=frame(con, DAY))}
    assert mine == {A1, A2, A3, A4}
    # Utility models offered: UM (term_end 2032-02-01, 6.58 years left) becomes a candidate.
    both = {r["app_no"]: r for r in collateral_candidates(con, DAY, region="500118", frame=frame(con, DAY),
                                                          types=("invention", "utility_model"))}
    assert UM in both and both[UM]["remaining_years"] == round(79 / 12, 2)


def test_bundles_by_hand():
    def c(app, who, score, hv=False):
        return {"app_no": app, "applicant": who, "applicant_name": who + "名", "town_code": "t-" + who,
                "score": score, "title": "T" + app, "high_value": hv}

    cands = [c("a1", "A", 80.0), c("a2", "A", 60.0, True), c("a3", "A", 70.0), c("a4", "A", 10.0),
             c("b1", "B", 90.0), c("d1", "D", 50.0), c("d2", "D", 50.0)]
    bundles = candidate_bundles(cands, bundle_size=3)
    # A: top three 80, 70, 60 → mean 70.0; B: one patent, 90.0; D: 50, 50 → 50.0.  Best bundle first.
    assert [(b["enterprise"], b["suggested"], b["suggested_score"], b["candidates"], b["best_score"])
            for b in bundles] == [("B", ["b1"], 90.0, 1, 90.0), ("A", ["a1", "a3", "a2"], 70.0, 4, 80.0),
                                  ("D", ["d1", "d2"], 50.0, 2, 50.0)]
    assert bundles[1]["enterprise_name"] == "A名" and bundles[1]["high_value"] == 1
    assert candidate_bundles(cands, bundle_size=1)[1]["suggested"] == ["a1"]
    with pytest.raises(ValueError):
        candidate_bundles(cands, bundle_size=0)


def test_bundles_from_the_world(con):
    bundles = {b["enterprise"]: b for b in candidate_bundles(
        collateral_candidates(con, DAY, region="500118", frame=frame(con, DAY)))}
    a = bundles[normalize_name(FIRM_A)]
    assert a["candidates"] == 4 and len(a["suggested"]) == 3 and set(a["suggested"]) <= {A1, A2, A3, A4}


@pytest.mark.parametrize(("text", "kind"), [
    ("无效宣告请求", "invalidation_requested"), ("专利权维持有效", "other"),
    ("无效宣告请求审查决定", "other"), ("无效宣告请求审查决定：宣告专利权全部无效", "invalidated_full"),
    ("专利权部分无效", "invalidated_partial"),
])
def test_invalidation_words(text, kind):
    assert "invalidation_requested" in EVENT_TYPES
    assert classify_event(text) == kind


def test_cli_candidates_bundles_excluded(con, tmp_path):
    import shutil

    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from hvpatent.cli.main import app

    wh = _WAREHOUSE["wh"]
    wh.con.execute("CHECKPOINT")  # a copy: the CLI opens its own read-only connection
    path = str(shutil.copy(wh.path, tmp_path / "copy.duckdb"))
    runner = CliRunner()
    out = tmp_path / "cands.xlsx"
    done = runner.invoke(app, ["--db", path, "bank", "candidates", "--as-of", "2025-06-30", "--region", "500118",
                               "--out", str(out)])
    assert done.exit_code == 0, done.output
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("申请号", "名称", "专利类型") and "质押场景价值得分" in rows[0]
    assert {r[0] for r in rows[1:]} == {A1, A2, A3, A4, B1, TERM, PLEDGED, UPHELD}
    bundles = tmp_path / "bundles.xlsx"
    done = runner.invoke(app, ["--lang", "en", "--db", path, "bank", "bundles", "--as-of", "2025-06-30",
                               "--region", "500118", "--bundle-size", "2", "--out", str(bundles)])
    assert done.exit_code == 0, done.output
    rows = list(load_workbook(bundles).active.iter_rows(values_only=True))
    assert rows[0][0] == "enterprise" and sorted(r[2] for r in rows[1:]) == [4, 4]  # FIRM_A: A1–A4; FIRM_B: 4
    assert all(len(r[5].split("; ")) == 2 for r in rows[1:])  # two patents in each suggested bundle
    why = runner.invoke(app, ["--db", path, "bank", "candidates", "--as-of", "2025-07-01", "--excluded",
                              "--format", "csv"])
    assert why.exit_code == 0 and "剩余保护期不足（少于 5 年）" in why.output and TERM in why.output
    data = runner.invoke(app, ["--db", path, "bank", "candidates", "--as-of", "2025-06-30", "--enterprise", FIRM_A,
                               "--utility-models", "--format", "json"])
    assert data.exit_code == 0 and {r["app_no"] for r in json.loads(data.output)} == {A1, A2, A3, A4, UM}
    for bad, words in ((["--region", "50"], "区划代码无效"), (["--min-years", "-1"], "--min-years"),
                       (["--as-of", "2025-13-01"], "as-of")):
        res = runner.invoke(app, ["--db", path, "bank", "candidates", *bad])
        assert res.exit_code == 2 and words in res.output, res.output
    assert runner.invoke(app, ["--db", path, "bank", "bundles", "--bundle-size", "0"]).exit_code == 2
