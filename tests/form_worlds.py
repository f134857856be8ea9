"""Worlds of tens of thousands of applications built in seconds, for the official forms' tests.

Rows go straight into a fresh warehouse's tables with SQL (``range`` and ``INSERT … SELECT``), not through
the importer: a *cohort* is a number of applications of one kind with the same kind of first applicant,
their filing (and grant) dates spread evenly over a range of days. Each application gets

- a valid 12-digit application number (year, type digit 1/2/3 as ingest/appno.py reads it, a serial unique in
  the world, the check digit computed in SQL with the weights of ingest/appno.check_digit);
- its first applicant (parties.seq 1: party_type = the category, province / city / county codes or a
  country), and optionally a co-applicant (seq 2) that the forms must ignore;
- a ``filed`` event on the filing date and, when granted, a ``granted`` event on the grant date (its
  ``effective_date`` too), the event types the legal-state rules read (ingest/events.yaml, docs/legal-state.md).

Population rows go in as given; the derived tables (timelines, first applicants) are then refreshed, as
``hvp import`` does after its files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from hvpatent.warehouse.store import Warehouse

TYPE_DIGIT = {"invention": "1", "utility_model": "2", "design": "3"}
CATEGORIES = ("university", "institute", "enterprise", "government", "individual", "other")
# Names a category's applicants go by (the name rules would give the same category); ``{n}`` tells them apart.
NAMES = {"university": "样本{n}大学", "institute": "样本{n}研究所", "enterprise": "样本{n}科技有限公司",
         "government": "样本{n}市人民医院", "other": "样本{n}"}
FOREIGN_NAMES = {"university": "SAMPLE {n} UNIVERSITY", "institute": "SAMPLE {n} RESEARCH INSTITUTE",
                 "enterprise": "SAMPLE {n} CORPORATION", "government": "SAMPLE {n} CITY HOSPITAL",
                 "other": "SAMPLE {n}"}
PEOPLE = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴婷", "徐斌", "孙丽")
FOREIGN_PEOPLE = ("JOHN SMITH", "YAMADA TARO", "ANNA MUELLER", "KIM MINJUN", "MARIE DUBOIS")
NAME_POOL = 37  # distinct names per category and cohort kind
# ZC 0006-2003 check-digit weights (ingest/appno.check_digit; the tiny world checks the two agree).
WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


@dataclass(frozen=True)
class Party:
    """An applicant: its category and where it is (region codes for China, Hong Kong, Macao and Taiwan;
    an ISO 3166-1 alpha-2 country abroad)."""
    category: str
    province: str | None = None
    city: str | None = None
    county: str | None = None
    country: str | None = None

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown category {self.category!r}")
        if (self.province is None) == (self.country is None):
            raise ValueError("a party is either in a province (region codes) or in a country abroad")


def mainland(category: str, province: str, city: str | None = None, county: str | None = None) -> Party:
    return Party(category, province, city, county)


def hong_kong(category: str) -> Party:
    return Party(category, "810000")


def macao(category: str) -> Party:
    return Party(category, "820000")


def taiwan(category: str) -> Party:
    return Party(category, "710000")


def abroad(category: str, country: str) -> Party:
    return Party(category, country=country)


Days = date | tuple[date, date]


@dataclass(frozen=True)
class Cohort:
    """``count`` applications of one patent type and one kind of first applicant. Filing (and grant) dates
    are one day or an inclusive range of days, applications spread over it in turn (the i-th on day
    ``first + i mod days``), so a cohort at least as large as its range has an application on every day."""
    count: int
    patent_type: str
    applicant: Party
    filing_date: Days
    grant_date: Days | None = None
    co_applicant: Party | None = None

    def __post_init__(self) -> None:
        if self.patent_type not in TYPE_DIGIT:
            raise ValueError(f"unknown patent type {self.patent_type!r}")
        if self.count < 0:
            raise ValueError("a cohort's count cannot be negative")
        filed = _range(self.filing_date)
        if self.grant_date is not None and _range(self.grant_date)[0] <= filed[1]:
            raise ValueError("a cohort's first grant day must come after its last filing day")


def _range(days: Days) -> tuple[date, date]:
    first, last = days if isinstance(days, tuple) else (days, days)
    if last < first:
        raise ValueError(f"an empty range of days: {first} .. {last}")
    return first, last


def split(total: int, weights: Iterable[float]) -> list[int]:
    """``total`` split in proportion to the weights, in whole numbers that add up to ``total`` exactly
    (the remainder goes to the first parts)."""
    weights = list(weights)
    parts = [int(total * w / sum(weights)) for w in weights]
    for i in range(total - sum(parts)):
        parts[i % len(parts)] += 1
    return parts


def _sql_text(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def _name_sql(party: Party, serial: str) -> str:
    """The SQL expression of the party's name: one of a pool of names of its category."""
    if party.category == "individual":
        pool = FOREIGN_PEOPLE if party.country else PEOPLE
        return f"list_extract([{', '.join(_sql_text(p) for p in pool)}], CAST({serial} % {len(pool)} AS INTEGER) + 1)"
    pattern = (FOREIGN_NAMES if party.country else NAMES)[party.category]
    head, tail = pattern.split("{n}")
    return f"{_sql_text(head)} || CAST({serial} % {NAME_POOL} AS VARCHAR) || {_sql_text(tail)}"


def _check_digit_sql(digits: str) -> str:
    terms = " + ".join(f"CAST(substr({digits}, {k + 1}, 1) AS INTEGER) * {w}" for k, w in enumerate(WEIGHTS))
    return f"CASE ({terms}) % 11 WHEN 10 THEN 'X' ELSE CAST(({terms}) % 11 AS VARCHAR) END"


# ingest/fields.normalize_name for the names above (no full-width characters): upper case, no spaces.
NORM = "regexp_replace(upper({}), '\\s+', '', 'g')"
_STAGE = """CREATE TEMP TABLE world_rows (
    app_no VARCHAR, serial BIGINT, patent_type VARCHAR, filing_date DATE, grant_date DATE,
    category VARCHAR, province_code VARCHAR, city_code VARCHAR, county_code VARCHAR, country VARCHAR, name VARCHAR,
    co_category VARCHAR, co_province VARCHAR, co_city VARCHAR, co_county VARCHAR, co_country VARCHAR,
    co_name VARCHAR)"""


def _stage_cohort(con, cohort: Cohort, first_serial: int) -> None:
    filed_first, filed_last = _range(cohort.filing_date)
    filed_days = (filed_last - filed_first).days + 1
    serial = f"({first_serial} + i)"
    filing = f"(DATE '{filed_first}' + CAST(i % {filed_days} AS INTEGER))"
    if cohort.grant_date is None:
        grant = "CAST(NULL AS DATE)"
    else:
        granted_first, granted_last = _range(cohort.grant_date)
        grant = f"(DATE '{granted_first}' + CAST(i % {(granted_last - granted_first).days + 1} AS INTEGER))"
    a, co = cohort.applicant, cohort.co_applicant
    co_values = ("NULL", "NULL", "NULL", "NULL", "NULL", "NULL") if co is None else (
        _sql_text(co.category), _sql_text(co.province), _sql_text(co.city), _sql_text(co.county),
        _sql_text(co.country), _name_sql(co, f"({serial} + 1)"))
    type_digit = TYPE_DIGIT[cohort.patent_type]
    digits = f"(CAST(year({filing}) AS VARCHAR) || '{type_digit}' || lpad(CAST({serial} AS VARCHAR), 7, '0'))"
    con.execute(f"""
        INSERT INTO world_rows
        SELECT d || '.' || {_check_digit_sql('d')}, serial, '{cohort.patent_type}', filing_date, grant_date,
               {_sql_text(a.category)}, {_sql_text(a.province)}, {_sql_text(a.city)}, {_sql_text(a.county)},
               {_sql_text(a.country)}, name, {', '.join(co_values)}
        FROM (SELECT i, {digits} AS d, {serial} AS serial, {filing} AS filing_date, {grant} AS grant_date,
                     {_name_sql(a, serial)} AS name
              FROM range({cohort.count}) AS r(i))""")


def build_world(path: Path, cohorts: Iterable[Cohort], population: Iterable[tuple[str, int, int]] = (),
                refresh: bool = True) -> Warehouse:
    """A fresh warehouse at ``path`` holding the cohorts' applications and the population rows
    ``(region_code, year, persons)``; open (the caller closes it). ``refresh``: build the derived tables, as
    an import does (without, figures are computed from the canonical tables directly)."""
    cohorts = list(cohorts)
    if sum(c.count for c in cohorts) >= 10**7:
        raise ValueError("the serials have 7 digits: at most 9,999,999 applications")
    wh = Warehouse(path)
    con = wh.con
    con.execute(_STAGE)
    serial = 1
    for cohort in cohorts:
        if cohort.count:
            _stage_cohort(con, cohort, serial)
        serial += cohort.count
    con.begin()
    con.execute("""INSERT INTO imports VALUES (1, 'form-world', 'form-world', 'test', 'fixture', now(),
                   (SELECT count(*) FROM world_rows), (SELECT count(*) FROM world_rows), 0, 0, 0)""")
    con.execute("""INSERT INTO applications (app_no, patent_type, filing_date, title, source, row_hash,
                                             first_import_id, last_import_id)
                   SELECT app_no, patent_type, filing_date, '样本专利' || serial, 'test', md5(app_no), 1, 1
                   FROM world_rows""")
    con.execute(f"""INSERT INTO parties (app_no, seq, role, name, name_norm, party_type, province_code, city_code,
                                        county_code, country)
                   SELECT app_no, 1, 'applicant', name, {NORM.format('name')}, category, province_code, city_code,
                          county_code, country FROM world_rows
                   UNION ALL
                   SELECT app_no, 2, 'applicant', co_name, {NORM.format('co_name')}, co_category, co_province, co_city,
                          co_county, co_country FROM world_rows WHERE co_category IS NOT NULL""")
    con.execute("""INSERT INTO legal_events (app_no, event_date, event_type, raw_text, effective_date, import_id)
                   SELECT app_no, filing_date, 'filed', '申请', NULL, 1 FROM world_rows
                   UNION ALL
                   SELECT app_no, grant_date, 'granted', '授权', grant_date, 1 FROM world_rows
                   WHERE grant_date IS NOT NULL""")
    rows = list(population)
    if rows:
        con.executemany("INSERT INTO population VALUES (?, ?, ?)", rows)
    con.commit()
    con.execute("DROP TABLE world_rows")
    if refresh:
        from hvpatent.indicators import refresh_derived

        refresh_derived(wh)
    return wh
