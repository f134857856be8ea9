"""Who has reported: the status of every report due, on time, late, overdue or not yet due.  OWNER: H2."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import ibis

from hvpatent.plan.model import Plan

STATUSES = ("on_time", "late", "overdue", "pending", "optional")
# on_time: filed by the due date; late: filed after it; overdue: not filed and the due date has passed;
# pending: not filed, not yet due; optional: a cooperating unit's report under report_by: responsible, not filed.


@dataclass(frozen=True)
class ReportStatus:
    plan_key: str
    task_number: int
    task_title: str
    unit: str
    role: str                     # responsible | cooperating
    period: str
    due: date
    status: str                   # STATUSES
    submitted_at: datetime | None
    version: int | None
    report_id: str | None
    working_days_late: int | None  # late: working days after the due date it was filed; overdue: so far


def report_status(con: ibis.BaseBackend, plan: Plan, as_of: date, *, unit: str | None = None,
                  period: str | None = None) -> list[ReportStatus]:
    """Every (task, unit, period) of the plan whose period ended on or before ``as_of``."""
    raise NotImplementedError


def overdue(con: ibis.BaseBackend, plan: Plan, as_of: date, *, unit: str | None = None) -> list[ReportStatus]:
    raise NotImplementedError
