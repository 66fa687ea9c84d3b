"""Building the configured detector from its manifest and weights."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from gridwatch_edge.config import DetectorConfig
from gridwatch_edge.detector.candidates import Postprocess
from gridwatch_edge.detector.input_size import InputSize, square_size
from gridwatch_edge.detector.manifest import ModelManifest, discover_manifests
from gridwatch_edge.detector.onnx_detector import Decoder, OnnxDetector
from gridwatch_edge.detector.session import check_output, open_session
from gridwatch_edge.detector.ultralytics import decode_ultralytics
from gridwatch_edge.detector.yolox import YoloxDecoder
from gridwatch_edge.errors import ModelError


def load_detector(
    config: DetectorConfig, *, models_dir: Path, manifest_dirs: list[Path]
) -> OnnxDetector:
    manifests = discover_manifests(manifest_dirs)
    manifest = manifests.get(config.model)
    if manifest is None:
        searched = ", ".join(str(d) for d in manifest_dirs)
        raise ModelError(
            f"no manifest for model {config.model!r} in {searched}; known: {sorted(manifests)}"
        )
    return build_detector(config, manifest, models_dir)


# Where each output format keeps its anchors: [1, anchors, 5 + C] and [1, 4 + C, anchors].
ANCHOR_AXIS = {"yolox": 1, "ultralytics": 2}


def build_detector(
    config: DetectorConfig, manifest: ModelManifest, models_dir: Path
) -> OnnxDetector:
    rectangular = config.input_shape == "auto" and manifest.input.rectangular
    session = open_session(
        manifest,
        models_dir,
        intra_op_threads=config.intra_op_threads,
        providers=config.providers,
        free_anchor_axis=ANCHOR_AXIS[manifest.format] if rectangular else None,
    )
    path = manifest.path_in(models_dir).absolute()
    lowest_score = min([config.score_threshold, *config.class_thresholds.values()])
    decoder = _decoder_for(session, manifest, path, rectangular=rectangular, min_score=lowest_score)
    postprocess = Postprocess(
        score_threshold=config.score_threshold,
        nms_iou_threshold=config.nms_iou_threshold,
        class_mask=_class_mask(config.classes, manifest),
        class_thresholds=_class_thresholds(config, manifest),
    )
    detector = OnnxDetector(session, manifest, decoder, postprocess, rectangular=rectangular)
    if rectangular:
        _check_runs_rectangular(detector, manifest, path)
    if config.warm_up:
        detector.warm_up()
    return detector


def _decoder_for(
    session: Any, manifest: ModelManifest, path: Path, *, rectangular: bool, min_score: float
) -> Decoder:
    classes = len(manifest.class_names)
    if manifest.format == "yolox":
        yolox = YoloxDecoder(min_score)
        anchors = None if rectangular else yolox.anchor_count(square_size(manifest.input))
        check_output(session, [1, anchors, 5 + classes], path, manifest.name)
        return yolox
    check_output(session, [1, 4 + classes, None], path, manifest.name)
    return decode_ultralytics


def _check_runs_rectangular(detector: OnnxDetector, manifest: ModelManifest, path: Path) -> None:
    """One blank inference at a non-square size, so that a manifest wrongly marked
    ``rectangular`` fails at load time with a way out, not on the first camera frame."""
    spec = manifest.input
    size = InputSize(spec.width, max(spec.height - spec.stride, spec.stride))
    try:
        detector.run_blank(size)
    except Exception as error:  # onnxruntime raises its own untyped exception classes
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ModelError(
            f"model file {path} (manifest {manifest.name!r}, input.rectangular: true) does not"
            f" run at a {size.width}x{size.height} input ({first_line[:300]}); set"
            " input.rectangular: false in its manifest, or detector.input_shape: square"
        ) from None


def _class_mask(classes: list[str] | None, manifest: ModelManifest) -> np.ndarray | None:
    if classes is None:
        return None
    unknown = sorted(set(classes) - set(manifest.class_names))
    if unknown:
        raise ModelError(f"model {manifest.name!r} has no class(es) {unknown}")
    return np.isin(np.asarray(manifest.class_names), classes)


def _class_thresholds(config: DetectorConfig, manifest: ModelManifest) -> np.ndarray | None:
    if not config.class_thresholds:
        return None
    names = list(manifest.class_names)
    unknown = sorted(set(config.class_thresholds) - set(names))
    if unknown:
        raise ModelError(
            f"detector.class_thresholds: model {manifest.name!r} has no class(es) {unknown}"
        )
    thresholds = np.full(len(names), config.score_threshold, dtype=np.float32)
    for name, threshold in config.class_thresholds.items():
        thresholds[names.index(name)] = threshold
    return thresholds
