"""Navigation projects (专利导航项目, GB/T 39551) as records: the plan's navigation_projects target counts the
accepted ones.  Records come in through the ``navigation_projects`` template (ingest/templates.py, which calls
``check_project`` here for each row); `hvp projects add` and the web form build a one-row template and import it,
so every way in is checked alike.  docs/importing.md, "Navigation projects".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date

import ibis

from hvpatent.indicators.base import has_table

PROJECT_KINDS = ("enterprise", "industry", "region")
PROJECT_STATUSES = ("approved", "in_progress", "accepted", "terminated")

# The words a template cell may hold for each code (Chinese first: the template's own words).
KIND_WORDS: dict[str, tuple[str, str]] = {
    "enterprise": ("企业", "enterprise"), "industry": ("产业", "industry"), "region": ("区域", "region")}
STATUS_WORDS: dict[str, tuple[str, str]] = {
    "approved": ("立项", "approved"), "in_progress": ("实施中", "in progress"),
    "accepted": ("已验收", "accepted"), "terminated": ("终止", "terminated")}
_KIND_ALIASES = {"企业": "enterprise", "企业运营": "enterprise", "企业类": "enterprise", "产业": "industry",
                 "产业规划": "industry", "产业类": "industry", "区域": "region", "区域规划": "region",
                 "区域类": "region"}
_STATUS_ALIASES = {"立项": "approved", "已立项": "approved", "实施中": "in_progress", "在研": "in_progress",
                   "进行中": "in_progress", "已验收": "accepted", "验收": "accepted", "通过验收": "accepted",
                   "终止": "terminated", "已终止": "terminated", "in progress": "in_progress"}

#: The template's columns (ingest/templates.py builds its Column list from these headers).
HEADERS = {"project_no": "项目编号", "title": "项目名称", "kind": "项目类型", "enterprise": "承担单位",
           "industry": "产业", "started_date": "立项日期", "accepted_date": "验收日期", "status": "状态",
           "report_file": "报告文件", "note": "备注"}


def kind_of(text: str) -> str:
    """A project kind code from a cell: 企业/产业/区域 or the English code (ValueError names the choices)."""
    word = text.strip()
    code = _KIND_ALIASES.get(word, word.lower())
    if code not in PROJECT_KINDS:
        raise ValueError(f"项目类型应为 企业/产业/区域（enterprise/industry/region），不是「{word[:40]}」")
    return code


def status_of(text: str) -> str:
    """A project status code from a cell: 立项/实施中/已验收/终止 or the English code."""
    word = text.strip()
    code = _STATUS_ALIASES.get(word, word.lower().replace("-", "_"))
    if code not in PROJECT_STATUSES:
        raise ValueError(f"状态应为 立项/实施中/已验收/终止（approved/in_progress/accepted/terminated），"
                         f"不是「{word[:40]}」")
    return code


def industry_of(text: str) -> str:
    """A plan industry code from its code or Chinese name (indicators/industries.yaml)."""
    from hvpatent.indicators.config import industries

    word = text.strip()
    for ind in industries():
        if word in (ind.code, ind.name):
            return ind.code
    names = "、".join(f"{i.name}({i.code})" for i in industries())
    raise ValueError(f"产业应为方案产业的代码或名称：{names}")


def check_project(row: dict, today: date | None = None) -> list[tuple[str, str, str]]:
    """The rule failures of one parsed project row, as (header, value, reason); empty when the row is good.

    Rules (docs/importing.md): accepted_date >= started_date; status accepted needs an accepted_date and an
    accepted_date needs status accepted (a date of acceptance on a project not accepted is refused rather than
    guessed); the acceptance must not be after today (a start may be: projects are entered when approved);
    an enterprise project names its enterprise (承担单位)."""
    today = today or date.today()
    bad: list[tuple[str, str, str]] = []
    started, accepted, status = row.get("started_date"), row.get("accepted_date"), row.get("status")
    if row.get("kind") == "enterprise" and not (row.get("enterprise") or "").strip():
        bad.append((HEADERS["enterprise"], "", "企业导航项目须填写承担单位 / an enterprise project needs one"))
    if accepted is not None and started is not None and accepted < started:
        bad.append((HEADERS["accepted_date"], str(accepted), f"早于立项日期 {started} / before the start"))
    if status == "accepted" and accepted is None:
        bad.append((HEADERS["accepted_date"], "", "状态为已验收须填写验收日期 / an accepted project needs its date"))
    if accepted is not None and status != "accepted":
        bad.append((HEADERS["status"], STATUS_WORDS.get(status or "", (status or "",))[0],
                    "填写了验收日期的项目状态应为已验收 / a project with an acceptance date must be accepted"))
    if accepted is not None and accepted > today:
        bad.append((HEADERS["accepted_date"], str(accepted), f"验收日期晚于今天 {today} / acceptance in the future"))
    return bad


def template_bytes(fields: dict[str, object]) -> bytes:
    """A one-row navigation_projects template (CSV, UTF-8 with BOM) of the values given by canonical column
    (dates as dates or text): what `hvp projects add` and the web form import, so they are checked as a file is."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADERS.values())
    writer.writerow(["" if fields.get(k) is None else str(fields[k]) for k in HEADERS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def has_projects(con: ibis.BaseBackend) -> bool:
    """Whether the warehouse holds any navigation project record (False for one older than the table)."""
    if not has_table(con, "navigation_projects"):
        return False
    return int(con.table("navigation_projects").count().execute()) > 0


def _rows(t) -> list[dict]:
    return t.order_by(["started_date", "project_no"]).to_pyarrow().to_pylist()


def project_list(con: ibis.BaseBackend, *, status: str | None = None, industry: str | None = None,
                 enterprise: str | None = None) -> list[dict]:
    """The project records, oldest start first; ``enterprise`` matches the normalised name (an enterprise user's
    own projects)."""
    if not has_table(con, "navigation_projects"):
        return []
    t = con.table("navigation_projects")
    if status:
        t = t.filter(t.status == status)
    if industry:
        t = t.filter(t.industry == industry)
    if enterprise is not None:
        from hvpatent.ingest.fields import normalize_name

        t = t.filter(t.enterprise_norm == normalize_name(enterprise))
    return _rows(t)


def accepted_projects(con: ibis.BaseBackend, since: date, day: date, kinds: Iterable[str] | None = None
                      ) -> list[dict]:
    """Projects accepted in (since, day] with status accepted (of the kinds given; all kinds when None): what the
    plan's navigation_projects target counts.  A project accepted on the baseline day itself counts for the
    baseline, not as new."""
    if not has_table(con, "navigation_projects"):
        return []
    t = con.table("navigation_projects")
    t = t.filter((t.status == "accepted") & t.accepted_date.notnull()
                 & (t.accepted_date > ibis.date(since)) & (t.accepted_date <= ibis.date(day)))
    if kinds is not None:
        t = t.filter(t.kind.isin(list(kinds)))
    return _rows(t)
