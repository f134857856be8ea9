"""Changes a page or the API asks of the workflow ledgers (financing requests, interest subsidies, subsidies and
rewards), made on the warehouse's one connection under its write lock: an import holds that lock for minutes, so a
change waits LOCK_WAIT_S for it and then answers 503 rather than blocking the server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import HTTPException, Request

from hvpatent.web.analytics import Analytics
from hvpatent.web.api import analytics

LOCK_WAIT_S = 10.0
BUSY = "正在导入数据，请稍后再试 / an import is running; please try again in a minute"


@contextmanager
def write_lock(request: Request) -> Iterator[Analytics]:
    """The app's analytics with the warehouse's write lock held; 503 when an import keeps it past LOCK_WAIT_S."""
    a = analytics(request)
    if not a.warehouse.lock.acquire(timeout=LOCK_WAIT_S):
        raise HTTPException(503, BUSY)
    try:
        yield a
    finally:
        a.warehouse.lock.release()


def ledger_write(request: Request, change: Callable[..., Any], refused: type[Exception]) -> Any:
    """``change(duck, con)`` — the warehouse's connection and an Ibis reader for the facts — under the write lock;
    a ``refused`` error (the room's refusal of the change) is a 422 with its reason."""
    with write_lock(request) as a:
        try:
            with a.warehouse.reader() as con:
                return change(a.warehouse.con, con)
        except refused as err:
            raise HTTPException(422, str(err)) from err
