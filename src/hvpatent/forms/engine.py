"""Filling a form: every count cell is the number of records (a measure's drill-down list) that meet its
row's and its column's conditions; shares, densities and ranks are computed from those counts, so each
cell drills down to the patents behind it (docs/forms.md, "How a cell is computed")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import ibis
import ibis.expr.types as ir

from hvpatent.forms.period import Period
from hvpatent.forms.spec import (
    CATEGORIES,
    MEASURES,
    ColumnSpec,
    FormSpec,
    RowSpec,
    Text,
    column_measure,
    record_family,
)
from hvpatent.indicators import (
    ALL_APPLICANTS,
    AS_OF_FIRST,
    Context,
    check_as_of,
    effective_mark_records,
    has_table,
    origin_of,
    population_year,
    records,
)
from hvpatent.reference.regions import Region, children_of, region_by_code, region_name

DOMESTIC = ("mainland", "hk", "macao", "taiwan")  # CNIPA's 国内 includes Hong Kong, Macao and Taiwan
OTHER, TOTAL = "other", "total"
# The words a user may give for the whole country instead of a region code (CLI and web).
NATIONAL = ("全国", "all", "china", "cn", "national")
TOTAL_LABELS = {None: Text("全国", "China"), "province": Text("全省", "province total"),
                "city": Text("全市", "city total"), "county": Text("全区（县）", "county total"),
                "town": Text("全镇（街）", "town total")}
DEFAULT_DECIMALS = {"count": 0, "share": 1, "population": 2, "per_10k": 2, "entities": 2, "per_10k_entities": 2,
                    "rank": 0}


@dataclass(frozen=True)
class Cell:
    value: float | None
    text: str
    drill: bool = False  # a list of patents lies behind it


@dataclass(frozen=True)
class FormRow:
    key: str
    labels: tuple[Text, ...]
    kind: str  # static | region | other | total
    code: str | None = None


@dataclass
class FormResult:
    spec: FormSpec
    period: Period
    region: str | None
    rows: list[FormRow]
    cells: dict[tuple[str, str], Cell]
    notes: list[Text] = field(default_factory=list)

    @property
    def as_of(self) -> date:
        return self.period.end

    def cell(self, row: str, column: str) -> Cell:
        return self.cells[(row, column)]

    def region_label(self, lang: str = "zh") -> str:
        if not self.region:
            return "全国" if lang == "zh" else "China"
        return region_name(self.region) or self.region

    def header_block(self, lang: str = "zh") -> list[tuple[str, str]]:
        """(label, value) of the block above the table: 表号, 制表机关, 备案机关, 文号, period, region, unit."""
        spec, zh = self.spec, lang == "zh"
        items = [("表号" if zh else "Form No.", spec.table_no), ("制表机关" if zh else "Compiled by", spec.authority),
                 ("备案机关" if zh else "Registered with", spec.filed_with),
                 ("备案文号" if zh else "Registration No.", spec.filing_no),
                 ("统计期" if zh else "Period", self.period.label(lang)),
                 ("地区" if zh else "Region", self.region_label(lang)),
                 ("单位" if zh else "Unit", spec.unit(lang))]
        return [(label, value) for label, value in items if value]


# -- the records and their conditions ----------------------------------------------------------------------
def _window_start(period: Period, window: str) -> date:
    return {"period": period.start, "year_to_date": date(period.end.year, 1, 1),
            "month": period.end.replace(day=1), "all_time": AS_OF_FIRST}[window]


class _Records:
    """Each measure's records for each window, with the columns the conditions read and ``record_key``, what
    one record is (a patent application, or a trademark in one Nice class)."""

    def __init__(self, con: ibis.BaseBackend, spec: FormSpec, period: Period, region: str | None,
                 as_known_on: date | None) -> None:
        check_as_of(period.end)
        self.spec, self.period, self.region = spec, period, region
        # Without a region the forms cover every applicant, foreign ones included (国外 rows).
        self.ctx = Context.create(con, period.end, "year", region or ALL_APPLICANTS, as_known_on=as_known_on)
        self._tables: dict[str, ir.Table] = {}

    def of(self, window: str, measure: str | None = None) -> ir.Table:
        measure = measure or self.spec.measure
        if (window, measure) not in self._tables:
            ctx = self.ctx.at(self.period.end, _window_start(self.period, window))
            # the marks in force from records only: a region with only the totals template has no form by town
            rows = effective_mark_records(ctx) if measure == "trademarks" else records(ctx, MEASURES[measure])
            if record_family(measure) == "trademarks":
                rows = _trademark_rows(rows)
            else:
                extra = ctx.applicants().select("app_no", "origin", "province_code", "city_code")
                rows = rows.join(extra, "app_no").mutate(record_key=ibis._.app_no)
            known = rows.applicant_type.isin(CATEGORIES)
            origin_known = rows.origin != "unknown"
            self._tables[(window, measure)] = rows.mutate(
                category=ibis.ifelse(known, rows.applicant_type, self.spec.unclassified_as),
                category_settled=known,
                origin_e=ibis.ifelse(origin_known, rows.origin, self.spec.unknown_origin_as),
                origin_settled=origin_known,
            )
        return self._tables[(window, measure)]


def _trademark_rows(rows: ir.Table) -> ir.Table:
    """A trademark list as the forms read it: one record per mark and class, its owner's origin read as a first
    applicant's (the country the import found, else the region; neither: unknown)."""
    return rows.mutate(record_key=rows.trademark_key,
                       origin=origin_of(rows.province_code, rows.country, ibis.literal(False)))


def condition(table: ir.Table, where: dict) -> ir.BooleanValue:
    """The rows of a record table that meet a row's or a column's filters."""
    cond = ibis.literal(True)
    for name, wanted in where.items():
        if name == "patent_type":
            cond &= table.patent_type == wanted
        elif name == "origin":
            options = DOMESTIC if wanted == "domestic" else (wanted,)
            cond &= table.origin_e.isin(options)
        elif name == "service":
            cond &= (table.category != "individual") if wanted else (table.category == "individual")
        elif name == "category":
            cond &= table.category == wanted
        elif name == "criterion":
            cond &= ibis.literal(",").concat(table.criteria, ",").contains(f",{wanted},")
        elif name == "mark_kind":
            cond &= table.mark_kind == wanted
        elif name == "gi":
            cond &= table.is_gi.fill_null(False) == wanted
    return cond


# -- filling the form ------------------------------------------------------------------------------------
def compute_form(con: ibis.BaseBackend, spec: FormSpec, period: Period, region: str | None = None,
                 as_known_on: date | None = None) -> FormResult:
    """The form for a region (None: the whole country) and period, every cell filled."""
    found = _Records(con, spec, period, region, as_known_on)
    if spec.by_region is not None:
        rows, counts = _region_counts(found, spec, region)
    else:
        rows = [FormRow(r.key, r.labels, "static") for r in spec.rows]
        counts = _static_counts(found, spec)
    cells = {(row.key, c.key): Cell(counts[(row.key, c.key)], str(int(counts[(row.key, c.key)])), True)
             for row in rows for c in spec.columns if c.kind == "count"}
    if spec.by_region is not None:
        _fill_region_formulas(con, spec, period, region, rows, counts, cells)
    else:
        _fill_static_shares(spec, counts, cells)
    return FormResult(spec, period, region, rows, cells, [*spec.notes, *_settlement_notes(found, spec)])


def _count_columns(spec: FormSpec) -> list[ColumnSpec]:
    return [c for c in spec.columns if c.kind == "count"]


def _sources(spec: FormSpec) -> list[tuple[str, str]]:
    """The (window, measure) pairs the form's count columns read, each once."""
    return list(dict.fromkeys((c.window, column_measure(spec, c)) for c in _count_columns(spec)))


def _columns_of(spec: FormSpec, window: str, measure: str) -> list[ColumnSpec]:
    return [c for c in _count_columns(spec) if c.window == window and column_measure(spec, c) == measure]


def _static_counts(found: _Records, spec: FormSpec) -> dict[tuple[str, str], float]:
    counts: dict[tuple[str, str], float] = {}
    for window, measure in _sources(spec):
        table = found.of(window, measure)
        names, aggs = [], {}
        for i, row in enumerate(spec.rows):
            for j, col in enumerate(_columns_of(spec, window, measure)):
                name = f"c{i}_{j}"
                aggs[name] = table.record_key.nunique(where=condition(table, row.where) & condition(table, col.where))
                names.append((name, row.key, col.key))
        result = table.aggregate(**aggs).to_pyarrow().to_pylist()[0]
        counts.update({(r, c): float(result[name] or 0) for name, r, c in names})
    return counts


def _fill_static_shares(spec: FormSpec, counts: dict, cells: dict) -> None:
    for col in spec.columns:
        if col.kind != "share":
            continue
        decimals = col.decimals if col.decimals is not None else DEFAULT_DECIMALS["share"]
        for row in spec.rows:
            cells[(row.key, col.key)] = _share_cell(row, col, counts, decimals)


def printed(numerator: float, denominator: float, scale: int, decimals: int) -> Decimal | None:
    """numerator / denominator × scale rounded half up to ``decimals`` places, as a statistician rounds
    (GB/T 8170-2008 4-5 rounding; 1/16 = 6.25 % prints 6.3, where binary floats would print 6.2)."""
    if not denominator:
        return None
    exact = Decimal(int(numerator)) * scale / Decimal(str(denominator))
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _share_cell(row: RowSpec, col: ColumnSpec, counts: dict, decimals: int) -> Cell:
    own = counts[(row.key, col.of)]
    base_row = row.slash_base or row.share_base
    if base_row is None:
        return Cell(None, "")
    share = printed(own, counts[(base_row, col.of)], 100, decimals)
    if share is None:
        return Cell(None, "-")
    # a sub-total: 100 of its own parts / its weight in the base row
    return Cell(float(share), f"100/{share}" if row.slash_base else f"{share}%", True)


def _settlement_notes(found: _Records, spec: FormSpec) -> list[Text]:
    """Say how many counted records had an unclassified applicant or an unknown origin, and where they went."""
    parts = []
    for window, measure in _sources(spec):  # every window and measure the form counts
        table = found.of(window, measure)
        # only the records the form counts: those of some row (a table of the country's regions: domestic ones)
        if spec.by_region is None:
            in_form = ibis.literal(False)
            for row in spec.rows:
                in_form |= condition(table, row.where)
            table = table.filter(in_form)
        elif found.region is None:
            table = table.filter(table.origin_e.isin(DOMESTIC))
        parts.append(table.select("record_key", "category_settled", "origin_settled"))
    if not parts:
        return []
    table = parts[0].union(*parts[1:], distinct=True) if len(parts) > 1 else parts[0]
    result = table.aggregate(unclassified=(~table.category_settled).sum(),
                             unknown=(~table.origin_settled).sum()).to_pyarrow().to_pylist()[0]
    notes = []
    if result["unclassified"]:
        zh = {"university": "大专院校", "institute": "科研单位", "enterprise": "工矿企业", "government": "机关团体",
              "individual": "个人"}[spec.unclassified_as]
        notes.append(Text(f"其中 {int(result['unclassified'])} 件的第一申请人类别尚未确认，暂计入{zh}；"
                          "请用 hvp applicants unclassified 查看并确认。",
                          f"{_records_en(result['unclassified'])} an unclassified first applicant, counted "
                          f"as {spec.unclassified_as} until settled (hvp applicants unclassified)."))
    if result["unknown"]:
        where = "国内" if spec.unknown_origin_as == "mainland" else "国外"
        notes.append(Text(f"其中 {int(result['unknown'])} 件的第一申请人地址未能判断国内外，暂计入{where}。",
                          f"{_records_en(result['unknown'])} a first applicant of unknown origin, counted as "
                          f"{'domestic' if spec.unknown_origin_as == 'mainland' else 'foreign'}."))
    return notes


def _records_en(count: int) -> str:
    return "1 record has" if int(count) == 1 else f"{int(count)} records have"


# -- forms by sub-region ---------------------------------------------------------------------------------
# Divisions' stand-ins for a level that does not exist: a municipality's districts and counties, a province's
# directly administered counties (仙桃, 潜江, 天门 …): their children are listed in their place.
PLACEHOLDERS = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")
LEVEL_COLUMN = {"province": "province_code", "city": "city_code", "county": "county_code", "town": "town_code"}


def sub_regions(region: str | None) -> list[Region]:
    """The sub-regions a form by region lists, in code order: the provinces (with Taiwan, Hong Kong, Macao) of
    the country, the cities of a province (with its directly administered counties; a municipality such as
    Chongqing: its districts and counties), the counties of a city, the towns of a county."""
    if not region:
        return [r for r in region_by_code().values() if r.level == "province"]
    listed = []
    for kid in children_of(region):
        grandchildren = children_of(kid.code) if kid.level == "city" and kid.name in PLACEHOLDERS else []
        listed += grandchildren or [kid]
    if not listed:
        raise ValueError(f"「{region_name(region) or region}」没有下级区划，无法分地区列表 / "
                         "the region has no sub-regions")
    return sorted(listed, key=lambda r: r.code)


def sub_region_key(table: ir.Table, kids: list[Region]) -> ir.StringValue:
    """The listed sub-region each record lies in (its code), else ``other``: the first applicant's code at
    each listed level, the coarsest first (湖北: a city code, else the county code of 仙桃 …)."""
    order = ("province", "city", "county", "town")
    branches = []
    for level in sorted({k.level for k in kids}, key=order.index):
        column = table[LEVEL_COLUMN[level]]
        branches.append((column.isin([k.code for k in kids if k.level == level]), column))
    return ibis.cases(*branches, else_=OTHER)


def _region_counts(found: _Records, spec: FormSpec, region: str | None
                   ) -> tuple[list[FormRow], dict[tuple[str, str], float]]:
    kids = sub_regions(region)
    codes = [k.code for k in kids]
    counts: dict[tuple[str, str], float] = {}
    for window, measure in _sources(spec):
        table = found.of(window, measure)
        if not region:  # a table of the country's regions counts domestic applicants only
            table = table.filter(table.origin_e.isin(DOMESTIC))
        group = sub_region_key(table, kids).name("group")
        cols = _columns_of(spec, window, measure)
        aggs = {f"c{j}": table.record_key.nunique(where=condition(table, c.where)) for j, c in enumerate(cols)}
        for row in table.group_by(group).aggregate(**aggs).to_pyarrow().to_pylist():
            for j, c in enumerate(cols):
                counts[(row["group"], c.key)] = float(row[f"c{j}"] or 0)
        for c in cols:
            for key in [*codes, OTHER]:
                counts.setdefault((key, c.key), 0.0)
            counts[(TOTAL, c.key)] = sum(counts[(key, c.key)] for key in [*codes, OTHER])
    label = (lambda r: r.short_name) if spec.by_region.names == "short" else (lambda r: r.name)
    rows = [FormRow(k.code, (Text(label(k), label(k)),), "region", k.code) for k in kids]
    if any(counts[(OTHER, c.key)] for c in _count_columns(spec)):
        rows.append(FormRow(OTHER, (spec.by_region.other,), "other"))
    rows.append(FormRow(TOTAL, (spec.by_region.total or total_label(region),), "total", region))
    return rows, counts


def total_label(region: str | None) -> Text:
    """全国 / 全省 / 全市 / 全区 / 全县 …: the total row as the forms name it, from the region's own name."""
    if not region:
        return TOTAL_LABELS[None]
    found = region_by_code()[region]
    if found.level == "county":
        suffix = found.name[-1] if found.name[-1] in "区县市旗" else "区（县）"
        return Text(f"全{suffix}", "county total")
    return TOTAL_LABELS[found.level]


def populations(con: ibis.BaseBackend, codes: list[str], as_of: date) -> dict[str, float]:
    """Resident population (persons) of each code at the latest year-end on or before the as-of date, as the
    per-10,000 indicators read it (docs/indicators.md, "Population")."""
    return _year_end_counts(con, "population", "population", codes, as_of)


def market_entities(con: ibis.BaseBackend, codes: list[str], as_of: date) -> dict[str, float]:
    """Market entities (市场主体) of each code at the latest year-end on or before the as-of date, the year the
    population is read for (the base of 每万户市场主体有效商标拥有量)."""
    return _year_end_counts(con, "market_entities", "entities", codes, as_of)


def _year_end_counts(con: ibis.BaseBackend, table: str, column: str, codes: list[str], as_of: date
                     ) -> dict[str, float]:
    last_year = population_year(as_of)
    if not has_table(con, table):  # a Parquet export of a warehouse older than the table: none known
        return {}
    rows = con.table(table)
    rows = rows.filter(rows.region_code.isin(codes) & (rows.year <= last_year))
    latest = rows.group_by("region_code").aggregate(year=rows.year.max())
    found = rows.join(latest, ["region_code", "year"]).select("region_code", column).to_pyarrow().to_pylist()
    return {r["region_code"]: float(r[column]) for r in found}


def _bases(con: ibis.BaseBackend, spec: FormSpec, period: Period, region: str | None, rows: list[FormRow]
           ) -> dict[str, dict[str, float | None]]:
    """Each row's resident population and market entities ({"population": {row key: persons}, "entities": …}):
    a sub-region's own, the total row's the region's (else its parts' sum when every part has one)."""
    codes = [r.code for r in rows if r.kind == "region"]
    wanted = {c.kind for c in spec.columns}
    out: dict[str, dict[str, float | None]] = {}
    for base, read, kinds in (("population", populations, ("population", "per_10k")),
                              ("entities", market_entities, ("entities", "per_10k_entities"))):
        if not wanted.intersection(kinds):
            continue
        known = read(con, [*codes, *([region] if region else [])], period.end)
        total = known.get(region) if region else None
        if total is None and codes and all(c in known for c in codes):
            total = sum(known[c] for c in codes)  # no figure for the region itself: its parts add up
        out[base] = {r.key: (known.get(r.code) if r.kind == "region" else total if r.kind == "total" else None)
                     for r in rows}
    return out


def _fill_region_formulas(con: ibis.BaseBackend, spec: FormSpec, period: Period, region: str | None,
                          rows: list[FormRow], counts: dict, cells: dict) -> None:
    bases = _bases(con, spec, period, region, rows)
    for col in spec.columns:
        decimals = col.decimals if col.decimals is not None else DEFAULT_DECIMALS[col.kind]
        for r in rows:
            if col.kind in ("population", "entities"):
                base = bases[col.kind][r.key]
                cells[(r.key, col.key)] = _number(printed(base, 10_000, 1, decimals) if base else None)
            elif col.kind in ("per_10k", "per_10k_entities"):
                base = bases["population" if col.kind == "per_10k" else "entities"][r.key]
                value = printed(counts[(r.key, col.of)], base or 0, 10_000, decimals)
                cells[(r.key, col.key)] = _number(value, drill=value is not None)
            elif col.kind == "share":
                value = printed(counts[(r.key, col.of)], counts[(TOTAL, col.of)], 100, decimals)
                cells[(r.key, col.key)] = _number(value, drill=value is not None, suffix="%")
    for col in spec.columns:  # ranks last: they read the cells above
        if col.kind == "rank":
            _fill_ranks(spec, rows, col, cells)


def _fill_ranks(spec: FormSpec, rows: list[FormRow], col: ColumnSpec, cells: dict) -> None:
    """Competition ranking (1, 2, 2, 4) of the sub-regions by the printed value of another column, highest
    first; equal printed values share a rank. The other and total rows are not ranked."""
    ranked = [(cells[(r.key, col.of)].value, r.key) for r in rows
              if r.kind == "region" and cells[(r.key, col.of)].value is not None]
    values = sorted((v for v, _ in ranked), reverse=True)
    rank_of = {key: values.index(v) + 1 for v, key in ranked}
    for r in rows:
        rank = rank_of.get(r.key)
        cells[(r.key, col.key)] = Cell(rank, str(rank) if rank else "")


def _number(value: Decimal | None, drill: bool = False, suffix: str = "") -> Cell:
    """A computed cell: its value is the printed number (what the form publishes and ranks)."""
    if value is None:
        return Cell(None, "-")
    return Cell(float(value), f"{value}{suffix}", drill)


# -- drill-down ------------------------------------------------------------------------------------------
def cell_records(con: ibis.BaseBackend, spec: FormSpec, period: Period, region: str | None, row: str,
                 column: str, as_known_on: date | None = None) -> ir.Table:
    """The records behind one cell: for a count its own, for a share or a density its count's (the
    numerator), as every indicator drills down to its numerator's list."""
    col = spec.column(column)
    while col.kind != "count":
        if col.kind in ("population", "entities", "rank") or col.of is None:
            raise KeyError(column)
        col = spec.column(col.of)
    found = _Records(con, spec, period, region, as_known_on)
    table = found.of(col.window, column_measure(spec, col))
    if spec.by_region is not None:
        kids = sub_regions(region)
        if not region:
            table = table.filter(table.origin_e.isin(DOMESTIC))
        if row != TOTAL:
            if row != OTHER and row not in {k.code for k in kids}:
                raise KeyError(row)
            table = table.filter(sub_region_key(table, kids) == row)
    else:
        table = table.filter(condition(table, spec.row(row).where))
    table = table.filter(condition(table, col.where))
    return table.drop("category_settled", "origin_e", "origin_settled", "record_key").order_by(
        "trademark_key" if record_family(column_measure(spec, col)) == "trademarks" else "app_no")
