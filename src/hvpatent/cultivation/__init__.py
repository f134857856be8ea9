"""Cultivation: the gap to a plan target and the candidates that close it (docs/cultivation.md).  The room's door.

plan_gap counts how many more patents the region needs on the deadline; candidates lists the patents that an
action before the deadline would make (or keep) count, with the last day to act and the historical rate of
success; what_if and contributions add them up.
"""

from hvpatent.cultivation.candidates import (
    CANDIDATE_KINDS,
    KIND_LABELS,
    candidates,
    contributions,
    kind_summary,
    next_award_call,
)
from hvpatent.cultivation.config import cultivation_settings
from hvpatent.cultivation.gap import (
    GAP_INDICATORS,
    Gap,
    GapError,
    counted_units,
    find_target,
    per_10k_targets,
    plan_gap,
    projected_population,
    what_if,
)
from hvpatent.cultivation.rates import grant_probability, historical_rates, plain_rates

__all__ = [
    "CANDIDATE_KINDS",
    "GAP_INDICATORS",
    "KIND_LABELS",
    "Gap",
    "GapError",
    "candidates",
    "contributions",
    "counted_units",
    "cultivation_settings",
    "find_target",
    "grant_probability",
    "historical_rates",
    "kind_summary",
    "next_award_call",
    "per_10k_targets",
    "plain_rates",
    "plan_gap",
    "projected_population",
    "what_if",
]
