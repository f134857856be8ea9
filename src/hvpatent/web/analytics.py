"""What the web app asks of the product, in one place: analytics through the indicators and plan
rooms, imports through the ingest room, accounts through the warehouse's account store.

Answers are cached per question and data version: the figures only change when data is imported,
so many dashboard users asking the same thing cost one computation.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from pathlib import Path

from hvpatent.indicators import ALL_APPLICANTS, drill, figures, high_value_list
from hvpatent.indicators.profile import applicant_names, applicant_portfolio, owned_by, patent_profile
from hvpatent.plan import load_plan
from hvpatent.plan import plan_progress as compute_progress
from hvpatent.warehouse.accounts import User, audit, audit_entries, get_user
from hvpatent.warehouse.store import Warehouse

MEDIA = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "pdf": "application/pdf", "html": "text/html; charset=utf-8"}


class Analytics:
    def __init__(self, warehouse: Warehouse, plan_file: Path | None = None, cache_size: int = 256,
                 max_upload_bytes: int = 50 << 20):
        self.warehouse = warehouse
        self.plan = load_plan(plan_file)
        self.max_upload_bytes = max_upload_bytes
        self._cache: OrderedDict[tuple, object] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self._key_locks: dict[tuple, threading.Lock] = {}
        # While the server holds the warehouse open for writing no other process can change it
        # (DuckDB locks the file), so the data version is read once and moves with our own writes.
        self._version = warehouse.data_version()

    # -- caching ---------------------------------------------------------------------------
    def _cached(self, key: tuple, compute: Callable[..., object]) -> object:
        key = (self._version, *key)
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            lock = self._key_locks.setdefault(key, threading.Lock())
        with lock:  # one computation per question, however many ask at once
            with self._cache_lock:
                if key in self._cache:
                    return self._cache[key]
            with self.warehouse.reader() as con:
                result = compute(con)
            with self._cache_lock:
                self._cache[key] = result
                self._key_locks.pop(key, None)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return result

    def _changed(self) -> None:
        with self._cache_lock:
            self._version = self.warehouse.data_version()
            self._cache.clear()

    def user(self, username: str) -> User | None:
        """The account behind a session, read on a cursor of its own (no lock: reads run in parallel)."""
        cursor = self.warehouse.con.cursor()
        try:
            return get_user(cursor, username)
        finally:
            cursor.close()

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

    def plan_progress(self, day: date) -> dict:
        from hvpatent.plan.progress import METHOD

        def compute(con) -> dict:
            rows = [{"key": p.target.key, "name": p.target.name, "unit": p.target.unit, "clause": p.target.clause,
                     "source": p.target.source, "indicator": p.target.indicator, "direction": p.target.direction,
                     "target": p.target.target, "current": p.current, "baseline": p.baseline_value, "gap": p.gap,
                     "projection": p.projection, "status": p.status, "note": p.note,
                     "trend": [{"date": d, "value": v} for d, v in p.trend]}
                    for p in compute_progress(con, self.plan, day)]
            return {"plan": self.plan.name, "document": self.plan.document, "deadline": self.plan.deadline,
                    "region": self.plan.region, "as_of": day, "method": METHOD["zh"], "targets": rows}
        return self._cached(("plan", day), compute)

    def warnings(self, day: date, within: int, region: str | None, applicant: str | None,
                 high_value_at_risk: bool = False) -> list[dict]:
        from hvpatent.warnings import warnings_list

        return self._cached(("warnings", day, within, region, applicant, high_value_at_risk),
                            lambda con: warnings_list(con, day, within, region, applicant, high_value_at_risk))

    def plan_tasks(self) -> list[dict]:
        return [{"number": k.number, "group": k.group, "title": k.title, "goal": k.goal,
                 "responsible": list(k.responsible), "cooperating": list(k.cooperating),
                 "indicators": list(k.indicators)} for k in self.plan.tasks]

    def bulletin(self, day: date, period: str, region: str | None, fmt: str, username: str) -> tuple[bytes, str]:
        from hvpatent.reports import build_bulletin, write_bulletin

        bulletin = self._cached(("bulletin", day, period, region),
                                lambda con: build_bulletin(con, day, period, region, self.plan))
        with tempfile.TemporaryDirectory() as tmp:
            data = write_bulletin(bulletin, fmt, Path(tmp) / f"bulletin.{fmt}").read_bytes()
        self.audit(username, "report", f"{day} {period} {region or ''} {fmt}")
        return data, MEDIA[fmt]

    # -- imports and the audit log ------------------------------------------------------------
    def imports(self) -> list[dict]:
        with self.warehouse.lock:
            frame = self.warehouse.frame("SELECT * FROM imports ORDER BY import_id DESC")
        return frame.to_dict("records")

    def import_upload(self, file_name: str, data: bytes, skip_bad_rows: bool, username: str) -> dict:
        from hvpatent.ingest import FileError, ImportRejected, import_file

        with tempfile.TemporaryDirectory() as tmp:
            name = Path(file_name).name  # never a path: '..', '.' and '' become a plain name
            path = Path(tmp) / (name if name not in ("", ".", "..") else "upload")
            path.write_bytes(data)
            with self.warehouse.lock:
                try:
                    result, errors = import_file(self.warehouse, path, skip_bad_rows=skip_bad_rows)
                except ImportRejected as rejected:
                    audit(self.warehouse.con, username, "import_rejected",
                          f"{file_name}: {len(rejected.errors)} errors")
                    return {"accepted": False, "file": file_name,
                            "errors": [e.__dict__ for e in rejected.errors[:500]],
                            "error_count": len(rejected.errors)}
                except FileError as err:
                    audit(self.warehouse.con, username, "import_rejected", f"{file_name}: {err.reason}")
                    return {"accepted": False, "file": file_name, "errors": [{"reason": err.reason}],
                            "error_count": 1}
                except Exception as err:  # an upload never ends in a 500; the log keeps the traceback
                    logging.getLogger(__name__).exception("upload %s failed", file_name)
                    audit(self.warehouse.con, username, "import_rejected", f"{file_name}: {type(err).__name__}")
                    reason = f"导入失败，数据未作任何改变 / import failed, nothing changed: {err}"
                    return {"accepted": False, "file": file_name, "error_count": 1, "errors": [{"reason": reason}]}
                audit(self.warehouse.con, username, "import",
                      f"{file_name}: import {result.import_id}, {result.rows_inserted} new, "
                      f"{result.rows_updated} updated, {result.rows_rejected} rejected")
            self._changed()
        return {"accepted": True, "file": file_name, **result.__dict__,
                "errors": [e.__dict__ for e in errors[:500]], "error_count": len(errors)}

    def audit(self, username: str | None, action: str, detail: str = "") -> None:
        with self.warehouse.lock:
            audit(self.warehouse.con, username, action, detail)

    def audit_log(self) -> list[dict]:
        with self.warehouse.lock:
            return audit_entries(self.warehouse.con)
