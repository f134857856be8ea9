"""Patent agencies (专利代理机构) as the exports name them: names and codes normalised into one agency, its figures
on a day, the ranking and the watch list with its reasons.

Owner: helper H5 (stub; see /tmp/brief20/contract.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import ibis

from hvpatent.supervision.config import SupervisionConfig
from hvpatent.supervision.flags import Flag


@dataclass(frozen=True)
class AgencyName:
    key: str          # the CNIPA five-digit code when known, else "n:" + the normalised name
    code: str | None
    name: str         # the name to show (the most frequent spelling)


def agency_name(text: str | None) -> AgencyName | None:
    """An export's agency cell ("北京集佳知识产权代理有限公司 11227", "(普通合伙)" variants ...) read."""
    raise NotImplementedError


def agency_table(con: ibis.BaseBackend, as_of: date, *, region: str | None = None,
                 config: SupervisionConfig | None = None, flags: list[Flag] | None = None) -> list[dict]:
    """One row per agency of the region's applications, ranked, with the watch reasons."""
    raise NotImplementedError


def agency_detail(con: ibis.BaseBackend, key: str, as_of: date, *, region: str | None = None,
                  config: SupervisionConfig | None = None, flags: list[Flag] | None = None) -> dict | None:
    """One agency: its row of agency_table, its trend per year, its clients in the region, its flagged
    applications.  None for an unknown key."""
    raise NotImplementedError
