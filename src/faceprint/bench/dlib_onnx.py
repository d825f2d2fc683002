"""dlib's ResNet rebuilt as ONNX against dlib's own runtime: same descriptors, and how much faster.

On N LFW faces (YuNet's central face, dlib's 5-point chip, as in the `accurate` pipeline)
both runtimes embed the same chips; the benchmark prints the largest absolute difference
of the raw 128-d descriptors (dlib's output, before faceprint's L2 normalisation) and of
the unit embeddings, and ms per chip for one chip at a time and for batches.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def add_parser(sub) -> None:
    p = sub.add_parser("dlib_onnx", help="dlib ResNet as ONNX vs dlib itself: max descriptor difference, speed")
    from ..calibrate import default_data_dir

    p.add_argument("--data", default=str(default_data_dir()))
    p.add_argument("--faces", type=int, default=1000)
    p.add_argument("--json", action="store_true")


def lfw_chips(lfw: Path, n: int) -> list[np.ndarray]:
    from ..detectors.yunet import YuNetDetector
    from ..embedders.dlib_resnet import DlibChips
    from ..image import load_image

    paths = sorted((lfw / "images").glob("*/*.jpg"))
    paths = paths[:: max(1, len(paths) // n)]
    detector, chipper, chips = YuNetDetector(), DlibChips(), []
    for p in paths:
        image = load_image(p)
        faces = detector.detect(image)
        if len(faces):
            chips += chipper(image, faces[faces.pick("central")])
        if len(chips) == n:
            break
    return chips


def run(args: argparse.Namespace) -> int:
    import dlib

    from ..embedders.base import l2_normalise
    from ..embedders.dlib_onnx import DlibResNetOnnxEmbedder
    from ..models.catalog import DLIB_RESNET
    from ..models.files import locate

    lfw = Path(args.data) / "lfw_deepfunneled"
    if not (lfw / "images").is_dir():
        print(f"no LFW images at {lfw} (set --data or FACEPRINT_DATA)")
        return 2
    chips = lfw_chips(lfw, args.faces)
    net = dlib.face_recognition_model_v1(str(locate(DLIB_RESNET.files[0])))
    onnx = DlibResNetOnnxEmbedder(precision="f32")  # the port check is on fp32 arithmetic
    t0 = time.perf_counter()
    ref = np.array([np.asarray(net.compute_face_descriptor(c)) for c in chips], np.float32)
    t_dlib = (time.perf_counter() - t0) / len(chips)
    t0 = time.perf_counter()
    one = np.concatenate([onnx._net(c[None].astype(np.float32)) for c in chips])
    t_one = (time.perf_counter() - t0) / len(chips)
    batches = {}
    for size in (8, 32):
        t0 = time.perf_counter()
        out = np.concatenate([onnx._net(np.stack(chips[i:i + size]).astype(np.float32))
                              for i in range(0, len(chips), size)])
        batches[size] = ((time.perf_counter() - t0) / len(chips), float(np.abs(out - ref).max()))
    report = {
        "faces": len(chips),
        "max_abs_diff_raw": float(np.abs(one - ref).max()),
        "max_abs_diff_unit": float(np.abs(l2_normalise(one) - l2_normalise(ref)).max()),
        "max_abs_raw_value": float(np.abs(ref).max()),
        "ms_per_chip": {"dlib": 1000 * t_dlib, "onnx batch 1": 1000 * t_one,
                        **{f"onnx batch {k}": 1000 * v[0] for k, v in batches.items()}},
        "max_abs_diff_raw_batched": {k: v[1] for k, v in batches.items()},
        "runtime": onnx.runtime,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{report['faces']} LFW faces (YuNet central face, dlib 5-point chips)")
    print(f"max |onnx - dlib| raw descriptor: {report['max_abs_diff_raw']:.2e} "
          f"(values up to {report['max_abs_raw_value']:.2f}); unit embedding: {report['max_abs_diff_unit']:.2e}; "
          f"batched: " + ", ".join(f"{k}: {v:.2e}" for k, v in report["max_abs_diff_raw_batched"].items()))
    for name, ms in report["ms_per_chip"].items():
        print(f"{name:>14}: {ms:7.2f} ms per chip  ({report['ms_per_chip']['dlib'] / ms:4.1f}x dlib)")
    print(f"(runtime: {report['runtime']}, fp32; one process, timed one after the other)")
    return 0
