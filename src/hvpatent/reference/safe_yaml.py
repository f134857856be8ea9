"""YAML for files a user hands the product (plan files, settings files): YAML's safe loader with bounds.

A small file can still cost a great deal to read: an anchor (``&L``) named by aliases (``*L``) makes PyYAML build
the anchored value once and hand the same object to every alias, and whoever walks the result (a plan's task x unit
table, a settings overlay) walks every copy — 372 KB of aliases came to 80 million (task, unit) pairs.  None of the
product's files needs anchors, so they are refused outright, as are nesting deeper than MAX_DEPTH (the composer
recurses) and text over a size cap.  The refusal is a ``yaml.YAMLError``, so callers that already turn bad YAML into
an error naming the file need nothing more.
"""

from __future__ import annotations

import yaml

MAX_BYTES = 1 << 20   # a plan or settings file is a few KiB
MAX_DEPTH = 40        # the product's files nest four or five levels


class YamlRefused(yaml.YAMLError):
    """YAML the bounded loader will not read: anchors or aliases, nesting too deep, or too much text."""


def _line(event: yaml.Event) -> str:
    mark = getattr(event, "start_mark", None)
    return f"第 {mark.line + 1} 行 / line {mark.line + 1}: " if mark is not None else ""


class BoundedLoader(yaml.SafeLoader):
    """yaml.SafeLoader refusing anchors, aliases and nesting deeper than MAX_DEPTH while it composes."""

    def __init__(self, stream: str | bytes) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise YamlRefused(f"{_line(event)}不接受 YAML 锚点与别名（& 与 *），请写出每个值"
                              " / YAML anchors and aliases (& and *) are not accepted: write each value out")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise YamlRefused(f"{_line(event)}嵌套超过 {MAX_DEPTH} 层 / nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def safe_load(text: str | bytes, max_bytes: int = MAX_BYTES) -> object:
    """The YAML document in ``text``, as yaml.safe_load reads it, or YamlRefused (a yaml.YAMLError) for anchors,
    aliases, deep nesting or more than ``max_bytes`` bytes.  Other errors are yaml.safe_load's own: yaml.YAMLError
    for bad YAML, ValueError for a value YAML cannot read (an impossible unquoted date such as 2024-13-01)."""
    size = len(text.encode("utf-8")) if isinstance(text, str) else len(text)
    if size > max_bytes:
        raise YamlRefused(f"超过 {max_bytes} 字节 / over {max_bytes} bytes")
    loader = BoundedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
