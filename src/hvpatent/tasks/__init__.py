"""The plan's tasks as work the responsible units report on (docs/tasks.md).  The room's one door.

Units (accounts of role ``unit``) file a progress report on each of their tasks every reporting period (text, the
figures they enter, checked attachments); the bureau sees who has reported, on time or late, and who is overdue,
writes reminder letters, gives each unit a qualitative score and exports the assessment sheet.  The room reads the
plan (hvpatent.plan) and the indicators; it writes only its workflow tables (task_reports, task_report_files,
unit_scores).
"""

from hvpatent.tasks.assessment import AssessmentRow, assessment_sheet, latest_scores, record_score
from hvpatent.tasks.attachments import AttachmentError, CheckedFile, check_attachment, check_attachments
from hvpatent.tasks.config import ConfigError, TasksConfig, load_config
from hvpatent.tasks.figures import task_figures
from hvpatent.tasks.periods import Period, due_date, parse_period, period_of, reporting_periods
from hvpatent.tasks.reports import (
    ReportError,
    ReportNotFound,
    file_report,
    get_report,
    report_file,
    report_history,
    reports,
    unit_tasks,
)
from hvpatent.tasks.status import STATUS_WORDS, STATUSES, ReportStatus, overdue, report_status, required_units

__all__ = [
    "STATUSES", "STATUS_WORDS", "AssessmentRow", "AttachmentError", "CheckedFile", "ConfigError", "Period",
    "ReportError", "ReportNotFound", "ReportStatus", "TasksConfig", "assessment_sheet", "check_attachment",
    "check_attachments", "due_date", "file_report", "get_report", "latest_scores", "load_config", "overdue",
    "parse_period", "period_of", "record_score", "report_file", "report_history", "report_status", "reporting_periods",
    "reports", "required_units", "task_figures", "unit_tasks",
]
