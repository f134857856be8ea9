"""Why a patent is or is not high-value on a date, criterion by criterion."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import ibis

from hvpatent.indicators.base import sei_matches
from hvpatent.indicators.config import HighValueSettings, high_value_settings
from hvpatent.indicators.highvalue import CRITERIA, criteria_evidence, pledge_totals
from hvpatent.legal import IN_FORCE, legal_state
from hvpatent.legal.state import add_years


@dataclass
class CriterionCheck:
    criterion: str
    met: bool
    evidence: list[str] = field(default_factory=list)
    reason: str = ""


@dataclass
class Explanation:
    app_no: str
    as_of: date
    state: str
    patent_type: str
    eligible: bool          # a valid invention patent on the date
    high_value: bool
    checks: list[CriterionCheck]
    note: str = ""


def _rows(expr) -> list[dict]:
    return expr.to_pyarrow().to_pylist()


def explain(con: ibis.BaseBackend, app_no: str, as_of: date,
            settings: HighValueSettings | None = None) -> Explanation | None:
    settings = settings or high_value_settings()
    apps = con.table("applications")
    one = apps.filter(apps.app_no == app_no)
    states = legal_state(con, as_of, applications=one)
    facts = _rows(states)
    if not facts:
        return None
    f = facts[0]
    eligible = f["patent_type"] == "invention" and f["state"] in IN_FORCE
    met = {}
    for row in _rows(criteria_evidence(con, states, as_of, settings)):
        met.setdefault(row["criterion"], []).append(row["evidence"])
    checks = [CriterionCheck(c, c in met, sorted(met.get(c, [])), "" if c in met else
                             _why_not(con, c, f, as_of, settings)) for c in CRITERIA]
    note = "" if eligible else ("不是发明专利" if f["patent_type"] != "invention" else
                                f"在该日不是有效专利（{f['state']}）")
    return Explanation(app_no, as_of, f["state"], f["patent_type"], eligible, eligible and bool(met), checks, note)


def _why_not(con: ibis.BaseBackend, criterion: str, f: dict, as_of: date, settings: HighValueSettings) -> str:
    app_no = f["app_no"]
    if criterion == "sei":
        ipcs = con.table("ipc_classes")
        codes = [r["ipc"] for r in _rows(ipcs.filter(ipcs.app_no == app_no).select("ipc"))]
        hits = _rows(sei_matches(con).filter(lambda t: t.app_no == app_no))
        if hits:  # matched, but the patent is not a valid invention on the date
            return "分类号属于战略性新兴产业，但该日不是有效发明专利"
        return f"分类号 {', '.join(codes) or '无'} 不在战略性新兴产业参照关系表中"
    if criterion == "family_abroad":
        return "没有已授权的境外（内地以外）同族专利"
    if criterion == "maintained_10y":
        threshold = _rows(ibis.memtable({"d": [f["filing_date"]]}).select(
            n=add_years(ibis._.d, ibis.literal(settings.maintained_years))))[0]["n"]
        return f"申请日 {f['filing_date']}，须在 {threshold} 之后仍有效才算维持超过 {settings.maintained_years} 年"
    if criterion == "pledge_high":
        totals = _rows(pledge_totals(con, as_of, settings).filter(lambda t: t.app_no == app_no))
        amount = totals[0]["pledged_yuan"] if totals else 0.0
        return f"质押融资额 {amount / 10_000:.2f} 万元，低于阈值 {settings.pledge_threshold_yuan / 10_000:.0f} 万元"
    return "没有国家科学技术奖或中国专利奖记录"
