"""The bureau's task-report pages and API (web/task_reports.py, the /tasks page) on the world.py district with
three hand-made reports of the seed plan (quarterly, due the 10th working day after the quarter; 2024Q3 due
2024-10-18, the National Day week 10-01..07 off and Saturday 10-12 a working day):

- 区经济信息委, task 1 (聚焦重点产业): v1 filed 2024-10-10 (on time), with one figure and a PDF attachment; v2
  filed 2024-11-01 (an amendment after the due date: still on time, timeliness counts the first version);
- 区科技局, task 3 (聚焦研发活动): filed 2024-10-18, the due date itself (on time);
- 区科技局, task 2 (聚焦创新主体): filed 2024-10-21 (Monday), late by 1 working day.

On 2024-11-05 the 2024Q3 grid has 14 required (task, responsible unit) pairs: 3 filed (2 on time, 1 late), 11
overdue; the 29 (task, cooperating unit) pairs are optional.  区科技局's overdue reports on that day are its tasks 2
and 3 in each of 2022Q4..2024Q2 (7 quarters): 14 rows.  Its assessment timeliness for 2024Q3 is (100 + 60) / 2 = 80
(tasks.yaml: on time 100, late by ≤ 5 working days 60).  Staff only: jia (enterprise), bank and keji (unit) get 403
on every page and API, anonymous visitors the login page (401 on the API).  One server for the module, which also
knows a second plan of the district (SECOND: one task, three responsible units whose names carry "/", ":" and "..",
nothing filed) named after the seed plan's file, so the seed plan stays the default."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import datetime
from html import unescape
from pathlib import Path

import pytest

from webserver import client, serve, world_db

PLAN = "yongchuan-2022-2024"
AS_OF = "2024-11-05"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
R_JX1, R_JX2, R_KJ3, R_KJ2 = "a" * 32, "b" * 32, "c" * 32, "d" * 32
FIGURES = [{"name": "走访企业", "value": 12.0, "unit": "家"}]
SECOND = "second-plan"
ODD_UNITS = ["../../区测试局", "区测/试局", "区测:试局"]   # the last two clean to the same file name


def _second_plan(folder: Path) -> Path:
    """The seed plan's head under SECOND with one task of its own (no linked indicators or targets)."""
    import yaml

    from hvpatent.plan.model import SEED_PLAN

    seed = yaml.safe_load((Path(__file__).parents[1] / "src/hvpatent/plan" / SEED_PLAN).read_text(encoding="utf-8"))
    task = {**seed["tasks"][0], "number": 1, "title": "测试任务", "responsible": ODD_UNITS, "cooperating": [],
            "indicators": [], "targets": []}
    head = {**seed["plan"], "key": SECOND, "name": "第二方案", "name_en": "Second plan"}
    path = folder / "second.yaml"
    path.write_text(yaml.safe_dump({"plan": head, "targets": [], "tasks": [task]}, allow_unicode=True),
                    encoding="utf-8")
    return path


def _insert(duck) -> None:
    """The reports as H2's file_report stores them (task_reports, task_report_files), written by hand."""
    rows = [(R_JX1, 1, "区经济信息委", 1, "第三季度：培育重点产业企业 12 家。", FIGURES, datetime(2024, 10, 10, 9)),
            (R_JX2, 1, "区经济信息委", 2, "第三季度（修订）：培育重点产业企业 13 家。", FIGURES,
             datetime(2024, 11, 1, 9)),
            (R_KJ3, 3, "区科技局", 1, "研发活动：新增研发机构 2 个。", [], datetime(2024, 10, 18, 17, 30)),
            (R_KJ2, 2, "区科技局", 1, "创新主体：培育高价值专利企业 3 家。", [], datetime(2024, 10, 21, 8))]
    for rid, task, unit, version, text, figures, at in rows:
        duck.execute("INSERT INTO task_reports VALUES (?, ?, ?, ?, '2024Q3', ?, ?, ?, ?, ?)",
                     [rid, PLAN, task, unit, version, text, json.dumps(figures, ensure_ascii=False), at,
                      "jingxin" if unit == "区经济信息委" else "keji"])
    for rid in (R_JX1, R_JX2):  # v2 carries v1's file forward
        duck.execute("INSERT INTO task_report_files VALUES (?, 1, '进展.pdf', 'pdf', 'application/pdf', ?, ?, ?)",
                     [rid, len(PDF), __import__("hashlib").sha256(PDF).hexdigest(), PDF])


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    from hvpatent.plan.model import SEED_PLAN
    from hvpatent.warehouse.store import Warehouse
    from hvpatent.web import create_app

    folder = tmp_path_factory.mktemp("bureau")
    db = world_db(folder)
    with Warehouse(db) as wh:
        _insert(wh.con)
    seed = Path(__file__).parents[1] / "src/hvpatent/plan" / SEED_PLAN
    with serve(create_app(db, secret="test-secret", plan_files=[seed, _second_plan(folder)])) as url:
        yield url


def _q(**extra) -> dict:
    return {"plan": PLAN, "as_of": AS_OF, **extra}


def test_status_counts_and_badges(base_url):
    with client(base_url, "analyst") as c:
        rows = c.get("/api/tasks/status", params=_q(period="2024Q3")).json()
        by = {(r["task_number"], r["unit"]): r for r in rows}
        assert by[(1, "区经济信息委")]["status"] == "on_time"
        assert by[(1, "区经济信息委")]["version"] == 2          # the amendment is shown, still on time
        assert by[(3, "区科技局")]["status"] == "on_time"       # filed on the due date
        assert by[(2, "区科技局")]["status"] == "late" and by[(2, "区科技局")]["working_days_late"] == 1
        assert by[(2, "区科技局")]["due"] == "2024-10-18"
        assert by[(4, "区知识产权局")]["status"] == "overdue"
        assert by[(1, "区科技局")]["status"] == "optional"       # a cooperating unit under report_by responsible
        statuses = [r["status"] for r in rows]
        assert {s: statuses.count(s) for s in set(statuses)} == {"on_time": 2, "late": 1, "overdue": 11,
                                                                 "optional": 29}
        page = c.get("/tasks/reports", params=_q(period="2024Q3"))
        assert page.status_code == 200
        for status, n in (("on_time", 2), ("late", 1), ("overdue", 11), ("pending", 0), ("optional", 29)):
            assert f'data-count="{status}">{n}</b>' in page.text
        assert f'href="/tasks/reports/{R_KJ2}"' in page.text and 'data-cell="2/区科技局"' in page.text
        only = c.get("/tasks/reports", params=_q(period="2024Q3", status="late")).text
        assert f"/tasks/reports/{R_KJ2}" in only and f"/tasks/reports/{R_KJ3}" not in only
        overview = c.get("/tasks", params={"as_of": AS_OF})
        assert overview.status_code == 200 and "2024Q4" in overview.text   # latest period begun by 11-05
        assert 'data-target="industry_inventions"' in overview.text


def test_status_export(base_url):
    with client(base_url, "admin") as c:
        r = c.get("/api/tasks/status", params=_q(period="2024Q3", unit="区科技局", format="csv"))
        assert r.status_code == 200
        text = r.content.decode("utf-8-sig")
        assert "逾期报送" in text and "按时报送" in text and "区经济信息委" not in text
        x = c.get("/api/tasks/status", params=_q(period="2024Q3", format="xlsx", lang="en"))
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(x.content)).active
        header = [cell.value for cell in sheet[1]]
        assert "Status" in header and sheet.max_row == 1 + 43


def test_report_page_and_file(base_url):
    with client(base_url, "analyst") as c:
        page = c.get(f"/tasks/reports/{R_JX2}")
        assert page.status_code == 200
        assert "培育重点产业企业 13 家" in page.text and "走访企业" in page.text
        assert f'href="/tasks/reports/{R_JX1}"' in page.text          # version history links v1
        assert "/records/industry_valid_inventions?" in page.text     # the task's linked indicator
        f = c.get(f"/tasks/reports/{R_JX2}/files/1")
        assert f.status_code == 200 and f.content == PDF
        assert f.headers["content-type"] == "application/pdf" and "attachment" in f.headers["content-disposition"]
        assert c.get(f"/api/tasks/reports/{R_JX2}/files/1").content == PDF
        api = c.get(f"/api/tasks/reports/{R_JX2}").json()
        assert api["version"] == 2 and [h["version"] for h in api["history"]] == [1, 2]
        assert c.get("/api/tasks/reports/" + "e" * 32).status_code == 404
        assert c.get(f"/tasks/reports/{R_JX2}/files/9").status_code == 404
        assert c.get("/tasks/reports/..%2F..%2Fetc").status_code == 404


def test_overdue_letters(base_url):
    from docx import Document

    with client(base_url, "analyst") as c:
        rows = c.get("/api/tasks/overdue", params=_q(unit="区科技局")).json()
        assert sorted((r["task_number"], r["period"]) for r in rows) == sorted(
            (t, p) for t in (2, 3) for p in ("2022Q4", "2023Q1", "2023Q2", "2023Q3", "2023Q4", "2024Q1", "2024Q2"))
        page = c.get("/tasks/overdue", params=_q())
        assert page.status_code == 200 and 'data-unit="区科技局"' in page.text
        letter = c.get("/tasks/overdue/letter", params=_q(unit="区科技局"))
        assert letter.status_code == 200
        text = "\n".join(p.text for p in Document(io.BytesIO(letter.content)).paragraphs)
        cells = " ".join(cell.text for t in Document(io.BytesIO(letter.content)).tables for row in t.rows
                         for cell in row.cells)
        assert "区科技局" in text and "聚焦创新主体" in cells + text and "聚焦研发活动" in cells + text
        assert "聚焦重点产业" not in cells                       # task 1 is not the unit's responsibility
        z = zipfile.ZipFile(io.BytesIO(c.get("/tasks/overdue/letters.zip", params=_q()).content))
        assert any("区科技局" in n for n in z.namelist()) and all(n.endswith(".docx") for n in z.namelist())
        assert c.get("/api/tasks/overdue/letter", params=_q(unit="区教委")).status_code == 422  # nothing overdue


def test_assessment_after_score(base_url):
    from openpyxl import load_workbook

    with client(base_url, "admin") as c:
        r = c.post("/api/tasks/scores", json={"plan": PLAN, "unit": "区科技局", "period": "2024Q3", "score": 90,
                                              "note": "工作扎实"})
        assert r.status_code == 200, r.text
        # as of today (the default day): a sheet as of an earlier day counts only the scores recorded by then
        sheet = {row["unit"]: row for row in c.get("/api/tasks/assessment", params={"plan": PLAN,
                                                                                  "period": "2024Q3"}).json()}
        kj = sheet["区科技局"]
        assert kj["timeliness"] == pytest.approx(80.0) and kj["qualitative"] == pytest.approx(90.0)
        parts = [(30, kj["timeliness"]), (40, kj["indicators"]), (30, kj["qualitative"])]
        present = [(w, v) for w, v in parts if v is not None]
        assert kj["total"] == pytest.approx(sum(w * v for w, v in present) / sum(w for w, _ in present))
        x = c.get("/tasks/assessment.xlsx", params={"plan": PLAN, "period": "2024Q3"})
        book = load_workbook(io.BytesIO(x.content))
        values = [cell.value for ws in book for row in ws.iter_rows() for cell in row]
        assert "区科技局" in values and any(isinstance(v, float | int) and v == pytest.approx(kj["total"])
                                         for v in values)
        page = c.get("/tasks/assessment", params={"plan": PLAN, "period": "2024Q3"})
        assert page.status_code == 200 and 'data-unit="区科技局"' in page.text
        before = {r["unit"]: r for r in c.get("/api/tasks/assessment", params=_q(period="2024Q3")).json()}
        assert before["区科技局"]["qualitative"] is None        # recorded after 2024-11-05: not yet known then


def test_a_sheet_of_a_period_not_begun_is_422_not_500(base_url):
    """2024Q4 begins on 2024-10-01: its sheet as of 2024-09-30 is refused by the room, and the page, the xlsx and the
    API say so with a 422; as of 10-01 it is served."""
    with client(base_url, "analyst") as c:
        for path in ("/tasks/assessment", "/tasks/assessment.xlsx", "/api/tasks/assessment"):
            r = c.get(path, params={"plan": PLAN, "period": "2024Q4", "as_of": "2024-09-30"})
            assert r.status_code == 422 and "2024Q4" in r.text, (path, r.status_code, r.text[:200])
        assert c.get("/api/tasks/assessment", params={"plan": PLAN, "period": "2024Q4",
                                                      "as_of": "2024-10-01"}).status_code == 200


def test_score_form_and_bad_values(base_url):
    with client(base_url, "analyst") as c:
        csrf = c.headers["x-csrf-token"]
        form = c.post("/tasks/scores", data={"csrf": csrf, "plan": PLAN, "unit": "区经济信息委", "period": "2024Q3",
                                             "score": "75", "as_of": AS_OF}, follow_redirects=False)
        assert form.status_code == 303 and "saved=1" in form.headers["location"]
        assert "as_of" not in form.headers["location"]           # back to today's sheet, where the score counts
        bad = c.post("/tasks/scores", data={"csrf": csrf, "plan": PLAN, "unit": "区经济信息委", "period": "2024Q3",
                                            "score": "101"})
        assert bad.status_code == 422 and "score" in bad.text
        for body in ({"unit": "区科技局", "period": "2024Q3", "score": -1},
                     {"unit": "没有的单位", "period": "2024Q3", "score": 50},
                     {"unit": "区科技局", "period": "2024Q5", "score": 50},
                     {"unit": "区科技局", "period": "2030Q1", "score": 50}):
            assert c.post("/api/tasks/scores", json={"plan": PLAN, **body}).status_code == 422, body
        for params in ({"period": "2024Q5"}, {"plan": "nosuch"}, {"unit": "没有的单位"}, {"status": "lost"},
                       {"as_of": "2024-13-01"}):
            assert c.get("/api/tasks/status", params={**_q(), **params}).status_code == 422, params
            assert c.get("/tasks/reports", params={**_q(), **params}).status_code == 422, params
        assert c.post("/api/tasks/scores", json={"plan": PLAN, "unit": "区科技局", "period": "2024Q3", "score": 50},
                      headers={"x-csrf-token": "wrong"}).status_code == 403


def test_a_score_names_its_unit_and_period_and_the_form_takes_text_only(base_url):
    """A blank period is refused (not the latest period begun), a blank unit too; the form's fields are text of
    bounded length; nothing refused is stored."""
    unit = "区知识产权局"
    with client(base_url, "analyst") as c:
        csrf = c.headers["x-csrf-token"]
        for period in ("", "  "):
            r = c.post("/api/tasks/scores", json={"plan": PLAN, "unit": unit, "period": period, "score": 70})
            assert r.status_code == 422 and "period" in r.json()["detail"], period
            page = c.post("/tasks/scores", data={"csrf": csrf, "plan": PLAN, "unit": unit, "period": period,
                                                 "score": "70"})
            assert page.status_code == 422 and "period" in page.text, period
        for blank in ("", " "):
            r = c.post("/api/tasks/scores", json={"plan": PLAN, "unit": blank, "period": "2024Q2", "score": 70})
            assert r.status_code == 422 and "unit" in r.json()["detail"], blank
        form = {"csrf": csrf, "plan": PLAN, "unit": unit, "period": "2024Q2", "score": "70"}
        as_file = c.post("/tasks/scores", data={k: v for k, v in form.items() if k != "note"},
                         files={"note": ("note.txt", b"text sent as a file", "text/plain")})
        assert as_file.status_code == 422 and "Traceback" not in as_file.text
        long = c.post("/tasks/scores", data={**form, "note": "长" * 501})
        assert long.status_code == 422 and "note" in long.text
        assert c.post("/tasks/scores", data={**form, "score": "nan"}).status_code == 422
        for period in ("2024Q2", "2024Q4"):   # the period asked, and the latest begun (a blank one's default)
            sheet = {r["unit"]: r for r in c.get("/api/tasks/assessment",
                                                 params={"plan": PLAN, "period": period}).json()}
            assert sheet[unit]["qualitative"] is None, period


def test_a_letter_names_its_unit(base_url):
    with client(base_url, "analyst") as c:
        for path in ("/api/tasks/overdue/letter", "/tasks/overdue/letter"):
            for blank in ("", "  "):
                r = c.get(path, params=_q(unit=blank))
                assert r.status_code == 422 and "unit" in r.text, (path, blank)
                assert "没有逾期未报" not in r.text and "no overdue" not in r.text, (path, blank)


def test_linked_indicator_in_the_page_language(base_url):
    with client(base_url, "analyst") as c:
        en = c.get(f"/tasks/reports/{R_JX2}", params={"lang": "en"}).text
        linked = en[en.index('id="linked"'):]
        assert ">valid invention patents of the plan's industries</a>" in unescape(linked)
        assert ">主导产业有效发明专利</a>" not in linked   # (a target keeps the plan's own Chinese name)
        zh = c.get(f"/tasks/reports/{R_JX2}", params={"lang": "zh"}).text
        assert ">主导产业有效发明专利</a>" in zh[zh.index('id="linked"'):]


def _href(page: str, marker: str) -> str:
    """The link carrying ``marker`` (e.g. data-status-link="late"), unescaped, to be followed."""
    for tag in re.findall(r"<a\b([^>]*)>", page):
        if marker in tag:
            return unescape(re.search(r'href="([^"]+)"', tag).group(1))
    raise AssertionError(f"no link with {marker}")


def _cells(page: str) -> set[str]:
    return set(re.findall(r'data-cell="([^"]+)"', page))


def _cell_statuses(page: str) -> set[str]:
    """The statuses of the grid's cells (not of the counts above it)."""
    return set(re.findall(r'data-cell="[^"]+"[^>]*>(?:<a [^>]*>)?<span class="status [^"]*" data-status="(\w+)"', page))


def test_every_figure_links_to_what_is_behind_it(base_url):
    with client(base_url, "analyst") as c:
        page = c.get("/tasks/reports", params=_q(period="2024Q3")).text
        late = c.get(_href(page, 'data-status-link="late"')).text          # the count of late reports
        assert _cells(late) == {"2/区科技局"} and f"/tasks/reports/{R_KJ2}" in late and _cell_statuses(late) == {"late"}
        on_time = c.get(_href(page, 'data-status-link="on_time"')).text
        assert _cells(on_time) == {"1/区经济信息委", "3/区科技局"}
        kj = c.get(_href(page, 'data-unit-link="区科技局"')).text            # a unit's column header
        assert _cells(kj) and all(cell.endswith("/区科技局") for cell in _cells(kj))
        assert "2024Q3" in kj and 'data-cell="1/区经济信息委"' not in kj
        overview = c.get("/tasks", params={"plan": PLAN, "as_of": AS_OF}).text
        pending = c.get(_href(overview, 'data-status-link="pending"')).text  # the latest period's (2024Q4) totals
        assert "2024Q4" in pending and len(_cells(pending)) == 14 and _cell_statuses(pending) == {"pending"}
        sheet = c.get("/tasks/assessment", params=_q(period="2024Q3")).text
        row = sheet[sheet.index('data-unit="区科技局"'):]
        unit = c.get(unescape(re.search(r'<a href="([^"]+)" data-timeliness>', row).group(1))).text
        assert {"2/区科技局", "3/区科技局"} <= _cells(unit) and all(x.endswith("/区科技局") for x in _cells(unit))
        assert f"/tasks/reports/{R_KJ2}" in unit and "2024Q3" in unit


def test_plan_names_status_words_and_notes_in_the_page_language(base_url):
    cjk = re.compile(r"[\u4e00-\u9fff]")
    with client(base_url, "analyst") as c:
        for path in ("/tasks", "/tasks/reports", "/tasks/overdue", "/tasks/assessment"):
            en = c.get(path, params={"plan": SECOND, "as_of": AS_OF, "lang": "en"}).text
            h2 = re.search(r"<h2>(.*?)</h2>", en, re.S).group(1)
            assert "Second plan" in h2 and "第二方案" not in en, path
            assert ">Yongchuan District High-Value Invention" in en, path        # the selector's other plan
            assert ">永川区高价值发明专利质量提升行动方案（2022—2024年）<" not in en, path
            zh = c.get(path, params={"plan": SECOND, "as_of": AS_OF, "lang": "zh"}).text
            assert "第二方案" in re.search(r"<h2>(.*?)</h2>", zh, re.S).group(1) and "Second plan" not in zh, path
        en = c.get("/tasks/reports", params={"plan": SECOND, "as_of": AS_OF, "lang": "en"}).text
        assert ">not yet due</option>" in en and ">overdue</span>" in en        # the room's status words
        assert ">未到期</option>" in c.get("/tasks/reports", params={"plan": SECOND, "as_of": AS_OF, "lang": "zh"}).text
        # nothing linked and no score: every unit's row notes the missing parts, in one language only
        for lang, other in (("en", cjk), ("zh", re.compile(r"\bno\b|[A-Za-z]{3,}"))):
            page = c.get("/tasks/assessment", params={"plan": SECOND, "period": "2024Q3", "as_of": AS_OF,
                                                      "lang": lang}).text
            notes = re.findall(r'<td class="notes">(.*?)</td>', page, re.S)
            assert len(notes) == 3 and all(n.strip() for n in notes), lang
            assert not any(other.search(n) for n in notes) and not any(" / " in n for n in notes), (lang, notes)


def test_tasks_export_is_the_plan_shown(base_url):
    from openpyxl import load_workbook

    def titles(url: str) -> set:
        book = load_workbook(io.BytesIO(c.get(url).content))
        return {cell.value for ws in book for row in ws.iter_rows() for cell in row}

    with client(base_url, "analyst") as c:
        second = c.get("/tasks", params={"plan": SECOND, "as_of": AS_OF}).text
        values = titles(_href(second, 'id="export"'))
        assert "测试任务" in values and "聚焦重点产业" not in values
        default = c.get("/tasks", params={"as_of": AS_OF}).text
        values = titles(_href(default, 'id="export"'))
        assert "聚焦重点产业" in values and "测试任务" not in values


def test_odd_unit_names_never_make_a_path(base_url):
    from urllib.parse import unquote

    def real_name(response) -> str:
        header = response.headers["content-disposition"]
        assert header.startswith('attachment; filename="') and header.isascii(), header
        return unquote(header.split("filename*=UTF-8''", 1)[1])

    with client(base_url, "analyst") as c:
        z = c.get("/tasks/overdue/letters.zip", params={"plan": SECOND, "as_of": AS_OF})
        assert z.status_code == 200 and real_name(z) == "催报函-second-plan-2024-11-05.zip"
        names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
        assert sorted(names) == sorted(["催报函-_区测试局-2024-11-05.docx", "催报函-区测_试局-2024-11-05.docx",
                                        "催报函-区测_试局-2024-11-05-2.docx"])   # no letter overwrites another
        letter = c.get("/tasks/overdue/letter", params={"plan": SECOND, "unit": "../../区测试局", "as_of": AS_OF})
        assert letter.status_code == 200 and real_name(letter) == "催报函-_区测试局-2024-11-05.docx"
        f = c.get(f"/tasks/reports/{R_JX2}/files/1")                            # 进展.pdf, ASCII fallback too
        assert f.headers["content-disposition"] == (
            "attachment; filename=\"__.pdf\"; filename*=UTF-8''%E8%BF%9B%E5%B1%95.pdf")


def test_first_filing_is_the_filing_day(base_url):
    with client(base_url, "analyst") as c:
        by = {(r["task_number"], r["unit"]): r
              for r in c.get("/api/tasks/status", params=_q(period="2024Q3")).json()}
        jx = by[(1, "区经济信息委")]
        assert jx["first_submitted_at"].startswith("2024-10-10") and jx["submitted_at"].startswith("2024-11-01")
        page = c.get("/tasks/reports", params=_q(period="2024Q3")).text
        assert re.search(r'data-cell="1/区经济信息委" title="[^"]*2024-10-10" data-filed="2024-10-10"', page)
        v2 = c.get(f"/tasks/reports/{R_JX2}").text
        assert re.search(r'id="first-submitted">2024-10-10[ T]09:00', v2)
        assert re.search(r'id="last-amended">2024-11-01[ T]09:00', v2)
        v1 = c.get(f"/tasks/reports/{R_KJ3}").text
        assert re.search(r'id="first-submitted">2024-10-18[ T]17:30', v1) and 'id="last-amended"' not in v1
        csv = c.get("/api/tasks/status", params=_q(period="2024Q3", unit="区经济信息委", format="csv"))
        lines = csv.content.decode("utf-8-sig").splitlines()
        header = lines[0].split(",")
        row = next(line.split(",") for line in lines[1:] if "按时报送" in line)
        assert row[header.index("首次报送时间")].startswith("2024-10-10")
        assert row[header.index("最近修改时间")].startswith("2024-11-01")


PAGES = ["/tasks", "/tasks/reports", f"/tasks/reports/{R_JX1}", f"/tasks/reports/{R_JX1}/files/1", "/tasks/overdue",
         "/tasks/overdue/letter?unit=区科技局", "/tasks/overdue/letters.zip", "/tasks/assessment",
         "/tasks/assessment.xlsx"]
APIS = ["/api/tasks/status", f"/api/tasks/reports/{R_JX1}", f"/api/tasks/reports/{R_JX1}/files/1",
        "/api/tasks/overdue", "/api/tasks/overdue/letter?unit=区科技局", "/api/tasks/assessment"]


def test_other_roles_refused(base_url):
    for username in ("jia", "bank", "keji"):
        with client(base_url, username) as c:
            for path in PAGES + APIS:
                assert c.get(path).status_code == 403, (username, path)
            assert c.post("/api/tasks/scores", json={"plan": PLAN, "unit": "区科技局", "period": "2024Q3",
                                                     "score": 100}).status_code == 403
            form = c.post("/tasks/scores", data={"csrf": c.headers["x-csrf-token"], "unit": "区科技局",
                                                 "period": "2024Q3", "score": "100"})
            assert form.status_code == 403, username
            # the role is checked before the body: no csrf field is a 403 too, not "csrf: Field required"
            bare = c.post("/tasks/scores", data={"unit": "区科技局"})
            assert bare.status_code == 403 and "Field required" not in bare.text, username
    with client(base_url) as c:
        for path in PAGES:
            r = c.get(path, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
        for path in APIS:
            assert c.get(path).status_code == 401, path
        bare = c.post("/tasks/scores", data={"unit": "区科技局"}, follow_redirects=False)
        assert bare.status_code == 303 and bare.headers["location"].startswith("/login")
