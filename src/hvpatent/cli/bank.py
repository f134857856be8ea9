"""`hvp bank`: 银行：质押候选与风险监测 / bank workspace.

OWNER: helper  collateral candidates and risk watch:H3 (placeholder)."""

from __future__ import annotations

import typer

from hvpatent.cli.common import app

bank_app = typer.Typer(help="银行：质押候选与风险监测 / bank workspace", no_args_is_help=True)
app.add_typer(bank_app, name="bank")
