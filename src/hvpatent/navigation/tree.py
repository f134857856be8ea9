"""Placeholder (H1 replaces): the technology breakdowns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Branch:
    code: str


@dataclass(frozen=True)
class Tree:
    industry: str


class TreeError(ValueError):
    pass


def breakdowns() -> dict[str, Tree]:
    raise NotImplementedError


def tree(industry: str) -> Tree:
    raise NotImplementedError
