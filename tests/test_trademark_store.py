"""The store's rules for trademark events: they accumulate, and a known event learns the day it took effect from
a fuller export, never losing or changing a day it has."""

from __future__ import annotations

from datetime import date

from hvpatent.model import Batch
from hvpatent.warehouse.store import Warehouse


def _events(effective: date | None) -> Batch:
    batch = Batch()
    batch.set("trademark_events", [{"reg_no": "12345678", "nice_class": 9, "event_date": date(2020, 1, 10),
                                    "event_type": "cancelled_request", "effective_date": effective,
                                    "raw_text": "注销商标---核准注销"}])
    return batch


def test_a_known_event_learns_its_effective_day_once(tmp_path):
    with Warehouse(tmp_path / "w.duckdb") as wh:
        results = []
        for name, effective in (("a", None), ("b", date(2019, 12, 2)), ("c", date(2019, 12, 2)), ("d", None),
                                ("e", date(2019, 11, 1))):
            with wh.import_transaction(name, name, "test", "trademarks") as tx:
                tx.add(_events(effective), 1)
            r = tx.result
            results.append((r.rows_inserted, r.rows_updated, r.rows_unchanged))
        stored = wh.con.execute("SELECT effective_date, import_id FROM trademark_events").fetchall()
    # new; dated by the fuller export (the 注销 on request takes effect on the day received, Impl. Regs art. 73);
    # then the same again, one without the day and one with another day: all unchanged
    assert results == [(1, 0, 0), (0, 1, 0), (0, 0, 1), (0, 0, 1), (0, 0, 1)]
    assert stored == [(date(2019, 12, 2), 1)]
