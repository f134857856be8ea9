"""The assessment sheet (tasks/assessment.py, docs/tasks.md "Assessment sheet"): hand-worked totals from hand-made
status rows and figures (weights 30/40/30), shared ranks, missing parts and the notes, the timeliness and indicator
scores at their boundaries; recording qualitative scores (refusals, audit, latest wins, as_of on the day before,
of and after).  One small warehouse for the module, its scores emptied per test."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from hvpatent.plan.model import Plan, Reporting, Task, load_plan
from hvpatent.tasks import ReportError, ReportStatus, TasksConfig
from hvpatent.tasks import assessment as A
from hvpatent.tasks.config import config_from
from hvpatent.tasks.periods import reporting_periods
from hvpatent.warehouse.store import Warehouse

PERIOD = "2024Q3"
DUE = date(2024, 10, 18)   # 10 working days after 2024-09-30: National Day 10-01..07 off, 10-12 (Sat) worked
UNITS = ("区科技局", "区经济信息委", "区发展改革委", "区知识产权局", "区财政局", "区商务委")
SCI, ECO, DEV, EDU, FIN, COM = UNITS


def config(**assessment) -> TasksConfig:
    """The shipped settings with ``assessment`` keys changed (as a user's tasks.yaml would)."""
    return config_from({"assessment": assessment} if assessment else {}, "test")


def task(n: int, responsible: tuple[str, ...], cooperating: tuple[str, ...] = (),
         indicators: tuple[str, ...] = ()) -> Task:
    return Task(n, "一", f"任务{n}", "", responsible, cooperating, indicators)


PLAN = Plan(key="test-plan", name="测试方案", name_en="Test plan", document="", issued=date(2024, 1, 1),
            region="500118", baseline_date=date(2023, 12, 31), deadline=date(2024, 12, 31),
            tasks=(task(1, (SCI,), (ECO,), ("valid_inventions", "invention_applications")),
                   task(2, (ECO,), (SCI,), ("invention_applications",)),
                   task(3, (DEV,)),
                   task(4, (EDU,), (), ("pledge_amount",)),
                   task(5, (FIN,)),
                   task(6, (SCI,)),
                   task(7, (COM,))))


def status(n: int, unit: str, state: str, late: int | None = None, role: str = "responsible") -> ReportStatus:
    return ReportStatus(PLAN.key, n, f"任务{n}", unit, role, PERIOD, DUE, state, None, None, None, late)


STATUSES = [status(1, SCI, "on_time"), status(1, ECO, "optional", role="cooperating"),
            status(2, ECO, "late", 3), status(2, SCI, "optional", role="cooperating"),
            status(3, DEV, "overdue", 5), status(4, EDU, "late", 7), status(5, FIN, "on_time"),
            status(6, SCI, "pending"), status(7, COM, "pending"),
            replace(status(1, SCI, "overdue", 40), period="2024Q2")]   # another period: not this sheet's
FIGURES = {1: [{"key": "valid_inventions", "name": "有效发明专利", "direction": "up"},
               {"key": "invention_applications", "name": "发明专利申请量", "direction": "flat"},
               {"target_key": "industry_inventions", "name": "产业发明", "current": 1, "target": 2}],
           2: [{"key": "invention_applications", "name": "发明专利申请量", "direction": "flat"}],
           4: [{"key": "pledge_amount", "name": "质押金额", "direction": "down"}]}
SCORES = {(SCI, PERIOD): {"score": 90.0}, (DEV, PERIOD): {"score": 50.0}, (FIN, PERIOD): {"score": 20.0},
          (ECO, "2024Q2"): {"score": 100.0}}


def sheet(**assessment) -> dict[str, A.AssessmentRow]:
    rows = A.score_units(PLAN, PERIOD, STATUSES, FIGURES, SCORES, config(**assessment))
    return {r.unit: r for r in rows}


# -- the arithmetic -------------------------------------------------------------------------------------------------

def test_a_unit_with_every_part_weighs_them_30_40_30() -> None:
    row = sheet()[SCI]
    # on time 100 (task 6 pending: not counted); indicators up 100 + flat 60 = 80; qualitative 90
    assert (row.timeliness, row.indicators, row.qualitative) == (100.0, 80.0, 90.0)
    assert row.total == 89.0          # 0.3*100 + 0.4*80 + 0.3*90
    assert row.notes == []
    assert [d["task_number"] for d in row.details] == [1, 6]   # not task 2, where it only cooperates
    first = row.details[0]
    assert (first["status"], first["timeliness"]) == ("on_time", 100.0)
    assert first["indicators"] == [
        {"key": "valid_inventions", "name": "有效发明专利", "direction": "up", "score": 100.0},
        {"key": "invention_applications", "name": "发明专利申请量", "direction": "flat", "score": 60.0}]
    assert row.details[1]["status"] == "pending" and row.details[1]["timeliness"] is None


def test_a_missing_qualitative_score_shares_its_weight_and_says_so() -> None:
    row = sheet()[ECO]
    # late by 3 working days: 60; indicator flat: 60; its 2024Q2 score is another period's
    assert (row.timeliness, row.indicators, row.qualitative) == (60.0, 60.0, None)
    assert row.total == 60.0          # (30*60 + 40*60) / 70
    assert row.notes == ["缺少定性评价分，总分按报送及时性、指标进展 30:40 的权重计算 / no qualitative score: the "
                         "total weighs timeliness, indicator progress 30:40"]


def test_overdue_scores_missing_and_a_unit_without_indicators_weighs_the_rest() -> None:
    row = sheet()[DEV]
    assert (row.timeliness, row.indicators, row.qualitative) == (0.0, None, 50.0)
    assert row.total == 25.0          # (30*0 + 30*50) / 60
    assert "缺少指标进展" in row.notes[0] and "30:30" in row.notes[0]


def test_lower_is_better_flips_a_fall_into_progress() -> None:
    assert sheet()[EDU].indicators == 20.0                       # pledge_amount fell: down
    row = sheet(lower_is_better=["pledge_amount"])[EDU]
    assert row.indicators == 100.0 and row.details[0]["indicators"][0]["score"] == 100.0
    assert row.timeliness == 30.0     # late by 7 working days: beyond 5
    assert row.total == 70.0          # (30*30 + 40*100) / 70


def test_equal_totals_share_a_rank_and_the_next_rank_skips() -> None:
    rows = A.score_units(PLAN, PERIOD, STATUSES, FIGURES, SCORES, config(lower_is_better=["pledge_amount"]))
    # SCI 89; EDU 70; ECO 60 and FIN (30*100 + 30*20)/60 = 60; DEV 25; COM nothing to score
    assert [(r.unit, r.total, r.rank) for r in rows] == [
        (SCI, 89.0, 1), (EDU, 70.0, 2), (ECO, 60.0, 3), (FIN, 60.0, 3), (DEV, 25.0, 5), (COM, None, None)]
    assert rows[-1].notes == ["缺少报送及时性、指标进展、定性评价分，无法计算总分 / no timeliness, indicator "
                              "progress, qualitative score: no total"]


def test_under_report_by_all_a_cooperating_unit_is_assessed_on_the_task() -> None:
    plan = replace(PLAN, reporting=Reporting(report_by="all"))
    statuses = [status(1, SCI, "on_time"), status(1, ECO, "overdue", 9, role="cooperating"),
                status(2, ECO, "on_time")]
    rows = {r.unit: r for r in A.score_units(plan, PERIOD, statuses, FIGURES, {}, config())}
    assert rows[ECO].timeliness == 50.0      # (0 + 100) / 2
    assert [d["task_number"] for d in rows[ECO].details] == [1, 2]
    assert rows[ECO].indicators == 80.0      # valid_inventions up 100, invention_applications flat 60 (once)


def test_a_weight_of_zero_leaves_its_part_out_without_a_note() -> None:
    row = sheet(weights={"timeliness": 50, "indicators": 50, "qualitative": 0})[ECO]
    assert row.total == 60.0 and row.notes == []


@pytest.mark.parametrize(("days", "score"), [(4, 60.0), (5, 60.0), (6, 30.0)])
def test_late_scores_at_the_five_working_day_boundary(days: int, score: float) -> None:
    assert A.timeliness_score(status(1, SCI, "late", days), config()) == score


def test_timeliness_of_each_status() -> None:
    c = config()
    assert [A.timeliness_score(status(1, SCI, s, 0), c) for s in ("on_time", "overdue", "pending", "optional")] == [
        100.0, 0.0, None, None]


def test_an_indicator_without_a_direction_is_not_counted() -> None:
    assert A.indicator_score("valid_inventions", None, config()) is None
    figures = {**FIGURES, 1: [{"key": "valid_inventions", "name": "有效发明专利", "direction": None}]}
    row = {r.unit: r for r in A.score_units(PLAN, PERIOD, STATUSES, figures, SCORES, config())}[SCI]
    assert row.indicators is None and row.total == 95.0     # (30*100 + 30*90) / 60


# -- recording qualitative scores -----------------------------------------------------------------------------------

SEED = load_plan()
SEED_PERIODS = [f"{y}Q{q}" for y, q in [(2022, 4)] + [(y, q) for y in (2023, 2024) for q in (1, 2, 3, 4)]]


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory):
    warehouse = Warehouse(Path(tmp_path_factory.mktemp("assessment")) / "w.duckdb")
    yield warehouse
    warehouse.close()


@pytest.fixture
def db(wh: Warehouse) -> Warehouse:
    wh.con.execute("DELETE FROM unit_scores")
    wh.con.execute("DELETE FROM audit_log")
    return wh


def test_the_seed_plans_periods_are_its_quarters(db: Warehouse) -> None:
    assert [p.key for p in reporting_periods(SEED)] == SEED_PERIODS


def test_a_score_is_stored_audited_and_the_latest_counts(db: Warehouse) -> None:
    first = A.record_score(db.con, SEED, "区科技局", "2024Q3", 85, note=" 进展较好 ", by="li",
                           now=datetime(2024, 10, 23, 9))
    assert first["score"] == 85.0 and first["note"] == "进展较好"
    A.record_score(db.con, SEED, "区科技局", "2024Q3", "92.5", note=None, by="wang", now=datetime(2024, 10, 24, 9))
    A.record_score(db.con, SEED, "区科技局", "2024Q2", 70, note=None, by="li", now=datetime(2024, 7, 20, 9))
    latest = A.latest_scores(db.ibis(), SEED.key, "2024Q3")
    assert list(latest) == [("区科技局", "2024Q3")]
    assert latest[("区科技局", "2024Q3")]["score"] == 92.5
    assert latest[("区科技局", "2024Q3")]["scored_by"] == "wang"
    assert len(A.latest_scores(db.ibis(), SEED.key)) == 2
    assert A.latest_scores(db.ibis(), "another-plan") == {}
    audit = db.con.execute("SELECT username, action, detail FROM audit_log ORDER BY logged_at").fetchall()
    assert audit[0] == ("li", "unit_score_recorded", "yongchuan-2022-2024/区科技局/2024Q3 85: 进展较好")
    assert len(audit) == 3


@pytest.mark.parametrize(("as_of", "score"), [(date(2024, 10, 23), 85.0), (date(2024, 10, 24), 60.0),
                                              (date(2024, 10, 25), 60.0)])
def test_scores_known_on_a_day(db: Warehouse, as_of: date, score: float) -> None:
    A.record_score(db.con, SEED, "区知识产权局", "2024Q3", 85, note=None, by="li", now=datetime(2024, 10, 23, 17))
    A.record_score(db.con, SEED, "区知识产权局", "2024Q3", 60, note=None, by="li", now=datetime(2024, 10, 24, 8))
    assert A.latest_scores(db.ibis(), SEED.key, "2024Q3", as_of=as_of)[("区知识产权局", "2024Q3")]["score"] == score
    assert A.latest_scores(db.ibis(), SEED.key, "2024Q3", as_of=date(2024, 10, 22)) == {}


def test_two_scores_in_the_same_instant_are_both_kept(db: Warehouse) -> None:
    at = datetime(2024, 10, 23, 9)
    A.record_score(db.con, SEED, "区知识产权局", "2024Q3", 10, note=None, by="li", now=at)
    A.record_score(db.con, SEED, "区知识产权局", "2024Q3", 20, note=None, by="li", now=at)
    assert A.latest_scores(db.ibis(), SEED.key, "2024Q3")[("区知识产权局", "2024Q3")]["score"] == 20.0


@pytest.mark.parametrize(("unit", "period", "score", "by", "words"), [
    ("区科技局", "2024Q3", 100.01, "li", "0–100"),
    ("区科技局", "2024Q3", -1, "li", "0–100"),
    ("区科技局", "2024Q3", float("nan"), "li", "0–100"),
    ("区科技局", "2024Q3", "九十", "li", "0–100"),
    ("区科技局", "2024Q3", True, "li", "0–100"),
    ("某某局", "2024Q3", 90, "li", "没有单位"),
    ("区教委", "2024Q3", 90, "li", "not assessed"),   # cooperating only under report_by: responsible
    ("区科技局", "2025Q1", 90, "li", "不是《"),
    ("区科技局", "2024-09", 90, "li", "不是《"),
    ("区科技局", "2024Q3", 90, " ", "评分人"),
])
def test_a_bad_score_is_refused_in_both_languages_and_nothing_is_written(
        db: Warehouse, unit: str, period: str, score: object, by: str, words: str) -> None:
    with pytest.raises(ReportError) as err:
        A.record_score(db.con, SEED, unit, period, score, note=None, by=by)
    assert words in str(err.value) and " / " in str(err.value)
    assert db.con.execute("SELECT count(*) FROM unit_scores").fetchone()[0] == 0
    assert db.con.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 0


def test_the_bounds_themselves_are_accepted(db: Warehouse) -> None:
    A.record_score(db.con, SEED, "区科技局", "2024Q3", 0, note=None, by="li")
    A.record_score(db.con, SEED, "区知识产权局", "2024Q3", 100, note=None, by="li")
    assert {v["score"] for v in A.latest_scores(db.ibis(), SEED.key).values()} == {0.0, 100.0}


def test_a_backend_without_the_table_has_no_scores() -> None:
    import ibis

    assert A.latest_scores(ibis.duckdb.connect(), SEED.key) == {}


def test_a_cooperating_unit_is_scored_under_report_by_all(db: Warehouse) -> None:
    from dataclasses import replace

    every = replace(SEED, reporting=replace(SEED.reporting, report_by="all"))
    A.record_score(db.con, every, "区教委", "2024Q3", 80, note=None, by="li", now=datetime(2024, 10, 23, 9))
    assert A.latest_scores(db.ibis(), SEED.key, "2024Q3")[("区教委", "2024Q3")]["score"] == 80.0


def test_a_score_without_a_time_is_stamped_in_beijing_time(db: Warehouse, monkeypatch) -> None:
    import hvpatent.reference.clock as clock

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):   # 2024-10-23 23:30 UTC is 10-24 07:30 in Beijing
            instant = datetime(2024, 10, 23, 23, 30, tzinfo=UTC)
            return instant.astimezone(tz) if tz else instant.replace(tzinfo=None)

    monkeypatch.setattr(clock, "datetime", Frozen)
    assert A.record_score(db.con, SEED, "区科技局", "2024Q3", 80, note=None, by="li")["scored_at"] == datetime(
        2024, 10, 24, 7, 30)


@pytest.mark.parametrize(("now", "refused"), [
    (datetime(2024, 9, 30, 23, 59), True),     # the day before 2024Q4 begins
    (datetime(2024, 10, 1, 0, 0), False),      # its first day (National Day)
    (datetime(2024, 10, 2, 9, 0), False),
])
def test_a_period_not_yet_begun_cannot_be_scored(db: Warehouse, now: datetime, refused: bool) -> None:
    if refused:
        with pytest.raises(ReportError, match="2024Q4 截至 2024-09-30 尚未开始 / period 2024Q4 has not begun"):
            A.record_score(db.con, SEED, "区科技局", "2024Q4", 80, note=None, by="li", now=now)
        assert db.con.execute("SELECT count(*) FROM unit_scores").fetchone()[0] == 0
    else:
        assert A.record_score(db.con, SEED, "区科技局", "2024Q4", 80, note=None, by="li", now=now)["score"] == 80


@pytest.mark.parametrize(("as_of", "refused"), [(date(2024, 9, 30), True), (date(2024, 10, 1), False),
                                                (date(2024, 10, 2), False)])
def test_the_sheet_of_a_period_not_yet_begun_is_refused(db: Warehouse, as_of: date, refused: bool) -> None:
    tiny = replace(SEED, tasks=(Task(1, "一", "任务1", "", ("区科技局",), ()),))   # no linked indicator: quick
    if refused:
        with pytest.raises(ReportError, match="has not begun by 2024-09-30"):
            A.assessment_sheet(db.ibis(), tiny, "2024Q4", as_of, config())
    else:
        rows = A.assessment_sheet(db.ibis(), tiny, "2024Q4", as_of, config())
        assert [(r.unit, r.timeliness) for r in rows] == [("区科技局", None)]   # begun, not yet due


def test_a_scores_note_is_kept_on_one_line_without_control_characters(db: Warehouse) -> None:
    A.record_score(db.con, SEED, "区科技局", "2024Q3", 85, note=" 进展\r\n较好\x1b[31m\t！\x00 ", by="li",
                   now=datetime(2024, 10, 23, 9))
    assert db.con.execute("SELECT note FROM unit_scores").fetchone()[0] == "进展 较好[31m ！"
    detail = db.con.execute("SELECT detail FROM audit_log").fetchone()[0]
    assert detail == "yongchuan-2022-2024/区科技局/2024Q3 85: 进展 较好[31m ！"
    A.record_score(db.con, SEED, "区科技局", "2024Q3", 86, note="\x07\n ", by="li", now=datetime(2024, 10, 23, 10))
    assert db.con.execute("SELECT note FROM unit_scores WHERE score = 86").fetchone()[0] is None
