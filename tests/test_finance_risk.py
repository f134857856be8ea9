"""The risk watch on pledged patents (finance/risk.py) and `hvp bank risk` on a hand-built tiny world: each kind,
each deadline on the day before, of and after, the window's edge, the bank filter (a branch, its head office,
another bank, a pledgee changed by registration), the region, released contracts left out, and the daily export
(xlsx opened by openpyxl, csv, json, errors)."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from hvpatent.finance import RISK_KINDS, risk_watch
from hvpatent.finance.risk import RISK_LABELS, SEVERITIES, risk_counts
from hvpatent.indicators import refresh_derived
from hvpatent.ingest.appno import check_digit
from hvpatent.ingest.fields import normalize_name
from hvpatent.model import Batch
from hvpatent.warehouse.store import Warehouse

DAY = date(2025, 6, 30)  # window of 90 days: to 2025-09-28
# The deadlines share days so that few days are computed: 2025-03-01 (a transfer, an invalidation request, a full
# invalidation, two unpaid annuities' due date) and 2025-09-01 (an annuity due, two grace periods' last day, an end
# of term, a loan's maturity).
FIRM, FIRM2 = "重庆风险甲科技有限公司", "重庆风险乙制造有限公司"
FIRM3, FIRM4 = "北京风险丙有限公司", "重庆风险丁有限公司"
FIRM5 = "北京风险戊有限公司"  # R5 and the legacy contract L1: registered 2025-07-10, after DAY
BANK, HEAD, OTHER = "重庆风险银行股份有限公司永川支行", "重庆风险银行股份有限公司", "另一商业银行股份有限公司"
THIRD = "第三风险银行股份有限公司"
YC = {"province_code": "500000", "city_code": "500100", "county_code": "500118", "town_code": "500118002000"}
BJ = {"province_code": "110000", "city_code": "110100", "county_code": "110108", "town_code": "110108001000"}


def no(serial: int, year: int) -> str:
    digits = f"{year}1{serial:07d}"
    return f"{digits}.{check_digit(digits)}"


P_ANN, P_GRACE, P_TR, P_TR0, P_INV = no(1, 2016), no(2, 2014), no(3, 2015), no(4, 2015), no(5, 2015)
P_TERM, P_FULLINV, P_OTHER = no(6, 2005), no(7, 2016), no(8, 2013)
P_T2, P_T3, P_T4, P_REL = no(9, 2007), no(10, 2007), no(11, 2007), no(12, 2014)
P_EXP, P_LEG = no(13, 2005), no(14, 2005)
G = "granted"
RAW = {"annuity_lapse": "未缴年费专利权终止", "transfer": "专利权的转移", "licence": "专利实施许可合同备案的生效",
       "invalidation_requested": "无效宣告请求", "invalidated_full": "专利权全部无效"}
APPS = [  # app_no, filed, applicant, region, events
    # next annuity (year 10) due 2025-09-01
    (P_ANN, date(2016, 9, 1), FIRM, YC, [(date(2018, 9, 1), G)]),
    # year-12 annuity due 2025-03-01 unpaid (termination announced 2025-11-20): grace to 2025-09-01, restorable to
    # 2025-11-02 (2025-09-02 + 2 months), then lapsed
    (P_GRACE, date(2014, 3, 1), FIRM, YC, [(date(2016, 1, 5), G), (date(2025, 11, 20), "annuity_lapse")]),
    (P_TR, date(2015, 1, 1), FIRM, YC, [(date(2017, 3, 1), G), (date(2025, 3, 1), "transfer")]),
    # transferred on the registration day itself (not after it), licensed after it
    (P_TR0, date(2015, 2, 1), FIRM, YC, [(date(2017, 4, 1), G), (date(2024, 1, 10), "transfer"),
                                         (date(2024, 6, 1), "licence")]),
    (P_INV, date(2015, 5, 1), FIRM, YC, [(date(2017, 6, 1), G), (date(2025, 3, 1), "invalidation_requested")]),
    # term_end 2025-09-01 = R2's loan_end
    (P_TERM, date(2005, 9, 1), FIRM2, YC, [(date(2008, 1, 1), G)]),
    (P_FULLINV, date(2016, 1, 20), FIRM2, YC, [(date(2018, 2, 1), G), (date(2025, 3, 1), "invalidated_full")]),
    # FIRM2's own unpledged patent: annuity due 2025-03-01 unpaid, grace to 2025-09-01, restorable to 2025-11-02
    (P_OTHER, date(2013, 3, 1), FIRM2, YC, [(date(2015, 1, 1), G), (date(2025, 12, 1), "annuity_lapse")]),
    # terms end 2027-03-02, 2027-03-01, 2027-02-28 around R3's loan_end 2027-03-01
    (P_T2, date(2007, 3, 2), FIRM3, BJ, [(date(2009, 1, 1), G)]),
    (P_T3, date(2007, 3, 1), FIRM3, BJ, [(date(2009, 1, 1), G)]),
    (P_T4, date(2007, 2, 28), FIRM3, BJ, [(date(2009, 1, 1), G)]),
    (P_REL, date(2014, 3, 15), FIRM4, YC, [(date(2016, 1, 5), G), (date(2025, 11, 20), "annuity_lapse")]),
    # term_end 2025-09-01, after R5's loan_end 2025-08-15 (no annuity falls due: 2025-09-01 is not before term_end)
    (P_EXP, date(2005, 9, 1), FIRM5, BJ, [(date(2008, 1, 1), G)]),
    # term_end 2025-11-02, in the legacy contract L1 (no loan_end)
    (P_LEG, date(2005, 11, 2), FIRM5, BJ, [(date(2008, 1, 1), G)]),
]
CONTRACTS = [  # contract_no, pledgor, pledgee, registered, loan_end, released, items
    ("R1", FIRM, BANK, date(2024, 1, 10), date(2026, 1, 9), None, [P_ANN, P_GRACE, P_TR, P_TR0, P_INV]),
    ("R2", FIRM2, BANK, date(2023, 5, 1), date(2025, 9, 1), None, [P_TERM, P_FULLINV]),
    ("R3", FIRM3, OTHER, date(2024, 2, 1), date(2027, 3, 1), None, [P_T2, P_T3, P_T4]),
    ("R4", FIRM4, BANK, date(2024, 1, 1), date(2025, 12, 31), date(2025, 6, 1), [P_REL]),
    ("R5", FIRM5, THIRD, date(2025, 7, 10), date(2025, 8, 15), None, [P_EXP]),
]
# A legacy contract: a per-patent `pledges` line only (no pledge_contracts row), so no loan maturity.
LEGACY = {"contract_no": "L1", "app_no": P_LEG, "pledgor": FIRM5, "pledgee": THIRD, "amount_yuan": 500_000,
          "registered_date": date(2025, 7, 10), "changed_date": None, "released_date": None}


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("risk") / "risk.duckdb")
    batch = Batch()
    batch.set("applications", [{"app_no": a, "patent_type": "invention", "filing_date": f, "title": f"风险{i}",
                                "ipc_main": "G06N3/08", "source": "test"} for i, (a, f, *_) in enumerate(APPS, 1)])
    batch.set("parties", [{"app_no": a, "seq": 1, "role": "applicant", "name": who, "name_norm": normalize_name(who),
                           "party_type": "enterprise", "address": "", **where} for a, _, who, where, _ in APPS])
    batch.set("legal_events", [{"app_no": a, "event_date": d, "event_type": e, "raw_text": RAW.get(e, e)}
                               for a, f, _, _, events in APPS for d, e in [(f, "filed"), *events]])
    batch.set("pledge_contracts", [
        {"contract_no": c, "pledgor": who, "pledgor_norm": normalize_name(who), "pledgee": bank,
         "pledgee_norm": normalize_name(bank), "amount_yuan": 1_000_000, "loan_start": reg, "loan_end": end,
         "registered_date": reg, "released_date": rel, "disposed_date": None, "source": "test"}
        for c, who, bank, reg, end, rel, _ in CONTRACTS])
    batch.set("pledge_items", [{"contract_no": c, "item_kind": "patent", "item_no": a, "added_date": reg,
                                "removed_date": None} for c, _, _, reg, _, _, items in CONTRACTS for a in items])
    # R3 passes to BANK by a change registered on 2025-07-01.
    batch.set("pledge_changes", [{"contract_no": "R3", "change_date": date(2025, 7, 1), "field": "pledgee",
                                  "old_value": OTHER, "new_value": BANK}])
    batch.set("pledges", [LEGACY])
    with wh.import_transaction("risk", "risk", "test", "fixture") as tx:
        tx.add(batch, len(APPS))
    refresh_derived(wh)
    yield wh
    wh.close()


@pytest.fixture(scope="module")
def con(wh):
    return wh.ibis()


_ROWS: dict[tuple, list[dict]] = {}


def watch(con, day: date, **kw) -> list[dict]:
    key = (day, tuple(sorted(kw.items())))
    if key not in _ROWS:
        _ROWS[key] = risk_watch(con, day, **kw)
    return _ROWS[key]


def alerts(con, day: date, item: str | None, kind: str, **kw) -> list[dict]:
    return [r for r in watch(con, day, **kw) if r["item_no"] == item and r["kind"] == kind]


def test_every_alert_on_the_day(con):
    rows = watch(con, DAY)
    got = [(r["contract_no"], r["item_no"], r["kind"], r["severity"], r["deadline"], r["event_date"]) for r in rows]
    # Most severe first; within a severity by deadline (none last), then contract, item, kind.
    assert got == [
        ("R1", P_GRACE, "grace", "high", date(2025, 9, 1), None),
        ("R2", P_TERM, "term_before_maturity", "high", date(2025, 9, 1), None),     # term ends on loan_end
        ("R1", P_TR, "transferred", "high", None, date(2025, 3, 1)),
        ("R1", P_INV, "invalidation_requested", "high", None, date(2025, 3, 1)),
        ("R2", P_FULLINV, "invalidated", "high", None, None),
        ("R2", P_OTHER, "pledgor_lapses", "medium", date(2025, 9, 1), None),       # FIRM2's unpledged patent
        ("R3", P_T4, "term_before_maturity", "medium", date(2027, 2, 28), None),   # after the window: medium
        ("R3", P_T3, "term_before_maturity", "medium", date(2027, 3, 1), None),
        ("R1", P_TR0, "licensed", "medium", None, date(2024, 6, 1)),                # its transfer: on registration
        ("R1", P_ANN, "annuity_due", "low", date(2025, 9, 1), None),                # 63 days ahead
        ("R2", None, "loan_maturity", "low", date(2025, 9, 1), None),               # 63 days ahead
    ]
    assert {r["kind"] for r in rows} <= set(RISK_KINDS)
    assert all(r["action_zh"] and r["action_en"] and r["label_zh"] == RISK_LABELS[r["kind"]][0] for r in rows)
    assert risk_counts(rows) == {"high": 5, "medium": 4, "low": 2} and set(SEVERITIES) == {"high", "medium", "low"}
    one = alerts(con, DAY, P_ANN, "annuity_due")[0]
    # Filed 2016-09-01: due 2025-09-01 (9th anniversary) for patent year 10: 4,000 yuan (years 10–12).
    assert one["amount"] == 4000.0 and "第10年年费 4,000 元将于 2025-09-01 到期" in one["action_zh"]
    assert one["pledgee"] == BANK and one["pledgor"] == FIRM and one["loan_end"] == date(2026, 1, 9)
    grace = alerts(con, DAY, P_GRACE, "grace")[0]
    # Year-12 annuity 4,000 yuan due 2025-03-01; on 2025-06-30 payment is more than three whole months late
    # (2025-06-01 < day ≤ 2025-07-01): late fee 15 % of 4,000 = 600; 4,600 in all.
    assert grace["amount"] == 4600.0 and "2025-09-01" in grace["action_zh"] and "第115条" in grace["action_zh"]
    assert "第444条" in alerts(con, DAY, P_TR, "transferred")[0]["action_zh"]


@pytest.mark.parametrize(("day", "deadline", "severity"), [
    (date(2025, 8, 31), date(2025, 9, 1), "medium"), (date(2025, 9, 1), date(2025, 9, 1), "medium"),
    (date(2025, 9, 2), None, None)])
def test_annuity_due_date(con, day, deadline, severity):
    # On the due date the annuity is still next due; the day after, the next one (2026-09-01) is beyond 90 days.
    found = alerts(con, day, P_ANN, "annuity_due")
    assert [(r["deadline"], r["severity"]) for r in found] == ([(deadline, severity)] if deadline else [])


@pytest.mark.parametrize(("within", "listed"), [(62, False), (63, True)])
def test_window_edge(con, within, listed):
    # 2025-06-30 + 63 days = 2025-09-01, the annuity's due date and the loan's maturity: the window
    # [as_of, as_of + within] includes its last day.
    assert bool(alerts(con, DAY, P_ANN, "annuity_due", within_days=within)) is listed
    assert bool(alerts(con, DAY, None, "loan_maturity", within_days=within)) is listed


@pytest.mark.parametrize(("day", "kind", "deadline", "state"), [
    (date(2025, 2, 28), "annuity_due", date(2025, 3, 1), "valid"),   # the day before the due date
    (date(2025, 3, 1), "grace", date(2025, 9, 1), "grace"),            # the unpaid annuity's due date
    (date(2025, 8, 31), "grace", date(2025, 9, 1), "grace"),
    (date(2025, 9, 1), "grace", date(2025, 9, 1), "grace"),            # the grace period's last day
    (date(2025, 9, 2), "lapsed", date(2025, 11, 2), "restorable"),     # restoration: grace_end + 1 day + 2 months
    (date(2025, 11, 1), "lapsed", date(2025, 11, 2), "restorable"),
    (date(2025, 11, 2), "lapsed", date(2025, 11, 2), "restorable"),    # the restoration deadline itself
    (date(2025, 11, 3), "lapsed", None, "lapsed"),
])
def test_grace_restoration_and_lapse(con, day, kind, deadline, state):
    found = [(r["kind"], r["deadline"], r["state"]) for r in watch(con, day) if r["item_no"] == P_GRACE]
    assert found == [(kind, deadline, state)]
    if state == "restorable":
        assert "第6条第2款" in alerts(con, day, P_GRACE, "lapsed")[0]["action_zh"]
    # FIRM2's unpledged P_OTHER has the same dates: an alert on R2 while in grace or restorable, none after.
    other = [r["deadline"] for r in alerts(con, day, P_OTHER, "pledgor_lapses")]
    assert other == ([deadline] if state in ("grace", "restorable") else [])


@pytest.mark.parametrize(("day", "listed"), [(date(2025, 2, 28), False), (date(2025, 3, 1), True),
                                              (date(2025, 3, 2), True)])
def test_transfer_invalidation_events(con, day, listed):
    assert bool(alerts(con, day, P_TR, "transferred")) is listed
    assert not alerts(con, day, P_TR0, "transferred")  # transferred on the registration day: before the pledge
    assert bool(alerts(con, day, P_INV, "invalidation_requested")) is listed
    assert bool(alerts(con, day, P_FULLINV, "invalidated")) is listed


@pytest.mark.parametrize(("item", "flagged"), [(P_T2, False), (P_T3, True), (P_T4, True)])
def test_term_against_maturity(con, item, flagged):
    # R3's loan matures 2027-03-01: a term ending 2027-03-02 covers it (in force through 2027-03-01), one ending
    # on 2027-03-01 or 2027-02-28 does not.
    assert bool(alerts(con, DAY, item, "term_before_maturity")) is flagged


@pytest.mark.parametrize(("day", "kind", "severity"), [
    (date(2025, 8, 31), "loan_maturity", "medium"), (date(2025, 9, 1), "loan_maturity", "medium"),
    (date(2025, 9, 2), "loan_overdue", "high")])
def test_loan_maturity(con, day, kind, severity):
    found = [r for r in watch(con, day) if r["contract_no"] == "R2" and r["item_no"] is None]
    assert [(r["kind"], r["severity"], r["deadline"]) for r in found] == [(kind, severity, date(2025, 9, 1))]


@pytest.mark.parametrize(("day", "before"), [(date(2025, 8, 31), True), (date(2025, 9, 1), False),
                                             (date(2025, 9, 2), False)])
def test_term_end_day(con, day, before):
    # P_TERM (R2) and P_EXP (R5) have term_end 2025-09-01: in force through 2025-08-31 (the right expires at the end
    # of the day before term_end), `expired` from 2025-09-01.  R2's loan matures on 2025-09-01 (term_end ≤
    # loan_end): the day before, a warning with the deadline; R5's matured on 2025-08-15, before the term ended: no
    # warning before.  From term_end on, both are collateral lost, whatever the loan's maturity.
    def found(item: str) -> list[tuple]:
        return [(r["kind"], r["severity"], r["deadline"], r["event_date"], r["state"]) for r in watch(con, day)
                if r["item_no"] == item]

    lost = [("expired", "high", None, date(2025, 9, 1), "expired")]
    if before:
        assert found(P_TERM) == [("term_before_maturity", "high", date(2025, 9, 1), None, "valid")]
        assert found(P_EXP) == []
    else:
        assert found(P_TERM) == lost and found(P_EXP) == lost
        row = alerts(con, day, P_EXP, "expired")[0]
        assert row["action_zh"].startswith("保护期已届满（专利法第42条），自 2025-09-01 起专利权不再有效：质押物灭失")
        assert "before then" not in row["action_en"] and "Patent Law art. 42" in row["action_en"]
    # R5's loan is overdue all three days (matured 2025-08-15, not released).
    assert [r["kind"] for r in watch(con, day) if r["contract_no"] == "R5" and r["item_no"] is None] == [
        "loan_overdue"]


@pytest.mark.parametrize(("day", "within", "expected"), [
    (date(2025, 8, 31), 62, []),    # 2025-08-31 + 62 days = 2025-11-01: the term's end (2025-11-02) is beyond
    (date(2025, 8, 31), 63, [("term_before_maturity", "high", date(2025, 11, 2))]),  # + 63 = 2025-11-02
    (date(2025, 11, 1), 90, [("term_before_maturity", "high", date(2025, 11, 2))]),  # the day before term_end
    (date(2025, 11, 2), 90, [("expired", "high", None)]),
    (date(2025, 11, 3), 90, [("expired", "high", None)]),
])
def test_legacy_contract_without_maturity(con, day, within, expected):
    # L1 is a legacy contract (a `pledges` line only): loan_end unknown.  Its patent P_LEG's term ends 2025-11-02:
    # flagged (high) once the end of term is in the window, lost from that day; never a loan maturity or overdue.
    kw = {} if within == 90 else {"within_days": within}
    rows = [r for r in watch(con, day, **kw) if r["contract_no"] == "L1"]
    assert [(r["kind"], r["severity"], r["deadline"]) for r in rows] == expected
    assert all(r["item_no"] == P_LEG and r["loan_end"] is None and r["pledgee"] == THIRD for r in rows)
    if expected and expected[0][0] == "term_before_maturity":
        assert "贷款到期日未登记" in rows[0]["action_zh"]


@pytest.mark.parametrize(("day", "severity"), [(date(2025, 8, 1), "low"), (date(2025, 8, 2), "medium")])
def test_soon_edge(con, day, severity):
    # The annuity (P_ANN) and R2's loan both fall due on 2025-09-01: 31 days after 2025-08-01 (low), 30 after
    # 2025-08-02 (medium: SOON_DAYS = 30 days or fewer).
    assert [r["severity"] for r in alerts(con, day, P_ANN, "annuity_due")] == [severity]
    assert [r["severity"] for r in alerts(con, day, None, "loan_maturity") if r["contract_no"] == "R2"] == [severity]


@pytest.mark.parametrize(("within", "severity"), [(608, "medium"), (609, "high"), (610, "high")])
def test_term_before_maturity_window_end(con, within, severity):
    # P_T3's term ends 2027-03-01 = 2025-06-30 + 609 days (365 to 2026-06-30, then 244): high once the window
    # [as_of, as_of + within] reaches it, medium before.  R3 is OTHER's on DAY.
    found = alerts(con, DAY, P_T3, "term_before_maturity", bank=OTHER, within_days=within)
    assert [(r["severity"], r["deadline"]) for r in found] == [(severity, date(2027, 3, 1))]


@pytest.mark.parametrize(("day", "listed"), [(date(2024, 5, 31), False), (date(2024, 6, 1), True),
                                              (date(2024, 6, 2), True)])
def test_licence_event(con, day, listed):
    # P_TR0 (R1, pledged 2024-01-10) was licensed on 2024-06-01: listed from that day, medium, with its date.
    found = alerts(con, day, P_TR0, "licensed", bank=BANK)
    assert [(r["severity"], r["event_date"]) for r in found] == ([("medium", date(2024, 6, 1))] if listed else [])


def test_bank_filter_and_region(con):
    def contracts(**kw):
        return {r["contract_no"] for r in watch(con, DAY, **kw)}

    assert contracts(bank=BANK) == {"R1", "R2"}
    assert contracts(bank=HEAD) == {"R1", "R2"}                     # a head office sees its branches
    assert contracts(bank=OTHER) == {"R3"}
    assert contracts(region="500118") == {"R1", "R2"}               # the pledgor's region (R3's is Beijing)
    # R3's pledgee changed to BANK on 2025-07-01: the day before it is OTHER's, from that day BANK's.
    after = {r["contract_no"] for r in risk_watch(con, date(2025, 7, 1), bank=BANK)}
    assert after == {"R1", "R2", "R3"}
    assert all(r["contract_no"] != "R4" and r["item_no"] != P_REL for r in watch(con, DAY))  # released 2025-06-01
    with pytest.raises(ValueError):
        risk_watch(con, DAY, within_days=-1)


def test_daily_export(wh, tmp_path):
    from hvpatent.cli.main import app

    wh.con.execute("CHECKPOINT")  # a copy: the CLI opens its own read-only connection
    path = str(shutil.copy(wh.path, tmp_path / "copy.duckdb"))
    runner = CliRunner()
    out = tmp_path / "risk.xlsx"
    done = runner.invoke(app, ["--db", path, "bank", "risk", "--bank", BANK, "--as-of", "2025-06-30", "--out",
                               str(out)])
    assert done.exit_code == 0, done.output
    ws = load_workbook(out).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("风险等级", "风险类型", "期限", "质押登记号") and rows[0][-1] == "处理建议"
    assert len(rows) == 1 + 9  # R1's five alerts and R2's four
    assert rows[1][:4] == ("高", "年费逾期（滞纳期内）", datetime(2025, 9, 1), "R1")  # a date cell
    en = runner.invoke(app, ["--lang", "en", "--db", path, "bank", "risk", "--bank", BANK, "--as-of", "2025-06-30",
                             "--format", "csv"])
    assert en.exit_code == 0 and en.output.splitlines()[0].startswith("severity,kind,deadline")
    assert "Civil Code art. 444" in en.output
    js = runner.invoke(app, ["--db", path, "bank", "risk", "--bank", OTHER, "--as-of", "2025-06-30",
                             "--format", "json"])
    assert js.exit_code == 0 and {r["item_no"] for r in json.loads(js.output)} == {P_T3, P_T4}
    bad = runner.invoke(app, ["--db", path, "bank", "risk", "--region", "5001", "--as-of", "2025-06-30"])
    assert bad.exit_code == 2 and "区划代码无效" in bad.output
    assert runner.invoke(app, ["--db", path, "bank", "risk", "--within", "-3"]).exit_code == 2
    folder = runner.invoke(app, ["--db", path, "bank", "risk", "--as-of", "2025-06-30", "--out", str(tmp_path),
                                 "--format", "xlsx"])
    assert folder.exit_code == 2 and "无法写入" in folder.output
