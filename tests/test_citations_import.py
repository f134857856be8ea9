"""Citations in: the 专利引证 / 引证专利 cell of CNIPA and PatSnap-like exports and Google Patents' `citation`
list become rows of `citations` (ingest/citations.py), imported with the real `hvp import`.

Each file is written here in its provider's shape; the expected rows are worked by hand next to it.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from hvpatent.cli.main import app
from hvpatent.ingest import ImportRejected, import_file
from hvpatent.ingest.citations import cited_key, normalise_cited, parse_citations
from hvpatent.warehouse.store import Warehouse

runner = CliRunner()

# CNIPA 专利检索及分析: one row per publication; the granted application appears twice (A and B), each
# row with the same 专利引证 cell.
CNIPA_HEADER = ["申请号", "申请日", "公开（公告）号", "公开（公告）日", "申请（专利权）人", "分类号", "地址", "名称",
                "专利同族", "专利引证"]
CNIPA_CELL = "CN105123456A;CN1234567A；US-9876543-B2、JP2005123456A"
CNIPA_ROWS = [
    ["CN201810234560.1", "2018-03-20", "CN108555001A", "2018-08-28", "重庆永川丙新能源有限公司", "H01M4/58",
     "重庆市永川区", "一种正极材料", "", CNIPA_CELL],
    ["CN201810234560.1", "2018-03-20", "CN108555001B", "2020-06-19", "重庆永川丙新能源有限公司", "H01M4/58",
     "重庆市永川区", "一种正极材料", "", CNIPA_CELL],
    # spaces inside and between numbers, an old-era utility model, an empty marker: two rows
    ["CN201920777777.7", "2019-07-01", "CN210777777U", "2020-03-10", "重庆乙机械有限公司", "B25B11/00",
     "重庆市永川区", "一种夹具", "", "CN 2345678 Y  CN108555001B\n无"],
    ["CN201910888888.X", "2019-05-05", "CN110888888A", "2019-11-01", "重庆丁科技有限公司", "G06F16/20",
     "重庆市永川区", "一种算法", "", ""],
]
# Worked: the first application's four numbers, normalised (hyphens gone, kind kept), once each although
# two rows list them; the key drops the kind code (A, Y, B2 …).
CNIPA_EXPECTED = {
    ("201810234560.1", "CN105123456A", "CN105123456"),
    ("201810234560.1", "CN1234567A", "CN1234567"),
    ("201810234560.1", "US9876543B2", "US9876543"),
    ("201810234560.1", "JP2005123456A", "JP2005123456"),
    ("201920777777.7", "CN2345678Y", "CN2345678"),
    ("201920777777.7", "CN108555001B", "CN108555001"),
}


def hvp(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def citations(db: Path) -> set[tuple[str, str, str]]:
    with Warehouse(db, read_only=True) as wh:
        frame = wh.frame("SELECT citing_app_no, cited_no, cited_key FROM citations")
    return set(frame.itertuples(index=False, name=None))


def sources(db: Path) -> set[str]:
    with Warehouse(db, read_only=True) as wh:
        return set(wh.frame("SELECT DISTINCT source FROM citations").source)


@pytest.fixture(scope="module")
def cnipa_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cnipa")
    db = folder / "w.duckdb"
    result = hvp("import", str(write_csv(folder / "cnipa.csv", CNIPA_HEADER, CNIPA_ROWS)), "--db", str(db))
    assert result.exit_code == 0, result.output
    return db


def test_cnipa_cell_becomes_rows(cnipa_db):
    assert citations(cnipa_db) == CNIPA_EXPECTED
    assert sources(cnipa_db) == {"cnipa"}


def test_reimport_changes_nothing(cnipa_db, tmp_path):
    # The same rows in another file (a different hash, so it is really read again): upserted by key.
    before = citations(cnipa_db)
    again = write_csv(tmp_path / "again.csv", CNIPA_HEADER, [*CNIPA_ROWS[::-1]])
    result = hvp("import", str(again), "--db", str(cnipa_db))
    assert result.exit_code == 0, result.output
    with Warehouse(cnipa_db, read_only=True) as wh:
        assert wh.count("citations") == len(CNIPA_EXPECTED)
    assert citations(cnipa_db) == before


def test_patsnap_xlsx(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["智慧芽专利检索结果 导出"])  # PatSnap's title row above the header
    ws.append(["序号", "公开(公告)号", "申请号", "申请日", "[标]当前申请(专利权)人", "IPC主分类号(小类)", "引证专利",
               "被引证专利"])
    # 被引证专利 (the patents citing this one) is not read: forward citations are computed, never imported.
    ws.append([1, "CN113777777A", "CN202110777777.9", "2021-07-01", "重庆丙科技有限公司", "G01D",
               "CN105123456A | US 9876543 B2\nWO2019123456A1;105654321B", "CN115000001A"])
    path = tmp_path / "patsnap.xlsx"
    wb.save(path)
    db = tmp_path / "w.duckdb"
    result = hvp("import", str(path), "--db", str(db))
    assert result.exit_code == 0, result.output
    citing = "202110777777.9"
    # Worked: four tokens; "US 9876543 B2" is one number; a bare CNIPA number "105654321B" is a CN one.
    assert citations(db) == {(citing, "CN105123456A", "CN105123456"), (citing, "US9876543B2", "US9876543"),
                             (citing, "WO2019123456A1", "WO2019123456"), (citing, "CN105654321B", "CN105654321")}


def test_google_jsonl(tmp_path):
    base = {"country_code": "CN", "family_id": "70001", "filing_date": 20190301, "priority_date": 20190301,
            "application_number": "CN-201910555555-A", "application_kind": "A",
            "assignee_harmonized": [{"name": "重庆永川甲科技有限公司", "country_code": "CN"}],
            "ipc": [{"code": "H01M10/42", "first": True}], "grant_date": 0, "title_localized": []}
    rows = [
        {**base, "publication_number": "CN-109555555-A", "kind_code": "A", "publication_date": 20190701,
         "citation": [{"publication_number": "CN-105123456-A", "type": "SEA", "category": "X"},
                      {"publication_number": "", "npl_text": "Smith, Batteries, 2015", "type": "SEA"},
                      {"publication_number": "US-9876543-B2", "type": "APP"}]},
        {**base, "publication_number": "CN-109555555-B", "kind_code": "B", "publication_date": 20210209,
         "citation": [{"publication_number": "CN-105123456-A"}]},
        # a US family member's own citations are not a CN application's: not read
        {"country_code": "US", "family_id": "70001", "publication_number": "US-2020111111-A1",
         "application_number": "US-16111111-A", "kind_code": "A1", "publication_date": 20200301,
         "citation": [{"publication_number": "EP-1234567-B1"}]},
    ]
    path = tmp_path / "google.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    db = tmp_path / "w.duckdb"
    result = hvp("import", str(path), "--db", str(db))
    assert result.exit_code == 0, result.output
    citing = "201910555555.5"  # the check digit computed from CN-201910555555-A
    # Worked: the two CN rows are one application; the NPL entry (no publication_number) is left out.
    assert citations(db) == {(citing, "CN105123456A", "CN105123456"), (citing, "US9876543B2", "US9876543")}
    assert sources(db) == {"google"}


def _one_row(tmp_path: Path, cell: str) -> Path:
    return write_csv(tmp_path / "hostile.csv", CNIPA_HEADER, [
        ["CN201910888888.X", "2019-05-05", "CN110888888A", "2019-11-01", "重庆丁科技有限公司", "G06F16/20",
         "重庆市永川区", "一种算法", "", cell]])


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x.invalid","点我");CN105123456A', "A" * 30_000,
                                  "张三. 一种材料的研究[J]. 材料学报, 2015; CN105123456A"])
def test_what_is_no_patent_number_is_skipped_with_a_note(tmp_path, cell):
    """The patent row is imported; the token that is no number is not stored, and the import says so."""
    path = _one_row(tmp_path, cell)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        result, _ = import_file(wh, path)
        assert wh.frame("SELECT count(*) AS n FROM applications").n[0] == 1
        stored = set(wh.frame("SELECT cited_no FROM citations").cited_no)
    # Worked: only the CN number of the cell is a patent publication number (none in the 30,000 A's).
    assert stored == ({"CN105123456A"} if "CN105123456A" in cell else set())
    assert any("专利引证" in message for message in result.warnings)
    # and through the CLI: no traceback, the note shown
    result = runner.invoke(app, ["import", str(path), "--db", str(tmp_path / "cli.duckdb")])
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output


def test_thousands_of_numbers_in_one_cell_is_a_clear_error(tmp_path):
    path = _one_row(tmp_path, ";".join(f"CN{1_000_000 + i}A" for i in range(2_001)))
    with Warehouse(tmp_path / "w.duckdb") as wh, pytest.raises(ImportRejected) as caught:
        import_file(wh, path)
    first = caught.value.errors[0]
    assert (first.file, first.row, first.field) == ("hostile.csv", 2, "专利引证")
    assert "2,000" in first.reason and len(first.value) <= 200  # the bad value quoted, cut short
    result = runner.invoke(app, ["import", str(path), "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit | None), result.exception
    assert "专利引证" in result.output and "Traceback" not in result.output


def test_skipped_tokens_are_listed_by_parse_citations():
    skipped: list[str] = []
    assert parse_citations("CN105123456A；参见说明书;=SUM(1+1)", skipped) == ["CN105123456A"]
    assert skipped == ["参见说明书", "=SUM(1+1)"]
    with pytest.raises(ValueError, match="引证专利号"):
        parse_citations("CN105123456A；参见说明书")


def test_google_malformed_citation_is_a_clear_error(tmp_path):
    row = {"country_code": "CN", "family_id": "1", "filing_date": 20190301, "application_number":
           "CN-201910555555-A", "publication_number": "CN-109555555-A", "kind_code": "A",
           "publication_date": 20190701, "citation": [{"publication_number": "=cmd|' /C calc'!A0"}]}
    path = tmp_path / "google.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with Warehouse(tmp_path / "w.duckdb") as wh, pytest.raises(ImportRejected) as caught:
        import_file(wh, path)
    first = caught.value.errors[0]
    assert (first.file, first.row, first.field) == ("google.jsonl", 1, "citation")
    assert "=cmd" in first.value and "引证专利号" in first.reason


@pytest.mark.parametrize(("raw", "no", "key"), [
    ("CN105123456A", "CN105123456A", "CN105123456"),      # from 2010-04-01: 9 digits
    ("CN1234567C", "CN1234567C", "CN1234567"),            # 1993–2010: 7 digits, C granted invention
    ("cn 105123456 b", "CN105123456B", "CN105123456"),
    ("US-9876543-B2*", "US9876543B2", "US9876543"),       # Google: hyphens; * an examiner's citation
    ("US 2005/0123456 A1", "US20050123456A1", "US20050123456"),
    ("JP-H08123456-A", "JPH08123456A", "JPH08123456"),
    ("ＣＮ１０５１２３４５６Ａ", "CN105123456A", "CN105123456"),  # full-width
    ("EP1234567", "EP1234567", "EP1234567"),              # no kind code: its own key
])
def test_normalise(raw, no, key):
    assert normalise_cited(raw) == no
    assert cited_key(no) == key


@pytest.mark.parametrize("raw", ["CN201810234567.8", "hello", "CN12", "=SUM(1+1)"])
def test_not_a_number(raw):
    with pytest.raises(ValueError, match=r"引证|CN"):
        normalise_cited(raw)


def test_separators():
    cell = ("CN105123456A;CN1234567A；US9876543B2,EP1234567B1，JP2005123456A、KR1020150012345A|WO2019123456A1"
            "\nDE102004012345A1")
    assert parse_citations(cell) == ["CN105123456A", "CN1234567A", "US9876543B2", "EP1234567B1", "JP2005123456A",
                                     "KR1020150012345A", "WO2019123456A1", "DE102004012345A1"]
    assert parse_citations("CN 105123456 A CN 106234567 B") == ["CN105123456A", "CN106234567B"]
    assert parse_citations("CN105123456A;CN105123456A") == ["CN105123456A"]
    assert parse_citations("暂无") == []
