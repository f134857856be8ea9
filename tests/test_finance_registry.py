"""The pledge registry (finance/registry.py) on a hand-built registry, with answers worked out by hand.

Patents (first applicant, town, industry by IPC — indicators/industries.yaml):
  B1 甲 胜利路 H01M (new_energy) · B2 甲 胜利路 G06N (electronics) · B3 甲 胜利路 H01M (new_energy)
  B4 乙 来苏 A23L (consumer_goods) · B5 乙 来苏 A23L (consumer_goods) · B6 甲 胜利路 A01B (no industry)
Trademarks: T1 (乙, 来苏), T2 and T3 (丁, owner's address 来苏; 丁 is in the enterprise directory at 胜利路).
Contracts, all registered in 2024 (amounts in yuan):
  C1 甲 → 重庆银行永川支行 (BANK), B1 B2 B3, 10,000,000, 2024-01-15; changed 2024-06-01: amount 12,000,000
     and pledgee → 中国银行永川支行 (written with a space and full-width brackets, normalised when read)
  C2 乙 → 中国银行永川支行, B4 + T1 (mixed), 5,000,000, 2024-02-10
  C3 丁 → BANK, T2 + T3 (trademarks only), 2,000,000, 2024-02-20
  C4 乙 → 农商行永川支行, B5, 3,000,000, 2024-03-05, released 2024-09-30
  C5 甲 → 重庆银行江津支行, B6, 1,000,000, 2024-04-01, disposed 2024-10-10
  L1 (legacy: pledges lines only, no pledgor or pledgee) B1 B4, 4,000,000, 2023-07-01 — before the year.
"""

from __future__ import annotations

from datetime import date

import pytest

import world
from hvpatent.finance import registry
from hvpatent.finance.registry import (
    STAT_DIMENSIONS,
    bank_filter,
    contract_detail,
    contracts,
    contracts_on,
    items_on,
    pledge_statistics,
    pledge_total,
    statistics_contracts,
)
from hvpatent.ingest.fields import normalize_name
from hvpatent.model import Batch
from hvpatent.reference.regions import attribute

E1, E2, E3 = "重庆甲新能源科技有限公司", "重庆乙食品有限公司", "重庆丁酒业有限公司"
BANK = world.BANK  # 重庆银行股份有限公司永川支行
BOC_WRITTEN = "中国银行股份有限公司 永川支行（营业部）"
BOC = normalize_name(BOC_WRITTEN)  # 中国银行股份有限公司永川支行(营业部)
RCB = "重庆农村商业银行股份有限公司永川支行"
JIANGJIN = "重庆银行股份有限公司江津支行"
HEAD_OFFICE = "重庆银行股份有限公司"
SHENGLI, LAISU = "500118002000", "500118111000"
B1, B2, B3, B4, B5, B6 = (world.no(100 + i, 2020) for i in range(1, 7))
T1, T2, T3 = "40000001", "40000002", "40000003"
YEAR = (date(2024, 1, 1), date(2024, 12, 31))

PATENTS = [(B1, E1, world.SHENGLI, "H01M10/052"), (B2, E1, world.SHENGLI, "G06N3/08"),
           (B3, E1, world.SHENGLI, "H01M4/00"), (B4, E2, world.LAISU, "A23L7/10"),
           (B5, E2, world.LAISU, "A23L2/00"), (B6, E1, world.SHENGLI, "A01B1/00")]


def build_registry(wh) -> None:
    """The district of the module docstring, rows straight into the tables (as tests/world.py does)."""
    batch = Batch()
    batch.set("applications", [{"app_no": a, "patent_type": "invention", "filing_date": date(2020, 1, 1),
                                "title": f"质押专利{i}", "ipc_main": ipc, "family_id": None, "source": "test"}
                               for i, (a, _, _, ipc) in enumerate(PATENTS, 1)])
    batch.set("parties", [{"app_no": a, "seq": 1, "role": "applicant", "name": who, "name_norm": normalize_name(who),
                           "party_type": "enterprise", "address": addr, **attribute(addr).__dict__}
                          for a, who, addr, _ in PATENTS])
    batch.set("ipc_classes", [{"app_no": a, "seq": 1, "ipc": ipc, "is_main": True} for a, _, _, ipc in PATENTS])
    batch.set("legal_events", [{"app_no": a, "event_date": date(2021, 1, 1), "event_type": "granted",
                                "raw_text": "granted"} for a, _, _, _ in PATENTS])
    with wh.import_transaction("patents", "patents", "test", "fixture") as tx:
        tx.add(batch, len(PATENTS))

    def contract(no, pledgor, pledgee, amount, day, released=None, disposed=None):
        return {"contract_no": no, "pledgor": pledgor, "pledgor_norm": normalize_name(pledgor), "pledgee": pledgee,
                "pledgee_norm": normalize_name(pledgee), "amount_yuan": amount, "loan_start": day,
                "loan_end": date(day.year + 1, day.month, 1), "registered_date": day, "released_date": released,
                "disposed_date": disposed, "source": "test"}

    records = Batch()
    records.set("pledge_contracts", [
        contract("C1", E1, BANK, 10_000_000, date(2024, 1, 15)),
        contract("C2", E2, BOC_WRITTEN, 5_000_000, date(2024, 2, 10)),
        contract("C3", E3, BANK, 2_000_000, date(2024, 2, 20)),
        contract("C4", E2, RCB, 3_000_000, date(2024, 3, 5), released=date(2024, 9, 30)),
        contract("C5", E1, JIANGJIN, 1_000_000, date(2024, 4, 1), disposed=date(2024, 10, 10))])
    items = [("C1", "patent", B1), ("C1", "patent", B2), ("C1", "patent", B3), ("C2", "patent", B4),
             ("C2", "trademark", T1), ("C3", "trademark", T2), ("C3", "trademark", T3), ("C4", "patent", B5),
             ("C5", "patent", B6)]
    registered = {"C1": date(2024, 1, 15), "C2": date(2024, 2, 10), "C3": date(2024, 2, 20),
                  "C4": date(2024, 3, 5), "C5": date(2024, 4, 1)}
    records.set("pledge_items", [{"contract_no": no, "item_kind": kind, "item_no": item,
                                  "added_date": registered[no], "removed_date": None} for no, kind, item in items])
    records.set("pledge_changes", [
        {"contract_no": "C1", "change_date": date(2024, 6, 1), "field": "amount_yuan", "old_value": "10000000.00",
         "new_value": "12000000.00"},
        {"contract_no": "C1", "change_date": date(2024, 6, 1), "field": "pledgee", "old_value": BANK,
         "new_value": BOC_WRITTEN}])
    # the per-patent lines the importer writes beside its contracts, and one legacy contract with lines only
    lines = [(no, item) for no, kind, item in items if kind == "patent"]
    records.set("pledges", [{"contract_no": no, "app_no": item, "pledgor": None, "pledgee": None,
                             "amount_yuan": 1, "registered_date": registered[no]} for no, item in lines] + [
        {"contract_no": "L1", "app_no": app, "pledgor": None, "pledgee": None, "amount_yuan": 4_000_000,
         "registered_date": date(2023, 7, 1)} for app in (B1, B4)])
    records.set("trademarks", [
        {"reg_no": reg, "nice_class": 33, "mark_name": name, "mark_kind": "word", "is_gi": False, "is_madrid": False,
         "owner": who, "owner_norm": normalize_name(who), "owner_type": "enterprise", "address": world.LAISU,
         "province_code": "500000", "city_code": "500100", "county_code": "500118", "town_code": LAISU,
         "source": "test"} for reg, name, who in [(T1, "乙牌", E2), (T2, "丁酒", E3), (T3, "丁香", E3)]])
    records.set("enterprises", [{"name_norm": normalize_name(E3), "name": E3, "credit_code": None, "tags": None,
                                 "town_code": SHENGLI}])
    with wh.import_transaction("registry", "registry", "test", "fixture") as tx:
        tx.add(records, 0)
    from hvpatent.indicators import refresh_derived

    refresh_derived(wh)  # as `hvp import` does: first applicants and industry memberships stored


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    from hvpatent.warehouse.store import Warehouse

    wh = Warehouse(tmp_path_factory.mktemp("registry") / "registry.duckdb")
    build_registry(wh)
    yield wh.ibis()
    wh.close()


_ON: dict[tuple[int, date], dict[str, dict]] = {}


def on(con, day: date) -> dict[str, dict]:
    """contracts_on(day) by contract, asked once per day for the module's warehouse."""
    if (id(con), day) not in _ON:
        _ON[id(con), day] = {r["contract_no"]: r for r in contracts_on(con, day).to_pyarrow().to_pylist()}
    return _ON[id(con), day]


def stats(con, by: str, **kw) -> dict[str, tuple]:
    fields = ("contracts", "amount_yuan", "patents", "trademarks", "enterprises", "released", "disposed")
    return {r["group"]: tuple(r[f] for f in fields) for r in pledge_statistics(con, *YEAR, by=by, **kw)}


def test_contracts_take_the_legacy_lines_without_a_registry_row(con):
    rows = {r["contract_no"]: r for r in contracts(con).to_pyarrow().to_pylist()}
    assert set(rows) == {"C1", "C2", "C3", "C4", "C5", "L1"}  # C1…C5's own lines are not contracts again
    assert (rows["L1"]["pledgor"], rows["L1"]["pledgee"], rows["L1"]["amount_yuan"], rows["L1"]["source"]) == \
        ("", "", 4_000_000.0, "pledges")
    assert rows["C1"]["amount_yuan"] == 10_000_000.0  # as registered
    kinds = {(r["contract_no"], r["item_kind"]) for r in registry.items(con).to_pyarrow().to_pylist()}
    assert ("L1", "patent") in kinds and ("C3", "trademark") in kinds


def test_a_change_applies_from_its_day(con):
    before, day, after = on(con, date(2024, 5, 31)), on(con, date(2024, 6, 1)), on(con, date(2024, 6, 2))
    assert (before["C1"]["amount_yuan"], before["C1"]["pledgee_norm"]) == (10_000_000.0, BANK)
    for state in (day, after):
        assert (state["C1"]["amount_yuan"], state["C1"]["pledgee_norm"]) == (12_000_000.0, BOC)
        assert state["C1"]["pledgee"] == BOC_WRITTEN
        assert state["C1"]["registered_amount_yuan"] == 10_000_000.0
    assert "C1" not in on(con, date(2024, 1, 14)) and "C1" in on(con, date(2024, 1, 15))


def test_release_and_disposal_apply_from_their_day(con):
    assert on(con, date(2024, 9, 29))["C4"]["status"] == "active"
    assert on(con, date(2024, 9, 29))["C4"]["released_date"] is None
    assert on(con, date(2024, 9, 30))["C4"]["status"] == "released"
    assert on(con, date(2024, 10, 1))["C4"]["released_date"] == date(2024, 9, 30)
    assert [on(con, date(2024, 10, d))["C5"]["status"] for d in (9, 10, 11)] == ["active", "disposed", "disposed"]


def test_kinds_counts_and_the_pledgors_region(con):
    rows = on(con, date(2024, 12, 31))
    got = {no: (r["patents"], r["trademarks"], r["kind"], r["town_code"], r["region_source"], r["enterprise"])
           for no, r in rows.items()}
    assert got == {
        "C1": (3, 0, "patent", SHENGLI, "patent", E1),        # 甲's own patents place it
        "C2": (1, 1, "mixed", LAISU, "patent", E2),
        "C3": (0, 2, "trademark", SHENGLI, "directory", E3),  # the directory beats the marks' address (来苏)
        "C4": (1, 0, "patent", LAISU, "patent", E2),
        "C5": (1, 0, "patent", SHENGLI, "patent", E1),
        "L1": (2, 0, "patent", SHENGLI, "patent", E1),        # no pledgor: the first applicant of B1 (lowest number)
    }


def test_items_on_carry_the_contract_state(con):
    rows = items_on(con, date(2024, 10, 1)).to_pyarrow().to_pylist()
    assert {(r["contract_no"], r["item_no"], r["status"]) for r in rows if r["contract_no"] in ("C1", "C4")} == {
        ("C1", B1, "active"), ("C1", B2, "active"), ("C1", B3, "active"), ("C4", B5, "released")}
    assert {r["pledgee_norm"] for r in rows if r["contract_no"] == "C1"} == {BOC}


def test_bank_filter_exact_branch_and_head_office(con):
    def seen(bank, day):
        return sorted(bank_filter(contracts_on(con, day), bank).contract_no.to_pyarrow().to_pylist())

    assert seen(BANK, date(2024, 5, 31)) == ["C1", "C3"]   # C1 is the branch's until the change
    assert seen(BANK, date(2024, 6, 1)) == ["C3"]          # … and 中国银行's from its day
    assert seen(HEAD_OFFICE, date(2024, 12, 31)) == ["C3", "C5"]  # the head office sees 永川 and 江津
    assert seen(BOC_WRITTEN, date(2024, 12, 31)) == ["C1", "C2"]  # the bank name is normalised as stored
    assert seen("", date(2024, 12, 31)) == []                     # an account bound to no bank sees nothing
    assert seen("重庆银行股份有限公司永川", date(2024, 12, 31)) == ["C3"]  # a prefix of names, by design


# 2024, as of 2024-12-31 (C1 at its registered 10,000,000; L1 is 2023 and never counts):
#   period  2024-01: C1 → 1, 10,000,000, 3 patents · 2024-02: C2 C3 → 2, 7,000,000, 1 patent, 3 marks, 2 firms
#           2024-03: C4 → 1, 3,000,000, released 1 · 2024-04: C5 → 1, 1,000,000, disposed 1
#   bank    中国银行 (C1 by its change, C2) 15,000,000 · 农商行 C4 3,000,000 · 重庆银行永川 C3 2,000,000 · 江津 C5
#   enterprise 甲 C1 C5 11,000,000 · 乙 C2 C4 8,000,000 · 丁 C3 2,000,000
#   town    胜利路 C1 C3 C5 13,000,000 · 来苏 C2 C4 8,000,000
#   industry new_energy C1 (B1 B3 once) 10,000,000 · electronics C1 10,000,000 · consumer_goods C2 C4 8,000,000;
#            C3 (marks) and C5 (B6, no industry) in none; total 5 contracts 21,000,000, not the rows' 28,000,000.
def test_statistics_by_period(con):
    assert stats(con, "period") == {"2024-01": (1, 10_000_000.0, 3, 0, 1, 0, 0),
                                    "2024-02": (2, 7_000_000.0, 1, 3, 2, 0, 0),
                                    "2024-03": (1, 3_000_000.0, 1, 0, 1, 1, 0),
                                    "2024-04": (1, 1_000_000.0, 1, 0, 1, 0, 1)}
    assert [r["group"] for r in pledge_statistics(con, *YEAR)] == ["2024-01", "2024-02", "2024-03", "2024-04"]


def test_statistics_by_bank_enterprise_town(con):
    assert stats(con, "bank") == {BOC: (2, 15_000_000.0, 4, 1, 2, 0, 0), RCB: (1, 3_000_000.0, 1, 0, 1, 1, 0),
                                  BANK: (1, 2_000_000.0, 0, 2, 1, 0, 0), JIANGJIN: (1, 1_000_000.0, 1, 0, 1, 0, 1)}
    assert [r["group"] for r in pledge_statistics(con, *YEAR, by="bank")] == [BOC, RCB, BANK, JIANGJIN]
    assert pledge_statistics(con, *YEAR, by="bank")[0]["label"] == BOC_WRITTEN  # the name as last written
    assert stats(con, "enterprise") == {E1: (2, 11_000_000.0, 4, 0, 1, 0, 1), E2: (2, 8_000_000.0, 2, 1, 1, 1, 0),
                                        E3: (1, 2_000_000.0, 0, 2, 1, 0, 0)}
    assert stats(con, "town") == {SHENGLI: (3, 13_000_000.0, 4, 2, 2, 0, 1), LAISU: (2, 8_000_000.0, 2, 1, 1, 1, 0)}
    assert {r["group"]: r["label"] for r in pledge_statistics(con, *YEAR, by="town")} == {SHENGLI: "胜利路街道",
                                                                                          LAISU: "来苏镇"}


def test_statistics_by_industry_count_a_contract_once_per_industry(con):
    assert stats(con, "industry") == {"new_energy": (1, 10_000_000.0, 3, 0, 1, 0, 0),
                                      "electronics": (1, 10_000_000.0, 3, 0, 1, 0, 0),
                                      "consumer_goods": (2, 8_000_000.0, 2, 1, 1, 1, 0)}
    total = pledge_total(con, *YEAR)
    assert (total["contracts"], total["amount_yuan"], total["enterprises"]) == (5, 21_000_000.0, 3)


def test_statistics_kinds_split_like_cnipa(con):
    # patent: C1 C2 (mixed) C4 C5 = 19,000,000; trademark: C3 only; together the whole 5 / 21,000,000
    assert stats(con, "period", kind="patent")["2024-02"] == (1, 5_000_000.0, 1, 1, 1, 0, 0)
    assert pledge_total(con, *YEAR, kind="patent")["amount_yuan"] == 19_000_000.0
    assert pledge_total(con, *YEAR, kind="trademark")["contracts"] == 1
    assert stats(con, "bank", bank=HEAD_OFFICE) == {BANK: (1, 2_000_000.0, 0, 2, 1, 0, 0),
                                                    JIANGJIN: (1, 1_000_000.0, 1, 0, 1, 0, 1)}
    assert stats(con, "town", region=LAISU) == {LAISU: (2, 8_000_000.0, 2, 1, 1, 1, 0)}
    # one month: only what was registered in it; a change (C1 in June) is no new contract
    assert pledge_statistics(con, date(2024, 6, 1), date(2024, 6, 30)) == []
    assert stats(con, "period", kind="all") == stats(con, "period")


def test_drill_down_has_as_many_contracts_as_the_figure(con):
    for by in STAT_DIMENSIONS:
        for row in pledge_statistics(con, *YEAR, by=by)[:2]:  # the two largest groups: multi-item ones included
            listed = statistics_contracts(con, *YEAR, by=by, group=row["group"])
            assert len(listed) == row["contracts"] == len({r["contract_no"] for r in listed}), (by, row["group"])
            assert sum(r["registered_amount_yuan"] for r in listed) == row["amount_yuan"]
    every = statistics_contracts(con, *YEAR, by="industry")
    assert [r["contract_no"] for r in every] == ["C1", "C2", "C3", "C4", "C5"]  # no group: each once
    assert [r["contract_no"] for r in statistics_contracts(con, *YEAR, limit=2, offset=1)] == ["C2", "C3"]


def test_bad_arguments_are_named(con):
    with pytest.raises(ValueError, match="by must be one of"):
        pledge_statistics(con, *YEAR, by="month")
    with pytest.raises(ValueError, match="kind must be one of"):
        pledge_statistics(con, *YEAR, kind="copyright")
    with pytest.raises(ValueError, match="after end"):
        pledge_statistics(con, date(2024, 2, 1), date(2024, 1, 1))


def test_contract_detail(con):
    assert contract_detail(con, "C1", date(2024, 1, 14)) is None
    assert contract_detail(con, "nope", date(2024, 12, 31)) is None
    early = contract_detail(con, "C1", date(2024, 5, 31))
    assert early["changes"] == [] and early["pledgee_norm"] == BANK
    late = contract_detail(con, "C1", date(2024, 12, 31))
    assert [(i["item_no"], i["title"]) for i in late["items"]] == [(B1, "质押专利1"), (B2, "质押专利2"),
                                                                   (B3, "质押专利3")]
    assert [(h["date"], h["event"], h["field"]) for h in late["history"]] == [
        (date(2024, 1, 15), "registration", None), (date(2024, 6, 1), "change", "amount_yuan"),
        (date(2024, 6, 1), "change", "pledgee")]
    mixed = contract_detail(con, "C2", date(2024, 12, 31))
    assert {(i["item_kind"], i["item_no"], i["mark_name"]) for i in mixed["items"]} >= {("trademark", T1, "乙牌")}
    disposed = contract_detail(con, "C5", date(2024, 12, 31))
    assert disposed["history"][-1]["event"] == "disposed" and disposed["status"] == "disposed"


# Indicators (as of 2024-12-31, year 2024, Yongchuan): 专利权质押 = C1 C2 C4 C5 (mixed C2 included; released C4
# and disposed C5 still count in the year they were registered) = 4 contracts, 1,900万; 专利商标质押 adds C3:
# 5 contracts, 2,100万.  By town: 胜利路 C1 C5 1,100万 (C3 too for ip: 1,300万); 来苏 C2 C4 800万.
def test_indicators_count_contracts_by_the_pledgors_region(con):
    from hvpatent.indicators import Context, drill, grouped_values, value

    ctx = Context.create(con, YEAR[1], "year", "500118")
    assert (value(ctx, "pledge_count"), value(ctx, "pledge_amount")) == (4, 1900.0)
    assert (value(ctx, "ip_pledge_count"), value(ctx, "ip_pledge_amount")) == (5, 2100.0)

    def groups(key, by):
        return {r["group"]: r["value"] for r in grouped_values(ctx, key, by).to_pyarrow().to_pylist()}

    assert groups("pledge_amount", "town") == {SHENGLI: 1100.0, LAISU: 800.0}
    assert groups("ip_pledge_amount", "town") == {SHENGLI: 1300.0, LAISU: 800.0}
    assert groups("pledge_count", "industry") == {"new_energy": 1, "electronics": 1, "consumer_goods": 2}
    rows = drill(con, "ip_pledge_amount", YEAR[1], "500118")
    assert {r["contract_no"] for r in rows} == {"C1", "C2", "C3", "C4", "C5"}
    assert sum({r["contract_no"]: r["amount_yuan"] for r in rows}.values()) / 10_000 == 2100.0
    town_only = Context.create(con, YEAR[1], "year", LAISU)
    assert value(town_only, "ip_pledge_count") == 2  # C2 C4: the pledgor 乙 is in 来苏


def test_the_plan_target_reads_patent_and_trademark_pledges():
    from hvpatent.plan import load_plan

    target = next(t for t in load_plan().targets if t.key == "pledge_amount")
    assert target.indicator == "ip_pledge_amount"


def test_bulletin_sentence_names_both_pledge_figures():
    from hvpatent.reports.narrative import headline_sentences

    now = {"ip_pledge_count": 5, "ip_pledge_amount": 2100.0, "pledge_count": 4, "pledge_amount": 1900.0}
    text = "".join(headline_sentences(date(2024, 12, 31), "year", "永川区", now, {"ip_pledge_amount": 1400.0}))
    # 2,100 against 1,400 a year before: +50%
    assert text == "年内办理专利商标质押登记5笔，质押融资额2,100万元，同比增长50.0%，其中涉及专利权的4笔、1,900万元。"
    only_patents = "".join(headline_sentences(date(2024, 12, 31), "year", "永川区",
                                              {"ip_pledge_count": 1, "ip_pledge_amount": 800.0, "pledge_count": 1,
                                               "pledge_amount": 800.0}, {}))
    assert "办理专利权质押登记1笔" in only_patents and "专利商标" not in only_patents


# Names as a pledge record may write them: every kind of space Python's \s knows (NBSP, U+2000–200A, U+202F,
# U+205F, U+3000, tab, NEL, line separators), full-width brackets and punctuation, lower-case and full-width Latin,
# and the Latin letters whose upper case is two letters (ß → SS, ﬁ → FI).
ODD_NAMES = ["中国银行\u00a0永川支行", "中国银行\u3000永川支行（营业部）", "a\u2000b\u2005c\u200ad",
             "x\u202fy\u205fz\u1680w",
             "tab\there\nand\r\x0b\x0c\x1c\x1d\x1e\x1f", "nel\x85ls\u2028ps\u2029", "Bank of China，Ltd；X：Y",
             "Straße GmbH", "ﬁnance ﬂow ﬀ", "ｂａｎｋ　ａｇ", " ", "", "重庆银行股份有限公司 永川支行"]


def test_norm_is_normalize_name_on_every_name(con):
    """registry.norm (Ibis, used on legacy lines and on the pledgee/pledgor of a change) equals the importer's
    normalize_name, so a bank account (User.bank, normalised in Python) sees a contract moved to it by a change."""
    import ibis

    table = ibis.memtable({"i": list(range(len(ODD_NAMES))), "name": ODD_NAMES})
    got = dict(con.execute(table.select("i", n=registry.norm(table.name))).itertuples(index=False))
    assert [got[i] for i in range(len(ODD_NAMES))] == [normalize_name(n) for n in ODD_NAMES]
    assert got[0] == "中国银行永川支行" and got[7] == "STRASSEGMBH"


@pytest.fixture(scope="module")
def legacy_con(tmp_path_factory):
    """A legacy contract L2 with no amount on its line (an old warehouse), and C9 whose pledgee is changed on
    2024-06-01 to a name written with a no-break space."""
    from hvpatent.warehouse.store import Warehouse

    wh = Warehouse(tmp_path_factory.mktemp("legacy") / "legacy.duckdb")
    records = Batch()
    records.set("pledges", [
        {"contract_no": "L2", "app_no": B1, "pledgor": E1, "pledgee": BANK, "amount_yuan": None,
         "registered_date": date(2023, 7, 1)},
        {"contract_no": "C9", "app_no": B2, "pledgor": E1, "pledgee": BANK, "amount_yuan": 100,
         "registered_date": date(2024, 1, 15)}])
    records.set("pledge_contracts", [{"contract_no": "C9", "pledgor": E1, "pledgor_norm": normalize_name(E1),
                                      "pledgee": BANK, "pledgee_norm": BANK, "amount_yuan": 100, "loan_start": None,
                                      "loan_end": None, "registered_date": date(2024, 1, 15), "released_date": None,
                                      "disposed_date": None, "source": "test"}])
    records.set("pledge_items", [{"contract_no": "C9", "item_kind": "patent", "item_no": B2,
                                  "added_date": date(2024, 1, 15), "removed_date": None}])
    records.set("pledge_changes", [{"contract_no": "C9", "change_date": date(2024, 6, 1), "field": "pledgee",
                                    "old_value": BANK, "new_value": "中国银行股份有限公司\u00a0永川支行"}])
    with wh.import_transaction("registry", "registry", "test", "fixture") as tx:
        tx.add(records, 0)
    yield wh.ibis()
    wh.close()


def test_contract_detail_of_a_legacy_contract_without_an_amount(legacy_con):
    detail = contract_detail(legacy_con, "L2", date(2024, 1, 1))
    assert detail["amount_yuan"] is None and detail["registered_amount_yuan"] is None
    assert detail["history"] == [{"date": date(2023, 7, 1), "event": "registration", "field": None,
                                  "old_value": None, "new_value": None}]


def test_a_pledgee_changed_to_a_name_with_a_no_break_space_is_that_banks(legacy_con):
    boc = "中国银行股份有限公司永川支行"
    after = contracts_on(legacy_con, date(2024, 6, 1))
    assert after.filter(after.contract_no == "C9").pledgee_norm.to_pyarrow().to_pylist() == [boc]
    assert bank_filter(after, boc).contract_no.to_pyarrow().to_pylist() == ["C9"]
    before = contracts_on(legacy_con, date(2024, 5, 31))
    assert bank_filter(before, boc).count().to_pyarrow().as_py() == 0
