"""Working days in mainland China: Monday to Friday, less the public holidays, plus the weekend days made working
days (调休上班), as the General Office of the State Council's yearly notice on holiday arrangements
(国务院办公厅关于某年部分节假日安排的通知) sets them.  The notices of 2004-2026 come from the ``chinesecalendar``
package; a year it does not hold yet may be given in the user config folder's workdays.yaml::

    years: [2027]                 # the years this file states in full
    holidays: [2027-01-01, ...]   # days off that would be working days
    workdays: [2027-02-20, ...]   # weekend days that are working days

For a year neither knows, Monday to Friday are taken as working days and ``unknown_years`` names the year, so a
due date or an issue date computed with it can say so (docs/tasks.md, docs/schedule.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache

import chinese_calendar
import yaml

from hvpatent.reference.userconfig import user_config_dir

USER_FILE = "workdays.yaml"
MAX_STEPS = 400  # working days sought at most: a year of days off in a row would be a broken calendar file


class CalendarError(ValueError):
    pass


@cache
def _user_calendar() -> tuple[frozenset[int], frozenset[date], frozenset[date]]:
    path = user_config_dir() / USER_FILE
    if not path.is_file():
        return frozenset(), frozenset(), frozenset()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        years = frozenset(int(y) for y in raw.get("years") or ())
        holidays = frozenset(_day(d) for d in raw.get("holidays") or ())
        workdays = frozenset(_day(d) for d in raw.get("workdays") or ())
    except (yaml.YAMLError, ValueError, TypeError, AttributeError) as err:
        raise CalendarError(f"{path}: 工作日文件有误 / bad working-day file: {err}") from err
    return years, holidays, workdays


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def reload() -> None:
    """Read the user's workdays.yaml again (after it changed)."""
    _user_calendar.cache_clear()


def known(day: date) -> bool:
    """Whether the official arrangement of the day's year is known (the package or the user's file)."""
    years, _, _ = _user_calendar()
    return day.year in years or _package_knows(day.year)


@cache
def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_working_day(day: date) -> bool:
    years, holidays, workdays = _user_calendar()
    if day in workdays:
        return True
    if day in holidays:
        return False
    if day.year not in years and _package_knows(day.year):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def add_working_days(day: date, n: int) -> date:
    """The ``n``-th working day after ``day`` (n >= 1; the day itself never counts)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    found, current = 0, day
    for _ in range(MAX_STEPS * 2):
        current += timedelta(days=1)
        if is_working_day(current):
            found += 1
            if found == n:
                return current
    raise CalendarError(f"{MAX_STEPS} 天内没有足够的工作日 / not enough working days after {day}")


def next_working_day(day: date) -> date:
    """The first working day after ``day``."""
    return add_working_days(day, 1)


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]: 0 when end <= start."""
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        count += is_working_day(current)
    return count


def unknown_years(days: Iterable[date]) -> list[int]:
    """The years among ``days`` whose holiday arrangement is not known (Monday to Friday assumed)."""
    return sorted({d.year for d in days if not known(d)})
