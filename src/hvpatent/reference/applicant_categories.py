"""The five official applicant categories (大专院校 / 科研单位 / 工矿企业 / 机关团体 / 个人) and the evidence
that puts an applicant into one of them (docs/applicant-categories.md).

Evidence, strongest first:

1. a person's settlement (`hvp applicants classify`, table ``applicant_categories``);
2. the unified social credit code of the enterprise directory (GB 32100-2015: registration authority and
   organisation type), when its check character is right, except for a name the rules call ``individual``:
   the directory matches names alone, and a person's name is shared by many people;
3. the name rules (applicant_categories.yaml), applied at import to ``parties.party_type``;
4. membership of the enterprise directory: a listed name the rules could not place is an enterprise;
5. otherwise ``other``: unclassified, listed by `hvp applicants unclassified` for a person to settle.

1, 2 and 4 apply when figures are computed (:func:`with_categories`, called by
indicators/base.first_applicants), like the town assignments of applicant_towns.py: a settlement moves
past figures without a re-import.
"""

from __future__ import annotations

import getpass
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import yaml

from hvpatent.ingest.fields import check_credit_code, normalize_name
from hvpatent.reference.applicant_towns import applications_named
from hvpatent.warehouse.derived import fingerprint_of, forget, once_per_digest

if TYPE_CHECKING:  # at run time the warehouse module is imported by callers (no cycle through here)
    import duckdb

    from hvpatent.warehouse.store import Warehouse

CATEGORIES = ("university", "institute", "enterprise", "government", "individual")
UNCLASSIFIED = "other"
# Which evidence gave a first applicant's category (with_categories' ``category_source``).
SOURCES = ("settled", "credit_code", "name", "directory", "unclassified")
SOURCE_LABELS = {"settled": ("人工认定", "settled by a person"), "credit_code": ("统一社会信用代码", "credit code"),
                 "name": ("名称规则", "name rules"), "directory": ("企业名录", "enterprise directory"),
                 "unclassified": ("未分类", "unclassified")}
ENGLISH = {"university": "university", "institute": "research institute", "enterprise": "enterprise",
           "government": "government body", "individual": "individual", UNCLASSIFIED: "unclassified"}
_CREDIT_TABLE = "hvp_credit_categories"
_HAN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_UPPER_LETTER = "A-Z0-9À-ÖØ-Þ"


@dataclass(frozen=True)
class NameRule:
    rule: str
    category: str
    words: tuple[str, ...]
    tokens: re.Pattern[str] | None

    def matches(self, upper: str) -> bool:
        return any(w in upper for w in self.words) or bool(self.tokens and self.tokens.search(upper))


@dataclass(frozen=True)
class Rules:
    labels: dict[str, str]          # category -> Chinese label
    service: dict[str, bool]        # category -> 职务 (an organisation)
    name_rules: tuple[NameRule, ...]
    han_length: tuple[int, int]
    han_not_words: tuple[str, ...]
    latin_words: tuple[int, int]
    not_words: frozenset[str]
    credit: dict[tuple[str, str], str]  # (authority, type) -> category | "by_name"
    digest: str


def _token_pattern(tokens: list[str]) -> re.Pattern[str] | None:
    if not tokens:
        return None
    alternatives = "|".join(re.escape(t.upper()) for t in sorted(tokens, key=len, reverse=True))
    return re.compile(f"(?<![{_UPPER_LETTER}.])(?:{alternatives})(?![{_UPPER_LETTER}])")


@cache
def rules() -> Rules:
    """The rules of applicant_categories.yaml, checked once."""
    text = resources.files("hvpatent.reference").joinpath("applicant_categories.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    categories = data["categories"]
    if tuple(categories) != CATEGORIES:
        raise ValueError(f"applicant_categories.yaml: categories must be {CATEGORIES}")
    name_rules = []
    for entry in data["name_rules"]:
        if entry["category"] not in CATEGORIES:
            raise ValueError(f"applicant_categories.yaml: unknown category {entry['category']!r}")
        name_rules.append(NameRule(entry["rule"], entry["category"],
                                   tuple(str(w).upper() for w in entry.get("words") or ()),
                                   _token_pattern([str(t) for t in entry.get("tokens") or ()])))
    credit = {}
    for authority, types in data["credit_code"].items():
        for kind, category in types.items():
            if category not in (*CATEGORIES, "by_name"):
                raise ValueError(f"applicant_categories.yaml: credit code {authority}{kind}: {category!r}")
            credit[(str(authority), str(kind))] = category
    people = data["individuals"]
    return Rules(
        labels={k: v["zh"] for k, v in categories.items()}, service={k: v["service"] for k, v in categories.items()},
        name_rules=tuple(name_rules), han_length=tuple(people["han_length"]),
        han_not_words=tuple(people.get("han_not_words") or ()),
        latin_words=tuple(people["latin_words"]), not_words=frozenset(w.upper() for w in people["not_words"]),
        credit=credit, digest=fingerprint_of(data),
    )


def rules_digest() -> str:
    """A digest of the rules: part of the stored first-applicant table's fingerprint."""
    return rules().digest


def label(category: str) -> str:
    """'大专院校 / university'; the unclassified: '未分类 / unclassified'."""
    zh = rules().labels.get(category, "未分类")
    return f"{zh} / {ENGLISH.get(category, category)}"


def category_key(text: str) -> str:
    """A category as a user writes it: the English key (university …) or the Chinese label (大专院校 …)."""
    value = text.strip()
    if value.lower() in CATEGORIES:
        return value.lower()
    for key, zh in rules().labels.items():
        if value == zh:
            return key
    choices = "、".join(f"{zh}({key})" for key, zh in rules().labels.items())
    raise ValueError(f"未知的申请人类别「{text}」，可选：{choices} / unknown category")


@lru_cache(maxsize=200_000)  # exports repeat the same applicants many times
def category_of_name(name: str) -> str:
    """The name rules: the first rule whose word occurs decides; else a person's name is ``individual``;
    else ``other``."""
    text = name.strip()
    upper = text.upper()
    r = rules()
    for rule in r.name_rules:
        if rule.matches(upper):
            return rule.category
    if _is_han_person(text, r) or _is_latin_person(upper, r):
        return "individual"
    return UNCLASSIFIED


# A derived_meta row: the digest of the name rules that the stored parties.party_type follow.
PARTY_TYPES = "party_types"


def reclassify_parties(warehouse: Warehouse) -> int:
    """Apply the current name rules to the stored party types when the rules changed since they were set (a
    new release, an edited rules file): ``party_type`` is written at import, so without this the parties
    imported before would keep the old rules' answer. Returns the parties changed. The stored first-applicant
    table's fingerprint carries the same digest, so the refresh that follows rebuilds it from the new types; the
    content hashes of the applications retyped are recomputed (Warehouse.rehash) in the same transaction."""
    import pyarrow as pa

    def read(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
        pairs = con.execute("SELECT DISTINCT name, party_type FROM parties").fetchall()
        return {name: new for name, old in pairs if (new := category_of_name(name)) != old}

    def write(con: duckdb.DuckDBPyConnection, changed: dict[str, str]) -> int:
        if not changed:
            return 0
        retyped = pa.table({"name": list(changed), "party_type": list(changed.values())})  # noqa: F841 (by name)
        apps = con.execute("UPDATE parties SET party_type = r.party_type FROM retyped r "
                           "WHERE parties.name = r.name AND parties.party_type IS DISTINCT FROM r.party_type "
                           "RETURNING parties.app_no").fetchall()
        # party_type is part of the applications' content hash: re-importing them stays "unchanged"
        warehouse.rehash(pa.table({"app_no": pa.array(sorted({a[0] for a in apps}), pa.string())}))
        return len(apps)

    return once_per_digest(warehouse, PARTY_TYPES, rules_digest(), read, write)


def _is_han_person(text: str, r: Rules) -> bool:
    if any(w in text for w in r.han_not_words):
        return False
    low, high = r.han_length
    if re.fullmatch(rf"[\u4e00-\u9fff]{{{low},{high}}}", text):
        return True
    # transliterated names: 约翰·史密斯, 阿卜杜拉•买买提
    return len(text) <= 20 and bool(re.fullmatch(r"[\u4e00-\u9fff]+(?:[·•・][\u4e00-\u9fff]+)+", text))


def _is_latin_person(upper: str, r: Rules) -> bool:
    if _HAN.search(upper) or upper.count(",") > 1:
        return False
    words = [w for w in re.split(r"\s*,\s*|\s+", upper) if w]
    low, high = r.latin_words
    if not low <= len(words) <= high:
        return False
    word = re.compile(r"[^\W\d_]+(?:[-'’.][^\W\d_]+)*\.?")
    return all(word.fullmatch(w) for w in words) and not any(w.strip(".") in r.not_words for w in words)


def category_of_credit_code(code: str | None, name: str | None = None) -> str | None:
    """The category a unified social credit code says (GB 32100-2015), or None: no code, an invalid one
    (format or check character: ignored, not trusted), or a type that gives no evidence.  Public
    institutions (事业单位, 民办非企业单位 …) are a university or institute by their ``name``, else government."""
    if not code:
        return None
    try:
        valid = check_credit_code(str(code))
    except ValueError:
        return None
    category = rules().credit.get((valid[0], valid[1]))
    if category != "by_name":
        return category
    by_name = category_of_name(name) if name else UNCLASSIFIED
    return by_name if by_name in ("university", "institute") else "government"


# --- a person's settlement -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Settlement:
    name: str
    name_norm: str
    category: str
    applications: int
    previous: str | None


def settle(con: duckdb.DuckDBPyConnection, name: str, category: str, by: str | None = None) -> Settlement:
    """Record (or replace) the category of the applicant with this name, over every other evidence."""
    norm = normalize_name(name)
    if not norm:
        raise ValueError("申请人名称为空 / empty applicant name")
    key = category_key(category)
    applications = applications_named(con, norm, name)
    previous = con.execute("SELECT category FROM applicant_categories WHERE name_norm = ?", [norm]).fetchone()
    forget(con, "first_applicants")  # first: the stored categories must never look current with the old one
    con.execute("INSERT OR REPLACE INTO applicant_categories VALUES (?, ?, ?, 'settled', ?, ?)",
                [norm, name.strip(), key, by or getpass.getuser(), datetime.now()])
    return Settlement(name.strip(), norm, key, applications, previous[0] if previous else None)


def unsettle(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Remove a settlement; the other evidence decides again.  Whether there was one."""
    norm = normalize_name(name)
    found = con.execute("SELECT count(*) FROM applicant_categories WHERE name_norm = ?", [norm]).fetchone()[0]
    forget(con, "first_applicants")
    con.execute("DELETE FROM applicant_categories WHERE name_norm = ?", [norm])
    return found > 0


# --- at query time ---------------------------------------------------------------------------------------

def _has_table(con: ibis.BaseBackend, name: str) -> bool:
    try:
        con.table(name)
    except Exception:  # a Parquet export or read-only warehouse older than the table
        return False
    return True


def _credit_categories(con: ibis.BaseBackend) -> ir.Table:
    """(c_name, c_category) of the directory's enterprises whose credit code says a category: computed here,
    in Python (the check character), and registered as a temporary table of the backend."""
    directory = con.table("enterprises").select("name_norm", "name", "credit_code")
    rows = []
    for r in directory.filter(directory.credit_code.notnull()).to_pyarrow().to_pylist():
        found = category_of_credit_code(r["credit_code"], r["name"])
        if found:
            rows.append((r["name_norm"], found))
    if con.name == "pyspark":  # as indicators/base.rules_table: straight to a DataFrame
        frame = con._session.createDataFrame(rows, "c_name string, c_category string")
        frame.createOrReplaceTempView(_CREDIT_TABLE)
        return con.table(_CREDIT_TABLE)
    table = ibis.memtable({"c_name": [r[0] for r in rows], "c_category": [r[1] for r in rows]},
                          schema={"c_name": "string", "c_category": "string"})
    return con.create_table(_CREDIT_TABLE, table, temp=True, overwrite=True)


def category_overrides(con: ibis.BaseBackend) -> ir.Table:
    """(c_name, c_category, c_source): settlements, and the credit codes of names not settled."""
    credit = _credit_categories(con)
    credit = credit.select(c_name=credit.c_name.cast("string"), c_category=credit.c_category.cast("string"),
                           c_source=ibis.literal("credit_code"))
    if not _has_table(con, "applicant_categories"):
        return credit
    settled = con.table("applicant_categories")
    settled = settled.select(c_name=settled.name_norm.cast("string"), c_category=settled.category.cast("string"),
                             c_source=ibis.literal("settled"))
    return settled.union(credit.anti_join(settled, credit.c_name == settled.c_name))


def with_categories(first: ir.Table, con: ibis.BaseBackend) -> ir.Table:
    """First-applicant rows (``applicant`` = normalised name, ``applicant_type`` = the name rules' category
    stored at import) with ``applicant_type`` replaced by the strongest evidence and ``category_source``
    saying which: settled | credit_code | name | directory | unclassified."""
    over = category_overrides(con)
    directory = con.table("enterprises")
    members = directory.select(m_name=directory.name_norm.cast("string")).distinct()
    joined = first.left_join(over, first.applicant == over.c_name)
    joined = joined.left_join(members, joined.applicant == members.m_name)
    by_name = joined.applicant_type
    named = by_name.notnull() & (by_name != UNCLASSIFIED)
    member = joined.m_name.notnull()
    # A person's name stays a person unless a person settles it: a directory's 张伟 (个体工商户, credit code 92) is
    # one 张伟 among many, and CNIPA counts natural persons as 个人.
    person = (by_name == "individual").fill_null(False)
    overridden = joined.c_category.notnull() & ((joined.c_source == "settled") | ~person)
    category = ibis.cases((overridden, joined.c_category), (named, by_name), (member, "enterprise"),
                          else_=UNCLASSIFIED)
    source = ibis.cases((overridden, joined.c_source), (named, "name"), (member, "directory"), else_="unclassified")
    return joined.mutate(applicant_type=category, category_source=source).drop(
        "c_name", "c_category", "c_source", "m_name")


# --- reports ---------------------------------------------------------------------------------------------

def _first_in(con: ibis.BaseBackend, region: str | None) -> ir.Table:
    from hvpatent.indicators.base import ALL_APPLICANTS, first_applicants, in_region

    return in_region(first_applicants(con), region or ALL_APPLICANTS)


def unclassified(con: ibis.BaseBackend, region: str | None = None, limit: int = 50) -> tuple[list[dict], dict]:
    """First applicants still unclassified, most applications first: (name, applications, an example
    address); and a summary: unclassified applicants and applications, and their share of all applications
    (of the region, or of the warehouse without one)."""
    first = _first_in(con, region)
    totals = first.aggregate(applications=first.app_no.nunique()).to_pyarrow().to_pylist()[0]
    rows = first.filter(first.applicant_type == UNCLASSIFIED)
    parties = con.table("parties")
    addresses = parties.filter((parties.seq == 1) & parties.address.notnull())
    addresses = addresses.select(a_app=addresses.app_no, address=addresses.address)
    rows = rows.left_join(addresses, rows.app_no == addresses.a_app)
    groups = (rows.group_by("applicant")
              .aggregate(name=rows.applicant_name.min(), applications=rows.app_no.nunique(), address=rows.address.min())
              .to_pyarrow().to_pylist())
    ranked = sorted(groups, key=lambda g: (-g["applications"], g["name"]))
    unclassified_apps = sum(g["applications"] for g in groups)
    summary = {"applicants": len(groups), "applications": unclassified_apps, "all_applications": totals["applications"],
               "share": unclassified_apps / totals["applications"] if totals["applications"] else None}
    return [{"name": g["name"], "applications": g["applications"], "address": g["address"]}
            for g in ranked[:limit]], summary


def category_counts(con: ibis.BaseBackend, region: str | None = None) -> list[dict]:
    """(category, source, applicants, applications) of the first applicants, every category in the official
    order, the unclassified last."""
    first = _first_in(con, region)
    groups = (first.group_by([first.applicant_type.name("category"), "category_source"])
              .aggregate(applicants=first.applicant.nunique(), applications=first.app_no.nunique())
              .to_pyarrow().to_pylist())
    order = {c: i for i, c in enumerate((*CATEGORIES, UNCLASSIFIED))}
    return sorted(groups, key=lambda g: (order.get(g["category"], len(order)), SOURCES.index(g["category_source"])))
