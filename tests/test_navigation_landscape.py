"""An industry's landscape on a hand-built world whose figures are worked out by hand below.

Industry new_energy (IPC H01M, H02J, H02S, F03D are members: indicators/industries.yaml).  The breakdown and the
placements are stand-ins fixed here (the shipped tree's rules are tested in test_navigation_tree.py), so every
figure below depends only on the counting of navigation/landscape.py.

Region: Yongchuan 500118 (D*); comparison region Chongqing 500000 (its other districts: C*); Beijing (B*) is in
neither.  as_of 2024-06-30: trend years 2015-2024; last full year 2023; growth windows 2021-2023 vs 2018-2020.

    patent  first applicant (place)   type  filed       branches            granted      inventors
    D1      E1 (Yongchuan) + 重庆大学  inv   2019-03-01  battery, cathode    2021-05-10   李一;王二   family abroad
    D2      E1 + U1 (both Yongchuan)   inv   2021-04-01  battery             2024-03-15   李一;赵三   cited by C2
    D3      E1                         um    2022-02-02  battery             2022-08-08   王二
    D4      E2 (Yongchuan)             inv   2020-05-05  grid                -            孙四
    D5      E2                         um    2023-01-10  grid                2023-06-06
    D6      E2 (food, A23L)            inv   2022-03-03  - (not new_energy)
    C1, C2  重庆戊电池 (渝中)           inv   2016, 2022  battery
    C3-C6   重庆己电网 (渝中)           inv   2017, 2019, 2021, 2023  grid
    C7-C9   重庆大学 (沙坪坝)           inv   2019, 2022, 2023  solar                   周五; 周五; 周五;吴六
    C10     重庆庚风电 (渝中)           inv   2022        wind                                郑七
    B1, B2  北京丁科技                  inv   2020, 2022  battery

Region: 5 industry applications (D1-D5); comparison: 5 + 10 = 15.
    battery  region 3 (3/5 = 0.6), compare 5 (5/15 = 1/3): RTA 1.8 -> strong
    cathode  region 1 (0.2),       compare 1 (1/15):       RTA 3.0 -> strong
    grid     region 2 (0.4),       compare 6 (0.4):        RTA 1.0 -> balanced
    solar    region 0,             compare 3 (2019 | 2022, 2023): growth 2/1 - 1 = 1.0 -> gap
    wind     region 0,             compare 1 (2022 only: no earlier window, growth None): RTA 0 -> weak
    hydrogen nothing anywhere -> absent
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import date

import ibis
import pytest

from hvpatent.ingest.appno import check_digit
from hvpatent.ingest.fields import normalize_name
from hvpatent.model import Batch
from hvpatent.navigation import (
    NATIONAL,
    landscape,
    landscape_patent_count,
    landscape_patents,
    landscape_scope,
)
from hvpatent.reference.regions import attribute
from hvpatent.warehouse.store import Warehouse

YONGCHUAN = "重庆市永川区胜利路街道人民大道1号"
YUZHONG = "重庆市渝中区解放碑街道民族路1号"
SHAPINGBA = "重庆市沙坪坝区沙正街174号"
BEIJING = "北京市海淀区中关村大街1号"
E1, E2, U1 = "重庆甲新能源科技有限公司", "重庆乙电气有限公司", "重庆丙学院"
CQU, C_BAT, C_GRID, C_WIND, B_CO = "重庆大学", "重庆戊电池有限公司", "重庆己电网科技有限公司", "重庆庚风电有限公司", \
    "北京丁科技有限公司"
TYPES = {U1: "university", CQU: "university"}
AS_OF = date(2024, 6, 30)
land_mod = importlib.import_module("hvpatent.navigation.landscape")  # the package's `landscape` is the function


def no(serial: int, year: int, type_digit: str = "1") -> str:
    digits = f"{year}{type_digit}{serial:07d}"
    return f"{digits}.{check_digit(digits)}"


# key, type, filed, [(applicant, address)], ipc, branches, grant date, inventors, family
ROWS = [
    ("D1", "invention", date(2019, 3, 1), [(E1, YONGCHUAN), (CQU, SHAPINGBA)], "H01M4/36",
     ["new_energy.battery", "new_energy.battery.cathode"], date(2021, 5, 10), ["李一", "王二"], "F1"),
    ("D2", "invention", date(2021, 4, 1), [(E1, YONGCHUAN), (U1, YONGCHUAN)], "H01M10/052",
     ["new_energy.battery"], date(2024, 3, 15), ["李一", "赵三"], None),
    ("D3", "utility_model", date(2022, 2, 2), [(E1, YONGCHUAN)], "H01M10/04", ["new_energy.battery"],
     date(2022, 8, 8), ["王二"], None),
    ("D4", "invention", date(2020, 5, 5), [(E2, YONGCHUAN)], "H02J3/38", ["new_energy.grid"], None, ["孙四"], None),
    ("D5", "utility_model", date(2023, 1, 10), [(E2, YONGCHUAN)], "H02J7/00", ["new_energy.grid"],
     date(2023, 6, 6), [], None),
    ("D6", "invention", date(2022, 3, 3), [(E2, YONGCHUAN)], "A23L7/10", [], None, [], None),
    ("C1", "invention", date(2016, 1, 1), [(C_BAT, YUZHONG)], "H01M10/052", ["new_energy.battery"], None, [], None),
    ("C2", "invention", date(2022, 1, 1), [(C_BAT, YUZHONG)], "H01M10/052", ["new_energy.battery"], None, [], None),
    *[(f"C{i}", "invention", date(y, 2, 2), [(C_GRID, YUZHONG)], "H02J3/38", ["new_energy.grid"], None, [], None)
      for i, y in ((3, 2017), (4, 2019), (5, 2021), (6, 2023))],
    ("C7", "invention", date(2019, 7, 7), [(CQU, SHAPINGBA)], "H02S40/38", ["new_energy.solar"], None, ["周五"],
     None),
    ("C8", "invention", date(2022, 7, 7), [(CQU, SHAPINGBA)], "H02S40/38", ["new_energy.solar"], None, ["周五"],
     None),
    ("C9", "invention", date(2023, 7, 7), [(CQU, SHAPINGBA)], "H02S40/38", ["new_energy.solar"], None,
     ["周五", "吴六"], None),
    ("C10", "invention", date(2022, 9, 9), [(C_WIND, YUZHONG)], "F03D1/06", ["new_energy.wind"], None, ["郑七"],
     None),
    ("B1", "invention", date(2020, 1, 1), [(B_CO, BEIJING)], "H01M10/052", ["new_energy.battery"], None, [], None),
    ("B2", "invention", date(2022, 1, 1), [(B_CO, BEIJING)], "H01M10/052", ["new_energy.battery"], None, [], None),
]
APP = {key: no(i, filed.year, "1" if kind == "invention" else "2") for i, (key, kind, filed, *_) in
       enumerate(ROWS, 1)}


@dataclass(frozen=True)
class StubBranch:
    code: str
    name: str
    name_en: str
    parent: str | None
    level: int


@dataclass(frozen=True)
class StubTree:
    industry: str
    branches: tuple[StubBranch, ...]

    def get(self, code: str) -> StubBranch:
        for b in self.branches:
            if b.code == code:
                return b
        raise KeyError(code)


TREE = StubTree("new_energy", (
    StubBranch("new_energy.battery", "锂电池", "Batteries", None, 1),
    StubBranch("new_energy.battery.cathode", "正极材料", "Cathodes", "new_energy.battery", 2),
    StubBranch("new_energy.grid", "电网", "Grid", None, 1),
    StubBranch("new_energy.solar", "光伏", "Solar", None, 1),
    StubBranch("new_energy.wind", "风电", "Wind", None, 1),
    StubBranch("new_energy.hydrogen", "氢能", "Hydrogen", None, 1),
))


def stub_placements(con, industry):
    assert industry == "new_energy"
    rows = [{"app_no": APP[key], "branch": b, "source": "rule", "confidence": 1.0}
            for key, *_, branches, _, _, _ in ((r[0], *r[1:]) for r in ROWS) for b in branches]
    return ibis.memtable(rows)


def build(wh: Warehouse) -> None:
    batch = Batch()
    batch.set("applications", [{"app_no": APP[k], "patent_type": t, "filing_date": f, "title": f"专利{k}",
                                "ipc_main": ipc, "family_id": fam, "source": "test"}
                               for k, t, f, _, ipc, _, _, _, fam in ROWS])
    batch.set("parties", [
        {"app_no": APP[k], "seq": seq, "role": "applicant", "name": name, "name_norm": normalize_name(name),
         "party_type": TYPES.get(name, "enterprise"), "address": addr, **attribute(addr).__dict__}
        for k, _, _, parties, *_ in ROWS for seq, (name, addr) in enumerate(parties, 1)])
    batch.set("ipc_classes", [{"app_no": APP[k], "seq": 1, "ipc": ipc, "is_main": True}
                              for k, _, _, _, ipc, *_ in ROWS])
    batch.set("legal_events", [
        {"app_no": APP[k], "event_date": d, "event_type": e, "raw_text": e}
        for k, _, f, _, _, _, g, _, _ in ROWS for d, e in [(f, "filed"), *([(g, "granted")] if g else [])]])
    batch.set("family_members", [{"family_id": "F1", "office": "US", "member_no": "US-9000001-B2", "granted": True,
                                  "grant_date": date(2022, 1, 1)}])
    batch.set("publications", [{"pub_no": "CN114000002A", "app_no": APP["D2"], "kind": "A",
                                "pub_date": date(2021, 10, 1)}])
    batch.set("citations", [{"citing_app_no": APP["C2"], "cited_no": "CN114000002A", "cited_key": "CN114000002",
                             "source": "test"}])
    batch.set("inventors", [{"app_no": APP[k], "seq": s, "name": n, "name_norm": n}
                            for k, *_, names, _ in ROWS for s, n in enumerate(names, 1)])
    with wh.import_transaction("navigation-world", "world", "test", "fixture") as tx:
        tx.add(batch, len(ROWS))
    from hvpatent.indicators import refresh_derived

    refresh_derived(wh)


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setattr(land_mod, "_tree", lambda industry: TREE)  # resolve() has refused an unknown industry already
    mp.setattr(land_mod, "_placements", stub_placements)
    wh = Warehouse(tmp_path_factory.mktemp("navigation") / "world.duckdb")
    build(wh)
    yield wh.ibis()
    wh.close()
    mp.undo()


@pytest.fixture(scope="module")
def land(con):
    return landscape(con, "new_energy", AS_OF, "500118")


def trend_row(land, side, year, patent_type):
    (row,) = [r for r in land.trend if (r["side"], r["year"], r["patent_type"]) == (side, year, patent_type)]
    return row


def test_header_and_years(land):
    assert (land.region, land.compare, land.industry_name) == ("500118", "500000", "新能源")
    assert land.years == list(range(2015, 2025))
    assert len(land.trend) == 2 * 10 * 2


def test_trend(land):
    # region inventions filed 2019: D1; 2021: D2; D6 is not new_energy.  Grants of 2024: D2 (2024-03-15).
    assert trend_row(land, "region", 2019, "invention")["applications"] == 1
    assert trend_row(land, "region", 2022, "invention")["applications"] == 0
    assert trend_row(land, "region", 2024, "invention")["grants"] == 1
    # valid at 2023-12-31: D1 (D2 still pending); on as_of: D1, D2.  Utility models at 2023 end: D3, D5.
    assert trend_row(land, "region", 2023, "invention")["valid"] == 1
    assert trend_row(land, "region", 2024, "invention")["valid"] == 2
    assert trend_row(land, "region", 2023, "utility_model")["valid"] == 2
    # compare inventions filed 2022: C2, C8, C10 (D3 is a utility model; B2 is Beijing's)
    assert trend_row(land, "compare", 2022, "invention")["applications"] == 3
    assert trend_row(land, "compare", 2022, "utility_model")["applications"] == 1


def test_share(land):
    (y2022,) = [r for r in land.share if r["year"] == 2022]
    assert (y2022["region_applications"], y2022["compare_applications"], y2022["share"]) == (1, 4, 0.25)
    (y2015,) = [r for r in land.share if r["year"] == 2015]
    assert y2015["share"] is None  # nothing filed anywhere that year


def test_branches(land):
    by = {b["branch"]: b for b in land.branches}
    assert [b["branch"] for b in land.branches] == [b.code for b in TREE.branches]
    battery = by["new_energy.battery"]
    assert (battery["region_count"], battery["compare_count"]) == (3, 5)
    assert battery["rta"] == pytest.approx(1.8)
    assert by["new_energy.battery.cathode"]["rta"] == pytest.approx(3.0)
    assert by["new_energy.grid"]["rta"] == pytest.approx(1.0)
    # battery region: 2021-2023 D2, D3; 2018-2020 D1 -> growth 2/1 - 1 = 1.0
    assert battery["region_growth"] == pytest.approx(1.0)
    assert by["new_energy.solar"]["compare_growth"] == pytest.approx(1.0)
    assert by["new_energy.wind"]["compare_growth"] is None
    assert {k: b["position"] for k, b in by.items()} == {
        "new_energy.battery": "strong", "new_energy.battery.cathode": "strong", "new_energy.grid": "balanced",
        "new_energy.solar": "gap", "new_energy.wind": "weak", "new_energy.hydrogen": "absent"}


def test_applicants_and_entities(land):
    region = land.applicants["region"]
    assert [(r["applicant"], r["applications"], r["inventions"], r["grants"], r["valid_inventions"])
            for r in region] == [(E1, 3, 2, 3, 2), (E2, 2, 1, 1, 0)]
    assert (land.applicants["compare"][0]["applicant"], land.applicants["compare"][0]["applications"]) == (C_GRID, 4)
    assert land.entity_types == [{"applicant_type": "enterprise", "entities": 2, "applications": 5,
                                  "valid_inventions": 2}]


def test_inventors(land):
    top = {r["inventor"]: r for r in land.inventors}
    assert [r["inventor"] for r in land.inventors] == ["李一", "王二", "孙四", "赵三"]
    assert (top["李一"]["patents"], top["李一"]["inventions"], top["李一"]["co_inventors"]) == (2, 2, 2)
    assert top["李一"]["applicants"] == [E1]
    assert top["李一"]["branches"] == ["new_energy.battery"]  # level 1 only
    assert top["孙四"]["branches"] == ["new_energy.grid"]


def test_network(land):
    nodes = {n["name"]: n for n in land.network["nodes"]}
    assert set(nodes) == {E1, U1, CQU}  # E2 never co-applies
    assert (nodes[E1]["patents"], nodes[E1]["local"], nodes[CQU]["local"], nodes[U1]["local"]) == (3, True, False,
                                                                                                   True)
    edges = {frozenset((e["source"], e["target"])): e["patents"] for e in land.network["edges"]}
    assert edges == {frozenset((normalize_name(E1), normalize_name(CQU))): 1,
                     frozenset((normalize_name(E1), normalize_name(U1))): 1}


def test_partners(land):
    got = [(p["branch"], p["reason"], p["applicant"], p.get("inventor"), p["patents"]) for p in land.partners]
    assert got == [
        ("new_energy.solar", "partner", CQU, None, 3),
        ("new_energy.solar", "recruit", CQU, "周五", 3),
        ("new_energy.solar", "recruit", CQU, "吴六", 1),
        ("new_energy.wind", "partner", C_WIND, None, 1),
        ("new_energy.wind", "recruit", C_WIND, "郑七", 1),
    ]
    assert all(p["why"] and p["region_name"] for p in land.partners)


def test_key_patents(land):
    keys = {k["app_no"]: k for k in land.key_patents}
    assert set(keys) == {APP["D1"], APP["D2"]}
    assert (keys[APP["D1"]]["reason"], keys[APP["D1"]]["high_value_criteria"]) == ("high_value", ["family_abroad"])
    assert (keys[APP["D2"]]["reason"], keys[APP["D2"]]["forward_citations"]) == ("most_cited", 1)


@pytest.mark.parametrize(("kwargs", "figure"), [
    ({"branch": "new_energy.battery"}, 3),
    ({"side": "compare", "branch": "new_energy.grid"}, 6),
    ({"applicant": E1}, 3),
    ({"inventor": "李一"}, 2),
    ({"side": "compare", "year": 2022}, 4),
    ({"measure": "grants"}, 4),              # D1, D2, D3, D5
    ({"measure": "valid"}, 4),
    ({"measure": "valid", "year": 2023, "patent_type": "invention"}, 1),
    ({"measure": "key"}, 2),
])
def test_drill_down_equals_figure(con, land, kwargs, figure):
    rows = landscape_patents(con, "new_energy", AS_OF, "500118", **kwargs)
    assert len(rows) == figure
    assert landscape_patent_count(con, "new_energy", AS_OF, "500118", **kwargs) == figure
    if "branch" in kwargs:
        assert all(kwargs["branch"] in r["branches"] and r["source"] == "rule" for r in rows)


def test_drill_down_matches_branch_and_applicant_figures(con, land):
    battery = next(b for b in land.branches if b["branch"] == "new_energy.battery")
    rows = landscape_patents(con, "new_energy", AS_OF, "500118", branch="new_energy.battery")
    assert len(rows) == battery["region_count"]
    assert {r["app_no"] for r in rows} == {APP["D1"], APP["D2"], APP["D3"]}


@pytest.mark.parametrize(("day", "grants", "valid"), [
    (date(2024, 3, 14), 0, 1),   # the day before D2's grant
    (date(2024, 3, 15), 1, 2),   # the grant date: granted and in force
    (date(2024, 3, 16), 1, 2),
])
def test_grant_date_moves_grants_and_valid(con, day, grants, valid):
    got = landscape(con, "new_energy", day, "500118")
    row = trend_row(got, "region", 2024, "invention")
    assert (row["grants"], row["valid"]) == (grants, valid)


def test_national_compare(con):
    got = landscape(con, "new_energy", AS_OF, "500118", NATIONAL)
    assert got.compare is None
    battery = next(b for b in got.branches if b["branch"] == "new_energy.battery")
    assert battery["compare_count"] == 7  # Chongqing's 5 and Beijing's B1, B2


def test_unknown_industry(con):
    with pytest.raises(KeyError):
        landscape(con, "no_such_industry", AS_OF, "500118")


@pytest.mark.parametrize("region", ["5001", "５００１１８", "999999", "abcdef"])
def test_bad_region(con, region):
    with pytest.raises(ValueError, match=r"region|地区"):
        landscape(con, "new_energy", AS_OF, region)


def test_drill_down_refuses_unknown_branch_and_measure(con):
    with pytest.raises(KeyError):
        landscape_patents(con, "new_energy", AS_OF, "500118", branch="new_energy.nuclear")
    with pytest.raises(ValueError, match="measure"):
        landscape_patents(con, "new_energy", AS_OF, "500118", measure="citations")


def test_as_of_before_any_filing_counts_nothing(con):
    # 2015-06-30: no new_energy application filed yet (C1 is 2016-01-01); every branch absent
    got = landscape(con, "new_energy", date(2015, 6, 30), "500118")
    assert {b["position"] for b in got.branches} == {"absent"}
    assert not got.applicants["region"] and not got.key_patents and not got.network["nodes"]


# -- issue 17 review: positions, notes, the network's regions, the drill-down API -----------------------------
@pytest.mark.parametrize(("args", "expected"), [
    ((0, 0, None, None), "absent"),
    ((0, 5, None, 1.0), "gap"),       # none here, the comparison region growing
    ((0, 5, None, 0.0), "weak"),      # none here, the comparison region flat
    ((0, 5, None, None), "weak"),     # none here, no earlier window to grow from
    ((0, 5, 0.0, -0.5), "weak"),
    ((3, 0, None, None), "strong"),   # patents here, none in the comparison region (a region outside it)
    ((3, 5, 1.2, None), "strong"),
    ((3, 5, 1.19, None), "balanced"),
    ((3, 5, 0.8, None), "balanced"),
    ((3, 5, 0.79, None), "weak"),
])
def test_position(args, expected):
    assert land_mod.position(*args) == expected


def test_region_without_patents_has_no_strong_branch(con):
    # Wanzhou 500101 has no new_energy patent: its shares and RTA are undefined (None), so before the fix every
    # branch with comparison patents that was not growing read "strong".  Comparison Chongqing, windows 2021-2023
    # vs 2018-2020 (as_of 2024-06-30):
    #   battery  D2, D3, C2 | D1           -> 3/1 - 1 = 2.0  gap
    #   cathode  -          | D1           -> 0/1 - 1 = -1   weak
    #   grid     C5, C6, D5 | C4, D4       -> 3/2 - 1 = 0.5  gap
    #   solar    C8, C9     | C7           -> 1.0            gap
    #   wind     C10        | -            -> None           weak
    got = landscape(con, "new_energy", AS_OF, "500101")
    assert {b["branch"]: b["position"] for b in got.branches} == {
        "new_energy.battery": "gap", "new_energy.battery.cathode": "weak", "new_energy.grid": "gap",
        "new_energy.solar": "gap", "new_energy.wind": "weak", "new_energy.hydrogen": "absent"}
    assert all(b["rta"] is None for b in got.branches)


@pytest.mark.parametrize(("region", "compare", "inside"), [
    ("500118", "500000", True), ("500118", "500100", True), ("500118", "500118", True),
    ("500118002000", "500118", True), ("500118", None, True), ("110108", "500000", False),
    ("500000", "500100", False), ("500118", "500101", False), ("810000", None, False),
])
def test_region_inside(region, compare, inside):
    assert land_mod.region_inside(region, compare) is inside


INCLUDES = ("对比区域包含本区域自身的专利", "the comparison region includes the region's own patents")


def test_note_on_inclusion_only_when_inside(con, land):
    assert any(text in note for note in land.notes for text in INCLUDES)
    outside = landscape(con, "new_energy", AS_OF, "110108", "500000")  # Haidian against Chongqing
    assert not any(text in note for note in outside.notes for text in INCLUDES)
    assert any("对比区域内" in note or "outside the comparison region" in note for note in outside.notes)


@pytest.fixture(scope="module")
def moved(con, tmp_path_factory):
    """The same world with 重庆大学 assigned by hand to E1's town (Yongchuan 胜利路街道, 500118002000)."""
    from hvpatent.reference.applicant_towns import assign
    from hvpatent.reference.editions import resolve_town

    wh = Warehouse(tmp_path_factory.mktemp("navigation-moved") / "world.duckdb")
    build(wh)
    assign(wh.con, CQU, resolve_town("500118002000"), by="tester")
    yield wh.ibis()
    wh.close()


def test_network_local_follows_town_assignment(moved):
    # 12-digit region: the town of E1, U1, E2 by address.  重庆大学's address is in Shapingba, but its town was
    # assigned to this one, so it is local (the raw parties.town_code would say Shapingba: local False).
    got = landscape(moved, "new_energy", AS_OF, "500118002000")
    nodes = {n["name"]: n for n in got.network["nodes"]}
    assert (nodes[CQU]["local"], nodes[E1]["local"], nodes[U1]["local"]) == (True, True, True)


@pytest.fixture(scope="module")
def sc(con):
    """One computed scope of the question of `land`, shared by the drill-downs below (as a report or page does)."""
    return landscape_scope(con, "new_energy", AS_OF, "500118")


def test_network_node_counts_are_lists(con, land, sc):
    # node patents: the region's patents naming the party anywhere: E1 D1-D3 (3), U1 D2 (1), 重庆大学 D1 (1; its own
    # C7-C9 are not the region's).  party="first" for 重庆大学 on the region side finds none.
    assert {n["name"]: n["patents"] for n in land.network["nodes"]} == {E1: 3, U1: 1, CQU: 1}
    for n in land.network["nodes"]:
        rows = landscape_patents(con, "new_energy", AS_OF, "500118", scope=sc, applicant=n["name"], party="any")
        assert len(rows) == n["patents"]
        assert landscape_patent_count(con, "new_energy", AS_OF, "500118", scope=sc, applicant=n["name"],
                                      party="any") == n["patents"]
    assert landscape_patents(con, "new_energy", AS_OF, "500118", scope=sc, applicant=CQU) == []


def test_ten_year_card_is_a_list(con, land, sc):
    # the card: applications of the 10 trend years, inventions and utility models; compare from 2017 on: the 15
    # less C1 (2016) = 14; region 5 (D1-D5).
    for side in ("region", "compare"):
        card = sum(r["applications"] for r in land.trend if r["side"] == side)
        for types in (["invention", "utility_model"], "invention,utility_model"):
            rows = landscape_patents(con, "new_energy", AS_OF, "500118", scope=sc, side=side, since_year=land.years[0],
                                     patent_type=types)
            assert len(rows) == card
    since_2017 = sum(r["applications"] for r in land.trend if r["side"] == "compare" and r["year"] >= 2017)
    assert since_2017 == 14
    assert landscape_patent_count(con, "new_energy", AS_OF, "500118", scope=sc, side="compare", since_year=2017,
                                  patent_type=["invention", "utility_model"]) == 14


def test_valid_inventions_are_lists(con, land, sc):
    # on as_of: D1, D2 in force (the card); per applicant: E1 2, E2 0 (D4 never granted)
    card = trend_row(land, "region", 2024, "invention")["valid"]
    assert card == 2
    assert len(landscape_patents(con, "new_energy", AS_OF, "500118", scope=sc, measure="valid",
                                 patent_type="invention")) == card
    for a in land.applicants["region"]:
        rows = landscape_patents(con, "new_energy", AS_OF, "500118", scope=sc, measure="valid", patent_type="invention",
                                 applicant=a["applicant"])
        assert len(rows) == a["valid_inventions"]


def test_partner_and_recruit_rows_name_their_list(con, land, sc):
    # 周五 is named on C7-C9 (solar, elsewhere): 3; 郑七 on C10 (wind): 1; 重庆大学 first applicant of C7-C9: 3
    assert land.partners
    for p in land.partners:
        rows = landscape_patents(con, "new_energy", AS_OF, "500118", scope=sc, **p["filters"])
        assert len(rows) == p["patents"], p
        assert p["filters"]["branch"] == p["branch"] and p["filters"]["side"] == "elsewhere"
        assert p["filters"].get("inventor" if p["reason"] == "recruit" else "applicant")


def test_paging_and_count(con, sc):
    full = landscape_patents(con, "new_energy", AS_OF, "500118", scope=sc, side="compare")
    assert len(full) == 15 == landscape_patent_count(con, "new_energy", AS_OF, "500118", scope=sc, side="compare")
    pages = [landscape_patents(con, "new_energy", AS_OF, "500118", scope=sc, side="compare", limit=4, offset=o)
             for o in range(0, 16, 4)]
    assert [len(p) for p in pages] == [4, 4, 4, 3]
    assert [r["app_no"] for p in pages for r in p] == [r["app_no"] for r in full]
    assert landscape_patents(con, "new_energy", AS_OF, "500118", scope=sc, side="compare", offset=13) == full[13:]


def test_scope_reuse(con, land):
    sc = landscape_scope(con, "new_energy", AS_OF, "500118")
    for kwargs in ({"branch": "new_energy.battery"}, {"measure": "valid", "year": 2023}, {"measure": "key"},
                   {"side": "compare", "measure": "grants"}):
        assert landscape_patents(con, "new_energy", AS_OF, "500118", scope=sc, **kwargs) == \
            landscape_patents(con, "new_energy", AS_OF, "500118", **kwargs)
    again = landscape(con, "new_energy", AS_OF, "500118", scope=sc)
    assert again.branches == land.branches and again.trend == land.trend
    with pytest.raises(ValueError, match="scope"):
        landscape_patents(con, "new_energy", AS_OF, "500118", NATIONAL, scope=sc)
    with pytest.raises(ValueError, match="scope"):
        landscape_patent_count(con, "new_energy", date(2024, 6, 29), "500118", scope=sc)


def test_high_value_rows_given(con, land):
    # computed: D1 high value (family abroad), D2 most cited.  Given rows replace the computation: none -> only D2;
    # D4 named -> D4 high value with its criteria, D2 still most cited, D1 no longer key.
    none = landscape(con, "new_energy", AS_OF, "500118", high_value=[])
    assert [(k["app_no"], k["reason"]) for k in none.key_patents] == [(APP["D2"], "most_cited")]
    given = landscape(con, "new_energy", AS_OF, "500118",
                      high_value=[{"app_no": APP["D4"], "criteria": "granted_abroad,pledged"}])
    assert [(k["app_no"], k["reason"], k["high_value_criteria"]) for k in given.key_patents] == [
        (APP["D4"], "high_value", ["granted_abroad", "pledged"]), (APP["D2"], "most_cited", [])]


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"party": "all"}, "party"), ({"patent_type": "patent"}, "patent_type"), ({"patent_type": ""}, "patent_type"),
    ({"side": "abroad"}, "side"), ({"measure": "cites"}, "measure"),
])
def test_drill_down_refuses_bad_filters(con, kwargs, name):
    with pytest.raises(ValueError, match=name):
        landscape_patents(con, "new_energy", AS_OF, "500118", **kwargs)
    with pytest.raises(ValueError, match=name):
        landscape_patent_count(con, "new_energy", AS_OF, "500118", **kwargs)


def test_entity_type_rows_are_lists(con, land, sc):
    # the region's one entity type: enterprise (E1, E2) on D1-D5 = 5 applications; valid inventions on as_of:
    # D1, D2 (granted, in force) = 2 (D4 is not granted)
    (row,) = land.entity_types
    kinds = {"side": "region", "applicant_type": row["applicant_type"]}
    assert len(landscape_patents(con, "new_energy", AS_OF, "500118", scope=sc, **kinds)) == row["applications"] == 5
    valid = landscape_patents(con, "new_energy", AS_OF, "500118", scope=sc, measure="valid", patent_type="invention",
                              **kinds)
    assert sorted(r["app_no"] for r in valid) == sorted([APP["D1"], APP["D2"]]) and row["valid_inventions"] == 2
    assert landscape_patent_count(con, "new_energy", AS_OF, "500118", scope=sc, side="region",
                                  applicant_type="university") == 0  # U1 is never the first applicant


@pytest.mark.parametrize("side", ["compare", "elsewhere"])
def test_key_patents_only_of_the_region(con, sc, side):
    with pytest.raises(ValueError, match="side"):
        landscape_patents(con, "new_energy", AS_OF, "500118", scope=sc, side=side, measure="key")
    with pytest.raises(ValueError, match="side"):
        landscape_patent_count(con, "new_energy", AS_OF, "500118", scope=sc, side=side, measure="key")


def test_scope_of_another_connection_is_refused(con, sc):
    import dataclasses

    elsewhere = dataclasses.replace(sc, con=ibis.duckdb.connect())
    with pytest.raises(ValueError, match="scope"):
        landscape_patents(con, "new_energy", AS_OF, "500118", scope=elsewhere)
    with pytest.raises(ValueError, match="scope"):
        landscape(con, "new_energy", AS_OF, "500118", scope=elsewhere)


def test_reused_scope_takes_new_high_value_rows(con):
    # a scope that computed its key patents (D1 high value, D2 most cited) answers other high-value rows afresh:
    # none given -> only D2 (most cited); the list behind the figure follows
    fresh = landscape_scope(con, "new_energy", AS_OF, "500118")
    first = landscape(con, "new_energy", AS_OF, "500118", scope=fresh)
    assert {k["app_no"] for k in first.key_patents} == {APP["D1"], APP["D2"]}
    again = landscape(con, "new_energy", AS_OF, "500118", scope=fresh, high_value=[])
    assert [(k["app_no"], k["reason"]) for k in again.key_patents] == [(APP["D2"], "most_cited")]
    assert [r["app_no"] for r in landscape_patents(con, "new_energy", AS_OF, "500118", scope=fresh,
                                                   measure="key")] == [APP["D2"]]


def test_a_page_reads_its_states_on_one_day(con, monkeypatch):
    """A list page of a fresh scope reads the legal states of its own rows on the one day it shows, not the
    whole side's on the 10 trend days; a scope that holds states (a landscape computed on it) reads none."""
    calls: list[tuple[list, int | None]] = []
    real = land_mod.states_on_dates

    def counted(con_, days, **kw):
        apps = kw.get("applications")
        calls.append((list(days), None if apps is None else apps.count().execute()))
        return real(con_, days, **kw)

    monkeypatch.setattr(land_mod, "states_on_dates", counted)
    fresh = landscape_scope(con, "new_energy", AS_OF, "500118")
    page = landscape_patents(con, "new_energy", AS_OF, "500118", scope=fresh, side="compare", limit=4)
    assert len(page) == 4 and all(r["state"] for r in page)
    assert calls == [([AS_OF], 4)]  # the page's 4 rows on as_of only
    calls.clear()
    # valid on 2023's last day filters on the states: the scope's, on that one day only
    assert len(landscape_patents(con, "new_energy", AS_OF, "500118", scope=fresh, measure="valid", year=2023,
                                 patent_type="invention")) == 1
    assert [days for days, _ in calls] == [[date(2023, 12, 31)]]
    landscape(con, "new_energy", AS_OF, "500118", scope=fresh)  # the trend days, all at once
    calls.clear()
    assert landscape_patents(con, "new_energy", AS_OF, "500118", scope=fresh, side="compare", limit=4) == page
    assert calls == []
