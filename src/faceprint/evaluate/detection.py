"""Face-detection metrics: IoU, PASCAL VOC matching, average precision, FDDB-style TP-vs-FP curve.

Boxes are float arrays of shape (N, 4) in corner form (x1, y1, x2, y2) with continuous
coordinates: area = (x2 - x1) * (y2 - y1), without the "+1" pixel convention of the old VOC
devkit. Detections whose scores tie are ranked as one group (all in or all out), so no result
depends on the order detections happen to be listed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError


class Matches(NamedTuple):
    """One image's detections after matching, in the order they were given."""

    scores: np.ndarray  # (N,) float64
    tp: np.ndarray  # (N,) bool; False = false positive (no ground truth at iou_thr, or a duplicate)
    gt_index: np.ndarray  # (N,) int; matched ground-truth row, -1 for a false positive
    n_gt: int  # ground-truth faces in the image


def _boxes(x: ArrayLike, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.size == 0:
        return a.reshape(0, 4)
    if a.ndim != 2 or a.shape[1] != 4:
        raise InputError(f"{name} must have shape (N, 4) as x1, y1, x2, y2; got {a.shape}")
    if not np.isfinite(a).all():
        raise InputError(f"{name} contains NaN or inf")
    if (a[:, 2] < a[:, 0]).any() or (a[:, 3] < a[:, 1]).any():
        raise InputError(f"{name} has x2 < x1 or y2 < y1: boxes must be corners (x1, y1, x2, y2)")
    return a


def iou(boxes_a: ArrayLike, boxes_b: ArrayLike) -> np.ndarray:
    """(N, M) intersection over union of xyxy boxes; 0 where the union is empty."""
    a, b = _boxes(boxes_a, "boxes_a"), _boxes(boxes_b, "boxes_b")
    lo = np.maximum(a[:, None, :2], b[None, :, :2])
    hi = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0.0, None), axis=2)
    union = np.prod(a[:, 2:] - a[:, :2], axis=1)[:, None] + np.prod(b[:, 2:] - b[:, :2], axis=1) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def match_detections(
    pred_boxes: ArrayLike, pred_scores: ArrayLike, gt_boxes: ArrayLike, iou_thr: float = 0.5
) -> Matches:
    """Match one image's detections to its ground truth by the PASCAL VOC rule.

    Detections are taken by falling score; each goes to the ground-truth box it overlaps most.
    It is a true positive if that IoU >= iou_thr and the box is not yet taken, otherwise a
    false positive (a duplicate stays false even if another free box overlaps enough; COCO
    would try that one). Each ground-truth box is matched at most once.
    """
    p, g = _boxes(pred_boxes, "pred_boxes"), _boxes(gt_boxes, "gt_boxes")
    s = np.asarray(pred_scores, dtype=np.float64).reshape(-1)
    if s.size != len(p):
        raise InputError(f"pred_scores has {s.size} values for {len(p)} pred_boxes")
    if np.isnan(s).any():
        raise InputError("pred_scores contains NaN")
    if not 0.0 < iou_thr <= 1.0:
        raise InputError(f"iou_thr must be in (0, 1], got {iou_thr!r}")
    tp = np.zeros(len(p), dtype=bool)
    gt_index = np.full(len(p), -1, dtype=np.int64)
    if len(p) and len(g):
        overlap = iou(p, g)
        best = overlap.argmax(axis=1)
        best_iou = overlap[np.arange(len(p)), best]
        taken = np.zeros(len(g), dtype=bool)
        for d in np.argsort(-s, kind="stable"):
            j = best[d]
            if best_iou[d] >= iou_thr and not taken[j]:
                taken[j] = tp[d] = True
                gt_index[d] = j
    return Matches(s, tp, gt_index, len(g))


def _pool(results: Iterable[Matches]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(fp, tp, thresholds) counts at each distinct score, highest first after (0, 0, +inf); n_gt."""
    results = list(results)
    if not results:
        raise InputError("no per-image results given")
    s = np.concatenate([np.asarray(r.scores, dtype=np.float64) for r in results])
    t = np.concatenate([np.asarray(r.tp, dtype=bool) for r in results])
    order = np.argsort(-s, kind="stable")
    s, t = s[order], t[order]
    last = np.r_[np.flatnonzero(s[1:] != s[:-1]), s.size - 1] if s.size else np.empty(0, dtype=np.int64)
    tp = np.cumsum(t)[last]
    return np.r_[0, last + 1 - tp], np.r_[0, tp], np.r_[np.inf, s[last]], sum(int(r.n_gt) for r in results)


def tp_fp_curve(results: Iterable[Matches]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """FDDB "discrete score" style curve as (fp, tp, thresholds), equal-length 1-D arrays.

    Cumulative false-positive and true-positive counts as the score threshold falls through
    each distinct detection score, starting at (0, 0, +inf). FDDB plots tp / n_gt against fp;
    n_gt is the sum of the results' n_gt. Matching is the VOC rule of `match_detections`, not
    FDDB's ellipse-based bipartite matching, so curves are comparable in shape, not digit.
    """
    fp, tp, thr, _ = _pool(results)
    return fp, tp, thr


def average_precision(results: Iterable[Matches]) -> dict[str, float]:
    """Dataset AP over per-image `Matches` (IoU threshold is the one used for matching).

    All-point interpolated AP of VOC2010 and later: precision is replaced by its maximum at
    any higher recall, then integrated over recall (exact area, no 11-point sampling).
    Returns {"ap", "precision", "recall", "n_gt", "n_det", "n_tp"}, precision and recall
    taken with every detection kept (precision 1.0 when there are no detections).
    """
    fp, tp, _, n_gt = _pool(results)
    if n_gt == 0:
        raise InputError("no ground-truth faces in the results: AP and recall are undefined")
    n_det, n_tp = int(fp[-1] + tp[-1]), int(tp[-1])
    recall = tp[1:] / n_gt
    precision = np.maximum.accumulate((tp[1:] / (tp[1:] + fp[1:]))[::-1])[::-1]
    ap = float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
    return {
        "ap": ap,
        "precision": n_tp / n_det if n_det else 1.0,
        "recall": n_tp / n_gt,
        "n_gt": n_gt,
        "n_det": n_det,
        "n_tp": n_tp,
    }
