"""`faceprint detect IMAGE... [--draw DIR] [--json]`: boxes, 5 landmarks and scores per face."""

from __future__ import annotations

import argparse
from typing import Any

from .options import add_image_command
from .output import each_image, output_dir


def register(sub: Any) -> None:
    from ..types import BOX_FORMAT

    help_ = "find faces: boxes, 5 landmarks, scores"
    p = add_image_command(sub, "detect", help_, cmd_detect, description=f"{help_}. {BOX_FORMAT}.")
    p.add_argument("--draw", metavar="DIR", help="write each photo with its faces drawn into DIR")


def cmd_detect(args: argparse.Namespace) -> int:
    from ..draw import draw_faces
    from ..pipeline import Analyzer

    draw = output_dir(args.draw, "--draw") if args.draw else None  # a bad folder fails before any model work
    analyzer = Analyzer.from_name(args.model)

    def compute(image: Any) -> tuple[dict[str, Any], Any]:
        faces = analyzer.detector.detect(image)
        return {"detector": faces.detector, "faces": faces.to_records()}, faces

    return each_image(args, compute, _show, draw_dir=draw, draw=draw_faces)


def _show(path: str, record: dict[str, Any], faces: Any) -> None:
    print(f"{path}: {len(faces)} face(s)" + (f" -> {record['drawn']}" if "drawn" in record else ""))
    for i, f in enumerate(record["faces"]):
        print(f"  #{i} box={f['box']} score={f['score']}")
