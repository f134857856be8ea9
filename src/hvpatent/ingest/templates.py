"""Simple record templates (pledges, awards, population, trademarks, market entities, enterprises):
`hvp template KIND` writes the xlsx, and this module reads it back."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from hvpatent.ingest.appno import AppNoError, normalize_appno
from hvpatent.ingest.errors import RowErrors, error_rows
from hvpatent.ingest.fields import check_credit_code, normalize_name, parse_date, split_multi, years_after
from hvpatent.ingest.heartbeat import BEAT_ROWS, beat
from hvpatent.ingest.readers import header_key, read_chunks
from hvpatent.model import Batch, RowError
from hvpatent.reference.editions import current_code, resolve_town


class RegionCodeNotice(UserWarning):
    """A region code of an earlier edition, replaced by the current one while reading a template."""


@dataclass(frozen=True)
class Column:
    name: str      # canonical column
    header: str    # the Chinese header in the template
    kind: str      # text | appno | appnos | date | int | money_wan | region | credit | tags | town
    required: bool
    help: str


def _text(v: str) -> str:
    return v


def _int(v: str) -> int:
    try:
        number = float(v)
    except ValueError as err:
        raise ValueError("应为整数") from err
    if number != int(number) or number < 0:
        raise ValueError("应为非负整数")
    return int(number)


def _money_wan(v: str) -> Decimal:
    try:
        amount = Decimal(v.replace(",", ""))
    except InvalidOperation as err:
        raise ValueError("应为金额数字（万元）") from err
    if amount < 0:
        raise ValueError("金额不能为负")
    return amount * 10000


def _region(v: str) -> str:
    code = v.strip()
    if not code.isdigit() or len(code) not in (6, 9, 12):
        raise ValueError("区划代码应为6、9或12位数字")
    return code  # checked against the official divisions, with the name beside it, in _expand


@cache
def _plan_region() -> str:
    """The district of the default action plan, as `hvp regions` takes it when --region is not given."""
    from hvpatent.plan import load_plan

    return load_plan().region


def _tags(v: str) -> str:
    return "；".join(split_multi(v.replace(",", ";").replace("，", ";").replace("、", ";")))


def _year_date(v: str) -> date | None:
    """A date, or a year alone (a published list's 2023年): 1 January of that year, so that a recognition of the
    baseline year is never counted as new after a year-end baseline (docs/recognitions.md)."""
    text = v.strip().removesuffix("年").removesuffix(".0")
    if len(text) == 4 and text.isdigit():
        return parse_date(f"{text}-01-01")
    return parse_date(v)


def _recognition_kind(v: str) -> str:
    from hvpatent.recognitions import kind_of

    return kind_of(v)


def _recognition_level(v: str) -> str:
    from hvpatent.recognitions import level_of

    return level_of(v)


def _project_kind(v: str) -> str:
    from hvpatent.ingest.projects import kind_of

    return kind_of(v)


def _project_status(v: str) -> str:
    from hvpatent.ingest.projects import status_of

    return status_of(v)


def _abnormal_outcome(v: str) -> str:
    from hvpatent.ingest.abnormal import outcome_of

    return outcome_of(v)


def _industry(v: str) -> str:
    from hvpatent.ingest.projects import industry_of

    return industry_of(v)


PARSERS: dict[str, Callable[[str], object]] = {
    "text": _text, "appno": normalize_appno, "date": lambda v: parse_date(v), "int": _int,
    "money_wan": _money_wan, "region": _region, "credit": check_credit_code, "tags": _tags,
    "year_date": _year_date, "recognition_kind": _recognition_kind, "recognition_level": _recognition_level,
    "project_kind": _project_kind, "project_status": _project_status, "industry": _industry,
    "abnormal_outcome": _abnormal_outcome,
}

TEMPLATES: dict[str, tuple[str, list[Column]]] = {
    # Pledge registry records (ingest/pledges.py reads and folds them; docs/importing.md "Pledge registry"): one row
    # per record of a contract -- its registration, a change, its release or its disposal.
    "pledges": ("pledges", [
        Column("contract_no", "质押登记号", "text", True, "专利权/商标专用权质押登记号，如 Y2024500000123"),
        Column("record_type", "登记类型", "text", False, "设立 / 变更 / 注销 / 处置；留空为设立"),
        Column("app_no", "专利申请号", "appnos", False,
               "出质专利申请号，多件用分号分隔（设立须至少一件专利或商标；变更时填写变更后的全部专利）"),
        Column("trademarks", "商标注册号", "text", False, "出质商标注册号，多件用分号分隔"),
        Column("pledgor", "出质人", "text", False, "出质人名称（设立必填；变更时填写新的出质人）"),
        Column("pledgee", "质权人", "text", False, "质权人（银行等）名称（设立必填；变更时填写新的质权人）"),
        Column("amount_yuan", "质押金额(万元)", "money_wan", False,
               "被担保债权数额，单位万元（设立必填；变更时填写新金额）"),
        Column("registered_date", "登记日", "date", False,
               "该记录的日期：设立为登记生效日，变更为变更登记日，注销为注销日，处置为处置日"),
        Column("loan_start", "债务起始日", "date", False, "债务履行期限的起始日"),
        Column("loan_end", "债务到期日", "date", False, "债务履行期限的到期日（变更时填写新的到期日）"),
        Column("released_date", "解除日", "date", False, "旧式填法：设立行上的注销日；新记录请另起一行“注销”"),
        Column("note", "备注", "text", False, "备注"),
    ]),
    "awards": ("awards", [
        Column("app_no", "申请号", "appno", True, "获奖专利申请号"),
        Column("award", "奖项", "text", True, "中国专利奖 / 国家科学技术奖 等"),
        Column("grade", "等级", "text", True, "金奖、银奖、优秀奖、一等奖、二等奖 等"),
        Column("year", "年度", "int", True, "授奖年度，如 2023"),
    ]),
    "population": ("population", [
        Column("region_code", "区划代码", "region", True, "6位区县或9/12位镇街统计用区划代码（旧版代码自动换算）"),
        Column("region_name", "区划名称", "text", False, "仅供核对"),
        Column("year", "年份", "int", True, "统计年度（年末常住人口）"),
        Column("population", "常住人口(人)", "int", True, "年末常住人口，单位：人"),
    ]),
    "trademarks": ("trademark_counts", [
        Column("region_code", "区划代码", "region", True, "6位区县或9/12位镇街统计用区划代码（旧版代码自动换算）"),
        Column("region_name", "区划名称", "text", False, "仅供核对"),
        Column("as_of_date", "统计日期", "date", True, "有效注册商标量的统计截止日"),
        Column("effective_count", "有效商标注册量", "int", True, "截至统计日期的有效注册商标件数"),
    ]),
    # Year-end market entities (市场主体: enterprises, individual businesses, co-operatives), the base of
    # 每万户市场主体有效商标拥有量.
    "market_entities": ("market_entities", [
        Column("region_code", "区划代码", "region", True, "6位区县或9/12位镇街统计用区划代码（旧版代码自动换算）"),
        Column("region_name", "区划名称", "text", False, "仅供核对"),
        Column("year", "年份", "int", True, "统计年度（年末实有市场主体）"),
        Column("entities", "市场主体数(户)", "int", True, "年末实有市场主体户数（企业、个体工商户、农民专业合作社）"),
    ]),
    "enterprises": ("enterprises", [
        Column("name", "企业名称", "text", True, "与专利申请人名称一致的企业全称"),
        Column("credit_code", "统一社会信用代码", "credit", False, "18位统一社会信用代码"),
        Column("tags", "标签", "tags", False,
               "高新技术企业、专精特新、知识产权优势企业、知识产权示范企业、贯标达标企业 等，分号分隔"),
        Column("town_code", "所在镇街", "town", False, "镇街名称或9/12位代码"),
    ]),
    # Dated recognitions of enterprises (docs/recognitions.md); recognitions/ reads them.
    "recognitions": ("recognitions", [
        Column("name", "企业名称", "text", True, "企业全称（与专利申请人名称一致）"),
        Column("credit_code", "统一社会信用代码", "credit", False, "18位统一社会信用代码"),
        Column("kind", "认定类型", "recognition_kind", True,
               "知识产权优势企业 / 知识产权示范企业 / 贯标（知识产权管理体系认证，GB/T 29490）/ 高新技术企业"),
        Column("level", "级别", "recognition_level", False,
               "国家级 / 省级 / 市级 / 区级；贯标认证不分级（留空）；高新技术企业留空按国家级"),
        Column("recognised_date", "认定日期", "year_date", True,
               "认定（公布）日期或发证日期；只有年份（如 2023）时按当年1月1日"),
        Column("expiry_date", "有效期至", "date", False,
               "有效期最后一天；贯标证书和高新技术企业留空时按发证之日起3年"),
        Column("revoked_date", "撤销日期", "date", False, "称号被撤销或证书被撤销的日期"),
        Column("certifier", "认证机构", "text", False, "贯标认证的认证机构"),
        Column("certificate_no", "证书编号", "text", False, "认证证书或高新技术企业证书编号"),
        Column("document", "文号", "text", False, "认定文件文号，如 国知办函运字〔2023〕xx号"),
        Column("town_code", "所在镇街", "town", False, "镇街名称或9/12位代码；留空时按企业名录或本区"),
    ]),
    # Patent navigation projects (ingest/projects.py checks each row; docs/importing.md).
    "navigation_projects": ("navigation_projects", [
        Column("project_no", "项目编号", "text", True, "项目编号（唯一；再次导入同一编号即更新该项目）"),
        Column("title", "项目名称", "text", True, "项目名称"),
        Column("kind", "项目类型", "project_kind", True, "企业 / 产业 / 区域（enterprise / industry / region）"),
        Column("enterprise", "承担单位", "text", False, "承担单位全称（与专利申请人名称一致）；企业类项目必填"),
        Column("industry", "产业", "industry", False, "方案产业代码或名称，如 汽车摩托车 / auto_moto"),
        Column("started_date", "立项日期", "date", True, "立项日期"),
        Column("accepted_date", "验收日期", "date", False, "已验收时必填；不早于立项日期、不晚于今天"),
        Column("status", "状态", "project_status", True, "立项 / 实施中 / 已验收 / 终止"),
        Column("report_file", "报告文件", "text", False, "导航报告文件名或存放位置"),
        Column("note", "备注", "text", False, "备注"),
    ]),
    # CNIPA's abnormal patent application notices and their outcomes (ingest/abnormal.py reads them, by these
    # headers or CNIPA's own list's; docs/importing.md).
    "abnormal": ("abnormal_notices", [
        Column("app_no", "申请号", "appno", True, "被通知为非正常专利申请的申请号"),
        Column("title", "发明创造名称", "text", False, "仅供核对"),
        Column("applicant", "申请人", "text", False, "申请人名称"),
        Column("agency", "代理机构", "text", False, "专利代理机构名称"),
        Column("notice_date", "通知书发文日", "date", True,
               "非正常专利申请通知书的发文日；只报处理结果时可留空（按该申请已导入的最近一次通知）"),
        Column("batch", "批次", "text", False, "通知批次，如 2024年第3批"),
        Column("outcome", "处理结果", "abnormal_outcome", False, "留空为已通报；撤回 / 复核维持 / 复核撤销"),
        Column("outcome_date", "处理日期", "date", False, "撤回或复核决定的日期；不早于通知书发文日"),
    ]),
}


def write_template(kind: str, path: Path) -> Path:
    _, cols = TEMPLATES[kind]
    wb = Workbook()
    ws = wb.active
    ws.title = kind
    ws.append([c.header for c in cols])
    for cell, col in zip(ws[1], cols, strict=True):
        cell.font = Font(bold=True, color="C00000" if col.required else "000000")
        cell.fill = PatternFill("solid", fgColor="FFF2CC")
        ws.column_dimensions[cell.column_letter].width = max(14, len(col.header) * 2 + 4)
    notes = wb.create_sheet("说明")
    notes.append(["列名", "必填", "说明"])
    for col in cols:
        notes.append([col.header, "是" if col.required else "否", col.help])
    notes.append([])
    notes.append(["红色列名为必填列。第一个工作表从第2行起每行一条记录；导入命令：hvp import 文件.xlsx"])
    wb.save(path)
    return path


def detect_template(headers: list[str]) -> str | None:
    """The template whose required headers all appear (most specific first)."""
    present = set(headers)
    best = None
    for kind, (_, cols) in TEMPLATES.items():
        needed = {header_key(c.header) for c in cols if c.required}
        if needed <= present and (best is None or len(needed) > best[1]):
            best = (kind, len(needed))
    return best[0] if best else None


def template_headers() -> set[str]:
    return {header_key(c.header) for _, cols in TEMPLATES.values() for c in cols}


def read_template(path: Path, kind: str | None = None, region: str | None = None
                  ) -> tuple[str, Batch, list[RowError], int]:
    """Rows of a filled template.  ``region``: where a town name several towns share is looked for (by
    default the action plan's district)."""
    chunks = list(read_chunks(path, template_headers()))
    frame = pd.concat([f for f, _ in chunks]) if len(chunks) > 1 else chunks[0][0]
    refused = RowErrors()  # control characters, refused by the reader
    for _, errs in chunks:
        refused.extend(errs)
    kind = kind or detect_template(list(frame.columns))
    if kind is None:
        raise ValueError("not a template")
    if kind == "pledges":  # records folded into contracts (ingest/pledges.py): the file alone, no warehouse
        from hvpatent.ingest.pledges import _read_and_fold

        batch, pledge_errors, rows_read, _ = _read_and_fold(path, None, None)
        return kind, batch, pledge_errors, rows_read
    table, cols = TEMPLATES[kind]
    parsers = dict(PARSERS)
    if any(c.kind == "town" for c in cols):  # a town by code (any edition) or name, resolved as everywhere
        within = region or _plan_region()
        parsers["town"] = lambda v: resolve_town(v, within).code
    errors: list[RowError] = RowErrors(refused)
    rows = parse_records(kind, zip(frame.index, frame.to_dict("records"), strict=True), path.name, errors, parsers)
    batch = Batch()
    batch.set(table, rows)
    return kind, batch, errors, len(frame) + error_rows(refused)


def parse_records(kind: str, records: Iterable[tuple[int, dict]], file: str, errors: list[RowError],
                  parsers: dict[str, Callable[[str], object]] | None = None) -> list[dict]:
    """The canonical rows of a template's records ((row number, {header_key(header): cell})), each checked as the
    template's columns say; the failures are appended to ``errors`` (file, row, header).  read_template reads a
    file through this, and a one-record save (ingest/projects.py) too, so every way in is checked alike."""
    _, cols = TEMPLATES[kind]
    parsers = parsers or PARSERS
    rows: list[dict] = []
    for i, (row, record) in enumerate(records, 1):
        if i % BEAT_ROWS == 0:
            beat()
        out: dict = {}
        bad = False
        for col in cols:
            raw = str(record.get(header_key(col.header), "") or "").strip()
            if not raw:
                if col.required:
                    errors.append(RowError(file, int(row), col.header, "", "必填项为空"))
                    bad = True
                out[col.name] = None
                continue
            try:
                if col.kind == "appnos":
                    out[col.name] = [normalize_appno(v) for v in split_multi(raw)]
                else:
                    out[col.name] = parsers[col.kind](raw)
            except (ValueError, AppNoError) as err:
                errors.append(RowError(file, int(row), col.header, raw, str(err)))
                bad = True
        if not bad:
            rows.extend(_expand(kind, out, errors, file, int(row)))
    return rows


def _expand(kind: str, out: dict, errors: list[RowError], file: str, row: int) -> list[dict]:
    if kind == "enterprises":
        out["name_norm"] = normalize_name(out["name"])
    if kind == "recognitions":
        return _recognition(out, errors, file, row)
    if kind == "navigation_projects":
        from hvpatent.ingest.projects import check_project

        bad = check_project(out)
        errors.extend(RowError(file, row, header, value, reason) for header, value, reason in bad)
        out["enterprise_norm"] = normalize_name(out["enterprise"]) if out["enterprise"] else None
        return [] if bad else [out]
    if kind in {"population", "trademarks", "market_entities"}:
        try:
            mapped = current_code(out["region_code"], out.get("region_name"))
        except ValueError as err:
            field = "区划名称" if out.get("region_name") and "不符" in str(err) else "区划代码"
            errors.append(RowError(file, row, field, out.get("region_name") if field == "区划名称"
                                   else out["region_code"], str(err)))
            return []
        if mapped.notice:  # an earlier edition's code: imported under today's code, and the user told
            warnings.warn(RegionCodeNotice(f"{file} 第{row}行：{mapped.notice}"), stacklevel=2)
        out["region_code"] = mapped.code
    return [out]


def _recognition(out: dict, errors: list[RowError], file: str, row: int) -> list[dict]:
    """A recognitions row checked and completed (docs/recognitions.md): level by kind, a certificate's 3 years
    where no expiry is given, the district where no town is given."""
    out["name_norm"] = normalize_name(out["name"])
    if not out["name_norm"]:
        errors.append(RowError(file, row, "企业名称", out["name"], "企业名称为空"))
        return []
    kind, level = out["kind"], out["level"]
    if kind == "ip_standard":
        out["level"] = "none"  # a certification has no level
    elif level is None and kind == "high_tech":
        out["level"] = "national"  # recognised under the national rules (高新技术企业认定管理办法, 2016)
    elif level in (None, "none"):
        errors.append(RowError(file, row, "级别", level or "", "优势/示范企业须填写级别：国家级、省级、市级或区级"))
        return []
    start = out["recognised_date"]
    if out["expiry_date"] is None and kind in ("ip_standard", "high_tech"):
        # 3 years from the issue date: 2023-10-16 → 2026-10-15; from 29 February, 28 February
        leap_day = (start.month, start.day) == (2, 29)
        out["expiry_date"] = years_after(start, 3) - timedelta(days=0 if leap_day else 1)
    for column, header in (("expiry_date", "有效期至"), ("revoked_date", "撤销日期")):
        if out[column] is not None and out[column] < start:
            errors.append(RowError(file, row, header, str(out[column]), "早于认定日期"))
            return []
    out["town_code"] = out["town_code"] or _plan_region()  # a list a district imports is of its enterprises
    return [out]
