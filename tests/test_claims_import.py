"""First claims (首项权利要求 / 主权项) read from the providers' shapes into table claims (ingest/spreadsheet.py):
incoPat's xlsx, PatSnap's xlsx with a title row above the header, a CNIPA csv; hand-written files in
tests/real_shapes/claims/ (make_files.py writes the xlsx ones), stored rows worked out by hand."""

from __future__ import annotations

import runpy
import shutil
from pathlib import Path

import pytest

from hvpatent.ingest import import_file
from hvpatent.ingest.spreadsheet import MAX_CLAIM_CHARS
from hvpatent.warehouse.store import Warehouse

FILES = Path(__file__).resolve().parent / "real_shapes" / "claims"
BATTERY = "1. 一种电池，其特征在于，包括正极、负极和隔膜，所述隔膜为陶瓷涂层隔膜。"
STORAGE = "1.一种储能装置，其特征在于，包括壳体、设置在壳体内的电芯模组和散热板，所述散热板与电芯模组贴合。"
FAN = "1、一种风扇，包括底座和叶轮，其特征在于：所述叶轮通过轴承安装于底座上。"
CONTROL = "一种控制方法，其特征在于，包括以下步骤：S1，采集温度；S2，调节功率。"
HEAD = "申请号,申请日,专利类型,名称"


def _claims(wh: Warehouse) -> list[tuple]:
    return [tuple(r) for r in wh.con.execute("SELECT app_no, first_claim, source FROM claims ORDER BY app_no"
                                             ).fetchall()]


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("claims") / "w.duckdb"
    with Warehouse(db) as wh:
        for name in ("cnipa.csv", "incopat.xlsx", "patsnap.xlsx"):
            import_file(wh, FILES / name)
    return db


def test_providers_shapes_hand_worked(imported):
    # Rows without a first claim (the CNIPA support, incoPat's detection method with only 权利要求书, PatSnap's empty
    # 主权项 of the tray) store none; incoPat's padded cell is stripped; 权利要求书 never stands in for it.
    with Warehouse(imported, read_only=True) as wh:
        assert _claims(wh) == [
            ("201810234567.3", BATTERY, "cnipa"),
            ("201910909090.9", STORAGE, "incopat"),
            ("202020707070.1", FAN, "incopat"),
            ("202110555555.2", CONTROL, "patsnap"),
        ]


def test_claims_count_is_not_confused_with_the_claims(imported):
    # 权利要求数量 stays the count beside 首项权利要求 / 第一权利要求 / 权利要求书.
    with Warehouse(imported, read_only=True) as wh:
        counts = dict(wh.con.execute("SELECT app_no, claims_count FROM applications").fetchall())
    assert (counts["201810234567.3"], counts["201910909090.9"], counts["202210303030.4"]) == (5, 3, 1)


def test_reimport_changes_nothing(imported, tmp_path):
    copy = tmp_path / "again.csv"  # another file name, the same rows
    copy.write_bytes((FILES / "cnipa.csv").read_bytes() + b"\n")
    with Warehouse(imported) as wh:
        before = _claims(wh)
        result, _ = import_file(wh, copy)
        assert _claims(wh) == before
        assert (result.rows_inserted, result.rows_updated) == (0, 0)


@pytest.mark.parametrize("header", ["首项权利要求", "主权项", "第一权利要求", "独立权利要求", "首权", "First Claim",
                                    "first claim"])
def test_every_alias(tmp_path, header):
    path = tmp_path / "a.csv"
    path.write_text(f"{HEAD},{header}\n201810234567.3,2018-03-20,发明,一种电池,{BATTERY}\n", encoding="utf-8")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        import_file(wh, path)
        assert _claims(wh) == [("201810234567.3", BATTERY, "cnipa")]


@pytest.mark.parametrize("header", ["权利要求书", "权利要求", "权利要求数量"])
def test_the_claims_or_their_count_is_no_first_claim(tmp_path, header):
    path = tmp_path / "a.csv"
    cell = "3" if header == "权利要求数量" else BATTERY
    path.write_text(f"{HEAD},{header}\n201810234567.3,2018-03-20,发明,一种电池,{cell}\n", encoding="utf-8")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        import_file(wh, path)
        assert _claims(wh) == []


def test_a_later_export_replaces_the_text(tmp_path):
    db = tmp_path / "w.duckdb"
    later = tmp_path / "later.csv"
    later.write_text(f"{HEAD},主权项\n201810234567.3,2018-03-20,发明,一种电池,1.一种电池，包括改进的隔膜。\n",
                     encoding="utf-8")
    with Warehouse(db) as wh:
        import_file(wh, FILES / "cnipa.csv")
        import_file(wh, later)
        assert _claims(wh) == [("201810234567.3", "1.一种电池，包括改进的隔膜。", "cnipa")]


@pytest.mark.parametrize(("length", "stored", "cut"), [
    (MAX_CLAIM_CHARS - 1, MAX_CLAIM_CHARS - 1, False),
    (MAX_CLAIM_CHARS, MAX_CLAIM_CHARS, False),
    (MAX_CLAIM_CHARS + 1, MAX_CLAIM_CHARS, True),
])
def test_a_cell_over_the_limit_is_cut_and_counted(tmp_path, length, stored, cut):
    path = tmp_path / "long.csv"
    path.write_text(f"{HEAD},首项权利要求\n201810234567.3,2018-03-20,发明,一种电池,{'甲' * length}\n",
                    encoding="utf-8")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        result, errors = import_file(wh, path)
        (claim,) = wh.con.execute("SELECT first_claim FROM claims").fetchone()
    assert (len(claim), errors, result.rows_inserted) == (stored, [], 1)
    notes = [w for w in result.warnings if "首项权利要求" in w]
    assert notes == ([f"「首项权利要求」超过 {MAX_CLAIM_CHARS} 字的已截断保存，专利照常导入 / first claims over "
                      f"{MAX_CLAIM_CHARS} characters were cut to that length; the patents were imported"]
                     if cut else [])
    assert (result.warnings[notes[0]] if cut else 0) == (1 if cut else 0)


def test_the_xlsx_files_are_what_make_files_writes(tmp_path):
    # The committed xlsx files hold what make_files.py says (the hand-written source of the expected rows).
    shutil.copy(FILES / "make_files.py", tmp_path / "make_files.py")
    runpy.run_path(str(tmp_path / "make_files.py"), run_name="__main__")
    with Warehouse(tmp_path / "a.duckdb") as a, Warehouse(tmp_path / "b.duckdb") as b:
        for name in ("incopat.xlsx", "patsnap.xlsx"):
            import_file(a, FILES / name)
            import_file(b, tmp_path / name)
        assert _claims(a) == _claims(b)
