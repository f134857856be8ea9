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
    assert hvp("--db", db, "users", "add", "bk", "--role", "bank", "--password", "long enough 1",
               check=False).returncode == 2  # needs --bank
    assert "bk" in hvp("--db", db, "users", "add", "bk", "--role", "bank", "--bank", "重庆银行（永川支行）",
                       "--password", "long enough 1").stdout
    from hvpatent.ingest.fields import normalize_name
    from hvpatent.warehouse.accounts import get_user
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(db) as wh:  # bound to its bank, by the normalised name the registry's pledgee_norm uses
        assert get_user(wh.con, "bk").bank == normalize_name("重庆银行（永川支行）")
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


# -- an output file that cannot be written, the industry by name, a tiny demo (issue 17) -------------------------


@pytest.fixture(scope="module")
def world_db(tmp_path_factory) -> str:
    """The world.py district (a new_energy patent on the battery branch among others), built once."""
    import world
    from hvpatent.warehouse.store import Warehouse

    db = tmp_path_factory.mktemp("cli-world") / "w.duckdb"
    with Warehouse(db) as wh:
        world.build(wh)
    return str(db)


def _invoke(*args: str):
    from typer.testing import CliRunner

    from hvpatent.cli.main import app

    return CliRunner().invoke(app, list(args))


OUTPUTS = [("navigate", "new_energy", "--format", "json"), ("navigate", "new_energy", "--format", "xlsx"),
           ("navigate", "new_energy", "--report", "docx"), ("projects", "list", "--format", "xlsx"),
           ("projects", "list", "--format", "json"), ("breakdown", "review", "new_energy", "--format", "json")]


@pytest.mark.parametrize("command", OUTPUTS, ids=lambda c: "-".join(c[:1] + c[-1:]))
@pytest.mark.parametrize("where", ["a folder", "under a file"])
def test_an_unwritable_out_exits_2_naming_it(world_db, tmp_path, command, where):
    """--out naming a folder (refused before any work), or a path whose parent is a plain file (the writer's
    OSError): exit 2 with the path in the message, no traceback, nothing written."""
    (tmp_path / "plain").write_text("x")
    (tmp_path / "folder").mkdir()
    out = tmp_path / "folder" if where == "a folder" else tmp_path / "plain" / "out.file"
    result = _invoke("--lang", "en", "--db", world_db, *command, "--out", str(out))
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    assert f"cannot write {out}" in "".join(result.output.split("\n")), result.output
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["folder", "plain"]   # nothing written


def test_write_json_and_emit_name_the_path_they_cannot_write(tmp_path):
    """cli/common's one place: write_json and emit (json, xlsx) to a folder, or under a plain file → exit 2."""
    import typer

    from hvpatent.cli.common import Fmt, emit, write_json

    (tmp_path / "plain").write_text("x")
    for call in (lambda p: write_json({"a": 1}, p), lambda p: emit({"t": [{"a": 1}]}, Fmt.json, p),
                 lambda p: emit({"t": [{"a": 1}]}, Fmt.xlsx, p)):
        for out in (tmp_path, tmp_path / "plain" / "x.out"):
            with pytest.raises(typer.Exit) as caught:
                call(out)
            assert caught.value.exit_code == 2


def test_breakdown_takes_the_industry_by_chinese_name_as_navigate_does(world_db):
    by_code = _invoke("--lang", "en", "--db", world_db, "breakdown", "show", "new_energy")
    by_name = _invoke("--lang", "en", "--db", world_db, "breakdown", "show", "新能源")
    assert by_code.exit_code == 0 and by_name.output == by_code.output
    review = _invoke("--lang", "en", "--db", world_db, "breakdown", "review", "新能源", "--format", "json")
    assert review.exit_code == 0 and json.loads(review.output) == []   # nothing trained in this world
    unknown = _invoke("--lang", "en", "--db", world_db, "breakdown", "show", "火星")
    assert unknown.exit_code == 2 and "unknown industry '火星'" in unknown.output and "new_energy（新能源）" in (
        "".join(unknown.output.split()))


def test_breakdown_evaluate_names_a_file_that_is_not_utf8(tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_bytes("label_id,industry,title,abstract,ipc,branches,note\n1,new_energy,电池,,H01M,,\n"
                       .encode("gb18030"))
    result = _invoke("--lang", "en", "breakdown", "evaluate", str(labels))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{labels}: not a UTF-8 CSV" in "".join(result.output.split("\n")), result.output


def test_a_tiny_demo_imports_without_an_empty_families_file(tmp_path):
    """300 applications file no family abroad (seed 2022): no families_google.jsonl is written (an empty one was
    refused by the importer: "the file is empty"), every written file imports, and the warehouse is still known
    for the demo world (its trademark records tell it)."""
    from hvpatent.cli.navigate import data_facts
    from hvpatent.demo import generate_demo
    from hvpatent.ingest import import_file
    from hvpatent.warehouse.store import Warehouse

    files = generate_demo(tmp_path / "demo", applications=300, comparison=0)
    assert not (tmp_path / "demo" / "families_google.jsonl").exists()
    assert all(p.stat().st_size for p in files)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        results = [import_file(wh, p)[0] for p in files]   # a FileError (empty file) before the fix
        assert not any(r.already_imported for r in results)
        assert data_facts(wh)[1] is True
        assert wh.con.sql("SELECT count(*) FROM applications").fetchall()[0][0] == 300
