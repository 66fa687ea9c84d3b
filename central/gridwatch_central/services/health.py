"""Liveness of what central depends on."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.db import repository
from gridwatch_central.schemas import HealthOut

log = logging.getLogger(__name__)


def check(sessions: sessionmaker[Session], mqtt_connected: bool) -> HealthOut:
    problems: list[str] = []
    try:
        with sessions() as session:
            repository.ping(session)
        database = True
    except SQLAlchemyError as error:
        log.warning("health check: database unreachable: %s", error)
        database = False
        problems.append("database unreachable")
    if not mqtt_connected:
        problems.append("not connected and subscribed to the MQTT broker")
    healthy = database and mqtt_connected
    return HealthOut(
        status="ok" if healthy else "unavailable",
        database=database,
        mqtt=mqtt_connected,
        detail="; ".join(problems) or None,
    )
