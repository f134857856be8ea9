"""Scheduled bulletins (hvpatent.schedule, hvp schedule; docs/schedule.md) on the hand-built district (world.py).

Due days are the first working day after the period by China's calendar: Q3 2024 ends 2024-09-30 and National Day
keeps 2024-10-01..07 off, so its edition is due 2024-10-08; November 2024 ends on a Saturday (due Monday 2024-12-02);
April 2024 ends before May Day (2024-05-01..05 off), due 2024-05-06.  Two editions are built for real, once for the
module, of a small plan (SMALL: the seed plan's span and region, one `trademarks` target, no tasks, a user plan file
in the module's config folder, so a build computes no other target): v1 of 2024Q3 (docx) on its due day, then, after
an import moves the trademark count of 2024-09-30 from 15,000 to 15,500, v2 with a reason.  The user config folder is
the module's own (that plan file, no settings)."""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from hvpatent.schedule import (
    ConfigError,
    EditionError,
    ScheduleConfig,
    bulletin_period,
    due_editions,
    edition,
    edition_file,
    editions,
    issue_day,
    issue_edition,
    load_config,
    period_of,
    run_schedule,
    verify_editions,
)

PLAN = "yongchuan-2022-2024"
SMALL = "schedule-small"
Q3 = f"{SMALL}/quarter/2024Q3"
QUARTERLY_DOCX = ScheduleConfig(("quarter",), ("docx",), (SMALL,), 1, None, "test")
SMALL_PLAN = f"""plan:
  key: {SMALL}
  name: 排期测试方案
  issued: 2022-10-13
  region: "500118"
  baseline_date: 2021-12-31
  deadline: 2024-12-31
targets:
  - key: trademarks
    name: 有效商标注册总量
    source: indicator
    indicator: trademarks
    target: 16500
    unit: 件
tasks: []
"""


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("schedule-config")
    (folder / "plans").mkdir()
    (folder / "plans" / f"{SMALL}.yaml").write_text(SMALL_PLAN, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("hvpatent.reference.userconfig.user_config_dir", lambda: folder)
        yield folder


@pytest.fixture(scope="module")
def plans(config_dir):
    from hvpatent.plan import load_plans

    return load_plans()


@pytest.fixture
def empty(tmp_path):
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(tmp_path / "empty.duckdb") as wh:
        yield wh


def _add_trademarks(wh, count: int) -> None:
    """One import (an `imports` row) that gives the district's trademark count on 2024-06-30."""
    from hvpatent.model import Batch

    batch = Batch()
    batch.set("trademark_counts", [{"region_code": "500118", "as_of_date": date(2024, 6, 30),
                                    "effective_count": count}])
    with wh.import_transaction("tm.xlsx", "tm", "test", "records") as tx:
        tx.add(batch, 0)


@pytest.fixture(scope="module")
def issued(tmp_path_factory, plans):
    """The district with v1 of 2024Q3 issued on 2024-10-08, the runs' answers, v1's bytes, then v2 after an import."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from hvpatent.warehouse.store import Warehouse
    from webserver import world_db

    db = world_db(tmp_path_factory.mktemp("schedule"))
    with Warehouse(db) as wh:
        con = wh.ibis()
        first = run_schedule(wh.con, con, plans, date(2024, 10, 8), by="cron", config=QUARTERLY_DOCX)
        again = run_schedule(wh.con, con, plans, date(2024, 10, 8), by="cron", config=QUARTERLY_DOCX)
        v1_bytes = edition_file(con, f"{Q3}/v1", "docx")["content"]
        _add_trademarks(wh, 15_500)
        v2 = issue_edition(wh.con, con, plans.get(SMALL), "quarter", "2024Q3", by="admin", today=date(2024, 10, 15),
                           reason="补录商标数据", config=QUARTERLY_DOCX)
        wh.con.execute("CHECKPOINT")
    return {"db": db, "first": first, "again": again, "v1_bytes": v1_bytes, "v2": v2}


# -- due days ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("cadence", "key", "end", "due"), [
    ("quarter", "2024Q3", date(2024, 9, 30), date(2024, 10, 8)),    # National Day
    ("month", "2024-11", date(2024, 11, 30), date(2024, 12, 2)),    # ends on a Saturday
    ("month", "2024-04", date(2024, 4, 30), date(2024, 5, 6)),      # May Day
    ("month", "2024-09", date(2024, 9, 30), date(2024, 10, 8)),
    ("quarter", "2023Q4", date(2023, 12, 31), date(2024, 1, 2)),    # New Year's Day
])
def test_a_period_is_due_on_the_first_working_day_after_it(cadence, key, end, due):
    p = bulletin_period(cadence, key)
    assert (p.end, issue_day(p), p.key) == (end, due, key)
    assert period_of(end, cadence) == p


@pytest.mark.parametrize(("today", "periods"), [
    (date(2024, 10, 7), ["2024Q2"]),   # the day before: Q3 not yet due (Q2 the latest due, not issued here)
    (date(2024, 10, 8), ["2024Q3"]),   # the first working day after National Day
    (date(2024, 10, 9), ["2024Q3"]),   # the day after: still due until issued
])
def test_quarter_due_around_national_day(empty, plans, today, periods):
    due = due_editions(empty.ibis(), plans, today, QUARTERLY_DOCX)
    assert [d["period"] for d in due] == periods
    if periods == ["2024Q3"]:
        assert due[0] == {"plan_key": SMALL, "cadence": "quarter", "period": "2024Q3", "as_of": date(2024, 9, 30),
                          "due_on": date(2024, 10, 8)}


@pytest.mark.parametrize(("today", "period"), [
    (date(2024, 12, 1), "2024-10"),    # Sunday: November (ends Saturday) not yet due
    (date(2024, 12, 2), "2024-11"),
    (date(2024, 12, 3), "2024-11"),
])
def test_month_ending_on_a_weekend(empty, plans, today, period):
    monthly = ScheduleConfig(("month",), ("docx",), (), 1, None, "test")
    assert [d["period"] for d in due_editions(empty.ibis(), plans, today, monthly)] == [period]


def test_catch_up_is_bounded_and_start_cuts_earlier_periods(empty, plans):
    three = ScheduleConfig(("quarter",), ("docx",), (), 3, None, "test")
    assert [d["period"] for d in due_editions(empty.ibis(), plans, date(2024, 10, 8), three)] == [
        "2024Q1", "2024Q2", "2024Q3"]
    from_june = ScheduleConfig(("quarter",), ("docx",), (), 3, date(2024, 6, 1), "test")
    assert [d["period"] for d in due_editions(empty.ibis(), plans, date(2024, 10, 8), from_june)] == [
        "2024Q2", "2024Q3"]


def test_unknown_plan_in_settings_is_refused(empty, plans):
    config = ScheduleConfig(("quarter",), ("docx",), ("no-such-plan",), 1, None, "my.yaml")
    with pytest.raises(EditionError, match=r"my\.yaml.*no-such-plan"):
        due_editions(empty.ibis(), plans, date(2024, 10, 8), config)


def test_a_plans_editions_stop_at_its_deadline(empty, plans):
    # The seed plan runs 2022-10-13 .. 2024-12-31: on 2025-04-08 (2025Q1 due 04-01) only 2024's quarters are its.
    three = ScheduleConfig(("quarter",), ("docx",), (SMALL,), 3, None, "test")
    assert [d["period"] for d in due_editions(empty.ibis(), plans, date(2025, 4, 8), three)] == ["2024Q3", "2024Q4"]
    # ... and never go back before it was issued: 2022Q4 (holding 10-13) is the first, 2022Q3 is not.
    six = ScheduleConfig(("quarter",), ("docx",), (SMALL,), 6, None, "test")
    assert [d["period"] for d in due_editions(empty.ibis(), plans, date(2023, 4, 3), six)] == ["2022Q4", "2023Q1"]
    with pytest.raises(EditionError, match=r"outside plan schedule-small's span \(2022-10-13 to 2024-12-31\)"):
        issue_edition(empty.con, empty.ibis(), plans.get(SMALL), "quarter", "2025Q1", by="x",
                      today=date(2025, 4, 8), config=QUARTERLY_DOCX)
    assert empty.count("bulletin_editions") == 0


@pytest.mark.parametrize("today", [date(1, 1, 1), date(1900, 6, 1), date(9999, 12, 31)])
def test_a_day_outside_the_calendar_is_an_edition_error_not_an_overflow(empty, plans, today):
    with pytest.raises(EditionError, match="outside the years 1901 to 2200"):
        due_editions(empty.ibis(), plans, today, QUARTERLY_DOCX)
    with pytest.raises(EditionError, match="outside the years"):
        issue_edition(empty.con, empty.ibis(), plans.get(SMALL), "quarter", "2024Q3", by="x", today=today,
                      config=QUARTERLY_DOCX)


def test_data_stamp_follows_reports_scores_and_plan_values(empty):
    from hvpatent.schedule.editions import data_stamp

    before = data_stamp(empty.con)
    assert before == {"imports": 0, "last_import_id": None, "last_imported_at": None, "last_report_at": None,
                      "last_score_at": None, "plan_values": 0, "plan_values_md5": "d41d8cd98f00b204e9800998ecf8427e",
                      "reviews": 0, "last_review_at": None, "corrections": 0, "last_correction_at": None}
    empty.con.execute("INSERT INTO unit_scores VALUES ('p', '区科技局', '2024Q3', 90, NULL, TIMESTAMP '2024-10-20 09:"
                      "30:00', 'admin')")
    empty.con.execute("INSERT INTO plan_values VALUES ('trademarks', DATE '2024-09-30', 15000, NULL)")
    scored = data_stamp(empty.con)
    assert scored["last_score_at"] == "2024-10-20T09:30:00" and scored["plan_values"] == 1
    # a plan value replaced in place changes the digest though the count stays
    empty.con.execute("UPDATE plan_values SET value = 15001")
    assert data_stamp(empty.con)["plan_values_md5"] != scored["plan_values_md5"]


def test_data_stamp_follows_abnormal_reviews_and_branch_corrections(empty):
    # A confirmed abnormal application leaves the bulletin's figures and a branch correction moves a patent between
    # branches: a review or a correction committed during a build must make the build run again.
    from hvpatent.schedule.editions import data_stamp

    before = data_stamp(empty.con)
    empty.con.execute("INSERT INTO abnormal_reviews VALUES ('CN1', TIMESTAMP '2024-10-07 16:00:00', 'confirmed', "
                      "'admin', NULL, '[]', '{}')")
    reviewed = data_stamp(empty.con)
    assert (reviewed["reviews"], reviewed["last_review_at"]) == (1, "2024-10-07T16:00:00") and reviewed != before
    empty.con.execute("INSERT INTO branch_corrections VALUES ('CN1', 'new_energy', 'x', true, 'admin', "
                      "TIMESTAMP '2024-10-07 17:00:00')")
    corrected = data_stamp(empty.con)
    assert (corrected["corrections"], corrected["last_correction_at"]) == (1, "2024-10-07T17:00:00")
    # a correction replaced in place (INSERT OR REPLACE, navigation/classifier.py) keeps the count, moves the time
    empty.con.execute("INSERT OR REPLACE INTO branch_corrections VALUES ('CN1', 'new_energy', 'x', false, 'admin', "
                      "TIMESTAMP '2024-10-08 08:00:00')")
    assert data_stamp(empty.con)["last_correction_at"] == "2024-10-08T08:00:00"


def test_figures_hold_the_key_tasks_counts_and_scores(plans):
    # The key-tasks section's rows as reports/tasks_section.py puts them in bulletin.sheets (任务报送) and its
    # assessment table: 3 reports due for 2024Q3, 1 on time, 1 late, 1 overdue; two units scored.
    from types import SimpleNamespace

    from hvpatent.reports.bulletin import Section, Table
    from hvpatent.schedule.editions import edition_figures, figure_changes, reissue_notice

    rows = [{"task": "2. x", "unit": "区科技局", "period": "2024Q3", "status": "按时报送"},
            {"task": "3. y", "unit": "区科技局", "period": "2024Q3", "status": "逾期报送"},
            {"task": "5. z", "unit": "区经济信息委", "period": "2024Q3", "status": "逾期未报"}]
    scores = Table("2024Q3考核评分", [], [{"unit": "区科技局", "total": 88.5}, {"unit": "区经济信息委", "total": 60}])
    bulletin = SimpleNamespace(figures={}, sheets={"任务报送": rows}, sections=[Section("重点任务", tables=[scores])])
    figures = edition_figures(bulletin, plans.get(SMALL))
    assert figures == {"tasks:2024Q3:required": 3, "tasks:2024Q3:on_time": 1, "tasks:2024Q3:late": 1,
                       "tasks:2024Q3:overdue": 1, "score:区科技局": 88.5, "score:区经济信息委": 60}
    # the overdue report filed late, and a score changed: a re-issue lists both, and says so on its first page
    rows[2]["status"] = "逾期报送"
    scores.rows[1]["total"] = 65
    after = edition_figures(bulletin, plans.get(SMALL))
    changes = figure_changes(figures, after, {"imports": 3}, {"imports": 3}, plans.get(SMALL))
    assert [(c["key"], c["before"], c["after"]) for c in changes] == [
        ("tasks:2024Q3:late", 1, 2), ("tasks:2024Q3:overdue", 1, 0), ("score:区经济信息委", 60, 65),
        ("imports", 3, 3)]
    notice = reissue_notice(2, "补报", changes)
    assert "2024Q3任务报送逾期未报份数由1变为0" in notice and "区经济信息委考核总分由60变为65" in notice
    assert "数字无变化" not in notice


def test_an_edition_is_built_again_while_its_data_change(monkeypatch, empty, plans):
    # A stamp read before and after the build: an import landing meanwhile means one more build on the new data.
    import hvpatent.reports
    room = importlib.import_module("hvpatent.schedule.editions")  # the door's `editions` shadows the module

    stamps = iter([{"imports": 1}, {"imports": 2}, {"imports": 2}])
    builds = []
    monkeypatch.setattr(room, "data_stamp", lambda duck: next(stamps))
    monkeypatch.setattr(hvpatent.reports, "build_bulletin", lambda con, **kw: builds.append(kw) or len(builds))
    span = bulletin_period("quarter", "2024Q3")
    assert room._build(empty.con, empty.ibis(), plans.get(SMALL), span, date(2024, 10, 8)) == (2, {"imports": 2})
    changing = iter(range(100))
    monkeypatch.setattr(room, "data_stamp", lambda duck: {"imports": next(changing)})
    with pytest.raises(EditionError, match="kept changing"):
        room._build(empty.con, empty.ibis(), plans.get(SMALL), span, date(2024, 10, 8))
    assert len(builds) == 2 + room.SNAPSHOT_TRIES


@pytest.mark.parametrize("key", ["2024Q5", "2024-13", "24Q1", "x", "9999-12"])
def test_bad_period_keys(key):
    cadence = "quarter" if "Q" in key else "month"
    with pytest.raises(EditionError, match=re.escape(repr(key))):
        bulletin_period(cadence, key)


def test_period_keys_read_as_the_tasks_room_reads_them():
    # one calendar (reference/periods.py): a month may be written 2024-9; a half year is not a bulletin's cadence
    assert bulletin_period("month", "2024-9").key == "2024-09"
    with pytest.raises(EditionError, match="not a quarter"):
        bulletin_period("quarter", "2024-09")
    with pytest.raises(EditionError, match="unknown cadence"):
        bulletin_period("half", "2024H1")


# -- settings ------------------------------------------------------------------------------------------------------

def test_shipped_settings(config_dir):
    c = load_config()
    assert (c.cadences, c.formats, c.plans, c.catch_up_periods, c.start) == (("month", "quarter"),
                                                                              ("docx", "xlsx"), (), 1, None)


def test_user_settings_overlay_and_start_date(config_dir):
    (config_dir / "schedule.yaml").write_text("formats: [docx, pdf]\nstart: 2024-07-01\n", encoding="utf-8")
    try:
        c = load_config()
        assert (c.cadences, c.formats, c.start) == (("month", "quarter"), ("docx", "pdf"), date(2024, 7, 1))
    finally:
        (config_dir / "schedule.yaml").unlink()


@pytest.mark.parametrize(("text", "where"), [
    ("cadences: [week]\n", "cadences[0]"), ("formats: [exe]\n", "formats[0]"), ("catch_up_periods: 0\n",
                                                                                 "catch_up_periods"),
    ("cadences: []\n", "cadences"), ("start: 2024-13-01\n", "a value YAML cannot read"),
    ("start: '2024-13-01'\n", "start"),
    ("weekly: true\n", "weekly"),
    ("plans: [1]\n", "plans[0]"),
])
def test_bad_settings_name_file_and_key(tmp_path, text, where):
    path = tmp_path / "schedule.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value) and where in str(err.value)


# -- issue, idempotence, re-issue ----------------------------------------------------------------------------------

def test_first_run_issues_the_due_edition_and_a_second_issues_nothing(issued):
    (e,) = issued["first"]
    assert e["edition_id"] == f"{Q3}/v1" and e["version"] == 1 and e["issued_by"] == "cron"
    assert (e["as_of"], e["due_on"], e["issued_on"], e["late"]) == (date(2024, 9, 30), date(2024, 10, 8),
                                                                     date(2024, 10, 8), False)
    assert e["changes"] == [] and e["reason"] is None
    assert e["data_stamp"]["imports"] == 2 and e["data_stamp"]["last_import_id"] is not None
    # the figures it printed: the trademark count of 2024-09-30 is 2023-12-31's (world.py)
    assert e["figures"]["trademarks"] == 15_000 and e["figures"]["target:trademarks"] == 15_000
    assert issued["again"] == []
    (f,) = e["files"]
    assert f["format"] == "docx" and f["sha256"] == hashlib.sha256(issued["v1_bytes"]).hexdigest()


def test_reissue_lists_changes_and_keeps_v1(issued):
    from hvpatent.warehouse.store import Warehouse

    v2 = issued["v2"]
    assert v2["edition_id"] == f"{Q3}/v2" and v2["reason"] == "补录商标数据"
    assert v2["late"] and v2["due_on"] == date(2024, 10, 8)      # issued 2024-10-15
    changed = {c["key"]: (c["before"], c["after"]) for c in v2["changes"]}
    assert changed == {"trademarks": (15_000, 15_500), "target:trademarks": (15_000, 15_500), "imports": (2, 3),
                       "trademarks_per_10k_residents": (pytest.approx(151.515152), pytest.approx(156.565657))}
    with Warehouse(issued["db"], read_only=True) as wh:
        con = wh.ibis()
        v1 = edition(con, f"{Q3}/v1")
        assert v1["figures"]["trademarks"] == 15_000 and v1["changes"] == []
        assert edition_file(con, f"{Q3.replace('/', '~')}~v1", "docx")["content"] == issued["v1_bytes"]
        assert [e["edition_id"] for e in editions(con)] == [f"{Q3}/v2", f"{Q3}/v1"]
        checked = verify_editions(wh.con)
        assert all(r["ok"] for r in checked) and len(checked) == 2
        log = wh.con.execute("SELECT detail FROM audit_log WHERE action = 'bulletin_edition_issued' ORDER BY 1"
                             ).fetchall()
    # the audit line records each file's SHA-256 at issue: verify compares with it too
    v1_hash, v2_hash = hashlib.sha256(issued["v1_bytes"]).hexdigest(), v2["files"][0]["sha256"]
    assert [d for (d,) in log] == [f"{Q3}/v1 sha256 docx={v1_hash}", f"{Q3}/v2 (补录商标数据) sha256 docx={v2_hash}"]
    assert [r["audited"] for r in checked] == [v1_hash, v2_hash]


def test_v2_docx_carries_the_notice_and_v1_does_not(issued):
    from docx import Document

    from hvpatent.warehouse.store import Warehouse

    with Warehouse(issued["db"], read_only=True) as wh:
        v2 = edition_file(wh.ibis(), f"{Q3}/v2", "docx")["content"]
    first = "\n".join(p.text for p in Document(io.BytesIO(v2)).paragraphs[:8])
    assert "本期通报为第2版，更正原因：补录商标数据；与上一版相比变化：" in first
    assert "有效商标注册量由15000变为15500" in first or "由15000变为15500" in first
    assert "This is version 2 of this bulletin, re-issued because: 补录商标数据" in first
    old = "\n".join(p.text for p in Document(io.BytesIO(issued["v1_bytes"])).paragraphs)
    assert "本期通报为第" not in old


def test_refusals_store_nothing(issued, plans):
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(issued["db"]) as wh:
        con, before = wh.ibis(), wh.count("bulletin_editions")
        cases = [("2024Q3", None, date(2024, 10, 15), "already issued"),          # v3 without a reason
                 ("2024Q2", "x", date(2024, 10, 15), "not issued yet"),           # nothing to re-issue
                 ("2024Q4", None, date(2024, 12, 31), "not due until 2025-01-02"),
                 ("2024Q3", "  \x01 ", date(2024, 10, 15), "reason must not be empty"),
                 ("2024Q3", "长" * 501, date(2024, 10, 15), "over 500")]
        for period, reason, today, message in cases:
            with pytest.raises(EditionError, match=message):
                issue_edition(wh.con, con, plans.get(SMALL), "quarter", period, by="x", today=today, reason=reason,
                              config=QUARTERLY_DOCX)
        assert wh.count("bulletin_editions") == before
        with pytest.raises(EditionError, match="no such edition"):
            edition(con, f"{Q3}/v9")
        with pytest.raises(EditionError, match="no xlsx file"):
            edition_file(con, f"{Q3}/v1", "xlsx")


def test_no_code_updates_or_deletes_an_edition():
    source = Path(__file__).parents[1] / "src" / "hvpatent"
    pattern = re.compile(r"(UPDATE|DELETE\s+FROM)\s+bulletin_edition", re.IGNORECASE)
    assert [p for p in source.rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))] == []


def test_verify_detects_a_tampered_byte_in_a_copy(issued, tmp_path):
    from hvpatent.warehouse.store import Warehouse

    copy = tmp_path / "copy.duckdb"
    shutil.copy(issued["db"], copy)
    with Warehouse(copy) as wh:
        content = bytearray(issued["v1_bytes"])
        content[100] ^= 0xFF
        wh.con.execute("UPDATE bulletin_edition_files SET content = ? WHERE edition_id = ?",
                       [bytes(content), f"{Q3}/v1"])
        rows = {r["edition_id"]: r["ok"] for r in verify_editions(wh.con)}
    assert rows == {f"{Q3}/v1": False, f"{Q3}/v2": True}
    assert cli(["schedule", "verify", "--db", str(copy)], lang="en").exit_code == 1


def test_verify_detects_bytes_and_row_hash_rewritten_together(issued, tmp_path):
    # A tamper that rewrites the file and its row's sha256 passes the row's own check; the audit line written at
    # issue still holds the original hash.
    from hvpatent.warehouse.store import Warehouse

    copy = tmp_path / "copy.duckdb"
    shutil.copy(issued["db"], copy)
    forged = b"PK forged"
    with Warehouse(copy) as wh:
        wh.con.execute("UPDATE bulletin_edition_files SET content = ?, sha256 = ?, size_bytes = ? WHERE edition_id = ?",
                       [forged, hashlib.sha256(forged).hexdigest(), len(forged), f"{Q3}/v2"])
        rows = {r["edition_id"]: (r["ok"], r["actual"] == r["sha256"]) for r in verify_editions(wh.con)}
    assert rows == {f"{Q3}/v1": (True, True), f"{Q3}/v2": (False, True)}
    r = cli(["schedule", "verify", "--db", str(copy)], lang="en")
    assert r.exit_code == 1 and f"{Q3}/v2 docx" in r.output


def _edition_in(wh, version: int, reason: str | None, files: dict) -> None:
    """An edition of the seed plan's 2024Q3 laid down through the room's store_edition (no bulletin built)."""
    from hvpatent.plan import load_plans
    from hvpatent.schedule.editions import store_edition

    span = bulletin_period("quarter", "2024Q3")
    store_edition(wh.con, f"{PLAN}/quarter/2024Q3/v{version}", load_plans().default, span, version, date(2024, 10, 8),
                  "admin", {"imports": 0}, {}, [], reason, files)


def test_a_reason_cannot_stand_in_for_the_audited_hashes(issued, tmp_path):
    # The audit line is "ID (reason) sha256 fmt=…": a reason typed with a forged "sha256 docx=…" must not be read as
    # the hashes recorded at issue (the real ones end the line).
    from hvpatent.warehouse.store import Warehouse

    copy = tmp_path / "copy.duckdb"
    shutil.copy(issued["db"], copy)
    forged = "sha256 docx=" + "0" * 64
    with Warehouse(copy) as wh:
        _edition_in(wh, 1, f"更正 {forged}", {"docx": ("a.docx", b"PK-real")})
        rows = {r["edition_id"]: r for r in verify_editions(wh.con)}
    row = rows[f"{PLAN}/quarter/2024Q3/v1"]
    assert row["ok"] and row["audited"] == hashlib.sha256(b"PK-real").hexdigest()


def test_verify_flags_a_deleted_file_row_and_an_edition_without_files(issued, tmp_path):
    from hvpatent.warehouse.store import Warehouse

    copy = tmp_path / "copy.duckdb"
    shutil.copy(issued["db"], copy)
    with Warehouse(copy) as wh:
        wh.con.execute("DELETE FROM bulletin_edition_files WHERE edition_id = ?", [f"{Q3}/v2"])
        _edition_in(wh, 1, None, {})  # an edition row whose files never were (no audited hash either)
        rows = verify_editions(wh.con)
    bad = {(r["edition_id"], r["format"], r["missing"]) for r in rows if not r["ok"]}
    assert bad == {(f"{PLAN}/quarter/2024Q3/v1", None, True), (f"{Q3}/v2", "docx", True)}
    assert [r["edition_id"] for r in rows if r["ok"]] == [f"{Q3}/v1"]
    r = cli(["schedule", "verify", "--db", str(copy)], lang="en")
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert f"file missing: {Q3}/v2 docx (recorded at issue, now gone)" in r.output
    assert f"files missing: {PLAN}/quarter/2024Q3/v1 has no file" in r.output


# -- command line --------------------------------------------------------------------------------------------------

def cli(args: list[str], lang: str = "zh"):
    from typer.testing import CliRunner

    from hvpatent.cli.main import app

    return CliRunner().invoke(app, ["--lang", lang, *args])


def test_cli_dry_run_and_nothing_due(issued, config_dir):
    db = str(issued["db"])
    r = cli(["schedule", "run", "--today", "2024-10-08", "--dry-run", "--db", db], lang="en")
    assert r.exit_code == 0, r.output
    # the shipped settings name no plan: the default (seed) plan, whose editions are not issued here (SMALL's are)
    assert r.output.strip().split("\n") == [f"due {PLAN}/month/2024-09: since 2024-10-08",
                                            f"due {PLAN}/quarter/2024Q3: since 2024-10-08"]
    r = cli(["schedule", "run", "--today", "2024-10-07", "--dry-run", "--db", db])
    assert r.exit_code == 0 and f"到期 {PLAN}/month/2024-08：2024-09-02 起" in r.output


def test_cli_list_show_get(issued, config_dir, tmp_path):
    db = str(issued["db"])
    r = cli(["schedule", "list", "--db", db], lang="en")
    assert r.exit_code == 0
    assert [line.split()[0] for line in r.output.strip().split("\n")] == [f"{Q3}/v2", f"{Q3}/v1"]
    assert "2024-10-15 late" in r.output and r.output.count(" late") == 1
    r = cli(["schedule", "show", f"{Q3}/v2", "--db", db], lang="en")
    assert r.exit_code == 0 and "reason: 补录商标数据" in r.output and "(imports): 2 → 3" in r.output
    out = tmp_path / "v1.docx"
    r = cli(["schedule", "get", f"{Q3}/v1", "--format", "docx", "--out", str(out), "--db", db])
    assert r.exit_code == 0 and out.read_bytes() == issued["v1_bytes"]
    r = cli(["schedule", "verify", "--db", db], lang="en")
    assert r.exit_code == 0 and "checked 2 files, 0 changed" in r.output


@pytest.mark.parametrize(("args", "message"), [
    (["schedule", "show", f"{Q3}/v7"], "no such edition"),
    (["schedule", "get", f"{Q3}/v1", "--format", "pdf"], "no pdf file"),
    (["schedule", "reissue", "nope", "quarter", "2024Q3", "--reason", "x"], "no such plan"),
    (["schedule", "reissue", PLAN, "quarter", "2024Q5", "--reason", "x"], "bad period"),
    (["schedule", "reissue", PLAN, "quarter", "2024Q1", "--reason", "x", "--today", "2024-10-15"], "not issued yet"),
    (["schedule", "run", "--today", "2024-13-01"], "expected a day"),
    (["schedule", "run", "--today", "2199-01-01"], "cannot be after today"),
    (["schedule", "reissue", SMALL, "quarter", "2024Q3", "--reason", "x", "--today", "2199-01-01"],
     "cannot be after today"),
])
def test_cli_refusals_exit_2_without_traceback(issued, config_dir, args, message):
    r = cli([*args, "--db", str(issued["db"])], lang="en")
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output, r.output


def test_cli_messages_in_one_language(issued, config_dir):
    # The room's "中文 / English" refusals print the user's language's half only.
    db = str(issued["db"])
    r = cli(["schedule", "show", f"{Q3}/v7", "--db", db])
    assert r.exit_code == 2 and "没有这个通报版本" in r.output and "no such edition" not in r.output
    r = cli(["schedule", "reissue", "nope", "quarter", "2024Q3", "--reason", "x", "--db", db], lang="en")
    assert r.exit_code == 2 and "no such plan" in r.output and "nope" in r.output and "没有这个方案" not in r.output


@pytest.mark.parametrize(("message", "zh", "en"), [
    ("没有这个通报版本 / no such edition: x", "没有这个通报版本", "no such edition: x"),
    # what stands before the Chinese words (a file and a key) stays in the English half
    ("/c/schedule.yaml: formats[0]: 应为 docx 之一 / expected one of docx: 'doc'",
     "/c/schedule.yaml: formats[0]: 应为 docx 之一", "/c/schedule.yaml: formats[0]: expected one of docx: 'doc'"),
    # ... unless the English half starts with it already
    ("2024Q3 不在方案 p 的期限内 / 2024Q3 lies outside plan p's span", "2024Q3 不在方案 p 的期限内",
     "2024Q3 lies outside plan p's span"),
    ("p 2024Q3：数据一直在变 / the data kept changing", "p 2024Q3：数据一直在变", "p 2024Q3: the data kept changing"),
    ("plain text", "plain text", "plain text"),
])
def test_fail_message_prints_one_half(monkeypatch, message, zh, en):
    from hvpatent.cli import common

    printed = []
    monkeypatch.setattr(common, "fail", lambda a, b, code=2: printed.append((a, b)) or code)
    assert common.fail_message(EditionError(message)) == 2 and printed == [(zh, en)]


def test_cli_as_of_defaults_to_beijings_today(monkeypatch):
    # 23:30 UTC on 2024-09-30 is 07:30 on 2024-10-01 in Beijing: a cron `hvp tasks remind` then is on 10-01.
    from datetime import UTC, datetime

    import hvpatent.reference.clock as clock
    from hvpatent.cli.common import parse_as_of

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2024, 9, 30, 23, 30, tzinfo=UTC).astimezone(tz)

    monkeypatch.setattr(clock, "datetime", Frozen)
    assert parse_as_of(None) == date(2024, 10, 1)
    assert parse_as_of("2024-09-30") == date(2024, 9, 30)


def test_cli_notes_issue_days_in_years_of_unknown_holidays(issued, config_dir, monkeypatch):
    # 2024's arrangement is known; taken as unknown, `list` and `run --dry-run` say the days assume Monday to Friday.
    import hvpatent.reference.workdays as workdays

    db = str(issued["db"])
    assert "not known" not in cli(["schedule", "list", "--db", db], lang="en").output
    monkeypatch.setattr(workdays, "_package_knows", lambda year: year != 2024)
    r = cli(["schedule", "list", "--db", db], lang="en")
    assert r.exit_code == 0 and "note: the holiday arrangements of 2024 are not known" in r.output
    r = cli(["schedule", "run", "--today", "2024-10-08", "--dry-run", "--db", db])
    assert r.exit_code == 0 and "2024 年的节假日安排尚未公布" in r.output


def test_cli_timer_prints_units_and_crontab(tmp_path):
    db = tmp_path / "w.duckdb"
    r = cli(["--db", str(db), "schedule", "timer"], lang="en")
    assert r.exit_code == 0
    assert "OnCalendar=*-*-* 07:30:00" in r.output and "Persistent=true" in r.output
    assert re.search(rf"ExecStart=\S*hvp --db {re.escape(str(db))} schedule run", r.output)
    assert re.search(rf"^30 7 \* \* \* \S*hvp --db {re.escape(str(db))} schedule run", r.output, re.M)


def test_json_columns_round_trip(issued):
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(issued["db"], read_only=True) as wh:
        stamp, figures = wh.con.execute("SELECT data_stamp, figures FROM bulletin_editions WHERE version = 2"
                                        ).fetchone()
    assert json.loads(stamp)["imports"] == 3 and json.loads(figures)["trademarks"] == 15_500
