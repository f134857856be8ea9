"""The pledge registry on any day, and its statistics (docs/finance.md, "Counting rules").

A contract's state on a day is its registration overlaid with the changes registered up to that day; the
statistics count registrations (设立登记) in a period, once per contract and group, whatever the contract's
items or later changes.  Everything is an Ibis expression until the end, so the same code runs on Spark.

Contracts come from ``pledge_contracts`` (the registry importer) and, for warehouses older than the registry or
worlds built without it, from the per-patent ``pledges`` lines whose contract has no ``pledge_contracts`` row
(legacy contracts: ``source = 'pledges'``).
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from hvpatent.indicators.base import first_applicants, has_table, in_region, industry_memberships
from hvpatent.ingest.fields import normalize_name

STAT_DIMENSIONS = ("period", "bank", "enterprise", "industry", "town")
STAT_KINDS = ("all", "patent", "trademark")
CONTRACT_STATUSES = ("active", "released", "disposed")
LEGACY_SOURCE = "pledges"
CHANGE_FIELDS = ("amount_yuan", "loan_end", "pledgee", "pledgor")

CONTRACT_COLUMNS = ("contract_no", "pledgor", "pledgor_norm", "pledgee", "pledgee_norm", "amount_yuan", "loan_start",
                    "loan_end", "registered_date", "released_date", "disposed_date", "source")
ITEM_COLUMNS = ("contract_no", "item_kind", "item_no", "added_date", "removed_date")
REGION_COLUMNS = ("province_code", "city_code", "county_code", "town_code")
STAT_FIELDS = ("contracts", "amount_yuan", "patents", "trademarks", "enterprises", "released", "disposed")


# Every character Python's ``\s`` matches (str.isspace), as a class RE2 (DuckDB) and Java (Spark) both read.
_SPACES = ("[\\x{9}-\\x{d}\\x{1c}-\\x{20}\\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}"
           "\\x{205f}\\x{3000}]")
# Letters whose upper case is two letters in Python (str.upper) but one, or themselves, in DuckDB's upper():
# the Latin ones a party's name can hold (ß, the ligatures).  Greek and Armenian ligatures are left out (no
# Chinese registration writes them): each one here is one more replace in every query that normalises a name.
_EXPANDING = {c: c.upper() for c in "ßŉǰﬀﬁﬂﬃﬄﬅﬆ"}


def norm(name: ir.StringValue) -> ir.StringValue:
    """ingest.fields.normalize_name as an expression, equal to it on every name a pledge record can carry:
    half-width brackets and punctuation, no whitespace of any kind (NBSP, U+2000–200A, U+3000, …), upper case."""
    for wide, narrow in zip("（），；：", "(),;:", strict=True):
        name = name.replace(wide, narrow)
    name = name.re_replace(_SPACES, "")
    for letter, upper in _EXPANDING.items():
        name = name.replace(letter, upper)
    return name.upper()


def _table(con: ibis.BaseBackend, name: str) -> ir.Table | None:
    """The table, or None where the backend has none (a Parquet export of a warehouse older than the registry,
    schema.LATER_TABLES): one look-up, where has_table and con.table would be two (each reads the schema)."""
    try:
        return con.table(name)
    except Exception:  # the backends raise their own kinds of "table not found"
        return None


def _registered(con: ibis.BaseBackend) -> ir.Table | None:
    return _table(con, "pledge_contracts")


def contracts(con: ibis.BaseBackend) -> ir.Table:
    """Every contract as registered (pledge_contracts' columns, amount_yuan float64), legacy contracts included:
    ``pledges`` lines of one contract_no without a pledge_contracts row are one contract (pledgor and pledgee ''
    when the lines have none, the amount of the lines, released when every line is)."""
    lines = con.table("pledges")
    unreleased = lines.released_date.isnull().cast("int64").sum()
    legacy = lines.group_by("contract_no").aggregate(
        pledgor=lines.pledgor.max(), pledgee=lines.pledgee.max(),
        amount_yuan=lines.amount_yuan.cast("float64").max(), registered_date=lines.registered_date.min(),
        released_date=ibis.ifelse(unreleased == 0, lines.released_date.max(), ibis.null("date")))
    pledgor, pledgee = legacy.pledgor.cast("string").fill_null(""), legacy.pledgee.cast("string").fill_null("")
    legacy = legacy.select(
        legacy.contract_no.cast("string").name("contract_no"), pledgor=pledgor, pledgor_norm=norm(pledgor),
        pledgee=pledgee, pledgee_norm=norm(pledgee), amount_yuan=legacy.amount_yuan,
        loan_start=ibis.null("date"), loan_end=ibis.null("date"), registered_date=legacy.registered_date.cast("date"),
        released_date=legacy.released_date.cast("date"), disposed_date=ibis.null("date"),
        source=ibis.literal(LEGACY_SOURCE))
    registered = _registered(con)
    if registered is None:
        return legacy
    known = registered.select(r_no=registered.contract_no.cast("string"))
    legacy = legacy.anti_join(known, legacy.contract_no == known.r_no)
    typed = registered.select(
        *(registered[c].cast("string").name(c) for c in ("contract_no", "pledgor", "pledgor_norm", "pledgee",
                                                          "pledgee_norm")),
        amount_yuan=registered.amount_yuan.cast("float64"),
        **{c: registered[c].cast("date") for c in ("loan_start", "loan_end", "registered_date", "released_date",
                                                    "disposed_date")},
        source=registered.source.cast("string"))
    return typed.union(legacy.select(*CONTRACT_COLUMNS))


def items(con: ibis.BaseBackend) -> ir.Table:
    """(contract_no, item_kind, item_no, added_date, removed_date): pledge_items, and the patents of legacy
    contracts (added on the contract's registration, never removed)."""
    lines = con.table("pledges")
    legacy = lines.select(contract_no=lines.contract_no.cast("string"), item_kind=ibis.literal("patent"),
                          item_no=lines.app_no.cast("string"), added_date=lines.registered_date.cast("date"),
                          removed_date=ibis.null("date"))
    registered = _registered(con)
    if registered is None:
        return legacy
    known = registered.select(r_no=registered.contract_no.cast("string"))
    legacy = legacy.anti_join(known, legacy.contract_no == known.r_no)
    stored = _table(con, "pledge_items")
    if stored is None:
        return legacy
    stored = stored.select(*(stored[c].cast("string").name(c) for c in ("contract_no", "item_kind", "item_no")),
                           added_date=stored.added_date.cast("date"), removed_date=stored.removed_date.cast("date"))
    return stored.union(legacy)


def _latest_changes(con: ibis.BaseBackend, day: ir.DateScalar) -> ir.Table | None:
    """(n_no, new_amount_yuan, new_loan_end, new_pledgee, new_pledgor): per contract, the value of the last change
    of each field registered by the day (null where none), in one aggregate (one join for contracts_on)."""
    ch = _table(con, "pledge_changes")
    if ch is None:
        return None
    ch = ch.filter(ch.change_date <= day)
    return ch.group_by(n_no=ch.contract_no.cast("string")).aggregate(
        **{f"new_{f}": ch.new_value.cast("string").argmax(ch.change_date, where=ch.field == f)
           for f in CHANGE_FIELDS})


def _items_on(con: ibis.BaseBackend, day: ir.DateScalar, it: ir.Table | None = None) -> ir.Table:
    it = items(con) if it is None else it
    return it.filter((it.added_date <= day) & (it.removed_date.isnull() | (it.removed_date > day)))


def current_items(con: ibis.BaseBackend, as_of: date) -> ir.Table:
    """The items of every contract as they stood on the day (added by it, not removed by it), whatever the
    contract's status: the item rule of items_on, for callers that have the contracts already."""
    return _items_on(con, ibis.date(as_of))


def active_items(con: ibis.BaseBackend, as_of: date) -> ir.Table:
    """(contract_no, item_kind, item_no, added_date, removed_date) of the contracts active on the day (registered by
    it, neither released nor disposed by it): items_on's rule without the pledgor's region, which is the costly
    part of contracts_on (collateral candidates ask only "is this patent pledged today?")."""
    day = ibis.date(as_of)
    c = contracts(con)
    active = c.filter((c.registered_date <= day) & (c.released_date.isnull() | (c.released_date > day))
                      & (c.disposed_date.isnull() | (c.disposed_date > day))).select("contract_no")
    return _items_on(con, day).semi_join(active, "contract_no")


def _pledgor_region(con: ibis.BaseBackend, table: ir.Table, day: ir.DateScalar, it: ir.Table | None = None
                    ) -> ir.Table:
    """The table (contract_no, pledgor_norm, …) with region columns, ``region_source`` and the contract's
    enterprise (docs/finance.md, "Region"): the pledgor's town assigned by hand or from the enterprise directory;
    else the first applicant of its patents (the one that is the pledgor first, then the lowest number); else the
    owner of its trademarks.  ``enterprise`` is the pledgor, or that first applicant or owner when none is named."""
    from hvpatent.reference.applicant_towns import town_overrides

    keys = table.select(k_no=table.contract_no, k_pledgor=table.pledgor_norm)
    it = items(con) if it is None else it
    it = it.filter(it.added_date <= day)  # every patent the contract has pledged by the day
    patents = it.filter(it.item_kind == "patent")
    fa = first_applicants(con)
    pledged = patents.select(p_no=patents.item_no)
    fa = fa.semi_join(pledged, fa.app_no == pledged.p_no)  # the pledged patents only
    anchors = patents.join(fa, patents.item_no == fa.app_no)
    anchors = anchors.join(keys, anchors.contract_no == keys.k_no)
    # The anchor: the patent whose first applicant is the pledgor first, then the lowest number (a contract's
    # patents are distinct, so the key is unique and every argmin below picks the same row).
    pick = ibis.ifelse(anchors.applicant == anchors.k_pledgor, "0", "1").concat(anchors.item_no)
    anchors = anchors.group_by(a_no=anchors.contract_no).aggregate(
        a_enterprise=anchors.applicant.cast("string").argmin(pick),
        a_name=anchors.applicant_name.cast("string").argmin(pick),
        a_type=anchors.applicant_type.cast("string").argmin(pick),
        **{f"a_{c}": anchors[c].cast("string").argmin(pick) for c in REGION_COLUMNS})

    joined = table.left_join(anchors, table.contract_no == anchors.a_no)
    over = town_overrides(con)
    joined = joined.left_join(over, joined.pledgor_norm == over.o_name)
    marks = _table(con, "trademarks")
    if marks is not None:
        marks = marks.filter(marks.province_code.notnull()).select(
            m_reg=marks.reg_no.cast("string"), m_owner=marks.owner_norm.cast("string"),
            m_name=marks.owner.cast("string"), **{f"m_{c}": marks[c].cast("string") for c in REGION_COLUMNS})
        tms = it.filter(it.item_kind == "trademark")
        tms = tms.join(marks, tms.item_no == marks.m_reg)
        # the lowest registration number (then owner: a mark in several classes has one row per class)
        pick = tms.item_no.concat("\x00", tms.m_owner.fill_null(""))
        tms = tms.group_by(t_no=tms.contract_no).aggregate(
            **{name: tms[name].argmin(pick) for name in ("m_owner", "m_name", *(f"m_{c}" for c in REGION_COLUMNS))})
        joined = joined.left_join(tms, joined.contract_no == tms.t_no)
    else:
        joined = joined.mutate(m_owner=ibis.null("string"), m_name=ibis.null("string"),
                               **{f"m_{c}": ibis.null("string") for c in REGION_COLUMNS})
    town = joined.o_town
    chain = {"province_code": town.substr(0, 2).concat("0000"), "city_code": town.substr(0, 4).concat("00"),
             "county_code": town.substr(0, 6), "town_code": town}
    has_override, has_anchor = town.notnull(), joined.a_province_code.notnull()
    has_mark = joined.m_province_code.notnull()
    regions = {c: ibis.cases((has_override, chain[c]), (has_anchor, joined[f"a_{c}"]),
                             (has_mark, joined[f"m_{c}"]), else_=ibis.null("string")) for c in REGION_COLUMNS}
    named = joined.pledgor_norm != ""
    return joined.mutate(
        **regions,
        region_source=ibis.cases((has_override, joined.o_layer), (has_anchor, "patent"), (has_mark, "trademark"),
                                 else_=ibis.null("string")),
        enterprise=ibis.cases((named, joined.pledgor_norm), else_=ibis.coalesce(joined.a_enterprise,
                                                                              joined.m_owner, ibis.literal(""))),
        enterprise_name=ibis.cases((named, joined.pledgor), else_=ibis.coalesce(joined.a_name, joined.m_name,
                                                                               ibis.literal(""))),
        # the pledgor's category where it is the first applicant of the patent that places it; else an enterprise
        applicant_type=ibis.cases((~named | (joined.a_enterprise == joined.pledgor_norm), joined.a_type),
                                  else_=ibis.literal("enterprise")),
    ).select(*table.columns, *REGION_COLUMNS, "region_source", "enterprise", "enterprise_name", "applicant_type")


def contracts_on(con: ibis.BaseBackend, as_of: date) -> ir.Table:
    """The contracts registered on or before ``as_of`` as they stood that day (changes up to it applied):
    contract_no, pledgor, pledgor_norm, pledgee, pledgee_norm, amount_yuan (as changed),
    registered_amount_yuan, loan_start, loan_end, registered_date, released_date, disposed_date (null when
    after as_of), status (active | released | disposed), patents, trademarks (items on the day),
    kind (patent | trademark | mixed), town_code (the pledgor's, docs/finance.md) with province_code, city_code,
    county_code, region_source, enterprise, enterprise_name, applicant_type, and source."""
    day = ibis.date(as_of)
    every = items(con)
    return _pledgor_region(con, _contracts_state(con, day, every), day, every)


def _contracts_state(con: ibis.BaseBackend, day: ir.DateScalar, every: ir.Table) -> ir.Table:
    """contracts_on without the pledgor's region (the costly part, which items_on does not need)."""
    c = contracts(con)
    c = c.filter(c.registered_date <= day)
    latest = _latest_changes(con, day)
    if latest is None:
        c = c.mutate(**{f"new_{f}": ibis.null("string") for f in CHANGE_FIELDS})
    else:
        c = c.left_join(latest, c.contract_no == latest.n_no).drop("n_no")
    new = {f: c[f"new_{f}"] for f in CHANGE_FIELDS}
    released = ibis.ifelse(c.released_date <= day, c.released_date, ibis.null("date"))
    disposed = ibis.ifelse(c.disposed_date <= day, c.disposed_date, ibis.null("date"))
    c = c.select(
        "contract_no",
        pledgor=ibis.coalesce(new["pledgor"], c.pledgor),
        pledgor_norm=ibis.ifelse(new["pledgor"].notnull(), norm(new["pledgor"]), c.pledgor_norm),
        pledgee=ibis.coalesce(new["pledgee"], c.pledgee),
        pledgee_norm=ibis.ifelse(new["pledgee"].notnull(), norm(new["pledgee"]), c.pledgee_norm),
        amount_yuan=ibis.coalesce(new["amount_yuan"].cast("float64"), c.amount_yuan),
        registered_amount_yuan=c.amount_yuan,
        loan_start=c.loan_start,
        loan_end=ibis.coalesce(new["loan_end"].cast("date"), c.loan_end),
        registered_date=c.registered_date, released_date=released, disposed_date=disposed,
        status=ibis.cases((disposed.notnull(), "disposed"), (released.notnull(), "released"), else_="active"),
        source=c.source)
    it = _items_on(con, day, every)
    counts = it.group_by("contract_no").aggregate(
        patents=(it.item_kind == "patent").cast("int64").sum(),
        trademarks=(it.item_kind == "trademark").cast("int64").sum())
    counts = counts.select(i_no=counts.contract_no, i_patents=counts.patents, i_trademarks=counts.trademarks)
    c = c.left_join(counts, c.contract_no == counts.i_no)
    patents, trademarks = c.i_patents.fill_null(0), c.i_trademarks.fill_null(0)
    c = c.mutate(patents=patents, trademarks=trademarks,
                 kind=ibis.cases(((patents > 0) & (trademarks > 0), "mixed"),
                                 ((patents == 0) & (trademarks > 0), "trademark"), else_="patent")
                 ).drop("i_no", "i_patents", "i_trademarks")
    return c


def items_on(con: ibis.BaseBackend, as_of: date) -> ir.Table:
    """The items of contracts_on(as_of) not removed by that day, with the contract's status, pledgee, pledgor,
    loan_end and registered_date."""
    day = ibis.date(as_of)
    every = items(con)
    c = _contracts_state(con, day, every)
    c = c.select(c_no=c.contract_no, status=c.status, pledgee=c.pledgee, pledgee_norm=c.pledgee_norm,
                 pledgor=c.pledgor, pledgor_norm=c.pledgor_norm, loan_end=c.loan_end,
                 registered_date=c.registered_date)
    it = _items_on(con, day, every)
    return it.join(c, it.contract_no == c.c_no).drop("c_no")


def bank_filter(table: ir.Table, bank: str, column: str = "pledgee_norm") -> ir.Table:
    """The rows a bank account sees: ``column`` (a normalised pledgee) equals the account's bank or starts with
    it (a head office's account sees its branches).  An account bound to no bank sees nothing."""
    bank = normalize_name(bank or "")
    if not bank:
        return table.filter(ibis.literal(False))
    value = table[column]
    return table.filter(value.substr(0, len(bank)) == bank)


def _check(start: date, end: date, by: str, kind: str) -> None:
    if by not in STAT_DIMENSIONS:
        raise ValueError(f"分组须为 {'、'.join(STAT_DIMENSIONS)} 之一 / by must be one of {', '.join(STAT_DIMENSIONS)}")
    if kind not in STAT_KINDS:
        raise ValueError(f"类型须为 {'、'.join(STAT_KINDS)} 之一 / kind must be one of {', '.join(STAT_KINDS)}")
    if start > end:
        raise ValueError(f"起始日 {start} 晚于截止日 {end} / start {start} is after end {end}")


def period_contracts(con: ibis.BaseBackend, start: date, end: date, *, region: str | None = None,
                     kind: str = "all", bank: str | None = None) -> ir.Table:
    """contracts_on(end) registered in [start, end], of the region (the pledgor's, docs/finance.md), of the kind
    (patent: ≥1 patent item, mixed included; trademark: trademarks only), seen by the bank when given."""
    c = contracts_on(con, end)
    c = c.filter(c.registered_date >= ibis.date(start))
    if region:
        c = in_region(c, region)
    if kind == "patent":
        c = c.filter(c.patents > 0)
    elif kind == "trademark":
        c = c.filter((c.patents == 0) & (c.trademarks > 0))
    if bank is not None:
        c = bank_filter(c, bank)
    return c


def _grouped(con: ibis.BaseBackend, c: ir.Table, by: str, end: date) -> ir.Table:
    """The contracts with ``group`` and ``label_source``: one row per contract and group."""
    if by == "period":
        d = c.registered_date
        group = d.year().cast("string").concat("-", d.month().cast("string").lpad(2, "0"))
        return c.mutate(group=group, label_source=group)
    if by == "bank":
        return c.mutate(group=c.pledgee_norm, label_source=c.pledgee)
    if by == "enterprise":
        return c.mutate(group=c.enterprise, label_source=c.enterprise_name)
    if by == "town":
        return c.mutate(group=c.town_code.fill_null(""), label_source=c.town_code.fill_null(""))
    # industry: a contract counts once in each industry one of its patents (on the day) belongs to
    it = _items_on(con, ibis.date(end))
    patents = it.filter(it.item_kind == "patent")
    members = industry_memberships(con)
    touched = patents.join(members, patents.item_no == members.app_no).select(
        t_no=patents.contract_no, t_industry=members.industry.cast("string")).distinct()
    joined = c.join(touched, c.contract_no == touched.t_no)
    return joined.mutate(group=joined.t_industry, label_source=joined.t_industry).drop("t_no", "t_industry")


def _label(by: str, group: str, source: str | None, lang: str = "zh") -> str:
    if by == "town":
        from hvpatent.reference.regions import region_name

        return (region_name(group) or group) if group else ("未定位" if lang == "zh" else "not placed")
    if by == "industry":
        from hvpatent.indicators.config import industries

        names = {i.code: i.name for i in industries()}
        return names.get(group, group)
    if by == "enterprise" and not group:
        return "未列明出质人" if lang == "zh" else "pledgor not stated"
    if by == "bank" and not group:
        return "未列明质权人" if lang == "zh" else "pledgee not stated"
    return source or group


def pledge_statistics(con: ibis.BaseBackend, start: date, end: date, *, by: str = "period",
                      region: str | None = None, kind: str = "all", bank: str | None = None) -> list[dict]:
    """Contracts registered in [start, end] by period (calendar month 'YYYY-MM'), bank (the pledgee on ``end``),
    enterprise (the pledgor), industry (of its patents: a contract counts once in each industry it touches, so
    industry rows may add up to more than the total) or town (the pledgor's): rows {group, label, contracts,
    amount_yuan (as registered), patents, trademarks (items on ``end``), enterprises, released, disposed (by
    ``end``)}.  A multi-item contract counts once per group; a change is not a new contract.  Periods in order,
    other dimensions by amount then contracts, largest first."""
    _check(start, end, by, kind)
    rows = _grouped(con, period_contracts(con, start, end, region=region, kind=kind, bank=bank), by, end)
    return _aggregate(rows, by)


def pledge_total(con: ibis.BaseBackend, start: date, end: date, *, region: str | None = None, kind: str = "all",
                 bank: str | None = None) -> dict:
    """The same fields as a statistics row over every contract registered in [start, end], each counted once
    (the total row of any breakdown, industry included: never the sum of the industry rows)."""
    _check(start, end, "period", kind)
    c = period_contracts(con, start, end, region=region, kind=kind, bank=bank)
    rows = _aggregate(c.mutate(group=ibis.literal(""), label_source=ibis.literal("")), "total")
    empty = {"contracts": 0, "amount_yuan": 0.0, "patents": 0, "trademarks": 0, "enterprises": 0, "released": 0,
             "disposed": 0}
    return {"group": None, "label": "合计", **(({k: rows[0][k] for k in STAT_FIELDS}) if rows else empty)}


def _aggregate(rows: ir.Table, by: str) -> list[dict]:
    agg = rows.group_by("group").aggregate(
        label_source=rows.label_source.max(),
        contracts=rows.contract_no.nunique(),
        amount_yuan=rows.registered_amount_yuan.sum(),
        patents=rows.patents.sum(), trademarks=rows.trademarks.sum(),
        enterprises=rows.enterprise.nunique(),
        released=(rows.status == "released").cast("int64").sum(),
        disposed=(rows.status == "disposed").cast("int64").sum())
    out = []
    for r in agg.to_pyarrow().to_pylist():
        out.append({"group": r["group"], "label": _label(by, r["group"], r["label_source"]),
                    "contracts": int(r["contracts"]), "amount_yuan": round(float(r["amount_yuan"] or 0), 2),
                    **{k: int(r[k] or 0) for k in ("patents", "trademarks", "enterprises", "released", "disposed")}})
    if by == "period":
        return sorted(out, key=lambda r: r["group"])
    return sorted(out, key=lambda r: (-r["amount_yuan"], -r["contracts"], r["group"]))


def _plain(row: dict) -> dict:
    return {k: (float(v) if k.endswith("amount_yuan") and v is not None else v) for k, v in row.items()}


def statistics_contracts(con: ibis.BaseBackend, start: date, end: date, *, by: str = "period",
                         group: str | None = None, region: str | None = None, kind: str = "all",
                         bank: str | None = None, limit: int | None = None, offset: int = 0) -> list[dict]:
    """The contracts behind a statistics figure (its drill-down), counted as pledge_statistics counts them:
    as many rows as that row's ``contracts``; with no group, every contract of the period once.  Each row is
    contracts_on(end)'s, with ``group`` when one is asked; registration order."""
    _check(start, end, by, kind)
    c = period_contracts(con, start, end, region=region, kind=kind, bank=bank)
    if group is not None:
        grouped = _grouped(con, c, by, end)
        c = grouped.filter(grouped.group == group).drop("label_source")
    c = c.order_by([c.registered_date, c.contract_no])
    if limit is not None or offset:
        c = c.limit(limit, offset=offset)
    return [_plain(r) for r in c.to_pyarrow().to_pylist()]


def contract_detail(con: ibis.BaseBackend, contract_no: str, as_of: date) -> dict | None:
    """The contract as it stood on ``as_of`` (None if not registered by then) with ``items`` (every item pledged by
    that day: patents with their title, trademarks with their mark name; ``current`` False once removed),
    ``changes`` (registered by that day) and ``history`` (dated rows: registration, items added or removed,
    changes, release or disposal)."""
    c = contracts_on(con, as_of)
    found = c.filter(c.contract_no == contract_no).to_pyarrow().to_pylist()
    if not found:
        return None
    detail = _plain(found[0])
    day = ibis.date(as_of)
    it = items(con)
    it = it.filter((it.contract_no == contract_no) & (it.added_date <= day))
    apps = con.table("applications").select(a_no=ibis._.app_no, title=ibis._.title, patent_type=ibis._.patent_type)
    it = it.left_join(apps, (it.item_kind == "patent") & (it.item_no == apps.a_no)).drop("a_no")
    if has_table(con, "trademarks"):
        marks = con.table("trademarks")
        marks = marks.group_by("reg_no").aggregate(mark_name=marks.mark_name.max())
        marks = marks.select(m_reg=marks.reg_no.cast("string"), mark_name=marks.mark_name)
        it = it.left_join(marks, (it.item_kind == "trademark") & (it.item_no == marks.m_reg)).drop("m_reg")
    else:
        it = it.mutate(mark_name=ibis.null("string"))
    rows = it.order_by(["item_kind", "item_no"]).to_pyarrow().to_pylist()
    for r in rows:
        if r["removed_date"] is not None and r["removed_date"] > as_of:
            r["removed_date"] = None  # not yet removed on the day
        r["current"] = r["removed_date"] is None
    detail["items"] = rows
    changes: list[dict] = []
    if has_table(con, "pledge_changes"):
        ch = con.table("pledge_changes")
        ch = ch.filter((ch.contract_no == contract_no) & (ch.change_date <= day))
        changes = ch.order_by(["change_date", "field"]).to_pyarrow().to_pylist()
    detail["changes"] = changes
    history = [{"date": detail["registered_date"], "event": "registration", "field": None, "old_value": None,
                "new_value": None if detail["registered_amount_yuan"] is None
                else f"{detail['registered_amount_yuan']:.2f}"}]
    for r in rows:
        if r["added_date"] > detail["registered_date"]:
            history.append({"date": r["added_date"], "event": "item_added", "field": r["item_kind"],
                            "old_value": None, "new_value": r["item_no"]})
        if r["removed_date"] is not None:
            history.append({"date": r["removed_date"], "event": "item_removed", "field": r["item_kind"],
                            "old_value": r["item_no"], "new_value": None})
    history += [{"date": ch["change_date"], "event": "change", "field": ch["field"], "old_value": ch["old_value"],
                 "new_value": ch["new_value"]} for ch in changes]
    for event in ("released", "disposed"):
        if detail[f"{event}_date"] is not None:
            history.append({"date": detail[f"{event}_date"], "event": event, "field": None, "old_value": None,
                            "new_value": None})
    order = {"registration": 0, "item_added": 1, "item_removed": 2, "change": 3, "released": 4, "disposed": 5}
    detail["history"] = sorted(history, key=lambda h: (h["date"], order[h["event"]]))
    return detail
