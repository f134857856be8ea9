"""The valuation sheet (评估表, docx) a bank puts in the loan file: per patent its bibliographic facts, its legal
state on the day, the value room's pledge-scenario score with every indicator's input, the high-value criteria it
meets and the pledges registered on it; a summary of the bundle; and the statement that this is an
indicator-based assessment, not an appraisal by a licensed asset appraiser (docs/value.md, "Valuation sheet").

Everything comes from the value room (`value_of`, one `value_frame` for all the patents), the legal room and the
finance room's registry; plain text only (no fields, formulas or macros), every text through clean_text."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import ibis
import pandas as pd
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH

from hvpatent.reports.bulletin import Table
from hvpatent.reports.docx_writer import BODY_FONT, HEADING_FONT, TITLE_FONT, _paragraph, _table

SCENARIO = "pledge"  # the value room's scenario for pledge financing (GB/T 42748-2023's finance scenario)

WORDS: dict[str, tuple[str, str]] = {
    "title": ("专利价值评估表", "Patent valuation sheet"),
    "subtitle": ("（质押融资场景，供贷款档案使用）", "(pledge financing scenario, for the loan file)"),
    "as_of": ("评估基准日", "Assessment date"), "issued": ("制表日期", "Prepared on"),
    "bank": ("质权人（银行）", "Pledgee (bank)"), "contract": ("质押登记号", "Pledge registration no."),
    "patents": ("评估专利", "Patents assessed"), "item": ("项目", "Item"), "value": ("内容", "Value"),
    "biblio": ("基本信息", "Bibliographic facts"), "legal": ("法律状态", "Legal state"),
    "app_no": ("申请号", "Application no."), "name": ("专利名称", "Title"), "type": ("专利类型", "Patent type"),
    "filed": ("申请日", "Filing date"), "granted": ("授权公告日", "Grant date"),
    "pub_no": ("授权公告号", "Grant publication no."), "holders": ("专利权人（申请人）", "Patentee (applicants)"),
    "ipc": ("主分类号", "Main IPC"), "field": ("技术领域", "Technology field"),
    "state": ("法律状态", "Legal state"), "maintained": ("已维持年限", "Years maintained"),
    "term_end": ("保护期届满日", "Term ends"), "remaining": ("剩余保护期", "Remaining term"),
    "next_due": ("下一次年费", "Next annuity"), "value_head": ("价值评估（质押融资场景）", "Value (pledge scenario)"),
    "score_line": ("质押融资场景得分", "Pledge-scenario score"), "dimension": ("维度", "Dimension"),
    "indicator": ("指标", "Indicator"), "input": ("输入", "Input"), "normalised": ("标准化得分", "Normalised"),
    "weight": ("权重", "Weight"), "contribution": ("贡献", "Contribution"),
    "criteria": ("高价值发明专利情形", "High-value criteria met"),
    "pledges": ("质押登记情况", "Pledges registered"), "pledgee": ("质权人", "Pledgee"),
    "pledgor": ("出质人", "Pledgor"), "amount": ("金额（万元）", "Amount (CNY 10,000)"),
    "registered": ("登记日", "Registered"), "loan_end": ("债务到期日", "Loan matures"),
    "status": ("状态", "Status"), "summary": ("组合汇总", "Bundle summary"), "score": ("得分", "Score"),
    "grade": ("等级", "Grade"), "high_value": ("高价值", "High-value"), "pledged_now": ("在押", "Pledged now"),
    "statement": ("说明", "Statement"),
    "left_out": ("未列入评估", "Not assessed"),
    "own_only": ("（仅本行质押）", " (this bank's pledges only)"),
    "score_all": ("注：标“仅本行质押”的输入只计本行的质押；评分按登记簿全部质押计算。",
                  "Note: the inputs marked \"this bank's pledges only\" count this bank's pledges; the score counts "
                  "every registered pledge."),
    "not_shown": ("质押融资额达到阈值（金额不列明）", "pledge financing above the threshold (amount not shown)"),
}
#: Why a contract's patent is left out of its sheet: (zh, en).
LEFT_OUT: dict[str, tuple[str, str]] = {
    "unknown": ("库中没有这件专利", "not in the warehouse"),
    "not_assessed": ("不参与评估（外观设计，或申请日晚于评估基准日）",
                     "not assessed (a design, or filed after the assessment date)"),
}


class ValuationSheet(NamedTuple):
    """A sheet made: the docx, the patents assessed in it (in order) and those of the contract left out with the
    reason's key (LEFT_OUT)."""

    data: bytes
    patents: list[str]
    left_out: list[tuple[str, str]]
STATUS_WORDS = {"active": ("质押中", "active"), "released": ("已注销", "released"), "disposed": ("已处置", "disposed")}
TYPE_WORDS = {"invention": ("发明", "invention"), "utility_model": ("实用新型", "utility model"),
              "design": ("外观设计", "design")}


def _w(key: str, lang: str) -> str:
    return WORDS[key][0 if lang == "zh" else 1]


def statement(lang: str = "zh") -> str:
    """What the sheet is and is not: banks must tell an indicator assessment from a statutory appraisal."""
    if lang == "zh":
        return ("本表按 GB/T 42748-2023《专利评估指引》的法律、技术、经济三类指标，由系统根据专利数据库所载的公开"
                "数据计算得出，属于基于指标的专利价值评价：各项得分是该专利在同类型、同技术领域、同申请年专利中的"
                "相对位置（0–100 分），等级按评估基准日全部参评专利的排名划分，均不是金额。本表不是资产评估机构的"
                "资产评估师依照《中华人民共和国资产评估法》出具的资产评估报告，不构成对专利权市场价值或质押物价值的"
                "评估结论；需要确定质押物价值的，请委托依法设立的资产评估机构评估。法律状态以数据库所载著录项目和"
                "法律事件为准，办理质押登记前请以国家知识产权局的专利登记簿为准核实。")
    return ("This sheet applies the legal, technical and economic indicators of GB/T 42748-2023 (Guidelines for "
            "patent evaluation) to the public data in the patent database. It is an indicator-based assessment: "
            "each score is the patent's relative position (0-100) among patents of the same type, technology field "
            "and filing year, and the grade its rank among all patents scored on the assessment date; none of them "
            "is an amount of money. It is not an asset appraisal report issued by a licensed asset appraiser "
            "(资产评估师) of an appraisal institution under the Asset Appraisal Law of the People's Republic of "
            "China, and it states no market or collateral value of the patent right; where the collateral's value "
            "must be determined, engage a lawfully established asset appraisal institution. The legal state is as "
            "the database records it: check it against CNIPA's patent register before registering a pledge.")


def _day(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        value = value.date()
    return value.isoformat() if isinstance(value, date) else "—"


def _bibliography(con: ibis.BaseBackend, app_nos: list[str], as_of: date) -> dict[str, dict]:
    """Per application: filing date, main IPC, grant publication, the applicants in order, and its legal state on
    the day (state, grant date, term end, years maintained, next annuity)."""
    from hvpatent.legal import legal_state

    apps = con.table("applications")
    mine = apps.filter(apps.app_no.isin(app_nos))
    facts = {r["app_no"]: dict(r) for r in mine.select("app_no", "filing_date", "ipc_main").to_pyarrow().to_pylist()}
    for r in legal_state(con, as_of, applications=mine).to_pyarrow().to_pylist():
        facts[r["app_no"]].update(state=r["state"], grant_date=r["grant_date"], term_end=r["term_end"],
                                  years_maintained=r["years_maintained"], next_due_date=r["next_due_date"],
                                  next_due_year=r["next_due_year"], next_due_amount=r["next_due_amount"])
    parties = con.table("parties")
    holders = (parties.filter(parties.app_no.isin(app_nos) & (parties.role == "applicant"))
               .order_by(["app_no", "seq"]).select("app_no", "name").to_pyarrow().to_pylist())
    for r in holders:
        facts[r["app_no"]].setdefault("holders", []).append(r["name"])
    pubs = con.table("publications")
    granted = (pubs.filter(pubs.app_no.isin(app_nos) & pubs.kind.isin(["B", "C", "U", "Y"]) & (pubs.pub_date <= as_of))
               .order_by(["app_no", "pub_date"]).select("app_no", "pub_no").to_pyarrow().to_pylist())
    for r in granted:
        facts[r["app_no"]]["pub_no"] = r["pub_no"]
    return facts


def _pledges(con: ibis.BaseBackend, app_nos: list[str], as_of: date,
             pledges_of: str | None = None) -> dict[str, list[dict]]:
    """The contracts registered on each patent by the day (the finance room's registry), newest first; each row's
    ``own`` says whether its pledgee is ``pledges_of`` (a bank's normalised name, by the registry's bank rule), or
    is True for every row when no bank is given."""
    from hvpatent.finance import bank_filter, contracts_on, items_on

    its = items_on(con, as_of)
    its = its.filter((its.item_kind == "patent") & its.item_no.isin(app_nos)).select("contract_no", "item_no")
    cons = contracts_on(con, as_of)
    lines = its.join(cons, "contract_no").select(
        "item_no", "contract_no", "pledgor", "pledgee", "pledgee_norm", "amount_yuan", "registered_amount_yuan",
        "patents", "registered_date", "loan_end", "status")
    rows = lines.to_pyarrow().to_pylist()
    own = ({(r["contract_no"], r["item_no"]) for r in bank_filter(lines, pledges_of).to_pyarrow().to_pylist()}
           if pledges_of else None)
    out: dict[str, list[dict]] = {}
    for r in sorted(rows, key=lambda r: (r["registered_date"] or date.min, r["contract_no"]), reverse=True):
        r["own"] = own is None or (r["contract_no"], r["item_no"]) in own
        out.setdefault(r["item_no"], []).append(r)
    return out


def _contract(con: ibis.BaseBackend, contract_no: str, as_of: date) -> dict | None:
    from hvpatent.finance import contracts_on

    cons = contracts_on(con, as_of)
    rows = cons.filter(cons.contract_no == contract_no).to_pyarrow().to_pylist()
    return rows[0] if rows else None


def contract_patents(con: ibis.BaseBackend, contract_no: str, as_of: date) -> list[str]:
    """The patents pledged under a contract on the day (its items not removed by then), in number order."""
    from hvpatent.finance import items_on

    its = items_on(con, as_of)
    mine = its.filter((its.contract_no == contract_no) & (its.item_kind == "patent"))
    return sorted(mine.item_no.to_pyarrow().to_pylist())


def _contract_text(c: dict, lang: str) -> str:
    """The registered contract's pledgor, amount and loan term, those known (a legacy line has no term)."""
    zh = lang == "zh"
    parts = []
    if c.get("pledgor"):
        parts.append(f"出质人 {c['pledgor']}" if zh else f"pledgor {c['pledgor']}")
    if c.get("amount_yuan") is not None:
        parts.append(f"金额 {_wan(c['amount_yuan'])} 万元" if zh else f"CNY {_wan(c['amount_yuan'])} × 10,000")
    if c.get("loan_start") or c.get("loan_end"):
        parts.append(f"债务履行期限 {_day(c.get('loan_start'))} 至 {_day(c.get('loan_end'))}" if zh else
                     f"loan {_day(c.get('loan_start'))} to {_day(c.get('loan_end'))}")
    if c.get("status"):
        parts.append(STATUS_WORDS.get(c["status"], (c["status"], c["status"]))[0 if zh else 1])
    if not parts:
        return ""
    return f"（{'，'.join(parts)}）" if zh else f" ({', '.join(parts)})"


def valuation_data(con: ibis.BaseBackend, app_nos: list[str] | tuple[str, ...], as_of: date, *,
                   frame: pd.DataFrame | None = None, lang: str = "zh", pledges_of: str | None = None) -> list[dict]:
    """Per patent, in the order given: ``value`` (value_of's breakdown), ``facts`` (bibliography and legal state)
    and ``pledges`` (each with ``own``: see _pledges).  ValueError naming the application when one is not in the
    warehouse or not assessed."""
    return _assess(con, app_nos, as_of, frame=frame, lang=lang, pledges_of=pledges_of)[0]


def _assess(con: ibis.BaseBackend, app_nos: list[str] | tuple[str, ...], as_of: date, *,
            frame: pd.DataFrame | None, lang: str, pledges_of: str | None,
            may_leave_out: frozenset[str] = frozenset()) -> tuple[list[dict], list[tuple[str, str]]]:
    """valuation_data's entries and the patents left out as (app_no, LEFT_OUT key): only those of
    ``may_leave_out`` (a contract's patents) are left out; any other unknown or unassessed one is a ValueError
    naming it, and so is a list with nothing left to assess."""
    from hvpatent.value import value_frame, value_of, value_settings

    numbers = list(dict.fromkeys(app_nos))
    if not numbers:
        raise ValueError("没有给出申请号" if lang == "zh" else "no application number given")
    apps = con.table("applications")
    known = set(apps.filter(apps.app_no.isin(numbers)).app_no.to_pyarrow().to_pylist())
    missing = [n for n in numbers if n not in known and n not in may_leave_out]
    if missing:  # before the day's frame is computed: a typo fails at once
        raise ValueError(f"{'、'.join(missing)}：库中没有这件专利" if lang == "zh" else
                         f"{', '.join(missing)}: not in the warehouse")
    left_out = [(n, "unknown") for n in numbers if n not in known]
    settings = value_settings()
    df = frame if frame is not None else value_frame(con, as_of, settings=settings)
    values = {}
    for number in (n for n in numbers if n in known):
        result = value_of(con, number, as_of, settings=settings, frame=df)
        if result is None and number in may_leave_out:
            left_out.append((number, "not_assessed"))
        elif result is None:
            raise ValueError(f"{number}：库中没有这件专利，或它不参与评估（外观设计、或申请日晚于 {as_of}）"
                             if lang == "zh" else
                             f"{number}: not in the warehouse, or not assessed (a design, or filed after {as_of})")
        else:
            values[number] = result
    if not values:
        names = ("、" if lang == "zh" else ", ").join(n for n, _ in left_out)
        raise ValueError(f"{names}：没有可评估的专利（库中没有，或不参与评估）" if lang == "zh" else
                         f"{names}: no patent that can be assessed (not in the warehouse, or not assessed)")
    assessed = [n for n in numbers if n in values]
    facts = _bibliography(con, assessed, as_of)
    pledges = _pledges(con, assessed, as_of, pledges_of)
    order = {n: i for i, n in enumerate(numbers)}
    left_out.sort(key=lambda x: order[x[0]])
    entries = [{"value": values[n], "facts": facts.get(n, {}), "pledges": pledges.get(n, [])} for n in assessed]
    if pledges_of is not None:  # a bank's sheet (see _patent's own_only)
        _own_pledge_inputs(con, entries, as_of)
    return entries, left_out


def _indicator(value: dict, key: str) -> dict:
    return next(i for d in value["scenarios"][SCENARIO]["dimensions"] for i in d["indicators"] if i["key"] == key)


#: The value inputs read from every pledgee's pledges (value.features: indicators.highvalue.pledge_totals).
PLEDGE_INPUTS = ("pledges", "pledged_yuan")


def _own_pledge_inputs(con: ibis.BaseBackend, entries: list[dict], as_of: date) -> None:
    """Each entry's ``own_inputs``: the pledge inputs counted on the bank's own pledges alone (rows of _pledges with
    ``own``), by the value room's own rule (indicators.highvalue.pledge_totals over those contracts)."""
    from hvpatent.indicators.highvalue import pledge_totals

    own = sorted({p["contract_no"] for e in entries for p in e["pledges"] if p["own"]})
    totals = pledge_totals(con, as_of, contract_nos=own) if own else None
    numbers = [e["value"]["app_no"] for e in entries]
    found = ({r["app_no"]: r for r in totals.filter(totals.app_no.isin(numbers)).to_pyarrow().to_pylist()}
             if totals is not None else {})
    for e in entries:
        r = found.get(e["value"]["app_no"], {})
        e["own_inputs"] = {"pledges": float(r.get("contracts") or 0), "pledged_yuan": float(r.get("pledged_yuan") or 0)}


def _shown_value(v: dict, entry: dict, lang: str, own_only: bool) -> dict:
    """value_of's breakdown as the sheet prints it: for a bank (``own_only``) the pledge inputs count its own
    pledges only and the pledge_high criterion names no amount, as another bank's amounts are not shown; the
    normalised scores and the score stay the value room's."""
    if not own_only:
        return v
    from hvpatent.value import value_settings
    from hvpatent.value.score import input_text

    own = entry["own_inputs"]
    settings, mark = value_settings(), WORDS["own_only"]
    texts = {k: (input_text(k, own, "zh", settings) + mark[0], input_text(k, own, "en", settings) + mark[1])
             for k in PLEDGE_INPUTS}
    scenarios = {}
    for key, s in v["scenarios"].items():
        dims = [{**d, "indicators": [{**i, "raw": own[i["key"]], "input": texts[i["key"]][0],
                                      "input_en": texts[i["key"]][1]} if i["key"] in texts else i
                                     for i in d["indicators"]]} for d in s["dimensions"]]
        scenarios[key] = {**s, "dimensions": dims}
    criteria = [{**c, "evidence": WORDS["not_shown"][0 if lang == "zh" else 1]} if c["criterion"] == "pledge_high"
                else c for c in v["criteria"]]
    return {**v, "scenarios": scenarios, "criteria": criteria}


def _wan(yuan: float | None) -> str:
    return "—" if yuan is None else f"{float(yuan) / 10_000:,.2f}".rstrip("0").rstrip(".")


def _patent(doc, n: int, entry: dict, lang: str, own_only: bool = False) -> None:
    zh = lang == "zh"
    v, f = _shown_value(entry["value"], entry, lang, own_only), entry["facts"]
    s = v["scenarios"][SCENARIO]
    from hvpatent.value.score import _state_label

    _paragraph(doc, f"{'一二三四五六七八九十'[n - 1] + '、' if zh and n <= 10 else f'{n}. '}{v['app_no']} "
                    f"{v['title'] or ''}", HEADING_FONT, 14, indent=False)
    kind = TYPE_WORDS.get(v["patent_type"], (v["patent_type"], v["patent_type"]))[0 if zh else 1]
    field = v["cohort"]["field_name"] if zh else v["cohort"]["field_name_en"]
    biblio = [(_w("app_no", lang), v["app_no"]), (_w("name", lang), v["title"]), (_w("type", lang), kind),
              (_w("filed", lang), _day(f.get("filing_date"))), (_w("granted", lang), _day(f.get("grant_date"))),
              (_w("pub_no", lang), f.get("pub_no")),
              (_w("holders", lang), ("；" if zh else "; ").join(f.get("holders") or []) or None),
              (_w("ipc", lang), f.get("ipc_main")), (_w("field", lang), field)]
    _table(doc, _pairs(_w("biblio", lang), biblio, lang))
    remaining = _indicator(v, "remaining_years")["raw"]
    maintained = f.get("years_maintained")
    due = None
    if f.get("next_due_date"):
        amount, year, when = f.get("next_due_amount"), f["next_due_year"], _day(f["next_due_date"])
        if zh:
            due = f"第{year}年年费，{when} 前缴纳" + (f"，{amount:,.0f} 元" if amount else "")
        else:
            due = f"year {year}, due {when}" + (f", CNY {amount:,.0f}" if amount else "")
    legal = [(_w("state", lang), _state_label(v["state"], lang)),
             (_w("maintained", lang), None if maintained is None else (f"{maintained} 年" if zh else f"{maintained}")),
             (_w("term_end", lang), _day(f.get("term_end"))),
             (_w("remaining", lang), None if remaining is None else (f"{float(remaining):.1f} 年" if zh
                                                                     else f"{float(remaining):.1f} years")),
             (_w("next_due", lang), due)]
    _table(doc, _pairs(f"{_w('legal', lang)}（{_day(v['as_of'])}）" if zh
                       else f"{_w('legal', lang)} ({_day(v['as_of'])})", legal, lang))
    c = v["cohort"]
    cohort = (f"比较组：{c['field_name']} × {c['filing_year']} 年（{c['basis_label']}，{c['size']} 件）" if zh else
              f"Cohort: {c['field_name_en']} × {c['filing_year']} ({c['basis_label_en']}, {c['size']} patents)")
    line = (f"{_w('score_line', lang)} {s['score']:.2f}，{_w('grade', lang)} {s['grade']}；{cohort}。" if zh else
            f"{_w('score_line', lang)} {s['score']:.2f}, grade {s['grade']}; {cohort}.")
    _paragraph(doc, line, BODY_FONT, 12, indent=False)
    rows = []
    for d in s["dimensions"]:
        rows.append({"dimension": f"{d['label_zh'] if zh else d['label_en']} {d['score']:.2f}", "indicator": "",
                     "input": "", "normalised": "", "weight": f"{d['weight']:.2f}", "contribution": ""})
        rows.extend({"dimension": "", "indicator": i["label_zh"] if zh else i["label_en"],
                     "input": i["input"] if zh else i["input_en"], "normalised": f"{i['normalised']:.2f}",
                     "weight": f"{i['overall_weight']:.3f}", "contribution": f"{i['contribution']:.2f}"}
                    for i in d["indicators"])
    _table(doc, Table(_w("value_head", lang), [(k, _w(k, lang)) for k in (
        "dimension", "indicator", "input", "normalised", "weight", "contribution")], rows))
    if own_only and any(i["key"] in PLEDGE_INPUTS for d in s["dimensions"] for i in d["indicators"]):
        # the inputs shown are the bank's own, the normalised scores and the score the value room's (every pledge)
        _paragraph(doc, _w("score_all", lang), BODY_FONT, 10.5, indent=False)
    _paragraph(doc, (f"依据：{v['standard']}" if zh else f"After {v['standard']}"), BODY_FONT, 10.5, indent=False)
    met = _criteria(v["criteria"], lang) if v["high_value"] else ("无" if zh else "none")
    _paragraph(doc, f"{_w('criteria', lang)}：{met}" if zh else f"{_w('criteria', lang)}: {met}", BODY_FONT, 12,
               indent=False)
    shown = [p for p in entry["pledges"] if p["own"]]
    others = [p for p in entry["pledges"] if not p["own"]]
    if shown:
        _table(doc, Table(_w("pledges", lang), [(k, _w(k, lang)) for k in (
            "contract", "pledgor", "pledgee", "amount", "registered", "loan_end", "status")], [
            {"contract": p["contract_no"], "pledgor": p["pledgor"] or "—", "pledgee": p["pledgee"] or "—",
             "amount": _wan(p["amount_yuan"]), "registered": _day(p["registered_date"]),
             "loan_end": _day(p["loan_end"]),
             "status": STATUS_WORDS.get(p["status"], (p["status"], p["status"]))[0 if zh else 1]}
            for p in shown]))
    if others:  # another bank's contract: only that it exists (registrations are public, amounts and terms are not)
        active = sum(p["status"] == "active" for p in others)
        text = (f"另有其他质权人的质押登记 {len(others)} 项（评估基准日在押 {active} 项），不列明细。" if zh else
                f"{len(others)} pledge registrations of other pledgees ({active} active on the date), not itemised.")
        _paragraph(doc, text, BODY_FONT, 12, indent=False)
    if not entry["pledges"]:
        none = "截至评估基准日无质押登记" if zh else "none registered by the date"
        _paragraph(doc, f"{_w('pledges', lang)}：{none}" if zh else f"{_w('pledges', lang)}: {none}", BODY_FONT, 12,
                   indent=False)


def _pairs(title: str, pairs: list[tuple[str, Any]], lang: str) -> Table:
    return Table(title, [("item", _w("item", lang)), ("value", _w("value", lang))],
                 [{"item": k, "value": "—" if v in (None, "") else str(v)} for k, v in pairs])


def _criteria(criteria: list[dict], lang: str) -> str:
    from hvpatent.i18n import LABELS

    parts = []
    for c in criteria:
        entry = LABELS.get(c["criterion"])
        name = entry.get(lang, entry["zh"]) if entry else c["criterion"]
        parts.append(f"{name}（{c['evidence']}）" if lang == "zh" else f"{name} ({c['evidence']})")
    return ("；" if lang == "zh" else "; ").join(parts) or "—"


def summary(entries: list[dict]) -> dict:
    """The bundle in numbers: patents, mean / lowest pledge-scenario score, shortest remaining term, how many are
    in force, high-value, and in an active pledge on the day."""
    scores = [e["value"]["scenarios"][SCENARIO]["score"] for e in entries]
    remaining = [float(r) for e in entries if (r := _indicator(e["value"], "remaining_years")["raw"]) is not None]
    return {"patents": len(entries), "mean_score": round(sum(scores) / len(scores), 2), "min_score": min(scores),
            "min_remaining_years": round(min(remaining), 1) if remaining else None,
            "in_force": sum(e["value"]["state"] in ("valid", "grace") for e in entries),
            "high_value": sum(bool(e["value"]["high_value"]) for e in entries),
            "pledged_now": sum(any(p["status"] == "active" for p in e["pledges"]) for e in entries)}


def valuation_sheet(con: ibis.BaseBackend, app_nos: list[str] | tuple[str, ...], as_of: date, *,
                    bank: str | None = None, contract_no: str | None = None, lang: str = "zh",
                    frame: pd.DataFrame | None = None, pledges_of: str | None = None) -> bytes:
    """The valuation sheet of the patents (a docx, as bytes).  ``bank``: the pledgee's name as printed;
    ``contract_no``: the pledge registration it is for (its amount and term are printed when registered by the
    day); ``frame``: the day's value_frame, when the caller keeps one; ``pledges_of``: a bank's normalised name,
    whose pledges alone are itemised and counted in the pledge inputs (another bank's are counted, never shown:
    the bank workspace's sheet).  No application numbers but a contract: the contract's patents on the day; a
    contract's patent the warehouse lacks or does not assess is left out and named in the sheet.  ValueError for
    an unknown or unassessed application otherwise, or when nothing is left to assess."""
    return make_valuation_sheet(con, app_nos, as_of, bank=bank, contract_no=contract_no, lang=lang, frame=frame,
                                pledges_of=pledges_of).data


def make_valuation_sheet(con: ibis.BaseBackend, app_nos: list[str] | tuple[str, ...], as_of: date, *,
                         bank: str | None = None, contract_no: str | None = None, lang: str = "zh",
                         frame: pd.DataFrame | None = None, pledges_of: str | None = None) -> ValuationSheet:
    """valuation_sheet with what went into it: the patents assessed and those of the contract left out."""
    from hvpatent.value.score import _state_label

    zh = lang == "zh"
    pledged = frozenset(contract_patents(con, contract_no, as_of)) if contract_no else frozenset()
    if not app_nos and contract_no:
        app_nos = sorted(pledged)
        if not app_nos:
            raise ValueError(f"{contract_no}：截至 {as_of} 没有登记出质的专利" if zh else
                             f"{contract_no}: no patent pledged under it by {as_of}")
    entries, left_out = _assess(con, app_nos, as_of, frame=frame, lang=lang, pledges_of=pledges_of,
                                may_leave_out=pledged)
    doc = Document()
    _paragraph(doc, _w("title", lang), TITLE_FONT, 20, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(doc, _w("subtitle", lang), BODY_FONT, 12, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    head = [(_w("as_of", lang), as_of.isoformat()), (_w("issued", lang), date.today().isoformat())]
    if bank:
        head.append((_w("bank", lang), bank))
    if contract_no:
        contract = _contract(con, contract_no, as_of)
        text = contract_no
        if contract:
            text += _contract_text(contract, lang)
        head.append((_w("contract", lang), text))
    head.append((_w("patents", lang), ("、" if zh else ", ").join(e["value"]["app_no"] for e in entries)))
    if left_out:
        head.append((_w("left_out", lang), ("；" if zh else "; ").join(
            f"{n} {LEFT_OUT[why][0 if zh else 1]}" for n, why in left_out)))
    for k, v in head:
        _paragraph(doc, f"{k}：{v}" if zh else f"{k}: {v}", BODY_FONT, 12, indent=False)
    for n, entry in enumerate(entries, 1):
        _patent(doc, n, entry, lang, own_only=pledges_of is not None)
    s = summary(entries)
    rows = [{"app_no": e["value"]["app_no"], "name": e["value"]["title"] or "—",
             "state": _state_label(e["value"]["state"], lang),
             "remaining": (lambda r: "—" if r is None else f"{float(r):.1f}")(
                 _indicator(e["value"], "remaining_years")["raw"]),
             "score": f"{e['value']['scenarios'][SCENARIO]['score']:.2f}",
             "grade": e["value"]["scenarios"][SCENARIO]["grade"],
             "high_value": ("是" if zh else "yes") if e["value"]["high_value"] else ("否" if zh else "no"),
             "pledged_now": ("是" if zh else "yes") if any(p["status"] == "active" for p in e["pledges"])
             else ("否" if zh else "no")} for e in entries]
    _table(doc, Table(_w("summary", lang), [(k, _w(k, lang)) for k in (
        "app_no", "name", "state", "remaining", "score", "grade", "high_value", "pledged_now")], rows))
    shortest = "—" if s["min_remaining_years"] is None else f"{s['min_remaining_years']:.1f}"
    _paragraph(doc, (f"本组合共 {s['patents']} 件专利，质押融资场景平均得分 {s['mean_score']:.2f}，最低 "
                     f"{s['min_score']:.2f}；最短剩余保护期 {shortest} 年；有效 {s['in_force']} 件，高价值发明专利 "
                     f"{s['high_value']} 件，评估基准日仍在质押中 {s['pledged_now']} 件。") if zh else
               (f"The bundle holds {s['patents']} patents: mean pledge-scenario score {s['mean_score']:.2f}, lowest "
                f"{s['min_score']:.2f}; shortest remaining term {shortest} years; {s['in_force']} in force, "
                f"{s['high_value']} high-value, {s['pledged_now']} in an active pledge on the date."),
               BODY_FONT, 12, indent=False)
    _paragraph(doc, _w("statement", lang), HEADING_FONT, 14, indent=False)
    _paragraph(doc, statement(lang), BODY_FONT, 12)
    buffer = io.BytesIO()
    doc.save(buffer)
    return ValuationSheet(buffer.getvalue(), [e["value"]["app_no"] for e in entries], left_out)


def write_valuation_sheet(con: ibis.BaseBackend, app_nos: list[str] | tuple[str, ...], as_of: date, out: Path,
                          **kwargs: Any) -> Path:
    """valuation_sheet written to ``out`` (folders made); the same keywords."""
    data = valuation_sheet(con, app_nos, as_of, **kwargs)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out
