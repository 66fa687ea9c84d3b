"""Incidents: alerts of one category close in space and time, merged into one problem."""

from gridwatch_central.incidents.facts import AlertFacts, AlertSource
from gridwatch_central.incidents.merge import IncidentStatus
from gridwatch_central.incidents.placement import EventAlerts, NewAlert, place_events

__all__ = ["AlertFacts", "AlertSource", "EventAlerts", "IncidentStatus", "NewAlert", "place_events"]
