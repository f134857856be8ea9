"""The action plan as data: targets, tasks and progress.  The room's one door."""

from hvpatent.plan.model import CADENCES, Plan, PlanError, Reporting, Target, Task, load_plan
from hvpatent.plan.progress import TargetProgress, plan_progress
from hvpatent.plan.registry import Plans, load_plans

__all__ = ["CADENCES", "Plan", "PlanError", "Plans", "Reporting", "Target", "TargetProgress", "Task", "load_plan",
           "load_plans", "plan_progress"]
