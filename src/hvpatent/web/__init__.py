"""The web room: dashboard pages and the REST API over the warehouse (`hvp serve`)."""

from hvpatent.web.app import create_app

__all__ = ["create_app"]
