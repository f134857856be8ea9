"""Importing raw files into the warehouse: the one door of the ingest room.

``import_file`` detects what a file is (patent export, Google Patents rows, record template),
validates every row, and writes the canonical rows in one transaction.  A file with errors is
rejected whole unless ``skip_bad_rows``; a file imported before is recognised by its hash and
changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import duckdb
import yaml

from hvpatent.ingest.abnormal import abnormal_chunks, looks_like_abnormal
from hvpatent.ingest.companydata import looks_like_companydata, read_records
from hvpatent.ingest.errors import FileError, ImportRejected, RowErrors, error_count, error_rows, not_listed
from hvpatent.ingest.fields import printable
from hvpatent.ingest.google import check_parquet, looks_like_google, read_publications
from hvpatent.ingest.heartbeat import beat, listening
from hvpatent.ingest.notes import ImportNotes
from hvpatent.ingest.pledges import PLEDGE_HEADERS, contract_key, looks_like_pledges, pledge_chunks, pledge_shape
from hvpatent.ingest.projects import (
    KIND_WORDS,
    PROJECT_KINDS,
    PROJECT_STATUSES,
    STATUS_WORDS,
    check_project,
    industry_of,
    kind_of,
    save_project,
    status_of,
    template_bytes,
)
from hvpatent.ingest.readers import peek_headers
from hvpatent.ingest.spreadsheet import Mapping, load_mapping, read_export
from hvpatent.ingest.templates import TEMPLATES, detect_template, read_template, template_headers
from hvpatent.ingest.trademarks import SUFFIXES as TRADEMARK_SUFFIXES
from hvpatent.ingest.trademarks import looks_like_trademarks, read_trademarks, trademark_fields, trademark_shape
from hvpatent.model import Batch, RowError
from hvpatent.warehouse.store import ImportResult, Warehouse, file_sha256

__all__ = [
    "KIND_WORDS", "PROJECT_KINDS", "PROJECT_STATUSES", "SOURCES", "STATUS_WORDS", "TEMPLATES", "FileError",
    "ImportRejected", "RowError", "check_project", "contract_key", "detect_template", "import_file", "industry_of",
    "kind_of", "peek_headers", "save_project", "status_of", "template_bytes", "template_headers", "write_errors_report",
]

SOURCES = ("auto", "cnipa", "incopat", "patsnap", "google", "companydata", "trademarks")

Progress = Callable[[int], None]
_log = logging.getLogger(__name__)


def _kind_of(path: Path, source: str) -> str:
    if source == "companydata" or (source == "auto" and looks_like_companydata(path)):
        return "companydata"
    if source == "google" or (source == "auto" and looks_like_google(path)):
        return "google"
    if source == "auto" and path.suffix.lower() == ".parquet":
        check_parquet(path)  # only Google Patents rows come as Parquet: anything else is said to be wrong
    if source == "auto" and looks_like_pledges(path):
        return "template"  # 出质人 and 质权人 with a contract number (ingest/pledges.py): before the trademark headers
    if source == "auto" and looks_like_abnormal(path):
        return "abnormal"  # 申请号 with 通知书发文日 or 批次 (ingest/abnormal.py): before the template headers
    if source == "trademarks" or (source == "auto" and looks_like_trademarks(path)):
        return "trademarks"  # 注册号 with 国际分类 (or a change record): before the patent and template headers
    if source == "auto" and path.suffix.lower() in {".xlsx", ".xls", ".csv"}:
        headers = peek_headers(path, template_headers() | load_mapping().known_headers())
        if detect_template(headers):
            return "template"
    return "patents"


def import_file(
    warehouse: Warehouse,
    path: Path,
    *,
    source: str = "auto",
    mapping: Path | None = None,
    skip_bad_rows: bool = False,
    progress: Progress | None = None,
    exported: date | None = None,
) -> tuple[ImportResult, list[RowError]]:
    """Validate and store one file; returns the result and the rows that were skipped.

    ``exported``: the day the file was exported, the date of the current states it gives (有效 / 失效 /
    审中); by default the file's own date (title row or xlsx properties, docs/importing.md).
    """
    if not path.is_file():
        raise FileError(str(path), "文件不存在")
    if path.stat().st_size == 0:
        raise FileError(path.name, "文件为空 / the file is empty")
    if source not in SOURCES:
        raise FileError(path.name, f"未知数据来源 {source}（可用：{', '.join(SOURCES)}）")
    try:  # the readers' heartbeat ticks progress (0 rows) all along: a long phase can be cancelled too
        with listening((lambda: progress(0)) if progress else None):
            return _import(warehouse, path, source, mapping, skip_bad_rows, progress, exported)
    except (FileError, ImportRejected):
        raise
    except duckdb.Error as err:
        # The transaction was rolled back: say so in words, not with the database's traceback.
        raise FileError(path.name, f"写入数据仓库失败，数据未作任何改变：{str(err).splitlines()[0]}") from err
    except Exception as err:
        # No input may end in a traceback (CLI or web upload): a reader's slip is a file error that says
        # nothing was stored; the traceback goes to the log for whoever maintains the importers.
        _log.exception("import of %s failed", path.name)
        raise FileError(path.name, f"导入时发生内部错误（{type(err).__name__}：{err}），数据未作任何改变；"
                                   "请将此文件和本信息报告给系统维护人员") from err


def _import(warehouse: Warehouse, path: Path, source: str, mapping: Path | None, skip_bad_rows: bool,
            progress: Progress | None, exported: date | None) -> tuple[ImportResult, list[RowError]]:
    kind = _kind_of(path, source)
    sha = file_sha256(path)
    existing = warehouse.find_import(sha, kind)
    if existing is not None:
        return ImportResult(existing, path.name, True, 0), []

    chunks: Iterator[tuple[Batch, list[RowError], int]]
    notes = ImportNotes()
    if kind == "google":
        label = "google"
        chunks = read_publications(path)
    elif kind == "companydata":
        label = "companydata"
        chunks = read_records(path, exported, vocabulary=_mapping(mapping).vocabulary, notes=notes)
    elif kind == "trademarks":
        tm_shape = (trademark_shape(peek_headers(path, trademark_fields().known()))
                    if path.suffix.lower() in TRADEMARK_SUFFIXES else None)
        if tm_shape is None:  # only with --source trademarks: auto sends a file here for its headers
            raise FileError(path.name, "不是商标文件：表头中找不到注册号和国际分类列（或变更记录的注册号和变更事项列）"
                                       " / not a trademark file: no registration number and Nice class columns")
        label = f"trademarks:{tm_shape}"
        chunks = read_trademarks(path, exported, notes=notes)
    elif kind == "template" and looks_like_pledges(path):  # registry records, folded in the import's transaction
        shape = pledge_shape(peek_headers(path, set(PLEDGE_HEADERS)))
        label = "pledges:gazette" if shape == "gazette" else "template:pledges"
        chunks = pledge_chunks(path, warehouse.con, notes)
    elif kind == "abnormal":  # notices merged with the stored ones, in the import's transaction
        label = "template:abnormal"
        chunks = abnormal_chunks(path, warehouse.con)
    elif kind == "template":
        template, batch, errors, rows = read_template(path)
        label = f"template:{template}"
        chunks = iter([(batch, errors, rows)])
    else:
        label = source
        chunks = read_export(path, _mapping(mapping), source, exported=exported, notes=notes)
    return _store(warehouse, path, sha, label, kind, chunks, notes, skip_bad_rows, progress)


def _mapping(path: Path | None) -> Mapping:
    """The header mapping and event words, with the user's file if given; a bad one is a FileError."""
    try:
        return load_mapping(path)
    except (OSError, ValueError, yaml.YAMLError) as err:
        name = path.name if path is not None else "mapping.yaml"
        raise FileError(name, f"映射文件无效：{str(err).splitlines()[0]}") from err


def _store(warehouse: Warehouse, path: Path, sha: str, label: str, kind: str,
           chunks: Iterator[tuple[Batch, list[RowError], int]], notes: ImportNotes, skip_bad_rows: bool,
           progress: Progress | None) -> tuple[ImportResult, list[RowError]]:
    all_errors = RowErrors(count_rows=False)  # the first MAX_ROW_ERRORS of the file, all counted
    with warehouse.import_transaction(path.name, sha, label, kind) as tx:
        for batch, errors, rows_read in chunks:
            all_errors.extend(errors)
            if all_errors and not skip_bad_rows:
                if progress:
                    progress(rows_read)  # a file of errors ticks too: it can be followed and cancelled
                continue  # keep reading to count every error; nothing will be committed
            beat("storing")
            tx.add(batch, rows_read, error_rows(errors))
            apps = batch.frames.get("applications")
            if tx.source == "auto" and apps is not None and len(apps):
                tx.source = str(apps["source"].iloc[0])  # what auto-detection found
            if progress:
                progress(rows_read)
        if progress:
            progress(0)  # a last tick before the rejection or the commit: a cancel by now stores nothing
        if all_errors and not skip_bad_rows:
            raise ImportRejected(path.name, all_errors)
        tx.result.unknown_events = dict(notes.unknown_events.most_common())
        tx.result.warnings = dict(notes.warnings.most_common())
    return tx.result, all_errors


def write_errors_report(errors: list[RowError], path: Path) -> Path:
    """The rejected rows as an xlsx a user can fix the source file from; errors counted but not kept
    (RowErrors, limits.MAX_ROW_ERRORS a file) are said in a last row."""
    from openpyxl import Workbook

    from hvpatent.reports.safe_cells import safe_row

    wb = Workbook()
    ws = wb.active
    ws.title = "错误清单"
    ws.append(["文件", "行号", "字段", "值", "原因"])
    for e in errors:  # the bad value itself may be "=HYPERLINK(…)": quoted as OWASP advises
        ws.append(safe_row([printable(e.file), e.row, printable(e.field), printable(e.value), printable(e.reason)]))
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a value like "=HYPERLINK(…)" stays text, never a formula
    more = error_count(errors) - len(errors)
    if more > 0:
        ws.append([None, None, None, None, not_listed(more)])
    for letter, width in zip("ABCDE", (28, 8, 18, 30, 60), strict=True):
        ws.column_dimensions[letter].width = width
    wb.save(path)
    return path
