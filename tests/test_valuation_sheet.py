"""The valuation sheet (reports/valuation.py, `hvp value sheet`) on the hand-built world of tests/world.py: the
docx opened again with python-docx holds value_of's numbers for each patent, the legal state on the day (next
annuity the day before, on and after its due day), the pledges registered on it, the bundle summary and the
statement that it is no appraisal; an unknown application fails with a message naming it."""

from __future__ import annotations

import io
import shutil
import zipfile
from datetime import date

import docx
import pytest
from typer.testing import CliRunner

import world
from hvpatent.reports.valuation import SCENARIO, make_valuation_sheet, valuation_sheet, write_valuation_sheet
from hvpatent.value import value_frame, value_of
from hvpatent.warehouse.store import Warehouse
from world import A1, A5

DAY = date(2024, 6, 30)


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("valuation") / "w.duckdb")
    world.build(wh)
    yield wh
    wh.close()


_FRAMES: dict[date, object] = {}


def _sheet(wh, app_nos, day, **kwargs) -> bytes:
    """valuation_sheet with each day's value frame computed once for the module (it is the slow part)."""
    con = wh.ibis()
    if day not in _FRAMES:
        _FRAMES[day] = value_frame(con, day)
    return valuation_sheet(con, app_nos, day, frame=_FRAMES[day], **kwargs)


@pytest.fixture(scope="module")
def sheet(wh):
    """The zh sheet of the bundle A5 + A1 on DAY for contract P1, opened again, and value_of's answers."""
    con = wh.ibis()
    frame = _FRAMES[DAY] = value_frame(con, DAY)
    data = valuation_sheet(con, [A5, A1], DAY, bank="重庆银行", contract_no="P1", frame=frame)
    doc = docx.Document(io.BytesIO(data))
    return {"data": data, "doc": doc, "text": "\n".join(p.text for p in doc.paragraphs),
            "tables": [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables],
            "values": {a: value_of(con, a, DAY, frame=frame) for a in (A5, A1)}}


def _tables(sheet, first_header: str) -> list[list[list[str]]]:
    return [t for t in sheet["tables"] if t[0][0] == first_header]


def test_scores_are_value_ofs(sheet):
    value_tables = _tables(sheet, "维度")
    assert len(value_tables) == 2  # one per patent, in the order given
    for table, app_no in zip(value_tables, (A5, A1), strict=True):
        s = sheet["values"][app_no]["scenarios"][SCENARIO]
        want = []
        for d in s["dimensions"]:
            want.append([f"{d['label_zh']} {d['score']:.2f}", "", "", "", f"{d['weight']:.2f}", ""])
            want += [["", i["label_zh"], i["input"], f"{i['normalised']:.2f}", f"{i['overall_weight']:.3f}",
                      f"{i['contribution']:.2f}"] for i in d["indicators"]]
        assert table[1:] == want
        assert f"质押融资场景得分 {s['score']:.2f}，等级 {s['grade']}" in sheet["text"]
    # The score is the sum of the contributions (docs/value.md), so the sheet's parts add up to its score.
    a5 = sheet["values"][A5]["scenarios"][SCENARIO]
    parts = sum(i["contribution"] for d in a5["dimensions"] for i in d["indicators"])
    assert parts == pytest.approx(a5["score"], abs=0.05)


def test_bibliography_and_legal_state(sheet):
    biblio, legal = _tables(sheet, "项目")[:2]
    facts = dict(map(tuple, biblio[1:]))
    assert facts["申请号"] == A5 and facts["专利名称"] == "测试专利5" and facts["专利类型"] == "发明"
    assert facts["申请日"] == "2017-05-05" and facts["授权公告日"] == "2019-09-09"
    assert facts["专利权人（申请人）"] == f"{world.U1}；{world.C_BJ}" and facts["主分类号"] == "G06N3/08"
    state = dict(map(tuple, legal[1:]))
    # Filed 2017-05-05: term ends 2037-05-05; on 2024-06-30 seven whole years maintained, 12 years 10 months
    # left (154 whole months / 12 = 12.8); the 8th year's annuity fell due 2024-05-05, the 9th (2,000 yuan,
    # years 7-9) is next, due 2025-05-05.
    assert state == {"法律状态": "有效", "已维持年限": "7 年", "保护期届满日": "2037-05-05", "剩余保护期": "12.8 年",
                     "下一次年费": "第9年年费，2025-05-05 前缴纳，2,000 元"}


@pytest.mark.parametrize(("day", "due", "maintained"), [
    (date(2025, 5, 4), "第9年年费，2025-05-05 前缴纳，2,000 元", "7 年"),    # the day before the due day
    (date(2025, 5, 5), "第9年年费，2025-05-05 前缴纳，2,000 元", "8 年"),    # the due day: still to pay
    (date(2025, 5, 6), "第10年年费，2026-05-05 前缴纳，4,000 元", "8 年"),   # after it: the next year (4,000, 10-12)
])
def test_next_annuity_around_its_due_day(wh, day, due, maintained):
    doc = docx.Document(io.BytesIO(_sheet(wh, [A5], day)))
    legal = [t for t in doc.tables if t.rows[0].cells[0].text == "项目"][1]
    state = {r.cells[0].text: r.cells[1].text for r in legal.rows[1:]}
    assert state["下一次年费"] == due and state["已维持年限"] == maintained


def test_pledges_and_bundle_summary(sheet):
    text = sheet["text"]
    # P1 registered 15,000,000 yuan (1,500 万) on A5 and A1; P2 8,000,000 on A5 (tests/world.py): both active.
    assert "质押登记号：P1（金额 1,500 万元，质押中）" in text and "质权人（银行）：重庆银行" in text
    a5, a1 = _tables(sheet, "质押登记号")
    assert [r[0] for r in a5[1:]] == ["P2", "P1"] and [r[3] for r in a5[1:]] == ["800", "1,500"]
    assert [r[0] for r in a1[1:]] == ["P1"] and a1[1][6] == "质押中"
    summary = _tables(sheet, "申请号")[0]
    scores = {a: sheet["values"][a]["scenarios"][SCENARIO] for a in (A5, A1)}
    assert [r[0] for r in summary[1:]] == [A5, A1]
    assert [(r[4], r[5], r[7]) for r in summary[1:]] == [(f"{scores[a]['score']:.2f}", scores[a]["grade"], "是")
                                                          for a in (A5, A1)]
    mean = (scores[A5]["score"] + scores[A1]["score"]) / 2
    # A1 filed 2010-03-01: 5 years 8 months left on 2024-06-30 (68 months / 12 = 5.7), the shorter term.
    assert (f"本组合共 2 件专利，质押融资场景平均得分 {mean:.2f}，最低 {min(s['score'] for s in scores.values()):.2f}；"
            "最短剩余保护期 5.7 年；有效 2 件，高价值发明专利 2 件，评估基准日仍在质押中 2 件。") in text


def test_no_pledge_before_registration(wh):
    # P1 was registered on 2023-03-01: on the day before, A1 has no pledge; on the day, it has P1.
    before = docx.Document(io.BytesIO(_sheet(wh, [A1], date(2023, 2, 28))))
    assert "质押登记情况：截至评估基准日无质押登记" in "\n".join(p.text for p in before.paragraphs)
    on = docx.Document(io.BytesIO(_sheet(wh, [A1], date(2023, 3, 1))))
    rows = [[c.text for c in r.cells] for t in on.tables if t.rows[0].cells[0].text == "质押登记号" for r in t.rows]
    assert [r[0] for r in rows[1:]] == ["P1"]


def test_a_contracts_patents_by_default(wh):
    # No numbers but P1: its patents on the day, in number order (A1 201010000001.8, A5 201710000005.8).
    doc = docx.Document(io.BytesIO(_sheet(wh, [], DAY, contract_no="P1")))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"评估专利：{A1}、{A5}" in text
    # P1 registered 2023-03-01: the day before it holds no patent; an unknown contract none either.
    with pytest.raises(ValueError, match="P1：截至 2023-02-28 没有登记出质的专利"):
        valuation_sheet(wh.ibis(), [], date(2023, 2, 28), contract_no="P1")
    with pytest.raises(ValueError, match="no patent pledged under it"):
        valuation_sheet(wh.ibis(), [], DAY, contract_no="NOPE", lang="en")


def test_statement_and_no_live_content(sheet, wh):
    assert "不是资产评估机构的资产评估师依照《中华人民共和国资产评估法》出具的资产评估报告" in sheet["text"]
    with zipfile.ZipFile(io.BytesIO(sheet["data"])) as z:
        names = z.namelist()
        body = z.read("word/document.xml").decode("utf-8")
    assert not any(n.endswith(".bin") or "vbaProject" in n for n in names)
    assert "w:fldSimple" not in body and "w:instrText" not in body
    en = docx.Document(io.BytesIO(_sheet(wh, [A5], DAY, lang="en")))
    text = "\n".join(p.text for p in en.paragraphs)
    assert text.startswith("Patent valuation sheet") and "not an asset appraisal report" in text
    assert "Asset Appraisal Law" in text and "Pledges registered:" not in text  # A5 has pledges: a table


def test_unknown_application_fails_cleanly(wh):
    with pytest.raises(ValueError, match=r"^209910000001\.8：库中没有这件专利"):
        valuation_sheet(wh.ibis(), [A5, "209910000001.8"], DAY)
    with pytest.raises(ValueError, match="not in the warehouse"):
        valuation_sheet(wh.ibis(), ["209910000001.8"], DAY, lang="en")
    with pytest.raises(ValueError, match="没有给出申请号"):
        valuation_sheet(wh.ibis(), [], DAY)
    # In the warehouse but not assessed (filed after the day): named too, once the day's frame shows it.
    with pytest.raises(ValueError, match=r"不参与评估"):
        _sheet(wh, [world.A6], date(2024, 3, 2))  # A6 filed 2024-03-03


def _cells(data: bytes) -> str:
    doc = docx.Document(io.BytesIO(data))
    return "\n".join([p.text for p in doc.paragraphs]
                     + [c.text for t in doc.tables for row in t.rows for c in row.cells])


def test_a_banks_sheet_counts_its_own_pledges_only(wh):
    """pledges_of: the pledge inputs count the bank's own pledges alone and the pledge_high criterion names no
    amount.  A5 carries P1 (15,000,000 over A5 and A1: 7,500,000 each) and P2 (8,000,000), neither pledgee this
    bank: the value room's inputs read 2 pledges and 15,500,000 yuan = 1,550 万 (pledge_high: ≥ 10,000,000)."""
    everyone = _cells(_sheet(wh, [A5], DAY))
    assert "质押 2 次" in everyone and "质押金额 1,550.0 万元" in everyone and "15500000" in everyone
    bank = _cells(_sheet(wh, [A5], DAY, pledges_of="重庆银行股份有限公司永川支行"))
    assert "质押 0 次（仅本行质押）" in bank and "质押金额 0.0 万元（仅本行质押）" in bank
    assert "1,550" not in bank and "15500000" not in bank and "质押融资额达到阈值（金额不列明）" in bank
    assert "另有其他质权人的质押登记 2 项（评估基准日在押 2 项），不列明细。" in bank


def test_a_banks_sheet_says_the_score_counts_every_pledge(wh):
    """Beside the own-pledge inputs (0 pledges for this bank) the score stays the value room's, counting P1 and P2:
    the sheet says so in its language; a sheet with every pledgee's inputs needs no such note."""
    note_zh = "注：标“仅本行质押”的输入只计本行的质押；评分按登记簿全部质押计算。"
    note_en = "the score counts every registered pledge"
    bank = "重庆银行股份有限公司永川支行"
    assert note_zh in _cells(_sheet(wh, [A5], DAY, pledges_of=bank))
    assert note_en in _cells(_sheet(wh, [A5], DAY, pledges_of=bank, lang="en"))
    everyone = _cells(_sheet(wh, [A5], DAY))
    assert note_zh not in everyone and "评分按登记簿全部质押" not in everyone


def test_a_contracts_unassessable_patents_are_left_out(wh):
    """A contract holding a patent the warehouse lacks and one it does not assess on the day (A6, filed
    2024-03-03, on 2024-03-02): the sheet assesses the rest (A4) and names the two; a contract with nothing to
    assess, or an unknown number given by hand that is no item of the contract, is a ValueError."""
    day, unknown = date(2024, 3, 2), "209910000001.8"
    for no, items in (("C-LEAVE", [world.A4, world.A6, unknown]), ("C-NONE", [world.A6])):
        wh.con.execute("INSERT INTO pledge_contracts (contract_no, pledgor, pledgor_norm, pledgee, pledgee_norm,"
                       " registered_date, amount_yuan, source) VALUES (?, ?, ?, '某银行', '某银行', DATE '2024-01-01',"
                       " 1000000, 'test')", [no, world.E1, world.E1])
        for item in items:
            wh.con.execute("INSERT INTO pledge_items VALUES (?, 'patent', ?, DATE '2024-01-01', NULL)", [no, item])
    if day not in _FRAMES:
        _FRAMES[day] = value_frame(wh.ibis(), day)
    sheet = make_valuation_sheet(wh.ibis(), [], day, contract_no="C-LEAVE", frame=_FRAMES[day])
    assert sheet.patents == [world.A4] and sheet.left_out == [(world.A6, "not_assessed"), (unknown, "unknown")]
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(sheet.data)).paragraphs)
    assert f"评估专利：{world.A4}" in text
    assert (f"未列入评估：{world.A6} 不参与评估（外观设计，或申请日晚于评估基准日）；{unknown} 库中没有这件专利"
            in text)
    picked = make_valuation_sheet(wh.ibis(), [world.A6, world.A4], day, contract_no="C-LEAVE", frame=_FRAMES[day])
    assert picked.patents == [world.A4] and picked.left_out == [(world.A6, "not_assessed")]
    with pytest.raises(ValueError, match=f"{world.A6}：没有可评估的专利"):
        make_valuation_sheet(wh.ibis(), [], day, contract_no="C-NONE", frame=_FRAMES[day])
    with pytest.raises(ValueError, match=r"209910000002\.6：库中没有这件专利"):     # a typo is no contract item
        make_valuation_sheet(wh.ibis(), [world.A4, "209910000002.6"], day, contract_no="C-LEAVE")


def test_write_and_cli(wh, tmp_path):
    from hvpatent.cli.main import app

    path = write_valuation_sheet(wh.ibis(), [A1], DAY, tmp_path / "sub" / "a1.docx", lang="en", frame=_FRAMES[DAY])
    assert path.exists() and docx.Document(str(path)).paragraphs[0].text == "Patent valuation sheet"
    wh.con.execute("CHECKPOINT")  # the CLI opens its own read-only connection to a copy
    db = str(shutil.copy(wh.path, tmp_path / "copy.duckdb"))
    runner = CliRunner()
    out = tmp_path / "sheet.docx"
    ok = runner.invoke(app, ["--db", db, "value", "sheet", A5, A1, "--as-of", "2024-06-30", "--bank", "重庆银行",
                             "--contract", "P1", "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    assert "（2 件专利 / patents）" in ok.output
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    assert "评估专利：201710000005.8、201010000001.8" in text and "质押登记号：P1" in text
    # --bank: that bank's pledges only (P1 and P2 name no pledgee: counted, not itemised); --all-pledges: all
    assert "另有其他质权人的质押登记 2 项" in text and "质押 0 次（仅本行质押）" in _cells(out.read_bytes())
    every = runner.invoke(app, ["--db", db, "value", "sheet", "--contract", "P1", "--as-of", "2024-06-30", "--bank",
                                "重庆银行", "--all-pledges", "--out", str(tmp_path / "all.docx")])
    assert every.exit_code == 0 and "（2 件专利 / patents）" in every.output        # the contract's two patents
    cells = _cells((tmp_path / "all.docx").read_bytes())
    assert "另有其他质权人" not in cells and "质押 2 次" in cells and "P2" in cells
    en = runner.invoke(app, ["--db", db, "value", "sheet", A5, "--as-of", "2024-06-30", "--lang", "en", "--out",
                             str(tmp_path / "en.docx")])
    assert en.exit_code == 0 and docx.Document(str(tmp_path / "en.docx")).paragraphs[0].text == "Patent valuation sheet"
    unknown = runner.invoke(app, ["--db", db, "value", "sheet", "209910000001.8", "--as-of", "2024-06-30", "--out",
                                  str(tmp_path / "x.docx")])
    assert unknown.exit_code == 2 and "库中没有这件专利" in unknown.output and "Traceback" not in unknown.output
    assert not (tmp_path / "x.docx").exists()
    bad = runner.invoke(app, ["--db", db, "value", "sheet", "12345", "--out", str(tmp_path / "y.docx")])
    assert bad.exit_code == 2 and "申请号无效" in bad.output
    nothing = runner.invoke(app, ["--db", db, "value", "sheet"])
    assert nothing.exit_code == 2 and "--contract" in nothing.output
    folder = runner.invoke(app, ["--db", db, "value", "sheet", A5, "--out", str(tmp_path)])
    assert folder.exit_code == 2 and "文件夹" in folder.output
    # The plain form still shows one patent's breakdown (hvp value APP_NO is hvp value show APP_NO).
    plain = runner.invoke(app, ["--db", db, "value", A5, "--as-of", "2024-06-30"])
    assert plain.exit_code == 0 and "法律价值" in plain.output
