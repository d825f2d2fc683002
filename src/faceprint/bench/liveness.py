"""python -m faceprint.bench liveness [--data DIR] [--lfw N] [--json]: passive and active liveness, measured.

Passive (MiniFASNet, `faceprint.liveness.passive`), every face is the largest (LFW: the
central) face YuNet finds:

- BPCER (live faces refused) on real photos: LFW (one photo per person, name order, or
  --lfw N of them), the faces of the 9 dlib group photos, the 55 dlib "johns" chips, and
  every 10th frame of the three selfie clips (d3, d9, d14);
- APCER (attacks accepted) on the two spoof samples of the original repository, and on
  the frames of the Silent-Face demo recording (`demo.gif`): frames 0-32 are a live face,
  33-61 a face replayed on a phone screen, 62-87 a printed photo held by hand (ranges read
  by looking at the frames); its live frames count towards BPCER;
- how much the score moves when YuNet's box is scaled 0.9x or 1.1x (the original was
  trained with another detector's boxes);
- time per face, as a ratio to YuNet's detection of the same images, in the same process.

Active (`faceprint.liveness.active`), with --active: challenge sequences on the real
clips (must pass when the clip shows them), and on a still photo and a slideshow made
from photos (must fail).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

THRESHOLDS = (0.3, 0.5, 0.7, 0.9)
DEMO_RANGES = {"live": (0, 32), "screen": (33, 61), "print": (62, 87)}


def add_parser(sub: Any) -> argparse.ArgumentParser:
    from ..calibrate import default_data_dir

    p = sub.add_parser("liveness", help="passive liveness BPCER/APCER on real photos and spoof samples; "
                       "active challenge pass rates on real clips, stills and slideshows")
    p.add_argument("--data", default=str(default_data_dir()))
    p.add_argument("--samples", default=None, help="folder of the MiniFASNet spoof samples (default: "
                   "DATA/../models/minifasnet/samples)")
    p.add_argument("--lfw", type=int, default=0, help="LFW people (one photo each); 0 = all 5,749")
    p.add_argument("--active", action="store_true", help="also run the active-challenge measurements")
    p.add_argument("--no-passive", action="store_true", help="skip the passive measurements (with --active)")
    p.add_argument("--gate-levels", type=int, default=0, metavar="N",
                   help="instead: the enrolment gate's measures on one photo of each of N LFW people, as percentiles")
    p.add_argument("--gate-sizes", type=int, default=0, metavar="N",
                   help="instead: FNMR of the first N genuine LFW View 2 pairs when one photo's face is shrunk "
                   "to a given inter-eye distance (what the size bars rest on)")
    p.add_argument("--model", default="fast", help="pipeline for --gate-sizes")
    p.add_argument("--json", action="store_true")
    return p


SIZES_PX = (12, 16, 20, 24, 28, 35)
LUMINANCES = (25, 30, 40, 50, 60)


def gate_sizes(data: Path, n: int, model: str = "fast") -> dict[str, Any]:
    """How recognition fails as the face gets smaller: FNMR at FMR 1e-3 on genuine LFW pairs, photo B
    shrunk so its inter-eye distance is X px, then scaled back (the detail of an X-px face, at a size
    the detector finds), or darkened so its inner-face luminance is L, with a little sensor-like
    noise (sigma 2 grey levels; a dark camera frame is noisier still, so this is the kind case);
    photo A is kept as it is."""
    import csv

    import cv2

    from ..image import load_image
    from ..pipeline import Analyzer

    analyzer = Analyzer.from_name(model)
    t = analyzer.threshold(1e-3)
    root = data / "lfw_deepfunneled"
    with open(root / "pairs.csv", newline="") as f:
        pairs = [r for r in csv.DictReader(f) if r["same"] == "1"][:n]
    from ..assessors.quality import capture_measures

    sims: dict[str, list[float]] = {"original": [], **{f"{x}px": [] for x in SIZES_PX},
                                    **{f"luminance_{v}": [] for v in LUMINANCES}}
    rng = np.random.default_rng(0)
    ieds = []
    for row in pairs:
        a, b = load_image(root / row["path_a"]), load_image(root / row["path_b"])
        ca, cb = analyzer.choose_face(a, rule="central"), analyzer.choose_face(b, rule="central")
        ied = float(np.linalg.norm(cb.faces.landmarks[cb.index][1] - cb.faces.landmarks[cb.index][0]))
        ieds.append(ied)
        sims["original"].append(float(ca.embedding @ cb.embedding))
        h, w = b.shape[:2]
        lum = capture_measures(b, cb.faces.landmarks[cb.index])["luminance"]
        variants = []
        for x in SIZES_PX:
            s = min(1.0, x / max(ied, 1.0))
            small = cv2.resize(b, (max(8, round(w * s)), max(8, round(h * s))), interpolation=cv2.INTER_AREA)
            variants.append((f"{x}px", cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)))
        for v in LUMINANCES:
            k = min(1.0, v / max(lum, 1.0))
            dark = b.astype(np.float32) * k + rng.normal(0, 2.0, b.shape)
            variants.append((f"luminance_{v}", np.clip(np.round(dark), 0, 255).astype(np.uint8)))
        for key, image in variants:
            faces = analyzer.embed_faces(image)
            if not len(faces):
                sims[key].append(-1.0)  # not even found: refused
                continue
            sims[key].append(float(ca.embedding @ faces.embeddings[faces.pick("central")]))
    out: dict[str, Any] = {"model": analyzer.model_id, "pairs": len(pairs), "threshold_fmr_1e-3": round(t, 4),
                           "original_inter_eye_px_median": round(float(np.median(ieds)), 1)}
    for key, v in sims.items():
        out[f"fnmr_{key}"] = round(float((np.asarray(v) < t).mean()), 4)
    return out


def gate_levels(data: Path, n: int) -> dict[str, Any]:
    """Percentiles of the gate's five measures on LFW (the worst side of each: what a bar would refuse)."""
    from ..assessors.facemesh import FaceMeshAssessor
    from ..gallery.gate import face_measures
    from ..image import load_image
    from ..pipeline import Analyzer

    detector = Analyzer.from_name("fast").detector
    mesh = FaceMeshAssessor()
    people = sorted(p for p in (data / "lfw_deepfunneled" / "images").iterdir() if p.is_dir())[:n]
    rows = []
    for person in people:
        image = load_image(sorted(person.glob("*.jpg"))[0])
        faces = detector.detect(image)
        if len(faces):
            face = mesh.assess(image, faces[faces.pick("central")])
            rows.append(face_measures(image, face, 0))
    out: dict[str, Any] = {"faces": len(rows)}
    for key, worst_low in (("face_size_px", True), ("blur", False), ("luminance", True), ("yaw", False),
                           ("pitch", False), ("eye_openness", True)):
        v = np.array([abs(r[key]) if key in ("yaw", "pitch") else r[key] for r in rows], np.float64)
        qs = (0.5, 2, 10) if worst_low else (99.5, 98, 90)
        out[key] = {f"p{q:g}": round(float(np.percentile(v, q)), 3) for q in qs}
    return out


def _frames(path: Path, every: int = 1) -> list[np.ndarray]:
    import cv2

    cap = cv2.VideoCapture(str(path))
    out, i = [], 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i % every == 0:
            out.append(np.ascontiguousarray(frame[:, :, ::-1]))
        i += 1
    cap.release()
    return out


class _Scorer:
    def __init__(self) -> None:
        from ..liveness.passive import PassiveLiveness
        from ..pipeline import Analyzer

        self.detector = Analyzer.from_name("fast").detector
        self.live = PassiveLiveness()
        self.t_detect = self.t_live = 0.0
        self.n_faces = 0

    def one(self, image: np.ndarray | tuple[np.ndarray, int], rule: str = "largest",
            boxes_scale: tuple[float, ...] = ()) -> tuple[float | None, list[float]]:
        image, index = image if isinstance(image, tuple) else (image, None)
        t = time.perf_counter()
        faces = self.detector.detect(image)
        self.t_detect += time.perf_counter() - t
        if not len(faces) or (index is not None and index >= len(faces)):
            return None, []
        face = faces[faces.pick(rule) if index is None else index]
        t = time.perf_counter()
        score = float(self.live.scores(image, face)[0])
        self.t_live += time.perf_counter() - t
        self.n_faces += 1
        moved = []
        for k in boxes_scale:
            b = face.boxes[0]
            c, half = (b[:2] + b[2:]) / 2, (b[2:] - b[:2]) / 2 * k
            box = np.r_[c - half, c + half][None]
            from ..types import Faces

            f2 = Faces(box, face.landmarks, face.scores, face.image_size, face.detector)
            moved.append(float(self.live.scores(image, f2)[0]))
        return score, moved


def _rates(scores: list[float], live: bool) -> dict[str, Any]:
    s = np.asarray(scores, np.float64)
    key = "bpcer" if live else "apcer"
    out: dict[str, Any] = {"faces": int(s.size)}
    for t in THRESHOLDS:
        wrong = (s < t) if live else (s >= t)
        out[f"{key}@{t:g}"] = round(float(wrong.mean()), 4) if s.size else None
        out[f"errors@{t:g}"] = int(wrong.sum())
    if s.size:
        out["median_score"] = round(float(np.median(s)), 4)
    return out


def passive(args: argparse.Namespace) -> dict[str, Any]:
    from ..image import load_image

    data = Path(args.data)
    samples = Path(args.samples) if args.samples else data.parent / "models" / "minifasnet" / "samples"
    sc = _Scorer()
    report: dict[str, Any] = {"threshold": sc.live.threshold, "model": sc.live.model, "live": {}, "attack": {},
                              "no_face": {}}

    def run(name: str, images, live: bool, rule: str = "largest", sensitivity: bool = False) -> None:
        scores, moved, missing = [], [], 0
        for image in images:
            s, m = sc.one(image, rule, (0.9, 1.1) if sensitivity else ())
            if s is None:
                missing += 1
                continue
            scores.append(s)
            if m:
                moved.append([s, *m])
        (report["live"] if live else report["attack"])[name] = _rates(scores, live)
        report["no_face"][name] = missing
        if moved:
            a = np.asarray(moved)
            t = sc.live.threshold
            report.setdefault("box_sensitivity", {})[name] = {
                "faces": len(a),
                "mean_abs_change_0.9x": round(float(np.abs(a[:, 1] - a[:, 0]).mean()), 4),
                "mean_abs_change_1.1x": round(float(np.abs(a[:, 2] - a[:, 0]).mean()), 4),
                "verdict_flips_0.9x": int(((a[:, 1] >= t) != (a[:, 0] >= t)).sum()),
                "verdict_flips_1.1x": int(((a[:, 2] >= t) != (a[:, 0] >= t)).sum()),
            }
        print(f"  {name}: {len(scores)} faces ({missing} images without a face)", flush=True)

    lfw_root = data / "lfw_deepfunneled" / "images"
    people = sorted(p for p in lfw_root.iterdir() if p.is_dir())
    if args.lfw:
        people = people[: args.lfw]
    run("lfw", (load_image(sorted(p.glob("*.jpg"))[0]) for p in people), True, "central", sensitivity=True)
    run("dlib_group_photos", _group_faces(data, sc), True)
    run("dlib_johns_chips", (load_image(p) for p in sorted((data / "dlib_examples" / "johns").glob("*/*.jpg"))),
        True)
    clips = [f for c in ("d3", "d9", "d14") for f in _frames(data / "videos" / f"{c}.mp4", every=10)]
    run("selfie_clip_frames", clips, True)
    demo = _frames(data / "videos" / "demo.gif")
    lo, hi = DEMO_RANGES["live"]
    run("demo_gif_live", demo[lo:hi + 1], True)
    for kind in ("screen", "print"):
        lo, hi = DEMO_RANGES[kind]
        run(f"demo_gif_{kind}", demo[lo:hi + 1], False)
    run("sample_spoofs_F1_F2", (load_image(samples / f) for f in ("image_F1.jpg", "image_F2.jpg")), False)
    run("sample_live_T1", [load_image(samples / "image_T1.jpg")], True)
    report["time"] = {"faces": sc.n_faces, "liveness_ms_per_face": round(1000 * sc.t_live / max(sc.n_faces, 1), 2),
                      "yunet_ms_per_image": round(1000 * sc.t_detect / max(sc.n_faces, 1), 2),
                      "liveness_vs_detection": round(sc.t_live / max(sc.t_detect, 1e-9), 2)}
    return report


def _group_faces(data: Path, sc: _Scorer):
    """(photo, face index) for every face YuNet finds in the 9 group photos."""
    from ..image import load_image

    for path in sorted((data / "dlib_examples" / "faces").glob("*.jpg")):
        image = load_image(path)
        for i in range(len(sc.detector.detect(image))):
            yield image, i


def run(args: argparse.Namespace) -> int:
    if args.gate_sizes:
        print(json.dumps(gate_sizes(Path(args.data), args.gate_sizes, args.model), indent=1))
        return 0
    if args.gate_levels:
        print(json.dumps(gate_levels(Path(args.data), args.gate_levels), indent=1))
        return 0
    report = {}
    if not args.no_passive:
        print("passive liveness:", flush=True)
        report["passive"] = passive(args)
    if args.active:
        from .liveness_active import measure

        print("active liveness:", flush=True)
        report["active"] = measure(Path(args.data))
    print(json.dumps(report, indent=None if args.json else 1))
    return 0
