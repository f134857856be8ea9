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

import pyarrow as pa

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


def _name_parts(party: Party | None) -> tuple[str | None, str | None, list[str] | None]:
    """(head, tail, people) of a party's names: an organisation is ``head || n || tail`` with n one of
    NAME_POOL numbers, a person one of a pool of names."""
    if party is None:
        return None, None, None
    if party.category == "individual":
        return None, None, list(FOREIGN_PEOPLE if party.country else PEOPLE)
    head, tail = (FOREIGN_NAMES if party.country else NAMES)[party.category].split("{n}")
    return head, tail, None


def _party_columns(party: Party | None, prefix: str) -> dict:
    head, tail, people = _name_parts(party)
    return {f"{prefix}category": party and party.category, f"{prefix}province": party and party.province,
            f"{prefix}city": party and party.city, f"{prefix}county": party and party.county,
            f"{prefix}country": party and party.country, f"{prefix}head": head, f"{prefix}tail": tail,
            f"{prefix}people": people}


def _cohort_rows(cohorts: list[Cohort]) -> pa.Table:
    """One row per cohort: what the SQL below spreads over its applications."""
    rows, serial = [], 1
    for cohort in cohorts:
        filed = _range(cohort.filing_date)
        granted = _range(cohort.grant_date) if cohort.grant_date is not None else (None, None)
        rows.append({"n": cohort.count, "first_serial": serial, "patent_type": cohort.patent_type,
                     "type_digit": TYPE_DIGIT[cohort.patent_type],
                     "filed_first": filed[0], "filed_days": (filed[1] - filed[0]).days + 1,
                     "granted_first": granted[0],
                     "granted_days": (granted[1] - granted[0]).days + 1 if granted[0] else None,
                     **_party_columns(cohort.applicant, "a_"), **_party_columns(cohort.co_applicant, "co_")})
        serial += cohort.count
    if serial > 10**7:
        raise ValueError("the serials have 7 digits: at most 9,999,999 applications")
    return pa.Table.from_pylist(rows, schema=pa.schema(
        [("n", pa.int64()), ("first_serial", pa.int64()), ("patent_type", pa.string()), ("type_digit", pa.string()),
         ("filed_first", pa.date32()), ("filed_days", pa.int64()), ("granted_first", pa.date32()),
         ("granted_days", pa.int64())]
        + [(f"{p}{c}", pa.string()) for p in ("a_", "co_")
           for c in ("category", "province", "city", "county", "country", "head", "tail")]
        + [("a_people", pa.list_(pa.string())), ("co_people", pa.list_(pa.string()))]))


def _name_sql(prefix: str, serial: str) -> str:
    """A party's name in SQL: one of its pool of people, else head || n || tail."""
    return (f"CASE WHEN {prefix}people IS NOT NULL"
            f" THEN list_extract({prefix}people, CAST({serial} % len({prefix}people) AS INTEGER) + 1)"
            f" ELSE {prefix}head || CAST({serial} % {NAME_POOL} AS VARCHAR) || {prefix}tail END")


def _check_digit_sql(digits: str) -> str:
    terms = " + ".join(f"CAST(substr({digits}, {k + 1}, 1) AS INTEGER) * {w}" for k, w in enumerate(WEIGHTS))
    return f"CASE ({terms}) % 11 WHEN 10 THEN 'X' ELSE CAST(({terms}) % 11 AS VARCHAR) END"


# ingest/fields.normalize_name for the names above (no full-width characters): upper case, no spaces.
NORM = "regexp_replace(upper({}), '\\s+', '', 'g')"
# Every application of every cohort: the i-th of a cohort is filed on day i mod filed_days of its range.
_STAGE = f"""CREATE TEMP TABLE world_rows AS
    SELECT d || '.' || {_check_digit_sql('d')} AS app_no, *
    FROM (SELECT *, CAST(year(filing_date) AS VARCHAR) || type_digit || lpad(CAST(serial AS VARCHAR), 7, '0') AS d,
                 {_name_sql('a_', 'serial')} AS name, {_name_sql('co_', '(serial + 1)')} AS co_name
          FROM (SELECT *, first_serial + i AS serial, filed_first + CAST(i % filed_days AS INTEGER) AS filing_date,
                       granted_first + CAST(i % granted_days AS INTEGER) AS grant_date
                FROM (SELECT *, unnest(range(n)) AS i FROM world_cohorts)))"""


def build_world(path: Path, cohorts: Iterable[Cohort], population: Iterable[tuple[str, int, int]] = (),
                refresh: bool = True) -> Warehouse:
    """A fresh warehouse at ``path`` holding the cohorts' applications and the population rows
    ``(region_code, year, persons)``; open (the caller closes it). ``refresh``: build the derived tables, as
    an import does (without, figures are computed from the canonical tables directly)."""
    wh = Warehouse(path)
    con = wh.con
    con.register("world_cohorts", _cohort_rows(list(cohorts)))
    con.execute(_STAGE)
    con.unregister("world_cohorts")
    con.begin()
    con.execute("""INSERT INTO imports VALUES (1, 'form-world', 'form-world', 'test', 'fixture', now(),
                   (SELECT count(*) FROM world_rows), (SELECT count(*) FROM world_rows), 0, 0, 0)""")
    con.execute("""INSERT INTO applications (app_no, patent_type, filing_date, title, source, row_hash,
                                             first_import_id, last_import_id)
                   SELECT app_no, patent_type, filing_date, '样本专利' || serial, 'test', md5(app_no), 1, 1
                   FROM world_rows""")
    con.execute(f"""INSERT INTO parties (app_no, seq, role, name, name_norm, party_type, province_code, city_code,
                                        county_code, country)
                   SELECT app_no, 1, 'applicant', name, {NORM.format('name')}, a_category, a_province, a_city,
                          a_county, a_country FROM world_rows
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
