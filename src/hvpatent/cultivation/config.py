"""Cultivation settings from cultivation.yaml (the package's, or the user's copy: `hvp config path`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

import yaml

from hvpatent.reference.userconfig import config_file

CONFIG_NAME = "cultivation.yaml"


@dataclass(frozen=True)
class AwardCycle:
    award: str
    rules: str
    call_opens: tuple[int, int]          # (month, day) of the call year
    submission_closes: tuple[int, int]   # (month, day) of the call year
    announced: tuple[int, int]           # (month, day) of the year after the call
    grant_cutoff_years_before_call: int
    patent_types: tuple[str, ...]
    recognition_kinds: tuple[str, ...]
    sources: tuple[str, ...]

    def closes(self, year: int) -> date:
        return date(year, *self.submission_closes)

    def opens(self, year: int) -> date:
        return date(year, *self.call_opens)

    def announcement(self, year: int) -> date:
        """The day the winners of the call of ``year`` are taken as announced (the next year)."""
        return date(year + 1, *self.announced)

    def grant_cutoff(self, year: int) -> date:
        """The last grant day eligible for the call of ``year``: 31 December of the year(s) before."""
        return date(year - self.grant_cutoff_years_before_call, 12, 31)


@dataclass(frozen=True)
class CultivationSettings:
    pledge_near_share: float
    history_years: int
    minimum_cases: int
    defaults: dict[str, float]
    award_cycle: AwardCycle


class ConfigError(ValueError):
    pass


def _month_day(raw: object, where: str) -> tuple[int, int]:
    try:
        month, day = (int(x) for x in str(raw).split("-"))
        date(2001, month, day)  # a valid day of a common year (no 29 February)
    except ValueError as err:
        raise ConfigError(f"{CONFIG_NAME}: {where} should be MM-DD, not {raw!r}") from err
    return month, day


def parse_settings(data: dict) -> CultivationSettings:
    try:
        cycle = data["award_cycle"]
        settings = CultivationSettings(
            pledge_near_share=float(data["pledge_near_share"]),
            history_years=int(data["history_years"]),
            minimum_cases=int(data["minimum_cases"]),
            defaults={str(k): float(v) for k, v in (data.get("defaults") or {}).items()},
            award_cycle=AwardCycle(
                award=str(cycle["award"]), rules=str(cycle["rules"]),
                call_opens=_month_day(cycle["call_opens"], "award_cycle.call_opens"),
                submission_closes=_month_day(cycle["submission_closes"], "award_cycle.submission_closes"),
                announced=_month_day(cycle["announced"], "award_cycle.announced"),
                grant_cutoff_years_before_call=int(cycle["grant_cutoff_years_before_call"]),
                patent_types=tuple(cycle.get("patent_types") or ("invention",)),
                recognition_kinds=tuple(cycle.get("recognition_kinds") or ()),
                sources=tuple(cycle.get("sources") or ()),
            ),
        )
    except KeyError as err:
        raise ConfigError(f"{CONFIG_NAME}: missing field {err.args[0]}") from err
    if not 0 < settings.pledge_near_share < 1:
        raise ConfigError(f"{CONFIG_NAME}: pledge_near_share should be between 0 and 1")
    return settings


@cache
def cultivation_settings() -> CultivationSettings:
    return parse_settings(yaml.safe_load(config_file(__package__, CONFIG_NAME).read_text(encoding="utf-8")))
