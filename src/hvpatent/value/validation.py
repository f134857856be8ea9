"""Validating the value assessment out of time: score at a date t, look at what happened in (t, t + h].

`outcomes()` says, for every invention patent in force on t as known on t, what happened to it in the
``horizon_years`` after t; `validate()` scores the same patents with `value_scores(..., as_known_on=t)` (nothing
dated after t enters the score) and reports, per outcome, the ROC AUC of the score beside the AUC of a single raw
feature a bureau would use without any model (the baseline), and of each dimension score. docs/value.md,
"Validation", defines each outcome, its population and its baseline, and says how far the demo's figures go.

Outcomes (t excluded, t + h included; t + h is the same day h years later, 29 February → 28 February):
- ``maintained``: in force (valid or grace) on t + h, with hindsight (every event known today). Null (not at risk)
  when the patent's term, as known on t, ends on or before t + h: it cannot be in force then whatever its owner does.
- ``transacted``: a transfer or licence legal event, a pledge registration event or a pledges row registered, dated
  in (t, t + h].
- ``awarded``: an award counted by the high-value criterion (`high_value_settings().awards`) of a year after t's
  year and not after (t + h)'s year.
- ``family_abroad_granted``: a family member at an office outside `high_value_settings().domestic_offices` granted
  in (t, t + h]. Null (not at risk) when such a member was granted on or before t; null (unknown) when the family has
  a granted foreign member without a grant date, which could have been granted before t.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date

import ibis
import ibis.expr.types as ir

from hvpatent.indicators.config import high_value_settings
from hvpatent.ingest.fields import years_after
from hvpatent.legal import IN_FORCE, legal_state

OUTCOMES = ("maintained", "transacted", "awarded", "family_abroad_granted")
OUTCOME_LABELS = {
    "maintained": ("期末仍有效（维持）", "still in force at the horizon (maintained)"),
    "transacted": ("转让、许可或质押", "transferred, licensed or pledged"),
    "awarded": ("获奖", "won an award"),
    "family_abroad_granted": ("境外同族获授权", "a family member granted abroad"),
}
# The one raw feature a bureau would rank by without a model (docs/value.md, "Validation", says why each).
BASELINES = {
    "maintained": "years_maintained",
    "transacted": "claims_count",
    "awarded": "claims_count",
    "family_abroad_granted": "family_size",
}
DIMENSIONS = ("legal", "technical", "economic")
TRANSACTION_EVENTS = ("transfer", "licence", "pledge_registered")
FEW = 10  # fewer positives (or negatives) than this: the AUC is noted as unreliable


def horizon_end(t: date, horizon_years: int) -> date:
    """t + h: the same day ``horizon_years`` later (29 February → 28 February)."""
    if horizon_years < 1:
        raise ValueError(f"horizon_years must be at least 1, not {horizon_years}")
    return years_after(t, horizon_years)


def outcomes(con: ibis.BaseBackend, t: date, horizon_years: int = 5) -> ir.Table:
    """(app_no, filing_date, term_end, end, maintained, transacted, awarded, family_abroad_granted): one row per
    invention patent in force on ``t`` as known on ``t``; outcomes in (t, t + horizon_years] (module docstring)."""
    end = horizon_end(t, horizon_years)
    day, last = ibis.date(t), ibis.date(end)
    settings = high_value_settings()

    known = legal_state(con, t, as_known_on=t, annuity=False)
    base = known.filter((known.patent_type == "invention") & known.state.isin(IN_FORCE))
    base = base.select("app_no", "filing_date", "term_end")

    # maintained: the state on t + h with hindsight
    apps = con.table("applications")
    later = legal_state(con, end, applications=apps.semi_join(base, "app_no"), annuity=False)
    kept = later.filter(later.state.isin(IN_FORCE)).select("app_no")

    # transacted
    events = con.table("legal_events")
    dealt = events.filter(events.event_type.isin(TRANSACTION_EVENTS) & (events.event_date > day)
                          & (events.event_date <= last)).select("app_no")
    pledges = con.table("pledges")
    pledged = pledges.filter((pledges.registered_date > day) & (pledges.registered_date <= last)).select("app_no")
    transacted = ibis.union(dealt.select(app_no=dealt.app_no.cast("string")),
                            pledged.select(app_no=pledged.app_no.cast("string")), distinct=True)

    # awarded
    awards = con.table("awards")
    named = ibis.or_(*[awards.award.contains(name) for name in settings.awards])
    won = awards.filter(named & (awards.year > t.year) & (awards.year <= end.year)).select("app_no").distinct()

    # family abroad: per application, the foreign members granted before/in the window, and undated ones
    members = con.table("family_members")
    foreign = members.filter(members.granted & ~members.office.isin(list(settings.domestic_offices)))
    family = apps.filter(apps.family_id.notnull()).select("app_no", "family_id").join(foreign, "family_id")
    per_app = family.group_by("app_no").aggregate(
        before=(family.grant_date.notnull() & (family.grant_date <= day)).any(),
        within=(family.grant_date.notnull() & (family.grant_date > day) & (family.grant_date <= last)).any(),
        undated=family.grant_date.isnull().any(),
    )

    out = base.mutate(end=last)
    out = out.left_join(kept.mutate(_kept=ibis.literal(True)), "app_no").drop("app_no_right")
    out = out.left_join(transacted.mutate(_dealt=ibis.literal(True)), "app_no").drop("app_no_right")
    out = out.left_join(won.mutate(_won=ibis.literal(True)), "app_no").drop("app_no_right")
    out = out.left_join(per_app, "app_no").drop("app_no_right")
    at_risk = out.term_end.isnull() | (out.term_end > last)
    not_at_risk_abroad = out.before.fill_null(False) | out.undated.fill_null(False)
    return out.select(
        "app_no", "filing_date", "term_end", "end",
        maintained=ibis.ifelse(at_risk, out._kept.fill_null(False), ibis.null("boolean")),
        transacted=out._dealt.fill_null(False),
        awarded=out._won.fill_null(False),
        family_abroad_granted=ibis.ifelse(not_at_risk_abroad, ibis.null("boolean"), out.within.fill_null(False)),
    )


def _auc(labels: list[bool], values: list[float]) -> float | None:
    if len(set(labels)) < 2:
        return None
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score([int(v) for v in labels], values))


def auc_se(auc: float | None, positives: int, negatives: int) -> float | None:
    """Standard error of an AUC (Hanley & McNeil 1982, Radiology 143:29, eq. 2): a rough width for the figure."""
    if auc is None or positives < 1 or negatives < 1:
        return None
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc))
    return math.sqrt(max(var, 0.0) / (positives * negatives))


def _number(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


def auc_table(rows: Iterable[dict], baselines: dict[str, str] | None = None) -> list[dict]:
    """Per outcome: {outcome, label, label_en, n, positives, auc, auc_se, baseline_feature, baseline_auc,
    baseline_auc_se, baseline_missing, dimension_auc: {legal, technical, economic}, note}.

    ``rows``: one dict per patent with the outcome columns (True, False or None: not at risk / unknown, left out),
    ``score``, the dimension scores and the baseline features. A patent without a score is left out (counted in
    the note); a missing baseline feature counts as 0 (its count is ``baseline_missing``). An outcome with one class
    only gets auc None and a note, never an error; one with fewer than FEW patents in a class a note that its AUC
    is unreliable. ``auc_se``: the Hanley-McNeil standard error.
    """
    baselines = baselines or BASELINES
    rows = list(rows)
    result = []
    for outcome in OUTCOMES:
        feature = baselines[outcome]
        at_risk = [r for r in rows if r.get(outcome) is not None]
        scored = [r for r in at_risk if _number(r.get("score")) is not None]
        labels = [bool(r[outcome]) for r in scored]
        positives = sum(labels)
        notes = []
        if len(scored) < len(at_risk):
            notes.append(f"{len(at_risk) - len(scored)} without a score left out")
        if not scored:
            notes.append("no scored patent at risk: AUC undefined")
        elif positives in (0, len(scored)):
            notes.append(f"one class only ({'all' if positives else 'no'} positives): AUC undefined")
        elif min(positives, len(scored) - positives) < FEW:
            notes.append(f"fewer than {FEW} in one class: AUC unreliable")
        features = [_number(r.get(feature)) for r in scored]
        missing = sum(f is None for f in features)
        if missing:
            notes.append(f"{missing} without {feature} counted as 0")
        dims = {}
        for dim in DIMENSIONS:
            values = [_number(r.get(dim)) for r in scored]
            dims[dim] = None if any(v is None for v in values) else _auc(labels, values)  # type: ignore[arg-type]
        zh, en = OUTCOME_LABELS[outcome]
        auc = _auc(labels, [_number(r["score"]) for r in scored])  # type: ignore[misc]
        baseline = _auc(labels, [f if f is not None else 0.0 for f in features])
        negatives = len(scored) - positives
        result.append({
            "outcome": outcome, "label": zh, "label_en": en, "n": len(scored), "positives": positives,
            "auc": auc, "auc_se": auc_se(auc, positives, negatives), "baseline_feature": feature,
            "baseline_auc": baseline, "baseline_auc_se": auc_se(baseline, positives, negatives),
            "baseline_missing": missing, "dimension_auc": dims, "note": "; ".join(notes) or None,
        })
    return result


def validate(con: ibis.BaseBackend, t: date, horizon_years: int = 5, scenario: str = "management") -> list[dict]:
    """Out-of-time validation of the value score at ``t`` (auc_table's rows, each with t, end and scenario).

    Scores and baseline features are as known on t (`value_scores` / `value_features` with ``as_known_on=t``);
    outcomes are read with hindsight in (t, t + horizon_years]. A window that ends after the warehouse's latest
    legal event is noted: outcomes after that day are not in the data (right-censored)."""
    from hvpatent.value import check_scenario, value_features, value_scores

    check_scenario(scenario)  # before any query: a wrong name fails at once
    end = horizon_end(t, horizon_years)
    facts = {r["app_no"]: r for r in outcomes(con, t, horizon_years).to_pyarrow().to_pylist()}
    if facts:
        features = value_features(con, t, as_known_on=t)
        wanted = sorted({"app_no", *BASELINES.values()} & set(features.columns))
        for r in features.select(*wanted).to_pyarrow().to_pylist():
            if r["app_no"] in facts:
                facts[r["app_no"]].update({k: v for k, v in r.items() if k != "app_no"})
        for s in value_scores(con, t, scenario, as_known_on=t):
            if s["app_no"] in facts:
                facts[s["app_no"]].update({k: s.get(k) for k in ("score", *DIMENSIONS)})
    table = auc_table(facts.values())
    latest = con.table("legal_events").event_date.max().to_pyarrow().as_py()
    censored = latest is not None and latest < end
    for row in table:
        row.update(t=t, end=end, horizon_years=horizon_years, scenario=scenario)
        if censored:
            extra = f"window ends {end}, after the latest legal event ({latest}): outcomes right-censored"
            row["note"] = f"{row['note']}; {extra}" if row["note"] else extra
    return table
