"""Indicators: the one door of the indicators room (headline figures for now)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import ibis
import ibis.expr.types as ir

from hvpatent.legal import IN_FORCE, legal_state


def region_column(code: str) -> str:
    """Which attribution column a region code is matched against."""
    if len(code) == 12:
        return "town_code"
    if code.endswith("0000"):
        return "province_code"
    if code.endswith("00"):
        return "city_code"
    return "county_code"


def in_region(con: ibis.BaseBackend, code: str | None) -> ir.Table:
    """Applications attributed to the region by their first applicant (CNIPA's counting rule)."""
    parties = con.table("parties")
    first = parties.filter(parties.seq == 1)
    if code:
        first = first.filter(first[region_column(code)] == code)
    return first.select("app_no").distinct()


@dataclass
class Headline:
    as_of: date
    region_code: str | None
    applications: int
    inventions: int
    valid_inventions: int
    population: int | None

    @property
    def valid_inventions_per_10k(self) -> float | None:
        if not self.population:
            return None
        return round(self.valid_inventions / self.population * 10_000, 2)


def population_as_of(con: ibis.BaseBackend, code: str | None, as_of: date) -> int | None:
    """Resident population at the latest year-end on or before the as-of date."""
    if not code:
        return None
    last_year_end = as_of.year if (as_of.month, as_of.day) == (12, 31) else as_of.year - 1
    pop = con.table("population")
    pop = pop.filter((pop.region_code == code) & (pop.year <= last_year_end))
    rows = pop.order_by(ibis.desc("year")).limit(1).to_pyarrow().to_pylist()
    return rows[0]["population"] if rows else None


def headline(con: ibis.BaseBackend, as_of: date, region_code: str | None = None) -> Headline:
    states = legal_state(con, as_of)
    scoped = states.semi_join(in_region(con, region_code), "app_no")
    summary = scoped.aggregate(
        applications=scoped.count(),
        inventions=(scoped.patent_type == "invention").sum(),
        valid_inventions=((scoped.patent_type == "invention") & scoped.state.isin(IN_FORCE)).sum(),
    ).to_pyarrow().to_pylist()[0]
    return Headline(as_of, region_code, int(summary["applications"] or 0),
                    int(summary["inventions"] or 0), int(summary["valid_inventions"] or 0),
                    population_as_of(con, region_code, as_of))
