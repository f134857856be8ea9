"""`hvp tasks`: the plan's tasks as work the units report on (docs/tasks.md).  OWNER: H5."""

from __future__ import annotations

import typer

from hvpatent.cli.common import app

tasks_app = typer.Typer(help="重点任务报送、逾期与考核 / task reports, overdue reports and assessment",
                        no_args_is_help=True)
app.add_typer(tasks_app, name="tasks")
