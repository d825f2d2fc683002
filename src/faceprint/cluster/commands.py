"""`faceprint cluster PHOTOS_DIR --out OUT_DIR`: group a photo collection by person.

Writes into OUT_DIR: `clusters.json`, `clusters.csv`, `index.html` (+ `thumbs/`),
`corrections.json` (the user's names, merges and splits, kept for later runs) and,
once some cluster is named, `named.npz` (the named faces' embeddings, ready to enrol
into a gallery: arrays `names`, `embeddings`, `files`, `model`; no pickle).

The work is in the package (`batch` reads the photos, `grouping` clusters, `edits` applies
corrections, `outputs` writes the files); this module is the command line. Exit code: 0, or 2
when some file was skipped (each is reported; the outputs are still written).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from ..cli.options import add_json, add_model, finite_float, int_at_least
from ..cli.output import emit as _emit
from ..cli.output import OutputError, output_dir
from ..errors import InputError
from .grouping import CLUSTER_FMR


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `cluster` command to the `faceprint` parser's subparsers."""
    help_ = "group the faces of a photo folder by person: clusters.json/.csv and a contact sheet"
    p = subparsers.add_parser("cluster", help=help_, description=help_)
    p.set_defaults(func=cmd_cluster)
    p.add_argument("photos", metavar="PHOTOS_DIR", nargs="?")
    p.add_argument("--from", dest="from_dir", metavar="DIR", help="cluster the faces of an index (faceprint index) "
                   "instead of reading photos")
    p.add_argument("--engine", choices=("local", "ray"), default="local", help="with --from: build the similarity "
                   "graph here or in chunks on Ray (default local)")
    p.add_argument("--ray-address", metavar="ADDR", help="with --engine ray: join this Ray cluster")
    p.add_argument("--no-sheet", action="store_true", help="with --from: no contact sheet (no thumbnails cut)")
    p.add_argument("--out", required=True, metavar="OUT_DIR")
    add_model(p)
    p.add_argument("--workers", type=_positive_int, default=None, help="processes (default: all cores)")
    p.add_argument("--min-quality", type=finite_float("--min-quality"), default=0.0, metavar="Q",
                   help="leave out faces whose detector score is below Q (0..1; default 0: keep all)")
    p.add_argument("--threshold", type=finite_float("--threshold"), default=None,
                   help=f"average similarity two groups need to merge (default: the pipeline's calibrated "
                        f"threshold at FMR {CLUSTER_FMR:g})")
    p.add_argument("--name", action="append", default=[], metavar="CLUSTER=NAME",
                   help="name a cluster of the last run (repeatable)")
    p.add_argument("--merge", nargs=2, action="append", default=[], metavar=("A", "B"),
                   help="clusters A and B of the last run are one person (repeatable)")
    p.add_argument("--split", action="append", default=[], metavar="CLUSTER",
                   help="cluster of the last run holds two people: split it in two (repeatable)")
    p.add_argument("--corrections", metavar="FILE", help="corrections file (default: OUT_DIR/corrections.json)")
    p.add_argument("--enroll", metavar="GALLERY", help="enrol every named person into this gallery (path or URI; "
                   "created if absent); a person already there gets the faces of their cluster instead")
    p.add_argument("--key-file", metavar="PATH", help="with --enroll: the gallery's encryption key (base64, "
                   "32 bytes; default $FACEPRINT_GALLERY_KEY), never in the gallery's own folder")
    p.add_argument("--audit-log", metavar="PATH", help="with --enroll: append who enrolled whom to PATH "
                   "(JSON Lines, 0600; docs/privacy.md)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the result cache")
    add_json(p, "print a JSON summary (and skipped files as JSON Lines)")
    return p


_positive_int = int_at_least(1, "a count")


def cmd_cluster(args: argparse.Namespace) -> int:
    from ..models.catalog import DEFAULT_PIPELINE
    from . import batch
    from .corrections import Corrections
    from .edits import apply_edits
    from .grouping import cluster_faces, default_threshold, face_table
    from .outputs import enroll_named, write_outputs

    if args.from_dir:
        from ..index.cluster_from import cmd_cluster_from  # the faces come from `faceprint index`

        return cmd_cluster_from(args)
    if not args.photos:
        raise InputError("cluster needs PHOTOS_DIR (or --from DIR)")
    pipeline = args.model or DEFAULT_PIPELINE
    if not 0.0 <= args.min_quality <= 1.0 or math.isnan(args.min_quality):
        raise InputError(f"--min-quality is a detector score between 0 and 1, got {args.min_quality}")
    threshold = args.threshold if args.threshold is not None else default_threshold(pipeline)
    photos, out = Path(args.photos), Path(args.out)
    corrections_path = Path(args.corrections) if args.corrections else out / "corrections.json"
    corrections = Corrections.load(corrections_path)
    files = batch.walk(photos, exclude=[out])
    output_dir(out, "--out")

    cache = None if args.no_cache else batch.results_cache()
    try:
        results = batch.process(photos, files, pipeline, workers=args.workers, cache=cache,
                                progress=not args.json)
    finally:
        if cache is not None:
            cache.close()
    skipped = [{"file": r.file, "reason": r.error} for r in results if r.error]
    for s in skipped:
        _emit({"skipped": s["file"], "reason": s["reason"]}) if args.json else \
            print(f"skipped {s['file']}: {s['reason']}", file=sys.stderr)

    table = face_table(results, args.min_quality)
    if args.name or args.merge or args.split:
        apply_edits(corrections, out / "clusters.json", table, args.name, args.merge, args.split)
        corrections.save(corrections_path)

    labels, names = cluster_faces(table, threshold, corrections)
    model_id = next((r.faces.embedding_model for r in results if r.faces is not None and r.faces.embedding_model),
                    pipeline)
    try:
        summary = write_outputs(out, photos, table, labels, names, threshold=threshold, model=model_id,
                                skipped=skipped, n_photos=len(files),
                                low_quality=sum(len(r.faces) for r in results if r.faces is not None)
                                - len(table.files))
    except OSError as e:  # disk full, the folder made read-only meanwhile...
        raise OutputError(f"--out {out}: cannot write the results: {e.strerror or e}") from None
    if args.enroll:
        from ..gallery.commands import _Audit

        with _Audit(args, "faceprint cluster --enroll", args.enroll) as audit:
            summary["enrolled"] = enroll_named(args.enroll, photos, table, labels, names, model_id, out,
                                               key_file=args.key_file, audit=audit)
    if args.json:
        _emit(summary)
    else:
        print(f"{summary['photos']} photos, {summary['faces']} faces -> {summary['people']} people seen more "
              f"than once, {summary['singletons']} faces seen once; {len(skipped)} files skipped")
        print(f"wrote {out / 'clusters.json'}, {out / 'clusters.csv'}, {out / 'index.html'}")
    return 2 if skipped else 0  # the batch rule of faceprint.cli.exits
