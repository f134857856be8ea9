"""The technology breakdowns (技术分解): one tree of branches per plan industry, from breakdowns.yaml.

A branch (技术分支) is defined by IPC rules, optionally with keywords that the title or abstract must contain
(reference.classification's rule syntax, as indicators/industries.yaml).  A file of the same name in the user
config folder (`hvp config path`) replaces the built-in one; a bad file raises TreeError naming the file, the
industry, the branch and the field.  docs/navigation-trees.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from hvpatent.reference.classification import Rule, ipc_prefix
from hvpatent.reference.userconfig import config_file

FILE_NAME = "breakdowns.yaml"
MAX_LEVEL = 3


@dataclass(frozen=True)
class Branch:
    code: str  # dotted, industry first: "new_energy.battery", "new_energy.battery.cathode"
    name: str  # Chinese name (锂电池正极材料)
    name_en: str
    parent: str | None  # None for level 1
    level: int  # 1 or 2 (3 allowed)
    rules: tuple[Rule, ...]  # code = branch code: IPC + optional keywords


@dataclass(frozen=True)
class Tree:
    industry: str  # the plan's industry code (indicators/industries.yaml)
    name: str
    sources: tuple[str, ...]  # where the breakdown comes from (cited)
    branches: tuple[Branch, ...]  # parents before children

    def get(self, code: str) -> Branch:
        for branch in self.branches:
            if branch.code == code:
                return branch
        raise KeyError(code)

    def children(self, code: str | None) -> list[Branch]:
        """The branches directly under ``code``; None: the level-1 branches."""
        return [b for b in self.branches if b.parent == code]

    def ancestors(self, code: str) -> list[str]:
        """The codes above ``code``, nearest first, not including it."""
        result = []
        parent = self.get(code).parent
        while parent is not None:
            result.append(parent)
            parent = self.get(parent).parent
        return result

    def descendants(self, code: str) -> list[str]:
        """The codes below ``code`` (any depth), in tree order, not including it."""
        return [b.code for b in self.branches if code in self.ancestors(b.code)]

    def codes(self) -> list[str]:
        return [b.code for b in self.branches]


class TreeError(ValueError):
    """A bad breakdown file: the message names the file, the industry, the branch and the field."""


def _where(source: str, industry: object = None, branch: object = None, field: str | None = None) -> str:
    parts = [source]
    if industry is not None:
        parts.append(f"industry {industry}")
    if branch is not None:
        parts.append(f"branch {branch}")
    if field is not None:
        parts.append(f"field {field}")
    return ": ".join(parts)


def _text(value: object, where: str, *, required: bool = True) -> str:
    if value is None or str(value).strip() == "":
        if required:
            raise TreeError(f"{where}: missing (缺少该字段)")
        return ""
    if not isinstance(value, str | int | float):
        raise TreeError(f"{where}: text is needed, not {value!r} (应为文字)")
    return str(value).strip()


def _words(value: object, where: str) -> list[str]:
    """A YAML list (or one string) of IPC patterns or keywords."""
    if value is None:
        return []
    if isinstance(value, str | int):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise TreeError(f"{where}: a list of texts is needed, not {value!r} (应为文字列表)")
    return [str(v).strip() for v in value if str(v).strip()]


def _rules(code: str, name: str, items: object, where: str) -> tuple[Rule, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise TreeError(f"{where}: a list of rules {{ipc: [...], keywords: [...], exclude: [...]}} is needed")
    rules = []
    for i, item in enumerate(items, 1):
        at = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise TreeError(f"{at}: a rule {{ipc: [...], keywords: [...], exclude: [...]}} is needed, not {item!r}")
        unknown = set(item) - {"ipc", "keywords", "exclude"}
        if unknown:
            raise TreeError(f"{at}: unknown key {', '.join(sorted(map(str, unknown)))} (ipc, keywords, exclude)")
        ipcs = _words(item.get("ipc"), f"{at}.ipc")
        if not ipcs:
            raise TreeError(f"{at}.ipc: at least one IPC pattern is needed (至少一个IPC分类号)")
        keywords = _words(item.get("keywords"), f"{at}.keywords")
        excludes = _words(item.get("exclude"), f"{at}.exclude")
        for field, patterns in (("ipc", ipcs), ("exclude", excludes)):
            for pattern in patterns:
                try:
                    ipc_prefix(pattern)
                except ValueError as err:
                    raise TreeError(f"{at}.{field}: {err} (not a valid IPC pattern)") from err
        # make_rule's result, built here so that a pattern written with a space ('H01M 10/00') stays one pattern
        rules += [Rule(code, name, ipc_prefix(ipc), tuple(ipc_prefix(p) for p in excludes), tuple(keywords))
                  for ipc in ipcs]
    return tuple(rules)


def parse(data: object, source: str = FILE_NAME) -> dict[str, Tree]:
    """The trees of a breakdown file's contents, validated; ``source`` names the file in errors."""
    from hvpatent.indicators.config import industries

    known = [i.code for i in industries()]
    if not isinstance(data, dict) or not isinstance(data.get("breakdowns"), list):
        raise TreeError(f"{_where(source, field='breakdowns')}: a list of trees is needed (应为技术分解列表)")
    trees: dict[str, Tree] = {}
    for n, item in enumerate(data["breakdowns"], 1):
        if not isinstance(item, dict):
            raise TreeError(f"{_where(source, f'#{n}')}: a mapping is needed")
        industry = _text(item.get("industry"), _where(source, f"#{n}", field="industry"))
        if industry not in known:
            raise TreeError(f"{_where(source, industry, field='industry')}: unknown industry "
                            f"(未知产业; known: {', '.join(known)})")
        if industry in trees:
            raise TreeError(f"{_where(source, industry, field='industry')}: the industry has two trees (产业重复)")
        name = _text(item.get("name"), _where(source, industry, field="name"))
        sources = tuple(_words(item.get("sources"), _where(source, industry, field="sources")))
        raw = item.get("branches")
        if not isinstance(raw, list) or not raw:
            raise TreeError(f"{_where(source, industry, field='branches')}: a list of branches is needed")
        branches: list[Branch] = []
        seen: dict[str, Branch] = {}
        for m, spec in enumerate(raw, 1):
            if not isinstance(spec, dict):
                raise TreeError(f"{_where(source, industry, f'#{m}')}: a mapping is needed")
            code = _text(spec.get("code"), _where(source, industry, f"#{m}", "code"))
            at = lambda field, c=code, i=industry: _where(source, i, c, field)  # noqa: E731
            if not code.startswith(industry + ".") or "" in code.split("."):
                raise TreeError(f"{at('code')}: a branch code is dotted and starts with {industry}. "
                                f"(分支编码应以“{industry}.”开头)")
            if code in seen:
                raise TreeError(f"{at('code')}: duplicate branch code (分支编码重复)")
            implied = code.rsplit(".", 1)[0]
            implied = None if implied == industry else implied
            parent = spec.get("parent", implied)
            parent = None if parent in (None, "") else str(parent).strip()
            if parent != implied:
                raise TreeError(f"{at('parent')}: {parent} is not the code's prefix ({implied or 'none'}) "
                                f"(分支编码应以上级分支编码为前缀)")
            if parent is not None and parent not in seen:
                raise TreeError(f"{at('parent')}: the parent {parent} must be listed before its children "
                                f"(上级分支不存在或未先列出)")
            level = 1 if parent is None else seen[parent].level + 1
            if level > MAX_LEVEL:
                raise TreeError(f"{at('code')}: at most {MAX_LEVEL} levels (最多{MAX_LEVEL}级)")
            bname = _text(spec.get("name"), at("name"))
            name_en = _text(spec.get("name_en"), at("name_en"))
            unknown = set(spec) - {"code", "parent", "name", "name_en", "rules", "note"}
            if unknown:
                raise TreeError(f"{at(sorted(map(str, unknown))[0])}: unknown field "
                                f"(code, parent, name, name_en, rules, note)")
            rules = _rules(code, bname, spec.get("rules"), at("rules"))
            branch = Branch(code, bname, name_en, parent, level, rules)
            seen[code] = branch
            branches.append(branch)
        for branch in branches:
            if not branch.rules and not any(b.parent == branch.code for b in branches):
                raise TreeError(f"{_where(source, industry, branch.code, 'rules')}: "
                                f"a branch needs rules or sub-branches (分支需有规则或下级分支)")
        trees[industry] = Tree(industry, name, sources, tuple(branches))
    missing = [code for code in known if code not in trees]
    if missing:
        raise TreeError(f"{_where(source, field='breakdowns')}: no tree for {', '.join(missing)} (缺少产业的技术分解)")
    return trees


def config_path() -> Path:
    """The breakdown file in use: the user's copy when there is one, else the built-in one."""
    return Path(str(config_file(__package__, FILE_NAME)))


def load(path: Path | str) -> dict[str, Tree]:
    """The trees of a breakdown file (cached by path; ``clear_cache`` forgets)."""
    return _load(str(path))


@cache
def _load(path: str) -> dict[str, Tree]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise TreeError(f"{path}: cannot read the technology breakdowns (无法读取技术分解文件): {err}") from err
    return parse(data, path)


def clear_cache() -> None:
    _load.cache_clear()


def breakdowns() -> dict[str, Tree]:
    """All the plan's industries' trees, by industry code, from breakdowns.yaml or the user's copy."""
    return load(config_path())


def tree(industry: str) -> Tree:
    """One industry's tree; KeyError for an unknown industry."""
    return breakdowns()[industry]
