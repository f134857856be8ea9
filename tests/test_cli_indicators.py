"""`hvp indicators`, `highvalue`, `explain`, `plan` and `reference import-sei`, run as a user runs them,
on the hand-built district of world.py."""

from __future__ import annotations

import json

import pytest
from openpyxl import Workbook, load_workbook

import world
from test_cli import hvp


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    from hvpatent.warehouse.store import Warehouse

    path = tmp_path_factory.mktemp("cli-world") / "world.duckdb"
    with Warehouse(path) as wh:
        world.build(wh)
    return str(path)


def indicators_json(db: str, *args: str) -> list[dict]:
    out = hvp("--db", db, "indicators", "--as-of", "2024-12-31", "--region", "500118", "--format", "json", *args)
    return json.loads(out.stdout)


def test_indicators_json_has_values_and_changes(db):
    rows = {r["key"]: r for r in indicators_json(db)}
    assert rows["valid_inventions"]["value"] == 4 and rows["valid_inventions"]["last_year"] == 3
    assert rows["valid_inventions"]["yoy_pct"] == pytest.approx(33.33, abs=0.01)
    assert rows["high_value_inventions"]["value"] == 3
    assert rows["invention_grant_rate"]["value"] == pytest.approx(66.67, abs=0.01)


def test_indicators_by_town(db):
    rows = indicators_json(db, "--by", "town", "--key", "valid_inventions")
    assert {r["group"]: r["value"] for r in rows} == {"500118002000": 2, "500118111000": 2}  # A1 A5 | A3 A10


@pytest.mark.parametrize("key", ["valid_inventions", "high_value_inventions", "invention_grants", "pledge_count"])
def test_drill_xlsx_has_as_many_rows_as_the_figure(db, tmp_path, key):
    figure = next(r["value"] for r in indicators_json(db, "--key", key))
    path = tmp_path / f"{key}.xlsx"
    hvp("--db", db, "indicators", "--as-of", "2024-12-31", "--region", "500118", "--drill", key,
        "--format", "xlsx", "--out", str(path))
    sheet = load_workbook(path).active
    assert sheet.max_row - 1 == figure  # one header row


def test_unknown_indicator_is_refused_with_the_list(db):
    result = hvp("--db", db, "indicators", "--key", "nonsense", check=False)
    assert result.returncode == 2 and "valid_inventions" in result.stderr


def test_highvalue_json_lists_criteria(db):
    out = hvp("--db", db, "highvalue", "--as-of", "2024-12-31", "--region", "500118", "--format", "json").stdout
    rows = json.loads(out)
    assert {r["app_no"]: r["criteria"] for r in rows} == {
        world.A1: "maintained_10y", world.A3: "maintained_10y,sei",
        world.A5: "award,family_abroad,pledge_high,sei"}


def test_explain_in_chinese_and_english(db):
    zh = hvp("--db", db, "explain", world.A5, "--as-of", "2024-12-31").stdout
    assert "是高价值发明专利" in zh and "中国专利奖" in zh
    en = hvp("--db", db, "--lang", "en", "explain", world.A10, "--as-of", "2024-12-31").stdout
    assert "not high-value" in en
    bad = hvp("--db", db, "explain", "12345", check=False)
    assert bad.returncode == 2


def test_plan_progress_and_tasks(db):
    out = hvp("--db", db, "plan", "progress", "--as-of", "2024-12-31", "--format", "json").stdout
    rows = {r["key"]: r for r in json.loads(out)}
    assert rows["valid_inventions_per_10k"]["current"] == pytest.approx(0.04)
    assert rows["valid_inventions_per_10k"]["status"] == "missed"     # deadline 2024-12-31, far from 10.7
    assert rows["navigation_projects"]["status"] == "no_data" and rows["navigation_projects"]["note"]
    tasks = json.loads(hvp("plan", "tasks", "--format", "json").stdout)
    assert len(tasks) == 11 and tasks[0]["responsible"] == "区经济信息委"


def test_plan_set_records_a_value(tmp_path):
    db = str(tmp_path / "p.duckdb")
    hvp("--db", db, "plan", "set", "navigation_projects", "2", "--as-of", "2024-06-30", "--note", "验收")
    out = hvp("--db", db, "plan", "progress", "--as-of", "2024-12-31", "--format", "json").stdout
    nav = next(r for r in json.loads(out) if r["key"] == "navigation_projects")
    assert nav["current"] == 2 and nav["status"] == "achieved"
    refused = hvp("--db", db, "plan", "set", "valid_inventions_per_10k", "3", check=False)
    assert refused.returncode != 0


def official_style_sei(path, rows):
    """Like the official table: code and name cells merged down over their IPC rows."""
    wb = Workbook()
    ws = wb.active
    ws.append(["战略性新兴产业分类与国际专利分类参照关系表（2021）"])
    ws.append(["战略性新兴产业分类代码", "战略性新兴产业分类名称", "国际专利分类", "关键词"])
    start = 3
    for code, name, ipcs in rows:
        for ipc in ipcs:
            ws.append([code if ws.max_row + 1 == start else None, None, ipc, None])
        ws.cell(start, 2, name)
        ws.merge_cells(start_row=start, end_row=start + len(ipcs) - 1, start_column=1, end_column=1)
        ws.merge_cells(start_row=start, end_row=start + len(ipcs) - 1, start_column=2, end_column=2)
        start += len(ipcs)
    wb.save(path)
    return path


def test_import_sei_replaces_the_concordance(tmp_path):
    db = str(tmp_path / "sei.duckdb")
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(db) as wh:
        world.build(wh)
    path = official_style_sei(tmp_path / "sei.xlsx", [
        ("7.1", "食品新兴产业（测试）", ["A23L7/10", "C12G3/02"]),
        ("1.1", "下一代信息网络产业", ["H04L", "H04W"]),
    ])
    out = hvp("--db", db, "reference", "import-sei", str(path)).stdout
    assert "4" in out
    rows = json.loads(hvp("--db", db, "highvalue", "--as-of", "2024-12-31", "--format", "json").stdout)
    sei = sorted(r["app_no"] for r in rows if "sei" in r["criteria"].split(","))
    assert sei == [world.A3]  # A23L7/10 now SEI; A1's battery and A5's neural network no longer are


def test_import_sei_rejects_bad_ipc_and_keeps_the_old_table(tmp_path):
    db = str(tmp_path / "sei.duckdb")
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(db) as wh:
        before = wh.count("sei_rules")
    path = official_style_sei(tmp_path / "bad.xlsx", [("1.1", "下一代信息网络产业", ["H04L", "not-an-ipc"])])
    result = hvp("--db", db, "reference", "import-sei", str(path), check=False)
    assert result.returncode == 1
    assert "not-an-ipc" in result.stdout + result.stderr and "4" in result.stdout + result.stderr  # row 4
    with Warehouse(db) as wh:
        assert wh.count("sei_rules") == before


def test_spark_engine_over_an_exported_folder_gives_the_same_figures(db, tmp_path):
    """What a cluster user does: export the warehouse as Parquet, then point --spark-data at it."""
    import shutil

    pytest.importorskip("pyspark")
    if shutil.which("java") is None:  # pragma: no cover - the CI machine has Java 17
        pytest.skip("Spark needs a Java runtime")
    folder = tmp_path / "parquet"
    hvp("--db", db, "export-parquet", str(folder))
    assert (folder / "applications.parquet").exists()
    keys = ["--key", "valid_inventions", "--key", "high_value_inventions"]
    duck = indicators_json(db, *keys)
    spark = json.loads(hvp("--db", db, "--engine", "spark", "--spark-data", str(folder), "indicators",
                           "--as-of", "2024-12-31", "--region", "500118", "--format", "json", *keys).stdout)
    assert [(r["key"], r["value"], r["last_year"]) for r in spark] == [
        (r["key"], r["value"], r["last_year"]) for r in duck] == [
        ("valid_inventions", 4, 3), ("high_value_inventions", 3, 3)]
