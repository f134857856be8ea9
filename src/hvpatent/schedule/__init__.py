"""Scheduled bulletins (docs/schedule.md): each month's or quarter's bulletin issued on the first working day after
the period, with the data as imported then, kept as an immutable edition; a re-issue is a new version listing its
changes.  The room's one door.  OWNER: H1 (the names below are the contract; H1 may add to them)."""

from hvpatent.schedule.editions import (
    EditionError,
    due_editions,
    edition,
    edition_file,
    editions,
    issue_edition,
    run_schedule,
    verify_editions,
)

__all__ = ["EditionError", "due_editions", "edition", "edition_file", "editions", "issue_edition", "run_schedule",
           "verify_editions"]
