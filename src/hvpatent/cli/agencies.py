"""`hvp agencies`: patent agencies of a region on a day, ranked, with the watch list and its reasons; `hvp agencies
letter`: a docx letter to an agency or to its clients (docs/agencies.md).

Owner: helper H7 (placeholder)."""

from __future__ import annotations

import typer

from hvpatent.cli.common import app

agencies_app = typer.Typer(help="专利代理机构监管 / patent agency supervision")
app.add_typer(agencies_app, name="agencies")
