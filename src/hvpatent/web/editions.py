"""Issued bulletin editions (docs/schedule.md): /editions (every edition, its versions and changes, downloads) and
/api/editions.  Staff only.  OWNER: H1."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
