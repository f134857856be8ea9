"""Outputs a user can send: tables to Excel now; bulletins (Word/Excel/PDF) build on this."""

from hvpatent.reports.tables import COLUMN_LABELS, to_frame, write_xlsx

__all__ = ["COLUMN_LABELS", "to_frame", "write_xlsx"]
