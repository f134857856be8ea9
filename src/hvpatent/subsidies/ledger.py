"""The subsidy ledger: applications → review → approval → payment batch → clawback.  STUB — owned by h4."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import ibis

from hvpatent.subsidies.policy import SubsidyPolicy

LEDGER_STATUSES = ("applied", "reviewed", "approved", "rejected", "paid", "clawed_back")
LEDGER_STATUS_WORDS: dict[str, tuple[str, str]] = {}


class SubsidyError(ValueError):
    """A ledger change refused: the message says why, in Chinese and English."""


def key_text(item: str, subject_key: str, period: str) -> str:
    raise NotImplementedError


def parse_key(text: str) -> tuple[str, str, str]:
    raise NotImplementedError


def apply_items(duck: duckdb.DuckDBPyConnection, con: ibis.BaseBackend, policy: SubsidyPolicy, period: str, *,
                as_of: date, by: str, keys: list[tuple[str, str, str]] | None = None, payee: str | None = None,
                items: tuple[str, ...] | None = None) -> dict:
    raise NotImplementedError


def review(duck: duckdb.DuckDBPyConnection, keys: list[tuple[str, str, str]], *, passed: bool, by: str,
           note: str | None = None) -> list[dict]:
    raise NotImplementedError


def decide(duck: duckdb.DuckDBPyConnection, policy: SubsidyPolicy, keys: list[tuple[str, str, str]], *,
           approve: bool, by: str, note: str | None = None) -> list[dict]:
    raise NotImplementedError


def pay(duck: duckdb.DuckDBPyConnection, batch: str, *, by: str,
        keys: list[tuple[str, str, str]] | None = None) -> list[dict]:
    raise NotImplementedError


def clawbacks_due(duck: duckdb.DuckDBPyConnection, con: ibis.BaseBackend, policy: SubsidyPolicy,
                  as_of: date) -> list[dict]:
    raise NotImplementedError


def claw_back(duck: duckdb.DuckDBPyConnection, key: tuple[str, str, str], *, by: str, reason: str,
              amount_yuan: object | None = None) -> dict:
    raise NotImplementedError


def ledger_rows(duck: duckdb.DuckDBPyConnection, *, period: str | None = None, item: str | None = None,
                status: str | None = None, payee: str | None = None, batch: str | None = None) -> list[dict]:
    raise NotImplementedError


def write_batch_xlsx(rows: list[dict], path: Path | str, *, lang: str = "zh", batch: str | None = None) -> Path:
    raise NotImplementedError
