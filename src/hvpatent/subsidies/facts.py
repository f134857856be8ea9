"""The warehouse facts a policy item pays for (docs/subsidies.md): events in a period.  STUB — owned by h2."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import ibis

from hvpatent.subsidies.policy import Item


@dataclass(frozen=True)
class Applicant:
    seq: int
    name_norm: str
    name: str
    applicant_type: str
    town_code: str | None


@dataclass(frozen=True)
class Event:
    item: str
    kind: str
    subject_kind: str            # patent | enterprise
    subject_key: str             # app_no, app_no@OFFICE (grant_abroad), or the enterprise's normalised name
    subject_name: str | None
    app_no: str | None
    event_key: str               # names the one event paid: a live ledger row holds it
    event_date: date
    applicants: tuple[Applicant, ...]
    facts: dict = field(default_factory=dict)   # evidence, JSON-able


def events(con: ibis.BaseBackend, item: Item, start: date, end: date, *, as_of: date) -> list[Event]:
    raise NotImplementedError
