"""The rules on near-identical texts (supervision/duplicates.py, docs/abnormal.md "near-duplicates"): each at its
boundaries on a tiny warehouse built by hand, shared by the module.

Every group below has a topic of its own (no two topics share more than a word or two), and its members carry the
same text unless said, so their estimated similarity is 1.0 and the pairs between topics are far below any
threshold used.  Applicants are in district 500118 (domestic: the default region).

  W1 W2 W3   topic W, filed 2021-01-01, 2021-01-01, 2023-01-01 (730 days later); three applicants, three agencies
  M1 M2 M3   topic M, filed 2022-03-01..03; three applicants, no agency, no address
  T1 T2      topic T1: 甲's invention and utility model on the same day 2022-05-01 (同日申请: never paired)
  D1 D2      topic T2: 甲's invention 2022-05-01 and utility model 2022-05-02 (a day apart: paired)
  E1 E2      topic T3: invention (甲) and utility model (乙) on 2022-05-01 (different applicants: paired)
  X1 X2 X3   topic X: 甲's same-day twins X1 (invention) and X2 (utility model) 2022-07-01, and 乙's X3 2022-08-01:
             the twin counts once, so the group counts 2
  A1 A2 A3   topic A, filed 2024-12-30, 2024-12-31 and 2025-01-01 (AS_OF is 2024-12-31)
  O1 O2 O3   topic O: three applicants through one agency (spelt with full-width brackets and a space on O3)
  N1 N2      topic N: 丙科技 and 丙新科技 (two names), no agency, one address spelt two ways
  S1 S2      topic S: one applicant (one name) twice through one agency
  H1 H2      topic H: two texts one word apart (the similarity is read from text.signatures)
  L1..L6     topic L over 4 years: L1-L3 2019-01-01..03, L4 L5 2021-06-01..02, L6 2023-06-01 (730 days after L4)
  C1 C2 C3   bare identical titles, shorter than text.min_chars: never compared
  V1 V2 V3   designs with one long identical text: designs are never compared
  F1 F2      short title and abstract with an identical long first claim (table claims): compared
  G1 G2 G3   topic G: three applicants through one agency spelt "(50077)名", "名（普通合伙）" and "名(普通合伙) 50077":
             one agency key (agencies.agency_keys: the spelling without code joins the coded one)
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from hvpatent.supervision import text as search
from hvpatent.supervision.config import config_from
from hvpatent.supervision.duplicates import NearGroups, _closest, name_variants, near_duplicate, near_groups, norm_key
from hvpatent.supervision.flags import RuleContext, flag_applications
from hvpatent.warehouse.store import Warehouse

AS_OF = date(2024, 12, 31)
TOWN = "500118001000"
JIA, YI, BING = "重庆甲科技有限公司", "重庆乙机械有限公司", "重庆丙科技有限公司"
AGENCY = "重庆红博专利代理事务所(普通合伙)"
HONGCHUAN = ("(50077)重庆红川专利代理事务所", "重庆红川专利代理事务所（普通合伙）",
             "重庆红川专利代理事务所(普通合伙) 50077")

TOPICS = {
    "W": ("一种用于隧道掘进的盾构机刀盘冷却装置",
          "本实用新型公开了一种盾构机刀盘冷却装置，包括环形水套、分流阀和温度传感器，能够在掘进过程中持续降低刀盘温度。"),
    "M": ("一种茶叶杀青用滚筒炒锅",
          "本发明涉及茶叶加工领域，滚筒内壁设有螺旋导叶，电"
          "磁加热线圈均匀包覆筒体，使鲜叶受热一致、杀青充分。"),
    "T1": ("一种锂电池极片辊压机的纠偏机构",
           "纠偏机构由光电检测头、伺服电缸和摆动辊组成，"
           "极片跑偏时自动调整，提高了辊压精度和成品率。"),
    "T2": ("一种火锅底料自动炒制设备",
           "设备包括搅拌桨、导热油夹套和出料螺杆，牛"
           "油与辣椒按程序分段投放，炒制火候稳定可控。"),
    "T3": ("一种摩托车发动机缸头散热片",
           "散热片采用铝合金压铸成型，翅片间距由前向"
           "后逐渐加宽，骑行时气流带走缸头热量更快。"),
    "X": ("一种柑橘分选输送线",
          "输送线设有视觉相机和气动拨叉，按果径与表"
          "皮瑕疵分级，柑橘在滚轴上翻转以便全面拍摄。"),
    "A": ("一种桥梁伸缩缝防水橡胶条",
          "橡胶条截面呈双峰形，内部嵌有钢丝骨架，安"
          "装后与型钢卡槽紧密贴合，雨水不会渗入梁端。"),
    "O": ("一种中药饮片切片机的进料压板",
          "压板由气缸驱动上下浮动，药材在进料时被"
          "柔性压紧，切出的饮片厚薄均匀且不易碎裂。"),
    "N": ("一种智能快递柜的格口门锁",
          "门锁采用电磁吸合与机械钩舌双重锁止，断电"
          "时仍保持关闭，取件码验证后格口门自动弹开。"),
    "S": ("一种混凝土试块养护箱",
          "养护箱内置超声波加湿器和半导体制冷片，温湿"
          "度闭环控制，试块养护条件符合国家标准要求。"),
    "H": ("一种玻璃幕墙清洗机器人",
          "机器人利用负压吸盘附着于幕墙表面，滚刷与喷淋组"
          "件配合清洗，沿导轨自上而下完成作业，清洗效率高。"),
    "H'": ("一种玻璃幕墙清洗机器人",
           "机器人利用负压吸盘附着于幕墙表面，滚刷与喷淋组"
           "件配合清洗，沿钢索自上而下完成作业，清洗效率高。"),
    "L": ("一种养蜂用自动取蜜摇蜜机",
          "摇蜜机由不锈钢桶体、可拆卸巢框架和变频电机组成，巢脾放入框架后离心甩"
          "出蜂蜜，桶底设过滤网和放蜜阀，减轻了蜂农劳动强度。"),
    "C": ("一种水杯", None),
    "V": ("保温水杯（外观）",
          "本外观设计产品用于盛装饮用水并保持水温，设计要点在于杯身与杯盖的形状，最能表明设计要点的图片为立体图。"),
    "F": ("一种自行车车锁", "车锁。"),
    "G": ("一种陶瓷釉料球磨机的衬板",
          "衬板由高铝陶瓷块拼装，块间留有"
          "缓冲胶条，球磨时噪声低、磨损小，更换方便快捷。"),
}
FIRST_CLAIM_F = ("1. 一种自行车车锁，其特征在于：包括锁体、锁舌和密码转轮，"
                 "所述密码转轮设于锁体侧面，所述锁舌与转轮联动。")

# app_no, patent_type, filing date, topic, applicant, agency, address
APPS = [
    ("W1", "invention", date(2021, 1, 1), "W", "重庆甲一科技有限公司", "重庆甲专利代理事务所", None),
    ("W2", "invention", date(2021, 1, 1), "W", "重庆甲二科技有限公司", "重庆乙专利代理事务所", None),
    ("W3", "invention", date(2023, 1, 1), "W", "重庆甲三科技有限公司", "重庆丙专利代理事务所", None),
    ("M1", "invention", date(2022, 3, 1), "M", "张一", None, None),
    ("M2", "invention", date(2022, 3, 2), "M", "张二", None, None),
    ("M3", "utility_model", date(2022, 3, 3), "M", "张三", None, None),
    ("T1", "invention", date(2022, 5, 1), "T1", JIA, None, None),
    ("T2", "utility_model", date(2022, 5, 1), "T1", JIA, None, None),
    ("D1", "invention", date(2022, 5, 1), "T2", JIA, None, None),
    ("D2", "utility_model", date(2022, 5, 2), "T2", JIA, None, None),
    ("E1", "invention", date(2022, 5, 1), "T3", JIA, None, None),
    ("E2", "utility_model", date(2022, 5, 1), "T3", YI, None, None),
    ("X1", "invention", date(2022, 7, 1), "X", JIA, None, None),
    ("X2", "utility_model", date(2022, 7, 1), "X", JIA, None, None),
    ("X3", "invention", date(2022, 8, 1), "X", YI, None, None),
    ("A1", "invention", date(2024, 12, 30), "A", "李一", None, None),
    ("A2", "invention", date(2024, 12, 31), "A", "李二", None, None),
    ("A3", "invention", date(2025, 1, 1), "A", "李三", None, None),
    ("O1", "invention", date(2023, 4, 1), "O", "重庆峰一科技有限公司", AGENCY, None),
    ("O2", "invention", date(2023, 4, 20), "O", "重庆峰二科技有限公司", AGENCY, None),
    ("O3", "invention", date(2023, 5, 1), "O", "重庆峰三科技有限公司", "重庆红博专利代理事务所（普通合伙） ", None),
    ("N1", "invention", date(2023, 6, 1), "N", BING, None, "重庆市永川区 星光大道１２号"),
    ("N2", "invention", date(2023, 9, 1), "N", "重庆丙新科技有限公司", None, "重庆市永川区星光大道12号"),
    ("S1", "invention", date(2023, 6, 1), "S", YI, AGENCY, None),
    ("S2", "invention", date(2023, 7, 1), "S", YI, AGENCY, None),
    ("H1", "invention", date(2023, 8, 1), "H", "王一", None, None),
    ("H2", "invention", date(2023, 8, 2), "H'", "王二", None, None),
    ("L1", "invention", date(2019, 1, 1), "L", "孙一", None, None),
    ("L2", "invention", date(2019, 1, 2), "L", "孙二", None, None),
    ("L3", "invention", date(2019, 1, 3), "L", "孙三", None, None),
    ("L4", "invention", date(2021, 6, 1), "L", "孙四", None, None),
    ("L5", "invention", date(2021, 6, 2), "L", "孙五", None, None),
    ("L6", "invention", date(2023, 6, 1), "L", "孙六", None, None),
    ("C1", "design", date(2023, 1, 1), "C", "赵一", None, None),
    ("C2", "design", date(2023, 1, 2), "C", "赵二", None, None),
    ("C3", "design", date(2023, 1, 3), "C", "赵三", None, None),
    ("V1", "design", date(2023, 1, 1), "V", "赵一", None, None),
    ("V2", "design", date(2023, 1, 2), "V", "赵二", None, None),
    ("V3", "design", date(2023, 1, 3), "V", "赵三", None, None),
    ("F1", "invention", date(2023, 2, 1), "F", "钱一", None, None),
    ("F2", "invention", date(2023, 2, 2), "F", "钱二", None, None),
    ("G1", "invention", date(2023, 10, 1), "G", "重庆川一科技有限公司", HONGCHUAN[0], None),
    ("G2", "invention", date(2023, 10, 2), "G", "重庆川二科技有限公司", HONGCHUAN[1], None),
    ("G3", "invention", date(2023, 10, 3), "G", "重庆川三科技有限公司", HONGCHUAN[2], None),
]


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory):
    wh = Warehouse(Path(tmp_path_factory.mktemp("dups")) / "d.duckdb")
    for app_no, ptype, filed, topic, applicant, agency, address in APPS:
        title, abstract = TOPICS[topic]
        wh.con.execute("INSERT INTO applications (app_no, patent_type, filing_date, title, abstract, agency, source, "
                       "row_hash, first_import_id, last_import_id) VALUES (?, ?, ?, ?, ?, ?, 'test', 'h', 1, 1)",
                       [app_no, ptype, filed, title, abstract, agency])
        kind = "individual" if len(applicant) <= 3 else "enterprise"
        wh.con.execute("INSERT INTO parties (app_no, seq, role, name, name_norm, party_type, address, province_code, "
                       "city_code, county_code, town_code, country) "
                       "VALUES (?, 1, 'applicant', ?, ?, ?, ?, '500000', '500100', '500118', ?, 'CN')",
                       [app_no, applicant, applicant, kind, address, TOWN])
    for app_no in ("F1", "F2"):
        wh.con.execute("INSERT INTO claims VALUES (?, ?, 'test')", [app_no, FIRST_CLAIM_F])
    yield wh.ibis()
    wh.close()


# The settings the expected values were worked under (pinned: a change of the shipped file does not move them)
BASE = {"near_duplicate": {"threshold": 0.8, "min_cluster": 3, "window_days": 730}, "name_variants": {"min_names": 2}}


def cfg(**rules: dict):
    """The BASE settings with some keys of the rules changed."""
    return config_from({"rules": {name: {**BASE[name], **rules.get(name, {})} for name in BASE}}, "test")


def flagged(con, rule: str, as_of: date = AS_OF, **rules: dict) -> list[str]:
    return [f.app_no for f in flag_applications(con, as_of, config=cfg(**rules), rules=[rule])]


def by_app(con, rule: str, **rules: dict) -> dict:
    return {f.app_no: f for f in flag_applications(con, AS_OF, config=cfg(**rules), rules=[rule])}


def test_base_settings_flag_the_groups_of_three(con):
    # threshold 0.8, min_cluster 3, window 730: L (cut in two), W (span 730 days), M, O; X counts 2 (a twin), A has
    # 2 by AS_OF
    assert flagged(con, "near_duplicate") == ["G1", "G2", "G3", "L1", "L2", "L3", "L4", "L5", "L6", "M1", "M2", "M3",
                                              "O1", "O2", "O3", "W1", "W2", "W3"]


@pytest.mark.parametrize(("window", "expected"), [(729, []), (730, ["W1", "W2", "W3"]), (731, ["W1", "W2", "W3"])])
def test_window_days_day_before_of_after(con, window, expected):
    found = flagged(con, "near_duplicate", near_duplicate={"window_days": window})
    assert [a for a in found if a.startswith("W")] == expected


@pytest.mark.parametrize(("min_cluster", "expected"), [(3, ["M1", "M2", "M3"]), (4, [])])
def test_min_cluster_n_and_n_plus_one(con, min_cluster, expected):
    found = flagged(con, "near_duplicate", near_duplicate={"min_cluster": min_cluster})
    assert [a for a in found if a.startswith("M")] == expected


def test_same_day_invention_and_utility_model_of_one_applicant_not_paired(con):
    found = flagged(con, "near_duplicate", near_duplicate={"min_cluster": 2})
    assert "T1" not in found and "T2" not in found
    assert {"D1", "D2"} <= set(found)  # a day apart
    assert {"E1", "E2"} <= set(found)  # different applicants


def test_same_day_twin_counts_once_and_is_not_the_closest(con):
    assert not [a for a in flagged(con, "near_duplicate") if a.startswith("X")]  # 2 counted < min_cluster 3
    flags = by_app(con, "near_duplicate", near_duplicate={"min_cluster": 2})
    assert [a for a in flags if a.startswith("X")] == ["X1", "X2", "X3"]
    assert flags["X1"].evidence["closest"] == "X3"  # not its twin X2
    assert flags["X3"].evidence["closest"] == "X1"  # the first of the equally close


@pytest.mark.parametrize(("as_of", "expected"), [
    (date(2024, 12, 30), []), (date(2024, 12, 31), ["A1", "A2"]), (date(2025, 1, 1), ["A1", "A2", "A3"])])
def test_as_of_counts_filings_of_that_day_not_the_day_after(con, as_of, expected):
    found = flagged(con, "near_duplicate", as_of, near_duplicate={"min_cluster": 2})
    assert [a for a in found if a.startswith("A")] == expected


def test_group_spread_over_years_is_cut_into_window_bounded_subsets(con):
    flags = by_app(con, "near_duplicate")
    # L1-L3 (3 within 730 days of L1) and L4-L6 (L6 on the 730th day after L4): equally large, the earlier first
    assert {a: flags[a].evidence["group"] for a in flags if a.startswith("L")} == {
        "L1": "L1", "L2": "L1", "L3": "L1", "L4": "L4", "L5": "L4", "L6": "L4"}
    assert flags["L5"].evidence["members"] == ["L4", "L5", "L6"] and flags["L5"].evidence["span_days"] == 730
    # a window one day shorter leaves L4 L5 (2) and L6 alone: only L1-L3
    found = flagged(con, "near_duplicate", near_duplicate={"window_days": 729})
    assert [a for a in found if a.startswith("L")] == ["L1", "L2", "L3"]


def _similarity_of_h() -> float:
    texts = ["\n".join(TOPICS[k]) for k in ("H", "H'")]
    sigs = search.signatures(texts, num_perm=128, shingle=2, max_chars=2000)
    return float(np.mean(sigs[0] == sigs[1]))


def test_threshold_pair_at_and_just_below(con):
    sim = _similarity_of_h()
    assert 0.5 < sim < 1  # one word apart: alike, not identical
    at = flagged(con, "near_duplicate", near_duplicate={"min_cluster": 2, "threshold": sim})
    assert {"H1", "H2"} <= set(at)
    above = flagged(con, "near_duplicate", near_duplicate={"min_cluster": 2, "threshold": sim + 1 / 128})
    assert not {"H1", "H2"} & set(above)
    assert by_app(con, "near_duplicate", near_duplicate={"min_cluster": 2, "threshold": sim})["H1"].evidence[
        "similarity"] == round(sim, 3)


def test_short_texts_not_compared_and_first_claim_read(con):
    found = flagged(con, "near_duplicate", near_duplicate={"min_cluster": 2})
    assert not [a for a in found if a.startswith("C")]  # "一种水杯": 4 characters < min_chars 40
    # three designs with one long text: a design's text (product name, use) says nothing about the design itself
    assert not [a for a in found if a.startswith("V")]
    assert [a for a in found if a.startswith("F")] == ["F1", "F2"]  # title + abstract short, first claim long


def test_near_duplicate_evidence_and_summary(con):
    flags = by_app(con, "near_duplicate")
    ev = flags["O2"].evidence
    assert ev == {
        "group": "O1", "members": ["O1", "O2", "O3"], "member_count": 3,
        "applicant_names": ["重庆峰一科技有限公司", "重庆峰三科技有限公司", "重庆峰二科技有限公司"], "applicants": 3,
        "agencies": [AGENCY, "重庆红博专利代理事务所（普通合伙） "], "one_agency": True,
        "first_filing": "2023-04-01", "last_filing": "2023-05-01", "span_days": 30,
        "threshold": 0.8, "min_cluster": 3, "window_days": 730, "closest": "O1", "similarity": 1.0,
    }
    assert flags["O2"].summary == ("与另外 2 件申请内容明显相同（最高相似度 1.00，30 天内提交），"
                                   "3 个申请人经同一代理机构",
                                   "near-identical to 2 other applications (closest similarity 1.00, filed within 30 "
                                   "days), 3 applicants through one agency")
    json.dumps([f.evidence for f in flags.values()])  # JSON-able as they are
    assert flags["W1"].evidence["one_agency"] is False  # three agencies
    assert flags["M1"].evidence["one_agency"] is False  # no agency at all
    assert flags["M1"].summary[1].endswith("filed within 2 days)")


def test_name_variants_share_an_agency_or_an_address(con):
    flags = by_app(con, "name_variants")
    # O: three names, one agency (spelt two ways); N: two names, one address (spelt two ways); S: one name only;
    # W: three names, three agencies, no address; M: three names, nothing shared; G: three names, one agency spelt
    # with and without its code
    assert sorted(flags) == ["G1", "G2", "G3", "N1", "N2", "O1", "O2", "O3"]
    assert flags["N2"].evidence == {
        "group": "N1", "members": ["N1", "N2"], "member_count": 2,
        "names": [{"name": "重庆丙新科技有限公司", "app_nos": ["N2"]}, {"name": BING, "app_nos": ["N1"]}],
        "shared": "address", "address": "重庆市永川区 星光大道１２号", "min_names": 2, "threshold": 0.8,
    }
    assert flags["O1"].evidence["shared"] == "agency" and flags["O1"].evidence["agency"] == AGENCY
    assert flags["N1"].summary == ("2 件内容明显相同的申请以 2 个不同申请人名义提交，共用同一地址",
                                   "2 near-identical applications under 2 different applicant names share one "
                                   "address")


@pytest.mark.parametrize(("min_names", "n_flagged"), [(2, True), (3, False)])
def test_name_variants_min_names_boundary(con, min_names, n_flagged):
    # N: two names (flagged at 2, not at 3); O: three names (flagged at both); S: one name (never; min_names ≥ 2)
    found = set(flagged(con, "name_variants", name_variants={"min_names": min_names}))
    assert ({"N1", "N2"} <= found) is n_flagged
    assert {"O1", "O2", "O3"} <= found and not {"S1", "S2"} & found


def test_groups_searched_once_for_both_rules(con, monkeypatch):
    calls = []
    real = search.similar_pairs
    monkeypatch.setattr(search, "similar_pairs", lambda *a, **k: calls.append(1) or real(*a, **k))
    ctx = RuleContext(con, AS_OF, None, cfg())
    assert near_duplicate(ctx) and name_variants(ctx)
    assert len(calls) == 1
    assert all(len(p) == 3 and p[0] < p[1] for p in near_groups(ctx).pairs)


def test_one_agency_spelt_with_and_without_its_code(con):
    near = by_app(con, "near_duplicate")
    assert near["G2"].evidence["one_agency"] is True
    assert near["G2"].evidence["agencies"] == sorted(HONGCHUAN)         # the spellings as the exports gave them
    assert near["G2"].summary[1].endswith("3 applicants through one agency")
    variants = by_app(con, "name_variants")
    assert variants["G3"].evidence["shared"] == "agency" and variants["G3"].evidence["members"] == ["G1", "G2", "G3"]
    assert variants["G3"].evidence["agency"] == HONGCHUAN[0]            # the first member's spelling


def test_closest_with_no_other_member_does_not_crash():
    rows = [{"app_no": "P1", "patent_type": "invention"}, {"app_no": "P2", "patent_type": "utility_model"},
            {"app_no": "P3", "patent_type": "invention"}]
    sigs = np.array([[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 9, 9]], dtype=np.uint64)
    found = NearGroups(rows, sigs, [], [], frozenset({(0, 1)}))   # P1 and P2: a same-day twin
    assert _closest(found, 0, [0]) == (None, 0.0)                 # a subset of one
    assert _closest(found, 0, [0, 1]) == (None, 0.0)              # only its twin left
    assert _closest(found, 0, [0, 1, 2]) == ("P3", 0.5)


def test_workers_setting_reaches_the_text_search(con, monkeypatch):
    seen = []
    real = search.signatures

    def signatures(texts, **kwargs):
        seen.append(kwargs.get("workers"))
        return real(texts, **{**kwargs, "workers": 1})   # the answer does not depend on it; one process is faster here

    monkeypatch.setattr(search, "signatures", signatures)
    config = config_from({"text": {"workers": 3}, "rules": BASE}, "test")
    assert near_duplicate(RuleContext(con, AS_OF, None, config))
    assert seen == [3]


def test_disabled_rule_flags_nothing(con):
    assert flagged(con, "near_duplicate", near_duplicate={"enabled": False}) == []


def test_norm_key_folds_full_width_and_spaces():
    assert norm_key("重庆红博专利代理事务所（普通合伙） ") == norm_key(AGENCY)
    assert norm_key(" 星光大道１２号 ") == "星光大道12号"
    assert norm_key(None) == ""
