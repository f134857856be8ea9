"""Navigation projects (专利导航项目) as records: the navigation_projects template's checks and the save of one
project typed in (ingest/projects.py), the plan target that counts the accepted ones (navigation/projects.py),
`hvp projects`, and the web page (web/navigation_projects.py)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import write_xlsx
from hvpatent.cli.main import app
from hvpatent.ingest import ImportRejected, import_file, save_project, template_bytes
from hvpatent.navigation import PROJECT_KINDS, accepted_projects, has_projects, project_list
from hvpatent.plan import load_plan, plan_progress
from hvpatent.plan.model import PROJECT_KINDS as PLAN_PROJECT_KINDS
from hvpatent.plan.model import PlanError, parse_plan
from hvpatent.plan.progress import NO_PROJECTS
from hvpatent.warehouse.store import Warehouse

runner = CliRunner()
HEAD = ["项目编号", "项目名称", "项目类型", "承担单位", "产业", "立项日期", "验收日期", "状态", "报告文件", "备注"]
E1, E2 = "重庆甲科技有限公司", "重庆乙机械有限公司"
ACCEPTED = date(2023, 5, 10)
# NP1: enterprise, accepted 2023-05-10 (counted).  NP2: industry project, accepted 2023-08-01 (not an enterprise
# one: the default target leaves it out).  NP3: enterprise, in progress (not counted).  NP4: enterprise accepted
# on the baseline day 2022-12-31 itself (counts for the baseline, not as new).  English codes and Chinese words mix.
GOOD = [
    ["NP1", "甲公司电池导航", "企业", E1, "新能源", "2022-03-01", ACCEPTED.isoformat(), "已验收", "np1.pdf", ""],
    ["NP2", "汽摩产业导航", "industry", "", "auto_moto", "2022-01-05", "2023-08-01", "accepted", "", "区局"],
    ["NP3", "乙公司导航", "enterprise", E2, "智能装备", "2023-02-01", "", "实施中", "", ""],
    ["NP4", "甲公司二期", "企业", E1, "", "2022-01-01", "2022-12-31", "已验收", "", ""],
]


def hvp(*args: object):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


@pytest.fixture(scope="module")
def projects_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("np")
    db = folder / "np.duckdb"
    with Warehouse(db) as wh:
        import_file(wh, write_xlsx(folder / "projects.xlsx", [HEAD, *GOOD]))
    return db


def test_template_rows_hand_worked(projects_db):
    with Warehouse(projects_db, read_only=True) as wh:
        rows = {r["project_no"]: r for r in project_list(wh.ibis())}
        assert sorted(rows) == ["NP1", "NP2", "NP3", "NP4"]
        np1 = rows["NP1"]
        assert (np1["kind"], np1["industry"], np1["status"], np1["accepted_date"], np1["enterprise_norm"]) == (
            "enterprise", "new_energy", "accepted", ACCEPTED, E1)
        assert (rows["NP2"]["kind"], rows["NP2"]["industry"], rows["NP2"]["enterprise"]) == (
            "industry", "auto_moto", None)
        assert rows["NP3"]["status"] == "in_progress" and rows["NP3"]["industry"] == "intelligent_equipment"
        assert [r["project_no"] for r in project_list(wh.ibis(), status="accepted")] == ["NP4", "NP2", "NP1"]
        assert [r["project_no"] for r in project_list(wh.ibis(), enterprise=f" {E1} ")] == ["NP4", "NP1"]
        assert [r["project_no"] for r in project_list(wh.ibis(), industry="auto_moto")] == ["NP2"]


def test_reimport_changes_nothing(projects_db, tmp_path):
    # The same records in another order: another file (an identical file would be skipped by its checksum,
    # whatever second openpyxl stamps it with), so the upsert itself must find nothing new.
    again = write_xlsx(tmp_path / "again.xlsx", [HEAD, *reversed(GOOD)])
    with Warehouse(projects_db) as wh:
        before = project_list(wh.ibis())
        result, _ = import_file(wh, again)
        assert (result.rows_inserted, result.rows_updated, result.rows_unchanged) == (0, 0, 4)
        assert project_list(wh.ibis()) == before


@pytest.mark.parametrize(("day", "count"), [
    (ACCEPTED - timedelta(days=1), 0), (ACCEPTED, 1), (ACCEPTED + timedelta(days=1), 1)])
def test_accepted_projects_on_the_day_before_of_and_after(projects_db, day, count):
    with Warehouse(projects_db, read_only=True) as wh:
        got = accepted_projects(wh.ibis(), date(2022, 12, 31), day, ["enterprise"])
        assert [r["project_no"] for r in got] == ["NP1"][:count]  # NP4 on the baseline day itself: not new


def test_accepted_projects_all_kinds(projects_db):
    with Warehouse(projects_db, read_only=True) as wh:
        assert [r["project_no"] for r in accepted_projects(wh.ibis(), date(2022, 12, 31), date(2024, 1, 1))] == [
            "NP2", "NP1"]  # by start date: NP2 2022-01-05, NP1 2022-03-01
        assert [r["project_no"] for r in accepted_projects(wh.ibis(), date(2022, 12, 30), date(2022, 12, 31))] == [
            "NP4"]


BAD = [  # (row, the field the error names, a piece of its reason)
    (["B1", "t", "企业", E1, "", "2023-05-01", "2023-04-30", "已验收", "", ""], "验收日期", "早于立项日期"),
    (["B2", "t", "企业", E1, "", "2023-05-01", "", "已验收", "", ""], "验收日期", "须填写验收日期"),
    (["B3", "t", "企业", E1, "", "2023-05-01", "2023-06-01", "实施中", "", ""], "状态", "应为已验收"),
    (["B4", "t", "企业", "", "", "2023-05-01", "", "立项", "", ""], "承担单位", "承担单位"),
    (["B5", "t", "公司", E1, "", "2023-05-01", "", "立项", "", ""], "项目类型", "企业/产业/区域"),
    (["B6", "t", "企业", E1, "火星产业", "2023-05-01", "", "立项", "", ""], "产业", "方案产业"),
    (["B7", "t", "企业", E1, "", "2023-05-01", "", "完成", "", ""], "状态", "立项/实施中/已验收/终止"),
    (["B8", "t", "企业", E1, "", "2023-13-01", "", "立项", "", ""], "立项日期", ""),
    # Accepted in the far future (2099, the parser takes years to 2100), not today + 1 computed at import time: a
    # run crossing midnight would see that day as today.
    (["B9", "t", "企业", E1, "", "2023-05-01", "2099-12-31", "已验收", "", ""], "验收日期", "晚于今天"),
]


def test_each_bad_row_names_file_row_and_field_and_nothing_is_stored(tmp_path):
    good = ["G1", "t", "企业", E1, "", "2023-05-01", "", "立项", "", ""]
    path = write_xlsx(tmp_path / "bad.xlsx", [HEAD, good, *[row for row, _, _ in BAD]])
    with Warehouse(tmp_path / "w.duckdb") as wh:
        with pytest.raises(ImportRejected) as caught:
            import_file(wh, path)
        got = [(e.file, e.row, e.field) for e in caught.value.errors]
        assert got == [("bad.xlsx", i, field) for i, (_, field, _) in enumerate(BAD, 3)]
        for err, (_, _, why) in zip(caught.value.errors, BAD, strict=True):
            assert why in err.reason
        assert not has_projects(wh.ibis())  # atomic: the good row G1 is not stored either


def test_acceptance_today_is_allowed_a_start_in_the_future_too(tmp_path):
    today = date.today()
    rows = [["T1", "t", "企业", E1, "", "2020-01-01", today.isoformat(), "已验收", "", ""],
            ["T2", "t", "企业", E1, "", (today + timedelta(days=30)).isoformat(), "", "立项", "", ""]]
    with Warehouse(tmp_path / "w.duckdb") as wh:
        import_file(wh, write_xlsx(tmp_path / "t.xlsx", [HEAD, *rows]))
        assert [r["project_no"] for r in project_list(wh.ibis())] == ["T1", "T2"]


def test_formula_looking_cells_are_text(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(template_bytes({"project_no": "=1+1", "title": "=HYPERLINK(\"x\")", "kind": "企业",
                                     "enterprise": E1, "started_date": "2023-01-01", "status": "立项"}))
    with Warehouse(tmp_path / "w.duckdb") as wh:
        import_file(wh, path)
        [row] = project_list(wh.ibis())
        assert (row["project_no"], row["title"]) == ("=1+1", '=HYPERLINK("x")')


# -- one project typed in (ingest.save_project) -------------------------------------------------------------------


def _fields(**values: object) -> dict:
    return {"project_no": "S1", "title": "甲公司导航", "kind": "企业", "enterprise": E1, "industry": "新能源",
            "started_date": "2023-01-01", "accepted_date": None, "status": "立项", **values}


def _imports(wh: Warehouse) -> list[tuple]:
    return [tuple(r) for r in wh.con.execute(
        "SELECT file_name, source, kind, rows_inserted, rows_updated, rows_unchanged FROM imports ORDER BY import_id"
    ).fetchall()]


def test_save_applies_every_time_a_then_b_then_a(tmp_path):
    """The bug this guards: a save was imported as a one-row file, and a file whose checksum was seen before is
    skipped, so going back to an earlier state (A → B → A) silently kept B."""
    a = _fields()
    b = _fields(title="甲公司导航（二期）", status="已验收", accepted_date="2024-02-02")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        for fields, counts in ((a, (1, 0, 0)), (b, (0, 1, 0)), (a, (0, 1, 0)), (a, (0, 0, 1))):
            result = save_project(wh, fields, by="analyst")
            assert (result.rows_inserted, result.rows_updated, result.rows_unchanged) == counts
        [row] = project_list(wh.ibis())
        assert (row["title"], row["status"], row["accepted_date"]) == ("甲公司导航", "approved", None)  # A
        # each save is an import record of its own (the data version moves) and an audit entry by its user
        assert [r[:3] for r in _imports(wh)] == [("hvp projects add: S1", "template:navigation_projects",
                                                  "template")] * 4
        logged = wh.con.execute("SELECT username, action, detail FROM audit_log ORDER BY logged_at").fetchall()
        assert [tuple(r) for r in logged] == [("analyst", "navigation_project", "S1: approved 甲公司导航"),
                                             ("analyst", "navigation_project", "S1: accepted 甲公司导航（二期）"),
                                             ("analyst", "navigation_project", "S1: approved 甲公司导航"),
                                             ("analyst", "navigation_project", "S1: approved 甲公司导航")]


def test_a_file_saved_before_is_not_taken_for_a_save(tmp_path):
    """A save's record carries no file's checksum: the one-row file of A, uploaded after saves A and B, is
    imported (and brings A back), not skipped as seen before."""
    a, b = _fields(), _fields(title="B")
    path = tmp_path / "a.csv"
    path.write_bytes(template_bytes(a))
    with Warehouse(tmp_path / "w.duckdb") as wh:
        save_project(wh, a)
        save_project(wh, b)
        result, _ = import_file(wh, path)
        assert not result.already_imported and result.rows_updated == 1
        assert [r["title"] for r in project_list(wh.ibis())] == ["甲公司导航"]


def test_save_checks_as_the_template_does_and_stores_nothing_when_bad(tmp_path):
    """The same parsers and rules as a file's row (BAD above): the error names the template's header."""
    with Warehouse(tmp_path / "w.duckdb") as wh:
        for values, field in (({"accepted_date": "2022-12-01", "status": "已验收"}, "验收日期"),
                              ({"kind": "公司"}, "项目类型"), ({"started_date": "2023-13-01"}, "立项日期"),
                              ({"enterprise": ""}, "承担单位"), ({"industry": "火星"}, "产业"),
                              ({"status": "完成"}, "状态"), ({"title": " "}, "项目名称")):
            with pytest.raises(ImportRejected) as caught:
                save_project(wh, _fields(**values))
            assert [(e.file, e.row, e.field) for e in caught.value.errors] == [("hvp projects add: S1", 1, field)]
        assert not has_projects(wh.ibis()) and _imports(wh) == []
        assert wh.con.execute("SELECT count(*) FROM audit_log").fetchall()[0][0] == 0


# -- the plan target ---------------------------------------------------------------------------------------------


def _plan(**extra) -> dict:
    return {"plan": {"name": "测试方案", "issued": date(2023, 1, 1), "region": "500118",
                     "baseline_date": date(2022, 12, 31), "deadline": date(2025, 12, 31)},
            "targets": [{"key": "nav", "name": "导航项目", "unit": "个", "source": "navigation_projects",
                         "target": 1, "why_entered": "按导航项目记录计数", **extra}]}


def test_project_kinds_agree_with_the_plans():
    assert PLAN_PROJECT_KINDS == PROJECT_KINDS


def test_plan_target_parses_with_enterprise_by_default():
    [target] = parse_plan(_plan(), "t.yaml").targets
    assert (target.source, target.kinds) == ("navigation_projects", ("enterprise",))
    assert parse_plan(_plan(kinds=["industry", "region"]), "t.yaml").targets[0].kinds == ("industry", "region")
    with pytest.raises(PlanError, match="kinds"):
        parse_plan(_plan(kinds=["company"]), "t.yaml")


def test_yongchuan_plan_counts_project_records():
    nav = next(t for t in load_plan().targets if t.key == "navigation_projects")
    assert (nav.source, nav.kinds, nav.target) == ("navigation_projects", ("enterprise",), 1)
    assert "hvp plan set" in nav.why_entered  # the fallback is explained


@pytest.mark.parametrize(("day", "count", "status"), [
    (ACCEPTED - timedelta(days=1), 0, "off_track"), (ACCEPTED, 1, "achieved"),
    (ACCEPTED + timedelta(days=1), 1, "achieved")])
def test_plan_target_counts_accepted_projects(projects_db, day, count, status):
    """Baseline 2022-12-31: NP4 (accepted that day) is not new, NP2 is no enterprise project, NP3 not accepted;
    NP1 counts from its acceptance day 2023-05-10.  Target 1: achieved from that day; the day before, the
    trend (all 0) projects 0 < 90% of 1: off track."""
    plan = parse_plan(_plan(), "t.yaml")
    with Warehouse(projects_db, read_only=True) as wh:
        [progress] = plan_progress(wh.ibis(), plan, day)
    assert (progress.current, progress.status, progress.trend[-1]) == (count, status, (day, count))
    assert NO_PROJECTS not in progress.note


def test_plan_target_with_kinds_counts_industry_projects(projects_db):
    plan = parse_plan(_plan(kinds=["industry"]), "t.yaml")
    with Warehouse(projects_db, read_only=True) as wh:
        assert [p.current for p in plan_progress(wh.ibis(), plan, date(2023, 7, 31))] == [0]
        assert [p.current for p in plan_progress(wh.ibis(), plan, date(2023, 8, 1))] == [1]  # NP2


def test_plan_target_falls_back_to_entered_values(tmp_path):
    plan = parse_plan(_plan(), "t.yaml")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        [none] = plan_progress(wh.ibis(), plan, date(2024, 6, 30))
        assert none.current is None and none.status == "no_data" and NO_PROJECTS in none.note
        wh.set_plan_value("nav", date(2024, 3, 31), 2, "验收")
        [entered] = plan_progress(wh.ibis(), plan, date(2024, 6, 30))
        assert entered.current == 2 and NO_PROJECTS in entered.note and "按导航项目记录计数" in entered.note


# -- hvp projects --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("npcli") / "cli.duckdb"


def test_cli_add_list_and_update(cli_db):
    out = hvp("--db", cli_db, "projects", "add", "--no", "C1", "--title", "甲公司导航", "--kind", "企业",
              "--enterprise", E1, "--industry", "新能源", "--started", "2023-01-01", "--accepted", "2024-02-02")
    assert out.exit_code == 0, out.output
    rows = json.loads(hvp("--db", cli_db, "projects", "list", "--format", "json").output)
    assert [(r["project_no"], r["status"], r["accepted_date"], r["industry"]) for r in rows] == [
        ("C1", "accepted", "2024-02-02", "new_energy")]  # --accepted without --status: accepted
    hvp("--db", cli_db, "projects", "add", "--no", "C1", "--title", "甲公司导航（更新）", "--kind", "enterprise",
        "--enterprise", E1, "--started", "2023-01-01", "--status", "实施中")
    rows = json.loads(hvp("--db", cli_db, "projects", "list", "--format", "json").output)
    assert [(r["title"], r["status"], r["accepted_date"]) for r in rows] == [
        ("甲公司导航（更新）", "in_progress", None)]
    assert json.loads(hvp("--db", cli_db, "projects", "list", "--status", "已验收", "--format", "json").output) == []
    table = hvp("--db", cli_db, "projects", "list").output
    assert "实施中" in table and "项目编号" in table


@pytest.mark.parametrize(("args", "option"), [
    (["--kind", "企业", "--started", "2023-01-01"], "--enterprise"),
    (["--kind", "企业", "--enterprise", E1, "--started", "2023-05-01", "--accepted", "2023-04-01"], "--accepted"),
    (["--kind", "公司", "--enterprise", E1, "--started", "2023-05-01"], "--kind"),
    (["--kind", "企业", "--enterprise", E1, "--started", "2023-05-01", "--industry", "火星"], "--industry"),
])
def test_cli_add_refuses_a_bad_value_naming_the_option(cli_db, args, option):
    result = hvp("--db", cli_db, "projects", "add", "--no", "X1", "--title", "t", *args)
    assert result.exit_code == 1 and option in result.output
    rows = json.loads(hvp("--db", cli_db, "projects", "list", "--format", "json").output)
    assert "X1" not in [r["project_no"] for r in rows]


def test_cli_add_a_then_b_then_a_ends_in_a(tmp_path):
    db = tmp_path / "w.duckdb"
    common = ["--no", "A1", "--kind", "企业", "--enterprise", E1, "--started", "2023-01-01"]
    for title, extra in (("A", []), ("B", ["--accepted", "2024-01-01"]), ("A", [])):
        out = hvp("--db", db, "projects", "add", *common, "--title", title, *extra)
        assert out.exit_code == 0 and ("更新 1" in out.output or "新增 1" in out.output), out.output
    rows = json.loads(hvp("--db", db, "projects", "list", "--format", "json").output)
    assert [(r["title"], r["status"], r["accepted_date"]) for r in rows] == [("A", "approved", None)]


def test_cli_import_of_a_file_seen_before_says_so(tmp_path):
    db = tmp_path / "w.duckdb"
    path = write_xlsx(tmp_path / "projects.xlsx", [HEAD, *GOOD])
    assert hvp("--db", db, "projects", "import", path).exit_code == 0
    again = hvp("--db", db, "projects", "import", path)
    assert again.exit_code == 0 and "已导入过" in again.output


def test_template_help_lists_every_template_and_writes_this_one(tmp_path):
    from hvpatent.ingest import TEMPLATES

    shown = "".join(ch for ch in hvp("template", "--help").output if not ch.isspace() and ch != "│")  # unwrapped
    assert all(kind in shown for kind in TEMPLATES), shown
    out = tmp_path / "np.xlsx"
    assert hvp("template", "navigation_projects", "--out", out).exit_code == 0 and out.is_file()


def test_cli_import_and_list_filters(tmp_path):
    db = tmp_path / "w.duckdb"
    path = write_xlsx(tmp_path / "projects.xlsx", [HEAD, *GOOD])
    assert hvp("--db", db, "projects", "import", path).exit_code == 0
    rows = json.loads(hvp("--db", db, "projects", "list", "--industry", "汽车摩托车", "--format", "json").output)
    assert [r["project_no"] for r in rows] == ["NP2"]
    bad = hvp("--db", db, "projects", "import", write_xlsx(tmp_path / "bad.xlsx", [HEAD, BAD[0][0]]))
    assert bad.exit_code == 1 and "bad.xlsx 第 2 行「验收日期」" in bad.output
    other = hvp("--db", db, "projects", "import", write_xlsx(tmp_path / "o.xlsx", [["申请号", "奖项"], ["x", "y"]]))
    assert other.exit_code == 1 and "不是导航项目模板" in other.output
    assert hvp("--db", db, "projects", "list", "--status", "完成").exit_code == 2


# -- the web page and API ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The world.py district served on loopback, and its app (the lock test holds the warehouse's write lock)."""
    from hvpatent.web import create_app
    from webserver import serve, world_db

    app = create_app(world_db(tmp_path_factory.mktemp("np-web")), secret="test-secret")
    with serve(app) as url:
        yield url, app


@pytest.fixture(scope="module")
def base_url(served):
    return served[0]


def _form(**values: str) -> dict:
    return {"project_no": "W1", "title": "甲公司新能源导航", "kind": "enterprise", "enterprise": "", "industry": "",
            "started_date": "2023-03-01", "accepted_date": "", "status": "approved", "report_file": "",
            "note": "", **values}


def test_web_roles_form_and_api(base_url):
    import world
    from webserver import client

    with client(base_url, "analyst") as c:
        csrf = c.headers["x-csrf-token"]
        assert c.get("/navigation/projects").status_code == 200
        saved = c.post("/navigation/projects", data={**_form(enterprise=world.E1, industry="new_energy",
                                                             accepted_date="2024-01-02", status="accepted"),
                                                     "csrf": csrf})
        assert saved.status_code == 303 and saved.headers["location"] == "/navigation/projects?saved=W1"
        assert "已保存：W1" in c.get(saved.headers["location"]).text
        c.post("/navigation/projects", data={**_form(project_no="W2", enterprise=world.E2), "csrf": csrf})
        rows = c.get("/api/navigation/projects").json()
        assert [(r["project_no"], r["status"], r["accepted_date"]) for r in rows] == [
            ("W1", "accepted", "2024-01-02"), ("W2", "approved", None)]
        assert [r["project_no"] for r in c.get("/api/navigation/projects", params={"status": "已验收"}).json()] == [
            "W1"]
        assert c.get("/api/navigation/projects", params={"status": "完成"}).status_code == 422
        assert c.get("/api/navigation/projects", params={"industry": "火星"}).status_code == 422
        for bad, field in ((_form(enterprise=world.E1, accepted_date="2023-02-01", status="accepted"), "验收日期"),
                           (_form(enterprise=world.E1, kind="公司"), "项目类型"),
                           (_form(enterprise=world.E1, started_date="2023-13-01"), "立项日期"),
                           (_form(), "承担单位"),
                           (_form(enterprise=world.E1, industry="火星"), "产业")):
            page = c.post("/navigation/projects", data={**bad, "project_no": "BAD", "csrf": csrf})
            assert page.status_code == 422 and f"「{field}」" in page.text, field
        forged = c.post("/navigation/projects", data={**_form(project_no="F1", enterprise=world.E1), "csrf": "x"})
        assert forged.status_code == 403
        assert [r["project_no"] for r in c.get("/api/navigation/projects").json()] == ["W1", "W2"]  # none stored
        sheet = c.get("/api/navigation/projects", params={"format": "xlsx"})
        assert sheet.status_code == 200 and sheet.content[:2] == b"PK"
    with client(base_url, "admin") as admin:
        logged = [e for e in admin.get("/api/audit").json() if e["action"] == "navigation_project"]
        assert sorted((e["username"], e["detail"].split(":")[0]) for e in logged) == [
            ("analyst", "W1"), ("analyst", "W2")]  # the two saved, not the refused ones
    with client(base_url, "jia") as jia:  # 甲 sees its own project only, and no form
        assert [r["project_no"] for r in jia.get("/api/navigation/projects").json()] == ["W1"]
        page = jia.get("/navigation/projects").text
        assert "W1" in page and "W2" not in page and 'id="project-form"' not in page
        posted = jia.post("/navigation/projects", data={**_form(project_no="J1", enterprise=world.E1),
                                                        "csrf": jia.headers["x-csrf-token"]})
        assert posted.status_code == 403
    with client(base_url, "bank") as bank:
        assert bank.get("/navigation/projects").status_code == 403
        assert bank.get("/api/navigation/projects").status_code == 403
    with client(base_url) as anonymous:  # 401 with a JSON reason, like every other API (no login page redirect)
        answer = anonymous.get("/api/navigation/projects", follow_redirects=False)
        assert answer.status_code == 401 and "please log in" in answer.json()["detail"]


def test_web_save_a_then_b_then_a_ends_in_a(base_url):
    import world
    from webserver import client

    with client(base_url, "analyst") as c:
        csrf = c.headers["x-csrf-token"]
        for title, status, accepted in (("A", "approved", ""), ("B", "accepted", "2024-03-01"),
                                        ("A", "approved", "")):
            saved = c.post("/navigation/projects", data={
                **_form(project_no="ABA", title=title, enterprise=world.E1, status=status, accepted_date=accepted),
                "csrf": csrf})
            assert saved.status_code == 303, saved.text
            # the list answers the saved state at once: the cached answer of the state before is gone
            [row] = [r for r in c.get("/api/navigation/projects").json() if r["project_no"] == "ABA"]
            assert (row["title"], row["status"], row["accepted_date"]) == (title, status, accepted or None)


def test_web_save_while_an_import_holds_the_lock_says_so(served, monkeypatch):
    """An import holds the warehouse's write lock (minutes for a large file): the form waits LOCK_WAIT_S, then
    answers 503 with the values kept and nothing stored, not a 500."""
    import world
    from hvpatent.web import navigation_projects
    from webserver import client

    url, app = served
    monkeypatch.setattr(navigation_projects, "LOCK_WAIT_S", 0.2)
    with client(url, "analyst") as c:
        lock = app.state.warehouse.lock
        lock.acquire()
        try:
            page = c.post("/navigation/projects", data={**_form(project_no="LOCKED", enterprise=world.E1),
                                                        "csrf": c.headers["x-csrf-token"]})
        finally:
            lock.release()
        assert page.status_code == 503 and "正在导入" in page.text and 'value="LOCKED"' in page.text
        assert "LOCKED" not in [r["project_no"] for r in c.get("/api/navigation/projects").json()]


def test_web_refused_or_busy_save_keeps_the_list_filters(served, monkeypatch):
    """The page re-rendered with 422 (a bad value) or 503 (an import holds the lock) shows the list as it was
    filtered (status accepted, industry new_energy: the selects keep them), and a save comes back to it filtered."""
    import world
    from hvpatent.web import navigation_projects
    from webserver import client

    url, app = served
    view = {"view_status": "accepted", "view_industry": "new_energy"}
    kept = ('<option value="accepted" selected>', '<option value="new_energy" selected>')
    with client(url, "analyst") as c:
        csrf = c.headers["x-csrf-token"]
        assert all(k in c.get("/navigation/projects", params={"status": "accepted", "industry": "new_energy"}).text
                   for k in kept)
        bad = c.post("/navigation/projects", data={**_form(project_no="FB", kind="公司", enterprise=world.E1),
                                                   **view, "csrf": csrf})
        assert bad.status_code == 422 and all(k in bad.text for k in kept)
        assert 'name="view_status" value="accepted"' in bad.text   # and the next try carries them on
        monkeypatch.setattr(navigation_projects, "LOCK_WAIT_S", 0.2)
        lock = app.state.warehouse.lock
        lock.acquire()
        try:
            busy = c.post("/navigation/projects", data={**_form(project_no="FB", enterprise=world.E1), **view,
                                                        "csrf": csrf})
        finally:
            lock.release()
        assert busy.status_code == 503 and all(k in busy.text for k in kept)
        saved = c.post("/navigation/projects", data={**_form(project_no="FB", enterprise=world.E1), **view,
                                                     "csrf": csrf})
        assert saved.status_code == 303
        assert saved.headers["location"] == "/navigation/projects?status=accepted&industry=new_energy&saved=FB"
        # an unknown filter word is dropped (the whole list), never an error of the save itself
        other = c.post("/navigation/projects", data={**_form(project_no="FB", enterprise=world.E1),
                                                     "view_status": "完成", "csrf": csrf})
        assert other.status_code == 303 and other.headers["location"] == "/navigation/projects?saved=FB"


def test_web_nav_links_the_projects_page_for_staff_only(base_url):
    from webserver import client

    with client(base_url, "analyst") as c:
        page = c.get("/navigation/projects").text
        assert '<a href="/navigation/projects" class="active">导航项目</a>' in page  # the current page, marked
        assert '<a href="/navigation/projects" class="">导航项目</a>' in c.get("/imports").text
    with client(base_url, "jia") as jia:  # an enterprise user still opens the page (its own projects), unlisted
        page = jia.get("/navigation/projects")
        assert page.status_code == 200 and 'href="/navigation/projects"' not in page.text
