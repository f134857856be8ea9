"""The value room on a hand-built tiny world: raw features and cohort percentiles worked by hand, features
strictly as known on the day (the day before, the day itself, the day after), the cohort fallback at the
minimum size, the configuration's checks, and `hvp value`."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from hvpatent.ingest.appno import check_digit
from hvpatent.ingest.fields import normalize_name
from hvpatent.model import Batch
from hvpatent.value import SCENARIOS, ValueConfigError, field_of_ipc, value_features, value_of, value_scores
from hvpatent.value.settings import config_path, parse
from hvpatent.warehouse.store import Warehouse

D = date(2024, 6, 30)  # the day the late facts happen (a citation published, a transfer, a pledge, a grant)
BEFORE, AFTER = D - timedelta(days=1), D + timedelta(days=1)
FIRM, OTHER, THIRD = "重庆测价科技有限公司", "重庆另一家有限公司", "重庆第三家有限公司"
IMPORTED = date(2025, 3, 1)  # the day of the latest import (imports.imported_at set to it in the fixture)
ADDR = "重庆市永川区胜利路街道人民大道1号"


def no(serial: int, year: int, type_digit: str = "1") -> str:
    digits = f"{year}{type_digit}{serial:07d}"
    return f"{digits}.{check_digit(digits)}"


# P1-P3: computer technology (G06N, field 6) filed 2016; P4: food chemistry (A23L, field 18) filed 2016;
# P5: field 6 filed 2018; C: a design (not scored) whose publication on D cites P1; U: a utility model in field 6
# (G06F) filed 2016 with the most claims, which no invention's cohort may hold.
P1, P2, P3, P4, P5 = no(1, 2016), no(2, 2016), no(3, 2016), no(4, 2016), no(5, 2018)
C = no(6, 2023, "3")
U = no(7, 2016, "2")
APPS = [  # app_no, type, filed, ipc, claims, applicant, granted on, family
    (P1, "invention", date(2016, 3, 1), "G06N3/08", 10, FIRM, date(2018, 5, 2), None),
    (P2, "invention", date(2016, 4, 1), "G06N20/00", 20, FIRM, date(2018, 6, 1), "F2"),
    (P3, "invention", date(2016, 5, 1), "G06N5/02", 20, OTHER, date(2018, 7, 1), None),
    (P4, "invention", date(2016, 6, 1), "A23L7/10", 8, OTHER, date(2018, 8, 1), None),
    (P5, "invention", date(2018, 1, 10), "G06N3/04", 5, FIRM, None, None),
    (C, "design", date(2023, 12, 1), None, None, OTHER, date(2024, 6, 30), None),
    (U, "utility_model", date(2016, 7, 1), "G06F3/01", 50, THIRD, date(2017, 1, 5), None),
]


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("value") / "value.duckdb")
    batch = Batch()
    batch.set("applications", [{"app_no": a, "patent_type": t, "filing_date": f, "title": f"价值{i}",
                                "ipc_main": ipc, "claims_count": claims, "family_id": fam, "source": "test"}
                               for i, (a, t, f, ipc, claims, _, _, fam) in enumerate(APPS, 1)])
    batch.set("parties", [{"app_no": a, "seq": 1, "role": "applicant", "name": who, "name_norm": normalize_name(who),
                           "party_type": "enterprise", "address": ADDR, "province_code": "500000",
                           "city_code": "500100", "county_code": "500118", "town_code": "500118002000"}
                          for a, _, _, _, _, who, _, _ in APPS])
    batch.set("ipc_classes", [{"app_no": a, "seq": 1, "ipc": ipc, "is_main": True}
                              for a, _, _, ipc, _, _, _, _ in APPS if ipc]
              + [{"app_no": P2, "seq": 2, "ipc": "G06F17/00", "is_main": False},
                 {"app_no": P2, "seq": 3, "ipc": "G06F16/00", "is_main": False}])
    events = [{"app_no": a, "event_date": f, "event_type": "filed", "raw_text": "filed"}
              for a, _, f, _, _, _, _, _ in APPS]
    events += [{"app_no": a, "event_date": g, "event_type": "granted", "raw_text": "授权"}
               for a, _, _, _, _, _, g, _ in APPS if g]
    events.append({"app_no": P2, "event_date": D, "event_type": "transfer", "raw_text": "专利权的转移"})
    batch.set("legal_events", events)
    batch.set("publications", [{"pub_no": "CN1000001A", "app_no": P1, "kind": "A", "pub_date": date(2017, 9, 1)},
                               {"pub_no": "CN1000001B", "app_no": P1, "kind": "B", "pub_date": date(2018, 5, 2)},
                               {"pub_no": "CN3000006S", "app_no": C, "kind": "S", "pub_date": D}])
    batch.set("family_members", [{"family_id": "F2", "office": "US", "member_no": "US-1-B2", "granted": True,
                                  "grant_date": D},
                                 {"family_id": "F2", "office": "WO", "member_no": "WO-1-A1", "granted": False,
                                  "grant_date": None}])
    with wh.import_transaction("value", "value", "test", "fixture") as tx:
        tx.add(batch, len(APPS))
    records = Batch()
    records.set("pledges", [{"contract_no": "Z1", "app_no": P3, "amount_yuan": 1_000_000, "registered_date": D}])
    records.set("citations", [{"citing_app_no": C, "cited_no": "CN1000001B", "cited_key": "CN1000001",
                               "source": "test"}])
    records.set("awards", [{"app_no": P4, "award": "中国专利奖", "grade": "优秀奖", "year": 2023}])
    with wh.import_transaction("records", "records", "test", "fixture") as tx:
        tx.add(records, 0)
    wh.con.execute("UPDATE imports SET imported_at = ?", [f"{IMPORTED} 09:30:00"])
    yield wh
    wh.close()


@pytest.fixture(scope="module")
def con(wh):
    return wh.ibis()


def features(con, as_of: date, as_known_on: date | None = None) -> dict[str, dict]:
    rows = value_features(con, as_of, as_known_on=as_known_on).to_pyarrow().to_pylist()
    return {r["app_no"]: r for r in rows}


_SCORED: dict[int, dict[str, dict]] = {}


def scored(con, minimum: int) -> dict[str, dict]:
    """value_scores on 2024-12-31 with the minimum cohort size given (computed once per size)."""
    if minimum not in _SCORED:
        rows = value_scores(con, date(2024, 12, 31), settings=settings_with(min_cohort=minimum))
        _SCORED[minimum] = {r["app_no"]: r for r in rows}
    return _SCORED[minimum]


def settings_with(**changes):
    data = yaml.safe_load(Path(config_path()).read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data.update(changes)
    return parse(data, "test.yaml")


def test_fields_by_the_longest_prefix():
    assert field_of_ipc("G06N3/08") == 6
    assert field_of_ipc("G01N 33/48") == 11 and field_of_ipc("G01N21/00") == 10   # main-group exception
    assert field_of_ipc("A61K8/02") == 14 and field_of_ipc("A61K31/00") == 16
    assert field_of_ipc(None) == 0 and field_of_ipc("Z99Z1/00") == 0


def test_raw_features_by_hand(con):
    f = features(con, date(2024, 12, 31))
    assert set(f) == {P1, P2, P3, P4, P5, U}       # the design is not scored
    p1, p2, p5 = f[P1], f[P2], f[P5]
    assert (p1["field"], p1["filing_year"], p1["state"], p5["state"]) == (6, 2016, "valid", "pending")
    # P1 filed 2016-03-01: term ends 2036-03-01; from 2024-12-31 that is 11 years 2 months (whole months) = 11.1667
    assert p1["remaining_years"] == pytest.approx(11 + 2 / 12)
    assert p1["years_maintained"] == 8               # 2016-03-01 … 2024-12-31, granted
    assert p1["forward_citations"] == 1              # C cites its B document (key CN1000001), published on D
    assert p2["ipc_subclasses"] == 2                 # G06N and G06F (twice)
    # F2: US-1-B2 granted on D counts; WO-1-A1 has no date and 2024-12-31 is before the latest import: not yet
    assert (p2["transfers"], p2["family_size"], p2["family_countries"], p2["family_granted_abroad"]) == (1, 1, 1, 1)
    assert (f[P3]["pledges"], f[P3]["pledged_yuan"]) == (1, 1_000_000)
    # FIRM applies for P1, P2, P5; all published (filing + 18 months) by 2024-12-31
    assert p1["applicant_size"] == 3 and f[P3]["applicant_size"] == 3  # OTHER: P3, P4, C (C published on D)
    # G06N filings known on 2024-12-31: none filed 2022-01-01 … 2024-12-31 (recent), P5 filed 2018-01-10 in the
    # 3 years before (2019-01-01 … 2021-12-31)? No: 2018 is before; so 0 and 0, ratio (0+1)/(0+1) = 1
    assert (p1["recent_filings"], p1["previous_filings"], p1["tech_cycle_growth"]) == (0, 0, 1.0)


def test_growth_of_the_subclass(con):
    f = features(con, date(2019, 12, 31))
    # on 2019-12-31 the 3 years back are 2017-01-01 … 2019-12-31: P5 (filed 2018-01-10, public 2019-07-10);
    # the 3 before are 2014-01-01 … 2016-12-31: P1, P2, P3 (G06N main); growth (1 + 1) / (3 + 1) = 0.5
    assert (f[P1]["recent_filings"], f[P1]["previous_filings"], f[P1]["tech_cycle_growth"]) == (1, 3, 0.5)


@pytest.mark.parametrize("day, counted", [(BEFORE, 0), (D, 1), (AFTER, 1)])
def test_late_facts_count_from_their_day(con, day, counted):
    """A citation published, a transfer, a pledge and a family grant on D: nothing the day before, counted on
    the day itself and after."""
    f = features(con, day)
    assert f[P1]["forward_citations"] == counted
    assert f[P2]["transfers"] == counted
    assert f[P2]["family_granted_abroad"] == counted
    assert (f[P3]["pledges"], f[P3]["pledged_yuan"]) == (counted, 1_000_000 * counted)


def test_as_known_on_reads_only_what_was_known(con):
    f = features(con, D, as_known_on=BEFORE)
    assert (f[P1]["forward_citations"], f[P2]["transfers"], f[P3]["pledges"]) == (0, 0, 0)


@pytest.mark.parametrize("day, size, countries", [(IMPORTED - timedelta(days=1), 1, 1), (IMPORTED, 2, 1),
                                                  (IMPORTED + timedelta(days=1), 2, 1)])
def test_undated_family_member_counts_from_the_latest_import(con, day, size, countries):
    """F2's WO-1-A1 has no date: it counts only in an assessment on or after the day of the latest import
    (2025-03-01); the dated US member (granted on D) counts on every one of these days.  WO is no country."""
    p2 = features(con, day)[P2]
    assert (p2["family_size"], p2["family_countries"], p2["family_granted_abroad"]) == (size, countries, 1)


def test_undated_family_member_not_in_a_back_dated_reading(con):
    """Today's day but read as known the day before the import: a back-dated assessment, WO-1-A1 left out."""
    assert features(con, IMPORTED + timedelta(days=1), as_known_on=IMPORTED - timedelta(days=1))[P2]["family_size"] == 1


@pytest.mark.parametrize("day, awards", [(date(2023, 12, 30), 0), (date(2023, 12, 31), 1), (date(2024, 1, 1), 1)])
def test_award_counts_from_the_last_day_of_its_year(con, day, awards):
    """P4's award of 2023 (dated by year only, announced in its course) counts from 2023-12-31."""
    assert features(con, day)[P4]["awards"] == awards


def test_cohort_percentiles_by_hand(con):
    rows = scored(con, 3)
    claims = {a: next(p for p in r["parts"] if p["indicator"] == "claims_count") for a, r in rows.items()}
    # field 6 × 2016 = {P1 10, P2 20, P3 20}: size 3 = min. Mid-rank percentile (below + ½ equal) / n:
    # P1 (0 + ½·1) / 3 = 16.667; P2, P3 (1 + ½·2) / 3 = 66.667
    assert rows[P1]["cohort_basis"] == "field_year" and rows[P1]["cohort_size"] == 3
    assert claims[P1]["normalised"] == pytest.approx(100 / 6, abs=1e-3)
    assert claims[P2]["normalised"] == claims[P3]["normalised"] == pytest.approx(200 / 3, abs=1e-3)
    # restorations (direction −1): all 0 in the cohort, so everyone is in the middle: 50
    assert next(p for p in rows[P1]["parts"] if p["indicator"] == "restorations")["normalised"] == 50
    # P4 alone in field 18 (1 < 3, field all years 1) → all of 2016 = {P1, P2, P3, P4}; claims 8 is lowest:
    # (0 + ½) / 4 = 12.5
    assert (rows[P4]["cohort_basis"], rows[P4]["cohort_size"]) == ("year", 4)
    assert claims[P4]["normalised"] == pytest.approx(12.5)
    # P5 alone in field 6 × 2018 → field 6 over all years = {P1, P2, P3, P5}: claims 5 lowest → 12.5
    assert (rows[P5]["cohort_basis"], rows[P5]["cohort_size"]) == ("field", 4)
    assert claims[P5]["normalised"] == pytest.approx(12.5)
    for r in rows.values():  # the score is its parts: Σ weight × normalised, dimensions the same way
        assert r["score"] == pytest.approx(sum(p["contribution"] for p in r["parts"]), abs=0.01)
        assert 0 <= r["score"] <= 100 and r["grade"] in "ABCD"


@pytest.mark.parametrize("minimum, basis, size", [(3, "field_year", 3), (4, "field", 4), (5, "all", 5)])
def test_cohort_falls_back_below_the_minimum(con, minimum, basis, size):
    """P1's field × year has 3 patents: at minimum 3 it is the cohort; at 4 (size = min − 1) it falls back to
    the field over all years (4 patents); at 5 neither the field (4) nor 2016 (4) will do: all 5 patents."""
    row = scored(con, minimum)[P1]
    assert (row["cohort_basis"], row["cohort_size"]) == (basis, size)
    if minimum == 4:  # field 6 all years: claims P5 5, P1 10, P2 20, P3 20 → P1 (1 + ½) / 4 = 37.5
        claims = next(p for p in row["parts"] if p["indicator"] == "claims_count")
        assert claims["normalised"] == pytest.approx(37.5)


def test_scores_filter_and_sort(con):
    firm = value_scores(con, date(2024, 12, 31), "pledge", region="500118002000", enterprise=normalize_name(FIRM))
    assert sorted(r["app_no"] for r in firm) == sorted([P1, P2, P5])
    assert [r["score"] for r in firm] == sorted((r["score"] for r in firm), reverse=True)
    assert value_scores(con, date(2024, 12, 31), app_nos=[P4], region="110000") == []
    with pytest.raises(ValueError, match="unknown scenario"):
        value_scores(con, date(2024, 12, 31), "auction")


def test_value_of_breakdown(con):
    v = value_of(con, P1, date(2024, 12, 31))
    assert set(v["scenarios"]) == set(SCENARIOS)
    legal = v["scenarios"]["management"]["dimensions"][0]
    term = next(i for i in legal["indicators"] if i["key"] == "remaining_years")
    assert term["input"] == "剩余保护期 11.2 年" and term["input_en"] == "Remaining term 11.2 years"
    for s in v["scenarios"].values():
        assert s["score"] == pytest.approx(sum(d["weight"] * d["score"] for d in s["dimensions"]), abs=0.01)
    assert value_of(con, C, date(2024, 12, 31)) is None        # a design: not scored
    assert value_of(con, "209910000001.8", date(2024, 12, 31)) is None


def test_cohorts_keep_patent_types_apart(con):
    """U (a utility model, field 6, 2016, 50 claims) is in no invention's cohort: P1's field 6 × 2016 cohort is
    still P1, P2, P3 (claims 16.7 as worked above), and U, the only utility model, falls back to all utility models."""
    rows = scored(con, 3)
    assert (rows[P1]["cohort_basis"], rows[P1]["cohort_size"]) == ("field_year", 3)
    assert (rows[U]["cohort_basis"], rows[U]["cohort_size"]) == ("all", 1)
    claims = next(p for p in rows[U]["parts"] if p["indicator"] == "claims_count")
    assert claims["normalised"] == 50                     # alone: (0 + ½ · 1) / 1


def test_grades_by_rank_worked_by_hand():
    """10 patents whose every normalised indicator is 100, 90, …, 10 score exactly that (weights sum to 1). By
    rank r, the share r / 10: A ≤ 0.1 (rank 1), B ≤ 0.3 (2-3), C ≤ 0.7 (4-7), D the rest (8-10).  A tie at ranks
    3 and 4 gives both rank 3 (the better): both B, and the next patent is rank 5, C."""
    import pandas as pd

    from hvpatent.value import value_settings
    from hvpatent.value.score import score_frame

    settings = value_settings()

    def grades(values: list[float]) -> list[str]:
        df = pd.DataFrame({f"n_{i.key}": values for i in settings.indicators})
        out = score_frame(df, settings, "management")
        assert out["score"].tolist() == pytest.approx(values)
        return out["grade"].tolist()

    assert grades([100, 90, 80, 70, 60, 50, 40, 30, 20, 10]) == list("ABBCCCCDDD")
    assert grades([100, 90, 80, 80, 60, 50, 40, 30, 20, 10]) == list("ABBBCCCDDD")


@pytest.fixture(scope="module")
def day_frame(con):
    from hvpatent.value import value_frame

    return value_frame(con, date(2024, 12, 31))


def test_grades_are_the_warehouse_wide_ones(con, day_frame):
    """value_of and an enterprise's list grade a patent as the warehouse-wide list does (ranked among all 6
    scored patents: rank 1 is 1/6 ≤ 0.3, a B; a one-row frame would have made it D)."""
    day = date(2024, 12, 31)
    for scenario in SCENARIOS:
        everyone = value_scores(con, day, scenario, frame=day_frame)
        grade = {r["app_no"]: r["grade"] for r in everyone}
        assert len(grade) == 6 and everyone[0]["grade"] == "B"
        firm = value_scores(con, day, scenario, enterprise=normalize_name(FIRM), frame=day_frame)
        assert {r["app_no"]: r["grade"] for r in firm} == {a: grade[a] for a in (P1, P2, P5)}
        for app in grade:
            assert value_of(con, app, day, frame=day_frame)["scenarios"][scenario]["grade"] == grade[app]
    # without a frame handed in, the same answers
    assert value_of(con, P1, day)["scenarios"] == value_of(con, P1, day, frame=day_frame)["scenarios"]
    assert value_scores(con, day, "pledge", enterprise=normalize_name(FIRM)) == value_scores(
        con, day, "pledge", enterprise=normalize_name(FIRM), frame=day_frame)


def test_shipped_config_weights_sum_to_one():
    s = parse(yaml.safe_load(Path(config_path()).read_text(encoding="utf-8")), "config.yaml")
    for sc in s.scenarios.values():
        assert sum(sc.dimensions.values()) == pytest.approx(1)
        assert sum(sc.weight(i.dimension, i.key) for i in s.indicators) == pytest.approx(1)


def test_bad_user_config_is_named():
    data = yaml.safe_load(Path(config_path()).read_text(encoding="utf-8"))
    bad = copy.deepcopy(data)
    bad["scenarios"]["pledge"]["dimensions"]["legal"] = 0.5
    with pytest.raises(ValueConfigError, match=r"mine\.yaml: scenarios\.pledge\.dimensions: the weights sum to 1\.1"):
        parse(bad, "mine.yaml")
    bad = copy.deepcopy(data)
    bad["dimensions"]["legal"]["indicators"]["sparkle"] = {"direction": 1, "weight": 0}
    with pytest.raises(ValueConfigError, match=r"legal\.indicators\.sparkle: unknown indicator"):
        parse(bad, "mine.yaml")
    bad = copy.deepcopy(data)
    del bad["scenarios"]["transfer"]
    with pytest.raises(ValueConfigError, match="scenarios must be exactly"):
        parse(bad, "mine.yaml")


def test_cli_breakdown_and_errors(wh, tmp_path):
    import shutil

    from hvpatent.cli.main import app

    runner = CliRunner()
    wh.con.execute("CHECKPOINT")  # a copy: the CLI opens its own (read-only) connection to a file
    path = str(shutil.copy(wh.path, tmp_path / "copy.duckdb"))
    ok = runner.invoke(app, ["--db", path, "value", P1, "--as-of", "2024-12-31"])
    assert ok.exit_code == 0, ok.output
    assert "剩余保护期 11.2 年" in ok.output and "法律价值" in ok.output
    en = runner.invoke(app, ["--lang", "en", "--db", path, "value", P1, "--as-of", "2024-12-31"])
    assert "Remaining term 11.2 years" in en.output
    bad = runner.invoke(app, ["--db", path, "value", "12345", "--as-of", "2024-12-31"])
    assert bad.exit_code == 2 and "申请号无效" in bad.output and "Traceback" not in bad.output
    unknown = runner.invoke(app, ["--db", path, "value", "209910000001.8", "--as-of", "2024-12-31"])
    assert unknown.exit_code == 2 and "库中没有" in unknown.output
    wide = runner.invoke(app, ["--db", path, "value", "--region", "５００１１８", "--as-of", "2024-12-31"])
    assert wide.exit_code == 2 and "区划代码无效" in wide.output     # full-width digits pass str.isdigit()
    scen = runner.invoke(app, ["--db", path, "value", "--scenario", "auction", "--as-of", "2024-12-31"])
    assert scen.exit_code == 2 and "auction" in scen.output
    out = tmp_path / "v.xlsx"
    made = runner.invoke(app, ["--db", path, "value", "--as-of", "2024-12-31", "--format", "xlsx", "--out", str(out)])
    assert made.exit_code == 0, made.output
    from openpyxl import load_workbook

    sheet = load_workbook(out).active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["排名", "申请号", "名称"] and "剩余保护期 原值" in header and sheet.max_row == 7
