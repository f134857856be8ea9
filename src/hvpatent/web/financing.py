"""Financing requests: the enterprise's answer (/mine/financing) and the bureau's pipeline (/finance/pipeline).

OWNER: helper H4 (placeholder)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
