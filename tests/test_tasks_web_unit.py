"""The unit's workspace (web/unit.py) against a real server on loopback: a unit sees its own tasks and reports only,
files a report with real attachments, downloads them back, amends it; another unit's report is 404 everywhere; other
roles are refused; hostile files are refused naming the file with nothing stored; and a walk over every GET route of
the app as a unit account finds nothing open to it but its own pages."""

from __future__ import annotations

import io
import re
import socket
import zipfile
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image

import world
from webserver import PASSWORD, client, get_routes, serve, world_db

PLAN = "yongchuan-2022-2024"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 10, 10)).save(out, "PNG")
    return out.getvalue()


def zip_bomb() -> bytes:
    """A .docx whose document part unpacks 20 MiB of zeros from a few KiB: a ratio far above max_ratio (100)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("word/document.xml", b"\0" * (20 << 20))
    return out.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from hvpatent.web import create_app

    app = create_app(world_db(tmp_path_factory.mktemp("unit")), secret="test-secret")
    with serve(app) as url:
        yield url, app


def file_report(c: httpx.Client, task: int, period: str, text: str, files=(), figures=()) -> httpx.Response:
    data = {"plan": PLAN, "task": str(task), "period": period, "text": text,
            "figure_name": [f[0] for f in figures], "figure_value": [str(f[1]) for f in figures],
            "figure_unit": [f[2] for f in figures]}
    return c.post("/api/unit/reports", data=data, files=[("files", f) for f in files] or None)


def own_reports(c: httpx.Client) -> list[dict]:
    r = c.get("/api/unit/reports")
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def filed(server):
    """keji's report on task 3 (its own, responsible) for 2024Q1 with a PDF and a PNG, then amended (text only)."""
    url, _ = server
    with client(url, "keji") as keji:
        first = file_report(keji, 3, "2024Q1", "一季度进展：召开研发活动推进会。", files=[
            ("进展报告.pdf", PDF, "application/pdf"), ("现场.png", png(), "image/png")],
            figures=[("研发投入", 1250.5, "万元")])
        assert first.status_code == 201, first.text
        second = file_report(keji, 3, "2024Q1", "一季度进展（修订）")
        assert second.status_code == 201, second.text
        return first.json(), second.json()


def test_other_roles_are_refused_and_anonymous_goes_to_login(server):
    url, _ = server
    for name in ("analyst", "admin", "bank", "jia"):
        with client(url, name) as c:
            assert c.get("/unit", follow_redirects=False).status_code == 403, name
            assert c.get("/api/unit/tasks").status_code == 403, name
            assert c.get("/api/unit/reports").status_code == 403, name
            assert file_report(c, 3, "2024Q1", "x").status_code == 403, name
    with httpx.Client(base_url=url) as anonymous:
        r = anonymous.get("/unit", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        assert anonymous.get("/api/unit/tasks").status_code == 401


def test_a_unit_sees_only_its_own_tasks(server):
    url, _ = server
    with client(url, "keji") as keji:
        body = keji.get("/api/unit/tasks", params={"as_of": "2024-06-30"}).json()
        tasks = {(t["number"], t["role"]) for t in body["tasks"] if t["plan_key"] == PLAN}
        # the seed plan: 区科技局 leads tasks 2 and 3 and cooperates on 1, 4, 6 and 7
        assert tasks == {(2, "responsible"), (3, "responsible"), (1, "cooperating"), (4, "cooperating"),
                         (6, "cooperating"), (7, "cooperating")}
        assert all(s["unit"] == "区科技局" for t in body["tasks"] for s in t["periods"])
        assert "2024Q2" in body["periods"] and "2024Q3" not in body["periods"]  # begun by 2024-06-30 only
        page = keji.get("/unit", params={"as_of": "2024-06-30"})
        assert page.status_code == 200 and 'id="report-form"' in page.text and "聚焦研发活动" in page.text
        assert "加强专利代理能力建设" in page.text and "健全知识产权公共服务体系" not in page.text  # task 5 is not its


def test_file_download_and_amend(server, filed):
    url, _ = server
    first, second = filed
    assert first["version"] == 1 and second["version"] == 2 and first["unit"] == "区科技局"
    assert first["figures"] == [{"name": "研发投入", "value": 1250.5, "unit": "万元"}]
    assert [f["file_name"] for f in second["files"]] == ["进展报告.pdf", "现场.png"]  # carried to version 2
    with client(url, "keji") as keji:
        for n, (content, media) in enumerate(((PDF, "application/pdf"), (png(), "image/png")), 1):
            for path in (f"/unit/reports/{second['report_id']}/files/{n}",
                         f"/api/unit/reports/{second['report_id']}/files/{n}"):
                r = keji.get(path)
                assert r.status_code == 200 and r.content == content and r.headers["content-type"] == media
                assert r.headers["content-disposition"].startswith("attachment;")
        name = keji.get(f"/unit/reports/{second['report_id']}/files/1").headers["content-disposition"]
        assert "filename*=UTF-8''%E8%BF%9B%E5%B1%95%E6%8A%A5%E5%91%8A.pdf" in name
        page = keji.get(f"/unit/reports/{second['report_id']}")
        assert page.status_code == 200 and "一季度进展（修订）" in page.text and 'id="amend-form"' in page.text
        api = keji.get(f"/api/unit/reports/{second['report_id']}").json()
        assert [h["version"] for h in api["history"]] == [1, 2]
        mine = [r for r in own_reports(keji) if r["task_number"] == 3 and r["period"] == "2024Q1"]
        assert [r["version"] for r in mine] == [2]


def test_another_unit_gets_404_for_the_report_its_page_and_files(server, filed):
    url, _ = server
    report_id = filed[1]["report_id"]
    with client(url, "jingxin") as jingxin:
        for path in (f"/unit/reports/{report_id}", f"/unit/reports/{report_id}/files/1",
                     f"/api/unit/reports/{report_id}", f"/api/unit/reports/{report_id}/files/1"):
            assert jingxin.get(path).status_code == 404, path
            missing = path.replace(report_id, "0" * 32)
            assert jingxin.get(missing).status_code == 404, missing  # the same answer as a missing report
        assert all(r["unit"] == "区经济信息委" for r in own_reports(jingxin))
        assert report_id not in {r["report_id"] for r in own_reports(jingxin)}


def test_filing_for_a_task_not_its_own_is_refused(server):
    url, _ = server
    with client(url, "keji") as keji:
        before = len(own_reports(keji))
        r = file_report(keji, 5, "2024Q1", "不是本单位的任务")  # task 5: 区知识产权局 leads, 区经济信息委 cooperates
        assert r.status_code == 422 and "task 5" in r.json()["detail"]
        assert len(own_reports(keji)) == before


@pytest.mark.parametrize(("name", "data"), [
    ("进展.pdf", b"\x7fELF\x02\x01\x01" + b"\0" * 200),  # a Linux program renamed .pdf
    ("说明.docx", None),                                  # a zip bomb named .docx
])
def test_hostile_attachments_are_refused_naming_the_file_nothing_stored(server, name, data):
    url, _ = server
    data = data if data is not None else zip_bomb()
    with client(url, "keji") as keji:
        before = own_reports(keji)
        r = file_report(keji, 2, "2024Q2", "附件有问题", files=[("ok.pdf", PDF), (name, data)])
        assert r.status_code == 422 and name in r.json()["detail"], r.text
        assert own_reports(keji) == before
        form = {"csrf": keji.headers["x-csrf-token"], "plan": PLAN, "task": "2", "period": "2024Q2",
                "text": "附件有问题"}
        page = keji.post("/unit/reports", data=form, files=[("files", (name, data))])
        assert page.status_code == 422 and name in page.text and 'id="report-form"' in page.text
        assert "附件有问题" in page.text  # the text typed comes back
        assert own_reports(keji) == before


def test_the_form_files_and_goes_to_the_report(server):
    url, _ = server
    with client(url, "keji") as keji:
        r = keji.post("/unit/reports", data={"csrf": keji.headers["x-csrf-token"], "plan": PLAN, "task": "2",
                                             "period": "2023Q4", "text": "四季度进展", "figure_name": ["培育企业"],
                                             "figure_value": ["12"], "figure_unit": ["家"]},
                      files=[("files", ("表.png", png(), "image/png"))], follow_redirects=False)
        assert r.status_code == 303 and urlsplit(r.headers["location"]).path.startswith("/unit/reports/")
        page = keji.get(r.headers["location"])
        assert page.status_code == 200 and 'id="done"' in page.text and "四季度进展" in page.text
        assert "培育企业" in page.text and "表.png" in page.text
        bad = keji.post("/unit/reports", data={"csrf": keji.headers["x-csrf-token"], "plan": PLAN, "task": "2",
                                               "period": "2023Q4", "text": "x", "figure_name": ["培育企业"],
                                               "figure_value": ["十二"], "figure_unit": ["家"]})
        assert bad.status_code == 422 and "未能提交：数据第 1 行" in bad.text and "figure row 1" not in bad.text
        english = keji.post("/unit/reports", params={"lang": "en"}, data={
            "csrf": keji.headers["x-csrf-token"], "plan": PLAN, "task": "2", "period": "2023Q4", "text": "x",
            "figure_name": ["培育企业"], "figure_value": ["十二"], "figure_unit": ["家"]})
        assert english.status_code == 422 and "Not filed: figure row 1" in english.text  # English half, ": "
        assert "数据第 1 行" not in english.text and "：figure" not in english.text


def test_csrf_is_required(server):
    url, _ = server
    with client(url, "keji") as keji:
        before = own_reports(keji)
        token = keji.headers.pop("x-csrf-token")
        assert file_report(keji, 3, "2024Q2", "no token").status_code == 403
        assert keji.post("/unit/reports", data={"plan": PLAN, "task": "3", "period": "2024Q2",
                                                "text": "no token"}).status_code == 403
        keji.headers["x-csrf-token"] = token
        assert own_reports(keji) == before


def test_a_body_over_the_limit_is_413_unread(server):
    """A declared Content-Length over the report limit (30 MiB + 1 MiB) is answered before any byte is sent."""
    url, _ = server
    host, port = urlsplit(url).hostname, urlsplit(url).port
    for path in ("/unit/reports", "/api/unit/reports"):
        with socket.create_connection((host, port), timeout=30) as s:
            s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                      f"Content-Length: {(31 << 20) + 1}\r\nConnection: close\r\n\r\n".encode())
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 413"), answer[:100]


def figures(n: int) -> list[tuple[str, float, str]]:
    return [(f"指标{k}", float(k), "件") for k in range(1, n + 1)]


def test_a_report_may_hold_every_figure_the_settings_allow_and_the_amend_form_shows_them_all(server):
    """tasks.yaml max_figures is 30: 26 figures (78 figure fields, beyond Starlette's old cap of 80 with the rest)
    are filed, and the amend form has a row for each of them; a report of 3 figures gets the 10 rows at least."""
    url, _ = server
    with client(url, "keji") as keji:
        r = file_report(keji, 2, "2024Q3", "三季度进展，26 项数据", figures=figures(26))
        assert r.status_code == 201, r.text
        assert [f["name"] for f in r.json()["figures"]] == [f"指标{k}" for k in range(1, 27)]
        amend = keji.get(f"/unit/reports/{r.json()['report_id']}").text.split('id="amend-form"')[1]
        assert amend.count('name="figure_name"') == 26 and 'value="指标26"' in amend
        small = file_report(keji, 3, "2024Q3", "三季度进展，3 项数据", figures=figures(3))
        assert small.status_code == 201, small.text
        amend = keji.get(f"/unit/reports/{small.json()['report_id']}").text.split('id="amend-form"')[1]
        assert amend.count('name="figure_name"') == 10 and 'value="指标3"' in amend


def test_too_many_figures_or_files_is_a_bilingual_422_nothing_stored(server):
    """Beyond the settings (31 figures: the room; 200 figure rows or 11 files: more parts than the form reads) the
    answer is 422 in both languages on the API and the form again on the page, never Starlette's English 400."""
    url, _ = server
    with client(url, "keji") as keji:
        before = own_reports(keji)
        r = file_report(keji, 2, "2024Q2", "31 项", figures=figures(31))
        assert r.status_code == 422 and "30" in r.json()["detail"], r.text
        r = file_report(keji, 2, "2024Q2", "200 项", figures=figures(200))
        assert r.status_code == 422 and r.json()["detail"] == "数据过多：最多 30 项 / too many figures: at most 30"
        eleven = [(f"{k}.pdf", PDF, "application/pdf") for k in range(11)]
        r = file_report(keji, 2, "2024Q2", "11 个附件", files=eleven)
        assert r.status_code == 422
        assert r.json()["detail"] == "附件过多：最多 5 个 / too many attachments: at most 5"
        form = {"csrf": keji.headers["x-csrf-token"], "plan": PLAN, "task": "2", "period": "2024Q2", "text": "x",
                "figure_name": [f[0] for f in figures(200)], "figure_value": ["1"] * 200, "figure_unit": ["件"] * 200}
        page = keji.post("/unit/reports", data=form)
        assert page.status_code == 422 and "未能提交：数据过多：最多 30 项" in page.text
        assert 'id="report-form"' in page.text
        page = keji.post("/unit/reports", params={"lang": "en"}, data={"csrf": form["csrf"]},
                         files=[("files", f) for f in eleven])
        assert page.status_code == 422 and "Not filed: too many attachments: at most 5" in page.text
        assert own_reports(keji) == before


def test_linked_figures_are_not_links_to_the_bureaus_records(server, filed):
    """/records is staff-only (403 for a unit): the report page names the linked indicator without a link, and the
    API's linked_figures carry no records_url."""
    url, _ = server
    report_id = filed[1]["report_id"]
    with client(url, "keji") as keji:
        linked = keji.get(f"/unit/reports/{report_id}").text.split('id="linked"')[1].split("</table>")[0]
        assert "<td>发明专利申请量</td>" in linked and "href" not in linked  # task 3's invention_applications
        api = keji.get(f"/api/unit/reports/{report_id}").json()["linked_figures"]
        assert api and all("records_url" not in f for f in api)
        assert keji.get("/records/invention_applications").status_code == 403  # why there is no link


def test_statuses_plan_indicators_and_targets_in_the_pages_language(server):
    """The status words are the door's (pending reads 未到期 / not yet due, as on the bureau's pages); ?lang=en names
    the plan, the linked indicators and targets in English where the plan has them (targets: their names)."""
    from hvpatent.tasks import STATUS_WORDS

    url, _ = server
    with client(url, "keji") as keji:
        zh = keji.get("/unit", params={"as_of": "2024-07-01"}).text  # 2024Q3 has begun, not yet due
        row = zh.split('data-task="3"')[1].split('data-period="2024Q3"')[1].split("</tr>")[0]
        assert 'data-status="pending"' in row and STATUS_WORDS["pending"][0] == "未到期" and "未到期" in row
        task2 = zh.split('data-task="2"')[1].split("</tr>")[0]
        assert "永川区高价值发明专利质量提升行动方案" in task2 and '>高价值发明专利</span>' in task2
        assert '>万人高价值发明专利拥有量</span>' in task2 and ">high_value_per_10k<" not in task2
        en = keji.get("/unit", params={"as_of": "2024-07-01", "lang": "en"}).text
        row = en.split('data-task="3"')[1].split('data-period="2024Q3"')[1].split("</tr>")[0]
        assert "not yet due" in row and "未到期" not in row
        task2 = en.split('data-task="2"')[1].split("</tr>")[0]
        assert "Yongchuan District High-Value Invention Patent Quality Improvement Action Plan" in task2
        assert ">high-value invention patents</span>" in task2 and "永川区高价值" not in task2
        assert "<th>Role</th>" in en and ">responsible<" in task2


def test_the_filing_day_is_the_first_versions(server, filed):
    """An amended report: the period row's filing day (报送日) and the report page's 首次提交 are version 1's
    submitted_at (the filing that decides timeliness), not the amendment's."""
    url, _ = server
    first, second = filed
    with client(url, "keji") as keji:
        page = keji.get(f"/unit/reports/{second['report_id']}").text
        assert f'<span id="first-submitted">{first["submitted_at"].replace("T", " ")}' in page
        # as of the day it was filed (the server's clock: the fixture files it now), the period is filed
        row = keji.get("/unit", params={"as_of": first["submitted_at"][:10]}).text.split('data-task="3"')[1]
        row = row.split('data-period="2024Q1"')[1].split("</tr>")[0]
        assert f"报送日 {first['submitted_at'][:10]}" in row and "v2" in row


def test_a_report_id_of_any_length_is_404_like_a_missing_one(server):
    url, _ = server
    long_id = "a" * 65
    with client(url, "keji") as keji:
        for path in (f"/unit/reports/{long_id}", f"/unit/reports/{long_id}/files/1",
                     f"/api/unit/reports/{long_id}", f"/api/unit/reports/{long_id}/files/1"):
            r = keji.get(path)
            assert r.status_code == 404, (path, r.text)
        assert keji.get(f"/api/unit/reports/{long_id}").json()["detail"] == f"没有此报告 / no such report: {'a' * 64}"


def test_disposition_has_an_ascii_fallback_and_the_real_name():
    from hvpatent.web.downloads import disposition

    assert disposition("报告.pdf") == ("attachment; filename=\"__.pdf\"; "
                                       "filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf")
    # a quote, a semicolon, a backslash or a line break cannot end the parameter or the header
    assert disposition('a"b;c\\d\r\n.pdf') == ("attachment; filename=\"a_b_c_d__.pdf\"; "
                                               "filename*=UTF-8''a%22b%3Bc%5Cd%0D%0A.pdf")
    assert disposition("").startswith('attachment; filename="file";')


# -- the role sweep: a unit account reaches nothing but its own pages -----------------------------------------------
OWN = {"/unit", "/unit/reports/{report_id}", "/unit/reports/{report_id}/files/{file_no}", "/api/unit/tasks",
       "/api/unit/reports", "/api/unit/reports/{report_id}", "/api/unit/reports/{report_id}/files/{file_no}",
       "/api/me", "/login"}
PLACEHOLDERS = {"app_no": world.A1, "key": "valid_inventions", "contract_no": "P1", "industry": "x", "reg_no": "1",
                "nice_class": "9", "row": "1", "column": "1", "job_id": "nope", "request_id": "1", "report_id": "x",
                "file_no": "1", "ref": "1", "fmt": "pdf", "unit": "区科技局", "plan": PLAN}


def test_every_get_route_is_closed_to_a_unit_but_its_own(server):
    url, app = server
    routes = list(get_routes(app.routes))
    assert len(routes) > 100  # the walk really goes through the included routers
    leaks = []
    with client(url, "keji") as keji:
        for route in routes:
            if route.path in OWN:
                continue
            path = route.path
            for name, value in PLACEHOLDERS.items():
                path = path.replace("{" + name + "}", value)
            path = re.sub(r"\{[^}]+\}", "1", path)  # a route added later: a plain placeholder
            for query in ({}, {"as_of": "2024-06-30", "period": "2024", "plan": PLAN}):
                r = keji.get(path, params=query, follow_redirects=False)
                redirect = r.status_code == 303 and r.headers.get("location") == "/unit"
                # 422: a required query parameter missing, refused before the role check: no data either way
                if r.status_code not in (401, 403, 404, 405, 422) and not redirect:
                    leaks.append((route.path, query, r.status_code))
        assert keji.get("/api/me").json()["unit"] == "区科技局"
    assert leaks == []


def test_a_unit_login_lands_on_its_workspace(server):
    url, _ = server
    with httpx.Client(base_url=url) as c:
        csrf = c.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
        r = c.post("/login", data={"username": "keji", "password": PASSWORD, "csrf": csrf}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/unit"
        assert c.get("/", follow_redirects=False).headers["location"] == "/unit"
