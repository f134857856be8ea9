"""Legal state at any date: the one door of the legal room."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import ibis
import ibis.expr.types as ir

from hvpatent.legal.state import IN_FORCE, STATES, known_events, legal_state
from hvpatent.legal.timeline import states_on_dates
from hvpatent.reference.fees import FeeRules

__all__ = ["IN_FORCE", "STATES", "LegalStatus", "known_events", "legal_state", "states_on_dates", "status_of"]


@dataclass
class LegalStatus:
    app_no: str
    as_of: date
    facts: dict          # one row of legal_state()
    events: list[dict]   # the application's legal history, oldest first


def status_of(con: ibis.BaseBackend, app_no: str, as_of: date,
              rules: FeeRules | None = None, as_known_on: date | None = None) -> LegalStatus | None:
    apps = con.table("applications")
    one: ir.Table = apps.filter(apps.app_no == app_no)
    rows = legal_state(con, as_of, rules, applications=one, as_known_on=as_known_on).to_pyarrow().to_pylist()
    if not rows:
        return None
    events = known_events(con, as_known_on)
    history = (events.filter(events.app_no == app_no)
               .order_by(["event_date", "event_type"])
               .select("event_date", "event_type", "raw_text", "effective_date"))
    return LegalStatus(app_no, as_of, rows[0], history.to_pyarrow().to_pylist())
