"""Errors an import reports to the user."""

from __future__ import annotations

from hvpatent.model import RowError


class FileError(Exception):
    """A file that cannot be read at all."""

    def __init__(self, file: str, reason: str):
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


class ImportRejected(Exception):
    """A file with invalid rows, rejected whole; ``errors`` lists every bad value."""

    def __init__(self, file: str, errors: list[RowError]):
        first = errors[0]
        super().__init__(
            f"{file}: {len(errors)} 处错误，文件未导入；首个错误：第 {first.row} 行 "
            f"字段「{first.field}」值「{first.value}」：{first.reason}"
        )
        self.file = file
        self.errors = errors
