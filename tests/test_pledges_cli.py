"""`hvp pledges stats|list|show` (in-process, through typer's runner: one process for the module), on the
warehouse of tests/test_finance_web.py (world.py with the registry contracts C1, C2, C3 beside the legacy P1, P2;
the figures are worked out in its docstring)."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import world
from test_finance_web import add_contracts
from webserver import world_db


def hvp(*args: str, check: bool = True) -> SimpleNamespace:
    """``hvp args`` in this process: returncode, stdout and stderr as a subprocess would give them."""
    from hvpatent.cli.main import app

    result = CliRunner().invoke(app, ["--lang", "zh", *args] if "--lang" not in args else list(args))
    if check and result.exit_code != 0:
        raise AssertionError(f"{result.exit_code}: {result.output}{result.stderr}{result.exception!r}")
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)

YEAR = ("--from", "2024-01-01", "--to", "2024-12-31", "--region", "500118")


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    path = world_db(tmp_path_factory.mktemp("pledges-cli"))
    add_contracts(path)
    return str(path)


def test_stats_json_and_list_of_a_figure(db):
    stats = json.loads(hvp("--db", db, "pledges", "stats", *YEAR, "--by", "industry", "--format", "json").stdout)
    groups = {g["group"]: g["contracts"] for g in stats["groups"]}
    # C1 (new_energy, auto_moto), P2 (electronics), C2 (consumer_goods, smart_home_materials): 5 rows of 1
    assert groups == {"new_energy": 1, "auto_moto": 1, "electronics": 1, "consumer_goods": 1,
                      "smart_home_materials": 1}
    assert stats["total"]["contracts"] == 4 and stats["total"]["amount_yuan"] == 17_000_000  # never the sum, 5
    listed = json.loads(hvp("--db", db, "pledges", "list", *YEAR, "--by", "industry", "--group", "consumer_goods",
                            "--format", "json").stdout)
    assert [r["contract_no"] for r in listed] == ["C2"]
    everything = json.loads(hvp("--db", db, "pledges", "list", *YEAR, "--format", "json").stdout)
    assert [r["contract_no"] for r in everything] == ["C1", "P2", "C2", "C3"]
    trademarks = json.loads(hvp("--db", db, "pledges", "stats", *YEAR, "--kind", "trademark", "--format",
                                "json").stdout)
    assert [(g["group"], g["contracts"]) for g in trademarks["groups"]] == [("2024-09", 1)]  # C3 only


def test_stats_table_in_both_languages_and_xlsx(db, tmp_path):
    zh = hvp("--db", db, "pledges", "stats", *YEAR, "--by", "bank").stdout
    assert "质押合同" in zh and "合计" in zh and world.BANK in zh
    en = hvp("--db", db, "--lang", "en", "pledges", "stats", *YEAR, "--by", "bank").stdout
    assert "contracts" in en and "total" in en
    out = tmp_path / "stats.xlsx"
    hvp("--db", db, "pledges", "stats", *YEAR, "--by", "period", "--format", "xlsx", "--out", str(out))
    sheet = load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "分组" and [r[0] for r in rows[1:]] == ["2024-04", "2024-05", "2024-08", "2024-09", "total"]
    assert rows[-1][2] == 4  # the total's contracts
    csv_out = hvp("--db", db, "pledges", "list", *YEAR, "--format", "csv").stdout.splitlines()
    assert csv_out[0].startswith("质押登记号,") and len(csv_out) == 1 + 4


def test_show_and_refusals(db, tmp_path):
    shown = json.loads(hvp("--db", db, "pledges", "show", "C1", "--as-of", "2024-12-31", "--format", "json").stdout)
    assert shown["amount_yuan"] == 6_000_000 and {i["item_no"] for i in shown["items"]} == {world.A1, world.A7}
    table = hvp("--db", db, "--lang", "en", "pledges", "show", "C1", "--as-of", "2024-12-31").stdout
    assert "pledged items" in table and world.A7 in table
    unknown = hvp("--db", db, "pledges", "show", "NOPE", "--as-of", "2024-12-31", check=False)
    assert unknown.returncode == 1 and "NOPE" in unknown.stderr and "Traceback" not in unknown.stderr
    bad = hvp("--db", db, "pledges", "stats", *YEAR, "--by", "month", check=False)
    assert bad.returncode == 2 and "--by" in bad.stderr
    folder = hvp("--db", db, "pledges", "stats", *YEAR, "--format", "xlsx", "--out", str(tmp_path), check=False)
    assert folder.returncode == 2 and str(tmp_path) in folder.stderr and "Traceback" not in folder.stderr
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        denied = hvp("--db", db, "pledges", "list", *YEAR, "--format", "csv", "--out", str(locked / "x.csv"),
                     check=False)
        assert denied.returncode == 2 and "x.csv" in denied.stderr


def test_listed_registered_amounts_sum_to_the_statistics(db):
    """C1 was registered at 5,000,000 and changed to 6,000,000 on 2024-06-01: the list's 登记金额 column holds what
    the statistics sum (5 + 8 + 3 + 1 = 17,000,000), the amount on --to (6,000,000 for C1) stands beside it under
    its own heading."""
    import csv
    import io

    total = json.loads(hvp("--db", db, "pledges", "stats", *YEAR, "--format", "json").stdout)["total"]["amount_yuan"]
    rows = list(csv.DictReader(io.StringIO(hvp("--db", db, "pledges", "list", *YEAR, "--format", "csv").stdout)))
    assert sum(float(r["登记金额（元）"]) for r in rows) == total == 17_000_000
    c1 = next(r for r in rows if r["质押登记号"] == "C1")
    assert float(c1["登记金额（元）"]) == 5_000_000 and float(c1["2024-12-31 金额（元）"]) == 6_000_000
    en = hvp("--db", db, "--lang", "en", "pledges", "list", *YEAR, "--format", "csv").stdout.splitlines()[0]
    assert "registered amount (CNY)" in en and "amount on 2024-12-31 (CNY)" in en


@pytest.mark.parametrize("typed", ["c1", " C 1 ", "Ｃ１"])
def test_show_finds_the_contract_however_typed(db, typed):
    shown = json.loads(hvp("--db", db, "pledges", "show", typed, "--as-of", "2024-12-31", "--format", "json").stdout)
    assert shown["contract_no"] == "C1"
