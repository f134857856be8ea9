"""Five core indicators written by hand in plain DuckDB SQL on the canonical tables: the yardstick that
hvpatent's Ibis expressions are timed and checked against (bench/scale_bench.py).

    python bench/reference_sql.py --db hvpatent.duckdb --as-of 2024-06-30 [--region 500118] [--by-county]

The indicators, for one region (or the domestic scope) at one date, or for every county at one date:
valid invention patents, valid inventions per 10,000 residents, high-value invention patents (the five
criteria of docs/indicators.md), invention applications and invention grants in the year to date.
The legal-state rules are those of legal/state.py (docs/legal-state.md), restated here for inventions:
events count from their effective date; a lapse's due date is stated or derived (the last filing
anniversary at least the grace period before the announcement); a restoration made at any time after the
due date cancels the lapse; the right stays in force through the grace period; the term ends 20 years
after filing unless an adjustment moves it; a status snapshot decides where the events after it are silent.
Only the numbers of the fee and high-value settings (thresholds, not logic) and the list of cities without
counties are read from hvpatent.
It prints nothing but figures; with --compare it prints hvpatent's beside them and any difference.
"""

from __future__ import annotations

import argparse
import time
from datetime import date

import duckdb

KEYS = ("valid_inventions", "valid_inventions_per_10k", "high_value_inventions", "invention_applications",
        "invention_grants")
COUNTS = ("valid_inventions", "high_value_inventions", "invention_applications", "invention_grants")
DECISIVE = ("granted", "annuity_lapse", "restoration", "withdrawn", "deemed_withdrawn", "rejected",
            "invalidated_full", "surrendered", "expiry", "ended")
OUTSIDE_MAINLAND = ("710000", "810000", "820000")


def _list(values) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _whole_years(start: str, end: str) -> str:
    """Completed years from start to end: the anniversary itself completes a year."""
    guess = f"(year({end}) - year({start}))"
    return f"({guess} - CASE WHEN {start} + to_years({guess}) > {end} THEN 1 ELSE 0 END)"


def _settings() -> dict:
    from hvpatent.indicators.config import high_value_settings
    from hvpatent.reference.fees import default_rules

    hv, fees = high_value_settings(), default_rules()
    return {"grace": fees.grace_period_months, "term": fees.term_years["invention"], "years": hv.maintained_years,
            "threshold": hv.pledge_threshold_yuan, "share": hv.pledge_basis == "per_patent_share",
            "awards": hv.awards, "domestic": hv.domestic_offices}


def core_sql(as_of: date, group: str) -> str:
    """One row per group (``group`` is an SQL expression over the first applicant's columns, or a
    constant) with the five indicators' numerators; the caller filters the scope with ``scope``."""
    s = _settings()
    d = f"DATE '{as_of.isoformat()}'"
    start = f"DATE '{as_of.year}-01-01'"
    award_match = " OR ".join(f"contains(award, '{name}')" for name in s["awards"])
    share = "CAST(amount_yuan AS DOUBLE) / patents" if s["share"] else "CAST(amount_yuan AS DOUBLE)"
    grace, term, years, threshold = s["grace"], s["term"], s["years"], s["threshold"]
    announced_less_grace = f"CAST(e.event_date - INTERVAL {grace} MONTH AS DATE)"
    lapse_due = (f"coalesce(e.effective_date, a.filing_date + to_years("
                 f"{_whole_years('a.filing_date', announced_less_grace)}))")
    return f"""
WITH apps AS (
  SELECT app_no, filing_date, family_id, title, abstract FROM applications
  WHERE patent_type = 'invention' AND filing_date <= {d}
), overrides AS (  -- assigned towns, then the enterprise directory's (reference/applicant_towns.py)
  SELECT name_norm AS o_name, town_code AS o_town, true AS o_forced FROM applicant_towns
  UNION ALL
  SELECT name_norm, town_code, false FROM enterprises
  WHERE town_code IS NOT NULL AND name_norm NOT IN (SELECT name_norm FROM applicant_towns)
), first_raw AS (
  SELECT p.app_no, p.province_code, p.city_code, p.county_code, p.town_code, o.o_town,
         o.o_town IS NOT NULL AND (o.o_forced OR (
           (p.province_code IS NULL OR p.province_code = substr(o.o_town, 1, 2) || '0000')
           AND (p.city_code IS NULL OR p.city_code = substr(o.o_town, 1, 4) || '00')
           AND (p.county_code IS NULL OR p.county_code = substr(o.o_town, 1, 6)))) AS moved
  FROM parties p LEFT JOIN overrides o ON p.name_norm = o.o_name WHERE p.seq = 1
), first AS (
  SELECT app_no,
    CASE WHEN moved THEN substr(o_town, 1, 2) || '0000' ELSE province_code END AS province_code,
    CASE WHEN moved THEN substr(o_town, 1, 4) || '00' ELSE city_code END AS city_code,
    CASE WHEN moved THEN substr(o_town, 1, 6) ELSE county_code END AS county_code,
    CASE WHEN moved THEN o_town ELSE town_code END AS town_code
  FROM first_raw
), ev AS (
  SELECT e.app_no, e.event_type, e.event_date, e.effective_date, coalesce(e.effective_date, e.event_date) AS eff
  FROM legal_events e JOIN apps USING (app_no)
), dates AS (
  SELECT app_no,
    min(eff) FILTER (WHERE event_type = 'granted') AS grant_date,
    -- what ends an application that was never granted (an expiry alone does not: legal/state.py _state)
    min(eff) FILTER (WHERE event_type IN ('withdrawn', 'deemed_withdrawn', 'rejected', 'surrendered',
                                          'invalidated_full', 'ended')) AS ending_date,
    min(eff) FILTER (WHERE event_type IN ('invalidated_full', 'surrendered', 'expiry', 'ended')) AS right_end,
    max(event_date) FILTER (WHERE event_type IN ({_list(DECISIVE)})) AS last_decisive
  FROM ev WHERE eff <= {d} GROUP BY app_no
), lapses AS (
  SELECT e.app_no, max({lapse_due}) AS due
  FROM ev e JOIN apps a USING (app_no) WHERE e.event_type = 'annuity_lapse' AND {lapse_due} <= {d}
  GROUP BY e.app_no
), restored AS (
  SELECT app_no, max(event_date) AS restored FROM ev WHERE event_type = 'restoration' GROUP BY app_no
), terms AS (
  SELECT app_no, max(effective_date) AS term_end FROM ev
  WHERE event_type = 'term_adjustment' AND effective_date IS NOT NULL GROUP BY app_no
), snap AS (
  SELECT app_no, snapshot_date, status FROM status_snapshots WHERE snapshot_date <= {d}
  QUALIFY snapshot_date = max(snapshot_date) OVER (PARTITION BY app_no)
), facts AS (
  SELECT a.app_no, a.filing_date, a.family_id, d.grant_date, d.ending_date, d.right_end, d.last_decisive,
    CASE WHEN l.due IS NOT NULL AND (r.restored IS NULL OR r.restored < l.due)
         THEN l.due + INTERVAL {grace} MONTH END AS grace_end,
    coalesce(t.term_end, a.filing_date + INTERVAL {term} YEAR) AS term_end,
    sn.snapshot_date, sn.status
  FROM apps a LEFT JOIN dates d USING (app_no) LEFT JOIN lapses l USING (app_no)
  LEFT JOIN restored r USING (app_no) LEFT JOIN terms t USING (app_no) LEFT JOIN snap sn USING (app_no)
), in_force AS (
  -- In force on the day: granted, not ended by a decisive event, not past the grace period of an
  -- uncancelled lapse, within the term; or, where no event after it speaks, shown in force by a snapshot
  -- (an application still pending by the events) within the term. A snapshot showing the right ended ends it.
  SELECT app_no, filing_date, family_id FROM facts
  WHERE CASE
    WHEN coalesce(last_decisive IS NULL OR last_decisive <= snapshot_date, false) AND status = 'ended'
         AND (grant_date IS NULL AND ending_date IS NULL OR grant_date IS NOT NULL AND right_end IS NULL
              AND grace_end IS NULL AND {d} < term_end)
      THEN false
    WHEN grant_date IS NULL
      THEN ending_date IS NULL AND coalesce(last_decisive IS NULL OR last_decisive <= snapshot_date, false)
           AND status = 'in_force' AND {d} < term_end
    ELSE right_end IS NULL AND (grace_end IS NULL OR {d} <= grace_end) AND {d} < term_end
  END
), sei AS (
  SELECT DISTINCT i.app_no FROM ipc_classes i JOIN in_force v USING (app_no)
  JOIN sei_rules r ON substr(i.ipc, 1, 3) = r.ipc_class AND starts_with(i.ipc || '$', r.ipc_prefix)
  JOIN applications a ON a.app_no = i.app_no
  WHERE NOT EXISTS (SELECT 1 FROM unnest(string_split(coalesce(r.exclude_prefixes, ''), ';')) x(p)
                    WHERE r.exclude_prefixes IS NOT NULL AND starts_with(i.ipc || '$', x.p))
    AND (r.keywords IS NULL OR EXISTS (
         SELECT 1 FROM unnest(string_split(r.keywords, ';')) k(w)
         WHERE contains(coalesce(a.title, '') || ' ' || coalesce(a.abstract, ''), k.w)))
), contracts AS (
  SELECT contract_no, count(DISTINCT app_no) AS patents FROM pledges WHERE registered_date <= {d}
  GROUP BY contract_no
), pledged AS (
  SELECT p.app_no FROM pledges p JOIN contracts USING (contract_no) WHERE p.registered_date <= {d}
  GROUP BY p.app_no HAVING sum({share}) >= {threshold}
), high_value AS (
  SELECT app_no FROM sei
  UNION SELECT v.app_no FROM in_force v JOIN family_members m ON v.family_id = m.family_id
    WHERE m.granted AND m.office NOT IN ({_list(s["domestic"])}) AND (m.grant_date IS NULL OR m.grant_date <= {d})
  UNION SELECT app_no FROM in_force WHERE {d} > filing_date + INTERVAL {years} YEAR
  UNION SELECT v.app_no FROM in_force v JOIN pledged USING (app_no)
  UNION SELECT v.app_no FROM in_force v JOIN awards w USING (app_no)
    WHERE ({award_match}) AND w.year <= {as_of.year}
), per_app AS (
  SELECT a.app_no,
    v.app_no IS NOT NULL AS valid, h.app_no IS NOT NULL AS high_value,
    a.filing_date BETWEEN {start} AND {d} AS applied,
    coalesce(d.grant_date BETWEEN {start} AND {d}, false) AS granted
  FROM apps a LEFT JOIN in_force v USING (app_no) LEFT JOIN high_value h USING (app_no)
  LEFT JOIN dates d USING (app_no)
)
SELECT {group} AS grp,
  count(*) FILTER (WHERE valid) AS valid_inventions,
  count(*) FILTER (WHERE high_value) AS high_value_inventions,
  count(*) FILTER (WHERE applied) AS invention_applications,
  count(*) FILTER (WHERE granted) AS invention_grants
FROM per_app JOIN first f USING (app_no)
WHERE {{scope}}
GROUP BY grp
"""


def _scope(region: str | None, column: str | None = None) -> str:
    if not region:  # the domestic scope of CNIPA's national figures
        return f"f.province_code IS NOT NULL AND f.province_code NOT IN ({_list(OUTSIDE_MAINLAND)})"
    return f"f.{column or _column(region)} = '{region}'"


def _column(code: str) -> str:
    if len(code) == 12:
        return "town_code"
    return "province_code" if code.endswith("0000") else "city_code" if code.endswith("00") else "county_code"


def _population_sql(as_of: date, codes: str) -> str:
    last_year = as_of.year if (as_of.month, as_of.day) == (12, 31) else as_of.year - 1
    return f"""
SELECT region_code, population FROM population p
WHERE year = (SELECT max(year) FROM population q WHERE q.region_code = p.region_code AND q.year <= {last_year})
  AND {codes}"""


def _rows(con, counts_sql: str, pop_sql: str) -> dict[str, dict]:
    rows = {r[0]: dict(zip(COUNTS, r[1:], strict=True)) for r in con.execute(counts_sql).fetchall()}
    people = dict(con.execute(pop_sql).fetchall())
    for code in set(people) - set(rows):
        rows[code] = dict.fromkeys(COUNTS, 0)
    for code, row in rows.items():
        pop = people.get(code)
        row["valid_inventions_per_10k"] = row["valid_inventions"] / pop * 10_000 if pop else None
    return rows


def region_figures(con: duckdb.DuckDBPyConnection, as_of: date, region: str | None = None) -> dict:
    """The five indicators for one region (None: the domestic scope) at one date."""
    sql = core_sql(as_of, "'all'").replace("{scope}", _scope(region))
    found = con.execute(sql).fetchall()
    row = dict(zip(COUNTS, found[0][1:], strict=True)) if found else dict.fromkeys(COUNTS, 0)
    # The domestic scope has no population of its own (as in hvpatent: no per-10k value without one).
    people = dict(con.execute(_population_sql(as_of, f"region_code = '{region}'")).fetchall()) if region else {}
    row["valid_inventions_per_10k"] = (row["valid_inventions"] / people[region] * 10_000
                                       if people.get(region) else None)
    return row


def county_figures(con: duckdb.DuckDBPyConnection, as_of: date, region: str | None = None) -> dict[str, dict]:
    """The five indicators for every county (of ``region`` if given) at one date: {county code: row}."""
    from hvpatent.indicators.compute import county_level_cities

    # A city without counties (东莞, 中山, 儋州) is a county-level unit of its own, under its city code.
    own = _list(county_level_cities())
    county = f"coalesce(f.county_code, CASE WHEN f.city_code IN ({own}) THEN f.city_code END)"
    scope = _scope(region) + f" AND {county} IS NOT NULL"
    sql = core_sql(as_of, county).replace("{scope}", scope)
    prefix = "" if not region else region[:{"province_code": 2, "city_code": 4}.get(_column(region), 6)]
    pop = _population_sql(as_of, f"length(region_code) = 6 AND (NOT ends_with(region_code, '00') "
                                 f"OR region_code IN ({own})) AND starts_with(region_code, '{prefix}')")
    return _rows(con, sql, pop)


def hvpatent_figures(con, as_of: date, region: str | None = None, by: str | None = None) -> dict[str, dict]:
    """The same five indicators through hvpatent (one Context, the year to date): {group: row}."""
    from hvpatent.indicators import Context, grouped_values

    ctx = Context.create(con, as_of, "year", region)
    out: dict[str, dict] = {}
    for key in KEYS:
        for r in grouped_values(ctx, key, by).to_pyarrow().to_pylist():
            out.setdefault(r["group"], {})[key] = r["value"]
    return out


def differences(ref: dict[str, dict], hvp: dict[str, dict]) -> list[str]:
    """Every group and indicator where the two disagree (zero and absent are the same count)."""
    found = []
    for group in sorted(set(ref) | set(hvp), key=str):
        for key in KEYS:
            a, b = ref.get(group, {}).get(key), hvp.get(group, {}).get(key)
            if key != "valid_inventions_per_10k":
                a, b = a or 0, b or 0
            if (a is None) != (b is None) or (a is not None and abs(a - b) > 1e-9 * max(1, abs(a))):
                found.append(f"{group} {key}: reference {a} / hvpatent {b}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--as-of", default="2024-06-30")
    parser.add_argument("--region", default=None)
    parser.add_argument("--by-county", action="store_true")
    parser.add_argument("--compare", action="store_true", help="也用 hvpatent 计算并比较 / also compute with hvpatent")
    args = parser.parse_args()
    day = date.fromisoformat(args.as_of)
    con = duckdb.connect(args.db, read_only=True)
    start = time.perf_counter()
    ref = county_figures(con, day, args.region) if args.by_county else {"all": region_figures(con, day, args.region)}
    ref_s = time.perf_counter() - start
    print(f"reference SQL: {len(ref):,} rows in {ref_s:.2f} s")
    if not args.by_county:
        print("  " + ", ".join(f"{k}={ref['all'][k]}" for k in KEYS))
    if args.compare:
        import ibis

        backend = ibis.duckdb.from_connection(con)
        start = time.perf_counter()
        hvp = hvpatent_figures(backend, day, args.region, "county" if args.by_county else None)
        hvp_s = time.perf_counter() - start
        diff = differences(ref, hvp)
        print(f"hvpatent:      {len(hvp):,} rows in {hvp_s:.2f} s ({hvp_s / ref_s:.2f}× the reference); "
              f"{'equal answers' if not diff else f'{len(diff)} differences'}")
        for line in diff[:50]:
            print("  " + line)


if __name__ == "__main__":
    main()
