"""An enterprise's subsidies (docs/subsidies.md).  PLACEHOLDER — owned by helper h8."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
