"""Errors an import reports to the user."""

from __future__ import annotations

from collections.abc import Iterable

from hvpatent.ingest.limits import MAX_ROW_ERRORS
from hvpatent.model import RowError


class FileError(Exception):
    """A file that cannot be read at all."""

    def __init__(self, file: str, reason: str):
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason

    def __reduce__(self) -> tuple:  # raised in a worker process (ingest/parallel.py), re-raised here whole
        return type(self), (self.file, self.reason)


def not_listed(count: int) -> str:
    """The words for errors counted but not kept."""
    return f"另有 {count:,} 个错误未列出 / {count:,} more errors not listed"


class RowErrors(list[RowError]):
    """Row errors as readers and imports keep them: the first ``limit`` (limits.MAX_ROW_ERRORS) in full,
    the others only counted -- ``total`` errors on ``rows`` rows -- so a file of a million bad rows holds a
    thousand errors, not a million (each is a few hundred bytes: a 50 MiB file of one-byte bad rows would
    otherwise hold gigabytes of them).

    ``rows`` is counted only with ``count_rows`` (a reader's chunk, whose rows are bounded); an import's
    errors across the whole file count errors, not rows."""

    def __init__(self, errors: Iterable[RowError] = (), *, limit: int = MAX_ROW_ERRORS, count_rows: bool = True):
        super().__init__()
        self.limit = limit
        self.total = 0
        self._rows: set[int] | None = set() if count_rows else None
        self.extend(errors)

    def __reduce__(self) -> tuple:
        # Pickled from a worker process (ingest/parallel.py): list subclasses are rebuilt by appending their
        # items before their attributes are set, which append() cannot do; so rebuild whole.
        return _rebuilt, (list(self), self.limit, self.total, self._rows)

    @property
    def more(self) -> int:
        """Errors counted but not kept."""
        return self.total - len(self)

    @property
    def rows(self) -> int:
        """Rows with at least one error (0 where rows are not counted)."""
        return len(self._rows) if self._rows is not None else 0

    def append(self, error: RowError) -> None:
        self.total += 1
        if self._rows is not None:
            self._rows.add(error.row)
        if len(self) < self.limit:
            super().append(error)

    def extend(self, errors: Iterable[RowError]) -> None:
        if isinstance(errors, RowErrors):  # another reader's errors: its count, and those it kept
            self.total += errors.total
            if self._rows is not None and errors._rows is not None:
                self._rows |= errors._rows
            elif self._rows is not None:
                self._rows.update(e.row for e in errors)
            super().extend(errors[: max(self.limit - len(self), 0)])
            return
        for error in errors:
            self.append(error)

    def __iadd__(self, errors: Iterable[RowError]) -> RowErrors:  # type: ignore[override]
        self.extend(errors)
        return self


def _rebuilt(errors: list[RowError], limit: int, total: int, rows: set[int] | None) -> RowErrors:
    rebuilt = RowErrors(limit=limit, count_rows=rows is not None)
    list.extend(rebuilt, errors)
    rebuilt.total, rebuilt._rows = total, rows
    return rebuilt


def error_count(errors: list[RowError]) -> int:
    """How many errors ``errors`` stands for: all counted where it is a RowErrors."""
    return errors.total if isinstance(errors, RowErrors) else len(errors)


def error_rows(errors: list[RowError]) -> int:
    """How many rows the errors fall on."""
    return errors.rows if isinstance(errors, RowErrors) and errors._rows is not None else len({e.row for e in errors})


class ImportRejected(Exception):
    """A file with invalid rows, rejected whole; ``errors`` lists the first bad values (at most
    limits.MAX_ROW_ERRORS), ``count`` how many there were."""

    def __init__(self, file: str, errors: list[RowError], count: int | None = None):
        first = errors[0]
        self.count = count if count is not None else error_count(errors)
        more = self.count - len(errors)
        super().__init__(
            f"{file}: {self.count:,} 处错误，文件未导入；首个错误：第 {first.row} 行 "
            f"字段「{first.field}」值「{first.value}」：{first.reason}" + (f"；{not_listed(more)}" if more > 0 else "")
        )
        self.file = file
        self.errors = errors
        self.more = max(more, 0)
