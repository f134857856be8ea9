"""Bank ↔ enterprise financing requests (融资对接请求, docs/finance-requests.md).

A bank marks interest in financing an enterprise on some of its patents (status ``interest``); the enterprise's
account consents or declines; the bank may withdraw while nothing is decided either way (``interest`` or
``consented``); a consented request becomes ``contracted`` when a pledge contract is linked to it — by bureau
staff (`link_contract`: a contract of the request's, active on the request's day or registered after it) or
automatically by `match_contracts` when the registry holds a contract of that bank (`registry.bank_filter`) with
the enterprise as pledgor, registered on or after the request's day.

The table is the workflow table ``financing_requests`` (schema.WORKFLOW_TABLES: never exported to Parquet/Spark)
on a DuckDB connection.  Every change is one transaction with its audit entry (accounts.audit); a refused change
raises `RequestError` (a ValueError) whose message says why in both languages and changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import duckdb
import ibis

from hvpatent.warehouse.accounts import audit

REQUEST_STATUSES = ("interest", "consented", "declined", "withdrawn", "contracted")
#: Statuses of a request still under way: a second request of the same bank to the same enterprise on the same
#: patents is refused while one of these exists.
OPEN_STATUSES = ("interest", "consented")
REQUEST_STATUS_WORDS: dict[str, tuple[str, str]] = {
    "interest": ("银行有意向", "bank interested"), "consented": ("企业同意", "enterprise consented"),
    "declined": ("企业拒绝", "enterprise declined"), "withdrawn": ("银行撤回", "withdrawn by the bank"),
    "contracted": ("已签约质押", "pledge contracted"),
}
#: How an enterprise's answer note is signed in the request's note (the party, never a login name).
ANSWER_MARK = "企业答复 / enterprise"
MAX_PATENTS = 50
MAX_NOTE = 1000
#: Who `match_contracts` writes in ``decided_by`` and the audit log.
AUTO_LINKER = "auto"
#: A day after every registration: a contract "as it stands now" (all its changes applied) for `link_contract`.
LATEST = date(9999, 12, 31)
COLUMNS = ("request_id", "bank", "bank_name", "enterprise", "enterprise_name", "app_nos", "amount_yuan", "status",
           "note", "created_at", "created_by", "decided_at", "decided_by", "contract_no")


class RequestError(ValueError):
    """A request or change refused; the message names the field or the rule, in Chinese and English."""


class RequestNotFound(RequestError):
    """No such request, or not the asker's (another bank's, addressed to another enterprise): the same answer, so
    that nobody learns another's request exists (the web answers 404)."""


def _text(field: str, value: object) -> str:
    """A text the flow stores, refused when it cannot be stored: a lone surrogate (e.g. a JSON "\\ud800") or a
    NUL character."""
    text = "" if value is None else str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise RequestError(f"{field}: 含有无效字符（第 {err.start + 1} 个） / holds an invalid character "
                           f"(at {err.start + 1})") from None
    if "\x00" in text:
        raise RequestError(f"{field}: 含有空字符 / holds a NUL character")
    return text


def _not_found(request_id: str) -> RequestNotFound:
    return RequestNotFound(f"没有融资对接请求 {request_id} / no financing request {request_id}")


def _row(values: tuple) -> dict:
    row = dict(zip(COLUMNS, values, strict=True))
    row["app_nos"] = [a for a in (row["app_nos"] or "").split(";") if a]
    if row["amount_yuan"] is not None:
        row["amount_yuan"] = float(row["amount_yuan"])
    return row


def _get(con: duckdb.DuckDBPyConnection, request_id: str) -> dict:
    try:
        _text("request_id", request_id)
    except RequestError:
        raise _not_found(ascii(request_id)) from None
    rows = con.execute(f"SELECT {', '.join(COLUMNS)} FROM financing_requests WHERE request_id = ?",
                       [request_id]).fetchall()
    if not rows:
        raise _not_found(request_id)
    return _row(rows[0])


def get_request(con: duckdb.DuckDBPyConnection, request_id: str) -> dict | None:
    """One request by its id, or None."""
    try:
        return _get(con, str(request_id))
    except RequestNotFound:
        return None


def _app_nos(app_nos) -> list[str]:
    """The patents of a request: normalised, each once, sorted; 1 to MAX_PATENTS of them."""
    from hvpatent.ingest.appno import AppNoError, normalize_appno

    if isinstance(app_nos, str):
        app_nos = [a for a in app_nos.replace("；", ";").replace(",", ";").split(";")]
    out: set[str] = set()
    for raw in app_nos or ():
        if raw is None or not str(raw).strip():
            continue
        try:
            out.add(normalize_appno(str(raw).strip()))
        except AppNoError as err:
            raise RequestError(f"app_nos: 申请号 {raw!r} 无效 / not an application number: {err}") from err
    if not out:
        raise RequestError("app_nos: 至少选择一件专利 / choose at least one patent")
    if len(out) > MAX_PATENTS:
        raise RequestError(f"app_nos: 一次最多 {MAX_PATENTS} 件专利（收到 {len(out)} 件） / "
                           f"at most {MAX_PATENTS} patents per request ({len(out)} given)")
    return sorted(out)


def _amount(amount_yuan) -> Decimal | None:
    if amount_yuan is None or (isinstance(amount_yuan, str) and not amount_yuan.strip()):
        return None
    try:
        value = Decimal(str(amount_yuan).strip())
    except InvalidOperation as err:
        raise RequestError(f"amount_yuan: 金额 {amount_yuan!r} 不是数字 / not a number") from err
    if not value.is_finite() or value < 0:
        raise RequestError(f"amount_yuan: 金额不能为负数 / the amount cannot be negative ({amount_yuan})")
    if value >= Decimal(10) ** 16:
        raise RequestError(f"amount_yuan: 金额过大 / the amount is too large ({amount_yuan})")
    return value.quantize(Decimal("0.01"))


def _note(note) -> str | None:
    text = _text("note", note).strip()
    if len(text) > MAX_NOTE:
        raise RequestError(f"note: 备注最多 {MAX_NOTE} 字（收到 {len(text)} 字） / "
                           f"at most {MAX_NOTE} characters ({len(text)} given)")
    return text or None


def _owned(con: duckdb.DuckDBPyConnection, enterprise: str, app_nos: list[str]) -> set[str]:
    """The given applications that have the enterprise among their applicants (indicators.base.applications_of),
    read on a cursor of its own through Ibis."""
    from hvpatent.indicators.base import applications_of

    cursor = con.cursor()
    try:
        backend = ibis.duckdb.from_connection(cursor)
        owned = applications_of(backend, enterprise)
        table = owned.filter(owned.app_no.isin(app_nos)).to_pyarrow()
        return set(table.column("app_no").to_pylist())
    finally:
        cursor.close()
        # Ibis turns replacement scans off (see Warehouse.ibis); the importer relies on them.
        con.execute("SET python_enable_replacements = true")


def _next_id(con: duckdb.DuckDBPyConnection, day: date) -> str:
    """'R' + the day + '-' + a sequence of that day (R20250301-001): readable on the phone and in the audit log."""
    prefix = f"R{day:%Y%m%d}-"
    last = con.execute(  # the sequence as a number: R…-1000 follows R…-999 (as text it would sort before it)
        "SELECT max(TRY_CAST(substr(request_id, ?) AS BIGINT)) FROM financing_requests WHERE request_id LIKE ?",
        [len(prefix) + 1, prefix + "%"]).fetchall()[0][0]
    return f"{prefix}{(last or 0) + 1:03d}"


def _write(con: duckdb.DuckDBPyConnection, work) -> dict:
    """One transaction: ``work()`` checks and changes, its audit entry included; a refusal changes nothing."""
    con.begin()
    try:
        result = work()
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return result


def create_request(con: duckdb.DuckDBPyConnection, *, bank: str, bank_name: str, enterprise: str,
                   enterprise_name: str, app_nos, amount_yuan=None, note: str | None = None, by: str,
                   now: datetime | None = None) -> dict:
    """A bank's interest in financing ``enterprise`` (normalised name) on ``app_nos`` (its patents: the enterprise
    must be an applicant of each, in any position; at most MAX_PATENTS), status ``interest``.  Refused: a patent
    not the enterprise's, a negative amount, a note over MAX_NOTE characters, an open request (interest or
    consented) of the same bank to the same enterprise on the same patents."""
    bank, enterprise = _text("bank", bank).strip(), _text("enterprise", enterprise).strip()
    bank_name = _text("bank_name", bank_name).strip()
    enterprise_name = _text("enterprise_name", enterprise_name).strip()
    by = _text("by", by)
    if not bank:
        raise RequestError("bank: 此账号未绑定银行 / this account is bound to no bank")
    if not enterprise:
        raise RequestError("enterprise: 缺少企业 / the enterprise is missing")
    patents = _app_nos(app_nos)
    amount, text = _amount(amount_yuan), _note(note)
    foreign = sorted(set(patents) - _owned(con, enterprise, patents))
    if foreign:
        raise RequestError(f"app_nos: {', '.join(foreign)} 不是{enterprise_name or enterprise}的专利 / "
                           f"not patents of {enterprise_name or enterprise}")
    joined = ";".join(patents)
    now = now or datetime.now()

    def work() -> dict:
        open_ = con.execute(
            "SELECT request_id FROM financing_requests WHERE bank = ? AND enterprise = ? AND app_nos = ?"
            f" AND status IN {OPEN_STATUSES}", [bank, enterprise, joined]).fetchall()
        if open_:
            raise RequestError(f"已有同一组专利的对接请求 {open_[0][0]}（未完结） / an open request on the "
                               f"same patents exists: {open_[0][0]}")
        request_id = _next_id(con, now.date())
        con.execute("INSERT INTO financing_requests VALUES (?, ?, ?, ?, ?, ?, ?, 'interest', ?, ?, ?, NULL, NULL, "
                    "NULL)", [request_id, bank, bank_name or bank, enterprise, enterprise_name or enterprise, joined,
                              amount, text, now, by])
        audit(con, by, "financing_request_created",
              f"{request_id}: {bank} → {enterprise} [{joined}] amount={amount}")
        return _get(con, request_id)

    return _write(con, work)


def _move(con: duckdb.DuckDBPyConnection, request_id: str, allowed: tuple[str, ...], status: str, by: str,
          action: str, *, check=None, contract_no: str | None = None, note: str | None = None,
          now: datetime | None = None) -> dict:
    by = _text("by", by)

    def work() -> dict:
        row = _get(con, request_id)
        if check is not None:
            check(row)
        if row["status"] not in allowed:
            raise RequestError(
                f"请求 {request_id} 当前状态为「{REQUEST_STATUS_WORDS[row['status']][0]}」，"
                f"不能改为「{REQUEST_STATUS_WORDS[status][0]}」 / request {request_id} is {row['status']}: "
                f"it cannot become {status}")
        new_note = row["note"]
        if note:  # signed by the party, not by the login name (the bank reads the note)
            new_note = f"{row['note'] or ''}\n[{ANSWER_MARK}] {note}".strip()
        con.execute("UPDATE financing_requests SET status = ?, decided_at = ?, decided_by = ?, note = ?,"
                    " contract_no = coalesce(?, contract_no) WHERE request_id = ?",
                    [status, now or datetime.now(), by, new_note, contract_no, request_id])
        audit(con, by, action, f"{request_id}: {row['status']} → {status}"
              + (f" contract {contract_no}" if contract_no else "") + (f" note: {note}" if note else ""))
        return _get(con, request_id)

    return _write(con, work)


def answer_request(con: duckdb.DuckDBPyConnection, request_id: str, *, enterprise: str, consent: bool, by: str,
                   note: str | None = None) -> dict:
    """The enterprise's answer: consented or declined; only the enterprise the request is addressed to, only from
    ``interest``.  Another enterprise's request answers as one that does not exist (no hint that it does)."""
    text = _note(note)

    def mine(row: dict) -> None:
        if row["enterprise"] != (enterprise or ""):
            raise _not_found(request_id)

    return _move(con, request_id, ("interest",), "consented" if consent else "declined", by,
                 "financing_request_consented" if consent else "financing_request_declined", check=mine, note=text)


def covers(bank: str | None, request_bank: str) -> bool:
    """Whether a bank account (its normalised bank) acts for a request made by ``request_bank``: the same bank or
    one of its branches (the name starts with the account's: registry.bank_filter's rule, a head office covers its
    branches).  An account bound to no bank covers nothing."""
    from hvpatent.ingest.fields import normalize_name

    bank = normalize_name(bank or "")
    return bool(bank) and (request_bank or "").startswith(bank)


def withdraw_request(con: duckdb.DuckDBPyConnection, request_id: str, *, bank: str, by: str) -> dict:
    """The bank withdraws its request (from interest or consented): the bank that asked or its head office
    (`covers`); another bank's answers as not existing."""
    def mine(row: dict) -> None:
        if not covers(bank, row["bank"]):
            raise _not_found(request_id)

    return _move(con, request_id, OPEN_STATUSES, "withdrawn", by, "financing_request_withdrawn", check=mine)


def of_request(table: ibis.Table, row: dict) -> ibis.Table:
    """The contracts (rows of registry.contracts_on) that can be a request's: pledgee of the request's bank by the
    registry's bank rule (registry.bank_filter), the enterprise as pledgor.  `link_contract` and `contract_matches`
    both use it."""
    from hvpatent.finance.registry import bank_filter

    mine = bank_filter(table, row["bank"])
    return mine.filter(mine.pledgor_norm == row["enterprise"])


def _found(con: duckdb.DuckDBPyConnection, contract_no: str, row: dict) -> dict | None:
    """The registry's contract for a typed number (`contract_numbers`: its key first, then as typed; the first
    found wins), as it stands now (every change applied): {contract_no (as the registry stores it), fits (whether
    it is the request's, `of_request`), ended (its release or disposal day, the earlier, or None)}; None when the
    registry holds no such contract (legacy lines included).  Read on a cursor of its own through Ibis."""
    from hvpatent.finance import contract_numbers
    from hvpatent.finance.registry import contracts_on

    numbers = contract_numbers(contract_no)
    cursor = con.cursor()
    try:
        table = contracts_on(ibis.duckdb.from_connection(cursor), LATEST)
        found = table.filter(table.contract_no.isin(numbers))
        rows = {r["contract_no"]: r for r in found.select(
            "contract_no", "released_date", "disposed_date").to_pyarrow().to_pylist()}
        stored = next((n for n in numbers if n in rows), None)
        if stored is None:
            return None
        mine = of_request(found.filter(found.contract_no == stored), row)
        ends = [d for d in (rows[stored]["released_date"], rows[stored]["disposed_date"]) if d is not None]
        return {"contract_no": stored, "fits": bool(mine.count().to_pyarrow().as_py()),
                "ended": min(ends) if ends else None}
    finally:
        cursor.close()
        con.execute("SET python_enable_replacements = true")  # as in _owned


def link_contract(con: duckdb.DuckDBPyConnection, request_id: str, contract_no: str, *, by: str) -> dict:
    """Bureau staff link a registered pledge contract to a consented request: status ``contracted``.  The number
    is found however it is typed (`contract_numbers`: lower case, spaces, full-width) and the registry's number is
    stored.  Refused: a contract not in the registry; one whose pledgee (as it stands now, changes applied) is not
    the request's bank by the bank rule or whose pledgor is not the request's enterprise (`of_request`); one
    released or disposed on or before the request's day (a contract must be active on that day or registered
    after it); a contract already linked to another request; a request not consented."""
    typed = _text("contract_no", contract_no).strip()
    if not typed:
        raise RequestError("contract_no: 缺少质押登记号 / the contract number is missing")
    request = _get(con, request_id)  # a request's bank, enterprise and day never change
    found = _found(con, typed, request)
    contract_no = found["contract_no"] if found is not None else typed

    def check(row: dict) -> None:
        if found is None:
            raise RequestError(f"contract_no: 登记簿中没有质押合同 {typed} / no pledge contract {typed} "
                               "in the registry")
        if row["status"] == "consented" and not found["fits"]:
            raise RequestError(
                f"contract_no: 质押合同 {contract_no} 不是 {row['enterprise_name']} 向 {row['bank_name']} 出质的 / "
                f"contract {contract_no} is no pledge of {row['enterprise_name']} to {row['bank_name']}")
        day = row["created_at"].date()
        if row["status"] == "consented" and found["ended"] is not None and found["ended"] <= day:
            raise RequestError(
                f"contract_no: 质押合同 {contract_no} 于 {found['ended']} 已注销或处置，早于请求 {request_id} 的"
                f"创建日 {day} / contract {contract_no} ended (released or disposed) on {found['ended']}, "
                f"not after request {request_id} was made on {day}")
        other = con.execute("SELECT request_id FROM financing_requests WHERE contract_no = ? AND request_id <> ?",
                            [contract_no, request_id]).fetchall()
        if other:
            raise RequestError(f"contract_no: 质押合同 {contract_no} 已关联请求 {other[0][0]} / contract "
                               f"{contract_no} is linked to request {other[0][0]}")

    return _move(con, request_id, ("consented",), "contracted", by, "financing_request_contracted",
                 check=check, contract_no=contract_no)


def list_requests(con: duckdb.DuckDBPyConnection, *, bank: str | None = None, enterprise: str | None = None,
                  status: str | None = None) -> list[dict]:
    """Requests, newest first: of one bank (its normalised name; its branches' too, the bank rule of `covers` and
    registry.bank_filter: a head office covers its branches; an empty name, none), to one enterprise (exactly its
    normalised name), in one status."""
    from hvpatent.ingest.fields import normalize_name

    if status is not None and status not in REQUEST_STATUSES:
        raise RequestError(f"status: {status!r} 不是 {'|'.join(REQUEST_STATUSES)} 之一 / not one of them")
    where, params = [], []
    if bank is not None:
        bank = normalize_name(bank)
        if not bank:
            return []
        where.append("starts_with(bank, ?)")
        params.append(bank)
    for column, value in (("enterprise", enterprise), ("status", status)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    sql = (f"SELECT {', '.join(COLUMNS)} FROM financing_requests"
           + (f" WHERE {' AND '.join(where)}" if where else "")
           + " ORDER BY created_at DESC, length(request_id) DESC, request_id DESC")  # -1000 after -999
    return [_row(r) for r in con.execute(sql, params).fetchall()]


def pipeline(con: duckdb.DuckDBPyConnection) -> dict:
    """The bureau's view: {total, by_status: {status: n} (every status, 0 included), by_bank: [{bank, bank_name,
    total, <status>: n ...}] most requests first, amount_yuan: consented + contracted amounts}."""
    rows = con.execute("SELECT bank, any_value(bank_name), status, count(*), sum(amount_yuan)"
                       " FROM financing_requests GROUP BY bank, status").fetchall()
    by_status = dict.fromkeys(REQUEST_STATUSES, 0)
    banks: dict[str, dict] = {}
    amount = 0.0
    for bank, name, status, n, total in rows:
        by_status[status] = by_status.get(status, 0) + n
        entry = banks.setdefault(bank, {"bank": bank, "bank_name": name, "total": 0,
                                        **dict.fromkeys(REQUEST_STATUSES, 0)})
        entry[status] += n
        entry["total"] += n
        if status in ("consented", "contracted") and total is not None:
            amount += float(total)
    return {"total": sum(by_status.values()), "by_status": by_status,
            "by_bank": sorted(banks.values(), key=lambda b: (-b["total"], b["bank"])), "amount_yuan": amount}


def contract_matches(con_ibis: ibis.BaseBackend, consented: list[dict], as_of: date,
                     linked: set[str] | frozenset[str] = frozenset()) -> dict[str, str]:
    """request_id → contract_no for consented requests with a contract in the registry on ``as_of``: pledgee of
    the request's bank (registry.bank_filter), pledgor the enterprise, registered on or after the request's day;
    the earliest such contract (then the lowest number), each contract for one request only, none of ``linked``
    (contracts already linked to a request).  Read only."""
    from hvpatent.finance.registry import contracts_on

    if not consented:
        return {}
    table = contracts_on(con_ibis, as_of)
    taken = set(linked)
    out: dict[str, str] = {}
    for row in sorted(consented, key=lambda r: (r["created_at"], r["request_id"])):
        mine = of_request(table, row)
        mine = mine.filter(mine.registered_date >= row["created_at"].date())
        found = mine.order_by(["registered_date", "contract_no"]).select("contract_no").to_pyarrow()
        for contract_no in found.column("contract_no").to_pylist():
            if contract_no not in taken:
                taken.add(contract_no)
                out[row["request_id"]] = contract_no
                break
    return out


def match_contracts(con_duck: duckdb.DuckDBPyConnection, con_ibis: ibis.BaseBackend, as_of: date, *,
                    by: str = AUTO_LINKER) -> list[dict]:
    """Link every consented request that a registered contract matches (`contract_matches`; contracts already
    linked to a request are not offered again): the requests changed, each in its own transaction and audit entry.
    A link refused meanwhile (answered, withdrawn, the pledgee changed after ``as_of``) is skipped."""
    linked = {r[0] for r in con_duck.execute(
        "SELECT contract_no FROM financing_requests WHERE contract_no IS NOT NULL").fetchall()}
    matches = contract_matches(con_ibis, list_requests(con_duck, status="consented"), as_of, linked)
    changed = []
    for request_id, contract_no in matches.items():
        try:
            changed.append(link_contract(con_duck, request_id, contract_no, by=by))
        except RequestError:
            continue
    return changed
