"""Letters about one patent agency (docs/agencies.md): to the agency (专利代理机构监管提示函: its figures, why it is
watched, its flagged applications, a request to explain) or to its clients (非正常专利申请风险提示函: each client's
applications through the agency that the rules flagged).  Chinese, or English with ``lang="en"``.

The regulations are cited by name only: the article numbers of the 2023 provisions could not be checked against
CNIPA's publication (docs/abnormal.md, "Sources").  Every name and title from the data is written as a plain text
run (Word has no formulas in runs, and no field is ever written), cleaned of the characters XML forbids.
"""

from __future__ import annotations

import io
import re
from datetime import date

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK

from hvpatent.reports.bulletin import Table
from hvpatent.reports.docx_writer import BODY_FONT, HEADING_FONT, TITLE_FONT, _paragraph, _table
from hvpatent.supervision.flags import RULE_WORDS

LETTER_KINDS = ("agency", "clients")
WORDS: dict[str, tuple[str, str]] = {
    "agency_title": ("专利代理机构监管提示函", "Notice to a patent agency"),
    "clients_title": ("非正常专利申请风险提示函", "Notice on applications flagged for review"),
    "figures": ("代理情况", "Figures"), "figure": ("指标", "Figure"), "value": ("数值", "Value"),
    "reasons": ("关注原因", "Why the agency is watched"),
    "flagged": ("经筛查提示的申请", "Applications flagged by this office's checks"),
    "app_no": ("申请号", "Application No."), "title": ("名称", "Title"), "applicant": ("申请人", "Applicant"),
    "filing_date": ("申请日", "Filed"), "rules": ("提示类型", "Flagged as"), "status": ("核实情况", "Status"),
    "pending": ("疑似，待核实", "suspected, awaiting verification"),
    "confirmed_status": ("经复核确认为非正常申请", "confirmed abnormal on review"),
    "applications": ("代理申请量", "applications"), "invention_share": ("发明占比", "invention share"),
    "grant_rate": ("发明授权率（审结）", "invention grant rate (concluded)"),
    "rejection_rate": ("发明驳回率（审结）", "invention rejection rate (concluded)"),
    "deemed_withdrawal_rate": ("发明视为撤回率（审结）", "invention deemed-withdrawal rate (concluded)"),
    "avg_claims": ("平均权利要求项数", "average claims"), "flagged_share": ("疑似非正常申请占比", "flagged share"),
    "confirmed": ("经复核确认的非正常申请", "confirmed abnormal on review"),
    "clients": ("本地区委托人", "clients in the region"),
    "none": ("无", "none"),
    "issuer": ("知识产权局", "Intellectual Property Office"),
    "basis": ("依据《规范申请专利行为的规定》（国家知识产权局令第77号）和《专利代理条例》，"
              "专利代理机构应当恪守诚实信用原则，不得代理、诱导或者协助非正常申请专利行为。",
              "Under the Provisions on Regulating Patent Application Behaviour (CNIPA Order No. 77) and the Patent "
              "Agency Regulations, a patent agency must act in good faith and must not file, induce or assist "
              "abnormal patent applications."),
    "lead": ("以上提示由本局依据公开数据按规则筛查得出，仅为核查线索，不构成对任何申请的认定。",
             "These leads come from rules run by this office over published data; they are leads to check, "
             "not a finding on any application."),
    # when a listed application was confirmed on review: that one is a finding, the others are still leads
    "lead_confirmed": ("以上提示由本局依据公开数据按规则筛查得出；除注明经复核确认的申请外，仅为核查线索，"
                       "不构成对申请的认定。",
                       "These leads come from rules run by this office over published data; except the applications "
                       "marked as confirmed on review, they are leads to check, not a finding on any application."),
    "ask": ("请贵机构对上述情况进行自查，并于收到本函之日起三十日内向本局作出书面说明。",
            "Please review the above and explain it to this office in writing within 30 days of this notice."),
    "client_ask": ("请贵单位核实上述申请是否基于真实的发明创造，如有非正常申请情形，请及时主动撤回；"
                   "已获资助的非正常申请将依规追回资助。如有疑问，请与本局联系。",
                   "Please check that these applications rest on real inventions and withdraw any that do not; "
                   "subsidies paid on abnormal applications are reclaimed. Please contact this office with any "
                   "questions."),
}


def _when(day: date, i: int) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if i == 0 else day.isoformat()


def _pct(value: float | None) -> str | None:
    return None if value is None else f"{value * 100:.1f}%"


def _rules_text(rules: list[str], i: int) -> str:
    return ("、" if i == 0 else ", ").join(RULE_WORDS[r][i] if r in RULE_WORDS else r for r in rules)


def _confirmed(apps: list[dict]) -> int:
    """How many of the flagged applications were confirmed on review (agency_detail's ``status``; a row without one
    awaits verification)."""
    return sum(a.get("status") == "confirmed" for a in apps)


def _flag_rows(apps: list[dict], i: int, w: dict[str, str]) -> list[dict]:
    return [{"app_no": a["app_no"], "title": a.get("title") or "—", "applicant": a.get("applicant_name") or "—",
             "filing_date": a["filing_date"].isoformat() if isinstance(a.get("filing_date"), date) else "—",
             "rules": _rules_text(list(a.get("rules") or []), i),
             "status": w["confirmed_status" if a.get("status") == "confirmed" else "pending"]} for a in apps]


def _split(flagged: int, confirmed: int, i: int) -> str:
    """The flagged count split into confirmed and awaiting verification, when any was confirmed: a letter does not
    call a confirmed application a suspicion, nor a suspicion confirmed."""
    if not confirmed:
        return ""
    if confirmed == flagged:
        return "，均已经本局复核确认为非正常申请" if i == 0 else "; all of them were confirmed abnormal on review"
    return (f"，经本局复核已确认为非正常申请{confirmed}件、待核实{flagged - confirmed}件" if i == 0 else
            f"; of these, {confirmed} confirmed abnormal on review and {flagged - confirmed} awaiting verification")


def _signature(issuer: str, i: int, w: dict[str, str]) -> str:
    """The signing office in the letter's language: an English letter signed by a Chinese name alone (the
    default_issuer of a region, "永川区知识产权局") gets the English title, with the office's own name in brackets
    (there are no English place names to translate it with)."""
    if i == 1 and not re.search(r"[A-Za-z]", issuer) and re.search(r"[\u3400-\u9fff]", issuer):
        return f"{w['issuer']} ({issuer})"
    return issuer


def _close(doc, issuer: str, i: int, issued_on: date) -> None:
    _paragraph(doc, issuer, HEADING_FONT, 16, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    _paragraph(doc, _when(issued_on, i), BODY_FONT, 16, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)


def _to_agency(doc, detail: dict, as_of: date, i: int, w: dict[str, str]) -> None:
    _paragraph(doc, w["agency_title"], TITLE_FONT, 22, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    name = detail["name"] + (f"（{detail['code']}）" if detail.get("code") and detail["code"] != detail["name"]
                             else "")
    _paragraph(doc, f"{name}：" if i == 0 else f"To {name}:", BODY_FONT, 16, indent=False)
    n, flagged, clients = detail["applications"], detail["flagged"], detail["clients"]  # detail's clients: a list
    listed = detail.get("flagged_applications") or []
    split = _split(flagged, _confirmed(listed), i)
    _paragraph(doc, f"经核查，截至{_when(as_of, i)}，贵机构代理本地区申请人提交专利申请{n}件，其中{flagged}件"
                    f"经本局筛查提示为疑似非正常申请{split}。有关情况如下：" if i == 0 else
                    f"As of {as_of.isoformat()}, your agency filed {n} applications for applicants of this region; "
                    f"{flagged} of them were flagged for review by this office's checks{split}. The details follow.")
    figures = [("applications", n), ("invention_share", _pct(detail["invention_share"])),
               ("grant_rate", _pct(detail["grant_rate"])), ("rejection_rate", _pct(detail["rejection_rate"])),
               ("deemed_withdrawal_rate", _pct(detail["deemed_withdrawal_rate"])),
               ("avg_claims", detail["avg_claims"]), ("flagged_share", _pct(detail["flagged_share"])),
               ("confirmed", detail["confirmed"]), ("clients", len(clients) if isinstance(clients, list) else clients)]
    _table(doc, Table(w["figures"], [("figure", w["figure"]), ("value", w["value"])],
                      [{"figure": w[k], "value": v} for k, v in figures]))
    _paragraph(doc, w["reasons"], HEADING_FONT, 16, indent=False)
    for n_reason, reason in enumerate(detail.get("reasons") or [], 1):
        _paragraph(doc, f"{n_reason}. {reason[i]}")
    if not detail.get("reasons"):
        _paragraph(doc, w["none"])
    columns = ("app_no", "title", "applicant", "filing_date", "rules", "status")
    _table(doc, Table(w["flagged"], [(k, w[k]) for k in columns], _flag_rows(listed, i, w)))
    lead = "lead_confirmed" if _confirmed(listed) else "lead"
    for key in (lead, "basis", "ask"):
        _paragraph(doc, w[key], BODY_FONT, 12 if key == lead else 16)


def _to_clients(doc, detail: dict, as_of: date, issuer: str, issued_on: date, i: int, w: dict[str, str],
                client: str | None) -> None:
    by_client: dict[str, list[dict]] = {}
    for app in detail.get("flagged_applications") or []:
        by_client.setdefault(app["applicant"], []).append(app)
    names = {c["applicant"]: c["applicant_name"] for c in detail.get("clients") or []}
    wanted = [c for c in sorted(by_client) if client is None or client in (c, names.get(c))]
    agency = detail["name"]
    for n, applicant in enumerate(wanted):
        if n:
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        apps = by_client[applicant]
        who = names.get(applicant) or apps[0].get("applicant_name") or applicant
        _paragraph(doc, w["clients_title"], TITLE_FONT, 22, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
        _paragraph(doc, f"{who}：" if i == 0 else f"To {who}:", BODY_FONT, 16, indent=False)
        split = _split(len(apps), _confirmed(apps), i)
        _paragraph(doc, f"经核查，截至{_when(as_of, i)}，贵单位委托{agency}代理提交的专利申请中，有{len(apps)}件经本局"
                        f"筛查提示为疑似非正常申请{split}，详见下表：" if i == 0 else
                        f"As of {as_of.isoformat()}, {len(apps)} of the applications you filed through {agency} "
                        f"were flagged for review by this office's checks{split}:")
        _table(doc, Table(w["flagged"], [(k, w[k]) for k in ("app_no", "title", "filing_date", "rules", "status")],
                          _flag_rows(apps, i, w)))
        lead = "lead_confirmed" if _confirmed(apps) else "lead"
        for key in (lead, "basis", "client_ask"):
            _paragraph(doc, w[key], BODY_FONT, 12 if key == lead else 16)
        _close(doc, issuer, i, issued_on)
    if not wanted:
        _paragraph(doc, w["clients_title"], TITLE_FONT, 22, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
        _paragraph(doc, f"截至{_when(as_of, i)}，{agency}代理的申请中没有疑似非正常申请。" if i == 0 else
                   f"As of {as_of.isoformat()}, no application filed through {agency} was flagged.")
        _close(doc, issuer, i, issued_on)


def agency_letter(detail: dict, *, to: str = "agency", as_of: date, lang: str = "zh", issuer: str | None = None,
                  client: str | None = None, issued_on: date | None = None) -> bytes:
    """A docx letter about one agency (``detail``: agency_detail's answer).  ``to="agency"``: its figures, the
    reasons it is watched, its flagged applications and a request to explain; ``to="clients"``: one page per
    client with flagged applications through it (only ``client``, a normalised or full name, when given).
    ``issuer``: the signing office (e.g. reports.bulletin.default_issuer(region); a Chinese name alone is bracketed
    after "Intellectual Property Office" in an English letter); ``issued_on``: the letter's date (today).  Each
    flagged application is listed with its status (agency_detail's ``status``: pending or confirmed)."""
    if to not in LETTER_KINDS:
        raise ValueError(f"未知的收件方 / unknown addressee: {to} ({', '.join(LETTER_KINDS)})")
    i = 1 if lang == "en" else 0
    w = {k: v[i] for k, v in WORDS.items()}
    issuer = _signature(issuer or w["issuer"], i, w)
    doc = Document()
    if to == "agency":
        _to_agency(doc, detail, as_of, i, w)
        _close(doc, issuer, i, issued_on or date.today())
    else:
        _to_clients(doc, detail, as_of, issuer, issued_on or date.today(), i, w, client)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
