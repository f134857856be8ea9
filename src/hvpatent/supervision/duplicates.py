"""Rules on near-identical texts: near_duplicate (article 3 item 1) and name_variants (item 6).

Owner: helper H2 (stub; see /tmp/brief20/contract.md).
"""

from __future__ import annotations

from hvpatent.supervision.flags import Flag, RuleContext


def near_duplicate(ctx: RuleContext) -> list[Flag]:
    return []


def name_variants(ctx: RuleContext) -> list[Flag]:
    return []
