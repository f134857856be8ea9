"""Precision and recall of each rule on the demo's planted abnormal groups (demo/abnormal.py).

The demo writes ``planted-abnormal.csv`` (app_no, planted: the rule each planted application is meant to trigger)
beside its export files; it is never imported.  A flag of rule R on an application planted for R is a true
positive.  Precision = true positives / applications R flagged; recall = true positives / applications planted
for R; None where the denominator is 0 (docs/abnormal.md, "Evaluation").

On a given day a rule can only flag what was filed by then: ``filed_by`` keeps the planted applications of the
region filed on or before that day, the ones the rules see (flags.RuleContext.applications).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import ibis

from hvpatent.indicators.base import first_applicants, in_region
from hvpatent.supervision.flags import RULES, Flag


def read_planted(path: Path) -> dict[str, set[str]]:
    """app_no -> the rules it was planted for; ValueError (file, row, field) on a missing column or an unknown
    rule."""
    planted: dict[str, set[str]] = {}
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in ("app_no", "planted") if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{Path(path).name}: 缺少列 / missing column: {', '.join(missing)}")
        for row_no, row in enumerate(reader, 2):
            app_no, rule = (row["app_no"] or "").strip(), (row["planted"] or "").strip()
            if not app_no or rule not in RULES:
                fld = "app_no" if not app_no else "planted"
                raise ValueError(f"{Path(path).name}: 第 {row_no} 行「{fld}」无效 / row {row_no}: invalid {fld} "
                                 f"{row[fld]!r} (rules: {', '.join(RULES)})")
            planted.setdefault(app_no, set()).add(rule)
    return planted


def filed_by(con: ibis.BaseBackend, planted: dict[str, set[str]], as_of: date, *,
             region: str | None = None) -> dict[str, set[str]]:
    """The planted applications the warehouse holds of ``region`` (None: all) filed on or before ``as_of``: the
    ones a rule run on that day can see.  A planted application not imported is left out too."""
    if not planted:
        return {}
    apps = con.table("applications")
    apps = apps.filter(apps.filing_date <= as_of, apps.app_no.isin(sorted(planted)))
    seen = set(in_region(first_applicants(con, apps), region).select("app_no").to_pandas().app_no)
    return {app: rules for app, rules in planted.items() if app in seen}


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def evaluate(flags: Iterable[Flag], planted: dict[str, set[str]] | dict[str, str]) -> list[dict]:
    """One row per rule (RULES order): rule, flagged, planted, true_positive, precision, recall.  ``planted`` maps
    an app_no to its rule or a set of rules; an application flagged twice by one rule counts once."""
    wanted = {app: {rules} if isinstance(rules, str) else set(rules) for app, rules in planted.items()}
    flagged: dict[str, set[str]] = {rule: set() for rule in RULES}
    for flag in flags:
        flagged.setdefault(flag.rule, set()).add(flag.app_no)
    rows = []
    for rule in RULES:
        meant = {app for app, rules in wanted.items() if rule in rules}
        hits = len(flagged[rule] & meant)
        rows.append({"rule": rule, "flagged": len(flagged[rule]), "planted": len(meant), "true_positive": hits,
                     "precision": _ratio(hits, len(flagged[rule])), "recall": _ratio(hits, len(meant))})
    return rows
