"""Error-versus-Discard of face quality on LFW View 2 (6,000 official pairs).

    python -m faceprint.bench quality --out /tmp/evd [--model accurate] [--folds 1,2,3]

Pair scores are the pipeline's (cached components), the threshold is the one shipped
for FMR 1e-3 (`calibration.json`; measured on all pairs of LFW minus the View 1 test
people), pair quality = min of the two images' qualities (largest face, YuNet + SFace
recognizability). Writes `evd_lfw.png` into `--out` and prints the numbers.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

FRACTIONS = (0.05, 0.10, 0.20)


def lfw_evd(lfw: Path, model: str, folds: list[int] | None = None, workers: int | None = None,
            repeats: int = 1000, progress: bool = True) -> dict:
    """EvD curves (full quality, capture-only, recognizability-only) and their context."""
    from .. import thresholds
    from ..assessors.quality import M, score
    from ..cache import Cache, default_cache_dir
    from ..evaluate.components import extract, pipeline_vectors
    from ..evaluate.quality_evd import error_vs_discard, image_measures
    from ..errors import InputError
    from ..evaluate.verification import threshold_at_fmr
    from ..models.registry import pipeline_card
    from .verification import read_pairs

    card = pipeline_card(model)
    a, b, same, fold = read_pairs(lfw)
    if folds:
        pick = np.isin(fold, folds)
        a, b, same, fold = [p for p, k in zip(a, pick) if k], [p for p, k in zip(b, pick) if k], same[pick], fold[pick]
    images = sorted(set(a) | set(b))
    index = {p: i for i, p in enumerate(images)}
    ia, ib = np.array([index[p] for p in a]), np.array([index[p] for p in b])
    comps = extract(images, [card], workers=workers, cache=Cache(), progress=progress)
    vectors = pipeline_vectors(card, comps, thresholds.fusion_weights(card.name, card.embedders))
    scores = np.einsum("ij,ij->i", vectors[ia], vectors[ib])
    # A separate file from the embedding cache: long jobs of each do not share a writer lock.
    measures = image_measures(images, workers=workers, cache=Cache(default_cache_dir() / "quality.sqlite"),
                              progress=progress)
    try:
        threshold = thresholds.threshold_for(card.name, thresholds.DEFAULT_FMR)
        source = f"calibration.json (FMR {thresholds.rate_text(thresholds.DEFAULT_FMR)})"
    except InputError:  # no shipped calibration: measure it on these impostors (stated in the output)
        threshold = threshold_at_fmr(np.nan_to_num(scores[~same], nan=-1.0), thresholds.DEFAULT_FMR)
        source = f"these pairs' impostors (FMR {thresholds.rate_text(thresholds.DEFAULT_FMR)}; no calibration.json)"
    variants = {"quality": measures.copy()}
    capture = measures.copy()
    capture[:, M["stability"]] = np.nan  # nan = no penalty: the capture and pose terms alone
    variants["capture + pose only"] = capture
    fine = np.round(np.arange(0, 0.301, 0.01), 2)
    curves, table = {}, {}
    for name, m in variants.items():
        q, _ = score(m)
        q = np.where(np.isnan(m[:, 0]), 0.0, q)  # no face found: lowest quality
        pq = np.minimum(q[ia], q[ib])
        curves[name] = error_vs_discard(scores, same, pq, threshold, fine, repeats=repeats)
        table[name] = [curves[name].at(f) for f in FRACTIONS]
    stab = measures[:, M["stability"]]
    ps = np.minimum(np.nan_to_num(stab[ia], nan=-1), np.nan_to_num(stab[ib], nan=-1))
    curves["recognizability only"] = error_vs_discard(scores, same, ps, threshold, fine, repeats=repeats)
    table["recognizability only"] = [curves["recognizability only"].at(f) for f in FRACTIONS]
    q_all, reasons = score(measures)
    counts: dict[str, int] = {}
    for r, m in zip(reasons, measures):
        for name in (r if not np.isnan(m[0]) else ["no_face"]):
            counts[name] = counts.get(name, 0) + 1
    return {"model": card.name, "pairs": int(len(same)), "genuine": int(same.sum()), "images": len(images),
            "folds": sorted(set(int(f) for f in fold)), "threshold": threshold, "threshold_source": source,
            "fnmr_all": curves["quality"].at(0.0)["fnmr_quality"], "table": table, "curves": curves,
            "reason_counts": dict(sorted(counts.items(), key=lambda kv: -kv[1])),
            "median_quality": float(np.nanmedian(q_all))}


def run(args: argparse.Namespace) -> int:
    from .. import thresholds
    from ..evaluate.quality_evd import plot_evd

    lfw = Path(args.data) / "lfw_deepfunneled"
    if not (lfw / "pairs.csv").is_file():
        print(f"no LFW data at {lfw} (set --data or FACEPRINT_DATA)")
        return 2
    folds = [int(x) for x in args.folds.split(",")] if args.folds else None
    res = lfw_evd(lfw, args.model, folds, args.workers, args.repeats)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    png = plot_evd(res["curves"], out / "evd_lfw.png",
                   f"LFW View 2, {res['pairs']} pairs, {res['model']}, FNMR at FMR {thresholds.rate_text(thresholds.DEFAULT_FMR)} threshold")
    report = {k: v for k, v in res.items() if k != "curves"}
    report["png"] = str(png)
    report["curves"] = {k: c.to_dict() for k, c in res["curves"].items()}
    (out / "evd_lfw.json").write_text(json.dumps(report, indent=2))
    if args.json:
        print(json.dumps({k: v for k, v in report.items() if k != "curves"}, indent=2))
        return 0
    print(f"LFW View 2 EvD: {res['pairs']} pairs ({res['genuine']} genuine), folds {res['folds']}, "
          f"pipeline {res['model']}")
    print(f"threshold {res['threshold']:.4f} from {res['threshold_source']}; FNMR with nothing discarded "
          f"{100 * res['fnmr_all']:.2f} %")
    header = "  ".join(f"{name:>22}" for name in res["table"])
    print(f"{'discarded':>9}  {header}  {'random (mean, 5-95 %)':>26}")
    for j, f in enumerate(FRACTIONS):
        cells = "  ".join(f"{100 * rows[j]['fnmr_quality']:21.2f}%" for rows in res["table"].values())
        r = res["table"]["quality"][j]
        print(f"{100 * f:8.0f}%  {cells}  {100 * r['fnmr_random']:8.2f}% ({100 * r['fnmr_random_p5']:.2f}-"
              f"{100 * r['fnmr_random_p95']:.2f})")
    print("reasons among the images:", ", ".join(f"{k} {v}" for k, v in res["reason_counts"].items()) or "none")
    print(f"wrote {png} and {out / 'evd_lfw.json'}")
    return 0
