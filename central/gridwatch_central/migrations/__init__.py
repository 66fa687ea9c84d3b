"""Alembic migrations of central's schema, run programmatically by ``db.migrate``."""
