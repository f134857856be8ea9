"""The assessment sheet (考核评分表): each unit's score for a reporting period from the settings' weights:
timeliness, its tasks' indicator progress and the bureau's qualitative score.  OWNER: H4.

Rules (docs/tasks.md, "Assessment sheet"):

* The units assessed are those that must report in the period: each task's responsible units, and its cooperating
  units too under ``report_by: all``.  A cooperating unit that may report is not assessed on that task.
* timeliness: the mean of the timeliness scores (tasks.yaml ``timeliness``) of the unit's required reports of the
  period; a report not yet due (pending) is not counted.
* indicators: the mean, over the distinct indicators linked to the unit's tasks, of ``indicator_scores`` for the
  indicator's direction (period end against the previous period's end; keys in ``lower_is_better`` flip up and
  down); an indicator without a direction (no figure) is not counted.  An indicator linked to two of the unit's
  tasks counts once: it is one figure.
* qualitative: the bureau's latest score of the unit for the period (unit_scores), scored on or before ``as_of``.
* total: the weighted mean of the parts the unit has; the weight of a missing part is shared among the others in
  proportion to their weights, and the row's notes say so.  Units with equal totals share a rank (1, 1, 3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import duckdb
import ibis

from hvpatent.plan.model import Plan
from hvpatent.reference.clock import china_now
from hvpatent.tasks.status import required_units

PARTS = ("timeliness", "indicators", "qualitative")
PART_WORDS = {"timeliness": ("报送及时性", "timeliness"), "indicators": ("指标进展", "indicator progress"),
              "qualitative": ("定性评价分", "qualitative score")}
MAX_NOTE = 1_000


@dataclass
class AssessmentRow:
    unit: str
    period: str
    timeliness: float | None
    indicators: float | None
    qualitative: float | None
    total: float | None
    rank: int | None = None
    details: list[dict] = field(default_factory=list)   # per task: timeliness and indicator rows
    notes: list[str] = field(default_factory=list)      # weights redistributed, score missing, …


def _error(zh: str, en: str) -> Exception:
    from hvpatent.tasks.reports import ReportError

    return ReportError(f"{zh} / {en}")


def _check_period(plan: Plan, period: str, as_of: date) -> None:
    """The period must be the plan's and have begun by ``as_of``: a period still to come has no reports, figures
    or score yet (its indicators would be read "as of" a day before the previous period's end)."""
    from hvpatent.tasks.periods import reporting_periods

    keys = [p.key for p in reporting_periods(plan)]
    if period not in keys:
        shown = "、".join(keys[:3]) + ("…" if len(keys) > 3 else "")
        raise _error(f"报送期 {period!r:.40} 不是《{plan.name}》的报送期（如 {shown}）",
                     f"period {period!r:.40} is not one of the plan's reporting periods (e.g. {shown})")
    if period not in {p.key for p in reporting_periods(plan, as_of, begun=True)}:
        raise _error(f"报送期 {period} 截至 {as_of} 尚未开始", f"period {period} has not begun by {as_of}")


def _check_score(score: object) -> float:
    if isinstance(score, bool) or not isinstance(score, int | float):
        try:
            score = float(str(score).strip())
        except ValueError:
            raise _error(f"定性评价分应为 0–100 的数：{score!r:.40}",
                         f"the qualitative score must be a number from 0 to 100: {score!r:.40}") from None
    if not math.isfinite(score) or not 0 <= score <= 100:
        raise _error(f"定性评价分应在 0–100 之间：{score}", f"the qualitative score must be from 0 to 100: {score}")
    return round(float(score), 2)


def record_score(duck: duckdb.DuckDBPyConnection, plan: Plan, unit: str, period: str, score: float, *,
                 note: str | None, by: str, now: datetime | None = None) -> dict:
    """Append the bureau's qualitative score of ``unit`` for ``period`` (a new unit_scores row; the latest counts)
    and an audit_log row, in one transaction.  ReportError (Chinese / English) for a unit the plan does not name, a
    period not the plan's or not begun by ``now`` (Beijing time), a score outside 0–100 or no scorer; nothing is
    written then.  Only a unit the sheet assesses may be scored (a cooperating-only unit under ``report_by:
    responsible`` is not: its score would be kept and never shown).  The note is kept on one line without control
    characters (it goes into the audit line), cut to MAX_NOTE."""
    from hvpatent.tasks.reports import clean_text
    from hvpatent.warehouse.accounts import audit
    from hvpatent.warehouse.transaction import transaction

    value = _check_score(score)
    if unit not in plan.units():
        raise _error(f"《{plan.name}》没有单位 {unit!r}", f"the plan names no unit {unit!r}")
    if not any(unit in required_units(plan, task) for task in plan.tasks):
        raise _error(f"{unit} 只是配合单位，不参加《{plan.name}》的考核，不能评分",
                     f"{unit} is only a cooperating unit and is not assessed under the plan: it cannot be scored")
    at = now or china_now()   # Beijing time, as the as_of days the sheet compares it with
    _check_period(plan, period, at.date())
    who = (by or "").strip()
    if not who:
        raise _error("须注明评分人", "the scorer (by) is needed")
    # no newline or other control character: the note is written into the one-line audit detail
    text = " ".join(clean_text(note or "").split())[:MAX_NOTE].strip() or None
    with transaction(duck):
        last = duck.execute("SELECT max(scored_at) FROM unit_scores WHERE plan_key = ? AND unit = ? AND period = ?",
                            [plan.key, unit, period]).fetchone()[0]
        # the key holds scored_at: a second score within the clock's resolution comes just after the last
        at = max(at, last + timedelta(microseconds=1)) if last else at
        duck.execute("INSERT INTO unit_scores VALUES (?, ?, ?, ?, ?, ?, ?)",
                     [plan.key, unit, period, value, text, at, who])
        audit(duck, who, "unit_score_recorded", f"{plan.key}/{unit}/{period} {value:g}" + (f": {text}" if text else ""))
    return {"plan_key": plan.key, "unit": unit, "period": period, "score": value, "note": text, "scored_at": at,
            "scored_by": who}


def latest_scores(con: ibis.BaseBackend, plan_key: str, period: str | None = None, *,
                  as_of: date | None = None) -> dict[tuple[str, str], dict]:
    """{(unit, period): {score, note, scored_at, scored_by}}: each unit's latest score per period (only ``period``
    when given; only those scored on or before ``as_of`` when given).  A backend without the table has none."""
    try:
        table = con.table("unit_scores")
    except Exception:  # the backends raise their own kinds of "table not found": no table, no scores
        return {}
    table = table.filter(table.plan_key == plan_key)
    if period is not None:
        table = table.filter(table.period == period)
    if as_of is not None:
        table = table.filter(table.scored_at.date() <= as_of)
    latest: dict[tuple[str, str], dict] = {}
    for row in table.order_by("scored_at").to_pyarrow().to_pylist():   # oldest first: the last row wins
        latest[(row["unit"], row["period"])] = {"score": float(row["score"]), "note": row["note"],
                                                "scored_at": row["scored_at"], "scored_by": row["scored_by"]}
    return latest


# -- the arithmetic (no warehouse: tests hand it status rows and figures) -------------------------------------------

def timeliness_score(status, config) -> float | None:
    """One required report's timeliness score (TasksConfig.timeliness_score): on time, late by N working days,
    overdue (not filed); None when it is not due yet (pending) or optional."""
    if status.status == "on_time":
        return config.timeliness_score(0)
    if status.status == "late":
        return config.timeliness_score(status.working_days_late or 0)
    if status.status == "overdue":
        return config.timeliness_score(None, filed=False)
    return None


def indicator_score(key: str, direction: str | None, config) -> float | None:
    a = config.assessment
    if direction not in ("up", "flat", "down"):
        return None
    if key in (a.get("lower_is_better") or ()):
        direction = {"up": "down", "down": "up"}.get(direction, direction)
    return float(a["indicator_scores"][direction])


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _weights_note(parts: dict[str, float | None], weights: dict[str, float]) -> list[str]:
    missing = [p for p in PARTS if parts[p] is None and weights.get(p)]
    if not missing:
        return []
    present = [p for p in PARTS if parts[p] is not None and weights.get(p)]
    lack_zh = "、".join(PART_WORDS[p][0] for p in missing)
    lack_en = ", ".join(PART_WORDS[p][1] for p in missing)
    if not present:
        return [f"缺少{lack_zh}，无法计算总分 / no {lack_en}: no total"]
    ratio = ":".join(f"{weights[p]:g}" for p in present)
    names_zh = "、".join(PART_WORDS[p][0] for p in present)
    names_en = ", ".join(PART_WORDS[p][1] for p in present)
    return [f"缺少{lack_zh}，总分按{names_zh} {ratio} 的权重计算 / no {lack_en}: the total weighs "
            f"{names_en} {ratio}"]


def _total(parts: dict[str, float | None], weights: dict[str, float]) -> float | None:
    present = [(float(weights.get(p) or 0), v) for p, v in parts.items() if v is not None and weights.get(p)]
    weight = sum(w for w, _ in present)
    return round(sum(w * v for w, v in present) / weight, 2) if weight else None


def _rank(rows: list[AssessmentRow]) -> None:
    """Standard competition ranking: equal totals share a rank and the next rank skips (1, 1, 3)."""
    scored = sorted((r for r in rows if r.total is not None), key=lambda r: -r.total)
    for i, row in enumerate(scored):
        row.rank = scored[i - 1].rank if i and row.total == scored[i - 1].total else i + 1


def score_units(plan: Plan, period: str, statuses: list, figures: dict[int, list[dict]],
                scores: dict[tuple[str, str], dict], config) -> list[AssessmentRow]:
    """The sheet from its inputs: ``statuses`` (ReportStatus rows of the period), ``figures`` ({task_number:
    task_figures rows}), ``scores`` (latest_scores) and the settings.  Rows by rank, then in the plan's unit
    order; units without a total last."""
    weights = {p: float(config.assessment["weights"].get(p) or 0) for p in PARTS}
    by_key = {(s.task_number, s.unit): s for s in statuses if s.period == period}
    order = {u: i for i, u in enumerate(plan.units())}
    units = sorted({u for task in plan.tasks for u in required_units(plan, task)}, key=lambda u: order[u])
    rows = []
    for unit in units:
        details, timely, indicator_values = [], [], {}
        for task in plan.tasks:
            if unit not in required_units(plan, task):
                continue
            status = by_key.get((task.number, unit))
            t_score = timeliness_score(status, config) if status else None
            if t_score is not None:
                timely.append(t_score)
            indicators = []
            for fig in figures.get(task.number, []):
                if fig.get("kind", "indicator") != "indicator" or "key" not in fig:   # a target's progress row
                    continue
                score = indicator_score(fig["key"], fig.get("direction"), config)
                indicators.append({"key": fig["key"], "name": fig.get("name") or fig["key"],
                                   "direction": fig.get("direction"), "score": score})
                if score is not None:
                    indicator_values[fig["key"]] = score
            details.append({"task_number": task.number, "title": task.title,
                            "status": status.status if status else None, "timeliness": t_score,
                            "indicators": indicators})
        qualitative = scores.get((unit, period))
        parts = {"timeliness": _mean(timely), "indicators": _mean(list(indicator_values.values())),
                 "qualitative": None if qualitative is None else float(qualitative["score"])}
        rows.append(AssessmentRow(unit, period, parts["timeliness"], parts["indicators"], parts["qualitative"],
                                  _total(parts, weights), details=details, notes=_weights_note(parts, weights)))
    _rank(rows)
    return sorted(rows, key=lambda r: (r.rank is None, r.rank or 0, order[r.unit]))


def assessment_sheet(con: ibis.BaseBackend, plan: Plan, period: str, as_of: date, config=None) -> list[AssessmentRow]:
    """Every unit's assessment for ``period`` as known on ``as_of``: the report statuses (tasks.status), the
    linked indicators' directions (tasks.figures) and the bureau's latest qualitative scores, weighed by the
    settings (tasks.yaml ``assessment``; default: load_config()).  ReportError for a period not the plan's or not
    begun by ``as_of``."""
    from hvpatent.tasks.config import load_config
    from hvpatent.tasks.figures import indicator_figures, period_days
    from hvpatent.tasks.status import report_status

    config = config or load_config()
    _check_period(plan, period, as_of)
    statuses = report_status(con, plan, as_of, period=period)
    # every linked indicator once, in one query (tasks share indicators); the sheet reads no target rows
    linked = tuple(dict.fromkeys(k for task in plan.tasks for k in task.indicators))
    rows = {r["key"]: r for r in indicator_figures(con, plan, linked, *period_days(plan, period, as_of))}
    figures = {task.number: [rows[k] for k in task.indicators if k in rows] for task in plan.tasks if task.indicators}
    scores = latest_scores(con, plan.key, period, as_of=as_of)
    return score_units(plan, period, statuses, figures, scores, config)
