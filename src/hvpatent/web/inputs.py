"""Checks of query values shared by the API and the pages: a value outside what the question can
mean is a 422 that says which parameter and what it may be, never a 500 from deep in a query."""

from __future__ import annotations

import re
from datetime import date

from fastapi import HTTPException

from hvpatent.indicators import CRITERIA, DIMENSIONS, INDICATORS, PERIOD_MONTHS, check_as_of

# a county-or-above code (6 digits) or a town code (12), ASCII digits only (\d would take full-width ones) and no
# trailing newline (which $ would let through): used with fullmatch
REGION = re.compile(r"[0-9]{6}(?:[0-9]{6})?")
MAX_TEXT = 200                           # search text, group names: longer is not a question


def as_of(day: date) -> date:
    try:
        return check_as_of(day)
    except ValueError as err:
        raise HTTPException(422, str(err)) from err


def query(*, period: str | None = None, by: str | None = None, region: str | None = None,
          criterion: str | None = None, town: str | None = None, key: str | list[str] | None = None,
          by_name: str = "group_by", **texts: str | None) -> None:
    """422 for the first value that cannot be asked (``by_name``: what the route calls ``by``), 404 for
    an indicator ``key`` (one or a list) that does not exist; ``texts`` are free text bounded in length."""
    for k in [key] if isinstance(key, str) else key or []:
        if k not in INDICATORS:
            shown = k if len(k) <= 40 else k[:40] + "…"
            raise HTTPException(404, f"未知指标 {shown!r} / unknown indicator {shown!r}")
    if period is not None and period not in PERIOD_MONTHS:
        _bad("period", period, " | ".join(PERIOD_MONTHS))
    if by and by not in DIMENSIONS:
        _bad(by_name, by, " | ".join(DIMENSIONS))
    if region and not REGION.fullmatch(region):
        _bad("region", region, "6 或 12 位区划代码 / a 6- or 12-digit region code")
    if town and not (REGION.fullmatch(town) and len(town) == 12):
        _bad("town", town, "12 位镇街代码 / a 12-digit town code")
    if criterion and criterion not in CRITERIA:
        _bad("criterion", criterion, " | ".join(CRITERIA))
    for name, text in texts.items():
        if text is not None and len(text) > MAX_TEXT:
            raise HTTPException(422, f"{name}：超过 {MAX_TEXT} 个字符 / {name}: longer than {MAX_TEXT} characters")


def invalid(name: str, value: str, allowed: str, code: int = 422) -> HTTPException:
    """The error (to raise) for a parameter's value that cannot be asked, naming the parameter and what it may be."""
    shown = value if len(value) <= 40 else value[:40] + "…"
    return HTTPException(code, f"{name}：无效的值 {shown!r}，可用：{allowed} / {name}: invalid value {shown!r}; "
                               f"allowed: {allowed}")


def _bad(name: str, value: str, allowed: str) -> None:
    raise invalid(name, value, allowed)


def choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    """The value when it is one of ``allowed``, else 422."""
    if value not in allowed:
        raise invalid(name, value, " | ".join(allowed))
    return value


def integer(name: str, text: str | None, low: int, high: int) -> int | None:
    """The whole number in [low, high] the text says, None for no text, else 422."""
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{1,7}", text) or not low <= int(text) <= high:
        raise invalid(name, text, f"{low}–{high}")
    return int(text)
