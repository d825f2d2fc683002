"""`faceprint liveness IMAGE... [--json]`: passive liveness of every face (MiniFASNet).

`faceprint liveness VIDEO --challenge turn_left,blink [--json]`: the active check on a clip.
"""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `liveness` subcommand to the `faceprint` parser's subparsers."""
    help_ = "is each face a live person or a photo/screen? (passive model; --challenge for the active check on a clip)"
    p = subparsers.add_parser("liveness", help=help_, description=help_ + ". One signal, not a guarantee: see "
                              "docs/liveness.md for what each check stops and what it does not.")
    p.set_defaults(func=cmd_liveness)
    p.add_argument("inputs", nargs="+", metavar="IMAGE|VIDEO")
    from ..cli.options import add_json, add_model

    add_model(p, purpose=" whose detector finds the faces")
    add_json(p, "one JSON line per image (or per clip)")
    p.add_argument("--threshold", type=float, default=None, help="passive: live when the score reaches this "
                   "(default 0.5)")
    p.add_argument("--challenge", default=None, metavar="LIST",
                   help="active check on a clip: comma-separated turn_left, turn_right, look_up, blink, in order")
    p.add_argument("--deadline", type=float, default=None, metavar="S",
                   help="active: seconds of clip within which every challenge must be done (default: 10 per challenge)")
    return p


def cmd_liveness(args: argparse.Namespace) -> int:
    if args.challenge is not None:
        from .active_commands import cmd_challenge

        return cmd_challenge(args)
    from ..cli.output import Batch, emit
    from ..errors import FaceprintError
    from ..image import load_image
    from ..pipeline import Analyzer
    from .passive import THRESHOLD, PassiveLiveness

    detector = Analyzer.from_name(args.model).detector
    live = PassiveLiveness(THRESHOLD if args.threshold is None else args.threshold)
    batch = Batch(args)
    for path in args.inputs:
        try:
            image = load_image(path)
            faces = live.assess(image, detector.detect(image))
        except FaceprintError as e:
            batch.fail({"file": path}, e)
            continue
        records = [{"box": r["box"], **r["liveness"]} for r in faces.to_records()]
        if args.json:
            emit({"file": path, "faces": records})
        else:
            print(f"{path}: {len(records)} face(s)")
            for i, r in enumerate(records):
                word = "live" if r["live"] else "NOT live (photo or screen?)"
                print(f"  #{i} {word}: score {r['score']:.3f} vs threshold {r['threshold']:.2f}")
    return batch.code
