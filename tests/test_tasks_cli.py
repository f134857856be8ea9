"""`hvp tasks …` and `hvp users add --role unit` (cli/tasks.py, cli/users.py; docs/tasks.md, "Command line"): the
plan's tasks for a unit, a report filed with a real small PDF and PNG and read back (show, history, file), the
status around the 2024Q3 due date, refusals (a renamed executable, an oversized file never read, a bad figure, an
unknown plan, unit or period) with exit 2 and nothing stored, reminder letters, a qualitative score and the
assessment sheet in xlsx.

The district is world.py; the plan is the shipped seed plan (quarterly reports, due 10 working days after the
quarter).  2024Q3 ends on 2024-09-30; the National Day holiday (10-01..07 off, Saturday 10-12 a working day) makes
its due date 2024-10-18 (Friday): 10-08, 09, 10, 11, 12, 14, 15, 16, 17, 18.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

import world

KEJI, JINGXIN = "区科技局", "区经济信息委"
DUE = date(2024, 10, 18)


def hvp(*args: str, lang: str = "en"):
    from typer.testing import CliRunner

    from hvpatent.cli.main import app

    return CliRunner().invoke(app, ["--lang", lang, *args])


def refused(result, words: str) -> bool:
    """Exit 2 with the words in the output and no traceback."""
    return (result.exit_code == 2 and words in result.output and "Traceback" not in result.output
            and (result.exception is None or isinstance(result.exception, SystemExit)))


def small_pdf() -> bytes:
    """A one-page PDF written by hand, with a correct cross-reference table."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def small_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The world's warehouse (closed, as `hvp` opens it), made once."""
    from hvpatent.warehouse.store import Warehouse

    db = tmp_path_factory.mktemp("tasks-cli") / "w.duckdb"
    with Warehouse(db) as wh:
        world.build(wh)
    return db


@pytest.fixture()
def fresh(built, tmp_path) -> str:
    db = tmp_path / "w.duckdb"
    shutil.copy(built, db)
    return str(db)


def file_at(db: str, task: int, unit: str, period: str, when: datetime, text: str = "进展") -> dict:
    """A report filed through the room's door on a given day (the command files it now)."""
    from hvpatent.plan import load_plan
    from hvpatent.tasks import file_report
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(db) as wh:
        return file_report(wh.con, load_plan(), task, unit, period, text=text, by="clerk", now=when)


def status_rows(db: str, as_of: date, unit: str, period: str = "2024Q3") -> tuple[dict[int, dict], dict]:
    result = hvp("tasks", "status", "--db", db, "--as-of", as_of.isoformat(), "--period", period, "--unit", unit,
                 "--format", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    return {r["task_number"]: r for r in payload["rows"] if r["unit"] == unit}, payload["counts"]


# -- list and the arguments ------------------------------------------------------------------------------------------

def test_list_a_units_tasks_and_role():
    """区科技局 is responsible for tasks 2 and 3 and cooperates on 1, 4, 6 and 7 (the seed plan's task table)."""
    result = hvp("tasks", "list", "--unit", KEJI, "--format", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert {t["number"]: t["role"] for t in payload["tasks"]} == {
        1: "cooperating", 2: "responsible", 3: "responsible", 4: "cooperating", 6: "cooperating", 7: "cooperating"}
    task3 = next(t for t in payload["tasks"] if t["number"] == 3)
    assert task3["responsible"] == [KEJI] and task3["indicators"] == ["invention_applications"]
    table = hvp("tasks", "list", "--unit", KEJI, lang="zh")
    assert "责任单位" in table.output and "配合单位" in table.output and "聚焦研发活动" in table.output


def test_unknown_plan_unit_task_and_period_are_refused(built):
    assert refused(hvp("tasks", "list", "--plan", "no-such-plan"), "no such plan")
    assert refused(hvp("tasks", "list", "--plan", "/nowhere/plan.yaml"), "plan file not found")
    # resolved as `hvp plan` resolves it (plan/registry.resolve_plan): a path without a YAML suffix is a file too
    assert refused(hvp("tasks", "list", "--plan", "/nowhere/plan"), "plan file not found")
    assert refused(hvp("tasks", "list", "--unit", "区外星局"), "区外星局")
    assert refused(hvp("tasks", "status", "--db", str(built), "--period", "2024Q5"), "2024Q5")
    assert refused(hvp("tasks", "status", "--db", str(built), "--status", "lost"), "lost")
    assert refused(hvp("tasks", "report", "99", "2024Q3", "--unit", KEJI, "--text", "x", "--db", str(built)),
                   "no task 99")
    zh = hvp("tasks", "list", "--unit", "区外星局", lang="zh")
    assert refused(zh, "没有这个单位")


# -- filing and reading a report -----------------------------------------------------------------------------------

def test_report_with_a_pdf_and_a_png_then_show_history_and_file(fresh, tmp_path):
    pdf, png = tmp_path / "进展.pdf", tmp_path / "现场.png"
    pdf.write_bytes(small_pdf())
    png.write_bytes(small_png())
    result = hvp("tasks", "report", "3", "2024q3", "--unit", KEJI, "--text", "完成研发费用加计扣除政策宣讲 3 场",
                 "--figure", "宣讲场次=3 场", "--figure", "覆盖企业=120", "--attach", str(pdf), "--attach", str(png),
                 "--by", "张三", "--db", fresh)
    assert result.exit_code == 0, result.output
    assert "version 1" in result.output and "进展.pdf" in result.output
    history = hvp("tasks", "history", "3", "2024Q3", "--unit", KEJI, "--db", fresh, "--format", "json")
    assert history.exit_code == 0, history.output
    versions = json.loads(history.output)
    assert [v["version"] for v in versions] == [1]
    report_id = versions[0]["report_id"]

    shown = hvp("tasks", "show", report_id, "--db", fresh, "--format", "json")
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.output)
    assert (report["task_number"], report["unit"], report["period"], report["submitted_by"]) == (3, KEJI, "2024Q3",
                                                                                              "张三")
    assert report["figures"] == [{"name": "宣讲场次", "value": 3.0, "unit": "场"},
                                 {"name": "覆盖企业", "value": 120.0, "unit": ""}]
    assert [(f["file_no"], f["file_name"], f["kind"]) for f in report["files"]] == [(1, "进展.pdf", "pdf"),
                                                                                  (2, "现场.png", "png")]
    assert "linked_figures" in report
    assert "完成研发费用加计扣除政策宣讲" in hvp("tasks", "show", report_id, "--db", fresh).output

    out = tmp_path / "back.png"
    assert hvp("tasks", "file", report_id, "2", "--out", str(out), "--db", fresh).exit_code == 0
    assert out.read_bytes() == png.read_bytes()
    out.write_bytes(b"mine")
    assert refused(hvp("tasks", "file", report_id, "2", "--out", str(out), "--db", fresh), "exists")
    assert out.read_bytes() == b"mine"
    assert hvp("tasks", "file", report_id, "2", "--out", str(out), "--force", "--db", fresh).exit_code == 0
    assert out.read_bytes() == png.read_bytes()
    assert refused(hvp("tasks", "file", report_id, "9", "--out", str(tmp_path / "n.pdf"), "--db", fresh), "")
    assert refused(hvp("tasks", "show", "no-such-report", "--db", fresh), "")

    # an amendment with no files carries the previous version's files forward; --no-keep-files drops them
    again = hvp("tasks", "report", "3", "2024Q3", "--unit", KEJI, "--text", "补充", "--by", "张三", "--db", fresh)
    assert again.exit_code == 0 and "version 2" in again.output
    bare = hvp("tasks", "report", "3", "2024Q3", "--unit", KEJI, "--text", "再补充", "--no-keep-files", "--db",
               fresh)
    assert bare.exit_code == 0 and "version 3" in bare.output
    versions = json.loads(hvp("tasks", "history", "3", "2024Q3", "--unit", KEJI, "--db", fresh,
                              "--format", "json").output)
    counts = [v.get("file_count", len(v.get("files") or ())) for v in versions]
    assert [v["version"] for v in versions] == [1, 2, 3] and counts == [2, 2, 0]


def test_refused_attachment_exits_2_and_stores_nothing(fresh, tmp_path):
    elf = tmp_path / "报告.pdf"
    elf.write_bytes(b"\x7fELF\x02\x01\x01" + b"\x00" * 200)
    result = hvp("tasks", "report", "3", "2024Q3", "--unit", KEJI, "--text", "进展", "--attach", str(elf),
                 "--db", fresh)
    assert refused(result, "报告.pdf")
    history = hvp("tasks", "history", "3", "2024Q3", "--unit", KEJI, "--db", fresh, "--format", "json")
    assert json.loads(history.output) == []


def test_oversized_attachment_is_refused_before_it_is_read(built, tmp_path):
    """A sparse file one byte over the settings' max_file_mib: the size is taken from stat, the file never read."""
    from hvpatent.tasks import load_config

    cap = int(float(load_config().attachments["max_file_mib"]) * 1024 * 1024)
    huge = tmp_path / "huge.pdf"
    with huge.open("wb") as handle:
        handle.truncate(cap + 1)
    result = hvp("tasks", "report", "3", "2024Q3", "--unit", KEJI, "--text", "进展", "--attach", str(huge),
                 "--db", str(built))
    assert refused(result, "too large") and str(cap) in result.output


def test_bad_figures_and_text_are_refused(built, tmp_path):
    args = ("tasks", "report", "3", "2024Q3", "--unit", KEJI, "--db", str(built))
    assert refused(hvp(*args, "--text", "x", "--figure", "场次"), "name=value")
    assert refused(hvp(*args, "--text", "x", "--figure", "场次=三"), "name=value")
    assert refused(hvp(*args, "--text", "x", "--figure", "场次=inf"), "name=value")
    assert refused(hvp(*args), "--text")
    latin = tmp_path / "t.txt"
    latin.write_bytes("进展".encode("gb18030"))
    assert refused(hvp(*args, "--text-file", str(latin)), "UTF-8")


# -- status around the due date --------------------------------------------------------------------------------------

def test_status_the_day_before_of_and_after_the_due_date(fresh):
    """区科技局 files task 3 on the due date (on time) and task 2 on Monday 10-21 (late by 1 working day);
    区经济信息委 files nothing: pending on 10-17 and 10-18, overdue from Saturday 10-19 (late by at least 1 working
    day, as a report filed that day would be) and 1 working day late on Monday 10-21."""
    file_at(fresh, 3, KEJI, "2024Q3", datetime(2024, 10, 18, 17, 30))
    file_at(fresh, 2, KEJI, "2024Q3", datetime(2024, 10, 21, 9, 0))
    for day, expected in [(date(2024, 10, 17), "pending"), (DUE, "pending"), (date(2024, 10, 19), "overdue"),
                          (date(2024, 10, 21), "overdue")]:
        rows, _ = status_rows(fresh, day, JINGXIN)
        assert rows[1]["status"] == expected, day
    rows, _ = status_rows(fresh, date(2024, 10, 19), JINGXIN)
    assert rows[1]["working_days_late"] == 1 and rows[1]["due"] == DUE.isoformat()
    rows, counts = status_rows(fresh, date(2024, 10, 21), JINGXIN)
    assert rows[1]["working_days_late"] == 1 and rows[1]["status_word"] == "overdue"
    # 区经济信息委 is responsible for tasks 1 and 2 and cooperates on 3, 5, 7 and 9
    assert (counts["overdue"], counts["optional"], counts["on_time"]) == (2, 4, 0)
    rows, _ = status_rows(fresh, date(2024, 10, 21), KEJI)
    assert (rows[3]["status"], rows[2]["status"], rows[2]["working_days_late"]) == ("on_time", "late", 1)
    assert rows[1]["status"] == "optional"   # a cooperating unit's report not filed: never overdue
    zh = hvp("tasks", "status", "--db", fresh, "--as-of", "2024-10-21", "--period", "2024Q3", "--unit", KEJI,
             lang="zh")
    assert "按时报送" in zh.output and "逾期报送" in zh.output
    only = hvp("tasks", "status", "--db", fresh, "--as-of", "2024-10-21", "--period", "2024Q3", "--status",
               "overdue", "--format", "json")
    assert {r["status"] for r in json.loads(only.output)["rows"]} == {"overdue"}
    overdue = hvp("tasks", "overdue", "--db", fresh, "--as-of", "2024-10-21", "--unit", JINGXIN, "--format", "json")
    assert ("2024Q3", 1) in {(r["period"], r["task_number"]) for r in json.loads(overdue.output)["rows"]}


def test_status_shows_the_first_filing_beside_an_amendment(fresh):
    """On time on the due date, amended on 10-25: the status stays on time, its first filing is the due date's,
    the latest the amendment's; both columns are labelled in the table."""
    file_at(fresh, 3, KEJI, "2024Q3", datetime(2024, 10, 18, 17, 30))
    file_at(fresh, 3, KEJI, "2024Q3", datetime(2024, 10, 25, 9, 0), text="补充")
    rows, _ = status_rows(fresh, date(2024, 10, 28), KEJI)
    row = rows[3]
    assert (row["status"], row["version"]) == ("on_time", 2)
    shown = (row["first_submitted_at"][:16].replace("T", " "), row["submitted_at"][:16].replace("T", " "))
    assert shown == ("2024-10-18 17:30", "2024-10-25 09:00")
    zh = hvp("tasks", "status", "--db", fresh, "--as-of", "2024-10-28", "--period", "2024Q3", "--unit", KEJI,
             lang="zh")
    assert "首次报送" in zh.output and "最近报送" in zh.output and "2024-10-18" in zh.output


def test_status_csv_and_xlsx(fresh, tmp_path):
    csv_out, xlsx_out = tmp_path / "s.csv", tmp_path / "s.xlsx"
    args = ("tasks", "status", "--db", fresh, "--as-of", "2024-10-21", "--period", "2024Q3", "--unit", JINGXIN)
    assert hvp(*args, "--out", str(csv_out)).exit_code == 0
    assert csv_out.read_text(encoding="utf-8-sig").splitlines()[0].startswith("task,")
    assert hvp(*args, "--out", str(xlsx_out)).exit_code == 0
    assert load_workbook(xlsx_out).sheetnames[1] == "counts"


# -- reminders, scores, the assessment sheet -----------------------------------------------------------------------

def test_remind_writes_one_docx_per_unit_with_overdue_reports(fresh, tmp_path):
    out = tmp_path / "letters"
    result = hvp("tasks", "remind", "--db", fresh, "--as-of", "2024-10-21", "--unit", JINGXIN, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir()] == [f"{JINGXIN}.docx"]
    with zipfile.ZipFile(out / f"{JINGXIN}.docx") as docx:
        assert JINGXIN in docx.read("word/document.xml").decode("utf-8")
    nothing = hvp("tasks", "remind", "--db", fresh, "--as-of", "2022-12-01", "--out", str(tmp_path / "none"))
    assert nothing.exit_code == 0 and not (tmp_path / "none").exists()


def test_remind_writes_the_letter_in_the_users_language(fresh, tmp_path):
    """--lang en gives the English letter (the plan's English name), --lang zh the Chinese one."""
    from hvpatent.plan import load_plan

    plan = load_plan()
    texts = {}
    for lang in ("en", "zh"):
        out = tmp_path / lang
        result = hvp("tasks", "remind", "--db", fresh, "--as-of", "2024-10-21", "--unit", JINGXIN, "--out",
                     str(out), lang=lang)
        assert result.exit_code == 0, result.output
        with zipfile.ZipFile(out / f"{JINGXIN}.docx") as docx:
            texts[lang] = docx.read("word/document.xml").decode("utf-8")
    assert plan.name_en in texts["en"] and plan.name_en not in texts["zh"]


def test_safe_file_names():
    """The letters' file names come from reports/task_letters.safe_file_name (one helper for the CLI and the web)."""
    from hvpatent.reports.task_letters import safe_file_name

    assert safe_file_name("../../区科技局") == "_区科技局"
    assert safe_file_name("a/b\\c:d\n") == "a_b_c_d_"
    assert safe_file_name("..") == "unit"


def test_remind_never_overwrites_a_letter(fresh, tmp_path):
    """Units whose names clean to the same file name get "-2" (unique_file_names, as the web's zip); a Windows
    device name gets a leading "_"."""
    import yaml

    seed = yaml.safe_load(small_plan(tmp_path).read_text(encoding="utf-8"))
    task = {**seed["tasks"][0], "responsible": ["区测/试局", "区测:试局", "CON"], "cooperating": []}
    path = tmp_path / "odd-plan.yaml"
    path.write_text(yaml.safe_dump({"plan": {**seed["plan"], "key": "odd-plan"}, "targets": [], "tasks": [task]},
                                   allow_unicode=True), encoding="utf-8")
    out = tmp_path / "letters"
    result = hvp("tasks", "remind", "--db", fresh, "--plan", str(path), "--as-of", "2024-11-05", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["_CON.docx", "区测_试局-2.docx", "区测_试局.docx"]
    for name, unit in (("区测_试局.docx", "区测/试局"), ("区测_试局-2.docx", "区测:试局")):
        with zipfile.ZipFile(out / name) as docx:
            assert f"To {unit}:" in docx.read("word/document.xml").decode("utf-8"), name


def small_plan(folder: Path) -> Path:
    """The seed plan cut to tasks 2 and 3 without linked indicators or targets (the assessment's indicator part
    would compute every linked indicator twice on each call), under its own key: --plan FILE."""
    import yaml

    from hvpatent.plan.model import SEED_PLAN

    seed = yaml.safe_load((Path(__file__).parents[1] / "src/hvpatent/plan" / SEED_PLAN).read_text(encoding="utf-8"))
    tasks = [{**t, "indicators": [], "targets": []} for t in seed["tasks"] if t["number"] in (2, 3)]
    path = folder / "small-plan.yaml"
    path.write_text(yaml.safe_dump({"plan": {**seed["plan"], "key": "small-plan"}, "targets": [], "tasks": tasks},
                                   allow_unicode=True), encoding="utf-8")
    return path


def test_score_and_assessment_sheet_xlsx(fresh, tmp_path):
    plan = ("--plan", str(small_plan(tmp_path)), "--db", fresh)
    assert refused(hvp("tasks", "score", KEJI, "2024Q3", "101", *plan), "0 to 100")
    assert refused(hvp("tasks", "score", "区外星局", "2024Q3", "90", *plan), "区外星局")
    recorded = hvp("tasks", "score", KEJI, "2024Q3", "90", "--note", "材料翔实", "--by", "李四", *plan)
    assert recorded.exit_code == 0 and "90" in recorded.output
    out = tmp_path / "sheet.xlsx"   # as of today: the score, recorded today, counts
    result = hvp("tasks", "assess", "2024Q3", *plan, "--out", str(out))
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    cells = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert KEJI in cells and 90 in cells
    table = hvp("tasks", "assess", "2024Q3", *plan, "--format", "json")
    rows = {r["unit"]: r for r in json.loads(table.output)["rows"]}
    # tasks 2 and 3: 区知识产权局, 区科技局 and 区经济信息委 must report; only 区科技局 has a qualitative score
    assert set(rows) == {KEJI, JINGXIN, "区知识产权局"} and table.exit_code == 0
    assert rows[KEJI]["qualitative"] == 90 and rows[JINGXIN]["qualitative"] is None
    zh = hvp("tasks", "assess", "2024Q3", *plan, lang="zh")
    assert "考核评分表" in zh.output and "90.0" in zh.output and " / no " not in zh.output


# -- unit accounts -----------------------------------------------------------------------------------------------------

def test_users_add_a_unit_account(fresh, tmp_path):
    password = "correct-horse-battery-staple-9"
    missing = tmp_path / "none.duckdb"
    assert refused(hvp("users", "add", "waixing", "--role", "unit", "--unit", "区外星局", "--password", password,
                       "--db", str(missing)), "区外星局")
    assert not missing.exists()
    assert refused(hvp("users", "add", "waixing", "--role", "unit", "--password", password, "--db", fresh),
                   "--unit")
    added = hvp("users", "add", "kejiju", "--role", "unit", "--unit", KEJI, "--password", password, "--db", fresh)
    assert added.exit_code == 0, added.output
    listing = hvp("users", "list", "--db", fresh)
    line = next(x for x in listing.output.splitlines() if "kejiju" in x)
    assert "unit" in line and KEJI in line


def test_users_add_unit_option_with_another_role_and_a_plan_file(fresh, tmp_path):
    """--unit with another role exits 2 (never dropped in silence); a unit only a --plan file names may get an
    account when the file is given."""
    import yaml

    password = "correct-horse-battery-staple-9"
    other = hvp("users", "add", "ana", "--role", "analyst", "--unit", KEJI, "--password", password, "--db", fresh)
    assert refused(other, "--role unit")
    assert "ana" not in hvp("users", "list", "--db", fresh).output
    path = small_plan(tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["tasks"][0]["responsible"] = ["区新设局"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    args = ("users", "add", "xinshe", "--role", "unit", "--unit", "区新设局", "--password", password, "--db", fresh)
    assert refused(hvp(*args), "区新设局")
    assert refused(hvp(*args, "--plan", str(tmp_path / "none.yaml")), "none.yaml")
    added = hvp(*args, "--plan", str(path))
    assert added.exit_code == 0, added.output
    assert "区新设局" in hvp("users", "list", "--db", fresh).output
