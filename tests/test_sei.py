"""The shipped SEI ↔ IPC fact table (CNIPA 2021 table + IPC concordance) and its matching.

One warehouse per module; every IPC code under test is one application with that code, matched in one query.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from hvpatent.indicators.base import sei_matches
from hvpatent.reference.sei import BUILTIN_SOURCE, builtin_rules
from hvpatent.warehouse.store import Warehouse

HERE = Path(__file__).parent
SOURCE = HERE.parent.parent / "shared" / "data" / "sei-ipc" / "sei_ipc_2021.csv"
SAMPLE = HERE / "fixtures" / "sei" / "roy_tian_sample.csv"

# 国家统计局《战略性新兴产业分类（2018）》 first and second level, as the 2021 table uses them.
INDUSTRIES = {"1": "新一代信息技术产业", "2": "高端装备制造产业", "3": "新材料产业", "4": "生物产业",
              "5": "新能源汽车产业", "6": "新能源产业", "7": "节能环保产业", "8": "数字创意产业", "9": "相关服务业"}
CATEGORIES = {
    "1.1": "下一代信息网络产业", "1.2": "电子核心产业", "1.3": "新兴软件和新型信息技术服务",
    "1.4": "互联网与云计算、大数据服务", "1.5": "人工智能", "2.1": "智能制造装备产业", "2.2": "航空装备产业",
    "2.3": "卫星及应用产业", "2.4": "轨道交通装备产业", "2.5": "海洋工程装备产业", "3.1": "先进钢铁材料",
    "3.2": "先进有色金属材料", "3.3": "先进石化化工新材料", "3.4": "先进无机非金属材料",
    "3.5": "高性能纤维及制品和复合材料", "3.6": "前沿新材料", "3.7": "新材料相关服务", "4.1": "生物医药产业",
    "4.2": "生物医学工程产业", "4.3": "生物农业及相关产业", "4.4": "生物质能产业", "4.5": "其他生物业",
    "5.1": "新能源汽车整车制造", "5.2": "新能源汽车装置、配件制造", "5.3": "新能源汽车相关设施制造",
    "5.4": "新能源汽车相关服务", "6.1": "核电产业", "6.2": "风能产业", "6.3": "太阳能产业",
    "6.4": "生物质能及其他新能源产业", "6.5": "智能电网产业", "7.1": "高效节能产业", "7.2": "先进环保产业",
    "7.3": "资源循环利用产业", "8.1": "数字创意技术设备制造", "8.2": "数字文化创意活动", "8.3": "设计服务",
    "8.4": "数字创意与融合服务", "9.1": "新技术与创新创业服务", "9.2": "其他相关服务",
}


def fact_rows() -> list[dict]:
    from importlib import resources

    text = resources.files("hvpatent.reference").joinpath("sei_ipc_2021.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def codes_of(wh: Warehouse, ipcs: list[str], titles: dict[str, str] | None = None) -> dict[str, set[str]]:
    """The SEI codes the warehouse's rules give each IPC code (one application per code, app_no = the code)."""
    titles = titles or {}
    wh.con.execute("DELETE FROM ipc_classes")
    wh.con.execute("DELETE FROM applications")
    wh.con.executemany("INSERT INTO ipc_classes VALUES (?, 1, ?, true)", [[c, c] for c in ipcs])
    wh.con.executemany(
        "INSERT INTO applications (app_no, patent_type, filing_date, title, source, row_hash, first_import_id,"
        " last_import_id) VALUES (?, 'invention', DATE '2020-01-01', ?, 'test', '', 0, 0)",
        [[c, titles.get(c, "一种装置")] for c in ipcs])
    result: dict[str, set[str]] = {c: set() for c in ipcs}
    for app_no, code in sei_matches(wh.ibis()).select("app_no", "code").execute().itertuples(index=False):
        result[app_no].add(code)
    return result


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    with Warehouse(tmp_path_factory.mktemp("sei") / "sei.duckdb") as warehouse:
        yield warehouse


def test_the_table_has_the_9_industries_and_40_categories_with_official_names():
    rows = fact_rows()
    assert {r["industry_code"]: r["industry_name"] for r in rows} == INDUSTRIES
    assert {r["sei_code"]: r["sei_name"] for r in rows} == CATEGORIES
    assert all(r["source_note"] for r in rows)
    assert {r.code for r in builtin_rules()} == set(CATEGORIES)


def test_a_new_warehouse_holds_the_shipped_table(wh):
    assert wh.con.execute("SELECT DISTINCT source FROM sei_rules").fetchall() == [(BUILTIN_SOURCE,)]
    assert wh.count("sei_rules") == len(fact_rows())


# -- (b) matching reproduces the source table ------------------------------------------------------------------

def _entry(pattern: str) -> tuple[str, bool]:
    """A source pattern read by PROVENANCE.md's convention, written independently of the product's code:
    (code as stored, covers its subtree)."""
    star = pattern.endswith("*")
    text = pattern.rstrip("*")
    if re.fullmatch(r"[A-H]\d\d[A-Z]?", text):
        return text, True
    if re.fullmatch(r"[A-H]\d\d[A-Z]\d+", text):
        return text + "/00", True
    return text, star


def _inside(code: str, entry: tuple[str, bool]) -> bool:
    base, subtree = entry
    if not subtree:
        return code == base
    if base.endswith("/00"):
        return code.startswith(base[:-2])
    return code.startswith(base)


def _samples(entry: tuple[str, bool]) -> list[str]:
    """Codes inside an entry (and, for an exact group, a deeper code that is not)."""
    base, subtree = entry
    if len(base) == 3:
        return [base + "Z99/00"]
    if len(base) == 4:
        return [base + "99/00", base + "1/00"]
    if subtree:
        return [base, base[:-2] + "/987"]
    return [base, base + "987"]


def _expected(source: list[dict]) -> dict[str, set[str]]:
    """Codes of every pattern and exclusion of the source, with the categories the source gives them: inside a
    pattern and not under an exclusion of its block, unless that exclusion is the pattern itself."""
    entries = [(r["sei_code"], _entry(r["ipc_pattern"]), [_entry(e) for e in r["exclusions"].split("|") if e])
               for r in source]
    codes = {c for _, pat, excl in entries for e in [pat, *excl] for c in _samples(e)}
    by_class: dict[str, list] = {}
    for item in entries:
        by_class.setdefault(item[1][0][:3], []).append(item)
    expected = {}
    for code in codes:
        expected[code] = {
            sei for sei, pat, excl in by_class.get(code[:3], [])
            if _inside(code, pat) and not any(_inside(code, e) and not _covers(e, pat) for e in excl)}
    return expected


def _covers(excl: tuple[str, bool], pat: tuple[str, bool]) -> bool:
    return _inside(pat[0], excl) and (excl[1] or not pat[1])


@pytest.mark.skipif(not SOURCE.exists(), reason="../shared/data/sei-ipc/ is not present (source table not shipped)")
def test_matching_reproduces_every_row_of_the_source_table(wh):
    source = list(csv.DictReader(SOURCE.open(encoding="utf-8")))
    assert len(source) == 1689
    expected = _expected(source)
    # Keyword conditions are the table's too: give every application the terms, so that codes alone decide.
    got = codes_of(wh, sorted(expected), {c: "汽车 稀土 纤维 控制系统 区块链 量子计算 人脑" for c in expected})
    # Rows the concordance added only ever add categories to codes of the new IPC edition, none of which the
    # source writes, so the comparison is exact.
    wrong = {c: (expected[c], got[c]) for c in expected if expected[c] != got[c]}
    assert not wrong, list(wrong.items())[:10]
    assert len(expected) > 3000
    # The fixes PROVENANCE.md calls for: H04B7/14 is in 1.1 although its block excludes it; an exact pattern
    # does not take the codes below it.
    assert got["H04B7/14"] == {"1.1"} and expected["G06F9/44"] == {"1.5"}


def test_exact_and_subtree_patterns(wh):
    got = codes_of(wh, ["G06F9/44", "G06F9/445", "G06F11/14", "G06F11/10", "G16H50/20", "G16H50/50", "H03M13/09"],
                   {"H03M13/09": "一种区块链平行链数据纠错方法", "G16H50/50": "一种癫痫发作预测方法"})
    assert got["G06F9/44"] == {"1.5"}          # written without *: that entry alone ...
    assert got["G06F9/445"] == {"1.3"}         # ... its subgroup is listed separately, elsewhere
    assert "1.1" not in got["G06F11/14"]       # excluded (「不含G06F11/14」) from the G06F11* block of 1.1
    assert "1.1" in got["G06F11/10"]
    assert "1.5" not in got["G16H50/20"]       # 'G16H' (no *) is the whole subclass, but only with brain terms
    assert "1.5" in got["G16H50/50"]
    assert "1.3" in got["H03M13/09"]           # 'H03M13' (no *): the whole main group, with blockchain terms


def test_keyword_conditions_apply_only_where_the_table_states_them(wh):
    car, plain = "一种电动汽车用锂离子电池", "一种锂离子电池"
    got = codes_of(wh, ["H01M10/052", "H01M4/131", "A23L33/10"],
                   {"H01M10/052": car, "H01M4/131": plain, "A23L33/10": "一种饼干"})
    assert got["H01M10/052"] == {"5.2"}        # 「汽车相关关键词」: a condition, met
    assert got["H01M4/131"] == set()           # the same block without the terms
    # 「虾青素、叶黄素等海洋食品制造」 describes the A23L* block of 4.5: no condition, a biscuit counts too.
    assert "4.5" in got["A23L33/10"]


def test_roy_tian_sample_matches_except_where_the_concordance_moves_new_codes(wh):
    """roy-tian/cn-patent-ipc (MIT) expands the table to exact codes without a concordance: new subgroups carved
    out of G06N3/04 and G06N3/08 fall to its broad G06N* (1.4) and G06F18 to G06F* (1.1); ours follow their old
    code (1.5). Everything else of the sample must agree."""
    lines = [line for line in SAMPLE.open(encoding="utf-8") if not line.startswith("#")]
    sample = {r["ipc"]: r["sei_code"] for r in csv.DictReader(lines)}
    moved = {"G06F18/30", "G06F18/40", "G06N3/045", "G06N3/065", "G06N3/084"}
    got = codes_of(wh, sorted(sample))
    assert {c: got[c] for c in sample if c not in moved} == {c: {sample[c]} for c in sample if c not in moved}
    assert all(got[c] == {"1.5"} for c in moved)


def test_old_codes_and_their_current_codes_fall_in_the_same_category(wh):
    car = "一种新能源汽车电池包"
    pairs = [("H01M2/10", "H01M50/20"), ("H01M2/10", "H01M50/249"), ("A61B5/0476", "A61B5/372"),
             ("G06K9/62", "G06F18/24"), ("H01L51/50", "H10K50/11"), ("H04L12/24", "H04L41/0806")]
    codes = sorted({c for pair in pairs for c in pair})
    got = codes_of(wh, codes, {c: car for c in codes})
    for old, new in pairs:
        assert got[old] and got[old] == got[new], (old, new, got[old], got[new])
    assert got["H01M50/20"] == {"5.2"}  # H01M2* of 5.2, with its 「汽车相关关键词」


def test_an_old_builtin_table_is_upgraded_and_an_imported_one_kept(tmp_path):
    from hvpatent.reference.classification import make_rule

    old_rules = [make_rule("1.1", "下一代信息网络产业", "H04L")]
    path = tmp_path / "old.duckdb"
    with Warehouse(path) as wh:
        wh.replace_sei_rules(old_rules, "hvpatent built-in approximation (docs/indicators.md)")
    with Warehouse(path) as wh:  # opened by the new version
        assert wh.con.execute("SELECT DISTINCT source FROM sei_rules").fetchall() == [(BUILTIN_SOURCE,)]
        assert wh.count("sei_rules") == len(fact_rows())
        wh.replace_sei_rules(old_rules, "参照关系表.xlsx")
    with Warehouse(path) as wh:
        assert wh.con.execute("SELECT DISTINCT source FROM sei_rules").fetchall() == [("参照关系表.xlsx",)]
        assert wh.count("sei_rules") == 1
