"""Which detections count: class include/exclude and box size and shape limits.

Built from ``ObjectFilterConfig`` (camera-wide, before tracking) or ``ZoneFilterConfig`` (what
one zone's rules see). Class names are checked against the model once, at build time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from gridwatch_contract.camera.filters import ObjectFilterConfig, ShapeFilter, ZoneFilterConfig
from gridwatch_edge.config import ConfigError
from gridwatch_edge.detections import BoolArray, Detections, FloatArray


def class_ids(
    names: Iterable[str], class_names: Sequence[str], owner: str, kind: str = "rule"
) -> list[int]:
    """Indices of ``names`` in the model's classes, or a ``ConfigError`` naming the unknown
    class and the ``kind`` (rule, zone, camera) and id that asked for it."""
    known = list(class_names)
    missing = [name for name in names if name not in known]
    if missing:
        raise ConfigError(
            f"{kind} {owner!r}: the model has no class {', '.join(map(repr, missing))}"
        )
    return [known.index(name) for name in names]


def _shape_ok(limits: ShapeFilter, xyxy: FloatArray, area: FloatArray) -> BoolArray:
    keep = (area >= limits.min_area) & (area <= limits.max_area)
    if limits.min_aspect is not None or limits.max_aspect is not None:
        sizes = np.clip(xyxy[:, 2:] - xyxy[:, :2], 1e-6, None)
        aspect = sizes[:, 0] / sizes[:, 1]
        if limits.min_aspect is not None:
            keep &= aspect >= limits.min_aspect
        if limits.max_aspect is not None:
            keep &= aspect <= limits.max_aspect
    return keep


class ObjectFilter:
    def __init__(
        self,
        config: ObjectFilterConfig | ZoneFilterConfig,
        class_names: Sequence[str],
        owner: str,
        kind: str,
    ) -> None:
        self._config = config
        self._include = (
            None if config.include is None else class_ids(config.include, class_names, owner, kind)
        )
        self._exclude = class_ids(config.exclude, class_names, owner, kind)
        per_class = config.classes if isinstance(config, ObjectFilterConfig) else {}
        self._per_class = dict(
            zip(class_ids(per_class, class_names, owner, kind), per_class.values(), strict=True)
        )

    def keep(self, detections: Detections, width: int, height: int) -> BoolArray:
        """Which detections pass every limit."""
        classes = detections.class_id
        keep = ~np.isin(classes, self._exclude)
        if self._include is not None:
            keep &= np.isin(classes, self._include)
        area = detections.area_fractions(width, height)
        general = ~np.isin(classes, list(self._per_class))
        keep &= ~general | _shape_ok(self._config, detections.xyxy, area)
        for class_id, limits in self._per_class.items():
            mine = classes == class_id
            keep &= ~mine | _shape_ok(limits, detections.xyxy, area)
        return keep

    def apply(self, detections: Detections, width: int, height: int) -> Detections:
        if len(detections) == 0:
            return detections
        return detections.filter(self.keep(detections, width, height))
