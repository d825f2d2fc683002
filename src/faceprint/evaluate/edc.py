"""Error-versus-Discard curves (ISO/IEC 29794-1): does discarding low-quality images cut errors?

A pair's quality is the lower of its two images' qualities. The threshold is fixed once,
on all pairs (at the given FMR over all impostors); then the lowest-quality pairs are
discarded in steps and FNMR is measured on the genuine pairs kept. A useful quality
measure makes the curve fall fast; a random one leaves it flat. The area under the
curve up to `max_discard` summarises it (lower is better).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .inputs import EvalInputError, InputFile, _read
from .verification import fnmr_at_threshold, supported_fmrs, threshold_at_fmr

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
        discard: Sequence[float] = DISCARD, max_discard: float = 0.2) -> dict[str, Any]:
    """FNMR of the kept genuine pairs against the fraction of genuine pairs discarded (lowest quality first).

    Ties in quality are broken by pair order (stable sort), so the curve is deterministic.
    """
    imp = scores[~same]
    threshold = threshold_at_fmr(imp, fmr)
    gen, q = scores[same], pair_quality[same]
    order = np.argsort(q, kind="stable")  # lowest quality first
    fnmrs = []
    for f in discard:
        kept = gen[order[int(math.floor(f * gen.size + 1e-9)):]]
        fnmrs.append(fnmr_at_threshold(kept, threshold) if kept.size else float("nan"))
    d = np.asarray(discard, float)
    mask = d <= max_discard + 1e-12
    area = float(np.trapezoid(np.asarray(fnmrs)[mask], d[mask]))
    return {"fmr": fmr, "threshold": threshold, "discard": d.tolist(), "fnmr": fnmrs,
            "area_to": max_discard, "area": area, "n_genuine": int(gen.size)}


def edc_fmr(n_impostors: int, preferred: Sequence[float] = (1e-3, 1e-2, 1e-1)) -> float | None:
    """The lowest FMR among `preferred` that the impostor count supports (None if none does)."""
    ok = supported_fmrs(n_impostors, preferred)
    return min(ok) if ok else None


def pair_quality(quality: dict[str, float], path_a: Sequence[str], path_b: Sequence[str], where: str) -> np.ndarray:
    missing = sorted({p for p in (*path_a, *path_b) if p not in quality})
    if missing:
        raise EvalInputError(f"{where}: no quality for {len(missing)} image(s), e.g. {', '.join(missing[:3])}")
    return np.minimum([quality[p] for p in path_a], [quality[p] for p in path_b])

