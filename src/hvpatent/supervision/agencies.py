"""Patent agencies (专利代理机构) as the exports name them: names and codes normalised into one agency, its figures
on a day, the ranking and the watch list with its reasons (docs/agencies.md).

An export's agency cell comes in many spellings of one agency: with or without its five-digit CNIPA code (before,
after or in brackets), full- or half-width brackets, "(普通合伙)" or not, "有限责任公司" or "有限公司", sometimes
several agencies in one cell.  ``agency_name`` reads one cell; the table then joins the spellings without a code to
the coded agency of the same normalised name, so that each agency is one row.

Only what was known on ``as_of`` counts: applications filed by then, legal events dated by then, confirmations
decided by then.  A clearance takes an application out of the flagged figures and out of the confirmed ones whenever
it was decided, as the review queue shows each application's latest decision (docs/agencies.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache

import ibis
import pandas as pd

from hvpatent.indicators.base import first_applicants, in_region
from hvpatent.supervision.config import SupervisionConfig, default_config
from hvpatent.supervision.flags import Flag, flag_applications

PATENT_TYPES = ("invention", "utility_model", "design")
CONCLUSIONS = ("granted", "rejected", "withdrawn", "deemed_withdrawn")  # an invention's examination concluded (结案)


@dataclass(frozen=True)
class AgencyName:
    key: str          # the CNIPA five-digit code when known, else "n:" + the normalised name
    code: str | None
    name: str         # the name to show (the most frequent spelling)


# -- names -------------------------------------------------------------------------------------------------------

# several agencies in one cell: the first is the agency.  A comma before a code ("name, 11227") or an English legal
# form ("Co., Ltd.", "Firm, LLP") is part of the name, not a separator.
_SEPARATORS = re.compile(r"[;|/\n\r、]|,(?!\s*\d)(?!\s*(?:ltd|llp|llc|inc|limited|l\.l\.p)\b)", re.IGNORECASE)
# CNIPA agency codes have five digits (11227), maybe labelled ("代码:11227") and bracketed ("(11227)")
_CODE = re.compile(r"[(\[{]?(?:代理机构代码|机构代码|代码|编号|code|no\.?)?:?((?<!\d)\d{5}(?!\d))[)\]}]?",
                   re.IGNORECASE)
_EMPTY_BRACKETS = re.compile(r"[(\[{]\s*[)\]}]")
# a final "." after a Latin letter ends an abbreviation ("Co., Ltd.", "Inc."): kept in the name shown
_EDGE = re.compile(r"^[\s\-_:·.,()\[\]{}]+|(?:[\s\-_:·,(\[{]|(?<![A-Za-z])\.)+$")
_PARTNERSHIP = re.compile(r"\((?:特殊)?普通合伙\)$")  # "(普通合伙)", "(特殊普通合伙)": the firm's legal form
_NONE_WORDS = {"", "-", "--", "—", "无", "暂无", "none", "null", "nan", "n/a"}


def _fold(text: str) -> str:
    """NFKC (full-width brackets, digits and spaces become half-width), 【】〔〕 as brackets; spaces dropped
    except one between two Latin words ("ABC Patent Law Firm", "Co., Ltd.")."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(str.maketrans("【】〔〕［］", "[][][]"))
    text = re.sub(r"(?<=[A-Za-z0-9.,&])\s+(?=[A-Za-z0-9&(])", "\x00", text.strip())
    return re.sub(r"\s+", "", text).replace("\x00", " ")


def normalised_name(name: str) -> str:
    """The name two spellings of one agency share: folded, without spaces, dots, commas and its partnership form,
    lower case, "有限责任公司" as "有限公司" ("Co., Ltd." and "Co. Ltd" alike).  Used for matching only; the name shown
    is a spelling the exports gave."""
    name = _PARTNERSHIP.sub("", _fold(name).replace(" ", ""))
    return re.sub(r"[.,]", "", name.replace("有限责任公司", "有限公司").lower())


@lru_cache(maxsize=65536)
def agency_name(text: str | None) -> AgencyName | None:
    """An export's agency cell ("北京集佳知识产权代理有限公司 11227", "(普通合伙)" variants ...) read: the first
    agency of the cell, its code (five digits anywhere in it, with or without brackets) and its name.  None for an
    empty cell."""
    if text is None or not isinstance(text, str):
        return None
    first = _SEPARATORS.split(unicodedata.normalize("NFKC", text).strip(), maxsplit=1)[0]
    folded = _fold(first)
    match = _CODE.search(folded)
    code = match.group(1) if match else None
    name = folded[:match.start()] + folded[match.end():] if match else folded
    name = _EDGE.sub("", _EMPTY_BRACKETS.sub("", name))
    if name.endswith(("普通合伙", "普通合伙)")) and name.count("(") > name.count(")"):
        name += ")"  # "(普通合伙" left open by a cut cell
    if not name and not code:
        return None
    if name.lower() in _NONE_WORDS:
        if not code:
            return None
        name = ""
    key = code if code else "n:" + normalised_name(name)
    return AgencyName(key, code, name or code or "")


# -- the region's applications with their agency and outcome ----------------------------------------------------


def concluded_outcomes(con: ibis.BaseBackend, as_of: date) -> pd.DataFrame:
    """(app_no, outcome) of every application whose examination had concluded by ``as_of``: granted when a grant
    is dated by then; else the latest of rejected / withdrawn / deemed withdrawn, unless a restoration (恢复) dated
    after it and by as_of made the application pending again (a same-day restoration does not: the end stands).
    The one definition of "concluded" of the room: the agencies' rates and bulk_filing's grant rate read it."""
    events = con.table("legal_events")
    events = events.filter(events.event_date <= as_of)
    types = (*CONCLUSIONS, "restoration")
    events = events.filter(events.event_type.isin(types))
    last = events.group_by(["app_no", "event_type"]).aggregate(day=events.event_date.max()).to_pandas()
    if last.empty:
        return pd.DataFrame({"app_no": pd.Series(dtype=str), "outcome": pd.Series(dtype=str)})
    wide = last.pivot(index="app_no", columns="event_type", values="day")
    out: dict[str, str] = {}
    for app_no, row in wide.iterrows():
        days = {t: row[t] for t in types if t in row.index and pd.notna(row[t])}
        if "granted" in days:
            out[app_no] = "granted"
            continue
        ended = [(d, t) for t, d in days.items() if t != "restoration"]
        if not ended:
            continue
        day, kind = max(ended, key=lambda x: (x[0], CONCLUSIONS.index(x[1])))
        if days.get("restoration") is not None and days["restoration"] > day:
            continue
        out[app_no] = kind
    return pd.DataFrame({"app_no": list(out), "outcome": list(out.values())})


def _applications(con: ibis.BaseBackend, as_of: date, region: str | None) -> pd.DataFrame:
    """The region's applications filed on or before ``as_of`` through an agency: app_no, patent_type,
    filing_date, title, claims_count, agency (the cell), applicant, applicant_name, outcome, key."""
    apps = con.table("applications")
    apps = apps.filter(apps.filing_date <= as_of).filter(lambda t: t.agency.notnull())
    firsts = in_region(first_applicants(con, apps), region).select("app_no", "applicant", "applicant_name")
    rows = apps.select("app_no", "patent_type", "filing_date", "title", "claims_count", "agency").join(
        firsts, "app_no").order_by("app_no").to_pandas()
    rows["filing_date"] = pd.to_datetime(rows["filing_date"]).dt.date
    rows = rows.merge(concluded_outcomes(con, as_of), on="app_no", how="left")
    rows["parsed"] = rows["agency"].map(agency_keys(rows["agency"]))
    rows = rows[rows["parsed"].notna()].copy()
    rows["key"] = [p.key for p in rows["parsed"]]
    return rows


def agency_keys(cells: Iterable[object]) -> dict[str, AgencyName]:
    """Each agency cell of a set of applications (one cell per application, e.g. a region's on a day) read by
    agency_name, its key then joined: a spelling without code takes the code of the coded agency of the same
    normalised name (the code most applications give it, when exports disagree).  Empty cells are left out.  The
    one definition of "the same agency" for the agency figures and the near-identical rules."""
    counts = Counter(c for c in cells if isinstance(c, str))
    parsed = {cell: p for cell in counts if (p := agency_name(cell)) is not None}
    codes: dict[str, Counter] = {}
    for cell, p in parsed.items():
        if p.code and p.name:
            codes.setdefault(normalised_name(p.name), Counter())[p.code] += counts[cell]
    best = {n: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for n, c in codes.items()}
    return {cell: p if p.code or p.key[2:] not in best else replace(p, key=best[p.key[2:]])
            for cell, p in parsed.items()}


# -- figures ----------------------------------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _figures(key: str, group: pd.DataFrame, as_of: date, flagged: dict[str, list[str]], cleared: set[str],
             confirmed: set[str], trend_years: int) -> dict:
    spellings = Counter(p.name for p in group["parsed"] if p.name and p.name != p.code)
    name = min(spellings.items(), key=lambda kv: (-kv[1], kv[0]))[0] if spellings else key
    codes = Counter(p.code for p in group["parsed"] if p.code)
    inventions = group[group["patent_type"] == "invention"]
    outcome = Counter(inventions["outcome"].dropna())
    concluded = sum(outcome[c] for c in CONCLUSIONS)
    claims = group["claims_count"].dropna()
    apps = set(group["app_no"])
    flagged_here = apps & set(flagged)
    years = range(as_of.year - trend_years + 1, as_of.year + 1)
    per_year = Counter(d.year for d in group["filing_date"])
    recent = int((group["filing_date"] > as_of - timedelta(days=365)).sum())
    before = int(((group["filing_date"] > as_of - timedelta(days=730))
                  & (group["filing_date"] <= as_of - timedelta(days=365))).sum())
    return {
        "key": key, "code": codes.most_common(1)[0][0] if codes else None, "name": name,
        "variants": sorted(set(group["agency"])),
        "applications": len(group),
        "by_type": {t: int((group["patent_type"] == t).sum()) for t in PATENT_TYPES},
        "invention_share": _rate(len(inventions), len(group)),
        "concluded": concluded,
        "grant_rate": _rate(outcome["granted"], concluded),
        "rejection_rate": _rate(outcome["rejected"], concluded),
        "deemed_withdrawal_rate": _rate(outcome["deemed_withdrawn"], concluded),
        "avg_claims": float(claims.mean()) if len(claims) else None,
        "flagged": len(flagged_here), "flagged_share": _rate(len(flagged_here), len(group)),
        "cleared": len(apps & cleared), "confirmed": len(apps & confirmed),
        "clients": int(group["applicant"].nunique()),
        "trend": [{"year": y, "applications": per_year.get(y, 0)} for y in years],
        "last_12_months": recent, "previous_12_months": before,
        "growth": recent / before if before else None,
    }


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _count_reasons(row: dict, watch: dict) -> list[tuple[str, str]]:
    """The reasons read from counts, for every agency however few its applications: at least ``min_flagged``
    applications flagged and not cleared that make at least ``flagged_share`` of its applications (a count, so
    that two flags of three applications are no reason), and ``confirmed`` applications confirmed on review."""
    out: list[tuple[str, str]] = []
    share, flagged, least, bound = row["flagged_share"], row["flagged"], watch["min_flagged"], watch["flagged_share"]
    if share is not None and share >= bound and flagged >= least:
        out.append((f"疑似非正常申请 {flagged} 件，占比 {_pct(share)}（阈值 ≥ {least} 件且 ≥ {_pct(bound)}）",
                    f"{flagged} flagged applications, {_pct(share)} of its applications (thresholds ≥ {least} and "
                    f"≥ {_pct(bound)})"))
    if row["confirmed"] >= watch["confirmed"] > 0:
        out.append((f"经复核确认的非正常申请 {row['confirmed']} 件（阈值 ≥ {watch['confirmed']}）",
                    f"{row['confirmed']} applications confirmed abnormal on review (threshold ≥ {watch['confirmed']})"))
    return out


def _rate_reasons(row: dict, watch: dict, min_applications: int) -> list[tuple[str, str]]:
    """The reasons read from rates, only for ranked agencies (at least min_applications: small numbers swing)."""
    out: list[tuple[str, str]] = []
    if row["concluded"] >= watch["min_concluded"]:
        checks = (("grant_rate", "max_grant_rate", "≤", "发明授权率", "invention grant rate"),
                  ("rejection_rate", "rejection_rate", "≥", "发明驳回率", "invention rejection rate"),
                  ("deemed_withdrawal_rate", "deemed_withdrawal_rate", "≥", "发明视为撤回率",
                   "invention deemed-withdrawal rate"))
        for figure, limit, sign, zh, en in checks:
            value, bound = row[figure], watch[limit]
            if value is not None and (value <= bound if sign == "≤" else value >= bound):
                tail = f"（阈值 {sign} {_pct(bound)}，审结 {row['concluded']} 件）"
                out.append((f"{zh} {_pct(value)}{tail}",
                            f"{en} {_pct(value)} (threshold {sign} {_pct(bound)}, {row['concluded']} concluded)"))
    growth = row["growth"]
    if growth is not None and growth >= watch["growth"] and row["last_12_months"] >= min_applications:
        out.append((f"近12个月申请 {row['last_12_months']} 件，为上一年同期 {row['previous_12_months']} 件的 "
                    f"{growth:.1f} 倍（阈值 ≥ {watch['growth']:g} 倍）",
                    f"{row['last_12_months']} applications in the last 12 months, {growth:.1f} times the "
                    f"{row['previous_12_months']} of the 12 months before (threshold ≥ {watch['growth']:g}×)"))
    return out


def _rank_key(row: dict) -> tuple:
    """The ranking (1 = most in need of attention): flagged share, then confirmed applications, then the lowest
    invention grant rate (unknown last), then most applications, then the key."""
    grant = row["grant_rate"]
    return (-(row["flagged_share"] or 0.0), -row["confirmed"], grant is None, grant if grant is not None else 0.0,
            -row["applications"], row["key"])


def _flag_rules(flags: list[Flag]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in flags:
        rules = out.setdefault(f.app_no, [])
        if f.rule not in rules:
            rules.append(f.rule)
    return out


def _confirmed(con: ibis.BaseBackend, as_of: date, cleared: set[str]) -> set[str]:
    """Applications whose latest review decided on or before as_of is confirmed (dated: an agency's figure on a
    day), less those ``cleared`` (latest decision, whenever made, is cleared): a later clearance withdraws the
    confirmation, so the figures, the watch reasons and the letters never cite one the bureau has reversed."""
    from hvpatent.supervision.reviews import confirmed_applications

    return set(confirmed_applications(con, as_of)) - cleared


def _cleared(con: ibis.BaseBackend) -> set[str]:
    """Applications whose latest review, whenever decided, is cleared: as the review queue shows them, a clearance
    is about the application, not the day asked, and a cleared application is no longer a lead."""
    from hvpatent.supervision.reviews import latest_reviews

    return {app_no for app_no, r in latest_reviews(con).items() if r["status"] == "cleared"}


def _table(con: ibis.BaseBackend, as_of: date, region: str | None, config: SupervisionConfig | None,
           flags: list[Flag] | None) -> tuple[list[dict], pd.DataFrame, dict[str, list[str]], set[str]]:
    config = config or default_config()
    settings = config.agencies
    if flags is None:
        flags = flag_applications(con, as_of, region=region, config=config)
    every = _flag_rules(flags)
    reversed_ = _cleared(con)
    cleared = reversed_ & set(every)
    flagged = {app_no: rules for app_no, rules in every.items() if app_no not in cleared}
    confirmed = _confirmed(con, as_of, reversed_)
    apps = _applications(con, as_of, region)
    rows = [_figures(str(key), group, as_of, flagged, cleared, confirmed, int(settings["trend_years"]))
            for key, group in apps.groupby("key", sort=True)]
    minimum, watch = int(settings["min_applications"]), settings["watch"]
    ranked = sorted((r for r in rows if r["applications"] >= minimum), key=_rank_key)
    for i, row in enumerate(ranked, 1):
        row["rank"] = i
    for row in rows:
        row.setdefault("rank", None)
        row["reasons"] = _count_reasons(row, watch)
        if row["rank"] is not None:
            row["reasons"] += _rate_reasons(row, watch, minimum)
        row["watch"] = bool(row["reasons"])
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, -r["applications"], r["key"]))
    return rows, apps, flagged, confirmed


def agency_table(con: ibis.BaseBackend, as_of: date, *, region: str | None = None,
                 config: SupervisionConfig | None = None, flags: list[Flag] | None = None) -> list[dict]:
    """One row per agency of the region's applications (first applicant in the region, filed on or before
    ``as_of``), ranked agencies first in rank order, then the others by applications.  ``flags``: precomputed
    (e.g. cached by the pages), else flag_applications."""
    return _table(con, as_of, region, config, flags)[0]


def _resolve(key: str, rows: list[dict]) -> dict | None:
    """The row of ``key``: an agency key, else a code or a spelling of the agency."""
    by_key = {r["key"]: r for r in rows}
    if key in by_key:
        return by_key[key]
    parsed = agency_name(key)
    if parsed is None:
        return None
    if parsed.key in by_key:
        return by_key[parsed.key]
    wanted = normalised_name(parsed.name)
    return next((r for r in rows if any(normalised_name(agency_name(v).name) == wanted
                                        for v in r["variants"] if agency_name(v))), None)


def agency_detail(con: ibis.BaseBackend, key: str, as_of: date, *, region: str | None = None,
                  config: SupervisionConfig | None = None, flags: list[Flag] | None = None) -> dict | None:
    """One agency: its row of agency_table (with its trend per year), its clients in the region (most
    applications first) and its flagged applications (app_no order), each with its ``status``: "confirmed" when
    counted in ``confirmed`` on as_of, else "pending" (awaiting verification).  None for an unknown key."""
    rows, apps, flagged, confirmed = _table(con, as_of, region, config, flags)
    row = _resolve(key, rows)
    if row is None:
        return None
    mine = apps[apps["key"] == row["key"]]
    clients = []
    for applicant, group in mine.groupby("applicant", sort=False):
        clients.append({"applicant": applicant, "applicant_name": group["applicant_name"].iloc[0],
                        "applications": len(group), "flagged": int(group["app_no"].isin(list(flagged)).sum())})
    clients.sort(key=lambda c: (-c["applications"], -c["flagged"], c["applicant"]))
    listed = mine[mine["app_no"].isin(list(flagged))]
    flagged_apps = [{"app_no": r.app_no, "title": r.title, "applicant": r.applicant,
                     "applicant_name": r.applicant_name, "filing_date": r.filing_date,
                     "rules": flagged[r.app_no], "status": "confirmed" if r.app_no in confirmed else "pending"}
                    for r in listed.itertuples(index=False)]
    return {**row, "clients": clients, "flagged_applications": flagged_apps}
