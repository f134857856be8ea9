"""End to end in headless Chromium: log in, read the overview, follow a figure to the list behind it,
export the list to Excel; an enterprise account cannot open another enterprise's patent by URL."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import world
from browser import chromium
from webserver import PASSWORD, world_server


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with world_server(tmp_path_factory.mktemp("browser"), default_as_of=date(2024, 12, 31)) as url:
        yield url


def log_in(driver, base_url: str, username: str) -> None:
    driver.get(f"{base_url}/")
    assert "/login" in driver.current_url  # anonymous visitors are sent to the login page
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    # The click returns before the next page has replaced the login form; wait for the new page.
    WebDriverWait(driver, 60).until(lambda d: "/login" not in d.current_url and d.find_elements(By.TAG_NAME, "main"))


def test_analyst_follows_a_figure_to_its_list_and_exports_it(base_url, tmp_path):
    with chromium(download_dir=tmp_path) as driver:
        log_in(driver, base_url, "analyst")
        assert driver.find_element(By.TAG_NAME, "h2").text.startswith("永川区高价值发明专利质量提升行动方案")
        cards = driver.find_elements(By.CSS_SELECTOR, ".card[data-target]")
        assert len(cards) == 8
        assert driver.execute_script("return document.querySelectorAll('#trend canvas').length") == 1  # ECharts drew
        row = next(r for r in driver.find_elements(By.CSS_SELECTOR, "#figures tbody tr")
                   if r.find_element(By.TAG_NAME, "td").text == "有效发明专利")
        link = row.find_element(By.CSS_SELECTOR, "td.num a")
        assert link.text == "4"
        link.click()
        WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.ID, "records"))
        listed = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "#records tbody td:first-child a")]
        assert sorted(listed) == sorted([world.A1, world.A3, world.A5, world.A10])
        driver.find_element(By.ID, "export").click()
        WebDriverWait(driver, 60).until(lambda _: list(tmp_path.glob("*.xlsx")))
        sheet = load_workbook(next(tmp_path.glob("*.xlsx"))).active
        assert sorted(sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)) == sorted(listed)


def test_patent_page_shows_criteria_and_history(base_url):
    with chromium() as driver:
        log_in(driver, base_url, "analyst")
        driver.get(f"{base_url}/patents/{world.A5}")
        criteria = driver.find_element(By.ID, "criteria").text
        assert "中国专利奖" in criteria and "EP-3000005-B1" in criteria
        assert driver.find_element(By.CSS_SELECTOR, ".card .value").text == "有效"


def test_enterprise_cannot_open_another_enterprises_patent_by_url(base_url):
    with chromium() as driver:
        log_in(driver, base_url, "yi")
        assert driver.current_url.endswith("/mine")
        mine = driver.find_element(By.ID, "mine").text
        assert world.A3 in mine and world.A1 not in mine
        driver.get(f"{base_url}/patents/{world.A1}")
        assert driver.find_element(By.ID, "error").text == "没有这件专利"
        assert world.A1 not in driver.find_element(By.TAG_NAME, "main").text
        driver.get(f"{base_url}/towns")
        assert driver.find_element(By.ID, "error").text == "此账号无权访问该页面"


def test_analyst_reads_the_gap_and_follows_a_patent_to_its_value(base_url):
    """The cultivation page shows the room's gap (as the API gives it) and draws its what-if; the value list leads
    to a patent's breakdown, whose grade is the list's."""
    import json

    with chromium() as driver:
        log_in(driver, base_url, "analyst")
        # The plan's deadline (2024-12-31) is the dashboard's day: the page looks to the end of the next year.
        driver.get(f"{base_url}/api/cultivation/gap")
        gap = json.loads(driver.find_element(By.TAG_NAME, "body").text)["gap"]
        assert gap["deadline"] == "2025-12-31"
        driver.get(f"{base_url}/cultivation")
        shown = driver.find_element(By.ID, "gap-required").text.replace(",", "")
        assert shown == str(gap["required_count"])
        assert len(driver.find_elements(By.CSS_SELECTOR, "#what-if tbody tr[data-scenario]")) == 3
        assert driver.execute_script("return document.querySelectorAll('#chart canvas').length") == 1
        driver.get(f"{base_url}/value")
        first = driver.find_element(By.CSS_SELECTOR, "#value tbody tr")
        grade = first.find_elements(By.TAG_NAME, "td")[6].text
        first.find_element(By.CSS_SELECTOR, "td a").click()
        WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.ID, "parts-management"))
        card = driver.find_element(By.CSS_SELECTOR, ".card[data-scenario=management] .status")
        assert card.text == grade
        assert len(driver.find_elements(By.CSS_SELECTOR, "#parts-management tbody tr")) > 10


def test_enterprise_sees_its_own_plan(base_url):
    with chromium() as driver:
        log_in(driver, base_url, "yi")
        driver.get(f"{base_url}/mine/plan")
        assert driver.find_elements(By.ID, "letter") and driver.find_elements(By.ID, "my-candidates")
        assert world.A1 not in driver.find_element(By.TAG_NAME, "main").text  # not its patent
        driver.get(f"{base_url}/cultivation")
        assert driver.find_element(By.ID, "error").text == "此账号无权访问该页面"


def test_navigation_page_draws_its_charts_and_a_branch_opens_its_list(base_url):
    """The industry's navigation page draws the sunburst and the co-applicant graph (a canvas each, no script
    error), and a branch's region count in the table opens its list, as long as the figure."""
    with chromium() as driver:
        log_in(driver, base_url, "analyst")
        # collect script errors from the first script of every page on (the page's own scripts run after this)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": (
            "window.__errors = []; window.addEventListener('error', e => window.__errors.push(String(e.message)));")})
        driver.get(f"{base_url}/navigation/consumer_goods")
        for chart, kind in (("sunburst-chart", "sunburst"), ("network-chart", "graph"), ("trend-chart", "line")):
            assert driver.execute_script(f"return document.querySelectorAll('#{chart} canvas').length") == 1
            assert driver.execute_script(
                f"return echarts.getInstanceByDom(document.getElementById('{chart}')).getOption().series[0].type"
            ) == kind
        assert driver.execute_script("return window.__errors") == []
        link = next(a for a in driver.find_elements(By.CSS_SELECTOR, "#branches a.region-count") if a.text != "0")
        figure = int(link.text.replace(",", ""))
        link.click()
        WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.ID, "patents"))
        assert "branch=" in driver.current_url
        assert len(driver.find_elements(By.CSS_SELECTOR, "#patents tbody tr td:nth-child(2)")) == figure
        assert driver.find_element(By.ID, "total").text == str(figure)
        assert driver.execute_script("return window.__errors") == []


def test_pledge_statistics_chart_draws_and_a_bar_opens_its_contracts(base_url):
    """/finance draws contracts (bars) and amounts (line) per month with no script error, and a click on a bar opens
    the contracts behind it, as many as the bar says: the world's pledges are P1 (2023-03) and P2 (2024-05)."""
    from selenium.webdriver.common.action_chains import ActionChains

    with chromium() as driver:
        log_in(driver, base_url, "analyst")
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": (
            "window.__errors = []; window.addEventListener('error', e => window.__errors.push(String(e.message)));")})
        driver.get(f"{base_url}/finance?from=2023-01-01&to=2024-12-31&by=period")
        chart = driver.find_element(By.ID, "chart")
        assert chart.size["height"] > 200  # sized by the stylesheet: an inline style="" is refused by the CSP
        option = "echarts.getInstanceByDom(document.getElementById('chart')).getOption()"
        assert driver.execute_script(f"return {option}.series.map(s => s.type)") == ["bar", "line"]
        assert driver.execute_script(f"return {option}.xAxis[0].data") == ["2023-03", "2024-05"]
        bars = driver.execute_script(f"return {option}.series[0].data")
        assert bars == [1, 1]
        # the middle of the second bar, in pixels from the chart's top left corner
        x, y = driver.execute_script("const c = echarts.getInstanceByDom(document.getElementById('chart'));"
                                     "return c.convertToPixel({seriesIndex: 0}, [1, 0.5]);")
        ActionChains(driver).move_to_element_with_offset(
            chart, int(x - chart.size["width"] / 2), int(y - chart.size["height"] / 2)).click().perform()
        WebDriverWait(driver, 60).until(lambda d: "/finance/contracts" in d.current_url)
        assert "group=2024-05" in driver.current_url
        assert [td.text for td in driver.find_elements(By.CSS_SELECTOR, "#contracts tbody a.contract")] == [
            "P2"]
        assert driver.execute_script("return window.__errors") == []
