"""Beijing time (UTC+8, no daylight saving), the time of every deadline the product keeps: a due date, a reporting
period's first day and an edition's issue day are days of China's calendar, whatever the server's own time zone (a
container's is often UTC, eight hours behind: a report filed at 07:00 Beijing time on the day after its due date
would otherwise be stamped with the due date)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")


def china_now() -> datetime:
    """The current Beijing time, naive (as the warehouse's TIMESTAMP columns store it)."""
    return datetime.now(CHINA_TIME).replace(tzinfo=None)


def china_today() -> date:
    """Today's date in Beijing."""
    return datetime.now(CHINA_TIME).date()
