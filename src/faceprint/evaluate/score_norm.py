"""Score normalisation against a cohort of impostor templates (Z-, T- and adaptive S-norm).

S-norm rescales a raw cosine s(a, b) by how each side scores against a cohort of other
people: s' = ((s - mu_a) / sd_a + (s - mu_b) / sd_b) / 2, where mu_x, sd_x are the mean and
spread of x's cohort scores. Adaptive S-norm (AS-norm, from speaker verification) uses only
each side's top-k cohort scores, the impostors most like it. Symmetric in a and b, so for
verification it covers Z-norm (normalise by the enrolled side) and T-norm (by the probe).

`fold_as_norm` scores LFW View 2 fold-honestly: for evaluated fold k, the test pairs use a
cohort of the images of the other folds, and each training fold j's pairs a cohort of the
folds other than j and k (LFW folds are person-disjoint, so no pair meets its own people).
"""

from __future__ import annotations

import numpy as np


def cohort_stats(vectors: np.ndarray, cohort: np.ndarray, top_k: int | None = None,
                 block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) of each row's cosine to the cohort rows (its top_k largest; None: all).

    Rows of `vectors` that are NaN (no face) give NaN; NaN cohort rows are dropped.
    """
    cohort = cohort[~np.isnan(cohort[:, 0])].astype(np.float32)
    mu = np.full(len(vectors), np.nan)
    sd = np.full(len(vectors), np.nan)
    k = None if top_k is None or top_k >= len(cohort) else int(top_k)
    for start in range(0, len(vectors), block):
        x = vectors[start:start + block]
        ok = ~np.isnan(x[:, 0])
        s = x[ok].astype(np.float32) @ cohort.T
        if k is not None:
            s = -np.partition(-s, k - 1, axis=1)[:, :k]
        rows = np.arange(start, start + len(x))[ok]
        mu[rows], sd[rows] = s.mean(1), s.std(1)
    return mu, sd


def s_norm(scores: np.ndarray, stats_a: tuple[np.ndarray, np.ndarray],
           stats_b: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    (mu_a, sd_a), (mu_b, sd_b) = stats_a, stats_b
    return 0.5 * ((scores - mu_a) / sd_a + (scores - mu_b) / sd_b)


def fold_as_norm(vectors: np.ndarray, ia: np.ndarray, ib: np.ndarray, fold: np.ndarray,
                 top_k: int | None) -> np.ndarray:
    """(n_folds, n_pairs) S-normalised scores, row e for evaluated fold np.unique(fold)[e]."""
    img_fold = np.zeros(len(vectors), fold.dtype)
    img_fold[ia], img_fold[ib] = fold, fold
    if not ((img_fold[ia] == fold).all() and (img_fold[ib] == fold).all()):
        raise ValueError("an image appears in pairs of two folds: the folds are not person-disjoint")
    raw = np.einsum("ij,ij->i", vectors[ia], vectors[ib])
    keys = np.unique(fold)
    out = np.full((len(keys), len(fold)), np.nan)
    for e, k in enumerate(keys):
        for j in keys:
            rows = np.where(img_fold == j)[0]
            cohort = vectors[(img_fold != k) & (img_fold != j)]
            mu, sd = np.full(len(vectors), np.nan), np.full(len(vectors), np.nan)
            mu[rows], sd[rows] = cohort_stats(vectors[rows], cohort, top_k)
            p = fold == j
            out[e, p] = s_norm(raw[p], (mu[ia[p]], sd[ia[p]]), (mu[ib[p]], sd[ib[p]]))
    return out
