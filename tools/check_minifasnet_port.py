"""Check that the shipped ONNX MiniFASNet files score faces as the original PyTorch networks do.

Maintainers only (needs torch; see tools/convert_minifasnet.py for the development venv):

    .devvenv/bin/python tools/check_minifasnet_port.py --weights ../shared/models/minifasnet \
        --data ../shared/data --faces 40

For each face (the three sample photos of the original repository, then one photo each of
the first LFW people in name order), YuNet finds the largest face, faceprint cuts both
crops (`faceprint.liveness.crop`), and three scorers see the very same crops:

1. the original architecture: the reference `MiniFASNet.py` beside the weights, imported
   from there (read-only; it is not part of faceprint), when that folder is present;
2. our own PyTorch definition (`tools/minifasnet_torch.py`) with the same state dicts;
3. faceprint's runtime path: the shipped ONNX files in onnxruntime (`PassiveLiveness`).

It prints the largest absolute difference of the per-network class probabilities and of
the final live score between each pair, and exits 1 if any exceeds --tolerance (1e-4).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PARTS = (("2.7_80x80_MiniFASNetV2.pth", "MiniFASNetV2"), ("4_0_0_80x80_MiniFASNetV1SE.pth", "MiniFASNetV1SE"))


def reference_nets(weights: Path):  # -> list[torch.nn.Module] | None
    """The original module definitions, loaded from the reference folder (read, never copied)."""
    import torch

    path = weights / "reference" / "MiniFASNet.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("_minifasnet_reference", path)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)  # type: ignore[union-attr]
    nets = []
    for file, kind in PARTS:
        net = getattr(ref, kind)(conv6_kernel=(5, 5))  # the kernel its loader derives for 80x80
        state = torch.load(weights / file, map_location="cpu", weights_only=True)
        net.load_state_dict({(k[7:] if k.startswith("module.") else k): v for k, v in state.items()})
        nets.append(net.eval())
    return nets


def reference_cropper(weights: Path):  # -> callable | None
    """The original crop rule (`generate_patches.py`, needs only cv2 and numpy), or None."""
    path = weights / "reference" / "generate_patches.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("_minifasnet_patches", path)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)  # type: ignore[union-attr]
    return ref.CropImage().crop


def torch_probs(nets, crops: list[np.ndarray]) -> np.ndarray:
    """(networks, N, 3) softmax outputs of each torch network on its own crops."""
    import torch

    out = []
    with torch.no_grad():
        for net, batch in zip(nets, crops):
            x = torch.from_numpy(np.ascontiguousarray(batch.transpose(0, 3, 1, 2)).astype(np.float32))
            out.append(torch.softmax(net(x), dim=1).double().numpy())
    return np.stack(out)


def onnx_probs(live, crops: list[np.ndarray]) -> np.ndarray:
    """The same from the shipped ONNX graphs, through faceprint's own session objects."""
    out = []
    for (session, _), batch in zip(live._parts, crops):
        logits = session.run(None, {"input": np.ascontiguousarray(batch.transpose(0, 3, 1, 2)).astype(np.float32)})[0]
        e = np.exp(logits - logits.max(1, keepdims=True))
        out.append((e / e.sum(1, keepdims=True)).astype(np.float64))
    return np.stack(out)


def faces_to_check(weights: Path, data: Path, n: int) -> list[Path]:
    samples = sorted((weights / "samples").glob("image_[FT][0-9].jpg"))
    people = sorted((data / "lfw_deepfunneled" / "images").iterdir())
    lfw = [sorted(p.glob("*.jpg"))[0] for p in people[: max(0, n - len(samples))]]
    return samples + lfw


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    ap.add_argument("--faces", type=int, default=40)
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args(argv)

    from minifasnet_torch import load

    from faceprint.image import load_image
    from faceprint.liveness.passive import LIVE_CLASS, PassiveLiveness
    from faceprint.pipeline import Analyzer

    detector = Analyzer.from_name("fast").detector
    live = PassiveLiveness()
    ours = [load(str(args.weights / f), k) for f, k in PARTS]
    ref = reference_nets(args.weights)
    ref_crop = reference_cropper(args.weights)
    crop_mismatches = 0

    names, per_net_crops = [], [[], []]
    for path in faces_to_check(args.weights, args.data, args.faces):
        image = load_image(path)
        faces = detector.detect(image)
        if not len(faces):
            print(f"{path.name}: no face, skipped")
            continue
        ours_crops = live.crops(image, faces[:1])
        for j, c in enumerate(ours_crops):
            per_net_crops[j].append(c[0])
        if ref_crop is not None:  # the same whole-pixel box through the original's crop rule
            from faceprint.liveness.crop import xywh

            bgr = np.ascontiguousarray(image[:, :, ::-1])
            for c, (_, scale) in zip(ours_crops, live._parts):
                theirs = ref_crop(bgr, list(xywh(faces.boxes[0])), scale, 80, 80)
                crop_mismatches += int(not np.array_equal(theirs, c[0]))
        names.append(path.name)
    crops = [np.stack(c) for c in per_net_crops]

    scorers = {"onnxruntime (shipped)": onnx_probs(live, crops), "torch, ours": torch_probs(ours, crops)}
    if ref is not None:
        scorers["torch, original"] = torch_probs(ref, crops)
    print(f"{len(names)} faces ({sum(n.startswith('image_') for n in names)} samples, the rest LFW)")
    print(f"{'face':34} " + " ".join(f"{k:>22}" for k in scorers))
    for i, name in enumerate(names):
        print(f"{name:34} " + " ".join(f"{p.mean(0)[i, LIVE_CLASS]:22.6f}" for p in scorers.values()))

    worst = 0.0
    keys = list(scorers)
    for a in range(len(keys)):
        for b in range(a + 1, len(keys)):
            pa, pb = scorers[keys[a]], scorers[keys[b]]
            d_prob = float(np.abs(pa - pb).max())
            d_score = float(np.abs(pa.mean(0)[:, LIVE_CLASS] - pb.mean(0)[:, LIVE_CLASS]).max())
            worst = max(worst, d_prob, d_score)
            print(f"max |difference| {keys[a]} vs {keys[b]}: class probabilities {d_prob:.2e}, "
                  f"live score {d_score:.2e}")
    if ref_crop is not None:
        print(f"crops differing from the original crop rule's: {crop_mismatches} of {2 * len(names)}")
    ok = worst <= args.tolerance and len(names) >= 20 and crop_mismatches == 0
    print(("PASS" if ok else "FAIL") + f": worst difference {worst:.2e} (tolerance {args.tolerance:g}) on "
          f"{len(names)} faces")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
