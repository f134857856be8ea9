"""The demo's task reports (docs/demo.md): unit accounts for a few of the plans' units, their progress reports
filed through the tasks room (hvpatent.tasks.file_report, as a unit's own filing would be) and the bureau's
qualitative scores for the latest period, so that the bureau's pages show reports on time, late and overdue.

Deterministic: each (plan, task, unit, period) gets its fate from a CRC of its names, not from a random stream,
so the seeding neither depends on nor disturbs the generated world.  Nothing here knows one plan from another:
every plan given is seeded the same way.
"""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

import duckdb

from hvpatent.plan.model import Plan

# The demo's unit accounts (user, the unit as the plans name it); passwords at least 12 characters and not the user
# name (the account policy, docs/security.md), printed by `hvp demo` like the other demo accounts.
DEMO_UNITS = (("demo-keji", "区科技局", "yongchuan-keji-2024"),
              ("demo-ipo", "区知识产权局", "yongchuan-ipo-2024"),
              ("demo-city-ipo", "市知识产权局", "chongqing-ipo-2024"))
# Out of every 20 reports due: one never filed (overdue), two filed late, the rest on time.
MISSING, LATE = 1, 2
BY = "demo"


@dataclass
class Seeded:
    """What the seeding did: reports filed (on_time, late), missing (not filed and overdue on the day), not_yet
    (not filed, not yet due), scores recorded."""
    counts: Counter = field(default_factory=Counter)
    scores: int = 0


def fate(plan_key: str, task_number: int, unit: str, period: str) -> str:
    """on_time | late | missing, fixed by the report's names: 1 in 20 missing, 2 in 20 late."""
    draw = zlib.crc32(f"{plan_key}/{task_number}/{unit}/{period}".encode()) % 20
    return "missing" if draw < MISSING else "late" if draw < MISSING + LATE else "on_time"


def filing_day(plan: Plan, period, kind: str) -> date:
    """The day the demo files: on time, a few working days before the due date (never before the period ends);
    late, three working days after it."""
    from hvpatent.reference.workdays import add_working_days
    from hvpatent.tasks import due_date

    due = due_date(plan, period)
    if kind == "late":
        return add_working_days(due, 3)
    early = add_working_days(period.end, max(1, plan.reporting.due_working_days - 3))
    return min(early, due)


def demo_png(width: int = 16, height: int = 16) -> bytes:
    """A small grey PNG made here (no image library): the demo's attached chart."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes([200]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _text(plan: Plan, task, period: str, kind: str) -> str:
    late = "（因材料汇总延迟补报）" if kind == "late" else ""
    return (f"【演示数据】{period} 期间，围绕“{task.title}”（{task.goal}）推进各项工作，按计划完成阶段任务。"
            f"{late}\n下一阶段将继续跟踪 {plan.name} 的相关目标。")


def _required(plan: Plan, units: set[str] | None) -> Iterable[tuple[object, str]]:
    """(task, unit) pairs that must report (tasks.required_units: responsible units, and cooperating ones under
    report_by: all)."""
    from hvpatent.tasks import required_units

    for task in plan.tasks:
        for unit in required_units(plan, task):
            if units is None or unit in units:
                yield task, unit


def seed_reports(duck: duckdb.DuckDBPyConnection, plans: Iterable[Plan], day: date,
                 units: set[str] | None = None) -> Seeded:
    """File the demo's reports of every plan for every period ended by ``day`` (``units``: only those units'),
    each on the day its fate gives, if that day is not after ``day``; every fourth with a small PNG attached.
    Then a qualitative score for each unit that had to report in each plan's latest period whose reports were due
    by ``day``."""
    from hvpatent.tasks import due_date, file_report, record_score, reporting_periods

    done = Seeded()
    for plan in plans:
        if _seeded_before(duck, plan):   # a second `hvp demo` on the same warehouse files no amendments
            continue
        periods = reporting_periods(plan, day)
        for task, unit in _required(plan, units):
            for period in periods:
                kind = fate(plan.key, task.number, unit, period.key)
                filed = filing_day(plan, period, kind)
                if kind == "missing" or filed > day:   # not filed by the day: overdue once the due date passed
                    done.counts["missing" if due_date(plan, period) < day else "not_yet"] += 1
                    continue
                files = [("进展图.png", demo_png())] if zlib.crc32(period.key.encode() + unit.encode()) % 4 == 0 else []
                file_report(duck, plan, task.number, unit, period.key, text=_text(plan, task, period.key, kind),
                            figures=[{"name": "推进事项", "value": 1 + task.number % 5, "unit": "项"}],
                            attachments=files, by=BY, now=datetime.combine(filed, time(10, 0)))
                done.counts[kind] += 1
        done.scores += _score_latest(duck, plan, periods, units, record_score, day)
    return done


def _seeded_before(duck: duckdb.DuckDBPyConnection, plan: Plan) -> bool:
    row = duck.execute("SELECT count(*) FROM task_reports WHERE plan_key = ? AND submitted_by = ?",
                       [plan.key, BY]).fetchone()
    return bool(row and row[0])


def _score_latest(duck, plan: Plan, periods, units: set[str] | None, record_score, day: date) -> int:
    from hvpatent.tasks import due_date

    closed = [p for p in periods if due_date(plan, p) <= day]   # the latest period whose reports were all due
    if not closed:
        return 0
    latest = closed[-1].key
    scored = dict.fromkeys(u for _, u in _required(plan, units))
    for unit in scored:
        score = 75 + zlib.crc32(f"{plan.key}/{unit}/{latest}".encode()) % 21   # 75..95
        record_score(duck, plan, unit, latest, float(score), note="演示评分 / demo score", by=BY,
                     now=datetime.combine(day, time(9, 0)))
    return len(scored)


def create_unit_accounts(duck: duckdb.DuckDBPyConnection, plans: Iterable[Plan]) -> list[tuple[str, str, str, str]]:
    """The demo's unit accounts whose unit some plan names: (user, role, password, unit); an existing one is
    kept."""
    from hvpatent.warehouse.accounts import add_user, get_user

    named = {u for p in plans for u in p.units()}
    accounts = []
    for user, unit, password in DEMO_UNITS:
        if unit not in named:
            continue
        if get_user(duck, user) is None:
            add_user(duck, user, password, "unit", None, by=BY, unit=unit)
        accounts.append((user, "unit", password, unit))
    return accounts
