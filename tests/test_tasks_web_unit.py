"""The unit's workspace (web/unit.py) against a real server on loopback: a unit sees its own tasks and reports only,
files a report with real attachments, downloads them back, amends it; another unit's report is 404 everywhere; other
roles are refused; hostile files are refused naming the file with nothing stored; and a walk over every GET route of
the app as a unit account finds nothing open to it but its own pages."""

from __future__ import annotations

import io
import re
import socket
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image

import hvpatent.plan
import world
from webserver import PASSWORD, client, serve, world_db

PLAN = "yongchuan-2022-2024"
# A second plan of the same region naming the same units (check_units allows it: the same bodies), with colliding
# task numbers and another cadence: the form must never file under the wrong plan.
NEXT = "yongchuan-next"
NEXT_PLAN = f"""plan:
  key: {NEXT}
  name: 永川区知识产权后续行动方案
  name_en: Yongchuan follow-up plan
  issued: 2023-12-01
  region: "500118"
  baseline_date: 2023-12-31
  deadline: 2027-12-31
  reporting:
    cadence: half
    due_working_days: 10
    start: 2024-01-01
    end: 2027-12-31
    report_by: responsible
targets: []
tasks:
  - {{number: 3, group: 一, title: 培育科技型企业, goal: 后续任务, responsible: [区科技局], indicators: []}}
  - {{number: 9, group: 一, title: 数字经济专利, goal: 后续任务, responsible: [区经济信息委], indicators: []}}
"""
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
    from hvpatent.plan.model import SEED_PLAN
    from hvpatent.web import create_app

    folder = tmp_path_factory.mktemp("unit")
    (folder / "next.yaml").write_text(NEXT_PLAN, encoding="utf-8")
    seed = Path(hvpatent.plan.__file__).parent / SEED_PLAN
    app = create_app(world_db(folder), secret="test-secret", plan_files=[seed, folder / "next.yaml"])
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
        assert "2024Q2" in body["periods"][PLAN] and "2024Q3" not in body["periods"][PLAN]  # begun by 2024-06-30
        assert body["periods"][NEXT] == ["2024H1"]  # each plan's own periods, in its own cadence
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
        form = {"csrf": keji.headers["x-csrf-token"], "task": f"{PLAN}/2", "period": f"{PLAN}/2023Q4", "text": "x",
                "figure_name": ["培育企业"], "figure_value": ["十二"], "figure_unit": ["家"]}
        bad = keji.post("/unit/reports", data=form)
        assert bad.status_code == 422 and "未能提交：第 1 项数据：数值应为数字" in bad.text, bad.text
        assert "figure 1" not in bad.text
        english = keji.post("/unit/reports", params={"lang": "en"}, data=form)
        assert english.status_code == 422 and "Not filed: figure 1: the value must be a number" in english.text
        assert "第 1 项数据" not in english.text and "：figure" not in english.text


def test_figure_messages_count_the_forms_rows_blank_ones_included(server):
    """Rows 1 and 2 blank, row 3 a value without a name: the message names row 3 (the room numbers every row
    given and skips the blank ones), and a bad value in row 2 is row 2; nothing is stored."""
    url, _ = server
    with client(url, "keji") as keji:
        before = own_reports(keji)
        form = {"csrf": keji.headers["x-csrf-token"], "task": f"{PLAN}/2", "period": f"{PLAN}/2023Q4", "text": "x",
                "figure_name": ["", "", ""], "figure_value": ["", "", "5"], "figure_unit": ["", "", ""]}
        r = keji.post("/unit/reports", data=form)
        assert r.status_code == 422 and "未能提交：第 3 项数据：名称不能为空" in r.text, r.text
        form.update(figure_name=["", "企业", ""], figure_value=["", "十二", ""])
        r = keji.post("/unit/reports", data=form, params={"lang": "en"})
        assert r.status_code == 422 and "Not filed: figure 2: the value must be a number" in r.text, r.text
        assert 'value="十二"' in r.text  # the row typed comes back
        assert own_reports(keji) == before


def test_a_file_where_text_is_expected_is_refused(server):
    """A part sent as a file for the text (or the task) is refused by name, never filed as "UploadFile(...)"."""
    url, _ = server
    with client(url, "keji") as keji:
        before = own_reports(keji)
        data = {"plan": PLAN, "task": "2", "period": "2024Q2"}
        r = keji.post("/api/unit/reports", data=data, files=[("text", ("a.pdf", PDF, "application/pdf"))])
        assert r.status_code == 422 and r.json()["detail"] == "text：应为文字 / text: expected text"
        r = keji.post("/api/unit/reports", data={"period": "2024Q2", "text": "x"},
                      files=[("task", ("a.pdf", PDF, "application/pdf"))])
        assert r.status_code == 422 and r.json()["detail"] == "task：应为文字 / task: expected text"
        page = keji.post("/unit/reports", data={"csrf": keji.headers["x-csrf-token"], "period": f"{PLAN}/2024Q2",
                                                "text": "x"}, files=[("task", ("a.pdf", PDF, "application/pdf"))])
        assert page.status_code == 422 and "未能提交：task：应为文字" in page.text
        assert "UploadFile" not in page.text
        assert own_reports(keji) == before


def test_no_other_plans_key_is_ever_shown_and_echoes_are_clipped(server):
    """A unit posting an unknown plan key, the other region's plan (chongqing-2022-2024, shipped and loaded) or a
    huge key sees "no such plan" with the key clipped and no list of the loaded plans: it cannot learn the other
    plan's keys or map its task numbers (every task of it answers alike)."""
    url, _ = server
    with client(url, "keji") as keji:
        before = own_reports(keji)
        answers = []
        for plan, task in (("nope", "3"), ("chongqing-2022-2024", "1"), ("chongqing-2022-2024", "99")):
            r = keji.post("/api/unit/reports", data={"plan": plan, "task": task, "period": "2024Q1", "text": "x"})
            assert r.status_code == 422 and r.json()["detail"] == f"没有这个方案 / no such plan: {plan!r}"
            answers.append(r.json()["detail"].replace(plan, ""))
        assert len(set(answers)) == 1
        huge = "k" * 100_000
        r = keji.post("/api/unit/reports", data={"plan": huge, "task": "3", "period": "2024Q1", "text": "x"})
        assert r.status_code == 422 and len(r.text) < 300 and ("k" * 64) in r.text and ("k" * 65) not in r.text
        page = keji.post("/unit/reports", data={"csrf": keji.headers["x-csrf-token"], "task": f"{huge}/3",
                                                "period": f"{PLAN}/2024Q1", "text": "y" * 30_000,
                                                "figure_name": ["n" * 5000], "figure_value": ["1"],
                                                "figure_unit": ["u"]})
        assert page.status_code == 422 and "k" * 129 not in page.text and "n" * 61 not in page.text
        assert "y" * 20_000 in page.text and "y" * 20_001 not in page.text  # the text to max_text_chars
        for body in (page.text, keji.get("/unit").text, keji.get("/api/unit/tasks").text):
            assert "chongqing" not in body and "可用" not in body and "known:" not in body
        assert own_reports(keji) == before


def test_two_plans_of_one_region_file_under_the_plan_chosen(server):
    """keji is on task 3 of both plans: the one select's value carries the plan, so picking the second plan's task 3
    files there (never silently on the seed plan's task 3); each plan's periods are its own cadence's; a task of one
    plan with a period of the other is refused."""
    url, _ = server
    with client(url, "keji") as keji:
        page = keji.get("/unit", params={"as_of": "2024-07-01"}).text
        form = page.split('id="report-form"')[1]
        task_select = form.split('id="task"')[1].split("</select>")[0]
        assert task_select.count("<optgroup") == 2 and "永川区知识产权后续行动方案" in task_select
        assert f'value="{PLAN}/3"' in task_select and f'value="{NEXT}/3"' in task_select
        assert f'value="{NEXT}/9"' not in task_select  # task 9 is jingxin's
        period_select = form.split('id="period"')[1].split("</select>")[0]
        nxt = period_select.split(f'data-plan="{NEXT}"')[1].split("</optgroup>")[0]
        assert f'value="{NEXT}/2024H1"' in nxt and "Q" not in nxt
        assert f'value="{PLAN}/2024Q3"' in period_select and f'value="{PLAN}/2024H1"' not in period_select
        before = {(r["plan_key"], r["task_number"], r["period"]) for r in own_reports(keji)}
        token = keji.headers["x-csrf-token"]
        mixed = keji.post("/unit/reports", data={"csrf": token, "task": f"{PLAN}/3", "period": f"{NEXT}/2024H1",
                                                 "text": "x"})
        assert mixed.status_code == 422 and "任务与报送期不属于同一行动方案" in mixed.text
        r = keji.post("/unit/reports", data={"csrf": token, "task": f"{NEXT}/3", "period": f"{NEXT}/2024H1",
                                             "text": "后续方案上半年进展"}, follow_redirects=False)
        assert r.status_code == 303, r.text
        after = {(r["plan_key"], r["task_number"], r["period"]) for r in own_reports(keji)}
        assert after - before == {(NEXT, 3, "2024H1")}
        report = keji.get(r.headers["location"]).text
        amend = report.split('id="amend-form"')[1]
        assert f'name="task" value="{NEXT}/3"' in amend and f'name="period" value="{NEXT}/2024H1"' in amend


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
        assert ">high-value invention patents</span>, <span" in task2 and "、" not in task2
        assert ">高价值发明专利</span>、<span" in zh.split('data-task="2"')[1].split("</tr>")[0]


def test_the_report_page_in_english(server, filed):
    """?lang=en: ASCII punctuation around the heading and the done note, the linked indicator's English name."""
    url, _ = server
    report_id = filed[1]["report_id"]
    with client(url, "keji") as keji:
        en = keji.get(f"/unit/reports/{report_id}", params={"lang": "en", "done": "2"}).text
        assert "<h2>Progress report: " in en and "Report filed (Version 2)" in en and "：" not in en.split("<h2>")[1]
        linked = en.split('id="linked"')[1].split("</table>")[0]
        assert "<td>invention applications</td>" in linked and "发明专利申请量" not in linked
        zh = keji.get(f"/unit/reports/{report_id}", params={"lang": "zh", "done": "2"}).text
        assert "<h2>进展报告：" in zh and "报告已提交（版本 2）" in zh


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


# the unit's own writes, not walked: filing is tested above, a password change or a logout would end the walk
OWN_WRITES = {("POST", "/unit/reports"), ("POST", "/api/unit/reports"), ("POST", "/api/password"),
              ("POST", "/password"), ("POST", "/logout"), ("POST", "/api/logout"), ("POST", "/login"),
              ("POST", "/api/login")}


def all_routes(routes):
    """Every API route of an app with each of its methods, through FastAPI's included routers."""
    from fastapi.routing import APIRoute

    for route in routes:
        if hasattr(route, "original_router"):
            yield from all_routes(route.original_router.routes)
        elif isinstance(route, APIRoute):
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                yield method, route.path


def test_every_route_is_closed_to_a_unit_but_its_own(server):
    """Every method of every route as keji (GET with and without a query; a write with keji's CSRF token in the
    header and the form, an empty body otherwise): 401/403/404/405/422 or a redirect to /unit, never data, and the
    audit log (admin's /api/audit) is the same before and after: nothing was written."""
    url, app = server
    routes = sorted(set(all_routes(app.routes)))
    assert len(routes) > 150 and sum(m != "GET" for m, _ in routes) > 30  # the writes are walked too
    leaks = []
    with client(url, "admin") as admin, client(url, "keji") as keji:
        before = admin.get("/api/audit").json()
        assert isinstance(before, list) and before  # the log is read (keji's login at least is in it)
        token = keji.headers["x-csrf-token"]
        for method, route in routes:
            if (route in OWN and method == "GET") or (method, route) in OWN_WRITES:
                continue
            path = route
            for name, value in PLACEHOLDERS.items():
                path = path.replace("{" + name + "}", value)
            path = re.sub(r"\{[^}]+\}", "1", path)  # a route added later: a plain placeholder
            if method == "GET":
                tries = [keji.get(path, params=q, follow_redirects=False)
                         for q in ({}, {"as_of": "2024-06-30", "period": "2024", "plan": PLAN})]
            else:
                tries = [keji.request(method, path, data={"csrf": token}, follow_redirects=False)]
            for r in tries:
                redirect = r.status_code == 303 and r.headers.get("location") == "/unit"
                # 422: a required parameter missing, refused before the role check: no data either way
                if r.status_code not in (401, 403, 404, 405, 422) and not redirect:
                    leaks.append((method, route, r.status_code))
        assert keji.get("/api/me").json()["unit"] == "区科技局"
        assert admin.get("/api/audit").json() == before
    assert leaks == []


def test_a_unit_login_lands_on_its_workspace(server):
    url, _ = server
    with httpx.Client(base_url=url) as c:
        csrf = c.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
        r = c.post("/login", data={"username": "keji", "password": PASSWORD, "csrf": csrf}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/unit"
        assert c.get("/", follow_redirects=False).headers["location"] == "/unit"
