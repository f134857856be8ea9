"""Suspected abnormal applications: the rules run over one region on one day, each flag with its evidence.

A flag is a lead for a person to review, never a verdict (docs/abnormal.md).  Each rule lives in its own module
(duplicates.py: near-identical texts and the names behind them; behaviour.py: filing, transfer and withdrawal
behaviour) and takes a ``RuleContext``: the warehouse, the day, the region, the settings, and the region's
applications read once and shared by all rules.

Only what was known on ``as_of`` counts: applications filed by then, events dated by then, subsidies paid by then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

import ibis
import pandas as pd

from hvpatent.indicators.base import first_applicants, has_table, in_region
from hvpatent.supervision.config import SupervisionConfig, default_config

RULES = ("near_duplicate", "name_variants", "bulk_filing", "applicant_mismatch", "transfer_after_grant",
         "withdrawn_after_subsidy")
RULE_WORDS: dict[str, tuple[str, str]] = {
    "near_duplicate": ("内容明显相同的多件申请", "near-identical applications"),
    "name_variants": ("同一内容以不同申请人名义分散提交", "near-identical filings under changing applicant names"),
    "bulk_filing": ("短期内申请量异常激增", "bulk filing far above its own history and its peers"),
    "applicant_mismatch": ("申请与申请人研发能力不符", "filings that do not match the applicant"),
    "transfer_after_grant": ("授权后短期内向多方转让", "transfers soon after grant to many parties"),
    "withdrawn_after_subsidy": ("获资助后即撤回或放弃", "withdrawn right after a subsidy was paid"),
}
# Columns of RuleContext.applications(), one row per application of the region filed on or before as_of.
APPLICATION_COLUMNS = ("app_no", "patent_type", "filing_date", "title", "abstract", "first_claim", "ipc_main",
                       "claims_count", "agency", "applicant", "applicant_name", "applicant_type", "address",
                       "town_code")


@dataclass(frozen=True)
class Flag:
    """One rule's finding on one application.  ``evidence`` is JSON-able (text, numbers, ISO dates, lists, dicts):
    what a reviewer needs to judge it, e.g. the other members of a near-identical group and their similarity.
    ``summary`` is one line in (Chinese, English)."""

    app_no: str
    rule: str
    evidence: dict
    summary: tuple[str, str]


@dataclass
class RuleContext:
    con: ibis.BaseBackend
    as_of: date
    region: str | None = None
    config: SupervisionConfig = field(default_factory=default_config)
    _memo: dict = field(default_factory=dict, repr=False)

    def memo(self, key: str, build: Callable[[], object]) -> object:
        """Something computed once per context and shared by the rules (the near-identical groups)."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    def has(self, table: str) -> bool:
        return has_table(self.con, table)

    def applications(self) -> pd.DataFrame:
        """The region's applications filed on or before ``as_of`` (APPLICATION_COLUMNS), one row each, in app_no
        order; first_claim from the claims table where an export gave one, address of the first applicant; title,
        abstract and first claim cut to ``text.max_chars`` characters each."""
        return self.memo("applications", self._applications)

    def _applications(self) -> pd.DataFrame:
        apps = self.con.table("applications")
        apps = apps.filter(apps.filing_date <= self.as_of)
        firsts = in_region(first_applicants(self.con, apps), self.region).select(
            "app_no", "applicant", "applicant_name", "applicant_type", "town_code")
        parties = self.con.table("parties")
        address = parties.filter(parties.seq == 1).select("app_no", "address")
        rows = apps.select("app_no", "patent_type", "filing_date", "title", "abstract", "ipc_main", "claims_count",
                           "agency").join(firsts, "app_no").left_join(address, "app_no").drop("app_no_right")
        if self.has("claims"):
            claims = self.con.table("claims").select("app_no", "first_claim")
            rows = rows.left_join(claims, "app_no").drop("app_no_right")
        else:
            rows = rows.mutate(first_claim=ibis.null("string"))
        # the texts cut in the query, not in Python: a first claim may run to 20,000 characters, and the frame is
        # held for the whole run (1 M applications); the text search reads no more than max_chars of each field
        cut = int(self.config.text["max_chars"])
        rows = rows.mutate(**{c: rows[c].substr(0, cut) for c in ("title", "abstract", "first_claim")})
        frame = rows.select(*APPLICATION_COLUMNS).order_by("app_no").to_pandas()
        frame["filing_date"] = pd.to_datetime(frame["filing_date"]).dt.date
        return frame


def flag_applications(con: ibis.BaseBackend, as_of: date, *, region: str | None = None,
                      config: SupervisionConfig | None = None, rules: Iterable[str] | None = None) -> list[Flag]:
    """Every enabled rule's flags (or only ``rules``), in rule order then app_no order."""
    from hvpatent.supervision import behaviour, duplicates

    ctx = RuleContext(con, as_of, region, config or default_config())
    runners: dict[str, Callable[[RuleContext], list[Flag]]] = {
        "near_duplicate": duplicates.near_duplicate, "name_variants": duplicates.name_variants,
        "bulk_filing": behaviour.bulk_filing, "applicant_mismatch": behaviour.applicant_mismatch,
        "transfer_after_grant": behaviour.transfer_after_grant,
        "withdrawn_after_subsidy": behaviour.withdrawn_after_subsidy,
    }
    wanted = tuple(rules) if rules is not None else RULES
    unknown = [r for r in wanted if r not in RULES]
    if unknown:
        raise ValueError(f"未知的规则 / unknown rule: {unknown[0]} ({', '.join(RULES)})")
    found: list[Flag] = []
    for name in RULES:
        if name in wanted and ctx.config.rule(name).enabled:
            found.extend(sorted(runners[name](ctx), key=lambda f: f.app_no))
    return found
