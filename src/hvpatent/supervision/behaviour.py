"""Rules on filing, transfer and withdrawal behaviour: bulk_filing and applicant_mismatch (article 3 item 3),
transfer_after_grant (item 7), withdrawn_after_subsidy (item 9).

Owner: helper H3 (stub; see /tmp/brief20/contract.md).
"""

from __future__ import annotations

from hvpatent.supervision.flags import Flag, RuleContext


def bulk_filing(ctx: RuleContext) -> list[Flag]:
    return []


def applicant_mismatch(ctx: RuleContext) -> list[Flag]:
    return []


def transfer_after_grant(ctx: RuleContext) -> list[Flag]:
    return []


def withdrawn_after_subsidy(ctx: RuleContext) -> list[Flag]:
    return []
