"""Background import jobs: an upload is checked and queued at once, and one worker thread per warehouse
imports the queued files one at a time, so the server keeps answering while a file is imported.

A job moves queued → running → done | rejected | failed | cancelled.  Cancelling a queued job drops
it; a running one is interrupted: a query it is running on the warehouse stops at once (DuckDB's
interrupt), reading stops at the next progress tick, and its transaction rolls back, so nothing of it is
stored.  The readers tick all along (ingest/heartbeat.py: every 1,000 rows read or converted, every MiB of
an xlsx's XML scanned or unpacked), besides the end of each chunk of rows and once more just before the
commit; only a single library call between two ticks runs to its end first (calamine loading a sheet the
scan judged small enough for it, the file's hash).
A cancel that comes after that last tick is too late: the job ends ``done`` and says so.  Stopping
the server cancels the running job the same way and waits for it before the warehouse is closed.

Uploads are spooled beside the warehouse (``<db>.uploads/<job>/``), written outside the queue's
lock; leftovers of a killed server are removed when the next one starts.

Jobs live in memory (the newest ``keep`` of them); what lasts is in the warehouse as before: the
``imports`` table for every stored file and the audit log for every outcome (import, import_rejected,
import_cancelled), so the history survives a restart.
"""

from __future__ import annotations

import io
import logging
import shutil
import threading
import unicodedata
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from hvpatent.ingest.heartbeat import watching

FINAL = ("done", "rejected", "failed", "cancelled")
MAX_NAME_BYTES = 255  # the longest file name common file systems store (ext4, NTFS in UTF-16 units)
_log = logging.getLogger(__name__)


class BadFileName(ValueError):
    """An upload's file name that cannot be a plain file name; the message says why (zh / en)."""


class QueueFull(Exception):
    """Too many imports already waiting (or the server stopping, or the spool not writable); the client
    should try again later."""


class TooLarge(ValueError):
    """An upload over the size limit."""


class Cancelled(BaseException):
    """Raised from the progress callback of a cancelled job.  A BaseException, like KeyboardInterrupt,
    so that it passes the importers' ``except Exception`` (which would report it as an import
    failure) and reaches the import transaction, which rolls back on any BaseException."""


def check_file_name(name: str | None) -> str:
    """The upload's own name, unchanged, or BadFileName: never silently renamed, because the name is
    what the import history and the audit log show the user."""
    if name is None or name.strip() == "":
        raise BadFileName("文件名为空 / the file has no name")
    if name in (".", ".."):
        raise BadFileName(f"文件名不能是 {name!r} / {name!r} is not a file name")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise BadFileName(f"文件名超过 {MAX_NAME_BYTES} 字节 / file name longer than {MAX_NAME_BYTES} bytes")
    if "/" in name or "\\" in name:
        raise BadFileName(f"文件名不能含路径分隔符 / a file name without folders, not {name[:80]!r}")
    bad = next((c for c in name if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")), None)
    if bad is not None:
        raise BadFileName(f"文件名含控制字符 U+{ord(bad):04X} / control character U+{ord(bad):04X} in the file name")
    return name


@dataclass
class Job:
    job_id: str
    file: str
    path: Path
    skip_bad_rows: bool
    submitted_by: str
    submitted_at: datetime = field(default_factory=datetime.now)
    status: str = "queued"
    rows_read: int = 0
    phase: str | None = None  # while running: checking | reading | storing (ingest/heartbeat.py)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: dict | None = None
    cancel_requested: bool = False
    finished: threading.Event = field(default_factory=threading.Event, repr=False)
    started: threading.Event = field(default_factory=threading.Event, repr=False)  # running or final

    def as_dict(self, position: int | None = None) -> dict:
        out = {"job_id": self.job_id, "file": self.file, "status": self.status,
               "progress": {"rows_read": self.rows_read,
                            "phase": self.phase if self.status == "running" else None},
               "submitted_by": self.submitted_by,
               "submitted_at": self.submitted_at, "started_at": self.started_at,
               "finished_at": self.finished_at, "result": self.result}
        if position is not None:
            out["position"] = position
        return out


class ImportJobs:
    """The queue and its worker for one warehouse.  ``run(job, progress)`` imports one job's file and
    returns (status, result); it is the web app's import (Analytics.run_import)."""

    def __init__(self, run: Callable[[Job, Callable[[int], None]], tuple[str, dict]], spool: Path, *,
                 interrupt: Callable[[], None] | None = None, max_queued: int = 20, keep: int = 100):
        """``spool``: the folder uploads wait in (emptied now: nothing in it belongs to a live job);
        ``interrupt``: stops what the running import is doing in the warehouse (cancel, close)."""
        self._run = run
        self._interrupt = interrupt or (lambda: None)
        self.max_queued = max_queued
        self._keep = keep
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._queue: deque[Job] = deque()
        self._writing = 0  # uploads being spooled: they hold a place in the queue
        self._cond = threading.Condition()
        self._closed = False
        self._worker: threading.Thread | None = None
        self._spool = spool
        shutil.rmtree(spool, ignore_errors=True)

    # -- the API's side ------------------------------------------------------------------------
    def submit(self, file_name: str | None, data: bytes | BinaryIO, skip_bad_rows: bool, username: str,
               max_bytes: int | None = None) -> dict:
        """Queue a checked upload (BadFileName, TooLarge over ``max_bytes``, QueueFull); the bytes go to
        a spool file, written outside the lock, so a queued job holds no memory and nobody waits on it."""
        name = check_file_name(file_name)
        with self._cond:
            if self._closed:
                raise QueueFull("服务正在停止 / the server is stopping")
            waiting = len(self._queue) + self._writing
            if waiting >= self.max_queued:
                raise QueueFull(f"已有 {waiting} 个文件排队导入，请稍后再试 / "
                                f"{waiting} imports are waiting; try again later")
            self._writing += 1
        job_id = uuid.uuid4().hex[:12]
        folder = self._spool / job_id
        try:
            path = _spool_file(folder, name, data, max_bytes)
        except BaseException:
            with self._cond:
                self._writing -= 1
            shutil.rmtree(folder, ignore_errors=True)
            raise
        with self._cond:
            self._writing -= 1
            if self._closed:
                shutil.rmtree(folder, ignore_errors=True)
                raise QueueFull("服务正在停止 / the server is stopping")
            job = Job(job_id, name, path, skip_bad_rows, username)
            self._jobs[job_id] = job
            self._queue.append(job)
            position = len(self._queue)
            self._forget_old()
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="hvp-import-worker", daemon=True)
                self._worker.start()
            self._cond.notify_all()
            return job.as_dict(position)

    def get(self, job_id: str) -> dict | None:
        with self._cond:
            job = self._jobs.get(job_id)
            return None if job is None else job.as_dict(self._position(job))

    def wait(self, job_id: str, seconds: float, until: str = "final") -> dict | None:
        """The job once it is final (``until="started"``: once it runs or is final), or as it stands
        after ``seconds``: the answer comes from an event, not a polling loop."""
        with self._cond:
            job = self._jobs.get(job_id)
        if job is None:
            return None
        if seconds > 0:
            (job.started if until == "started" else job.finished).wait(seconds)
        return self.get(job_id)

    def list(self) -> list[dict]:
        with self._cond:
            return [j.as_dict(self._position(j)) for j in reversed(self._jobs.values())]

    def active(self) -> bool:
        with self._cond:
            return any(j.status in ("queued", "running") for j in self._jobs.values())

    def cancel(self, job_id: str, username: str) -> dict | None:
        with self._cond:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            if job.status == "queued":
                self._queue.remove(job)
                self._finish(job, "cancelled", _cancelled_result(job))
            elif job.status == "running" and not job.cancel_requested:
                job.cancel_requested = True  # seen at the next progress tick
                self._interrupt()            # and a query of the import stops now
            return job.as_dict(self._position(job))

    def close(self) -> None:
        """Stop taking jobs, cancel the queued and the running one, and wait until the worker has
        ended: only then may the warehouse be closed (never under a running import)."""
        with self._cond:
            self._closed = True
            for job in list(self._queue):
                self._finish(job, "cancelled", _cancelled_result(job))
            self._queue.clear()
            running = [j for j in self._jobs.values() if j.status == "running"]
            for job in running:
                job.cancel_requested = True
            if running:
                self._interrupt()
            self._cond.notify_all()
            worker = self._worker
        if worker is not None:
            worker.join()  # bounded: a cancelled import stops at its next query or progress tick
        shutil.rmtree(self._spool, ignore_errors=True)

    # -- the worker ----------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._closed)
                if not self._queue:
                    return
                job = self._queue.popleft()
                job.status, job.started_at = "running", datetime.now()
                job.started.set()
            self._run_one(job)

    def _run_one(self, job: Job) -> None:
        def progress(rows: int) -> None:
            with self._cond:
                job.rows_read += rows
                if job.cancel_requested:
                    raise Cancelled()

        def phase(name: str) -> None:
            job.phase = name  # one attribute: read whole by as_dict, no lock needed

        try:
            with watching(phase):
                status, result = self._run(job, progress)
        except Cancelled:
            status, result = "cancelled", _cancelled_result(job)
        except Exception as err:  # the worker never dies; the log keeps the traceback
            _log.exception("import job %s (%s) failed", job.job_id, job.file)
            status = "failed"
            result = {"accepted": False, "file": job.file, "error_count": 1,
                      "errors": [{"reason": f"导入失败，数据未作任何改变 / import failed, nothing changed: {err}"}]}
        with self._cond:
            self._finish(job, status, result)

    def _finish(self, job: Job, status: str, result: dict) -> None:
        job.status, job.result, job.finished_at = status, result, datetime.now()
        shutil.rmtree(job.path.parent, ignore_errors=True)
        job.started.set()
        job.finished.set()

    def _position(self, job: Job) -> int:
        """0 while running or final, else the place in the queue (1: next)."""
        try:
            return self._queue.index(job) + 1
        except ValueError:
            return 0

    def _forget_old(self) -> None:
        final = [k for k, j in self._jobs.items() if j.status in FINAL]
        for key in final[: max(0, len(self._jobs) - self._keep)]:
            del self._jobs[key]


def _spool_file(folder: Path, name: str, data: bytes | BinaryIO, max_bytes: int | None) -> Path:
    """The upload written to ``folder / name`` (the name checked: no folders, no control characters);
    TooLarge past ``max_bytes``; a disk that refuses it is QueueFull with the reason (503)."""
    path = folder / name
    try:
        folder.mkdir(parents=True)
        with path.open("wb") as out:
            if isinstance(data, bytes):
                data = io.BytesIO(data)
            written = 0
            while block := data.read(1 << 20):
                written += len(block)
                if max_bytes is not None and written > max_bytes:
                    limit = f"{max_bytes >> 20} MiB"
                    raise TooLarge(f"文件超过上限 {limit} / file too large ({limit} at most)")
                out.write(block)
    except OSError as err:
        _log.warning("cannot spool upload %s: %s", name, err)
        raise QueueFull(f"服务器无法暂存上传的文件（{err.strerror or err}），请稍后再试 / "
                        f"the server cannot store the upload now ({err.strerror or err}); try again later") from err
    return path


def _cancelled_result(job: Job) -> dict:
    return {"accepted": False, "file": job.file, "error_count": 1,
            "errors": [{"reason": "导入已取消，数据未作任何改变 / import cancelled, nothing stored"}]}
