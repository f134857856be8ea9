"""`hvp finance`: 贴息与风险补偿 / interest subsidies and risk compensation.  OWNER: helper H5 (placeholder)."""

from __future__ import annotations

import typer

from hvpatent.cli.common import app

finance_app = typer.Typer(help="贴息与风险补偿 / interest subsidies and risk compensation", no_args_is_help=True)
app.add_typer(finance_app, name="finance")
