"""`faceprint eval clustering`: cluster a labelled image set per pipeline and score it.

The algorithm is the product's own (`faceprint.cluster.algorithms.average_linkage`,
stopped at the pipeline's calibrated 1:1 threshold for --fmr, unless --threshold gives
one, or --threshold-from names other labelled images to fit it on by the calibration rule),
so the numbers describe what `faceprint cluster` does. An image with no face
cannot be clustered: it becomes a singleton cluster of its own (it lowers recall).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..thresholds import DEFAULT_FMR
from ..errors import InputError
from .clustering import clustering_report
from .embedding import embed_images, model_info
from .fairness import fairness_section
from .inputs import Labels, images_digest
from .report import Report, fmt
from .run_verification import QUALITY_REASON


class ClusteringUnavailableError(InputError):
    """The clustering algorithm (faceprint.cluster.algorithms) is not installed in this tree."""

    code = "clustering_unavailable"


def load_algorithm() -> Callable[[np.ndarray, float], np.ndarray]:
    """The product's clustering entry point, imported lazily; a clear error when absent."""
    try:
        from ..cluster.algorithms import average_linkage
    except ImportError as e:
        raise ClusteringUnavailableError(f"clustering is not available: faceprint.cluster.algorithms cannot be "
                                         f"imported ({e})") from None
    return average_linkage


def cluster_with_misses(vectors: np.ndarray, threshold: float, algorithm: Callable) -> np.ndarray:
    """Cluster labels for every row; rows without a face get singleton labels after the others."""
    missed = np.isnan(vectors[:, 0])
    labels = np.empty(vectors.shape[0], np.int64)
    found = np.asarray(algorithm(vectors[~missed], threshold), np.int64) if (~missed).any() else np.zeros(0, np.int64)
    labels[~missed] = found
    start = int(found.max()) + 1 if found.size else 0
    labels[missed] = start + np.arange(int(missed.sum()))
    return labels


def fit_thresholds(fit: Labels, cards: Sequence, fmr: float, *, workers: int | None, progress: bool
                   ) -> dict[str, tuple[float, str]]:
    """Per model, the calibration rule (smallest t with impostor pass rate <= fmr) on all pairs of `fit`."""
    from ..calibrate import pair_scores
    from .verification import threshold_at_fmr

    vectors = embed_images(fit.paths, fit.root, cards, workers=workers, progress=progress)
    out = {}
    for card in cards:
        _, imp = pair_scores(vectors[card.name].vectors, fit.identities)
        out[card.name] = (threshold_at_fmr(imp, fmr), f"FMR {fmr:g} on {imp.size:,} impostor pairs of "
                                                      f"{Path(fit.source.path).name}")
    return out


def run(labels: Labels, cards: Sequence, report: Report, out_dir: Path, *, algorithm: Callable,
        threshold: float | None = None, fmr: float = DEFAULT_FMR, threshold_from: Labels | None = None,
        workers: int | None = None, max_ratio: float | None = None, progress: bool = True) -> Report:
    from ..thresholds import calibration_for, threshold_for

    thresholds = {}
    if threshold_from is not None and threshold is None:
        shared = set(threshold_from.identities) & set(labels.identities)
        if shared:
            report.caveats.append(f"--threshold-from shares {len(shared)} identities with the evaluated labels: "
                                  "its thresholds are not independent of them.")
        thresholds = fit_thresholds(threshold_from, cards, fmr, workers=workers, progress=progress)
        report.inputs["threshold_from"] = threshold_from.source.to_dict()
    for card in cards:  # resolve every threshold before the (long) embedding pass
        if card.name in thresholds:
            continue
        if threshold is not None:
            thresholds[card.name] = (float(threshold), "given by --threshold")
        else:
            try:
                thresholds[card.name] = (threshold_for(card.name, fmr), f"calibrated for FMR {fmr:g}")
            except InputError as e:
                raise InputError(f"{e}; pass --threshold or --threshold-from to cluster with {card.name}") from None
    report.inputs.update({"labels": labels.source.to_dict(),
                          "images": {"path": str(labels.root), **images_digest(labels.paths, labels.root)}})
    vectors = embed_images(labels.paths, labels.root, cards, workers=workers, progress=progress)
    for card in cards:
        mv = vectors[card.name]
        report.models.append(model_info(card, mv.weights))
        t, why = thresholds[card.name]
        pred = cluster_with_misses(mv.vectors, t, algorithm)
        res: dict[str, Any] = clustering_report(labels.identities, pred)
        res.update({"threshold": t, "threshold_source": why, "algorithm": f"{algorithm.__module__}.{algorithm.__name__}",
                    "images_without_face": int(mv.missed.sum())})
        report.results[card.name] = res
    _text(report, labels)
    extra = {c.name: {f"calibrated FMR {k}": float(v) for k, v in
                      (calibration_for(c.name) or {}).get("thresholds", {}).items()} for c in cards}
    report.fairness = fairness_section({c.name: vectors[c.name].vectors for c in cards}, labels.identities,
                                       labels.groups, extra, max_ratio=max_ratio or 1.5)
    report.quality = {"evaluated": False, "reason": QUALITY_REASON}
    report.caveats += [
        "An image with no detected face is its own singleton cluster (it counts against recall).",
        "Pairwise scores are dominated by the largest identities (pairs grow with size squared); BCubed weighs "
        "every image equally.",
    ]
    if "lfw" in str(labels.root).lower():
        report.caveats.append("LFW has a few people under two names and some mislabelled images: a perfect "
                              "clustering cannot reach 1.0 on every metric.")
    return report


def _text(report: Report, labels: Labels) -> None:
    report.h2("Clustering")
    report.p(f"{len(labels.paths):,} images of {np.unique(labels.identities).size:,} identities.")
    headers = ["model", "threshold", "no-face images", "clusters found / identities", "pairwise P / R / F1",
               "BCubed P / R / F1", "NMI"]
    rows = []
    for name, r in report.results.items():
        rows.append([name, f"{r['threshold']:.4f} ({r['threshold_source']})", r["images_without_face"],
                     f"{r['n_clusters']:,} / {r['n_true']:,}",
                     " / ".join(fmt(r[f"pairwise_{k}"], 3) for k in ("precision", "recall", "f1")),
                     " / ".join(fmt(r[f"bcubed_{k}"], 3) for k in ("precision", "recall", "f1")), fmt(r["nmi"], 3)])
        report.card_metrics.append(f"{name}: BCubed F1 {r['bcubed_f1']:.3f}, pairwise F1 {r['pairwise_f1']:.3f}, "
                                   f"NMI {r['nmi']:.3f}, {r['n_clusters']} clusters for {r['n_true']} identities "
                                   f"on {Path(labels.source.path).name} (no interval computed)")
    report.headline_table(headers, rows)
    report.omit("clustering: no confidence intervals (a bootstrap would need re-clustering per resample)")
