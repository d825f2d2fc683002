"""Face detection tuned for recall: a face left uncovered is a privacy failure, a false cover is not.

Three changes from the identification detector (YuNet at score 0.6 on a downscaled image):
- a lower score threshold (0.3 by default), so hard faces (turned, dark, blurred) count;
- a second pass on a 2x upscaled copy when the image is small enough, since YuNet's
  smallest anchors miss faces under about 20 px; the two passes are merged by non-maximum
  suppression;
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


class RecallDetector:
    """YuNet, twice when it helps, merged; `detect(image) -> Faces` like every detector."""

    name = "yunet-recall"

    def __init__(self, score_threshold: float = DEFAULT_SCORE, *, upscale: float = 2.0,
                 upscale_max_side: int = 2600, max_side: int = 4096, nms_iou: float = 0.4,
                 weak_threshold: float = WEAK_THRESHOLD) -> None:
        from ..detectors.yunet import YuNetDetector

        # max_side: YuNet's own downscale only above this (huge photos); its NMS stays on. The
        # net runs at the lower of the two thresholds and the strong faces are filtered out of
        # its answer: YuNet's NMS keeps the higher score, so weak boxes never suppress strong ones.
        self.score_threshold = float(score_threshold)
        self.weak_threshold = min(float(weak_threshold), self.score_threshold)
        self._net = YuNetDetector(score_threshold=self.weak_threshold, max_side=max_side)
        self.upscale = float(upscale)
        self.upscale_max_side = int(upscale_max_side)
        self.nms_iou = float(nms_iou)

    def _upscale_factor(self, h: int, w: int) -> float:
        """How much to enlarge for the second pass: `upscale`, less if that exceeds the cap, 0 if < 1.25x."""
        if self.upscale <= 1.0:
            return 0.0
        f = min(self.upscale, self.upscale_max_side / max(h, w))
        return f if f >= 1.25 else 0.0

    def detect(self, image: np.ndarray, *, upscale: bool = True) -> Faces:
        """Faces of an RGB image; `upscale=False` skips the small-face pass (video runs it on
        every few frames only: the tracker's fill covers the frames between)."""
        return self._strong(image, self._net.detect(image), upscale)

    def detect_with_weak(self, image: np.ndarray, *, upscale: bool = True) -> tuple[Faces, np.ndarray]:
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

    def _strong(self, image: np.ndarray, first: Faces, upscale: bool) -> Faces:
        import cv2

        h, w = image.shape[:2]
        found = [first[first.scores >= self.score_threshold]]
        f = self._upscale_factor(h, w) if upscale else 0.0
        if f:
            big = cv2.resize(image, (round(w * f), round(h * f)), interpolation=cv2.INTER_LINEAR)
            up = self._net.detect(big)
            up = up[up.scores >= self.score_threshold]
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
