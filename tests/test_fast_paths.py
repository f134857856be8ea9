"""The fast paths give the answers of the plain ones: legal states of many days prefetched in one query
(from the timelines and from the rules), and the dashboard's overview warmed in the background, dropped
and warmed again when an import changes the data."""

from __future__ import annotations

import json
from datetime import date

import pytest
from fastapi.encoders import jsonable_encoder

import world
from conftest import write_xlsx
from hvpatent.indicators import INDICATORS, Context, figures, refresh_derived, value
from hvpatent.legal import legal_state
from hvpatent.legal.timeline import TABLE, timeline_ready
from hvpatent.plan import load_plan, plan_progress
from hvpatent.reference.fees import default_rules
from hvpatent.warehouse.derived import forget
from hvpatent.warehouse.store import Warehouse
from hvpatent.web.analytics import Analytics
from test_import import good_rows, no

DAYS = [date(2019, 12, 31), date(2022, 6, 1), date(2023, 3, 1), date(2024, 3, 1), date(2024, 6, 30),
        date(2024, 12, 31)]


@pytest.fixture(scope="module", params=["rules", "timeline"])
def warehouse(request, tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("fast") / "world.duckdb")
    world.build(wh)
    refresh_derived(wh)
    if request.param == "rules":
        forget(wh.con, TABLE)  # figures computed from the events by the rules
    assert timeline_ready(wh.ibis(), default_rules()) == (request.param == "timeline")
    yield wh
    wh.close()


def _sorted(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: r["app_no"])


def test_prefetched_states_are_the_states_of_each_day(warehouse):
    con = warehouse.ibis()
    root = Context.create(con, DAYS[-1], "year", "500118")
    root.prefetch(DAYS)
    for day in DAYS:
        fast = _sorted(root.at(day, date(day.year, 1, 1)).states().to_pyarrow().to_pylist())
        plain = Context.create(con, day, "year", "500118")
        plain_rows = _sorted(plain.states().to_pyarrow().to_pylist())
        assert fast == plain_rows
        states = legal_state(con, day).to_pyarrow().to_pylist()
        assert {r["app_no"] for r in fast} <= {r["app_no"] for r in states}
        assert fast, day  # the district has applications on every day tested


@pytest.mark.parametrize("region", ["500118", None])
def test_prefetched_context_gives_every_indicator_of_per_day_contexts(warehouse, region):
    con = warehouse.ibis()
    root = Context.create(con, DAYS[-1], "year", region)
    root.prefetch(DAYS)
    for day in DAYS:
        start = date(day.year, 1, 1)
        fast, plain = root.at(day, start), Context.create(con, day, "year", region)
        for key in INDICATORS:
            assert value(fast, key) == value(plain, key), (day, key)


def test_plan_progress_trends_equal_the_values_of_each_day(warehouse):
    """plan_progress prefetches its days; each trend point is the value a context of that day gives."""
    plan = load_plan(None)
    as_of = date(2024, 12, 31)
    results = plan_progress(warehouse.ibis(), plan, as_of)
    by_key = {p.target.key: p for p in results}
    trend = by_key["valid_inventions_per_10k"].trend
    assert [d for d, _ in trend][-1] == as_of and len(trend) == 8
    for day, got in trend:
        assert got == value(Context.create(warehouse.ibis(), day, "year", plan.region), "valid_inventions_per_10k")


def _one_more_invention(tmp_path) -> bytes:
    """A CNIPA export with one new invention application of a Yongchuan enterprise, filed in 2024."""
    row = good_rows()[1].copy()
    row[0], row[1] = no("202410999991"), "2024-02-01"
    row[8] = row[9] = ""  # not granted: an application, not a patent
    return write_xlsx(tmp_path / "one.xlsx", [good_rows()[0], row]).read_bytes()


def test_warmed_overview_answers_as_uncached_and_is_dropped_on_import(tmp_path):
    wh = Warehouse(tmp_path / "world.duckdb")
    world.build(wh)
    refresh_derived(wh)
    day = date(2024, 12, 31)
    analytics = Analytics(wh)
    try:
        region = analytics.plan.region
        assert analytics.cached_questions() == []
        analytics.keep_warm(lambda: day)
        assert analytics.wait_warm(120)
        assert set(analytics.cached_questions()) == {("plan", day), ("figures", day, region, "year", None, ())}
        before = figures(wh.ibis(), day, region, "year")
        assert analytics.figures(day, region, "year", None, None) == before
        progress = analytics.plan_progress(day)
        assert [t["current"] for t in progress["targets"]] == [
            p.current for p in plan_progress(wh.ibis(), analytics.plan, day)]
        question = ("figures", day, region, "year", None, ())
        body = analytics.json_body(question, lambda: analytics.figures(day, region, "year", None, None))
        assert json.loads(body) == jsonable_encoder(before)
        assert ("json", *question) in analytics.cached_questions()

        job = analytics.submit_import("one.xlsx", _one_more_invention(tmp_path), False, "admin")
        assert analytics.jobs.wait(job["job_id"], 120)["status"] == "done"
        assert analytics.wait_warm(120)  # the import's refresh warmed the overview of the new data
        assert set(analytics.cached_questions()) == {("plan", day), ("figures", day, region, "year", None, ())}
        after = analytics.figures(day, region, "year", None, None)
        assert after == figures(wh.ibis(), day, region, "year")
        body = analytics.json_body(question, lambda: analytics.figures(day, region, "year", None, None))
        assert json.loads(body) == jsonable_encoder(after)  # encoded anew for the new data
        count = {r["key"]: r["value"] for r in after}["invention_applications"]
        assert count == {r["key"]: r["value"] for r in before}["invention_applications"] + 1
    finally:
        analytics.close()
        wh.close()
