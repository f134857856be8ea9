"""The few pieces every part of the subsidies room speaks the same way: money to the cent, a message in Chinese and
English, one step of a rule trace, and whether the warehouse has a table (a workflow table is missing from a
warehouse made before it)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import duckdb

CENT = Decimal("0.01")


def money(value: object) -> Decimal:
    """Yuan to the cent, half up."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def say(zh: str, en: str) -> str:
    return f"{zh} / {en}"


def plain(value: object) -> object:
    """A JSON-able copy: dates and Decimals as text, tuples as lists."""
    if isinstance(value, Decimal | date):
        return str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def step(rule: str, used: dict, result: object, ok: bool = True, note: str | None = None) -> dict:
    """One step of a rule trace (eligibility's and the ledger's): the rule, the facts it used, its result."""
    return {"rule": rule, "facts": plain(used), "result": plain(result), "ok": ok, "note": note}


def table_exists(duck: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(duck.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                             [name]).fetchone()[0])
