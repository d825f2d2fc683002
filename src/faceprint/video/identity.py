"""One identity per track, from its best views; strangers clustered across the video.

Each detection of a track is a *view*, scored by the quality measures of
`assessors/quality.py` (size, sharpness, exposure, head pose...; the recognizability term
is left out: it costs three extra embeddings per face). Views the measures call blurred,
turned (yaw or pitch past their limit) or too small are never used for identity. The
`views` best usable ones are kept (a small patch around the face, scaled so the face is at
most PATCH_FACE_PX across: bounded memory whatever the video's resolution).

The identity is decided once, when the track has `views` usable views and has lasted
`decide_after_s`, or when it ends: the pipeline's own embedder embeds the kept views, their
quality-weighted mean (re-normalised) is compared with the gallery at its calibrated
threshold, and the answer (a name, or None = unknown) is frozen. So a track's name never
flips from frame to frame: it is unknown-yet ("pending") and then final. A track with no
usable view stays unknown, with the reason "no_usable_view".

At the end, the templates of the unknown tracks are clustered (average linkage at the
pipeline's calibrated FMR 1e-4 threshold, as `faceprint cluster` does): the same stranger
coming back gets one label, `stranger: k`, numbered by first appearance.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..types import Faces

SKIP_REASONS = frozenset({"blurred", "head_yaw", "head_pitch", "too_small"})
PATCH_FACE_PX = 160.0  # the embedders' crops are 112-150 px: more resolution is not used


@dataclass(order=True)
class View:
    quality: float
    frame: int = field(compare=False)
    time: float = field(compare=False)
    box: np.ndarray = field(compare=False)  # in the frame
    patch: np.ndarray = field(compare=False, repr=False)  # RGB around the face, maybe downscaled
    landmarks: np.ndarray = field(compare=False, repr=False)  # (5, 2) in the patch
    patch_box: np.ndarray = field(compare=False, repr=False)  # (4,) the face box in the patch
    reasons: tuple[str, ...] = field(compare=False, default=())

    @property
    def usable(self) -> bool:
        return not SKIP_REASONS.intersection(self.reasons)


def make_view(image: np.ndarray, box: np.ndarray, landmarks: np.ndarray, quality: float, reasons: list[str],
              frame: int, time: float) -> View:
    """Cut a patch twice the face's size around it (so the embedders' alignment has context)."""
    import cv2

    x1, y1, x2, y2 = (float(v) for v in box)
    side = max(x2 - x1, y2 - y1, 2.0)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    h, w = image.shape[:2]
    ax, ay = int(max(0, np.floor(cx - side))), int(max(0, np.floor(cy - side)))
    bx, by = int(min(w, np.ceil(cx + side))), int(min(h, np.ceil(cy + side)))
    patch = image[ay:by, ax:bx]
    offset = np.array([ax, ay], np.float32)
    scale = min(1.0, PATCH_FACE_PX / side)
    lm = (np.asarray(landmarks, np.float32) - offset) * scale
    pbox = (np.asarray(box, np.float32).reshape(2, 2) - offset).ravel() * scale
    if scale < 1.0:
        size = (max(8, round(patch.shape[1] * scale)), max(8, round(patch.shape[0] * scale)))
        patch = cv2.resize(patch, size, interpolation=cv2.INTER_AREA)
    else:
        patch = patch.copy()  # never keep a view of the whole decoded frame alive
    return View(float(quality), frame, time, np.asarray(box, np.float32), patch, lm, pbox, tuple(reasons))


@dataclass
class Decision:
    identity: str | None
    similarity: float | None
    template: np.ndarray | None  # (D,) unit, None without a usable view
    views_used: int
    reason: str  # "named" | "below_threshold" | "no_gallery" | "no_usable_view"


class TrackEvidence:
    """The views of one track and, once made, its frozen identity decision."""

    def __init__(self, track: int, views: int) -> None:
        self.track = track
        self.max_views = views
        self._best: list[View] = []  # min-heap of the best usable views
        self.best_any: View | None = None  # the best view of all (for the box and the thumbnail)
        self.usable_views = 0
        self.detections = 0
        self.decision: Decision | None = None

    def add(self, view: View) -> None:
        self.detections += 1
        if self.best_any is None or view.quality > self.best_any.quality:
            self.best_any = view
        if not view.usable or self.decision is not None:
            return
        self.usable_views += 1
        if len(self._best) < self.max_views:
            heapq.heappush(self._best, view)
        elif view.quality > self._best[0].quality:
            heapq.heapreplace(self._best, view)

    @property
    def best_views(self) -> list[View]:
        return sorted(self._best, reverse=True)

    def ready(self, duration_s: float, decide_after_s: float) -> bool:
        return self.decision is None and len(self._best) >= self.max_views and duration_s >= decide_after_s

    def decide(self, embedder: Any, model_id: str, gallery: Any, fmr: float) -> Decision:
        if self.decision is not None:
            return self.decision
        views = self.best_views
        if not views:
            self.decision = Decision(None, None, None, 0, "no_usable_view")
        else:
            template = aggregate(embedder, model_id, views)
            name, sim, reason = None, None, "no_gallery"
            if gallery is not None and len(gallery):
                answer = gallery.identify_vectors(template[None], model=model_id, fmr=fmr)[0]
                name, sim = answer.identity, answer.similarity
                reason = "named" if name is not None else "below_threshold"
            self.decision = Decision(name, sim, template, len(views), reason)
        self._best = []  # the patches are no longer needed
        return self.decision


def aggregate(embedder: Any, model_id: str, views: list[View]) -> np.ndarray:
    """Quality-weighted mean of the views' embeddings, re-normalised to unit length."""
    rows, weights = [], []
    for v in views:
        faces = Faces(v.patch_box[None], v.landmarks[None], np.ones(1, np.float32), v.patch.shape[:2])
        rows.append(np.asarray(embedder.embed(v.patch, faces), np.float32)[0])
        weights.append(max(v.quality, 1e-3))
    mean = np.average(np.stack(rows), axis=0, weights=np.asarray(weights))
    return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)


def cluster_strangers(templates: list[np.ndarray], threshold: float) -> list[int]:
    """Stranger labels 1..k for the unknown tracks' templates (in order), numbered by first appearance."""
    if not templates:
        return []
    from ..cluster.algorithms import average_linkage

    labels = average_linkage(np.stack(templates), threshold)
    first: dict[int, int] = {}
    for lab in labels.tolist():
        first.setdefault(lab, len(first) + 1)
    return [first[lab] for lab in labels.tolist()]
