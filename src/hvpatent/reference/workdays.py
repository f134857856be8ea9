"""Working days in mainland China: Monday to Friday, less the public holidays, plus the weekend days made working
days (调休上班), as the General Office of the State Council's yearly notice on holiday arrangements
(国务院办公厅关于某年部分节假日安排的通知) sets them.  The notices of 2004-2026 come from the ``chinesecalendar``
package; a year it does not hold yet may be given in the user config folder's workdays.yaml::

    years: [2027]                 # the years this file states in full
    holidays: [2027-01-01, ...]   # days off that would be working days
    workdays: [2027-02-20, ...]   # weekend days that are working days

For a year neither knows, Monday to Friday are taken as working days and ``unknown_years`` names the year, so a
due date or an issue date computed with it can say so: ``calendar_note`` words it, and `hvp schedule run` and `hvp
schedule list` print it under the issue days they show (docs/schedule.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import chinese_calendar

from hvpatent.reference.settings import SettingsError, fail, read_settings
from hvpatent.reference.userconfig import user_config_dir

USER_FILE = "workdays.yaml"
MAX_STEPS = 400  # working days sought at most: a year of days off in a row would be a broken calendar file


KEYS = ("years", "holidays", "workdays")


class CalendarError(SettingsError):
    """A working-day file that cannot be used (the message names the file and the key), or a broken calendar."""


@cache
def _user_calendar() -> tuple[frozenset[int], frozenset[date], frozenset[date]]:
    path = user_config_dir() / USER_FILE
    if not path.is_file():
        return frozenset(), frozenset(), frozenset()
    # read as every settings file is: size cap, no YAML anchors or aliases, a mapping (reference/settings.py)
    raw = read_settings(path, CalendarError)
    unknown = sorted((k for k in raw if k not in KEYS), key=str)
    if unknown:
        raise fail(str(path), str(unknown[0])[:40], "未知的键", "unknown key", error=CalendarError)
    years = frozenset(_list(raw, "years", path, _year))
    holidays = frozenset(_list(raw, "holidays", path, _day))
    workdays = frozenset(_list(raw, "workdays", path, _day))
    return years, holidays, workdays


def _list(raw: dict, key: str, path: Path, read) -> list:
    """The items of one key, each read by ``read``; CalendarError naming the file, the key and the item."""
    items = raw.get(key) or []
    if not isinstance(items, list):
        raise fail(str(path), key, "应为列表", "expected a list", items, CalendarError)
    out = []
    for i, item in enumerate(items):
        try:
            out.append(read(item))
        except (ValueError, TypeError):
            raise fail(str(path), f"{key}[{i}]", "应为年份" if key == "years" else "应为日期 YYYY-MM-DD",
                       "expected a year" if key == "years" else "expected a day YYYY-MM-DD", item,
                       CalendarError) from None
    return out


def _year(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(value)
    return int(value)


def _day(value) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise TypeError(value)
    return date.fromisoformat(value.strip())


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


def calendar_note(days: Iterable[date]) -> tuple[str, str] | None:
    """A note (Chinese, English) naming the years among ``days`` whose holiday arrangement is not known, so that
    Monday to Friday were taken as their working days; None when every year is known."""
    years = unknown_years(days)
    if not years:
        return None
    listing = ", ".join(str(y) for y in years)
    return (f"注意：{listing} 年的节假日安排尚未公布，按周一至周五为工作日计算；可在配置目录的 {USER_FILE} 中写明",
            f"note: the holiday arrangements of {listing} are not known: Monday to Friday were taken as working "
            f"days; state them in the config folder's {USER_FILE}")
