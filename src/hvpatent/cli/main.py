"""The `hvp` command line.  Messages are Chinese by default; `--lang en` switches to English."""

from hvpatent.cli import (  # noqa: F401  (registers the commands)
    abnormal,
    agencies,
    analysis,
    applicants,
    bank,
    breakdown,
    cultivation,
    data,
    enterprise,
    finance,
    financing,
    forms,
    navigate,
    plan,
    pledges,
    projects,
    recognitions,
    refresh,
    regions,
    report,
    schedule,
    spark,
    subsidies,
    tasks,
    trademarks,
    users,
    value,
    warn,
    web,
)
from hvpatent.cli.common import app

if __name__ == "__main__":
    app()
