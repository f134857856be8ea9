"""Codes of earlier editions of the division tables, mapped to the current edition.

Town codes are renumbered between NBS editions (Yongchuan's 临江镇 was 500118103, 朱沱镇 500118116; the 2023
edition has 500118104 and 500118118). A code that means another town today (500118116 is 三教镇 now) is
mapped only when the file's name agrees with the old edition, so that current files are never rewritten.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from hvpatent.reference.regions import normalize_code, region_by_code


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
