"""Cameras listed in a YAML file, registered at start for a ready-made deployment.

Only cameras the database does not know yet are added: after the first start the API is where
cameras are changed, and a restart must not undo an integrator's edits.
"""

from __future__ import annotations

import logging
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.cameras.models import CameraIn
from gridwatch_central.cameras.service import CameraService
from gridwatch_central.db import grid_repository
from gridwatch_central.grid.index import GridIndex

log = logging.getLogger(__name__)


class CameraFileError(ValueError):
    """A camera file that cannot be used; the message never contains a camera URL."""


class CameraFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cameras: list[CameraIn]


def read_camera_file(path: Path | str) -> list[CameraIn]:
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CameraFileError(f"{path}: cannot read: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise CameraFileError(f"{path}: not valid YAML: {error}") from None
    try:
        return CameraFile.model_validate(document).cameras
    except ValidationError as error:
        # include_input=False: the offending value may be a URL with a password in it.
        problems = [
            f"{'.'.join(str(part) for part in p['loc'])}: {p['msg']}"
            for p in error.errors(include_url=False, include_input=False)
        ]
        raise CameraFileError(f"{path}: " + "; ".join(problems)) from None


def seed_cameras(
    path: Path, sessions: sessionmaker[Session], service: CameraService, grid: GridIndex
) -> int:
    """Register the file's cameras that are not registered yet; returns how many were added."""
    added = 0
    for camera in read_camera_file(path):
        with sessions() as session:
            if grid_repository.get_camera(session, camera.id) is not None:
                continue
            service.create(session, camera, grid)
            added += 1
    log.info("cameras from %s: %d added, the others already registered", path, added)
    return added
