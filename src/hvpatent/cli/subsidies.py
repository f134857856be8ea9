"""`hvp subsidies` (docs/subsidies.md).  PLACEHOLDER — owned by helper h6."""

from __future__ import annotations

import typer

from hvpatent.cli.common import app

subsidies_app = typer.Typer(help="资助奖励 / subsidies and rewards by policy rules", no_args_is_help=True)
app.add_typer(subsidies_app, name="subsidies")
