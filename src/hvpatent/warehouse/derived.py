"""Derived tables: what analytics compute once per application and keep (legal-state timelines, SEI and
industry memberships), refreshed for the applications an import touched.

Storage only: which applications are stale, which fingerprint each derived table was built with, and
replacing the rows of a batch of applications in one transaction. What the rows are is decided by the
builders the analytics pass in (indicators.refresh_derived).

A derived table is *current* when its stored fingerprint equals the analytics' and no application is
stale; readers use it only then, and compute from the canonical tables otherwise, so a derived table
never gives an answer the rules would not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends.sql.datatypes import DuckDBType

META, STALE = "derived_meta", "derived_stale"
T = TypeVar("T")
BATCH = "derived_batch"  # the temporary table of the applications being rebuilt
# Applications rebuilt per transaction: bounds the memory of one batch's joins (about 1 GiB at 500,000).
BATCH_SIZE = 250_000


@dataclass(frozen=True)
class Derived:
    name: str
    fingerprint: str
    # (backend, applications to build) -> the table's rows for them, keyed by app_no
    build: Callable[[ibis.BaseBackend, ir.Table], ir.Table]


def fingerprint_of(basis: dict) -> str:
    """A short, stable digest of what a derived table is built with (rules, settings, a version)."""
    text = json.dumps(basis, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def mark_stale(con, app_nos: pa.ChunkedArray) -> None:
    """Record applications whose derived rows must be rebuilt (called inside an import's transaction)."""
    stale = pa.table({"app_no": app_nos.unique()})
    if stale.num_rows:
        # Read by name from this frame (DuckDB's replacement scan), not registered: a registered view stays
        # in the import's transaction, with its data, until the commit (warehouse/store.py `_stage`).
        con.execute(f"INSERT INTO {STALE} SELECT app_no FROM stale")


def forget(con, name: str) -> None:
    """Make a derived table not current (its inputs changed wholesale, e.g. a new SEI table)."""
    con.execute(f"DELETE FROM {META} WHERE name = ?", [name])


def once_per_digest(warehouse, name: str, digest: str, read: Callable[[object], T],
                    write: Callable[[object, T], int]) -> int:
    """Bring a stored column up to the rules that wrote it, once per digest of those rules (a ``name`` row of
    derived_meta): ``read`` what must be rewritten, then ``write`` it and store the digest in one transaction.
    Returns what ``write`` returns (rows rewritten); 0 when the stored digest is already this one."""
    con = warehouse.con
    with warehouse.lock:
        stored = con.execute(f"SELECT fingerprint FROM {META} WHERE name = ?", [name]).fetchall()
        if stored and stored[0][0] == digest:
            return 0
        found = read(con)
        con.begin()
        try:
            count = write(con, found)
            con.execute(f"INSERT OR REPLACE INTO {META} VALUES (?, ?, ?)", [name, digest, datetime.now()])
            con.commit()
        except BaseException:
            con.rollback()
            raise
        return count


def is_current(backend: ibis.BaseBackend, name: str, fingerprint: str) -> bool:
    """Whether ``name`` exists, was built with ``fingerprint`` and no application is stale."""
    try:
        meta = backend.table(META)
        backend.table(name)
    except Exception:
        return False
    rows = meta.filter(meta.name == name).select("fingerprint").to_pyarrow().to_pylist()
    if not rows or rows[0]["fingerprint"] != fingerprint:
        return False
    return int(backend.table(STALE).count().execute()) == 0


def stale_count(con) -> int:
    return con.execute(f"SELECT count(DISTINCT app_no) FROM {STALE}").fetchall()[0][0]


def refresh(warehouse, derived: list[Derived], progress: Callable[[int, int], None] | None = None,
            batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Bring every derived table up to date; returns the applications rebuilt per table.

    A table built with another fingerprint (or never) is rebuilt whole; the others only for the stale
    applications. Each batch of applications is one transaction; the stale marks go last, so an
    interrupted refresh leaves the tables not current (readers compute directly) and the next one
    finishes the work.
    """
    con = warehouse.con
    with warehouse.lock:
        current = dict(con.execute(f"SELECT name, fingerprint FROM {META}").fetchall())
        tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        whole = [d for d in derived if current.get(d.name) != d.fingerprint or d.name not in tables]
        partial = [d for d in derived if d not in whole]
        done: dict[str, int] = {}
        if whole:
            for d in whole:
                forget(con, d.name)
                con.execute(f"DROP TABLE IF EXISTS {d.name}")
            done.update(_rebuild(warehouse, whole, "SELECT app_no FROM applications", progress, batch_size))
        if partial and stale_count(con):
            done.update(_rebuild(warehouse, partial, f"SELECT DISTINCT app_no FROM {STALE}", progress, batch_size))
        con.begin()
        try:
            con.execute(f"DELETE FROM {STALE}")
            for d in derived:
                con.execute(f"INSERT OR REPLACE INTO {META} VALUES (?, ?, ?)", [d.name, d.fingerprint, datetime.now()])
            con.commit()
        except BaseException:
            con.rollback()
            raise
        return done


def _rebuild(warehouse, derived: list[Derived], apps_sql: str, progress, batch_size: int) -> dict[str, int]:
    con = warehouse.con
    con.execute(f"""CREATE OR REPLACE TEMP TABLE derived_set AS
                    SELECT app_no, (row_number() OVER (ORDER BY app_no) - 1) // {int(batch_size)} AS part
                    FROM ({apps_sql})""")
    total, parts = con.execute("SELECT count(*), coalesce(max(part) + 1, 0) FROM derived_set").fetchall()[0]
    con.execute(f"CREATE OR REPLACE TEMP TABLE {BATCH} (app_no VARCHAR)")
    backend = warehouse.ibis()
    exprs = {d.name: d.build(backend, backend.table(BATCH)) for d in derived}
    queries = {name: backend.compile(expr) for name, expr in exprs.items()}
    for name, expr in exprs.items():
        # The types Ibis gives, not those DuckDB infers (date arithmetic yields TIMESTAMP in SQL).
        columns = ", ".join(f'"{c}" {DuckDBType.to_string(t)}' for c, t in expr.schema().items())
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")
    finished = 0
    for part in range(parts):
        con.begin()
        try:
            con.execute(f"DELETE FROM {BATCH}")
            con.execute(f"INSERT INTO {BATCH} SELECT app_no FROM derived_set WHERE part = ?", [part])
            for d in derived:
                con.execute(f"DELETE FROM {d.name} WHERE app_no IN (SELECT app_no FROM {BATCH})")
                con.execute(f"INSERT INTO {d.name} SELECT * FROM ({queries[d.name]})")
            con.commit()
        except BaseException:
            con.rollback()
            raise
        finished += con.execute(f"SELECT count(*) FROM {BATCH}").fetchall()[0][0]
        if progress:
            progress(finished, total)
    con.execute("DROP TABLE IF EXISTS derived_set")
    return {d.name: total for d in derived}
