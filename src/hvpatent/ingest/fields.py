"""Parsing and validating single values: dates, IPC codes, names, party types, legal events."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

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


_ENTERPRISE = ("公司", "有限", "集团", "厂", "合作社", "股份", "企业", "商行", "事务所", "CO.", "LTD", "INC")
_UNIVERSITY = ("大学", "学院", "学校", "高等专科", "职业技术", "UNIVERSITY", "COLLEGE")
_INSTITUTE = ("研究院", "研究所", "研究中心", "科学院", "实验室", "设计院", "INSTITUTE", "ACADEMY")
_GOVERNMENT = ("人民政府", "委员会", "管理委员会", "局", "医院", "中心", "协会", "学会", "部队")


def classify_party(name: str) -> str:
    """CNIPA's applicant categories: 企业 / 大专院校 / 科研单位 / 机关团体 / 个人."""
    upper = name.upper()
    if any(k in upper for k in _ENTERPRISE):
        return "enterprise"
    # Institutes first: "中国科学院…研究院" contains 学院 but is a research institute.
    if any(k in upper for k in _INSTITUTE):
        return "institute"
    if any(k in upper for k in _UNIVERSITY):
        return "university"
    if any(k in upper for k in _GOVERNMENT):
        return "government"
    if re.fullmatch(r"[\u4e00-\u9fff·]{2,5}", name):
        return "individual"
    return "other"


# Ordered: the first rule whose words all occur in the text decides.
_EVENT_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("质押", "解除"), "pledge_released"),
    (("质押", "注销"), "pledge_released"),
    (("质押", "变更"), "pledge_changed"),
    (("质押",), "pledge_registered"),
    (("恢复",), "restoration"),
    (("年费",), "annuity_lapse"),
    (("期限届满",), "expiry"),
    (("期满",), "expiry"),
    (("届满",), "expiry"),
    (("视为撤回",), "deemed_withdrawn"),
    (("撤回",), "withdrawn"),
    (("驳回",), "rejected"),
    (("全部无效",), "invalidated_full"),
    (("部分无效",), "invalidated_partial"),
    (("维持有效",), "other"),  # an invalidation request that failed leaves the patent valid
    (("放弃",), "surrendered"),
    (("许可",), "licence"),
    (("转移",), "transfer"),
    (("权利人", "变更"), "transfer"),
    (("实质审查",), "examination"),
    (("授权",), "granted"),
    (("授予",), "granted"),
    (("公开",), "published"),
    (("公布",), "published"),
    (("公告",), "published"),
    (("申请",), "filed"),
)

# Status words of "current legal status" columns that are states, not dated events.
_STATUS_ONLY = {"有效", "失效", "审中", "在审", "授权", "pending", "valid"}


@lru_cache(maxsize=4_096)
def classify_event(text: str) -> str:
    for words, event_type in _EVENT_RULES:
        if all(w in text for w in words):
            return event_type
    return "other"


def status_event(status: str) -> str | None:
    """Event type implied by a dated current-status cell, or None for a bare state word."""
    text = status.strip()
    if not text or text in _STATUS_ONLY:
        return None
    event_type = classify_event(text)
    return None if event_type == "other" else event_type


_EVENT_DATE = re.compile(r"(\d{4}[-./年]\d{1,2}[-./月]\d{1,2}日?|\d{8})")


def split_event(item: str) -> tuple[date, str]:
    """'2020-01-05 授权' or '授权(2020.01.05)' -> (date, text)."""
    m = _EVENT_DATE.search(item)
    if not m:
        raise ValueError(f"法律事件缺少日期: {item}")
    when = parse_date(m.group(1))
    text = (item[: m.start()] + " " + item[m.end() :]).strip(" :：()（）-")
    if when is None or not text:
        raise ValueError(f"法律事件无法解析: {item}")
    return when, text


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
