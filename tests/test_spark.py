"""The same indicators, high-value lists and legal states on Spark (local mode) as on DuckDB.

Two worlds: the hand-built district of world.py (whose answers are checked by hand in
test_indicators.py) and a small generated demo district. Spark reads the warehouse exported as
Parquet, exactly as a cluster would: the world with the timelines DuckDB built (exported with it), the
demo with timelines Spark built itself from the canonical tables (build_derived), which must equal
DuckDB's row for row.
"""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest

import world
from hvpatent.indicators import INDICATORS, Context, grouped_values, high_value_list
from hvpatent.warehouse.derived import is_current
from hvpatent.warehouse.spark import derived_names
from hvpatent.warehouse.store import Warehouse
from rows import assert_same_rows

DERIVED = tuple(derived_names())  # the timelines, memberships, first applicants

pyspark = pytest.importorskip("pyspark")

if shutil.which("java") is None:  # pragma: no cover - the CI machine has Java 17
    pytest.skip("Spark needs a Java runtime", allow_module_level=True)


@pytest.fixture(scope="module")
def session():
    from hvpatent.warehouse.spark import spark_session

    spark = spark_session("local[2]")
    yield spark
    spark.stop()


def _both(session, wh: Warehouse, folder):
    from hvpatent.warehouse.spark import export_parquet, spark_backend

    export_parquet(wh, folder)
    return wh.ibis(), spark_backend(session, folder)


@pytest.fixture(scope="module")
def world_backends(session, tmp_path_factory):
    root = tmp_path_factory.mktemp("spark-world")
    wh = Warehouse(root / "world.duckdb")
    world.build(wh)
    yield _both(session, wh, root / "parquet")
    wh.close()


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory):
    return tmp_path_factory.mktemp("spark-demo")


@pytest.fixture(scope="module")
def demo_backends(session, demo_root):
    from hvpatent.demo import generate_demo
    from hvpatent.indicators import refresh_derived
    from hvpatent.ingest import import_file
    from hvpatent.warehouse.spark import build_derived, export_parquet, spark_backend

    root = demo_root
    wh = Warehouse(root / "demo.duckdb")
    for path in generate_demo(root / "files", applications=1500, seed=7, comparison=1500):
        import_file(wh, path)
    # Exported before DuckDB's refresh: only the canonical tables go, and Spark builds the timelines.
    assert {p.stem for p in export_parquet(wh, root / "parquet")}.isdisjoint(DERIVED)
    refresh_derived(wh)
    assert set(build_derived(session, root / "parquet")) == set(DERIVED)
    yield wh.ibis(), spark_backend(session, root / "parquet")
    wh.close()


_same = assert_same_rows


def _values(ctx, by: str | None) -> list[dict]:
    """Every indicator's value (per group) in one context; the contexts keep their cached legal
    states between calls, which is what keeps Spark's share of the test time bearable."""
    rows = []
    for key in INDICATORS:
        for row in grouped_values(ctx, key, by).to_pyarrow().to_pylist():
            rows.append({"key": key, "group": row["group"], "value": row["value"]})
    return sorted(rows, key=lambda r: (r["key"], str(r["group"])))


def _contexts(backends, as_of: date, period: str, region: str | None):
    return tuple(Context.create(con, as_of, period, region) for con in backends)


@pytest.fixture(scope="module")
def world_contexts(world_backends):
    return _contexts(world_backends, date(2024, 12, 31), "year", "500118")


@pytest.fixture(scope="module")
def demo_contexts(demo_backends):
    return _contexts(demo_backends, date(2024, 6, 30), "quarter", "500118")


@pytest.mark.parametrize("by", [None, "town", "industry", "applicant-type"])
def test_world_indicators_match(world_contexts, by):
    duck, spark = world_contexts
    expected = _values(duck, by)
    assert sum(1 for r in expected if r["value"]) > (15 if by is None else 5)
    _same(expected, _values(spark, by))


def test_world_high_value_list_matches(world_backends):
    duck, spark = world_backends
    expected = high_value_list(duck, date(2024, 12, 31), "500118")
    assert [r["app_no"] for r in expected] == [world.A1, world.A3, world.A5]
    _same(expected, high_value_list(spark, date(2024, 12, 31), "500118"))


@pytest.mark.parametrize("by", [None, "town"])
def test_demo_indicators_match(demo_contexts, by):
    duck, spark = demo_contexts
    expected = _values(duck, by)
    assert sum(1 for r in expected if r["value"]) > 15
    _same(expected, _values(spark, by))


def test_demo_figures_match(demo_backends):
    """figures() prefetches the three days' states in one cached query (a memtable of days: Ibis's PySpark
    backend needed spark._with_cache_fix for it)."""
    from hvpatent.indicators import figures

    duck, spark = demo_backends
    keys = ["valid_inventions", "high_value_inventions", "invention_grants"]
    expected = figures(duck, date(2024, 6, 30), "500118", "quarter", keys=keys)
    assert [r["key"] for r in expected] == keys and expected[0]["value"] > 0
    _same(expected, figures(spark, date(2024, 6, 30), "500118", "quarter", keys=keys))


def test_demo_high_value_list_matches(demo_backends):
    duck, spark = demo_backends
    expected = high_value_list(duck, date(2024, 6, 30))
    assert len(expected) > 20
    _same(expected, high_value_list(spark, date(2024, 6, 30)))


def test_demo_legal_states_match(demo_backends):
    """From the stored timelines on both engines, and by the rules directly on Spark (as_known_on's path)."""
    from hvpatent.legal import legal_state
    from hvpatent.legal.state import direct_state

    duck, spark = demo_backends

    def rows(states):
        cols = ["app_no", "state", "years_maintained", "next_due_date", "next_due_amount", "late_fee", "term_end"]
        return states.select(*cols).order_by("app_no").to_pyarrow().to_pylist()

    expected = rows(legal_state(duck, date(2024, 6, 30)))
    assert len({r["state"] for r in expected}) >= 5
    assert rows(legal_state(spark, date(2024, 6, 30))) == expected
    assert rows(direct_state(spark, date(2024, 6, 30))) == expected


def test_demo_value_inputs_and_outcomes_match(demo_backends):
    """The value assessment's raw inputs (one portable Ibis query, as known on the day) and the validation's
    outcomes after it: the parts a province would run on Spark (the scoring itself is pandas over these rows)."""
    from hvpatent.value import outcomes, value_features

    duck, spark = demo_backends
    day = date(2022, 12, 31)

    def rows(table):
        return table.order_by("app_no").to_pyarrow().to_pylist()

    expected = rows(value_features(duck, day))
    assert sum(1 for r in expected if r["forward_citations"]) > 10 and any(r["family_size"] for r in expected)
    _same(expected, rows(value_features(spark, day)))
    expected = rows(outcomes(duck, date(2018, 12, 31)))
    assert {r["maintained"] for r in expected} >= {True, False}
    _same(expected, rows(outcomes(spark, date(2018, 12, 31))))


@pytest.mark.parametrize("name", DERIVED)
def test_spark_built_derived_tables_equal_duckdb(demo_backends, name):
    from hvpatent.indicators import derived_tables

    duck, spark = demo_backends
    fingerprint = next(d.fingerprint for d in derived_tables() if d.name == name)
    assert is_current(duck, name, fingerprint) and is_current(spark, name, fingerprint)

    def rows(con):
        table = con.table(name)
        return sorted(table.to_pyarrow().to_pylist(), key=lambda r: [str(v) for v in r.values()])

    expected = rows(duck)
    assert len(expected) > (3000 if name == "legal_timeline" else 100)  # the demo has 1,500 applications
    assert duck.table(name).schema() == spark.table(name).schema()
    assert rows(spark) == expected


def test_export_carries_derived_tables_only_when_current(tmp_path):
    from hvpatent.warehouse.spark import export_parquet

    wh = Warehouse(tmp_path / "world.duckdb")
    world.build(wh)  # refreshed, as an import leaves it
    assert {p.stem for p in export_parquet(wh, tmp_path / "out")} >= set(DERIVED)
    timeline = tmp_path / "out" / "legal_timeline.parquet"
    rows = wh.con.execute(f"SELECT count(*) FROM '{timeline}'").fetchall()[0][0]
    assert rows == wh.con.execute("SELECT count(*) FROM legal_timeline").fetchall()[0][0] > 0
    # As an import leaves it: an application touched, its stored rows out of date until the next refresh.
    wh.con.execute("INSERT INTO derived_stale VALUES (?)", [world.A1])
    assert {p.stem for p in export_parquet(wh, tmp_path / "out")}.isdisjoint(DERIVED)
    assert not timeline.exists()  # the older copy goes too: Spark computes from the events
    wh.close()


def test_cli_build_timelines(demo_backends, demo_root, tmp_path):
    """The command reuses this process's Spark session (getOrCreate) on the demo's folder, built already."""
    from typer.testing import CliRunner

    from hvpatent.cli.main import app
    from hvpatent.indicators import figures

    done = CliRunner().invoke(app, ["spark", "build-timelines", str(demo_root / "parquet")])
    assert done.exit_code == 0 and "up to date" in done.output, done.output
    missing = CliRunner().invoke(app, ["spark", "build-timelines", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1 and "nowhere/imports.parquet" in missing.output
    # A cluster's queries: the export only, no DuckDB file.
    asked = CliRunner().invoke(app, ["--db", str(tmp_path / "none.duckdb"), "--engine", "spark", "--spark-data",
                                     str(demo_root / "parquet"), "indicators", "--as-of", "2024-06-30",
                                     "--region", "500118", "--key", "valid_inventions", "--format", "json"])
    assert asked.exit_code == 0, asked.output
    expected = figures(demo_backends[0], date(2024, 6, 30), "500118", keys=["valid_inventions"])
    assert json.loads(asked.stdout)[0]["value"] == expected[0]["value"] > 0
    assert not (tmp_path / "none.duckdb").exists()


@pytest.mark.parametrize(("key", "period", "region"), [
    ("applications-home-abroad", "2024-Q2", None),      # the country, foreign applicants included
    ("valid-inventions-by-region", "2024-06", "500118"),  # by town, with population, density and rank
])
def test_demo_forms_match(demo_backends, key, period, region):
    """An official form on Spark prints what it prints on DuckDB, cell for cell, and a cell's list is the same:
    the first applicants' origin and category (with applicant_categories, a table Spark reads like any other)."""
    from hvpatent.forms import cell_records, compute_form, find_form, parse_period

    duck, spark = demo_backends
    spec, chosen = find_form(key), parse_period(period)
    expected, got = compute_form(duck, spec, chosen, region), compute_form(spark, spec, chosen, region)
    assert [r.key for r in got.rows] == [r.key for r in expected.rows]
    assert {k: c.text for k, c in got.cells.items()} == {k: c.text for k, c in expected.cells.items()}
    assert int(expected.cells[(expected.rows[0].key, spec.columns[0].key)].value) > 0
    assert [n("zh") for n in got.notes] == [n("zh") for n in expected.notes]
    row = expected.rows[-1].key if spec.by_region else "total_service"
    _same(cell_records(duck, spec, chosen, region, row, spec.columns[0].key).to_pyarrow().to_pylist(),
          cell_records(spark, spec, chosen, region, row, spec.columns[0].key).to_pyarrow().to_pylist())


def test_demo_navigation_landscape_matches(demo_backends):
    """An industry's landscape on Spark: the trend, the branch counts (rule placements on Spark's own matching),
    RTA and positions, the top applicants and the drill-down of a branch, as on DuckDB (the demo's comparison
    world is Chongqing's)."""
    from hvpatent.navigation import landscape, landscape_patent_count, landscape_patents

    duck, spark = demo_backends
    as_of = date(2024, 6, 30)
    expected, got = (landscape(b, "new_energy", as_of, "500118") for b in (duck, spark))
    assert_same_rows(got.trend, expected.trend)
    assert_same_rows(got.branches, expected.branches)
    assert sum(b["region_count"] for b in expected.branches) > 0
    assert got.applicants == expected.applicants
    branch = max(expected.branches, key=lambda b: b["region_count"])["branch"]
    _same(landscape_patents(spark, "new_energy", as_of, "500118", branch=branch),
          landscape_patents(duck, "new_energy", as_of, "500118", branch=branch))
    # the list API's filters and paging (issue 17): a page of the comparison side's inventions since 2018, the count,
    # and the top applicant's patents in any position
    page = {"side": "compare", "since_year": 2018, "patent_type": "invention,utility_model"}
    _same(landscape_patents(spark, "new_energy", as_of, "500118", limit=5, offset=3, **page),
          landscape_patents(duck, "new_energy", as_of, "500118", limit=5, offset=3, **page))
    assert landscape_patent_count(spark, "new_energy", as_of, "500118", **page) == \
        landscape_patent_count(duck, "new_energy", as_of, "500118", **page) > 8
    top = expected.applicants["region"][0]["applicant"]
    _same(landscape_patents(spark, "new_energy", as_of, "500118", applicant=top, party="any"),
          landscape_patents(duck, "new_energy", as_of, "500118", applicant=top, party="any"))


# -- tests with a world of their own: LAST in this module ------------------------------------------------------
# spark_backend registers the Parquet tables as the session's views by table name, so a test that exports a world of
# its own re-points "applications", "parties" … for every later test of the shared session; the module fixtures'
# tests (world_backends, demo_backends) above must all have run first.


def test_trademark_indicators_match(session, tmp_path):
    """The trademark world of test_trademark_indicators: states, figures and breakdowns the same on Spark."""
    from hvpatent.trademarks import mark_states
    from test_trademark_indicators import AS_OF, DISTRICT, _build

    wh = Warehouse(tmp_path / "tm.duckdb")
    _build(wh)
    duck, spark = _both(session, wh, tmp_path / "parquet")
    keys = ["trademarks", "trademarks_per_10k_entities", "trademark_registrations"]  # records, density, a flow
    # (the other stocks are the same list filtered by a column; each key costs Spark seconds of planning)

    def rows(con):
        from hvpatent.indicators.compute import grouped_many

        ctx = Context.create(con, AS_OF, "year", DISTRICT)
        found = [{"by": None, "values": grouped_many([(ctx, k) for k in keys])},
                 {"by": "nice-class", "values": grouped_many([(ctx, "trademarks")], "nice-class")}]
        fallback = grouped_many([(Context.create(con, AS_OF, "year", "500102"), "trademarks")])  # totals only
        return [*found, {"by": "fallback", "values": fallback}]

    expected = rows(duck)
    assert sum(1 for part in expected for found in part["values"] for v in found.values() if v) > 8
    assert rows(spark) == expected
    states = [mark_states(con, AS_OF).order_by(["reg_no", "nice_class"]).to_pyarrow().to_pylist()
              for con in (duck, spark)]
    assert states[0] == states[1] and len(states[0]) == 10
    wh.close()


def test_recognitions_match(session, tmp_path):
    """The district of test_recognitions: the enterprises new since the baseline (one per enterprise, its
    recognitions listed) and those in force, the same on Spark (a window over names, a group_concat)."""
    from hvpatent.ingest import import_file
    from hvpatent.ingest.templates import write_template
    from hvpatent.recognitions import new_recognitions, recognitions_in_force
    from test_recognitions import ADV, BASE, ROWS, fill

    wh = Warehouse(tmp_path / "rec.duckdb")
    world.build(wh)
    import_file(wh, fill(write_template("recognitions", tmp_path / "rec.xlsx"), ROWS))
    duck, spark = _both(session, wh, tmp_path / "parquet")

    def rows(con):
        new = new_recognitions(con, BASE, date(2024, 12, 31), ADV).order_by("enterprise_key").to_pyarrow().to_pylist()
        for r in new:
            r["listed"] = sorted(r["listed"].split("；"))  # group_concat's order is the engine's
        held = recognitions_in_force(con, date(2024, 6, 30)).order_by(["enterprise_key", "kind", "recognised_date"])
        return new, held.to_pyarrow().to_pylist()

    expected = rows(duck)
    assert len(expected[0]) == 3 and len(expected[1]) > 5  # 乙, 庚, 癸 new by the end of 2024 (辛 revoked)
    assert rows(spark) == expected
    wh.close()


def test_pledge_registry_matches(session, tmp_path):
    """The registry of test_finance_registry: statistics by bank (changes applied, contracts once) and the
    contracts on the day of a change, the same on Spark (windows, left joins, string dates cast)."""
    from hvpatent.finance.registry import contracts_on, pledge_statistics
    from test_finance_registry import YEAR, build_registry

    wh = Warehouse(tmp_path / "registry.duckdb")
    build_registry(wh)
    duck, spark = _both(session, wh, tmp_path / "parquet")

    def rows(con):
        on = contracts_on(con, date(2024, 6, 1)).order_by("contract_no").to_pyarrow().to_pylist()
        return pledge_statistics(con, *YEAR, by="bank"), on

    expected = rows(duck)
    assert len(expected[0]) == 4 and len(expected[1]) == 6  # 4 banks; C1…C5 and the legacy L1
    assert rows(spark) == expected
    wh.close()
