"""/abnormal…, /agencies… and their API twins (web/abnormal.py, web/agencies.py) on the world.py district, its
applications given agencies by hand: 甲's A1, A2, A7 through 北京集佳 (code 11227), 乙's A6, A8, A9, A10 through
重庆永信 (no code).  The rules are not what these tests check (test_supervision_*.py do): the door's
flag_applications is replaced by FLAGS, two hand-made flags (A6 and A8 near-identical, similarity 0.93), and counts
its calls, so the pages' caching, evidence, review form and agency figures are checked against known flags.  Staff
see the queue, the evidence (members as links, the rule's source), record reviews (form and API, CSRF, 422 for bad
values, never 500); enterprise and bank accounts get 403, anonymous visitors 401 or the login page; the agencies'
trend chart draws in Chromium.  One server (its default day today) for the module; the reviews are recorded last."""

from __future__ import annotations

import io
from datetime import date
from urllib.parse import quote

import pytest

import world
from webserver import PASSWORD, client, serve, world_db

JIAJIA, YONGXIN = "北京集佳知识产权代理有限公司 11227", "重庆永信专利代理事务所(普通合伙)"
CALLS: list[tuple] = []


def _flags():
    from hvpatent.supervision import Flag

    evidence = {"members": [world.A6, world.A8], "similarity": 0.93, "threshold": 0.8}
    return [Flag(world.A6, "near_duplicate", evidence, ("与另外 1 件申请内容明显相同", "near-identical to 1 other")),
            Flag(world.A8, "near_duplicate", evidence, ("与另外 1 件申请内容明显相同", "near-identical to 1 other"))]


def fake_flag_applications(con, as_of, *, region=None, config=None, rules=None):
    CALLS.append((as_of, region))
    return _flags()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    from hvpatent.warehouse.store import Warehouse
    from hvpatent.web import create_app

    folder = tmp_path_factory.mktemp("supervision-web")
    db = world_db(folder)
    with Warehouse(db) as wh:
        for agency, apps in ((JIAJIA, (world.A1, world.A2, world.A7)),
                             (YONGXIN, (world.A6, world.A8, world.A9, world.A10))):
            wh.con.execute(f"UPDATE applications SET agency = ? WHERE app_no IN ({', '.join('?' * len(apps))})",
                           [agency, *apps])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("hvpatent.supervision.flag_applications", fake_flag_applications)
        # the default day is today: a review counts on the days from its decision on (reviews.py), so the queue
        # of a past day would not show the reviews recorded here
        with serve(create_app(db, secret="test-secret")) as url:
            yield url


GETS = ["/abnormal", f"/abnormal/{world.A6}", "/agencies", "/api/abnormal", f"/api/abnormal/{world.A6}",
        "/api/agencies"]


@pytest.mark.parametrize("username", ["bank", "jia"])
def test_bank_and_enterprise_get_403(base_url, username):
    with client(base_url, username) as c:
        for path in GETS:
            assert c.get(path).status_code == 403, path
        assert c.post("/api/abnormal/review", json={"app_nos": [world.A6], "status": "cleared",
                                                    "note": "x"}).status_code == 403
        assert c.post("/abnormal/review", data={"csrf": c.headers["x-csrf-token"], "app_no": world.A6,
                                                "status": "cleared", "note": "x"}).status_code == 403
        assert 'href="/abnormal"' not in c.get("/mine" if username == "jia" else "/bank").text  # not in the menu


def test_anonymous(base_url):
    with client(base_url) as c:
        assert c.get("/api/abnormal").status_code == 401 and c.get("/api/agencies").status_code == 401
        for path in ("/abnormal", "/agencies"):
            page = c.get(path)
            assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")


def test_queue_lists_the_flags_and_caches_them(base_url):
    with client(base_url, "analyst") as c:
        page = c.get("/abnormal")
        assert page.status_code == 200
        assert f'href="/abnormal/{world.A6}?' in page.text and f'value="{world.A8}"' in page.text
        assert "内容明显相同的多件申请" in page.text and "与另外 1 件申请内容明显相同" in page.text
        assert 'href="/abnormal"' in page.text  # the staff menu links the queue
        # the button's words (w["clear"]: w.clear was the dict's method)
        assert '<button type="submit" name="status" value="cleared">排除（正常申请）</button>' in page.text
        calls = len(CALLS)
        rows = c.get("/api/abnormal").json()
        assert len(CALLS) == calls  # the second question on the same day and region is the cached one
        assert [(r["app_no"], r["rules"], r["status"]) for r in rows] == [  # in app_no order: A8 is of 2020
            (world.A8, ["near_duplicate"], "pending"), (world.A6, ["near_duplicate"], "pending")]
        assert rows[0]["summaries"] == ["与另外 1 件申请内容明显相同"]
        assert c.get("/api/abnormal", params={"lang": "en"}).json()[0]["summaries"] == ["near-identical to 1 other"]
        assert c.get("/api/abnormal", params={"rule": "bulk_filing"}).json() == []
        assert "near-identical applications" in c.get("/abnormal", params={"lang": "en"}).text
        csv = c.get("/api/abnormal", params={"format": "csv"})
        assert csv.status_code == 200 and world.A8 in csv.text
        assert c.get("/api/abnormal", params={"as_of": "2024-06-30"}).status_code == 200
        assert CALLS[-1] == (date(2024, 6, 30), "500118")  # another day is another question, the plan's region


def test_detail_shows_the_evidence_and_the_rules_source(base_url):
    from hvpatent.supervision import load_config

    with client(base_url, "analyst") as c:
        page = c.get(f"/abnormal/{world.A6}")
        assert page.status_code == 200
        assert f'<a href="/abnormal/{world.A8}">{world.A8}</a>' in page.text  # members are links
        # ... that keep the day and region asked, so the member's page shows the same group
        dated = c.get(f"/abnormal/{world.A6}", params={"as_of": "2024-06-30", "region": "500118"})
        assert f'<a href="/abnormal/{world.A8}?as_of=2024-06-30&amp;region=500118">{world.A8}</a>' in dated.text
        assert "0.930" in page.text and "相似度" in page.text and "阈值" in page.text
        assert load_config().rule("near_duplicate").source in page.text
        body = c.get(f"/api/abnormal/{world.A6}").json()
        assert [f["rule"] for f in body["flags"]] == ["near_duplicate"] and body["status"] == "pending"
        assert body["flags"][0]["evidence"]["members"] == [world.A6, world.A8] and body["history"] == []
        # an application no rule flags still has its page (its history, the form); one that does not exist is 404
        assert c.get(f"/abnormal/{world.A10}").status_code == 200
        unknown = world.no(99, 2024)
        assert c.get(f"/abnormal/{unknown}").status_code == 404
        assert c.get(f"/api/abnormal/{unknown}").status_code == 404


def test_bad_values_are_422_not_500(base_url):
    with client(base_url, "analyst") as c:
        for path, params in (("/abnormal", {"as_of": "2024-13-01"}), ("/abnormal", {"as_of": "x" * 5000}),
                             ("/abnormal", {"rule": "nope"}), ("/abnormal", {"status": "done"}),
                             ("/abnormal", {"region": "../etc"}), ("/abnormal", {"page": "0"}),
                             ("/api/abnormal", {"format": "pdf"}), ("/api/abnormal", {"region": "中" * 300}),
                             ("/agencies", {"as_of": "1800-01-01"}), ("/api/agencies", {"watch": "maybe"}),
                             ("/abnormal/not-a-number", {}), ("/api/abnormal/" + "9" * 500, {}),
                             ("/agencies/" + "x" * 500, {}), ("/agencies/a..b", {}),
                             (f"/agencies/{quote('n:x')}/letter.docx", {"to": "boss"}),
                             ("/abnormal", {"done": "请立即致电本局"}), ("/abnormal", {"done": "confirmed", "n": "两"}),
                             ("/abnormal", {"done": "confirmed"}), ("/abnormal", {"done": "cleared", "n": "2001"}),
                             (f"/abnormal/{world.A6}", {"done": "ok", "n": "1"})):
            r = c.get(path, params=params)
            assert r.status_code == 422, (path, str(params)[:40], r.status_code)
        assert "rule" in c.get("/abnormal", params={"rule": "nope"}).text  # the page names the field
        assert "请立即致电本局" not in c.get("/abnormal", params={"done": "请立即致电本局"}).text  # never shown


@pytest.mark.parametrize("region", ["５００１１８", "50011８",  # full-width digits: \d took them (an empty page)
                                    "999999", "500118999999"])  # the right shape, but no such division
def test_a_region_that_is_no_division_is_422_naming_it(base_url, region):
    with client(base_url, "analyst") as c:
        for path in ("/abnormal", "/api/abnormal", "/agencies", "/api/agencies", f"/api/abnormal/{world.A6}"):
            r = c.get(path, params={"region": region})
            assert r.status_code == 422 and "region" in r.text, (path, r.status_code)
        form = c.post("/abnormal/review", data={"csrf": c.headers["x-csrf-token"], "app_no": world.A6,
                                                "status": "cleared", "note": "x", "region": region})
        assert form.status_code == 422 and "region" in form.text
        # a county and a town that exist are answered
        assert c.get("/api/abnormal", params={"region": "500118"}).status_code == 200
        assert c.get("/api/agencies", params={"region": "500118002000"}).status_code == 200


def _docx_text(data: bytes) -> str:
    """Every paragraph and table cell of a docx, one a line."""
    from docx import Document

    doc = Document(io.BytesIO(data))
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def _agency(rows, name):
    return next(r for r in rows if r["name"].startswith(name))


def test_agencies_rank_and_detail(base_url):
    with client(base_url, "analyst") as c:
        rows = c.get("/api/agencies").json()
        jiajia, yongxin = _agency(rows, "北京集佳"), _agency(rows, "重庆永信")
        assert (jiajia["applications"], jiajia["flagged"]) == (3, 0)
        assert (yongxin["applications"], yongxin["flagged"]) == (4, 2)  # A6 and A8 of its four
        page = c.get("/agencies")
        assert page.status_code == 200 and "重庆永信" in page.text and 'id="agencies-data"' in page.text
        assert 'href="/agencies"' in page.text
        key = quote(yongxin["key"], safe="")
        detail = c.get(f"/agencies/{key}")
        assert detail.status_code == 200
        assert f'href="/abnormal/{world.A6}' in detail.text and f'href="/abnormal/{world.A8}' in detail.text
        assert world.E2 in detail.text  # its client
        body = c.get(f"/api/agencies/{key}").json()
        assert sorted(f["app_no"] for f in body["flagged_applications"]) == [world.A8, world.A6]
        for to, zh_title, en_title in (("agency", "专利代理机构监管提示函", "Notice to a patent agency"),
                                       ("clients", "非正常专利申请风险提示函",
                                        "Notice on applications flagged for review")):
            letter = c.get(f"/agencies/{key}/letter.docx", params={"to": to})
            assert letter.status_code == 200 and letter.headers["content-type"].startswith(
                "application/vnd.openxmlformats-officedocument.wordprocessingml")
            text = _docx_text(letter.content)
            # the title, the agency, a flagged application and the named office of the plan's region (500118)
            assert zh_title in text and "重庆永信专利代理事务所" in text and world.A6 in text, to
            assert "永川区知识产权局" in text, to
            if to == "clients":
                assert world.E2 in text  # the client addressed
            english = _docx_text(c.get(f"/agencies/{key}/letter.docx", params={"to": to, "lang": "en"}).content)
            assert en_title in english and zh_title not in english and world.A8 in english, to
            assert "永川区知识产权局" in english, to
        # a town's letter is signed by its district's bureau: 来苏镇 (E2's town) has no IP office
        town = _docx_text(c.get(f"/agencies/{key}/letter.docx", params={"to": "agency",
                                                                        "region": "500118111000"}).content)
        assert "永川区知识产权局" in town and "来苏镇知识产权局" not in town and world.A6 in town
        assert c.get(f"/agencies/{quote('n:没有这家')}").status_code == 404
        assert c.get(f"/api/agencies/{quote('n:没有这家')}").status_code == 404
        xlsx = c.get("/api/agencies", params={"format": "xlsx"})
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_csrf_is_required(base_url):
    with client(base_url, "analyst") as c:
        c.headers.pop("x-csrf-token")
        body = {"app_nos": [world.A6], "status": "confirmed", "note": "x"}
        assert c.post("/api/abnormal/review", json=body).status_code == 403
        assert c.post("/api/abnormal/review", json=body, headers={"x-csrf-token": "wrong"}).status_code == 403
        assert c.post("/abnormal/review", data={"csrf": "wrong", "app_no": world.A6, "status": "confirmed",
                                                "note": "x"}).status_code == 403
        assert [r["status"] for r in c.get("/api/abnormal").json()] == ["pending", "pending"]  # nothing recorded


def test_reviews_by_form_and_api(base_url):
    with client(base_url, "analyst") as c:
        csrf = c.headers["x-csrf-token"]
        for form in ({"app_no": world.A6, "status": "confirmed", "note": "  "},    # a review needs its reason
                     {"app_no": world.A6, "status": "bogus", "note": "x"},
                     {"app_no": "../../etc", "status": "cleared", "note": "x"},
                     {"status": "confirmed", "note": "x"}):                        # nothing ticked
            r = c.post("/abnormal/review", data={"csrf": csrf, **form})
            assert r.status_code == 422, form
        assert c.post("/api/abnormal/review", json={"app_nos": [world.A8], "status": "maybe",
                                                    "note": "x"}).status_code == 422
        assert c.post("/api/abnormal/review", json={"app_nos": [], "status": "cleared", "note": "x"}).status_code == 422
        assert [r["status"] for r in c.get("/api/abnormal").json()] == ["pending", "pending"]  # none was recorded
        back = "/abnormal?rule=near_duplicate"
        r = c.post("/abnormal/review", data={"csrf": csrf, "app_no": world.A6, "status": "confirmed",
                                             "note": "同一代理机构批量提交", "back": back})
        assert r.status_code == 303 and r.headers["location"] == back + "&done=confirmed&n=1"
        # the notice is said in words from the status and the count, never the address's text
        assert '<p class="notice" id="done">已完成：确认为非正常申请，1 件</p>' in c.get(r.headers["location"]).text
        en = c.get(r.headers["location"] + "&lang=en").text
        assert '<p class="notice" id="done">Done: confirmed abnormal, applications: 1</p>' in en
        c.get("/abnormal", params={"lang": "zh"})  # the language asked is kept in a cookie: back to Chinese
        evil = c.post("/abnormal/review", data={"csrf": csrf, "app_no": world.A6, "status": "confirmed",
                                                "note": "again", "back": "https://evil.example/"})
        assert evil.status_code == 303 and evil.headers["location"] == "/abnormal?done=confirmed&n=1"
        r = c.post("/api/abnormal/review", json={"app_nos": [world.A8], "status": "cleared", "note": "独立研发"})
        assert r.status_code == 200 and r.json()["recorded"] == 1
        rows = {r["app_no"]: r for r in c.get("/api/abnormal").json()}
        assert (rows[world.A6]["status"], rows[world.A6]["decided_by"]) == ("confirmed", "analyst")
        assert rows[world.A8]["status"] == "cleared" and rows[world.A8]["note"] == "独立研发"
        assert [r["app_no"] for r in c.get("/api/abnormal", params={"status": "confirmed"}).json()] == [world.A6]
        assert [r["app_no"] for r in c.get("/api/abnormal", params={"status": "pending"}).json()] == []
        history = c.get(f"/api/abnormal/{world.A6}").json()["history"]
        assert [h["note"] for h in history] == ["同一代理机构批量提交", "again"]
        page = c.get(f"/abnormal/{world.A6}")
        assert "同一代理机构批量提交" in page.text and "确认为非正常申请" in page.text
        assert _agency(c.get("/api/agencies").json(), "重庆永信")["confirmed"] == 1


QUEUE_ZH = ["申请号", "名称", "专利类型", "申请日", "申请人", "代理机构", "镇街代码", "疑似情形", "情形说明",
            "复核状态", "复核时间", "复核人", "复核意见"]
QUEUE_EN = ["Application number", "Title", "Patent type", "Filing date", "Applicant", "Agency", "Town code", "Rules",
            "Findings", "Review status", "Decided at", "Decided by", "Note"]


def _xlsx(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    return [list(r) for r in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]


def test_exports_say_every_column_status_and_rule_in_words(base_url):
    """csv/xlsx of the queue and the agencies (after the reviews above: A6 confirmed, A8 cleared): headings in the
    language asked, never the indicator dictionary's 指标代码/指标; status and rules as words; a note that starts
    like a formula stays text."""
    import csv

    with client(base_url, "analyst") as c:
        assert c.post("/api/abnormal/review", json={"app_nos": [world.A8], "status": "cleared",
                                                    "note": "=1+2"}).status_code == 200
        text = c.get("/api/abnormal", params={"format": "csv"}).content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == QUEUE_ZH
        a8 = dict(zip(rows[0], next(r for r in rows if r[0] == world.A8), strict=True))
        assert (a8["复核状态"], a8["疑似情形"], a8["专利类型"]) == ("已排除", "内容明显相同的多件申请", "发明")
        assert a8["复核意见"] == "'=1+2" and a8["情形说明"] == "与另外 1 件申请内容明显相同"
        sheet = _xlsx(c.get("/api/abnormal", params={"format": "xlsx", "lang": "en"}).content)
        assert sheet[0] == QUEUE_EN
        a6 = dict(zip(sheet[0], next(r for r in sheet if r[0] == world.A6), strict=True))
        assert (a6["Review status"], a6["Rules"], a6["Patent type"]) == ("confirmed abnormal",
                                                                         "near-identical applications", "invention")
        a8 = dict(zip(sheet[0], next(r for r in sheet if r[0] == world.A8), strict=True))
        assert a8["Note"] == "'=1+2"  # a string cell quoted, no formula
        zh = _xlsx(c.get("/api/agencies", params={"format": "xlsx", "lang": "zh"}).content)
        assert zh[0][:5] == ["排名", "机构键", "机构代码", "代理机构", "名称写法"]
        assert "指标代码" not in zh[0] and "指标" not in zh[0] and not any(h.isascii() for h in zh[0])
        yongxin = dict(zip(zh[0], next(r for r in zh if r[3].startswith("重庆永信")), strict=True))
        assert (yongxin["代理申请"], yongxin["发明"], yongxin["确认为非正常"]) == (4, 4, 1)  # A6, A8, A9, A10
        # A6 flagged and confirmed; A8 flagged but cleared, so it leaves the flagged figures (of the four: 25%)
        assert (yongxin["被标记申请"], yongxin["已排除"], yongxin["标记占比(%)"]) == (1, 1, 25.0)
        en = _xlsx(c.get("/api/agencies", params={"format": "xlsx", "lang": "en"}).content)
        assert en[0][:5] == ["Rank", "Agency key", "Agency code", "Agency", "Spellings"]
        assert "indicator" not in " ".join(en[0])
        c.get("/abnormal", params={"lang": "zh"})


def _cells(html: str, row_start: str) -> list[str]:
    """The cells' text of the table row that starts with ``row_start`` (tags inside a cell dropped)."""
    import re

    row = html[html.index(row_start):]
    row = row[:row.index("</tr>")]
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_agency_pages_show_the_cleared_count(base_url):
    """After the reviews above (A6 confirmed, A8 cleared), 重庆永信's page and the table show A8 cleared apart from
    the flagged figure: flagged 1 (A6, of 4: 25.0%), cleared 1, confirmed 1."""
    import re

    with client(base_url, "analyst") as c:
        key = _agency(c.get("/api/agencies").json(), "重庆永信")["key"]
        detail = c.get(f"/agencies/{quote(key, safe='')}").text
        assert '<td class="num" id="cleared">1</td>' in detail and "<th>已排除</th>" in detail
        assert "<th>被标记申请</th><td class=\"num\">1 (25.0%)</td>" in detail
        table = c.get("/agencies").text
        heads = re.findall(r"<th>(.*?)</th>", table[table.index('id="agencies"'):])
        cells = _cells(table, f'<tr data-key="{key}"')
        shown = dict(zip(heads, cells, strict=True))
        assert (shown["被标记申请"], shown["标记占比"], shown["已排除"], shown["确认为非正常"]) == (
            "1", "25.0%", "1", "1")
        en = c.get("/agencies", params={"lang": "en"}).text
        assert "<th>Cleared on review</th>" in en
        c.get("/abnormal", params={"lang": "zh"})


def test_the_english_agency_page_joins_lists_in_english():
    """The page's lists (spellings, trend, reasons, rules) are joined by "; " in English and "；" in Chinese."""
    from hvpatent.web.pages import templates

    detail = {"key": "11227", "code": "11227", "name": JIAJIA, "variants": ["甲 11227", "(11227) 甲"], "rank": 1,
              "applications": 2, "by_type": {}, "flagged": 1, "flagged_share": 0.5, "cleared": 0, "confirmed": 0,
              "trend": [{"year": 2023, "applications": 1}, {"year": 2024, "applications": 1}], "watch": True,
              "reasons": [("甲", "one"), ("乙", "two")], "clients": [],
              "flagged_applications": [{"app_no": world.A6, "title": "t", "rules": ["near_duplicate", "bulk_filing"]}]}
    template = templates.env.get_template("agencies_detail.html")
    block = template.blocks["main"]
    for i, sep in ((0, "；"), (1, "; ")):
        context = template.new_context({"d": detail, "w": {}, "lang_i": i, "sep": sep, "query": "",
                                        "key_url": "11227", "pct": lambda v: f"{v}", "rule_words": {}})
        html = "".join(block(context))
        assert f"甲 11227{sep}(11227) 甲" in html and f"2023: 1{sep}2024: 1" in html
        assert f"near_duplicate{sep}bulk_filing" in html and ("甲；乙" if i == 0 else "one; two") in html
        if i == 1:
            assert "；" not in html


def test_inputs_region_takes_ascii_digits_only():
    """inputs.query, which every page's region goes through: 6 or 12 ASCII digits, nothing else."""
    from fastapi import HTTPException

    from hvpatent.web import inputs

    inputs.query(region="500118", town="500118002000")  # no error
    for region in ("５００１１８", "500118\n", "50011", "5001180020001", "500118002"):
        with pytest.raises(HTTPException) as err:
            inputs.query(region=region)
        assert err.value.status_code == 422 and "region" in err.value.detail, region
    with pytest.raises(HTTPException):
        inputs.query(town="５００１１８００２０００")


def test_agency_export_rows_in_words():
    """One hand-made agency row: rates in percent, the watch and the reasons as words, types as columns."""
    from hvpatent.web.agencies import _export_rows

    row = {"rank": 1, "key": "11227", "code": "11227", "name": "北京集佳知识产权代理有限公司",
           "variants": ["北京集佳知识产权代理有限公司 11227"], "applications": 8,
           "by_type": {"invention": 6, "utility_model": 2}, "invention_share": 0.75, "grant_rate": 0.125,
           "rejection_rate": None, "deemed_withdrawal_rate": 0.5, "avg_claims": 7.5, "flagged": 2,
           "flagged_share": 0.25, "confirmed": 1, "clients": 3, "watch": True,
           "reasons": [("确认非正常申请 1 件", "1 confirmed abnormal")],
           "trend": [{"year": 2023, "applications": 5}, {"year": 2024, "applications": 3}]}
    zh, en = _export_rows([row], 0)[0], _export_rows([row], 1)[0]
    assert (zh["发明"], zh["实用新型"], zh["外观设计"]) == (6, 2, 0)
    assert (zh["发明占比(%)"], zh["发明授权率(%)"], zh["发明驳回率(%)"], zh["标记占比(%)"]) == (
        75.0, 12.5, None, 25.0)
    assert (zh["重点关注"], zh["关注理由"], zh["年度代理申请量"]) == (
        "是", ["确认非正常申请 1 件"], ["2023:5", "2024:3"])
    assert (en["Watch list"], en["Reasons"], en["Deemed-withdrawal rate (%)"]) == (
        "yes", ["1 confirmed abnormal"], 50.0)
    assert "Cleared on review" not in en  # no such figure in this row: no empty column
    assert _export_rows([{**row, "watch": False}], 0)[0]["重点关注"] == ""
    # the average to 2 decimals, as the page shows it (103 claims over 12 applications: 8.5833…)
    assert _export_rows([{**row, "avg_claims": 103 / 12}], 1)[0]["Average claims"] == 8.58
    assert _export_rows([{**row, "avg_claims": None}], 1)[0]["Average claims"] is None


def test_agencies_trend_chart_draws(base_url):
    """The trend chart is sized by the stylesheet (the CSP refuses inline styles) and draws with no script error."""
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
        driver.get(f"{base_url}/agencies")
        assert driver.find_element(By.ID, "chart").size["height"] > 200
        assert driver.execute_script("return document.querySelectorAll('#chart canvas').length") == 1
        option = "echarts.getInstanceByDom(document.getElementById('chart')).getOption()"
        assert sorted(driver.execute_script(f"return {option}.series.map(s => s.type)")) == ["line", "line"]
        assert driver.execute_script("return window.__errors") == []
