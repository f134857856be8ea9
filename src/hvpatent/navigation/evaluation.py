"""Placeholder (H2 replaces): precision and recall against the hand-labelled set."""

from __future__ import annotations


def evaluate(*args, **kwargs):
    raise NotImplementedError
