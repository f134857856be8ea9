"""The lists of trademarks behind the trademark indicators (docs/indicators.md, "Trademarks"): one row per
registration number and Nice class (CNIPA counts a multi-class registration once per class), placed by the
owner's current address (the latest export's), with its state on the as-of date (state.mark_states)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from hvpatent.indicators.base import has_table
from hvpatent.trademarks.state import EFFECTIVE, KEYS, mark_states

if TYPE_CHECKING:
    from hvpatent.indicators.measures import Context

TRADEMARK_COLUMNS = ["trademark_key", "reg_no", "nice_class", "mark_name", "mark_kind", "is_gi", "is_madrid",
                     "applicant", "applicant_name", "applicant_type", "province_code", "city_code", "county_code",
                     "town_code", "country", "state", "filing_date", "registration_date", "term_end",
                     "effective_count"]
_TYPES = {"nice_class": "int64", "is_gi": "boolean", "is_madrid": "boolean", "filing_date": "date",
          "registration_date": "date", "term_end": "date", "effective_count": "int64"}
NO_MARKS = ibis.schema({c: _TYPES.get(c, "string") for c in TRADEMARK_COLUMNS})


def marks_in_region(con: ibis.BaseBackend, region: str | None) -> ir.Table:
    """The stored marks whose owner is in ``region`` (indicators.base.in_region: none = domestic owners)."""
    from hvpatent.indicators.base import in_region

    return in_region(con.table("trademarks"), region)


def mark_records(ctx: Context) -> ir.Table:
    """Every mark of ctx.region known on ctx.as_of (filed by then), with its state that day: TRADEMARK_COLUMNS.

    Built and cached once per as-of date and region (the flows and stocks of one day share it)."""
    def build() -> ir.Table:
        if not has_table(ctx.con, "trademarks"):  # a warehouse or Parquet export older than the records: none
            return ibis.memtable(NO_MARKS.to_pyarrow().empty_table())
        marks = marks_in_region(ctx.con, ctx.region)
        states = mark_states(ctx.con, ctx.as_of, marks.select(*KEYS, "filing_date", "prelim_pub_date",
                                                               "registration_date", "term_end", "status_text",
                                                               "status_date"))
        rows = marks.drop("term_end").join(states, KEYS)
        return rows.select(
            trademark_key=rows.reg_no.concat("/", rows.nice_class.cast("string")),
            reg_no=rows.reg_no, nice_class=rows.nice_class, mark_name=rows.mark_name, mark_kind=rows.mark_kind,
            is_gi=rows.is_gi, is_madrid=rows.is_madrid, applicant=rows.owner_norm, applicant_name=rows.owner,
            applicant_type=rows.owner_type, province_code=rows.province_code, city_code=rows.city_code,
            county_code=rows.county_code, town_code=rows.town_code, country=rows.country, state=rows.state,
            filing_date=rows.filing_date,
            registration_date=rows.registration_date, term_end=rows.term_end,
            effective_count=ibis.literal(1, "int64"),
        ).cache()  # every trademark indicator of the day reads it: computed once (as the legal states are)
    return ctx.memo("trademark_records", build)


def effective_marks(ctx: Context) -> ir.Table:
    """The effective marks (registered or in grace) of ctx.region on ctx.as_of, Madrid registrations included
    (is_madrid: the ``trademarks`` indicator leaves them out and ``madrid_registrations`` counts them)."""
    rows = mark_records(ctx)
    return rows.filter(rows.state.isin(EFFECTIVE))


__all__ = ["TRADEMARK_COLUMNS", "effective_marks", "mark_records", "marks_in_region"]
