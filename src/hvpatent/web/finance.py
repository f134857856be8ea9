"""The pledge registry's statistics for the bureau (/finance), with drill-down to contracts and patents; the API.

OWNER: helper H7 (placeholder)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
