"""Scale a benchmark warehouse up K times by copying its records under new numbers, for query-time figures at
sizes the importer cannot reach on this machine in a session (10 M applications at ~5,000/s is over half an
hour). Not an import benchmark: the copies are made in SQL, then the derived tables are rebuilt whole by the
product's own refresh (timed by bench/scale_bench.py --reuse).

Copy k of an application has the number ``<app_no>#k`` (and its family ``<family_id>#k``, its pledge
contracts ``<contract_no>#k``, its publications ``<pub_no>#k``); applicants, regions, dates and events are
the original's, so every count is K times the original's and rankings keep their order.

    python bench/scale_up.py --from /tmp/b1m/national.duckdb --times 10 --workdir /tmp/b10m
    python bench/scale_bench.py --applications 10000000 --workdir /tmp/b10m --reuse
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import duckdb

# table -> the columns given a "#k" suffix in each copy
SUFFIXED = {
    "applications": ("app_no", "family_id"),
    "parties": ("app_no",),
    "ipc_classes": ("app_no",),
    "publications": ("pub_no", "app_no"),
    "legal_events": ("app_no",),
    "status_snapshots": ("app_no",),
    "family_members": ("family_id", "member_no"),
    "pledges": ("contract_no", "app_no"),
    "awards": ("app_no",),
}


def scale_up(source: Path, times: int, workdir: Path) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "national.duckdb"
    shutil.copyfile(source, db)
    with duckdb.connect(str(db)) as con:
        for table, suffixed in SUFFIXED.items():
            columns = [row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()]
            start = time.perf_counter()
            for k in range(2, times + 1):
                select = ", ".join(f"CASE WHEN {c} IS NULL THEN NULL ELSE {c} || '#{k}' END" if c in suffixed else c
                                   for c in columns)
                con.execute(f"INSERT INTO {table} SELECT {select} FROM {table} WHERE NOT contains(CAST("
                            f"{suffixed[0]} AS VARCHAR), '#')")
            print(f"{table}: ×{times} in {time.perf_counter() - start:.1f} s", flush=True)
        con.execute("DELETE FROM derived_meta")  # the refresh rebuilds every derived table whole
        con.execute("DELETE FROM derived_stale")
    world = workdir / "world"
    world.mkdir(exist_ok=True)
    (world / "files.json").write_text(json.dumps([]))  # scale_bench --reuse: nothing to generate
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", type=Path, required=True)
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument("--workdir", type=Path, required=True)
    args = parser.parse_args()
    print(scale_up(args.source, args.times, args.workdir))


if __name__ == "__main__":
    main()
