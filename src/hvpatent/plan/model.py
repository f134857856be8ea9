"""Reading a plan file (YAML): the seed plan ships with the package; a user may load another."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from importlib import resources
from pathlib import Path

import yaml

from hvpatent.indicators.measures import INDICATORS
from hvpatent.model import RECOGNITION_KINDS, RECOGNITION_LEVELS
from hvpatent.reference.safe_yaml import YamlRefused, safe_load

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
    indicators: tuple[str, ...] = ()  # indicators.INDICATORS keys whose figures the task's reports show
    targets: tuple[str, ...] = ()     # the plan's target keys the task serves (shown with its reports)


CADENCES = ("month", "quarter", "half", "year")
REPORT_BY = ("responsible", "all")


@dataclass(frozen=True)
class Reporting:
    """How the plan's units report on their tasks (docs/tasks.md): every ``cadence`` period from the one holding
    ``start`` to the one holding ``end``, each due ``due_working_days`` working days after the period's last day
    (reference/workdays.py: the State Council's holiday arrangements).  ``report_by``: responsible (the
    responsible units must report; cooperating units may) or all (both must)."""
    cadence: str = "quarter"
    due_working_days: int = 10
    start: date | None = None        # default: the plan's issue date
    end: date | None = None          # default: the plan's deadline
    report_by: str = "responsible"


@dataclass(frozen=True)
class Plan:
    key: str                         # the plan's short name in commands, pages and records (default: its file's stem)
    name: str
    name_en: str
    document: str
    issued: date
    region: str
    baseline_date: date
    deadline: date
    targets: tuple[Target, ...] = field(default_factory=tuple)
    tasks: tuple[Task, ...] = field(default_factory=tuple)
    reporting: Reporting = field(default_factory=Reporting)
    file: str = ""                   # where it was read from (the package's name for a shipped plan)

    def task(self, number: int) -> Task | None:
        return next((k for k in self.tasks if k.number == number), None)

    def units(self) -> tuple[str, ...]:
        """Every unit the plan names, responsible first, each once, in the plan's order."""
        seen: dict[str, None] = {}
        for k in self.tasks:
            seen.update(dict.fromkeys(k.responsible))
        for k in self.tasks:
            seen.update(dict.fromkeys(k.cooperating))
        return tuple(seen)


class PlanError(ValueError):
    pass


# Bounds on a plan file (any user may load one: the config folder's plans/, --plan FILE).  A plan's reports are
# tasks x units x periods rows, so each factor is capped: the shipped plans have 11 tasks of at most 8 units, 8
# targets, titles of 12 characters and 3-year spans.
MAX_TASKS = 200
MAX_TARGETS = 100
MAX_UNITS_PER_TASK = 50       # responsible and cooperating together
MAX_UNIT_CHARS = 60
MAX_TITLE_CHARS = 200         # a task's title, a target's name
MAX_SPAN_YEARS = 20           # issued to deadline, and the reporting span
YEARS = (1900, 2200)          # the years a period key may name (tasks/periods.parse_period)


def is_day(value: object) -> bool:
    """A calendar day (YAML reads 2024-01-01 10:00 as a datetime, which does not compare with a date)."""
    return isinstance(value, date) and not isinstance(value, datetime)


def _bad(where: str, zh: str, en: str) -> PlanError:
    return PlanError(f"{where}: {zh} / {en}")


def _check_units(task: Task, where: str) -> None:
    units = [*task.responsible, *task.cooperating]
    if len(units) > MAX_UNITS_PER_TASK:
        raise _bad(where, f"单位超过 {MAX_UNITS_PER_TASK} 个", f"more than {MAX_UNITS_PER_TASK} units")
    for unit in units:
        if not unit.strip() or len(unit) > MAX_UNIT_CHARS:
            raise _bad(where, f"单位名称应为 1–{MAX_UNIT_CHARS} 个字符：{unit!r}",
                       f"a unit's name must be 1-{MAX_UNIT_CHARS} characters: {unit!r}")
    twice = sorted({u for u in units if units.count(u) > 1})
    if twice:
        raise _bad(where, f"单位 {twice[0]} 出现两次（责任单位与配合单位各只列一次）",
                   f"unit {twice[0]} is named twice (a unit is either responsible or cooperating, once)")


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
    if not t.name.strip() or len(t.name) > MAX_TITLE_CHARS:
        raise _bad(where, f"name 应为 1–{MAX_TITLE_CHARS} 个字符", f"name must be 1-{MAX_TITLE_CHARS} characters")
    if t.direction not in ("reach", "increase") or (t.direction == "reach" and t.target is None):
        raise PlanError(f"{where}: 需要 target 数值，或 direction: increase")
    if t.source == "tags" and not t.tags:
        raise PlanError(f"{where}: source tags 需要 tags 列表")
    if t.source == "recognitions":
        if not t.kinds or not set(t.kinds) <= set(RECOGNITION_KINDS):
            raise PlanError(f"{where}: source recognitions 需要 kinds 列表（可用：{', '.join(RECOGNITION_KINDS)}）")
        if not set(t.levels) <= set(RECOGNITION_LEVELS):
            raise PlanError(f"{where}: levels 应为 {', '.join(RECOGNITION_LEVELS)}")
        if t.since is not None and not is_day(t.since):
            raise PlanError(f"{where}: since 应为日期 YYYY-MM-DD（默认方案基期）")
    if t.source == "navigation_projects":
        if not set(t.kinds) <= set(PROJECT_KINDS):
            raise PlanError(f"{where}: kinds 应为 {', '.join(PROJECT_KINDS)}")
        if t.since is not None and not is_day(t.since):
            raise PlanError(f"{where}: since 应为日期 YYYY-MM-DD（默认方案基期）")
        if not t.kinds:
            t = replace(t, kinds=("enterprise",))
    return t


KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def _task(raw: dict, where: str, target_keys: set[str]) -> Task:
    task = Task(int(raw["number"]), str(raw["group"]), str(raw["title"]), str(raw.get("goal", "")),
                tuple(str(u) for u in raw.get("responsible") or ()),
                tuple(str(u) for u in raw.get("cooperating") or ()),
                tuple(raw.get("indicators") or ()), tuple(raw.get("targets") or ()))
    unknown = [i for i in task.indicators if i not in INDICATORS]
    if unknown:
        raise PlanError(f"{where}: 未知指标 {', '.join(map(str, unknown))}（可用：{', '.join(INDICATORS)}）")
    if not set(task.targets) <= target_keys:
        raise PlanError(f"{where}: targets 应为本方案的目标代码（{', '.join(sorted(target_keys))}）")
    if not task.responsible:
        raise PlanError(f"{where}: 需要 responsible（责任单位）")
    if not task.title.strip() or len(task.title) > MAX_TITLE_CHARS:
        raise _bad(where, f"title 应为 1–{MAX_TITLE_CHARS} 个字符", f"title must be 1-{MAX_TITLE_CHARS} characters")
    _check_units(task, where)
    return task


def _reporting(raw: dict | None, where: str) -> Reporting:
    raw = raw or {}
    if not isinstance(raw, dict):
        raise PlanError(f"{where}: reporting 应为映射")
    unknown = set(raw) - {"cadence", "due_working_days", "start", "end", "report_by"}
    if unknown:
        raise PlanError(f"{where}: reporting 的未知字段 {', '.join(sorted(map(str, unknown)))}")
    r = Reporting(**raw)
    if r.cadence not in CADENCES:
        raise PlanError(f"{where}: reporting.cadence 应为 {', '.join(CADENCES)}")
    if r.report_by not in REPORT_BY:
        raise PlanError(f"{where}: reporting.report_by 应为 {', '.join(REPORT_BY)}")
    if not isinstance(r.due_working_days, int) or not 1 <= r.due_working_days <= 60:
        raise PlanError(f"{where}: reporting.due_working_days 应为 1–60 的整数")
    for name in ("start", "end"):
        if getattr(r, name) is not None and not is_day(getattr(r, name)):
            raise PlanError(f"{where}: reporting.{name} 应为日期 YYYY-MM-DD")
    return r


def _items(data: dict, section: str, cap: int, name: str) -> list:
    """The file's ``section`` list (targets, tasks), at most ``cap`` long."""
    items = data.get(section) or []
    if not isinstance(items, list):
        raise _bad(f"{name} {section}", "应为列表", "expected a list")
    if len(items) > cap:
        raise _bad(f"{name} {section}", f"超过 {cap} 项", f"more than {cap} entries")
    return items


def _span_years(start: date, end: date) -> float:
    return (end - start).days / 365.25


def _check_dates(plan: Plan, name: str) -> None:
    """Every date a real day of 1900-2200, issued no later than the deadline, the reporting start no later than
    its end, neither span over MAX_SPAN_YEARS: otherwise the plan has no reporting periods, or periods no key can
    name, or more than the product will build rows for."""
    r = plan.reporting
    days = {"issued": plan.issued, "baseline_date": plan.baseline_date, "deadline": plan.deadline,
            "reporting.start": r.start, "reporting.end": r.end,
            **{f"targets.{t.key}.since": t.since for t in plan.targets}}
    for field_name, day in days.items():
        if isinstance(day, date) and not YEARS[0] <= day.year <= YEARS[1]:
            raise _bad(f"{name} {field_name}", f"年份应在 {YEARS[0]}–{YEARS[1]} 之间：{day}",
                       f"the year must lie in {YEARS[0]}-{YEARS[1]}: {day}")
    spans = (("issued", plan.issued, "deadline", plan.deadline),
             ("reporting.start", r.start or plan.issued, "reporting.end", r.end or plan.deadline))
    for first, start, last, end in spans:
        if start > end:
            raise _bad(f"{name} {first}", f"{first}（{start}）晚于 {last}（{end}）",
                       f"{first} ({start}) is after {last} ({end})")
        if _span_years(start, end) > MAX_SPAN_YEARS:
            raise _bad(f"{name} {first}", f"{first} 至 {last} 超过 {MAX_SPAN_YEARS} 年",
                       f"{first} to {last} spans more than {MAX_SPAN_YEARS} years")


def parse_plan(data: dict, name: str) -> Plan:
    if not isinstance(data, dict):
        raise PlanError(f"{name}: 不是方案文件（应为 YAML 映射，含 plan、targets、tasks）")
    head = data.get("plan") or {}
    if not isinstance(head, dict):
        raise _bad(f"{name} plan", "应为映射", "expected a mapping")
    key = str(head.get("key") or Path(name).stem)
    if not KEY.fullmatch(key):
        raise PlanError(f"{name}: plan.key 应为小写字母、数字、- 或 _（如 yongchuan-2022-2024）：{key!r}")
    try:
        targets = tuple(_target(t, f"{name} targets[{i}]")
                        for i, t in enumerate(_items(data, "targets", MAX_TARGETS, name)))
        plan = Plan(
            key=key, name=head["name"], name_en=head.get("name_en", head["name"]), document=head.get("document", ""),
            issued=head["issued"], region=str(head["region"]), baseline_date=head["baseline_date"],
            deadline=head["deadline"],
            targets=targets,
            tasks=tuple(_task(t, f"{name} tasks[{i}]", {g.key for g in targets})
                        for i, t in enumerate(_items(data, "tasks", MAX_TASKS, name))),
            reporting=_reporting(head.get("reporting"), name), file=name,
        )
    except KeyError as err:
        raise PlanError(f"{name}: 缺少字段 {err.args[0]}") from err
    except (TypeError, ValueError) as err:
        if isinstance(err, PlanError):
            raise
        raise PlanError(f"{name}: {err}") from err
    numbers = [k.number for k in plan.tasks]
    if len(numbers) != len(set(numbers)):
        raise PlanError(f"{name}: 任务编号重复")
    for field_name in ("issued", "baseline_date", "deadline"):
        if not is_day(getattr(plan, field_name)):
            raise PlanError(f"{name}: {field_name} 应为日期 YYYY-MM-DD")
    _check_dates(plan, name)
    return plan


MAX_PLAN_BYTES = 1 << 20  # a plan file is a few KiB; anything near this is not one


def read_plan_text(text: str, name: str) -> Plan:
    """The plan in ``text`` (a plan file's content; ``name`` names it in errors), read by the bounded loader
    (reference/safe_yaml: no anchors or aliases, no deep nesting, at most MAX_PLAN_BYTES)."""
    try:
        data = safe_load(text, MAX_PLAN_BYTES)
    except YamlRefused as err:
        raise PlanError(f"{name}: {err}") from err
    except yaml.YAMLError as err:
        raise PlanError(f"{name}: 不是有效的 YAML / not valid YAML: {err}") from err
    except (ValueError, TypeError) as err:  # YAML's own reading of an impossible unquoted date (2024-13-01)
        raise PlanError(f"{name}: YAML 中有无效的值 / a value YAML cannot read: {err}") from err
    return parse_plan(data, name)


def load_plan(path: Path | None = None) -> Plan:
    if path is None:
        return read_plan_text(resources.files(__package__).joinpath(SEED_PLAN).read_text(encoding="utf-8"),
                              SEED_PLAN)
    if path.stat().st_size > MAX_PLAN_BYTES:
        raise PlanError(f"{path.name}: 文件过大，不是方案文件 / too large for a plan file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise PlanError(f"{path.name}: 不是有效的 YAML / not valid YAML: {err}") from err
    return read_plan_text(text, path.name)
