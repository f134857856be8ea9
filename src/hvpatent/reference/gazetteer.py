"""The gazetteer: places an address names instead of its town (roads, parks, communities, villages) → town.

Three sources, later ones overriding earlier ones for the same (county, name):
1. the villages and communities of the NBS divisions data (观音井村 → 来苏镇), names shared by two towns of a
   county left out as ambiguous;
2. the built-in seed ``gazetteer.yaml`` (each entry cites its source);
3. the user's ``gazetteer.yaml`` in the config folder (``hvp config path``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from hvpatent.reference.editions import resolve_town
from hvpatent.reference.regions import region_by_code, villages
from hvpatent.reference.userconfig import user_config_dir

FILE = "gazetteer.yaml"


class GazetteerError(ValueError):
    """A gazetteer file that cannot be used, with the file and entry named."""


@dataclass(frozen=True)
class Place:
    name: str
    county: str
    town: str | None  # 12-digit town code; None for a place known to span several towns
    kind: str
    source: str


def _town_code(value: object, county: str, where: str) -> str | None:
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    try:
        town = resolve_town(text, county)
    except ValueError:
        town = None
    if town is None or town.parent_code != county:
        raise GazetteerError(f"{where}: 「{text}」不是 {county} 的镇街（名称或代码） / not a town of {county}")
    return town.code


def parse_places(text: str, origin: str) -> list[Place]:
    """Entries of a gazetteer YAML text; every problem names the file and entry."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        raise GazetteerError(f"{origin}: YAML 格式错误 / invalid YAML: {err}") from err
    entries = data.get("places") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise GazetteerError(f"{origin}: 缺少 places 列表 / a 'places' list is required")
    places = []
    for i, entry in enumerate(entries, 1):
        where = f"{origin} 第{i}条 / entry {i}"
        if not isinstance(entry, dict) or not str(entry.get("name") or "").strip():
            raise GazetteerError(f"{where}: 缺少 name / 'name' is required")
        county = str(entry.get("county") or "").strip()
        known = region_by_code().get(county)
        if known is None or known.level != "county":
            raise GazetteerError(f"{where}: county「{county}」不是区县代码 / not a county code")
        if "town" not in entry:
            raise GazetteerError(f"{where}: 缺少 town（跨镇街的地点写 null） / 'town' is required")
        places.append(Place(str(entry["name"]).strip(), county, _town_code(entry["town"], county, where),
                            str(entry.get("kind") or "place"), str(entry.get("source") or "")))
    return places


def user_file() -> Path:
    return user_config_dir() / FILE


@cache
def _index() -> dict[str, dict[str, Place]]:
    """County → name → place, the three sources merged."""
    index: dict[str, dict[str, Place]] = {}
    for county, rows in villages().items():
        towns_by_name: dict[str, set[str]] = {}
        for name, town in rows:
            towns_by_name.setdefault(name, set()).add(town)
        index[county] = {name: Place(name, county, next(iter(towns)), "village", "NBS 统计用区划代码")
                         for name, towns in towns_by_name.items() if len(towns) == 1 and len(name) >= 3}
    built_in = resources.files(__package__).joinpath(FILE).read_text(encoding="utf-8")
    layers = [parse_places(built_in, f"hvpatent/reference/{FILE}")]
    if user_file().is_file():
        layers.append(parse_places(user_file().read_text(encoding="utf-8"), str(user_file())))
    for places in layers:
        for place in places:
            index.setdefault(place.county, {})[place.name] = place
    return index


def places_of(county: str) -> list[Place]:
    return list(_index().get(county, {}).values())


def gazetteer_match(text: str, county: str, with_town: bool = False) -> Place | None:
    """The place the text names: earliest in the text, the longest name at the same position."""
    hits = [(text.find(p.name), -len(p.name), p) for p in _index().get(county, {}).values()
            if p.name in text and (p.town or not with_town)]
    return min(hits, key=lambda h: (h[0], h[1]))[2] if hits else None


def gazetteer_town(text: str, county: str) -> str | None:
    """The town of the first place in the text that has one (a park spanning towns decides nothing)."""
    place = gazetteer_match(text, county, with_town=True)
    return place.town if place else None


def reload() -> None:
    """Forget the merged gazetteer (after the user file changed) and the attributions made with it."""
    from hvpatent.reference import regions

    _index.cache_clear()
    regions.attribute.cache_clear()
