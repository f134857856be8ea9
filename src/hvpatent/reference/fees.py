"""The CN fee schedule and payment rules, loaded from fees.yaml (sources cited there).

A fees.yaml in the user config folder (`hvp config path`) replaces the built-in one, e.g. to set the fee
reduction rate or a new schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import yaml

from hvpatent.reference.userconfig import config_file

DESIGN_15_YEAR_FROM = date(2021, 6, 1)  # 专利法第四次修改施行日


@dataclass(frozen=True)
class FeeRules:
    annuity: dict[str, list[tuple[int, int, float]]]  # type -> (from year, to year, yuan)
    grace_period_months: int
    late_fee_rates: tuple[float, ...]
    restoration_fee: float
    restoration_months_after_notice: int
    presumed_receipt_days: int
    notice_service: str  # electronic | mail: how termination notices reach the patentee
    reduction_rate: float
    reduction_years: int
    term_years: dict[str, int]

    @property
    def notice_receipt_days(self) -> int:
        """Days from a notice's dispatch to its receipt: 15 presumed for mail, none for electronic
        service, which is received on the day it reaches the recipient's system (Rules art. 4)."""
        return self.presumed_receipt_days if self.notice_service == "mail" else 0

    def annuity_for(self, patent_type: str, year: int) -> float | None:
        for first, last, amount in self.annuity.get(patent_type, []):
            if first <= year <= last:
                return amount
        return None

    def term_for(self, patent_type: str, filing_date: date) -> int:
        if patent_type == "design":
            key = "design_from_2021_06_01" if filing_date >= DESIGN_15_YEAR_FROM else "design_before_2021_06_01"
            return self.term_years[key]
        return self.term_years[patent_type]


def parse_rules(data: dict) -> FeeRules:
    return FeeRules(
        annuity={t: [(r["from"], r["to"], float(r["amount"])) for r in rows]
                 for t, rows in data["annuity"].items()},
        grace_period_months=int(data["grace_period_months"]),
        late_fee_rates=tuple(float(x) for x in data["late_fee_rate_by_month"]),
        restoration_fee=float(data["restoration"]["fee"]),
        restoration_months_after_notice=int(data["restoration"]["request_months_after_notice"]),
        presumed_receipt_days=int(data["restoration"]["presumed_receipt_days"]),
        notice_service=_notice_service(data["restoration"].get("notice_service", "electronic")),
        reduction_rate=float(data["fee_reduction"]["rate"]),
        reduction_years=int(data["fee_reduction"]["first_years_after_grant"]),
        term_years={k: int(v) for k, v in data["term_years"].items()},
    )


def _notice_service(value: object) -> str:
    if value not in ("electronic", "mail"):
        raise ValueError(f"restoration.notice_service must be electronic or mail, not {value!r}")
    return str(value)


@cache
def default_rules() -> FeeRules:
    """The user's fees.yaml when there is one, else the built-in schedule."""
    source = config_file(__package__, "fees.yaml")
    try:
        return parse_rules(yaml.safe_load(source.read_text(encoding="utf-8")))
    except (KeyError, TypeError, ValueError, yaml.YAMLError) as exc:
        raise ValueError(f"{source}: not a valid fee table ({exc})") from exc


def load_rules(path: Path | None) -> FeeRules:
    if path is None:
        return default_rules()
    return parse_rules(yaml.safe_load(path.read_text(encoding="utf-8")))
