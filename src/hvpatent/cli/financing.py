"""`hvp financing`: 融资对接请求 / financing requests between banks and enterprises.

OWNER: helper H4 (placeholder)."""

from __future__ import annotations

import typer

from hvpatent.cli.common import app

financing_app = typer.Typer(help="融资对接请求 / financing requests between banks and enterprises",
                             no_args_is_help=True)
app.add_typer(financing_app, name="financing")
