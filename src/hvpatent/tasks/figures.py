"""The figures of a task's linked indicators and targets for a reporting period.  OWNER: H2.

A report shows, beside what the unit writes, the warehouse's own figures for the task: each linked indicator
(Task.indicators) for the plan's region at the period's end and at the previous period's end, computed as the
plan's progress computes them (plan/progress.py: a flow over the trailing 12 months, a stock on the day), and each
linked target's progress (Task.targets, plan.progress.plan_progress) on the period's end.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import ibis

from hvpatent.indicators.compute import values
from hvpatent.indicators.measures import INDICATORS, Context
from hvpatent.plan.model import Plan
from hvpatent.plan.progress import indicator_context
from hvpatent.tasks.periods import plan_period

FLAT = 1e-9   # a change this small is no change (floating-point noise of a ratio)


def direction(value: float | None, previous: float | None) -> str | None:
    """up | flat | down from ``previous`` to ``value``; None when either is missing."""
    if value is None or previous is None:
        return None
    change = value - previous
    return "up" if change > FLAT else "down" if change < -FLAT else "flat"


def indicator_figures(con: ibis.BaseBackend, plan: Plan, keys: tuple[str, ...], day: date, before: date) -> list[dict]:
    """Each indicator's row on ``day`` against ``before`` (all computed in one query)."""
    known = [k for k in keys if k in INDICATORS]
    if not known:
        return []
    root = Context.create(con, day, "year", plan.region)
    # plan/progress's own window (a flow over the 12 months to the day, a stock on the day), called rather than
    # copied: a task's figures and the plan's progress page can never disagree on an indicator's value
    asked = [(indicator_context(root, k, d), k) for k in known for d in (day, before)]
    found = values(asked)
    rows = []
    for i, key in enumerate(known):
        ind, now, prev = INDICATORS[key], found[2 * i], found[2 * i + 1]
        rows.append({"kind": "indicator", "key": key, "name": ind.zh, "name_en": ind.en, "unit": ind.unit,
                     "indicator_kind": ind.kind, "as_of": day, "previous_as_of": before, "value": now,
                     "previous": prev, "change": None if now is None or prev is None else now - prev,
                     "direction": direction(now, prev),
                     "records_url": f"/records/{key}?as_of={day.isoformat()}&region={plan.region}"})
    return rows


def target_figures(con: ibis.BaseBackend, plan: Plan, keys: tuple[str, ...], day: date) -> list[dict]:
    """Each linked target's progress row on ``day`` (plan_progress of those targets only)."""
    from hvpatent.plan.progress import plan_progress

    wanted = tuple(t for t in plan.targets if t.key in keys)
    if not wanted:
        return []
    progress = {p.target.key: p for p in plan_progress(con, replace(plan, targets=wanted), day)}
    return [{"kind": "target", "target_key": t.key, "name": t.name, "unit": t.unit,
             "current": progress[t.key].current, "target": t.target, "status": progress[t.key].status,
             "as_of": day} for t in wanted]


def period_days(plan: Plan, period: str, as_of: date | None = None) -> tuple[date, date]:
    """The two days a period's figures compare: its end (``as_of`` when earlier) and the previous period's end
    (never after the first)."""
    found = plan_period(plan, period)
    day = min(found.end, as_of) if as_of else found.end
    return day, min(found.previous().end, day)


def task_figures(con: ibis.BaseBackend, plan: Plan, task_number: int, period: str,
                 as_of: date | None = None) -> list[dict]:
    """For each linked indicator: {key, name, unit, value (at the period's end, plan region), previous (at the
    previous period's end), change, direction: up | flat | down | None, records_url}; then each linked target's
    progress row {target_key, name, current, target, status}.  Rows carry ``kind`` (indicator | target).
    ``as_of`` before the period's end (a current period) takes the figures on that day instead, and before the
    previous period's end (a period still to come) takes both on that day: never a "previous" day after "now"."""
    task = plan.task(task_number)
    if task is None:
        raise ValueError(f"方案 {plan.key} 没有任务 {task_number} / plan {plan.key} has no task {task_number}")
    day, before = period_days(plan, period, as_of)
    return [*indicator_figures(con, plan, task.indicators, day, before),
            *target_figures(con, plan, task.targets, day)]
