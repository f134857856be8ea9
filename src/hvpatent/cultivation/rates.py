"""Historical rates learned from the warehouse: how often each kind of action succeeded before
(docs/cultivation.md, "Historical rates").  Each rate comes with its method and the number of cases.

The history read is the ``history_years`` (cultivation.yaml) before the as-of date; with fewer than
``minimum_cases`` cases a rate is still given from what there is, and with none the configured default is
used (the method says which).
"""

from __future__ import annotations

import bisect
from datetime import date

import ibis

from hvpatent import i18n
from hvpatent.cultivation.config import CultivationSettings, cultivation_settings
from hvpatent.indicators import ALL_APPLICANTS, high_value_settings
from hvpatent.indicators.base import first_applicants, has_table, in_region
from hvpatent.indicators.highvalue import pledge_totals
from hvpatent.legal import legal_state
from hvpatent.legal.state import lapse_effective_dates
from hvpatent.reference.fees import default_rules

CONCLUDED_OTHER = ("rejected", "withdrawn", "deemed_withdrawn")


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February falls on 28 February in a common year (legal.state.add_years)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _rate(successes: int, cases: int, default_key: str, settings: CultivationSettings,
          method_zh: str, method_en: str) -> dict:
    if cases == 0:
        value = settings.defaults.get(default_key)
        return {"rate": value, "n": 0, "successes": 0,
                "method": i18n.say(f"数据仓库中没有可学习的历史，采用配置默认值 {value}（{method_zh}）",
                               f"no history in the warehouse: configured default {value} ({method_en})")}
    few = cases < settings.minimum_cases
    caveat = i18n.say(f"；样本少于 {settings.minimum_cases} 件，仅供参考", f"; fewer than {settings.minimum_cases} "
                  "cases, indicative only") if few else ""
    return {"rate": successes / cases, "n": cases, "successes": successes,
            "method": i18n.say(f"{method_zh}：{successes}/{cases}{caveat}",
                               f"{method_en}: {successes}/{cases}{caveat}")}


def _annuities(con: ibis.BaseBackend, as_of: date, settings: CultivationSettings) -> tuple[int, int]:
    """(paid, due) of the annuities of granted inventions due in the history years, outcome known by as_of.

    Each year Y: the inventions in force on 1 January of Y with their filing anniversary in Y before the end of
    term; unpaid when an annuity lapse took effect on that anniversary and no restoration followed.  Only
    anniversaries whose grace period and restoration window (6 + 3 months) are over by the as-of date."""
    rules = default_rules()
    events = con.table("legal_events")
    apps = con.table("applications").filter(lambda t: t.patent_type == "invention").select("app_no", "filing_date")
    lapses = lapse_effective_dates(events, apps, rules).to_pyarrow().to_pylist()
    restored = events.filter(events.event_type == "restoration").group_by("app_no").aggregate(
        last=events.event_date.max()).to_pyarrow().to_pylist()
    last_restoration = {r["app_no"]: r["last"] for r in restored}
    unpaid = {(r["app_no"], r["effective"]) for r in lapses
              if r["effective"] is not None and not (last_restoration.get(r["app_no"])
                                                     and last_restoration[r["app_no"]] >= r["effective"])}
    known_by = add_months(as_of, -(rules.grace_period_months + 3))
    paid = due = 0
    for year in range(as_of.year - settings.history_years, as_of.year + 1):
        start = date(year, 1, 1)
        if start > known_by:
            break
        states = legal_state(con, start, annuity=False)
        valid = states.filter((states.patent_type == "invention") & states.state.isin(("valid", "grace"))
                              & states.grant_date.notnull())
        for r in valid.select("app_no", "filing_date", "term_end").to_pyarrow().to_pylist():
            anniversary = add_years(r["filing_date"], year - r["filing_date"].year)
            if anniversary < start or anniversary > known_by or anniversary >= r["term_end"]:
                continue
            due += 1
            paid += (r["app_no"], anniversary) not in unpaid
    return paid, due


def annuities_due(filing_date: date, term_end: date | None, state: str | None, as_of: date, deadline: date) -> int:
    """The annuities a patent must still pay to stay in force on the deadline: its filing anniversaries from the
    as-of date to the deadline, both included, before the end of its term (an annuity is due on each anniversary,
    and an unpaid one ends the right retroactively on its due date), and one more when it is in its grace period
    (the annuity already due and still unpaid)."""
    due = int(state == "grace")
    for k in range(1, 21):
        day = add_years(filing_date, k)
        if day > deadline or (term_end is not None and day >= term_end):
            break
        due += day >= as_of
    return due


def survival(rate: float | None, due: int) -> float:
    """P(every one of ``due`` annuities is paid) at the annuity-paid ``rate`` (none known: 1)."""
    return 1.0 if rate is None else float(rate) ** due


def annuity_rate(con: ibis.BaseBackend, as_of: date) -> dict:
    """{rate, n, successes, method} of the annuities paid (historical_rates' ``keep_alive``)."""
    settings = cultivation_settings()
    paid, due = _annuities(con, as_of, settings)
    years = settings.history_years
    return _rate(paid, due, "annuity_paid", settings,
                 f"近{years}年授权发明专利到期年费中按期或在滞纳期内缴纳（未因欠费终止）的比例",
                 f"share of the annuities of granted inventions due in the last {years} years that were paid "
                 "(on time or within the grace period: no lapse took effect)")


def _restorations(con: ibis.BaseBackend, as_of: date, settings: CultivationSettings) -> tuple[int, int]:
    """(restored, lapsed): invention lapses announced in the history years whose restoration window is over."""
    rules = default_rules()
    events = con.table("legal_events")
    apps = con.table("applications").filter(lambda t: t.patent_type == "invention").select("app_no", "filing_date")
    lapses = events.filter(events.event_type == "annuity_lapse").semi_join(apps, "app_no")
    lapses = lapses.filter(lapses.event_date >= ibis.date(add_years(as_of, -settings.history_years)))
    effective = lapse_effective_dates(lapses, apps, rules).to_pyarrow().to_pylist()
    restored = events.filter(events.event_type == "restoration").select("app_no", "event_date").to_pyarrow()
    by_app: dict[str, list[date]] = {}
    for r in restored.to_pylist():
        by_app.setdefault(r["app_no"], []).append(r["event_date"])
    done = cases = 0
    for r in effective:
        window_end = add_months(r["effective"], rules.grace_period_months + 3)
        if window_end >= as_of:
            continue
        cases += 1
        done += any(d >= r["effective"] and d <= as_of for d in by_app.get(r["app_no"], []))
    return done, cases


def _first_dates(con: ibis.BaseBackend, types: tuple[str, ...]) -> ibis.expr.types.Table:
    events = con.table("legal_events")
    chosen = events.filter(events.event_type.isin(list(types)))
    return chosen.group_by("app_no").aggregate(day=ibis.coalesce(chosen.effective_date, chosen.event_date).min())


def grant_model(con: ibis.BaseBackend, as_of: date, region: str | None = None,
                settings: CultivationSettings | None = None) -> dict:
    """What the grant-time distribution is learned from: the filing→grant days of the region's inventions granted
    in the history years (sorted), the filing→conclusion days of those refused or withdrawn then, and the grant
    share of the examinations concluded."""
    settings = settings or cultivation_settings()
    since = ibis.date(add_years(as_of, -settings.history_years))
    apps = con.table("applications").filter(lambda t: t.patent_type == "invention").select("app_no", "filing_date")
    apps = apps.semi_join(in_region(first_applicants(con), region or ALL_APPLICANTS), "app_no")
    granted = _first_dates(con, ("granted",))
    other = _first_dates(con, CONCLUDED_OTHER).anti_join(granted, "app_no")

    def days(table) -> list[int]:
        t = table.join(apps, "app_no")
        t = t.filter((t.day >= since) & (t.day <= ibis.date(as_of)))
        return sorted((r["day"] - r["filing_date"]).days
                      for r in t.select("day", "filing_date").to_pyarrow().to_pylist())

    grant_days, other_days = days(granted), days(other)
    concluded = len(grant_days) + len(other_days)
    share = _rate(len(grant_days), concluded, "grant", settings,
                  f"近{settings.history_years}年审结的发明申请中授权的比例",
                  f"share granted among invention examinations concluded in the last {settings.history_years} years")
    return {**share, "grant_days": grant_days, "other_days": other_days}


def _cdf(sorted_days: list[int], day: int) -> float:
    return bisect.bisect_right(sorted_days, day) / len(sorted_days) if sorted_days else 0.0


def grant_probability(model: dict, age_now: int, age_deadline: int) -> float:
    """P(granted by the deadline | still pending now) for an application ``age_now`` days after filing:
    p·(F(b) − F(a)) / (p·(1 − F(a)) + (1 − p)·(1 − G(a))), with p the grant share, F the filing→grant and G the
    filing→refusal/withdrawal distributions, a and b the ages now and on the deadline."""
    p = model["rate"]
    grants, others = model["grant_days"], model["other_days"]
    if p is None or not grants:
        return 0.0
    f_a, f_b = _cdf(grants, age_now), _cdf(grants, age_deadline)
    g_a = _cdf(others, age_now) if others else f_a
    still = p * (1 - f_a) + (1 - p) * (1 - g_a)
    return 0.0 if still <= 0 else max(0.0, min(1.0, p * (f_b - f_a) / still))


def _foreign_grants(con: ibis.BaseBackend, as_of: date) -> tuple[int, int]:
    """(granted, all) foreign family members of the warehouse's inventions: granted on or before as_of."""
    domestic = list(high_value_settings().domestic_offices)
    members = con.table("family_members")
    members = members.filter(~members.office.isin(domestic))
    apps = con.table("applications").filter(lambda t: (t.patent_type == "invention") & t.family_id.notnull())
    members = members.semi_join(apps.select("family_id"), "family_id")
    granted = members.granted & (members.grant_date.isnull() | (members.grant_date <= ibis.date(as_of)))
    row = members.aggregate(n=members.count(), g=granted.cast("int64").sum()).to_pyarrow().to_pylist()[0]
    return int(row["g"] or 0), int(row["n"] or 0)


def _pledges_reached(con: ibis.BaseBackend, as_of: date, settings: CultivationSettings) -> tuple[int, int]:
    """(reached, near): patents near the threshold one year before each history year-end day that reached it
    by that day (a one-year horizon), pooled over the history years."""
    hv = high_value_settings()
    low = settings.pledge_near_share * hv.pledge_threshold_yuan
    reached = near = 0
    for k in range(1, settings.history_years + 1):
        end = add_years(as_of, -k + 1)
        start = add_years(end, -1)
        before = pledge_totals(con, start, hv)
        before = before.filter((before.pledged_yuan >= low) & (before.pledged_yuan < hv.pledge_threshold_yuan))
        after = pledge_totals(con, end, hv)
        after = after.filter(after.pledged_yuan >= hv.pledge_threshold_yuan).select("app_no")
        near_ids = {r["app_no"] for r in before.select("app_no").to_pyarrow().to_pylist()}
        near += len(near_ids)
        reached += len(near_ids & {r["app_no"] for r in after.to_pyarrow().to_pylist()})
    return reached, near


def _awards(con: ibis.BaseBackend, as_of: date, settings: CultivationSettings) -> tuple[int, int]:
    """(awarded, eligible): patents given the award in each history year over the valid granted inventions at the
    end of the year before, pooled."""
    cycle = settings.award_cycle
    awards = con.table("awards")
    awards = awards.filter(awards.award.contains(cycle.award))
    awarded = eligible = 0
    for year in range(as_of.year - settings.history_years, as_of.year):
        states = legal_state(con, date(year - 1, 12, 31), annuity=False)
        valid = states.filter(states.patent_type.isin(list(cycle.patent_types)) & states.state.isin(("valid",
                                                                                                      "grace")))
        eligible += int(valid.count().execute())
        awarded += int(awards.filter(awards.year == year).semi_join(valid, "app_no").select("app_no").distinct()
                       .count().execute())
    return awarded, eligible


def historical_rates(con: ibis.BaseBackend, as_of: date, region: str | None = None) -> dict:
    """Per candidate kind, {rate, n, successes, method}: the share of such actions that succeeded before
    (module docstring); ``restorable`` besides (restoration after a lapse); pending_sei also carries the grant-time
    distribution (grant_days, other_days) learned from ``region``'s inventions."""
    settings = cultivation_settings()
    years = settings.history_years
    annuity = annuity_rate(con, as_of)
    restored, lapsed = _restorations(con, as_of, settings)
    granted, members = _foreign_grants(con, as_of) if has_table(con, "family_members") else (0, 0)
    reached, near = _pledges_reached(con, as_of, settings)
    awarded, eligible = _awards(con, as_of, settings)
    return {
        "keep_alive": annuity,
        "restorable": _rate(restored, lapsed, "restored", settings,
                            f"近{years}年因欠费终止的发明专利中请求恢复的比例",
                            f"share of the invention lapses of the last {years} years that were restored"),
        "milestone_10y": {**annuity, "method": i18n.say(
            "每笔年费按期缴纳的概率（同上）的（统计日至截止日）到期笔数次方；",
            "the annuity-paid rate (above) to the power of the annuities due from the as-of date to the deadline; ",
        ) + annuity["method"]},
        "pending_sei": grant_model(con, as_of, region, settings),
        "family_abroad": _rate(granted, members, "foreign_grant", settings,
                               "数据仓库中发明专利海外同族成员已授权的比例",
                               "share of the foreign family members of inventions in the warehouse granted"),
        "pledge_near": _rate(reached, near, "pledge_reached", settings,
                             f"近{years}年每年初接近质押门槛（≥{settings.pledge_near_share:.0%}）的专利一年内达到门槛的比例",
                             f"share of patents near the pledge threshold (≥{settings.pledge_near_share:.0%}) at "
                             f"the start of each of the last {years} years that reached it within the year"),
        "award_cycle": _rate(awarded, eligible, "award", settings,
                             f"近{years}年每届{settings.award_cycle.award}获奖专利占上年末有效专利的比例",
                             f"share of the valid patents at each year-end that won the {settings.award_cycle.award}"
                             f" the next year, last {years} years"),
    }


def plain_rates(rates: dict) -> dict:
    """The rates without the grant-time lists (for JSON and tables)."""
    return {kind: {k: v for k, v in r.items() if k not in ("grant_days", "other_days")} for kind, r in rates.items()}

