"""The `hvp` command line.  Messages are Chinese by default; `--lang en` switches to English."""

from hvpatent.cli import analysis, data, plan, regions, report, users, warn, web  # noqa: F401  (registers the commands)
from hvpatent.cli.common import app

if __name__ == "__main__":
    app()
