"""Words of the dashboard in Chinese and English; domain labels come from hvpatent.i18n."""

from __future__ import annotations

from hvpatent.i18n import LABELS

UI: dict[str, tuple[str, str]] = {
    "app": ("高价值发明专利监测平台", "High-value patent monitor"),
    "overview": ("总览", "Overview"),
    "towns": ("镇街", "Towns"),
    "industries": ("产业", "Industries"),
    "enterprises": ("企业排名", "Enterprises"),
    "highvalue": ("高价值专利", "High-value patents"),
    "my_patents": ("本企业专利", "Our patents"),
    "tasks": ("重点任务", "Plan tasks"),
    "imports": ("数据导入", "Imports"),
    "api": ("API", "API"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "bad_login": ("用户名或密码错误", "Wrong username or password"),
    "locked": ("登录失败次数过多，已暂时锁定，请 15 分钟后再试或联系管理员解锁",
               "Too many failed logins: locked for 15 minutes; try again later or ask an administrator"),
    "forbidden": ("此账号无权访问该页面", "This account may not open this page"),
    "no_patent": ("没有这件专利", "No such patent"),
    "too_large": ("文件超过上限", "File too large"),
    "admin": ("管理员", "admin"),
    "analyst": ("分析员", "analyst"),
    "enterprise": ("企业", "enterprise"),
    "bank": ("银行", "bank"),
    "warnings": ("预警", "Warnings"),
    "within": ("天内", "days ahead"),
    "deadline_col": ("期限", "Deadline"),
    "amount": ("金额(元)", "Amount (CNY)"),
    "only_milestone": ("仅靠满10年成为高价值", "high-value only by the milestone"),
    "high_value_at_risk": ("只看有风险的高价值专利", "high-value patents at risk only"),
    "bank_pending": (
        "银行账号用于查看专利权质押融资候选专利，该功能尚未上线；目前此账号不能查看其他数据。",
        "Bank accounts are for pledge-financing candidates, which are not available yet; "
        "until then this account sees no other data.",
    ),
    "as_of": ("截至", "As of"),
    "deadline": ("截止日", "deadline"),
    "method": ("预测方法", "projection method"),
    "target": ("目标", "target"),
    "increase": ("较基期增长", "increase"),
    "projection": ("预测", "projection"),
    "indicators": ("主要指标", "Indicators"),
    "indicator": ("指标", "Indicator"),
    "value": ("数值", "Value"),
    "unit": ("单位", "Unit"),
    "last_year": ("上年同期", "Last year"),
    "yoy": ("同比(%)", "YoY (%)"),
    "trend_title": ("近8个季度末每万人口拥有量", "Per 10,000 residents, last 8 quarters"),
    "per_10k_unit": ("件/万人", "per 10k"),
    "records": ("条", "records"),
    "export": ("导出 Excel", "Export to Excel"),
    "first_n": ("仅显示前", "Showing the first"),
    "export_all": ("完整清单请导出 Excel", "export for the full list"),
    "search": ("检索", "Search"),
    "search_hint": ("申请号、名称或申请人", "number, title or applicant"),
    "criterion": ("高价值情形", "Criterion"),
    "all": ("全部", "all"),
    "town": ("镇街", "Town"),
    "filter": ("筛选", "Filter"),
    "app_no": ("申请号", "Application"),
    "title_col": ("名称", "Title"),
    "applicant": ("第一申请人", "First applicant"),
    "state": ("法律状态", "Legal state"),
    "years_maintained": ("维持年限", "Years maintained"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "next_due": ("下次年费", "Next annuity"),
    "yuan": ("元", "CNY"),
    "criteria": ("高价值判断", "High-value checks"),
    "history": ("法律事件", "Legal history"),
    "parties": ("申请人/专利权人", "Applicants"),
    "family": ("同族", "Family"),
    "pledges": ("质押", "Pledges"),
    "granted": ("已授权", "granted"),
    "task": ("任务", "Task"),
    "goal": ("目标", "Goal"),
    "responsible": ("责任单位", "Responsible"),
    "cooperating": ("配合单位", "Cooperating"),
    "file": ("文件", "File"),
    "skip_bad_rows": ("跳过错误行", "skip bad rows"),
    "upload": ("上传导入", "Upload"),
    "upload_hint": (
        "支持国家知识产权局检索导出、incoPat、智慧芽（xlsx/xls/csv）、Google Patents（jsonl/parquet）"
        "与模板文件；任何一行有误则整个文件不导入并列出错误。",
        "CNIPA, incoPat, PatSnap exports, Google Patents data and the templates; a file "
        "with any bad row is rejected whole, with every error listed.",
    ),
    "imported": ("已导入", "imported"),
    "new": ("新增", "new"),
    "updated": ("更新", "updated"),
    "unchanged": ("未变", "unchanged"),
    "rejected": ("拒绝", "rejected"),
    "already": ("此前已导入，未改变数据", "already imported"),
    "not_imported": ("未导入", "not imported"),
    "errors": ("处错误", "errors"),
    "row": ("行", "Row"),
    "field": ("字段", "Field"),
    "reason": ("原因", "Reason"),
    "kind": ("类型", "Kind"),
    "time": ("时间", "Time"),
    "read": ("读取", "Read"),
    "status": ("状态", "Status"),
    "submitted": ("提交", "Submitted"),
    "cancel": ("取消", "Cancel"),
    "queue_place": ("第 {n} 位", "#{n} in the queue"),
    "job_queued": ("排队中", "queued"),
    "job_running": ("导入中", "running"),
    "job_done": ("已完成", "done"),
    "job_rejected": ("未导入", "rejected"),
    "job_failed": ("失败", "failed"),
    "job_cancelled": ("已取消", "cancelled"),
    "phase_checking": ("检查文件", "checking the file"),
    "phase_reading": ("读取数据行", "reading rows"),
    "phase_storing": ("写入数据仓库", "storing"),
    "towns_group": ("镇街", "Town"),
    "industries_group": ("产业", "Industry"),
    "enterprises_group": ("企业", "Enterprise"),
    "no_town_map": (
        "未附带镇街行政边界数据（软件包仓库中的区划数据只有代码和名称），故以排序条形图代替地图。",
        "No town boundaries ship with the product (registry packages carry codes and names "
        "only), so towns are shown as a ranked bar chart instead of a map.",
    ),
    "filed": ("申请", "filed"),
    "annuity_lapse": ("未缴年费终止", "lapsed (annuity)"),
    "restoration": ("权利恢复", "restored"),
    "individual": ("个人", "individual"),
    "university": ("大专院校", "university"),
    "institute": ("科研单位", "institute"),
    "government": ("机关团体", "government"),
    "forms": ("统计报表", "Forms"),
    "form_no": ("表号", "Form No."),
    "form_name": ("表名", "Form"),
    "form_measure": ("统计对象", "Counts"),
    "form_rows": ("行", "Rows"),
    "form_by_region": ("分地区", "by sub-region"),
    "form_period": ("统计期", "Period"),
    "form_region": ("地区", "Region"),
    "form_period_hint": ("统计期可写 2024-03（月）、2024-Q1（季）、2024（年）或 2024-01..2024-06（月份区间）；"
                         "默认上一个完整月份。",
                         "Period: 2024-03 (month), 2024-Q1 (quarter), 2024 (year) or 2024-01..2024-06 (months); "
                         "by default the last complete month."),
    "form_show": ("生成", "Show"),
    "form_download": ("下载", "Download"),
    "form_notes": ("注", "Notes"),
    "form_drill_hint": ("点击数字可查看该格背后的专利清单。", "Click a number for the patents behind it."),
    "form_source": ("表式来源", "Layout source"),
    "all_forms": ("全部报表", "All forms"),
    "trademarks": ("商标", "Trademarks"),
}


LANGS = ("zh", "en")


def pick_lang(*choices: str | None) -> str:
    """The first supported language among ``choices`` (query, cookie…); anything else is ignored: "zh"."""
    return next((c for c in choices if c in LANGS), LANGS[0])


def translate(key: str, lang: str = "zh") -> str:
    if key in UI:
        return UI[key][0 if lang == "zh" else 1]
    entry = LABELS.get(key)
    if entry:
        return entry.get(lang, entry["zh"])
    return key
