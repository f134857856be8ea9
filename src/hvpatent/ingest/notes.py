"""What an import noticed besides errors: unknown event words, warnings, the export date it used."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date


@dataclass
class ImportNotes:
    unknown_events: Counter[str] = field(default_factory=Counter)  # event word -> rows
    warnings: Counter[str] = field(default_factory=Counter)        # message -> rows
    exported: date | None = None    # the export date that bare current states were stored on
    exported_from: str | None = None  # where that date came from (--exported, title row, properties)
