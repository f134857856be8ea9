"""Progress of each plan target: current value, gap, 8-quarter trend and projection to the deadline.

Projection method (stated in every result): ordinary least squares line through the values at the
last eight quarter-ends (and the as-of date), extended to the deadline.  A `reach` target is on
track when the projection reaches it, at risk when it reaches at least 90% of it, off track
otherwise; an `increase` target is on track when the value is above its plan-baseline value and
the fitted trend rises, at risk when above baseline but the trend is flat or falling, off track
when not above baseline.  Flows (pledge financing) are taken over the trailing 12 months so the
trend is not a year-to-date sawtooth.  A `recognitions` target counts the enterprises newly recognised
after its `since` day (the plan's baseline date by default; recognitions.records states the rule) on each
day, so it has a trend like an indicator; a warehouse without recognition records of its kinds falls back to
the target's enterprise tags (undated: no trend, and the note says so).  A `navigation_projects` target counts
the navigation projects accepted after its `since` day (navigation.accepted_projects; kinds from the
target, enterprise by default) when the warehouse holds any project record, and else reads the entered values
(`hvp plan set`), with a note.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import ibis
import numpy as np

from hvpatent.indicators.compute import value, values
from hvpatent.indicators.measures import INDICATORS, Context, shift_months
from hvpatent.plan.model import Plan, Target
from hvpatent.recognitions import count_new, has_recognitions

UNDATED_TAGS = "企业标签没有日期，无法给出历史趋势"
NO_PROJECTS = ("没有导航项目记录，按录入值（hvp plan set）；导入 navigation_projects 模板后按验收记录计数 / "
               "no navigation project records: the entered values are shown; import the navigation_projects "
               "template to count accepted projects")

AT_RISK_SHARE = 0.9
METHOD = {
    "zh": "对最近8个季度末数值做最小二乘线性拟合并外推至截止日；流量指标取近12个月",
    "en": "least-squares line through the last 8 quarter-end values, extended to the deadline; "
          "flows over the trailing 12 months",
}


@dataclass
class TargetProgress:
    target: Target
    current: float | None
    baseline_value: float | None
    gap: float | None
    trend: list[tuple[date, float | None]] = field(default_factory=list)
    projection: float | None = None
    status: str = "no_data"   # achieved | on_track | at_risk | off_track | missed | no_data
    note: str = ""
    excluded_abnormal: int = 0  # the region's applications left out as confirmed abnormal (exclude_abnormal)


def round_for_unit(v: float | None, unit: str) -> float | None:
    """Counts (件, 家, 个, 份) are whole numbers; rates and amounts keep two decimals."""
    if v is None:
        return None
    return float(round(v)) if unit in ("件", "家", "个", "份") else round(v, 2)


def quarter_ends(as_of: date, count: int = 8) -> list[date]:
    """The last ``count`` quarter-ends on or before the as-of date, oldest first."""
    year, quarter = as_of.year, (as_of.month - 1) // 3 + 1
    ends: list[date] = []
    while len(ends) < count:
        month = quarter * 3
        end = date(year, month, calendar.monthrange(year, month)[1])
        if end <= as_of:
            ends.append(end)
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return ends[::-1]


def trend_days(as_of: date) -> list[date]:
    """The days of a trend: the last quarter-ends before the as-of date and the date itself, eight in all."""
    return ([d for d in quarter_ends(as_of) if d < as_of] + [as_of])[-8:]


def indicator_context(root: Context, indicator_key: str, day: date) -> Context:
    """The window an indicator is read in on ``day``: a flow over the 12 months to the day, a stock on the day (its
    year from 1 January).  Public: a task's figures (tasks/figures.py) use it, so they and this page agree."""
    ind = INDICATORS[indicator_key]
    if ind.kind == "flow":
        return root.at(day, shift_months(day, 12) + timedelta(days=1))
    return root.at(day, date(day.year, 1, 1))


def _indicator_values(root: Context, plan: Plan, days: list[date]) -> dict[tuple[str, date], float | None]:
    """Every indicator target's value on every day asked, in one query: {(target key, day): value}."""
    asked = [(t, d) for t in plan.targets if t.source == "indicator"
             for d in (days if t.direction != "increase" else [*days, plan.baseline_date])]
    if not asked:
        return {}
    root.prefetch({d for _, d in asked})  # every day's legal states in one evaluation
    found = values([(indicator_context(root, t.indicator, d), t.indicator) for t, d in asked])
    return {(t.key, d): v for (t, d), v in zip(asked, found, strict=True)}


def _tag_count(con: ibis.BaseBackend, target: Target) -> float:
    ent = con.table("enterprises")
    tagged = ent.filter(ibis.or_(*[ent.tags.fill_null("").contains(tag) for tag in target.tags]))
    return float(tagged.count().execute()) - target.baseline


def _entered(con: ibis.BaseBackend, target: Target, day: date) -> float | None:
    values = con.table("plan_values")
    rows = (values.filter((values.target_key == target.key) & (values.as_of_date <= ibis.date(day)))
            .order_by(ibis.desc("as_of_date")).limit(1).to_pyarrow().to_pylist())
    return rows[0]["value"] if rows else None


def target_value(root: Context, target: Target, day: date,
                 known: dict[tuple[str, date], float | None] | None = None) -> float | None:
    """The target's value on a day; ``root`` carries the warehouse, region and shared caches, ``known``
    the indicator values already computed (_indicator_values)."""
    con = root.con
    if target.source == "indicator":
        if known is not None and (target.key, day) in known:
            return known[(target.key, day)]
        return value(indicator_context(root, target.indicator, day), target.indicator)
    if target.source == "recognitions" and from_records(con, target):
        if target.since is None:
            raise ValueError(f"{target.key}: since (the plan's baseline date) is needed")
        return float(count_new(con, target.since, day, target.kinds, target.levels, root.region))
    if target.source == "navigation_projects" and projects_recorded(con, target):
        from hvpatent.navigation import accepted_projects  # through the room's door, loaded only when asked

        if target.since is None:
            raise ValueError(f"{target.key}: since (the plan's baseline date) is needed")
        return float(len(accepted_projects(con, target.since, day, target.kinds or ("enterprise",))))
    entered = _entered(con, target, day)
    if target.source in ("entered", "navigation_projects") or entered is not None:
        return entered  # an entered value also overrides a tag count
    return _tag_count(con, target) if target.tags else None


def from_records(con: ibis.BaseBackend, target: Target) -> bool:
    """A recognitions target is counted from dated records when the warehouse has any of its kinds."""
    return target.source == "recognitions" and has_recognitions(con, target.kinds)


def projects_recorded(con: ibis.BaseBackend, target: Target) -> bool:
    """A navigation_projects target is counted from project records when the warehouse has any."""
    from hvpatent.navigation import has_projects  # the navigation room loads only when asked

    return target.source == "navigation_projects" and has_projects(con)


def _project(trend: list[tuple[date, float | None]], deadline: date) -> tuple[float | None, float | None]:
    points = [(d.toordinal(), v) for d, v in trend if v is not None]
    if len(points) < 2:
        return None, None
    x, y = np.array([p[0] for p in points], float), np.array([p[1] for p in points], float)
    slope, intercept = np.polyfit(x, y, 1)
    return float(slope * deadline.toordinal() + intercept), float(slope)


def _status(t: Target, as_of: date, deadline: date, current, baseline, projection, slope) -> str:
    if current is None:
        return "no_data"
    if t.direction == "increase":
        if baseline is None or current <= baseline:
            return "off_track" if as_of < deadline else "missed"
        if as_of >= deadline:
            return "achieved"
        return "on_track" if slope is not None and slope > 0 else "at_risk"
    if current >= t.target:
        return "achieved"
    if as_of >= deadline:
        return "missed"
    if projection is None:
        return "at_risk"
    if projection >= t.target:
        return "on_track"
    return "at_risk" if projection >= AT_RISK_SHARE * t.target else "off_track"


def excluded_note(count: int) -> tuple[str, str]:
    """The visible note of figures without confirmed abnormal applications (plan page, bulletin, command line)."""
    return (f"已剔除经复核确认的非正常专利申请 {count} 件",
            f"{count} applications confirmed abnormal are excluded")


def plan_progress(con: ibis.BaseBackend, plan: Plan, as_of: date,
                  exclude_abnormal: bool = False) -> list[TargetProgress]:
    """Each target's progress; with ``exclude_abnormal`` the indicator targets leave out the applications
    confirmed abnormal by review (each result's ``excluded_abnormal`` says how many of the region's)."""
    root = Context.create(con, as_of, "year", plan.region, exclude_abnormal=exclude_abnormal)
    excluded = root.excluded_abnormal()
    known = _indicator_values(root, plan, trend_days(as_of))
    results = []
    for t in plan.targets:
        if t.source in ("recognitions", "navigation_projects") and t.since is None:
            t = replace(t, since=plan.baseline_date)
        current = target_value(root, t, as_of, known)
        note = t.why_entered
        if t.source == "tags" or (t.source == "recognitions" and not from_records(con, t)):
            trend = [(as_of, current)]
            if t.source == "recognitions":
                note = "没有认定记录，按企业名录标签计数（导入 recognitions 模板可得历史）"
            note = (note + "；" if note else "") + UNDATED_TAGS
        else:
            if t.source == "navigation_projects" and not projects_recorded(con, t):
                note = (note + "；" if note else "") + NO_PROJECTS
            trend = [(d, target_value(root, t, d, known)) for d in trend_days(as_of)]
        baseline = target_value(root, t, plan.baseline_date, known) if t.direction == "increase" else None
        projection, slope = _project(trend, plan.deadline)
        gap = None if t.target is None or current is None else round(t.target - current, 2)
        if current is None and not note:
            note = "没有数据"
        results.append(TargetProgress(
            t, current, baseline, gap, trend, round_for_unit(projection, t.unit),
            _status(t, as_of, plan.deadline, current, baseline, projection, slope), note, excluded,
        ))
    return results
