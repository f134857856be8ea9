"""The bureau's view of the task reports (docs/tasks.md "pages and API"): /tasks/reports (who has reported, on time,
late, overdue, per period), /tasks/reports/{id} (one report, its figures and attachments), reminder letters,
qualitative scores and the assessment sheet; API twins under /api/tasks.  Staff only.  OWNER: H7."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
