"""Face detection tuned for recall: a face left uncovered is a privacy failure, a false cover is not.

Three changes from the identification detector (YuNet at score 0.6 on a downscaled image):
- a lower score threshold (0.3 by default), so hard faces (turned, dark, blurred) count;
- passes on upscaled copies when the image is small enough, since YuNet's smallest anchors
  miss faces under about 20 px: 2x (copy up to 2,600 px) and, for photos, 3x (copy up to
  4,000 px: a 14 px face scores about 0.15 at 2x and 0.4 at 3x; it adds only faces up to
  32 px); all passes are merged by non-maximum suppression;
- cover boxes enlarged by a margin on every side (hair, ears, chin: a detector's box is the
  inner face), clipped to the image.
Images are never downscaled below `max_side` for detection (YuNet's default downscale loses
exactly the small faces this is for).

For video, `detect_with_weak` also returns the weak candidates: boxes scored between
`weak_threshold` (0.1) and the score threshold on the frame and on a contrast-enhanced copy
of it (CLAHE on lightness: dark and low-contrast faces behind others score there). One such
box is as often a patch of background as a face, so the video job covers them only when a
chain of them persists over several frames (`privacy/weak_tracks.py`); photos have no second
frame to confirm them and do not use them.
"""

from __future__ import annotations

import numpy as np

from ..types import Faces

DEFAULT_SCORE = 0.3
DEFAULT_MARGIN = 0.25  # of the box's larger side, added on each side
WEAK_THRESHOLD = 0.1
DEEP_MAX_FACE = 32  # px in the image: the largest face the 3x pass may add


class RecallDetector:
    """YuNet at up to three scales, merged; `detect(image) -> Faces` like every detector."""

    name = "yunet-recall"

    def __init__(self, score_threshold: float = DEFAULT_SCORE, *, upscale: float = 2.0,
                 upscale_max_side: int = 2600, deep_upscale: float = 3.0, deep_max_side: int = 4000,
                 max_side: int = 4096, nms_iou: float = 0.4, weak_threshold: float = WEAK_THRESHOLD) -> None:
        from ..detectors.yunet import YuNetDetector

        # max_side: YuNet's own downscale only above this (huge photos); its NMS stays on. The
        # net runs at the lower of the two thresholds and the strong faces are filtered out of
        # its answer: YuNet's NMS keeps the higher score, so weak boxes never suppress strong ones.
        self.score_threshold = float(score_threshold)
        self.weak_threshold = min(float(weak_threshold), self.score_threshold)
        self._net = YuNetDetector(score_threshold=self.weak_threshold, max_side=max_side)
        # (factor, cap on the copy's longer side); a factor <= 1 turns its pass off.
        self.upscales = ((float(upscale), int(upscale_max_side)), (float(deep_upscale), int(deep_max_side)))
        self.nms_iou = float(nms_iou)

    def _upscale_factors(self, h: int, w: int, passes: int) -> list[float]:
        """The enlargements of the first `passes` upscaled passes (0 for a pass skipped): each
        factor, less if the copy would exceed its cap; skipped under 1.25x, or when it adds less
        than 1.25x to the pass before."""
        out: list[float] = []
        for factor, cap in self.upscales[:max(0, int(passes))]:
            f = min(factor, cap / max(h, w)) if factor > 1.0 else 0.0
            done = [x for x in out if x]
            out.append(f if f >= 1.25 * (done[-1] if done else 1.0) else 0.0)
        return out

    def detect(self, image: np.ndarray, *, upscale: bool | int = True) -> Faces:
        """Faces of an RGB image. `upscale`: True for every small-face pass (photos), an int for
        the first n of them (video runs one, on every few frames only: the tracker's fill
        covers the frames between), False for none."""
        return self._strong(image, self._net.detect(image), upscale)

    def detect_with_weak(self, image: np.ndarray, *, upscale: bool | int = True) -> tuple[Faces, np.ndarray]:
        """(faces as `detect` finds them, weak candidate boxes (N, 4)): see the module doc."""
        first = self._net.detect(image)
        faces = self._strong(image, first, upscale)
        enhanced = self._net.detect(enhance_contrast(image))
        boxes = np.concatenate([first.boxes, enhanced.boxes])
        scores = np.concatenate([first.scores, enhanced.scores])
        if not len(boxes):
            return faces, np.zeros((0, 4), np.float32)
        keep = nms(boxes, scores, self.nms_iou)
        boxes, scores = boxes[keep], scores[keep]
        weak = boxes[scores < self.score_threshold]
        if len(weak) and len(faces):  # a weak box on a strong face (its ear, its cheek) adds nothing
            from ..video.tracker import iou_matrix

            weak = weak[iou_matrix(weak, faces.boxes).max(1) <= self.nms_iou]
        return faces, weak.astype(np.float32).reshape(-1, 4)

    def _strong(self, image: np.ndarray, first: Faces, upscale: bool | int) -> Faces:
        import cv2

        h, w = image.shape[:2]
        found = [first[first.scores >= self.score_threshold]]
        passes = len(self.upscales) if upscale is True else int(upscale)
        for k, f in enumerate(self._upscale_factors(h, w, passes)):
            if not f:
                continue
            big = cv2.resize(image, (round(w * f), round(h * f)), interpolation=cv2.INTER_LINEAR)
            up = self._net.detect(big)
            keep = up.scores >= self.score_threshold
            if k:  # the deeper pass is for the faces the others miss: small ones; its large boxes
                # are textures blown up to face size (the astronaut's suit scores 0.76 at 3x)
                keep &= np.maximum(up.boxes[:, 2] - up.boxes[:, 0], up.boxes[:, 3] - up.boxes[:, 1]) <= DEEP_MAX_FACE * f
            up = up[keep]
            if len(up):
                sx, sy = w / big.shape[1], h / big.shape[0]
                scale = np.array([sx, sy], np.float32)
                found.append(Faces(up.boxes * np.r_[scale, scale], up.landmarks * scale, up.scores, (h, w),
                                   self.name))
        boxes = np.concatenate([x.boxes for x in found])
        if not len(boxes):
            return Faces.empty((h, w), self.name)
        lms = np.concatenate([x.landmarks for x in found])
        scores = np.concatenate([x.scores for x in found])
        keep = nms(boxes, scores, self.nms_iou)
        return Faces(boxes[keep], lms[keep], scores[keep], (h, w), self.name).by_size()


def enhance_contrast(image: np.ndarray) -> np.ndarray:
    """The RGB image with its lightness equalised locally (CLAHE on L of Lab)."""
    import cv2

    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB)
    lab[:, :, 0] = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(lab[:, :, 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression (highest score first)."""
    from ..video.tracker import iou_matrix

    order = np.argsort(-np.asarray(scores), kind="stable")
    overlaps = iou_matrix(boxes, boxes)
    keep: list[int] = []
    for i in order:
        if all(overlaps[i, j] <= iou for j in keep):
            keep.append(int(i))
    return np.asarray(keep, np.int64)


def enlarge(boxes: np.ndarray, image_size: tuple[int, int], margin: float = DEFAULT_MARGIN) -> np.ndarray:
    """Boxes grown by `margin` x their larger side on every side, clipped to (height, width)."""
    b = np.asarray(boxes, np.float32).reshape(-1, 4).copy()
    if not len(b):
        return b
    side = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])[:, None] * float(margin)
    b[:, :2] -= side
    b[:, 2:] += side
    h, w = image_size
    return np.clip(b, 0, [w, h, w, h]).astype(np.float32)
