"""What an import noticed besides errors: unknown event words and warnings."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class ImportNotes:
    unknown_events: Counter[str] = field(default_factory=Counter)  # event word -> rows
    warnings: Counter[str] = field(default_factory=Counter)        # message -> rows
