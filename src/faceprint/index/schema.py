"""The columns of an index shard, and rows <-> Arrow tables.

One row per face. An image without a face gets one row with a null `face_index`; an image
that could not be read or decoded gets one row with a null `face_index` and its `error`.
So every image of the source appears at least once, and its content hash says it is done.
"""

from __future__ import annotations

from typing import Any

import numpy as np

SCHEMA_VERSION = "faceprint-index-v1"


def schema():  # -> pyarrow.Schema
    import pyarrow as pa

    return pa.schema([
        ("path", pa.string()),
        ("content_hash", pa.string()),  # blake2b-160 of the file's bytes (null: the file could not be read)
        ("face_index", pa.int32()),  # 0 = largest face; null: no face or an error
        ("box", pa.list_(pa.float32(), 4)),  # x1, y1, x2, y2 in pixels
        ("landmarks", pa.list_(pa.float32(), 10)),  # 5 points (x, y), ArcFace order
        ("score", pa.float32()),  # detector score
        ("quality", pa.float32()),  # faceprint.assessors.quality, capture measures only
        ("embedding", pa.list_(pa.float32())),  # L2-normalised
        ("model_id", pa.string()),
        ("error", pa.string()),
    ])


def empty_row(path: str, content_hash: str | None, model_id: str, error: str | None = None) -> dict[str, Any]:
    return {"path": path, "content_hash": content_hash, "face_index": None, "box": None, "landmarks": None,
            "score": None, "quality": None, "embedding": None, "model_id": model_id, "error": error}


def face_rows(path: str, content_hash: str, model_id: str, faces: Any, quality: np.ndarray) -> list[dict[str, Any]]:
    rows = []
    for i in range(len(faces)):
        rows.append({"path": path, "content_hash": content_hash, "face_index": i,
                     "box": faces.boxes[i].astype(np.float32), "landmarks": faces.landmarks[i].reshape(-1),
                     "score": float(faces.scores[i]), "quality": float(quality[i]),
                     "embedding": faces.embeddings[i].astype(np.float32), "model_id": model_id, "error": None})
    return rows


def to_table(rows: list[dict[str, Any]]):  # -> pyarrow.Table
    import pyarrow as pa

    cols = {name: [r[name] for r in rows] for name in schema().names}
    for name in ("box", "landmarks", "embedding"):
        cols[name] = [None if v is None else np.asarray(v, np.float32) for v in cols[name]]
    return pa.Table.from_pydict(cols, schema=schema())


def embeddings(table) -> np.ndarray:  # noqa: ANN001 - pyarrow.Table with only face rows
    """(N, D) float32 from the `embedding` column (no copy through Python lists)."""
    col = table.column("embedding").combine_chunks()
    if len(col) == 0:
        return np.zeros((0, 0), np.float32)
    flat = col.values.to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    return flat.reshape(len(col), -1)
