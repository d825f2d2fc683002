"""`faceprint eval detection`: each detector against ground-truth boxes.

Detections are matched to boxes by the PASCAL VOC rule at `--iou` (default 0.5); the
report gives precision and recall with every detection kept, all-point AP, and the FDDB
"discrete score" curve (true positive rate against the count of false positives).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .detection import average_precision, match_detections, tp_fp_curve
from .inputs import Boxes, images_digest
from .report import Report, fmt, pct


def resolve_detectors(names: Sequence[str] | None) -> list[str]:
    """Detector names (all registered ones when None); an unknown name lists the valid ones."""
    from ..errors import UnknownModelError
    from ..models.registry import DETECTORS

    names = list(dict.fromkeys(names)) if names else list(DETECTORS)
    for n in names:
        if n not in DETECTORS:
            raise UnknownModelError(f"unknown detector {n!r}; valid names: {', '.join(sorted(DETECTORS))}")
    return names


def detector_info(name: str) -> dict[str, Any]:
    from ..models.catalog import MODELS

    m = MODELS[name]
    return {"name": name, "id": name, "version": "1", "summary": m.summary, "detector": name, "embedders": [],
            "flip": False, "fusion_weights": None, "calibration": None,
            "parts": [{"name": name, "task": m.task, "summary": m.summary, "licence": m.licence, "origin": m.origin,
                       "files": [{"path": f.path, "distribution": f.distribution, "sha256": f.sha256}
                                 for f in m.files]}]}


def run(boxes: Boxes, names: Sequence[str], report: Report, out_dir: Path, *, iou: float = 0.5,
        progress: bool = True) -> Report:
    from ..errors import FaceprintError
    from ..image import load_image
    from ..models.registry import make_detector
    from ..progress import progress as make_bar
    from . import plots

    images = sorted(boxes.boxes)
    report.inputs = {"boxes": boxes.source.to_dict(),
                     "images": {"path": str(boxes.root), **images_digest(images, boxes.root)}}
    curves = {}
    for name in names:
        detector = make_detector(name)
        report.models.append(detector_info(name))
        matches, unreadable = [], []
        for p in make_bar(images, desc=name, unit="img", enabled=progress):
            gt = boxes.boxes[p]
            try:
                faces = detector.detect(load_image(boxes.root / p))
            except FaceprintError as e:
                # An unreadable image detects nothing: its faces are misses, never dropped.
                unreadable.append(f"{p}: {e}")
                faces = None
            pred = faces.boxes if faces is not None else np.zeros((0, 4))
            score = faces.scores if faces is not None else np.zeros(0)
            matches.append(match_detections(pred, score, gt, iou))
        ap = average_precision(matches)
        fp, tp, thr = tp_fp_curve(matches)
        report.results[name] = {"iou": iou, **ap, "unreadable_images": unreadable,
                                "tp_fp_curve": {"fp": fp.tolist(), "tp": tp.tolist(), "threshold": thr.tolist()},
                                "per_image": [{"path": p, "n_gt": m.n_gt, "n_det": int(m.tp.size),
                                               "n_tp": int(m.tp.sum())} for p, m in zip(images, matches)]}
        curves[name] = (fp, tp, ap["n_gt"])
    report.h2("Detection")
    report.p(f"{len(images)} images, {boxes.n_faces} ground-truth faces; a detection matches a box at IoU >= "
             f"{iou:g} (PASCAL VOC rule, each box matched once).")
    rows = [[n, pct(r["recall"]) + f" ({r['n_tp']}/{r['n_gt']})", pct(r["precision"]) + f" ({r['n_tp']}/{r['n_det']})",
             fmt(r["ap"], 3), len(r["unreadable_images"])] for n, r in report.results.items()]
    report.headline_table(["detector", f"recall @IoU {iou:g}", "precision", "AP", "unreadable images"], rows)
    for n, r in report.results.items():
        report.card_metrics.append(f"{n}: recall {r['recall']:.3f}, precision {r['precision']:.3f}, AP {r['ap']:.3f} "
                                   f"at IoU {iou:g} on {Path(boxes.source.path).name} ({r['n_gt']} faces; no interval)")
    report.h2("Plots")
    report.figure(plots.tp_fp(curves, out_dir / "tp_fp.png", f"Detection: {Path(boxes.source.path).name}"),
                  "True positive rate against the number of false positives (FDDB discrete-score style)")
    report.fairness = {"evaluated": False, "reason": "no group columns: fairness not evaluated (detection)"}
    report.quality = {"evaluated": False, "reason": "not applicable to detection"}
    report.omit("detection: no confidence intervals")
    report.intended_use = ("Finding faces in photos as the first step of faceprint's pipelines; boxes and five "
                           "landmarks for alignment. Not for counting or tracking people.")
    report.caveats += [
        "Precision is a lower bound when some visible faces have no ground-truth box.",
        "Matching uses the VOC rule on boxes, not FDDB's ellipse matching: curves are comparable in shape only.",
    ]
    if "dlib" in str(boxes.source.path).lower() and "dlib-hog" in names:
        report.caveats.append("The dlib_examples boxes came with dlib's own HOG detector example, so dlib-hog's "
                              "score on them is not an independent measurement.")
    if boxes.n_faces < 100:
        report.caveats.append(f"Only {boxes.n_faces} faces: a smoke test, not a benchmark.")
    return report
