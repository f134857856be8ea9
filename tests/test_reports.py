"""Statistical bulletins, read back the way a reader meets them: Word, Excel and PDF files opened and
checked against the indicator values of the hand-built district (world.py)."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest
from docx import Document
from openpyxl import load_workbook

import world
from hvpatent.indicators import Context, value
from hvpatent.plan import load_plan
from hvpatent.reports import build_bulletin, write_bulletin
from hvpatent.reports.narrative import as_of_phrase, change, ranking_sentence
from test_cli import hvp

AS_OF = date(2024, 12, 31)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from hvpatent.warehouse.store import Warehouse

    root = tmp_path_factory.mktemp("bulletin")
    wh = Warehouse(root / "world.duckdb")
    world.build(wh)
    con = wh.ibis()
    bulletin = build_bulletin(con, AS_OF, "year", "500118", load_plan(), issued_on=date(2025, 1, 10))
    yield con, bulletin, root
    wh.close()


def _text(doc) -> str:
    return "\n".join(p.text for p in doc.paragraphs)


def test_narrative_states_the_figures(built):
    con, bulletin, _ = built
    overview = bulletin.sections[0].paragraphs
    assert overview[0].startswith("截至2024年12月底，永川区有效发明专利4件，同比增长33.3%")  # 3 → 4
    assert "每万人口发明专利拥有量0.04件" in overview[0]
    assert overview[1].startswith("高价值发明专利3件，与上年同期持平")                     # 3 → 3
    assert "年内发明专利申请1件" in overview[2] and "发明专利授权2件" in overview[2]
    assert value(Context.create(con, AS_OF, "year", "500118"), "invention_grants") == 2


def test_docx_has_the_bulletin_layout_and_values(built):
    _, bulletin, root = built
    doc = Document(str(write_bulletin(bulletin, "docx", root / "b.docx")))
    text = _text(doc)
    assert doc.paragraphs[0].text == "永川区2024年知识产权统计通报"
    assert "永川区知识产权局" in doc.paragraphs[1].text and "2025年1月10日" in doc.paragraphs[1].text
    headings = [p.text for p in doc.paragraphs if p.text[:2] in {f"{n}、" for n in "一二三四五六七八"}]
    assert headings[0] == "一、总体情况" and headings[-1].startswith("八、本期新授权发明专利")
    assert "三、重点任务落实情况" in headings  # the plan's tasks right after its targets (issue 21)
    assert "七、专利预警（今后90天）" in headings
    assert "有效发明专利4件" in text and "附录：指标说明与数据来源" in text
    assert len(doc.inline_shapes) >= 5  # trend charts, town ranking, industry chart
    main = next(t for t in doc.tables if t.rows[0].cells[0].text == "指标")
    row = next(r for r in main.rows if r.cells[0].text == "有效发明专利")
    assert [c.text for c in row.cells[2:4]] == ["4", "3"]
    from hvpatent.warnings import warnings_list

    warning_table = next(t for t in doc.tables if t.rows[0].cells[0].text == "预警事项")
    listed = sum(int(r.cells[1].text) for r in warning_table.rows[1:])
    assert listed == len(warnings_list(built[0], AS_OF, 90, "500118")) > 0
    grants = doc.tables[-1]
    assert {r.cells[0].text for r in grants.rows[1:]} == {world.A2, world.A10}


def test_xlsx_keeps_numbers_and_the_drill_down_lists(built):
    _, bulletin, root = built
    wb = load_workbook(write_bulletin(bulletin, "xlsx", root / "b.xlsx"))
    main = wb["主要指标"]
    rows = {r[0]: r for r in main.iter_rows(min_row=2, values_only=True)}
    assert rows["有效发明专利"][2] == 4 and isinstance(rows["有效发明专利"][2], int | float)
    assert rows["发明专利授权率"][2] == pytest.approx(66.67, abs=0.01)
    assert wb["高价值清单(明细)"].max_row - 1 == 3
    assert wb["新授权发明专利(明细)"].max_row - 1 == 2
    assert "指标说明" in wb.sheetnames
    # the cultivation section comes last, and its candidates' sheet is written (empty: AS_OF is the deadline)
    assert bulletin.sections[-1].heading == "十、高价值发明专利培育" and "培育候选清单(明细)" in wb.sheetnames
    progress = wb["目标完成情况"]
    assert any(r[0] == "每万人口发明专利拥有量" and r[2] == pytest.approx(0.04)
               for r in progress.iter_rows(min_row=2, values_only=True))


def test_pdf_prints_with_chinese_text(built):
    _, bulletin, root = built
    pdf = write_bulletin(bulletin, "pdf", root / "b.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "永川区2024年知识产权统计通报" in text
    assert "有效发明专利4件" in text.replace(" ", "")
    # -singlefile: the output is page.png whatever the page count (without it, page-01.png from 10 pages on)
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-singlefile", "-f", "1", "-l", "1", str(pdf), str(root / "page")],
                   check=True)
    assert (root / "page.png").stat().st_size > 10_000  # a rendered page, not a blank one


def test_html_is_self_contained(built):
    _, bulletin, root = built
    html = write_bulletin(bulletin, "html", root / "b.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "http://" not in html and "https://" not in html


def test_demo_notice_is_on_every_edition(built):
    con, _, root = built
    demo = build_bulletin(con, AS_OF, "year", "500118", None, notice="【演示数据】合成")
    assert "【演示数据】合成" in _text(Document(str(write_bulletin(demo, "docx", root / "d.docx"))))
    cover = load_workbook(write_bulletin(demo, "xlsx", root / "d.xlsx"))["通报"]
    assert cover.cell(2, 2).value == "【演示数据】合成"


@pytest.mark.parametrize(("now", "before", "expected"), [
    (110, 100, "，同比增长10.0%"), (90, 100, "，同比下降10.0%"), (5, 5, "，与上年同期持平"),
    (3, 0, "，同比增长3件"), (None, 4, ""), (4, None, ""),
])
def test_change_words_follow_the_sign(now, before, expected):
    assert change(now, before, "件") == expected


def test_as_of_phrase_and_ranking():
    assert as_of_phrase(date(2024, 6, 30)) == "截至2024年6月底"
    assert as_of_phrase(date(2024, 2, 29)) == "截至2024年2月底"
    assert as_of_phrase(date(2024, 6, 15)) == "截至2024年6月15日"
    assert ranking_sentence("高价值发明专利", [("甲镇", 5), ("乙镇", 3), ("丙镇", 1), ("丁镇", 0)], "件", True) == \
        "高价值发明专利居前三位的是甲镇（5件）、乙镇（3件）和丙镇（1件）。"
    assert ranking_sentence("有效发明专利", [("甲镇", 2)], "件", True) == "有效发明专利最多的是甲镇（2件）。"


def test_report_command(built, tmp_path):
    from hvpatent.warehouse.store import Warehouse

    db = tmp_path / "r.duckdb"
    with Warehouse(db) as wh:
        world.build(wh)
    out = tmp_path / "通报.docx"
    hvp("--db", str(db), "report", "--as-of", "2024-12-31", "--period", "year", "--format", "docx",
        "--out", str(out))
    assert "有效发明专利4件" in _text(Document(str(out)))
    bad = hvp("--db", str(db), "report", "--format", "odt", check=False)
    assert bad.returncode == 2 and "docx" in bad.stderr
