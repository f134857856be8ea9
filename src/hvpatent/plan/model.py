"""Reading a plan file (YAML): the seed plan ships with the package; a user may load another."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from importlib import resources
from pathlib import Path

import yaml

from hvpatent.indicators.measures import INDICATORS
from hvpatent.model import RECOGNITION_KINDS, RECOGNITION_LEVELS

SEED_PLAN = "yongchuan-2022-2024.yaml"
SOURCES = ("indicator", "tags", "entered", "recognitions", "navigation_projects")
# navigation/projects.PROJECT_KINDS, repeated so that reading a plan does not load the navigation room
# (tests/test_navigation_projects.py checks they agree).
PROJECT_KINDS = ("enterprise", "industry", "region")


@dataclass(frozen=True)
class Target:
    key: str
    name: str
    source: str                      # indicator | tags | entered | recognitions | navigation_projects
    unit: str
    clause: str = ""
    indicator: str | None = None
    target: float | None = None      # None with direction "increase"
    direction: str = "reach"         # reach | increase
    tags: tuple[str, ...] = ()
    baseline: float = 0.0
    why_entered: str = ""
    kinds: tuple[str, ...] = ()      # recognitions: the kinds counted (model.RECOGNITION_KINDS); navigation_projects:
    #                                  the project kinds counted (PROJECT_KINDS; default enterprise)
    levels: tuple[str, ...] = ()     # recognitions: the levels counted (none given: every level)
    since: date | None = None        # recognitions, navigation_projects: new after this day (default: the
    #                                  plan's baseline date)


@dataclass(frozen=True)
class Task:
    number: int
    group: str
    title: str
    goal: str
    responsible: tuple[str, ...]
    cooperating: tuple[str, ...]
    indicators: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    name: str
    name_en: str
    document: str
    issued: date
    region: str
    baseline_date: date
    deadline: date
    targets: tuple[Target, ...] = field(default_factory=tuple)
    tasks: tuple[Task, ...] = field(default_factory=tuple)


class PlanError(ValueError):
    pass


def _target(raw: dict, where: str) -> Target:
    try:
        t = Target(
            key=str(raw["key"]), name=str(raw["name"]), source=str(raw["source"]), unit=str(raw.get("unit", "")),
            clause=str(raw.get("clause", "")), indicator=raw.get("indicator"),
            target=float(raw["target"]) if raw.get("target") is not None else None,
            direction=str(raw.get("direction", "reach")), tags=tuple(raw.get("tags") or ()),
            baseline=float(raw.get("baseline") or 0), why_entered=str(raw.get("why_entered", "")),
            kinds=tuple(raw.get("kinds") or ()), levels=tuple(raw.get("levels") or ()), since=raw.get("since"),
        )
    except KeyError as err:
        raise PlanError(f"{where}: 缺少字段 {err.args[0]}") from err
    if t.source not in SOURCES:
        raise PlanError(f"{where}: source 应为 {', '.join(SOURCES)}")
    if t.source == "indicator" and t.indicator not in INDICATORS:
        raise PlanError(f"{where}: 未知指标 {t.indicator}（可用：{', '.join(INDICATORS)}）")
    if t.direction not in ("reach", "increase") or (t.direction == "reach" and t.target is None):
        raise PlanError(f"{where}: 需要 target 数值，或 direction: increase")
    if t.source == "tags" and not t.tags:
        raise PlanError(f"{where}: source tags 需要 tags 列表")
    if t.source == "recognitions":
        if not t.kinds or not set(t.kinds) <= set(RECOGNITION_KINDS):
            raise PlanError(f"{where}: source recognitions 需要 kinds 列表（可用：{', '.join(RECOGNITION_KINDS)}）")
        if not set(t.levels) <= set(RECOGNITION_LEVELS):
            raise PlanError(f"{where}: levels 应为 {', '.join(RECOGNITION_LEVELS)}")
        if t.since is not None and not isinstance(t.since, date):
            raise PlanError(f"{where}: since 应为日期 YYYY-MM-DD（默认方案基期）")
    if t.source == "navigation_projects":
        if not set(t.kinds) <= set(PROJECT_KINDS):
            raise PlanError(f"{where}: kinds 应为 {', '.join(PROJECT_KINDS)}")
        if t.since is not None and not isinstance(t.since, date):
            raise PlanError(f"{where}: since 应为日期 YYYY-MM-DD（默认方案基期）")
        if not t.kinds:
            t = replace(t, kinds=("enterprise",))
    return t


def parse_plan(data: dict, name: str) -> Plan:
    head = data.get("plan") or {}
    try:
        plan = Plan(
            name=head["name"], name_en=head.get("name_en", head["name"]), document=head.get("document", ""),
            issued=head["issued"], region=str(head["region"]), baseline_date=head["baseline_date"],
            deadline=head["deadline"],
            targets=tuple(_target(t, f"{name} targets[{i}]") for i, t in enumerate(data.get("targets") or [])),
            tasks=tuple(Task(int(t["number"]), str(t["group"]), t["title"], t.get("goal", ""),
                             tuple(t.get("responsible") or ()), tuple(t.get("cooperating") or ()),
                             tuple(t.get("indicators") or ()))
                        for t in data.get("tasks") or []),
        )
    except KeyError as err:
        raise PlanError(f"{name}: 缺少字段 {err.args[0]}") from err
    for field_name in ("issued", "baseline_date", "deadline"):
        if not isinstance(getattr(plan, field_name), date):
            raise PlanError(f"{name}: {field_name} 应为日期 YYYY-MM-DD")
    return plan


def load_plan(path: Path | None = None) -> Plan:
    if path is None:
        text = resources.files(__package__).joinpath(SEED_PLAN).read_text(encoding="utf-8")
        return parse_plan(yaml.safe_load(text), SEED_PLAN)
    return parse_plan(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)
