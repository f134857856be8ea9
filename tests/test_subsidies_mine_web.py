"""/mine/subsidies and /api/mine/subsidies (web/subsidies_mine.py) on the world.py district under a tiny policy
(POLICY, the user's copy subsidies.yaml in a temporary config folder; one item: 2,000 yuan an invention granted in
2024, in force on the assessment day):
甲 (account jia) holds A2, granted 2024-02-01 and lapsed 2024-10-15, so not eligible for 2024 (rule in_force);
乙 (account yi) holds A10, granted 2024-07-07 and in force, eligible for 2,000 yuan.  Each enterprise sees only its
own rows, with the reasons; applying for another payee's key is 404 and changes nothing; a missing CSRF token is
refused; applying twice adds nothing; staff and banks get 403, an anonymous visitor the login page or 401.
One server for the module; the tests that must find the ledger empty come before the one that applies."""

from __future__ import annotations

from datetime import date

import pytest

import world
from webserver import client, world_server

POLICY = """\
versions:
  - version: "T2024"
    name_zh: 测试政策
    name_en: test policy
    effective_from: 2024-01-01
    effective_to: null
    region: "500118"
    source: tests/test_subsidies_mine_web.py
    items:
      - {id: invention_grant, kind: invention_grant, name_zh: 发明专利授权资助, name_en: invention grant,
         amount_yuan: 2000, conditions: {patent_types: [invention]}}
"""
KEY_A2, KEY_A10 = f"invention_grant|{world.A2}|2024", f"invention_grant|{world.A10}|2024"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    config = tmp_path_factory.mktemp("config")
    (config / "hvpatent").mkdir()
    (config / "hvpatent" / "subsidies.yaml").write_text(POLICY, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CONFIG_HOME", str(config))
        with world_server(tmp_path_factory.mktemp("subsidies-mine"), default_as_of=date(2024, 12, 31)) as url:
            yield url


def ledger(c) -> list:
    return c.get("/api/mine/subsidies", params={"period": "2024"}).json()["ledger"]


def test_each_enterprise_sees_only_its_own_rows_with_the_reasons(base_url):
    with client(base_url, "jia") as c:
        page = c.get("/mine/subsidies", params={"period": "2024"})
        assert page.status_code == 200 and 'href="/mine/subsidies"' in page.text  # in the enterprise's menu
        assert world.A2 in page.text and world.A10 not in page.text
        assert "不符合的规则：专利有效" in page.text and 'name="key"' not in page.text  # nothing to apply for
        body = c.get("/api/mine/subsidies", params={"period": "2024"}).json()
        assert [(r["app_no"], r["eligible"], r["reasons"], r["appliable"]) for r in body["eligible"]] == [
            (world.A2, False, ["in_force"], False)]
        english = c.get("/mine/subsidies", params={"period": "2024", "lang": "en"}).text
        assert "Rules not met: patent in force" in english
    with client(base_url, "yi") as c:
        page = c.get("/mine/subsidies", params={"period": "2024"})
        assert world.A10 in page.text and world.A2 not in page.text
        assert f'name="key" value="{KEY_A10}"' in page.text and "2,000.00" in page.text
        steps = page.text.split("<details>")[1]
        assert "✓ 专利有效 (符合)：" in steps and "in_force=True" in steps  # the facts that made it eligible
        body = c.get("/api/mine/subsidies", params={"period": "2024"}).json()
        assert [(r["key"], r["amount_yuan"], r["appliable"]) for r in body["eligible"]] == [(KEY_A10, 2000, True)]
        assert body["ledger"] == []


def test_a_key_of_another_payee_is_404_like_a_missing_one_and_changes_nothing(base_url):
    with client(base_url, "jia") as c:
        csrf = c.headers["x-csrf-token"]
        for key in (KEY_A10, "invention_grant|209910000001.9|2024", KEY_A10.replace("2024", "2023")):
            assert c.post("/api/mine/subsidies/apply", json={"period": "2024", "keys": [key]}).status_code == 404
        form = c.post("/mine/subsidies/apply", data={"csrf": csrf, "period": "2024", "key": [KEY_A2, KEY_A10]})
        assert form.status_code == 404  # one foreign key refuses the lot: its own A2 is not applied for either
        # its own ineligible row is its own: refused as ineligible (422), never 404, and nothing added
        r = c.post("/api/mine/subsidies/apply", json={"period": "2024", "keys": [KEY_A2]})
        assert r.status_code == 422 and "ineligible" in r.text and ledger(c) == []
    with client(base_url, "yi") as c:
        assert ledger(c) == []


def test_csrf_missing_or_wrong_is_refused(base_url):
    with client(base_url, "yi") as c:
        token = c.headers.pop("x-csrf-token")
        assert c.post("/api/mine/subsidies/apply", json={"period": "2024", "keys": [KEY_A10]}).status_code == 403
        assert c.post("/mine/subsidies/apply", data={"period": "2024", "key": KEY_A10}).status_code in (403, 422)
        assert c.post("/mine/subsidies/apply", data={"csrf": "wrong", "period": "2024",
                                                     "key": KEY_A10}).status_code == 403
        assert token and ledger(c) == []


def test_bad_values_are_422(base_url):
    with client(base_url, "yi") as c:
        csrf = c.headers["x-csrf-token"]
        assert c.get("/mine/subsidies", params={"period": "2024-Q9"}).status_code == 422
        assert c.get("/api/mine/subsidies", params={"period": "24"}).status_code == 422
        assert c.post("/mine/subsidies/apply", data={"csrf": csrf, "period": "2024"}).status_code == 422  # no key
        assert c.post("/api/mine/subsidies/apply", json={"period": "2024", "keys": ["no-bars"]}).status_code == 422
        assert ledger(c) == []


@pytest.mark.parametrize("username", ["admin", "analyst", "bank"])
def test_staff_and_banks_get_403(base_url, username):
    with client(base_url, username) as c:
        assert c.get("/mine/subsidies").status_code == 403
        assert c.get("/api/mine/subsidies").status_code == 403
        assert c.post("/api/mine/subsidies/apply", json={"period": "2024", "keys": [KEY_A10]}).status_code == 403
        assert c.post("/mine/subsidies/apply", data={"csrf": c.headers["x-csrf-token"], "period": "2024",
                                                     "key": KEY_A10}).status_code == 403


def test_anonymous(base_url):
    with client(base_url) as c:
        page = c.get("/mine/subsidies")
        assert page.status_code == 303 and page.headers["location"].startswith("/login?next=%2Fmine%2Fsubsidies")
        assert c.get("/api/mine/subsidies").status_code == 401
        assert c.post("/api/mine/subsidies/apply", json={"period": "2024", "keys": [KEY_A10]}).status_code == 401


def test_apply_records_the_row_once(base_url):
    with client(base_url, "yi") as c:
        r = c.post("/mine/subsidies/apply", data={"csrf": c.headers["x-csrf-token"], "period": "2024",
                                                  "key": KEY_A10})
        assert r.status_code == 303 and r.headers["location"] == "/mine/subsidies?period=2024&done=1"
        assert [(x["app_no"], x["status"], x["computed_yuan"], x["applied_by"]) for x in ledger(c)] == [
            (world.A10, "applied", 2000, "yi")]
        page = c.get("/mine/subsidies", params={"period": "2024"}).text
        assert 'name="key"' not in page and "已申请" in page  # applied: no longer offered
        again = c.post("/api/mine/subsidies/apply", json={"period": "2024", "keys": [KEY_A10]})
        assert again.status_code == 422 and "applied" in again.text and len(ledger(c)) == 1
    with client(base_url, "jia") as c:
        assert ledger(c) == []  # 乙's row is not 甲's to see
    # the bureau refuses it at review; the enterprise cannot re-open the refusal by applying again
    with client(base_url, "admin") as c:
        r = c.post("/api/subsidies/review", json={"keys": [KEY_A10], "passed": False, "note": "材料不全"})
        assert r.status_code == 200
    with client(base_url, "yi") as c:
        for post in (lambda: c.post("/api/mine/subsidies/apply", json={"period": "2024", "keys": [KEY_A10]}),
                     lambda: c.post("/mine/subsidies/apply", data={"csrf": c.headers["x-csrf-token"],
                                                                   "period": "2024", "key": KEY_A10})):
            r = post()
            assert r.status_code == 422 and "rejected" in r.text
        assert [(x["status"], x["note"], x["applied_by"]) for x in ledger(c)] == [("rejected", "材料不全", "yi")]
