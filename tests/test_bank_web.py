"""The bank's workspace (web/bank.py) and the financing pages (web/financing.py) as each role: anonymous, two
enterprises, the bank account (world.BANK), a second bank account bound to another bank, analyst, admin.  A bank
never sees another bank's contract (list, detail, export, valuation sheet), an enterprise answers only its own
requests, a bank withdraws only its own; the request flow end to end with its audit entries; CSRF refused without
the token.  One server for the module, on the world.py district with three pledge contracts added."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from docx import Document
from openpyxl import load_workbook

import world
from hvpatent.ingest.fields import normalize_name
from hvpatent.warehouse.accounts import add_user, audit_entries
from hvpatent.web import create_app
from webserver import PASSWORD, client, serve, world_db

OTHER_BANK = "中国农业银行股份有限公司永川支行"
AS_OF = date(2025, 1, 1)
# Contracts (pledgor, pledgee, registered, released, items), 2,000,000 yuan each but C-OLD 1,234,567 (123.5 万):
#   C-MINE   E1 → world.BANK, 2024-06-01, active, A2 + A7: the bank's own (A2 lapsed 2024-10-15: a risk alert)
#   C-THEIRS E1 → OTHER_BANK, 2024-02-01, active, A1: the other bank's
#   C-OLD    E2 → OTHER_BANK, 2023-01-01, released 2024-06-01, A3: the other bank's, ended
# Candidates on 2025-01-01 (region 500118, ≥ 5 years left, not in an active pledge): E2's A10 and A3 (A1, A5
# are pledged: P1/P2 of world.py, C-THEIRS); one bundle, E2's.
CONTRACTS = [("C-MINE", world.E1, world.BANK, date(2024, 6, 1), None, [world.A2, world.A7]),
             ("C-THEIRS", world.E1, OTHER_BANK, date(2024, 2, 1), None, [world.A1]),
             ("C-OLD", world.E2, OTHER_BANK, date(2023, 1, 1), date(2024, 6, 1), [world.A3], 1_234_567)]
E2 = normalize_name(world.E2)
ROLES = (None, "jia", "yi", "bank", "bank2", "analyst", "admin")


def add_contract(con, no, pledgor, pledgee, registered, released, app_nos, amount=2_000_000) -> None:
    """A registry contract with its patent items, and its per-patent ``pledges`` lines as the importer writes them
    (the value room's pledge inputs read those)."""
    con.execute("INSERT INTO pledge_contracts (contract_no, pledgor, pledgor_norm, pledgee, pledgee_norm, amount_yuan,"
                " loan_start, loan_end, registered_date, released_date, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
                " ?, ?, 'test')", [no, pledgor, normalize_name(pledgor), pledgee, normalize_name(pledgee), amount,
                                   registered, date(registered.year + 3, 1, 1), registered, released])
    for app_no in app_nos:
        con.execute("INSERT INTO pledge_items VALUES (?, 'patent', ?, ?, NULL)", [no, app_no, registered])
        con.execute("INSERT INTO pledges (contract_no, app_no, pledgor, pledgee, amount_yuan, registered_date,"
                    " released_date) VALUES (?, ?, ?, ?, ?, ?, ?)", [no, app_no, pledgor, pledgee, amount, registered,
                                                                     released])


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    db = world_db(tmp_path_factory.mktemp("bank"))
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(db) as wh:
        add_user(wh.con, "bank2", PASSWORD, "bank", None, bank=normalize_name(OTHER_BANK))
        for row in CONTRACTS:
            add_contract(wh.con, *row)
    app = create_app(db, secret="test-secret", default_as_of=AS_OF)
    with serve(app) as url:
        yield url, app.state.analytics


def as_(url, role):
    return client(url, role)


def test_bank_pages_and_api_by_role(site):
    url, _ = site
    bank_pages = ["/bank", "/bank/candidates", "/bank/risk", "/bank/requests", "/bank/contracts/C-MINE",
                  f"/bank/valuation?app_no={world.A10}"]
    bank_api = ["/api/bank/contracts", "/api/bank/contracts/C-MINE", "/api/bank/candidates", "/api/bank/bundles",
                "/api/bank/risk", "/api/bank/requests", f"/api/bank/valuation?app_no={world.A10}"]
    for role in ROLES:
        with as_(url, role) as c:
            for path in bank_pages:
                r = c.get(path)
                expected = {None: 303, "bank": 200}.get(role, 403)
                if role == "bank2" and path in ("/bank/contracts/C-MINE",):
                    expected = 404
                if role == "bank2" and path != "/bank/contracts/C-MINE":
                    expected = 200
                assert r.status_code == expected, (role, path, r.status_code)
                if role is None:
                    assert r.headers["location"].startswith("/login")
            for path in bank_api:
                r = c.get(path)
                expected = {None: 401, "bank": 200, "bank2": 200}.get(role, 403)
                if role == "bank2" and path == "/api/bank/contracts/C-MINE":
                    expected = 404
                assert r.status_code == expected, (role, path, r.status_code)


def test_a_bank_sees_only_its_own_contracts(site):
    url, _ = site
    with as_(url, "bank") as c:
        assert [r["contract_no"] for r in c.get("/api/bank/contracts").json()] == ["C-MINE"]
        every = c.get("/api/bank/contracts?status=all").json()
        assert [r["contract_no"] for r in every] == ["C-MINE"]
        page = c.get("/bank").text
        assert "C-MINE" in page and "C-THEIRS" not in page and "C-OLD" not in page
        # "not yours" and "does not exist" answer the same
        for no in ("C-THEIRS", "C-OLD", "NO-SUCH"):
            mine, missing = c.get(f"/api/bank/contracts/{no}"), c.get("/api/bank/contracts/NO-SUCH")
            assert (mine.status_code, mine.json()) == (missing.status_code, missing.json()) == (
                404, {"detail": "没有这份质押合同 / no such pledge contract"})
            assert c.get(f"/bank/contracts/{no}").status_code == 404
            assert c.get(f"/bank/valuation?contract_no={no}").status_code == 404
        detail = c.get("/api/bank/contracts/C-MINE").json()
        assert sorted(i["item_no"] for i in detail["items"]) == sorted([world.A2, world.A7])
        # exports: xlsx and csv hold only its own contract
        wb = load_workbook(io.BytesIO(c.get("/api/bank/contracts?status=all&format=xlsx").content))
        cells = {str(v) for row in wb.active.iter_rows(values_only=True) for v in row}
        assert "C-MINE" in cells and "C-THEIRS" not in cells and "C-OLD" not in cells
        text = c.get("/api/bank/contracts?status=all&format=csv").text
        assert "C-MINE" in text and "C-THEIRS" not in text
        # risk watch: alerts on its own contract's patents only
        risk = c.get("/api/bank/risk?within=365").json()
        assert risk and {r["contract_no"] for r in risk} == {"C-MINE"}
        assert "C-MINE" in c.get("/bank/risk?within=365").text
        assert "C-THEIRS" not in c.get("/api/bank/risk?within=365&format=csv").text
        # valuation sheets: its contract's (docx), a public candidate's; never one printing another bank's pledge
        sheet = c.get("/bank/valuation?contract_no=C-MINE")
        assert sheet.status_code == 200 and sheet.content[:2] == b"PK"
        assert c.get(f"/bank/valuation?contract_no=C-MINE&app_no={world.A1}").status_code == 404
        assert c.get(f"/api/bank/valuation?app_no={world.A10}").content[:2] == b"PK"
        # A3 was pledged to OTHER_BANK (C-OLD): its sheet counts that pledge but never itemises it
        other = c.get(f"/bank/valuation?app_no={world.A3}")
        assert other.status_code == 200
        text = "\n".join(cell.text for table in Document(io.BytesIO(other.content)).tables
                         for row in table.rows for cell in row.cells)
        body = "\n".join(p.text for p in Document(io.BytesIO(other.content)).paragraphs)
        assert "C-OLD" not in text + body and "另有其他质权人的质押登记 1 项" in body
        # nor its amount: C-OLD's 1,234,567 yuan (123.5 万, its one patent's whole share) is left out of the value
        # inputs too, which count the bank's own pledges only (none on A3); the score stays the value room's
        assert "123.5" not in text + body and "1,234,567" not in text + body and "123.46" not in text + body
        assert "质押 0 次（仅本行质押）" in text and "质押金额 0.0 万元（仅本行质押）" in text
        assert c.get(f"/bank/valuation?app_no={world.A1}").status_code == 404    # not a candidate
    with as_(url, "bank2") as c:
        assert sorted(r["contract_no"] for r in c.get("/api/bank/contracts?status=all").json()) == [
            "C-OLD", "C-THEIRS"]
        # C-OLD is bank2's own: its sheet of A3 counts it (1 pledge, 1,234,567 yuan = 123.5 万)
        own = c.get(f"/bank/valuation?app_no={world.A3}")
        cells = "\n".join(cell.text for table in Document(io.BytesIO(own.content)).tables
                          for row in table.rows for cell in row.cells)
        assert "质押 1 次（仅本行质押）" in cells and "质押金额 123.5 万元（仅本行质押）" in cells and "C-OLD" in cells
        assert c.get("/api/bank/risk?within=365").json() == [] or {
            r["contract_no"] for r in c.get("/api/bank/risk?within=365").json()} <= {"C-THEIRS"}
        assert c.get("/bank/valuation?contract_no=C-MINE").status_code == 404
        # the other bank's pledge (C-OLD) is its own: its sheet of A3 is allowed
        assert c.get(f"/bank/valuation?app_no={world.A3}").status_code == 200


def test_candidates_are_public_and_filtered(site):
    url, _ = site
    with as_(url, "bank") as c:
        rows = c.get("/api/bank/candidates").json()
        assert sorted(r["app_no"] for r in rows) == sorted([world.A10, world.A3])
        assert set(rows[0]) == {"app_no", "title", "patent_type", "applicant", "applicant_name", "town_code",
                                "grant_date", "term_end", "remaining_years", "next_due_date", "score", "grade",
                                "high_value", "state"}
        # A3 has 7.4 years left on 2025-01-01 (term ends 2032-06-01), A10 13.1: min_years=10 keeps A10
        assert [r["app_no"] for r in c.get("/api/bank/candidates?min_years=10").json()] == [world.A10]
        assert c.get("/api/bank/candidates?town=500118002").json() == []             # both in 来苏镇
        assert c.get("/api/bank/candidates?grade=Z").json() == []
        assert c.get("/api/bank/candidates?min_years=99").status_code == 422
        bundles = c.get("/api/bank/bundles").json()
        assert [(b["enterprise"], sorted(b["suggested"])) for b in bundles] == [(E2, sorted([world.A10, world.A3]))]
        page = c.get("/bank/candidates").text
        assert world.A10 in page and "C-OLD" not in page and "C-THEIRS" not in page
        wb = load_workbook(io.BytesIO(c.get("/api/bank/candidates?format=xlsx").content))
        assert wb.active.max_row == 3                                                  # header + 2


def csrf_of(c, path: str) -> str:
    import re

    return re.search(r'name="csrf" value="([^"]+)"', c.get(path).text).group(1)


def test_request_flow_end_to_end(site):
    url, analytics = site
    bundle = ";".join([world.A10, world.A3])
    with as_(url, "bank") as bank:
        # CSRF: the form and the API refuse a request without the token
        r = bank.post("/bank/requests", data={"csrf": "x", "enterprise": E2, "app_nos": bundle})
        assert r.status_code == 403
        assert bank.post("/api/bank/requests", json={"enterprise": E2, "app_nos": [world.A10]},
                         headers={"x-csrf-token": ""}).status_code == 403
        # not a candidate of that enterprise (A1 is E1's and pledged): refused before anything is written
        r = bank.post("/api/bank/requests", json={"enterprise": E2, "app_nos": [world.A1]})
        assert r.status_code == 422 and world.A1 in r.json()["detail"]
        token = csrf_of(bank, "/bank/candidates")
        r = bank.post("/bank/requests", data={"csrf": token, "enterprise": E2, "app_nos": bundle,
                                              "amount_yuan": "3000000", "note": "首贷"}, follow_redirects=False)
        assert r.status_code == 303
        mine = bank.get("/api/bank/requests").json()
        assert len(mine) == 1 and mine[0]["status"] == "interest" and mine[0]["amount_yuan"] == 3_000_000
        # the page's columns only: no login names (created_by, decided_by), no normalised names
        assert set(mine[0]) == {"request_id", "status", "enterprise_name", "app_nos", "amount_yuan", "created_at",
                                "decided_at", "contract_no", "note"}
        rid = mine[0]["request_id"]
        assert rid in r.headers["location"]
        # the same bundle again while open: 422
        again = bank.post("/api/bank/requests", json={"enterprise": E2, "app_nos": [world.A3, world.A10]})
        assert again.status_code == 422 and rid in again.json()["detail"]
        assert rid in bank.get("/bank/requests").text
    with as_(url, "bank2") as bank2:
        assert bank2.get("/api/bank/requests").json() == []                  # not its request
        r = bank2.post(f"/api/bank/requests/{rid}/withdraw")
        assert r.status_code == 404                                            # same as a request that doesn't exist
        assert bank2.post("/api/bank/requests/R00000000-001/withdraw").status_code == 404
    with as_(url, "jia") as jia:
        assert jia.get("/api/mine/financing").json() == []                   # addressed to 乙, not 甲
        assert jia.post(f"/api/mine/financing/{rid}/answer", json={"consent": True}).status_code == 404
        assert rid not in jia.get("/mine/financing").text
    with as_(url, "yi") as yi:
        seen = yi.get("/api/mine/financing").json()
        assert [(r["request_id"], r["bank_name"]) for r in seen] == [(rid, normalize_name(world.BANK))]
        assert set(seen[0]) == {"request_id", "status", "bank_name", "app_nos", "amount_yuan", "created_at",
                                "decided_at", "contract_no", "note"}             # no created_by ("bank")
        # a lone surrogate in the answer note (JSON "\ud800"): refused with the field named, not a 500
        r = yi.post(f"/api/mine/financing/{rid}/answer", content=json.dumps({"consent": True, "note": "好\ud800"}),
                    headers={"content-type": "application/json"})
        assert r.status_code == 422 and r.json()["detail"].startswith("note: ")
        page = yi.get("/mine/financing").text
        assert rid in page
        assert yi.post(f"/mine/financing/{rid}/answer", data={"csrf": "bad", "answer": "consent"}).status_code == 403
        token = csrf_of(yi, "/mine/financing")
        r = yi.post(f"/mine/financing/{rid}/answer", data={"csrf": token, "answer": "consent", "note": "请联系财务"},
                    follow_redirects=False)
        assert r.status_code == 303
        answered = yi.get("/api/mine/financing").json()[0]
        assert answered["status"] == "consented" and "yi" not in answered["note"]   # signed by the party
        # answered once only
        assert yi.post(f"/api/mine/financing/{rid}/answer", json={"consent": False}).status_code == 422
    with as_(url, "analyst") as staff:
        p = staff.get("/api/finance/pipeline").json()
        assert p["by_status"]["consented"] == 1 and p["total"] == 1
        assert rid in staff.get("/finance/pipeline").text
        assert [r["request_id"] for r in staff.get("/api/finance/requests?status=consented").json()] == [rid]
        assert staff.get("/api/finance/requests?status=nope").status_code == 422
        # a contract not in the registry: refused; linking needs the token
        assert staff.post(f"/api/finance/requests/{rid}/link", json={"contract_no": "NO-SUCH"}).status_code == 422
        r = staff.post(f"/finance/pipeline/{rid}/link", data={"csrf": "bad", "contract_no": "C-MINE"})
        assert r.status_code == 403
    # The pledge is registered (today, after the request): the next read links it by itself.
    wh = analytics.warehouse
    with wh.lock:
        add_contract(wh.con, "C-NEW", world.E2, world.BANK, date.today(), None, [world.A10])
    analytics.changed()
    with as_(url, "bank") as bank:
        row = bank.get("/api/bank/requests").json()[0]
        assert (row["status"], row["contract_no"]) == ("contracted", "C-NEW") and "decided_by" not in row
        assert bank.post(f"/api/bank/requests/{rid}/withdraw").status_code == 422   # contracted: final
    with as_(url, "analyst") as staff:                                       # staff keep every column
        row = {r["request_id"]: r for r in staff.get("/api/finance/requests").json()}[rid]
        assert (row["decided_by"], row["created_by"], row["bank"]) == ("auto", "bank", normalize_name(world.BANK))
    cursor = wh.con.cursor()
    try:
        log = [(e["username"], e["action"]) for e in reversed(audit_entries(cursor))
               if e["action"].startswith("financing_request") and rid in e["detail"]]
    finally:
        cursor.close()
    assert log == [("bank", "financing_request_created"), ("yi", "financing_request_consented"),
                   ("auto", "financing_request_contracted")]


def test_withdraw_and_staff_link(site):
    url, analytics = site
    with as_(url, "bank") as bank:
        r = bank.post("/api/bank/requests", json={"enterprise": E2, "app_nos": [world.A3], "amount_yuan": 10})
        assert r.status_code == 200, r.text
        rid = r.json()["request_id"]
        token = csrf_of(bank, "/bank/requests")
        assert bank.post(f"/bank/requests/{rid}/withdraw", data={"csrf": "bad"}).status_code == 403
        r = bank.post(f"/bank/requests/{rid}/withdraw", data={"csrf": token}, follow_redirects=False)
        assert r.status_code == 303
        assert {x["request_id"]: x["status"] for x in bank.get("/api/bank/requests").json()}[rid] == "withdrawn"
        rid2 = bank.post("/api/bank/requests", json={"enterprise": E2, "app_nos": [world.A3]}).json()["request_id"]
    with as_(url, "yi") as yi:
        assert yi.post(f"/api/mine/financing/{rid2}/answer", json={"consent": True}).status_code == 200
    # E2's pledge to the bank registered before the request and still active on its day: never matched by itself,
    # linked by hand (typed in lower case: the registry's number is stored); C-YI-ENDED (released before the
    # request's day) is refused, as are C-THEIRS (E1's, to OTHER_BANK) and C-OLD (E2's, to OTHER_BANK), not the
    # request's.
    with analytics.warehouse.lock:
        add_contract(analytics.warehouse.con, "C-YI-ENDED", world.E2, world.BANK, date(2024, 12, 1),
                     date(2024, 12, 31), [world.A3])
        add_contract(analytics.warehouse.con, "C-YI", world.E2, world.BANK, date(2024, 12, 1), None, [world.A3])
    analytics.changed()
    with as_(url, "admin") as staff:
        token = csrf_of(staff, "/finance/pipeline")
        for other in ("C-THEIRS", "C-OLD"):
            r = staff.post(f"/finance/pipeline/{rid2}/link", data={"csrf": token, "contract_no": other})
            assert r.status_code == 422 and f"contract {other} is no pledge of" in r.text, other
        r = staff.post(f"/finance/pipeline/{rid2}/link", data={"csrf": token, "contract_no": "C-YI-ENDED"})
        assert r.status_code == 422 and "contract C-YI-ENDED ended (released or disposed) on 2024-12-31" in r.text
        r = staff.post(f"/finance/pipeline/{rid2}/link", data={"csrf": token, "contract_no": " c-yi "},
                       follow_redirects=False)
        assert r.status_code == 303
        rows = {x["request_id"]: x for x in staff.get("/api/finance/requests").json()}
        assert (rows[rid2]["status"], rows[rid2]["contract_no"], rows[rid2]["decided_by"]) == (
            "contracted", "C-YI", "admin")
        wb = load_workbook(io.BytesIO(staff.get("/api/finance/requests?format=xlsx").content))
        assert wb.active.max_row == 1 + len(rows)
    for role, code in ((None, 401), ("jia", 403), ("bank", 403), ("bank2", 403)):
        with as_(url, role) as c:
            assert c.get("/api/finance/pipeline").status_code == code
            assert c.get("/api/finance/requests").status_code == code
            assert c.get("/finance/pipeline").status_code == (303 if role is None else 403)
    for role, code in ((None, 401), ("bank", 403), ("analyst", 403)):
        with as_(url, role) as c:
            assert c.get("/api/mine/financing").status_code == code
            assert c.get("/mine/financing").status_code == (303 if role is None else 403)


def test_nav_shows_each_role_its_pages(site):
    url, _ = site
    with as_(url, "bank") as c:
        page = c.get("/bank").text
        assert 'href="/bank/candidates"' in page and 'href="/finance/pipeline"' not in page
        assert 'href="/mine/financing"' not in page
    with as_(url, "yi") as c:
        assert 'href="/mine/financing"' in c.get("/mine").text
    with as_(url, "analyst") as c:
        page = c.get("/finance/pipeline").text
        assert 'href="/finance/pipeline"' in page and 'href="/bank/candidates"' not in page


def test_texts_that_cannot_be_stored_answer_422(site):
    url, _ = site
    with as_(url, "bank") as bank:
        body = json.dumps({"enterprise": E2, "app_nos": [world.A10], "note": "首贷\ud800"})  # "\\ud800" in JSON
        r = bank.post("/api/bank/requests", content=body.encode(), headers={"content-type": "application/json"})
        assert r.status_code == 422 and r.json()["detail"].startswith("note: ")
        assert bank.post("/api/bank/requests/R%ED%A0%80/withdraw").status_code == 404


def test_a_contracts_sheet_leaves_out_what_cannot_be_assessed(site):
    """A contract of the bank holding a patent the warehouse lacks: the sheet leaves it out and names it; a
    contract holding nothing that can be assessed: 422 with the reason, not a 500."""
    url, analytics = site
    unknown = "209910000001.8"
    with analytics.warehouse.lock:
        add_contract(analytics.warehouse.con, "C-ODD", world.E1, world.BANK, date(2024, 7, 1), None,
                     [world.A7, unknown])
        add_contract(analytics.warehouse.con, "C-GONE", world.E1, world.BANK, date(2024, 7, 1), None, [unknown])
    analytics.changed()
    with as_(url, "bank") as c:
        r = c.get("/bank/valuation?contract_no=C-ODD")
        assert r.status_code == 200, r.text
        body = "\n".join(p.text for p in Document(io.BytesIO(r.content)).paragraphs)
        assert f"评估专利：{world.A7}" in body and f"未列入评估：{unknown} 库中没有这件专利" in body
        gone = c.get("/api/bank/valuation?contract_no=C-GONE")
        assert gone.status_code == 422 and unknown in gone.json()["detail"]


def test_the_bank_modules_use_the_finance_door():
    """web/bank.py, web/financing.py, cli/bank.py, cli/financing.py and reports/valuation.py import the finance
    room through its door (hvpatent.finance), never its modules."""
    import re
    from pathlib import Path

    import hvpatent

    root = Path(hvpatent.__file__).parent
    for name in ("web/bank.py", "web/financing.py", "cli/bank.py", "cli/financing.py", "reports/valuation.py"):
        text = (root / name).read_text(encoding="utf-8")
        assert not re.search(r"(from|import) hvpatent\.finance\.", text), name
