"""Settings of the tasks room (tasks.yaml; a user's copy in the config folder may hold only what it changes):
attachment limits, report limits, the timeliness scores and the assessment sheet's weights.  OWNER: H2.

The user's tasks.yaml (`hvp config path`) is checked against the package's (reference/settings.overlay: the same
keys, each value of the shipped value's kind), then for ranges: scores 0-100, weights not all 0, the late rows in
ascending order, kinds among those the attachment check knows, lower_is_better among the known indicators.  Every
wrong value names the file and the key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hvpatent.reference.settings import SettingsError, fail, overlay, read_settings, settings_paths

CONFIG_NAME = "tasks.yaml"
USER_NAME = "tasks.yaml"
KINDS = ("pdf", "docx", "xlsx", "png", "jpeg")  # what tasks/attachments.py can recognise by the bytes


class ConfigError(SettingsError):
    """A tasks settings file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class TasksConfig:
    attachments: dict   # kinds, max_files, max_file_mib, max_total_mib, max_unpacked_mib, max_ratio, max_entries,
    #                     max_pixels (tasks.yaml documents each)
    report: dict        # max_text_chars, max_figures, max_figure_name_chars, max_figure_unit_chars, max_versions
    timeliness: dict    # on_time, late (list of [working_days_late_at_most, score]), missing
    assessment: dict    # weights {timeliness, indicators, qualitative}, indicator scores {up, flat, down},
    #                     lower_is_better: [indicator keys]
    source: str

    def digest(self) -> str:
        """A short digest of every setting: scores computed under other settings are not the same answer."""
        basis = {"attachments": self.attachments, "report": self.report, "timeliness": self.timeliness,
                 "assessment": self.assessment}
        return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:16]

    def timeliness_score(self, working_days_late: int | None, filed: bool = True) -> float:
        """One report's timeliness score: on time (0 days late), late by N working days (the first late row whose
        bound holds N), or not filed."""
        if not filed:
            return float(self.timeliness["missing"])
        if not working_days_late:
            return float(self.timeliness["on_time"])
        for bound, score in self.timeliness["late"]:
            if working_days_late <= bound:
                return float(score)
        return float(self.timeliness["missing"])


def _shipped() -> Path:
    return settings_paths(__package__, CONFIG_NAME, USER_NAME)[0]


def config_path() -> Path:
    """The file load_config() reads: the user's tasks.yaml in the config folder, else the package's."""
    return settings_paths(__package__, CONFIG_NAME, USER_NAME)[1]


def _score(source: str, where: str, value: float) -> None:
    if not 0 <= value <= 100:
        raise fail(source, where, "应在 0 至 100 之间", "must lie between 0 and 100", value, error=ConfigError)


def _check_attachments(att: dict, source: str) -> None:
    bad = [k for k in att["kinds"] if k not in KINDS]
    if bad:
        raise fail(source, "attachments.kinds", f"只能是 {', '.join(KINDS)}", f"must be among {', '.join(KINDS)}",
                   bad[0], error=ConfigError)
    if not att["kinds"]:
        raise fail(source, "attachments.kinds", "不能为空", "must name at least one kind", error=ConfigError)
    for key in ("max_files", "max_file_mib", "max_total_mib", "max_unpacked_mib", "max_ratio", "max_entries",
                "max_pixels"):
        if att[key] < 1:
            raise fail(source, f"attachments.{key}", "应不小于 1", "must be at least 1", att[key], error=ConfigError)


def _check_report(report: dict, source: str) -> None:
    for key, value in report.items():
        if key != "max_figures" and value < 1:
            raise fail(source, f"report.{key}", "应不小于 1", "must be at least 1", value, error=ConfigError)


def _check_timeliness(timeliness: dict, source: str) -> None:
    _score(source, "timeliness.on_time", timeliness["on_time"])
    _score(source, "timeliness.missing", timeliness["missing"])
    last = -1
    for i, row in enumerate(timeliness["late"]):
        if len(row) != 2:
            raise fail(source, f"timeliness.late[{i}]", "应为 [工作日数, 分数]", "expected [working days, score]",
                       row, error=ConfigError)
        if row[0] <= last:
            raise fail(source, f"timeliness.late[{i}]", "工作日数应逐行递增", "working days must ascend row by row",
                       row[0], error=ConfigError)
        last = row[0]
        _score(source, f"timeliness.late[{i}]", row[1])


def _check_assessment(assessment: dict, source: str) -> None:
    from hvpatent.indicators.measures import INDICATORS

    if not any(assessment["weights"].values()):
        raise fail(source, "assessment.weights", "权重不能全为 0", "the weights must not all be 0", error=ConfigError)
    for name, value in assessment["indicator_scores"].items():
        _score(source, f"assessment.indicator_scores.{name}", value)
    # an item that is not a string (a list, a mapping) names no indicator: refused here, not a TypeError on hashing
    bad = [k for k in assessment["lower_is_better"] if not isinstance(k, str) or k not in INDICATORS]
    if bad:
        raise fail(source, "assessment.lower_is_better", "未知的指标", "unknown indicator", bad[0], error=ConfigError)


def config_from(data: dict, source: str) -> TasksConfig:
    """Settings from a parsed file, checked against the package's."""
    shipped = read_settings(_shipped(), ConfigError)
    merged = overlay(shipped, data, source, "", ConfigError)
    assert isinstance(merged, dict)
    _check_attachments(merged["attachments"], source)
    _check_report(merged["report"], source)
    _check_timeliness(merged["timeliness"], source)
    _check_assessment(merged["assessment"], source)
    return TasksConfig(merged["attachments"], merged["report"], merged["timeliness"], merged["assessment"], source)


def load_config(path: Path | str | None = None) -> TasksConfig:
    """The settings in ``path``, else the user's tasks.yaml, else the package's."""
    file = Path(path) if path is not None else config_path()
    if path is None and file == _shipped():
        return default_config()
    return config_from(read_settings(file, ConfigError), str(file))


@cache
def default_config() -> TasksConfig:
    """The package's settings, read once."""
    return config_from(read_settings(_shipped(), ConfigError), str(_shipped()))
