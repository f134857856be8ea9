"""Indicators, high-value patents and drill-down lists: the one door of the indicators room.

Every function takes an Ibis backend (DuckDB or Spark) and returns plain rows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import ibis

from hvpatent.indicators.base import (
    ALL_APPLICANTS,
    FIRST_APPLICANTS,
    INDUSTRY_MEMBERS,
    SEI_MEMBERS,
    applications_of,
    first_applicants,
    first_applicants_fingerprint,
    has_table,
    industry_fingerprint,
    industry_memberships,
    origin_of,
    sei_fingerprint,
    sei_matches,
)
from hvpatent.indicators.compute import (
    AS_OF_FIRST,
    check_as_of,
    grouped_values,
    in_group,
    indicator_table,
    population_year,
    records,
    value,
)
from hvpatent.indicators.config import high_value_settings, industries, industry_name
from hvpatent.indicators.explain import Explanation, explain
from hvpatent.indicators.highvalue import CRITERIA, CRITERION_PERIODS, criterion_periods, periods_fingerprint
from hvpatent.indicators.measures import (
    DIMENSIONS,
    INDICATORS,
    PERIOD_MONTHS,
    Context,
    effective_mark_records,
    high_value_records,
)
from hvpatent.warehouse.derived import Derived, refresh
from hvpatent.warehouse.store import Warehouse

HEADLINE = ("valid_inventions", "valid_inventions_per_10k", "high_value_inventions", "high_value_per_10k",
            "invention_applications", "invention_grants", "trademarks")

__all__ = [
    "ALL_APPLICANTS",
    "AS_OF_FIRST",
    "CRITERIA",
    "DIMENSIONS",
    "HEADLINE",
    "INDICATORS",
    "PERIOD_MONTHS",
    "Context",
    "Explanation",
    "check_as_of",
    "drill",
    "effective_mark_records",
    "explain",
    "figures",
    "grouped_values",
    "has_table",
    "high_value_list",
    "high_value_settings",
    "in_group",
    "indicator_table",
    "industries",
    "industry_name",
    "origin_of",
    "population_year",
    "records",
    "refresh_derived",
    "value",
]


def derived_tables() -> list[Derived]:
    """The tables computed once per application and refreshed after imports: legal-state timelines,
    SEI memberships (high-value criterion 1), the plan's industry memberships and each application's first
    applicant with its region (after the enterprise directory and town assignments), and the periods in
    which each high-value criterion holds."""
    from hvpatent.legal import timeline

    return [
        Derived(timeline.TABLE, timeline.fingerprint(), lambda con, apps: timeline.timeline(con, apps)),
        Derived(SEI_MEMBERS, sei_fingerprint(), lambda con, apps: sei_matches(con, apps)),
        Derived(INDUSTRY_MEMBERS, industry_fingerprint(), lambda con, apps: industry_memberships(con, apps)),
        Derived(FIRST_APPLICANTS, first_applicants_fingerprint(), lambda con, apps: first_applicants(con, apps)),
        Derived(CRITERION_PERIODS, periods_fingerprint(), lambda con, apps: criterion_periods(con, apps)),
    ]


def refresh_derived(warehouse: Warehouse, progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Rebuild what imports made stale (or everything, when the rules changed); returns the applications
    rebuilt per table. Run after imports: until then figures are computed from the events directly.
    Parties typed by older name rules get the current rules' types first (their first applicants then rebuild),
    and parties without a country (an older warehouse) get one read from their address and name."""
    from hvpatent.reference.applicant_categories import reclassify_parties
    from hvpatent.reference.countries import fill_party_countries

    fill_party_countries(warehouse)
    reclassify_parties(warehouse)
    return refresh(warehouse, derived_tables(), progress)


def figures(con: ibis.BaseBackend, as_of: date, region: str | None = None, period: str = "year",
            by: str | None = None, keys: list[str] | None = None, as_known_on: date | None = None) -> list[dict]:
    """Indicator rows with value, previous period, same period last year and the changes."""
    ctx = Context.create(con, as_of, period, region, as_known_on=as_known_on)
    return indicator_table(ctx, period, keys, by)


def drill(con: ibis.BaseBackend, key: str, as_of: date, region: str | None = None,
          period: str = "year", by: str | None = None, group: str | None = None,
          as_known_on: date | None = None) -> list[dict]:
    """The records behind one figure; their count (or sum) is the figure. With ``by`` and
    ``group``: the records behind one group's figure of that breakdown."""
    if key not in INDICATORS:
        raise KeyError(key)
    ctx = Context.create(con, as_of, period, region, as_known_on=as_known_on)
    rows = records(ctx, key)
    if by is not None and group is not None:
        rows = in_group(ctx, rows, by, group)
    return rows.order_by(rows.columns[0]).to_pyarrow().to_pylist()


def high_value_list(con: ibis.BaseBackend, as_of: date, region: str | None = None, *,
                    criterion: str | None = None, text: str | None = None, town: str | None = None,
                    applicant: str | None = None, as_known_on: date | None = None) -> list[dict]:
    """Valid high-value invention patents with the criteria each one meets; optionally only those
    meeting one criterion, in one town, of one applicant (normalised name, any applicant
    position), or whose number, title or first applicant contains ``text``."""
    ctx = Context.create(con, as_of, "year", region, as_known_on=as_known_on)
    rows = high_value_records(ctx, criterion)
    apps = con.table("applications").select("app_no", "title", "ipc_main")
    rows = rows.join(apps, "app_no")
    if town:
        rows = rows.filter(rows.town_code == town)
    if applicant:
        rows = rows.semi_join(applications_of(con, applicant), "app_no")
    if text:
        rows = rows.filter(rows.app_no.contains(text) | rows.title.contains(text)
                           | rows.applicant_name.contains(text))
    return rows.order_by("app_no").to_pyarrow().to_pylist()
