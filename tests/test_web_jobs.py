"""Background imports, concurrency limits and 4xx for bad input, against a real server on loopback.

No sleeps: a job is followed with the API's own long poll (``?wait=``, an event on the server), and an
import is held "running" by holding the warehouse's write lock, the lock every writer takes."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

import world
from conftest import write_xlsx
from test_import import good_rows, no
from webserver import PASSWORD, get_routes, serve, world_db


@contextmanager
def world_app(folder, **options) -> Iterator[tuple[str, object]]:
    """The world.py district with one account per role, served on loopback: (base URL, the app)."""
    from hvpatent.web import create_app

    app = create_app(world_db(folder, "jobs.duckdb"), secret="test-secret", max_upload_mib=1, **options)
    with serve(app) as url:
        yield url, app


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with world_app(tmp_path_factory.mktemp("jobs")) as pair:
        yield pair


@contextmanager
def client(base_url: str, username: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=120) as c:
        r = c.post("/api/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["x-csrf-token"] = r.json()["csrf"]
        yield c


def upload(c: httpx.Client, name: str, data: bytes) -> httpx.Response:
    if any(ord(ch) < 32 for ch in name):  # httpx percent-encodes these; a hostile client sends them raw
        body = (b"--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name.encode()
                + b"\"\r\nContent-Type: application/octet-stream\r\n\r\n" + data + b"\r\n--b0undary--\r\n")
        return c.post("/api/imports", content=body, headers={"content-type": "multipart/form-data; boundary=b0undary"})
    return c.post("/api/imports", files={"file": (name, data)})


def one_row_file(tmp_path, digits: str, name: str = "one.xlsx") -> bytes:
    row = good_rows()[3].copy()
    row[0] = no(digits)
    return write_xlsx(tmp_path / name, [good_rows()[0], row]).read_bytes()


def test_an_upload_is_queued_and_followed_to_its_end(server, tmp_path):
    url, _ = server
    data = write_xlsx(tmp_path / "export.xlsx", good_rows()).read_bytes()
    with client(url, "admin") as admin:
        r = upload(admin, "export.xlsx", data)
        assert r.status_code == 202, r.text
        job = r.json()
        assert job["status"] == "queued" and job["position"] >= 1 and job["file"] == "export.xlsx"
        done = admin.get(f"/api/imports/jobs/{job['job_id']}", params={"wait": 60}).json()
        assert done["status"] == "done" and done["result"]["accepted"] is True
        assert done["result"]["rows_inserted"] == 3 and done["progress"]["rows_read"] == 3
        assert done["submitted_by"] == "admin" and done["started_at"] and done["finished_at"]
        again = upload(admin, "export.xlsx", data).json()
        assert admin.get(f"/api/imports/jobs/{again['job_id']}", params={"wait": 60}).json()["result"][
            "already_imported"] is True
        assert [j["job_id"] for j in admin.get("/api/imports/jobs").json()][:2] == [again["job_id"], job["job_id"]]
        assert any(i["file_name"] == "export.xlsx" for i in admin.get("/api/imports").json())
        assert "import" in [e["action"] for e in admin.get("/api/audit").json()]
    with client(url, "analyst") as analyst:  # analysts follow jobs; they cannot start or cancel one
        assert analyst.get(f"/api/imports/jobs/{job['job_id']}").json()["status"] == "done"
        assert upload(analyst, "export.xlsx", data).status_code == 403
        assert analyst.post(f"/api/imports/jobs/{job['job_id']}/cancel").status_code == 403


def test_a_file_with_errors_is_a_rejected_job_naming_the_row(server, tmp_path):
    url, _ = server
    bad = write_xlsx(tmp_path / "bad.xlsx", [good_rows()[0], ["not-a-number", *good_rows()[1][1:]]]).read_bytes()
    with client(url, "admin") as admin:
        job = upload(admin, "bad.xlsx", bad).json()
        final = admin.get(f"/api/imports/jobs/{job['job_id']}", params={"wait": 60}).json()
        assert final["status"] == "rejected" and final["result"]["accepted"] is False
        assert final["result"]["errors"][0]["row"] >= 2 and final["result"]["errors"][0]["field"]
        assert "import_rejected" in [e["action"] for e in admin.get("/api/audit").json()]
        assert admin.get("/api/imports/jobs/nope", params={"wait": 1}).status_code == 404


@pytest.mark.parametrize("name", ["..", ".", "x" * 300 + ".csv", "a/b.csv", "..\\b.csv", "tab\there.csv",
                                  "nul\x00.csv", "新" * 90 + ".csv"])
def test_bad_file_names_are_refused_before_queuing(server, tmp_path, name):
    url, _ = server
    with client(url, "admin") as admin:
        before = len(admin.get("/api/imports/jobs").json())
        r = upload(admin, name, one_row_file(tmp_path, "202110777777"))
        assert r.status_code == 422, (name, r.status_code, r.text)
        assert "/" in r.json()["detail"]  # Chinese / English
        if min(map(ord, name)) < 32:
            assert "U+" in r.json()["detail"]  # the control character named, not a multipart slip
        assert len(admin.get("/api/imports/jobs").json()) == before


def test_oversized_upload_is_413(server):
    url, _ = server
    with client(url, "admin") as admin:
        assert upload(admin, "big.csv", b"x" * ((1 << 20) + 1)).status_code == 413


def test_the_server_answers_while_an_import_runs_and_cancel_stores_nothing(server, tmp_path):
    url, app = server
    warehouse = app.state.warehouse
    with client(url, "admin") as admin, client(url, "analyst") as analyst:
        before = analyst.get("/api/indicators", params={"as_of": "2021-12-31", "key": "invention_applications"})
        with warehouse.lock:  # another writer holds the warehouse: the import job runs but waits for it
            first = upload(admin, "first.xlsx", one_row_file(tmp_path, "202110666661", "first.xlsx")).json()
            running = admin.get(f"/api/imports/jobs/{first['job_id']}",
                                params={"wait": 60, "until": "started"}).json()
            assert running["status"] == "running"
            second = upload(admin, "second.xlsx", one_row_file(tmp_path, "202110666662", "second.xlsx")).json()
            assert second["status"] == "queued" and second["position"] == 1  # one import at a time
            # Other requests are answered meanwhile: the import blocks nobody but other writers.
            assert analyst.get("/api/me").status_code == 200
            assert analyst.get("/api/indicators", params={"as_of": "2022-06-30",
                                                          "key": "valid_inventions"}).status_code == 200
            assert admin.get(f"/api/imports/jobs/{first['job_id']}").json()["status"] == "running"
            dropped = admin.post(f"/api/imports/jobs/{second['job_id']}/cancel").json()
            assert dropped["status"] == "cancelled"  # a queued job is dropped at once
            asked = admin.post(f"/api/imports/jobs/{first['job_id']}/cancel").json()
            assert asked["status"] == "running"      # a running one stops at its next progress tick
        final = admin.get(f"/api/imports/jobs/{first['job_id']}", params={"wait": 60}).json()
        assert final["status"] == "cancelled" and final["result"]["accepted"] is False
        assert final["progress"]["rows_read"] == 0  # stopped at its first heartbeat, before its rows
        names = {i["file_name"] for i in admin.get("/api/imports").json()}
        assert not names & {"first.xlsx", "second.xlsx"}  # the transaction rolled back: nothing stored
        assert admin.get(f"/api/patents/{no('202110666661')}").status_code == 404
        after = analyst.get("/api/indicators", params={"as_of": "2021-12-31", "key": "invention_applications"})
        assert after.json() == before.json()
        assert "import_cancelled" in [e["action"] for e in admin.get("/api/audit").json()]


def test_a_finished_import_moves_the_cached_figures(server, tmp_path):
    url, _ = server
    params = {"as_of": "2021-12-31", "key": "invention_applications"}
    with client(url, "admin") as admin:
        before = admin.get("/api/indicators", params=params).json()[0]["value"]
        job = upload(admin, "moves.xlsx", one_row_file(tmp_path, "202110555555", "moves.xlsx")).json()
        assert admin.get(f"/api/imports/jobs/{job['job_id']}", params={"wait": 60}).json()["status"] == "done"
        assert admin.get("/api/indicators", params=params).json()[0]["value"] == before + 1


def test_imports_page_shows_the_queue_and_the_report(server, tmp_path):
    url, _ = server
    with client(url, "admin") as admin:
        page = admin.get("/imports")
        token = page.text.split('name="csrf" value="')[1].split('"')[0]
        r = admin.post("/imports", files={"file": ("page.xlsx", one_row_file(tmp_path, "202110444444", "page.xlsx"))},
                       data={"csrf": token}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/imports?job=")
        job_id = r.headers["location"].split("=")[1]
        assert admin.get(f"/api/imports/jobs/{job_id}", params={"wait": 60}).json()["status"] == "done"
        shown = admin.get(r.headers["location"]).text
        assert f'id="job-{job_id}" data-status="done"' in shown and 'id="result"' in shown
        assert "page.xlsx" in shown and "imports.js" not in shown  # nothing left to refresh for
        bad = admin.post("/imports", files={"file": ("..", b"x")}, data={"csrf": token})
        assert bad.status_code == 422 and 'id="error"' in bad.text


def test_uncached_questions_beyond_the_gate_are_503_with_retry_after_then_answered(tmp_path):
    """One slot, no queue: while another computation holds the slot a new question is told to retry (API
    and page alike) and leaves no per-question lock behind; once the slot is free it is answered."""
    with world_app(tmp_path, heavy_slots=1, heavy_queue=0, heavy_wait_s=0) as (url, app), \
            client(url, "analyst") as analyst:
        a = app.state.analytics
        params = {"as_of": "2015-06-30", "key": "valid_inventions"}
        with a.gate.slot():  # another computation holds the only slot
            busy = analyst.get("/api/indicators", params=params)
            page = analyst.get("/", params={"as_of": "2015-06-30"})
        assert busy.status_code == 503 and int(busy.headers["retry-after"]) >= 1, busy.text
        assert " / " in busy.json()["detail"]
        assert page.status_code == 503 and int(page.headers["retry-after"]) >= 1 and 'id="error"' in page.text
        assert a._key_locks == {}  # a Busy question does not leave its lock behind (no unbounded growth)
        assert analyst.get("/api/indicators", params=params).status_code == 200
        assert a._key_locks == {}


def test_cancel_stops_a_file_of_errors_too_and_stores_nothing(server, tmp_path):
    """A file whose every row is wrong ticks as it is read, so a cancel stops it: cancelled, not rejected."""
    url, app = server
    bad = write_xlsx(tmp_path / "allbad.xlsx", [good_rows()[0], ["not-a-number", *good_rows()[1][1:]]]).read_bytes()
    with client(url, "admin") as admin:
        with app.state.warehouse.lock:  # the job runs but waits for the warehouse
            job = upload(admin, "allbad.xlsx", bad).json()
            running = admin.get(f"/api/imports/jobs/{job['job_id']}", params={"wait": 60, "until": "started"}).json()
            assert running["status"] == "running"
            assert admin.post(f"/api/imports/jobs/{job['job_id']}/cancel").json()["status"] == "running"
        final = admin.get(f"/api/imports/jobs/{job['job_id']}", params={"wait": 60}).json()
        assert final["status"] == "cancelled" and final["result"]["accepted"] is False, final
        assert final["progress"]["rows_read"] == 0  # stopped at its first heartbeat (the chunk's own tick of a
        # file of errors: tests/test_import_heartbeat.py)
        assert "allbad.xlsx" not in {i["file_name"] for i in admin.get("/api/imports").json()}
        cancelled = [e for e in admin.get("/api/audit").json() if e["action"] == "import_cancelled"]
        assert any(job["job_id"] in e["detail"] for e in cancelled)


def test_stopping_the_server_cancels_the_running_import_and_waits_for_it(tmp_path):
    """close() flags the running job, interrupts the warehouse and waits for the worker to end, so the
    warehouse is closed after the import, never under it."""
    from hvpatent.web import create_app

    app = create_app(world_db(tmp_path, "stop.duckdb"), secret="test-secret")
    a, warehouse = app.state.analytics, app.state.warehouse
    interrupted = threading.Event()
    interrupt = a.jobs._interrupt
    a.jobs._interrupt = lambda: (interrupt(), interrupted.set())  # seen by the thread holding the lock

    def writer() -> None:  # another writer holds the warehouse until the shutdown has flagged the job
        with warehouse.lock:
            ready.set()
            interrupted.wait(60)

    ready = threading.Event()
    holder = threading.Thread(target=writer)
    holder.start()
    ready.wait(60)
    job = a.submit_import("stop.xlsx", one_row_file(tmp_path, "202110333333", "stop.xlsx"), False, "admin")
    assert a.jobs.wait(job["job_id"], 60, "started")["status"] == "running"
    a.close()  # returns only once the worker has ended
    holder.join()
    final = a.jobs.get(job["job_id"])
    assert final["status"] == "cancelled" and final["finished_at"] is not None
    assert warehouse.con.execute("SELECT count(*) FROM imports WHERE file_name = 'stop.xlsx'").fetchone()[0] == 0
    assert not (tmp_path / "stop.duckdb.uploads").exists()
    warehouse.close()


def test_uploads_spool_beside_the_warehouse_and_a_refusing_disk_is_503(tmp_path):
    leftover = tmp_path / "jobs.duckdb.uploads" / "0123456789ab" / "killed.xlsx"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"from a server killed with -9")
    with world_app(tmp_path) as (url, app), client(url, "admin") as admin:
        spool = tmp_path / "jobs.duckdb.uploads"
        assert not leftover.exists()  # cleared at start-up
        with app.state.warehouse.lock:
            job = upload(admin, "spooled.xlsx", one_row_file(tmp_path, "202110222222", "spooled.xlsx")).json()
            assert [p.name for p in spool.glob("*/*")] == ["spooled.xlsx"]
        assert admin.get(f"/api/imports/jobs/{job['job_id']}", params={"wait": 60}).json()["status"] == "done"
        assert list(spool.glob("*/*")) == []  # a finished job's file goes
        shutil.rmtree(spool)
        spool.write_bytes(b"a file where the folder should be")  # the disk refuses the upload
        before = len(admin.get("/api/imports/jobs").json())
        r = upload(admin, "refused.xlsx", one_row_file(tmp_path, "202110222223", "refused.xlsx"))
        assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1 and " / " in r.json()["detail"], r.text
        assert len(admin.get("/api/imports/jobs").json()) == before
        spool.unlink()
        app.state.analytics.jobs.max_queued = 0  # a full queue: the page says so with Retry-After too
        token = admin.get("/imports").text.split('name="csrf" value="')[1].split('"')[0]
        page = admin.post("/imports", files={"file": ("full.xlsx", b"x")}, data={"csrf": token})
        assert page.status_code == 503 and int(page.headers["retry-after"]) >= 1 and 'id="error"' in page.text


def test_indicator_checks_name_the_parameter_in_both_languages(server):
    url, _ = server
    with client(url, "analyst") as analyst:
        by = analyst.get("/api/indicators", params={"by": "nonsense"})
        assert by.status_code == 422 and by.json()["detail"].startswith("by：") and " / by: " in by.json()["detail"]
        group = analyst.get("/api/indicators/valid_inventions/records", params={"group_by": "nonsense"})
        assert group.status_code == 422 and "group_by" in group.json()["detail"]
        period = analyst.get("/api/reports/bulletin", params={"period": "decade"})
        assert period.status_code == 422 and " / period: " in period.json()["detail"]
        key = analyst.get("/api/indicators", params={"key": "nope"})
        assert key.status_code == 404 and " / unknown indicator" in key.json()["detail"]


JUNK = ["bogus", "", "0", "-1", "0001-01-01", "9999-12-31", "1984-12-31", "2101-01-01", "x" * 5000, "中",
        "1e309", "%00", "'; DROP TABLE users; --", "../../etc/passwd", "true", "99999999999999999999999"]


def test_every_get_route_answers_junk_with_4xx_not_500(server):
    """Every GET route of the app, as admin, with every query parameter it takes set to junk: one junk value per
    parameter, taken in turn from JUNK, so that across the ~140 routes and ~570 parameters every junk value meets
    every kind of parameter many times (all 16 on every parameter would be ~9,000 requests, ~8 minutes)."""
    url, app = server
    paths = {"key": "valid_inventions", "app_no": world.A1, "job_id": "nope"}
    failures = []
    with client(url, "admin") as admin:
        routes = list(get_routes(app.routes))
        assert len(routes) > 100  # the walk goes through the included routers
        turn = 0
        for route in routes:
            # the known parameters as the world has them, any other one a value that names nothing
            path = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: paths.get(m.group(1), "x"), route.path)
            # what the route declares, and what every page reads from the query itself
            params = {p.alias for p in route.dependant.query_params} | {"as_of", "lang"}
            for name in sorted(params):
                turn += 1
                junk = JUNK[turn % len(JUNK)]
                r = admin.get(path, params={name: junk}, follow_redirects=False)
                if r.status_code >= 500 and r.status_code != 503:
                    failures.append((path, name, junk[:20], r.status_code))
            for junk in ("bogus", "0001-01-01", "x" * 3000):  # junk in the path itself
                if "{" in route.path:
                    bad = route.path.split("{")[0] + junk
                    r = admin.get(bad, follow_redirects=False)
                    if r.status_code >= 500:
                        failures.append((bad[:40], "path", junk[:20], r.status_code))
    assert failures == []


@pytest.mark.parametrize(("path", "params"), [
    ("/records/valid_inventions", {"period": "bogus"}),
    ("/records/valid_inventions", {"group_by": "nonsense", "group": "x"}),
    ("/api/indicators/valid_inventions/records", {"group_by": "nonsense"}),
    ("/api/indicators", {"as_of": "0001-01-01"}),
    ("/api/indicators", {"as_of": "9999-12-31"}),
    ("/", {"as_of": "0001-01-01"}),
    ("/towns", {"as_of": "9999-12-31"}),
    ("/api/highvalue", {"criterion": "nonsense"}),
    ("/highvalue", {"criterion": "nonsense"}),
    ("/api/indicators", {"region": "5" * 5000}),
    ("/api/warnings", {"within": "100000"}),
    ("/warnings", {"within": "abc"}),
])
def test_bad_query_values_are_422_with_a_message(server, path, params):
    url, _ = server
    with client(url, "admin") as admin:
        r = admin.get(path, params=params)
        assert r.status_code == 422, (path, params, r.status_code)
        if path.startswith("/api/"):
            assert r.json()["detail"]
        else:
            assert 'id="error"' in r.text
