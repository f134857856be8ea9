"""Administrative divisions and attribution of an address (or a name) to region codes.

The fact table ``regions.csv`` is authored from the Ministry of Civil Affairs division codes
(provinces, Chongqing's 38 districts and counties) and the National Bureau of Statistics
statistical division codes (统计用区划代码) for Yongchuan's 7 streets and 16 towns; see
docs/data-model.md for sources and limits.  Resolution below province level covers Chongqing
only; elsewhere the province is resolved and the rest is left empty.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources


@dataclass(frozen=True)
class Region:
    code: str
    level: str  # province | county | town
    name: str
    short_name: str
    parent_code: str


@dataclass(frozen=True)
class Attribution:
    province_code: str | None = None
    city_code: str | None = None
    county_code: str | None = None
    town_code: str | None = None

    @property
    def resolved(self) -> bool:
        return self.province_code is not None

    @property
    def finest_code(self) -> str | None:
        return self.town_code or self.county_code or self.city_code or self.province_code


@cache
def all_regions() -> tuple[Region, ...]:
    text = resources.files(__package__).joinpath("regions.csv").read_text(encoding="utf-8")
    return tuple(
        Region(r["code"], r["level"], r["name"], r["short_name"], r["parent_code"])
        for r in csv.DictReader(text.splitlines())
    )


@cache
def region_by_code() -> dict[str, Region]:
    return {r.code: r for r in all_regions()}


def region_name(code: str | None) -> str | None:
    region = region_by_code().get(code or "")
    return region.name if region else None


def towns_of(county_code: str) -> list[Region]:
    return [r for r in all_regions() if r.level == "town" and r.parent_code == county_code]


def _find(text: str, regions: list[Region]) -> Region | None:
    """Earliest full-name match wins; short names count only if no full name matched."""
    for use_short in (False, True):
        hits = []
        for r in regions:
            needle = r.short_name if use_short else r.name
            pos = text.find(needle) if len(needle) >= 2 else -1
            if pos >= 0:
                hits.append((pos, -len(needle), r))
        if hits:
            return min(hits, key=lambda h: (h[0], h[1]))[2]
    return None


# Chongqing is a municipality: its districts sit directly under the province-level unit, and
# statistics use 500100 (市辖区) / 500200 (县) as the city level.
_CHONGQING = "500000"


def _city_code(county: Region) -> str:
    return "500200" if county.code.startswith("5002") else "500100"


@lru_cache(maxsize=200_000)
def attribute(address: str | None, name: str | None = None) -> Attribution:
    """Resolve province/city/county/town codes from an address, falling back to the name."""
    for text in (address, name):
        if text and text.strip():
            found = _attribute_text(text.strip())
            if found.resolved:
                return found
    return Attribution()


def _attribute_text(text: str) -> Attribution:
    regions = all_regions()
    provinces = [r for r in regions if r.level == "province"]
    counties = [r for r in regions if r.level == "county"]
    province = _find(text, provinces)
    county = None
    # A Chongqing district name is specific enough to imply the province.
    if province is None or province.code == _CHONGQING:
        county = _find(text, [c for c in counties if len(c.short_name) >= 2])
        if county is not None and province is None and county.name not in text:
            county = None  # a bare short name ("永川") without "重庆" is too ambiguous
        if county is not None:
            province = region_by_code()[_CHONGQING]
    if province is None:
        return Attribution()
    if county is None:
        return Attribution(province_code=province.code)
    town = _find(text, towns_of(county.code))
    if town is not None and town.name not in text and town.short_name + "镇" not in text:
        # short names like "大安" also occur in street addresses; require the full name
        town = None
    return Attribution(
        province_code=province.code,
        city_code=_city_code(county),
        county_code=county.code,
        town_code=town.code if town else None,
    )
