"""LFW View 2 accuracy (official 6,000 pairs, 10 folds) and speed of every pipeline.

Accuracy: the face of each image is the one nearest the centre (LFW's labelled person:
the images are centred crops around them); the largest-face figure, the CLI's default
rule, is printed beside it. Each fold's threshold (and, for the fused pipeline, each fold's fusion weights)
is fitted on the other nine folds only. A pair whose image has no detected face counts
as "different" (a miss is an error, not an excuse).

Speed: images/s of the whole job (decode, detect, align, embed) on one image at a time
in this process, for the same LFW images, with the face_recognition library's pipeline
(dlib HOG with one upsampling, 5-point predictor, ResNet; called on dlib directly, as
face_recognition does) as the baseline; pipelines run in alternating rounds so load on
the machine affects all alike.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import time
from pathlib import Path

import numpy as np

from ..cache import Cache
from ..evaluate.components import extract, pipeline_vectors
from ..evaluate.verification import kfold_accuracy
from ..models.card import PipelineCard
from ..models.catalog import DEFAULT_PIPELINE, PIPELINES


# Timed pipelines: the deep ones (the classical baselines are timed by `bench classical`).
SPEED_PIPELINES = ("accurate", "fast", "sface-flip", "dlib")
STAGE_PIPELINES = ("accurate", "fast")  # the per-stage table (decode ... fusion against each stage's floor)


def read_pairs(lfw: Path) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    a, b, same, fold = [], [], [], []
    with open(lfw / "pairs.csv", newline="") as f:
        for row in csv.DictReader(f):
            a.append(str(lfw / row["path_a"]))
            b.append(str(lfw / row["path_b"]))
            same.append(int(row["same"]))
            fold.append(int(row["fold"]))
    return a, b, np.array(same, bool), np.array(fold)


def _cos(v: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", v[ia], v[ib])  # NaN rows (no face) give NaN scores


def fold_fitted_fusion_scores(card: PipelineCard, comps: dict, ia, ib, same, fold) -> np.ndarray:
    """Scores of the fused pipeline where each fold's weights come from the other folds' impostors."""
    part_scores = []
    for e in card.embedders:
        part = PipelineCard(card.name, "", card.detector, (e,), card.flip)
        part_scores.append(_cos(pipeline_vectors(part, comps), ia, ib))
    out = np.full(len(same), np.nan)
    for k in np.unique(fold):
        train = (fold != k) & ~same
        weights = [1.0 / np.nanstd(s[train]) for s in part_scores]
        out[fold == k] = sum(w * s[fold == k] for w, s in zip(weights, part_scores)) / sum(weights)
    return out


def accuracy_table(lfw: Path, workers: int | None, face_rule: str = "central") -> dict[str, dict]:
    a, b, same, fold = read_pairs(lfw)
    images = sorted(set(a) | set(b))
    index = {p: i for i, p in enumerate(images)}
    ia, ib = np.array([index[p] for p in a]), np.array([index[p] for p in b])
    comps = extract(images, PIPELINES.values(), workers=workers, cache=Cache(), face_rule=face_rule)
    table = {}
    for card in PIPELINES.values():
        if len(card.embedders) > 1:
            scores = fold_fitted_fusion_scores(card, comps, ia, ib, same, fold)
        else:
            scores = _cos(pipeline_vectors(card, comps), ia, ib)
        acc = kfold_accuracy(scores, same, fold)
        missed = int(np.isnan(pipeline_vectors(card, comps)[:, 0]).sum())
        table[card.name] = {"accuracy": acc["mean"], "std": acc["std"], "stderr": acc["stderr"],
                            "images_without_face": missed, "pairs": int(len(same))}
    return table


def mirror_table(lfw: Path, workers: int | None) -> dict[str, dict]:
    """Does mirroring pay, per embedder? The fused pipeline with each part mirrored or not, and
    YuNet + dlib ResNet alone, from the same cached components (labelled face, fold-fitted weights)."""
    from ..embedders.base import merge_flipped

    a, b, same, fold = read_pairs(lfw)
    images = sorted(set(a) | set(b))
    index = {p: i for i, p in enumerate(images)}
    ia, ib = np.array([index[p] for p in a]), np.array([index[p] for p in b])
    card = PIPELINES[DEFAULT_PIPELINE]
    comps = extract(images, [card], workers=workers, cache=Cache(), face_rule="central")
    vec = {}
    for e in card.embedders:
        plain, mirrored = comps[f"{card.detector}>{e}"], comps[f"{card.detector}>{e}:mirror"]
        vec[e] = {False: plain, True: merge_flipped(plain, mirrored)}
    out = {}
    for flips in ((True, True), (True, False), (False, True), (False, False)):
        parts = [_cos(vec[e][f], ia, ib) for e, f in zip(card.embedders, flips)]
        fused = np.full(len(same), np.nan)
        for k in np.unique(fold):
            train = (fold != k) & ~same
            w = [1.0 / np.nanstd(s[train]) for s in parts]
            fused[fold == k] = sum(wi * s[fold == k] for wi, s in zip(w, parts)) / sum(w)
        label = " + ".join(f"{e}{' mirrored' if f else ''}" for e, f in zip(card.embedders, flips))
        acc = kfold_accuracy(fused, same, fold)
        out[f"fused: {label}"] = {"accuracy": acc["mean"], "std": acc["std"]}
    for e in card.embedders:
        for f in (False, True):
            acc = kfold_accuracy(_cos(vec[e][f], ia, ib), same, fold)
            out[f"{card.detector} + {e}{' mirrored' if f else ''}"] = {"accuracy": acc["mean"], "std": acc["std"]}
    return out


def _baseline_dlib(models: dict):
    """The face_recognition library's encode path, on dlib directly (HOG up 1, 5 points, ResNet)."""
    from ..image import load_image

    det, sp, net = models["hog"], models["sp"], models["net"]

    def run(path: str) -> int:
        img = load_image(path)
        rects = det(img, 1)
        if rects:
            net.compute_face_descriptor(img, sp(img, rects[0]))
        return len(rects)

    return run


def speed_images(lfw: Path, n_images: int) -> list[str]:
    a, _, _, _ = read_pairs(lfw)
    return sorted(set(a))[:: max(1, len(set(a)) // n_images)][:n_images]


def speed_table(lfw: Path, n_images: int) -> dict[str, dict]:
    import dlib

    from ..models.catalog import DLIB_RESNET
    from ..models.files import locate
    from ..pipeline import Analyzer

    images = speed_images(lfw, n_images)
    runners = {"dlib (face_recognition baseline)": _baseline_dlib({
        "hog": dlib.get_frontal_face_detector(),
        "net": dlib.face_recognition_model_v1(str(locate(DLIB_RESNET.files[0]))),
        "sp": dlib.shape_predictor(str(locate(DLIB_RESNET.files[1])))})}
    for name in SPEED_PIPELINES:
        analyzer = Analyzer.from_name(name)
        runners[name] = lambda p, an=analyzer: len(an.embed_faces(p))
    for run in runners.values():  # warm-up: first-call allocations are not the steady state
        run(images[0])
    spent = dict.fromkeys(runners, 0.0)
    rounds = 4
    chunks = np.array_split(np.arange(len(images)), rounds)
    for chunk in chunks:
        for name, run in runners.items():
            t0 = time.perf_counter()
            for i in chunk:
                run(images[i])
            spent[name] += time.perf_counter() - t0
    base = len(images) / spent["dlib (face_recognition baseline)"]
    return {name: {"images_per_s": len(images) / t, "vs_dlib": (len(images) / t) / base,
                   "ms_per_image": 1000 * t / len(images)} for name, t in spent.items()}


def run(args: argparse.Namespace) -> int:
    lfw = Path(args.data) / "lfw_deepfunneled"
    if not (lfw / "pairs.csv").is_file():
        print(f"no LFW data at {lfw} (set --data or FACEPRINT_DATA)")
        return 2
    acc = accuracy_table(lfw, args.workers, "central")
    acc_largest = accuracy_table(lfw, args.workers, "largest")
    mirror = mirror_table(lfw, args.workers)
    speed = speed_table(lfw, args.speed_images) if args.speed_images else {}
    stages = {}
    if args.speed_images:
        from .stages import stage_table

        stages = stage_table(speed_images(lfw, args.speed_images), STAGE_PIPELINES)
    report = {"machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version(),
                          "processor": platform.machine()},
              "accuracy_lfw_view2": acc, "accuracy_lfw_view2_largest_face": acc_largest, "speed": speed, "default": DEFAULT_PIPELINE,
              "speed_images": args.speed_images, "stages": stages, "mirroring": mirror}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print("LFW View 2 (6,000 official pairs, 10-fold, thresholds fitted on the other 9 folds); "
          "accuracy on the labelled (central) face, and on the largest face")
    print(f"{'pipeline':34} {'accuracy':>14} {'largest':>8} {'no face':>8} {'images/s':>9} {'vs dlib':>8}")
    base_name = "dlib (face_recognition baseline)"
    for name in [base_name, *acc]:
        a = acc.get(name) or acc.get("dlib") if name == base_name else acc[name]
        s = speed.get(name, {})
        label = name + (" (default)" if name == DEFAULT_PIPELINE else "")
        acc_text = f"{100 * a['accuracy']:.2f} ± {100 * a['std']:.2f}" if name != base_name else "= dlib row"
        largest = f"{100 * acc_largest[name]['accuracy']:.2f}" if name != base_name else ""
        print(f"{label:34} {acc_text:>14} {largest:>8} {a['images_without_face'] if name != base_name else '':>8} "
              f"{s.get('images_per_s', float('nan')):9.2f} {s.get('vs_dlib', float('nan')):7.2f}x")
    print(f"(speed: {args.speed_images} LFW images, one at a time, in this process, on {report['machine']['cpus']} "
          "cores)")
    print("\nMirroring per embedder (LFW View 2, labelled face; fused weights fitted on the other 9 folds)")
    for name, r in mirror.items():
        print(f"  {name:52} {100 * r['accuracy']:.2f} ± {100 * r['std']:.2f}")
    if stages:
        from .stages import print_stage_table

        print_stage_table(stages)
    return 0
