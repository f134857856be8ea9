"""Subsidy eligibility (docs/subsidies.md, subsidies/rules.py): each rule at its boundary with hand-worked amounts.

Events are hand-built (facts.events is replaced by a fake that returns them within the asked days), the policy is
built from its dataclasses, and the ledger and abnormal notices live in one small warehouse shared by the module
(emptied before each test)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import ibis
import pytest

from hvpatent.finance.ledger import LedgerError
from hvpatent.subsidies import facts, rules
from hvpatent.subsidies.facts import Applicant, Event
from hvpatent.subsidies.policy import Conditions, Item, PolicyVersion, SubsidyPolicy
from hvpatent.warehouse.store import Warehouse

D = Decimal
LOCAL = "500118001000"       # a town of the district 500118
ELSEWHERE = "500119001000"   # a town of the neighbouring district
ROW_KEYS = {"item", "item_kind", "item_zh", "item_en", "subject_kind", "subject_key", "subject_name", "app_no",
            "event_key", "event_date", "period", "policy_version", "payee", "payee_name", "town_code", "industry",
            "applicant_type", "gross_yuan", "amount_yuan", "eligible", "reasons", "trace", "ledger_status",
            "paid_via"}


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory):
    warehouse = Warehouse(Path(tmp_path_factory.mktemp("rules")) / "w.duckdb")
    yield warehouse
    warehouse.close()


@pytest.fixture
def db(wh: Warehouse):
    wh.con.execute("DELETE FROM subsidy_ledger")
    wh.con.execute("DELETE FROM abnormal_notices")
    wh.con.execute("DELETE FROM finance_ledger")
    return wh


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch):
    """Install hand-built events: {item id: [Event]}; records every call's (item, start, end, as_of)."""
    calls: list[tuple] = []
    store: dict[str, list[Event]] = {}

    def events(con, item, start, end, *, as_of, **kwargs):
        calls.append((item.id, start, end, as_of))
        return [e for e in store.get(item.id, []) if start <= e.event_date <= end]

    monkeypatch.setattr(facts, "events", events)
    store["_calls"] = calls  # type: ignore[assignment]
    return store


def applicant(name: str = "甲公司", town: str | None = LOCAL, seq: int = 1, kind: str = "enterprise") -> Applicant:
    return Applicant(seq=seq, name_norm=name, name=name + "（全称）", applicant_type=kind, town_code=town)


def patent_event(item: str, app_no: str, day: date, *, applicants: tuple[Applicant, ...] | None = None,
                 event_key: str | None = None, subject_key: str | None = None, **extra) -> Event:
    data = {"patent_type": "invention", "state": "granted", "in_force": True, "ipc_main": "H01M 10/052",
            "ipcs": ["H01M 10/052", "B60L 58/12"], "sei": ["1.2.3", "7.1"], "title": "电池", **extra}
    return Event(item=item, kind="invention_grant", subject_kind="patent", subject_key=subject_key or app_no,
                 subject_name="电池", app_no=app_no, event_key=event_key or f"{item}:{app_no}", event_date=day,
                 applicants=applicants or (applicant(),), facts=data)


def item(id: str = "grant", kind: str = "invention_grant", subject: str = "patent", **fields) -> Item:
    if not {"amount_yuan", "rate", "amounts"} & fields.keys():
        fields["amount_yuan"] = D("3000")
    return Item(id=id, kind=kind, name_zh="发明专利授权", name_en="invention grant", subject=subject, **fields)


def version(*items: Item, name: str = "v1", start: date = date(2020, 1, 1), end: date | None = None,
            **fields) -> PolicyVersion:
    return PolicyVersion(version=name, name_zh=name, name_en=name, effective_from=start, effective_to=end,
                         region="500118", source="test", items=items, **fields)


def policy(*versions: PolicyVersion) -> SubsidyPolicy:
    return SubsidyPolicy(versions=versions, path="test.yaml")


def ledger_row(db: Warehouse, item: str, subject_key: str, period: str, *, status: str, amount: str = "0",
               payee: str = "甲公司", event_key: str | None = None, app_no: str | None = None,
               clawback: str | None = None, version: str = "v1") -> None:
    db.con.execute(
        "INSERT INTO subsidy_ledger (item, subject_key, period, subject_kind, app_no, event_key, event_date,"
        " policy_version, payee, payee_name, computed_yuan, approved_yuan, status, trace, applied_at, applied_by,"
        " clawback_yuan) VALUES (?, ?, ?, 'patent', ?, ?, NULL, ?, ?, ?, ?, ?, ?, '[]', ?, 'test', ?)",
        [item, subject_key, period, app_no or subject_key.split("@")[0], event_key or f"{item}:{subject_key}",
         version, payee, payee, amount, amount, status, datetime(2024, 1, 1), clawback])


def notice(db: Warehouse, app_no: str, day: date, outcome: str = "notified", outcome_date: date | None = None,
           batch: str = "2024-1") -> None:
    db.con.execute("INSERT INTO abnormal_notices VALUES (?, ?, ?, NULL, NULL, ?, ?, 'test')",
                   [app_no, day, batch, outcome, outcome_date])


def run(db: Warehouse, pol: SubsidyPolicy, period: str = "2024", **kwargs) -> list[dict]:
    return rules.eligible(db.ibis(), pol, period, ledger=db.con, **kwargs)


def step(row: dict, rule: str, last: bool = False) -> dict:
    found = [s for s in row["trace"] if s["rule"] == rule]
    assert found, f"no {rule} step in {row['trace']}"
    return found[-1] if last else found[0]


def by_key(rows: list[dict]) -> dict[str, dict]:
    return {r["subject_key"]: r for r in rows}


# -- region and payee -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("town", "region", "ok"), [
    (LOCAL, None, True), (ELSEWHERE, None, False), (None, None, False),
    ("500118001000", "500118001", True), ("500118002000", "500118001", False), ("500118001000", "500100", True),
])
def test_region_prefix_in_and_out(db, fake, town, region, ok):
    fake["grant"] = [patent_event("grant", "CN1", date(2024, 5, 1), applicants=(applicant(town=town),))]
    [row] = run(db, policy(version(item(conditions=Conditions(region=region)))))
    assert row["eligible"] is ok
    assert ("region" in row["reasons"]) is not ok
    assert step(row, "region")["facts"]["town_code"] == town
    assert row["amount_yuan"] == (D("3000.00") if ok else 0)


def test_first_applicant_versus_any_applicant(db, fake):
    outside, inside = applicant("乙公司", ELSEWHERE, 1), applicant("甲公司", LOCAL, 2)
    fake["first"] = [patent_event("first", "CN1", date(2024, 5, 1), applicants=(outside, inside))]
    fake["any"] = [patent_event("any", "CN1", date(2024, 5, 1), applicants=(outside, inside))]
    rows = {r["item"]: r for r in run(db, policy(version(
        item("first"), item("any", conditions=Conditions(applicant="any")))))}
    assert rows["first"]["payee"] == "乙公司" and rows["first"]["reasons"] == ["region"]
    assert rows["any"]["payee"] == "甲公司" and rows["any"]["eligible"]
    assert rows["any"]["payee_name"] == "甲公司（全称）" and rows["any"]["town_code"] == LOCAL
    # nobody local under "any": the first applicant is named and the region fails
    fake["any"] = [patent_event("any", "CN2", date(2024, 5, 1), applicants=(outside,))]
    fake["first"] = []
    [row] = run(db, policy(version(item("first"), item("any", conditions=Conditions(applicant="any")))))
    assert row["payee"] == "乙公司" and row["reasons"] == ["region"]


def test_no_applicant_is_refused(db, fake):
    event = patent_event("grant", "CN1", date(2024, 5, 1))
    fake["grant"] = [Event(**{**event.__dict__, "applicants": ()})]
    [row] = run(db, policy(version(item())))
    assert row["reasons"] == ["applicant", "region"] and row["payee"] is None


# -- the patent's conditions ------------------------------------------------------------------------------------------

def test_conditions_pass_and_every_failure_is_named(db, fake):
    strict = Conditions(patent_types=("invention",), applicant_types=("enterprise",), fields=("1.2",),
                        ipc_prefixes=("H01M10",))
    fake["grant"] = [
        patent_event("grant", "CN1", date(2024, 5, 1)),
        patent_event("grant", "CN2", date(2024, 5, 1), patent_type="utility_model", in_force=False, state="lapsed",
                     sei=["4.1"], ipc_main="A01B 1/00", ipcs=["A01B 1/00"],
                     applicants=(applicant(kind="university"),)),
    ]
    rows = by_key(run(db, policy(version(item(conditions=strict)))))
    assert rows["CN1"]["eligible"] and rows["CN1"]["reasons"] == []
    assert step(rows["CN1"], "fields")["facts"]["matched"] == ["1.2.3"]
    assert step(rows["CN1"], "ipc")["facts"]["matched"] == ["H01M 10/052"]
    assert rows["CN1"]["industry"] == "1.2.3" and rows["CN1"]["applicant_type"] == "enterprise"
    assert rows["CN2"]["reasons"] == ["applicant_type", "patent_type", "in_force", "fields", "ipc"]
    assert rows["CN2"]["amount_yuan"] == 0 and rows["CN2"]["gross_yuan"] == 0
    assert not [s for s in rows["CN2"]["trace"] if s["rule"] == "amount"]   # no amount step when refused


@pytest.mark.parametrize(("state", "in_force", "paid"), [("pending", False, True), ("valid", True, True),
                                                         ("withdrawn", False, False), ("rejected", False, False)])
def test_a_pct_filing_is_paid_while_the_application_is_alive(db, fake, state, in_force, paid):
    """A PCT application is not granted yet: pending counts as alive for it (and only for it)."""
    event = patent_event("pct", "CN9", date(2024, 5, 1), state=state, in_force=in_force)
    fake["pct"] = [Event(**{**event.__dict__, "kind": "pct_filing"})]
    [row] = run(db, policy(version(item("pct", kind="pct_filing"))))
    assert row["eligible"] is paid and step(row, "in_force")["ok"] is paid


def test_pending_is_not_in_force_for_a_grant_item(db, fake):
    fake["grant"] = [patent_event("grant", "CN8", date(2024, 5, 1), state="pending", in_force=False)]
    [row] = run(db, policy(version(item())))
    assert not row["eligible"] and row["reasons"] == ["in_force"]


def test_in_force_not_required_when_the_item_says_so(db, fake):
    fake["grant"] = [patent_event("grant", "CN1", date(2024, 5, 1), in_force=False, state="lapsed")]
    [row] = run(db, policy(version(item(conditions=Conditions(in_force=False)))))
    assert row["eligible"] and not [s for s in row["trace"] if s["rule"] == "in_force"]


def test_ipc_any_of_the_codes_and_a_nearby_prefix_does_not_match(db, fake):
    fake["grant"] = [patent_event("grant", "CN1", date(2024, 5, 1))]
    [row] = run(db, policy(version(item(conditions=Conditions(ipc_prefixes=("B60L58",))))))
    assert row["eligible"] and step(row, "ipc")["facts"]["matched"] == ["B60L 58/12"]
    [row] = run(db, policy(version(item(conditions=Conditions(ipc_prefixes=("B60L59",))))))
    assert row["reasons"] == ["ipc"]


# -- policy versions ------------------------------------------------------------------------------------------------

def test_version_boundary_day_before_of_and_after(db, fake):
    old = version(item(amount_yuan=D("1000")), item("only_old"), name="v2023", start=date(2023, 1, 1),
                  end=date(2024, 6, 30))
    new = version(item(amount_yuan=D("2000")), name="v2024", start=date(2024, 7, 1))
    fake["grant"] = [patent_event("grant", f"CN{d}", date(2024, m, d)) for m, d in ((6, 29), (6, 30), (7, 1))]
    rows = by_key(run(db, policy(old, new)))
    assert {k: (r["policy_version"], r["amount_yuan"]) for k, r in rows.items()} == {
        "CN29": ("v2023", D("1000.00")), "CN30": ("v2023", D("1000.00")), "CN1": ("v2024", D("2000.00"))}
    calls = sorted(c[:3] for c in fake["_calls"])
    assert calls == [("grant", date(2024, 1, 1), date(2024, 6, 30)), ("grant", date(2024, 7, 1), date(2024, 12, 31)),
                     ("only_old", date(2024, 1, 1), date(2024, 6, 30))]


def test_an_event_no_version_covers_is_refused(db, monkeypatch):
    monkeypatch.setattr(facts, "events", lambda con, item, start, end, *, as_of, **kw: [
        patent_event("grant", "CN1", date(2024, 2, 29))])
    [row] = run(db, policy(version(item(), start=date(2024, 3, 1))))
    assert row["reasons"][0] == "version" and row["policy_version"] is None and not row["eligible"]


def test_one_memo_is_shared_by_every_item_and_version_of_one_call(db, monkeypatch):
    seen: list[dict] = []

    def events(con, item, start, end, *, as_of, memo=None):
        seen.append(memo)
        return []

    monkeypatch.setattr(facts, "events", events)
    pol = policy(version(item(), item("pct", "pct_filing"), end=date(2024, 6, 30)),
                 version(item(), name="v2", start=date(2024, 7, 1)))
    run(db, pol)
    run(db, pol)
    first, second = seen[:3], seen[3:]
    assert len(seen) == 6 and all(isinstance(m, dict) for m in seen)
    assert all(m is first[0] for m in first) and all(m is second[0] for m in second) and first[0] is not second[0]


def test_periods_and_the_default_as_of(db, fake):
    fake["grant"] = [patent_event("grant", "CN1", date(2024, 3, 31)), patent_event("grant", "CN2", date(2024, 4, 1))]
    assert [r["subject_key"] for r in run(db, policy(version(item())), "2024-Q1")] == ["CN1"]
    assert [r["subject_key"] for r in run(db, policy(version(item())), "2024-H2")] == []
    assert fake["_calls"][0][1:] == (date(2024, 1, 1), date(2024, 3, 31), date(2024, 3, 31))
    run(db, policy(version(item())), "2099")
    assert fake["_calls"][-1][3] == date.today()
    with pytest.raises(LedgerError, match="2024-Q5"):
        run(db, policy(version(item())), "2024-Q5")


# -- abnormal applications -------------------------------------------------------------------------------------------

def test_abnormal_notice_day_before_of_and_after_as_of(db):
    as_of = date(2024, 12, 31)
    notice(db, "CN_BEFORE", date(2024, 12, 30))
    notice(db, "CN_ON", as_of, "withdrawn")
    notice(db, "CN_AFTER", date(2025, 1, 1))
    found = rules.abnormal_applications(db.ibis(), as_of)
    assert set(found) == {"CN_BEFORE", "CN_ON"}
    assert found["CN_ON"] == {"notice_date": as_of, "outcome": "withdrawn", "batch": "2024-1"}


def test_abnormal_overturned_and_the_latest_notice(db):
    as_of = date(2024, 12, 31)
    notice(db, "CN_OVER", date(2024, 3, 1), "overturned", date(2024, 12, 31))       # overturned by as_of
    notice(db, "CN_LATER", date(2024, 3, 1), "overturned", date(2025, 1, 1))        # overturned after as_of
    notice(db, "CN_UPHELD", date(2024, 3, 1), "upheld", date(2024, 6, 1))
    notice(db, "CN_TWICE", date(2023, 3, 1), "upheld", date(2023, 6, 1))            # the latest one decides
    notice(db, "CN_TWICE", date(2024, 3, 1), "overturned", date(2024, 6, 1))
    found = rules.abnormal_applications(db.ibis(), as_of)
    assert set(found) == {"CN_LATER", "CN_UPHELD"}
    assert found["CN_LATER"]["outcome"] == "notified" and found["CN_UPHELD"]["outcome"] == "upheld"


def test_abnormal_without_the_table():
    assert rules.abnormal_applications(ibis.duckdb.connect(), date(2024, 1, 1)) == {}


def test_abnormal_excludes_unless_the_item_says_not(db, fake):
    notice(db, "CN1", date(2024, 12, 31))
    notice(db, "CN2", date(2025, 1, 1))
    fake["grant"] = [patent_event("grant", "CN1", date(2024, 5, 1)), patent_event("grant", "CN2", date(2024, 5, 1))]
    rows = by_key(run(db, policy(version(item()))))
    assert rows["CN1"]["reasons"] == ["abnormal"] and step(rows["CN1"], "abnormal")["facts"]["batch"] == "2024-1"
    assert rows["CN2"]["eligible"]
    rows = by_key(run(db, policy(version(item(exclude_abnormal=False)))))
    assert rows["CN1"]["eligible"]
    # assessed on an earlier day the notice is not there yet
    assert by_key(run(db, policy(version(item())), as_of=date(2024, 12, 30)))["CN1"]["eligible"]


# -- paid before -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["applied", "reviewed", "approved", "paid", "clawed_back", "rejected"])
def test_paid_before_by_another_period(db, fake, status):
    # a rejected row holds its event too: a rejected grant does not come back through another period
    ledger_row(db, "grant", "CN1", "2023", status=status, amount="3000", event_key="grant:CN1")
    fake["grant"] = [patent_event("grant", "CN1", date(2024, 5, 1))]
    [row] = run(db, policy(version(item())))
    assert not row["eligible"] and row["reasons"] == ["paid_before"] and row["amount_yuan"] == 0
    assert row["ledger_status"] == status
    held = step(row, "paid_before")
    assert held["facts"]["held_by"] == [f"grant|CN1|2023 ({status})"]
    assert ("rejected under another key: grant|CN1|2023" in held["note"]) is (status == "rejected")


def test_a_live_holder_is_named_before_a_rejected_one(db, fake):
    ledger_row(db, "grant", "CN1", "2023", status="rejected", event_key="grant:CN1")
    ledger_row(db, "grant", "CN1", "2023-Q1", status="paid", amount="3000", event_key="grant:CN1")
    fake["grant"] = [patent_event("grant", "CN1", date(2024, 5, 1))]
    [row] = run(db, policy(version(item())))
    assert row["ledger_status"] == "paid" and row["reasons"] == ["paid_before"]
    assert step(row, "paid_before")["note"] == "该事项已资助过 / this event was paid before"


def test_the_rejected_rows_own_key_stays_open_to_naming(db, fake):
    # its own key (rejected) and a second rejected key of the same event: the own row may still be re-opened
    ledger_row(db, "grant", "CN1", "2024", status="rejected", event_key="grant:CN1")
    ledger_row(db, "grant", "CN1", "2023", status="rejected", event_key="grant:CN1")
    fake["grant"] = [patent_event("grant", "CN1", date(2024, 5, 1))]
    [row] = run(db, policy(version(item())))
    assert row["eligible"] and row["ledger_status"] == "rejected" and row["amount_yuan"] == D("3000.00")


@pytest.mark.parametrize(("status", "ok"), [("applied", True), ("paid", True), ("rejected", True),
                                             ("clawed_back", False)])
def test_the_same_key_in_the_ledger(db, fake, status, ok):
    ledger_row(db, "grant", "CN1", "2024", status=status, amount="3000", event_key="grant:CN1")
    fake["grant"] = [patent_event("grant", "CN1", date(2024, 5, 1))]
    [row] = run(db, policy(version(item(cap_per_applicant_year_yuan=D("3000")))))
    assert row["ledger_status"] == status and row["eligible"] is ok
    if ok:   # its own approval is not counted against its own cap
        assert row["amount_yuan"] == D("3000.00")


def test_an_approved_row_of_the_run_is_counted_once(db, fake):
    ledger_row(db, "grant", "CN1", "2024", status="approved", amount="3000", event_key="grant:CN1")
    fake["grant"] = [patent_event("grant", "CN1", date(2024, 5, 1)), patent_event("grant", "CN2", date(2024, 5, 2))]
    rows = by_key(run(db, policy(version(item(cap_per_applicant_year_yuan=D("6000"))))))
    assert rows["CN1"]["amount_yuan"] == D("3000.00") and rows["CN1"]["ledger_status"] == "approved"
    assert rows["CN2"]["amount_yuan"] == D("3000.00")   # 6000 − the approved 3000, not − 3000 twice
    assert step(rows["CN2"], "cap_item_year")["facts"] == {"cap": "6000.00", "committed": "3000.00",
                                                           "this_run": "0.00", "left": "3000.00", "before": "3000.00"}


# -- amounts --------------------------------------------------------------------------------------------------------

def test_amounts_by_office_and_a_missing_office(db, fake):
    abroad = item("abroad", "grant_abroad", amounts={"US": D("50000"), "EP": D("40000")})
    fake["abroad"] = [patent_event("abroad", "CN1", date(2024, 5, 1), office=o, subject_key=f"CN1@{o}",
                                   event_key=f"grant_abroad:CN1:{o}") for o in ("US", "EP", "KR")]
    rows = by_key(run(db, policy(version(abroad))))
    assert rows["CN1@US"]["amount_yuan"] == D("50000.00") and rows["CN1@EP"]["amount_yuan"] == D("40000.00")
    assert rows["CN1@KR"]["reasons"] == ["amount"] and not rows["CN1@KR"]["eligible"]


def test_pledge_interest_rate_rounds_half_up_and_is_paid_via_the_finance_ledger(db, fake):
    pledge = item("pledge", "pledge_interest", "enterprise", rate=D("0.5"))
    fake["pledge"] = [Event(item="pledge", kind="pledge_interest", subject_kind="enterprise", subject_key="甲公司",
                            subject_name="甲公司", app_no=None, event_key="pledge_interest:C1:2024", event_date=
                            date(2024, 12, 31), applicants=(applicant(),),
                            facts={"contract_no": "C1", "finance_amount_yuan": "1234.57"})]
    [row] = run(db, policy(version(pledge)))
    assert row["amount_yuan"] == D("617.29") and row["paid_via"] == "finance_ledger" and row["eligible"]
    assert not [s for s in row["trace"] if s["rule"] in ("patent_type", "in_force", "ipc", "fields")]


# -- caps ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("committed", "second"), [
    ("4000.00", "3000.00"),    # the two rows reach the cap exactly
    ("4000.01", "2999.99"),    # 0.01 above: the second is cut by 0.01
    ("3999.99", "3000.00"),    # 0.01 below
])
def test_cap_per_payee_and_year_for_the_item(db, fake, committed, second):
    ledger_row(db, "grant", "CN0", "2024-Q1", status="approved", amount=committed)
    ledger_row(db, "grant", "CN8", "2023", status="paid", amount="9999")                  # another year
    ledger_row(db, "grant", "CN9", "2024-Q1", status="paid", amount="9999", payee="乙公司")  # another payee
    ledger_row(db, "grant", "CN7", "2024-Q1", status="rejected", amount="9999")           # not committed
    ledger_row(db, "grant", "CN6", "2024-Q1", status="applied", amount="9999")            # not committed yet
    ledger_row(db, "grant", "CN5", "2024-Q1", status="clawed_back", amount="500", clawback="500")  # net 0
    fake["grant"] = [patent_event("grant", "CN1", date(2024, 5, 1)), patent_event("grant", "CN2", date(2024, 5, 2)),
                     patent_event("grant", "CN3", date(2024, 5, 3))]
    rows = by_key(run(db, policy(version(item(cap_per_applicant_year_yuan=D("10000"))))))
    assert rows["CN1"]["amount_yuan"] == D("3000.00")
    assert rows["CN2"]["amount_yuan"] == D(second) and rows["CN2"]["eligible"]
    cap = step(rows["CN2"], "cap_item_year")
    assert cap["facts"]["committed"] == committed and cap["facts"]["this_run"] == "3000.00"
    assert (cap["note"] is None) is (second == "3000.00")
    # the third: nothing left above (0.01 left below) the cap
    third = rows["CN3"]
    if committed == "3999.99":
        assert third["amount_yuan"] == D("0.01") and third["gross_yuan"] == D("3000.00")
        assert "2999.99" in step(third, "cap_item_year")["note"]
    else:
        assert not third["eligible"] and third["reasons"] == ["cap_item_year"] and third["amount_yuan"] == 0


def test_cap_per_payee_and_year_over_all_items_of_the_version(db, fake):
    grant, award = item("grant", amount_yuan=D("6000")), item("award", "china_patent_award",
                                                                amounts={"金奖": D("5000")})
    fake["grant"] = [patent_event("grant", "CN1", date(2024, 5, 1))]
    fake["award"] = [patent_event("award", "CN2", date(2024, 5, 1), grade="金奖"),
                     patent_event("award", "CN3", date(2024, 5, 1), grade="金奖",
                                  applicants=(applicant("乙公司"),))]
    rows = by_key(run(db, policy(version(grant, award, cap_per_applicant_year_yuan=D("10000")))))
    # same day: ordered by item, so the award (5000) comes before the grant (6000)
    assert rows["CN2"]["amount_yuan"] == D("5000.00") and rows["CN3"]["amount_yuan"] == D("5000.00")
    assert rows["CN1"]["amount_yuan"] == D("5000.00") and rows["CN1"]["gross_yuan"] == D("6000.00")
    assert step(rows["CN1"], "cap_version_year")["note"] == "被上限削减 1000.00 / cut by the cap: 1000.00"


def test_cap_per_patent_over_offices_counts_earlier_periods(db, fake):
    abroad = item("abroad", "grant_abroad", amounts={"US": D("50000"), "EP": D("50000"), "JP": D("30000")},
                  cap_per_subject_yuan=D("100000"))
    ledger_row(db, "abroad", "CN1@US", "2023", status="paid", amount="50000", app_no="CN1")
    ledger_row(db, "abroad", "CN2@US", "2023", status="paid", amount="50000", app_no="CN2")
    fake["abroad"] = [patent_event("abroad", "CN1", date(2024, 5, d), office=o, subject_key=f"CN1@{o}")
                      for d, o in ((1, "EP"), (2, "JP"))]
    rows = by_key(run(db, policy(version(abroad))))
    assert rows["CN1@EP"]["amount_yuan"] == D("50000.00")                    # exactly at the cap
    assert rows["CN1@JP"]["reasons"] == ["cap_subject"]                      # nothing left
    assert step(rows["CN1@JP"], "cap_subject")["facts"]["committed"] == "50000.00"


# -- the finance ledger's interest subsidies ------------------------------------------------------------------------

def finance_row(db: Warehouse, contract: str, period: str, amount: str, *, status: str = "paid",
                enterprise: str = "甲公司", scheme: str = "interest_subsidy") -> None:
    db.con.execute(
        "INSERT INTO finance_ledger (scheme, contract_no, period, policy_version, enterprise, bank, claimed_yuan,"
        " computed_yuan, approved_yuan, status, trace, applied_at, applied_by) VALUES (?, ?, ?, 'f1', ?, '银行', ?, ?,"
        " ?, ?, '[]', ?, 'test')", [scheme, contract, period, enterprise, amount, amount,
                                    None if status == "applied" else amount, status, datetime(2024, 1, 1)])


def pledge_event(contract: str, period: str, amount: str, day: date) -> Event:
    return Event(item="pledge", kind="pledge_interest", subject_kind="enterprise", subject_key="甲公司",
                 subject_name="甲公司", app_no=None, event_key=f"pledge_interest:{contract}:{period}", event_date=day,
                 applicants=(applicant(),), facts={"contract_no": contract, "finance_period": period,
                                                   "finance_amount_yuan": amount})


INTEREST_POLICY = policy(version(item(), item("pledge", "pledge_interest", "enterprise", rate=D("1"),
                                              cap_per_applicant_year_yuan=D("100000")),
                                 cap_per_applicant_year_yuan=D("600000")))


@pytest.mark.parametrize("period", ["2024", "2024-Q2"])
def test_interest_paid_through_the_finance_ledger_counts_toward_the_yearly_cap_in_any_run(db, fake, period):
    finance_row(db, "C1", "2024-Q1", "599000")                         # paid: the payee's committed money
    finance_row(db, "C2", "2024-Q1", "9999", status="applied")         # not decided: not committed
    finance_row(db, "C3", "2024-Q1", "9999", enterprise="乙公司")       # another payee
    finance_row(db, "C4", "2023-Q4", "9999")                           # another year
    finance_row(db, "C5", "2024-Q1", "9999", scheme="guarantee_fee")   # another scheme
    fake["pledge"] = [pledge_event("C1", "2024-Q1", "599000", date(2024, 3, 31))]
    fake["grant"] = [patent_event("grant", "CN1", date(2024, 5, 1))]
    rows = {r["item"]: r for r in run(db, INTEREST_POLICY, period)}
    grant = rows["grant"]
    assert grant["amount_yuan"] == D("1000.00") and grant["gross_yuan"] == D("3000.00")   # 600,000 − 599,000
    cap = step(grant, "cap_version_year")
    assert cap["facts"]["committed"] == "599000.00" and cap["facts"]["this_run"] == "0.00"
    if period == "2024":   # the pledge row itself: not cut by the caps (the finance policy caps it), counted once
        pledge = rows["pledge"]
        assert pledge["eligible"] and pledge["amount_yuan"] == D("599000.00") and pledge["paid_via"] == "finance_ledger"
        assert not [s for s in pledge["trace"] if s["rule"].startswith("cap_")]
        assert "finance policy" in step(pledge, "amount", last=True)["note"]
    else:
        assert "pledge" not in rows


def test_interest_counts_toward_the_version_budget(db, fake):
    finance_row(db, "C1", "2024-Q1", "5000")
    fake["grant"] = [patent_event("grant", "CN1", date(2024, 5, 1))]
    [row] = run(db, policy(version(item(), budget_yuan=D("7999.99"))), "2024-Q2")
    assert step(row, "budget")["facts"]["total"] == "8000.00" and not step(row, "budget")["ok"]


# -- budget ---------------------------------------------------------------------------------------------------------

def test_budget_is_flagged_not_cut(db, fake):
    ledger_row(db, "grant", "CN0", "2024-Q1", status="paid", amount="5000", payee="乙公司")
    fake["grant"] = [patent_event("grant", f"CN{d}", date(2024, 5, d)) for d in (1, 2, 3)]
    rows = by_key(run(db, policy(version(item(amount_yuan=D("2500"), budget_yuan=D("10000"))))))
    flags = {k: (step(r, "budget")["ok"], step(r, "budget")["facts"]["total"]) for k, r in rows.items()}
    assert flags == {"CN1": (True, "7500.00"), "CN2": (True, "10000.00"), "CN3": (False, "12500.00")}
    assert rows["CN3"]["eligible"] and rows["CN3"]["amount_yuan"] == D("2500.00") and rows["CN3"]["reasons"] == []


def test_version_budget(db, fake):
    fake["grant"] = [patent_event("grant", "CN1", date(2024, 5, 1)), patent_event("grant", "CN2", date(2024, 5, 2))]
    rows = by_key(run(db, policy(version(item(), budget_yuan=D("5999.99")))))
    assert step(rows["CN1"], "budget")["facts"]["scope"] == "version"
    assert [step(rows[k], "budget")["ok"] for k in ("CN1", "CN2")] == [True, False]


# -- filters, order and shape ----------------------------------------------------------------------------------------

def test_filters_leave_rows_out_without_changing_amounts(db, fake):
    other = applicant("乙公司", "500118002000")
    fake["grant"] = [patent_event("grant", "CN1", date(2024, 5, 1)), patent_event("grant", "CN2", date(2024, 5, 2))]
    fake["award"] = [patent_event("award", "CN3", date(2024, 5, 3), grade="金奖"),
                     patent_event("award", "CN4", date(2024, 5, 1), grade="金奖", applicants=(other,))]
    pol = policy(version(item(), item("award", "china_patent_award", amounts={"金奖": D("5000")}),
                         cap_per_applicant_year_yuan=D("10000")))
    everything = run(db, pol)
    assert [(r["event_date"].day, r["item"]) for r in everything] == [(1, "award"), (1, "grant"), (2, "grant"),
                                                                      (3, "award")]
    assert all(set(r) == ROW_KEYS for r in everything)
    [award] = run(db, pol, items=("award",), payee="甲公司")
    assert award["subject_key"] == "CN3" and award["amount_yuan"] == D("4000.00")   # 10000 − 3000 − 3000
    assert [r["subject_key"] for r in run(db, pol, region="500118002")] == ["CN4"]
    assert [r["subject_key"] for r in run(db, pol, payee="乙公司")] == ["CN4"]


def test_trace_is_json_and_names_each_step(db, fake):
    import json

    fake["grant"] = [patent_event("grant", "CN1", date(2024, 5, 1))]
    [row] = run(db, policy(version(item(cap_per_applicant_year_yuan=D("9000"), budget_yuan=D("9000")))))
    json.dumps(row["trace"], ensure_ascii=False)
    assert [s["rule"] for s in row["trace"]] == [
        "version", "applicant", "region", "applicant_type", "patent_type", "in_force", "fields", "ipc", "abnormal",
        "paid_before", "amount", "cap_item_year", "amount", "budget"]
    assert set(rules.RULE_WORDS) >= {s["rule"] for s in row["trace"]}
    assert all(len(words) == 2 and all(words) for words in rules.RULE_WORDS.values())
