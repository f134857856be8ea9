"""Supervision settings from config.yaml (the package's, or the user's supervision.yaml: `hvp config path`).

The user's file is checked against the package's: the same sections and keys, each value of the shipped value's
kind (a number for a number, true/false for a flag, text for a source).  Keys left out keep the shipped value, so a
user file may hold only what it changes.  Every wrong value names the file and the key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from hvpatent.reference.settings import SettingsError, fail, overlay, read_settings, settings_paths

CONFIG_NAME = "config.yaml"
USER_NAME = "supervision.yaml"


class ConfigError(SettingsError):
    """A supervision settings file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class RuleSettings:
    name: str
    enabled: bool
    source: str                              # the regulation's item, quoted in short
    params: dict[str, float | int] = field(default_factory=dict)

    def __getitem__(self, key: str) -> float | int:
        return self.params[key]


@dataclass(frozen=True)
class SupervisionConfig:
    text: dict[str, int]
    rules: dict[str, RuleSettings]
    agencies: dict[str, object]              # min_applications, trend_years, watch: {reason: threshold}
    exclude_confirmed: bool                  # plan figures without confirmed abnormal applications
    source: str                              # the file read

    def rule(self, name: str) -> RuleSettings:
        return self.rules[name]

    def digest(self) -> str:
        """A short digest of every threshold: flags computed under other settings are not the same answer."""
        basis = {"text": self.text, "rules": {n: [r.enabled, r.params] for n, r in self.rules.items()},
                 "agencies": self.agencies}
        return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:16]


def _shipped() -> Path:
    return settings_paths(__package__, CONFIG_NAME, USER_NAME)[0]


def config_path() -> Path:
    """The file load_config() reads: the user's supervision.yaml in the config folder, else the package's."""
    return settings_paths(__package__, CONFIG_NAME, USER_NAME)[1]


def _read(file: Path) -> dict:
    return read_settings(file, ConfigError)


def _overlay(shipped: object, given: object, source: str, where: str) -> object:
    """``given`` checked against ``shipped`` (same keys, same kinds of value), missing keys filled from it."""
    return overlay(shipped, given, source, where, ConfigError)


# Smallest values that keep a rule meaningful (and its arithmetic defined): a window of 0 days divides by zero, a
# group of 1 is no group, a count threshold of 0 flags every applicant.  Any rule's key of this name.
RULE_MINIMUMS = {"window_days": 1, "min_cluster": 2, "min_names": 2, "history_years": 1, "min_filings": 1,
                 "min_inventions": 1, "min_sections": 1, "min_transfers": 1, "min_transferees": 1}
MAX_WORKERS = 16


def _at_least(source: str, where: str, value: float, least: float) -> None:
    if value < least:
        raise fail(source, where, f"应不小于 {least}", f"must be at least {least}", value, error=ConfigError)


def _check_text(text: dict, source: str) -> None:
    if text["num_perm"] < 16 or text["num_perm"] > 1024:
        raise fail(source, "text.num_perm", "应在 16 至 1024 之间", "must lie between 16 and 1024",
                   text["num_perm"], error=ConfigError)
    if text["bands"] < 1 or text["num_perm"] % text["bands"]:
        raise fail(source, "text.bands", "须整除 num_perm", "must divide num_perm", text["bands"], error=ConfigError)
    if not 1 <= text["shingle"] <= 5:
        raise fail(source, "text.shingle", "应在 1 至 5 之间", "must lie between 1 and 5",
                   text["shingle"], error=ConfigError)
    _at_least(source, "text.max_chars", text["max_chars"], 1)
    if not 1 <= text["workers"] <= MAX_WORKERS:
        raise fail(source, "text.workers", f"应在 1 至 {MAX_WORKERS} 之间", f"must lie between 1 and {MAX_WORKERS}",
                   text["workers"], error=ConfigError)


def _check_ranges(data: dict, source: str) -> None:
    _check_text(data["text"], source)
    for name, rule in data["rules"].items():
        for key, value in rule.items():
            if (key.endswith(("_rate", "_share", "quantile")) or key == "threshold") and value > 1:
                raise fail(source, f"rules.{name}.{key}", "应为 0 至 1 之间的比例", "must be a share from 0 to 1",
                           value, error=ConfigError)
            if key in RULE_MINIMUMS:
                _at_least(source, f"rules.{name}.{key}", value, RULE_MINIMUMS[key])
    _at_least(source, "agencies.trend_years", data["agencies"]["trend_years"], 1)
    for key, value in data["agencies"]["watch"].items():
        if key.endswith(("_rate", "_share")) and value > 1:
            raise fail(source, f"agencies.watch.{key}", "应为 0 至 1 之间的比例", "must be a share from 0 to 1",
                       value, error=ConfigError)


def config_from(data: dict, source: str) -> SupervisionConfig:
    """Settings from a parsed file, checked against the package's."""
    shipped = _read(_shipped())
    merged = _overlay(shipped, data, source, "")
    _check_ranges(merged, source)
    rules = {name: RuleSettings(name, body["enabled"], body["source"],
                                {k: v for k, v in body.items() if k not in ("enabled", "source")})
             for name, body in merged["rules"].items()}
    return SupervisionConfig(merged["text"], rules, merged["agencies"], merged["plan"]["exclude_confirmed"], source)


def load_config(path: Path | str | None = None) -> SupervisionConfig:
    """The settings in ``path``, else the user's supervision.yaml, else the package's config.yaml."""
    file = Path(path) if path is not None else config_path()
    if path is None and file == _shipped():
        return default_config()
    return config_from(_read(file), str(file))


@cache
def default_config() -> SupervisionConfig:
    """The package's settings, read once."""
    return config_from(_read(_shipped()), str(_shipped()))
