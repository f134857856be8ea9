"""Who has reported: the status of every report due, on time, late, overdue or not yet due.  OWNER: H2.

Timeliness is the FIRST version's: a report filed by its due date stays on time when it is amended later.  A report
filed on the due date is on time; one filed after it is late by the working days from the due date to the day it
came (reference/workdays.working_days_between), at least one: a report sent on a day off after the due date is read
on the next working day; an overdue report is likewise overdue by at least one working day.  ``first_submitted_at``
is the filing day that decides; ``submitted_at`` the latest amendment's.  Only versions submitted by ``as_of``
count, so a past day's statuses can be rebuilt.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import ibis

from hvpatent.plan.model import Plan
from hvpatent.reference.workdays import working_days_between
from hvpatent.tasks.periods import Period, due_date, parse_period, reporting_periods

STATUSES = ("on_time", "late", "overdue", "pending", "optional")
# on_time: filed by the due date; late: filed after it; overdue: not filed and the due date has passed;
# pending: not filed, not yet due; optional: a cooperating unit's report under report_by: responsible, not filed.
STATUS_WORDS: dict[str, tuple[str, str]] = {
    "on_time": ("按时报送", "on time"), "late": ("逾期报送", "late"), "overdue": ("逾期未报", "overdue"),
    "pending": ("未到期", "not yet due"), "optional": ("可选报送", "optional"),
}
# The one wording of each status, (Chinese, English), for every page, sheet, letter and command (docs/glossary.md).


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
    required: bool = True         # False: a cooperating unit's report under report_by: responsible
    # The first version's submitted_at: the filing day, which decides on time or late (submitted_at, version and
    # report_id are the latest version's, the last amendment).  None when not filed.
    first_submitted_at: datetime | None = None


def report_status(con: ibis.BaseBackend, plan: Plan, as_of: date, *, unit: str | None = None,
                  period: str | None = None) -> list[ReportStatus]:
    """Every (task, unit that must or may report, period) of the plan whose period has begun by ``as_of``, in
    period, task and unit order (responsible units first).  ``period`` (a key; ValueError when malformed) and
    ``unit`` narrow it."""
    from hvpatent.tasks.reports import filings

    periods = reporting_periods(plan, as_of, begun=True)
    if period is not None:
        wanted = parse_period(period, plan.reporting.cadence).key
        periods = [p for p in periods if p.key == wanted]
    versions: dict[tuple, list[dict]] = defaultdict(list)
    for row in filings(con, plan.key, unit):
        if row["submitted_at"].date() <= as_of:
            versions[(row["task_number"], row["unit"], row["period"])].append(row)
    rows = []
    for p in periods:
        due = due_date(plan, p)
        for task in plan.tasks:
            for who, role in _units(task, unit):
                required = role == "responsible" or plan.reporting.report_by == "all"
                rows.append(_status(plan, task.number, task.title, who, role, required, p, due, as_of,
                                    versions.get((task.number, who, p.key), [])))
    return rows


def _units(task, unit: str | None) -> list[tuple[str, str]]:
    pairs = [(u, "responsible") for u in task.responsible]
    pairs += [(u, "cooperating") for u in task.cooperating if u not in task.responsible]
    return [pair for pair in pairs if unit is None or pair[0] == unit]


def _status(plan: Plan, number: int, title: str, unit: str, role: str, required: bool, period: Period, due: date,
            as_of: date, versions: list[dict]) -> ReportStatus:
    """One row: its versions (oldest first) filed by as_of decide it."""
    if versions:
        first, latest = versions[0], versions[-1]
        filed = first["submitted_at"].date()
        late = filed > due
        days = max(1, working_days_between(due, filed)) if late else 0
        return ReportStatus(plan.key, number, title, unit, role, period.key, due, "late" if late else "on_time",
                            latest["submitted_at"], latest["version"], latest["report_id"], days, required,
                            first["submitted_at"])
    if not required:
        status, days = "optional", None
    elif as_of > due:
        # at least 1, as a report filed that day would be late by 1: a day off right after the due date counts
        status, days = "overdue", max(1, working_days_between(due, as_of))
    else:
        status, days = "pending", None
    return ReportStatus(plan.key, number, title, unit, role, period.key, due, status, None, None, None, days,
                        required)


def overdue(con: ibis.BaseBackend, plan: Plan, as_of: date, *, unit: str | None = None) -> list[ReportStatus]:
    """The required reports not filed whose due date has passed by ``as_of``."""
    return [s for s in report_status(con, plan, as_of, unit=unit) if s.status == "overdue"]
