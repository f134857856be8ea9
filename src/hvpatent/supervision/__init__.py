"""Abnormal filings and agency supervision (非正常专利申请, 专利代理监管; the plan's task 4): the one door of the
supervision room.

Rules with their thresholds in config.yaml and their sources in 《规范申请专利行为的规定》 (2023) flag suspected
abnormal applications with evidence (flags.py; near-identical texts in duplicates.py over text.py's MinHash search;
filing, transfer and withdrawal behaviour in behaviour.py).  A person reviews each: cleared or confirmed, stored and
audit-logged (reviews.py); confirmed ones are excluded from subsidies and, when asked, from the plan's figures.
Agencies are normalised and measured, ranked and watched (agencies.py).  docs/abnormal.md, docs/agencies.md.
"""

from __future__ import annotations

from hvpatent.supervision.agencies import AgencyName, agency_detail, agency_name, agency_table
from hvpatent.supervision.config import ConfigError, RuleSettings, SupervisionConfig, default_config, load_config
from hvpatent.supervision.flags import RULE_WORDS, RULES, Flag, RuleContext, flag_applications
from hvpatent.supervision.reviews import (
    REVIEW_STATUSES,
    REVIEW_WORDS,
    ReviewError,
    abnormal_queue,
    confirmed_applications,
    latest_reviews,
    record_review,
    review_history,
)

__all__ = [
    "REVIEW_STATUSES",
    "REVIEW_WORDS",
    "RULES",
    "RULE_WORDS",
    "AgencyName",
    "ConfigError",
    "Flag",
    "ReviewError",
    "RuleContext",
    "RuleSettings",
    "SupervisionConfig",
    "abnormal_queue",
    "agency_detail",
    "agency_name",
    "agency_table",
    "confirmed_applications",
    "default_config",
    "flag_applications",
    "latest_reviews",
    "load_config",
    "record_review",
    "review_history",
]
