"""Interest subsidies and risk compensation (docs/finance-subsidies.md): the policy file, the rules with hand-worked
amounts (each eligibility rule at its boundary), the ledger's states, and that no sequence of applications,
decisions, payments and re-applications pays a (scheme, contract, period) twice."""

from __future__ import annotations

import copy
import random
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml
from openpyxl import load_workbook

import world
from hvpatent.finance import (
    LedgerError,
    PolicyError,
    apply_claim,
    compute_claim,
    decide_claim,
    ledger_rows,
    load_policy,
    pay_claims,
)
from hvpatent.finance import ledger as ledger_mod
from hvpatent.finance.ledger import add_months, evaluate_claim, period_range, periods_overlap, write_ledger_xlsx
from hvpatent.finance.policy import parse_policy, policy_path
from hvpatent.ingest.fields import normalize_name
from hvpatent.model import Batch
from hvpatent.warehouse.accounts import create_account_tables
from hvpatent.warehouse.schema import WORKFLOW_TABLES
from hvpatent.warehouse.store import Warehouse

BUILTIN = yaml.safe_load(policy_path().read_text(encoding="utf-8"))
ICBC = "中国工商银行股份有限公司永川支行"   # not on the cooperation list
AS_OF = date(2026, 1, 15)


def policy(**changes):
    """The built-in policy with the first version's fields changed (dotted keys: interest_subsidy.cap_...)."""
    data = copy.deepcopy(BUILTIN)
    for key, value in changes.items():
        target = data["versions"][0]
        *path, last = key.split(".")
        for part in path:
            target = target[part]
        target[last] = value
    return parse_policy(data, "test.yaml")


POLICY = policy()


def facts(**changes) -> dict:
    """A local contract with a cooperating bank: 1,000,000 yuan, loan 2024-01-01 … 2025-01-01."""
    base = {"contract_no": "C1", "enterprise": "甲", "pledgee_norm": normalize_name(world.BANK),
            "amount_yuan": 1_000_000.0, "loan_start": date(2024, 1, 1), "loan_end": date(2025, 1, 1),
            "registered_date": date(2024, 1, 1), "released_date": None, "disposed_date": None,
            "town_code": "500118002000", "cooperating_bank": "重庆银行股份有限公司"}
    return {**base, **changes}


def failed(result: dict) -> list[str]:
    return [s["rule"] for s in result["trace"] if not s["ok"]]


# -- the policy file -------------------------------------------------------------------------------------------

def test_builtin_policy_loads_with_lpr_table():
    p = load_policy()
    assert p.version == "2024-01" and p.versions[0].interest_subsidy.share == 0.5
    assert p.lpr[0] == (date(2019, 8, 20), 4.25) and "LPR" in p.lpr_source
    # the LPR announced on 2024-10-21 (3.10 %) applies from that day, not the day before
    assert p.lpr_on(date(2024, 10, 20)) == (date(2024, 7, 22), 3.35)
    assert p.lpr_on(date(2024, 10, 21)) == (date(2024, 10, 21), 3.10)
    assert p.lpr_on(date(2024, 10, 22)) == (date(2024, 10, 21), 3.10)
    assert p.lpr_on(date(2019, 8, 19)) is None


def test_user_copy_replaces_builtin(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    from hvpatent.reference.userconfig import user_config_dir

    folder = user_config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    data = copy.deepcopy(BUILTIN)
    data["versions"][0]["version"] = "mine"
    (folder / "policy.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert load_policy().version == "mine"


@pytest.mark.parametrize(("key", "value", "field"), [
    ("interest_subsidy.share", 1.5, "versions[0].interest_subsidy.share"),
    ("interest_subsidy.min_loan_months", "six", "versions[0].interest_subsidy.min_loan_months"),
    ("risk_compensation.cap_per_contract_yuan", -1, "versions[0].risk_compensation.cap_per_contract_yuan"),
    ("region", "5001", "versions[0].region"),
    ("effective_from", "2024-13-01", "versions[0].effective_from"),
    ("cooperating_banks", [], "versions[0].cooperating_banks"),
])
def test_bad_policy_names_file_and_field(key, value, field):
    with pytest.raises(PolicyError) as err:
        policy(**{key: value})
    assert str(err.value).startswith(f"test.yaml: {field}:")


def test_bad_policy_file_named(tmp_path):
    bad = tmp_path / "policy.yaml"
    bad.write_text("versions: [", encoding="utf-8")
    with pytest.raises(PolicyError, match=str(bad)):
        load_policy(bad)
    data = copy.deepcopy(BUILTIN)
    data["lpr_1y"]["rates"][1]["from"] = date(2019, 1, 1)   # out of order
    with pytest.raises(PolicyError, match=r"lpr_1y\.rates"):
        parse_policy(data, "x.yaml")


def test_overlapping_versions_refused_and_the_version_in_force_applies():
    data = copy.deepcopy(BUILTIN)
    second = copy.deepcopy(data["versions"][0])
    second.update(version="2025-07", effective_from=date(2025, 7, 1))
    second["interest_subsidy"]["share"] = 0.3
    data["versions"].append(second)
    with pytest.raises(PolicyError, match="overlaps"):
        parse_policy(data, "x.yaml")
    data["versions"][0]["effective_to"] = date(2025, 6, 30)
    p = parse_policy(data, "x.yaml")
    assert p.version_on(date(2025, 6, 30)).version == "2024-01"
    assert p.version_on(date(2025, 7, 1)).version == "2025-07"
    # 2025-H2 ends 2025-12-31: the new version's 30 % share
    r = evaluate_claim("interest_subsidy", facts(loan_end=date(2026, 1, 1)), "2025-H2", 1_000_000, p)
    assert r["policy_version"] == "2025-07"
    assert next(s for s in r["trace"] if s["rule"] == "share")["facts"]["share"] == 0.3


# -- periods ---------------------------------------------------------------------------------------------------

def test_periods():
    assert period_range("2024") == (date(2024, 1, 1), date(2024, 12, 31))
    assert period_range("2024-Q1") == (date(2024, 1, 1), date(2024, 3, 31))
    assert period_range("2024-H2") == (date(2024, 7, 1), date(2024, 12, 31))
    assert periods_overlap("2024", "2024-Q1") and periods_overlap("2024-H1", "2024-Q2")
    assert not periods_overlap("2024-H1", "2024-Q3") and not periods_overlap("2024", "2025-Q1")
    # full-width or other non-ASCII digits would store a second spelling of a year, which caps and budgets (that
    # compare the year's text) would not recognise as the same year
    for bad in ("2024-Q5", "24", "2024Q1", "2024-H3", "", "２０２４", "2０24", "２０２４-Q1", "٢٠٢٤"):
        with pytest.raises(LedgerError, match="period"):
            period_range(bad)
    assert add_months(date(2024, 3, 31), 6) == date(2024, 9, 30)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


# -- the interest subsidy, by hand ----------------------------------------------------------------------------

def test_interest_subsidy_full_year_by_hand():
    # LPR on 2024-01-01: 3.45 % (announced 2023-08-21).  Days in 2024 from 2024-01-01 until before 2025-01-01: 366.
    # At the LPR: 1,000,000 × 3.45 % × 366 / 365 = 34,500 × 366 / 365 = 34,594.52; claimed 40,000 → basis 34,594.52;
    # × 50 % = 17,297.26.
    r = evaluate_claim("interest_subsidy", facts(), "2024", 40_000, POLICY)
    assert r["eligible"] and r["amount"] == 17_297.26 and r["policy_version"] == "2024-01"
    steps = {s["rule"]: s for s in r["trace"]}
    assert steps["lpr"]["result"] == 3.45 and steps["days"]["result"] == 366
    assert steps["interest_basis"]["facts"]["at_lpr"] == "34594.52" and steps["interest_basis"]["result"] == "34594.52"
    assert r["capped_by"] is None


def test_interest_basis_is_the_claim_when_lower():
    # Q1 2024: 2024-01-01 … 2024-03-31 = 91 days; at the LPR 34,500 × 91 / 365 = 8,601.37; claimed 8,000 is lower
    # → 8,000 × 50 % = 4,000.00
    r = evaluate_claim("interest_subsidy", facts(), "2024-Q1", 8_000, POLICY)
    assert r["amount"] == 4_000.00
    assert next(s for s in r["trace"] if s["rule"] == "interest_basis")["facts"]["at_lpr"] == "8601.37"


def test_days_stop_at_release_and_at_maturity():
    # released 2024-02-15: 2024-01-01 until before 2024-02-15 = 45 days; 34,500 × 45 / 365 = 4,253.42; × 50 % = 2,126.71
    r = evaluate_claim("interest_subsidy", facts(released_date=date(2024, 2, 15)), "2024-Q1", 99_999, POLICY)
    assert r["amount"] == 2_126.71
    # the loan starts 2024-11-01 and matures 2025-05-01: in 2024 the days 11-01 … 12-31 = 61;
    # LPR on 2024-11-01: 3.10 %; 1,000,000 × 3.10 % × 61 / 365 = 5,180.82; × 50 % = 2,590.41
    r = evaluate_claim("interest_subsidy", facts(loan_start=date(2024, 11, 1), loan_end=date(2025, 5, 1)), "2024",
                       99_999, POLICY)
    assert r["amount"] == 2_590.41


@pytest.mark.parametrize(("start", "percent", "days", "amount"), [
    # the day before the 2024-10-21 announcement: 3.35 %; days 10-20 … 12-31 = 73;
    # 1,000,000 × 3.35 % × 73 / 365 = 6,700.00 → × 50 % = 3,350.00
    (date(2024, 10, 20), 3.35, 73, 3_350.00),
    # the day itself: 3.10 %; 72 days; 31,000 × 72 / 365 = 6,115.07 → 3,057.535 → 3,057.54 (half-up)
    (date(2024, 10, 21), 3.10, 72, 3_057.54),
    # the day after: 3.10 %; 71 days; 31,000 × 71 / 365 = 6,030.14 → 3,015.07
    (date(2024, 10, 22), 3.10, 71, 3_015.07),
])
def test_lpr_change_on_the_announcement_day(start, percent, days, amount):
    loan = facts(loan_start=start, loan_end=date(2025, 10, 31), registered_date=date(2024, 10, 1))
    r = evaluate_claim("interest_subsidy", loan, "2024-Q4", 99_999, POLICY)
    steps = {s["rule"]: s["result"] for s in r["trace"]}
    assert (steps["lpr"], steps["days"], r["amount"]) == (percent, days, amount)


@pytest.mark.parametrize(("loan_end", "eligible"), [
    (date(2024, 9, 29), False),   # a day short of 6 months from 2024-03-31
    (date(2024, 9, 30), True),    # exactly 6 months (2024-03-31 + 6 months = 2024-09-30, no 31st)
    (date(2024, 10, 1), True),
])
def test_loan_term_boundary(loan_end, eligible):
    r = evaluate_claim("interest_subsidy", facts(loan_start=date(2024, 3, 31), loan_end=loan_end), "2024-H2", 9_999,
                       POLICY)
    assert r["eligible"] is eligible
    assert ("loan_term" in failed(r)) is (not eligible)
    if not eligible:
        assert r["amount"] == 0


def test_cap_reached_exactly_and_cut():
    # cap 20,000 per enterprise and year; the claim's subsidy 17,297.26 (test above)
    p = policy(**{"interest_subsidy.cap_per_enterprise_year_yuan": 20_000})
    # used 2,702.74 → left 17,297.26 = the subsidy: paid in full, no cut
    r = evaluate_claim("interest_subsidy", facts(), "2024", 40_000, p, used_yuan=2_702.74)
    assert r["amount"] == 17_297.26 and r["capped_by"] is None
    # used 2,702.75 → left 17,297.25: cut by one cent, and the trace says by which cap
    r = evaluate_claim("interest_subsidy", facts(), "2024", 40_000, p, used_yuan=2_702.75)
    assert r["amount"] == 17_297.25 and r["capped_by"] == "cap_enterprise_year"
    step = next(s for s in r["trace"] if s["rule"] == "cap_enterprise_year")
    assert step["facts"]["left"] == "17297.25" and step["note"]
    # cap used up: nothing left
    assert evaluate_claim("interest_subsidy", facts(), "2024", 40_000, p, used_yuan=20_000)["amount"] == 0


def test_not_local_not_cooperating_not_active():
    r = evaluate_claim("interest_subsidy", facts(town_code="110108001000"), "2024", 40_000, POLICY)
    assert not r["eligible"] and failed(r) == ["local_pledgor"]
    r = evaluate_claim("interest_subsidy", facts(town_code=None), "2024", 40_000, POLICY)
    assert failed(r) == ["local_pledgor"]
    r = evaluate_claim("interest_subsidy", facts(cooperating_bank=None, pledgee_norm=ICBC), "2024", 40_000, POLICY)
    assert failed(r) == ["cooperating_bank"]
    # registered on the period's last day: active in it; the day after: not
    assert evaluate_claim("interest_subsidy", facts(registered_date=date(2024, 12, 31)), "2024", 40_000,
                          POLICY)["eligible"]
    r = evaluate_claim("interest_subsidy", facts(registered_date=date(2025, 1, 1)), "2024", 40_000, POLICY)
    assert "active_in_period" in failed(r)
    # released on the period's first day: active (that day), but no interest day in it
    r = evaluate_claim("interest_subsidy", facts(released_date=date(2024, 4, 1)), "2024-Q2", 40_000, POLICY)
    assert failed(r) == ["days"]
    # before the policy: 2023 has no version in force
    r = evaluate_claim("interest_subsidy", facts(), "2023", 40_000, POLICY)
    assert failed(r) == ["policy_version"] and r["amount"] == 0
    r = evaluate_claim("interest_subsidy", facts(loan_start=None), "2024", 40_000, POLICY)
    assert failed(r) == ["loan_term"]


def test_no_recorded_amount_is_not_eligible():
    # a legacy contract line without an amount: refused with the reason, never an arithmetic error
    r = evaluate_claim("interest_subsidy", facts(amount_yuan=None), "2024", 40_000, POLICY)
    assert failed(r) == ["interest_basis"] and r["amount"] == 0
    r = evaluate_claim("risk_compensation", facts(amount_yuan=None, disposed_date=date(2025, 2, 1)), "2025", 9, POLICY)
    assert failed(r) == ["net_loss"] and r["amount"] == 0


def test_claim_must_be_positive_and_scheme_known():
    with pytest.raises(LedgerError, match="above 0"):
        evaluate_claim("interest_subsidy", facts(), "2024", 0, POLICY)
    with pytest.raises(LedgerError, match="unknown scheme"):
        evaluate_claim("subsidy", facts(), "2024", 10, POLICY)


# -- risk compensation, by hand -------------------------------------------------------------------------------

@pytest.mark.parametrize(("disposed", "eligible"), [
    (date(2024, 12, 31), False), (date(2025, 1, 1), True), (date(2025, 3, 31), True), (date(2025, 4, 1), False)])
def test_risk_compensation_disposal_within_the_period(disposed, eligible):
    # net loss 600,000 of a 1,000,000 loan × 70 % = 420,000
    r = evaluate_claim("risk_compensation", facts(disposed_date=disposed), "2025-Q1", 600_000, POLICY)
    assert r["eligible"] is eligible and r["amount"] == (420_000.0 if eligible else 0)


def test_risk_compensation_loss_and_cap():
    loan = facts(amount_yuan=4_000_000.0, disposed_date=date(2025, 2, 1))
    # net loss 2,500,000 × 70 % = 1,750,000 (under the 2,000,000 cap)
    assert evaluate_claim("risk_compensation", loan, "2025", 2_500_000, POLICY)["amount"] == 1_750_000
    # net loss 3,500,000 × 70 % = 2,450,000 → the cap per contract: 2,000,000
    r = evaluate_claim("risk_compensation", loan, "2025", 3_500_000, POLICY)
    assert r["amount"] == 2_000_000 and r["capped_by"] == "cap_contract"
    # a claimed loss above the loan counts as the loan: 1,000,000 × 70 % = 700,000
    r = evaluate_claim("risk_compensation", facts(disposed_date=date(2025, 2, 1)), "2025", 1_500_000, POLICY)
    assert r["amount"] == 700_000 and next(s for s in r["trace"] if s["rule"] == "net_loss")["result"] == "1000000.00"


# -- the registry's facts: a tiny world -------------------------------------------------------------------------

BANK_NORM = normalize_name(world.BANK)
CONTRACTS = [
    # contract, pledgor, pledgee, amount, loan start, loan end, registered, disposed, item
    ("C1", world.E1, world.BANK, 1_000_000, date(2024, 1, 1), date(2025, 1, 1), date(2024, 1, 1), None, world.A1),
    ("C2", world.E1, ICBC, 1_000_000, date(2024, 1, 1), date(2025, 1, 1), date(2024, 1, 1), None, world.A7),
    ("C3", world.P_BJ, world.BANK, 1_000_000, date(2024, 1, 1), date(2025, 1, 1), date(2024, 1, 1), None, world.A4),
    ("C4", world.E2, world.BANK, 2_000_000, date(2024, 3, 10), date(2025, 3, 10), date(2024, 3, 10),
     date(2025, 3, 10), world.A10),
    ("C5", world.E1, world.BANK, 500_000, date(2024, 7, 1), date(2025, 7, 1), date(2024, 7, 1), None, world.A5),
    # the pledge registered nine days after the loan started; the amount changed to 6,000,000 on 2024-06-01
    ("C6", world.E2, world.BANK, 5_000_000, date(2024, 4, 1), date(2025, 4, 1), date(2024, 4, 10), None, world.A3),
]
CHANGES = [{"contract_no": "C6", "change_date": date(2024, 6, 1), "field": "amount_yuan", "old_value": "5000000.00",
            "new_value": "6000000.00"}]


def add_contracts(w: Warehouse) -> None:
    """CONTRACTS into the world's registry (pledge_contracts and pledge_items), as the pledge importer stores them."""
    batch = Batch()
    batch.set("pledge_contracts", [
        {"contract_no": c, "pledgor": p, "pledgor_norm": normalize_name(p), "pledgee": b,
         "pledgee_norm": normalize_name(b), "amount_yuan": a, "loan_start": s, "loan_end": e,
         "registered_date": r, "released_date": None, "disposed_date": d, "source": "test"}
        for c, p, b, a, s, e, r, d, _ in CONTRACTS])
    batch.set("pledge_items", [{"contract_no": c, "item_kind": "patent", "item_no": i, "added_date": r,
                                "removed_date": None} for c, _, _, _, _, _, r, _, i in CONTRACTS])
    batch.set("pledge_changes", CHANGES)
    with w.import_transaction("pledges", "pledges", "test", "fixture") as tx:
        tx.add(batch, len(CONTRACTS))


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    """The world with CONTRACTS, closed (the CLI tests open it as `hvp` does)."""
    path = tmp_path_factory.mktemp("subsidies") / "w.duckdb"
    with Warehouse(path) as w:
        world.build(w)
        add_contracts(w)
    return path


@pytest.fixture()
def wh(db, registry_once):
    with Warehouse(db) as w:
        yield w


@pytest.fixture(scope="module")
def registry_once():
    """The registry's facts of each contract read once for the module (the registry's query takes seconds): the
    ledger tests below read the real facts, through a cache keyed without the connection."""
    real, seen = ledger_mod.contract_facts, {}

    def cached(con, contract_no, as_of):
        key = (ledger_mod.contract_numbers(contract_no), as_of)   # the same lookup however the number is typed
        if key not in seen:
            seen[key] = real(con, contract_no, as_of)
        return copy.deepcopy(seen[key])

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ledger_mod, "contract_facts", cached)
        yield seen


@pytest.fixture()
def fresh(wh):
    """The world's ledger (and the ledger's audit entries) emptied before and after a test."""
    empty = "DELETE FROM finance_ledger; DELETE FROM audit_log WHERE action LIKE 'finance.%'"
    wh.con.execute(empty)
    yield wh
    wh.con.execute(empty)


def test_compute_claim_reads_the_registry(wh):
    con = wh.ibis()
    c1 = compute_claim(con, "interest_subsidy", "C1", "2024", 40_000, policy=POLICY, as_of=AS_OF)
    # as test_interest_subsidy_full_year_by_hand: 17,297.26
    assert c1["eligible"] and c1["amount"] == 17_297.26
    assert c1["enterprise"] == normalize_name(world.E1) and c1["bank"] == BANK_NORM
    bank_step = next(s for s in c1["trace"] if s["rule"] == "cooperating_bank")
    assert bank_step["facts"]["matched"] == "重庆银行股份有限公司"   # the head office covers the 永川 branch
    c2 = compute_claim(con, "interest_subsidy", "C2", "2024", 40_000, policy=POLICY, as_of=AS_OF)
    assert not c2["eligible"] and failed(c2) == ["cooperating_bank"]
    c3 = compute_claim(con, "interest_subsidy", "C3", "2024", 40_000, policy=POLICY, as_of=AS_OF)
    assert failed(c3) == ["local_pledgor"]   # 张伟's patent places the pledgor in Beijing
    # 2,000,000 disposed 2025-03-10, net loss 1,200,000 × 70 % = 840,000
    c4 = compute_claim(con, "risk_compensation", "C4", "2025-Q1", 1_200_000, policy=POLICY, as_of=AS_OF)
    assert c4["eligible"] and c4["amount"] == 840_000
    missing = compute_claim(con, "interest_subsidy", "NOPE", "2024", 1, policy=POLICY, as_of=AS_OF)
    assert failed(missing) == ["contract"] and missing["amount"] == 0


def two_versions(later_banks: list[str]):
    """The built-in policy closed on 2024-12-31 (its banks: the head office 重庆银行股份有限公司 among them) and a
    version from 2025-01-01 listing only ``later_banks``."""
    data = copy.deepcopy(BUILTIN)
    data["versions"][0]["effective_to"] = date(2024, 12, 31)
    later = copy.deepcopy(data["versions"][0])
    later.update(version="2025-01", effective_from=date(2025, 1, 1), effective_to=None, cooperating_banks=later_banks)
    data["versions"].append(later)
    return parse_policy(data, "two.yaml")


def test_cooperating_bank_is_matched_against_the_version_in_force(wh):
    """C5's pledgee is the 永川 branch (world.BANK).  2024 lists the head office, 2025 the branch itself: each
    version's own entry is the match (all versions' lists together matched the head office first, and that entry,
    missing from 2025's list, failed the 2025 claim)."""
    con = wh.ibis()
    p = two_versions([world.BANK])
    h2 = compute_claim(con, "interest_subsidy", "C5", "2024-H2", 9_000, policy=p, as_of=AS_OF)
    bank = next(s for s in h2["trace"] if s["rule"] == "cooperating_bank")
    assert h2["policy_version"] == "2024-01" and bank["ok"] and bank["facts"]["matched"] == "重庆银行股份有限公司"
    h1 = compute_claim(con, "interest_subsidy", "C5", "2025-H1", 9_000, policy=p, as_of=AS_OF)
    bank = next(s for s in h1["trace"] if s["rule"] == "cooperating_bank")
    assert h1["policy_version"] == "2025-01" and h1["eligible"] and bank["facts"]["matched"] == BANK_NORM
    # 2025's list without the bank: not cooperating in 2025, though 2024's list has its head office
    h1 = compute_claim(con, "interest_subsidy", "C5", "2025-H1", 9_000, policy=two_versions([ICBC]), as_of=AS_OF)
    assert failed(h1) == ["cooperating_bank"]


def test_interest_days_start_at_the_registration():
    # the loan from 2024-01-01, the pledge registered 2024-03-01: Q1's days 03-01 … 03-31 = 31 (not 91);
    # 1,000,000 × 3.45 % × 31 / 365 = 34,500 × 31 / 365 = 2,930.14; × 50 % = 1,465.07
    r = evaluate_claim("interest_subsidy", facts(registered_date=date(2024, 3, 1)), "2024-Q1", 99_999, POLICY)
    steps = {s["rule"]: s for s in r["trace"]}
    assert steps["days"]["facts"]["from"] == "2024-03-01" and steps["days"]["result"] == 31
    assert r["amount"] == 1_465.07


def test_interest_split_at_an_amount_change_read_from_the_registry(wh):
    # C6: loan from 2024-04-01 (LPR 3.45 %), registered 2024-04-10 at 5,000,000, changed to 6,000,000 on 2024-06-01.
    # 2024-Q2 from 04-10 (the registration): 04-10 … 05-31 = 21 + 31 = 52 days at 5,000,000 and 06-01 … 06-30 =
    # 30 days at 6,000,000: 5,000,000 × 3.45 % × 52 / 365 = 24,575.342… and 6,000,000 × 3.45 % × 30 / 365 =
    # 17,013.698…; together 41,589.041… → 41,589.04; × 50 % = 20,794.52.  (The amount of the as-of day over the
    # whole quarter from the loan's start would give 6,000,000 × 3.45 % × 91 / 365 × 50 % = 25,804.11.)
    r = compute_claim(wh.ibis(), "interest_subsidy", "C6", "2024-Q2", 99_999, policy=POLICY, as_of=AS_OF)
    steps = {s["rule"]: s for s in r["trace"]}
    assert steps["days"]["result"] == 82 and steps["interest_basis"]["facts"]["at_lpr"] == "41589.04"
    assert steps["interest_basis"]["facts"]["segments"] == ["2024-04-10…2024-05-31: 5000000.00 × 52",
                                                            "2024-06-01…2024-06-30: 6000000.00 × 30"]
    assert r["eligible"] and r["amount"] == 20_794.52
    # 2024-Q3, all at the changed amount: 92 days; 6,000,000 × 3.45 % × 92 / 365 = 52,175.34; × 50 % = 26,087.67
    r = compute_claim(wh.ibis(), "interest_subsidy", "C6", "2024-Q3", 99_999, policy=POLICY, as_of=AS_OF)
    assert r["amount"] == 26_087.67
    assert next(s for s in r["trace"] if s["rule"] == "interest_basis")["facts"]["amount_yuan"] == "6000000.00"


def test_contract_number_found_however_typed(fresh):
    duck, con = fresh.con, fresh.ibis()
    assert ledger_mod.contract_numbers(" y2024 5000\u3000") == ("Y20245000", "y2024 5000")
    # lower case, spaces, full-width: the key C1 (ingest.contract_key), as test_compute_claim_reads_the_registry
    for typed in (" c1 ", "c 1", "ｃ１"):
        claim = compute_claim(con, "interest_subsidy", typed, "2024", 40_000, policy=POLICY, as_of=AS_OF)
        assert claim["contract_no"] == "C1" and claim["amount"] == 17_297.26
    row = apply_claim(duck, con, "interest_subsidy", "ｃ１", "2024", 40_000, policy=POLICY, as_of=AS_OF, by="a")
    assert row["contract_no"] == "C1"
    with pytest.raises(LedgerError, match="overlaps"):   # the same contract, however typed
        apply_claim(duck, con, "interest_subsidy", "c1", "2024-Q1", 1, policy=POLICY, as_of=AS_OF, by="a")
    assert [r["contract_no"] for r in ledger_rows(duck, contract_no="c 1")] == ["C1"]
    assert decide_claim(duck, "interest_subsidy", " c1", "2024", approve=True, by="admin",
                        policy=POLICY)["status"] == "approved"


def test_approval_refused_when_the_claims_version_is_gone(fresh):
    duck, con = fresh.con, fresh.ibis()
    apply_claim(duck, con, "interest_subsidy", "C1", "2024", 40_000, policy=POLICY, as_of=AS_OF, by="analyst")
    renamed = copy.deepcopy(BUILTIN)
    renamed["versions"][0]["version"] = "2024-01b"
    with pytest.raises(LedgerError, match=r"'2024-01' of the claim is no longer in x\.yaml"):
        decide_claim(duck, "interest_subsidy", "C1", "2024", approve=True, by="admin",
                     policy=parse_policy(renamed, "x.yaml"))
    assert ledger_rows(duck)[0]["status"] == "applied"   # nothing changed


def test_ledger_flow_never_pays_twice(fresh, tmp_path):
    duck, con = fresh.con, fresh.ibis()
    row = apply_claim(duck, con, "interest_subsidy", "C1", "2024", 40_000, policy=POLICY, as_of=AS_OF, by="analyst")
    assert row["status"] == "applied" and row["computed_yuan"] == 17_297.26 and row["policy_version"] == "2024-01"
    # re-applying while applied replaces the claim (a corrected interest figure): 30,000 → 15,000
    row = apply_claim(duck, con, "interest_subsidy", "C1", "2024", 30_000, policy=POLICY, as_of=AS_OF, by="analyst")
    assert row["computed_yuan"] == 15_000 and len(ledger_rows(duck)) == 1
    # an overlapping period of a live claim: refused
    with pytest.raises(LedgerError, match="overlaps"):
        apply_claim(duck, con, "interest_subsidy", "C1", "2024-Q1", 5_000, policy=POLICY, as_of=AS_OF, by="analyst")
    with pytest.raises(LedgerError, match="at most the computed"):
        decide_claim(duck, "interest_subsidy", "C1", "2024", approve=True, approved_yuan=15_000.01, by="admin",
                     policy=POLICY)
    row = decide_claim(duck, "interest_subsidy", "C1", "2024", approve=True, approved_yuan=14_000, by="admin",
                       policy=POLICY)
    assert row["status"] == "approved" and row["approved_yuan"] == 14_000
    with pytest.raises(LedgerError, match="already paid for this period"):
        apply_claim(duck, con, "interest_subsidy", "C1", "2024", 40_000, policy=POLICY, as_of=AS_OF, by="analyst")
    paid = pay_claims(duck, "2026-01 第1批", by="admin")
    assert [(r["contract_no"], r["status"], r["payment_batch"]) for r in paid] == [("C1", "paid", "2026-01 第1批")]
    # a re-run pays nothing twice: the same batch name, a new batch, a re-application, a decision — all refused
    with pytest.raises(LedgerError, match="exists already"):
        pay_claims(duck, "2026-01 第1批", by="admin")
    with pytest.raises(LedgerError, match="nothing approved"):
        pay_claims(duck, "2026-01 第2批", by="admin")
    with pytest.raises(LedgerError, match="already paid for this period"):
        apply_claim(duck, con, "interest_subsidy", "C1", "2024", 40_000, policy=POLICY, as_of=AS_OF, by="analyst")
    with pytest.raises(LedgerError, match="overlaps"):
        apply_claim(duck, con, "interest_subsidy", "C1", "2024-H2", 40_000, policy=POLICY, as_of=AS_OF, by="analyst")
    with pytest.raises(LedgerError, match="only an applied"):
        decide_claim(duck, "interest_subsidy", "C1", "2024", approve=False, reason="x", by="admin", policy=POLICY)
    # the next year is a period of its own
    row = apply_claim(duck, con, "interest_subsidy", "C1", "2025-Q1", 10_000, policy=POLICY, as_of=AS_OF, by="a")
    assert row["status"] == "rejected"   # the loan matured 2025-01-01: no interest day in 2025-Q1
    assert "days" in row["trace"][-1]["facts"]["failed"]
    actions = [r[0] for r in duck.execute("SELECT action FROM audit_log WHERE action LIKE 'finance.%'").fetchall()]
    assert actions.count("finance.apply") == 3 and actions.count("finance.decide") == 1
    assert actions.count("finance.pay") == 1
    out = write_ledger_xlsx(paid, tmp_path / "batch.xlsx", batch="2026-01 第1批")
    ws = load_workbook(out).worksheets[0]
    assert ws.cell(1, 2).value == "质押登记号" and ws.cell(2, 2).value == "C1" and ws.cell(2, 8).value == 14_000


def test_reject_needs_reason_and_reapply_after_rejection(fresh):
    duck, con = fresh.con, fresh.ibis()
    apply_claim(duck, con, "interest_subsidy", "C5", "2024-H2", 9_000, policy=POLICY, as_of=AS_OF, by="analyst")
    with pytest.raises(LedgerError, match="reason"):
        decide_claim(duck, "interest_subsidy", "C5", "2024-H2", approve=False, reason=" ", by="admin", policy=POLICY)
    row = decide_claim(duck, "interest_subsidy", "C5", "2024-H2", approve=False, reason="材料不全", by="admin",
                       policy=POLICY)
    assert row["status"] == "rejected" and row["trace"][-1]["facts"]["reason"] == "材料不全"
    # a rejected claim does not block an overlapping period, and can be re-applied
    apply_claim(duck, con, "interest_subsidy", "C5", "2024-Q3", 4_000, policy=POLICY, as_of=AS_OF, by="analyst")
    with pytest.raises(LedgerError, match="overlaps"):
        apply_claim(duck, con, "interest_subsidy", "C5", "2024-H2", 9_000, policy=POLICY, as_of=AS_OF, by="analyst")
    assert {r["period"]: r["status"] for r in ledger_rows(duck, contract_no="C5")} == {
        "2024-H2": "rejected", "2024-Q3": "applied"}
    assert [r["period"] for r in ledger_rows(duck, period="2024")] == ["2024-H2", "2024-Q3"]
    with pytest.raises(LedgerError, match="unknown status"):
        ledger_rows(duck, status="done")


def test_cap_counted_over_approved_and_paid_claims_of_the_enterprise(fresh):
    # cap 20,000 per enterprise and year; 甲 (E1) holds C1 and C5
    duck, con = fresh.con, fresh.ibis()
    p = policy(**{"interest_subsidy.cap_per_enterprise_year_yuan": 20_000})
    apply_claim(duck, con, "interest_subsidy", "C1", "2024", 40_000, policy=p, as_of=AS_OF, by="analyst")
    decide_claim(duck, "interest_subsidy", "C1", "2024", approve=True, by="admin", policy=p)   # 17,297.26
    # C5: 500,000 from 2024-07-01 (LPR 3.35 % since 2024-07-22? no: announced 2024-07-22, so 3.45 % on 07-01);
    # H2 = 184 days: 500,000 × 3.45 % × 184 / 365 = 8,695.89 → × 50 % = 4,347.95 (half-up of 4,347.945)
    # cap left 20,000 − 17,297.26 = 2,702.74 → cut
    row = apply_claim(duck, con, "interest_subsidy", "C5", "2024-H2", 99_999, policy=p, as_of=AS_OF, by="analyst")
    assert row["computed_yuan"] == 2_702.74
    assert next(s for s in row["trace"] if s["rule"] == "share")["result"] == "4347.95"
    # the cap is checked again on approval: approving more than is left is refused (the computed amount raised by
    # hand, as if 甲's other claim had been approved after this one was computed)
    duck.execute("UPDATE finance_ledger SET computed_yuan = 4347.95 WHERE contract_no = 'C5'")
    with pytest.raises(LedgerError, match="over the cap"):
        decide_claim(duck, "interest_subsidy", "C5", "2024-H2", approve=True, by="admin", policy=p)
    row = decide_claim(duck, "interest_subsidy", "C5", "2024-H2", approve=True, approved_yuan=2_702.74, by="admin",
                       policy=p)
    assert row["status"] == "approved"


def test_risk_compensation_once_per_contract(fresh):
    duck, con = fresh.con, fresh.ibis()
    apply_claim(duck, con, "risk_compensation", "C4", "2025-Q1", 1_200_000, policy=POLICY, as_of=AS_OF, by="a")
    with pytest.raises(LedgerError, match="overlaps"):
        apply_claim(duck, con, "risk_compensation", "C4", "2025", 1_200_000, policy=POLICY, as_of=AS_OF, by="a")
    with pytest.raises(LedgerError, match="overlaps"):   # another period entirely: still the same disposal
        apply_claim(duck, con, "risk_compensation", "C4", "2026", 1_200_000, policy=POLICY, as_of=AS_OF, by="a")
    with pytest.raises(LedgerError, match="no such pledge contract"):
        apply_claim(duck, con, "risk_compensation", "NOPE", "2025", 1, policy=POLICY, as_of=AS_OF, by="a")


def test_pay_named_keys_only(fresh):
    duck, con = fresh.con, fresh.ibis()
    apply_claim(duck, con, "interest_subsidy", "C1", "2024-Q1", 8_000, policy=POLICY, as_of=AS_OF, by="a")
    apply_claim(duck, con, "interest_subsidy", "C1", "2024-Q2", 8_000, policy=POLICY, as_of=AS_OF, by="a")
    for q in ("2024-Q1", "2024-Q2"):
        decide_claim(duck, "interest_subsidy", "C1", q, approve=True, by="admin", policy=POLICY)
    with pytest.raises(LedgerError, match="not approved"):
        pay_claims(duck, "B1", by="admin", keys=[("interest_subsidy", "C1", "2024-Q3")])
    paid = pay_claims(duck, "B1", by="admin", keys=[("interest_subsidy", "C1", "2024-Q1")])
    assert [r["period"] for r in paid] == ["2024-Q1"]
    assert {r["period"]: r["status"] for r in ledger_rows(duck)} == {"2024-Q1": "paid", "2024-Q2": "approved"}
    with pytest.raises(LedgerError, match="1–60"):
        pay_claims(duck, " ", by="admin")


# -- no sequence pays twice (seeded random sequences; hypothesis is not installed) ------------------------------

def _memory_ledger() -> duckdb.DuckDBPyConnection:
    duck = duckdb.connect()
    duck.execute(f"CREATE TABLE finance_ledger ({WORKFLOW_TABLES['finance_ledger']})")
    create_account_tables(duck)
    return duck


@pytest.mark.parametrize("seed", range(4))
def test_no_sequence_pays_twice(seed, monkeypatch):
    """Random applications, re-applications, approvals, rejections and payments over 2 contracts and overlapping
    periods: a paid row never changes, no two live claims of a contract overlap, and no day is paid twice."""
    rng = random.Random(seed)
    contracts = {"K1": facts(contract_no="K1", loan_end=date(2026, 1, 1)),
                 "K2": facts(contract_no="K2", enterprise="乙", loan_end=date(2026, 1, 1),
                             disposed_date=date(2025, 5, 5))}
    monkeypatch.setattr(ledger_mod, "contract_facts", lambda con, no, as_of: dict(contracts[no]))
    duck = _memory_ledger()
    periods = ["2024", "2024-H1", "2024-H2", "2024-Q1", "2024-Q2", "2024-Q3", "2025", "2025-Q2"]
    paid: dict[tuple, tuple] = {}
    batches = 0
    for _ in range(100):
        key = (rng.choice(ledger_mod.SCHEMES), rng.choice(list(contracts)), rng.choice(periods))
        known = [(r["scheme"], r["contract_no"], r["period"]) for r in ledger_rows(duck)]
        if known and rng.random() < 0.6:   # often a claim already in the ledger: a decision, a re-application
            key = rng.choice(known)
        op = rng.random()
        try:
            if op < 0.45:
                apply_claim(duck, None, *key, rng.choice([500, 5_000, 50_000]), policy=POLICY, as_of=AS_OF, by="t")
            elif op < 0.75:
                decide_claim(duck, *key, approve=rng.random() < 0.8, reason="r", by="t", policy=POLICY)
            else:
                batches += 1
                pay_claims(duck, f"B{batches}", by="t")
        except LedgerError:
            pass
        rows = ledger_rows(duck)
        for r in rows:
            k = (r["scheme"], r["contract_no"], r["period"])
            if k in paid:   # a paid row stays paid, with its amount and batch
                assert (r["status"], r["approved_yuan"], r["payment_batch"]) == paid[k]
            elif r["status"] == "paid":
                paid[k] = (r["status"], r["approved_yuan"], r["payment_batch"])
        assert len(paid) == sum(r["status"] == "paid" for r in rows)
        live = [r for r in rows if r["status"] in ("applied", "approved", "paid")]
        for i, a in enumerate(live):
            for b in live[i + 1:]:
                if (a["scheme"], a["contract_no"]) == (b["scheme"], b["contract_no"]):
                    assert a["scheme"] == "interest_subsidy" and not periods_overlap(a["period"], b["period"])
    assert paid, "the sequence paid something"   # the test exercises payment at all


def test_docs_cite_the_policy_sources():
    text = (Path(__file__).parents[1] / "docs" / "finance-subsidies.md").read_text(encoding="utf-8")
    assert "I407B6RS0538MT5O" in text and "chinamoney" in text


# -- the command line ------------------------------------------------------------------------------------------

def hvp(*args: str):
    from typer.testing import CliRunner

    from hvpatent.cli.main import app

    return CliRunner().invoke(app, ["--lang", "en", *args])


def test_cli_policy_compute_apply_approve_pay_ledger(db, registry_once, tmp_path):
    result = hvp("finance", "policy")
    assert result.exit_code == 0 and "2024-01" in result.output and "50%" in result.output
    base = ["--scheme", "interest_subsidy", "--contract", "c1", "--db", str(db)]   # typed in lower case: C1
    result = hvp("finance", "compute", *base, "--period", "2024", "--claimed", "40000", "--as-of", "2026-01-15",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"amount": 17297.26' in result.output          # as test_interest_subsidy_full_year_by_hand
    result = hvp("finance", "apply", *base, "--period", "2024", "--claimed", "40000", "--as-of", "2026-01-15",
                 "--by", "clerk")
    assert result.exit_code == 0 and "C1 2024: applied · 17,297.26" in result.output
    result = hvp("finance", "approve", *base, "--period", "2024", "--amount", "17297.27", "--by", "chief")
    assert result.exit_code == 2 and "at most the computed" in result.output   # named, no traceback
    assert hvp("finance", "approve", *base, "--period", "2024", "--by", "chief").exit_code == 0
    out = tmp_path / "batch.xlsx"
    result = hvp("finance", "pay", "--batch", "=HYPERLINK(1)", "--out", str(out), "--by", "chief", "--db", str(db))
    assert result.exit_code == 0 and "1 claims, 17,297.26 yuan" in result.output
    ws = load_workbook(out).worksheets[0]
    # the batch name, a formula as written, reaches the finance office as text
    assert ws.title.startswith("Payment batch") and ws.cell(2, 13).value == "'=HYPERLINK(1)"
    result = hvp("finance", "pay", "--batch", "again", "--out", str(tmp_path / "b2.xlsx"), "--by", "chief",
                 "--db", str(db))
    assert result.exit_code == 2 and "nothing approved" in result.output and not (tmp_path / "b2.xlsx").exists()
    result = hvp("finance", "apply", *base, "--period", "2024-Q4", "--claimed", "1", "--by", "clerk")
    assert result.exit_code == 2 and "overlaps" in result.output
    result = hvp("finance", "ledger", "--db", str(db), "--status", "paid", "--format", "json")
    assert result.exit_code == 0 and '"payment_batch": "=HYPERLINK(1)"' in result.output
    assert hvp("finance", "ledger", "--db", str(db), "--status", "done").exit_code == 2
    bad = tmp_path / "policy.yaml"
    bad.write_text("versions: []\n", encoding="utf-8")
    result = hvp("finance", "policy", "--policy", str(bad))
    assert result.exit_code == 2 and f"{bad}: versions" in result.output
