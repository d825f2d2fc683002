"""Identification (1:N) metrics: closed-set CMC and open-set FNIR at FPIR.

Inputs are a probe x gallery similarity matrix (higher = more alike) with one label per
probe row and per gallery column. An identity enrolled with several templates scores as its
best template (max), so identities, not templates, are ranked. A probe is "mated" when its
label is in the gallery. Ties are broken pessimistically: a wrong identity scoring the same
as the true one ranks ahead of it, so a degenerate matcher (all scores equal) gets no credit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError
from .verification import fmr_at_threshold, min_impostors, supported_fmrs, threshold_at_fmr


def _identity_scores(
    similarity_matrix: ArrayLike, probe_labels: ArrayLike, gallery_labels: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(P, K) best score per gallery identity, the K sorted identities, and the probe labels."""
    s = np.asarray(similarity_matrix, dtype=np.float64)
    if s.ndim != 2 or 0 in s.shape:
        raise InputError(
            f"similarity_matrix must be a non-empty 2-D (probes x gallery) array, got shape {s.shape}"
        )
    if np.isnan(s).any():
        raise InputError("similarity_matrix contains NaN")
    p, g = np.asarray(probe_labels), np.asarray(gallery_labels)
    if p.shape != (s.shape[0],):
        raise InputError(f"probe_labels: expected {s.shape[0]} labels (one per row), got shape {p.shape}")
    if g.shape != (s.shape[1],):
        raise InputError(f"gallery_labels: expected {s.shape[1]} labels (one per column), got shape {g.shape}")
    ids, inv = np.unique(g, return_inverse=True)
    order = np.argsort(inv, kind="stable")
    starts = np.r_[0, np.flatnonzero(np.diff(inv[order])) + 1]
    return np.maximum.reduceat(s[:, order], starts, axis=1), ids, p


def _true_scores_and_ranks(
    s_id: np.ndarray, ids: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For mated probes: the true identity's score and its pessimistic rank (1-based)."""
    true = s_id[np.arange(labels.size), np.searchsorted(ids, labels)]
    return true, (s_id >= true[:, None]).sum(axis=1)


def cmc(
    similarity_matrix: ArrayLike,
    probe_labels: ArrayLike,
    gallery_labels: ArrayLike,
    ranks: Sequence[int] = (1, 5, 10),
) -> dict[str, Any]:
    """Closed-set rank-k identification rates: {"rates": {k: rate}, "n_probes", "n_skipped"}.

    Only mated probes count (n_probes); non-mated ones are skipped (n_skipped). rate(k) is
    the fraction whose true identity has pessimistic rank <= k (1 + number of other
    identities scoring >= it).
    """
    s_id, ids, p = _identity_scores(similarity_matrix, probe_labels, gallery_labels)
    if not ranks or any(isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1 for k in ranks):
        raise InputError(f"ranks must be positive ints, got {ranks!r}")
    mated = np.isin(p, ids)
    if not mated.any():
        raise InputError("no probe label is in the gallery: closed-set CMC needs mated probes")
    _, rank = _true_scores_and_ranks(s_id[mated], ids, p[mated])
    return {
        "rates": {int(k): float(np.mean(rank <= k)) for k in ranks},
        "n_probes": int(mated.sum()),
        "n_skipped": int((~mated).sum()),
    }


def open_set(
    similarity_matrix: ArrayLike,
    probe_labels: ArrayLike,
    gallery_labels: ArrayLike,
    fpirs: Sequence[float] = (0.1, 0.01),
) -> dict[str, Any]:
    """Open-set FNIR at each FPIR (NIST FRVT definitions, rank 1).

    Probes whose label is absent from the gallery are non-mated. For each FPIR, t is
    `threshold_at_fmr` over the non-mated probes' top scores, so at most that fraction return
    any candidate at >= t. FNIR is the fraction of mated probes whose true identity is not
    returned at rank 1 (pessimistic ties) with a score >= t. An FPIR needing more non-mated
    probes than there are (ceil(1/fpir)) is listed in "omitted", not computed.

    Returns {"points": [{"fpir", "threshold", "fnir", "fpir_actual"}], "omitted": [fpir],
    "n_mated", "n_non_mated"}.
    """
    s_id, ids, p = _identity_scores(similarity_matrix, probe_labels, gallery_labels)
    mated = np.isin(p, ids)
    if not mated.any():
        raise InputError("no probe label is in the gallery: FNIR needs mated probes")
    top_non_mated = s_id[~mated].max(axis=1) if (~mated).any() else np.empty(0)
    true, rank = _true_scores_and_ranks(s_id[mated], ids, p[mated])
    rank1 = rank == 1
    points = []
    for f in supported_fmrs(top_non_mated.size, fpirs):
        t = threshold_at_fmr(top_non_mated, f)
        points.append({
            "fpir": f,
            "threshold": t,
            "fnir": float(1.0 - np.mean(rank1 & (true >= t))),
            "fpir_actual": fmr_at_threshold(top_non_mated, t),
        })
    return {
        "points": points,
        "omitted": [float(f) for f in fpirs if top_non_mated.size < min_impostors(f)],
        "n_mated": int(mated.sum()),
        "n_non_mated": int(top_non_mated.size),
    }
