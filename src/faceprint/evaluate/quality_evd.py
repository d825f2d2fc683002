"""Error-versus-Discard (EvD): does dropping low-quality comparisons remove the errors?

For a fixed threshold (calibrated for a target FMR on all pairs), discard the share f of
pairs with the lowest pair quality (the min of the two faces' qualities, as ISO/IEC
29794-1 suggests) and measure FNMR on the genuine pairs left. A useful quality measure
lowers FNMR faster than discarding the same share at random, which in expectation
leaves FNMR unchanged (its spread over random draws is reported too).

Conventions follow `evaluate.verification`: label 1 = genuine; same iff score >= threshold;
a NaN score (a face that was not found) is a non-match that no threshold can accept.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from numpy.typing import ArrayLike

from ..batch import ImageJob
from ..errors import InputError

MEASURES_CACHE_VERSION = "quality-measures-v1"


@dataclass(frozen=True)
class EvdCurve:
    fractions: np.ndarray  # share of pairs discarded
    fnmr_quality: np.ndarray  # FNMR after discarding the lowest-quality pairs
    fnmr_random: np.ndarray  # mean FNMR after random discards of the same share
    fnmr_random_low: np.ndarray  # 5th percentile over random draws
    fnmr_random_high: np.ndarray  # 95th percentile
    fmr_quality: np.ndarray  # FMR of the kept impostor pairs at the same threshold
    threshold: float
    n_pairs: int
    n_genuine: int
    repeats: int

    def at(self, fraction: float) -> dict[str, float]:
        i = int(np.argmin(np.abs(self.fractions - fraction)))
        return {"discarded": float(self.fractions[i]), "fnmr_quality": float(self.fnmr_quality[i]),
                "fnmr_random": float(self.fnmr_random[i]), "fnmr_random_p5": float(self.fnmr_random_low[i]),
                "fnmr_random_p95": float(self.fnmr_random_high[i]), "fmr_quality": float(self.fmr_quality[i])}

    def to_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "n_pairs": self.n_pairs, "n_genuine": self.n_genuine,
                "random_repeats": self.repeats, "points": [self.at(f) for f in self.fractions]}


def _fnmr_kept(fail: np.ndarray, genuine: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """FNMR over kept genuine pairs; `keep` is (..., n) bool."""
    g = keep & genuine
    return (g & fail).sum(-1) / np.maximum(g.sum(-1), 1)


def error_vs_discard(scores: ArrayLike, labels: ArrayLike, pair_quality: ArrayLike, threshold: float,
                     fractions: Sequence[float] = (0.0, 0.05, 0.10, 0.20), *, repeats: int = 1000,
                     seed: int = 0) -> EvdCurve:
    """FNMR at `threshold` after discarding each share of lowest-quality pairs, and at random.

    Ties in quality are broken at random (seeded), so a block of equal qualities is not
    discarded in input order. NaN quality ranks lowest (nothing measured, nothing trusted).
    """
    s = np.asarray(scores, np.float64)
    y = np.asarray(labels)
    q = np.asarray(pair_quality, np.float64)
    if s.ndim != 1 or y.shape != s.shape or q.shape != s.shape or s.size == 0:
        raise InputError(f"scores, labels and pair_quality must be equal-length 1-D arrays, got "
                         f"{s.shape}, {y.shape}, {q.shape}")
    y = y.astype(bool)
    if not y.any():
        raise InputError("no genuine pairs: FNMR is undefined")
    f = np.asarray(fractions, np.float64)
    if f.ndim != 1 or (f < 0).any() or (f >= 1).any():
        raise InputError(f"fractions must be in [0, 1), got {fractions!r}")
    n = s.size
    fail = ~(s >= threshold)  # NaN compares False: a failed pair is a non-match
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(n), np.where(np.isnan(q), -np.inf, q)))  # ascending quality
    rank = np.empty(n, int)
    rank[order] = np.arange(n)
    ks = np.round(f * n).astype(int)
    keep_q = rank[None, :] >= ks[:, None]
    fnmr_q = _fnmr_kept(fail, y, keep_q)
    imp = keep_q & ~y
    fmr_q = (imp & ~fail).sum(-1) / np.maximum(imp.sum(-1), 1)
    rand = np.empty((repeats, f.size))
    for r in range(repeats):
        rrank = rng.permutation(n)
        rand[r] = _fnmr_kept(fail, y, rrank[None, :] >= ks[:, None])
    return EvdCurve(f, fnmr_q, rand.mean(0), np.percentile(rand, 5, axis=0), np.percentile(rand, 95, axis=0),
                    fmr_q, float(threshold), n, int(y.sum()), repeats)


def plot_evd(curves: dict[str, EvdCurve], path: str | os.PathLike[str], title: str = "") -> Path:
    """Write an EvD plot (FNMR against share discarded) as a PNG; one line per named curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    first = next(iter(curves.values()))
    ax.fill_between(100 * first.fractions, 100 * first.fnmr_random_low, 100 * first.fnmr_random_high,
                    color="0.85", label="random discard (5-95 %)")
    ax.plot(100 * first.fractions, 100 * first.fnmr_random, color="0.4", ls="--", label="random discard (mean)")
    for name, c in curves.items():
        ax.plot(100 * c.fractions, 100 * c.fnmr_quality, lw=2, label=name)
    ax.set_xlabel("pairs discarded, lowest quality first (%)")
    ax.set_ylabel(f"FNMR at threshold {first.threshold:.3f} (%)")
    ax.set_title(title, fontsize=9)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out)
    plt.close(fig)
    return out


# -- per-image quality measures of a data set (multiprocess, cached) ------------------------
@dataclass
class MeasureJob(ImageJob):
    """The quality measures of an image's largest face."""

    detector: str
    embedder: str

    def __post_init__(self) -> None:
        self.fields = (f"{MEASURES_CACHE_VERSION}:{self.detector}>{self.embedder}",)

    def setup(self) -> None:
        from ..models.registry import make_detector, make_embedder

        self._detector = make_detector(self.detector)
        self._embedder = make_embedder(self.embedder)

    def run(self, source: str, wanted: frozenset[str]) -> dict[str, Any]:
        from ..assessors.quality import measure
        from ..cache import Miss
        from ..errors import FaceprintError
        from ..image import load_image

        try:
            image = load_image(source)
        except (OSError, FaceprintError) as e:
            return dict.fromkeys(self.fields, Miss(f"{type(e).__name__}: {e}"))
        faces = self._detector.detect(image)
        if not len(faces):
            return dict.fromkeys(self.fields, Miss("no face"))
        return dict.fromkeys(self.fields, measure(image, faces[:1], self._embedder)[0].astype(np.float32))


def image_measures(paths: Sequence[str], *, detector: str = "yunet", embedder: str = "sface",
                   workers: int | None = None, cache: Any = None, progress: bool = True) -> np.ndarray:
    """(len(paths), len(MEASURES)) quality measures of each image's largest face; NaN rows if none.

    `cache` is a `faceprint.cache.Cache`; its entries are keyed by file content and by the
    measure version, detector and embedder, so a changed image or model is measured anew.
    """
    from ..assessors.quality import MEASURES
    from ..batch import map_images

    job = MeasureJob(detector, embedder)
    out = np.full((len(paths), len(MEASURES)), np.nan)
    for i, item in enumerate(map_images(job, paths, workers=workers, cache=cache, desc="quality",
                                        progress=progress)):
        v = item.values[job.fields[0]]
        if isinstance(v, np.ndarray):
            out[i] = v
    return out
