"""Download headers shared by the web's file routes (a unit's attachments, the bureau's letters and zips, the
bulletin editions): one ``Content-Disposition`` builder, so every download names its file the same way."""

from __future__ import annotations

from urllib.parse import quote


def disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback name and the real one in RFC 5987 ``filename*`` (RFC 6266 §4.3).

    Old clients read ``filename`` (non-ASCII, quotes, backslashes, semicolons and control characters become ``_``;
    an empty name becomes ``file``); current ones read ``filename*``, percent-encoded UTF-8, so a Chinese name
    survives and no character of the name can end the header's parameter."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in name) or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
