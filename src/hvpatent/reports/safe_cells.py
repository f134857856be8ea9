"""Cells that are safe to hand to a spreadsheet: the one place every xlsx and csv export cleans its text.

Two dangers, both from data that came in through an import (titles, applicant names, error values):

* **Formula injection** (OWASP "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection):
  a text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is taken by Excel, WPS and
  LibreOffice as a formula (``=HYPERLINK("http://…"&A1,"详情")`` sends the neighbouring cell away when
  clicked). As OWASP advises, such a text gets a leading single quote ``'``, so it is shown as text and no
  spreadsheet evaluates it; the xlsx writer also stores it as a string cell.
* **Characters XML forbids** (XML 1.0 §2.2 "Characters": C0 controls other than tab, LF, CR; lone
  surrogates; U+FFFE, U+FFFF): openpyxl refuses them (``IllegalCharacterError``), so one NUL in one title
  would fail every export of that data. They become U+FFFD (the replacement character) instead.

Numbers, dates and booleans pass unchanged: a negative number stays a number.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
REPLACEMENT = "\ufffd"
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")


def clean_text(text: str) -> str:
    """The text with every character XML 1.0 forbids replaced by U+FFFD."""
    return _ILLEGAL.sub(REPLACEMENT, text)


def neutralise(text: str) -> str:
    """The text cleaned, and quoted with ``'`` when a spreadsheet would read it as a formula."""
    text = clean_text(text)
    return "'" + text if text.startswith(FORMULA_START) else text


def safe_value(value: object) -> object:
    """Any cell value made safe: text is neutralised, everything else is returned as it is."""
    return neutralise(value) if isinstance(value, str) else value


def safe_row(values) -> list:
    """A row for a csv writer (or any other), every text cell neutralised."""
    return [safe_value(v) for v in values]


def sheet_title(title: str) -> str:
    """A worksheet name Excel accepts: no forbidden characters, at most 31 of them, never empty."""
    name = _SHEET_TITLE_FORBIDDEN.sub("_", clean_text(title)).strip("'")[:31]
    return name or "Sheet"


def flat_cell(value: object) -> object:
    """A list (a request's patents, a bundle's suggestion) as one cell joined by '; '; None as an empty cell."""
    if isinstance(value, list | tuple):
        return "; ".join("" if v is None else str(v) for v in value)
    return "" if value is None else value


def csv_text(rows: list[dict], columns: list[str] | None = None, headers: list[str] | None = None) -> str:
    """The rows as CSV text (RFC 4180 line ends), every cell flattened and made safe: the one CSV writer of the
    exports.  ``columns`` picks and orders the keys (default: every key, in first-seen order); ``headers`` are the
    words of the header row (default: the keys).  A file for Excel wants it encoded as 'utf-8-sig' (a BOM)."""
    import csv
    import io

    columns = columns or list(dict.fromkeys(k for r in rows for k in r))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(safe_row(headers or columns))
    for r in rows:
        writer.writerow(safe_row(flat_cell(r.get(c)) for c in columns))
    return buffer.getvalue()
