"""One trademark with its state and history, and the lists of effective trademarks behind the figures.

`mark_list` filters `records.effective_marks` (the drill-down list the `trademarks` indicators count), so a
figure of the dashboard and the length of its list are the same number; `mark_detail` applies the rules of
`state.mark_state` to one mark's stored row and events (docs/trademarks.md).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

import ibis

from hvpatent.indicators.base import has_table
from hvpatent.model import MARK_KINDS

# kind filter of a list: a mark kind, or the marks counted apart (GI, Madrid)
LIST_KINDS = (*MARK_KINDS, "gi", "madrid")


def mark_detail(con: ibis.BaseBackend, reg_no: str, nice_class: int, as_of: date) -> dict | None:
    """{"mark": the stored row, "state": the MarkState on ``as_of`` as a dict, "events": the mark's events in
    date order}; None when the warehouse has no such mark."""
    from hvpatent.trademarks.state import mark_state

    if not has_table(con, "trademarks"):  # a warehouse older than the records
        return None
    marks = con.table("trademarks")
    found = marks.filter((marks.reg_no == reg_no) & (marks.nice_class == int(nice_class))).to_pyarrow().to_pylist()
    if not found:
        return None
    events = con.table("trademark_events")
    events = events.filter((events.reg_no == reg_no) & (events.nice_class == int(nice_class)))
    rows = events.drop("import_id").order_by(["event_date", "event_type"]).to_pyarrow().to_pylist()
    state = mark_state(found[0], rows, as_of)
    return {"mark": found[0], "state": asdict(state), "events": rows, "as_of": as_of}


def mark_classes(con: ibis.BaseBackend, reg_no: str) -> list[int]:
    """The Nice classes stored under one registration number, in order."""
    if not has_table(con, "trademarks"):
        return []
    marks = con.table("trademarks")
    found = marks.filter(marks.reg_no == reg_no).select("nice_class").distinct().order_by("nice_class")
    return [r["nice_class"] for r in found.to_pyarrow().to_pylist()]


def check_kind(kind: str | None) -> None:
    if kind is not None and kind not in LIST_KINDS:
        raise ValueError(f"kind：无效的值 {kind[:40]!r}，可用：{' | '.join(LIST_KINDS)} / kind: invalid value")


def mark_list(con: ibis.BaseBackend, as_of: date, region: str | None = None, *, town: str | None = None,
              nice_class: int | None = None, owner: str | None = None, kind: str | None = None,
              limit: int | None = None) -> list[dict]:
    """Effective trademarks of ``region`` on ``as_of`` (records.effective_marks), optionally of one town
    (12-digit code), one Nice class, one owner (a name, matched normalised) and one kind (a mark kind, or
    ``gi`` / ``madrid``); Madrid registrations only with kind ``madrid`` (as the indicators count them); ordered
    by town, owner, registration number and class; at most ``limit`` rows."""
    from hvpatent.indicators import Context
    from hvpatent.ingest.fields import normalize_name
    from hvpatent.trademarks.records import effective_marks

    check_kind(kind)
    rows = effective_marks(Context.create(con, as_of, "year", region))
    if town:
        rows = rows.filter(rows.town_code == town)
    if nice_class is not None:
        rows = rows.filter(rows.nice_class == int(nice_class))
    if owner:
        rows = rows.filter(rows.applicant == normalize_name(owner))
    if kind == "gi":
        rows = rows.filter(rows.is_gi)
    elif kind == "madrid":
        rows = rows.filter(rows.is_madrid)
    elif kind:
        rows = rows.filter(rows.mark_kind == kind)
    if kind != "madrid":  # Madrid registrations are counted apart (the trademarks indicator leaves them out)
        rows = rows.filter(~rows.is_madrid)
    rows = rows.order_by(["town_code", "applicant", "reg_no", "nice_class"])
    if limit is not None:
        rows = rows.limit(limit)
    return rows.to_pyarrow().to_pylist()


__all__ = ["LIST_KINDS", "check_kind", "mark_classes", "mark_detail", "mark_list"]
