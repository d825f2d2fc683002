"""What `faceprint cluster` writes: clusters.json/.csv, the contact sheet, named.npz; and enrolment."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .grouping import FaceTable


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
    if table.thumbs or not faces:  # `cluster --from --no-sheet` cuts no thumbnails
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
                 model: str, out: Path | None = None, index_dir: Path | None = None,
                 key_file: str | None = None, audit: Any = None) -> dict[str, int]:
    """Put each named cluster's faces into a gallery as that person's templates; name -> count.
    `out` (the cluster folder) and `index_dir` (the index the faces came from, `cluster --from`)
    are recorded so that `gallery remove` scrubs them too. `key_file`: the gallery's key
    (else $FACEPRINT_GALLERY_KEY); `audit(action, identity, outcome, **extra)`: `--audit-log`."""
    from ..errors import FaceprintError

    try:
        return _enroll_named(gallery_uri, photos, table, labels, ids, model, out, index_dir, key_file, audit)
    except FaceprintError as e:
        if audit is not None:
            audit("enroll", None, e.code)
        raise


def _enroll_named(gallery_uri: str, photos: Path, table: FaceTable, labels: np.ndarray, ids: list[int | str],
                  model: str, out: Path | None, index_dir: Path | None, key_file: str | None, audit: Any
                  ) -> dict[str, int]:
    from ..gallery import open_gallery
    from ..privacy.forget import index_face

    done: dict[str, int] = {}
    with open_gallery(gallery_uri, create=True, key_file=key_file) as gallery:
        present = {info.name for info in gallery.identities()}
        for c, name in enumerate(ids):
            if not isinstance(name, str):
                continue
            rows = np.flatnonzero(labels == c)
            if name in present:
                gallery.remove(name, elsewhere=False)  # the corrected cluster is the current truth about this person
            # Recorded so `gallery remove` also forgets the cached faces and this folder's sheet.
            forget = [("cache", table.digests[k]) for k in rows] + ([("sheet", str(Path(out).resolve()))] if out else [])
            if index_dir is not None:
                forget += [("index", str(index_dir))] + [index_face(table.digests[k], table.index[k]) for k in rows]
            gallery.enroll_vectors(name, table.embeddings[rows], model=model,
                                   sources=[f"{photos / table.files[k]}#{table.index[k]}" for k in rows], forget=forget)
            done[name] = int(rows.size)
            if audit is not None:
                audit("enroll", name, templates=int(rows.size))
    return done


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
