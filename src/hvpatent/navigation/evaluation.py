"""Precision and recall by branch of the rules, the model and the two combined, against a hand-labelled set
(tests/navigation_labels.csv; docs/navigation-classifier.md).

Protocol.  The labelled patents are loaded into a warehouse (applications, IPC codes, a first applicant).  For
each industry, its labelled patents are split into FOLDS folds (by label_id order, round robin).  For each fold,
the hand labels of the other folds act as corrections (on for each labelled branch; off for every other level-1
branch, and for the other sub-branches of a parent labelled at level 2; applied in memory over the patents read
once, as `train` applies stored ones), the classifier is trained as `train` trains it (rule placements +
corrections), and the held-out fold's patents are predicted: their hand
labels are never seen.  Rule placements are what the rules give (no training); the model's placements are its
decision for every held-out patent; combined is what placements() reports without corrections: the rule
placements of a patent a rule places at level 1, else the model's.

A level-1 branch is judged on every labelled patent of the industry; a sub-branch on the patents labelled at
level 2 under its parent and on those not on its parent (a patent labelled at level 1 only leaves its
sub-branches unjudged).
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

FOLDS = 5
COLUMNS = ("label_id", "industry", "title", "abstract", "ipc", "branches", "note")


def read_labels(path: Path | str) -> list[dict]:
    """The labelled rows; ValueError naming the file, row and field for a bad one (unknown industry or branch,
    a branch of another industry, no IPC code, a duplicate label_id)."""
    from hvpatent.navigation.tree import breakdowns

    trees = breakdowns()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise ValueError(f"{path}: 无法读取 / cannot read: {err}") from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"{path}: 缺少列 / missing columns: {', '.join(missing)}")
    rows, seen = [], set()
    for n, row in enumerate(reader, 2):
        def bad(column: str, why: str, n: int = n, row: dict = row) -> ValueError:
            return ValueError(f"{path}: 第 {n} 行 / row {n}, {column} = {row.get(column)!r}: {why}")

        label_id = (row["label_id"] or "").strip()
        if not label_id or label_id in seen:
            raise bad("label_id", "为空或重复 / empty or duplicate")
        seen.add(label_id)
        industry = (row["industry"] or "").strip()
        if industry not in trees:
            raise bad("industry", "未知的产业 / unknown industry")
        t = trees[industry]
        ipcs = [c.strip().replace(" ", "") for c in (row["ipc"] or "").split(";") if c.strip()]
        if not ipcs:
            raise bad("ipc", "至少一个 IPC / at least one IPC code")
        branches = [b.strip() for b in (row["branches"] or "").split(";") if b.strip()]
        codes = set(t.codes())
        if any(b not in codes for b in branches):
            raise bad("branches", f"不是 {industry} 的分支 / not a branch of {industry}")
        labelled = set(branches)
        for b in branches:
            labelled.update(t.ancestors(b))
        rows.append({"label_id": label_id, "industry": industry, "title": row["title"] or "",
                     "abstract": row["abstract"] or "", "ipcs": ipcs, "branches": labelled,
                     "note": row["note"] or ""})
    return rows


def load_labels(con, rows: list[dict]) -> dict[str, str]:
    """Write the labelled patents into an empty warehouse connection's tables; {label_id: app_no}."""
    from hvpatent.ingest.appno import check_digit

    app_nos = {}
    for i, row in enumerate(rows, 1):
        digits = f"20201{i:07d}"
        app_nos[row["label_id"]] = f"{digits}.{check_digit(digits)}"
    con.executemany("INSERT INTO applications (app_no, patent_type, filing_date, title, abstract, ipc_main, source, "
                    "row_hash, first_import_id, last_import_id) VALUES (?, 'invention', ?, ?, ?, ?, 'labels', ?, 0, 0)",
                    [[app_nos[r["label_id"]], date(2020, 1, 1), r["title"], r["abstract"], r["ipcs"][0],
                      r["label_id"]] for r in rows])
    con.executemany("INSERT INTO ipc_classes (app_no, seq, ipc, is_main) VALUES (?, ?, ?, ?)",
                    [[app_nos[r["label_id"]], s, c, s == 1] for r in rows for s, c in enumerate(r["ipcs"], 1)])
    con.executemany("INSERT INTO parties (app_no, seq, role, name, name_norm, party_type) "
                    "VALUES (?, 1, 'applicant', ?, ?, 'enterprise')",
                    [[app_nos[r["label_id"]], f"标注企业{i}", f"标注企业{i}"] for i, r in enumerate(rows, 1)])
    return app_nos


def _judged(t, labels: set[str], branch: str) -> bool:
    b = t.get(branch)
    if b.level == 1:
        return True
    if b.parent not in labels:
        return True
    return any(c.code in labels for c in t.children(b.parent))


def _prf(tp: int, fp: int, fn: int) -> tuple[float | None, float | None, float | None]:
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = (2 * precision * recall / (precision + recall)) if precision and recall else (
        0.0 if precision is not None and recall is not None else None)
    return precision, recall, f1


def score(t, gold: dict[str, set[str]], predicted: dict[str, dict[str, set[str]]]) -> list[dict]:
    """Per branch of the tree (levels 1 and 2): support, and precision/recall/F1 of each method in ``predicted``
    ({method: {app_no: branches}}) against ``gold`` ({app_no: labelled branches, ancestors included})."""
    out = []
    for b in t.branches:
        if b.level > 2:
            continue
        judged = [a for a, labels in gold.items() if _judged(t, labels, b.code)]
        row = {"industry": t.industry, "branch": b.code, "name": b.name, "name_en": b.name_en, "level": b.level,
               "support": sum(1 for a in judged if b.code in gold[a]), "judged": len(judged)}
        for method, placed in predicted.items():
            tp = sum(1 for a in judged if b.code in gold[a] and b.code in placed.get(a, ()))
            fp = sum(1 for a in judged if b.code not in gold[a] and b.code in placed.get(a, ()))
            fn = sum(1 for a in judged if b.code in gold[a] and b.code not in placed.get(a, ()))
            p, r, f = _prf(tp, fp, fn)
            row.update({f"{method}_tp": tp, f"{method}_fp": fp, f"{method}_fn": fn, f"{method}_precision": p,
                        f"{method}_recall": r, f"{method}_f1": f})
        out.append(row)
    return out


def _corrections(t, labels: set[str]) -> list[tuple[str, bool]]:
    """A hand label as corrections: on its branches, off the other level-1 branches and the other sub-branches
    of a parent labelled at level 2."""
    out = [(b, True) for b in sorted(labels)]
    out += [(b.code, False) for b in t.children(None) if b.code not in labels]
    for parent in [b for b in labels if t.get(b).level == 1]:
        kids = t.children(parent)
        if any(k.code in labels for k in kids):
            out += [(k.code, False) for k in kids if k.code not in labels]
    return out


def evaluate(con, labels_path: Path | str, industries: list[str] | None = None,
             folds: int = FOLDS) -> list[dict]:
    """Per industry x branch: support, and precision, recall and F1 of the rules, the model and combined
    (see the module's protocol).  ``con``: an empty warehouse connection to build in (None: one in memory);
    ``labels_path``: the labelled set (the repository's is tests/navigation_labels.csv; the package ships none)."""
    from hvpatent.navigation.classifier import _backends, fit_predict, read, with_corrections
    from hvpatent.navigation.placement import rule_placements
    from hvpatent.navigation.tree import tree

    rows = read_labels(labels_path)
    own = None
    if con is None:
        from hvpatent.warehouse.store import Warehouse

        own = Warehouse(":memory:")
        con = own.con
    try:
        app_nos = load_labels(con, rows)
        _, ib = _backends(con)
        out = []
        for industry in industries or sorted({r["industry"] for r in rows}):
            t = tree(industry)
            mine = sorted((r for r in rows if r["industry"] == industry), key=lambda r: r["label_id"])
            gold = {app_nos[r["label_id"]]: r["branches"] for r in mine}
            level = {b.code: b.level for b in t.branches}
            ruled: dict[str, set[str]] = {}
            placed = rule_placements(ib, industry).to_pyarrow().to_pydict()
            for a, b in zip(placed["app_no"], placed["branch"], strict=True):
                ruled.setdefault(a, set()).add(b)
            members = _members(ib, industry)
            outside = [r["label_id"] for r in mine if app_nos[r["label_id"]] not in members]
            if outside:
                raise ValueError(f"{labels_path}: 不属于产业 {industry} 的标注专利 / labelled "
                                 f"patents outside the industry {industry} (IPC): {', '.join(outside)}")
            model: dict[str, set[str]] = {}
            base = read(con, industry)   # the patents and their rule placements, read once for every fold
            for k in range(folds):
                held = {app_nos[r["label_id"]] for i, r in enumerate(mine) if i % folds == k}
                corrections = [(a, b, on) for a, labels in gold.items() if a not in held
                               for b, on in _corrections(t, labels)]
                data = with_corrections(base, corrections, t)
                _, predictions, _, _ = fit_predict(con, industry, predict="all", data=data)
                for a in held:
                    model[a] = set(predictions.get(a, {}))
            rules = {a: {b for b in ruled.get(a, ()) if level[b] <= 2} for a in gold}
            combined = {a: rules[a] if any(level[b] == 1 for b in rules[a]) else model.get(a, set()) for a in gold}
            out += score(t, gold, {"rule": rules, "model": model, "combined": combined})
        return out
    finally:
        if own is not None:
            own.close()


def _members(ib, industry: str) -> set[str]:
    from hvpatent.indicators.base import industry_memberships

    m = industry_memberships(ib)
    return set(m.filter(m.industry == industry).select("app_no").to_pyarrow().column(0).to_pylist())


def summary(rows: list[dict]) -> list[dict]:
    """Micro-averaged figures per industry over its level-1 branches (and over all industries: industry '*')."""
    out = []
    groups: dict[str, list[dict]] = {}
    for r in rows:
        if r["level"] == 1:
            groups.setdefault(r["industry"], []).append(r)
    groups["*"] = [r for rs in list(groups.values()) for r in rs]
    for industry, rs in groups.items():
        row: dict = {"industry": industry, "support": sum(r["support"] for r in rs)}
        for method in ("rule", "model", "combined"):
            p, r_, f = _prf(*(sum(r[f"{method}_{x}"] for r in rs) for x in ("tp", "fp", "fn")))
            row.update({f"{method}_precision": p, f"{method}_recall": r_, f"{method}_f1": f})
        out.append(row)
    return out
