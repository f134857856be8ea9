"""Trademark records (ingest/trademarks.py) on the real-shape corpus tests/real_shapes/trademarks: each file
imported through `hvp import` to the rows and events worked by hand in expected.yaml; idempotent, an older
export changes nothing, a bad file is rejected whole with every bad value named; the market_entities template."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from typer.testing import CliRunner

from hvpatent.cli.main import app
from hvpatent.ingest import FileError, ImportRejected, import_file
from hvpatent.ingest.templates import write_template
from hvpatent.ingest.trademarks import trademark_fields
from hvpatent.model import TRADEMARK_EVENT_TYPES
from hvpatent.warehouse.store import Warehouse

CORPUS = Path(__file__).parent / "real_shapes" / "trademarks"
SPEC = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
EXPECTED = SPEC["files"]
runner = CliRunner()


def hvp(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def _clean(value):
    if value is None or value != value:  # NaN / NaT
        return None
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime().date()
    return value.item() if hasattr(value, "item") else value


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory):
    """One warehouse per corpus file, imported once through the CLI."""
    made = {}
    for name in EXPECTED:
        db = tmp_path_factory.mktemp(name.replace(".", "_")) / "w.duckdb"
        result = hvp("import", str(CORPUS / name), "--db", str(db))
        assert result.exit_code == 0, result.output
        made[name] = db
    return made


def mark_cases():
    for name, spec in EXPECTED.items():
        for key, expect in spec["marks"].items():
            yield pytest.param(name, key, expect, id=f"{name}:{key}")


@pytest.mark.parametrize(("name", "key", "expect"), list(mark_cases()))
def test_marks(warehouses, name, key, expect):
    reg_no, nice = key.split("/")
    with Warehouse(warehouses[name], read_only=True) as wh:
        row = wh.frame("SELECT * FROM trademarks WHERE reg_no = ? AND nice_class = ?", [reg_no, int(nice)])
        assert len(row) == 1, f"{key} not imported from {name}"
        for column, value in (expect.get("fields") or {}).items():
            assert _clean(row[column].iloc[0]) == value, column
        events = wh.frame("SELECT event_type, event_date, effective_date FROM trademark_events "
                          "WHERE reg_no = ? AND nice_class = ?", [reg_no, int(nice)])
    got: dict[str, list] = {}
    for e in events.itertuples():
        got.setdefault(e.event_type, []).append(_clean(e.event_date))
    assert {t: sorted(d) for t, d in got.items()} == expect["events"]
    for event_type, effective in (expect.get("effective") or {}).items():
        found = [_clean(e.effective_date) for e in events.itertuples() if e.event_type == event_type]
        assert found == [effective]


@pytest.mark.parametrize("name", list(EXPECTED))
def test_whole_file(warehouses, name):
    """The file's label, rows read, no mark beyond the expected ones, every event type in the vocabulary, and the
    unknown process words listed."""
    spec = EXPECTED[name]
    with Warehouse(warehouses[name], read_only=True) as wh:
        imp = wh.frame("SELECT * FROM imports")
        keys = {f"{r}/{c}" for r, c in wh.con.execute("SELECT reg_no, nice_class FROM trademarks").fetchall()}
        types = {t for (t,) in wh.con.execute("SELECT DISTINCT event_type FROM trademark_events").fetchall()}
        notes = dict(wh.con.execute("SELECT text, count FROM import_notes WHERE kind = 'unknown_event'").fetchall())
    assert imp.source.tolist() == [spec["label"]]
    assert imp.kind.tolist() == ["trademarks"]
    assert int(imp.rows_read.iloc[0]) == spec["rows_read"]
    assert keys == set(spec["marks"]) if spec["marks"] else keys == set()
    assert types <= set(TRADEMARK_EVENT_TYPES)
    assert notes == spec["unknown_events"]


def test_change_records(warehouses):
    """A change-record file adds events only; a transfer's and a licence's detail is the other party."""
    spec = EXPECTED["commercial_changes.csv"]
    with Warehouse(warehouses["commercial_changes.csv"], read_only=True) as wh:
        rows = wh.con.execute("SELECT reg_no, nice_class, event_type, event_date, detail "
                              "FROM trademark_events").fetchall()
    got = {(f"{r}/{c}", t): [d, detail] for r, c, t, d, detail in rows}
    want = {(key, t): v for key, events in spec["events"].items() for t, v in events.items()}
    assert got == want


def test_change_sheet_errors_name_the_sheet(tmp_path):
    """A bad change record in a later sheet is named by file and sheet, row and column; the file is rejected."""
    from openpyxl import load_workbook as load

    wb = load(CORPUS / "quandashi.xlsx")
    wb["变更记录"].append(["70000002", "46", "商标转让", "2023-10-11", "", ""])  # row 4: class 46
    wb["变更记录"].append(["70000002", "41", "商标转让", "2023-13-01", "", ""])  # row 5: month 13
    path = tmp_path / "bad.xlsx"
    wb.save(path)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        with pytest.raises(ImportRejected) as rej:
            import_file(wh, path)
        assert wh.count("trademarks") == 0 and wh.count("trademark_events") == 0
    got = sorted((e.file, e.row, e.field) for e in rej.value.errors)
    assert got == [("bad.xlsx（变更记录）", 4, "国际分类"), ("bad.xlsx（变更记录）", 5, "日期")]


def test_export_dates():
    """The export date the importer reads: xlsx properties, a title row, none for a bare CSV."""
    from hvpatent.ingest.readers import file_export_date

    known = trademark_fields().known()
    for name, spec in EXPECTED.items():
        assert file_export_date(CORPUS / name, known) == spec["exported"], name


# -- the process vocabulary: steps are not outcomes ----------------------------------------------------

@pytest.mark.parametrize(("text", "expect"), [
    # Steps of a 撤三, a 注销 or a renewal that are not its outcome: other, and listed to the user as unknown.
    ("撤销连续三年不使用注册商标---撤三提供使用证据通知发文", ("other", False)),
    ("撤销连续三年不使用注册商标---撤回", ("other", False)),
    ("撤销连续三年不使用注册商标---撤三决定书发文", ("other", False)),
    ("撤销连续三年不使用注册商标---撤三决定书公告送达", ("other", False)),   # service by publication, not 撤销公告
    ("注销商标---补正通知发文", ("other", False)),
    ("注销商标---不予受理", ("other", False)),
    ("商标续展---补正通知发文", ("other", False)),
    ("商标续展---不予受理", ("renewal_refused", True)),    # not accepted: the filing no longer renews
    ("商标续展---撤回", ("renewal_refused", True)),
    ("商标续展", ("other", False)),                          # a process line naming its business only
    # Known steps and refusals that keep the mark as it is: other, not listed.
    ("撤销连续三年不使用注册商标申请---申请收文", ("other", True)),
    ("撤销连续三年不使用注册商标---不予撤销决定", ("other", True)),
    ("商标续展---续展不予核准通知发文", ("renewal_refused", True)),
    ("商标续展---驳回通知发文", ("renewal_refused", True)),  # not `rejected`: the mark was registered
    ("注销商标---申请收文", ("other", True)),
    # Conclusive steps.
    ("撤销连续三年不使用注册商标申请---核准通知打印发送", ("cancelled_nonuse", True)),
    ("撤销连续三年不使用注册商标---予以撤销决定", ("cancelled_nonuse", True)),
    ("撤销连续三年不使用注册商标---部分撤销", ("partial_cancellation", True)),
    ("商标注销---核准通知打印发送", ("cancelled_request", True)),
    ("商标注销申请完成", ("cancelled_request", True)),
    ("商标续展---申请收文", ("renewal_filed", True)),
    ("商标续展---核准续展注册证明打印发送", ("renewed", True)),
    ("商标续展完成", ("renewed", True)),
    ("注销---期满未续展", ("not_renewed", True)),
    ("商标注册申请---驳回通知发文", ("rejected", True)),
])
def test_process_steps_are_not_outcomes(text, expect):
    assert trademark_fields().match(text) == expect


@pytest.mark.parametrize(("item", "expect"), [
    ("商标续展", ("renewed", True)),                # a change record's bare item: the change made
    ("商标注销", ("cancelled_request", True)),
    ("商标撤销", ("cancelled_nonuse", True)),
    ("商标续展---补正通知发文", ("other", False)),  # a step in a change file is still a step
    ("商标转让", ("transfer", True)),
])
def test_change_record_items(item, expect):
    assert trademark_fields().match_record(item) == expect


# -- --source trademarks --------------------------------------------------------------------------

def test_source_trademarks_forces_the_trademark_reader(tmp_path):
    """--source trademarks reads a trademark file as one (label by its shape); a file without trademark headers is
    refused in words naming what is missing, nothing stored, no traceback; the option's help lists the source."""
    from hvpatent.ingest import SOURCES, _kind_of

    assert "trademarks" in SOURCES
    patents = Path(__file__).parent / "real_shapes" / "cnipa_plain.csv"
    assert _kind_of(patents, "trademarks") == "trademarks"
    db = tmp_path / "w.duckdb"
    good = hvp("import", str(CORPUS / "commercial_qcc.csv"), "--source", "trademarks", "--db", str(db))
    assert good.exit_code == 0, good.output
    bad = runner.invoke(app, ["import", str(patents), "--source", "trademarks", "--db", str(db)])
    assert bad.exit_code == 1
    assert "不是商标文件" in bad.output and "cnipa_plain.csv" in bad.output
    assert "Traceback" not in bad.output
    with Warehouse(db, read_only=True) as wh:
        assert [s for (s,) in wh.con.execute("SELECT source FROM imports").fetchall()] == ["trademarks:commercial"]
        assert wh.count("applications") == 0
    assert "companydata|trademarks" in runner.invoke(app, ["import", "--help"], env={"COLUMNS": "200"}).output


# -- idempotence and older exports ----------------------------------------------------------------


def _counts(result) -> tuple[int, int, int]:
    return result.rows_inserted, result.rows_updated, result.rows_unchanged


def test_reimport_changes_nothing(tmp_path):
    with Warehouse(tmp_path / "w.duckdb") as wh:
        first, _ = import_file(wh, CORPUS / "commercial_qcc.csv")
        assert _counts(first) == (5, 0, 0)
        again, _ = import_file(wh, CORPUS / "commercial_qcc.csv")
        assert again.already_imported
        # The same content in another file (re-saved as GB18030): every row unchanged, no event added.
        other = tmp_path / "again.csv"
        other.write_bytes((CORPUS / "commercial_qcc.csv").read_text(encoding="utf-8-sig").encode("gb18030"))
        events = wh.count("trademark_events")
        copy, _ = import_file(wh, other)
        assert not copy.already_imported
        assert _counts(copy) == (0, 0, 5)
        assert wh.count("trademark_events") == events


def test_older_export_after_newer(tmp_path):
    """cnipa_search.xlsx (2024-06-30) then commercial_qcc.csv (2024-05-31): 12345678/9 keeps the newer view (the
    renewed term to 2035-03-13); the other way round the newer export replaces the older."""
    query = "SELECT term_end, status_date FROM trademarks WHERE reg_no = '12345678' AND nice_class = 9"
    with Warehouse(tmp_path / "a.duckdb") as wh:
        import_file(wh, CORPUS / "cnipa_search.xlsx")
        older, _ = import_file(wh, CORPUS / "commercial_qcc.csv")
        assert _counts(older) == (4, 0, 1)
        assert wh.con.execute(query).fetchall()[0] == (date(2035, 3, 13), date(2024, 6, 30))
    with Warehouse(tmp_path / "b.duckdb") as wh:
        import_file(wh, CORPUS / "commercial_qcc.csv")
        newer, _ = import_file(wh, CORPUS / "cnipa_search.xlsx")
        assert _counts(newer) == (10, 1, 0)
        assert wh.con.execute(query).fetchall()[0] == (date(2035, 3, 13), date(2024, 6, 30))


def test_exported_argument_dates_the_states(tmp_path):
    """A bare CSV has no export date: --exported gives it; without, the states stay undated and a warning says so."""
    plain = tmp_path / "plain.csv"
    lines = (CORPUS / "commercial_qcc.csv").read_text(encoding="utf-8-sig").splitlines()[1:]  # no title row
    plain.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Warehouse(tmp_path / "a.duckdb") as wh:
        result, _ = import_file(wh, plain)
        assert wh.con.execute("SELECT count(*) FROM trademarks WHERE status_date IS NULL").fetchall()[0][0] == 5
        assert any("导出日期" in w for w in result.warnings)
    with Warehouse(tmp_path / "b.duckdb") as wh:
        result, _ = import_file(wh, plain, exported=date(2024, 7, 1))
        assert {d for (d,) in wh.con.execute("SELECT status_date FROM trademarks").fetchall()} == {date(2024, 7, 1)}
        assert not result.warnings


# -- bad input ------------------------------------------------------------------------------------


def test_hostile_file_rejected_whole(tmp_path):
    spec = SPEC["hostile"]
    with Warehouse(tmp_path / "w.duckdb") as wh:
        with pytest.raises(ImportRejected) as rej:
            import_file(wh, CORPUS / spec["file"])
        assert wh.count("trademarks") == 0 and wh.count("trademark_events") == 0  # the good row 2 neither
        assert wh.count("imports") == 0
    got = sorted((e.row, e.field, e.reason) for e in rej.value.errors)
    assert [(row, field) for row, field, _ in got] == [(r, f) for r, f, _ in spec["errors"]]
    for (_, _, reason), (_, _, words) in zip(got, spec["errors"], strict=True):
        assert words in reason
    assert all(e.file == "hostile.csv" for e in rej.value.errors)


def test_hostile_skip_bad_rows(tmp_path):
    """With skip_bad_rows the one good row is stored and the nine bad ones reported."""
    with Warehouse(tmp_path / "w.duckdb") as wh:
        result, errors = import_file(wh, CORPUS / "hostile.csv", skip_bad_rows=True)
        assert wh.con.execute("SELECT reg_no FROM trademarks").fetchall() == [("60000001",)]
        assert len({e.row for e in errors}) == 9
        assert result.rows_rejected == 9


def test_cli_rejects_hostile_without_traceback(tmp_path):
    result = runner.invoke(app, ["import", str(CORPUS / "hostile.csv"), "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


_ONE = {"注册号/申请号": "60000001", "国际分类号": "9", "申请日期": "2019-01-01", "商标名称": "好标",
        "申请人名称(中文)": "重庆永川甲科技有限公司", "初审公告日期": "2019-10-06", "注册公告日期": "2020-01-07",
        "专用权期限": "2020-01-07至2030-01-06", "商标类型": "普通商标", "商标流程": ""}


def _one_row_file(tmp_path: Path, cells: dict[str, str]) -> Path:
    """A 中国商标网-shaped CSV of one good row (a header, the row as row 2) with ``cells`` changed."""
    import csv

    row = {**_ONE, **cells}
    path = tmp_path / "one.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([list(row), list(row.values())])
    return path


@pytest.mark.parametrize(("cells", "field", "words"), [
    ({"注册号/申请号": "123456789012"}, "注册号/申请号", "注册号"),   # ten or more digits
    ({"国际分类号": "0"}, "国际分类号", "第1至45类"),
    ({"国际分类号": "9;第46类"}, "国际分类号", "第1至45类"),
    ({"专用权期限": "2020-01-07"}, "专用权期限", "起始日 至 截止日"),
    ({"专用权期限": "2020-01-07至2030-01-07"}, "", ""),             # one day long of 10 years: within a month
    ({"专用权期限": "2020-01-07至2040-01-06"}, "", ""),             # renewed once: 20 years
    ({"注册公告日期": "2018-01-01"}, "注册公告日期", "早于初审公告日期"),
    ({"商标类型": "奇怪商标"}, "商标类型", "无法识别的商标类型"),
    ({"商标流程": "商标续展---申请收文"}, "商标流程", "缺少日期"),
    # a Madrid mark without 注册公告日期 is registered from its 国际注册日期, which must then be a real day
    ({"注册号/申请号": "G1234567", "注册公告日期": "", "国际注册日期": "2019-02-30"}, "国际注册日期", "不是有效日期"),
    # ... published in China (初审公告) after it: not an error; a term ending before it is
    ({"注册号/申请号": "G1234567", "注册公告日期": "", "国际注册日期": "2018-12-01"}, "", ""),
    ({"注册号/申请号": "G1234567", "注册公告日期": "", "国际注册日期": "2031-01-01"}, "专用权期限", "早于国际注册日期"),
])
def test_bad_values(tmp_path, cells, field, words):
    path = _one_row_file(tmp_path, cells)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        if not field:
            result, _ = import_file(wh, path)
            assert result.rows_inserted == 1
            return
        with pytest.raises(ImportRejected) as rej:
            import_file(wh, path)
    (error,) = rej.value.errors
    assert (error.row, error.field) == (2, field)
    assert words in error.reason


def test_huge_and_binary_files_are_file_errors(tmp_path):
    """A cell past the reader's limit or a file that is not text: a FileError, never a traceback."""
    from hvpatent.ingest.limits import MAX_CELL_CHARS

    huge = tmp_path / "huge.csv"
    huge.write_text("注册号,国际分类,商标名称,申请人\n1234567,9," + "x" * (MAX_CELL_CHARS + 10) + ",张三\n",
                    encoding="utf-8")
    binary = tmp_path / "bin.csv"
    binary.write_bytes("注册号,国际分类\n".encode() + b"\x00\x01" * 5000)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        for path in (huge, binary):
            with pytest.raises((FileError, ImportRejected)):
                import_file(wh, path)
        assert wh.count("trademarks") == 0


def test_patent_files_are_not_trademarks():
    from hvpatent.ingest import _kind_of

    shapes = Path(__file__).parent / "real_shapes"
    assert _kind_of(shapes / "cnipa_plain.csv", "auto") == "patents"
    assert _kind_of(CORPUS / "cnipa_search.xlsx", "auto") == "trademarks"
    assert _kind_of(CORPUS / "commercial_changes.csv", "auto") == "trademarks"


# -- the market_entities template ------------------------------------------------------------------


def test_market_entities_template_round_trip(tmp_path):
    path = write_template("market_entities", tmp_path / "me.xlsx")
    wb = load_workbook(path)
    ws = wb.active
    assert [c.value for c in ws[1]] == ["区划代码", "区划名称", "年份", "市场主体数(户)"]
    ws.append(["500118", "永川区", 2023, 98765])
    ws.append(["500118002", "胜利路街道", 2023, 12000])
    ws.append(["500118002000", "胜利路街道", 2024, 12500])
    wb.save(path)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        result, _ = import_file(wh, path)
        assert _counts(result) == (3, 0, 0)
        rows = wh.con.execute("SELECT region_code, year, entities FROM market_entities ORDER BY year, region_code"
                              ).fetchall()
        source = wh.con.execute("SELECT source FROM imports").fetchall()[0][0]
    # 9-digit town codes are stored as the 12-digit code (+000), as for population
    assert rows == [("500118", 2023, 98765), ("500118002000", 2023, 12000), ("500118002000", 2024, 12500)]
    assert source == "template:market_entities"


def test_market_entities_bad_rows(tmp_path):
    path = write_template("market_entities", tmp_path / "me.xlsx")
    wb = load_workbook(path)
    wb.active.append(["5001", "永川区", 2023, 10])         # row 2: a 4-digit code
    wb.active.append(["500118", "永川区", 2023, -5])       # row 3: negative
    wb.active.append(["500118", "永川区", "", 5])          # row 4: no year
    wb.save(path)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        with pytest.raises(ImportRejected) as rej:
            import_file(wh, path)
        assert wh.count("market_entities") == 0
    assert sorted((e.row, e.field) for e in rej.value.errors) == [(2, "区划代码"), (3, "市场主体数(户)"), (4, "年份")]


def test_corpus_files_are_current(tmp_path):
    """make_files.py writes the committed CSVs byte for byte (the xlsx stores its writing time)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("tm_make_files", CORPUS / "make_files.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.HERE = tmp_path
    module.cnipa_steps()
    module.commercial()
    module.changes()
    module.hostile()
    for name in ("cnipa_steps.csv", "commercial_qcc.csv", "commercial_changes.csv", "hostile.csv"):
        assert (tmp_path / name).read_bytes() == (CORPUS / name).read_bytes(), name
    shutil.rmtree(tmp_path)


def test_demo_trademark_files_import_cleanly(tmp_path):
    """The demo's trademark files (demo/trademarks.py) import without an error or an unknown word, in their three
    shapes, with the district's GIs, collective and certification marks and Madrid registrations, all placed in
    the district; and as many class rows as the registrations a year say."""
    import random

    from hvpatent.demo.generator import BANNER, EXPORT_DATE, _World
    from hvpatent.demo.trademarks import ASSOCIATION_MARKS, _registrations, write_trademarks

    paths = write_trademarks(tmp_path, _World(random.Random(3), 600), 3, 600, EXPORT_DATE, BANNER)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        for path in paths:
            result, errors = import_file(wh, path)
            assert not errors and not result.unknown_events and not result.warnings, path.name
        labels = [s for (s,) in wh.con.execute("SELECT source FROM imports ORDER BY import_id").fetchall()]
        kinds = dict(wh.con.execute("SELECT mark_kind, count(*) FROM trademarks GROUP BY ALL").fetchall())
        gis = {n for (n,) in wh.con.execute("SELECT mark_name FROM trademarks WHERE is_gi").fetchall()}
        madrid = wh.con.execute("SELECT count(*) FROM trademarks WHERE is_madrid").fetchall()[0][0]
        outside = wh.con.execute("SELECT count(*) FROM trademarks WHERE county_code IS DISTINCT FROM '500118'"
                                 ).fetchall()[0][0]
        numbers = wh.con.execute("SELECT count(DISTINCT reg_no) FROM trademarks").fetchall()[0][0]
    assert labels == ["trademarks:cnipa", "trademarks:commercial", "trademarks:changes"]
    assert gis == {name for name, _, kind, _, _ in ASSOCIATION_MARKS if "地理标志" in kind}
    assert kinds["collective"] == sum("集体" in kind for _, _, kind, _, _ in ASSOCIATION_MARKS) == 3
    assert kinds["certification"] == sum("证明" in kind for _, _, kind, _, _ in ASSOCIATION_MARKS) == 3
    assert madrid >= 1
    assert outside == 0
    # one registration number a mark: the associations, the yearly registrations, 0.4% Madrid (one at least) a year
    # from 2012 on
    registrations = _registrations(600)
    assert numbers == len(ASSOCIATION_MARKS) + sum(registrations.values()) + sum(
        max(1, round(n * 0.004)) for y, n in registrations.items() if y >= 2012)
