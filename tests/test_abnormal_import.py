"""The abnormal-application notice importer (ingest/abnormal.py): CNIPA's lists into ``abnormal_notices``.

The files under tests/real_shapes/abnormal/ are hand-written; each test works out the rows it expects.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from hvpatent.ingest import ImportRejected, import_file
from hvpatent.ingest.abnormal import looks_like_abnormal, outcome_of
from hvpatent.ingest.templates import write_template
from hvpatent.warehouse.store import Warehouse

SHAPES = Path(__file__).parent / "real_shapes" / "abnormal"
A1, A2, A3, B1 = "202320111111.4", "202320222222.2", "202310333333.5", "202330444444.4"
JIA, YI, AGENCY, BATCH = "重庆甲机械有限公司", "重庆乙文创有限公司", "重庆某某专利代理事务所", "2024年第1批"
D = date
NOTICE = D(2024, 3, 15)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("abnormal") / "base.duckdb"
    Warehouse(path).close()
    return path


@pytest.fixture
def wh(base, tmp_path):
    copy = tmp_path / "w.duckdb"
    shutil.copy(base, copy)
    warehouse = Warehouse(copy)
    yield warehouse
    warehouse.close()


def notices(wh: Warehouse) -> list[tuple]:
    return [tuple(r) for r in wh.con.execute("SELECT * FROM abnormal_notices ORDER BY app_no, notice_date").fetchall()]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


LISTED = [
    (A3, NOTICE, BATCH, JIA, None, "notified", None, "cnipa_notices.csv"),
    (A1, NOTICE, BATCH, JIA, AGENCY, "notified", None, "cnipa_notices.csv"),
    (A2, NOTICE, BATCH, JIA, AGENCY, "notified", None, "cnipa_notices.csv"),
    (B1, NOTICE, BATCH, YI, AGENCY, "notified", None, "cnipa_notices.csv"),
]


def test_cnipa_list_imports_every_row_and_again_changes_nothing(wh):
    result, skipped = import_file(wh, SHAPES / "cnipa_notices.csv")
    assert skipped == []
    assert (result.rows_read, result.rows_inserted, result.rows_updated) == (4, 4, 0)
    assert notices(wh) == LISTED  # numbers without dot / with CN, ZL; four spellings of 2024-03-15
    again, _ = import_file(wh, SHAPES / "cnipa_notices.csv")
    assert again.already_imported and notices(wh) == LISTED
    kind, source = wh.con.execute("SELECT kind, source FROM imports ORDER BY import_id").fetchall()[0]
    assert (kind, source) == ("abnormal", "template:abnormal")


def test_outcomes_without_notice_dates_update_the_notices_and_keep_their_other_cells(wh):
    import_file(wh, SHAPES / "cnipa_notices.csv")
    result, _ = import_file(wh, SHAPES / "outcomes.csv")
    assert (result.rows_read, result.rows_inserted, result.rows_updated) == (3, 0, 3)
    assert notices(wh) == [
        (A3, NOTICE, BATCH, JIA, None, "overturned", D(2024, 5, 20), "outcomes.csv"),
        (A1, NOTICE, BATCH, JIA, AGENCY, "withdrawn", D(2024, 4, 10), "outcomes.csv"),
        (A2, NOTICE, BATCH, JIA, AGENCY, "upheld", D(2024, 5, 20), "outcomes.csv"),
        LISTED[3],
    ]


def test_the_list_read_again_after_the_outcomes_never_undoes_them(wh, tmp_path):
    import_file(wh, SHAPES / "cnipa_notices.csv")
    import_file(wh, SHAPES / "outcomes.csv")
    text = (SHAPES / "cnipa_notices.csv").read_text(encoding="utf-8")  # one more row: another file, read anew
    row = "5,202410555555.6,一种阀门,重庆甲机械有限公司,,2024-06-03,2024年第2批\n"
    later = write(tmp_path, "list2.csv", text + row)
    result, _ = import_file(wh, later)
    assert result.rows_inserted == 1
    rows = {(r[0], r[1]): r for r in notices(wh)}
    assert rows[(A1, NOTICE)][5:7] == ("withdrawn", D(2024, 4, 10))
    assert rows[(A2, NOTICE)][5] == "upheld" and rows[(A3, NOTICE)][5] == "overturned"
    assert rows[("202410555555.6", D(2024, 6, 3))] == (
        "202410555555.6", D(2024, 6, 3), "2024年第2批", JIA, None, "notified", None, "list2.csv")


@pytest.mark.parametrize(("outcome_day", "meant"), [
    ("2024-09-09", D(2024, 3, 15)),   # the day before the second notice: the first
    ("2024-09-10", D(2024, 9, 10)),   # the day of the second notice: the second
    ("2024-09-11", D(2024, 9, 10)),   # the day after: the second
])
def test_an_outcome_without_a_notice_date_belongs_to_the_latest_notice_on_or_before_it(wh, tmp_path, outcome_day,
                                                                                      meant):
    import_file(wh, write(tmp_path, "n.csv", f"申请号,发文日,批次\n{A1},2024-03-15,第1批\n{A1},2024-09-10,第5批\n"))
    import_file(wh, write(tmp_path, "o.csv", f"申请号,处理结果,处理日期\n{A1},撤回,{outcome_day}\n"))
    outcomes = {r[1]: r[5] for r in notices(wh)}
    assert outcomes == {meant: "withdrawn", ({D(2024, 3, 15), D(2024, 9, 10)} - {meant}).pop(): "notified"}


@pytest.mark.parametrize(("outcome_day", "ok"), [("2024-03-14", False), ("2024-03-15", True), ("2024-03-16", True)])
def test_an_outcome_date_before_the_notice_is_refused(wh, tmp_path, outcome_day, ok):
    path = write(tmp_path, "d.csv", f"申请号,通知书发文日,处理结果,处理日期\n{A1},2024-03-15,复核维持,{outcome_day}\n")
    if ok:
        import_file(wh, path)
        assert notices(wh)[0][5:7] == ("upheld", date.fromisoformat(outcome_day))
        return
    with pytest.raises(ImportRejected) as err:
        import_file(wh, path)
    e = err.value.errors[0]
    assert (e.file, e.row, e.field, e.value) == ("d.csv", 2, "处理日期", "2024-03-14")
    assert notices(wh) == []


def test_bad_rows_name_file_row_and_field_and_nothing_is_stored(wh, tmp_path):
    path = write(tmp_path, "bad.csv", "申请号,通知书发文日,处理结果\n"
                 f"{A1},2024-03-15,\n"              # good
                 "202320111111.5,2024-03-15,\n"     # wrong check digit
                 f"{A2},2024-13-40,\n"              # no such day
                 f"{A3},2024-03-15,已驳回\n"        # not an outcome word
                 f"{B1},,撤回\n")                   # an outcome of no stored notice, without its date
    with pytest.raises(ImportRejected) as err:
        import_file(wh, path)
    where = [(e.file, e.row, e.field) for e in err.value.errors]
    assert where == [("bad.csv", 3, "申请号"), ("bad.csv", 4, "通知书发文日"), ("bad.csv", 5, "处理结果"),
                     ("bad.csv", 6, "通知书发文日")]
    assert notices(wh) == []  # atomic: the good row is not kept either
    _, skipped = import_file(wh, path, skip_bad_rows=True)
    assert len(skipped) == 4 and [r[0] for r in notices(wh)] == [A1]


def test_template_is_written_recognised_and_imported(wh, tmp_path):
    path = write_template("abnormal", tmp_path / "abnormal.xlsx")
    wb = load_workbook(path)
    ws = wb.active
    assert [c.value for c in ws[1]] == ["申请号", "发明创造名称", "申请人", "代理机构", "通知书发文日", "批次",
                                        "处理结果", "处理日期"]
    ws.append([B1, "包装盒", YI, None, "2024-03-15", BATCH, "复核撤销", "2024-04-01"])
    wb.save(path)
    assert looks_like_abnormal(path)
    import_file(wh, path)
    assert notices(wh) == [(B1, NOTICE, BATCH, YI, None, "overturned", D(2024, 4, 1), "abnormal.xlsx")]


def test_patent_exports_are_not_taken_for_notice_lists():
    shapes = Path(__file__).parent / "real_shapes"
    assert not looks_like_abnormal(shapes / "cnipa_plain.csv")
    assert not looks_like_abnormal(shapes / "patsnap.xlsx")
    assert looks_like_abnormal(SHAPES / "outcomes.csv")


@pytest.mark.parametrize(("word", "code"), [
    ("", "notified"), ("已撤回", "withdrawn"), ("视为撤回", "withdrawn"), ("复核维持", "upheld"),
    ("复核撤销", "overturned"), ("不予认定", "overturned"), ("overturned", "overturned"), (" 撤 回 ", "withdrawn"),
])
def test_outcome_words(word, code):
    assert outcome_of(word) == code


def test_an_unknown_outcome_word_names_the_choices():
    with pytest.raises(ValueError, match="撤回 / 复核维持 / 复核撤销"):
        outcome_of("驳回")


def test_the_demo_world_notifies_a_few_applications_of_one_enterprise(tmp_path):
    from hvpatent.demo import generate_demo

    paths = generate_demo(tmp_path / "demo", applications=400, seed=5, comparison=0)
    assert [p.name for p in paths][-1] == "abnormal_notices.xlsx"
    with Warehouse(tmp_path / "w.duckdb") as wh:
        for path in (paths[0], paths[-1]):
            import_file(wh, path)
        rows = notices(wh)
        known = {r[0] for r in wh.con.execute("SELECT app_no FROM applications").fetchall()}
    assert len(rows) == 4 and len({r[3] for r in rows}) == 1 and {r[0] for r in rows} <= known
    assert sorted(r[5] for r in rows) == ["notified", "notified", "overturned", "withdrawn"]
    assert all(r[6] is None or r[6] > r[1] for r in rows)


# A file is one import: an outcome row finds its notice in the same file, above or below it (finding 7).
BOTH_NOTICE = f"{A1},一种夹具,{JIA},{AGENCY},2024-03-15,{BATCH},,\n"
BOTH_HEADER = "申请号,发明创造名称,申请人,代理机构,通知书发文日,批次,处理结果,处理日期\n"


def both(tmp_path: Path, outcome_day: str, notice_first: bool, name: str = "both.csv") -> Path:
    outcome = f"{A1},,,,,,撤回,{outcome_day}\n"
    rows = BOTH_NOTICE + outcome if notice_first else outcome + BOTH_NOTICE
    return write(tmp_path, name, BOTH_HEADER + rows)


@pytest.mark.parametrize("notice_first", [True, False])
@pytest.mark.parametrize(("outcome_day", "ok"), [("2024-03-14", False), ("2024-03-15", True), ("2024-03-16", True)])
def test_an_outcome_row_finds_its_notice_in_the_same_file(wh, tmp_path, notice_first, outcome_day, ok):
    path = both(tmp_path, outcome_day, notice_first)
    if not ok:  # the day before the file's only notice: no notice to belong to
        with pytest.raises(ImportRejected) as err:
            import_file(wh, path)
        e = err.value.errors[0]
        assert (e.file, e.row, e.field) == ("both.csv", 3 if notice_first else 2, "通知书发文日")
        assert len(err.value.errors) == 1 and notices(wh) == []
        return
    result, _ = import_file(wh, path)
    assert (result.rows_read, result.rows_inserted) == (2, 1)
    assert notices(wh) == [(A1, NOTICE, BATCH, JIA, AGENCY, "withdrawn", date.fromisoformat(outcome_day), "both.csv")]


@pytest.mark.parametrize("notice_first", [True, False])
@pytest.mark.parametrize(("outcome_day", "meant"), [
    ("2024-09-09", D(2024, 3, 15)),   # the day before the file's notice: the stored one
    ("2024-09-10", D(2024, 9, 10)),   # the day of the file's notice: the file's
    ("2024-09-11", D(2024, 9, 10)),   # the day after: the file's
])
def test_an_outcome_row_chooses_among_stored_and_file_notices(wh, tmp_path, notice_first, outcome_day, meant):
    import_file(wh, write(tmp_path, "n.csv", f"申请号,发文日,批次\n{A1},2024-03-15,第1批\n"))
    notice, outcome = f"{A1},2024-09-10,第5批,,\n", f"{A1},,,撤回,{outcome_day}\n"
    rows = notice + outcome if notice_first else outcome + notice
    import_file(wh, write(tmp_path, "o.csv", "申请号,发文日,批次,处理结果,处理日期\n" + rows))
    first = (A1, D(2024, 3, 15), "第1批", None, None)
    second = (A1, D(2024, 9, 10), "第5批", None, None)
    day = date.fromisoformat(outcome_day)
    if meant == D(2024, 3, 15):
        assert notices(wh) == [(*first, "withdrawn", day, "o.csv"), (*second, "notified", None, "o.csv")]
    else:
        assert notices(wh) == [(*first, "notified", None, "n.csv"), (*second, "withdrawn", day, "o.csv")]


def test_a_file_with_an_in_file_notice_and_a_bad_row_stores_nothing(wh, tmp_path):
    import_file(wh, SHAPES / "cnipa_notices.csv")
    path = write(tmp_path, "x.csv", "申请号,通知书发文日,批次,处理结果,处理日期\n"
                 f"{A1},2024-09-10,第5批,,\n"       # a new notice
                 f"{A1},,,撤回,2024-09-11\n"        # its outcome, found in this file
                 f"{A2},2024-03-15,,已驳回,\n")     # not an outcome word
    with pytest.raises(ImportRejected) as err:
        import_file(wh, path)
    assert [(e.row, e.field) for e in err.value.errors] == [(4, "处理结果")]
    assert notices(wh) == LISTED  # atomic: neither the new notice nor its outcome is kept


def test_the_same_rows_again_change_nothing(wh, tmp_path):
    import_file(wh, both(tmp_path, "2024-04-10", notice_first=True))
    stored = [(A1, NOTICE, BATCH, JIA, AGENCY, "withdrawn", D(2024, 4, 10), "both.csv")]
    assert notices(wh) == stored
    again = tmp_path / "again"
    again.mkdir()
    copy = both(again, "2024-04-10", notice_first=True)
    copy.write_text(copy.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # other bytes: read, not skipped
    result, _ = import_file(wh, copy)
    assert not result.already_imported and result.rows_inserted == 0
    assert notices(wh) == stored  # the notice row read again keeps the outcome and its date


def test_a_changed_outcome_without_a_date_drops_the_old_date(wh, tmp_path):
    import_file(wh, SHAPES / "cnipa_notices.csv")
    import_file(wh, SHAPES / "outcomes.csv")  # A1 withdrawn 2024-04-10, A2 upheld 2024-05-20, A3 overturned 05-20
    path = write(tmp_path, "c.csv", "申请号,通知书发文日,处理结果\n"
                 f"{A1},2024-03-15,复核维持\n"      # changed, no date: no date
                 f"{A2},2024-03-15,复核维持\n"      # the same outcome, no date: keeps its date
                 f"{A3},2024-03-15,\n")             # notified: keeps the outcome and its date
    import_file(wh, path)
    assert notices(wh) == [
        (A3, NOTICE, BATCH, JIA, None, "overturned", D(2024, 5, 20), "c.csv"),
        (A1, NOTICE, BATCH, JIA, AGENCY, "upheld", None, "c.csv"),
        (A2, NOTICE, BATCH, JIA, AGENCY, "upheld", D(2024, 5, 20), "c.csv"),
        LISTED[3],
    ]
