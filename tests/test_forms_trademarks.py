"""The trademark form (分地区商标注册申请、注册及有效注册量) filled from trademark records, cell for cell against a
hand-worked district: two towns, marks of every kind, a multi-class mark, a lapsed one, a pending application, a
Madrid registration, an owner placed in the district but in no town, and one outside it."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from hvpatent.forms import FormError, cell_records, compute_form, find_form, parse_period
from hvpatent.forms.spec import parse_form
from hvpatent.warehouse.store import Warehouse

DISTRICT, TOWN_A, TOWN_B = "500118", "500118001000", "500118002000"  # 永川区, 中山路街道, 胜利路街道
# (reg_no, class, kind, gi, madrid, town, county, filed, registered, term_end)
MARKS = [
    ("10000001", 9, "ordinary", False, False, TOWN_A, DISTRICT, "2014-01-01", "2015-03-14", "2025-03-13"),
    ("10000001", 35, "ordinary", False, False, TOWN_A, DISTRICT, "2014-01-01", "2015-03-14", "2025-03-13"),
    ("10000002", 30, "collective", True, False, TOWN_B, DISTRICT, "2019-05-01", "2020-05-01", "2030-04-30"),
    ("10000003", 29, "certification", False, False, TOWN_B, DISTRICT, "2023-02-01", "2024-03-01", "2034-02-28"),
    # term ended 2023-01-09, grace to 2023-07-09, never renewed: lapsed on the form's day
    ("10000004", 7, "ordinary", False, False, TOWN_A, DISTRICT, "2012-01-01", "2013-01-10", "2023-01-09"),
    ("10000005", 7, "ordinary", False, False, TOWN_A, DISTRICT, "2024-02-10", None, None),  # pending
    ("G1234567", 9, "ordinary", False, True, TOWN_A, DISTRICT, "2020-06-01", "2021-01-01", "2030-12-31"),
    ("10000007", 3, "ordinary", False, False, None, DISTRICT, "2018-01-01", "2019-01-01", "2028-12-31"),
    ("10000008", 3, "ordinary", False, False, None, "500101", "2018-01-01", "2019-01-01", "2028-12-31"),
]
ENTITIES = [(TOWN_A, 2023, 20_000), (TOWN_B, 2023, 5_000), (DISTRICT, 2023, 90_000)]


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    with Warehouse(tmp_path_factory.mktemp("tm") / "tm.duckdb") as wh:
        for reg, cls, kind, gi, madrid, town, county, filed, registered, end in MARKS:
            wh.con.execute(
                """INSERT INTO trademarks (reg_no, nice_class, mark_name, mark_kind, is_gi, is_madrid, owner,
                       owner_norm, owner_type, province_code, city_code, county_code, town_code, filing_date,
                       registration_date, term_end, status_date, source)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'enterprise', '500000', '500100', ?, ?, ?, ?, ?, '2024-06-30',
                           'test')""",
                [reg, cls, f"标{reg}", kind, gi, madrid, f"永川{reg}有限公司", f"永川{reg}有限公司", county, town,
                 filed, registered, end])
        wh.con.executemany("INSERT INTO market_entities VALUES (?, ?, ?)", ENTITIES)
        yield wh.ibis()


@pytest.fixture(scope="module")
def form(con):
    spec = find_form("trademarks-by-region")
    return compute_form(con, spec, parse_period("2024-Q2"), DISTRICT)


def test_each_town_counts_its_marks_per_class(form):
    # Town A: 10000001 in classes 9 and 35 (two marks); 10000004 lapsed; 10000005 pending; the Madrid mark apart.
    assert form.cell(TOWN_A, "in_force").value == 2
    assert form.cell(TOWN_A, "madrid").value == 1
    assert form.cell(TOWN_A, "applications").value == 1  # 10000005 filed 2024-02-10
    assert form.cell(TOWN_A, "registrations").value == 0
    # Town B: the collective GI mark and the certification mark registered 2024-03-01.
    assert form.cell(TOWN_B, "in_force").value == 2
    assert (form.cell(TOWN_B, "collective").value, form.cell(TOWN_B, "certification").value,
            form.cell(TOWN_B, "gi").value) == (1, 1, 1)
    assert form.cell(TOWN_B, "registrations").value == 1
    assert form.cell("other", "in_force").value == 1  # placed in the district, in no town
    total = [form.cell("total", c).value for c in ("applications", "registrations", "in_force", "madrid")]
    assert total == [1, 1, 5, 1]  # 10000008 of 万州 is in no row


def test_market_entities_density_and_rank(form):
    assert form.cell(TOWN_A, "entities").text == "2.00"  # 20,000 households = 2.00 万户
    assert form.cell(TOWN_A, "density").text == "1.00"   # 2 / 20,000 × 10,000
    assert form.cell(TOWN_B, "density").text == "4.00"   # 2 / 5,000 × 10,000
    assert form.cell("total", "density").text == "0.56"  # 5 / 90,000 × 10,000 = 0.5556
    assert (form.cell(TOWN_B, "rank").value, form.cell(TOWN_A, "rank").value) == (1, 2)
    assert form.cell("500118003000", "density").text == "-"  # a town without market entities has no density


def test_each_cell_drills_down_to_its_marks(con, form):
    spec, period = form.spec, form.period
    for row, col in ((TOWN_A, "in_force"), (TOWN_B, "in_force"), (TOWN_B, "gi"), ("total", "madrid"),
                     (TOWN_A, "applications"), ("total", "in_force"), (TOWN_B, "density")):
        listed = cell_records(con, spec, period, DISTRICT, row, col).to_pyarrow().to_pylist()
        count_col = spec.column(col).of or col
        assert len(listed) == form.cell(row, count_col).value, (row, col)
    keys = [r["trademark_key"] for r in cell_records(con, spec, period, DISTRICT, TOWN_A, "in_force")
            .to_pyarrow().to_pylist()]
    assert keys == ["10000001/35", "10000001/9"]


def test_a_form_counts_patents_or_trademarks_not_both():
    base = yaml.safe_load((find_form("trademarks-by-region").path).read_text(encoding="utf-8"))
    mixed = {**base, "columns": [*base["columns"], {"key": "inv", "labels": ["x"], "measure": "grants"}]}
    with pytest.raises(FormError, match=r"columns\.inv\.measure"):
        parse_form(mixed, "mixed.yaml")
    wrong_filter = {**base, "columns": [{"key": "t", "labels": ["x"], "where": {"patent_type": "invention"}}]}
    with pytest.raises(FormError, match=r"columns\.t\.where"):
        parse_form(wrong_filter, "wrong.yaml")
    patents = yaml.safe_load(find_form("grants-by-region").path.read_text(encoding="utf-8"))
    marks_on_patents = {**patents, "columns": [{"key": "c", "labels": ["x"], "where": {"mark_kind": "collective"}}]}
    with pytest.raises(FormError, match=r"columns\.c\.where"):
        parse_form(marks_on_patents, "marks.yaml")


def test_the_form_day_is_the_period_end(form):
    assert form.as_of == date(2024, 6, 30)


def test_a_district_with_totals_only_gets_an_empty_form_not_an_error(tmp_path):
    # The totals template (16,500 for the district) cannot be broken down by town or kind: every count is 0.
    with Warehouse(tmp_path / "totals.duckdb") as wh:
        wh.con.execute(f"INSERT INTO trademark_counts VALUES ('{DISTRICT}', DATE '2024-06-30', 16500)")
        result = compute_form(wh.ibis(), find_form("trademarks-by-region"), parse_period("2024-Q2"), DISTRICT)
    assert [result.cell("total", c).value for c in ("applications", "registrations", "in_force", "madrid")] == [0] * 4


def test_a_foreign_owner_is_foreign_in_the_country_table(tmp_path):
    # The country's table counts domestic owners only (国内: mainland, Hong Kong, Macao, Taiwan): a US owner read as
    # such at import (country US, no province) is in no row, where an owner of unknown origin would count as
    # mainland (unknown_origin_as) with a note.
    with Warehouse(tmp_path / "foreign.duckdb") as wh:
        for reg, province, country in (("20000001", "500000", "CN"), ("20000002", None, "US"),
                                       ("20000003", "810000", "HK")):
            wh.con.execute(
                """INSERT INTO trademarks (reg_no, nice_class, mark_kind, is_gi, is_madrid, owner, owner_norm,
                       owner_type, province_code, country, filing_date, registration_date, term_end, status_date,
                       source)
                   VALUES (?, 9, 'ordinary', false, false, ?, ?, 'enterprise', ?, ?, '2019-01-01', '2020-01-01',
                           '2029-12-31', '2024-06-30', 'test')""", [reg, f"O{reg}", f"O{reg}", province, country])
        result = compute_form(wh.ibis(), find_form("trademarks-by-region"), parse_period("2024-Q2"), None)
    assert result.cell("500000", "in_force").value == 1
    assert result.cell("810000", "in_force").value == 1
    assert result.cell("total", "in_force").value == 2
    assert not any("未能判断国内外" in n("zh") for n in result.notes)


def test_a_warehouse_older_than_the_trademark_tables(tmp_path):
    # An older warehouse opened read-only (or a Parquet export for Spark) has no trademark or market-entity tables:
    # the figure is the totals template's, the form is empty, nothing fails.
    from hvpatent.indicators import Context, value

    db = tmp_path / "old.duckdb"
    with Warehouse(db) as wh:
        wh.con.execute(f"INSERT INTO trademark_counts VALUES ('{DISTRICT}', DATE '2024-06-30', 16500)")
        for table in ("trademarks", "trademark_events", "market_entities", "recognitions"):
            wh.con.execute(f"DROP TABLE {table}")
    with Warehouse(db, read_only=True) as wh:
        con = wh.ibis()
        ctx = Context.create(con, date(2024, 6, 30), region=DISTRICT)
        assert value(ctx, "trademarks") == 16500
        assert value(ctx, "trademark_applications") == 0
        assert value(ctx, "trademarks_per_10k_entities") is None  # no market entities known
        result = compute_form(con, find_form("trademarks-by-region"), parse_period("2024-Q2"), DISTRICT)
    assert result.cell("total", "in_force").value == 0
