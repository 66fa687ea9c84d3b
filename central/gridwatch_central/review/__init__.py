"""Operator review of incidents: verify (opens the case), reject as 误报, mark duplicate."""

from gridwatch_central.review.service import ReviewService

__all__ = ["ReviewService"]
