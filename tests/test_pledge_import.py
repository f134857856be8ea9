"""The pledge registry importer (ingest/pledges.py): records folded into contracts, items, changes and lines.

The world: PA (invention filed 2003-03-01, granted: its 20-year term ends 2023-03-01, so it is valid on 2023-02-28 and
expired from 2023-03-01), PB and PC (valid inventions); PD a valid number the warehouse does not know.  The files
under tests/real_shapes/pledges/ are hand-written; each test works out the rows it expects.
"""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from hvpatent.ingest import ImportRejected, import_file
from hvpatent.warehouse.store import Warehouse
from legal_fixtures import add_application

SHAPES = Path(__file__).parent / "real_shapes" / "pledges"
PA, PB, PC, PD = "200310111111.1", "201510222222.2", "201610333333.5", "201910444444.7"
HEADER = ("质押登记号,登记类型,专利申请号,商标注册号,出质人,质权人,质押金额(万元),登记日,债务起始日,债务到期日,解除日,"
          "备注\n")
BANK = "重庆银行股份有限公司永川支行"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pledge-world") / "base.duckdb"
    with Warehouse(path) as wh:
        add_application(wh, date(2003, 3, 1), [(date(2005, 6, 1), "granted")], number=PA)
        add_application(wh, date(2015, 3, 1), [(date(2017, 6, 1), "granted")], number=PB)
        add_application(wh, date(2016, 5, 5), [(date(2018, 1, 1), "granted")], number=PC)
    return path


@pytest.fixture
def wh(base, tmp_path):
    copy = tmp_path / "w.duckdb"
    shutil.copy(base, copy)
    warehouse = Warehouse(copy)
    yield warehouse
    warehouse.close()


def rows(wh: Warehouse, table: str, order: str) -> list[tuple]:
    return [tuple(r) for r in wh.con.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()]


def contracts(wh: Warehouse) -> list[tuple]:
    return rows(wh, "pledge_contracts", "contract_no")


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def reg(no: str, items: str, day: str, amount: str = "100", *, start: str = "", end: str = "", marks: str = "",
        pledgee: str = BANK) -> str:
    return f"{no},设立,{items},{marks},重庆甲科技有限公司,{pledgee},{amount},{day},{start},{end},,"


D = date


def test_template_file_mixed_contract_change_and_release(wh):
    result, skipped = import_file(wh, SHAPES / "template.csv")
    assert skipped == []
    # Two contracts (not 2 + 5 items + 4 lines + 2 changes): counted by contract.
    assert (result.rows_read, result.rows_inserted, result.rows_updated) == (4, 2, 0)
    assert contracts(wh) == [
        ("Y2023500000001", "重庆甲科技有限公司", "重庆甲科技有限公司", BANK, BANK, Decimal("5000000.00"),
         D(2023, 3, 1), D(2024, 2, 29), D(2023, 3, 1), None, None, "template"),
        ("Y2023500000002", "重庆乙食品有限公司", "重庆乙食品有限公司", "中国银行股份有限公司永川支行",
         "中国银行股份有限公司永川支行", Decimal("1000000.00"), D(2023, 2, 28), D(2023, 12, 31), D(2023, 2, 28),
         D(2023, 12, 1), None, "template")]
    # The change of 2023-09-01 lists PB only among the patents: PC leaves the contract that day; it lists no
    # trademark, so the trademark stays.
    assert rows(wh, "pledge_items", "contract_no, item_kind, item_no") == [
        ("Y2023500000001", "patent", PB, D(2023, 3, 1), None),
        ("Y2023500000001", "patent", PC, D(2023, 3, 1), D(2023, 9, 1)),
        ("Y2023500000001", "trademark", "12345678", D(2023, 3, 1), None),
        ("Y2023500000002", "patent", PA, D(2023, 2, 28), None),
        ("Y2023500000002", "patent", PD, D(2023, 2, 28), None)]
    # 500 → 600 万元; maturity 2024-02-29 → 2025-02-28 (the old values as registered).
    assert rows(wh, "pledge_changes", "contract_no, field") == [
        ("Y2023500000001", D(2023, 9, 1), "amount_yuan", "5000000.00", "6000000.00"),
        ("Y2023500000001", D(2023, 9, 1), "loan_end", "2024-02-29", "2025-02-28")]
    # Lines: one per patent ever pledged, the registered amount; PC's line ends when it left, Y…02's on its release.
    assert rows(wh, "pledges", "contract_no, app_no") == [
        ("Y2023500000001", PB, "重庆甲科技有限公司", BANK, Decimal("5000000.00"), D(2023, 3, 1), D(2023, 9, 1), None),
        ("Y2023500000001", PC, "重庆甲科技有限公司", BANK, Decimal("5000000.00"), D(2023, 3, 1), D(2023, 9, 1),
         D(2023, 9, 1)),
        ("Y2023500000002", PA, "重庆乙食品有限公司", "中国银行股份有限公司永川支行",
         Decimal("1000000.00"), D(2023, 2, 28), None, D(2023, 12, 1)),
        ("Y2023500000002", PD, "重庆乙食品有限公司", "中国银行股份有限公司永川支行", Decimal("1000000.00"),
         D(2023, 2, 28), None, D(2023, 12, 1))]
    # PD is not in the warehouse: accepted, and said.
    assert [n for text, n in result.warnings.items() if "不在数据仓库" in text] == [1]


def test_gazette_notices_change_and_release_a_stored_contract(wh):
    import_file(wh, SHAPES / "template.csv")
    result, _ = import_file(wh, SHAPES / "cnipa_gazette.csv")
    assert (result.rows_inserted, result.rows_updated, result.rows_unchanged) == (0, 1, 0)
    stored = contracts(wh)[0]
    # Released on 2024-06-01; the registration's amount and terms are kept (the gazette gives no amount).
    assert stored[5:12] == (Decimal("5000000.00"), D(2023, 3, 1), D(2024, 2, 29), D(2023, 3, 1), D(2024, 6, 1),
                            None, "template")
    assert rows(wh, "pledge_changes", "contract_no, change_date, field")[-1] == (
        "Y2023500000001", D(2024, 1, 10), "pledgee", BANK, "重庆农村商业银行股份有限公司永川支行")
    assert wh.con.execute("SELECT source FROM imports ORDER BY import_id DESC LIMIT 1").fetchall()[0][0] == (
        "pledges:gazette")


def test_gazette_registration_without_any_known_amount_is_refused(wh, tmp_path):
    path = tmp_path / "notice.csv"
    path.write_text("事务类型,专利号,登记号,登记生效日,出质人,质权人\n"
                    f"专利权质押合同登记的生效,ZL{PB},Y2024500000123,20240301,重庆甲科技有限公司,{BANK}\n",
                    encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        import_file(wh, path)
    assert [(e.file, e.row, e.field) for e in caught.value.errors] == [("notice.csv", 2, "质押金额(万元)")]


def test_legacy_shape_still_imports(wh):
    result, _ = import_file(wh, SHAPES / "legacy.csv")
    assert result.rows_inserted == 1
    assert contracts(wh) == [("Y2022500000009", "重庆甲科技有限公司", "重庆甲科技有限公司", "重庆银行永川支行",
                              "重庆银行永川支行", Decimal("3000000.00"), None, None, D(2022, 5, 1), D(2023, 5, 1),
                              None, "legacy_template")]
    assert rows(wh, "pledges", "app_no") == [("Y2022500000009", PB, "重庆甲科技有限公司", "重庆银行永川支行",
                                              Decimal("3000000.00"), D(2022, 5, 1), D(2022, 8, 1), D(2023, 5, 1))]
    assert rows(wh, "pledge_changes", "contract_no") == []


def test_release_file_alone_updates_the_stored_contract(wh, tmp_path):
    import_file(wh, write(tmp_path, "a.csv", [reg("Y1", f"{PB};{PC}", "2024-01-10", "250", end="2025-01-09")]))
    result, _ = import_file(wh, write(tmp_path, "b.csv", ["Y1,注销,,,,,,2024-12-20,,,,"]))
    assert (result.rows_inserted, result.rows_updated) == (0, 1)
    assert contracts(wh) == [("Y1", "重庆甲科技有限公司", "重庆甲科技有限公司", BANK, BANK, Decimal("2500000.00"),
                              None, D(2025, 1, 9), D(2024, 1, 10), D(2024, 12, 20), None, "template")]
    assert [r[7] for r in rows(wh, "pledges", "app_no")] == [D(2024, 12, 20)] * 2
    assert len(rows(wh, "pledge_items", "item_no")) == 2


def test_reimport_changes_nothing(wh, tmp_path):
    import_file(wh, SHAPES / "template.csv")
    before = {t: rows(wh, t, "1, 2, 3") for t in ("pledge_contracts", "pledge_items", "pledge_changes", "pledges")}
    again, _ = import_file(wh, SHAPES / "template.csv")
    assert again.already_imported
    # The same records in another file (other bytes: a BOM and CRLF): read, folded, and found unchanged.
    other = tmp_path / "copy.csv"
    other.write_bytes(b"\xef\xbb\xbf" + (SHAPES / "template.csv").read_bytes().replace(b"\n", b"\r\n"))
    result, _ = import_file(wh, other)
    assert (result.rows_inserted, result.rows_updated, result.rows_unchanged) == (0, 0, 2)
    assert {t: rows(wh, t, "1, 2, 3") for t in before} == before


def test_bad_rows_are_named_by_file_row_and_field(wh, tmp_path):
    path = write(tmp_path, "bad.csv", [
        reg("Y1", PB, "2024-01-10", "0"),                                   # 2: amount not positive
        reg("Y2", "201510222222.9", "2024-01-10"),                           # 3: wrong check digit
        reg("Y3", PB, "2024-01-10", start="2024-02-01", end="2024-01-31"),   # 4: maturity before the start
        "Y4,注销,,,,,,2024-05-01,,,,",                                       # 5: no registration anywhere
        reg("Y5", PC, "2024-01-10"),                                         # 6
        "Y5,注销,,,,,,2024-01-09,,,,",                                       # 7: released before registered
        reg("Y6", PC, "2024-01-10"),                                         # 8
        "Y6,注销,,,,,,2024-03-01,,,,",                                       # 9
        "Y6,处置,,,,,,2024-04-01,,,,",                                       # 10: released and disposed
        "Y7,设立,,,重庆甲科技有限公司,银行,100,2024-01-10,,,,",              # 11: no item
        reg("Y8", PB, "2024-01-10", "100"),                                  # 12
        reg("Y8", PB, "2024-01-10", "200"),                                  # 13: conflicting registration
        "Y9,变更,,,,,,2024-01-10,,,,",                                       # 14: nothing changed (and no contract)
        f"Y10,设立,{PB};{PB},,甲,乙,100,2024-01-10,,,,",                     # 15: an item twice
    ])
    with pytest.raises(ImportRejected) as caught:
        import_file(wh, path)
    assert sorted((e.file, e.row, e.field) for e in caught.value.errors) == [
        ("bad.csv", 2, "质押金额(万元)"), ("bad.csv", 3, "专利申请号"), ("bad.csv", 4, "债务到期日"),
        ("bad.csv", 5, "质押登记号"), ("bad.csv", 7, "登记日"), ("bad.csv", 10, "登记类型"),
        ("bad.csv", 11, "专利申请号"), ("bad.csv", 13, "质押金额(万元)"), ("bad.csv", 14, "登记类型"),
        ("bad.csv", 15, "专利申请号")]
    assert contracts(wh) == [] and rows(wh, "pledges", "1") == []  # atomic: the good rows are not stored either


def test_one_bad_row_stores_nothing(wh, tmp_path):
    path = write(tmp_path, "one.csv", [reg("Y1", PB, "2024-01-10"), reg("Y2", PC, "2024-01-10", "-5")])
    with pytest.raises(ImportRejected):
        import_file(wh, path)
    assert [wh.count(t) for t in ("pledge_contracts", "pledge_items", "pledge_changes", "pledges", "imports")] == [
        0, 0, 0, 0, 3]  # the three fixture imports only
    result, skipped = import_file(wh, path, skip_bad_rows=True)  # skipping: the good contract alone
    assert [e.row for e in skipped] == [3] and result.rows_inserted == 1
    assert [c[0] for c in contracts(wh)] == ["Y1"]


@pytest.mark.parametrize(("day", "accepted"), [("2023-02-28", True), ("2023-03-01", False), ("2023-03-02", False)])
def test_a_patent_must_be_in_force_on_the_registration_day(wh, tmp_path, day, accepted):
    """PA's term ends 2023-03-01 (filed 2003-03-01): pledged on its last valid day, or refused."""
    path = write(tmp_path, "p.csv", [reg("Y1", PA, day)])
    if accepted:
        assert import_file(wh, path)[0].rows_inserted == 1
        return
    with pytest.raises(ImportRejected) as caught:
        import_file(wh, path)
    [error] = caught.value.errors
    assert (error.row, error.field, error.value) == (2, "专利申请号", PA) and "expired" in error.reason


def test_an_item_added_by_a_change_is_checked_on_the_change_day(wh, tmp_path):
    path = write(tmp_path, "p.csv", [reg("Y1", PB, "2023-01-10"), f"Y1,变更,{PB};{PA},,,,,2023-03-01,,,,"])
    with pytest.raises(ImportRejected) as caught:
        import_file(wh, path)
    assert [(e.row, e.field, e.value) for e in caught.value.errors] == [(3, "专利申请号", PA)]


@pytest.mark.parametrize(("released", "accepted"), [("2024-01-09", False), ("2024-01-10", True),
                                                    ("2024-01-11", True)])
def test_release_on_the_registration_day_is_accepted_the_day_before_refused(wh, tmp_path, released, accepted):
    path = write(tmp_path, "p.csv", [reg("Y1", PB, "2024-01-10"), f"Y1,注销,,,,,,{released},,,,"])
    if not accepted:
        with pytest.raises(ImportRejected) as caught:
            import_file(wh, path)
        assert [(e.row, e.field) for e in caught.value.errors] == [(3, "登记日")]
        return
    import_file(wh, path)
    assert contracts(wh)[0][9] == date.fromisoformat(released)


@pytest.mark.parametrize(("changed", "accepted"), [("2024-01-09", False), ("2024-01-10", True)])
def test_a_change_before_the_registration_is_refused(wh, tmp_path, changed, accepted):
    path = write(tmp_path, "p.csv", [reg("Y1", PB, "2024-01-10"), f"Y1,变更,,,,中国银行,,{changed},,,,"])
    if accepted:
        import_file(wh, path)
        assert rows(wh, "pledge_changes", "1") == [("Y1", D(2024, 1, 10), "pledgee", BANK, "中国银行")]
        return
    with pytest.raises(ImportRejected) as caught:
        import_file(wh, path)
    assert [(e.row, e.field) for e in caught.value.errors] == [(3, "登记日")]


def test_a_registration_conflicting_with_the_stored_one_is_refused(wh, tmp_path):
    import_file(wh, write(tmp_path, "a.csv", [reg("Y1", PB, "2024-01-10", "100")]))
    with pytest.raises(ImportRejected) as caught:
        import_file(wh, write(tmp_path, "b.csv", [reg("Y1", PB, "2024-01-10", "100", pledgee="另一家银行")]))
    assert [(e.row, e.field) for e in caught.value.errors] == [(2, "质权人")]
    # The same registration with one more patent adds the patent (one row per patent, as the gazette writes).
    result, _ = import_file(wh, write(tmp_path, "c.csv", [reg("Y1", PC, "2024-01-10", "100")]))
    assert (result.rows_updated, [r[2] for r in rows(wh, "pledge_items", "item_no")]) == (1, [PB, PC])


def test_the_written_template_reads_back(wh, tmp_path):
    """`hvp template pledges` writes the record shape; filled in, it imports (and reads alone, without a warehouse)."""
    from openpyxl import load_workbook

    from hvpatent.ingest.templates import TEMPLATES, read_template, write_template

    path = write_template("pledges", tmp_path / "p.xlsx")
    assert [c.value for c in load_workbook(path).worksheets[0][1]] == [c.header for c in TEMPLATES["pledges"][1]]
    wb = load_workbook(path)
    wb.worksheets[0].append(["Y1", "设立", PB, "87654321", "重庆甲科技有限公司", BANK, 80, "2024-01-10", "2024-01-10",
                             "2025-01-09", None, None])
    wb.worksheets[0].append(["Y1", "处置", None, None, None, None, None, "2025-03-01", None, None, None, "违约处置"])
    wb.save(path)
    kind, batch, errors, read = read_template(path)
    assert (kind, errors, read, batch.get("pledge_contracts")["disposed_date"].tolist()) == (
        "pledges", [], 2, [D(2025, 3, 1)])
    result, _ = import_file(wh, path)
    assert result.rows_inserted == 1
    assert contracts(wh)[0][5:11] == (Decimal("800000.00"), D(2024, 1, 10), D(2025, 1, 9), D(2024, 1, 10), None,
                                      D(2025, 3, 1))
    assert rows(wh, "pledge_items", "item_kind") == [("Y1", "patent", PB, D(2024, 1, 10), None),
                                                     ("Y1", "trademark", "87654321", D(2024, 1, 10), None)]


def test_a_notice_under_the_category_name_is_told_by_its_columns(wh, tmp_path):
    """专利权质押合同登记的生效、变更及注销 names all three: a row with 解除日 is the release."""
    import_file(wh, write(tmp_path, "a.csv", [reg("Y1", PB, "2024-01-10")]))
    path = tmp_path / "notice.csv"
    path.write_text("事务类型,专利号,登记号,登记生效日,出质人,质权人,解除日\n"
                    f"专利权质押合同登记的生效、变更及注销,ZL{PB},Y1,20240110,重庆甲科技有限公司,{BANK},20240701\n",
                    encoding="utf-8")
    assert import_file(wh, path)[0].rows_updated == 1
    assert contracts(wh)[0][9] == D(2024, 7, 1)


def test_contract_key_is_the_one_spelling_of_a_registration_number(wh, tmp_path):
    """Full-width letters and digits (Ｙ２０２４), lower case, spaces (ASCII, U+3000, NBSP) all key as Y2024…."""
    from hvpatent.ingest import contract_key

    assert contract_key("ｙ２０２４ ５０００\u3000０００１\u00a0") == "Y202450000001"
    assert contract_key(" y2024500000001 ") == "Y2024500000001"
    # The importer keys by it: a full-width release finds the contract registered in ASCII.
    import_file(wh, write(tmp_path, "a.csv", [reg("Y2024500000001", PB, "2024-01-10")]))
    import_file(wh, write(tmp_path, "b.csv", ["ｙ２０２４５０００００００１,注销,,,,,,2024-12-20,,,,"]))
    assert [(c[0], c[9]) for c in contracts(wh)] == [("Y2024500000001", D(2024, 12, 20))]


def test_shape_is_told_by_the_gazettes_own_columns():
    """质押合同登记号 / 质权登记号 in a bureau's ledger is the template; 登记号 alone is no gazette either; 登记生效日,
    事务类型 or 变更项 make one whatever the number is called."""
    from hvpatent.ingest.pledges import pledge_shape
    from hvpatent.ingest.readers import header_key

    def shape(*headers: str) -> str | None:
        return pledge_shape([header_key(h) for h in headers])

    parties = ("出质人", "质权人", "专利申请号")
    assert shape("质押合同登记号", "登记类型", *parties, "质押金额(万元)", "登记日") == "template"
    assert shape("质权登记号", *parties, "质押金额(万元)", "登记日", "债务到期日") == "template"
    assert shape("登记号", *parties, "质押金额(万元)", "登记日", "解除日") == "legacy"
    assert shape("质押登记号", *parties, "登记生效日") == "gazette"
    assert shape("质押登记号", "事务类型", *parties, "登记日") == "gazette"
    assert shape("登记号", "专利号", "出质人", "质权人", "变更日", "变更项", "变更后") == "gazette"
    assert shape("登记号", "专利号", "出质人") is None


def test_a_ledger_calling_the_number_质押合同登记号_imports_as_the_template(wh, tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text(HEADER.replace("质押登记号", "质押合同登记号", 1) + reg("Y1", PB, "2024-01-10", "80") + "\n",
                    encoding="utf-8")
    assert import_file(wh, path)[0].rows_inserted == 1
    assert contracts(wh)[0][5] == Decimal("800000.00") and contracts(wh)[0][11] == "template"
    assert wh.con.execute("SELECT source FROM imports ORDER BY import_id DESC LIMIT 1").fetchall()[0][0] == (
        "template:pledges")


# Y1 (PB) registered 2024-01-10, its pledgee changed 2024-06-01 (file a); a release in file b.
@pytest.mark.parametrize(("released", "accepted"), [("2024-05-31", False), ("2024-06-01", True),
                                                    ("2024-06-02", True)])
def test_a_release_before_a_stored_change_is_refused(wh, tmp_path, released, accepted):
    import_file(wh, write(tmp_path, "a.csv", [reg("Y1", PB, "2024-01-10"), "Y1,变更,,,,中国银行,,2024-06-01,,,,"]))
    path = write(tmp_path, "b.csv", [f"Y1,注销,,,,,,{released},,,,"])
    if accepted:
        import_file(wh, path)
        assert contracts(wh)[0][9] == date.fromisoformat(released)
        return
    with pytest.raises(ImportRejected) as caught:
        import_file(wh, path)
    [error] = caught.value.errors
    assert (error.file, error.row, error.field, error.value) == ("b.csv", 2, "登记日", released)
    assert "2024-06-01" in error.reason and contracts(wh)[0][9] is None


def test_a_disposal_before_a_patent_stored_as_added_is_refused(wh, tmp_path):
    """The stored change of 2024-03-01 adds PC: a disposal dated 2024-02-29 would end the contract before it."""
    import_file(wh, write(tmp_path, "a.csv", [reg("Y1", PB, "2024-01-10"), f"Y1,变更,{PB};{PC},,,,,2024-03-01,,,,"]))
    with pytest.raises(ImportRejected) as caught:
        import_file(wh, write(tmp_path, "b.csv", ["Y1,处置,,,,,,2024-02-29,,,,"]))
    assert [(e.row, e.field) for e in caught.value.errors] == [(2, "登记日")]


# Y1 pledges PB from 2024-01-10 and is released 2024-06-01 (file a, in the warehouse): PB is free on 2024-06-01.
@pytest.mark.parametrize(("day", "accepted"), [("2024-05-31", False), ("2024-06-01", True), ("2024-06-02", True)])
def test_a_patent_is_pledged_under_one_contract_at_a_time(wh, tmp_path, day, accepted):
    import_file(wh, write(tmp_path, "a.csv", [reg("Y1", PB, "2024-01-10"), "Y1,注销,,,,,,2024-06-01,,,,"]))
    path = write(tmp_path, "b.csv", [reg("Y2", f"{PC};{PB}", day)])
    if accepted:
        assert import_file(wh, path)[0].rows_inserted == 1
        return
    with pytest.raises(ImportRejected) as caught:
        import_file(wh, path)
    [error] = caught.value.errors
    assert (error.row, error.field, error.value) == (2, "专利申请号", PB)
    assert "Y1" in error.reason and "数据仓库" in error.reason and [c[0] for c in contracts(wh)] == ["Y1"]


def test_two_live_pledges_of_a_patent_in_one_file_refuse_the_later(wh, tmp_path):
    """Y1 and Y2 both pledge PC, never released: Y2 (registered later) is refused, naming Y1's row; Y3 pledges PC
    again after Y4 (also in the file) was released — accepted."""
    path = write(tmp_path, "p.csv", [reg("Y2", PC, "2024-02-01"), reg("Y1", PC, "2024-01-10"),
                                     reg("Y4", PB, "2024-01-10"), "Y4,注销,,,,,,2024-03-01,,,,",
                                     reg("Y3", PB, "2024-03-01")])
    with pytest.raises(ImportRejected) as caught:
        import_file(wh, path)
    [error] = caught.value.errors
    assert (error.row, error.field, error.value) == (2, "专利申请号", PC)
    assert "Y1" in error.reason and "第3行" in error.reason


# Y1 pledges the trademark TM alone from 2024-01-10 and is released 2024-06-01 (file a, in the warehouse): the
# trademark is free on 2024-06-01, as a patent is (the same rule: ours, see docs/importing.md).
TM = "12345678"


@pytest.mark.parametrize(("day", "accepted"), [("2024-05-31", False), ("2024-06-01", True), ("2024-06-02", True)])
def test_a_trademark_is_pledged_under_one_contract_at_a_time(wh, tmp_path, day, accepted):
    import_file(wh, write(tmp_path, "a.csv", [reg("Y1", "", "2024-01-10", marks=TM), "Y1,注销,,,,,,2024-06-01,,,,"]))
    path = write(tmp_path, "b.csv", [reg("Y2", PC, day, marks=TM)])
    if accepted:
        assert import_file(wh, path)[0].rows_inserted == 1
        items = rows(wh, "pledge_items", "contract_no, item_kind, item_no")
        assert [r[:3] for r in items] == [("Y1", "trademark", TM), ("Y2", "patent", PC), ("Y2", "trademark", TM)]
        return
    with pytest.raises(ImportRejected) as caught:
        import_file(wh, path)
    [error] = caught.value.errors
    assert (error.row, error.field, error.value) == (2, "商标注册号", TM)
    assert "该商标已质押于合同 Y1（2024-01-10 起至 2024-06-01；数据仓库" in error.reason
    assert [c[0] for c in contracts(wh)] == ["Y1"]


def test_two_live_pledges_of_a_trademark_in_one_file_refuse_the_later(wh, tmp_path):
    """Y1 pledges TM from 2024-01-10; Y2 (row 3) adds it by a change of 2024-02-01 while Y1 holds it: refused, naming
    Y1's row; Y3 pledges TM after Y1's release on 2024-03-01 — accepted once Y2 is gone."""
    path = write(tmp_path, "p.csv", [reg("Y1", PB, "2024-01-10", marks=TM), reg("Y2", PC, "2024-01-20"),
                                     f"Y2,变更,,{TM},,,,2024-02-01,,,,", "Y1,注销,,,,,,2024-03-01,,,,",
                                     reg("Y3", "", "2024-03-01", marks=TM)])
    with pytest.raises(ImportRejected) as caught:
        import_file(wh, path)
    [error] = caught.value.errors
    assert (error.row, error.field, error.value) == (4, "商标注册号", TM)
    assert "Y1" in error.reason and "第2行" in error.reason
    _, skipped = import_file(wh, path, skip_bad_rows=True)
    assert [e.row for e in skipped] == [4] and [c[0] for c in contracts(wh)] == ["Y1", "Y3"]


def test_a_legacy_contract_given_its_registry_rows_is_updated_not_new(wh, tmp_path):
    """Y1 known by its per-patent line only (an older warehouse); its registration imported: 1 updated, 0 new."""
    wh.con.execute("INSERT INTO pledges (contract_no, app_no, pledgor, pledgee, amount_yuan, registered_date) "
                   "VALUES ('Y1', ?, '重庆甲科技有限公司', ?, 1000000, DATE '2024-01-10')", [PB, BANK])
    result, _ = import_file(wh, write(tmp_path, "a.csv", [reg("Y1", PB, "2024-01-10", "100")]))
    assert (result.rows_inserted, result.rows_updated, result.rows_unchanged) == (0, 1, 0)
    assert [c[0] for c in contracts(wh)] == ["Y1"]
