"""Collateral candidates for banks (docs/finance-bank.md).  OWNER: helper H3 (stub)."""

from __future__ import annotations

from datetime import date

import ibis

EXCLUSIONS: dict[str, tuple[str, str]] = {}


def collateral_candidates(con: ibis.BaseBackend, as_of: date, *, region: str | None = None,
                          enterprise: str | None = None, min_remaining_years: float = 5.0,
                          frame=None) -> list[dict]:
    raise NotImplementedError


def candidate_bundles(candidates: list[dict], *, bundle_size: int = 3) -> list[dict]:
    raise NotImplementedError
