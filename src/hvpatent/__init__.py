"""hvpatent: high-value invention patent programme platform for regional IP bureaus."""

__version__ = "0.1.0"
