"""Reading spreadsheets as users receive them: xlsx, xls, csv in UTF-8 / GBK / GB18030,
sometimes with title rows above the header."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from contextlib import suppress
from datetime import date, datetime, timedelta
from itertools import islice
from pathlib import Path

import pandas as pd

from hvpatent.ingest.errors import FileError

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
_CHINA_TIME = timedelta(hours=8)


def file_export_date(path: Path, known: set[str]) -> tuple[date, str] | None:
    """The day a file was exported, as the file itself says, and where that was read.

    First a date in a title row above the header (导出时间：2024-06-30, 检索日期 …), else for xlsx the
    document properties' creation time (written by the exporting system; stored in UTC, read here
    in China Standard Time, UTC+8), else the last-modified time.
    """
    from hvpatent.ingest.fields import parse_date

    rows = head_rows(path)
    hrow = find_header_row(rows, known)
    for row in rows[: max(hrow, 0)]:
        m = _EXPORT_DATE.search(" ".join(cell for cell in row if cell))
        if m:
            with suppress(ValueError):
                return parse_date(m.group(1)), "title row"
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True)
        except Exception:  # head_rows read it already; properties are optional
            return None
        try:
            props = wb.properties
            for name in ("created", "modified"):
                stamp = getattr(props, name, None)
                if isinstance(stamp, datetime):
                    return (stamp + _CHINA_TIME).date(), f"document properties ({name})"
        finally:
            wb.close()
    return None


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
