"""/finance/subsidies and /api/finance/subsidies on the world.py district with tests/test_finance_subsidies.py's
contracts: staff apply, decide and pay (the batch's xlsx), a second payment is refused; a bank or enterprise account
gets 403 on every page, form and API, an anonymous visitor 401 (API) or the login page."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from test_finance_subsidies import add_contracts
from webserver import client, serve, world_db

AS_OF = "2026-01-15"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    from hvpatent.warehouse.store import Warehouse
    from hvpatent.web import create_app

    db = world_db(tmp_path_factory.mktemp("subsidies-web"))
    with Warehouse(db) as wh:
        add_contracts(wh)
    with serve(create_app(db, secret="test-secret")) as url:
        yield url


GETS = ["/finance/subsidies", "/api/finance/subsidies", "/api/finance/subsidies?format=xlsx",
        "/api/finance/subsidies/policy"]
POSTS = [("/api/finance/subsidies/compute", {"scheme": "interest_subsidy", "contract_no": "C1", "period": "2024",
                                             "claimed_yuan": 1}),
         ("/api/finance/subsidies/apply", {"scheme": "interest_subsidy", "contract_no": "C1", "period": "2024",
                                           "claimed_yuan": 1}),
         ("/api/finance/subsidies/decide", {"scheme": "interest_subsidy", "contract_no": "C1", "period": "2024",
                                            "approve": True}),
         ("/api/finance/subsidies/pay", {"batch": "X"})]
FORMS = [("/finance/subsidies/apply", {"scheme": "interest_subsidy", "contract_no": "C1", "period": "2024",
                                       "claimed_yuan": "1"}),
         ("/finance/subsidies/decide", {"scheme": "interest_subsidy", "contract_no": "C1", "period": "2024",
                                        "decision": "approve"}),
         ("/finance/subsidies/pay", {"batch": "X"})]


@pytest.mark.parametrize("username", ["bank", "jia"])
def test_bank_and_enterprise_get_403_everywhere(base_url, username):
    with client(base_url, username) as c:
        for path in GETS:
            assert c.get(path).status_code == 403, path
        for path, body in POSTS:
            assert c.post(path, json=body).status_code == 403, path
        for path, form in FORMS:
            assert c.post(path, data={**form, "csrf": c.headers["x-csrf-token"]}).status_code == 403, path
        assert "/finance/subsidies" not in c.get("/").text   # not in their menu


def test_anonymous(base_url):
    with client(base_url) as c:
        assert c.get("/api/finance/subsidies").status_code == 401
        page = c.get("/finance/subsidies")
        assert page.status_code == 303 and page.headers["location"].startswith("/login?next=%2Ffinance%2Fsubsidies")
        assert c.post("/api/finance/subsidies/apply", json=POSTS[1][1]).status_code == 401


def test_staff_apply_decide_pay(base_url):
    with client(base_url, "analyst") as c:
        csrf = c.headers["x-csrf-token"]
        claim = {"scheme": "interest_subsidy", "contract_no": "C1", "period": "2024", "claimed_yuan": 40000,
                 "as_of": AS_OF}
        # 1,000,000 × 3.45 % × 366 / 365 = 34,594.52 × 50 % = 17,297.26 (tests/test_finance_subsidies.py)
        computed = c.post("/api/finance/subsidies/compute", json=claim).json()
        assert computed["amount"] == 17297.26 and computed["eligible"]
        assert c.post("/api/finance/subsidies/compute", json=claim,
                      headers={"x-csrf-token": "wrong"}).status_code == 403
        # the contract number as a user may type it (lower case, full-width): stored under the registry's C1
        row = c.post("/api/finance/subsidies/apply", json={**claim, "contract_no": " ｃ１"}).json()
        assert row["status"] == "applied" and row["applied_by"] == "analyst" and row["contract_no"] == "C1"
        # the 2nd half of the year overlaps the live claim for 2024: refused with the reason
        r = c.post("/api/finance/subsidies/apply", json={**claim, "period": "2024-H2"})
        assert r.status_code == 422 and "overlaps" in r.json()["detail"]
        assert c.post("/api/finance/subsidies/apply", json={**claim, "period": "2024-Q5"}).status_code == 422
        # a non-cooperating bank's contract, through the form: recorded as rejected, with the failed rule
        r = c.post("/finance/subsidies/apply", data={"csrf": csrf, "scheme": "interest_subsidy", "contract_no": "C2",
                                                      "period": "2024", "claimed_yuan": "40000"})
        assert r.status_code == 303 and "rejected" in r.headers["location"]
        page = c.get("/finance/subsidies").text
        assert "质权人为合作银行" in page and "C2" in page and 'name="decision" value="approve"' in page
        # approve C1 through the form, more than computed first
        decide = {"csrf": csrf, "scheme": "interest_subsidy", "contract_no": "c 1", "period": "2024",
                  "decision": "approve"}
        r = c.post("/finance/subsidies/decide", data={**decide, "approved_yuan": "17297.27"})
        assert r.status_code == 422 and "at most the computed" in r.text
        r = c.post("/finance/subsidies/decide", data={**decide, "approved_yuan": "abc"})
        assert r.status_code == 422
        assert c.post("/finance/subsidies/decide", data=decide).status_code == 303
        # pay: the batch's xlsx for the finance office
        r = c.post("/finance/subsidies/pay", data={"csrf": csrf, "batch": "2026-01"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxml")
        sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
        assert sheet.cell(2, 2).value == "C1" and sheet.cell(2, 8).value == 17297.26
        # a second payment finds nothing to pay; the paid claim cannot be re-applied
        r = c.post("/finance/subsidies/pay", data={"csrf": csrf, "batch": "2026-02"})
        assert r.status_code == 422 and "没有待拨付" in r.text
        r = c.post("/api/finance/subsidies/apply", json=claim)
        assert r.status_code == 422 and "already paid for this period" in r.json()["detail"]
        paid = c.get("/api/finance/subsidies", params={"status": "paid"}).json()
        assert [(p["contract_no"], p["payment_batch"], p["approved_yuan"]) for p in paid] == [
            ("C1", "2026-01", 17297.26)]
        assert c.get("/api/finance/subsidies", params={"status": "done"}).status_code == 422
        csv_text = c.get("/api/finance/subsidies", params={"format": "csv", "period": "2024"}).text
        assert "质押登记号" in csv_text and "C2" in csv_text
        assert c.get("/api/finance/subsidies/policy").json()["versions"][0]["version"] == "2024-01"
        assert 'href="/finance/subsidies"' in c.get("/").text   # in the staff menu
        for name, junk in (("period", "2024-Q9"), ("period", "中"), ("period", "x" * 5000), ("scheme", "bogus"),
                           ("status", "done"), ("done", "x" * 5000)):
            assert c.get("/finance/subsidies", params={name: junk}).status_code == 422, (name, junk[:9])
