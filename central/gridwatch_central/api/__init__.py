"""The HTTP API."""

from gridwatch_central.api.app import create_app

__all__ = ["create_app"]
