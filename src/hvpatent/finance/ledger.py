"""The ledger of interest subsidies and risk compensation (docs/finance-subsidies.md).  OWNER: H5 (stub)."""

from __future__ import annotations

SCHEMES = ("interest_subsidy", "risk_compensation")
LEDGER_STATUSES = ("applied", "approved", "rejected", "paid")


class LedgerError(ValueError):
    pass


def compute_claim(*args, **kwargs):
    raise NotImplementedError


def apply_claim(*args, **kwargs):
    raise NotImplementedError


def decide_claim(*args, **kwargs):
    raise NotImplementedError


def pay_claims(*args, **kwargs):
    raise NotImplementedError


def ledger_rows(*args, **kwargs) -> list[dict]:
    raise NotImplementedError
