"""Google Patents Public Data `publications` rows, as exported from BigQuery (JSON lines or
Parquet).  One row per publication; CN rows become applications, other offices' rows become
family members of the CN applications sharing their family_id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq

from hvpatent.ingest.appno import AppNoError, parse_appno
from hvpatent.ingest.errors import FileError
from hvpatent.ingest.fields import (
    classify_party,
    is_grant_kind,
    normalize_name,
    parse_date,
    parse_ipc,
)
from hvpatent.ingest.kindcodes import cn_kind_meaning
from hvpatent.ingest.merge import first_filled
from hvpatent.model import Batch, RowError
from hvpatent.reference.regions import attribute

_KIND = {"A": "invention", "U": "utility_model", "S": "design", "F": "design"}
SIGNATURE = {"publication_number", "application_number", "country_code"}


def looks_like_google(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return set(pq.read_schema(path).names) >= SIGNATURE
    if suffix in {".jsonl", ".json", ".ndjson"}:
        with path.open(encoding="utf-8") as fh:
            first = fh.readline()
        try:
            return set(json.loads(first)) >= SIGNATURE
        except (json.JSONDecodeError, TypeError):
            return False
    return False


def _rows(path: Path, chunk_rows: int) -> Iterator[list[tuple[int, dict]]]:
    if path.suffix.lower() == ".parquet":
        start = 1
        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
            records = batch.to_pylist()
            yield list(enumerate(records, start))
            start += len(records)
        return
    chunk: list[tuple[int, dict]] = []
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                chunk.append((line_no, json.loads(line)))
            except json.JSONDecodeError as err:
                raise FileError(path.name, f"第 {line_no} 行不是有效的 JSON: {err.msg}") from err
            if len(chunk) >= chunk_rows:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _date(value: object):
    if value in (None, 0, "0", ""):
        return None
    return parse_date(str(value))


def _localized(items: object, prefer: str = "zh") -> str | None:
    if not items:
        return None
    best = next((i for i in items if i.get("language") == prefer), items[0])
    return best.get("text")


def read_publications(path: Path, chunk_rows: int = 200_000
                      ) -> Iterator[tuple[Batch, list[RowError], int]]:
    for chunk in _rows(path, chunk_rows):
        tables: dict[str, list[dict]] = {t: [] for t in (
            "applications", "ipc_classes", "publications", "parties", "legal_events", "family_members")}
        errors: list[RowError] = []
        # One application has several publications (A, then B): the latest one's
        # bibliographic data wins, and every publication's events are kept.
        ordered = sorted(chunk, key=lambda item: str(item[1].get("publication_date") or ""))
        for line_no, rec in ordered:
            _convert(path.name, line_no, rec, tables, errors)
        errors.sort(key=lambda e: e.row)
        batch = Batch()
        _merge_publications(tables)
        for table, rows in tables.items():
            batch.set(table, rows)
        yield batch, errors, len(chunk)


def _merge_publications(tables: dict[str, list[dict]]) -> None:
    """One application per app_no: the latest publication's values, gaps filled from earlier ones;
    parties and IPC codes from the latest publication that has any."""
    entries: dict[str, list[dict]] = {}
    for row in tables["applications"]:
        entries.setdefault(row["app_no"], []).append(row)
    merged = {app_no: first_filled(rows[::-1]) for app_no, rows in entries.items()}
    tables["applications"] = [{k: v for k, v in row.items() if k != "_entry"} for row in merged.values()]
    for table in ("ipc_classes", "parties"):
        chosen: dict[str, int] = {}
        for row in tables[table]:
            chosen[row["app_no"]] = max(chosen.get(row["app_no"], -1), row["_entry"])
        tables[table] = [{k: v for k, v in r.items() if k != "_entry"} for r in tables[table]
                         if r["_entry"] == chosen[r["app_no"]]]


def _convert(file: str, line: int, rec: dict, tables: dict[str, list[dict]], errors: list[RowError]) -> None:
    country = (rec.get("country_code") or "").upper()
    pub_no = rec.get("publication_number") or ""
    kind = rec.get("kind_code") or (pub_no.rsplit("-", 1)[-1] if "-" in pub_no else None)
    family_id = str(rec.get("family_id") or "") or None
    try:
        filing = _date(rec.get("filing_date"))
        grant = _date(rec.get("grant_date"))
        pub_date = _date(rec.get("publication_date"))
        priority = _date(rec.get("priority_date"))
    except ValueError as err:
        errors.append(RowError(file, line, "date", str(rec.get("filing_date")), str(err)))
        return
    if country != "CN":
        if family_id:
            granted = bool(grant) or is_grant_kind(country, kind)
            tables["family_members"].append({"family_id": family_id, "office": country,
                                             "member_no": pub_no, "granted": granted,
                                             "grant_date": grant})
        return
    try:
        appno = parse_appno(rec.get("application_number"))
    except AppNoError as err:
        errors.append(RowError(file, line, "application_number", str(rec.get("application_number")), str(err)))
        return
    if filing is None:
        errors.append(RowError(file, line, "filing_date", str(rec.get("filing_date")), "申请日为空"))
        return
    app_no = appno.canonical
    entry = len(tables["applications"])  # lets the caller keep only the latest publication's rows
    ipcs: list[str] = []
    for item in sorted(rec.get("ipc") or [], key=lambda i: not i.get("first")):
        try:
            code = parse_ipc(item.get("code", ""))
        except ValueError as err:
            errors.append(RowError(file, line, "ipc", str(item.get("code")), str(err)))
            return
        if code not in ipcs:
            ipcs.append(code)
    meaning = cn_kind_meaning(kind, pub_date)
    if meaning.is_grant and pub_date:  # a CN grant-stage kind code (kindcodes.py): its publication is the grant
        grant = grant or pub_date
    tables["applications"].append({
        "app_no": app_no,
        "patent_type": _KIND.get(rec.get("application_kind") or "") or meaning.patent_type or appno.patent_type,
        "filing_date": filing, "priority_date": priority,
        "pct_app_no": rec.get("pct_number") or None, "pct_entry_date": None,
        "title": _localized(rec.get("title_localized")),
        "abstract": _localized(rec.get("abstract_localized")),
        "ipc_main": ipcs[0] if ipcs else None, "claims_count": None, "agency": None,
        "family_id": family_id, "source": "google", "_entry": entry,
    })
    for seq, code in enumerate(ipcs, 1):
        tables["ipc_classes"].append({"app_no": app_no, "seq": seq, "ipc": code, "is_main": seq == 1,
                                      "_entry": entry})
    names = [a.get("name") for a in rec.get("assignee_harmonized") or [] if a.get("name")]
    names = names or list(rec.get("assignee") or [])
    for seq, name in enumerate(names, 1):
        where = attribute(None, name)
        tables["parties"].append({
            "app_no": app_no, "seq": seq, "role": "patentee" if grant else "applicant",
            "name": name, "name_norm": normalize_name(name), "party_type": classify_party(name),
            "address": None, "province_code": where.province_code, "city_code": where.city_code,
            "county_code": where.county_code, "town_code": where.town_code, "town_source": where.town_source,
            "_entry": entry,
        })
    tables["publications"].append({"pub_no": pub_no, "app_no": app_no, "kind": kind, "pub_date": pub_date})
    tables["legal_events"].append({"app_no": app_no, "event_date": filing, "event_type": "filed",
                                   "raw_text": "申请"})
    if grant:
        tables["legal_events"].append({"app_no": app_no, "event_date": grant, "event_type": "granted",
                                       "raw_text": f"授权 {pub_no}"})
    elif pub_date and meaning.stage != "correction":
        tables["legal_events"].append({"app_no": app_no, "event_date": pub_date,
                                       "event_type": "published", "raw_text": f"公开 {pub_no}"})
