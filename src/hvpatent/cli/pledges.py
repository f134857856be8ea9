"""`hvp pledges`: 专利商标质押登记与统计 / the pledge registry and its statistics.  OWNER: helper H7 (placeholder)."""

from __future__ import annotations

import typer

from hvpatent.cli.common import app

pledges_app = typer.Typer(help="专利商标质押登记与统计 / the pledge registry and its statistics", no_args_is_help=True)
app.add_typer(pledges_app, name="pledges")
