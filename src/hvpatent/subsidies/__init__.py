"""Subsidies and rewards by policy rules (知识产权资助奖励, the plan's task 8): the one door of the subsidies room.

A policy file of dated versions and items (policy.py, policy.yaml), the warehouse facts each item pays for
(facts.py), eligibility with caps, budget and exclusions and a rule trace (rules.py), the ledger — applications,
review, approval, payment batches, clawbacks — that never pays an item twice (ledger.py), spend against the
budget (budget.py) and a next-year projection under a policy variant with its expected effect on the high-value
indicators (whatif.py).  docs/subsidies.md.
"""

from __future__ import annotations

from hvpatent.subsidies.budget import SPEND_DIMENSIONS, spend
from hvpatent.subsidies.facts import Applicant, Event, events
from hvpatent.subsidies.ledger import (
    LEDGER_STATUS_WORDS,
    LEDGER_STATUSES,
    SubsidyError,
    apply_items,
    claw_back,
    clawback_words,
    clawbacks_due,
    decide,
    key_text,
    ledger_rows,
    parse_key,
    pay,
    review,
    write_batch_xlsx,
)
from hvpatent.subsidies.policy import (
    ITEM_KINDS,
    Item,
    PolicyError,
    PolicyVersion,
    SubsidyPolicy,
    load_policy,
    policy_path,
)
from hvpatent.subsidies.rules import RULE_WORDS, abnormal_applications, eligible
from hvpatent.subsidies.whatif import projection

__all__ = [
    "ITEM_KINDS", "LEDGER_STATUSES", "LEDGER_STATUS_WORDS", "RULE_WORDS", "SPEND_DIMENSIONS", "Applicant", "Event",
    "Item", "PolicyError", "PolicyVersion", "SubsidyError", "SubsidyPolicy", "abnormal_applications", "apply_items",
    "claw_back", "clawback_words", "clawbacks_due", "decide", "eligible", "events", "key_text", "ledger_rows",
    "load_policy", "parse_key", "pay", "policy_path", "projection", "review", "spend", "write_batch_xlsx",
]
