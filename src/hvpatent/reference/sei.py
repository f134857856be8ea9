"""The strategic emerging industry (SEI) ↔ IPC concordance: the shipped fact table (CNIPA's 2021 table with an
IPC concordance to the current edition, built by scripts/build_sei_table.py) and the importer for an official
table supplied by the user (`hvp reference import-sei`)."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

from hvpatent.ingest.readers import header_key, read_table
from hvpatent.model import RowError
from hvpatent.reference.classification import Rule, expand_ipc_cell, make_rule, pattern_prefix

HEADERS = {
    "code": ["战略性新兴产业分类代码", "分类代码", "代码", "产业代码", "sei_code", "code"],
    "name": ["战略性新兴产业分类名称", "分类名称", "名称", "产业名称", "sei_name", "name"],
    "ipc": ["国际专利分类", "国际专利分类号", "IPC", "IPC分类号", "ipc"],
    "exclude": ["排除", "排除IPC", "不包括", "exclude_ipc"],
    "keywords": ["关键词", "关键词概述", "keywords"],
}


# The `source` of the shipped table in a warehouse's sei_rules; a warehouse holding an older built-in table (any
# source starting with BUILTIN_PREFIX) is upgraded when opened, a table the user imported is never touched.
BUILTIN_PREFIX = "hvpatent built-in"
BUILTIN_SOURCE = (f"{BUILTIN_PREFIX}: CNIPA 国知办函规字〔2021〕121号 SEI–IPC table, IPC concordance"
                  " (sei_ipc_2021.csv v1)")

# The official table's 关键词 cells describe the block's products (关键词概述), except those worded as a keyword
# condition (「…相关关键词」): there the terms the cell names must occur in title or abstract (docs/indicators.md).
KEYWORD_CONDITIONS: dict[str, tuple[str, ...]] = {
    "量子计算、量子芯片、量子测控等量子计算机相关关键词": ("量子计算", "量子芯片", "量子测控"),
    "平行链、中继链、以太币等区块链相关关键词": ("平行链", "中继链", "以太币", "区块链"),
    "人脑、杏仁核、癫痫等脑部结构和脑部疾病关键词": ("人脑", "杏仁核", "癫痫", "脑部"),
    "控制系统相关关键词": ("控制系统",),
    "稀土相关关键词": ("稀土",),
    "纤维相关关键词": ("纤维",),
    "汽车相关关键词": ("汽车", "车辆"),
    "产品相关关键词": (),  # names no term: descriptive
}


def keyword_condition(cell: str | None) -> tuple[str, ...]:
    """The terms a 关键词 cell makes a condition of; none for a description."""
    text = str(cell or "").strip().rstrip("。")
    if text in KEYWORD_CONDITIONS:
        return KEYWORD_CONDITIONS[text]
    if not text.endswith("关键词"):
        return ()
    body = text.removesuffix("关键词")
    examples, _, head = body.rpartition("等")
    terms = [t for t in examples.split("、") if t] + [head.removesuffix("相关")]
    return tuple(t.strip() for t in terms if t.strip())


def builtin_rules() -> list[Rule]:
    """The shipped fact table (src/hvpatent/reference/sei_ipc_2021.csv) as rules."""
    text = resources.files(__package__).joinpath("sei_ipc_2021.csv").read_text(encoding="utf-8")
    return [_fact_rule(r) for r in csv.DictReader(text.splitlines())]


def _fact_rule(row: dict) -> Rule:
    excludes = [e for e in row["exclusions"].split(";") if e]
    return Rule(row["sei_code"], row["sei_name"], pattern_prefix(row["ipc"], row["subtree"] == "1"),
                tuple(pattern_prefix(e.rstrip("*"), e.endswith("*")) for e in excludes),
                tuple(t for t in row["keyword_condition"].split(";") if t))


def read_sei_table(path: Path) -> tuple[list[Rule], list[RowError]]:
    """Rules from an official-style table (xlsx/xls/csv); every bad cell is reported."""
    known = {header_key(h) for hs in HEADERS.values() for h in hs}
    rules: list[Rule] = []
    errors: list[RowError] = []
    for frame in read_table(path, known):
        cols = {}
        for field, aliases in HEADERS.items():
            cols[field] = next((header_key(a) for a in aliases if header_key(a) in frame.columns), None)
        missing = [HEADERS[f][0] for f in ("code", "name", "ipc") if cols[f] is None]
        if missing:
            errors.append(RowError(path.name, 1, "header", ", ".join(frame.columns),
                                   f"缺少必需列: {'、'.join(missing)}"))
            return [], errors
        last_code, last_name = "", ""
        for row, record in zip(frame.index, frame.to_dict("records"), strict=True):
            # Official tables merge the category cells over their IPC rows: carry them down.
            code = str(record[cols["code"]]).strip() or last_code
            name = str(record[cols["name"]]).strip() or last_name
            last_code, last_name = code, name
            cells = expand_ipc_cell(str(record[cols["ipc"]]))
            if not cells:
                errors.append(RowError(path.name, int(row), HEADERS["ipc"][0], "", "IPC为空"))
                continue
            for cell in cells:
                try:
                    rules.append(make_rule(
                        code, name, cell,
                        str(record.get(cols["exclude"], "") or "") if cols["exclude"] else None,
                        list(keyword_condition(record.get(cols["keywords"]))) if cols["keywords"] else None,
                        official=True,
                    ))
                except ValueError as err:
                    errors.append(RowError(path.name, int(row), HEADERS["ipc"][0], cell, str(err)))
    if not rules and not errors:
        errors.append(RowError(path.name, 1, "", "", "没有可导入的规则"))
    return rules, errors
