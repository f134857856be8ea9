"""Technology breakdowns (navigation/tree.py) and placements (navigation/placement.py), worked by hand.

The placement tests run against a small hand-written new_energy tree (a user copy of breakdowns.yaml with that
tree replaced), so that their answers stay right when the shipped trees are edited; the shipped file is checked
for shape and for its coverage of the demo's IPC codes.
"""

from __future__ import annotations

import copy
import importlib
from datetime import date, datetime
from pathlib import Path

import ibis
import pytest
import yaml

from hvpatent.indicators.config import industries
from hvpatent.ingest.fields import normalize_name
from hvpatent.model import Batch
from hvpatent.navigation import TreeError, breakdowns, placements, rule_placements, tree
from hvpatent.reference import userconfig
from hvpatent.warehouse.store import Warehouse
from world import SHENGLI, no

tree_module = importlib.import_module("hvpatent.navigation.tree")  # the name `tree` is the function
SHIPPED = Path(tree_module.__file__).with_name("breakdowns.yaml")

# The test's new_energy tree.  Not covered by any rule: F03D (wind), B60L53, H01M8 (excluded from battery).
TEST_TREE = {
    "industry": "new_energy", "name": "新能源", "sources": ["test"],
    "branches": [
        {"code": "new_energy.battery", "name": "电池", "name_en": "Batteries",
         "rules": [{"ipc": ["H01M"], "exclude": ["H01M8"]}]},
        {"code": "new_energy.battery.cathode", "name": "正极", "name_en": "Cathodes",
         "rules": [{"ipc": ["H01M4/525"]}, {"ipc": ["H01M4"], "keywords": ["正极"]}]},
        {"code": "new_energy.battery.separator", "name": "隔膜", "name_en": "Separators",
         "rules": [{"ipc": ["H01M50/4"]}]},
        {"code": "new_energy.battery.pack", "name": "电池包", "name_en": "Packs",
         "rules": [{"ipc": ["H01M50", "H01M10/05"], "exclude": ["H01M50/4"]}]},
        {"code": "new_energy.storage", "name": "电池系统", "name_en": "Battery systems"},
        {"code": "new_energy.storage.traction", "name": "动力电池", "name_en": "Traction",
         "rules": [{"ipc": ["H01M"], "keywords": ["动力电池"]}]},
        {"code": "new_energy.storage.stationary", "name": "储能", "name_en": "Storage",
         "rules": [{"ipc": ["H01M"], "keywords": ["储能"]}]},
        {"code": "new_energy.solar", "name": "光伏", "name_en": "Solar", "rules": [{"ipc": ["H02S"]}]},
        {"code": "new_energy.solar.modules", "name": "组件", "name_en": "Modules",
         "rules": [{"ipc": ["H02S20"]}]},
        {"code": "new_energy.grid", "name": "并网", "name_en": "Grid", "rules": [{"ipc": ["H02J"]}]},
    ],
}
P = [no(i, 2022) for i in range(1, 12)]
P1, P2, P3, P4, P5, P6, P7, P8, P9, P10, P11 = P
# app_no, title, IPC codes
PATENTS = [
    (P1, "一种高镍三元材料", ["H01M4/525"]),          # battery, cathode (IPC 4/525 without a keyword)
    (P2, "一种磷酸铁锂正极片", ["H01M4/36"]),          # battery, cathode (H01M4 + keyword 正极)
    (P3, "一种硅碳负极", ["H01M4/36"]),                # battery only: H01M4/36 without 正极
    (P4, "一种锂电池隔膜", ["H01M50/411"]),            # battery, separator; not pack (pack excludes H01M50/4)
    (P5, "一种电动汽车动力电池包", ["H01M10/0525", "H01M50/20"]),  # battery, pack, storage, storage.traction
    (P6, "一种光伏支架", ["H02S20/30"]),               # solar, solar.modules
    (P7, "一种风机叶片检测方法", ["F03D80/00"]),       # new_energy, no rule: a prediction places it
    (P8, "一种风电塔筒", ["F03D13/20"]),               # new_energy, no rule, no prediction: a correction places it
    (P9, "一种豆豉发酵工艺", ["A23L11/50"]),           # consumer goods, not new_energy: never placed
    (P10, "一种燃料电池系统", ["H01M8/04"]),           # new_energy (H01M) but battery excludes H01M8: predictions
    (P11, "一种储能电池柜", ["H01M10/0525"]),          # battery, pack, storage, storage.stationary (储能)
]
RULES = {
    P1: {"new_energy.battery", "new_energy.battery.cathode"},
    P2: {"new_energy.battery", "new_energy.battery.cathode"},
    P3: {"new_energy.battery"},
    P4: {"new_energy.battery", "new_energy.battery.separator"},
    P5: {"new_energy.battery", "new_energy.battery.pack", "new_energy.storage", "new_energy.storage.traction"},
    P6: {"new_energy.solar", "new_energy.solar.modules"},
    P11: {"new_energy.battery", "new_energy.battery.pack", "new_energy.storage", "new_energy.storage.stationary"},
}


def _import(wh: Warehouse, patents: list[tuple[str, str, list[str]]], name: str = "nav") -> None:
    batch = Batch()
    batch.set("applications", [{"app_no": a, "patent_type": "invention", "filing_date": date(2022, 3, 1),
                                "title": title, "abstract": f"本发明公开了{title}。", "ipc_main": ipcs[0],
                                "source": "test"} for a, title, ipcs in patents])
    batch.set("parties", [{"app_no": a, "seq": 1, "role": "applicant", "name": "重庆甲科技有限公司",
                           "name_norm": normalize_name("重庆甲科技有限公司"), "party_type": "enterprise",
                           "address": SHENGLI} for a, _, _ in patents])
    batch.set("ipc_classes", [{"app_no": a, "seq": s, "ipc": c, "is_main": s == 1}
                              for a, _, ipcs in patents for s, c in enumerate(ipcs, 1)])
    with wh.import_transaction(name, name, "test", "fixture") as tx:
        tx.add(batch, len(patents))


@pytest.fixture(scope="module")
def warehouse_nav(tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("nav") / "nav.duckdb")
    _import(wh, PATENTS)  # memberships matched at query time (no refresh: the stored ones are the same rows)
    yield wh
    wh.close()


def _user_copy(folder: Path, data: dict, monkeypatch) -> Path:
    path = folder / "breakdowns.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(userconfig, "user_config_dir", lambda: folder)
    tree_module.clear_cache()
    return path


def _shipped() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


@pytest.fixture
def test_tree(tmp_path, monkeypatch):
    data = _shipped()
    data["breakdowns"] = [TEST_TREE if t["industry"] == "new_energy" else t for t in data["breakdowns"]]
    _user_copy(tmp_path, data, monkeypatch)
    yield tree("new_energy")
    tree_module.clear_cache()


def _pairs(table) -> set[tuple[str, str]]:
    return {(r["app_no"], r["branch"]) for r in table.to_pyarrow().to_pylist()}


def _by_app(rows: set[tuple[str, str]]) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {}
    for app, branch in rows:
        result.setdefault(app, set()).add(branch)
    return result


def test_the_user_copy_replaces_the_shipped_tree(test_tree):
    assert test_tree.sources == ("test",)
    assert [b.code for b in test_tree.children(None)] == [
        "new_energy.battery", "new_energy.storage", "new_energy.solar", "new_energy.grid"]
    assert test_tree.ancestors("new_energy.storage.traction") == ["new_energy.storage"]
    assert test_tree.get("new_energy.battery.cathode").level == 2
    assert test_tree.descendants("new_energy.battery") == [
        "new_energy.battery.cathode", "new_energy.battery.separator", "new_energy.battery.pack"]


def test_rule_placements_worked_by_hand(warehouse_nav, test_tree):
    got = _by_app(_pairs(rule_placements(warehouse_nav.ibis(), "new_energy")))
    assert got == RULES  # P7, P8, P10: no rule; P9: not new_energy


def test_rule_placements_of_some_applications(warehouse_nav, test_tree):
    con = warehouse_nav.ibis()
    apps = con.table("applications").filter(lambda t: t.app_no.isin([P5, P9]))
    assert _by_app(_pairs(rule_placements(con, "new_energy", apps))) == {P5: RULES[P5]}


def test_an_unknown_industry_is_a_key_error(warehouse_nav):
    with pytest.raises(KeyError):
        rule_placements(warehouse_nav.ibis(), "steel")


def _write(wh: Warehouse, predictions: list[tuple], corrections: list[tuple]) -> None:
    wh.con.execute("DELETE FROM branch_predictions")
    wh.con.execute("DELETE FROM branch_corrections")
    for industry, app, branch, confidence in predictions:
        wh.con.execute("INSERT INTO branch_predictions VALUES (?, ?, ?, ?, 'm1')", [industry, app, branch, confidence])
    for app, industry, branch, on in corrections:
        wh.con.execute("INSERT INTO branch_corrections VALUES (?, ?, ?, ?, 'tester', ?)",
                       [app, industry, branch, on, datetime(2026, 1, 1)])


def _rows(table) -> dict[tuple[str, str], tuple[str, float]]:
    return {(r["app_no"], r["branch"]): (r["source"], r["confidence"]) for r in table.to_pyarrow().to_pylist()}


def test_placements_rules_model_and_corrections(warehouse_nav, test_tree):
    ne = "new_energy"
    _write(warehouse_nav, predictions=[
        (ne, P7, "new_energy.solar.modules", 0.7),   # P7 has no level-1 rule placement: taken, with its parent
        (ne, P7, "new_energy.gone", 0.9),            # a branch no longer in the tree: ignored
        (ne, P10, "new_energy.battery.cathode", 0.6),
        (ne, P10, "new_energy.battery.pack", 0.8),   # battery takes the best child's confidence, 0.8
        (ne, P1, "new_energy.grid", 0.9),            # P1 is on a level-1 branch by rule: ignored
        (ne, P9, "new_energy.grid", 0.9),            # P9 is not a new_energy patent: ignored
        ("consumer_goods", P8, "new_energy.grid", 0.9),  # another industry's row: ignored
    ], corrections=[
        (P8, ne, "new_energy.storage.stationary", True),  # on: adds the branch and its parent
        (P1, ne, "new_energy.battery.cathode", True),     # on a rule placement: now 'corrected', parent too
        (P5, ne, "new_energy.storage", False),            # off: removes storage and storage.traction
        (P4, ne, "new_energy.battery.separator", False),  # off a sub-branch: the parent stays
        (P6, ne, "new_energy.grid", True),                # on a second level-1 branch; solar stays
        (P3, ne, "new_energy.battery", False),            # off the parent, on a child: the on wins, with
        (P3, ne, "new_energy.battery.cathode", True),     # its ancestors
        (P9, ne, "new_energy.grid", True),                # not a new_energy patent: ignored
    ])
    got = _rows(placements(warehouse_nav.ibis(), ne))
    rule, corrected = ("rule", 1.0), ("corrected", 1.0)
    expected = {
        (P1, "new_energy.battery"): corrected, (P1, "new_energy.battery.cathode"): corrected,
        (P2, "new_energy.battery"): rule, (P2, "new_energy.battery.cathode"): rule,
        (P3, "new_energy.battery"): corrected, (P3, "new_energy.battery.cathode"): corrected,
        (P4, "new_energy.battery"): rule,
        (P5, "new_energy.battery"): rule, (P5, "new_energy.battery.pack"): rule,
        (P6, "new_energy.solar"): rule, (P6, "new_energy.solar.modules"): rule, (P6, "new_energy.grid"): corrected,
        (P7, "new_energy.solar"): ("model", 0.7), (P7, "new_energy.solar.modules"): ("model", 0.7),
        (P8, "new_energy.storage"): corrected, (P8, "new_energy.storage.stationary"): corrected,
        (P10, "new_energy.battery"): ("model", 0.8), (P10, "new_energy.battery.cathode"): ("model", 0.6),
        (P10, "new_energy.battery.pack"): ("model", 0.8),
        (P11, "new_energy.battery"): rule, (P11, "new_energy.battery.pack"): rule,
        (P11, "new_energy.storage"): rule, (P11, "new_energy.storage.stationary"): rule,
    }
    assert got == expected
    _write(warehouse_nav, [], [])
    plain = _rows(placements(warehouse_nav.ibis(), ne))
    assert plain == {(app, b): rule for app, branches in RULES.items() for b in branches}


@pytest.mark.parametrize("on_first", [True, False])
def test_an_on_correction_beats_an_off_on_its_ancestor_in_counting_and_training(warehouse_nav, test_tree,
                                                                               on_first):
    # P5 by rule: battery, battery.pack, storage, storage.traction.  Corrections: off storage (takes storage,
    # storage.traction and storage.stationary away) and on storage.stationary (puts it and storage on), one an
    # hour after the other, either way round.  The on wins over the off on its ancestor whatever the order:
    # battery, battery.pack (rule); storage, storage.stationary (corrected); storage.traction gone.
    # Training (classifier.with_corrections) must learn the same labels, and off = {storage.traction}
    # (the off's descendants less the on's branch and ancestors).
    from hvpatent.navigation import classifier

    _write(warehouse_nav, [], [])
    rows = [(P5, "new_energy.storage.stationary", True), (P5, "new_energy.storage", False)]
    if not on_first:
        rows.reverse()
    for hour, (app, branch, on) in enumerate(rows):
        warehouse_nav.con.execute("INSERT INTO branch_corrections VALUES (?, 'new_energy', ?, ?, 'tester', ?)",
                                  [app, branch, on, datetime(2026, 1, 1, hour)])
    got = {b: source for (a, b), (source, _) in _rows(placements(warehouse_nav.ibis(), "new_energy")).items()
           if a == P5}
    assert got == {"new_energy.battery": "rule", "new_energy.battery.pack": "rule",
                   "new_energy.storage": "corrected", "new_energy.storage.stationary": "corrected"}
    data = classifier._Data([P5], None, {}, {}, {P5}, {P5: set(RULES[P5])}, 0)
    trained = classifier.with_corrections(data, rows, test_tree)
    assert trained.labels[P5] == set(got)
    assert trained.off[P5] == {"new_energy.storage.traction"}
    _write(warehouse_nav, [], [])


def test_placements_without_the_model_and_correction_tables(test_tree):
    # A Parquet export older than the tables (schema.LATER_TABLES): rule placements only.
    con = ibis.duckdb.connect()
    con.create_table("applications", ibis.memtable(
        [{"app_no": a, "title": t, "abstract": None} for a, t, _ in PATENTS],
        schema={"app_no": "string", "title": "string", "abstract": "string"}))
    con.create_table("ipc_classes", ibis.memtable(
        [{"app_no": a, "ipc": c} for a, _, ipcs in PATENTS for c in ipcs],
        schema={"app_no": "string", "ipc": "string"}))
    got = placements(con, "new_energy").to_pyarrow().to_pylist()
    assert {r["source"] for r in got} == {"rule"}
    assert _by_app({(r["app_no"], r["branch"]) for r in got}) == RULES


# --- the file's validation -------------------------------------------------------------------------------------

def _with_new_energy(**change) -> dict:
    data = _shipped()
    tree_ = copy.deepcopy(TEST_TREE)
    tree_.update(change)
    data["breakdowns"] = [tree_ if t["industry"] == "new_energy" else t for t in data["breakdowns"]]
    return data


def _branches(*edits: tuple[int, dict]) -> list[dict]:
    branches = copy.deepcopy(TEST_TREE["branches"])
    for i, change in edits:
        branches[i].update(change)
    return branches


@pytest.mark.parametrize(("data", "message"), [
    (_with_new_energy(branches=_branches((1, {"parent": "new_energy.solar"}))),
     r"industry new_energy: branch new_energy\.battery\.cathode: field parent: new_energy\.solar is not the code's "
     r"prefix"),
    (_with_new_energy(branches=_branches((2, {"code": "new_energy.battery.cathode"}))),
     r"industry new_energy: branch new_energy\.battery\.cathode: field code: duplicate branch code"),
    (_with_new_energy(branches=[TEST_TREE["branches"][1], TEST_TREE["branches"][0]]),
     r"branch new_energy\.battery\.cathode: field parent: the parent new_energy\.battery must be listed before"),
    (_with_new_energy(industry="steel"), r"industry steel: field industry: unknown industry"),
    (_with_new_energy(branches=_branches((0, {"code": "energy.battery"}))),
     r"branch energy\.battery: field code: a branch code is dotted and starts with new_energy\."),
    (_with_new_energy(branches=_branches((7, {"rules": [{"ipc": ["H02S", "光伏"]}]}))),
     r"branch new_energy\.solar: field rules\[1\]\.ipc: .*光伏"),
    (_with_new_energy(branches=_branches((0, {"rules": [{"ipc": ["H01M"], "exclude": ["nonsense"]}]}))),
     r"branch new_energy\.battery: field rules\[1\]\.exclude: .*nonsense"),
    (_with_new_energy(branches=_branches((9, {"rules": None}))),
     r"branch new_energy\.grid: field rules: a branch needs rules or sub-branches"),
    (_with_new_energy(branches=_branches((9, {"name_en": ""}))), r"branch new_energy\.grid: field name_en: missing"),
])
def test_a_bad_user_copy_names_file_industry_branch_and_field(tmp_path, monkeypatch, data, message):
    path = _user_copy(tmp_path, data, monkeypatch)
    try:
        with pytest.raises(TreeError, match=message) as caught:
            breakdowns()
        assert str(caught.value).startswith(str(path))
    finally:
        tree_module.clear_cache()


def test_every_industry_needs_a_tree():
    data = _shipped()
    data["breakdowns"] = [t for t in data["breakdowns"] if t["industry"] != "civil_aviation"]
    with pytest.raises(TreeError, match=r"mine\.yaml: field breakdowns: no tree for civil_aviation"):
        tree_module.parse(data, "mine.yaml")


def test_an_unreadable_user_copy_is_named(tmp_path, monkeypatch):
    path = tmp_path / "breakdowns.yaml"
    path.write_text("breakdowns: [\n", encoding="utf-8")
    monkeypatch.setattr(userconfig, "user_config_dir", lambda: tmp_path)
    tree_module.clear_cache()
    try:
        with pytest.raises(TreeError, match="cannot read the technology breakdowns"):
            breakdowns()
    finally:
        tree_module.clear_cache()


# --- the shipped trees -----------------------------------------------------------------------------------------

def test_the_shipped_file_has_a_cited_tree_per_industry():
    trees = tree_module.load(SHIPPED)
    assert sorted(trees) == sorted(i.code for i in industries())
    for code, t in trees.items():
        level1 = t.children(None)
        assert 4 <= len(level1) <= 7, code
        assert sum(2 <= len(t.children(b.code)) <= 4 for b in level1) >= len(level1) - 1, code
        assert t.sources and all("http" in s for s in t.sources), code
        assert all(b.name and b.name_en for b in t.branches), code


def _demo_patents() -> list[tuple[str, str, list[str]]]:
    """One patent per demo IPC code and title noun (demo/industries.yaml; generator._title's shape), and per
    code of the comparison world (demo/comparison.py), each with that single code: the hardest case for the rules,
    since a demo patent may carry two more codes of its industry."""
    from hvpatent.demo.comparison import WIDER_CODES

    demo = yaml.safe_load((SHIPPED.parent.parent / "demo" / "industries.yaml").read_text(encoding="utf-8"))
    patents, serial = [], 1
    for spec in demo["industries"].values():
        for code in dict.fromkeys(spec["ipc"] + spec["ipc_general"]):
            for noun in spec["nouns"]:
                patents.append((no(serial, 2021), f"一种{noun}及其制备方法", [code]))
                serial += 1
    for codes in WIDER_CODES.values():
        for code, noun, _ in codes:
            patents.append((no(serial, 2021), f"一种{noun}", [code]))
            serial += 1
    return patents


def test_the_shipped_trees_place_most_demo_patents_on_a_level1_branch(tmp_path):
    from hvpatent.indicators.base import industry_memberships

    wh = Warehouse(tmp_path / "demo.duckdb")
    try:
        _import(wh, _demo_patents(), "demo")
        con = wh.ibis()
        members = industry_memberships(con).to_pyarrow().to_pylist()
        coverage = {}
        for code, t in breakdowns().items():
            inside = {r["app_no"] for r in members if r["industry"] == code}
            level1 = {b.code for b in t.children(None)}
            placed = {app for app, branch in _pairs(rule_placements(con, code)) if branch in level1}
            assert placed <= inside
            coverage[code] = (len(placed & inside) / len(inside), len(inside))
        report = ", ".join(f"{c} {share:.0%} of {n}" for c, (share, n) in coverage.items())
        assert all(n > 0 for _, n in coverage.values()), report
        assert all(share >= 0.8 for share, _ in coverage.values()), report
    finally:
        wh.close()


def test_the_docs_list_every_shipped_branch():
    docs = (Path(__file__).parent.parent / "docs" / "navigation-trees.md").read_text(encoding="utf-8")
    missing = [b.code for t in tree_module.load(SHIPPED).values() for b in t.branches
               if f"`{b.code.split('.', 1)[1]}` | {b.name} | {b.name_en} |" not in docs]
    assert not missing, f"docs/navigation-trees.md lacks {missing}: regenerate its tables"
