"""Filing and reading the units' progress reports (workflow tables task_reports, task_report_files).  OWNER: H2."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb
import ibis

from hvpatent.plan.model import Plan, Task
from hvpatent.plan.registry import Plans


class ReportError(ValueError):
    """A report that cannot be filed; the message (Chinese / English) names the field."""


class ReportNotFound(LookupError):
    """No such report, or not one the asking unit may see (the same answer either way)."""


def unit_tasks(plans: Plans, unit: str) -> list[dict]:
    """The unit's tasks in every plan: {plan_key, plan_name, task (Task), role: responsible | cooperating}."""
    raise NotImplementedError


def file_report(duck: duckdb.DuckDBPyConnection, plan: Plan, task_number: int, unit: str, period: str, *,
                text: str, figures: Sequence[dict] = (), attachments: Sequence[tuple[str, bytes]] = (), by: str,
                now: datetime | None = None) -> dict:
    """File (or amend: the next version) the unit's report on the task for the period, attachments checked
    (tasks.attachments) and stored with it in one transaction.  Returns the stored report (as get_report)."""
    raise NotImplementedError


def reports(con: ibis.BaseBackend, *, plan_key: str | None = None, unit: str | None = None,
            task_number: int | None = None, period: str | None = None, latest_only: bool = True) -> list[dict]:
    """The reports, newest version of each (all versions with latest_only=False); ``unit`` limits to one unit's."""
    raise NotImplementedError


def get_report(con: ibis.BaseBackend, report_id: str, unit: str | None = None) -> dict:
    """One report with its files' metadata; ReportNotFound when absent or (``unit`` given) another unit's."""
    raise NotImplementedError


def report_history(con: ibis.BaseBackend, plan_key: str, task_number: int, unit: str, period: str) -> list[dict]:
    raise NotImplementedError


def report_file(con: ibis.BaseBackend, report_id: str, file_no: int, unit: str | None = None) -> dict:
    """{file_name, kind, media_type, size_bytes, sha256, content}; ReportNotFound as get_report."""
    raise NotImplementedError


def _unused(_: Task) -> None:  # keeps the Task import for the signature's documentation
    return None
