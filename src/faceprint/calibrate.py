"""Measure each pipeline's thresholds for the calibrated FMRs and write `models/calibration.json`.

    python -m faceprint.calibrate --data ../shared/data [--fmr 1e-2 --fmr 1e-3 --fmr 1e-4]

The rates are those the shipped file has (1e-2, 1e-3, 1e-4), unless --fmr names others:
every other part of faceprint reads the list from the file (`thresholds.calibrated_rates`).

Data: the LFW deep-funneled images in `<data>/lfw_deepfunneled` (labels.csv), minus every
identity that appears in the official View 1 test pairs (`pairs_devtest.csv`): those pairs
are the held-out check of the shipped thresholds (tests/golden), so no image of their
people is used here. Impostor scores are all pairs of images of different identities
(tens of millions, enough for FMR 1e-4); genuine scores are all same-identity pairs. The
fused pipeline's weights (1 / spread of each embedder's impostor scores) come from the
same calibration images. The threshold for a rate is the smallest similarity whose
impostor pass rate is at most that rate; `same = similarity >= threshold`.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Sequence

import numpy as np

from .cache import Cache
from .evaluate.components import extract, pipeline_vectors
from .evaluate.verification import fnmr_at_threshold, threshold_at_fmr
from .models.catalog import PIPELINES
from .models.card import PipelineCard

OUT = Path(__file__).parent / "models" / "calibration.json"


def default_data_dir() -> Path:
    """`$FACEPRINT_DATA`, else `../shared/data` relative to the working directory."""
    return Path(os.environ.get("FACEPRINT_DATA", "../shared/data"))


def calibration_images(lfw: Path) -> tuple[list[str], np.ndarray]:
    """LFW image paths and identities, without any person of the View 1 test pairs."""
    held_out = set()
    with open(lfw / "pairs_devtest.csv", newline="") as f:
        for row in csv.DictReader(f):
            held_out.update(Path(row[k]).parent.name for k in ("path_a", "path_b"))
    return lfw_without(lfw, held_out)


def lfw_without(lfw: Path, held_out: set[str]) -> tuple[list[str], np.ndarray]:
    """The paths and identities of LFW's labels.csv, without the people in `held_out`."""
    paths, ids = [], []
    with open(lfw / "labels.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["identity"] not in held_out:
                paths.append(str(lfw / row["path"]))
                ids.append(row["identity"])
    return paths, np.array(ids)


def pair_scores(vectors: np.ndarray, ids: np.ndarray, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """(genuine, impostor) cosine scores over all unordered pairs of rows (rows of NaN skipped)."""
    ok = ~np.isnan(vectors[:, 0])
    v, y = vectors[ok].astype(np.float32), ids[ok]
    gen, imp = [], []
    for start in range(0, len(v), block):
        s = v[start:start + block] @ v.T
        rows = np.arange(start, min(start + block, len(v)))[:, None]
        upper = np.arange(len(v))[None, :] > rows
        same = y[start:start + block, None] == y[None, :]
        gen.append(s[upper & same])
        imp.append(s[upper & ~same])
    return np.concatenate(gen), np.concatenate(imp)


def fusion_weights(card: PipelineCard, comps: dict[str, np.ndarray], ids: np.ndarray) -> list[float]:
    """1 / std of each part's impostor scores: z-normalisation up to a shift."""
    weights = []
    for e in card.embedders:
        part = PipelineCard(card.name, "", card.detector, (e,), card.flip)
        _, imp = pair_scores(pipeline_vectors(part, comps), ids)
        weights.append(float(1.0 / imp.std()))
    return weights


def calibrate(data: Path, workers: int | None = None, fmrs: Sequence[float] | None = None) -> dict:
    from .thresholds import calibrated_rates

    fmrs = tuple(fmrs) if fmrs else calibrated_rates()
    if not fmrs:
        raise SystemExit("no false-match rates to calibrate: pass --fmr")
    lfw = data / "lfw_deepfunneled"
    paths, ids = calibration_images(lfw)
    comps = extract(paths, PIPELINES.values(), workers=workers, cache=Cache())
    result: dict = {
        "data": "LFW deep-funneled (labels.csv) without the identities of the View 1 test pairs "
                "(pairs_devtest.csv); all different-identity pairs as impostors, all same-identity pairs as genuine",
        "rule": "threshold = smallest similarity t with fraction(impostor >= t) <= FMR; same = similarity >= t",
        "command": "python -m faceprint.calibrate --data " + str(data),
        "created": dt.date.today().isoformat(),
        "n_images": len(paths),
        "n_identities": int(len(set(ids))),
        "pipelines": {},
    }
    for card in PIPELINES.values():
        weights = fusion_weights(card, comps, ids) if len(card.embedders) > 1 else None
        vectors = pipeline_vectors(card, comps, weights)
        gen, imp = pair_scores(vectors, ids)
        thresholds = {f"{r:g}": threshold_at_fmr(imp, r) for r in fmrs}
        record = {
            "id": card.id,
            "thresholds": thresholds,
            "fnmr_on_calibration_genuine": {k: round(fnmr_at_threshold(gen, t), 5) for k, t in thresholds.items()},
            "n_images_used": int((~np.isnan(vectors[:, 0])).sum()),
            "n_images_without_face": int(np.isnan(vectors[:, 0]).sum()),
            "n_genuine_pairs": int(gen.size),
            "n_impostor_pairs": int(imp.size),
        }
        if weights is not None:
            record["fusion_weights"] = dict(zip(card.embedders, weights))
        result["pipelines"][card.name] = record
        print(f"{card.name:12} " + "  ".join(f"FMR {k}: {t:.4f}" for k, t in thresholds.items())
              + f"  ({imp.size:,} impostor, {gen.size:,} genuine pairs)", file=sys.stderr)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m faceprint.calibrate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--fmr", type=float, action="append", default=None,
                        help="a false-match rate to calibrate (repeatable; default: those the shipped file has)")
    args = parser.parse_args(argv)
    if not (args.data / "lfw_deepfunneled" / "labels.csv").is_file():
        print(f"no LFW data under {args.data} (set --data or FACEPRINT_DATA)", file=sys.stderr)
        return 2
    result = calibrate(args.data, args.workers, args.fmr)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
