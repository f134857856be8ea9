"""The assessment sheet (考核评分表): each unit's score for a reporting period from the settings' weights:
timeliness, its tasks' indicator progress and the bureau's qualitative score.  OWNER: H4."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb
import ibis

from hvpatent.plan.model import Plan


@dataclass
class AssessmentRow:
    unit: str
    period: str
    timeliness: float | None
    indicators: float | None
    qualitative: float | None
    total: float | None
    rank: int | None = None
    details: list[dict] = field(default_factory=list)   # per task: timeliness and indicator rows
    notes: list[str] = field(default_factory=list)      # weights redistributed, score missing, …


def record_score(duck: duckdb.DuckDBPyConnection, plan: Plan, unit: str, period: str, score: float, *,
                 note: str | None, by: str, now: datetime | None = None) -> dict:
    raise NotImplementedError


def latest_scores(con: ibis.BaseBackend, plan_key: str, period: str | None = None) -> dict[tuple[str, str], dict]:
    raise NotImplementedError


def assessment_sheet(con: ibis.BaseBackend, plan: Plan, period: str, as_of: date, config=None) -> list[AssessmentRow]:
    raise NotImplementedError
