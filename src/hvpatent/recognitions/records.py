"""Dated recognitions of enterprises as Ibis expressions (portable: DuckDB and Spark).

Where an enterprise is: the town its record gives; else its town set by hand (`hvp regions assign`); else
the enterprise directory's town (matched by normalised name or credit code); else the region its record gives
(the county a list was imported for).  One enterprise: its unified social credit code when any record or
the directory knows it, else its normalised name; so a renamed enterprise with one credit code counts once.

In force on a day: recognised on or before the day, not expired (expiry date on or after the day, or none)
and not revoked (revocation date after the day, or none).

New in (since, day] (新增, the plan's counting rule, docs/recognitions.md): an enterprise with a recognition
of the kinds and levels counted dated after ``since`` and on or before ``day``, not revoked by ``day``, that
held no recognition of those kinds and levels in force on ``since``.  Counted once however many recognitions
it got in the window; an enterprise already recognised on ``since`` is not new when it is re-recognised,
reviewed or upgraded to another level that is counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import ibis
import ibis.expr.types as ir

from hvpatent.indicators.base import code_prefix, has_table
from hvpatent.recognitions.kinds import kind_label, level_label

OUT_COLUMNS = ("enterprise_key", "name", "name_norm", "credit_code", "region_code", "kind", "level",
               "recognised_date", "expiry_date", "revoked_date", "certifier", "certificate_no", "document")


def has_recognitions(con: ibis.BaseBackend, kinds: Iterable[str] | None = None) -> bool:
    """Whether the warehouse holds any recognition record (of these kinds); False for a warehouse older than
    the table (a Parquet export)."""
    if not has_table(con, "recognitions"):  # a Parquet export of a warehouse older than the table
        return False
    rec = con.table("recognitions")
    if kinds:
        rec = rec.filter(rec.kind.isin(list(kinds)))
    return int(rec.count().execute()) > 0


def _placed(con: ibis.BaseBackend, kinds: Iterable[str] | None, levels: Iterable[str] | None) -> ir.Table:
    """The recognitions of the kinds and levels asked, each with its enterprise's key and region code."""
    rec = con.table("recognitions")
    if kinds:
        rec = rec.filter(rec.kind.isin(list(kinds)))
    if levels:
        rec = rec.filter(rec.level.isin(list(levels)))
    ent = con.table("enterprises")
    by_name = ent.select(n_norm=ent.name_norm, n_code=ent.credit_code, n_town=ent.town_code)
    by_code = (ent.filter(ent.credit_code.notnull())
               .group_by(c_code=ent.credit_code).aggregate(c_town=ent.town_code.max()))
    towns = con.table("applicant_towns")
    towns = towns.select(a_norm=towns.name_norm, a_town=towns.town_code)
    joined = (rec.left_join(by_name, rec.name_norm == by_name.n_norm)
              .left_join(towns, rec.name_norm == towns.a_norm))
    credit = ibis.coalesce(joined.credit_code, joined.n_code)
    joined = joined.mutate(_credit=credit.max().over(ibis.window(group_by=joined.name_norm)))
    joined = joined.left_join(by_code, joined._credit == by_code.c_code)
    null = ibis.null().cast("string")
    town_given = ibis.ifelse(joined.town_code.length() >= 9, joined.town_code, null)
    return joined.select(
        enterprise_key=ibis.coalesce(joined._credit, joined.name_norm), name=joined.name,
        name_norm=joined.name_norm, credit_code=joined._credit,
        region_code=ibis.coalesce(town_given, joined.a_town, joined.n_town, joined.c_town, joined.town_code),
        kind=joined.kind, level=joined.level, recognised_date=joined.recognised_date,
        expiry_date=joined.expiry_date, revoked_date=joined.revoked_date, certifier=joined.certifier,
        certificate_no=joined.certificate_no, document=joined.document,
    )


def _in_force(t: ir.Table, day: date) -> ir.Table:
    d = ibis.date(day)
    return t.filter((t.recognised_date <= d) & (t.expiry_date.isnull() | (t.expiry_date >= d))
                    & (t.revoked_date.isnull() | (t.revoked_date > d)))


def _in_region(t: ir.Table, region: str | None) -> ir.Table:
    return t if not region else t.filter(t.region_code.startswith(code_prefix(region)))


def recognitions_in_force(con: ibis.BaseBackend, day: date, kinds: Iterable[str] | None = None,
                          levels: Iterable[str] | None = None, region: str | None = None) -> ir.Table:
    """One row per recognition in force on ``day`` (columns OUT_COLUMNS) of enterprises in ``region``."""
    return _in_region(_in_force(_placed(con, kinds, levels), day), region)


def new_recognitions(con: ibis.BaseBackend, since: date, day: date, kinds: Iterable[str],
                     levels: Iterable[str] | None = None, region: str | None = None) -> ir.Table:
    """One row per enterprise newly recognised in (since, day] (the module's rule): enterprise_key, name,
    credit_code, region_code, first_date (its first recognition in the window), recognitions (how many) and
    listed ("kind/level/date" of each, '；'-separated)."""
    placed = _placed(con, kinds, levels)
    held = _in_force(placed, since).select("enterprise_key").distinct()
    d = ibis.date(day)
    fresh = placed.filter((placed.recognised_date > ibis.date(since)) & (placed.recognised_date <= d)
                          & (placed.revoked_date.isnull() | (placed.revoked_date > d)))
    fresh = _in_region(fresh.anti_join(held, "enterprise_key"), region)
    fresh = fresh.mutate(item=fresh.kind.concat("/", fresh.level, "/", fresh.recognised_date.cast("string")))
    return fresh.group_by("enterprise_key").aggregate(
        name=fresh.name.max(), credit_code=fresh.credit_code.max(), region_code=fresh.region_code.max(),
        first_date=fresh.recognised_date.min(), recognitions=fresh.count(),
        listed=fresh.item.group_concat("；"),
    )


def count_new(con: ibis.BaseBackend, since: date, day: date, kinds: Iterable[str],
              levels: Iterable[str] | None = None, region: str | None = None) -> int:
    """How many enterprises new_recognitions lists."""
    return int(new_recognitions(con, since, day, kinds, levels, region).count().execute())


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def recognition_list(con: ibis.BaseBackend, day: date, kinds: Iterable[str] | None = None,
                     levels: Iterable[str] | None = None, region: str | None = None,
                     new_since: date | None = None, lang: str = "zh") -> list[dict]:
    """Plain rows for the CLI and the web: the recognitions in force on ``day``, or with ``new_since`` the
    enterprises new in (new_since, day] (one row each, its recognitions in the window listed in words)."""
    if not has_recognitions(con):  # none imported, or a warehouse older than the table: nothing to list
        return []
    if new_since is not None:
        rows = (new_recognitions(con, new_since, day, kinds or (), levels, region)
                .order_by(["first_date", "name"]).to_pyarrow().to_pylist())
        for row in rows:
            row["listed"] = "；".join(sorted(
                f"{kind_label(k, lang)}（{level_label(lv, lang)}，{when}）"
                for k, lv, when in (item.split("/") for item in (row["listed"] or "").split("；") if item)))
        return [{k: _plain(v) for k, v in r.items()} for r in rows]
    rows = (recognitions_in_force(con, day, kinds, levels, region)
            .order_by(["kind", "recognised_date", "name"]).to_pyarrow().to_pylist())
    return [{**{k: _plain(v) for k, v in r.items()}, "kind_label": kind_label(r["kind"], lang),
             "level_label": level_label(r["level"], lang)} for r in rows]
