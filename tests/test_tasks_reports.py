"""Filing and reading progress reports (tasks/reports.py): who may file, for which period, the text and figures
checked, versions and carried-forward files, one transaction (a refused attachment or a failing audit row stores
nothing), and unit scoping (another unit's report reads as a missing one).  The attachment check (H3) is replaced
here by a stand-in that refuses any file named bad*: its own tests are tests/test_tasks_attachments.py."""

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import ibis
import pytest

from hvpatent.plan.model import load_plan
from hvpatent.plan.registry import load_plans
from hvpatent.tasks import attachments
from hvpatent.tasks.config import config_from
from hvpatent.tasks.reports import (
    ReportError,
    ReportNotFound,
    file_report,
    get_report,
    report_file,
    report_history,
    reports,
    unit_tasks,
)
from hvpatent.warehouse.store import Warehouse

PLAN = load_plan()          # seed plan: quarterly, due 10 working days after the quarter
KEJI, JINGXIN, ZSCQ = "区科技局", "区经济信息委", "区知识产权局"
# Task 3: responsible 区科技局; cooperating 区经济信息委, 区知识产权局 and others.  Task 1: responsible 区经济信息委.
NOW = datetime(2024, 10, 9, 10, 0)


def _fake_check(files, config=None):
    checked = []
    for name, data in files:
        if name.startswith("bad"):
            raise attachments.AttachmentError(f"{name}: 文件类型不符 / not what its name says")
        checked.append(attachments.CheckedFile(name, "pdf", "application/pdf", len(data),
                                               hashlib.sha256(data).hexdigest(), data))
    return checked


@pytest.fixture(autouse=True)
def _checker(monkeypatch):
    monkeypatch.setattr(attachments, "check_attachments", _fake_check)


@pytest.fixture
def wh(tmp_path: Path):
    with Warehouse(tmp_path / "t.duckdb") as w:
        yield w


def _counts(wh) -> tuple[int, int, int]:
    return tuple(wh.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in ("task_reports", "task_report_files", "audit_log"))


def _file(wh, unit=KEJI, task=3, period="2024Q3", **kw):
    kw.setdefault("text", "完成发明专利申请辅导 12 家。")
    return file_report(wh.con, PLAN, task, unit, period, by=kw.pop("by", "keji"), now=kw.pop("now", NOW), **kw)


def test_unit_tasks_with_roles():
    rows = unit_tasks(load_plans(), KEJI)
    mine = {(r["plan_key"], r["task"].number): r["role"] for r in rows}
    assert mine[("yongchuan-2022-2024", 3)] == "responsible"
    assert mine[("yongchuan-2022-2024", 1)] == "cooperating"
    assert all(r["plan_name"] for r in rows)
    assert unit_tasks(load_plans(), "没有的单位") == []


def test_file_and_read_a_report(wh):
    report = _file(wh, figures=[{"name": "辅导企业", "value": "12", "unit": "家"}],
                   attachments=[("进展.pdf", b"%PDF-1.4 one")])
    assert report["version"] == 1 and len(report["report_id"]) == 32
    assert report["plan_key"] == "yongchuan-2022-2024" and report["task_number"] == 3 and report["period"] == "2024Q3"
    assert report["figures"] == [{"name": "辅导企业", "value": 12.0, "unit": "家"}]
    assert report["submitted_at"] == NOW and report["first_submitted_at"] == NOW and report["submitted_by"] == "keji"
    assert [(f["file_no"], f["file_name"], f["size_bytes"]) for f in report["files"]] == [(1, "进展.pdf", 12)]
    assert report_file(ibis.duckdb.from_connection(wh.con), report["report_id"], 1)["content"] == b"%PDF-1.4 one"
    audit = wh.con.execute("SELECT username, action, detail FROM audit_log").fetchall()
    assert audit == [("keji", "task_report_filed", "yongchuan-2022-2024/3/区科技局/2024Q3 v1")]


def test_amendment_is_the_next_version_and_keeps_files(wh):
    first = _file(wh, attachments=[("a.pdf", b"A"), ("b.pdf", b"BB")])
    later = datetime(2024, 10, 25, 9, 0)
    second = _file(wh, text="修订：辅导 13 家。", now=later)
    assert second["version"] == 2 and second["report_id"] != first["report_id"]
    assert second["first_submitted_at"] == NOW and second["submitted_at"] == later
    assert [f["file_name"] for f in second["files"]] == ["a.pdf", "b.pdf"]          # carried forward
    third = _file(wh, text="只有新附件", attachments=[("c.pdf", b"C")], now=later)
    assert [f["file_name"] for f in third["files"]] == ["c.pdf"]                    # replaced
    fourth = _file(wh, text="不要附件", keep_files=False, now=later)
    assert fourth["files"] == []
    con = ibis.duckdb.from_connection(wh.con)
    history = report_history(con, PLAN.key, 3, KEJI, "2024Q3")
    assert [h["version"] for h in history] == [1, 2, 3, 4]
    assert [len(h["files"]) for h in history] == [2, 2, 1, 0]
    assert history[0]["text"] == "完成发明专利申请辅导 12 家。"                        # older versions kept
    latest = reports(con, plan_key=PLAN.key)
    assert [(r["version"], r["file_count"], r["first_submitted_at"]) for r in latest] == [(4, 0, NOW)]
    assert len(reports(con, latest_only=False)) == 4


def test_reports_filters_and_scoping(wh):
    a = _file(wh)
    b = _file(wh, unit=JINGXIN, task=1, by="jingxin")
    c = _file(wh, unit=JINGXIN, task=3, period="2024Q2", by="jingxin")     # a cooperating unit may report
    con = ibis.duckdb.from_connection(wh.con)
    assert {r["report_id"] for r in reports(con)} == {a["report_id"], b["report_id"], c["report_id"]}
    assert [r["report_id"] for r in reports(con, unit=KEJI)] == [a["report_id"]]
    assert {r["report_id"] for r in reports(con, task_number=3)} == {a["report_id"], c["report_id"]}
    assert [r["report_id"] for r in reports(con, period="2024Q2")] == [c["report_id"]]
    assert reports(con, plan_key="other") == []
    assert get_report(con, a["report_id"], unit=KEJI)["text"] == a["text"]
    with pytest.raises(ReportNotFound) as other:
        get_report(con, b["report_id"], unit=KEJI)
    with pytest.raises(ReportNotFound) as missing:
        get_report(con, "0" * 32, unit=KEJI)
    assert type(other.value) is type(missing.value) and "no such report" in str(other.value)
    with pytest.raises(ReportNotFound):
        report_file(con, b["report_id"], 1, unit=KEJI)
    with pytest.raises(ReportNotFound):
        report_file(con, a["report_id"], 1)                                 # a report without files


@pytest.mark.parametrize(("kw", "message"), [
    ({"task": 99}, "没有任务 99 / plan yongchuan-2022-2024 has no task 99"),
    ({"unit": "区财政局", "task": 3}, "neither a responsible nor a cooperating unit of task 3"),
    ({"period": "2025Q1"}, "not one of plan yongchuan-2022-2024's"),
    ({"period": "2024-09"}, "not a quarter"),
    ({"period": "2024Q5"}, "bad period"),
    ({"period": "2024Q4", "now": datetime(2024, 9, 30, 23, 59)}, "period 2024Q4 has not begun"),
    ({"text": " \x00\x07 \n"}, "the report's text is empty"),
    ({"text": "x" * 21}, "over 20 characters (21)"),
    ({"figures": [{"name": "a", "value": 1, "unit": ""}] * 4}, "at most 3 figures (4 given)"),
    ({"figures": [{"name": "", "value": 1, "unit": ""}]}, "figure 1: the name is empty"),
    ({"figures": [{"name": "n" * 11, "value": 1, "unit": ""}]}, "figure 1: the name is over 10 characters"),
    ({"figures": [{"name": "a", "value": 1, "unit": "u" * 6}]}, "figure 1: the unit is over 5 characters"),
    ({"figures": [{"name": "a", "value": 1}, {"name": "b", "value": float("nan")}]},
     "figure 2: the value must be a finite"),
    ({"figures": [{"name": "a", "value": "inf"}]}, "figure 1: the value must be a finite"),
    ({"figures": [{"name": "a", "value": "十二"}]}, "figure 1: the value must be a number"),
    ({"figures": [{"name": "a", "value": True}]}, "figure 1: the value must be a number"),
    ({"figures": ["a"]}, "figure 1: expected a name"),
    # a blank form row keeps its number but is not a figure: the third row is "figure 3", as the page counts rows
    ({"figures": [{"name": "a", "value": 1}, {"name": " ", "value": "", "unit": None}, {"name": "", "value": 2}]},
     "第 3 项数据：名称不能为空 / figure 3: the name is empty"),
    ({"figures": [{"name": "a", "value": 1}] * 3 + [{"name": "", "value": "", "unit": ""}] * 5 + [{"name": "b"}]},
     "at most 3 figures (4 given)"),
    ({"figures": [{"name": "a", "value": "x"}]}, "第 1 项数据：数值应为数字 / figure 1: the value must be a number"),
    ({"attachments": [("good.pdf", b"ok"), ("bad.pdf", b"MZ")]}, "bad.pdf: 文件类型不符"),
])
def test_refusals_name_the_field_and_store_nothing(wh, kw, message):
    small = config_from({"report": {"max_text_chars": 20, "max_figures": 3, "max_figure_name_chars": 10,
                                    "max_figure_unit_chars": 5}}, "small.yaml")
    _file(wh, text="第一版", attachments=[("keep.pdf", b"K")], config=small)
    before = _counts(wh)
    with pytest.raises(ReportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _file(wh, config=small, **kw)
    assert _counts(wh) == before


def test_refused_attachment_is_also_an_attachment_error(wh):
    with pytest.raises(attachments.AttachmentError):
        _file(wh, attachments=[("bad.docx", b"x")])


def test_a_current_period_may_be_reported_before_it_ends(wh):
    # 2024Q4 begins Tue 2024-10-01: the day before refused (test above), the day itself and after accepted.
    assert _file(wh, period="2024Q4", now=datetime(2024, 10, 1, 0, 0))["version"] == 1
    assert _file(wh, period="2024q4", now=datetime(2024, 10, 2))["version"] == 2


def test_text_cleaned_of_control_characters(wh):
    report = _file(wh, text="  第一行\r\n第二行\t完\x1b[31m\x00  ", figures=[{"name": " 企业\x07 ", "value": 3.5}])
    assert report["text"] == "第一行\n第二行\t完[31m"
    assert report["figures"] == [{"name": "企业", "value": 3.5, "unit": ""}]


def test_failure_inside_the_transaction_rolls_back(wh, monkeypatch):
    # the audit row is written last: when it fails, the report and its files written before it are undone
    import hvpatent.warehouse.accounts as accounts

    _file(wh, attachments=[("keep.pdf", b"K")])
    before = _counts(wh)

    def broken(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(accounts, "audit", broken)
    with pytest.raises(RuntimeError):
        _file(wh, text="第二版", attachments=[("x.pdf", b"X"), ("y.pdf", b"Y")])
    assert _counts(wh) == before
    con = ibis.duckdb.from_connection(wh.con)
    assert [r["version"] for r in reports(con, latest_only=False)] == [1]


def test_with_the_real_attachment_check(wh, monkeypatch):
    # H3's check itself: a real PNG is stored; a renamed executable after it refuses the whole report.
    import io

    from PIL import Image

    monkeypatch.undo()
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(buffer, "PNG")
    png = buffer.getvalue()
    report = _file(wh, attachments=[("照片.png", png)])
    assert [(f["kind"], f["size_bytes"], f["sha256"]) for f in report["files"]] == [
        ("png", len(png), hashlib.sha256(png).hexdigest())]
    before = _counts(wh)
    with pytest.raises(ReportError):
        _file(wh, attachments=[("照片.png", png), ("报告.pdf", b"\x7fELF\x02\x01\x01" + b"\0" * 64)])
    assert _counts(wh) == before


def test_blank_form_rows_are_skipped(wh):
    rows = [{"name": "", "value": "", "unit": ""}, {"name": "辅导企业", "value": "12", "unit": "家"}, {}]
    assert _file(wh, figures=rows)["figures"] == [{"name": "辅导企业", "value": 12.0, "unit": "家"}]


def test_the_versions_are_capped(wh):
    # report.max_versions 3: the first filing and two amendments; a third amendment is refused, nothing stored
    capped = config_from({"report": {"max_versions": 3}}, "capped.yaml")
    assert [_file(wh, text=f"第{n}版", config=capped, attachments=[("a.pdf", b"A")])["version"]
            for n in (1, 2, 3)] == [1, 2, 3]
    before = _counts(wh)
    with pytest.raises(ReportError, match="limit of 3 versions"):
        _file(wh, text="第4版", config=capped)
    assert _counts(wh) == before
    assert _file(wh, unit=JINGXIN, task=1, config=capped)["version"] == 1     # another report has its own count
    from hvpatent.tasks.config import default_config
    assert default_config().report["max_versions"] == 20


def test_filing_time_is_beijing_time_whatever_the_host_clock(wh, monkeypatch):
    # 23:30 UTC on the due date 2024-10-18 is 07:30 on 10-19 in Beijing: the report is stamped 10-19 (late)
    import hvpatent.reference.clock as clock

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            instant = datetime(2024, 10, 18, 23, 30, tzinfo=UTC)
            return instant.astimezone(tz) if tz else instant.replace(tzinfo=None)

    monkeypatch.setattr(clock, "datetime", Frozen)
    report = file_report(wh.con, PLAN, 3, KEJI, "2024Q3", text="进展", by="keji")
    assert report["submitted_at"] == datetime(2024, 10, 19, 7, 30)


def test_first_submitted_at_of_one_version_read_alone(wh):
    # get_report of a v2 reads its own v1's time, not another report's (the v1 lookup is narrowed to its group)
    _file(wh, unit=JINGXIN, task=1, now=datetime(2024, 10, 8, 9))
    _file(wh, now=datetime(2024, 10, 10, 9))
    _file(wh, unit=JINGXIN, task=1, text="修订", now=datetime(2024, 10, 20, 9))
    second = _file(wh, text="修订", now=datetime(2024, 10, 21, 9))
    got = get_report(ibis.duckdb.from_connection(wh.con), second["report_id"])
    assert (got["version"], got["first_submitted_at"]) == (2, datetime(2024, 10, 10, 9))
