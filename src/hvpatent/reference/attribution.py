"""What region attribution resolved, and what it left for the user to fix (`hvp regions …`)."""

from __future__ import annotations

import ibis

from hvpatent.reference.applicant_towns import with_overrides
from hvpatent.reference.regions import region_name


def _first(con: ibis.BaseBackend):
    """First applicants with their address, region after the directory and assignments, and town layer."""
    parties = con.table("parties")
    first = parties.filter(parties.seq == 1)
    # A warehouse older than the column, opened read-only (not migrated), has no layer recorded.
    source = first.town_source if "town_source" in first.columns else ibis.null("string")
    first = first.select("app_no", "province_code", "city_code", "county_code", "town_code", "address",
                         town_source=source, applicant=first.name_norm, applicant_name=first.name)
    return with_overrides(first, con, layer=True)


def _groups(con: ibis.BaseBackend, region: str) -> list[dict]:
    """One query for both reports: the first applicants with no province or in the region (a county), by
    applicant, address, region and layer, with their applications (an application has one first applicant,
    so the groups' counts add up)."""
    rows = _first(con)
    rows = rows.filter(rows.province_code.isnull() | (rows.county_code == region))
    return (rows.group_by(["applicant", "applicant_name", "address", "province_code", "county_code", "town_layer"])
            .aggregate(applications=rows.app_no.nunique()).to_pyarrow().to_pylist())


def regions_report(con: ibis.BaseBackend, region: str, limit: int = 50) -> tuple[list[dict], dict]:
    """`hvp regions unresolved`: the unresolved applicants and the summary, from one query."""
    groups = _groups(con, region)
    return _unresolved(groups, limit), _summary([g for g in groups if g["county_code"] == region])


def unresolved_parties(con: ibis.BaseBackend, region: str, limit: int = 50) -> list[dict]:
    """First applicants with no province at all, or in the region (a county) without a town, after the
    directory and assignments; ranked by applications, with the address and what was resolved."""
    return _unresolved(_groups(con, region), limit)


def resolution_summary(con: ibis.BaseBackend, region: str) -> dict:
    """Shares of the region's first applicants (distinct names) and of its applications that reach a town,
    and by which layer: assigned | directory (query time); town_name | gazetteer | name (stored at import in
    parties.town_source; ``unrecorded`` for rows imported before it was); none."""
    return _summary([g for g in _groups(con, region) if g["county_code"] == region])


def _unresolved(groups: list[dict], limit: int) -> list[dict]:
    found: dict[tuple, dict] = {}
    for g in groups:
        if g["town_layer"] is not None:  # a town was found (a layer is set exactly when there is a town)
            continue
        row = found.setdefault((g["applicant_name"], g["address"]), {
            "name": g["applicant_name"], "address": g["address"], "applications": 0, "resolved_to": None})
        row["applications"] += g["applications"]
        row["resolved_to"] = max(filter(None, (row["resolved_to"], g["county_code"] or g["province_code"])),
                                 default=None)
    ranked = sorted(found.values(), key=lambda r: (-r["applications"], r["name"]))[:limit]
    for row in ranked:
        row["resolved_to"] = region_name(row["resolved_to"])
    return ranked


def _summary(groups: list[dict]) -> dict:
    by_layer: dict[str, dict[str, set | int]] = {}
    for g in groups:
        slot = by_layer.setdefault(g["town_layer"] or "none", {"applicants": set(), "applications": 0})
        slot["applicants"].add(g["applicant"])
        slot["applications"] += g["applications"]
    total_apps = sum(s["applications"] for s in by_layer.values())
    total_names = len({n for s in by_layer.values() for n in s["applicants"]})
    layers = {k: {"applicants": len(v["applicants"]), "applications": v["applications"]} for k, v in by_layer.items()}
    resolved_apps = sum(v["applications"] for k, v in layers.items() if k != "none")
    resolved_names = len({n for k, s in by_layer.items() if k != "none" for n in s["applicants"]})
    return {
        "applicants": total_names, "applications": total_apps, "layers": layers,
        "applicant_share": resolved_names / total_names if total_names else None,
        "application_share": resolved_apps / total_apps if total_apps else None,
    }
