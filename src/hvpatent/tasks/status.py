"""Who has reported: the status of every report due, on time, late, overdue or not yet due.  OWNER: H2.

Timeliness is the FIRST version's: a report filed by its due date stays on time when it is amended later.  A report
filed on the due date is on time; one filed after it is late by the working days from the due date to the day it
came (reference/workdays.working_days_between), at least one: a report sent on a day off after the due date is read
on the next working day; an overdue report is likewise overdue by at least one working day.  ``first_submitted_at``
is the filing day that decides; ``submitted_at`` the latest amendment's.  Only versions submitted by ``as_of``
count, so a past day's statuses can be rebuilt.

Who must report is decided here once (``required_units``): the assessment sheet, the bulletin's section and the demo
ask it, so a sheet, a bulletin and a status page can never disagree on it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import ibis

from hvpatent.plan.model import Plan, Task
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
MAX_STATUS_ROWS = 200_000
# tasks × units × periods one status call may build: the plan caps (200 tasks, 50 units, 240 periods) allow millions,
# which would hold a page or a command for minutes; a real plan has a few thousand.


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


def required_units(plan: Plan, task: Task) -> tuple[str, ...]:
    """The units that must report on ``task``: its responsible units, and its cooperating units too under
    ``report_by: all`` (each once, responsible first).  The one rule of who must report."""
    cooperating = task.cooperating if plan.reporting.report_by == "all" else ()
    return tuple(dict.fromkeys(task.responsible + cooperating))


def report_status(con: ibis.BaseBackend, plan: Plan, as_of: date, *, unit: str | None = None,
                  period: str | None = None) -> list[ReportStatus]:
    """Every (task, unit that must or may report, period) of the plan whose period has begun by ``as_of``, in
    period, task and unit order (responsible units first).  ``period`` (a key; ValueError when malformed) and
    ``unit`` narrow it.  ReportError when that would be more than MAX_STATUS_ROWS rows (narrow it by unit or
    period)."""
    from hvpatent.tasks.reports import filings

    periods = reporting_periods(plan, as_of, begun=True)
    if period is not None:
        wanted = parse_period(period, plan.reporting.cadence).key
        periods = [p for p in periods if p.key == wanted]
    pairs = [(task, _units(plan, task, unit)) for task in plan.tasks]
    _check_size(plan, len(periods) * sum(len(who) for _, who in pairs))
    versions: dict[tuple, list[dict]] = defaultdict(list)
    for row in filings(con, plan.key, unit):
        if row["submitted_at"].date() <= as_of:
            versions[(row["task_number"], row["unit"], row["period"])].append(row)
    late_days = _LateDays()
    rows = []
    for p in periods:
        due = due_date(plan, p)
        overdue_days = late_days(due, as_of) if as_of > due else None   # the same for every row of the period
        for task, who_roles in pairs:
            for who, role, required in who_roles:
                rows.append(_status(plan, task.number, task.title, who, role, required, p, due, overdue_days,
                                    versions.get((task.number, who, p.key), []), late_days))
    return rows


def _check_size(plan: Plan, count: int) -> None:
    if count > MAX_STATUS_ROWS:
        from hvpatent.tasks.reports import ReportError

        raise ReportError(f"《{plan.name}》的报送情况有 {count} 行，超过上限 {MAX_STATUS_ROWS} 行：请按单位或报送期查看"
                          f" / plan {plan.key}'s statuses would be {count} rows, over the limit of {MAX_STATUS_ROWS}:"
                          " ask for one unit or one period")


class _LateDays:
    """working_days_between(due, day), at least 1, worked out once per (due, day): it walks the calendar day by
    day, and every row of a period shares its due date."""

    def __init__(self) -> None:
        self.known: dict[tuple[date, date], int] = {}

    def __call__(self, due: date, day: date) -> int:
        if (due, day) not in self.known:
            # at least 1: a report filed (or missing) on a day off right after the due date is read on the next
            # working day, 1 working day after it
            self.known[(due, day)] = max(1, working_days_between(due, day))
        return self.known[(due, day)]


def _units(plan: Plan, task: Task, unit: str | None) -> list[tuple[str, str, bool]]:
    """(unit, role, required) of each unit that must or may report on the task (only ``unit`` when given)."""
    required = required_units(plan, task)
    pairs = [(u, "responsible") for u in task.responsible]
    pairs += [(u, "cooperating") for u in task.cooperating if u not in task.responsible]
    return [(who, role, who in required) for who, role in pairs if unit is None or who == unit]


def _status(plan: Plan, number: int, title: str, unit: str, role: str, required: bool, period: Period, due: date,
            overdue_days: int | None, versions: list[dict], late_days: _LateDays) -> ReportStatus:
    """One row: its versions (oldest first) filed by as_of decide it; ``overdue_days`` is the period's working
    days past the due date on as_of (None when as_of is not after it)."""
    if versions:
        first, latest = versions[0], versions[-1]
        filed = first["submitted_at"].date()
        late = filed > due
        days = late_days(due, filed) if late else 0
        return ReportStatus(plan.key, number, title, unit, role, period.key, due, "late" if late else "on_time",
                            latest["submitted_at"], latest["version"], latest["report_id"], days, required,
                            first["submitted_at"])
    if not required:
        status, days = "optional", None
    elif overdue_days is not None:
        status, days = "overdue", overdue_days
    else:
        status, days = "pending", None
    return ReportStatus(plan.key, number, title, unit, role, period.key, due, status, None, None, None, days,
                        required)


def overdue(con: ibis.BaseBackend, plan: Plan, as_of: date, *, unit: str | None = None) -> list[ReportStatus]:
    """The required reports not filed whose due date has passed by ``as_of``."""
    return [s for s in report_status(con, plan, as_of, unit=unit) if s.status == "overdue"]
