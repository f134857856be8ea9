"""Behaviour rules (supervision/behaviour.py, docs/abnormal.md "behaviour"): each rule on a tiny hand-built
warehouse, assessed on AS_OF = 2024-06-30, its windows and day limits on the day before, of and after, each
threshold at the value that holds (n) and the next (n+1 or a hair above).  One county per rule:

BULK (500118, window 30 days, history 1 year = 12 windows of 30 days, days 30..389 before AS_OF):
  甲 (enterprise): burst B1..B4 inventions filed 06-01 (window's first day), 06-10, 06-20, 06-30 (AS_OF);
      B0 utility model 05-31 (day before the window: history); history H1 2023-06-07 (day 389, last history
      day), H2 07-07, H3 08-08, H4 10-10, H5 2024-01-15 -> 6 history filings / 12 windows = own average 0.5;
      O1 2023-06-06 (day 390, outside the history); B5 filed 07-01 (after AS_OF).
      Outcomes: O1 granted, H1 rejected, H2 deemed withdrawn, H3 withdrawn, B2 deemed withdrawn on AS_OF
      (concluded, failed); H4 deemed withdrawn then restored (pending); H5 granted 07-01 (pending on AS_OF); B3
      withdrawn 07-01 (not yet).  Concluded inventions 5, granted 1: grant rate 0.2; window withdrawn 1/4 = 0.25.
  乙 (enterprise, the only peer): 1 filing in window 0, 4 in window 2 (04-15), 3 in window 3 (03-15): peer
      counts [1, 3, 4] -> nearest rank 0.5 = 3, 1.0 = 4.
  丙 (individual, not a peer): 5 filings in window 4 and 5 in window 5 (peer counts would become [1,3,4,5,5]).
MISMATCH (500119, window 30 days, 3 inventions across 3 IPC sections): see test_applicant_mismatch.
TRANSFER (500120, 30 days after grant, window 30 days, 4 patents to 2 parties): see test_transfer_after_grant.
SUBSIDY (500151, 30 days after payment): see test_withdrawn_after_subsidy.
RESTORED (500153, 30 days after payment): ends undone by a restoration; see test_withdrawn_after_subsidy_restored.
OUTCOMES (500154): a restoration on the day before, of and after an end; see test_outcomes_agree_with_agencies.
LONG (500155): texts one under, at and one over text.max_chars; see test_applications_texts_cut_in_the_query.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from hvpatent.supervision import RuleContext
from hvpatent.supervision.behaviour import (
    _outcomes,
    applicant_mismatch,
    bulk_filing,
    transfer_after_grant,
    transferee,
    withdrawn_after_subsidy,
)
from hvpatent.supervision.config import config_from
from hvpatent.warehouse.store import Warehouse

AS_OF = date(2024, 6, 30)
BULK, MISMATCH, TRANSFER, SUBSIDY = "500118", "500119", "500120", "500151"
RESTORED, OUTCOMES, LONG = "500153", "500154", "500155"
JIA, YI, BING = "重庆甲科技有限公司", "重庆乙材料有限公司", "张丙"
BULK_RULE = {"window_days": 30, "min_filings": 4, "own_ratio": 8, "history_years": 1, "peer_quantile": 0.5,
             "max_grant_rate": 0.2, "min_concluded": 5, "min_withdrawn_share": 0.5}
MISMATCH_RULE = {"window_days": 30, "min_inventions": 3, "min_sections": 3}
TRANSFER_RULE = {"days_after_grant": 30, "window_days": 30, "min_transfers": 4, "min_transferees": 2}
SUBSIDY_RULE = {"days_after_payment": 30}
D = date.fromisoformat

# CNIPA gazette, PatSnap and incoPat shapes of a transfer's text.
CNIPA_A = ("专利权的转移 IPC(主分类)：H01M 10/0525 专利号：ZL202420000001.1 登记生效日：20240614 "
           "变更事项：专利权人 变更前权利人：重庆子科技有限公司 变更后权利人：深圳市甲投资有限公司 "
           "变更事项：地址 变更前权利人：402160 重庆市永川区 变更后权利人：518000 广东省深圳市")
PATSNAP_A = "权利转移 登记生效日: 2024-06-20 变更前: 重庆子科技有限公司 变更后: 深圳市甲投资有限公司"
INCOPAT_B = "转让 转让人：重庆子科技有限公司 受让人：上海乙咨询有限公司；李四"


def _app(wh: Warehouse, app_no: str, filed: str, name: str, county: str, *, ptype: str = "invention",
         party: str = "enterprise", ipc: str | None = "H01M10/00", others: tuple[tuple[str, str], ...] = ()) -> None:
    wh.con.execute("INSERT INTO applications (app_no, patent_type, filing_date, title, ipc_main, source, row_hash, "
                   "first_import_id, last_import_id) VALUES (?, ?, ?, ?, ?, 'test', 'h', 1, 1)",
                   [app_no, ptype, D(filed), f"标题{app_no}", ipc])
    for seq, (who, where) in enumerate([(name, county), *others], start=1):
        kind = party if seq == 1 else "enterprise"
        wh.con.execute("INSERT INTO parties (app_no, seq, role, name, name_norm, party_type, province_code, "
                       "city_code, county_code, town_code, country) VALUES (?, ?, 'applicant', ?, ?, ?, ?, ?, ?, ?, "
                       "'CN')", [app_no, seq, who, who, kind, where[:2] + "0000", where[:4] + "00", where,
                                 where + "001000"])


def _event(wh: Warehouse, app_no: str, day: str, kind: str, raw: str | None = None) -> None:
    wh.con.execute("INSERT INTO legal_events (app_no, event_date, event_type, raw_text, import_id) "
                   "VALUES (?, ?, ?, ?, 1)", [app_no, D(day), kind, raw or kind])


def _bulk(wh: Warehouse) -> None:
    for app_no, filed in [("B1", "2024-06-01"), ("B2", "2024-06-10"), ("B3", "2024-06-20"), ("B4", "2024-06-30"),
                          ("H1", "2023-06-07"), ("H2", "2023-07-07"), ("H3", "2023-08-08"), ("H4", "2023-10-10"),
                          ("H5", "2024-01-15"), ("O1", "2023-06-06"), ("B5", "2024-07-01")]:
        _app(wh, app_no, filed, JIA, BULK)
    _app(wh, "B0", "2024-05-31", JIA, BULK, ptype="utility_model")
    for app_no, day, kind in [("O1", "2024-01-10", "granted"), ("H1", "2024-03-01", "rejected"),
                              ("H2", "2024-02-01", "deemed_withdrawn"), ("H3", "2024-04-01", "withdrawn"),
                              ("H4", "2023-12-01", "deemed_withdrawn"), ("H4", "2024-01-05", "restoration"),
                              ("H5", "2024-07-01", "granted"), ("B2", "2024-06-30", "deemed_withdrawn"),
                              ("B3", "2024-07-01", "withdrawn")]:
        _event(wh, app_no, day, kind)
    peer = [("2024-06-15", 1), ("2024-04-15", 4), ("2024-03-15", 3)]
    for i, (filed, count) in enumerate((f, c) for f, n in peer for c in range(n)):
        _app(wh, f"Y{i}{count}", filed, YI, BULK, ptype="utility_model")
    for i in range(10):
        _app(wh, f"C{i}", "2024-02-20" if i < 5 else "2024-01-10", BING, BULK, party="individual",
             ptype="utility_model")


def _mismatch(wh: Warehouse) -> None:
    three = ("A01B1/00", "C07D1/00", "H04L1/00")
    days = ("2024-06-01", "2024-06-15", "2024-06-30")
    # 王五 (individual): 3 inventions in the window in A, C, H; outside it: G 05-31, B 07-01, F as utility model.
    for i, (day, ipc) in enumerate(zip(days, three, strict=True)):
        _app(wh, f"W{i}", day, "王五", MISMATCH, party="individual", ipc=ipc)
    _app(wh, "W3", "2024-05-31", "王五", MISMATCH, party="individual", ipc="G06F1/00")
    _app(wh, "W4", "2024-07-01", "王五", MISMATCH, party="individual", ipc="B65D1/00")
    _app(wh, "W5", "2024-06-10", "王五", MISMATCH, party="individual", ipc="F16B1/00", ptype="utility_model")
    firms = {"K": "重庆戊贸易有限公司", "E": "重庆己科技有限公司", "R": "重庆庚科技有限公司", "L": "重庆辛科技有限公司",
             "P": "重庆壬科技有限公司", "U": "重庆癸大学"}
    for prefix, name in firms.items():
        for i, (day, ipc) in enumerate(zip(days, three, strict=True)):
            _app(wh, f"{prefix}{i}", day, name, MISMATCH, ipc=ipc, party="university" if prefix == "U" else
                 "enterprise")
    wh.con.execute("INSERT INTO enterprises VALUES (?, ?, NULL, NULL, NULL)", [firms["E"], firms["E"]])
    for name, day in [(firms["R"], "2024-06-30"), (firms["L"], "2024-07-01")]:
        wh.con.execute("INSERT INTO recognitions (name_norm, name, kind, level, recognised_date) "
                       "VALUES (?, ?, 'high_tech', 'national', ?)", [name, name, D(day)])
    # 壬 co-applied, elsewhere, the day before the window: not new, so not a shell.
    _app(wh, "P9", "2024-05-31", "重庆某某有限公司", "500152", ptype="design", ipc=None,
         others=((firms["P"], "500152"),))


def _transfer(wh: Warehouse) -> None:
    owner = "重庆子科技有限公司"
    rows = [  # app_no, granted, transferred, text
        ("T1", "2024-05-15", "2024-06-14", CNIPA_A),        # 30 days after grant: counts
        ("T2", "2024-05-15", "2024-06-15", INCOPAT_B),      # 31 days: does not
        ("T3", "2024-06-01", "2024-06-01", INCOPAT_B),      # the grant day, the window's first day: counts
        ("T4", "2024-05-01", "2024-05-31", "专利权的转移 变更后权利人：重庆丙公司"),  # the day before the window
        ("T5", "2024-06-10", "2024-06-30", "专利权的转移"),   # AS_OF, no party named: unknown
        ("T6", "2024-06-20", "2024-07-01", "专利权的转移 变更后权利人：重庆丁公司"),  # after AS_OF
        ("T7", "2024-06-05", "2024-06-20", PATSNAP_A),      # the same party as T1
        ("T8", "2024-06-20", "2024-06-10", "专利申请权的转移 变更后权利人：重庆戊公司"),  # before grant
    ]
    for app_no, granted, moved, text in rows:
        _app(wh, app_no, "2023-01-01", owner, TRANSFER)
        _event(wh, app_no, granted, "granted", "授权")
        _event(wh, app_no, moved, "transfer", text)


def _subsidy(wh: Warehouse) -> None:
    rows = [  # app_no, county, status, paid, end event, end day
        ("S1", SUBSIDY, "paid", "2024-05-01 10:00", "deemed_withdrawn", "2024-05-31"),   # 30 days: flagged
        ("S2", SUBSIDY, "paid", "2024-05-01 10:00", "withdrawn", "2024-06-01"),          # 31 days
        ("S3", SUBSIDY, "paid", "2024-05-01 10:00", "surrendered", "2024-05-01"),        # the payment day
        ("S4", SUBSIDY, "paid", "2024-05-01 10:00", "withdrawn", "2024-04-30"),          # the day before payment
        ("S5", SUBSIDY, "approved", None, "withdrawn", "2024-06-10"),                   # never paid
        ("S6", SUBSIDY, "clawed_back", "2024-06-20 09:00", "withdrawn", "2024-06-30"),  # 10 days, on AS_OF
        ("S7", SUBSIDY, "paid", "2024-07-01 09:00", "withdrawn", "2024-07-01"),         # paid after AS_OF
        ("S8", SUBSIDY, "paid", "2024-06-20 09:00", "withdrawn", "2024-07-01"),         # withdrawn after AS_OF
        ("S9", TRANSFER, "paid", "2024-06-20 09:00", "withdrawn", "2024-06-21"),        # another county
    ]
    for app_no, county, status, paid, kind, day in rows:
        _app(wh, app_no, "2023-03-01", "重庆丑科技有限公司", county)
        _event(wh, app_no, day, kind)
        _paid(wh, app_no, status, paid)


def _paid(wh: Warehouse, app_no: str, status: str, paid: str | None, item: str = "invention_grant") -> None:
    wh.con.execute("INSERT INTO subsidy_ledger (item, subject_key, period, subject_kind, app_no, event_key, "
                   "policy_version, payee, payee_name, computed_yuan, approved_yuan, status, trace, applied_at, "
                   "applied_by, paid_at) VALUES (?, ?, '2024', 'application', ?, ?, '2024-01', '重庆丑科技有限公司', "
                   "'重庆丑科技有限公司', 3000, 2500, ?, '[]', '2024-03-01', 't', ?)",
                   [item, app_no, app_no, app_no, status, paid])


def _restored(wh: Warehouse) -> None:
    rows = [  # app_no, events (day, kind); each paid 2024-05-01 10:00
        ("X1", [("2024-05-10", "deemed_withdrawn"), ("2024-06-29", "restoration")]),  # restored the day before AS_OF
        ("X2", [("2024-05-10", "deemed_withdrawn"), ("2024-06-30", "restoration")]),  # restored on AS_OF
        ("X3", [("2024-05-10", "deemed_withdrawn"), ("2024-07-01", "restoration")]),  # restored after AS_OF
        ("X4", [("2024-05-10", "deemed_withdrawn"), ("2024-05-10", "restoration")]),  # the same day: the end stands
        ("X5", [("2024-05-05", "deemed_withdrawn"), ("2024-05-08", "restoration"),    # undone, then withdrawn
                ("2024-05-20", "withdrawn")]),
        ("X6", [("2024-04-01", "restoration"), ("2024-05-10", "withdrawn")]),         # restored before: no matter
    ]
    for app_no, events in rows:
        _app(wh, app_no, "2023-03-01", "重庆寅科技有限公司", RESTORED)
        for day, kind in events:
            _event(wh, app_no, day, kind)
        _paid(wh, app_no, "paid", "2024-05-01 10:00")
    # M1: two payments; only the second lies within 30 days of the withdrawal (05-10): 39 and 9 days.
    _app(wh, "M1", "2023-03-01", "重庆寅科技有限公司", RESTORED)
    _event(wh, "M1", "2024-05-10", "withdrawn")
    _paid(wh, "M1", "paid", "2024-04-01 10:00")
    _paid(wh, "M1", "paid", "2024-05-01 10:00", item="invention_maintenance")
    # N1: paid, never ended
    _app(wh, "N1", "2023-03-01", "重庆寅科技有限公司", RESTORED)
    _paid(wh, "N1", "paid", "2024-05-01 10:00")


def _outcome_cases(wh: Warehouse) -> None:
    rows = [  # app_no, events (day, kind)
        ("Q1", [("2024-03-01", "deemed_withdrawn"), ("2024-03-01", "restoration")]),  # same day: failed
        ("Q2", [("2024-03-01", "withdrawn"), ("2024-03-01", "restoration")]),         # same day: failed
        ("Q3", [("2024-03-01", "rejected"), ("2024-03-02", "restoration")]),          # the day after: pending
        ("Q4", [("2024-02-29", "restoration"), ("2024-03-01", "deemed_withdrawn")]),  # the day before: failed
        ("Q5", [("2024-03-01", "deemed_withdrawn"), ("2024-03-01", "restoration"), ("2024-03-01", "granted")]),
    ]
    for app_no, events in rows:
        _app(wh, app_no, "2023-03-01", "重庆卯科技有限公司", OUTCOMES)
        for day, kind in events:
            _event(wh, app_no, day, kind)


def _long_texts(wh: Warehouse) -> None:
    # Z1: title 9 characters, abstract 10, first claim 11 (cut at max_chars 10 in the test); Z2: no abstract, no claim
    for app_no in ("Z1", "Z2"):
        _app(wh, app_no, "2024-01-01", "重庆辰科技有限公司", LONG)
    wh.con.execute("UPDATE applications SET title = ?, abstract = ? WHERE app_no = 'Z1'", ["题" * 9, "摘" * 10])
    wh.con.execute("INSERT INTO claims VALUES ('Z1', ?, 'test')", ["权" * 11])


RESTORED_BURST = "500156"


def _restored_burst(wh: Warehouse) -> None:
    """RESTORED_BURST: 丁 files four utility models in the window and nothing before; two are deemed withdrawn on
    06-10, and one of them (R2) is restored on 06-20: on AS_OF one withdrawal stands (share 1/4), not two (2/4)."""
    for app_no, filed in [("RB1", "2024-06-02"), ("RB2", "2024-06-03"), ("RB3", "2024-06-04"), ("RB4", "2024-06-05")]:
        _app(wh, app_no, filed, "重庆丁科技有限公司", RESTORED_BURST, ptype="utility_model")
    _event(wh, "RB1", "2024-06-10", "deemed_withdrawn")
    _event(wh, "RB2", "2024-06-10", "deemed_withdrawn")
    _event(wh, "RB2", "2024-06-20", "restoration")


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory):
    wh = Warehouse(tmp_path_factory.mktemp("behaviour") / "w.duckdb")
    _bulk(wh)
    _mismatch(wh)
    _transfer(wh)
    _subsidy(wh)
    _restored(wh)
    _outcome_cases(wh)
    _long_texts(wh)
    _restored_burst(wh)
    yield wh.ibis()
    wh.close()


def _ctx(con, region: str, rule: str, settings: dict, as_of: date = AS_OF, **change) -> RuleContext:
    return RuleContext(con, as_of, region, config_from({"rules": {rule: {**settings, **change}}}, "test"))


def _flagged(flags) -> list[str]:
    return [f.app_no for f in flags]


# --- bulk_filing -----------------------------------------------------------------------------------------------------

def test_bulk_filing_flags_the_burst_with_its_evidence(con):
    flags = bulk_filing(_ctx(con, BULK, "bulk_filing", BULK_RULE))
    assert _flagged(flags) == ["B1", "B2", "B3", "B4"]  # not B0 (day before the window) nor B5 (after AS_OF)
    ev = flags[0].evidence
    assert {k: ev[k] for k in ("applicant", "applicant_type", "window_start", "window_end", "filings",
                               "history_windows", "own_average", "peers", "peer_quantile_value",
                               "concluded_inventions", "granted_inventions", "grant_rate", "withdrawn",
                               "withdrawn_share", "low_grant_rate", "many_withdrawn")} == {
        "applicant": JIA, "applicant_type": "enterprise", "window_start": "2024-06-01", "window_end": "2024-06-30",
        "filings": 4, "history_windows": 12, "own_average": 0.5, "peers": 1, "peer_quantile_value": 3,
        "concluded_inventions": 5, "granted_inventions": 1, "grant_rate": 0.2, "withdrawn": 1,
        "withdrawn_share": 0.25, "low_grant_rate": True, "many_withdrawn": False}
    assert ev["applications"] == ["B1", "B2", "B3", "B4"] and ev["thresholds"]["min_filings"] == 4
    assert all(f.rule == "bulk_filing" and f.summary[0] and f.summary[1] for f in flags)


@pytest.mark.parametrize("change", [
    {"min_filings": 5},                                      # 4 filings: n+1
    {"own_ratio": 8.5},                                      # 4 < 8.5 x 0.5
    {"peer_quantile": 1.0},                                  # peers' top window is 4: not above it
    {"max_grant_rate": 0.19},                                # grant rate 0.2
    {"min_concluded": 6},                                    # 5 concluded
    {"max_grant_rate": 0.19, "min_withdrawn_share": 0.26},   # withdrawn share 0.25
], ids=str)
def test_bulk_filing_each_threshold_one_past(con, change):
    assert bulk_filing(_ctx(con, BULK, "bulk_filing", BULK_RULE, **change)) == []


def test_bulk_filing_on_withdrawn_share_alone(con):
    flags = bulk_filing(_ctx(con, BULK, "bulk_filing", BULK_RULE, max_grant_rate=0.19, min_withdrawn_share=0.25))
    assert _flagged(flags) == ["B1", "B2", "B3", "B4"]
    assert flags[0].evidence["low_grant_rate"] is False and flags[0].evidence["many_withdrawn"] is True


@pytest.mark.parametrize(("share", "flagged"), [(0.25, True), (0.26, False)])
def test_bulk_filing_withdrawn_share_leaves_out_a_restored_withdrawal(con, share, flagged):
    """RB2's deemed withdrawal was restored before AS_OF: one of four stands (0.25), not two (0.5)."""
    flags = bulk_filing(_ctx(con, RESTORED_BURST, "bulk_filing", BULK_RULE, peer_quantile=0.0,
                             min_withdrawn_share=share))
    assert _flagged(flags) == (["RB1", "RB2", "RB3", "RB4"] if flagged else [])
    if flagged:
        assert flags[0].evidence["withdrawn"] == 1 and flags[0].evidence["withdrawn_share"] == 0.25


def test_bulk_filing_window_ends_on_as_of(con):
    # On 06-29 the window is 05-31..06-29: B0 (a utility model) is in it, B4 not yet filed; the history (days
    # 30..389) now reaches O1 (2023-06-06) while B0 left it: 6 filings again.  B2's deemed withdrawal (06-30) is not
    # yet known: 4 concluded inventions, 1 granted (0.25), no withdrawal in the window.
    settings = {**BULK_RULE, "max_grant_rate": 0.25, "min_concluded": 4}
    flags = bulk_filing(_ctx(con, BULK, "bulk_filing", settings, as_of=date(2024, 6, 29)))
    assert _flagged(flags) == ["B0", "B1", "B2", "B3"]
    ev = flags[0].evidence
    assert (ev["concluded_inventions"], ev["grant_rate"], ev["withdrawn"], ev["own_average"]) == (4, 0.25, 0, 0.5)
    assert bulk_filing(_ctx(con, BULK, "bulk_filing", BULK_RULE, as_of=date(2024, 6, 29))) == []


def test_bulk_filing_other_region(con):
    assert bulk_filing(_ctx(con, MISMATCH, "bulk_filing", BULK_RULE)) == []


# --- applicant_mismatch ----------------------------------------------------------------------------------------------

def test_applicant_mismatch_individual_and_shells(con):
    flags = applicant_mismatch(_ctx(con, MISMATCH, "applicant_mismatch", MISMATCH_RULE))
    # 王五 (individual); 戊 (a shell); 辛 (recognised only after AS_OF: a shell on AS_OF).  Not 己 (in the
    # directory), 庚 (recognised on AS_OF), 壬 (co-applied the day before the window), 癸大学 (a university).
    assert _flagged(flags) == ["K0", "K1", "K2", "L0", "L1", "L2", "W0", "W1", "W2"]
    by_app = {f.app_no: f.evidence for f in flags}
    assert by_app["W0"]["kind"] == "individual" and by_app["W0"]["shell"] is None
    assert by_app["W0"]["sections"] == {"A": 1, "C": 1, "H": 1} and by_app["W0"]["inventions"] == 3
    assert by_app["W0"]["applications"] == ["W0", "W1", "W2"]
    assert (by_app["W0"]["window_start"], by_app["W0"]["window_end"]) == ("2024-06-01", "2024-06-30")
    assert by_app["K0"]["kind"] == "shell" and by_app["K0"]["applicant_type"] == "enterprise"
    assert by_app["K0"]["shell"] == {"in_directory": False, "recognitions": 0, "filed_before_window": False}


@pytest.mark.parametrize("change", [{"min_inventions": 4}, {"min_sections": 4}], ids=str)
def test_applicant_mismatch_thresholds_one_past(con, change):
    # W3 (G, the day before the window), W4 (B, after AS_OF) and W5 (F, a utility model) would make 4 of each
    assert applicant_mismatch(_ctx(con, MISMATCH, "applicant_mismatch", MISMATCH_RULE, **change)) == []


def test_applicant_mismatch_window_day_after(con):
    # On 07-01 the window is 06-02..07-01: 王五 has W1, W2, W4 (C, H, B); the shells only 2 inventions each.
    flags = applicant_mismatch(_ctx(con, MISMATCH, "applicant_mismatch", MISMATCH_RULE, as_of=date(2024, 7, 1)))
    assert _flagged(flags) == ["W1", "W2", "W4"]
    assert flags[0].evidence["sections"] == {"B": 1, "C": 1, "H": 1}


def test_applicant_mismatch_other_region(con):
    assert applicant_mismatch(_ctx(con, TRANSFER, "applicant_mismatch", MISMATCH_RULE)) == []


# --- transfer_after_grant --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "party"), [
    (CNIPA_A, "深圳市甲投资有限公司"),                 # the owner change, not the address change after it
    (PATSNAP_A, "深圳市甲投资有限公司"),
    (INCOPAT_B, "上海乙咨询有限公司"),                  # the first of several new owners
    ("专利申请权、专利权的转移 变更事项：专利申请人 变更前权利人：张三 变更后权利人：重庆丙科技有限公司（有限合伙）",
     "重庆丙科技有限公司(有限合伙)"),                    # normalised: half-width brackets
    ("转让 受让人: Acme Tech Co., Ltd.；李四", "ACMETECHCO.,LTD."),  # a comma inside a name
    ("变更前权利人:甲公司变更后权利人:乙公司", "乙公司"),  # no spaces between fields
    ("专利权的转移 变更事项：地址 变更前权利人：重庆 变更后权利人：成都", None),  # an address change only
    ("专利权的转移", None),
    ("", None),
])
def test_transferee(text, party):
    assert transferee(text) == party


def test_transfer_after_grant_flags_and_evidence(con):
    flags = transfer_after_grant(_ctx(con, TRANSFER, "transfer_after_grant", TRANSFER_RULE))
    assert _flagged(flags) == ["T1", "T3", "T5", "T7"]
    ev = flags[0].evidence
    assert ev["patents"] == 4 and ev["parties"] == ["上海乙咨询有限公司", "深圳市甲投资有限公司"]
    assert ev["unknown_parties"] == 1
    assert ev["transfers"] == [
        {"app_no": "T3", "granted": "2024-06-01", "transferred": "2024-06-01", "days": 0,
         "party": "上海乙咨询有限公司"},
        {"app_no": "T1", "granted": "2024-05-15", "transferred": "2024-06-14", "days": 30,
         "party": "深圳市甲投资有限公司"},
        {"app_no": "T7", "granted": "2024-06-05", "transferred": "2024-06-20", "days": 15,
         "party": "深圳市甲投资有限公司"},
        {"app_no": "T5", "granted": "2024-06-10", "transferred": "2024-06-30", "days": 20, "party": None}]


@pytest.mark.parametrize("change", [{"min_transfers": 5}, {"min_transferees": 3}], ids=str)
def test_transfer_after_grant_thresholds_one_past(con, change):
    # T2 (31 days), T4 (before the window), T6 (after AS_OF), T8 (before grant) would add a patent and a party
    assert transfer_after_grant(_ctx(con, TRANSFER, "transfer_after_grant", TRANSFER_RULE, **change)) == []


def test_transfer_after_grant_other_region(con):
    assert transfer_after_grant(_ctx(con, BULK, "transfer_after_grant", TRANSFER_RULE)) == []


# --- withdrawn_after_subsidy -----------------------------------------------------------------------------------------

def test_withdrawn_after_subsidy(con):
    flags = withdrawn_after_subsidy(_ctx(con, SUBSIDY, "withdrawn_after_subsidy", SUBSIDY_RULE))
    assert _flagged(flags) == ["S1", "S3", "S6"]
    ev = {f.app_no: f.evidence for f in flags}
    assert {k: ev["S1"][k] for k in ("item", "amount", "paid", "end_event", "end_date", "days")} == {
        "item": "invention_grant", "amount": "2500.00", "paid": "2024-05-01", "end_event": "deemed_withdrawn",
        "end_date": "2024-05-31", "days": 30}
    assert (ev["S3"]["end_event"], ev["S3"]["days"]) == ("surrendered", 0)
    assert (ev["S6"]["paid"], ev["S6"]["days"]) == ("2024-06-20", 10)
    assert ev["S1"]["thresholds"] == {"days_after_payment": 30} and len(ev["S1"]["payments"]) == 1
    assert flags[0].summary == ("资助（invention_grant，2500.00元）于2024-05-01拨付，30天后视为撤回",
                                "subsidy invention_grant (2500.00 yuan) paid 2024-05-01, deemed withdrawn 30 days "
                                "later")


def test_withdrawn_after_subsidy_day_limit(con):
    flags = withdrawn_after_subsidy(_ctx(con, SUBSIDY, "withdrawn_after_subsidy", SUBSIDY_RULE,
                                         days_after_payment=29))
    assert _flagged(flags) == ["S3", "S6"]


def test_withdrawn_after_subsidy_region_and_no_ledger(con):
    assert _flagged(withdrawn_after_subsidy(_ctx(con, TRANSFER, "withdrawn_after_subsidy", SUBSIDY_RULE))) == ["S9"]
    # the bulk county has a deemed withdrawal (B2) but no ledger rows
    assert withdrawn_after_subsidy(_ctx(con, BULK, "withdrawn_after_subsidy", SUBSIDY_RULE)) == []

    class NoLedger(RuleContext):
        def has(self, table: str) -> bool:
            return table != "subsidy_ledger" and super().has(table)

    ctx = _ctx(con, SUBSIDY, "withdrawn_after_subsidy", SUBSIDY_RULE)
    assert withdrawn_after_subsidy(NoLedger(ctx.con, ctx.as_of, ctx.region, ctx.config)) == []


@pytest.mark.parametrize(("as_of", "flagged"), [
    (date(2024, 6, 28), ["M1", "X1", "X2", "X3", "X4", "X5", "X6"]),  # X1's restoration (06-29) not yet known
    (date(2024, 6, 29), ["M1", "X2", "X3", "X4", "X5", "X6"]),        # X1 restored that day
    (AS_OF, ["M1", "X3", "X4", "X5", "X6"]),                          # X2 restored on AS_OF, X3 only the day after
    (date(2024, 7, 1), ["M1", "X4", "X5", "X6"]),
], ids=str)
def test_withdrawn_after_subsidy_restored(con, as_of, flagged):
    flags = withdrawn_after_subsidy(_ctx(con, RESTORED, "withdrawn_after_subsidy", SUBSIDY_RULE, as_of=as_of))
    assert _flagged(flags) == flagged


def test_withdrawn_after_subsidy_restored_evidence(con):
    ev = {f.app_no: f.evidence for f in withdrawn_after_subsidy(
        _ctx(con, RESTORED, "withdrawn_after_subsidy", SUBSIDY_RULE))}
    # X5: the deemed withdrawal of 05-05 was undone on 05-08; the withdrawal of 05-20 stands, 19 days after payment
    assert (ev["X5"]["end_event"], ev["X5"]["end_date"], ev["X5"]["days"]) == ("withdrawn", "2024-05-20", 19)
    assert (ev["X4"]["end_event"], ev["X4"]["days"]) == ("deemed_withdrawn", 9)
    # M1: the payment of 04-01 (39 days before the withdrawal) is not listed; the one of 05-01 (9 days) is
    assert ev["M1"]["payments"] == [{"item": "invention_maintenance", "amount": "2500.00", "paid": "2024-05-01",
                                     "end_event": "withdrawn", "end_date": "2024-05-10", "days": 9}]
    loose = {f.app_no: f.evidence for f in withdrawn_after_subsidy(
        _ctx(con, RESTORED, "withdrawn_after_subsidy", SUBSIDY_RULE, days_after_payment=39))}
    assert [(p["item"], p["days"]) for p in loose["M1"]["payments"]] == [
        ("invention_maintenance", 9), ("invention_grant", 39)]
    assert loose["M1"]["item"] == "invention_maintenance"


# --- outcomes: one rule with agencies.py -----------------------------------------------------------------------------

def test_outcomes_on_a_restoration_the_day_before_of_and_after_an_end(con):
    """The room's one definition of concluded (agencies.concluded_outcomes), as bulk_filing reads it: a restoration
    strictly after the end reopens the application (Q3: pending), one on the same day does not."""
    ours = _outcomes(_ctx(con, OUTCOMES, "bulk_filing", BULK_RULE))
    assert {a: o for a, o in ours.items() if a.startswith("Q")} == {
        "Q1": "failed", "Q2": "failed", "Q4": "failed", "Q5": "granted"}


# --- the region's applications: texts bounded in the query ---------------------------------------------------------

def test_applications_texts_cut_in_the_query(con):
    config = config_from({"text": {"max_chars": 10}}, "test")
    frame = RuleContext(con, AS_OF, LONG, config).applications().set_index("app_no")
    assert [frame.at["Z1", c] for c in ("title", "abstract", "first_claim")] == ["题" * 9, "摘" * 10, "权" * 10]
    assert frame.at["Z2", "title"] == "标题Z2"
    assert pd.isna(frame.at["Z2", "abstract"]) and pd.isna(frame.at["Z2", "first_claim"])
    whole = RuleContext(con, AS_OF, LONG, config_from({"text": {"max_chars": 11}}, "test")).applications()
    assert whole.set_index("app_no").at["Z1", "first_claim"] == "权" * 11
