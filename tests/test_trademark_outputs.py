"""Trademark outputs: renewal warnings on their legal boundary days, the reminder letter read back, the
`hvp trademarks` commands, the API and pages (staff only; every per-town figure equals the length of its list)
and the bulletin's trademark section, over the hand-built district (tests/world.py) with a few trademarks
inserted by SQL into a copy of it.

The marks (owner's town; registration day → last day of the first term (art. 39: (R − 1 day) + 10 years),
first day of the renewal window (term end − 12 months + 1 day), last day of grace (term end + 6 months)):

  M1 10000001/9   甲 胜利路  reg 2015-03-14 → term 2025-03-13, window 2024-03-14, grace 2025-09-13
  M2 10000001/42  甲 胜利路  reg 2015-03-14, renewal filed 2024-06-01 → next term to 2035-03-13
  M3 10000002/30  乙 来苏    reg 2014-11-01 → term 2024-10-31, grace 2025-04-30; renewal filed in grace 2025-02-10
  M4 10000003/30  茶叶协会 来苏 collective mark, geographical indication, reg 2020-05-01
  M5 G1000004/9   甲 胜利路  Madrid registration, reg 2019-01-01 (counted apart)
  M6 10000005/35  乙 来苏    reg 2016-02-29 → term 2026-02-28 (never 29 Feb), window 2025-03-01
  M7 10000006/9   甲 胜利路  reg 2018-01-01, cancelled (撤销) 2023-05-01
  M8 10000007/41  张三 胜利路 (individual) reg 2021-07-01
  M9 10000008/9   乙 来苏    filed 2024-01-01, not registered (pending)
  M10 10000009/9  甲 胜利路  reg 2022-01-01
  M11 10000010/25 ACME INC. (United States, no Chinese region) reg 2015-02-01 → term 2025-01-31, window
                  2024-02-01: in no region's figures; listed by `--region all` only

Effective on 2024-12-31, Madrid apart: M1 M2 M3 (in grace, still effective) M4 M6 M8 M10 = 7;
胜利路 M1 M2 M8 M10 = 4, 来苏 M3 M4 M6 = 3; class 9: M1 M10 = 2, class 30: M3 M4 = 2, 35/41/42: 1 each;
enterprises 甲 M1 M2 M10 = 3, 乙 M3 M6 = 2.
Warnings on 2024-12-31 within 180 days, by deadline: M11 due (2025-01-31, 31 days; every mark only), M1 due
(2025-03-13, 72 days), M3 in grace (2025-04-30, 120 days), M6 due (window opens 2025-03-01, 60 days ahead;
deadline 2026-02-28, 424 days). M5 (Madrid) is never warned: renewed with WIPO (Madrid Protocol art. 7).
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from io import BytesIO

import pytest
from docx import Document
from openpyxl import load_workbook
from typer.testing import CliRunner

import world
from hvpatent.ingest.fields import normalize_name
from hvpatent.trademarks import mark_detail, mark_list, renewal_warnings
from hvpatent.warehouse.store import Warehouse
from hvpatent.web import create_app
from webserver import client, serve, world_db

AS_OF = date(2024, 12, 31)
SHENGLI, LAISU = "500118002000", "500118111000"
TEA = "重庆市永川区茶叶协会"
TOWNS = {SHENGLI: ("重庆市永川区胜利路街道人民大道1号", "500118002000"), LAISU: ("重庆市永川区来苏镇观音井村", LAISU)}
# reg_no, class, name, kind, GI, Madrid, owner, owner type, town, filed, registered
E1, E2, ORD, ENT, D = world.E1, world.E2, "ordinary", "enterprise", date
MARKS = [
    ("10000001", 9, "甲一", ORD, False, False, E1, ENT, SHENGLI, D(2013, 5, 1), D(2015, 3, 14)),
    ("10000001", 42, "甲一", ORD, False, False, E1, ENT, SHENGLI, D(2013, 5, 1), D(2015, 3, 14)),
    ("10000002", 30, "乙食", ORD, False, False, E2, ENT, LAISU, D(2013, 1, 5), D(2014, 11, 1)),
    ("10000003", 30, "永川秀芽", "collective", True, False, TEA, "government", LAISU, D(2019, 1, 1), D(2020, 5, 1)),
    ("G1000004", 9, "JIA", ORD, False, True, E1, ENT, SHENGLI, D(2018, 6, 1), D(2019, 1, 1)),
    ("10000005", 35, "丙", ORD, False, False, E2, ENT, LAISU, D(2014, 8, 1), D(2016, 2, 29)),
    ("10000006", 9, "丁", ORD, False, False, E1, ENT, SHENGLI, D(2016, 8, 1), D(2018, 1, 1)),
    ("10000007", 41, "张记", ORD, False, False, "张三", "individual", SHENGLI, D(2020, 1, 1), D(2021, 7, 1)),
    ("10000008", 9, "乙新", ORD, False, False, E2, ENT, LAISU, D(2024, 1, 1), None),
    ("10000009", 9, "甲二", ORD, False, False, E1, ENT, SHENGLI, D(2020, 9, 1), D(2022, 1, 1)),
]
EVENTS = [("10000001", 42, date(2024, 6, 1), "renewal_filed"), ("10000002", 30, date(2025, 2, 10), "renewal_filed"),
          ("10000006", 9, date(2023, 5, 1), "cancelled_nonuse")]


def add_marks(wh: Warehouse) -> None:
    """The marks above straight into the tables (the importers are tested elsewhere), and an aggregate count
    for a district with no records (铜梁区 500151)."""
    for reg_no, cls, name, kind, gi, madrid, owner, otype, town, filed, registered in MARKS:
        address = TOWNS[town][0]
        wh.con.execute(
            "INSERT INTO trademarks (reg_no, nice_class, mark_name, mark_kind, is_gi, is_madrid, owner, owner_norm, "
            "owner_type, address, province_code, city_code, county_code, town_code, town_source, country, filing_date,"
            " registration_date, status_date, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '500000', '500100', "
            "'500118', ?, 'address', 'CN', ?, ?, ?, 'test')",
            [reg_no, cls, name, kind, gi, madrid, owner, normalize_name(owner), otype, address, town, filed, registered,
             date(2024, 1, 1)])
    for reg_no, cls, day, kind in EVENTS:
        wh.con.execute("INSERT INTO trademark_events (reg_no, nice_class, event_date, event_type, raw_text, import_id) "
                       "VALUES (?, ?, ?, ?, ?, 0)", [reg_no, cls, day, kind, kind])
    wh.con.execute(
        "INSERT INTO trademarks (reg_no, nice_class, mark_name, mark_kind, is_gi, is_madrid, owner, owner_norm, "
        "owner_type, address, country, filing_date, registration_date, status_date, source) VALUES ('10000010', 25, "
        "'ACME', 'ordinary', false, false, 'ACME INC.', ?, 'enterprise', '1 Main St, Springfield, USA', 'US', "
        "DATE '2013-06-01', DATE '2015-02-01', DATE '2024-01-01', 'test')", [normalize_name("ACME INC.")])
    wh.con.execute("INSERT INTO trademark_counts VALUES ('500151', DATE '2024-12-31', 5000)")


@pytest.fixture(scope="module")
def dbs(tmp_path_factory):
    """(server's warehouse, a copy for the command line): DuckDB lets one process hold a file one way."""
    folder = tmp_path_factory.mktemp("tm")
    db = world_db(folder)
    with Warehouse(db) as wh:
        add_marks(wh)
    cli_db = folder / "cli.duckdb"
    shutil.copy(db, cli_db)
    return db, cli_db


@pytest.fixture(scope="module")
def server(dbs):
    app = create_app(dbs[0], secret="test-secret", default_as_of=AS_OF)
    with serve(app) as url:
        yield app, url


@pytest.fixture(scope="module")
def base_url(server):
    return server[1]


@pytest.fixture(scope="module")
def con(server):
    with server[0].state.warehouse.reader() as backend:
        yield backend


def warned(con, day: date, within: int = 0, reg_no: str = "10000001", cls: int = 9) -> list[tuple]:
    return [(r["kind"], r["deadline"], r["days_left"]) for r in renewal_warnings(con, day, within)
            if (r["reg_no"], r["nice_class"]) == (reg_no, cls)]


# -- warnings on their boundary days ----------------------------------------------------------------------
def test_renewal_window_opening_day(con):
    # M1: the window opens 2024-03-14 (2025-03-13 − 12 months + 1 day).
    assert warned(con, date(2024, 3, 13)) == []                       # opens tomorrow, window 0 days
    assert warned(con, date(2024, 3, 13), within=1) == [("tm_renewal_due", date(2025, 3, 13), 365)]
    assert warned(con, date(2024, 3, 14)) == [("tm_renewal_due", date(2025, 3, 13), 364)]
    assert warned(con, date(2024, 3, 15)) == [("tm_renewal_due", date(2025, 3, 13), 363)]


def test_term_end_day_then_grace(con):
    assert warned(con, date(2025, 3, 12)) == [("tm_renewal_due", date(2025, 3, 13), 1)]
    assert warned(con, date(2025, 3, 13)) == [("tm_renewal_due", date(2025, 3, 13), 0)]
    # the day after the term: in grace until 2025-09-13 (2025-03-13 + 6 months), 183 days on
    assert warned(con, date(2025, 3, 14)) == [("tm_grace", date(2025, 9, 13), 183)]


def test_grace_end_day(con):
    assert warned(con, date(2025, 9, 12)) == [("tm_grace", date(2025, 9, 13), 1)]
    assert warned(con, date(2025, 9, 13)) == [("tm_grace", date(2025, 9, 13), 0)]
    assert warned(con, date(2025, 9, 14)) == []  # lapsed: nothing left to renew


def test_renewed_marks_are_not_warned(con):
    # M2: renewal filed in the window on 2024-06-01: warned the day before, not from that day.
    # days left: June 30 + Jul–Jan 31+31+30+31+30+31+31 + Feb 28 + Mar 13 = 286
    assert warned(con, date(2024, 5, 31), reg_no="10000001", cls=42) == [("tm_renewal_due", date(2025, 3, 13), 286)]
    assert warned(con, date(2024, 6, 1), reg_no="10000001", cls=42) == []
    # M3: renewal filed in grace on 2025-02-10 (from 2025-02-09: 19 + 31 + 30 = 80 days to 2025-04-30).
    assert warned(con, date(2025, 2, 9), reg_no="10000002", cls=30) == [("tm_grace", date(2025, 4, 30), 80)]
    assert warned(con, date(2025, 2, 10), reg_no="10000002", cls=30) == []


def test_madrid_marks_are_not_warned(con):
    # M5 G1000004/9 is registered with its renewal window open on 2028-06-01 and in grace on 2029-01-05 (reg
    # 2019-01-01 → term 2028-12-31), as M1 is when it is warned; an international registration is renewed with
    # WIPO (Madrid Protocol art. 7), not under art. 40: no warning either day, however wide the window.
    for day, state in ((date(2028, 6, 1), "registered"), (date(2029, 1, 5), "in_grace")):
        found = mark_detail(con, "G1000004", 9, day)["state"]
        assert found["state"] == state and found["renewal_opens"] <= day, (day, found)
        assert warned(con, day, within=3650, reg_no="G1000004", cls=9) == []


def test_warnings_of_the_day_in_deadline_order_with_actions(con):
    rows = renewal_warnings(con, AS_OF, 180)  # every mark: the foreign owner's M11 too
    assert [(r["reg_no"], r["nice_class"], r["kind"], r["deadline"], r["days_left"]) for r in rows] == [
        ("10000010", 25, "tm_renewal_due", date(2025, 1, 31), 31),
        ("10000001", 9, "tm_renewal_due", date(2025, 3, 13), 72),
        ("10000002", 30, "tm_grace", date(2025, 4, 30), 120),
        ("10000005", 35, "tm_renewal_due", date(2026, 2, 28), 424)]
    _, m1, m3, m6 = rows
    assert m1["renewal_opens"] == date(2024, 3, 14) and m1["grace_end"] == date(2025, 9, 13)
    assert "2025年3月13日前办理续展注册" in m1["action"] and "第四十条" in m1["action"]
    assert "宽展期" in m3["action"] and "2025年4月30日前" in m3["action"] and "迟延费" in m3["action"]
    assert "续展期自2025年3月1日开始" in m6["action"]
    assert "by 2025-03-13" in m1["action_en"] and "art. 40" in m1["action_en"]
    assert m1["owner"] == world.E1 and m1["town_code"] == SHENGLI
    # the owner's region: 来苏 only; another district: none
    assert [r["reg_no"] for r in renewal_warnings(con, AS_OF, 180, LAISU)] == ["10000002", "10000005"]
    assert renewal_warnings(con, AS_OF, 180, "110000") == []


# -- lists and one mark -----------------------------------------------------------------------------------
def test_mark_list_filters(con):
    keys = lambda rows: sorted((r["reg_no"], r["nice_class"]) for r in rows)  # noqa: E731
    assert len(mark_list(con, AS_OF, "500118")) == 7
    assert keys(mark_list(con, AS_OF, "500118", town=LAISU)) == [("10000002", 30), ("10000003", 30), ("10000005", 35)]
    assert keys(mark_list(con, AS_OF, "500118", nice_class=9)) == [("10000001", 9), ("10000009", 9)]
    assert keys(mark_list(con, AS_OF, "500118", owner=world.E2)) == [("10000002", 30), ("10000005", 35)]
    assert keys(mark_list(con, AS_OF, "500118", kind="gi")) == [("10000003", 30)]
    assert keys(mark_list(con, AS_OF, "500118", kind="collective")) == [("10000003", 30)]
    assert keys(mark_list(con, AS_OF, "500118", kind="madrid")) == [("G1000004", 9)]
    with pytest.raises(ValueError, match="kind"):
        mark_list(con, AS_OF, "500118", kind="famous")


def test_mark_detail(con):
    found = mark_detail(con, "10000001", 42, AS_OF)
    assert found["mark"]["owner"] == world.E1
    assert found["state"]["state"] == "registered" and found["state"]["term_end"] == date(2035, 3, 13)
    assert [e["event_type"] for e in found["events"]] == ["renewal_filed"]
    assert mark_detail(con, "10000006", 9, AS_OF)["state"]["state"] == "cancelled"
    assert mark_detail(con, "10000001", 10, AS_OF) is None


# -- the letter -------------------------------------------------------------------------------------------
def _docx_text(data) -> str:
    doc = Document(data)
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_letter_in_chinese_and_english(con, tmp_path):
    from hvpatent.reports.letters import write_trademark_letter

    rows = [r for r in renewal_warnings(con, AS_OF, 180) if r["owner_norm"] == normalize_name(world.E2)]
    text = _docx_text(str(write_trademark_letter(world.E2, rows, AS_OF, "永川区知识产权局", tmp_path / "l.docx")))
    assert "商标续展提醒函" in text and f"{world.E2}：" in text
    assert "有2件注册商标" in text and "其中1件有效期已届满、处于宽展期" in text
    for fact in ("10000002", "30", "2024-10-31", "2025-04-30", "10000005", "35", "2026-02-28", "第四十条"):
        assert fact in text
    english = _docx_text(str(write_trademark_letter(world.E2, rows, AS_OF, "IP office", tmp_path / "e.docx", "en")))
    assert "Trademark renewal reminder" in english and "art. 40" in english and "by 2025-04-30" in english


def test_letter_keeps_a_formula_like_name_as_text(con, tmp_path):
    from hvpatent.reports.letters import write_trademark_letter

    rows = [dict(r, mark_name="=HYPERLINK(\"http://x\")\x00") for r in renewal_warnings(con, AS_OF, 180)[:1]]
    path = write_trademark_letter("=1+1", rows, AS_OF, "局", tmp_path / "f.docx")
    text = _docx_text(str(path))
    assert "=1+1：" in text and "=HYPERLINK(\"http://x\")\ufffd" in text
    assert "w:fldSimple" not in Document(str(path)).element.xml and "w:instrText" not in Document(str(path)).element.xml


# -- the command line -------------------------------------------------------------------------------------
runner = CliRunner()


def hvp(db, *args: str):
    from hvpatent.cli.main import app

    result = runner.invoke(app, ["--db", str(db), *[str(a) for a in args]])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_cli_list_json_and_table(dbs):
    got = hvp(dbs[1], "trademarks", "list", "--as-of", "2024-12-31", "--region", "500118", "--town", SHENGLI,
              "--format", "json")
    assert got.exit_code == 0, got.output
    assert sorted((r["reg_no"], r["nice_class"]) for r in json.loads(got.stdout)) == [
        ("10000001", 9), ("10000001", 42), ("10000007", 41), ("10000009", 9)]
    table = hvp(dbs[1], "trademarks", "list", "--as-of", "2024-12-31", "--region", "500118", "--class", "30")
    assert table.exit_code == 0 and "永川秀芽" in table.output and "2 件" in table.output
    bad = hvp(dbs[1], "trademarks", "list", "--kind", "famous")
    assert bad.exit_code == 2 and "--kind" in bad.output


def test_cli_region_defaults_to_the_plan(dbs):
    def listed(*args: str) -> list[str]:
        got = hvp(dbs[1], "trademarks", *args, "--as-of", "2024-12-31", "--format", "json")
        assert got.exit_code == 0, got.output
        return sorted(f"{r['reg_no']}/{r['nice_class']}" for r in json.loads(got.stdout))

    district = listed("list", "--region", "500118")
    assert len(district) == 7
    assert listed("list") == district  # the seed plan's region is 500118, as the dashboard's
    assert listed("list", "--region", "all") == sorted([*district, "10000010/25"])  # the foreign owner's too
    laisu = ["10000002/30", "10000003/30", "10000005/35"]
    assert listed("list", "--town", LAISU[:9]) == laisu == listed("list", "--region", LAISU[:9])  # 9-digit codes
    assert listed("list", "--region", LAISU) == laisu
    assert listed("warn") == ["10000001/9", "10000002/30", "10000005/35"]
    assert listed("warn", "--region", "all") == ["10000001/9", "10000002/30", "10000005/35", "10000010/25"]
    for bad in (("--region", "5001"), ("--region", "abc"), ("--town", "500118")):
        got = hvp(dbs[1], "trademarks", "list", *bad)
        assert got.exit_code == 2 and bad[0] in got.output, got.output


def test_cli_show_and_warn(dbs, tmp_path):
    shown = hvp(dbs[1], "trademarks", "show", "10000001", "--as-of", "2024-12-31")
    assert shown.exit_code == 0, shown.output
    assert "2035-03-13" in shown.output and "2025-03-13" in shown.output  # both classes: 42 renewed, 9 not
    missing = hvp(dbs[1], "trademarks", "show", "99999999")
    assert missing.exit_code == 1 and "99999999" in missing.output
    warn = hvp(dbs[1], "trademarks", "warn", "--as-of", "2024-12-31", "--within", "180d", "--format", "json")
    assert [r["reg_no"] for r in json.loads(warn.stdout)] == ["10000001", "10000002", "10000005"]
    english = hvp(dbs[1], "--lang", "en", "trademarks", "warn", "--as-of", "2024-12-31")
    assert english.exit_code == 0 and "in the renewal grace period" in english.output
    assert hvp(dbs[1], "trademarks", "warn", "--within", "abc").exit_code == 2


def test_cli_letters_one_per_owner(dbs, tmp_path):
    out = tmp_path / "letters"
    got = hvp(dbs[1], "trademarks", "letters", "--out", out, "--as-of", "2024-12-31")
    assert got.exit_code == 0, got.output
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 2 and all(f.endswith("-2024-12-31.docx") for f in files)  # 甲 (M1) and 乙 (M3, M6)
    jia = next(p for p in out.iterdir() if world.E1 in p.name)
    assert "10000001" in _docx_text(str(jia)) and "10000002" not in _docx_text(str(jia))


def test_letter_file_names_never_collide():
    from hvpatent.cli.trademarks import letter_file_names

    # '/' and ':' both clean to '_', so the first three are one name; 'ACME' and 'acme' are one file on a
    # case-blind disk; the owner really named '甲_公司-2' takes the next free suffix after it.
    names = letter_file_names(["甲/公司", "甲:公司", "甲_公司", "ACME", "acme", "甲_公司-2"], date(2024, 12, 31))
    assert names == ["商标续展提醒函-甲_公司-2024-12-31.docx", "商标续展提醒函-甲_公司-2-2024-12-31.docx",
                     "商标续展提醒函-甲_公司-3-2024-12-31.docx", "商标续展提醒函-ACME-2024-12-31.docx",
                     "商标续展提醒函-acme-2-2024-12-31.docx", "商标续展提醒函-甲_公司-2-2-2024-12-31.docx"]


# -- the API and the pages --------------------------------------------------------------------------------
def test_api_as_staff(base_url):
    with client(base_url, "analyst") as c:
        rows = c.get("/api/trademarks", params={"as_of": "2024-12-31", "town": LAISU}).json()
        assert sorted(r["reg_no"] for r in rows) == ["10000002", "10000003", "10000005"]
        one = c.get("/api/trademarks/10000001/42", params={"as_of": "2024-12-31"}).json()
        assert one["state"]["term_end"] == "2035-03-13" and one["events"][0]["event_type"] == "renewal_filed"
        warns = c.get("/api/trademarks/warnings", params={"as_of": "2024-12-31"}).json()
        assert [(w["reg_no"], w["kind"]) for w in warns] == [
            ("10000001", "tm_renewal_due"), ("10000002", "tm_grace"), ("10000005", "tm_renewal_due")]
        xlsx = c.get("/api/trademarks", params={"as_of": "2024-12-31", "format": "xlsx"})
        assert xlsx.status_code == 200 and load_workbook(BytesIO(xlsx.content)).active.max_row == 8  # header + 7
        assert c.get("/api/trademarks/10000001/10").status_code == 404
        for bad in ({"nice_class": "46"}, {"town": "abc"}, {"kind": "famous"}, {"as_of": "1900-01-01"},
                    {"format": "pdf"}):
            assert c.get("/api/trademarks", params=bad).status_code == 422, bad
        assert c.get("/api/trademarks/warnings", params={"within": "0"}).status_code == 422
        assert c.get("/api/trademarks/10000001/abc").status_code == 422
        assert {"/api/trademarks", "/api/trademarks/warnings", "/api/trademarks/{reg_no}/{nice_class}"} <= set(
            c.get("/openapi.json").json()["paths"])


@pytest.mark.parametrize("role", ["jia", "bank"])
def test_refused_to_other_accounts(base_url, role):
    with client(base_url, role) as c:
        for url in ("/api/trademarks", "/api/trademarks/warnings", "/api/trademarks/10000001/9", "/trademarks",
                    "/trademarks/list", "/trademarks/10000001/9", "/trademarks/warnings"):
            assert c.get(url).status_code == 403, url
    with client(base_url) as anonymous:
        assert anonymous.get("/api/trademarks").status_code == 401
        assert anonymous.get("/trademarks", follow_redirects=False).status_code == 303


def test_dashboard_figures_equal_their_lists(base_url):
    import re

    with client(base_url, "analyst") as c:
        for by, expected in (("town", {SHENGLI: 4, LAISU: 3}), ("nice-class", {"9": 2, "30": 2, "35": 1, "41": 1,
                                                                               "42": 1}),
                             ("enterprise", {normalize_name(world.E1): 3, normalize_name(world.E2): 2})):
            page = c.get("/trademarks", params={"by": by})
            assert page.status_code == 200, page.text
            links = re.findall(r'class="drill" data-group="([^"]*)" href="([^"]*)">([^<]*)<', page.text)
            got = {group: int(figure) for group, _, figure in links}
            assert got == expected, (by, got)
            for _, href, figure in links:
                listed = c.get(href.replace("&amp;", "&"))
                assert listed.status_code == 200
                assert re.search(r'<span id="count">(\d+)</span>', listed.text).group(1) == figure, href
        assert "永川秀芽" in c.get("/trademarks/list", params={"kind": "gi"}).text
        for bad in ({"by": "colour"}, {"as_of": "2024-13-01"}):
            assert c.get("/trademarks", params=bad).status_code == 422
        assert c.get("/trademarks/list", params={"nice_class": "x"}).status_code == 422


def test_aggregate_only_district(base_url):
    with client(base_url, "analyst") as c:
        page = c.get("/trademarks", params={"region": "500151"})
        # records, but none filed by 2012-01-01 (the first, M3, 2013-01-05): an empty breakdown, not "totals only"
        early = c.get("/trademarks", params={"as_of": "2012-01-01"})
        nothing = c.get("/trademarks", params={"region": "110000"})  # no records and no total
    assert page.status_code == 200 and 'id="aggregate-only"' in page.text and "5,000" in page.text
    assert "hvp template trademarks" in page.text and "trademark_counts" not in page.text
    assert 'id="tm-breakdown"' not in page.text
    assert early.status_code == 200 and 'id="tm-breakdown"' in early.text
    assert 'id="aggregate-only"' not in early.text and 'id="no-trademark-data"' not in early.text
    assert nothing.status_code == 200 and 'id="no-trademark-data"' in nothing.text
    assert 'id="aggregate-only"' not in nothing.text and "hvp import" in nothing.text


def test_mark_page_and_warnings_page_with_letters(base_url):
    with client(base_url, "admin") as c:
        page = c.get("/trademarks/10000002/30", params={"as_of": "2024-12-31"})
        assert page.status_code == 200
        assert '<div class="value" id="tm-state">宽展期内（仍有效）' in page.text
        assert '<span id="tm-grace-end">2025-04-30</span>' in page.text and "2023-11-01 – 2024-10-31" in page.text
        assert c.get("/trademarks/10000001/10").status_code == 404
        warnings = c.get("/trademarks/warnings")
        assert warnings.status_code == 200 and '<span id="count">3</span>' in warnings.text
        import re

        letters = re.findall(r'href="(/trademarks/warnings/letter\?[^"]*)"', warnings.text)
        assert len(letters) == 2
        letter = c.get(letters[0].replace("&amp;", "&"))
        assert letter.status_code == 200 and "商标续展提醒函" in _docx_text(BytesIO(letter.content))
        assert c.get("/trademarks/warnings/letter", params={"owner": "nobody"}).status_code == 404
        english = c.get("/trademarks/10000002/30", params={"as_of": "2024-12-31", "lang": "en"}).text
        assert '<div class="value" id="tm-state">in grace (still effective)' in english and "Grace ends" in english


# -- the bulletin ---------------------------------------------------------------------------------------
def test_bulletin_trademark_section_and_its_writers(con, tmp_path):
    """The section alone (building the whole bulletin costs ~20 s of patent figures), then written by the docx
    and xlsx writers inside a bulletin holding only it."""
    from hvpatent.indicators import Context
    from hvpatent.reports import write_bulletin
    from hvpatent.reports.bulletin import Bulletin, _trademark_section

    sheets: dict = {}
    section = _trademark_section(Context.create(con, AS_OF, "year", "500118"), "500118", sheets)
    assert section.heading == "商标"
    # 7 effective (Madrid M5 apart); registered in 2024: none; GI M4, collective M4, Madrid M5
    assert "有效商标注册量7件" in section.paragraphs[0] and "新注册商标0件" in section.paragraphs[0]
    assert "地理标志商标1件" in section.paragraphs[1] and "马德里国际注册商标1件" in section.paragraphs[1]
    tables = {t.title: t for t in section.tables}
    assert {r["town_code"]: r["trademarks"] for r in tables["各镇街有效商标"].rows} == {SHENGLI: 4, LAISU: 3}
    assert [(r["nice_class"], r["trademarks"]) for r in tables["有效商标尼斯分类前10位"].rows][:2] in (
        [("第9类", 2), ("第30类", 2)], [("第30类", 2), ("第9类", 2)])
    assert [r["count"] for r in tables["商标续展预警（今后180天）"].rows] == [2, 1]  # M1 M6 due, M3 in grace
    assert set(sheets) == {"有效商标清单", "本期新注册商标", "商标续展预警"}
    assert len(sheets["有效商标清单"]) == 7 and len(sheets["商标续展预警"]) == 3
    section.heading = "五、商标"
    bulletin = Bulletin("通报", "局", date(2025, 1, 10), AS_OF, "year", "500118", "永川区", [section], [], [], {},
                        sheets)
    text = _docx_text(str(write_bulletin(bulletin, "docx", tmp_path / "b.docx")))
    assert "各镇街有效商标" in text and "有效商标尼斯分类前10位" in text and "商标续展预警（今后180天）" in text
    wb = load_workbook(write_bulletin(bulletin, "xlsx", tmp_path / "b.xlsx"))
    assert wb["有效商标清单(明细)"].max_row == 8 and wb["商标续展预警(明细)"].max_row == 4
    assert wb["各镇街有效商标"].max_row == 3 and wb["有效商标尼斯分类前10位"].max_row == 6  # header + 5 classes
    aggregate = _trademark_section(Context.create(con, AS_OF, "year", "500151"), "500151", {})
    assert "5,000件" in aggregate.paragraphs[0] and "汇总数" in aggregate.paragraphs[0] and not aggregate.tables
    nothing = _trademark_section(Context.create(con, AS_OF, "year", "110000"), "110000", {})
    assert nothing.paragraphs == ["本地区暂无商标数据。"] and not nothing.tables
