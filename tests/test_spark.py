"""The same indicators, high-value lists and legal states on Spark (local mode) as on DuckDB.

Two worlds: the hand-built district of world.py (whose answers are checked by hand in
test_indicators.py) and a small generated demo district. Spark reads the warehouse exported as
Parquet, exactly as a cluster would.
"""

from __future__ import annotations

import math
import shutil
from datetime import date

import pytest

import world
from hvpatent.indicators import INDICATORS, Context, grouped_values, high_value_list
from hvpatent.warehouse.store import Warehouse

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
def demo_backends(session, tmp_path_factory):
    from hvpatent.demo import generate_demo
    from hvpatent.ingest import import_file

    root = tmp_path_factory.mktemp("spark-demo")
    wh = Warehouse(root / "demo.duckdb")
    for path in generate_demo(root / "files", applications=1500, seed=7):
        import_file(wh, path)
    yield _both(session, wh, root / "parquet")
    wh.close()


def _same(left: list[dict], right: list[dict]) -> None:
    assert len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            x, y = a[key], b[key]
            if isinstance(x, float) or isinstance(y, float):
                assert (x is None and y is None) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9), (a, key)
            else:
                assert x == y, (a, key)


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


def test_demo_high_value_list_matches(demo_backends):
    duck, spark = demo_backends
    expected = high_value_list(duck, date(2024, 6, 30))
    assert len(expected) > 20
    _same(expected, high_value_list(spark, date(2024, 6, 30)))


def test_demo_legal_states_match(demo_backends):
    from hvpatent.legal import legal_state

    duck, spark = demo_backends

    def rows(con):
        states = legal_state(con, date(2024, 6, 30))
        cols = ["app_no", "state", "years_maintained", "next_due_date", "next_due_amount", "late_fee", "term_end"]
        return states.select(*cols).order_by("app_no").to_pyarrow().to_pylist()

    expected = rows(duck)
    assert len({r["state"] for r in expected}) >= 5
    assert rows(spark) == expected
