"""`faceprint cluster --from DIR --out OUT`: cluster an index's faces, with `cluster`'s own outputs.

The same average linkage at the same calibrated threshold, corrections and outputs as
`faceprint cluster PHOTOS`; only the faces come from the index instead of a photo pass.
Up to `graph.EXACT_UP_TO` faces on the local engine the graph is `cluster`'s own; beyond
that, or with `--engine ray`, it is built in chunks (`faceprint.index.graph`), on Ray when
asked, and average linkage runs on it here (its memory is O(edges), 64 per face at most).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..errors import InputError


def thumbnails(paths: np.ndarray, boxes: np.ndarray) -> list[bytes]:
    """One JPEG per face, cut from its photo (each photo decoded once); grey when it is gone."""
    from ..cluster.batch import face_thumbnail, read_photo
    from ..errors import FaceprintError

    out: list[bytes] = [b""] * len(paths)
    grey = np.full((8, 8, 3), 128, np.uint8)
    order = np.argsort(paths, kind="stable")
    k = 0
    while k < len(order):
        end = k
        while end < len(order) and paths[order[end]] == paths[order[k]]:
            end += 1
        try:
            image = read_photo(str(paths[order[k]]))
        except (FaceprintError, OSError):
            image = None
        for row in order[k:end]:
            out[row] = face_thumbnail(image if image is not None else grey,
                                      boxes[row] if image is not None else np.array([0, 0, 8, 8], np.float32))
        k = end
    return out


def cmd_cluster_from(args: argparse.Namespace) -> int:
    from ..cli.output import emit as _emit
    from ..cluster.algorithms import LARGE_MAX_DEGREE
    from ..cluster.edits import apply_edits
    from ..cluster.grouping import FaceTable, cluster_faces, default_threshold
    from ..cluster.outputs import enroll_named, write_outputs
    from ..cluster.corrections import Corrections
    from .graph import EXACT_UP_TO, build_graph
    from .read import load_faces

    if args.photos:
        raise InputError("cluster takes PHOTOS_DIR or --from DIR, not both")
    faces = load_faces(args.from_dir)
    if args.model and args.model != faces.pipeline:
        raise InputError(f"{args.from_dir} was indexed with {faces.pipeline!r}, not {args.model!r}")
    keep = faces.scores >= args.min_quality if args.min_quality > 0 else np.ones(len(faces), bool)
    threshold = args.threshold if args.threshold is not None else default_threshold(faces.pipeline)
    out = Path(args.out)
    corrections_path = Path(args.corrections) if args.corrections else out / "corrections.json"
    corrections = Corrections.load(corrections_path)
    out.mkdir(parents=True, exist_ok=True)

    paths = faces.paths[keep]
    _, photo = np.unique(paths.astype(str), return_inverse=True)  # two faces of one photo: two people
    thumbs = [] if args.no_sheet else thumbnails(paths, faces.boxes[keep])
    table = FaceTable([str(p) for p in paths], faces.face_index[keep].tolist(),
                      [str(h) for h in faces.content_hash[keep]], photo.astype(np.int64), faces.boxes[keep],
                      faces.scores[keep].astype(np.float32), faces.embeddings[keep], thumbs)
    if args.name or args.merge or args.split:
        apply_edits(corrections, out / "clusters.json", table, args.name, args.merge, args.split)
        corrections.save(corrections_path)
    graph = None
    if args.engine == "ray" or len(table.files) > EXACT_UP_TO:
        graph = build_graph(table.embeddings, threshold, max_degree=LARGE_MAX_DEGREE, engine=args.engine,
                            address=args.ray_address)
    labels, names = cluster_faces(table, threshold, corrections, graph=graph)
    root = Path("/")  # index paths are absolute
    summary = write_outputs(out, root, table, labels, names, threshold=threshold, model=faces.model_id,
                            skipped=[], n_photos=faces.images, low_quality=int((~keep).sum()))
    summary["errors_in_index"] = faces.errors
    summary["graph"] = "cluster" if graph is None else f"chunked ({args.engine}), {graph.n_edges} edges"
    if args.enroll:
        from ..gallery.commands import _Audit

        with _Audit(args, "faceprint cluster --from --enroll", args.enroll) as audit:
            summary["enrolled"] = enroll_named(args.enroll, root, table, labels, names, faces.model_id,
                                               out=out.resolve(), index_dir=Path(args.from_dir).resolve(),
                                               key_file=args.key_file, audit=audit)
    if args.json:
        _emit(summary)
    else:
        print(f"{summary['photos']} photos, {summary['faces']} faces -> {summary['people']} people seen more "
              f"than once, {summary['singletons']} faces seen once ({faces.errors} index errors)")
        print(f"wrote {out / 'clusters.json'}, {out / 'clusters.csv'}"
              + ("" if args.no_sheet else f", {out / 'index.html'}"), file=sys.stdout)
    return 0
