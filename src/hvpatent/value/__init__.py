"""Patent value assessment after GB/T 42748-2023 专利评估指引: the one door of the value room.

Legal, technical and economic value from what the warehouse holds, each indicator normalised within its
technology field and filing year (docs/value.md); weights by scenario (pledge financing, transfer and licence,
management grading) in config.yaml.
"""

from hvpatent.value.features import field_name, field_of_ipc, technology_fields, value_features
from hvpatent.value.score import BASIS_LABELS, check_scenario, value_frame, value_of, value_scores
from hvpatent.value.settings import SCENARIOS, ValueConfigError, ValueSettings, value_settings
from hvpatent.value.validation import outcomes, validate

__all__ = ["BASIS_LABELS", "SCENARIOS", "ValueConfigError", "ValueSettings", "check_scenario", "field_name",
           "field_of_ipc", "outcomes", "technology_fields", "validate", "value_features", "value_frame", "value_of",
           "value_scores", "value_settings"]
