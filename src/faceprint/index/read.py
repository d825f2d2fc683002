"""An index folder read back for the downstream verbs: its face rows, as arrays."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError


@dataclass(frozen=True)
class IndexedFaces:
    """Every face of an index: parallel arrays, one row per face."""

    paths: np.ndarray  # (N,) str
    face_index: np.ndarray  # (N,) int32
    content_hash: np.ndarray  # (N,) str
    boxes: np.ndarray  # (N, 4) float32
    scores: np.ndarray  # (N,)
    quality: np.ndarray  # (N,)
    embeddings: np.ndarray  # (N, D) float32
    model_id: str
    pipeline: str
    images: int  # images in the index (with or without faces)
    errors: int  # images that failed

    def __len__(self) -> int:
        return int(self.paths.size)


def load_faces(out: str | os.PathLike[str], *, min_quality: float = 0.0) -> IndexedFaces:
    import pyarrow.compute as pc

    from .schema import embeddings
    from .shards import read_index, read_plan

    doc = read_plan(Path(out)) or {}
    table = read_index(out, columns=["path", "content_hash", "face_index", "box", "score", "quality",
                                     "embedding", "error"])
    images = len(pc.unique(table.column("path"))) if table.num_rows else 0
    errors = int(pc.sum(pc.is_valid(table.column("error"))).as_py() or 0) if table.num_rows else 0
    faces = table.filter(pc.is_valid(table.column("face_index")))
    if min_quality > 0 and faces.num_rows:
        faces = faces.filter(pc.greater_equal(faces.column("quality"), min_quality))
    box = faces.column("box").combine_chunks()
    boxes = box.values.to_numpy(zero_copy_only=False).reshape(-1, 4) if len(box) else np.zeros((0, 4), np.float32)
    if not doc.get("model_id"):
        raise InputError(f"{out}: the index plan names no model")
    return IndexedFaces(np.asarray(faces.column("path").to_pylist(), dtype=object),
                        faces.column("face_index").to_numpy().astype(np.int32),
                        np.asarray(faces.column("content_hash").to_pylist(), dtype=object),
                        boxes.astype(np.float32), faces.column("score").to_numpy(),
                        faces.column("quality").to_numpy(), embeddings(faces), str(doc["model_id"]),
                        str(doc.get("pipeline") or ""), images, errors)


def path_key(path: str) -> str:
    """The form a path is matched in (labels CSV vs index): absolute and normalised when local."""
    return path if "://" in path else os.path.normpath(os.path.abspath(path))
