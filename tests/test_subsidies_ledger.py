"""The subsidy ledger (docs/subsidies.md, "the ledger"): keys, each transition and each refusal, the event-key guard
across periods and policy versions, re-runs that add nothing, caps and budgets at their boundary, the payment batch
xlsx, clawbacks due at their boundaries, audit entries, and a property-based test that no sequence of applications,
re-runs, decisions, payments, clawbacks, version switches and imports pays an item or an event twice.

rules.eligible is stood in for by hand-built rows in the contract's shape (``cand``), so these tests judge the
ledger alone."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import duckdb
import ibis
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from hvpatent.subsidies import ledger as L
from hvpatent.subsidies import rules
from hvpatent.subsidies.ledger import SubsidyError
from hvpatent.subsidies.policy import Item, PolicyVersion, SubsidyPolicy
from hvpatent.warehouse.accounts import ACCOUNT_TABLES
from hvpatent.warehouse.schema import TABLES, WORKFLOW_TABLES

AS_OF = date(2025, 1, 15)
APP1, APP2, APP3 = "2020100000011.X", "2020100000022.7", "2020100000033.2"


def item(**changes) -> Item:
    base = Item(id="invention_grant", kind="invention_grant", name_zh="发明专利授权", name_en="Invention grant",
                subject="patent", amount_yuan=Decimal("1000"), clawback_lapse_years=2)
    return replace(base, **changes)


def version(name: str = "v1", items: tuple[Item, ...] | None = None, **changes) -> PolicyVersion:
    base = PolicyVersion(version=name, name_zh=name, name_en=name, effective_from=date(2020, 1, 1),
                         effective_to=None, region="500118", source="test", items=items or (item(),))
    return replace(base, **changes)


def policy(*versions: PolicyVersion) -> SubsidyPolicy:
    return SubsidyPolicy(versions=versions or (version(),), path="test.yaml")


POLICY = policy()


def cand(app_no: str = APP1, period: str = "2024", *, item_id: str = "invention_grant", amount: str = "1000",
         pv: str = "v1", payee: str = "甲公司", eligible: bool = True, event: str | None = None,
         subject: str | None = None, kind: str = "invention_grant", name: str | None = None) -> dict:
    """One eligible() row in the contract's shape."""
    return {
        "item": item_id, "item_kind": kind, "item_zh": "发明专利授权", "item_en": "Invention grant",
        "subject_kind": "patent", "subject_key": subject or app_no, "subject_name": name or f"专利 {app_no}",
        "app_no": app_no, "event_key": event or f"invention_grant:{app_no}", "event_date": date(2024, 3, 1),
        "period": period, "policy_version": pv, "payee": payee, "payee_name": payee, "town_code": "500118001",
        "industry": "1", "applicant_type": "enterprise", "gross_yuan": Decimal(amount),
        "amount_yuan": Decimal(amount) if eligible else Decimal(0), "eligible": eligible,
        "reasons": [] if eligible else ["patent_type"],
        "trace": [{"rule": "amount", "facts": {}, "result": amount, "ok": True, "note": None}],
        "ledger_status": None, "paid_via": "finance_ledger" if kind == "pledge_interest" else None}


class FakeEligible:
    """rules.eligible's stand-in: the rows given for each period (an "import" adds rows)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {}

    def __call__(self, con, policy, period, **kwargs) -> list[dict]:
        assert kwargs.get("ledger") is not None   # the ledger asks with itself, so caps count what it holds
        return [r for r in self.rows.get(period, [])
                if kwargs.get("items") is None or r["item"] in kwargs["items"]]


def new_duck() -> duckdb.DuckDBPyConnection:
    duck = duckdb.connect(":memory:")
    duck.execute(f"CREATE TABLE subsidy_ledger ({WORKFLOW_TABLES['subsidy_ledger']})")
    duck.execute(f"CREATE TABLE audit_log ({ACCOUNT_TABLES['audit_log']})")
    return duck


@pytest.fixture
def duck():
    con = new_duck()
    yield con
    con.close()


@pytest.fixture
def fake(monkeypatch) -> FakeEligible:
    stand_in = FakeEligible()
    monkeypatch.setattr(rules, "eligible", stand_in)
    return stand_in


def apply(duck, period: str = "2024", pol: SubsidyPolicy = POLICY, **kwargs) -> dict:
    return L.apply_items(duck, None, pol, period, as_of=AS_OF, by="clerk", **kwargs)


def key(app_no: str = APP1, period: str = "2024", item_id: str = "invention_grant") -> tuple[str, str, str]:
    return (item_id, app_no, period)


def status(duck, k) -> str | None:
    row = L._get(duck, k)
    return row and row["status"]


def audits(duck, action: str) -> list[str]:
    return [r[0] for r in duck.execute("SELECT detail FROM audit_log WHERE action = ? ORDER BY logged_at",
                                       [action]).fetchall()]


def to_paid(duck, k, pol: SubsidyPolicy = POLICY, batch: str = "B1") -> None:
    L.review(duck, [k], passed=True, by="reviewer")
    L.decide(duck, pol, [k], approve=True, by="approver")
    L.pay(duck, batch, by="cashier", keys=[k])


# -- keys ------------------------------------------------------------------------------------------------------

def test_key_text_and_parse_key_invert_each_other():
    assert L.key_text("grant_abroad", f"{APP1}@EP", "2024-Q2") == f"grant_abroad|{APP1}@EP|2024-Q2"
    assert L.parse_key(f"grant_abroad|{APP1}@EP|2024-Q2") == ("grant_abroad", f"{APP1}@EP", "2024-Q2")
    assert L.parse_key("ip_standard|甲|乙公司|2024") == ("ip_standard", "甲|乙公司", "2024")   # '|' in a name


@pytest.mark.parametrize("text", ["", "a|b", "|x|2024", "a||2024", "a|b|2024-Q5", "a|b|24", None])
def test_parse_key_refuses_bad_text(text):
    with pytest.raises(SubsidyError, match=r"ledger key|period"):
        L.parse_key(text)


# -- applications ----------------------------------------------------------------------------------------------

def test_apply_adds_eligible_rows_audited_and_a_rerun_adds_nothing(duck, fake):
    fake.rows["2024"] = [cand(APP1), cand(APP2, amount="500"), cand(APP3, eligible=False)]
    first = apply(duck)
    assert [r["subject_key"] for r in first["added"]] == [APP1, APP2]
    assert first["ineligible"] == [key(APP3)]
    row = L._get(duck, key(APP1))
    assert row["status"] == "applied" and row["computed_yuan"] == Decimal("1000.00") and row["applied_by"] == "clerk"
    assert row["approved_yuan"] is None and row["trace"][0]["rule"] == "amount"
    logged = audits(duck, "subsidy.apply")
    assert len(logged) == 2 and f"invention_grant|{APP1}|2024" in logged[0]
    again = apply(duck)
    assert again["added"] == [] and sorted(again["already"]) == [key(APP1), key(APP2)]
    assert duck.execute("SELECT count(*) FROM subsidy_ledger").fetchall()[0][0] == 2
    assert len(audits(duck, "subsidy.apply")) == 2


def test_apply_only_the_named_keys_and_reports_named_keys_not_eligible(duck, fake):
    fake.rows["2024"] = [cand(APP1), cand(APP2)]
    out = apply(duck, keys=[key(APP2), key(APP3)])
    assert [r["subject_key"] for r in out["added"]] == [APP2] and out["ineligible"] == [key(APP3)]
    assert status(duck, key(APP1)) is None


def test_pledge_interest_is_never_entered_here(duck, fake):
    fake.rows["2024"] = [cand("甲公司", item_id="pledge_interest", kind="pledge_interest",
                              event="pledge_interest:C1:2024")]
    out = apply(duck)
    assert out["finance_ledger"] == [("pledge_interest", "甲公司", "2024")] and out["added"] == []
    assert L.ledger_rows(duck) == []


def test_an_event_is_held_across_periods(duck, fake):
    fake.rows["2024"] = [cand(APP1, "2024")]
    fake.rows["2024-Q2"] = [cand(APP1, "2024-Q2")]   # the same grant seen again by a quarter's run
    apply(duck, "2024")
    out = apply(duck, "2024-Q2")
    assert out["added"] == [] and out["already"] == [key(APP1, "2024-Q2")]
    assert status(duck, key(APP1, "2024-Q2")) is None


def test_an_event_is_held_across_policy_versions_and_subjects(duck, fake):
    fake.rows["2024-H1"] = [cand(APP1, "2024-H1", pv="v1")]
    # a second version paying more, and an import that files the same event under another subject
    fake.rows["2024-H2"] = [cand(APP1, "2024-H2", pv="v2", amount="3000"),
                            cand(APP1, "2024-H2", pv="v2", subject=f"{APP1}@X", amount="3000")]
    apply(duck, "2024-H1")
    out = apply(duck, "2024-H2", policy(version(), version("v2")))
    assert out["added"] == [] and len(out["already"]) == 2


def test_two_rows_of_one_event_in_one_run_add_one(duck, fake):
    fake.rows["2024"] = [cand(APP1), cand(APP1, subject=f"{APP1}@copy")]
    out = apply(duck)
    assert len(out["added"]) == 1 and out["already"] == [(("invention_grant", f"{APP1}@copy", "2024"))]


def test_a_clawed_back_row_still_holds_its_event(duck, fake):
    fake.rows["2024"] = [cand(APP1)]
    fake.rows["2024-Q1"] = [cand(APP1, "2024-Q1")]
    apply(duck)
    to_paid(duck, key(APP1))
    L.claw_back(duck, key(APP1), by="auditor", reason="lapsed")
    assert apply(duck, "2024-Q1")["already"] == [key(APP1, "2024-Q1")]


def test_a_rejected_row_is_reopened_only_when_named(duck, fake):
    fake.rows["2024"] = [cand(APP1)]
    apply(duck)
    L.review(duck, [key(APP1)], passed=False, by="reviewer", note="材料不全")
    assert status(duck, key(APP1)) == "rejected"
    assert apply(duck)["already"] == [key(APP1)] and status(duck, key(APP1)) == "rejected"   # a re-run leaves it
    out = apply(duck, keys=[key(APP1)])
    assert [r["status"] for r in out["added"]] == ["applied"]
    assert out["added"][0]["reviewed_by"] is None and [s["rule"] for s in out["added"][0]["trace"]] == [
        "amount", "review", "reopen", "amount"]
    assert "re-opened" in audits(duck, "subsidy.apply")[-1]


def test_a_rejected_row_holds_its_event_against_other_keys(duck, fake):
    # a rejected grant does not come back through another period or subject, named or not; its own key re-opens
    fake.rows["2024"] = [cand(APP1)]
    fake.rows["2024-H1"] = [cand(APP1, "2024-H1"), cand(APP1, "2024-H1", subject=f"{APP1}@alt")]
    apply(duck)
    L.review(duck, [key(APP1)], passed=False, by="reviewer", note="期间有误")
    out = apply(duck, "2024-H1")
    assert out["added"] == [] and out["already"] == [key(APP1, "2024-H1"), ("invention_grant", f"{APP1}@alt",
                                                                               "2024-H1")]
    assert apply(duck, "2024-H1", keys=[key(APP1, "2024-H1")])["already"] == [key(APP1, "2024-H1")]
    assert [r["period"] for r in L.ledger_rows(duck)] == ["2024"]
    assert [r["status"] for r in apply(duck, keys=[key(APP1)])["added"]] == ["applied"]


def test_a_rejected_row_is_not_reopened_when_its_event_is_held_elsewhere(duck, fake):
    # a ledger from before the rule: a rejected row and a later live row of the same event
    fake.rows["2024"] = [cand(APP1)]
    apply(duck)
    L.review(duck, [key(APP1)], passed=False, by="reviewer", note="期间有误")
    duck.execute("INSERT INTO subsidy_ledger SELECT * REPLACE ('2024-Q1' AS period, 'applied' AS status)"
                 " FROM subsidy_ledger")
    assert apply(duck, keys=[key(APP1)])["already"] == [key(APP1)]
    assert status(duck, key(APP1)) == "rejected"


def test_a_bad_period_is_refused(duck, fake):
    with pytest.raises(SubsidyError, match="2024-Q9"):
        apply(duck, "2024-Q9")


# -- transitions -----------------------------------------------------------------------------------------------

@pytest.fixture
def applied(duck, fake):
    fake.rows["2024"] = [cand(APP1), cand(APP2, amount="500")]
    apply(duck)
    return duck


def test_the_whole_path_records_each_person_and_audits_each_step(applied):
    duck, k = applied, key(APP1)
    L.review(duck, [k], passed=True, by="li", note="ok")
    L.decide(duck, POLICY, [k], approve=True, by="li")   # the reviewer may approve too: both recorded
    paid = L.pay(duck, "2025-01", by="wang")
    assert [r["subject_key"] for r in paid] == [APP1]   # only the approved row, not the applied APP2
    row = L._get(duck, k)
    assert (row["status"], row["reviewed_by"], row["decided_by"], row["payment_batch"]) == ("paid", "li", "li",
                                                                                            "2025-01")
    assert row["approved_yuan"] == Decimal("1000.00") and isinstance(row["paid_at"], datetime)
    assert [s["rule"] for s in row["trace"]][-3:] == ["review", "decision", "payment"]
    back = L.claw_back(duck, k, by="zhao", reason="专利失效", amount_yuan="400")
    assert (back["status"], back["clawback_yuan"], back["clawback_by"]) == ("clawed_back", Decimal("400.00"), "zhao")
    for action in ("subsidy.review", "subsidy.decide", "subsidy.pay", "subsidy.clawback"):
        assert any(L.key_text(*k) in d for d in audits(duck, action)), action


def test_review_rejects_with_a_reason_only(applied):
    with pytest.raises(SubsidyError, match="reason"):
        L.review(applied, [key(APP1)], passed=False, by="li")
    L.review(applied, [key(APP1)], passed=False, by="li", note="非本区")
    row = L._get(applied, key(APP1))
    assert (row["status"], row["note"], row["reviewed_by"]) == ("rejected", "非本区", "li")


def test_deciding_an_unreviewed_row_is_refused(applied):
    with pytest.raises(SubsidyError, match="review it first"):
        L.decide(applied, POLICY, [key(APP1)], approve=True, by="li")
    assert status(applied, key(APP1)) == "applied"


def test_decide_rejects_with_a_reason(applied):
    L.review(applied, [key(APP1)], passed=True, by="li")
    with pytest.raises(SubsidyError, match="reason"):
        L.decide(applied, POLICY, [key(APP1)], approve=False, by="li")
    L.decide(applied, POLICY, [key(APP1)], approve=False, by="li", note="预算用尽")
    assert status(applied, key(APP1)) == "rejected"


@pytest.mark.parametrize("step", ["review", "decide", "pay"])
def test_a_paid_row_is_changed_by_nothing_but_a_clawback(applied, step):
    to_paid(applied, key(APP1))
    before = L._get(applied, key(APP1))
    with pytest.raises(SubsidyError, match="paid"):
        if step == "review":
            L.review(applied, [key(APP1)], passed=False, by="li", note="x")
        elif step == "decide":
            L.decide(applied, POLICY, [key(APP1)], approve=False, by="li", note="x")
        else:
            L.pay(applied, "B2", by="wang", keys=[key(APP1)])
    assert L._get(applied, key(APP1)) == before


def test_a_call_changes_all_its_keys_or_none(applied):
    with pytest.raises(SubsidyError, match="no such ledger row"):
        L.review(applied, [key(APP1), key(APP3)], passed=True, by="li")
    assert status(applied, key(APP1)) == "applied" and audits(applied, "subsidy.review") == []


def test_pay_refuses_unapproved_keys_an_empty_batch_and_a_used_name(applied):
    with pytest.raises(SubsidyError, match="nothing approved"):
        L.pay(applied, "B1", by="wang")
    with pytest.raises(SubsidyError, match="not approved"):
        L.pay(applied, "B1", by="wang", keys=[key(APP1)])
    to_paid(applied, key(APP1), batch="B1")
    L.review(applied, [key(APP2)], passed=True, by="li")
    L.decide(applied, POLICY, [key(APP2)], approve=True, by="li")
    with pytest.raises(SubsidyError, match="exists already"):
        L.pay(applied, "B1", by="wang")
    with pytest.raises(SubsidyError, match="1–60"):
        L.pay(applied, " ", by="wang")


def test_claw_back_only_a_paid_row_and_at_most_its_amount(applied):
    with pytest.raises(SubsidyError, match="only paid"):
        L.claw_back(applied, key(APP1), by="zhao", reason="x")
    to_paid(applied, key(APP1))
    for amount in ("1000.01", "0"):
        with pytest.raises(SubsidyError, match=r"at most the approved 1000\.00"):
            L.claw_back(applied, key(APP1), by="zhao", reason="x", amount_yuan=amount)
    with pytest.raises(SubsidyError, match="reason"):
        L.claw_back(applied, key(APP1), by="zhao", reason=" ")
    assert L.claw_back(applied, key(APP1), by="zhao", reason="x")["clawback_yuan"] == Decimal("1000.00")
    with pytest.raises(SubsidyError, match="only paid"):
        L.claw_back(applied, key(APP1), by="zhao", reason="again")


# -- caps and budgets --------------------------------------------------------------------------------------------

def _reviewed(duck, fake, amounts: dict[str, str], payees: dict[str, str] | None = None, period: str = "2024"):
    fake.rows[period] = [cand(a, period, amount=v, payee=(payees or {}).get(a, "甲公司")) for a, v in amounts.items()]
    apply(duck, period)
    L.review(duck, [key(a, period) for a in amounts], passed=True, by="li")


@pytest.mark.parametrize(("limits", "payees", "words"), [
    ({"item": {"budget_yuan": Decimal("3000")}}, {APP3: "乙公司"}, "item's budget"),
    ({"version": {"budget_yuan": Decimal("3000")}}, {APP3: "乙公司"}, "policy version's budget"),
    ({"item": {"cap_per_applicant_year_yuan": Decimal("3000")}}, {}, "item's cap per payee"),
    ({"version": {"cap_per_applicant_year_yuan": Decimal("3000")}}, {}, "policy version's cap per payee"),
])
def test_an_approval_may_reach_a_cap_or_budget_exactly_but_not_pass_it_by_a_cent(duck, fake, limits, payees, words):
    pol = policy(version(items=(item(**limits.get("item", {})),), **limits.get("version", {})))
    _reviewed(duck, fake, {APP1: "1000", APP2: "2000", APP3: "0.01"}, payees)
    L.decide(duck, pol, [key(APP1), key(APP2)], approve=True, by="li")   # 3000.00: exactly the limit
    with pytest.raises(SubsidyError, match=rf"invention_grant\|{APP3}\|2024: over the {words}.*cap 3000.00, "
                                           r"used 3000.00, this 0.01"):
        L.decide(duck, pol, [key(APP3)], approve=True, by="li")
    assert status(duck, key(APP3)) == "reviewed"


def test_the_cap_per_subject_spans_subjects_of_one_patent_and_years(duck, fake):
    """Grants abroad: at most 3000 per patent over every office and year."""
    abroad = item(id="grant_abroad", kind="grant_abroad", amount_yuan=None, cap_per_subject_yuan=Decimal("3000"),
                  amounts={"EP": Decimal("2000"), "US": Decimal("2000")})
    pol = policy(version(items=(abroad,)))
    fake.rows["2024"] = [cand(APP1, "2024", item_id="grant_abroad", kind="grant_abroad", amount="2000",
                              subject=f"{APP1}@EP", event=f"grant_abroad:{APP1}:EP")]
    fake.rows["2025"] = [cand(APP1, "2025", item_id="grant_abroad", kind="grant_abroad", amount="1000.01",
                              subject=f"{APP1}@US", event=f"grant_abroad:{APP1}:US")]
    for period, subject in (("2024", f"{APP1}@EP"), ("2025", f"{APP1}@US")):
        apply(duck, period, pol)
        L.review(duck, [("grant_abroad", subject, period)], passed=True, by="li")
    L.decide(duck, pol, [("grant_abroad", f"{APP1}@EP", "2024")], approve=True, by="li")
    with pytest.raises(SubsidyError, match=r"over the item's cap per subject: cap 3000\.00, used 2000\.00, "
                                           r"this 1000\.01"):
        L.decide(duck, pol, [("grant_abroad", f"{APP1}@US", "2025")], approve=True, by="li")


def test_one_cent_over_within_one_call_refuses_the_whole_call(duck, fake):
    pol = policy(version(items=(item(budget_yuan=Decimal("2999.99")),)))
    _reviewed(duck, fake, {APP1: "1000", APP2: "2000"})
    with pytest.raises(SubsidyError, match=rf"{APP2}.*cap 2999.99, used 1000.00, this 2000.00"):
        L.decide(duck, pol, [key(APP1), key(APP2)], approve=True, by="li")
    assert status(duck, key(APP1)) == "reviewed"


def test_caps_count_the_same_payee_and_year_less_clawbacks(duck, fake):
    pol = policy(version(items=(item(cap_per_applicant_year_yuan=Decimal("1500")),)))
    _reviewed(duck, fake, {APP1: "1000"})
    L.decide(duck, pol, [key(APP1)], approve=True, by="li")
    L.pay(duck, "B1", by="wang")
    # another payee, and the same payee in another year, do not count
    _reviewed(duck, fake, {APP2: "1500"}, {APP2: "乙公司"}, period="2024-Q1")
    _reviewed(duck, fake, {APP3: "1500"}, period="2025")
    L.decide(duck, pol, [key(APP2, "2024-Q1"), key(APP3, "2025")], approve=True, by="li")
    fake.rows["2024-Q4"] = [cand("2020100000044.8", "2024-Q4", amount="1000")]
    apply(duck, "2024-Q4")
    k4 = key("2020100000044.8", "2024-Q4")
    L.review(duck, [k4], passed=True, by="li")
    with pytest.raises(SubsidyError, match=r"used 1000\.00"):
        L.decide(duck, pol, [k4], approve=True, by="li")
    L.claw_back(duck, key(APP1), by="zhao", reason="失效", amount_yuan="400")   # 600 still counts
    with pytest.raises(SubsidyError, match=r"used 600\.00, this 1000\.00"):
        L.decide(duck, pol, [k4], approve=True, by="li")
    fake.rows["2024-Q3"] = [cand("2020100000055.3", "2024-Q3", amount="900")]   # 600 + 900: exactly the cap
    apply(duck, "2024-Q3")
    L.review(duck, [key("2020100000055.3", "2024-Q3")], passed=True, by="li")
    L.decide(duck, pol, [key("2020100000055.3", "2024-Q3")], approve=True, by="li")
    assert L._used(duck, "2024", item="invention_grant", payee="甲公司") == Decimal("1500.00")


def test_a_version_missing_from_the_policy_is_refused(applied):
    L.review(applied, [key(APP1)], passed=True, by="li")
    with pytest.raises(SubsidyError, match=r"'v1'.*cannot be checked"):
        L.decide(applied, policy(version("v9")), [key(APP1)], approve=True, by="li")


# -- ledger rows and the payment batch -------------------------------------------------------------------------

def test_ledger_rows_filters(duck, fake):
    fake.rows["2024-Q1"] = [cand(APP1, "2024-Q1")]
    fake.rows["2025"] = [cand(APP2, "2025", payee="乙公司")]
    apply(duck, "2024-Q1")
    apply(duck, "2025")
    assert [r["subject_key"] for r in L.ledger_rows(duck, period="2024")] == [APP1]
    assert [r["subject_key"] for r in L.ledger_rows(duck, payee="乙公司")] == [APP2]
    assert L.ledger_rows(duck, status="paid") == []
    with pytest.raises(SubsidyError, match="unknown status"):
        L.ledger_rows(duck, status="done")


def test_the_payment_batch_xlsx_has_headers_amounts_and_no_live_formula(duck, fake, tmp_path):
    evil = '=HYPERLINK("http://x/"&A1,"详情")'
    fake.rows["2024"] = [cand(APP1, amount="1000", payee=evil), cand(APP2, amount="2500.50")]
    apply(duck)
    keys = [key(APP1), key(APP2)]
    L.review(duck, keys, passed=True, by="li")
    L.decide(duck, POLICY, keys, approve=True, by="li")
    rows = L.pay(duck, "2025-批次1", by="wang")
    path = L.write_batch_xlsx(rows, tmp_path / "batch.xlsx", lang="en", batch="2025-批次1")
    book = load_workbook(path)
    sheet, summary = book.worksheets
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["Item", "Subject", "Name", "Period", "Payee"] and "Approved (yuan)" in header
    data = {r[1]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert data[APP1]["Approved (yuan)"] == 1000 and data[APP2]["Approved (yuan)"] == 2500.5
    assert data[APP1]["Payee"] == "'" + evil and data[APP1]["Status"] == "paid"
    assert data[APP1]["Payment batch"] == "2025-批次1"
    assert all(c.data_type != "f" for ws in book.worksheets for r in ws.iter_rows() for c in r)
    assert [c.value for c in summary[2]] == ["invention_grant", 2, 3500.5]
    zh = load_workbook(L.write_batch_xlsx(rows, tmp_path / "zh.xlsx")).worksheets[0]
    assert zh["A1"].value == "项目" and zh.title.startswith("资助奖励台账")


# -- clawbacks due ---------------------------------------------------------------------------------------------

PAID_AT = datetime(2024, 6, 30, 10, 0)   # + 2 years: the window's last day is 2026-06-30


def paid_row(app_no: str = APP1, item_id: str = "invention_grant", pv: str = "v1") -> dict:
    return {"item": item_id, "subject_key": app_no, "period": "2024", "app_no": app_no, "subject_kind": "patent",
            "policy_version": pv, "paid_at": PAID_AT, "status": "paid"}


@pytest.mark.parametrize(("lapse", "due"), [
    (date(2026, 6, 29), True), (date(2026, 6, 30), True), (date(2026, 7, 1), False),   # the window's end
    (date(2024, 3, 1), True),   # ended before payment (a lapse known later): paid for a right already gone
])
def test_a_lapse_within_the_items_years_of_payment_is_due(lapse, due):
    out = L.due_rows([paid_row()], POLICY, {APP1: ("lapsed", lapse)}, {})
    assert [(r["reason"], r["lapse_date"], r["limit_date"]) for r in out] == (
        [("lapse", lapse, date(2026, 6, 30))] if due else [])


def test_no_clawback_for_an_item_without_lapse_years_and_a_version_gone_is_listed():
    pol = policy(version(items=(item(clawback_lapse_years=None),)))
    assert L.due_rows([paid_row()], pol, {APP1: ("lapsed", date(2025, 1, 1))}, {}) == []
    # its clawback rules cannot be checked: listed for a person, not skipped
    for gone in (paid_row(pv="v9"), paid_row(item_id="gone")):
        assert [r["reason"] for r in L.due_rows([gone], POLICY, {}, {})] == ["version_missing"]


def with_notices(duck, *notices: tuple[str, date, str, date | None]) -> None:
    duck.execute(f"CREATE TABLE IF NOT EXISTS abnormal_notices ({TABLES['abnormal_notices']})")
    for app_no, day, outcome, outcome_date in notices:
        duck.execute("INSERT INTO abnormal_notices VALUES (?, ?, '2024年第3批', NULL, NULL, ?, ?, 'test')",
                     [app_no, day, outcome, outcome_date])


@pytest.mark.parametrize(("notice", "due"), [
    (date(2025, 1, 14), True), (date(2025, 1, 15), True), (date(2025, 1, 16), False),   # around as_of
    (date(2023, 3, 1), True),   # long before the payment (issued between assessment and payment): still due
])
def test_a_standing_abnormal_notice_on_as_of_is_due_whatever_its_day(duck, fake, monkeypatch, notice, due):
    fake.rows["2024"] = [cand(APP1), cand(APP2)]
    apply(duck)
    for k in (key(APP1), key(APP2)):
        to_paid(duck, k, batch=f"B{k[1]}")
    with_notices(duck, (APP1, notice, "notified", None),
                 (APP2, date(2024, 1, 1), "overturned", date(2024, 2, 1)))   # overturned: not standing
    monkeypatch.setattr(L, "patent_ends", lambda con, app_nos, as_of: {})
    cursor = duck.cursor()
    out = L.clawbacks_due(duck, ibis.duckdb.from_connection(cursor), POLICY, AS_OF)
    cursor.close()
    assert [(r["subject_key"], r["reason"], r["notice_date"], r["batch"]) for r in out] == (
        [(APP1, "abnormal", notice, "2024年第3批")] if due else [])
    not_excluded = policy(version(items=(item(exclude_abnormal=False),)))
    abnormal = {APP1: {"notice_date": notice, "outcome": "notified", "batch": "b"}}
    assert L.due_rows(L.ledger_rows(duck, status="paid"), not_excluded, {}, abnormal) == []


ABNORMAL_STEP = {"rule": "abnormal", "facts": {}, "result": False, "ok": True, "note": None}


@pytest.mark.parametrize(("offset", "refused"), [(-1, True), (0, True), (1, False)])
def test_approval_and_payment_refuse_a_standing_abnormal_notice_on_the_day(duck, fake, offset, refused):
    today = date.today()
    fake.rows["2024"] = [{**cand(APP1), "trace": [ABNORMAL_STEP]}, {**cand(APP2), "trace": [ABNORMAL_STEP]}]
    apply(duck)
    L.review(duck, [key(APP1), key(APP2)], passed=True, by="li")
    L.decide(duck, POLICY, [key(APP2)], approve=True, by="li")   # approved before the notice
    with_notices(duck, (APP1, today + timedelta(days=offset), "notified", None),
                 (APP2, today + timedelta(days=offset), "upheld", today))
    if not refused:   # a notice dated tomorrow does not stand today
        L.decide(duck, POLICY, [key(APP1)], approve=True, by="li")
        assert {r["status"] for r in L.pay(duck, "B1", by="wang")} == {"paid"}
        return
    day = today + timedelta(days=offset)
    with pytest.raises(SubsidyError, match=rf"invention_grant\|{APP1}\|2024: application {APP1} was notified "
                                           rf"abnormal on {day} \(2024年第3批, notified\): it cannot be approved"):
        L.decide(duck, POLICY, [key(APP1)], approve=True, by="li")
    with pytest.raises(SubsidyError, match=rf"{APP2}.*upheld\): it cannot be paid"):
        L.pay(duck, "B1", by="wang")
    assert status(duck, key(APP1)) == "reviewed" and status(duck, key(APP2)) == "approved"
    # an item that does not exclude abnormal applications: approved (and a row without the abnormal step is paid)
    L.decide(duck, policy(version(items=(item(exclude_abnormal=False),))), [key(APP1)], approve=True, by="li")
    duck.execute("UPDATE subsidy_ledger SET trace = '[]'")
    assert len(L.pay(duck, "B2", by="wang")) == 2


def test_approval_counts_the_payees_interest_paid_through_the_finance_ledger(duck, fake):
    duck.execute(f"CREATE TABLE finance_ledger ({WORKFLOW_TABLES['finance_ledger']})")
    for contract, period, amount, status_, payee in (
            ("C1", "2024-Q1", "599000", "paid", "甲公司"), ("C2", "2024-Q2", "9999", "applied", "甲公司"),
            ("C3", "2024-Q1", "9999", "paid", "乙公司"), ("C4", "2023-Q4", "9999", "approved", "甲公司")):
        duck.execute("INSERT INTO finance_ledger VALUES ('interest_subsidy', ?, ?, 'f1', ?, '银行', ?, ?, ?, ?, '[]',"
                     " now(), 'test', NULL, NULL, NULL, NULL)", [contract, period, payee, amount, amount,
                                                                 None if status_ == "applied" else amount, status_])
    pledge = item(id="pledge", kind="pledge_interest", subject="enterprise", amount_yuan=None, rate=Decimal("1"))
    pol = policy(version(items=(item(), pledge), cap_per_applicant_year_yuan=Decimal("600000")))
    _reviewed(duck, fake, {APP1: "1000.01", APP2: "1000"})
    with pytest.raises(SubsidyError, match=r"over the policy version's cap per payee and year \(2024\): "
                                           r"cap 600000\.00, used 599000\.00, this 1000\.01"):
        L.decide(duck, pol, [key(APP1)], approve=True, by="li")
    L.decide(duck, pol, [key(APP2)], approve=True, by="li")   # 599,000 + 1,000: exactly the cap
    assert status(duck, key(APP2)) == "approved"


def test_clawbacks_due_reads_the_legal_state_lapse_day_not_expiry(warehouse, monkeypatch):
    from legal_fixtures import add_application

    # filed 2010-03-15, granted 2013; the annuity due 2019-03-15 unpaid, termination announced 2019-11-20:
    # the right ended on 2019-03-15 (legal/state.py).  A 2010 utility model expired at full term on 2020-03-15.
    lapsed = add_application(warehouse, date(2010, 3, 15), [(date(2013, 1, 10), "granted"),
                                                           (date(2019, 11, 20), "annuity_lapse")])
    expired = add_application(warehouse, date(2010, 3, 15), [(date(2011, 1, 10), "granted")],
                              patent_type="utility_model")
    valid = add_application(warehouse, date(2015, 3, 15), [(date(2017, 1, 10), "granted")])
    ends = L.patent_ends(warehouse.ibis(), [lapsed, expired, valid], date(2021, 1, 1))
    assert ends == {lapsed: ("lapsed", date(2019, 3, 15))}
    duck = warehouse.con
    fake = FakeEligible()
    monkeypatch.setattr(rules, "eligible", fake)
    monkeypatch.setattr(rules, "abnormal_applications", lambda con, as_of: {})
    fake.rows["2018"] = [cand(n, "2018") for n in (lapsed, expired, valid)]
    L.apply_items(duck, None, POLICY, "2018", as_of=date(2018, 12, 31), by="clerk")
    for n in (lapsed, expired, valid):
        L.review(duck, [key(n, "2018")], passed=True, by="li")
        L.decide(duck, POLICY, [key(n, "2018")], approve=True, by="li")
    L.pay(duck, "B2018", by="wang")
    duck.execute("UPDATE subsidy_ledger SET paid_at = TIMESTAMP '2017-03-15 09:00:00'")   # + 2 y = 2019-03-15
    assert [(r["subject_key"], r["lapse_date"]) for r in L.clawbacks_due(duck, warehouse.ibis(), POLICY,
                                                                          date(2021, 1, 1))] == [(lapsed,
                                                                                                  date(2019, 3, 15))]
    duck.execute("UPDATE subsidy_ledger SET paid_at = TIMESTAMP '2017-03-14 09:00:00'")   # window ends 2019-03-14
    assert L.clawbacks_due(duck, warehouse.ibis(), POLICY, date(2021, 1, 1)) == []


# -- the property: nothing is paid twice -----------------------------------------------------------------------

PERIODS = ("2024", "2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2024-H1", "2024-H2")
EVENTS = (APP1, APP2)
PROPERTY_POLICY = policy(version("v1"), version("v2", items=(item(amount_yuan=Decimal("2000")),)))

# an import: one event seen under one to three periods, subjects and policy versions
sighting = st.tuples(st.sampled_from(PERIODS), st.sampled_from(("", "@alt")), st.sampled_from(("v1", "v2")))
IMPORT = st.tuples(st.just("import"), st.sampled_from(EVENTS), st.lists(sighting, min_size=1, max_size=3))
RERUN = st.tuples(st.just("rerun"))         # every period an import filled, in turn
ADVANCE = st.tuples(st.just("advance"))     # the bureau reviews, approves and pays everything waiting
CLAW_BACK = st.tuples(st.just("claw_back"), st.integers(0, 20))
# The imports, re-runs, payments and clawbacks the property is most about come twice as often as the rest.
operation = st.one_of(
    IMPORT, IMPORT, RERUN, RERUN, ADVANCE, ADVANCE, CLAW_BACK, CLAW_BACK,
    # a run of a period (mostly one an import filled), of all its rows or of named keys
    st.tuples(st.just("apply"), st.integers(0, 20), st.booleans(), st.lists(st.sampled_from(EVENTS), max_size=3)),
    st.tuples(st.just("review"), st.booleans(), st.integers(0, 20)),
    st.tuples(st.just("decide"), st.booleans(), st.integers(0, 20)),
    st.tuples(st.just("pay"), st.integers(0, 20)),
)


def _run(duck: duckdb.DuckDBPyConnection, fake: FakeEligible, op: tuple, step: int) -> None:
    kind, *args = op
    rows = L.ledger_rows(duck)

    def pick(index: int, wanted: str) -> list[tuple[str, str, str]]:
        """The rows of the status: all of them for a third of the indexes, else one chosen by the index."""
        keys = [(r["item"], r["subject_key"], r["period"]) for r in rows if r["status"] == wanted]
        return keys if index < 7 else [keys[index % len(keys)]] if keys else []

    try:
        if kind == "import":   # the same event may show up under another period, subject or version
            app_no, sightings = args
            for period, alt, pv in sightings:
                amount = "1000" if pv == "v1" else "2000"
                fake.rows.setdefault(period, []).append(cand(app_no, period, pv=pv, amount=amount,
                                                             subject=app_no + alt))
        elif kind == "apply":
            index, named, apps = args
            filled = sorted(fake.rows) or list(PERIODS)
            period = filled[index % len(filled)]
            keys = [("invention_grant", a, period) for a in apps] if named else None
            L.apply_items(duck, None, PROPERTY_POLICY, period, as_of=AS_OF, by="clerk", keys=keys)
        elif kind == "rerun":
            for period in sorted(fake.rows):
                L.apply_items(duck, None, PROPERTY_POLICY, period, as_of=AS_OF, by="clerk")
        elif kind == "advance":
            _advance(duck, step)
        elif kind == "review":
            L.review(duck, pick(args[1], "applied"), passed=args[0], by="li", note="n")
        elif kind == "decide":
            L.decide(duck, PROPERTY_POLICY, pick(args[1], "reviewed"), approve=args[0], by="li", note="n")
        elif kind == "pay":
            L.pay(duck, f"B{step}", by="wang", keys=pick(args[0], "approved") or None)
        else:
            chosen = pick(args[0], "paid")
            if chosen:
                L.claw_back(duck, chosen[0], by="zhao", reason="r")
    except SubsidyError:
        pass   # a refusal is fine: the property is about what the ledger holds


def _advance(duck: duckdb.DuckDBPyConnection, step: int) -> None:
    def waiting(wanted: str) -> list[tuple[str, str, str]]:
        return [(r["item"], r["subject_key"], r["period"]) for r in L.ledger_rows(duck, status=wanted)]

    L.review(duck, waiting("applied"), passed=True, by="li")
    L.decide(duck, PROPERTY_POLICY, waiting("reviewed"), approve=True, by="li")
    if waiting("approved"):
        L.pay(duck, f"A{step}", by="wang")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(operation, min_size=3, max_size=30))
# the longest chain random search seldom finds: an event paid, clawed back, then seen again under another period
@example(ops=[("import", APP1, [("2024", "", "v1"), ("2024-Q1", "@alt", "v2")]), ("rerun",), ("advance",),
              ("claw_back", 0), ("rerun",), ("apply", 1, True, [APP1])])
def test_no_sequence_pays_an_item_or_an_event_twice(monkeypatch, ops):
    fake = FakeEligible()
    monkeypatch.setattr(rules, "eligible", fake)
    duck = new_duck()
    try:
        for step, op in enumerate(ops):
            _run(duck, fake, op, step)
            held = duck.execute("SELECT event_key, count(*), sum(approved_yuan) FROM subsidy_ledger"
                                " WHERE status IN ('applied', 'reviewed', 'approved', 'paid', 'clawed_back')"
                                " GROUP BY event_key").fetchall()
            assert all(n == 1 for _, n, _ in held), held
            # a rejected row holds its event too: no other key of it is ever added
            rows = duck.execute("SELECT event_key, count(*) FROM subsidy_ledger GROUP BY event_key").fetchall()
            assert all(n == 1 for _, n in rows), rows
            paid = duck.execute("SELECT event_key, count(*), max(approved_yuan) FROM subsidy_ledger"
                                " WHERE status IN ('paid', 'clawed_back') GROUP BY event_key").fetchall()
            # one payment per event, of at most one version's amount
            assert all(n == 1 and amount <= Decimal("2000") for _, n, amount in paid), paid
            keys = duck.execute("SELECT count(*), count(DISTINCT (item, subject_key, period))"
                                " FROM subsidy_ledger").fetchall()[0]
            assert keys[0] == keys[1]
    finally:
        duck.close()


def test_clawback_reasons_read_in_both_languages():
    from hvpatent.subsidies import clawback_words

    lapse = clawback_words({"reason": "lapse", "lapse_date": date(2025, 3, 1), "limit_date": date(2027, 6, 30)})
    assert "2025-03-01" in lapse[0] and "2027-06-30" in lapse[0] and "within the clawback term" in lapse[1]
    abnormal = clawback_words({"reason": "abnormal", "notice_date": date(2025, 1, 15), "batch": "2025-1"})
    assert abnormal[0].startswith("2025-01-15 被通报为非正常专利申请") and "(2025-1)" in abnormal[1]
    missing = clawback_words({"reason": "version_missing"})
    assert "人工核对" in missing[0] and "check by hand" in missing[1]
