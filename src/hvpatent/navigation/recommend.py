"""Recommendations (发展路径建议) generated from a landscape's figures, each with the rule that produced it.

Every rule has an id (the recommendation's ``kind``), a condition written out in ``RULES`` (the same words as
docs/navigation-report.md) and the figures that triggered it (``evidence``).  No recommendation is made without
its trigger.  The list is deterministic: ordered by the rule's priority (``PRIORITY``: gaps first, then what
is falling behind, then what to build on, then who to work with), then within a rule by the size of its
trigger (stated per rule), then by branch code.

Branch rules read the landscape's ``position`` (strong / balanced / weak / gap / absent, defined by the
landscape from RTA) and its growth figures; they look at branches of level 1 and 2 (``MAX_LEVEL``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hvpatent.navigation.landscape import Landscape

MAX_LEVEL = 2                 # branches deeper than this get no recommendation of their own
TOP_PARTNERS = 3              # partners / recruitment targets named per recommendation
UE_MIN_RATIO = 0.02           # cooperate: enterprise–university co-applications per region application below this
CULTIVATE_MIN_APPS = 20       # cultivate_high_value: a branch with at least this many region applications ...
CULTIVATE_MAX_RATIO = 0.05    # ... and high-value key patents per region application below this
UNIVERSITY_TYPES = ("university", "institute")
MAX_PER_BRANCH_KIND = 5       # cooperate and recruit: at most this many branch recommendations each (largest first)

# id -> (priority, condition as written in docs/navigation-report.md)
RULES: dict[str, tuple[int, str]] = {
    "fill_gap": (1, "position = gap (region 0 applications, comparison growing)"),
    "catch_up": (2, "position = weak (RTA < 0.8) and compare_growth > region_growth (both known)"),
    "strengthen": (3, "position = strong (RTA >= 1.2) and region_growth > 0"),
    "consolidate": (4, "position = strong (RTA >= 1.2) and region_growth <= 0"),
    "cultivate_high_value": (5, f"region_count >= {CULTIVATE_MIN_APPS} and high-value key patents / region_count "
                                f"< {CULTIVATE_MAX_RATIO}"),
    "cooperate": (6, "partners with reason partner on a branch that is not a gap (fill_gap names those); or (branch "
                     f"none) enterprise–university/institute co-applications / region applications < {UE_MIN_RATIO}"),
    "recruit": (7, "partners with reason recruit on the branch"),
    "go_abroad": (8, "key patents > 0 and none has the criterion family_abroad"),
}
PRIORITY = tuple(RULES)


@dataclass
class Recommendation:
    kind: str      # a key of RULES
    title: str     # Chinese
    text: str      # Chinese
    text_en: str
    rule: str      # the condition that produced it (RULES)
    evidence: dict = field(default_factory=dict)   # the figures that triggered it
    branch: str | None = None
    title_en: str = ""

    def label(self, lang: str = "zh") -> tuple[str, str]:
        """(title, text) in the language."""
        return (self.title, self.text) if lang == "zh" else (self.title_en or self.title, self.text_en)


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:+.1f}%"


def _num(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}"


def _rec(kind: str, title: tuple[str, str], text: tuple[str, str], evidence: dict,
         branch: str | None) -> Recommendation:
    return Recommendation(kind=kind, title=title[0], text=text[0], text_en=text[1], rule=RULES[kind][1],
                          evidence=evidence, branch=branch, title_en=title[1])


def _branch_figures(b: dict) -> dict:
    return {k: b.get(k) for k in ("region_count", "compare_count", "rta", "region_growth", "compare_growth",
                                  "position")}


def _partners_by_branch(land: Landscape, reason: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for p in land.partners:
        if p.get("reason") == reason and p.get("branch"):
            out.setdefault(p["branch"], []).append(p)
    for rows in out.values():
        rows.sort(key=lambda p: (-(p.get("patents") or 0), str(p.get("applicant") or "")))
    return out


def _largest(by_branch: dict[str, list[dict]], codes: set[str]) -> list[str]:
    """The MAX_PER_BRANCH_KIND branches (of ``codes``) with the most partners, ties by branch code."""
    ranked = sorted((c for c in by_branch if c in codes), key=lambda c: (-len(by_branch[c]), c))
    return ranked[:MAX_PER_BRANCH_KIND]


def _names(rows: list[dict], sep: str) -> str:
    return sep.join(str(p.get("applicant")) for p in rows[:TOP_PARTNERS])


def _branch_rules(land: Landscape, b: dict, partners: dict[str, list[dict]]) -> list[tuple[float, Recommendation]]:
    """(sort key within the rule, recommendation) for one branch; smaller keys first."""
    out: list[tuple[float, Recommendation]] = []
    code, name, name_en = b["branch"], b.get("name") or b["branch"], b.get("name_en") or b["branch"]
    pos, rg, cg = b.get("position"), b.get("region_growth"), b.get("compare_growth")
    ev = _branch_figures(b)
    if pos == "gap":
        top = partners.get(code, [])
        ev_gap = {**ev, "partners": [p.get("applicant") for p in top[:TOP_PARTNERS]]}
        who_zh = f"，可重点对接{_names(top, '、')}" if top else ""
        who_en = f"; candidates: {_names(top, ', ')}" if top else ""
        out.append((-(b.get("compare_count") or 0), _rec(
            "fill_gap", (f"填补空白：{name}", f"Fill the gap: {name_en}"),
            (f"{land.compare_name}在{name}分支有{b.get('compare_count') or 0}件申请且近三年增长{_pct(cg)}，"
             f"本地区尚无申请。建议通过技术引进、合作研发或招商引才布局该分支{who_zh}。",
             f"{land.compare_name} has {b.get('compare_count') or 0} applications in {name_en}, growing {_pct(cg)} "
             f"over the last three years; the region has none. Introduce the technology, co-develop or attract "
             f"firms and talent{who_en}."), ev_gap, code)))
    elif pos == "weak" and rg is not None and cg is not None and cg > rg:
        out.append((-(cg - rg), _rec(
            "catch_up", (f"追赶提升：{name}", f"Catch up: {name_en}"),
            (f"{name}分支本地区处于弱势（RTA {_num(b.get('rta'))}），且{land.compare_name}增长更快"
             f"（{_pct(cg)}，本地区{_pct(rg)}）。建议加大研发投入与专利布局，缩小差距。",
             f"The region is weak in {name_en} (RTA {_num(b.get('rta'))}) and {land.compare_name} grows faster "
             f"({_pct(cg)} against {_pct(rg)}). Invest in R&D and patenting to close the gap."), ev, code)))
    elif pos == "strong" and rg is not None:
        if rg > 0:
            out.append((-(b.get("rta") or 0), _rec(
                "strengthen", (f"巩固优势并做强：{name}", f"Strengthen: {name_en}"),
                (f"{name}分支为本地区优势分支（RTA {_num(b.get('rta'))}），近三年申请增长{_pct(rg)}。"
                 f"建议围绕该分支培育高价值专利组合，延伸产业链。",
                 f"{name_en} is a strength of the region (RTA {_num(b.get('rta'))}), growing {_pct(rg)} over the "
                 f"last three years. Build high-value patent portfolios around it and extend the chain."), ev, code)))
        else:
            out.append((rg, _rec(
                "consolidate", (f"稳固优势：{name}", f"Consolidate: {name_en}"),
                (f"{name}分支为本地区优势分支（RTA {_num(b.get('rta'))}），但近三年申请增长{_pct(rg)}，"
                 f"势头放缓。建议关注技术迭代，防止优势流失。",
                 f"{name_en} is a strength (RTA {_num(b.get('rta'))}) but its applications changed {_pct(rg)} over "
                 f"the last three years. Watch the technology's next generation so the lead is not lost."),
                ev, code)))
    return out


def _high_value_by_branch(land: Landscape) -> dict[str, int]:
    counts: dict[str, int] = {}
    for k in land.key_patents:
        if k.get("reason") == "high_value":
            for br in k.get("branches") or []:
                counts[br] = counts.get(br, 0) + 1
    return counts


def _ue_coapplications(land: Landscape) -> int:
    """Co-applied patents between an enterprise and a university or institute, one of them local, per pair."""
    nodes = {n["id"]: n for n in (land.network or {}).get("nodes", [])}
    total = 0
    for e in (land.network or {}).get("edges", []):
        a, b = nodes.get(e["source"]), nodes.get(e["target"])
        if a is None or b is None or not (a.get("local") or b.get("local")):
            continue
        kinds = {a.get("applicant_type"), b.get("applicant_type")}
        if "enterprise" in kinds and kinds & set(UNIVERSITY_TYPES):
            total += int(e.get("patents") or 0)
    return total


def recommendations(land: Landscape, lang: str = "zh") -> list[Recommendation]:
    """The recommendations a landscape's figures trigger, ordered by PRIORITY (``lang`` is accepted for the
    contract; every recommendation carries both languages — use Recommendation.label(lang))."""
    found: list[tuple[int, float, str, Recommendation]] = []

    def add(key: float, rec: Recommendation) -> None:
        found.append((RULES[rec.kind][0], key, rec.branch or "", rec))

    partners = _partners_by_branch(land, "partner")
    recruits = _partners_by_branch(land, "recruit")
    branches = [b for b in land.branches if (b.get("level") or 1) <= MAX_LEVEL]
    names = {b["branch"]: (b.get("name") or b["branch"], b.get("name_en") or b["branch"]) for b in land.branches}
    for b in branches:
        for key, rec in _branch_rules(land, b, partners):
            add(key, rec)
    high = _high_value_by_branch(land)
    for b in branches:
        n, hv = b.get("region_count") or 0, high.get(b["branch"], 0)
        if n >= CULTIVATE_MIN_APPS and hv / n < CULTIVATE_MAX_RATIO:
            name, name_en = names[b["branch"]]
            add(hv / n, _rec("cultivate_high_value", (f"培育高价值专利：{name}", f"Cultivate high value: {name_en}"), (
                f"{name}分支本地区有{n}件申请，但列为核心专利的高价值专利仅{hv}件。建议筛选培育对象，"
                f"提升专利质量与运用水平。",
                f"The region has {n} applications in {name_en} but only {hv} high-value key patents. Select "
                f"candidates and raise their quality and use."),
                {"region_count": n, "high_value_key_patents": hv, "ratio": round(hv / n, 4)}, b["branch"]))
    codes = {b["branch"] for b in branches}
    gaps = {b["branch"] for b in branches if b.get("position") == "gap"}
    for code in _largest(partners, codes - gaps):
        rows = partners[code]
        name, name_en = names[code]
        add(-len(rows), _rec("cooperate", (f"产学研合作：{name}", f"Cooperate: {name_en}"), (
            f"{name}分支本地区较弱，{land.compare_name}的{_names(rows, '、')}在该分支实力较强，建议开展产学研合作。",
            f"The region is weak in {name_en}; {_names(rows, ', ')} in {land.compare_name} are strong there: "
            f"cooperate with them."),
            {"partners": [{"applicant": p.get("applicant"), "patents": p.get("patents"), "why": p.get("why")}
                          for p in rows[:TOP_PARTNERS]]}, code))
    region_apps = sum(int(r.get("applications") or 0) for r in land.trend if r.get("side") == "region")
    ue = _ue_coapplications(land)
    if region_apps > 0 and ue / region_apps < UE_MIN_RATIO:
        add(float("-inf"), _rec("cooperate", ("加强校企合作", "More enterprise–university cooperation"), (
            f"本地区{region_apps}件申请中，企业与高校、科研院所合作申请仅{ue}件（{ue / region_apps:.1%}）。"
            f"建议搭建产学研合作平台，推动联合研发与共同申请。",
            f"Of the region's {region_apps} applications only {ue} ({ue / region_apps:.1%}) were co-applied by an "
            f"enterprise with a university or institute. Set up cooperation platforms and joint R&D."),
            {"ue_coapplications": ue, "region_applications": region_apps, "ratio": round(ue / region_apps, 4)},
            None))
    for code in _largest(recruits, codes):
        rows = recruits[code]
        name, name_en = names[code]
        add(-len(rows), _rec("recruit", (f"引进人才：{name}", f"Recruit: {name_en}"), (
            f"{name}分支可关注{land.compare_name}的{_names(rows, '、')}等研发力量，建议引进人才或团队。",
            f"For {name_en}, look at {_names(rows, ', ')} in {land.compare_name}: recruit talent or teams."),
            {"partners": [{"applicant": p.get("applicant"), "patents": p.get("patents"), "why": p.get("why")}
                          for p in rows[:TOP_PARTNERS]]}, code))
    keys = land.key_patents
    abroad = sum(1 for k in keys if "family_abroad" in (k.get("high_value_criteria") or []))
    if keys and abroad == 0:
        add(0, _rec("go_abroad", ("加强海外布局", "Patent abroad"), (
            f"本地区{len(keys)}件核心专利中没有一件在海外有同族专利。建议对核心技术通过PCT等途径开展海外布局。",
            f"None of the region's {len(keys)} key patents has a family member abroad. File the core technologies "
            f"abroad (PCT)."), {"key_patents": len(keys), "with_family_abroad": 0}, None))
    found.sort(key=lambda t: (t[0], t[1], t[2]))
    return [rec for *_, rec in found]
