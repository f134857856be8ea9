"""Placeholder (H1 replaces): placements of patents on branches."""

from __future__ import annotations


def rule_placements(con, industry, apps=None):
    raise NotImplementedError


def placements(con, industry):
    raise NotImplementedError
