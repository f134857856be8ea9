"""One transaction on a DuckDB connection: the workflow ledgers (finance/ledger.py, subsidies/ledger.py) change all
the rows a call names or none."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb


@contextmanager
def transaction(duck: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT on the connection; ROLLBACK on any error, which is raised on."""
    duck.execute("BEGIN TRANSACTION")
    try:
        yield duck
    except BaseException:
        duck.execute("ROLLBACK")
        raise
    duck.execute("COMMIT")
