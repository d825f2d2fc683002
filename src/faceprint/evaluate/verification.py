"""Verification (1:1) metrics: ROC, AUC, EER, thresholds at a target FMR, LFW k-fold accuracy.

Conventions for every function here: label 1 = genuine (mated) pair, 0 = impostor; a higher
score means more alike; the decision is "same" iff score >= threshold. Scalars come back as
Python floats and per-fold results as lists, so callers can write them as JSON directly.
NaN scores are refused (a silent NaN would bias every rate) except by the LFW accuracy
functions, whose protocol counts a failed pair as "different".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError

# Relative slack on fmr * n so float error (0.29 * 100 = 28.999...) does not cost a false match.
_REL = 1e-12


def _scores(x: ArrayLike, name: str = "scores", *, allow_nan: bool = False) -> np.ndarray:
    """`x` as a non-empty 1-D float64 array."""
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InputError(f"{name} must be numbers: {e}") from None
    if a.ndim != 1:
        raise InputError(f"{name} must be 1-D, got shape {a.shape}")
    if a.size == 0:
        raise InputError(f"{name} is empty")
    if not allow_nan and np.isnan(a).any():
        raise InputError(f"{name} contains NaN; map failed comparisons to -inf explicitly")
    return a


def _labels(labels: ArrayLike, n: int) -> np.ndarray:
    """`labels` as a bool array (True = genuine) of length n holding both classes."""
    y = np.asarray(labels)
    if y.ndim != 1 or y.shape[0] != n:
        raise InputError(f"scores and labels differ in length: {n} scores, labels of shape {y.shape}")
    if y.dtype != bool:
        try:
            yf = y.astype(np.float64)
        except (TypeError, ValueError):
            raise InputError("labels must be 0 (impostor) or 1 (genuine)") from None
        bad = ~np.isin(yf, (0.0, 1.0))
        if bad.any():
            raise InputError(f"labels must be 0 (impostor) or 1 (genuine), got {y[bad][0]!r}")
        y = yf == 1.0
    n_gen = int(y.sum())
    if n_gen in (0, n):
        raise InputError(
            f"labels need both genuine (1) and impostor (0) pairs, got {n_gen} genuine "
            f"and {n - n_gen} impostor"
        )
    return y


def _pairs(scores: ArrayLike, labels: ArrayLike, *, allow_nan: bool = False) -> tuple[np.ndarray, np.ndarray]:
    s = _scores(scores, allow_nan=allow_nan)
    return s, _labels(labels, s.size)


def _check_rate(rate: float) -> float:
    ok = isinstance(rate, (int, float, np.number)) and not isinstance(rate, bool)
    if not (ok and 0.0 < float(rate) <= 1.0):
        raise InputError(f"target rate (fmr/fpir) must be a number in (0, 1], got {rate!r}")
    return float(rate)


def roc(scores: ArrayLike, labels: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ROC as (fmr, tmr, thresholds), 1-D arrays of equal length, threshold falling.

    One point per distinct score t, giving the rates of score >= t, after a first point
    (0, 0) at t = +inf; tied scores therefore move both rates in one (diagonal) step. These
    are exactly the points of `sklearn.metrics.roc_curve(labels, scores,
    drop_intermediate=False)` (fpr = fmr, tpr = tmr).
    """
    s, y = _pairs(scores, labels)
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(s[1:] != s[:-1]), s.size - 1]  # end of each tie group
    tp = np.cumsum(y)[last]
    fp = last + 1 - tp
    return np.r_[0, fp] / fp[-1], np.r_[0, tp] / tp[-1], np.r_[np.inf, s[last]]


def auc(scores: ArrayLike, labels: ArrayLike) -> float:
    """Area under the ROC = P(genuine > impostor) + 0.5 P(genuine == impostor).

    Trapezoids over the tie-grouped ROC count a tie half, as `roc_auc_score` does.
    """
    fmr, tmr, _ = roc(scores, labels)
    return float(np.trapezoid(tmr, fmr))


def eer(scores: ArrayLike, labels: ArrayLike) -> tuple[float, float]:
    """Equal error rate and its threshold, as (eer, threshold).

    Along the ROC (threshold falling) FMR rises and FNMR = 1 - TMR falls. Between the last
    point with FMR < FNMR and the first with FMR >= FNMR both rates are interpolated
    linearly and the EER is where they meet, so it is not biased towards either neighbour.
    The threshold is interpolated between the two points' thresholds with the same weight;
    when the upper point is the (0, 0) point at +inf, the lower point's threshold is used.
    """
    fmr, tmr, thr = roc(scores, labels)
    d = fmr - (1.0 - tmr)  # non-decreasing from -1 to +1
    i = int(np.argmax(d >= 0))  # >= 1 because d[0] = -1
    w = -d[i - 1] / (d[i] - d[i - 1])
    value = fmr[i - 1] + w * (fmr[i] - fmr[i - 1])
    t = thr[i] if np.isinf(thr[i - 1]) else thr[i - 1] + w * (thr[i] - thr[i - 1])
    return float(value), float(t)


def min_impostors(fmr: float) -> int:
    """Fewest impostor scores that support `fmr`: ceil(1 / fmr).

    With fewer, even one false match exceeds the target, so the only threshold meeting it
    is "just above the highest impostor" whatever fmr is asked for: the measured operating
    point would say nothing about that fmr.
    """
    return math.ceil(1.0 / (_check_rate(fmr) * (1 + _REL)))


def supported_fmrs(n_impostors: int, fmrs: Sequence[float]) -> tuple[float, ...]:
    """The fmrs (in the given order) that `n_impostors` impostor scores can support."""
    return tuple(float(f) for f in fmrs if n_impostors >= min_impostors(f))


def threshold_at_fmr(impostor_scores: ArrayLike, fmr: float) -> float:
    """Smallest threshold t with fraction(impostor >= t) <= fmr.

    Up to k = floor(fmr * n) impostors may pass, so t is the next float above the (k+1)-th
    highest impostor score (ties included: a tie group is never split); -inf when k = n.
    Raises InputError when n < ceil(1 / fmr), see `min_impostors`.
    """
    s = _scores(impostor_scores, "impostor_scores")
    need = min_impostors(fmr)
    if s.size < need:
        raise InputError(f"fmr={fmr:g} needs at least {need} impostor scores (ceil(1/fmr)), got {s.size}")
    k = math.floor(s.size * fmr * (1 + _REL))
    if k >= s.size:
        return -math.inf
    kth = np.partition(s, s.size - k - 1)[s.size - k - 1]
    return float(np.nextafter(kth, np.inf))


def fmr_at_threshold(impostor_scores: ArrayLike, threshold: float) -> float:
    """Fraction of impostor scores >= threshold (falsely accepted)."""
    return float(np.mean(_scores(impostor_scores, "impostor_scores") >= threshold))


def fnmr_at_threshold(genuine_scores: ArrayLike, threshold: float) -> float:
    """Fraction of genuine scores < threshold (falsely rejected)."""
    return float(np.mean(_scores(genuine_scores, "genuine_scores") < threshold))


def tar_at_far(scores: ArrayLike, labels: ArrayLike, far: float) -> dict[str, float]:
    """TAR at the `threshold_at_fmr` of the impostors: {"tar", "threshold", "far_actual"}.

    far_actual (<= far) is reported because with ties or few impostors it can be well below.
    """
    s, y = _pairs(scores, labels)
    t = threshold_at_fmr(s[~y], far)
    return {"tar": float(np.mean(s[y] >= t)), "threshold": t, "far_actual": fmr_at_threshold(s[~y], t)}


def _fit_threshold(s: np.ndarray, y: np.ndarray) -> float:
    """Accuracy-maximising threshold; `s` may hold -inf (failed pairs), never NaN."""
    u = np.unique(s[np.isfinite(s)])
    # Accept-all-finite, every midpoint, reject-all. No candidate is -inf, so a failed pair is
    # always "different".
    cand = np.r_[u[:1], (u[:-1] + u[1:]) / 2, np.inf]
    gen, imp = np.sort(s[y]), np.sort(s[~y])
    correct = gen.size - np.searchsorted(gen, cand) + np.searchsorted(imp, cand)
    return float(cand[np.argmax(correct)])


def best_accuracy_threshold(scores: ArrayLike, labels: ArrayLike) -> float:
    """Threshold maximising accuracy on these pairs, in O(n log n).

    Candidates are the midpoints between consecutive distinct finite scores (they generalise
    better than the scores themselves), the lowest finite score (accept all) and +inf (reject
    all); among equally accurate candidates the lowest wins. NaN scores (failed pairs) are
    mapped to -inf and so always predicted "different".
    """
    s, y = _pairs(scores, labels, allow_nan=True)
    return _fit_threshold(np.where(np.isnan(s), -np.inf, s), y)


def _fold_ids(folds: int | ArrayLike, n: int) -> np.ndarray:
    if isinstance(folds, (int, np.integer)) and not isinstance(folds, bool):
        if not 2 <= folds <= n:
            raise InputError(f"folds must be between 2 and the number of pairs ({n}), got {folds}")
        return np.arange(n) * int(folds) // n
    f = np.asarray(folds)
    if f.shape != (n,):
        raise InputError(f"folds must be an int or one fold id per pair ({n}), got shape {f.shape}")
    if np.unique(f).size < 2:
        raise InputError("folds must name at least 2 distinct folds")
    return f


def kfold_accuracy(scores: ArrayLike, labels: ArrayLike, folds: int | ArrayLike = 10) -> dict[str, Any]:
    """LFW-protocol accuracy: per fold, threshold fitted on the other folds, accuracy on this one.

    `folds` is either a count k (contiguous, near-equal folds in the given row order, as LFW's
    pairs.txt is laid out) or one fold id per pair. Returns {"mean", "std", "stderr",
    "per_fold", "thresholds"}: std is the sample standard deviation over folds (ddof=1, the
    sigma of the LFW README), stderr = std / sqrt(k) is the standard error of the mean that
    LFW results tables quote. NaN scores (failed pairs) count as "different": they are -inf
    in the threshold fit and predicted not-same in the held-out fold.
    """
    s, y = _pairs(scores, labels, allow_nan=True)
    s = np.where(np.isnan(s), -np.inf, s)
    fold = _fold_ids(folds, s.size)
    per_fold, thresholds = [], []
    for f in np.unique(fold):
        test = fold == f
        train_y = y[~test]
        if train_y.all() or not train_y.any():
            raise InputError(f"fold {f!r}: the other folds hold only one class, cannot fit a threshold")
        t = _fit_threshold(s[~test], train_y)
        per_fold.append(float(np.mean((s[test] >= t) == y[test])))
        thresholds.append(t)
    acc = np.asarray(per_fold)
    std = float(acc.std(ddof=1))
    return {
        "mean": float(acc.mean()),
        "std": std,
        "stderr": std / math.sqrt(acc.size),
        "per_fold": per_fold,
        "thresholds": thresholds,
    }


def bootstrap_ci(
    fn: Callable[..., float], *arrays: ArrayLike, n: int = 1000, alpha: float = 0.05, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap (1 - alpha) interval of fn(*arrays), as (low, high).

    Rows (axis 0) are resampled with replacement, the same rows for every array so paired
    arrays (scores, labels) stay aligned. Deterministic for a given seed. Quantiles use numpy's
    default linear interpolation. If `fn` raises on a resample (say one drew no impostor) the
    error propagates: the data is then too small for the interval to mean much.
    """
    if not arrays:
        raise InputError("bootstrap_ci needs at least one array")
    arrs = [np.asarray(a) for a in arrays]
    lengths = {a.shape[0] if a.ndim else -1 for a in arrs}
    if len(lengths) != 1 or min(lengths) < 1:
        raise InputError(f"bootstrap_ci needs non-empty arrays of equal length, got lengths {sorted(lengths)}")
    if not (isinstance(n, (int, np.integer)) and n >= 1):
        raise InputError(f"n must be a positive int, got {n!r}")
    if not 0.0 < alpha < 1.0:
        raise InputError(f"alpha must be in (0, 1), got {alpha!r}")
    m = lengths.pop()
    rng = np.random.default_rng(seed)
    stats = np.empty(n)
    for b in range(n):
        idx = rng.integers(0, m, m)
        stats[b] = fn(*(a[idx] for a in arrs))
    low, high = np.quantile(stats, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)
