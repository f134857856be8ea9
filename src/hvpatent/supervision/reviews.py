"""A person's review of suspected abnormal applications: cleared or confirmed, stored append-only in
abnormal_reviews and audit-logged; the review queue joins the flags with the latest review of each application.

Owner: helper H4 (stub; see /tmp/brief20/contract.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb
import ibis

from hvpatent.supervision.config import SupervisionConfig
from hvpatent.supervision.flags import Flag

REVIEW_STATUSES = ("cleared", "confirmed")
REVIEW_WORDS = {"cleared": ("已排除", "cleared"), "confirmed": ("确认为非正常申请", "confirmed abnormal"),
                "pending": ("待复核", "to review")}


class ReviewError(ValueError):
    """A review that cannot be recorded; the message (Chinese / English) says why."""


def record_review(duck: duckdb.DuckDBPyConnection, app_nos: Sequence[str], status: str, *, by: str,
                  note: str | None = None, flags: Sequence[Flag] = ()) -> int:
    """One row per application (status, who, note, the rules and evidence of ``flags`` for it) in one transaction,
    each audit-logged; returns the rows written."""
    raise NotImplementedError


def latest_reviews(con: ibis.BaseBackend, as_of: date | None = None) -> dict[str, dict]:
    """{app_no: {status, decided_at, decided_by, note, rules}}: each application's latest review (decided on or
    before ``as_of`` when given).  A warehouse without the table has none."""
    return {}


def confirmed_applications(con: ibis.BaseBackend, as_of: date | None = None) -> dict[str, dict]:
    """The applications whose latest review (by ``as_of``) is confirmed: {app_no: {decided_at, decided_by, note}}."""
    return {}


def review_history(con: ibis.BaseBackend, app_no: str) -> list[dict]:
    """Every review of one application, oldest first."""
    raise NotImplementedError


def review_queue(con: ibis.BaseBackend, as_of: date, *, region: str | None = None,
                 config: SupervisionConfig | None = None, rule: str | None = None,
                 status: str | None = None, flags: Sequence[Flag] | None = None) -> list[dict]:
    """One row per flagged (or reviewed) application (``flags`` precomputed, e.g. cached by the pages, else
    flag_applications): app_no, title, patent_type, filing_date, applicant_name,
    agency, town_code, rules [names], flags [Flag], status (pending | cleared | confirmed), decided_at, decided_by,
    note.  Filters: one rule, one status."""
    raise NotImplementedError
