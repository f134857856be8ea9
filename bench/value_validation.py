"""Out-of-time validation of the value score on the demo world (docs/value.md, "Validation").

Generates the demo district (`hvpatent.demo.generate_demo`, the seed `hvp demo` uses), imports its files, then for
each t scores every patent as known on t and prints, per outcome in (t, t + horizon], the AUC of the score, of a
one-feature baseline and of each dimension, with n and positives, and the seconds each t took.

The demo's outcomes are drawn from a latent merit the score never sees (docs/demo.md, "How the demo draws
outcomes"): a good AUC here shows the score recovers that merit from observables, not that it predicts real
outcomes.

    python bench/value_validation.py                      # 30,000 applications, t = 2014, 2016, 2018 year ends
    python bench/value_validation.py --applications 5000 --workdir /var/tmp/hvval --reuse
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

DATES = (date(2014, 12, 31), date(2016, 12, 31), date(2018, 12, 31))


def build(workdir: Path, applications: int, seed: int, reuse: bool) -> Path:
    from hvpatent.demo import generate_demo
    from hvpatent.indicators import refresh_derived
    from hvpatent.ingest import import_file
    from hvpatent.warehouse.store import Warehouse

    db = workdir / f"demo-{applications}-{seed}.duckdb"
    if reuse and db.exists():
        print(f"reusing {db}")
        return db
    db.unlink(missing_ok=True)
    start = time.perf_counter()
    files = generate_demo(workdir / f"files-{applications}-{seed}", applications=applications, seed=seed,
                          comparison=0)
    with Warehouse(db) as wh:
        for path in files:
            import_file(wh, path)
        refresh_derived(wh)  # as `hvp import` does: the hindsight states read the stored timelines
    print(f"demo world: {applications:,} applications, seed {seed}, built in {time.perf_counter() - start:.1f} s")
    return db


def _fmt(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.3f}"


def _se(value: float | None, se: float | None) -> str:
    return "  -  " if value is None else f"{value:.3f} ± {se:.3f}" if se is not None else f"{value:.3f}"


def report(db: Path, dates: list[date], horizon: int, scenario: str) -> None:
    from hvpatent.value.validation import validate
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(db, read_only=True) as wh:
        con = wh.ibis()
        for t in dates:
            start = time.perf_counter()
            rows = validate(con, t, horizon, scenario)
            took = time.perf_counter() - start
            print(f"\nt = {t}, horizon {horizon} years (to {rows[0]['end']}), scenario {scenario}: {took:.1f} s")
            print(f"{'outcome':<23}{'n':>7}{'pos':>6}{'rate':>7}  {'AUC ± se':<13}  {'baseline ± se':<13}  "
                  f"{'baseline feature':<17}{'legal':>6}{'tech':>7}{'econ':>7}")
            for r in rows:
                rate = f"{r['positives'] / r['n']:.3f}" if r["n"] else "  -  "
                dims = r["dimension_auc"]
                print(f"{r['outcome']:<23}{r['n']:>7,}{r['positives']:>6,}{rate:>7}  "
                      f"{_se(r['auc'], r['auc_se']):<13}  {_se(r['baseline_auc'], r['baseline_auc_se']):<13}  "
                      f"{r['baseline_feature']:<17}{_fmt(dims['legal']):>6} "
                      f"{_fmt(dims['technical']):>6} {_fmt(dims['economic']):>6}")
                if r["note"]:
                    print(f"{'':<23}note: {r['note']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=30_000, help="demo size (default: the demo's 30,000)")
    parser.add_argument("--seed", type=int, default=2022, help="demo seed (default: hvp demo's 2022)")
    parser.add_argument("--horizon", type=int, default=5)
    parser.add_argument("--scenario", default="management", choices=("pledge", "transfer", "management"))
    parser.add_argument("--dates", nargs="*", type=date.fromisoformat, default=list(DATES))
    parser.add_argument("--workdir", type=Path, default=None, help="where the demo files and warehouse go")
    parser.add_argument("--reuse", action="store_true", help="reuse the warehouse already built in --workdir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        db = build(workdir, args.applications, args.seed, args.reuse)
        report(db, args.dates, args.horizon, args.scenario)


if __name__ == "__main__":
    main()
