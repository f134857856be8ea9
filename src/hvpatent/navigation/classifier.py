"""Placeholder (H2 replaces): the technology-breakdown classifier."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TrainReport:
    industry: str


def train(con, industry, *, write=True):
    raise NotImplementedError


def review_queue(con, industry, limit=50):
    raise NotImplementedError


def correct(con, app_no, industry, branch, on_branch, by):
    raise NotImplementedError
