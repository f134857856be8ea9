"""The `hvp` command line, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import write_xlsx
from test_import import A, good_rows

HVP = str(Path(sys.executable).parent / "hvp")


def hvp(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([HVP, *args], capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(result.stdout + result.stderr)
    return result


@pytest.fixture
def db(tmp_path) -> str:
    return str(tmp_path / "cli.duckdb")


def test_import_then_status_in_chinese_and_english(tmp_path, db):
    export = write_xlsx(tmp_path / "export.xlsx", good_rows())
    out = hvp("--db", db, "import", str(export)).stdout
    assert "已导入 export.xlsx：读取 3 行，新增 3" in out
    again = hvp("--db", db, "import", str(export)).stdout
    assert "已于第 1 次导入中导入过" in again
    status = hvp("--db", db, "status", "CN" + A, "--as-of", "2024-01-01").stdout
    assert "有效" in status and "2035-03-02" in status  # term end, 20 years from filing
    english = hvp("--lang", "en", "--db", db, "status", A, "--as-of", "2024-01-01").stdout
    assert "valid" in english
    data = json.loads(hvp("--db", db, "status", A, "--as-of", "2024-01-01", "--format", "json").stdout)
    assert data["state"] == "valid" and data["years_maintained"] == 8 and data["next_due_year"] == 10


def test_rejected_import_exits_non_zero_and_writes_report(tmp_path, db):
    rows = good_rows()
    rows[2][1] = "2018-02-30"
    export = write_xlsx(tmp_path / "bad.xlsx", rows)
    report = tmp_path / "errors.xlsx"
    result = hvp("--db", db, "import", str(export), "--report", str(report), check=False)
    assert result.returncode == 1
    assert "整个文件未导入" in result.stderr and "申请日" in result.stderr
    sheet = load_workbook(report).active
    assert [c.value for c in sheet[2]][:3] == ["bad.xlsx", 3, "申请日"]


def test_template_command_writes_xlsx(tmp_path):
    out = tmp_path / "pledges.xlsx"
    hvp("template", "pledges", "--out", str(out))
    assert load_workbook(out).worksheets[0]["A1"].value == "质押登记号"
    assert hvp("template", "nonsense", check=False).returncode != 0


def test_status_of_unknown_and_invalid_numbers(tmp_path, db):
    hvp("--db", db, "import", str(write_xlsx(tmp_path / "e.xlsx", good_rows())))
    missing = hvp("--db", db, "status", "202310999999.9", check=False)
    assert missing.returncode != 0
    invalid = hvp("--db", db, "status", "12345", check=False)
    assert invalid.returncode == 2 and "申请号无效" in invalid.stderr


def test_regions_unresolved_lists_parties_without_a_town(tmp_path, db):
    rows = good_rows()
    rows[2][4] = "重庆市永川区凤凰湖工业园1号"
    hvp("--db", db, "import", str(write_xlsx(tmp_path / "e.xlsx", rows)))
    out = hvp("--db", db, "regions", "unresolved").stdout
    assert "张伟" in out and "凤凰湖工业园" in out
    assert "重庆甲科技有限公司" not in out  # resolved to 胜利路街道


def test_demo_small_world_end_to_end(tmp_path, db):
    demo = ("--db", db, "demo", "--out", str(tmp_path / "demo"), "--applications", "3000", "--comparison", "600")
    out = hvp(*demo).stdout
    assert "合成" in out and "每万人口发明专利拥有量" in out
    assert "新增 3000" in out
    imports = hvp("--db", db, "imports").stdout
    assert "patents_cnipa.csv" in imports and "template:pledges" in imports
    bulletins = sorted(p.suffix for p in (tmp_path / "demo").glob("演示通报-*"))
    assert bulletins == [".docx", ".html", ".pdf", ".xlsx"]
    users = hvp("--db", db, "users", "list").stdout
    assert all(f"demo-{role}" in users for role in ("admin", "analyst", "enterprise", "bank"))
    again = hvp(*demo).stdout
    assert "新增 3000" not in again  # importing the same files again changes nothing


def test_users_add_refuses_bad_accounts(tmp_path, db):
    ok = hvp("--db", db, "users", "add", "ana", "--role", "analyst", "--password", "long enough 1")
    assert "ana" in ok.stdout
    assert hvp("--db", db, "users", "add", "ana", "--role", "analyst", "--password", "long enough 1",
               check=False).returncode == 2
    assert hvp("--db", db, "users", "add", "ent", "--role", "enterprise", "--password", "long enough 1",
               check=False).returncode == 2  # needs --enterprise
    assert hvp("--db", db, "users", "add", "sam", "--role", "analyst", "--password", "short",
               check=False).returncode == 2


@pytest.mark.parametrize(("text", "accepted"), [("1985-03-31", False), ("1985-04-01", True), ("1985-04-02", True),
                                                ("2100-12-30", True), ("2100-12-31", True), ("2101-01-01", False)])
def test_as_of_lies_between_the_patent_law_and_2100(text, accepted):
    """The CLI takes the same as-of range as the web (1985-04-01, the Patent Law's entry into force, to 2100-12-31)."""
    import typer

    from hvpatent.cli.common import parse_as_of

    if accepted:
        assert parse_as_of(text).isoformat() == text
    else:
        with pytest.raises(typer.BadParameter, match=text):
            parse_as_of(text)


def test_as_of_out_of_range_is_a_message_not_a_traceback(db):
    from hvpatent.warehouse.store import Warehouse

    Warehouse(db).close()
    result = hvp("--db", db, "summary", "--as-of", "1984-12-31", check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "1985-04-01" in result.stderr
