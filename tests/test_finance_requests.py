"""Financing requests (finance/requests.py): validation, the state machine, one audit entry per change, the
pipeline's counts, automatic linking of a registered contract, and `hvp financing list|link|match`."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from typer.testing import CliRunner

import world
from hvpatent.cli.main import app
from hvpatent.finance.requests import (
    REQUEST_STATUSES,
    RequestError,
    RequestNotFound,
    answer_request,
    create_request,
    get_request,
    link_contract,
    list_requests,
    match_contracts,
    pipeline,
    withdraw_request,
)
from hvpatent.ingest.fields import normalize_name
from hvpatent.warehouse.accounts import audit_entries
from hvpatent.warehouse.store import Warehouse

runner = CliRunner()
BANK = normalize_name(world.BANK)
OTHER_BANK = normalize_name("中国农业银行股份有限公司永川支行")
E1, E2 = normalize_name(world.E1), normalize_name(world.E2)
# world.py: E1 is an applicant of A1, A2, A7 and (second position) A4; E2 of A3, A6, A8, A9, A10.
DAY = datetime(2025, 3, 1, 9, 30)


def new(con, *, bank=BANK, enterprise=E1, app_nos=(world.A1,), **kw):
    return create_request(con, bank=bank, bank_name=bank, enterprise=enterprise, enterprise_name=enterprise,
                          app_nos=list(app_nos), by=kw.pop("by", "bank"), **kw)


@pytest.fixture()
def wh(tmp_path):
    with Warehouse(tmp_path / "r.duckdb") as w:
        world.build(w)
        yield w


def statuses(con) -> dict[str, str]:
    return {r["request_id"]: r["status"] for r in list_requests(con)}


def actions(con) -> list[str]:
    return [e["action"] for e in reversed(audit_entries(con.cursor())) if e["action"].startswith("financing")]


def test_create_validates_and_reads_back(wh):
    con = wh.con
    r = new(con, app_nos=[world.A4, world.A1, world.A1], amount_yuan="5000000", note=" 首次对接 ", now=DAY)
    # ids: 'R' + day + sequence; patents normalised, each once, sorted (A1 2010… before A4 2016…)
    assert r["request_id"] == "R20250301-001"
    assert (r["status"], r["app_nos"], r["amount_yuan"], r["note"]) == (
        "interest", [world.A1, world.A4], 5_000_000.0, "首次对接")
    assert new(con, app_nos=[world.A2], now=DAY)["request_id"] == "R20250301-002"
    with pytest.raises(RequestError, match=r"app_nos.*不是"):        # A3 is E2's
        new(con, app_nos=[world.A1, world.A3])
    with pytest.raises(RequestError, match="app_nos"):
        new(con, app_nos=[])
    with pytest.raises(RequestError, match="app_nos"):
        new(con, app_nos=["not-a-number"])
    with pytest.raises(RequestError, match="at most 50"):
        new(con, app_nos=[world.no(i, 2015) for i in range(1, 52)])
    with pytest.raises(RequestError, match="amount_yuan"):
        new(con, app_nos=[world.A7], amount_yuan=-1)
    assert new(con, app_nos=[world.A7], amount_yuan=0)["amount_yuan"] == 0.0   # ≥ 0: zero is allowed
    with pytest.raises(RequestError, match="note"):
        new(con, app_nos=[world.A7], note="字" * 1001)
    with pytest.raises(RequestError, match="bank"):
        new(con, bank="")
    # the same bank, enterprise and patents while the first is open: refused; another bank may ask
    with pytest.raises(RequestError, match="R20250301-001"):
        new(con, app_nos=[world.A1, world.A4])
    assert new(con, bank=OTHER_BANK, app_nos=[world.A1, world.A4])["status"] == "interest"
    assert len(list_requests(con)) == 4                                  # refusals wrote nothing
    assert actions(con).count("financing_request_created") == 4


def test_state_machine_each_change_audited(wh):
    con = wh.con
    a = new(con)["request_id"]
    b = new(con, app_nos=[world.A2])["request_id"]
    c = new(con, enterprise=E2, app_nos=[world.A3])["request_id"]
    # only the enterprise addressed answers; another's request is "not found" (no hint it exists)
    with pytest.raises(RequestNotFound, match="no financing request"):
        answer_request(con, a, enterprise=E2, consent=True, by="yi")
    with pytest.raises(RequestNotFound, match="no financing request"):
        withdraw_request(con, a, bank=OTHER_BANK, by="bank2")
    assert answer_request(con, a, enterprise=E1, consent=True, by="jia", note="同意")["status"] == "consented"
    assert answer_request(con, b, enterprise=E1, consent=False, by="jia")["status"] == "declined"
    with pytest.raises(RequestError, match="consented"):                  # answered once only
        answer_request(con, a, enterprise=E1, consent=False, by="jia")
    with pytest.raises(RequestError, match="declined"):                   # nothing to withdraw when declined
        withdraw_request(con, b, bank=BANK, by="bank")
    with pytest.raises(RequestError, match="interest"):                   # contracted only from consented
        link_contract(con, c, "P1", by="analyst")
    with pytest.raises(RequestError, match="registry"):
        link_contract(con, a, "NO-SUCH", by="analyst")
    add_contracts(wh, [("C-A", world.E1, world.BANK, date(2025, 3, 1), world.A1)])
    row = link_contract(con, a, "C-A", by="analyst")                       # E1's pledge to the request's bank
    assert (row["status"], row["contract_no"], row["decided_by"]) == ("contracted", "C-A", "analyst")
    # the answer note is signed by the party, never by the login name (the bank reads it)
    assert "[企业答复 / enterprise] 同意" in row["note"] and "jia" not in row["note"]
    d = new(con, app_nos=[world.A7])["request_id"]
    assert answer_request(con, d, enterprise=E1, consent=True, by="jia")["status"] == "consented"
    with pytest.raises(RequestError, match="linked to request"):           # one contract, one request
        link_contract(con, d, "C-A", by="analyst")
    assert withdraw_request(con, c, bank=BANK, by="bank")["status"] == "withdrawn"   # from interest
    assert withdraw_request(con, d, bank=BANK, by="bank")["status"] == "withdrawn"   # from consented
    with pytest.raises(RequestError):
        withdraw_request(con, a, bank=BANK, by="bank")                     # contracted: final
    assert statuses(con) == {a: "contracted", b: "declined", c: "withdrawn", d: "withdrawn"}
    assert actions(con) == ["financing_request_created"] * 3 + [
        "financing_request_consented", "financing_request_declined", "financing_request_contracted",
        "financing_request_created", "financing_request_consented", "financing_request_withdrawn",
        "financing_request_withdrawn"]
    # a withdrawn request no longer blocks a new one on the same patents
    assert new(con, enterprise=E2, app_nos=[world.A3])["status"] == "interest"
    assert get_request(con, "R00000000-999") is None
    with pytest.raises(RequestNotFound):
        withdraw_request(con, "R00000000-999", bank=BANK, by="bank")


def test_link_only_the_requests_own_contract(wh):
    """Staff link a contract only when it is the request's: pledgee of the request's bank by the bank rule
    (a branch's contract fits a head-office request), pledgor the enterprise; P1 (world.py, no parties) fits no
    request.  A refusal writes nothing."""
    con = wh.con
    head_office = normalize_name("重庆银行股份有限公司")
    a = new(con)["request_id"]                                             # BANK → E1
    b = new(con, bank=head_office, enterprise=E1, app_nos=[world.A2])["request_id"]
    for rid in (a, b):
        answer_request(con, rid, enterprise=E1, consent=True, by="jia")
    add_contracts(wh, [("C-THEIRS", world.E1, "中国农业银行股份有限公司永川支行", date(2025, 3, 5), world.A1),
                       ("C-E2", world.E2, world.BANK, date(2025, 3, 5), world.A3),
                       ("C-BRANCH", world.E1, world.BANK, date(2025, 3, 6), world.A2)])
    for contract in ("C-THEIRS", "C-E2", "P1"):                            # another bank; another pledgor; neither
        with pytest.raises(RequestError, match=f"contract {contract} is no pledge of"):
            link_contract(con, a, contract, by="analyst")
    assert statuses(con) == {a: "consented", b: "consented"}
    assert "financing_request_contracted" not in actions(con)
    assert link_contract(con, b, "C-BRANCH", by="analyst")["status"] == "contracted"   # the branch's contract


def test_link_finds_the_number_however_typed(wh):
    """link_contract looks the number up as ingest.contract_key spells it (upper case, no spaces, full-width as
    ASCII) before as typed, stores the registry's number, and checks "already linked" on that number: the same
    contract typed another way cannot be linked to a second request."""
    con = wh.con
    a = new(con)["request_id"]
    b = new(con, app_nos=[world.A2])["request_id"]
    for rid in (a, b):
        answer_request(con, rid, enterprise=E1, consent=True, by="jia")
    add_contracts(wh, [("Y2025990000123", world.E1, world.BANK, date(2025, 3, 5), world.A1),
                       ("C-B", world.E1, world.BANK, date(2025, 3, 6), world.A2)])
    assert link_contract(con, a, " y2025 9900 00123 ", by="analyst")["contract_no"] == "Y2025990000123"
    with pytest.raises(RequestError, match=f"linked to request {a}"):     # full-width: the same contract
        link_contract(con, b, "Ｙ２０２５９９００００１２３", by="analyst")
    assert get_request(con, b)["status"] == "consented"
    assert link_contract(con, b, "ｃ－ｂ", by="analyst")["contract_no"] == "C-B"   # full-width lower case
    with pytest.raises(RequestError, match="no pledge contract c-x"):    # not found: named as typed
        link_contract(con, new(con, app_nos=[world.A7])["request_id"], "c-x", by="analyst")


def test_link_refuses_a_contract_ended_before_the_request(wh):
    """A contract must be active on the request's day (2025-03-01) or registered after it.  Released or disposed
    on the day before or on the day itself: refused (released on D is not active on D, registry rule); released
    the day after: active on the day, linked; registered after the day (released later): linked."""
    con = wh.con
    rids = [new(con, app_nos=[app], now=DAY)["request_id"] for app in (world.A1, world.A2, world.A7, world.A4)]
    for rid in rids:
        answer_request(con, rid, enterprise=E1, consent=True, by="jia")
    add_contracts(wh, [("C-REL", world.E1, world.BANK, date(2024, 1, 1), world.A1),
                       ("C-DIS", world.E1, world.BANK, date(2024, 1, 1), world.A2),
                       ("C-LIVE", world.E1, world.BANK, date(2024, 1, 1), world.A7),
                       ("C-NEW", world.E1, world.BANK, date(2025, 4, 1), world.A4)])
    for no, column, day in (("C-REL", "released_date", date(2025, 2, 28)),    # the day before
                            ("C-DIS", "disposed_date", date(2025, 3, 1)),     # the day itself
                            ("C-LIVE", "released_date", date(2025, 3, 2)),    # the day after
                            ("C-NEW", "released_date", date(2025, 5, 1))):
        con.execute(f"UPDATE pledge_contracts SET {column} = ? WHERE contract_no = ?", [day, no])
    with pytest.raises(RequestError, match=r"C-REL ended .* on 2025-02-28, not after request"):
        link_contract(con, rids[0], "C-REL", by="analyst")
    with pytest.raises(RequestError, match=r"C-DIS ended .* on 2025-03-01"):
        link_contract(con, rids[0], "C-DIS", by="analyst")
    assert "financing_request_contracted" not in actions(con)
    assert link_contract(con, rids[0], "C-LIVE", by="analyst")["status"] == "contracted"
    assert link_contract(con, rids[1], "C-NEW", by="analyst")["status"] == "contracted"


def test_texts_that_cannot_be_stored_are_refused(wh):
    """A lone surrogate (what a JSON "\\ud800" decodes to) or a NUL in any text the flow stores: RequestError
    naming the field, nothing written; an id holding one is simply not found."""
    con = wh.con
    bad = "坏\ud800"
    for field, kwargs in (("note", {"note": bad}), ("bank_name", {"bank_name": bad}), ("bank", {"bank": bad}),
                          ("enterprise_name", {"enterprise_name": bad}), ("by", {"by": bad}),
                          ("note", {"note": "a\x00b"})):
        with pytest.raises(RequestError, match=f"^{field}: "):
            create_request(con, **{"bank": BANK, "bank_name": BANK, "enterprise": E1, "enterprise_name": E1,
                                   "app_nos": [world.A1], "by": "bank", **kwargs})
    assert list_requests(con) == []
    rid = new(con)["request_id"]
    with pytest.raises(RequestError, match=r"^note: "):
        answer_request(con, rid, enterprise=E1, consent=True, by="jia", note=bad)
    with pytest.raises(RequestError, match=r"^contract_no: "):
        link_contract(con, rid, bad, by="analyst")
    with pytest.raises(RequestNotFound):
        withdraw_request(con, "R\ud800", bank=BANK, by="bank")
    assert statuses(con) == {rid: "interest"} and get_request(con, "R\ud800") is None


def test_ids_after_999_a_day(wh):
    """The day's sequence is a number: after R…-999 and R…-1000 (as text "-1000" < "-999") comes R…-1001,
    and lists show the newer first when two share a time."""
    con = wh.con
    con.execute("INSERT INTO financing_requests (request_id, bank, bank_name, enterprise, enterprise_name, app_nos,"
                " status, created_at, created_by) SELECT printf('R20250301-%03d', i), ?, ?, ?, ?,"
                " 'X' || i, 'declined', TIMESTAMP '2025-03-01 08:00', 'bank' FROM range(1, 1001) t(i)",
                [BANK, BANK, E1, E1])
    assert new(con, now=DAY)["request_id"] == "R20250301-1001"
    same_time = [r["request_id"] for r in list_requests(con, status="declined")][:2]
    assert same_time == ["R20250301-1000", "R20250301-999"]


def test_lists_and_pipeline(wh):
    con = wh.con
    a = new(con, amount_yuan=1_000_000)["request_id"]
    new(con, app_nos=[world.A2], amount_yuan=2_000_000)
    new(con, bank=OTHER_BANK, enterprise=E2, app_nos=[world.A3], amount_yuan=4_000_000)
    answer_request(con, a, enterprise=E1, consent=True, by="jia")
    assert [r["request_id"] for r in list_requests(con, bank=BANK)] != []
    assert {r["bank"] for r in list_requests(con, bank=BANK)} == {BANK}
    assert {r["enterprise"] for r in list_requests(con, enterprise=E2)} == {E2}
    assert [r["request_id"] for r in list_requests(con, status="consented")] == [a]
    with pytest.raises(RequestError, match="status"):
        list_requests(con, status="nope")
    p = pipeline(con)
    assert p["total"] == 3
    assert p["by_status"] == {"interest": 2, "consented": 1, "declined": 0, "withdrawn": 0, "contracted": 0}
    assert list(p["by_status"]) == list(REQUEST_STATUSES)
    # BANK: 2 requests (1 interest, 1 consented); OTHER_BANK: 1 → BANK first
    assert [(b["bank"], b["total"], b["interest"], b["consented"]) for b in p["by_bank"]] == [
        (BANK, 2, 1, 1), (OTHER_BANK, 1, 1, 0)]
    assert p["amount_yuan"] == 1_000_000.0                                  # consented + contracted only


def test_a_head_office_covers_its_branches_requests(wh):
    """list_requests(bank=) and withdraw_request follow the bank rule (registry.bank_filter): a head office's
    account sees and may withdraw its branches' requests; a branch sees only its own, a sibling branch nothing of
    another's; an account bound to no bank sees none."""
    con = wh.con
    head = normalize_name("重庆银行股份有限公司")
    sibling = normalize_name("重庆银行股份有限公司江津支行")
    a = new(con)["request_id"]                                             # BANK: a branch of head
    b = new(con, bank=sibling, app_nos=[world.A2])["request_id"]
    c = new(con, bank=OTHER_BANK, app_nos=[world.A7])["request_id"]
    assert {r["request_id"] for r in list_requests(con, bank=head)} == {a, b}
    assert {r["request_id"] for r in list_requests(con, bank="重庆银行股份有限公司")} == {a, b}   # normalised
    assert [r["request_id"] for r in list_requests(con, bank=BANK)] == [a]
    assert list_requests(con, bank="") == [] and list_requests(con, bank=" ") == []
    with pytest.raises(RequestNotFound):
        withdraw_request(con, a, bank=sibling, by="bank2")                 # a sibling branch: not its request
    with pytest.raises(RequestNotFound):
        withdraw_request(con, a, bank="", by="nobody")
    assert withdraw_request(con, b, bank=head, by="head")["status"] == "withdrawn"
    assert statuses(con) == {a: "interest", b: "withdrawn", c: "interest"}


def add_contracts(wh, rows) -> None:
    """pledge_contracts rows (contract_no, pledgor, pledgee, registered_date) with one patent item each."""
    for no, pledgor, pledgee, day, app_no in rows:
        wh.con.execute("INSERT INTO pledge_contracts (contract_no, pledgor, pledgor_norm, pledgee, pledgee_norm,"
                       " amount_yuan, loan_start, loan_end, registered_date, source) VALUES"
                       " (?, ?, ?, ?, ?, 1000000, ?, ?, ?, 'test')",
                       [no, pledgor, normalize_name(pledgor), pledgee, normalize_name(pledgee), day,
                        date(day.year + 2, day.month, day.day), day])
        wh.con.execute("INSERT INTO pledge_items VALUES (?, 'patent', ?, ?, NULL)", [no, app_no, day])


def test_match_contracts_links_the_registered_contract(wh):
    con = wh.con
    a = new(con, now=datetime(2025, 3, 1, 10))["request_id"]
    b = new(con, enterprise=E2, app_nos=[world.A3], now=datetime(2025, 3, 2, 10))["request_id"]
    c = new(con, app_nos=[world.A2], now=datetime(2025, 3, 3, 10))["request_id"]
    for rid, ent in ((a, E1), (b, E2), (c, E1)):
        answer_request(con, rid, enterprise=ent, consent=True, by="x")
    add_contracts(wh, [
        ("C-OLD", world.E1, world.BANK, date(2025, 2, 28), world.A1),      # before request a: not a match
        ("C-OTHER", world.E1, "中国农业银行股份有限公司永川支行", date(2025, 3, 5), world.A1),  # another bank
        ("C-E1", world.E1, world.BANK, date(2025, 3, 10), world.A1),       # a's (earliest consented first)
        ("C-E1b", world.E1, world.BANK, date(2025, 4, 1), world.A2),       # c's: C-E1 is taken by a
    ])
    changed = match_contracts(con, wh.ibis(), date(2025, 6, 30))
    assert {r["request_id"]: r["contract_no"] for r in changed} == {a: "C-E1", c: "C-E1b"}
    assert statuses(con) == {a: "contracted", b: "consented", c: "contracted"}
    assert get_request(con, a)["decided_by"] == "auto"
    assert match_contracts(con, wh.ibis(), date(2025, 6, 30)) == []        # nothing more to link
    # registered after the as_of day: not yet known
    add_contracts(wh, [("C-E2", world.E2, world.BANK, date(2025, 7, 1), world.A3)])
    assert match_contracts(con, wh.ibis(), date(2025, 6, 30)) == []
    assert [r["contract_no"] for r in match_contracts(con, wh.ibis(), date(2025, 7, 1))] == ["C-E2"]


def hvp(*args: object):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_cli_list_and_link(tmp_path, monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "zhangsan")            # the system user links by default
    db = tmp_path / "cli.duckdb"
    with Warehouse(db) as w:
        world.build(w)
        a = new(w.con, amount_yuan=100)["request_id"]
        new(w.con, enterprise=E2, app_nos=[world.A3])
        answer_request(w.con, a, enterprise=E1, consent=True, by="jia")
        add_contracts(w, [("C-A", world.E1, world.BANK, date(2025, 3, 1), world.A1)])
    out = hvp("--db", db, "financing", "list", "--status", "consented", "--format", "json")
    assert out.exit_code == 0, out.output
    assert [r["request_id"] for r in json.loads(out.output)] == [a]
    out = hvp("--db", db, "financing", "list", "--enterprise", world.E2, "--format", "json")
    assert [r["enterprise"] for r in json.loads(out.output)] == [E2]
    text = hvp("--db", db, "financing", "list")
    assert a in text.output and "企业同意" in text.output
    bad = hvp("--db", db, "financing", "link", a, "NO-SUCH")
    assert bad.exit_code == 2 and "NO-SUCH" in bad.output
    other = hvp("--db", db, "financing", "link", a, "P1")                 # no pledge of E1 to BANK
    assert other.exit_code == 2 and "is no pledge of" in other.output
    ok = hvp("--db", db, "financing", "link", a, "c-a")                   # typed in lower case
    assert ok.exit_code == 0, ok.output
    # --bank follows the bank rule: the head office's name lists its branch's requests
    out = hvp("--db", db, "financing", "list", "--bank", "重庆银行股份有限公司", "--format", "json")
    assert len(json.loads(out.output)) == 2
    xlsx = tmp_path / "r.xlsx"
    assert hvp("--db", db, "financing", "list", "--out", xlsx).exit_code == 0
    assert xlsx.stat().st_size > 0
    with Warehouse(db, read_only=True) as w:
        assert (get_request(w.con, a)["status"], get_request(w.con, a)["contract_no"]) == ("contracted", "C-A")
        assert get_request(w.con, a)["decided_by"] == "zhangsan"
        last = audit_entries(w.con.cursor())[0]                             # newest first
        assert (last["action"], last["username"]) == ("financing_request_contracted", "zhangsan")
    assert hvp("--db", db, "financing", "list", "--status", "nope").exit_code == 2
    help_text = hvp("financing", "list", "--help").output                  # --status explained in both languages
    assert "企业同意" in help_text and "status:" in help_text


def test_cli_lists_on_a_warehouse_from_before_the_finance_tables(tmp_path):
    """A warehouse made before issue 18 has no financing_requests or finance_ledger: the listing commands give
    empty lists (the warehouse gets its tables when opened), not a traceback."""
    db = tmp_path / "old.duckdb"
    with Warehouse(db) as wh:
        wh.con.execute("DROP TABLE financing_requests")
        wh.con.execute("DROP TABLE finance_ledger")
    for command in (("financing", "list"), ("finance", "ledger")):
        result = hvp("--db", db, *command, "--format", "json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == []
