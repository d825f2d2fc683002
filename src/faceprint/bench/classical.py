"""The classical baselines (L*a*b* skin detector, DWT and DCT features) beside the deep pipelines.

    python -m faceprint.bench classical [--data DIR] [--workers N] [--no-lfw] [--json]

Protocols (every number in one table):
* ORL identification, k = 1, 3, 5: for each of the 40 people the images numbered 1..k are
  the gallery and the other 10 - k are probes; closed-set rank-1 rate (an identity scores as
  its best gallery image; ties count against the probe; a probe without a face is a miss).
* ORL verification: the 3,600 pairs of orl_faces/pairs.csv; accuracy with the threshold fitted
  on 9 folds and tested on the 10th. The file lists genuine pairs first, so folds are
  interleaved (pair i is in fold i mod 10).
* LFW View 2: the official 6,000 pairs and 10 folds, as `bench verification`.
A pair or probe whose image has no detected face counts as "different" / a miss.

Each classical feature is measured two ways: "unit" is what the registered embedder gives
(mean grey removed, unit vector, dot product); "paper" is the papers' matcher (raw
coefficients, Euclidean distance). The DCT combinations exist only as "unit": the paper's
weighted combination of distances of different scales is not specified enough to rebuild.

Detection: the lab-skin detector (and YuNet for reference) on dlib_examples/faces, recall
and precision with every detection kept, at IoU 0.5 and 0.3, and a breakdown of its misses
and false detections by measured cause.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

DWT_WAVELETS = ("haar", "db2", "db4")
DWT_LEVELS = (1, 2, 3, 4)
IDENT_KS = (1, 3, 5)

# -- per-image classical features -------------------------------------------------------
_w: dict[str, Any] = {}


def _init(detectors: tuple[str, ...]) -> None:
    import cv2

    from ..embedders.dct import DCTEmbedder
    from ..embedders.dwt import DWTEmbedder
    from ..models.registry import make_detector

    cv2.setNumThreads(1)
    _w["detectors"] = {d: make_detector(d) for d in detectors}
    _w["dwt"] = {(wv, lv): DWTEmbedder(wv, lv) for wv in DWT_WAVELETS for lv in DWT_LEVELS}
    _w["dct"] = DCTEmbedder()


def _features(path: str) -> dict[str, np.ndarray | None]:
    """key -> vector for the largest face of each detector: 'det>feature:unit' and ':paper'."""
    from ..embedders.base import l2_normalise
    from ..embedders.dwt import face_crop
    from ..errors import FaceprintError
    from ..image import load_image

    out: dict[str, np.ndarray | None] = {}
    try:
        image = load_image(path)
    except FaceprintError:
        return out
    for d, det in _w["detectors"].items():
        faces = det.detect(image)
        if not len(faces):
            continue
        face = faces[0]
        crop = face_crop(image, face.boxes[0])
        for (wv, lv), emb in _w["dwt"].items():
            out[f"{d}>dwt-{wv}-{lv}:unit"] = l2_normalise(emb.features(crop))
            out[f"{d}>dwt-{wv}-{lv}:paper"] = emb.features(crop, centre=False)
        dct_crop = _w["dct"].crop(image, face)[0]
        for mode, centre in (("unit", True), ("paper", False)):
            for part, v in _w["dct"].part_vectors(dct_crop, centre=centre).items():
                out[f"{d}>dct-{part}:{mode}"] = l2_normalise(v) if centre else v
    return out


def classical_features(paths: list[str], detectors: tuple[str, ...], workers: int) -> dict[str, np.ndarray]:
    """key -> (len(paths), D) float32, NaN rows where no face was found."""
    from ..progress import progress as make_bar

    result: dict[str, np.ndarray] = {}
    # spawn, not fork: a forked child of a process whose OpenCV thread pool is already
    # running can deadlock on its first cv2 call (seen under pytest).
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers, initializer=_init, initargs=(detectors,)) as pool:
        rows = pool.imap(_features, paths, chunksize=8)
        for i, feats in enumerate(make_bar(rows, total=len(paths), desc="classical", unit="img")):
            for k, v in feats.items():
                if k not in result:
                    result[k] = np.full((len(paths), v.size), np.nan, np.float32)
                result[k][i] = v
    return result


def systems(feats: dict[str, np.ndarray], n: int) -> dict[str, tuple[np.ndarray, str]]:
    """Row name -> (vectors, metric), metric 'cos' (unit rows) or 'euclid' (raw rows)."""
    from ..embedders.dct import LOCAL_PARTS, PART_WEIGHTS, PARTS
    from ..embedders.fusion import fuse

    def get(key: str, dim: int = 1) -> np.ndarray:
        return feats.get(key, np.full((n, dim), np.nan, np.float32))

    out: dict[str, tuple[np.ndarray, str]] = {}
    for det, prefix in (("lab-skin", ""), ("yunet", "yunet+")):
        if not any(k.startswith(det + ">") for k in feats):
            continue
        for wv in DWT_WAVELETS:
            for lv in DWT_LEVELS:
                out[f"{prefix}dwt-{wv}-{lv}"] = (get(f"{det}>dwt-{wv}-{lv}:unit"), "cos")
                out[f"{prefix}dwt-{wv}-{lv} (paper)"] = (get(f"{det}>dwt-{wv}-{lv}:paper"), "euclid")
        unit = {p: get(f"{det}>dct-{p}:unit") for p in PARTS}
        for p in PARTS:
            out[f"{prefix}dct-{p}"] = (unit[p], "cos")
            out[f"{prefix}dct-{p} (paper)"] = (get(f"{det}>dct-{p}:paper"), "euclid")
        out[f"{prefix}dct-local"] = (fuse([unit[p] for p in LOCAL_PARTS], [PART_WEIGHTS[p] for p in LOCAL_PARTS]),
                                     "cos")
        out[f"{prefix}dct"] = (fuse([unit[p] for p in PARTS], [PART_WEIGHTS[p] for p in PARTS]), "cos")
    return out


# -- protocols -------------------------------------------------------------------------
def pair_scores(v: np.ndarray, metric: str, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """Higher = more alike; NaN where either image had no face."""
    if metric == "cos":
        return np.einsum("ij,ij->i", v[ia], v[ib]).astype(np.float64)
    return -np.linalg.norm(v[ia].astype(np.float64) - v[ib], axis=1)


def similarity_matrix(probes: np.ndarray, gallery: np.ndarray, metric: str) -> np.ndarray:
    """probes x gallery scores; -inf where either side had no face (a sure miss)."""
    p, g = probes.astype(np.float64), gallery.astype(np.float64)
    if metric == "cos":
        s = p @ g.T
    else:
        sq = (p ** 2).sum(1)[:, None] + (g ** 2).sum(1)[None, :] - 2 * p @ g.T
        s = -np.sqrt(np.clip(sq, 0, None))
    return np.where(np.isnan(s), -np.inf, s)


def orl_split(paths: list[str], k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(is_gallery, identity, image number) per ORL path: images 1..k of each person are the gallery."""
    ids = np.array([Path(p).parent.name for p in paths])
    num = np.array([int(Path(p).stem) for p in paths])
    return num <= k, ids, num


def orl_identification(v: np.ndarray, metric: str, paths: list[str], k: int) -> float:
    from ..evaluate.identification import cmc

    gal, ids, _ = orl_split(paths, k)
    s = similarity_matrix(v[~gal], v[gal], metric)
    return cmc(s, ids[~gal], ids[gal], ranks=(1,))["rates"][1]


def read_pairs(path: Path, root: Path) -> tuple[list[str], list[str], np.ndarray, np.ndarray | None]:
    a, b, same, fold = [], [], [], []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            a.append(str(root / row["path_a"]))
            b.append(str(root / row["path_b"]))
            same.append(int(row["same"]))
            if row.get("fold"):
                fold.append(int(row["fold"]))
    return a, b, np.array(same, bool), (np.array(fold) if fold else None)


def verification_accuracy(v: np.ndarray, metric: str, ia, ib, same, folds) -> dict[str, float]:
    from ..evaluate.verification import kfold_accuracy

    acc = kfold_accuracy(pair_scores(v, metric, ia, ib), same, folds)
    return {"accuracy": acc["mean"], "std": acc["std"]}


# -- deep pipelines, for comparison ------------------------------------------------------
def deep_systems(paths: list[str], workers: int) -> dict[str, tuple[np.ndarray, str]]:
    from ..cache import Cache
    from ..thresholds import fusion_weights
    from ..evaluate.components import extract, pipeline_vectors
    from ..models.catalog import PIPELINES

    cards = [PIPELINES["fast"], PIPELINES["accurate"]]
    comps = extract(paths, cards, workers=workers, cache=Cache())
    out = {}
    for c in cards:
        weights = fusion_weights(c.name, c.embedders) if len(c.embedders) > 1 else None
        out[c.name] = (pipeline_vectors(c, comps, weights), "cos")
    return out


# -- the skin detector on dlib_examples ---------------------------------------------------
def detection_report(data: Path) -> dict[str, Any]:
    import cv2

    from ..detectors.lab_skin import LabSkinDetector
    from ..evaluate.detection import average_precision, iou, match_detections
    from ..image import load_image
    from ..models.registry import make_detector

    root = data / "dlib_examples"
    gt: dict[str, list[list[float]]] = {}
    with open(root / "faces_boxes.csv", newline="") as f:
        for row in csv.DictReader(f):
            x, y, w, h = (float(row[k]) for k in "xywh")
            gt.setdefault(row["path"], []).append([x, y, x + w, y + h])
    skin = LabSkinDetector()
    detectors = {"lab-skin": skin, "yunet": make_detector("yunet")}
    report: dict[str, Any] = {"n_images": len(gt), "n_faces": sum(map(len, gt.values())), "detectors": {}}
    found: dict[str, Any] = {}
    for name, det in detectors.items():
        per = {}
        for rel in sorted(gt):
            faces = det.detect(load_image(root / rel))
            per[rel] = (faces.boxes.astype(np.float64), faces.scores.astype(np.float64))
        found[name] = per
        rows = {}
        for thr in (0.5, 0.3):
            m = [match_detections(per[r][0], per[r][1], np.array(gt[r]), thr) for r in sorted(gt)]
            ap = average_precision(m)
            rows[f"iou{thr}"] = {k: ap[k] for k in ("recall", "precision", "ap", "n_tp", "n_det", "n_gt")}
        report["detectors"][name] = rows
    # Why the skin detector misses faces: measured per ground-truth face (IoU 0.3).
    faces_info, false_dets = [], []
    for rel in sorted(gt):
        image = load_image(root / rel)
        mask = skin.skin_mask(image)
        lab = cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
        boxes, scores = found["lab-skin"][rel]
        g = np.array(gt[rel])
        m = match_detections(boxes, scores, g, 0.3)
        ov = iou(boxes, g) if len(boxes) else np.zeros((0, len(g)))
        for j, (x1, y1, x2, y2) in enumerate(g.astype(int)):
            inner = (slice(y1 + (y2 - y1) // 4, y2 - (y2 - y1) // 4), slice(x1 + (x2 - x1) // 4, x2 - (x2 - x1) // 4))
            hit = bool((m.gt_index == j).any())
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            covering = [i for i, b in enumerate(boxes) if b[0] <= cx <= b[2] and b[1] <= cy <= b[3]]
            area = (x2 - x1) * (y2 - y1)
            biggest = max(((boxes[i][2] - boxes[i][0]) * (boxes[i][3] - boxes[i][1]) for i in covering), default=0.0)
            skin_frac = float(mask[inner].mean())
            if hit:
                cause = "found"
            elif skin_frac < 0.3:
                cause = "colour: under 30 % of the face centre is inside the skin colour box"
            elif covering and biggest > 2.0 * area:
                cause = "merged: the face's skin region joins hair, neck, hands, a neighbour or background"
            elif covering:
                cause = "box: a region covers the face but its box overlaps the truth at IoU < 0.3"
            else:
                cause = ("shape: skin-coloured, but its region failed the size/shape tests (mostly after "
                         "joining a larger, ragged region)")
            faces_info.append({"image": rel, "box": g[j].tolist(), "found": hit, "cause": cause,
                               "skin_fraction": round(skin_frac, 3), "best_iou": float(ov[:, j].max()) if len(ov) else 0.0,
                               "L": float(np.median(lab[inner][..., 0])), "a": float(np.median(lab[inner][..., 1])),
                               "b": float(np.median(lab[inner][..., 2]))})
        for i in np.flatnonzero(~m.tp):
            best = float(ov[i].max()) if ov.shape[1] else 0.0
            false_dets.append({"image": rel, "box": boxes[i].round(1).tolist(),
                               "kind": "touches a face (merged or partial)" if best > 0 else "no face at all "
                               "(skin-coloured background, hands, arms, clothes)"})
    causes: dict[str, int] = {}
    for f in faces_info:
        causes[f["cause"]] = causes.get(f["cause"], 0) + 1
    kinds: dict[str, int] = {}
    for f in false_dets:
        kinds[f["kind"]] = kinds.get(f["kind"], 0) + 1
    hits = [f for f in faces_info if f["found"]]
    misses = [f for f in faces_info if not f["found"]]
    report["lab_skin_failures_iou0.3"] = {
        "faces_by_cause": causes, "false_detections_by_kind": kinds,
        "median_L_found": float(np.median([f["L"] for f in hits])) if hits else None,
        "median_L_missed": float(np.median([f["L"] for f in misses])) if misses else None,
        "faces": faces_info, "false_detections": false_dets,
    }
    return report


# -- DCT part weights -----------------------------------------------------------------------
def part_rates(data: Path, workers: int) -> dict[str, float]:
    """Rank-1 rate of each DCT part alone (unit, lab-skin) on LFW ident_min20 (the PART_WEIGHTS)."""
    from ..embedders.dct import PARTS
    from ..evaluate.identification import cmc

    lfw = data / "lfw_deepfunneled"
    paths, ids, gallery = [], [], []
    with open(lfw / "ident_min20.csv", newline="") as f:
        for row in csv.DictReader(f):
            paths.append(str(lfw / row["path"]))
            ids.append(row["identity"])
            gallery.append(row["role"] == "gallery")
    ids_a, gal = np.array(ids), np.array(gallery)
    feats = classical_features(paths, ("lab-skin",), workers)
    rates = {}
    for p in PARTS:
        v = feats.get(f"lab-skin>dct-{p}:unit", np.full((len(paths), 1), np.nan, np.float32))
        rates[p] = cmc(similarity_matrix(v[~gal], v[gal], "cos"), ids_a[~gal], ids_a[gal], ranks=(1,))["rates"][1]
    return rates


# -- the table -------------------------------------------------------------------------------
def accuracy_table(data: Path, workers: int, lfw: bool = True) -> dict[str, dict[str, Any]]:
    orl = data / "orl_faces"
    orl_paths = sorted((str(p) for p in (orl / "images").glob("s*/*.pgm")),
                       key=lambda p: (int(Path(p).parent.name[1:]), int(Path(p).stem)))
    index = {p: i for i, p in enumerate(orl_paths)}
    a, b, same, _ = read_pairs(orl / "pairs.csv", orl)
    orl_pairs = (np.array([index[p] for p in a]), np.array([index[p] for p in b]), same, np.arange(len(same)) % 10)
    groups = [("orl", orl_paths, orl_pairs)]
    if lfw:
        root = data / "lfw_deepfunneled"
        a, b, same, fold = read_pairs(root / "pairs.csv", root)
        images = sorted(set(a) | set(b))
        idx = {p: i for i, p in enumerate(images)}
        groups.append(("lfw", images, (np.array([idx[p] for p in a]), np.array([idx[p] for p in b]), same, fold)))
    table: dict[str, dict[str, Any]] = {}
    for name, paths, (ia, ib, same, folds) in groups:
        found = systems(classical_features(paths, ("lab-skin", "yunet"), workers), len(paths))
        found.update(deep_systems(paths, workers))
        for row, (v, metric) in found.items():
            rec = table.setdefault(row, {"metric": metric})
            rec[f"{name}_no_face"] = int(np.isnan(v[:, 0]).sum())
            if name == "orl":
                for k in IDENT_KS:
                    rec[f"orl_rank1_k{k}"] = orl_identification(v, metric, paths, k)
                rec["orl_verification"] = verification_accuracy(v, metric, ia, ib, same, folds)["accuracy"]
            else:
                acc = verification_accuracy(v, metric, ia, ib, same, folds)
                rec["lfw_view2"], rec["lfw_view2_std"] = acc["accuracy"], acc["std"]
    return table


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:5.1f}"


def print_report(table: dict[str, dict[str, Any]], detection: dict[str, Any] | None, rates: dict | None) -> None:
    from ..models.catalog import PIPELINES

    print("Rank-1 on ORL (first k images per person as gallery), ORL verification (3,600 pairs, 10-fold, "
          "folds interleaved), LFW View 2 (10-fold). '*' = registered pipeline (--model NAME); "
          "'(paper)' = raw coefficients + Euclidean distance; others = unit vectors + dot product.")
    head = (f"{'system':26} {'ORL k=1':>8} {'k=3':>6} {'k=5':>6} {'ORL ver':>8} {'LFW View 2':>13} "
            f"{'no face ORL/LFW':>16}")
    print(head)
    print("-" * len(head))
    for row, r in table.items():
        mark = "*" if row in PIPELINES else " "
        lfw = f"{_pct(r.get('lfw_view2'))} ± {_pct(r.get('lfw_view2_std')).strip()}" if "lfw_view2" in r else "-"
        print(f"{mark}{row:25} {_pct(r['orl_rank1_k1']):>8} {_pct(r['orl_rank1_k3']):>6} {_pct(r['orl_rank1_k5']):>6} "
              f"{_pct(r['orl_verification']):>8} {lfw:>13} {r['orl_no_face']:>7}/{r.get('lfw_no_face', '-')}")
    if rates:
        print("\nDCT part rank-1 rates on LFW ident_min20 (lab-skin, unit; the DCT weights): "
              + ", ".join(f"{k} {v:.4f}" for k, v in rates.items()))
    if detection:
        print(f"\nDetection on dlib_examples/faces ({detection['n_faces']} faces in {detection['n_images']} photos; "
              "every detection kept)")
        for name, rows in detection["detectors"].items():
            print(f"  {name:9} " + "   ".join(
                f"IoU {k[3:]}: recall {r['recall']:.3f} precision {r['precision']:.3f} AP {r['ap']:.3f} "
                f"({r['n_tp']}/{r['n_gt']} faces, {r['n_det']} detections)" for k, r in rows.items()))
        fail = detection["lab_skin_failures_iou0.3"]
        print("  lab-skin, every ground-truth face by cause (IoU 0.3):")
        for cause, n in sorted(fail["faces_by_cause"].items(), key=lambda kv: -kv[1]):
            print(f"    {n:3}  {cause}")
        print("  lab-skin false detections (IoU 0.3):")
        for kind, n in fail["false_detections_by_kind"].items():
            print(f"    {n:3}  {kind}")
        print(f"  median L* of the face centre: found {fail['median_L_found']}, missed {fail['median_L_missed']}")


def run(args: argparse.Namespace) -> int:
    data = Path(args.data)
    if not (data / "orl_faces" / "pairs.csv").is_file():
        print(f"no ORL data under {data} (set --data or FACEPRINT_DATA)", file=sys.stderr)
        return 2
    workers = args.workers or os.cpu_count() or 1
    rates = part_rates(data, workers) if args.part_rates else None
    table = accuracy_table(data, workers, lfw=not args.no_lfw)
    detection = detection_report(data) if (data / "dlib_examples" / "faces_boxes.csv").is_file() else None
    if args.json:
        print(json.dumps({"table": table, "detection": detection, "dct_part_rates": rates}, indent=2))
    else:
        print_report(table, detection, rates)
    return 0


def add_parser(sub: Any) -> None:
    from ..calibrate import default_data_dir

    p = sub.add_parser("classical", help="lab-skin / DWT / DCT baselines beside the deep pipelines: ORL "
                       "identification and verification, LFW View 2, skin detector recall/precision")
    p.add_argument("--data", default=str(default_data_dir()))
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--no-lfw", action="store_true", help="skip LFW View 2 (ORL and detection only)")
    p.add_argument("--part-rates", action="store_true",
                   help="also measure each DCT part's rank-1 rate on LFW ident_min20 (the DCT weights)")
    p.add_argument("--json", action="store_true")
