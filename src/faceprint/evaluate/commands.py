"""The `faceprint eval` command group: `register(subparsers)` adds it to the CLI.

Each subcommand reads and validates its CSVs (typed errors, exit 2), embeds the images
once for every `--model` (cached by content), computes its metrics, and writes
report.json, report.md, report.html and PNG plots into `--out`. It prints the headline
table (or, with --json, one JSON line naming the report files) on stdout.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any, Callable
from ..cli.options import add_fmr, add_model, finite_float, float_in, int_at_least
from ..types import FACE_RULES

_PROTOCOLS = {
    "verification": "1:1 metrics on a pairs CSV (path_a,path_b,same[,fold])",
    "identification": "1:N closed-set CMC and open-set FNIR@FPIR on a labels CSV with a gallery/probe split",
    "clustering": "cluster a labels CSV's images and score the clusters against the identities",
    "detection": "precision, recall, AP and TP-vs-FP curve against a boxes CSV (path,x,y,w,h)",
}


_positive_int = int_at_least(0, "a count")




_iou = float_in(0, 1, "IoU", high_inclusive=True)


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add `eval` with its four protocols to the CLI's subparsers; returns the `eval` parser."""
    ev = subparsers.add_parser("eval", help="evaluation harness: metrics, fairness, reports with plots",
                               description="Evaluate pipelines on labelled data and write a report "
                                           "(report.json, report.md, report.html, PNG plots).")
    sub = ev.add_subparsers(dest="protocol", required=True, metavar="PROTOCOL")

    def add(name: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=_PROTOCOLS[name], description=_PROTOCOLS[name])
        p.set_defaults(func=_runner(name))
        p.add_argument("--root", metavar="DIR", help="folder the CSV paths are relative to (default: the CSV's)")
        p.add_argument("--out", required=True, metavar="REPORT_DIR", help="folder for the report and plots")
        p.add_argument("--workers", type=_positive_int, default=None, help="processes for embedding (default: cores)")
        p.add_argument("--json", action="store_true", help="print one JSON line with the report paths and headline")
        p.add_argument("--no-progress", action="store_true", help="no progress bars")
        if name != "detection":
            add_model(p, repeat=True, purpose=" to evaluate", default_note="default: the default pipeline")
        if name in ("verification", "identification"):
            p.add_argument("--bootstrap", type=_positive_int, default=1000, metavar="N",
                           help="bootstrap resamples for the 95 %% intervals (0: none; default 1000)")
            p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
            p.add_argument("--face-rule", choices=FACE_RULES, default="largest",
                           help="which face of a photo with several: largest (default) or central "
                                "(the labelled person of centred crops such as LFW)")
        if name in ("identification", "clustering"):
            p.add_argument("--labels", required=True, metavar="CSV", help="path,identity[,role][,group...]")
            p.add_argument("--fairness-max-ratio", type=finite_float("--fairness-max-ratio"), default=None, metavar="R",
                           help="max/min across groups still called fair (default 1.5)")
        return p

    p = add("verification")
    p.add_argument("--pairs", required=True, metavar="CSV", help="path_a,path_b,same[,fold]")
    p.add_argument("--quality", metavar="CSV", help="path,quality per image (higher = better): adds "
                   "Error-versus-Discard curves")

    p = add("identification")
    p.add_argument("--gallery-split", metavar="CSV", help="path,identity,role (gallery|probe) for the labels' images")
    p.add_argument("--gallery-first", type=_positive_int, metavar="K",
                   help="no split file: the first K images of each identity (by path) are the gallery")
    p.add_argument("--distractors", metavar="CSV",
                   help="labels CSV (path,identity) of other people: every image whose identity is not in the "
                        "gallery is a non-mated probe (paths relative to --root, else this CSV's folder)")

    p = add("clustering")
    p.add_argument("--threshold", type=finite_float("--threshold"), help="average-linkage similarity threshold "
                   "(default: the pipeline's calibrated threshold for --fmr)")
    add_fmr(p, "whose calibrated threshold stops merging")
    p.add_argument("--threshold-from", metavar="CSV", help="labels CSV of other people: fit each model's threshold "
                   "at --fmr on all their impostor pairs (instead of the shipped calibration)")

    p = add("detection")
    p.add_argument("--boxes", required=True, metavar="CSV", help="path,x,y,w,h[,...] one row per face")
    p.add_argument("--detector", action="append", metavar="D",
                   help="detector to evaluate (repeat; default: every registered detector)")
    p.add_argument("--iou", type=_iou, default=0.5, help="IoU for a detection to match a box (default 0.5)")
    return ev


def command_line(args: argparse.Namespace) -> str:
    """The exact command, rebuilt from the parsed arguments (so it is right when called from Python too)."""
    skip = {"func", "command", "protocol", "json", "no_progress"}
    parts = ["faceprint", "eval", args.protocol]
    for key, value in vars(args).items():
        if key in skip or value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        for v in value if isinstance(value, list) else [value]:
            parts += [flag] if v is True else [flag, str(v)]
    return shlex.join(parts)


def _runner(protocol: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from ..extras import require
        from .report import Report

        # The report's plots need matplotlib: say so now, not after all the embedding work.
        require("eval", ("matplotlib",), "faceprint eval")

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        report = Report(protocol, f"faceprint eval {protocol}", command_line(args))
        _PROTOCOL_RUN[protocol](args, report, out)
        paths = report.write(out)
        headers, rows = report.headline
        if args.json:
            print(json.dumps({"report": {k: str(v) for k, v in paths.items()}, "protocol": protocol,
                              "headline": [dict(zip(headers, r)) for r in rows], "omissions": report.omissions}))
        else:
            print("| " + " | ".join(headers) + " |")
            print("|" + "---|" * len(headers))
            for r in rows:
                print("| " + " | ".join(r) + " |")
            for o in report.omissions:
                print(f"omitted: {o}", file=sys.stderr)
            print(f"wrote {paths['html']} (+ report.json, report.md, plots) ", file=sys.stderr)
        return 0

    return run


def _verification(args: argparse.Namespace, report, out: Path) -> None:
    from .embedding import resolve_models
    from .inputs import read_pairs
    from .run_verification import run

    cards = resolve_models(args.model)  # unknown names fail before any file is read
    pairs = read_pairs(args.pairs, args.root)
    quality = None
    if args.quality:
        from .edc import read_quality
        quality = read_quality(args.quality)
    run(pairs, cards, report, out, workers=args.workers, n_boot=args.bootstrap, seed=args.seed, quality=quality,
        progress=not args.no_progress, face_rule=args.face_rule)


def _identification(args: argparse.Namespace, report, out: Path) -> None:
    from .embedding import resolve_models
    from .inputs import EvalInputError, apply_split, read_labels, split_first
    from .run_identification import run

    cards = resolve_models(args.model)
    if args.gallery_split and args.gallery_first:
        raise EvalInputError("give --gallery-split or --gallery-first, not both")
    labels = read_labels(args.labels, args.root, need_role=not (args.gallery_split or args.gallery_first))
    split_info = None
    if args.gallery_split:
        labels, split_src, left_out = apply_split(labels, args.gallery_split)
        split_info = {"split": split_src.to_dict(), "labelled_images_not_in_split": left_out}
    elif args.gallery_first:
        labels = split_first(labels, args.gallery_first)
        split_info = {"rule": f"first {args.gallery_first} image(s) of each identity by path are gallery"}
    distractors = read_labels(args.distractors, args.root) if args.distractors else None
    run(labels, cards, report, out, distractors=distractors, split_info=split_info, workers=args.workers,
        n_boot=args.bootstrap, seed=args.seed, max_ratio=args.fairness_max_ratio, progress=not args.no_progress,
        face_rule=args.face_rule)


def _clustering(args: argparse.Namespace, report, out: Path) -> None:
    from .embedding import resolve_models
    from .inputs import read_labels
    from .run_clustering import load_algorithm, run

    cards = resolve_models(args.model)
    algorithm = load_algorithm()  # a missing clustering module fails before embedding anything
    labels = read_labels(args.labels, args.root)
    fit = None
    if args.threshold_from:
        if args.threshold is not None:
            from .inputs import EvalInputError
            raise EvalInputError("give --threshold or --threshold-from, not both")
        fit = read_labels(args.threshold_from, args.root)
    run(labels, cards, report, out, algorithm=algorithm, threshold=args.threshold, fmr=args.fmr, threshold_from=fit,
        workers=args.workers, max_ratio=args.fairness_max_ratio, progress=not args.no_progress)


def _detection(args: argparse.Namespace, report, out: Path) -> None:
    from .inputs import read_boxes
    from .run_detection import resolve_detectors, run

    names = resolve_detectors(args.detector)
    boxes = read_boxes(args.boxes, args.root)
    run(boxes, names, report, out, iou=args.iou, progress=not args.no_progress)


_PROTOCOL_RUN = {"verification": _verification, "identification": _identification, "clustering": _clustering,
                 "detection": _detection}
