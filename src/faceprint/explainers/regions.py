"""Named facial regions as one label image in the canonical frame (the ArcFace 112x112 crop).

Every face is aligned by its five landmarks onto the ArcFace template, so a region drawn
around the template's points sits on that face's eyes, nose and mouth: the landmarks
locate the regions. Sizes are fractions of the template's eye distance `d`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..align import ARCFACE_112

SIZE = 112  # side of the canonical frame in pixels
# Label order = painting priority from last to first: later names win where shapes overlap.
REGIONS = ("surround", "jaw_cheeks", "forehead", "nose", "mouth", "brows", "eyes")
NAMES = {"eyes": "eye region", "brows": "brows", "nose": "nose", "mouth": "mouth",
         "jaw_cheeks": "jaw and cheeks", "forehead": "forehead", "surround": "hair and background"}
PLURAL = {"brows", "jaw_cheeks", "surround"}  # names that take "differ", not "differs"


def _ellipse(cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    y, x = np.mgrid[0:SIZE, 0:SIZE] + 0.5
    return ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1.0


@lru_cache(maxsize=1)
def region_labels() -> np.ndarray:
    """(112, 112) int array: index into REGIONS for each canonical pixel."""
    (lx, ly), (rx, ry), (nx, ny), (mlx, mly), (mrx, mry) = ARCFACE_112
    d = rx - lx
    eye_y = (ly + ry) / 2
    labels = np.zeros((SIZE, SIZE), np.int8)  # 0 = surround (hair, background, ears)
    face = _ellipse(SIZE / 2, 60.0, 0.50 * SIZE, 0.62 * SIZE)
    labels[face] = REGIONS.index("jaw_cheeks")
    y = np.mgrid[0:SIZE, 0:SIZE][0] + 0.5
    labels[face & (y < eye_y - 0.55 * d)] = REGIONS.index("forehead")
    labels[_ellipse(nx, (eye_y + ny) / 2 + 2, 0.32 * d, 0.50 * d)] = REGIONS.index("nose")
    mouth_x, mouth_y, half = (mlx + mrx) / 2, (mly + mry) / 2, (mrx - mlx) / 2
    labels[_ellipse(mouth_x, mouth_y, half + 0.18 * d, 0.26 * d)] = REGIONS.index("mouth")
    for ex, ey in ((lx, ly), (rx, ry)):
        labels[_ellipse(ex, ey - 0.38 * d, 0.48 * d, 0.14 * d)] = REGIONS.index("brows")
        labels[_ellipse(ex, ey, 0.42 * d, 0.22 * d)] = REGIONS.index("eyes")
    labels.setflags(write=False)
    return labels


def region_masks() -> dict[str, np.ndarray]:
    labels = region_labels()
    return {name: labels == i for i, name in enumerate(REGIONS)}
