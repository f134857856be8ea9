"""The strategic emerging industry (SEI) ↔ IPC concordance: the shipped approximation and the
importer for an official table supplied by the user (`hvp reference import-sei`)."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

from hvpatent.ingest.readers import header_key, read_table
from hvpatent.model import RowError
from hvpatent.reference.classification import Rule, expand_ipc_cell, make_rule

HEADERS = {
    "code": ["战略性新兴产业分类代码", "分类代码", "代码", "产业代码", "sei_code", "code"],
    "name": ["战略性新兴产业分类名称", "分类名称", "名称", "产业名称", "sei_name", "name"],
    "ipc": ["国际专利分类", "国际专利分类号", "IPC", "IPC分类号", "ipc"],
    "exclude": ["排除", "排除IPC", "不包括", "exclude_ipc"],
    "keywords": ["关键词", "keywords"],
}


def builtin_rules() -> list[Rule]:
    text = resources.files(__package__).joinpath("sei_ipc.csv").read_text(encoding="utf-8")
    return [make_rule(r["sei_code"], r["sei_name"], r["ipc"], r["exclude_ipc"], r["keywords"])
            for r in csv.DictReader(text.splitlines())]


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
                        str(record.get(cols["keywords"], "") or "") if cols["keywords"] else None,
                    ))
                except ValueError as err:
                    errors.append(RowError(path.name, int(row), HEADERS["ipc"][0], cell, str(err)))
    if not rules and not errors:
        errors.append(RowError(path.name, 1, "", "", "没有可导入的规则"))
    return rules, errors
