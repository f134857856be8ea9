"""The distributed path: the same Ibis analytics on Apache Spark.

The warehouse's tables are written as Parquet (DuckDB's COPY) to a folder that the Spark
cluster can read — local disk for `local[*]`, shared storage (HDFS, S3, NFS) for a cluster —
and registered as Spark views under the same names, so every analytics function that takes an
Ibis backend runs unchanged.  docs/spark.md explains how to point `hvp` at a cluster.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import ibis

from hvpatent.warehouse.schema import TABLES
from hvpatent.warehouse.store import Warehouse


def export_parquet(warehouse: Warehouse, folder: Path) -> list[Path]:
    """Every canonical table as ``folder/<table>.parquet``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for table in TABLES:
        path = folder / f"{table}.parquet"
        warehouse.con.execute(f"COPY {table} TO '{path}' (FORMAT parquet)")
        paths.append(path)
    return paths


def spark_session(master: str = "local[2]", app_name: str = "hvpatent", conf: dict[str, str] | None = None):
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master).appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # The legal-state expression is wide; whole-stage code generation of it exceeds the JVM's
        # method size and Spark falls back anyway, noisily. Interpreted evaluation is the same.
        .config("spark.sql.codegen.wholeStage", "false")
    )
    if master.startswith("local"):
        # One machine: few partitions, and no adaptive re-planning, which costs more than it saves here.
        builder = (builder.config("spark.sql.shuffle.partitions", "2").config("spark.driver.memory", "2g")
                   .config("spark.sql.adaptive.enabled", "false"))
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_backend(session, parquet_folder: Path | str) -> ibis.BaseBackend:
    """An Ibis backend whose tables are the Parquet files of an exported warehouse."""
    folder = str(parquet_folder).rstrip("/")
    for table in TABLES:
        session.read.parquet(f"{folder}/{table}.parquet").createOrReplaceTempView(table)
    return ibis.pyspark.connect(session)


def spark_from_warehouse(warehouse: Warehouse, master: str = "local[2]", folder: Path | None = None):
    """Export the warehouse and open it on Spark; returns (backend, session)."""
    folder = folder or Path(tempfile.mkdtemp(prefix="hvpatent-parquet-"))
    export_parquet(warehouse, folder)
    session = spark_session(master)
    return spark_backend(session, folder), session
