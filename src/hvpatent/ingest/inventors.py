"""Inventors (发明人; 设计人 of a design) as the importers read them: a cell of names, or a list of them.

CNIPA exports separate names with ';' (others with ；, ',' ， or 、).  A comma is also how a Western name is
written surname first ("SMITH, JOHN; DOE, JANE" is two inventors), so the rule is (split_inventors): ; ； 、 | and
line breaks always separate names; the full-width ， always does too; an ASCII ',' separates names only in a cell
with none of those other separators, or in a piece holding Chinese characters (a Chinese name holds no comma):
"SMITH, JOHN | DOE, JANE" and "SMITH, JOHN、DOE, JANE" are two.  A lone "SMITH, JOHN" (no other separator) is
read as two names: nothing in the cell tells it from "SMITH, JONES".  A cell is text, never evaluated:
a name that looks like a formula ("=1+1") is kept as written.  A cell of more than MAX_INVENTORS names, or a name of
more than MAX_NAME_CHARS characters, is no inventor list (a column mapped wrongly, an abstract pasted in): the row
is refused with the reason (docs/importing.md, "Inventors").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from hvpatent.ingest.fields import normalize_name

MAX_INVENTORS = 200
MAX_NAME_CHARS = 100
_SPLIT = re.compile(r"\s*[;；、|\n]\s*")   # always names apart
_WIDE_COMMA = re.compile(r"\s*，\s*")        # always names apart too
_COMMA = re.compile(r"\s*,\s*")              # names apart unless a surname-first Western name (see above)
_OTHER_SEPARATOR = re.compile(r"[;；、|\n，]")  # a cell with any of these: an ASCII ',' is inside a name
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def check_names(names: Iterable[str]) -> list[str]:
    """The names stripped, empty ones dropped; ValueError (bilingual) over the limits."""
    out = [n.strip() for n in names if n and n.strip()]
    if len(out) > MAX_INVENTORS:
        raise ValueError(f"发明人超过 {MAX_INVENTORS} 人（{len(out)}），不像发明人列 / more than {MAX_INVENTORS} "
                         "inventors: not an inventor list")
    long = next((n for n in out if len(n) > MAX_NAME_CHARS), None)
    if long is not None:
        raise ValueError(f"发明人姓名超过 {MAX_NAME_CHARS} 字，不像姓名 / an inventor name over {MAX_NAME_CHARS} "
                         "characters")
    return out


def split_inventors(text: str | None) -> list[str]:
    """The names of one cell, in order (ValueError over the limits); the separators as the module says:
    "张三;李四" and "张三,李四" are two, "SMITH, JOHN; DOE, JANE" two, "SMITH, JOHN | DOE, JANE" two,
    "John Smith, Jane Doe" two."""
    if text is None or not str(text).strip() or str(text).strip().lower() == "nan":
        return []
    cell = str(text)
    commas_apart = _OTHER_SEPARATOR.search(cell) is None
    names: list[str] = []
    for piece in _SPLIT.split(cell):
        for part in _WIDE_COMMA.split(piece):
            names.extend(_COMMA.split(part) if commas_apart or _CJK.search(part) else [part])
    return check_names(names)


def inventor_rows(app_no: str, names: Iterable[str]) -> list[dict]:
    """Rows of table inventors: one per distinct normalised name, seq in the order first listed."""
    rows: list[dict] = []
    seen: set[str] = set()
    for name in names:
        norm = normalize_name(name)
        if norm and norm not in seen:
            seen.add(norm)
            rows.append({"app_no": app_no, "seq": len(rows) + 1, "name": name, "name_norm": norm})
    return rows
