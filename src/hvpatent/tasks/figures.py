"""The figures of a task's linked indicators and targets for a reporting period.  OWNER: H2."""

from __future__ import annotations

import ibis

from hvpatent.plan.model import Plan


def task_figures(con: ibis.BaseBackend, plan: Plan, task_number: int, period: str) -> list[dict]:
    """For each linked indicator: {key, name, unit, value (at the period's end, plan region), previous (at the
    previous period's end), change, direction: up | flat | down | None, records_url}; then each linked target's
    progress row {target_key, name, current, target, status}."""
    raise NotImplementedError
