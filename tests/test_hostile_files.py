"""Hostile and broken files at import (issue 12 items 1, 3, 5 and 9): decompression bombs, zips that are no
workbook, rows whose field count differs from the header, huge lines and headers, control characters,
encodings that change mid-file, garbage Parquet, empty files.  Each is refused with a FileError or a row
error naming the file (and row and field), nothing is stored, and memory stays bounded."""

from __future__ import annotations

import csv
import json
import os
import tracemalloc
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from conftest import table_counts, write_xlsx
from hvpatent.ingest import FileError, ImportRejected, import_file, readers
from hvpatent.ingest.appno import check_digit
from hvpatent.ingest.limits import MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROWS, MiB

HEADER = ["申请号", "申请日", "名称", "申请(专利权)人", "地址", "主分类号", "公开(公告)号", "公开(公告)日",
          "授权公告日", "代理机构"]


def no(digits: str) -> str:
    return f"{digits}.{check_digit(digits)}"


def row(digits: str, title: str = "一种装置", filed: str = "2019-03-01") -> list[str]:
    return [no(digits), filed, title, "重庆甲科技有限公司", "重庆市永川区", "H01M10/42", "", "", "", ""]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


@contextmanager
def traced_peak() -> Iterator[list[int]]:
    """The peak of Python memory allocated inside the block (tracemalloc), in ``peak[0]`` once it ends."""
    peak = [0]
    tracemalloc.start()
    try:
        yield peak
        peak[0] = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def refused(warehouse, path: Path, *words: str) -> FileError:
    """Import ``path``: a FileError naming the file and saying ``words``; the warehouse unchanged."""
    before = table_counts(warehouse)
    with pytest.raises(FileError) as info:
        import_file(warehouse, path)
    err = info.value
    assert err.file == path.name
    for word in words:
        assert word in err.reason, err.reason
    assert table_counts(warehouse) == before
    return err


# -- xlsx: the zip ------------------------------------------------------------------------------------

_CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                  'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')
_SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
               'spreadsheetml/2006/main"><sheetData>')
_SHEET_TAIL = "</sheetData></worksheet>"


def write_raw_xlsx(path: Path, sheet: bytes | None = None, *, chunks: int = 0, chunk: bytes = b"",
                   extra: dict[str, bytes] | None = None) -> Path:
    """A zip laid out like an xlsx with the given sheet XML; ``chunks`` × ``chunk`` streamed into the
    sheet after ``sheet`` (so a bomb is written without being held)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(_SHEET_HEAD.encode())
            fh.write(sheet or b"")
            for _ in range(chunks):
                fh.write(chunk)
            fh.write(_SHEET_TAIL.encode())
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def test_a_decompression_bomb_is_refused_from_the_zip_directory_without_unpacking(warehouse, tmp_path):
    # 96 MiB of sheet XML, one repeated row, deflating to about a hundred KB: issue 12's bomb, smaller.
    cells = "".join(f'<c t="inlineStr"><is><t>{"重" * 20}</t></is></c>' for _ in range(10))
    block = (f"<row>{cells}</row>" * 64).encode()
    path = write_raw_xlsx(tmp_path / "bomb.xlsx", chunks=96 * MiB // len(block), chunk=block)
    with zipfile.ZipFile(path) as zf:
        unpacked = sum(m.file_size for m in zf.infolist())
    assert os.path.getsize(path) < MiB < 90 * MiB < unpacked
    with traced_peak() as traced:
        err = refused(warehouse, path, "压缩炸弹", "100", "decompression bomb")
    peak = traced[0]
    assert "sheet1.xml" in err.reason
    assert peak < 8 * MiB < unpacked // 10  # judged from the directory: nothing was unpacked


def test_an_xlsx_larger_unpacked_than_the_limit_is_refused(warehouse, tmp_path, monkeypatch):
    # A sheet of varied text that compresses only a few times, over a limit lowered to 1 MiB.
    rows = [HEADER] + [row(f"2019105{i:05d}", title=os.urandom(300).hex()) for i in range(2_000)]
    path = write_xlsx(tmp_path / "big.xlsx", rows)
    monkeypatch.setattr(readers, "MAX_XLSX_UNCOMPRESSED", 1 * MiB)
    refused(warehouse, path, "解压后共", "超过上限 1 MiB")


def test_a_zip_of_zips_is_not_a_workbook(warehouse, tmp_path):
    inner = write_xlsx(tmp_path / "inner.xlsx", [HEADER, row("201910555555")])
    path = tmp_path / "outer.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(inner, "inner.xlsx")
        zf.write(inner, "more/inner2.xlsx")
    refused(warehouse, path, "不是 Excel 工作簿")


def test_a_zip_of_too_many_members(warehouse, tmp_path):
    path = tmp_path / "members.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        for i in range(1_001):
            zf.writestr(f"xl/media/p{i}.bin", b"")
    refused(warehouse, path, "1,002 个成员", "1,000")


@pytest.mark.parametrize("content", [b"PK\x03\x04 not really a zip", "申请号,申请日\n".encode(), os.urandom(4096)])
def test_an_xlsx_that_is_not_a_zip(warehouse, tmp_path, content):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(content)
    refused(warehouse, path, "不是有效的 xlsx")


def test_a_truncated_xlsx(warehouse, tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", [HEADER, row("201910555555")]).read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(good[: len(good) // 2])
    refused(warehouse, path, "xlsx")


def test_a_damaged_sheet_inside_a_good_zip(warehouse, tmp_path):
    path = write_raw_xlsx(tmp_path / "damaged.xlsx", b"<row><c><v>1</v></row></c>")
    refused(warehouse, path, "已损坏")


def test_a_dtd_in_a_sheet_is_refused(warehouse, tmp_path):
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
              b"<worksheet><sheetData><row><c><v>&lol2;</v></c></row></sheetData></worksheet>")
    path = tmp_path / "laughs.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("xl/worksheets/sheet1.xml", laughs)
    refused(warehouse, path, "DTD")


# -- xlsx: what a sheet may hold, checked streaming ---------------------------------------------------

def test_a_sheet_past_the_row_limit(warehouse, tmp_path):
    sheet = f'<row r="{MAX_ROWS + 1}"><c t="inlineStr"><is><t>x</t></is></c></row>'.encode()
    refused(warehouse, write_raw_xlsx(tmp_path / "rows.xlsx", sheet), f"{MAX_ROWS:,} 行")


def test_a_sheet_row_past_the_column_limit(warehouse, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(row("201910555555"))
    ws.cell(row=3, column=MAX_COLUMNS + 50, value="x")
    wb.save(tmp_path / "wide.xlsx")
    refused(warehouse, tmp_path / "wide.xlsx", "第 3 行", f"{MAX_COLUMNS:,} 列")


def test_a_cell_past_the_length_limit(warehouse, tmp_path):
    # openpyxl itself cuts a cell at Excel's 32,767 characters: the sheet is written by hand.
    cell = f'<row r="2"><c r="C2" t="inlineStr"><is><t>{"长" * (MAX_CELL_CHARS + 1)}</t></is></c></row>'
    refused(warehouse, write_raw_xlsx(tmp_path / "long.xlsx", cell.encode()), "第 2 行第 3 列",
            f"{MAX_CELL_CHARS:,} 个字符")


def test_a_csv_cell_past_the_length_limit(warehouse, tmp_path):
    path = write_csv(tmp_path / "long.csv", [HEADER, row("201910555555", title="长" * (MAX_CELL_CHARS + 1))])
    refused(warehouse, path, "第 2 行第 3 列", f"{MAX_CELL_CHARS:,}")


def test_a_control_character_in_an_xlsx_cell_is_a_row_error(warehouse, tmp_path):
    # Excel stores a control character as the escape _x0007_; it is read as the character itself.
    path = write_xlsx(tmp_path / "bel.xlsx", [HEADER, row("201910555555", title="一种_x0007_系统"),
                                              row("201910666666")])
    with pytest.raises(ImportRejected) as info:
        import_file(warehouse, path)
    assert [(e.row, e.field) for e in info.value.errors] == [(2, "名称")]
    assert "U+0007" in info.value.errors[0].reason
    assert warehouse.count("applications") == 0


# -- CSV: rows, lines, columns ------------------------------------------------------------------------

def test_a_row_with_an_extra_field_is_an_error_never_shifted(warehouse, tmp_path):
    shifted = row("201910222222")
    shifted.insert(2, "多出的一列")  # 11 fields: every field after it would move one column right
    rows = [HEADER, row("201910111111"), shifted, row("201910333333", filed="2019-02-30"), row("201910444444"),
            row("201910555555")[:8]]
    path = write_csv(tmp_path / "fields.csv", rows)
    with pytest.raises(ImportRejected) as info:
        import_file(warehouse, path)
    errors = {(e.row, e.field): e.reason for e in info.value.errors}
    assert errors[(3, "字段数 / fields")] == ("第 3 行：有 11 个字段，表头有 10 个 / row 3 has 11 fields, "
                                            "the header has 10")
    assert (4, "申请日") in errors  # rows after the bad one are still checked
    assert errors[(6, "字段数 / fields")].startswith("第 6 行：有 8 个字段，表头有 10 个")
    assert "第 3 行" in str(info.value)
    assert warehouse.count("applications") == 0

    result, skipped = import_file(warehouse, path, skip_bad_rows=True)
    assert sorted({e.row for e in skipped}) == [3, 4, 6]
    assert result.rows_read == 5
    apps = warehouse.frame("SELECT app_no, title FROM applications ORDER BY app_no")
    assert apps.app_no.tolist() == [no("201910111111"), no("201910444444")]
    assert set(apps.title) == {"一种装置"}  # nothing shifted into a field


def test_a_million_column_row_fails_fast_in_bounded_memory(warehouse, tmp_path):
    path = tmp_path / "wide.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(",".join(HEADER) + "\n")
        fh.write(",".join(row("201910111111")) + "\n")
        fh.write("x," * 1_000_000 + "x\n")
    with traced_peak() as traced:
        refused(warehouse, path, "第 3 行超过", "line 3")
    peak = traced[0]
    assert peak < 16 * MiB  # the line was never held whole, nor split into a million fields


def test_a_header_with_too_many_columns(warehouse, tmp_path):
    path = write_csv(tmp_path / "header.csv", [HEADER + [f"列{i}" for i in range(MAX_COLUMNS)], row("201910111111")])
    refused(warehouse, path, "表头有", f"超过上限 {MAX_COLUMNS:,}")


def test_an_unclosed_quote_does_not_swallow_the_file(warehouse, tmp_path):
    path = tmp_path / "quote.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(",".join(HEADER) + "\n")
        fh.write(",".join(row("201910111111", title='"一种装置')) + "\n")
        for i in range(60_000):
            fh.write(",".join(row(f"2019102{i:05d}")) + "\n")
    refused(warehouse, path, "引号未闭合")


def test_a_nul_in_a_csv_cell_is_a_row_error_naming_row_and_field(warehouse, tmp_path):
    path = write_csv(tmp_path / "nul.csv", [HEADER, row("201910111111"), row("201910222222", title="一种\x00装置"),
                                            row("201910333333")])
    with pytest.raises(ImportRejected) as info:
        import_file(warehouse, path)
    assert [(e.file, e.row, e.field) for e in info.value.errors] == [("nul.csv", 3, "名称")]
    assert "U+0000" in info.value.errors[0].reason
    assert warehouse.count("applications") == 0
    import_file(warehouse, path, skip_bad_rows=True)
    titles = warehouse.frame("SELECT title FROM applications").title.tolist()
    assert titles == ["一种装置", "一种装置"]


def test_tabs_and_line_breaks_inside_cells_are_kept(warehouse, tmp_path):
    path = write_csv(tmp_path / "multiline.csv", [HEADER, row("201910111111", title="一种\t装置\r\n第二行")])
    import_file(warehouse, path)
    assert warehouse.frame("SELECT title FROM applications").title.tolist() == ["一种\t装置\n第二行"]


def test_formula_looking_text_is_kept_as_text(warehouse, tmp_path):
    rows = [HEADER, [*row("201910111111", title="@SUM(1+1)一种系统")[:3], '=HYPERLINK("http://x.invalid","点我")',
                     *row("201910111111")[4:]]]
    import_file(warehouse, write_csv(tmp_path / "formula.csv", rows))
    assert warehouse.frame("SELECT title FROM applications").title.tolist() == ["@SUM(1+1)一种系统"]
    assert warehouse.frame("SELECT name FROM parties").name.tolist() == ['=HYPERLINK("http://x.invalid","点我")']


# -- encodings ----------------------------------------------------------------------------------------

def test_utf8_for_the_first_mib_then_gbk_names_the_line(warehouse, tmp_path):
    path = tmp_path / "switch.csv"
    with path.open("wb") as fh:
        fh.write((",".join(HEADER) + "\n").encode("utf-8"))
        for i in range(45):  # past the 1 MiB the encoding is judged on
            fh.write((",".join(row(f"2019101{i:05d}", title="长" * 8_000)) + "\n").encode("utf-8"))
        fh.write((",".join(row("201910999999", title="一种国标编码的装置")) + "\n").encode("gbk"))
    assert path.stat().st_size > MiB
    refused(warehouse, path, "第 47 行", "不是 UTF-8 编码", "line 47")


def test_a_binary_file_named_csv(warehouse, tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(bytes(range(256)) * 64)
    refused(warehouse, path, "不是文本文件")


@pytest.mark.parametrize("name, content", [
    ("empty.csv", b""), ("empty.xlsx", b""), ("empty.parquet", b""), ("empty.jsonl", b""),
    ("bom.csv", b"\xef\xbb\xbf"), ("blank.csv", b"\r\n\r\n"),
])
def test_empty_files(warehouse, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    refused(warehouse, path)


# -- Parquet and JSON ---------------------------------------------------------------------------------

def _google_parquet(path: Path, title: str = "一种装置") -> Path:
    rec = {"publication_number": "CN-109555555-A", "application_number": "CN-201910555555-A",
           "country_code": "CN", "kind_code": "A", "filing_date": 20190301, "publication_date": 20200301,
           "title_localized": [{"text": title, "language": "zh"}]}
    pq.write_table(pa.Table.from_pylist([rec] * 50), path)
    return path


@pytest.mark.parametrize("make", ["random", "truncated", "other-table"])
def test_a_garbage_parquet(warehouse, tmp_path, make):
    path = tmp_path / "pubs.parquet"
    if make == "random":
        path.write_bytes(os.urandom(10_000))
    elif make == "truncated":
        good = _google_parquet(tmp_path / "good.parquet").read_bytes()
        path.write_bytes(good[: len(good) // 2])
    else:
        pq.write_table(pa.table({"a": [1, 2]}), path)
    err = refused(warehouse, path, "Parquet")
    if make == "other-table":
        assert "publication_number" in err.reason


def test_a_nul_in_a_google_record_is_a_row_error(warehouse, tmp_path):
    rec = {"publication_number": "CN-109555555-A", "application_number": "CN-201910555555-A", "country_code": "CN",
           "kind_code": "A", "filing_date": 20190301, "title_localized": [{"text": "一种\u0000装置", "language": "zh"}]}
    path = tmp_path / "bq.jsonl"
    path.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as info:
        import_file(warehouse, path)
    assert [(e.row, e.field) for e in info.value.errors] == [(1, "title_localized")]
    assert warehouse.count("applications") == 0


def test_a_header_with_no_rows_reads_as_an_empty_file(warehouse, tmp_path):
    from hvpatent.ingest.templates import write_template

    result, errors = import_file(warehouse, write_template("awards", tmp_path / "awards.xlsx"))
    assert (result.rows_read, errors) == (0, [])
    result, errors = import_file(warehouse, write_csv(tmp_path / "header-only.csv", [HEADER]))
    assert (result.rows_read, errors) == (0, [])


# -- memory: row errors kept, Parquet and JSON lines bounded (issue 12 review, findings 3 and 4) ------

def test_a_file_of_bad_rows_keeps_the_first_errors_and_counts_the_rest_in_bounded_memory(warehouse, tmp_path):
    from hvpatent.ingest import write_errors_report
    from hvpatent.ingest.limits import MAX_ROW_ERRORS

    path = tmp_path / "short.csv"  # 120,000 rows of one field under a header of ten: each a row error
    path.write_text(",".join(HEADER) + "\n" + "x\n" * 120_000, encoding="utf-8")
    with traced_peak() as traced, pytest.raises(ImportRejected) as info:
        import_file(warehouse, path)
    peak = traced[0]
    rejected = info.value
    assert (rejected.count, len(rejected.errors)) == (120_000, MAX_ROW_ERRORS)
    assert [e.row for e in rejected.errors[:2]] == [2, 3]
    assert "120,000 处错误" in str(rejected)
    assert "另有 119,000 个错误未列出 / 119,000 more errors not listed" in str(rejected)
    assert peak < 64 * MiB  # every error kept: about 77 MiB, growing with the file (64 MiB per 100,000 rows)

    result, skipped = import_file(warehouse, path, skip_bad_rows=True)
    assert (result.rows_read, result.rows_rejected, len(skipped), skipped.total) == (120_000, 120_000,
                                                                                      MAX_ROW_ERRORS, 120_000)
    from openpyxl import load_workbook

    last = list(load_workbook(write_errors_report(skipped, tmp_path / "errors.xlsx")).active.values)[-1]
    assert last[-1] == "另有 119,000 个错误未列出 / 119,000 more errors not listed"


def test_a_row_of_control_characters_is_one_error_naming_the_other_fields(warehouse, tmp_path):
    bad = ["\x01" + "x" * 300] * len(HEADER)
    path = write_csv(tmp_path / "soh.csv", [HEADER, row("201910111111"), bad, row("201910333333")])
    with pytest.raises(ImportRejected) as info:
        import_file(warehouse, path)
    [error] = info.value.errors
    assert (error.row, error.field, len(error.value)) == (3, "申请号", 200)
    assert "U+0001" in error.reason and "另有 9 个字段也含控制字符：申请日、名称" in error.reason

    rec = {f"k{i}": "\x01" for i in range(500)}
    path = tmp_path / "soh.jsonl"
    path.write_text(json.dumps({"publication_number": "CN-1-A", "application_number": "CN-201910555555-A",
                                "country_code": "CN", **rec}) + "\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as info:
        import_file(warehouse, path)
    [error] = info.value.errors
    assert (error.row, error.field) == (1, "k0") and "另有 499 个字段" in error.reason


def test_a_parquet_dictionary_bomb_is_refused_in_bounded_memory(warehouse, tmp_path):
    # A million rows pointing to one 10 KB string: a few KB on disk, 10^10 characters decoded.
    n = 1_000_000
    one = pa.array([0] * n, pa.int32())
    table = pa.table({
        "publication_number": pa.DictionaryArray.from_arrays(one, pa.array(["CN-1" + "x" * 10_000])),
        "application_number": pa.DictionaryArray.from_arrays(one, pa.array(["CN-201910555555-A"])),
        "country_code": pa.DictionaryArray.from_arrays(one, pa.array(["CN"])),
    })
    path = tmp_path / "bomb.parquet"
    pq.write_table(table, path, compression="zstd")
    assert path.stat().st_size < 64 * 1024
    with traced_peak() as traced:
        refused(warehouse, path, "字典炸弹", "100 倍")
    peak = traced[0]
    assert peak < 128 * MiB  # 65,536-row batches chunked by 200,000 rows held about 2 GB


def test_a_parquet_past_the_row_limit_is_refused_from_its_footer(warehouse, tmp_path):
    n = MAX_ROWS + 1
    one = pa.array([0] * n, pa.int32())
    table = pa.table({name: pa.DictionaryArray.from_arrays(one, pa.array([value])) for name, value in
                      (("publication_number", "CN-1-A"), ("application_number", "CN-201910555555-A"),
                       ("country_code", "CN"))})
    path = tmp_path / "rows.parquet"
    pq.write_table(table, path)
    refused(warehouse, path, f"{n:,} 行", f"{MAX_ROWS:,}")


def test_a_parquet_cell_past_the_length_limit_names_the_column_and_rows(warehouse, tmp_path):
    path = _google_parquet(tmp_path / "long.parquet", title="长" * (MAX_CELL_CHARS + 1))
    refused(warehouse, path, "第 1–50 行", "title_localized", f"{MAX_CELL_CHARS:,}")


def test_an_over_long_json_line_is_a_file_error_naming_the_line(warehouse, tmp_path, monkeypatch):
    from hvpatent.ingest import limits

    monkeypatch.setattr(limits, "MAX_JSON_LINE_CHARS", 10_000)
    rec = {"publication_number": "CN-109555555-A", "application_number": "CN-201910555555-A", "country_code": "CN",
           "kind_code": "A", "filing_date": 20190301}
    for name in ("bq.jsonl", "qcc.jsonl"):
        path = tmp_path / name
        if name == "qcc.jsonl":
            rec = {"ApplicationNumber": "CN201910555555.X", "KindCodeDesc": "发明公布", "ApplicationDate": "2019-03-01"}
        long = {**rec, "abstract": "长" * 20_000}
        path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in (rec, long, rec)) + "\n", encoding="utf-8")
        refused(warehouse, path, "第 2 行超过 10,000 个字符", "line 2")


def test_long_json_records_make_short_chunks(tmp_path, monkeypatch):
    from hvpatent.ingest import limits
    from hvpatent.ingest.google import read_publications

    monkeypatch.setattr(limits, "MAX_CHUNK_CHARS", 1_000)
    path = tmp_path / "bq.jsonl"
    recs = [{"publication_number": f"CN-10955555{i}-A", "application_number": f"CN-20191055555{i}-A",
             "country_code": "CN", "kind_code": "A", "filing_date": 20190301,
             "abstract_localized": [{"text": "长" * 600, "language": "zh"}]} for i in range(6)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    assert [rows for _, _, rows in read_publications(path)] == [2, 2, 2]  # two records pass 1,000 characters
