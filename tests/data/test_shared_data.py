"""Accuracy on real labelled photos from ../shared/data (skipped when it is absent).

The LFW View 1 test pairs are held out of calibration (`faceprint.calibrate` drops every
identity that appears in them), so the accuracy here is measured with thresholds that
never saw these people.
"""

from __future__ import annotations

import csv
from collections import defaultdict

import numpy as np
import pytest

from faceprint.cache import Cache
from faceprint.thresholds import threshold_for
from faceprint.evaluate.components import extract, pipeline_vectors
from faceprint.evaluate.detection import average_precision, match_detections
from faceprint.models.catalog import PIPELINES


@pytest.fixture(scope="module")
def devtest(shared_data):
    lfw = shared_data / "lfw_deepfunneled"
    with open(lfw / "pairs_devtest.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    images = sorted({r[k] for r in rows for k in ("path_a", "path_b")})
    index = {p: i for i, p in enumerate(images)}
    cards = [PIPELINES["accurate"], PIPELINES["fast"]]
    comps = extract([str(lfw / p) for p in images], cards, workers=2, cache=Cache(), progress=False)
    ia = np.array([index[r["path_a"]] for r in rows])
    ib = np.array([index[r["path_b"]] for r in rows])
    same = np.array([r["same"] == "1" for r in rows])
    return comps, ia, ib, same


@pytest.mark.parametrize("name, floor", [("accurate", 0.985), ("fast", 0.975)])
def test_lfw_view1_test_pairs_with_the_calibrated_threshold(devtest, name, floor):
    from faceprint.thresholds import fusion_weights

    comps, ia, ib, same = devtest
    card = PIPELINES[name]
    v = pipeline_vectors(card, comps, fusion_weights(name, card.embedders))
    assert not np.isnan(v[:, 0]).any(), "YuNet missed a face in the View 1 test images"
    scores = np.einsum("ij,ij->i", v[ia], v[ib])
    t = threshold_for(name, 1e-3)
    decided = scores >= t
    accuracy = float(np.mean(decided == same))
    false_matches = int(np.sum(decided & ~same))
    print(f"\n{name}: accuracy {accuracy:.4f} at the FMR 1e-3 threshold {t:.4f}; "
          f"{false_matches}/{int((~same).sum())} false matches, "
          f"{int(np.sum(~decided & same))}/{int(same.sum())} false non-matches")
    assert accuracy >= floor
    # 500 impostor pairs: at a true FMR of 1e-3 the expected count is 0.5; 4 or more would
    # happen with probability < 0.2 %, so it would mean the calibration does not transfer.
    assert false_matches <= 3


def test_detection_recall_on_dlib_group_photos(shared_data, fast):
    root = shared_data / "dlib_examples"
    gt = defaultdict(list)
    with open(root / "faces_boxes.csv", newline="") as f:
        for r in csv.DictReader(f):
            x, y, w, h = (float(r[k]) for k in "xywh")
            gt[r["path"]].append([x, y, x + w, y + h])
    results = {0.4: [], 0.5: []}
    for path, boxes in gt.items():
        faces = fast.detect(root / path)
        for thr in results:
            results[thr].append(match_detections(faces.boxes, faces.scores, np.array(boxes), thr))
    summary = {thr: average_precision(r) for thr, r in results.items()}
    print("\nYuNet on dlib_examples/faces: " + "; ".join(
        f"IoU {thr}: recall {s['recall']:.3f} ({s['n_tp']}/{s['n_gt']}), precision {s['precision']:.3f}, "
        f"AP {s['ap']:.3f}" for thr, s in summary.items()))
    assert summary[0.4]["n_gt"] == 43
    # The boxes are coarse squares (see the data README): match at IoU 0.4 as it advises.
    assert summary[0.4]["recall"] >= 0.95
