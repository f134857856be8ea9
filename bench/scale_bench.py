"""The national-scale benchmark of issue 13: generate a national world, import it with the real importer,
refresh the derived tables, then time the questions a provincial or national bureau asks, each in a fresh
process, and print the figures beside the issue's targets.

    python bench/scale_bench.py --applications 100000 --workdir /tmp/scale [--reuse]

Phases: generate (bench/national_world.py) → `hvp import` (peak memory of the process) → derived tables
(hvpatent.indicators.refresh_derived, skipped where it does not exist yet) → one indicator for one region at
a random date, end to end (open the warehouse, compute, close) → every plan target with its eight
quarter-end trend → figures(by="county") at one date → the five core indicators by hand-written SQL
(bench/reference_sql.py) against hvpatent, for one region and for every county: time ratio, equal answers.
--reuse keeps the generated files and the warehouse of an earlier run with the same N.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
HVP = str(Path(sys.executable).parent / "hvp")


def _python(code: str, *args: str) -> tuple[float, float, dict]:
    """Run ``code`` in a fresh interpreter; it prints one JSON object as its last line."""
    wall, peak, out = _run_rusage([sys.executable, "-c", code, *args])
    return wall, peak, json.loads(out.strip().splitlines()[-1])


def _run_rusage(args: list[str]) -> tuple[float, float, str]:
    """Run a child process; returns wall seconds, the child's own peak RSS in MiB (collected by wait4) and its
    stdout. Output goes through files, not pipes, so a chatty child (progress bars) never blocks."""
    import tempfile

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode:
        raise RuntimeError(f"{' '.join(args[:3])}… failed ({proc.returncode}):\n{(stderr or stdout)[-3000:]}")
    return wall, usage.ru_maxrss / 1024, stdout


ONE_INDICATOR = """
import json, sys, time
from datetime import date
start = time.perf_counter()
from hvpatent.indicators import Context, value
from hvpatent.warehouse.store import Warehouse
imported = time.perf_counter()
with Warehouse(sys.argv[1], read_only=True) as wh:
    ctx = Context.create(wh.ibis(), date.fromisoformat(sys.argv[2]), "year", sys.argv[3])
    figure = value(ctx, sys.argv[4])
done = time.perf_counter()
print(json.dumps({"value": figure, "seconds": done - imported, "imports": imported - start}))
"""

PLAN = """
import json, sys, time
from datetime import date
start = time.perf_counter()
from hvpatent.plan import load_plan, plan_progress
from hvpatent.warehouse.store import Warehouse
imported = time.perf_counter()
with Warehouse(sys.argv[1], read_only=True) as wh:
    results = plan_progress(wh.ibis(), load_plan(), date.fromisoformat(sys.argv[2]))
done = time.perf_counter()
print(json.dumps({"targets": len(results), "trend_points": sum(len(r.trend) for r in results),
                  "seconds": done - imported, "imports": imported - start}))
"""

RANKING = """
import json, sys, time
from datetime import date
start = time.perf_counter()
from hvpatent.cli.analysis import RANKING_KEYS
from hvpatent.indicators import figures
from hvpatent.warehouse.store import Warehouse
imported = time.perf_counter()
with Warehouse(sys.argv[1], read_only=True) as wh:
    rows = figures(wh.ibis(), date.fromisoformat(sys.argv[2]), None, by="county", keys=list(RANKING_KEYS))
done = time.perf_counter()
print(json.dumps({"rows": len(rows), "counties": len({r["group"] for r in rows}), "seconds": done - imported,
                  "imports": imported - start}))
"""

REFERENCE = """
import json, sys, time
from datetime import date
sys.path.insert(0, sys.argv[4])
import duckdb, ibis
from reference_sql import county_figures, differences, hvpatent_figures, region_figures
day, region, by_county = date.fromisoformat(sys.argv[2]), sys.argv[3] or None, sys.argv[5] == "county"
con = duckdb.connect(sys.argv[1], read_only=True)
start = time.perf_counter()
ref = county_figures(con, day) if by_county else {"all": region_figures(con, day, region)}
ref_s = time.perf_counter() - start
start = time.perf_counter()
hvp = hvpatent_figures(ibis.duckdb.from_connection(con), day, None if by_county else region,
                       "county" if by_county else None)
hvp_s = time.perf_counter() - start
diff = differences(ref, hvp)
print(json.dumps({"reference": ref_s, "hvpatent": hvp_s, "groups": len(ref), "differences": diff[:20],
                  "n_differences": len(diff)}))
"""


def _generate(workdir: Path, n: int, reuse: bool) -> tuple[list[Path], str]:
    out = workdir / "world"
    marker = out / "files.json"
    if reuse and marker.is_file():
        return [Path(p) for p in json.loads(marker.read_text())], "reused"
    sys.path.insert(0, str(HERE))
    from national_world import counties, generate

    counties()  # checked once, outside the timing: the addresses of every county against the attribution
    start = time.perf_counter()
    paths = generate(out, n)
    elapsed = time.perf_counter() - start
    marker.write_text(json.dumps([str(p) for p in paths]))
    return paths, f"{elapsed:.1f} s, {n / elapsed:,.0f} rows/s"


def _import(db: Path, paths: list[Path], reuse: bool) -> tuple[float | None, float | None]:
    if reuse and db.is_file():
        return None, None
    db.unlink(missing_ok=True)
    wall, peak, _ = _run_rusage([HVP, "--db", str(db), "import", *map(str, paths)])
    return wall, peak


REFRESH = """
import json, sys, time
import hvpatent.indicators as indicators
from hvpatent.warehouse.store import Warehouse
refresh = getattr(indicators, "refresh_derived", None)
if refresh is None:
    print(json.dumps({"skipped": True}))
    raise SystemExit
start = time.perf_counter()
with Warehouse(sys.argv[1]) as wh:
    counts = refresh(wh)
print(json.dumps({"seconds": time.perf_counter() - start, "counts": counts}))
"""


def main() -> None:
    import functools

    global print
    print = functools.partial(print, flush=True)  # figures appear as each phase ends
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    n, work = args.applications, args.workdir
    work.mkdir(parents=True, exist_ok=True)
    db = work / "national.duckdb"
    rng = random.Random(args.seed)
    table: list[tuple[str, str, str]] = []

    paths, generated = _generate(work, n, args.reuse)
    table.append(("generate (national_world)", generated, "≥ 50,000 rows/s"))
    print(f"generate: {generated}")
    wall, peak = _import(db, paths, args.reuse)
    imported = "reused" if wall is None else f"{wall:.1f} s, {n / wall:,.0f} apps/s, peak {peak:,.0f} MiB"
    table.append(("hvp import", imported, "10 M: < 10 min (≥ 17,000 apps/s), < 4 GiB"))
    print(f"import: {imported}")

    # Always run: on a reused warehouse it brings the derived tables up to date (nothing to do when current).
    _, r_peak, r = _python(REFRESH, str(db))
    refreshed = ("skipped: hvpatent.indicators.refresh_derived not present" if r.get("skipped")
                 else f"{r['seconds']:.1f} s, peak {r_peak:,.0f} MiB")
    table.append(("derived tables refresh", refreshed, "—"))
    print(f"refresh: {refreshed}")

    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        busy = con.execute("SELECT county_code, count(*) FROM parties WHERE seq = 1 AND county_code IS NOT NULL "
                           "GROUP BY 1 ORDER BY 2 DESC LIMIT 50").fetchall()
    region = rng.choice(busy)[0]
    day = date(2015, 1, 1) + timedelta(days=rng.randrange((date(2024, 12, 31) - date(2015, 1, 1)).days))
    wall, _, r = _python(ONE_INDICATOR, str(db), day.isoformat(), region, "valid_inventions")
    table.append((f"one indicator, {region} at {day}",
                  f"{r['seconds']:.2f} s (process {wall:.1f} s, imports {r['imports']:.1f} s); value {r['value']}",
                  "10 M: < 1 s end to end"))
    print(table[-1])

    plan_day = date(2024, 12, 31)
    wall, _, r = _python(PLAN, str(db), plan_day.isoformat())
    table.append((f"plan progress, {r['targets']} targets × 8 quarter-ends",
                  f"{r['seconds']:.2f} s (process {wall:.1f} s)", "10 M: < 3 s"))
    print(table[-1])

    wall, peak, r = _python(RANKING, str(db), plan_day.isoformat())
    table.append(("figures(by=county), 6 indicators, now / previous / last year",
                  f"{r['seconds']:.1f} s, {r['counties']:,} counties, peak {peak:,.0f} MiB", "10 M: < 60 s"))
    print(table[-1])

    for label, by, where in (("one region", "region", region), ("every county", "county", "")):
        _, _, r = _python(REFERENCE, str(db), plan_day.isoformat(), where, str(HERE), by)
        verdict = "equal answers" if not r["n_differences"] else f"{r['n_differences']} DIFFERENCES"
        table.append((f"five indicators, {label}: hvpatent / reference SQL",
                      f"{r['hvpatent'] / r['reference']:.2f}× ({r['hvpatent']:.2f} s / {r['reference']:.2f} s); "
                      f"{verdict}", "≤ 1.5×, equal answers"))
        print(table[-1])
        for line in r["differences"]:
            print("   ", line)

    print(f"\nscale bench, {n:,} applications ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")
    width = max(len(row[0]) for row in table)
    for what, measured, target in table:
        print(f"  {what:<{width}}  {measured:<70}  target: {target}")


if __name__ == "__main__":
    main()
