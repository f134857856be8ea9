"""Outputs a user can send: tables to Excel, and statistical bulletins as Word, Excel, HTML or PDF."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from hvpatent.reports.tables import COLUMN_LABELS, to_frame, write_xlsx

if TYPE_CHECKING:
    from hvpatent.reports.bulletin import Bulletin


def __getattr__(name: str):
    # The bulletin (charts, narrative, templates) loads on first use: a command that only prints a table
    # should not pay the second it takes to import.
    if name in ("Bulletin", "build_bulletin", "default_issuer"):
        from hvpatent.reports import bulletin

        return getattr(bulletin, name)
    if name in ("cultivation_section", "write_cultivation_letter"):
        from hvpatent.reports import cultivation

        return getattr(cultivation, name)
    raise AttributeError(name)

FORMATS = ("docx", "xlsx", "pdf", "html")

__all__ = ["COLUMN_LABELS", "FORMATS", "Bulletin", "build_bulletin", "cultivation_section", "default_issuer",
           "to_frame", "write_bulletin", "write_cultivation_letter", "write_xlsx"]


def write_bulletin(bulletin: Bulletin, fmt: str, path: Path) -> Path:
    """Write the bulletin in one of FORMATS."""
    if fmt == "docx":
        from hvpatent.reports.docx_writer import write_docx

        return write_docx(bulletin, path)
    if fmt == "xlsx":
        from hvpatent.reports.xlsx_writer import write_bulletin_xlsx

        return write_bulletin_xlsx(bulletin, path)
    if fmt == "html":
        from hvpatent.reports.html_writer import write_html

        return write_html(bulletin, path)
    if fmt == "pdf":
        from hvpatent.reports.html_writer import write_pdf

        return write_pdf(bulletin, path)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}")

