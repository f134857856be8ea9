"""Listing what region attribution could not resolve, for the user to fix at the source."""

from __future__ import annotations

import ibis

from hvpatent.reference.regions import all_regions, region_name


def unresolved_parties(con: ibis.BaseBackend, limit: int = 50) -> list[dict]:
    """First applicants with no province, or in a county with towns but no town resolved."""
    parties = con.table("parties")
    first = parties.filter(parties.seq == 1)
    # Counties for which the fact table has towns: attribution should reach the town there.
    town_counties = sorted({r.parent_code for r in all_regions() if r.level == "town"})
    missing = first.province_code.isnull() | (
        first.county_code.isin(town_counties) & first.town_code.isnull()
    )
    grouped = (
        first.filter(missing)
        .group_by(["name", "address"])
        .aggregate(applications=first.app_no.nunique(), resolved_to=first.county_code.max())
        .order_by(ibis.desc("applications"))
        .limit(limit)
    )
    rows = grouped.to_pyarrow().to_pylist()
    for row in rows:
        row["resolved_to"] = region_name(row["resolved_to"]) if row["resolved_to"] else None
    return rows
