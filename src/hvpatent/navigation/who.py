"""Who, in an industry's landscape: top applicants of each side, the region's innovation entities by type, its
inventors (talent), the co-applicant network, partners and recruitment targets elsewhere, key patents.

The counts of both sides are grouped Ibis queries over the landscape's scope (navigation/landscape.py); the
region's own lists (inventors, network) are small and are assembled here from its rows.  docs/navigation.md.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import combinations
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from hvpatent.i18n import say
from hvpatent.indicators.base import has_table, region_column
from hvpatent.legal import IN_FORCE

if TYPE_CHECKING:
    from hvpatent.navigation.landscape import Landscape, Scope

TOP_INVENTORS = 30
TOP_CO_INVENTORS = 5
NETWORK_NODES = 60
PARTNERS_PER_BRANCH, RECRUITS_PER_BRANCH = 3, 2
PARTNER_TYPES = ("university", "institute", "enterprise")
MOST_CITED = 10
APPLICANT_ROLES = ("applicant", "patentee")


def _count(condition: ir.BooleanValue) -> ir.IntegerValue:
    return condition.fill_null(False).cast("int64").sum()


def branches_of(sc: Scope, apps: ir.Table) -> dict[str, dict[str, str]]:
    """app_no -> {branch: source} for the applications of ``apps`` (a table with app_no)."""
    placed = sc.placed().semi_join(apps.select("app_no"), "app_no")
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for row in placed.to_pyarrow().to_pylist():
        out[row["app_no"]][row["branch"]] = row["source"]
    return out


def top_applicants(sc: Scope, side: str, top: int) -> list[dict]:
    """A side's first applicants by applications filed up to as_of, with inventions, grants (up to as_of) and
    valid inventions (in force on as_of)."""
    j = sc.side(side).join(sc.at_as_of(), "app_no")
    invention = j.patent_type == "invention"
    g = j.group_by("applicant").aggregate(
        name=j.applicant_name.max(), applicant_type=j.applicant_type.max(), region_code=j.region_code.max(),
        applications=j.app_no.count(), inventions=_count(invention),
        grants=_count(j.grant_date.notnull() & (j.grant_date <= ibis.date(sc.as_of))),
        valid_inventions=_count(invention & j.state.isin(IN_FORCE)))
    g = g.order_by([ibis.desc("applications"), "applicant"]).limit(top)
    return [{"applicant": r["name"], "applicant_type": r["applicant_type"], "region_code": r["region_code"],
             "applications": int(r["applications"]), "inventions": int(r["inventions"]), "grants": int(r["grants"]),
             "valid_inventions": int(r["valid_inventions"])} for r in g.to_pyarrow().to_pylist()]


def entity_types(sc: Scope) -> list[dict]:
    j = sc.side("region").join(sc.at_as_of(), "app_no")
    g = j.group_by("applicant_type").aggregate(
        entities=j.applicant.nunique(), applications=j.app_no.count(),
        valid_inventions=_count((j.patent_type == "invention") & j.state.isin(IN_FORCE)))
    g = g.order_by([ibis.desc("applications"), "applicant_type"])
    return [{k: (int(v) if isinstance(v, int) else v) for k, v in r.items()} for r in g.to_pyarrow().to_pylist()]


def inventors(sc: Scope, the_tree) -> list[dict]:
    """The region's inventors by patents (region's industry patents they are named on), top 30."""
    if not has_table(sc.con, "inventors"):
        return []
    region = sc.side("region")
    inv = sc.con.table("inventors").semi_join(region.select("app_no"), "app_no")
    names = inv.select("app_no", "seq", "name", "name_norm").to_pyarrow().to_pylist()
    if not names:
        return []
    facts = {r["app_no"]: r for r in region.semi_join(inv.select("app_no"), "app_no")
             .select("app_no", "patent_type", "applicant_name").to_pyarrow().to_pylist()}
    level1 = {b.code for b in the_tree.branches if b.level == 1}
    placed = branches_of(sc, inv)
    on: dict[str, list[dict]] = defaultdict(list)
    for r in sorted(names, key=lambda r: (r["app_no"], r["seq"])):
        on[r["app_no"]].append(r)
    people: dict[str, dict] = {}
    for app_no, named in on.items():
        fact = facts.get(app_no)
        if fact is None:
            continue
        for r in named:
            person = people.setdefault(r["name_norm"], {"inventor": r["name"], "patents": set(), "inventions": 0,
                                                        "applicants": Counter(), "co": Counter(),
                                                        "branches": Counter()})
            if app_no in person["patents"]:
                continue
            person["patents"].add(app_no)
            person["inventions"] += fact["patent_type"] == "invention"
            person["applicants"][fact["applicant_name"]] += 1
            person["co"].update(o["name"] for o in named if o["name_norm"] != r["name_norm"])
            person["branches"].update(b for b in placed.get(app_no, {}) if b in level1)
    ranked = sorted(people.values(), key=lambda p: (-len(p["patents"]), p["inventor"]))[:TOP_INVENTORS]

    def ordered(c: Counter) -> list[str]:
        return [k for k, _ in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))]

    return [{"inventor": p["inventor"], "applicants": ordered(p["applicants"]), "patents": len(p["patents"]),
             "inventions": p["inventions"], "co_inventors": len(p["co"]),
             "top_co_inventors": ordered(p["co"])[:TOP_CO_INVENTORS], "branches": ordered(p["branches"])}
            for p in ranked]


def network(sc: Scope) -> dict:
    """Co-applicants of the region's industry patents (every applicant or patentee, in seq order): nodes are the
    applicants with at least one co-application (the 60 with most patents), edges the patents they share.  A node's
    ``patents`` is landscape_patents(applicant=name, party="any")'s length; ``local``: the party's region (town
    assignments and the enterprise directory applied, as in the counts) is the region."""
    from hvpatent.reference.applicant_towns import with_overrides

    parties = sc.con.table("parties")
    parties = parties.filter(parties.role.isin(APPLICANT_ROLES)).semi_join(sc.side("region").select("app_no"),
                                                                            "app_no")
    parties = parties.select("app_no", "seq", "name", "name_norm", "party_type", "province_code", "city_code",
                             "county_code", "town_code", applicant=parties.name_norm)
    # the party's region as the counts see it: a town assigned by hand or the directory's beats the address
    parties = with_overrides(parties, sc.con)
    rows = parties.select("app_no", "seq", "name", "name_norm", "party_type", code=parties[region_column(sc.region)])
    by_app: dict[str, list[dict]] = defaultdict(list)
    for r in sorted(rows.to_pyarrow().to_pylist(), key=lambda r: (r["app_no"], r["seq"])):
        if all(o["name_norm"] != r["name_norm"] for o in by_app[r["app_no"]]):
            by_app[r["app_no"]].append(r)
    patents: Counter = Counter()
    info: dict[str, dict] = {}
    pairs: Counter = Counter()
    for named in by_app.values():
        for r in named:
            patents[r["name_norm"]] += 1
            info.setdefault(r["name_norm"], r)
        for a, b in combinations(sorted(r["name_norm"] for r in named), 2):
            pairs[(a, b)] += 1
    linked = {n for pair in pairs for n in pair}
    nodes = sorted(linked, key=lambda n: (-patents[n], n))[:NETWORK_NODES]
    kept = set(nodes)
    return {"nodes": [{"id": n, "name": info[n]["name"], "applicant_type": info[n]["party_type"],
                       "patents": patents[n], "local": info[n]["code"] == sc.region} for n in nodes],
            "edges": [{"source": a, "target": b, "patents": k} for (a, b), k in sorted(pairs.items())
                      if a in kept and b in kept]}


def _elsewhere(sc: Scope) -> ir.Table:
    p = sc.patents
    return p.filter(p.is_compare & ~p.is_region)


def _ranked(g: ir.Table, per_branch: int, key: str) -> ir.Table:
    rank = ibis.row_number().over(group_by=g.branch, order_by=[ibis.desc(g.patents), g[key]])
    g = g.mutate(rank=rank)
    return g.filter(g.rank < per_branch)


def partners(sc: Scope, land: Landscape) -> list[dict]:
    """Applicants elsewhere in the comparison region with most patents on the region's weak and gap branches
    (enterprises, universities and institutes: partner), and the inventors named most there (recruit).  Each row's
    ``filters`` are the landscape_patents() arguments whose list has ``patents`` rows (side "elsewhere", the
    branch, and the applicant or the inventor)."""
    from hvpatent.reference.regions import region_name

    targets = {b["branch"]: b for b in land.branches if b["position"] in ("weak", "gap")}
    if not targets:
        return []
    placed = sc.placed()
    placed = placed.filter(placed.branch.isin(list(targets))).select("app_no", "branch").distinct()
    other = _elsewhere(sc)
    other = other.filter(other.applicant_type.isin(PARTNER_TYPES))
    j = placed.join(other.select("app_no", "applicant", "applicant_name", "applicant_type", "region_code"), "app_no")
    g = j.group_by(["branch", "applicant"]).aggregate(
        name=j.applicant_name.max(), applicant_type=j.applicant_type.max(), region_code=j.region_code.max(),
        patents=j.app_no.nunique())
    found = [dict(r, reason="partner", inventor=None)
             for r in _ranked(g, PARTNERS_PER_BRANCH, "applicant").to_pyarrow().to_pylist()]
    if has_table(sc.con, "inventors"):
        inv = sc.con.table("inventors").select("app_no", "name_norm", inventor=sc.con.table("inventors").name)
        k = placed.join(_elsewhere(sc).select("app_no", "applicant_name", "applicant_type", "region_code"),
                        "app_no").join(inv, "app_no")
        g2 = k.group_by(["branch", "name_norm"]).aggregate(
            inventor=k.inventor.max(), name=k.applicant_name.max(), applicant_type=k.applicant_type.max(),
            region_code=k.region_code.max(), patents=k.app_no.nunique())
        found += [dict(r, reason="recruit")
                  for r in _ranked(g2, RECRUITS_PER_BRANCH, "name_norm").to_pyarrow().to_pylist()]
    order = {code: i for i, code in enumerate(targets)}
    found.sort(key=lambda r: (order[r["branch"]], r["reason"] != "partner", -r["patents"], r["name"] or ""))
    out = []
    for r in found:
        b = targets[r["branch"]]
        where = region_name(r["region_code"]) or r["region_code"]
        weak = say("空白分支" if b["position"] == "gap" else "弱势分支", "gap" if b["position"] == "gap" else "weak")
        rta = f"RTA {b['rta']:.2f}" if b["rta"] is not None else "RTA -"
        if r["reason"] == "partner":
            why = say(f"{r['name']}（{where}）在「{b['name']}」有 {r['patents']} 件专利，"
                      f"该分支为本区域的{weak}（{rta}）",
                      f"{r['name']} ({where}) has {r['patents']} patents in {b['name_en']}, a {weak} branch of the "
                      f"region ({rta})")
        else:
            why = say(f"发明人{r['inventor']}（{r['name']}，{where}）在「{b['name']}」有 {r['patents']} 件专利，"
                      f"该分支为本区域的{weak}（{rta}）",
                      f"Inventor {r['inventor']} ({r['name']}, {where}) is named on {r['patents']} patents in "
                      f"{b['name_en']}, a {weak} branch of the region ({rta})")
        # landscape_patents(**filters)'s length is `patents`
        filters = {"side": "elsewhere", "branch": r["branch"]}
        filters.update({"applicant": r["name"]} if r["reason"] == "partner" else {"inventor": r["inventor"]})
        out.append({"applicant": r["name"], "applicant_type": r["applicant_type"], "region_code": r["region_code"],
                    "region_name": where, "branch": r["branch"], "branch_name": b["name"],
                    "patents": int(r["patents"]), "reason": r["reason"], "why": why, "inventor": r["inventor"],
                    "filters": filters})
    return out


def key_patents(sc: Scope) -> list[dict]:
    """The region's industry patents that are high value on as_of (indicators.high_value_list, or the rows given to
    landscape(high_value=...)), then the most cited others within the imported data (forward citations public by
    as_of, value/features.py)."""
    slot = "key_patents"
    if slot in sc._states:
        return sc._states[slot]
    from hvpatent.indicators import high_value_list
    from hvpatent.value.features import forward_citations

    region = sc.side("region")
    facts = {r["app_no"]: r for r in region.select("app_no", "title", "applicant_name").to_pyarrow().to_pylist()}
    listed = sc.high_value if sc.high_value is not None else \
        high_value_list(sc.con, sc.as_of, sc.region, as_known_on=sc.as_known_on)
    high = {r["app_no"]: sorted(c for c in (r.get("criteria") or "").split(",") if c)
            for r in listed if r["app_no"] in facts}
    cited = {r["app_no"]: int(r["forward_citations"])
             for r in forward_citations(sc.con, sc.as_of, region.select("app_no")).to_pyarrow().to_pylist()}
    most = sorted((a for a in cited if a not in high and cited[a] > 0), key=lambda a: (-cited[a], a))[:MOST_CITED]
    chosen = sorted(high, key=lambda a: (-cited.get(a, 0), a)) + most
    placed = branches_of(sc, region) if chosen else {}
    out = [{"app_no": a, "title": facts[a]["title"], "applicant": facts[a]["applicant_name"],
            "branches": sorted(placed.get(a, {})), "reason": "high_value" if a in high else "most_cited",
            "high_value_criteria": high.get(a, []), "forward_citations": cited.get(a, 0)} for a in chosen]
    sc._states[slot] = out
    return out


def fill(sc: Scope, the_tree, land: Landscape, top: int) -> None:
    """The who-parts of a landscape, in place."""
    land.applicants = {side: top_applicants(sc, side, top) for side in ("region", "compare")}
    land.entity_types = entity_types(sc)
    land.inventors = inventors(sc, the_tree)
    if not land.inventors:
        land.notes.append(say("未导入本区域该产业专利的发明人：人才分析为空（导入含「发明人」列的数据）",
                              "No inventors imported for the region's patents of the industry: the talent analysis "
                              "is empty (import data with an inventor column)"))
    land.network = network(sc)
    land.partners = partners(sc, land)
    land.key_patents = key_patents(sc)
