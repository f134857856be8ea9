"""The official statistical forms in the API and the dashboard, against a real server on loopback serving
the hand-built district (tests/world.py): the list, a form's JSON beside `compute_form` on the same
warehouse, every drillable cell's list, the downloads with their merged headers, bad input, roles, and
one end-to-end click in Chromium."""

from __future__ import annotations

import csv
import io
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from docx import Document
from openpyxl import load_workbook

import world
from hvpatent.forms import compute_form, find_form, list_forms, parse_period
from hvpatent.web import create_app
from hvpatent.web.forms import last_complete_month
from webserver import PASSWORD, client, serve, world_db

VALID = "valid-inventions-by-region"
SHENGLI, LAISU = "500118002000", "500118111000"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(app, base URL): the app too, so the tests read the very warehouse the server holds."""
    app = create_app(world_db(tmp_path_factory.mktemp("forms")), secret="test-secret",
                     default_as_of=date(2024, 12, 31))
    with serve(app) as url:
        yield app, url


@pytest.fixture(scope="module")
def base_url(server):
    return server[1]




def computed(app, key: str, period: str, region: str | None):
    with app.state.warehouse.reader() as con:
        return compute_form(con, find_form(key), parse_period(period), region)


# -- the API ----------------------------------------------------------------------------------------------
def test_list_of_forms(base_url):
    with client(base_url, "analyst") as c:
        listed = c.get("/api/forms").json()
    shipped = list_forms()
    assert [f["key"] for f in listed] == [f.key for f in shipped]
    for row, spec in zip(listed, shipped, strict=True):
        assert row["title"] == {"zh": spec.title("zh"), "en": spec.title("en")}
        assert (row["table_no"], row["measure"], row["by_region"]) == (spec.table_no, spec.measure,
                                                                        spec.by_region is not None)
    assert next(f for f in listed if f["key"] == "applications-home-abroad")["table_no"] == "专月表3"


@pytest.mark.parametrize(("key", "period", "region", "code"), [
    (VALID, "2024-12", "500118", "500118"),
    ("applications-home-abroad", "2024", "全国", None),
    ("grants-by-applicant", "2024-Q3", "500118", "500118"),
    ("high-value-by-region", "2024-01..2024-12", "500000", "500000"),
])
def test_form_json_is_compute_form_on_the_same_warehouse(server, key, period, region, code):
    app, base_url = server
    with client(base_url, "analyst") as c:
        answer = c.get(f"/api/forms/{key}", params={"period": period, "region": region})
    assert answer.status_code == 200, answer.text
    got, want = answer.json(), computed(app, key, period, code)
    assert (got["key"], got["period"], got["region"]) == (key, want.period.key, code)
    assert got["header"] == [{"label": label, "value": value} for label, value in want.header_block("zh")]
    assert [(c["key"], c["labels"]) for c in got["columns"]] == [
        (c.key, [t("zh") for t in c.labels]) for c in want.spec.columns]
    assert [(r["key"], r["kind"], r["labels"]) for r in got["rows"]] == [
        (r.key, r.kind, [t("zh") for t in r.labels]) for r in want.rows]
    for row in got["rows"]:
        for column, cell in row["cells"].items():
            expected = want.cell(row["key"], column)
            assert (cell["value"], cell["text"], cell["drill_url"] is not None) == (
                expected.value, expected.text, expected.drill), (row["key"], column)
    assert got["notes"] == [n("zh") for n in want.notes]


def test_valid_inventions_by_town_worked_by_hand(base_url):
    """Valid on 2024-12-31 with the first applicant in Yongchuan: A1 (甲, enterprise) and A5 (丙学院,
    university) in 胜利路街道, A3 and A10 (乙, enterprise) in 来苏镇; A2 lapsed, A4's first applicant is in
    Beijing. Densities: 2 ÷ 10 万人 = 0.20 and 2 ÷ 5 万人 = 0.40, so 来苏镇 ranks first."""
    with client(base_url, "analyst") as c:
        form = c.get(f"/api/forms/{VALID}", params={"period": "2024-12", "region": "500118"}).json()
    rows = {r["key"]: r["cells"] for r in form["rows"]}
    text = {k: {col: cell["text"] for col, cell in cells.items()} for k, cells in rows.items()}
    assert (text[SHENGLI]["total"], text[SHENGLI]["university"], text[SHENGLI]["enterprise"]) == ("2", "1", "1")
    assert (text[LAISU]["total"], text[LAISU]["enterprise"], text[LAISU]["individual"]) == ("2", "2", "0")
    assert (text[SHENGLI]["density"], text[LAISU]["density"]) == ("0.20", "0.40")
    assert (text[LAISU]["rank"], text[SHENGLI]["rank"]) == ("1", "2")
    assert (text["total"]["total"], text["total"]["service"], text["total"]["density"]) == ("4", "4", "0.04")
    assert "other" not in rows  # every record lies in a town
    assert form["rows"][-1]["labels"] == ["全区"]


def test_each_drill_url_lists_as_many_records_as_its_cell_says(base_url):
    spec = find_form(VALID)
    with client(base_url, "analyst") as c:
        form = c.get(f"/api/forms/{VALID}", params={"period": "2024-12", "region": "500118"}).json()
        wanted = []  # (drill URL, the number of records its cell says, where)
        for row in form["rows"]:
            for key, cell in row["cells"].items():
                if cell["drill_url"] is None:
                    assert spec.column(key).kind in ("population", "rank") or cell["value"] is None
                    continue
                counted = spec.column(key)
                while counted.kind != "count":  # a density lists its count's records, as every indicator
                    counted = spec.column(counted.of)
                wanted.append((cell["drill_url"], row["cells"][counted.key]["value"], (row["key"], key)))
                url = urlsplit(cell["drill_url"])
                assert url.path == f"/api/forms/{VALID}/cells/{row['key']}/{key}"
                assert parse_qs(url.query) == {"period": ["2024-12"], "region": ["500118"]}
        assert len(wanted) == len(form["rows"]) * 7 + 3  # seven counts a row; densities of 胜利路, 来苏 and the total
        # Every URL is checked above; the lists are fetched for the rows with patents and one empty row (each
        # request compiles its own query, ~0.3 s; the engine's drill-down of every cell is tests/test_forms.py's)
        empty = next(r["key"] for r in form["rows"] if r["cells"]["total"]["value"] == 0)
        wanted = [w for w in wanted if w[2][0] in (SHENGLI, LAISU, "total", empty)]
        got = []
        for url, _, _ in wanted:
            records = c.get(url)
            assert records.status_code == 200, (url, records.text)
            got.append(len(records.json()))
        total = c.get(next(r for r in form["rows"] if r["key"] == "total")["cells"]["total"]["drill_url"]).json()
    assert [(where, n) for (_, _, where), n in zip(wanted, got, strict=True)] == [(w, n) for _, n, w in wanted]
    assert sorted(r["app_no"] for r in total) == sorted([world.A1, world.A3, world.A5, world.A10])


def test_defaults_are_the_plans_region_and_the_last_complete_month(base_url):
    with client(base_url, "analyst") as c:
        form = c.get(f"/api/forms/{VALID}").json()
    assert (form["region"], form["period"]) == ("500118", "2024-12")  # the server's day is 2024-12-31
    assert [last_complete_month(date(2024, 12, 31)), last_complete_month(date(2025, 3, 1)),
            last_complete_month(date(2024, 3, 30))] == ["2024-12", "2025-02", "2024-02"]


def test_english_labels(base_url):
    with client(base_url, "analyst") as c:
        form = c.get(f"/api/forms/{VALID}", params={"period": "2024-12", "lang": "en"}).json()
    assert form["title"] == "Valid invention patents by region"
    assert form["columns"][1]["labels"] == ["Service", "Universities"]


def test_xlsx_docx_csv_downloads_keep_the_merged_headers(server, tmp_path):
    app, base_url = server
    params = {"period": "2024-12", "region": "500118"}
    with client(base_url, "analyst") as c:
        xlsx = c.get(f"/api/forms/{VALID}", params={**params, "format": "xlsx"})
        docx = c.get(f"/api/forms/{VALID}", params={**params, "format": "docx"})
        text = c.get(f"/api/forms/{VALID}", params={**params, "format": "csv"})
        cell = c.get(f"/api/forms/{VALID}/cells/{LAISU}/total", params={**params, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    disposition = xlsx.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="valid-inventions-by-region-2024-12-500118.xlsx"')
    assert "filename*=UTF-8''" in disposition and "/" not in disposition.split("filename*=")[1]
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    merged = {(m.min_row, m.min_col, m.max_row, m.max_col): sheet.cell(m.min_row, m.min_col).value
              for m in sheet.merged_cells.ranges}
    service = [box for box, value in merged.items() if value == "职务"]
    assert len(service) == 1 and service[0][3] - service[0][1] + 1 == 5  # 职务 spans five columns
    region = next(box for box, value in merged.items() if value == "地区")
    assert region[2] - region[0] + 1 == 2  # the corner spans both header levels
    want = computed(app, VALID, "2024-12", "500118")
    values = [sheet.cell(r, 1).value for r in range(1, sheet.max_row + 1)]
    laisu_row = values.index("来苏镇") + 1
    assert sheet.cell(laisu_row, 2).value == want.cell(LAISU, "total").value
    assert "职务" in [c.text for c in Document(io.BytesIO(docx.content)).tables[0].rows[0].cells]
    assert text.content.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    assert ["来苏镇", *[want.cell(LAISU, col.key).text for col in want.spec.columns]] in lines
    listed = load_workbook(io.BytesIO(cell.content)).active
    assert sorted(listed.cell(r, 1).value for r in range(2, listed.max_row + 1)) == sorted([world.A3, world.A10])


@pytest.mark.parametrize(("path", "params", "code", "says"), [
    ("/api/forms/no-such-form", {}, 404, "no such form"),
    (f"/api/forms/{VALID}", {"period": "2024-13"}, 422, "period"),
    (f"/api/forms/{VALID}", {"period": "last month"}, 422, "period"),
    (f"/api/forms/{VALID}", {"period": "2024-06..2024-01"}, 422, "starts after it ends"),
    (f"/api/forms/{VALID}", {"region": "999999"}, 422, "unknown region"),
    (f"/api/forms/{VALID}", {"region": "x" * 500}, 422, "region"),
    (f"/api/forms/{VALID}", {"region": SHENGLI}, 422, "no sub-regions"),
    (f"/api/forms/{VALID}", {"format": "pdf"}, 422, "format"),
    (f"/api/forms/{VALID}/cells/{LAISU}/population", {"period": "2024-12"}, 404, "no list"),
    (f"/api/forms/{VALID}/cells/{LAISU}/rank", {"period": "2024-12"}, 404, "no list"),
    (f"/api/forms/{VALID}/cells/nowhere/total", {"period": "2024-12"}, 404, "no list"),
    (f"/api/forms/{VALID}/cells/other/total", {"period": "2024-12"}, 404, "no list"),  # not on the form
    (f"/api/forms/{VALID}/cells/{LAISU}/nothing", {"period": "2024-12"}, 404, "no list"),
    ("/api/forms/grants-by-applicant/cells/total/all/x", {}, 404, "Not Found"),
])
def test_bad_input_is_a_clear_4xx(base_url, path, params, code, says):
    with client(base_url, "analyst") as c:
        r = c.get(path, params=params)
    assert r.status_code == code, r.text
    assert says in r.text


def test_bad_input_on_the_pages_is_the_error_page(base_url):
    with client(base_url, "analyst") as c:
        unknown = c.get("/forms/no-such-form")
        period = c.get(f"/forms/{VALID}", params={"period": "2024-13"})
        cell = c.get(f"/forms/{VALID}/cells/{LAISU}/rank", params={"period": "2024-12"})
    assert unknown.status_code == 404 and 'id="error"' in unknown.text and "没有表式" in unknown.text
    assert period.status_code == 422 and "超出范围" in period.text
    assert cell.status_code == 404 and "人口与排名无明细" in cell.text


@pytest.mark.parametrize("username", ["jia", "bank"])
def test_enterprise_and_bank_accounts_are_refused(base_url, username):
    with client(base_url, username) as c:
        for path in ("/api/forms", f"/api/forms/{VALID}", f"/api/forms/{VALID}/cells/total/total"):
            assert c.get(path).status_code == 403, path
        refused = c.get(f"/forms/{VALID}")
        assert refused.status_code == 403 and 'id="error"' in refused.text
        assert 'href="/forms"' not in refused.text  # no link to the forms in their menu
    with client(base_url) as anonymous:
        assert anonymous.get("/api/forms").status_code == 401
        page = anonymous.get("/forms", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")


# -- the pages --------------------------------------------------------------------------------------------
def test_forms_page_offers_the_plan_region_its_province_and_the_country(base_url):
    with client(base_url, "analyst") as c:
        page = c.get("/forms")
        chosen = c.get("/forms", params={"period": "2024-Q2", "region": "430000"})
    assert page.status_code == 200
    for name in ("永川区", "重庆市", "全国", "分地区有效发明专利统计表", "专月表3"):
        assert name in page.text
    assert "市辖区" not in page.text  # Chongqing's placeholder city is not a choice
    assert f'href="/forms/{VALID}?period=2024-12&amp;region=500118"' in page.text
    assert "湖南省" in chosen.text and f'href="/forms/{VALID}?period=2024-Q2&amp;region=430000"' in chosen.text


def test_form_page_has_merged_headers_and_links_each_drillable_cell(server):
    app, base_url = server
    with client(base_url, "analyst") as c:
        page = c.get(f"/forms/{VALID}", params={"period": "2024-12", "region": "500118"})
    assert page.status_code == 200
    assert '<th colspan="5">职务</th>' in page.text and '<th rowspan="2">地区</th>' in page.text
    want = computed(app, VALID, "2024-12", "500118")
    links = [a for a in page.text.split('href="')[1:] if a.startswith("/forms/")]
    drillable = sum(cell.drill for cell in want.cells.values())
    assert len(links) == drillable
    first = links[0].split('"')[0].replace("&amp;", "&")
    assert parse_qs(urlsplit(first).query) == {"period": ["2024-12"], "region": ["500118"]}
    for fmt in ("xlsx", "docx", "csv"):
        assert f'id="download-{fmt}"' in page.text
    assert "有效发明专利按第一专利权人所在地区统计" in page.text  # the notes


def test_cell_page_lists_the_patents_with_the_count_in_its_heading(base_url):
    with client(base_url, "analyst") as c:
        page = c.get(f"/forms/{VALID}/cells/{LAISU}/enterprise", params={"period": "2024-12", "region": "500118"})
    assert page.status_code == 200
    heading = page.text.split("<h2>")[1].split("</h2>")[0]
    assert "来苏镇" in heading and "工矿企业：2 件" in heading
    for app_no in (world.A3, world.A10):
        assert f'<a href="/patents/{app_no}">{app_no}</a>' in page.text


# -- in a browser -----------------------------------------------------------------------------------------
def test_analyst_opens_a_form_and_clicks_a_cell_to_its_list(base_url):
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
        driver.find_element(By.LINK_TEXT, "统计报表").click()
        WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.ID, "forms"))
        driver.find_element(By.LINK_TEXT, "分地区有效发明专利统计表").click()
        WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.ID, "form"))
        assert "/forms/valid-inventions-by-region" in driver.current_url
        service = next(th for th in driver.find_elements(By.CSS_SELECTOR, "#form thead th") if th.text == "职务")
        assert service.get_attribute("colspan") == "5"
        cell = driver.find_element(By.CSS_SELECTOR, f'#form td[data-cell="{LAISU}:total"] a')
        assert cell.text == "2"
        cell.click()
        WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.ID, "records"))
        assert "来苏镇" in driver.find_element(By.TAG_NAME, "h2").text
        listed = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "#records tbody td:first-child a")]
        assert sorted(listed) == sorted([world.A3, world.A10])
