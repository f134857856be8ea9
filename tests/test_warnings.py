"""Early warnings on hand-built histories, each rule at its boundaries (day before, day of, day after).

As of 2024-06-30 with a 90-day window the window ends on 2024-09-28.
"""

from __future__ import annotations

from datetime import date

import pytest
import yaml
from docx import Document

from hvpatent.ingest.fields import normalize_name
from hvpatent.warnings import counts, warnings_list
from legal_fixtures import add_application
from test_cli import hvp

AS_OF = date(2024, 6, 30)
GRANTED = [(date(2017, 1, 1), "granted")]
ENTERPRISE = "重庆甲新能源科技有限公司"


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    from hvpatent.warehouse.store import Warehouse

    wh = Warehouse(tmp_path_factory.mktemp("warnings") / "w.duckdb")
    apps = {
        "due_last_day": add_application(wh, date(2015, 9, 28), GRANTED),     # due 2024-09-28: window's last day
        "due_after": add_application(wh, date(2015, 9, 29), GRANTED),        # due 2024-09-29: outside
        "due_today": add_application(wh, date(2015, 6, 30), GRANTED),        # due on the as-of date
        "due_passed": add_application(wh, date(2015, 6, 29), GRANTED),       # paid 2024-06-29 (no lapse): next 2025
        # Lapse announced 2024-11-20 → unpaid annuity due 2024-03-01; grace's last day 2024-09-01.
        "grace": add_application(wh, date(2016, 3, 1), [*GRANTED, (date(2024, 11, 20), "annuity_lapse")]),
        # Lapse announced 2024-08-01 → due 2024-01-10; grace's last day 2024-07-10; notice taken as issued
        # 2024-07-11 and received that day (electronic service); restorable until 2024-09-11.
        "restorable": add_application(wh, date(2015, 1, 10), [*GRANTED, (date(2024, 8, 1), "annuity_lapse")]),
        "milestone": add_application(wh, date(2014, 7, 15), GRANTED),        # 10th anniversary 2024-07-15
        "milestone_today": add_application(wh, date(2014, 6, 30), GRANTED),  # 10th anniversary on the as-of date
        "expiring": add_application(wh, date(2004, 8, 1), GRANTED),          # term ends 2024-08-01
    }
    # The enterprise of the patent in grace (parties normally arrive with their application's import).
    wh.con.execute("INSERT INTO parties (app_no, seq, role, name, name_norm, party_type, town_code, county_code,"
                   " city_code, province_code) VALUES (?, 1, 'applicant', ?, ?, 'enterprise', '500118002000',"
                   " '500118', '500100', '500000')",
                   [apps["grace"], ENTERPRISE, normalize_name(ENTERPRISE)])
    yield wh, apps
    wh.close()


def kinds(wh, day: date, within: int = 90) -> dict[str, list[tuple[str, date]]]:
    warehouse, apps = wh
    names = {v: k for k, v in apps.items()}
    out: dict[str, list] = {}
    for r in warnings_list(warehouse.ibis(), day, within):
        out.setdefault(names[r["app_no"]], []).append((r["kind"], r["deadline"]))
    return out


def test_annuity_window_boundaries(wh):
    found = kinds(wh, AS_OF)
    assert ("annuity_due", date(2024, 9, 28)) in found["due_last_day"]
    assert "due_after" not in found and "due_passed" not in found
    assert ("annuity_due", date(2024, 6, 30)) in found["due_today"]


def test_annuity_amount_is_the_schedule(wh):
    warehouse, apps = wh
    row = next(r for r in warnings_list(warehouse.ibis(), AS_OF) if r["app_no"] == apps["due_last_day"])
    assert row["amount"] == 4000.0  # patent year 10: 4,000 yuan


@pytest.fixture
def user_fees(tmp_path, monkeypatch):
    """Writes a fees.yaml into a user config folder of its own; the built-in table is back afterwards."""
    from importlib import resources

    import hvpatent.reference
    from hvpatent.reference import fees

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "hvpatent").mkdir()
    builtin = yaml.safe_load(resources.files(hvpatent.reference).joinpath("fees.yaml").read_text(encoding="utf-8"))

    def write(changes: dict | str) -> None:
        text = changes if isinstance(changes, str) else yaml.safe_dump({**builtin, **changes}, allow_unicode=True)
        (tmp_path / "hvpatent" / "fees.yaml").write_text(text, encoding="utf-8")
        fees.default_rules.cache_clear()

    yield write
    fees.default_rules.cache_clear()


def test_fee_reduction_is_configuration(wh, user_fees, tmp_path):
    from hvpatent.reports.letters import write_letter
    from hvpatent.warnings import KIND_LABELS

    warehouse, apps = wh
    user_fees({"fee_reduction": {"rate": 0.85, "first_years_after_grant": 10}})
    rows = warnings_list(warehouse.ibis(), AS_OF)
    row = next(r for r in rows if r["app_no"] == apps["due_last_day"])
    assert row["amount"] == pytest.approx(600.0)  # year 10 of a patent granted in year 2: 15% of 4,000
    names = {k: v[0] for k, v in KIND_LABELS.items()}
    letter = write_letter("某企业", [row], AS_OF, "某局", tmp_path / "l.docx", names)
    assert "已按授权后前10年减缴85%计算" in "\n".join(p.text for p in Document(str(letter)).paragraphs)
    user_fees("fee_reduction: [")
    with pytest.raises(ValueError, match=r"fees\.yaml: not a valid fee table"):
        warnings_list(warehouse.ibis(), AS_OF)


def test_grace_until_its_last_day_with_the_late_fee(wh):
    warehouse, apps = wh
    row = next(r for r in warnings_list(warehouse.ibis(), AS_OF) if r["app_no"] == apps["grace"])
    assert (row["kind"], row["deadline"]) == ("grace", date(2024, 9, 1))
    assert row["amount"] == 2300.0  # year-9 annuity 2,000 + 15% late fee (more than 3 whole months late)
    assert kinds(wh, date(2024, 8, 31))["grace"][0][0] == "grace"          # the day before the last day
    assert kinds(wh, date(2024, 9, 1))["grace"][0][0] == "grace"           # the corresponding day: last day
    # the notice is taken as issued the next day (09-02) and received electronically that day; two months
    assert kinds(wh, date(2024, 9, 2))["grace"][0] == ("restorable", date(2024, 11, 2))


def test_restorable_until_the_deadline(wh):
    assert ("restorable", date(2024, 9, 11)) in kinds(wh, date(2024, 7, 11))["restorable"]
    assert ("restorable", date(2024, 9, 11)) in kinds(wh, date(2024, 9, 10))["restorable"]  # the day before
    assert ("restorable", date(2024, 9, 11)) in kinds(wh, date(2024, 9, 11))["restorable"]  # the deadline
    assert "restorable" not in kinds(wh, date(2024, 9, 12))   # lapsed for good: nothing left to do
    assert kinds(wh, date(2024, 7, 10))["restorable"][0][0] == "grace"   # grace's last day


def test_ten_year_milestone(wh):
    warehouse, apps = wh
    found = kinds(wh, AS_OF)
    assert ("milestone_10y", date(2024, 7, 15)) in found["milestone"]
    assert ("milestone_10y", date(2024, 6, 30)) in found["milestone_today"]  # "more than 10 years" tomorrow
    assert "milestone" not in kinds(wh, date(2024, 7, 16))                    # passed: already high-value
    row = next(r for r in warnings_list(warehouse.ibis(), AS_OF) if r["app_no"] == apps["milestone"])
    assert row["only_by_milestone"] is True and row["high_value"] is False


def test_expiring_and_high_value_first(wh):
    warehouse, apps = wh
    rows = warnings_list(warehouse.ibis(), AS_OF)
    expiring = [r for r in rows if r["app_no"] == apps["expiring"]]
    assert [(r["kind"], r["deadline"]) for r in expiring] == [("expiring", date(2024, 8, 1))]
    assert expiring[0]["high_value"]  # maintained over 10 years: a high-value patent at risk
    priorities = [r["priority"] for r in rows]
    assert priorities == sorted(priorities)
    assert rows[0]["high_value"] and rows[0]["kind"] != "milestone_10y"
    assert "expiring" not in kinds(wh, AS_OF, within=31) and "expiring" in kinds(wh, AS_OF, within=32)
    at_risk = warnings_list(warehouse.ibis(), AS_OF, high_value_at_risk=True)
    assert at_risk == [r for r in rows if r["high_value"] and r["kind"] != "milestone_10y"]
    assert apps["expiring"] in {r["app_no"] for r in at_risk}


def test_counts_by_town_and_enterprise_filter(wh):
    warehouse, apps = wh
    rows = warnings_list(warehouse.ibis(), AS_OF, enterprise=normalize_name(ENTERPRISE))
    assert [r["app_no"] for r in rows] == [apps["grace"]]
    by_town = counts(warnings_list(warehouse.ibis(), AS_OF), "town_code")
    shengli = next(c for c in by_town if c["town_code"] == "500118002000")
    assert (shengli["total"], shengli["grace"]) == (1, 1)


def test_region_at_every_level(wh):
    warehouse, apps = wh
    for code in ("500118002000", "500118", "500100", "500000"):  # town, district, city, province
        assert [r["app_no"] for r in warnings_list(warehouse.ibis(), AS_OF, region=code)] == [apps["grace"]]
    assert warnings_list(warehouse.ibis(), AS_OF, region="510000") == []


def test_warnings_cli_and_letter(wh, tmp_path):
    warehouse, apps = wh
    import shutil

    warehouse.con.execute("CHECKPOINT")  # everything in the file, so a copy is complete
    db = str(shutil.copy(warehouse.path, tmp_path / "copy.duckdb"))
    out = hvp("--db", db, "warnings", "--as-of", "2024-06-30", "--within", "90d", "--format", "json").stdout
    assert apps["grace"] in out and apps["due_after"] not in out
    at_risk = hvp("--db", db, "warnings", "--as-of", "2024-06-30", "--high-value-at-risk", "--format", "json").stdout
    assert apps["expiring"] in at_risk and apps["grace"] not in at_risk
    letter = tmp_path / "letter.docx"
    hvp("--db", db, "warnings", "letters", "--enterprise", ENTERPRISE, "--as-of", "2024-06-30",
        "--out", str(letter))
    text = "\n".join(p.text for p in Document(str(letter)).paragraphs)
    assert text.startswith("专利维护提醒函") and ENTERPRISE in text and "1项专利事项" in text
    cells = [c.text for c in Document(str(letter)).tables[0].rows[1].cells]
    assert cells[:3] == [apps["grace"], "年费滞纳期（宽限期）内", "2024-09-01"]  # grace's last day
    assert hvp("--db", db, "warnings", "--within", "ninety", check=False).returncode == 2
