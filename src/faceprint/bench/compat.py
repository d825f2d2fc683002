"""python -m faceprint.bench compat: the face_recognition shim against the original library.

* speed: detect + encode per image, each detector option against the original's "hog",
  all in this process (ratios survive a loaded machine); and whether the encodings are
  bit-identical to the original's;
* tolerance: what face_recognition's tolerances mean as false-match and false-non-match
  rates, on LFW images of the calibration data (no View 1 test identity), all pairs;
* --fit-box: the YuNet -> dlib-HOG box mapping constants used by model="yunet".
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from ..calibrate import calibration_images, default_data_dir

TOLERANCES = (0.40, 0.45, 0.50, 0.55, 0.60)


def add_parser(sub) -> None:
    p = sub.add_parser("compat", help="face_recognition shim vs the original: speed per detector, identity, "
                       "what a tolerance means as a false-match rate")
    p.add_argument("--data", default=str(default_data_dir()))
    p.add_argument("--images", type=int, default=30, help="LFW images timed per option (0: skip timing)")
    p.add_argument("--pair-images", type=int, default=600, help="LFW images whose all pairs give FMR/FNMR "
                   "(0: skip)")
    p.add_argument("--fit-box", type=int, default=0, metavar="N", help="fit the YuNet -> HOG box map on N images")
    p.add_argument("--json", action="store_true")


def _sample(data: Path, n: int, seed: int, *, repeated: bool = False) -> tuple[list[str], np.ndarray]:
    """n random calibration images (`repeated`: only of people with 2+ images, so pairs are genuine too)."""
    paths, ids = calibration_images(data / "lfw_deepfunneled")
    pool = np.arange(len(paths))
    if repeated:
        names, counts = np.unique(ids, return_counts=True)
        pool = pool[np.isin(ids, names[counts >= 2])]
    pick = np.random.default_rng(seed).choice(pool, min(n, len(pool)), replace=False)
    return [paths[i] for i in pick], ids[pick]


def _speed(paths: list[str]) -> dict:
    from ..compat.face_recognition import api as ours

    try:
        import face_recognition as original
    except ImportError:
        original = None
    images = [ours.load_image_file(p) for p in paths]
    options = {
        "shim hog": lambda im: ours.face_encodings(im),
        "shim cnn": lambda im: ours.face_encodings(im, ours.face_locations(im, model="cnn")),
        "shim yunet": lambda im: ours.face_encodings(im, ours.face_locations(im, model="yunet")),
    }
    if original is not None:
        options = {"original hog": lambda im: original.face_encodings(im),
                   "original cnn": lambda im: original.face_encodings(im, original.face_locations(im, model="cnn")),
                   **options}
    detect = {"shim hog": lambda im: ours.face_locations(im), "shim cnn": lambda im: ours.face_locations(im, model="cnn"),
              "shim yunet": lambda im: ours.face_locations(im, model="yunet")}
    if original is not None:
        detect = {"original hog": lambda im: original.face_locations(im),
                  "original cnn": lambda im: original.face_locations(im, model="cnn"), **detect}
    for fn in options.values():  # load every model before timing
        fn(images[0])
    rows, outputs = {}, {}
    for name, fn in options.items():
        start = time.perf_counter()
        outputs[name] = [fn(im) for im in images]
        seconds = time.perf_counter() - start
        rows[name] = {"images_per_s": len(images) / seconds, "faces": sum(len(o) for o in outputs[name])}
        start = time.perf_counter()
        for im in images:
            detect[name](im)
        rows[name]["detect_images_per_s"] = len(images) / (time.perf_counter() - start)
    base = rows.get("original hog", rows["shim hog"])["images_per_s"]
    base_detect = rows.get("original hog", rows["shim hog"])["detect_images_per_s"]
    for row in rows.values():
        row["vs_original_hog"] = row["images_per_s"] / base
        row["detect_vs_original_hog"] = row["detect_images_per_s"] / base_detect
    identical = None
    if original is not None:
        identical = all(len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))
                        for a, b in zip(outputs["original hog"], outputs["shim hog"]))
    return {"images": len(images), "options": rows, "hog_encodings_identical_to_original": identical,
            "original_installed": original is not None}


def _rates(paths: list[str], ids: np.ndarray) -> dict:
    from ..compat.face_recognition import api, calibrated

    enc, keep = [], []
    for i, p in enumerate(paths):
        found = api.face_encodings(api.load_image_file(p))
        if found:
            enc.append(found[0])
            keep.append(i)
    enc, y = np.array(enc), ids[keep]
    iu = np.triu_indices(len(enc), 1)
    dist = np.linalg.norm(enc[:, None] - enc[None], axis=2)[iu]
    unit = enc / np.linalg.norm(enc, axis=1, keepdims=True)
    cos = (unit @ unit.T)[iu]
    same = (y[:, None] == y[None])[iu]
    table = [{"tolerance": t, "fmr": float(np.mean(dist[~same] <= t)), "fnmr": float(np.mean(dist[same] > t))}
             for t in TOLERANCES]
    from ..thresholds import threshold_for

    at_fmr = [{"fmr_calibrated": r, "threshold": threshold_for(calibrated.PIPELINE, r),
               "fmr_here": float(np.mean(cos[~same] >= threshold_for(calibrated.PIPELINE, r))),
               "fnmr_here": float(np.mean(cos[same] < threshold_for(calibrated.PIPELINE, r)))}
              for r in calibrated.calibrated_fmrs()]
    return {"images": len(paths), "with_face": len(enc), "genuine_pairs": int(same.sum()),
            "impostor_pairs": int((~same).sum()), "tolerances": table, "compare_faces_at_fmr": at_fmr}


def _fit_box(paths: list[str]) -> dict:
    from ..compat.face_recognition import _dlib_models as models, api

    rows = []
    for p in paths:
        img = api.load_image_file(p)
        hog, faces = list(models.hog_detector()(img, 1)), models.yunet().detect(img)
        if len(hog) == 1 and len(faces):
            r = hog[0]
            rows.append(([r.left(), r.top(), r.right() + 1, r.bottom() + 1], faces.landmarks[0]))
    box = np.array([b for b, _ in rows], np.float64)
    lm = np.array([m for _, m in rows], np.float64)
    eyes, mouth = lm[:, :2].mean(1), lm[:, 3:].mean(1)
    scale = np.linalg.norm(mouth - eyes, axis=1)
    centre, side = (box[:, :2] + box[:, 2:]) / 2, box[:, 2] - box[:, 0]
    offset = np.median((centre - lm.mean(1)) / scale[:, None], axis=0)
    k = float(np.median(side / scale))
    shipped = api.hog_like_boxes(lm)
    err = float(np.median(np.abs(shipped - box) / side[:, None]))
    return {"faces": len(rows), "offset": offset.round(3).tolist(), "side": round(k, 3),
            "shipped": {"offset": list(api.YUNET_TO_HOG_OFFSET), "side": api.YUNET_TO_HOG_SIDE,
                        "median_edge_error_of_side": round(err, 4)}}


def run(args: argparse.Namespace) -> int:
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    data, out = Path(args.data), {}
    if args.fit_box:
        out["fit_box"] = _fit_box(_sample(data, args.fit_box, 0)[0])
    if args.images:
        out["speed"] = _speed(_sample(data, args.images, 1)[0])
    if args.pair_images:
        out["tolerance"] = _rates(*_sample(data, args.pair_images, 2, repeated=True))
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    if "fit_box" in out:
        f = out["fit_box"]
        print(f"YuNet -> HOG box on {f['faces']} faces: offset {f['offset']} and side {f['side']} eye-to-mouth "
              f"distances; shipped {f['shipped']}")
    if "speed" in out:
        s = out["speed"]
        print(f"detect + encode, {s['images']} LFW images (identical to the original: "
              f"{s['hog_encodings_identical_to_original']})")
        print("| option | detect + encode, images/s | vs original hog | detect only, images/s | vs original hog | "
              "faces |\n|---|---|---|---|---|---|")
        for name, r in s["options"].items():
            print(f"| {name} | {r['images_per_s']:.2f} | {r['vs_original_hog']:.2f}x | {r['detect_images_per_s']:.2f} "
                  f"| {r['detect_vs_original_hog']:.2f}x | {r['faces']} |")
    if "tolerance" in out:
        t = out["tolerance"]
        print(f"\n{t['with_face']} of {t['images']} images with a face; {t['genuine_pairs']:,} genuine and "
              f"{t['impostor_pairs']:,} impostor pairs")
        print("| tolerance | FMR | FNMR |\n|---|---|---|")
        for r in t["tolerances"]:
            print(f"| {r['tolerance']:.2f} | {r['fmr']:.2e} | {r['fnmr']:.3f} |")
        print("| compare_faces_at_fmr | cosine threshold | FMR here | FNMR here |\n|---|---|---|---|")
        for r in t["compare_faces_at_fmr"]:
            print(f"| fmr={r['fmr_calibrated']:g} | {r['threshold']:.4f} | {r['fmr_here']:.2e} | {r['fnmr_here']:.3f} |")
    return 0
