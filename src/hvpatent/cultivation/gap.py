"""The gap to a plan target: how many more patents the region needs on the deadline (docs/cultivation.md).

required_count: the smallest whole number of patents whose figure on the deadline reaches the target; a per-10k
figure divides by the projected population of the deadline (projected_population).  held: what the region
holds now less the terms ending on or before the deadline (every annuity paid; what_if discounts the unpaid).
gap: required less held, never below 0.  Arithmetic in exact decimals (10.7 × 1,000,000 / 10,000 is 1070, not
1070.0000000000002).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

import ibis
import numpy as np

from hvpatent import i18n
from hvpatent.cultivation.rates import annuities_due, annuity_rate, grant_model, grant_probability, survival
from hvpatent.indicators import ALL_APPLICANTS, Context, has_table, population_year, records, value
from hvpatent.indicators.base import first_applicants, in_region
from hvpatent.legal import legal_state
from hvpatent.plan.model import Plan, Target

# The indicators a gap is counted for: indicator → (the count it is made of, whether it is per 10,000 residents).
GAP_INDICATORS: dict[str, tuple[str, bool]] = {
    "valid_inventions_per_10k": ("valid_inventions", True),
    "high_value_per_10k": ("high_value_inventions", True),
    "valid_inventions": ("valid_inventions", False),
    "high_value_inventions": ("high_value_inventions", False),
    "industry_valid_inventions": ("industry_valid_inventions", False),
}
HIGH_VALUE_COUNTS = ("high_value_inventions",)
POPULATION_FIT_ROWS = 5


class GapError(ValueError):
    """A target the gap cannot be counted for (unknown, or not a patent count)."""


def _exact(x: float | int) -> Fraction:
    """A number as the decimal it was written as: Fraction(Decimal('10.7')), not the float's binary value."""
    return Fraction(Decimal(repr(x))) if isinstance(x, float) else Fraction(x)


def projected_population(con: ibis.BaseBackend, region: str | None, day: date) -> tuple[float | None, str]:
    """The population a per-10k figure on ``day`` divides by: the region's year-end population of
    population_year(day).  Read when the warehouse has that year; else a least-squares line through the
    region's last five year-end rows, evaluated at that year (one row: carried as it is); none: None."""
    year = population_year(day)
    if not region or not has_table(con, "population"):
        return None, i18n.say("没有地区或人口数据", "no region or population data")
    pop = con.table("population")
    rows = (pop.filter(pop.region_code == region).select("year", "population").order_by("year")
            .to_pyarrow().to_pylist())
    exact = [r["population"] for r in rows if r["year"] == year]
    if exact:
        return float(exact[0]), i18n.say(f"{year}年末户籍人口（数据仓库）", f"year-end {year} population (warehouse)")
    if not rows:
        return None, i18n.say(f"没有 {region} 的人口数据", f"no population rows for {region}")
    last = rows[-POPULATION_FIT_ROWS:]
    if len(last) == 1:
        only = last[0]
        return float(only["population"]), i18n.say(
            f"缺{year}年数据，沿用{only['year']}年末人口（仅一年数据）",
            f"no {year} row: the {only['year']} year-end population carried (one row only)")
    years = np.array([r["year"] for r in last], float)
    slope, intercept = np.polyfit(years, np.array([r["population"] for r in last], float), 1)
    projected = float(round(slope * year + intercept))  # whole residents: no float noise in the count
    span = f"{last[0]['year']}—{last[-1]['year']}"
    return projected, i18n.say(f"缺{year}年数据，按{span}年末人口（{len(last)}年）最小二乘直线外推",
                           f"no {year} row: least-squares line through the year-end populations {span} "
                           f"({len(last)} rows), extended to {year}")


@dataclass
class Gap:
    target_key: str
    indicator: str
    region: str | None
    as_of: date
    deadline: date
    target_value: float | None
    target_basis: str
    current_value: float | None
    current_count: int
    population_now: float | None
    population_deadline: float | None
    population_method: str
    required_count: int | None
    expiring_count: int
    gap: int | None
    note: str = ""
    count_indicator: str = ""
    per_10k: bool = False
    # The what-if's survival (docs/cultivation.md, "What-if"): the annuity-paid rate, the expected number of held
    # patents still in force on the deadline, and for valid-invention counts the expected grants of pending
    # inventions.  held_dues (app_no → annuities to pay by the deadline) and pending_grants (app_no → P(grant by
    # the deadline)) are left out of as_dict (one entry per patent).
    annuity_rate: float | None = None
    expected_held: float | None = None
    pending_count: int = 0
    expected_pending: float = 0.0
    held_dues: dict[str, int] | None = field(default=None, repr=False)
    pending_grants: dict[str, float] | None = field(default=None, repr=False)

    @property
    def held_count(self) -> int:
        """What the region still holds on the deadline if every annuity is paid: counted now less terms ending."""
        return self.current_count - self.expiring_count

    def per_10k_of(self, count: float) -> float | None:
        """A count as the target's figure on the deadline (per 10,000 of the deadline's population)."""
        if not self.per_10k:
            return float(count)
        if not self.population_deadline:
            return None
        return count / self.population_deadline * 10_000

    def as_dict(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if k not in ("held_dues", "pending_grants")}
        return {**out, "held_count": self.held_count}


def find_target(plan: Plan, target_key: str) -> Target:
    """The plan's target of that key, when its gap can be counted; GapError naming the keys that can."""
    usable = [t.key for t in plan.targets if t.source == "indicator" and t.indicator in GAP_INDICATORS]
    target = next((t for t in plan.targets if t.key == target_key), None)
    if target is None or target.key not in usable:
        why = i18n.say(f"未知或不可计算差距的目标：{target_key}", f"unknown target, or no patent count: {target_key}")
        raise GapError(f"{why}（{i18n.say('可用', 'available')}：{', '.join(usable)}）")
    return target


def per_10k_targets(plan: Plan) -> list[str]:
    """The keys of the plan's targets on a per-10,000-residents patent count (GAP_INDICATORS), in the plan's
    order: what the cultivation page and the bulletin's section measure a gap against (a trademark density is a
    per-10k figure too, but no patent count)."""
    return [t.key for t in plan.targets
            if t.source == "indicator" and t.indicator in GAP_INDICATORS and GAP_INDICATORS[t.indicator][1]]


def _required(per_10k: bool, level: Fraction, population: float | None, strict: bool) -> int | None:
    """The smallest whole count n with n (per 10,000 of the population) ≥ level, or > level when strict."""
    if per_10k:
        if not population:
            return None
        level = level * _exact(population) / 10_000
    return math.floor(level) + 1 if strict else math.ceil(level)


def _expiring(con: ibis.BaseBackend, ctx: Context, count_key: str, deadline: date) -> int:
    """The records of the count on the as-of date whose term ends on or before the deadline: on the term's
    last day the right is over (legal/state.py: expired from term_end)."""
    counted = records(ctx, count_key).select("app_no").distinct()
    states = legal_state(con, ctx.as_of, annuity=False).select("app_no", "term_end")
    ending = states.filter(states.term_end <= ibis.date(deadline)).semi_join(counted, "app_no")
    return int(ending.count().execute())


def _held_dues(con: ibis.BaseBackend, ctx: Context, count_key: str, deadline: date) -> dict[str, int]:
    """app_no → annuities due by the deadline (rates.annuities_due) of the patents counted now whose term runs
    past the deadline (the held ones)."""
    counted = records(ctx, count_key).select("app_no").distinct()
    states = legal_state(con, ctx.as_of, annuity=False)
    held = states.filter(states.term_end > ibis.date(deadline)).semi_join(counted, "app_no")
    return {r["app_no"]: annuities_due(r["filing_date"], r["term_end"], r["state"], ctx.as_of, deadline)
            for r in held.select("app_no", "filing_date", "term_end", "state").to_pyarrow().to_pylist()}


def _pending_grants(con: ibis.BaseBackend, as_of: date, deadline: date, region: str | None,
                    model: dict) -> dict[str, float]:
    """app_no → P(granted by the deadline) of every pending invention of the region (first applicant; any
    field), the grant-time model of rates.grant_probability; those with no chance left out."""
    states = legal_state(con, as_of, annuity=False)
    pending = states.filter((states.patent_type == "invention") & (states.state == "pending"))
    pending = pending.semi_join(in_region(first_applicants(con), region or ALL_APPLICANTS), "app_no")
    out = {}
    for r in pending.select("app_no", "filing_date").to_pyarrow().to_pylist():
        p = grant_probability(model, (as_of - r["filing_date"]).days, (deadline - r["filing_date"]).days)
        if p > 0:
            out[r["app_no"]] = p
    return out


# Counts whose pending inventions add to them when granted (industry_valid_inventions: its field filter is the
# indicator's; its pending inventions are not counted, docs/cultivation.md).
PENDING_COUNTS = ("valid_inventions",)


def plan_gap(con: ibis.BaseBackend, plan: Plan, target_key: str, as_of: date, deadline: date | None = None,
             target_value: float | None = None, region: str | None = None, rates: dict | None = None) -> Gap:
    """How many more patents the region needs on the deadline to reach the plan target (module docstring).

    ``target_value`` overrides the plan's value; without it an ``increase`` target asks for strictly more than
    its value on the plan's baseline date (counted from the baseline count and population, exactly).
    ``rates``: historical_rates(con, as_of, region) when already computed (its keep_alive and pending_sei are
    read; otherwise learned here)."""
    target = find_target(plan, target_key)
    indicator = str(target.indicator)
    count_key, per_10k = GAP_INDICATORS[indicator]
    deadline = deadline or plan.deadline
    region = region or plan.region
    ctx = Context.create(con, as_of, "year", region)
    current_count = int(value(ctx, count_key) or 0)
    current_value = value(ctx, indicator)
    population_now, _ = projected_population(con, region, as_of)
    population_deadline, method = projected_population(con, region, deadline)
    notes: list[str] = []
    strict = False
    if target_value is not None:
        if not math.isfinite(target_value) or target_value < 0:
            raise GapError(i18n.say(f"目标值应为不小于 0 的有限数：{target_value}",
                                f"the target value must be a finite number ≥ 0: {target_value}"))
        level, shown = _exact(target_value), float(target_value)
        basis = i18n.say(f"指定目标值 {shown:g}", f"target value given: {shown:g}")
    elif target.direction == "reach":
        level, shown = _exact(float(target.target)), float(target.target)
        basis = i18n.say(f"方案目标值 {shown:g}", f"the plan's target {shown:g}")
    else:
        strict = True
        base = Context.create(con, plan.baseline_date, "year", region)
        base_count = int(value(base, count_key) or 0)
        if per_10k:
            base_pop, _ = projected_population(con, region, plan.baseline_date)
            level = _exact(base_count) * 10_000 / _exact(base_pop) if base_pop else Fraction(0)
            if not base_pop:
                notes.append(i18n.say("基期没有人口数据", "no population for the baseline"))
        else:
            level = Fraction(base_count)
        shown = float(level)
        basis = i18n.say(f"高于基期（{plan.baseline_date}）值 {shown:.4g}（基期 {base_count} 件）",
                     f"more than the baseline ({plan.baseline_date}) value {shown:.4g} ({base_count} patents)")
    required = _required(per_10k, level, population_deadline, strict)
    if required is None:
        notes.append(i18n.say("截止日没有人口数据，无法换算所需件数", "no population for the deadline: no count"))
    expiring = _expiring(con, ctx, count_key, deadline)
    gap = None if required is None else max(0, required - (current_count - expiring))
    if deadline <= as_of:
        notes.append(i18n.say("截止日不晚于统计日", "the deadline is not after the as-of date"))
    rate = (rates["keep_alive"] if rates else annuity_rate(con, as_of))["rate"]
    dues = _held_dues(con, ctx, count_key, deadline) if deadline > as_of else {}
    pending: dict[str, float] = {}
    if count_key in PENDING_COUNTS and deadline > as_of:
        model = rates["pending_sei"] if rates else grant_model(con, as_of, region)
        pending = _pending_grants(con, as_of, deadline, region, model)
    return Gap(target_key=target.key, indicator=indicator, region=region, as_of=as_of, deadline=deadline,
               target_value=shown, target_basis=basis, current_value=current_value, current_count=current_count,
               population_now=population_now, population_deadline=population_deadline, population_method=method,
               required_count=required, expiring_count=expiring, gap=gap, note="；".join(notes),
               count_indicator=count_key, per_10k=per_10k, annuity_rate=rate,
               expected_held=round(sum(survival(rate, n) for n in dues.values()), 2), pending_count=len(pending),
               expected_pending=round(sum(pending.values()), 2), held_dues=dues, pending_grants=pending)


# Candidate kinds whose success adds to a count of valid inventions (the others are valid inventions already).
ADDS_VALID = ("pending_sei", "keep_alive")


def _counts_for(gap: Gap, row: dict) -> bool:
    """Whether a candidate moves the gap's count on the deadline: for high-value counts, keeping those that are
    and every action on a patent not high-value today; for valid-invention counts, keeping, restoring and
    granting.  Never a row whose action is due, or whose effect comes, after the deadline, nor keeping a patent
    the gap does not hold on the deadline (its term ends by then: already in expiring_count)."""
    if gap.count_indicator in HIGH_VALUE_COUNTS:
        moves = row["effect"] == "keep" or not row.get("high_value_now")
    else:
        moves = row["kind"] in ADDS_VALID
    if not moves or row["action_date"] > gap.deadline or row["effect_date"] > gap.deadline:
        return False
    return not (row["effect"] == "keep" and gap.held_dues is not None and row["app_no"] not in gap.held_dues)


def _failing(ps: list[float]) -> float:
    fail = 1.0
    for p in ps:
        fail *= 1 - p
    return fail


def counted_units(gap: Gap, rows: list[dict], rates: dict[str, float] | None = None) -> dict[str, dict]:
    """The patents the listed actions decide on the deadline, each once: app_no → {effect, expected, rows}.
    expected: P(it counts on the deadline) at the historical rates: a patent to keep, its action's rate times its
    ``survival`` (the other annuities it must pay); a patent to add, survival × (1 − Π(1 − p)) over its actions
    (a milestone_10y action is the survival itself: its probability, with p = 1).  ``rates={kind: p}``
    replaces the rows' probabilities."""
    units: dict[str, dict] = {}
    for r in rows:
        if not _counts_for(gap, r):
            continue
        p = (rates or {}).get(r["kind"], r.get("probability"))
        p = 0.0 if p is None else float(p)
        s = float(r.get("survival", 1.0) if r.get("survival") is not None else 1.0)
        if r["kind"] == "milestone_10y":
            p, s = 1.0, p
        unit = units.setdefault(r["app_no"], {"effect": r["effect"], "s": 1.0, "ps": [], "rows": []})
        if r["effect"] == "keep" and unit["effect"] != "keep":  # keeping wins over adding (counted now)
            unit.update(effect="keep", s=1.0, ps=[], rows=[])
        if r["effect"] != unit["effect"]:
            continue
        unit["s"] = min(unit["s"], s)
        unit["ps"].append(p)
        unit["rows"].append(r)
    for unit in units.values():
        unit["expected"] = unit.pop("s") * (1 - _failing(unit.pop("ps")))
    return units


def what_if(gap: Gap, rows: list[dict], rates: dict[str, float] | None = None) -> dict:
    """The deadline's count and figure if no listed action succeeds, if all do, and if each succeeds at its
    historical rate: {none, all, historical}, each {count, per_10k, gap} (docs/cultivation.md, "What-if").

    The patents no listed action decides (the baseline) count the same in all three: each held patent at its
    survival (the annuity-paid rate to the power of the annuities it owes by the deadline) and, for valid
    inventions, each pending invention at P(grant by the deadline).  none = baseline; all = baseline + every
    patent the actions decide (counted_units); historical = baseline + their expected counts.  Without the
    gap's survival (a Gap made by hand), every held patent is taken as kept."""
    units = counted_units(gap, rows, rates)
    if gap.held_dues is None:
        baseline = float(gap.held_count - sum(1 for u in units.values() if u["effect"] == "keep"))
    else:
        baseline = sum(survival(gap.annuity_rate, n) for app, n in gap.held_dues.items() if app not in units)
        baseline += sum(p for app, p in (gap.pending_grants or {}).items() if app not in units)

    def one(count: float) -> dict:
        shortfall = None if gap.required_count is None else max(0.0, gap.required_count - count)
        per = gap.per_10k_of(count)
        return {"count": round(count, 2), "per_10k": None if per is None else round(per, 4),
                "gap": None if shortfall is None else round(shortfall, 2)}

    return {"none": one(baseline), "all": one(baseline + len(units)),
            "historical": one(baseline + sum(u["expected"] for u in units.values()))}
