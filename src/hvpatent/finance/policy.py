"""Interest-subsidy and risk-compensation policy as configuration (docs/finance-subsidies.md).  OWNER: H5 (stub)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class PolicyError(ValueError):
    pass


@dataclass(frozen=True)
class FinancePolicy:
    version: str


def load_policy(path: Path | None = None) -> FinancePolicy:
    raise NotImplementedError
