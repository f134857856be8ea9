"""The canonical batch that importers produce and the warehouse stores.

Column names come from the warehouse DDL, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from hvpatent.warehouse.schema import TABLES

# Columns the warehouse fills itself rather than the importer.
_STORE_COLUMNS = {"row_hash", "first_import_id", "last_import_id", "import_id"}

PATENT_TYPES = ("invention", "utility_model", "design")
PARTY_TYPES = ("enterprise", "university", "institute", "individual", "government", "other")

# Canonical legal-event types (docs/legal-state.md, "Events").  ``event_date`` is the date the
# source gives (the gazette announcement for CNIPA events); ``effective_date``, when known, is the
# date the event took legal effect where that differs: for ``annuity_lapse`` the unpaid annuity's
# due date (e.g. a PatSnap 失效日), for ``term_adjustment`` the adjusted end of the term.
# ``ended``: the right or application ended on ``effective_date`` for a cause the source does not
# state.
EVENT_TYPES = (
    "filed", "published", "examination", "granted", "annuity_lapse", "restoration",
    "withdrawn", "deemed_withdrawn", "rejected", "invalidated_full", "invalidated_partial",
    "expiry", "surrendered", "transfer", "licence", "pledge_registered", "pledge_changed",
    "pledge_released", "term_adjustment", "ended", "bibliographic_change", "invalidation_requested", "other",
)

# Canonical trademark event types (docs/trademarks.md, "Events"): what an importer turns the trademark office's
# process lines (商标流程) and the commercial databases' change records into.  ``event_date`` is the date the source
# gives (the gazette or the office's notice); ``effective_date`` the day it took legal effect where that differs
# (a cancellation on request: the day the office received it, Implementing Regulations art. 73).
TRADEMARK_EVENT_TYPES = (
    "filed", "preliminary_approval", "opposition_filed", "opposition_upheld", "opposition_rejected", "registered",
    "renewal_filed", "renewal_refused", "renewed", "transfer", "licence", "pledge", "change", "cancelled_nonuse",
    "cancelled_request", "not_renewed", "invalidated", "partial_cancellation", "partial_invalidation", "rejected",
    "withdrawn", "other",
)
# Kinds of mark (Trademark Law art. 3): ordinary, collective, certification; a geographical indication (art. 16) is
# registered as a collective or certification mark and flagged is_gi; a Madrid international registration is_madrid.
MARK_KINDS = ("ordinary", "collective", "certification", "special")
# Dated recognitions of enterprises (docs/recognitions.md).
RECOGNITION_KINDS = ("ip_advantage", "ip_demonstration", "ip_standard", "high_tech")
RECOGNITION_LEVELS = ("national", "provincial", "municipal", "district", "none")

# What a bare current-status word (有效 / 失效 / 审中) says, kept as a snapshot on the export date
# (table status_snapshots), never turned into a dated event.
SNAPSHOT_STATUSES = ("in_force", "ended", "pending")


def columns(table: str) -> list[str]:
    cols = []
    for line in TABLES[table].strip().splitlines():
        name = line.strip().split()[0]
        if name != "PRIMARY" and name not in _STORE_COLUMNS:
            cols.append(name)
    return cols


def empty_frame(table: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns(table)})


BATCH_TABLES = (
    "applications", "ipc_classes", "publications", "parties", "legal_events",
    "family_members", "pledges", "awards", "population", "trademark_counts", "enterprises",
    "status_snapshots", "trademarks", "trademark_events", "market_entities", "recognitions", "citations",
    "inventors", "navigation_projects", "pledge_contracts", "pledge_items", "pledge_changes", "claims",
)


@dataclass
class Batch:
    """Validated canonical rows from one file, table by table."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)

    def get(self, table: str) -> pd.DataFrame:
        frame = self.frames.get(table)
        return frame if frame is not None else empty_frame(table)

    def set(self, table: str, rows: list[dict] | pd.DataFrame) -> None:
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
        frame = frame.reindex(columns=columns(table))
        self.frames[table] = frame

    def tables(self) -> list[str]:
        return [t for t in BATCH_TABLES if t in self.frames and len(self.frames[t])]


@dataclass(frozen=True)
class RowError:
    """One rejected value: where it is and why, in words a user can act on."""

    file: str
    row: int
    field: str
    value: str
    reason: str
