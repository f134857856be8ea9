"""Trademark records in the shapes bureaus receive them (docs/importing.md, "Trademark records").

- ``cnipa``: the trademark office's search (中国商标网 商标综合查询 / 商标详情): 注册号/申请号, 国际分类(号),
  申请日期, 商标名称, 申请人名称(中文), 申请人地址(中文), 初审公告期号/日期, 注册公告期号/日期, 专用权期限
  ("2015年03月14日 至 2025年03月13日"), 商标类型, 国际注册日期, 后期指定日期, 代理/办理机构, 类似群 and
  商标流程 (process lines "业务---环节---[结论---]日期", separated by ；).
- ``commercial``: 企查查 / 天眼查 / 权大师 style exports: a title row above the header (导出时间：…), 序号,
  商标名称, 注册号, 国际分类 ("第9类 科学仪器" or "9"), 商标状态, 申请日期, 申请人, 代理机构, 初审/注册公告日期,
  专用权期限 (or its start and end in two columns), 商标类型.
- ``changes``: a change-record file (注册号, 国际分类, 变更事项, 变更日期, 变更前, 变更后): events only.

One row per registration number and Nice class (a multi-class row "9;35;42" becomes three); the events of
the row (its dated columns, its process lines) go with each class.  Headers, mark types and the process
vocabulary are data (trademark_fields.yaml).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from itertools import chain, islice, pairwise
from pathlib import Path

import yaml

from hvpatent.ingest.errors import FileError, RowErrors, error_rows
from hvpatent.ingest.fields import (
    classify_party,
    fold_words,
    normalize_name,
    parse_date,
    printable,
    split_multi,
    years_after,
)
from hvpatent.ingest.heartbeat import BEAT_ROWS, beat
from hvpatent.ingest.notes import ImportNotes
from hvpatent.ingest.readers import (
    _excel_text,
    _first_line,
    _openpyxl_workbook,
    check_xlsx,
    control_character,
    control_reason,
    file_export_date,
    find_header_row,
    header_key,
    peek_headers,
    read_rows,
)
from hvpatent.model import MARK_KINDS, TRADEMARK_EVENT_TYPES, Batch, RowError

__all__ = ["TrademarkFields", "looks_like_trademarks", "read_trademarks", "trademark_fields", "trademark_shape"]

SUFFIXES = {".xlsx", ".xls", ".csv", ".xlsm", ".txt"}
_REG_NO = re.compile(r"^(G?)(\d{1,9})$")
_NICE = re.compile(r"^(?:第\s*)?(\d{1,2})(?:\s*类)?(?:\D.*)?$")
_TERM_SPLIT = re.compile(r"\s*(?:至|到|~|～|—+|--+|\s-\s)\s*")
_PROCESS_ITEMS = re.compile(r"\s*[;；\n]\s*")
_PROCESS_PARTS = re.compile(r"\s*(?:-{2,}|—+|－{2,}|\|)\s*")
_ANY_DATE = re.compile(r"(?<!\d)(\d{4}[-./年]\d{1,2}[-./月]\d{1,2}日?)(?!\d)")
_CONCLUSIONS = {"结束", "完成", "进行中"}
_MAX_TEXT = 2_000  # a name or an address longer than this is not one
_TERM_TOLERANCE = 31  # days: a 专用权期限 is 10 years (or a multiple, after renewals) within a month


@dataclass(frozen=True)
class TrademarkFields:
    """trademark_fields.yaml, read once: header synonyms (folded), shapes, mark types and the event rules."""

    headers: dict[str, tuple[str, ...]]
    shapes: dict[str, tuple[str, ...]]
    mark_types: tuple[tuple[str, str], ...]
    gi_words: tuple[str, ...]
    madrid_words: tuple[str, ...]
    yes_words: frozenset[str]
    rules: tuple[tuple[tuple[str, ...], str, bool], ...]
    records: dict[str, str] = field(default_factory=dict)  # a change record's bare item (folded) -> event type
    _memo: dict[str, tuple[str, bool]] = field(default_factory=dict, compare=False, repr=False)

    def known(self) -> set[str]:
        return {h for synonyms in self.headers.values() for h in synonyms}

    def resolve(self, columns: list[str]) -> dict[str, int]:
        """Canonical field -> position of its column; the first synonym present wins."""
        where = {c: i for i, c in reversed(list(enumerate(columns)))}
        found: dict[str, int] = {}
        for name, synonyms in self.headers.items():
            for synonym in synonyms:
                if synonym in where:
                    found[name] = where[synonym]
                    break
        return found

    def match(self, text: str) -> tuple[str, bool]:
        """(event type, whether a rule knew the words); unknown words give ('other', False), and so does a rule
        marked ``known: false`` (a step of a proceeding that is not its outcome: stored as other, listed)."""
        found = self._memo.get(text)
        if found is None:
            folded = fold_words(text)
            found = next(((t, known) for words, t, known in self.rules if all(w in folded for w in words)),
                         ("other", False))
            if len(self._memo) > 65_536:
                self._memo.clear()
            self._memo[text] = found
        return found

    def match_record(self, item: str) -> tuple[str, bool]:
        """A change record's 变更事项: a bare business name ("商标续展") is the change made (``records``); any
        other item goes through the process rules."""
        found = self.records.get(fold_words(item))
        return (found, True) if found is not None else self.match(item)


@lru_cache(maxsize=1)
def trademark_fields() -> TrademarkFields:
    data = yaml.safe_load(resources.files(__package__).joinpath("trademark_fields.yaml").read_text(encoding="utf-8"))
    headers = {name: tuple(header_key(h) for h in synonyms) for name, synonyms in data["headers"].items()}
    rules = []
    for rule in data["rules"]:
        if rule["type"] not in TRADEMARK_EVENT_TYPES:
            raise ValueError(f"trademark_fields.yaml: unknown event type {rule['type']}")
        rules.append((tuple(fold_words(str(w)) for w in rule["words"]), rule["type"], bool(rule.get("known", True))))
    records = {fold_words(str(item)): event_type for event_type, items in (data.get("records") or {}).items()
               for item in items}
    if any(t not in TRADEMARK_EVENT_TYPES for t in records.values()):
        raise ValueError("trademark_fields.yaml: a change record names an unknown event type")
    kinds = tuple((str(m["word"]), str(m["kind"])) for m in data["mark_types"])
    if any(kind not in MARK_KINDS for _, kind in kinds):
        raise ValueError("trademark_fields.yaml: a mark type names an unknown kind")
    return TrademarkFields(
        headers, {shape: tuple(header_key(h) for h in keys) for shape, keys in data["shapes"].items()}, kinds,
        tuple(data["gi_words"]), tuple(data["madrid_words"]),
        frozenset(str(w).upper() for w in data["yes_words"]), tuple(rules), records)


def trademark_shape(headers: list[str]) -> str | None:
    """cnipa | commercial | changes for the header keys of a trademark file, None for anything else.  A
    trademark file has a registration number and a Nice class (a change-record file: a registration number
    named 注册号 and a change item)."""
    tf = trademark_fields()
    cols = tf.resolve(headers)
    present = set(headers)
    if "reg_no" not in cols:
        return None
    if "nice_class" not in cols and not ("change_item" in cols and header_key("注册号") in present):
        return None
    for shape, keys in tf.shapes.items():
        if any(k in cols or k in present for k in keys):
            if shape == "changes" and "mark_name" in cols:
                continue  # a record file that also lists its process: not a change file
            return shape
    return "cnipa"


def looks_like_trademarks(path: Path) -> bool:
    if path.suffix.lower() not in SUFFIXES:
        return False
    return trademark_shape(peek_headers(path, trademark_fields().known())) is not None


# -- one row ---------------------------------------------------------------------------


@dataclass
class _Row:
    file: str
    row: int
    cells: list[str]
    cols: dict[str, int]
    labels: list[str]
    errors: list[RowError] = field(default_factory=list)

    def raw(self, name: str) -> str:
        i = self.cols.get(name)
        if i is None or i >= len(self.cells):
            return ""
        value = self.cells[i].strip()
        return "" if value.lower() in {"nan", "none", "-", "--", "无", "/"} else value

    def label(self, name: str) -> str:
        i = self.cols.get(name)
        return self.labels[i] if i is not None and i < len(self.labels) else name

    def error(self, name: str, value: str, reason: str) -> None:
        self.errors.append(RowError(self.file, self.row, self.label(name), value[:200], reason))

    def date(self, name: str) -> date | None:
        raw = self.raw(name)
        try:
            return parse_date(raw)
        except ValueError as err:
            self.error(name, raw, str(err))
            return None

    def text(self, name: str) -> str | None:
        raw = self.raw(name)
        if len(raw) > _MAX_TEXT:
            self.error(name, raw, f"内容过长（{len(raw):,} 个字符，上限 {_MAX_TEXT:,}）")
            return None
        return raw or None


def _reg_no(row: _Row) -> str | None:
    raw = row.raw("reg_no")
    text = re.sub(r"\s+", "", raw).upper()
    if re.fullmatch(r"\d+\.0", text):
        text = text[:-2]  # a number a spreadsheet stored as a float
    if not text:
        row.error("reg_no", raw, "注册号为空")
        return None
    if not _REG_NO.match(text):
        row.error("reg_no", raw, "不是有效的商标注册号（应为1至9位数字，马德里国际注册为 G 加数字）")
        return None
    return text


def _classes(row: _Row) -> list[int]:
    raw = row.raw("nice_class")
    if not raw:
        row.error("nice_class", raw, "国际分类为空")
        return []
    found: list[int] = []
    for part in split_multi(raw.replace(",", ";").replace("，", ";").replace("、", ";")):
        m = _NICE.match(part)
        number = int(m.group(1)) if m else 0
        if not 1 <= number <= 45:
            row.error("nice_class", raw, f"国际分类「{part}」无效（应为第1至45类）")
            return []
        if number not in found:
            found.append(number)
    return found


def _term(row: _Row) -> tuple[date | None, date | None]:
    start, end = row.date("term_start"), row.date("term_end")
    raw = row.raw("term")
    if raw:
        parts = [p for p in _TERM_SPLIT.split(raw) if p]
        if len(parts) != 2:
            row.error("term", raw, "专用权期限应为「起始日 至 截止日」")
            return start, end
        try:
            start, end = parse_date(parts[0]), parse_date(parts[1])
        except ValueError as err:
            row.error("term", raw, f"专用权期限的日期无效：{err}")
            return None, None
    return start, end


def _tens_of_years(start: date, end: date) -> bool:
    """Whether start..end is a 10-year term (or k terms, after renewals): end = start - 1 day + 10k years."""
    return any(abs((years_after(start - timedelta(days=1), 10 * k) - end).days) <= _TERM_TOLERANCE
               for k in range(1, 11))


def _check_order(row: _Row, dates: list[tuple[str, date | None]]) -> None:
    """filing ≤ preliminary approval ≤ registration ≤ term end."""
    seen = [(name, d) for name, d in dates if d is not None]
    for (first, a), (second, b) in pairwise(seen):
        if b < a:
            row.error(second, b.isoformat(), f"{row.label(second)} {b} 早于{row.label(first)} {a}")


def _kind(row: _Row, tf: TrademarkFields) -> tuple[str, bool, bool] | None:
    """(mark kind, is_gi, is_madrid) from 商标类型, the name, the registration number and Madrid dates."""
    raw = row.raw("mark_type")
    kind = next((k for word, k in tf.mark_types if word in raw), None) if raw else "ordinary"
    if kind is None:
        row.error("mark_type", raw, "无法识别的商标类型（应为 普通商标/集体商标/证明商标/特殊商标）")
        return None
    name = row.raw("mark_name")
    gi_flag = row.raw("gi").upper()
    is_gi = any(w in raw or w in name for w in tf.gi_words) or gi_flag in tf.yes_words
    is_madrid = (row.raw("reg_no").strip().upper().startswith("G") or any(w in raw for w in tf.madrid_words)
                 or bool(row.raw("intl_reg_date")) or bool(row.raw("later_designation_date")))
    return kind, is_gi, is_madrid


@lru_cache(maxsize=65_536)  # exports repeat the same owner and address on every class and mark
def _place(address: str | None, owner: str) -> tuple:
    from hvpatent.reference.countries import locate

    where, country = locate(address, owner)
    return (where.province_code, where.city_code, where.county_code, where.town_code, where.town_source, country)


@dataclass
class _Event:
    when: date
    event_type: str
    text: str
    effective: date | None = None
    detail: str | None = None


def _process(row: _Row, tf: TrademarkFields, notes: ImportNotes) -> list[_Event]:
    """商标流程 lines → events; a 注销 (cancelled on request) takes effect the day its request was received
    (Implementing Regulations art. 73): the latest 注销 申请收文 line not after it."""
    raw = row.raw("process")
    events: list[_Event] = []
    receipts: list[tuple[date, str]] = []
    for item in _PROCESS_ITEMS.split(raw) if raw else []:
        if not item.strip():
            continue
        dates = list(_ANY_DATE.finditer(item))
        when = None
        if dates:
            try:
                when = parse_date(dates[-1].group(1))
            except ValueError as err:
                row.error("process", item, f"流程日期无效：{err}")
                continue
            item_words = item[: dates[-1].start()] + " " + item[dates[-1].end():]
        else:
            item_words = item
        parts = [p for p in _PROCESS_PARTS.split(item_words.strip(" -—")) if p and p.strip() not in _CONCLUSIONS]
        text = "---".join(p.strip() for p in parts)
        if when is None or not text:
            row.error("process", item, "商标流程条目缺少日期或内容（应为「业务---环节---日期」）")
            continue
        event_type, known = tf.match(text)
        if not known:
            notes.unknown_events[text[:40]] += 1
        if "注销" in text and "申请收文" in text:
            receipts.append((when, text))
        events.append(_Event(when, event_type, text))
    for e in events:
        if e.event_type == "cancelled_request":
            before = [d for d, _ in receipts if d <= e.when]
            e.effective = max(before) if before else None
    return events


def _similar(groups: list[str], nice: int, multi: bool) -> str | None:
    """类似群 codes of one class: a code's first two digits are its class (0901 → class 9)."""
    if not groups:
        return None
    mine = [g for g in groups if g[:2] == f"{nice:02d}"] if multi else groups
    return "；".join(mine or groups)


@dataclass
class _Converted:
    marks: list[dict]
    events: list[dict]


def _convert(row: _Row, shape: str, exported: date | None, tf: TrademarkFields, notes: ImportNotes
             ) -> _Converted | None:
    reg_no = _reg_no(row)
    classes = _classes(row)
    if shape == "changes":
        return _change(row, reg_no, classes, tf, notes)
    owner_raw = row.text("owner")
    owner = split_multi(owner_raw)[0] if owner_raw and split_multi(owner_raw) else None
    if owner is None and not row.raw("owner"):
        row.error("owner", "", "申请人（注册人）为空")
    address_raw = row.text("address")
    address = (split_multi(address_raw) or [None])[0] if address_raw else None
    filing = row.date("filing_date")
    prelim = row.date("prelim_pub_date")
    registration = row.date("registration_date")
    start, end = _term(row)  # the export's 专用权期限: its end is stored as given (the state rules anchor on it)
    kinds = _kind(row, tf)
    madrid = kinds[2] if kinds else False
    # A designation of China recorded after the international registration (后期指定) is protected from its
    # recordal and ends with the international registration (Madrid Protocol arts. 3bis, 4(1)(a), 6(1)): its
    # term need not be 10 years.
    if start and end and not madrid and not _tens_of_years(start, end):
        row.error("term" if row.raw("term") else "term_end", row.raw("term") or end.isoformat(),
                  f"专用权期限 {start} 至 {end} 不是10年（或续展后10年的整数倍）")
    registered_by = "registration_date"
    designated = international = None
    if madrid:
        designated, international = row.date("later_designation_date"), row.date("intl_reg_date")
    if registration is None and (designated or international):
        # No 注册公告日期: an international registration is protected in China from its date, or from the
        # recordal of a later designation (Madrid Protocol art. 4(1)(a)); its 10 years run from the
        # international registration date (art. 6(1)).  The term's end stays the export's.
        registration = designated or international
        registered_by = "later_designation_date" if designated else "intl_reg_date"
    elif registration is None:
        registration = start  # the term runs from the registration (Trademark Law art. 39)
    elif start and start != registration and not _tens_of_years(registration, start - timedelta(days=1)):
        notes.warnings["注册公告日期与专用权期限起始日不一致：以注册公告日期为注册日"] += 1
    term_field = "term_end" if row.cols.get("term_end") is not None else "term"
    if registered_by == "registration_date":
        _check_order(row, [("filing_date", filing), ("prelim_pub_date", prelim), (registered_by, registration),
                           (term_field, end)])
    else:  # CNIPA publishes an international registration (初步审定) after its date: not an order to check
        _check_order(row, [("filing_date", filing), ("prelim_pub_date", prelim), (term_field, end)])
        _check_order(row, [(registered_by, registration), (term_field, end)])
    process = _process(row, tf, notes)
    mark_name = row.text("mark_name")
    agency = row.text("agency")
    if row.errors or reg_no is None or not classes or owner is None or kinds is None:
        return None
    kind, is_gi, is_madrid = kinds
    province, city, county, town, town_source, country = _place(address, owner)
    status_text = row.text("status")
    events = [_Event(d, t, text) for d, t, text in ((filing, "filed", "申请"),
                                                     (prelim, "preliminary_approval", "初步审定公告"),
                                                     (registration, "registered", "注册公告")) if d]
    for e in process:
        if not any(x.when == e.when and x.event_type == e.event_type for x in events):
            events.append(e)
    groups = split_multi(row.raw("similar_groups").replace(",", ";").replace("，", ";").replace("、", ";"))
    marks, rows = [], []
    for nice in classes:
        marks.append({
            "reg_no": reg_no, "nice_class": nice, "mark_name": mark_name, "mark_kind": kind, "is_gi": is_gi,
            "is_madrid": is_madrid, "owner": owner, "owner_norm": normalize_name(owner),
            "owner_type": classify_party(owner), "address": address, "province_code": province,
            "city_code": city, "county_code": county, "town_code": town, "town_source": town_source,
            "country": country, "filing_date": filing, "prelim_pub_date": prelim,
            "registration_date": registration, "term_end": end, "status_text": status_text,
            "status_date": exported, "similar_groups": _similar(groups, nice, len(classes) > 1),
            "agency": agency, "source": shape,
        })
        rows.extend(_event_row(reg_no, nice, e) for e in events)
    return _Converted(marks, rows)


def _event_row(reg_no: str, nice: int, e: _Event) -> dict:
    return {"reg_no": reg_no, "nice_class": nice, "event_date": e.when, "event_type": e.event_type,
            "effective_date": e.effective, "detail": e.detail, "raw_text": e.text}


def _change(row: _Row, reg_no: str | None, classes: list[int], tf: TrademarkFields, notes: ImportNotes
            ) -> _Converted | None:
    item = row.text("change_item")
    when = row.date("change_date")
    if not item:
        row.error("change_item", "", "变更事项为空")
    if when is None and not row.raw("change_date"):
        row.error("change_date", "", "变更日期为空")
    before, after = row.text("change_before"), row.text("change_after")
    if row.errors or reg_no is None or not classes or item is None or when is None:
        return None
    event_type, known = tf.match_record(item)
    if not known:
        notes.unknown_events[item[:40]] += 1
    if event_type in ("transfer", "licence", "pledge") or not before:
        detail = after  # the assignee, the licensee, the pledgee
    else:
        detail = f"{before} → {after}" if after else before
    event = _Event(when, event_type, item, detail=detail)
    return _Converted([], [_event_row(reg_no, nice, event) for nice in classes])


# -- chunks ----------------------------------------------------------------------------


def read_trademarks(path: Path, exported: date | None = None, *, notes: ImportNotes | None = None,
                    chunk_rows: int = 50_000) -> Iterator[tuple[Batch, list[RowError], int]]:
    """(batch, errors, rows read) per chunk of a trademark file: tables ``trademarks`` and
    ``trademark_events``.  ``exported``: the day the export was made (the date of its 商标状态 and 专用权期限);
    by default the file's own date (a title row such as 导出时间：2024-06-30, else an xlsx's stored creation
    time: readers.file_export_date); a file with neither keeps its states undated and the import says so."""
    tf = trademark_fields()
    notes = notes if notes is not None else ImportNotes()
    known = tf.known()
    if exported is None:
        exported = file_export_date(path, known)
    for chunk in read_rows(path, known, chunk_rows):
        shape = trademark_shape(chunk.columns) or "cnipa"
        cols = tf.resolve(chunk.columns)
        labels = list(chunk.columns)
        errors: list[RowError] = RowErrors(chunk.errors)
        marks: list[dict] = []
        events: list[dict] = []
        for i, (row_no, cells) in enumerate(zip(chunk.index, chunk.rows, strict=True), 1):
            if i % BEAT_ROWS == 0:
                beat()
            row = _Row(path.name, row_no, cells, cols, labels)
            converted = _convert(row, shape, exported, tf, notes)
            if converted is None:
                errors.extend(row.errors)
                continue
            marks.extend(converted.marks)
            events.extend(converted.events)
        if exported is None and shape != "changes" and marks:
            notes.warnings["商标状态和专用权期限的日期未知：文件中找不到导出日期，未记录状态日期"
                           "（可用 --exported YYYY-MM-DD 指定）"] += len(marks)
        batch = Batch()
        if marks:
            batch.set("trademarks", marks)
        if events:
            batch.set("trademark_events", events)
        yield batch, errors, len(chunk.rows) + error_rows(chunk.errors)
    yield from _change_sheets(path, tf, notes, chunk_rows)


_HEAD_ROWS = 20  # rows of a later sheet searched for its header


def _change_sheets(path: Path, tf: TrademarkFields, notes: ImportNotes, chunk_rows: int
                   ) -> Iterator[tuple[Batch, list[RowError], int]]:
    """Change records in a later sheet of the same workbook (a commercial export's 变更记录 sheet): a sheet whose
    header is the change-record shape's; other sheets are left alone.  Errors name the file and the sheet."""
    if path.suffix.lower() not in {".xlsx", ".xlsm"}:
        return
    check_xlsx(path)  # every part of the workbook within the limits before openpyxl unpacks one
    try:
        wb = _openpyxl_workbook(path)
    except Exception as err:  # the parser's own words name what is wrong
        raise FileError(path.name, f"无法读取文件: {_first_line(err)} / cannot read the file") from None
    try:
        for sheet in wb.worksheets[1:]:
            sheet.reset_dimensions()  # rows as stored: a forged <dimension> cannot pad them
            rows = ([_excel_text(v) for v in values] for values in sheet.iter_rows(values_only=True))
            head = list(islice(rows, _HEAD_ROWS))
            hrow = find_header_row(head, tf.known())
            columns = [header_key(c) for c in head[hrow]] if hrow >= 0 else []
            if trademark_shape(columns) != "changes":
                continue
            yield from _change_rows(f"{path.name}（{sheet.title}）", chain(head[hrow + 1:], rows), hrow + 2,
                                    columns, tf, notes, chunk_rows)
    except FileError:
        raise
    except Exception as err:
        raise FileError(path.name, f"无法读取工作表: {_first_line(err)} / cannot read a sheet") from None
    finally:
        wb.close()


def _change_rows(file: str, rows: Iterator[list[str]], first_row: int, columns: list[str], tf: TrademarkFields,
                 notes: ImportNotes, chunk_rows: int) -> Iterator[tuple[Batch, list[RowError], int]]:
    cols = tf.resolve(columns)
    numbered = enumerate(rows, first_row)
    while chunk := list(islice(numbered, chunk_rows)):
        events: list[dict] = []
        errors: list[RowError] = RowErrors()
        read = 0
        for row_no, cells in chunk:
            if not any(c.strip() for c in cells):
                continue
            read += 1
            bad = next(((i, c, ch) for i, c in enumerate(cells) if (ch := control_character(c))), None)
            if bad is not None:
                i, cell, char = bad
                errors.append(RowError(file, row_no, columns[i] if i < len(columns) else f"第{i + 1}列",
                                       printable(cell)[:200], control_reason(char)))
                continue
            row = _Row(file, row_no, cells, cols, columns)
            converted = _convert(row, "changes", None, tf, notes)
            if converted is None:
                errors.extend(row.errors)
            else:
                events.extend(converted.events)
        batch = Batch()
        if events:
            batch.set("trademark_events", events)
        yield batch, errors, read
