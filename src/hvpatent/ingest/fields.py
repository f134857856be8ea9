"""Parsing and validating single values: dates, IPC codes, names, party types, legal events."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources

import yaml

from hvpatent.model import EVENT_TYPES, SNAPSHOT_STATUSES

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})(?:\.0)?$"),
)


def parse_date(raw: object) -> date | None:
    """Dates as exports write them; empty means None, anything unreadable raises ValueError."""
    if raw is None:
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    return _parse_date_text(str(raw).strip())


@lru_cache(maxsize=65_536)  # exports repeat the same dates thousands of times
def _parse_date_text(text: str) -> date | None:
    if text in {"", "0", "nan", "NaT", "None", "-"}:
        return None
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            year, month, day = (int(g) for g in m.groups())
            if not 1950 <= year <= 2100:
                raise ValueError(f"年份超出范围: {text}")
            try:
                return date(year, month, day)
            except ValueError as err:
                raise ValueError(f"不是有效日期: {text}") from err
    raise ValueError(f"无法识别的日期格式: {text}")


_CONTROL = str.maketrans({c: None for c in range(32) if c not in (9, 10)} | {127: None})


def printable(text: str) -> str:
    """Text without control characters: an xlsx cell cannot hold them, nor a terminal show them."""
    return str(text).translate(_CONTROL)


_IPC = re.compile(r"^([A-H])\s*(\d{2})\s*([A-Z])\s*(?:(\d{1,4})\s*/\s*(\d{1,6}))?$")
_IPC_VERSION = re.compile(r"\s*[(（]\d{4}\.\d{2}[)）]\s*$")


@lru_cache(maxsize=65_536)
def parse_ipc(raw: str) -> str:
    """'H01M 10/052 (2010.01)' -> 'H01M10/052'; subclass-only codes are kept as they are."""
    text = _IPC_VERSION.sub("", raw.strip().upper())
    m = _IPC.match(text)
    if not m:
        raise ValueError(f"不是有效的IPC分类号: {raw}")
    section, klass, subclass, group, subgroup = m.groups()
    code = f"{section}{klass}{subclass}"
    if group is not None:
        code += f"{int(group)}/{subgroup.rjust(2, '0')}"
    return code


_SPLIT = re.compile(r"\s*[;；|\n]\s*")
_SPLIT_IPC = re.compile(r"\s*[;；|,，\n]\s*")


def split_multi(raw: object, *, ipc: bool = False) -> list[str]:
    if raw is None:
        return []
    text = str(raw).strip()
    if not text or text.lower() == "nan":
        return []
    parts = (_SPLIT_IPC if ipc else _SPLIT).split(text)
    return [p.strip() for p in parts if p.strip()]


_FULLWIDTH = str.maketrans("（）　，；：", "() ,;:")


def normalize_name(name: str) -> str:
    """One spelling per party: half-width brackets, no spaces, upper-case Latin letters."""
    return re.sub(r"\s+", "", name.translate(_FULLWIDTH)).upper()


def classify_party(name: str) -> str:
    """CNIPA's applicant categories by name: enterprise | university | institute | government | individual, or
    other (unclassified).  The rules are data, checked in a documented order (reference/applicant_categories.yaml,
    docs/applicant-categories.md)."""
    from hvpatent.reference.applicant_categories import category_of_name  # it reads this module: import late

    return category_of_name(name)


# Event words -> event types, as data (events.yaml): the first rule whose words all occur decides.
_MEMO_LIMIT = 65_536  # distinct texts remembered; exports repeat a few hundred, a runaway file is cut off


@dataclass(frozen=True)
class EventVocabulary:
    rules: tuple[tuple[tuple[str, ...], str], ...]
    states: dict[str, str]             # bare state word -> snapshot status
    snapshot_of_event: dict[str, str]  # event type -> snapshot status it implies
    # Answers remembered per text: every importer asks about the same few hundred words for each row.
    _matches: dict[str, tuple[str, bool]] = field(default_factory=dict, compare=False, repr=False)
    _states: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    def match(self, text: str) -> tuple[str, bool]:
        """(event type, whether a rule knew the words); unknown words give ('other', False)."""
        found = self._matches.get(text)
        if found is None:
            found = self._match(text)
            _remember(self._matches, text, found)
        return found

    def _match(self, text: str) -> tuple[str, bool]:
        folded = fold_words(text)
        for words, event_type in self.rules:
            if all(w in folded for w in words):
                return event_type, True
        return "other", False

    def state(self, word: str) -> str | None:
        if word not in self._states:
            _remember(self._states, word, self.states.get(fold_words(word).strip("。.").lower()))
        return self._states.get(word)

    def extended(self, data: dict) -> EventVocabulary:
        """User rules (same YAML shape) are tried before the built-in ones."""
        rules, states = _parse_vocabulary(data)
        return EventVocabulary(rules + self.rules, {**self.states, **states}, self.snapshot_of_event)


def _remember(memo: dict, key: str, value: object) -> None:
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[key] = value


def fold_words(text: str) -> str:
    return re.sub(r"\s+", "", text.translate(_FULLWIDTH))


def _parse_vocabulary(data: dict) -> tuple[tuple, dict[str, str]]:
    rules = []
    for rule in data.get("rules") or []:
        words, event_type = rule.get("words"), rule.get("type")
        if not words or event_type not in EVENT_TYPES:
            raise ValueError(f"法律事件规则无效（words 不能为空，type 应为 {', '.join(EVENT_TYPES)}）: {rule}")
        rules.append((tuple(fold_words(str(w)) for w in words), event_type))
    states = {}
    for word, status in (data.get("states") or {}).items():
        if status not in SNAPSHOT_STATUSES:
            raise ValueError(f"状态词「{word}」的状态应为 {', '.join(SNAPSHOT_STATUSES)}: {status}")
        states[fold_words(str(word)).lower()] = status
    return tuple(rules), states


@lru_cache(maxsize=1)
def builtin_vocabulary() -> EventVocabulary:
    data = yaml.safe_load(resources.files(__package__).joinpath("events.yaml").read_text(encoding="utf-8"))
    rules, states = _parse_vocabulary(data)
    implied = {t: status for status, types in data["snapshot_of_event"].items() for t in types}
    return EventVocabulary(rules, states, implied)


@lru_cache(maxsize=4_096)
def classify_event(text: str) -> str:
    """The canonical event type of an event word or gazette heading ('other' when unknown)."""
    return builtin_vocabulary().match(text)[0]


_DATE_TEXT = r"\d{4}[-./年]\d{1,2}[-./月]\d{1,2}日?|(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_LEADING_DATE = re.compile(rf"^\s*({_DATE_TEXT})(?!\d)")
_TRAILING_DATE = re.compile(rf"[(（]?\s*({_DATE_TEXT})\s*[)）]?\s*$")
# A date a label introduces is a DETAIL of the event, not its date: 未缴年费终止日：2020.03.15 is the day
# the right ended (announced months later), 届满日：2041-05-01 the end of a compensated term.
_DETAIL_LABEL = r"(?:(?:终止|失效|届满|到期|截止|生效)日期?|补偿[^\d;；]{0,8}?)"
_DETAIL_DATE = re.compile(rf"{_DETAIL_LABEL}\s*[:：为]?\s*[(（]?\s*({_DATE_TEXT})")
_EFFECTIVE = re.compile(rf"(?:终止|失效|届满|生效)日期?\s*[:：]?\s*({_DATE_TEXT})")
_NEW_EXPIRY = re.compile(rf"(?:届满|到期|截止|终止)日期?\s*[:：为]?\s*({_DATE_TEXT})")
_DAYS = re.compile(r"(?:补偿|调整|延长)[^\d]{0,8}(\d{1,5})\s*(?:天|日)")


def _event_date(item: str) -> re.Match[str] | None:
    """The item's own date: the one leading it, else the one closing it unless a label makes it a detail."""
    lead = _LEADING_DATE.match(item)
    if lead:
        return lead
    trail = _TRAILING_DATE.search(item)
    if trail and not any(d.start(1) == trail.start(1) for d in _DETAIL_DATE.finditer(item)):
        return trail
    return None


def split_event(item: str) -> tuple[date, str]:
    """'2020-01-05 授权', '授权(2020.01.05)' or '20200105 授权' -> (date, text).

    The event date is the one leading the item, else the one closing it; a date introduced by a label
    (终止日, 届满日, 生效日, 补偿… : a detail) is never the event's date and stays in the text.
    """
    m = _event_date(item)
    if not m:
        raise ValueError(f"法律事件缺少日期: {item}")
    when = parse_date(m.group(1))
    text = (item[: m.start()] + " " + item[m.end() :]).strip(" :：()（）-,，")
    if when is None or not text:
        raise ValueError(f"法律事件无法解析: {item}")
    return when, text


def has_event_date(item: str) -> bool:
    return _event_date(item) is not None


def stated_effective_date(text: str) -> date | None:
    """A date the event text itself states as the day it took effect (未缴年费终止日：2019.03.20)."""
    m = _EFFECTIVE.search(text)
    return parse_date(m.group(1)) if m else None


def adjusted_term_end(text: str, filing: date | None, patent_type: str | None) -> date | None:
    """The end of term after a 专利权期限补偿 (Patent Law 2020 Art. 42(2)-(3)): the new expiry date if
    the text states it, else the normal term end (20 years for inventions, Art. 42(1)) plus the
    compensated days; None when the text gives neither."""
    m = _NEW_EXPIRY.search(text)
    if m:
        return parse_date(m.group(1))
    days = _DAYS.search(text)
    if days is None or filing is None or patent_type != "invention":
        return None
    # 29 February: the term ends on 28 February, as the engine counts it
    return years_after(filing, 20) + timedelta(days=int(days.group(1)))


def years_after(day: date, years: int) -> date:
    """The same day ``years`` later (earlier when negative); 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


_MEMBER = re.compile(r"^([A-Z]{2})[-\s]?([0-9A-Z/.\-]+?)[-\s]?([A-Z]\d?)?$")


def parse_family_member(raw: str) -> tuple[str, str, str | None]:
    """'US2021123456A1' -> ('US', 'US2021123456A1', 'A1')."""
    text = raw.strip().upper().replace(" ", "")
    m = _MEMBER.match(text)
    if not m:
        raise ValueError(f"无法识别的同族专利号: {raw}")
    return m.group(1), text, m.group(3)


def is_grant_kind(office: str, kind: str | None) -> bool:
    """Whether a publication kind code denotes a granted right.

    WIPO ST.16 groups B (and C at offices such as CN, RU, CA) as grant publications, and E as
    US reissues; A, U and the rest are applications or utility models and do not count.
    """
    return kind is not None and kind[0] in {"B", "C", "E"}


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_credit_code(raw: str) -> str:
    """Unified social credit code (GB 32100-2015): 18 characters with a mod-31 check."""
    code = raw.strip().upper()
    if len(code) != 18 or any(c not in _USCC_CHARS for c in code):
        raise ValueError(f"统一社会信用代码应为18位且只含数字和大写字母(不含I/O/Z/S/V): {raw}")
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    expected = _USCC_CHARS[(31 - total % 31) % 31]
    if code[17] != expected:
        raise ValueError(f"统一社会信用代码校验位错误，应为 {expected}: {raw}")
    return code
