"""Trademark renewal warnings: marks whose term ends soon and marks in the six months' grace.

Trademark Law (2019) art. 40: a registered mark may be renewed in the twelve months before its term ends; a
renewal not made then may still be made in a grace period of six months after (续展宽展期, with the renewal late
fee of the fee schedule, 续展注册迟延费); a mark not renewed by the end of the grace period is cancelled (注销).
Each renewal runs ten years from the day after the previous term's end. The states, term ends, windows and
grace ends come from `trademarks.state.mark_states` (docs/trademarks.md has the rules); docs/warnings.md
defines the two kinds here.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from hvpatent.indicators.base import ALL_APPLICANTS, has_table, in_region

TM_KINDS = ("tm_renewal_due", "tm_grace")
TM_KIND_LABELS = {
    "tm_renewal_due": ("商标续展期将至或已开始", "renewal due"),
    "tm_grace": ("商标处于续展宽展期", "in the renewal grace period"),
}
COLUMNS = ("kind", "reg_no", "nice_class", "mark_name", "owner", "owner_norm", "owner_type", "town_code",
           "county_code", "state", "term_end", "renewal_opens", "grace_end", "deadline")


def _when(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def action(row: dict, as_of: date, lang: str = "zh") -> str:
    """What the owner must do by when, citing art. 40, for one warning row (kind, term_end, renewal_opens,
    grace_end)."""
    kind, end, opens, grace = row["kind"], row["term_end"], row["renewal_opens"], row["grace_end"]
    if lang != "zh":
        if kind == "tm_grace":
            return (f"The term ended on {end}; the mark is in the six months' grace period: file the renewal and "
                    f"pay the renewal late fee by {grace}, or the registration is cancelled (Trademark Law art. 40).")
        if opens > as_of:
            return (f"The renewal window opens on {opens}: file the renewal between {opens} and {end} "
                    "(Trademark Law art. 40: within the 12 months before the term ends).")
        return f"File the renewal by {end} (Trademark Law art. 40: within the 12 months before the term ends)."
    if kind == "tm_grace":
        return (f"注册商标有效期已于{_when(end)}届满，现处于六个月宽展期：请于{_when(grace)}前提出续展注册申请"
                "并缴纳续展注册迟延费，逾期未办理的将注销其注册商标（《商标法》第四十条）。")
    if opens > as_of:
        return (f"续展期自{_when(opens)}开始：请于{_when(opens)}至{_when(end)}期间办理续展注册"
                "（《商标法》第四十条：期满前十二个月内办理）。")
    return f"续展期已开始：请于{_when(end)}前办理续展注册（《商标法》第四十条：期满前十二个月内办理）。"


def renewal_table(con: ibis.BaseBackend, as_of: date, within_days: int = 180, region: str | None = None) -> ir.Table:
    """The warnings as an Ibis table (COLUMNS): ``tm_renewal_due`` for registered marks whose renewal window
    is open on ``as_of`` or opens within ``within_days`` (deadline: the term's last day), ``tm_grace`` for
    marks in grace (deadline: the grace period's last day). Madrid registrations are left out: they are renewed
    with WIPO (Madrid Protocol art. 7), not with CNIPA under art. 40. ``region``: the owner's region (any level);
    without one, every mark in the warehouse (a to-do list, not a statistic)."""
    from hvpatent.trademarks.state import mark_states

    states = mark_states(con, as_of)
    marks = con.table("trademarks")
    # the term in force on the day (renewals included), not the export's term_end
    states = states.select("reg_no", "nice_class", "state", "renewal_opens", "grace_end", term_now=states.term_end)
    rows = marks.drop("term_end").join(states, ["reg_no", "nice_class"]).rename(term_end="term_now")
    # an international registration (Madrid) is renewed with WIPO (Madrid Protocol art. 7), not under art. 40
    rows = rows.filter(~rows.is_madrid.fill_null(False))
    day, end = ibis.date(as_of), ibis.date(as_of + timedelta(days=within_days))
    due = rows.filter((rows.state == "registered") & rows.renewal_opens.notnull() & (rows.renewal_opens <= end)
                      & (rows.term_end >= day))
    grace = rows.filter((rows.state == "in_grace") & rows.grace_end.notnull() & (rows.grace_end >= day))
    parts = [due.mutate(kind=ibis.literal("tm_renewal_due"), deadline=due.term_end),
             grace.mutate(kind=ibis.literal("tm_grace"), deadline=grace.grace_end)]
    out = ibis.union(*[p.select(*COLUMNS, "province_code", "city_code") for p in parts])
    return in_region(out, region or ALL_APPLICANTS).select(*COLUMNS)


def renewal_warnings(con: ibis.BaseBackend, as_of: date, within_days: int = 180,
                     region: str | None = None) -> list[dict]:
    """One row per mark (registration number and Nice class) to warn about, by deadline: kind, reg_no,
    nice_class, mark_name, owner, owner_norm, town_code, term_end, renewal_opens, grace_end, deadline,
    days_left and action (Chinese: what to do by when, art. 40; action_en the same in English)."""
    if not has_table(con, "trademarks"):  # a warehouse older than the records: nothing to warn about
        return []
    rows = renewal_table(con, as_of, within_days, region).to_pyarrow().to_pylist()
    for r in rows:
        r["days_left"] = (r["deadline"] - as_of).days
        r["action"] = action(r, as_of, "zh")
        r["action_en"] = action(r, as_of, "en")
    return sorted(rows, key=lambda r: (r["deadline"], r["owner_norm"] or "", r["reg_no"], r["nice_class"]))


def by_owner(rows: list[dict]) -> dict[str, list[dict]]:
    """The warnings grouped by owner (normalised name), each owner's in deadline order."""
    owners: dict[str, list[dict]] = {}
    for r in rows:
        owners.setdefault(r["owner_norm"], []).append(r)
    return owners


__all__ = ["TM_KINDS", "TM_KIND_LABELS", "action", "by_owner", "renewal_table", "renewal_warnings"]
