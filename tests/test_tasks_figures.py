"""A task's figures for a reporting period (tasks/figures.py) on the hand-built district (tests/world.py):
linked indicators at the period's end against the previous period's end, and linked targets' progress."""

from dataclasses import replace
from datetime import date

import pytest

import world
from hvpatent.plan.model import Reporting, Task, load_plan
from hvpatent.tasks.figures import direction, task_figures
from hvpatent.warehouse.store import Warehouse

TASK = Task(1, "组", "测试任务", "目标", ("区科技局",), (),
            indicators=("invention_applications", "valid_inventions", "invention_grants"),
            targets=("trademarks",))
PLAN = replace(load_plan(), tasks=(TASK,))          # region 500118, quarterly
MONTHLY = replace(PLAN, reporting=Reporting(cadence="month"))


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("world") / "world.duckdb")
    world.build(wh)
    yield wh.ibis()
    wh.close()


def _by_key(rows):
    return {r.get("key") or r["target_key"]: r for r in rows}


def test_first_quarter_2024_against_the_last_of_2023(con):
    found = task_figures(con, PLAN, 1, "2024Q1")
    assert [r["kind"] for r in found] == ["indicator"] * 3 + ["target"]
    rows = _by_key(found)
    # invention applications, a flow over the 12 months to the day: A6 (filed 2024-03-03) in 2023-04..2024-03;
    # none in 2023 (A7 is a utility model).
    apps = rows["invention_applications"]
    assert (apps["value"], apps["previous"], apps["change"], apps["direction"]) == (1, 0, 1, "up")
    assert (apps["as_of"], apps["previous_as_of"]) == (date(2024, 3, 31), date(2023, 12, 31))
    assert (apps["name"], apps["name_en"], apps["unit"]) == ("发明专利申请量", "invention applications", "件")
    assert apps["records_url"] == "/records/invention_applications?as_of=2024-03-31&region=500118"
    # valid inventions, a stock on the day: A1 A3 A5 at 2023-12-31; A2 granted 2024-02-01 (its first annuity,
    # due 03-01, still in the grace period at 03-31) makes 4.
    valid = rows["valid_inventions"]
    assert (valid["value"], valid["previous"], valid["direction"], valid["unit"]) == (4, 3, "up", "件")
    assert valid["indicator_kind"] == "stock"
    # trademarks target (16,500): the count of 2023-12-31 (15,000) is the latest on 2024-03-31
    target = rows["trademarks"]
    assert (target["kind"], target["current"], target["target"], target["unit"]) == ("target", 15000, 16500, "件")


def test_flat_and_achieved_in_the_last_quarter(con):
    rows = _by_key(task_figures(con, PLAN, 1, "2024Q4"))
    # A10 granted 2024-07-07, A2 out of its grace period on 2024-09-01: 4 at both quarter ends.
    assert (rows["valid_inventions"]["value"], rows["valid_inventions"]["direction"]) == (4, "flat")
    # A2 and A10 granted within both trailing windows (2023-10..2024-09 and 2024-01..2024-12)
    assert (rows["invention_grants"]["value"], rows["invention_grants"]["previous"]) == (2, 2)
    assert (rows["trademarks"]["current"], rows["trademarks"]["status"]) == (16600, "achieved")


def test_down_over_a_month(con):
    # September 2024: A2's grace period ended 2024-09-01: 5 valid inventions at 08-31 (A1 A2 A3 A5 A10), 4 at 09-30.
    rows = _by_key(task_figures(con, MONTHLY, 1, "2024-09"))
    valid = rows["valid_inventions"]
    assert (valid["value"], valid["previous"], valid["change"], valid["direction"]) == (4, 5, -1, "down")
    assert (valid["as_of"], valid["previous_as_of"]) == (date(2024, 9, 30), date(2024, 8, 31))


def test_bad_task_or_period(con):
    with pytest.raises(ValueError, match="no task 9"):
        task_figures(con, PLAN, 9, "2024Q1")
    with pytest.raises(ValueError, match="not a quarter"):
        task_figures(con, PLAN, 1, "2024-09")
    bare = replace(PLAN, tasks=(replace(TASK, indicators=(), targets=()),))
    assert task_figures(con, bare, 1, "2024Q1") == []


@pytest.mark.parametrize(("now", "before", "expected"), [
    (1.0, 0.0, "up"), (0.0, 1.0, "down"), (2.0, 2.0, "flat"), (1 + 1e-10, 1.0, "flat"), (1 + 1e-8, 1.0, "up"),
    (1.0, 1 + 1e-8, "down"), (None, 1.0, None), (1.0, None, None),
])
def test_direction(now, before, expected):
    assert direction(now, before) == expected


def test_a_linked_indicator_reads_as_the_plans_progress_reads_it(con):
    # the task's figure and the plan's progress page use one window (plan/progress.indicator_context): every
    # indicator a target of the seed plan reads gives the same value on the same day in both
    from hvpatent.plan.progress import plan_progress

    linked = {t.indicator: t.key for t in PLAN.targets if t.source == "indicator"}
    task = replace(TASK, indicators=tuple(linked), targets=())
    plan = replace(PLAN, tasks=(task,))
    for period, day in (("2024Q1", date(2024, 3, 31)), ("2024Q3", date(2024, 9, 30))):
        figures = {r["key"]: r["value"] for r in task_figures(con, plan, 1, period)}
        progress = {p.target.key: p.current for p in plan_progress(con, plan, day)}
        assert {k: figures[k] for k in linked} == {k: progress[key] for k, key in linked.items()}
        assert any(v is not None for v in figures.values())


def test_the_window_is_plan_progress_public_indicator_context(con):
    from hvpatent.indicators.compute import value
    from hvpatent.indicators.measures import Context
    from hvpatent.plan.progress import indicator_context

    root = Context.create(con, date(2024, 3, 31), "year", PLAN.region)
    rows = _by_key(task_figures(con, PLAN, 1, "2024Q1"))
    for key in TASK.indicators:   # a flow (12 months to the day) and stocks (on the day), as the figures read them
        assert rows[key]["value"] == value(indicator_context(root, key, date(2024, 3, 31)), key)
        assert rows[key]["previous"] == value(indicator_context(root, key, date(2023, 12, 31)), key)


@pytest.mark.parametrize(("as_of", "day", "before"), [
    (date(2024, 9, 29), date(2024, 9, 29), date(2024, 9, 29)),   # 2024Q4 still to come: both on that day
    (date(2024, 9, 30), date(2024, 9, 30), date(2024, 9, 30)),   # the previous period's end itself
    (date(2024, 10, 1), date(2024, 10, 1), date(2024, 9, 30)),   # begun: against the previous period's end
])
def test_a_period_still_to_come_never_compares_with_a_later_day(con, as_of, day, before):
    valid = _by_key(task_figures(con, PLAN, 1, "2024Q4", as_of))["valid_inventions"]
    assert (valid["as_of"], valid["previous_as_of"]) == (day, before)
    assert valid["previous_as_of"] <= valid["as_of"]
    if day == before:   # one day read twice: no change
        assert (valid["change"], valid["direction"]) == (0, "flat")
