"""Placeholder (H3 replaces): an industry's landscape."""

from __future__ import annotations

from dataclasses import dataclass

NATIONAL = "national"


@dataclass
class Landscape:
    industry: str


def landscape(con, industry, as_of, region=None, compare=..., *, as_known_on=None, top=20):
    raise NotImplementedError


def landscape_patents(con, industry, as_of, region=None, compare=..., **kwargs):
    raise NotImplementedError
