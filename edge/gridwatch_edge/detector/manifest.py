"""Model manifests: what a weights file is, how to feed it and where to get it.

Manifests are small YAML files kept in the repository (``models/*.yaml``); the weights never
are. ``verify_model_file`` lets ``gridwatch models`` tell the operator what is missing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gridwatch_edge.errors import ModelError

MODELS_DIR_VARIABLE = "GRIDWATCH_MODELS_DIR"
_HASH_CHUNK_BYTES = 1 << 20


class InputSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    width: int = Field(gt=0, le=4096)
    height: int = Field(gt=0, le=4096)
    channel_order: Literal["bgr", "rgb"]
    scale: float = Field(gt=0, le=1, description="Pixel multiplier: 1.0 or 1/255.")
    pad_value: int = Field(default=114, ge=0, le=255)

    def describe(self) -> str:
        return f"{self.name!r} float32 [1, 3, {self.height}, {self.width}]"


class ModelManifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64)
    version: str = Field(min_length=1, max_length=64)
    file: str = Field(min_length=1, description="File name inside the models directory.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    format: Literal["yolox", "ultralytics"]
    input: InputSpec
    class_names: list[str] = Field(min_length=1)
    license: str = Field(min_length=1)
    source: str = Field(min_length=1, description="Where and how to obtain the weights.")

    def path_in(self, models_dir: Path) -> Path:
        return models_dir / self.file


class ModelFileState(StrEnum):
    PRESENT = "present"
    MISSING = "missing"
    CHECKSUM_MISMATCH = "checksum_mismatch"


@dataclass(frozen=True, slots=True)
class ModelFileStatus:
    manifest: ModelManifest
    path: Path
    state: ModelFileState
    actual_sha256: str | None = None


def discover_manifests(dirs: list[Path]) -> dict[str, ModelManifest]:
    """All manifests in ``dirs`` by name; an earlier directory overrides a later one."""
    found: dict[str, ModelManifest] = {}
    for directory in reversed(dirs):
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.yaml")):
            manifest = load_manifest(path)
            found[manifest.name] = manifest
    return found


def load_manifest(path: Path) -> ModelManifest:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        return ModelManifest.model_validate(document)
    except (OSError, yaml.YAMLError) as error:
        raise ModelError(f"model manifest {path}: cannot read: {error}") from None
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in problem['loc']) or '(top level)'}: {problem['msg']}"
            for problem in error.errors(include_url=False, include_input=False)
        )
        raise ModelError(f"model manifest {path}: {problems}") from None


def verify_model_file(manifest: ModelManifest, models_dir: Path) -> ModelFileStatus:
    path = manifest.path_in(models_dir)
    if not path.is_file():
        return ModelFileStatus(manifest, path, ModelFileState.MISSING)
    actual = file_sha256(path)
    state = (
        ModelFileState.PRESENT if actual == manifest.sha256 else ModelFileState.CHECKSUM_MISMATCH
    )
    return ModelFileStatus(manifest, path, state, actual)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def missing_model_message(manifest: ModelManifest, path: Path) -> str:
    return (
        f"model file {path} for model {manifest.name!r} does not exist.\n"
        f"  Obtain it: {manifest.source.strip()}\n"
        f"  Put it in the models directory ({MODELS_DIR_VARIABLE} chooses it; default models/)."
    )
