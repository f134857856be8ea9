"""The bureau's pledge statistics (/finance, its drill-down and the API; web/finance.py) on the world.py district
with three registry contracts added (add_contracts) beside the world's legacy pledge lines (P1 2023, P2 2024).

The period 2024-01-01..2024-12-31 in Yongchuan (500118), worked by hand:
  C1  2024-04-10  甲 → BANK              5,000,000 (changed to 6,000,000 on 2024-06-01)  A1 (new_energy), A7 (auto_moto)
  P2  2024-05-01  (no pledgor/pledgee)   8,000,000  A5 (electronics; placed by its first applicant 丙, 胜利路街道)
  C2  2024-08-01  乙 → ICBC               3,000,000  A3 (consumer_goods), A10 (smart_home_materials), TM1
  C3  2024-09-15  乙 → BANK               1,000,000  TM2 only; released 2024-11-30
  → 4 contracts, 17,000,000 yuan as registered (the change is not a new contract nor a new amount), 2 + 1 + 2 = 5
    patents, 2 trademarks; patents only: C1, P2, C2 (mixed) = 3; trademarks only: C3 = 1; by industry 5 rows of 1
    (C1 and C2 touch two industries each) while the total stays 4.
"""

from __future__ import annotations

import io
import re
from datetime import date
from html import unescape

import pytest
from openpyxl import load_workbook

import world
from hvpatent.ingest.fields import normalize_name
from hvpatent.model import Batch
from webserver import client, serve, world_db

ICBC = "中国工商银行股份有限公司重庆永川支行"
TM1, TM2 = "30000001", "30000002"
YEAR = {"from": "2024-01-01", "to": "2024-12-31"}


def add_contracts(db) -> None:
    """The three registry contracts of the module docstring, as the registry importer stores them."""
    from hvpatent.warehouse.store import Warehouse

    def contract(no, pledgor, pledgee, amount, day, released=None):
        return {"contract_no": no, "pledgor": pledgor, "pledgor_norm": normalize_name(pledgor), "pledgee": pledgee,
                "pledgee_norm": normalize_name(pledgee), "amount_yuan": amount, "loan_start": day,
                "loan_end": date(day.year + 1, day.month, 1), "registered_date": day, "released_date": released,
                "disposed_date": None, "source": "test"}

    batch = Batch()
    batch.set("pledge_contracts", [
        contract("C1", world.E1, world.BANK, 5_000_000, date(2024, 4, 10)),
        contract("C2", world.E2, ICBC, 3_000_000, date(2024, 8, 1)),
        contract("C3", world.E2, world.BANK, 1_000_000, date(2024, 9, 15), released=date(2024, 11, 30))])
    batch.set("pledge_items", [
        {"contract_no": no, "item_kind": kind, "item_no": item, "added_date": day, "removed_date": None}
        for no, kind, item, day in [("C1", "patent", world.A1, date(2024, 4, 10)),
                                    ("C1", "patent", world.A7, date(2024, 4, 10)),
                                    ("C2", "patent", world.A3, date(2024, 8, 1)),
                                    ("C2", "patent", world.A10, date(2024, 8, 1)),
                                    ("C2", "trademark", TM1, date(2024, 8, 1)),
                                    ("C3", "trademark", TM2, date(2024, 9, 15))]])
    batch.set("pledge_changes", [{"contract_no": "C1", "change_date": date(2024, 6, 1), "field": "amount_yuan",
                                  "old_value": "5000000.00", "new_value": "6000000.00"}])
    batch.set("pledges", [  # the per-patent lines the importer writes beside the contracts
        {"contract_no": no, "app_no": app, "pledgor": who, "pledgee": bank, "amount_yuan": amount,
         "registered_date": day} for no, app, who, bank, amount, day in [
            ("C1", world.A1, world.E1, world.BANK, 5_000_000, date(2024, 4, 10)),
            ("C1", world.A7, world.E1, world.BANK, 5_000_000, date(2024, 4, 10)),
            ("C2", world.A3, world.E2, ICBC, 3_000_000, date(2024, 8, 1)),
            ("C2", world.A10, world.E2, ICBC, 3_000_000, date(2024, 8, 1))]])
    batch.set("trademarks", [  # 乙's marks in 来苏镇 (a trademark-only contract is placed by its mark's owner)
        {"reg_no": reg, "nice_class": 30, "mark_name": name, "mark_kind": "word", "is_gi": False, "is_madrid": False,
         "owner": world.E2, "owner_norm": normalize_name(world.E2), "owner_type": "enterprise",
         "address": world.LAISU, "province_code": "500000", "city_code": "500100", "county_code": "500118",
         "town_code": "500118111000", "source": "test"} for reg, name in [(TM1, "乙牌"), (TM2, "乙香")]])
    with Warehouse(db) as wh, wh.import_transaction("contracts", "contracts", "test", "fixture") as tx:
        tx.add(batch, 3)


@pytest.fixture(scope="module")
def finance_db(tmp_path_factory):
    db = world_db(tmp_path_factory.mktemp("finance-web"))
    add_contracts(db)
    return db


@pytest.fixture(scope="module")
def base_url(finance_db):
    from hvpatent.web import create_app

    with serve(create_app(finance_db, secret="test-secret", default_as_of=date(2024, 12, 31))) as url:
        yield url


def _detail(response) -> str:
    return response.json()["detail"] if response.headers["content-type"].startswith("application/json") \
        else response.text


GUARDED = [("/finance", {}), ("/finance/contracts", {}), ("/finance/contracts/C1", {}),
           ("/api/finance/statistics", {}), ("/api/finance/statistics", {"format": "xlsx"}),
           ("/api/finance/contracts", {}), ("/api/finance/contracts", {"format": "csv"}),
           ("/api/finance/contracts/C1", {})]


def test_who_may_look(base_url):
    with client(base_url) as anonymous:
        assert anonymous.get("/api/finance/statistics", params=YEAR).status_code == 401
        page = anonymous.get("/finance", params=YEAR, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
    for username in ("jia", "bank"):  # an enterprise and a bank account: refused on every page and API
        with client(base_url, username) as c:
            for path, params in GUARDED:
                response = c.get(path, params={**YEAR, **params})
                assert response.status_code == 403, (username, path)
                assert ("C1" not in response.text) and (world.BANK not in response.text), (username, path)
    for username in ("admin", "analyst"):
        with client(base_url, username) as c:
            for path, params in GUARDED:
                assert c.get(path, params={**YEAR, **params}).status_code == 200, (username, path, params)
            assert 'href="/finance"' in c.get("/finance", params=YEAR).text  # the menu entry


@pytest.mark.parametrize(("path", "params", "named"), [
    ("/api/finance/statistics", {"by": "month"}, "by"),
    ("/finance", {"by": "bank;drop"}, "by"),
    ("/api/finance/statistics", {"kind": "design"}, "kind"),
    ("/api/finance/statistics", {"from": "2024-13-01"}, "from"),
    ("/finance", {"to": "yesterday"}, "to"),
    ("/api/finance/statistics", {"from": "2024-12-01", "to": "2024-01-01"}, "from"),
    ("/api/finance/statistics", {"region": "５００１１８"}, "region"),   # full-width digits
    ("/api/finance/statistics", {"format": "pdf"}, "format"),
    ("/api/finance/contracts", {"by": "period", "group": "2024-4"}, "group"),
    ("/finance/contracts", {"by": "town", "group": "5001181"}, "group"),
    ("/api/finance/contracts", {"limit": "0"}, "limit"),
    ("/api/finance/contracts", {"offset": "-3"}, "offset"),
    ("/finance/contracts", {"page": "9"}, "page"),                     # one page only
    ("/api/finance/contracts/C1", {"as_of": "2024-02-30"}, "as_of"),
    ("/finance/contracts", {"group": "x" * 201}, "group"),
])
def test_bad_parameters_are_422_naming_them(base_url, path, params, named):
    with client(base_url, "analyst") as c:
        response = c.get(path, params={**YEAR, **params})
        assert response.status_code == 422, (path, params, response.text[:300])
        assert named in _detail(response)
        if not path.startswith("/api/"):
            assert response.headers["content-type"].startswith("text/html")


def test_statistics_json_worked_by_hand(base_url):
    with client(base_url, "analyst") as c:
        answer = c.get("/api/finance/statistics", params=YEAR).json()
        assert answer["region"] == "500118" and answer["by"] == "period"
        assert [(g["group"], g["contracts"], g["amount_yuan"]) for g in answer["groups"]] == [
            ("2024-04", 1, 5_000_000), ("2024-05", 1, 8_000_000), ("2024-08", 1, 3_000_000),
            ("2024-09", 1, 1_000_000)]
        total = answer["total"]
        assert (total["contracts"], total["amount_yuan"], total["patents"], total["trademarks"]) == (
            4, 17_000_000, 5, 2)
        assert total["released"] == 1  # C3
        industry = c.get("/api/finance/statistics", params={**YEAR, "by": "industry"}).json()
        assert sorted(g["group"] for g in industry["groups"]) == [
            "auto_moto", "consumer_goods", "electronics", "new_energy", "smart_home_materials"]
        assert sum(g["contracts"] for g in industry["groups"]) == 5 and industry["total"]["contracts"] == 4
        bank = {g["group"]: g["contracts"] for g in
                c.get("/api/finance/statistics", params={**YEAR, "by": "bank"}).json()["groups"]}
        assert bank == {normalize_name(world.BANK): 2, normalize_name(ICBC): 1, "": 1}
        kinds = {k: c.get("/api/finance/statistics", params={**YEAR, "kind": k}).json()["total"]["contracts"]
                 for k in ("patent", "trademark")}
        assert kinds == {"patent": 3, "trademark": 1}
        # the first months: P1 (2023-03-01) is last year's and C1 is April's
        early = c.get("/api/finance/statistics", params={"from": "2023-01-01", "to": "2024-04-30"}).json()
        assert early["total"]["contracts"] == 2


def _links(html: str) -> list[tuple[str, int]]:
    """(href, figure) of every contract-count figure of the /finance page (rows and total)."""
    return [(unescape(href), int(n.replace(",", ""))) for href, n in
            re.findall(r'<a class="figure" href="([^"]+)" data-figure="contracts">([0-9,]+)</a>', html)]


@pytest.mark.parametrize("by", ["period", "bank", "enterprise", "industry", "town"])
def test_every_figure_lists_exactly_its_contracts(base_url, by):
    with client(base_url, "analyst") as c:
        page = c.get("/finance", params={**YEAR, "by": by})
        assert page.status_code == 200 and 'id="chart"' in page.text and "/static/finance.js" in page.text
        assert 'id="total-note"' in page.text
        links = _links(page.text)
        assert len(links) >= 2 and links[-1][1] == 4  # the total row: every contract once
        for href, figure in links:
            listed = c.get(href)
            assert listed.status_code == 200, href
            shown = int(re.search(r'<span id="total">([0-9]+)</span>', listed.text).group(1))
            rows = re.findall(r'<a class="contract" href="([^"]+)"', listed.text)
            assert shown == figure == len(rows), (href, figure, shown, len(rows))
            api = c.get(href.replace("/finance/contracts", "/api/finance/contracts"))
            assert len(api.json()) == figure and api.headers["x-total-count"] == str(figure)


def test_contract_page_and_detail(base_url):
    with client(base_url, "analyst") as c:
        listed = c.get("/finance/contracts", params={**YEAR, "by": "period", "group": "2024-04"})
        href = unescape(re.search(r'<a class="contract" href="([^"]+)"', listed.text).group(1))
        assert href == "/finance/contracts/C1?as_of=2024-12-31"
        page = c.get(href)
        assert page.status_code == 200
        for app_no in (world.A1, world.A7):  # each patent item links to its patent page
            assert f'href="/patents/{app_no}?as_of=2024-12-31"' in page.text
        detail = c.get("/api/finance/contracts/C1", params={"as_of": "2024-12-31"}).json()
        assert detail["amount_yuan"] == 6_000_000 and detail["registered_amount_yuan"] == 5_000_000
        assert [h["event"] for h in detail["history"]] == ["registration", "change"]
        before = c.get("/api/finance/contracts/C1", params={"as_of": "2024-05-31"}).json()
        assert before["amount_yuan"] == 5_000_000 and before["changes"] == []  # the change is June's
        assert c.get("/api/finance/contracts/C1", params={"as_of": "2024-04-09"}).status_code == 404  # not yet
        assert c.get("/api/finance/contracts/NOPE").status_code == 404
        assert c.get("/finance/contracts/NOPE").status_code == 404
        assert "Pledged items" in c.get(href + "&lang=en").text


def test_exports(base_url):
    with client(base_url, "analyst") as c:
        xlsx = c.get("/api/finance/statistics", params={**YEAR, "by": "bank", "format": "xlsx"})
        assert xlsx.status_code == 200
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet.max_row == 1 + 3  # header + the three banks ('' included)
        text = c.get("/api/finance/contracts", params={**YEAR, "format": "csv"}).content.decode("utf-8-sig")
        lines = text.strip().splitlines()
        assert lines[0].startswith("contract_no,") and len(lines) == 1 + 4
        assert [ln.split(",")[0] for ln in lines[1:]] == ["C1", "P2", "C2", "C3"]  # registration order
        paged = c.get("/api/finance/contracts", params={**YEAR, "offset": "1", "limit": "2"})
        assert [r["contract_no"] for r in paged.json()] == ["P2", "C2"] and paged.headers["x-total-count"] == "4"


def test_listed_registered_amounts_sum_to_the_statistics(base_url):
    """C1 changed from 5,000,000 to 6,000,000 (module docstring): the drill-down's 登记金额 column sums to the
    statistics' 17,000,000; the amount on the last day stands beside it under its own heading."""
    with client(base_url, "analyst") as c:
        total = c.get("/api/finance/statistics", params=YEAR).json()["total"]["amount_yuan"]
        page = c.get("/finance/contracts", params=YEAR).text
        def column(name: str) -> list[float]:
            return [float(v.replace(",", "")) for v in re.findall(f'<td class="num {name}">([0-9,.]+)</td>', page)]

        registered, on_day = column("registered"), column("on-day")
        assert len(registered) == 4 and sum(registered) == total == 17_000_000
        assert sum(on_day) == 18_000_000   # C1 at 6,000,000 on 2024-12-31
        assert "登记金额（元）" in page and "2024-12-31 金额（元）" in page
        api = c.get("/api/finance/contracts", params=YEAR).json()
        assert sum(r["registered_amount_yuan"] for r in api) == total


@pytest.mark.parametrize("typed", ["c1", "%EF%BC%A3%EF%BC%91", "c%201"])   # lower case, full-width Ｃ１, "c 1"
def test_contract_found_however_typed(base_url, typed):
    with client(base_url, "analyst") as c:
        page = c.get(f"/finance/contracts/{typed}", params={"as_of": "2024-12-31"})
        assert page.status_code == 200 and f'<a class="patent" href="/patents/{world.A1}' in page.text
        assert c.get(f"/api/finance/contracts/{typed}", params={"as_of": "2024-12-31"}).json()["contract_no"] == "C1"
