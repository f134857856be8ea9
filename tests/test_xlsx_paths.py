"""The two xlsx readers give the same text (issue 12 item 1, follow-up): calamine reads a sheet the scan
judged small enough (limits.XLSX_CALAMINE_MAX_BYTES), openpyxl streams any other.  The same small
workbooks are read through both paths -- the limit forced to 0 or left as it is -- and the frames, the row
errors, the header rows and the export date must be equal: dates, times, durations, numbers, booleans,
error values, empty cells, pandas' NA words, _x0007_ escapes, rich text, shared and inline strings,
leading empty rows and columns, a forged <dimension>, the 1904 date system."""

from __future__ import annotations

import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook
from openpyxl.styles import Font

from hvpatent.ingest import limits, readers

HEADER = ["申请号", "申请日", "名称", "备注", "数值", "其他"]
KNOWN = {readers.header_key(h) for h in HEADER}


def read_both(path: Path, monkeypatch) -> tuple[list, list]:
    """(frames with their row errors, header rows) read by calamine, then by openpyxl."""
    results = []
    for limit in (limits.XLSX_CALAMINE_MAX_BYTES, 0):
        monkeypatch.setattr(limits, "XLSX_CALAMINE_MAX_BYTES", limit)
        readers._last_head.clear()  # head rows are kept for the next question about the same file
        chunks = [(frame, [(e.row, e.field, e.value, e.reason) for e in errors])
                  for frame, errors in readers.read_chunks(path, KNOWN, chunk_rows=4)]
        results.append((chunks, readers.head_rows(path), readers.file_export_date(path, KNOWN)))
    return results[0], results[1]


def assert_same(path: Path, monkeypatch) -> tuple[pd.DataFrame, list]:
    scan = readers.check_xlsx(path)
    assert scan.sheet is not None and 0 < scan.estimate <= limits.XLSX_CALAMINE_MAX_BYTES
    assert readers._calamine_sheet(path, scan.sheet) is not None  # the fast path does read it
    (fast, fast_head, fast_date), (slow, slow_head, slow_date) = read_both(path, monkeypatch)
    assert len(fast) == len(slow)
    for (f_frame, f_errors), (s_frame, s_errors) in zip(fast, slow, strict=True):
        pd.testing.assert_frame_equal(f_frame, s_frame)
        assert f_errors == s_errors
    assert fast_head == slow_head
    assert fast_date == slow_date
    return pd.concat([frame for frame, _ in fast]), [e for _, errors in fast for e in errors]


def test_an_openpyxl_workbook_reads_the_same_through_both_paths(tmp_path, monkeypatch):
    wb = Workbook()
    ws = wb.active
    ws["B1"] = "导出日期：2024-06-30"
    for i, h in enumerate(HEADER):
        ws.cell(row=3, column=3 + i, value=h)  # header in C3: empty rows and columns before it
    values = [
        ["201910555555.5", datetime(2019, 3, 1), "一种_x0007_系统", "NA", 3.0, True],
        ["201910666666.X", date(2020, 1, 2), "a_x005F_x0007_b", "NULL", 3.5, False],
        ["201910777777.1", datetime(2019, 3, 1, 12, 30, 5), "  ", "", 1e20, -0.0],
        ["201910888888.2", time(10, 20), timedelta(hours=30), 0.1 + 0.2, 1e-7, 12345678901234],
        ["=1+1", 44000, 44000, 0.5, 44000.25, 1234.5],
        [None, None, "late", None, None, None, None, None, "beyond the header"],
    ]
    for r, row in enumerate(values, 4):
        for c, value in enumerate(row, 3):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    ws["D8"].number_format = "0.00%"
    ws["E8"].number_format = 'yyyy"年"m"月"d"日"'
    ws["F8"].number_format = "hh:mm"
    ws["G8"].number_format = "m/d/yy h:mm"
    ws["H8"].number_format = "#,##0.00"
    ws["G7"].number_format = "[h]:mm:ss"
    ws["Z9"].font = Font(bold=True)  # a styled empty cell past the last value
    ws["C11"] = "201910999999.3"
    path = tmp_path / "openpyxl.xlsx"
    wb.save(path)
    frame, errors = assert_same(path, monkeypatch)
    assert frame.loc[5, "申请日"] == "2020-01-02 00:00:00"
    assert frame.loc[5, "名称"] == "a_x0007_b"
    assert frame.loc[5, "备注"] == ""
    assert [(row, field) for row, field, *_ in errors] == [(4, "名称")]  # the escaped U+0007


_CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
       'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
       'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
       'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument'
       '.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
       'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
         '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_REL = ('<Relationship Id="{}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/{}" '
        'Target="{}"/>')
_NS = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
_STYLES = (f'<?xml version="1.0" encoding="UTF-8"?><styleSheet {_NS}><numFmts count="1"><numFmt numFmtId="164" '
           'formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts><fonts count="1"><font/></fonts>'
           '<fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/>'
           '</borders><cellStyleXfs count="1"><xf/>'
           '</cellStyleXfs><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/>'
           '<xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="22" applyNumberFormat="1"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def write_workbook(path: Path, sheet_data: str, strings: list[str] | None = None, *, dimension: str = "",
                   date1904: bool = False) -> Path:
    """An xlsx laid out as Excel writes one: workbook, relationships, styles (1: yyyy-mm-dd, 2: yyyy年m月d日,
    3: m/d/yy h:mm), shared strings (each given as the inside of its <si>) and the sheet's rows."""
    rels = [_REL.format("rId1", "worksheet", "worksheets/sheet1.xml"), _REL.format("rId3", "styles", "styles.xml")]
    if strings is not None:
        rels.append(_REL.format("rId2", "sharedStrings", "sharedStrings.xml"))
    pr = '<workbookPr date1904="1"/>' if date1904 else ""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        sst_type = ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                    'officedocument.spreadsheetml.sharedStrings+xml"/>')
        zf.writestr("[Content_Types].xml", _CT if strings is not None else _CT.replace(sst_type, ""))
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook {_NS}>{pr}<sheets>'
                                       '<sheet name="专利" sheetId="1" r:id="rId1"/></sheets></workbook>')
        zf.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns='
                    f'"http://schemas.openxmlformats.org/package/2006/relationships">{"".join(rels)}</Relationships>')
        zf.writestr("xl/styles.xml", _STYLES)
        if strings is not None:
            zf.writestr("xl/sharedStrings.xml", f'<?xml version="1.0" encoding="UTF-8"?><sst {_NS} count='
                        f'"{len(strings)}">{"".join(f"<si>{s}</si>" for s in strings)}</sst>')
        dim = f'<dimension ref="{dimension}"/>' if dimension else ""
        zf.writestr("xl/worksheets/sheet1.xml", f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_NS}>{dim}'
                                                f"<sheetData>{sheet_data}</sheetData></worksheet>")
    return path


def _s(i: int) -> str:
    return f'<c t="s"><v>{i}</v></c>'


_STRINGS = [f"<t>{h}</t>" for h in HEADER] + [
    "<r><t>一种</t></r><r><rPr><b/></rPr><t xml:space=\"preserve\"> 富文本</t></r>",
    "<t>x_x000D_y_x0000_</t>", "<t>201910555555.5</t>", "<t>N/A</t>", "<t xml:space=\"preserve\"> </t>"]


@pytest.mark.parametrize("date1904", [False, True])
def test_an_excel_workbook_reads_the_same_through_both_paths(tmp_path, monkeypatch, date1904):
    header = "".join(_s(i) for i in range(6))
    rows = [
        f'<row r="2">{header}</row>',
        f'<row r="3">{_s(8)}<c s="1"><v>43831</v></c>{_s(6)}<c t="e"><v>#N/A</v></c><c><v>1.0E+3</v></c>'
        '<c t="b"><v>1</v></c></row>',
        f'<row r="4">{_s(8)}<c s="2"><v>43832.5</v></c><c t="inlineStr"><is><t>行内</t></is></c>'
        '<c t="e"><v>#N/A</v></c><c t="str"><f>A1</f><v>公式</v></c><c t="d"><v>2020-01-02T03:04:05</v></c></row>',
        f'<row r="7">{_s(8)}<c s="3"><v>60</v></c>{_s(7)}{_s(9)}<c><v>-12.75</v></c>{_s(10)}</row>',
        f'<row r="8">{_s(8)}<c s="1"><v>0</v></c><c/><c t="inlineStr"><is><t>x</t></is></c><c><v>123456789012345</v>'
        '</c></row>',
    ]
    path = write_workbook(tmp_path / "excel.xlsx", "".join(rows), _STRINGS, dimension="A1:XFD1048576",
                          date1904=date1904)
    frame, errors = assert_same(path, monkeypatch)
    assert list(frame.index) == [3, 4, 8]  # row 7 holds U+0000: a row error
    assert frame.loc[4, "名称"] == "行内" and frame.loc[4, "数值"] == "公式"
    assert [(row, field) for row, field, *_ in errors] == [(7, "名称")]


def test_a_workbook_without_shared_strings_and_with_gaps(tmp_path, monkeypatch):
    cells = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in HEADER)
    rows = (f"<row>{cells}</row><row/><row><c/><c/><c><v>7</v></c></row>"
            '<row r="9"><c r="B9" s="1"><v>45000</v></c><c r="D9" t="inlineStr"><is><t>申请</t></is></c></row>')
    assert_same(write_workbook(tmp_path / "inline.xlsx", rows), monkeypatch)


def test_a_long_integer_is_read_exactly_by_openpyxl(tmp_path):
    # calamine reads numbers as floats: 12345678901234567 would come back as ...568.  Such a sheet is
    # left to openpyxl, which keeps the integer.
    cells = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in HEADER)
    path = write_workbook(tmp_path / "long.xlsx", f"<row>{cells}</row><row><c><v>12345678901234567</v></c></row>")
    assert readers.check_xlsx(path).sheet is None
    frame, _ = next(readers.read_chunks(path, KNOWN))
    assert frame.loc[2, "申请号"] == "12345678901234567"


def test_an_error_value_is_read_by_openpyxl(tmp_path):
    # calamine reads #DIV/0! as an empty cell; openpyxl as the text it is (#N/A, a pandas NA word, is
    # empty either way and stays on the fast path).
    cells = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in HEADER)
    path = write_workbook(tmp_path / "div.xlsx", f'<row>{cells}</row><row><c t="inlineStr"><is><t>甲</t></is>'
                                                 '</c><c t="e"><v>#DIV/0!</v></c></row>')
    assert readers.check_xlsx(path).sheet is None
    frame, _ = next(readers.read_chunks(path, KNOWN))
    assert frame.loc[2].tolist()[:2] == ["甲", "#DIV/0!"]


def test_the_estimate_counts_a_shared_string_once_per_cell(tmp_path):
    # 2,000 cells showing one 10,000-character string: calamine holds 2,000 copies, 60 MB of text,
    # from a sheet of a few tens of KB.  The estimate sees them.
    cells = "".join(f"<row>{_s(0)}</row>" for _ in range(2_000))
    path = write_workbook(tmp_path / "copies.xlsx", cells, ["<t>" + "长" * 10_000 + "</t>"])
    assert readers.check_xlsx(path).estimate >= 2_000 * 10_000 * 3
    # a forged rectangle: two cells far apart are one calamine range of every cell between them
    path = write_workbook(tmp_path / "corners.xlsx", '<row r="1"><c r="A1"><v>1</v></c></row>'
                                                     '<row r="1000000"><c r="AMJ1000000"><v>1</v></c></row>')
    assert readers.check_xlsx(path).estimate >= 1_000_000 * 1_024 * 32
    assert readers.check_xlsx(path).estimate > limits.XLSX_CALAMINE_MAX_BYTES
