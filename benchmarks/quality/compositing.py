"""Making test scenes from real footage: objects drawn in, halves mirrored, crowds shrunk.

Every clip is written as MJPEG AVI at the source's frame rate and size, so the edge reads it
exactly like the original. Nothing here is committed: clips are made at run time into a
temporary or cache directory from the shared sample footage.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
# image, media time (s) -> the composited image
FrameEdit = Callable[[Image, float], Image]

# A pixel differing from the empty-scene plate by more than this (max over B, G, R) belongs to
# something in front of the background: a walker hides an object drawn behind it. 30 grey
# levels is above vtest's MJPEG noise (< 12) and below a dark coat on tarmac (> 60).
FOREGROUND_THRESHOLD = 30
# Frames sampled for the empty-scene plate: each pixel's median over them is the background as
# long as walkers cover it in fewer than half of them (true everywhere on vtest's road).
PLATE_SAMPLES = 41


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


def edit_clip(source: Path, target: Path, edit: FrameEdit) -> Path:
    """Copy ``source`` to ``target`` (MJPEG AVI) with ``edit`` applied to every frame."""
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
            writer.write(edit(np.asarray(frame, dtype=np.uint8), index / fps))
            index += 1
    finally:
        capture.release()
        writer.release()
    return target


def composite_clip(
    source: Path,
    target: Path,
    *,
    from_s: float,
    box: tuple[int, int, int, int],
) -> Path:
    """Copy ``source`` to ``target`` with a suitcase at ``box`` drawn on top from ``from_s``."""

    def edit(image: Image, time_s: float) -> Image:
        if time_s + 1e-6 >= from_s:
            draw_suitcase(image, *box)
        return image

    return edit_clip(source, target, edit)


def background_plate(source: Path) -> Image:
    """The scene without its moving people: the per-pixel median of frames across the clip."""
    capture = cv2.VideoCapture(str(source))
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    frames = []
    try:
        for index in np.linspace(0, count - 1, PLATE_SAMPLES).astype(int).tolist():
            capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, frame = capture.read()
            if ok:
                frames.append(frame)
    finally:
        capture.release()
    plate: Image = np.median(np.stack(frames), axis=0).astype(np.uint8)
    return plate


def occluded_object_clip(
    source: Path, target: Path, *, from_s: float, box: tuple[int, int, int, int]
) -> Path:
    """A suitcase that appears at ``from_s`` and stays, *behind* everyone who walks past.

    Pixels that differ from the empty-scene plate are someone in front of the background, so
    they keep the original picture: walkers hide the suitcase as they would in the street.
    """
    plate = background_plate(source)
    kernel = np.ones((5, 5), np.uint8)

    def edit(image: Image, time_s: float) -> Image:
        if time_s + 1e-6 < from_s:
            return image
        drawn = image.copy()
        draw_suitcase(drawn, *box)
        difference = cv2.absdiff(image, plate).max(axis=2)
        walker = cv2.dilate((difference > FOREGROUND_THRESHOLD).astype(np.uint8), kernel) > 0
        return np.where(walker[:, :, None], image, drawn)

    return edit_clip(source, target, edit)


def mirrored_clip(source: Path, target: Path) -> Path:
    """The left half of every frame mirrored onto the right half, its red and blue swapped.

    Whoever walks towards the centre line meets their mirror image there and both turn back:
    nobody ever crosses x = 0.5, though two people meet on it over and over, the worst case
    for a tracker (boxes merging and splitting, ids swapping) and so for a line count. Red
    and blue are swapped in the mirror so that the two are different people to look at, as
    two strangers are (grey road and green grass stay as they were).
    """

    def edit(image: Image, time_s: float) -> Image:
        del time_s
        half = image.shape[1] // 2
        image[:, image.shape[1] - half :] = image[:, :half][:, ::-1][:, :, ::-1]
        return image

    return edit_clip(source, target, edit)


def tiled_clip(source: Path, target: Path) -> Path:
    """Four half-size copies of every frame in a 2x2 grid: four times the people, each at half
    the size, as a camera twice as far away would see a crowd four times as dense."""

    def edit(image: Image, time_s: float) -> Image:
        del time_s
        height, width = image.shape[:2]
        small = cv2.resize(image, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
        grid: Image = np.zeros_like(image)
        for row in range(2):
            for column in range(2):
                top, left = row * (height // 2), column * (width // 2)
                grid[top : top + height // 2, left : left + width // 2] = small
        return grid

    return edit_clip(source, target, edit)
