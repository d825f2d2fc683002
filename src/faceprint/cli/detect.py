"""`faceprint detect IMAGE... [--draw DIR] [--json]`: boxes, 5 landmarks and scores per face."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import FaceprintError
from .options import add_json, add_model
from .output import Batch, emit, output_dir


def register(sub: Any) -> None:
    from ..types import BOX_FORMAT

    help_ = "find faces: boxes, 5 landmarks, scores"
    p = sub.add_parser("detect", help=help_, description=f"{help_}. {BOX_FORMAT}.")
    p.set_defaults(func=cmd_detect)
    add_model(p)
    add_json(p)
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--draw", metavar="DIR", help="write each photo with its faces drawn into DIR")


def cmd_detect(args: argparse.Namespace) -> int:
    from ..draw import draw_faces
    from ..image import load_image, save_image
    from ..pipeline import Analyzer

    draw = output_dir(args.draw, "--draw") if args.draw else None  # a bad folder fails before any model work
    analyzer = Analyzer.from_name(args.model)
    batch = Batch(args)
    for path in args.images:
        try:
            image = load_image(path)
            faces = analyzer.detector.detect(image)
            record = {"file": path, "detector": faces.detector, "faces": faces.to_records()}
            if draw is not None:
                out = draw / (Path(path).stem + ".jpg")
                save_image(draw_faces(image, faces), out)
                record["drawn"] = str(out)
        except FaceprintError as e:
            batch.fail({"file": path}, e)
            continue
        if args.json:
            emit(record)
        else:
            print(f"{path}: {len(faces)} face(s)" + (f" -> {record['drawn']}" if draw is not None else ""))
            for i, f in enumerate(record["faces"]):
                print(f"  #{i} box={f['box']} score={f['score']}")
    return batch.code
