"""Indicator settings and the plan's industry rules, from package YAML or the user's copies.

A file of the same name in the user config folder (`hvp config path`) replaces the built-in one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import yaml

from hvpatent.reference.classification import Rule, make_rule
from hvpatent.reference.userconfig import config_file


def _load(name: str) -> dict:
    return yaml.safe_load(config_file(__package__, name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class HighValueSettings:
    maintained_years: int
    pledge_threshold_yuan: float
    pledge_basis: str
    awards: tuple[str, ...]
    domestic_offices: tuple[str, ...]


@dataclass(frozen=True)
class Industry:
    code: str
    name: str
    group: str  # pillar | emerging
    rules: tuple[Rule, ...]


@cache
def high_value_settings() -> HighValueSettings:
    hv = _load("config.yaml")["high_value"]
    if hv["pledge_basis"] not in ("per_patent_share", "contract"):
        raise ValueError("config.yaml: pledge_basis must be per_patent_share or contract")
    return HighValueSettings(int(hv["maintained_years"]), float(hv["pledge_threshold_yuan"]), hv["pledge_basis"],
                             tuple(hv["awards"]), tuple(hv["domestic_offices"]))


# The bases of the trademark density (trademarks_per_10k): CNIPA's indicator is per 10,000 market entities
# (每万户市场主体平均有效商标拥有量, 14th five-year plan for IP protection and use); residents is the alternative.
DENSITY_BASES = ("market_entities", "residents")


@cache
def trademark_density_base() -> str:
    """market_entities | residents: what ``trademarks_per_10k`` divides by (config.yaml trademark_density_base)."""
    base = _load("config.yaml").get("trademark_density_base", "market_entities")
    if base not in DENSITY_BASES:
        raise ValueError(f"config.yaml: trademark_density_base must be {' or '.join(DENSITY_BASES)}, not {base!r}")
    return base


@cache
def industries() -> tuple[Industry, ...]:
    result = []
    for item in _load("industries.yaml")["industries"]:
        rules = tuple(make_rule(item["code"], item["name"], ipc, None, rule.get("keywords"))
                      for rule in item["rules"] for ipc in rule["ipc"])
        result.append(Industry(item["code"], item["name"], item["group"], rules))
    return tuple(result)


def industry_name(code: str) -> str:
    return next((i.name for i in industries() if i.code == code), code)
