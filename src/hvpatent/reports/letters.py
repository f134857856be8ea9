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
