"""`faceprint index SOURCE --out DIR` and `faceprint search --from DIR PHOTO`."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from ..cli.options import add_fmr, int_at_least
from ..errors import FaceprintError, InputError

_count = int_at_least(1, "a count")


def cmd_index(args: argparse.Namespace) -> int:
    from ..cli.output import emit as _emit
    from .job import make_engine, run_index

    if args.engine == "local" and args.ray_address:
        raise InputError("--ray-address needs --engine ray")
    logging.getLogger("ray").setLevel(logging.WARNING)  # the summary below says what Ray's INFO lines would
    engine = make_engine(args.engine, workers=args.workers, address=args.ray_address)
    s = run_index(args.source, args.out, engine, pipeline=args.model, shard_size=args.shard_size,
                  progress=not args.json)
    if args.json:
        _emit(s.to_dict())
    else:
        print(f"{s.images} images in {s.shards} shards ({s.shards_skipped} already done): processed {s.processed} "
              f"images, {s.faces} faces, {s.errors} errors, {s.reused} reused by content, "
              f"{s.images_per_s:.2f} images/s ({s.engine}, {s.model_id}) -> {s.out}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from ..cli.output import emit as _emit
    from ..pipeline import Analyzer
    from ..gallery.gallery import pipeline_for
    from .read import load_faces
    from .search import in_memory, in_milvus, matches

    faces = load_faces(args.from_dir)
    if not len(faces):
        raise InputError(f"{args.from_dir} holds no faces")
    pipeline = faces.pipeline or pipeline_for(faces.model_id)
    analyzer = Analyzer.from_name(pipeline)
    if analyzer.model_id != faces.model_id:
        raise InputError(f"{args.from_dir} was indexed with {faces.model_id!r}; this install makes "
                         f"{analyzer.model_id!r}: re-index")
    threshold = analyzer.threshold(args.fmr, args.threshold).value
    probe = analyzer.embed_faces(args.photo)
    if not len(probe):
        raise InputError(f"no face found in {args.photo!r}")
    chosen = list(range(len(probe))) if args.all_faces else [0]
    vecs = probe.embeddings[chosen]
    k = min(args.top, len(faces))
    scores, rows = in_milvus(args.milvus, faces, vecs, k) if args.milvus else in_memory(faces, vecs, k, args.index)
    found = matches(faces, scores, rows, threshold)
    for face, hits in zip(chosen, found):
        rec = {"photo": args.photo, "face": face, "box": [round(float(v), 1) for v in probe.boxes[face]],
               "threshold": round(float(threshold), 6), "fmr": None if args.threshold is not None else args.fmr,
               "matches": [h.to_dict() for h in hits]}
        if args.json:
            _emit(rec)
        else:
            print(f"{args.photo} face {face}: {len(hits)} match(es) at similarity >= {threshold:.4f} "
                  f"among {len(faces)} indexed faces")
            for h in hits:
                print(f"  {h.similarity:.4f}  {h.path}#{h.face}")
    return 0


def enroll_from(args: argparse.Namespace, open_gallery: Any, audit: Any = None) -> int:
    """`faceprint enroll --from DIR --labels CSV` (called by the gallery's `enroll`); `audit(action,
    identity, outcome, **extra)` records each identity enrolled (`--audit-log`)."""
    from ..cli.output import emit as _emit
    from .enroll import enroll_from_index, read_labels
    from .read import load_faces

    if not (args.from_dir and args.labels):
        raise InputError("bulk enrolment needs both --from DIR and --labels CSV")
    if args.name or args.images:
        raise InputError("enroll --from takes no NAME or IMAGE: the names come from --labels")
    faces = load_faces(args.from_dir)
    labels = read_labels(args.labels)
    try:
        with open_gallery(args, create=True) as gallery:
            result = enroll_from_index(gallery, faces, labels, append=args.append, index_dir=args.from_dir)
    except FaceprintError as e:
        if audit is not None:
            audit("enroll", None, e.code)
        raise
    if audit is not None:
        for name, n in result.added.items():
            audit("enroll", name, templates=n)
    rec = {"gallery": args.gallery, "from": args.from_dir, "model": faces.model_id, **result.to_dict()}
    if args.json:
        _emit(rec)
    else:
        print(f"enrolled {result.identities} new identities ({result.templates} templates), appended "
              f"{result.appended} templates; {len(result.kept)} already enrolled and kept (--append to add); "
              f"{result.unmatched} labelled images had no face in the index")
    return 0


def register(sub: Any) -> None:
    """Add `index` and `search` to the `faceprint` subcommands."""
    text = "index every face of a folder or manifest into resumable Parquet shards (local processes or Ray)"
    p = sub.add_parser("index", help=text, description=text)
    p.set_defaults(func=cmd_index)
    p.add_argument("source", metavar="SOURCE", help="a folder, a text file of paths, or a CSV/Parquet manifest "
                   "with a 'path' column (or a URI pyarrow can read, e.g. s3://...)")
    p.add_argument("--out", required=True, metavar="DIR", help="index folder (a rerun resumes it)")
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="local: a process pool on this machine (default); ray: Ray Data actors")
    p.add_argument("--ray-address", metavar="ADDR", help="join this Ray cluster (default: start a local one)")
    p.add_argument("--model", default=None, help="pipeline name (see `faceprint models`); default: accurate")
    p.add_argument("--workers", type=_count, default=None,
                   help="processes (local) or actors (ray); default: every CPU")
    p.add_argument("--shard-size", type=_count, default=500, metavar="N", help="images per shard (default 500)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")

    text = "find the faces of a photo across an index (faceprint index): every match above the threshold"
    p = sub.add_parser("search", help=text, description=text)
    p.set_defaults(func=cmd_search)
    p.add_argument("photo", metavar="PHOTO")
    p.add_argument("--from", dest="from_dir", required=True, metavar="DIR", help="an index folder")
    p.add_argument("--top", type=_count, default=100, help="at most this many matches per face (default 100)")
    add_fmr(p, "per comparison")
    p.add_argument("--threshold", type=float, help="use this similarity threshold instead (no FMR is claimed)")
    p.add_argument("--all-faces", action="store_true", help="search every face of PHOTO (default: the largest)")
    p.add_argument("--index", choices=("auto", "exact", "pq"), default="auto",
                   help="in-memory search: exact, or the PQ scan (auto: PQ from 4,096 faces when faiss is there)")
    p.add_argument("--milvus", metavar="URI", help="search in Milvus instead (milvus://host:port/collection or "
                   "milvus-lite:PATH.db); the archive's faces are inserted once")
    p.add_argument("--json", action="store_true", help="JSON Lines: one line per searched face")


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use the `faceprint` command")
