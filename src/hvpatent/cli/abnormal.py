"""`hvp abnormal`: suspected abnormal applications of a region on a day, with each rule's evidence; `hvp abnormal
review`: a person's decision (cleared / confirmed), stored and audit-logged (docs/abnormal.md).

Owner: helper H7 (placeholder)."""

from __future__ import annotations

import typer

from hvpatent.cli.common import app

abnormal_app = typer.Typer(help="疑似非正常专利申请与复核 / suspected abnormal applications and their review")
app.add_typer(abnormal_app, name="abnormal")
