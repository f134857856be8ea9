"""Cultivation outputs a bureau sends: the letter to one enterprise (高价值发明专利培育提示函) about what the
district aims at, its high-value patents and each action it could take before the plan's deadline with its last
day; and the bulletin's section on the gap to the target and the candidates that could close it.

Everything comes from the cultivation room (`hvpatent.cultivation`: plan_gap, candidates, what_if,
contributions); this module only lays it out. Names from the data are written as text only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH

from hvpatent.reference.regions import region_name
from hvpatent.reports.bulletin import Section, Table
from hvpatent.reports.docx_writer import BODY_FONT, HEADING_FONT, TITLE_FONT, _paragraph, _table

if TYPE_CHECKING:
    import ibis

    from hvpatent.plan import Plan

DEFAULT_TARGET = "high_value_per_10k"
TOP_GROUPS = 5  # towns and enterprises in the bulletin's tables

WORDS: dict[str, tuple[str, str]] = {  # (zh, en)
    "title": ("高价值发明专利培育提示函", "High-value patent cultivation letter"),
    "high_value": ("贵单位的高价值发明专利", "Your high-value invention patents"),
    "actions": ("截止日前可办理的事项", "What you could do before the deadline"),
    "app_no": ("申请号", "Application"), "title_col": ("名称", "Title"), "criteria": ("高价值情形", "Criteria"),
    "kind": ("类别", "Kind"), "action": ("办理事项", "Action"), "action_date": ("最后办理日", "Last day"),
    "effect_date": ("计入日", "Counts from"), "effect": ("作用", "Effect"),
    "keep": ("保持有效", "keeps one"), "add": ("新增", "adds one"),
    "none_hv": ("截至统计日，贵单位暂无高价值发明专利。", "As of the day, you hold no high-value invention patent."),
    "none_actions": ("截至统计日，未发现贵单位在截止日前需要或可以办理的培育事项。",
                     "We found nothing you need or could do before the deadline."),
    "closing": ("上述事项以国家知识产权局的通知和公告为准；如已办理，请忽略本提示。",
                "CNIPA's notices and gazettes prevail; if you have already acted, please disregard this letter."),
}
SECTION_WORDS = {
    "heading": "高价值发明专利培育",
    "kind_table": "培育候选分类统计", "town_table": "培育候选贡献前5位镇街", "ent_table": "培育候选贡献前5位企业",
    "gap_table": "缺口测算",  # after the target's name
}


def _w(key: str, lang: str) -> str:
    return WORDS[key][0 if lang == "zh" else 1]


def _when(day: date, lang: str = "zh") -> str:
    return f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else day.isoformat()


def _num(v: float | None, digits: int = 2) -> str:
    if v is None:
        return "—"
    return f"{v:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{v:,.0f}"


def gap_dict(gap: Any) -> dict:
    """A Gap (cultivation.Gap) or its dict, as a dict; {} for None."""
    if gap is None:
        return {}
    return gap.as_dict() if hasattr(gap, "as_dict") else dict(gap)


def _indicator_name(key: str | None, lang: str) -> str:
    from hvpatent.indicators import INDICATORS

    indicator = INDICATORS.get(key or "")
    return indicator.label(lang) if indicator else (key or "")


def counted_name(gap: Mapping | Any, lang: str = "zh") -> str:
    """What a gap counts, in words: its count indicator's name (高价值发明专利 for a high-value target,
    有效发明专利 for a valid-invention one), from the gap's ``count_indicator`` or its indicator."""
    from hvpatent.cultivation import GAP_INDICATORS

    g = gap_dict(gap)
    key = g.get("count_indicator") or GAP_INDICATORS.get(g.get("indicator") or "", ("",))[0]
    return _indicator_name(key, lang) or ("专利" if lang == "zh" else "patents")


def target_name(plan: Plan | None, key: str | None, lang: str = "zh") -> str | None:
    """The plan's name of a target (Chinese; the plan has no English names: None in English, so the
    indicator's English name is used)."""
    if plan is None or not key or lang != "zh":
        return None
    return next((t.name for t in plan.targets if t.key == key), None)


def aim_sentence(gap: Mapping | Any, lang: str = "zh") -> str:
    """What the district aims at, from a gap: its target (the plan's name for it when the gap dict carries
    ``target_name``, else the indicator's), today's figure and the patents still needed, worded from what the
    target counts (high-value or valid inventions)."""
    g = gap_dict(gap)
    if not g:
        return ""
    place = region_name(g.get("region")) or g.get("region") or ("本地区" if lang == "zh" else "the district")
    name = (g.get("target_name") if lang == "zh" else None) or _indicator_name(g.get("indicator"), lang)
    counted = counted_name(g, lang)
    deadline, as_of = g.get("deadline"), g.get("as_of")
    if lang == "zh":
        text = f"{place}力争到{_when(deadline)}{name}达到{_num(g.get('target_value'))}" if deadline else ""
        text += f"，截至{_when(as_of)}为{_num(g.get('current_value'))}" if as_of else ""
        needed = g.get("gap")
        text += (f"，按预测人口测算尚需新增{counted}{_num(needed, 0)}件" if needed else "，已达到目标") + "。"
        return text
    text = f"{place} aims at {_num(g.get('target_value'))} for {name.lower()} by {deadline}" if deadline else ""
    text += f"; on {as_of} it stood at {_num(g.get('current_value'))}" if as_of else ""
    needed = g.get("gap")
    return text + (f"; {_num(needed, 0)} more {counted.lower()} are needed at the projected population."
                   if needed else "; the target is met.")


def actions_in_order(rows: list[dict]) -> list[dict]:
    """Candidates in the order an enterprise meets them: by last day to act, then by application number."""
    return sorted(rows, key=lambda r: (r.get("action_date") or date.max, str(r.get("app_no") or ""),
                                       str(r.get("kind") or "")))


def _iso(day: date | None) -> str:
    return day.isoformat() if isinstance(day, date) else "—"


def write_cultivation_letter(enterprise: str, rows: list[dict], gap: Any, as_of: date, issuer: str, path: Path,
                             lang: str = "zh", *, high_value: list[dict] | None = None, contact: str = "") -> Path:
    """The letter (docx) to one enterprise: what the district aims at (``gap``: a cultivation Gap or its dict),
    its high-value patents (``high_value``: rows with app_no, title, criteria; by default its candidates
    already high-value), each action of its candidates (``rows`` of cultivation.candidates) with its last day,
    in date order, and a contact line (``issuer``, ``contact``). Chinese, or English with ``lang="en"``."""
    i = 0 if lang == "zh" else 1
    doc = Document()
    _paragraph(doc, _w("title", lang), TITLE_FONT, 22, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(doc, f"{enterprise}：" if i == 0 else f"To {enterprise}:", BODY_FONT, 16, indent=False)
    aim = aim_sentence(gap, lang)
    if aim:
        _paragraph(doc, aim)
    ordered = actions_in_order(rows)
    if high_value is None:
        seen: dict[str, dict] = {}
        for r in rows:
            if r.get("high_value_now"):
                seen.setdefault(r["app_no"], {"app_no": r["app_no"], "title": r.get("title"),
                                              "criteria": r.get("criterion") or ""})
        high_value = list(seen.values())
    adds = sum(1 for r in ordered if r.get("effect") == "add")
    keeps = len(ordered) - adds
    if i == 0:
        _paragraph(doc, f"经核查，截至{_when(as_of)}，贵单位有高价值发明专利{len(high_value)}件；"
                        f"在截止日前有{len(ordered)}项培育事项" + (
                            f"（其中{adds}项办理成功可新增高价值发明专利，{keeps}项可保持其有效）" if ordered else "")
                        + "。请按下表在最后办理日前办理：")
    else:
        _paragraph(doc, f"As of {as_of.isoformat()}, you hold {len(high_value)} high-value invention patents; "
                        f"{len(ordered)} actions are open before the deadline"
                        + (f" ({adds} would add a high-value patent, {keeps} keep one)" if ordered else "")
                        + ". Please act by the last day the table gives:")
    if high_value:
        _table(doc, Table(_w("high_value", lang), [("app_no", _w("app_no", lang)), ("title", _w("title_col", lang)),
                                                   ("criteria", _w("criteria", lang))],
                          [{"app_no": r["app_no"], "title": r.get("title") or "—",
                            "criteria": _criteria_text(r.get("criteria"), lang)} for r in high_value]))
    else:
        _paragraph(doc, _w("none_hv", lang), BODY_FONT, 12)
    action = "action" if i == 0 else "action_en"
    if ordered:
        _table(doc, Table(_w("actions", lang), [(k, _w(k if k != "title" else "title_col", lang)) for k in (
            "app_no", "title", "kind", "action", "action_date", "effect_date", "effect")], [
            {"app_no": r["app_no"], "title": r.get("title") or "—", "kind": _kind_label(r, lang),
             "action": r.get(action) or r.get("action") or "", "action_date": _iso(r.get("action_date")),
             "effect_date": _iso(r.get("effect_date")),
             "effect": _w(r["effect"], lang) if r.get("effect") in ("keep", "add") else ""} for r in ordered]))
    else:
        _paragraph(doc, _w("none_actions", lang), BODY_FONT, 12)
    _paragraph(doc, _w("closing", lang), BODY_FONT, 12)
    contact_line = (f"如有疑问，请与{issuer}联系" if i == 0 else f"For questions, please contact {issuer}") + (
        f"（{contact}）" if contact and i == 0 else f" ({contact})" if contact else "") + ("。" if i == 0 else ".")
    _paragraph(doc, contact_line, BODY_FONT, 12)
    _paragraph(doc, issuer, HEADING_FONT, 16, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    today = date.today()
    _paragraph(doc, _when(today, lang), BODY_FONT, 16, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def _kind_label(row: dict, lang: str) -> str:
    from hvpatent.cultivation import KIND_LABELS

    label = KIND_LABELS.get(row.get("kind") or "")
    if label:
        return label[0 if lang == "zh" else 1]
    return str(row.get("kind_label") or row.get("kind") or "")


def _criteria_text(criteria: object, lang: str) -> str:
    """Criteria keys (a list or a comma-separated text) in words."""
    from hvpatent.i18n import LABELS

    keys = criteria if isinstance(criteria, list | tuple) else [c for c in str(criteria or "").split(",") if c]
    words = []
    for key in keys:
        entry = LABELS.get(key)
        words.append(entry.get(lang, entry["zh"]) if entry else str(key))
    return ("、" if lang == "zh" else ", ").join(words) or "—"


# -- one enterprise: its page, its letter, `hvp enterprise show` ---------------------------------------------
GRADES = ("A", "B", "C", "D")


def value_summary(scores: list[dict]) -> dict:
    """Its portfolio's value from value_scores rows: how many scored, how many per grade, the mean score."""
    by_grade = {g: 0 for g in GRADES}
    for r in scores:
        by_grade[r["grade"]] = by_grade.get(r["grade"], 0) + 1
    mean = round(sum(r["score"] for r in scores) / len(scores), 1) if scores else None
    return {"scored": len(scores), "by_grade": by_grade, "mean_score": mean,
            "high_value": sum(1 for r in scores if r.get("high_value"))}


def enterprise_plan(con: ibis.BaseBackend, enterprise: str, as_of: date, deadline: date, plan: Plan | None = None,
                    within_days: int = 90, *, rates: dict | None = None, gap: Any = None,
                    frame: Any = None) -> dict:
    """What one enterprise (normalised name; its patents in any applicant position) has and could do before
    ``deadline``: {enterprise, name, as_of, deadline, value (value_summary), scores (value_scores rows),
    high_value (high_value_list rows), candidates (cultivation.candidates, in date order), warnings
    (warnings_list, ``within_days``), gap (the plan's high-value gap in its region as a dict, with the plan's
    ``target_name``; {} without a plan, after its deadline or without a per-10k target)}. ValueError from the
    rooms for a day they refuse.

    The parts every enterprise shares may be passed in when already computed (the dashboard caches them per
    day): ``rates`` (historical_rates(con, as_of, plan.region)), ``gap`` (plan_gap for section_target(plan) in
    the plan's region by ``deadline``: a Gap or its dict) and ``frame`` (the value room's value_frame(con,
    as_of)). Without them each is computed here; the candidates' probabilities are the plan region's rates
    either way, as on the staff page."""
    from hvpatent.cultivation import candidates, historical_rates, plan_gap
    from hvpatent.indicators import ALL_APPLICANTS, high_value_list
    from hvpatent.value import value_scores
    from hvpatent.warnings import warnings_list

    region = plan.region if plan is not None else None
    scores = (value_scores(con, as_of, enterprise=enterprise) if frame is None
              else value_scores(con, as_of, enterprise=enterprise, frame=frame))
    high = high_value_list(con, as_of, ALL_APPLICANTS, applicant=enterprise)
    rows: list[dict] = []
    if deadline > as_of:
        rates = rates if rates is not None else historical_rates(con, as_of, region)
        rows = actions_in_order(candidates(con, as_of, deadline, enterprise=enterprise, rates=rates))
    warns = warnings_list(con, as_of, within_days, ALL_APPLICANTS, enterprise)
    key = section_target(plan) if plan is not None else None
    g: dict = {}
    if plan is not None and key and deadline > as_of:
        g = gap_dict(gap if gap is not None else plan_gap(con, plan, key, as_of, deadline, region=region))
        g["target_name"] = target_name(plan, key)
    names = [r["applicant_name"] for r in (*rows, *scores) if r.get("applicant_norm") == enterprise
             and r.get("applicant_name")]
    return {"enterprise": enterprise, "name": names[0] if names else enterprise, "as_of": as_of,
            "deadline": deadline, "value": value_summary(scores), "scores": scores, "high_value": high,
            "candidates": rows, "warnings": warns, "gap": g}


# -- the bulletin's section ------------------------------------------------------------------------------
def section_target(plan: Plan) -> str | None:
    """The plan's target the section measures: high_value_per_10k when the plan has it, else its first
    per-10k target; None when the plan has no per-10k target."""
    from hvpatent.cultivation import per_10k_targets

    keys = per_10k_targets(plan)
    return DEFAULT_TARGET if DEFAULT_TARGET in keys else (keys[0] if keys else None)


def cultivation_section(con: ibis.BaseBackend, plan: Plan, as_of: date, region: str | None = None,
                        lang: str = "zh", sheets: dict | None = None) -> Section:
    """The bulletin's section: the gap to the plan's high-value target by its deadline (a table and a
    sentence), the candidates by kind with what they would give if all succeed and at historical rates, and
    the towns and enterprises that could contribute most. ``sheets`` (the bulletin's Excel lists) gets the
    candidates. The bulletin is Chinese; ``lang`` is kept for the words of the room (kind labels)."""
    sec = Section(SECTION_WORDS["heading"])
    key = section_target(plan)
    region = region or plan.region
    if key is None:
        sec.paragraphs.append("行动方案没有“每万人口”类目标，本节从略。")
        return sec
    if as_of >= plan.deadline:
        sec.paragraphs.append(f"《{plan.name}》截止日{_when(plan.deadline)}已到，本节不再测算缺口与培育候选"
                              "（另定截止日可用 hvp plan gap --deadline 测算）。")
        return sec
    from hvpatent.cultivation import (
        CANDIDATE_KINDS,
        KIND_LABELS,
        candidates,
        contributions,
        kind_summary,
        plan_gap,
        what_if,
    )

    gap = plan_gap(con, plan, key, as_of, plan.deadline, region=region)
    g = {**gap_dict(gap), "target_name": target_name(plan, key)}
    counted = counted_name(g)
    rows = candidates(con, as_of, plan.deadline, region=region)
    scenarios = what_if(gap, rows)
    sec.paragraphs.append(aim_sentence(g, "zh"))
    i = 0 if lang == "zh" else 1
    per_kind = {k: [r for r in rows if r["kind"] == k] for k in CANDIDATE_KINDS}
    if rows:
        sec.paragraphs.append(
            f"经筛查，截止日前可培育或需保持的候选专利{len({r['app_no'] for r in rows})}件（{len(rows)}项事项），其中"
            + "，".join(f"{KIND_LABELS[k][0]}{len(v)}项" for k, v in per_kind.items() if v)
            + f"。若全部办理成功，截止日预计{_num(scenarios['all']['per_10k'])}；按历史成功率预计"
              f"{_num(scenarios['historical']['per_10k'])}；若均未办理，预计{_num(scenarios['none']['per_10k'])}"
              f"（目标{_num(g.get('target_value'))}）。")
    else:
        sec.paragraphs.append("截止日前未发现可培育的候选专利。")
    gap_rows = [
        {"item": "目标值", "value": g.get("target_value")}, {"item": "现值", "value": g.get("current_value")},
        {"item": f"现有{counted}(件)", "value": g.get("current_count")},
        {"item": "截止日预测人口(人)", "value": g.get("population_deadline")},
        {"item": "截止日所需(件)", "value": g.get("required_count")},
        {"item": "截止日前期满(件)", "value": g.get("expiring_count")},
        {"item": "缺口(件)", "value": g.get("gap")},
        *({"item": f"预计：{name}", "value": scenarios[s]["per_10k"]}
          for s, name in (("none", "均未办理"), ("historical", "按历史成功率"), ("all", "全部办理成功"))),
    ]
    gap_title = f"{g['target_name'] or counted}{SECTION_WORDS['gap_table']}"
    sec.tables.append(Table(gap_title, [("item", "项目"), ("value", "数值")], gap_rows,
                            g.get("population_method") or g.get("note") or ""))
    # by the what-if's rule (kind_summary): the expected counts add up to its historical figure less none's
    kind_rows = [{"kind": KIND_LABELS[k["kind"]][i], "count": float(k["listed"]), "counted": float(k["count"]),
                  "expected": k["expected"]} for k in kind_summary(rows, gap)]
    sec.tables.append(Table(SECTION_WORDS["kind_table"], [("kind", "类别"), ("count", "事项数"),
                                                          ("counted", "计入件数"),
                                                          ("expected", "按历史成功率预计(件)")], kind_rows,
                            "完整名单：看板 /cultivation（可导出 Excel）；企业提示函：hvp enterprise letter。"))
    # with the gap: each group's patents as the what-if counts them (the groups add up to its figures)
    towns = sorted(contributions(rows, "town_code", gap=gap),
                   key=lambda r: (-(r.get("expected") or 0), str(_group(r, "town_code"))))
    sec.tables.append(Table(SECTION_WORDS["town_table"], [("town", "镇街"), ("all", "全部成功(件)"),
                                                          ("expected", "按历史成功率(件)")],
                            [{"town": region_name(_group(r, "town_code")) or _group(r, "town_code") or "（未归属镇街）",
                              "all": r.get("all"), "expected": r.get("expected")} for r in towns[:TOP_GROUPS]]))
    names = {r["applicant_norm"]: r["applicant_name"] for r in rows}
    ents = sorted(contributions(rows, "applicant_norm", gap=gap),
                  key=lambda r: (-(r.get("expected") or 0), str(_group(r, "applicant_norm"))))
    sec.tables.append(Table(SECTION_WORDS["ent_table"], [("applicant", "企业"), ("all", "全部成功(件)"),
                                                         ("expected", "按历史成功率(件)")],
                            [{"applicant": names.get(_group(r, "applicant_norm"), _group(r, "applicant_norm")),
                              "all": r.get("all"), "expected": r.get("expected")} for r in ents[:TOP_GROUPS]],
                            wrap=("applicant",)))
    if sheets is not None:
        sheets["培育候选清单"] = actions_in_order(rows)
    return sec


def _group(row: dict, by: str) -> str | None:
    """The group of a contributions row: its ``by`` column (or ``group``)."""
    return row.get(by, row.get("group"))
