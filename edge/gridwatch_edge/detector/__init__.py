"""Object detectors: ONNX models described by YAML manifests, decoded to ``Detections``."""

from gridwatch_edge.detector.base import Detector
from gridwatch_edge.detector.factory import load_detector
from gridwatch_edge.detector.manifest import (
    ModelFileState,
    ModelFileStatus,
    ModelManifest,
    discover_manifests,
    verify_model_file,
)

__all__ = [
    "Detector",
    "ModelFileState",
    "ModelFileStatus",
    "ModelManifest",
    "discover_manifests",
    "load_detector",
    "verify_model_file",
]
