"""The value room's configuration (config.yaml): dimensions, indicators, scenario weights, grades, cohorts.

A file named value.yaml in the user config folder (`hvp config path`) replaces the built-in config.yaml; a bad
file is refused with a message naming the file and the item (weights that do not sum to 1, an unknown scenario,
dimension or indicator).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from hvpatent.reference.userconfig import user_config_dir

SCENARIOS = ("pledge", "transfer", "management")
DIMENSIONS = ("legal", "technical", "economic")
# The indicators value_features computes; a configuration may use any of them, and only them.
KNOWN_INDICATORS = (
    "in_force", "remaining_years", "years_maintained", "invalidation_partial", "restorations", "family_countries",
    "forward_citations", "claims_count", "ipc_subclasses", "tech_cycle_growth", "sei",
    "transfers", "licences", "pledges", "pledged_yuan", "awards", "family_size", "applicant_type", "applicant_size",
)
USER_FILE = "value.yaml"
TOLERANCE = 1e-6


class ValueConfigError(ValueError):
    """A value configuration that cannot be used; the message names the file and the item."""


@dataclass(frozen=True)
class Indicator:
    key: str
    dimension: str
    label_zh: str
    label_en: str
    direction: int
    weight: float  # default share within its dimension


@dataclass(frozen=True)
class Scenario:
    key: str
    label_zh: str
    label_en: str
    dimensions: dict[str, float]                     # dimension -> weight (sum 1)
    indicators: dict[str, dict[str, float]]          # dimension -> indicator -> share (each sums to 1)

    def weight(self, dimension: str, indicator: str) -> float:
        """The overall weight of an indicator: its dimension's weight × its share in the dimension."""
        return self.dimensions[dimension] * self.indicators[dimension][indicator]


@dataclass(frozen=True)
class ValueSettings:
    source: str
    standard: str
    min_cohort: int
    grades: tuple[tuple[str, float], ...]           # (grade, share of the day's scored patents), best first
    dimension_labels: dict[str, tuple[str, str]]
    indicators: tuple[Indicator, ...]
    scenarios: dict[str, Scenario]
    applicant_types: dict[str, float]
    tech_cycle_years: int
    raw: dict = field(repr=False, default_factory=dict)

    def grade(self, top_share: float) -> str:
        """The grade of a patent whose score ranks in the top ``top_share`` (0-1] of the day's scored patents."""
        reached = 0.0
        for g, share in self.grades:
            reached += share
            if top_share <= reached + 1e-9:
                return g
        return self.grades[-1][0]

    def of_dimension(self, dimension: str) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.dimension == dimension)

    def indicator(self, key: str) -> Indicator:
        return next(i for i in self.indicators if i.key == key)


def config_path() -> Path:
    user = user_config_dir() / USER_FILE
    return user if user.is_file() else Path(str(resources.files(__package__).joinpath("config.yaml")))


def value_settings(path: Path | str | None = None) -> ValueSettings:
    """The settings from ``path``, else the user's value.yaml, else the built-in config.yaml."""
    return _load(str(path) if path is not None else str(config_path()))


@cache
def _load(path: str) -> ValueSettings:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise ValueConfigError(f"{path}: cannot read the value configuration: {err}") from err
    return parse(data, path)


def _number(where: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueConfigError(f"{where}: a number is needed, not {value!r}")
    if value < 0:
        raise ValueConfigError(f"{where}: a weight cannot be negative ({value})")
    return float(value)


def _sums_to_one(where: str, weights: dict[str, float]) -> None:
    total = sum(weights.values())
    if abs(total - 1.0) > TOLERANCE:
        raise ValueConfigError(f"{where}: the weights sum to {total:g}, not 1 ({weights})")


def parse(data: object, source: str = "config.yaml") -> ValueSettings:
    """Check and read a configuration; every problem names the file and the item."""
    if not isinstance(data, dict):
        raise ValueConfigError(f"{source}: not a YAML mapping")
    try:
        dims = data["dimensions"]
        scen = data["scenarios"]
    except KeyError as err:
        raise ValueConfigError(f"{source}: missing section {err.args[0]!r}") from err
    if not isinstance(dims, dict) or set(dims) != set(DIMENSIONS):
        raise ValueConfigError(f"{source}: dimensions must be exactly {', '.join(DIMENSIONS)}")
    indicators: list[Indicator] = []
    labels: dict[str, tuple[str, str]] = {}
    for dim in DIMENSIONS:
        item = dims[dim] or {}
        labels[dim] = tuple(item.get("label", [dim, dim]))  # type: ignore[assignment]
        for key, spec in (item.get("indicators") or {}).items():
            where = f"{source}: dimensions.{dim}.indicators.{key}"
            if key not in KNOWN_INDICATORS:
                raise ValueConfigError(f"{where}: unknown indicator (known: {', '.join(KNOWN_INDICATORS)})")
            if spec.get("direction") not in (1, -1):
                raise ValueConfigError(f"{where}.direction: 1 or -1")
            zh, en = spec.get("label", [key, key])
            indicators.append(Indicator(key, dim, zh, en, int(spec["direction"]),
                                        _number(f"{where}.weight", spec.get("weight"))))
        if not any(i.dimension == dim for i in indicators):
            raise ValueConfigError(f"{source}: dimensions.{dim} has no indicators")
    keys = [i.key for i in indicators]
    if len(set(keys)) != len(keys):
        raise ValueConfigError(f"{source}: an indicator is listed under two dimensions")
    for dim in DIMENSIONS:
        _sums_to_one(f"{source}: dimensions.{dim}.indicators (weight)",
                     {i.key: i.weight for i in indicators if i.dimension == dim})
    if not isinstance(scen, dict) or set(scen) != set(SCENARIOS):
        raise ValueConfigError(f"{source}: scenarios must be exactly {', '.join(SCENARIOS)}")
    scenarios: dict[str, Scenario] = {}
    for key in SCENARIOS:
        item = scen[key] or {}
        where = f"{source}: scenarios.{key}"
        dim_w = {d: _number(f"{where}.dimensions.{d}", w) for d, w in (item.get("dimensions") or {}).items()}
        if set(dim_w) != set(DIMENSIONS):
            raise ValueConfigError(f"{where}.dimensions: give a weight for each of {', '.join(DIMENSIONS)}")
        _sums_to_one(f"{where}.dimensions", dim_w)
        shares: dict[str, dict[str, float]] = {}
        overrides = item.get("indicators") or {}
        for dim in overrides:
            if dim not in DIMENSIONS:
                raise ValueConfigError(f"{where}.indicators.{dim}: unknown dimension")
        for dim in DIMENSIONS:
            default = {i.key: i.weight for i in indicators if i.dimension == dim}
            given = overrides.get(dim)
            if given:
                unknown = set(given) - set(default)
                if unknown:
                    raise ValueConfigError(f"{where}.indicators.{dim}: not indicators of {dim}: "
                                           f"{', '.join(sorted(unknown))}")
                default = {k: _number(f"{where}.indicators.{dim}.{k}", given.get(k, 0.0)) for k in default}
                _sums_to_one(f"{where}.indicators.{dim}", default)
            shares[dim] = default
        zh, en = item.get("label", [key, key])
        scenarios[key] = Scenario(key, zh, en, dim_w, shares)
    grades = data.get("grades") or {"A": 0.10, "B": 0.20, "C": 0.40, "D": 0.30}
    if not isinstance(grades, dict) or not grades:
        raise ValueConfigError(f"{source}: grades must map each grade to its share of the scored patents")
    # Best first, in the file's order (YAML keeps it): A's share is the top of the ranking.
    ordered = tuple((str(g), _number(f"{source}: grades.{g}", v)) for g, v in grades.items())
    if any(share < 0 for _, share in ordered):
        raise ValueConfigError(f"{source}: grades: a share cannot be negative")
    _sums_to_one(f"{source}: grades", dict(ordered))
    min_cohort = data.get("min_cohort", 30)
    if not isinstance(min_cohort, int) or isinstance(min_cohort, bool) or min_cohort < 1:
        raise ValueConfigError(f"{source}: min_cohort must be a whole number ≥ 1, not {min_cohort!r}")
    types = {str(k): _number(f"{source}: applicant_types.{k}", v)
             for k, v in (data.get("applicant_types") or {}).items()}
    years = data.get("tech_cycle_years", 3)
    if not isinstance(years, int) or isinstance(years, bool) or years < 1:
        raise ValueConfigError(f"{source}: tech_cycle_years must be a whole number ≥ 1, not {years!r}")
    return ValueSettings(source, str(data.get("standard", "GB/T 42748-2023")), min_cohort, ordered, labels,
                         tuple(indicators), scenarios, types, years, data)
