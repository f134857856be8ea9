"""Eligibility of policy items in a period, with caps, budget, exclusions and a rule trace (docs/subsidies.md).

``eligible`` asks facts.py for the events each item of each version pays for (an event is judged by the version in
force on its day), applies the item's conditions in a fixed order and records every step in the row's trace: the
rule, the facts it used, its result and whether it passed, so a refusal names every reason and a cut names its cap.
Caps count what the ledger has committed (approved and paid, less clawbacks) and the finance ledger's approved and
paid interest subsidies (issue 18: pledge-interest money is the payee's too), then this run's earlier rows in
(event_date, item, subject_key) order; the budget never cuts a row, it is flagged (the approval step refuses beyond
it, ledger.decide).  Pledge-interest rows are capped by the finance policy, not here, and are counted once: from
the finance ledger.  Nothing is cached across calls: the ledgers and the abnormal notices are read on each call, and
facts.py's memo (facts shared between items and versions of one assessment) lives for one call.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import duckdb
import ibis

from hvpatent.finance.ledger import period_range, region_prefix
from hvpatent.subsidies import facts
from hvpatent.subsidies.common import money as _money
from hvpatent.subsidies.common import say as _say
from hvpatent.subsidies.common import step as _step
from hvpatent.subsidies.common import table_exists as _has_table
from hvpatent.subsidies.facts import Applicant, Event
from hvpatent.subsidies.policy import AMOUNT_KEYS as AMOUNT_KEY
from hvpatent.subsidies.policy import Item, PolicyVersion, SubsidyPolicy

RULE_WORDS: dict[str, tuple[str, str]] = {
    "version": ("适用政策版本", "policy version in force"),
    "region": ("申请人属本地", "payee in the region"),
    "applicant": ("受资助申请人（第一申请人或任一申请人）", "payee (first applicant or any applicant)"),
    "applicant_type": ("申请人类型", "applicant type"),
    "patent_type": ("专利类型", "patent type"),
    "in_force": ("专利有效", "patent in force"),
    "fields": ("产业领域（战略性新兴产业）", "fields (SEI)"),
    "ipc": ("IPC 分类", "IPC class"),
    "abnormal": ("非正常专利申请", "abnormal application"),
    "paid_before": ("已资助过", "paid before"),
    "amount": ("资助金额", "amount"),
    "cap_subject": ("每件专利上限", "cap per patent"),
    "cap_item_year": ("单项每户每年上限", "cap per payee and year for the item"),
    "cap_version_year": ("每户每年总额上限", "cap per payee and year for all items"),
    "budget": ("年度预算", "the year's budget"),
}

ZERO = Decimal(0)
HOLDING = ("applied", "reviewed", "approved", "paid", "clawed_back")   # a row that holds its event: never pay again
REJECTED = "rejected"   # holds its event against other keys: only naming its own key re-opens it (ledger.apply_items)
FINANCE_KIND = "pledge_interest"   # paid and capped through issue 18's finance ledger
COUNTED = ("approved", "paid", "clawed_back")                         # committed money (net of clawbacks)
AMOUNT_KEYS = ("office", "level", "grade", "project_kind", "kind")     # facts an `amounts` table may be keyed by


# -- abnormal applications ---------------------------------------------------------------------------------------

def abnormal_applications(con: ibis.BaseBackend, as_of: date) -> dict[str, dict]:
    """Applications excluded as abnormal on ``as_of``: {app_no: {notice_date, outcome, batch}} from the latest notice
    of each application notified by then, unless that notice's outcome known by then is ``overturned`` (a review
    outcome decided after as_of is not known yet: the notice still stands).  Withdrawn and upheld count.  A warehouse
    or Parquet export without the table has none.  The bureau's own reviews add the applications whose latest review
    decided by as_of is confirmed (supervision.confirmed_applications): {notice_date: the day decided, outcome
    "confirmed", batch None, source "review"}; a standing notice wins, and a later "cleared" review lifts only the
    review's exclusion, never a notice."""
    from hvpatent.supervision import confirmed_applications  # the supervision room loads only when asked

    found = _notified(con, as_of)
    for app_no, review in confirmed_applications(con, as_of).items():
        if app_no not in found:
            found[app_no] = {"notice_date": review["decided_at"].date(), "outcome": "confirmed", "batch": None,
                             "source": "review"}
    return found


def _notified(con: ibis.BaseBackend, as_of: date) -> dict[str, dict]:
    """CNIPA's notices standing on as_of (abnormal_applications)."""
    try:
        table = con.table("abnormal_notices")
    except Exception:  # the backends raise their own kinds of "table not found"
        return {}
    rows = table.filter(table.notice_date <= as_of).select(
        "app_no", "notice_date", "batch", "outcome", "outcome_date").to_pyarrow().to_pylist()
    latest: dict[str, dict] = {}
    for row in sorted(rows, key=lambda r: r["notice_date"]):
        latest[row["app_no"]] = row
    found = {}
    for app_no, row in latest.items():
        decided = row["outcome_date"] is None or row["outcome_date"] <= as_of
        outcome = row["outcome"] if decided else "notified"
        if outcome != "overturned":
            found[app_no] = {"notice_date": row["notice_date"], "outcome": outcome, "batch": row["batch"]}
    return found


# -- the ledger as this run sees it -------------------------------------------------------------------------------

@dataclass
class _Ledger:
    """The subsidy ledger read once per call: each key's status and net committed amount, the holder of each
    event, and the committed sums per cap/budget bucket."""
    status: dict[tuple[str, str, str], str] = field(default_factory=dict)
    counted: dict[tuple[str, str, str], Decimal] = field(default_factory=dict)
    holders: dict[str, list[tuple[tuple[str, str, str], str]]] = field(default_factory=lambda: defaultdict(list))
    buckets: dict[tuple, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    members: dict[tuple, list[tuple[str, str, str]]] = field(default_factory=lambda: defaultdict(list))

    def used(self, bucket: tuple, own: tuple[str, str, str]) -> Decimal:
        """Committed in the bucket, the row's own key left out (its own approval is what is being computed)."""
        own_part = self.counted.get(own, ZERO) if own in self.members.get(bucket, ()) else ZERO
        return _money(self.buckets.get(bucket, ZERO) - own_part)


def _buckets(item: str, app_no: str | None, subject_key: str, payee: str, version: str, year: str) -> list[tuple]:
    return [("subject", item, app_no or subject_key), ("item_year", item, payee, year),
            ("version_year", version, payee, year), ("item_budget", item, year), ("version_budget", version, year)]


def finance_committed(duck: duckdb.DuckDBPyConnection, policy: SubsidyPolicy) -> list[dict]:
    """The finance ledger's approved and paid interest subsidies as committed money of this policy: {payee (the
    normalised pledgor), year, version (in force on the claim period's last day, the pledge_interest event's day),
    item (that version's pledge_interest item, or None), amount_yuan, key}.  They count toward the payee's yearly
    cap of the version, the pledge_interest item's cap and budget and the version's budget, in eligible() and in
    ledger.decide alike (budget.spend lists them under the pledge_interest item).  No table (an older warehouse):
    none."""
    if not _has_table(duck, "finance_ledger"):
        return []
    rows = duck.execute(
        "SELECT contract_no, period, enterprise, coalesce(approved_yuan, computed_yuan) FROM finance_ledger"
        " WHERE scheme = 'interest_subsidy' AND status IN ('approved', 'paid')").fetchall()
    out = []
    for contract_no, period, enterprise, amount in rows:
        version = policy.version_on(period_range(period)[1])
        item = next((i.id for i in version.items if i.kind == FINANCE_KIND), None) if version else None
        out.append({"payee": enterprise, "year": period[:4], "version": version.version if version else None,
                    "item": item, "amount_yuan": _money(amount or 0),
                    "key": ("finance_ledger", contract_no, period)})
    return out


def _read_ledger(duck: duckdb.DuckDBPyConnection | None, policy: SubsidyPolicy) -> _Ledger:
    ledger = _Ledger()
    if duck is None:
        return ledger
    for row in finance_committed(duck, policy):
        buckets = [("item_year", row["item"], row["payee"], row["year"]), ("item_budget", row["item"], row["year"])]
        buckets = (buckets if row["item"] else []) + ([("version_year", row["version"], row["payee"], row["year"]),
                                                      ("version_budget", row["version"], row["year"])]
                                                     if row["version"] else [])
        for bucket in buckets:
            ledger.buckets[bucket] += row["amount_yuan"]
            ledger.members[bucket].append(row["key"])
    rows = duck.execute(
        "SELECT item, subject_key, period, event_key, status, app_no, payee, policy_version,"
        " coalesce(approved_yuan, computed_yuan), coalesce(clawback_yuan, 0) FROM subsidy_ledger").fetchall()
    for item, subject_key, period, event_key, status, app_no, payee, version, approved, clawed in rows:
        key = (item, subject_key, period)
        ledger.status[key] = status
        if status in HOLDING or status == REJECTED:
            ledger.holders[event_key].append((key, status))
        if status in COUNTED:
            net = _money(approved) - _money(clawed)
            ledger.counted[key] = net
            for bucket in _buckets(item, app_no, subject_key, payee, version, period[:4]):
                ledger.buckets[bucket] += net
                ledger.members[bucket].append(key)
    return ledger


# -- the rules of one event ---------------------------------------------------------------------------------------

def _in_region(applicant: Applicant, prefix: str) -> bool:
    return bool(applicant.town_code) and str(applicant.town_code).startswith(prefix)


def _payee(event: Event, item: Item, version: PolicyVersion, trace: list[dict]) -> Applicant | None:
    """The applicant paid: the first, or under ``applicant: any`` the first one in the region; steps applicant and
    region."""
    mode = item.conditions.applicant
    region = item.conditions.region or version.region
    prefix = region_prefix(region)
    listed = [{"seq": a.seq, "name": a.name, "town_code": a.town_code} for a in event.applicants]
    chosen = event.applicants[0] if event.applicants else None
    if mode == "any":
        chosen = next((a for a in event.applicants if _in_region(a, prefix)), chosen)
    trace.append(_step("applicant", {"applicant": mode, "applicants": listed},
                       chosen.name_norm if chosen else None, chosen is not None,
                       None if chosen else _say("没有申请人", "no applicant")))
    local = chosen is not None and _in_region(chosen, prefix)
    trace.append(_step("region", {"payee": chosen.name_norm if chosen else None,
                                  "town_code": chosen.town_code if chosen else None, "region": region,
                                  "prefix": prefix}, local, local))
    return chosen


def _allowed(rule: str, value: object, allowed: tuple[str, ...], trace: list[dict]) -> None:
    ok = not allowed or value in allowed
    trace.append(_step(rule, {rule: value, "allowed": list(allowed) or "any"}, ok, ok))


def _prefixed(rule: str, codes: list[str], prefixes: tuple[str, ...], trace: list[dict]) -> None:
    """Any code starting with any prefix (spaces ignored: 'H01M 10/052' matches 'H01M10')."""
    def squeeze(text: str) -> str:
        return str(text).replace(" ", "").upper()

    matched = [c for c in codes if any(squeeze(c).startswith(squeeze(p)) for p in prefixes)]
    ok = not prefixes or bool(matched)
    trace.append(_step(rule, {"codes": codes, "prefixes": list(prefixes) or "any", "matched": matched}, ok, ok))


def _conditions(event: Event, item: Item, payee: Applicant | None, trace: list[dict]) -> None:
    """applicant_type, patent_type, in_force, fields, ipc (the last four only where they apply)."""
    cond, data = item.conditions, event.facts
    _allowed("applicant_type", payee.applicant_type if payee else None, cond.applicant_types, trace)
    if event.subject_kind == "patent":
        _allowed("patent_type", data.get("patent_type"), cond.patent_types, trace)
        if cond.in_force:
            # A PCT filing is paid while the application is alive: pending (not yet granted) counts as well as in
            # force; withdrawn, rejected or deemed withdrawn does not.
            pending_ok = event.kind == "pct_filing" and data.get("state") == "pending"
            alive = data.get("in_force") is True or pending_ok
            trace.append(_step("in_force", {"state": data.get("state"), "in_force": data.get("in_force"),
                                            "pending_accepted": event.kind == "pct_filing"}, alive, alive))
    if event.subject_kind == "patent" or cond.fields:
        _prefixed("fields", list(data.get("sei") or []), cond.fields, trace)
    if event.subject_kind == "patent":
        ipcs = list(dict.fromkeys([*([data["ipc_main"]] if data.get("ipc_main") else []), *(data.get("ipcs") or [])]))
        _prefixed("ipc", ipcs, cond.ipc_prefixes, trace)


def _abnormal(event: Event, item: Item, abnormal: dict[str, dict], trace: list[dict]) -> None:
    if not item.exclude_abnormal or not event.app_no:
        return
    notice = abnormal.get(event.app_no)
    trace.append(_step("abnormal", {"app_no": event.app_no, **(notice or {})}, notice is not None, notice is None,
                       _abnormal_note(notice)))


def _abnormal_note(notice: dict | None) -> str | None:
    if notice is None:
        return None
    if notice.get("source") == "review":
        day = notice["notice_date"]
        return _say(f"于 {day} 经复核确认为非正常专利申请", f"confirmed abnormal by review on {day}")
    return _say("被通报为非正常专利申请", "notified as an abnormal application")


def _paid_before(event: Event, key: tuple[str, str, str], ledger: _Ledger, trace: list[dict]) -> str | None:
    """The ledger status of the row's own key, else of another row holding the event.  Another holder (applied,
    reviewed, approved, paid or clawed back) fails the rule, and so does the own key clawed back; a row rejected
    under another key fails it too when the own key is not in the ledger (a rejected event does not come back
    through another period or version: only naming the rejected row's own key re-opens it)."""
    others = [(k, s) for k, s in ledger.holders.get(event.event_key, ()) if k != key]
    live = [(k, s) for k, s in others if s != REJECTED]
    own = ledger.status.get(key)
    rejected = [(k, s) for k, s in others if s == REJECTED] if own is None else []
    held = bool(live) or own == "clawed_back" or bool(rejected)   # paid and taken back: never paid again
    note = None
    if live or own == "clawed_back":
        note = _say("该事项已资助过", "this event was paid before")
    elif rejected:
        text = "|".join(rejected[0][0])
        note = _say(f"该事项已在 {text} 下被驳回", f"this event was rejected under another key: {text}")
    trace.append(_step("paid_before", {"event_key": event.event_key, "own_status": own,
                                       "held_by": ["|".join(k) + f" ({s})" for k, s in live + rejected]},
                       held, not held, note))
    return own or (live[0][1] if live else rejected[0][1] if rejected else None)


def _gross(event: Event, item: Item, trace: list[dict]) -> Decimal | None:
    """The amount before caps: a fixed amount, the amount for the event's office/level/grade/kind, or a rate of the
    finance ledger's amount (pledge_interest)."""
    data = event.facts
    if item.amount_yuan is not None:
        gross = _money(item.amount_yuan)
        trace.append(_step("amount", {"amount_yuan": gross}, gross))
        return gross
    if item.rate is not None:
        base = data.get("finance_amount_yuan")
        gross = None if base is None else _money(Decimal(str(item.rate)) * _money(base))
        trace.append(_step("amount", {"rate": item.rate, "finance_amount_yuan": base}, gross, gross is not None,
                           None if gross is not None else _say("没有贴息金额", "no finance ledger amount")))
        return gross
    names = (AMOUNT_KEY[item.kind],) if item.kind in AMOUNT_KEY else AMOUNT_KEYS  # the one each kind uses
    keyed = next(((k, data[k]) for k in names if data.get(k) in item.amounts), None)
    gross = _money(item.amounts[keyed[1]]) if keyed else None
    trace.append(_step("amount", {**({keyed[0]: keyed[1]} if keyed else {k: data.get(k) for k in AMOUNT_KEYS
                                                                          if k in data}),
                                  "amounts": {k: v for k, v in item.amounts.items()}}, gross, gross is not None,
                       None if keyed else _say("该类别没有资助金额", "no amount for this office/level/grade")))
    return gross


def _judge(event: Event, item: Item, policy: SubsidyPolicy, period: str, abnormal: dict[str, dict],
           ledger: _Ledger) -> dict:
    """The row of one event with every eligibility rule applied (the amount before caps in gross_yuan)."""
    trace: list[dict] = []
    version = policy.version_on(event.event_date)
    trace.append(_step("version", {"event_date": event.event_date}, version.version if version else None,
                       version is not None))
    item = (version.item(item.id) if version else None) or item
    payee = _payee(event, item, version, trace) if version else None
    _conditions(event, item, payee, trace)
    _abnormal(event, item, abnormal, trace)
    key = (item.id, event.subject_key, period)
    status = _paid_before(event, key, ledger, trace)
    reasons = [s["rule"] for s in trace if not s["ok"]]
    gross = _gross(event, item, trace) if not reasons else None
    if gross is None and not reasons:
        reasons.append("amount")
    sei = list(event.facts.get("sei") or [])
    return {
        "item": item.id, "item_kind": item.kind, "item_zh": item.name_zh, "item_en": item.name_en,
        "subject_kind": event.subject_kind, "subject_key": event.subject_key, "subject_name": event.subject_name,
        "app_no": event.app_no, "event_key": event.event_key, "event_date": event.event_date, "period": period,
        "policy_version": version.version if version else None, "payee": payee.name_norm if payee else None,
        "payee_name": payee.name if payee else None, "town_code": payee.town_code if payee else None,
        "industry": sei[0] if sei else None, "applicant_type": payee.applicant_type if payee else None,
        "gross_yuan": gross if gross is not None else ZERO, "amount_yuan": ZERO, "eligible": not reasons,
        "reasons": reasons, "trace": trace, "ledger_status": status,
        "paid_via": "finance_ledger" if item.kind == "pledge_interest" else None,
        "_item": item, "_version": version,
    }


# -- caps and budget over the run --------------------------------------------------------------------------------

def _cap(row: dict, rule: str, cap: Decimal | None, bucket: tuple, amount: Decimal, ledger: _Ledger,
         run: dict[tuple, Decimal], key: tuple[str, str, str]) -> Decimal:
    if cap is None:
        return amount
    committed = ledger.used(bucket, key)
    used = committed + run[bucket]
    left = max(_money(cap) - used, ZERO)
    final = min(amount, left)
    note = None if final == amount else _say(f"被上限削减 {amount - final}", f"cut by the cap: {amount - final}")
    row["trace"].append(_step(rule, {"cap": _money(cap), "committed": committed, "this_run": _money(run[bucket]),
                                     "left": left, "before": amount}, final, final > 0, note))
    return final


def _caps_and_budget(rows: list[dict], ledger: _Ledger) -> None:
    """Cut each eligible row by its caps in order, then flag the budgets; this run's amounts add up per bucket."""
    run: dict[tuple, Decimal] = defaultdict(Decimal)
    for row in rows:
        if not row["eligible"]:
            continue
        item, version = row["_item"], row["_version"]
        key = (row["item"], row["subject_key"], row["period"])
        if item.kind == FINANCE_KIND:   # counted from the finance ledger already, capped by the finance policy
            row["amount_yuan"] = row["gross_yuan"]
            row["trace"].append(_step("amount", {"gross_yuan": row["gross_yuan"], "paid_via": "finance_ledger"},
                                      row["amount_yuan"], True, _say(
                                          "贴息由金融台账按贴息政策封顶，不受本政策上限削减；已计入本户本年已承诺金额",
                                          "capped by the finance policy in the finance ledger, not cut by these caps;"
                                          " counted in the payee's committed money of the year")))
            continue
        subject, item_year, version_year, item_budget, version_budget = _buckets(
            row["item"], row["app_no"], row["subject_key"], row["payee"], version.version, row["period"][:4])
        amount = row["gross_yuan"]
        for rule, cap, bucket in (("cap_subject", item.cap_per_subject_yuan, subject),
                                  ("cap_item_year", item.cap_per_applicant_year_yuan, item_year),
                                  ("cap_version_year", version.cap_per_applicant_year_yuan, version_year)):
            amount = _cap(row, rule, cap, bucket, amount, ledger, run, key)
            if amount <= 0:
                row.update(eligible=False, reasons=[rule])
                break
        if not row["eligible"]:
            continue
        row["amount_yuan"] = amount
        row["trace"].append(_step("amount", {"gross_yuan": row["gross_yuan"]}, amount))
        if key not in ledger.counted:   # a committed row is in the ledger's sums already
            for bucket in (subject, item_year, version_year, item_budget, version_budget):
                run[bucket] += amount
        for scope, budget, bucket in (("item", item.budget_yuan, item_budget),
                                      ("version", version.budget_yuan, version_budget)):
            if budget is not None:
                committed = ledger.used(bucket, key)
                total = _money(committed + run[bucket] + ledger.counted.get(key, ZERO))
                within = total <= _money(budget)
                row["trace"].append(_step("budget", {"scope": scope, "budget": _money(budget),
                                                     "committed": committed, "total": total}, within, within,
                                          None if within else _say("超出年度预算，核准时将被拒绝",
                                                                   "over the year's budget: approval will refuse it")))


# -- the door -----------------------------------------------------------------------------------------------------

def _overlap(version: PolicyVersion, start: date, end: date) -> tuple[date, date] | None:
    low = max(start, version.effective_from)
    high = end if version.effective_to is None else min(end, version.effective_to)
    return (low, high) if low <= high else None


def eligible(con: ibis.BaseBackend, policy: SubsidyPolicy, period: str, *, as_of: date | None = None,
             ledger: duckdb.DuckDBPyConnection | None = None, region: str | None = None,
             payee: str | None = None, items: tuple[str, ...] | None = None) -> list[dict]:
    """Every event of the period each policy item pays for, judged (docs/subsidies.md, contract row shape), ordered
    by event_date, item, subject_key.  Caps and budgets are worked out over every item and payee of the period, so
    a row's amount does not depend on the ``region`` (a town or district code the payee's town must lie in),
    ``payee`` (a normalised name) and ``items`` filters, which only leave rows out.  Period: YYYY, YYYY-Qn, YYYY-Hn
    (finance.ledger.LedgerError otherwise); as_of: the period's last day, or today if earlier."""
    start, end = period_range(period)
    as_of = as_of or min(end, date.today())
    abnormal = abnormal_applications(con, as_of)
    book = _read_ledger(ledger, policy)
    memo: dict = {}   # one per call: facts.py shares legal states, criterion periods and subject facts over items
    rows = []
    for version in policy.versions:
        days = _overlap(version, start, end)
        if days is None:
            continue
        for item in version.items:
            for event in facts.events(con, item, days[0], days[1], as_of=as_of, memo=memo):
                rows.append(_judge(event, item, policy, period, abnormal, book))
    rows.sort(key=lambda r: (r["event_date"], r["item"], r["subject_key"]))
    _caps_and_budget(rows, book)
    prefix = region_prefix(region) if region else None
    kept = [r for r in rows if (items is None or r["item"] in items) and (payee is None or r["payee"] == payee)
            and (prefix is None or str(r["town_code"] or "").startswith(prefix))]
    for row in kept:
        del row["_item"], row["_version"]
    return kept
