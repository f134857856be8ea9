"""The action plan as data: loading plan files, target values from every source, and progress."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

import world
from hvpatent.indicators import Context
from hvpatent.plan import load_plan, plan_progress
from hvpatent.plan.model import PlanError, Target, parse_plan
from hvpatent.plan.progress import _status, quarter_ends, target_value

AS_OF = date(2024, 12, 31)


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    from hvpatent.model import Batch
    from hvpatent.warehouse.store import Warehouse

    wh = Warehouse(tmp_path_factory.mktemp("plan") / "plan.duckdb")
    world.build(wh)
    batch = Batch()
    batch.set("enterprises", [
        {"name": world.E1, "name_norm": world.E1, "tags": "知识产权示范企业；高新技术企业"},
        {"name": world.E2, "name_norm": world.E2, "tags": "贯标达标企业"},
        {"name": "重庆戊公司", "name_norm": "重庆戊公司", "tags": "知识产权优势企业"},
    ])
    with wh.import_transaction("enterprises", "enterprises", "test", "fixture") as tx:
        tx.add(batch, 3)
    yield wh
    wh.close()


def plan_data(**targets) -> dict:
    return {
        "plan": {"name": "测试方案", "issued": date(2023, 1, 1), "region": "500118",
                 "baseline_date": date(2022, 12, 31), "deadline": date(2025, 12, 31)},
        "targets": [{"key": k, "name": k, "unit": "件", **v} for k, v in targets.items()],
    }


def test_seed_plan_has_the_documents_targets_and_eleven_tasks():
    plan = load_plan()
    assert plan.document == "永川府办发〔2022〕103号" and plan.region == "500118"
    assert plan.deadline == date(2024, 12, 31)
    assert len(plan.tasks) == 11
    assert all(task.responsible for task in plan.tasks)
    per_10k = next(t for t in plan.targets if t.key == "valid_inventions_per_10k")
    assert (per_10k.target, per_10k.indicator) == (10.7, "valid_inventions_per_10k")
    assert all(t.why_entered for t in plan.targets if t.source != "indicator")


def test_another_regions_plan_file_loads(tmp_path: Path):
    path = tmp_path / "other.yaml"
    data = plan_data(valid={"source": "indicator", "indicator": "valid_inventions", "target": 100})
    data["plan"]["region"] = "500151"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    plan = load_plan(path)
    assert plan.region == "500151" and [t.key for t in plan.targets] == ["valid"]


@pytest.mark.parametrize(("target", "message"), [
    ({"source": "indicator", "indicator": "no_such_indicator", "target": 1}, "未知指标"),
    ({"source": "guess", "target": 1}, "source"),
    ({"source": "indicator", "indicator": "valid_inventions"}, "target"),
    ({"source": "tags", "target": 3}, "tags"),
])
def test_bad_plan_targets_are_named(target, message):
    with pytest.raises(PlanError, match=message) as err:
        parse_plan(plan_data(bad=target), "bad.yaml")
    assert "bad.yaml targets[0]" in str(err.value)


def test_missing_plan_dates_are_named():
    data = plan_data()
    del data["plan"]["deadline"]
    with pytest.raises(PlanError, match="deadline"):
        parse_plan(data, "p.yaml")


def test_quarter_ends_are_the_last_eight_before_the_date():
    ends = quarter_ends(date(2024, 11, 15))
    assert ends[0] == date(2022, 12, 31) and ends[-1] == date(2024, 9, 30) and len(ends) == 8


def _root(wh):
    return Context.create(wh.ibis(), AS_OF, "year", "500118")


def test_indicator_target_follows_the_indicator(wh):
    target = Target("valid", "valid", "indicator", "件", indicator="valid_inventions", target=5)
    assert target_value(_root(wh), target, AS_OF) == 4          # A1 A3 A5 A10
    assert target_value(_root(wh), target, date(2023, 12, 31)) == 3   # A1 A3 A5: A2 and A10 granted in 2024


def test_flow_targets_take_the_trailing_twelve_months(wh):
    target = Target("pledge", "pledge", "indicator", "万元", indicator="pledge_amount", direction="increase")
    assert target_value(_root(wh), target, date(2024, 2, 29)) == 1500.0  # P1 (2023-03-01), not P2
    assert target_value(_root(wh), target, date(2024, 6, 30)) == 800.0   # P2 only: P1 is > 12 months old


def test_tag_targets_count_tagged_enterprises_above_baseline(wh):
    target = Target("demo", "示范企业", "tags", "家", tags=("知识产权示范企业", "知识产权优势企业"),
                    baseline=1, target=8)
    assert target_value(_root(wh), target, AS_OF) == 1  # 2 tagged enterprises − 1 at baseline


def test_entered_values_take_the_latest_on_or_before_the_date(tmp_path):
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(tmp_path / "entered.duckdb") as wh:
        target = Target("nav", "导航项目", "entered", "个", target=1, why_entered="不在专利数据中")
        assert target_value(_root(wh), target, AS_OF) is None
        wh.set_plan_value("nav", date(2023, 6, 30), 1, "立项")
        wh.set_plan_value("nav", date(2024, 9, 30), 2, "验收")
        assert target_value(_root(wh), target, date(2023, 12, 31)) == 1
        assert target_value(_root(wh), target, AS_OF) == 2
        assert target_value(_root(wh), target, date(2023, 1, 1)) is None


def test_progress_statuses_and_reasons(wh):
    plan = parse_plan(plan_data(
        valid={"source": "indicator", "indicator": "valid_inventions", "target": 4},
        hv={"source": "indicator", "indicator": "high_value_inventions", "target": 50},
        nav={"source": "entered", "target": 1, "why_entered": "不在专利数据中"},
        demo={"source": "tags", "tags": ["贯标达标企业"], "target": 5},
    ), "t.yaml")
    progress = {p.target.key: p for p in plan_progress(wh.ibis(), plan, AS_OF)}
    assert (progress["valid"].current, progress["valid"].status, progress["valid"].gap) == (4, "achieved", 0)
    assert len(progress["valid"].trend) == 8 and progress["valid"].trend[-1] == (AS_OF, 4)
    assert progress["hv"].current == 3 and progress["hv"].status == "off_track"
    assert progress["nav"].status == "no_data" and progress["nav"].note == "不在专利数据中"
    assert progress["demo"].current == 1 and "标签" in progress["demo"].note  # tags have no history


@pytest.mark.parametrize(("current", "projection", "as_of", "expected"), [
    (10, 12, date(2024, 6, 30), "on_track"),
    (10, 11.0, date(2024, 6, 30), "at_risk"),       # 11 ≥ 90% of 12
    (10, 10.0, date(2024, 6, 30), "off_track"),
    (12, 12, date(2024, 6, 30), "achieved"),
    (10, 12, date(2025, 1, 1), "missed"),
    (None, None, date(2024, 6, 30), "no_data"),
])
def test_reach_statuses(current, projection, as_of, expected):
    target = Target("x", "x", "indicator", "件", indicator="valid_inventions", target=12)
    assert _status(target, as_of, date(2024, 12, 31), current, None, projection, 0.1) == expected


@pytest.mark.parametrize(("current", "baseline", "slope", "as_of", "expected"), [
    (5, 3, 0.2, date(2024, 6, 30), "on_track"),
    (5, 3, -0.2, date(2024, 6, 30), "at_risk"),
    (3, 3, 0.2, date(2024, 6, 30), "off_track"),
    (5, 3, -0.2, date(2024, 12, 31), "achieved"),
    (2, 3, 0.2, date(2024, 12, 31), "missed"),
])
def test_increase_statuses(current, baseline, slope, as_of, expected):
    target = Target("x", "x", "indicator", "件", indicator="valid_inventions", direction="increase")
    assert _status(target, as_of, date(2024, 12, 31), current, baseline, None, slope) == expected
