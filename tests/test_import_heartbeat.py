"""The importers' heartbeat (ingest/heartbeat.py): every long phase of an import ticks its progress
callback, the xlsx scan, the reading and the conversion of rows, not only the end of each chunk, so a
cancel raised from the callback stops an import wherever it is, with nothing stored.

The files hold 20,000 rows, fewer than one chunk: without the heartbeat the only ticks would come
after all of them were read.  No timing: the ticks are counted, and the cancel is raised from the Nth."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from openpyxl import Workbook

from conftest import table_counts
from hvpatent.ingest import ImportRejected, import_file, readers
from hvpatent.ingest.heartbeat import listening, watching
from hvpatent.warehouse.store import Warehouse
from test_import import HEADERS, good_rows, no
from test_web_jobs import client, upload
from test_xlsx_paths import write_workbook
from webserver import serve, world_db

ROWS = 20_000


class Stop(BaseException):
    """What web/jobs.py's Cancelled is: a BaseException raised from the progress callback."""


def _patent_rows() -> Iterator[list]:
    template = good_rows()[3]  # an invention application of 2021
    for i in range(ROWS):
        row = template.copy()
        row[0] = no(f"20211{i:07d}")
        row[2] = f"一种白酒酿造装置 {i}"
        yield row


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("heartbeat")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(HEADERS)
    for row in _patent_rows():
        ws.append(row)
    xlsx = folder / "big.xlsx"
    wb.save(xlsx)
    csv = folder / "big.csv"
    csv.write_text("\n".join(",".join(map(str, r)) for r in [HEADERS, *_patent_rows()]), encoding="utf-8")
    jsonl = folder / "big.jsonl"
    record = {"country_code": "CN", "kind_code": "A", "application_kind": "A", "filing_date": 20150302,
              "publication_date": 20160901, "title_localized": [{"text": "一种装置", "language": "zh"}]}
    jsonl.write_text("\n".join(json.dumps({**record, "publication_number": f"CN-1{i:08d}-A",
                                           "application_number": f"CN-20151{i:07d}-A"}, ensure_ascii=False)
                               for i in range(ROWS)), encoding="utf-8")
    bad = folder / "allbad.csv"  # every row wrong: a file of errors
    bad.write_text("\n".join(",".join(r) for r in [HEADERS, *(["x"] * len(HEADERS) for _ in range(ROWS))]),
                   encoding="utf-8")
    return {"xlsx": xlsx, "csv": csv, "jsonl": jsonl, "allbad": bad}


def _fresh_scan() -> None:
    """The xlsx scan and head rows are cached per file: a test that expects the scan must see it run."""
    readers._check_xlsx.cache_clear()
    readers._last_head.clear()


class Recorder:
    """A progress callback that records (rows, phase) of every tick and raises Stop at the ``stop_at``-th
    tick of ``phase``."""

    def __init__(self, phase: str | None = None, stop_at: int | None = None):
        self.ticks: list[tuple[int, str | None]] = []
        self.phase: str | None = None
        self.stop_phase, self.stop_at = phase, stop_at

    def see(self, phase: str) -> None:
        self.phase = phase

    def __call__(self, rows: int) -> None:
        self.ticks.append((rows, self.phase))
        if self.stop_at is not None and sum(p == self.stop_phase for _, p in self.ticks) == self.stop_at:
            raise Stop()

    def before_first_chunk(self) -> list[tuple[int, str | None]]:
        """The ticks before the first chunk's (the first with rows)."""
        end = next((i for i, (rows, _) in enumerate(self.ticks) if rows), len(self.ticks))
        return self.ticks[:end]


def _import(warehouse: Warehouse, path, recorder: Recorder):
    with watching(recorder.see):
        return import_file(warehouse, path, progress=recorder)


def _stored_nothing(warehouse: Warehouse, before: dict[str, int]) -> None:
    assert table_counts(warehouse) == before
    assert warehouse.con.execute("SELECT count(*) FROM imports").fetchone()[0] == 0


def test_the_xlsx_scan_beats_and_a_cancel_during_it_stores_nothing(warehouse, files):
    _fresh_scan()
    before = table_counts(warehouse)
    stopper = Recorder("checking", stop_at=3)
    with pytest.raises(Stop):
        _import(warehouse, files["xlsx"], stopper)
    assert [p for _, p in stopper.ticks] == ["checking"] * 3  # stopped inside the scan, before any row
    _stored_nothing(warehouse, before)

    _fresh_scan()
    recorder = Recorder()
    result, errors = _import(warehouse, files["xlsx"], recorder)
    assert errors == [] and result.rows_inserted == ROWS  # the beats change nothing of the import
    early = recorder.before_first_chunk()
    assert sum(p == "checking" for _, p in early) >= 4      # the sheet's MiBs of XML scanned, one beat each
    assert sum(p == "reading" for _, p in early) >= 2 * ROWS // 1_000  # rows read, then converted
    assert all(rows == 0 for rows, _ in early)              # a beat reads rows but stores none
    assert sum(rows for rows, _ in recorder.ticks) == ROWS  # rows_read grows by the chunk, as before


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_reading_a_csv_or_json_lines_file_beats_and_a_cancel_there_stores_nothing(warehouse, files, kind):
    before = table_counts(warehouse)
    stopper = Recorder("reading", stop_at=5)
    with pytest.raises(Stop):
        _import(warehouse, files[kind], stopper)
    assert stopper.ticks == [(0, "reading")] * 5  # the 5,000th row: no chunk had ended
    _stored_nothing(warehouse, before)

    recorder = Recorder()
    result, errors = _import(warehouse, files[kind], recorder)
    assert errors == [] and result.rows_read == ROWS
    assert len(recorder.before_first_chunk()) >= 2 * ROWS // 1_000  # rows read, then converted


def test_a_file_of_errors_is_cancelled_at_its_chunk_tick_not_rejected(warehouse, files):
    before = table_counts(warehouse)
    with pytest.raises(ImportRejected):
        import_file(warehouse, files["allbad"], progress=Recorder())  # as it is, the file is rejected
    ticks: list[int] = []

    def progress(rows: int) -> None:  # a cancel seen at the chunk's tick, after the heartbeats
        ticks.append(rows)
        if rows:
            raise Stop()

    with pytest.raises(Stop):
        import_file(warehouse, files["allbad"], progress=progress)
    assert ticks[-1] == ROWS and len(ticks) > ROWS // 1_000
    _stored_nothing(warehouse, before)


def test_openpyxl_loading_a_large_shared_string_table_beats_before_the_first_row(tmp_path):
    """openpyxl parses the whole shared-string table before it gives a row: its zip parts are read through
    a stream that beats every MiB, so a cancel reaches that phase too."""
    strings = [f"<t>{i:05d}{'专利' * 500}</t>" for i in range(3_000)]  # 3,000 strings of 3 KB: 9 MiB
    path = write_workbook(tmp_path / "shared.xlsx", "".join(f'<row r="{i + 1}"><c r="A{i + 1}" t="s"><v>{i}</v>'
                                                            "</c></row>" for i in range(3_000)), strings)
    phases: list[str] = []
    with watching(phases.append):
        book = readers._openpyxl_workbook(path)
    book.close()
    assert len(phases) >= 8  # before any row was asked for

    def cancel() -> None:
        raise Stop()

    with listening(cancel), pytest.raises(Stop):
        readers._openpyxl_workbook(path)


# -- through the server: a job cancelled while its xlsx is being scanned -----------------------------------

@contextmanager
def held_at_first_beat(app) -> Iterator[tuple[threading.Event, threading.Event, list]]:
    """The import jobs' worker, observed: its first progress tick (the first heartbeat) signals ``reached``
    and waits for ``release`` before it goes on to the job's own tick (where a cancel is seen)."""
    jobs = app.state.analytics.jobs
    run = jobs._run
    reached, release, first = threading.Event(), threading.Event(), []

    def observed(job, progress):
        def tick(rows: int) -> None:
            if not first:
                first.append((rows, job.phase))
                reached.set()
                release.wait(60)
            progress(rows)
        return run(job, tick)

    jobs._run = observed
    try:
        yield reached, release, first
    finally:
        release.set()
        jobs._run = run


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from hvpatent.web import create_app

    app = create_app(world_db(tmp_path_factory.mktemp("beat"), "beat.duckdb"), secret="test-secret")
    with serve(app) as url:
        yield url, app


def test_a_job_cancelled_during_the_xlsx_scan_ends_cancelled_with_nothing_stored(server, files):
    url, app = server
    _fresh_scan()
    warehouse = app.state.warehouse
    with client(url, "admin") as admin:
        imports_before = len(admin.get("/api/imports").json())
        apps_before = warehouse.count("applications")
        with held_at_first_beat(app) as (reached, release, first):
            job = upload(admin, "big.xlsx", files["xlsx"].read_bytes()).json()
            assert reached.wait(60)
            running = admin.get(f"/api/imports/jobs/{job['job_id']}").json()
            assert running["status"] == "running"
            assert running["progress"] == {"rows_read": 0, "phase": "checking"}  # shown on the imports page
            page = admin.get("/imports")
            assert "检查文件" in page.text
            assert admin.post(f"/api/imports/jobs/{job['job_id']}/cancel").json()["status"] == "running"
            release.set()
            final = admin.get(f"/api/imports/jobs/{job['job_id']}", params={"wait": 60}).json()
        assert first == [(0, "checking")]  # the first tick came from the scan, before any row was read
        assert final["status"] == "cancelled" and final["result"]["accepted"] is False, final
        assert final["progress"] == {"rows_read": 0, "phase": None}
        assert len(admin.get("/api/imports").json()) == imports_before
        assert warehouse.count("applications") == apps_before
        assert admin.get(f"/api/patents/{no('202110000007')}").status_code == 404
        cancelled = [e for e in admin.get("/api/audit").json() if e["action"] == "import_cancelled"]
        assert any(job["job_id"] in e["detail"] for e in cancelled)
