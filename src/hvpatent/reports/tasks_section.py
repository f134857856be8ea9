"""The bulletin's section on the plan's key tasks (重点任务落实情况): for the latest reporting period due on or
before the bulletin's date, how many reports the units had to file, how many came on time, late, or not at all (the
units named), and the assessment totals once the bureau has scored any unit for that period."""

from __future__ import annotations

from datetime import date

import ibis

from hvpatent.plan.model import Plan
from hvpatent.reports.bulletin import Section, Table
from hvpatent.tasks import STATUS_WORDS

HEADING = "重点任务落实情况"
SHEET = "任务报送"
COUNTED = ("on_time", "late", "overdue")   # the statuses the counts sentence names


def _has_reports(con: ibis.BaseBackend) -> bool:
    try:
        con.table("task_reports")
    except Exception:  # the backends raise their own kinds of "table not found" (a Spark warehouse has none)
        return False
    return True


def _latest_due(plan: Plan, as_of: date):
    """The last of the plan's periods whose due date is on or before ``as_of`` (None before the first)."""
    from hvpatent.tasks import due_date, reporting_periods

    due = [p for p in reporting_periods(plan, through=as_of) if due_date(plan, p) <= as_of]
    return due[-1] if due else None


def _counts_sentence(period_text: str, due: date, rows: list) -> str:
    # "截止日为X": a report filed on X itself is on time ("X日前" would read as "before X")
    n = {s: sum(r.status == s for r in rows) for s in COUNTED}
    words = {s: STATUS_WORDS[s][0] for s in COUNTED}
    text = (f"{period_text}进展报告的报送截止日为{due.year}年{due.month}月{due.day}日（含当日），应报{len(rows)}份，"
            f"其中{words['on_time']}{n['on_time']}份、{words['late']}{n['late']}份、"
            f"{words['overdue']}{n['overdue']}份")
    late_units = list(dict.fromkeys(r.unit for r in rows if r.status == "overdue"))
    if late_units:
        text += f"。逾期未报的单位：{'、'.join(late_units)}"
    return text + "。"


def _status_rows(rows: list) -> list[dict]:
    """One row per required report: ``submitted`` is the filing day (the first version's, which decides on time
    or late), ``amended`` the latest amendment's day when the report was amended."""
    return [{"task": f"{r.task_number}. {r.task_title}", "unit": r.unit, "period": r.period, "due": r.due,
             "status": STATUS_WORDS.get(r.status, (r.status, r.status))[0],
             "submitted": r.first_submitted_at.date() if r.first_submitted_at else None,
             "amended": r.submitted_at.date() if r.submitted_at and (r.version or 1) > 1 else None,
             "working_days_late": r.working_days_late if r.status in ("late", "overdue") else None}
            for r in sorted(rows, key=lambda r: (r.task_number, r.unit))]


def _assessment_table(con: ibis.BaseBackend, plan: Plan, period: str, as_of: date) -> Table | None:
    from hvpatent.tasks import assessment_sheet, latest_scores

    if not latest_scores(con, plan.key, period, as_of=as_of):
        return None
    rows = [{"rank": r.rank, "unit": r.unit, "timeliness": r.timeliness, "indicators": r.indicators,
             "qualitative": r.qualitative, "total": r.total} for r in assessment_sheet(con, plan, period, as_of)]
    return Table(f"{period}考核评分", [("rank", "排名"), ("unit", "单位"), ("timeliness", "报送及时性"),
                                     ("indicators", "指标进展"), ("qualitative", "定性评价分"), ("total", "总分")],
                 rows, "总分为各项得分的加权平均；缺少某项时其权重由其余各项分担（见 Excel 版考核评分表）。")


def tasks_section(con: ibis.BaseBackend, plan: Plan, as_of: date, *, sheets: dict | None = None) -> Section | None:
    """The section, or None when the plan has no tasks or the backend keeps no task reports.  ``sheets``: the
    bulletin's Excel sheets, to which the status rows are added as 任务报送."""
    from hvpatent.reports.task_letters import period_label
    from hvpatent.tasks import report_status

    if not plan.tasks or not _has_reports(con):
        return None
    sec = Section(HEADING)
    period = _latest_due(plan, as_of)
    if period is None:
        sec.paragraphs.append(f"截至{as_of.year}年{as_of.month}月{as_of.day}日，《{plan.name}》尚无到期的报送期。")
        return sec
    from hvpatent.tasks import due_date

    # the reports the units had to file (tasks.required_units decides, as for the sheet and the status pages)
    rows = [r for r in report_status(con, plan, as_of, period=period.key) if r.required]
    sec.paragraphs.append(_counts_sentence(period_label(period.key), due_date(plan, period), rows))
    status_rows = _status_rows(rows)
    # 报送单位, not 责任单位: under report_by: all the cooperating units report (and are listed) too
    sec.tables.append(Table(SHEET, [("task", "任务"), ("unit", "报送单位"), ("period", "报送期"),
                                    ("due", "报送截止日"), ("status", "报送情况"), ("submitted", "报送日"),
                                    ("amended", "最近修改"), ("working_days_late", "逾期工作日")], status_rows,
                            wrap=("task",)))
    if (table := _assessment_table(con, plan, period.key, as_of)) is not None:
        sec.tables.append(table)
    if sheets is not None:
        sheets[SHEET] = status_rows
    return sec
