"""`faceprint cluster PHOTOS_DIR --out OUT_DIR`: group a photo collection by person.

Writes into OUT_DIR: `clusters.json`, `clusters.csv`, `index.html` (+ `thumbs/`),
`corrections.json` (the user's names, merges and splits, kept for later runs) and,
once some cluster is named, `named.npz` (the named faces' embeddings, ready to enrol
into a gallery: arrays `names`, `embeddings`, `files`, `model`; no pickle).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..cli import _emit
from ..cli_args import int_at_least
from ..errors import InputError

# Average-linkage threshold = the pipeline's calibrated 1:1 threshold at this false-match
# rate: two groups become one person when their faces are, on average, as similar as a
# pair the 1:1 verifier accepts at FMR 1e-4. The rate was chosen on the LFW people that are
# NOT in the 62-person evaluation set (faceprint.bench.cluster): there BCubed F1 was
# 0.62 / 0.86 / 0.96 / 0.985 / 0.984 at rates 1e-2 / 1e-3 / 1e-4 / 1e-5 / 3e-6, and 1e-4 is
# the strictest rate calibration.json offers. Never tuned on the evaluation set.
CLUSTER_FMR = 1e-4


@dataclass(frozen=True)
class FaceTable:
    """Every face kept for clustering, as parallel arrays/lists."""

    files: list[str]
    index: list[int]
    digests: list[str]
    photo: np.ndarray  # (N,) photo number: faces of one photo never share a cluster
    boxes: np.ndarray  # (N, 4)
    scores: np.ndarray  # (N,)
    embeddings: np.ndarray  # (N, D)
    thumbs: list[bytes]

    @property
    def keys(self) -> list[str]:
        from .corrections import face_key

        return [face_key(d, i) for d, i in zip(self.digests, self.index)]


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `cluster` command to the `faceprint` parser's subparsers."""
    help_ = "group the faces of a photo folder by person: clusters.json/.csv and a contact sheet"
    p = subparsers.add_parser("cluster", help=help_, description=help_)
    p.set_defaults(func=cmd_cluster)
    p.add_argument("photos", metavar="PHOTOS_DIR")
    p.add_argument("--out", required=True, metavar="OUT_DIR")
    p.add_argument("--model", default=None, help="pipeline name (see `faceprint models`); default: accurate")
    p.add_argument("--workers", type=_positive_int, default=None, help="processes (default: all cores)")
    p.add_argument("--min-quality", type=float, default=0.0, metavar="Q",
                   help="leave out faces whose detector score is below Q (0..1; default 0: keep all)")
    p.add_argument("--threshold", type=float, default=None,
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
    p.add_argument("--no-cache", action="store_true", help="do not read or write the result cache")
    p.add_argument("--json", action="store_true", help="print a JSON summary (and skipped files as JSON Lines)")
    return p


_positive_int = int_at_least(1, "a count")


def cmd_cluster(args: argparse.Namespace) -> int:
    from ..cache import BlobCache
    from ..models.catalog import DEFAULT_PIPELINE
    from . import batch
    from .corrections import Corrections

    pipeline = args.model or DEFAULT_PIPELINE
    if not 0.0 <= args.min_quality <= 1.0 or math.isnan(args.min_quality):
        raise InputError(f"--min-quality is a detector score between 0 and 1, got {args.min_quality}")
    threshold = args.threshold if args.threshold is not None else default_threshold(pipeline)
    photos, out = Path(args.photos), Path(args.out)
    corrections_path = Path(args.corrections) if args.corrections else out / "corrections.json"
    corrections = Corrections.load(corrections_path)
    files = batch.walk(photos, exclude=[out])
    out.mkdir(parents=True, exist_ok=True)

    cache = None if args.no_cache else BlobCache()
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
    summary = write_outputs(out, photos, table, labels, names, threshold=threshold, model=model_id,
                            skipped=skipped, n_photos=len(files),
                            low_quality=sum(len(r.faces) for r in results if r.faces is not None) - len(table.files))
    if args.enroll:
        summary["enrolled"] = enroll_named(args.enroll, photos, table, labels, names, model_id)
    if args.json:
        _emit(summary)
    else:
        print(f"{summary['photos']} photos, {summary['faces']} faces -> {summary['people']} people seen more "
              f"than once, {summary['singletons']} faces seen once; {len(skipped)} files skipped")
        print(f"wrote {out / 'clusters.json'}, {out / 'clusters.csv'}, {out / 'index.html'}")
    return 0


def default_threshold(pipeline: str) -> float:
    from .. import calibration

    try:
        return calibration.threshold_for(pipeline, CLUSTER_FMR)
    except InputError as e:
        raise InputError(f"{e} (or pass --threshold)") from None


def face_table(results: list, min_quality: float = 0.0) -> FaceTable:
    """The faces of all readable photos whose detector score is at least `min_quality`."""
    files, index, digests, photo, boxes, scores, emb, thumbs = [], [], [], [], [], [], [], []
    for p, r in enumerate(results):
        if r.faces is None or not len(r.faces) or r.faces.embeddings is None:
            continue
        for i in range(len(r.faces)):
            if r.faces.scores[i] < min_quality:
                continue
            files.append(r.file)
            index.append(i)
            digests.append(r.digest)
            photo.append(p)
            boxes.append(r.faces.boxes[i])
            scores.append(r.faces.scores[i])
            emb.append(r.faces.embeddings[i])
            thumbs.append(r.thumbs[i])
    dim = next((r.faces.embeddings.shape[1] for r in results if r.faces is not None
                and r.faces.embeddings is not None), 0)
    return FaceTable(files, index, digests, np.array(photo, np.int64), np.array(boxes, np.float32).reshape(-1, 4),
                     np.array(scores, np.float32),
                     np.array(emb, np.float32) if emb else np.zeros((0, dim), np.float32), thumbs)


def cluster_faces(table: FaceTable, threshold: float, corrections) -> tuple[np.ndarray, list[int | str]]:
    """Labels 0..C-1 (largest first) and each label's public id: its name, else a number."""
    from .algorithms import average_linkage, default_max_degree

    if not table.files:
        return np.zeros(0, np.int64), []
    together, differ, group_name = corrections.constraints(table.keys)
    # A face and the photo it shares with others: enforced as a constraint, so corrections
    # that would join two faces of one photo are refused by the algorithm itself.
    labels = average_linkage(table.embeddings, threshold, cannot_same=table.photo, cannot_differ=differ,
                             together=together, max_degree=default_max_degree(len(table.files)))
    ids: list[int | str] = []
    number = 0
    for c in range(int(labels.max()) + 1):
        members = np.flatnonzero(labels == c)
        name = next((group_name[g] for g in {int(together[i]) for i in members} if g in group_name), None)
        if name is not None:
            ids.append(name)
        else:
            ids.append(number)
            number += 1
    return labels, ids


def _previous(clusters_json: Path) -> dict[str, list[str]]:
    """Public cluster id (as text) -> face keys, from the last run's clusters.json."""
    from .corrections import face_key

    if not clusters_json.exists():
        raise InputError(f"{clusters_json} not found: run `faceprint cluster` once before --name/--merge/--split")
    try:
        faces = json.loads(clusters_json.read_text(encoding="utf-8"))["faces"]
        out: dict[str, list[str]] = {}
        for f in faces:
            out.setdefault(str(f["cluster"]), []).append(face_key(f["digest"], int(f["face"])))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(f"cannot read {clusters_json}: {e}") from None
    return out


def apply_edits(corrections, clusters_json: Path, table: FaceTable, names: list[str], merges: list[list[str]],
                splits: list[str]) -> None:
    """Turn --name/--merge/--split (cluster ids of the last run) into corrections about faces."""
    from .corrections import split_in_two

    previous = _previous(clusters_json)

    def members(cid: str) -> list[str]:
        if cid not in previous:
            shown = ", ".join(list(previous)[:12]) + (" ..." if len(previous) > 12 else "")
            raise InputError(f"no cluster {cid!r} in {clusters_json} (clusters: {shown})")
        return previous[cid]

    key_photo = dict(zip(table.keys, table.files))
    for a, b in merges:
        fa, fb = members(a), members(b)
        shared = {key_photo.get(k) for k in fa} & {key_photo.get(k) for k in fb} - {None}
        if shared:
            raise InputError(f"cannot merge clusters {a} and {b}: both have a face in {sorted(shared)[0]} "
                             f"(two faces of one photo are never one person)")
        corrections.merge(fa, fb)
    key_row = {k: i for i, k in enumerate(table.keys)}
    for cid in splits:
        fs = [k for k in members(cid) if k in key_row]
        side = split_in_two(table.embeddings[[key_row[k] for k in fs]])
        corrections.split([k for k, s in zip(fs, side) if s == 0], [k for k, s in zip(fs, side) if s == 1])
    for spec in names:
        cid, sep, name = spec.partition("=")
        if not sep:
            raise InputError(f"--name takes CLUSTER=NAME, got {spec!r}")
        corrections.name(members(cid.strip()), name)


def write_outputs(out: Path, photos: Path, table: FaceTable, labels: np.ndarray, ids: list[int | str], *,
                  threshold: float, model: str, skipped: list[dict], n_photos: int, low_quality: int) -> dict:
    from .algorithms import cluster_confidence
    from .sheet import SheetFace, write_sheet

    conf = cluster_confidence(table.embeddings, labels) if len(labels) else np.zeros(0)
    public = [ids[c] for c in labels.tolist()]
    sizes = np.bincount(labels, minlength=len(ids)) if len(labels) else np.zeros(0, np.int64)
    faces = []
    for k in range(len(table.files)):
        faces.append({"file": table.files[k], "face": table.index[k], "digest": table.digests[k],
                      "box": [round(float(v), 1) for v in table.boxes[k]], "score": round(float(table.scores[k]), 4),
                      "cluster": public[k], "confidence": None if np.isnan(conf[k]) else round(float(conf[k]), 4)})
    doc = {"model": model, "threshold": round(float(threshold), 6),
           "confidence": "mean cosine similarity of the face to the other faces of its cluster (null: alone)",
           "clusters": [{"cluster": ids[c], "size": int(sizes[c])} for c in range(len(ids))],
           "faces": faces, "skipped": skipped}
    _write_text(out / "clusters.json", json.dumps(doc, ensure_ascii=False, indent=1, allow_nan=False) + "\n")
    tmp = out / "clusters.csv.tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["file", "face", "x1", "y1", "x2", "y2", "cluster", "confidence"])
        for r in faces:
            w.writerow([r["file"], r["face"], *r["box"], r["cluster"],
                        "" if r["confidence"] is None else r["confidence"]])
    os.replace(tmp, out / "clusters.csv")
    sheet = [SheetFace(table.files[k], table.index[k], table.digests[k], public[k],
                       None if np.isnan(conf[k]) else float(conf[k]), table.thumbs[k]) for k in range(len(faces))]
    write_sheet(out, photos, sheet, note=f"Model {model}, average-linkage threshold {threshold:.3f}.")
    named = [k for k in range(len(faces)) if isinstance(public[k], str)]
    if named:
        tmp_npz = out / "named.tmp.npz"
        np.savez(tmp_npz, names=np.array([public[k] for k in named]), embeddings=table.embeddings[named],
                 files=np.array([table.files[k] for k in named]), model=np.array(model))
        os.replace(tmp_npz, out / "named.npz")
    elif (out / "named.npz").exists():
        (out / "named.npz").unlink()  # no name left: do not leave a stale enrolment file
    people = int((sizes > 1).sum())
    return {"photos": n_photos, "faces": len(faces), "clusters": len(ids), "people": people,
            "singletons": int((sizes == 1).sum()), "named": sorted({p for p in public if isinstance(p, str)}),
            "skipped": len(skipped), "low_quality_faces_left_out": low_quality, "threshold": threshold,
            "model": model, "out": str(out)}


def enroll_named(gallery_uri: str, photos: Path, table: FaceTable, labels: np.ndarray, ids: list[int | str],
                 model: str) -> dict[str, int]:
    """Put each named cluster's faces into a gallery as that person's templates; name -> count."""
    from ..gallery import open_gallery

    done: dict[str, int] = {}
    with open_gallery(gallery_uri, create=True) as gallery:
        present = {info.name for info in gallery.identities()}
        for c, name in enumerate(ids):
            if not isinstance(name, str):
                continue
            rows = np.flatnonzero(labels == c)
            if name in present:
                gallery.remove(name)  # the corrected cluster is the current truth about this person
            gallery.enroll_vectors(name, table.embeddings[rows], model=model,
                                   sources=[f"{photos / table.files[k]}#{table.index[k]}" for k in rows])
            done[name] = int(rows.size)
    return done


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
