"""Camera onboarding in one central process: the edge registry and the config push.

The registry exists from construction (the API needs it); the publisher only between
``start`` and ``stop``, since it holds a broker connection. A change made while it is not
running stays marked in the database and is published by whichever process runs one.
"""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.cameras.config_push import ConfigPublisher
from gridwatch_central.cameras.service import CameraService
from gridwatch_central.config import CentralConfig
from gridwatch_central.edges.registry import EdgeRegistry


class Onboarding:
    def __init__(self, config: CentralConfig) -> None:
        self._config = config
        self._publisher: ConfigPublisher | None = None
        self.registry = EdgeRegistry(
            config.broker,
            broker_admin=config.onboarding.broker_admin,
            url_policy=config.onboarding.url_policy,
            publish=self._publish,
            clear=self._clear,
        )

    def start(
        self, sessions: sessionmaker[Session], cameras: CameraService, client_id: str
    ) -> None:
        """Publish registered edges' configs on every camera change, from now on."""
        onboarding = self._config.onboarding
        if not onboarding.publish_configs:
            return
        self._publisher = ConfigPublisher(
            self._config.broker,
            sessions,
            cameras.vault,
            # Its own id per process: a config publisher is never resumed by another.
            client_id=f"{client_id}-configs-{secrets.token_hex(4)}"[:64],
            republish_interval_s=onboarding.republish_interval_s,
        )
        self._publisher.start()
        cameras.attach_publisher(self._publisher)

    def stop(self) -> None:
        if self._publisher is not None:
            self._publisher.stop()
            self._publisher = None

    def _publish(self, edge_ids: list[str]) -> None:
        if self._publisher is not None:
            self._publisher.publish(edge_ids)

    def _clear(self, edge_id: str) -> None:
        if self._publisher is not None:
            self._publisher.clear(edge_id)
