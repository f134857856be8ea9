"""Scheduled bulletins (docs/schedule.md): each month's or quarter's bulletin issued on the first working day after
the period, with the data as imported then, kept as an immutable edition; a re-issue is a new version listing its
changes.  The room's one door.  OWNER: H1 (the names below are the contract; H1 may add to them)."""

from hvpatent.schedule.config import ConfigError, ScheduleConfig, load_config
from hvpatent.schedule.editions import (
    EditionError,
    Period,
    due_editions,
    edition,
    edition_file,
    edition_ref,
    editions,
    issue_edition,
    parse_period,
    period_of,
    run_schedule,
    verify_editions,
)

__all__ = ["ConfigError", "EditionError", "Period", "ScheduleConfig", "due_editions", "edition", "edition_file",
           "edition_ref", "editions", "issue_edition", "load_config", "parse_period", "period_of", "run_schedule",
           "verify_editions"]
