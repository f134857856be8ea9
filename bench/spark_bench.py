"""The Spark benchmark of issue 13: the legal-state timelines built on Spark from the Parquet export, and the
core queries on Spark reading them, each beside DuckDB's figure and checked equal to DuckDB's answer.

    python bench/spark_bench.py --applications 100000 --workdir /tmp/spark-bench [--reuse] [--master local[2]]

Phases: generate the national world (bench/national_world.py) → `hvp import` → DuckDB's whole rebuild of
the derived tables (for comparison) → `export_parquet` → Spark session → ``build_derived`` (every derived
table rebuilt on Spark and written beside the export, force=True) → parity: each Spark-built table against
DuckDB's, row for row (DuckDB reads the Parquet Spark wrote: EXCEPT ALL both ways) → one indicator for one
county at one date, and every indicator by town for that county, on DuckDB and on Spark (first and second
run: Spark's first pays its planning), equal answers. --reuse keeps the generated files and the warehouse of
an earlier run with the same N.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scale_bench import _generate, _import, _python  # noqa: E402  (bench/ is not a package)

# DuckDB's whole rebuild of the derived tables, beside Spark's (an import has refreshed them already).
DUCK_REBUILD = """
import json, sys, time
from hvpatent.indicators import derived_tables, refresh_derived
from hvpatent.warehouse.derived import forget
from hvpatent.warehouse.store import Warehouse
with Warehouse(sys.argv[1]) as wh:
    for d in derived_tables():
        forget(wh.con, d.name)
    start = time.perf_counter()
    counts = refresh_derived(wh)
print(json.dumps({"seconds": time.perf_counter() - start, "counts": counts}))
"""

print = functools.partial(print, flush=True)  # figures appear as each phase ends


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def _parity(db: Path, folder: Path, names: list[str]) -> dict[str, str]:
    """Each Spark-built table against the warehouse's: rows only one side has, both ways."""
    import duckdb

    out = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for name in names:
            spark = f"read_parquet('{folder}/{name}.parquet/*.parquet')"
            only_spark = con.execute(f"SELECT count(*) FROM (FROM {spark} EXCEPT ALL FROM {name})").fetchone()[0]
            only_duck = con.execute(f"SELECT count(*) FROM (FROM {name} EXCEPT ALL FROM {spark})").fetchone()[0]
            rows = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            out[name] = (f"{rows:,} rows, equal" if only_spark == only_duck == 0
                         else f"{rows:,} rows, {only_spark} only on Spark, {only_duck} only in DuckDB: DIFFERENT")
    return out


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a))
    return a == b


def _queries(con, day: date, region: str) -> dict[str, tuple[float, object]]:
    """The two core questions, each run twice: (seconds, answer)."""
    from hvpatent.indicators import INDICATORS, Context, value
    from hvpatent.indicators.compute import grouped_many

    def one():
        return value(Context.create(con, day, "year", region), "valid_inventions")

    def by_town():
        ctx = Context.create(con, day, "year", region)
        return dict(zip(INDICATORS, grouped_many([(ctx, key) for key in INDICATORS], "town"), strict=True))

    out = {}
    for label, fn in (("one", one), ("by_town", by_town)):
        first, answer = _timed(fn)
        second, _ = _timed(fn)
        out[label] = (first, second, answer)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="2g")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    n, work = args.applications, args.workdir
    work.mkdir(parents=True, exist_ok=True)
    db, folder = work / "national.duckdb", work / "parquet"
    table: list[tuple[str, str]] = []

    def row(what: str, measured: str) -> None:
        table.append((what, measured))
        print(f"{what}: {measured}")

    paths, generated = _generate(work, n, args.reuse)
    row("generate (national_world)", generated)
    wall, peak = _import(db, paths, args.reuse)
    row("hvp import", "reused" if wall is None else f"{wall:.1f} s, {n / wall:,.0f} apps/s, peak {peak:,.0f} MiB")
    _, r_peak, r = _python(DUCK_REBUILD, str(db))
    row("DuckDB build of the derived tables (all rebuilt)", f"{r['seconds']:.1f} s, peak {r_peak:,.0f} MiB")

    from hvpatent.warehouse.spark import build_derived, derived_names, export_parquet, spark_backend, spark_session
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(db, read_only=True) as wh:
        seconds, exported = _timed(export_parquet, wh, folder)
        duck_counts = wh.con.execute("SELECT county_code, count(*) FROM parties WHERE seq = 1 AND county_code "
                                     "IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 50").fetchall()
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    row("export_parquet (DuckDB COPY)", f"{seconds:.1f} s, {len(exported)} tables, {size / 2**20:,.0f} MiB")

    seconds, session = _timed(spark_session, args.master, conf={"spark.driver.memory": args.driver_memory})
    row(f"Spark session ({args.master}, driver {args.driver_memory})", f"{seconds:.1f} s")
    seconds, built = _timed(build_derived, session, folder, force=True)
    row("Spark build of the derived tables", f"{seconds:.1f} s (" + ", ".join(
        f"{name} {s:.1f} s" for name, s in built.items()) + ")")
    for name, verdict in _parity(db, folder, derived_names()).items():
        row(f"  parity {name}", verdict)

    rng = random.Random(args.seed)
    region = rng.choice(duck_counts)[0]
    day = date(2015, 1, 1) + timedelta(days=rng.randrange((date(2024, 12, 31) - date(2015, 1, 1)).days))
    with Warehouse(db, read_only=True) as wh:
        duck = _queries(wh.ibis(), day, region)
    spark = _queries(spark_backend(session, folder), day, region)
    labels = {"one": f"valid_inventions, county {region} at {day}",
              "by_town": f"all indicators by town, county {region} at {day}"}
    for key, label in labels.items():
        d, s = duck[key], spark[key]
        verdict = "equal answers" if _same(d[2], s[2]) else f"DIFFERENT: DuckDB {d[2]!r:.200} Spark {s[2]!r:.200}"
        row(label, f"Spark {s[0]:.1f} s / {s[1]:.1f} s, DuckDB {d[0]:.2f} s / {d[1]:.2f} s (first / second); "
                   f"{verdict}")
    session.stop()

    print(f"\nspark bench, {n:,} applications; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} at the end")
    width = max(len(what) for what, _ in table)
    for what, measured in table:
        print(f"  {what:<{width}}  {measured}")


if __name__ == "__main__":
    main()
