"""The action plan as data: targets, tasks and progress.  The room's one door."""

from hvpatent.plan.model import Plan, Target, Task, load_plan
from hvpatent.plan.progress import TargetProgress, plan_progress

__all__ = ["Plan", "Target", "TargetProgress", "Task", "load_plan", "plan_progress"]
