"""Reading spreadsheets as users receive them: xlsx, xls, csv in UTF-8 / GBK / GB18030,
sometimes with title rows above the header."""

from __future__ import annotations

import csv
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar
from xml.etree import ElementTree

import pandas as pd

from hvpatent.ingest.errors import FileError

T = TypeVar("T")

_ENCODINGS = ("utf-8-sig", "gb18030")  # GB18030 is a superset of GBK and GB2312
_HEADER_SCAN_ROWS = 20
_CSV_SUFFIXES = {".csv", ".txt", ".tsv"}


def header_key(text: object) -> str:
    """Fold spaces, bracket widths and case so that '标题 (中文)' matches '标题(中文)'."""
    s = str(text).strip().lower().replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", s)


def detect_encoding(path: Path) -> str:
    sample = path.read_bytes()[: 1 << 20]
    for enc in _ENCODINGS:
        try:
            sample.decode(enc)
            return enc
        except UnicodeDecodeError as err:
            if err.start > len(sample) - 4 and len(sample) == 1 << 20:
                return enc  # the sample was cut mid-character
    raise FileError(path.name, "文件编码无法识别（支持 UTF-8、GBK、GB18030）")


def _delimiter(path: Path) -> str:
    return "\t" if path.suffix.lower() == ".tsv" else ","


def head_rows(path: Path) -> list[list[str]]:
    """The first rows of any supported file, as strings, for header detection."""
    suffix = path.suffix.lower()
    try:
        if suffix in _CSV_SUFFIXES:
            with path.open(encoding=detect_encoding(path), newline="") as fh:
                return list(islice(csv.reader(fh, delimiter=_delimiter(path)), _HEADER_SCAN_ROWS))
        if suffix in {".xlsx", ".xlsm"}:
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True, data_only=True)
            try:
                rows = islice(wb.worksheets[0].iter_rows(values_only=True), _HEADER_SCAN_ROWS)
                return [["" if v is None else str(v) for v in row] for row in rows]
            finally:
                wb.close()
        if suffix == ".xls":
            raw = read_excel(path)
            return raw.head(_HEADER_SCAN_ROWS).fillna("").astype(str).values.tolist()
    except FileError:
        raise
    except Exception as err:  # the parser's own words name what is wrong
        raise FileError(path.name, f"无法读取文件: {err}") from err
    raise FileError(path.name, f"不支持的文件类型 {suffix}（支持 xlsx、xls、csv）")


def read_excel(path: Path) -> pd.DataFrame:
    # calamine reads both xlsx and legacy xls, and is much faster than openpyxl or xlrd.
    try:
        return pd.read_excel(path, header=None, dtype=str, engine="calamine")
    except Exception as err:
        raise FileError(path.name, f"无法读取文件: {err}") from err


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


def json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed value) of every non-blank line of a JSON-lines file (UTF-8, a BOM allowed);
    a line that is not JSON, or bytes that are not UTF-8, are a FileError naming the line."""
    try:
        with path.open(encoding="utf-8-sig") as fh:
            for line_no, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as err:
                    reason = f"不是有效的 JSON：第 {line_no} 行第 {err.colno} 列：{err.msg}"
                    raise FileError(path.name, reason) from None
                yield line_no, value
    except UnicodeDecodeError:
        raise bad_utf8(path) or FileError(path.name, "不是 UTF-8 编码") from None


def _no_header(path: Path) -> FileError:
    return FileError(path.name, "未找到可识别的表头行（请检查列名或提供 --mapping）")


def read_table(path: Path, known: set[str], chunk_rows: int = 200_000) -> Iterator[pd.DataFrame]:
    """Yield frames with header keys as columns and spreadsheet row numbers as the index.

    CSV files stream in chunks so that very large exports never sit in memory whole.
    """
    hrow = find_header_row(head_rows(path), known)
    if hrow < 0:
        raise _no_header(path)
    if path.suffix.lower() in _CSV_SUFFIXES:
        try:
            reader = pd.read_csv(path, skiprows=hrow, header=0, dtype=str, encoding=detect_encoding(path),
                                 sep=_delimiter(path), keep_default_na=False, chunksize=chunk_rows)
            first = hrow + 2  # 1-based spreadsheet rows; the header is row hrow + 1
            for chunk in reader:
                chunk.columns = [header_key(c) for c in chunk.columns]
                chunk.index = range(first, first + len(chunk))
                first += len(chunk)
                yield _drop_blank(chunk)
        except pd.errors.ParserError as err:
            raise FileError(path.name, f"CSV 格式错误: {err}") from err
        return
    raw = read_excel(path)
    frame = raw.iloc[hrow + 1 :].fillna("")
    frame.index = range(hrow + 2, hrow + 2 + len(frame))
    frame.columns = [header_key(c) if pd.notna(c) else f"_col{i}" for i, c in enumerate(raw.iloc[hrow])]
    yield _drop_blank(frame)


def _drop_blank(frame: pd.DataFrame) -> pd.DataFrame:
    blank = (frame.astype(str).apply(lambda col: col.str.strip()) == "").all(axis=1)
    return frame[~blank]


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of up to ``size`` consecutive items (itertools.batched arrives with Python 3.12)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
