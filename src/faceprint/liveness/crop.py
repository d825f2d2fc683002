"""The MiniFASNet crop: the face box enlarged SCALE times about its centre, kept inside the image.

The rule is the original's (Silent-Face-Anti-Spoofing `generate_patches.py`), rewritten:

- the scale is first lowered until the enlarged box fits the image in both directions
  (so a face filling the frame gets less context rather than padding);
- a box that then pokes out on one side is slid back in, keeping its size;
- corners are truncated to whole pixels, the inclusive region is cut out and resized to
  80x80 with bilinear interpolation, in BGR order.

The box is whole pixels (x, y, w, h). The original reads it from a RetinaFace detector;
faceprint feeds YuNet's box truncated the same way: (int(x1), int(y1), int(x2 - x1), int(y2 - y1)). Both detectors learnt WIDER FACE's box (brow or
hairline to chin, ear to ear), so the two cover about the same part of the head; see
docs/liveness.md for how much the score moves when the box grows or shrinks.
"""

from __future__ import annotations

import cv2
import numpy as np

SIZE = 80


def enlarged_box(image_w: int, image_h: int, box: tuple[float, float, float, float], scale: float
                 ) -> tuple[int, int, int, int]:
    """(left, top, right, bottom), inclusive pixel corners of the enlarged box."""
    x, y, bw, bh = (float(v) for v in box)
    bw, bh = max(bw, 1.0), max(bh, 1.0)
    scale = min(scale, (image_h - 1) / bh, (image_w - 1) / bw)
    w, h = bw * scale, bh * scale
    cx, cy = x + bw / 2, y + bh / 2
    left, top, right, bottom = cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
    # Slide back inside, one axis at a time; the size was already made to fit.
    if left < 0:
        right, left = right - left, 0.0
    if top < 0:
        bottom, top = bottom - top, 0.0
    if right > image_w - 1:
        left, right = left - (right - image_w + 1), float(image_w - 1)
    if bottom > image_h - 1:
        top, bottom = top - (bottom - image_h + 1), float(image_h - 1)
    return int(left), int(top), int(right), int(bottom)


def xywh(box_xyxy: np.ndarray) -> tuple[int, int, int, int]:
    """faceprint's (x1, y1, x2, y2) box as the whole-pixel (x, y, w, h) the original's detector hands on."""
    x1, y1, x2, y2 = (float(v) for v in box_xyxy)
    return int(x1), int(y1), int(x2 - x1), int(y2 - y1)


def crop(bgr: np.ndarray, box: tuple[float, float, float, float], scale: float, size: int = SIZE) -> np.ndarray:
    """(size, size, 3) uint8 BGR patch of `bgr` around `box` (x, y, w, h) enlarged `scale` times."""
    h, w = bgr.shape[:2]
    left, top, right, bottom = enlarged_box(w, h, box, scale)
    patch = bgr[top:bottom + 1, left:right + 1]
    return cv2.resize(patch, (size, size), interpolation=cv2.INTER_LINEAR)
