"""Patent records in the shape company-data APIs return (企查查 open API ``PatentV4`` and resellers).

One record per publication, with English keys: ``ApplicationNumber`` (``CN201610311380.X``),
``ApplicationDate`` (``2016-05-12T00:00:00``), ``PublicationNumber`` / ``PublicationDate``,
``KindCodeDesc`` (发明公布 / 发明授权 / 实用新型 / 外观设计), ``IPCList`` (IPC codes, some only to the
class ``G06``; designs carry a Locarno class ``11-02``), ``AssigneestringList``, ``Agency``
(``name 32266``: the agency's five-digit code after its name), ``LegalStatusDesc`` /
``LegalStatusDate`` and ``PatentLegalHistory`` ([{"Desc", "LegalStatus" (a numeric code),
"LegalStatusDate"}]).  Files are ``.json`` (an array, one record, or an API envelope such as
``{"Status": "200", "Result": [...]}``) or ``.jsonl`` (a record or an envelope per line).

JSON files are read incrementally (ijson), so a file of any size is held one chunk at a time.
docs/importing.md, "Company-data API records", has the mapping and its limits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import ijson

from hvpatent.ingest.appno import AppNoError, parse_appno
from hvpatent.ingest.errors import FileError, RowErrors
from hvpatent.ingest.fields import (
    EventVocabulary,
    builtin_vocabulary,
    classify_party,
    normalize_name,
    parse_date,
    parse_ipc,
)
from hvpatent.ingest.heartbeat import BEAT_ROWS, beat
from hvpatent.ingest.inventors import check_names, inventor_rows
from hvpatent.ingest.kindcodes import cn_kind_meaning, kind_of_pub_no
from hvpatent.ingest.legalcells import Event, read_details
from hvpatent.ingest.merge import first_filled, latest_first
from hvpatent.ingest.notes import ImportNotes
from hvpatent.ingest.readers import bad_utf8, chunked_by_chars, control_errors, json_lines
from hvpatent.model import Batch, RowError
from hvpatent.reference.regions import attribute

SOURCE = "companydata"
SUFFIXES = {".json", ".jsonl", ".ndjson"}
_LINES = {".jsonl", ".ndjson"}
_PEEK_BYTES = 256 * 1024
_BOM = b"\xef\xbb\xbf"
_BEIJING = timedelta(hours=8)  # epoch timestamps are read as Beijing dates

# KindCodeDesc words: the first that occurs decides the patent type.
_TYPE_WORDS = (("实用新型", "utility_model"), ("外观", "design"), ("发明", "invention"))
_LOCARNO = re.compile(r"^(\d{2})-(\d{2})?$")   # '11-02', or '11-' with the class only
_IPC_CLASS = re.compile(r"^([A-H])(\d{2})$")     # 'G06': the API's search lists stop at the class
_JSON_POSITION = re.compile(r" at (\d+)")
_TABLES = ("applications", "ipc_classes", "publications", "parties", "legal_events", "status_snapshots",
           "inventors")


def looks_like_companydata(path: Path) -> bool:
    """A JSON file whose first record has ApplicationNumber and KindCodeDesc or PublicationNumber."""
    if path.suffix.lower() not in SUFFIXES:
        return False
    with path.open("rb") as fh:
        head = fh.read(_PEEK_BYTES)
    return b'"ApplicationNumber"' in head and (b'"KindCodeDesc"' in head or b'"PublicationNumber"' in head)


# -- reading ---------------------------------------------------------------------------


def _open_binary(path: Path) -> IO[bytes]:
    fh = path.open("rb")
    if fh.read(3) != _BOM:
        fh.seek(0)
    return fh


def _line_col(path: Path, offset: int) -> tuple[int, int]:
    """Line and column (1-based) of a character offset in the file's text."""
    line, seen = 1, 0
    with path.open(encoding="utf-8-sig") as fh:
        for text in fh:
            if seen + len(text) > offset:
                return line, offset - seen + 1
            seen += len(text)
            line += 1
    return max(line - 1, 1), 1


def _json_error(path: Path, err: Exception) -> FileError:
    """Where the JSON breaks: the fast parser does not say, so the pure-Python one is asked."""
    bad = bad_utf8(path)
    if bad is not None:
        return bad
    reason = str(err).splitlines()[0] if str(err) else type(err).__name__
    try:
        with _open_binary(path) as fh:
            for _ in ijson.get_backend("python").parse(fh):
                pass
    except ijson.JSONError as slow:
        found = _JSON_POSITION.search(str(slow))
        if found:
            line, col = _line_col(path, int(found.group(1)))
            detail = _JSON_POSITION.sub("", str(slow))  # the offset, now given as line and column
            return FileError(path.name, f"不是有效的 JSON：第 {line} 行第 {col} 列：{detail}")
        if "Incomplete" in str(slow):
            line, _ = _line_col(path, 1 << 62)
            return FileError(path.name, f"不是有效的 JSON：第 {line} 行文件意外结束（内容不完整）")
    return FileError(path.name, f"不是有效的 JSON：{reason}")


@dataclass
class _Envelope:
    prefix: str | None = None           # ijson prefix of the records
    status: str | None = None           # the API's Status / code, when the file has one
    message: str | None = None


_STATUS_KEYS = {"Status", "status", "code", "Code"}
_MESSAGE_KEYS = {"Message", "message", "msg", "Msg"}


def _locate(path: Path) -> _Envelope:
    """First pass: where the records are (the map holding the first ApplicationNumber key)."""
    found = _Envelope()
    with _open_binary(path) as fh:
        for prefix, event, value in ijson.parse(fh):
            if event == "map_key" and value == "ApplicationNumber":
                found.prefix = prefix
                break
            if event in ("string", "number") and prefix in _STATUS_KEYS:
                found.status = str(value)
            elif event == "string" and prefix in _MESSAGE_KEYS:
                found.message = value
    return found


def _no_records(path: Path, env: _Envelope) -> FileError:
    if env.status is not None and env.status not in {"200", "0"}:
        return FileError(path.name, f"接口返回状态 {env.status}（{env.message or '无说明'}），文件中没有专利记录")
    return FileError(path.name, "文件中没有专利记录（找不到 ApplicationNumber 字段）")


def _json_records(path: Path) -> Iterator[tuple[int, Any]]:
    try:
        env = _locate(path)
        if env.prefix is None:
            raise _no_records(path, env)
        with _open_binary(path) as fh:
            for row, record in enumerate(ijson.items(fh, env.prefix, use_float=True), 1):
                if row % BEAT_ROWS == 0:
                    beat()
                yield row, record
    except (ijson.JSONError, UnicodeDecodeError) as err:
        raise _json_error(path, err) from None


def _records_in(obj: Any) -> list[Any] | None:
    """The records of one parsed JSON value: itself, or those an envelope wraps; None if none."""
    if isinstance(obj, dict):
        if "ApplicationNumber" in obj:
            return [obj]
        for value in obj.values():
            inner = _records_in(value)
            if inner is not None:
                return inner
    if isinstance(obj, list):
        if any(isinstance(v, dict) and "ApplicationNumber" in v for v in obj):
            return obj
        for value in obj:
            inner = _records_in(value)
            if inner is not None:
                return inner
    return None


def _line_records(path: Path) -> Iterator[tuple[tuple[int, Any], int]]:
    """JSON lines: each line a record or a whole API answer; a record's number is its line.  With the
    line's characters (given with its first record), for chunks bounded by characters."""
    for line_no, obj, chars in json_lines(path, sizes=True):
        for record in _records_in(obj) or [obj]:
            yield (line_no, record), chars
            chars = 0


def _chars(value: Any, depth: int = 0) -> int:
    """Characters of the text in a parsed JSON value (keys and strings, to 20 levels)."""
    if isinstance(value, str):
        return len(value)
    if depth < 20 and isinstance(value, dict):
        return sum(len(str(k)) + _chars(v, depth + 1) for k, v in value.items())
    if depth < 20 and isinstance(value, list):
        return sum(_chars(v, depth + 1) for v in value)
    return 8


def _sized_records(path: Path) -> Iterator[tuple[tuple[int, Any], int]]:
    if path.suffix.lower() in _LINES:
        return _line_records(path)
    return (((row, rec), _chars(rec)) for row, rec in _json_records(path))


def iter_records(path: Path) -> Iterator[tuple[int, Any]]:
    """(record number, parsed record) for every record in the file, in file order."""
    return (item for item, _ in _sized_records(path))


# -- values ----------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    return (value if isinstance(value, str) else str(value)).strip()


def _list(value: Any) -> list[str]:
    """A list, a JSON-encoded list ('["李中华"]', as Agent comes) or a ;-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                value = [text.strip("[]")]
        else:
            value = re.split(r"\s*[;；|\n]\s*", text)
    if not isinstance(value, list):
        value = [value]
    return [_text(v) for v in value if _text(v)]


def _date(value: Any) -> date | None:
    """ISO dates with or without time, 20160512, and Unix timestamps (seconds or milliseconds)."""
    if value is None or value == "" or value == 0:
        return None
    text = _text(value)
    if isinstance(value, int | float) or re.fullmatch(r"\d{10}|\d{13}", text):
        seconds = float(text) / (1000 if float(text) > 1e11 else 1)
        day = (datetime.fromtimestamp(seconds, UTC) + _BEIJING).date()
        if not 1950 <= day.year <= 2100:
            raise ValueError(f"时间戳超出范围: {text}")
        return day
    return parse_date(text)


# -- one record ------------------------------------------------------------------------


@dataclass
class _Record:
    """The canonical rows of one record, or the errors that reject it."""

    file: str
    row: int
    vocabulary: EventVocabulary
    notes: ImportNotes
    errors: list[RowError] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    snapshots: list[tuple[date, str, str]] = field(default_factory=list)

    def error(self, key: str, value: Any, reason: str) -> None:
        self.errors.append(RowError(self.file, self.row, key, _text(value)[:200], reason))

    def date_of(self, key: str, value: Any) -> date | None:
        try:
            return _date(value)
        except (ValueError, OverflowError, OSError) as err:
            self.error(key, value, str(err))
            return None

    def add_event(self, when: date, event_type: str, text: str, key: str = "") -> None:
        if not any(e.when == when and e.event_type == event_type for e in self.events):
            self.events.append(Event(when, event_type, text, source=key))

    def classify(self, text: str) -> str:
        """The event type of a description; words no rule knows are stored as 'other' and listed."""
        event_type, known = self.vocabulary.match(text)
        if not known:
            self.notes.unknown_events[text[:40]] += 1
        return event_type


def _patent_type(rec: dict, out: _Record, by_number: str | None, by_kind: str | None) -> str | None:
    desc = _text(rec.get("KindCodeDesc"))
    by_desc = next((ptype for word, ptype in _TYPE_WORDS if word in desc), None)
    if desc and by_desc is None:
        out.error("KindCodeDesc", desc, "无法识别的专利类型（应为 发明公布/发明授权/实用新型/外观设计）")
        return None
    known = {t for t in (by_desc, by_kind, by_number) if t}
    if len(known) > 1:
        out.error("KindCodeDesc", desc, f"专利类型与申请号或公开号不一致（{'、'.join(sorted(known))}）")
        return None
    ptype = by_desc or by_kind or by_number
    if ptype is None:
        out.error("KindCodeDesc", desc, "无法确定专利类型")
    return ptype


def _ipcs(rec: dict, out: _Record) -> list[str]:
    """IPC codes in order; Locarno classes of designs are not IPC and are left out."""
    codes: list[str] = []
    for raw in _list(rec.get("IPCList")):
        text = raw.replace(" ", "").upper()
        if _LOCARNO.match(text):
            continue
        klass = _IPC_CLASS.match(text)
        try:
            code = text if klass else parse_ipc(raw)
        except ValueError as err:
            out.error("IPCList", raw, str(err))
            continue
        if code not in codes:
            codes.append(code)
    return codes


def _agency(rec: dict) -> str | None:
    """The first agency as the export gives it, name and five-digit code ("…事务所(普通合伙) 32266"): the code is
    what tells one agency from another, and supervision.agency_name splits the two (docs/agencies.md)."""
    names = _list(rec.get("Agency"))
    return (names[0].strip() or None) if names else None


def _history(rec: dict, out: _Record) -> list[str]:
    """PatentLegalHistory → dated events; returns the descriptions seen."""
    items = rec.get("PatentLegalHistory") or []
    if not isinstance(items, list):
        out.error("PatentLegalHistory", items, "应为列表")
        return []
    texts = []
    for i, item in enumerate(items):
        key = f"PatentLegalHistory[{i}]"
        if not isinstance(item, dict):
            out.error(key, item, "应为对象 {Desc, LegalStatusDate}")
            continue
        text = next((_text(item.get(k)) for k in ("Desc", "LegalStatusDesc", "Content", "LegalStatus")
                     if _text(item.get(k)) and not _text(item.get(k)).isdigit()), "")
        raw_date = next((item.get(k) for k in ("LegalStatusDate", "LegalDate", "Date") if item.get(k)), None)
        when = out.date_of(f"{key}.LegalStatusDate", raw_date)
        if not text:
            out.error(f"{key}.Desc", item, "法律事件缺少说明（Desc）")
        elif when is None and not raw_date:
            out.error(f"{key}.LegalStatusDate", "", f"法律事件「{text}」缺少日期")
        elif when is not None:
            out.add_event(when, out.classify(text), text, f"{key}.Desc")
            texts.append(text)
    return texts


def _current_status(rec: dict, out: _Record, history: list[str], exported: date | None) -> None:
    """LegalStatusDesc: with LegalStatusDate an event (or a state on that day); undated, a state on
    the export date.  A state that cannot be placed in time is not stored, and the import says so."""
    desc = _text(rec.get("LegalStatusDesc"))
    if not desc:
        return
    raw_date = rec.get("LegalStatusDate")
    when = out.date_of("LegalStatusDate", raw_date)
    if when is None and raw_date not in (None, "", 0):
        return  # the date was bad: already reported
    event_type, known = out.vocabulary.match(desc)
    state = out.vocabulary.state(desc)
    if when is not None:
        if state and (not known or event_type == "other"):
            out.snapshots.append((when, state, desc))  # 有效 on a day: the state that day
        else:
            out.add_event(when, out.classify(desc), desc, "LegalStatusDesc")
        return
    if desc in history:
        return  # the latest history entry, dated there
    state = state or out.vocabulary.snapshot_of_event.get(event_type)
    if state is None:
        out.notes.warnings[f"LegalStatusDesc「{desc[:40]}」没有日期，也不表明当前状态：未保存"] += 1
    elif exported is None:
        out.notes.warnings["LegalStatusDesc 的当前状态未保存：没有日期，也没有导出日期"
                           "（可用 --exported YYYY-MM-DD 指定）"] += 1
    else:
        out.snapshots.append((exported, state, desc))


@dataclass
class _Converted:
    app_no: str
    pub_date: date | None
    application: dict
    ipcs: list[str]
    parties: list[dict]
    publication: dict | None
    record: _Record
    inventors: list[str] = field(default_factory=list)  # InventorStringList (ingest/inventors.py)


def _convert(file: str, row: int, rec: Any, exported: date | None, vocabulary: EventVocabulary,
             notes: ImportNotes) -> _Converted | list[RowError]:
    out = _Record(file, row, vocabulary, notes)
    if not isinstance(rec, dict):
        out.error("record", rec, "记录应为 JSON 对象")
        return out.errors
    refused = control_errors(file, row, rec)
    if refused:  # NUL and other control characters never reach the warehouse (nor its xlsx exports)
        return refused
    raw_no = rec.get("ApplicationNumber")
    try:
        appno = parse_appno(raw_no)
    except AppNoError as err:
        out.error("ApplicationNumber", raw_no, f"申请号无效: {err}")
        return out.errors
    filing = out.date_of("ApplicationDate", rec.get("ApplicationDate"))
    if filing is None and not out.errors:
        out.error("ApplicationDate", "", "申请日为空")
    pub_no = _text(rec.get("PublicationNumber")).upper().replace(" ", "")
    pub_date = out.date_of("PublicationDate", rec.get("PublicationDate"))
    kind = kind_of_pub_no(pub_no) if pub_no else None
    if pub_no and kind is None:
        out.error("PublicationNumber", pub_no, "公开号缺少文献种类代码（如 A、B、U、S）")
    meaning = cn_kind_meaning(kind, pub_date)
    ptype = _patent_type(rec, out, appno.patent_type, meaning.patent_type)
    desc = _text(rec.get("KindCodeDesc"))
    if "授权" in desc and kind and meaning.stage == "application":
        out.error("KindCodeDesc", desc, f"类型为授权，但公开号 {pub_no} 是申请公布")
    ipcs = _ipcs(rec, out)
    history = _history(rec, out)
    _current_status(rec, out, history, exported)
    warnings, problems = read_details(out.events, filing, ptype)
    for key, value, reason in problems:
        out.error(key, value, reason)
    inventors: list[str] = []
    try:
        inventors = check_names(_list(rec.get("InventorStringList")))
    except ValueError as err:
        out.error("InventorStringList", rec.get("InventorStringList"), str(err))
    if out.errors or filing is None or ptype is None:
        return out.errors
    notes.warnings.update(warnings)
    converted = _assemble(out, appno.canonical, ptype, filing, pub_no, kind, pub_date, meaning.stage, ipcs, rec)
    converted.inventors = inventors
    return converted


def _assemble(out: _Record, app_no: str, ptype: str, filing: date, pub_no: str, kind: str | None,
              pub_date: date | None, stage: str, ipcs: list[str], rec: dict) -> _Converted:
    out.add_event(filing, "filed", "申请")
    desc = _text(rec.get("KindCodeDesc"))
    grant_stage = stage == "grant" or (kind is None and ("授权" in desc or ptype != "invention"))
    if pub_date and grant_stage:
        out.add_event(pub_date, "granted", f"授权 {pub_no}".strip())
    elif pub_date and stage in ("application", "opposition"):
        out.add_event(pub_date, "published", f"公开 {pub_no}")
    granted = any(e.event_type == "granted" for e in out.events)
    parties = []
    for seq, name in enumerate(_list(rec.get("AssigneestringList")), 1):
        where = attribute(None, name)  # the API gives no address: attribute by name
        parties.append({
            "app_no": app_no, "seq": seq, "role": "patentee" if granted else "applicant", "name": name,
            "name_norm": normalize_name(name), "party_type": classify_party(name), "address": None,
            "province_code": where.province_code, "city_code": where.city_code,
            "county_code": where.county_code, "town_code": where.town_code, "town_source": where.town_source,
        })
    application = {
        "app_no": app_no, "patent_type": ptype, "filing_date": filing, "priority_date": None,
        "pct_app_no": None, "pct_entry_date": None, "title": _text(rec.get("Title")) or None,
        "abstract": _text(rec.get("Abstract")) or None, "ipc_main": ipcs[0] if ipcs else None,
        "claims_count": None, "agency": _agency(rec), "family_id": None, "source": SOURCE,
    }
    publication = ({"pub_no": pub_no if pub_no.startswith("CN") else f"CN{pub_no}", "app_no": app_no,
                    "kind": kind, "pub_date": pub_date} if pub_no else None)
    return _Converted(app_no, pub_date, application, ipcs, parties, publication, out)


# -- chunks ----------------------------------------------------------------------------



def read_records(path: Path, exported: date | None = None, *, vocabulary: EventVocabulary | None = None,
                 notes: ImportNotes | None = None, chunk_rows: int = 10_000
                 ) -> Iterator[tuple[Batch, list[RowError], int]]:
    """Yield (batch, errors, records read) per chunk of a company-data API file.

    ``exported``: the day the file was fetched, the date of undated current states; ``vocabulary``:
    the event words (built-in events.yaml, extended by --mapping); ``notes`` collects unknown words
    and warnings.

    One application may come as several records (its A and its B publication): the latest
    publication's bibliographic data wins, across chunks too, and every record's events are kept.
    """
    words = vocabulary or builtin_vocabulary()
    notes = notes if notes is not None else ImportNotes()
    for chunk in chunked_by_chars(_sized_records(path), chunk_rows):  # limits.MAX_CHUNK_CHARS a chunk
        tables: dict[str, list[dict]] = {t: [] for t in _TABLES}
        errors: list[RowError] = RowErrors()
        done: list[_Converted] = []
        for i, (row, rec) in enumerate(chunk, 1):
            if i % BEAT_ROWS == 0:
                beat()
            result = _convert(path.name, row, rec, exported, words, notes)
            if isinstance(result, list):
                errors.extend(result)
            else:
                done.append(result)
        _fill(tables, done)
        batch = Batch()
        for table, rows in tables.items():
            batch.set(table, rows)
        yield batch, errors, len(chunk)


def _fill(tables: dict[str, list[dict]], done: list[_Converted]) -> None:
    """Every record's publication, events and snapshots; one application per app_no in the chunk from
    all its records (the warehouse merges it with earlier chunks and files the same way)."""
    by_app: dict[str, list[_Converted]] = {}
    for conv in done:
        by_app.setdefault(conv.app_no, []).append(conv)
        if conv.publication:
            tables["publications"].append(conv.publication)
        for e in conv.record.events:
            tables["legal_events"].append({"app_no": conv.app_no, "event_date": e.when, "event_type": e.event_type,
                                           "raw_text": e.text, "effective_date": e.effective})
        for when, status, text in conv.record.snapshots:
            tables["status_snapshots"].append({"app_no": conv.app_no, "snapshot_date": when,
                                               "status": status, "raw_text": text, "source": SOURCE})
    for app_no, convs in by_app.items():
        _merge_application(tables, app_no, latest_first(convs, lambda c: c.pub_date))


def _merge_application(tables: dict[str, list[dict]], app_no: str, convs: list[_Converted]) -> None:
    """The latest publication's values, gaps filled from the others; parties and IPC codes whole from
    the latest record that has any (as Warehouse._merge_with_known does across chunks)."""
    application = first_filled([c.application for c in convs])
    ipcs = next((c.ipcs for c in convs if c.ipcs), [])
    application["ipc_main"] = ipcs[0] if ipcs else None
    tables["applications"].append(application)
    tables["ipc_classes"].extend({"app_no": app_no, "seq": seq, "ipc": code, "is_main": seq == 1}
                                 for seq, code in enumerate(ipcs, 1))
    granted = any(e.event_type == "granted" for c in convs for e in c.record.events)
    parties = next((c.parties for c in convs if c.parties), [])
    tables["parties"].extend({**p, "role": "patentee" if granted else "applicant"} for p in parties)
    tables["inventors"].extend(inventor_rows(app_no, next((c.inventors for c in convs if c.inventors), [])))
