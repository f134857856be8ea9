"""Import benchmark: generate N synthetic applications, import them, import the same rows again from
another file (every application known: the merge path, nothing changes), then compute the legal state
of all of them as of one date.  Prints applications/second and peak memory (RSS) of each phase: of the
importing process and of its largest worker process (ingest/parallel.py), beside issue 12's figures.

    python bench/import_bench.py --applications 1000000
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import tempfile
import time
from datetime import date
from pathlib import Path


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _generate(out: str, n: int, queue) -> None:
    from hvpatent.demo import generate_demo

    start = time.perf_counter()
    generate_demo(Path(out), applications=n, seed=7, comparison=0)
    queue.put((time.perf_counter() - start, _peak_mib()))


def _import(path: str, db: str, queue) -> None:
    from hvpatent.ingest import import_file
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(db) as wh:
        start = time.perf_counter()
        result, _ = import_file(wh, Path(path))
        elapsed = time.perf_counter() - start
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    queue.put((elapsed, _peak_mib(), workers, result.rows_inserted, result.rows_updated, result.rows_unchanged))


def _same_rows_again(csv: Path) -> Path:
    """The export with a blank line added: another file (another hash), the same rows."""
    again = csv.with_name("patents_again.csv")
    with csv.open("rb") as src, again.open("wb") as dst:
        while block := src.read(1 << 20):
            dst.write(block)
        dst.write(b"\r\n")
    return again


def _states(db: str, as_of: str, queue) -> None:
    from hvpatent.legal import legal_state
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(db, read_only=True) as wh:
        con = wh.ibis()
        start = time.perf_counter()
        expr = legal_state(con, date.fromisoformat(as_of))
        counts = expr.group_by("state").aggregate(n=expr.count()).to_pyarrow().to_pylist()
        elapsed = time.perf_counter() - start
        start = time.perf_counter()
        rows = expr.to_pyarrow().num_rows  # materialise every application's row too
        queue.put((elapsed, time.perf_counter() - start, rows, _peak_mib(), counts))


def _run(target, *args):
    queue = mp.Queue()
    proc = mp.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    import functools

    global print
    print = functools.partial(print, flush=True)  # figures appear as each phase ends
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--as-of", default="2024-06-30")
    parser.add_argument("--workdir", default=None, help="keep files here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.workdir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        out, db = str(work / "demo"), str(work / "bench.duckdb")
        Path(db).unlink(missing_ok=True)
        n = args.applications
        gen_s, gen_mib = _run(_generate, out, n)
        print(f"generate   {n:>10,} applications  {gen_s:8.1f} s  {n / gen_s:10,.0f} apps/s  peak {gen_mib:8.0f} MiB")
        csv = Path(out) / "patents_cnipa.csv"
        for label, path in (("import", csv), ("re-import", _same_rows_again(csv))):
            imp_s, imp_mib, work_mib, inserted, updated, unchanged = _run(_import, str(path), db)
            print(f"{label:<10} {n:>10,} applications  {imp_s:8.1f} s  {n / imp_s:10,.0f} apps/s  "
                  f"peak {imp_mib:8.0f} MiB (workers {work_mib:.0f} MiB each)  "
                  f"new {inserted:,} changed {updated:,} unchanged {unchanged:,}  (issue 12: 5,000 apps/s)")
        agg_s, all_s, rows, st_mib, counts = _run(_states, db, args.as_of)
        print(f"status --as-of {args.as_of}: states of {rows:,} applications counted in {agg_s:.2f} s, "
              f"all rows materialised in {all_s:.2f} s, peak {st_mib:.0f} MiB")
        print("  " + ", ".join(f"{c['state']}={c['n']:,}" for c in sorted(counts, key=lambda c: -c["n"])))


if __name__ == "__main__":
    main()
