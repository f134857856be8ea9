"""The demo's outcome mechanism (demo/outcomes.py, docs/demo.md "How the demo draws outcomes"): outcomes follow
a latent merit that no file shows, with the rates and slopes the docs state; the patents file's 专利引证 column
imports as citations of earlier publications."""

from __future__ import annotations

import ast
import csv
import math
import random
import statistics
from datetime import date
from pathlib import Path
from typing import ClassVar

import pytest

import hvpatent.demo.generator as generator
from hvpatent.demo import outcomes as oc
from hvpatent.demo.generator import PATENT_HEADERS, generate_demo
from hvpatent.demo.outcomes import Outcomes, scaled
from hvpatent.ingest import import_file
from hvpatent.warehouse.store import Warehouse


def test_scaled_rate_keeps_its_mean():
    # Worked: 0.1·exp(1.0·0.5 − 0.5) = 0.1; 0.02·exp(0.7·0 − 0.245) = 0.015654; capped at 0.95.
    assert scaled(0.1, 1.0, 0.5) == pytest.approx(0.1)
    assert scaled(0.02, 0.7, 0.0) == pytest.approx(0.02 * math.exp(-0.245))
    assert scaled(0.5, 2.0, 5.0) == 0.95
    rng = random.Random(1)
    mean = statistics.fmean(scaled(0.02, 0.7, rng.gauss(0, 1)) for _ in range(200_000))
    assert mean == pytest.approx(0.02, rel=0.02)  # E[exp(b·m − b²/2)] = 1 for m ~ N(0, 1)


def _kept_five_years(merit: float, n: int = 500) -> float:
    """Share of inventions (base hazard 0.12) with no lapse in their five annuity years 3–7 (filed 2000-01-01,
    granted 2002-01-01, an 8-year term so the loop stops there; export date far later)."""
    out = Outcomes(seed=3, export_date=date(2030, 1, 1))
    kept = 0
    for _ in range(n):
        life = out.after_grant(merit, date(2000, 1, 1), date(2002, 1, 1), 0.12, 8)
        kept += not any(words == "未缴年费专利权终止" for _, words in life.events)
    return kept / n


def test_lapse_hazard_falls_with_merit():
    # Worked: h = 0.12·1.2·exp(−0.7·m − 0.245); m = 2: 0.0278, kept 5 years (1 − h)^5 = 0.868;
    # m = −2: 0.457, (1 − h)^5 = 0.047.
    assert _kept_five_years(2.0) == pytest.approx(0.868, abs=0.05)
    assert _kept_five_years(-2.0) == pytest.approx(0.047, abs=0.03)


def test_citations_go_to_earlier_and_better_documents():
    out = Outcomes(seed=5, export_date=date(2024, 12, 31))
    out.publish("电子信息", "invention", "CN100000001B", date(2010, 5, 1), 2.5)     # weight 1
    out.publish("电子信息", "invention", "CN100000002B", date(2010, 5, 1), -2.5)    # weight exp(−5) = 0.0067
    out.publish("电子信息", "invention", "CN100000003B", date(2020, 5, 1), 2.5)     # later than the citing filing
    out.publish("电子信息", "design", "CN300000004S", date(2009, 5, 1), 2.5)        # designs are never cited
    calls = [out.citations("电子信息", "invention", date(2015, 1, 1)) for _ in range(400)]
    cited = [no for call in calls for no in call]
    assert "CN100000003B" not in cited and "CN300000004S" not in cited
    # The first demo document each citing patent chose (a patent cites a document once, so its later picks
    # are from the rest): odds 1 : 0.0067, about 1 in 150 first picks the poor one.
    first = [next(no for no in call if no.startswith("CN")) for call in calls if any(n.startswith("CN") for n in call)]
    good, poor = first.count("CN100000001B"), first.count("CN100000002B")
    assert good > 250 and poor <= 5
    assert out.citations("新能源", "design", date(2015, 1, 1)) == []  # designs cite nothing


class _Recording(Outcomes):
    merits: ClassVar[list[float]] = []

    def merit(self) -> float:
        m = super().merit()
        _Recording.merits.append(m)
        return m


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A small demo district with each row's merit recorded (the generator draws one per row, in row order),
    and its patents file imported."""
    root = tmp_path_factory.mktemp("demo_outcomes")
    _Recording.merits = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(generator, "Outcomes", _Recording)
        paths = generate_demo(root / "files", applications=1500, seed=7, comparison=0)
    patents = next(p for p in paths if p.name == "patents_cnipa.csv")
    with patents.open(encoding="gb18030") as fh:
        reader = csv.reader(fh)
        next(reader)
        header = next(reader)
        rows = [dict(zip(header, r, strict=True)) for r in reader]
    # The planted abnormal applications (demo/abnormal.py, written last) draw no merit: the ordinary rows only.
    with (root / "files" / "planted-abnormal.csv").open(encoding="utf-8") as fh:
        planted = {r["app_no"] for r in csv.DictReader(fh)}
    rows = [r for r in rows if r["申请号"] not in planted]
    db = root / "w.duckdb"
    with Warehouse(db) as wh:
        _, skipped = import_file(wh, patents)
    assert not skipped
    return {"header": header, "rows": rows, "merits": list(_Recording.merits), "db": db, "paths": paths,
            "planted": planted}


def test_merit_is_in_no_file(world):
    assert world["header"] == [*PATENT_HEADERS, "发明人", "首项权利要求"]
    assert len(world["merits"]) == len(world["rows"]) == 1500 - len(world["planted"])
    for module in (generator, oc):  # never reads the value room or its configuration
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert "hvpatent.demo.outcomes" in imported or module is oc
        assert not any(name.startswith("hvpatent.value") for name in imported), imported
        texts = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        assert not any("config.yaml" in t for t in texts)


def test_outcomes_follow_merit(world):
    rows, merits = world["rows"], world["merits"]
    claims = [(m, int(r["权利要求数量"])) for m, r in zip(merits, rows, strict=True) if r["权利要求数量"]]
    # claims = 9 + 2·m + N(0, 2.5): correlation 2 / sqrt(4 + 6.25) = 0.62 before rounding and clipping
    assert statistics.correlation([m for m, _ in claims], [c for _, c in claims]) > 0.45
    granted_early = [(m, r) for m, r in zip(merits, rows, strict=True)
                     if r["授权公告日"] and r["授权公告日"] < "2018-01-01" and r["专利类型"] != "外观设计"]
    lapsed = [m for m, r in granted_early if "未缴年费专利权终止" in r["法律事件"]]
    kept = [m for m, r in granted_early if "未缴年费专利权终止" not in r["法律事件"]]
    assert statistics.fmean(kept) - statistics.fmean(lapsed) > 0.3


def test_citations_import_and_point_back_in_time(world):
    rows = world["rows"]
    published = {r["公开(公告)号"]: r["公开(公告)日"] for r in rows if r["公开(公告)号"]}
    merit_of = {r["公开(公告)号"]: m for m, r in zip(world["merits"], rows, strict=True) if r["公开(公告)号"]}
    tokens = {(r["申请号"], no) for r in rows for no in r["专利引证"].split(";") if no}
    assert all(len([n for n in r["专利引证"].split(";") if n]) <= 5 for r in rows)
    received: dict[str, int] = dict.fromkeys(published, 0)
    for app_no, no in tokens:
        if no in published:  # a demo publication: earlier than the citing filing
            filing = next(r["申请日"] for r in rows if r["申请号"] == app_no)
            assert published[no] < filing
            received[no] += 1
    with Warehouse(world["db"], read_only=True) as wh:
        stored = set(wh.frame("SELECT citing_app_no, cited_no FROM citations").itertuples(index=False, name=None))
    assert stored == tokens and len(stored) > 500
    cited_merit = statistics.fmean(merit_of[no] for no, k in received.items() for _ in range(k))
    assert cited_merit > 0.4  # weight exp(min(m, 2.5)): the cited are better than the average patent (0)
