"""Reading a plan file (YAML): the seed plan ships with the package; a user may load another."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

import yaml

from hvpatent.indicators.measures import INDICATORS

SEED_PLAN = "yongchuan-2022-2024.yaml"
SOURCES = ("indicator", "tags", "entered")


@dataclass(frozen=True)
class Target:
    key: str
    name: str
    source: str                      # indicator | tags | entered
    unit: str
    clause: str = ""
    indicator: str | None = None
    target: float | None = None      # None with direction "increase"
    direction: str = "reach"         # reach | increase
    tags: tuple[str, ...] = ()
    baseline: float = 0.0
    why_entered: str = ""


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
