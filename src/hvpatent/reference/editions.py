"""Codes of earlier editions of the division tables, mapped to the current edition.

Town codes are renumbered between NBS editions (Yongchuan's 临江镇 was 500118103, 朱沱镇 500118116; the 2023
edition has 500118104 and 500118118). A code that means another town today (500118116 is 三教镇 now) is
mapped only when the file's name agrees with the old edition, so that current files are never rewritten.
``resolve_town`` is the one way a town written by a user (code of any edition, or name) becomes a region.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from hvpatent.reference.regions import Region, normalize_code, region_by_code, towns_named


@dataclass(frozen=True)
class OldCode:
    old_code: str
    old_name: str
    edition: str
    current_code: str
    source: str


@dataclass(frozen=True)
class Mapped:
    code: str
    notice: str | None  # set when the code was changed


@cache
def old_codes() -> tuple[OldCode, ...]:
    text = resources.files(__package__).joinpath("editions.csv").read_text(encoding="utf-8")
    return tuple(OldCode(**row) for row in csv.DictReader(text.splitlines()))


def current_code(code: str, name: str | None = None) -> Mapped:
    """The current-edition code for a code (6, 9 or 12 digits) and, when given, the name written beside it.

    Raises ValueError (Chinese message) for a code no edition knows or a name that matches no edition."""
    given = code.strip()
    stored = normalize_code(given)
    # A county written in 12 digits is the same region as its 6-digit code.
    if len(stored) == 12 and stored.endswith("000000"):
        stored = stored[:6]
    current = region_by_code().get(stored)
    name = (name or "").strip() or None
    if current is not None and (name is None or name in (current.name, current.short_name)):
        return Mapped(stored, None)
    for old in old_codes():
        if old.old_code == stored and (name is None or name == old.old_name or name + "镇" == old.old_name):
            if current is not None and name is None:
                break  # still a valid code today: the file is read as current
            now = region_by_code()[old.current_code]
            return Mapped(old.current_code, f"旧版区划代码 {given}（{old.old_name}，{old.edition}）已换为现行代码 "
                                            f"{old.current_code}（{now.name}）")
    if current is not None:
        raise ValueError(f"与区划代码不符（代码对应「{current.name}」）")
    raise ValueError("未知的区划代码（现行版与旧版均无）")


def _within(code: str, region: str) -> bool:
    """Whether a code lies inside a region given by its code (province 500000, city 500100, county 500118)."""
    prefix = region.strip()
    while prefix.endswith("00") and len(prefix) > 2:
        prefix = prefix[:-2]
    return code.startswith(prefix)


def resolve_town(value: str, region: str | None = None) -> Region:
    """A town from its code (9 or 12 digits, current or earlier edition) or its name or short name.

    A name several towns share is looked for inside ``region`` (a county, city or province code, e.g. the
    plan's district); if that leaves more than one, or none is given, the code is needed.  Raises ValueError
    with a Chinese-first message."""
    text = value.strip()
    if text.isdigit():
        if len(text) not in (9, 12):
            raise ValueError(f"「{text}」不是镇街代码（应为9或12位） / a town code has 9 or 12 digits")
        try:
            code = current_code(text).code
        except ValueError as err:
            raise ValueError(f"「{text}」不是镇街代码：{err} / not a town code of any edition") from err
        town = region_by_code().get(code)
        if town is None or town.level != "town":
            raise ValueError(f"「{text}」不是镇街代码 / not a town code")
        return town
    found = towns_named().get(text, ())
    if region and len(found) > 1:
        found = tuple(r for r in found if _within(r.code, region))
    if len(found) == 1:
        return found[0]
    if not found:
        raise ValueError(f"未知的镇街「{text}」 / unknown town")
    places = "、".join(f"{r.code}（{region_by_code()[r.parent_code].name}）" for r in found[:8])
    raise ValueError(f"镇街名称「{text}」不唯一，请写代码：{places} / ambiguous town name, give its code")
