"""Collateral candidates for banks (可质押专利): which granted patents of a region's enterprises a bank could take
as collateral on a day, why the others are not candidates, and a suggested bundle per enterprise
(docs/finance-bank.md).

A candidate is a granted patent of the chosen types (inventions by default), `valid` on the day (a patent in its
annuity grace period has annuities not in order and is not a candidate), with at least N years of term left, not
an item of a pledge contract active on the day (finance.registry.items_on), with no undecided invalidation request,
whose first applicant is in the region.  Its value is the value room's pledge scenario (score and grade ranked
among every patent scored on the day; value.value_scores).
"""

from __future__ import annotations

import calendar
from datetime import date

import ibis
import pandas as pd

from hvpatent.indicators.base import ALL_APPLICANTS, first_applicants, in_region
from hvpatent.legal import legal_state

# Reason key → (zh, en), in the order a patent is screened: the first reason that applies is its `reason`.
EXCLUSIONS: dict[str, tuple[str, str]] = {
    "patent_type": ("专利类型未选入（默认只列发明专利）", "patent type not offered (inventions only by default)"),
    "not_in_force": ("专利权已终止（期满、未缴年费终止、无效、放弃或失效）",
                     "the right has ended (expired, lapsed for non-payment, invalidated, surrendered or ended)"),
    "grace": ("年费逾期未缴（滞纳期内），年费未按期缴纳",
              "annuity overdue (in the grace period): annuities not in order"),
    "short_term": ("剩余保护期不足", "remaining term too short"),
    "pledged": ("已在有效的质押合同中", "already an item of an active pledge contract"),
    "invalidation_pending": ("无效宣告请求尚未审结", "an invalidation request is undecided"),
}
# The legal states of a granted patent (a pending, withdrawn or rejected application was never a right and is
# not listed at all, neither as a candidate nor as excluded).
GRANTED_STATES = ("valid", "grace", "restorable", "lapsed", "expired", "invalidated", "surrendered", "ended")
OFFERED_TYPES = ("invention",)
# An event after a request that decides it: a full or partial invalidation, or an `other` event whose text says
# the right was upheld (维持有效 / 维持专利权有效) or names the decision (无效宣告请求审查决定).
DECIDING_TYPES = ("invalidated_full", "invalidated_partial")


# Column → (zh, en) header of the exports (CLI and web), in their order.
CANDIDATE_COLUMNS: dict[str, tuple[str, str]] = {
    "app_no": ("申请号", "application number"), "title": ("名称", "title"),
    "patent_type": ("专利类型", "type"), "applicant_name": ("第一申请人", "first applicant"),
    "town_code": ("镇街代码", "town code"), "grant_date": ("授权日", "grant date"),
    "term_end": ("保护期届满日", "end of term"), "remaining_years": ("剩余保护期（年）", "remaining term (years)"),
    "next_due_date": ("下次年费到期日", "next annuity due"), "score": ("质押场景价值得分", "pledge value score"),
    "grade": ("价值等级", "grade"), "high_value": ("高价值发明专利", "high-value invention"),
    "state": ("法律状态", "legal state"),
}
EXCLUDED_COLUMNS: dict[str, tuple[str, str]] = {
    **CANDIDATE_COLUMNS, "reason": ("排除原因代码", "reason key"), "reason_zh": ("排除原因", "reason (zh)"),
    "reason_en": ("排除原因（英文）", "reason"),
}
BUNDLE_COLUMNS: dict[str, tuple[str, str]] = {
    "enterprise_name": ("企业", "enterprise"), "town_code": ("镇街代码", "town code"),
    "candidates": ("候选专利数", "candidates"), "high_value": ("其中高价值", "of which high-value"),
    "best_score": ("最高得分", "best score"), "suggested": ("建议质押组合", "suggested bundle"),
    "suggested_score": ("组合平均得分", "bundle's mean score"),
}


def add_months(day: date, months: int) -> date:
    """The corresponding day ``months`` later (Implementing Regulations art. 5: a period ending in a month without
    that day ends on the month's last day)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def whole_months(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    return months if add_months(start, months) <= end else months - 1


def term_threshold(as_of: date, min_remaining_years: float) -> date:
    """The earliest end of term that leaves at least ``min_remaining_years`` (to the month): the right is in force
    up to the day before its term_end, so a term ending exactly N years after the day leaves exactly N years."""
    return add_months(as_of, round(min_remaining_years * 12))


def pending_invalidations(con: ibis.BaseBackend, as_of: date) -> dict[str, date]:
    """app_no → date of the latest invalidation request (event_date on or before the day) that no later event
    decided by the day.  A request recorded without its decision stays pending: the data say no more."""
    events = con.table("legal_events")
    day = ibis.date(as_of)
    text = events.raw_text.fill_null("")
    deciding = events.event_type.isin(DECIDING_TYPES) | (
        (events.event_type == "other") & (text.contains("维持") | (text.contains("无效") & text.contains("决定"))))
    relevant = events.filter((events.event_date <= day) & ((events.event_type == "invalidation_requested") | deciding))
    rows = relevant.select("app_no", "event_date", is_request=relevant.event_type == "invalidation_requested")
    requested: dict[str, date] = {}
    decided: dict[str, date] = {}
    for r in rows.to_pyarrow().to_pylist():
        target = requested if r["is_request"] else decided
        if r["event_date"] > target.get(r["app_no"], date.min):
            target[r["app_no"]] = r["event_date"]
    # A decision on the request's own day or later decides it.
    return {a: d for a, d in requested.items() if decided.get(a, date.min) < d}


def pledged_on(con: ibis.BaseBackend, as_of: date) -> set[str]:
    """Application numbers that are items of a pledge contract active on the day (the registry's active_items)."""
    from hvpatent.finance.registry import active_items

    it = active_items(con, as_of)
    it = it.filter(it.item_kind == "patent")
    return set(it.select("item_no").distinct().to_pyarrow().column("item_no").to_pylist())


def screen(con: ibis.BaseBackend, as_of: date, *, region: str | None = None, enterprise: str | None = None,
           min_remaining_years: float = 5.0, types: tuple[str, ...] = OFFERED_TYPES,
           frame: pd.DataFrame | None = None, score: bool = True) -> list[dict]:
    """Every granted patent in scope (first applicant in ``region``, or every one; ``enterprise``: the normalised
    first applicant), screened: each row carries ``reason`` (the first EXCLUSIONS key that applies, None for a
    candidate) and ``reasons`` (all of them).  Best score first, then application number; ``score=False`` leaves
    the value out (score and grade None: the screening alone, much quicker)."""
    from hvpatent.value import value_scores

    if min_remaining_years < 0:
        raise ValueError(f"min_remaining_years must be 0 or more, not {min_remaining_years}")
    states = legal_state(con, as_of)
    states = states.filter(states.state.isin(GRANTED_STATES))
    firsts = first_applicants(con).select("app_no", "applicant", "applicant_name", "province_code", "city_code",
                                          "county_code", "town_code")
    rows = in_region(states.join(firsts, "app_no"), region or ALL_APPLICANTS)
    if enterprise:
        rows = rows.filter(rows.applicant == enterprise)
    apps = con.table("applications").select("app_no", "title")
    rows = rows.left_join(apps, "app_no")
    rows = rows.select("app_no", "title", "patent_type", "state", "applicant", "applicant_name", "town_code",
                       "filing_date", "grant_date", "term_end", "next_due_date", "next_due_amount")
    found = rows.to_pyarrow().to_pylist()
    if not found:
        return []
    pledged = pledged_on(con, as_of)
    invalidations = pending_invalidations(con, as_of)
    threshold = term_threshold(as_of, min_remaining_years)
    scores = {r["app_no"]: r for r in value_scores(con, as_of, "pledge", ALL_APPLICANTS,
                                                    app_nos=[r["app_no"] for r in found], frame=frame)} if score else {}
    out = []
    for r in found:
        reasons = []
        if r["patent_type"] not in types:
            reasons.append("patent_type")
        if r["state"] == "grace":
            reasons.append("grace")
        elif r["state"] != "valid":
            reasons.append("not_in_force")
        if r["state"] in ("valid", "grace") and (r["term_end"] is None or r["term_end"] < threshold):
            reasons.append("short_term")
        if r["app_no"] in pledged:
            reasons.append("pledged")
        if r["app_no"] in invalidations:
            reasons.append("invalidation_pending")
        value = scores.get(r["app_no"], {})
        in_force = r["state"] in ("valid", "grace") and r["term_end"] is not None
        out.append({
            "app_no": r["app_no"], "title": r["title"], "patent_type": r["patent_type"], "state": r["state"],
            "applicant": r["applicant"], "applicant_name": r["applicant_name"], "town_code": r["town_code"],
            "grant_date": r["grant_date"], "term_end": r["term_end"],
            "remaining_years": round(whole_months(as_of, r["term_end"]) / 12, 2) if in_force else 0.0,
            "next_due_date": r["next_due_date"], "next_due_amount": r["next_due_amount"],
            "score": value.get("score"), "grade": value.get("grade"),
            "high_value": bool(value["high_value"]) if value else None,
            "invalidation_requested": invalidations.get(r["app_no"]),
            "reason": reasons[0] if reasons else None, "reasons": reasons,
        })
    out.sort(key=lambda r: (-(r["score"] if r["score"] is not None else -1.0), r["app_no"]))
    return out


def collateral_candidates(con: ibis.BaseBackend, as_of: date, *, region: str | None = None,
                          enterprise: str | None = None, min_remaining_years: float = 5.0,
                          frame: pd.DataFrame | None = None, types: tuple[str, ...] = OFFERED_TYPES) -> list[dict]:
    """The candidates (module docstring), best pledge score first.  ``types=("invention", "utility_model")``
    offers utility models too (banks do take them; their 10-year term rarely leaves N years); ``frame``: the value
    room's `value_frame` of the day, for reuse."""
    rows = screen(con, as_of, region=region, enterprise=enterprise, min_remaining_years=min_remaining_years,
                  types=types, frame=frame)
    return [_public(r) for r in rows if r["reason"] is None]


def excluded_patents(con: ibis.BaseBackend, as_of: date, *, region: str | None = None,
                     enterprise: str | None = None, min_remaining_years: float = 5.0,
                     frame: pd.DataFrame | None = None, types: tuple[str, ...] = OFFERED_TYPES) -> list[dict]:
    """The granted patents in scope that are not candidates, each with ``reason`` (first EXCLUSIONS key),
    ``reasons``, and ``reason_zh`` / ``reason_en`` ("why not")."""
    rows = screen(con, as_of, region=region, enterprise=enterprise, min_remaining_years=min_remaining_years,
                  types=types, frame=frame)
    out = []
    for r in rows:
        if r["reason"] is None:
            continue
        zh = "；".join(reason_text(k, "zh", min_remaining_years) for k in r["reasons"])
        en = "; ".join(reason_text(k, "en", min_remaining_years) for k in r["reasons"])
        out.append({**_public(r), "reason": r["reason"], "reasons": r["reasons"], "reason_zh": zh, "reason_en": en})
    return out


def reason_text(key: str, lang: str = "zh", min_remaining_years: float | None = None) -> str:
    zh, en = EXCLUSIONS[key]
    if key == "short_term" and min_remaining_years is not None:
        years = f"{min_remaining_years:g}"
        return f"{zh}（少于 {years} 年）" if lang == "zh" else f"{en} (under {years} years)"
    return zh if lang == "zh" else en


def _public(r: dict) -> dict:
    return {k: r[k] for k in ("app_no", "title", "patent_type", "applicant", "applicant_name", "town_code",
                              "grant_date", "term_end", "remaining_years", "next_due_date", "score", "grade",
                              "high_value", "state")}


def candidate_bundles(candidates: list[dict], *, bundle_size: int = 3) -> list[dict]:
    """Per enterprise (first applicant): its candidates' count, best score, and the suggested bundle (质押组合) =
    its top ``bundle_size`` candidates by score, with their mean score; best bundle first.

    A bundle spreads the bank's risk over several patents (one lapse or invalidation does not leave the loan
    bare); mixing patents with trademarks in one contract (the plan's 组合质押) is for the bank and the
    enterprise to agree: trademarks are not scored here."""
    if bundle_size < 1:
        raise ValueError(f"bundle_size must be 1 or more, not {bundle_size}")
    groups: dict[str, list[dict]] = {}
    for c in candidates:
        groups.setdefault(c["applicant"] or "", []).append(c)
    bundles = []
    for enterprise, rows in groups.items():
        rows = sorted(rows, key=lambda r: (-(r["score"] or 0.0), r["app_no"]))
        top = rows[:bundle_size]
        bundles.append({
            "enterprise": enterprise, "enterprise_name": rows[0]["applicant_name"], "town_code": rows[0]["town_code"],
            "candidates": len(rows), "high_value": sum(bool(r["high_value"]) for r in rows),
            "best_score": top[0]["score"],
            "suggested": [r["app_no"] for r in top],
            "suggested_titles": [r["title"] for r in top],
            "suggested_score": round(sum(r["score"] or 0.0 for r in top) / len(top), 2),
        })
    bundles.sort(key=lambda b: (-b["suggested_score"], -b["candidates"], b["enterprise"]))
    return bundles


__all__ = ["BUNDLE_COLUMNS", "CANDIDATE_COLUMNS", "EXCLUDED_COLUMNS", "EXCLUSIONS", "candidate_bundles",
           "collateral_candidates", "excluded_patents", "screen"]
