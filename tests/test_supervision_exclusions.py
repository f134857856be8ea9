"""What a confirmed review changes (docs/abnormal.md "Reviews", docs/subsidies.md, docs/indicators.md): subsidies
refuse a confirmed application like one with a standing CNIPA notice, from the day the review was decided; the
plan's figures leave confirmed applications out when asked, with a note saying how many.

Reviews are hand-written rows of abnormal_reviews (their decided_at chosen); events are hand-built (facts.events
is replaced); the plan figures run on world.py's district, whose valid inventions of 500118 on 2024-12-31 are A1,
A3, A5 and A10 (test_indicators.py works them out)."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

import world
from hvpatent.plan import plan_progress
from hvpatent.plan.model import parse_plan
from hvpatent.subsidies import facts, rules
from hvpatent.subsidies import ledger as L
from hvpatent.subsidies.facts import Applicant, Event
from hvpatent.subsidies.policy import Item, PolicyVersion, SubsidyPolicy
from hvpatent.warehouse.store import Warehouse

AS_OF = date(2024, 12, 31)


@pytest.fixture(scope="module")
def wh_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = Path(tmp_path_factory.mktemp("exclusions")) / "w.duckdb"
    with Warehouse(path) as warehouse:
        world.build(warehouse)
    return path


@pytest.fixture(scope="module")
def wh(wh_path: Path):
    warehouse = Warehouse(wh_path)
    yield warehouse
    warehouse.close()


@pytest.fixture
def db(wh: Warehouse) -> Warehouse:
    for table in ("abnormal_reviews", "abnormal_notices", "subsidy_ledger"):
        wh.con.execute(f"DELETE FROM {table}")
    return wh


def review(db: Warehouse, app_no: str, at: datetime, status: str = "confirmed") -> None:
    db.con.execute("INSERT INTO abnormal_reviews VALUES (?, ?, ?, 'li', '代理所批量相似申请', '[]', '[]')",
                   [app_no, at, status])


def notice(db: Warehouse, app_no: str, day: date) -> None:
    db.con.execute("INSERT INTO abnormal_notices VALUES (?, ?, '2024-1', NULL, NULL, 'notified', NULL, 'test')",
                   [app_no, day])


# -- subsidies ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("as_of", "excluded"), [
    (date(2024, 6, 9), False), (date(2024, 6, 10), True), (date(2024, 6, 11), True)])
def test_a_confirmed_review_excludes_from_the_day_decided(db, as_of, excluded):
    review(db, world.A10, datetime(2024, 6, 10, 16, 30))
    found = rules.abnormal_applications(db.ibis(), as_of)
    assert found == ({world.A10: {"notice_date": date(2024, 6, 10), "outcome": "confirmed", "batch": None,
                                  "source": "review"}} if excluded else {})


def test_a_later_clearing_lifts_the_review_but_never_a_notice(db):
    review(db, world.A10, datetime(2024, 6, 10))
    review(db, world.A10, datetime(2024, 8, 1), "cleared")
    review(db, world.A1, datetime(2024, 6, 10))                  # confirmed, then notified: the notice wins
    notice(db, world.A1, date(2024, 7, 1))
    review(db, world.A3, datetime(2024, 8, 1), "cleared")        # cleared, but notified: the notice stands
    notice(db, world.A3, date(2024, 7, 1))
    con = db.ibis()
    assert set(rules.abnormal_applications(con, date(2024, 7, 31))) == {world.A10, world.A1, world.A3}
    later = rules.abnormal_applications(con, date(2024, 8, 1))
    assert set(later) == {world.A1, world.A3}
    assert later[world.A1] == {"notice_date": date(2024, 7, 1), "outcome": "notified", "batch": "2024-1"}


def _event(app_no: str) -> Event:
    payee = Applicant(seq=1, name_norm="甲公司", name="甲公司", applicant_type="enterprise", town_code="500118001000")
    return Event(item="grant", kind="invention_grant", subject_kind="patent", subject_key=app_no, subject_name="电池",
                 app_no=app_no, event_key=f"grant:{app_no}", event_date=date(2024, 5, 1), applicants=(payee,),
                 facts={"patent_type": "invention", "state": "granted", "in_force": True, "ipc_main": "H01M 10/052",
                        "ipcs": [], "sei": []})


POLICY = SubsidyPolicy(versions=(PolicyVersion(
    version="v1", name_zh="v1", name_en="v1", effective_from=date(2020, 1, 1), effective_to=None, region="500118",
    source="test", items=(Item(id="grant", kind="invention_grant", name_zh="发明专利授权", name_en="grant",
                               subject="patent", amount_yuan=Decimal("3000")),)),), path="test.yaml")


def test_a_confirmed_applications_subsidy_row_is_ineligible_and_cleared_eligible_again(db, monkeypatch):
    monkeypatch.setattr(facts, "events", lambda con, item, start, end, **kw: [_event(world.A10)])
    review(db, world.A10, datetime(2024, 12, 31, 9, 0))
    [row] = rules.eligible(db.ibis(), POLICY, "2024", as_of=AS_OF, ledger=db.con)
    step = next(s for s in row["trace"] if s["rule"] == "abnormal")
    assert row["eligible"] is False and row["reasons"] == ["abnormal"]
    assert step["facts"]["source"] == "review" and "confirmed abnormal by review on 2024-12-31" in step["note"]
    [before] = rules.eligible(db.ibis(), POLICY, "2024", as_of=date(2024, 12, 30), ledger=db.con)
    assert before["eligible"] is True     # decided the day after that as_of
    review(db, world.A10, datetime(2024, 12, 31, 15, 0), "cleared")
    [again] = rules.eligible(db.ibis(), POLICY, "2024", as_of=AS_OF, ledger=db.con)
    assert again["eligible"] is True and again["amount_yuan"] == Decimal("3000.00")


def test_the_ledger_sees_reviews_without_a_notices_table_and_names_the_review():
    import duckdb

    from hvpatent.warehouse.schema import WORKFLOW_TABLES

    duck = duckdb.connect(":memory:")
    duck.execute(f"CREATE TABLE abnormal_reviews ({WORKFLOW_TABLES['abnormal_reviews']})")
    duck.execute("INSERT INTO abnormal_reviews VALUES ('CN1', ?, 'confirmed', 'li', '理由', '[]', '[]')",
                 [datetime(2024, 6, 10, 9)])
    notices = L._standing_notices(duck, date(2024, 6, 10))
    assert notices == {"CN1": {"notice_date": date(2024, 6, 10), "outcome": "confirmed", "batch": None,
                               "source": "review"}}
    row = {"item": "grant", "subject_key": "CN1", "period": "2024", "app_no": "CN1"}
    with pytest.raises(L.SubsidyError, match=r"grant\|CN1\|2024: application CN1 was confirmed abnormal by review "
                                             r"on 2024-06-10: it cannot be approved"):
        L._refuse_abnormal(row, notices, ("核准", "approved"))
    paid = [{**row, "policy_version": "v1", "paid_at": datetime(2024, 3, 1)}]
    [due] = L.due_rows(paid, POLICY, {}, notices)
    assert (due["reason"], due["notice_date"], due["source"]) == ("abnormal", date(2024, 6, 10), "review")
    assert L.clawback_words(due) == ("2024-06-10 经复核确认为非正常专利申请",
                                     "confirmed abnormal by review on 2024-06-10")
    duck.close()


# -- plan figures -----------------------------------------------------------------------------------------------

PLAN_DATA = {
    "plan": {"name": "测试方案", "issued": date(2023, 1, 1), "region": "500118", "baseline_date": date(2022, 12, 31),
             "deadline": date(2025, 12, 31)},
    "targets": [{"key": "valid", "name": "有效发明专利", "unit": "件", "source": "indicator",
                 "indicator": "valid_inventions", "target": 10}]}
PLAN = parse_plan(PLAN_DATA, "t.yaml")


def test_plan_figures_drop_a_confirmed_valid_invention_only_when_asked(db):
    review(db, world.A10, datetime(2024, 12, 31, 9, 0))
    review(db, world.A6, datetime(2024, 12, 31, 9, 0))     # pending invention of 500118: excluded, not valid
    review(db, world.A4, datetime(2024, 12, 31, 9, 0))     # Beijing's first applicant: not the region's
    [plain] = plan_progress(db.ibis(), PLAN, AS_OF)
    [without] = plan_progress(db.ibis(), PLAN, AS_OF, exclude_abnormal=True)
    assert (plain.current, plain.excluded_abnormal) == (4, 0)
    assert (without.current, without.excluded_abnormal) == (3, 2)
    assert without.trend[-1] == (AS_OF, 3)


@pytest.mark.parametrize(("as_of", "count"), [
    (date(2024, 3, 2), 1), (date(2024, 3, 3), 2), (date(2024, 3, 4), 2)])
def test_the_note_counts_only_applications_filed_by_the_day(db, as_of, count):
    # A6 filed 2024-03-03, A10 filed 2018-02-02, both confirmed: before A6's filing the figures could not hold it
    from hvpatent.indicators.measures import Context

    review(db, world.A10, datetime(2024, 12, 31, 9, 0))
    review(db, world.A6, datetime(2024, 12, 31, 9, 0))
    review(db, world.A4, datetime(2024, 12, 31, 9, 0))     # Beijing's: never the region's
    ctx = Context.create(db.ibis(), as_of, region="500118", exclude_abnormal=True)
    assert ctx.excluded_abnormal() == count
    assert Context.create(db.ibis(), as_of, region="500118").excluded_abnormal() == 0


def test_nothing_confirmed_leaves_the_figures(db):
    review(db, world.A10, datetime(2024, 12, 31), "cleared")
    [without] = plan_progress(db.ibis(), PLAN, AS_OF, exclude_abnormal=True)
    assert (without.current, without.excluded_abnormal) == (4, 0)


def hvp(*args: str) -> str:
    """The command run in this process (a subprocess costs its start-up each time)."""
    from typer.testing import CliRunner

    from hvpatent.cli.main import app

    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_plan_progress_command_prints_the_note(db, wh_path, tmp_path):
    review(db, world.A10, datetime(2024, 12, 31, 9, 0))
    db.con.execute("CHECKPOINT")      # the command reads a copy: the module's warehouse stays open
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(wh_path, copy)
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(PLAN_DATA, allow_unicode=True), encoding="utf-8")
    args = ("--db", str(copy), "plan", "progress", "--as-of", "2024-12-31", "--plan", str(plan))
    assert "已剔除经复核确认的非正常专利申请 1 件" in hvp(*args, "--exclude-abnormal")
    [row] = json.loads(hvp(*args, "--exclude-abnormal", "--format", "json"))
    assert (row["current"], row["exclude_abnormal"], row["excluded_abnormal"]) == (3, True, 1)
    assert "已剔除" not in hvp(*args, "--include-abnormal")


def _copy(db: Warehouse, wh_path: Path, tmp_path: Path) -> tuple[str, ...]:
    """The plan progress command's arguments over a copy of the warehouse as it is now (the module's stays open)."""
    db.con.execute("CHECKPOINT")
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(wh_path, copy)
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(PLAN_DATA, allow_unicode=True), encoding="utf-8")
    return ("--db", str(copy), "plan", "progress", "--as-of", "2024-12-31", "--plan", str(plan))


def test_plan_progress_says_0_excluded_when_asked_and_json_says_whether(db, wh_path, tmp_path, monkeypatch):
    """Nothing confirmed: with exclusion on, the note still says 0 (as the plan page and the bulletin do), so the
    user sees the option took effect; the json rows say exclude_abnormal true or false (0 alone cannot tell).
    Without the option, the settings' plan.exclude_confirmed decides (a user file's true)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))   # no user settings: the shipped false
    args = _copy(db, wh_path, tmp_path)
    assert "已剔除经复核确认的非正常专利申请 0 件" in hvp(*args, "--exclude-abnormal")
    assert "0 applications confirmed abnormal are excluded" in hvp("--lang", "en", *args, "--exclude-abnormal")
    [on] = json.loads(hvp(*args, "--exclude-abnormal", "--format", "json"))
    [off] = json.loads(hvp(*args, "--format", "json"))
    assert (on["current"], on["exclude_abnormal"], on["excluded_abnormal"]) == (4, True, 0)
    assert (off["current"], off["exclude_abnormal"], off["excluded_abnormal"]) == (4, False, 0)
    assert "已剔除" not in hvp(*args)
    folder = tmp_path / "xdg" / "hvpatent"
    folder.mkdir(parents=True)
    (folder / "supervision.yaml").write_text("plan:\n  exclude_confirmed: true\n", encoding="utf-8")
    assert "已剔除经复核确认的非正常专利申请 0 件" in hvp(*args)


def test_a_bad_user_settings_file_stops_plan_progress_and_the_demos_progress_with_exit_2(db, tmp_path, monkeypatch):
    """`hvp plan progress` and the demo's closing progress (which runs before the demo's bulletin reads the same
    file) exit 2 with the message naming the file and the key; no traceback."""
    import typer
    from typer.testing import CliRunner

    from hvpatent.cli.main import app
    from hvpatent.cli.plan import print_demo_progress

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    folder = tmp_path / "xdg" / "hvpatent"
    folder.mkdir(parents=True)
    bad = folder / "supervision.yaml"
    bad.write_text("rules:\n  bulk_filing:\n    window_days: 0\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--lang", "en", "--db", str(tmp_path / "none.duckdb"), "plan", "progress"])
    assert result.exit_code == 2 and "bad settings file" in result.output and str(bad) in result.output
    assert "rules.bulk_filing.window_days" in result.output and "Traceback" not in result.output
    with pytest.raises(typer.Exit) as stopped:
        print_demo_progress(db, date(2024, 6, 30))
    assert stopped.value.exit_code == 2


def test_the_plan_pages_answer_has_the_note_and_sees_a_new_confirmation(db, tmp_path):
    from hvpatent.web.analytics import Analytics

    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(PLAN_DATA, allow_unicode=True), encoding="utf-8")
    analytics = Analytics(db, plan)
    try:
        plain = analytics.plan_progress(AS_OF)   # the shipped settings: not excluded
        assert (plain["exclude_abnormal"], plain["excluded_note"], plain["targets"][0]["current"]) == (False, None, 4)
        assert analytics.plan_progress(AS_OF, True)["excluded_abnormal"] == 0
        review(db, world.A10, datetime(2024, 12, 31, 9, 0))    # a review is no import: the answer must still change
        without = analytics.plan_progress(AS_OF, True)
        assert (without["targets"][0]["current"], without["excluded_abnormal"]) == (3, 1)
        assert without["excluded_note"] == ("已剔除经复核确认的非正常专利申请 1 件",
                                            "1 applications confirmed abnormal are excluded")
    finally:
        analytics.close()


def test_the_bulletin_says_what_it_left_out(db):
    from hvpatent.reports import build_bulletin

    review(db, world.A10, datetime(2024, 12, 31, 9, 0))
    plan = parse_plan(PLAN_DATA, "t.yaml")
    bulletin = build_bulletin(db.ibis(), AS_OF, "year", "500118", plan, exclude_abnormal=True)
    texts = [p for s in bulletin.sections for p in s.paragraphs]
    assert texts.count("已剔除经复核确认的非正常专利申请 1 件。") == 2      # the overview and the plan's section
    assert bulletin.figures["valid_inventions"] == 3    # 4 with A10 (test_indicators.py); one build: it is slow


def test_demo_with_a_bad_settings_file_stops_before_any_work(tmp_path, monkeypatch):
    """`hvp demo` reads the supervision settings for its closing progress and bulletin: a bad file stops it at once
    (exit 2, the file and key named), before any demo file or warehouse is written."""
    from typer.testing import CliRunner

    from hvpatent.cli.main import app

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    folder = tmp_path / "xdg" / "hvpatent"
    folder.mkdir(parents=True)
    (folder / "supervision.yaml").write_text("rules:\n  near_duplicate:\n    min_cluster: 1\n", encoding="utf-8")
    out, db = tmp_path / "demo", tmp_path / "demo.duckdb"
    result = CliRunner().invoke(app, ["--lang", "en", "--db", str(db), "demo", "--out", str(out),
                                      "--applications", "200"])
    assert result.exit_code == 2 and "rules.near_duplicate.min_cluster" in result.output
    assert "Traceback" not in result.output and not out.exists() and not db.exists()
