"""The subsidies benchmark of issue 19: an assessment, a ledger run and the what-if on a demo district.

    python bench/subsidies_bench.py --applications 30000 --workdir /tmp/subbench [--reuse]

Builds the demo district (`hvp demo`, no comparison world; --reuse keeps an earlier one), then, in one process with
the shipped policy (subsidies/policy.yaml): eligible() of 2022, 2023, 2024 and 2024-Q2 (seconds, rows, eligible
rows, amount), apply_items() of 2024 twice (the second adds nothing), spend() by each dimension, clawbacks_due(),
and projection() of the next year under the shipped variant.  Prints one JSON object; peak RSS of the process.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HVP = str(Path(sys.executable).parent / "hvp")


def _timed(work):
    start = time.perf_counter()
    result = work()
    return result, round(time.perf_counter() - start, 2)


def _demo(work: Path, n: int, reuse: bool) -> Path:
    db = work / "demo" / "hvpatent.duckdb"
    if not (reuse and db.is_file()):
        shutil.rmtree(work / "demo", ignore_errors=True)
        subprocess.run([HVP, "demo", "--out", str(work / "demo"), "--db", str(db), "--applications", str(n),
                        "--comparison", "0"], check=True, stdout=subprocess.DEVNULL)
    copy = work / "bench.duckdb"   # the ledger runs write: a fresh copy each time
    shutil.copyfile(db, copy)
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=30000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/subsidies-bench"))
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    db = _demo(args.workdir, args.applications, args.reuse)

    from hvpatent.subsidies import (
        SPEND_DIMENSIONS,
        SubsidyError,
        apply_items,
        clawbacks_due,
        decide,
        eligible,
        load_policy,
        pay,
        projection,
        review,
        spend,
    )
    from hvpatent.warehouse.store import Warehouse

    policy = load_policy()
    variant = load_policy(Path(__file__).resolve().parents[1] / "src" / "hvpatent" / "subsidies"
                          / "variant-example.yaml")
    out: dict = {"applications": args.applications, "assessments": [], "apply": [], "spend": {}}
    with Warehouse(db) as wh:
        con = wh.ibis()
        for period in ("2022", "2023", "2024", "2024-Q2"):
            rows, seconds = _timed(lambda p=period: eligible(con, policy, p, ledger=wh.con))
            ok = [r for r in rows if r["eligible"]]
            out["assessments"].append({"period": period, "seconds": seconds, "rows": len(rows), "eligible": len(ok),
                                       "amount_yuan": str(sum(r["amount_yuan"] for r in ok))})
        first = None
        for run in (1, 2):
            result, seconds = _timed(lambda: apply_items(wh.con, con, policy, "2024", as_of=date(2024, 12, 31),
                                                         by="bench"))
            first = first or result
            out["apply"].append({"run": run, "seconds": seconds, "added": len(result["added"]),
                                 "already": len(result["already"])})
        keys = [(r["item"], r["subject_key"], r["period"]) for r in first["added"]]
        start, refused = time.perf_counter(), 0
        for key in keys:   # one by one: a cap or budget refuses its own key, not the batch
            try:
                review(wh.con, [key], passed=True, by="bench")
                decide(wh.con, policy, [key], approve=True, by="bench")
            except SubsidyError:
                refused += 1
        paid = pay(wh.con, "BENCH-2024", by="bench")
        out["decide_and_pay"] = {"seconds": round(time.perf_counter() - start, 2), "keys": len(keys),
                                 "refused": refused, "paid": len(paid)}
        for by in SPEND_DIMENSIONS:
            rows, seconds = _timed(lambda b=by: spend(wh.con, 2024, by=b, policy=policy))
            out["spend"][by] = {"seconds": seconds, "rows": len(rows)}
        due, seconds = _timed(lambda: clawbacks_due(wh.con, con, policy, date(2025, 6, 30)))
        out["clawbacks_due"] = {"seconds": seconds, "rows": len(due)}
        result, seconds = _timed(lambda: projection(con, wh.con, policy, variant, 2025, as_of=date(2024, 12, 31)))
        out["whatif"] = {"seconds": seconds, "expected_base": result["high_value"]["expected_base"],
                         "expected_variant": result["high_value"]["expected_variant"],
                         "base_yuan": str(result["totals"]["base_yuan"]),
                         "variant_yuan": str(result["totals"]["variant_yuan"])}
    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
