"""The breakdown classifier (navigation/classifier.py), its tokens, corrections, review queue, the evaluation
against tests/navigation_labels.csv, and `hvp breakdown`.

Unit tests run on a tiny tree (a user copy of breakdowns.yaml in a temporary config folder) and a tiny world of
generated new-energy patents; the evaluation test runs on the shipped trees and the real labelled set.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from hvpatent.navigation import classifier, evaluation, text
from hvpatent.navigation.tree import breakdowns, tree

LABELS = Path(__file__).parent / "navigation_labels.csv"

# Every plan industry needs a tree; only new_energy's matters here.
TINY = {"breakdowns": [
    {"industry": "new_energy", "name": "新能源", "sources": ["test"], "branches": [
        {"code": "new_energy.battery", "name": "动力电池", "name_en": "batteries", "rules": [{"ipc": ["H01M"]}]},
        {"code": "new_energy.battery.cathode", "name": "正极材料", "name_en": "cathodes",
         "rules": [{"ipc": ["H01M4"]}]},
        {"code": "new_energy.battery.pack", "name": "电池包", "name_en": "packs", "rules": [{"ipc": ["H01M50"]}]},
        {"code": "new_energy.solar", "name": "光伏", "name_en": "solar", "rules": [{"ipc": ["H02S"]}]},
        {"code": "new_energy.charging", "name": "充电", "name_en": "charging", "rules": [{"ipc": ["H02J7"]}]},
        {"code": "new_energy.wind", "name": "风电", "name_en": "wind", "rules": [{"ipc": ["F03D"]}]},
    ]},
    *({"industry": code, "name": code, "branches": [
        {"code": f"{code}.all", "name": "全部", "name_en": "all", "rules": [{"ipc": [ipc]}]}]}
      for code, ipc in (("auto_moto", "B62D"), ("electronics", "H01L"), ("intelligent_equipment", "B25J"),
                        ("smart_home_materials", "A47B"), ("consumer_goods", "A23L"),
                        ("biomedicine_health", "A61K"), ("civil_aviation", "B64C"))),
]}

CATHODE = ["磷酸铁锂正极材料", "三元正极材料", "高镍正极材料", "富锂锰基正极材料", "钴酸锂正极材料", "锰酸锂正极材料"]
PACK = ["动力电池包箱体", "电池模组液冷板", "电池包防爆阀", "电池模组端板", "电池包底护板", "电池箱体密封结构"]
SOLAR = ["光伏组件边框", "太阳能电池片栅线", "光伏支架跟踪", "光伏组件接线盒", "双面光伏组件", "光伏逆变器散热"]
CHARGE = ["电动汽车充电桩", "充电枪锁止", "直流充电模块", "无线充电线圈", "充电桩散热风道", "有序充电控制"]


def _world_rows() -> list[dict]:
    rows = []
    for i, w in enumerate(CATHODE):
        rows.append({"label_id": f"c{i}", "title": f"一种{w}及其制备方法",
                     "abstract": f"本发明公开了一种锂离子电池{w}，正极活性物质包覆改性，提高电池容量与循环寿命。",
                     "ipcs": ["H01M4/58", "H01M10/0525"]})
    for i, w in enumerate(PACK):
        rows.append({"label_id": f"p{i}", "title": f"一种{w}",
                     "abstract": f"本实用新型涉及一种锂离子电池{w}，电池模组安装于箱体内，提高电池包安全性。",
                     "ipcs": ["H01M50/20", "H01M10/613"]})
    for i, w in enumerate(SOLAR):
        rows.append({"label_id": f"s{i}", "title": f"一种{w}",
                     "abstract": f"本发明涉及一种{w}，光伏组件发电效率提高，太阳能利用率高。", "ipcs": ["H02S40/34"]})
    for i, w in enumerate(CHARGE):
        rows.append({"label_id": f"g{i}", "title": f"一种{w}",
                     "abstract": f"本发明公开了一种{w}，用于电动汽车充电，充电桩充电功率稳定。", "ipcs": ["H02J7/00"]})
    # Rule misses: new-energy patents (H02J3 is in the industry) that no branch rule takes.
    rows.append({"label_id": "miss_battery", "title": "一种锂离子电池正极材料包覆方法",
                 "abstract": "本发明公开了一种锂离子电池正极材料，正极活性物质包覆改性，提高电池容量。",
                 "ipcs": ["H02J3/32"]})
    rows.append({"label_id": "miss_solar", "title": "一种光伏组件发电监测方法",
                 "abstract": "本发明涉及光伏组件，太阳能光伏发电效率监测。", "ipcs": ["H02J3/38"]})
    rows.append({"label_id": "miss_none", "title": "一种配电网无功补偿方法",
                 "abstract": "本发明涉及配电网电压调节与无功补偿。", "ipcs": ["H02J3/18"]})
    # Not in the industry at all.
    rows.append({"label_id": "outside", "title": "一种汽车车身", "abstract": "车身结构。", "ipcs": ["B62D25/00"]})
    return rows


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("config")
    (folder / "hvpatent").mkdir()
    (folder / "hvpatent" / "breakdowns.yaml").write_text(yaml.safe_dump(TINY, allow_unicode=True), encoding="utf-8")
    return folder


@pytest.fixture
def tiny_tree(tiny_dir, monkeypatch):
    """The tiny tree in use (trees are cached by file path, so switching folders is cheap)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tiny_dir))
    return tree("new_energy")


@pytest.fixture
def real_trees(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))   # no user copy: the shipped breakdowns.yaml
    return breakdowns()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from hvpatent.warehouse.store import Warehouse

    path = tmp_path_factory.mktemp("wh") / "nav.duckdb"
    wh = Warehouse(path)
    app_nos = evaluation.load_labels(wh.con, _world_rows())
    yield wh, app_nos, path
    wh.close()


def test_tokens_drop_boilerplate_and_add_ipc_levels():
    got = text.tokens("一种磷酸铁锂正极材料及其制备方法", "本发明公开了一种正极材料。", ["H01M4/58"])
    assert "一种" not in got and "及其" not in got and "制备方法" not in got and "本发明" not in got
    assert got.count("正极") == 3            # title twice, abstract once
    assert got[-3:] == ["ipc:H01M", "ipc:H01M4", "ipc:H01M4/58"]
    assert text.ipc_tokens(["H01M", None, "B6"]) == ["ipc:H01M"]


def test_decision_rule_by_hand(tiny_tree):
    # Modelled columns: battery, solar, charging (level 1), battery.cathode (level 2, conditional on battery).
    model = classifier._Model(["new_energy.battery", "new_energy.solar", "new_energy.charging",
                               "new_energy.battery.cathode"], {}, None, "x", [], 0, 0)
    probs = np.array([
        [0.60, 0.55, 0.10, 0.80],   # two level-1 branches >= 0.5; cathode kept at 0.60 x 0.80 = 0.48
        [0.40, 0.20, 0.10, 0.90],   # none >= 0.5: best battery 0.40 >= 0.3 kept; cathode 0.40 x 0.90 = 0.36
        [0.25, 0.20, 0.10, 0.90],   # best 0.25 < 0.3: unplaced (and so is the sub-branch)
        [0.70, 0.10, 0.10, 0.45],   # battery kept, cathode 0.45 < 0.5 not
    ])
    got = classifier._decide(model, probs, tiny_tree)
    assert got[0] == pytest.approx({"new_energy.battery": 0.60, "new_energy.solar": 0.55,
                                    "new_energy.battery.cathode": 0.48})
    assert got[1] == pytest.approx({"new_energy.battery": 0.40, "new_energy.battery.cathode": 0.36})
    assert got[2] == {}
    assert got[3] == pytest.approx({"new_energy.battery": 0.70})


@pytest.fixture(scope="module")
def trained(world, tiny_dir):
    wh, _, _ = world
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CONFIG_HOME", str(tiny_dir))
        return classifier.train(wh.con, "new_energy")


def test_train_places_rule_misses_and_reports(world, trained, tiny_tree):
    wh, app_nos, _ = world
    r = trained
    # 24 rule-placed patents train; wind has no patent (skipped); the 3 rule misses are the candidates.
    assert r.training_patents == 24 and r.candidates == 3
    # positives: battery 12, cathode 6, pack 6, solar 6, charging 6 = 36
    assert r.labels == 36
    assert r.skipped == ["new_energy.wind"]
    assert r.model.startswith("nav-") and r.train_seconds >= 0 and r.predict_seconds >= 0
    rows = wh.con.execute("SELECT app_no, branch, confidence FROM branch_predictions WHERE industry = 'new_energy'"
                          " AND confidence >= 0.3").fetchall()
    placed = {(a, b) for a, b, _ in rows}
    assert (app_nos["miss_battery"], "new_energy.battery") in placed
    assert (app_nos["miss_solar"], "new_energy.solar") in placed
    assert not any(a == app_nos["miss_battery"] and b == "new_energy.solar" for a, b in placed)
    assert r.placed >= 2
    # The stored placements are what placements() reports as the model's.
    from hvpatent.navigation.placement import placements

    got = placements(wh.ibis(), "new_energy").to_pyarrow().to_pylist()
    model = {(g["app_no"], g["branch"]) for g in got if g["source"] == "model"}
    assert (app_nos["miss_battery"], "new_energy.battery") in model


def test_train_replaces_the_industrys_rows(world, trained, tiny_tree):
    wh, _, _ = world
    wh.con.execute("INSERT INTO branch_predictions VALUES ('new_energy', 'stale', 'new_energy.solar', 0.9, 'old'),"
                   " ('auto_moto', 'other', 'auto_moto.all', 0.9, 'old')")
    before = wh.count("branch_predictions")
    classifier.train(wh.con, "new_energy")
    assert wh.count("branch_predictions") == before - 1       # the stale new_energy row went, auto_moto's stays
    assert wh.con.execute("SELECT count(*) FROM branch_predictions WHERE app_no = 'other'").fetchall()[0][0] == 1
    wh.con.execute("DELETE FROM branch_predictions WHERE industry = 'auto_moto'")
    assert classifier.train(wh.con, "new_energy", write=False).placed == trained.placed


def test_correct_validates_audits_and_retrains(world, trained, tiny_tree):
    wh, app_nos, _ = world
    with pytest.raises(ValueError, match="no branch"):
        classifier.correct(wh.con, app_nos["c0"], "new_energy", "new_energy.nuclear", True, None)
    with pytest.raises(ValueError, match="no application"):
        classifier.correct(wh.con, "202010000000.X", "new_energy", "new_energy.solar", True, None)
    with pytest.raises(ValueError, match="not in the industry"):
        classifier.correct(wh.con, app_nos["outside"], "new_energy", "new_energy.solar", True, None)
    with pytest.raises(ValueError, match="unknown industry"):
        classifier.correct(wh.con, app_nos["c0"], "space", "new_energy.solar", True, None)
    # On: the rule-missed grid patent becomes a labelled solar patent; off: a cathode patent leaves battery
    # (and so its sub-branch cathode).
    classifier.correct(wh.con, app_nos["miss_none"], "new_energy", "new_energy.solar", True, "alice")
    classifier.correct(wh.con, app_nos["c0"], "new_energy", "new_energy.battery", False, None)
    assert wh.con.execute("SELECT count(*) FROM audit_log WHERE action = 'branch_corrected' AND username = 'alice'"
                          ).fetchall()[0][0] == 1
    again = classifier.train(wh.con, "new_energy", write=False)
    # training patents: 24 + miss_none = 25 (c0 stays: it is still known, off battery and on nothing else).
    # labels: 36 + 1 (solar, miss_none) - 2 (battery and cathode of c0) = 35
    assert (again.training_patents, again.labels, again.corrections) == (25, 35, 2)
    assert again.candidates == 3        # corrections do not change which patents the rules leave out
    wh.con.execute("DELETE FROM branch_corrections")
    wh.con.execute("DELETE FROM audit_log WHERE action = 'branch_corrected'")


def test_training_follows_the_countings_rule_for_overlapping_corrections(world, trained, tiny_tree):
    # p0 (a pack patent) by rule: battery, pack.  Corrected on cathode at 9:00, then off battery (its parent) at
    # 10:00.  Replayed in time order, the off would take battery, cathode and pack away; the counting's rule
    # (placement.correction_effects) is order-free: the on wins over the off on its ancestor, so p0 is on battery
    # and cathode (both corrected), pack is gone; off = {pack}.  Training learns exactly that.
    # labels: 36 - 1 (pack of p0) + 1 (cathode of p0) = 36 (replayed in order it would have been 36 - 2 = 34).
    from datetime import datetime

    from hvpatent.navigation.placement import placements

    wh, app_nos, _ = world
    p0 = app_nos["p0"]
    for hour, branch, on in ((9, "new_energy.battery.cathode", True), (10, "new_energy.battery", False)):
        wh.con.execute("INSERT INTO branch_corrections VALUES (?, 'new_energy', ?, ?, 'x', ?)",
                       [p0, branch, on, datetime(2026, 1, 1, hour)])
    try:
        counted = {(g["branch"], g["source"]) for g in placements(wh.ibis(), "new_energy").to_pyarrow().to_pylist()
                   if g["app_no"] == p0}
        assert counted == {("new_energy.battery", "corrected"), ("new_energy.battery.cathode", "corrected")}
        data = classifier.read(wh.con, "new_energy")
        assert data.labels[p0] == {b for b, _ in counted}
        assert data.off[p0] == {"new_energy.battery.pack"}
        again = classifier.train(wh.con, "new_energy", write=False)
        assert (again.labels, again.corrections) == (36, 2)
    finally:
        wh.con.execute("DELETE FROM branch_corrections")


def test_too_few_labels_reported_not_crashed(tiny_tree, tmp_path):
    from hvpatent.warehouse.store import Warehouse

    with Warehouse(tmp_path / "few.duckdb") as wh:
        evaluation.load_labels(wh.con, _world_rows()[:3] + _world_rows()[-4:])
        r = classifier.train(wh.con, "new_energy")
        assert r.model == "" and r.placed == 0 and r.labels == 0
        assert "new_energy.battery" in r.skipped   # 3 battery positives < 5
        assert wh.count("branch_predictions") == 0


def test_review_queue_order_by_hand(world, tiny_tree):
    wh, app_nos, _ = world
    wh.con.execute("DELETE FROM branch_predictions")
    rows = [(app_nos["miss_battery"], "new_energy.battery", 0.9),    # doubt |0.9-0.5| = 0.4
            (app_nos["miss_solar"], "new_energy.solar", 0.55),       # doubt 0.05
            (app_nos["miss_none"], "new_energy.charging", 0.35),     # doubt 0.15
            (app_nos["s0"], "new_energy.solar", 0.05)]               # contradiction: doubt = p = 0.05
    wh.con.executemany("INSERT INTO branch_predictions VALUES ('new_energy', ?, ?, ?, 'm')", [list(r) for r in rows])
    wh.con.execute("INSERT INTO branch_corrections VALUES (?, 'new_energy', 'new_energy.charging', false, 'x', now())",
                   [app_nos["miss_none"]])   # already reviewed: left out
    got = classifier.review_queue(wh.con, "new_energy", limit=10)
    # 0.05 ties: by app_no; s0 was loaded after miss_solar? No: load order gives c*, p*, s*, g*, miss_* numbers,
    # so s0's number is smaller than miss_solar's.
    assert [(g["app_no"], g["source"]) for g in got] == [
        (app_nos["s0"], "rule"), (app_nos["miss_solar"], "model"), (app_nos["miss_battery"], "model")]
    assert got[0]["branch_name"] == "光伏" and got[0]["applicant"] and got[0]["title"]
    assert "p=0.05" in got[0]["why"]
    assert len(classifier.review_queue(wh.con, "new_energy", limit=1)) == 1
    wh.con.execute("DELETE FROM branch_corrections")
    wh.con.execute("DELETE FROM branch_predictions")


def test_scores_by_hand(tiny_tree):
    # 4 patents; gold battery: a, b, c; not d.  Method x places battery on a, b, d.
    # battery: tp 2 (a, b), fp 1 (d), fn 1 (c): precision 2/3, recall 2/3, F1 2/3.
    # cathode (level 2): a labelled cathode; b labelled pack; c on battery at level 1 only (not judged);
    # d not on battery (judged, negative).  x places cathode on a and d: tp 1, fp 1 (d), fn 0.
    gold = {"a": {"new_energy.battery", "new_energy.battery.cathode"},
            "b": {"new_energy.battery", "new_energy.battery.pack"},
            "c": {"new_energy.battery"}, "d": {"new_energy.solar"}}
    placed = {"a": {"new_energy.battery", "new_energy.battery.cathode"}, "b": {"new_energy.battery"},
              "c": set(), "d": {"new_energy.battery", "new_energy.battery.cathode", "new_energy.solar"}}
    rows = {r["branch"]: r for r in evaluation.score(tiny_tree, gold, {"x": placed})}
    b = rows["new_energy.battery"]
    assert (b["support"], b["x_tp"], b["x_fp"], b["x_fn"]) == (3, 2, 1, 1)
    assert b["x_precision"] == pytest.approx(2 / 3) and b["x_recall"] == pytest.approx(2 / 3)
    assert b["x_f1"] == pytest.approx(2 / 3)
    c = rows["new_energy.battery.cathode"]
    assert (c["judged"], c["support"], c["x_tp"], c["x_fp"], c["x_fn"]) == (3, 1, 1, 1, 0)
    assert (c["x_precision"], c["x_recall"]) == (0.5, 1.0)
    # solar: support 1 (d), placed on d: precision 1, recall 1; wind: no support, nothing placed: None
    assert (rows["new_energy.solar"]["x_precision"], rows["new_energy.solar"]["x_recall"]) == (1.0, 1.0)
    assert rows["new_energy.wind"]["x_recall"] is None and rows["new_energy.wind"]["x_precision"] is None


def test_labels_file_errors_name_row_and_field(tiny_tree, tmp_path):
    bad = tmp_path / "bad.csv"
    head = "label_id,industry,title,abstract,ipc,branches,note\n"
    bad.write_text(head + "1,new_energy,一种电池,摘要,H01M4/58,new_energy.nuclear,\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"row 2, branches"):
        evaluation.read_labels(bad)
    bad.write_text(head + "1,new_energy,一种电池,摘要,,new_energy.battery,\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"row 2, ipc"):
        evaluation.read_labels(bad)
    bad.write_text("label_id,title\n1,x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing columns"):
        evaluation.read_labels(bad)


# ---- the CLI -----------------------------------------------------------------------------------------------------

def _hvp(*args: str):
    from hvpatent.cli.main import app

    return CliRunner().invoke(app, list(args))


def test_cli_breakdown(world, tiny_tree):
    wh, app_nos, path = world
    wh.con.execute("CHECKPOINT")
    wh.close()   # the command opens the file itself (the module's last use of the world)
    r = _hvp("--lang", "en", "breakdown", "train", "new_energy", "--db", str(path))
    assert r.exit_code == 0, r.output
    assert "new_energy" in r.output and "nav-" in r.output
    r = _hvp("breakdown", "show", "new_energy", "--db", str(path))
    assert r.exit_code == 0 and "动力电池" in r.output and "正极材料" in r.output
    r = _hvp("breakdown", "review", "new_energy", "--format", "json", "--db", str(path))
    assert r.exit_code == 0 and app_nos["miss_battery"] in r.output
    r = _hvp("--lang", "en", "breakdown", "correct", app_nos["miss_none"], "new_energy", "new_energy.wind",
             "--by", "bob", "--db", str(path))
    assert r.exit_code == 0 and "recorded" in r.output
    r = _hvp("breakdown", "correct", app_nos["miss_none"], "new_energy", "new_energy.wind", "--off",
             "--db", str(path))
    assert r.exit_code == 0 and "不属于" in r.output
    # Bad input: exit 2 with a message, never a traceback.
    for args, words in (
        (("breakdown", "show", "space"), "unknown industry"),
        (("breakdown", "train"), "--all"),
        (("breakdown", "correct", "not-a-number", "new_energy", "new_energy.wind"), "application number"),
        (("breakdown", "correct", app_nos["c0"], "new_energy", "new_energy.nuclear"), "no branch"),
        (("breakdown", "correct", app_nos["outside"], "new_energy", "new_energy.wind"), "not in the industry"),
        (("breakdown", "evaluate", "/nonexistent.csv"), "cannot read"),
    ):
        r = _hvp("--lang", "en", *args, "--db", str(path)) if args[1] != "evaluate" else _hvp("--lang", "en", *args)
        assert r.exit_code == 2, (args, r.output)
        assert words in r.output and "Traceback" not in r.output, (args, r.output)


# ---- the real labelled set -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("noconfig")))
        return evaluation.evaluate(None, LABELS)


def test_labelled_set_size_and_codes(real_trees):
    rows = evaluation.read_labels(LABELS)   # unknown industries or branch codes raise
    assert len(rows) >= 240
    per = {}
    for r in rows:
        per[r["industry"]] = per.get(r["industry"], 0) + 1
    assert len(per) == 8 and min(per.values()) >= 30, per


def test_model_adds_recall_over_rules(measured, capsys):
    summary = {s["industry"]: s for s in evaluation.summary(measured)}
    with capsys.disabled():
        print("\nindustry branch support | rule P R | model P R | combined P R")
        for r in measured:
            cells = [f"{r[f'{m}_{k}']:.2f}" if r[f"{m}_{k}"] is not None else " -  "
                     for m in ("rule", "model", "combined") for k in ("precision", "recall")]
            print(r["industry"], r["branch"], r["support"], *cells)
        for s in summary.values():
            print("summary", s)
    total = summary["*"]
    assert total["combined_recall"] >= total["rule_recall"]
    assert total["combined_recall"] > total["rule_recall"]    # the model finds branch patents the rules miss
    for industry, s in summary.items():
        assert s["combined_recall"] >= s["rule_recall"], industry


def test_cli_evaluate_gives_the_measured_figures(measured, real_trees, tmp_path):
    out = tmp_path / "eval.json"
    r = _hvp("breakdown", "evaluate", str(LABELS), "--industry", "electronics", "--format", "json",
             "--out", str(out))
    assert r.exit_code == 0, r.output
    import json

    got = {row["branch"]: row for row in json.loads(out.read_text(encoding="utf-8"))["branches"]}
    want = {row["branch"]: row for row in measured if row["industry"] == "electronics"}
    assert set(got) == set(want)
    for code, row in want.items():
        assert got[code]["support"] == row["support"]
        for key in ("rule_recall", "combined_recall", "combined_precision"):
            assert got[code][key] == (None if row[key] is None else round(row[key], 3)), (code, key)
    r = _hvp("--lang", "en", "breakdown", "evaluate", str(LABELS), "--industry", "space")
    assert r.exit_code == 2 and "unknown industry" in r.output
