"""The technology-breakdown classifier: places the patents no rule places (docs/navigation-classifier.md).

Labels: the rule placements on level-1 and level-2 branches (navigation/placement.py) with the corrections over
them (branch_corrections; a correction wins: on adds the branch and its ancestors, off removes the branch and its
descendants, an on wins over an off on an ancestor — placement.correction_effects, the counting's rule).
Features: jieba words of the title and abstract and IPC tokens (navigation/text.py), hashed (bounded memory
whatever the vocabulary) and TF-IDF weighted.  Model: one logistic regression per branch
(one-vs-rest, class_weight balanced), each fitted on the rows whose answer for that branch is known:
a level-1 branch on every patent placed at level 1 (positives: on it; negatives: on another level-1 branch or
corrected off it); a level-2 branch on the patents on its parent (the model of a sub-branch is conditional).
A branch with fewer than MIN_POSITIVES positives is not modelled (reported, never a crash).

Decision: a level-1 branch is kept when p >= KEEP (0.5); when none is, the best level-1 branch is kept if its
p >= FALLBACK (0.3) — a patent of the industry nearly always belongs to some branch of its tree, and the rules'
balanced weights make 0.3-0.5 a real but uncertain vote; below 0.3 it is left unplaced.  A level-2 branch is
kept when its parent is kept and p(sub | parent) >= KEEP; its confidence is p(parent) x p(sub | parent).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pyarrow as pa

KEEP = 0.5
FALLBACK = 0.3
CONTRADICTS = 0.1     # a rule placement the model gives p below this is queued for review
MIN_POSITIVES = 5
N_FEATURES = 2 ** 18
BATCH_ROWS = 20_000
RANDOM_STATE = 0


@dataclass
class TrainReport:
    industry: str
    model: str = ""                 # fingerprint of the fitted model ('' when nothing was modelled)
    training_patents: int = 0       # patents with a known answer for at least one branch
    labels: int = 0                 # (patent, branch) positive labels the model learnt from
    corrections: int = 0            # corrections of this industry among them
    placed: int = 0                 # patents the model placed (no level-1 rule placement before)
    train_seconds: float = 0.0
    predict_seconds: float = 0.0
    candidates: int = 0             # patents of the industry with no level-1 rule placement
    modelled: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)   # branches with too few positives (< MIN_POSITIVES)
    contradictions: int = 0         # rule placements the model gives p < CONTRADICTS (review_queue)
    read_seconds: float = 0.0


def _backends(con):
    """(DuckDB connection, Ibis backend) from either."""
    import duckdb
    import ibis

    if isinstance(con, duckdb.DuckDBPyConnection):
        backend = ibis.duckdb.from_connection(con)
        con.execute("SET python_enable_replacements = true")  # as Warehouse.ibis(): Ibis turns them off
        return con, backend
    return con.con, con


def _tree(industry: str):
    from hvpatent.navigation.tree import tree

    try:
        return tree(industry)
    except KeyError:
        raise ValueError(f"未知的产业 {industry!r} / unknown industry {industry!r}") from None


@dataclass
class _Data:
    app_nos: list[str]
    x: object                      # scipy sparse, hashed token counts
    labels: dict[str, set[str]]    # app_no -> branches (level 1 and 2) after corrections
    off: dict[str, set[str]]       # app_no -> branches corrected off
    rule_level1: set[str]          # patents with a level-1 rule placement
    rule: dict[str, set[str]]      # app_no -> rule branches (before corrections)
    corrections: int


def read(con, industry: str) -> _Data:
    """The industry's patents, features and labels (rule placements and the stored corrections)."""
    return _read(con, industry, _tree(industry))


def _read(con, industry: str, tr) -> _Data:
    """The industry's patents (title, abstract, IPC codes as Arrow batches, hashed as they come) and labels."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import HashingVectorizer

    from hvpatent.indicators.base import industry_memberships
    from hvpatent.navigation.placement import rule_placements
    from hvpatent.navigation.text import tokens

    duck, ib = _backends(con)
    level = {b.code: b.level for b in tr.branches}
    members = industry_memberships(ib)
    members = members.filter(members.industry == industry).select("app_no").distinct()
    apps = ib.table("applications").semi_join(members, "app_no").select("app_no", "title", "abstract")
    ipc = ib.table("ipc_classes").semi_join(members, "app_no")
    ipc = ipc.group_by("app_no").aggregate(ipcs=ipc.ipc.collect())
    data = apps.left_join(ipc, "app_no").select("app_no", "title", "abstract", "ipcs").order_by("app_no")
    hasher = HashingVectorizer(analyzer=_identity, n_features=N_FEATURES, alternate_sign=False, norm=None)
    app_nos: list[str] = []
    parts = []
    # Streamed in batches (this DuckDB's cursor has no fetch_record_batch for Ibis' to_pyarrow_batches).
    for batch in duck.sql(str(ib.compile(data))).to_arrow_reader(BATCH_ROWS):
        cols = batch.to_pydict()
        docs = [tokens(t, a, i or ()) for t, a, i in zip(cols["title"], cols["abstract"], cols["ipcs"], strict=True)]
        app_nos.extend(cols["app_no"])
        parts.append(hasher.transform(docs))
    x = sp.vstack(parts).tocsr() if parts else sp.csr_matrix((0, N_FEATURES))

    rule: dict[str, set[str]] = {}
    placed = rule_placements(ib, industry)
    for app_no, branch in zip(*placed.select("app_no", "branch").to_pyarrow().to_pydict().values(), strict=True):
        if level.get(branch, 9) <= 2:
            rule.setdefault(app_no, set()).add(branch)
    rule_level1 = {a for a, bs in rule.items() if any(level[b] == 1 for b in bs)}
    rows = duck.execute("SELECT app_no, branch, on_branch FROM branch_corrections WHERE industry = ? "
                        "ORDER BY corrected_at", [industry]).fetchall() if _has(duck, "branch_corrections") else []
    return with_corrections(_Data(app_nos, x, {}, {}, rule_level1, rule, 0), rows, tr)


def with_corrections(data: _Data, rows: list[tuple[str, str, bool]], tr) -> _Data:
    """The data's labels: its rule placements with the corrections [(app_no, branch, on_branch)] over them, by
    the rule the counting applies (placement.correction_effects: on adds the branch and its ancestors, off
    removes the branch and its descendants, an on wins over an off on an ancestor, whatever their order)."""
    from hvpatent.navigation.placement import corrected, correction_effects

    level = {b.code: b.level for b in tr.branches}
    effects = correction_effects(tr, rows)
    labels = {a: set(bs) for a, bs in data.rule.items()}
    off: dict[str, set[str]] = {}
    for app_no, effect in effects.items():
        labels[app_no] = {b for b in corrected(labels.get(app_no, ()), effect) if level[b] <= 2}
        off[app_no] = set(effect[1])
    return _Data(data.app_nos, data.x, labels, off, data.rule_level1, data.rule, len(rows))


def _identity(doc: list[str]) -> list[str]:
    return doc


def _has(duck, table: str) -> bool:
    return bool(duck.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                             [table]).fetchall()[0][0])


@dataclass
class _Model:
    branches: list[str]            # modelled, parents before children
    fitted: dict[str, object]
    tfidf: object
    fingerprint: str
    skipped: list[str]
    labels: int
    training_patents: int


def _fit(data: _Data, tr) -> _Model:
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    index = {a: i for i, a in enumerate(data.app_nos)}
    level1_known = [a for a, bs in data.labels.items()
                    if a in index and any(tr.get(b).level == 1 for b in bs)]
    rows_used: set[int] = set()
    plans: list[tuple[str, np.ndarray, np.ndarray]] = []
    skipped: list[str] = []
    labels = 0
    for b in tr.branches:
        if b.level > 2:
            continue
        # a level-1 branch: every patent placed at level 1; a sub-branch: the patents on its parent
        pool = set(level1_known) if b.level == 1 else {a for a in level1_known if b.parent in data.labels[a]}
        pool |= {a for a, bs in data.off.items() if b.code in bs and a in index}
        pos = sorted(a for a in pool if b.code in data.labels.get(a, ()))
        neg = sorted(a for a in pool if b.code not in data.labels.get(a, ()))
        if len(pos) < MIN_POSITIVES or not neg:
            skipped.append(b.code)
            continue
        rows = np.array([index[a] for a in pos + neg])
        y = np.array([1] * len(pos) + [0] * len(neg))
        plans.append((b.code, rows, y))
        rows_used.update(rows.tolist())
        labels += len(pos)
    if not plans:
        return _Model([], {}, None, "", skipped, 0, 0)
    used = np.array(sorted(rows_used))
    tfidf = TfidfTransformer(sublinear_tf=True).fit(data.x[used])
    xt = tfidf.transform(data.x)
    fitted = {}
    digest = hashlib.sha256(tr.industry.encode())
    for code, rows, y in plans:
        # liblinear's dual: its cost grows with the rows, not with the 2**18 hashed columns
        model = LogisticRegression(C=4.0, solver="liblinear", dual=True, class_weight="balanced",
                                   random_state=RANDOM_STATE, max_iter=1000)
        model.fit(xt[rows], y)
        fitted[code] = model
        digest.update(code.encode())
        digest.update(np.round(model.coef_, 6).tobytes())
    return _Model([c for c, _, _ in plans], fitted, tfidf, "nav-" + digest.hexdigest()[:12], skipped, labels,
                  len(used))


def _probabilities(model: _Model, x) -> np.ndarray:
    """(rows, modelled branches): p(level-1 branch), p(sub-branch | parent) for level 2."""
    if not model.branches or x.shape[0] == 0:
        return np.zeros((x.shape[0], len(model.branches)))
    xt = model.tfidf.transform(x)
    return np.column_stack([model.fitted[c].predict_proba(xt)[:, 1] for c in model.branches])


def _decide(model: _Model, probs: np.ndarray, tr) -> list[dict[str, float]]:
    """Each row's kept branches with their confidence (see the module's decision rule)."""
    col = {c: j for j, c in enumerate(model.branches)}
    level1 = [c for c in model.branches if tr.get(c).level == 1]
    level2 = [c for c in model.branches if tr.get(c).level == 2]
    out = []
    for p in probs:
        kept = {c: float(p[col[c]]) for c in level1 if p[col[c]] >= KEEP}
        if not kept and level1:
            best = max(level1, key=lambda c: p[col[c]])
            if p[col[best]] >= FALLBACK:
                kept[best] = float(p[col[best]])
        for c in level2:
            parent = tr.get(c).parent
            if parent in kept and p[col[c]] >= KEEP:
                kept[c] = kept[parent] * float(p[col[c]])
        out.append(kept)
    return out


def fit_predict(con, industry: str, predict: str = "unplaced", *, data: _Data | None = None
                ) -> tuple[TrainReport, dict[str, dict[str, float]], list[tuple[str, str, float]], _Model]:
    """Train on the industry's labels and predict: the report, {app_no: {branch: confidence}} for the patents
    predicted (``unplaced``: no level-1 rule placement, as `train`; ``all``: every patent of the industry, for
    the evaluation), and the rule placements the model contradicts [(app_no, branch, p)].  ``data``: patents
    already read (`read`), with labels (`with_corrections`), instead of reading the warehouse."""
    tr = _tree(industry)
    start = time.perf_counter()
    if data is None:
        data = _read(con, industry, tr)
    read = time.perf_counter() - start
    report = TrainReport(industry, corrections=data.corrections, read_seconds=round(read, 3))
    start = time.perf_counter()
    model = _fit(data, tr)
    report.train_seconds = round(time.perf_counter() - start, 3)
    report.model, report.modelled, report.skipped = model.fingerprint, model.branches, model.skipped
    report.labels, report.training_patents = model.labels, model.training_patents
    candidates = [i for i, a in enumerate(data.app_nos) if a not in data.rule_level1]
    report.candidates = len(candidates)
    rows = candidates if predict == "unplaced" else list(range(len(data.app_nos)))
    start = time.perf_counter()
    predictions: dict[str, dict[str, float]] = {}
    contradictions: list[tuple[str, str, float]] = []
    if model.branches:
        for lo in range(0, len(rows), BATCH_ROWS):
            chunk = rows[lo:lo + BATCH_ROWS]
            for i, kept in zip(chunk, _decide(model, _probabilities(model, data.x[chunk]), tr), strict=True):
                predictions[data.app_nos[i]] = kept
        # Rule placements the model disagrees with (in-sample, so only strong disagreement shows).
        col = {c: j for j, c in enumerate(model.branches)}
        ruled = [i for i, a in enumerate(data.app_nos) if a in data.rule_level1]
        for lo in range(0, len(ruled), BATCH_ROWS):
            chunk = ruled[lo:lo + BATCH_ROWS]
            probs = _probabilities(model, data.x[chunk])
            for i, p in zip(chunk, probs, strict=True):
                a = data.app_nos[i]
                for b in data.rule.get(a, ()):
                    if b in col and b in data.labels.get(a, ()) and tr.get(b).level == 1 and p[col[b]] < CONTRADICTS:
                        contradictions.append((a, b, float(p[col[b]])))
    report.predict_seconds = round(time.perf_counter() - start, 3)
    candidate_set = {data.app_nos[i] for i in candidates}
    report.placed = sum(1 for a, kept in predictions.items() if kept and a in candidate_set)
    report.contradictions = len(contradictions)
    return report, predictions, contradictions, model


def train(con, industry: str, *, write: bool = True) -> TrainReport:
    """Train the industry's classifier on its rule placements and corrections, predict the patents no level-1
    rule places, and (``write``) replace the industry's rows of branch_predictions in one transaction: the
    model's placements, and the rule placements it contradicts (confidence < CONTRADICTS; those patents have a
    level-1 rule placement, so placements() never reads them as model placements — review_queue does)."""
    report, predictions, contradictions, _ = fit_predict(con, industry)
    if write:
        duck, _ib = _backends(con)
        rows = [(industry, a, b, round(c, 6), report.model) for a, kept in predictions.items() for b, c in kept.items()]
        rows += [(industry, a, b, round(p, 6), report.model) for a, b, p in contradictions]
        staged = pa.table({name: [r[i] for r in rows] for i, name in
                           enumerate(("industry", "app_no", "branch", "confidence", "model"))},
                          schema=pa.schema([("industry", pa.string()), ("app_no", pa.string()),
                                            ("branch", pa.string()), ("confidence", pa.float64()),
                                            ("model", pa.string())]))
        duck.begin()
        try:
            duck.execute("DELETE FROM branch_predictions WHERE industry = ?", [industry])
            duck.register("hvp_staged_predictions", staged)
            duck.execute("INSERT INTO branch_predictions SELECT industry, app_no, branch, confidence, model "
                         "FROM hvp_staged_predictions")
            duck.unregister("hvp_staged_predictions")
            duck.commit()
        except Exception:
            duck.rollback()
            raise
    return report


def review_queue(con, industry: str, limit: int = 50) -> list[dict]:
    """The placements most worth a person's look, most doubtful first: the model's placements by the distance
    of their confidence from KEEP (source 'model'), and rule placements the model contradicts (source 'rule',
    doubt = the model's p); those already corrected are left out.
    Rows: {app_no, title, applicant, branch, branch_name, branch_name_en, confidence, source, why}."""
    tr = _tree(industry)
    duck, _ib = _backends(con)
    if not _has(duck, "branch_predictions"):
        return []
    rows = duck.execute(
        """
        WITH first AS (
            SELECT app_no, name FROM parties WHERE role = 'applicant'
            QUALIFY row_number() OVER (PARTITION BY app_no ORDER BY seq) = 1)
        SELECT p.app_no, a.title, f.name, p.branch, p.confidence,
               CASE WHEN p.confidence < ? THEN p.confidence ELSE abs(p.confidence - ?) END AS doubt
        FROM branch_predictions p
        JOIN applications a USING (app_no)
        LEFT JOIN first f USING (app_no)
        WHERE p.industry = ?
          AND NOT EXISTS (SELECT 1 FROM branch_corrections c WHERE c.app_no = p.app_no
                          AND c.industry = p.industry AND c.branch = p.branch)
        ORDER BY doubt, p.app_no, p.branch
        LIMIT ?
        """, [CONTRADICTS, KEEP, industry, limit]).fetchall()
    out = []
    for app_no, title, applicant, branch, confidence, _doubt in rows:
        known = branch in {b.code for b in tr.branches}
        node = tr.get(branch) if known else None
        contradicted = confidence < CONTRADICTS
        why = (f"规则归入，模型概率仅 {confidence:.2f} / rule placement the model gives p={confidence:.2f}"
               if contradicted else
               f"模型归入，置信度 {confidence:.2f} 接近阈值 {KEEP} / model placement, confidence {confidence:.2f}"
               f" near the threshold {KEEP}")
        out.append({"app_no": app_no, "title": title, "applicant": applicant, "branch": branch,
                    "branch_name": node.name if node else branch, "branch_name_en": node.name_en if node else branch,
                    "confidence": round(confidence, 4), "source": "rule" if contradicted else "model", "why": why})
    return out


def correct(con, app_no: str, industry: str, branch: str, on_branch: bool, by: str | None) -> None:
    """Record a person's decision that the patent is on (True) or off (False) the branch of the industry's tree;
    replaces an earlier decision on the same branch.  ValueError (bilingual) for an unknown patent, a patent
    outside the industry, or a branch not in the tree; audit-logged when ``by`` names the user."""
    tr = _tree(industry)
    if branch not in {b.code for b in tr.branches}:
        raise ValueError(f"产业 {industry} 的技术分解中没有分支 {branch!r} / no branch {branch!r} in the "
                         f"{industry} breakdown")
    duck, ib = _backends(con)
    if not duck.execute("SELECT count(*) FROM applications WHERE app_no = ?", [app_no]).fetchall()[0][0]:
        raise ValueError(f"仓库中没有申请号 {app_no} / no application {app_no} in the warehouse")
    from hvpatent.indicators.base import industry_memberships

    apps = ib.table("applications")
    member = industry_memberships(ib, apps.filter(apps.app_no == app_no))
    if not member.filter(member.industry == industry).count().execute():
        raise ValueError(f"{app_no} 不属于产业 {industry} / {app_no} is not in the industry {industry}")
    duck.execute("INSERT OR REPLACE INTO branch_corrections VALUES (?, ?, ?, ?, ?, ?)",
                 [app_no, industry, branch, on_branch, by, datetime.now()])
    if by:
        from hvpatent.warehouse.accounts import audit

        audit(duck, by, "branch_corrected", f"{app_no} {industry} {branch} {'on' if on_branch else 'off'}")
