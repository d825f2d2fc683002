"""Error-versus-Discard curves (ISO/IEC 29794-1): does discarding low-quality images cut errors?

A pair's quality is the lower of its two images' qualities (read from a `path,quality`
CSV, e.g. written from `faceprint analyze`). The threshold is fixed once on all pairs (at
the given FMR over all impostors); the curve itself is computed by
`evaluate.quality_evd.error_vs_discard`. A useful quality measure makes FNMR fall faster
than random discarding; the area up to `max_discard` summarises it (lower is better).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .inputs import EvalInputError, InputFile, _read
from .verification import supported_fmrs, threshold_at_fmr

DISCARD = np.round(np.arange(0.0, 0.51, 0.01), 2)


def read_quality(path: str | Path) -> tuple[dict[str, float], InputFile]:
    """`path,quality` (quality: a finite number, higher = better) -> {path: quality}."""
    rows, src = _read(path, "quality", ("path", "quality"), ("path", "quality"))
    out = {}
    for i, r in enumerate(rows, 2):
        try:
            q = float((r.get("quality") or "").strip())
        except ValueError:
            raise EvalInputError(f"quality file {path}, line {i}: quality must be a number") from None
        if not math.isfinite(q):
            raise EvalInputError(f"quality file {path}, line {i}: quality must be finite")
        out[(r.get("path") or "").strip()] = q
    return out, src


def edc(scores: np.ndarray, same: np.ndarray, pair_quality: np.ndarray, *, fmr: float,
        discard: Sequence[float] = DISCARD, max_discard: float = 0.2, repeats: int = 200) -> dict[str, Any]:
    """The EDC of `faceprint.evaluate.quality_evd.error_vs_discard`, with the threshold fixed at `fmr`.

    A share of all pairs (lowest pair quality first) is discarded; FNMR is measured on the
    genuine pairs kept, next to the mean and 5-95 % band of random discards of the same share.
    """
    from .quality_evd import error_vs_discard

    threshold = threshold_at_fmr(scores[~same], fmr)
    c = error_vs_discard(scores, same, pair_quality, threshold, discard, repeats=repeats)
    d = np.asarray(c.fractions, float)
    mask = d <= max_discard + 1e-12
    return {"fmr": fmr, "threshold": threshold, "discard": d.tolist(), "fnmr": c.fnmr_quality.tolist(),
            "fnmr_random_mean": c.fnmr_random.tolist(), "fnmr_random_p5": c.fnmr_random_low.tolist(),
            "fnmr_random_p95": c.fnmr_random_high.tolist(), "fmr_kept": c.fmr_quality.tolist(),
            "area_to": max_discard, "area": float(np.trapezoid(c.fnmr_quality[mask], d[mask])),
            "random_repeats": repeats, "n_genuine": int(c.n_genuine)}


def edc_fmr(n_impostors: int, preferred: Sequence[float] = (1e-3, 1e-2, 1e-1)) -> float | None:
    """The lowest FMR among `preferred` that the impostor count supports (None if none does)."""
    ok = supported_fmrs(n_impostors, preferred)
    return min(ok) if ok else None


def pair_quality(quality: dict[str, float], path_a: Sequence[str], path_b: Sequence[str], where: str) -> np.ndarray:
    missing = sorted({p for p in (*path_a, *path_b) if p not in quality})
    if missing:
        raise EvalInputError(f"{where}: no quality for {len(missing)} image(s), e.g. {', '.join(missing[:3])}")
    return np.minimum([quality[p] for p in path_a], [quality[p] for p in path_b])

