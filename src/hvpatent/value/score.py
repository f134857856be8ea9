"""Scores from the features: each indicator a mid-rank percentile within its cohort (patent type × technology
field × filing year, with fallbacks), dimension scores as weighted sums, the overall score as the scenario's
weighted sum of the dimensions, a grade by rank among every patent scored on the day.  One fetch of the features,
then vectorised pandas (docs/value.md); `value_frame` is the day's whole graded frame, which callers may keep and
hand to `value_scores` / `value_of` (``frame=``) instead of computing it again."""

from __future__ import annotations

from datetime import date

import ibis
import numpy as np
import pandas as pd

from hvpatent.indicators.base import HK_MACAO_TAIWAN, applications_of, region_column
from hvpatent.value.features import field_name, value_features
from hvpatent.value.settings import DIMENSIONS, SCENARIOS, ValueSettings, value_settings

# Cohort bases, finest first (cohort_basis), always within one patent type (inventions are compared with
# inventions, utility models with utility models): the field of the same filing year, the field over all years,
# all patents of the filing year, all patents of the type.
BASES: dict[str, tuple[str, ...]] = {"field_year": ("patent_type", "field", "filing_year"),
                                     "field": ("patent_type", "field"), "year": ("patent_type", "filing_year"),
                                     "all": ("patent_type",)}
BASIS_LABELS = {"field_year": ("同类型同领域同申请年", "same type, field and filing year"),
                "field": ("同类型同领域（各年）", "same type and field, all years"),
                "year": ("同类型同申请年（各领域）", "same type and filing year, all fields"),
                "all": ("同类型全部专利", "all patents of the type")}
NEUTRAL = 50.0  # the normalised score of an unknown input (a source without claims counts)

# How each raw input reads in a breakdown: (zh template, en template); {v} is the value.
INPUT_TEXT: dict[str, tuple[str, str]] = {
    "in_force": ("法律状态 {state}", "Legal state {state}"),
    "remaining_years": ("剩余保护期 {v:.1f} 年", "Remaining term {v:.1f} years"),
    "years_maintained": ("已维持 {v:.0f} 年", "Maintained {v:.0f} years"),
    "invalidation_partial": ("部分无效后维持 {v:.0f} 次", "Upheld in part after invalidation {v:.0f} times"),
    "restorations": ("权利恢复 {v:.0f} 次", "Restored {v:.0f} times"),
    "family_countries": ("同族国家/地区 {v:.0f} 个", "Family in {v:.0f} countries or regions"),
    "forward_citations": ("被引 {v:.0f} 次", "Cited {v:.0f} times"),
    "claims_count": ("权利要求 {v:.0f} 项", "{v:.0f} claims"),
    "ipc_subclasses": ("IPC小类 {v:.0f} 个", "{v:.0f} IPC subclasses"),
    "tech_cycle_growth": ("{subclass} 近{years}年申请 {recent} 件，前{years}年 {previous} 件（增长比 {v:.2f}）",
                          "{subclass}: {recent} filings in the last {years} years, {previous} in the {years} before "
                          "(growth ratio {v:.2f})"),
    "sei": ("战略性新兴产业 {yes_zh}", "Strategic emerging industry: {yes_en}"),
    "transfers": ("转让 {v:.0f} 次", "Transferred {v:.0f} times"),
    "licences": ("许可 {v:.0f} 次", "Licensed {v:.0f} times"),
    "pledges": ("质押 {v:.0f} 次", "Pledged {v:.0f} times"),
    "pledged_yuan": ("质押金额 {wan:,.1f} 万元", "Pledged CNY {v:,.0f}"),
    "awards": ("获奖 {v:.0f} 项", "{v:.0f} awards"),
    "family_size": ("同族专利 {v:.0f} 件", "{v:.0f} family members"),
    "applicant_type": ("申请人类型 {atype}", "Applicant type {atype}"),
    "applicant_size": ("申请人在库专利 {v:.0f} 件", "Applicant holds {v:.0f} applications in the warehouse"),
}


def _numeric(df: pd.DataFrame, key: str, settings: ValueSettings) -> pd.Series:
    """An indicator as a number (the ranked quantity before its direction)."""
    if key == "sei":
        return df["sei"].astype(float)
    if key == "applicant_type":
        types = settings.applicant_types
        return df["applicant_type"].map(lambda t: types.get(t, types.get("other", 0.5))).astype(float)
    return pd.to_numeric(df[key], errors="coerce").astype(float)


def normalise(df: pd.DataFrame, settings: ValueSettings) -> pd.DataFrame:
    """Adds cohort_basis, cohort_size and n_<indicator> (0-100 mid-rank percentiles within the cohort).

    Mid-rank percentile of a value v in a cohort of n known values: (number below v + half the number equal to
    v) / n × 100 — pandas' average rank r gives it as (r − 0.5) / n.  Ties share one score; a cohort where all
    are equal scores everyone 50; the direction −1 ranks the negated value.  An unknown input scores 50."""
    df = df.copy()
    if df.empty:
        for col in ("cohort_basis", "cohort_size", *[f"n_{i.key}" for i in settings.indicators]):
            df[col] = pd.Series(dtype=object)
        return df
    sizes = {b: df.groupby(list(keys))["app_no"].transform("size") for b, keys in BASES.items()}
    enough = [sizes[b] >= settings.min_cohort for b in ("field_year", "field", "year")]
    df["cohort_basis"] = np.select(enough, ["field_year", "field", "year"], "all")
    df["cohort_size"] = np.select(enough, [sizes["field_year"], sizes["field"], sizes["year"]],
                                  sizes["all"]).astype(int)
    basis = df["cohort_basis"].to_numpy()
    for ind in settings.indicators:
        value = _numeric(df, ind.key, settings) * ind.direction
        choices = []
        for keys in BASES.values():
            grouped = value.groupby([df[k] for k in keys])
            rank, known = grouped.rank(method="average"), grouped.transform("count")
            choices.append(((rank - 0.5) / known * 100.0).to_numpy())
        chosen = np.select([basis == b for b in BASES], choices, np.nan)
        df[f"n_{ind.key}"] = np.where(np.isnan(chosen), NEUTRAL, chosen)
    return df


SCENARIO_COLUMNS = (*DIMENSIONS, "score", "grade")


def score_frame(df: pd.DataFrame, settings: ValueSettings, scenario: str) -> pd.DataFrame:
    """Adds legal, technical, economic, score and grade for a scenario to a normalised frame.  The grade is by
    rank within the frame given, so give it every patent scored on the day (`value_frame` does)."""
    s = settings.scenarios[scenario]
    df = df.copy()
    total = pd.Series(0.0, index=df.index)
    for dim in DIMENSIONS:
        part = pd.Series(0.0, index=df.index)
        for ind in settings.of_dimension(dim):
            part = part + s.indicators[dim][ind.key] * df[f"n_{ind.key}"]
        df[dim] = part
        total = total + s.dimensions[dim] * part
    df["score"] = total
    # The grade is by rank among every patent scored on the day (ties share the better rank).
    top_share = total.round(6).rank(ascending=False, method="min") / max(len(total), 1)
    df["grade"] = [settings.grade(v) for v in top_share]
    return df


def normalised_frame(con: ibis.BaseBackend, as_of: date, as_known_on: date | None = None,
                     settings: ValueSettings | None = None) -> pd.DataFrame:
    """Every scored application's features, cohort and normalised indicators (one query, one fetch)."""
    settings = settings or value_settings()
    df = value_features(con, as_of, as_known_on=as_known_on, settings=settings).to_pandas()
    return normalise(df, settings)


def value_frame(con: ibis.BaseBackend, as_of: date, as_known_on: date | None = None,
                settings: ValueSettings | None = None) -> pd.DataFrame:
    """Every patent scored on the day, normalised, with each scenario's dimensions, score and grade as
    ``<scenario>_<column>`` (``pledge_score``, ``management_grade``, ...): grades ranked among all of them, so a
    list or a breakdown cut from this frame grades a patent as the warehouse-wide list does."""
    settings = settings or value_settings()
    df = normalised_frame(con, as_of, as_known_on, settings)
    for scenario in SCENARIOS:
        scored = score_frame(df[[f"n_{i.key}" for i in settings.indicators]], settings, scenario)
        for col in SCENARIO_COLUMNS:
            df[f"{scenario}_{col}"] = scored[col]
    return df


def _scenario_view(df: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """The frame with one scenario's columns under their plain names (legal, ..., score, grade)."""
    return df.assign(**{col: df[f"{scenario}_{col}"] for col in SCENARIO_COLUMNS})


def check_scenario(scenario: str) -> str:
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}: one of {', '.join(SCENARIOS)}")
    return scenario


def _in_region(df: pd.DataFrame, region: str | None) -> pd.DataFrame:
    from hvpatent.indicators.base import ALL_APPLICANTS

    if not region or region == ALL_APPLICANTS:
        return df
    if region == "domestic":
        return df[df["province_code"].notna() & ~df["province_code"].isin(HK_MACAO_TAIWAN)]
    return df[df[region_column(region)] == region]


def _clean(value: object) -> object:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def _column(df: pd.DataFrame, name: str) -> list:
    """A column as plain Python values (NaN as None, timestamps as dates), fetched once for all rows."""
    values = df[name]
    if pd.api.types.is_datetime64_any_dtype(values):
        return [None if pd.isna(v) else v.date() for v in values]
    return [None if isinstance(v, float) and v != v else v for v in values.astype(object).tolist()]


def _rows(df: pd.DataFrame, settings: ValueSettings, scenario: str) -> list[dict]:
    """The rows as dicts, built column by column (a 30,000-patent district in about a second)."""
    s = settings.scenarios[scenario]
    n = len(df)
    cols = {c: _column(df, c) for c in ("app_no", "title", "patent_type", "state", "filing_date", "filing_year",
                                        "field", "cohort_size", "cohort_basis", "applicant_name", "applicant",
                                        "town_code", "score", "grade", "high_value", *DIMENSIONS)}
    parts_of = []
    for ind in settings.indicators:
        weight = round(s.weight(ind.dimension, ind.key), 6)
        normalised = df[f"n_{ind.key}"].to_numpy(dtype=float)
        parts_of.append((ind, weight, _column(df, "state" if ind.key == "in_force" else ind.key),
                         np.round(normalised, 4).tolist(), np.round(weight * normalised, 4).tolist()))
    names = {f: (field_name(f), field_name(f, "en")) for f in set(cols["field"])}
    rows = []
    for k in range(n):
        field = int(cols["field"][k])
        rows.append({
            "app_no": cols["app_no"][k], "title": cols["title"][k], "patent_type": cols["patent_type"][k],
            "state": cols["state"][k], "filing_date": cols["filing_date"][k],
            "filing_year": int(cols["filing_year"][k]), "field": field, "field_name": names[field][0],
            "field_name_en": names[field][1], "cohort_size": int(cols["cohort_size"][k]),
            "cohort_basis": cols["cohort_basis"][k], "applicant_name": cols["applicant_name"][k],
            "applicant_norm": cols["applicant"][k], "town_code": cols["town_code"][k], "scenario": scenario,
            "score": round(float(cols["score"][k]), 2), "grade": cols["grade"][k],
            **{d: round(float(cols[d][k]), 2) for d in DIMENSIONS},
            "high_value": bool(cols["high_value"][k]),
            "parts": [{"dimension": ind.dimension, "indicator": ind.key, "raw": raw[k], "normalised": norm[k],
                       "weight": weight, "contribution": contrib[k]}
                      for ind, weight, raw, norm, contrib in parts_of],
        })
    return rows


def value_scores(con: ibis.BaseBackend, as_of: date, scenario: str = "management", region: str | None = None,
                 enterprise: str | None = None, app_nos: list[str] | tuple[str, ...] | None = None,
                 as_known_on: date | None = None, settings: ValueSettings | None = None,
                 frame: pd.DataFrame | None = None) -> list[dict]:
    """One dict per scored application (docs/value.md), best score first.  Cohorts and grades are always the
    whole warehouse's; region, enterprise and app_nos only choose which rows come back.  ``frame``: the day's
    `value_frame` (same as_of, as_known_on and settings), when the caller keeps one."""
    check_scenario(scenario)
    settings = settings or value_settings()
    df = frame if frame is not None else value_frame(con, as_of, as_known_on, settings)
    df = _in_region(df, region)
    if enterprise:
        owned = applications_of(con, enterprise).to_pyarrow().column("app_no").to_pylist()
        df = df[df["app_no"].isin(owned)]
    if app_nos is not None:
        df = df[df["app_no"].isin(list(app_nos))]
    df = _scenario_view(df, scenario).sort_values(["score", "app_no"], ascending=[False, True])
    return _rows(df, settings, scenario)


def input_text(key: str, r: dict, lang: str, settings: ValueSettings) -> str:
    """A raw input as a reader sees it, e.g. '剩余保护期 12.4 年'."""
    zh, en = INPUT_TEXT[key]
    template = zh if lang == "zh" else en
    v = r.get(key)
    if key == "claims_count" and (v is None or (isinstance(v, float) and np.isnan(v))):
        return "权利要求数 未知" if lang == "zh" else "Claims unknown"
    values = {"v": float(v) if isinstance(v, int | float | np.number) and not isinstance(v, bool) else 0.0,
              "state": _state_label(r.get("state"), lang), "subclass": r.get("subclass") or "—",
              "years": settings.tech_cycle_years, "recent": r.get("recent_filings", 0),
              "previous": r.get("previous_filings", 0), "yes_zh": "是" if r.get("sei") else "否",
              "yes_en": "yes" if r.get("sei") else "no", "wan": float(r.get("pledged_yuan") or 0) / 10_000,
              "atype": _type_label(r.get("applicant_type"), lang)}
    return template.format(**values)


def _type_label(kind: str | None, lang: str) -> str:
    labels = {"enterprise": ("企业", "enterprise"), "university": ("大专院校", "university"),
              "institute": ("科研单位", "research institute"), "government": ("机关团体", "government body"),
              "individual": ("个人", "individual"), "other": ("其他", "other")}
    zh, en = labels.get(kind or "", (kind or "—", kind or "—"))
    return zh if lang == "zh" else en


def _state_label(state: str | None, lang: str) -> str:
    labels = {"pending": ("审中", "pending"), "valid": ("有效", "valid"), "grace": ("宽限期", "grace period"),
              "restorable": ("可恢复", "restorable"), "lapsed": ("未缴年费终止", "lapsed"),
              "expired": ("届满", "expired"), "invalidated": ("全部无效", "invalidated"),
              "withdrawn": ("撤回", "withdrawn"), "rejected": ("驳回", "rejected"),
              "surrendered": ("放弃", "surrendered"), "ended": ("失效", "ended")}
    zh, en = labels.get(state or "", (state or "—", state or "—"))
    return zh if lang == "zh" else en


def value_of(con: ibis.BaseBackend, app_no: str, as_of: date, as_known_on: date | None = None,
             settings: ValueSettings | None = None, frame: pd.DataFrame | None = None) -> dict | None:
    """The breakdown of one application under every scenario (grades as in the warehouse-wide list); None when
    it is not in the warehouse or not scored (a design, or filed after the day).  ``frame``: the day's
    `value_frame`, when the caller keeps one."""
    settings = settings or value_settings()
    df = frame if frame is not None else value_frame(con, as_of, as_known_on, settings)
    mine = df[df["app_no"] == app_no]
    if mine.empty:
        return None
    r = {k: _clean(v) for k, v in mine.iloc[0].to_dict().items()}
    scenarios = {}
    for key in SCENARIOS:
        scored = _scenario_view(mine, key).iloc[0]
        s = settings.scenarios[key]
        dims = []
        for dim in DIMENSIONS:
            zh, en = settings.dimension_labels[dim]
            inds = [{"key": i.key, "label_zh": i.label_zh, "label_en": i.label_en,
                     "raw": r["state"] if i.key == "in_force" else r.get(i.key),
                     "input": input_text(i.key, r, "zh", settings), "input_en": input_text(i.key, r, "en", settings),
                     "normalised": round(float(r[f"n_{i.key}"]), 2), "weight": round(s.indicators[dim][i.key], 6),
                     "overall_weight": round(s.weight(dim, i.key), 6),
                     "contribution": round(s.weight(dim, i.key) * float(r[f"n_{i.key}"]), 2)}
                    for i in settings.of_dimension(dim)]
            dims.append({"key": dim, "label_zh": zh, "label_en": en, "score": round(float(scored[dim]), 2),
                         "weight": s.dimensions[dim], "indicators": inds})
        scenarios[key] = {"label_zh": s.label_zh, "label_en": s.label_en, "score": round(float(scored["score"]), 2),
                          "grade": scored["grade"], "dimensions": dims}
    criteria = _criteria(con, app_no, as_of, as_known_on) if r["high_value"] else []
    field = int(r["field"])
    return {"app_no": app_no, "title": r["title"], "patent_type": r["patent_type"], "state": r["state"],
            "as_of": as_of, "as_known_on": as_known_on or as_of, "standard": settings.standard,
            "applicant_name": r["applicant_name"], "applicant_norm": r["applicant"],
            "cohort": {"field": field, "field_name": field_name(field), "field_name_en": field_name(field, "en"),
                       "filing_year": int(r["filing_year"]), "size": int(r["cohort_size"]),
                       "basis": r["cohort_basis"], "basis_label": BASIS_LABELS[r["cohort_basis"]][0],
                       "basis_label_en": BASIS_LABELS[r["cohort_basis"]][1]},
            "high_value": bool(r["high_value"]), "criteria": criteria, "scenarios": scenarios}


def _criteria(con: ibis.BaseBackend, app_no: str, as_of: date, as_known_on: date | None) -> list[dict]:
    from hvpatent.indicators.highvalue import criteria_evidence
    from hvpatent.legal import legal_state

    apps = con.table("applications")
    one = apps.filter(apps.app_no == app_no)
    states = legal_state(con, as_of, applications=one, as_known_on=as_known_on, annuity=False)
    rows = criteria_evidence(con, states, as_of).to_pyarrow().to_pylist()
    return sorted(({"criterion": r["criterion"], "evidence": r["evidence"]} for r in rows),
                  key=lambda c: (c["criterion"], c["evidence"]))
