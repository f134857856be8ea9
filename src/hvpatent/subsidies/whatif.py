"""Next year's spend under a policy variant and its expected effect on the high-value indicators.  STUB — h5."""

from __future__ import annotations

from datetime import date

import duckdb
import ibis

from hvpatent.subsidies.policy import SubsidyPolicy


def projection(con: ibis.BaseBackend, duck: duckdb.DuckDBPyConnection | None, base: SubsidyPolicy,
               variant: SubsidyPolicy, year: int, *, as_of: date, region: str | None = None) -> dict:
    raise NotImplementedError
