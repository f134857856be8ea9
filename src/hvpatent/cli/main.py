"""The `hvp` command line.  Messages are Chinese by default; `--lang en` switches to English."""

from hvpatent.cli import (  # noqa: F401  (registers the commands)
    analysis,
    applicants,
    breakdown,
    cultivation,
    data,
    enterprise,
    forms,
    navigate,
    plan,
    projects,
    recognitions,
    refresh,
    regions,
    report,
    spark,
    trademarks,
    users,
    value,
    warn,
    web,
)
from hvpatent.cli.common import app

if __name__ == "__main__":
    app()
