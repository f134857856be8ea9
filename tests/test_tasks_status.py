"""Who has reported (tasks/status.py): on time on the due date, late the day after (at least one working day),
overdue only once the due date has passed, a cooperating unit optional under report_by: responsible and required
under all (required_units, the one rule), an amendment after the due date keeps the first version's timeliness;
working days counted once per due date and day; too many rows refused.  Due dates from the seed plan:
2024Q3 ends Mon 2024-09-30, National Day 10-01..07 off, Sat 10-12 worked, so its 10th working day is Fri 2024-10-18;
Sat 10-19 and Sun 10-20 are days off, Mon 10-21 the next working day."""

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import ibis
import pytest

from hvpatent.plan.model import Task, load_plan
from hvpatent.reference.workdays import working_days_between
from hvpatent.tasks import STATUS_WORDS as DOOR_WORDS
from hvpatent.tasks import required_units as DOOR_REQUIRED
from hvpatent.tasks import status as status_module
from hvpatent.tasks.reports import ReportError, file_report, filings
from hvpatent.tasks.status import STATUS_WORDS, STATUSES, overdue, report_status, required_units
from hvpatent.warehouse.store import Warehouse

PLAN = load_plan()
ALL = replace(PLAN, reporting=replace(PLAN.reporting, report_by="all"))
KEJI, JINGXIN = "区科技局", "区经济信息委"   # task 3: 区科技局 responsible, 区经济信息委 cooperating
DUE = date(2024, 10, 18)


@pytest.fixture
def wh(tmp_path: Path):
    with Warehouse(tmp_path / "t.duckdb") as w:
        yield w


def _file(wh, day: date, unit=KEJI, task=3, period="2024Q3", text="进展"):
    return file_report(wh.con, PLAN, task, unit, period, text=text, by="u",
                       now=datetime.combine(day, datetime.min.time()).replace(hour=17))


def _one(wh, as_of: date, unit=KEJI, task=3, period="2024Q3", plan=PLAN):
    rows = report_status(ibis.duckdb.from_connection(wh.con), plan, as_of, unit=unit, period=period)
    return next(r for r in rows if r.task_number == task)


def test_due_date_and_rows_of_the_seed_plan(wh):
    rows = report_status(ibis.duckdb.from_connection(wh.con), PLAN, date(2024, 10, 8))
    assert {r.period for r in rows} == {"2022Q4", "2023Q1", "2023Q2", "2023Q3", "2023Q4", "2024Q1", "2024Q2",
                                         "2024Q3", "2024Q4"}   # 2024Q4 has begun on 10-01
    assert {r.due for r in rows if r.period == "2024Q3"} == {DUE}
    assert all(r.status in STATUSES for r in rows)
    task3 = [(r.unit, r.role, r.required) for r in rows if r.period == "2024Q3" and r.task_number == 3]
    assert task3[0] == (KEJI, "responsible", True)
    assert (JINGXIN, "cooperating", False) in task3 and len(task3) == 6
    assert rows[0].period == "2022Q4" and rows[0].task_title == PLAN.task(1).title


@pytest.mark.parametrize(("filed", "status", "days"), [
    (date(2024, 10, 17), "on_time", 0),
    (DUE, "on_time", 0),
    (date(2024, 10, 19), "late", 1),    # a Saturday: read on Monday, one working day late
    (date(2024, 10, 21), "late", 1),
    (date(2024, 10, 22), "late", 2),
])
def test_timeliness_around_the_due_date(wh, filed, status, days):
    report = _file(wh, filed)
    row = _one(wh, date(2024, 11, 1))
    assert (row.status, row.working_days_late) == (status, days)
    assert (row.report_id, row.version, row.submitted_at) == (report["report_id"], 1, report["submitted_at"])
    assert row.first_submitted_at == datetime.combine(filed, datetime.min.time()).replace(hour=17)


@pytest.mark.parametrize(("as_of", "status", "days"), [
    (date(2024, 10, 17), "pending", None),
    (DUE, "pending", None),
    (date(2024, 10, 19), "overdue", 1),   # past the due date on a day off: overdue by 1, as a report filed then
    (date(2024, 10, 21), "overdue", 1),
    (date(2024, 10, 25), "overdue", 5),
])
def test_overdue_only_after_the_due_date(wh, as_of, status, days):
    row = _one(wh, as_of)
    assert (row.status, row.working_days_late, row.report_id) == (status, days, None)
    listed = overdue(ibis.duckdb.from_connection(wh.con), PLAN, as_of, unit=KEJI)
    assert any(r.task_number == 3 and r.period == "2024Q3" for r in listed) == (status == "overdue")


def test_an_amendment_after_the_due_date_keeps_on_time(wh):
    _file(wh, DUE)
    second = _file(wh, date(2024, 11, 5), text="修订")
    row = _one(wh, date(2024, 11, 6))
    assert (row.status, row.working_days_late, row.version, row.report_id) == ("on_time", 0, 2, second["report_id"])
    # the filing day is the first version's (the one that decided on time), the latest amendment's kept apart
    assert (row.first_submitted_at, row.submitted_at) == (datetime(2024, 10, 18, 17), datetime(2024, 11, 5, 17))
    assert _one(wh, date(2024, 10, 25), task=2).first_submitted_at is None    # not filed


def test_only_versions_filed_by_as_of_count(wh):
    first = _file(wh, date(2024, 10, 10))
    _file(wh, date(2024, 10, 30), text="修订")
    assert _one(wh, date(2024, 10, 20)).report_id == first["report_id"]
    _file(wh, date(2024, 10, 22), unit=KEJI, task=2)
    assert _one(wh, date(2024, 10, 21), task=2).status == "overdue"      # filed the day after as_of
    assert _one(wh, date(2024, 10, 22), task=2).status == "late"


def test_cooperating_unit_optional_under_responsible_required_under_all(wh):
    for as_of in (date(2024, 10, 10), date(2024, 12, 1)):
        row = _one(wh, as_of, unit=JINGXIN)
        assert (row.role, row.status, row.required) == ("cooperating", "optional", False)
    assert _one(wh, date(2024, 10, 10), unit=JINGXIN, plan=ALL).status == "pending"
    row = _one(wh, date(2024, 10, 21), unit=JINGXIN, plan=ALL)
    assert (row.status, row.required, row.working_days_late) == ("overdue", True, 1)
    late = {(r.task_number, r.role) for r in overdue(ibis.duckdb.from_connection(wh.con), PLAN, date(2024, 12, 1))
            if r.unit == JINGXIN}
    assert (1, "responsible") in late and not any(role == "cooperating" for _, role in late)
    _file(wh, date(2024, 10, 21), unit=JINGXIN)                 # a cooperating unit's report is still timed
    assert _one(wh, date(2024, 10, 22), unit=JINGXIN).status == "late"


def test_period_filter(wh):
    con = ibis.duckdb.from_connection(wh.con)
    assert {r.period for r in report_status(con, PLAN, date(2024, 12, 1), period="2024q2")} == {"2024Q2"}
    assert report_status(con, PLAN, date(2024, 9, 30), period="2024Q4") == []     # not begun
    with pytest.raises(ValueError, match="not a quarter"):
        report_status(con, PLAN, date(2024, 12, 1), period="2024-09")


def test_status_words_one_wording_for_every_status():
    assert DOOR_WORDS is STATUS_WORDS and set(STATUS_WORDS) == set(STATUSES)
    assert STATUS_WORDS["pending"] == ("未到期", "not yet due") and STATUS_WORDS["overdue"] == ("逾期未报", "overdue")
    assert all(zh and en and zh != en for zh, en in STATUS_WORDS.values())


def test_filings_carry_the_times_not_the_text(wh):
    _file(wh, date(2024, 10, 10), text="很长的正文" * 100)
    _file(wh, date(2024, 10, 30), text="修订")
    _file(wh, date(2024, 10, 11), unit=JINGXIN, task=1)
    con = ibis.duckdb.from_connection(wh.con)
    rows = filings(con, PLAN.key, KEJI)
    assert [(r["task_number"], r["version"], r["submitted_at"].date()) for r in rows] == [
        (3, 1, date(2024, 10, 10)), (3, 2, date(2024, 10, 30))]
    assert set(rows[0]) == {"task_number", "unit", "period", "version", "submitted_at", "report_id"}
    assert len(filings(con, PLAN.key)) == 3 and filings(con, "another-plan") == []


def test_required_units_is_the_one_rule_of_who_must_report(wh):
    task3 = PLAN.task(3)
    assert KEJI in required_units(PLAN, task3) and JINGXIN not in required_units(PLAN, task3)
    assert required_units(ALL, task3)[:len(task3.responsible)] == task3.responsible
    assert JINGXIN in required_units(ALL, task3)
    both = replace(task3, responsible=(KEJI,), cooperating=(JINGXIN, KEJI))    # named twice: counted once
    assert required_units(ALL, both) == (KEJI, JINGXIN) and required_units(PLAN, both) == (KEJI,)
    assert DOOR_REQUIRED is required_units
    con = ibis.duckdb.from_connection(wh.con)
    for plan in (PLAN, ALL):   # every status row's `required` is the rule's answer
        rows = report_status(con, plan, date(2024, 10, 8), period="2024Q3")
        assert all(r.required == (r.unit in required_units(plan, plan.task(r.task_number))) for r in rows)
        assert {r.required for r in rows} == ({True, False} if plan is PLAN else {True})


def test_working_days_are_counted_once_per_due_date_and_day(wh, monkeypatch):
    calls = []

    def counted(start, end):
        calls.append((start, end))
        return working_days_between(start, end)

    monkeypatch.setattr(status_module, "working_days_between", counted)
    _file(wh, date(2024, 10, 22))                               # two reports filed late on the same day
    _file(wh, date(2024, 10, 22), unit=JINGXIN, task=1)
    rows = report_status(ibis.duckdb.from_connection(wh.con), PLAN, date(2024, 12, 2))
    # overdue: 8 periods due by then (2022Q4 .. 2024Q3; 2024Q4 is due in 2025), one count each however many rows;
    # late: one count for the day both reports came
    assert sum(r.status == "overdue" for r in rows) > 8
    assert len({r.due for r in rows if r.status == "overdue"}) == 8
    assert sorted(calls) == sorted({(r.due, date(2024, 12, 2)) for r in rows if r.status == "overdue"}
                                   | {(DUE, date(2024, 10, 22))})
    late = [r for r in rows if r.status == "late"]
    assert [(r.task_number, r.working_days_late) for r in late] == [(1, 2), (3, 2)]   # 10-21 (Mon) and 10-22


def test_too_many_status_rows_are_refused_in_both_languages(wh, monkeypatch):
    con = ibis.duckdb.from_connection(wh.con)
    count = len(report_status(con, ALL, date(2024, 10, 8), period="2024Q3"))
    monkeypatch.setattr(status_module, "MAX_STATUS_ROWS", count)          # the cap itself is allowed
    assert len(report_status(con, ALL, date(2024, 10, 8), period="2024Q3")) == count
    monkeypatch.setattr(status_module, "MAX_STATUS_ROWS", count - 1)      # one row over it is not
    with pytest.raises(ReportError, match=f"{count} 行，超过上限 {count - 1} 行.* / .*ask for one unit"):
        report_status(con, ALL, date(2024, 10, 8), period="2024Q3")
    assert report_status(con, ALL, date(2024, 10, 8), period="2024Q3", unit=KEJI)    # narrowed: within it


def test_a_plan_of_millions_of_rows_is_refused_before_the_warehouse_is_read():
    units = tuple(f"单位{i}" for i in range(50))
    tasks = tuple(Task(n, "组", f"任务{n}", "", units[:25], units[25:]) for n in range(1, 201))
    big = replace(ALL, tasks=tasks, reporting=replace(ALL.reporting, cadence="month"))
    # 200 tasks × 50 units × 27 months begun by 2024-12-01 (2022-10, which holds the start 2022-10-13, .. 2024-12)
    with pytest.raises(ReportError, match="270000 行"):
        report_status(None, big, date(2024, 12, 1))   # no warehouse needed to refuse it


def test_an_unknown_plan_key_is_echoed_clipped():
    from hvpatent.plan.model import PlanError
    from hvpatent.plan.registry import load_plans

    with pytest.raises(PlanError) as err:
        load_plans().get("x" * 100_000)
    assert repr("x" * 64) in str(err.value) and "x" * 65 not in str(err.value)
    assert "no such plan" in str(err.value) and len(str(err.value)) < 300
