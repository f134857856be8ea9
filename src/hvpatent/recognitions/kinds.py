"""The words of enterprise recognitions: kinds and levels with their Chinese and English labels, and the
words bureaus' lists use for them (docs/recognitions.md)."""

from __future__ import annotations

from hvpatent.model import RECOGNITION_KINDS, RECOGNITION_LEVELS

KINDS: dict[str, tuple[str, str]] = {
    "ip_advantage": ("知识产权优势企业", "IP advantage enterprise"),
    "ip_demonstration": ("知识产权示范企业", "IP demonstration enterprise"),
    "ip_standard": ("知识产权管理体系认证（贯标，GB/T 29490）",
                    "IP management system certification (GB/T 29490)"),
    "high_tech": ("高新技术企业", "high-tech enterprise"),
}
LEVELS: dict[str, tuple[str, str]] = {
    "national": ("国家级", "national"),
    "provincial": ("省级", "provincial"),
    "municipal": ("市级", "municipal"),
    "district": ("区级", "district"),
    "none": ("—", "—"),
}
assert tuple(KINDS) == RECOGNITION_KINDS and tuple(LEVELS) == RECOGNITION_LEVELS

# Words of the 认定类型 column, longest first where one contains another (示范 before the bare 优势/示范 words).
KIND_WORDS: tuple[tuple[str, str], ...] = (
    ("知识产权优势示范企业", ""),  # ambiguous: the list must say which
    ("知识产权示范企业", "ip_demonstration"), ("示范企业", "ip_demonstration"),
    ("知识产权优势企业", "ip_advantage"), ("优势企业", "ip_advantage"),
    ("知识产权管理体系认证", "ip_standard"), ("知识产权合规管理体系", "ip_standard"),
    ("企业知识产权管理规范", "ip_standard"), ("贯标达标企业", "ip_standard"), ("贯标", "ip_standard"),
    ("29490", "ip_standard"),
    ("高新技术企业", "high_tech"), ("高企", "high_tech"),
)
LEVEL_WORDS: tuple[tuple[str, str], ...] = (
    ("国家级", "national"), ("国家", "national"), ("省级", "provincial"), ("省", "provincial"),
    ("市级", "municipal"), ("重庆市", "municipal"), ("市", "municipal"),
    ("区县级", "district"), ("区级", "district"), ("县级", "district"), ("区", "district"), ("县", "district"),
    ("无", "none"), ("不分级", "none"),
)


def kind_of(text: str) -> str:
    """The kind a 认定类型 cell names (a key itself, or Chinese words); ValueError naming the accepted words."""
    word = text.strip()
    if word in KINDS:
        return word
    compact = word.replace(" ", "").replace("/", "").upper().replace("GBT", "")
    for pattern, kind in KIND_WORDS:
        if pattern in compact:
            if not kind:
                raise ValueError("「优势示范企业」未说明是优势企业还是示范企业，请分开填写 / "
                                 "say advantage or demonstration")
            return kind
    raise ValueError("认定类型应为 知识产权优势企业、知识产权示范企业、贯标（GB/T 29490 认证）或 高新技术企业 / "
                     f"unknown kind; keys: {', '.join(KINDS)}")


def level_of(text: str) -> str:
    """The level a 级别 cell names (a key itself, or Chinese words); ValueError naming the accepted words."""
    word = text.strip()
    if word in LEVELS:
        return word
    for pattern, level in LEVEL_WORDS:
        if word.startswith(pattern):
            return level
    raise ValueError(f"级别应为 国家级、省级、市级、区级 / unknown level; keys: {', '.join(LEVELS)}")


def kind_label(kind: str, lang: str = "zh") -> str:
    labels = KINDS.get(kind)
    return labels[0 if lang == "zh" else 1] if labels else kind


def level_label(level: str, lang: str = "zh") -> str:
    labels = LEVELS.get(level)
    return labels[0 if lang == "zh" else 1] if labels else level
