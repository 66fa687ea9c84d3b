"""Errors the edge reports to a human; the CLI catches ``EdgeError`` and prints the message."""

from __future__ import annotations


class EdgeError(Exception):
    """Base of every error whose message is meant for the operator."""


class ModelError(EdgeError):
    """A model manifest or weights file that cannot be used."""


class SourceError(EdgeError):
    """A video source that cannot be opened or read (message never holds credentials)."""
