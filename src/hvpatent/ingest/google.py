"""Google Patents Public Data `publications` rows, as exported from BigQuery (JSON lines or
Parquet).  One row per publication; CN rows become applications, other offices' rows become
family members of the CN applications sharing their family_id."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hvpatent.ingest.appno import AppNoError, parse_appno
from hvpatent.ingest.citations import MAX_CITATIONS_PER_CELL, citation_rows, normalise_cited
from hvpatent.ingest.errors import FileError, RowErrors
from hvpatent.ingest.fields import (
    classify_party,
    is_grant_kind,
    normalize_name,
    parse_date,
    parse_ipc,
)
from hvpatent.ingest.heartbeat import BEAT_ROWS, beat
from hvpatent.ingest.inventors import check_names, inventor_rows
from hvpatent.ingest.kindcodes import cn_kind_meaning
from hvpatent.ingest.limits import (
    MAX_CELL_CHARS,
    MAX_COMPRESSION_RATIO,
    MAX_ROWS,
    PARQUET_BATCH_ROWS,
    PARQUET_GRACE_CHARS,
)
from hvpatent.ingest.merge import first_filled, latest_first
from hvpatent.ingest.readers import chunked_by_chars, control_errors, json_lines
from hvpatent.model import Batch, RowError
from hvpatent.reference.countries import locate

_KIND = {"A": "invention", "U": "utility_model", "S": "design", "F": "design"}
SIGNATURE = {"publication_number", "application_number", "country_code"}
_TABLES = ("applications", "ipc_classes", "publications", "parties", "legal_events", "family_members",
           "citations", "inventors")


def looks_like_google(path: Path) -> bool:
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return set(pq.read_schema(path).names) >= SIGNATURE
        if suffix in {".jsonl", ".json", ".ndjson"}:
            with closing(json_lines(path)) as lines:
                first = next(lines, (0, None))[1]
            return isinstance(first, dict) and set(first) >= SIGNATURE
    except (FileError, pa.ArrowException, OSError):
        return False  # not this format; the importer that takes it says what is wrong
    return False


def check_parquet(path: Path) -> None:
    """A .parquet must be Google Patents rows: random bytes, a truncated file or another table is a
    FileError saying which."""
    try:
        names = set(pq.read_schema(path).names)
    except (pa.ArrowException, OSError) as err:
        raise FileError(path.name, f"不是有效的 Parquet 文件（{str(err).splitlines()[0] if str(err) else '无法读取'}）"
                                   " / not a valid Parquet file (damaged or truncated)") from None
    missing = sorted(SIGNATURE - names)
    if missing:
        raise FileError(path.name, f"Parquet 文件缺少 Google Patents 字段 {', '.join(missing)}"
                                   f" / the Parquet file lacks the Google Patents columns {', '.join(missing)}")


#: The columns _convert reads: a Parquet file is read for these only (a row's description and claims,
#: often most of its bytes, are never decoded).
_COLUMNS = ("publication_number", "application_number", "country_code", "kind_code", "family_id", "filing_date",
            "grant_date", "publication_date", "priority_date", "title_localized", "abstract_localized",
            "application_kind", "pct_number", "assignee_harmonized", "assignee", "ipc", "citation")


def _records(path: Path) -> Iterator[tuple[tuple[int, object], int]]:
    """((row number, record), characters): the line of a JSON-lines file (at most
    limits.MAX_JSON_LINE_CHARS), the row of a Parquet file."""
    if path.suffix.lower() != ".parquet":
        for line_no, record, chars in json_lines(path, sizes=True):
            yield (line_no, record), chars
        return
    try:
        yield from _parquet_records(path)
    except (pa.ArrowException, OSError) as err:
        raise FileError(path.name, f"无法读取 Parquet 文件：{str(err).splitlines()[0]}") from None


def _parquet_records(path: Path) -> Iterator[tuple[tuple[int, object], int]]:
    """The rows of a Parquet file, PARQUET_BATCH_ROWS at a time.  Before a batch becomes Python values
    its text is measured from Arrow's buffers, dictionary-encoded values kept encoded (a dictionary
    bomb: a million rows pointing to one long string): no value longer than MAX_CELL_CHARS, and all the
    text read at most MAX_COMPRESSION_RATIO times the file's size (PARQUET_GRACE_CHARS for a small file).
    More rows than MAX_ROWS are refused from the file's footer."""
    meta = pq.ParquetFile(path).metadata
    if meta.num_rows > MAX_ROWS:
        raise FileError(path.name, f"Parquet 文件有 {meta.num_rows:,} 行，超过 {MAX_ROWS:,} 行的上限"
                                   f" / the Parquet file has {meta.num_rows:,} rows, over the limit of {MAX_ROWS:,}")
    names = set(pq.read_schema(path).names)
    columns = [c for c in _COLUMNS if c in names]
    text_leaves = [meta.schema.column(i).path for i in range(meta.num_columns)
                   if meta.schema.column(i).physical_type in ("BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY")
                   and meta.schema.column(i).path.split(".")[0] in columns]
    budget = max(MAX_COMPRESSION_RATIO * path.stat().st_size, PARQUET_GRACE_CHARS)
    read = 0
    row = 0
    for batch in pq.ParquetFile(path, read_dictionary=text_leaves).iter_batches(
            batch_size=PARQUET_BATCH_ROWS, columns=columns):
        beat()  # a batch of PARQUET_BATCH_ROWS rows: a beat each
        first, last = row + 1, row + batch.num_rows
        chars = 0
        for name, column in zip(batch.schema.names, batch.columns, strict=True):
            longest, total = _text_size(column)
            if longest > MAX_CELL_CHARS:
                raise FileError(path.name, f"第 {first:,}–{last:,} 行的「{name}」有 {longest:,} 个字符的值，"
                                           f"超过单元格上限 {MAX_CELL_CHARS:,} / rows {first:,}–{last:,}: "
                                           f"a value of {name} has {longest:,} characters, over the limit of "
                                           f"{MAX_CELL_CHARS:,}")
            chars += total
        read += chars
        if read > budget:
            raise FileError(path.name, f"Parquet 文件读到第 {last:,} 行时文本已超过 {read:,} 个字符，"
                                       f"是文件大小的 {MAX_COMPRESSION_RATIO} 倍以上（字典炸弹？）"
                                       f" / by row {last:,} the Parquet file's text passes {MAX_COMPRESSION_RATIO}"
                                       " times its size (a dictionary bomb?)")
        each = chars // max(batch.num_rows, 1)
        for record in batch.to_pylist():
            row += 1
            yield (row, record), each


def _text_size(array: pa.Array | pa.ChunkedArray) -> tuple[int, int]:
    """(longest value, all characters) of the strings in ``array``, at any depth of lists and structs;
    a dictionary-encoded column is measured as its values would be decoded, without decoding them."""
    if isinstance(array, pa.ChunkedArray):
        sizes = [_text_size(chunk) for chunk in array.chunks]
        return max((s[0] for s in sizes), default=0), sum(s[1] for s in sizes)
    kind = array.type
    if pa.types.is_dictionary(kind):
        lengths = _lengths(array.dictionary)
        if lengths is None:
            return _text_size(array.dictionary)
        used = pc.take(lengths, array.indices)
        return int(pc.max(used).as_py() or 0), int(pc.sum(used).as_py() or 0)
    lengths = _lengths(array)
    if lengths is not None:
        return int(pc.max(lengths).as_py() or 0), int(pc.sum(lengths).as_py() or 0)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_map(kind):
        return _text_size(array.flatten())
    if pa.types.is_struct(kind):
        sizes = [_text_size(field) for field in array.flatten()]
        return max((s[0] for s in sizes), default=0), sum(s[1] for s in sizes)
    return 0, 0


def _lengths(array: pa.Array) -> pa.Array | None:
    """Characters (bytes for binary) of each value of a string array, else None."""
    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return pc.utf8_length(array)
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
        return pc.binary_length(array)
    return None



def _date(value: object):
    if value in (None, 0, "0", ""):
        return None
    return parse_date(str(value))


def _localized(items: object, prefer: str = "zh") -> str | None:
    entries = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    if not entries:
        return None
    best = next((i for i in entries if i.get("language") == prefer), entries[0])
    return best.get("text") or None


@dataclass
class _Publication:
    """One CN publication row: its share of the application, and its own publication and events."""

    app_no: str
    pub_date: date | None
    application: dict
    ipcs: list[str]
    names: list[str]
    publication: dict
    events: list[dict]
    countries: dict[str, str] = field(default_factory=dict)  # assignee name -> country the source states
    cited: list[str] = field(default_factory=list)  # the publications its `citation` list names
    inventors: list[str] = field(default_factory=list)  # inventor_harmonized[].name, else inventor[]


def read_publications(path: Path, chunk_rows: int = 200_000
                      ) -> Iterator[tuple[Batch, list[RowError], int]]:
    for chunk in chunked_by_chars(_records(path), chunk_rows):  # and limits.MAX_CHUNK_CHARS
        tables: dict[str, list[dict]] = {t: [] for t in _TABLES}
        errors: list[RowError] = RowErrors()  # the first MAX_ROW_ERRORS, all counted
        by_app: dict[str, list[_Publication]] = {}
        for i, (line_no, rec) in enumerate(chunk, 1):
            if i % BEAT_ROWS == 0:
                beat()
            pub = _convert(path.name, line_no, rec, tables, errors)
            if pub is not None:
                by_app.setdefault(pub.app_no, []).append(pub)
        for i, (app_no, pubs) in enumerate(by_app.items(), 1):
            if i % BEAT_ROWS == 0:
                beat()
            _merge(tables, app_no, latest_first(pubs, lambda p: p.pub_date))
        batch = Batch()
        for table, rows in tables.items():
            batch.set(table, rows)
        yield batch, errors, len(chunk)


def _merge(tables: dict[str, list[dict]], app_no: str, pubs: list[_Publication]) -> None:
    """One application from its publications, latest first: the latest one's values, gaps filled from
    earlier ones; parties and IPC codes from the latest publication that has any; every publication
    and event kept."""
    application = first_filled([p.application for p in pubs])
    ipcs = next((p.ipcs for p in pubs if p.ipcs), [])
    application["ipc_main"] = ipcs[0] if ipcs else None
    tables["applications"].append(application)
    for seq, code in enumerate(ipcs, 1):
        tables["ipc_classes"].append({"app_no": app_no, "seq": seq, "ipc": code, "is_main": seq == 1})
    granted = any(e["event_type"] == "granted" for p in pubs for e in p.events)
    named = next((p for p in pubs if p.names), None)
    names, countries = (named.names, named.countries) if named else ([], {})
    for seq, name in enumerate(names, 1):
        where, country = locate(None, name, countries.get(name))  # a stated country abroad: not placed by name
        tables["parties"].append({
            "app_no": app_no, "seq": seq, "role": "patentee" if granted else "applicant",
            "name": name, "name_norm": normalize_name(name), "party_type": classify_party(name),
            "address": None, "province_code": where.province_code, "city_code": where.city_code,
            "county_code": where.county_code, "town_code": where.town_code, "town_source": where.town_source,
            "country": country,
        })
    for p in pubs:
        tables["publications"].append(p.publication)
        tables["legal_events"].extend(p.events)
    tables["citations"].extend(citation_rows(app_no, [no for p in pubs for no in p.cited], "google"))
    with_inventors = next((p for p in pubs if p.inventors), None)
    if with_inventors:
        tables["inventors"].extend(inventor_rows(app_no, with_inventors.inventors))


def _dates(file: str, line: int, rec: dict, errors: list[RowError]) -> dict[str, date | None] | None:
    dates = {}
    for key in ("filing_date", "grant_date", "publication_date", "priority_date"):
        try:
            dates[key] = _date(rec.get(key))
        except ValueError as err:
            errors.append(RowError(file, line, key, str(rec.get(key)), str(err)))
            return None
    return dates


def _convert(file: str, line: int, rec: object, tables: dict[str, list[dict]],
             errors: list[RowError]) -> _Publication | None:
    if not isinstance(rec, dict):
        errors.append(RowError(file, line, "record", str(rec)[:200], "记录应为 JSON 对象"))
        return None
    refused = control_errors(file, line, rec)
    if refused:  # NUL and other control characters never reach the warehouse (nor its xlsx exports)
        errors.extend(refused)
        return None
    country = str(rec.get("country_code") or "").upper()
    pub_no = str(rec.get("publication_number") or "")
    kind = rec.get("kind_code") or (pub_no.rsplit("-", 1)[-1] if "-" in pub_no else None)
    family_id = str(rec.get("family_id") or "") or None
    dates = _dates(file, line, rec, errors)
    if dates is None:
        return None
    filing, grant, pub_date = dates["filing_date"], dates["grant_date"], dates["publication_date"]
    if country != "CN":
        if family_id:
            granted = bool(grant) or is_grant_kind(country, kind)
            tables["family_members"].append({"family_id": family_id, "office": country,
                                             "member_no": pub_no, "granted": granted,
                                             "grant_date": grant})
        return None
    try:
        appno = parse_appno(rec.get("application_number"))
    except AppNoError as err:
        errors.append(RowError(file, line, "application_number", str(rec.get("application_number")), str(err)))
        return None
    if filing is None:
        errors.append(RowError(file, line, "filing_date", str(rec.get("filing_date")), "申请日为空"))
        return None
    ipcs = _ipcs(file, line, rec, errors)
    cited = _cited(file, line, rec, errors)
    inventors = _inventors(file, line, rec, errors)
    if ipcs is None or cited is None or inventors is None:
        return None
    app_no = appno.canonical
    meaning = cn_kind_meaning(kind, pub_date)
    if meaning.is_grant and pub_date:  # a CN grant-stage kind code (kindcodes.py): its publication is the grant
        grant = grant or pub_date
    application = {
        "app_no": app_no,
        "patent_type": _KIND.get(rec.get("application_kind") or "") or meaning.patent_type or appno.patent_type,
        "filing_date": filing, "priority_date": dates["priority_date"],
        "pct_app_no": rec.get("pct_number") or None, "pct_entry_date": None,
        "title": _localized(rec.get("title_localized")),
        "abstract": _localized(rec.get("abstract_localized")),
        "ipc_main": ipcs[0] if ipcs else None, "claims_count": None, "agency": None,
        "family_id": family_id, "source": "google",
    }
    names = [a.get("name") for a in rec.get("assignee_harmonized") or [] if isinstance(a, dict) and a.get("name")]
    assignees = rec.get("assignee") or []
    names = names or [str(n) for n in ([assignees] if isinstance(assignees, str) else assignees) if n]
    countries = {a["name"]: str(a["country_code"]) for a in rec.get("assignee_harmonized") or []
                 if isinstance(a, dict) and a.get("name") and a.get("country_code")}
    events = [{"app_no": app_no, "event_date": filing, "event_type": "filed", "raw_text": "申请"}]
    if grant:
        events.append({"app_no": app_no, "event_date": grant, "event_type": "granted", "raw_text": f"授权 {pub_no}"})
    elif pub_date and meaning.stage != "correction":
        events.append({"app_no": app_no, "event_date": pub_date, "event_type": "published",
                       "raw_text": f"公开 {pub_no}"})
    publication = {"pub_no": pub_no, "app_no": app_no, "kind": kind, "pub_date": pub_date}
    return _Publication(app_no, pub_date, application, ipcs, names, publication, events, countries, cited,
                        inventors)


def _inventors(file: str, line: int, rec: dict, errors: list[RowError]) -> list[str] | None:
    """The row's inventors: inventor_harmonized (objects with name, country_code), else inventor (a list of
    names); None after an error (a list over the limits of ingest/inventors.py)."""
    harmonized = rec.get("inventor_harmonized") or []
    field_name, items = "inventor_harmonized", harmonized
    names = [str(i.get("name")) for i in harmonized if isinstance(i, dict) and i.get("name")] \
        if isinstance(harmonized, list) else []
    if not names:
        field_name, items = "inventor", rec.get("inventor") or []
        names = [items] if isinstance(items, str) else [str(n) for n in items if n] if isinstance(items, list) else []
    try:
        return check_names(names)
    except ValueError as err:
        errors.append(RowError(file, line, field_name, str(items)[:200], str(err)))
        return None


def _cited(file: str, line: int, rec: dict, errors: list[RowError]) -> list[str] | None:
    """The publication numbers of the row's `citation` list (objects with publication_number; entries
    without one cite non-patent literature and are left out); None after an error for a number that is
    no patent number."""
    items = rec.get("citation") or []
    if not isinstance(items, list):
        errors.append(RowError(file, line, "citation", str(items)[:200], "citation 应为对象列表 / should be a list"))
        return None
    if len(items) > MAX_CITATIONS_PER_CELL:
        errors.append(RowError(file, line, "citation", f"{len(items):,} items",
                               f"引证专利超过 {MAX_CITATIONS_PER_CELL:,} 件 / more than {MAX_CITATIONS_PER_CELL:,}"
                               " cited documents"))
        return None
    cited = []
    for item in items:
        number = item.get("publication_number") if isinstance(item, dict) else item
        if not number:
            continue
        try:
            cited.append(normalise_cited(str(number)))
        except ValueError as err:
            errors.append(RowError(file, line, "citation", str(number)[:200], str(err)))
            return None
    return cited


def _ipcs(file: str, line: int, rec: dict, errors: list[RowError]) -> list[str] | None:
    ipcs: list[str] = []
    items = [i for i in rec.get("ipc") or [] if isinstance(i, dict)]
    for item in sorted(items, key=lambda i: not i.get("first")):
        try:
            code = parse_ipc(str(item.get("code", "")))
        except ValueError as err:
            errors.append(RowError(file, line, "ipc", str(item.get("code")), str(err)))
            return None
        if code not in ipcs:
            ipcs.append(code)
    return ipcs
