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
            if row.due > DAY:
                assert (row.status in ("pending", "on_time") and expected != "late") or row.status == "pending"
                continue
            assert row.status == expected, row
            if expected == "late":
                assert row.working_days_late == 3
            seen[row.status] += 1
    assert seen["on_time"] == done.counts["on_time"]
    assert seen["late"] == done.counts["late"] > 0
    assert seen["overdue"] == done.counts["missing"] > 0


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
