"""`faceprint verify A B` or `faceprint verify --pairs CSV`: are two faces the same person?"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

from ..errors import FaceprintError, InputError
from ..types import FACE_RULES
from . import exits
from .options import add_fmr, add_image_command, add_threshold, face_index
from .output import Batch, emit

PAIR_COLUMNS = ("path_a", "path_b")


def register(sub: Any) -> None:
    p = add_image_command(sub, "verify", "are two faces the same person? (or every row of --pairs)", cmd_verify,
                          images="*")
    p.add_argument("--pairs", metavar="CSV", help="CSV with columns path_a,path_b[,same]; every row is answered")
    p.add_argument("--root", metavar="DIR", help="folder the --pairs paths are relative to (default: the CSV's)")
    add_fmr(p)
    add_threshold(p)
    p.add_argument("--face", type=face_index, help="face index in both images (default: the largest)")
    p.add_argument("--face-a", type=face_index, help="face index in the first image")
    p.add_argument("--face-b", type=face_index, help="face index in the second image")
    p.add_argument("--face-rule", choices=FACE_RULES, default="largest",
                   help="which face when there are several: largest (default) or central (centred crops "
                        "such as ID photos and LFW)")
    p.add_argument("--fail-if-different", action="store_true", help="exit 1 when a verdict is 'different'")
    p.add_argument("--require-live", action="store_true", help="refuse (exit 2) when either face looks like a "
                   "photo or screen to the passive liveness model (two images only)")


def verdict_record(verdict, ca, cb) -> dict[str, Any]:
    rec = verdict.to_dict()
    rec["face_a"], rec["face_b"] = ca.to_dict(), cb.to_dict()
    return rec


def print_verdict(rec: dict[str, Any], prefix: str = "") -> None:
    word = "same person" if rec["same"] else "different people"
    fmr = f"FMR {rec['fmr']:g}" if rec["fmr"] is not None else "threshold given by hand"
    print(f"{prefix}{word}: similarity {rec['similarity']:.4f} vs threshold {rec['threshold']:.4f} ({fmr}, "
          f"{rec['model']})")
    for side in ("face_a", "face_b"):
        f = rec[side]
        if f["face_rule"] not in ("only", "requested"):
            print(f"{prefix}  image {side[-1]}: {f['faces_found']} faces, used the {f['face_rule']} (--face to choose)")


def cmd_verify(args: argparse.Namespace) -> int:
    from ..pipeline import Analyzer

    if not args.pairs and len(args.images) != 2:
        raise InputError("verify needs two images (or --pairs CSV)")
    if args.pairs and args.images:
        raise InputError("give two images or --pairs CSV, not both")
    analyzer = Analyzer.from_name(args.model)
    # Resolved once, passed down: an uncalibrated FMR is a usage error before any work.
    threshold = analyzer.threshold(args.fmr, args.threshold)
    if args.pairs:
        return verify_pairs(args, analyzer, threshold)
    images = list(args.images)
    if args.require_live:
        from ..image import load_image

        images = [load_image(p) for p in images]
    verdict, ca, cb = analyzer.verify(images[0], images[1], threshold=threshold,
                                      face_a=_face(args, "a"), face_b=_face(args, "b"), rule=args.face_rule)
    rec = {"path_a": args.images[0], "path_b": args.images[1], **verdict_record(verdict, ca, cb)}
    if args.require_live:  # a face judged a photo or screen is refused: exit 2, no verdict
        from ..liveness.hooks import require_live

        rec["liveness_a"], rec["liveness_b"] = (require_live(im, c, p) for im, c, p in
                                                zip(images, (ca, cb), args.images))
    emit(rec) if args.json else print_verdict(rec)
    return exits.DIFFERENT if args.fail_if_different and not verdict.same else exits.OK


def _face(args: argparse.Namespace, side: str) -> int | None:
    specific = getattr(args, f"face_{side}")
    return specific if specific is not None else args.face


def verify_pairs(args: argparse.Namespace, analyzer, threshold) -> int:
    from ..progress import progress as make_bar

    rows = read_pairs(args.pairs)
    root = Path(args.root) if args.root else Path(args.pairs).parent
    seen: dict[tuple[str, int | None], Any] = {}
    batch, different = Batch(args), False

    def choice(rel: str, face: int | None):
        key = (rel, face)
        if key not in seen:
            try:
                seen[key] = analyzer.choose_face(root / rel, face, args.face_rule)
            except FaceprintError as e:
                seen[key] = e
        return seen[key]

    for line, row in make_bar(rows, desc="pairs", unit="pair"):
        a, b = row.get("path_a"), row.get("path_b")
        base: dict[str, Any] = {"path_a": a, "path_b": b}
        problem = _row_problem(args.pairs, line, row)
        if problem is not None:
            batch.fail({**base, "line": line}, problem, f"error: {problem}")  # it names the line
            continue
        label = f"{a} {b}"
        if row.get("same") not in ("", None):
            base["expected"] = row["same"].strip().lower() in {"1", "true", "yes", "same"}
            label += f" (expected: {'same' if base['expected'] else 'different'})"
        ca, cb = choice(a, _face(args, "a")), choice(b, _face(args, "b"))
        failed = next((c for c in (ca, cb) if isinstance(c, Exception)), None)
        if failed is not None:
            side = "a" if ca is failed else "b"
            batch.fail({**base, "image": side}, failed, f"{label}: error: image {side.upper()}: {failed}")
            continue
        verdict = analyzer.compare(ca.embedding, cb.embedding, threshold=threshold)
        different = different or not verdict.same
        rec = {**base, **verdict_record(verdict, ca, cb)}
        emit(rec) if args.json else print_verdict(rec, prefix=f"{label}: ")
    if batch.failed:
        return batch.code
    return exits.DIFFERENT if args.fail_if_different and different else exits.OK


def _row_problem(path: str, line: int, row: dict[str | None, Any]) -> InputError | None:
    """Why a CSV row cannot be a pair (too few fields, an empty path), or None."""
    for column in PAIR_COLUMNS:
        value = row.get(column)
        if value is None:
            return InputError(f"{path} line {line}: no {column} (the row has too few fields)")
        if not value.strip():
            return InputError(f"{path} line {line}: {column} is empty")
    return None


def read_pairs(path: str) -> list[tuple[int, dict[str | None, Any]]]:
    """(line number, row) of every data row; header names are trimmed and a UTF-8 BOM (Excel) is skipped."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = [h.strip() for h in next(reader, [])]
            missing = set(PAIR_COLUMNS) - set(header)
            if missing:
                raise InputError(f"{path}: missing column(s) {', '.join(sorted(missing))}; "
                                 f"expected a header path_a,path_b[,same,...]")
            rows = []
            for fields in reader:
                if not any(v.strip() for v in fields):
                    continue  # a blank line is not a pair
                row: dict[str | None, Any] = dict(zip(header, fields))
                rows.append((reader.line_num, row))
            return rows
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise InputError(f"cannot read pairs file {path}: {e}") from None
