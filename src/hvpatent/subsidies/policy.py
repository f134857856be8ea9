"""Subsidy and reward policy as data (docs/subsidies.md): dated versions of items.  STUB — owned by helper h1."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

ITEM_KINDS: tuple[str, ...] = (
    "invention_grant", "high_value_criterion", "pct_filing", "grant_abroad", "pledge_interest",
    "ip_standard", "ip_advantage", "ip_demonstration", "navigation_project", "china_patent_award",
)


class PolicyError(ValueError):
    """A policy file that cannot be used: the message names the file and the field."""


@dataclass(frozen=True)
class Conditions:
    region: str | None = None                 # 6/9/12-digit code the payee's town must lie in (None: version's)
    patent_types: tuple[str, ...] = ()        # invention | utility_model | design (empty: any)
    in_force: bool = True                     # the patent must be in force on the assessment day
    applicant: str = "first"                  # first | any: which applicant position must be in the region
    applicant_types: tuple[str, ...] = ()     # enterprise | university | institute | individual | ... (empty: any)
    fields: tuple[str, ...] = ()              # SEI codes (2021 classification, a prefix matches) (empty: any)
    ipc_prefixes: tuple[str, ...] = ()        # IPC prefixes (empty: any)


@dataclass(frozen=True)
class Item:
    id: str
    kind: str
    name_zh: str
    name_en: str
    subject: str                               # patent | enterprise
    amount_yuan: Decimal | None = None         # a fixed amount
    rate: Decimal | None = None                # a share of a base (pledge_interest: of the finance ledger's amount)
    amounts: dict[str, Decimal] = field(default_factory=dict)  # per office / level / grade
    criterion: str | None = None               # high_value_criterion: sei | family_abroad | maintained_10y | ...
    cap_per_subject_yuan: Decimal | None = None           # e.g. grants abroad: most per patent over all offices
    cap_per_applicant_year_yuan: Decimal | None = None    # most one payee gets from this item in a year
    budget_yuan: Decimal | None = None                    # the item's budget for a year
    conditions: Conditions = field(default_factory=Conditions)
    exclude_abnormal: bool = True              # applications notified/confirmed abnormal are not paid
    clawback_lapse_years: int | None = None    # lapse within N years of payment → clawback


@dataclass(frozen=True)
class PolicyVersion:
    version: str
    name_zh: str
    name_en: str
    effective_from: date
    effective_to: date | None
    region: str
    source: str
    items: tuple[Item, ...]
    cap_per_applicant_year_yuan: Decimal | None = None
    budget_yuan: Decimal | None = None

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)


@dataclass(frozen=True)
class SubsidyPolicy:
    versions: tuple[PolicyVersion, ...]
    path: str

    def version_on(self, day: date) -> PolicyVersion | None:
        raise NotImplementedError

    def item_ids(self) -> tuple[str, ...]:
        raise NotImplementedError


def policy_path() -> Path:
    raise NotImplementedError


def load_policy(path: Path | str | None = None) -> SubsidyPolicy:
    raise NotImplementedError
