"""Scheduled bulletins (docs/schedule.md): each month's or quarter's bulletin issued on the first working day after
the period, with the data as imported then, kept as an immutable edition; a re-issue is a new version listing its
changes.  The room's one door.  OWNER: H1 (the names below are the contract; H1 may add to them).

``Period``, ``period_of(day, cadence)`` and ``parse_period(key, cadence)`` are reference/periods.py's, the same as
the tasks room's; ``issue_day(period)`` is the schedule's rule (the first working day after the period) and
``bulletin_period(cadence, key)`` a month or quarter key read with an EditionError."""

from hvpatent.reference.periods import Period, parse_period, period_of
from hvpatent.schedule.config import SCHEDULE_CADENCES, ConfigError, ScheduleConfig, load_config
from hvpatent.schedule.editions import (
    EditionError,
    bulletin_period,
    due_editions,
    edition,
    edition_file,
    edition_ref,
    editions,
    issue_day,
    issue_edition,
    run_schedule,
    verify_editions,
)

__all__ = ["SCHEDULE_CADENCES", "ConfigError", "EditionError", "Period", "ScheduleConfig", "bulletin_period",
           "due_editions", "edition", "edition_file", "edition_ref", "editions", "issue_day", "issue_edition",
           "load_config", "parse_period", "period_of", "run_schedule", "verify_editions"]
