"""Inventors (发明人) read from the providers' shapes into table inventors: a CNIPA export's 发明人 column, Google
Patents' inventor_harmonized / inventor, the company-data API's InventorStringList (ingest/inventors.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hvpatent.ingest import ImportRejected, import_file
from hvpatent.ingest.inventors import MAX_INVENTORS, split_inventors
from hvpatent.warehouse.store import Warehouse

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "real-shapes" / "qichacha_patent_api_sample.js"
HEAD = "申请号,申请日,公开（公告）号,公开（公告）日,申请（专利权）人,名称,地址,主分类号,发明人\n"
ADDR = "重庆市永川区胜利路街道人民大道1号"
# Row 2: CNIPA's ';'.  Row 3: ；、 and a full-width comma.  Row 4: the same person twice (spaces and case fold to
# one name_norm: JOHNSMITH) and a formula-looking name kept as text.  Row 5: no inventors.
CNIPA = HEAD + "\n".join([
    f"201910555555.5,2019-03-01,CN109555555A,2019-07-01,重庆永川甲科技有限公司,一种电池,{ADDR},H01M10/42,张三;李四",
    f"202020666666.1,2020-05-06,CN212666666U,2021-01-05,重庆乙机械有限公司,一种夹具,{ADDR},B25B11/00,王五；赵六、孙七，周八",
    f"202110777777.9,2021-02-02,CN112777777A,2021-06-01,重庆丙公司,一种方法,{ADDR},G06F16/00,"
    '"John Smith; john  SMITH; =1+1"',
    f"202110888888.7,2021-03-03,CN112888888A,2021-07-01,重庆丁公司,一种装置,{ADDR},G06F17/00,",
]) + "\n"


def _rows(wh: Warehouse) -> list[tuple]:
    return [tuple(r) for r in wh.con.execute(
        "SELECT app_no, seq, name, name_norm FROM inventors ORDER BY app_no, seq").fetchall()]


@pytest.fixture(scope="module")
def cnipa(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("inv")
    path = folder / "cnipa.csv"
    path.write_text("\ufeff" + CNIPA, encoding="utf-8")
    db = folder / "w.duckdb"
    with Warehouse(db) as wh:
        import_file(wh, path)
    return db, path


def test_cnipa_column_hand_worked(cnipa):
    db, _ = cnipa
    with Warehouse(db, read_only=True) as wh:
        assert _rows(wh) == [
            ("201910555555.5", 1, "张三", "张三"), ("201910555555.5", 2, "李四", "李四"),
            ("202020666666.1", 1, "王五", "王五"), ("202020666666.1", 2, "赵六", "赵六"),
            ("202020666666.1", 3, "孙七", "孙七"), ("202020666666.1", 4, "周八", "周八"),
            ("202110777777.9", 1, "John Smith", "JOHNSMITH"), ("202110777777.9", 2, "=1+1", "=1+1"),
        ]


def test_reimport_changes_nothing(cnipa, tmp_path):
    db, path = cnipa
    copy = tmp_path / "again.csv"  # another file name, same rows: every row unchanged
    copy.write_bytes(path.read_bytes() + b"\n")
    with Warehouse(db) as wh:
        before = _rows(wh)
        result, _ = import_file(wh, copy)
        assert _rows(wh) == before
        assert (result.rows_inserted, result.rows_updated) == (0, 0)


def test_design_column_alias(tmp_path):
    path = tmp_path / "design.csv"
    path.write_text("申请号,申请日,发明人（设计人）\n201930111111.3,2019-05-05,钱一 ; 钱二\n", encoding="utf-8")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        import_file(wh, path)
        assert _rows(wh) == [("201930111111.3", 1, "钱一", "钱一"), ("201930111111.3", 2, "钱二", "钱二")]


@pytest.mark.parametrize(("cell", "why"), [
    (";".join(f"人{i}" for i in range(MAX_INVENTORS + 1)), "超过 200 人"),
    ("甲" * 101, "超过 100 字"),
])
def test_a_cell_over_the_limits_is_a_row_error(tmp_path, cell, why):
    path = tmp_path / "bad.csv"
    path.write_text(f"申请号,申请日,发明人\n201910555555.5,2019-03-01,{cell}\n", encoding="utf-8")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        with pytest.raises(ImportRejected) as caught:
            import_file(wh, path)
        [err] = caught.value.errors
        assert (err.file, err.row, err.field) == ("bad.csv", 2, "发明人") and why in err.reason
        assert wh.count("applications") == 0 and wh.count("inventors") == 0


def test_split_limits_at_the_edge():
    assert len(split_inventors(";".join(f"人{i}" for i in range(MAX_INVENTORS)))) == MAX_INVENTORS
    assert split_inventors("甲" * 100) == ["甲" * 100]
    assert split_inventors("  ") == [] and split_inventors(None) == []


@pytest.mark.parametrize(("cell", "names"), [
    # A cell with ';' (CNIPA's separator): the comma is part of a surname-first Western name.
    ("SMITH, JOHN; DOE, JANE", ["SMITH, JOHN", "DOE, JANE"]),
    ("SMITH, JOHN；DOE, JANE", ["SMITH, JOHN", "DOE, JANE"]),
    # No ';' in the cell: commas separate the names.
    ("John Smith, Jane Doe", ["John Smith", "Jane Doe"]),
    ("张三,李四", ["张三", "李四"]),
    # A piece with Chinese characters splits on its comma even beside a ';' (a Chinese name holds none), and the
    # full-width comma always separates: 张三,李四 → 2, 王五 → 1, SMITH, JOHN kept whole.
    ("张三,李四;王五;SMITH, JOHN", ["张三", "李四", "王五", "SMITH, JOHN"]),
    ("王五；赵六、孙七，周八", ["王五", "赵六", "孙七", "周八"]),
    # Any other separator in the cell (| 、 ， or a line break, not only ';') keeps the ASCII comma inside a name:
    # each cell below is two surname-first names, never four.
    ("SMITH, JOHN | DOE, JANE", ["SMITH, JOHN", "DOE, JANE"]),
    ("SMITH, JOHN\nDOE, JANE", ["SMITH, JOHN", "DOE, JANE"]),
    ("SMITH, JOHN、DOE, JANE", ["SMITH, JOHN", "DOE, JANE"]),
    ("SMITH, JOHN，DOE, JANE", ["SMITH, JOHN", "DOE, JANE"]),
    # A Chinese piece still splits on its comma beside a '|': 张三,李四 → 2, SMITH, JOHN → 1.
    ("张三,李四|SMITH, JOHN", ["张三", "李四", "SMITH, JOHN"]),
])
def test_split_commas_rule(cell, names):
    assert split_inventors(cell) == names


def test_surname_first_names_are_two_inventors_in_the_table(tmp_path):
    path = tmp_path / "west.csv"
    path.write_text('申请号,申请日,发明人\n201910555555.5,2019-03-01,"SMITH, JOHN; DOE, JANE"\n', encoding="utf-8")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        import_file(wh, path)
        assert [(a, s, n) for a, s, n, _ in _rows(wh)] == [
            ("201910555555.5", 1, "SMITH, JOHN"), ("201910555555.5", 2, "DOE, JANE")]


GOOGLE = [
    # inventor_harmonized wins over inventor; the B publication has none: the A's are kept.
    {"country_code": "CN", "application_number": "CN-201910555555-A", "publication_number": "CN-109555555-A",
     "kind_code": "A", "filing_date": 20190301, "publication_date": 20190701, "grant_date": 0,
     "inventor_harmonized": [{"name": "ZHANG SAN", "country_code": "CN"}, {"name": "LI SI", "country_code": "CN"}],
     "inventor": ["张三", "李四"]},
    {"country_code": "CN", "application_number": "CN-201910555555-A", "publication_number": "CN-109555555-B",
     "kind_code": "B", "filing_date": 20190301, "publication_date": 20210209, "grant_date": 0},
    # inventor only
    {"country_code": "CN", "application_number": "CN-202020666666-U", "publication_number": "CN-212666666-U",
     "kind_code": "U", "filing_date": 20200506, "publication_date": 20210105, "grant_date": 0,
     "inventor": ["王五"]},
    # over the limit: refused with the field named
    {"country_code": "CN", "application_number": "CN-202110777777-A", "publication_number": "CN-112777777-A",
     "kind_code": "A", "filing_date": 20210202, "publication_date": 20210601, "grant_date": 0,
     "inventor": [f"p{i}" for i in range(MAX_INVENTORS + 1)]},
]


def test_google_inventors(tmp_path):
    path = tmp_path / "google.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in GOOGLE) + "\n", encoding="utf-8")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        _, errors = import_file(wh, path, skip_bad_rows=True)
        assert [(e.file, e.row, e.field) for e in errors] == [("google.jsonl", 4, "inventor")]
        assert _rows(wh) == [("201910555555.5", 1, "ZHANG SAN", "ZHANGSAN"), ("201910555555.5", 2, "LI SI", "LISI"),
                             ("202020666666.1", 1, "王五", "王五")]
        import_file(wh, path, skip_bad_rows=True)  # the same file again: nothing changes
        assert wh.count("inventors") == 3


def _sample_records() -> list[dict]:
    """The JS module as JSON (as tests/test_company_data.py reads it)."""
    text = SAMPLE.read_text(encoding="utf-8").strip().removeprefix("export default").strip().rstrip(";")
    text = re.sub(r"^(\s*)([A-Za-z_]\w*):", r'\1"\2":', text, flags=re.M)
    text = re.sub(r"'([^'\\]*)'", lambda m: json.dumps(m.group(1), ensure_ascii=False), text)
    return json.loads(re.sub(r",(\s*[\]}])", r"\1", text))


@pytest.mark.skipif(not SAMPLE.is_file(), reason="../shared/data/real-shapes/ is not beside the repository")
def test_qichacha_sample_inventors(tmp_path):
    path = tmp_path / "qichacha.json"
    path.write_text(json.dumps({"Status": "200", "Result": _sample_records()}, ensure_ascii=False), encoding="utf-8")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        import_file(wh, path)
        assert [(a, s, n) for a, s, n, _ in _rows(wh)] == [
            ("201610311380.X", 1, "刘培彬"),
            ("201710117081.7", 1, "王杰"), ("201710117081.7", 2, "王金虎"), ("201710117081.7", 3, "邓会林"),
            ("201730033448.8", 1, "秦文莉"), ("201730033448.8", 2, "朱静文"),
        ]
