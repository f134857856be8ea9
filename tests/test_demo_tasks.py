"""The demo's task reports (demo/tasks.py) on the tiny hand-built district: filed through the tasks room on the
days their fate gives, so that the bureau sees them on time, late and overdue as the fate says."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

DAY = date(2024, 6, 30)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    import world
    from hvpatent.demo.tasks import create_unit_accounts, seed_reports
    from hvpatent.plan.registry import shipped_plans
    from hvpatent.warehouse.store import Warehouse

    wh = Warehouse(Path(tmp_path_factory.mktemp("demo-tasks")) / "w.duckdb")
    world.build(wh)
    plans = shipped_plans()
    accounts = create_unit_accounts(wh.con, plans)
    done = seed_reports(wh.con, plans, DAY)
    yield wh, plans, accounts, done
    wh.close()


def test_filing_days_around_the_due_date_hand_worked():
    """Yongchuan reports quarterly, due the 10th working day after the quarter.  2024Q1: Qingming (4–6 April off,
    Sunday 7 April worked) puts the due date on 15 April; on time = 7th working day (10 April), late = 3 working
    days after the due date (18 April).  2024Q3: National Day (1–7 October off, Saturday 12 October worked) puts
    it on 18 October; on time 15 October, late 23 October."""
    from hvpatent.demo.tasks import filing_day
    from hvpatent.plan.registry import shipped_plans
    from hvpatent.tasks import due_date, parse_period

    seed = shipped_plans()[0]
    q1, q3 = parse_period("2024Q1"), parse_period("2024Q3")
    assert due_date(seed, q1) == date(2024, 4, 15) and due_date(seed, q3) == date(2024, 10, 18)
    assert (filing_day(seed, q1, "on_time"), filing_day(seed, q1, "late")) == (date(2024, 4, 10), date(2024, 4, 18))
    assert (filing_day(seed, q3, "on_time"), filing_day(seed, q3, "late")) == (date(2024, 10, 15), date(2024, 10, 23))


def test_fate_is_fixed_by_the_names_and_mostly_on_time():
    from hvpatent.demo.tasks import fate

    assert fate("p", 1, "u", "2024Q1") == fate("p", 1, "u", "2024Q1")
    drawn = Counter(fate("p", n, u, f"2023Q{q}") for n in range(1, 21) for u in "abcde" for q in range(1, 5))
    assert drawn["on_time"] > drawn["late"] > drawn["missing"] > 0


def test_unit_accounts_for_the_units_the_plans_name(seeded):
    from hvpatent.demo.tasks import create_unit_accounts
    from hvpatent.warehouse.accounts import get_user

    wh, plans, accounts, _ = seeded
    assert [(a[0], a[3]) for a in accounts] == [("demo-keji", "区科技局"), ("demo-ipo", "区知识产权局"),
                                                ("demo-city-ipo", "市知识产权局")]
    user = get_user(wh.con, "demo-keji")
    assert (user.role, user.unit) == ("unit", "区科技局")
    assert create_unit_accounts(wh.con, plans) == accounts       # a second demo keeps them
    assert create_unit_accounts(wh.con, plans[:1])[-1][0] == "demo-ipo"   # the city's unit only with the city's plan


def test_statuses_follow_the_fates(seeded):
    """Every required report of a period due by the demo's day is on time, late (3 working days) or overdue as its
    fate says; the quarter that ended on the day is pending or already filed on time."""
    from hvpatent.demo.tasks import fate
    from hvpatent.tasks import report_status

    wh, plans, _, done = seeded
    seen = Counter()
    for plan in plans:
        for row in report_status(wh.ibis(), plan, DAY):
            if row.role != "responsible":
                assert row.status == "optional"
                continue
            expected = {"missing": "overdue", "late": "late", "on_time": "on_time"}[
                fate(plan.key, row.task_number, row.unit, row.period)]
            if row.due > DAY:   # the quarter (half) ending on the day: its filing days all lie after it
                assert (row.status, row.submitted_at) == ("pending", None), row
                continue
            assert row.status == expected, row
            if expected == "late":
                assert row.working_days_late == 3
            seen[row.status] += 1
    assert seen["on_time"] == done.counts["on_time"]
    assert seen["late"] == done.counts["late"] > 0
    assert seen["overdue"] == done.counts["missing"] > 0


# Hand-worked rows (plan, period, task, unit) -> (status, due date, filing day, working days late).  Due dates:
# Yongchuan 10 working days after the quarter, the city 15 after the half; late = filed 3 working days after the
# due date, on time = the 7th working day after the period.
#   2023Q3: National Day 2023 (09-29..10-06 off, Sat 10-07 and Sun 10-08 worked): 10-07, 08, 09 … 13, 16, 17, 18.
#   2023Q4: 2024-01-01 off: 01-02 … 05, 08 … 12, 15 -> due 01-15; late 01-18.
#   2023H2 (city): 01-02 … 05 (4), 08 … 12 (9), 15 … 19 (14), 22 -> due 01-22; late 01-25.
#   2024Q1: Qingming (04-04..06 off, Sun 04-07 worked) -> due 04-15; on time 04-10.
#   2024Q2: 07-01 … 05, 08 … 12 -> due 07-12, after the demo's day: pending.
HAND_WORKED = {
    ("yongchuan-2022-2024", "2023Q3", 10, "区知识产权局"): ("overdue", date(2023, 10, 18), None, None),
    ("yongchuan-2022-2024", "2023Q4", 1, "区经济信息委"): ("late", date(2024, 1, 15), date(2024, 1, 18), 3),
    ("chongqing-2022-2024", "2023H2", 4, "市知识产权局"): ("late", date(2024, 1, 22), date(2024, 1, 25), 3),
    ("yongchuan-2022-2024", "2024Q1", 3, "区科技局"): ("on_time", date(2024, 4, 15), date(2024, 4, 10), 0),
    ("yongchuan-2022-2024", "2024Q2", 3, "区科技局"): ("pending", date(2024, 7, 12), None, None),
}


def test_hand_worked_rows(seeded):
    """A few rows pinned by hand (not re-derived from the fates): an overdue report across National Day 2023, two
    late ones (a quarter and the city's half), one on time across Qingming and one not yet due."""
    from hvpatent.tasks import report_status

    wh, plans, _, _ = seeded
    rows = {(p.key, r.period, r.task_number, r.unit): r for p in plans for r in report_status(wh.ibis(), p, DAY)}
    for key, (status, due, filed, late) in HAND_WORKED.items():
        row = rows[key]
        day = row.submitted_at.date() if row.submitted_at else None
        assert (row.status, row.due, day, row.working_days_late if filed else None) == (status, due, filed, late), key
    assert rows[("yongchuan-2022-2024", "2023Q3", 10, "区知识产权局")].working_days_late > 0


def test_some_reports_carry_the_png_and_scores_for_the_latest_period(seeded):
    from hvpatent.tasks import get_report, latest_scores, reports

    wh, plans, _, done = seeded
    filed = reports(wh.ibis())
    with_file = [r for r in filed if r.get("file_count", len(r.get("files", ()))) == 1]
    assert 0 < len(with_file) < len(filed)
    file = get_report(wh.ibis(), with_file[0]["report_id"])["files"][0]
    assert (file["file_name"], file["media_type"]) == ("进展图.png", "image/png")
    scores = latest_scores(wh.ibis(), "yongchuan-2022-2024", "2024Q1")
    assert len(scores) == len(plans[0].units()) - len({u for k in plans[0].tasks for u in k.cooperating}
                                                      - {u for k in plans[0].tasks for u in k.responsible})
    assert all(75 <= s["score"] <= 95 for s in scores.values())
    assert done.scores == len(scores) + len(latest_scores(wh.ibis(), "chongqing-2022-2024", "2023H2"))


def test_a_second_seeding_files_nothing(seeded):
    from hvpatent.demo.tasks import seed_reports
    from hvpatent.tasks import reports

    wh, plans, _, _ = seeded
    before = len(reports(wh.ibis(), latest_only=False))
    again = seed_reports(wh.con, plans, DAY)
    assert (sum(again.counts.values()), again.scores) == (0, 0)
    assert len(reports(wh.ibis(), latest_only=False)) == before
