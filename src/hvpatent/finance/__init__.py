"""IP finance (知识产权金融, the plan's task 7): the one door of the finance room.

The pledge registry's contracts on any day and its statistics (registry.py), collateral candidates for banks
(candidates.py), the risk watch on pledged patents (risk.py), the bank ↔ enterprise request flow (requests.py),
and interest subsidies and risk compensation by policy, with their ledger (policy.py, ledger.py).
docs/finance.md and the pages it links.
"""

from __future__ import annotations

from hvpatent.finance.candidates import (
    BUNDLE_COLUMNS,
    CANDIDATE_COLUMNS,
    EXCLUDED_COLUMNS,
    EXCLUSIONS,
    candidate_bundles,
    collateral_candidates,
    excluded_patents,
    term_threshold,
)
from hvpatent.finance.ledger import (
    LEDGER_STATUS_WORDS,
    LEDGER_STATUSES,
    RULE_WORDS,
    SCHEME_WORDS,
    SCHEMES,
    LedgerError,
    apply_claim,
    compute_claim,
    contract_numbers,
    decide_claim,
    export_rows,
    ledger_rows,
    pay_claims,
    period_range,
    write_ledger_xlsx,
)
from hvpatent.finance.policy import FinancePolicy, PolicyError, load_policy
from hvpatent.finance.registry import (
    STAT_DIMENSIONS,
    bank_filter,
    contract_detail,
    contracts,
    contracts_on,
    items,
    items_on,
    pledge_statistics,
    pledge_total,
    statistics_contracts,
)
from hvpatent.finance.requests import (
    AUTO_LINKER,
    REQUEST_STATUS_WORDS,
    REQUEST_STATUSES,
    RequestError,
    RequestNotFound,
    answer_request,
    contract_matches,
    create_request,
    get_request,
    link_contract,
    list_requests,
    match_contracts,
    pipeline,
    withdraw_request,
)
from hvpatent.finance.risk import RISK_COLUMNS, RISK_KINDS, RISK_LABELS, SEVERITIES, risk_counts, risk_watch

__all__ = ["EXCLUSIONS", "LEDGER_STATUSES", "REQUEST_STATUSES", "RISK_KINDS", "SCHEMES", "STAT_DIMENSIONS",
           "FinancePolicy", "LedgerError", "PolicyError", "RequestError", "answer_request", "apply_claim",
           "bank_filter", "candidate_bundles", "collateral_candidates", "compute_claim", "contract_detail",
           "contracts", "contracts_on", "create_request", "decide_claim", "items", "items_on", "ledger_rows",
           "link_contract", "list_requests", "load_policy", "pay_claims", "pipeline", "pledge_statistics",
           "pledge_total", "risk_watch", "statistics_contracts", "withdraw_request"]
__all__ += ["SEVERITIES", "excluded_patents", "risk_counts"]  # the bank workspace (docs/finance-bank.md)
__all__ += ["AUTO_LINKER", "BUNDLE_COLUMNS", "CANDIDATE_COLUMNS", "EXCLUDED_COLUMNS", "REQUEST_STATUS_WORDS",
            "RISK_COLUMNS", "RISK_LABELS", "RequestNotFound", "contract_matches", "get_request", "match_contracts",
            "term_threshold"]  # the bank's workspace and the request flow through the door
__all__ += ["LEDGER_STATUS_WORDS", "RULE_WORDS", "SCHEME_WORDS", "contract_numbers", "export_rows", "period_range",
            "write_ledger_xlsx"]  # the ledger's words and exports; a contract number however typed (CLI, web)
