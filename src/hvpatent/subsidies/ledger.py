"""The subsidy ledger: applications → review → approval → payment batch → clawback (docs/subsidies.md, "the ledger").

One row per (item, subject_key, period) — the table's primary key — and the invariants the issue is about:

* a key is paid at most once (the primary key, and a paid row is never changed except by a clawback);
* an event (``event_key``: one grant, one criterion met, one award …) has at most one row, across periods (2024
  and 2024-Q2), policy versions and re-runs: a new row is refused while any row of the event exists, rejected
  ones included (a rejected event does not come back through another period), and a rejected row is re-opened
  only when its own key is named and no other live (applied, reviewed, approved, paid) or clawed-back row holds
  the event.  DuckDB has no partial unique index, so every insert or re-opening checks it inside its transaction;
* a re-run of a period adds nothing;
* an approval that would pass the item's yearly cap per payee, the version's yearly cap per payee or the item's or
  version's budget for the year (approved + paid − clawed back, and the finance ledger's approved and paid
  interest subsidies: rules.finance_committed) is refused, naming the key and the cap;
* an approval or a payment of a row whose application has a standing abnormal notice on the day, or whose latest
  review confirmed it abnormal (rules.abnormal_applications), is refused, naming the key and the notice or review.

Statuses: applied → reviewed | rejected (review), reviewed → approved | rejected (decide), approved → paid (pay),
paid → clawed_back (claw_back).  Every call is one transaction — all its keys or none — and every change writes
its audit entry (warehouse.accounts.audit) naming the key.  Eligibility comes from rules.eligible, called through
the module (``rules.eligible``, imported in the call: rules reads the ledger too) so tests can stand in for it.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
import ibis

from hvpatent.subsidies.common import money, table_exists
from hvpatent.subsidies.common import say as _say
from hvpatent.subsidies.common import step as _step
from hvpatent.subsidies.policy import Item, PolicyVersion, SubsidyPolicy
from hvpatent.warehouse.transaction import transaction

LEDGER_STATUSES = ("applied", "reviewed", "approved", "rejected", "paid", "clawed_back")
LEDGER_STATUS_WORDS: dict[str, tuple[str, str]] = {
    "applied": ("已申请", "applied"), "reviewed": ("已初审", "reviewed"), "approved": ("已核准", "approved"),
    "rejected": ("未通过", "rejected"), "paid": ("已拨付", "paid"), "clawed_back": ("已追回", "clawed back")}
LIVE = ("applied", "reviewed", "approved", "paid")   # rows that may still be, or have been, paid
HOLDING = (*LIVE, "clawed_back")                      # rows that hold their event: it is never paid again
COUNTED = ("approved", "paid", "clawed_back")         # rows whose approved amount (less clawbacks) uses up caps
FINANCE_KIND = "pledge_interest"                      # paid through issue 18's finance ledger, never here

COLUMNS = ("item", "subject_key", "period", "subject_kind", "subject_name", "app_no", "event_key", "event_date",
           "policy_version", "payee", "payee_name", "town_code", "industry", "applicant_type", "computed_yuan",
           "approved_yuan", "status", "trace", "note", "applied_at", "applied_by", "reviewed_at", "reviewed_by",
           "decided_at", "decided_by", "paid_at", "payment_batch", "clawback_yuan", "clawback_at", "clawback_by",
           "clawback_reason")
_MONEY = ("computed_yuan", "approved_yuan", "clawback_yuan")

Key = tuple[str, str, str]


class SubsidyError(ValueError):
    """A ledger change refused: the message says why, in Chinese and English."""


def _money(value: object) -> Decimal:
    try:
        return money(value)
    except InvalidOperation as error:
        raise SubsidyError(_say(f"金额无效：{value!r}", f"not an amount: {value!r}")) from error


# -- keys ------------------------------------------------------------------------------------------------------

def key_text(item: str, subject_key: str, period: str) -> str:
    """The key as one text, ``item|subject_key|period`` (the CLI's and the web's form of a ledger key)."""
    return f"{item}|{subject_key}|{period}"


def parse_key(text: str) -> Key:
    """``item|subject_key|period`` back to its three parts; SubsidyError for anything else.  The item and the
    period never hold '|', so the subject key is what lies between the first and the last one."""
    parts = text.strip().split("|") if isinstance(text, str) else []
    if len(parts) < 3:
        raise SubsidyError(_say(f"台账键 {text!r} 无效，应为 项目|对象|期间",
                                f"ledger key {text!r} is not valid: item|subject|period"))
    item, subject, period = parts[0].strip(), "|".join(parts[1:-1]).strip(), parts[-1].strip()
    if not item or not subject:
        raise SubsidyError(_say(f"台账键 {text!r} 缺少项目或对象", f"ledger key {text!r} lacks the item or subject"))
    _period(period)
    return item, subject, period


def _period(period: str) -> tuple[date, date]:
    from hvpatent.finance.ledger import LedgerError, period_range

    try:
        return period_range(period)
    except LedgerError as error:
        raise SubsidyError(str(error)) from error


def _keys(keys: list) -> list[Key]:
    """Keys as (item, subject_key, period) tuples, in order, each once; a text key is parsed."""
    out = [parse_key(k) if isinstance(k, str) else tuple(k) for k in keys]
    if any(len(k) != 3 for k in out):
        raise SubsidyError(_say("台账键须为 (项目, 对象, 期间)", "a ledger key is (item, subject, period)"))
    return list(dict.fromkeys(out))


# -- rows ------------------------------------------------------------------------------------------------------

def _row(values: tuple) -> dict:
    row = dict(zip(COLUMNS, values, strict=True))
    for column in _MONEY:
        if row[column] is not None:
            row[column] = _money(row[column])
    row["trace"] = json.loads(row["trace"])
    return row


def _get(duck: duckdb.DuckDBPyConnection, key: Key) -> dict | None:
    rows = duck.execute(f"SELECT {', '.join(COLUMNS)} FROM subsidy_ledger WHERE item = ? AND subject_key = ?"
                        " AND period = ?", list(key)).fetchall()
    return _row(rows[0]) if rows else None


def _must_get(duck: duckdb.DuckDBPyConnection, key: Key, wanted: tuple[str, ...], action: tuple[str, str]) -> dict:
    row = _get(duck, key)
    text = key_text(*key)
    if row is None:
        raise SubsidyError(_say(f"{text}：台账中没有这一行", f"{text}: no such ledger row"))
    if row["status"] not in wanted:
        zh = "、".join(LEDGER_STATUS_WORDS[s][0] for s in wanted)
        hint = _say("；请先初审", "; review it first") if row["status"] == "applied" and "reviewed" in wanted else ""
        raise SubsidyError(_say(f"{text}：状态为{LEDGER_STATUS_WORDS[row['status']][0]}，只有{zh}的行可以{action[0]}",
                                f"{text}: status {row['status']}; only {' or '.join(wanted)} rows can be "
                                f"{action[1]}") + hint)
    return row


def _holder(duck: duckdb.DuckDBPyConnection, event_key: str, key: Key,
            statuses: tuple[str, ...] = HOLDING) -> tuple | None:
    """The other row (key and status) of ``event_key`` in one of ``statuses`` (live or clawed back; a new row is
    also held off by a rejected one).  The DB-level guard."""
    placeholders = ", ".join("?" * len(statuses))
    rows = duck.execute(f"SELECT item, subject_key, period, status FROM subsidy_ledger WHERE event_key = ?"
                        f" AND status IN ({placeholders}) AND NOT (item = ? AND subject_key = ? AND period = ?)"
                        " ORDER BY status = 'rejected'", [event_key, *statuses, *key]).fetchall()
    return rows[0] if rows else None


def _audit(duck: duckdb.DuckDBPyConnection, by: str, action: str, detail: str) -> None:
    from hvpatent.warehouse.accounts import audit

    audit(duck, by, action, detail)


def _set(duck: duckdb.DuckDBPyConnection, key: Key, trace: list, **columns: object) -> None:
    assignments = ", ".join(f"{c} = ?" for c in columns)
    duck.execute(f"UPDATE subsidy_ledger SET {assignments}, trace = ? WHERE item = ? AND subject_key = ?"
                 " AND period = ?", [*columns.values(), json.dumps(trace, ensure_ascii=False, default=str), *key])


def _by(by: str) -> str:
    if not (by or "").strip():
        raise SubsidyError(_say("须注明操作人", "the user making the change is needed"))
    return by.strip()


# -- applications ----------------------------------------------------------------------------------------------

def apply_items(duck: duckdb.DuckDBPyConnection, con: ibis.BaseBackend, policy: SubsidyPolicy, period: str, *,
                as_of: date, by: str, keys: list[Key] | None = None, payee: str | None = None,
                items: tuple[str, ...] | None = None) -> dict:
    """Record the period's eligible rows as applications (all of them, or those of ``keys``).

    Returns {"added": [ledger rows], "already": [keys in the ledger, or whose event another row holds],
    "ineligible": [keys not eligible, or named keys eligible() did not return], "finance_ledger": [pledge-interest
    keys, paid through the finance ledger]}.  A re-run adds nothing; a rejected row is re-opened only when its key
    is in ``keys``, and a key whose event another row holds — a rejected one included — is never added.  One
    transaction, one audit entry per added row."""
    by = _by(by)
    period = period.strip() if isinstance(period, str) else period
    _period(period)
    wanted = None if keys is None else set(_keys(keys))
    result: dict[str, list] = {"added": [], "already": [], "ineligible": [], "finance_ledger": []}
    from hvpatent.subsidies import rules  # through the module: tests replace rules.eligible

    with transaction(duck):
        rows = rules.eligible(con, policy, period, as_of=as_of, ledger=duck, payee=payee, items=items)
        seen: set[Key] = set()
        for candidate in rows:
            key = (candidate["item"], candidate["subject_key"], candidate["period"])
            if (wanted is not None and key not in wanted) or key in seen:
                continue
            seen.add(key)
            result[_apply_one(duck, candidate, key, explicit=wanted is not None, by=by)].append(key)
        result["ineligible"] += sorted((wanted or set()) - seen)
    added = result["added"]
    result["added"] = [_get(duck, key) for key in added]
    return result


def _apply_one(duck: duckdb.DuckDBPyConnection, candidate: dict, key: Key, *, explicit: bool, by: str) -> str:
    """Insert (or re-open) one eligible row; the name of the result list the key belongs in."""
    if candidate.get("item_kind") == FINANCE_KIND or candidate.get("paid_via") == "finance_ledger":
        return "finance_ledger"
    existing = _get(duck, key)
    if existing is not None and not (existing["status"] == "rejected" and explicit):
        return "already"
    if not candidate.get("eligible") or _money(candidate.get("amount_yuan") or 0) <= 0:
        return "ineligible"
    # a new row: any other row of the event holds it off, a rejected one too (only its own key re-opens it)
    if _holder(duck, candidate["event_key"], key, HOLDING if existing is not None else LEDGER_STATUSES) is not None:
        return "already"
    now = datetime.now()
    trace = list(candidate.get("trace") or [])
    if existing is not None:
        trace = [*existing["trace"], _step("reopen", {"by": by}, "applied"), *trace]
        duck.execute("DELETE FROM subsidy_ledger WHERE item = ? AND subject_key = ? AND period = ?", list(key))
    values = {
        "item": key[0], "subject_key": key[1], "period": key[2], "subject_kind": candidate["subject_kind"],
        "subject_name": candidate.get("subject_name"), "app_no": candidate.get("app_no"),
        "event_key": candidate["event_key"], "event_date": candidate.get("event_date"),
        "policy_version": candidate["policy_version"], "payee": candidate["payee"],
        "payee_name": candidate.get("payee_name") or candidate["payee"], "town_code": candidate.get("town_code"),
        "industry": candidate.get("industry"), "applicant_type": candidate.get("applicant_type"),
        "computed_yuan": _money(candidate["amount_yuan"]), "status": "applied",
        "trace": json.dumps(trace, ensure_ascii=False, default=str), "applied_at": now, "applied_by": by}
    duck.execute(f"INSERT INTO subsidy_ledger ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                 list(values.values()))
    _audit(duck, by, "subsidy.apply", f"{key_text(*key)} event {candidate['event_key']} "
           f"computed {values['computed_yuan']}" + (" (re-opened)" if existing is not None else ""))
    return "added"


# -- review and decision ---------------------------------------------------------------------------------------

def review(duck: duckdb.DuckDBPyConnection, keys: list[Key], *, passed: bool, by: str,
           note: str | None = None) -> list[dict]:
    """Review applied rows: passed → reviewed, else rejected (a rejection needs a note).  All keys or none."""
    by, chosen = _by(by), _keys(keys)
    note = (note or "").strip()[:500] or None
    if not passed and note is None:
        raise SubsidyError(_say("不予通过须写明理由", "a rejection needs a reason"))
    status = "reviewed" if passed else "rejected"
    with transaction(duck):
        for key in chosen:
            row = _must_get(duck, key, ("applied",), ("初审", "reviewed"))
            trace = [*row["trace"], _step("review", {"by": by, "note": note}, status, passed)]
            now = datetime.now()
            extra = {} if passed else {"decided_at": now, "decided_by": by}
            _set(duck, key, trace, status=status, reviewed_at=now, reviewed_by=by, note=note, **extra)
            _audit(duck, by, "subsidy.review", f"{key_text(*key)} → {status}" + (f": {note}" if note else ""))
    return [_get(duck, key) for key in chosen]


def decide(duck: duckdb.DuckDBPyConnection, policy: SubsidyPolicy, keys: list[Key], *,
           approve: bool, by: str, note: str | None = None) -> list[dict]:
    """Approve or reject reviewed rows (an applied row is refused: review first).  An approval re-checks the
    caps and budgets against the year's approved + paid − clawed back (the rows approved earlier in this call
    included, in order of event day and subject) and refuses — SubsidyError naming the key and the cap — what
    would pass one.  The reviewer may also approve; both are recorded.  All keys or none."""
    by, chosen = _by(by), _keys(keys)
    note = (note or "").strip()[:500] or None
    if not approve and note is None:
        raise SubsidyError(_say("不予核准须写明理由", "a rejection needs a reason"))
    with transaction(duck):
        rows = [_must_get(duck, key, ("reviewed",), ("审核", "decided")) for key in chosen]
        rows.sort(key=lambda r: (r["event_date"] or date.min, r["subject_key"], r["item"], r["period"]))
        notices = _standing_notices(duck, date.today()) if approve else {}
        finance = _finance(duck, policy) if approve else []
        for row in rows:
            key = (row["item"], row["subject_key"], row["period"])
            now = datetime.now()
            if approve:
                if _version_item(policy, row)[1].exclude_abnormal:
                    _refuse_abnormal(row, notices, ("核准", "approved"))
                checks = _check_limits(duck, policy, row, finance)
                trace = [*row["trace"], _step("decision", {"by": by, "checks": checks, "note": note}, "approved")]
                _set(duck, key, trace, status="approved", approved_yuan=row["computed_yuan"], decided_at=now,
                     decided_by=by, note=note or row["note"])
                detail = f"{key_text(*key)} approved {row['computed_yuan']}"
            else:
                trace = [*row["trace"], _step("decision", {"by": by, "note": note}, "rejected", False)]
                _set(duck, key, trace, status="rejected", decided_at=now, decided_by=by, note=note)
                detail = f"{key_text(*key)} rejected: {note}"
            _audit(duck, by, "subsidy.decide", detail)
    return [_get(duck, key) for key in chosen]


def _version_item(policy: SubsidyPolicy, row: dict) -> tuple[PolicyVersion, Item]:
    key = key_text(row["item"], row["subject_key"], row["period"])
    version = next((v for v in policy.versions if v.version == row["policy_version"]), None)
    item = version.item(row["item"]) if version is not None else None
    if version is None or item is None:   # its caps cannot be checked: refuse rather than skip them
        raise SubsidyError(_say(
            f"{key}：政策文件 {policy.path} 中已没有该行适用的政策版本 {row['policy_version']!r} 或项目，无法核对上限",
            f"{key}: the policy version {row['policy_version']!r} or its item is no longer in {policy.path}, so "
            "its caps cannot be checked"))
    return version, item


def _standing_notices(duck: duckdb.DuckDBPyConnection, day: date) -> dict[str, dict]:
    """The applications with a standing abnormal notice, or confirmed abnormal by review, on ``day``
    (rules.abnormal_applications, read on a cursor of its own: neither is what this transaction changes).  Neither
    table (an older warehouse): none."""
    from hvpatent.subsidies import rules

    if not table_exists(duck, "abnormal_notices") and not table_exists(duck, "abnormal_reviews"):
        return {}
    cursor = duck.cursor()
    try:
        return rules.abnormal_applications(ibis.duckdb.from_connection(cursor), day)
    finally:
        cursor.close()


def _refuse_abnormal(row: dict, notices: dict[str, dict], action: tuple[str, str]) -> None:
    """SubsidyError naming the key and the notice when the row's application stands notified abnormal."""
    notice = notices.get(row["app_no"]) if row.get("app_no") else None
    if notice is None:
        return
    text = key_text(row["item"], row["subject_key"], row["period"])
    if notice.get("source") == "review":
        raise SubsidyError(_say(
            f"{text}：申请 {row['app_no']} 于 {notice['notice_date']} 经复核确认为非正常专利申请，不能{action[0]}",
            f"{text}: application {row['app_no']} was confirmed abnormal by review on {notice['notice_date']}: "
            f"it cannot be {action[1]}"))
    batch = notice.get("batch") or ""
    raise SubsidyError(_say(
        f"{text}：申请 {row['app_no']} 于 {notice['notice_date']} 被通报为非正常专利申请"
        f"（{batch}，{notice['outcome']}），不能{action[0]}",
        f"{text}: application {row['app_no']} was notified abnormal on {notice['notice_date']} ({batch}, "
        f"{notice['outcome']}): it cannot be {action[1]}"))


def _finance(duck: duckdb.DuckDBPyConnection, policy: SubsidyPolicy) -> list[dict]:
    from hvpatent.subsidies import rules

    return rules.finance_committed(duck, policy)


def _finance_used(finance: list[dict], year: str | None, match: dict) -> Decimal:
    """The finance ledger's interest subsidies a limit counts (rules.finance_committed): per payee, version or
    item (the pledge_interest item's own limits) and year; never a cap per subject."""
    names = {"payee": "payee", "policy_version": "version", "item": "item"}
    if year is None or not set(match) <= set(names):
        return Decimal(0)
    return sum((f["amount_yuan"] for f in finance if f["year"] == year
                and all(f[names[c]] == v for c, v in match.items())), Decimal(0))


def _used(duck: duckdb.DuckDBPyConnection, year: str | None, **match: str) -> Decimal:
    """Approved + paid − clawed back of the rows matching ``match``, in the year (by the period's year) unless
    ``year`` is None (a cap per subject spans every year)."""
    where = [f"{column} = ?" for column in match] + ([] if year is None else ["substr(period, 1, 4) = ?"])
    placeholders = ", ".join("?" * len(COUNTED))
    total = duck.execute(
        "SELECT coalesce(sum(approved_yuan - coalesce(clawback_yuan, 0)), 0) FROM subsidy_ledger"
        f" WHERE status IN ({placeholders}) AND " + " AND ".join(where),
        [*COUNTED, *match.values(), *([] if year is None else [year])]).fetchall()[0][0]
    return _money(total)


def _check_limits(duck: duckdb.DuckDBPyConnection, policy: SubsidyPolicy, row: dict,
                  finance: list[dict] | None = None) -> list[dict]:
    """Each cap and budget the row's version and item set, with what is used (the finance ledger's interest
    subsidies of the payee's year included, as rules.eligible counts them); SubsidyError at the first the row's
    amount would pass (exactly reaching it is allowed)."""
    version, item = _version_item(policy, row)
    year, amount, payee = row["period"][:4], _money(row["computed_yuan"]), row["payee"]
    # the subject of a per-subject cap is the patent (grants abroad: every office of it), as rules.eligible counts it
    subject = {"app_no": row["app_no"]} if row["app_no"] else {"subject_key": row["subject_key"]}
    limits = (
        ("cap_subject", ("单项（每件/每家）上限", "the item's cap per subject"), item.cap_per_subject_yuan,
         {"item": item.id, **subject}, None),
        ("cap_item_year", ("每户每年该项目上限", "the item's cap per payee and year"), item.cap_per_applicant_year_yuan,
         {"item": item.id, "payee": payee}, year),
        ("cap_version_year", ("每户每年总上限", "the policy version's cap per payee and year"),
         version.cap_per_applicant_year_yuan, {"policy_version": version.version, "payee": payee}, year),
        ("budget_item", ("该项目年度预算", "the item's budget for the year"), item.budget_yuan, {"item": item.id},
         year),
        ("budget_version", ("政策版本年度预算", "the policy version's budget for the year"), version.budget_yuan,
         {"policy_version": version.version}, year),
    )
    checks = []
    for rule, words, limit, match, within in limits:
        if limit is None:
            continue
        cap = _money(limit)
        used = _money(_used(duck, within, **match) + _finance_used(finance or [], within, match))
        if used + amount > cap:
            text = key_text(row["item"], row["subject_key"], row["period"])
            span = ("", "") if within is None else (f"（{within} 年）", f" ({within})")
            raise SubsidyError(_say(f"{text}：超过{words[0]}{span[0]}：上限 {cap}，已用 {used}，本次 {amount}",
                                    f"{text}: over {words[1]}{span[1]}: cap {cap}, used {used}, this {amount}"))
        checks.append({"rule": rule, "cap": str(cap), "used": str(used), "amount": str(amount)})
    return checks


# -- payment and clawback --------------------------------------------------------------------------------------

def pay(duck: duckdb.DuckDBPyConnection, batch: str, *, by: str, keys: list[Key] | None = None) -> list[dict]:
    """Pay approved rows in one payment batch (every approved row, or those of ``keys``); the batch's rows for
    the finance office.  A batch name is used once; SubsidyError when a key is not approved, nothing is left to
    pay, or a row's application stands notified abnormal today and its item excludes abnormal applications (the
    row's trace has the abnormal step rules.eligible adds for such items) — the whole batch is refused, naming the
    key and the notice.  One transaction, one audit entry per paid row."""
    by, name = _by(by), (batch or "").strip()
    if not name or len(name) > 60 or "|" in name:
        raise SubsidyError(_say("拨付批次名须为 1–60 个字符（不含 |）",
                                "a payment batch needs a name of 1–60 characters (no |)"))
    with transaction(duck):
        if duck.execute("SELECT count(*) FROM subsidy_ledger WHERE payment_batch = ?", [name]).fetchall()[0][0]:
            raise SubsidyError(_say(f"拨付批次 {name} 已存在", f"payment batch {name} exists already"))
        approved = {tuple(r) for r in duck.execute(
            "SELECT item, subject_key, period FROM subsidy_ledger WHERE status = 'approved'").fetchall()}
        chosen = approved if keys is None else set(_keys(keys))
        missing = sorted(chosen - approved)
        if missing:
            listed = "; ".join(key_text(*k) for k in missing)
            raise SubsidyError(_say(f"这些行不是已核准状态，不能拨付：{listed}",
                                    f"not approved, cannot be paid: {listed}"))
        if not chosen:
            raise SubsidyError(_say("没有待拨付的已核准行", "nothing approved is waiting for payment"))
        rows = [_get(duck, key) for key in sorted(chosen)]
        notices = _standing_notices(duck, date.today())
        for row in rows:   # the item excluded abnormal applications when the row was assessed (its abnormal step)
            if any(step.get("rule") == "abnormal" for step in row["trace"]):
                _refuse_abnormal(row, notices, ("拨付", "paid"))
        now = datetime.now()
        for row in rows:
            key = (row["item"], row["subject_key"], row["period"])
            trace = [*row["trace"], _step("payment", {"batch": name, "by": by}, "paid")]
            _set(duck, key, trace, status="paid", paid_at=now, payment_batch=name)
            _audit(duck, by, "subsidy.pay", f"{key_text(*key)} batch {name} paid {row['approved_yuan']}")
    return ledger_rows(duck, batch=name)


def claw_back(duck: duckdb.DuckDBPyConnection, key: Key, *, by: str, reason: str,
              amount_yuan: object | None = None) -> dict:
    """Claw back a paid row: the amount (default the approved amount; above 0 and at most it) and the reason are
    recorded; the row stays, clawed_back, holding its event so it is never paid again.  Audited."""
    by, (key,) = _by(by), _keys([key])
    reason = (reason or "").strip()[:500]
    if not reason:
        raise SubsidyError(_say("追回须写明理由", "a clawback needs a reason"))
    with transaction(duck):
        row = _must_get(duck, key, ("paid",), ("追回", "clawed back"))
        approved = _money(row["approved_yuan"])
        amount = approved if amount_yuan in (None, "") else _money(amount_yuan)
        if amount <= 0 or amount > approved:
            raise SubsidyError(_say(f"{key_text(*key)}：追回金额须大于 0 且不超过核准金额 {approved}：{amount}",
                                    f"{key_text(*key)}: the amount clawed back must be above 0 and at most the "
                                    f"approved {approved}: {amount}"))
        trace = [*row["trace"], _step("clawback", {"by": by, "reason": reason, "amount_yuan": amount}, "clawed_back")]
        _set(duck, key, trace, status="clawed_back", clawback_yuan=amount, clawback_at=datetime.now(),
             clawback_by=by, clawback_reason=reason)
        _audit(duck, by, "subsidy.clawback", f"{key_text(*key)} clawed back {amount}: {reason}")
    return _get(duck, key)



def clawback_words(row: dict) -> tuple[str, str]:
    """Why a clawback is due, in Chinese and English (a row of clawbacks_due: reason lapse, abnormal or
    version_missing, with its days) — the one wording the command line and the pages show."""
    reason = row.get("reason")
    if reason == "lapse":
        return (f"专利于 {row.get('lapse_date')} 终止，在拨付日起的追回期内（至 {row.get('limit_date')}）",
                f"the patent ended on {row.get('lapse_date')}, within the clawback term (to {row.get('limit_date')})")
    if reason == "abnormal" and row.get("source") == "review":
        return (f"{row.get('notice_date')} 经复核确认为非正常专利申请",
                f"confirmed abnormal by review on {row.get('notice_date')}")
    if reason == "abnormal":
        batch = row.get("batch") or ""
        return (f"{row.get('notice_date')} 被通报为非正常专利申请（{batch}）",
                f"notified as an abnormal application on {row.get('notice_date')} ({batch})")
    if reason == "version_missing":
        return ("政策版本或项目已不在政策文件中，请人工核对",
                "the policy version or item is no longer in the policy file: check by hand")
    return (str(reason or ""),) * 2

def clawbacks_due(duck: duckdb.DuckDBPyConnection, con: ibis.BaseBackend, policy: SubsidyPolicy,
                  as_of: date) -> list[dict]:
    """Paid patent rows that should be clawed back on ``as_of``: each ledger row with ``reason`` ("lapse",
    "abnormal" or "version_missing"), ``lapse_date`` / ``notice_date`` and ``limit_date``.

    * lapse: the item has clawback_lapse_years N and the patent's right ended by lapse (unpaid annuity, past
      restoration) or surrender on a day up to paid_at's day + N years inclusive — an end before the payment
      counts too (it was paid for a right that had already ended); expiry at full term is not a lapse;
    * abnormal: the item excludes abnormal applications and the application has a standing abnormal notice on
      as_of (rules.abnormal_applications: the latest notice by as_of, not overturned; or a review confirming it
      abnormal, source "review", notice_date the day decided), whatever its day relative
      to the payment — a notice issued between assessment and payment is caught here too;
    * version_missing: the row's policy version or item is no longer in the policy, so its clawback rules cannot
      be checked: listed for a person to check by hand."""
    paid = [r for r in ledger_rows(duck, status="paid") if r["subject_kind"] == "patent" and r["app_no"]]
    if not paid:
        return []
    from hvpatent.subsidies import rules

    ends = patent_ends(con, sorted({r["app_no"] for r in paid}), as_of)
    abnormal = rules.abnormal_applications(con, as_of)
    return due_rows(paid, policy, ends, abnormal)


LAPSE_STATES = ("lapsed", "surrendered")   # the right given up: unpaid annuity past restoration, or surrender


def patent_ends(con: ibis.BaseBackend, app_nos: list[str], as_of: date) -> dict[str, tuple[str, date]]:
    """{app_no: (state, the day the right ended)} of the patents whose right lapsed or was surrendered by as_of."""
    from hvpatent.legal.state import legal_state

    t = legal_state(con, as_of, annuity=False)
    t = t.filter(t.app_no.isin(app_nos) & t.state.isin(LAPSE_STATES))
    frame = t.select("app_no", "state", "lapse_due_date", "surrendered_date").execute()
    ends = {}
    for record in frame.to_dict("records"):
        day = record["lapse_due_date"] if record["state"] == "lapsed" else record["surrendered_date"]
        if day is not None and day == day:   # NaT/NaN is not a day
            ends[record["app_no"]] = (record["state"], _as_date(day))
    return ends


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return value.to_pydatetime().date()   # a pandas Timestamp


def _add_years(day: date, years: int) -> date:
    """The same day N years on; 29 February falls on 28 February in a common year (legal/state.add_years)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def due_rows(paid: list[dict], policy: SubsidyPolicy, ends: dict[str, tuple[str, date]],
             abnormal: dict[str, dict]) -> list[dict]:
    """The clawback rule on gathered facts (no I/O): see clawbacks_due."""
    due = []
    for row in paid:
        version = next((v for v in policy.versions if v.version == row["policy_version"]), None)
        item = version.item(row["item"]) if version is not None else None
        if item is None:
            due.append({**row, "reason": "version_missing"})
            continue
        paid_day = _as_date(row["paid_at"])
        end = ends.get(row["app_no"])
        if item.clawback_lapse_years and end is not None:
            limit = _add_years(paid_day, int(item.clawback_lapse_years))
            if end[1] <= limit:
                due.append({**row, "reason": "lapse", "state": end[0], "lapse_date": end[1], "limit_date": limit})
                continue
        notice = abnormal.get(row["app_no"])
        if item.exclude_abnormal and notice and notice.get("notice_date") is not None:
            notice_day = _as_date(notice["notice_date"]) if not isinstance(notice["notice_date"], str) \
                else date.fromisoformat(notice["notice_date"])
            due.append({**row, "reason": "abnormal", "notice_date": notice_day, "batch": notice.get("batch"),
                        "outcome": notice.get("outcome"), **({"source": "review"} if "source" in notice else {})})
    return due


# -- reading and export ----------------------------------------------------------------------------------------

def ledger_rows(duck: duckdb.DuckDBPyConnection, *, period: str | None = None, item: str | None = None,
                status: str | None = None, payee: str | None = None, batch: str | None = None) -> list[dict]:
    """Ledger rows (every column, money as Decimal, trace as a list), filtered; a period 'YYYY' also finds that
    year's quarters and halves."""
    if status is not None and status not in LEDGER_STATUSES:
        raise SubsidyError(_say(f"未知状态 {status!r}，可用：{' | '.join(LEDGER_STATUSES)}",
                                f"unknown status {status!r}; one of {' | '.join(LEDGER_STATUSES)}"))
    where, params = [], []
    for column, value in (("item", item), ("status", status), ("payee", payee), ("payment_batch", batch)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if period is not None:
        period = period.strip()
        _period(period)
        where.append("(period = ? OR period LIKE ?)" if len(period) == 4 else "period = ?")
        params += [period, f"{period}-%"] if len(period) == 4 else [period]
    sql = f"SELECT {', '.join(COLUMNS)} FROM subsidy_ledger"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return [_row(r) for r in duck.execute(sql + " ORDER BY period, item, subject_key", params).fetchall()]


EXPORT_COLUMNS: dict[str, tuple[str, str]] = {
    "item": ("项目", "Item"), "subject_key": ("对象", "Subject"), "subject_name": ("名称", "Name"),
    "period": ("期间", "Period"), "payee_name": ("收款单位", "Payee"), "town_code": ("镇街代码", "Town code"),
    "event_date": ("事项日期", "Event date"), "policy_version": ("政策版本", "Policy version"),
    "approved_yuan": ("核准金额（元）", "Approved (yuan)"), "status": ("状态", "Status"),
    "reviewed_by": ("初审人", "Reviewed by"), "decided_by": ("核准人", "Approved by"),
    "payment_batch": ("拨付批次", "Payment batch"), "paid_at": ("拨付时间", "Paid at"),
}


def export_rows(rows: list[dict], lang: str = "zh") -> list[dict]:
    """Rows under the export headers in the language; money as numbers, statuses as words."""
    i = 0 if lang == "zh" else 1
    out = []
    for row in rows:
        record = {}
        for column, label in EXPORT_COLUMNS.items():
            value = row.get(column)
            if column == "status":
                value = LEDGER_STATUS_WORDS.get(value, (value, value))[i]
            elif isinstance(value, Decimal):
                value = float(value)
            record[label[i]] = value
        out.append(record)
    return out


def write_batch_xlsx(rows: list[dict], path: Path | str, *, lang: str = "zh", batch: str | None = None) -> Path:
    """A payment batch (or any ledger rows) as an xlsx for the finance office: one sheet of rows and one summary
    sheet per item.  Written by reports.tables.write_xlsx: every text cell is neutralised (reports/safe_cells.py),
    so no formula from an imported name reaches the finance office live; amounts stay numbers."""
    import pandas as pd

    from hvpatent.reports.tables import write_xlsx

    i = 0 if lang == "zh" else 1
    title = (("拨付批次 ", "Payment batch ")[i] + batch) if batch else ("资助奖励台账", "Subsidy ledger")[i]
    columns = [label[i] for label in EXPORT_COLUMNS.values()]
    sheet = pd.DataFrame(export_rows(rows, lang), columns=columns)
    summary = []
    for item in sorted({r["item"] for r in rows}):
        mine = [r for r in rows if r["item"] == item]
        total = sum((_money(r["approved_yuan"] or 0) for r in mine), Decimal(0))
        summary.append({("项目", "Item")[i]: item, ("笔数", "Rows")[i]: len(mine),
                        ("核准金额合计（元）", "Approved total (yuan)")[i]: float(total)})
    frame = pd.DataFrame(summary, columns=[("项目", "Item")[i], ("笔数", "Rows")[i],
                                           ("核准金额合计（元）", "Approved total (yuan)")[i]])
    return write_xlsx({title: sheet, ("汇总", "Summary")[i]: frame}, Path(path))
