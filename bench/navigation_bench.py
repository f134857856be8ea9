"""The navigation benchmark of issue 17: one industry's landscape on N comparison applications in < 10 s.

    python bench/navigation_bench.py --applications 1000000 --workdir /tmp/navbench [--reuse]

Phases: generate N CNIPA-shape applications over every county of China (bench/national_world.py: SYNTHETIC) and a
small demo district (hvpatent.demo, no comparison world of its own) → `hvp import` of both (which refreshes the
derived tables; wall time and peak RSS of that process) → in a fresh process: landscape() of every plan industry
for the demo district against the country and against Chongqing (seconds each, with rows in scope and branches) →
classifier.train of one industry without writing (skipped with a note where the classifier is not there yet).
Peak RSS is each child process's own (wait4).  --reuse keeps the files and the warehouse of an earlier run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HVP = str(Path(sys.executable).parent / "hvp")
sys.path.insert(0, str(HERE))

from scale_bench import _python, _run_rusage  # noqa: E402  (the benchmarks' child-process helpers)

LANDSCAPES = """
import importlib, json, sys, time
from datetime import date
start = time.perf_counter()
from hvpatent.indicators.config import industries
from hvpatent.warehouse.store import Warehouse
L = importlib.import_module("hvpatent.navigation.landscape")
as_of = date(2024, 12, 31)
out = {"import_seconds": time.perf_counter() - start, "runs": []}
with Warehouse(sys.argv[1], read_only=True) as wh:
    con = wh.ibis()
    for compare in (L.NATIONAL, "500000"):
        for industry in [i.code for i in industries()]:
            t = time.perf_counter()
            land = L.landscape(con, industry, as_of, "500118", compare)
            seconds = time.perf_counter() - t
            out["runs"].append({"industry": industry, "compare": compare, "seconds": round(seconds, 2),
                                "compare_applications": sum(r["applications"] for r in land.trend
                                                            if r["side"] == "compare"),
                                "region_applications": sum(r["applications"] for r in land.trend
                                                           if r["side"] == "region"),
                                "branches": len(land.branches), "partners": len(land.partners)})
print(json.dumps(out))
"""

TRAIN = """
import json, sys
from hvpatent.warehouse.store import Warehouse
try:
    from hvpatent.navigation.classifier import train
    with Warehouse(sys.argv[1]) as wh:
        report = train(wh.con, sys.argv[2], write=False)
except NotImplementedError:
    print(json.dumps({"skipped": "classifier.train is not implemented yet"}))
    raise SystemExit
print(json.dumps({k: getattr(report, k) for k in ("industry", "training_patents", "labels", "placed",
                                                  "train_seconds", "predict_seconds")}))
"""


def _generate(work: Path, n: int, district: int, reuse: bool) -> tuple[list[Path], float | None]:
    marker = work / "files.json"
    if reuse and marker.is_file():
        return [Path(p) for p in json.loads(marker.read_text())], None
    from national_world import counties, generate

    from hvpatent.demo import generate_demo

    counties()
    start = time.perf_counter()
    paths = list(generate(work / "world", n))
    paths += generate_demo(work / "district", applications=district, seed=7, comparison=0)
    elapsed = time.perf_counter() - start
    marker.write_text(json.dumps([str(p) for p in paths]))
    return paths, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--district", type=int, default=3000, help="demo district applications")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/navigation-bench"))
    parser.add_argument("--train", default="new_energy", help="industry whose classifier is trained ('' skips)")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    work = args.workdir / str(args.applications)
    work.mkdir(parents=True, exist_ok=True)
    db = work / "navigation.duckdb"
    paths, generated = _generate(work, args.applications, args.district, args.reuse)
    print(f"generate: {'reused' if generated is None else f'{generated:.1f} s'} ({len(paths)} files)", flush=True)
    if not (args.reuse and db.is_file()):
        db.unlink(missing_ok=True)
        wall, peak, _ = _run_rusage([HVP, "--db", str(db), "import", *map(str, paths)])
        print(f"import (with derived tables): {wall:.1f} s, peak RSS {peak:,.0f} MiB", flush=True)
    wall, peak, out = _python(LANDSCAPES, str(db))
    print(f"landscapes: {wall:.1f} s in all (Python imports {out['import_seconds']:.1f} s), "
          f"peak RSS {peak:,.0f} MiB")
    print(f"{'industry':24} {'compare':9} {'seconds':>8} {'compare apps':>13} {'region apps':>12} {'branches':>9}")
    for r in out["runs"]:
        print(f"{r['industry']:24} {r['compare']:9} {r['seconds']:8.2f} {r['compare_applications']:13,} "
              f"{r['region_applications']:12,} {r['branches']:9}")
    worst = max(r["seconds"] for r in out["runs"])
    print(f"slowest landscape: {worst:.2f} s (target < 10 s)")
    if args.train:
        wall, peak, report = _python(TRAIN, str(db), args.train)
        print(f"classifier.train({args.train}, write=False): {json.dumps(report, ensure_ascii=False)}; "
              f"process {wall:.1f} s, peak RSS {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
