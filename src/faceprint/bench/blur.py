"""python -m faceprint.bench blur: how many real faces `faceprint blur` covers, and how many false covers.

A ground-truth face counts as covered when at least `--share` (default 90 %) of its box lies
under a cover. A cover is false when it contains the centre of no ground-truth face (faces
nobody boxed, such as posters or bystanders, count against us: a lower bound on precision).

1. dlib_examples/faces: the 43 hand-drawn boxes of 9 group photos (`faces_boxes.csv`).
2. LFW scaled down: `--lfw-images` deep-funneled photos (a fixed draw over people), each
   cut to its central 180 px and shrunk so that its face is 60, 40, 24 or 16 px wide, pasted
   on a drawn 1280x720 canvas in a grid. Truth: every face YuNet (score 0.6, the
   identification detector) finds in the full-size crop (it finds the labelled face of all
   7,701 LFW View 2 photos; here also some bystanders), mapped into the canvas.
3. The 49 s 1280x720 LFW clip of `bench video` (`video/synthetic.py`; camera motion, zoom,
   rotation, motion blur, JPEG noise, cuts). Truth: each shown photo's face box (found as in
   2.) carried through the clip's own camera transform, on every frame.

Each row is run with the recall-tuned blur (`privacy/`) and, as the baseline in the same
process, with the identification detector as it is (YuNet at 0.6, no upscaling, no margin).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..calibrate import default_data_dir

SIZES = (60, 40, 24, 16)
CANVAS = (1280, 720)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("blur", help="blur recall: share of real faces covered, false covers (dlib, small LFW, video)")
    p.add_argument("--data", default=str(default_data_dir()))
    p.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="face widths in pixels for LFW")
    p.add_argument("--lfw-images", type=int, default=120, help="LFW photos per size")
    p.add_argument("--share", type=float, default=0.9, help="share of a face box that must be under a cover")
    p.add_argument("--video-seconds", type=float, default=None, help="only the first S seconds of the clip")
    p.add_argument("--skip-video", action="store_true")
    p.add_argument("--skip-photos", action="store_true", help="only the video clip")
    p.add_argument("--skip-baseline", action="store_true")
    p.add_argument("--no-weak", dest="weak", action="store_false",
                   help="video: the blur without its persistent weak detections (as `faceprint blur --no-weak`)")
    p.add_argument("--json", action="store_true")


# -- scoring ------------------------------------------------------------------------------------
def score_image(truth: np.ndarray, covers: np.ndarray, size: tuple[int, int], share: float) -> dict[str, int]:
    """Faces covered / total, and false covers, for one image (boxes x1 y1 x2 y2)."""
    from ..privacy.cover import cover_mask

    mask = cover_mask(size, covers)
    truth = np.asarray(truth, np.float64).reshape(-1, 4)
    covered = 0
    for x1, y1, x2, y2 in truth:
        a, b = max(0, int(round(x1))), max(0, int(round(y1)))
        c, d = min(size[1], int(round(x2))), min(size[0], int(round(y2)))
        if c > a and d > b and mask[b:d, a:c].mean() >= share:
            covered += 1
    centres = (truth[:, :2] + truth[:, 2:]) / 2
    false = 0
    for x1, y1, x2, y2 in np.asarray(covers, np.float64).reshape(-1, 4):
        inside = (centres[:, 0] >= x1) & (centres[:, 0] <= x2) & (centres[:, 1] >= y1) & (centres[:, 1] <= y2)
        false += not inside.any()
    return {"faces": len(truth), "covered": covered, "false_covers": false}


def _add(total: dict[str, int], part: dict[str, int]) -> None:
    for k, v in part.items():
        total[k] = total.get(k, 0) + v


class Baseline:
    """The identification detector as it is: YuNet at 0.6, no upscaling, no margin."""

    margin = 0.0

    def __init__(self) -> None:
        from ..detectors.yunet import YuNetDetector

        self.detector = YuNetDetector()

    def find(self, pixels: np.ndarray, *, upscale: bool = True) -> tuple[Any, np.ndarray, list[Any]]:
        faces = self.detector.detect(pixels)
        return faces, faces.boxes, [None] * len(faces)


def systems(skip_baseline: bool) -> dict[str, Any]:
    from ..privacy.photo import Blurrer

    out: dict[str, Any] = {"blur": Blurrer()}
    if not skip_baseline:
        out["yunet 0.6, no margin"] = Baseline()
    return out


# -- 1. dlib group photos -----------------------------------------------------------------------
def dlib_rows(data: Path, finders: dict[str, Any], share: float) -> list[dict[str, Any]]:
    from ..image import load_image

    root = data / "dlib_examples"
    boxes: dict[str, list[list[float]]] = {}
    with open(root / "faces_boxes.csv", newline="") as f:
        for r in csv.DictReader(f):
            x, y, w, h = (float(r[k]) for k in "xywh")
            boxes.setdefault(r["path"], []).append([x, y, x + w, y + h])
    rows = []
    for name, finder in finders.items():
        total: dict[str, int] = {}
        t0 = time.perf_counter()
        for path, truth in sorted(boxes.items()):
            img = load_image(root / path)
            _, covers, _ = finder.find(img)
            _add(total, score_image(np.array(truth), covers, img.shape[:2], share))
        rows.append({"set": "dlib group photos", "system": name, **total, "seconds": round(time.perf_counter() - t0, 1)})
    return rows


# -- 2. LFW faces scaled down -----------------------------------------------------------------------
def lfw_sample(data: Path, n: int, seed: int = 0) -> list[str]:
    lfw = data / "lfw_deepfunneled"
    with open(lfw / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    by_person: dict[str, list[str]] = {}
    for r in rows:
        by_person.setdefault(r["identity"], []).append(str(lfw / r["path"]))
    people = sorted(by_person)
    rng = random.Random(seed)
    rng.shuffle(people)
    return [rng.choice(sorted(by_person[p])) for p in people[:n]]


def photo_truth(paths: list[str]) -> dict[str, np.ndarray]:
    """Every face YuNet (0.6) finds in the central crop of each photo, at full size (the picture pasted)."""
    from ..detectors.yunet import YuNetDetector
    from ..image import load_image
    from ..video.synthetic import CENTRE

    det = YuNetDetector()
    return {p: det.detect(np.ascontiguousarray(load_image(p)[CENTRE])).boxes for p in paths}


def lfw_canvases(paths: list[str], truth: dict[str, np.ndarray], face_px: int, seed: int = 0):
    """Yield (canvas, truth boxes) with every photo pasted once, scaled so its main face is `face_px` wide."""
    import cv2

    from ..image import load_image
    from ..video.synthetic import CENTRE, background

    w, h = CANVAS
    items = []
    for p in paths:
        t = truth[p]
        if not len(t):
            continue
        main = t[np.argmax((t[:, 2] - t[:, 0]) * (t[:, 3] - t[:, 1]))]
        k = face_px / float(main[2] - main[0])
        crop = load_image(p)[CENTRE]
        side = max(4, int(round(crop.shape[0] * k)))
        items.append((cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA), t * (side / crop.shape[0])))
    if not items:
        return
    cell = int(max(im.shape[0] for im, _ in items) * 1.6) + 8
    cols, rows = max(1, (w - 8) // cell), max(1, (h - 8) // cell)
    per = cols * rows
    for start in range(0, len(items), per):
        canvas = background(w, h, seed + start)
        boxes = []
        for i, (im, t) in enumerate(items[start:start + per]):
            x = 8 + (i % cols) * cell + (cell - im.shape[1]) // 2
            y = 8 + (i // cols) * cell + (cell - im.shape[0]) // 2
            canvas[y:y + im.shape[0], x:x + im.shape[1]] = im
            boxes.extend((t + np.array([x, y, x, y], np.float32)).tolist())
        yield canvas, np.array(boxes, np.float32)


def lfw_rows(data: Path, finders: dict[str, Any], sizes: list[int], n: int, share: float) -> list[dict[str, Any]]:
    paths = lfw_sample(data, n)
    truth = photo_truth(paths)
    rows = []
    for px in sizes:
        canvases = list(lfw_canvases(paths, truth, px))
        for name, finder in finders.items():
            total: dict[str, int] = {}
            t0 = time.perf_counter()
            for canvas, boxes in canvases:
                _, covers, _ = finder.find(canvas)
                _add(total, score_image(boxes, covers, canvas.shape[:2], share))
            rows.append({"set": f"LFW, {px} px faces", "system": name, **total,
                         "seconds": round(time.perf_counter() - t0, 1)})
    return rows


# -- 3. the video clip --------------------------------------------------------------------------------
def clip_truth(data: Path, work: Path) -> tuple[Path, list[np.ndarray], tuple[int, int]]:
    """The bench video clip, and for each frame the face boxes of the photos it shows."""
    from ..video import synthetic
    from .video import ENROLLED, STRANGERS

    cast = synthetic.cast(data, ENROLLED, STRANGERS)
    people = [ENROLLED[0], ENROLLED[1], STRANGERS[0], ENROLLED[2], STRANGERS[1]]
    shots = synthetic.bench_shots(cast, people)
    path = work / "lfw_people_720p25.mp4"
    gt = synthetic.render(shots, path, fps=25.0, size=(1280, 720))
    return path, face_truth(shots, gt), (720, 1280)


def face_truth(shots: list[Any], gt: Any) -> list[np.ndarray]:
    """For each frame of a clip rendered by `video/synthetic.py`, the boxes of the faces it shows:
    each shown photo's faces (`photo_truth`) carried through the shot's camera transform."""
    import cv2

    from ..video import synthetic

    fps, height = gt.fps, gt.size[1]
    faces = photo_truth(sorted({p for s in shots for a in s.actors for p in a.photos}))
    crop = synthetic.CENTRE[0].stop - synthetic.CENTRE[0].start
    per_frame: list[np.ndarray] = []
    for shot, (first, last) in zip(shots, gt.shots):
        n = last - first + 1
        for k in range(n):
            _, _, zoom, angle = synthetic._lerp(shot.camera_from, shot.camera_to, k / max(n - 1, 1))
            rot = cv2.getRotationMatrix2D((0.0, 0.0), angle, zoom)[:, :2]
            boxes = []
            for person, box in gt.frames[first + k]:
                actor = next(a for a in shot.actors if a.person == person)
                photo = actor.photos[int((k / fps) // actor.hold_s) % len(actor.photos)]
                side = int(round(actor.size * height))  # the pasted square's side before the camera's zoom
                centre = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
                for f in faces[photo]:
                    corners = np.array([[f[0], f[1]], [f[2], f[1]], [f[2], f[3]], [f[0], f[3]]]) * (side / crop)
                    pts = (corners - side / 2) @ rot.T + centre
                    boxes.append([*pts.min(0), *pts.max(0)])
            per_frame.append(np.array(boxes, np.float32).reshape(-1, 4))
    return per_frame


def score_video(result: Any, truth: list[np.ndarray], size: tuple[int, int], share: float) -> dict[str, int]:
    covers = result.covers_at()
    total: dict[str, int] = {}
    for k in range(result.frames):
        _add(total, score_image(truth[k], np.array(covers.get(k, []), np.float32).reshape(-1, 4), size, share))
    return total


def video_rows(data: Path, finders: dict[str, Any], share: float, seconds: float | None,
               weak: bool = True) -> list[dict[str, Any]]:
    from ..privacy.video import blur_video

    rows = []
    with tempfile.TemporaryDirectory(prefix="faceprint-blur-bench-") as tmp:
        path, truth, size = clip_truth(data, Path(tmp))
        limit = None if seconds is None else int(round(seconds * 25.0))
        for name, finder in finders.items():
            t0 = time.perf_counter()
            result = blur_video(path, finder, max_frames=limit, weak=weak)
            elapsed = time.perf_counter() - t0
            total = score_video(result, truth, size, share)
            rows.append({"set": f"LFW video clip, {result.frames} frames",
                         "system": name if weak or name != "blur" else "blur --no-weak", **total,
                         "seconds": round(elapsed, 1), "frames_per_s": round(result.frames / elapsed, 2)})
    return rows


def run(args: argparse.Namespace) -> int:
    data = Path(args.data)
    finders = systems(args.skip_baseline)
    rows = []
    if (data / "dlib_examples" / "faces_boxes.csv").is_file() and not args.skip_photos:
        rows += dlib_rows(data, finders, args.share)
    if (data / "lfw_deepfunneled" / "labels.csv").is_file():
        if not args.skip_photos:
            rows += lfw_rows(data, finders, args.sizes, args.lfw_images, args.share)
        if not args.skip_video:
            rows += video_rows(data, finders, args.share, args.video_seconds, args.weak)
    for r in rows:
        r["recall"] = round(r["covered"] / r["faces"], 4) if r["faces"] else None
    if args.json:
        print(json.dumps({"share": args.share, "rows": rows}, indent=1))
        return 0
    print(f"A face is covered when >= {args.share:.0%} of its box is under a cover.")
    print(f"{'set':34} {'system':22} {'faces':>7} {'covered':>8} {'recall':>8} {'false':>6} {'s':>7}")
    for r in rows:
        rec = "n/a" if r["recall"] is None else f"{100 * r['recall']:.2f}%"
        print(f"{r['set']:34} {r['system']:22} {r['faces']:7d} {r['covered']:8d} {rec:>8} {r['false_covers']:6d} "
              f"{r['seconds']:7.1f}")
    return 0
