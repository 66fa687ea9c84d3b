"""Case-loop metrics (结案率, 按期结案率, 返工率, 准确派遣率, 按时处置率, 误报率, mean times)."""

from gridwatch_central.metrics.formulas import Figures, aggregate, case_facts, incident_facts
from gridwatch_central.metrics.service import GroupBy, MetricRow, compute_metrics

__all__ = [
    "Figures",
    "GroupBy",
    "MetricRow",
    "aggregate",
    "case_facts",
    "compute_metrics",
    "incident_facts",
]
