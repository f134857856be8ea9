"""The distributed path: the same Ibis analytics on Apache Spark.

The warehouse's tables are written as Parquet (DuckDB's COPY) to a folder that the Spark
cluster can read — local disk for `local[*]`, shared storage (HDFS, S3, NFS) for a cluster —
and registered as Spark views under the same names, so every analytics function that takes an
Ibis backend runs unchanged.  docs/spark.md explains how to point `hvp` at a cluster.

The derived tables (legal-state timelines, SEI and industry memberships, first applicants with their
regions, high-value criterion periods: warehouse/derived.py) travel
with the export when they are current, or are built on the cluster itself from the canonical Parquet
tables by the same Ibis builders (``build_derived``), so a cluster needs no DuckDB file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import ibis

from hvpatent.warehouse.derived import META, STALE, is_current
from hvpatent.warehouse.schema import LATER_TABLES, TABLES
from hvpatent.warehouse.store import Warehouse


def _derived():
    from hvpatent.indicators import derived_tables

    return derived_tables()


def derived_names() -> list[str]:
    """The derived tables that travel with an export (indicators.derived_tables() builds them)."""
    return [d.name for d in _derived()]


def export_parquet(warehouse: Warehouse, folder: Path) -> list[Path]:
    """Every canonical table as ``folder/<table>.parquet``, and each derived table that is current.

    A derived table that is not current (never built, built with other rules, or applications imported
    since) is left out and any older copy of it removed, so Spark computes from the events as DuckDB would.
    """
    folder.mkdir(parents=True, exist_ok=True)
    backend = warehouse.ibis()
    current = [d.name for d in _derived() if is_current(backend, d.name, d.fingerprint)]
    paths = []
    existing = {row[0] for row in warehouse.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    for table in [*TABLES, *current]:
        if table not in existing:  # a warehouse last written by an older version, opened read-only
            continue
        path = folder / f"{table}.parquet"
        _remove(path)  # Spark writes a table as a folder; DuckDB's COPY wants the path free
        warehouse.con.execute(f"COPY {table} TO '{path}' (FORMAT parquet)")
        paths.append(path)
    for name in set(derived_names()) - set(current):
        _remove(folder / f"{name}.parquet")
    return paths


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def spark_session(master: str = "local[2]", app_name: str = "hvpatent", conf: dict[str, str] | None = None):
    from pyspark.sql import SparkSession

    # Under spark-submit its --master and --conf decide (a master set here would override them).
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ
    builder = SparkSession.builder if submitted else SparkSession.builder.master(master)
    builder = (
        builder.appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        # The legal-state expression is wide; whole-stage code generation of it exceeds the JVM's
        # method size and Spark falls back anyway, noisily. Interpreted evaluation is the same.
        .config("spark.sql.codegen.wholeStage", "false")
    )
    if not submitted:  # `hvp` itself is the driver: no web UI, no progress bars in its output
        builder = builder.config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
    if master.startswith("local") and not submitted:
        # One machine: few partitions, and no adaptive re-planning, which costs more than it saves here.
        builder = (builder.config("spark.sql.shuffle.partitions", "2").config("spark.driver.memory", "2g")
                   .config("spark.sql.adaptive.enabled", "false"))
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_backend(session, parquet_folder: Path | str) -> ibis.BaseBackend:
    """An Ibis backend whose tables are the Parquet files of an exported warehouse (and its derived
    tables where the folder has them)."""
    # derived_meta / derived_stale are optional too: an export of an older warehouse has neither
    # and so is a table added since (the readers treat it as empty)
    canonical = [t for t in TABLES if t not in (META, STALE, *LATER_TABLES)]
    _register(session, str(parquet_folder).rstrip("/"), canonical, [META, STALE, *LATER_TABLES, *derived_names()])
    return _with_cache_fix(ibis.pyspark.connect(session))


def _with_cache_fix(backend: ibis.BaseBackend) -> ibis.BaseBackend:
    """Ibis's PySpark backend caches an expression (``Table.cache()``) without first registering the
    in-memory tables it reads, as every execution does; Context.prefetch caches a join with a memtable
    of days, which then fails with TABLE_OR_VIEW_NOT_FOUND. Register them first (Ibis 12)."""
    create = backend._create_cached_table

    def create_cached_table(name, expr):
        backend._run_pre_execute_hooks(expr)
        return create(name, expr)

    backend._create_cached_table = create_cached_table
    return backend


def _register(session, folder: str, tables: list[str], optional: list[str]) -> None:
    """Each table as a view of its Parquet file (or folder); an optional one that is missing has no view."""
    from pyspark.errors import AnalysisException

    for table in tables:
        session.read.parquet(f"{folder}/{table}.parquet").createOrReplaceTempView(table)
    for table in optional:
        try:  # asking Spark, not the local disk: the folder may be on HDFS or S3
            frame = session.read.parquet(f"{folder}/{table}.parquet")
        except AnalysisException:
            session.catalog.dropTempView(table)  # none here: readers compute from the events
            continue
        frame.createOrReplaceTempView(table)


def spark_from_warehouse(warehouse: Warehouse, master: str = "local[2]", folder: Path | None = None):
    """Export the warehouse and open it on Spark; returns (backend, session)."""
    folder = folder or Path(tempfile.mkdtemp(prefix="hvpatent-parquet-"))
    export_parquet(warehouse, folder)
    session = spark_session(master)
    return spark_backend(session, folder), session


def build_derived(session, parquet_folder: Path | str, force: bool = False,
                  progress: Callable[[str, float], None] | None = None) -> dict[str, float]:
    """Build the derived tables on Spark from the canonical Parquet tables of ``parquet_folder`` and write
    them beside them, with a derived_meta of their fingerprints and an empty derived_stale, as a DuckDB
    refresh would leave them. Tables already current are kept unless ``force``. Returns the seconds each
    table took; ``progress(name, seconds)`` is called as each is written.

    The builders are those of the warehouse's refresh (indicators.derived_tables), run for every
    application. Their fingerprints are written last: a build cut short leaves the tables not current,
    and readers compute from the events meanwhile.
    """
    folder = str(parquet_folder).rstrip("/")
    con = spark_backend(session, folder)
    todo = [d for d in _derived() if force or not is_current(con, d.name, d.fingerprint)]
    if not todo:
        return {}
    names = {d.name for d in todo}
    known = session.table(META).collect() if session.catalog.tableExists(META) else []
    meta = [row.asDict() for row in known if row["name"] not in names]
    _write_meta(session, folder, meta, stale=None)  # collected first: Spark cannot overwrite what it reads
    _register(session, folder, [META], [])
    every = con.table("applications").select("app_no")
    done: dict[str, float] = {}
    for d in todo:
        start = time.perf_counter()
        expr = d.build(con, every)
        # Ibis's types, not Spark's inferred ones, as DuckDB's refresh stores them.
        con.to_parquet(expr.cast(expr.schema()), f"{folder}/{d.name}.parquet", mode="overwrite")
        done[d.name] = time.perf_counter() - start
        if progress:
            progress(d.name, done[d.name])
    built_at = datetime.now()
    meta += [{"name": d.name, "fingerprint": d.fingerprint, "built_at": built_at} for d in todo]
    _write_meta(session, folder, meta, stale=[])
    _register(session, folder, [META, STALE], [d.name for d in todo])  # the views read the files just written
    return done


def _write_meta(session, folder: str, meta: list[dict], stale: list[str] | None) -> None:
    """Overwrite derived_meta (and derived_stale, unless None) in the folder."""
    rows = [(m["name"], m["fingerprint"], m["built_at"]) for m in meta]
    frame = session.createDataFrame(rows, "name string, fingerprint string, built_at timestamp")
    frame.coalesce(1).write.mode("overwrite").parquet(f"{folder}/{META}.parquet")
    if stale is not None:
        frame = session.createDataFrame([(a,) for a in stale], "app_no string")
        frame.coalesce(1).write.mode("overwrite").parquet(f"{folder}/{STALE}.parquet")
