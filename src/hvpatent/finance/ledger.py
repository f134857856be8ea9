"""The ledger of interest subsidies (贴息) and risk compensation (风险补偿) (docs/finance-subsidies.md).

``compute_claim`` works out what the policy (policy.py) allows for one contract and period, with the rule trace:
every step names its rule, the facts it used and its result, and which cap cut the amount.  The ledger
(``finance_ledger``, a workflow table) records the claims: applied → approved | rejected → paid.  One row per
(scheme, contract, period), and no two rows of a contract whose periods overlap may both be live (2024 and 2024-Q1
would pay the same days twice); a risk compensation is paid once per contract.  Every change is one transaction
with its audit entry (accounts.audit).  The payment batch goes to the finance office as an xlsx whose text cells are
neutralised (reports/safe_cells.py through reports.tables.write_xlsx).
"""

from __future__ import annotations

import json
import re
from calendar import monthrange
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from hvpatent.warehouse.transaction import transaction

if TYPE_CHECKING:
    import duckdb
    import ibis

    from hvpatent.finance.policy import FinancePolicy, PolicyVersion

SCHEMES = ("interest_subsidy", "risk_compensation")
LEDGER_STATUSES = ("applied", "approved", "rejected", "paid")
LIVE = ("applied", "approved", "paid")       # a row that may still be (or has been) paid
COUNTED = ("approved", "paid")               # rows that use up a cap
CENT = Decimal("0.01")
_PERIOD = re.compile(r"([0-9]{4})(?:-(Q[1-4]|H[12]))?")  # ASCII digits: a full-width ２０２４ would be a second year

SCHEME_WORDS: dict[str, tuple[str, str]] = {
    "interest_subsidy": ("贴息", "interest subsidy"), "risk_compensation": ("风险补偿", "risk compensation")}
LEDGER_STATUS_WORDS: dict[str, tuple[str, str]] = {
    "applied": ("已申请", "applied"), "approved": ("已核准", "approved"), "rejected": ("未通过", "rejected"),
    "paid": ("已拨付", "paid")}
RULE_WORDS: dict[str, tuple[str, str]] = {
    "period": ("申请期间", "claim period"),
    "policy_version": ("适用政策版本", "policy version in force"),
    "contract": ("质押合同", "pledge contract"),
    "active_in_period": ("期间内合同有效", "contract active in the period"),
    "disposed_in_period": ("期间内完成处置", "disposal within the period"),
    "local_pledgor": ("出质人属本地", "pledgor is local"),
    "cooperating_bank": ("质权人为合作银行", "pledgee is a cooperating bank"),
    "loan_term": ("贷款期限", "loan term"),
    "lpr": ("贷款起始日一年期 LPR", "1-year LPR on the loan start"),
    "days": ("期间内计息天数", "interest days in the period"),
    "interest_basis": ("贴息基数", "interest basis"),
    "share": ("补贴比例", "share"),
    "cap_enterprise_year": ("每户每年上限", "cap per enterprise and year"),
    "net_loss": ("净损失", "net loss"),
    "cap_contract": ("每笔上限", "cap per contract"),
    "amount": ("核算金额", "computed amount"),
    "decision": ("审核", "decision"),
    "payment": ("拨付", "payment"),
}


class LedgerError(ValueError):
    """A claim the ledger refuses (a period paid already, a bad period, an approval over the computed amount ...)."""


def _say(zh: str, en: str) -> str:
    return f"{zh} / {en}"


def _money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# -- periods ---------------------------------------------------------------------------------------------------

def period_range(period: str) -> tuple[date, date]:
    """The first and last day of a claim period: 'YYYY', 'YYYY-Qn' or 'YYYY-H1'/'YYYY-H2'; LedgerError otherwise."""
    match = _PERIOD.fullmatch(period.strip()) if isinstance(period, str) else None
    if not match or not 1990 <= int(match.group(1)) <= 2100:
        raise LedgerError(_say(f"期间 {period!r} 无效，应为 YYYY、YYYY-Q1…Q4 或 YYYY-H1/H2",
                               f"period {period!r} is not valid: YYYY, YYYY-Q1…Q4 or YYYY-H1/H2"))
    year, part = int(match.group(1)), match.group(2)
    if part is None:
        first, last = 1, 12
    elif part[0] == "Q":
        first = 3 * (int(part[1]) - 1) + 1
        last = first + 2
    else:
        first = 1 if part == "H1" else 7
        last = first + 5
    return date(year, first, 1), date(year, last, monthrange(year, last)[1])


def periods_overlap(a: str, b: str) -> bool:
    (a0, a1), (b0, b1) = period_range(a), period_range(b)
    return a0 <= b1 and b0 <= a1


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has fewer days): 2024-01-31 + 1 = 2024-02-29."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def region_prefix(region: str) -> str:
    """The code prefix of a region's towns: 500118 → 500118, 500100 → 5001, 500000 → 50."""
    code = region
    while code.endswith("00") and len(code) > 2:
        code = code[:-2]
    return code


# -- the rules -------------------------------------------------------------------------------------------------

def _step(rule: str, facts: dict, result: object, ok: bool = True, note: str | None = None) -> dict:
    step = {"rule": rule, "facts": {k: (str(v) if isinstance(v, Decimal | date) else v) for k, v in facts.items()},
            "result": str(result) if isinstance(result, Decimal | date) else result, "ok": ok}
    if note:
        step["note"] = note
    return step


def claim_day(scheme: str, facts: dict, start: date, end: date) -> date:
    """The day whose policy version applies: the period's last day; for risk compensation the disposal day when it
    falls in the period."""
    disposal = facts.get("disposed_date")
    if scheme == "risk_compensation" and disposal is not None and start <= disposal <= end:
        return disposal
    return end


def evaluate_claim(scheme: str, facts: dict | None, period: str, claimed_yuan: object, policy: FinancePolicy, *,
                   used_yuan: object = 0) -> dict:
    """The rules applied to one contract's facts (no I/O; compute_claim gathers the facts).

    facts: contract_no, enterprise (the pledgor), pledgee_norm, amount_yuan, loan_start, loan_end, registered_date,
    released_date, disposed_date, town_code, cooperating_bank (the list entry the pledgee matched, or None).
    used_yuan: what the cap has already given (approved and paid rows of the same enterprise and year, or of the
    same contract for risk compensation).  Returns {amount, eligible, policy_version, trace}."""
    if scheme not in SCHEMES:
        raise LedgerError(_say(f"未知的项目 {scheme!r}，可用：{' | '.join(SCHEMES)}",
                               f"unknown scheme {scheme!r}; one of {' | '.join(SCHEMES)}"))
    start, end = period_range(period)
    claimed = _money(claimed_yuan)
    if claimed <= 0:
        raise LedgerError(_say(f"申请金额须大于 0：{claimed_yuan}",
                               f"the amount claimed must be above 0: {claimed_yuan}"))
    trace = [_step("period", {"period": period}, f"{start}…{end}")]
    result = {"amount": 0.0, "eligible": False, "policy_version": None, "trace": trace}
    if facts is None:
        trace.append(_step("contract", {}, "not found", False, "库中没有这份质押合同 / no such pledge contract"))
        return result
    disposal = facts.get("disposed_date")
    day = claim_day(scheme, facts, start, end)
    version = policy.version_on(day)
    trace.append(_step("policy_version", {"day": day}, version.version if version else None, version is not None))
    if version is None:
        return result
    result["policy_version"] = version.version
    ok = True
    ended = min((d for d in (facts.get("released_date"), disposal) if d is not None), default=None)
    if scheme == "interest_subsidy":
        active = facts["registered_date"] <= end and (ended is None or ended >= start)
        trace.append(_step("active_in_period", {"registered_date": facts["registered_date"], "ended": ended},
                           active, active))
    else:
        active = disposal is not None and start <= disposal <= end
        trace.append(_step("disposed_in_period", {"disposed_date": disposal}, active, active))
    ok &= active
    prefix = region_prefix(version.region)
    town = facts.get("town_code") or facts.get("county_code") or facts.get("city_code") or facts.get("province_code")
    local = bool(town) and str(town).startswith(prefix)
    trace.append(_step("local_pledgor", {"town_code": town, "region": version.region}, local, local))
    ok &= local
    bank = facts.get("cooperating_bank")
    trace.append(_step("cooperating_bank", {"pledgee": facts.get("pledgee_norm"), "matched": bank}, bank is not None,
                       bank is not None))
    ok &= bank is not None
    if scheme == "interest_subsidy":
        return _interest(result, facts, version, policy, start, end, ended, claimed, _money(used_yuan), ok)
    return _compensation(result, facts, version, claimed, _money(used_yuan), ok)


def amount_pieces(facts: dict, first: date, stop: date) -> list[tuple[date, date, object]]:
    """The days [first, stop) cut at the contract's amount changes: (from, until_before, amount) pieces, the
    registered amount until the first change and each change's new amount from its change day on (the registry's
    rule: a change counts from the day it is registered).  ``facts['amount_changes']``: (change_date, amount) of the
    changes registered by the as-of day; without changes one piece at ``amount_yuan``."""
    changes = sorted(facts.get("amount_changes") or [], key=lambda change: change[0])
    opening = facts.get("registered_amount_yuan") if changes else None
    schedule: list[tuple[date | None, object]] = [(None, facts.get("amount_yuan") if opening is None else opening),
                                                  *changes]
    pieces = []
    for i, (since, amount) in enumerate(schedule):
        until = schedule[i + 1][0] if i + 1 < len(schedule) else None
        low = first if since is None else max(first, since)
        high = stop if until is None else min(stop, until)
        if low < high:
            pieces.append((low, high, amount))
    return pieces or [(first, stop, facts.get("amount_yuan"))]


def _capped(result: dict, rule: str, amount: Decimal, cap: Decimal, used: Decimal, facts: dict) -> Decimal:
    left = max(cap - used, Decimal(0))
    final = min(amount, left)
    note = None if final == amount else _say(f"被上限削减 {amount - final}", f"cut by the cap: {amount - final}")
    result["trace"].append(_step(rule, {**facts, "cap": cap, "used": used, "left": left, "before": amount}, final,
                                 True, note))
    result["capped_by"] = rule if final < amount else None
    return final


def _interest(result: dict, facts: dict, version: PolicyVersion, policy: FinancePolicy, start: date, end: date,
              ended: date | None, claimed: Decimal, used: Decimal, ok: bool) -> dict:
    trace, rule = result["trace"], version.interest_subsidy
    loan_start, loan_end = facts.get("loan_start"), facts.get("loan_end")
    if loan_start is None or loan_end is None:
        trace.append(_step("loan_term", {"loan_start": loan_start, "loan_end": loan_end}, None, False,
                           "债务履行期限未登记 / the loan's term is not recorded"))
        return result
    needed = add_months(loan_start, rule.min_loan_months)
    long_enough = loan_end >= needed
    trace.append(_step("loan_term", {"loan_start": loan_start, "loan_end": loan_end,
                                     "min_loan_months": rule.min_loan_months, "loan_end_at_least": needed},
                       long_enough, long_enough))
    ok &= long_enough
    lpr = policy.lpr_on(loan_start)
    trace.append(_step("lpr", {"loan_start": loan_start, "announced": lpr[0] if lpr else None},
                       lpr[1] if lpr else None, lpr is not None))
    ok &= lpr is not None
    # Interest accrues from the latest of the period's start, the loan's start and the pledge's registration (no
    # subsidy for a day with no pledge) up to, not including, the earliest of the day after the period, the loan's
    # maturity and its release or disposal.
    first = max(d for d in (start, loan_start, facts.get("registered_date")) if d is not None)
    stop = min(d for d in (end + timedelta(days=1), loan_end, ended) if d is not None)
    days = max((stop - first).days, 0)
    trace.append(_step("days", {"from": first, "until_before": stop}, days, days > 0))
    ok &= days > 0
    pieces = amount_pieces(facts, first, stop)
    known = all(amount is not None for _, _, amount in pieces)
    if not known:
        trace.append(_step("interest_basis", {"amount_yuan": None}, None, False,
                           "质押金额未登记 / the pledge's amount is not recorded"))
    if not (ok and known):
        return result
    percent = Decimal(str(lpr[1]))
    at_lpr = _money(sum((_money(amount) * percent / 100 * (until - since).days / 365
                         for since, until, amount in pieces), Decimal(0)))
    basis = min(claimed, at_lpr)
    if len(pieces) == 1:
        amount_facts: dict = {"amount_yuan": _money(pieces[0][2])}
    else:   # the amount changed within the days: each piece at its own amount
        amount_facts = {"segments": [f"{since}…{until - timedelta(days=1)}: {_money(amount)} × {(until - since).days}"
                                     for since, until, amount in pieces]}
    trace.append(_step("interest_basis", {"claimed": claimed, **amount_facts, "percent": lpr[1], "days": days,
                                          "at_lpr": at_lpr}, basis))
    subsidy = _money(basis * Decimal(str(rule.share)))
    trace.append(_step("share", {"basis": basis, "share": rule.share}, subsidy))
    final = _capped(result, "cap_enterprise_year", subsidy, _money(rule.cap_per_enterprise_year_yuan), used,
                    {"enterprise": facts.get("enterprise") or facts.get("pledgor_norm"), "year": start.year})
    trace.append(_step("amount", {}, final))
    result.update(amount=float(final), eligible=True)
    return result


def _compensation(result: dict, facts: dict, version: PolicyVersion, claimed: Decimal, used: Decimal,
                  ok: bool) -> dict:
    trace, rule = result["trace"], version.risk_compensation
    if facts.get("amount_yuan") is None:
        trace.append(_step("net_loss", {"amount_yuan": None}, None, False,
                           "质押金额未登记 / the pledge's amount is not recorded"))
        return result
    if not ok:
        return result
    principal = _money(facts["amount_yuan"])
    loss = min(claimed, principal)
    trace.append(_step("net_loss", {"claimed": claimed, "amount_yuan": principal}, loss, True,
                       None if loss == claimed else _say("净损失不超过贷款金额", "a net loss is at most the loan")))
    share = _money(loss * Decimal(str(rule.share)))
    trace.append(_step("share", {"net_loss": loss, "share": rule.share}, share))
    final = _capped(result, "cap_contract", share, _money(rule.cap_per_contract_yuan), used,
                    {"contract_no": facts.get("contract_no")})
    trace.append(_step("amount", {}, final))
    result.update(amount=float(final), eligible=True)
    return result


# -- facts from the registry and the ledger ---------------------------------------------------------------------

def contract_numbers(text: str) -> tuple[str, ...]:
    """The numbers a typed pledge registration number may be stored under: its key first (ingest.contract_key, how
    the importer stores it: full-width as ASCII, upper-case, no spaces), then the text as typed, trimmed (a number
    an older importer stored as written).  The CLI, the web and the ledger look a contract up by these."""
    from hvpatent.ingest import contract_key

    typed = (text or "").strip()
    return tuple(dict.fromkeys(n for n in (contract_key(typed), typed) if n))


def contract_facts(con: ibis.BaseBackend, contract_no: str, as_of: date) -> dict | None:
    """The contract on ``as_of`` from the registry (changes applied; contract_numbers finds it however it is typed)
    with ``amount_changes``: (change_date, new amount) of the amount changes registered by then; None when there is
    no such contract.  The cooperating bank is matched by compute_claim against the version in force."""
    from hvpatent.finance.registry import contract_detail

    for number in contract_numbers(contract_no):
        detail = contract_detail(con, number, as_of)
        if detail is not None:
            break
    else:
        return None
    changes = []
    for change in detail.pop("changes", None) or []:
        if change["field"] == "amount_yuan":
            try:
                changes.append((change["change_date"], _money(change["new_value"])))
            except ArithmeticError:   # decimal.InvalidOperation: the importer checks amounts; skip a bad one
                continue
    facts = {k: v for k, v in detail.items() if k not in ("items", "history")}
    facts["amount_changes"] = changes
    facts["enterprise"] = facts.get("enterprise") or facts.get("pledgor_norm") or None
    return facts


def matched_bank(pledgee_norm: str | None, banks: tuple[str, ...]) -> str | None:
    """The cooperating bank of ``banks`` (one policy version's list) the pledgee falls under by the registry's bank
    rule (registry.bank_filter: the bank's name or a branch of it); the most specific (longest) when several do."""
    import ibis

    from hvpatent.finance.registry import bank_filter

    pledgee = ibis.memtable({"pledgee_norm": [pledgee_norm or ""]})
    matched = [b for b in banks if bank_filter(pledgee, b).count().execute() > 0]
    return max(matched, key=len, default=None)


def cap_used(duck: duckdb.DuckDBPyConnection, scheme: str, enterprise: str | None, contract_no: str,
             period: str) -> Decimal:
    """What the cap has given already, this (scheme, contract, period) left out: interest subsidies of the same
    enterprise in the same year, risk compensation of the same contract; approved and paid rows."""
    if scheme == "interest_subsidy":
        sql = ("SELECT coalesce(sum(approved_yuan), 0) FROM finance_ledger WHERE scheme = ? AND enterprise = ?"
               " AND substr(period, 1, 4) = ? AND status IN ('approved', 'paid')"
               " AND NOT (contract_no = ? AND period = ?)")
        params = [scheme, enterprise or "", period[:4], contract_no, period]
    else:
        sql = ("SELECT coalesce(sum(approved_yuan), 0) FROM finance_ledger WHERE scheme = ? AND contract_no = ?"
               " AND status IN ('approved', 'paid') AND period <> ?")
        params = [scheme, contract_no, period]
    return _money(duck.execute(sql, params).fetchall()[0][0])


def compute_claim(con: ibis.BaseBackend, scheme: str, contract_no: str, period: str, claimed_yuan: object, *,
                  policy: FinancePolicy, as_of: date, ledger: duckdb.DuckDBPyConnection | None = None) -> dict:
    """What the policy allows for one contract and period: {scheme, contract_no (as the registry stores it),
    period, claimed_yuan, amount, eligible, policy_version, enterprise, bank, trace}.  The cooperating bank is
    matched against the banks of the policy version in force on the claim's day only.  ``ledger`` (the warehouse's
    DuckDB connection) counts the caps already used; without it the caps are counted as unused (used 0)."""
    if scheme not in SCHEMES:
        raise LedgerError(_say(f"未知的项目 {scheme!r}，可用：{' | '.join(SCHEMES)}",
                               f"unknown scheme {scheme!r}; one of {' | '.join(SCHEMES)}"))
    period = period.strip() if isinstance(period, str) else period
    start, end = period_range(period)
    facts = contract_facts(con, contract_no, as_of)
    if facts is None:
        contract_no = (*contract_numbers(contract_no), contract_no)[0]
    else:   # the version in force first, then the pledgee against that version's cooperating banks only
        contract_no = facts["contract_no"]
        version = policy.version_on(claim_day(scheme, facts, start, end))
        facts["cooperating_bank"] = matched_bank(facts.get("pledgee_norm"), version.cooperating_banks) \
            if version is not None else None
    used = cap_used(ledger, scheme, facts and facts.get("enterprise"), contract_no, period) if ledger else 0
    result = evaluate_claim(scheme, facts, period, claimed_yuan, policy, used_yuan=used)
    return {"scheme": scheme, "contract_no": contract_no, "period": period, "claimed_yuan": float(_money(claimed_yuan)),
            "enterprise": (facts or {}).get("enterprise"), "bank": (facts or {}).get("pledgee_norm"), **result}


# -- the ledger ---------------------------------------------------------------------------------------------------

COLUMNS = ("scheme", "contract_no", "period", "policy_version", "enterprise", "bank", "claimed_yuan",
           "computed_yuan", "approved_yuan", "status", "trace", "applied_at", "applied_by", "decided_at",
           "decided_by", "paid_at", "payment_batch")


def _row(values: tuple) -> dict:
    row = dict(zip(COLUMNS, values, strict=True))
    for key in ("claimed_yuan", "computed_yuan", "approved_yuan"):
        row[key] = _f(row[key])
    row["trace"] = json.loads(row["trace"])
    return row


def _get(duck: duckdb.DuckDBPyConnection, scheme: str, contract_no: str, period: str) -> dict | None:
    rows = duck.execute(f"SELECT {', '.join(COLUMNS)} FROM finance_ledger WHERE scheme = ? AND contract_no = ?"
                        " AND period = ?", [scheme, contract_no, period]).fetchall()
    return _row(rows[0]) if rows else None


def _key(scheme: str, contract_no: str, period: str) -> str:
    return f"{scheme} {contract_no} {period}"


def _refuse_twice(duck: duckdb.DuckDBPyConnection, scheme: str, contract_no: str, period: str) -> None:
    """LedgerError when this claim would pay the contract twice: the same period approved or paid, an overlapping
    period live, or (risk compensation) any other live claim of the contract."""
    rows = duck.execute("SELECT period, status FROM finance_ledger WHERE scheme = ? AND contract_no = ?",
                        [scheme, contract_no]).fetchall()
    for other, status in rows:
        if other == period:
            if status in COUNTED:
                raise LedgerError(_say(f"{_key(scheme, contract_no, period)}：该期间已核准或已拨付（{status}），"
                                       "不能重复申请", f"{_key(scheme, contract_no, period)}: already paid for this "
                                       f"period ({status}); it cannot be claimed again"))
            continue
        if status in LIVE and (scheme == "risk_compensation" or periods_overlap(other, period)):
            raise LedgerError(_say(f"{_key(scheme, contract_no, period)}：与已申请的期间 {other}（{status}）重叠，"
                                   "同一合同不能重复补贴", f"{_key(scheme, contract_no, period)}: overlaps the claim "
                                   f"for {other} ({status}); a contract is not paid twice for the same days"))


def apply_claim(duck: duckdb.DuckDBPyConnection, con: ibis.BaseBackend, scheme: str, contract_no: str, period: str,
                claimed_yuan: object, *, policy: FinancePolicy, as_of: date, by: str) -> dict:
    """Record a claim (or re-apply one that is applied or rejected): the computed amount and trace are stored; an
    ineligible claim is stored as rejected with the rules that failed.  LedgerError when the claim would pay the
    contract twice (the same period approved or paid, an overlapping period live).  One transaction, audited."""
    period = period.strip() if isinstance(period, str) else period
    period_range(period)
    with transaction(duck):
        claim = compute_claim(con, scheme, contract_no, period, claimed_yuan, policy=policy, as_of=as_of, ledger=duck)
        if any(step["rule"] == "contract" for step in claim["trace"]):
            raise LedgerError(_say(f"{contract_no}：库中没有这份质押合同", f"{contract_no}: no such pledge contract"))
        contract_no = claim["contract_no"]   # as the registry stores it (contract_numbers)
        _refuse_twice(duck, scheme, contract_no, period)
        now = datetime.now()
        trace = list(claim["trace"])
        status, decided_at, decided_by = "applied", None, None
        if not claim["eligible"]:
            failed = [s["rule"] for s in trace if not s["ok"]]
            trace.append(_step("decision", {"failed": failed}, "rejected", False,
                               _say("不符合政策条件，自动不予受理", "not eligible under the policy: rejected")))
            status, decided_at, decided_by = "rejected", now, by
        values = [scheme, contract_no, period, claim["policy_version"] or "", claim["enterprise"] or "",
                  claim["bank"] or "", claim["claimed_yuan"], claim["amount"], None, status,
                  json.dumps(trace, ensure_ascii=False), now, by, decided_at, decided_by, None, None]
        duck.execute("DELETE FROM finance_ledger WHERE scheme = ? AND contract_no = ? AND period = ?",
                     [scheme, contract_no, period])
        duck.execute(f"INSERT INTO finance_ledger ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                     values)
        _audit(duck, by, "finance.apply", f"{_key(scheme, contract_no, period)} claimed {claim['claimed_yuan']:.2f} "
               f"computed {claim['amount']:.2f} → {status}")
    return _get(duck, scheme, contract_no, period)


def decide_claim(duck: duckdb.DuckDBPyConnection, scheme: str, contract_no: str, period: str, *, approve: bool,
                 by: str, approved_yuan: object = None, reason: str | None = None,
                 policy: FinancePolicy | None = None) -> dict:
    """Approve an applied claim (approved_yuan, default the computed amount, above 0 and at most the computed amount
    and the cap left) or reject it with a reason.  One transaction, audited."""
    from hvpatent.finance.policy import load_policy

    with transaction(duck):
        row = next((r for n in contract_numbers(contract_no) if (r := _get(duck, scheme, n, period)) is not None),
                   None)
        if row is None:
            raise LedgerError(_say(f"{_key(scheme, contract_no, period)}：没有这笔申请",
                                   f"{_key(scheme, contract_no, period)}: no such claim"))
        if row["status"] != "applied":
            raise LedgerError(_say(f"{_key(scheme, contract_no, period)}：状态为 {row['status']}，只能审核已申请的",
                                   f"{_key(scheme, contract_no, period)}: status {row['status']}; only an applied "
                                   "claim can be decided"))
        trace, now, contract_no = row["trace"], datetime.now(), row["contract_no"]
        if approve:
            computed = _money(row["computed_yuan"])
            amount = computed if approved_yuan in (None, "") else _money(approved_yuan)
            if amount <= 0 or amount > computed:
                raise LedgerError(_say(f"核准金额须大于 0 且不超过核算金额 {computed}：{amount}",
                                       f"the approved amount must be above 0 and at most the computed {computed}: "
                                       f"{amount}"))
            rules = policy or load_policy()
            version = next((v for v in rules.versions if v.version == row["policy_version"]), None)
            if version is None:   # the cap of the claim's version cannot be checked: refuse rather than skip it
                raise LedgerError(_say(
                    f"{_key(scheme, contract_no, period)}：政策文件 {rules.source} 中已没有该申请适用的政策版本 "
                    f"{row['policy_version']!r}，无法核对上限；请恢复该版本或重新申请",
                    f"{_key(scheme, contract_no, period)}: the policy version {row['policy_version']!r} of the claim "
                    f"is no longer in {rules.source}, so its cap cannot be checked; restore the version or re-apply"))
            cap = _money(version.interest_subsidy.cap_per_enterprise_year_yuan if scheme == "interest_subsidy"
                         else version.risk_compensation.cap_per_contract_yuan)
            used = cap_used(duck, scheme, row["enterprise"], contract_no, period)
            if used + amount > cap:
                raise LedgerError(_say(f"超过上限：上限 {cap}，已用 {used}，本次 {amount}",
                                       f"over the cap: cap {cap}, used {used}, this {amount}"))
            trace.append(_step("decision", {"approved_yuan": amount}, "approved"))
            duck.execute("UPDATE finance_ledger SET status = 'approved', approved_yuan = ?, decided_at = ?,"
                         " decided_by = ?, trace = ? WHERE scheme = ? AND contract_no = ? AND period = ?",
                         [amount, now, by, json.dumps(trace, ensure_ascii=False), scheme, contract_no, period])
            detail = f"approved {amount}"
        else:
            if not (reason or "").strip():
                raise LedgerError(_say("不予核准须写明理由", "a rejection needs a reason"))
            trace.append(_step("decision", {"reason": reason.strip()[:500]}, "rejected", False))
            duck.execute("UPDATE finance_ledger SET status = 'rejected', approved_yuan = NULL, decided_at = ?,"
                         " decided_by = ?, trace = ? WHERE scheme = ? AND contract_no = ? AND period = ?",
                         [now, by, json.dumps(trace, ensure_ascii=False), scheme, contract_no, period])
            detail = f"rejected: {reason.strip()[:200]}"
        _audit(duck, by, "finance.decide", f"{_key(scheme, contract_no, period)} {detail}")
    return _get(duck, scheme, contract_no, period)


def pay_claims(duck: duckdb.DuckDBPyConnection, batch: str, *, by: str,
               keys: list[tuple[str, str, str]] | None = None) -> list[dict]:
    """Mark approved claims paid in one payment batch (every approved claim, or those of ``keys``: (scheme,
    contract_no, period)); the batch's rows for the finance office.  A batch name is used once; LedgerError when
    nothing approved is left to pay or a key is not approved.  One transaction, audited."""
    name = (batch or "").strip()
    if not name or len(name) > 60:
        raise LedgerError(_say("拨付批次名须为 1–60 个字符", "a payment batch needs a name of 1–60 characters"))
    with transaction(duck):
        if duck.execute("SELECT count(*) FROM finance_ledger WHERE payment_batch = ?", [name]).fetchall()[0][0]:
            raise LedgerError(_say(f"拨付批次 {name} 已存在", f"payment batch {name} exists already"))
        approved = {tuple(r) for r in duck.execute(
            "SELECT scheme, contract_no, period FROM finance_ledger WHERE status = 'approved'").fetchall()}
        chosen = approved if keys is None else {tuple(k) for k in keys}
        missing = sorted(chosen - approved)
        if missing:
            raise LedgerError(_say(f"这些申请不是已核准状态，不能拨付：{'; '.join(_key(*k) for k in missing)}",
                                   f"not approved, cannot be paid: {'; '.join(_key(*k) for k in missing)}"))
        if not chosen:
            raise LedgerError(_say("没有待拨付的已核准申请", "nothing approved is waiting for payment"))
        now = datetime.now()
        for scheme, contract_no, period in sorted(chosen):
            row = _get(duck, scheme, contract_no, period)
            trace = [*row["trace"], _step("payment", {"batch": name}, "paid")]
            duck.execute("UPDATE finance_ledger SET status = 'paid', paid_at = ?, payment_batch = ?, trace = ?"
                         " WHERE scheme = ? AND contract_no = ? AND period = ? AND status = 'approved'",
                         [now, name, json.dumps(trace, ensure_ascii=False), scheme, contract_no, period])
        total = sum(_money(r[0]) for r in duck.execute(
            "SELECT approved_yuan FROM finance_ledger WHERE payment_batch = ?", [name]).fetchall())
        _audit(duck, by, "finance.pay", f"batch {name}: {len(chosen)} claims, {total} yuan")
    return ledger_rows(duck, batch=name)


def ledger_rows(duck: duckdb.DuckDBPyConnection, *, scheme: str | None = None, status: str | None = None,
                period: str | None = None, contract_no: str | None = None, enterprise: str | None = None,
                batch: str | None = None) -> list[dict]:
    """Ledger rows, filtered; a period filter 'YYYY' also finds that year's quarters and halves."""
    if status is not None and status not in LEDGER_STATUSES:
        raise LedgerError(_say(f"未知状态 {status!r}，可用：{' | '.join(LEDGER_STATUSES)}",
                               f"unknown status {status!r}; one of {' | '.join(LEDGER_STATUSES)}"))
    if scheme is not None and scheme not in SCHEMES:
        raise LedgerError(_say(f"未知的项目 {scheme!r}", f"unknown scheme {scheme!r}"))
    where, params = [], []
    for column, value in (("scheme", scheme), ("status", status), ("enterprise", enterprise), ("payment_batch", batch)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if contract_no is not None:   # however the number is typed (contract_numbers)
        numbers = contract_numbers(contract_no) or (contract_no,)
        where.append(f"contract_no IN ({', '.join('?' * len(numbers))})")
        params += list(numbers)
    if period is not None:
        period_range(period)
        where.append("(period = ? OR period LIKE ?)" if len(period) == 4 else "period = ?")
        params += [period, f"{period}-%"] if len(period) == 4 else [period]
    sql = f"SELECT {', '.join(COLUMNS)} FROM finance_ledger"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return [_row(r) for r in duck.execute(sql + " ORDER BY period, scheme, contract_no", params).fetchall()]


def _audit(duck: duckdb.DuckDBPyConnection, by: str, action: str, detail: str) -> None:
    from hvpatent.warehouse.accounts import audit

    audit(duck, by, action, detail)


# -- exports -------------------------------------------------------------------------------------------------------

EXPORT_COLUMNS: dict[str, tuple[str, str]] = {
    "scheme": ("项目", "Scheme"), "contract_no": ("质押登记号", "Contract no."), "period": ("期间", "Period"),
    "enterprise": ("出质人（企业）", "Pledgor (enterprise)"), "bank": ("质权人（银行）", "Pledgee (bank)"),
    "claimed_yuan": ("申请金额（元）", "Claimed (yuan)"), "computed_yuan": ("核算金额（元）", "Computed (yuan)"),
    "approved_yuan": ("核准金额（元）", "Approved (yuan)"), "status": ("状态", "Status"),
    "policy_version": ("政策版本", "Policy version"), "applied_at": ("申请时间", "Applied at"),
    "decided_by": ("审核人", "Decided by"), "payment_batch": ("拨付批次", "Payment batch"),
    "paid_at": ("拨付时间", "Paid at"),
}


def export_rows(rows: list[dict], lang: str = "zh") -> list[dict]:
    """Rows for a table export: the export columns under their headers in the language, words for codes."""
    i = 0 if lang == "zh" else 1
    words = {"scheme": SCHEME_WORDS, "status": LEDGER_STATUS_WORDS}
    return [{label[i]: (words[c].get(r[c], (r[c], r[c]))[i] if c in words else r[c])
             for c, label in EXPORT_COLUMNS.items()} for r in rows]


def write_ledger_xlsx(rows: list[dict], path: Path | str, *, lang: str = "zh", batch: str | None = None) -> Path:
    """The ledger rows (a payment batch for the finance office when ``batch`` is named) as an xlsx: one sheet of
    claims and one summary sheet (claims and yuan per scheme).  Text cells are neutralised (reports/safe_cells.py):
    no formula from an imported name reaches the finance office live."""
    import pandas as pd

    from hvpatent.reports.tables import write_xlsx

    i = 0 if lang == "zh" else 1
    title = ((("拨付批次 ", "Payment batch ")[i] + batch) if batch
             else ("贴息与风险补偿台账", "Finance ledger")[i])
    columns = [label[i] for label in EXPORT_COLUMNS.values()]
    claims = pd.DataFrame(export_rows(rows, lang), columns=columns)
    summary = []
    for scheme in SCHEMES:
        mine = [r for r in rows if r["scheme"] == scheme]
        paid = sum((_money(r["approved_yuan"] or 0) for r in mine), Decimal(0))
        summary.append({("项目", "Scheme")[i]: SCHEME_WORDS[scheme][i], ("笔数", "Claims")[i]: len(mine),
                        ("核准金额合计（元）", "Approved total (yuan)")[i]: float(paid)})
    return write_xlsx({title: claims, ("汇总", "Summary")[i]: pd.DataFrame(summary)}, Path(path))
