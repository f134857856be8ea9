"""Reminder letters (专利维护提醒函) to one enterprise about its patents at risk, in Chinese."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH

from hvpatent.reference.fees import default_rules
from hvpatent.reports.bulletin import Table
from hvpatent.reports.docx_writer import BODY_FONT, HEADING_FONT, TITLE_FONT, _paragraph, _table

KIND_ADVICE = {
    "annuity_due": "请在应缴日前缴纳年费",
    "grace": "已进入滞纳期，请在期限内补缴年费及滞纳金，逾期专利权将终止",
    "restorable": "专利权已因未缴年费终止，可在期限内请求恢复权利（需缴纳恢复费及所欠年费、滞纳金）",
    "milestone_10y": "即将维持满10年，继续维持即成为高价值发明专利",
    "expiring": "专利权即将期满，请提前做好技术替代与布局",
}


def _reduction_note() -> str:
    rules = default_rules()
    if not rules.reduction_rate:
        return "未计费用减缴"
    return f"已按授权后前{rules.reduction_years}年减缴{rules.reduction_rate:.0%}计算"


def _when(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def write_letter(enterprise: str, rows: list[dict], as_of: date, issuer: str, path: Path,
                 kind_names: dict[str, str]) -> Path:
    doc = Document()
    _paragraph(doc, "专利维护提醒函", TITLE_FONT, 22, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(doc, f"{enterprise}：", BODY_FONT, 16, indent=False)
    high = sum(1 for r in rows if r["high_value"])
    _paragraph(doc, f"经核查，截至{_when(as_of)}，贵单位有{len(rows)}项专利事项需要关注"
                    + (f"，其中涉及高价值发明专利{high}项" if high else "")
                    + "。为避免专利权非因本意失效，请按下表及时处理：")
    table_rows = [{"app_no": r["app_no"], "kind": kind_names[r["kind"]],
                   "deadline": r["deadline"].isoformat() if r["deadline"] else "—",
                   "amount": r["amount"], "advice": KIND_ADVICE[r["kind"]],
                   "high_value": "是" if r["high_value"] else ""} for r in rows]
    _table(doc, Table("需关注的专利", [("app_no", "申请号"), ("kind", "事项"), ("deadline", "期限"),
                                    ("amount", "应缴金额(元)"), ("high_value", "高价值"), ("advice", "建议")],
                      table_rows))
    _paragraph(doc, f"年费金额按国家知识产权局现行收费标准计算，{_reduction_note()}；以国家知识产权局缴费通知为准。"
                    "如已缴纳，请忽略本提醒。", BODY_FONT, 12)
    _paragraph(doc, issuer, HEADING_FONT, 16, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    _paragraph(doc, _when(date.today()), BODY_FONT, 16, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


TM_LETTER_WORDS = {  # (zh, en)
    "title": ("商标续展提醒函", "Trademark renewal reminder"),
    "table": ("需办理续展的注册商标", "Registered trademarks to renew"),
    "reg_no": ("注册号", "Reg. No."), "nice_class": ("国际分类", "Class"), "mark_name": ("商标名称", "Mark"),
    "term_end": ("专用权期限至", "Term ends"), "renewal_opens": ("续展期起", "Renewal opens"),
    "grace_end": ("宽展期至", "Grace ends"), "action": ("办理事项", "What to do"),
    "law": ("依据《中华人民共和国商标法》第四十条，注册商标有效期满需要继续使用的，商标注册人应当在期满前十二个月内"
            "办理续展手续；在此期间未能办理的，可以给予六个月的宽展期（须缴纳续展注册迟延费）；期满未办理续展手续的，"
            "注销其注册商标。每次续展注册的有效期为十年，自该商标上一届有效期满次日起计算。"
            "续展申请可通过国家知识产权局商标网上服务系统提交，费用以现行收费标准为准。如已办理，请忽略本提醒。",
            "Under art. 40 of the Trademark Law of the PRC, an owner who wishes to keep using a registered mark after "
            "its term must renew it within the 12 months before the term ends; failing that, a grace period of six "
            "months is allowed (with the renewal late fee); a mark not renewed by then is cancelled. Each renewal "
            "lasts ten years from the day after the previous term ends. Renewals can be filed online with CNIPA; "
            "fees as currently published. If you have already renewed, please disregard this reminder."),
}


def write_trademark_letter(owner: str, rows: list[dict], as_of: date, issuer: str, path: Path,
                           lang: str = "zh") -> Path:
    """A reminder (商标续展提醒函) to one trademark owner about its marks to renew (rows of
    trademarks.renewal_warnings): each mark, its class, its term's end and what to do by when (art. 40).
    Chinese, or English with ``lang="en"``. Names from the data are written as text only."""
    i = 0 if lang == "zh" else 1
    words = {k: v[i] for k, v in TM_LETTER_WORDS.items()}
    doc = Document()
    _paragraph(doc, words["title"], TITLE_FONT, 22, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(doc, f"{owner}：" if i == 0 else f"To {owner}:", BODY_FONT, 16, indent=False)
    grace = sum(1 for r in rows if r["kind"] == "tm_grace")
    if i == 0:
        _paragraph(doc, f"经核查，截至{_when(as_of)}，贵单位有{len(rows)}件注册商标（按类别计）需要办理续展"
                        + (f"，其中{grace}件有效期已届满、处于宽展期，请尽快办理" if grace else "")
                        + "。为避免注册商标被注销，请按下表及时处理：")
    else:
        _paragraph(doc, f"As of {as_of.isoformat()}, {len(rows)} of your registered trademarks (counted per class) "
                        "are due for renewal" + (f", {grace} of them already in the grace period" if grace else "")
                        + ". To keep them from being cancelled, please act as the table says:")
    action = "action" if i == 0 else "action_en"
    table_rows = [{"reg_no": r["reg_no"], "nice_class": str(r["nice_class"]), "mark_name": r.get("mark_name") or "—",
                   "term_end": r["term_end"].isoformat(), "renewal_opens": r["renewal_opens"].isoformat(),
                   "grace_end": r["grace_end"].isoformat(), "action": r.get(action) or r["action"]} for r in rows]
    _table(doc, Table(words["table"], [(k, words[k]) for k in ("reg_no", "nice_class", "mark_name", "term_end",
                                                               "renewal_opens", "grace_end", "action")],
                      table_rows))
    _paragraph(doc, words["law"], BODY_FONT, 12)
    _paragraph(doc, issuer, HEADING_FONT, 16, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    today = date.today()
    _paragraph(doc, _when(today) if i == 0 else today.isoformat(), BODY_FONT, 16, align=WD_ALIGN_PARAGRAPH.RIGHT,
               indent=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
