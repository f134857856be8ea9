from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from hvpatent.warehouse.store import Warehouse


@pytest.fixture
def warehouse(tmp_path: Path):
    wh = Warehouse(tmp_path / "test.duckdb")
    yield wh
    wh.close()


def write_xlsx(path: Path, rows: list[list], title: str | None = None) -> Path:
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def table_counts(wh: Warehouse) -> dict[str, int]:
    from hvpatent.warehouse.schema import TABLES

    return {t: wh.count(t) for t in TABLES}
