"""Dated recognitions of enterprises (IP advantage and demonstration enterprises, GB/T 29490 certification,
high-tech enterprises): what is in force on a day, who is new since a date, and plain lists.  The room's door."""

from hvpatent.recognitions.kinds import KINDS, LEVELS, kind_label, kind_of, level_label, level_of
from hvpatent.recognitions.records import (
    count_new,
    has_recognitions,
    new_recognitions,
    recognition_list,
    recognitions_in_force,
)

__all__ = ["KINDS", "LEVELS", "count_new", "has_recognitions", "kind_label", "kind_of", "level_label", "level_of",
           "new_recognitions", "recognition_list", "recognitions_in_force"]
