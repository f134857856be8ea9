"""Rules on filing, transfer and withdrawal behaviour: bulk_filing and applicant_mismatch (article 3 item 3),
transfer_after_grant (item 7), withdrawn_after_subsidy (item 9).  docs/abnormal.md, "behaviour".

Every rule reads only what was dated on or before ``ctx.as_of`` (filings, legal events, recognitions, payments) and
only the region's applications (``ctx.applications()``).  A window of N days ending on as_of is the N days
``(as_of - N, as_of]``: a filing N days before as_of is outside it, N - 1 days before inside.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date, timedelta

import ibis
import pandas as pd

from hvpatent.ingest.fields import normalize_name
from hvpatent.supervision.flags import Flag, RuleContext

# Legal events the rules read, fetched once per context.
EVENT_TYPES = ("granted", "rejected", "withdrawn", "deemed_withdrawn", "restoration", "surrendered", "transfer")
WITHDRAWN = ("withdrawn", "deemed_withdrawn")                # bulk_filing's withdrawn share
ENDED = ("withdrawn", "deemed_withdrawn", "surrendered")     # withdrawn_after_subsidy's end of an application
END_WORDS = {"withdrawn": ("撤回", "withdrawn"), "deemed_withdrawn": ("视为撤回", "deemed withdrawn"),
             "surrendered": ("放弃", "surrendered")}
PAID = ("paid", "clawed_back")                               # ledger rows whose subsidy was paid
SECTIONS = "ABCDEFGH"


# --- shared reading ------------------------------------------------------------------------------------------------

def _events(ctx: RuleContext) -> pd.DataFrame:
    """(app_no, event_date, event_type, raw_text) of the region's applications, dated on or before as_of."""
    def build() -> pd.DataFrame:
        apps = ctx.applications()
        if apps.empty:
            return pd.DataFrame(columns=["app_no", "event_date", "event_type", "raw_text"])
        ev = ctx.con.table("legal_events")
        ev = ev.filter(ev.event_type.isin(EVENT_TYPES), ev.event_date <= ctx.as_of)
        ev = ev.semi_join(ibis.memtable({"app_no": list(apps.app_no)}), "app_no")
        frame = ev.select("app_no", "event_date", "event_type", "raw_text").order_by(
            "app_no", "event_date", "event_type").to_pandas()
        frame["event_date"] = pd.to_datetime(frame["event_date"]).dt.date
        return frame
    return ctx.memo("behaviour_events", build)


def _grants(ctx: RuleContext) -> dict[str, date]:
    """Each application's first grant day on or before as_of."""
    ev = _events(ctx)
    granted = ev[ev.event_type == "granted"]
    return granted.groupby("app_no")["event_date"].min().to_dict()


def _outcomes(ctx: RuleContext) -> dict[str, str]:
    """granted | failed for each application concluded by as_of, by the room's one definition
    (agencies.concluded_outcomes), so bulk_filing's grant rate and the agencies' agree."""
    from hvpatent.supervision.agencies import concluded_outcomes

    def build() -> dict[str, str]:
        found = concluded_outcomes(ctx.con, ctx.as_of)
        return {app: "granted" if outcome == "granted" else "failed"
                for app, outcome in zip(found.app_no, found.outcome, strict=True)}
    return ctx.memo("behaviour_outcomes", build)


def _restorations(ctx: RuleContext) -> dict[str, date]:
    """Each application's latest restoration (恢复) on or before as_of."""
    ev = _events(ctx)
    return ev[ev.event_type == "restoration"].groupby("app_no")["event_date"].max().to_dict()


def _window(as_of: date, days: int) -> tuple[date, date]:
    """First and last day of the window of ``days`` days ending on as_of."""
    return as_of - timedelta(days=days - 1), as_of


def _thresholds(ctx: RuleContext, rule: str) -> dict:
    return dict(ctx.config.rule(rule).params)


def nearest_rank(values: Iterable[int], q: float) -> int | None:
    """The q-quantile by nearest rank: the smallest value with at least a share q of the values at or below it
    (no interpolation, so a reviewer can check it by counting)."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


# --- bulk_filing -----------------------------------------------------------------------------------------------------

def bulk_filing(ctx: RuleContext) -> list[Flag]:
    """An applicant's filings in the latest window far above its own history and its peers', with poor results.

    Windows are counted back from as_of: window 0 is the latest ``window_days`` days, windows 1..K the
    ``history_years`` before it in whole windows (K = history_years × 365 // window_days; 12 of 90 days for 3
    years).  Own average: its filings in windows 1..K over K (empty windows count as 0, so a newcomer's average
    is 0).  Peers: the other applicants of the same applicant type in the region; their counts in windows 0..K
    where they filed at least once; the window must be strictly above their ``peer_quantile`` (nearest rank).
    No peers: that test is not applied."""
    t = _thresholds(ctx, "bulk_filing")
    apps = ctx.applications()
    if apps.empty:
        return []
    width, history = int(t["window_days"]), max(1, int(t["history_years"] * 365) // int(t["window_days"]))
    frame = apps.assign(window=[(ctx.as_of - d).days // width for d in apps.filing_date])
    frame = frame[frame.window <= history]
    counts = frame.groupby(["applicant", "window"]).size()
    if 0 not in counts.index.get_level_values("window"):
        return []
    types = apps.groupby("applicant")["applicant_type"].first()
    flags: list[Flag] = []
    for applicant, now in counts.xs(0, level="window").items():
        past = counts.loc[applicant].drop(0, errors="ignore")
        average = float(past.sum()) / history
        if now < t["min_filings"] or now < t["own_ratio"] * average:
            continue
        peers = types[(types == types[applicant]) & (types.index != applicant)].index
        peer_counts = counts[counts.index.get_level_values("applicant").isin(peers)]
        quantile = nearest_rank(peer_counts.tolist(), t["peer_quantile"])
        if quantile is not None and now <= quantile:
            continue
        burst = frame[(frame.applicant == applicant) & (frame.window == 0)]
        evidence = _bulk_quality(ctx, t, apps[apps.applicant == applicant], burst)
        if evidence is None:
            continue
        start, end = _window(ctx.as_of, width)
        evidence |= {"applicant": applicant, "applicant_name": burst.applicant_name.iloc[0],
                     "applicant_type": types[applicant], "window_start": start.isoformat(),
                     "window_end": end.isoformat(), "filings": int(now), "history_windows": history,
                     "own_average": round(average, 2), "peers": len(peers), "peer_quantile_value": quantile,
                     "applications": sorted(burst.app_no), "thresholds": t}
        name = evidence["applicant_name"]
        summary = (f"{name}在{width}天内提交{now}件申请（以往每期平均{average:.1f}件）",
                   f"{name} filed {now} applications in {width} days (its average per window: {average:.1f})")
        flags += [Flag(app, "bulk_filing", evidence, summary) for app in sorted(burst.app_no)]
    return sorted(flags, key=lambda f: f.app_no)


def _bulk_quality(ctx: RuleContext, t: dict, own: pd.DataFrame, burst: pd.DataFrame) -> dict | None:
    """The poor-results half of bulk_filing: a low grant rate of its concluded inventions, or many of the window's
    filings withdrawn; the figures as evidence, or None when neither holds."""
    outcomes = _outcomes(ctx)
    concluded = [outcomes[a] for a in own.loc[own.patent_type == "invention", "app_no"] if a in outcomes]
    granted = concluded.count("granted")
    rate = granted / len(concluded) if concluded else None
    # a withdrawal restored since (on or before as_of) no longer stands: the application is pending again
    standing = _standing_ends(ctx, set(burst.app_no))
    withdrawn = standing.loc[standing.event_type.isin(WITHDRAWN), "app_no"].nunique()
    share = withdrawn / len(burst)
    low_grant = len(concluded) >= t["min_concluded"] and rate is not None and rate <= t["max_grant_rate"]
    many_withdrawn = share >= t["min_withdrawn_share"]
    if not (low_grant or many_withdrawn):
        return None
    return {"concluded_inventions": len(concluded), "granted_inventions": granted,
            "grant_rate": None if rate is None else round(rate, 4), "withdrawn": int(withdrawn),
            "withdrawn_share": round(share, 4), "low_grant_rate": low_grant,
            "many_withdrawn": many_withdrawn}


# --- applicant_mismatch ----------------------------------------------------------------------------------------------

def applicant_mismatch(ctx: RuleContext) -> list[Flag]:
    """Many inventions across unrelated fields from an individual or a shell company within the window.

    A shell company (our definition): an enterprise applicant that is not in the enterprise directory, has no
    recognition dated on or before as_of, and filed nothing (as any applicant, anywhere in the warehouse) before
    the window.  Fields: the IPC section (first letter, A–H) of each invention's main class."""
    t = _thresholds(ctx, "applicant_mismatch")
    apps = ctx.applications()
    start, end = _window(ctx.as_of, int(t["window_days"]))
    inv = apps[(apps.patent_type == "invention") & (apps.filing_date >= start)
               & apps.applicant_type.isin(("individual", "enterprise"))]
    inv = inv.assign(section=inv.ipc_main.fillna("").str.strip().str[:1].str.upper())
    candidates: dict[str, pd.DataFrame] = {}
    for applicant, rows in inv.groupby("applicant"):
        sections = set(rows.section) & set(SECTIONS)
        if len(rows) >= t["min_inventions"] and len(sections) >= t["min_sections"]:
            candidates[applicant] = rows
    shells = _shell_reasons(ctx, [a for a, r in candidates.items() if r.applicant_type.iloc[0] == "enterprise"],
                            start)
    flags: list[Flag] = []
    for applicant, rows in candidates.items():
        kind = rows.applicant_type.iloc[0]
        if kind == "enterprise" and applicant not in shells:
            continue
        counts = rows[rows.section.isin(list(SECTIONS))].section.value_counts()
        evidence = {"applicant": applicant, "applicant_name": rows.applicant_name.iloc[0], "applicant_type": kind,
                    "kind": "individual" if kind == "individual" else "shell", "shell": shells.get(applicant),
                    "window_start": start.isoformat(), "window_end": end.isoformat(), "inventions": len(rows),
                    "sections": {s: int(counts[s]) for s in sorted(counts.index)},
                    "applications": sorted(rows.app_no), "thresholds": t}
        name, fields = evidence["applicant_name"], "、".join(evidence["sections"])
        who = ("个人", "an individual") if kind == "individual" else ("疑似空壳企业", "a suspected shell company")
        days = int(t["window_days"])
        summary = (f"{who[0]}{name}在{days}天内提交{len(rows)}件发明申请，横跨{len(counts)}个IPC部（{fields}）",
                   f"{who[1]}, {name}, filed {len(rows)} inventions in {days} days across {len(counts)} IPC "
                   f"sections ({', '.join(evidence['sections'])})")
        flags += [Flag(app, "applicant_mismatch", evidence, summary) for app in sorted(rows.app_no)]
    return sorted(flags, key=lambda f: f.app_no)


def _shell_reasons(ctx: RuleContext, names: list[str], start: date) -> dict[str, dict]:
    """{name: why it is a shell} for the enterprises among ``names`` that are shells (see applicant_mismatch)."""
    if not names:
        return {}
    listed = set()
    if ctx.has("enterprises"):
        ent = ctx.con.table("enterprises")
        listed = set(ent.filter(ent.name_norm.isin(names)).select("name_norm").to_pandas().name_norm)
    recognised = set()
    if ctx.has("recognitions"):
        rec = ctx.con.table("recognitions")
        rec = rec.filter(rec.name_norm.isin(names), rec.recognised_date <= ctx.as_of)
        recognised = set(rec.select("name_norm").to_pandas().name_norm)
    parties, apps = ctx.con.table("parties"), ctx.con.table("applications")
    earlier = parties.filter(parties.name_norm.isin(names)).join(apps, "app_no")
    earlier = set(earlier.filter(earlier.filing_date < start).select("name_norm").to_pandas().name_norm)
    return {n: {"in_directory": False, "recognitions": 0, "filed_before_window": False}
            for n in names if n not in listed | recognised | earlier}


# --- transfer_after_grant --------------------------------------------------------------------------------------------

# Labels of the new owner in transfer texts: CNIPA's gazette (变更后权利人, under 变更事项：专利权人 or 专利申请权人),
# PatSnap's and incoPat's change records (变更后, 受让人, 转让后权利人 ...).  Longest first so that 变更后权利人 wins
# over 变更后.
_NEW_OWNER = ("变更后专利权人", "变更后申请人", "变更后权利人", "转让后权利人", "新专利权人", "新权利人", "受让方",
              "受让人", "变更后")
_OTHER_LABELS = ("变更前专利权人", "变更前申请人", "变更前权利人", "转让前权利人", "原专利权人", "原权利人",
                 "转让方", "转让人", "出让人", "变更前", "变更事项", "登记生效日", "生效日", "专利号", "申请号",
                 "IPC(主分类)", "地址", "事务数据", "法律状态")
_LABEL = re.compile("(" + "|".join(re.escape(x) for x in sorted(_NEW_OWNER + _OTHER_LABELS, key=len, reverse=True))
                    + r")\s*[:：]")
_PARTY_SPLIT = re.compile(r"[;；、，]")  # not ",": "Acme Co., Ltd." is one party
_OWNER_ITEMS = ("专利权人", "专利申请人", "申请人", "权利人", "专利申请权人")


def transferee(raw_text: str | None) -> str | None:
    """The (first) new owner that a transfer event's text names, normalised; None when the text names none
    (a bare "专利权的转移").  Under CNIPA's 变更事项 headings only the owner change counts, not an address change."""
    if not raw_text:
        return None
    found = list(_LABEL.finditer(raw_text))
    stops = [m.start() for m in found[1:]] + [len(raw_text)] * bool(found)
    pairs = [(m.group(1), raw_text[m.end():stop].strip()) for m, stop in zip(found, stops, strict=True)]
    item = None
    for label, value in pairs:
        if label == "变更事项":
            item = value
        elif label in _NEW_OWNER and (item is None or item.startswith(_OWNER_ITEMS)):
            party = next((p.strip() for p in _PARTY_SPLIT.split(value) if p.strip()), "")
            party = party.split()[0] if party and re.match(r"[\u4e00-\u9fff]", party) else party
            if party:
                return normalize_name(party)
    return None


def transfer_after_grant(ctx: RuleContext) -> list[Flag]:
    """A patentee's patents transferred soon after grant, many within the window, to several parties.

    Counted: patents (first applicant = the patentee) with a transfer dated in the window and 0..days_after_grant
    days after the grant.  Parties: the distinct new owners the transfer texts name (transferee()); a text naming
    none is a transfer to an unknown party, never a new party; the patentee itself is no other party."""
    t = _thresholds(ctx, "transfer_after_grant")
    apps = ctx.applications()
    start, end = _window(ctx.as_of, int(t["window_days"]))
    ev, grants = _events(ctx), _grants(ctx)
    moves = ev[(ev.event_type == "transfer") & (ev.event_date >= start) & ev.app_no.isin(grants)]
    owner = apps.set_index("app_no")
    rows = []
    for move in moves.itertuples():
        granted = grants[move.app_no]
        days = (move.event_date - granted).days
        if 0 <= days <= t["days_after_grant"]:
            rows.append({"app_no": move.app_no, "patentee": owner.at[move.app_no, "applicant"],
                         "granted": granted.isoformat(), "transferred": move.event_date.isoformat(), "days": days,
                         "party": transferee(move.raw_text)})
    flags: list[Flag] = []
    for patentee, group in pd.DataFrame(rows, columns=["app_no", "patentee"]).groupby("patentee"):
        patents = sorted(set(group.app_no))
        mine = [r for r in rows if r["patentee"] == patentee]
        parties = sorted({r["party"] for r in mine if r["party"] and r["party"] != patentee})
        if len(patents) < t["min_transfers"] or len(parties) < t["min_transferees"]:
            continue
        name = owner.at[patents[0], "applicant_name"]
        evidence = {"patentee": patentee, "patentee_name": name, "window_start": start.isoformat(),
                    "window_end": end.isoformat(), "patents": len(patents), "parties": parties,
                    "unknown_parties": sum(1 for r in mine if not r["party"]),
                    "transfers": [{k: r[k] for k in ("app_no", "granted", "transferred", "days", "party")}
                                  for r in sorted(mine, key=lambda r: (r["transferred"], r["app_no"]))],
                    "thresholds": t}
        summary = (f"{name}的{len(patents)}件专利在授权后{int(t['days_after_grant'])}天内转让给{len(parties)}方",
                   f"{len(patents)} patents of {name} transferred within {int(t['days_after_grant'])} days of grant "
                   f"to {len(parties)} parties")
        flags += [Flag(app, "transfer_after_grant", evidence, summary) for app in patents]
    return sorted(flags, key=lambda f: f.app_no)


# --- withdrawn_after_subsidy -----------------------------------------------------------------------------------------

def _payments(ctx: RuleContext) -> pd.DataFrame:
    """Paid subsidies of the region's applications (item, app_no, amount, paid), paid on or before as_of."""
    cols = ["item", "app_no", "amount", "paid"]
    apps = ctx.applications()
    if not ctx.has("subsidy_ledger") or apps.empty:
        return pd.DataFrame(columns=cols)
    led = ctx.con.table("subsidy_ledger")
    led = led.filter(led.status.isin(PAID), led.app_no.notnull(), led.paid_at.notnull(),
                     led.paid_at.date() <= ctx.as_of)
    led = led.semi_join(ibis.memtable({"app_no": list(apps.app_no)}), "app_no")
    frame = led.select("item", "app_no", amount=led.approved_yuan.fill_null(led.computed_yuan),
                       paid=led.paid_at.date()).to_pandas()
    frame["paid"] = pd.to_datetime(frame["paid"]).dt.date
    return frame[cols]


def _standing_ends(ctx: RuleContext, apps: set[str]) -> pd.DataFrame:
    """The end events (ENDED) of ``apps`` that still stand on as_of: none is followed by a restoration dated after it
    and on or before as_of (a same-day restoration leaves the end standing, as in _outcomes).  Sorted by app_no,
    event_date, event_type."""
    ev = _events(ctx)
    ends = ev[ev.event_type.isin(ENDED) & ev.app_no.isin(apps)]
    restored = ends.app_no.map(_restorations(ctx))
    return ends[restored.isna() | (ends.event_date >= restored)]


def withdrawn_after_subsidy(ctx: RuleContext) -> list[Flag]:
    """An application withdrawn, deemed withdrawn or surrendered 0..days_after_payment days after a subsidy for it
    was paid (the payment day itself counts), and not restored since (a restoration dated after the end, on or
    before as_of, makes it pending again: no flag).  No subsidy ledger: no flags.  One flag per application, on its
    earliest end after a payment; every such payment is listed."""
    limit = int(ctx.config.rule("withdrawn_after_subsidy")["days_after_payment"])
    pays = _payments(ctx)
    if pays.empty:
        return []
    ends = _standing_ends(ctx, set(pays.app_no))
    # each payment with the first standing end on or after its day: one merge, not a filter per payment
    pairs = pays.reset_index(drop=True).rename_axis("payment").reset_index().merge(
        ends[["app_no", "event_date", "event_type"]], on="app_no")
    pairs = pairs[pairs.event_date >= pairs.paid].sort_values(["payment", "event_date", "event_type"])
    pairs = pairs.drop_duplicates("payment")
    pairs = pairs.assign(days=[(e - p).days for e, p in zip(pairs.event_date, pairs.paid, strict=True)])
    flags: list[Flag] = []
    for app, paid in pairs[pairs.days <= limit].groupby("app_no"):
        hits = [{"item": pay.item, "amount": f"{float(pay.amount):.2f}", "paid": pay.paid.isoformat(),
                 "end_event": pay.event_type, "end_date": pay.event_date.isoformat(), "days": int(pay.days)}
                for pay in paid.itertuples()]
        hits.sort(key=lambda h: (h["days"], h["paid"], h["item"]))
        first = hits[0]
        evidence = {**first, "payments": hits, "thresholds": {"days_after_payment": limit}}
        summary = (f"资助（{first['item']}，{first['amount']}元）于{first['paid']}拨付，{first['days']}天后"
                   f"{END_WORDS[first['end_event']][0]}",
                   f"subsidy {first['item']} ({first['amount']} yuan) paid {first['paid']}, "
                   f"{END_WORDS[first['end_event']][1]} {first['days']} days later")
        flags.append(Flag(app, "withdrawn_after_subsidy", evidence, summary))
    return flags
