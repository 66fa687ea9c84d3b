"""Persistence: engine construction, ORM tables, the repository (all SQL) and migrations."""
