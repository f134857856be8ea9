"""The demo's comparison world (demo/comparison.py), the inventors of the demo's patent files and the navigation
projects template rows (docs/demo.md, "The comparison world")."""

from __future__ import annotations

import csv
import math
import random
import subprocess
import sys
from collections import Counter
from datetime import date
from itertools import combinations
from pathlib import Path

import pytest

from hvpatent.demo import comparison as cmp
from hvpatent.demo.generator import BANNER, PATENT_HEADERS, _World, generate_demo, navigation_project_rows
from hvpatent.indicators.config import industries
from hvpatent.ingest.appno import check_digit
from hvpatent.reference.regions import attribute

N = 3000
SEED = 5
HVP = str(Path(sys.executable).parent / "hvp")


def _read(path: Path) -> tuple[list[str], list[str], list[dict]]:
    with path.open(encoding="gb18030", newline="") as fh:
        reader = csv.reader(fh)
        banner, header = next(reader), next(reader)
        return banner, header, [dict(zip(header, r, strict=True)) for r in reader]


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    root = tmp_path_factory.mktemp("comparison")
    (path,) = cmp.generate_comparison(root, N, SEED)
    banner, header, rows = _read(path)
    return {"path": path, "banner": banner, "header": header, "rows": rows}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A small demo world with its comparison world: the files generate_demo returns."""
    root = tmp_path_factory.mktemp("demo_comparison")
    paths = generate_demo(root / "files", applications=600, seed=SEED, comparison=600)
    return {"root": root, "paths": paths}


_INDUSTRY_OF = {code: i for i, codes in cmp.SHARED_CODES.items() for code in codes}
_INDUSTRY_OF |= {code: i for i, wider in cmp.WIDER_CODES.items() for code, _, _ in wider}
_INDUSTRY_OF |= {code: i for i, codes in cmp.UNBRANCHED_CODES.items() for code, _ in codes}
_RISING = {code for wider in cmp.WIDER_CODES.values() for code, _, rising in wider if rising}


def _within(count: int, n: int, p: float, sigmas: float = 4.0) -> bool:
    """The count of a Binomial(n, p) draw lies within 4 standard deviations of n·p."""
    return abs(count - n * p) <= sigmas * math.sqrt(n * p * (1 - p))


def test_shape_is_the_districts(comparison, demo):
    assert comparison["banner"] == [BANNER]
    assert comparison["header"] == [*PATENT_HEADERS, "发明人", "首项权利要求"]
    _, district_header, _ = _read(demo["paths"][0])
    assert comparison["header"] == district_header
    assert len(comparison["rows"]) == N


def test_region_split(comparison):
    # 35 % in other Chongqing districts: n = 3000, σ = √(3000·0.35·0.65) ≈ 26 → 1050 ± 104.
    rows = comparison["rows"]
    chongqing = sum(r["地址"].startswith("重庆市") for r in rows)
    assert _within(chongqing, N, cmp.CHONGQING_SHARE), chongqing
    assert not any("永川" in r["地址"] for r in rows)  # never the demo district itself
    provinces = {r["地址"][:2] for r in rows if not r["地址"].startswith("重庆")}
    assert {"四川", "广东", "江苏", "北京", "上海", "浙江", "湖北", "陕西"} <= provinces


def test_addresses_attribute_to_the_intended_county(comparison):
    places = {prefix: code for prefix, code, _ in cmp.CHONGQING_PLACES + cmp.OTHER_PLACES}
    for r in comparison["rows"][:400]:
        prefix = next(p for p in places if r["地址"].startswith(p))
        assert attribute(r["地址"], r["申请(专利权)人"].split(";")[0]).county_code == places[prefix], r["地址"]


def test_industry_mix_differs_from_the_districts(comparison):
    counts = Counter(_INDUSTRY_OF[r["主分类号"]] for r in comparison["rows"])
    for industry, share in cmp.INDUSTRY_MIX.items():
        assert _within(counts[industry], N, share), (industry, counts[industry])
    # New energy 20 % (σ ≈ 22 of 3000 → 600 ± 88) against the district's 9 %; consumer goods 3 % against 10 %.
    district = {name: v["weight"] for name, v in cmp._industries().items()}
    assert counts["新能源"] / N > 1.5 * district["新能源"]
    assert counts["特色消费品"] / N < 0.5 * district["特色消费品"]
    assert counts["电子信息"] / N > district["电子信息"]
    assert counts["生物医药及大健康"] / N > district["生物医药及大健康"]


def test_every_code_is_in_its_plan_industry_only():
    """The landscape reads industries from IPC (indicators/industries.yaml): each code of the comparison world
    must fall in the industry it was drawn for, and in no other, so the mix above is what the landscape sees."""
    by_name = {i.name: i for i in industries()}
    for code, industry in _INDUSTRY_OF.items():
        hits = {i.name for i in by_name.values() for r in i.rules if not r.keywords and code.startswith(r.prefix)}
        assert hits == {industry}, (code, hits)


def test_codes_span_branches_the_district_lacks_and_some_grow(comparison, demo):
    _, _, district = _read(demo["paths"][0])
    district_codes = {c for r in district for c in r["分类号"].split(";")}
    shared = {c for cs in cmp.SHARED_CODES.values() for c in cs}
    wider = {c for ws in cmp.WIDER_CODES.values() for c, _, _ in ws}
    assert len(wider) == 62 and not wider & district_codes  # branches the district never files in
    # Each wider code is drawn: the rarest (consumer goods, 3 % · 0.5 / 4 codes) ≈ 11 times in 3000 rows.
    unbranched = {c for cs in cmp.UNBRANCHED_CODES.values() for c, _ in cs}
    assert {r["主分类号"] for r in comparison["rows"]} - shared - unbranched == wider

    def observed_and_expected(years):
        """Share of rows on rising codes, and its expectation from the weights (Σ over industries and years of
        the industry's share × the rising codes' weight / all its weights, weighted by the year's rows)."""
        rows = [r for r in comparison["rows"] if int(r["申请日"][:4]) in years]
        expected = 0.0
        for year in years:
            year_rows = sum(r["申请日"].startswith(str(year)) for r in rows)
            for industry, (codes, cum) in cmp._code_table(year).items():
                weights = [b - a for a, b in zip([0.0, *cum], cum, strict=False)]
                rising = sum(w for (c, _), w in zip(codes, weights, strict=True) if c in _RISING)
                expected += year_rows * cmp.INDUSTRY_MIX[industry] * rising / cum[-1]
        return sum(r["主分类号"] in _RISING for r in rows), expected / len(rows), len(rows)

    early, p_early, n_early = observed_and_expected(range(2005, 2017))
    late, p_late, n_late = observed_and_expected(range(2021, 2025))
    assert p_early < 0.2 and p_late > 2 * p_early  # ≈ 0.17 before 2017, ≈ 0.45 from 2021
    assert _within(early, n_early, p_early) and _within(late, n_late, p_late), (early, n_early, late, n_late)


def test_application_numbers_are_valid_and_never_collide(comparison, demo):
    numbers = [r["申请号"] for r in comparison["rows"]]
    assert len(set(numbers)) == N
    for number in numbers:
        digits, check = number.split(".")
        assert check == check_digit(digits) and int(digits[5:]) > cmp.SERIAL_BASE
    _, _, district = _read(demo["paths"][0])
    _, _, small = _read(next(p for p in demo["paths"] if p.name == cmp.FILE_NAME))
    district_numbers = {r["申请号"] for r in district}
    assert district_numbers.isdisjoint(r["申请号"] for r in small)
    assert {r["公开(公告)号"][:-1] for r in district if r["公开(公告)号"]}.isdisjoint(
        r["公开(公告)号"][:-1] for r in small if r["公开(公告)号"])


def test_co_applications_and_kinds(comparison):
    rows = comparison["rows"]
    def kind(name):
        return "university" if name.endswith("大学") else "institute" if "研究" in name else \
            "enterprise" if name.endswith("公司") else "individual"
    leads = Counter(kind(r["申请(专利权)人"].split(";")[0]) for r in rows)
    for k, share in cmp.APPLICANT_MIX:
        assert _within(leads[k], N, share), (k, leads[k])
    # University-led: 14 % of 3000 ≈ 420, 35 % of them with an enterprise (≈ 147 ± 39).
    holders = [r["申请(专利权)人"].split(";") for r in rows]
    university = [names for names in holders if kind(names[0]) == "university"]
    with_enterprise = sum(len(names) == 2 and kind(names[1]) == "enterprise" for names in university)
    assert _within(with_enterprise, len(university), cmp.CO_APPLY["university"])


def test_inventors_recur_and_co_invent(comparison, demo):
    _, _, district = _read(demo["paths"][0])
    for rows in (comparison["rows"], district):
        teams = [r["发明人"].split(";") for r in rows]
        assert all(1 <= len(t) <= 6 and len(set(t)) == len(t) and all(t) for t in teams)
        for r, team in zip(rows, teams, strict=True):
            names = r["申请(专利权)人"].split(";")
            if len(names) == 1 and not names[0].endswith(("公司", "大学", "学院", "研究院", "研究所", "(普通合伙)")):
                assert team == names  # an individual applicant is the inventor
        people = Counter(p for t in teams for p in t)
        pairs = Counter(pair for t in teams for pair in combinations(sorted(t), 2))
        assert people.most_common(1)[0][1] >= 10 and pairs.most_common(1)[0][1] >= 3
    # The district's inventors come from a stream of their own (seed + 18): no other column moved.
    paths = generate_demo(demo["root"] / "again", applications=600, seed=SEED, comparison=0)
    _, _, again = _read(paths[0])
    assert [list(r.values()) for r in again] == [list(r.values()) for r in district]


def test_legal_events_and_citations(comparison):
    rows = comparison["rows"]
    granted = [r for r in rows if r["授权公告日"]]
    assert all(f"{r['授权公告日']} 授权" in r["法律事件"] for r in granted)
    assert sum("未缴年费专利权终止" in r["法律事件"] for r in granted) > 0.1 * len(granted)
    assert sum("驳回" in r["法律事件"] for r in rows) > 0
    published = {r["公开(公告)号"]: (r["公开(公告)日"], _INDUSTRY_OF[r["主分类号"]]) for r in rows if r["公开(公告)号"]}
    cites = [(r, c) for r in rows for c in r["专利引证"].split(";") if c]
    assert len(cites) > N / 4
    for r, cited in cites:  # an earlier publication of the file, of the same industry
        day, industry = published[cited]
        assert day < r["申请日"] and industry == _INDUSTRY_OF[r["主分类号"]]


def test_same_seed_same_bytes(tmp_path, comparison):
    (again,) = cmp.generate_comparison(tmp_path, N, SEED)
    assert again.read_bytes() == comparison["path"].read_bytes()
    (other,) = cmp.generate_comparison(tmp_path / "x" / "y", 50, SEED + 1)  # the folder is made
    assert other.read_bytes()[:2000] != again.read_bytes()[:2000]


def test_comparison_size_and_order(demo, tmp_path):
    names = [p.name for p in demo["paths"]]
    assert names[:3] == ["patents_cnipa.csv", "families_google.jsonl", cmp.FILE_NAME]
    assert len(_read(demo["paths"][2])[2]) == 600
    none = generate_demo(tmp_path, applications=100, seed=1, comparison=0)
    assert cmp.FILE_NAME not in [p.name for p in none] and not (tmp_path / cmp.FILE_NAME).exists()
    default = generate_demo(tmp_path / "d", applications=100, seed=1)
    assert len(_read(tmp_path / "d" / cmp.FILE_NAME)[2]) == 200 and cmp.FILE_NAME in [p.name for p in default]
    with pytest.raises(ValueError):
        generate_demo(tmp_path / "e", applications=100, comparison=-1)


def test_navigation_project_rows():
    world = _World(random.Random(3), 600)
    rows = navigation_project_rows(random.Random(4), world)
    by_status = Counter(r[7] for r in rows)
    assert by_status == {"已验收": 3, "终止": 1, "实施中": 2}  # the template's Chinese labels
    enterprises = {e.name for e in world.enterprises}
    for _number, title, kind, enterprise, industry, started, accepted, status, report, _ in rows:
        assert kind == "企业" and enterprise in enterprises and industry in cmp.INDUSTRY_MIX and title
        if status == "已验收":  # after the plan's baseline, by the demo's as-of date
            assert date(2021, 12, 31) < date.fromisoformat(accepted) <= date(2024, 6, 30)
            assert date.fromisoformat(started) < date.fromisoformat(accepted) and report
        else:
            assert accepted == "" and report == ""
    assert len({r[0] for r in rows}) == 6


def test_cli_comparison_option(tmp_path):
    out = tmp_path / "demo"
    result = subprocess.run([HVP, "demo", "--out", str(out), "--applications", "100", "--comparison", "30",
                             "--generate-only"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(_read(out / cmp.FILE_NAME)[2]) == 30 and "对比区域（其他区县与外省，合成）：30 件申请" in result.stdout
    bad = subprocess.run([HVP, "demo", "--out", str(out), "--comparison", "-1", "--generate-only"],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "--comparison" in bad.stdout + bad.stderr


def test_import_gives_inventors_and_projects(demo):
    from hvpatent.ingest import import_file
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(demo["root"] / "w.duckdb") as wh:
        for path in demo["paths"]:
            import_file(wh, path)
        con = wh.con
        stored = {r[0] for r in con.sql("SELECT DISTINCT app_no FROM inventors").fetchall()}
        people = con.sql("SELECT count(*) FROM inventors").fetchall()[0][0]
        projects = con.sql("SELECT status, count(*) FROM navigation_projects GROUP BY 1").fetchall()

    def digits(number: str) -> str:
        return "".join(ch for ch in number if ch.isdigit())[:12]

    files = [_read(p)[2] for p in demo["paths"] if p.name in ("patents_cnipa.csv", cmp.FILE_NAME)]
    written = [r["发明人"].count(";") + 1 for rows in files for r in rows]
    assert {digits(a) for a in stored} == {digits(r["申请号"]) for rows in files for r in rows}
    assert people == sum(written) and len(written) == 1200
    assert dict(projects) == {"accepted": 3, "terminated": 1, "in_progress": 2}


def test_the_classifier_places_the_unbranched_codes(demo, tmp_path):
    """The comparison world's codes that no branch names (UNBRANCHED_CODES) reach the breakdown only through the
    classifier that `hvp demo` trains: each such patent gets a model placement, and no rule placement."""
    from hvpatent.ingest import import_file
    from hvpatent.navigation import placements, train
    from hvpatent.warehouse.store import Warehouse

    industry_code = {"汽车摩托车": "auto_moto", "生物医药及大健康": "biomedicine_health"}
    with Warehouse(tmp_path / "w.duckdb") as wh:
        for path in demo["paths"]:
            import_file(wh, path)
        for name, codes in cmp.UNBRANCHED_CODES.items():
            industry = industry_code[name]
            mains = [c for c, _ in codes]
            unbranched = {r[0] for r in wh.con.execute(
                "SELECT app_no FROM applications WHERE ipc_main IN (SELECT unnest(?))", [mains]).fetchall()}
            assert unbranched, name  # drawn in this world (4 % of the industry's comparison applications)
            report = train(wh.con, industry)
            placed = placements(wh.ibis(), industry).to_pyarrow().to_pylist()
            sources = {}
            for row in placed:
                sources.setdefault(row["app_no"], set()).add(row["source"])
            assert all(sources.get(app) == {"model"} for app in unbranched), (name, {a: sources.get(a)
                                                                                     for a in unbranched})
            assert report.placed >= len(unbranched)
