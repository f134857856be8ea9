"""Interest subsidies and risk compensation: the bureau's ledger pages and API.

OWNER: helper H5 (placeholder)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
