"""One application from several publication rows (an A row and a B row, or several files)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

T = TypeVar("T")


def latest_first(rows: list[T], pub_date: Callable[[T], date | None]) -> list[T]:
    """Rows ordered by publication date, latest first (rows without one last); ties keep file order."""
    dated = sorted((r for r in rows if pub_date(r) is not None), key=pub_date, reverse=True)
    return dated + [r for r in rows if pub_date(r) is None]


def first_filled(records: list[dict]) -> dict:
    """Per field, the first value that is not empty, in the records' order."""
    merged: dict = {}
    for record in records:
        for key, value in record.items():
            if merged.get(key) in (None, "") and value not in (None, ""):
                merged[key] = value
            else:
                merged.setdefault(key, value)
    return merged
