"""`hvp spark …`: work on a Parquet export with Spark, without the DuckDB file (docs/spark.md).

`hvp spark build-timelines DIR` builds the derived tables (legal-state timelines, SEI and industry
memberships) on the cluster named by `--spark-master`, from the canonical tables `hvp export-parquet`
wrote to DIR, and writes them beside them; the queries then read them (`--engine spark --spark-data DIR`).
"""

from __future__ import annotations

import time
from typing import Annotated

import typer

from hvpatent.cli.common import app, console, err_console, settings

spark_app = typer.Typer(help="在 Spark 上处理 Parquet 导出 / Spark on a Parquet export", no_args_is_help=True)
app.add_typer(spark_app, name="spark")


@spark_app.command("build-timelines")
def build_timelines_cmd(
    folder: Annotated[str, typer.Argument(help="hvp export-parquet 的输出目录（本地、hdfs://、s3a://）")],
    force: Annotated[bool, typer.Option("--force", help="已是最新的也重建 / rebuild current tables too")] = False,
) -> None:
    """在 Spark 上构建法律状态时间线与 SEI、产业归属 / build the timelines and memberships on Spark."""
    from pyspark.errors import AnalysisException

    from hvpatent.warehouse.spark import build_derived, spark_session

    start = time.perf_counter()
    # Not stopped here: the process ends with the command, and in-process callers (tests) keep their session.
    session = spark_session(settings["spark_master"])
    try:
        with err_console.status("在 Spark 上构建派生表 / building the derived tables on Spark"):
            built = build_derived(session, folder, force=force, progress=lambda name, seconds: err_console.print(
                f"{name}: {seconds:.1f} s"))
    except AnalysisException as exc:  # a missing folder or table: say which, without the JVM's stack
        err_console.print(f"构建失败 / build failed: {folder}: {str(exc).splitlines()[0]}", style="red",
                          markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if not built:
        console.print("派生表均已是最新 / the derived tables are up to date")
        return
    console.print(f"已写入 {len(built)} 张派生表 / wrote {len(built)} derived tables to {folder} "
                  f"({time.perf_counter() - start:.1f} s)")
