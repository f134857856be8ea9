"""/editions and /api/editions (web/editions.py; docs/schedule.md "Web") on the hand-built district: editions stored
by hand (the room's store_edition, with small made-up files) for the pages, and one real run through
POST /api/editions/run (admin) on 2024-10-08, which issues the month 2024-09 (the quarter is stored already) and
on a second call nothing.  Staff read; enterprise, bank and unit accounts get 403, anonymous visitors 401."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from webserver import client, serve, world_db

PLAN = "yongchuan-2022-2024"
V1, V2 = f"{PLAN}/quarter/2024Q3/v1", f"{PLAN}/quarter/2024Q3/v2"
REF1, REF2 = V1.replace("/", "~"), V2.replace("/", "~")
DOCX1, DOCX2 = b"PK-v1-made-up", b"PK-v2-made-up"


def _store(wh, version: int, today: date, files: dict, changes: list, reason: str | None) -> None:
    from hvpatent.plan import load_plans
    from hvpatent.schedule import bulletin_period
    from hvpatent.schedule.editions import store_edition as store

    plan = load_plans().default
    store(wh.con, f"{PLAN}/quarter/2024Q3/v{version}", plan, bulletin_period("quarter", "2024Q3"), version, today,
          "admin", {"imports": 1 + version, "last_import_id": version, "last_imported_at": None,
                    "last_report_at": f"2024-10-1{version}T09:00:00", "last_score_at": None},
          {"trademarks": 15_000.0 + 500 * (version - 1)}, changes, reason, files)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    from hvpatent.warehouse.store import Warehouse
    from hvpatent.web import create_app

    folder = tmp_path_factory.mktemp("schedule-web")
    config = tmp_path_factory.mktemp("schedule-web-config")
    db = world_db(folder)
    with Warehouse(db) as wh:
        _store(wh, 1, date(2024, 10, 8), {"docx": ("v1.docx", DOCX1)}, [], None)
        _store(wh, 2, date(2024, 10, 15), {"docx": ("v2.docx", DOCX2)},
               [{"key": "trademarks", "name": "有效商标注册量", "before": 15000.0, "after": 15500.0},
                {"key": "imports", "name": "数据导入批次 / imports", "before": 2, "after": 3}], "补录商标数据")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("hvpatent.reference.userconfig.user_config_dir", lambda: config)
        with serve(create_app(db, secret="test-secret")) as url:
            yield url


def test_page_lists_editions_newest_version_first_with_late_mark_and_changes(base_url):
    with client(base_url, "analyst") as c:
        r = c.get("/editions")
    assert r.status_code == 200
    html = r.text
    assert html.index(f'data-edition="{V2}"') < html.index(f'data-edition="{V1}"')
    row2 = html[html.index(f'data-edition="{V2}"'):html.index(f'data-edition="{V1}"')]
    assert "迟发" in row2 and "补录商标数据" in row2 and "有效商标注册量：15000.0 → 15500.0" in row2
    assert f'href="/editions/{REF2}/docx"' in row2
    assert "最后报送 2024-10-12T09:00:00" in row2 and "最后评分" not in row2   # the data stamp's tasks part
    row1 = html[html.index(f'data-edition="{V1}"'):]
    assert "迟发" not in row1.split("</tr>")[0]


def test_api_and_downloads(base_url):
    with client(base_url, "admin") as c:
        listed = c.get("/api/editions").json()
        one = c.get(f"/api/editions/{REF2}").json()
        page_file = c.get(f"/editions/{REF1}/docx")
        api_file = c.get(f"/api/editions/{REF2}/docx")
        other_plan = c.get("/api/editions", params={"plan": "other"}).json()
        missing = [c.get(u).status_code for u in (f"/api/editions/{PLAN}~quarter~2024Q3~v9", "/api/editions/..~x",
                                                  f"/editions/{REF1}/xlsx", f"/editions/{REF1}/exe")]
    assert [e["edition_id"] for e in listed[:2]] == [V2, V1] and other_plan == []
    assert one["late"] is True and one["due_on"] == "2024-10-08" and one["reason"] == "补录商标数据"
    assert one["files"] == [{"format": "docx", "file_name": "v2.docx", "size_bytes": len(DOCX2),
                             "sha256": hashlib.sha256(DOCX2).hexdigest()}]
    assert page_file.status_code == 200 and page_file.content == DOCX1
    assert page_file.headers["x-content-sha256"] == hashlib.sha256(DOCX1).hexdigest()
    # web/downloads.disposition: an ASCII fallback and the RFC 5987 name
    assert page_file.headers["content-disposition"] == "attachment; filename=\"v1.docx\"; filename*=UTF-8''v1.docx"
    assert api_file.content == DOCX2
    assert missing == [404, 404, 404, 404]


@pytest.mark.parametrize("username", ["jia", "bank", "keji", None])
def test_other_roles_are_refused(base_url, username):
    with client(base_url, username) as c:
        codes = {u: c.get(u, follow_redirects=False).status_code for u in (
            "/api/editions", f"/api/editions/{REF1}", f"/api/editions/{REF1}/docx")}
        page = c.get("/editions", follow_redirects=False).status_code
        download = c.get(f"/editions/{REF1}/docx", follow_redirects=False)
        run = c.post("/api/editions/run", json={"today": "2024-10-08"}).status_code
    expected = 401 if username is None else 403
    assert set(codes.values()) == {expected} and run == expected
    assert page in ((303, 307, 401) if username is None else (403,))
    assert download.content != DOCX1


def test_run_is_admin_only_and_idempotent(base_url):
    with client(base_url, "analyst") as c:
        assert c.post("/api/editions/run", json={"today": "2024-10-08"}).status_code == 403
    with client(base_url, "admin") as c:
        assert c.post("/api/editions/run", json={"today": "2024-13-01"}).status_code == 422
        dry = c.post("/api/editions/run", json={"today": "2024-10-08", "dry_run": True}).json()
        assert [d["period"] for d in dry["due"]] == ["2024-09"] and dry["issued"] == []
        first = c.post("/api/editions/run", json={"today": "2024-10-08"})
        assert first.status_code == 200, first.text
        (issued,) = first.json()["issued"]
        assert issued["edition_id"] == f"{PLAN}/month/2024-09/v1" and issued["issued_by"] == "admin"
        assert sorted(f["format"] for f in issued["files"]) == ["docx", "xlsx"]
        again = c.post("/api/editions/run", json={"today": "2024-10-08"}).json()
        assert again["due"] == [] and again["issued"] == []
        docx = c.get(f"/api/editions/{PLAN}~month~2024-09~v1/docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    assert hashlib.sha256(docx.content).hexdigest() == next(f["sha256"] for f in issued["files"]
                                                            if f["format"] == "docx")


def test_run_without_csrf_is_refused(base_url):
    with client(base_url, "admin") as c:
        del c.headers["x-csrf-token"]
        assert c.post("/api/editions/run", json={"today": "2024-10-08", "dry_run": True}).status_code == 403


@pytest.mark.parametrize(("body", "words"), [
    ({"today": "0001-01-01"}, "as_of must lie between"),                 # was an OverflowError, a 500
    ({"today": "9999-12-31", "dry_run": True}, "as_of must lie between"),  # was a ValueError, a 500
    ({"today": "2099-01-01"}, "cannot be in the future"),                 # would issue months not yet ended
])
def test_run_refuses_days_out_of_range_and_the_future(base_url, body, words):
    with client(base_url, "admin") as c:
        before = c.get("/api/editions").json()
        r = c.post("/api/editions/run", json=body)
        after = c.get("/api/editions").json()
    assert r.status_code == 422 and words in r.json()["detail"] and before == after


def test_a_future_dry_run_lists_nothing_past_the_plans_deadline(base_url):
    # The seed plan ends 2024-12-31: a dry run "as on" 2099 lists no edition of it (and issues none).
    with client(base_url, "admin") as c:
        r = c.post("/api/editions/run", json={"today": "2099-01-04", "dry_run": True})
    assert r.status_code == 200 and r.json()["due"] == [] and r.json()["issued"] == []
