"""Chinese-header patent exports (CNIPA search system, incoPat, PatSnap and similar)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

from hvpatent.ingest.appno import AppNoError, parse_appno
from hvpatent.ingest.fields import (
    classify_event,
    classify_party,
    is_grant_kind,
    normalize_name,
    parse_date,
    parse_family_member,
    parse_ipc,
    split_event,
    split_multi,
    status_event,
)
from hvpatent.ingest.readers import header_key, read_table
from hvpatent.model import Batch, RowError
from hvpatent.reference.regions import attribute

_TYPE_WORDS = (("发明", "invention"), ("实用新型", "utility_model"), ("外观", "design"),
               ("invention", "invention"), ("utility", "utility_model"), ("design", "design"))
REQUIRED = ("app_no", "filing_date")
FIELD_LABELS = {  # the header a user would recognise, for error messages
    "app_no": "申请号", "filing_date": "申请日", "patent_type": "专利类型", "title": "名称",
    "applicants": "申请(专利权)人", "ipc_main": "主分类号", "ipc_all": "分类号", "pub_date": "公开日",
    "grant_date": "授权公告日", "priority_date": "优先权日", "pct_entry_date": "PCT进入国家阶段日",
    "claims_count": "权利要求数量", "legal_status": "法律状态", "legal_status_date": "法律状态公告日",
    "legal_events": "法律事件", "family_members": "同族",
}


@dataclass
class Mapping:
    fields: dict[str, list[str]]
    sources: dict[str, list[str]] = field(default_factory=dict)

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
    return mapping


class _Rows:
    """Accumulates canonical rows and errors for one file."""

    def __init__(self, file: str, source: str):
        self.file = file
        self.source = source
        self.errors: list[RowError] = []
        self.tables: dict[str, list[dict]] = {
            t: [] for t in ("applications", "ipc_classes", "publications", "parties",
                            "legal_events", "family_members")
        }

    def error(self, row: int, fld: str, value: object, reason: str) -> None:
        label = FIELD_LABELS.get(fld, fld)
        self.errors.append(RowError(self.file, row, label, str(value)[:200], reason))


def _cell(record: dict, columns: dict[str, str], name: str) -> str:
    key = columns.get(name)
    if key is None:
        return ""
    value = record.get(key)
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def _date(out: _Rows, row: int, record: dict, columns: dict[str, str], name: str):
    try:
        return parse_date(_cell(record, columns, name))
    except ValueError as err:
        out.error(row, name, _cell(record, columns, name), str(err))
        return None


def _patent_type(text: str, fallback: str | None) -> str | None:
    for word, value in _TYPE_WORDS:
        if word in text.lower():
            return value
    return fallback


def _convert_row(out: _Rows, row: int, record: dict, cols: dict[str, str]) -> None:
    errors_before = len(out.errors)
    raw_no = _cell(record, cols, "app_no")
    try:
        appno = parse_appno(raw_no)
    except AppNoError as err:
        out.error(row, "app_no", raw_no, f"申请号无效: {err}")
        return
    app_no = appno.canonical
    filing = _date(out, row, record, cols, "filing_date")
    if filing is None and not _cell(record, cols, "filing_date"):
        out.error(row, "filing_date", "", "申请日为空")
    patent_type = _patent_type(_cell(record, cols, "patent_type"), appno.patent_type)
    if patent_type is None:
        out.error(row, "patent_type", _cell(record, cols, "patent_type"), "无法确定专利类型")
    grant = _date(out, row, record, cols, "grant_date")
    pub_date = _date(out, row, record, cols, "pub_date")
    priority = _date(out, row, record, cols, "priority_date")
    pct_entry = _date(out, row, record, cols, "pct_entry_date")

    ipcs: list[str] = []
    main_raw = _cell(record, cols, "ipc_main")
    for raw in ([main_raw] if main_raw else []) + split_multi(_cell(record, cols, "ipc_all"), ipc=True):
        try:
            code = parse_ipc(raw)
        except ValueError as err:
            out.error(row, "ipc_main" if raw == main_raw else "ipc_all", raw, str(err))
            continue
        if code not in ipcs:
            ipcs.append(code)

    claims = _cell(record, cols, "claims_count")
    claims_count = None
    if claims:
        try:
            claims_count = int(float(claims))
        except ValueError:
            out.error(row, "claims_count", claims, "权利要求数量应为整数")

    events: list[tuple] = []
    for item in split_multi(_cell(record, cols, "legal_events")):
        try:
            when, text = split_event(item)
        except ValueError as err:
            out.error(row, "legal_events", item, str(err))
            continue
        events.append((when, classify_event(text), text))
    status = _cell(record, cols, "legal_status")
    status_type = status_event(status) if status else None
    if status_type:
        when = _date(out, row, record, cols, "legal_status_date")
        if when is not None:
            events.append((when, status_type, status))
        elif not _cell(record, cols, "legal_status_date"):
            out.error(row, "legal_status_date", "", f"法律状态「{status}」缺少公告日，无法确定生效日期")

    members = []
    granted_listed = {m.strip().upper().replace(" ", "")
                      for m in split_multi(_cell(record, cols, "family_granted"))}
    for raw in split_multi(_cell(record, cols, "family_members")):
        try:
            office, number, kind = parse_family_member(raw)
        except ValueError as err:
            out.error(row, "family_members", raw, str(err))
            continue
        if office != "CN":
            members.append((office, number, is_grant_kind(office, kind) or number in granted_listed))

    if len(out.errors) > errors_before:
        return
    family_id = _cell(record, cols, "family_id") or (f"CN{app_no}" if members else None)
    out.tables["applications"].append({
        "app_no": app_no, "patent_type": patent_type, "filing_date": filing,
        "priority_date": priority, "pct_app_no": _cell(record, cols, "pct_app_no") or None,
        "pct_entry_date": pct_entry, "title": _cell(record, cols, "title") or None,
        "abstract": _cell(record, cols, "abstract") or None,
        "ipc_main": ipcs[0] if ipcs else None, "claims_count": claims_count,
        "agency": _cell(record, cols, "agency") or None, "family_id": family_id,
        "source": out.source,
    })
    for seq, code in enumerate(ipcs, 1):
        out.tables["ipc_classes"].append({"app_no": app_no, "seq": seq, "ipc": code, "is_main": seq == 1})
    address = _cell(record, cols, "applicant_address") or None
    for seq, name in enumerate(split_multi(_cell(record, cols, "applicants")), 1):
        # Exports give one address, the first applicant's; CNIPA statistics attribute by it.
        where = attribute(address if seq == 1 else None, name)
        out.tables["parties"].append({
            "app_no": app_no, "seq": seq, "role": "patentee" if grant else "applicant",
            "name": name, "name_norm": normalize_name(name), "party_type": classify_party(name),
            "address": address if seq == 1 else None, "province_code": where.province_code,
            "city_code": where.city_code, "county_code": where.county_code, "town_code": where.town_code,
        })
    pub_no = _cell(record, cols, "pub_no").upper().replace(" ", "")
    if pub_no:
        kind = pub_no[-1] if pub_no[-1].isalpha() else (pub_no[-2:] if pub_no[-2].isalpha() else None)
        out.tables["publications"].append({"pub_no": pub_no, "app_no": app_no, "kind": kind,
                                          "pub_date": pub_date})
    events.append((filing, "filed", "申请"))
    if pub_date and patent_type == "invention" and not grant:
        events.append((pub_date, "published", "公开"))
    if grant:
        events.append((grant, "granted", "授权"))
    for when, event_type, text in events:
        out.tables["legal_events"].append({"app_no": app_no, "event_date": when,
                                           "event_type": event_type, "raw_text": text})
    for office, number, granted in members:
        out.tables["family_members"].append({"family_id": family_id, "office": office,
                                             "member_no": number, "granted": granted,
                                             "grant_date": None})


def read_export(path: Path, mapping: Mapping, source: str = "auto",
                chunk_rows: int = 100_000) -> Iterator[tuple[Batch, list[RowError], int]]:
    """Yield (batch, errors, rows read) per chunk of a patent export."""
    known = mapping.known_headers()
    for frame in read_table(path, known, chunk_rows=chunk_rows):
        headers = list(frame.columns)
        cols = mapping.resolve(headers)
        missing = [FIELD_LABELS[f] for f in REQUIRED if f not in cols]
        src = mapping.detect_source(headers) if source == "auto" else source
        out = _Rows(path.name, src)
        if missing:
            out.error(int(frame.index[0]) - 1 if len(frame) else 1, "header", ", ".join(headers)[:200],
                      f"缺少必需列: {'、'.join(missing)}")
            yield Batch(), out.errors, len(frame)
            return
        for row, record in zip(frame.index, frame.to_dict("records"), strict=True):
            _convert_row(out, int(row), record, cols)
        batch = Batch()
        for table, rows in out.tables.items():
            batch.set(table, rows)
        yield batch, out.errors, len(frame)
