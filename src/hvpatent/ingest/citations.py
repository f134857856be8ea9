"""Cited documents: the 专利引证 / 引证专利 cell of a patent export, and Google Patents' `citation` list.

A cell lists the publications a patent cites (backward citations), in the providers' spellings:

- CNIPA 专利检索及分析 (专利引证): ``CN105123456A;CN1234567A;US2005123456A1``
- incoPat / PatSnap (引证专利, 引用专利, 引证文献): separated by ``;`` ``；`` ``,`` ``、`` ``|`` or new lines,
  sometimes with spaces inside a number (``US 9876543 B2``) or between numbers.
- Google Patents (``US-9876543-B2``), with ``*`` after a citation the examiner made.

Each number becomes (cited_no, cited_key): cited_no upper case without separators, kind code kept
(``CN105123456A``); cited_key the same without its kind code (``CN105123456``), so that a patent is
matched whichever of its documents (A or B) was cited.  CN numbers of both eras are read: 7 digits before
2010-04-01 (``CN1234567A``, ``CN2345678Y``), 9 since (``CN105123456A``); a bare CNIPA number without its
office (``105123456A``) is a CN one.  A token that is no patent number (non-patent literature, a note, a
formula) is skipped and counted in the import's notes: a cell of an export lists what the examiner cited, and
losing the patent's row (its legal events, its parties) for one reference we cannot match would cost more than
the reference.  A Google `citation` entry names its publication in a field of its own, so a malformed one there
is an error naming file, row and field (docs/importing.md, "Citations").
"""

from __future__ import annotations

import re
import unicodedata

from hvpatent.ingest.kindcodes import kind_of_pub_no

#: Numbers one cell may list: real patents cite tens, rarely a few hundred; more is a broken file.
MAX_CITATIONS_PER_CELL = 2_000
#: Words a provider writes in an empty cell.
_EMPTY = {"", "-", "--", "—", "无", "暂无", "NAN", "NONE", "NULL", "N/A"}

_SEPARATORS = re.compile(r"[;；,，、|\n\r\t]+")
# Office, optional letters before the serial (JP era H/S, US RE/D/PP), serial, optional kind code.
_NUMBER = re.compile(r"^([A-Z]{2})([A-Z]{0,2}\d{4,13})([A-Z]\d?)?$")
_BARE_CN = re.compile(r"^\d{6,9}[A-Z]\d?$")
_KIND_TAIL = re.compile(r"(?<=\d)[A-Z]\d?$")
_WORDS_PER_NUMBER = 4  # "US 2005/0123456 A1": at most this many space-separated words make one number


def normalise_cited(raw: str) -> str:
    """One cited number as stored: ``'US-9876543-B2'`` -> ``'US9876543B2'``; ValueError when it is none."""
    text = unicodedata.normalize("NFKC", raw).upper().strip().rstrip("*").strip()
    compact = re.sub(r"[\s\-/.]", "", text)
    if _BARE_CN.match(compact) and kind_of_pub_no(compact):
        compact = "CN" + compact
    m = _NUMBER.match(compact)
    if not m:
        raise ValueError(f"无法识别的引证专利号「{raw[:60]}」（应为公开号，如 CN105123456A、US9876543B2）"
                         f" / not a patent publication number: {raw[:60]!r}")
    if m.group(1) == "CN" and not 6 <= len(m.group(2)) <= 9:
        raise ValueError(f"「{raw[:60]}」不是中国专利公开(公告)号（应为 CN 加 7 位或 9 位数字及类型代码，"
                         f"如 CN1234567A、CN105123456A） / not a CN publication number: {raw[:60]!r}")
    return compact


def cited_key(cited_no: str) -> str:
    """The number without its kind code: ``'CN105123456A'`` -> ``'CN105123456'``, ``'US9876543B2'`` ->
    ``'US9876543'``; a number without a kind code is its own key."""
    return _KIND_TAIL.sub("", cited_no)


def parse_citations(cell: str, skipped: list[str] | None = None) -> list[str]:
    """The cited numbers of one cell, normalised, in order, each once.  A token that is no patent number goes to
    ``skipped`` when a list is given, else raises ValueError (its text in the message); more than
    MAX_CITATIONS_PER_CELL numbers always raises (a broken file, not a patent's citations)."""
    found: list[str] = []
    for piece in _SEPARATORS.split(cell):
        words = piece.split()
        i = 0
        while i < len(words):
            for j in range(min(len(words), i + _WORDS_PER_NUMBER), i, -1):
                joined = "".join(words[i:j])
                if joined.upper() in _EMPTY and j == i + 1:
                    break
                try:
                    found.append(normalise_cited(joined))
                    break
                except ValueError:
                    if j == i + 1:
                        if skipped is None:
                            raise
                        skipped.append(joined)
            i = j
        if len(found) > MAX_CITATIONS_PER_CELL:
            raise ValueError(f"引证专利超过 {MAX_CITATIONS_PER_CELL:,} 件，不像一个专利的引证"
                             f" / more than {MAX_CITATIONS_PER_CELL:,} cited documents in one cell")
    return list(dict.fromkeys(found))


def citation_rows(citing_app_no: str, cited: list[str], source: str) -> list[dict]:
    """Rows of the `citations` table for one citing application."""
    return [{"citing_app_no": citing_app_no, "cited_no": no, "cited_key": cited_key(no), "source": source}
            for no in dict.fromkeys(cited)]
