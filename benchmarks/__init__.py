"""Benchmarks: run as ``python -m benchmarks.<name>``; each prints one JSON object last.

They live apart from tests: a benchmark measures and reports, it never asserts a time.
"""
