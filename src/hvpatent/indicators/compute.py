"""Turning indicator definitions into figures: totals, breakdowns and their changes."""

from __future__ import annotations

from datetime import date
from functools import cache

import ibis
import ibis.expr.types as ir

from hvpatent.indicators.base import ALL_APPLICANTS, code_prefix, has_table, region_column
from hvpatent.indicators.measures import (
    APPLICANT_TYPES,
    DIMENSION_COLUMN,
    INDICATORS,
    PERIOD_MONTHS,
    REGION_DIMENSIONS,
    Context,
    Indicator,
    resolved,
)

GROUP = "group"
# The dates figures can be asked for: from the Patent Law's entry into force (1 April 1985; nothing was
# filed before) to the end of this century (a term of 20 years plus the grace periods stays within
# the calendar); outside it the period arithmetic itself would fail (year 0, year 10000).
AS_OF_FIRST, AS_OF_LAST = date(1985, 4, 1), date(2100, 12, 31)


def check_as_of(day: date) -> date:
    """``day`` if figures can be computed for it, else ValueError with a message for the user."""
    if not AS_OF_FIRST <= day <= AS_OF_LAST:
        raise ValueError(f"统计日期须在 {AS_OF_FIRST}（专利法施行）至 {AS_OF_LAST} 之间，而不是 {day} / "
                         f"as_of must lie between {AS_OF_FIRST} (the Patent Law's entry into force) and "
                         f"{AS_OF_LAST}, not {day}")
    return day


def records(ctx: Context, key: str) -> ir.Table:
    """The drill-down list behind an indicator (for a ratio: its numerator's list)."""
    ind = INDICATORS[key]
    if ind.records is not None:
        return ind.records(ctx)
    return records(ctx, ind.ratio[0] if ind.ratio else ind.per_10k)


def _grouped(ctx: Context, ind: Indicator, by: str | None) -> ir.Table:
    """(group, value) for a record-based indicator; group is a constant when ``by`` is None."""
    rows = _with_region_level(ctx, ind.records(ctx), by)
    needed = "app_no" if by == "industry" else DIMENSION_COLUMN.get(by)
    if by and needed not in rows.columns:
        # e.g. trademarks have no industry, patents no Nice class, aggregate trademark counts only a region
        return ibis.memtable({GROUP: [], "value": []}, schema={GROUP: "string", "value": "float64"})
    if by == "industry":
        rows = rows.join(ctx.industry_members(), "app_no")
    if by in APPLICANT_TYPES:
        rows = rows.filter(rows.applicant_type.isin(APPLICANT_TYPES[by]))
    group = rows[DIMENSION_COLUMN[by]] if by else ibis.literal("all")
    rows = rows.mutate(**{GROUP: group.cast("string")})
    if ind.sum_column:
        distinct = rows.select(GROUP, ind.distinct_key, ind.sum_column).distinct()
        value = distinct[ind.sum_column].sum().cast("float64")
        if ind.unit == "万元":
            value = value / 10_000
        return distinct.group_by(GROUP).aggregate(value=value)
    distinct = rows.select(GROUP, ind.distinct_key).distinct()
    return distinct.group_by(GROUP).aggregate(value=distinct.count().cast("float64"))


@cache
def county_level_cities() -> tuple[str, ...]:
    """Prefecture-level cities without counties (东莞 441900, 中山 442000, 儋州 460400): their towns sit directly
    under the city, so in a ranking by county each is a county-level unit of its own, under its city code."""
    from hvpatent.reference.regions import all_regions, children_of

    return tuple(r.code for r in all_regions() if r.level == "city" and children_of(r.code)
                 and all(kid.level == "town" for kid in children_of(r.code)))


def _with_region_level(ctx: Context, rows: ir.Table, by: str | None) -> ir.Table:
    """Record lists carry the town and county of the first applicant; a ranking by city or province
    takes that level's code from the day's legal states (the same first applicant), since an applicant
    placed only to a city has no county to derive it from; a ranking by county counts a city without
    counties as one. Records without a region at that level are not ranked."""
    column = DIMENSION_COLUMN.get(by)
    if by not in REGION_DIMENSIONS or (column not in rows.columns and "app_no" not in rows.columns):
        return rows
    needed = "city_code" if by == "county" else column
    if needed not in rows.columns:
        rows = rows.join(ctx.states().select("app_no", needed), "app_no")
    if by == "county":
        own = rows.city_code.isin(county_level_cities())
        rows = rows.mutate(county_code=ibis.coalesce(rows.county_code,
                                                     ibis.ifelse(own, rows.city_code, ibis.null("string"))))
    return rows.filter(rows[column].notnull())


def in_group(ctx: Context, rows: ir.Table, by: str, group: str) -> ir.Table:
    """The rows of one group of a breakdown: the drill-down of one bar or one table cell."""
    if by in REGION_DIMENSIONS:
        column = DIMENSION_COLUMN[by]
        with_level = _with_region_level(ctx, rows, by)
        return with_level.filter(with_level[column] == group).select(*rows.columns)
    if by == "industry":
        members = ctx.industry_members()
        return rows.semi_join(members.filter(members.industry == group).select("app_no"), "app_no")
    if by in APPLICANT_TYPES:
        rows = rows.filter(rows.applicant_type.isin(APPLICANT_TYPES[by]))
    return rows.filter(rows[DIMENSION_COLUMN[by]].cast("string") == group)


def population_year(as_of: date) -> int:
    """The year whose year-end population a per-10,000 figure on ``as_of`` reads: the latest year-end on or before
    it (the as-of year itself only on 31 December)."""
    return as_of.year if (as_of.month, as_of.day) == (12, 31) else as_of.year - 1


# The bases of per-10,000 figures: (table, column) of a year-end count per region.
BASES = {"population": ("population", "population"), "market_entities": ("market_entities", "entities")}


def _population(ctx: Context, by: str | None, base: str = "population") -> ir.Table:
    """(group, population) at the latest year-end on or before the as-of date; ``base`` market_entities: the
    year-end count of market entities (市场主体) instead of residents, under the same column name."""
    last_year = population_year(ctx.as_of)
    # the same table for every day of the same year-end: built once (a trend asks for it many times)
    return ctx.memo(f"{base}:{by}:{last_year}:{ctx.region}", lambda: _population_at(ctx, by, last_year, base),
                    dated=False)


def _population_at(ctx: Context, by: str | None, last_year: int, base: str = "population") -> ir.Table:
    table, column = BASES[base]
    if not has_table(ctx.con, table):  # market entities: a Parquet export older than the table has none
        return ibis.memtable({GROUP: [], "population": []}, schema={GROUP: "string", "population": "float64"})
    pop = ctx.con.table(table)
    pop = pop.rename(population=column) if column != "population" else pop
    pop = pop.filter(pop.year <= last_year)
    latest = pop.group_by("region_code").aggregate(year=pop.year.max())
    pop = pop.join(latest, ["region_code", "year"])
    if by == "town":
        pop = pop.filter(pop.region_code.length() == 12)
        if ctx.region:
            pop = pop.filter(pop.region_code.startswith(ctx.region[:6]))
        return pop.select(**{GROUP: pop.region_code, "population": pop.population.cast("float64")})
    if by in REGION_DIMENSIONS:
        pop = pop.filter(_region_level(pop.region_code, by))
        if ctx.region and ctx.region != ALL_APPLICANTS:
            pop = pop.filter(pop.region_code.startswith(code_prefix(ctx.region)))
        return pop.select(**{GROUP: pop.region_code, "population": pop.population.cast("float64")})
    if by is None and ctx.region:
        pop = pop.filter(pop.region_code == ctx.region)
        return pop.select(**{GROUP: ibis.literal("all"), "population": pop.population.cast("float64")})
    return ibis.memtable({GROUP: [], "population": []}, schema={GROUP: "string", "population": "float64"})


def _region_level(code: ir.StringValue, by: str) -> ir.BooleanValue:
    """Codes of the level of a ranking, as region_column reads them: 6 digits, ending in 0000 for a
    province, in 00 for a city, neither for a county (or a city without counties)."""
    six = code.length() == 6
    if by == "province":
        return six & code.endswith("0000")
    if by == "city":
        return six & code.endswith("00") & ~code.endswith("0000")
    return six & (~code.endswith("00") | code.isin(county_level_cities()))


def grouped_values(ctx: Context, key: str, by: str | None = None) -> ir.Table:
    ind = resolved(INDICATORS[key])
    if ind.ratio:
        num_key, den_key, scale = ind.ratio
        num = grouped_values(ctx, num_key, by).rename(num="value")
        den = grouped_values(ctx, den_key, by).rename(den="value")
        j = den.left_join(num, GROUP).select(den[GROUP], "num", "den")
        value = ibis.ifelse(j.den > 0, j.num.fill_null(0) / j.den * scale, ibis.null("float64"))
        return j.select(GROUP, value=value)
    if ind.per_10k:
        num = grouped_values(ctx, ind.per_10k, by)
        pop = _population(ctx, by, ind.base)
        if by in REGION_DIMENSIONS:
            # Every ranked region appears; one without a population row has no per-10k value (None).
            j = num.outer_join(pop, GROUP)
            group = ibis.coalesce(j[GROUP], j[f"{GROUP}_right"])
            value = ibis.ifelse(j.population > 0, j.value.fill_null(0) / j.population * 10_000,
                                ibis.null("float64"))
            return j.select(**{GROUP: group, "value": value})
        j = pop.left_join(num, GROUP).select(pop[GROUP], "population", "value")
        return j.select(GROUP, value=j.value.fill_null(0) / j.population * 10_000)
    return _grouped(ctx, ind, by)


def value(ctx: Context, key: str) -> float | None:
    return values([(ctx, key)])[0]


def values(questions: list[tuple[Context, str]]) -> list[float | None]:
    """The value of each (context, indicator key), computed in one query."""
    return [next(iter(found.values()), _empty(key))
            for found, (_, key) in zip(grouped_many(questions), questions, strict=True)]


def grouped_many(questions: list[tuple[Context, str]], by: str | None = None) -> list[dict[str, float | None]]:
    """{group: value} of each (context, indicator key), computed in one query.

    Compiling an expression costs far more than running it on a district's data, and the questions of
    one page (eight quarter-ends, three periods) share most of their parts: one union compiles each
    shared part once and runs once."""
    if not questions:
        return []
    parts = []
    for i, (ctx, key) in enumerate(questions):
        g = grouped_values(ctx, key, by)
        parts.append(g.select(i=ibis.literal(i, "int64"), group=g[GROUP].cast("string"),
                              value=g.value.cast("float64")))
    found: list[dict[str, float | None]] = [{} for _ in questions]
    for row in ibis.union(*parts, distinct=False).to_pyarrow().to_pylist():
        found[row["i"]].setdefault(row["group"], row["value"])
    return found


def _empty(key: str) -> float | None:
    """The value of an indicator with no rows: a count or sum of nothing is 0, a ratio is undefined."""
    ind = INDICATORS[key]
    return None if (ind.ratio or ind.per_10k) else 0.0


def _change(now: float | None, before: float | None) -> float | None:
    if now is None or before is None or before == 0:
        return None
    return round((now - before) / before * 100, 2)


def indicator_table(ctx: Context, period: str, keys: list[str] | None = None, by: str | None = None) -> list[dict]:
    """Each indicator with its value, the previous period's and last year's, and the changes."""
    keys = keys or list(INDICATORS)
    previous, last_year = ctx.shifted(PERIOD_MONTHS[period]), ctx.shifted(12)
    ctx.prefetch([ctx.as_of, previous.as_of, last_year.as_of])  # the three days' states in one query
    rows: list[dict] = []
    if by is None:
        found = iter(values([(c, key) for key in keys for c in (ctx, previous, last_year)]))
        return [_row(key, None, *(next(found) for _ in range(3))) for key in keys]
    found = iter(grouped_many([(c, key) for key in keys for c in (ctx, previous, last_year)], by))
    for key in keys:
        frames = [next(found) for _ in range(3)]
        for group in sorted(frames[0], key=lambda g: -(frames[0][g] or 0)):
            rows.append(_row(key, group, frames[0][group], frames[1].get(group), frames[2].get(group)))
    return rows


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _row(key: str, group: str | None, now, prev, ly) -> dict:
    ind = resolved(INDICATORS[key])
    rnd = _round
    return {"key": key, "name": ind.zh, "name_en": ind.en, "unit": ind.unit, "group": group,
            "value": rnd(now), "previous": rnd(prev), "change_pct": _change(now, prev),
            "last_year": rnd(ly), "yoy_pct": _change(now, ly)}


__all__ = ["AS_OF_FIRST", "AS_OF_LAST", "check_as_of", "grouped_values", "in_group", "indicator_table", "records",
           "region_column", "value", "values"]
