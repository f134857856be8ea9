"""The candidates that close the gap: each patent with the action that would make (or keep) it count on the
deadline, the last day to act, the day it would count and the historical rate of such actions succeeding.

Kinds (docs/cultivation.md has each rule and its boundary days):
- keep_alive: high-value patents at risk: an annuity due within ``within_days`` (last day: the due date), in the
  grace period (last day: the grace period's last day), or lapsed and restorable (last day: the restoration
  deadline; restored, it counts again): the rows of hvpatent.warnings.warnings_table;
- milestone_10y: valid inventions, not high-value today, whose "more than 10 years" day (the day after the 10th
  anniversary of filing) is on or before the deadline: keep them in force until then;
- pending_sei: pending inventions in strategic emerging industries with a chance of grant by the deadline
  (rates.grant_probability); granted, they are high-value by the SEI criterion from the grant;
- family_abroad: valid inventions, not high-value by family abroad, with a foreign family member not granted on
  the as-of date;
- pledge_near: valid inventions, not high-value by pledge, with pledge financing of at least the configured share
  of the threshold;
- award_cycle: valid granted inventions of enterprises entering the China Patent Award's next call (recognised IP
  advantage/demonstration enterprises, or earlier winners), eligible by grant date, when the winners are
  announced on or before the deadline.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from hvpatent.cultivation.config import cultivation_settings
from hvpatent.cultivation.gap import Gap, counted_units
from hvpatent.cultivation.rates import add_years, annuities_due, grant_probability, historical_rates, survival
from hvpatent.indicators import ALL_APPLICANTS, high_value_settings, sei_matches
from hvpatent.indicators.base import applications_of, first_applicants, has_table, in_region
from hvpatent.indicators.highvalue import criteria_evidence, pledge_totals
from hvpatent.legal import IN_FORCE, legal_state
from hvpatent.warnings import warnings_table

CANDIDATE_KINDS = ("keep_alive", "milestone_10y", "pending_sei", "family_abroad", "pledge_near", "award_cycle")
KIND_LABELS = {
    "keep_alive": ("保住有失效风险的高价值专利", "keep at-risk high-value patents alive"),
    "milestone_10y": ("维持至满10年", "keep in force past 10 years"),
    "pending_sei": ("战略性新兴产业发明申请争取授权", "pending SEI inventions to grant"),
    "family_abroad": ("推进海外同族授权", "pursue the foreign family grant"),
    "pledge_near": ("接近质押融资门槛", "near the pledge-financing threshold"),
    "award_cycle": ("申报中国专利奖", "enter the China Patent Award"),
}
ONE_DAY = timedelta(days=1)


def _scope(con: ibis.BaseBackend, region: str | None, enterprise: str | None) -> ir.Table:
    """(app_no, applicant_name, applicant_norm, town_code) of the applications in scope: the first applicant's
    region (no region: every application, as the warnings' to-do list), and ``enterprise`` in any position."""
    scope = in_region(first_applicants(con), region or ALL_APPLICANTS)
    if enterprise:
        scope = scope.semi_join(applications_of(con, enterprise), "app_no")
    return scope.select("app_no", "applicant_name", "town_code", applicant_norm=scope.applicant)


def _criteria(con: ibis.BaseBackend, states: ir.Table, as_of: date) -> dict[str, set[str]]:
    evidence = criteria_evidence(con, states, as_of, high_value_settings())
    found: dict[str, set[str]] = defaultdict(set)
    for r in evidence.select("app_no", "criterion").to_pyarrow().to_pylist():
        found[r["app_no"]].add(r["criterion"])
    return found


def _row(app_no: str, kind: str, action: str, action_en: str, action_date: date, effect_date: date, effect: str,
         criterion: str, probability: float | None, high_value_now: bool, evidence: str,
         survival_: float = 1.0) -> dict:
    """One candidate; ``survival``: P(the patent stays in force to the deadline apart from this action: the
    annuity-paid rate to the power of the other annuities it owes by then; 1 for milestone_10y, whose
    probability already is that, and pending_sei)."""
    return {"app_no": app_no, "kind": kind, "action": action, "action_en": action_en, "action_date": action_date,
            "effect_date": effect_date, "effect": effect, "criterion": criterion,
            "probability": None if probability is None else round(probability, 4),
            "high_value_now": high_value_now, "evidence": evidence, "survival": round(survival_, 4)}


def _dues(states: ir.Table, as_of: date, deadline: date) -> dict[str, int]:
    """app_no → annuities owed by the deadline (rates.annuities_due) of the inventions in force or restorable."""
    t = states.filter((states.patent_type == "invention") & states.state.isin((*IN_FORCE, "restorable")))
    return {r["app_no"]: annuities_due(r["filing_date"], r["term_end"], r["state"], as_of, deadline)
            for r in t.select("app_no", "filing_date", "term_end", "state").to_pyarrow().to_pylist()}


def _keep_alive(con, as_of, within_days, region, enterprise, states, rate, restore_rate, dues) -> list[dict]:
    w = warnings_table(con, as_of, within_days, region, enterprise)
    w = w.filter(w.kind.isin(("annuity_due", "grace")) & w.high_value & (w.patent_type == "invention"))
    rows = []
    for r in w.select("app_no", "kind", "deadline", "amount", "criteria").to_pyarrow().to_pylist():
        amount = "" if r["amount"] is None else f"{r['amount']:,.0f}"
        if r["kind"] == "annuity_due":
            action, action_en = f"按期缴纳年费 {amount} 元", f"pay the annuity ({amount} yuan) when due"
            evidence = f"年费到期 / annuity due {r['deadline']}"
        else:
            action, action_en = (f"滞纳期内补缴年费及滞纳金 {amount} 元",
                                 f"pay the annuity with the late fee ({amount} yuan) in the grace period")
            evidence = f"滞纳期末日 / grace period ends {r['deadline']}"
        # its own annuity (or the grace one) is the action; the others owed by the deadline are its survival
        rows.append(_row(r["app_no"], "keep_alive", action, action_en, r["deadline"], r["deadline"], "keep",
                         r["criteria"], rate, True, evidence, survival(rate, max(dues.get(r["app_no"], 1) - 1, 0))))
    # Lapsed but restorable: not in force now, so no criterion "holds"; the criteria it would meet restored.
    lapsed = states.filter((states.state == "restorable") & (states.patent_type == "invention"))
    restored = lapsed.mutate(state=ibis.literal("valid"))
    criteria = _criteria(con, restored, as_of)
    for r in lapsed.select("app_no", "restore_deadline", "lapse_due_date").to_pyarrow().to_pylist():
        if not criteria.get(r["app_no"]):
            continue
        rows.append(_row(r["app_no"], "keep_alive", "请求恢复权利（缴纳恢复费及所欠年费）",
                         "request restoration (restoration fee and the unpaid annuity)", r["restore_deadline"],
                         r["restore_deadline"], "add", ",".join(sorted(criteria[r["app_no"]])), restore_rate,
                         False, f"欠费终止（年费到期 {r['lapse_due_date']}），恢复期限 / restore by "
                                f"{r['restore_deadline']}", survival(rate, dues.get(r["app_no"], 0))))
    return rows


def _milestone(states, criteria, as_of, deadline, rate, dues_by_app) -> list[dict]:
    years = high_value_settings().maintained_years
    valid = states.filter((states.patent_type == "invention") & states.state.isin(IN_FORCE))
    rows = []
    for r in valid.select("app_no", "filing_date", "term_end", "state").to_pyarrow().to_pylist():
        if criteria.get(r["app_no"]):
            continue
        anniversary = add_years(r["filing_date"], years)
        effect = anniversary + ONE_DAY  # "more than 10 years": the day after the 10th anniversary
        if not as_of <= anniversary or effect > deadline or effect >= r["term_end"]:
            continue
        # every annuity owed until the deadline: the patent must still be in force on it
        dues = [d for k in range(1, 21) if as_of <= (d := add_years(r["filing_date"], k)) <= deadline
                and d < r["term_end"]]
        owed = dues_by_app.get(r["app_no"], len(dues) + (r["state"] == "grace"))
        rows.append(_row(r["app_no"], "milestone_10y", f"缴纳{len(dues) or ''}笔到期年费，维持至 {effect} 满10年",
                         f"pay the annuities due and keep it in force until {effect}", anniversary, effect, "add",
                         "maintained_10y", None if rate is None else survival(rate, owed), False,
                         f"申请日 {r['filing_date']}；满10年次日 {effect}；年费到期 "
                         + "、".join(str(d) for d in dues)))
    return rows


def _pending_sei(con, states, as_of, deadline, model) -> list[dict]:
    pending = states.filter((states.patent_type == "invention") & (states.state == "pending"))
    matches = sei_matches(con)
    sei = matches.semi_join(pending, "app_no").group_by("app_no").aggregate(
        fields=(matches.code.concat(" ", matches.name)).collect(distinct=True).sort().join("；"))
    joined = pending.join(sei, "app_no").select("app_no", "filing_date", "fields")
    rows = []
    for r in joined.to_pyarrow().to_pylist():
        p = grant_probability(model, (as_of - r["filing_date"]).days, (deadline - r["filing_date"]).days)
        if p <= 0:
            continue
        rows.append(_row(r["app_no"], "pending_sei", "跟进审查、及时答复审查意见（可请求优先审查）",
                         "follow the examination, answer office actions promptly (priority examination)",
                         deadline, deadline, "add", "sei", p, False,
                         f"申请日 {r['filing_date']}；{r['fields']}"))
    return rows


def _family_abroad(con, states, criteria, as_of, deadline, rate, keep) -> list[dict]:
    if not has_table(con, "family_members"):
        return []
    domestic = list(high_value_settings().domestic_offices)
    members = con.table("family_members")
    waiting = members.filter(~members.office.isin(domestic)
                             & (~members.granted | (members.grant_date > ibis.date(as_of))))
    apps = con.table("applications").select("app_no", "family_id")
    valid = states.filter((states.patent_type == "invention") & states.state.isin(IN_FORCE)).select("app_no")
    joined = valid.join(apps, "app_no").join(waiting, "family_id")
    per_app = joined.group_by("app_no").aggregate(
        members=joined.member_no.collect(distinct=True).sort().join("、"))
    rows = []
    for r in per_app.to_pyarrow().to_pylist():
        if criteria.get(r["app_no"]):  # high-value already: the action adds nothing to the count
            continue
        rows.append(_row(r["app_no"], "family_abroad", "推进海外同族专利授权", "pursue the foreign grant",
                         deadline, deadline, "add", "family_abroad", rate, False,
                         f"海外同族未授权 / foreign members pending: {r['members']}", keep(r["app_no"])))
    return rows


def _pledge_near(con, states, criteria, as_of, deadline, rate, share, keep) -> list[dict]:
    hv = high_value_settings()
    totals = pledge_totals(con, as_of, hv)
    low = share * hv.pledge_threshold_yuan
    near = totals.filter((totals.pledged_yuan >= low) & (totals.pledged_yuan < hv.pledge_threshold_yuan))
    valid = states.filter((states.patent_type == "invention") & states.state.isin(IN_FORCE)).select("app_no")
    rows = []
    for r in near.semi_join(valid, "app_no").to_pyarrow().to_pylist():
        if criteria.get(r["app_no"]):  # high-value already: the action adds nothing to the count
            continue
        short = hv.pledge_threshold_yuan - float(r["pledged_yuan"])
        rows.append(_row(r["app_no"], "pledge_near", f"追加质押融资约 {short:,.0f} 元",
                         f"further pledge financing of about {short:,.0f} yuan", deadline, deadline, "add",
                         "pledge_high", rate, False,
                         f"已质押融资 / pledged so far {float(r['pledged_yuan']):,.0f} 元（{r['contracts']} 份合同）",
                         keep(r["app_no"])))
    return rows


def next_award_call(as_of: date) -> int:
    """The year of the next call still open to recommendations on ``as_of`` (its submissions close on or after
    it)."""
    cycle = cultivation_settings().award_cycle
    return as_of.year if cycle.closes(as_of.year) >= as_of else as_of.year + 1


def _award_cycle(con, states, criteria, as_of, deadline, rate, keep) -> list[dict]:
    settings = cultivation_settings()
    cycle = settings.award_cycle
    year = next_award_call(as_of)
    announced = cycle.announcement(year)
    if announced > deadline:
        return []
    entrants: set[str] = set()
    if has_table(con, "recognitions") and cycle.recognition_kinds:
        from hvpatent.recognitions import recognitions_in_force

        held = recognitions_in_force(con, as_of, cycle.recognition_kinds)
        entrants |= {r["name_norm"] for r in held.select("name_norm").distinct().to_pyarrow().to_pylist()}
    awards = con.table("awards")
    awards = awards.filter(awards.award.contains(cycle.award) & (awards.year <= as_of.year))
    parties = con.table("parties")
    enterprises = parties.filter(parties.party_type == "enterprise")
    winners = enterprises.semi_join(awards, "app_no").select("name_norm").distinct()
    entrants |= {r["name_norm"] for r in winners.to_pyarrow().to_pylist()}
    if not entrants:
        return []
    names = ibis.memtable({"name_norm": sorted(entrants)}, schema={"name_norm": "string"})
    theirs = parties.semi_join(names, "name_norm").select("app_no").distinct()
    cutoff = cycle.grant_cutoff(year)
    eligible = states.filter(states.patent_type.isin(list(cycle.patent_types)) & states.state.isin(IN_FORCE)
                             & (states.grant_date <= ibis.date(cutoff)))
    eligible = eligible.semi_join(theirs, "app_no").anti_join(awards.select("app_no"), "app_no")
    rows = []
    for r in eligible.select("app_no", "grant_date").to_pyarrow().to_pylist():
        if criteria.get(r["app_no"]):  # high-value already: the action adds nothing to the count
            continue
        rows.append(_row(r["app_no"], "award_cycle", f"申报{year}年度（当年评选）{cycle.award}",
                         f"be recommended for the {cycle.award} call of {year}", cycle.closes(year), announced,
                         "add", "award", rate, False,
                         f"授权日 {r['grant_date']}（不晚于 {cutoff}）；推荐截止 {cycle.closes(year)}；"
                         f"公布 {announced}（{cycle.rules}）", keep(r["app_no"])))
    return rows


def candidates(con: ibis.BaseBackend, as_of: date, deadline: date, region: str | None = None,
               enterprise: str | None = None, within_days: int = 90, rates: dict | None = None,
               kinds: tuple[str, ...] | None = None) -> list[dict]:
    """Every candidate of every kind (module docstring), ordered by the last day to act.  ``region``: the first
    applicant's region (none: every application); ``enterprise``: a normalised name in any applicant position.
    ``rates``: historical_rates(con, as_of, region) when already computed; ``kinds``: only these kinds."""
    rates = rates or historical_rates(con, as_of, region)
    settings = cultivation_settings()
    scope = _scope(con, region, enterprise)
    # Computed once: every kind filters this table (the legal state's query is large to compile).
    states = legal_state(con, as_of).semi_join(scope, "app_no").cache()
    criteria = _criteria(con, states, as_of)
    wanted = set(kinds or CANDIDATE_KINDS)
    unknown = wanted - set(CANDIDATE_KINDS)
    if unknown:
        raise ValueError(f"unknown candidate kinds: {', '.join(sorted(unknown))}")
    rows: list[dict] = []
    annuity = rates["keep_alive"]["rate"]
    dues = _dues(states, as_of, deadline)

    def keep(app_no: str) -> float:
        return survival(annuity, dues.get(app_no, 0))

    if "keep_alive" in wanted:
        rows += _keep_alive(con, as_of, within_days, region, enterprise, states, annuity,
                            rates["restorable"]["rate"], dues)
    if "milestone_10y" in wanted:
        rows += _milestone(states, criteria, as_of, deadline, rates["milestone_10y"]["rate"], dues)
    if "pending_sei" in wanted:
        rows += _pending_sei(con, states, as_of, deadline, rates["pending_sei"])
    if "family_abroad" in wanted:
        rows += _family_abroad(con, states, criteria, as_of, deadline, rates["family_abroad"]["rate"], keep)
    if "pledge_near" in wanted:
        rows += _pledge_near(con, states, criteria, as_of, deadline, rates["pledge_near"]["rate"],
                             settings.pledge_near_share, keep)
    if "award_cycle" in wanted:
        rows += _award_cycle(con, states, criteria, as_of, deadline, rates["award_cycle"]["rate"], keep)
    if not rows:
        return []
    apps = con.table("applications").select("app_no", "title")
    # Filter before the join: an enterprise's scope is a semi-join, which Ibis will not filter after a join.
    ids = ibis.memtable({"app_no": sorted({r["app_no"] for r in rows})}, schema={"app_no": "string"})
    info = scope.semi_join(ids, "app_no").join(apps, "app_no")
    by_app = {r["app_no"]: r for r in info.to_pyarrow().to_pylist()}
    for r in rows:
        extra = by_app.get(r["app_no"], {})
        r.update(title=extra.get("title"), kind_label=KIND_LABELS[r["kind"]][0],
                 applicant_name=extra.get("applicant_name"), applicant_norm=extra.get("applicant_norm"),
                 town_code=extra.get("town_code"))
    order = {k: i for i, k in enumerate(CANDIDATE_KINDS)}
    return sorted(rows, key=lambda r: (r["action_date"], order[r["kind"]], r["app_no"]))


def contributions(rows: list[dict], by: str, gap: Gap | None = None,
                  rates: dict[str, float] | None = None) -> list[dict]:
    """Per town (``town_code``) or enterprise (``applicant_norm``): candidates per kind, ``all`` (patents that
    would count if every action succeeded) and ``expected``.

    With ``gap`` (the rule of what_if, docs/cultivation.md): only the rows that move the gap's count on its
    deadline, and per patent what_if's expected count (cultivation.gap.counted_units), so that the groups'
    ``all`` add up to what_if's all − none and their ``expected`` to historical − none.  Without it (a to-do list
    with no target): every row, and per patent 1 − Π(1 − p) over its actions."""
    if by not in ("town_code", "applicant_norm"):
        raise ValueError("by: town_code | applicant_norm")
    if gap is None:
        units = {}
        for r in rows:
            units.setdefault(r["app_no"], {"rows": [], "ps": []})
            units[r["app_no"]]["rows"].append(r)
            units[r["app_no"]]["ps"].append(r["probability"] or 0.0)
        for unit in units.values():
            unit["expected"] = _any_succeeds(unit.pop("ps"))
    else:
        units = counted_units(gap, rows, rates)
    groups: dict[str, dict] = {}
    for unit in units.values():
        first = unit["rows"][0]
        key = first.get(by) or ""
        entry = groups.setdefault(key, {by: first.get(by), **({"applicant_name": first.get("applicant_name")}
                                                             if by == "applicant_norm" else {}),
                                        **{k: 0 for k in CANDIDATE_KINDS}, "all": 0, "expected": 0.0})
        for r in unit["rows"]:
            entry[r["kind"]] += 1
        entry["all"] += 1
        entry["expected"] += unit["expected"]
    for entry in groups.values():
        entry["expected"] = round(entry["expected"], 2)
    return sorted(groups.values(), key=lambda e: (-e["expected"], -e["all"], str(e[by])))


def _any_succeeds(probabilities: list[float]) -> float:
    fail = 1.0
    for p in probabilities:
        fail *= 1 - p
    return 1 - fail


def kind_summary(rows: list[dict], gap: Gap) -> list[dict]:
    """Per kind (CANDIDATE_KINDS order): the candidates listed, the patents among them that move the gap's count
    (``count``) and their expected count at historical rates (``expected``), by the what-if's rule (counted_units);
    a patent with actions of several kinds is counted under each."""
    units = counted_units(gap, rows)
    out = []
    for kind in CANDIDATE_KINDS:
        mine = [u for u in units.values() if any(r["kind"] == kind for r in u["rows"])]
        out.append({"kind": kind, "listed": sum(r["kind"] == kind for r in rows), "count": len(mine),
                    "expected": round(sum(u["expected"] for u in mine), 2)})
    return out
