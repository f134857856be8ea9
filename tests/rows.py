"""Comparing query results row by row, for tests that check one path against another (timelines against the
rules, Spark against DuckDB)."""

from __future__ import annotations

import math


def assert_same_rows(left: list[dict], right: list[dict]) -> None:
    """The same rows in the same order: equal keys, equal values, floats within 1e-9."""
    assert len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            x, y = a[key], b[key]
            if isinstance(x, float) or isinstance(y, float):
                assert (x is None and y is None) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9), (a, key, y)
            else:
                assert x == y, (a, key, y)
