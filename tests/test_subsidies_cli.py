"""`hvp subsidies …` (cli/subsidies.py, docs/subsidies.md "Command line"): the policy, eligible with its trace and
totals, the ledger's flow apply → review → approve/reject → pay (xlsx) → clawback, refusals without a traceback, and
the output of budget and whatif.

The district is world.py; the policy is the small one below (not the shipped example, whose amounts may change), so
every amount is worked by hand:
* A10 (重庆乙食品有限公司, 来苏镇), invention granted 2024-07-07: invention_grant 3,000.
* A5 (重庆丙学院, 胜利路街道), pledged for 8,000,000 on 2024-05-01 (a high pledge): hv_pledge_high 7,000, cut to
  5,000 by the item's cap per payee and year.
* A2 (重庆甲…, 胜利路街道), invention granted 2024-02-01, year-6 annuity due 2024-03-01 unpaid: in force while in
  grace, up to 2024-09-01 (six months); lapsed from 2024-09-02, so not eligible on the period's last day.
"""

from __future__ import annotations

import getpass
import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

import world

POLICY = """\
versions:
  - version: "T1"
    name_zh: 测试政策
    name_en: test policy
    effective_from: 2024-01-01
    effective_to: null
    region: "500118"
    source: test
    items:
      - {id: invention_grant, kind: invention_grant, name_zh: 发明授权, name_en: invention grant, amount_yuan: 3000,
         conditions: {patent_types: [invention], applicant: first}}
      - {id: hv_pledge_high, kind: high_value_criterion, criterion: pledge_high, name_zh: 高额质押,
         name_en: pledged high, amount_yuan: 7000, cap_per_applicant_year_yuan: 5000,
         conditions: {patent_types: [invention]}}
"""
K10 = f"invention_grant|{world.A10}|2024"
K5 = f"hv_pledge_high|{world.A5}|2024"


def hvp(*args: str, lang: str = "en"):
    from typer.testing import CliRunner

    from hvpatent.cli.main import app

    return CliRunner().invoke(app, ["--lang", lang, *args])


def refused(result, words: str) -> bool:
    """Exit 2 with the words in the output and no traceback."""
    return (result.exit_code == 2 and words in result.output and "Traceback" not in result.output
            and (result.exception is None or isinstance(result.exception, SystemExit)))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """The world's warehouse (closed, as `hvp` opens it) and the policy file, made once."""
    from hvpatent.warehouse.store import Warehouse

    folder = tmp_path_factory.mktemp("subsidies-cli")
    db = folder / "w.duckdb"
    with Warehouse(db) as wh:
        world.build(wh)
    policy = folder / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    return db, policy


@pytest.fixture()
def fresh(built, tmp_path) -> tuple[str, str]:
    """A copy of the warehouse for a test that writes the ledger; (--db, --policy)."""
    db = tmp_path / "w.duckdb"
    shutil.copy(built[0], db)
    return str(db), str(built[1])


@pytest.fixture(scope="module")
def eligible_json(built) -> dict:
    """`eligible --all --format json` over the period 2024, read once."""
    result = hvp("subsidies", "eligible", "--period", "2024", "--all", "--policy", str(built[1]),
                 "--db", str(built[0]), "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_policy_table_and_json(built):
    result = hvp("subsidies", "policy", "--policy", str(built[1]))
    assert result.exit_code == 0, result.output
    assert f"policy file: {built[1]}" in result.output and "T1 test policy · 2024-01-01 … open" in result.output
    assert "hv_pledge_high" in result.output and "7,000.00" in result.output
    assert "cap 5,000 per payee and year" in result.output
    data = json.loads(hvp("subsidies", "policy", "--policy", str(built[1]), "--format", "json").output)
    assert [i["id"] for i in data["versions"][0]["items"]] == ["invention_grant", "hv_pledge_high"]
    assert Decimal(data["versions"][0]["items"][1]["cap_per_applicant_year_yuan"]) == 5000


def test_eligible_rows_traces_and_totals(eligible_json):
    rows = {(r["item"], r["app_no"]): r for r in eligible_json["rows"]}
    assert set(rows) == {("invention_grant", world.A2), ("hv_pledge_high", world.A5), ("invention_grant", world.A10)}
    a10, a5 = rows["invention_grant", world.A10], rows["hv_pledge_high", world.A5]
    a2 = rows["invention_grant", world.A2]
    assert a10["key"] == K10 and a10["eligible"] and Decimal(a10["amount_yuan"]) == 3000
    assert a10["payee_name"] == world.E2 and a10["town_code"] == "500118111000"
    assert a5["key"] == K5 and (Decimal(a5["gross_yuan"]), Decimal(a5["amount_yuan"])) == (7000, 5000)
    cut = [s for s in a5["trace"] if s["rule"] == "cap_item_year"]
    assert len(cut) == 1 and cut[0]["note"] and "✂ cap per payee and year for the item" in a5["steps"]
    assert not a2["eligible"] and a2["reasons"] == ["in_force"] and a2["steps"].startswith("✗ patent in force")
    in_force = next(s for s in a2["trace"] if s["rule"] == "in_force")
    assert in_force["ok"] is False and in_force["facts"]["state"] == "lapsed"
    totals = {t["item"]: (t["count"], Decimal(t["gross_yuan"]), Decimal(t["amount_yuan"]))
              for t in eligible_json["totals"]}
    assert totals == {"invention_grant": (1, 3000, 3000), "hv_pledge_high": (1, 7000, 5000)}
    assert eligible_json["as_of"] == "2024-12-31" and eligible_json["period"] == "2024"


def test_eligible_table_in_both_languages(built):
    args = ("subsidies", "eligible", "--period", "2024", "--policy", str(built[1]), "--db", str(built[0]))
    result = hvp(*args)
    assert result.exit_code == 0, result.output
    assert K10 in result.output and K5 in result.output and world.A2 not in result.output   # eligible rows only
    assert "Totals per item" in result.output and "failed or cut rules" in result.output
    result = hvp(*args, "--all", lang="zh")
    assert result.exit_code == 0, result.output
    assert "按项目合计" in result.output and "✗ 专利有效" in result.output and world.A2 in result.output


@pytest.mark.parametrize(("as_of", "in_force"), [("2024-08-31", True), ("2024-09-01", True), ("2024-09-02", False)])
def test_eligible_as_of_is_the_day_judged(built, as_of, in_force):
    """A2's grace ends on 2024-09-01: --as-of reaches the rules (the day before, the day, the day after)."""
    result = hvp("subsidies", "eligible", "--period", "2024", "--as-of", as_of, "--item", "invention_grant", "--all",
                 "--policy", str(built[1]), "--db", str(built[0]), "--format", "json")
    assert result.exit_code == 0, result.output
    a2 = next(r for r in json.loads(result.output)["rows"] if r["app_no"] == world.A2)
    assert a2["eligible"] is in_force


def test_eligible_filters_csv_and_xlsx(built, tmp_path):
    base = ("subsidies", "eligible", "--period", "2024", "--policy", str(built[1]), "--db", str(built[0]))
    result = hvp(*base, "--payee", " 重庆乙食品有限公司 ", "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("key,event date,item") and len(lines) == 2 and lines[1].startswith(K10 + ",2024-07-07")
    out = tmp_path / "eligible.xlsx"
    result = hvp(*base, "--out", str(out))   # the suffix says xlsx
    assert result.exit_code == 0 and "(2 rows)" in result.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["Subsidies 2024", "Rule trace", "Totals per item"]
    trace = [[c.value for c in row] for row in wb["Rule trace"].iter_rows(min_row=2)]
    assert [r[1] for r in trace if r[0] == K5].count("cap per payee and year for the item") == 1
    totals = [[c.value for c in row] for row in wb["Totals per item"].iter_rows(min_row=2)]
    # in the order the items first occur (A2's grant of 2024-02-01 is judged first, though not eligible)
    assert [(r[0], r[2], r[4]) for r in totals] == [("invention_grant", 1, 3000), ("hv_pledge_high", 1, 5000)]


def test_apply_twice_adds_nothing_new(fresh):
    db, policy = fresh
    args = ("subsidies", "apply", "--period", "2024", "--policy", policy, "--db", db)
    result = hvp(*args)
    assert result.exit_code == 0, result.output
    assert f"{K10}: applied · 3,000.00" in result.output and "2 applications added, 8,000.00 yuan" in result.output
    result = hvp(*args, "--by", "clerk")
    assert result.exit_code == 0 and "nothing new" in result.output and "already in the ledger: 2" in result.output
    rows = json.loads(hvp("subsidies", "ledger", "--db", db, "--format", "json").output)
    assert sorted((r["item"], r["status"], r["applied_by"]) for r in rows) == [
        ("hv_pledge_high", "applied", getpass.getuser()), ("invention_grant", "applied", getpass.getuser())]


def test_flow_review_reject_approve_pay_clawback(fresh, tmp_path):
    db, policy = fresh
    assert hvp("subsidies", "apply", "--period", "2024", "--policy", policy, "--db", db, "--by", "clerk").exit_code == 0
    result = hvp("subsidies", "review", "--key", K10, "--key", K5, "--pass", "--by", "checker", "--db", db)
    assert result.exit_code == 0 and f"{K5}: reviewed · 5,000.00" in result.output
    result = hvp("subsidies", "reject", "--key", K5, "--note", "材料不全", "--by", "chief", "--policy", policy,
                 "--db", db)
    assert result.exit_code == 0 and f"{K5}: rejected" in result.output
    result = hvp("subsidies", "approve", "--key", K10, "--by", "chief", "--policy", policy, "--db", db)
    assert result.exit_code == 0 and f"{K10}: approved · 3,000.00" in result.output
    out = tmp_path / "batch.xlsx"
    result = hvp("subsidies", "pay", "--batch", "2025-01", "--out", str(out), "--by", "chief", "--db", db)
    assert result.exit_code == 0 and "payment batch 2025-01: 1 rows, 3,000.00 yuan" in result.output
    sheet = load_workbook(out).worksheets[0]
    assert sheet.title == "Payment batch 2025-01" and sheet.max_row == 2
    values = [c.value for c in sheet[2]]
    assert world.A10 in values and 3000 in values
    again = tmp_path / "again.xlsx"
    result = hvp("subsidies", "pay", "--batch", "2025-02", "--out", str(again), "--by", "chief", "--db", db)
    assert refused(result, "nothing approved") and not again.exists()
    # a rejected row comes back only when named; the paid one never
    result = hvp("subsidies", "apply", "--period", "2024", "--policy", policy, "--db", db, "--by", "clerk")
    assert "nothing new" in result.output
    result = hvp("subsidies", "apply", "--period", "2024", "--key", K5, "--policy", policy, "--db", db, "--by", "c")
    assert result.exit_code == 0 and "1 applications added, 5,000.00 yuan" in result.output
    result = hvp("subsidies", "clawback", "--key", K10, "--reason", "专利失效", "--amount", "1,000", "--by", "chief",
                 "--db", db)
    assert result.exit_code == 0 and "clawed back 1,000.00 yuan" in result.output
    rows = json.loads(hvp("subsidies", "ledger", "--db", db, "--status", "clawed_back", "--format", "json").output)
    assert [(r["item"], r["payment_batch"], r["clawback_reason"]) for r in rows] == [
        ("invention_grant", "2025-01", "专利失效")]
    result = hvp("subsidies", "ledger", "--db", db, lang="zh")
    assert result.exit_code == 0 and "已追回" in result.output and "已申请" in result.output
    # the year's spend from the ledger itself (budget.spend): 3,000 paid, 1,000 of it clawed back
    spend = json.loads(hvp("subsidies", "budget", "--year", "2024", "--policy", policy, "--db", db,
                           "--format", "json").output)
    grant = next(r for r in spend if r["key"] == "invention_grant")
    assert (Decimal(grant["clawed_back_yuan"]), Decimal(grant["net_yuan"])) == (1000, 2000)


@pytest.mark.parametrize(("args", "words"), [
    (("eligible", "--period", "2024-Q5"), "2024-Q5"),
    (("eligible", "--period", "2024", "--item", "nope"), "unknown policy item 'nope'"),
    (("eligible", "--period", "2024", "--policy", "missing.yaml"), "policy file not found: missing.yaml"),
    (("review", "--key", "nonsense", "--pass"), "nonsense"),
    (("apply", "--period", "2024", "--key", f"invention_grant|{world.A10}|2023"), "is not of period 2024"),
    (("ledger", "--status", "done"), "unknown status 'done'"),
    (("ledger", "--period", "24"), "'24'"),
    (("clawback", "--key", K10, "--reason", "x", "--amount", "abc"), "--amount must be a positive amount"),
    (("clawback", "--key", K10, "--reason", "x"), "no such ledger row"),   # the ledger's refusal
    (("approve", "--key", K10), f"{K10}: no such ledger row"),
    (("budget", "--year", "3000"), "bad year: 3000"),
])
def test_bad_input_is_named_without_traceback(fresh, args, words):
    db, policy = fresh
    extra = () if "--policy" in args or args[0] in ("review", "ledger", "clawback", "budget") else ("--policy", policy)
    result = hvp("subsidies", *args, *extra, "--db", db)
    assert refused(result, words), result.output


@pytest.mark.parametrize("args", [("eligible", "--period", "2024"), ("ledger",), ("budget", "--year", "2024"),
                                  ("apply", "--period", "2024")])
def test_a_mistyped_warehouse_path_is_refused_and_not_created(fresh, tmp_path, args):
    _, policy = fresh
    missing = tmp_path / "nowhere" / "x.duckdb"
    extra = ("--policy", policy) if args[0] in ("eligible", "apply") else ()
    result = hvp("subsidies", *args, *extra, "--db", str(missing))
    assert result.exit_code == 2 and "not found" in result.output and not missing.exists()
    assert "Traceback" not in result.output


@pytest.mark.parametrize("year", ["1990", "2101"])
def test_whatif_years_without_a_basis_year_are_refused(fresh, year):
    db, policy = fresh
    result = hvp("subsidies", "whatif", "--year", year, "--variant", policy, "--policy", policy, "--db", db)
    assert refused(result, f"bad year: {year}"), result.output


def test_whatif_as_of_without_a_basis_year_is_refused(fresh):
    db, policy = fresh
    result = hvp("subsidies", "whatif", "--year", "2000", "--as-of", "1990-06-01", "--variant", policy,
                 "--policy", policy, "--db", db)
    assert refused(result, "bad --as-of: 1990-06-01"), result.output


def test_bad_policy_file_names_file_and_field(fresh, tmp_path):
    db, _ = fresh
    bad = tmp_path / "bad.yaml"
    bad.write_text(POLICY.replace("effective_from: 2024-01-01", "effective_from: someday"), encoding="utf-8")
    result = hvp("subsidies", "eligible", "--period", "2024", "--policy", str(bad), "--db", db)
    assert refused(result, "bad policy file") and str(bad) in result.output and "effective_from" in result.output
    result = hvp("subsidies", "policy", "--policy", str(bad), lang="zh")
    assert refused(result, "政策文件有误")


def test_pay_to_a_folder_is_refused_before_paying(fresh, tmp_path):
    db, _ = fresh
    result = hvp("subsidies", "pay", "--batch", "b", "--out", str(tmp_path), "--db", db)
    assert refused(result, "it is a folder")


# -- budget and whatif: the output of the room's rows (the door's functions stand in with hand-made rows) --------

SPEND = [{"key": "invention_grant", "label_zh": "发明授权", "label_en": "invention grant", "count": 2,
          "committed_yuan": Decimal("3000.00"), "paid_yuan": Decimal("6000.00"), "clawed_back_yuan": Decimal("1000.00"),
          "budget_yuan": Decimal("800000.00"), "remaining_yuan": Decimal("792000.00")}]


def test_budget_rows_and_arguments(fresh, monkeypatch):
    import hvpatent.subsidies as door

    db, policy = fresh
    calls = []
    monkeypatch.setattr(door, "spend", lambda duck, year, *, by, policy: calls.append((year, by, policy)) or SPEND)
    result = hvp("subsidies", "budget", "--year", "2024", "--policy", policy, "--db", db)
    assert result.exit_code == 0, result.output
    assert "invention grant" in result.output and "792,000.00" in result.output and "remaining (yuan)" in result.output
    assert calls[0][:2] == (2024, "item") and calls[0][2].path == policy
    result = hvp("subsidies", "budget", "--year", "2024", "--by", "town", "--format", "json", "--db", db)
    assert result.exit_code == 0 and json.loads(result.output)[0]["remaining_yuan"] == "792000.00"
    assert calls[1] == (2024, "town", None)   # only the item view needs the policy's budgets
    assert hvp("subsidies", "budget", "--year", "2024", "--by", "bank", "--db", db).exit_code == 2


def test_whatif_table_and_json(fresh, tmp_path, monkeypatch):
    import hvpatent.subsidies as door

    db, policy = fresh
    result_dict = {
        "year": 2025, "items": [{"item": "invention_grant", "item_zh": "发明授权", "item_en": "invention grant",
                                 "base_count": 4, "base_yuan": Decimal("12000"), "variant_count": 4,
                                 "variant_yuan": Decimal("8000")}],
        "totals": {"base_yuan": Decimal("12000"), "variant_yuan": Decimal("8000")},
        "high_value": {"expected_base": 1.5, "expected_variant": 2.25, "per_10k_base": 0.1, "per_10k_variant": 0.2,
                       "population": 1_000_000,
                       "assumptions": [["候选专利按概率计", "candidates count by probability"]]}}
    seen = {}

    def fake(con, duck, base, variant, year, *, as_of, region):
        seen.update(base=base.path, variant=variant.path, year=year, as_of=as_of, region=region)
        return result_dict

    monkeypatch.setattr(door, "projection", fake)
    args = ("subsidies", "whatif", "--year", "2025", "--variant", policy, "--policy", policy, "--as-of", "2024-12-31",
            "--region", "500118", "--db", db)
    result = hvp(*args)
    assert result.exit_code == 0, result.output
    assert "Projection 2025" in result.output and "8,000.00" in result.output
    assert "base 1.5, variant 2.25" in result.output and "candidates count by probability" in result.output
    assert seen == {"base": policy, "variant": policy, "year": 2025, "as_of": date(2024, 12, 31), "region": "500118"}
    assert json.loads(hvp(*args, "--format", "json").output)["items"][0]["variant_yuan"] == "8000"
    missing = tmp_path / "variant.yaml"
    assert refused(hvp("subsidies", "whatif", "--year", "2025", "--variant", str(missing), "--db", db),
                   "policy file not found")


def test_whatif_runs_on_the_warehouse(built):
    """The real projection (whatif.projection) through the command: one row per item of the policy, and the
    high-value block with its assumptions."""
    result = hvp("subsidies", "whatif", "--year", "2025", "--variant", str(built[1]), "--policy", str(built[1]),
                 "--as-of", "2024-12-31", "--db", str(built[0]), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["year"] == 2025 and [r["item"] for r in data["items"]] == ["invention_grant", "hv_pledge_high"]
    assert all(r["base_yuan"] == r["variant_yuan"] for r in data["items"])   # the variant is the policy itself
    assert data["high_value"]["assumptions"]
