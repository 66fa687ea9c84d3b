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

from pydantic import BaseModel, ConfigDict, Field

from gridwatch_contract.yaml_config import ConfigFileError, load_yaml_model
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
    # Whether the network runs at other input sizes than width x height: true only for fully
    # convolutional exports whose graph computes its anchor grid from the input (YOLOX). A
    # static Ultralytics export bakes its 8400 anchors into a Reshape and fails at any other
    # size. The detector then feeds frames at their own aspect ratio (``input_size``).
    rectangular: bool = False
    # The largest downsampling of the network: rectangular inputs are multiples of it.
    stride: int = Field(default=32, ge=1, le=256)

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


class ManifestError(ModelError, ConfigFileError):
    """A model manifest that cannot be read or does not describe a model."""


def load_manifest(path: Path) -> ModelManifest:
    return load_yaml_model(ModelManifest, path, what="model manifest", error=ManifestError)


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
