"""Fidelity check: the synthetic demo district's figures beside the national ones.

Generates a demo world, imports it, and prints the demo's structure of high-value invention patents
at the demo's export date next to CNIPA's published national figures, so the generator can be
recalibrated where it is far off.

    python bench/fidelity.py --applications 30000

National figures (domestic, without Hong Kong, Macao and Taiwan):
- end-2025 (SCIO press conference of 2026-01-23 on IP work in 2025, CNIPA's 梁心新, reported by
  China News Service the same day): 16 high-value invention patents per 10,000 residents; 2.292 million,
  43.1% of domestic valid invention patents; SEI 1.534 million (about 70% of high-value); enterprises 77%.
- end-2022 (SCIO press conference of 2023-01-16, CNIPA's 葛树, reported by Guangming Daily): 9.4 per 10,000;
  enterprises 73.1% of high-value; SEI 71.9%; average years maintained of high-value patents 8.3;
  444,000 maintained over 10 years (of about 1.32 million high-value: 33.6%).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

NATIONAL = {  # key: (end-2022, end-2025)
    "high_value_share_of_valid": (None, 43.1),
    "high_value_per_10k": (9.4, 16.0),
    "sei_share_of_high_value": (71.9, 66.9),
    "enterprise_share_of_high_value": (73.1, 77.0),
    "maintained_10y_share_of_high_value": (33.6, None),
    "high_value_mean_years_maintained": (8.3, None),
}


def demo_figures(db: Path, as_of: date, region: str) -> dict[str, float | None]:
    from hvpatent.indicators import drill, figures
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(db, read_only=True) as wh:
        con = wh.ibis()
        keys = ["valid_inventions", "high_value_inventions", "high_value_per_10k", "high_value_sei",
                "high_value_maintained_10y"]
        values = {r["key"]: r["value"] for r in figures(con, as_of, region, keys=keys)}
        records = drill(con, "high_value_inventions", as_of, region)

    def share(part: float | None, whole: float | None) -> float | None:
        return round(100 * part / whole, 1) if part is not None and whole else None

    years = [r["years_maintained"] for r in records if r["years_maintained"] is not None]
    enterprises = sum(r["applicant_type"] == "enterprise" for r in records)
    return {
        "high_value_share_of_valid": share(values["high_value_inventions"], values["valid_inventions"]),
        "high_value_per_10k": values["high_value_per_10k"],
        "sei_share_of_high_value": share(values["high_value_sei"], values["high_value_inventions"]),
        "enterprise_share_of_high_value": share(enterprises, len(records)),
        "maintained_10y_share_of_high_value": share(values["high_value_maintained_10y"],
                                                    values["high_value_inventions"]),
        "high_value_mean_years_maintained": round(sum(years) / len(years), 1) if years else None,
    }


def build_world(out: Path, applications: int, seed: int) -> Path:
    from hvpatent.demo import generate_demo
    from hvpatent.ingest import import_file
    from hvpatent.warehouse.store import Warehouse

    db = out / "fidelity.duckdb"
    with Warehouse(db) as wh:
        for path in generate_demo(out, applications=applications, seed=seed, comparison=0):
            import_file(wh, path)
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--as-of", default="2024-12-31")
    parser.add_argument("--region", default="500118")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        db = build_world(Path(tmp), args.applications, args.seed)
        demo = demo_figures(db, date.fromisoformat(args.as_of), args.region)
        elapsed = time.perf_counter() - start
    print(f"demo: {args.applications:,} applications, seed {args.seed}, as of {args.as_of}, region {args.region}"
          f" ({elapsed:.0f} s)")
    print(f"{'measure':40} {'demo':>8} {'CN 2022':>8} {'CN 2025':>8}")
    for key, (y2022, y2025) in NATIONAL.items():
        cells = [demo[key], y2022, y2025]
        print(f"{key:40} " + " ".join(f"{'—' if c is None else c:>8}" for c in cells))


if __name__ == "__main__":
    main()
