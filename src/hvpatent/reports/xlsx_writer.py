"""The bulletin as an Excel workbook: every table on its own sheet, numbers kept as numbers, plus
the drill-down lists behind the figures (high-value list, new grants)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hvpatent.reports.bulletin import Bulletin
from hvpatent.reports.tables import write_xlsx


def _sheet_name(title: str, used: set[str]) -> str:
    name = title[:31]
    n = 2
    while name in used:
        name = f"{title[:28]}_{n}"
        n += 1
    used.add(name)
    return name


def write_bulletin_xlsx(bulletin: Bulletin, path: Path) -> Path:
    used: set[str] = set()
    sheets: dict[str, pd.DataFrame] = {}
    cover = [{"item": "标题", "content": bulletin.title}, {"item": "发布单位", "content": bulletin.issuer},
             {"item": "数据截至", "content": bulletin.as_of.isoformat()},
             {"item": "发布日期", "content": bulletin.issued_on.isoformat()}]
    if bulletin.notice:
        cover.insert(0, {"item": "注意", "content": bulletin.notice})
    cover += [{"item": sec.heading, "content": text} for sec in bulletin.sections for text in sec.paragraphs]
    sheets[_sheet_name("通报", used)] = pd.DataFrame(cover).rename(columns={"item": "项目", "content": "内容"})
    for sec in bulletin.sections:
        for table in sec.tables:
            frame = pd.DataFrame(table.rows, columns=[k for k, _ in table.columns])
            sheets[_sheet_name(table.title, used)] = frame.rename(columns=dict(table.columns))
    for title in ("高价值清单", "新授权发明专利", "预警清单", "有效商标清单", "本期新注册商标", "商标续展预警",
                  "培育候选清单"):
        sheets[_sheet_name(title + "(明细)", used)] = pd.DataFrame(bulletin.sheets.get(title, []))
    appendix = pd.DataFrame(bulletin.appendix, columns=["指标", "定义"])
    sheets[_sheet_name("指标说明", used)] = appendix
    return write_xlsx(sheets, path)
