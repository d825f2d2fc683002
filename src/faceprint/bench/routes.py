"""The speed routes of issue 16, each timed against the others in alternating rounds.

* embed: SFace on OpenCV vs onnxruntime (fp32 weights folded from the int8 graph), dlib's
  ResNet on dlib vs onnxruntime; 1 vs 2 intra-op threads; one face per call vs batches
  (what batching faces across images gives);
* decode: an LFW photo, a 1080p and an 8000x6000 photo (made by upscaling a real photo),
  fully decoded vs JPEG draft mode (libjpeg's DCT scaling to the smallest 1/2, 1/4, 1/8
  size whose long side is still at least YuNet's working size, 1920), and what the `fast`
  pipeline finds on each: faces, and the cosine between the largest face's embeddings.

Timings are ms per item, measured in this process in alternating rounds (so machine load
hits every variant alike); a ratio between rows is the figure to read.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np


def add_parser(sub) -> None:
    from ..calibrate import default_data_dir

    p = sub.add_parser("routes", help="speed routes: runtimes, threads, batching, draft-mode decoding")
    p.add_argument("--data", default=str(default_data_dir()))
    p.add_argument("--faces", type=int, default=48, help="LFW faces for the embed timings")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--json", action="store_true")


def alternate(variants: dict[str, Callable[[list], object]], items: list, rounds: int) -> dict[str, float]:
    """ms per item of each variant, the items cut into `rounds` chunks run variant after variant."""
    for run in variants.values():  # warm-up
        run(items[:2])
    spent = dict.fromkeys(variants, 0.0)
    for chunk in np.array_split(np.arange(len(items)), rounds):
        part = [items[i] for i in chunk]
        for name, run in variants.items():
            t0 = time.perf_counter()
            run(part)
            spent[name] += time.perf_counter() - t0
    return {k: 1000 * v / len(items) for k, v in spent.items()}


def _batched(embed: Callable[[list], np.ndarray], size: int) -> Callable[[list], None]:
    def run(crops: list) -> None:
        for i in range(0, len(crops), size):
            embed(crops[i:i + size])
    return run


def embed_routes(lfw: Path, n: int, rounds: int) -> dict:
    import cv2
    import dlib

    from ..detectors.yunet import YuNetDetector
    from ..embedders.dlib_onnx import DlibResNetOnnxEmbedder
    from ..embedders.sface import SFaceEmbedder
    from ..embedders.sface_onnx import SFaceOnnxEmbedder
    from ..image import load_image
    from ..models.catalog import DLIB_RESNET
    from ..models.files import locate

    detector, sface_cv = YuNetDetector(), SFaceEmbedder()
    sface = {t: SFaceOnnxEmbedder(threads=t) for t in (1, 2)}
    dlib_ort = {t: DlibResNetOnnxEmbedder(threads=t) for t in (1, 2)}
    paths = sorted((lfw / "images").glob("*/*.jpg"))
    paths = paths[:: max(1, len(paths) // n)][:n]
    arc, chips = [], []
    for p in paths:
        image = load_image(p)
        faces = detector.detect(image)
        if len(faces):
            arc += sface_cv.crop(image, faces[:1])
            chips += dlib_ort[1].crop(image, faces[:1])
    net = dlib.face_recognition_model_v1(str(locate(DLIB_RESNET.files[0])))
    threads_default = cv2.getNumThreads()

    def opencv(threads: int) -> Callable[[list], None]:
        def run(crops: list) -> None:
            cv2.setNumThreads(threads)
            try:
                sface_cv.embed_crops(crops)
            finally:
                cv2.setNumThreads(threads_default)
        return run

    sface_times = alternate({
        "SFace, OpenCV, 2 threads, 1 face per call": opencv(2),
        "SFace, OpenCV, 1 thread, 1 face per call": opencv(1),
        "SFace, onnxruntime, 2 threads, 1 face per call": _batched(sface[2].embed_crops, 1),
        "SFace, onnxruntime, 1 thread, 1 face per call": _batched(sface[1].embed_crops, 1),
        "SFace, onnxruntime, 2 threads, 2 per call (plain + mirror)": _batched(sface[2].embed_crops, 2),
        "SFace, onnxruntime, 2 threads, batches of 16": _batched(sface[2].embed_crops, 16),
    }, arc, rounds)
    dlib_times = alternate({
        "dlib ResNet, dlib, 1 face per call": _batched(lambda c: net.compute_face_descriptor(c), 1),
        "dlib ResNet, onnxruntime, 2 threads, 1 face per call": _batched(dlib_ort[2].embed_crops, 1),
        "dlib ResNet, onnxruntime, 1 thread, 1 face per call": _batched(dlib_ort[1].embed_crops, 1),
        "dlib ResNet, onnxruntime, 2 threads, 2 per call (plain + mirror)": _batched(dlib_ort[2].embed_crops, 2),
        "dlib ResNet, onnxruntime, 2 threads, batches of 16": _batched(dlib_ort[2].embed_crops, 16),
    }, chips, rounds)
    diff = float(np.abs(sface_cv.embed_crops(arc) - sface[2].embed_crops(arc)).max())
    return {"faces": len(arc), "sface_ms_per_face": sface_times, "dlib_ms_per_face": dlib_times,
            "sface_onnx_vs_opencv_max_abs_diff": diff}


def draft_decode(data: bytes, min_side: int = 1920) -> np.ndarray:
    """JPEG decoded at the smallest 1/2^k scale whose long side stays >= min_side."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        w, h = im.size
        scale = 1
        while scale < 8 and max(w, h) // (scale * 2) >= min_side:
            scale *= 2
        if scale > 1:
            im.draft("RGB", (w // scale, h // scale))
        return np.array(im.convert("RGB"))


def decode_routes(data_dir: Path, rounds: int) -> dict:
    from PIL import Image

    from ..image import load_image
    from ..pipeline import Analyzer

    photo = data_dir / "dlib_examples" / "faces"
    source = sorted(p for p in photo.glob("*.jpg"))[0] if photo.is_dir() else None
    lfw = sorted((data_dir / "lfw_deepfunneled" / "images").glob("*/*.jpg"))[0]
    fast = Analyzer.from_name("fast")
    out: dict = {"source": source.name if source else None}
    with tempfile.TemporaryDirectory() as tmp:
        cases = {"LFW 250x250": Path(lfw).read_bytes()}
        if source is not None:
            base = Image.open(source).convert("RGB")
            for label, size in (("1080p", (1920, 1080)), ("8000x6000", (8000, 6000))):
                buf = io.BytesIO()
                base.resize(size, Image.BICUBIC).save(buf, format="JPEG", quality=92)
                cases[label] = buf.getvalue()
                (Path(tmp) / f"{label}.jpg").write_bytes(cases[label])
        for label, data in cases.items():
            times = alternate({"full decode": lambda items, d=data: [load_image(d) for _ in items],
                               "draft decode": lambda items, d=data: [draft_decode(d) for _ in items]},
                              list(range(4 * rounds)), rounds)
            full, draft = load_image(data), draft_decode(data)
            t0 = time.perf_counter()
            a = fast.embed_faces(full)
            t_full = time.perf_counter() - t0
            t0 = time.perf_counter()
            b = fast.embed_faces(draft)
            t_draft = time.perf_counter() - t0
            cos = float(a.embeddings[0] @ b.embeddings[0]) if len(a) and len(b) else None
            out[label] = {"size": list(full.shape[1::-1]), "draft_size": list(draft.shape[1::-1]),
                          "decode_ms": times, "fast_analyze_ms": {"full": 1000 * t_full, "draft": 1000 * t_draft},
                          "faces": {"full": len(a), "draft": len(b)}, "largest_face_cosine": cos}
    return out


def run(args: argparse.Namespace) -> int:
    data = Path(args.data)
    lfw = data / "lfw_deepfunneled"
    if not (lfw / "images").is_dir():
        print(f"no LFW images at {lfw} (set --data or FACEPRINT_DATA)")
        return 2
    report = {"embed": embed_routes(lfw, args.faces, args.rounds), "decode": decode_routes(data, args.rounds)}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    e = report["embed"]
    print(f"embed, ms per face ({e['faces']} LFW faces, alternating rounds in one process)")
    for group in ("sface_ms_per_face", "dlib_ms_per_face"):
        first = next(iter(e[group].values()))
        for name, ms in e[group].items():
            print(f"  {name:66} {ms:8.2f}  {first / ms:5.2f}x")
    print(f"  SFace onnxruntime vs OpenCV: max |difference| of unit embeddings {e['sface_onnx_vs_opencv_max_abs_diff']:.1e}")
    print("decode (ms per image) and the fast pipeline on full vs draft-decoded pixels")
    for label, r in report["decode"].items():
        if label == "source":
            continue
        d = r["decode_ms"]
        print(f"  {label:12} {r['size'][0]}x{r['size'][1]} -> draft {r['draft_size'][0]}x{r['draft_size'][1]}: "
              f"decode {d['full decode']:.1f} -> {d['draft decode']:.1f} ms; fast analyze "
              f"{r['fast_analyze_ms']['full']:.0f} -> {r['fast_analyze_ms']['draft']:.0f} ms; faces "
              f"{r['faces']['full']} / {r['faces']['draft']}; largest-face cosine {r['largest_face_cosine']}")
    return 0
