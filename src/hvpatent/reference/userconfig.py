"""The user config folder (`hvp config path`): a file there replaces the built-in file of the same name."""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

import platformdirs


def user_config_dir() -> Path:
    return Path(platformdirs.user_config_dir("hvpatent"))


def config_file(package: str, name: str) -> Path | Traversable:
    """The user's copy of a configuration file when there is one, else the package's own."""
    user = user_config_dir() / name
    return user if user.is_file() else resources.files(package).joinpath(name)
