"""`faceprint enroll --from DIR --labels CSV`: bulk-insert labelled faces of an index into a gallery.

The labels CSV has a `path` column and a `name` (or `identity`) column; relative paths are
relative to the CSV's folder, as in a manifest. Each labelled image gives its largest face
(face 0), the rule `enroll` uses for one photo. New identities go in with one bulk insert
(`Gallery.enroll_many`: one transaction in SQLite, batched inserts in Milvus); identities
already in the gallery get the new faces appended only with `--append`, else are left as
they are and reported.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from .read import IndexedFaces, path_key


@dataclass
class BulkEnrollment:
    identities: int = 0
    templates: int = 0
    appended: int = 0
    kept: list[str] = field(default_factory=list)  # already enrolled, left unchanged (no --append)
    unmatched: int = 0  # labelled images with no face in the index (not indexed, no face, or an error)
    added: dict[str, int] = field(default_factory=dict)  # name -> templates stored (new or appended)

    def to_dict(self) -> dict[str, Any]:
        return {"identities": self.identities, "templates": self.templates, "appended": self.appended,
                "kept": self.kept, "unmatched": self.unmatched}


def read_labels(path: str) -> list[tuple[str, str]]:
    """(path key, name) pairs from a labels CSV."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError as e:
        raise InputError(f"cannot read labels {path!r}: {e.strerror or e}") from None
    reader = csv.DictReader(io.StringIO(text))
    cols = reader.fieldnames or []
    name_col = "name" if "name" in cols else "identity" if "identity" in cols else None
    if "path" not in cols or name_col is None:
        raise InputError(f"labels {path!r} need a 'path' and a 'name' (or 'identity') column; "
                         f"found: {', '.join(cols)}")
    base = os.path.dirname(os.path.abspath(path))
    out = []
    for r in reader:
        p, n = (r.get("path") or "").strip(), (r.get(name_col) or "").strip()
        if p and n:
            out.append((path_key(p if "://" in p or os.path.isabs(p) else os.path.join(base, p)), n))
    return out


def enroll_from_index(gallery: Any, faces: IndexedFaces, labels: list[tuple[str, str]], *,
                      append: bool = False, index_dir: str | os.PathLike[str] | None = None) -> BulkEnrollment:
    """Enroll the labelled faces. Each identity records what `gallery remove` must also forget:
    its photos' content digests (the embedding caches' keys) and, with `index_dir`, its faces'
    rows in that index (privacy/forget.py)."""
    largest = {path_key(str(p)): k for k, (p, f) in enumerate(zip(faces.paths, faces.face_index)) if f == 0}
    by_name: dict[str, list[int]] = {}
    result = BulkEnrollment()
    for p, name in labels:
        k = largest.get(p)
        if k is None:
            result.unmatched += 1
        else:
            by_name.setdefault(name, []).append(k)
    present = {i.name for i in gallery.identities()}
    forget = {n: _forget_entries(faces, rows, index_dir) for n, rows in by_name.items()}
    new = [(n, faces.embeddings[rows]) for n, rows in by_name.items() if n not in present]
    result.identities = gallery.enroll_many(new, model=faces.model_id, forget=forget) if new else 0
    result.templates = int(sum(len(v) for _, v in new))
    result.added = {n: len(v) for n, v in new}
    for name, rows in by_name.items():
        if name not in present:
            continue
        if not append:
            result.kept.append(name)
            continue
        gallery.enroll_vectors(name, faces.embeddings[rows], model=faces.model_id, append=True,
                               sources=[f"{faces.paths[k]}#{faces.face_index[k]}" for k in rows],
                               forget=forget[name])
        result.appended += len(rows)
        result.added[name] = len(rows)
    return result


def _forget_entries(faces: IndexedFaces, rows: list[int], index_dir: str | os.PathLike[str] | None
                    ) -> list[tuple[str, str]]:
    from ..privacy.forget import index_face

    hashes = list(dict.fromkeys(str(faces.content_hash[k]) for k in rows))  # two paths, one content: once
    out = [("cache", h) for h in hashes]
    if index_dir is not None:
        out += [("index", os.path.abspath(index_dir))]
        out += list(dict.fromkeys(index_face(str(faces.content_hash[k]), int(faces.face_index[k])) for k in rows))
    return out


