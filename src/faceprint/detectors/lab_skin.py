"""A classical skin-colour face detector in CIE L*a*b* (no learned weights).

After "A robust, low-cost approach to Face Detection and Face Recognition": skin pixels are
those whose chromaticity (a*, b*) falls in a fixed box and whose lightness L* is neither
black nor blown out; connected skin regions that are big enough, compact and about
face-shaped become faces, and only the frontal-face part of a region is kept (a region
taller than it is wide usually runs down the neck, so the box is cut at `max_aspect`
times its width, from the top).

What this detector cannot do, by construction:
* it has no landmarks. The five points are placed at fixed fractions of the box
  (`FACE_PROPORTIONS`, an average upright frontal face) so that `Faces` stays valid and
  region-based features (the DCT eyes/nose/mouth) have somewhere to look; they are a
  guess, not a measurement, and are never better than the box;
* it cannot see skin in a grey image. A grey image (no chroma anywhere) is taken to be a
  ready-made face crop, as ORL's are: the whole frame is returned as one face with score
  0 and the column ``whole_frame`` set, so callers can tell it from a detection;
* anything skin-coloured (wood, beige walls, sand, hands, arms) is a candidate, faces that
  touch are merged into one region, and the colour box fails under coloured or very dim
  light. See `python -m faceprint.bench classical` for measured recall and precision.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..models.card import ModelCard
from ..types import Faces

# (x, y) of eye_left, eye_right, nose, mouth_left, mouth_right as fractions of the face
# box width and height: an average upright frontal face whose box runs from the
# hairline/forehead to the chin, as a skin region does. A fixed guess, stated in the card.
FACE_PROPORTIONS = np.array([[0.30, 0.40], [0.70, 0.40], [0.50, 0.62], [0.35, 0.80], [0.65, 0.80]], np.float32)


def landmarks_from_boxes(boxes: np.ndarray) -> np.ndarray:
    """(N, 5, 2) landmarks placed at `FACE_PROPORTIONS` of each (x1, y1, x2, y2) box."""
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    origin, size = b[:, None, :2], (b[:, 2:] - b[:, :2])[:, None, :]
    return origin + FACE_PROPORTIONS[None] * size


def is_grey(image: np.ndarray, tolerance: float = 4.0) -> bool:
    """True when (almost) no pixel has colour: channel spread <= tolerance for 99.5 % of pixels.

    The tolerance absorbs JPEG chroma noise of grey photos saved as RGB.
    """
    if image.ndim == 2 or image.shape[2] == 1:
        return True
    small = image[:: max(1, image.shape[0] // 256), :: max(1, image.shape[1] // 256)].astype(np.int16)
    spread = small.max(axis=2) - small.min(axis=2)
    return float(np.percentile(spread, 99.5)) <= tolerance


@dataclass(frozen=True)
class SkinRule:
    """The L*a*b* box a skin pixel falls in (L* in 0..100, a* and b* in about -128..127).

    Chosen a priori from the usual reported skin chromaticities (reddish-yellow: both a*
    and b* positive and moderate), checked only on the scikit-image astronaut; not fitted
    to any evaluation set.
    """

    l_min: float = 20.0
    l_max: float = 97.0
    a_min: float = 6.0
    a_max: float = 40.0
    b_min: float = 6.0
    b_max: float = 45.0


class LabSkinDetector:
    """Skin regions in L*a*b* -> face boxes; landmarks estimated from fixed proportions."""

    name = "lab-skin"

    def __init__(self, rule: SkinRule = SkinRule(), *, work_side: int = 480, min_side: int = 20,
                 min_fill: float = 0.35, aspect_range: tuple[float, float] = (0.6, 3.0),
                 max_aspect: float = 1.25, card: ModelCard | None = None) -> None:
        if card is not None:  # built from its card by the registry
            self.name = card.name
        self.rule = rule
        self.work_side = work_side  # detection runs on a copy whose longer side is at most this
        self.min_side = min_side  # smallest face width, in pixels of the working copy
        self.min_fill = min_fill  # skin pixels / box area: rejects thin or ragged regions
        self.aspect_range = aspect_range  # region height / width accepted
        self.max_aspect = max_aspect  # kept box height / width (cuts the neck off)

    def skin_mask(self, image: np.ndarray) -> np.ndarray:
        """uint8 0/1 mask of the pixels whose L*a*b* values fall in the skin box."""
        lab = cv2.cvtColor(np.ascontiguousarray(image, np.float32) / 255.0, cv2.COLOR_RGB2Lab)
        r = self.rule
        lo = np.array([r.l_min, r.a_min, r.b_min], np.float32)
        hi = np.array([r.l_max, r.a_max, r.b_max], np.float32)
        return np.all((lab >= lo) & (lab <= hi), axis=2).astype(np.uint8)

    def detect(self, image: np.ndarray) -> Faces:
        h, w = image.shape[:2]
        if is_grey(image):
            box = np.array([[0, 0, w, h]], np.float32)
            return Faces(box, landmarks_from_boxes(box), np.zeros(1), (h, w), self.name,
                         columns={"whole_frame": np.array([True])})
        scale = min(1.0, self.work_side / max(h, w))
        small = image if scale == 1.0 else cv2.resize(
            image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        mask = self.skin_mask(small)
        # Opening drops speckle (skin-coloured texture); closing bridges eyebrows, glasses
        # and shadows that split a face into pieces.
        k3 = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        k7 = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
        mask = cv2.morphologyEx(cv2.morphologyEx(mask, cv2.MORPH_OPEN, k3), cv2.MORPH_CLOSE, k7)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        boxes, scores = [], []
        for i in range(1, n):
            x, y, bw, bh, area = (int(v) for v in stats[i])
            if bw < self.min_side or bh < self.min_side:
                continue
            if not self.aspect_range[0] <= bh / bw <= self.aspect_range[1]:
                continue
            keep_h = min(bh, int(round(self.max_aspect * bw)))
            region = labels[y:y + keep_h, x:x + bw] == i
            fill = float(region.mean())
            if fill < self.min_fill:
                continue
            boxes.append([x, y, x + bw, y + keep_h])
            scores.append(self._score(region))
        if not boxes:
            return Faces.empty((h, w), self.name)
        boxes_full = np.clip(np.asarray(boxes, np.float64) / scale, 0, [w, h, w, h])
        return Faces(boxes_full, landmarks_from_boxes(boxes_full), np.asarray(scores), (h, w), self.name,
                     columns={"whole_frame": np.zeros(len(boxes), bool)}).by_size()

    @staticmethod
    def _score(region: np.ndarray) -> float:
        """How face-like a skin region is, in [0, 1]: skin inside the box's inscribed ellipse,
        halved when the region has no hole (eyes and mouth are not skin-coloured)."""
        rh, rw = region.shape
        yy, xx = np.mgrid[0:rh, 0:rw]
        inside = ((xx + 0.5 - rw / 2) / (rw / 2)) ** 2 + ((yy + 0.5 - rh / 2) / (rh / 2)) ** 2 <= 1.0
        ellipse_fill = float(region[inside].mean()) if inside.any() else 0.0
        contours, hierarchy = cv2.findContours(region.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        has_hole = hierarchy is not None and bool((hierarchy[0][:, 3] >= 0).any())
        return ellipse_fill * (1.0 if has_hole else 0.5)
