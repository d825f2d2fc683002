"""Convert the two MiniFASNet anti-spoofing state dicts to the ONNX files faceprint ships.

Maintainers only; faceprint itself never needs torch. Run once, in a development venv:

    python3 -m venv .devvenv
    .devvenv/bin/pip install torch==2.13.0 onnx onnxruntime -e .
    .devvenv/bin/python tools/convert_minifasnet.py --weights ../shared/models/minifasnet
    .devvenv/bin/python tools/check_minifasnet_port.py --weights ../shared/models/minifasnet

It writes `src/faceprint/models/minifasnet/{2.7_80x80_MiniFASNetV2,4_0_0_80x80_MiniFASNetV1SE}.onnx`
(input `input`: (N, 3, 80, 80) float32 BGR 0-255; output `logits`: (N, 3)), copies the
Apache-2.0 LICENSE beside them, and prints each file's SHA-256 for the cards in
`faceprint/models/catalog.py`. The export is deterministic for a given torch version, so
re-running it with torch 2.13.0 should reproduce the shipped hashes; if it does not,
update the cards after `check_minifasnet_port.py` has passed.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# (weight file, architecture) pairs; the file names encode the crop: SCALE_HxW_MODEL.
MODELS = (("2.7_80x80_MiniFASNetV2.pth", "MiniFASNetV2"), ("4_0_0_80x80_MiniFASNetV1SE.pth", "MiniFASNetV1SE"))
OUT = HERE.parent / "src" / "faceprint" / "models" / "minifasnet"
# What the weights' README publishes; a different file is refused, not converted.
SOURCE_SHA256 = {
    "2.7_80x80_MiniFASNetV2.pth": "a5eb02e1843f19b5386b953cc4c9f011c3f985d0ee2bb9819eea9a142099bec0",
    "4_0_0_80x80_MiniFASNetV1SE.pth": "84ee1d37d96894d5e82de5a57df044ef80a58be2b218b5ed7cdfd875ec2f5990",
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export(weights: Path, kind: str, out: Path) -> None:
    import torch

    from minifasnet_torch import load

    net = load(str(weights), kind)
    dummy = torch.zeros(1, 3, 80, 80)
    # The TorchScript exporter (dynamo=False) needs no onnxscript and folds each batch norm
    # into its convolution, so the graph is plain Conv/PRelu/Add/Mul/Sigmoid/Gemm.
    torch.onnx.export(net, (dummy,), str(out), input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "n"}, "logits": {0: "n"}}, opset_version=17,
                      do_constant_folding=True, dynamo=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", type=Path, required=True, help="folder with the two .pth files and LICENSE")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, kind in MODELS:
        src = args.weights / name
        if sha256(src) != SOURCE_SHA256[name]:
            raise SystemExit(f"{src} is not the published {name} (SHA-256 differs); refusing to convert it")
        dst = args.out / name.replace(".pth", ".onnx")
        export(src, kind, dst)
        print(f"{dst.name}  {sha256(dst)}")
    shutil.copyfile(args.weights / "LICENSE", args.out / "LICENSE")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
