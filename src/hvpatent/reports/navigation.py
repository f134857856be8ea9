"""The navigation report (专利导航分析报告) of one industry, in the structure of GB/T 39551: 一、产业现状
二、技术发展态势 三、区域定位 四、创新主体与人才 五、发展路径建议; as Word (docx) or PDF, and its companion
workbook (xlsx) with every table on a sheet and the patents behind each table's rows on a 明细 sheet.

Everything comes from the navigation room (a Landscape, its recommendations, landscape_patents for the
details); this module only lays it out.  The report is built as a Bulletin (reports/bulletin.py), so the Word
writer and the PDF printing (HTML printed by headless Chromium, reports/html_writer.write_pdf) are the
bulletin's own.  Every spreadsheet cell goes through reports/safe_cells (reports/tables.write_xlsx)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from hvpatent.reports import charts
from hvpatent.reports.bulletin import APPLICANT_TYPE_NAMES, Bulletin, Chart, Section, Table, default_issuer
from hvpatent.reports.tables import write_xlsx

if TYPE_CHECKING:
    from hvpatent.navigation.landscape import Landscape, Scope
    from hvpatent.navigation.recommend import Recommendation

REPORT_FORMATS = ("docx", "pdf")
DETAIL_CAP = 20          # patents listed per table row on the 明细 sheet
DETAIL_ROWS = 5          # rows of the ranked tables asked for one by one (applicants elsewhere, inventors)
HEADINGS = ("一、产业现状", "二、技术发展态势", "三、区域定位", "四、创新主体与人才", "五、发展路径建议")
POSITION_NAMES = {"strong": "优势", "balanced": "均衡", "weak": "弱势", "gap": "空白", "absent": "均无"}
KIND_NAMES = {"fill_gap": "填补空白", "catch_up": "追赶提升", "strengthen": "做强优势", "consolidate": "稳固优势",
              "cultivate_high_value": "培育高价值专利", "cooperate": "产学研合作", "recruit": "引进人才",
              "go_abroad": "海外布局"}
REASON_NAMES = {"partner": "合作", "recruit": "引才", "high_value": "高价值", "most_cited": "被引最多"}
DEFINITIONS = (
    ("申请量", "申请日在统计日及以前的专利申请件数；有效量为年末（统计年为统计日）仍有效的件数"),
    ("本地区占比", "本地区申请量 ÷ 对比区域申请量"),
    ("分支占比", "某技术分支的申请量 ÷ 同一区域该产业的申请总量"),
    ("显示性技术优势指数（RTA）", "本地区分支占比 ÷ 对比区域分支占比；≥1.2 为优势，<0.8 为弱势"),
    ("增长率", "最近三个完整年度的申请量 ÷ 此前三年的申请量 − 1；此前三年为 0 时不计"),
    ("空白分支", "本地区无申请、对比区域在增长的分支"),
)


def _pct(v: float | None) -> float | None:
    return None if v is None else round(v * 100, 2)


def _r(v: float | None, digits: int = 2) -> float | None:
    return None if v is None else round(v, digits)


def _types(v: str | None) -> str:
    return APPLICANT_TYPE_NAMES.get(v or "", v or "—")


def _join(v) -> str:
    return "、".join(map(str, v)) if isinstance(v, list | tuple) else ("" if v is None else str(v))


def _branch_label(b: dict) -> str:
    return "　" * ((b.get("level") or 1) - 1) + str(b.get("name") or b.get("branch"))


def data_line(land: Landscape, imported_on: date | None = None) -> str:
    """The data the report rests on: region, comparison, as-of date and the latest import."""
    text = (f"数据说明：本地区为{land.region_name}（{land.region}），对比区域为{land.compare_name}，"
            f"数据截至{land.as_of.isoformat()}")
    if imported_on is not None:
        text += f"，最近一次数据导入于{imported_on.isoformat()}"
    return text + "。"


# -- the tables (shared by the report and the workbook) -----------------------------------------------------
def trend_rows(land: Landscape) -> list[dict]:
    """One row per year: the region's and comparison's applications (all types and inventions), grants and
    valid patents, and the region's share of the comparison's applications (%)."""
    rows = {y: {"year": y} for y in land.years}
    for t in land.trend:
        row = rows.setdefault(t["year"], {"year": t["year"]})
        side = t["side"]
        for m in ("applications", "grants", "valid"):
            row[f"{side}_{m}"] = row.get(f"{side}_{m}", 0) + int(t.get(m) or 0)
        if t.get("patent_type") == "invention":
            row[f"{side}_inventions"] = row.get(f"{side}_inventions", 0) + int(t.get("applications") or 0)
    shares = {s["year"]: s.get("share") for s in land.share}
    for y, row in rows.items():
        row["share"] = _pct(shares.get(y))
    return [rows[y] for y in sorted(rows)]


TREND_COLUMNS = [("year", "年份"), ("region_applications", "本地区申请"), ("region_inventions", "其中发明"),
                 ("region_grants", "本地区授权"), ("region_valid", "本地区有效"),
                 ("compare_applications", "对比区域申请"), ("compare_grants", "对比区域授权"),
                 ("compare_valid", "对比区域有效"), ("share", "本地区占比(%)")]


def branch_rows(land: Landscape) -> list[dict]:
    return [{"branch": b["branch"], "name": _branch_label(b), "level": b.get("level"),
             "region_count": b.get("region_count"), "compare_count": b.get("compare_count"),
             "region_share": _pct(b.get("region_share")), "compare_share": _pct(b.get("compare_share")),
             "rta": _r(b.get("rta")), "region_growth": _pct(b.get("region_growth")),
             "compare_growth": _pct(b.get("compare_growth")),
             "position": POSITION_NAMES.get(b.get("position") or "", b.get("position"))} for b in land.branches]


BREAKDOWN_COLUMNS = [("name", "技术分支"), ("region_count", "本地区申请"), ("region_share", "本地区分支占比(%)"),
                     ("compare_count", "对比区域申请"), ("compare_share", "对比区域分支占比(%)")]
POSITION_COLUMNS = [("name", "技术分支"), ("rta", "RTA"), ("region_growth", "本地区增长(%)"),
                    ("compare_growth", "对比区域增长(%)"), ("position", "定位")]


def applicant_rows(land: Landscape, side: str) -> list[dict]:
    return [{**a, "applicant_type": _types(a.get("applicant_type"))} for a in land.applicants.get(side, [])]


APPLICANT_COLUMNS = [("applicant", "申请人"), ("applicant_type", "类型"), ("applications", "申请"),
                     ("inventions", "发明申请"), ("grants", "授权"), ("valid_inventions", "有效发明")]
ENTITY_COLUMNS = [("applicant_type", "创新主体类型"), ("entities", "主体数"), ("applications", "申请"),
                  ("valid_inventions", "有效发明")]
INVENTOR_COLUMNS = [("inventor", "发明人"), ("applicants", "所属申请人"), ("patents", "专利"),
                    ("inventions", "发明"), ("co_inventors", "合作发明人数"), ("top_co_inventors", "主要合作者")]
PARTNER_COLUMNS = [("applicant", "申请人"), ("applicant_type", "类型"), ("region_name", "所在地区"),
                   ("branch_name", "技术分支"), ("patents", "专利"), ("reason", "建议"), ("why", "理由")]
KEY_COLUMNS = [("app_no", "申请号"), ("title", "名称"), ("applicant", "申请人"), ("branches", "技术分支"),
               ("reason", "入选理由"), ("high_value_criteria", "高价值情形"), ("forward_citations", "被引次数")]
EDGE_COLUMNS = [("source_name", "申请人甲"), ("target_name", "申请人乙"), ("patents", "合作申请")]
REC_COLUMNS = [("priority", "序号"), ("kind", "类别"), ("title", "建议"), ("text", "内容"), ("rule", "规则"),
               ("evidence", "触发数据")]


def entity_rows(land: Landscape) -> list[dict]:
    return [{**e, "applicant_type": _types(e.get("applicant_type"))} for e in land.entity_types]


def inventor_rows(land: Landscape) -> list[dict]:
    return [{**i, "applicants": _join(i.get("applicants")), "top_co_inventors": _join(i.get("top_co_inventors")),
             "branches": _join(i.get("branches"))} for i in land.inventors]


def partner_rows(land: Landscape) -> list[dict]:
    return [{**p, "applicant_type": _types(p.get("applicant_type")),
             "reason": REASON_NAMES.get(p.get("reason") or "", p.get("reason"))} for p in land.partners]


def key_rows(land: Landscape) -> list[dict]:
    names = {b["branch"]: b.get("name") or b["branch"] for b in land.branches}
    return [{**k, "branches": "、".join(names.get(b, b) for b in k.get("branches") or []),
             "reason": REASON_NAMES.get(k.get("reason") or "", k.get("reason")),
             "high_value_criteria": _join(k.get("high_value_criteria"))} for k in land.key_patents]


def edge_rows(land: Landscape) -> list[dict]:
    nodes = {n["id"]: n for n in (land.network or {}).get("nodes", [])}
    rows = [{"source_name": nodes.get(e["source"], {}).get("name", e["source"]),
             "target_name": nodes.get(e["target"], {}).get("name", e["target"]), "patents": e.get("patents")}
            for e in (land.network or {}).get("edges", [])]
    return sorted(rows, key=lambda r: (-(r["patents"] or 0), str(r["source_name"]), str(r["target_name"])))


def rec_rows(recs: list[Recommendation], lang: str = "zh") -> list[dict]:
    out = []
    for i, r in enumerate(recs, 1):
        title, text = r.label(lang) if hasattr(r, "label") else (r.title, r.text)
        out.append({"priority": i, "kind": KIND_NAMES.get(r.kind, r.kind) if lang == "zh" else r.kind,
                    "title": title, "text": text, "rule": r.rule, "evidence": evidence_text(r.evidence),
                    "branch": r.branch})
    return out


def evidence_text(evidence: dict) -> str:
    parts = []
    for k, v in evidence.items():
        if isinstance(v, float):
            v = f"{v:.4g}"
        elif isinstance(v, list):
            v = "、".join(str(x.get("applicant") if isinstance(x, dict) else x) for x in v)
        parts.append(f"{k}={v}")
    return "；".join(parts)


# -- the report ----------------------------------------------------------------------------------------------
def build_report(land: Landscape, recs: list[Recommendation], *, imported_on: date | None = None,
                 notice: str = "", issued_on: date | None = None, top: int = 10) -> Bulletin:
    """The report as a Bulletin (title, issuer, sections 一 to 五, definitions, sources); ``notice`` (e.g. the
    synthetic-demo label) is printed under the title; ``top`` rows of the ranked tables."""
    level1 = [b for b in land.branches if (b.get("level") or 1) == 1]
    trend = trend_rows(land)
    branches = branch_rows(land)
    s1 = Section(HEADINGS[0], [data_line(land, imported_on)])
    if trend:
        last = trend[-1]
        s1.paragraphs.append(
            f"{land.years[0] if land.years else ''}—{last['year']}年，{land.region_name}{land.industry_name}产业"
            f"共申请专利{sum(r.get('region_applications', 0) for r in trend)}件，{land.compare_name}共"
            f"{sum(r.get('compare_applications', 0) for r in trend)}件；{last['year']}年本地区占比"
            f"{'—' if last.get('share') is None else str(last['share']) + '%'}。")
        labels = [str(r["year"]) for r in trend]
        s1.charts.append(Chart("专利申请趋势", charts.line_chart(
            "专利申请趋势", labels, {land.region_name: [r.get("region_applications", 0) for r in trend],
                                    land.compare_name: [r.get("compare_applications", 0) for r in trend]}, "件")))
        s1.charts.append(Chart("本地区占比", charts.line_chart(
            "本地区占对比区域申请量的比例", labels, {"占比": [r.get("share") for r in trend]}, "%")))
    s1.tables.append(Table("专利申请、授权与有效量", TREND_COLUMNS, trend))
    s2 = Section(HEADINGS[1], [f"按{land.industry_name}产业技术分解，共{len(level1)}个一级分支、"
                               f"{len(land.branches) - len(level1)}个下级分支。"])
    if level1:
        s2.charts.append(Chart("一级技术分支申请量（对比区域）", charts.ranked_bars(
            f"一级技术分支申请量（{land.compare_name}）",
            [(str(b.get("name")), float(b.get("compare_count") or 0)) for b in level1], "件")))
    s2.tables.append(Table("技术分支申请量", BREAKDOWN_COLUMNS, branches))
    strong = [b["name"] for b in land.branches if b.get("position") == "strong"]
    gaps = [b["name"] for b in land.branches if b.get("position") == "gap"]
    weak = [b["name"] for b in land.branches if b.get("position") == "weak"]
    s3 = Section(HEADINGS[2], [
        f"优势分支（RTA≥1.2）：{'、'.join(strong) or '无'}；弱势分支（RTA<0.8）：{'、'.join(weak) or '无'}；"
        f"空白分支（本地区无申请而{land.compare_name}在增长）：{'、'.join(gaps) or '无'}。"])
    with_rta = [(str(b.get("name")), float(b["rta"])) for b in level1 if b.get("rta") is not None]
    if with_rta:
        s3.charts.append(Chart("一级技术分支显示性技术优势指数（RTA）",
                               charts.ranked_bars("显示性技术优势指数（RTA）", with_rta, "RTA", highlight=1.0)))
    s3.tables.append(Table("技术分支定位", POSITION_COLUMNS, branches))
    nodes = (land.network or {}).get("nodes", [])
    edges = (land.network or {}).get("edges", [])
    s4 = Section(HEADINGS[3], [
        f"本地区前{len(land.applicants.get('region', []))}位申请人、{len(land.entity_types)}类创新主体、"
        f"前{len(land.inventors)}位发明人见下表。",
        f"合作申请网络：{len(nodes)}个申请人（其中本地区{sum(1 for n in nodes if n.get('local'))}个），"
        f"{len(edges)}对合作关系，合作申请{sum(int(e.get('patents') or 0) for e in edges)}件次。"])
    s4.tables += [
        Table("本地区主要申请人", APPLICANT_COLUMNS, applicant_rows(land, "region")[:top], wrap=("applicant",)),
        Table(f"{land.compare_name}主要申请人", APPLICANT_COLUMNS, applicant_rows(land, "compare")[:top],
              wrap=("applicant",)),
        Table("创新主体类型", ENTITY_COLUMNS, entity_rows(land)),
        Table("主要发明人", INVENTOR_COLUMNS, inventor_rows(land)[:top], wrap=("applicants", "top_co_inventors")),
        Table("主要合作申请关系", EDGE_COLUMNS, edge_rows(land)[:top], wrap=("source_name", "target_name")),
        Table("可合作、可引进的创新主体", PARTNER_COLUMNS, partner_rows(land)[:top], wrap=("applicant", "why")),
        Table("核心专利", KEY_COLUMNS, key_rows(land)[:top], wrap=("title", "applicant")),
    ]
    s5 = Section(HEADINGS[4], [])
    if not recs:
        s5.paragraphs.append("依据现有数据，没有触发任何建议规则。")
    for i, r in enumerate(recs, 1):
        s5.paragraphs.append(f"（{i}）{r.title}。{r.text}")
        s5.paragraphs.append(f"规则：{r.rule}；触发数据：{evidence_text(r.evidence)}。")
    from hvpatent.navigation.recommend import RULES

    appendix = list(DEFINITIONS) + [(f"规则 {k}（{KIND_NAMES.get(k, k)}）", v[1]) for k, v in RULES.items()]
    sources = [data_line(land, imported_on), *land.notes]
    return Bulletin(title=f"{land.region_name}{land.industry_name}产业专利导航分析报告",
                    issuer=default_issuer(land.region), issued_on=issued_on or date.today(), as_of=land.as_of,
                    period="year", region=land.region, region_name=land.region_name,
                    sections=[s1, s2, s3, s4, s5], appendix=appendix, sources=sources, figures={}, sheets={},
                    notice=notice)


def write_navigation_report(land: Landscape, recs: list[Recommendation], path: Path, fmt: str = "docx", *,
                            imported_on: date | None = None, notice: str = "", issued_on: date | None = None) -> Path:
    """The report as docx or pdf (REPORT_FORMATS). FontMissing / ChromiumMissing when the machine lacks them."""
    if fmt not in REPORT_FORMATS:
        raise ValueError(f"报告格式只能是 {' | '.join(REPORT_FORMATS)} / format must be one of "
                         f"{', '.join(REPORT_FORMATS)}")
    report = build_report(land, recs, imported_on=imported_on, notice=notice, issued_on=issued_on)
    if fmt == "docx":
        from hvpatent.reports.docx_writer import write_docx

        return write_docx(report, path)
    from hvpatent.reports.html_writer import write_pdf

    return write_pdf(report, path)


# -- the companion workbook ----------------------------------------------------------------------------------
DETAIL_COLUMNS = [("table", "表"), ("row", "行"), ("app_no", "申请号"), ("title", "名称"),
                  ("patent_type", "专利类型"), ("filing_date", "申请日"), ("grant_date", "授权日"),
                  ("state", "法律状态"), ("applicant", "申请人"), ("region_code", "区划代码"),
                  ("branches", "技术分支"), ("source", "分支来源")]


def navigation_details(con, land: Landscape, cap: int = DETAIL_CAP, rows: int | None = None, *,
                       scope: Scope | None = None, as_known_on: date | None = None) -> list[dict]:
    """The patents behind the tables' rows, at most ``cap`` per row, for the 明细 sheet: {table, row, app_no,
    title, patent_type, filing_date, grant_date, state, applicant, region_code, branches, source}.

    One landscape scope answers every row (``scope``: the one the landscape was computed with, else built here
    once for the landscape's question, as known on ``as_known_on`` — pass the landscape's): the region's side
    from one landscape_patents call (all its applications, placed on their branches), grouped here by filing
    year, branch and first applicant, which is what landscape_patents(year=…, branch=…, applicant=…) would return
    row by row; the comparison region (up to the whole country) drilled per level-1 branch and per top-``rows``
    (default DETAIL_ROWS) applicant with a limit; the top ``rows`` inventors, the partners and recruits (each
    row's own filters) and the key patents asked for one by one."""
    from hvpatent.ingest.fields import normalize_name
    from hvpatent.navigation import landscape_patents, landscape_scope

    rows = DETAIL_ROWS if rows is None else rows
    if scope is None:
        scope = landscape_scope(con, land.industry, land.as_of, land.region, land.compare, as_known_on=as_known_on)
    known = scope.as_known_on

    def ask(limit: int | None = cap, **kw) -> list[dict]:
        return landscape_patents(con, land.industry, land.as_of, land.region, land.compare, limit=limit,
                                 as_known_on=known, scope=scope, **kw)

    def rowed(table: str, row: str, got: list[dict]) -> list[dict]:
        return [{"table": table, "row": row, **p} for p in got[:cap]]

    out: list[dict] = []
    mine = ask(limit=None)   # in app_no order, as every landscape_patents answer
    here, there = land.region_name, land.compare_name
    for y in land.years:
        out += rowed("专利申请、授权与有效量", f"{y} {here}",
                     [p for p in mine if p["filing_date"] is not None and p["filing_date"].year == y])
    for b in land.branches:
        if b.get("region_count"):
            out += rowed("技术分支", f"{b.get('name')} {here}", [p for p in mine if b["branch"] in p["branches"]])
    for a in land.applicants.get("region", [])[:rows]:
        key = normalize_name(str(a["applicant"]))
        out += rowed(f"主要申请人({here})", str(a["applicant"]),
                     [p for p in mine if normalize_name(str(p.get("applicant") or "")) == key])
    for b in land.branches:
        if (b.get("level") or 1) == 1 and b.get("compare_count"):
            out += rowed("技术分支", f"{b.get('name')} {there}", ask(side="compare", branch=b["branch"]))
    for a in land.applicants.get("compare", [])[:rows]:
        out += rowed(f"主要申请人({there})", str(a["applicant"]), ask(side="compare", applicant=a["applicant"]))
    for i in land.inventors[:rows]:
        out += rowed("主要发明人", str(i["inventor"]), ask(inventor=i["inventor"]))
    for p in land.partners[:rows]:
        if p.get("filters"):   # the row's own landscape_patents arguments: the list has `patents` rows
            who = p.get("inventor") or p.get("applicant")
            out += rowed("可合作可引进的创新主体", f"{who} {p.get('branch_name')}", ask(**p["filters"]))
    if land.key_patents:
        out += rowed("核心专利", "核心专利", ask(measure="key"))
    return out


def _frame(rows: list[dict], columns: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame([{h: r.get(k) for k, h in columns} for r in rows], columns=[h for _, h in columns])


def workbook_sheets(land: Landscape, recs: list[Recommendation], details: list[dict] | None = None,
                    *, imported_on: date | None = None, notice: str = "") -> dict[str, pd.DataFrame]:
    """Sheet name -> table, in the report's order; ``details`` (navigation_details) on the 明细 sheet."""
    cover = [{"项目": "标题", "内容": f"{land.region_name}{land.industry_name}产业专利导航分析报告"},
             {"项目": "数据", "内容": data_line(land, imported_on)}]
    if notice:
        cover.insert(0, {"项目": "注意", "内容": notice})
    cover += [{"项目": "说明", "内容": n} for n in land.notes]
    nodes = [{**n, "applicant_type": _types(n.get("applicant_type")), "local": "是" if n.get("local") else ""}
             for n in (land.network or {}).get("nodes", [])]
    return {
        "概况": pd.DataFrame(cover, columns=["项目", "内容"]),
        "专利申请、授权与有效量": _frame(trend_rows(land), TREND_COLUMNS),
        "技术分支": _frame(branch_rows(land), [("branch", "分支代码"), *BREAKDOWN_COLUMNS, *POSITION_COLUMNS[1:]]),
        "本地区主要申请人": _frame(applicant_rows(land, "region"), APPLICANT_COLUMNS),
        "对比区域主要申请人": _frame(applicant_rows(land, "compare"),
                                     [*APPLICANT_COLUMNS, ("region_code", "区划代码")]),
        "创新主体类型": _frame(entity_rows(land), ENTITY_COLUMNS),
        "主要发明人": _frame(inventor_rows(land), [*INVENTOR_COLUMNS, ("branches", "技术分支")]),
        "合作网络-申请人": _frame(nodes, [("id", "编号"), ("name", "申请人"), ("applicant_type", "类型"),
                                       ("patents", "专利"), ("local", "本地区")]),
        "合作网络-合作关系": _frame(edge_rows(land), EDGE_COLUMNS),
        "可合作可引进的创新主体": _frame(partner_rows(land), PARTNER_COLUMNS),
        "核心专利": _frame(key_rows(land), KEY_COLUMNS),
        "发展路径建议": _frame(rec_rows(recs), REC_COLUMNS),
        "明细": _frame([{**d, "branches": _join(d.get("branches"))} for d in details or []], DETAIL_COLUMNS),
    }


def write_navigation_xlsx(land: Landscape, recs: list[Recommendation], path: Path,
                          details: list[dict] | None = None, *, imported_on: date | None = None,
                          notice: str = "") -> Path:
    """The companion workbook: one sheet per table, and 明细 with the patents behind the rows (``details``:
    navigation_details(con, land), at most DETAIL_CAP per row).  No database needed; every cell is safe."""
    return write_xlsx(workbook_sheets(land, recs, details, imported_on=imported_on, notice=notice), path)
