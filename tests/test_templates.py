"""Record templates: written by `hvp template`, filled by a user, imported back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from openpyxl import load_workbook

from hvpatent.ingest import ImportRejected, import_file
from hvpatent.ingest.appno import check_digit
from hvpatent.ingest.templates import TEMPLATES, write_template


def fill(path, rows):
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


N1 = "201510123456." + check_digit("201510123456")
N2 = "201610654321." + check_digit("201610654321")


@pytest.mark.parametrize("kind", list(TEMPLATES))
def test_template_has_chinese_headers_and_notes(tmp_path, kind):
    wb = load_workbook(write_template(kind, tmp_path / f"{kind}.xlsx"))
    headers = [c.value for c in wb.worksheets[0][1]]
    assert headers == [c.header for c in TEMPLATES[kind][1]]
    assert wb.sheetnames[1] == "说明"


OLD_PLEDGE_HEADERS = ["质押登记号", "申请号", "出质人", "质权人", "质押金额(万元)", "登记日", "变更日", "解除日"]


def old_pledges(path, rows):
    """A file of the earlier pledges template (one row per contract, its release in 解除日): still imported."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(OLD_PLEDGE_HEADERS)
    wb.save(path)
    return fill(path, rows)


def test_pledge_contract_covering_two_patents(warehouse, tmp_path):
    path = old_pledges(tmp_path / "p.xlsx", [
        ["Y2023500000001", f"{N1};{N2}", "重庆甲公司", "重庆农村商业银行永川支行", 500, "2023-03-01", None, None]])
    result, _ = import_file(warehouse, path)
    assert result.rows_inserted == 1  # one contract (its two patents are two lines)
    rows = warehouse.frame("SELECT app_no, amount_yuan FROM pledges ORDER BY app_no").values.tolist()
    assert rows == [[N1, Decimal("5000000.00")], [N2, Decimal("5000000.00")]]


def test_pledge_release_updates_the_record(warehouse, tmp_path):
    row = ["Y2023500000001", N1, "甲", "乙银行", 500, "2023-03-01", None, None]
    import_file(warehouse, old_pledges(tmp_path / "a.xlsx", [row]))
    released = [*row[:7], "2024-03-01"]
    result, _ = import_file(warehouse, old_pledges(tmp_path / "b.xlsx", [released]))
    assert (result.rows_inserted, result.rows_updated) == (0, 1)
    assert str(warehouse.frame("SELECT released_date FROM pledges").released_date.iloc[0])[:10] == "2024-03-01"


def test_template_errors_name_row_and_column(warehouse, tmp_path):
    path = old_pledges(tmp_path / "p.xlsx", [
        ["Y1", N1, "甲", "乙银行", "abc", "2023-03-01", None, None],
        ["Y2", "123", "甲", "乙银行", 100, "2023-03-01", None, None],
        ["Y3", N1, "甲", "乙银行", 100, "2023-03-01", None, "2022-01-01"],
    ])
    with pytest.raises(ImportRejected) as caught:
        import_file(warehouse, path)
    assert [(e.row, e.field) for e in caught.value.errors] == [(2, "质押金额(万元)"), (3, "申请号"), (4, "解除日")]
    assert warehouse.count("pledges") == 0


def test_population_and_trademarks(warehouse, tmp_path):
    pop = fill(write_template("population", tmp_path / "pop.xlsx"), [
        ["500118", "永川区", 2023, 1149000], ["500118001000", "中山路街道", 2023, 120000]])
    tm = fill(write_template("trademarks", tmp_path / "tm.xlsx"), [["500118", "永川区", "2023-12-31", 15000]])
    import_file(warehouse, pop)
    import_file(warehouse, tm)
    assert warehouse.frame("SELECT region_code, population FROM population ORDER BY 1").values.tolist() == [
        ["500118", 1149000], ["500118001000", 120000]]
    assert warehouse.count("trademark_counts") == 1


def test_region_name_must_match_code(warehouse, tmp_path):
    pop = fill(write_template("population", tmp_path / "pop.xlsx"), [["500118", "江津区", 2023, 1]])
    with pytest.raises(ImportRejected, match="永川区"):
        import_file(warehouse, pop)


def test_enterprises_with_credit_code_and_tags(warehouse, tmp_path):
    path = fill(write_template("enterprises", tmp_path / "e.xlsx"), [
        ["重庆（甲）科技有限公司", "91350100M000100Y43", "高新技术企业，专精特新", "卫星湖街道"]])
    import_file(warehouse, path)
    row = warehouse.frame("SELECT name_norm, tags, town_code FROM enterprises").iloc[0].tolist()
    assert row == ["重庆(甲)科技有限公司", "高新技术企业；专精特新", "500118007000"]


def test_awards(warehouse, tmp_path):
    path = fill(write_template("awards", tmp_path / "a.xlsx"), [[N1, "中国专利奖", "优秀奖", 2023]])
    assert import_file(warehouse, path)[0].rows_inserted == 1


def test_enterprise_towns_read_like_every_other_town(warehouse, tmp_path, monkeypatch):
    import hvpatent.plan
    from hvpatent.ingest import templates

    calls = []
    real = hvpatent.plan.load_plan
    monkeypatch.setattr(hvpatent.plan, "load_plan", lambda *a: calls.append(a) or real(*a))
    templates._plan_region.cache_clear()
    path = fill(write_template("enterprises", tmp_path / "e.xlsx"), [
        ["甲公司", None, None, "临江镇"],        # 永川 and 开州 both have one: the plan's district (永川) decides
        ["乙公司", None, None, "500118103"],     # 临江镇's code before the 2023 edition
        ["丙公司", None, None, "临江"],          # short name
        ["丁公司", None, None, "500118116000"],  # a code valid today (三教镇) is read as today's
    ])
    import_file(warehouse, path)
    towns = dict(warehouse.con.execute("SELECT name, town_code FROM enterprises").fetchall())
    assert towns == {"甲公司": "500118104000", "乙公司": "500118104000", "丙公司": "500118104000",
                     "丁公司": "500118116000"}
    assert len(calls) == 1  # the plan is read once, not per cell
    _, batch, errors, _ = templates.read_template(path, region="500154")  # another district's 临江镇
    assert errors == [] and batch.get("enterprises").town_code.tolist()[0] == "500154117000"
    templates._plan_region.cache_clear()


def test_enterprise_town_errors_name_row_and_column(warehouse, tmp_path):
    path = fill(write_template("enterprises", tmp_path / "e.xlsx"), [
        ["甲公司", None, None, "不存在镇"], ["乙公司", None, None, "500118"], ["丙公司", None, None, "500118999"]])
    with pytest.raises(ImportRejected) as caught:
        import_file(warehouse, path)
    assert [(e.row, e.field, e.value) for e in caught.value.errors] == [
        (2, "所在镇街", "不存在镇"), (3, "所在镇街", "500118"), (4, "所在镇街", "500118999")]
    assert "未知的镇街" in caught.value.errors[0].reason and "不是镇街代码" in caught.value.errors[2].reason
