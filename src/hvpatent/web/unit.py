"""A unit's workspace (role ``unit``, docs/tasks.md "pages and API"): /unit (its tasks and reporting periods, what
is due), /unit/reports/{id} (one of its reports), POST /unit/reports (file a report with attachments); API twins
under /api/unit.  A unit sees and files its own reports only: another unit's report is 404.  OWNER: H6."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
