"""Dated enterprise recognitions: the template, the counting rule for 新增 at its boundaries, the plan's two
enterprise targets with history (and their tag fallback), the CLI and the web page and API.

The district below (docs/recognitions.md, the rule; baseline 2021-12-31), rows of the template in order:
  甲 (world.E1)  ip_advantage 区级 2021-12-31              recognised ON the baseline day: held then, not new
  甲             ip_demonstration 市级 2023-05-10          upgraded: still not new
  甲             high_tech (level empty → national) 2023-10-16, no expiry → 2026-10-15
  乙 (world.E2)  ip_advantage 区级 2022-01-01, code K      the day after the baseline: new from 2022-01-01
  乙集团 (renamed, same code K) ip_advantage 市级 2023-06-01  recognised twice: counted once
  庚             ip_advantage 国家级 "2022" (year alone → 2022-01-01), expires 2024-12-31, town 来苏镇
  辛             ip_demonstration 区级 2023-03-01, revoked 2024-03-01
  壬             ip_advantage 区级 2019-01-01 expiring 2021-12-31 (in force on the baseline day), again 2023-01-01
  癸             ip_advantage 区级 2019-01-01 expiring 2021-12-30 (lapsed the day before), again 2023-01-01: new
  子             贯标 (ip_standard) 2022-07-01, certificate 3 years → expiry 2025-06-30
New advantage/demonstration enterprises on a day: 乙 and 庚 from 2022-01-01, 癸 from 2023-01-01, 辛 from
2023-03-01 until its revocation on 2024-03-01.
"""

from __future__ import annotations

import random
from datetime import date

import pytest
from openpyxl import load_workbook

import world
from hvpatent.demo.generator import _credit_code
from hvpatent.ingest import ImportRejected, import_file
from hvpatent.ingest.templates import write_template
from hvpatent.plan.model import parse_plan
from hvpatent.recognitions import count_new, new_recognitions, recognition_list, recognitions_in_force

BASE = date(2021, 12, 31)
ADV = ("ip_advantage", "ip_demonstration")
K = _credit_code(random.Random(7))
G, X, R = "重庆庚机械有限公司", "重庆辛电子有限公司", "重庆壬材料有限公司"
Q, Z = "重庆癸医药有限公司", "重庆子汽车有限公司"
ROWS = [  # 企业名称, 信用代码, 认定类型, 级别, 认定日期, 有效期至, 撤销日期, 认证机构, 证书编号, 文号, 所在镇街
    [world.E1, None, "知识产权优势企业", "区级", "2021-12-31", None, None, None, None, "永知〔2021〕9号", None],
    [world.E1, None, "知识产权示范企业", "市级", "2023-05-10", None, None, None, None, None, None],
    [world.E1, None, "高新技术企业", None, "2023-10-16", None, None, None, "GR202351000001", None, None],
    [world.E2, K, "知识产权优势企业", "区级", "2022-01-01", None, None, None, None, None, None],
    ["重庆乙食品集团有限公司", K, "优势企业", "市级", "2023-06-01", None, None, None, None, None, None],
    [G, None, "国家知识产权优势企业", "国家级", "2022", "2024-12-31", None, None, None, None, "来苏镇"],
    [X, None, "示范企业", "区级", "2023-03-01", None, "2024-03-01", None, None, None, None],
    [R, None, "知识产权优势企业", "区级", "2019-01-01", "2021-12-31", None, None, None, None, None],
    [R, None, "知识产权优势企业", "区级", "2023-01-01", None, None, None, None, None, None],
    [Q, None, "知识产权优势企业", "区级", "2019-01-01", "2021-12-30", None, None, None, None, None],
    [Q, None, "知识产权优势企业", "区级", "2023-01-01", None, None, None, None, None, None],
    [Z, None, "贯标", None, "2022-07-01", None, None, "中知（北京）认证有限公司", "165IP220001R0M", None, None],
]


def fill(path, rows):
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    from hvpatent.model import Batch
    from hvpatent.warehouse.store import Warehouse

    folder = tmp_path_factory.mktemp("recognitions")
    wh = Warehouse(folder / "rec.duckdb")
    world.build(wh)
    batch = Batch()  # the directory places 乙 in 胜利路街道 (its record gives no town)
    batch.set("enterprises", [{"name": world.E2, "name_norm": world.E2, "credit_code": None, "tags": "知识产权优势企业",
                               "town_code": "500118002000"}])
    with wh.import_transaction("enterprises", "enterprises", "test", "fixture") as tx:
        tx.add(batch, 1)
    result, errors = import_file(wh, fill(write_template("recognitions", folder / "rec.xlsx"), ROWS))
    assert (result.rows_inserted, errors) == (len(ROWS), [])
    yield wh
    wh.close()


@pytest.fixture(scope="module")
def con(wh):
    return wh.ibis()


def test_template_rows_become_records(wh):
    rows = wh.frame("SELECT name, kind, level, recognised_date, expiry_date, town_code FROM recognitions "
                    "ORDER BY name, recognised_date, kind").values.tolist()
    by = {(r[0], r[1], str(r[3])[:10]): r for r in rows}
    assert by[(G, "ip_advantage", "2022-01-01")][2] == "national"  # "2022" alone → 1 January
    assert by[(G, "ip_advantage", "2022-01-01")][5] == "500118111000"  # 来苏镇 by name
    assert by[(world.E1, "high_tech", "2023-10-16")][2] == "national"  # level empty: national
    assert str(by[(world.E1, "high_tech", "2023-10-16")][4])[:10] == "2026-10-15"  # 3 years from issue
    assert by[(Z, "ip_standard", "2022-07-01")][2] == "none"
    assert str(by[(Z, "ip_standard", "2022-07-01")][4])[:10] == "2025-06-30"
    assert by[(X, "ip_demonstration", "2023-03-01")][5] == "500118"  # no town: the district
    # idempotent: the same file again changes nothing
    assert wh.count("recognitions") == len(ROWS)


def test_template_errors_name_file_row_and_field(tmp_path, warehouse):
    path = fill(write_template("recognitions", tmp_path / "bad.xlsx"), [
        [G, None, "知识产权先进企业", "区级", "2023-01-01", None, None, None, None, None, None],   # row 2: kind
        [G, None, "知识产权优势企业", None, "2023-01-01", None, None, None, None, None, None],      # row 3: level
        [G, None, "知识产权优势企业", "区级", "2023-01-01", "2022-12-31", None, None, None, None, None],  # 4: expiry
        [G, None, "知识产权优势企业", "区级", "2023-13-01", None, None, None, None, None, None],   # row 5: date
        [G, None, "知识产权优势示范企业", "区级", "2023-01-01", None, None, None, None, None, None],  # 6: ambiguous
        [G, None, "知识产权优势企业", "区级", None, None, None, None, None, None, None],           # row 7: empty
    ])
    with pytest.raises(ImportRejected) as caught:
        import_file(warehouse, path)
    got = [(e.file, e.row, e.field) for e in caught.value.errors]
    assert got == [("bad.xlsx", 2, "认定类型"), ("bad.xlsx", 3, "级别"), ("bad.xlsx", 4, "有效期至"),
                   ("bad.xlsx", 5, "认定日期"), ("bad.xlsx", 6, "认定类型"), ("bad.xlsx", 7, "认定日期")]
    assert warehouse.count("recognitions") == 0


@pytest.mark.parametrize(("day", "expected"), [
    (date(2021, 12, 31), set()),                       # the baseline day itself: 甲's recognition is not new
    (date(2022, 1, 1), {world.E2, G}),                 # the day after: 乙 and 庚 (year alone → 01-01)
    (date(2022, 12, 31), {world.E2, G}),
    (date(2023, 1, 1), {world.E2, G, Q}),              # 癸 lapsed the day before the baseline: new again
    (date(2023, 3, 1), {world.E2, G, Q, X}),
    (date(2024, 2, 29), {world.E2, G, Q, X}),          # the day before 辛's revocation
    (date(2024, 3, 1), {world.E2, G, Q}),              # revoked on the day
    (date(2025, 1, 1), {world.E2, G, Q}),              # 庚 expired: still new in the plan period
])
def test_new_since_the_baseline(con, day, expected):
    rows = new_recognitions(con, BASE, day, ADV).to_pyarrow().to_pylist()
    # 乙 twice (and renamed under its code): one row, named by either of its names
    names = {world.E2 if r["credit_code"] == K else r["name"] for r in rows}
    assert names == expected
    assert count_new(con, BASE, day, ADV) == len(expected)


def test_twice_recognised_is_one_row_listing_both(con):
    rows = new_recognitions(con, BASE, date(2024, 12, 31), ADV).to_pyarrow().to_pylist()
    yi = next(r for r in rows if r["credit_code"] == K)
    assert (yi["recognitions"], yi["first_date"]) == (2, date(2022, 1, 1))
    assert sorted(yi["listed"].split("；")) == ["ip_advantage/district/2022-01-01", "ip_advantage/municipal/2023-06-01"]


def test_levels_counted_decide_what_is_new(con):
    # Counting municipal and national only, 甲's district recognition at the baseline does not count: its
    # municipal demonstration title in 2023 is new; 乙 is new from its municipal recognition (2023-06-01).
    rows = new_recognitions(con, BASE, date(2024, 12, 31), ADV, ["municipal", "national"]).to_pyarrow().to_pylist()
    assert {(r["name"] if r["credit_code"] != K else world.E2, r["first_date"]) for r in rows} == {
        (world.E1, date(2023, 5, 10)), (world.E2, date(2023, 6, 1)), (G, date(2022, 1, 1))}


@pytest.mark.parametrize(("day", "in_force"), [
    (date(2024, 12, 31), True), (date(2025, 1, 1), False),   # 庚: expiry day in force, the day after not
])
def test_in_force_on_the_expiry_day(con, day, in_force):
    names = {r["name"] for r in recognitions_in_force(con, day, ["ip_advantage"]).to_pyarrow().to_pylist()}
    assert (G in names) is in_force


@pytest.mark.parametrize(("day", "in_force"), [(date(2024, 2, 29), True), (date(2024, 3, 1), False)])
def test_revoked_on_the_day(con, day, in_force):
    names = {r["name"] for r in recognitions_in_force(con, day, ADV).to_pyarrow().to_pylist()}
    assert (X in names) is in_force


def test_region_by_record_town_then_directory(con):
    day = date(2024, 12, 31)
    assert [r["name"] for r in recognition_list(con, day, ADV, region="500118111000", new_since=BASE)] == [G]
    shengli = recognition_list(con, day, ADV, region="500118002000", new_since=BASE)
    assert [r["credit_code"] for r in shengli] == [K]  # 乙: by the directory, though its record says 500118
    assert count_new(con, BASE, day, ADV, region="500118") == 3
    assert count_new(con, BASE, day, ADV, region="500151") == 0  # another county


def test_list_words(con):
    rows = recognition_list(con, date(2024, 12, 31), ["high_tech"], lang="en")
    assert [(r["name"], r["kind_label"], r["level_label"], r["expiry_date"]) for r in rows] == [
        (world.E1, "high-tech enterprise", "national", "2026-10-15")]
    new = recognition_list(con, date(2024, 12, 31), ["ip_standard"], new_since=BASE)
    assert [(r["name"], r["listed"]) for r in new] == [(Z, "知识产权管理体系认证（贯标，GB/T 29490）（—，2022-07-01）")]


def _plan():
    return parse_plan({
        "plan": {"name": "测试方案", "issued": date(2022, 10, 13), "region": "500118", "baseline_date": BASE,
                 "deadline": date(2024, 12, 31)},
        "targets": [
            {"key": "adv", "name": "新增优势示范企业", "unit": "家", "source": "recognitions", "kinds": list(ADV),
             "tags": ["知识产权优势企业"], "target": 8},
            {"key": "std", "name": "贯标", "unit": "家", "source": "recognitions", "kinds": ["ip_standard"],
             "tags": ["贯标达标企业"], "target": 5},
        ]}, "t.yaml")


def test_plan_targets_have_history(con):
    from hvpatent.plan import plan_progress

    progress = {p.target.key: p for p in plan_progress(con, _plan(), date(2024, 12, 31))}
    adv = progress["adv"]
    # trend days: 2023-03-31 … 2024-09-30 quarter-ends and 2024-12-31; 辛 leaves on 2024-03-01
    assert adv.trend == [(date(2023, 3, 31), 4), (date(2023, 6, 30), 4), (date(2023, 9, 30), 4),
                         (date(2023, 12, 31), 4), (date(2024, 3, 31), 3), (date(2024, 6, 30), 3),
                         (date(2024, 9, 30), 3), (date(2024, 12, 31), 3)]
    assert (adv.current, adv.gap, adv.status) == (3, 5, "missed")  # the deadline day, 3 of 8
    assert "标签" not in adv.note
    std = progress["std"]
    assert std.current == 1 and [v for _, v in std.trend] == [1] * 8


def test_without_records_the_tags_count_with_the_note(tmp_path):
    from hvpatent.model import Batch
    from hvpatent.plan import plan_progress
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(tmp_path / "tags.duckdb") as wh:
        batch = Batch()
        batch.set("enterprises", [{"name": "重庆甲公司", "name_norm": "重庆甲公司", "tags": "知识产权优势企业"},
                                  {"name": "重庆乙公司", "name_norm": "重庆乙公司", "tags": "贯标达标企业"}])
        with wh.import_transaction("e", "e", "test", "fixture") as tx:
            tx.add(batch, 2)
        progress = {p.target.key: p for p in plan_progress(wh.ibis(), _plan(), date(2024, 12, 31))}
    assert progress["adv"].current == 1 and progress["std"].current == 1
    assert "标签" in progress["adv"].note and len(progress["adv"].trend) == 1


def test_seed_plan_counts_recognitions():
    from hvpatent.plan import load_plan

    targets = {t.key: t for t in load_plan().targets}
    assert (targets["new_ip_advantage_enterprises"].source, targets["new_ip_advantage_enterprises"].kinds) == (
        "recognitions", ADV)
    assert targets["standard_enterprises"].kinds == ("ip_standard",)


# -- the CLI and the web ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The world district with its accounts (webserver.ACCOUNTS) and the recognitions above, served."""
    from hvpatent.warehouse.store import Warehouse
    from hvpatent.web import create_app
    from webserver import serve, world_db

    folder = tmp_path_factory.mktemp("recognitions_web")
    db = world_db(folder)
    with Warehouse(db) as wh:
        import_file(wh, fill(write_template("recognitions", folder / "rec.xlsx"), ROWS))
    with serve(create_app(db, secret="test-secret")) as url:
        yield db, url


def test_cli_lists_the_enterprises_behind_a_target(tmp_path):
    import json

    from typer.testing import CliRunner

    from hvpatent.cli.main import app
    from hvpatent.warehouse.store import Warehouse

    db = tmp_path / "cli.duckdb"
    with Warehouse(db) as wh:
        import_file(wh, fill(write_template("recognitions", tmp_path / "rec.xlsx"), ROWS))
    result = CliRunner().invoke(app, ["recognitions", "list", "--target", "new_ip_advantage_enterprises",
                                      "--as-of", "2024-12-31", "--format", "json", "--db", str(db)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert sorted(r["first_date"] for r in rows) == ["2022-01-01", "2022-01-01", "2023-01-01"]  # 乙, 庚, 癸
    table = CliRunner().invoke(app, ["recognitions", "list", "--kind", "贯标", "--as-of", "2025-06-30",
                                     "--db", str(db)], catch_exceptions=False)
    assert Z in table.output and "认证机构" in table.output  # the certificate's last day: in force
    bad = CliRunner().invoke(app, ["recognitions", "list", "--kind", "先进企业", "--db", str(db)])
    assert bad.exit_code == 2 and "--kind" in bad.output


def test_api_and_page_for_staff(served):
    from webserver import client

    _, url = served
    with client(url, "analyst") as c:
        r = c.get("/api/recognitions", params={"target": "new_ip_advantage_enterprises", "as_of": "2024-02-29"})
        assert r.status_code == 200 and len(r.json()) == 4  # 辛 is revoked the next day
        r = c.get("/api/recognitions", params={"kind": "high_tech", "as_of": "2024-12-31", "lang": "en"})
        assert [(x["name"], x["kind_label"]) for x in r.json()] == [(world.E1, "high-tech enterprise")]
        assert c.get("/api/recognitions", params={"kind": "先进"}).status_code == 422
        assert c.get("/api/recognitions", params={"target": "nope"}).status_code == 404
        xlsx = c.get("/api/recognitions", params={"new_since": "2021-12-31", "as_of": "2024-12-31", "format": "xlsx"})
        assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
        progress = {t["key"]: t for t in c.get("/api/plan/progress", params={"as_of": "2024-12-31"}).json()["targets"]}
        adv = progress["new_ip_advantage_enterprises"]
        assert adv["current"] == 3 and [p["value"] for p in adv["trend"]] == [4, 4, 4, 4, 3, 3, 3, 3]
        page = c.get("/recognitions", params={"target": "standard_enterprises", "as_of": "2024-12-31"})
        assert page.status_code == 200 and Z in page.text and "/recognitions?target=new_ip_advantage" in page.text
        assert c.get("/recognitions", params={"kind": "", "level": "", "new_since": ""}).status_code == 200


def test_page_and_api_refused_to_an_enterprise_account(served):
    from webserver import client

    _, url = served
    with client(url, "jia") as c:
        assert c.get("/recognitions").status_code == 403
        assert c.get("/api/recognitions").status_code == 403
        assert "/recognitions" not in c.get("/mine").text  # no nav entry either
