"""Trademark states at every boundary the rules draw (docs/trademarks.md), each on the day before, the day itself
and the day after; the Python reference (mark_state) and the Ibis expression (mark_states) agree on every mark of
the set on every one of those days."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hvpatent.trademarks import MarkState, first_term_end, mark_state, mark_states, term_end_after
from hvpatent.trademarks.state import known_from, mark_states_on, registration_start, term_chain
from hvpatent.warehouse.store import Warehouse

D = date.fromisoformat
FILED = "2013-01-01"
# key: (registration_date, export term_end, prelim_pub_date, status_text, status_date, filing_date)
MARKS = {
    "basic": ("2015-03-14", "2025-03-13", None, None, None, FILED),
    "renew_window": ("2015-03-14", "2025-03-13", None, None, None, FILED),
    "renew_early": ("2015-03-14", "2025-03-13", None, None, None, FILED),
    "renew_grace": ("2015-03-14", "2025-03-13", None, None, None, FILED),
    "renew_late": ("2015-03-14", "2025-03-13", None, None, None, FILED),
    "exported_renewal": ("2015-03-14", "2035-03-13", None, "注册商标", "2025-06-30", FILED),
    "cancelled": ("2015-03-14", "2025-03-13", None, None, None, FILED),
    "given_up": ("2015-03-14", "2025-03-13", None, None, None, FILED),
    "invalidated": ("2015-03-14", "2025-03-13", None, None, None, FILED),
    "opposition_upheld": (None, None, "2019-06-13", None, None, "2018-12-01"),
    "opposition_rejected": ("2020-08-20", None, "2019-06-13", None, None, "2018-12-01"),
    "leap": ("2016-02-29", None, None, None, None, FILED),
    "after_leap": ("2016-03-01", None, None, None, None, FILED),
    "twice": ("2000-01-10", None, None, None, None, "1998-05-01"),
    "snapshot": ("2010-05-05", "2030-05-04", None, "注销", "2021-04-30", FILED),
    "snapshot_pending": ("2010-05-05", "2030-05-04", None, "撤销/无效宣告申请审查中", "2021-04-30", FILED),
    "not_renewed": ("2015-03-14", "2025-03-13", None, None, None, FILED),
    # The export's term_end is authoritative (docs/trademarks.md, rule 3):
    # opposed (published 2020-09-06), registration announced 2021-12-07, no process lines: the export's term
    # 2020-12-07 至 2030-12-06 runs from the end of the opposition period (art. 36(2)), earlier than 注册公告 + 10 y
    "opposed_no_events": ("2021-12-07", "2030-12-06", "2020-09-06", None, None, "2020-01-01"),
    # the corpus mark 40000001/9: opposition rejected (start 2020-12-06 by rule 1, computed end 2030-12-05), the
    # export says 2031-12-06: the export wins
    "opposed_export_later": ("2021-12-07", "2031-12-06", "2020-09-06", None, None, "2020-01-01"),
    # Madrid: protection from the international registration date 2018-05-10 (Protocol arts. 4(1), 6(1)); the
    # export's 注册公告 2019-01-15 would give 2029-01-14, its term 2018-05-10 至 2028-05-09 decides
    "madrid": ("2019-01-15", "2028-05-09", None, None, None, None),
    # renewed, the export shows the renewed term 2021-04-07 至 2031-04-06 (start = the day after the first term's
    # end 2021-04-06); its 注册公告 2012-05-20 (after an opposition) would give a first end of 2022-05-19
    "renewed_export": ("2012-05-20", "2031-04-06", "2011-01-06", "注册商标", "2025-06-30", "2010-05-01"),
    # the same, then a renewal filed 2030-06-01 in the next window (opens 2031-04-06 − 12 months + 1 = 2030-04-07)
    "renewed_export_then_filed": ("2012-05-20", "2031-04-06", "2011-01-06", "注册商标", "2025-06-30", "2010-05-01"),
    # registered 2016-03-01 (first end 2026-02-28), renewed; the certificate's term 2026-03-01 至 2036-02-29 (not
    # the 2036-02-28 that (S − 1 day) + 10 years gives): the export decides
    "leap_export": ("2016-03-01", "2036-02-29", None, None, None, FILED),
    # a renewal filed in the window (2024-06-01), refused 2024-09-10 (续展 不予核准): the term is the first one again
    "renew_refused": ("2015-03-14", "2025-03-13", None, None, None, FILED),
    # the same, then filed again in grace (2025-05-05): renewed from that day
    "refused_refiled": ("2015-03-14", "2025-03-13", None, None, None, FILED),
}
# (mark, event_type, event_date, effective_date)
EVENTS = [
    ("renew_window", "renewal_filed", "2024-03-14", None),   # the window's first day (2025-03-13 − 12 months + 1)
    ("renew_early", "renewal_filed", "2024-03-13", None),    # a day before the window: not a renewal in time
    ("renew_grace", "renewal_filed", "2025-09-13", None),    # the grace period's last day
    ("renew_late", "renewal_filed", "2025-09-14", None),     # a day after it
    ("cancelled", "cancelled_nonuse", "2022-06-10", None),   # 撤销 announced 2022-06-10 (arts. 49, 55)
    ("given_up", "cancelled_request", "2022-08-20", "2022-07-01"),  # 注销: received 07-01, announced 08-20
    ("invalidated", "invalidated", "2023-01-05", None),
    ("opposition_upheld", "opposition_filed", "2019-08-01", None),
    ("opposition_upheld", "opposition_upheld", "2020-05-20", None),
    ("opposition_rejected", "opposition_filed", "2019-08-01", None),
    ("opposition_rejected", "opposition_rejected", "2020-07-01", None),
    ("twice", "renewal_filed", "2009-06-01", None),          # renews the term ending 2010-01-09
    ("twice", "renewed", "2020-03-01", None),                # approval of the second renewal, after the term end
    ("not_renewed", "not_renewed", "2026-01-05", None),
    ("opposed_export_later", "opposition_rejected", "2021-10-12", None),
    ("renewed_export_then_filed", "renewal_filed", "2030-06-01", None),
    ("renew_refused", "renewal_filed", "2024-06-01", None),
    ("renew_refused", "renewal_refused", "2024-09-10", None),
    ("refused_refiled", "renewal_filed", "2024-06-01", None),
    ("refused_refiled", "renewal_refused", "2024-09-10", None),
    ("refused_refiled", "renewal_filed", "2025-05-05", None),
]


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    with Warehouse(tmp_path_factory.mktemp("tm-state") / "w.duckdb") as wh:
        for key, (registered, end, prelim, text, status_date, filed) in MARKS.items():
            wh.con.execute(
                """INSERT INTO trademarks (reg_no, nice_class, mark_kind, is_gi, is_madrid, owner, owner_norm,
                       owner_type, filing_date, prelim_pub_date, registration_date, term_end, status_text,
                       status_date, source)
                   VALUES (?, 9, 'ordinary', false, false, 'o', 'o', 'enterprise', ?, ?, ?, ?, ?, ?, 'test')""",
                [key, filed, prelim, registered, end, text, status_date])
        wh.con.execute("UPDATE trademarks SET is_madrid = true WHERE reg_no = 'madrid'")
        wh.con.executemany("INSERT INTO trademark_events VALUES (?, 9, ?, ?, ?, NULL, ?, 1)",
                           [[k, on, t, eff, f"{t} {on}"] for k, t, on, eff in EVENTS])
        yield wh.ibis()


def _python(con, key: str, day: date) -> MarkState:
    marks = con.table("trademarks")
    mark = marks.filter(marks.reg_no == key).to_pyarrow().to_pylist()[0]
    events = con.table("trademark_events")
    return mark_state(mark, events.filter(events.reg_no == key).to_pyarrow().to_pylist(), day)


def _state(con, key: str, day: str) -> tuple:
    s = _python(con, key, D(day))
    return s.state, s.effective, s.term_end and s.term_end.isoformat()


def _around(day: str) -> list[str]:
    d = D(day)
    return [(d + timedelta(days=k)).isoformat() for k in (-1, 0, 1)]


def test_first_term_end_is_ten_years_less_a_day():
    assert first_term_end(D("2015-03-14")) == D("2025-03-13")
    assert first_term_end(D("2016-02-29")) == D("2026-02-28")  # (R − 1 day) + 10 years: 2016-02-28 + 10
    assert first_term_end(D("2016-03-01")) == D("2026-02-28")  # 2016-02-29 + 10 years, clamped
    assert term_end_after(D("2015-03-14"), 2) == D("2045-03-13")


def test_term_end_and_last_day_of_grace(con):
    # term ends 2025-03-13 (art. 39); grace = 6 months to 2025-09-13 (art. 40); lapsed from 09-14
    assert [_state(con, "basic", d)[0] for d in _around("2025-03-13")] == ["registered", "registered", "in_grace"]
    assert [_state(con, "basic", d)[:2] for d in _around("2025-09-13")] == [
        ("in_grace", True), ("in_grace", True), ("lapsed", False)]
    s = _python(con, "basic", D("2025-03-14"))
    assert (s.term_end, s.renewal_opens, s.grace_end) == (D("2025-03-13"), D("2024-03-14"), D("2025-09-13"))


def test_renewal_window_opening_and_filing_in_it(con):
    # window opens 2024-03-14 = 2025-03-13 − 12 months + 1 day; a filing that day continues the mark from that day
    assert [_state(con, "renew_window", d)[2] for d in _around("2024-03-14")] == [
        "2025-03-13", "2035-03-13", "2035-03-13"]
    assert _state(con, "renew_window", "2025-03-14") == ("registered", True, "2035-03-13")
    # filed a day before the window: no renewal, so in grace after the term and lapsed after the grace
    assert _state(con, "renew_early", "2025-03-14") == ("in_grace", True, "2025-03-13")
    assert _state(con, "renew_early", "2025-09-14")[0] == "lapsed"


def test_renewal_filed_in_grace_continues_the_mark(con):
    assert [_state(con, "renew_grace", d) for d in _around("2025-09-13")] == [
        ("in_grace", True, "2025-03-13"), ("registered", True, "2035-03-13"), ("registered", True, "2035-03-13")]
    # filed the day after the grace ended: too late
    assert [_state(con, "renew_late", d)[0] for d in _around("2025-09-13")] == ["in_grace", "in_grace", "lapsed"]


def test_a_refused_renewal_no_longer_continues_the_mark(con):
    # filed 2024-06-01: the next term (to 2035-03-13) from that day, until the refusal of 2024-09-10
    assert [_state(con, "renew_refused", d)[2] for d in _around("2024-09-10")] == [
        "2035-03-13", "2025-03-13", "2025-03-13"]
    assert _state(con, "renew_refused", "2025-03-14") == ("in_grace", True, "2025-03-13")
    assert _state(con, "renew_refused", "2025-09-14")[0] == "lapsed"
    # filed again in grace: renewed from the new filing's day
    assert [_state(con, "refused_refiled", d) for d in _around("2025-05-05")] == [
        ("in_grace", True, "2025-03-13"), ("registered", True, "2035-03-13"), ("registered", True, "2035-03-13")]


def test_export_term_end_counts_as_renewal_in_time(con):
    # the export (2025-06-30) says the term runs to 2035-03-13: renewed in time, never in grace
    assert [_state(con, "exported_renewal", d) for d in _around("2025-03-13")] == [
        ("registered", True, "2035-03-13")] * 3


def test_two_renewals_by_filing_and_by_approval(con):
    # 2000-01-10 → first term ends 2010-01-09; renewal filed 2009-06-01 → 2020-01-09; the approval dated
    # 2020-03-01 (in grace) renews again → 2030-01-09; before it the mark was in grace
    assert _state(con, "twice", "2010-01-10") == ("registered", True, "2020-01-09")
    assert [_state(con, "twice", d) for d in _around("2020-03-01")] == [
        ("in_grace", True, "2020-01-09"), ("registered", True, "2030-01-09"), ("registered", True, "2030-01-09")]


def test_cancellation_on_announcement_day(con):
    assert [_state(con, "cancelled", d)[:2] for d in _around("2022-06-10")] == [
        ("registered", True), ("cancelled", False), ("cancelled", False)]


def test_cancellation_on_request_from_receipt(con):
    # announced 2022-08-20, effective on the day the office received the request (Regs art. 73)
    assert [_state(con, "given_up", d)[0] for d in _around("2022-07-01")] == ["registered", "cancelled", "cancelled"]


def test_invalidation(con):
    assert [_state(con, "invalidated", d)[0] for d in _around("2023-01-05")] == [
        "registered", "invalidated", "invalidated"]


def test_opposition_upheld_never_registered(con):
    assert [_state(con, "opposition_upheld", d) for d in _around("2020-05-20")] == [
        ("pending", False, None), ("refused", False, None), ("refused", False, None)]


def test_opposition_rejected_runs_from_end_of_opposition_period(con):
    # preliminary publication 2019-06-13; opposition period ends 2019-09-13 (art. 36(2)); first term
    # (2019-09-13 − 1 day) + 10 years = 2029-09-12
    assert registration_start({"registration_date": D("2020-08-20"), "prelim_pub_date": D("2019-06-13")},
                              [{"event_type": "opposition_rejected", "event_date": D("2020-07-01")}]) == D("2019-09-13")
    assert [_state(con, "opposition_rejected", d) for d in _around("2019-09-13")] == [
        ("pending", False, None), ("registered", True, "2029-09-12"), ("registered", True, "2029-09-12")]
    assert [_state(con, "opposition_rejected", d)[0] for d in _around("2029-09-12")] == [
        "registered", "registered", "in_grace"]


def test_leap_day_registration(con):
    # 2016-02-29 → term ends 2026-02-28; window opens 2025-03-01; grace to 2026-08-28
    assert [_state(con, "leap", d)[0] for d in _around("2026-02-28")] == ["registered", "registered", "in_grace"]
    assert [_state(con, "leap", d)[0] for d in _around("2026-08-28")] == ["in_grace", "in_grace", "lapsed"]
    assert _python(con, "leap", D("2025-03-01")).renewal_opens == D("2025-03-01")
    assert _state(con, "after_leap", "2026-03-01")[0] == "in_grace"


def test_status_snapshot_without_events(con):
    assert [_state(con, "snapshot", d)[:2] for d in _around("2021-04-30")] == [
        ("registered", True), ("cancelled", False), ("cancelled", False)]
    # a proceeding under way (审查中) ends nothing
    assert _state(con, "snapshot_pending", "2021-05-01")[:2] == ("registered", True)


def test_not_renewed_announcement(con):
    # lapsed from the day after grace (2025-09-14) by the term rule; the 注销 announcement changes nothing then
    assert _state(con, "not_renewed", "2025-09-14")[0] == "lapsed"
    assert _state(con, "not_renewed", "2026-01-05")[0] == "lapsed"


def test_term_chain_anchors_on_the_export():
    # (anchor, renewals the export shows); whole years from the start to term_end + 1 day, rounded to decades, − 1
    assert term_chain(D("2015-03-14"), None) == (D("2025-03-13"), 0)       # computed: (R − 1 day) + 10 years
    assert term_chain(D("2021-12-07"), D("2030-12-06")) == (D("2030-12-06"), 0)  # 9 years: earlier, kept
    assert term_chain(D("2020-12-06"), D("2031-12-06")) == (D("2031-12-06"), 0)  # 11 years: later, kept
    assert term_chain(D("2012-05-20"), D("2031-04-06")) == (D("2031-04-06"), 1)  # 18 years: one renewal
    assert term_chain(D("2015-03-14"), D("2045-03-13")) == (D("2045-03-13"), 2)  # 30 years: two


def test_opposed_mark_without_events_ends_on_the_export_term(con):
    # term 2020-12-07 至 2030-12-06 (export); grace to 2031-06-06 (art. 40); the right is counted from the
    # registration announcement 2021-12-07 (no event says the opposition failed)
    assert [_state(con, "opposed_no_events", d)[:2] for d in _around("2021-12-07")] == [
        ("pending", False), ("registered", True), ("registered", True)]
    assert [_state(con, "opposed_no_events", d) for d in _around("2030-12-06")] == [
        ("registered", True, "2030-12-06"), ("registered", True, "2030-12-06"), ("in_grace", True, "2030-12-06")]
    assert [_state(con, "opposed_no_events", d)[0] for d in _around("2031-06-06")] == [
        "in_grace", "in_grace", "lapsed"]
    s = _python(con, "opposed_no_events", D("2030-12-07"))
    assert (s.renewal_opens, s.grace_end) == (D("2029-12-07"), D("2031-06-06"))


def test_export_term_later_than_the_computed_one_is_kept(con):
    # start 2020-12-06 (end of the opposition period), computed end 2030-12-05; the export says 2031-12-06
    assert [_state(con, "opposed_export_later", d) for d in _around("2031-12-06")] == [
        ("registered", True, "2031-12-06"), ("registered", True, "2031-12-06"), ("in_grace", True, "2031-12-06")]
    assert [_state(con, "opposed_export_later", d)[0] for d in _around("2032-06-06")] == [
        "in_grace", "in_grace", "lapsed"]


def test_madrid_term_from_the_international_registration(con):
    # term 2018-05-10 至 2028-05-09; grace to 2028-11-09
    assert [_state(con, "madrid", d) for d in _around("2028-05-09")] == [
        ("registered", True, "2028-05-09"), ("registered", True, "2028-05-09"), ("in_grace", True, "2028-05-09")]
    assert [_state(con, "madrid", d)[0] for d in _around("2028-11-09")] == ["in_grace", "in_grace", "lapsed"]


def test_renewed_term_shown_by_the_export(con):
    # first term ended 2021-04-06 (2031-04-06 − 10 years); the renewal the export shows was in time: never in grace
    assert [_state(con, "renewed_export", d) for d in _around("2021-04-06")] == [
        ("registered", True, "2031-04-06")] * 3
    assert [_state(con, "renewed_export", d)[0] for d in _around("2031-04-06")] == [
        "registered", "registered", "in_grace"]
    assert [_state(con, "renewed_export", d)[0] for d in _around("2031-10-06")] == ["in_grace", "in_grace", "lapsed"]
    # a renewal filed after the export, in the next window, runs 10 years from 2031-04-07: to 2041-04-06
    assert [_state(con, "renewed_export_then_filed", d)[2] for d in _around("2030-06-01")] == [
        "2031-04-06", "2041-04-06", "2041-04-06"]
    assert _state(con, "renewed_export_then_filed", "2031-04-07") == ("registered", True, "2041-04-06")


def test_leap_day_term_end_from_the_certificate(con):
    # the export's 2036-02-29 stands (not 2036-02-28); grace 2036-02-29 + 6 months = 2036-08-29; window opens
    # 2036-02-29 − 12 months + 1 day = 2035-02-28 + 1 = 2035-03-01
    assert [_state(con, "leap_export", d) for d in _around("2036-02-29")] == [
        ("registered", True, "2036-02-29"), ("registered", True, "2036-02-29"), ("in_grace", True, "2036-02-29")]
    assert [_state(con, "leap_export", d)[0] for d in _around("2036-08-29")] == ["in_grace", "in_grace", "lapsed"]
    assert _python(con, "leap_export", D("2030-01-01")).renewal_opens == D("2035-03-01")


BOUNDARY_DAYS = sorted({D(x) + timedelta(days=k) for x in [
    "2024-03-14", "2025-03-13", "2025-09-13", "2022-06-10", "2022-07-01", "2023-01-05", "2020-05-20", "2019-09-13",
    "2029-09-12", "2026-02-28", "2026-08-28", "2025-03-01", "2010-01-09", "2020-03-01", "2021-04-30", "2026-01-05",
    "2013-01-01", "2018-12-01", "2019-06-13", "2015-03-14", "2020-01-09", "2020-07-09", "2021-12-07", "2030-12-06",
    "2031-06-06", "2031-12-06", "2032-06-06", "2028-05-09", "2028-11-09", "2019-01-15", "2021-04-06", "2031-04-06",
    "2031-10-06", "2030-06-01", "2036-02-29", "2036-08-29", "2020-12-06", "2024-06-01", "2024-09-10",
    "2025-05-05"] for k in (-1, 0, 1)})


def test_python_and_ibis_agree_on_every_boundary_day(con):
    marks = con.table("trademarks").to_pyarrow().to_pylist()
    events = con.table("trademark_events").to_pyarrow().to_pylist()
    # all the days in one query (mark_states_on), each day as mark_states would give it
    by_day: dict[date, dict] = {day: {} for day in BOUNDARY_DAYS}
    for r in mark_states_on(con, BOUNDARY_DAYS).to_pyarrow().to_pylist():
        by_day[r["day"]][r["reg_no"]] = r
    one_day = BOUNDARY_DAYS[len(BOUNDARY_DAYS) // 2]
    single = {r["reg_no"]: r for r in mark_states(con, one_day).to_pyarrow().to_pylist()}
    assert single == {k: {c: v for c, v in r.items() if c != "day"} for k, r in by_day[one_day].items()}
    compared = 0
    for day in BOUNDARY_DAYS:
        got = by_day[day]
        for mark in marks:
            own = [e for e in events if e["reg_no"] == mark["reg_no"]]
            if known_from(mark, registration_start(mark, own)) > day:
                assert mark["reg_no"] not in got  # not yet filed: not in the table
                continue
            want = mark_state(mark, own, day)
            row = got[mark["reg_no"]]
            assert (row["state"], row["effective"], row["term_end"], row["renewal_opens"], row["grace_end"]) == (
                want.state, want.effective, want.term_end, want.renewal_opens, want.grace_end), (mark["reg_no"], day)
            compared += 1
    assert compared == 2851  # 25 marks × 120 days, less the days before a filing (3000 − 149)
