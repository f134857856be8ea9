"""Subsidies and rewards for the bureau (docs/subsidies.md).  PLACEHOLDER — owned by helper h7."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
