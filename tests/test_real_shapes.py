"""The real-shape corpus (tests/real_shapes): each provider's export imported with the real `hvp import`
into a fresh warehouse, then checked against the states worked by hand in expected.yaml."""

from __future__ import annotations

import csv
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from conftest import table_counts
from hvpatent.cli.main import app
from hvpatent.ingest.readers import file_export_date
from hvpatent.ingest.spreadsheet import load_mapping
from hvpatent.legal import status_of
from hvpatent.warehouse.store import Warehouse

CORPUS = Path(__file__).parent / "real_shapes"
EXPECTED = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))["files"]
runner = CliRunner()


def hvp(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def imported(tmp_path: Path, *files: Path, extra: tuple[str, ...] = ()) -> Path:
    db = tmp_path / "w.duckdb"
    for path in files:
        result = hvp("import", str(path), "--db", str(db), *extra)
        assert result.exit_code == 0, result.output
    return db


def cases():
    for name, spec in EXPECTED.items():
        for app_no, expect in spec["apps"].items():
            yield pytest.param(name, spec, app_no, expect, id=f"{name}:{app_no}")


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory):
    """One warehouse per corpus file, imported once through the CLI."""
    made = {}
    for name in EXPECTED:
        made[name] = imported(tmp_path_factory.mktemp(name.replace(".", "_")), CORPUS / name)
    return made


@pytest.mark.parametrize(("name", "spec", "app_no", "expect"), list(cases()))
def test_corpus_states(warehouses, name, spec, app_no, expect):
    with Warehouse(warehouses[name], read_only=True) as wh:
        con = wh.ibis()
        app_row = wh.frame("SELECT * FROM applications WHERE app_no = ?", [app_no])
        assert len(app_row) == 1, f"{app_no} not imported from {name}"
        if "patent_type" in expect:
            assert app_row.patent_type.iloc[0] == expect["patent_type"]
        for column, value in (expect.get("fields") or {}).items():
            assert app_row[column].iloc[0] == value, column
        events = wh.frame("SELECT event_type, event_date, effective_date FROM legal_events WHERE app_no = ?",
                          [app_no])
        types = set(events.event_type)
        assert set(expect.get("events") or []) <= types, types
        assert not set(expect.get("no_events") or []) & types, types
        for event_type, effective in (expect.get("effective") or {}).items():
            found = events[events.event_type == event_type].effective_date.tolist()
            assert found, f"no {event_type} event"
            assert [None if v is None or v != v else v.date() if hasattr(v, "date") else v
                    for v in found] == [effective]
        _check_snapshot(wh, app_no, spec, expect)
        _check_grant(con, app_no, expect)
        for day, state in (expect.get("states") or {}).items():
            got = status_of(con, app_no, day).facts["state"]
            assert got == state, f"{app_no} on {day}: {got}, expected {state}"


def _check_snapshot(wh: Warehouse, app_no: str, spec: dict, expect: dict) -> None:
    snaps = wh.frame("SELECT snapshot_date, status FROM status_snapshots WHERE app_no = ?", [app_no])
    if "snapshot" not in expect:
        return
    assert snaps.values.tolist() == [[pd_date(spec["exported"]), expect["snapshot"]]]


def pd_date(day: date):
    import pandas as pd

    return pd.Timestamp(day)


def _check_grant(con, app_no: str, expect: dict) -> None:
    if "grant" not in expect:
        return
    far = date(2024, 6, 30)
    facts = status_of(con, app_no, far).facts
    assert facts["grant_date"] == expect["grant"]


def test_unknown_words_are_listed_and_stored(tmp_path):
    db = tmp_path / "w.duckdb"
    result = hvp("import", str(CORPUS / "cnipa_full.xlsx"), "--db", str(db))
    assert result.exit_code == 0
    assert "海外维权备案（1）" in result.output
    assert "专利权期限补偿未写明补偿天数" in result.output  # the compensation without days, as a warning
    with Warehouse(db, read_only=True) as wh:
        notes = wh.frame("SELECT kind, text, count FROM import_notes ORDER BY kind").values.tolist()
        other = wh.frame("SELECT raw_text FROM legal_events WHERE event_type = 'other'").raw_text.tolist()
    assert ["unknown_event", "海外维权备案", 1] in notes
    assert any(n[0] == "warning" and "期限补偿" in n[1] for n in notes)
    assert "海外维权备案" in other  # the event itself is kept
    assert hvp("imports", "--db", str(db)).exit_code == 0


def test_reimport_changes_nothing(tmp_path):
    db = imported(tmp_path, CORPUS / "patsnap.xlsx")
    with Warehouse(db) as wh:
        before = table_counts(wh)
    again = hvp("import", str(CORPUS / "patsnap.xlsx"), "--db", str(db))
    assert "导入过" in again.output
    with Warehouse(db) as wh:
        assert table_counts(wh) == before


def _split_full(tmp_path: Path) -> tuple[Path, Path]:
    """The CNIPA full-field file as two exports: one with the A rows, one with the B rows."""
    sheet = load_workbook(CORPUS / "cnipa_full.xlsx").active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header, body = rows[0], rows[1:]
    paths = []
    for kind in ("A", "B"):
        wb = Workbook()
        ws = wb.active
        ws.append(["导出时间：2024-06-30"])
        ws.append(header)
        for row in body:
            if str(row[2]).endswith(kind) or (kind == "A" and str(row[2])[-1] not in "AB"):
                ws.append(row)
        paths.append(tmp_path / f"full_{kind}.xlsx")
        wb.save(paths[-1])
    return paths[0], paths[1]


def _state(db: Path) -> tuple:
    with Warehouse(db, read_only=True) as wh:
        apps = wh.frame("SELECT * EXCLUDE (row_hash, first_import_id, last_import_id) FROM applications "
                        "ORDER BY app_no").values.tolist()
        parties = wh.frame("SELECT app_no, seq, name, role FROM parties ORDER BY app_no, seq").values.tolist()
        states = [status_of(wh.ibis(), "201810234560.1", date(2020, 6, 19) + timedelta(days=d)).facts["state"]
                  for d in (-1, 0, 1)]
    return apps, parties, states


def test_a_file_and_b_file_in_either_order(tmp_path):
    a, b = _split_full(tmp_path)
    (tmp_path / "ab").mkdir()
    (tmp_path / "ba").mkdir()
    ab = _state(imported(tmp_path / "ab", a, b))
    ba = _state(imported(tmp_path / "ba", b, a))
    assert ab == ba
    apps, _, states = ab
    row = next(r for r in apps if r[0] == "201810234560.1")
    assert "一种正极材料及其制备方法" in row and "本发明公开了一种正极材料。" in row  # B's title, A's abstract
    assert states == ["pending", "valid", "valid"]


def test_a_then_b_then_a_again_settles(tmp_path):
    a, b = _split_full(tmp_path)
    db = imported(tmp_path, a, b)
    copy = tmp_path / "full_A_again.xlsx"  # the A rows again, in a file with another hash
    wb = load_workbook(a)
    wb.active.cell(1, 1).value = "导出时间：2024-06-30（再次导出）"
    wb.save(copy)
    result = hvp("import", str(copy), "--db", str(db))
    assert "更新 0" in result.output, result.output


def test_hostile_rows(tmp_path):
    db = tmp_path / "w.duckdb"
    report = tmp_path / "errors.xlsx"
    result = hvp("import", str(CORPUS / "hostile.csv"), "--db", str(db), "--report", str(report))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    sheet = load_workbook(report).active
    assert [c.value for c in sheet[2]][:3] == ["hostile.csv", 2, "名称"]  # the BEL in the title: refused
    assert [c.value for c in sheet[3]][:3] == ["hostile.csv", 3, "申请日"]  # file, row, field
    with Warehouse(db, read_only=True) as wh:
        assert wh.count("applications") == 0  # rejected whole
    result = hvp("import", str(CORPUS / "hostile.csv"), "--db", str(db), "--skip-bad-rows")
    assert result.exit_code == 0, result.output
    with Warehouse(db, read_only=True) as wh:
        assert wh.count("applications") == 0  # both rows skipped: a control character never gets stored
    # Formula-looking text that is otherwise valid is kept as text: tests/test_hostile_files.py.


def test_bare_states_need_an_export_date(tmp_path):
    db = tmp_path / "w.duckdb"
    path = CORPUS / "states_no_date.csv"
    result = hvp("import", str(path), "--db", str(db))
    assert result.exit_code == 1
    assert "简单法律状态" in result.output and "--exported" in result.output
    with Warehouse(db, read_only=True) as wh:
        assert wh.count("applications") == 0
    result = hvp("import", str(path), "--db", str(db), "--exported", "2024-03-31")
    assert result.exit_code == 0, result.output
    with Warehouse(db, read_only=True) as wh:
        snaps = wh.frame("SELECT app_no, snapshot_date, status FROM status_snapshots").values.tolist()
        events = wh.frame("SELECT event_type FROM legal_events").event_type.tolist()
    assert snaps == [["202020666666.1", pd_date(date(2024, 3, 31)), "in_force"]]
    assert "in_force" not in events and sorted(events) == ["filed"]  # no invented dated event...
    # ...except that the U publication is a grant, and it has no date in this file: none is invented.


def test_bad_export_date_option(tmp_path):
    result = runner.invoke(app, ["import", str(CORPUS / "states_no_date.csv"), "--db", str(tmp_path / "w.duckdb"),
                                 "--exported", "2024-02-30"])
    assert result.exit_code == 2 and "2024-02-30" in result.output


def test_patsnap_title_row_numbers_and_empty_columns(tmp_path):
    """The PatSnap crash: numeric cells, no check digits, and columns with no value at all staged as
    DOUBLE by DuckDB (then compared with VARCHAR keys)."""
    rows = [["智慧芽 导出时间：2024-06-30"],
            ["序号", "公开(公告)号", "申请号", "申请日", "[标]当前申请(专利权)人", "IPC主分类号(小类)", "简单法律状态"],
            [1, "CN108444444B", 201810234567, 20180320, None, None, "有效"]]
    path = tmp_path / "patsnap.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    db = imported(tmp_path, path)
    with Warehouse(db, read_only=True) as wh:
        assert wh.frame("SELECT app_no FROM applications").app_no.tolist() == ["201810234567.3"]
        assert wh.count("parties") == 0 and wh.count("ipc_classes") == 0


def _with_core_properties(path: Path, created: str | None, modified: str | None = None) -> Path:
    """The xlsx with its docProps/core.xml rewritten: only the times given are stored."""
    stamps = "".join(f'<dcterms:{name} xsi:type="dcterms:W3CDTF">{value}</dcterms:{name}>'
                     for name, value in (("created", created), ("modified", modified)) if value)
    core = ('<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
            ' xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"{stamps}</cp:coreProperties>")
    with zipfile.ZipFile(path) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    parts["docProps/core.xml"] = core.encode("utf-8")
    out = path.with_name(f"stamped_{path.name}")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            dst.writestr(name, data)
    return out


def _bare_states_xlsx(tmp_path: Path) -> Path:
    wb = Workbook()
    wb.active.append(["申请号", "申请日", "简单法律状态"])
    wb.active.append(["202020666666.1", "2020-05-06", "有效"])
    wb.save(tmp_path / "states.xlsx")
    return tmp_path / "states.xlsx"


def test_an_xlsx_that_stores_no_time_has_no_export_date(tmp_path):
    # openpyxl reports the current time for a missing created/modified: that must not become the export date.
    path = _with_core_properties(_bare_states_xlsx(tmp_path), None)
    assert file_export_date(path, load_mapping().known_headers()) is None
    db = tmp_path / "w.duckdb"
    result = hvp("import", str(path), "--db", str(db))
    assert result.exit_code == 1 and "--exported" in result.output
    with Warehouse(db, read_only=True) as wh:
        assert wh.count("status_snapshots") == 0 and wh.count("applications") == 0


@pytest.mark.parametrize(("created", "modified", "day"), [
    ("2024-06-29T15:59:59Z", None, date(2024, 6, 29)),   # 23:59:59 in Beijing
    ("2024-06-29T16:00:00Z", None, date(2024, 6, 30)),   # midnight in Beijing
    ("2024-06-29T16:00:01Z", None, date(2024, 6, 30)),
    ("2024-06-30T09:00:00+08:00", None, date(2024, 6, 30)),
    (None, "2024-03-31T02:00:00Z", date(2024, 3, 31)),    # no created: the modified time
])
def test_the_export_date_an_xlsx_stores(tmp_path, created, modified, day):
    path = _with_core_properties(_bare_states_xlsx(tmp_path), created, modified)
    assert file_export_date(path, load_mapping().known_headers()) == day
    db = imported(tmp_path, path)
    with Warehouse(db, read_only=True) as wh:
        snaps = wh.frame("SELECT snapshot_date, status FROM status_snapshots").values.tolist()
    assert snaps == [[pd_date(day), "in_force"]]
