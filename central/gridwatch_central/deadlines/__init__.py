"""The deadline scheduler: yellow (预警) and red (督办) alarms, escalation, restart-safe."""

from gridwatch_central.deadlines.scheduler import Alarm, DeadlineScheduler

__all__ = ["Alarm", "DeadlineScheduler"]
