"""Making a left-object scene from real footage: a suitcase drawn onto every frame from t on."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]


def draw_suitcase(image: Image, left: int, top: int, width: int, height: int) -> None:
    """A dark upright suitcase with a handle, shading and a contact shadow, in place."""
    right, bottom = left + width, top + height
    shadow = image[bottom - 3 : bottom + 4, left - 4 : right + 8].astype(np.float32)
    image[bottom - 3 : bottom + 4, left - 4 : right + 8] = (shadow * 0.55).astype(np.uint8)
    body = np.zeros((height, width, 3), np.float32)
    # Navy shell lit from the upper left: brighter on that side, as the sun falls in the clip.
    gradient = np.linspace(1.25, 0.75, width, dtype=np.float32)[None, :, None]
    body[:] = np.array([70, 40, 30], np.float32) * gradient
    image[top:bottom, left:right] = np.clip(body, 0, 255).astype(np.uint8)
    cv2.rectangle(image, (left, top), (right - 1, bottom - 1), (25, 15, 10), 1)
    for x in (left + width // 3, left + 2 * width // 3):  # the shell's ribs
        cv2.line(image, (x, top + 3), (x, bottom - 4), (45, 25, 20), 1)
    handle_left, handle_right = left + width // 3, left + 2 * width // 3
    cv2.rectangle(image, (handle_left, top - 6), (handle_right, top), (20, 20, 20), 2)


def composite_clip(
    source: Path,
    target: Path,
    *,
    from_s: float,
    box: tuple[int, int, int, int],
) -> Path:
    """Copy ``source`` to ``target`` (MJPEG AVI) with a suitcase at ``box`` from ``from_s``."""
    capture = cv2.VideoCapture(str(source))
    fps = capture.get(cv2.CAP_PROP_FPS)
    size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    writer = cv2.VideoWriter(str(target), cv2.VideoWriter.fourcc(*"MJPG"), fps, size)
    index = 0
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            image: Image = np.asarray(frame, dtype=np.uint8)
            if index / fps + 1e-6 >= from_s:
                draw_suitcase(image, *box)
            writer.write(image)
            index += 1
    finally:
        capture.release()
        writer.release()
    return target
