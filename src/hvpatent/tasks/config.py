"""Settings of the tasks room (tasks.yaml; a user's copy in the config folder may hold only what it changes):
attachment limits, report limits, the timeliness scores and the assessment sheet's weights.  OWNER: H2."""

from __future__ import annotations

from dataclasses import dataclass

from hvpatent.reference.settings import SettingsError


class ConfigError(SettingsError):
    """A tasks settings file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class TasksConfig:
    attachments: dict   # kinds, max_files, max_file_mib, max_total_mib, max_unpacked_mib, max_ratio, max_entries,
    #                     max_pixels (tasks.yaml documents each)
    report: dict        # max_text_chars, max_figures, max_figure_name_chars
    timeliness: dict    # on_time, late (list of [working_days_late_at_most, score]), missing
    assessment: dict    # weights {timeliness, indicators, qualitative}, indicator scores {up, flat, down},
    #                     lower_is_better: [indicator keys]
    source: str

    def digest(self) -> str:
        raise NotImplementedError


def load_config(path=None) -> TasksConfig:
    raise NotImplementedError
