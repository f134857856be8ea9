"""Importing real-format exports: header detection, validation, atomicity, idempotency."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from conftest import table_counts, write_xlsx
from hvpatent.ingest import FileError, ImportRejected, import_file, write_errors_report
from hvpatent.ingest.appno import check_digit
from hvpatent.legal import status_of

HEADERS = ["申请号", "申请日", "名称", "申请(专利权)人", "地址", "主分类号", "分类号", "公开(公告)号",
           "公开(公告)日", "授权公告日", "法律事件", "同族", "代理机构"]


def no(digits: str) -> str:
    return f"{digits}.{check_digit(digits)}"


A, B, C = no("201510123456"), no("201820654321"), no("202110777777")


def good_rows() -> list[list]:
    return [
        HEADERS,
        ["CN" + A, "2015-03-02", "一种锂离子电池正极材料", "重庆甲科技有限公司；重庆文理学院",
         "重庆市永川区胜利路街道人民大道1号", "H01M 4/58 (2010.01)", "H01M4/58;H01M10/052", "CN104000001B",
         "2017-06-20", "2017-06-20", "2016-09-01 发明专利申请公布;2016-10-01 实质审查的生效",
         "US2017123456B2;EP3000001A1", "重庆某专利代理事务所"],
        [B.replace(".", ""), "2018/5/6", "一种摩托车车架", "张伟", "重庆市永川区来苏镇观音井村",
         "B62K11/00", "", "CN208000002U", "2019-01-08", "2019-01-08", "", "", ""],
        [C, "20210810", "一种白酒酿造装置", "江苏乙公司", "江苏省南京市玄武区", "C12G3/02", "", "", "", "",
         "", "", ""],
    ]


def test_cnipa_xlsx_with_title_row(warehouse, tmp_path):
    path = write_xlsx(tmp_path / "export.xlsx", good_rows(), title="国家知识产权局专利检索导出 2024-06-30")
    result, errors = import_file(warehouse, path)
    assert errors == []
    assert (result.rows_read, result.rows_inserted) == (3, 3)
    apps = warehouse.frame("SELECT app_no, patent_type, filing_date, ipc_main FROM applications ORDER BY app_no")
    assert list(apps.app_no) == [A, B, C]
    assert list(apps.patent_type) == ["invention", "utility_model", "invention"]
    assert apps.ipc_main.iloc[0] == "H01M4/58"
    parties = warehouse.frame("SELECT * FROM parties WHERE app_no = ? ORDER BY seq", [A])
    assert list(parties.name) == ["重庆甲科技有限公司", "重庆文理学院"]
    assert list(parties.party_type) == ["enterprise", "university"]
    assert parties.town_code.iloc[0] == "500118002000"  # 胜利路街道, from the first applicant's address
    ipcs = warehouse.frame("SELECT ipc FROM ipc_classes WHERE app_no = ? ORDER BY seq", [A])
    assert list(ipcs.ipc) == ["H01M4/58", "H01M10/052"]
    family = warehouse.frame("SELECT office, granted FROM family_members ORDER BY office")
    assert family.values.tolist() == [["EP", False], ["US", True]]
    assert status_of(warehouse.ibis(), A, date(2024, 1, 1)).facts["state"] == "valid"
    assert status_of(warehouse.ibis(), C, date(2024, 1, 1)).facts["state"] == "pending"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_csv_encodings(warehouse, tmp_path, encoding):
    path = tmp_path / "export.csv"
    lines = [",".join(f'"{c}"' for c in row) for row in good_rows()]
    path.write_text("\n".join(lines), encoding=encoding)
    result, _ = import_file(warehouse, path)
    assert result.rows_inserted == 3
    names = warehouse.frame("SELECT name FROM parties WHERE app_no = ?", [B]).name.tolist()
    assert names == ["张伟"]


def test_bad_rows_reject_the_whole_file_and_leave_data_unchanged(warehouse, tmp_path):
    import_file(warehouse, write_xlsx(tmp_path / "first.xlsx", good_rows()))
    before = table_counts(warehouse)
    rows = good_rows()
    rows.append([no("201910111111")[:-1] + ("1" if no("201910111111")[-1] != "1" else "2"), "2019-01-01",
                 "坏校验位", "某公司", "", "H01M4/58", "", "", "", "", "", "", ""])
    rows.append([no("201910222222"), "2019-13-40", "坏日期", "某公司", "", "H01M", "", "", "", "", "", "", ""])
    rows.append([no("201910333333"), "2019-01-01", "坏分类号", "某公司", "", "XYZ", "", "", "", "", "", "", ""])
    path = write_xlsx(tmp_path / "bad.xlsx", rows)
    with pytest.raises(ImportRejected) as caught:
        import_file(warehouse, path)
    errors = caught.value.errors
    assert [(e.file, e.row, e.field) for e in errors] == [
        ("bad.xlsx", 5, "申请号"), ("bad.xlsx", 6, "申请日"), ("bad.xlsx", 7, "主分类号")]
    assert "check digit" in errors[0].reason
    assert table_counts(warehouse) == before  # nothing written, not even the good rows
    report = write_errors_report(errors, tmp_path / "errors.xlsx")
    sheet = load_workbook(report).active
    assert [c.value for c in sheet[1]] == ["文件", "行号", "字段", "值", "原因"]
    assert sheet.cell(2, 2).value == 5


def test_skip_bad_rows_imports_the_rest(warehouse, tmp_path):
    rows = good_rows()
    rows.append(["nonsense", "2019-01-01", "x", "某公司", "", "", "", "", "", "", "", "", ""])
    result, errors = import_file(warehouse, write_xlsx(tmp_path / "bad.xlsx", rows), skip_bad_rows=True)
    assert result.rows_inserted == 3 and result.rows_rejected == 1
    assert [(e.row, e.field) for e in errors] == [(5, "申请号")]


def test_failure_while_writing_rolls_back(warehouse, tmp_path, monkeypatch):
    before = table_counts(warehouse)
    from hvpatent.warehouse import store

    def explode(self, events, import_id):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store.Warehouse, "_insert_events", explode)
    with pytest.raises(FileError, match="数据未作任何改变") as caught:  # a message, not a traceback
        import_file(warehouse, write_xlsx(tmp_path / "export.xlsx", good_rows()))
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert table_counts(warehouse) == before


def test_reimporting_the_same_file_changes_nothing(warehouse, tmp_path):
    path = write_xlsx(tmp_path / "export.xlsx", good_rows())
    first, _ = import_file(warehouse, path)
    counts = table_counts(warehouse)
    again, _ = import_file(warehouse, path)
    assert again.already_imported and again.import_id == first.import_id
    assert table_counts(warehouse) == counts


def test_same_content_in_another_file_is_unchanged(warehouse, tmp_path):
    import_file(warehouse, write_xlsx(tmp_path / "a.xlsx", good_rows()))
    counts = table_counts(warehouse)
    result, _ = import_file(warehouse, write_xlsx(tmp_path / "b.xlsx", good_rows(), title="再次导出"))
    assert (result.rows_inserted, result.rows_updated, result.rows_unchanged) == (0, 0, 3)
    counts["imports"] += 1
    assert table_counts(warehouse) == counts


def test_newer_export_updates_and_keeps_history(warehouse, tmp_path):
    import_file(warehouse, write_xlsx(tmp_path / "2023.xlsx", good_rows()))
    rows = good_rows()
    rows[1][2] = "一种锂离子电池正极材料及其制备方法"  # title corrected
    rows[1][10] += ";2023-11-20 未缴年费专利权终止"
    result, _ = import_file(warehouse, write_xlsx(tmp_path / "2024.xlsx", rows))
    assert (result.rows_inserted, result.rows_updated, result.rows_unchanged) == (0, 1, 2)
    history = warehouse.frame("SELECT previous_title FROM application_history WHERE app_no = ?", [A])
    assert history.previous_title.tolist() == ["一种锂离子电池正极材料"]
    events = warehouse.frame("SELECT event_type FROM legal_events WHERE app_no = ? ORDER BY event_date", [A])
    assert events.event_type.tolist()[-1] == "annuity_lapse"
    assert "examination" in events.event_type.tolist()  # earlier events are kept
    assert status_of(warehouse.ibis(), A, date(2024, 6, 1)).facts["state"] == "lapsed"


def test_missing_required_column_is_named(warehouse, tmp_path):
    rows = [[h for h in HEADERS if h != "申请日"]] + [r[:1] + r[2:] for r in good_rows()[1:]]
    with pytest.raises(ImportRejected) as caught:
        import_file(warehouse, write_xlsx(tmp_path / "x.xlsx", rows))
    assert "申请日" in caught.value.errors[0].reason


def test_unrecognisable_file(warehouse, tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", [["foo", "bar"], [1, 2]])
    with pytest.raises(FileError, match="表头"):
        import_file(warehouse, path)


def test_user_mapping_adds_header_aliases(warehouse, tmp_path):
    rows = good_rows()
    rows[0] = ["专利号码", *HEADERS[1:]]
    mapping = tmp_path / "mine.yaml"
    mapping.write_text("fields:\n  app_no: [专利号码]\n", encoding="utf-8")
    result, _ = import_file(warehouse, write_xlsx(tmp_path / "x.xlsx", rows), mapping=mapping)
    assert result.rows_inserted == 3


def google_rows() -> list[dict]:
    return [
        {"publication_number": "CN-104000001-A", "application_number": "CN-201510123456-A",
         "country_code": "CN", "kind_code": "A", "application_kind": "A", "family_id": "55501",
         "filing_date": 20150302, "publication_date": 20160901, "grant_date": 0, "priority_date": 20150302,
         "title_localized": [{"text": "Cathode material", "language": "en"},
                             {"text": "一种锂离子电池正极材料", "language": "zh"}],
         "abstract_localized": [],
         "assignee_harmonized": [{"name": "重庆市永川区甲科技有限公司", "country_code": "CN"}],
         "ipc": [{"code": "H01M10/052", "first": False}, {"code": "H01M4/58", "first": True}]},
        {"publication_number": "CN-104000001-B", "application_number": "CN-201510123456-A",
         "country_code": "CN", "kind_code": "B", "application_kind": "A", "family_id": "55501",
         "filing_date": 20150302, "publication_date": 20170620, "grant_date": 20170620, "priority_date": 20150302,
         "title_localized": [{"text": "一种锂离子电池正极材料", "language": "zh"}],
         "assignee_harmonized": [{"name": "重庆市永川区甲科技有限公司", "country_code": "CN"}],
         "ipc": [{"code": "H01M4/58", "first": True}]},
        {"publication_number": "US-10000001-B2", "application_number": "US-15000001-A",
         "country_code": "US", "kind_code": "B2", "family_id": "55501", "filing_date": 20160301,
         "publication_date": 20180101, "grant_date": 20180101},
        {"publication_number": "EP-3000001-A1", "application_number": "EP-16000001-A",
         "country_code": "EP", "kind_code": "A1", "family_id": "55501", "filing_date": 20160301,
         "publication_date": 20170101, "grant_date": 0},
    ]


def check_google_import(warehouse, path: Path) -> None:
    result, errors = import_file(warehouse, path)
    assert errors == [] and result.rows_read == 4
    apps = warehouse.frame("SELECT app_no, family_id, title, ipc_main, source FROM applications")
    assert apps.values.tolist() == [[A, "55501", "一种锂离子电池正极材料", "H01M4/58", "google"]]
    family = warehouse.frame("SELECT office, granted FROM family_members ORDER BY office").values.tolist()
    assert family == [["EP", False], ["US", True]]
    parties = warehouse.frame("SELECT county_code FROM parties")
    assert parties.county_code.tolist() == ["500118"]  # attributed by name when no address
    assert status_of(warehouse.ibis(), A, date(2018, 1, 1)).facts["state"] == "valid"


def test_google_jsonl(warehouse, tmp_path):
    path = tmp_path / "bq.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in google_rows()), encoding="utf-8")
    check_google_import(warehouse, path)


def test_google_parquet(warehouse, tmp_path):
    path = tmp_path / "bq.parquet"
    pq.write_table(pa.Table.from_pylist(google_rows()), path)
    check_google_import(warehouse, path)


def test_google_bad_line_names_line(warehouse, tmp_path):
    path = tmp_path / "bq.jsonl"
    rows = [json.dumps(r, ensure_ascii=False) for r in google_rows()]
    rows[1] = rows[1].replace("CN-201510123456-A", "CN-2015101234-A")
    path.write_text("\n".join(rows), encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        import_file(warehouse, path)
    assert [(e.row, e.field) for e in caught.value.errors] == [(2, "application_number")]


def test_legacy_xls_export(warehouse, tmp_path):
    import xlwt  # writes the legacy BIFF .xls format the CNIPA system still offers

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("导出")
    sheet.write(0, 0, "专利检索结果")
    for r, row in enumerate(good_rows(), start=1):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    path = tmp_path / "export.xls"
    book.save(str(path))
    result, errors = import_file(warehouse, path)
    assert errors == [] and result.rows_inserted == 3
    assert warehouse.frame("SELECT name FROM parties WHERE app_no = ?", [B]).name.tolist() == ["张伟"]


def test_database_error_is_a_message_and_changes_nothing(warehouse, tmp_path, monkeypatch):
    import duckdb

    from hvpatent.warehouse import store

    import_file(warehouse, write_xlsx(tmp_path / "first.xlsx", good_rows()))
    before = table_counts(warehouse)

    def broken(self, events, import_id):
        self.con.execute("SELECT 1 = 'not a number'")  # any database error half-way through

    monkeypatch.setattr(store.Warehouse, "_insert_events", broken)
    rows = good_rows()
    rows[1][2] = "改过的名称"
    with pytest.raises(FileError, match="数据未作任何改变") as caught:
        import_file(warehouse, write_xlsx(tmp_path / "second.xlsx", rows))
    assert isinstance(caught.value.__cause__, duckdb.Error)
    assert table_counts(warehouse) == before
    assert warehouse.frame("SELECT title FROM applications WHERE app_no = ?", [A]).title.tolist() == [
        "一种锂离子电池正极材料"]


def test_publication_rows_of_one_application_merge(warehouse, tmp_path):
    """An A row and a B row: one application, both publications, the fields only one row has kept."""
    header = ["申请号", "申请日", "名称", "摘要", "申请(专利权)人", "主分类号", "公开(公告)号", "公开(公告)日"]
    rows = [header,
            [A, "2015-03-02", "一种材料", "摘要甲", "", "H01M4/58", "CN104000001A", "2016-09-01"],
            [A, "2015-03-02", "一种材料及其制法", "", "重庆甲科技有限公司", "", "CN104000001B", "2017-06-20"]]
    result, _ = import_file(warehouse, write_xlsx(tmp_path / "ab.xlsx", rows))
    assert (result.rows_read, result.rows_inserted) == (2, 1)
    app = warehouse.frame("SELECT title, abstract, ipc_main FROM applications").values.tolist()
    assert app == [["一种材料及其制法", "摘要甲", "H01M4/58"]]  # B's title (latest), A's abstract and class
    assert warehouse.frame("SELECT role FROM parties").role.tolist() == ["patentee"]
    pubs = warehouse.frame("SELECT pub_no FROM publications ORDER BY pub_no").pub_no.tolist()
    assert pubs == ["CN104000001A", "CN104000001B"]
    events = warehouse.frame("SELECT event_date, event_type FROM legal_events ORDER BY event_date")
    assert events.event_type.tolist() == ["filed", "published", "granted"]
    assert status_of(warehouse.ibis(), A, date(2017, 6, 19)).facts["state"] == "pending"
    assert status_of(warehouse.ibis(), A, date(2017, 6, 20)).facts["state"] == "valid"


STATUS_HEADERS = ["申请号", "申请日", "授权公告日", "法律状态", "法律状态公告日"]
LAPSED, ADJUSTED = no("201010123456"), no("201910345678")


def status_rows(lapse_text: str, term_text: str) -> list[list]:
    return [STATUS_HEADERS,
            [LAPSED, "2010-03-15", "2013-01-10", lapse_text, "2020-11-20"],
            [ADJUSTED, "2019-01-15", "2023-05-05", term_text, "2023-08-01"]]


def test_a_labelled_date_in_a_status_cell_is_a_detail_of_the_event(warehouse, tmp_path):
    """The announcement (法律状态公告日) dates the event; 终止日 / 届满日 in the text are its effective dates."""
    rows = status_rows("未缴年费专利权终止 未缴年费终止日：2020.03.15", "专利权期限补偿 届满日：2041-05-01")
    result, errors = import_file(warehouse, write_xlsx(tmp_path / "status.xlsx", rows, title="导出日期：2024-06-30"))
    assert errors == [] and result.warnings == {}  # the term was adjusted: no warning
    events = warehouse.con.execute(
        "SELECT app_no, event_type, event_date, effective_date FROM legal_events "
        "WHERE event_type IN ('annuity_lapse', 'term_adjustment') ORDER BY app_no").fetchall()
    assert events == [(LAPSED, "annuity_lapse", date(2020, 11, 20), date(2020, 3, 15)),
                      (ADJUSTED, "term_adjustment", date(2023, 8, 1), date(2041, 5, 1))]
    con = warehouse.ibis()
    # The annuity due 2020-03-15 was not paid: the six-month grace period runs to 2020-09-15.
    lapse = {d: status_of(con, LAPSED, d).facts for d in
             (date(2020, 3, 14), date(2020, 3, 15), date(2020, 9, 15), date(2020, 9, 16))}
    assert [f["state"] for f in lapse.values()] == ["valid", "grace", "grace", "restorable"]
    assert lapse[date(2020, 3, 15)]["lapse_due_date"] == date(2020, 3, 15)
    # Filed 2019-01-15: twenty years end 2039-01-15; the compensation moves the end to 2041-05-01.
    term = [status_of(con, ADJUSTED, d).facts["state"]
            for d in (date(2039, 1, 15), date(2041, 4, 30), date(2041, 5, 1), date(2041, 5, 2))]
    assert term == ["valid", "valid", "expired", "expired"]


@pytest.mark.parametrize(("lapse_text", "term_text", "bad_row"), [
    ("未缴年费专利权终止 未缴年费终止日：2020.02.30", "专利权期限补偿 届满日：2041-05-01", 3),
    ("2020-11-20 未缴年费专利权终止", "2023-08-01 专利权期限补偿 届满日：2041-02-30", 4),
])
def test_an_impossible_date_inside_event_text_is_a_row_error(warehouse, tmp_path, lapse_text, term_text, bad_row):
    path = write_xlsx(tmp_path / "status.xlsx", status_rows(lapse_text, term_text), title="导出日期：2024-06-30")
    with pytest.raises(ImportRejected) as caught:
        import_file(warehouse, path)
    assert [(e.file, e.row, e.field) for e in caught.value.errors] == [("status.xlsx", bad_row, "法律状态")]
    assert "不是有效日期" in caught.value.errors[0].reason
    assert warehouse.count("applications") == 0
    result, skipped = import_file(warehouse, path, skip_bad_rows=True)
    assert [e.row for e in skipped] == [bad_row] and (result.rows_inserted, result.rows_rejected) == (1, 1)


def test_a_reader_failure_is_a_file_error_and_changes_nothing(warehouse, tmp_path, monkeypatch):
    from hvpatent.ingest import spreadsheet

    def slip(*args, **kwargs):
        raise TypeError("a bug in a reader")

    monkeypatch.setattr(spreadsheet, "_convert_row", slip)
    with pytest.raises(FileError, match="数据未作任何改变") as caught:
        import_file(warehouse, write_xlsx(tmp_path / "export.xlsx", good_rows()))
    assert isinstance(caught.value.__cause__, TypeError)
    assert warehouse.count("applications") == 0 and warehouse.count("imports") == 0


def test_a_bad_mapping_file_is_a_file_error_naming_it(warehouse, tmp_path):
    mapping = tmp_path / "mine.yaml"
    mapping.write_text("fields:\n  no_such_field: [号]\n", encoding="utf-8")
    with pytest.raises(FileError, match="no_such_field") as caught:
        import_file(warehouse, write_xlsx(tmp_path / "x.xlsx", good_rows()), mapping=mapping)
    assert caught.value.file == "mine.yaml"


def test_google_rows_merge_by_publication_date_not_file_order(warehouse, tmp_path):
    """The B publication first in the file, and its date written another way: still the latest."""
    a, b = google_rows()[:2]
    a = {**a, "publication_date": 20170105, "title_localized": [{"text": "旧名称", "language": "zh"}],
         "abstract_localized": [{"text": "摘要甲", "language": "zh"}]}
    b = {**b, "publication_date": "2017-06-20", "grant_date": "2017-06-20", "assignee_harmonized": [], "ipc": []}
    path = tmp_path / "bq.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in (b, a)), encoding="utf-8")
    result, errors = import_file(warehouse, path)
    assert errors == [] and result.rows_read == 2
    app = warehouse.frame("SELECT title, abstract, ipc_main FROM applications").values.tolist()
    assert app == [["一种锂离子电池正极材料", "摘要甲", "H01M4/58"]]  # B's title; A's abstract and classes
    parties = warehouse.frame("SELECT name, role FROM parties").values.tolist()
    assert parties == [["重庆市永川区甲科技有限公司", "patentee"]]  # A's applicant, the right granted by B


def test_google_jsonl_with_a_bom_and_a_line_that_is_no_record(warehouse, tmp_path):
    path = tmp_path / "bq.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in google_rows()), encoding="utf-8-sig")
    check_google_import(warehouse, path)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([json.dumps(google_rows()[0], ensure_ascii=False), "[1, 2]"]), encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        import_file(warehouse, bad)
    assert [(e.row, e.field) for e in caught.value.errors] == [(2, "record")]


@pytest.mark.parametrize("bom", [b"\xef\xbb\xbf", b""])
@pytest.mark.parametrize("inside", [1, 2])
def test_utf8_sample_cut_inside_a_character_is_still_utf8(tmp_path, bom, inside):
    """The encoding is judged on the first ENCODING_SAMPLE_BYTES: a 3-byte character cut there (after 1 or 2 of its
    bytes) is the sample's end, not a foreign encoding — with a byte-order mark too (the default demo's trademark
    file once hit this: utf-8-sig counts error positions after the BOM)."""
    from hvpatent.ingest.limits import ENCODING_SAMPLE_BYTES
    from hvpatent.ingest.readers import detect_encoding

    filler = b"a" * (ENCODING_SAMPLE_BYTES - len(bom) - inside)
    path = tmp_path / "cut.csv"
    path.write_bytes(bom + filler + "中文".encode() + b"\n")
    assert detect_encoding(path) == "utf-8-sig"
