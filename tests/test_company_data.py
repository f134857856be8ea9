"""Company-data API records (企查查-style JSON): import through `hvp import`, hand-worked legal states.

The files under tests/real_shapes/companydata/ are synthetic records in the API's shape; their
expected states are worked out by hand in expected.yaml.  One test reads the real three-record
sample in ../shared/data/real-shapes/ when it is there.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from functools import partial
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from conftest import table_counts
from hvpatent.cli.main import app
from hvpatent.ingest import FileError, import_file
from hvpatent.ingest.companydata import read_records
from hvpatent.legal import status_of
from hvpatent.warehouse.store import Warehouse

HERE = Path(__file__).parent / "real_shapes" / "companydata"
EXPECTED = yaml.safe_load((HERE / "expected.yaml").read_text(encoding="utf-8"))
SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "real-shapes" / "qichacha_patent_api_sample.js"
runner = CliRunner()


def hvp(*args: str):
    result = runner.invoke(app, [str(a) for a in args])
    # No input may end in a traceback: only typer's own exit is allowed through.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def import_ok(db: Path, path: Path, *extra: str) -> str:
    result = hvp("--db", db, "import", path, *extra)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "cd.duckdb"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """records.json through the CLI, states.jsonl with its export date, broken.json's good record."""
    db = tmp_path_factory.mktemp("corpus") / "cd.duckdb"
    import_ok(db, HERE / "records.json")
    import_ok(db, HERE / "states.jsonl", "--exported", EXPECTED["files"]["states.jsonl"]["exported"])
    import_ok(db, HERE / "broken.json", "--skip-bad-rows")
    return db


def _expected_apps():
    return list(EXPECTED["applications"].items())


@pytest.mark.parametrize(("app_no", "want"), _expected_apps(), ids=[a for a, _ in _expected_apps()])
def test_hand_worked_states_and_rows(corpus, app_no, want):
    with Warehouse(corpus, read_only=True) as wh:
        con = wh.ibis()
        for day, state in want["states"].items():
            got = status_of(con, app_no, day)
            assert (got.facts["state"] if got else None) == state, f"{app_no} on {day}"
        app = wh.frame("SELECT * FROM applications WHERE app_no = ?", [app_no]).iloc[0]
        assert (app.patent_type, app.filing_date.date(), app.source) == (
            want["patent_type"], want["filing_date"], "companydata")
        for key in ("title", "agency"):
            if key in want:
                assert (app[key] if isinstance(app[key], str) else None) == want[key]
        events = wh.frame("SELECT event_date, event_type FROM legal_events WHERE app_no = ? "
                          "ORDER BY event_date, event_type", [app_no])
        assert [[d.date(), t] for d, t in events.itertuples(index=False)] == want["events"]
        _check_parties_ipc_publications(wh, app_no, want)
        snaps = wh.frame("SELECT snapshot_date, status FROM status_snapshots WHERE app_no = ?", [app_no])
        assert {d.date(): s for d, s in snaps.itertuples(index=False)} == want.get("snapshots", {})


def _check_parties_ipc_publications(wh: Warehouse, app_no: str, want: dict) -> None:
    if "ipc" in want:
        ipcs = wh.frame("SELECT ipc FROM ipc_classes WHERE app_no = ? ORDER BY seq", [app_no])
        assert list(ipcs.ipc) == want["ipc"]
        app = wh.frame("SELECT ipc_main FROM applications WHERE app_no = ?", [app_no]).iloc[0]
        assert app.ipc_main == (want["ipc"][0] if want["ipc"] else None)
    parties = wh.frame("SELECT * FROM parties WHERE app_no = ? ORDER BY seq", [app_no])
    if "applicants" in want:
        assert list(parties.name) == want["applicants"]
    if "role" in want:
        assert set(parties.role) == {want["role"]}
    if "party_type" in want:
        assert parties.party_type.iloc[0] == want["party_type"]
    if "first_applicant_county" in want:
        assert parties.county_code.iloc[0] == want["first_applicant_county"]
    if "first_applicant_town" in want:
        assert parties.town_code.iloc[0] == want["first_applicant_town"]
    if "publications" in want:
        pubs = wh.frame("SELECT pub_no, kind FROM publications WHERE app_no = ? ORDER BY pub_no", [app_no])
        assert dict(pubs.itertuples(index=False)) == want["publications"]


def test_status_command_reads_the_imported_state(corpus):
    out = hvp("--db", corpus, "status", "CN201820123456.0", "--as-of", "2020-07-10").output
    assert "有效（年费宽限期内）" in out
    out = hvp("--lang", "en", "--db", corpus, "status", "201910234567.8", "--as-of", "2021-05-18").output
    assert "valid" in out and "2021-05-18" in out


def test_reimport_changes_nothing(db, tmp_path):
    import_ok(db, HERE / "records.json")
    with Warehouse(db, read_only=True) as wh:
        before = table_counts(wh)
    again = import_ok(db, HERE / "records.json")
    assert "导入过" in again
    # The same records in another file (JSON lines, another envelope) change no row either.
    records = json.loads((HERE / "records.json").read_text(encoding="utf-8"))["Result"]
    lines = tmp_path / "same.jsonl"
    lines.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    out = import_ok(db, lines)
    assert "新增 0，更新 0，未变 7" in out
    with Warehouse(db, read_only=True) as wh:
        after = table_counts(wh)
    assert {k: v for k, v in after.items() if k != "imports"} == {k: v for k, v in before.items() if k != "imports"}


def test_broken_record_rejects_the_file_naming_record_and_field(db, tmp_path):
    report = tmp_path / "errors.xlsx"
    result = hvp("--db", db, "import", HERE / "broken.json", "--report", report)
    assert result.exit_code == 1
    assert "整个文件未导入" in result.output
    with Warehouse(db, read_only=True) as wh:
        assert wh.count("applications") == 0 and wh.count("legal_events") == 0
    want = EXPECTED["files"]["broken.json"]["rejected"]
    assert [r[:4] for r in read_report(report)] == [["broken.json", w["record"], w["field"], w["value"]] for w in want]


def read_report(path: Path) -> list[list]:
    from openpyxl import load_workbook

    return [[c.value for c in row] for row in load_workbook(path).active.iter_rows(min_row=2)]


def test_undated_state_without_export_date_is_not_stored_and_said(db):
    out = import_ok(db, HERE / "states.jsonl")
    assert "当前状态未保存" in out and "--exported" in out
    with Warehouse(db, read_only=True) as wh:
        assert wh.count("status_snapshots") == 0
        assert wh.count("applications") == EXPECTED["files"]["states.jsonl"]["records"]  # records kept
        # Without the 失效 snapshot the utility model granted 2022-07-19 is still in force.
        assert status_of(wh.ibis(), "202220778899.X", date(2024, 7, 2)).facts["state"] == "valid"


def test_unknown_and_undated_event_words_are_listed(warehouse, tmp_path):
    record = {"ApplicationNumber": "CN201610311380.X", "ApplicationDate": "2016-05-12T00:00:00",
              "PublicationNumber": "CN106022747A", "PublicationDate": "2016-10-12T00:00:00",
              "KindCodeDesc": "发明公布", "LegalStatusDesc": "专利权的转移", "LegalStatusDate": None,
              "PatentLegalHistory": [{"Desc": "某种新的公报栏目", "LegalStatus": "99",
                                      "LegalStatusDate": "2017-01-06"}]}
    path = tmp_path / "one.json"
    path.write_text(json.dumps([record], ensure_ascii=False), encoding="utf-8")
    result, errors = import_file(warehouse, path, exported=date(2024, 7, 1))
    assert errors == []
    assert result.unknown_events == {"某种新的公报栏目": 1}
    assert any("专利权的转移" in w for w in result.warnings)  # no date and no state: not stored
    events = warehouse.frame("SELECT event_date, event_type FROM legal_events ORDER BY event_date")
    assert [(d.date(), t) for d, t in events.itertuples(index=False)] == [
        (date(2016, 5, 12), "filed"), (date(2016, 10, 12), "published"), (date(2017, 1, 6), "other")]
    assert warehouse.count("status_snapshots") == 0


@pytest.mark.parametrize(("desc", "event", "snapshot"), [
    ("有效", None, "in_force"),                  # a state on its date, not an event
    ("失效", ("ended", date(2023, 3, 1)), None),  # the right ended that day, cause not stated
])
def test_dated_status_word(warehouse, tmp_path, desc, event, snapshot):
    record = {"ApplicationNumber": "CN202020345678.4", "ApplicationDate": "2020-04-10T00:00:00",
              "PublicationNumber": "CN212000001U", "PublicationDate": "2020-12-22T00:00:00",
              "KindCodeDesc": "实用新型", "LegalStatusDesc": desc, "LegalStatusDate": "2023-03-01T00:00:00"}
    path = tmp_path / "one.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    import_file(warehouse, path)
    events = warehouse.con.execute("SELECT event_type, effective_date FROM legal_events "
                                   "WHERE event_date = DATE '2023-03-01'").fetchall()
    assert events == ([event] if event else [])
    snaps = warehouse.con.execute("SELECT snapshot_date, status FROM status_snapshots").fetchall()
    assert snaps == ([(date(2023, 3, 1), snapshot)] if snapshot else [])
    con = warehouse.ibis()
    states = [status_of(con, "202020345678.4", d).facts["state"]
              for d in (date(2023, 2, 28), date(2023, 3, 1), date(2023, 3, 2))]
    assert states == (["valid"] * 3 if snapshot else ["valid", "ended", "ended"])


def _a_and_b_records() -> tuple[dict, dict]:
    """The A and B records of 201910234567.8 in records.json, the B one with no abstract, IPC or applicant."""
    records = json.loads((HERE / "records.json").read_text(encoding="utf-8"))["Result"]
    b, a = (r for r in records if r["ApplicationNumber"] == "CN201910234567.8")
    assert (b["PublicationNumber"], a["PublicationNumber"]) == ("CN109870001B", "CN109870001A")
    return a, {**b, "Abstract": "", "IPCList": [], "AssigneestringList": []}


@pytest.mark.parametrize("chunk_rows", [1, 10_000])
@pytest.mark.parametrize("order", ["BA", "AB"])
def test_records_of_one_application_across_chunks_keep_the_latest_publication(
        warehouse, tmp_path, monkeypatch, chunk_rows, order):
    """The same application whatever the chunk size and record order: B's title (the latest publication),
    A's abstract, IPC codes and applicant (B has none)."""
    from hvpatent import ingest

    a, b = _a_and_b_records()
    path = tmp_path / "ab.json"
    path.write_text(json.dumps([b, a] if order == "BA" else [a, b], ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(ingest, "read_records", partial(read_records, chunk_rows=chunk_rows))
    result, errors = import_file(warehouse, path)
    assert errors == [] and result.rows_read == 2
    app = warehouse.frame("SELECT title, abstract, ipc_main FROM applications").values.tolist()
    assert app == [["一种数据检索方法", a["Abstract"], "G06F16/245"]]
    assert a["Abstract"] == "本发明涉及一种数据检索方法及装置（合成测试记录，申请公布文本）。"
    assert warehouse.frame("SELECT ipc FROM ipc_classes ORDER BY seq").ipc.tolist() == ["G06F16/245"]
    parties = warehouse.frame("SELECT name, role FROM parties").values.tolist()
    assert [name for name, _ in parties] == ["重庆市永川区铭峰机械有限公司"]
    if chunk_rows > 1:  # across chunks the warehouse keeps A's rows whole, role included (a store.py matter)
        assert parties == [["重庆市永川区铭峰机械有限公司", "patentee"]]
    pubs = warehouse.frame("SELECT pub_no FROM publications ORDER BY pub_no").pub_no.tolist()
    assert pubs == ["CN109870001A", "CN109870001B"]


ENVELOPES = {
    "qichacha list": lambda r: {"Status": "200", "Message": "查询成功", "Paging": {"PageIndex": 1}, "Result": [r]},
    "qichacha detail": lambda r: {"Status": "200", "Message": "查询成功", "Result": r},
    "Result.Data": lambda r: {"Status": "200", "Result": {"Data": [r]}},
    "data list": lambda r: {"code": 200, "msg": "成功", "data": [r]},
    "data.items": lambda r: {"code": 200, "msg": "成功", "data": {"page": {"pageNo": 1}, "items": [r]}},
    "bare array": lambda r: [r],
    "bare record": lambda r: r,
}


@pytest.mark.parametrize("shape", list(ENVELOPES))
def test_api_envelopes(warehouse, tmp_path, shape):
    record = {"ApplicationNumber": "2021109900119", "ApplicationDate": "2021-09-01 00:00:00",
              "PublicationNumber": "CN113800001A", "PublicationDate": "2021-12-10 00:00:00",
              "KindCodeDesc": "发明公布", "AssigneestringList": "重庆市永川区铭峰机械有限公司",
              "InventorStringList": "", "IPCList": "H02J7/00"}
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(ENVELOPES[shape](record), ensure_ascii=False, indent=2), encoding="utf-8-sig")
    result, errors = import_file(warehouse, path)
    assert errors == [] and result.rows_read == 1
    apps = warehouse.frame("SELECT app_no, patent_type FROM applications")
    assert apps.values.tolist() == [["202110990011.9", "invention"]]  # check digit 9 computed
    assert warehouse.frame("SELECT source FROM imports").source.tolist() == ["companydata"]


def test_api_error_answer_is_a_file_error(warehouse, tmp_path):
    path = tmp_path / "error.json"
    path.write_text('{"Status": "101", "Message": "无效的请求Key", "Result": null}', encoding="utf-8")
    with pytest.raises(FileError, match=r"101.*无效的请求Key"):
        import_file(warehouse, path, source="companydata")


@pytest.mark.parametrize(("text", "where"), [
    # the second comma is at column 26 of line 3
    ('[\n {"ApplicationNumber": "CN202210456789.6",\n  "KindCodeDesc": "发明公布",,\n  "x": 1}]', "第 3 行第 26 列"),
    ('[\n {"ApplicationNumber": "CN202210456789.6", "KindCodeDesc": "发明公布"}\n', "第 2 行"),
])
def test_bad_json_names_line_and_column(db, tmp_path, text, where):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    result = hvp("--db", db, "import", path)
    assert result.exit_code == 1
    assert "bad.json" in result.output and "不是有效的 JSON" in result.output and where in result.output


def test_bad_json_line_and_non_utf8_file(db, tmp_path):
    lines = tmp_path / "bad.jsonl"
    lines.write_text('{"ApplicationNumber": "CN202210456789.6", "KindCodeDesc": "发明公布"}\n{"Appl', encoding="utf-8")
    out = hvp("--db", db, "import", lines).output
    assert "第 2 行" in out and "不是有效的 JSON" in out
    gbk = tmp_path / "gbk.json"
    gbk.write_bytes('[{"ApplicationNumber": "CN202210456789.6", "KindCodeDesc": "发明公布"}]'.encode("gbk"))
    out = hvp("--db", db, "import", gbk).output
    assert "第 1 行" in out and "UTF-8" in out


def test_epoch_dates_and_history_shape(warehouse, tmp_path):
    # Some resellers give Unix timestamps; a Beijing midnight is the previous day in UTC.
    beijing = timezone(timedelta(hours=8))
    epoch = int(datetime(2016, 11, 9, tzinfo=beijing).timestamp())
    record = {"ApplicationNumber": "CN201610311380.X", "ApplicationDate": epoch * 1000 - 181 * 86_400_000,
              "PublicationNumber": "CN106022747A", "PublicationDate": "20161012", "KindCodeDesc": "发明公布",
              "PatentLegalHistory": [{"Desc": "实质审查的生效", "LegalStatus": "24", "LegalStatusDate": epoch}]}
    path = tmp_path / "epoch.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    import_file(warehouse, path)
    filing = warehouse.frame("SELECT filing_date FROM applications").filing_date.iloc[0].date()
    assert filing == date(2016, 5, 12)  # 2016-11-09 less 181 days
    events = warehouse.frame("SELECT event_date, event_type FROM legal_events ORDER BY event_date")
    assert [(d.date(), t) for d, t in events.itertuples(index=False)] == [
        (date(2016, 5, 12), "filed"), (date(2016, 10, 12), "published"), (date(2016, 11, 9), "examination")]


@pytest.mark.parametrize(("change", "field"), [
    ({"KindCodeDesc": "外观设计"}, "KindCodeDesc"),             # an invention number and an A publication
    ({"KindCodeDesc": "发明授权"}, "KindCodeDesc"),             # grant type but A publication
    ({"IPCList": ["G06X 99/00x"]}, "IPCList"),
    ({"PatentLegalHistory": [{"Desc": "授权"}]}, "PatentLegalHistory[0].LegalStatusDate"),
    ({"LegalStatusDesc": "授权", "LegalStatusDate": "2016-13-01"}, "LegalStatusDate"),
    ({"PublicationNumber": "CN106022747"}, "PublicationNumber"),
    # an impossible date inside the event text: the record is rejected, naming where the text was
    ({"PatentLegalHistory": [{"Desc": "实质审查的生效", "LegalStatusDate": "2016-11-09"},
                             {"Desc": "未缴年费专利权终止 未缴年费终止日：2020.02.30",
                              "LegalStatusDate": "2020-11-20"}]}, "PatentLegalHistory[1].Desc"),
    ({"LegalStatusDesc": "专利权期限补偿 届满日：2041-02-30", "LegalStatusDate": "2021-01-01"}, "LegalStatusDesc"),
])
def test_record_errors_name_the_json_key(warehouse, tmp_path, change, field):
    record = {"ApplicationNumber": "CN201610311380.X", "ApplicationDate": "2016-05-12T00:00:00",
              "PublicationNumber": "CN106022747A", "PublicationDate": "2016-10-12T00:00:00",
              "KindCodeDesc": "发明公布", **change}
    path = tmp_path / "one.json"
    path.write_text(json.dumps([record], ensure_ascii=False), encoding="utf-8")
    _, errors = import_file(warehouse, path, skip_bad_rows=True)
    assert [(e.file, e.row, e.field) for e in errors] == [("one.json", 1, field)]
    assert warehouse.count("applications") == 0


def _sample_records() -> list[dict]:
    """The JS module as JSON: drop `export default`, quote keys, turn '…' strings into "…"."""
    text = SAMPLE.read_text(encoding="utf-8").strip()
    text = text.removeprefix("export default").strip().rstrip(";")
    text = re.sub(r"^(\s*)([A-Za-z_]\w*):", r'\1"\2":', text, flags=re.M)
    text = re.sub(r"'([^'\\]*)'", lambda m: json.dumps(m.group(1), ensure_ascii=False), text)
    return json.loads(re.sub(r",(\s*[\]}])", r"\1", text))


@pytest.mark.skipif(not SAMPLE.is_file(), reason="../shared/data/real-shapes/ is not beside the repository")
def test_real_api_sample(db, tmp_path):
    path = tmp_path / "qichacha.json"
    path.write_text(json.dumps({"Status": "200", "Result": _sample_records()}, ensure_ascii=False), encoding="utf-8")
    assert "读取 3 行，新增 3" in import_ok(db, path)
    with Warehouse(db, read_only=True) as wh:
        con = wh.ibis()
        apps = wh.con.execute("SELECT app_no, patent_type, ipc_main, agency FROM applications ORDER BY app_no")
        assert [list(r) for r in apps.fetchall()] == [
            ["201610311380.X", "invention", "G06", "北京同辉知识产权代理事务所(普通合伙) 11357"],  # code kept
            ["201710117081.7", "invention", "G06", "苏州中合知识产权代理事务所(普通合伙) 32266"],
            ["201730033448.8", "design", None, "苏州中合知识产权代理事务所(普通合伙) 32266"],  # 11- is Locarno
        ]
        events = wh.frame("SELECT app_no, event_date, event_type FROM legal_events ORDER BY app_no, event_date")
        assert [(a, d.date(), t) for a, d, t in events.itertuples(index=False)] == [
            ("201610311380.X", date(2016, 5, 12), "filed"),
            ("201610311380.X", date(2016, 10, 12), "published"),
            ("201610311380.X", date(2016, 11, 9), "examination"),
            ("201710117081.7", date(2017, 3, 1), "filed"),
            ("201710117081.7", date(2017, 6, 13), "published"),
            ("201730033448.8", date(2017, 2, 7), "filed"),
            ("201730033448.8", date(2017, 7, 28), "granted"),
        ]
        parties = wh.frame("SELECT DISTINCT name, party_type FROM parties")
        assert parties.values.tolist() == [["苏州朗动网络科技有限公司", "enterprise"]]
        # The design: granted 2017-07-28; filed before 2021-06-01, so a 10-year term to 2027-02-07.
        design = {d: status_of(con, "201730033448.8", d).facts["state"]
                  for d in (date(2017, 7, 27), date(2017, 7, 28), date(2027, 2, 6), date(2027, 2, 7))}
        assert list(design.values()) == ["pending", "valid", "valid", "expired"]
        assert status_of(con, "201610311380.X", date(2024, 6, 30)).facts["state"] == "pending"


def test_event_details_in_api_records(warehouse, tmp_path):
    """The lapse's 终止日 and the compensated term's 届满日 become effective dates; a compensation that
    states neither days nor an end is kept and the import warns, as for spreadsheets."""
    record = {"ApplicationNumber": "CN201910234567.8", "ApplicationDate": "2019-03-15T00:00:00",
              "PublicationNumber": "CN109870001B", "PublicationDate": "2021-05-18T00:00:00",
              "KindCodeDesc": "发明授权",
              "PatentLegalHistory": [{"Desc": "专利权期限补偿 届满日：2041-05-01", "LegalStatusDate": "2021-09-01"},
                                     {"Desc": "专利权期限补偿", "LegalStatusDate": "2021-10-01"},
                                     {"Desc": "未缴年费专利权终止 未缴年费终止日：2023.03.15",
                                      "LegalStatusDate": "2023-11-20"}]}
    path = tmp_path / "one.json"
    path.write_text(json.dumps([record], ensure_ascii=False), encoding="utf-8")
    result, errors = import_file(warehouse, path)
    assert errors == []
    assert result.warnings == {"专利权期限补偿未写明补偿天数或届满日，已记录事件但未调整期限": 1}
    events = warehouse.con.execute("SELECT event_date, event_type, effective_date FROM legal_events "
                                   "WHERE event_type IN ('term_adjustment', 'annuity_lapse') "
                                   "ORDER BY event_date").fetchall()
    assert events == [(date(2021, 9, 1), "term_adjustment", date(2041, 5, 1)),
                      (date(2021, 10, 1), "term_adjustment", None),
                      (date(2023, 11, 20), "annuity_lapse", date(2023, 3, 15))]
