"""Trademarks as records: the state of every mark on any day and the lists behind the trademark indicators,
the one door of the trademarks room (docs/trademarks.md)."""

from __future__ import annotations

from hvpatent.trademarks.records import TRADEMARK_COLUMNS, effective_marks, mark_records
from hvpatent.trademarks.state import (
    EFFECTIVE,
    STATES,
    MarkState,
    first_term_end,
    grace_end,
    mark_state,
    mark_states,
    renewal_opens,
    term_end_after,
)

__all__ = [
    "EFFECTIVE",
    "STATES",
    "TRADEMARK_COLUMNS",
    "MarkState",
    "effective_marks",
    "first_term_end",
    "grace_end",
    "mark_records",
    "mark_state",
    "mark_states",
    "renewal_opens",
    "term_end_after",
]
