"""The pledge registry importer (docs/importing.md, "Pledge registry"): records of pledge contracts folded into the
canonical registry rows.

A file holds records, one per row: the registration of a contract (设立), its changes (变更), its release (注销)
or its disposal on default (处置).  Three shapes are read, recognised by their headers:

- ``template``: the ``pledges`` template (ingest/templates.py), one row per record;
- ``legacy``: the earlier template (质押登记号, 申请号, …, 变更日, 解除日), one row per contract as registered, its
  release in 解除日;
- ``gazette``: CNIPA's 专利权质押 notices (登记号, 专利号, 出质人, 质权人, 登记生效日 / 变更项, 变更前, 变更后 /
  解除日), one row per patent and notice.

The records of a contract are folded, with what the warehouse already holds of it (read through the import's own
connection, inside its transaction), into the contract's whole state: ``pledge_contracts`` (as registered, release
or disposal dates), ``pledge_items`` (patents and trademarks, the day each was added and removed),
``pledge_changes`` (one row per changed field) and the per-patent ``pledges`` lines.  Every row is checked; a
contract with any bad record is left out whole (and the file is rejected unless bad rows are skipped).  Nothing
here computes a figure: the registry (finance/registry.py) reads these rows.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
import pandas as pd

from hvpatent.ingest.appno import AppNoError, normalize_appno
from hvpatent.ingest.errors import RowErrors, error_rows
from hvpatent.ingest.fields import normalize_name, parse_date, split_multi
from hvpatent.ingest.heartbeat import beat
from hvpatent.ingest.notes import ImportNotes
from hvpatent.ingest.readers import header_key, peek_headers, read_chunks
from hvpatent.model import Batch, RowError

__all__ = ["PLEDGE_HEADERS", "RECORD_TYPES", "contract_key", "looks_like_pledges", "pledge_chunks", "pledge_shape",
           "read_pledge_records", "record_type_of"]

RECORD_TYPES = ("registration", "change", "release", "disposal")
_RANK = {t: i for i, t in enumerate(RECORD_TYPES)}  # a day's registration first, its release last

# The words a record's type is written in (登记类型 of the template, the gazette's notice names), looked for in
# this order: a notice "专利权质押合同登记的注销" is a release although it says 登记.
_TYPE_WORDS: tuple[tuple[str, str], ...] = (
    ("处置", "disposal"), ("质权实现", "disposal"), ("disposal", "disposal"),
    ("注销", "release"), ("解除", "release"), ("release", "release"),
    ("变更", "change"), ("change", "change"),
    ("设立", "registration"), ("生效", "registration"), ("registration", "registration"), ("登记", "registration"),
)

# Header (as header_key folds it) -> field.  Amount headers say their unit.
_ALIASES: dict[str, tuple[str, ...]] = {
    "contract_no": ("质押登记号", "登记号", "质押合同登记号", "质权登记号"),
    "record_type": ("登记类型", "事务类型", "公告类型", "事务", "法律状态"),
    "patents": ("专利申请号", "申请号", "专利号"),
    "trademarks": ("商标注册号", "注册号"),
    "pledgor": ("出质人",),
    "pledgee": ("质权人",),
    "amount_wan": ("质押金额(万元)", "融资金额(万元)", "被担保债权数额(万元)", "贷款金额(万元)"),
    "amount_yuan": ("质押金额(元)", "融资金额(元)", "被担保债权数额(元)"),
    "day": ("登记日", "登记生效日", "质押登记日", "质权登记日"),
    "loan_start": ("债务起始日", "债务履行起始日", "贷款起始日"),
    "loan_end": ("债务到期日", "债务履行到期日", "贷款到期日"),
    "term": ("质权登记期限", "债务履行期限"),
    "changed": ("变更日", "变更登记日"),
    "released": ("解除日", "注销日", "解除登记日"),
    "disposed": ("处置日",),
    "change_item": ("变更项", "变更事项"),
    "before": ("变更前",),
    "after": ("变更后",),
    "note": ("备注",),
}
_FIELD_OF: dict[str, str] = {header_key(h): f for f, headers in _ALIASES.items() for h in headers}
PLEDGE_HEADERS: frozenset[str] = frozenset(_FIELD_OF) | {header_key(h) for h in (
    "主分类号", "发明名称", "实用新型名称", "授权公告日", "申请日", "类别", "商标名称")}

# A gazette change notice's 变更项 -> the changed field.
_CHANGE_ITEMS: tuple[tuple[str, str], ...] = (
    ("质权人", "pledgee"), ("出质人", "pledgor"), ("金额", "amount_yuan"), ("数额", "amount_yuan"),
    ("期限", "loan_end"), ("到期", "loan_end"),
)
CHANGE_FIELDS = ("amount_yuan", "loan_end", "pledgee", "pledgor")
SOURCES = {"template": "template", "legacy": "legacy_template", "gazette": "cnipa_gazette"}  # pledge_contracts.source

_STATE_ZH = {"pending": "审中", "valid": "有效", "grace": "滞纳期", "restorable": "可恢复（已终止）",
             "lapsed": "未缴年费终止", "expired": "期限届满", "invalidated": "宣告无效", "withdrawn": "撤回",
             "rejected": "驳回", "surrendered": "放弃", "ended": "终止"}
_TRADEMARK = re.compile(r"^G?\d{3,10}$")
_TERM = re.compile(r"^\s*(.+?)\s*(?:至|到|—|--|~|～)\s*(.+?)\s*$")


_NO_SPACE = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]+")  # spaces, and the invisible ones \s does not match


def contract_key(text: str) -> str:
    """The one spelling of a pledge registration number (质押登记号), as stored in ``contract_no``: full-width
    letters and digits as ASCII (NFKC), upper-case, no spaces.  The importer, the CLI and the web all key by it."""
    return _NO_SPACE.sub("", unicodedata.normalize("NFKC", text)).upper()


def record_type_of(text: str) -> str:
    """The record type a 登记类型 cell or a notice's name says; empty is a registration."""
    folded = text.strip().lower()
    if not folded:
        return "registration"
    for word, kind in _TYPE_WORDS:
        if word in folded:
            return kind
    raise ValueError("登记类型应为 设立、变更、注销 或 处置 / record type: 设立|变更|注销|处置")


# Columns only CNIPA's notices have (the notice's name, its effective day, a change's item and values): a file
# with any of them is the gazette shape, whatever it calls the contract number.
_GAZETTE_HEADERS = frozenset(header_key(h) for h in (
    "登记生效日", "事务类型", "公告类型", "事务", "法律状态", "变更项", "变更事项", "变更前", "变更后"))


def pledge_shape(headers: list[str]) -> str | None:
    """'template', 'legacy' or 'gazette' from a file's header keys; None when it is no pledge file (出质人 and
    质权人 with a contract number are what make one).  The gazette is told by its own columns (_GAZETTE_HEADERS),
    not by how it names the contract number: 质押合同登记号 or 质权登记号 in a bureau's ledger is the template."""
    present = set(headers)
    fields = {_FIELD_OF[h] for h in present if h in _FIELD_OF}
    if not {"pledgor", "pledgee", "contract_no"} <= fields:
        return None
    if present & _GAZETTE_HEADERS:
        return "gazette"
    if "record_type" in fields or "trademarks" in fields or "loan_end" in fields:
        return "template"
    return "legacy"


def looks_like_pledges(path: Path) -> bool:
    if path.suffix.lower() not in {".xlsx", ".xls", ".csv"}:
        return False
    try:
        return pledge_shape(peek_headers(path, set(PLEDGE_HEADERS))) is not None
    except Exception:  # an unreadable file is said to be so by the reader it goes to
        return False


# -- records -----------------------------------------------------------------------------------------------------
@dataclass
class Record:
    file: str
    row: int
    contract_no: str
    kind: str
    day: date | None = None
    patents: list[str] = field(default_factory=list)
    trademarks: list[str] = field(default_factory=list)
    pledgor: str | None = None
    pledgee: str | None = None
    amount: Decimal | None = None
    loan_start: date | None = None
    loan_end: date | None = None
    legacy_changed: date | None = None
    headers: dict[str, str] = field(default_factory=dict)  # field -> the file's header, for errors

    def error(self, name: str, value: object, reason: str) -> RowError:
        return RowError(self.file, self.row, self.headers.get(name, name), "" if value is None else str(value),
                        reason)


def _amount(raw: str, unit: Decimal) -> Decimal:
    text = raw.replace(",", "").replace("，", "").strip()
    if text.endswith("万元"):
        text, unit = text[:-2], Decimal(10000)
    elif text.endswith("元"):
        text, unit = text[:-1], Decimal(1)
    try:
        amount = Decimal(text) * unit
    except InvalidOperation as err:
        raise ValueError("应为金额数字 / not an amount") from err
    if amount <= 0:
        raise ValueError("金额应大于0 / the amount must be positive")
    return amount.quantize(Decimal("0.01"))


def _items(raw: str, kind: str) -> list[str]:
    out: list[str] = []
    for text in split_multi(raw.replace(",", ";").replace("，", ";").replace("、", ";")):
        if kind == "patent":
            try:
                no = normalize_appno(text)
            except AppNoError as err:
                raise ValueError(f"专利申请号无效：{text}（{err}）/ not a valid application number") from err
        else:
            no = text.upper().replace(" ", "")
            if not _TRADEMARK.match(no):
                raise ValueError(f"商标注册号无效：{text} / not a trademark registration number")
        if no in out:
            raise ValueError(f"同一记录中 {no} 重复 / {no} listed twice")
        out.append(no)
    return out


def _parse_row(file: str, row: int, cells: dict[str, str], headers: dict[str, str], shape: str,
               errors: list[RowError]) -> list[Record]:
    """The records of one row (a legacy row with 解除日 is a registration and its release), or [] on an error."""
    def cell(name: str) -> str:
        return cells.get(name, "")

    def bad(name: str, value: object, reason: str) -> list[Record]:
        errors.append(RowError(file, row, headers.get(name, name), "" if value is None else str(value), reason))
        return []

    contract_no = contract_key(cell("contract_no"))
    if not contract_no:
        return bad("contract_no", "", "必填项为空 / required")
    try:
        kind = record_type_of(cell("record_type"))
    except ValueError as err:
        return bad("record_type", cell("record_type"), str(err))
    named = {k for word, k in _TYPE_WORDS if word in cell("record_type").lower()} - {"registration"}
    if shape == "gazette" and (not cell("record_type") or len(named) > 1):
        # a notice without its name, or under the register's category name (专利权质押合同登记的生效、变更及注销):
        # said by the columns it fills
        kind = ("change" if cell("change_item") else "release" if cell("released")
                else "disposal" if cell("disposed") else "registration")
    rec = Record(file, row, contract_no, kind, headers=headers)
    dates: dict[str, date | None] = {}
    for name in ("day", "loan_start", "loan_end", "changed", "released", "disposed"):
        try:
            dates[name] = parse_date(cell(name)) if cell(name) else None
        except ValueError as err:
            return bad(name, cell(name), str(err))
    if cell("term") and not (dates["loan_start"] or dates["loan_end"]):  # 质权登记期限 "2024-01-01至2026-12-31"
        m = _TERM.match(cell("term"))
        try:
            if not m:
                raise ValueError("应为 起始日至到期日 / start至end")
            dates["loan_start"], dates["loan_end"] = parse_date(m.group(1)), parse_date(m.group(2))
        except ValueError as err:
            return bad("term", cell("term"), str(err))
    rec.loan_start, rec.loan_end = dates["loan_start"], dates["loan_end"]
    day_column = {"registration": "day", "change": "changed", "release": "released", "disposal": "disposed"}[kind]
    if not dates[day_column]:
        day_column = "day"  # the template's one date column: the record's date whatever its type
    rec.day = dates[day_column]
    rec.headers = {**headers, "day": headers.get(day_column, "登记日")}
    if rec.day is None:
        return bad(day_column, "", "必填项为空：该记录的日期 / the record's date is required")
    if kind == "registration" or (kind == "change" and shape != "gazette"):
        for name, item_kind in (("patents", "patent"), ("trademarks", "trademark")):
            try:
                setattr(rec, name, _items(cell(name), item_kind))
            except ValueError as err:
                return bad(name, cell(name), str(err))
    for name, unit in (("amount_wan", Decimal(10000)), ("amount_yuan", Decimal(1))):
        if cell(name):
            try:
                rec.amount = _amount(cell(name), unit)
            except ValueError as err:
                return bad(name, cell(name), str(err))
            rec.headers["amount"] = headers[name]
    rec.headers.setdefault("amount", headers.get("amount_wan", "质押金额(万元)"))
    rec.pledgor, rec.pledgee = cell("pledgor") or None, cell("pledgee") or None
    if kind == "registration":
        missing = [n for n in ("pledgor", "pledgee") if not cell(n)]
        if not rec.patents and not rec.trademarks:
            missing.append("patents")
        if rec.amount is None and shape != "gazette":
            missing.append("amount_wan" if "amount_wan" in headers or "amount_yuan" not in headers else "amount_yuan")
        if missing:
            for name in missing:
                bad(name, "", "设立登记必填项为空 / required for a registration")
            return []
        if rec.loan_start and rec.loan_end and rec.loan_end < rec.loan_start:
            return bad("loan_end", rec.loan_end, f"债务到期日早于债务起始日（{rec.loan_start}）/ before the loan start")
        rec.legacy_changed = dates["changed"] if shape == "legacy" else None
        out = [rec]
        for extra_kind, name in (("release", "released"), ("disposal", "disposed")):
            if dates[name]:  # a registration row's 解除日 (the earlier template): its release
                out.append(Record(file, row, contract_no, extra_kind, dates[name],
                                  headers={**headers, "day": headers[name]}))
        return out
    if kind == "change":
        if shape == "gazette" or cell("change_item"):
            return _notice_change(rec, cell("change_item"), cell("before"), cell("after"), bad)
        if rec.amount is None and not (rec.pledgor or rec.pledgee or rec.loan_end or rec.patents or rec.trademarks):
            return bad("record_type", cell("record_type"), "变更登记未写出任何变更内容 / a change that changes nothing")
        rec.loan_start = None  # a change moves the maturity, not the start
        return [rec]
    rec.patents, rec.trademarks, rec.pledgor, rec.pledgee, rec.amount = [], [], None, None, None
    rec.loan_start = rec.loan_end = None
    return [rec]


def _notice_change(rec: Record, item: str, before: str, after: str, bad) -> list[Record]:
    """A gazette change notice: 变更项 names the field, 变更后 its new value."""
    rec.pledgor = rec.pledgee = None
    rec.amount = rec.loan_end = rec.loan_start = None
    rec.patents, rec.trademarks = [], []
    name = next((f for word, f in _CHANGE_ITEMS if word in item), None)
    if name is None:
        return bad("change_item", item,
                   "变更项应为 质权人、出质人、被担保债权数额 或 债务履行期限 / unknown change item")
    if not after.strip():
        return bad("after", "", "变更后为空 / the new value is required")
    rec.headers["amount"] = rec.headers.get("after", "变更后")
    rec.headers["loan_end"] = rec.headers.get("after", "变更后")
    try:
        if name == "amount_yuan":
            rec.amount = _amount(after, Decimal(10000))
        elif name == "loan_end":
            m = _TERM.match(after)
            rec.loan_end = parse_date(m.group(2) if m else after)
        else:
            setattr(rec, name, after.strip())
    except ValueError as err:
        return bad("after", after, str(err))
    return [rec]


def _read(path: Path, errors: list[RowError]) -> tuple[list[Record], int, str]:
    records: list[Record] = []
    rows = 0
    shape: str | None = None
    for frame, chunk_errors in read_chunks(path, set(PLEDGE_HEADERS)):
        errors.extend(chunk_errors)
        rows += len(frame) + error_rows(chunk_errors)
        columns = list(frame.columns)
        shape = shape or pledge_shape(columns) or "template"
        by_field: dict[str, str] = {}
        for column in columns:
            name = _FIELD_OF.get(column)
            if name and name not in by_field:
                by_field[name] = column
        headers = {name: column for name, column in by_field.items()}
        for i, (row, record) in enumerate(zip(frame.index, frame.to_dict("records"), strict=True)):
            if i % 1000 == 999:
                beat()
            cells = {name: str(record.get(column) or "").strip() for name, column in by_field.items()}
            records.extend(_parse_row(path.name, int(row), cells, headers, shape, errors))
    return records, rows, shape or "template"


# -- the stored registry ------------------------------------------------------------------------------------------
@dataclass
class Contract:
    contract_no: str
    pledgor: str
    pledgee: str
    amount: Decimal | None
    loan_start: date | None
    loan_end: date | None
    registered: date
    released: date | None
    disposed: date | None
    source: str
    items: dict[tuple[str, str], list] = field(default_factory=dict)      # (kind, no) -> [added, removed]
    changes: dict[tuple[date, str], list] = field(default_factory=dict)   # (day, field) -> [old, new]
    legacy_changed: date | None = None
    where: str = "数据仓库中已登记 / stored"
    stored_items: set[tuple[str, str, date]] = field(default_factory=set)
    stored_dates: set[date] = field(default_factory=set)  # days of the stored changes, items added and removed

    def end(self) -> date | None:
        return self.released or self.disposed


def _stored(con: duckdb.DuckDBPyConnection, numbers: list[str]) -> dict[str, Contract]:
    """What the warehouse holds of these contracts: registry rows, or a legacy contract's lines (with its pledgor
    and pledgee) read as its registration."""
    if not numbers:
        return {}
    out: dict[str, Contract] = {}
    wanted = "contract_no IN (SELECT unnest(?::VARCHAR[]))"
    for row in con.execute(f"SELECT contract_no, pledgor, pledgee, amount_yuan, loan_start, loan_end, registered_date,"
                           f" released_date, disposed_date, source FROM pledge_contracts WHERE {wanted}",
                           [numbers]).fetchall():
        out[row[0]] = Contract(*row)
    for no, kind, item, added, removed in con.execute(
            f"SELECT contract_no, item_kind, item_no, added_date, removed_date FROM pledge_items WHERE {wanted}",
            [numbers]).fetchall():
        if no in out:
            out[no].items[(kind, item)] = [added, removed]
            out[no].stored_items.add((kind, item, added))
            out[no].stored_dates |= {d for d in (added, removed) if d is not None}
    for no, day, name, old, new in con.execute(
            f"SELECT contract_no, change_date, field, old_value, new_value FROM pledge_changes WHERE {wanted}",
            [numbers]).fetchall():
        if no in out:
            out[no].changes[(day, name)] = [old, new]
            out[no].stored_dates.add(day)
    lines: dict[str, list[tuple]] = defaultdict(list)
    for line in con.execute(f"SELECT contract_no, app_no, pledgor, pledgee, amount_yuan, registered_date, changed_date,"
                            f" released_date FROM pledges WHERE {wanted} ORDER BY app_no", [numbers]).fetchall():
        lines[line[0]].append(line)
    for no, rows in lines.items():
        if no in out:
            out[no].legacy_changed = max((r[6] for r in rows if r[6]), default=None)
            continue
        first = rows[0]
        if not (first[2] and first[3] and first[4]):
            continue  # a legacy line without its parties: a registration in the file makes the contract
        c = Contract(no, first[2], first[3], first[4], None, None, min(r[5] for r in rows),
                     next((r[7] for r in rows if r[7]), None), None, "legacy")
        c.items = {("patent", r[1]): [r[5], None] for r in rows}
        c.stored_items = {("patent", r[1], r[5]) for r in rows}
        c.legacy_changed = max((r[6] for r in rows if r[6]), default=None)
        out[no] = c
    return out


# -- folding ------------------------------------------------------------------------------------------------------
def _value(c: Contract, name: str, day: date, strictly_before: bool = True) -> str | None:
    """A field's value (as text, as pledge_changes keeps it) just before ``day``: registered, overlaid with changes."""
    value = _text(name, getattr(c, {"amount_yuan": "amount"}.get(name, name)))
    for (d, f), (_, new) in sorted(c.changes.items()):
        if f == name and (d < day if strictly_before else d <= day):
            value = new
    return value


def _text(name: str, value: object) -> str | None:
    if value is None:
        return None
    if name == "amount_yuan":
        return f"{Decimal(value):.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class _Folder:
    def __init__(self, stored: dict[str, Contract], source: str, errors: list[RowError]):
        self.contracts = stored
        self.source = source
        self.errors = errors
        self.bad: set[str] = set()
        self.added: list[tuple[str, date, Record, str]] = []  # (app_no, day, record, contract) to check in force
        self.marks_added: list[tuple[str, date, Record, str]] = []  # (reg_no, day, record, contract): trademarks

    def fail(self, rec: Record, name: str, value: object, reason: str) -> None:
        self.errors.append(rec.error(name, value, reason))
        self.bad.add(rec.contract_no)

    def register(self, rec: Record) -> None:
        c = self.contracts.get(rec.contract_no)
        if c is None:
            c = Contract(rec.contract_no, rec.pledgor or "", rec.pledgee or "", rec.amount, rec.loan_start,
                         rec.loan_end, rec.day, None, None, self.source, where=f"第{rec.row}行 / row {rec.row}")
            self.contracts[rec.contract_no] = c
        else:
            for name, mine, theirs, same in (
                    ("day", rec.day, c.registered, rec.day == c.registered),
                    ("pledgor", rec.pledgor, c.pledgor, normalize_name(rec.pledgor or "") == normalize_name(c.pledgor)),
                    ("pledgee", rec.pledgee, c.pledgee, normalize_name(rec.pledgee or "") == normalize_name(c.pledgee)),
                    ("amount", rec.amount, c.amount, rec.amount is None or c.amount is None or rec.amount == c.amount),
                    ("loan_start", rec.loan_start, c.loan_start, not (rec.loan_start and c.loan_start)
                     or rec.loan_start == c.loan_start),
                    ("loan_end", rec.loan_end, c.loan_end, not (rec.loan_end and c.loan_end)
                     or rec.loan_end == c.loan_end)):
                if not same:
                    self.fail(rec, name, mine,
                              f"与{c.where}的设立登记不一致（{theirs}）/ conflicts with the registration")
                    return
            c.amount = c.amount if c.amount is not None else rec.amount
            c.loan_start, c.loan_end = c.loan_start or rec.loan_start, c.loan_end or rec.loan_end
        if rec.legacy_changed:
            c.legacy_changed = max(filter(None, (c.legacy_changed, rec.legacy_changed)))
        for kind, numbers in (("patent", rec.patents), ("trademark", rec.trademarks)):
            for no in numbers:
                if (kind, no) not in c.items:
                    c.items[(kind, no)] = [rec.day, None]
                if (kind, no, c.items[(kind, no)][0]) not in c.stored_items:
                    (self.added if kind == "patent" else self.marks_added).append(
                        (no, c.items[(kind, no)][0], rec, c.contract_no))

    def change(self, rec: Record) -> None:
        c = self._registered(rec)
        if c is None:
            return
        if rec.day < c.registered:
            self.fail(rec, "day", rec.day, f"变更日早于设立登记日（{c.registered}）/ before the registration")
            return
        new_values = {"amount_yuan": rec.amount, "loan_end": rec.loan_end, "pledgee": rec.pledgee,
                      "pledgor": rec.pledgor}
        header = {"amount_yuan": "amount", "loan_end": "loan_end", "pledgee": "pledgee", "pledgor": "pledgor"}
        for name in CHANGE_FIELDS:
            value = new_values[name]
            if value is None:
                continue
            new = _text(name, value)
            if name == "loan_end" and c.loan_start and value < c.loan_start:
                self.fail(rec, "loan_end", value, f"债务到期日早于债务起始日（{c.loan_start}）/ before the loan start")
                return
            known = c.changes.get((rec.day, name))
            if known is not None:
                if known[1] != new:
                    self.fail(rec, header[name], value,
                              f"与已登记的同日变更不一致（{known[1]}）/ conflicts with a stored change")
                    return
                continue
            old = _value(c, name, rec.day)
            same = (normalize_name(old or "") == normalize_name(new or "") if name in ("pledgee", "pledgor")
                    else old == new)
            if not same:
                c.changes[(rec.day, name)] = [old, new]
        if rec.patents or rec.trademarks:
            listed = {("patent", n) for n in rec.patents} | {("trademark", n) for n in rec.trademarks}
            kinds = {kind for kind, _ in listed}  # a kind the change lists is replaced; the other one stays
            for key, span in c.items.items():
                current = span[0] <= rec.day and (span[1] is None or span[1] > rec.day)
                if current and key[0] in kinds and key not in listed:
                    span[1] = rec.day
            for key in sorted(listed):
                span = c.items.get(key)
                if span is None:
                    c.items[key] = [rec.day, None]
                    if (key[0], key[1], rec.day) not in c.stored_items:
                        (self.added if key[0] == "patent" else self.marks_added).append(
                            (key[1], rec.day, rec, c.contract_no))
                elif span[1] is not None and span[1] <= rec.day:
                    name = "patents" if key[0] == "patent" else "trademarks"
                    self.fail(rec, name, key[1], f"已于 {span[1]} 移出该合同，不能再次加入 / removed earlier")
                    return
        self._late.append(rec)

    _late: list[Record]

    def end(self, rec: Record) -> None:
        c = self._registered(rec)
        if c is None:
            return
        label = "注销日" if rec.kind == "release" else "处置日"
        if rec.day < c.registered:
            self.fail(rec, "day", rec.day, f"{label}早于设立登记日（{c.registered}）/ before the registration")
            return
        mine, other = ("released", "disposed") if rec.kind == "release" else ("disposed", "released")
        if getattr(c, other) is not None:
            done = "处置" if other == "disposed" else "注销"
            self.fail(rec, "record_type", rec.kind,
                      f"该合同已{done}（{getattr(c, other)}），不能既注销又处置 / released and disposed")
            return
        if getattr(c, mine) is not None and getattr(c, mine) != rec.day:
            self.fail(rec, "day", rec.day, f"该合同已于 {getattr(c, mine)} {label[:2]} / ended on another day")
            return
        later = max((d for d in c.stored_dates if d > rec.day), default=None)
        if later is not None:  # a change (or an item added or removed) the warehouse holds after this day
            self.fail(rec, "day", rec.day, f"{label}早于数据仓库中已登记的变更（{later}）/ before a stored change")
            return
        setattr(c, mine, rec.day)

    def _registered(self, rec: Record) -> Contract | None:
        c = self.contracts.get(rec.contract_no)
        if c is None:
            self.fail(rec, "contract_no", rec.contract_no,
                      "找不到该质押登记号的设立登记（本文件和数据仓库中均无）/ no registration of this contract")
        return c

    def fold(self, records: list[Record]) -> None:
        self._late = []
        records = sorted(records, key=lambda r: (r.contract_no, r.day, _RANK[r.kind], r.row))
        for kind in RECORD_TYPES:  # every registration first: a change may come before its contract's row
            for rec in records:
                if rec.kind != kind or rec.contract_no in self.bad:
                    continue
                if kind == "registration":
                    self.register(rec)
                elif kind == "change":
                    self.change(rec)
                else:
                    self.end(rec)
        for rec in self._late:  # a change after the contract ended
            c = self.contracts[rec.contract_no]
            end = c.end()
            if end is not None and rec.day > end and rec.contract_no not in self.bad:
                self.fail(rec, "day", rec.day, f"变更日晚于注销/处置日（{end}）/ after the contract ended")
        for no in {r.contract_no for r in records} - self.bad:
            c = self.contracts[no]
            if c.amount is None:
                rec = next(r for r in records if r.contract_no == no and r.kind == "registration")
                self.fail(rec, "amount", "", "公报不载质押金额：请先导入含金额的质押台账（模板）/ no amount known")


# -- one pledge at a time -------------------------------------------------------------------------------------------
def _check_overlaps(con: duckdb.DuckDBPyConnection | None, folder: _Folder, numbers: set[str]) -> None:
    """A patent or a trademark is pledged under one contract at a time (docs/importing.md, "Checks"): an item this
    file adds to a contract while another contract (in the file or the warehouse) holds it is refused, naming that
    contract.  An item is held from the day it is added up to, not including, the day it is removed or its contract
    is released or disposed: released on D, it is free on D.  Of two new pledges in the file, the later one is
    refused."""
    good = numbers - folder.bad
    new: dict[tuple[str, str, str], tuple[date, Record]] = {}  # (kind, item, contract) -> (day added, record)
    for kind, added in (("patent", folder.added), ("trademark", folder.marks_added)):
        for item, day, rec, no in added:
            new.setdefault((kind, item, no), (day, rec))
    if not new:
        return
    # (kind, item) -> [(contract, start, end, where, new?)]
    held: dict[tuple[str, str], list[tuple[str, date, date | None, str, bool]]] = defaultdict(list)
    for no in good:
        c = folder.contracts[no]
        for (kind, item), (added, removed) in c.items.items():
            end = min(filter(None, (removed, c.end())), default=None)
            fresh = (kind, item, no) in new
            where = (f"本文件第{new[kind, item, no][1].row}行 / row {new[kind, item, no][1].row} of this file"
                     if fresh else "数据仓库 / the warehouse")
            held[kind, item].append((no, added, end, where, fresh))
    if con is not None:
        stored = "数据仓库 / the warehouse"
        patents = sorted({item for kind, item, _ in new if kind == "patent"})
        marks = sorted({item for kind, item, _ in new if kind == "trademark"})
        if patents:  # the per-patent lines: legacy contracts included
            for no, app_no, added, end in con.execute(
                    "SELECT contract_no, app_no, registered_date, released_date FROM pledges WHERE app_no IN "
                    "(SELECT unnest(?::VARCHAR[])) AND contract_no NOT IN (SELECT unnest(?::VARCHAR[]))",
                    [patents, sorted(good)]).fetchall():
                held["patent", app_no].append((no, added, end, stored, False))
        if marks:  # trademarks are in the registry rows only
            for no, reg_no, added, end in con.execute(
                    "SELECT i.contract_no, i.item_no, i.added_date, least(i.removed_date, c.released_date, "
                    "c.disposed_date) FROM pledge_items i JOIN pledge_contracts c ON c.contract_no = i.contract_no "
                    "WHERE i.item_kind = 'trademark' AND i.item_no IN (SELECT unnest(?::VARCHAR[])) "
                    "AND i.contract_no NOT IN (SELECT unnest(?::VARCHAR[]))", [marks, sorted(good)]).fetchall():
                held["trademark", reg_no].append((no, added, end, stored, False))

    def overlap(a: date, a_end: date | None, b: date, b_end: date | None) -> bool:
        a_end, b_end = a_end or date.max, b_end or date.max
        return a < a_end and b < b_end and a < b_end and b < a_end

    for (kind, item, no), (_, rec) in sorted(new.items(), key=lambda kv: (kv[1][0], kv[0][2], kv[0][:2])):
        if no in folder.bad:
            continue
        mine = next(h for h in held[kind, item] if h[0] == no)
        for other, start, end, where, fresh in held[kind, item]:
            if other == no or other in folder.bad:
                continue
            if fresh and (start, other) > (mine[1], no):
                continue  # the other pledge is the later one: it is the one refused
            if overlap(mine[1], mine[2], start, end):
                until = f"至 {end}" if end else "，尚未注销"
                what, column = ("该专利", "patents") if kind == "patent" else ("该商标", "trademarks")
                folder.fail(rec, column, item,
                            f"{what}已质押于合同 {other}（{start} 起{until}；{where}），质押期间不能再次出质 / already "
                            f"pledged under contract {other} from {start}" + (f" to {end}" if end else ""))
                break


# -- in force on the registration day ------------------------------------------------------------------------------
def _check_in_force(con: duckdb.DuckDBPyConnection, folder: _Folder, notes: ImportNotes | None) -> None:
    checks = [c for c in folder.added if c[3] not in folder.bad]
    if not checks:
        return
    numbers = sorted({c[0] for c in checks})
    known = {r[0] for r in con.execute("SELECT app_no FROM applications WHERE app_no IN (SELECT unnest(?::VARCHAR[]))",
                                       [numbers]).fetchall()}
    unknown = {c[0] for c in checks if c[0] not in known}
    if unknown and notes is not None:
        notes.warnings["质押专利不在数据仓库中，未核对其法律状态 / pledged patents not in the warehouse, "
                       "their legal state unchecked"] += len(unknown)
    wanted = [c for c in checks if c[0] in known]
    if not wanted:
        return
    import ibis

    from hvpatent.legal import IN_FORCE, states_on_dates

    backend = ibis.duckdb.from_connection(con)
    con.execute("SET python_enable_replacements = true")  # as Warehouse.ibis(): ibis turns them off
    apps = ibis.memtable({"app_no": sorted({c[0] for c in wanted})}, schema={"app_no": "string"})
    days = sorted({c[1] for c in wanted})
    states = states_on_dates(backend, days, applications=apps).select("app_no", "day", "state").to_pyarrow()
    on_day = {(r["app_no"], r["day"]): r["state"] for r in states.to_pylist()}
    for app_no, day, rec, contract_no in wanted:
        if contract_no in folder.bad:
            continue
        state = on_day.get((app_no, day))
        if state not in IN_FORCE:
            said = _STATE_ZH.get(state, "尚未申请") if state else "尚未申请"
            folder.fail(rec, "patents", app_no, f"{day} 该专利不在有效期内（{said} / {state or 'not filed'}），"
                                                 "不能质押 / not in force on the day it is pledged")


# -- rows ---------------------------------------------------------------------------------------------------------
def _rows(folder: _Folder, numbers: set[str]) -> Batch:
    contracts, items, changes, lines = [], [], [], []
    for no in sorted(numbers - folder.bad):
        c = folder.contracts[no]
        contracts.append({"contract_no": no, "pledgor": c.pledgor, "pledgor_norm": normalize_name(c.pledgor),
                          "pledgee": c.pledgee, "pledgee_norm": normalize_name(c.pledgee), "amount_yuan": c.amount,
                          "loan_start": c.loan_start, "loan_end": c.loan_end, "registered_date": c.registered,
                          "released_date": c.released, "disposed_date": c.disposed, "source": c.source})
        end = c.released or c.disposed
        last_change = max((d for d, _ in c.changes), default=None)
        changed = max(filter(None, (last_change, c.legacy_changed)), default=None)
        for (kind, item), (added, removed) in sorted(c.items.items()):
            items.append({"contract_no": no, "item_kind": kind, "item_no": item, "added_date": added,
                          "removed_date": removed})
            if kind == "patent":
                line_end = min(filter(None, (removed, end)), default=None)
                lines.append({"contract_no": no, "app_no": item, "pledgor": c.pledgor, "pledgee": c.pledgee,
                              "amount_yuan": c.amount, "registered_date": added, "changed_date": changed,
                              "released_date": line_end})
        for (day, name), (old, new) in sorted(c.changes.items()):
            changes.append({"contract_no": no, "change_date": day, "field": name, "old_value": old,
                            "new_value": new})
    batch = Batch()
    for table, rows in (("pledge_contracts", contracts), ("pledge_items", items), ("pledge_changes", changes),
                        ("pledges", lines)):
        batch.set(table, pd.DataFrame(rows) if rows else pd.DataFrame())
    return batch


def read_pledge_records(path: Path, con: duckdb.DuckDBPyConnection | None = None,
                        notes: ImportNotes | None = None) -> tuple[Batch, list[RowError]]:
    """The registry rows of a pledge file, folded with what ``con`` (the import's connection) holds of its
    contracts; without a connection, the file alone (no merging, no legal-state check).  A contract with any bad
    record is left out of the batch."""
    batch, errors, _, _ = _read_and_fold(path, con, notes)
    return batch, errors


def _read_and_fold(path: Path, con: duckdb.DuckDBPyConnection | None, notes: ImportNotes | None
                   ) -> tuple[Batch, list[RowError], int, str]:
    errors: list[RowError] = RowErrors()
    records, rows, shape = _read(path, errors)
    numbers = {r.contract_no for r in records}
    bad_rows = {e.row for e in errors}
    stored = _stored(con, sorted(numbers)) if con is not None else {}
    folder = _Folder(stored, SOURCES[shape], errors)
    # A contract with a row the reader refused is refused whole: its other rows would store half of it.
    for rec in records:
        if rec.row in bad_rows:
            folder.bad.add(rec.contract_no)
    folder.fold(records)
    _check_overlaps(con, folder, numbers)
    if con is not None:
        _check_in_force(con, folder, notes)
    return _rows(folder, numbers), errors, rows, shape


def pledge_chunks(path: Path, con: duckdb.DuckDBPyConnection, notes: ImportNotes
                  ) -> Iterator[tuple[Batch, list[RowError], int]]:
    """import_file's chunks for a pledge file: read when the import's transaction is open, so the stored contracts
    are read (and written) in it."""
    batch, errors, rows, _ = _read_and_fold(path, con, notes)
    yield batch, errors, rows
