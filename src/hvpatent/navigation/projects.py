"""Placeholder (H4 replaces): navigation projects as records."""

from __future__ import annotations

PROJECT_KINDS = ("enterprise", "industry", "region")
PROJECT_STATUSES = ("approved", "in_progress", "accepted", "terminated")


def has_projects(con):
    raise NotImplementedError


def project_list(con, *, status=None, industry=None, enterprise=None):
    raise NotImplementedError


def accepted_projects(con, since, day, kinds=None):
    raise NotImplementedError
