"""Trademarks as records: the state of every mark on any day and the lists behind the trademark indicators,
the one door of the trademarks room (docs/trademarks.md)."""

from __future__ import annotations

from hvpatent.trademarks.listing import LIST_KINDS, mark_classes, mark_detail, mark_list
from hvpatent.trademarks.records import TRADEMARK_COLUMNS, effective_marks, mark_records
from hvpatent.trademarks.state import (
    EFFECTIVE,
    STATES,
    MarkState,
    first_term_end,
    grace_end,
    mark_state,
    mark_states,
    mark_states_on,
    renewal_opens,
    term_end_after,
)
from hvpatent.trademarks.warnings import TM_KIND_LABELS, TM_KINDS, renewal_warnings

__all__ = [
    "EFFECTIVE",
    "LIST_KINDS",
    "STATES",
    "TM_KINDS",
    "TM_KIND_LABELS",
    "TRADEMARK_COLUMNS",
    "MarkState",
    "effective_marks",
    "first_term_end",
    "grace_end",
    "mark_classes",
    "mark_detail",
    "mark_list",
    "mark_records",
    "mark_state",
    "mark_states",
    "mark_states_on",
    "renewal_opens",
    "renewal_warnings",
    "term_end_after",
]
