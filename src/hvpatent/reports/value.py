"""Value assessments as a table a person can send: one row per patent, the score, the grade, the dimensions and
every indicator's raw input, normalised score and contribution as columns (xlsx or csv).  Text cells go through
reports/safe_cells.py, so no formula in a title or a name reaches an export live."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from hvpatent.reports.safe_cells import safe_row
from hvpatent.reports.tables import write_xlsx

# The fixed columns, in the order shown, with their headers.
COLUMNS: dict[str, tuple[str, str]] = {
    "rank": ("排名", "rank"), "app_no": ("申请号", "application no."), "title": ("名称", "title"),
    "patent_type": ("专利类型", "type"), "state": ("法律状态", "legal state"), "filing_date": ("申请日", "filed"),
    "field_name": ("技术领域", "technology field"), "filing_year": ("申请年", "filing year"),
    "cohort_basis": ("比较组", "cohort"), "cohort_size": ("比较组规模", "cohort size"),
    "applicant_name": ("第一申请人", "first applicant"), "town_code": ("镇街代码", "town code"),
    "scenario": ("评估场景", "scenario"), "score": ("价值得分", "score"), "grade": ("等级", "grade"),
    "legal": ("法律价值", "legal value"), "technical": ("技术价值", "technical value"),
    "economic": ("经济价值", "economic value"), "high_value": ("高价值发明专利", "high-value (CNIPA)"),
}


def value_table(rows: list[dict], lang: str = "zh") -> pd.DataFrame:
    """The rows of value_scores as a flat table with headers in the language; per indicator three columns."""
    from hvpatent.value import value_settings

    settings = value_settings()
    i = 0 if lang == "zh" else 1
    labels = {ind.key: (ind.label_zh, ind.label_en)[i] for ind in settings.indicators}
    field = "field_name" if lang == "zh" else "field_name_en"
    records = []
    for rank, r in enumerate(rows, 1):
        rec = {COLUMNS[c][i]: (rank if c == "rank" else r.get(field) if c == "field_name" else r.get(c))
               for c in COLUMNS}
        for p in r["parts"]:
            name = labels.get(p["indicator"], p["indicator"])
            rec[f"{name} {('原值', 'raw')[i]}"] = p["raw"]
            rec[f"{name} {('得分', 'normalised')[i]}"] = p["normalised"]
            rec[f"{name} {('贡献', 'contribution')[i]}"] = p["contribution"]
        records.append(rec)
    return pd.DataFrame(records, columns=None if records else [v[i] for v in COLUMNS.values()])


def write_value_xlsx(rows: list[dict], path: Path, lang: str = "zh") -> Path:
    return write_xlsx({("专利价值评估" if lang == "zh" else "Patent value"): value_table(rows, lang)}, path)


def write_value_csv(rows: list[dict], path: Path, lang: str = "zh") -> Path:
    frame = value_table(rows, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8-sig") as fh:  # the BOM lets Excel read the Chinese
        writer = csv.writer(fh)
        writer.writerow(safe_row(frame.columns))
        for row in frame.itertuples(index=False):
            writer.writerow(safe_row(["" if pd.isna(v) else v for v in row]))
    return path
