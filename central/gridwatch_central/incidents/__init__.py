"""Incidents: alerts of one category close in space and time merged into one real problem."""

from gridwatch_central.incidents.merge import IncidentStatus, absorb_followers, attach_to_incident

__all__ = ["IncidentStatus", "absorb_followers", "attach_to_incident"]
