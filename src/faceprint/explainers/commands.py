"""`faceprint explain A B --out map.png [--json] [--model M] [--fmr R] [--face-rule largest|central]`."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `explain` subcommand to the `faceprint` parser's subparsers."""
    from ..cli.options import add_fmr, add_image_command, int_at_least
    from ..types import FACE_RULES

    help_ = "why two faces match or not: a picture of where they look alike and differ, per-region drops"
    p = add_image_command(subparsers, "explain", help_, cmd_explain, images=2,
                          description=help_ + ". The maps come from hiding parts of each face and re-measuring "
                                              "the similarity (works for every pipeline); see docs/explain.md "
                                              "for how faithful they are.",
                          json_help="one JSON object: verdict, regions, sentence, map shapes")
    p.add_argument("--out", metavar="FILE.png", help="write the side-by-side picture here")
    add_fmr(p, "the verdict's threshold is calibrated for")
    p.add_argument("--face-rule", choices=FACE_RULES, default="largest",
                   help="which face when there are several: largest (default) or central (centred crops)")
    p.add_argument("--grid", type=int_at_least(2, "patches per side"), default=7,
                   help="occlusion patches per side of the face (default 7; 5 takes a little over half the time)")
    return p


def cmd_explain(args: argparse.Namespace) -> int:
    from ..cli.exits import OK as EXIT_OK
    from ..cli.output import emit as _emit
    from ..image import save_image
    from ..pipeline import Analyzer
    from ..progress import progress
    from .explanation import explain, steps
    from .render import render

    analyzer = Analyzer.from_name(args.model)
    threshold = analyzer.threshold(args.fmr)  # resolved once: a usage error before any model work
    with progress(total=steps(args.grid), desc="explain", unit="occlusion") as bar:  # ~30 s with `accurate`
        e = explain(analyzer, args.images[0], args.images[1], threshold=threshold, face_rule=args.face_rule,
                    grid=args.grid, on_step=bar.update)
    record = {"path_a": args.images[0], "path_b": args.images[1], **e.to_dict()}
    if args.out:
        save_image(render(e), args.out)
        record["out"] = args.out
    if args.json:
        _emit(record)
        return EXIT_OK
    word = "same person" if e.same else "different people"
    print(f"{word}: similarity {e.similarity:.4f} vs threshold {e.threshold:.4f} (FMR {e.fmr:g}, {e.model})")
    print(e.sentence)
    for r in e.regions:
        like = "" if r["likeness"] is None else f"  likeness {r['likeness']:+.2f}"
        print(f"  {r['name']:20} hiding it changes the similarity by {-r['drop']:+.3f}{like}")
    if args.out:
        print(f"wrote {args.out} ({e.seconds:.1f} s)")
    return EXIT_OK
