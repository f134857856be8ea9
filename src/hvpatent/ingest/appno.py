"""Chinese application numbers (申请号): normalisation and check-digit verification.

CNIPA standard ZC 0006-2003 gives 12-digit numbers ``YYYY T NNNNNNN . C`` (year, type,
serial, check digit) used since 2003-10-01; earlier filings used 8 digits ``YY T NNNNN . C``.
The check digit is the weighted sum of the digits (weights 2..9 repeating) modulo 11,
written ``X`` when it is 10.  The standard's own example is 200310100002.X.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
# Leading office code and decorations users paste: "CN", "ZL", "CN-", spaces, dots.
_PREFIX = re.compile(r"^(?:CN|ZL)[\s\-]*", re.IGNORECASE)
_BODY = re.compile(r"^(\d{8}|\d{12})(?:\.?([0-9Xx]))?$")
# Google Patents writes "CN-202010123456-A": the suffix is a kind letter, not a check digit.
_GOOGLE = re.compile(r"^CN-(\d{8}|\d{12})-[A-Z]\d?$", re.IGNORECASE)

# The type digit: 1 invention, 2 utility model, 3 design; 8 and 9 are PCT national-phase
# inventions and utility models.
PATENT_TYPE_BY_DIGIT = {
    "1": "invention",
    "2": "utility_model",
    "3": "design",
    "8": "invention",
    "9": "utility_model",
}


class AppNoError(ValueError):
    """An application number that cannot be normalised; the message says why."""


@dataclass(frozen=True)
class AppNo:
    digits: str  # 8 or 12 digits without the check digit
    check: str

    @property
    def canonical(self) -> str:
        return f"{self.digits}.{self.check}"

    @property
    def type_digit(self) -> str:
        return self.digits[4] if len(self.digits) == 12 else self.digits[2]

    @property
    def patent_type(self) -> str | None:
        return PATENT_TYPE_BY_DIGIT.get(self.type_digit)

    @property
    def is_pct(self) -> bool:
        return self.type_digit in {"8", "9"}


def check_digit(digits: str) -> str:
    total = sum(int(d) * w for d, w in zip(digits, _WEIGHTS, strict=False))
    rem = total % 11
    return "X" if rem == 10 else str(rem)


def parse_appno(raw: object, *, require_check: bool = False) -> AppNo:
    """Parse any common spelling of a CN application number.

    A missing check digit is computed (Google Patents and some exports omit it) unless
    ``require_check``; a present but wrong one is an error, because it means a typo.
    """
    if raw is None:
        raise AppNoError("empty")
    text = str(raw).strip().upper().replace("\u3000", " ")
    if not text:
        raise AppNoError("empty")
    google = _GOOGLE.match(text)
    if google:
        digits, given = google.group(1), None
    else:
        text = _PREFIX.sub("", text).replace(" ", "")
        m = _BODY.match(text)
        if not m:
            raise AppNoError(f"not a CN application number: {raw!r}")
        digits, given = m.group(1), m.group(2)
    expected = check_digit(digits)
    if given is None:
        if require_check:
            raise AppNoError(f"check digit missing: {raw!r}")
    elif given.upper() != expected:
        raise AppNoError(f"check digit {given} wrong, expected {expected}: {raw!r}")
    return AppNo(digits, expected)


def normalize_appno(raw: object) -> str:
    return parse_appno(raw).canonical
