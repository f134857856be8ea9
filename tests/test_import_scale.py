"""Import at scale, on tiny files: chunks converted in worker processes give what one process gives; new
applications inserted through the key index end as the merge path would leave them; a failure or a cancel
in any chunk stores nothing."""

from __future__ import annotations

import csv
import multiprocessing as mp
from pathlib import Path

import pytest

from hvpatent.ingest import FileError, import_file
from hvpatent.ingest.appno import check_digit
from hvpatent.ingest.heartbeat import listening
from hvpatent.ingest.notes import ImportNotes
from hvpatent.ingest.spreadsheet import load_mapping, read_export

HEADERS = ["申请号", "申请日", "名称", "申请(专利权)人", "地址", "主分类号", "分类号", "公开(公告)号",
           "公开(公告)日", "授权公告日", "法律事件", "法律状态"]
TABLES = ("applications", "parties", "ipc_classes", "publications", "legal_events", "status_snapshots")


def no(digits: str) -> str:
    return f"{digits}.{check_digit(digits)}"


def app_row(i: int, stage: str = "A", **cells: str) -> list[str]:
    """Application i as an A row (published) or a B row (granted, another title and applicant)."""
    row = {h: "" for h in HEADERS}
    row.update({"申请号": no(f"2019101{i:05d}"), "申请日": "2019-03-02", "主分类号": "H01M4/58",
                "地址": "重庆市永川区胜利路街道人民大道1号"})
    if stage == "A":
        row.update({"名称": f"一种电池{i}", "申请(专利权)人": "重庆甲科技有限公司", "公开(公告)号": f"CN1100{i:05d}A",
                    "公开(公告)日": "2020-01-10", "法律事件": "2020-01-10 发明专利申请公布"})
    else:
        row.update({"名称": f"一种电池{i}（授权）", "申请(专利权)人": "重庆甲科技有限公司；重庆文理学院",
                    "分类号": "H01M4/58;H01M10/052", "公开(公告)号": f"CN1100{i:05d}B",
                    "公开(公告)日": "2021-06-01", "授权公告日": "2021-06-01"})
    row.update(cells)
    return [row[h] for h in HEADERS]


def bare_state(i: int) -> list[str]:
    """A row whose only legal status is a current state (有效), with no dated event to place it by."""
    return app_row(i, 法律状态="有效", 法律事件="", **{"公开(公告)号": "", "公开(公告)日": ""})


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADERS, *rows])
    return path


def snapshot(wh) -> dict[str, list]:
    """Every stored row of the canonical tables, without the import ids (they number the imports)."""
    out = {}
    for table in TABLES:
        frame = wh.frame(f"SELECT * FROM {table}")
        frame = frame.drop(columns=[c for c in ("import_id", "first_import_id", "last_import_id") if c in frame])
        out[table] = sorted(map(repr, frame.astype(object).where(frame.notna(), None).values.tolist()))
    return out


def batches(path: Path, workers: int, chunk_rows: int = 2) -> tuple[list, ImportNotes]:
    notes = ImportNotes()
    out = []
    for batch, errors, rows_read in read_export(path, load_mapping(), chunk_rows=chunk_rows, notes=notes,
                                                workers=workers):
        frames = {t: f.reset_index(drop=True).astype(object).where(f.notna(), None).values.tolist()
                  for t, f in batch.frames.items()}
        out.append((frames, [(e.row, e.field, e.reason) for e in errors], getattr(errors, "total", None), rows_read))
    return out, notes


def test_worker_processes_convert_as_one_process_does(tmp_path):
    rows = [app_row(1), app_row(1, "B"), app_row(2, 申请日="2019-02-30"), app_row(3, 法律事件="2020-01-10 莫名其妙"),
            app_row(4, "B"), app_row(5)]
    path = write_csv(tmp_path / "export.csv", rows)
    alone, alone_notes = batches(path, workers=0)
    parallel, parallel_notes = batches(path, workers=2)
    assert parallel == alone
    assert parallel_notes == alone_notes and alone_notes.unknown_events  # the unknown event word, once
    assert [e for chunk in alone for e in chunk[1]] == [(4, "申请日", "不是有效日期: 2019-02-30")]
    assert sum(chunk[3] for chunk in alone) == 6
    assert mp.active_children() == []  # the workers are gone once the file is read


def test_a_worker_failure_is_the_file_error_it_raised(tmp_path):
    """A bare current state without an export date fails in the worker: the same FileError, raised here."""
    rows = [app_row(1), app_row(2), bare_state(3)]
    path = write_csv(tmp_path / "export.csv", rows)
    with pytest.raises(FileError, match="导出日期") as alone:
        batches(path, workers=0)
    with pytest.raises(FileError, match="导出日期") as parallel:
        batches(path, workers=2)
    assert (parallel.value.file, parallel.value.reason) == (alone.value.file, alone.value.reason)
    assert mp.active_children() == []


def test_a_cancel_while_workers_convert_stops_them(tmp_path):
    path = write_csv(tmp_path / "export.csv", [app_row(i) for i in range(1, 9)])

    class Cancelled(Exception):
        pass

    def cancel() -> None:
        raise Cancelled

    with listening(cancel), pytest.raises(Cancelled):
        for _ in read_export(path, load_mapping(), chunk_rows=2, workers=2):
            cancel()  # what a progress callback does at the end of a chunk
    assert mp.active_children() == []


def test_new_applications_end_as_the_merge_leaves_them_in_either_order(tmp_path):
    """A file of A rows and a file of B rows (overlapping, each with applications of its own): the rows
    inserted directly (new) and those merged (known) end the same whichever file comes first."""
    a_file = write_csv(tmp_path / "a.csv", [app_row(i) for i in (1, 2, 3, 4)])
    b_file = write_csv(tmp_path / "b.csv", [app_row(i, "B") for i in (3, 4, 5, 6)])
    from hvpatent.warehouse.store import Warehouse

    ends = []
    # The B rows update the two known applications; the older A rows after them only fill gaps (none here).
    for order, counts in (((a_file, b_file), (2, 2, 0)), ((b_file, a_file), (2, 0, 2))):
        with Warehouse(tmp_path / f"{order[0].stem}_first.duckdb") as wh:
            first, _ = import_file(wh, order[0])
            second, _ = import_file(wh, order[1])
            assert (first.rows_inserted, first.rows_updated) == (4, 0)
            assert (second.rows_inserted, second.rows_updated, second.rows_unchanged) == counts
            ends.append(snapshot(wh))
            titles = dict(wh.con.execute("SELECT app_no, title FROM applications").fetchall())
            parties = wh.con.execute("SELECT count(*) FROM parties WHERE app_no = ?", [no("201910100003")]
                                     ).fetchall()[0][0]
    assert ends[0] == ends[1]
    assert titles[no("201910100003")] == "一种电池3（授权）" and parties == 2  # the later (B) publication wins
    assert titles[no("201910100001")] == "一种电池1"


def test_the_same_rows_in_another_file_change_nothing(tmp_path):
    from hvpatent.warehouse.store import Warehouse

    rows = [app_row(1), app_row(1, "B"), app_row(2), app_row(3, "B")]
    with Warehouse(tmp_path / "wh.duckdb") as wh:
        import_file(wh, write_csv(tmp_path / "first.csv", rows))
        before = snapshot(wh)
        again, _ = import_file(wh, write_csv(tmp_path / "again.csv", list(reversed(rows))))
        assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 3)
        assert snapshot(wh) == before
        assert wh.count("application_history") == 0


def test_a_failure_in_a_later_chunk_leaves_the_warehouse_as_it_was(tmp_path):
    """The first chunks are stored (new applications inserted, a known one merged) before a later one
    fails: the transaction rolls all of them back."""
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(tmp_path / "wh.duckdb") as wh:
        import_file(wh, write_csv(tmp_path / "first.csv", [app_row(1)]))
        before = snapshot(wh)
        rows = [app_row(1, "B"), app_row(2), app_row(3), app_row(4), bare_state(5)]
        path = write_csv(tmp_path / "second.csv", rows)
        stored = []
        with pytest.raises(FileError, match="导出日期"), \
                wh.import_transaction(path.name, "sha", "cnipa", "patents") as tx:
            for batch, _errors, rows_read in read_export(path, load_mapping(), chunk_rows=2, workers=0):
                tx.add(batch, rows_read)
                stored.append(rows_read)
        assert stored == [2, 2]  # two chunks were stored before the third failed
        assert snapshot(wh) == before
        assert wh.count("imports") == 1


def test_staged_frames_are_not_held_by_the_transaction(tmp_path):
    """Staging leaves no catalog entry behind (a temp table or view a transaction would keep to its commit)."""
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(tmp_path / "wh.duckdb") as wh:
        catalog = "SELECT count(*) FROM duckdb_tables() WHERE temporary"
        views = "SELECT count(*) FROM duckdb_views() WHERE NOT internal"
        before = (wh.con.execute(catalog).fetchall(), wh.con.execute(views).fetchall())
        rows = [app_row(i) for i in range(1, 5)] + [app_row(i, "B") for i in range(3, 7)]
        import_file(wh, write_csv(tmp_path / "x.csv", rows))
        assert (wh.con.execute(catalog).fetchall(), wh.con.execute(views).fetchall()) == before


def test_a_worker_that_dies_ends_the_import_with_a_message():
    # os._exit as the conversion: the worker process ends at once, as one killed for memory would.
    import os

    from hvpatent.ingest.parallel import WorkerDied, ordered_map

    with pytest.raises(WorkerDied, match="子进程意外退出"):
        list(ordered_map(os._exit, [3], workers=1))
