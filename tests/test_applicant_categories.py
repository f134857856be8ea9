"""The five official applicant categories, the evidence that places an applicant, and its origin (国内 / 国外).

Files are imported the way a user imports them: a CNIPA patent-search CSV (the full header of the official
export, docs/importing.md) and the enterprise-directory template; the answers are worked by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from conftest import write_xlsx
from hvpatent.cli.main import app
from hvpatent.indicators.base import first_applicants
from hvpatent.ingest import import_file
from hvpatent.ingest.appno import check_digit
from hvpatent.ingest.fields import classify_party, normalize_name
from hvpatent.reference.applicant_categories import (
    category_key,
    category_of_credit_code,
    category_of_name,
    settle,
    unclassified,
    unsettle,
)
from hvpatent.reference.applicant_towns import assign
from hvpatent.reference.countries import country_of
from hvpatent.reference.regions import towns_of
from hvpatent.warehouse.store import Warehouse


@pytest.mark.parametrize(("name", "category"), [
    # enterprises: Chinese forms, foreign legal forms as whole words, sole proprietors (个体工商户)
    ("重庆长安汽车股份有限公司", "enterprise"), ("重庆某某研究院有限公司", "enterprise"),
    ("SONY CORPORATION", "enterprise"), ("SIEMENS AG", "enterprise"), ("Robert Bosch GmbH", "enterprise"),
    ("BASF SE", "enterprise"), ("Nestec S.A.", "enterprise"), ("GOOGLE LLC", "enterprise"),
    ("Koninklijke Philips N.V.", "enterprise"), ("Toyota Jidosha Kabushiki Kaisha", "enterprise"),
    ("三星电子株式会社", "enterprise"), ("永川区张三五金经营部", "enterprise"),
    # universities, including foreign ones and an "institute of technology"
    ("重庆文理学院", "university"), ("重庆大学", "university"), ("中国科学院大学", "university"),
    ("THE REGENTS OF THE UNIVERSITY OF CALIFORNIA", "university"),
    ("Massachusetts Institute of Technology", "university"),
    # research institutes
    ("中国科学院重庆绿色智能技术研究院", "institute"),
    ("Fraunhofer-Gesellschaft zur Förderung der angewandten Forschung e.V.", "institute"),
    ("Centre National de la Recherche Scientifique (CNRS)", "institute"),
    # government bodies: hospitals and schools below university level too, an affiliated hospital included
    ("重庆市永川区人民医院", "government"), ("重庆医科大学附属永川医院", "government"),
    ("重庆市永川中学", "government"), ("重庆市永川区农业农村委员会", "government"),
    ("THE UNITED STATES OF AMERICA, AS REPRESENTED BY THE SECRETARY OF THE NAVY", "government"),
    # individuals: Chinese names, transliterated names, Latin names without an organisation word
    ("张伟", "individual"), ("约翰·史密斯", "individual"), ("SMITH, JOHN", "individual"),
    ("MÜLLER HANS", "individual"), ("John A. Smith", "individual"),
    # unclassified: no rule and not a person's name
    ("永川机械", "other"), ("重庆永川卫星湖生态农业园", "other"), ("SMITH AND SONS", "other"),
])
def test_name_rules(name, category):
    assert category_of_name(name) == category
    assert classify_party(name) == category  # the importers' entry point reads the same rules


def test_a_short_legal_form_is_a_whole_word():
    assert category_of_name("MAGNA CARTA HOLDINGS") == "enterprise"   # HOLDINGS, a word
    assert category_of_name("AGNES MAGNUSSON") == "individual"        # "AG" inside words is no legal form


# Unified social credit codes (GB 32100-2015), check characters worked by hand.  Alphabet 0-9 A-H J-N P-R T U
# W-Y (no I O Z S V), values 0..30; weights 3^i mod 31: 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28.
# 92500118MA0000001: 9·1 + 2·3 + 5·9 + 0 + 0 + 1·26 + 1·16 + 8·17 + M(21)·20 + A(10)·29 + 1·28 = 976;
# 976 mod 31 = 15; 31 - 15 = 16 = G.
SOLE_PROPRIETOR = "92500118MA0000001G"   # 9 工商, 2 个体工商户
PUBLIC_INSTITUTION = "12500118000000020L"  # 1 机构编制, 2 事业单位: sum 290, mod 31 = 11, 31 - 11 = 20 = L
ORGAN = "11500118000000010N"               # 1 机构编制, 1 机关: sum 257, mod 31 = 9, 22 = N
PRIVATE_NON_ENTERPRISE = "52500118MJ00000103"  # 5 民政, 2 民办非企业单位: sum 1206, mod 31 = 28, 3
FOUNDATION = "53500118MJ00000201"          # 5 民政, 3 基金会: sum 1239, mod 31 = 30, 1
COOPERATIVE = "93500118MA0000030D"         # 9 工商, 3 农民专业合作社: sum 1041, mod 31 = 18, 13 = D
OTHER_AUTHORITY = "Y1500118000000040U"     # Y 其他: sum 376, mod 31 = 4, 27 = U


def test_credit_codes():
    assert category_of_credit_code(SOLE_PROPRIETOR) == "enterprise"
    assert category_of_credit_code(COOPERATIVE) == "enterprise"
    assert category_of_credit_code(ORGAN) == "government"
    assert category_of_credit_code(FOUNDATION) == "government"
    # public institutions and private non-enterprise units: a university or institute by name, else government
    assert category_of_credit_code(PUBLIC_INSTITUTION, "重庆文理学院") == "university"
    assert category_of_credit_code(PUBLIC_INSTITUTION, "重庆市农业科学院") == "institute"
    assert category_of_credit_code(PUBLIC_INSTITUTION, "重庆市永川区人民医院") == "government"
    assert category_of_credit_code(PUBLIC_INSTITUTION) == "government"
    assert category_of_credit_code(PRIVATE_NON_ENTERPRISE, "重庆永川某职业技术学院") == "university"
    assert category_of_credit_code(OTHER_AUTHORITY) is None  # no evidence: the name decides
    # invalid codes are ignored, not trusted
    assert category_of_credit_code(SOLE_PROPRIETOR[:-1] + "H") is None   # wrong check character
    assert category_of_credit_code("92500118MA000000IG") is None          # I is not in the alphabet
    assert category_of_credit_code("9250011") is None and category_of_credit_code(None) is None
    assert category_of_credit_code(SOLE_PROPRIETOR.lower()) == "enterprise"


def test_category_as_a_user_writes_it():
    assert category_key("大专院校") == "university" and category_key("机关团体") == "government"
    assert category_key(" Enterprise ") == "enterprise" and category_key("个人") == "individual"
    with pytest.raises(ValueError, match="未知的申请人类别"):
        category_key("外资企业")


@pytest.mark.parametrize(("address", "name", "stated", "country"), [
    ("日本国东京都港区芝浦一丁目1番1号", None, None, "JP"), ("美国加利福尼亚州山景城", None, None, "US"),
    ("大韩民国京畿道水原市", None, None, "KR"), ("瑞士巴塞尔", None, None, "CH"), ("德国慕尼黑", None, None, "DE"),
    ("台湾省新竹市", None, None, "TW"), ("中国台湾新竹科学园区", None, None, "TW"),
    ("香港九龙湾", None, None, "HK"), ("澳门氹仔", None, None, "MO"),
    ("402160 重庆市永川区胜利路", None, None, "CN"), ("四川省成都市武侯区", None, None, "CN"),
    ("Tokyo, Japan", None, None, "JP"), ("CH-4002 Basel, Switzerland", None, None, "CH"),
    ("1-1 Shibaura, Minato-ku, Tokyo (JP)", None, None, "JP"),
    ("Atlanta, Georgia 30332, USA", None, None, "US"),   # Georgia the state, not the country
    ("Jersey City, NJ 07302", None, None, None),         # nor Jersey the island
    (None, "重庆甲科技有限公司", None, "CN"),              # no address: the name's region
    (None, "SONY CORPORATION", "JP", "JP"), (None, "SONY CORPORATION", "ZZ", None),  # a stated code, if valid
    ("某某路1号", None, None, None),
    # countries named in the ISO table only (not short names) that begin Chinese places: a county, a town, a
    # Mongol autonomous county (蒙古族) are not Bahrain, Montenegro, Mongolia
    ("巴林左旗林东镇", None, None, "CN"), ("黑山县黑山镇", None, None, "CN"), ("蒙古族自治县城关镇", None, None, None),
    ("黑山路12号", None, None, None),
    ("智利广场，四川省成都市武侯区", None, None, "CN"),    # the address resolves in China: not Chile
    ("约旦安曼", None, None, "JO"), ("伊朗德黑兰", None, None, "IR"), ("科威特", None, None, "KW"),  # ISO names
])
def test_country_of(address, name, stated, country):
    assert country_of(address, name, stated) == country


# --- through real imports ------------------------------------------------------------------------------------

HEADER = ("申请号,申请日,公开（公告）号,公开（公告）日,申请（专利权）人,发明（设计）人,分类号,优先权,专利代理机构,"
          "代理人,国际申请,国际公布,进入国家日期,摘要,地址,名称,专利同族,专利引证,最新法律状态,法律状态,专利权状态")


def no(digits: str) -> str:
    return f"{digits}.{check_digit(digits)}"


# (application number, first applicant, address); one application each unless said
APPS = [
    (no("202110000001"), "重庆甲科技有限公司", "重庆市永川区胜利路街道人民大道1号"),      # name: enterprise
    (no("202110000002"), "重庆文理学院", "重庆市永川区红河大道319号"),                # name: university
    (no("202110000003"), "张伟", "重庆市永川区来苏镇"),                              # name: individual; code: 92
    (no("202110000004"), "重庆永川卫星湖生态农业园", "重庆市永川区卫星湖街道"),         # directory member
    (no("202110000005"), "永川机械", "重庆市永川区大安街道"),                        # unclassified
    (no("202110000006"), "永川机械", "重庆市永川区大安街道"),                        # … twice
    (no("202110000007"), "重庆永川某某生态园区", "重庆市永川区朱沱镇"),               # unclassified, once
    (no("202110000008"), "SONY CORPORATION", "日本国东京都港区"),                   # foreign
    (no("202110000009"), "台湾积体电路制造股份有限公司", "台湾省新竹市"),             # taiwan
    (no("202110000010"), "香港某某有限公司", "香港九龙湾"),                          # hk
    (no("202110000011"), "MÜLLER HANS", "德国慕尼黑"),                              # foreign individual
]


def _rows(apps: list[tuple[str, str, str]] = APPS) -> list[list[str]]:
    rows = [HEADER.split(",")]
    for i, (app_no, name, address) in enumerate(apps, 1):
        rows.append([app_no, "2021-03-01", f"CN1130000{i:02d}A", "2021-09-01", name, "发明人", "H01M10/42", "", "", "",
                     "", "", "", "摘要", address, f"一种装置{i}", "", "", "公开", "2021-09-01 公开", ""])
    return rows


def _export(path: Path, apps: list[tuple[str, str, str]] = APPS) -> Path:
    path.write_text("\n".join(",".join(f'"{c}"' for c in row) for row in _rows(apps)), encoding="utf-8")
    return path


def _directory(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["企业名称", "统一社会信用代码", "标签", "所在镇街"])
    ws.append(["张伟", SOLE_PROPRIETOR, "", ""])                 # a sole proprietor trading under his name
    ws.append(["重庆永川卫星湖生态农业园", "", "", ""])            # no code: membership only
    ws.append(["重庆文理学院", ORGAN, "", ""])                    # a code beats the name (made-up, for the order)
    wb.save(path)
    return path


@pytest.fixture
def world(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    result, errors = import_file(wh, _export(tmp_path / "cnipa.csv"))
    assert errors == [] and result.rows_inserted == len(APPS)
    _, errors = import_file(wh, _directory(tmp_path / "enterprises.xlsx"))
    assert errors == []
    yield wh
    wh.close()


def _first(wh: Warehouse) -> dict[str, dict]:
    return {r["applicant_name"]: r for r in first_applicants(wh.ibis()).to_pyarrow().to_pylist()}


def test_evidence_order_through_an_import(world):
    first = _first(world)
    got = {name: (r["applicant_type"], r["category_source"]) for name, r in first.items()}
    assert got == {
        "重庆甲科技有限公司": ("enterprise", "name"),
        "重庆文理学院": ("government", "credit_code"),             # the code (机关) beats the name (university)
        "张伟": ("individual", "name"),          # a person's name: the directory's 张伟 (个体工商户) may be another
        "重庆永川卫星湖生态农业园": ("enterprise", "directory"),   # rules say other, the directory lists it
        "永川机械": ("other", "unclassified"),
        "重庆永川某某生态园区": ("other", "unclassified"),
        "SONY CORPORATION": ("enterprise", "name"),
        "台湾积体电路制造股份有限公司": ("enterprise", "name"),
        "香港某某有限公司": ("enterprise", "name"),
        "MÜLLER HANS": ("individual", "name"),
    }
    # only a person makes a person's name something else; removing the settlement gives the name back
    settle(world.con, "张伟", "工矿企业", by="tester")
    assert (_first(world)["张伟"]["applicant_type"], _first(world)["张伟"]["category_source"]) == (
        "enterprise", "settled")
    assert unsettle(world.con, "张伟") and not unsettle(world.con, "张伟")
    assert (_first(world)["张伟"]["applicant_type"], _first(world)["张伟"]["category_source"]) == (
        "individual", "name")
    # a settlement beats the credit code too
    settle(world.con, "重庆文理学院", "大专院校", by="tester")
    assert (_first(world)["重庆文理学院"]["applicant_type"], _first(world)["重庆文理学院"]["category_source"]) == (
        "university", "settled")
    assert unsettle(world.con, "重庆文理学院")
    assert _first(world)["重庆文理学院"]["category_source"] == "credit_code"
    with pytest.raises(ValueError, match="没有申请人"):
        settle(world.con, "不存在公司", "enterprise")


def test_an_invalid_code_in_the_directory_is_ignored(world):
    # the template refuses an invalid code; a directory written otherwise may hold one (ORGAN: the check is N)
    world.con.execute("UPDATE enterprises SET credit_code = ? WHERE name = '重庆文理学院'", [ORGAN[:-1] + "P"])
    assert (_first(world)["重庆文理学院"]["applicant_type"], _first(world)["重庆文理学院"]["category_source"]) == (
        "university", "name")  # the name decides again (membership counts only where the rules found nothing)


def test_origin_of_the_first_applicant(world):
    countries = dict(world.con.execute("SELECT name, country FROM parties").fetchall())
    assert countries["SONY CORPORATION"] == "JP" and countries["MÜLLER HANS"] == "DE"
    assert countries["台湾积体电路制造股份有限公司"] == "TW" and countries["香港某某有限公司"] == "HK"
    assert countries["重庆甲科技有限公司"] == "CN"
    origins = {name: r["origin"] for name, r in _first(world).items()}
    assert origins["SONY CORPORATION"] == "foreign" and origins["MÜLLER HANS"] == "foreign"
    assert origins["台湾积体电路制造股份有限公司"] == "taiwan" and origins["香港某某有限公司"] == "hk"
    assert origins["重庆甲科技有限公司"] == "mainland" and origins["张伟"] == "mainland"


def test_an_address_abroad_is_not_placed_in_china_by_the_name(tmp_path):
    # Both names hold a Chinese region (上海, 香港), which attribution falls back to; both addresses are abroad.
    apps = [(no("202110000021"), "上海电气日本株式会社", "日本国东京都千代田区丸之内1丁目"),
            (no("202110000022"), "香港上海汇丰银行有限公司", "新加坡"),
            (no("202110000023"), "重庆甲科技有限公司", "重庆市永川区胜利路街道人民大道1号")]
    with Warehouse(tmp_path / "w.duckdb") as wh:
        _, errors = import_file(wh, _export(tmp_path / "cnipa.csv", apps))
        assert errors == []
        parties = {r[0]: r[1:] for r in wh.con.execute(
            "SELECT name, country, province_code, town_code FROM parties").fetchall()}
        assert parties["上海电气日本株式会社"] == ("JP", None, None)      # not 310000 by the name
        assert parties["香港上海汇丰银行有限公司"] == ("SG", None, None)    # not 810000 by the name
        assert parties["重庆甲科技有限公司"][:2] == ("CN", "500000")
        first = _first(wh)
        assert first["上海电气日本株式会社"]["origin"] == "foreign"
        assert first["香港上海汇丰银行有限公司"]["origin"] == "foreign"
        assert first["重庆甲科技有限公司"]["origin"] == "mainland"
        # an older warehouse kept the name's province beside the address's country: the country decides
        wh.con.execute("UPDATE parties SET province_code = '810000' WHERE name = '香港上海汇丰银行有限公司'")
        wh.con.execute("UPDATE parties SET province_code = '310000' WHERE name = '上海电气日本株式会社'")
        first = _first(wh)
        assert first["上海电气日本株式会社"]["origin"] == "foreign"
        assert first["香港上海汇丰银行有限公司"]["origin"] == "foreign"
        # a town assigned by hand beats the country: the person says where the applicant is
        town = next(t for t in towns_of("500118") if t.name == "卫星湖街道")
        assign(wh.con, "上海电气日本株式会社", town, by="tester")
        placed = _first(wh)["上海电气日本株式会社"]
        assert (placed["origin"], placed["town_code"]) == ("mainland", town.code)
        assert list(first["重庆甲科技有限公司"]) == list(placed)  # the columns stay as they were


def test_unclassified_listing(world):
    rows, summary = unclassified(world.ibis(), None, limit=10)
    assert rows == [
        {"name": "永川机械", "applications": 2, "address": "重庆市永川区大安街道"},
        {"name": "重庆永川某某生态园区", "applications": 1, "address": "重庆市永川区朱沱镇"},
    ]
    assert summary == {"applicants": 2, "applications": 3, "all_applications": 11, "share": 3 / 11}
    rows, _ = unclassified(world.ibis(), "500118", limit=1)  # the district's, most applications first
    assert [r["name"] for r in rows] == ["永川机械"]
    settle(world.con, "永川机械", "enterprise", by="tester")
    rows, summary = unclassified(world.ibis(), None)
    assert [r["name"] for r in rows] == ["重庆永川某某生态园区"] and summary["applications"] == 1


def test_reimport_is_unchanged(world, tmp_path):
    # the same rows in another file (an xlsx of the same export): nothing changes, the countries included
    result, errors = import_file(world, write_xlsx(tmp_path / "cnipa.xlsx", _rows(), title="专利检索导出"))
    assert errors == []
    assert (result.rows_inserted, result.rows_updated, result.rows_unchanged) == (0, 0, len(APPS))


runner = CliRunner()


def hvp(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_cli(world, tmp_path):
    db = str(world.path)
    world.close()
    listed = hvp("applicants", "unclassified", "--db", db)
    assert listed.exit_code == 0, listed.output
    assert "永川机械" in listed.output and "未分类：申请人 2 个，申请件 3 件" in listed.output
    done = hvp("applicants", "classify", "永川机械", "工矿企业", "--by", "tester", "--db", db)
    assert done.exit_code == 0, done.output
    assert "已将「永川机械」（2 件）认定为 工矿企业 / enterprise" in done.output
    bad = hvp("applicants", "classify", "永川机械", "外资企业", "--db", db)
    assert bad.exit_code == 2 and "未知的申请人类别" in bad.output
    counts = hvp("applicants", "categories", "--db", db)
    assert counts.exit_code == 0, counts.output
    line = next(li for li in counts.output.splitlines() if "人工认定" in li)
    cells = [c.strip() for c in line.split("│") if c.strip()]
    assert cells == ["工矿企业 / enterprise", "职务 / service", "人工认定 / settled by a person", "1", "2"]
    wh = Warehouse(Path(db), read_only=True)
    try:
        assert _first(wh)["永川机械"]["applicant_type"] == "enterprise"
    finally:
        wh.close()
    undone = hvp("applicants", "unclassify", "永川机械", "--db", db)
    assert undone.exit_code == 0 and "已取消" in undone.output
    assert "永川机械" in hvp("applicants", "unclassified", "--db", db).output


def test_cli_prints_names_as_text_and_refuses_an_unknown_region(world):
    # a name with rich markup in it: the error (no such applicant), the listing and the settlement print it as is
    world.con.execute("UPDATE parties SET name = '永川[/red]机械', name_norm = ? WHERE name = '永川机械'",
                      [normalize_name("永川[/red]机械")])
    db = str(world.path)
    world.close()
    missing = hvp("applicants", "classify", "[/red]", "个人", "--db", db)
    assert missing.exit_code == 2 and "仓库中没有申请人「[/red]」" in missing.output
    listed = hvp("applicants", "unclassified", "--db", db)
    assert listed.exit_code == 0 and "永川[/red]机械" in listed.output
    done = hvp("applicants", "classify", "永川[/red]机械", "工矿企业", "--by", "tester", "--db", db)
    assert done.exit_code == 0 and "已将「永川[/red]机械」（2 件）认定为 工矿企业 / enterprise" in done.output
    # an unknown region code is refused, not read as a region without unclassified applicants
    for command in ("unclassified", "categories"):
        bad = hvp("applicants", command, "--region", "12", "--db", db)
        assert bad.exit_code == 2 and "未知区划代码「12」" in bad.output, bad.output
        assert "所有第一申请人均已分类" not in bad.output
    district = hvp("applicants", "unclassified", "--region", "500118", "--db", db)
    assert district.exit_code == 0 and "重庆永川某某生态园区" in district.output


def test_parties_typed_by_older_rules_follow_the_current_rules_at_the_next_refresh(world):
    from hvpatent.indicators import refresh_derived
    from hvpatent.reference.applicant_categories import PARTY_TYPES

    refresh_derived(world)
    assert _first(world)["SONY CORPORATION"]["applicant_type"] == "enterprise"
    # as if SONY CORPORATION had been imported under older rules, which knew no CORPORATION
    world.con.execute("UPDATE parties SET party_type = 'other' WHERE name = 'SONY CORPORATION'")
    world.con.execute("UPDATE derived_meta SET fingerprint = 'older-rules' WHERE name = ?", [PARTY_TYPES])
    world.con.execute("UPDATE derived_meta SET fingerprint = 'older-rules' WHERE name = 'first_applicants'")
    assert _first(world)["SONY CORPORATION"]["applicant_type"] == "other"
    refresh_derived(world)
    assert world.con.execute("SELECT DISTINCT party_type FROM parties WHERE name = 'SONY CORPORATION'"
                             ).fetchall() == [("enterprise",)]
    assert _first(world)["SONY CORPORATION"]["applicant_type"] == "enterprise"  # the stored table, rebuilt
    # the rules unchanged since: the next refresh does not read the parties again (the digest matches)
    world.con.execute("UPDATE parties SET party_type = 'other' WHERE name = 'SONY CORPORATION'")
    refresh_derived(world)
    assert world.con.execute("SELECT DISTINCT party_type FROM parties WHERE name = 'SONY CORPORATION'"
                             ).fetchall() == [("other",)]


def test_parties_without_a_country_get_one_at_the_next_refresh(world):
    from hvpatent.indicators import refresh_derived
    from hvpatent.reference.countries import PARTY_COUNTRIES
    from hvpatent.warehouse.derived import forget

    refresh_derived(world)
    # as in a warehouse older than the column: every country NULL, no digest, the stored table older too; the
    # importer then also placed SONY CORPORATION by its name (made up: 310000); a country stated by a source stays
    world.con.execute("UPDATE parties SET country = NULL")
    world.con.execute("UPDATE parties SET province_code = '310000', town_source = 'name' "
                      "WHERE name = 'SONY CORPORATION'")
    world.con.execute("UPDATE parties SET country = 'AT' WHERE name = 'MÜLLER HANS'")
    world.con.execute("DELETE FROM derived_meta WHERE name = ?", [PARTY_COUNTRIES])
    forget(world.con, "first_applicants")
    before = {name: r["origin"] for name, r in _first(world).items()}
    assert before["SONY CORPORATION"] == "mainland" and before["香港某某有限公司"] == "hk"   # by the province
    assert before["台湾积体电路制造股份有限公司"] == "taiwan" and before["MÜLLER HANS"] == "foreign"
    refresh_derived(world)
    countries = dict(world.con.execute("SELECT name, country FROM parties").fetchall())
    assert countries["SONY CORPORATION"] == "JP" and countries["重庆甲科技有限公司"] == "CN"
    assert countries["MÜLLER HANS"] == "AT"  # not overwritten by the address's DE
    assert countries["香港某某有限公司"] == "HK" and countries["台湾积体电路制造股份有限公司"] == "TW"
    assert world.con.execute("SELECT province_code, town_source FROM parties WHERE name = 'SONY CORPORATION'"
                             ).fetchall() == [(None, None)]  # abroad: not placed by the name
    origins = {name: r["origin"] for name, r in _first(world).items()}  # the stored table, rebuilt
    assert origins["SONY CORPORATION"] == "foreign" and origins["MÜLLER HANS"] == "foreign"
    assert origins["重庆甲科技有限公司"] == "mainland" and origins["香港某某有限公司"] == "hk"
    # the rules unchanged since: the next refresh does not read the parties again (the digest matches)
    world.con.execute("UPDATE parties SET country = NULL WHERE name = 'SONY CORPORATION'")
    refresh_derived(world)
    assert world.con.execute("SELECT country FROM parties WHERE name = 'SONY CORPORATION'").fetchall() == [(None,)]


def test_a_reimport_after_a_rules_change_is_unchanged(tmp_path, monkeypatch):
    """party_type is part of an application's content hash: the refresh that retypes parties recomputes it."""
    from hvpatent.indicators import refresh_derived
    from hvpatent.ingest import spreadsheet
    from hvpatent.reference.applicant_categories import PARTY_TYPES

    older = {"SONY CORPORATION": "other", "MÜLLER HANS": "other"}  # older rules knew no CORPORATION, no Latin names
    with monkeypatch.context() as m:
        m.setattr(spreadsheet, "classify_party", lambda name: older.get(name) or category_of_name(name))
        with Warehouse(tmp_path / "w.duckdb") as wh:
            result, errors = import_file(wh, _export(tmp_path / "cnipa.csv"))
            assert errors == [] and result.rows_inserted == len(APPS)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        assert wh.con.execute("SELECT party_type FROM parties WHERE name = 'SONY CORPORATION'").fetchall() == [
            ("other",)]
        wh.con.execute("INSERT OR REPLACE INTO derived_meta VALUES (?, 'older-rules', now())", [PARTY_TYPES])
        refresh_derived(wh)  # the current rules: two parties retyped
        assert wh.con.execute("SELECT party_type FROM parties WHERE name IN ('SONY CORPORATION', 'MÜLLER HANS') "
                              "ORDER BY name").fetchall() == [("individual",), ("enterprise",)]
        # the same rows in another file (the same export as xlsx), read by the current rules
        result, errors = import_file(wh, write_xlsx(tmp_path / "cnipa.xlsx", _rows(), title="专利检索导出"))
        assert errors == []
        assert (result.rows_inserted, result.rows_updated, result.rows_unchanged) == (0, 0, len(APPS))
        assert wh.con.execute("SELECT count(*) FROM application_history").fetchall() == [(0,)]
