"""Patent agencies for the bureau: /agencies (ranking, watch list with reasons, a trend chart), /agencies/{key} (one
agency: figures, clients, flagged applications, the docx letter), API twins under /api/agencies.  Staff only.  No SQL
here: the supervision room does the work.

Owner: helper H8 (placeholder)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
