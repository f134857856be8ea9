"""User-facing words in Chinese (default) and English.  Code and docs stay English."""

from __future__ import annotations

import os

_LANG = os.environ.get("HVP_LANG", "zh")

MESSAGES: dict[str, dict[str, str]] = {
    "imported": {
        "zh": "已导入 {file}：读取 {read} 行，新增 {inserted}，更新 {updated}，未变 {unchanged}，跳过 {rejected}",
        "en": "Imported {file}: {read} rows read, {inserted} new, {updated} updated, "
              "{unchanged} unchanged, {rejected} skipped",
    },
    "already_imported": {"zh": "{file} 已于第 {id} 次导入中导入过，数据未改变",
                         "en": "{file} was already imported (import #{id}); nothing changed"},
    "rejected": {"zh": "{file} 有 {count} 处错误，整个文件未导入（可加 --skip-bad-rows 跳过错误行）",
                 "en": "{file} has {count} errors and was not imported (use --skip-bad-rows to skip them)"},
    "skipped_rows": {"zh": "{file}：跳过 {count} 处错误", "en": "{file}: skipped {count} errors"},
    "report_written": {"zh": "错误清单已写入 {path}", "en": "Error report written to {path}"},
    "file_error": {"zh": "无法导入 {file}：{reason}", "en": "Cannot import {file}: {reason}"},
    "unknown_events": {"zh": "{file}：以下法律事件词未能识别，已按「其他」保存：{words}",
                       "en": "{file}: legal-event words not recognised, stored as 'other': {words}"},
    "import_warning": {"zh": "{file}：{message}（{count} 行）", "en": "{file}: {message} ({count} rows)"},
    "template_written": {"zh": "模板已写入 {path}", "en": "Template written to {path}"},
    "not_found": {"zh": "仓库中没有申请号 {app_no}", "en": "Application {app_no} is not in the warehouse"},
    "bad_appno": {"zh": "申请号无效：{reason}", "en": "Invalid application number: {reason}"},
    "demo_generated": {"zh": "演示数据（合成，非真实数据）已生成于 {path}：{count} 件申请",
                       "en": "Demo data (SYNTHETIC, not real) written to {path}: {count} applications"},
    "demo_banner": {"zh": "【演示数据】以下为合成的演示区县数据，仅用于演示，不代表任何真实地区。",
                    "en": "[DEMO] The figures below come from a synthetic demo district, not real data."},
    "unresolved_none": {"zh": "所有申请人均已归属到行政区划", "en": "Every party is attributed to a region"},
    "headline_title": {"zh": "主要指标（截至 {date}，{region}）", "en": "Headline figures (as of {date}, {region})"},
    "db_path": {"zh": "数据仓库：{path}", "en": "Warehouse: {path}"},
    "ranking_title": {"zh": "{level}排名（截至 {date}，{region}，按{key}排序）",
                      "en": "Ranking by {level} (as of {date}, {region}, ordered by {key})"},
    "level_county": {"zh": "区县", "en": "county"},
    "level_city": {"zh": "地市", "en": "city"},
    "level_province": {"zh": "省份", "en": "province"},
}

LABELS: dict[str, dict[str, str]] = {
    "pending": {"zh": "审中", "en": "pending"},
    "valid": {"zh": "有效", "en": "valid"},
    "grace": {"zh": "有效（年费宽限期内）", "en": "valid (in annuity grace period)"},
    "restorable": {"zh": "未缴年费终止（可请求恢复）", "en": "lapsed, restorable"},
    "lapsed": {"zh": "未缴年费终止", "en": "lapsed (annuity)"},
    "expired": {"zh": "期限届满", "en": "expired"},
    "invalidated": {"zh": "全部无效", "en": "invalidated"},
    "withdrawn": {"zh": "撤回/视为撤回", "en": "withdrawn"},
    "rejected": {"zh": "驳回", "en": "rejected"},
    "surrendered": {"zh": "放弃专利权", "en": "surrendered"},
    "ended": {"zh": "失效（原因未载明）", "en": "ended (cause not stated)"},
    "invention": {"zh": "发明", "en": "invention"},
    "utility_model": {"zh": "实用新型", "en": "utility model"},
    "design": {"zh": "外观设计", "en": "design"},
}


def set_lang(lang: str) -> None:
    global _LANG
    if lang not in ("zh", "en"):
        raise ValueError(f"unknown language {lang!r} (zh, en)")
    _LANG = lang


def lang() -> str:
    return _LANG


def say(zh: str, en: str) -> str:
    """A message written in place in both languages (for those not in MESSAGES): the current language's."""
    return zh if _LANG == "zh" else en


def half(text: object, i: int) -> str:
    """The half in language ``i`` (0 Chinese, 1 English) of a message the rooms write "中文 / English"; the whole
    text when it has no English half."""
    zh, _, en = str(text).partition(" / ")
    return zh if i == 0 or not en else en


def in_language(text: object) -> str:
    """``half`` in the current language."""
    return half(text, 0 if _LANG == "zh" else 1)


def t(message: str, /, **values: object) -> str:
    return MESSAGES[message][_LANG].format(**values)


def label(key: str | None) -> str:
    if key is None:
        return ""
    entry = LABELS.get(key)
    return entry[_LANG] if entry else key

MESSAGES.update({
    "xlsx_written": {"zh": "已写入 {path}", "en": "Written to {path}"},
    "unknown_indicator": {"zh": "未知指标 {key}；可用：{keys}", "en": "Unknown indicator {key}; available: {keys}"},
    "drill_count": {"zh": "「{name}」明细 {count} 条", "en": "{count} records behind '{name}'"},
    "sei_imported": {"zh": "已用 {file} 替换战略性新兴产业参照关系表：{count} 条规则",
                     "en": "SEI concordance replaced from {file}: {count} rules"},
    "demo_login": {"zh": "演示看板：{url} ，可用以下演示账号登录（角色 用户名 密码）：",
                   "en": "Demo dashboard: {url} ; log in with one of these demo accounts (role, user, password):"},
    "plan_value_set": {"zh": "已录入 {key} = {value}（{date}）", "en": "Recorded {key} = {value} ({date})"},
})
LABELS.update({
    "achieved": {"zh": "已完成", "en": "achieved"},
    "on_track": {"zh": "按期可完成", "en": "on track"},
    "at_risk": {"zh": "有风险", "en": "at risk"},
    "off_track": {"zh": "难以完成", "en": "off track"},
    "missed": {"zh": "未完成", "en": "missed"},
    "no_data": {"zh": "无数据", "en": "no data"},
    "sei": {"zh": "战略性新兴产业", "en": "strategic emerging industry"},
    "family_abroad": {"zh": "海外有同族专利权", "en": "granted family member abroad"},
    "maintained_10y": {"zh": "维持年限超过10年", "en": "maintained over 10 years"},
    "pledge_high": {"zh": "较高质押融资金额", "en": "high pledge financing"},
    "award": {"zh": "国家科学技术奖或中国专利奖", "en": "national S&T award or China Patent Award"},
})
