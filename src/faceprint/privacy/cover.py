"""Cover methods: how a face region is made unrecognisable.

Each method takes an RGB uint8 image and (N, 4) integer-rounded boxes and returns a new image:
- `gaussian`: a blur strong for any face size (the region is shrunk to about 8 px per face
  side, blurred, and enlarged back, so a 1000 px face is as unreadable as a 40 px one);
- `pixelate`: about 8 blocks across each face (a mosaic);
- `solid`: filled black;
- `mask`: the cover mask itself, white on black (to composite or measure elsewhere).
`cover_mask` is the boolean (H, W) union of the regions every method changes, which is what
the recall benchmark measures.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import InputError

BLOCKS = 8  # cells across a face, for gaussian and pixelate


def _regions(boxes: np.ndarray, image_size: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    h, w = image_size
    out = []
    for x1, y1, x2, y2 in np.asarray(boxes, np.float64).reshape(-1, 4):
        a, b = max(0, int(np.floor(x1))), max(0, int(np.floor(y1)))
        c, d = min(w, int(np.ceil(x2))), min(h, int(np.ceil(y2)))
        if c > a and d > b:
            out.append((a, b, c, d))
    return out


def cover_mask(image_size: tuple[int, int], boxes: np.ndarray) -> np.ndarray:
    """(H, W) bool: True where a cover lies."""
    mask = np.zeros(image_size, bool)
    for a, b, c, d in _regions(boxes, image_size):
        mask[b:d, a:c] = True
    return mask


def _gaussian(region: np.ndarray) -> np.ndarray:
    import cv2

    h, w = region.shape[:2]
    side = max(h, w)
    sw, sh = max(1, round(w * BLOCKS / side)), max(1, round(h * BLOCKS / side))
    small = cv2.resize(region, (sw, sh), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (3, 3), 0)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def _pixelate(region: np.ndarray) -> np.ndarray:
    import cv2

    h, w = region.shape[:2]
    side = max(h, w)
    small = cv2.resize(region, (max(1, round(w * BLOCKS / side)), max(1, round(h * BLOCKS / side))),
                       interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)


def _solid(region: np.ndarray) -> np.ndarray:
    return np.zeros_like(region)


_REGION_METHODS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "gaussian": _gaussian, "pixelate": _pixelate, "solid": _solid}
METHODS = ("gaussian", "pixelate", "solid", "mask")


def check_method(method: str) -> str:
    if method not in METHODS:
        raise InputError(f"cover method must be one of {', '.join(METHODS)}, got {method!r}")
    return method


def cover(image: np.ndarray, boxes: np.ndarray, method: str = "gaussian") -> np.ndarray:
    """A copy of `image` with every box covered by `method` (see the module doc)."""
    check_method(method)
    size = image.shape[:2]
    if method == "mask":
        return np.repeat((cover_mask(size, boxes) * np.uint8(255))[:, :, None], 3, axis=2)
    out = np.array(image, np.uint8, copy=True)
    fn = _REGION_METHODS[method]
    for a, b, c, d in _regions(boxes, size):
        # Read from the original, so overlapping covers do not blur an already blurred patch
        # into a visible seam; later boxes simply overwrite the overlap.
        out[b:d, a:c] = fn(np.ascontiguousarray(image[b:d, a:c]))
    return out
