"""Placeholder (H5 replaces): recommendations from a landscape's figures."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Recommendation:
    kind: str


def recommendations(land, lang="zh"):
    raise NotImplementedError
