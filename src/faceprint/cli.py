"""The `faceprint` command line.

Exit codes: 0 done; 1 "not the same person", only with `verify --fail-if-different`;
2 bad input or usage (one line on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from .cli_args import float_in, int_at_least
from .errors import FaceprintError, InputError
from .types import FACE_RULES

EXIT_OK, EXIT_DIFFERENT, EXIT_BAD_INPUT = 0, 1, 2


def _emit(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False, allow_nan=False), flush=True)


def _analyzer(name: str | None):
    from .pipeline import Analyzer

    return Analyzer.from_name(name)


# -- detect ----------------------------------------------------------------------------
def cmd_detect(args: argparse.Namespace) -> int:
    from .draw import draw_faces
    from .image import load_image, save_image

    analyzer = _analyzer(args.model)
    if args.draw:
        Path(args.draw).mkdir(parents=True, exist_ok=True)
    status = EXIT_OK
    for path in args.images:
        try:
            image = load_image(path)
            faces = analyzer.detector.detect(image)
        except FaceprintError as e:
            status = EXIT_BAD_INPUT
            _report_error(args, {"file": path}, e)
            continue
        record = {"file": path, "detector": faces.detector, "faces": faces.to_records()}
        if args.draw:
            out = Path(args.draw) / (Path(path).stem + ".jpg")
            save_image(draw_faces(image, faces), out)
            record["drawn"] = str(out)
        if args.json:
            _emit(record)
        else:
            print(f"{path}: {len(faces)} face(s)" + (f" -> {record['drawn']}" if args.draw else ""))
            for i, f in enumerate(record["faces"]):
                print(f"  #{i} box={f['box']} score={f['score']}")
    return status


# -- embed -----------------------------------------------------------------------------
def cmd_embed(args: argparse.Namespace) -> int:
    import numpy as np

    analyzer = _analyzer(args.model)
    rows, notes = [], []
    for path in args.images:
        choice = analyzer.choose_face(path, args.face, args.face_rule)  # a failure stops: rows stay in order
        rows.append(choice.embedding)
        notes.append({"file": path, **choice.to_dict()})
    matrix = np.stack(rows).astype(np.float32)
    np.save(args.out, matrix)
    summary = {"out": args.out, "shape": list(matrix.shape), "model": analyzer.model_id, "images": notes}
    if args.json:
        _emit(summary)
    else:
        print(f"wrote {args.out}: {matrix.shape[0]} x {matrix.shape[1]} float32 ({analyzer.model_id})")
        for n in notes:
            if n["face_rule"] not in ("only", "requested"):
                print(f"  {n['file']}: {n['faces_found']} faces, used the {n['face_rule']}")
    return EXIT_OK


# -- verify ----------------------------------------------------------------------------
def _verdict_record(verdict, ca, cb) -> dict[str, Any]:
    rec = verdict.to_dict()
    rec["face_a"], rec["face_b"] = ca.to_dict(), cb.to_dict()
    return rec


def _print_verdict(rec: dict[str, Any], prefix: str = "") -> None:
    word = "same person" if rec["same"] else "different people"
    fmr = f"FMR {rec['fmr']:g}" if rec["fmr"] is not None else "threshold given by hand"
    print(f"{prefix}{word}: similarity {rec['similarity']:.4f} vs threshold {rec['threshold']:.4f} ({fmr}, "
          f"{rec['model']})")
    for side in ("face_a", "face_b"):
        f = rec[side]
        if f["face_rule"] not in ("only", "requested"):
            print(f"{prefix}  image {side[-1]}: {f['faces_found']} faces, used the {f['face_rule']} (--face to choose)")


def cmd_verify(args: argparse.Namespace) -> int:
    analyzer = _analyzer(args.model)
    if args.threshold is None:
        analyzer.threshold(args.fmr)  # an uncalibrated FMR is a usage error before any work
    if args.pairs:
        return _verify_pairs(args, analyzer)
    if len(args.images) != 2:
        raise InputError("verify needs two images (or --pairs CSV)")
    verdict, ca, cb = analyzer.verify(args.images[0], args.images[1], fmr=args.fmr, threshold=args.threshold,
                                      face_a=_face(args, "a"), face_b=_face(args, "b"), rule=args.face_rule)
    rec = {"path_a": args.images[0], "path_b": args.images[1], **_verdict_record(verdict, ca, cb)}
    _emit(rec) if args.json else _print_verdict(rec)
    return EXIT_DIFFERENT if args.fail_if_different and not verdict.same else EXIT_OK


def _face(args: argparse.Namespace, side: str) -> int | None:
    specific = getattr(args, f"face_{side}")
    return specific if specific is not None else args.face


def _verify_pairs(args: argparse.Namespace, analyzer) -> int:
    from tqdm import tqdm

    rows = _read_pairs(args.pairs)
    root = Path(args.root) if args.root else Path(args.pairs).parent
    seen: dict[tuple[str, int | None], Any] = {}

    def choice(rel: str, face: int | None):
        key = (rel, face)
        if key not in seen:
            try:
                seen[key] = analyzer.choose_face(root / rel, face, args.face_rule)
            except FaceprintError as e:
                seen[key] = e
        return seen[key]

    for row in tqdm(rows, desc="pairs", unit="pair", disable=None, file=sys.stderr):
        a, b = row["path_a"], row["path_b"]
        base = {"path_a": a, "path_b": b}
        if "same" in row and row["same"] not in ("", None):
            base["expected"] = row["same"].strip().lower() in {"1", "true", "yes", "same"}
        ca, cb = choice(a, _face(args, "a")), choice(b, _face(args, "b"))
        failed = next((c for c in (ca, cb) if isinstance(c, Exception)), None)
        if failed is not None:
            which = "a" if ca is failed else "b"
            _report_error(args, {**base, "image": which}, failed)
            continue
        verdict = analyzer.compare(ca.embedding, cb.embedding, fmr=args.fmr, threshold=args.threshold)
        rec = {**base, **_verdict_record(verdict, ca, cb)}
        _emit(rec) if args.json else _print_verdict(rec, prefix=f"{a} {b}: ")
    return EXIT_OK


def _read_pairs(path: str) -> list[dict[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            missing = {"path_a", "path_b"} - set(reader.fieldnames or [])
            if missing:
                raise InputError(f"{path}: missing column(s) {', '.join(sorted(missing))}; "
                                 f"expected a header path_a,path_b[,same,...]")
            return list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise InputError(f"cannot read pairs file {path}: {e}") from None


def _report_error(args: argparse.Namespace, base: dict[str, Any], error: FaceprintError) -> None:
    if getattr(args, "json", False):
        _emit({**base, "error": {"code": error.code, "message": str(error)}})
    else:
        where = " ".join(str(v) for v in base.values())
        print(f"{where}: error: {error}", file=sys.stderr)


# -- models ----------------------------------------------------------------------------
def cmd_models(args: argparse.Namespace) -> int:
    from .calibration import calibration_for
    from .models.catalog import DEFAULT_PIPELINE, MODELS, PIPELINES
    from .models.files import status

    models = []
    for card in MODELS.values():
        files = [{"package": f.distribution, "file": f.path, "sha256": f.sha256, **status(f)} for f in card.files]
        models.append({"name": card.name, "kind": "model", "task": card.task, "licence": card.licence,
                       "summary": card.summary, "origin": card.origin, "files": files,
                       "ok": all(f["sha256_ok"] for f in files), "card": card.to_dict()})
    for p in PIPELINES.values():
        calib = calibration_for(p.name) or {}
        parts = [m for m in models if m["name"] in (p.detector, *p.embedders)]
        models.append({"name": p.name, "kind": "pipeline", "task": "verify", "default": p.name == DEFAULT_PIPELINE,
                       "id": p.id, "summary": p.summary, "uses": [p.detector, *p.embedders],
                       "licence": "; ".join(f"{m['name']}: {m['licence']}" for m in parts),
                       "ok": all(m["ok"] for m in parts), "thresholds": calib.get("thresholds", {})})
    if args.json:
        for m in models:
            _emit(m)
    else:
        for m in models:
            mark = "ok " if m["ok"] else "BAD"
            extra = " (default)" if m.get("default") else ""
            print(f"[{mark}] {m['kind']:8} {m['name']:12} {m['task']:7} {m['summary']}{extra}")
    return EXIT_OK if all(m["ok"] for m in models) else EXIT_BAD_INPUT


# -- parser ----------------------------------------------------------------------------
_fmr = float_in(0, 1, "a false-match rate")
_index = int_at_least(0, "a face index (0 = largest)")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="faceprint", description="Offline face detection and verification.")
    parser.add_argument("--version", action="version", version=f"faceprint {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, fn: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=fn)
        if name != "models":
            p.add_argument("--model", default=None, help="pipeline name (see `faceprint models`); default: accurate")
        p.add_argument("--json", action="store_true", help="machine-readable JSON (JSON Lines for many results)")
        return p

    p = add("detect", cmd_detect, "find faces: boxes, 5 landmarks, scores")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--draw", metavar="DIR", help="write each photo with its faces drawn into DIR")

    p = add("embed", cmd_embed, "write one embedding per image (the largest face) to a .npy file")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--out", required=True, metavar="FILE.npy")
    p.add_argument("--face", type=_index, help="face index in every image (largest first)")
    p.add_argument("--face-rule", choices=FACE_RULES, default="largest",
                   help="which face when there are several: largest (default) or central (centred crops)")

    p = add("verify", cmd_verify, "are two faces the same person? (or every row of --pairs)")
    p.add_argument("images", nargs="*", metavar="IMAGE")
    p.add_argument("--pairs", metavar="CSV", help="CSV with columns path_a,path_b[,same]; JSON Lines out")
    p.add_argument("--root", metavar="DIR", help="folder the --pairs paths are relative to (default: the CSV's)")
    p.add_argument("--fmr", type=_fmr, default=1e-3, help="false-match rate the threshold is calibrated for "
                   "(calibrated: 1e-2, 1e-3, 1e-4; default 1e-3)")
    p.add_argument("--threshold", type=float, help="use this similarity threshold instead (no FMR is claimed)")
    p.add_argument("--face", type=_index, help="face index in both images (default: the largest)")
    p.add_argument("--face-a", type=_index, help="face index in the first image")
    p.add_argument("--face-b", type=_index, help="face index in the second image")
    p.add_argument("--face-rule", choices=FACE_RULES, default="largest",
                   help="which face when there are several: largest (default) or central (centred crops "
                        "such as ID photos and LFW)")
    p.add_argument("--fail-if-different", action="store_true", help="exit 1 when the verdict is 'different'")

    add("models", cmd_models, "list models and pipelines, licences, and whether each file's SHA-256 checks out")
    from .cluster.commands import register as register_cluster; register_cluster(sub)  # noqa: E702
    from .gallery.commands import register as register_gallery; register_gallery(sub)  # noqa: E702
    from .evaluate.commands import register as register_eval; register_eval(sub)  # noqa: E702
    from .analyzers.commands import register as register_analyze; register_analyze(sub)  # noqa: E702
    from .explainers.commands import register as register_explain; register_explain(sub)  # noqa: E702
    from .serve.commands import register as register_serve; register_serve(sub)  # noqa: E702
    return parser


def _quiet_opencv() -> None:
    """OpenCV 5 logs a harmless warning per model load on stderr; a CLI user needs only ours."""
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _quiet_opencv()
    try:
        return args.func(args)
    except FaceprintError as e:
        print(f"faceprint: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("faceprint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `faceprint ... | head` is normal use
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
