"""Where a pipeline's time goes: decode, detect, align, embed, flip, fusion, each against its floor.

Each stage is timed separately on the same images one at a time, with the pipeline's own
detector and embedders (every face of each image is embedded, as `Analyzer.embed_faces` does).
"flip" is the second network pass on the mirrored crops plus the merge; "fusion" the
weighted concatenation. A stage's floor is its multiply-adds at the rate this CPU measures
on a dense fp32 conv (`bench/floors.py`); decode and align are not multiply-add bound, so
they get no floor.
"""

from __future__ import annotations

import time
from functools import lru_cache

import numpy as np

STAGES = ("decode", "detect", "align", "embed", "flip", "fusion")


@lru_cache(maxsize=None)
def _embedder_macs(name: str) -> int | None:
    """Multiply-adds of one crop through a registered embedder's network (None if unknown)."""
    import onnx

    from ..models.catalog import DLIB_RESNET, SFACE
    from ..models.files import locate
    from .floors import multiply_adds

    if name == "sface":
        from ..models.onnx_graph import pruned_onnx_bytes

        return multiply_adds(onnx.load_from_string(pruned_onnx_bytes(locate(SFACE.files[0]))), {"data": [1, 3, 112, 112]})
    if name == "dlib-resnet":
        from ..models.dlib_dat import read_dlib_net
        from ..models.dlib_onnx import build_onnx

        return multiply_adds(build_onnx(read_dlib_net(locate(DLIB_RESNET.files[0]))), {"chips": [1, 150, 150, 3]})
    return None


@lru_cache(maxsize=None)
def _yunet_macs(h: int, w: int) -> int:
    """YuNet at an input size (OpenCV pads the input up to a multiple of 32)."""
    import onnx

    from ..models.catalog import YUNET
    from ..models.files import locate
    from .floors import multiply_adds

    pad = lambda v: -(-v // 32) * 32  # noqa: E731
    return multiply_adds(onnx.load(str(locate(YUNET.files[0]))), {"input": [1, 3, pad(h), pad(w)]})


def _detector_macs(detector, shape: tuple[int, int]) -> int | None:
    if getattr(detector, "name", "") != "yunet":
        return None
    h, w = shape
    scale = min(1.0, detector.max_side / max(h, w))
    return _yunet_macs(max(1, round(h * scale)), max(1, round(w * scale)))


def stage_table(images: list[str], names: tuple[str, ...], rounds: int = 4) -> dict:
    """{pipeline: {stage: {"ms", "share", "mmacs", "floor_ms"}}, "_rate": multiply-adds/s}."""
    import cv2

    from .. import thresholds
    from ..embedders.base import merge_flipped
    from ..embedders.fusion import fuse
    from ..image import load_image
    from ..pipeline import Analyzer
    from .floors import conv_rate

    analyzers = {n: Analyzer.from_name(n) for n in names}
    spent = {n: dict.fromkeys(STAGES, 0.0) for n in names}
    macs = {n: dict.fromkeys(STAGES, 0) for n in names}
    known = {n: dict.fromkeys(STAGES, True) for n in names}

    def one(name: str, path: str, record: bool) -> None:
        an = analyzers[name]
        card = an.card
        parts = an.embedder.networks()  # each stage timed on its own: the networks, then flip and fusion
        fused = len(parts) > 1
        t = [time.perf_counter()]
        image = load_image(path)
        t.append(time.perf_counter())
        faces = an.detector.detect(image)
        t.append(time.perf_counter())
        stage = dict.fromkeys(STAGES, 0.0)
        stage["decode"], stage["detect"] = t[1] - t[0], t[2] - t[1]
        outs = []
        if len(faces):
            for part in parts:
                t0 = time.perf_counter()
                crops = part.crop(image, faces)
                t1 = time.perf_counter()
                plain = part.embed_crops(crops)
                t2 = time.perf_counter()
                if card.flip:
                    plain = merge_flipped(plain, part.embed_crops(part.mirror(crops)))
                t3 = time.perf_counter()
                stage["align"] += t1 - t0
                stage["embed"] += t2 - t1
                stage["flip"] += t3 - t2
                outs.append(plain)
            t0 = time.perf_counter()
            if fused:
                fuse(outs, thresholds.fusion_weights(card.name, card.embedders))
            stage["fusion"] = time.perf_counter() - t0
        if not record:
            return
        for k, v in stage.items():
            spent[name][k] += v
        m = _detector_macs(an.detector, image.shape[:2])
        macs[name]["detect"] += m or 0
        known[name]["detect"] &= m is not None
        for part in parts:
            per = _embedder_macs(part.name)
            known[name]["embed"] &= per is not None
            macs[name]["embed"] += (per or 0) * len(faces)
            if card.flip:
                macs[name]["flip"] += (per or 0) * len(faces)
        known[name]["decode"] = known[name]["align"] = False

    for name in names:  # warm-up: first-call allocations are not the steady state
        one(name, images[0], False)
    for chunk in np.array_split(np.arange(len(images)), rounds):  # alternating rounds, like speed_table
        for name in names:
            for i in chunk:
                one(name, images[i], True)
    rate = conv_rate(cv2.getNumThreads())
    n = len(images)
    table: dict = {"_rate": rate, "_threads": cv2.getNumThreads(), "_images": n}
    for name in names:
        total = sum(spent[name].values())
        table[name] = {}
        for k in STAGES:
            floor = 1000 * macs[name][k] / n / rate if known[name][k] else None  # fusion: ~0 multiply-adds
            table[name][k] = {"ms": 1000 * spent[name][k] / n, "share": spent[name][k] / total if total else 0.0,
                              "mmacs": macs[name][k] / n / 1e6 if known[name][k] else None, "floor_ms": floor}
        table[name]["total"] = {"ms": 1000 * total / n, "share": 1.0,
                                "floor_ms": sum(v["floor_ms"] or 0.0 for v in table[name].values())}
    return table


def print_stage_table(table: dict) -> None:
    print(f"\nPer stage (ms per image over {table['_images']} LFW images; floor = multiply-adds at "
          f"{table['_rate'] / 1e9:.1f} G multiply-adds/s, a dense fp32 3x3 conv through onnxruntime on "
          f"{table['_threads']} thread(s) in this process)")
    print(f"{'pipeline':12} {'stage':8} {'ms':>8} {'share':>7} {'M mult-adds':>12} {'floor ms':>9} {'x floor':>8}")
    for name, rows in table.items():
        if name.startswith("_"):
            continue
        for stage, r in rows.items():
            floor = r.get("floor_ms")
            mm = r.get("mmacs")
            ratio = f"{r['ms'] / floor:7.1f}x" if floor else ("" if floor is None else "-")
            print(f"{name:12} {stage:8} {r['ms']:8.2f} {100 * r['share']:6.1f}% "
                  f"{'' if mm is None else f'{mm:.0f}':>12} {'n/a' if floor is None else f'{floor:.2f}':>9} {ratio:>8}")
