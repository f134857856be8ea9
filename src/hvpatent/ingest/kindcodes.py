"""What a Chinese publication's kind code says: an application published, or a right granted.

CNIPA's kind codes changed twice (WIPO Handbook on Industrial Property Information and
Documentation, Standard ST.16 and its Part 7.3 country list for CN; CNIPA, 专利文献号编号规则, 2010
revision, in force 2010-04-01):

| period                  | invention                           | utility model    | design           |
|-------------------------|-------------------------------------|------------------|------------------|
| 1985-04-01 … 1992-12-31 | A published, B opposition, C grant  | U opposition, Y  | S opposition, D  |
| 1993-01-01 … 2010-03-31 | A published, C granted              | Y granted        | D granted        |
| from 2010-04-01         | A published, B granted              | U granted        | S granted        |

("opposition": examined and announced for opposition, granted later as C / Y / D.)

The 1992 amendment of the Patent Law (in force 1993-01-01) abolished opposition before grant, so from
then on the publication of a utility model or design is its grant announcement.  A trailing 8 or 9
(B8, C9, U8 …) marks a corrected re-publication of the same document: it is not a new grant and its
date is not the grant date.  Rights announced before 1993 have all reached the end of their terms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

OPPOSITION_ABOLISHED = date(1993, 1, 1)
NEW_CODES_FROM = date(2010, 4, 1)

_KIND = re.compile(r"^([A-Z])(\d)?$")
_PUB_NO = re.compile(r"^(?:CN)?\d{6,9}([A-Z]\d?)$")


@dataclass(frozen=True)
class KindMeaning:
    patent_type: str | None  # invention | utility_model | design | None when unknown
    stage: str               # application | grant | opposition | correction | unknown

    @property
    def is_grant(self) -> bool:
        return self.stage == "grant"


def kind_of_pub_no(pub_no: str) -> str | None:
    """'CN109555555B' -> 'B'; 'CN1234567C8' -> 'C8'; None when the number carries no kind code."""
    m = _PUB_NO.match(pub_no.strip().upper().replace(" ", "").replace(".", ""))
    return m.group(1) if m else None


def cn_kind_meaning(kind: str | None, pub_date: date | None = None) -> KindMeaning:
    """The meaning of a CN kind code, by the period of its publication date.

    Without a publication date the current (2010) scheme is assumed, except for codes only the older
    schemes use (C, Y, D), which are grants under the 1993 scheme.
    """
    m = _KIND.match((kind or "").strip().upper())
    if not m:
        return KindMeaning(None, "unknown")
    letter, digit = m.groups()
    patent_type = {"A": "invention", "B": "invention", "C": "invention", "U": "utility_model",
                   "Y": "utility_model", "S": "design", "D": "design"}.get(letter)
    if patent_type is None:
        return KindMeaning(None, "unknown")
    if digit in {"8", "9"}:
        return KindMeaning(patent_type, "correction")
    if letter == "A":
        return KindMeaning(patent_type, "application")
    if pub_date is not None and pub_date < OPPOSITION_ABOLISHED:
        return KindMeaning(patent_type, "opposition" if letter in {"B", "U", "S"} else "grant")
    if letter == "B" and pub_date is not None and pub_date < NEW_CODES_FROM:
        return KindMeaning(patent_type, "unknown")  # B was not issued 1993-2010
    return KindMeaning(patent_type, "grant")
