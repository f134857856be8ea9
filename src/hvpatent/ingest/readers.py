"""Reading spreadsheets as users receive them: xlsx, xls, csv in UTF-8 / GBK / GB18030,
sometimes with title rows above the header."""

from __future__ import annotations

import codecs
import csv
import json
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import closing, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from itertools import chain, islice
from pathlib import Path
from typing import Any, TypeVar
from xml.etree import ElementTree
from xml.parsers import expat

import pandas as pd
from pandas._libs.parsers import STR_NA_VALUES

from hvpatent.ingest import limits
from hvpatent.ingest.errors import FileError, RowErrors
from hvpatent.ingest.fields import printable
from hvpatent.ingest.heartbeat import BEAT_BYTES, BEAT_ROWS, BeatingStream, beat
from hvpatent.ingest.limits import (
    CONTROL_CHARACTERS,
    ENCODING_SAMPLE_BYTES,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_COMPRESSION_RATIO,
    MAX_LINE_CHARS,
    MAX_ROWS,
    MAX_XLSX_UNCOMPRESSED,
    MAX_ZIP_MEMBERS,
    RATIO_GRACE_BYTES,
    MiB,
)
from hvpatent.model import RowError

T = TypeVar("T")

_ENCODINGS = ("utf-8-sig", "gb18030")  # GB18030 is a superset of GBK and GB2312
_HEADER_SCAN_ROWS = 20
_CSV_SUFFIXES = {".csv", ".txt", ".tsv"}


def header_key(text: object) -> str:
    """Fold spaces, bracket widths and case so that '标题 (中文)' matches '标题(中文)'."""
    s = str(text).strip().lower().replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", s)


def detect_encoding(path: Path) -> str:
    """UTF-8 (a BOM allowed), else GB18030, judged on the first ENCODING_SAMPLE_BYTES; a file with many NUL
    bytes there is binary (or UTF-16), not a CSV we can read (a stray NUL in a cell is a row error)."""
    with path.open("rb") as fh:
        sample = fh.read(ENCODING_SAMPLE_BYTES)
    if sample.count(b"\x00") > max(4, len(sample) // 1000):
        raise FileError(path.name, "不是文本文件（含有 NUL 字节：二进制文件或 UTF-16 编码），请另存为 UTF-8 编码的 CSV"
                                   " / not a text file (NUL bytes: binary or UTF-16); save it as UTF-8 CSV")
    cut = len(sample) == ENCODING_SAMPLE_BYTES  # the file goes on: the sample may end mid-character
    for enc in _ENCODINGS:
        try:
            # An incremental decoder keeps an unfinished last character back instead of failing on it (utf-8-sig
            # counts error positions after the BOM, so a position test misses a cut in a BOM file).
            codecs.getincrementaldecoder(enc)().decode(sample, final=not cut)
            return enc
        except UnicodeDecodeError:
            pass
    raise FileError(path.name, "文件编码无法识别（支持 UTF-8、GBK、GB18030）/ unknown encoding (UTF-8, GBK, GB18030)")


def _delimiter(path: Path) -> str:
    return "\t" if path.suffix.lower() == ".tsv" else ","


def head_rows(path: Path) -> list[list[str]]:
    """The first rows of any supported file, as strings, for header detection."""
    xlsx = path.suffix.lower() in {".xlsx", ".xlsm"}
    if xlsx:  # an import asks twice (format, export date); calamine loads the whole sheet each time
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        cached = _last_head.get(key)
        if cached is not None:
            return [list(fields) for fields in cached]
    with closing(_records(path, head=True)) as records:
        rows = [rec.fields for rec in islice(records, _HEADER_SCAN_ROWS)]
    if xlsx and sum(len(cell) for fields in rows for cell in fields) <= _HEAD_CACHE_CHARS:
        _last_head.clear()
        _last_head[key] = tuple(tuple(fields) for fields in rows)
    return rows


_last_head: dict[tuple[str, int, int], tuple[tuple[str, ...], ...]] = {}  # the last xlsx's head rows
_HEAD_CACHE_CHARS = 1 << 20
_HEAD_SHARED_BYTES = 1 << 20  # openpyxl loads shared strings at about 7 MiB/s, before any row


# -- rows of any table: CSV, xlsx, xls ----------------------------------------------------------------

_CONTROL = re.compile(CONTROL_CHARACTERS)
_NA_TEXT = frozenset(STR_NA_VALUES)  # what pandas.read_excel read as empty; kept so xlsx values are as before
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy xls (and encrypted xlsx) compound files
_EXCEL_MAX_COLUMN = 16_384  # column XFD
_XML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


@dataclass
class _Record:
    row: int            # 1-based row of the sheet, record of the CSV
    fields: list[str]
    control: bool       # some field holds a refused control character


def control_character(text: str) -> str | None:
    """The first refused control character in ``text`` (limits.CONTROL_CHARACTERS), else None."""
    found = _CONTROL.search(text)
    return found.group() if found else None


def control_reason(char: str) -> str:
    return (f"含有控制字符 U+{ord(char):04X}（不允许 NUL 等控制字符，请删除后重新导入）"
            f" / contains the control character U+{ord(char):04X}")


def control_errors(file: str, row: int, record: Any) -> list[RowError]:
    """One row error for a JSON record whose text (at any depth) holds a refused control character: the
    first such top-level key, the others named in its reason (one error a record, however many keys)."""
    bad = [(str(key), text) for key, value in (record.items() if isinstance(record, dict) else [("record", record)])
           if (text := _first_control_text(value)) is not None]
    if not bad:
        return []
    key, text = bad[0]
    return [RowError(file, row, key, printable(text)[:200],
                     control_reason(control_character(text)) + _also([k for k, _ in bad[1:]]))]


def _also(fields: list[str]) -> str:
    """The other fields of a row with the same fault, named in its one error."""
    if not fields:
        return ""
    shown = "、".join(printable(f)[:40] for f in fields[:5]) + ("…" if len(fields) > 5 else "")
    return f"；另有 {len(fields):,} 个字段也含控制字符：{shown} / {len(fields):,} more fields likewise"


def _first_control_text(value: Any, depth: int = 0) -> str | None:
    if isinstance(value, str):
        return value if control_character(value) else None
    if depth < 20 and isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if depth < 20 and isinstance(value, list):
        for item in value:
            found = _first_control_text(item, depth + 1)
            if found is not None:
                return found
    return None


def _records(path: Path, head: bool = False) -> Iterator[_Record]:
    """The records of a table; ``head``: only its first rows will be read."""
    suffix = path.suffix.lower()
    if suffix in _CSV_SUFFIXES:
        return _csv_records(path)
    if suffix in {".xlsx", ".xlsm"}:
        with path.open("rb") as fh:
            ole = fh.read(len(_OLE_MAGIC)) == _OLE_MAGIC
        return _xls_records(path) if ole else _xlsx_records(path, head)
    if suffix == ".xls":
        return _xls_records(path)
    raise FileError(path.name, f"不支持的文件类型 {suffix}（支持 xlsx、xls、csv）/ unsupported file type")


class _Lines:
    """The lines of an open text file for csv.reader: each line, and each record (a quoted cell may span
    lines), at most MAX_LINE_CHARS, read through a bounded readline so no line is ever held whole."""

    def __init__(self, fh: Any, file: str, limit: int = MAX_LINE_CHARS):
        self.fh, self.file, self.limit = fh, file, limit
        self.number = 0         # lines read
        self.record_chars = 0   # characters of the record being read
        self.control = False    # the record being read holds a refused control character

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.fh.readline(self.limit + 1)
        if not line:
            raise StopIteration
        self.number += 1
        if len(line) > self.limit:
            raise FileError(self.file, f"第 {self.number} 行超过 {self.limit:,} 个字符的上限"
                                       f" / line {self.number} is longer than {self.limit:,} characters")
        self.record_chars += len(line)
        if self.record_chars > MAX_LINE_CHARS:
            raise FileError(self.file, f"第 {self.number} 行所在的记录超过 {MAX_LINE_CHARS:,} 个字符的上限"
                                       "（引号未闭合？）"
                                       f" / the record ending at line {self.number} is longer than "
                                       f"{MAX_LINE_CHARS:,} characters (an unclosed quote?)")
        if not self.control and _CONTROL.search(line):
            self.control = True
        return line

    def record_done(self) -> tuple[int, bool]:
        chars, control = self.record_chars, self.control
        self.record_chars, self.control = 0, False
        return chars, control


def _csv_records(path: Path) -> Iterator[_Record]:
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as fh:
        lines = _Lines(fh, path.name)
        reader = csv.reader(lines, delimiter=_delimiter(path))
        row = 0
        try:
            for fields in reader:
                row += 1
                if row % BEAT_ROWS == 0:
                    beat()
                chars, control = lines.record_done()
                if chars > MAX_CELL_CHARS:
                    _check_cells(path.name, row, fields)
                yield _Record(row, fields, control)
        except UnicodeDecodeError:
            raise undecodable(path, encoding) from None
        except csv.Error as err:
            if "field limit" in str(err):  # csv's own bound (131,072), past the cell limit: a runaway quote
                raise FileError(path.name, f"第 {lines.number} 行附近的单元格超过 {MAX_CELL_CHARS:,} 个字符的上限"
                                           f"（引号未闭合？）/ a cell near line {lines.number} is longer than "
                                           f"{MAX_CELL_CHARS:,} characters (an unclosed quote?)") from None
            raise FileError(path.name, f"CSV 格式错误（第 {lines.number} 行）：{err}"
                                       f" / malformed CSV at line {lines.number}") from None


def _check_cells(file: str, row: int, fields: list[str]) -> None:
    for i, text in enumerate(fields):
        if len(text) > MAX_CELL_CHARS:
            raise FileError(file, f"第 {row} 行第 {i + 1} 列有 {len(text):,} 个字符，超过单元格上限 {MAX_CELL_CHARS:,}"
                                  f" / row {row}, column {i + 1}: {len(text):,} characters, over the "
                                  f"limit of {MAX_CELL_CHARS:,}")


def undecodable(path: Path, encoding: str) -> FileError:
    """Where a text file stops being ``encoding``: the first line and byte that cannot be decoded."""
    label = "UTF-8" if encoding.startswith("utf") else encoding.upper()
    with path.open("rb") as fh:
        for line_no, raw in enumerate(fh, 1):
            try:
                raw.decode("utf-8-sig" if line_no == 1 and encoding.startswith("utf") else encoding)
            except UnicodeDecodeError as err:
                return FileError(path.name, f"第 {line_no} 行第 {err.start + 1} 字节不是 {label} 编码"
                                            f"（文件前部是 {label}，此处编码不同或数据损坏），请统一以 UTF-8 保存"
                                            f" / line {line_no}, byte "
                                            f"{err.start + 1} is not {label} (the file changes encoding or is damaged)")
    return FileError(path.name, f"文件不是 {label} 编码 / the file is not {label}")


def _excel_text(value: Any) -> str:
    """A cell as text, as pandas.read_excel(dtype=str) gave it before: whole floats without '.0',
    dates as 'YYYY-MM-DD HH:MM:SS', pandas' NA words empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        if "_x" in value:  # ECMA-376 escapes (_x0007_) that calamine decoded and openpyxl leaves as they are
            value = _XML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
        return "" if value in _NA_TEXT else value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, timedelta):
        return str(pd.Timedelta(value))
    return str(value)


def _calamine_text(value: Any) -> str:
    """A calamine cell as _excel_text gives the same cell read by openpyxl: calamine has decoded the
    _x0007_ escapes already, and gives a whole-day date where openpyxl gives a datetime at midnight."""
    if isinstance(value, str):
        return "" if value in _NA_TEXT else value
    if isinstance(value, date) and not isinstance(value, datetime):
        return f"{value.isoformat()} 00:00:00"
    return _excel_text(value)


def _xlsx_records(path: Path, head: bool = False) -> Iterator[_Record]:
    """The rows of the first sheet, each cut after its last non-empty cell.  calamine reads it when the
    scan judged it small enough (limits.XLSX_CALAMINE_MAX_BYTES), else openpyxl streams it; both give the
    same text for every cell (tests/test_xlsx_paths.py).  For the first rows only (``head``) openpyxl
    streams a sheet without a large shared-string table: it reads them at once, where calamine would
    load the whole sheet."""
    scan = check_xlsx(path)
    if head and scan.shared_bytes <= _HEAD_SHARED_BYTES:
        return _openpyxl_records(path)
    if scan.sheet is not None and scan.estimate <= limits.XLSX_CALAMINE_MAX_BYTES:
        sheet = _calamine_sheet(path, scan.sheet)
        if sheet is not None:
            return _calamine_records(path, sheet)
    return _openpyxl_records(path)


def _calamine_sheet(path: Path, name: str) -> Any:
    """The sheet loaded by calamine, or None where calamine cannot read it (openpyxl then reads it and
    names what is wrong, or reads what calamine does not know, such as the error #GETTING_DATA)."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        try:
            return workbook.get_sheet_by_name(name)
        finally:
            workbook.close()
    except Exception:
        return None


def _sheet_records(path: Path, rows: Iterator[list[str]]) -> Iterator[_Record]:
    """Records from a sheet's rows of text (either reader), trailing empty cells dropped; a reader's failure
    mid-sheet is the file's error."""
    try:
        for row, fields in enumerate(rows, 1):
            if row % BEAT_ROWS == 0:
                beat()
            while fields and not fields[-1]:
                fields.pop()
            yield _Record(row, fields, bool(fields) and _CONTROL.search("\n".join(fields)) is not None)
    except FileError:
        raise
    except Exception as err:
        raise FileError(path.name, f"无法读取文件: {_first_line(err)} / cannot read the file") from None


def _calamine_records(path: Path, sheet: Any) -> Iterator[_Record]:
    start = sheet.start  # (row, column) of the first cell with a value; rows come from row 1, columns not
    pad = [""] * start[1] if start else []
    yield from _sheet_records(path, ([*pad, *map(_calamine_text, values)] for values in sheet.iter_rows()))


def _openpyxl_records(path: Path) -> Iterator[_Record]:
    try:
        wb = _openpyxl_workbook(path)
    except Exception as err:  # the parser's own words name what is wrong
        raise FileError(path.name, f"无法读取文件: {_first_line(err)} / cannot read the file") from None
    try:
        if not wb.worksheets:
            raise FileError(path.name, "工作簿中没有工作表 / the workbook has no sheet")
        sheet = wb.worksheets[0]
        sheet.reset_dimensions()  # rows as stored: a forged <dimension> cannot pad them
        yield from _sheet_records(path, ([_excel_text(v) for v in values]
                                         for values in sheet.iter_rows(values_only=True)))
    except FileError:
        raise
    except Exception as err:
        raise FileError(path.name, f"无法读取文件: {_first_line(err)} / cannot read the file") from None
    finally:
        wb.close()


def _openpyxl_workbook(path: Path) -> Any:
    """openpyxl's load_workbook(read_only=True, data_only=True), its zip parts read through a stream that
    beats every MiB: openpyxl unpacks and parses the whole shared-string table before the first row
    (about 7 MiB/s), a phase a cancel must reach too."""
    from openpyxl.reader.excel import ExcelReader

    reader = ExcelReader(path, read_only=True, data_only=True)
    archive = reader.archive
    plain_open = archive.open
    archive.open = lambda name, *args, **kwargs: BeatingStream(plain_open(name, *args, **kwargs))
    try:
        reader.read()
    except BaseException:
        archive.close()
        raise
    return reader.wb


def _xls_records(path: Path) -> Iterator[_Record]:
    raw = read_excel(path)  # legacy xls holds at most 65,536 rows of 256 columns
    for row, values in enumerate(raw.itertuples(index=False, name=None), 1):
        if row % BEAT_ROWS == 0:
            beat()
        fields = [v if isinstance(v, str) else "" for v in values]
        while fields and not fields[-1]:
            fields.pop()
        joined = "\n".join(fields)
        if len(joined) > MAX_CELL_CHARS:
            _check_cells(path.name, row, fields)
        yield _Record(row, fields, _CONTROL.search(joined) is not None)


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def read_excel(path: Path) -> pd.DataFrame:
    # calamine reads both xlsx and legacy xls, and is much faster than openpyxl or xlrd.
    try:
        return pd.read_excel(path, header=None, dtype=str, engine="calamine")
    except Exception as err:
        raise FileError(path.name, f"无法读取文件: {_first_line(err)} / cannot read the file") from err


# -- xlsx: what the zip holds, judged before anything is unpacked --------------------------------------

@dataclass(frozen=True)
class XlsxScan:
    """What the scan learnt of a workbook within the limits: its first worksheet's name (None where the
    workbook's parts do not say it plainly: openpyxl then reads it) and an estimate of the bytes calamine
    would hold to read that sheet (limits.XLSX_CALAMINE_MAX_BYTES)."""
    sheet: str | None
    estimate: int
    shared_bytes: int = 0   # the shared-string table unpacked: openpyxl loads it whole before any row


_NO_FAST_READ = XlsxScan(None, 0)
_CELL_BYTES = 32            # one calamine value (a Rust enum of 24 bytes and its tag)
_UTF8_BYTES = 3             # bytes of a character of Chinese text in UTF-8
_PART_BYTES = 1 * MiB       # workbook.xml and its rels are read whole only up to this size
_SST = "xl/sharedStrings.xml"
_REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def check_xlsx(path: Path) -> XlsxScan:
    """Refuse an xlsx that is no zip, a decompression bomb, or a sheet past the row, column or cell
    limits (limits.py), before a reader unpacks it.  The zip directory is judged first; then every XML
    part is scanned streaming (expat, keeping counters) for rows, columns, cell lengths and DTDs."""
    stat = path.stat()
    return _check_xlsx(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=16)
def _check_xlsx(name: str, size: int, mtime: int) -> XlsxScan:  # size and mtime: a changed file is checked again
    path = Path(name)
    file = path.name
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileError(file, "不是有效的 xlsx 文件（不是 zip 压缩包，或文件已损坏）/ not a valid xlsx: "
                              "not a zip archive, or damaged") from None
    with zf:
        members = zf.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise FileError(file, f"xlsx 压缩包有 {len(members):,} 个成员，超过上限 {MAX_ZIP_MEMBERS:,}"
                                  f" / the xlsx holds {len(members):,} parts, over the limit of {MAX_ZIP_MEMBERS:,}")
        total = sum(m.file_size for m in members)
        for m in members:
            if m.file_size > RATIO_GRACE_BYTES and m.file_size > MAX_COMPRESSION_RATIO * max(m.compress_size, 1):
                ratio = m.file_size / max(m.compress_size, 1)
                raise FileError(file, f"疑似压缩炸弹：{m.filename} 解压后 {m.file_size / MiB:,.0f} MiB，"
                                      f"压缩比 {ratio:,.0f}，超过上限 {MAX_COMPRESSION_RATIO}"
                                      f" / a decompression bomb: {m.filename} "
                                      f"unpacks {ratio:,.0f} times, over the limit of {MAX_COMPRESSION_RATIO}")
        if total > MAX_XLSX_UNCOMPRESSED:
            raise FileError(file, f"疑似压缩炸弹：解压后共 {total / MiB:,.0f} MiB，超过上限 "
                                  f"{MAX_XLSX_UNCOMPRESSED // MiB} MiB / a decompression bomb: it unpacks to "
                                  f"{total / MiB:,.0f} MiB, over the limit of {MAX_XLSX_UNCOMPRESSED // MiB} MiB")
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            raise FileError(file, "不是 Excel 工作簿（压缩包中没有工作簿内容）/ not an Excel workbook "
                                  "(the zip holds no workbook)")
        parts = [m.filename for m in members if m.filename.endswith((".xml", ".rels")) and not m.is_dir()]
        # The workbook's own parts first: they name the first sheet, whose cells are then measured.
        small = {n for n in ("xl/_rels/workbook.xml.rels", "xl/workbook.xml")
                 if n in names and zf.getinfo(n).file_size <= _PART_BYTES}
        for part in small:
            _scan_part(zf, part, file)
        first = _first_worksheet(zf) if len(small) == 2 else None
        lengths: list[int] | None = None
        if first is not None and first[2] == (_SST in names):
            lengths = []
            if first[2]:
                _scan_part(zf, _SST, file, strings=lengths)
        measured = _scan_part(zf, first[1], file, strings=lengths, measure=True) if lengths is not None else None
        shared = zf.getinfo(_SST).file_size if _SST in names else 0
        done = small | ({_SST, first[1]} if lengths is not None else set())
        for part in parts:
            if part not in done:
                _scan_part(zf, part, file)
    if measured is None or first is None or lengths is None:
        return _NO_FAST_READ
    area, chars = measured
    if area < 0:
        return _NO_FAST_READ
    estimate = area * _CELL_BYTES + _UTF8_BYTES * (chars + sum(lengths)) + _CELL_BYTES * len(lengths)
    return XlsxScan(first[0], estimate, shared)


def _first_worksheet(zf: zipfile.ZipFile) -> tuple[str, str, bool] | None:
    """(name, part, whether the workbook has shared strings) of the first worksheet, as workbook.xml and
    its relationships name them (both parts already scanned: no DTD, within limits); None where they
    do not say it plainly."""
    try:
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    except (ElementTree.ParseError, KeyError):
        return None
    targets: dict[str, tuple[str, str]] = {}
    for rel in rels.iter(_RELS):
        target = rel.get("Target", "")
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        targets[rel.get("Id", "")] = (rel.get("Type", ""), part)
    shared = [part for kind, part in targets.values() if kind == f"{_REL_TYPE}sharedStrings"]
    if shared not in ([], [_SST]) or rels.find(f".//{_RELS}[@TargetMode='External']") is not None:
        return None
    for sheet in book.iter(f"{_MAIN_NS}sheet"):
        kind, part = targets.get(sheet.get(_REL_ID, ""), ("", ""))
        if kind == f"{_REL_TYPE}worksheet":
            name = sheet.get("name")
            return (name, part, bool(shared)) if name and part in zf.namelist() else None
        if kind != f"{_REL_TYPE}chartsheet":
            return None  # a dialog or macro sheet first: left to openpyxl
    return None


def _column_number(ref: str) -> int:
    n = 0
    for ch in ref:
        if not "A" <= ch <= "Z":
            break
        n = n * 26 + ord(ch) - 64
        if n > _EXCEL_MAX_COLUMN:
            break
    return n


_SCAN_TAGS = {"row": 1, "c": 2, "v": 3, "t": 3, "si": 4}
_DIGITS = "0123456789"
_EXACT_DIGITS = 15          # longer integer literals are not exact as a float (calamine reads numbers so)


def _scan_part(zf: zipfile.ZipFile, part: str, file: str, strings: list[int] | None = None,
               measure: bool = False) -> tuple[int, int] | None:
    """Stream one XML part through expat, keeping only counters: rows, the column of each cell with a
    value, characters per cell and per shared string; a DTD (entity tricks) is refused outright.
    Text counts from a <v> or <t> to the next tag of any kind (no end-tag handler: a third fewer calls
    into Python, the scan 15-20 % faster), so a pretty-printed part's indentation may add a few characters.

    ``strings``: the shared strings' lengths, filled while scanning the shared-strings part and read
    while measuring a sheet.  ``measure``: return (the rectangle from A1 to the last row and column with a
    value, the characters of all cell values with each shared string counted where shown), or (-1, 0)
    where calamine would not read the sheet as openpyxl does (an integer of more than 15 digits, an
    error value other than #N/A, a shared-string index out of range)."""
    row = col = chars = si = last_row = last_col = text_chars = 0
    in_text = has_value = in_cell = False
    kind = ""                       # the cell's t attribute
    exact = True
    columns: dict[str, int] = {}
    fill = strings is not None and not measure
    count = MAX_COLUMNS

    def fail(reason: str) -> None:
        raise FileError(file, reason)

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal row, col, chars, si, has_value, in_cell, in_text, kind
        tag = _SCAN_TAGS.get(name) or _SCAN_TAGS.get(name.rpartition(":")[2])
        in_text = False
        if tag == 2:                # c
            ref = attrs.get("r")
            if ref:
                letters = ref.rstrip(_DIGITS)
                number = columns.get(letters)
                if number is None:
                    number = _column_number(letters)
                    if len(columns) < 20_000:
                        columns[letters] = number
                col = number or col + 1
            else:
                col += 1
            chars, has_value, in_cell = 0, False, True
            kind = attrs.get("t", "")
            if col > _EXCEL_MAX_COLUMN:
                fail(f"第 {row:,} 行的单元格超出 Excel 的最大列 XFD / row {row:,} has a cell beyond Excel's "
                     "last column")
        elif tag == 3:              # v, t
            in_text = True
            return
        elif tag == 1:              # row
            r = attrs.get("r", "")
            row = int(r) if r.isdigit() and len(r) < 12 else row + 1
            col = 0
            if row > MAX_ROWS:
                fail(f"工作表超过 {MAX_ROWS:,} 行的上限（第 {row:,} 行）/ the sheet has more than "
                     f"{MAX_ROWS:,} rows")
        elif tag == 4:              # si
            si += 1
            chars, in_cell = 0, False
            if fill:
                strings.append(0)

    def text(data: str) -> None:
        nonlocal chars, has_value, last_row, last_col, text_chars, exact
        if not in_text:
            return
        chars += len(data)
        if in_cell:
            if not has_value:
                has_value = True
                if col > count:
                    fail(f"第 {row:,} 行超过 {MAX_COLUMNS:,} 列的上限 / row {row:,} has more than "
                         f"{MAX_COLUMNS:,} columns")
                if measure:
                    last_row, last_col = max(last_row, row), max(last_col, col)
            if measure:
                if kind == "s":
                    if data.isspace():
                        return      # indentation after </v>
                    try:
                        text_chars += strings[int(data)]
                    except (ValueError, IndexError, TypeError):
                        exact = False
                else:
                    text_chars += len(data)
                    if len(data) > _EXACT_DIGITS and kind in ("", "n") and data.lstrip("-").isdigit():
                        exact = False
                    elif kind == "e" and data not in _NA_TEXT and not data.isspace():
                        exact = False  # calamine reads #DIV/0! and the other error values as empty
        elif fill:
            strings[-1] = chars
        if chars > MAX_CELL_CHARS:
            where = f"第 {row:,} 行第 {col} 列的单元格" if in_cell else f"第 {si:,} 个共享字符串"
            fail(f"{where}超过 {MAX_CELL_CHARS:,} 个字符的上限 / a cell longer than {MAX_CELL_CHARS:,} characters")

    def doctype(*_: object) -> None:
        fail(f"{part} 含有 DTD 声明，xlsx 不应有 / {part} declares a DTD, which no xlsx has")

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    parser.StartElementHandler = start
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = doctype
    try:
        with zf.open(part) as fh:
            while block := fh.read(BEAT_BYTES):
                beat("checking")  # a 400 MiB sheet is a long scan: it can be followed and cancelled
                parser.Parse(block, False)
            parser.Parse(b"", True)
    except expat.ExpatError as err:
        raise FileError(file, f"xlsx 内容已损坏（{part}：{err}）/ the xlsx is damaged") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError) as err:
        raise FileError(file, f"xlsx 压缩包已损坏（{part}：{_first_line(err)}）/ the xlsx archive is damaged") from None
    if not measure:
        return None
    return (last_row * last_col, text_chars) if exact else (-1, 0)


def find_header_row(rows: list[list[str]], known: set[str], minimum: int = 2) -> int:
    """Index of the row with the most recognised headers (at least ``minimum``), or -1."""
    best, best_hits = -1, 0
    for i, row in enumerate(rows):
        hits = sum(1 for cell in row if cell and header_key(cell) in known)
        if hits > best_hits:
            best, best_hits = i, hits
    return best if best_hits >= minimum else -1


def peek_headers(path: Path, known: set[str]) -> list[str]:
    rows = head_rows(path)
    hrow = find_header_row(rows, known)
    return [header_key(c) for c in rows[hrow]] if hrow >= 0 else []


_EXPORT_DATE = re.compile(
    r"(?:导出|检索|下载|生成|数据|截止)(?:时间|日期)\s*[:：]?\s*(\d{4}[-./年]\d{1,2}[-./月]\d{1,2}日?|\d{8})")
_CHINA_TIME = timezone(timedelta(hours=8))


def file_export_date(path: Path, known: set[str]) -> date | None:
    """The day a file was exported, as the file itself says.

    First a date in a title row above the header (导出时间：2024-06-30, 检索日期 …), else for xlsx the
    document properties' creation time (written by the exporting system; stored in UTC, read here
    in China Standard Time, UTC+8), else the last-modified time; a file that stores neither has no date.
    """
    from hvpatent.ingest.fields import parse_date

    rows = head_rows(path)
    hrow = find_header_row(rows, known)
    for row in rows[: max(hrow, 0)]:
        m = _EXPORT_DATE.search(" ".join(cell for cell in row if cell))
        if m:
            with suppress(ValueError):
                return parse_date(m.group(1))
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return _stored_stamp(path)
    return None


_CORE_TYPE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_DCTERMS = "{http://purl.org/dc/terms/}"


def _stored_stamp(path: Path) -> date | None:
    """The created (else modified) time the xlsx itself stores in docProps/core.xml.

    Read here rather than through openpyxl, which fills a missing time with the current one: a file
    with no stored time would get the import day as its export date.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            core = _core_part(zf)
            root = ElementTree.fromstring(zf.read(core)) if core else None
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError):
        return None  # properties are optional; head_rows has read the sheet already
    for name in ("created", "modified"):
        element = root.find(f"{_DCTERMS}{name}") if root is not None else None
        stamp = _w3c_datetime(element.text if element is not None else None)
        if stamp is not None:
            return stamp.astimezone(_CHINA_TIME).date()
    return None


def _core_part(zf: zipfile.ZipFile) -> str | None:
    """The package's core-properties part, as _rels/.rels names it (docProps/core.xml by convention)."""
    with suppress(KeyError, ElementTree.ParseError):
        for rel in ElementTree.fromstring(zf.read("_rels/.rels")).iter(_RELS):
            if rel.get("Type") == _CORE_TYPE and rel.get("Target"):
                return rel.get("Target", "").lstrip("/")
    return "docProps/core.xml" if "docProps/core.xml" in zf.namelist() else None


def _w3c_datetime(text: str | None) -> datetime | None:
    """'2024-06-30T02:00:00Z' (W3CDTF, as core.xml stores it); a time without zone is UTC."""
    if not text or not text.strip():
        return None
    try:
        stamp = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def bad_utf8(path: Path) -> FileError | None:
    """Where a file that should be UTF-8 is not: the first line and byte that cannot be decoded."""
    with path.open("rb") as fh:
        for line_no, raw in enumerate(fh, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as err:
                return FileError(path.name, f"第 {line_no} 行第 {err.start + 1} 字节不是 UTF-8 编码，"
                                            "请以 UTF-8 保存")
    return None


def json_lines(path: Path, sizes: bool = False) -> Iterator[tuple[int, Any]]:
    """(line number, parsed value) of every non-blank line of a JSON-lines file (UTF-8, a BOM allowed);
    a line that is not JSON, or bytes that are not UTF-8, are a FileError naming the line; so is a line
    longer than limits.MAX_JSON_LINE_CHARS, read through a bounded readline and never held whole.
    ``sizes``: (line number, value, characters of the line), for chunks bounded by characters."""
    try:
        with path.open(encoding="utf-8-sig") as fh:
            lines = _Lines(fh, path.name, limits.MAX_JSON_LINE_CHARS)
            for line in lines:
                lines.record_done()
                line_no = lines.number
                if line_no % BEAT_ROWS == 0:
                    beat()
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as err:
                    reason = f"不是有效的 JSON：第 {line_no} 行第 {err.colno} 列：{err.msg}"
                    raise FileError(path.name, reason) from None
                yield (line_no, value, len(line)) if sizes else (line_no, value)
    except UnicodeDecodeError:
        raise bad_utf8(path) or FileError(path.name, "不是 UTF-8 编码") from None


def _no_header(path: Path) -> FileError:
    return FileError(path.name, "未找到可识别的表头行（请检查列名或提供 --mapping）")


def _header_of(path: Path, rows: list[list[str]], hrow: int) -> list[str]:
    header = rows[hrow]
    if len(header) > MAX_COLUMNS:
        raise FileError(path.name, f"表头有 {len(header):,} 列，超过上限 {MAX_COLUMNS:,} / the header has "
                                   f"{len(header):,} columns, over the limit of {MAX_COLUMNS:,}")
    return header


def _column_names(header: list[str], dedupe: bool) -> list[str]:
    """Header keys; an empty header is _colN; in a CSV a repeated one gets .1, .2 (as pandas named them)."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(header):
        name = header_key(cell) if cell.strip() and cell not in _NA_TEXT else f"_col{i}"
        if dedupe and name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen.setdefault(name, 0)
        names.append(name)
    return names


@dataclass
class RowChunk:
    """Up to ``chunk_rows`` valid rows of a table as lists of text, all as wide as ``columns``, with their
    spreadsheet row numbers (``index``) and the row errors of the rows left out."""
    columns: list[str]
    rows: list[list[str]]
    index: list[int]
    errors: list[RowError]


def read_rows(path: Path, known: set[str], chunk_rows: int = 200_000) -> Iterator[RowChunk]:
    """The rows of read_chunks as plain lists, without a DataFrame: the patent importer reads each row's
    cells by position (a frame and its records cost more than converting the row)."""
    is_csv = path.suffix.lower() in _CSV_SUFFIXES
    with closing(_records(path)) as records:
        head = list(islice(records, _HEADER_SCAN_ROWS))
        hrow = find_header_row([r.fields for r in head], known)
        if hrow < 0:
            raise _no_header(path)
        header = _header_of(path, [r.fields for r in head], hrow)
        labels = [cell.strip() or f"第{i + 1}列" for i, cell in enumerate(header)]
        names = _column_names(header, dedupe=is_csv)
        yielded = False
        for chunk in chunked(chain(head[hrow + 1:], records), chunk_rows):
            yield _row_chunk(path, chunk, names, labels, is_csv)
            yielded = True
        if not yielded:  # a header and no rows: one empty chunk, so readers see the columns
            yield RowChunk(names, [], [], RowErrors())


def _row_chunk(path: Path, chunk: list[_Record], names: list[str], labels: list[str], is_csv: bool) -> RowChunk:
    """Blank rows dropped, rows with a wrong field count (CSV) or a control character made row errors,
    short rows padded to the widest."""
    width = len(names)
    rows: list[list[str]] = []
    index: list[int] = []
    errors = RowErrors()  # the first MAX_ROW_ERRORS kept, the rest counted
    widest = width
    for rec in chunk:
        fields = rec.fields
        if not any(cell.strip() for cell in fields):
            continue  # a blank line
        if is_csv and len(fields) != width:
            errors.append(RowError(path.name, rec.row, "字段数 / fields", f"{len(fields)}",
                                   f"第 {rec.row} 行：有 {len(fields)} 个字段，表头有 {width} 个 / row "
                                   f"{rec.row} has {len(fields)} fields, the header has {width}"))
            continue
        if rec.control:  # one error a row, naming the other fields with control characters
            bad = [(labels[i] if i < width else f"第{i + 1}列", cell, char)
                   for i, cell in enumerate(fields) if (char := control_character(cell))]
            if bad:
                label, cell, char = bad[0]
                errors.append(RowError(path.name, rec.row, label, printable(cell)[:200],
                                       control_reason(char) + _also([b[0] for b in bad[1:]])))
                continue
        while len(fields) > width and not fields[-1]:
            fields.pop()  # trailing empty cells of a sheet row, beyond the header
        widest = max(widest, len(fields))
        rows.append(fields)
        index.append(rec.row)
    columns = names + [f"_col{i}" for i in range(width, widest)]
    if widest > width or any(len(r) < width for r in rows):
        rows = [r + [""] * (widest - len(r)) for r in rows]
    return RowChunk(columns, rows, index, errors)


def read_chunks(path: Path, known: set[str], chunk_rows: int = 200_000
                ) -> Iterator[tuple[pd.DataFrame, list[RowError]]]:
    """Frames of at most ``chunk_rows`` valid rows, with header keys as columns and spreadsheet row
    numbers as the index, each with the row errors of its rows: a CSV row whose field count differs from
    the header's, a cell holding a control character.  Such rows are left out of the frame, never
    shifted; the file streams (CSV and xlsx alike), so it never sits in memory whole."""
    for chunk in read_rows(path, known, chunk_rows):
        if not chunk.rows and not chunk.index:
            yield pd.DataFrame([], columns=chunk.columns, dtype=object), chunk.errors
            continue
        yield pd.DataFrame(chunk.rows, columns=chunk.columns, index=chunk.index, dtype=object), chunk.errors


def read_table(path: Path, known: set[str], chunk_rows: int = 200_000) -> Iterator[pd.DataFrame]:
    """The frames of read_chunks, for readers of reference tables: a bad row is a FileError naming it."""
    for frame, errors in read_chunks(path, known, chunk_rows):
        if errors:
            e = errors[0]
            raise FileError(path.name, f"第 {e.row} 行「{e.field}」：{e.reason}")
        yield frame


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of up to ``size`` consecutive items (itertools.batched arrives with Python 3.12)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def chunked_by_chars(items: Iterable[tuple[T, int]], size: int, chars: int | None = None) -> Iterator[list[T]]:
    """Lists of consecutive items given with their characters: up to ``size`` items, and closed once
    they hold ``chars`` characters (limits.MAX_CHUNK_CHARS), so long records make short chunks."""
    budget = limits.MAX_CHUNK_CHARS if chars is None else chars
    chunk: list[T] = []
    held = 0
    for item, n in items:
        chunk.append(item)
        held += n
        if len(chunk) >= size or held >= budget:
            yield chunk
            chunk, held = [], 0
    if chunk:
        yield chunk
