"""Edge fixtures live in tests/conftest.py (the detector is shared with the end-to-end tests)."""
