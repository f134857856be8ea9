"""Converting chunks of rows in worker processes while the importing process reads and stores.

Converting a row of a patent export (dates, numbers, legal-status words, region attribution) is pure
Python and costs some 200 µs; reading the CSV row costs about 6 µs and storing it in DuckDB about 25 µs.
So a large file's chunks are converted in ``workers`` processes, in order, a few chunks ahead of the one
being stored: the importing process reads, sends, receives and stores.  A worker knows nothing of the
warehouse; a chunk's result is the same Batch, row errors and notes the same code gives in-process.

Workers are spawned (not forked): the importing process may hold DuckDB's threads and a web server's, and
a fork copies their locks in whatever state they are.  While it waits for a chunk the importing process
beats (ingest/heartbeat.py), so a cancel reaches it; leaving the generator early (a cancel, an error, a
rejected file) terminates the workers.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import types
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from multiprocessing.pool import AsyncResult
from typing import Any, TypeVar

from hvpatent.ingest.heartbeat import beat

J = TypeVar("J")
R = TypeVar("R")

#: Seconds between beats while the importing process waits for a worker's chunk.
WAIT_BEAT_S = 0.2


#: Worker processes at most: each holds the ingest code, the region tables and its chunks, some 450 MiB
#: (measured on the demo CSV), so four keep an import with its warehouse under 4 GiB.
MAX_WORKERS = 4


def default_workers() -> int:
    """Worker processes for a large import: one a core, at most MAX_WORKERS (the importing process reads
    and stores besides; DuckDB's own threads use the cores while the workers wait on the pipe)."""
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def ordered_map(convert: Callable[[J], R], jobs: Iterable[J], *, workers: int,
                initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()) -> Iterator[R]:
    """``convert(job)`` of each job, in the jobs' order, computed in ``workers`` spawned processes with at
    most ``workers + 1`` jobs sent ahead of the result being used (so memory holds a few chunks, never the
    file); a worker's exception is raised here, at its job's turn."""
    with _main_not_imported():
        pool = mp.get_context("spawn").Pool(workers, initializer=initializer, initargs=initargs)
    try:
        pids = _worker_pids(pool)
        pending: deque[AsyncResult] = deque()
        for job in jobs:
            pending.append(pool.apply_async(convert, (job,)))
            while len(pending) > workers:
                yield _wait(pending.popleft(), pool, pids)
        while pending:
            yield _wait(pending.popleft(), pool, pids)
    finally:
        pool.terminate()  # nothing of an abandoned import keeps converting
        pool.join()


@contextmanager
def _main_not_imported() -> Iterator[None]:
    """Workers run ingest code only: a spawned process would import the parent's __main__ first, and a
    script calling import_file without the ``if __name__ == "__main__"`` guard would then import again in
    every worker.  So the workers are started while __main__ is an empty module."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


class WorkerDied(RuntimeError):
    """A conversion worker ended without a result (killed for memory, crashed)."""


def _worker_pids(pool) -> frozenset[int]:
    # Pool keeps its processes in a private list; it replaces a worker that dies, and the dead one's job
    # is lost without a word (AsyncResult.get would wait for ever), so a changed set of pids is a death.
    return frozenset(process.pid for process in pool._pool)


def _wait(result: AsyncResult, pool, pids: frozenset[int]) -> Any:
    while True:
        try:
            return result.get(timeout=WAIT_BEAT_S)
        except mp.TimeoutError:
            if _worker_pids(pool) != pids:
                raise WorkerDied("转换数据的子进程意外退出（可能内存不足），数据未作任何改变 / a conversion worker "
                                 "died (out of memory?); nothing was stored") from None
            beat()
