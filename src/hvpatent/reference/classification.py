"""IPC classification rules (strategic emerging industries, the plan's industries).

A rule says: an application belongs to category CODE when one of its IPC codes starts with the
rule's prefix (or, for a prefix ending in '$', is that code), does not start with one of its exclusions, and
(when the rule has keywords) its
title or abstract contains one of them.  This is the structure of the official
《战略性新兴产业分类与国际专利分类参照关系表（2021）（试行）》: IPC rows, some with exclusions, some
valid only together with keywords.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CLASS = re.compile(r"^[A-H]\d{2}$")
_SUBCLASS = re.compile(r"^[A-H]\d{2}[A-Z]$")
_GROUP = re.compile(r"^([A-H]\d{2}[A-Z])(\d{1,4})(?:/(\d{1,6}))?$")


def ipc_prefix(pattern: str) -> str:
    """A rule's IPC pattern as the prefix of stored codes (stored: 'H01M10/052').

    'H01M' and 'B61' match whole subclasses/classes; 'H01M10' and 'H01M 10/00' match the main
    group (prefix 'H01M10/'); 'H01M10/05' matches that subgroup and, as an approximation of the
    IPC hierarchy, every subgroup whose number starts with it.
    """
    text = re.sub(r"\s+", "", pattern.upper()).rstrip("*%")
    if _CLASS.match(text) or _SUBCLASS.match(text):
        return text
    m = _GROUP.match(text)
    if not m:
        raise ValueError(f"不是有效的IPC分类规则: {pattern}")
    subclass, group, subgroup = m.groups()
    if subgroup is None or int(subgroup) == 0:
        return f"{subclass}{int(group)}/"
    return f"{subclass}{int(group)}/{subgroup}"


# Marks the end of a code: a rule prefix ending in it matches that exact code only (stored codes carry no '$').
EXACT = "$"


def pattern_prefix(code: str, subtree: bool) -> str:
    """A normalised code (as parse_ipc writes it) as a rule prefix: its subtree, or the code alone.

    Matching compares ``ipc + '$'`` with the prefix, so 'G06F9/44$' matches G06F9/44 but not G06F9/445,
    and 'G06F11/' (subtree of G06F11/00) matches every subgroup of main group 11. Plain string prefixes keep
    the rule portable to Spark (no regular expressions).
    """
    if not subtree:
        return code + EXACT
    return code[:-2] if code.endswith("/00") else code


def official_prefix(pattern: str) -> str:
    """A pattern as written in CNIPA's SEI–IPC table: 'G06F11*' is the entry and everything below it; a group
    symbol without '*' ('G06F9/44', 'H04W4/00') is that entry alone (the table lists G06F9/44 and its subgroup
    G06F9/445 side by side); class, subclass and bare main group ('C08', 'G16H', 'H03M13') cover their subtree,
    since no patent is classified at those levels (docs/indicators.md)."""
    text = re.sub(r"\s+", "", pattern.upper())
    star = text.endswith("*")
    m = _GROUP.match(text.rstrip("*"))
    if m and m.group(3) is not None and not star:
        subclass, group, subgroup = m.groups()
        return pattern_prefix(f"{subclass}{int(group)}/{subgroup.rjust(2, '0')}", False)
    return ipc_prefix(text)


def _split(text: str | None) -> list[str]:
    if not text:
        return []
    return [p.strip() for p in re.split(r"[;；,，、|\s]+", str(text)) if p.strip()]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    prefix: str
    excludes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    def as_row(self) -> dict:
        # Lists are stored ';'-joined so that the rules are one flat table on DuckDB and Spark alike.
        return {"code": self.code, "name": self.name, "ipc_prefix": self.prefix, "ipc_class": self.prefix[:3],
                "exclude_prefixes": ";".join(self.excludes) or None, "keywords": ";".join(self.keywords) or None}


def make_rule(code: str, name: str, ipc: str, exclude: str | None = None,
              keywords: str | list[str] | None = None, *, official: bool = False) -> Rule:
    """A rule from written patterns; ``official``: the SEI table's convention (official_prefix)."""
    words = keywords if isinstance(keywords, list) else _split(keywords)
    to_prefix = official_prefix if official else ipc_prefix
    return Rule(str(code).strip(), str(name).strip(), to_prefix(ipc),
                tuple(to_prefix(p) for p in _split(exclude)), tuple(w.strip() for w in words if w.strip()))


def expand_ipc_cell(cell: str) -> list[str]:
    """An official table's IPC cell may list several codes."""
    return _split(cell)
