"""Patent navigation (专利导航, GB/T 39551): the one door of the navigation room.

An industry's patent landscape for a region against a comparison region: trends, the technology breakdown
(a tree of branches placed by IPC/keyword rules and a classifier), the region's position per branch, who
(applicants, innovation entities, inventors, co-applicant network, partners elsewhere), key patents, and
recommendations generated from the figures; navigation projects as records.  docs/navigation.md.
"""

from __future__ import annotations

from hvpatent.navigation.classifier import TrainReport, correct, review_queue, train
from hvpatent.navigation.evaluation import evaluate
from hvpatent.navigation.landscape import (
    NATIONAL,
    Landscape,
    Scope,
    landscape,
    landscape_patent_count,
    landscape_patents,
    landscape_scope,
)
from hvpatent.navigation.placement import placements, rule_placements
from hvpatent.navigation.projects import (
    PROJECT_KINDS,
    PROJECT_STATUSES,
    accepted_projects,
    has_projects,
    project_list,
)
from hvpatent.navigation.recommend import Recommendation, recommendations
from hvpatent.navigation.tree import Branch, Tree, TreeError, breakdowns, tree

__all__ = [
    "NATIONAL", "PROJECT_KINDS", "PROJECT_STATUSES", "Branch", "Landscape", "Recommendation", "Scope", "TrainReport",
    "Tree", "TreeError", "accepted_projects", "breakdowns", "correct", "evaluate", "has_projects", "landscape",
    "landscape_patent_count", "landscape_patents", "landscape_scope", "placements", "project_list", "recommendations",
    "review_queue", "rule_placements", "train", "tree",
]
