"""Building blocks shared by the indicators: attribution dimensions and rule matching.

Everything here returns Ibis expressions, composed before they run, so the same code runs on
DuckDB and on Spark.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from hvpatent.indicators.config import industries
from hvpatent.reference.classification import EXACT, Rule
from hvpatent.warehouse.derived import fingerprint_of, is_current


def region_column(code: str) -> str:
    """Which attribution column a region code is matched against."""
    if len(code) == 12:
        return "town_code"
    if code.endswith("0000"):
        return "province_code"
    if code.endswith("00"):
        return "city_code"
    return "county_code"


def code_prefix(region: str) -> str:
    """The leading digits that the codes inside a region share (a province 2, a city 4, a county 6, a town all)."""
    level = region_column(region)
    return region[:{"province_code": 2, "city_code": 4}.get(level, len(region))]


def has_table(con: ibis.BaseBackend, name: str) -> bool:
    """Whether the backend has the table: a Parquet export (Spark) or a read-only warehouse older than a table
    (schema.LATER_TABLES) has not, and the figures that read it do without."""
    try:
        con.table(name)
    except Exception:  # the backends raise their own kinds of "table not found"
        return False
    return True


FIRST_APPLICANTS = "first_applicants"


def first_applicants_fingerprint() -> str:
    # A town assignment makes the stored table not current (reference/applicant_towns.assign and unassign);
    # an enterprise-directory import marks the applications of the enterprises it changed stale
    # (Warehouse._changed_rows). A category settlement forgets it (reference/applicant_categories.settle);
    # the categories' rules (applicant_categories.yaml) are part of the fingerprint.
    from hvpatent.reference.applicant_categories import rules_digest

    return f"first-{FIRST_APPLICANTS_VERSION}-{rules_digest()}"


# Bump when the columns of the stored first-applicant table change (2: origin, for the official forms; 3: the
# origin from the country before the province).
FIRST_APPLICANTS_VERSION = 3
# The origin of a first applicant as CNIPA's forms split it (国内 = mainland + Hong Kong, Macao, Taiwan; 国外).
ORIGINS = ("mainland", "hk", "macao", "taiwan", "foreign", "unknown")
_ORIGIN_OF_PROVINCE = {"710000": "taiwan", "810000": "hk", "820000": "macao"}
_ORIGIN_OF_COUNTRY = {"TW": "taiwan", "HK": "hk", "MO": "macao", "CN": "mainland"}


def origin_of(province_code: ir.StringValue, country: ir.StringValue, placed: ir.BooleanValue) -> ir.StringValue:
    """mainland | hk | macao | taiwan | foreign | unknown.  A town assigned by hand or the enterprise directory's
    (``placed``: reference/applicant_towns.with_overrides moved the region) decides by its province; otherwise the
    country the import read (parties.country, ISO 3166-1 alpha-2), then the province (which may come from the
    applicant's name: 上海电气日本株式会社 at a Tokyo address is foreign, not Shanghai's); neither known: unknown."""
    by_province = [(province_code == code, name) for code, name in _ORIGIN_OF_PROVINCE.items()]
    by_province.append((province_code.notnull(), "mainland"))
    branches = [(placed & when, name) for when, name in by_province]
    branches += [(country == code, name) for code, name in _ORIGIN_OF_COUNTRY.items()]
    branches.append((country.notnull(), "foreign"))
    branches += by_province
    return ibis.cases(*branches, else_="unknown")


def first_applicants(con: ibis.BaseBackend, apps: ir.Table | None = None) -> ir.Table:
    """One row per application: its first applicant and that applicant's region.

    CNIPA's regional statistics count an application once, for the region of its first
    applicant; co-applicants do not move it (docs/indicators.md, "Counting rule").

    The region comes from the address (attributed at import), unless the applicant's town was assigned by
    hand or is in the enterprise directory (reference/applicant_towns.py): those apply here, at query time,
    so that a correction moves past figures without a re-import.
    """
    from hvpatent.reference.applicant_categories import with_categories
    from hvpatent.reference.applicant_towns import with_overrides

    if apps is None and is_current(con, FIRST_APPLICANTS, first_applicants_fingerprint()):
        return con.table(FIRST_APPLICANTS)  # stored by the last refresh (warehouse/derived.py)
    parties = con.table("parties")
    first = parties.filter(parties.seq == 1)
    if apps is not None:
        first = first.semi_join(apps.select("app_no"), "app_no")
    first = first.select(
        "app_no", "province_code", "city_code", "county_code", "town_code",
        applicant_type=first.party_type, applicant=first.name_norm, applicant_name=first.name,
        # a Parquet export made before the column existed (hvp export-parquet) has no country: unknown
        country=first.country if "country" in first.columns else ibis.null("string"),
        town_source=first.town_source if "town_source" in first.columns else ibis.null("string"),
    )
    placed = with_overrides(first, con, layer=True)  # an assigned town makes a foreign-looking applicant domestic
    placed = with_categories(placed, con)  # settled > credit code > name > directory (docs/applicant-categories.md)
    moved = placed.town_layer.isin(("assigned", "directory")).fill_null(False)
    return placed.mutate(origin=origin_of(placed.province_code, placed.country, moved)).drop(
        "country", "town_source", "town_layer")


def applications_of(con: ibis.BaseBackend, applicant: str) -> ir.Table:
    """(app_no) of the applications where the normalised name is an applicant in any position: what
    an enterprise owns, unlike the first-applicant counting of the regional statistics."""
    parties = con.table("parties")
    return parties.filter(parties.name_norm == applicant).select("app_no").distinct()


# Region value meaning "every applicant, domestic or not" (an enterprise's own patents).
ALL_APPLICANTS = "all"
# Province-level codes outside the domestic (国内) scope of CNIPA's statistics.
HK_MACAO_TAIWAN = ("710000", "810000", "820000")


def in_region(table: ir.Table, code: str | None) -> ir.Table:
    """Rows of a table carrying first-applicant columns that belong to the region.

    With no region, the scope of CNIPA's national figures: domestic first applicants (国内: mainland
    China, without Hong Kong, Macao, Taiwan and foreign applicants); ``ALL_APPLICANTS`` keeps all.
    """
    if code == ALL_APPLICANTS:
        return table
    if not code:
        return table.filter(table.province_code.notnull() & ~table.province_code.isin(HK_MACAO_TAIWAN))
    return table.filter(table[region_column(code)] == code)


RULE_SCHEMA = ibis.schema({c: "string" for c in
                           ("code", "name", "ipc_prefix", "ipc_class", "exclude_prefixes", "keywords")})


def rules_table(con: ibis.BaseBackend, rules: list[Rule] | tuple[Rule, ...], name: str) -> ir.Table:
    """Rules from configuration as a temporary table of the backend, registered under a name."""
    rows = [r.as_row() for r in rules]
    return rows_table(con, [tuple(row[c] for c in RULE_SCHEMA.names) for row in rows], RULE_SCHEMA, name)


def rows_table(con: ibis.BaseBackend, rows: list[tuple], schema: ibis.Schema, name: str) -> ir.Table:
    """Small rows from Python (string and boolean columns) as a temporary table of the backend, under a name.

    On Spark the rows go straight to a DataFrame: Ibis's in-memory tables pass through pandas,
    where an all-null text column becomes the string 'NaN' and every rule would wrongly carry a
    keyword condition.
    """
    if con.name == "pyspark":
        session = con._session  # the backend exposes no public handle to its SparkSession
        ddl = ", ".join(f"{column} {dtype}" for column, dtype in schema.items())
        frame = session.createDataFrame(rows, ddl)
        frame.createOrReplaceTempView(name)
        return con.table(name)
    frame = ibis.memtable([dict(zip(schema.names, r, strict=True)) for r in rows], schema=schema)
    return con.create_table(name, frame, temp=True, overwrite=True)


def rule_matches(con: ibis.BaseBackend, rules: ir.Table, apps: ir.Table | None = None) -> ir.Table:
    """(app_no, code, name, ipc) for every IPC code of an application that satisfies a rule.

    Rules join on the IPC class, then the prefix must match; exclusion prefixes and keyword
    conditions are exploded into rows and applied as anti/semi joins (no regular expressions,
    which the engines treat differently). Prefixes are compared with ``ipc + '$'``: a prefix ending
    in '$' names one exact code (reference/classification.pattern_prefix).
    """
    ipcs = con.table("ipc_classes").select("app_no", "ipc")
    if apps is not None:  # only these applications (a refresh of derived memberships)
        ipcs = ipcs.semi_join(apps.select("app_no"), "app_no")
    ipcs = ipcs.mutate(ipc_end=ipcs.ipc.concat(EXACT))
    rules = rules.mutate(rule_id=ibis.row_number())
    cand = ipcs.join(rules, ipcs.ipc.substr(0, 3) == rules.ipc_class)
    cand = cand.filter(cand.ipc_end.substr(0, cand.ipc_prefix.length()) == cand.ipc_prefix)
    cand = cand.select("app_no", "ipc", "ipc_end", "rule_id", "code", "name", "exclude_prefixes", "keywords")

    excl = cand.filter(cand.exclude_prefixes.notnull())
    excl = excl.mutate(excluded=excl.exclude_prefixes.split(";").unnest())
    excl = excl.filter(excl.ipc_end.substr(0, excl.excluded.length()) == excl.excluded)
    cand = cand.anti_join(excl.select("app_no", "ipc", "rule_id"), ["app_no", "ipc", "rule_id"])

    plain = cand.filter(cand.keywords.isnull())
    worded = cand.filter(cand.keywords.notnull())
    worded = worded.mutate(keyword=worded.keywords.split(";").unnest())
    apps = con.table("applications")
    text = apps.select("app_no", text=apps.title.fill_null("").concat(" ", apps.abstract.fill_null("")))
    worded = worded.join(text, "app_no")
    worded = worded.filter(worded.text.contains(worded.keyword))
    cols = ["app_no", "code", "name", "ipc"]
    return plain.select(*cols).union(worded.select(*cols)).distinct()


INDUSTRY_MEMBERS, SEI_MEMBERS = "industry_members", "sei_members"
# Bump when what the membership tables hold changes: stored ones of another version are rebuilt.
MEMBERS_VERSION = 1


def industry_fingerprint() -> str:
    """What stored industry memberships were built with: the industries' rules as configured."""
    rows = [rule.as_row() for industry in industries() for rule in industry.rules]
    return fingerprint_of({"version": MEMBERS_VERSION, "rules": rows})


def sei_fingerprint() -> str:
    # Replacing the SEI table makes the stored memberships not current (Warehouse.replace_sei_rules).
    return f"sei-{MEMBERS_VERSION}"


def industry_memberships(con: ibis.BaseBackend, apps: ir.Table | None = None) -> ir.Table:
    """(app_no, industry) for the plan's industries; an application may belong to several.

    Read from the stored memberships when current (warehouse/derived.py), else matched now.
    """
    if apps is None and is_current(con, INDUSTRY_MEMBERS, industry_fingerprint()):
        return con.table(INDUSTRY_MEMBERS)
    rules = [rule for industry in industries() for rule in industry.rules]
    matches = rule_matches(con, rules_table(con, rules, "hvp_industry_rules"), apps)
    return matches.select("app_no", industry=matches.code).distinct()


def sei_matches(con: ibis.BaseBackend, apps: ir.Table | None = None) -> ir.Table:
    """(app_no, code, name, ipc) against the warehouse's SEI concordance (stored when current)."""
    if apps is None and is_current(con, SEI_MEMBERS, sei_fingerprint()):
        return con.table(SEI_MEMBERS)
    rules = con.table("sei_rules").select("code", "name", "ipc_prefix", "ipc_class", "exclude_prefixes", "keywords")
    return rule_matches(con, rules, apps)
