"""Settings of the schedule room (schedule.yaml; a user's copy in the config folder may hold only what it changes):
which bulletins are issued, in which formats, for which plans, and how many missed periods a run catches up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from hvpatent.reference.settings import SettingsError, fail, overlay, read_settings, settings_paths

CONFIG_NAME = USER_NAME = "schedule.yaml"
SCHEDULE_CADENCES = ("month", "quarter")  # of reference/periods.CADENCES, those a bulletin is issued for
FORMATS = ("docx", "xlsx", "html", "pdf")
MAX_CATCH_UP = 36  # three years of monthly issues: more would be a mistake, not a catch-up


class ConfigError(SettingsError):
    """A schedule settings file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class ScheduleConfig:
    cadences: tuple[str, ...]
    formats: tuple[str, ...]
    plans: tuple[str, ...]
    catch_up_periods: int
    start: date | None
    source: str


def config_path() -> Path:
    """The user's schedule.yaml in the config folder, else the package's."""
    return settings_paths(__package__, CONFIG_NAME, USER_NAME)[1]


def _choices(values: list, allowed: tuple[str, ...], source: str, where: str) -> tuple[str, ...]:
    if not values:
        raise fail(source, where, "不能为空", "must not be empty", values, ConfigError)
    for i, v in enumerate(values):
        if v not in allowed:
            raise fail(source, f"{where}[{i}]", f"应为 {', '.join(allowed)} 之一", f"expected one of "
                       f"{', '.join(allowed)}", v, ConfigError)
    return tuple(dict.fromkeys(values))


def config_from(data: dict, source: str) -> ScheduleConfig:
    """Settings from a parsed file, checked against the package's."""
    data = dict(data)
    if isinstance(data.get("start"), date):  # YAML reads an unquoted day as a date
        data["start"] = data["start"].isoformat()
    if data.get("start") == "":  # the shipped value: no earliest period (the shared overlay wants non-empty text)
        del data["start"]
    shipped = read_settings(settings_paths(__package__, CONFIG_NAME, USER_NAME)[0], ConfigError)
    merged = overlay(shipped, data, source, "", ConfigError)
    plans = merged["plans"]
    for i, key in enumerate(plans):
        if not isinstance(key, str) or not key.strip():
            raise fail(source, f"plans[{i}]", "应为方案代码", "expected a plan key", key, ConfigError)
    catch_up = merged["catch_up_periods"]
    if not 1 <= catch_up <= MAX_CATCH_UP:
        raise fail(source, "catch_up_periods", f"应在 1 至 {MAX_CATCH_UP} 之间", f"must lie between 1 and "
                   f"{MAX_CATCH_UP}", catch_up, ConfigError)
    start = None
    if merged["start"]:
        try:
            start = date.fromisoformat(merged["start"])
        except ValueError:
            raise fail(source, "start", "应为日期 YYYY-MM-DD", "expected a day YYYY-MM-DD", merged["start"],
                       ConfigError) from None
    return ScheduleConfig(_choices(merged["cadences"], SCHEDULE_CADENCES, source, "cadences"),
                          _choices(merged["formats"], FORMATS, source, "formats"), tuple(plans), int(catch_up),
                          start, source)


def load_config(path: Path | str | None = None) -> ScheduleConfig:
    """The settings in ``path``, else the user's schedule.yaml, else the package's."""
    file = Path(path) if path is not None else config_path()
    # read_settings names the file for a value YAML cannot read (an unquoted impossible day, 2024-13-01)
    return config_from(read_settings(file, ConfigError), str(file))
