"""Navigation project rows (专利导航项目, GB/T 39551) coming in: the words a cell may hold, the checks of one row, and
the save of one project typed in (`hvp projects add`, the web form).

A file comes in through the ``navigation_projects`` template (ingest/templates.py calls ``check_project`` for each
row).  A project typed in is checked by the very same column parsers and rules (templates.parse_records), then
upserted by its number in one transaction with an import record and an audit entry of its own: a save always
applies, whatever was saved before (A → B → A ends in A), and needs no import queue.  The reads and counts are in
the navigation room (navigation/projects.py).  docs/importing.md, "Navigation projects".
"""

from __future__ import annotations

import csv
import hashlib
import io
import time
from datetime import date

import duckdb

from hvpatent.ingest.errors import FileError, ImportRejected, RowErrors
from hvpatent.ingest.readers import header_key
from hvpatent.model import Batch, RowError
from hvpatent.warehouse.accounts import audit
from hvpatent.warehouse.store import ImportResult, Warehouse

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

#: The import kind and source a typed-in save is recorded under (the imports table), beside the template files.
SAVE_SOURCE = "template:navigation_projects"


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
    (dates as dates or text): a file to import, or to hand a user as a filled example."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADERS.values())
    writer.writerow(["" if fields.get(k) is None else str(fields[k]) for k in HEADERS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def project_row(fields: dict[str, object], file: str) -> tuple[dict | None, list[RowError]]:
    """One project typed in (values by canonical column, as text or dates), parsed and checked exactly as a row of
    the template is (templates.parse_records: the column parsers, then check_project): the canonical row, or None
    and the errors (file ``file``, row 1, the template header as field)."""
    from hvpatent.ingest.templates import parse_records

    record = {header_key(HEADERS[k]): "" if fields.get(k) is None else str(fields[k]) for k in HEADERS}
    errors: list[RowError] = RowErrors()
    rows = parse_records("navigation_projects", [(1, record)], file, errors)
    return (rows[0] if rows and not errors else None), errors


def save_project(warehouse: Warehouse, fields: dict[str, object], *, by: str | None = None,
                 via: str = "hvp projects add") -> ImportResult:
    """Check one project typed in and upsert it by its number, always (no checksum: saving A, then B, then A again
    ends in A).  One transaction holds the row, an import record (file name ``via: project_no``, source
    SAVE_SOURCE) and an audit entry (action navigation_project, detail "project_no: status title") by ``by``.
    ImportRejected names the fields of a bad value; FileError when the warehouse refuses the write (nothing kept).
    The caller holds the warehouse's write lock where threads share it (the web server)."""
    name = f"{via}: {str(fields.get('project_no') or '').strip()[:60]}"
    row, errors = project_row(fields, name)
    if row is None:
        raise ImportRejected(name, errors)
    batch = Batch()
    batch.set("navigation_projects", [row])
    # A checksum no file can have: a later upload of any file is never taken for this save, nor this one for it.
    sha = hashlib.sha256(f"{via}\n{time.time_ns()}\n".encode() + template_bytes(fields)).hexdigest()
    try:
        with warehouse.import_transaction(name, sha, SAVE_SOURCE, "template") as tx:
            tx.add(batch, 1)
            audit(warehouse.con, by, "navigation_project",
                  f"{row['project_no']}: {row['status']} {str(row['title'])[:60]}")
    except duckdb.Error as err:
        raise FileError(name, f"写入数据仓库失败，数据未作任何改变 / the warehouse refused the write, nothing "
                              f"changed: {str(err).splitlines()[0]}") from err
    return tx.result
