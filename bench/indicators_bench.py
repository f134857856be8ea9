"""Indicators benchmark: every indicator for every town and every industry as of one date.

For each size: generate the synthetic demo world, import all its files, then in fresh processes
  1. hvpatent's Ibis expressions on the DuckDB warehouse (all indicators × {town, industry}),
  2. the same core computation written as plain pandas (tables read into DataFrames, legal state,
     high-value criteria and the flow indicators computed with pandas operations),
and print seconds and peak memory (RSS) of each, and whether the two agree on the indicators both
compute.

    python bench/indicators_bench.py --applications 1000000 5000000 --workdir /var/tmp/hvbench
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from import_bench import _peak_mib, _run  # each phase in its own process, peak RSS

BYS = ("town", "industry")
REGION = "500118"


def _build(out: str, db: str, n: int, queue) -> None:
    from hvpatent.demo import generate_demo
    from hvpatent.ingest import import_file
    from hvpatent.warehouse.store import Warehouse

    start = time.perf_counter()
    files = generate_demo(Path(out), applications=n, seed=7, comparison=0)
    with Warehouse(db) as wh:
        for path in files:
            import_file(wh, path)
    queue.put(time.perf_counter() - start)


# -- hvpatent (Ibis on DuckDB) ----------------------------------------------------------------
def _ibis(db: str, as_of: str, queue) -> None:
    from hvpatent.indicators import INDICATORS, Context, grouped_values
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(db, read_only=True) as wh:
        start = time.perf_counter()
        ctx = Context.create(wh.ibis(), date.fromisoformat(as_of), "year", REGION)
        results = {}
        for by in BYS:
            for key in INDICATORS:
                rows = grouped_values(ctx, key, by).to_pyarrow().to_pylist()
                results[(by, key)] = {r["group"]: r["value"] for r in rows}
        queue.put((time.perf_counter() - start, _peak_mib(), results))


# -- plain pandas ------------------------------------------------------------------------------
def _add_years(days, years):
    import pandas as pd

    year = days.dt.year + years
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    day = days.dt.day.where(~((days.dt.month == 2) & (days.dt.day == 29) & ~leap), 28)
    return pd.to_datetime({"year": year, "month": days.dt.month, "day": day})


def _add_months(days, months: int):
    import pandas as pd

    total = days.dt.year * 12 + days.dt.month - 1 + months
    year, month = total // 12, total % 12 + 1
    first = pd.to_datetime({"year": year, "month": month, "day": 1})
    return first + pd.to_timedelta(days.dt.day.clip(upper=first.dt.days_in_month) - 1, unit="D")


def _whole_years(start, end):
    years = end.dt.year - start.dt.year
    return years - (_add_years(start, years) > end).astype(int)


def _rule_matches(ipcs, texts, rules):
    """(app_no, code) for IPC codes matching a rule: prefix, no exclusion, keyword if any."""
    import pandas as pd

    rules = rules.reset_index(drop=True).assign(rule_id=lambda r: r.index)
    ipcs = ipcs.assign(ipc_class=ipcs.ipc.str[:3])
    cand = ipcs.merge(rules, on="ipc_class")
    # A prefix ending in '$' names one exact code (reference/classification.EXACT): compare with ipc + '$'.
    cand = cand.assign(ipc_end=cand.ipc + "$")
    keep = pd.Series(False, index=cand.index)
    for length in cand.ipc_prefix.str.len().unique():
        sel = cand.ipc_prefix.str.len() == length
        keep |= sel & (cand.ipc_end.str[:length] == cand.ipc_prefix)
    cand = cand[keep]
    excl = cand[cand.exclude_prefixes.notna()].assign(excluded=lambda c: c.exclude_prefixes.str.split(";"))
    excl = excl.explode("excluded")
    hit = pd.Series(False, index=excl.index)
    for length in excl.excluded.str.len().unique():
        sel = excl.excluded.str.len() == length
        hit |= sel & (excl.ipc_end.str[:length] == excl.excluded)
    bad = excl[hit][["app_no", "ipc", "rule_id"]].drop_duplicates()
    cand = cand.merge(bad, on=["app_no", "ipc", "rule_id"], how="left", indicator=True)
    cand = cand[cand._merge == "left_only"].drop(columns="_merge")
    plain = cand[cand.keywords.isna()]
    worded = cand[cand.keywords.notna()].assign(keyword=lambda c: c.keywords.str.split(";")).explode("keyword")
    worded = worded.merge(texts, on="app_no")
    worded = worded[[k in t for k, t in zip(worded.keyword, worded.text, strict=True)]]
    return pd.concat([plain[["app_no", "code"]], worded[["app_no", "code"]]]).drop_duplicates()


def _pandas(db: str, as_of_text: str, queue) -> None:
    import duckdb
    import pandas as pd

    from hvpatent.indicators.base import industries
    from hvpatent.indicators.config import high_value_settings

    start = time.perf_counter()
    con = duckdb.connect(db, read_only=True)
    read = lambda sql: con.execute(sql).df()  # noqa: E731 - the pandas way: pull tables, then compute
    apps = read("SELECT app_no, patent_type, filing_date, family_id, title, abstract FROM applications")
    parties = read("SELECT app_no, seq, name_norm, province_code, city_code, county_code, town_code FROM parties")
    assigned = read("SELECT name_norm, town_code FROM applicant_towns")
    directory = read("SELECT name_norm, town_code FROM enterprises WHERE town_code IS NOT NULL")
    events = read("SELECT app_no, event_date, event_type, effective_date FROM legal_events")
    ipcs = read("SELECT app_no, ipc FROM ipc_classes")
    members = read("SELECT family_id, office, granted, grant_date FROM family_members")
    pledges = read("SELECT contract_no, app_no, amount_yuan::DOUBLE AS amount_yuan, registered_date FROM pledges")
    awards = read("SELECT app_no, award, year FROM awards")
    population = read("SELECT region_code, year, population FROM population")
    sei_rules = read("SELECT code, ipc_prefix, ipc_class, exclude_prefixes, keywords FROM sei_rules")
    con.close()
    for frame, cols in ((apps, ["filing_date"]), (events, ["event_date", "effective_date"]), (members, ["grant_date"]),
                        (pledges, ["registered_date"])):
        for col in cols:
            frame[col] = pd.to_datetime(frame[col])
    day = pd.Timestamp(as_of_text)
    year_start = pd.Timestamp(day.year, 1, 1)
    settings = high_value_settings()

    # first applicant in the region, moved to an assigned town, or to the directory's town where the address
    # agrees with it at every level it resolved
    first = parties[parties.seq == 1]
    over = pd.concat([assigned.assign(forced=True),
                      directory[~directory.name_norm.isin(assigned.name_norm)].assign(forced=False)])
    first = first.merge(over.rename(columns={"town_code": "o_town"}), on="name_norm", how="left")
    chain = {"province_code": first.o_town.str[:2] + "0000", "city_code": first.o_town.str[:4] + "00",
             "county_code": first.o_town.str[:6], "town_code": first.o_town}
    fits = pd.Series(True, index=first.index)
    for column in ("province_code", "city_code", "county_code"):
        fits &= first[column].isna() | (first[column] == chain[column])
    applies = first.o_town.notna() & (first.forced.fillna(False).astype(bool) | fits)
    for column, value in chain.items():
        first[column] = value.where(applies, first[column])
    first = first[first.county_code == REGION][["app_no", "town_code"]]
    apps = apps[apps.filing_date <= day].merge(first, on="app_no")

    # legal state: only what the indicators need
    known = events[events.event_date <= day]
    firsts = known.pivot_table(index="app_no", columns="event_type", values="event_date", aggfunc="min")
    # restorations count whenever made (hindsight: the restored right never ended)
    restored = events[events.event_type == "restoration"].groupby("app_no").event_date.max().rename("restored")
    lapses = events[events.event_type == "annuity_lapse"].merge(apps[["app_no", "filing_date"]], on="app_no")
    less_grace = _add_months(lapses.event_date, -settings_grace())
    derived = _add_years(lapses.filing_date, _whole_years(lapses.filing_date, less_grace))
    lapses["effective"] = lapses.effective_date.fillna(derived)
    lapse = lapses[lapses.effective <= day].groupby("app_no").effective.max().rename("lapse_due")
    s = apps.set_index("app_no")
    for col in ("granted", "withdrawn", "deemed_withdrawn", "rejected", "invalidated_full", "surrendered",
                "expiry"):
        s[col] = firsts.get(col, pd.NaT)
    s = s.join(restored).join(lapse)
    active = s.lapse_due.notna() & (s.restored.isna() | (s.restored < s.lapse_due))
    s["lapse_due"] = s.lapse_due.where(active)
    grace_end = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    grace_end[active] = _add_months(s.lapse_due[active], 6)
    s["term_end"] = _add_years(s.filing_date, s.patent_type.map({"invention": 20, "utility_model": 10}).fillna(15)
                               .astype(int))
    granted = s.granted.notna()
    in_force = granted & s.invalidated_full.isna() & s.surrendered.isna() & (
        (s.lapse_due.notna() & (day <= grace_end)) | (s.lapse_due.isna() & (day < s.term_end) & s.expiry.isna()))
    inventions = s[s.patent_type == "invention"]
    valid = inventions[in_force[inventions.index]]

    # high-value criteria
    texts = apps.assign(text=apps.title.fillna("") + " " + apps.abstract.fillna(""))[["app_no", "text"]]
    sei = set(_rule_matches(ipcs, texts, sei_rules).app_no)
    abroad = members[members.granted & ~members.office.isin(settings.domestic_offices)
                     & (members.grant_date.isna() | (members.grant_date <= day))]
    family = set(apps[apps.family_id.isin(abroad.family_id)].app_no)
    maintained = set(valid.index[day > _add_years(valid.filing_date, settings.maintained_years)])
    pl = pledges[pledges.registered_date <= day]
    pl = pl.assign(share=pl.amount_yuan / pl.groupby("contract_no").app_no.transform("nunique"))
    totals = pl.groupby("app_no").share.sum()
    pledge_high = set(totals[totals >= settings.pledge_threshold_yuan].index)
    won = awards[awards.award.apply(lambda a: any(n in a for n in settings.awards)) & (awards.year <= day.year)]
    award = set(won.app_no)
    criteria = {"sei": sei, "family_abroad": family, "maintained_10y": maintained, "pledge_high": pledge_high,
                "award": award}

    rules = pd.DataFrame([r.as_row() for i in industries() for r in i.rules])
    member_rows = _rule_matches(ipcs, texts, rules).rename(columns={"code": "industry"})

    def in_period(col):
        return s[col].between(year_start, day)

    record_sets = {
        "valid_inventions": set(valid.index),
        "high_value_inventions": set(valid.index) & set().union(*criteria.values()),
        **{f"high_value_{c}": set(valid.index) & members_ for c, members_ in criteria.items()},
        "invention_applications": set(inventions.index[in_period("filing_date")[inventions.index]]),
        "invention_grants": set(inventions.index[in_period("granted")[inventions.index]]),
        "maintainable_inventions": set(inventions.index[granted[inventions.index]
                                                        & (inventions.term_end > day)]),
    }
    towns = s.town_code
    results = {}
    for key, app_nos in record_sets.items():
        chosen = pd.Index(sorted(app_nos))
        results[("town", key)] = towns[chosen].dropna().value_counts().astype(float).to_dict()
        per_industry = member_rows[member_rows.app_no.isin(chosen)].drop_duplicates()
        results[("industry", key)] = per_industry.industry.value_counts().astype(float).to_dict()
    pledged = pledges[pledges.registered_date.between(year_start, day)].merge(
        apps[["app_no", "town_code"]], on="app_no")
    results[("town", "pledge_count")] = pledged.groupby("town_code").contract_no.nunique().astype(float).to_dict()
    pop_year = day.year if (day.month, day.day) == (12, 31) else day.year - 1
    pop = population[(population.year <= pop_year) & (population.region_code.str.len() == 12)]
    pop = pop.sort_values("year").groupby("region_code").population.last()
    valid_by_town = pd.Series(results[("town", "valid_inventions")])
    per_10k = (valid_by_town.reindex(pop.index).fillna(0) / pop * 10_000)
    results[("town", "valid_inventions_per_10k")] = per_10k.to_dict()
    queue.put((time.perf_counter() - start, _peak_mib(), results))


def settings_grace() -> int:
    from hvpatent.reference.fees import default_rules

    return default_rules().grace_period_months


def _agreement(ibis_results: dict, pandas_results: dict) -> tuple[int, list[str]]:
    same, differ = 0, []
    for slot, expected in pandas_results.items():
        got = {g: v for g, v in ibis_results[slot].items() if g is not None}
        exp = {g: v for g, v in expected.items() if g is not None and v}
        got = {g: v for g, v in got.items() if v}
        if got.keys() == exp.keys() and all(abs(got[g] - exp[g]) < 1e-6 for g in got):
            same += 1
        else:
            differ.append(f"{slot[0]}:{slot[1]}")
    return same, differ


def main() -> None:
    import functools

    global print
    print = functools.partial(print, flush=True)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--as-of", default="2024-06-30")
    parser.add_argument("--workdir", default=None, help="keep (and reuse) the worlds here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.workdir or tmp)
        for n in args.applications:
            folder = work / f"world-{n}"
            db = folder / "bench.duckdb"
            if not db.exists():
                build_s = _run(_build, str(folder / "files"), str(db), n)
                print(f"{n:>10,} applications: generated and imported in {build_s:.0f} s")
            ib_s, ib_mib, ib = _run(_ibis, str(db), args.as_of)
            cells = sum(len(v) for v in ib.values())
            print(f"{n:>10,}  hvpatent (Ibis/DuckDB): {len(ib)} indicator breakdowns, {cells:,} figures "
                  f"in {ib_s:7.1f} s, peak {ib_mib:7.0f} MiB")
            pd_s, pd_mib, pdr = _run(_pandas, str(db), args.as_of)
            same, differ = _agreement(ib, pdr)
            print(f"{n:>10,}  plain pandas:           {len(pdr)} indicator breakdowns (the core ones) "
                  f"in {pd_s:7.1f} s, peak {pd_mib:7.0f} MiB")
            print(f"            agreement on the breakdowns both compute: {same}/{len(pdr)}"
                  + (f"; differ: {', '.join(differ)}" if differ else ""))


if __name__ == "__main__":
    main()
