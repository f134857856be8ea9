"""/subsidies… and /api/subsidies… (web/subsidies.py) on the world.py district under a tiny policy of one item
(POLICY: the user's copy subsidies.yaml in a temporary config folder): in 2024 the world grants two invention
patents, A2 (甲, 2024-02-01, lapsed 2024-10-15: not in force on 2024-12-31) and A10 (乙, 2024-07-07, in force), so
exactly A10 is eligible for 2,000 yuan.  Staff see it with its trace, apply → review → approve → pay gives the batch's
xlsx, a re-apply adds nothing; a bank or enterprise account gets 403, an anonymous visitor 401 or the login page; a
missing CSRF token is refused; bad values are 422 pages, never 500; a bad uploaded variant is a message; the budget
chart draws in Chromium.  One server for the module."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

import world
from webserver import PASSWORD, client, world_server

POLICY = """\
versions:
  - version: "T2024"
    name_zh: 测试政策
    name_en: test policy
    effective_from: 2024-01-01
    effective_to: null
    region: "500118"
    source: tests/test_subsidies_web.py
    items:
      - {id: invention_grant, kind: invention_grant, name_zh: 发明专利授权资助, name_en: invention grant,
         amount_yuan: 2000, conditions: {patent_types: [invention]}}
"""
KEY_A10 = f"invention_grant|{world.A10}|2024"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    config = tmp_path_factory.mktemp("config")
    (config / "hvpatent").mkdir()
    (config / "hvpatent" / "subsidies.yaml").write_text(POLICY, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CONFIG_HOME", str(config))
        with world_server(tmp_path_factory.mktemp("subsidies-web"), default_as_of=date(2024, 12, 31)) as url:
            yield url


GETS = ["/subsidies", "/subsidies/ledger", "/subsidies/budget", "/subsidies/whatif", "/api/subsidies/eligible",
        "/api/subsidies/ledger", "/api/subsidies/budget", "/api/subsidies/policy", "/api/subsidies/clawbacks"]
POSTS = [("/api/subsidies/apply", {"period": "2024"}), ("/api/subsidies/review", {"keys": [KEY_A10], "passed": True}),
         ("/api/subsidies/decide", {"keys": [KEY_A10], "approve": True}), ("/api/subsidies/pay", {"batch": "X"}),
         ("/api/subsidies/clawback", {"key": KEY_A10, "reason": "x"})]
FORMS = [("/subsidies/apply", {"period": "2024"}), ("/subsidies/ledger/act", {"action": "pass", "key": KEY_A10}),
         ("/subsidies/ledger/pay", {"batch": "X"}), ("/subsidies/ledger/clawback", {"key": KEY_A10, "reason": "x"})]


@pytest.mark.parametrize("username", ["bank", "jia"])
def test_bank_and_enterprise_get_403_everywhere(base_url, username):
    with client(base_url, username) as c:
        for path in GETS:
            assert c.get(path).status_code == 403, path
        for path, body in POSTS:
            assert c.post(path, json=body).status_code == 403, path
        for path, form in FORMS:
            assert c.post(path, data={**form, "csrf": c.headers["x-csrf-token"]}).status_code == 403, path
        assert 'href="/subsidies"' not in c.get("/mine" if username == "jia" else "/bank").text  # not in the menu


def test_anonymous(base_url):
    with client(base_url) as c:
        for path in ("/api/subsidies/eligible", "/api/subsidies/ledger"):
            assert c.get(path).status_code == 401
        assert c.post("/api/subsidies/apply", json={"period": "2024"}).status_code == 401
        for path in ("/subsidies", "/subsidies/budget"):
            page = c.get(path)
            assert page.status_code == 303 and page.headers["location"].startswith("/login?next=%2Fsubsidies")


def test_bad_values_are_422_pages_not_500(base_url):
    with client(base_url, "analyst") as c:
        for path, name, junk in (("/subsidies", "period", "2024-Q9"), ("/subsidies", "period", "中"),
                                 ("/subsidies", "period", "x" * 5000), ("/subsidies", "item", "nope"),
                                 ("/subsidies", "as_of", "2024-13-01"), ("/subsidies/ledger", "status", "done"),
                                 ("/subsidies/ledger", "period", "2024-H3"), ("/subsidies/budget", "year", "20x4"),
                                 ("/subsidies/budget", "by", "bogus"), ("/subsidies/whatif", "year", "99999"),
                                 ("/subsidies/whatif", "year", "1990"), ("/api/subsidies/whatif", "year", "1990"),
                                 ("/api/subsidies/eligible", "period", "24"), ("/api/subsidies/budget", "by", "x"),
                                 ("/api/subsidies/ledger", "format", "pdf")):
            r = c.get(path, params={name: junk})
            assert r.status_code == 422, (path, name, junk[:9], r.status_code)
        assert "period" in c.get("/subsidies", params={"period": "2024-Q9"}).text  # the page names the field
        csrf = c.headers["x-csrf-token"]
        assert c.post("/api/subsidies/review", json={"keys": ["no-bars"], "passed": True}).status_code == 422
        assert c.post("/api/subsidies/review", json={"keys": [], "passed": True}).status_code == 422
        assert c.post("/api/subsidies/clawback", json={"key": KEY_A10, "reason": "x",
                                                       "amount_yuan": -5}).status_code == 422
        r = c.post("/subsidies/ledger/act", data={"csrf": csrf, "action": "reject", "key": KEY_A10})
        assert r.status_code == 422 and "note" in r.text  # a rejection needs its reason
        assert c.post("/subsidies/apply", data={"csrf": csrf, "period": "2024-Q0"}).status_code == 422


def test_csrf_missing_or_wrong_is_refused(base_url):
    with client(base_url, "analyst") as c:
        token = c.headers.pop("x-csrf-token")
        assert c.post("/api/subsidies/apply", json={"period": "2024"}).status_code == 403
        assert c.post("/api/subsidies/apply", json={"period": "2024"},
                      headers={"x-csrf-token": "wrong"}).status_code == 403
        assert c.post("/subsidies/apply", data={"period": "2024", "csrf": "wrong"}).status_code == 403
        # every other change refuses a request without the token, before reading what it asks
        for path, body in (("/api/subsidies/review", {"keys": [KEY_A10], "passed": True}),
                           ("/api/subsidies/decide", {"keys": [KEY_A10], "approve": True}),
                           ("/api/subsidies/pay", {"batch": "B"}),
                           ("/api/subsidies/clawback", {"key": KEY_A10, "reason": "x"})):
            assert c.post(path, json=body).status_code == 403, path
        for path, form in (("/subsidies/ledger/act", {"action": "approve", "key": KEY_A10}),
                           ("/subsidies/ledger/pay", {"batch": "B"}),
                           ("/subsidies/ledger/clawback", {"key": KEY_A10, "reason": "x"})):
            assert c.post(path, data={**form, "csrf": "wrong"}).status_code == 403, path
        assert c.get("/api/subsidies/ledger").json() == []  # nothing was recorded
        assert token


def test_the_eligible_page_shows_a_page_of_rows_at_a_time(base_url, monkeypatch):
    from hvpatent.web import subsidies as page_module

    with client(base_url, "analyst") as c:
        every = c.get("/api/subsidies/eligible", params={"period": "2024", "show": "all"}).json()
        assert len(every) >= 2
        monkeypatch.setattr(page_module, "PAGE_ROWS", 1)  # the server runs in this process (tests/webserver.py)
        first = c.get("/subsidies", params={"period": "2024", "show": "all"}).text
        last = c.get("/subsidies", params={"period": "2024", "show": "all", "page": str(len(every))}).text
        beyond = c.get("/subsidies", params={"period": "2024", "show": "all", "page": "999"}).text
        assert first.count('<tr class="row ') == 1 and 'id="pager"' in first
        assert f"1 / {len(every)}" in first and f"{len(every)} / {len(every)}" in last and last == beyond
        assert every[0]["subject_key"] in first and every[-1]["subject_key"] in last
        assert c.get("/subsidies", params={"period": "2024", "page": "0"}).status_code == 422


def test_staff_see_eligible_rows_with_their_trace(base_url):
    with client(base_url, "admin") as c:
        page = c.get("/subsidies", params={"period": "2024"})
        assert page.status_code == 200 and 'href="/subsidies"' in page.text  # in the staff menu
        assert world.A10 in page.text and world.A2 not in page.text  # A2 lapsed: not eligible, not shown
        assert page.text.count("<details>") == 1 and "2,000.00" in page.text
        everything = c.get("/subsidies", params={"period": "2024", "show": "all"}).text
        assert world.A2 in everything and everything.count("<details>") == 2
        rows = c.get("/api/subsidies/eligible", params={"period": "2024", "show": "all"}).json()
        assert [(r["app_no"], r["eligible"], r["amount_yuan"], r["reasons"]) for r in rows] == [
            (world.A2, False, 0, ["in_force"]), (world.A10, True, 2000, [])]
        in_force = next(s for s in rows[1]["trace"] if s["rule"] == "in_force")
        assert in_force["ok"] and in_force["facts"]["in_force"] is True
        assert c.get("/subsidies", params={"period": "2024", "lang": "en"}).text.count("Rule trace") >= 1
        for by in ("item", "town", "industry", "applicant_type"):
            r = c.get("/subsidies/budget", params={"year": "2024", "by": by})
            assert r.status_code == 200 and 'id="subsidies-data"' in r.text, by
        assert c.get("/api/subsidies/policy").json()["versions"][0]["version"] == "T2024"
        # the first half of 2024 is assessed on its last day, when A2 was still in force (its annuity due
        # 2024-03-01 in its grace period, which ends 2024-09-01); as_of moves the day across that end
        assert [r["app_no"] for r in c.get("/api/subsidies/eligible", params={"period": "2024-H1"}).json()] == [
            world.A2]
        for day, expected in (("2024-08-31", [world.A2, world.A10]), ("2024-09-01", [world.A2, world.A10]),
                              ("2024-09-02", [world.A10])):
            got = c.get("/api/subsidies/eligible", params={"period": "2024", "as_of": day}).json()
            assert [r["app_no"] for r in got] == expected, day
        sheet = load_workbook(io.BytesIO(c.get("/api/subsidies/eligible", params={"period": "2024",
                                                                                    "format": "xlsx"}).content)).active
        assert sheet.max_row == 2  # a header and A10


def test_apply_review_approve_pay(base_url):
    with client(base_url, "analyst") as c:
        csrf = c.headers["x-csrf-token"]
        r = c.post("/subsidies/apply", data={"csrf": csrf, "period": "2024"})
        assert r.status_code == 303 and "%2B1" in r.headers["location"]  # "+1": A10 recorded
        again = c.post("/api/subsidies/apply", json={"period": "2024"}).json()
        assert again["added"] == [] and len(again["already"]) == 1  # a re-apply adds nothing
        rows = c.get("/api/subsidies/ledger").json()
        assert [(r["subject_key"], r["status"], r["computed_yuan"], r["applied_by"]) for r in rows] == [
            (world.A10, "applied", 2000, "analyst")]
        ledger = c.get("/subsidies/ledger").text
        assert f'value="{KEY_A10}"' in ledger  # a tick box for the applied row
        r = c.post("/subsidies/ledger/act", data={"csrf": csrf, "action": "pass", "key": KEY_A10})
        assert r.status_code == 303
        decided = c.post("/api/subsidies/decide", json={"keys": [KEY_A10], "approve": True, "note": "ok"})
        assert decided.status_code == 200 and decided.json()[0]["status"] == "approved"
        r = c.post("/subsidies/ledger/pay", data={"csrf": csrf, "batch": "2025-01"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxml")
        sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
        cells = [[c.value for c in row] for row in sheet.iter_rows()]
        header = cells[0]
        assert len(cells) == 2 and cells[1][header.index("对象")] == world.A10
        assert cells[1][header.index("核准金额（元）")] == 2000 and cells[1][header.index("拨付批次")] == "2025-01"
        r = c.post("/subsidies/ledger/pay", data={"csrf": csrf, "batch": "2025-02"})
        assert r.status_code == 422 and "没有待拨付" in r.text  # nothing approved is left: a message, not a file
        paid = c.get("/api/subsidies/ledger", params={"status": "paid"}).json()
        assert [(p["subject_key"], p["payment_batch"], p["approved_yuan"]) for p in paid] == [
            (world.A10, "2025-01", 2000)]
        lines = c.get("/api/subsidies/ledger", params={"batch": "2025-01", "format": "csv"}).text.splitlines()
        assert len(lines) == 2 and lines[1].startswith(f"invention_grant,{world.A10},2024,")
        assert c.get("/api/subsidies/ledger", params={"batch": "2099-01"}).json() == []
        sheet = load_workbook(io.BytesIO(c.get("/api/subsidies/ledger", params={"format": "xlsx"}).content)).active
        assert [sheet.cell(1, 2).value, sheet.cell(2, 2).value, sheet.cell(2, 9).value] == ["对象", world.A10, 2000]
        assert c.post("/api/subsidies/apply", json={"period": "2024"}).json()["added"] == []  # paid: never again
        # a part clawed back through the form: the amount must be a positive number of yuan
        claw = {"csrf": csrf, "key": KEY_A10, "reason": "专利权终止"}
        assert c.post("/subsidies/ledger/clawback", data={**claw, "amount_yuan": "abc"}).status_code == 422
        assert c.post("/subsidies/ledger/clawback", data={**claw, "reason": " "}).status_code == 422
        assert c.post("/subsidies/ledger/clawback", data={**claw, "amount_yuan": "500"}).status_code == 303
        [row] = c.get("/api/subsidies/ledger").json()
        assert (row["status"], row["clawback_yuan"], row["clawback_reason"]) == ("clawed_back", 500, "专利权终止")


def test_whatif_shows_the_example_and_a_bad_upload_as_a_message(base_url):
    with client(base_url, "analyst") as c:
        csrf = c.headers["x-csrf-token"]
        page = c.get("/subsidies/whatif", params={"year": "2025"})
        assert page.status_code == 200 and "variant-example.yaml" in page.text and 'id="assumptions"' in page.text
        bad = "versions:\n  - version: '1'\n    effective_from: not-a-date\n"
        r = c.post("/subsidies/whatif", data={"csrf": csrf, "year": "2025"},
                   files={"file": ("mine.yaml", bad.encode(), "application/x-yaml")})
        assert r.status_code == 422 and "mine.yaml" in r.text and 'id="errors"' in r.text
        # a variant of 100 KiB passes the body limit (web/limits.py gives this route 272 KiB) and is read
        padded = b"#" * (100 << 10) + b"\n" + bad.encode()
        r = c.post("/subsidies/whatif", data={"csrf": csrf, "year": "2025"}, files={"file": ("long.yaml", padded)})
        assert r.status_code == 422 and "long.yaml" in r.text
        # just over the route's 256 KiB: the route refuses; far over: the body limit answers before the route
        r = c.post("/subsidies/whatif", data={"csrf": csrf}, files={"file": ("big.yaml", b"#" * (257 << 10))})
        assert r.status_code == 413 and "256 KiB" in r.text
        r = c.post("/subsidies/whatif", data={"csrf": csrf}, files={"file": ("huge.yaml", b"#" * (300 << 10))})
        assert r.status_code == 413 and "272 KiB" in r.text
        r = c.post("/subsidies/whatif", data={"csrf": csrf}, files={"file": ("bin.yaml", b"\xff\xfe\x00[")})
        assert r.status_code == 422 and "bin.yaml" in r.text
        assert c.post("/subsidies/whatif", data={"csrf": "wrong"},
                      files={"file": ("mine.yaml", bad.encode())}).status_code == 403


def test_budget_chart_draws(base_url):
    """The spend chart is sized by the stylesheet (the CSP refuses inline styles) and draws with no script error."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from browser import chromium

    with chromium() as driver:
        driver.get(f"{base_url}/login")
        driver.find_element(By.NAME, "username").send_keys("analyst")
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        WebDriverWait(driver, 60).until(lambda d: "/login" not in d.current_url
                                        and d.find_elements(By.TAG_NAME, "main"))
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": (
            "window.__errors = []; window.addEventListener('error', e => window.__errors.push(String(e.message)));")})
        driver.get(f"{base_url}/subsidies/budget?year=2024&by=item")
        chart = driver.find_element(By.ID, "chart")
        assert chart.size["height"] > 200
        assert driver.execute_script("return document.querySelectorAll('#chart canvas').length") == 1
        option = "echarts.getInstanceByDom(document.getElementById('chart')).getOption()"
        assert driver.execute_script(f"return {option}.series.map(s => s.type)")[:2] == ["bar", "bar"]
        assert driver.execute_script("return window.__errors") == []
