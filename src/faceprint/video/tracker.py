"""Face tracks across frames: motion (Kalman) + box overlap + appearance, matched by Hungarian.

Usable on its own (liveness and face blurring build on it): call `predict()` once per frame
and `update(boxes, scores, features)` on the frames where a detector ran. Nothing here
loads a model; `features` are whatever unit vectors the caller has for the detections
(faceprint passes SFace embeddings), or None for motion alone.

Association on a detection frame, in two passes:
1. every live track (seen within `max_lost_s`) against every detection, by a similarity
   that mixes motion (IoU with the predicted box, or the centre distance in box sizes when
   the face moved more than its width between detections) with appearance (cosine of the
   features); pairs whose motion is implausible, or whose faces plainly differ
   (cosine < `appearance_veto`), cannot match. Hungarian assignment (scipy) on the rest.
   Features are asked for (lazily) only where motion leaves a doubt, and for new tracks.
2. tracks still unmatched against detections still unmatched, by appearance alone
   (cosine >= `reid_cosine`): a face that reappears after an occlusion, or after moving
   further than the filter predicted, keeps its track.
Detections left over start new tracks. A track not matched for `max_lost_s` seconds ends.
A scene cut ends every track at once (`end_all`): a new shot gets new tracks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy.optimize import linear_sum_assignment

from .kalman import BoxFilter

_INFEASIBLE = 1e6


@dataclass
class Track:
    id: int
    box: np.ndarray  # (4,) x1 y1 x2 y2 in the current frame (the filter's estimate)
    first_frame: int
    last_frame: int  # last frame with a matched detection
    hits: int = 1  # matched detections
    score: float = 0.0  # the last matched detection's score
    feature: np.ndarray | None = None  # running mean of the matched detections' features (unit)
    filter: BoxFilter | None = field(default=None, repr=False)

    def lost_for(self, frame: int) -> int:
        return frame - self.last_frame


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) intersection over union of x1 y1 x2 y2 boxes."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area = lambda x: np.prod(np.clip(x[:, 2:] - x[:, :2], 0, None), axis=1)  # noqa: E731
    union = area(a)[:, None] + area(b)[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def motion_similarity(pred: np.ndarray, det: np.ndarray) -> np.ndarray:
    """max(IoU, 1 - centre distance / box size): 1 for the same place, 0 a box size or more away."""
    pred = np.asarray(pred, np.float64).reshape(-1, 4)
    det = np.asarray(det, np.float64).reshape(-1, 4)
    cp = (pred[:, :2] + pred[:, 2:]) / 2
    cd = (det[:, :2] + det[:, 2:]) / 2
    size = (np.maximum(pred[:, None, 2:] - pred[:, None, :2], 1).mean(2)
            + np.maximum(det[None, :, 2:] - det[None, :, :2], 1).mean(2)) / 2
    dist = np.linalg.norm(cp[:, None] - cd[None], axis=2) / size
    # Sizes must agree too: a box twice as large in the same place is another face (or a zoom
    # the filter has not seen yet, which IoU still allows).
    ratio = np.minimum(size / np.maximum(pred[:, None, 2:] - pred[:, None, :2], 1).mean(2),
                       size / np.maximum(det[None, :, 2:] - det[None, :, :2], 1).mean(2))
    near = np.clip(1 - dist, 0, 1) * (ratio > 0.6)
    return np.maximum(iou_matrix(pred, det), near)


class FaceTracker:
    """Online multi-face tracker; see the module doc. Frame numbers must increase.

    `appearance_veto` 0.05: SFace cosines of two different people centre near 0; small,
    blurred faces of one person can fall to 0.1-0.2, and a veto at 0.15 split pedestrians of
    the shared crowd clip into 20 tracks where 0.05 gives 16 (ByteTrack: 14); chosen on that clip.
    """

    def __init__(self, fps: float = 25.0, *, max_lost_s: float = 1.0, min_motion: float = 0.25,
                 appearance_weight: float = 0.5, appearance_veto: float = 0.05, reid_cosine: float = 0.45,
                 min_score: float = 0.0, sure_iou: float = 0.5) -> None:
        self.fps = float(fps)
        self.max_lost = max(1, int(round(max_lost_s * self.fps)))
        self.min_motion = min_motion
        self.appearance_weight = appearance_weight
        self.appearance_veto = appearance_veto
        self.reid_cosine = reid_cosine
        self.min_score = min_score
        self.sure_iou = sure_iou
        self.tracks: list[Track] = []
        self.frame = -1
        self._next_id = 1
        self._ended: list[Track] = []

    # -- per frame -----------------------------------------------------------------------
    def predict(self) -> list[Track]:
        """Advance every track one frame; returns the tracks alive after that step."""
        self.frame += 1
        alive = []
        for t in self.tracks:
            t.box = t.filter.predict()
            if t.lost_for(self.frame) > self.max_lost:
                self._ended.append(t)
            else:
                alive.append(t)
        self.tracks = alive
        return list(alive)

    def update(self, boxes: np.ndarray, scores: np.ndarray | None = None,
               features: np.ndarray | Callable[[list[int]], np.ndarray] | None = None) -> np.ndarray:
        """Match this frame's detections (call after `predict`); returns the track id of each detection.

        `features`: (N, D) unit rows, or a function of detection indices returning their rows,
        called only for the detections that need appearance: those without one clear motion
        match (IoU >= `sure_iou` with a single track that has no other candidate), and new
        tracks. Appearance then costs nothing while faces move smoothly apart from each other.
        """
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        n = len(boxes)
        scores = np.ones(n, np.float32) if scores is None else np.asarray(scores, np.float32)
        tracks = self.tracks
        motion = motion_similarity(np.stack([t.box for t in tracks]), boxes) if tracks and n else np.zeros((len(tracks), n))
        ok = motion >= self.min_motion
        feats = self._features(features, n, self._unsure(motion, ok, iou_matrix(
            np.stack([t.box for t in tracks]) if tracks else np.zeros((0, 4)), boxes)))
        ids = np.zeros(n, np.int64)
        matched_t: set[int] = set()
        matched_d: set[int] = set()
        if tracks and n:
            cos = self._cosines(tracks, feats)
            sim = np.where(np.isnan(cos), motion,
                           (1 - self.appearance_weight) * motion + self.appearance_weight * cos)
            ok &= ~(cos < self.appearance_veto)  # NaN (no feature) does not veto
            cost = np.where(ok, 1 - sim, _INFEASIBLE)
            for ti, di in zip(*linear_sum_assignment(cost)):
                if ok[ti, di]:
                    matched_t.add(ti)
                    matched_d.add(di)
                    ids[di] = self._match(tracks[ti], boxes[di], scores[di], feats[di])
            # Pass 2: appearance alone for what is left.
            rest_t = [i for i in range(len(tracks)) if i not in matched_t]
            rest_d = [j for j in range(n) if j not in matched_d]
            if rest_t and rest_d:
                sub = np.nan_to_num(cos[np.ix_(rest_t, rest_d)], nan=-1.0)
                for a, b in zip(*linear_sum_assignment(-sub)):
                    if sub[a, b] >= self.reid_cosine:
                        ti, di = rest_t[a], rest_d[b]
                        matched_t.add(ti)
                        matched_d.add(di)
                        ids[di] = self._match(tracks[ti], boxes[di], scores[di], feats[di])
        for di in range(n):
            if di not in matched_d:
                if scores[di] < self.min_score:
                    ids[di] = 0  # too weak to start a track
                    continue
                ids[di] = self._start(boxes[di], scores[di], feats[di]).id
        return ids

    def _unsure(self, motion: np.ndarray, ok: np.ndarray, iou: np.ndarray) -> list[int]:
        """Detections whose track is not plain from motion (they get appearance features)."""
        unsure = []
        for j in range(motion.shape[1]):
            cands = np.flatnonzero(ok[:, j])
            sure = (len(cands) == 1 and iou[cands[0], j] >= self.sure_iou
                    and int(ok[cands[0]].sum()) == 1)
            if not sure:
                unsure.append(j)
        return unsure

    def _features(self, features, n: int, wanted: list[int]) -> list[np.ndarray | None]:
        out: list[np.ndarray | None] = [None] * n
        if features is None or not wanted:
            return out
        if callable(features):
            rows = _unit(np.asarray(features(wanted), np.float32).reshape(len(wanted), -1))
            for j, row in zip(wanted, rows):
                out[j] = row
        else:
            rows = _unit(np.asarray(features, np.float32).reshape(n, -1))
            for j in range(n):
                out[j] = rows[j]  # given anyway: use them all
        return out

    def end_all(self) -> list[Track]:
        """End every track (a scene cut); returns them."""
        ended, self.tracks = self.tracks, []
        self._ended.extend(ended)
        return ended

    def pop_ended(self) -> list[Track]:
        """Tracks that ended since the last call, oldest first."""
        out, self._ended = self._ended, []
        return out

    # -- internals -----------------------------------------------------------------------
    def _cosines(self, tracks: list[Track], feats: list[np.ndarray | None]) -> np.ndarray:
        out = np.full((len(tracks), len(feats)), np.nan)
        for j, f in enumerate(feats):
            if f is None:
                continue
            for i, t in enumerate(tracks):
                if t.feature is not None:
                    out[i, j] = float(f @ t.feature)
        return out

    def _match(self, t: Track, box: np.ndarray, score: float, feat: np.ndarray | None) -> int:
        t.box = t.filter.update(box)
        t.last_frame = self.frame
        t.hits += 1
        t.score = float(score)
        if feat is not None:
            # A running mean (not the last view): one blurred or turned frame moves it little.
            t.feature = feat if t.feature is None else _unit(t.feature * min(t.hits - 1, 10) + feat)
        return t.id

    def _start(self, box: np.ndarray, score: float, feat: np.ndarray | None) -> Track:
        t = Track(self._next_id, np.asarray(box, np.float32), self.frame, self.frame, 1, float(score),
                  feat, BoxFilter(box))
        self._next_id += 1
        self.tracks.append(t)
        return t


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)
