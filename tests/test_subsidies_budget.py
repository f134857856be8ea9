"""Budget and what-if of the subsidies room (docs/subsidies.md, "Budget and what-if"): the year's spend by item, town,
industry and applicant type from hand-inserted ledger rows (with a finance-ledger interest subsidy), and the
next-year projection on a hand-built case (rules.eligible and cultivation.candidates patched), every figure worked
by hand."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import duckdb
import pytest

from hvpatent import cultivation
from hvpatent.subsidies import rules as rules_mod
from hvpatent.subsidies import whatif
from hvpatent.subsidies.budget import budget_version, spend
from hvpatent.subsidies.policy import Item, PolicyVersion, SubsidyPolicy
from hvpatent.warehouse.schema import create_statements

T1, T2 = "500118001000", "500118002000"   # 中山路街道, 胜利路街道 (Yongchuan)
D = Decimal


def item(id_: str, kind: str, *, amount=None, rate=None, amounts=None, criterion=None, budget=None) -> Item:
    return Item(id=id_, kind=kind, name_zh=f"{id_}（中）", name_en=f"{id_} (en)",
                subject="enterprise" if kind == "pledge_interest" else "patent",
                amount_yuan=None if amount is None else D(amount), rate=None if rate is None else D(rate),
                amounts={k: D(v) for k, v in (amounts or {}).items()}, criterion=criterion,
                budget_yuan=None if budget is None else D(budget))


def version(name: str, start: date, end: date | None, items: tuple[Item, ...], budget=None) -> PolicyVersion:
    return PolicyVersion(version=name, name_zh=name, name_en=name, effective_from=start, effective_to=end,
                         region="500118", source="test", items=items,
                         budget_yuan=None if budget is None else D(budget))


SPEND_ITEMS = (item("inv", "invention_grant", amount=5000, budget=20000),
               item("hv_sei", "high_value_criterion", amount=10000, criterion="sei"),
               item("pledge_int", "pledge_interest", rate="0.5"))
POLICY = SubsidyPolicy((version("V1", date(2023, 1, 1), None, SPEND_ITEMS, budget=1_000_000),), "test.yaml")


# -- spend ------------------------------------------------------------------------------------------------------------

def _ledger(duck, item_, subject, period, status, amount, town=None, industry=None, kind=None, clawback=None):
    duck.execute(
        "INSERT INTO subsidy_ledger (item, subject_key, period, subject_kind, event_key, policy_version, payee,"
        " payee_name, town_code, industry, applicant_type, computed_yuan, approved_yuan, status, trace, applied_at,"
        " applied_by, clawback_yuan) VALUES (?, ?, ?, 'patent', ?, 'V1', 'p', 'p', ?, ?, ?, ?, ?, ?, '[]', ?, 't', ?)",
        [item_, subject, period, f"{item_}:{subject}", town, industry, kind, amount,
         amount if status in ("approved", "paid", "clawed_back") else None, status, datetime(2024, 1, 1), clawback])


def _finance(duck, scheme, contract, period, status, amount, enterprise, town):
    trace = json.dumps([{"rule": "period", "facts": {}, "result": period, "ok": True},
                        {"rule": "local_pledgor", "facts": {"town_code": town, "region": "500118"}, "result": True,
                         "ok": True}])
    duck.execute(
        "INSERT INTO finance_ledger (scheme, contract_no, period, policy_version, enterprise, bank, claimed_yuan,"
        " computed_yuan, approved_yuan, status, trace, applied_at, applied_by) VALUES (?, ?, ?, 'F1', ?, 'b', ?, ?,"
        " ?, ?, ?, ?, 't')",
        [scheme, contract, period, enterprise, amount, amount, amount if status in ("approved", "paid") else None,
         status, trace, datetime(2024, 1, 1)])


@pytest.fixture(scope="module")
def duck():
    con = duckdb.connect()
    for statement in create_statements():
        con.execute(statement)
    _ledger(con, "inv", "A", "2024", "approved", 5000, T1, "1.1", "enterprise")
    _ledger(con, "inv", "B", "2024-Q2", "paid", 5000, T1, None, "university")
    _ledger(con, "inv", "C", "2024-H1", "clawed_back", 5000, T2, "1.1", "enterprise", clawback=2000)
    _ledger(con, "hv_sei", "A", "2024", "paid", 10000, T2, "1.1", "enterprise")
    _ledger(con, "old_item", "F", "2024-Q4", "paid", 300, None, None, "individual")
    _ledger(con, "inv", "D", "2023", "paid", 5000, T1, "1.1", "enterprise")          # another year
    _ledger(con, "inv", "E", "2024", "applied", 5000, T1, "1.1", "enterprise")       # not committed
    _ledger(con, "inv", "G", "2024-Q1", "rejected", 5000, T1, "1.1", "enterprise")   # not committed
    _ledger(con, "inv", "H", "2025", "paid", 5000, T1, "1.1", "enterprise")          # another year
    _finance(con, "interest_subsidy", "C1", "2024-Q1", "approved", 1200, "甲公司", T1)
    _finance(con, "interest_subsidy", "C2", "2024", "paid", 800, "乙科技有限公司", T2)
    _finance(con, "risk_compensation", "C3", "2024", "paid", 9999, "甲公司", T1)      # not a subsidy item
    _finance(con, "interest_subsidy", "C4", "2024-Q2", "applied", 700, "甲公司", T1)  # not committed
    _finance(con, "interest_subsidy", "C5", "2023", "paid", 600, "甲公司", T1)        # another year
    # 乙 settled by hand as a research institute: the settlement wins over the name rules (enterprise)
    con.execute("INSERT INTO applicant_categories VALUES ('乙科技有限公司', '乙科技有限公司', 'institute', 'settled',"
                " 't', ?)", [datetime(2024, 1, 1)])
    yield con
    con.close()


def _sums(row: dict) -> tuple:
    return (row["key"], row["count"], row["committed_yuan"], row["paid_yuan"], row["clawed_back_yuan"],
            row["net_yuan"], row["budget_yuan"], row["remaining_yuan"])


def test_spend_by_item_with_the_policy_budgets(duck):
    rows = spend(duck, 2024, by="item", policy=POLICY)
    assert [_sums(r) for r in rows] == [
        # inv: A approved 5000; B paid 5000; C paid 5000 of which 2000 clawed back → net 13000 of 20000
        ("inv", 3, D(5000), D(10000), D(2000), D(13000), D(20000), D(7000)),
        ("hv_sei", 1, D(0), D(10000), D(0), D(10000), None, None),
        # the finance ledger's interest subsidies: C1 approved 1200, C2 paid 800
        ("pledge_int", 2, D(1200), D(800), D(0), D(2000), None, None),
        ("old_item", 1, D(0), D(300), D(0), D(300), None, None),
        ("total", 7, D(6200), D(21100), D(2000), D(25300), D(1_000_000), D(974700)),
    ]
    assert (rows[0]["label_zh"], rows[0]["label_en"]) == ("inv（中）", "inv (en)")
    assert (rows[3]["label_zh"], rows[3]["label_en"]) == ("old_item", "old_item")   # in no version: its id
    assert (rows[-1]["label_zh"], rows[-1]["label_en"]) == ("合计", "Total")


def test_spend_by_item_lists_unspent_items_and_without_a_policy_none(duck):
    rows = spend(duck, 2023, by="item", policy=POLICY)   # 2023: inv D paid 5000, C5 paid 600
    assert [_sums(r) for r in rows] == [
        ("inv", 1, D(0), D(5000), D(0), D(5000), D(20000), D(15000)),
        ("hv_sei", 0, D(0), D(0), D(0), D(0), None, None),
        ("pledge_int", 1, D(0), D(600), D(0), D(600), None, None),
        ("total", 2, D(0), D(5600), D(0), D(5600), D(1_000_000), D(994400))]
    plain = spend(duck, 2024, by="item")
    assert [(r["key"], r["net_yuan"], r["budget_yuan"]) for r in plain] == [
        ("hv_sei", D(10000), None), ("inv", D(13000), None), ("old_item", D(300), None),
        ("pledge_interest", D(2000), None), ("total", D(25300), None)]


def test_spend_and_the_caps_count_the_same_interest_subsidies(duck):
    # the one rule (docs/subsidies.md): the finance ledger's approved and paid interest subsidies of the year are
    # the pledge_interest item's committed money, in spend() as in eligible() and at approval (finance_committed)
    counted = [(f["payee"], f["year"], f["version"], f["item"], f["amount_yuan"])
               for f in rules_mod.finance_committed(duck, POLICY) if f["year"] == "2024"]
    assert sorted(counted) == [("乙科技有限公司", "2024", "V1", "pledge_int", D("800.00")),
                               ("甲公司", "2024", "V1", "pledge_int", D("1200.00"))]
    [pledge] = [r for r in spend(duck, 2024, by="item", policy=POLICY) if r["key"] == "pledge_int"]
    assert pledge["net_yuan"] == sum(a for *_, a in counted) == D(2000)


def test_spend_by_town(duck):
    rows = spend(duck, 2024, by="town", policy=POLICY)
    assert [_sums(r)[:6] for r in rows] == [
        (T1, 3, D(6200), D(5000), D(0), D(11200)),          # inv A, inv B, finance C1
        (T2, 3, D(0), D(15800), D(2000), D(13800)),         # inv C, hv_sei A, finance C2
        ("", 1, D(0), D(300), D(0), D(300)),                # old_item F: placed in no town
        ("total", 7, D(6200), D(21100), D(2000), D(25300))]
    assert [r["label_zh"] for r in rows] == ["中山路街道", "胜利路街道", "未定位", "合计"]
    assert rows[2]["label_en"] == "not placed"
    assert rows[-1]["budget_yuan"] == D(1_000_000)


def test_spend_by_industry(duck):
    rows = spend(duck, 2024, by="industry")
    assert [_sums(r)[:6] for r in rows] == [
        ("1.1", 3, D(5000), D(15000), D(2000), D(18000)),   # inv A, inv C, hv_sei A
        ("", 4, D(1200), D(6100), D(0), D(7300)),           # inv B, old_item F, finance C1 and C2
        ("total", 7, D(6200), D(21100), D(2000), D(25300))]
    assert (rows[0]["label_zh"], rows[0]["label_en"]) == ("1.1 下一代信息网络产业", "SEI 1.1 (下一代信息网络产业)")


def test_spend_by_applicant_type(duck):
    rows = spend(duck, 2024, by="applicant_type")
    assert [_sums(r)[:6] for r in rows] == [
        ("enterprise", 4, D(6200), D(15000), D(2000), D(19200)),   # inv A, inv C, hv_sei A, 甲公司 (name rules)
        ("individual", 1, D(0), D(300), D(0), D(300)),
        ("institute", 1, D(0), D(800), D(0), D(800)),               # 乙 settled by hand
        ("university", 1, D(0), D(5000), D(0), D(5000)),
        ("total", 7, D(6200), D(21100), D(2000), D(25300))]
    assert (rows[0]["label_zh"], rows[0]["label_en"]) == ("工矿企业", "enterprise")
    assert (rows[2]["label_zh"], rows[2]["label_en"]) == ("科研单位", "research institute")


def test_spend_refuses_an_unknown_dimension(duck):
    with pytest.raises(ValueError, match=r"未知的分组.*unknown grouping 'bank'"):
        spend(duck, 2024, by="bank")


@pytest.mark.parametrize(("switch", "expected"), [
    (date(2024, 6, 30), "V2"), (date(2024, 7, 1), "V2"), (date(2024, 7, 2), "V1")])
def test_the_budget_version_is_the_one_in_force_on_1_july(switch, expected):
    from datetime import timedelta

    two = SubsidyPolicy((version("V1", date(2023, 1, 1), switch - timedelta(days=1), SPEND_ITEMS, budget=1),
                         version("V2", switch, None, SPEND_ITEMS, budget=2)), "t.yaml")
    assert budget_version(two, 2024).version == expected


def test_the_budget_version_when_no_version_is_in_force_on_1_july():
    ends = SubsidyPolicy((version("V1", date(2023, 1, 1), date(2024, 3, 31), SPEND_ITEMS),), "t.yaml")
    assert budget_version(ends, 2024).version == "V1"   # in force earlier in the year
    assert budget_version(ends, 2025) is None


# -- the projection ---------------------------------------------------------------------------------------------

B0_ITEMS = (item("inv", "invention_grant", amount=4000),
            item("hv_sei", "high_value_criterion", amount=8000, criterion="sei"))
B1_ITEMS = (item("inv", "invention_grant", amount=5000),
            item("hv_sei", "high_value_criterion", amount=10000, criterion="sei"),
            item("hv_fam", "high_value_criterion", amount=20000, criterion="family_abroad"),
            item("abroad", "grant_abroad", amounts={"US": 30000, "EP": 40000}))
V_ITEMS = (item("inv", "invention_grant", amount=6000),
           item("hv_sei", "high_value_criterion", amount=15000, criterion="sei"),     # +50 %
           item("hv_fam", "high_value_criterion", amount=20000, criterion="family_abroad"),  # unchanged
           item("hv_pledge", "high_value_criterion", amount=8000, criterion="pledge_high"))  # new: +100 %
BASE = SubsidyPolicy((version("B0", date(2023, 1, 1), date(2024, 3, 31), B0_ITEMS),
                      version("B1", date(2024, 4, 1), None, B1_ITEMS, budget=100_000)), "base.yaml")
VARIANT = SubsidyPolicy((version("X1", date(2025, 1, 1), None, V_ITEMS, budget=90_000),), "variant.yaml")


def _row(item_id, subject, amount, version_="B1", ok=True, event_key=None):
    return {"item": item_id, "subject_key": subject, "event_key": event_key or f"{item_id}:{subject}",
            "policy_version": version_, "amount_yuan": D(amount), "eligible": ok, "trace": []}


ELIGIBLE = [
    _row("inv", "A", 5000), _row("inv", "B", 2500),          # B cut by a cap to half
    _row("inv", "C", 0, ok=False),                           # not eligible: not an event of next year
    _row("inv", "D", 4000, version_="B0"),                   # judged by the older version (4000)
    _row("hv_sei", "A", 10000),
    _row("abroad", "A@US", 30000, event_key="grant_abroad:A:US"),
    _row("abroad", "A@EP", 20000, event_key="grant_abroad:A:EP"),   # cap per patent cut 40000 to 20000
]


def _candidate(app_no, kind, criterion, p, survival=1.0, effect="add", now=False):
    return {"app_no": app_no, "kind": kind, "criterion": criterion, "probability": p, "survival": survival,
            "effect": effect, "high_value_now": now}


CANDIDATES = [
    _candidate("P1", "pending_sei", "sei", 0.6),
    _candidate("P1", "family_abroad", "family_abroad", 0.4, survival=0.5),
    _candidate("P2", "pledge_near", "pledge_high", 0.95),                   # 0.95 × 1.1 → capped at 1
    _candidate("P3", "keep_alive", "sei", 0.9, effect="keep", now=True),    # already high-value: not new
    _candidate("P4", "milestone_10y", "maintained_10y", None),              # no rate known: 0
]


@pytest.fixture(scope="module")
def projected():
    calls: dict[str, tuple] = {}
    patch = pytest.MonkeyPatch()

    def eligible(con, policy, period, *, as_of=None, ledger=None, region=None, payee=None, items=None):
        calls["eligible"] = (policy, period, as_of, ledger, region)
        return ELIGIBLE

    def candidates(con, as_of, deadline, region=None):
        calls["candidates"] = (as_of, deadline, region)
        return CANDIDATES

    def population(con, region, day):
        calls["population"] = (region, day)
        return 200_000.0, "2025年末户籍人口 / year-end 2025 population"

    patch.setattr(rules_mod, "eligible", eligible)
    patch.setattr(cultivation, "candidates", candidates)
    patch.setattr(cultivation, "projected_population", population)
    try:
        yield whatif.projection(None, None, BASE, VARIANT, 2025, as_of=date(2025, 3, 1)), calls
    finally:
        patch.undo()


def test_projection_reads_the_basis_year_and_the_candidates_once(projected):
    result, calls = projected
    assert calls["eligible"] == (BASE, "2024", date(2024, 12, 31), None, None)
    assert calls["candidates"] == (date(2025, 3, 1), date(2025, 12, 31), "500118")
    assert calls["population"] == ("500118", date(2025, 12, 31))
    assert (result["year"], result["basis_year"], result["base_version"], result["variant_version"]) == (
        2025, 2024, "B1", "X1")


def test_projection_per_item(projected):
    result, _ = projected
    got = {e["item"]: (e["base_count"], e["base_yuan"], e["variant_count"], e["variant_yuan"])
           for e in result["items"]}
    assert got == {
        # A 5000 → 5000 | 6000; B 2500 (half) → 2500 | 3000; D 4000 under B0 → 5000 | 6000
        "inv": (3, D("12500.00"), 3, D("15000.00")),
        # 10000 → 15000, plus the response: sei 0.6 × 1.05 − 0.6 = 0.03 more, × 15000 = 450
        "hv_sei": (1, D("10000.00"), 1.03, D("15450.00")),
        "hv_fam": (0, D("0.00"), 0, D("0.00")),                 # unchanged reward: no response
        # per office: US 30000 at 30000, EP 20000 (capped) at 40000; missing in the variant: nothing
        "abroad": (2, D("50000.00"), 0, D("0.00")),
        # new in the variant: P2 from 0.95 to 1 (capped), 0.05 × 8000
        "hv_pledge": (0, D("0.00"), 0.05, D("400.00")),
    }
    assert [e["item"] for e in result["items"]] == ["inv", "hv_sei", "hv_fam", "abroad", "hv_pledge"]
    assert result["totals"] == {"base_count": 6, "base_yuan": D("72500.00"), "variant_count": 4.08,
                                "variant_yuan": D("30850.00"), "base_budget_yuan": D(100_000),
                                "variant_budget_yuan": D(90_000)}


def test_projection_high_value_effect(projected):
    result, _ = projected
    hv = result["high_value"]
    # base: P1 1 − (1 − 0.6)(1 − 0.4 × 0.5) = 0.68, P2 0.95 → 1.63
    # variant: P1 1 − (1 − 0.63)(1 − 0.2) = 0.704, P2 min(1, 1.045) = 1 → 1.704
    assert (hv["expected_base"], hv["expected_variant"]) == (pytest.approx(1.63), pytest.approx(1.704))
    # per 10,000 of 200,000 residents
    assert (hv["per_10k_base"], hv["per_10k_variant"]) == (pytest.approx(0.0815), pytest.approx(0.0852))
    assert hv["population"] == 200_000.0 and hv["candidates"] == 4
    assert any("0.1" in a and "assumed, not measured" in a and "假定值" in a for a in hv["assumptions"])
    assert any("year-end 2025 population" in a for a in hv["assumptions"])


def test_projection_elasticity_parameter(monkeypatch):
    monkeypatch.setattr(rules_mod, "eligible", lambda *a, **k: [])
    monkeypatch.setattr(cultivation, "candidates", lambda *a, **k: CANDIDATES[:1])
    monkeypatch.setattr(cultivation, "projected_population", lambda *a: (None, "none"))
    result = whatif.projection(None, None, BASE, VARIANT, 2025, as_of=date(2025, 3, 1), elasticity=0.5)
    hv = result["high_value"]
    # 0.6 × (1 + 0.5 × 0.5) = 0.75; no population: no per-10k figure
    assert (hv["expected_base"], hv["expected_variant"]) == (pytest.approx(0.6), pytest.approx(0.75))
    assert (hv["per_10k_base"], hv["per_10k_variant"]) == (None, None)
    assert [e["variant_count"] for e in result["items"] if e["item"] == "hv_sei"] == [0.15]


@pytest.mark.parametrize(("as_of", "basis"), [
    (date(2024, 12, 30), 2023), (date(2024, 12, 31), 2023), (date(2025, 1, 1), 2024), (date(2026, 5, 1), 2024)])
def test_the_basis_year_is_the_last_complete_year(as_of, basis):
    assert whatif.basis_year(2025, as_of) == basis


@pytest.mark.parametrize(("start", "expected"), [
    (date(2025, 6, 30), "X2"), (date(2025, 7, 1), "X2"), (date(2025, 7, 2), "X1")])
def test_the_projected_version_is_the_one_in_force_on_1_july(start, expected):
    from datetime import timedelta

    two = SubsidyPolicy((version("X1", date(2024, 1, 1), start - timedelta(days=1), V_ITEMS),
                         version("X2", start, None, V_ITEMS)), "v.yaml")
    assert whatif.projected_version(two, 2025).version == expected
    assert whatif.projected_version(BASE, 2022).version == "B1"   # none in force then: the latest


def test_price_by_level_grade_and_kind():
    demo = item("demo", "ip_demonstration", amounts={"national": 100000, "municipal": 30000})
    award = item("award", "china_patent_award", amounts={"金奖": 500000, "银奖": 300000})
    nav = item("nav", "navigation_project", amounts={"enterprise": 50000, "industry": 100000})
    # the amount step of the row's trace names what it was paid by (the event key's shape is not read: a
    # certificate-keyed recognition has no level in it)
    assert whatif.price(demo, {"event_key": "ip_demonstration:cert:ZS-1", "trace": [
        {"rule": "amount", "facts": {"level": "municipal", "amounts": {}}}]}) == D(30000)
    assert whatif.price(award, {"event_key": "award:CN1:银奖:2024", "trace": [
        {"rule": "amount", "facts": {"grade": "银奖"}}]}) == D(300000)
    abroad = item("abroad", "grant_abroad", amounts={"US": 40000, "JP": 30000})
    assert whatif.price(abroad, {"subject_key": "CN1@JP", "trace": []}) == D(30000)
    assert whatif.price(nav, {"event_key": "navigation:N1", "trace": [
        {"rule": "version", "facts": {}}, {"rule": "amount", "facts": {"project_kind": "industry"}}]}) == D(100000)
    assert whatif.price(nav, {"event_key": "navigation:N1", "trace": []}) is None
    assert whatif.price(None, {}) is None


def test_projection_counts_only_what_lands_in_the_projected_year(monkeypatch):
    """Assessed on 2024-03-01 for 2025: what is expected by the end of 2024 is not 2025's."""
    asked = []

    def candidates(con, as_of, deadline, region=None):
        asked.append((as_of, deadline))
        return CANDIDATES[:1] if deadline == date(2024, 12, 31) else CANDIDATES

    monkeypatch.setattr(rules_mod, "eligible", lambda *a, **k: [])
    monkeypatch.setattr(cultivation, "candidates", candidates)
    monkeypatch.setattr(cultivation, "projected_population", lambda *a: (None, "none"))
    result = whatif.projection(None, None, BASE, VARIANT, 2025, as_of=date(2024, 3, 1))
    hv = result["high_value"]
    assert sorted(asked) == [(date(2024, 3, 1), date(2024, 12, 31)), (date(2024, 3, 1), date(2025, 12, 31))]
    # base: 1.63 by the end of 2025 less P1's sei 0.6 by the end of 2024 = 1.03
    # variant: 1.704 less 0.6 × 1.05 = 0.63 → 1.074
    assert (hv["expected_base"], hv["expected_variant"]) == (pytest.approx(1.03), pytest.approx(1.074))
    # sei's extra rewards in 2025: (0.63 − 0.63) − (0.6 − 0.6) → no response left in the year for sei
    assert [e["variant_count"] for e in result["items"] if e["item"] == "hv_sei"] == [0]


@pytest.mark.parametrize(("as_of", "calls"), [(date(2024, 12, 30), 2), (date(2024, 12, 31), 1),
                                              (date(2025, 1, 1), 1)])
def test_the_year_before_is_read_only_when_its_window_is_not_empty(monkeypatch, as_of, calls):
    asked = []
    monkeypatch.setattr(rules_mod, "eligible", lambda *a, **k: [])
    monkeypatch.setattr(cultivation, "candidates", lambda con, a, d, region=None: asked.append(d) or [])
    monkeypatch.setattr(cultivation, "projected_population", lambda *a: (None, "none"))
    whatif.projection(None, None, BASE, VARIANT, 2025, as_of=as_of)
    assert len(asked) == calls
