"""Issuing, listing and checking bulletin editions.  OWNER: H1."""

from __future__ import annotations

from datetime import date

import duckdb
import ibis

from hvpatent.plan.model import Plan
from hvpatent.plan.registry import Plans


class EditionError(ValueError):
    pass


def due_editions(con: ibis.BaseBackend, plans: Plans, today: date, config=None) -> list[dict]:
    """The editions due on ``today`` not yet issued: {plan_key, cadence, period, as_of, due_on}."""
    raise NotImplementedError


def issue_edition(duck: duckdb.DuckDBPyConnection, con: ibis.BaseBackend, plan: Plan, cadence: str, period: str, *,
                  by: str, today: date, reason: str | None = None, config=None) -> dict:
    """Issue version 1 of the period's edition, or (``reason`` given) the next version with its changes listed."""
    raise NotImplementedError


def run_schedule(duck: duckdb.DuckDBPyConnection, con: ibis.BaseBackend, plans: Plans, today: date, *,
                 by: str = "schedule", config=None) -> list[dict]:
    """Issue every edition due on ``today`` and not yet issued (idempotent: a second run issues nothing)."""
    raise NotImplementedError


def editions(con: ibis.BaseBackend, plan_key: str | None = None) -> list[dict]:
    raise NotImplementedError


def edition(con: ibis.BaseBackend, edition_id: str) -> dict:
    raise NotImplementedError


def edition_file(con: ibis.BaseBackend, edition_id: str, fmt: str) -> dict:
    raise NotImplementedError


def verify_editions(con: ibis.BaseBackend) -> list[dict]:
    """Each stored file's SHA-256 recomputed against the one recorded at issue."""
    raise NotImplementedError
