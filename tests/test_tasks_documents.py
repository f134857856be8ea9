"""The documents of the tasks room, read back the way a reader meets them: the assessment sheet (xlsx: numbers as
numbers, a formula-like unit name kept as text, weights and settings source at the top), the reminder letter (docx,
Chinese and English; the filing date counted in working days over National Day 2024) and the bulletin's section on
the key tasks (the latest period due on the day before, of and after its due date; the docx section and the xlsx
sheet of the hand-built district's bulletin; the cooperating units counted under report_by: all); the bulletin's
issue day and the bureau pages' default day are Beijing's today on a host eight hours behind."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime

import pytest
from docx import Document
from openpyxl import load_workbook

import world
from hvpatent.plan.model import load_plan
from hvpatent.reports.assessment_sheet import write_assessment_xlsx
from hvpatent.reports.task_letters import period_label, reminder_letter, reminder_letters, safe_file_name
from hvpatent.reports.tasks_section import HEADING, SHEET, tasks_section
from hvpatent.tasks import AssessmentRow, ReportStatus
from hvpatent.tasks.config import default_config
from hvpatent.warehouse.store import Warehouse

PLAN = load_plan()
EVIL = "=cmd|' /C calc'!A0"


def row(unit: str, total: float | None, rank: int | None, **parts) -> AssessmentRow:
    details = [{"task_number": 2, "title": "=HYPERLINK(\"http://x\")", "status": "late", "timeliness": 60.0,
                "indicators": [{"key": "valid_inventions", "name": "有效发明专利", "direction": "up", "score": 100.0},
                               {"key": "invention_applications", "name": "=1+1", "direction": None, "score": None}]}]
    return AssessmentRow(unit, "2024Q3", parts.get("t"), parts.get("i"), parts.get("q"), total, rank, details,
                         parts.get("notes", []))


ROWS = [row("区科技局", 89.0, 1, t=100.0, i=80.0, q=90.0),
        row(EVIL, 60.0, 2, t=60.0, i=60.0, notes=["缺少定性评价分 / no qualitative score"])]


def _cells(ws) -> list[list]:
    return [[c.value for c in r] for r in ws.iter_rows()]


# -- the assessment sheet -------------------------------------------------------------------------------------------

def test_the_sheet_states_weights_and_source_and_keeps_numbers() -> None:
    wb = load_workbook(io.BytesIO(write_assessment_xlsx(ROWS, PLAN, "2024Q3", date(2024, 10, 25),
                                                        config=default_config())))
    assert wb.sheetnames[0] == "汇总" and len(wb.sheetnames) == 3
    cells = _cells(wb["汇总"])
    assert cells[0][0] == f"{PLAN.name} 考核评分表"
    assert cells[1][:2] == ["报送期", "2024Q3"] and cells[2][:2] == ["数据截至", "2024-10-25"]
    assert cells[3][:2] == ["权重", "报送及时性 30，指标进展 40，定性评价分 30"]
    assert cells[4][0] == "设置来源" and cells[4][1].endswith("tasks.yaml")
    header = cells.index(["排名", "单位", "报送及时性", "指标进展", "定性评价分", "总分", "说明"])
    assert cells[header + 1] == [1, "区科技局", 100, 80, 90, 89, None]
    assert cells[header + 2][2:] == [60, 60, None, 60, "缺少定性评价分"]


def test_no_formula_reaches_the_sheet_live() -> None:
    wb = load_workbook(io.BytesIO(write_assessment_xlsx(ROWS, PLAN, "2024Q3", date(2024, 10, 25),
                                                        config=default_config())))
    unit_cells = [c for ws in wb for r in ws.iter_rows() for c in r if isinstance(c.value, str) and "cmd" in c.value]
    assert unit_cells and all(c.value == "'" + EVIL and c.data_type == "s" for c in unit_cells)
    unit_sheet = wb[wb.sheetnames[2]]          # the unit's own sheet: its name made legal, its task a string
    name = [c for r in unit_sheet.iter_rows() for c in r if isinstance(c.value, str) and "1+1" in c.value]
    assert [(c.value, c.data_type) for c in name] == [("'=1+1", "s")]
    assert all(c.data_type != "f" for ws in wb for r in ws.iter_rows() for c in r)


def test_a_units_sheet_lists_its_tasks_and_indicators_in_english() -> None:
    wb = load_workbook(io.BytesIO(write_assessment_xlsx(ROWS, PLAN, "2024Q3", date(2024, 10, 25), lang="en",
                                                        config=default_config())))
    assert wb.sheetnames[:2] == ["Summary", "区科技局"]
    cells = _cells(wb["区科技局"])
    assert cells[0] == ["区科技局", "Total", 89, "Rank", 1, None]
    assert cells[1] == ["Task", "Status", "Timeliness", "Indicator", "Change", "Score"]
    assert cells[2][1:3] == ["late", 60] and cells[3][3:] == ["有效发明专利", "up", 100]
    assert _cells(wb["Summary"])[3][1] == "Timeliness 30，Indicator progress 40，Qualitative score 30"


# -- reminder letters -----------------------------------------------------------------------------------------------

def status(n: int, unit: str, period: str, due: date, state: str = "overdue", late: int | None = 3) -> ReportStatus:
    task = PLAN.task(n)
    return ReportStatus(PLAN.key, n, task.title, unit, "responsible", period, due, state, None, None, None, late)


STATUSES = [status(3, "区科技局", "2024Q2", date(2024, 7, 12), late=55),
            status(2, "区科技局", "2024Q3", date(2024, 10, 18), late=1),
            status(2, "区经济信息委", "2024Q3", date(2024, 10, 18), "on_time", None),
            status(1, "区经济信息委", "2024Q3", date(2024, 10, 18), "late", 2),
            status(4, "区知识产权局", "2024Q3", date(2024, 10, 18))]


def _doc(data: bytes) -> tuple[str, list[list[str]]]:
    doc = Document(io.BytesIO(data))
    return "\n".join(p.text for p in doc.paragraphs), [[c.text for c in r.cells] for t in doc.tables for r in t.rows]


@pytest.mark.parametrize(("issued_on", "by"), [(date(2024, 9, 26), "2024年10月9日"),
                                               (date(2024, 9, 27), "2024年10月10日"),
                                               (date(2024, 9, 28), "2024年10月10日")])
def test_the_filing_date_is_counted_in_working_days(issued_on: date, by: str) -> None:
    # 5 working days: 09-29 (Sun) and 09-30 worked, 10-01..07 National Day off
    text, _ = _doc(reminder_letter(PLAN, "区科技局", STATUSES, date(2024, 10, 21), issued_on=issued_on))
    assert f"请贵单位在5个工作日内、即{by}（含当日）前" in text   # a filing on that day is in time


def test_the_letter_lists_only_the_units_overdue_reports() -> None:
    text, cells = _doc(reminder_letter(PLAN, "区科技局", STATUSES, date(2024, 10, 21)))
    assert text.startswith(f"关于报送《{PLAN.name}》重点任务进展情况的催报函\n区科技局：")
    assert "截至2024年10月21日，贵单位尚有2份进展报告逾期未报送" in text
    assert cells[1:] == [[f"3. {PLAN.task(3).title}", "2024年第2季度", "2024年7月12日", "55"],
                         [f"2. {PLAN.task(2).title}", "2024年第3季度", "2024年10月18日", "1"]]
    assert cells[0] == ["任务", "报送期", "报送截止日", "逾期工作日"]
    assert text.endswith("永川区知识产权局\n2024年10月21日")
    assert "即2024年10月28日（含当日）前" in text   # 10-21 (Mon) + 5 working days
    # under report_by: all a cooperating unit gets the letter too: the rule names every reporting unit
    assert "各报送单位应在每个报送期结束后" in text and "责任单位" not in text


def test_the_english_twin() -> None:
    text, cells = _doc(reminder_letter(PLAN, "区科技局", STATUSES, date(2024, 10, 21), lang="en",
                                       issued_on=date(2024, 10, 21)))
    assert text.startswith(f"Reminder: progress reports on the key tasks of the {PLAN.name_en}\nTo 区科技局:")
    assert "2 of your progress reports are overdue" in text
    assert "by 2024-10-28, that day included (within 5 working days)" in text
    assert "each reporting unit reports" in text and "responsible" not in text
    assert cells[0] == ["Task", "Period", "Due date", "Working days overdue"] and cells[2][1:] == [
        "2024Q3", "2024-10-18", "1"]
    assert text.endswith("Intellectual Property Office (永川区知识产权局)\n2024-10-21")


def test_one_letter_per_unit_with_overdue_reports() -> None:
    letters = reminder_letters(PLAN, STATUSES, date(2024, 10, 21), issuer="某区知识产权局")
    assert list(letters) == ["区知识产权局", "区科技局"]   # the plan's unit order; 区经济信息委 filed (late) both
    text, cells = _doc(letters["区知识产权局"])
    assert "区知识产权局：" in text and len(cells) == 2 and text.endswith("某区知识产权局\n2024年10月21日")


@pytest.mark.parametrize(("name", "safe"), [
    ("区科技局", "区科技局"), ("../../etc/passwd", "_etc_passwd"), ("a/b\\c", "a_b_c"), ("..", "unit"), ("", "unit"),
    (" . ", "unit"), ("a\x00b\x7fc", "a_b_c"), ('x:*?"<>|y', "x_y"), ("a..b.c", "a_b.c"), ("局" * 150, "局" * 100),
    # Windows device names, whatever the case or extension, get a leading "_"; a longer word is a plain name
    ("CON", "_CON"), ("nul.txt", "_nul.txt"), ("com1", "_com1"), ("Lpt9 .x", "_Lpt9 .x"), ("CONSOLE", "CONSOLE"),
    ("COM10", "COM10"),
    # the cut at 100 characters never leaves a trailing space or dot (Windows would drop it)
    ("局" * 99 + " x", "局" * 99), ("a" * 99 + ".b", "a" * 99), ("局" * 98 + ". x", "局" * 98),
])
def test_safe_file_name(name: str, safe: str) -> None:
    assert safe_file_name(name) == safe


def test_unique_file_names() -> None:
    from hvpatent.reports.task_letters import unique_file_names

    # two units cleaning to the same name, a case twin (one file on Windows and macOS) and a name that is
    # already someone's "-2": each keeps its place, none overwrites another
    assert unique_file_names(["区测_试局.docx", "区测_试局.docx", "A.docx", "a.docx", "区测_试局-2.docx", "x",
                              "x"]) == ["区测_试局.docx", "区测_试局-2.docx", "A.docx", "a-2.docx",
                                        "区测_试局-2-2.docx", "x", "x-2"]
    assert unique_file_names(["a.docx", "b.docx"]) == ["a.docx", "b.docx"]


def test_period_labels() -> None:
    assert [period_label(k) for k in ("2024-09", "2024Q3", "2024H2", "2024H1", "2024")] == [
        "2024年9月", "2024年第3季度", "2024年下半年", "2024年上半年", "2024年"]
    assert period_label("2024Q3", 1) == "2024Q3"


# -- the bulletin's section -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory):
    warehouse = Warehouse(tmp_path_factory.mktemp("tasks_docs") / "world.duckdb")
    world.build(warehouse)
    # 2024Q3, due 2024-10-18: task 1 filed on the due date (on time), task 3 the next working day (late by 1)
    # task 1's report amended after the due date (v2, 10-22): still on time, filed 10-18, amended 10-22
    for n, unit, v, at in [(1, "区经济信息委", 1, datetime(2024, 10, 18, 17)),
                           (3, "区科技局", 1, datetime(2024, 10, 21, 9)),
                           (1, "区经济信息委", 2, datetime(2024, 10, 22, 9))]:
        warehouse.con.execute("INSERT INTO task_reports VALUES (?, ?, ?, ?, '2024Q3', ?, '进展', '[]', ?, 'u')",
                              [uuid.uuid4().hex, PLAN.key, n, unit, v, at])
    yield warehouse
    warehouse.close()


@pytest.mark.parametrize(("as_of", "period"), [(date(2024, 10, 17), "2024年第2季度"),
                                               (date(2024, 10, 18), "2024年第3季度"),
                                               (date(2024, 10, 19), "2024年第3季度")])
def test_the_section_reports_the_latest_period_due(wh: Warehouse, as_of: date, period: str) -> None:
    sec = tasks_section(wh.ibis(), PLAN, as_of)
    assert sec is not None and sec.heading == HEADING
    assert sec.paragraphs[0].startswith(period)


def test_the_section_counts_and_names_the_overdue_units(wh: Warehouse) -> None:
    sheets: dict = {}
    sec = tasks_section(wh.ibis(), PLAN, date(2024, 10, 25), sheets=sheets)
    # 14 required reports (the responsible units of the 11 tasks); 1 on time, 1 late, 12 overdue
    assert sec.paragraphs[0] == ("2024年第3季度进展报告的报送截止日为2024年10月18日（含当日），应报14份，"
                                 "其中按时报送1份、逾期报送1份、逾期未报12份。逾期未报的单位：区知识产权局、区科技局、区经济信息委、永川银保监分局。")
    assert sheets[SHEET] == sec.tables[0].rows and len(sheets[SHEET]) == 14
    first = sheets[SHEET][0]
    # the filing day is the first version's (on time on the due date); the amendment's day apart
    assert (first["unit"], first["status"], first["submitted"], first["amended"]) == (
        "区经济信息委", "按时报送", date(2024, 10, 18), date(2024, 10, 22))
    late = next(r for r in sheets[SHEET] if r["task"].startswith("3."))
    assert (late["status"], late["working_days_late"], late["amended"]) == ("逾期报送", 1, None)
    # overdue on Sat 10-19, the day after the due date: 1 working day, as a report filed that day would be late
    on_saturday = tasks_section(wh.ibis(), PLAN, date(2024, 10, 19)).tables[0].rows
    assert {r["working_days_late"] for r in on_saturday if r["status"] == "逾期未报"} == {1}
    assert len(sec.tables) == 1     # no qualitative score yet: no assessment table


def test_no_section_without_tasks_or_before_the_first_due_date(wh: Warehouse) -> None:
    from dataclasses import replace

    import ibis

    assert tasks_section(wh.ibis(), replace(PLAN, tasks=()), date(2024, 10, 25)) is None
    assert tasks_section(ibis.duckdb.connect(), PLAN, date(2024, 10, 25)) is None   # no task_reports table
    early = tasks_section(wh.ibis(), PLAN, date(2023, 1, 1))
    assert early.paragraphs == [f"截至2023年1月1日，《{PLAN.name}》尚无到期的报送期。"] and not early.tables


def test_under_report_by_all_the_section_counts_the_cooperating_units_too(wh: Warehouse) -> None:
    from dataclasses import replace

    every = replace(PLAN, reporting=replace(PLAN.reporting, report_by="all"))
    sec = tasks_section(wh.ibis(), every, date(2024, 10, 25))
    # 14 responsible + 29 cooperating (3+5+5+5+1+1+2+1+3+1+2 over tasks 1-11) = 43 reports due
    assert "应报43份，其中按时报送1份、逾期报送1份、逾期未报41份" in sec.paragraphs[0]
    assert len(sec.tables[0].rows) == 43 and "区教委" in sec.paragraphs[0]


def _frozen_clock(monkeypatch: pytest.MonkeyPatch, instant: datetime) -> None:
    """The host's clock at ``instant`` (UTC): Beijing is 8 hours ahead."""
    import hvpatent.reference.clock as clock

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            at = instant.replace(tzinfo=UTC)
            return at.astimezone(tz) if tz else at.replace(tzinfo=None)

    monkeypatch.setattr(clock, "datetime", Frozen)


def test_the_bulletin_carries_the_section_and_its_sheet(wh: Warehouse, tmp_path, monkeypatch) -> None:
    from hvpatent.reports import build_bulletin, write_bulletin

    _frozen_clock(monkeypatch, datetime(2024, 10, 27, 23, 30))   # 10-28 07:30 in Beijing, 10-27 on a UTC host
    bulletin = build_bulletin(wh.ibis(), date(2024, 10, 25), "quarter", "500118", PLAN, exclude_abnormal=False)
    assert bulletin.issued_on == date(2024, 10, 28)               # no issue day given: today in Beijing
    headings = [s.heading for s in bulletin.sections]
    assert headings[2] == f"三、{HEADING}" and headings[1].startswith("二、《")   # right after the plan's targets
    doc = Document(str(write_bulletin(bulletin, "docx", tmp_path / "b.docx")))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"三、{HEADING}" in text and "应报14份，其中按时报送1份" in text
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "任务" and t.rows[0].cells[1].text == "报送单位")
    assert len(table.rows) == 15
    wb = load_workbook(write_bulletin(bulletin, "xlsx", tmp_path / "b.xlsx"))
    sheet = _cells(wb[SHEET])
    assert sheet[0] == ["任务", "报送单位", "报送期", "报送截止日", "报送情况", "报送日", "最近修改", "逾期工作日"]
    assert len(sheet) == 15 and sheet[1][1:5] == ["区经济信息委", "2024Q3", datetime(2024, 10, 18), "按时报送"]


def test_the_assessment_over_the_warehouse_and_in_the_section(wh: Warehouse) -> None:
    from hvpatent.tasks import assessment_sheet, record_score

    record_score(wh.con, PLAN, "区科技局", "2024Q3", 90, note=None, by="li", now=datetime(2024, 10, 20, 9))
    try:
        rows = {r.unit: r for r in assessment_sheet(wh.ibis(), PLAN, "2024Q3", date(2024, 10, 25))}
        sci = rows["区科技局"]
        # task 2 overdue (0), task 3 filed the working day after the due date (60)
        assert (sci.timeliness, sci.qualitative) == (30.0, 90.0)
        assert [d["task_number"] for d in sci.details] == [2, 3]
        assert [i["key"] for d in sci.details for i in d["indicators"]] == [
            "high_value_inventions", "high_value_award", "invention_applications"]
        if sci.indicators is not None:
            assert sci.total == round(0.3 * 30 + 0.4 * sci.indicators + 0.3 * 90, 2)
        assert rows["区经济信息委"].qualitative is None and rows["区经济信息委"].notes
        sec = tasks_section(wh.ibis(), PLAN, date(2024, 10, 25))
        ranks = sec.tables[1]
        assert ranks.title == "2024Q3考核评分" and {r["unit"] for r in ranks.rows} == set(rows)
        assert tasks_section(wh.ibis(), PLAN, date(2024, 10, 19)).tables[1:] == []   # scored on 10-20
    finally:
        wh.con.execute("DELETE FROM unit_scores")


@pytest.mark.parametrize(("instant", "day"), [(datetime(2024, 10, 18, 15, 59), date(2024, 10, 18)),
                                              (datetime(2024, 10, 18, 16, 0), date(2024, 10, 19))])
def test_the_bureaus_pages_default_day_is_beijings(monkeypatch, instant: datetime, day: date) -> None:
    # web/abnormal.as_of_day, the default day of the bureau's task pages too: Beijing's today, whatever the host's
    from types import SimpleNamespace

    from hvpatent.web.abnormal import as_of_day

    _frozen_clock(monkeypatch, instant)
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(default_as_of=None)))
    assert as_of_day(None, request) == day
    request.app.state.default_as_of = date(2024, 1, 2)    # the app's fixed day still wins
    assert as_of_day("", request) == date(2024, 1, 2)
