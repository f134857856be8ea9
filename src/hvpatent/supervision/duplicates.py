"""Rules on near-identical texts: near_duplicate (article 3 item 1) and name_variants (item 6).

Both rules read the same groups of near-identical applications, searched once per context
(``ctx.memo("near_groups", ...)``): the text of an application is its title, abstract and first claim (each cut to
``text.max_chars``); texts shorter than ``text.min_chars`` without spaces, and designs, are not compared; a pair is
kept at the near_duplicate rule's ``threshold`` (estimated Jaccard similarity of the word shingles, text.py).

A same-day invention and utility model of one applicant for the same invention are lawful (Patent Law art. 9(1),
Implementing Regulations 2023 art. 47, 同日申请): such a pair is never made, and the utility model of such a twin
does not count towards a group's size.  docs/abnormal.md, "near-duplicates".
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from hvpatent.supervision import text as search
from hvpatent.supervision.agencies import agency_keys
from hvpatent.supervision.flags import Flag, RuleContext

MAX_LISTED = 50  # members listed in a flag's evidence; the count says how many there are
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class NearGroups:
    """The region's compared applications (``rows``: ctx.applications() rows as dicts, index 0..n-1), their
    signatures, the pairs kept (index i < j, similarity) and the connected groups of those pairs (lists of
    indexes, each in app_no order)."""

    rows: list[dict]
    sigs: np.ndarray
    pairs: list[tuple[int, int, float]]
    groups: list[list[int]]
    twins: frozenset[tuple[int, int]]  # same-day invention + utility model pairs of one applicant, never paired

    def similarity(self, i: int, j: int) -> float:
        return float(np.mean(self.sigs[i] == self.sigs[j]))

    def app_nos(self, members: list[int]) -> list[str]:
        return [str(self.rows[m]["app_no"]) for m in members]


def application_text(row: dict, max_chars: int) -> str:
    """Title, abstract and first claim, each cut to ``max_chars``, one per line."""
    parts = (row.get("title"), row.get("abstract"), row.get("first_claim"))
    return "\n".join(p[:max_chars] for p in parts if isinstance(p, str) and p.strip())


def norm_key(value: object) -> str:
    """An address as compared: NFKC (full-width folded), no spaces, lower case; '' when missing."""
    if not isinstance(value, str):
        return ""
    return _SPACES.sub("", unicodedata.normalize("NFKC", value)).lower()


def _agency_keys(ctx: RuleContext) -> dict[str, str]:
    """{agency cell: agency key} over the context's applications, as the agency figures key them
    (agencies.agency_keys: code or normalised name, a spelling without code joined to its coded agency)."""
    def build() -> dict[str, str]:
        return {cell: name.key for cell, name in agency_keys(ctx.applications()["agency"]).items()}
    return ctx.memo("agency_keys", build)  # type: ignore[return-value]


def _agency_key(keys: dict[str, str], cell: object) -> str:
    """The agency key of a cell; '' when it names no agency."""
    return keys.get(cell, "") if isinstance(cell, str) else ""


def _is_twin(a: dict, b: dict) -> bool:
    """An invention and a utility model filed on the same day by the same applicant (同日申请)."""
    kinds = {a["patent_type"], b["patent_type"]}
    return (kinds == {"invention", "utility_model"} and a["filing_date"] == b["filing_date"]
            and a["applicant"] == b["applicant"])


def _search(ctx: RuleContext) -> NearGroups:
    settings, rule = ctx.config.text, ctx.config.rule("near_duplicate")
    records = ctx.applications().to_dict("records")  # app_no order
    texts = [application_text(row, settings["max_chars"]) for row in records]
    # Designs are not compared: their protection is the drawings, and their text (the product's name and a one-line
    # 简要说明 of its use) is the same for every design of one product, so alike texts say nothing about the design.
    compared = [k for k, t in enumerate(texts) if len(_SPACES.sub("", t)) >= settings["min_chars"]
                and records[k]["patent_type"] != "design"]
    rows = [records[k] for k in compared]
    # each field is already cut to max_chars; the joined text holds up to three of them
    sigs = search.signatures([texts[k] for k in compared], num_perm=settings["num_perm"],
                             shingle=settings["shingle"], max_chars=3 * settings["max_chars"] + 2,
                             workers=int(settings.get("workers", 1)))
    pairs, twins = [], set()
    for i, j, sim in search.similar_pairs(sigs, bands=settings["bands"], threshold=rule["threshold"]):
        if _is_twin(rows[i], rows[j]):
            twins.add((i, j))
        else:
            pairs.append((i, j, sim))
    return NearGroups(rows, sigs, pairs, search.groups(len(rows), pairs), frozenset(twins))


def near_groups(ctx: RuleContext) -> NearGroups:
    """The near-identical groups of the context's applications, searched once and shared by both rules."""
    return ctx.memo("near_groups", lambda: _search(ctx))  # type: ignore[return-value]


def _counted(found: NearGroups, members: list[int]) -> list[int]:
    """1 for each member that counts towards the group's size, 0 for the utility model of a same-day twin whose
    invention is in the group as well."""
    inside = set(members)
    twin_models = {i if found.rows[i]["patent_type"] == "utility_model" else j
                   for i, j in found.twins if i in inside and j in inside}
    return [0 if m in twin_models else 1 for m in members]


def _window_subsets(found: NearGroups, members: list[int], window_days: int, min_cluster: int) -> list[list[int]]:
    """The group's window-bounded subsets that reach ``min_cluster``: the largest subset whose filings lie within
    ``window_days`` of its first filing (ties: the earliest), then the largest of the rest, and so on."""
    left = sorted(members, key=lambda m: (found.rows[m]["filing_date"], found.rows[m]["app_no"]))
    chosen = []
    while left:
        days = [found.rows[m]["filing_date"].toordinal() for m in left]
        prefix = np.concatenate([[0], np.cumsum(_counted(found, left))])
        best, best_start, best_end = 0, 0, 0
        for start in range(len(left)):
            end = bisect.bisect_right(days, days[start] + window_days)
            size = int(prefix[end] - prefix[start])
            if size > best:
                best, best_start, best_end = size, start, end
        if best < min_cluster:
            break
        chosen.append(sorted(left[best_start:best_end]))
        left = left[:best_start] + left[best_end:]
    return chosen


def _closest(found: NearGroups, i: int, subset: list[int]) -> tuple[str | None, float]:
    """The member most similar to ``i`` (its same-day twin left out; ties: the smaller app_no) and their
    estimated similarity; (None, 0.0) when no other member is left (a subset of one, or of ``i`` and its twin)."""
    others = [j for j in subset if j != i and (min(i, j), max(i, j)) not in found.twins]
    if not others:
        return None, 0.0
    sims = (found.sigs[others] == found.sigs[i]).mean(axis=1)
    best = int(np.argmax(sims))  # the first of the highest: subsets are in app_no order
    return str(found.rows[others[best]]["app_no"]), round(float(sims[best]), 3)


def _distinct(values: list) -> list[str]:
    return sorted({v for v in values if isinstance(v, str) and v.strip()})


def _group_evidence(found: NearGroups, subset: list[int], ctx: RuleContext) -> dict:
    rule = ctx.config.rule("near_duplicate")
    rows = [found.rows[m] for m in subset]
    days = [r["filing_date"] for r in rows]
    agencies = _distinct([r["agency"] for r in rows])
    applicants = len({r["applicant"] for r in rows})
    # article 3 item 6's pattern: several applicants, every member through one agency (keyed as the agency figures
    # key it: a code, or the normalised name; its spellings with and without code are one)
    known = _agency_keys(ctx)
    keys = {_agency_key(known, r["agency"]) for r in rows}  # '' for a missing agency
    one_agency = applicants > 1 and len(keys) == 1 and "" not in keys
    return {
        "group": str(rows[0]["app_no"]), "members": found.app_nos(subset)[:MAX_LISTED], "member_count": len(rows),
        "applicant_names": _distinct([r["applicant_name"] for r in rows])[:MAX_LISTED], "applicants": applicants,
        "agencies": agencies[:MAX_LISTED], "one_agency": bool(one_agency),
        "first_filing": min(days).isoformat(), "last_filing": max(days).isoformat(),
        "span_days": (max(days) - min(days)).days,
        "threshold": rule["threshold"], "min_cluster": rule["min_cluster"], "window_days": rule["window_days"],
    }


def _near_summary(evidence: dict) -> tuple[str, str]:
    others, sim, span = evidence["member_count"] - 1, evidence["similarity"], evidence["span_days"]
    zh = f"与另外 {others} 件申请内容明显相同（最高相似度 {sim:.2f}，{span} 天内提交）"
    en = f"near-identical to {others} other applications (closest similarity {sim:.2f}, filed within {span} days)"
    if evidence["one_agency"]:
        zh += f"，{evidence['applicants']} 个申请人经同一代理机构"
        en += f", {evidence['applicants']} applicants through one agency"
    return zh, en


def near_duplicate(ctx: RuleContext) -> list[Flag]:
    """Every member of a window-bounded subset of ≥ min_cluster near-identical applications (article 3 item 1)."""
    rule = ctx.config.rule("near_duplicate")
    found = near_groups(ctx)
    flags = []
    for members in found.groups:
        for subset in _window_subsets(found, members, rule["window_days"], rule["min_cluster"]):
            shared = _group_evidence(found, subset, ctx)
            for i in subset:
                closest, sim = _closest(found, i, subset)
                evidence = {**shared, "closest": closest, "similarity": sim}
                flags.append(Flag(str(found.rows[i]["app_no"]), "near_duplicate", evidence, _near_summary(evidence)))
    return flags


_SHARED = (("agency", "代理机构", "agency"), ("address", "地址", "address"))


def _sharing(found: NearGroups, members: list[int], min_names: int,
             agencies: dict[str, str]) -> list[tuple[str, str, list[int]]]:
    """(column, spelling, members) for each agency (its key in ``agencies``) or address (norm_key) that members of
    the group under ≥ min_names different applicant names share."""
    out = []
    for column, _, _ in _SHARED:
        by_key: dict[str, list[int]] = {}
        for m in members:
            cell = found.rows[m][column]
            key = _agency_key(agencies, cell) if column == "agency" else norm_key(cell)
            if key:
                by_key.setdefault(key, []).append(m)
        for part in by_key.values():
            if len({found.rows[m]["applicant"] for m in part}) >= min_names:
                out.append((column, str(found.rows[part[0]][column]), part))
    return out


def _variants_evidence(found: NearGroups, column: str, spelling: str, part: list[int], ctx: RuleContext) -> dict:
    names: dict[str, list[str]] = {}
    for m in part:
        names.setdefault(str(found.rows[m]["applicant_name"]), []).append(str(found.rows[m]["app_no"]))
    return {
        "group": str(found.rows[part[0]]["app_no"]), "members": found.app_nos(part)[:MAX_LISTED],
        "member_count": len(part),
        "names": [{"name": n, "app_nos": a[:MAX_LISTED]} for n, a in sorted(names.items())][:MAX_LISTED],
        "shared": column, column: spelling,
        "min_names": ctx.config.rule("name_variants")["min_names"],
        "threshold": ctx.config.rule("near_duplicate")["threshold"],
    }


def _variants_summary(evidence: dict) -> tuple[str, str]:
    count, names = evidence["member_count"], len(evidence["names"])
    _, zh, en = next(s for s in _SHARED if s[0] == evidence["shared"])
    return (f"{count} 件内容明显相同的申请以 {names} 个不同申请人名义提交，共用同一{zh}",
            f"{count} near-identical applications under {names} different applicant names share one {en}")


def name_variants(ctx: RuleContext) -> list[Flag]:
    """Members of a near-identical group (any size) that share one agency or one address under ≥ min_names
    different applicant names (article 3 item 6: filings tied to one party scattered under changing names).  An
    application in several such sets is flagged once, with the largest (an agency before an address on a tie)."""
    min_names = ctx.config.rule("name_variants")["min_names"]
    found = near_groups(ctx)
    agencies = _agency_keys(ctx)
    best: dict[int, tuple[int, int, dict]] = {}
    for members in found.groups:
        for order, (column, spelling, part) in enumerate(_sharing(found, members, min_names, agencies)):
            evidence = _variants_evidence(found, column, spelling, part, ctx)
            for m in part:
                if m not in best or (len(part), -order) > best[m][:2]:
                    best[m] = (len(part), -order, evidence)
    return [Flag(str(found.rows[m]["app_no"]), "name_variants", ev, _variants_summary(ev))
            for m, (_, _, ev) in sorted(best.items())]


__all__ = ["NearGroups", "application_text", "name_variants", "near_duplicate", "near_groups", "norm_key"]
