"""Towns of applicants known by name: manual assignments (`hvp regions assign`) and the enterprise directory.

Both apply when figures are computed (indicators/base.py first_applicants), not at import, so a correction
moves every patent of the applicant, past figures included, without re-importing anything.  Order: an
assignment beats the directory; the directory beats the address only where the address does not place the
applicant in another county (a firm that moved into the district keeps its old filings where they were made).
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime

import ibis
import ibis.expr.types as ir

from hvpatent.ingest.fields import normalize_name
from hvpatent.reference.regions import Region, all_regions, region_by_code


@dataclass(frozen=True)
class Assignment:
    name: str
    name_norm: str
    town: Region
    applications: int
    previous: str | None


def resolve_town(value: str, county: str | None = None) -> Region:
    """A town from its code (9 or 12 digits) or its name; a name shared by several towns needs the county."""
    text = value.strip()
    if text.isdigit():
        region = region_by_code().get(text)
        if region is None or region.level != "town":
            raise ValueError(f"「{text}」不是现行镇街代码 / not a town code of the current edition")
        return region
    found = [r for r in all_regions() if r.level == "town" and text in (r.name, r.short_name)]
    if county and len(found) > 1:
        found = [r for r in found if r.parent_code == county]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ValueError(f"未知的镇街「{text}」 / unknown town")
    places = "、".join(f"{r.code}（{region_by_code()[r.parent_code].name}）" for r in found[:8])
    raise ValueError(f"镇街名称「{text}」不唯一，请写代码：{places} / ambiguous town name, give its code")


def assign(con, name: str, town: Region, by: str | None = None) -> Assignment:
    """Record (or replace) the town of the applicant with this name; counts its applications as first applicant."""
    norm = normalize_name(name)
    if not norm:
        raise ValueError("申请人名称为空 / empty applicant name")
    applications = con.execute("SELECT count(DISTINCT app_no) FROM parties WHERE name_norm = ?", [norm]).fetchone()[0]
    if applications == 0:
        raise ValueError(f"仓库中没有申请人「{name}」 / no applicant of that name in the warehouse")
    previous = con.execute("SELECT town_code FROM applicant_towns WHERE name_norm = ?", [norm]).fetchone()
    con.execute("INSERT OR REPLACE INTO applicant_towns VALUES (?, ?, ?, 'assigned', ?, ?)",
                [norm, name, town.code, by or getpass.getuser(), datetime.now()])
    return Assignment(name, norm, town, applications, previous[0] if previous else None)


def unassign(con, name: str) -> bool:
    norm = normalize_name(name)
    found = con.execute("SELECT count(*) FROM applicant_towns WHERE name_norm = ?", [norm]).fetchone()[0]
    con.execute("DELETE FROM applicant_towns WHERE name_norm = ?", [norm])
    return found > 0


def town_overrides(con: ibis.BaseBackend) -> ir.Table:
    """(o_name, o_town, o_forced, o_layer): assignments (forced) and the enterprise directory's towns."""
    assigned = con.table("applicant_towns")
    # Casts: the key columns are NOT NULL in one table and nullable in the other; a union needs equal types.
    assigned = assigned.select(o_name=assigned.name_norm.cast("string"), o_town=assigned.town_code.cast("string"),
                               o_forced=ibis.literal(True),
                               o_layer=ibis.literal("assigned"))
    directory = con.table("enterprises")
    directory = directory.filter(directory.town_code.notnull())
    directory = directory.select(o_name=directory.name_norm.cast("string"), o_town=directory.town_code.cast("string"),
                                 o_forced=ibis.literal(False), o_layer=ibis.literal("directory"))
    directory = directory.anti_join(assigned, directory.o_name == assigned.o_name)
    return assigned.union(directory)


def with_overrides(first: ir.Table, con: ibis.BaseBackend, layer: bool = False) -> ir.Table:
    """First-applicant rows (with an ``applicant`` column of normalised names) whose region columns move to
    the assigned or directory town where one applies; with ``layer``, a ``town_layer`` column says which
    layer gave the town (assigned | directory | address | None)."""
    over = town_overrides(con)
    joined = first.left_join(over, first.applicant == over.o_name)
    applies = joined.o_town.notnull() & (
        joined.o_forced | joined.county_code.isnull() | (joined.county_code == joined.o_town.substr(0, 6)))

    def pick(override: ir.StringValue, column: str) -> ir.StringValue:
        return ibis.ifelse(applies, override, joined[column])

    town = joined.o_town
    layers = {"town_layer": ibis.ifelse(applies, joined.o_layer, ibis.ifelse(
        joined.town_code.notnull(), ibis.literal("address"), ibis.null("string")))} if layer else {}
    return joined.mutate(
        province_code=pick(town.substr(0, 2).concat("0000"), "province_code"),
        city_code=pick(town.substr(0, 4).concat("00"), "city_code"),
        county_code=pick(town.substr(0, 6), "county_code"),
        town_code=pick(town, "town_code"),
        **layers,
    ).drop("o_name", "o_town", "o_forced", "o_layer")
