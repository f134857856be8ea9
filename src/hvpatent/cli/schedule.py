"""`hvp schedule`: scheduled bulletins, issued editions kept immutable (docs/schedule.md).  OWNER: H1."""

from __future__ import annotations

import typer

from hvpatent.cli.common import app

schedule_app = typer.Typer(help="定期通报：按期出版、版本不可更改 / scheduled bulletins and their editions",
                           no_args_is_help=True)
app.add_typer(schedule_app, name="schedule")
