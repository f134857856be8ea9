"""Spend against the budget by item, town, industry and applicant type.  STUB — owned by h5."""

from __future__ import annotations

import duckdb

from hvpatent.subsidies.policy import SubsidyPolicy

SPEND_DIMENSIONS = ("item", "town", "industry", "applicant_type")


def spend(duck: duckdb.DuckDBPyConnection, year: int, *, by: str = "item",
          policy: SubsidyPolicy | None = None) -> list[dict]:
    raise NotImplementedError
