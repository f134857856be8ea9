"""Navigation projects (专利导航项目, GB/T 39551) as records: the reads and the count the plan's navigation_projects
target makes of the accepted ones.  Records come in through the ingest room (ingest/projects.py: the template's
words and checks, and the save of one project typed in); this module only reads them.  docs/importing.md,
"Navigation projects".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import ibis

from hvpatent.indicators.base import has_table
from hvpatent.ingest import PROJECT_KINDS, PROJECT_STATUSES

__all__ = ["PROJECT_KINDS", "PROJECT_STATUSES", "accepted_projects", "has_projects", "project_list"]


def has_projects(con: ibis.BaseBackend) -> bool:
    """Whether the warehouse holds any navigation project record (False for one older than the table)."""
    if not has_table(con, "navigation_projects"):
        return False
    return int(con.table("navigation_projects").count().execute()) > 0


def _rows(t) -> list[dict]:
    return t.order_by(["started_date", "project_no"]).to_pyarrow().to_pylist()


def project_list(con: ibis.BaseBackend, *, status: str | None = None, industry: str | None = None,
                 enterprise: str | None = None) -> list[dict]:
    """The project records, oldest start first; ``enterprise`` matches the normalised name (an enterprise user's
    own projects)."""
    if not has_table(con, "navigation_projects"):
        return []
    t = con.table("navigation_projects")
    if status:
        t = t.filter(t.status == status)
    if industry:
        t = t.filter(t.industry == industry)
    if enterprise is not None:
        from hvpatent.ingest.fields import normalize_name  # the importers' folding of a name

        t = t.filter(t.enterprise_norm == normalize_name(enterprise))
    return _rows(t)


def accepted_projects(con: ibis.BaseBackend, since: date, day: date, kinds: Iterable[str] | None = None
                      ) -> list[dict]:
    """Projects accepted in (since, day] with status accepted (of the kinds given; all kinds when None): what the
    plan's navigation_projects target counts.  A project accepted on the baseline day itself counts for the
    baseline, not as new."""
    if not has_table(con, "navigation_projects"):
        return []
    t = con.table("navigation_projects")
    t = t.filter((t.status == "accepted") & t.accepted_date.notnull()
                 & (t.accepted_date > ibis.date(since)) & (t.accepted_date <= ibis.date(day)))
    if kinds is not None:
        t = t.filter(t.kind.isin(list(kinds)))
    return _rows(t)
