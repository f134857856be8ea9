"""The risk watch on pledged patents (风险监测; docs/finance-bank.md): for every pledge contract active on the day
(a bank's own, with ``bank``), what could cost the bank its collateral, with the deadline and what to do.

Deadlines come from the legal state on the day (docs/legal-state.md: annuity due date, the grace period's last day,
the restoration deadline, the end of term) and from the contract (the loan's maturity, loan_end).  Conditions that
are not deadlines (an invalidation request, a transfer after registration) are listed while they hold, with the
date of the event.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis

from hvpatent.indicators.base import region_column
from hvpatent.legal import legal_state

RISK_KINDS: tuple[str, ...] = ("annuity_due", "grace", "lapsed", "invalidation_requested", "invalidated",
                               "transferred", "licensed", "expired", "term_before_maturity", "pledgor_lapses",
                               "loan_maturity", "loan_overdue")
RISK_LABELS: dict[str, tuple[str, str]] = {
    "annuity_due": ("年费即将到期", "annuity due"),
    "grace": ("年费逾期（滞纳期内）", "annuity overdue (grace period)"),
    "lapsed": ("专利权已终止", "the right has ended"),
    "invalidation_requested": ("被请求宣告无效", "invalidation requested"),
    "invalidated": ("已被宣告无效", "invalidated"),
    "transferred": ("质押后转让", "transferred after registration"),
    "licensed": ("质押后许可", "licensed after registration"),
    "expired": ("保护期已届满", "the term is over"),
    "term_before_maturity": ("保护期早于贷款到期", "term ends before the loan's maturity"),
    "pledgor_lapses": ("出质人其他专利失效风险", "the pledgor's other patents lapsing"),
    "loan_maturity": ("贷款即将到期", "loan maturity"),
    "loan_overdue": ("贷款已到期未注销", "loan past maturity, pledge not released"),
}
SEVERITIES: dict[str, tuple[str, str]] = {"high": ("高", "high"), "medium": ("中", "medium"), "low": ("低", "low")}
# Column → (zh, en) header of the exports (the daily export, the bank page), in their order.
RISK_COLUMNS: dict[str, tuple[str, str]] = {
    "severity": ("风险等级", "severity"), "kind": ("风险类型", "kind"), "deadline": ("期限", "deadline"),
    "contract_no": ("质押登记号", "contract no."), "pledgor": ("出质人", "pledgor"), "pledgee": ("质权人", "pledgee"),
    "item_no": ("申请号", "application number"), "title": ("名称", "title"), "state": ("法律状态", "legal state"),
    "event_date": ("事件日期", "event date"), "amount": ("金额（元）", "amount (CNY)"),
    "loan_end": ("债务到期日", "loan maturity"), "action": ("处理建议", "what to do"),
}
SOON_DAYS = 30  # an annuity or a maturity this close is `medium`, further off `low`


def _money(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _active_items(con: ibis.BaseBackend, as_of: date, bank: str | None, region: str | None) -> list[dict]:
    """The patent items of the contracts active on the day (bank and region filters), with the contract's facts."""
    from hvpatent.finance.registry import bank_filter, contracts_on, current_items

    contracts = contracts_on(con, as_of)
    contracts = contracts.filter(contracts.status == "active")
    if bank:
        contracts = bank_filter(contracts, bank)
    if region:
        contracts = contracts.filter(contracts[region_column(region)] == region)  # the pledgor's region
    contracts = contracts.select("contract_no", "pledgor", "pledgor_norm", "pledgee", "pledgee_norm", "loan_end",
                                 "registered_date", "amount_yuan")
    it = current_items(con, as_of)  # items_on's rule, without computing contracts_on a second time
    it = it.filter(it.item_kind == "patent").select("contract_no", "item_no", "added_date")
    return contracts.left_join(it, "contract_no").drop("contract_no_right").to_pyarrow().to_pylist()


def risk_watch(con: ibis.BaseBackend, as_of: date, *, bank: str | None = None, within_days: int = 90,
               region: str | None = None) -> list[dict]:
    """Alerts on the active contracts' patents (RISK_KINDS), most severe first, then by deadline.

    Rows: contract_no, pledgee, pledgor, item_no (for ``pledgor_lapses`` the pledgor's other patent; None for
    the contract-level ``loan_maturity`` / ``loan_overdue``), title, kind, label_zh, label_en, severity,
    deadline, event_date, amount, state, action_zh, action_en, loan_end.  ``within_days``: the window
    [as_of, as_of + within_days] for annuities due, loan maturities and (when the loan's maturity is unknown) ends
    of term; conditions that already hold are listed whatever the window."""
    from hvpatent.finance.candidates import pending_invalidations

    if within_days < 0:
        raise ValueError(f"within_days must be 0 or more, not {within_days}")
    end = as_of + timedelta(days=within_days)
    lines = _active_items(con, as_of, bank, region)
    if not lines:
        return []
    contracts: dict[str, dict] = {}
    for line in lines:
        contracts.setdefault(line["contract_no"], {**line, "items": []})
        if line["item_no"]:
            contracts[line["contract_no"]]["items"].append((line["item_no"], line["added_date"]))
    pledged = {no for c in contracts.values() for no, _ in c["items"]}
    pledgors = sorted({c["pledgor_norm"] for c in contracts.values() if c["pledgor_norm"]})
    parties = con.table("parties")
    owned_rows = (parties.filter(parties.name_norm.isin(pledgors) & (parties.role == "applicant"))
                  .select("app_no", "name_norm").distinct().to_pyarrow().to_pylist()) if pledgors else []
    owned: dict[str, set[str]] = {}
    for r in owned_rows:
        owned.setdefault(r["name_norm"], set()).add(r["app_no"])
    wanted = sorted(pledged | {a for apps in owned.values() for a in apps})
    states = legal_state(con, as_of)
    apps = con.table("applications").select("app_no", "title")
    states = states.filter(states.app_no.isin(wanted)).left_join(apps, "app_no")
    facts = {r["app_no"]: r for r in states.select(
        "app_no", "title", "state", "term_end", "next_due_date", "next_due_year", "next_due_amount", "late_fee",
        "lapse_due_date", "grace_end", "restore_deadline").to_pyarrow().to_pylist()}
    events = con.table("legal_events")
    moves = events.filter(events.event_type.isin(("transfer", "licence")) & events.app_no.isin(sorted(pledged))
                          & (events.event_date <= ibis.date(as_of)))
    moved: dict[str, list[tuple[date, str]]] = {}
    for r in moves.select("app_no", "event_date", "event_type").to_pyarrow().to_pylist():
        moved.setdefault(r["app_no"], []).append((r["event_date"], r["event_type"]))
    invalidations = pending_invalidations(con, as_of)

    out: list[dict] = []
    for c in contracts.values():
        base = {"contract_no": c["contract_no"], "pledgee": c["pledgee"], "pledgor": c["pledgor"],
                "loan_end": c["loan_end"]}

        def add(kind: str, item: str | None, severity: str, zh: str, en: str, *, deadline: date | None = None,
                event_date: date | None = None, amount: float | None = None, fact: dict | None = None,
                base: dict = base) -> None:
            fact = fact or {}
            out.append({**base, "item_no": item, "title": fact.get("title"), "kind": kind,
                        "label_zh": RISK_LABELS[kind][0], "label_en": RISK_LABELS[kind][1], "severity": severity,
                        "deadline": deadline, "event_date": event_date, "amount": amount,
                        "state": fact.get("state"), "action_zh": zh, "action_en": en})

        loan_end = c["loan_end"]
        for item, added in c["items"]:
            f = facts.get(item)
            if f is None:  # a patent the warehouse does not hold: nothing known about it
                continue
            state = f["state"]
            if state == "valid" and f["next_due_date"] and as_of <= f["next_due_date"] <= end:
                due = f["next_due_date"]
                add("annuity_due", item, "medium" if (due - as_of).days <= SOON_DAYS else "low",
                    f"第{f['next_due_year']}年年费 {_money(f['next_due_amount'])} 元将于 {due} 到期，"
                    "请督促出质人按期缴纳（专利法第43条，实施细则第115条）",
                    f"The year-{f['next_due_year']} annuity of CNY {_money(f['next_due_amount'])} falls due on {due}: "
                    "ask the pledgor to pay it on time (Patent Law art. 43, Implementing Regulations art. 115)",
                    deadline=due, amount=f["next_due_amount"], fact=f)
            elif state == "grace":
                total = (f["next_due_amount"] or 0.0) + (f["late_fee"] or 0.0)
                add("grace", item, "high",
                    f"年费已逾期未缴：出质人最迟须于 {f['grace_end']} 补缴年费及滞纳金"
                    f"（今日缴纳合计 {_money(total)} 元），逾期专利权自 {f['lapse_due_date']} 起终止"
                    "（实施细则第115条）",
                    f"Annuity overdue: the pledgor must pay it with the late fee by {f['grace_end']} (CNY "
                    f"{_money(total)} if paid today), or the right ends as of {f['lapse_due_date']} "
                    "(Implementing Regulations art. 115)",
                    deadline=f["grace_end"], amount=total, fact=f)
            elif state == "restorable":
                add("lapsed", item, "high",
                    f"专利权已因未缴年费终止：出质人可在 {f['restore_deadline']} 前请求恢复权利（实施细则第6条第2款，"
                    "缴纳恢复费及所欠年费、滞纳金），否则质押物灭失；请督促恢复或要求补充担保",
                    f"The right ended for an unpaid annuity: the pledgor may request restoration by "
                    f"{f['restore_deadline']} (Implementing Regulations art. 6 para 2, paying the restoration fee, the "
                    "annuity and the late fee), or the collateral is lost; press for restoration or ask for further "
                    "security", deadline=f["restore_deadline"], fact=f)
            elif state in ("lapsed", "surrendered", "ended"):
                why_zh = {"lapsed": "因未缴年费终止且恢复期限已过",
                          "surrendered": "已放弃（质押期间放弃须经质权人同意）", "ended": "已失效"}[state]
                why_en = {"lapsed": "lapsed for an unpaid annuity, past the restoration deadline",
                          "surrendered": "surrendered (a pledged right needs the pledgee's consent)",
                          "ended": "ended"}[state]
                add("lapsed", item, "high",
                    f"专利权{why_zh}：质押物已灭失，请评估贷款风险，要求出质人补充或更换担保",
                    f"The right has {why_en}: the collateral is lost; reassess the loan and ask the pledgor for "
                    "further or substitute security", event_date=f["lapse_due_date"], fact=f)
            elif state == "invalidated":
                add("invalidated", item, "high",
                    "专利权已被宣告全部无效（视为自始不存在，专利法第47条）：质押物灭失，请要求出质人补充或更换担保",
                    "The right was invalidated in full (deemed never to have existed, Patent Law art. 47): the "
                    "collateral is lost; ask the pledgor for further or substitute security", fact=f)
            if item in invalidations and state in ("valid", "grace"):
                asked = invalidations[item]
                add("invalidation_requested", item, "high",
                    f"{asked} 有人请求宣告该专利权无效：请督促出质人在国家知识产权局指定期限内答复，跟踪审查结论"
                    "（专利法第45、46条）；如被宣告无效须补充担保",
                    f"An invalidation request was recorded on {asked}: ask the pledgor to answer within the period "
                    "CNIPA sets and follow the decision (Patent Law arts. 45, 46); if invalidated, ask for further "
                    "security", event_date=asked, fact=f)
            since = added or c["registered_date"]
            for when, what in sorted(moved.get(item, [])):
                if since is None or when <= since:
                    continue
                if what == "transfer":
                    add("transferred", item, "high",
                        f"质押登记后专利权发生转移（{when}）：出质后非经质权人同意不得转让（民法典第444条）；请核实是否"
                        "已同意，转让所得价款应向质权人提前清偿债务或提存",
                        f"The right was transferred after the pledge's registration ({when}): a pledged right may not "
                        "be transferred without the pledgee's consent (Civil Code art. 444); check whether you "
                        "consented; the proceeds go to early repayment or deposit", event_date=when, fact=f)
                else:
                    add("licensed", item, "medium",
                        f"质押登记后专利实施许可备案（{when}）：出质后非经质权人同意不得许可他人使用（民法典第444条）；"
                        "请核实，许可费应向质权人提前清偿债务或提存",
                        f"A licence was recorded after the pledge's registration ({when}): a pledged right may not be "
                        "licensed without the pledgee's consent (Civil Code art. 444); check it; the fees go to "
                        "early repayment or deposit", event_date=when, fact=f)
            term_end = f["term_end"]
            if state == "expired":  # the term is over, whatever the loan's maturity: the collateral is gone
                # The right expires at the end of the day before term_end (docs/legal-state.md); a recorded expiry
                # may end it earlier, and then its day is not known here.
                ended = term_end if term_end and term_end <= as_of else None
                since_zh = f"，自 {ended} 起专利权不再有效" if ended else ""
                since_en = f", the right is no longer in force from {ended}" if ended else ""
                add("expired", item, "high",
                    f"保护期已届满（专利法第42条）{since_zh}：质押物灭失，请评估贷款风险，要求出质人补充或更换担保",
                    f"The term is over (Patent Law art. 42){since_en}: the collateral is lost; reassess the loan and "
                    "ask the pledgor for further or substitute security", event_date=ended, fact=f)
            elif term_end and state in ("valid", "grace"):
                if loan_end is not None and term_end <= loan_end:
                    add("term_before_maturity", item, "high" if term_end <= end else "medium",
                        f"专利权保护期于 {term_end} 届满，早于贷款到期日 {loan_end}（专利法第42条）：请在期满前安排补充"
                        "担保或调整债务履行期限",
                        f"The term ends on {term_end}, before the loan's maturity on {loan_end} (Patent Law art. 42): "
                        "arrange further security or a shorter loan before then", deadline=term_end, fact=f)
                elif loan_end is None and term_end <= end:
                    add("term_before_maturity", item, "high",
                        f"专利权保护期于 {term_end} 届满（贷款到期日未登记）：请核实贷款期限并安排补充担保",
                        f"The term ends on {term_end} (the loan's maturity is not recorded): check the loan's term and "
                        "arrange further security", deadline=term_end, fact=f)
        # The pledgor's other patents in their grace period or restorable: a sign of money trouble.
        mine = {no for no, _ in c["items"]}
        for other in sorted(owned.get(c["pledgor_norm"], set()) - mine):
            f = facts.get(other)
            if f is None or f["state"] not in ("grace", "restorable"):
                continue
            deadline = f["grace_end"] if f["state"] == "grace" else f["restore_deadline"]
            what_zh = "年费逾期（滞纳期内）" if f["state"] == "grace" else "已因未缴年费终止（可恢复）"
            what_en = "has an overdue annuity" if f["state"] == "grace" else "lapsed for an unpaid annuity (restorable)"
            add("pledgor_lapses", other, "medium",
                f"出质人的其他专利 {other} {what_zh}，期限 {deadline}：可能是出质人经营或资金困难的信号，请关注",
                f"The pledgor's other patent {other} {what_en}, deadline {deadline}: possibly a sign of money "
                "trouble; keep an eye on the pledgor", deadline=deadline, fact=f)
        if loan_end is not None and as_of <= loan_end <= end:
            add("loan_maturity", None, "medium" if (loan_end - as_of).days <= SOON_DAYS else "low",
                f"贷款将于 {loan_end} 到期：还款后请办理质押注销登记；续贷请办理变更登记",
                f"The loan matures on {loan_end}: after repayment register the pledge's release; for an extension "
                "register a change", deadline=loan_end)
        elif loan_end is not None and loan_end < as_of:
            add("loan_overdue", None, "high",
                f"贷款已于 {loan_end} 到期而质押尚未注销：已还款请办理注销登记；未还款可与出质人协议以质押专利折价，"
                "或拍卖、变卖所得价款优先受偿（民法典第436条）",
                f"The loan matured on {loan_end} and the pledge is not released: if repaid, register the release; if "
                "not, the pledged patents may be valued, auctioned or sold for priority repayment (Civil Code "
                "art. 436)", deadline=loan_end)
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    out.sort(key=lambda r: (rank[r["severity"]], r["deadline"] is None, r["deadline"] or date.max,
                            r["contract_no"], r["item_no"] or "", r["kind"]))
    return out


def risk_counts(rows: list[dict]) -> dict[str, int]:
    """Alerts per severity (the bank page's badge)."""
    counts = {s: 0 for s in SEVERITIES}
    for r in rows:
        counts[r["severity"]] += 1
    return counts


__all__ = ["RISK_COLUMNS", "RISK_KINDS", "RISK_LABELS", "SEVERITIES", "risk_counts", "risk_watch"]
