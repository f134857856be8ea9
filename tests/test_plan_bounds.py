"""Plan files and settings files are bounded (reference/safe_yaml.py, plan/model.py, plan/registry.py,
reference/settings.py): no YAML anchors or aliases (an alias bomb is refused, not expanded), capped tasks, targets,
units and spans, dates that give reporting periods, and no unit shared by plans of unrelated regions.  Each refusal
is a PlanError or SettingsError naming the file and the field, in Chinese and English."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
import yaml

from hvpatent.plan.model import MAX_PLAN_BYTES, PlanError, load_plan, parse_plan
from hvpatent.plan.registry import load_plans, same_bodies
from hvpatent.reference.safe_yaml import MAX_DEPTH, YamlRefused, safe_load
from hvpatent.reference.settings import SettingsError, overlay, read_settings


@pytest.fixture(autouse=True)
def no_user_plans(monkeypatch, tmp_path_factory):
    """The user's own plan folder (the config folder's plans/) is not this test's."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))


def plan_data(key: str = "bounds", region: str = "500118", units: tuple[str, ...] = ("甲区科技局",),
              cooperating: tuple[str, ...] = (), tasks: int = 1, **head) -> dict:
    """A small valid plan: ``tasks`` tasks, each with ``units`` responsible and ``cooperating`` cooperating."""
    return {
        "plan": {"key": key, "name": "测试方案", "issued": date(2022, 1, 1), "region": region,
                 "baseline_date": date(2021, 12, 31), "deadline": date(2024, 12, 31), **head},
        "targets": [],
        "tasks": [{"number": n, "group": "一", "title": f"任务{n}", "responsible": list(units),
                   "cooperating": list(cooperating)} for n in range(1, tasks + 1)],
    }


def write(folder: Path, name: str, data: dict) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert "&" not in path.read_text(encoding="utf-8")  # safe_dump shares repeated objects with anchors
    return path


def refused(data: dict, *words: str) -> str:
    with pytest.raises(PlanError) as err:
        parse_plan(data, "p.yaml")
    message = str(err.value)
    assert message.startswith("p.yaml") and " / " in message, message   # the file, Chinese / English
    for word in words:
        assert word in message, message
    return message


# -- YAML: anchors, aliases, depth, size ------------------------------------------------------------------

def test_an_alias_bomb_plan_is_refused_quickly_without_expanding(tmp_path):
    """A.1's file in small: one anchored list of 2,000 units named by 400 tasks (800,000 pairs once expanded)."""
    units = ", ".join(f"单位{i}" for i in range(2000))
    tasks = "\n".join(f"  - {{number: {n}, group: 一, title: t, responsible: *L}}" for n in range(2, 402))
    text = (f"plan: {{name: x, issued: 2022-01-01, region: '500118', baseline_date: 2021-12-31,"
            f" deadline: 2024-12-31}}\ntasks:\n  - {{number: 1, group: 一, title: t, responsible: &L [{units}]}}\n"
            f"{tasks}\n")
    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(PlanError, match=r"bomb\.yaml.*第 3 行 / line 3.*anchors and aliases"):
        load_plan(path)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("text", ["a: &x 1\nb: 2\n", "a: 1\nb: *x\n"])
def test_an_anchor_alone_or_an_alias_alone_is_refused(text):
    with pytest.raises(YamlRefused, match="锚点与别名"):
        safe_load(text)


def test_nesting_is_capped_at_max_depth():
    def nested(depth: int) -> str:
        return "[" * (depth - 1) + "1" + "]" * (depth - 1)   # depth - 1 sequences around a scalar: depth nodes

    assert safe_load(nested(MAX_DEPTH)) is not None
    with pytest.raises(YamlRefused, match=f"nested deeper than {MAX_DEPTH}"):
        safe_load(nested(MAX_DEPTH + 1))


def test_text_over_the_cap_is_refused_and_at_the_cap_read():
    assert safe_load("#" * 99, max_bytes=100) is None
    assert safe_load("#" * 100, max_bytes=100) is None
    with pytest.raises(YamlRefused, match="over 100 bytes"):
        safe_load("#" * 101, max_bytes=100)
    with pytest.raises(YamlRefused):                   # bytes, not characters: 34 three-byte characters
        safe_load("#" + "字" * 33, max_bytes=99)


def test_safe_load_reads_what_safe_load_reads_and_no_python_tags():
    text = "plan: {issued: 2022-01-01, region: '500118'}\nlist: [1, 2.5, true, null]\n"
    assert safe_load(text) == yaml.safe_load(text)
    with pytest.raises(yaml.YAMLError):
        safe_load("a: !!python/object/apply:os.getcwd []\n")


@pytest.mark.parametrize(("text", "expected"), [
    ("plan: {issued: 2024-13-01}\n", "a value YAML cannot read"),      # YAML's own ValueError
    ("plan: [unclosed\n", "not valid YAML"),
])
def test_unreadable_yaml_values_are_a_plan_error_naming_the_file(tmp_path, text, expected):
    path = tmp_path / "odd.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError, match=rf"odd\.yaml.*{expected}"):
        load_plan(path)


def test_the_plan_file_size_cap_is_unchanged(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("#" * (MAX_PLAN_BYTES + 1), encoding="utf-8")
    with pytest.raises(PlanError, match="too large"):
        load_plan(path)


def test_the_shipped_plans_load_with_the_bounded_loader():
    plans = load_plans()
    assert len(plans) == 2 and plans.default.key == "yongchuan-2022-2024"


# -- caps on tasks, targets, units, titles --------------------------------------------------------------

def test_tasks_are_capped_at_200():
    assert len(parse_plan(plan_data(tasks=200), "p.yaml").tasks) == 200
    refused(plan_data(tasks=201), "p.yaml tasks", "more than 200 entries")


def test_targets_are_capped_at_100():
    def with_targets(n: int) -> dict:
        data = plan_data()
        data["targets"] = [{"key": f"t{i}", "name": "目标", "source": "entered", "target": 1, "unit": "件"}
                           for i in range(n)]
        return data

    assert len(parse_plan(with_targets(100), "p.yaml").targets) == 100
    refused(with_targets(101), "p.yaml targets", "more than 100 entries")


def test_a_task_names_at_most_50_units_responsible_and_cooperating_together():
    units = tuple(f"单位{i}" for i in range(50))
    assert len(parse_plan(plan_data(units=units[:30], cooperating=units[30:]), "p.yaml").units()) == 50
    refused(plan_data(units=units[:30], cooperating=(*units[30:], "单位50")), "tasks[0]", "more than 50 units")


def test_a_unit_name_is_1_to_60_characters():
    assert parse_plan(plan_data(units=("局" * 60,)), "p.yaml").units() == ("局" * 60,)
    refused(plan_data(units=("局" * 61,)), "tasks[0]", "1-60 characters")
    refused(plan_data(cooperating=(" ",)), "tasks[0]", "1-60 characters")


def test_a_unit_both_responsible_and_cooperating_in_one_task_is_refused():
    refused(plan_data(units=("甲区科技局",), cooperating=("甲区科技局",)), "tasks[0]", "甲区科技局", "named twice")
    refused(plan_data(units=("甲区科技局", "甲区科技局")), "named twice")


def test_titles_and_target_names_are_capped_at_200_characters():
    data = plan_data()
    data["tasks"][0]["title"] = "题" * 200
    assert parse_plan(data, "p.yaml").tasks[0].title == "题" * 200
    data["tasks"][0]["title"] = "题" * 201
    refused(data, "tasks[0]", "title must be 1-200")
    data = plan_data()
    data["targets"] = [{"key": "t", "name": "名" * 201, "source": "entered", "target": 1, "unit": "件"}]
    refused(data, "targets[0]", "name must be 1-200")


def test_sections_that_are_not_lists_are_refused():
    data = plan_data()
    data["tasks"] = {"number": 1}
    refused(data, "p.yaml tasks", "expected a list")
    refused({"plan": "x"}, "p.yaml plan", "expected a mapping")


# -- dates: start no later than end, years 1900-2200, spans up to 20 years --------------------------------

@pytest.mark.parametrize(("start", "end", "ok"), [
    (date(2024, 6, 30), date(2024, 6, 30), True),     # one day: one period
    (date(2024, 6, 30), date(2024, 6, 29), False),    # the day after the end
    (date(2024, 6, 29), date(2024, 6, 30), True),
])
def test_reporting_start_must_not_follow_its_end(start, end, ok):
    data = plan_data(reporting={"start": start, "end": end})
    if ok:
        assert parse_plan(data, "p.yaml").reporting.start == start
    else:
        refused(data, "p.yaml reporting.start", "reporting.start (2024-06-30) is after reporting.end (2024-06-29)")


def test_the_reporting_defaults_are_checked_too():
    """No reporting block: issued to deadline; an end before the issue day leaves no periods either."""
    refused(plan_data(reporting={"end": date(2021, 12, 31)}), "reporting.start (2022-01-01) is after reporting.end")
    refused(plan_data(reporting={"start": date(2025, 1, 1)}), "reporting.start (2025-01-01) is after")


@pytest.mark.parametrize(("deadline", "ok"), [(date(2021, 12, 31), False), (date(2022, 1, 1), True),
                                              (date(2022, 1, 2), True)])
def test_issued_must_not_follow_the_deadline(deadline, ok):
    data = plan_data(deadline=deadline)
    if ok:
        assert parse_plan(data, "p.yaml").deadline == deadline
    else:
        refused(data, "p.yaml issued", "issued (2022-01-01) is after deadline (2021-12-31)")


@pytest.mark.parametrize(("field", "day", "ok"), [
    ("baseline_date", date(1899, 12, 31), False), ("baseline_date", date(1900, 1, 1), True),
    ("deadline", date(2201, 1, 1), False),
])
def test_years_lie_in_1900_to_2200(field, day, ok):
    data = plan_data(**{field: day})
    if ok:
        assert getattr(parse_plan(data, "p.yaml"), field) == day
    else:
        refused(data, f"p.yaml {field}", "1900-2200", str(day))


def test_a_target_since_outside_the_years_is_refused():
    data = plan_data()
    data["targets"] = [{"key": "r", "name": "认定", "source": "recognitions", "kinds": ["ip_demonstration"],
                        "target": 1, "unit": "家", "since": date(1800, 1, 1)}]
    refused(data, "targets.r.since", "1900-2200")


def test_spans_over_20_years_are_refused():
    twenty = plan_data(issued=date(2004, 1, 1), baseline_date=date(2003, 12, 31), deadline=date(2024, 1, 1))
    assert parse_plan(twenty, "p.yaml").issued == date(2004, 1, 1)
    refused(plan_data(issued=date(2004, 1, 1), baseline_date=date(2003, 12, 31), deadline=date(2024, 1, 3)),
            "p.yaml issued", "more than 20 years")
    refused(plan_data(deadline=date(2042, 12, 31), reporting={"end": date(2042, 12, 31)}), "p.yaml issued")
    refused(plan_data(reporting={"start": date(2000, 1, 1)}), "p.yaml reporting.start", "more than 20 years")


def test_a_date_with_a_time_is_not_a_day():
    from datetime import datetime

    with pytest.raises(PlanError, match="issued 应为日期"):
        parse_plan(plan_data(issued=datetime(2022, 1, 1, 10, 0)), "p.yaml")


# -- one unit, one region ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b", "same"), [
    ("500118", "500118", True), ("500000", "500118", True), ("500118", "500000", True), ("500100", "500118", True),
    ("500118", "500117", False), ("500000", "510000", False), ("510100", "500118", False), ("甲", "甲", True),
    ("甲", "乙", False),
])
def test_same_bodies_within_one_region_or_a_region_inside_it(a, b, same):
    assert same_bodies(a, b) is same


def test_two_plans_of_unrelated_regions_naming_one_unit_are_refused(tmp_path):
    one = write(tmp_path, "one.yaml", plan_data("one", "500118", ("丙区科技局",)))
    two = write(tmp_path, "two.yaml", plan_data("two", "500117", ("丙区知识产权局",), cooperating=("丙区科技局",)))
    with pytest.raises(PlanError) as err:
        load_plans([one, two])
    assert all(w in str(err.value) for w in ("two.yaml", "one.yaml", "丙区科技局", "500117", "500118", " / "))


def test_the_same_region_or_a_region_inside_it_may_name_one_unit(tmp_path):
    one = write(tmp_path, "one.yaml", plan_data("one", "500118", ("丙区科技局",)))
    two = write(tmp_path, "two.yaml", plan_data("two", "500118", ("丙区科技局",)))
    city = write(tmp_path, "city.yaml", plan_data("city", "500000", ("丙区科技局",)))
    plans = load_plans([one, two, city])
    assert [p.key for p in plans.of_unit("丙区科技局")] == ["one", "two", "city"]


def test_every_earlier_plan_is_compared_not_only_the_first(tmp_path):
    """The city's plan and a district's may share a unit; a second district's may not, though the city's (the
    first to name it) is its own city's."""
    city = write(tmp_path, "city.yaml", plan_data("city", "500000", ("丙区科技局",)))
    one = write(tmp_path, "one.yaml", plan_data("one", "500118", ("丙区科技局",)))
    two = write(tmp_path, "two.yaml", plan_data("two", "500117", ("丙区科技局",)))
    with pytest.raises(PlanError, match=r"two\.yaml.*丙区科技局.*one\.yaml"):
        load_plans([city, one, two])


def test_a_user_plan_replacing_a_shipped_plan_is_checked_as_the_replacement(tmp_path):
    """A user's file under the seed plan's key replaces it: its units are checked, the shipped file's are not."""
    seed = load_plan()
    units = seed.units()[:1]
    mine = write(tmp_path, "mine.yaml", plan_data(seed.key, "440300", units))   # another region, the seed's key
    assert load_plans([mine]).get(seed.key).region == "440300"
    other = write(tmp_path, "other.yaml", plan_data("other", "500118", units))
    with pytest.raises(PlanError, match=rf"other\.yaml.*{units[0]}.*mine\.yaml"):
        load_plans([mine, other])


# -- settings files ---------------------------------------------------------------------------------------

def test_a_settings_file_with_aliases_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "tasks.yaml"
    path.write_text("timeliness:\n  late: &rows [[1, 90]]\nother: *rows\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"tasks\.yaml: \(file\): YAML 有误 / bad YAML: .*anchors and aliases"):
        read_settings(path)


@pytest.mark.parametrize("given", [[[1]], [1], [""], [None], [{"a": 1}]])
def test_an_empty_shipped_list_takes_only_names(given):
    with pytest.raises(SettingsError, match=r"my\.yaml: assessment\.lower_is_better\[0\]: 应为非空文本 / expected"):
        overlay({"assessment": {"lower_is_better": []}}, {"assessment": {"lower_is_better": given}}, "my.yaml")


def test_an_empty_shipped_list_takes_a_list_of_names():
    merged = overlay({"plans": []}, {"plans": ["a-plan", "b"]}, "my.yaml")
    assert merged == {"plans": ["a-plan", "b"]}


def test_the_tasks_settings_name_a_nested_list_item_not_a_traceback(tmp_path):
    """A.19's case end to end: `lower_is_better: [[1]]` in a user's tasks.yaml."""
    from hvpatent.tasks.config import ConfigError, load_config

    path = tmp_path / "tasks.yaml"
    path.write_text("assessment:\n  lower_is_better: [[1]]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"lower_is_better\[0\]"):
        load_config(path)
