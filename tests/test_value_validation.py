"""Out-of-time validation of the value score (value/validation.py): outcomes at their window boundaries, AUC plumbing.

The tiny world: t = 2019-06-30, horizon 5 years, so the window is (2019-06-30, 2024-06-30]. Each outcome has one
patent per boundary: on t (outside), t + 1 day (inside), t + h (inside), t + h + 1 day (outside). Unless a case
says otherwise a patent is an invention filed 2012-03-01, granted 2014-05-01 and never lapsed: in force on t and on
t + h (term end 2032-03-01), nothing else happens to it.
"""

from __future__ import annotations

from datetime import date

import ibis
import pytest

from hvpatent.ingest.appno import check_digit
from hvpatent.model import Batch
from hvpatent.value.validation import BASELINES, OUTCOMES, auc_table, horizon_end, outcomes, validate
from hvpatent.warehouse.store import Warehouse

T = date(2019, 6, 30)
END = date(2024, 6, 30)          # t + 5 years
NEXT, AFTER = date(2019, 7, 1), date(2024, 7, 1)   # t + 1 day, t + h + 1 day
FILED, GRANTED = date(2012, 3, 1), date(2014, 5, 1)

_serial = iter(range(1, 1000))


def _no(year: int = 2012, digit: str = "1") -> str:
    digits = f"{year}{digit}{next(_serial):07d}"
    return f"{digits}.{check_digit(digits)}"


# name -> (filing date, patent type, events after filing, family id)
CASES: dict[str, tuple] = {
    # transacted
    "transfer_on_t": (FILED, "invention", [(T, "transfer")], None),
    "transfer_next": (FILED, "invention", [(NEXT, "transfer")], None),
    "licence_on_end": (FILED, "invention", [(END, "licence")], None),
    "transfer_after": (FILED, "invention", [(AFTER, "transfer")], None),
    "pledge_event_on_end": (FILED, "invention", [(END, "pledge_registered")], None),
    "pledge_on_t": (FILED, "invention", [], None),       # pledges row registered on t
    "pledge_next": (FILED, "invention", [], None),       # ... on t + 1 day
    "pledge_after": (FILED, "invention", [], None),      # ... on t + h + 1 day
    # awarded (years: t.year = 2019, (t + h).year = 2024)
    "award_2019": (FILED, "invention", [], None),
    "award_2020": (FILED, "invention", [], None),
    "award_2024": (FILED, "invention", [], None),
    "award_2025": (FILED, "invention", [], None),
    "award_local": (FILED, "invention", [], None),       # 重庆市专利奖 2021: not a counted award
    # family abroad
    "abroad_on_t": (FILED, "invention", [], "F_ON_T"),
    "abroad_next": (FILED, "invention", [], "F_NEXT"),
    "abroad_on_end": (FILED, "invention", [], "F_END"),
    "abroad_after": (FILED, "invention", [], "F_AFTER"),
    "abroad_undated": (FILED, "invention", [], "F_UNDATED"),
    "domestic_only": (FILED, "invention", [], "F_CN"),
    # maintained
    # due 2023-12-30 (13th anniversary), grace ends 2024-06-30 = t + h: still in grace (in force) on t + h
    "grace_ends_on_end": (date(2010, 12, 30), "invention", [(date(2024, 8, 15), "annuity_lapse")], None),
    # due 2023-12-29, grace ends 2024-06-29: restorable on t + h
    "grace_ends_before_end": (date(2010, 12, 29), "invention", [(date(2024, 8, 15), "annuity_lapse")], None),
    # due 2018-12-01, grace ended 2019-06-01, announced 2019-07-15: with hindsight restorable on t, but as known
    # on t in force, so it is in the population (and not maintained)
    "lapse_announced_after_t": (date(2011, 12, 1), "invention", [(date(2019, 7, 15), "annuity_lapse")], None),
    # the same lapse announced on t: known on t, restorable on t (deadline 2019-08-02): not in the population
    "lapse_announced_on_t": (date(2011, 12, 1), "invention", [(T, "annuity_lapse")], None),
    # term ends 2024-06-30 = t + h (expired that day): not at risk
    "term_ends_on_end": (date(2004, 6, 30), "invention", [], None),
    # term ends 2024-07-01: in force on t + h
    "term_ends_after_end": (date(2004, 7, 1), "invention", [], None),
    # not in the population
    "pending_on_t": (date(2018, 1, 1), "invention", [(date(2020, 1, 1), "granted")], None),
    "utility_model": (date(2015, 1, 1), "utility_model", [], None),
    "filed_after_t": (NEXT, "invention", [], None),
}
LAPSE_DUE = {"grace_ends_on_end": date(2023, 12, 30), "grace_ends_before_end": date(2023, 12, 29),
             "lapse_announced_after_t": date(2018, 12, 1), "lapse_announced_on_t": date(2018, 12, 1)}
NUMBERS = {name: _no(filed.year, "2" if ptype == "utility_model" else "1")
           for name, (filed, ptype, _, _) in CASES.items()}


def _events(name: str) -> list[dict]:
    filed, ptype, later, _ = CASES[name]
    granted = (None if name in ("pending_on_t", "filed_after_t") else date(2016, 1, 1) if ptype == "utility_model"
               else date(2008, 1, 1) if filed.year == 2004 else GRANTED)
    rows = [(filed, "filed"), *([(granted, "granted")] if granted else []), *later]
    return [{"app_no": NUMBERS[name], "event_date": d, "event_type": e, "raw_text": e,
             "effective_date": LAPSE_DUE.get(name) if e == "annuity_lapse" else None} for d, e in rows]


def build(wh: Warehouse, cutoff: date | None = None) -> None:
    """The world as exported today, or (``cutoff``) as an export made on that day would have held it: nothing
    filed, registered, published or granted after it (a family member granted later is still pending)."""
    def known(day: date | None) -> bool:
        return cutoff is None or day is None or day <= cutoff

    cases = {n: c for n, c in CASES.items() if known(c[0])}
    batch = Batch()
    batch.set("applications", [{"app_no": NUMBERS[n], "patent_type": p, "filing_date": f, "title": n,
                                "family_id": fam, "claims_count": 5, "source": "test"}
                               for n, (f, p, _, fam) in cases.items()])
    batch.set("legal_events", [row for name in cases for row in _events(name) if known(row["event_date"])])
    members = [("F_ON_T", "US", T), ("F_NEXT", "EP", NEXT), ("F_END", "JP", END), ("F_AFTER", "US", AFTER),
               ("F_UNDATED", "US", None), ("F_CN", "CN", NEXT)]
    rows = [{"family_id": f, "office": o, "member_no": f"{o}-{f}-B", "granted": known(d),
             "grant_date": d if known(d) else None} for f, o, d in members]
    rows.append({"family_id": "F_CN", "office": "US", "member_no": "US-F_CN-A1", "granted": False,
                 "grant_date": None})
    batch.set("family_members", rows)
    with wh.import_transaction("world", "world", "test", "fixture") as tx:
        tx.add(batch, len(cases))
    records = Batch()
    records.set("pledges", [{"contract_no": f"P-{name}", "app_no": NUMBERS[name], "amount_yuan": 1_000_000,
                             "registered_date": day}
                            for name, day in (("pledge_on_t", T), ("pledge_next", NEXT), ("pledge_after", AFTER))
                            if known(day)])
    records.set("awards", [{"app_no": NUMBERS[name], "award": award, "grade": "优秀奖", "year": year}
                           for name, award, year in (("award_2019", "中国专利奖", 2019),
                                                     ("award_2020", "中国专利奖", 2020),
                                                     ("award_2024", "国家科学技术进步奖", 2024),
                                                     ("award_2025", "中国专利奖", 2025),
                                                     ("award_local", "重庆市专利奖", 2021))
                           if cutoff is None or year <= cutoff.year])
    with wh.import_transaction("records", "records", "test", "fixture") as tx:
        tx.add(records, 0)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("value-validation") / "v.duckdb")
    build(wh)
    yield wh
    wh.close()


@pytest.fixture(scope="module")
def facts(world) -> dict[str, dict]:
    by_no = {no: name for name, no in NUMBERS.items()}
    return {by_no[r["app_no"]]: r for r in outcomes(world.ibis(), T, 5).to_pyarrow().to_pylist()}


def test_horizon_end():
    assert horizon_end(T, 5) == END
    assert horizon_end(date(2016, 2, 29), 5) == date(2021, 2, 28)
    with pytest.raises(ValueError, match="horizon_years"):
        horizon_end(T, 0)


def test_population_is_inventions_in_force_as_known_on_t(facts):
    left_out = {"lapse_announced_on_t", "pending_on_t", "utility_model", "filed_after_t"}
    assert set(facts) == set(CASES) - left_out
    assert facts["transfer_next"]["end"] == END


def test_transacted_window_boundaries(facts):
    expected = {"transfer_on_t": False, "transfer_next": True, "licence_on_end": True, "transfer_after": False,
                "pledge_event_on_end": True, "pledge_on_t": False, "pledge_next": True, "pledge_after": False}
    assert {n: facts[n]["transacted"] for n in expected} == expected
    # nobody else transacted
    assert sum(r["transacted"] for r in facts.values()) == 4


def test_awarded_by_year(facts):
    expected = {"award_2019": False, "award_2020": True, "award_2024": True, "award_2025": False,
                "award_local": False}
    assert {n: facts[n]["awarded"] for n in expected} == expected
    assert sum(r["awarded"] for r in facts.values()) == 2


def test_family_abroad_granted_window_and_unknowns(facts):
    expected = {"abroad_on_t": None,        # granted on t: not at risk
                "abroad_next": True, "abroad_on_end": True,
                "abroad_after": False,      # granted after the window
                "abroad_undated": None,     # granted, date unknown: could be before t
                "domestic_only": False,     # a CN grant in the window is not abroad; the US member is pending
                "transfer_next": False}     # no family
    assert {n: facts[n]["family_abroad_granted"] for n in expected} == expected


def test_maintained_boundaries(facts):
    expected = {"grace_ends_on_end": True,          # in grace on t + h: in force
                "grace_ends_before_end": False,     # restorable on t + h
                "lapse_announced_after_t": False,   # in force as known on t, lapsed with hindsight
                "term_ends_on_end": None,           # expired on t + h whatever the owner does: not at risk
                "term_ends_after_end": True,
                "transfer_next": True}
    assert {n: facts[n]["maintained"] for n in expected} == expected


def test_outcomes_with_the_stored_timelines_too(tmp_path):
    """The hindsight state on t + h may come from the stored timelines: same outcomes."""
    from hvpatent.indicators import refresh_derived
    from hvpatent.legal.timeline import timeline_ready
    from hvpatent.reference.fees import default_rules

    with Warehouse(tmp_path / "t.duckdb") as wh:
        build(wh)
        before = sorted(outcomes(wh.ibis(), T, 5).to_pyarrow().to_pylist(), key=lambda r: r["app_no"])
        refresh_derived(wh)
        assert timeline_ready(wh.ibis(), default_rules())
        after = sorted(outcomes(wh.ibis(), T, 5).to_pyarrow().to_pylist(), key=lambda r: r["app_no"])
    assert before == after


def _rows(labels: list[bool | None], scores: list[float | None], claims: list[int | None]) -> list[dict]:
    return [{"transacted": y, "score": s, "legal": s, "technical": 100 - s if s is not None else None,
             "economic": 50.0, "claims_count": c, "maintained": None, "awarded": False,
             "family_abroad_granted": None} for y, s, c in zip(labels, scores, claims, strict=True)]


def test_auc_table_hand_worked():
    rows = _rows([True, False, True, False, None, True], [90, 80, 70, 10, 99, None], [5, 5, 1, 9, 1, 1])
    table = {r["outcome"]: r for r in auc_table(rows)}
    assert list(table) == list(OUTCOMES)
    t = table["transacted"]
    # the None outcome is left out (not at risk), the None score too: 4 patents, 2 positives.
    # score: positives {90, 70}, negatives {80, 10}: 90>80, 90>10, 70<80, 70>10 -> 3 of 4 pairs = 0.75
    assert (t["n"], t["positives"], t["auc"]) == (4, 2, 0.75)
    # claims: positives {5, 1}, negatives {5, 9}: 5=5 half, 5<9, 1<5, 1<9 -> 0.5 of 4 = 0.125
    assert t["baseline_feature"] == "claims_count" and t["baseline_auc"] == 0.125
    # technical = 100 - score reverses every pair: 1 - 0.75; economic is constant: 0.5
    assert t["dimension_auc"] == {"legal": 0.75, "technical": 0.25, "economic": 0.5}
    assert t["note"] == "1 without a score left out; fewer than 10 in one class: AUC unreliable"
    # Hanley-McNeil: A = 0.75, 2 positives, 2 negatives; Q1 = 0.75/1.25 = 0.6, Q2 = 2(0.5625)/1.75 = 0.642857;
    # var = (0.75(0.25) + 1(0.6 - 0.5625) + 1(0.642857 - 0.5625)) / 4 = 0.305357 / 4 = 0.076339; se = 0.276295
    assert t["auc_se"] == pytest.approx(0.276295, abs=1e-6)
    # one class only: no AUC and a note, not an exception
    a = table["awarded"]
    assert (a["n"], a["positives"], a["auc"], a["baseline_auc"]) == (5, 0, None, None)
    assert "one class only" in a["note"]
    m = table["maintained"]
    assert (m["n"], m["auc"]) == (0, None) and "no scored patent at risk" in m["note"]


def test_auc_table_missing_baseline_counts_as_zero():
    # claims None -> 0: positives {0, 3}, negatives {2}: 0<2, 3>2 -> 0.5
    t = {r["outcome"]: r for r in auc_table(_rows([True, False, True], [10, 20, 30], [None, 2, 3]))}["transacted"]
    assert (t["baseline_auc"], t["baseline_missing"]) == (0.5, 1)
    assert "1 without claims_count counted as 0" in t["note"]


def test_baselines_are_raw_features():
    assert BASELINES == {"maintained": "years_maintained", "transacted": "claims_count", "awarded": "claims_count",
                         "family_abroad_granted": "family_size"}


def test_validate_plumbing_with_a_stand_in_score(world, facts, monkeypatch):
    """Until the value room's scores are used: validate() joins outcomes to whatever value_scores/value_features
    give, as known on t. The stand-in scores the transacted patents highest."""
    seen = {}

    def scores(con, as_of, scenario="management", region=None, enterprise=None, app_nos=None, as_known_on=None):
        seen["scores"] = (as_of, scenario, as_known_on)
        return [{"app_no": r["app_no"], "score": 90.0 if r["transacted"] else 10.0, "legal": 50.0,
                 "technical": 50.0, "economic": 50.0} for r in facts.values()]

    def features(con, as_of, apps=None, as_known_on=None):
        seen["features"] = (as_of, as_known_on)
        return ibis.memtable({"app_no": [r["app_no"] for r in facts.values()],
                              "claims_count": [5] * len(facts), "years_maintained": [5] * len(facts),
                              "family_size": [0] * len(facts)})

    import hvpatent.value as door

    monkeypatch.setattr(door, "value_scores", scores, raising=False)
    monkeypatch.setattr(door, "value_features", features, raising=False)
    table = {r["outcome"]: r for r in validate(world.ibis(), T, 5, "pledge")}
    assert seen == {"scores": (T, "pledge", T), "features": (T, T)}
    t = table["transacted"]
    assert (t["n"], t["positives"], t["auc"], t["baseline_auc"]) == (len(facts), 4, 1.0, 0.5)
    assert (t["t"], t["end"], t["scenario"]) == (T, END, "pledge")
    # maintained: the population less the one not at risk (term ends on t + h)
    assert table["maintained"]["n"] == len(facts) - 1
    assert table["maintained"]["positives"] == sum(bool(r["maintained"]) for r in facts.values())
    # the latest legal event (2024-08-15) is after the window's end: not censored
    assert table["awarded"]["note"] == "fewer than 10 in one class: AUC unreliable"


def test_validate_notes_a_censored_window(world, facts, monkeypatch):
    """t + h after the latest legal event (2024-08-15): every outcome says its window is censored."""
    import hvpatent.value as door

    monkeypatch.setattr(door, "value_scores", lambda con, as_of, scenario="management", **kw: [], raising=False)
    monkeypatch.setattr(door, "value_features", lambda con, as_of, apps=None, as_known_on=None: ibis.memtable(
        {"app_no": ["none"], "claims_count": [1]}), raising=False)
    table = validate(world.ibis(), date(2020, 1, 1), 5)
    # no scores at all: every patent at risk is left out, so n = 0
    assert {r["n"] for r in table} == {0}
    assert all("window ends 2025-01-01, after the latest legal event (2024-08-15)" in r["note"] for r in table)


def test_scores_on_t_do_not_see_the_window(world, tmp_path):
    """Out of time: the scores validate() uses (as known on t) are those of an export made on t, which holds
    nothing dated after t. If they differed, the window's outcomes would leak into the score."""
    from hvpatent.value import value_scores

    keys = ("app_no", "score", "grade", "legal", "technical", "economic", "state", "cohort_basis")
    with Warehouse(tmp_path / "then.duckdb") as then:
        build(then, cutoff=T)
        expected = [{k: r[k] for k in keys} for r in value_scores(then.ibis(), T, "management")]
    got = [{k: r[k] for k in keys} for r in value_scores(world.ibis(), T, "management", as_known_on=T)]
    assert len(got) == len(CASES) - 1  # every case but the one filed after t (the utility model included)
    assert sorted(got, key=lambda r: r["app_no"]) == sorted(expected, key=lambda r: r["app_no"])


def test_validate_with_the_value_scores(world, facts):
    """The real scores: n and positives are the outcomes' own counts (every patent in force is scored)."""
    table = {r["outcome"]: r for r in validate(world.ibis(), T, 5)}
    for outcome in OUTCOMES:
        known = [r[outcome] for r in facts.values() if r[outcome] is not None]
        assert (table[outcome]["n"], table[outcome]["positives"]) == (len(known), sum(known)), outcome
        assert 0 <= table[outcome]["auc"] <= 1 and 0 <= table[outcome]["baseline_auc"] <= 1
        assert set(table[outcome]["dimension_auc"]) == {"legal", "technical", "economic"}


def test_validate_refuses_a_wrong_scenario_or_horizon_at_once(world):
    with pytest.raises(ValueError, match="unknown scenario 'loan'"):
        validate(world.ibis(), T, 5, "loan")
    with pytest.raises(ValueError, match="horizon_years must be at least 1, not 0"):
        validate(world.ibis(), T, 0)
