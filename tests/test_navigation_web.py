"""The navigation pages and API on the world.py district (Yongchuan 500118; its province Chongqing 500000 is the
default comparison region): who may look, the refusals that name their parameter, the landscape as JSON and as pages,
each figure's list of patents (its row count equals the figure), the exports."""

from __future__ import annotations

import importlib
import io
import re
from datetime import date
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from openpyxl import load_workbook

import world
from webserver import PASSWORD, client, serve, world_server

DAY = {"as_of": "2024-12-31"}
INDUSTRY = "consumer_goods"  # world.py: A3, A8, A9 (A23L) and A6 (C12G) of 乙 in Yongchuan; A10 (A47B) is smart home


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with world_server(tmp_path_factory.mktemp("navigation-web"), default_as_of=date(2024, 12, 31)) as url:
        yield url


def _detail(response) -> str:
    return response.json()["detail"] if response.headers["content-type"].startswith("application/json") \
        else response.text


# Every navigation page, API answer and export: staff only (a landscape names other enterprises' key patents,
# rankings and inventors), like the enterprise rankings.
GUARDED = [("/navigation", {}), (f"/navigation/{INDUSTRY}", {}), (f"/navigation/{INDUSTRY}/patents", {}),
           (f"/api/navigation/{INDUSTRY}", {}), (f"/api/navigation/{INDUSTRY}", {"format": "xlsx"}),
           (f"/api/navigation/{INDUSTRY}/patents", {}), (f"/api/navigation/{INDUSTRY}/patents", {"format": "xlsx"})]


def test_who_may_look(base_url):
    with client(base_url) as anonymous:
        assert anonymous.get(f"/api/navigation/{INDUSTRY}", params=DAY).status_code == 401
        page = anonymous.get(f"/navigation/{INDUSTRY}", params=DAY, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
    for username in ("jia", "bank"):  # an enterprise and a bank account: refused everywhere, pages and API alike
        with client(base_url, username) as c:
            for path, params in GUARDED:
                response = c.get(path, params={**DAY, **params})
                assert response.status_code == 403, (username, path, params)
                if not path.startswith("/api/"):  # the forbidden page the other staff-only pages show
                    assert response.headers["content-type"].startswith("text/html"), path
            # no navigation entry in the menu of an account that may not open it
            assert 'href="/navigation"' not in c.get("/highvalue", params=DAY).text
    for username in ("admin", "analyst"):
        with client(base_url, username) as c:
            for path, params in GUARDED:
                assert c.get(path, params={**DAY, **params}).status_code == 200, (username, path, params)


@pytest.mark.parametrize(("path", "params", "code", "named"), [
    ("/api/navigation/steel", {}, 404, "industry"),                            # not one of the plan's 8
    ("/navigation/steel", {}, 404, "industry"),
    ("/api/navigation/consumer_goods", {"as_of": "2024-13-01"}, 422, "as_of"),
    ("/api/navigation/consumer_goods", {"as_of": "yesterday"}, 422, "as_of"),
    ("/navigation/consumer_goods", {"as_of": "2024-02-30"}, 422, "as_of"),
    ("/api/navigation/consumer_goods", {"region": "50011"}, 422, "region"),     # five digits
    ("/api/navigation/consumer_goods", {"region": "５００１１８"}, 422, "region"),  # full-width digits
    ("/api/navigation/consumer_goods", {"compare": "chongqing"}, 422, "compare"),
    ("/api/navigation/consumer_goods", {"format": "pdf"}, 422, "format"),
    ("/api/navigation/consumer_goods/patents", {"side": "both"}, 422, "side"),
    ("/api/navigation/consumer_goods/patents", {"measure": "citations"}, 422, "measure"),
    ("/api/navigation/consumer_goods/patents", {"year": "20x4"}, 422, "year"),
    ("/api/navigation/consumer_goods/patents", {"year": "1700"}, 422, "year"),
    ("/api/navigation/consumer_goods/patents", {"format": "csv"}, 422, "format"),
    ("/api/navigation/consumer_goods/patents", {"patent_type": "patent"}, 422, "patent_type"),
    ("/api/navigation/consumer_goods/patents", {"patent_type": "invention,"}, 422, "patent_type"),
    ("/navigation/consumer_goods/patents", {"patent_type": "INVENTION"}, 422, "patent_type"),
    ("/api/navigation/consumer_goods/patents", {"since_year": "15"}, 422, "since_year"),
    ("/navigation/consumer_goods/patents", {"since_year": "２０２０"}, 422, "since_year"),
    ("/api/navigation/consumer_goods/patents", {"party": "all"}, 422, "party"),
    ("/navigation/consumer_goods/patents", {"party": "second"}, 422, "party"),
    ("/api/navigation/consumer_goods/patents", {"side": "outside"}, 422, "side"),
    ("/api/navigation/consumer_goods/patents", {"offset": "-1"}, 422, "offset"),
    ("/api/navigation/consumer_goods/patents", {"limit": "0"}, 422, "limit"),
    ("/api/navigation/consumer_goods/patents", {"limit": "100001"}, 422, "limit"),
    ("/navigation/consumer_goods/patents", {"page": "0"}, 422, "page"),
    ("/navigation/consumer_goods/patents", {"page": "²"}, 422, "page"),
    ("/api/navigation/consumer_goods/patents", {"measure": "key", "side": "compare"}, 422, "side"),  # region's only
    ("/navigation/consumer_goods/patents", {"measure": "key", "side": "elsewhere"}, 422, "side"),
    ("/api/navigation/consumer_goods/patents", {"applicant_type": "company"}, 422, "applicant_type"),
])
def test_refusals_name_the_parameter(base_url, path, params, code, named):
    with client(base_url, "analyst") as c:
        response = c.get(path, params={**DAY, **params})
        assert response.status_code == code, response.text
        assert named in _detail(response)


def test_unknown_branch_is_404(base_url):
    with client(base_url, "analyst") as c:
        response = c.get(f"/api/navigation/{INDUSTRY}/patents", params={**DAY, "branch": "new_energy.battery"})
        assert response.status_code == 404 and "branch" in response.json()["detail"]
        assert c.get(f"/navigation/{INDUSTRY}/patents", params={**DAY, "branch": "nope"}).status_code == 404


def test_landscape_json_and_its_lists(base_url):
    with client(base_url, "analyst") as c:
        land = c.get(f"/api/navigation/{INDUSTRY}", params=DAY).json()
        assert land["industry"] == INDUSTRY and land["region"] == "500118" and land["as_of"] == "2024-12-31"
        assert land["years"] == list(range(2015, 2025))
        assert isinstance(land["recommendations"], list)
        # the region's applications of 2015-2024 in consumer goods: A6 (2024), A8 (2020), A9 (2021) — A3 is 2012
        region = [r for r in land["trend"] if r["side"] == "region"]
        assert sum(r["applications"] for r in region) == 3
        listed = c.get(f"/api/navigation/{INDUSTRY}/patents", params={**DAY, "year": "2020"}).json()
        assert [r["app_no"] for r in listed] == [world.A8]
        # a branch's region figure is the length of its list (applications filed up to as_of: A3 counts too);
        # the placed branches and the level-1 ones (zeros included) are enough, each list is a query
        for b in [b for b in land["branches"] if b["region_count"] or b["level"] == 1]:
            rows = c.get(f"/api/navigation/{INDUSTRY}/patents", params={**DAY, "branch": b["branch"]}).json()
            assert len(rows) == b["region_count"], b["branch"]
        assert sum(b["region_count"] for b in land["branches"] if b["level"] == 1) >= 1  # the world is placed


def test_pages_and_exports(base_url):
    with client(base_url, "analyst") as c:
        overview = c.get("/navigation", params=DAY)
        assert overview.status_code == 200
        assert overview.text.count('class="card" data-industry=') == 8
        assert 'href="/navigation" class="active"' in overview.text  # the navigation entry marks the page
        page = c.get(f"/navigation/{INDUSTRY}", params=DAY)
        assert page.status_code == 200
        assert 'id="sunburst-chart"' in page.text and 'id="network-chart"' in page.text
        assert "/static/navigation.js" in page.text
        assert "Patent navigation" in c.get(f"/navigation/{INDUSTRY}", params={**DAY, "lang": "en"}).text
        listed = c.get(f"/navigation/{INDUSTRY}/patents", params={**DAY, "year": "2021"})
        assert listed.status_code == 200 and f'href="/patents/{world.A9}?as_of=2024-12-31"' in listed.text
        assert world.A8 not in listed.text
        xlsx = c.get(f"/api/navigation/{INDUSTRY}/patents", params={**DAY, "format": "xlsx"})
        assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        rows = c.get(f"/api/navigation/{INDUSTRY}/patents", params=DAY).json()
        assert sheet.cell(1, 1).value == "申请号" and sheet.max_row - 1 == len(rows)
        assert sorted(sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)) == sorted(r["app_no"] for r in rows)


def test_key_figures_and_sunburst_by_hand():
    from types import SimpleNamespace

    from hvpatent.web.navigation import key_figures, sunburst

    def t(side, year, kind, applications, grants=0, valid=0):
        return {"side": side, "year": year, "patent_type": kind, "applications": applications, "grants": grants,
                "valid": valid}

    land = SimpleNamespace(years=[2023, 2024], trend=[
        t("region", 2023, "invention", 2, 1, 3), t("region", 2024, "invention", 1, 0, 4),
        t("region", 2024, "utility_model", 2, 0, 1), t("compare", 2023, "invention", 10),
        t("compare", 2024, "invention", 6),
    ], branches=[{"position": p} for p in ("strong", "gap", "gap", "weak")])
    # region 2 + 1 + 2 = 5 of compare 10 + 6 = 16: share 0.3125; valid inventions in 2024 (the as_of year): 4
    assert key_figures(land) == {"applications": 5, "compare_applications": 16, "share": 0.3125,
                                 "valid_inventions": 4, "strong": 1, "gap": 2}
    land.trend = [t("region", 2024, "invention", 0)]
    assert key_figures(land)["share"] is None  # nothing in the comparison region: no share, not a division by 0

    def b(code, parent, count):
        return {"branch": code, "name": code.upper(), "name_en": code, "parent": parent, "region_count": count,
                "compare_count": count + 1, "position": "balanced"}

    tree = sunburst([b("x.a", None, 3), b("x.a.1", "x.a", 2), b("x.b", None, 0)], "zh")
    assert [(n["branch"], n["value"], n["compare"]) for n in tree] == [("x.a", 3, 4), ("x.b", 0, 1)]
    assert [(n["name"], n["value"]) for n in tree[0]["children"]] == [("X.A.1", 2)]
    assert sunburst([b("x.a", None, 3)], "en")[0]["name"] == "x.a"


def test_landscape_exports(base_url):
    from docx import Document

    with client(base_url, "analyst") as c:
        xlsx = c.get(f"/api/navigation/{INDUSTRY}", params={**DAY, "format": "xlsx"})
        assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert "明细" in load_workbook(io.BytesIO(xlsx.content)).sheetnames  # every table drilled to its patents
        docx = c.get(f"/api/navigation/{INDUSTRY}", params={**DAY, "format": "docx"})
        assert docx.status_code == 200 and "attachment" in docx.headers["content-disposition"]
        text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
        assert "发展路径建议" in text


# -- every number that links to a list: the list has exactly that many patents --------------------------------
# The hand-built new-energy world of test_navigation_landscape.py (its figures are worked out by hand there):
# inventors, co-applicants (the network), partners and recruits elsewhere in Chongqing, a key patent; its stand-in
# breakdown and placements are used by the landscape and by the web's branch check alike.
nl = importlib.import_module("test_navigation_landscape")
NAV_DAY = {"as_of": nl.AS_OF.isoformat(), "region": "500118"}
LIST_LINK = re.compile(r'href="(/navigation/(\w+)/patents\?[^"]*)"[^>]*>([0-9,]+)</a>')


@pytest.fixture(scope="module")
def nav_server(tmp_path_factory):
    """(app, url) of a server on the hand-worked world of test_navigation_landscape.py."""
    from hvpatent import navigation
    from hvpatent.warehouse.accounts import add_user
    from hvpatent.warehouse.store import Warehouse
    from hvpatent.web import create_app

    land_mod = nl.land_mod
    real_tree, real_placements, real_nav_tree = land_mod._tree, land_mod._placements, navigation.tree
    mp = pytest.MonkeyPatch()  # the stand-ins for new_energy only: world.py's industries keep the shipped ones
    mp.setattr(land_mod, "_tree", lambda i: nl.TREE if i == "new_energy" else real_tree(i))
    mp.setattr(land_mod, "_placements", lambda con, i: nl.stub_placements(con, i) if i == "new_energy"
               else real_placements(con, i))
    mp.setattr(navigation, "tree", lambda i: nl.TREE if i == "new_energy" else real_nav_tree(i))
    db = tmp_path_factory.mktemp("navigation-links") / "nav.duckdb"
    with Warehouse(db) as wh:
        nl.build(wh)
        add_user(wh.con, "analyst", PASSWORD, "analyst", None)
    app = create_app(db, secret="test-secret", default_as_of=nl.AS_OF)
    with serve(app) as url:
        yield app, url
    mp.undo()


@pytest.fixture(scope="module")
def nav_url(nav_server):
    return nav_server[1]


def _count(c, path: str, **extra) -> tuple[int, int]:
    """(X-Total-Count, rows) of the list API for a list page's path and query (unescaped)."""
    url = urlsplit(path)
    response = c.get(url.path.replace("/navigation/", "/api/navigation/", 1),
                     params={**dict(parse_qsl(url.query)), "limit": "100000", **extra})
    assert response.status_code == 200, (path, response.text)
    return int(response.headers["X-Total-Count"]), len(response.json())


def _follow_every_link(c, text: str) -> list[tuple[str, int]]:
    links = [(unescape(path), int(number.replace(",", ""))) for path, _, number in LIST_LINK.findall(text)]
    for path, number in links:
        assert _count(c, path) == (number, number), path
    return links


def test_every_number_on_the_industry_page_opens_as_many_patents(nav_url):
    with client(nav_url, "analyst") as c:
        page = c.get("/navigation/new_energy", params=NAV_DAY)
        assert page.status_code == 200, page.text
        links = _follow_every_link(c, page.text)
        queries = [dict(parse_qsl(urlsplit(p).query)) for p, _ in links]
        # the hand-worked figures (test_navigation_landscape.py) reached through their links:
        # the 10-year card: D1-D5 (filed 2019-2023, inventions and utility models) = 5
        card = next(n for (p, n), q in zip(links, queries, strict=True)
                    if q.get("since_year") == "2015" and q["side"] == "region")
        assert card == 5
        assert any(q.get("measure") == "valid" and q.get("patent_type") == "invention" for q in queries)
        # partners elsewhere (重庆大学 on solar, a gap) and recruits (周五, 3 patents on solar) reproduce their rows
        recruit = next((p, n) for (p, n), q in zip(links, queries, strict=True) if q.get("inventor") == "周五")
        assert recruit[1] == 3 and "side=elsewhere" in recruit[0] and "branch=new_energy.solar" in recruit[0]
        assert any(q.get("side") == "elsewhere" and q.get("applicant") for q in queries)
        assert any(q.get("inventor") == "李一" for q in queries)  # the region's inventors: 李一 on D1, D2
        assert any(q.get("measure") == "key" for q in queries)
        # the innovation entities: enterprise (E1, E2) on D1-D5 = 5 applications, 2 valid inventions (D1, D2)
        entity = sorted(n for (p, n), q in zip(links, queries, strict=True) if q.get("applicant_type") == "enterprise")
        assert entity == [2, 5]
        assert len(links) >= 20


def test_chart_clicks_open_as_many_patents(nav_url):
    """The charts are drawn by navigation.js from the page's JSON: every clickable value with the filters the
    script adds (a trend point: its series' filters and year; a bar: the applicant; a node: any position)."""
    import json

    with client(nav_url, "analyst") as c:
        page = c.get("/navigation/new_energy", params=NAV_DAY).text
        data = json.loads(re.search(r'id="navigation-data">(.*?)</script>', page, re.S).group(1))
        base = data["base"]
        for s in data["series"]:
            for year, value in zip(data["years"], s["values"], strict=True):
                assert _count(c, base, **s["filters"], year=str(year)) == (value, value), (s["name"], year)
        for name, value in zip(data["applicants"]["names"], data["applicants"]["values"], strict=True):
            assert _count(c, base, side="region", applicant=name) == (value, value), name
        nodes = data["network"]["nodes"]
        assert nodes  # D1 (甲 + 重庆大学) and D2 (甲 + 丙学院): 甲 on 2 co-applications, the others on 1
        for node in nodes:
            assert _count(c, base, side="region", applicant=node["name"], party="any") == \
                (node["patents"], node["patents"]), node["name"]


def test_every_number_on_the_overview_and_world_pages(base_url):
    with client(base_url, "analyst") as c:
        overview = c.get("/navigation", params=DAY)
        links = _follow_every_link(c, overview.text)
        assert len(links) == 16  # 8 cards: the 10-year applications and the valid inventions of each
        assert len(_follow_every_link(c, c.get(f"/navigation/{INDUSTRY}", params=DAY).text)) >= 5


def test_lists_page_in_the_query_and_the_export_is_capped(nav_url):
    from hvpatent.web import navigation as nav_web

    mp = pytest.MonkeyPatch()
    mp.setattr(nav_web, "PAGE_SIZE", 2)
    mp.setattr(nav_web, "EXPORT_CAP", 3)
    try:
        with client(nav_url, "analyst") as c:
            # the comparison region's new-energy applications filed up to 2024-06-30: D1-D5 and C1-C10 = 15
            params = {**NAV_DAY, "side": "compare"}
            over = c.get("/api/navigation/new_energy/patents", params={**params, "limit": "4"})
            assert over.status_code == 422 and "limit" in over.json()["detail"]  # more than the cap: refused
            numbers = [r["app_no"] for r in c.get("/api/navigation/new_energy/patents",
                                                   params={**params, "limit": "3"}).json()]
            window = c.get("/api/navigation/new_energy/patents", params={**params, "offset": "1", "limit": "2"})
            assert [r["app_no"] for r in window.json()] == numbers[1:3]
            assert window.headers["X-Total-Count"] == "15"
            second = c.get("/navigation/new_energy/patents", params={**params, "page": "2"})
            assert second.status_code == 200 and '<span id="total">15</span>' in second.text
            assert numbers[2] in second.text and numbers[1] not in second.text  # rows 3-4 of 15
            assert "2 / 8" in second.text and 'id="export-cut"' in second.text  # 15 rows, 2 a page
            assert c.get("/navigation/new_energy/patents", params={**params, "page": "9"}).status_code == 422
            xlsx = c.get("/api/navigation/new_energy/patents", params={**params, "format": "xlsx"})
            book = load_workbook(io.BytesIO(xlsx.content))
            assert book.worksheets[0].max_row - 1 == 3  # the first 3 of 15, and a sheet saying so
            assert "15" in str(book.worksheets[1].cell(2, 1).value)
            # the region's grid branch: D4, D5 — within the cap, so one sheet and no note
            short = c.get("/api/navigation/new_energy/patents",
                          params={**NAV_DAY, "branch": "new_energy.grid", "format": "xlsx"})
            book = load_workbook(io.BytesIO(short.content))
            assert len(book.worksheets) == 1 and book.worksheets[0].max_row - 1 == 2
    finally:
        mp.undo()


def test_overview_computes_high_value_once(base_url):
    """The 8 landscapes of the overview share one high_value_list per (as_of, region), asked through Analytics."""
    import hvpatent.indicators as indicators
    from hvpatent.web import analytics as web_analytics

    calls: list[tuple] = []
    real = indicators.high_value_list

    def counted(con, as_of, region=None, **kw):
        calls.append((as_of, region))
        return real(con, as_of, region, **kw)

    mp = pytest.MonkeyPatch()
    mp.setattr(indicators, "high_value_list", counted)      # where the navigation room would import it from
    mp.setattr(web_analytics, "high_value_list", counted)   # where Analytics.high_value calls it
    try:
        with client(base_url, "analyst") as c:
            day = {"as_of": "2023-11-30"}  # a day no other test asks: nothing cached
            assert c.get("/navigation", params=day).status_code == 200
            assert calls == [(date(2023, 11, 30), "500118")]
            assert c.get(f"/navigation/{INDUSTRY}", params=day).status_code == 200
            assert len(calls) == 1  # the industry's landscape and its high-value rows: from the cache
    finally:
        mp.undo()


def test_long_lists_are_not_cached(nav_server):
    """Only pages (at most PAGE_SIZE rows) enter the answer cache: a long JSON page and an export are computed
    through the gate each time and kept nowhere (the cache is counted, not sized)."""
    from hvpatent.web import navigation as nav_web

    app, url = nav_server
    mp = pytest.MonkeyPatch()
    mp.setattr(nav_web, "PAGE_SIZE", 2)
    cache = app.state.analytics._cache
    computed: list[int] = []
    real = app.state.analytics.compute

    def counted(compute):
        computed.append(1)
        return real(compute)

    mp.setattr(app.state.analytics, "compute", counted)

    def longest() -> int:  # the most rows any cached list answer holds
        return max((len(v[1]) for k, v in list(cache.items()) if "patents" in k and isinstance(v, tuple)),
                   default=0)

    try:
        with client(url, "analyst") as c:
            params = {**NAV_DAY, "side": "compare", "since_year": "2016"}  # a question no other test asks
            for _ in range(2):  # the 15 compare applications (D1-D5, C1-C10) were all filed in 2016 or later
                long = c.get("/api/navigation/new_energy/patents", params={**params, "limit": "10"})
                assert long.status_code == 200 and len(long.json()) == 10
                xlsx = c.get("/api/navigation/new_energy/patents", params={**params, "format": "xlsx"})
                assert xlsx.status_code == 200
            assert len(computed) == 4 and longest() <= 2  # each computed afresh, none kept
            page = c.get("/api/navigation/new_energy/patents", params={**params, "limit": "2"})
            assert len(page.json()) == 2 and longest() == 2 and len(computed) == 4  # a page: cached
    finally:
        mp.undo()


def test_list_export_keeps_the_page_language(nav_url):
    with client(nav_url, "analyst") as c:
        page = c.get("/navigation/new_energy/patents", params={**NAV_DAY, "side": "compare", "lang": "en"})
        export = unescape(re.search(r'id="export" href="([^"]+)"', page.text).group(1))
        assert dict(parse_qsl(urlsplit(export).query))["lang"] == "en"
        book = load_workbook(io.BytesIO(c.get(export).content))
        assert book.worksheets[0].cell(1, 1).value == "Application"  # WORDS["app_no"] in English
