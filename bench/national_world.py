"""A synthetic national world for the scale benchmarks: N applications over every county-level region
of China, in the CNIPA CSV shape the importer reads, with legal events, family members abroad, pledges,
awards and population per county, city and province.  SYNTHETIC: not real patents, companies or people.

    python bench/national_world.py --applications 1000000 --out /tmp/world

Generation is vectorised (numpy arrays and Arrow string kernels, one chunk of 100,000 rows at a time), so
memory stays bounded at any N; the patents go to files of about 1,000,000 rows each.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from hvpatent.demo.generator import PATENT_HEADERS
from hvpatent.ingest.templates import TEMPLATES

BANNER = ("【合成基准数据 SYNTHETIC BENCHMARK DATA】本文件由 bench/national_world.py 随机生成，"
          "不是任何真实地区、企业或专利的数据")
EXPORT_DATE = np.datetime64("2024-12-31")
FIRST_YEAR, LAST_YEAR = 2005, 2024
CHUNK = 100_000
ROWS_PER_FILE = 1_000_000
MAX_APPLICATIONS = 10_000_000
# Cities that file most of China's patents: their counties weigh ten times more.
BIG_CITIES = ("110100", "310100", "440300", "440100", "330100", "320500", "320100", "510100", "420100",
              "500100", "120100", "610100", "370200", "340100", "441900", "330200")
OUTSIDE = ("香港特别行政区九龙湾宏照道{}号", "澳门特别行政区友谊大马路{}号", "台湾省台北市信义路{}号",
           "美国加利福尼亚州圣何塞市第一大街{}号", "日本国东京都港区{}番地")
SHARE_OUTSIDE = 0.02
TYPES = np.array(["发明", "实用新型", "外观设计"])
TYPE_DIGIT = np.array(["1", "2", "3"])
TYPE_SHARE = (0.38, 0.50, 0.12)
TERM = np.array([20, 10, 10])
LAPSE_RATE = np.array([0.10, 0.16, 0.20])      # share of rights whose annuity goes unpaid each year
# Inventions whose main IPC lies in a strategic emerging industry (sei_ipc_2021.csv) and those outside.
IPC_SEI = ("H01M10/052", "G06N3/08", "H04L9/32", "A61K31/4439", "C12N15/113", "B60L53/80", "H01L31/18")
IPC_OTHER = ("A47B88/40", "A23L7/10", "B62K11/00", "E04B1/38", "F16B5/02", "A01K61/00", "B65D81/26")
ROADS = ("人民路", "建设路", "解放路", "科技路", "创新大道", "工业园路", "学府路", "滨江路")
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华")
_WEIGHTS = np.array([2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5])


@dataclass
class Counties:
    codes: np.ndarray       # 6-digit county codes
    addresses: np.ndarray   # "XX省XX市XX区" as reference/regions.attribute resolves it to the code
    short: np.ndarray       # a short name for enterprise names
    weights: np.ndarray     # share of applications


@cache
def counties(seed: int = 13) -> Counties:
    """Every county-level region that an address "省 + 市 + 县/区" attributes back to its own code, and the cities
    without counties (东莞, 中山, 儋州: "省 + 市"), county-level units of their own in rankings."""
    from hvpatent.indicators.compute import county_level_cities
    from hvpatent.reference.regions import all_regions, attribute, region_by_code

    by_code = region_by_code()
    codes, addresses, shorts = [], [], []
    for r in all_regions():
        if r.level != "county" or r.code[:2] in ("71", "81", "82"):
            continue
        city, province = by_code.get(r.parent_code), by_code[r.code[:2] + "0000"]
        city_name = city.name if city and city.name not in ("市辖区", "县") and "直辖" not in city.name else ""
        address = f"{province.name if province.name != city_name else ''}{city_name}{r.name}"
        if attribute(address + "人民路1号").county_code == r.code:
            codes.append(r.code)
            addresses.append(address)
            shorts.append(r.short_name)
    for code in county_level_cities():
        city, province = by_code[code], by_code[code[:2] + "0000"]
        found = attribute(f"{province.name}{city.name}人民路1号")
        if found.city_code == code and found.county_code is None:
            codes.append(code)
            addresses.append(f"{province.name}{city.name}")
            shorts.append(city.short_name)
    rng = np.random.default_rng(seed)
    weights = rng.lognormal(0.0, 1.2, len(codes))
    weights *= np.where(np.isin([c[:4] + "00" for c in codes], BIG_CITIES), 10.0, 1.0)
    return Counties(np.array(codes), np.array(addresses), np.array(shorts), weights / weights.sum())


def check_digits(year: np.ndarray, type_digit: np.ndarray, serial: np.ndarray) -> pa.Array:
    """CNIPA's check character of the 12 digits year + type + 7-digit serial, for whole arrays at once."""
    columns = [year // 10 ** (3 - i) % 10 for i in range(4)] + [type_digit]
    columns += [serial // 10 ** (6 - i) % 10 for i in range(7)]
    rem = sum(w * d for w, d in zip(_WEIGHTS, columns, strict=True)) % 11
    return _take(np.array([str(i) for i in range(10)] + ["X"]), rem)


def _text(values: np.ndarray) -> pa.Array:
    return pa.array(values).cast(pa.string())


def _take(choices, index: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(choices)).take(pa.array(index))


def _cat(*parts) -> pa.Array:
    """Element-wise concatenation of string arrays and constants."""
    return pc.binary_join_element_wise(*parts, "")


def add_years(days: np.ndarray, years: np.ndarray) -> np.ndarray:
    """datetime64[D] plus whole years; 29 February falls on 28 February in common years."""
    months = days.astype("datetime64[M]")
    day_of_month = (days - months.astype("datetime64[D]")).astype(int)
    moved = (months + (years * 12).astype("timedelta64[M]"))
    last_day = ((moved + 1).astype("datetime64[D]") - moved.astype("datetime64[D]")).astype(int)
    return moved.astype("datetime64[D]") + np.minimum(day_of_month, last_day - 1).astype("timedelta64[D]")


def _days(rng: np.random.Generator, low: int, high: int, n: int) -> np.ndarray:
    return rng.integers(low, high, n).astype("timedelta64[D]")


def _date_text(days: np.ndarray, mask: np.ndarray) -> pa.Array:
    """ISO dates where ``mask``, nulls elsewhere."""
    return pa.array(np.where(mask, days, np.datetime64("NaT")).astype("datetime64[D]")).cast(pa.string())


@dataclass
class Chunk:
    table: pa.Table           # the CNIPA rows
    app_no: np.ndarray
    granted_invention: np.ndarray
    grant: np.ndarray
    filing: np.ndarray
    applicant: np.ndarray
    county: np.ndarray        # index into counties(), -1 outside the mainland


class World:
    def __init__(self, applications: int, seed: int = 13):
        self.n = applications
        self.rng = np.random.default_rng(seed)
        self.counties = counties()
        years = np.arange(FIRST_YEAR, LAST_YEAR + 1)
        growth = 1.12 ** (years - FIRST_YEAR)
        self.year_p = growth / growth.sum()
        self.serial = 0
        self.contracts = 0

    def chunk(self, n: int) -> Chunk:
        rng, c = self.rng, self.counties
        county = rng.choice(len(c.codes), n, p=c.weights)
        outside = rng.random(n) < SHARE_OUTSIDE
        kind = rng.choice(3, n, p=TYPE_SHARE)
        year = rng.choice(np.arange(FIRST_YEAR, LAST_YEAR + 1), n, p=self.year_p)
        filing = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + _days(rng, 0, 365, n)
        serial = self.serial + np.arange(n)
        self.serial += n
        digits = _cat(_text(year), _take(TYPE_DIGIT, kind), pc.utf8_lpad(_text(serial), 7, "0"))
        app_no = _cat(digits, ".", check_digits(year, kind + 1, serial))

        # Applicants: enterprises of the county (a few file much), universities and institutes, individuals.
        who = rng.random(n)
        ent_no = np.minimum(rng.zipf(1.6, n), 5000)
        short = _take(c.short, county)
        enterprise = _cat(short, pc.utf8_lpad(_text(ent_no), 4, "0"), "科技有限公司")
        university = _cat(short, _take(np.array(["大学", "工业研究院"]), ent_no % 2))
        person = _cat(_take(SURNAMES, rng.integers(0, len(SURNAMES), n)), _take(GIVEN, rng.integers(0, len(GIVEN), n)),
                      _take(GIVEN, rng.integers(0, len(GIVEN), n)))
        applicant = pc.if_else(pa.array(who < 0.8), enterprise, pc.if_else(pa.array(who < 0.87), university, person))
        number = _text(rng.integers(1, 60, n))
        address = _cat(_take(c.addresses, county), _take(ROADS, rng.integers(0, len(ROADS), n)), number, "号")
        foreign = _cat(_take(OUTSIDE, rng.integers(0, len(OUTSIDE), n)), number, "号")
        outside_pa = pa.array(outside)
        address = pc.if_else(outside_pa, foreign, address)
        applicant = pc.if_else(outside_pa, _cat("境外", number, "号株式会社"), applicant)
        co = pa.array(rng.random(n) < 0.06)
        partner = _cat(";", _take(c.short, rng.choice(len(c.codes), n)), "协作有限公司")
        names = pc.if_else(co, _cat(applicant, partner), applicant)
        events, grant, granted = self._events(kind, filing, who)
        invention = kind == 0
        ipc_pool = np.array(IPC_SEI + IPC_OTHER)
        main = _take(ipc_pool, np.where(rng.random(n) < 0.35, rng.integers(0, 7, n), rng.integers(7, 14, n)))
        published = invention & (filing + 540 <= EXPORT_DATE) | granted
        pub_no = _cat("CN", _text(100_000_000 + serial), _take(np.array(["A", "B", "U", "S"]),
                                                               np.where(granted, kind + 1, 0)))
        pub_date = np.where(granted, grant, filing + 540)
        family = granted & invention & (who < 0.8) & (rng.random(n) < 0.04)
        empty = pa.nulls(n, pa.string()).fill_null("")
        table = pa.table({
            "申请号": app_no, "申请日": pa.array(filing).cast(pa.string()), "专利类型": _take(TYPES, kind),
            "名称": _cat("一种", main, "相关装置"), "摘要": pa.repeat("合成基准数据，非真实专利。", n),
            "申请(专利权)人": names, "地址": address, "主分类号": main, "分类号": main,
            "公开(公告)号": pc.if_else(pa.array(published), pub_no, ""),
            "公开(公告)日": _date_text(pub_date, published),
            "授权公告日": _date_text(grant, granted), "代理机构": empty,
            "权利要求数量": pc.if_else(pa.array(kind == 2), "", _text(rng.integers(3, 15, n))),
            "PCT国际申请号": empty, "法律事件": events,
            "简单同族ID": pc.if_else(pa.array(family), _text(60_000_000 + serial), ""),
            "专利引证": empty,  # the column the demo's files carry since c0b6660 (PATENT_HEADERS)
        })
        assert table.column_names == PATENT_HEADERS
        return Chunk(table, app_no.to_numpy(zero_copy_only=False), granted & invention, grant, filing,
                     applicant, np.where(outside, -1, county))

    def _events(self, kind: np.ndarray, filing: np.ndarray, who: np.ndarray):
        """The legal-events cell ("date text;date text…") of each row, the grant date and whether granted."""
        rng, n = self.rng, len(kind)
        invention = kind == 0
        publish = filing + _days(rng, 90, 540, n)
        exam = publish + _days(rng, 0, 200, n)
        decided = np.where(invention, exam + _days(rng, 360, 1100, n), filing + _days(rng, 150, 400, n))
        outcome = rng.random(n)
        quality = np.where(who < 0.8, 0.55, np.where(who < 0.87, 0.62, 0.3))
        known = decided <= EXPORT_DATE
        granted = known & np.where(invention, outcome < quality, outcome < 0.95)
        rejected = known & invention & ~granted & (outcome < quality + (1 - quality) * 0.45)
        withdrawn = known & invention & ~granted & ~rejected
        grant = decided
        # The first unpaid annuity: a geometric number of years after the grant year.
        first_due = (grant - filing).astype(int) // 365 + 1
        lapse_year = first_due + rng.geometric(LAPSE_RATE[kind]) - 1
        due = add_years(filing, lapse_year)
        announced = due + _days(rng, 203, 258, n)
        lapsed = granted & (lapse_year < TERM[kind]) & (announced <= EXPORT_DATE)
        restored_on = announced + _days(rng, 20, 60, n)
        restored = lapsed & (rng.random(n) < 0.06) & (restored_on <= EXPORT_DATE)
        end = add_years(filing, TERM[kind])
        expiry_on = end + _days(rng, 30, 90, n)
        expired = granted & (~lapsed | restored) & (expiry_on <= EXPORT_DATE)
        invalid_on = grant + _days(rng, 200, 1500, n)
        invalidated = granted & (rng.random(n) < 0.01) & (invalid_on <= EXPORT_DATE)
        parts = [
            (publish, invention & (publish <= EXPORT_DATE), " 发明专利申请公布"),
            (exam, invention & (exam <= EXPORT_DATE), " 实质审查的生效"),
            (decided, granted, " 授权"),
            (decided, rejected, " 发明专利申请公布后的驳回"),
            (decided, withdrawn, " 发明专利申请公布后的视为撤回"),
            (invalid_on, invalidated, " 专利权全部无效"),
            (announced, lapsed, " 未缴年费专利权终止"),
            (restored_on, restored, " 专利权的恢复"),
            (expiry_on, expired, " 专利权有效期届满"),
        ]
        texts = [pc.binary_join_element_wise(_date_text(day, mask), text + ";", "").fill_null("")
                 for day, mask, text in parts]
        events = pc.utf8_rtrim(pc.binary_join_element_wise(*texts, ""), ";")
        return events, grant, granted


def _write_csv(path: Path, table: pa.Table, append: bool) -> None:
    with path.open("ab" if append else "wb") as fh:
        if not append:
            fh.write((BANNER + "\n").encode())
        pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=not append, quoting_style="needed"))


def _template_writer(path: Path, kind: str):
    fh = path.open("w", encoding="utf-8", newline="")
    writer = csv.writer(fh)
    writer.writerow([BANNER])
    writer.writerow([c.header for c in TEMPLATES[kind][1]])
    return fh, writer


def generate(out: Path, applications: int, seed: int = 13, progress=None) -> list[Path]:
    """Write the world under ``out``; returns the files in import order (patents, then the rest)."""
    if applications > MAX_APPLICATIONS:  # the serial is one 7-digit sequence across years and types
        raise ValueError(f"at most {MAX_APPLICATIONS:,} applications / 最多 {MAX_APPLICATIONS:,} 件")
    out.mkdir(parents=True, exist_ok=True)
    world = World(applications, seed)
    rng = world.rng
    patents: list[Path] = []
    families = out / "families_google.jsonl"
    pledge_fh, pledges = _template_writer(out / "pledges.csv", "pledges")
    award_fh, awards = _template_writer(out / "awards.csv", "awards")
    counts = np.zeros(len(world.counties.codes))
    done = 0
    with families.open("w", encoding="utf-8") as fam:
        while done < applications:
            n = min(CHUNK, applications - done)
            chunk = world.chunk(n)
            file_no = done // ROWS_PER_FILE
            path = out / f"patents_{file_no + 1:03d}.csv"
            _write_csv(path, chunk.table, append=done % ROWS_PER_FILE != 0)
            if not patents or patents[-1] != path:
                patents.append(path)
            _write_extras(rng, world, chunk, fam, pledges, awards)
            counts += np.bincount(chunk.county[chunk.county >= 0], minlength=len(counts))
            done += n
            if progress:
                progress(n)
    pledge_fh.close()
    award_fh.close()
    population = _write_population(out / "population.csv", world.counties, counts)
    return [*patents, families, out / "pledges.csv", out / "awards.csv", population]


def _write_extras(rng: np.random.Generator, world: World, chunk: Chunk, fam, pledges, awards) -> None:
    """Family members abroad (Google Patents JSON lines), pledge contracts and awards of a chunk."""
    table = chunk.table
    family_ids = table.column("简单同族ID").to_numpy(zero_copy_only=False)
    for i in np.flatnonzero(family_ids != ""):
        filed = chunk.filing[i]
        for office in rng.choice(["US", "EP", "JP", "KR", "WO"], rng.integers(1, 3), replace=False):
            granted = office != "WO" and rng.random() < 0.6
            grant = filed + int(rng.integers(900, 1800))
            granted = granted and grant <= EXPORT_DATE
            number = int(rng.integers(10_000_000, 12_999_999))
            kind = "B1" if granted else "A1"
            fam.write(json.dumps({
                "publication_number": f"{office}-{number}-{kind}", "application_number": f"{office}-{number}",
                "country_code": str(office), "kind_code": kind, "family_id": family_ids[i],
                "filing_date": int(str(filed).replace("-", "")),
                "publication_date": int(str(filed + 540).replace("-", "")),
                "grant_date": int(str(grant).replace("-", "")) if granted else 0,
                "priority_date": int(str(filed).replace("-", "")), "_synthetic": True,
            }, ensure_ascii=False) + "\n")
    n = len(chunk.app_no)
    registered = chunk.grant + _days(rng, 60, 900, n)
    pledged = chunk.granted_invention & (rng.random(n) < 0.012) & (registered <= EXPORT_DATE) \
        & (registered >= np.datetime64("2015-01-01"))
    for i in np.flatnonzero(pledged):
        world.contracts += 1
        released = registered[i] + int(rng.integers(300, 1100))
        pledges.writerow([f"Y{str(registered[i])[:4]}{world.contracts:09d}", chunk.app_no[i],
                          chunk.applicant[i].as_py(), "合成银行", int(rng.choice([100, 300, 500, 1000, 1500, 3000])),
                          str(registered[i]), "",
                          str(released) if released <= EXPORT_DATE else ""])
    for i in np.flatnonzero(chunk.granted_invention & (rng.random(n) < 0.002)):
        year = min(2024, int(str(chunk.grant[i])[:4]) + int(rng.integers(1, 4)))
        awards.writerow([chunk.app_no[i], "中国专利奖", "优秀奖", year])


def _write_population(path: Path, c: Counties, counts: np.ndarray) -> Path:
    """Year-end population 2019–2024 of every county (about 1 in 100 left without: no per-10k value), and of
    every city and province as the sums of their counties."""
    from hvpatent.reference.regions import region_name

    rng = np.random.default_rng(99)
    people = (200_000 + 2_000_000 * np.sqrt(c.weights / c.weights.max())).astype(int)
    people = np.where(rng.random(len(people)) < 0.01, 0, people)
    fh, writer = _template_writer(path, "population")
    with fh:
        for year in range(2019, 2025):
            scale = 1 - 0.004 * (2024 - year)
            totals: dict[str, int] = {}
            for code, count in zip(c.codes, people, strict=True):
                if count:
                    writer.writerow([code, region_name(code), year, int(count * scale)])
                for parent in {code[:4] + "00", code[:2] + "0000"} - {code}:  # a city without counties is its own
                    totals[parent] = totals.get(parent, 0) + int(count * scale)
            for code, total in totals.items():
                if region_name(code):
                    writer.writerow([code, region_name(code), year, total])
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    start = time.perf_counter()
    regions = len(counties().codes)  # the addresses of every county, checked once against the attribution
    setup = time.perf_counter() - start
    paths = generate(args.out, args.applications, args.seed)
    elapsed = time.perf_counter() - start - setup
    print(f"{args.applications:,} applications over {regions:,} counties in {elapsed:.1f} s "
          f"({args.applications / elapsed:,.0f} rows/s; counties checked in {setup:.1f} s): "
          f"{', '.join(p.name for p in paths)}")


if __name__ == "__main__":
    main()
