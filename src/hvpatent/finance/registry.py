"""The pledge registry on any day, and its statistics (docs/finance.md).  OWNER: helper H2 (stub)."""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

STAT_DIMENSIONS = ("period", "bank", "enterprise", "industry", "town")


def contracts(con: ibis.BaseBackend) -> ir.Table:
    raise NotImplementedError


def items(con: ibis.BaseBackend) -> ir.Table:
    raise NotImplementedError


def contracts_on(con: ibis.BaseBackend, as_of: date) -> ir.Table:
    raise NotImplementedError


def items_on(con: ibis.BaseBackend, as_of: date) -> ir.Table:
    raise NotImplementedError


def bank_filter(table: ir.Table, bank: str, column: str = "pledgee_norm") -> ir.Table:
    raise NotImplementedError


def pledge_statistics(con: ibis.BaseBackend, start: date, end: date, *, by: str = "period",
                      region: str | None = None, kind: str = "all", bank: str | None = None) -> list[dict]:
    raise NotImplementedError


def statistics_contracts(con: ibis.BaseBackend, start: date, end: date, *, by: str = "period",
                         group: str | None = None, region: str | None = None, kind: str = "all",
                         bank: str | None = None, limit: int | None = None, offset: int = 0) -> list[dict]:
    raise NotImplementedError


def contract_detail(con: ibis.BaseBackend, contract_no: str, as_of: date) -> dict | None:
    raise NotImplementedError
