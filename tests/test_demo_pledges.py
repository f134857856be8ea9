"""The demo's pledge registry (demo/pledges.py): a small demo district's pledges.xlsx imports without an error
after its patents, and holds multi-patent, mixed (patent + trademark), released, changed and disposed contracts,
the demo bank's among them; the records keep the loan terms, the release and disposal lags and the numbering the
generator promises; no patent or mark is in two contracts at once; the same seed writes the same file."""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from hvpatent.demo import DEMO_BANK, generate_demo
from hvpatent.demo.generator import EXPORT_DATE
from hvpatent.demo.pledges import PLEDGE_HEADERS, Granted, valid_on
from hvpatent.finance import bank_filter, contracts_on, items_on
from hvpatent.ingest import import_file
from hvpatent.ingest.fields import normalize_name
from hvpatent.ingest.templates import TEMPLATES
from hvpatent.warehouse.store import Warehouse

SEED = 7


def _rows(path) -> list[list]:
    sheet = load_workbook(path, read_only=True).active
    return [["" if v is None else v for v in r] for r in sheet.iter_rows(values_only=True)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo_pledges")
    paths = generate_demo(root / "files", applications=1500, seed=SEED, comparison=0)
    files = {p.name: p for p in paths}
    wh = Warehouse(root / "w.duckdb")
    import_file(wh, files["patents_cnipa.csv"])
    result, skipped = import_file(wh, files["pledges.xlsx"])  # ImportRejected (naming each bad row) on an error
    rows = _rows(files["pledges.xlsx"])
    yield {"root": root, "paths": paths, "files": files, "wh": wh, "result": result, "skipped": skipped,
           "header": rows[1], "records": [dict(zip(rows[1], r, strict=True)) for r in rows[2:]]}
    wh.close()


def test_imports_without_errors_in_the_template_shape(demo):
    assert demo["skipped"] == [] and demo["result"].rows_rejected == 0
    assert demo["header"] == PLEDGE_HEADERS == [c.header for c in TEMPLATES["pledges"][1]]
    # Trademarks come before the pledges that take them (the files in import order).
    names = [p.name for p in demo["paths"]]
    assert names.index("trademarks_cnipa.csv") < names.index("pledges.xlsx")


def test_every_kind_of_contract(demo):
    con = demo["wh"].ibis()
    on = contracts_on(con, EXPORT_DATE).to_pyarrow().to_pylist()
    setups = [r for r in demo["records"] if r["登记类型"] == "设立"]
    assert len(on) == len(setups) > 0
    assert any(c["patents"] > 1 for c in on), "a bundle"
    assert any(c["kind"] == "mixed" and c["trademarks"] >= 1 for c in on), "a patent + trademark contract"
    assert {c["status"] for c in on} >= {"active", "released", "disposed"}
    changes = demo["wh"].con.execute("SELECT field, count(*) FROM pledge_changes GROUP BY field").fetchall()
    assert dict(changes).get("loan_end", 0) >= 1, changes
    mine = bank_filter(contracts_on(con, EXPORT_DATE), normalize_name(DEMO_BANK)).to_pyarrow().to_pylist()
    assert mine and {c["pledgee"] for c in mine} == {DEMO_BANK}
    # Every patent item is its pledgor's (the first applicant or patentee of each pledged patent).
    items = items_on(con, EXPORT_DATE).filter(lambda t: t.item_kind == "patent").to_pyarrow().to_pylist()
    first = dict(demo["wh"].con.execute("SELECT app_no, name FROM parties WHERE seq = 1")
                 .fetchall())
    pledgor = {c["contract_no"]: c["pledgor"] for c in on}
    assert items and all(first[i["item_no"]] == pledgor[i["contract_no"]] for i in items)


def _anniversary(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 2, 28)


def test_records_keep_the_promised_terms(demo):
    by_no: dict[str, list[dict]] = {}
    for r in demo["records"]:
        by_no.setdefault(r["质押登记号"], []).append(r)
    days = [r["登记日"] for r in demo["records"]]
    assert days == sorted(days)  # in date order: a registration before its changes, release or disposal
    owners = {}
    with demo["files"]["trademarks_cnipa.csv"].open(encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        next(reader)
        header = next(reader)
        for row in reader:
            owners[row[header.index("注册号/申请号")]] = row[header.index("申请人名称(中文)")]
    spans: dict[str, list[tuple[date, date]]] = {}
    for number, records in by_no.items():
        setup = records[0]
        registered = date.fromisoformat(setup["登记日"])
        assert setup["登记类型"] == "设立" and re.fullmatch(rf"Y{registered.year}5000\d{{5}}", number)
        assert setup["债务起始日"] == setup["登记日"] and setup["质押金额(万元)"] % 50 == 0
        end = date.fromisoformat(setup["债务到期日"])
        assert end in {_anniversary(registered, y) for y in (1, 2, 3)}  # loans of 1-3 years
        assert 1 <= len(setup["专利申请号"].split(";")) <= 4
        for mark in filter(None, str(setup["商标注册号"]).split(";")):
            assert owners[mark] == setup["出质人"]
        finished = date.max
        for r in records[1:]:
            day = date.fromisoformat(r["登记日"])
            if r["登记类型"] == "变更" and r["债务到期日"]:   # an extension: a year more, 15-60 days before
                assert timedelta(days=15) <= end - day <= timedelta(days=60)
                end = date.fromisoformat(r["债务到期日"])
            elif r["登记类型"] == "注销":                   # released 0-20 days after the maturity
                assert timedelta(0) <= day - end <= timedelta(days=20)
                finished = day
            elif r["登记类型"] == "处置":                   # disposed 60-240 days after it
                assert timedelta(days=60) <= day - end <= timedelta(days=240)
                finished = day
            assert day <= EXPORT_DATE
        for item in [*setup["专利申请号"].split(";"), *["TM" + m for m in str(setup["商标注册号"]).split(";") if m]]:
            for start, stop in spans.get(item, []):
                assert finished < start or registered > stop, f"{item} in two contracts at once"
            spans.setdefault(item, []).append((registered, finished))


def test_valid_on_a_lapse_undone_by_restoration():
    # Annuity lapse announced 2020-11-20 (its due day 203-258 days before: about 2020-03/05), restored
    # 2020-12-20: not valid from 270 days before the announcement (2020-02-24) through the restoration day.
    p = Granted("X", date(2016, 1, 5), date(2035, 3, 1), 0.0, None,
                [(date(2020, 11, 20), "未缴年费专利权终止"), (date(2020, 12, 20), "专利权的恢复")])
    assert valid_on(p, date(2020, 2, 23)) and not valid_on(p, date(2020, 2, 24))
    assert not valid_on(p, date(2020, 12, 20)) and valid_on(p, date(2020, 12, 21))
    assert not valid_on(p, date(2016, 1, 5)) and valid_on(p, date(2016, 1, 6))   # granted the day before
    assert valid_on(p, date(2035, 2, 28)) and not valid_on(p, date(2035, 3, 1))   # the term's last day


def test_same_seed_same_registry(demo):
    again = generate_demo(demo["root"] / "again", applications=1500, seed=SEED, comparison=0)
    assert _rows(next(p for p in again if p.name == "pledges.xlsx")) == _rows(demo["files"]["pledges.xlsx"])
