"""Tokens of a patent for the breakdown classifier: jieba words of the title and abstract, and IPC tokens.

jieba (精确模式) is initialised once, lazily and quietly (it logs its dictionary loading to stderr).  Words of one
character, numbers and punctuation are dropped, and so are STOP_WORDS: the words every Chinese patent title or
abstract carries whatever its technology (一种…及其制备方法, 本发明公开了…), which would only add noise.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

# Patent boilerplate: the form of a claim or title, not its technology.  方法/装置/系统/设备 name the claim's
# category (a method, an apparatus) that every branch has; 本发明/公开/涉及/提供 open every abstract.
STOP_WORDS = frozenset({
    "一种", "及其", "方法", "装置", "系统", "设备", "制备", "制备方法", "用于", "以及", "包括", "所述", "其中",
    "本发明", "本实用新型", "实用新型", "发明", "公开", "公开了", "涉及", "提供", "提供了", "一个", "具有", "通过",
    "进行", "使用", "采用", "实现", "能够", "可以", "有效", "结构", "技术", "领域", "应用", "基于", "一体", "相应",
    "之间", "上述", "该", "和", "与", "及", "的", "了", "在", "是", "为", "对", "将", "由", "等", "且", "或",
})

_WORD = re.compile(r"[\u4e00-\u9fff]{2,}|[A-Za-z][A-Za-z0-9\-]+")
_lock = threading.Lock()
_jieba = None


def _segmenter():
    global _jieba
    with _lock:
        if _jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            logging.getLogger("jieba").setLevel(logging.WARNING)
            jieba.initialize()
            _jieba = jieba
    return _jieba


def words(text: str | None) -> list[str]:
    """jieba words of a text: two Chinese characters or more, or Latin words (LiFePO4, PWM); no stop words."""
    if not text:
        return []
    out = []
    for word in _segmenter().lcut(text):
        word = word.strip()
        if word and word not in STOP_WORDS and _WORD.fullmatch(word):
            out.append(word.lower())
    return out


def ipc_tokens(codes: Iterable[str | None]) -> list[str]:
    """Subclass, main group and full code of each IPC code: H01M10/052 → ipc:H01M, ipc:H01M10, ipc:H01M10/052."""
    out: list[str] = []
    for code in codes:
        code = (code or "").replace(" ", "").upper()
        if len(code) < 4:
            continue
        out.append("ipc:" + code[:4])
        group = code.split("/")[0]
        if len(group) > 4:
            out.append("ipc:" + group)
        if "/" in code:
            out.append("ipc:" + code)
    return out


def tokens(title: str | None, abstract: str | None, ipcs: Iterable[str | None] = ()) -> list[str]:
    """The classifier's tokens of one patent: words of the title (counted twice: a title names the technology),
    of the abstract, and the IPC tokens."""
    title_words = words(title)
    return title_words + title_words + words(abstract) + ipc_tokens(ipcs)
