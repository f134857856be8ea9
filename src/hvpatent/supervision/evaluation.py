"""Precision and recall of each rule on the demo's planted abnormal groups (demo/abnormal.py).

Owner: helper H6 (stub; see /tmp/brief20/contract.md).
"""

from __future__ import annotations
