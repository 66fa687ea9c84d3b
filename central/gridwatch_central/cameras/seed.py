"""Cameras listed in a YAML file, registered at start for a ready-made deployment.

Only cameras the database does not know yet are added: after the first start the API is where
cameras are changed, and a restart must not undo an integrator's edits.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.auth.scope import Scope
from gridwatch_central.cameras.models import CameraIn
from gridwatch_central.cameras.service import CameraService
from gridwatch_central.db import grid_repository
from gridwatch_central.grid.index import GridIndex
from gridwatch_contract.yaml_config import ConfigFileError, load_yaml_model

log = logging.getLogger(__name__)


class CameraFileError(ConfigFileError):
    """A camera file that cannot be used; the message never contains a camera URL."""


class CameraFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cameras: list[CameraIn]


def read_camera_file(path: Path | str) -> list[CameraIn]:
    return load_yaml_model(CameraFile, path, what="camera file", error=CameraFileError).cameras


def seed_cameras(
    path: Path, sessions: sessionmaker[Session], service: CameraService, grid: GridIndex
) -> int:
    """Register the file's cameras that are not registered yet; returns how many were added."""
    added = 0
    for camera in read_camera_file(path):
        with sessions() as session:
            if grid_repository.get_camera(session, camera.id) is not None:
                continue
            service.create(session, camera, grid, Scope.everything())
            added += 1
    log.info("cameras from %s: %d added, the others already registered", path, added)
    return added
