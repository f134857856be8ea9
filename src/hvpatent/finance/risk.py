"""The risk watch on pledged patents (docs/finance-bank.md).  OWNER: helper H3 (stub)."""

from __future__ import annotations

from datetime import date

import ibis

RISK_KINDS: tuple[str, ...] = ()


def risk_watch(con: ibis.BaseBackend, as_of: date, *, bank: str | None = None, within_days: int = 90,
               region: str | None = None) -> list[dict]:
    raise NotImplementedError
