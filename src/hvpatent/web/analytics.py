"""What the web app asks of the product, in one place: analytics through the indicators and plan
rooms, imports through the ingest room, accounts through the warehouse's account store.

Answers are cached per question and data version: the figures only change when data is imported,
so many dashboard users asking the same thing cost one computation.  Each request reads on a cursor
of its own (a DuckDB connection must not be used by two threads at once; its cursors may), and the
uncached computations pass a gate of ``heavy_slots`` at a time with a bounded wait queue: a request
that would queue beyond it, or wait longer than ``heavy_wait_s``, is answered 503 with Retry-After
instead of piling up.  Imports run as background jobs (web/jobs.py), one at a time.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import BinaryIO

from hvpatent.indicators import ALL_APPLICANTS, drill, figures, high_value_list
from hvpatent.indicators.profile import applicant_names, applicant_portfolio, owned_by, patent_profile
from hvpatent.plan import load_plans
from hvpatent.plan import plan_progress as compute_progress
from hvpatent.plan.model import Plan
from hvpatent.warehouse.accounts import User, audit, audit_entries, get_user
from hvpatent.warehouse.store import Warehouse, import_history
from hvpatent.web.jobs import Cancelled, ImportJobs, Job

MEDIA = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "pdf": "application/pdf", "html": "text/html; charset=utf-8"}


class Busy(Exception):
    """Too many uncached computations at once: answered 503 with ``Retry-After: retry_after``."""

    def __init__(self, retry_after: int):
        super().__init__("服务器繁忙，请稍后重试 / the server is busy, please try again shortly")
        self.retry_after = retry_after


class Gate:
    """At most ``slots`` heavy computations at once; at most ``queue`` more waiting, each at most
    ``wait_s`` seconds (a condition variable, no polling); anything beyond is Busy."""

    def __init__(self, slots: int, queue: int, wait_s: float):
        self.slots, self.queue, self.wait_s = max(1, slots), max(0, queue), wait_s
        self._active = self._waiting = 0
        self._cond = threading.Condition()
        self._seconds = 1.0  # a running estimate of one computation, for Retry-After

    def retry_after(self) -> int:
        waiting_rounds = 1 + self._waiting // self.slots
        return max(1, min(120, math.ceil(self._seconds * waiting_rounds)))

    @contextmanager
    def queued(self) -> Iterator[None]:
        """A place in the wait queue for one who waits on something else (another request computing
        the same question): counted like a waiter for a slot, Busy when the queue is full."""
        with self._cond:
            if self._waiting >= self.queue:
                raise Busy(self.retry_after())
            self._waiting += 1
        try:
            yield
        finally:
            with self._cond:
                self._waiting -= 1

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._cond:
            if self._active >= self.slots:
                if self._waiting >= self.queue:
                    raise Busy(self.retry_after())
                self._waiting += 1
                try:
                    free = self._cond.wait_for(lambda: self._active < self.slots, timeout=self.wait_s)
                finally:
                    self._waiting -= 1
                if not free:
                    raise Busy(self.retry_after())
            self._active += 1
        began = time.monotonic()
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                self._seconds = 0.8 * self._seconds + 0.2 * (time.monotonic() - began)
                self._cond.notify()


class Analytics:
    def __init__(self, warehouse: Warehouse, plan_file: Path | Sequence[Path] | None = None, cache_size: int = 256,
                 max_upload_bytes: int = 50 << 20, heavy_slots: int | None = None,
                 heavy_queue: int | None = None, heavy_wait_s: float = 10.0, max_queued_imports: int = 20):
        self.warehouse = warehouse
        # Every known plan (shipped, the user's, the files named); the first file named (else the seed plan) is the
        # default.  A plan is data: nothing here knows one key or region from another.
        files = [plan_file] if isinstance(plan_file, Path | str) else list(plan_file or [])
        self.plans = load_plans([Path(f) for f in files])
        self.plan = self.plans.default
        self.max_upload_bytes = max_upload_bytes
        self._cache: OrderedDict[tuple, object] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self._key_locks: dict[tuple, threading.Lock] = {}
        slots = heavy_slots if heavy_slots is not None else (os.cpu_count() or 2)
        self.gate = Gate(slots, heavy_queue if heavy_queue is not None else 4 * slots, heavy_wait_s)
        self.jobs = ImportJobs(self.run_import, warehouse.path.with_name(warehouse.path.name + ".uploads"),
                               interrupt=warehouse.con.interrupt, max_queued=max_queued_imports)
        # While the server holds the warehouse open for writing no other process can change it
        # (DuckDB locks the file), so the data version is read once and moves with our own writes.
        self._version = warehouse.data_version()
        self._warm_day: Callable[[], date] | None = None
        self._warming: threading.Thread | None = None
        self._form_specs: dict | None = None  # the official forms, read on first use (web/forms.py)

    def close(self) -> None:
        self.jobs.close()
        warming = self._warming
        if warming is not None:  # a warm-up reads the warehouse: let it end before the warehouse closes
            warming.join(timeout=30)

    # -- warming ---------------------------------------------------------------------------
    def keep_warm(self, day: Callable[[], date]) -> None:
        """Compute the first overview (plan progress and the region's figures on ``day()``) in the background
        now and again after each import, so the dashboard's first visitor is answered from the cache."""
        self._warm_day = day
        self.warm()

    def warm(self) -> None:
        """Start one background warm-up (when keep_warm asked for it); a request for the same question while
        it runs waits for its answer instead of computing it again."""
        if self._warm_day is None:
            return
        day = self._warm_day()
        thread = threading.Thread(target=self._warm, args=(day,), name="hvp-warm", daemon=True)
        self._warming = thread
        thread.start()

    def wait_warm(self, seconds: float) -> bool:
        """Wait for the running warm-up (if any) to end; False when it still runs after ``seconds``."""
        warming = self._warming
        if warming is not None:
            warming.join(seconds)
        return warming is None or not warming.is_alive()

    def cached_questions(self) -> list[tuple]:
        """The questions answered from the cache for the current data, oldest first."""
        with self._cache_lock:
            return [key[1:] for key in self._cache if key[0] == self._version]

    def _warm(self, day: date) -> None:
        try:
            self.plan_progress(day)
            self.figures(day, self.plan.region, "year", None, None)
        except Exception:  # a warm-up is an optimisation: the first request computes what it could not
            logging.getLogger(__name__).exception("warming the overview for %s failed", day)

    @contextmanager
    def _cursor(self) -> Iterator:
        """A cursor of its own for one read: the shared connection belongs to the writers (under
        ``warehouse.lock``), and DuckDB refuses a second thread on a busy connection."""
        cursor = self.warehouse.con.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    # -- caching ---------------------------------------------------------------------------
    def _cached(self, key: tuple, compute: Callable[..., object]) -> object:
        key = (self._version, *key)
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            lock = self._key_locks.setdefault(key, threading.Lock())
        # One computation per question, however many ask at once; the others wait for its answer in the
        # gate's queue (a place there each, at most wait_s): a full queue or a long wait is Busy.
        if not lock.acquire(blocking=False):
            with self.gate.queued():
                if not lock.acquire(timeout=self.gate.wait_s):
                    raise Busy(self.gate.retry_after())
        try:
            with self._cache_lock:
                if key in self._cache:
                    return self._cache[key]
            with self.gate.slot(), self.warehouse.reader() as con:
                result = compute(con)
            with self._cache_lock:
                self._cache[key] = result
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        finally:
            with self._cache_lock:  # answered, failed or Busy: the lock goes (waiters hold their own reference)
                if self._key_locks.get(key) is lock:
                    del self._key_locks[key]
            lock.release()
        return result

    def answer(self, key: tuple, compute: Callable[..., object]) -> object:
        """A room's answer to a question, cached per data version and gated like the figures: ``compute`` gets a
        read connection (an Ibis backend) and calls the room's door; ``key`` names the question (its first item the
        room).  Routers of new rooms (web/value.py, web/cultivation.py, ...) use this instead of a method here each,
        so this file does not grow with every room."""
        return self._cached(key, compute)

    def compute(self, compute: Callable[..., object]) -> object:
        """A room's answer computed through the gate on a read connection like ``answer``, but not cached: for
        answers too large to keep (an export, a long JSON page), which the cache (counted, not sized) must not hold."""
        with self.gate.slot(), self.warehouse.reader() as con:
            return compute(con)

    def json_body(self, question: tuple, answer: Callable[[], object]) -> bytes:
        """The JSON body of an answer (``answer()``, itself cached), encoded once per data version: many clients
        asking the same question then cost a dictionary lookup each, not an encoding each. The bytes are those
        FastAPI would write for the answer (jsonable_encoder, then Starlette's JSONResponse)."""
        from fastapi.encoders import jsonable_encoder
        from fastapi.responses import JSONResponse

        with self._cache_lock:
            key = (self._version, "json", *question)
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        body = JSONResponse(jsonable_encoder(answer())).body
        with self._cache_lock:
            if key[0] == self._version:  # not an answer of data an import has replaced meanwhile
                self._cache[key] = body
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return body

    def changed(self) -> None:
        """Data changed outside an import job (a record saved from a form): cached answers are of the data before."""
        self._changed()

    def _changed(self) -> None:
        with self._cache_lock:
            self._version = self.warehouse.data_version()
            self._cache.clear()

    def user(self, username: str) -> User | None:
        """The account behind a session, read on a cursor of its own (no lock: reads run in parallel)."""
        with self._cursor() as cursor:
            return get_user(cursor, username)

    def scope(self, user: User) -> tuple[str | None, str | None]:
        """(region, applicant) of the lists a user sees: an enterprise all its own patents, wherever
        filed; staff the plan's region."""
        if user.role == "enterprise":
            return ALL_APPLICANTS, user.enterprise
        return self.plan.region, None

    # -- analytics -------------------------------------------------------------------------
    def figures(self, day: date, region: str | None, period: str, by: str | None,
                keys: list[str] | None) -> list[dict]:
        return self._cached(("figures", day, region, period, by, tuple(keys or ())),
                            lambda con: figures(con, day, region, period, by, keys))

    def drill(self, key: str, day: date, region: str | None, period: str, by: str | None,
              group: str | None) -> list[dict]:
        return self._cached(("drill", key, day, region, period, by, group),
                            lambda con: drill(con, key, day, region, period, by, group))

    def high_value(self, day: date, region: str | None, criterion: str | None, text: str | None,
                   town: str | None, applicant: str | None) -> list[dict]:
        return self._cached(("highvalue", day, region, criterion, text, town, applicant),
                            lambda con: high_value_list(con, day, region, criterion=criterion, text=text,
                                                        town=town, applicant=applicant))

    def applicant_names(self, day: date, region: str | None) -> dict[str, str]:
        return self._cached(("names", day, region), lambda con: applicant_names(con, day, region))

    def owned_by(self, app_no: str, applicant: str | None) -> bool:
        return bool(applicant) and self._cached(("owned", app_no, applicant),
                                                lambda con: owned_by(con, app_no, applicant))

    def profile(self, app_no: str, day: date) -> dict | None:
        return self._cached(("profile", app_no, day), lambda con: patent_profile(con, app_no, day))

    def portfolio(self, applicant: str, day: date) -> dict:
        return self._cached(("portfolio", applicant, day), lambda con: applicant_portfolio(con, applicant, day))

    def plan_of(self, plan_key: str | None) -> Plan:
        """The plan of that key (None or "": the default); PlanError naming the known keys otherwise."""
        return self.plans.get(plan_key)

    @staticmethod
    def plan_question(plan: Plan, default: Plan) -> tuple:
        """The plan's part of a cache key: nothing for the default plan (its key never changes while the server
        runs), the key for any other."""
        return () if plan.key == default.key else (("plan_key", plan.key),)

    def plan_progress(self, day: date, exclude_abnormal: bool | None = None, plan_key: str | None = None) -> dict:
        """The progress of the plan ``plan_key`` (default: the default plan); ``exclude_abnormal`` (default: the
        supervision settings' plan.exclude_confirmed) leaves out the applications confirmed abnormal, and
        ``excluded_abnormal`` / ``excluded_note`` say how many.  Reviews are workflow rows, not an import: the
        confirmed applications are read fresh and are part of the question, so a new confirmation is not answered
        from the cache."""
        from hvpatent.plan.progress import METHOD, excluded_note

        plan = self.plan_of(plan_key)
        exclude = self.exclude_abnormal_default() if exclude_abnormal is None else exclude_abnormal
        confirmed = self.confirmed_stamp() if exclude else ""

        def compute(con) -> dict:
            found = compute_progress(con, plan, day, exclude_abnormal=exclude)
            rows = [{"key": p.target.key, "name": p.target.name, "unit": p.target.unit, "clause": p.target.clause,
                     "source": p.target.source, "indicator": p.target.indicator, "direction": p.target.direction,
                     "target": p.target.target, "current": p.current, "baseline": p.baseline_value, "gap": p.gap,
                     "projection": p.projection, "status": p.status, "note": p.note,
                     "trend": [{"date": d, "value": v} for d, v in p.trend]}
                    for p in found]
            excluded = found[0].excluded_abnormal if found else 0
            return {"plan": plan.name, "plan_key": plan.key, "name_en": plan.name_en, "document": plan.document,
                    "deadline": plan.deadline, "region": plan.region, "as_of": day, "method": METHOD["zh"],
                    "targets": rows,
                    "exclude_abnormal": exclude, "excluded_abnormal": excluded,
                    "excluded_note": excluded_note(excluded) if exclude else None}
        return self._cached(("plan", day, *(("without_abnormal", confirmed) if exclude else ()),
                             *self.plan_question(plan, self.plan)), compute)

    def exclude_abnormal_default(self) -> bool:
        """The supervision settings' plan.exclude_confirmed (the shipped value when the user's file is bad: the
        abnormal pages name that error)."""
        from hvpatent.supervision import ConfigError, default_config, load_config

        try:
            return load_config().exclude_confirmed
        except ConfigError:
            return default_config().exclude_confirmed

    def confirmed_stamp(self) -> str:
        """A digest of the applications confirmed abnormal so far, read fresh (a small table, a cursor of its own)."""
        import hashlib

        from hvpatent.supervision import confirmed_applications

        with self.warehouse.reader() as con:
            return hashlib.sha256("\n".join(sorted(confirmed_applications(con))).encode()).hexdigest()[:16]

    def warnings(self, day: date, within: int, region: str | None, applicant: str | None,
                 high_value_at_risk: bool = False) -> list[dict]:
        from hvpatent.warnings import warnings_list

        return self._cached(("warnings", day, within, region, applicant, high_value_at_risk),
                            lambda con: warnings_list(con, day, within, region, applicant, high_value_at_risk))

    def plan_tasks(self, plan_key: str | None = None) -> list[dict]:
        """The tasks of the plan ``plan_key`` (default: the default plan) with their units."""
        return [{"number": k.number, "group": k.group, "title": k.title, "goal": k.goal,
                 "responsible": list(k.responsible), "cooperating": list(k.cooperating),
                 "indicators": list(k.indicators), "targets": list(k.targets)}
                for k in self.plan_of(plan_key).tasks]

    def overdue_count(self, day: date, plan_key: str | None = None) -> int | None:
        """How many reports of the plan are overdue on ``day`` (hvpatent.tasks.overdue); None while the tasks room
        cannot say (not yet built, or its settings are bad: the tasks pages name that error)."""
        from hvpatent.tasks import ConfigError, overdue

        plan = self.plan_of(plan_key)
        try:   # read fresh, never cached: a report filed is a workflow row, not an import
            return len(self.compute(lambda con: overdue(con, plan, day)))
        except (NotImplementedError, ConfigError):
            return None

    def bulletin(self, day: date, period: str, region: str | None, fmt: str, username: str) -> tuple[bytes, str]:
        from hvpatent.reports import build_bulletin, write_bulletin

        exclude = self.exclude_abnormal_default()   # reviews are read fresh: a new confirmation is a new question
        bulletin = self._cached(("bulletin", day, period, region, *(("without_abnormal", self.confirmed_stamp())
                                                                    if exclude else ())),
                                lambda con: build_bulletin(con, day, period, region, self.plan,
                                                           exclude_abnormal=exclude))
        with tempfile.TemporaryDirectory() as tmp:
            data = write_bulletin(bulletin, fmt, Path(tmp) / f"bulletin.{fmt}").read_bytes()
        self.audit(username, "report", f"{day} {period} {region or ''} {fmt}")
        return data, MEDIA[fmt]

    # -- the official statistical forms (web/forms.py) ----------------------------------------
    def form_specs(self) -> dict:
        """The shipped forms and a bureau's own from $HVP_FORMS_DIR (as `hvp forms`), by key; read once per
        server start. A bad form file is a FormError naming the file and the field."""
        if self._form_specs is None:
            from hvpatent.forms import list_forms

            folder = os.environ.get("HVP_FORMS_DIR")
            self._form_specs = {f.key: f for f in list_forms(Path(folder) if folder else None)}
        return self._form_specs

    def form(self, key: str, period_key: str, region: str | None):
        """The filled form (a FormResult: plain values, no connection) for a period key (2024-03, 2024-Q1,
        2024, 2024-01..2024-06) and a region (None: the whole country); KeyError for an unknown form,
        ValueError (PeriodError included) for a period, a date or a region the form cannot be filled for."""
        from hvpatent.forms import compute_form, parse_period

        spec, period = self.form_specs()[key], parse_period(period_key)
        return self._cached(("form", key, period.key, region),
                            lambda con: compute_form(con, spec, period, region))

    def form_cell(self, key: str, period_key: str, region: str | None, row: str, column: str) -> list[dict]:
        """The records behind one cell of a form; KeyError for an unknown form, row or column, and for the
        cells no list lies behind (population, rank)."""
        from hvpatent.forms import cell_records, parse_period

        spec, period = self.form_specs()[key], parse_period(period_key)
        return self._cached(("form_cell", key, period.key, region, row, column),
                            lambda con: cell_records(con, spec, period, region, row, column).to_pyarrow().to_pylist())

    def form_file(self, key: str, period_key: str, region: str | None, fmt: str, lang: str,
                  username: str) -> tuple[bytes, str]:
        """The form as the bureau sends it (xlsx | docx | csv, with its merged headers) and its media type."""
        from hvpatent.forms import write_form

        data = write_form(self.form(key, period_key, region), fmt, lang)
        self.audit(username, "form", f"{key} {period_key} {region or '全国'} {fmt}")
        return data, MEDIA.get(fmt, "text/csv; charset=utf-8")

    # -- imports and the audit log ------------------------------------------------------------
    def imports(self) -> list[dict]:
        with self._cursor() as cursor:
            return import_history(cursor)

    def submit_import(self, file_name: str | None, data: bytes | BinaryIO, skip_bad_rows: bool,
                      username: str) -> dict:
        """Queue an upload, the job's record; BadFileName (422), TooLarge (413), QueueFull (503)."""
        return self.jobs.submit(file_name, data, skip_bad_rows, username, max_bytes=self.max_upload_bytes)

    def cancel_import(self, job_id: str, username: str) -> dict | None:
        job = self.jobs.cancel(job_id, username)
        if job is not None:
            self.audit(username, "import_cancel", f"{job['file']}: job {job_id} ({job['status']})")
        return job

    def _refresh_derived(self) -> None:
        """Timelines and memberships of what the import touched; until done, figures come from the rules."""
        from hvpatent.indicators import refresh_derived

        with self.warehouse.lock:
            try:
                refresh_derived(self.warehouse)
            except Exception:  # the import stands; the next refresh (or `hvp refresh`) finishes the work
                logging.getLogger(__name__).exception("refreshing the derived tables failed")

    def run_import(self, job: Job, progress: Callable[[int], None]) -> tuple[str, dict]:
        """The worker's import of one job, under the warehouse's write lock, in one transaction; the
        status (done / rejected) and the upload result the API has always answered."""
        from hvpatent.ingest import FileError, ImportRejected, import_file
        from hvpatent.ingest.errors import error_count

        file_name, username = job.file, job.submitted_by
        # Audit entries go on cursors: a cancel interrupts the warehouse's own connection, the import's.
        with self.warehouse.lock:
            try:
                result, errors = import_file(self.warehouse, job.path, skip_bad_rows=job.skip_bad_rows,
                                             progress=progress)
            except Cancelled:
                self.audit(username, "import_cancelled", f"{file_name}: job {job.job_id}")
                raise
            except Exception as err:
                if job.cancel_requested:  # interrupted by the cancel (or failed after it): nothing stored
                    self.audit(username, "import_cancelled", f"{file_name}: job {job.job_id}")
                    raise Cancelled() from err
                if isinstance(err, ImportRejected):
                    self.audit(username, "import_rejected", f"{file_name}: {err.count} errors")
                    return "rejected", {"accepted": False, "file": file_name,
                                        "errors": [e.__dict__ for e in err.errors[:500]],
                                        "error_count": err.count}  # all, listed or not
                if isinstance(err, FileError):
                    self.audit(username, "import_rejected", f"{file_name}: {err.reason}")
                    return "rejected", {"accepted": False, "file": file_name, "errors": [{"reason": err.reason}],
                                        "error_count": 1}
                # an upload never ends in a traceback; the log keeps it
                logging.getLogger(__name__).exception("upload %s failed", file_name)
                self.audit(username, "import_rejected", f"{file_name}: {type(err).__name__}")
                reason = f"导入失败，数据未作任何改变 / import failed, nothing changed: {err}"
                return "failed", {"accepted": False, "file": file_name, "error_count": 1,
                                  "errors": [{"reason": reason}]}
            self.audit(username, "import", f"{file_name}: import {result.import_id}, {result.rows_inserted} new, "
                                           f"{result.rows_updated} updated, {result.rows_rejected} rejected")
        if not result.already_imported:
            self._changed()  # cached answers are old from the commit on; until the refresh, readers compute
            self._refresh_derived()
            self._changed()
            self.warm()  # the new data's first overview, before anyone asks
        return "done", {"accepted": True, "file": file_name, **result.__dict__,
                        "errors": [e.__dict__ for e in errors[:500]], "error_count": error_count(errors)}

    def audit(self, username: str | None, action: str, detail: str = "") -> None:
        """An audit entry on a cursor of its own: an append, which needs no write lock, so logins and
        reports are logged at once even while an import holds the lock for minutes."""
        with self._cursor() as cursor:
            audit(cursor, username, action, detail)

    def audit_log(self) -> list[dict]:
        with self._cursor() as cursor:
            return audit_entries(cursor)

    # -- dated enterprise recognitions (web/recognitions.py) -------------------------------------
    def recognitions(self, day: date, kinds: list[str] | None, levels: list[str] | None, new_since: date | None,
                     region: str | None, lang: str = "zh") -> list[dict]:
        """Recognitions in force on ``day``, or (``new_since``) the enterprises new after that day, one each."""
        from hvpatent.recognitions import recognition_list

        return self._cached(("recognitions", day, tuple(kinds or ()), tuple(levels or ()), new_since, region, lang),
                            lambda con: recognition_list(con, day, kinds or None, levels or None, region, new_since,
                                                         lang))

    def recognition_targets(self, day: date) -> list[dict]:
        """The plan's recognitions targets (progress rows with their history), each with its counting window."""
        return [{**t, "kinds": list(goal.kinds), "levels": list(goal.levels),
                 "since": goal.since or self.plan.baseline_date}
                for t in self.plan_progress(day)["targets"] for goal in self.plan.targets
                if goal.key == t["key"] and goal.source == "recognitions"]

    # -- trademarks (web/trademarks.py) --------------------------------------------------------
    def trademark_list(self, day: date, region: str | None, town: str | None = None, nice_class: int | None = None,
                       owner: str | None = None, kind: str | None = None) -> list[dict]:
        """Effective trademarks behind a figure (trademarks.mark_list); ValueError for an unknown kind."""
        from hvpatent.trademarks import mark_list

        return self._cached(("tm_list", day, region, town, nice_class, owner, kind),
                            lambda con: mark_list(con, day, region, town=town, nice_class=nice_class, owner=owner,
                                                  kind=kind))

    def has_trademark_records(self, day: date, region: str | None) -> bool:
        """Whether the warehouse holds any trademark record of the region (else its figure is the aggregate)."""
        from hvpatent.indicators import Context
        from hvpatent.indicators.measures import has_trademark_records

        return self._cached(("tm_has_records", region),
                            lambda con: has_trademark_records(Context.create(con, day, "year", region)))

    def trademark(self, reg_no: str, nice_class: int, day: date) -> dict | None:
        from hvpatent.trademarks import mark_detail

        return self._cached(("tm_mark", reg_no, nice_class, day), lambda con: mark_detail(con, reg_no, nice_class, day))

    def trademark_warnings(self, day: date, within: int, region: str | None) -> list[dict]:
        from hvpatent.trademarks import renewal_warnings

        return self._cached(("tm_warnings", day, within, region),
                            lambda con: renewal_warnings(con, day, within, region))

    def trademark_letter(self, day: date, within: int, region: str | None, owner: str, issuer: str, lang: str,
                         username: str) -> bytes | None:
        """The renewal reminder (docx) to one owner (normalised name) about its warnings; None without any."""
        from hvpatent.reports.letters import write_trademark_letter

        rows = [r for r in self.trademark_warnings(day, within, region) if r["owner_norm"] == owner]
        if not rows:
            return None
        with tempfile.TemporaryDirectory() as tmp:
            data = write_trademark_letter(rows[0]["owner"] or owner, rows, day, issuer, Path(tmp) / "letter.docx",
                                          lang).read_bytes()
        self.audit(username, "trademark_letter", f"{day} {within}d {owner}")
        return data
