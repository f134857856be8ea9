"""The importers' heartbeat: readers call ``beat()`` cheaply and often (every BEAT_ROWS rows read or
converted, every MiB of xlsx XML scanned or unpacked), so a long phase of an import can be followed and
cancelled, not only the end of each chunk of rows.

``import_file`` listens around the whole import (its ``progress`` callback, called with 0 rows: a beat
reads rows but stores none, so rows_read still grows only at the end of each chunk); a cancel raised from
that callback stops the reader where it is.  Whoever shows the import may also watch its phase
(``watching``: "checking" the file's parts, "reading" rows, "storing" them).  Outside an import both are
unset and a beat is two context-variable look-ups.

Context variables rather than a callback threaded through every reader's signature: the readers are
generators consumed in the importing thread, so they see the variables of the import that reads them,
and a second import in another thread (the CLI and the server, tests) has its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

BEAT_ROWS = 1_000          # rows (records, lines) between beats
BEAT_BYTES = 1 << 20       # bytes of unpacked XML between beats

PHASES = ("checking", "reading", "storing")

_tick: ContextVar[Callable[[], None] | None] = ContextVar("hvp_import_tick", default=None)
_phase: ContextVar[Callable[[str], None] | None] = ContextVar("hvp_import_phase", default=None)


def beat(phase: str = "reading") -> None:
    """One heartbeat of the import in this context (a no-op outside one); the tick may raise (a cancel)."""
    watcher = _phase.get()
    if watcher is not None:
        watcher(phase)
    tick = _tick.get()
    if tick is not None:
        tick()


@contextmanager
def listening(tick: Callable[[], None] | None) -> Iterator[None]:
    """Call ``tick`` at every beat within the block (import_file: its progress callback)."""
    token = _tick.set(tick)
    try:
        yield
    finally:
        _tick.reset(token)


@contextmanager
def watching(phase: Callable[[str], None] | None) -> Iterator[None]:
    """Call ``phase(name)`` at every beat within the block, before the tick (web/jobs.py: the job's phase)."""
    token = _phase.set(phase)
    try:
        yield
    finally:
        _phase.reset(token)


class BeatingStream:
    """A binary stream that beats every BEAT_BYTES read: for a parser reading a part whole before it
    yields anything (openpyxl's shared strings)."""

    def __init__(self, raw, phase: str = "reading"):
        self._raw, self._phase, self._since = raw, phase, 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._since += len(data)
        if self._since >= BEAT_BYTES:
            self._since = 0
            beat(self._phase)
        return data

    def __getattr__(self, name: str):
        return getattr(self._raw, name)

    def __enter__(self) -> BeatingStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self._raw.close()
