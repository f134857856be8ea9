"""A statistical bulletin (统计通报) as data: sections of sentences, charts and tables.

Everything here comes from the indicators and plan rooms; the writers (docx, xlsx, html, pdf)
only lay it out. Each sentence is written from a figure and left out when the figure is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import ibis

from hvpatent.indicators import (
    CRITERIA,
    INDICATORS,
    Context,
    grouped_values,
    high_value_list,
    industry_name,
    records,
    value,
)
from hvpatent.plan import Plan, plan_progress
from hvpatent.plan.progress import METHOD, excluded_note, quarter_ends
from hvpatent.reference.clock import china_today
from hvpatent.reference.regions import region_name
from hvpatent.reports import charts
from hvpatent.reports.narrative import headline_sentences, progress_sentence, ranking_sentence

# Section numbers as official documents write them (一、 … 十、 十一、 …): enough for every section a bulletin can have.
CHINESE_NUMERALS = (*"一二三四五六七八九十", *(f"十{n}" for n in "一二三四五六七八九"))
PERIOD_NAMES = {"month": "月", "quarter": "季度", "year": "年"}
APPLICANT_TYPE_NAMES = {"enterprise": "企业", "university": "大专院校", "institute": "科研单位",
                        "individual": "个人", "government": "机关团体"}
STATUS_NAMES = {"achieved": "已完成", "on_track": "按期可完成", "at_risk": "有风险", "off_track": "难以完成",
                "missed": "未完成", "no_data": "无数据"}
NO_TOWN_MAP = ("说明：本系统未附带镇街级行政边界数据（可从软件包仓库安装的区划数据只有代码和名称，没有镇街边界），"
               "故以排序条形图代替分级设色地图。")


@dataclass
class Chart:
    title: str
    png: bytes


@dataclass
class Table:
    title: str
    columns: list[tuple[str, str]]          # (row key, header)
    rows: list[dict]
    note: str = ""
    wrap: tuple[str, ...] = ()              # columns of long text that may wrap; others stay on one line


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass
class Bulletin:
    title: str
    issuer: str
    issued_on: date
    as_of: date
    period: str
    region: str
    region_name: str
    sections: list[Section]
    appendix: list[tuple[str, str]]          # (indicator, definition)
    sources: list[str]
    figures: dict[str, float | None]
    sheets: dict[str, list[dict]]            # drill-down lists and breakdowns for the Excel edition
    notice: str = ""                         # e.g. that the data are the synthetic demo world


def _fmt(v: float | None, digits: int = 2) -> str:
    if v is None:
        return "—"
    return f"{v:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{v:,.0f}"


def _name(code: str | None) -> str:
    return (region_name(code) or code or "（未归属镇街）") if code else "（未归属镇街）"


def _groups(ctx: Context, key: str, by: str) -> list[tuple[str, float]]:
    rows = grouped_values(ctx, key, by).to_pyarrow().to_pylist()
    return sorted(((r["group"], r["value"] or 0.0) for r in rows if r["group"] is not None), key=lambda kv: -kv[1])


def _trend(root: Context, keys: list[str], as_of: date) -> tuple[list[date], dict[str, list[float | None]]]:
    days = [d for d in quarter_ends(as_of) if d < as_of] + [as_of]
    days = days[-8:] if len(days) > 8 else days
    out: dict[str, list[float | None]] = {}
    for key in keys:
        values = []
        for day in days:
            if INDICATORS[key].kind == "flow":  # the quarter up to that day
                ctx = root.at(day, date(day.year, (day.month - 1) // 3 * 3 + 1, 1))
            else:
                ctx = root.at(day, date(day.year, 1, 1))
            values.append(value(ctx, key))
        out[key] = values
    return days, out


def _quarter_label(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}" if (day.month % 3 == 0 and day.day >= 28) else day.isoformat()


def place_name(region: str | None) -> str:
    return region_name(region) or region or "全部地区"


def default_issuer(region: str | None) -> str:
    """The region's IP office, e.g. 永川区知识产权局."""
    return f"{place_name(region)}知识产权局"


def build_bulletin(con: ibis.BaseBackend, as_of: date, period: str = "quarter", region: str | None = None,
                   plan: Plan | None = None, issuer: str | None = None, issued_on: date | None = None,
                   new_grant_rows: int = 30, notice: str = "", exclude_abnormal: bool | None = None) -> Bulletin:
    """Assemble the bulletin for a region and date (the plan's region when none is given); the
    plan's targets appear only in its own region's bulletin.  ``exclude_abnormal`` (default: the supervision
    settings' plan.exclude_confirmed) leaves the applications confirmed abnormal out of every figure, and the
    overview and the plan's section say how many."""
    if plan is not None and region not in (None, plan.region):
        plan = None
    region = region or (plan.region if plan else None)
    place = place_name(region)
    issuer = issuer or default_issuer(region)
    if exclude_abnormal is None:
        from hvpatent.supervision import load_config

        exclude_abnormal = load_config().exclude_confirmed
    ctx = Context.create(con, as_of, period, region, exclude_abnormal=exclude_abnormal)
    excluded = excluded_note(ctx.excluded_abnormal())[0] + "。" if exclude_abnormal else ""
    keys = list(INDICATORS)
    now = {k: value(ctx, k) for k in keys}
    last_year = ctx.shifted(12)
    before = {k: value(last_year, k) for k in keys}
    sections: list[Section] = []

    # 一、总体情况
    overview = Section("总体情况", headline_sentences(as_of, period, place, now, before) + [excluded] * bool(excluded))
    days, trend = _trend(ctx, ["valid_inventions", "high_value_inventions"], as_of)
    labels = [_quarter_label(d) for d in days]
    overview.charts.append(Chart("有效发明专利与高价值发明专利（近8个季度末）", charts.line_chart(
        "有效发明专利与高价值发明专利", labels,
        {"有效发明专利": trend["valid_inventions"], "高价值发明专利": trend["high_value_inventions"]}, "件")))
    _, per10k = _trend(ctx, ["valid_inventions_per_10k", "high_value_per_10k"], as_of)
    overview.charts.append(Chart("每万人口发明专利与高价值发明专利拥有量", charts.line_chart(
        "每万人口拥有量", labels,
        {"每万人口发明专利": per10k["valid_inventions_per_10k"],
         "每万人口高价值发明专利": per10k["high_value_per_10k"]}, "件/万人")))
    _, flows = _trend(ctx, ["invention_applications", "invention_grants"], as_of)
    overview.charts.append(Chart("各季度发明专利申请量与授权量", charts.line_chart(
        "各季度发明专利申请与授权", labels,
        {"申请量": flows["invention_applications"], "授权量": flows["invention_grants"]}, "件")))
    overview.tables.append(Table("主要指标", [("name", "指标"), ("unit", "单位"), ("value", "本期"),
                                             ("last_year", "上年同期"), ("yoy_pct", "同比(%)")],
                                 [{"key": k, "name": INDICATORS[k].zh, "unit": INDICATORS[k].unit, "value": now[k],
                                   "last_year": before[k], "yoy_pct": _pct(now[k], before[k])} for k in keys]))
    sections.append(overview)

    # 二、目标任务进展
    sheets: dict[str, list[dict]] = {}
    if plan is not None:
        progress = plan_progress(con, plan, as_of, exclude_abnormal=exclude_abnormal)
        sec = Section(f"《{plan.name}》目标进展")
        sec.paragraphs += [s for p in progress if (s := progress_sentence(p, plan.deadline))]
        sec.paragraphs += [excluded] * bool(excluded)
        sec.paragraphs.append(f"预测方法：{METHOD['zh']}。")
        rows = [{"name": p.target.name, "unit": p.target.unit, "current": p.current,
                 "target": p.target.target if p.target.direction == "reach" else "较基期增长",
                 "gap": None if p.gap is None else max(p.gap, 0.0),
                 "projection": p.projection,
                 "status": STATUS_NAMES[p.status], "note": p.note}
                for p in progress]
        sec.tables.append(Table("目标完成情况", [("name", "目标"), ("unit", "单位"), ("current", "现值"),
                                                ("target", "目标值"), ("gap", "差距"), ("projection", "截止日预测"),
                                                ("status", "判断"), ("note", "说明")], rows,
                                "差距为0表示已达到或超过目标。", wrap=("name", "note")))
        sheets["目标进展"] = rows
        sections.append(sec)
        # 重点任务落实情况: the units' reports of the latest period due (reports/tasks_section.py, docs/tasks.md)
        from hvpatent.reports.tasks_section import tasks_section

        if (task_sec := tasks_section(con, plan, as_of, sheets=sheets)) is not None:
            sections.append(task_sec)

    # 三、镇街分布
    towns = Section("镇街分布")
    town_rate = [(_name(g), v) for g, v in _groups(ctx, "valid_inventions_per_10k", "town")]
    town_valid = [(_name(g), v) for g, v in _groups(ctx, "valid_inventions", "town")]
    town_hv = [(_name(g), v) for g, v in _groups(ctx, "high_value_inventions", "town")]
    if town_rate:
        towns.paragraphs.append(ranking_sentence("每万人口发明专利拥有量", town_rate, "件"))
    if town_hv:
        towns.paragraphs.append(ranking_sentence("高价值发明专利", town_hv, "件", integer=True))
    towns.paragraphs.append(NO_TOWN_MAP)
    if town_rate:
        towns.charts.append(Chart("各镇街每万人口发明专利拥有量", charts.ranked_bars(
            "各镇街每万人口发明专利拥有量（虚线为全区）", town_rate, "件/万人", now["valid_inventions_per_10k"])))
    hv_by_town = dict(town_hv)
    town_rows = [{"town": t, "valid": v, "per_10k": dict(town_rate).get(t), "high_value": hv_by_town.get(t, 0.0)}
                 for t, v in town_valid]
    towns.tables.append(Table("各镇街有效发明专利", [("town", "镇街"), ("valid", "有效发明专利(件)"),
                                                     ("per_10k", "每万人口(件)"), ("high_value", "高价值(件)")],
                              town_rows))
    sheets["镇街"] = town_rows
    sections.append(towns)

    # 四、产业与创新主体
    actors = Section("重点产业与创新主体")
    industry_valid = [(industry_name(g), v) for g, v in _groups(ctx, "valid_inventions", "industry")]
    industry_hv = dict((industry_name(g), v) for g, v in _groups(ctx, "high_value_inventions", "industry"))
    if industry_valid:
        actors.paragraphs.append(ranking_sentence("主导产业有效发明专利", industry_valid, "件", integer=True))
        actors.charts.append(Chart("主导产业有效发明专利", charts.column_chart(
            "主导产业有效发明专利", industry_valid, "件")))
    kinds = [(APPLICANT_TYPE_NAMES.get(g, g), v) for g, v in _groups(ctx, "valid_inventions", "applicant-type")]
    total_valid = now["valid_inventions"] or 0
    if kinds and total_valid:
        actors.paragraphs.append("按第一专利权人类型，" + "，".join(
            f"{k}{_fmt(v, 0)}件、占{v / total_valid * 100:.1f}%" for k, v in kinds) + "。")
    industry_rows = [{"industry": k, "valid": v, "high_value": industry_hv.get(k, 0.0)} for k, v in industry_valid]
    actors.tables.append(Table("主导产业", [("industry", "产业"), ("valid", "有效发明专利(件)"),
                                           ("high_value", "高价值(件)")], industry_rows,
                               "一件专利可属多个产业；产业由 IPC/关键词规则界定（见附录）。"))
    top_ent = _top(ctx, "enterprise")
    top_uni = _top(ctx, "institution")
    actors.tables.append(Table("有效发明专利前10位企业", [("rank", "排名"), ("applicant", "企业"),
                                                          ("valid", "有效发明专利(件)")], top_ent, wrap=("applicant",)))
    if top_uni:
        actors.tables.append(Table("高校及科研院所", [("rank", "排名"), ("applicant", "单位"),
                                                      ("valid", "有效发明专利(件)")], top_uni,
                                    wrap=("applicant",)))
    sheets["产业"], sheets["重点企业"], sheets["高校院所"] = industry_rows, top_ent, top_uni
    sections.append(actors)

    # 五、高价值发明专利
    hv = Section("高价值发明专利")
    crit_rows = [{"criterion": INDICATORS[f"high_value_{c}"].zh.split("：")[-1], "value": now[f"high_value_{c}"],
                  "last_year": before[f"high_value_{c}"], "yoy_pct": _pct(now[f"high_value_{c}"],
                                                                          before[f"high_value_{c}"])}
                 for c in CRITERIA]
    if now["high_value_inventions"] is not None:
        hv.paragraphs.append(
            f"全区高价值发明专利{_fmt(now['high_value_inventions'], 0)}件（一件专利满足多种情形的只计一次），其中"
            + "，".join(f"{r['criterion']}{_fmt(r['value'], 0)}件" for r in crit_rows) + "。")
    hv.tables.append(Table("高价值发明专利分情形", [("criterion", "情形"), ("value", "件数"),
                                                    ("last_year", "上年同期"), ("yoy_pct", "同比(%)")], crit_rows))
    sheets["高价值分情形"] = crit_rows
    sheets["高价值清单"] = high_value_list(con, as_of, region)
    sections.append(hv)

    # 六、专利预警（今后90天）
    sections.append(_warning_section(con, as_of, region, sheets))

    # 七、本期新授权发明专利
    grants = records(ctx, "invention_grants").order_by(ibis.desc("grant_date")).to_pyarrow().to_pylist()
    new = Section(f"本期新授权发明专利（{ctx.start}至{as_of}）")
    new.paragraphs.append(f"本期新授权发明专利{len(grants)}件" + (
        f"，下表列出最近{new_grant_rows}件，完整清单见 Excel 版。" if len(grants) > new_grant_rows else "。"))
    new.tables.append(Table("新授权发明专利", [("app_no", "申请号"), ("grant_date", "授权日"),
                                              ("applicant_name", "第一专利权人"), ("town", "镇街")],
                            [{**g, "town": _name(g["town_code"])} for g in grants[:new_grant_rows]],
                            wrap=("applicant_name",)))
    sheets["新授权发明专利"] = grants
    sections.append(new)

    # 八、商标
    sections.append(_trademark_section(ctx, region, sheets))

    # 九、高价值发明专利培育: the gap to the plan's target and the candidates (its own region's bulletin only)
    if plan is not None:
        from hvpatent.reports.cultivation import cultivation_section

        sections.append(cultivation_section(con, plan, as_of, region, sheets=sheets))

    for i, sec in enumerate(sections):
        sec.heading = f"{CHINESE_NUMERALS[i]}、{sec.heading}"
    period_text = {"month": f"{as_of.year}年{as_of.month}月", "quarter":
                   f"{as_of.year}年第{(as_of.month - 1) // 3 + 1}季度", "year": f"{as_of.year}年"}[period]
    return Bulletin(
        title=f"{place}{period_text}知识产权统计通报", issuer=issuer, issued_on=issued_on or china_today(),
        as_of=as_of, period=period, region=region or "", region_name=place, sections=sections,
        appendix=[(INDICATORS[k].zh, DEFINITIONS.get(k, "")) for k in keys if k in DEFINITIONS],
        sources=SOURCES, figures=now, sheets=sheets, notice=notice,
    )


def _warning_section(con: ibis.BaseBackend, as_of: date, region: str | None, sheets: dict) -> Section:
    from hvpatent.warnings import KIND_LABELS, KINDS, warnings_list

    rows = warnings_list(con, as_of, 90, region)
    sec = Section("专利预警（今后90天）")
    per_kind = {k: [r for r in rows if r["kind"] == k] for k in KINDS}
    high = sum(1 for r in rows if r["high_value"] and r["kind"] != "milestone_10y")
    if rows:
        sec.paragraphs.append("今后90天内，" + "，".join(
            f"{KIND_LABELS[k][0]}{len(v)}件" for k, v in per_kind.items() if v)
            + (f"；其中高价值发明专利面临失效风险{high}件，应优先提醒。" if high else "。"))
    else:
        sec.paragraphs.append("今后90天内没有需要预警的专利。")
    table = [{"kind": KIND_LABELS[k][0], "count": float(len(v)),
              "high_value": float(sum(1 for r in v if r["high_value"]))} for k, v in per_kind.items()]
    sec.tables.append(Table("预警分类统计", [("kind", "预警事项"), ("count", "件数"), ("high_value", "其中高价值")],
                            table, "名单见 Excel 版；企业提醒函：hvp warnings letters。"))
    sheets["预警分类"] = table
    sheets["预警清单"] = rows
    return sec


MARK_KIND_NAMES = {"geographical_indications": "地理标志商标", "collective_marks": "集体商标",
                   "certification_marks": "证明商标", "madrid_registrations": "马德里国际注册商标"}
TM_LIST_NOTE = "清单见 Excel 版「有效商标清单」「本期新注册商标」「商标续展预警」；看板：/trademarks。"


def _trademark_section(ctx: Context, region: str | None, sheets: dict) -> Section:
    """Effective trademarks (and per 10,000 as configured), new registrations in the period, by town and by Nice
    class (top 10), the marks counted apart and the renewals due and in grace; the lists behind every table go
    to the Excel edition. A region with only the aggregate count (template trademark_counts) gets that alone."""
    from hvpatent.indicators.measures import has_trademark_records
    from hvpatent.trademarks import TM_KIND_LABELS, TM_KINDS, mark_list, renewal_warnings

    sec = Section("商标")
    total = value(ctx, "trademarks")
    if not has_trademark_records(ctx):  # then the figure is the aggregate total's row, if there is one
        aggregate = records(ctx, "trademarks").limit(1).to_pyarrow().num_rows > 0
        sec.paragraphs.append(
            f"截至{ctx.as_of.year}年{ctx.as_of.month}月{ctx.as_of.day}日，有效商标注册量{_fmt(total, 0)}件"
            "（市场监管部门提供的汇总数；本地区没有商标明细数据，故无分布与清单）。" if aggregate
            else "本地区暂无商标数据。")
        return sec
    marks = mark_list(ctx.con, ctx.as_of, region)
    per_10k = value(ctx, "trademarks_per_10k")
    new = records(ctx, "trademark_registrations").to_pyarrow().to_pylist()
    kinds = {k: value(ctx, k) for k in MARK_KIND_NAMES}
    text = f"截至{ctx.as_of.year}年{ctx.as_of.month}月{ctx.as_of.day}日，有效商标注册量{_fmt(total or 0, 0)}件"
    if per_10k is not None:
        text += f"，{INDICATORS['trademarks_per_10k'].zh}{_fmt(per_10k)}{INDICATORS['trademarks_per_10k'].unit}"
    text += f"；本期（{ctx.start}至{ctx.as_of}）新注册商标{len(new)}件"
    sec.paragraphs.append(text + "。")
    sec.paragraphs.append("其中" + "，".join(f"{MARK_KIND_NAMES[k]}{_fmt(v or 0, 0)}件" for k, v in kinds.items()
                                            if k != "madrid_registrations")
                          + f"；另有马德里国际注册商标{_fmt(kinds['madrid_registrations'] or 0, 0)}件，"
                            "不计入有效商标注册量。")
    town_rows = [{"town": _name(g), "town_code": g, "trademarks": v} for g, v in _groups(ctx, "trademarks", "town")]
    sec.tables.append(Table("各镇街有效商标", [("town", "镇街"), ("trademarks", "有效商标(件)")], town_rows,
                            TM_LIST_NOTE))
    class_rows = [{"rank": i, "nice_class": f"第{g}类", "trademarks": v}
                  for i, (g, v) in enumerate(_groups(ctx, "trademarks", "nice-class")[:10], 1)]
    sec.tables.append(Table("有效商标尼斯分类前10位", [("rank", "排名"), ("nice_class", "类别"),
                                                      ("trademarks", "有效商标(件)")], class_rows))
    kind_rows = [{"kind": MARK_KIND_NAMES[k], "count": v} for k, v in kinds.items()]
    sec.tables.append(Table("地理标志、集体、证明商标与马德里国际注册", [("kind", "类别"), ("count", "件数")],
                            kind_rows, "马德里国际注册商标不计入有效商标注册量。"))
    warnings = renewal_warnings(ctx.con, ctx.as_of, 180, region)
    warn_rows = [{"kind": TM_KIND_LABELS[k][0], "count": float(sum(1 for w in warnings if w["kind"] == k))}
                 for k in TM_KINDS]
    sec.tables.append(Table("商标续展预警（今后180天）", [("kind", "预警事项"), ("count", "件数")], warn_rows,
                            "续展：期满前12个月内；宽展期6个月（《商标法》第四十条）。"
                            "企业提醒函：hvp trademarks letters。"))
    # the town and class tables are sheets of the Excel edition already (one per table): only the lists here
    sheets["有效商标清单"], sheets["本期新注册商标"] = marks, new
    sheets["商标续展预警"] = warnings
    return sec


def _top(ctx: Context, by: str, n: int = 10) -> list[dict]:
    names = {}
    rows = records(ctx, "valid_inventions").select("applicant", "applicant_name").distinct()
    for r in rows.to_pyarrow().to_pylist():
        names.setdefault(r["applicant"], r["applicant_name"])
    top = _groups(ctx, "valid_inventions", by)[:n]
    return [{"rank": i, "applicant": names.get(g, g), "valid": v} for i, (g, v) in enumerate(top, 1)]


def _pct(now: float | None, before: float | None) -> float | None:
    if now is None or not before:
        return None
    return round((now - before) / before * 100, 1)


DEFINITIONS = {
    "valid_inventions": "截至统计日仍维持有效（含年费宽限期内）的发明专利，按第一专利权人地址归属。",
    "valid_inventions_per_10k": "有效发明专利数 ÷ 常住人口 × 10000；人口取统计日前最近一个年末数。",
    "industry_valid_inventions": "IPC 分类或关键词符合本区主导产业规则的有效发明专利（规则可由用户修改）。",
    "high_value_inventions": "满足五种情形之一的有效发明专利：战略性新兴产业、海外有同族专利权、维持年限超过10年、"
                             "实现较高质押融资金额（默认1000万元）、获国家科学技术奖或中国专利奖。",
    "high_value_per_10k": "高价值发明专利数 ÷ 常住人口 × 10000。",
    "invention_applications": "统计期内申请日的发明专利申请件数。",
    "invention_grants": "统计期内授权公告的发明专利件数。",
    "invention_grant_rate": "发明专利授权量 ÷ 审查结案量（授权、驳回、撤回及视为撤回）× 100%。",
    "invention_maintenance_rate": "有效发明专利 ÷ 已授权且未届满的发明专利 × 100%。",
    "family_abroad_share": "有海外（中国大陆以外）授权同族的有效发明专利占有效发明专利的比例。",
    "pct_applications": "统计期内申请、有 PCT 申请号或 WO 同族的专利申请件数（近似口径）。",
    "pledge_amount": "统计期内登记（设立登记）的专利权质押合同金额合计（万元），含专利与商标混合质押合同；"
                     "每份合同按登记金额计一次，变更登记不另计。",
    "pledge_count": "统计期内登记的专利权质押合同份数（出质人属本地区），变更、注销不另计。",
    "ip_pledge_amount": "统计期内登记的专利、商标质押合同金额合计（万元），混合质押合同计一次。",
    "ip_pledge_count": "统计期内登记的专利、商标质押合同份数。",
    "trademarks": "统计日处于有效期（含宽展期）的注册商标件数，一标多类按类计，不含马德里国际注册；"
                  "没有商标明细记录的地区取统计日前最近一次汇总数。",
}
SOURCES = [
    "专利数据：国家知识产权局专利检索导出及 Google Patents 公开数据（导入记录见 hvp imports）。",
    "法律状态：按《专利法》《专利法实施细则》规则由法律事件推算（docs/legal-state.md）。",
    "人口：区统计局年末常住人口；商标：商标局检索及商业数据库导出的商标明细（无明细时为市场监管部门汇总数）；"
    "质押：国家知识产权局质押登记信息。",
    "指标口径详见 docs/indicators.md。",
]
