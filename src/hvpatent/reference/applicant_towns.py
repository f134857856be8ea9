"""Towns of applicants known by name: manual assignments (`hvp regions assign`) and the enterprise directory.

Both apply when figures are computed (indicators/base.py first_applicants), not at import, so a correction
moves every patent of the applicant, past figures included, without re-importing anything.  Order: an
assignment beats the directory; the directory beats the address only where the address does not place the
applicant elsewhere: another province, city or county (a firm that moved into the district keeps its old
filings where they were made).  A town written by a user becomes a region through editions.resolve_town.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime

import ibis
import ibis.expr.types as ir

from hvpatent.ingest.fields import normalize_name
from hvpatent.reference.regions import Region
from hvpatent.warehouse.derived import forget


@dataclass(frozen=True)
class Assignment:
    name: str
    name_norm: str
    town: Region
    applications: int
    previous: str | None


def applications_named(con, norm: str, name: str) -> int:
    """How many applications have the applicant of this normalised name in any position; ValueError when none
    (a town or a category is recorded only for an applicant the warehouse knows)."""
    applications = con.execute("SELECT count(DISTINCT app_no) FROM parties WHERE name_norm = ?", [norm]).fetchone()[0]
    if applications == 0:
        raise ValueError(f"仓库中没有申请人「{name}」 / no applicant of that name in the warehouse")
    return applications


def assign(con, name: str, town: Region, by: str | None = None) -> Assignment:
    """Record (or replace) the town of the applicant with this name; counts its applications as first applicant."""
    norm = normalize_name(name)
    if not norm:
        raise ValueError("申请人名称为空 / empty applicant name")
    applications = applications_named(con, norm, name)
    previous = con.execute("SELECT town_code FROM applicant_towns WHERE name_norm = ?", [norm]).fetchone()
    forget(con, "first_applicants")  # first: the stored regions must never look current with the old town
    con.execute("INSERT OR REPLACE INTO applicant_towns VALUES (?, ?, ?, 'assigned', ?, ?)",
                [norm, name, town.code, by or getpass.getuser(), datetime.now()])
    return Assignment(name, norm, town, applications, previous[0] if previous else None)


def unassign(con, name: str) -> bool:
    norm = normalize_name(name)
    found = con.execute("SELECT count(*) FROM applicant_towns WHERE name_norm = ?", [norm]).fetchone()[0]
    forget(con, "first_applicants")
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
    the assigned or directory town where one applies; with ``layer`` (the rows then need the stored
    ``town_source``), a ``town_layer`` column says which layer gave the town: assigned | directory, else the
    import-time layer (town_name | gazetteer | name; ``unrecorded`` for rows imported before it was stored)."""
    over = town_overrides(con)
    joined = first.left_join(over, first.applicant == over.o_name)
    town = joined.o_town
    chain = {"province_code": town.substr(0, 2).concat("0000"), "city_code": town.substr(0, 4).concat("00"),
             "county_code": town.substr(0, 6), "town_code": town}
    # The directory may only make the address finer: each level the address resolved must be the directory
    # town's own (四川省成都市 with no district stays in Chengdu; 重庆市 alone may become a Yongchuan street).
    fits = ibis.literal(True)
    for column in ("province_code", "city_code", "county_code"):
        fits &= joined[column].isnull() | (joined[column] == chain[column])
    applies = town.notnull() & (joined.o_forced | fits)

    layers = {}
    if layer:
        source = joined.town_source.fill_null("unrecorded")
        stored = ibis.ifelse(joined.town_code.notnull(), source, ibis.null("string"))
        layers["town_layer"] = ibis.ifelse(applies, joined.o_layer, stored)
    return joined.mutate(
        **{column: ibis.ifelse(applies, value, joined[column]) for column, value in chain.items()},
        **layers,
    ).drop("o_name", "o_town", "o_forced", "o_layer")
