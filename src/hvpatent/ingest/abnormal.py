"""CNIPA's abnormal patent application notices (非正常专利申请) coming in (docs/importing.md, "Abnormal-application
notices"): the lists a bureau receives, one row per application, into ``abnormal_notices``.

Under 《规范申请专利行为的规定》 (国家知识产权局令第77号, 2023) CNIPA notifies applications it finds abnormal in
batches; the applicant may withdraw them (撤回) or ask for a review, which upholds (复核维持) or overturns (复核撤销 /
不予认定) the finding.  Two shapes come in, told apart by nothing but their columns: the notice list (申请号,
发明创造名称, 申请人, 代理机构, 通知书发文日, 批次) and a later list of outcomes (申请号, 通知书发文日 or not,
处理结果, 处理日期).  Both are read by the same aliases below, and the ``abnormal`` template (ingest/templates.py)
has the canonical headers.

A row is keyed by (app_no, notice_date).  A later row updates it: its outcome replaces the one before, its blank
cells keep what was there, and a notice list read again after an outcome never turns the outcome back to
"notified"; a changed outcome without its own date has no date (the old date was the old outcome's).  A file is one
import: its rows update, in file order, the stored rows and the rows above them in the same file, and an outcome row
without a notice date belongs to the application's latest notice on or before its outcome date, stored or anywhere
in the file.  The stored rows are read through the import's own connection, inside its transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from hvpatent.ingest.appno import AppNoError, normalize_appno
from hvpatent.ingest.errors import RowErrors, error_rows
from hvpatent.ingest.fields import parse_date
from hvpatent.ingest.heartbeat import BEAT_ROWS, beat
from hvpatent.ingest.readers import header_key, peek_headers, read_chunks
from hvpatent.model import Batch, RowError

__all__ = ["ABNORMAL_HEADERS", "OUTCOMES", "OUTCOME_WORDS", "abnormal_chunks", "looks_like_abnormal", "outcome_of"]

OUTCOMES = ("notified", "withdrawn", "upheld", "overturned")
# The words shown for each code (Chinese, English).  notified/upheld/withdrawn count as abnormal for subsidies;
# overturned does not (subsidies/rules.py).
OUTCOME_WORDS: dict[str, tuple[str, str]] = {
    "notified": ("已通报", "notified"), "withdrawn": ("已撤回", "withdrawn"),
    "upheld": ("复核维持", "upheld on review"), "overturned": ("复核撤销", "overturned on review")}
# The words a bureau's list writes (exact cell text, spaces dropped); a blank cell is "notified".
_OUTCOME_ALIASES: dict[str, str] = {
    "已通报": "notified", "通报": "notified", "已通知": "notified", "通知": "notified",
    "待处理": "notified", "未处理": "notified", "未答复": "notified",
    "待复核": "notified", "复核中": "notified", "无": "notified",
    "撤回": "withdrawn", "已撤回": "withdrawn", "主动撤回": "withdrawn", "申请人撤回": "withdrawn",
    "视为撤回": "withdrawn", "撤回申请": "withdrawn",
    "复核维持": "upheld", "维持": "upheld", "维持认定": "upheld", "认定维持": "upheld", "复核不通过": "upheld",
    "复核撤销": "overturned", "撤销": "overturned", "撤销认定": "overturned", "不予认定": "overturned",
    "复核通过": "overturned", "复核后不予认定": "overturned",
}

# Header (as header_key folds it) -> field.  The first of each is the template's header.
_ALIASES: dict[str, tuple[str, ...]] = {
    "app_no": ("申请号", "专利申请号", "申请号/专利号"),
    "title": ("发明创造名称", "发明名称", "专利名称", "名称"),
    "applicant": ("申请人", "申请人(专利权人)", "第一申请人", "申请人名称"),
    "agency": ("代理机构", "专利代理机构", "代理机构名称"),
    "notice_date": ("通知书发文日", "发文日", "通知书发文日期", "发文日期", "通知日期"),
    "batch": ("批次", "批次号", "通知批次"),
    "outcome": ("处理结果", "申请人意见", "处理情况", "结果"),
    "outcome_date": ("处理日期", "结果日期", "复核决定日", "撤回日期"),
}
_FIELD_OF: dict[str, str] = {header_key(h): f for f, headers in _ALIASES.items() for h in headers}
ABNORMAL_HEADERS: frozenset[str] = frozenset(_FIELD_OF)
# Columns only these lists have (not 结果 alone): with an application number they make a file one of them.
_OWN = frozenset(header_key(h) for h in (*_ALIASES["notice_date"], *_ALIASES["batch"], *_ALIASES["outcome"][:3],
                                         *_ALIASES["outcome_date"]))


def outcome_of(text: str) -> str:
    """An outcome code from a cell: blank is notified; 撤回/复核维持/复核撤销 (and the words above) or the code."""
    word = "".join(text.split())
    if not word:
        return "notified"
    code = _OUTCOME_ALIASES.get(word, word.lower())
    if code not in OUTCOMES:
        raise ValueError("处理结果应为 空（已通报）/ 撤回 / 复核维持 / 复核撤销"
                         f"（notified/withdrawn/upheld/overturned），不是「{word[:40]}」")
    return code


def looks_like_abnormal(path: Path) -> bool:
    """An application number with a notice date (通知书发文日 / 发文日), a batch, an outcome (处理结果 / 申请人意见)
    or its date: a notice list, or its outcomes.  No patent export or other record file has those columns."""
    if path.suffix.lower() not in {".xlsx", ".xls", ".csv"}:
        return False
    try:
        headers = set(peek_headers(path, set(ABNORMAL_HEADERS)))
    except Exception:  # an unreadable file is said to be so by the reader it goes to
        return False
    fields = {_FIELD_OF[h] for h in headers if h in _FIELD_OF}
    return "app_no" in fields and bool(headers & _OWN)


def _stored(con: duckdb.DuckDBPyConnection | None, app_nos: list[str]) -> pd.DataFrame:
    if con is None or not app_nos:
        return pd.DataFrame(columns=["app_no", "notice_date", "batch", "applicant", "agency", "outcome",
                                     "outcome_date", "source"])
    return con.execute("SELECT * FROM abnormal_notices WHERE app_no IN (SELECT unnest(?::VARCHAR[]))",
                       [app_nos]).df()


def _cell(record: dict, headers: dict[str, str], name: str) -> str:
    key = headers.get(name)
    value = record.get(key) if key else None
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def _parse(record: dict, headers: dict[str, str], file: str, row: int, errors: list[RowError]) -> dict | None:
    """One row's canonical values, or None with its errors appended (file, row, the file's own header)."""
    out: dict = {}
    bad = False

    def fail(name: str, value: str, reason: str) -> None:
        nonlocal bad
        errors.append(RowError(file, row, headers.get(name, _ALIASES[name][0]), value, reason))
        bad = True

    raw = _cell(record, headers, "app_no")
    if not raw:
        fail("app_no", "", "必填项为空 / required")
    else:
        try:
            out["app_no"] = normalize_appno(raw)
        except AppNoError as err:
            fail("app_no", raw, str(err))
    for name in ("notice_date", "outcome_date"):
        raw = _cell(record, headers, name)
        try:
            out[name] = parse_date(raw)
        except ValueError as err:
            fail(name, raw, str(err))
    raw = _cell(record, headers, "outcome")
    try:
        out["outcome"] = outcome_of(raw)
    except ValueError as err:
        fail("outcome", raw, str(err))
    for name in ("batch", "applicant", "agency"):
        out[name] = _cell(record, headers, name) or None
    if bad:
        return None
    if out["outcome_date"] is not None and out["outcome"] == "notified":
        fail("outcome_date", str(out["outcome_date"]), "填写了处理日期须同时填写处理结果 / a date needs its outcome")
    if out["notice_date"] and out["outcome_date"] and out["outcome_date"] < out["notice_date"]:
        fail("outcome_date", str(out["outcome_date"]), f"早于通知书发文日 {out['notice_date']} / before the notice")
    return None if bad else out


Key = tuple[str, date]


def _rows_of(stored: pd.DataFrame) -> dict[Key, dict]:
    """The stored rows by key, with None for blank cells and dates as dates."""
    rows: dict[Key, dict] = {}
    for record in stored.to_dict("records"):
        row = {k: None if _blank(v) else v for k, v in record.items()}
        row["notice_date"] = _day(row["notice_date"])
        row["outcome_date"] = None if row["outcome_date"] is None else _day(row["outcome_date"])
        rows[(row["app_no"], row["notice_date"])] = row
    return rows


def _blank(value: object) -> bool:
    return value is None or (not isinstance(value, (list, dict)) and bool(pd.isna(value)))


def _notice_days(rows: dict[Key, dict], parsed: list[tuple[int, dict]]) -> dict[str, set[date]]:
    """Each application's notice days, stored or given anywhere in the file (above or below an outcome row)."""
    days: dict[str, set[date]] = {}
    for app_no, day in rows:
        days.setdefault(app_no, set()).add(day)
    for _, out in parsed:
        if out["notice_date"] is not None:
            days.setdefault(out["app_no"], set()).add(out["notice_date"])
    return days


def _place(out: dict, days: dict[str, set[date]], file: str, row: int, headers: dict[str, str],
           errors: list[RowError]) -> bool:
    """Give a row without a notice date the application's latest notice on or before its outcome date."""
    if out["notice_date"] is not None:
        return True
    limit = out["outcome_date"] or date.max
    earlier = [d for d in days.get(out["app_no"], ()) if d <= limit]
    if not earlier:
        errors.append(RowError(file, row, headers.get("notice_date", "通知书发文日"), "",
                               "该申请在数据仓库和本文件中都没有此日或之前的非正常申请通知，须填写通知书发文日 / "
                               "no notice of this application on or before this day, stored or in this file: "
                               "give the notice date"))
        return False
    out["notice_date"] = max(earlier)
    return True


def _merge(out: dict, old: dict | None) -> dict:
    """The row to store: ``out`` over the row it updates (stored, or written by a row above in this file).  Blank
    cells keep the old values; a notified row keeps an old outcome; a changed outcome keeps no old date."""
    if old is None:
        return out
    for name in ("batch", "applicant", "agency"):
        if out[name] is None:
            out[name] = old[name]
    changed = out["outcome"] != "notified" and out["outcome"] != old["outcome"]
    if out["outcome_date"] is None and not changed:
        out["outcome_date"] = old["outcome_date"]  # the old date was the old outcome's: not the new one's
    if out["outcome"] == "notified" and old["outcome"] != "notified":
        out["outcome"] = old["outcome"]  # an earlier list read again never undoes an outcome
    return out


def _day(value: object) -> date:
    return value.date() if isinstance(value, pd.Timestamp) else value  # type: ignore[return-value]


def read_notices(path: Path, con: duckdb.DuckDBPyConnection | None) -> tuple[Batch, list[RowError], int]:
    """The file's rows as ``abnormal_notices`` rows merged with what ``con`` holds, the row errors, rows read."""
    errors: list[RowError] = RowErrors()
    parsed: list[tuple[int, dict]] = []
    read = 0
    headers: dict[str, str] = {}
    for frame, refused in read_chunks(path, set(ABNORMAL_HEADERS)):
        errors.extend(refused)
        read += len(frame) + error_rows(refused)
        headers = {_FIELD_OF[h]: h for h in frame.columns if h in _FIELD_OF}
        for i, (row, record) in enumerate(zip(frame.index, frame.to_dict("records"), strict=True), 1):
            if i % BEAT_ROWS == 0:
                beat()
            out = _parse(record, headers, path.name, int(row), errors)
            if out is not None:
                parsed.append((int(row), out))
    current = _rows_of(_stored(con, sorted({o["app_no"] for _, o in parsed})))
    days = _notice_days(current, parsed)
    written: dict[Key, dict] = {}
    for row, out in parsed:
        if not _place(out, days, path.name, row, headers, errors):
            continue
        key = (out["app_no"], out["notice_date"])
        merged = _merge(out, current.get(key))
        merged["source"] = path.name
        current[key] = written[key] = merged  # a row below updates this one as it would a stored one
    batch = Batch()
    batch.set("abnormal_notices", list(written.values()))
    return batch, errors, read


def abnormal_chunks(path: Path, con: duckdb.DuckDBPyConnection) -> Iterator[tuple[Batch, list[RowError], int]]:
    """import_file's chunks for a notice file: read once the import's transaction is open, so the stored notices
    are read (and written) in it."""
    yield read_notices(path, con)

