"""Time every shipped form on a warehouse: fill it (compute_form) and write it (xlsx), for one region and
period, each form in the same process after the first has paid for the legal states of the day.

    python bench/forms_bench.py --db /tmp/scale/national.duckdb --period 2024-06 --region 500000 [--region 全国]

Prints one line per form and region: seconds to fill, seconds to write the xlsx, rows, the total of the first
count column; then the peak memory of the process. No targets: the issue sets none for the forms.
"""

from __future__ import annotations

import argparse
import resource
import time

from hvpatent.forms import compute_form, list_forms, parse_period, write_form
from hvpatent.warehouse.store import Warehouse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--period", default="2024-06")
    parser.add_argument("--region", action="append", help="a code, or 全国 (repeatable)")
    args = parser.parse_args()
    period = parse_period(args.period)
    regions = [None if r in ("全国", "all") else r for r in (args.region or ["全国"])]
    with Warehouse(args.db, read_only=True) as wh:
        con = wh.ibis()
        apps = wh.con.execute("SELECT count(*) FROM applications").fetchall()[0][0]
        print(f"warehouse: {apps:,} applications; period {period.key}")
        for region in regions:
            for spec in list_forms():
                if spec.by_region is not None and region is not None and len(region) == 12:
                    continue  # a town has no sub-regions
                started = time.perf_counter()
                result = compute_form(con, spec, period, region)
                filled = time.perf_counter() - started
                started = time.perf_counter()
                size = len(write_form(result, "xlsx"))
                written = time.perf_counter() - started
                first = next(c.key for c in spec.columns if c.kind == "count")
                total = result.cells[(result.rows[0 if spec.by_region is None else -1].key, first)].text
                print(f"{region or '全国':>8} {spec.key:<28} fill {filled:6.2f} s  xlsx {written:5.2f} s "
                      f"({size // 1024} KiB)  rows {len(result.rows):3d}  total {total}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
