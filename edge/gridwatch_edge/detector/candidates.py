"""Raw per-anchor predictions of any model family, and their reduction to ``Detections``."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from gridwatch_edge.detections import BoolArray, Detections, FloatArray


@dataclass(frozen=True, slots=True)
class Candidates:
    """One row per anchor, in network input pixels."""

    cxcywh: FloatArray  # (N, 4) box centre and size
    class_scores: FloatArray  # (N, C) final per-class scores (objectness already applied)


@dataclass(frozen=True, slots=True)
class Postprocess:
    score_threshold: float
    nms_iou_threshold: float
    class_mask: BoolArray | None  # (C,) True for classes to keep; None keeps all
    class_thresholds: FloatArray | None = None  # (C,) per-class minimum score, when any differ


def to_detections(
    candidates: Candidates,
    settings: Postprocess,
    *,
    scale: float,
    image_size: tuple[int, int],
) -> Detections:
    """Best class per anchor, score threshold, class-aware NMS, back to image pixels."""
    scores = candidates.class_scores
    if settings.class_mask is not None:
        scores = np.where(settings.class_mask[np.newaxis, :], scores, np.float32(0))
    class_id = scores.argmax(axis=1)
    confidence = scores[np.arange(len(scores)), class_id]
    if settings.class_thresholds is None:
        keep = confidence >= settings.score_threshold
    else:
        keep = confidence >= settings.class_thresholds[class_id]
    if not keep.any():
        return Detections.empty()
    cxcywh, confidence, class_id = candidates.cxcywh[keep], confidence[keep], class_id[keep]
    xywh = cxcywh.copy()
    xywh[:, :2] -= xywh[:, 2:] / 2
    kept = cv2.dnn.NMSBoxesBatched(
        xywh,
        confidence,
        class_id.astype(np.int32),
        0.0,  # every candidate left already passed its class's threshold
        settings.nms_iou_threshold,
    )
    index = np.asarray(kept, dtype=np.int64).reshape(-1)
    return Detections.create(
        _to_image_xyxy(xywh[index], scale, image_size), confidence[index], class_id[index]
    )


def _to_image_xyxy(
    xywh: FloatArray, scale: float, image_size: tuple[int, int]
) -> npt.NDArray[np.float32]:
    width, height = image_size
    xyxy = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1) / np.float32(scale)
    np.clip(xyxy[:, 0::2], 0, width, out=xyxy[:, 0::2])
    np.clip(xyxy[:, 1::2], 0, height, out=xyxy[:, 1::2])
    return xyxy.astype(np.float32)
