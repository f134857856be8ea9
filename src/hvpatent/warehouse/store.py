"""The DuckDB warehouse: one file, one transaction per import, idempotent upserts."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import ibis
import pandas as pd
import platformdirs
import pyarrow as pa

from hvpatent.model import Batch, columns
from hvpatent.warehouse.accounts import create_account_tables
from hvpatent.warehouse.busy import WarehouseBusy, busy_error  # noqa: F401 (WarehouseBusy: re-exported)
from hvpatent.warehouse.derived import forget, mark_stale
from hvpatent.warehouse.schema import KEYS, TABLES, create_statements


def column_types(table: str) -> dict[str, str]:
    """The importer-filled columns of a table with their DDL types."""
    wanted = set(columns(table))
    found = (re.match(r"^(\w+)\s+([A-Z]+(?:\(\d+,\s*\d+\))?)", line.strip())
             for line in TABLES[table].strip().splitlines())
    return {m.group(1): m.group(2) for m in found if m and m.group(1) in wanted}


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir("hvpatent")) / "hvpatent.duckdb"


@dataclass
class ImportResult:
    import_id: int | None
    file_name: str
    already_imported: bool
    rows_read: int
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    unknown_events: dict[str, int] = field(default_factory=dict)  # event word -> rows, listed to the user
    warnings: dict[str, int] = field(default_factory=dict)        # message -> rows


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def import_history(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every stored import, newest first (on the connection or cursor given: the web reads on its own)."""
    return con.execute("SELECT * FROM imports ORDER BY import_id DESC").df().to_dict("records")


class Warehouse:
    def __init__(self, path: Path | str | None = None, *, read_only: bool = False):
        self.path = Path(path) if path else default_db_path()
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as err:  # another process holds the file: say which (warehouse/busy.py)
            busy = busy_error(self.path, err)
            if busy is None:
                raise
            raise busy from err
        self._backends: list[ibis.BaseBackend] = []
        self._stale: list[pa.ChunkedArray] = []  # app_nos an import's batch changed (warehouse/derived.py)
        self.lock = threading.RLock()  # serialises writers sharing this connection (web server threads)
        if not read_only:
            for stmt in create_statements():
                self.con.execute(stmt)
            create_account_tables(self.con)
            self._install_builtin_sei_rules()

    def close(self) -> None:
        for backend in self._backends:
            _forget_cached_tables(backend)
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ibis(self) -> ibis.BaseBackend:
        """An Ibis backend over the same connection, for portable analytics."""
        backend = ibis.duckdb.from_connection(self.con)
        # Ibis turns DuckDB's replacement scans off for the whole connection; the importer's staging and the
        # derived tables' refresh read Arrow tables by their Python name, so an import after any figure was
        # computed on this warehouse failed ("Table with name frame does not exist"): turn them back on.
        self.con.execute("SET python_enable_replacements = true")
        self._backends.append(backend)
        return backend

    @contextmanager
    def reader(self) -> Iterator[ibis.BaseBackend]:
        """An Ibis backend on its own cursor, for one request of a multi-threaded server: DuckDB
        connections must not be shared between threads, cursors of one connection may."""
        cursor = self.con.cursor()
        backend = ibis.duckdb.from_connection(cursor)
        try:
            yield backend
        finally:
            _forget_cached_tables(backend)
            cursor.close()

    def data_version(self) -> tuple:
        """Changes whenever imported data, the SEI table, entered plan values or town assignments change."""
        cursor = self.con.cursor()
        try:
            return cursor.execute(
                "SELECT (SELECT max(import_id) FROM imports), (SELECT count(*) FROM plan_values),"
                " (SELECT max(as_of_date) FROM plan_values), (SELECT first(source) FROM sei_rules),"
                " (SELECT count(*) FROM sei_rules), (SELECT count(*) FROM applicant_towns),"
                " (SELECT max(assigned_at) FROM applicant_towns)").fetchone()
        finally:
            cursor.close()

    def count(self, table: str) -> int:
        return self.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]

    def frame(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """Read rows for storage-level listings (import history, raw records)."""
        return self.con.execute(sql, params or []).df()

    def replace_sei_rules(self, rules: list, source: str) -> None:
        """Swap the SEI concordance for another one, in one transaction."""
        self.con.begin()
        try:
            self.con.execute("DELETE FROM sei_rules")
            for name in ("sei_members", "criterion_periods"):  # every application's SEI membership changes
                forget(self.con, name)
            self._write_sei_rules(rules, source)
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise

    def _install_builtin_sei_rules(self) -> None:
        """The shipped SEI table into a new warehouse, or over an older shipped table (its `source` says which);
        a table the user imported (`hvp reference import-sei`) is kept."""
        from hvpatent.reference.sei import BUILTIN_PREFIX, BUILTIN_SOURCE, builtin_rules

        sources = {row[0] for row in self.con.execute("SELECT DISTINCT source FROM sei_rules").fetchall()}
        if sources == {BUILTIN_SOURCE} or any(not s.startswith(BUILTIN_PREFIX) for s in sources):
            return
        self.replace_sei_rules(builtin_rules(), BUILTIN_SOURCE)

    def _write_sei_rules(self, rules: list, source: str) -> None:
        frame = pd.DataFrame([{**r.as_row(), "source": source} for r in rules])
        self.con.register("staged_rules", frame)
        try:
            self.con.execute("INSERT INTO sei_rules SELECT code, name, ipc_prefix, ipc_class, exclude_prefixes, "
                             "keywords, source FROM staged_rules")
        finally:
            self.con.unregister("staged_rules")

    def set_plan_value(self, target_key: str, as_of: date, value: float, note: str | None) -> None:
        self.con.execute("INSERT OR REPLACE INTO plan_values VALUES (?, ?, ?, ?)", [target_key, as_of, value, note])

    def find_import(self, sha256: str, kind: str) -> int | None:
        rows = self.con.execute(
            "SELECT import_id FROM imports WHERE file_sha256 = ? AND kind = ? LIMIT 1",
            [sha256, kind],
        ).fetchall()
        return rows[0][0] if rows else None

    # -- writing -----------------------------------------------------------------------
    @contextmanager
    def import_transaction(self, file_name: str, sha256: str, source: str, kind: str
                           ) -> Iterator[ImportTransaction]:
        """One import, one transaction: committed whole at the end, or nothing is kept."""
        self.con.begin()
        self._stale = []  # marks of a failed import must not reach the next one
        try:
            tx = ImportTransaction(self, self._next_import_id(), file_name, sha256, source, kind)
            yield tx
            tx.record()
            self.con.commit()
        except BaseException:
            self.con.rollback()
            self._stale = []
            raise

    def _next_import_id(self) -> int:
        return self.con.execute("SELECT coalesce(max(import_id), 0) + 1 FROM imports").fetchall()[0][0]

    def _stage(self, frame: pd.DataFrame, table: str) -> pa.Table:
        """The frame as an Arrow table with the warehouse's column types.  DuckDB guesses a pandas
        column's type from its values, and an empty or all-null column is guessed DOUBLE, which then
        cannot be compared with the VARCHAR keys (the 'Cannot compare DOUBLE and VARCHAR' crash on files
        without any applicants or IPC column); so every staged column is cast to its DDL type.

        Staged data are Arrow tables that the SQL names (DuckDB reads a Python variable of that name, a
        replacement scan), never temp tables or registered views: those are catalog entries, and a
        transaction keeps every one it replaced or dropped, with the frame a view holds, until it
        commits -- some 3.5 KiB a row of a large import, all held in memory to the end."""
        types = column_types(table)
        frame = frame.reindex(columns=list(types))
        casts = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in types.items())
        return self.con.sql(f"SELECT {casts} FROM frame").to_arrow_table()

    def _upsert_applications(self, batch: Batch, import_id: int) -> tuple[int, int, int]:
        """New applications are inserted as they come (ON CONFLICT DO NOTHING finds the known ones through
        the primary-key index, without reading the table); only the known ones are merged."""
        apps = batch.get("applications").drop_duplicates("app_no", keep="last")
        if apps.empty:
            return 0, 0, 0
        staged_apps_in = self._stage(apps, "applications")
        staged_parties = self._stage(batch.get("parties"), "parties")
        staged_ipcs = self._stage(batch.get("ipc_classes"), "ipc_classes")
        staged_pubs = self._stage(batch.get("publications"), "publications")
        hashed = self._stage_with_hashes(staged_apps_in, staged_parties, staged_ipcs)  # noqa: F841 (read by name in the SQL below)
        cols = ", ".join(columns("applications"))
        inserted = self.con.sql(
            f"""INSERT INTO applications SELECT {cols}, row_hash, {import_id}, {import_id} FROM hashed
                ON CONFLICT DO NOTHING RETURNING app_no""").to_arrow_table()
        self._stale.append(inserted["app_no"])
        for table, staged in (("ipc_classes", staged_ipcs), ("parties", staged_parties)):  # noqa: B007 (read by name)
            names = ", ".join(columns(table))
            self.con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM staged "
                             "SEMI JOIN inserted USING (app_no)")
        if inserted.num_rows == len(apps):
            return inserted.num_rows, 0, 0
        known = self.con.sql("SELECT * FROM staged_apps_in ANTI JOIN inserted USING (app_no)").to_arrow_table()
        changed, unchanged = self._upsert_known(known, staged_parties, staged_ipcs, staged_pubs, import_id)
        return inserted.num_rows, changed, unchanged

    def _upsert_known(self, staged_apps_in: pa.Table, staged_parties: pa.Table, staged_ipcs: pa.Table,
                      staged_pubs: pa.Table, import_id: int) -> tuple[int, int]:
        """Applications the warehouse holds already: merged with what it holds, replaced where the merged
        row differs (the former row kept in application_history); (changed, unchanged)."""
        merged_apps, merged_parties, merged_ipcs = self._merge_with_known(
            staged_apps_in, staged_parties, staged_ipcs, staged_pubs)
        staged_apps = self._stage_with_hashes(merged_apps, merged_parties, merged_ipcs)
        touched = self.con.sql(
            """SELECT s.app_no, a.first_import_id FROM staged_apps s JOIN applications a USING (app_no)
               WHERE a.row_hash <> s.row_hash""").to_arrow_table()
        self._stale.append(touched["app_no"])
        if touched.num_rows:
            self.con.execute(
                """INSERT INTO application_history
                   SELECT a.app_no, ?, a.row_hash, a.title, a.ipc_main, a.source
                   FROM applications a JOIN touched t USING (app_no)""",
                [import_id],
            )
            for table in ("applications", "ipc_classes", "parties"):
                self.con.execute(f"DELETE FROM {table} WHERE app_no IN (SELECT app_no FROM touched)")
            cols = ", ".join(f"s.{c}" for c in columns("applications"))
            self.con.execute(
                f"""INSERT INTO applications
                    SELECT {cols}, s.row_hash, t.first_import_id, {import_id}
                    FROM staged_apps s JOIN touched t USING (app_no)"""
            )
            for table, merged in (("ipc_classes", merged_ipcs), ("parties", merged_parties)):  # noqa: B007
                names = ", ".join(columns(table))
                self.con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM merged "
                                 "SEMI JOIN touched USING (app_no)")
        return touched.num_rows, staged_apps.num_rows - touched.num_rows

    def _merge_with_known(self, staged_apps_in: pa.Table, staged_parties: pa.Table, staged_ipcs: pa.Table,
                          staged_pubs: pa.Table) -> tuple[pa.Table, pa.Table, pa.Table]:
        """Staged applications merged with what the warehouse already holds for them: (applications,
        parties, IPC codes).

        The side with the later publication wins where it has a value, the other fills its gaps; so
        an A-row file and a B-row file give the same row in either order, and importing an older file
        again changes nothing.  A file without publication dates counts as the newer one.  Parties and
        IPC codes come whole from the winning side when it has any."""
        merge_choice = self.con.sql(  # noqa: F841 (read by name in the SQL below)
            """SELECT s.app_no,
                      (k.latest IS NULL OR n.latest IS NULL OR n.latest >= k.latest) AS new_wins,
                      EXISTS (SELECT 1 FROM staged_parties p WHERE p.app_no = s.app_no) AS new_parties,
                      EXISTS (SELECT 1 FROM parties p WHERE p.app_no = s.app_no) AS old_parties,
                      EXISTS (SELECT 1 FROM staged_ipcs i WHERE i.app_no = s.app_no) AS new_ipcs,
                      EXISTS (SELECT 1 FROM ipc_classes i WHERE i.app_no = s.app_no) AS old_ipcs
               FROM staged_apps_in s
               LEFT JOIN (SELECT app_no, max(pub_date) AS latest FROM staged_pubs GROUP BY app_no) n
                    USING (app_no)
               LEFT JOIN (SELECT app_no, max(pub_date) AS latest FROM publications
                          WHERE app_no IN (SELECT app_no FROM staged_apps_in) GROUP BY app_no) k USING (app_no)"""
        ).to_arrow_table()
        merged = ", ".join(
            f"s.{c}" if c == "app_no" else
            f"CASE WHEN m.new_wins THEN coalesce(s.{c}, a.{c}) ELSE coalesce(a.{c}, s.{c}) END AS {c}"
            for c in columns("applications"))
        merged_apps = self.con.sql(
            f"""SELECT {merged} FROM staged_apps_in s JOIN merge_choice m USING (app_no)
                LEFT JOIN applications a USING (app_no)""").to_arrow_table()
        out = []
        for staged, table, new, old in ((staged_parties, "parties", "new_parties", "old_parties"),  # noqa: B007
                                        (staged_ipcs, "ipc_classes", "new_ipcs", "old_ipcs")):
            names = ", ".join(f"x.{c}" for c in columns(table))
            use_new = f"m.{new} AND (m.new_wins OR NOT m.{old})"
            out.append(self.con.sql(
                f"""SELECT {names} FROM staged x JOIN merge_choice m USING (app_no) WHERE {use_new}
                    UNION ALL
                    SELECT {names} FROM {table} x JOIN merge_choice m USING (app_no) WHERE NOT ({use_new})"""
            ).to_arrow_table())
        return merged_apps, out[0], out[1]

    def _stage_with_hashes(self, merged_apps: pa.Table, merged_parties: pa.Table, merged_ipcs: pa.Table
                           ) -> pa.Table:
        """The applications with a content hash each, including their parties and IPC codes."""
        app_cols = ", ".join(f"coalesce(CAST(s.{c} AS VARCHAR), '')" for c in columns("applications"))
        party_cols = ", ".join(f"coalesce(CAST({c} AS VARCHAR), '')"
                               for c in ("seq", "role", "name", "party_type", "address"))
        return self.con.sql(
            f"""SELECT s.*, md5(concat_ws('#', {app_cols}, coalesce(p.txt, ''), coalesce(i.txt, '')))
                       AS row_hash
                FROM merged_apps s
                LEFT JOIN (SELECT app_no, string_agg(concat_ws('|', {party_cols}), ';' ORDER BY seq) AS txt
                           FROM merged_parties GROUP BY app_no) p USING (app_no)
                LEFT JOIN (SELECT app_no, string_agg(ipc, ';' ORDER BY seq) AS txt
                           FROM merged_ipcs GROUP BY app_no) i USING (app_no)"""
        ).to_arrow_table()

    def rehash(self, app_nos: pa.Table) -> int:
        """Recompute the content hash of these applications (an ``app_no`` column) from their stored rows, with
        the expression an import uses, after something other than an import rewrote a hashed column (the name
        rules retyping ``parties.party_type``): otherwise re-importing the same rows would find them changed.
        Runs in the caller's transaction; returns the applications whose hash changed."""
        cols = ", ".join(columns("applications"))
        stored_apps = self.con.sql(f"SELECT {cols} FROM applications SEMI JOIN app_nos USING (app_no)"
                                   ).to_arrow_table()
        stored_parties = self.con.sql("SELECT * FROM parties SEMI JOIN app_nos USING (app_no)").to_arrow_table()
        stored_ipcs = self.con.sql("SELECT * FROM ipc_classes SEMI JOIN app_nos USING (app_no)").to_arrow_table()
        hashed = self._stage_with_hashes(stored_apps, stored_parties, stored_ipcs)  # noqa: F841 (read by name)
        return self.con.execute("UPDATE applications SET row_hash = h.row_hash FROM hashed h "
                                "WHERE applications.app_no = h.app_no AND applications.row_hash <> h.row_hash"
                                ).fetchall()[0][0]

    def _upsert_records(self, table: str, frame: pd.DataFrame, counted: bool = True) -> tuple[int, int, int]:
        """Rows replaced by key; (new, changed, unchanged) when ``counted``, else only replaced (INSERT OR
        REPLACE finds the rows through the primary-key index, without reading the table)."""
        keys = KEYS[table]
        cols = columns(table)
        frame = frame[cols].drop_duplicates(list(keys), keep="last")
        staged_rec = self._stage(frame, table)  # noqa: F841 (read by name in the SQL below)
        names = ", ".join(cols)
        if not counted:
            self.con.execute(f"INSERT OR REPLACE INTO {table} ({names}) SELECT {names} FROM staged_rec")
            return 0, 0, 0
        on = " AND ".join(f"s.{k} = t.{k}" for k in keys)
        same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM t.{c}" for c in cols)
        new_count, unchanged = self.con.sql(
            f"""SELECT count(*) FILTER (WHERE t.{keys[0]} IS NULL),
                       count(*) FILTER (WHERE t.{keys[0]} IS NOT NULL AND {same})
                FROM staged_rec s LEFT JOIN {table} t ON {on}"""
        ).fetchall()[0]
        self.con.execute(f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM staged_rec s WHERE {on})")
        self.con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM staged_rec")
        return new_count, len(frame) - new_count - unchanged, unchanged

    def _upsert_pledge_registry(self, batch: Batch) -> tuple[int, int, int]:
        """A pledge file's contracts with their items, changes and per-patent lines (each contract's whole state,
        ingest/pledges.py), replaced by key; counted by contract: (new, changed in any of its rows, unchanged)."""
        numbers = batch.get("pledge_contracts")["contract_no"].dropna().unique().tolist()
        # known before: registered, or a legacy contract with only its per-patent lines (now given its registry rows)
        stored = {r[0] for r in self.con.execute(
            """SELECT contract_no FROM pledge_contracts WHERE contract_no IN (SELECT unnest(?::VARCHAR[]))
               UNION SELECT contract_no FROM pledges WHERE contract_no IN (SELECT unnest(?::VARCHAR[]))""",
            [numbers, numbers]).fetchall()}
        changed: set[str] = set()
        for table in PLEDGE_REGISTRY_TABLES:
            frame = batch.frames.get(table)
            if frame is None or not len(frame):
                continue
            cols = columns(table)
            staged_reg = self._stage(frame[cols], table)  # noqa: F841 (read by name below)
            same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM t.{c}" for c in cols)
            changed |= {r[0] for r in self.con.execute(
                f"SELECT DISTINCT s.contract_no FROM staged_reg s ANTI JOIN {table} t ON {same}").fetchall()}
            if table == "pledges":
                self._changed_rows(table, frame)
            self._upsert_records(table, frame, counted=False)
        new = len(set(numbers) - stored)
        updated = len(changed & stored)
        return new, updated, len(stored) - updated

    def _upsert_trademarks(self, frame: pd.DataFrame) -> tuple[int, int, int]:
        """Trademark rows by (reg_no, nice_class): a row replaces the stored one unless the stored one is of a
        later export (status_date), so importing an older export after a newer one changes nothing;
        (new, changed, unchanged)."""
        cols = columns("trademarks")
        frame = frame[cols].drop_duplicates(["reg_no", "nice_class"], keep="last")
        staged_marks = self._stage(frame, "trademarks")  # noqa: F841 (read by name in the SQL below)
        same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM t.{c}" for c in cols)
        on = "s.reg_no = t.reg_no AND s.nice_class = t.nice_class"
        older = "t.status_date IS NOT NULL AND (s.status_date IS NULL OR s.status_date < t.status_date)"
        new_count, unchanged = self.con.sql(
            f"""SELECT count(*) FILTER (WHERE t.reg_no IS NULL),
                       count(*) FILTER (WHERE t.reg_no IS NOT NULL AND (({same}) OR {older}))
                FROM staged_marks s LEFT JOIN trademarks t ON {on}""").fetchall()[0]
        names = ", ".join(cols)
        winners = f"SELECT s.* FROM staged_marks s LEFT JOIN trademarks t ON {on} WHERE NOT coalesce({older}, false)"
        self.con.execute(f"DELETE FROM trademarks t WHERE EXISTS (SELECT 1 FROM ({winners}) s WHERE {on})")
        self.con.execute(f"INSERT INTO trademarks ({names}) SELECT {names} FROM ({winners})")
        return new_count, len(frame) - new_count - unchanged, unchanged

    def _insert_trademark_events(self, events: pd.DataFrame, import_id: int) -> tuple[int, int]:
        """Trademark events accumulate like legal events (a known one is left as it is, but for its effective date,
        see below); returns (events newly dated, new events)."""
        keys = ["reg_no", "nice_class", "event_date", "event_type", "raw_text"]
        staged_tm_events = self._stage(events.drop_duplicates(keys), "trademark_events")  # noqa: F841 (by name)
        # A known event keeps its row, but learns the day it took effect from a fuller export (a 注销 on request
        # first seen without the day the office received it); a date it has is never changed.
        on = " AND ".join(f"trademark_events.{k} = s.{k}" for k in keys)
        dated = self.con.execute(f"""UPDATE trademark_events SET effective_date = s.effective_date
                                     FROM staged_tm_events s WHERE {on} AND trademark_events.effective_date IS NULL
                                       AND s.effective_date IS NOT NULL""").fetchall()[0][0]
        return dated, len(self.con.sql(
            f"""INSERT INTO trademark_events (reg_no, nice_class, event_date, event_type, effective_date, detail,
                                              raw_text, import_id)
                SELECT reg_no, nice_class, event_date, event_type, effective_date, detail, raw_text, {import_id}
                FROM staged_tm_events ON CONFLICT DO NOTHING RETURNING reg_no""").fetchall())

    def _changed_rows(self, table: str, frame: pd.DataFrame) -> None:
        """Note the applications whose rows of ``table`` (snapshots, family members, pledges, awards,
        enterprises) this frame adds or changes, before it is stored: a family member's are the applications
        of its family; a pledge line's, every patent of its contract (a new line changes their shares); an
        enterprise's, those it is the first applicant of (the directory's town moves them)."""
        cols = columns(table)
        staged_rows = self._stage(frame[cols], table)  # noqa: F841 (read by name below)
        same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM t.{c}" for c in cols)
        changed = f"SELECT s.* FROM staged_rows s ANTI JOIN {table} t ON {same}"
        if table == "family_members":
            changed = f"SELECT a.app_no FROM applications a SEMI JOIN ({changed}) f USING (family_id)"
        elif table == "pledges":
            changed = f"""SELECT app_no FROM ({changed}) UNION
                          SELECT p.app_no FROM pledges p SEMI JOIN ({changed}) c USING (contract_no)"""
        elif table == "enterprises":
            changed = f"""SELECT p.app_no FROM parties p SEMI JOIN ({changed}) e USING (name_norm)
                          WHERE p.seq = 1"""
        self._stale.append(self.con.sql(f"SELECT app_no FROM ({changed})").to_arrow_table()["app_no"])

    def _mark_stale(self) -> None:
        """The applications whose derived rows (timelines, memberships, criterion periods) this batch changed:
        new or changed applications, new events, new or changed snapshots, family members, pledges and
        awards; re-imported content marks nothing."""
        parts, self._stale = self._stale, []
        mark_stale(self.con, pa.chunked_array([c for part in parts for c in part.chunks], pa.string()))

    def _insert_events(self, events: pd.DataFrame, import_id: int) -> None:
        # Events accumulate: a newer export adds what happened since; nothing is deleted.  A known event
        # is found through the primary-key index (ON CONFLICT), not by reading the table.
        frame = events.drop_duplicates(["app_no", "event_date", "event_type", "raw_text"])
        staged_events = self._stage(frame, "legal_events")  # noqa: F841 (read by name in the SQL below)
        inserted = self.con.sql(
            f"""INSERT INTO legal_events (app_no, event_date, event_type, raw_text, effective_date, import_id)
                SELECT s.app_no, s.event_date, s.event_type, s.raw_text, s.effective_date, {import_id}
                FROM staged_events s
                ON CONFLICT DO NOTHING RETURNING app_no"""
        ).to_arrow_table()
        self._stale.append(inserted["app_no"])


class ImportTransaction:
    """Batches added inside :meth:`Warehouse.import_transaction`."""

    def __init__(self, warehouse: Warehouse, import_id: int, file_name: str, sha256: str,
                 source: str, kind: str):
        self.warehouse = warehouse
        self.result = ImportResult(import_id, file_name, False, 0)
        self.sha256, self.source, self.kind = sha256, source, kind
        self.counts = [0, 0, 0]

    def add(self, batch: Batch, rows_read: int, rows_rejected: int = 0) -> None:
        wh, import_id = self.warehouse, self.result.import_id
        self.result.rows_read += rows_read
        self.result.rows_rejected += rows_rejected
        has_apps = len(batch.get("applications")) > 0
        if has_apps:
            _add(self.counts, wh._upsert_applications(batch, import_id))
        registry = batch.frames.get("pledge_contracts")
        if registry is not None and len(registry):  # a pledge file counts contracts, not their items and lines
            _add(self.counts, wh._upsert_pledge_registry(batch))
        for table in ("publications", "family_members", "pledges", "awards", "population", "trademark_counts",
                      "enterprises", "status_snapshots", "market_entities", "recognitions", "citations",
                      "inventors", "navigation_projects", "pledge_contracts", "pledge_items", "pledge_changes",
                      "abnormal_notices", "claims"):
            frame = batch.frames.get(table)
            if registry is not None and len(registry) and table in PLEDGE_REGISTRY_TABLES:
                continue
            if frame is not None and len(frame):
                if table in ("status_snapshots", "family_members", "pledges", "awards", "enterprises"):
                    wh._changed_rows(table, frame)
                counts = wh._upsert_records(table, frame, counted=not has_apps)
                if not has_apps:  # records of their own (family rows, templates) count
                    _add(self.counts, counts)
        marks = batch.frames.get("trademarks")
        if marks is not None and len(marks):
            _add(self.counts, wh._upsert_trademarks(marks))
        events = batch.frames.get("legal_events")
        if events is not None and len(events):
            wh._insert_events(events, import_id)
        mark_events = batch.frames.get("trademark_events")
        if mark_events is not None and len(mark_events):
            dated, inserted = wh._insert_trademark_events(mark_events, import_id)
            if marks is None or not len(marks):  # an events-only file counts its new (and newly dated) events
                _add(self.counts, (inserted, dated, len(mark_events) - inserted - dated))
        wh._mark_stale()

    def record(self) -> None:
        r = self.result
        r.rows_inserted, r.rows_updated, r.rows_unchanged = self.counts
        self.warehouse.con.execute(
            "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [r.import_id, r.file_name, self.sha256, self.source, self.kind, datetime.now(),
             r.rows_read, r.rows_inserted, r.rows_updated, r.rows_unchanged, r.rows_rejected],
        )
        notes = [(r.import_id, "unknown_event", text, n) for text, n in r.unknown_events.items()]
        notes += [(r.import_id, "warning", text, n) for text, n in r.warnings.items()]
        if notes:
            self.warehouse.con.executemany("INSERT INTO import_notes VALUES (?, ?, ?, ?)", notes)


PLEDGE_REGISTRY_TABLES = ("pledge_contracts", "pledge_items", "pledge_changes", "pledges")


def _add(counts: list[int], result: tuple[int, int, int]) -> None:
    for i, value in enumerate(result):
        counts[i] += value


def _forget_cached_tables(backend: ibis.BaseBackend) -> None:
    """Cached analytics tables are temporary and die with the connection; stop Ibis from trying
    to drop them later, through a connection that is closed by then."""
    entries = getattr(backend, "_cache_name_to_entry", {})
    for entry in list(entries.values()):
        entry.finalizer.detach()
    entries.clear()
    getattr(backend, "_cache_op_to_entry", {}).clear()
