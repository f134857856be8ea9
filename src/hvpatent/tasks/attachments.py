"""Checking a report's attachments: a file is what its name says (pdf, docx, xlsx, png, jpeg), within the size
limits, not an executable, not a zip bomb, no macros.  OWNER: H3."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class AttachmentError(ValueError):
    """An attachment refused; the message (Chinese / English) names the file and why."""


@dataclass(frozen=True)
class CheckedFile:
    file_name: str      # the name as given, made safe (no folders, no control characters, at most 120 characters)
    kind: str           # pdf | docx | xlsx | png | jpeg
    media_type: str
    size_bytes: int
    sha256: str
    content: bytes


def check_attachment(name: str, data: bytes, config=None) -> CheckedFile:
    raise NotImplementedError


def check_attachments(files: Sequence[tuple[str, bytes]], config=None) -> list[CheckedFile]:
    """Each file checked, then the count and total size; the first refusal raises."""
    raise NotImplementedError
