"""What region attribution resolved, and what it left for the user to fix (`hvp regions …`)."""

from __future__ import annotations

import ibis

from hvpatent.reference.applicant_towns import with_overrides
from hvpatent.reference.regions import attribute_with_layer, region_name


def _first(con: ibis.BaseBackend):
    """First applicants with their address, region after the directory and assignments, and town layer."""
    parties = con.table("parties")
    first = parties.filter(parties.seq == 1)
    first = first.select("app_no", "province_code", "city_code", "county_code", "town_code", "address",
                         applicant=first.name_norm, applicant_name=first.name)
    return with_overrides(first, con, layer=True)


def unresolved_parties(con: ibis.BaseBackend, region: str, limit: int = 50) -> list[dict]:
    """First applicants with no province at all, or in the region (a county) without a town, after the
    directory and assignments; ranked by applications, with the address and what was resolved."""
    rows = _first(con)
    missing = rows.province_code.isnull() | ((rows.county_code == region) & rows.town_code.isnull())
    grouped = (
        rows.filter(missing)
        .group_by(["applicant_name", "address"])
        .aggregate(applications=rows.app_no.nunique(), resolved_to=rows.county_code.max(),
                   province=rows.province_code.max())
        .order_by([ibis.desc("applications"), "applicant_name"])
        .limit(limit)
    )
    out = grouped.to_pyarrow().to_pylist()
    for row in out:
        row["name"] = row.pop("applicant_name")
        row["resolved_to"] = region_name(row["resolved_to"] or row.pop("province"))
    return out


def resolution_summary(con: ibis.BaseBackend, region: str) -> dict:
    """Shares of the region's first applicants (distinct names) and of its applications that reach a town,
    and by which layer: assigned | directory | gazetteer | town_name (from the address) | none."""
    rows = _first(con)
    rows = rows.filter(rows.county_code == region)
    frame = (rows.group_by(["applicant", "address", "town_layer"]).aggregate(applications=rows.app_no.nunique())
             .to_pyarrow().to_pylist())
    by_layer: dict[str, dict[str, set | int]] = {}
    for row in frame:
        layer = row["town_layer"]
        if layer == "address":  # which address layer: worked out again from the text, as at import
            layer = attribute_with_layer(row["address"], None)[1] or "town_name"
        slot = by_layer.setdefault(layer or "none", {"applicants": set(), "applications": 0})
        slot["applicants"].add(row["applicant"])
        slot["applications"] += row["applications"]
    total_apps = sum(s["applications"] for s in by_layer.values())
    total_names = len({n for s in by_layer.values() for n in s["applicants"]})
    layers = {k: {"applicants": len(v["applicants"]), "applications": v["applications"]} for k, v in by_layer.items()}
    resolved = {k: v for k, v in layers.items() if k != "none"}
    resolved_names = len({n for k, s in by_layer.items() if k != "none" for n in s["applicants"]})
    return {
        "applicants": total_names, "applications": total_apps, "layers": layers,
        "applicant_share": resolved_names / total_names if total_names else None,
        "application_share": sum(v["applications"] for v in resolved.values()) / total_apps if total_apps else None,
    }
