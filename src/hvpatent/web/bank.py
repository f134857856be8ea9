"""The bank's workspace (bank role): its contracts, collateral candidates, requests, risk watch, valuation sheets.

OWNER: helper H4 (placeholder)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
