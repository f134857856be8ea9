"""The review queue of suspected abnormal applications for the bureau: /abnormal (flags with their evidence, filters,
cleared / confirmed), /abnormal/{app_no} (one application's flags and review history), API twins under
/api/abnormal.  Staff only.  No SQL here: the supervision room does the work.

Owner: helper H8 (placeholder)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
