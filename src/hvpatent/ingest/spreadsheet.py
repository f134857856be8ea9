"""Chinese-header patent exports (CNIPA search system, incoPat, PatSnap and similar)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from hvpatent.ingest.appno import AppNoError, parse_appno
from hvpatent.ingest.citations import citation_rows, parse_citations
from hvpatent.ingest.errors import FileError, RowErrors, error_rows
from hvpatent.ingest.fields import (
    EventVocabulary,
    builtin_vocabulary,
    classify_party,
    is_grant_kind,
    normalize_name,
    parse_date,
    parse_family_member,
    parse_ipc,
    printable,
    split_multi,
)
from hvpatent.ingest.heartbeat import BEAT_ROWS, beat
from hvpatent.ingest.inventors import inventor_rows, split_inventors
from hvpatent.ingest.kindcodes import KindMeaning, cn_kind_meaning, kind_of_pub_no
from hvpatent.ingest.legalcells import Reading, read_cells
from hvpatent.ingest.limits import MiB
from hvpatent.ingest.merge import first_filled, latest_first
from hvpatent.ingest.notes import ImportNotes
from hvpatent.ingest.parallel import default_workers, ordered_map
from hvpatent.ingest.readers import file_export_date, header_key, read_rows
from hvpatent.model import Batch, RowError
from hvpatent.reference.countries import locate

_TYPE_WORDS = (("发明", "invention"), ("实用新型", "utility_model"), ("外观", "design"),
               ("invention", "invention"), ("utility", "utility_model"), ("design", "design"))
REQUIRED = ("app_no", "filing_date")
FIELD_LABELS = {  # the header a user would recognise, for error messages
    "app_no": "申请号", "filing_date": "申请日", "patent_type": "专利类型", "title": "名称",
    "applicants": "申请(专利权)人", "ipc_main": "主分类号", "ipc_all": "分类号", "pub_date": "公开日",
    "grant_date": "授权公告日", "priority_date": "优先权日", "pct_entry_date": "PCT进入国家阶段日",
    "claims_count": "权利要求数量", "legal_status": "法律状态", "legal_status_date": "法律状态公告日",
    "legal_events": "法律事件", "family_members": "同族",
    "status_events": "法律状态/事件", "latest_status": "最新法律状态", "simple_status": "简单法律状态",
    "lapse_date": "失效日", "pub_no": "公开(公告)号", "citations": "专利引证", "inventors": "发明人",
    "first_claim": "首项权利要求",
}
#: A first claim longer than this is cut to it (a counted note): no first claim runs so long, and the text search
#: reads only its first few hundred characters (supervision/config.yaml, text.max_chars).
MAX_CLAIM_CHARS = 20_000
CUT_CLAIMS = (f"「首项权利要求」超过 {MAX_CLAIM_CHARS} 字的已截断保存，专利照常导入 / first claims over "
              f"{MAX_CLAIM_CHARS} characters were cut to that length; the patents were imported")
# The columns whose cells are read as legal status (legalcells.read_cells), in this order.
STATUS_FIELDS = ("legal_events", "legal_status", "status_events", "latest_status", "simple_status")


@dataclass
class Mapping:
    fields: dict[str, list[str]]
    sources: dict[str, list[str]] = field(default_factory=dict)
    vocabulary: EventVocabulary = field(default_factory=builtin_vocabulary)

    def known_headers(self) -> set[str]:
        return {header_key(a) for aliases in self.fields.values() for a in aliases}

    def resolve(self, headers: list[str]) -> dict[str, str]:
        """Canonical field -> the file's header key, first alias present wins."""
        present = set(headers)
        found = {}
        for name, aliases in self.fields.items():
            for alias in aliases:
                if header_key(alias) in present:
                    found[name] = header_key(alias)
                    break
        return found

    def detect_source(self, headers: list[str]) -> str:
        present = set(headers)
        scores = {src: sum(header_key(h) in present for h in hs) for src, hs in self.sources.items()}
        best = max(scores, key=scores.get, default="cnipa")
        return best if scores.get(best) else "cnipa"


@cache
def _builtin_mapping_text() -> str:
    return resources.files(__package__).joinpath("mapping.yaml").read_text(encoding="utf-8")


def load_mapping(extra: Path | None = None) -> Mapping:
    data = yaml.safe_load(_builtin_mapping_text())
    mapping = Mapping({k: list(v) for k, v in data["fields"].items()}, dict(data.get("sources", {})))
    if extra is not None:
        user = yaml.safe_load(extra.read_text(encoding="utf-8")) or {}
        for name, aliases in (user.get("fields") or {}).items():
            if name not in mapping.fields:
                raise ValueError(f"{extra.name}: 未知字段 {name}（可用：{', '.join(mapping.fields)}）")
            mapping.fields[name] = list(aliases) + mapping.fields[name]
        for name, headers in (user.get("sources") or {}).items():
            mapping.sources[name] = list(headers)
        if user.get("rules") or user.get("states"):
            mapping.vocabulary = mapping.vocabulary.extended(user)
    return mapping


class _Rows:
    """Canonical rows and errors for one file; rows of one application are merged at the end."""

    def __init__(self, file: str, source: str, vocabulary: EventVocabulary, notes: ImportNotes):
        self.file = file
        self.source = source
        self.vocabulary = vocabulary
        self.notes = notes
        self.errors: list[RowError] = RowErrors()  # the first MAX_ROW_ERRORS of the chunk, all counted
        self.parsed: dict[str, list[_Parsed]] = {}

    def error(self, row: int, fld: str, value: object, reason: str) -> None:
        label = FIELD_LABELS.get(fld, fld)
        self.errors.append(RowError(self.file, row, label, printable(str(value))[:200], reason))


@dataclass
class _Parsed:
    """One valid row: its application fields, parties, classes, publication and legal reading."""

    row: int
    app_no: str
    fields: dict
    applicants: list[str]
    address: str | None
    ipcs: list[str]
    pub: dict | None
    meaning: KindMeaning
    grant: object
    reading: Reading
    members: list[tuple[str, str, bool]]
    pub_date: object = None
    cited: list[str] = field(default_factory=list)  # the numbers of the 专利引证 cell (ingest/citations.py)
    inventors: list[str] = field(default_factory=list)  # the names of the 发明人 cell (ingest/inventors.py)
    first_claim: str | None = None  # the 首项权利要求 / 主权项 cell, cut to MAX_CLAIM_CHARS


def _cells(fields: list[str], positions: list[tuple[str, int]]) -> dict[str, str]:
    """The row's mapped cells by canonical field, stripped, without control characters; empty ones left
    out (a row is read cell by cell, so each cell is cleaned once)."""
    cells = {}
    for name, i in positions:
        value = fields[i]
        if value:
            value = value.strip() if value.isprintable() else printable(value).strip()
            if value:
                cells[name] = value
    return cells


def _positions(columns: list[str], cols: dict[str, str]) -> list[tuple[str, int]]:
    """Canonical field -> the position of its column; a header present twice in a sheet is read from its
    last column (as the frame's records gave it)."""
    at = {name: i for i, name in enumerate(columns)}
    return [(name, at[key]) for name, key in cols.items()]


def _date(out: _Rows, row: int, cells: dict[str, str], name: str):
    text = cells.get(name)
    if text is None:
        return None
    try:
        return parse_date(text)
    except ValueError as err:
        out.error(row, name, text, str(err))
        return None


def _patent_type(text: str, fallback: str | None) -> str | None:
    for word, value in _TYPE_WORDS:
        if word in text.lower():
            return value
    return fallback


def _app_no_text(raw: str) -> str:
    # Spreadsheets store bare numbers as floats: 201810234567 may come back as "201810234567.0".
    return raw[:-2] if raw.endswith(".0") and raw[:-2].isdigit() else raw


_LOCARNO = re.compile(r"^(?:LOC\s*\(\d+\)\s*(?:CL\.)?\s*)?\d{2}-\d{2}$", re.IGNORECASE)


def _ipcs(out: _Rows, row: int, cells: dict[str, str]) -> list[str]:
    ipcs: list[str] = []
    main_raw = cells.get("ipc_main", "")
    for raw in ([main_raw] if main_raw else []) + split_multi(cells.get("ipc_all", ""), ipc=True):
        if _LOCARNO.match(raw):
            continue  # a design's Locarno class (06-01) in the classification column: not an IPC code
        try:
            code = parse_ipc(raw)
        except ValueError as err:
            out.error(row, "ipc_main" if raw == main_raw else "ipc_all", raw, str(err))
            continue
        if code not in ipcs:
            ipcs.append(code)
    return ipcs


def _members(out: _Rows, row: int, cells: dict[str, str]) -> list[tuple[str, str, bool]]:
    members = []
    granted_listed = {m.strip().upper().replace(" ", "")
                      for m in split_multi(cells.get("family_granted", ""))}
    for raw in split_multi(cells.get("family_members", "")):
        try:
            office, number, kind = parse_family_member(raw)
        except ValueError as err:
            out.error(row, "family_members", raw, str(err))
            continue
        if office != "CN":
            members.append((office, number, is_grant_kind(office, kind) or number in granted_listed))
    return members


def _publication(cells: dict[str, str], app_no: str, pub_date) -> tuple[dict | None, KindMeaning]:
    pub_no = cells.get("pub_no", "").upper().replace(" ", "")
    if not pub_no:
        return None, KindMeaning(None, "unknown")
    kind = kind_of_pub_no(pub_no)
    if kind is None and pub_no[-1:].isalpha():  # other offices' numbers: the trailing letters
        kind = pub_no[-1] if not pub_no[-2:-1].isalpha() else pub_no[-2:]
    meaning = cn_kind_meaning(kind, pub_date) if pub_no.startswith("CN") or kind_of_pub_no(pub_no) else \
        KindMeaning(None, "unknown")
    return {"pub_no": pub_no, "app_no": app_no, "kind": kind, "pub_date": pub_date}, meaning


def _convert_row(out: _Rows, row: int, cells: dict[str, str]) -> None:
    errors_before = len(out.errors)
    raw_no = cells.get("app_no", "")
    try:
        appno = parse_appno(_app_no_text(raw_no))
    except AppNoError as err:
        out.error(row, "app_no", raw_no, f"申请号无效: {err}")
        return
    app_no = appno.canonical
    filing = _date(out, row, cells, "filing_date")
    if filing is None and not cells.get("filing_date", ""):
        out.error(row, "filing_date", "", "申请日为空")
    dates = {name: _date(out, row, cells, name) for name in
             ("grant_date", "pub_date", "priority_date", "pct_entry_date", "legal_status_date", "lapse_date")}
    pub, meaning = _publication(cells, app_no, dates["pub_date"])
    type_column = _patent_type(cells.get("patent_type", ""), None)
    patent_type = type_column or meaning.patent_type or appno.patent_type
    if patent_type is None:
        out.error(row, "patent_type", cells.get("patent_type", ""), "无法确定专利类型")
    ipcs = _ipcs(out, row, cells)
    claims = cells.get("claims_count", "")
    claims_count = None
    if claims:
        try:
            claims_count = int(float(claims))
        except ValueError:
            out.error(row, "claims_count", claims, "权利要求数量应为整数")
    status_cells = [(f, cells[f]) for f in STATUS_FIELDS if f in cells]
    reading = read_cells(status_cells, out.vocabulary, status_date=dates["legal_status_date"],
                         lapse_date=dates["lapse_date"], filing=filing, patent_type=patent_type)
    for fld, value, reason in reading.errors:
        out.error(row, fld, value, reason)
    members = _members(out, row, cells)
    cited = _cited(out, row, cells)
    inventors = _inventors(out, row, cells)
    if len(out.errors) > errors_before:
        return
    fields = {
        "app_no": app_no, "patent_type": type_column, "filing_date": filing,
        "priority_date": dates["priority_date"], "pct_app_no": cells.get("pct_app_no", "") or None,
        "pct_entry_date": dates["pct_entry_date"], "title": cells.get("title", "") or None,
        "abstract": cells.get("abstract", "") or None, "claims_count": claims_count,
        "agency": cells.get("agency", "") or None, "family_id": cells.get("family_id", "") or None,
        "source": out.source, "_type_fallback": meaning.patent_type or appno.patent_type,
    }
    address = cells.get("applicant_address", "") or "".join(
        cells.get(f, "") for f in ("applicant_province", "applicant_city", "applicant_county")) or None
    out.parsed.setdefault(app_no, []).append(_Parsed(
        row, app_no, fields, split_multi(cells.get("applicants", "")), address, ipcs, pub, meaning,
        dates["grant_date"], reading, members, dates["pub_date"], cited, inventors, _first_claim(out, cells)))


SKIPPED_CITATIONS = ("「专利引证」列中不是专利公开号的内容（非专利文献、备注等）已跳过，专利照常导入 / entries of the "
                     "citations column that are no patent publication number were skipped; the patents were imported")


def _cited(out: _Rows, row: int, cells: dict[str, str]) -> list[str]:
    """The documents the row's 专利引证 cell lists; what is no patent number is skipped and counted in the import's
    notes (ingest/citations.py says why); a cell of thousands of numbers rejects the row (docs/importing.md,
    "Citations")."""
    text = cells.get("citations", "")
    if not text:
        return []
    skipped: list[str] = []
    try:
        cited = parse_citations(text, skipped)
    except ValueError as err:
        out.error(row, "citations", text, str(err))
        return []
    if skipped:
        out.notes.warnings[SKIPPED_CITATIONS] += 1
    return cited


def _first_claim(out: _Rows, cells: dict[str, str]) -> str | None:
    """The row's first claim; one over MAX_CLAIM_CHARS is cut (a long cell is still the claim's opening, which
    is what the text search compares) and counted in the import's notes."""
    text = cells.get("first_claim")
    if text and len(text) > MAX_CLAIM_CHARS:
        out.notes.warnings[CUT_CLAIMS] += 1
        text = text[:MAX_CLAIM_CHARS]
    return text or None


def _inventors(out: _Rows, row: int, cells: dict[str, str]) -> list[str]:
    """The names of the row's 发明人 cell; a cell over the limits (ingest/inventors.py) rejects the row."""
    text = cells.get("inventors", "")
    try:
        return split_inventors(text)
    except ValueError as err:
        out.error(row, "inventors", text, str(err))
        return []


def _emit(out: _Rows, rows: list[_Parsed], tables: dict[str, list[dict]], exported: date | None) -> None:
    """One application from all its rows in the file: the latest publication's values first, gaps filled
    from the others; every row's publication and events kept."""
    rows = latest_first(rows, lambda r: r.pub["pub_date"] if r.pub else None)
    app = first_filled([r.fields for r in rows])
    app["patent_type"] = app.pop("_type_fallback") if app["patent_type"] is None else app["patent_type"]
    app.pop("_type_fallback", None)
    app_no, filing = app["app_no"], app["filing_date"]
    events = _events(rows, app["patent_type"])
    grant = min((e[0] for e in events if e[1] == "granted"), default=None)
    with_ipcs = next((r for r in rows if r.ipcs), None)
    ipcs = with_ipcs.ipcs if with_ipcs else []
    members = list(dict.fromkeys(m for r in rows for m in r.members))
    app["ipc_main"] = ipcs[0] if ipcs else None
    app["family_id"] = app["family_id"] or (f"CN{app_no}" if members else None)
    tables["applications"].append(app)
    for seq, code in enumerate(ipcs, 1):
        tables["ipc_classes"].append({"app_no": app_no, "seq": seq, "ipc": code, "is_main": seq == 1})
    with_parties = next((r for r in rows if r.applicants), None)
    if with_parties:
        _parties(tables, app_no, with_parties.applicants, with_parties.address, grant is not None)
    for r in rows:
        if r.pub:
            tables["publications"].append(r.pub)
    events.append((filing, "filed", "申请", None))
    for when, event_type, text, effective in events:
        tables["legal_events"].append({"app_no": app_no, "event_date": when, "event_type": event_type,
                                       "raw_text": text, "effective_date": effective})
    for office, number, granted in members:
        tables["family_members"].append({"family_id": app["family_id"], "office": office, "member_no": number,
                                         "granted": granted, "grant_date": None})
    tables["citations"].extend(citation_rows(app_no, [no for r in rows for no in r.cited], out.source))
    with_inventors = next((r for r in rows if r.inventors), None)
    if with_inventors:
        tables["inventors"].extend(inventor_rows(app_no, with_inventors.inventors))
    claim = next((r.first_claim for r in rows if r.first_claim), None)  # the latest publication's first
    if claim:
        tables["claims"].append({"app_no": app_no, "first_claim": claim, "source": out.source})
    _snapshot(out, rows, tables, exported, bool(events[:-1]))


def _events(rows: list[_Parsed], patent_type: str) -> list[tuple]:
    """Events the status cells state, then those the dates and kind codes imply (unless already stated)."""
    stated = [(e.when, e.event_type, e.text, e.effective) for r in rows for e in r.reading.events]
    # A grant date the export states (授权日 column, dated 授权 event) beats one read from a kind code.
    grant_stated = any(r.grant for r in rows) or any(e[1] == "granted" for e in stated)
    implied = []
    for r in rows:
        if r.grant:
            implied.append((r.grant, "granted", "授权", None))
        if r.pub and r.pub["pub_date"]:
            when, pub_no = r.pub["pub_date"], r.pub["pub_no"]
            if r.meaning.is_grant:
                if grant_stated:
                    continue
                implied.append((when, "granted", f"授权公告 {pub_no}", None))
            elif r.meaning.stage in ("application", "opposition") or (
                    r.meaning.stage == "unknown" and patent_type == "invention" and not r.grant):
                implied.append((when, "published", f"公开 {pub_no}", None))
        elif r.pub_date and patent_type == "invention" and not r.grant:
            implied.append((r.pub_date, "published", "公开", None))  # a publication date without its number
    seen = {(e[0], e[1]) for e in stated}
    if any(e[1] == "granted" for e in stated + implied):
        # A grant announcement is also the publication of a utility model or design: no separate one.
        implied = [e for e in implied if not (e[1] == "published" and patent_type != "invention")]
    events = list(dict.fromkeys(stated))
    for e in implied:
        if (e[0], e[1]) not in seen:
            seen.add((e[0], e[1]))
            events.append(e)
    return events


def _parties(tables: dict[str, list[dict]], app_no: str, names: list[str], address: str | None,
             granted: bool) -> None:
    for seq, name in enumerate(names, 1):
        # Exports give one address, the first applicant's; CNIPA statistics attribute by it.
        where, country = locate(address if seq == 1 else None, name)
        tables["parties"].append({
            "app_no": app_no, "seq": seq, "role": "patentee" if granted else "applicant",
            "name": name, "name_norm": normalize_name(name), "party_type": classify_party(name),
            "address": address if seq == 1 else None, "province_code": where.province_code,
            "city_code": where.city_code, "county_code": where.county_code, "town_code": where.town_code,
            "town_source": where.town_source, "country": country,
        })


def _snapshot(out: _Rows, rows: list[_Parsed], tables: dict[str, list[dict]], exported: date | None,
              has_events: bool) -> None:
    for r in rows:
        out.notes.unknown_events.update(r.reading.unknown)
        out.notes.warnings.update(r.reading.warnings)
    found = next((r for r in rows if r.reading.snapshot), None)
    if found is None:
        return
    status, raw, column = found.reading.snapshot
    if exported is not None:
        tables["status_snapshots"].append({"app_no": found.app_no, "snapshot_date": exported, "status": status,
                                           "raw_text": raw, "source": out.source})
    elif has_events:  # the dated history is kept; only the current state cannot be placed in time
        out.notes.warnings[f"「{FIELD_LABELS.get(column, column)}」列的当前状态未保存：文件中没有导出日期"
                           "（可用 --exported YYYY-MM-DD 指定）"] += 1
    else:
        raise FileError(out.file, f"「{FIELD_LABELS.get(column, column)}」列是当前状态（第 {found.row} 行「{raw}」），"
                                  "没有日期，而文件中找不到导出日期；请用 --exported YYYY-MM-DD 指定导出日期")


#: A patent export at least this large has its chunks converted in worker processes (ingest/parallel.py):
#: below it, starting them (about a second) costs more than they save.
PARALLEL_MIN_BYTES = 16 * MiB
#: Rows a chunk for a worker holds: small enough that a few in flight stay small in memory, large enough
#: that sending it costs little beside converting it.
PARALLEL_CHUNK_ROWS = 20_000


def read_export(path: Path, mapping: Mapping, source: str = "auto", chunk_rows: int = 100_000, *,
                exported: date | None = None, notes: ImportNotes | None = None, workers: int | None = None
                ) -> Iterator[tuple[Batch, list[RowError], int]]:
    """Yield (batch, errors, rows read) per chunk of a patent export.

    ``exported``: the day the export was made, for bare current states; by default the file's own date
    (readers.file_export_date).  ``workers``: processes converting the chunks (0: this process); by
    default several for a file of PARALLEL_MIN_BYTES or more, none for a smaller one.
    """
    notes = notes if notes is not None else ImportNotes()
    known = mapping.known_headers()
    if exported is None:
        exported = file_export_date(path, known)
    if workers is None:
        workers = default_workers() if path.stat().st_size >= PARALLEL_MIN_BYTES else 0
    if workers:
        chunk_rows = min(chunk_rows, PARALLEL_CHUNK_ROWS)
    jobs = _jobs(path, mapping, source, exported, chunk_rows)
    if not workers:
        for job in jobs:
            batch, errors = _convert_chunk(job, mapping.vocabulary, notes)
            yield batch, errors, job.rows_read
        return
    for batch, errors, job_notes, rows_read in ordered_map(_worker_convert, jobs, workers=workers,
                                                          initializer=_worker_init, initargs=(mapping.vocabulary,)):
        notes.unknown_events.update(job_notes.unknown_events)
        notes.warnings.update(job_notes.warnings)
        yield batch, errors, rows_read


@dataclass
class _Job:
    """One chunk of rows to convert, with all a worker process needs besides the event vocabulary."""
    file: str
    source: str
    exported: date | None
    positions: list[tuple[str, int]]
    index: list[int]
    rows: list[list[str]]
    bad_rows: list[RowError]
    rows_read: int
    header_error: RowError | None = None


def _jobs(path: Path, mapping: Mapping, source: str, exported: date | None, chunk_rows: int) -> Iterator[_Job]:
    for chunk in read_rows(path, mapping.known_headers(), chunk_rows=chunk_rows):
        rows_read = len(chunk.rows) + error_rows(chunk.errors)
        headers = chunk.columns
        cols = mapping.resolve(headers)
        missing = [FIELD_LABELS[f] for f in REQUIRED if f not in cols]
        src = mapping.detect_source(headers) if source == "auto" else source
        if missing:
            error = RowError(path.name, chunk.index[0] - 1 if chunk.index else 1, "header",
                             printable(", ".join(headers)[:200])[:200], f"缺少必需列: {'、'.join(missing)}")
            yield _Job(path.name, src, exported, [], [], [], chunk.errors, rows_read, error)
            return
        yield _Job(path.name, src, exported, _positions(headers, cols), chunk.index, chunk.rows, chunk.errors,
                   rows_read)


def _convert_chunk(job: _Job, vocabulary: EventVocabulary, notes: ImportNotes) -> tuple[Batch, list[RowError]]:
    """A chunk's rows as canonical tables, and its row errors (the reader's first)."""
    out = _Rows(job.file, job.source, vocabulary, notes)
    out.errors.extend(job.bad_rows)  # rows the reader refused: a field count unlike the header's, control characters
    if job.header_error is not None:
        out.errors.append(job.header_error)
        return Batch(), out.errors
    positions = job.positions
    for i, (row, fields) in enumerate(zip(job.index, job.rows, strict=True), 1):
        if i % BEAT_ROWS == 0:
            beat()
        _convert_row(out, row, _cells(fields, positions))
    tables: dict[str, list[dict]] = {t: [] for t in (
        "applications", "ipc_classes", "publications", "parties", "legal_events", "family_members",
        "status_snapshots", "citations", "inventors", "claims")}
    for i, rows in enumerate(out.parsed.values(), 1):
        if i % BEAT_ROWS == 0:
            beat()
        _emit(out, rows, tables, job.exported)
    batch = Batch()
    for table, rows in tables.items():
        batch.set(table, rows)
    return batch, out.errors


_worker_vocabulary: list[EventVocabulary] = []  # the event words, given once to each worker process


def _worker_init(vocabulary: EventVocabulary) -> None:
    _worker_vocabulary[:] = [vocabulary]


def _worker_convert(job: _Job) -> tuple[Batch, list[RowError], ImportNotes, int]:
    notes = ImportNotes()
    batch, errors = _convert_chunk(job, _worker_vocabulary[0], notes)
    return batch, errors, notes, job.rows_read
