"""Rankings by county, city and province (`hvp indicators --by county|city|province`) on a hand-made
nation of a few counties, every figure worked out by hand below."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import pytest

from hvpatent.indicators import refresh_derived
from hvpatent.ingest.appno import check_digit
from hvpatent.ingest.fields import normalize_name
from hvpatent.model import Batch
from hvpatent.reference.regions import attribute

YONGCHUAN = "重庆市永川区胜利路街道人民大道1号"   # 500118, city 500100, province 500000
JIANGJIN = "重庆市江津区几江街道1号"             # 500116
HAIDIAN = "北京市海淀区中关村大街1号"            # 110108, city 110100, province 110000
XUANWU = "江苏省南京市玄武区中山路1号"           # 320102, city 320100, province 320000 (no population)
NANJING = "江苏省南京市某某路1号"                # city 320100 only: no county
HONG_KONG = "香港特别行政区九龙湾宏照道1号"        # 810000: outside the domestic scope
DONGGUAN = "广东省东莞市松山湖园区新竹路1号"      # 441900: a city without counties, a county-level unit
AS_OF = date(2024, 12, 31)
sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))  # reference_sql.py, the benchmarks' yardstick


def no(serial: int, year: int) -> str:
    digits = f"{year}1{serial:07d}"
    return f"{digits}.{check_digit(digits)}"


GRANTED = [(date(2015, 1, 10), "granted")]
# app_no, filing date, [first applicant's address, co-applicants'…], events
APPS = [
    (no(1, 2012), date(2012, 6, 1), [YONGCHUAN], GRANTED),
    (no(2, 2013), date(2013, 6, 1), [YONGCHUAN], GRANTED),
    (no(3, 2024), date(2024, 3, 1), [YONGCHUAN], []),                       # pending: a 2024 application
    (no(4, 2012), date(2012, 7, 1), [JIANGJIN], GRANTED),
    (no(5, 2012), date(2012, 8, 1), [HAIDIAN], GRANTED),
    (no(6, 2012), date(2012, 9, 1), [XUANWU], GRANTED),
    # Lapsed: the annuity due 2022-06-01 unpaid, announced 2023-01-20; not valid on the as-of date.
    (no(7, 2012), date(2012, 6, 1), [XUANWU], [*GRANTED, (date(2023, 1, 20), "annuity_lapse")]),
    (no(8, 2012), date(2012, 10, 1), [HONG_KONG], GRANTED),
    # First applicant in Haidian, co-applicant in Yongchuan: counts for Haidian only.
    (no(9, 2012), date(2012, 11, 1), [HAIDIAN, YONGCHUAN], GRANTED),
    (no(10, 2012), date(2012, 12, 1), [NANJING], GRANTED),
    (no(11, 2012), date(2012, 12, 2), [DONGGUAN], GRANTED),
]
POPULATION = {"500118": 1_000_000, "500116": 900_000, "110108": 3_000_000, "500100": 20_000_000,
              "110100": 21_000_000, "500000": 32_000_000, "110000": 21_850_000, "500118002000": 100_000,
              "441900": 10_000_000}


def build(wh) -> None:
    batch = Batch()
    batch.set("applications", [{"app_no": a, "patent_type": "invention", "filing_date": f, "title": f"测试{i}",
                                "ipc_main": "A47B88/40", "source": "test"} for i, (a, f, _, _) in enumerate(APPS)])
    batch.set("parties", [
        {"app_no": a, "seq": seq, "role": "applicant", "name": f"申请人{i}{seq}有限公司",
         "name_norm": normalize_name(f"申请人{i}{seq}有限公司"), "party_type": "enterprise", "address": address,
         **attribute(address).__dict__}
        for i, (a, _, addresses, _) in enumerate(APPS) for seq, address in enumerate(addresses, 1)])
    batch.set("ipc_classes", [{"app_no": a, "seq": 1, "ipc": "A47B88/40", "is_main": True} for a, *_ in APPS])
    batch.set("legal_events", [{"app_no": a, "event_date": d, "event_type": e, "raw_text": e}
                               for a, f, _, events in APPS for d, e in [(f, "filed"), *events]])
    with wh.import_transaction("nation", "nation", "test", "fixture") as tx:
        tx.add(batch, len(APPS))
    records = Batch()
    records.set("population", [{"region_code": code, "year": 2024, "population": people}
                               for code, people in POPULATION.items()])
    with wh.import_transaction("records", "records", "test", "fixture") as tx:
        tx.add(records, 0)
    refresh_derived(wh)  # as `hvp import` does after its files: the figures read the stored timelines


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    from hvpatent.warehouse.store import Warehouse

    path = tmp_path_factory.mktemp("nation") / "nation.duckdb"
    with Warehouse(path) as wh:
        build(wh)
    return str(path)


@pytest.fixture(scope="module")
def nation(db):
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(db, read_only=True) as wh:
        yield wh


@pytest.fixture(scope="module")
def con(nation):
    return nation.ibis()


def ranking(con, key: str, by: str, region: str | None = None) -> dict[str, float | None]:
    from hvpatent.indicators import figures

    return {r["group"]: r["value"] for r in figures(con, AS_OF, region, by=by, keys=[key])}


def test_counts_per_county_city_and_province(con):
    # Hong Kong is not ranked (domestic scope); the Nanjing applicant without a county counts for its city;
    # Dongguan, a city without counties, is a county-level unit of its own.
    assert ranking(con, "valid_inventions", "county") == {"500118": 2, "500116": 1, "110108": 2, "320102": 1,
                                                          "441900": 1}
    assert ranking(con, "valid_inventions", "city") == {"500100": 3, "110100": 2, "320100": 2, "441900": 1}
    assert ranking(con, "valid_inventions", "province") == {"500000": 3, "110000": 2, "320000": 2, "440000": 1}
    assert ranking(con, "invention_applications", "county") == {"500118": 1}


def test_province_region_lists_its_counties(con):
    assert ranking(con, "valid_inventions", "county", region="500000") == {"500118": 2, "500116": 1}
    assert ranking(con, "valid_inventions", "city", region="320000") == {"320100": 2}


def per_10k(con, by: str, region: str | None = None) -> dict[str, float | None]:
    """Unrounded values (the figures' rows round to two decimals)."""
    from hvpatent.indicators import Context, grouped_values

    ctx = Context.create(con, AS_OF, region=region)
    rows = grouped_values(ctx, "valid_inventions_per_10k", by).to_pyarrow().to_pylist()
    return {r["group"]: r["value"] for r in rows}


def test_per_10k_uses_each_regions_population_and_none_without_one(con):
    assert per_10k(con, "county") == pytest.approx(
        {"500118": 0.02, "500116": 1 / 90, "110108": 2 / 300, "320102": None, "441900": 0.001})
    assert per_10k(con, "city") == pytest.approx(
        {"500100": 3 / 2000, "110100": 2 / 2100, "320100": None, "441900": 0.001})
    assert per_10k(con, "province") == pytest.approx(
        {"500000": 3 / 3200, "110000": 2 / 2185, "320000": None, "440000": None})
    # Inside Chongqing only Chongqing's counties, and the town's population row is not a county's.
    assert per_10k(con, "county", region="500000") == pytest.approx({"500118": 0.02, "500116": 1 / 90})
    assert ranking(con, "valid_inventions_per_10k", "county")["320102"] is None


def test_drill_of_one_city_lists_its_records(con):
    from hvpatent.indicators import drill

    rows = drill(con, "valid_inventions", AS_OF, by="city", group="320100")
    assert sorted(r["app_no"] for r in rows) == sorted([APPS[5][0], APPS[9][0]])
    assert [r["app_no"] for r in drill(con, "valid_inventions", AS_OF, by="county", group="441900")] == [APPS[10][0]]


def test_reference_sql_ranks_the_same_counties(nation):
    """bench/reference_sql.py on the nation: Hong Kong out, Nanjing's city-only applicant in no county, Dongguan in."""
    from reference_sql import county_figures, differences, hvpatent_figures

    counties = county_figures(nation.con, AS_OF)
    assert differences(counties, hvpatent_figures(nation.ibis(), AS_OF, by="county")) == []
    assert {code: row["valid_inventions"] for code, row in counties.items()} == {
        "500118": 2, "500116": 1, "110108": 2, "320102": 1, "441900": 1}


def test_cli_ranking_table_and_json(db):
    from test_cli import hvp

    out = hvp("--db", db, "indicators", "--as-of", "2024-12-31", "--by", "county", "--format", "json").stdout
    rows = json.loads(out)
    assert {r["group"]: r["value"] for r in rows if r["key"] == "valid_inventions"} == {
        "500118": 2, "500116": 1, "110108": 2, "320102": 1, "441900": 1}
    table = hvp("--db", db, "indicators", "--as-of", "2024-12-31", "--region", "500000", "--by", "county").stdout
    assert "永川区" in table and "江津区" in table and "海淀区" not in table
    assert table.index("永川区") < table.index("江津区")  # ranked by valid invention patents


# -- the hand-written reference SQL of bench/reference_sql.py gives hvpatent's answers ---------------------------
@pytest.fixture(scope="module")
def district(tmp_path_factory):
    """The hand-built district of world.py (restoration, lapse, pledges, awards, family abroad, directory-free),
    with status snapshots: a pending application shown in force, a granted one shown ended."""
    import world
    from hvpatent.warehouse.store import Warehouse

    path = tmp_path_factory.mktemp("district") / "district.duckdb"
    with Warehouse(path) as wh:
        world.build(wh)
        snapshots = Batch()
        snapshots.set("status_snapshots", [
            {"app_no": world.A6, "snapshot_date": date(2024, 6, 1), "status": "in_force", "raw_text": "有效",
             "source": "test"},
            {"app_no": world.A1, "snapshot_date": date(2024, 1, 1), "status": "ended", "raw_text": "失效",
             "source": "test"}])
        with wh.import_transaction("snapshots", "snapshots", "test", "fixture") as tx:
            tx.add(snapshots, 0)
        refresh_derived(wh)  # as `hvp import` does after its files: the figures read the stored timelines
    with Warehouse(path, read_only=True) as wh:
        yield wh


# 2024-03-01: A1 shown ended by its snapshot, A2 in its grace period, A6 pending; 2024-12-31: A6 shown in force,
# A2 past its grace period, A3 restored.
@pytest.mark.parametrize("day", [date(2024, 3, 1), date(2024, 12, 31)])
def test_reference_sql_equals_hvpatent(district, day):
    from reference_sql import county_figures, differences, hvpatent_figures, region_figures

    con, backend = district.con, district.ibis()
    for region in ("500118", "500118002000", None):
        ref = {"all": region_figures(con, day, region)}
        assert differences(ref, hvpatent_figures(backend, day, region)) == [], region
    counties = county_figures(con, day)
    assert differences(counties, hvpatent_figures(backend, day, by="county")) == []
    assert counties["500118"]["valid_inventions"] == hvpatent_figures(backend, day, "500118")["all"].get(
        "valid_inventions", 0)


def test_ranking_rows_rank_by_the_first_key_and_fill_counts_only():
    from hvpatent.cli.analysis import ranking_rows

    rows = [{"key": "valid_inventions", "group": "500118", "value": 2.0},
            {"key": "valid_inventions", "group": "500116", "value": 5.0},
            {"key": "valid_inventions_per_10k", "group": "500118", "value": 0.02},
            {"key": "valid_inventions_per_10k", "group": "320102", "value": None}]
    ranked = ranking_rows(rows, ["valid_inventions", "valid_inventions_per_10k"])
    assert [(r["rank"], r["code"]) for r in ranked] == [(1, "500116"), (2, "500118"), (3, "320102")]
    assert ranked[2]["valid_inventions"] == 0  # no record: a count of 0
    assert ranked[0]["valid_inventions_per_10k"] is None  # no population row: no value


def test_api_ranks_counties_and_drills_one(tmp_path):
    """The API takes the same `by`, ranks the world.py district's counties and drills one county's records."""
    import httpx

    import world
    from webserver import PASSWORD, world_server

    with world_server(tmp_path) as url, httpx.Client(base_url=url, timeout=120) as c:
        login = c.post("/api/login", json={"username": "analyst", "password": PASSWORD})
        c.headers["x-csrf-token"] = login.json()["csrf"]
        rows = c.get("/api/indicators", params={"as_of": "2024-12-31", "by": "county",
                                                "key": "valid_inventions"}).json()
        assert {r["group"]: r["value"] for r in rows} == {"500118": 4, "110108": 1}  # A4: first applicant Beijing
        records = c.get("/api/indicators/valid_inventions/records",
                        params={"as_of": "2024-12-31", "group_by": "province", "group": "110000"}).json()
        assert [r["app_no"] for r in records] == [world.A4]
        refused = c.get("/api/indicators", params={"by": "district"})
        assert refused.status_code == 422 and "county" in refused.text


def test_import_after_a_figure_on_the_same_warehouse(tmp_path):
    """Ibis turns DuckDB's replacement scans off on the connection it wraps; the importer reads its staged
    Arrow tables by name, so an import after a figure (a server computing, then importing) must still work."""
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.ibis().table("population").count().execute()
        records = Batch()
        records.set("population", [{"region_code": "500118", "year": 2024, "population": 1_000_000}])
        with wh.import_transaction("records", "records", "test", "fixture") as tx:
            tx.add(records, 0)
        assert wh.con.execute("SELECT population FROM population").fetchall() == [(1_000_000,)]
