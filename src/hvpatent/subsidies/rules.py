"""Eligibility of policy items in a period, with caps, budget, exclusions and a rule trace.  STUB — owned by h3."""

from __future__ import annotations

from datetime import date

import duckdb
import ibis

from hvpatent.subsidies.policy import SubsidyPolicy

RULE_WORDS: dict[str, tuple[str, str]] = {}


def abnormal_applications(con: ibis.BaseBackend, as_of: date) -> dict[str, dict]:
    raise NotImplementedError


def eligible(con: ibis.BaseBackend, policy: SubsidyPolicy, period: str, *, as_of: date | None = None,
             ledger: duckdb.DuckDBPyConnection | None = None, region: str | None = None,
             payee: str | None = None, items: tuple[str, ...] | None = None) -> list[dict]:
    raise NotImplementedError
