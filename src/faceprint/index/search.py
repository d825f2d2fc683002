"""`faceprint search --from DIR PHOTO`: where else does this person appear in the archive?

The photo's faces are embedded with the index's own pipeline and compared with every
indexed face: in memory, exactly (BLAS) or through the gallery's PQ scan (faiss fast scan,
exact re-scoring of its candidates) once there are enough faces; or in Milvus, where the
archive's faces are bulk-inserted into a collection once and searched there (the choice
when the archive's vectors do not fit one machine's memory). Matches are faces at or above
the pipeline's calibrated threshold for the false-match rate asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError
from .read import IndexedFaces

MILVUS_BATCH = 10_000  # rows per insert: large enough to amortise the round trip, small enough for one gRPC message


@dataclass(frozen=True)
class Match:
    path: str
    face: int
    similarity: float
    box: list[float]

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "face": self.face, "similarity": round(self.similarity, 6), "box": self.box}


def in_memory(faces: IndexedFaces, probes: np.ndarray, k: int, index: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """(scores, rows) of the k best indexed faces per probe."""
    from ..gallery.pq_index import MIN_ROWS, PqIndex, pq_available
    from ..gallery.search import topk_exact

    if index not in ("auto", "exact", "pq"):
        raise InputError(f"--index must be auto, exact or pq, got {index!r}")
    use_pq = index == "pq" or (index == "auto" and len(faces) >= MIN_ROWS and pq_available())
    if use_pq:
        return PqIndex(faces.embeddings).search(probes, k)
    return topk_exact(faces.embeddings, probes, k)


def milvus_collection(uri: str, faces: IndexedFaces) -> tuple[Any, str]:
    """(client, collection) holding the archive's faces; created and filled when absent."""
    from ..gallery.milvus_store import parse_uri

    kwargs, collection, lite = parse_uri(uri)
    try:
        from pymilvus import DataType, MilvusClient
    except ImportError:
        raise InputError("Milvus needs pymilvus (and milvus-lite for milvus-lite: URIs): "
                         "pip install 'faceprint[milvus]'") from None
    client = MilvusClient(**kwargs)
    if collection in client.list_collections():
        n = client.query(collection, filter="", output_fields=["count(*)"])[0]["count(*)"]
        if int(n) == len(faces):
            return client, collection
        client.drop_collection(collection)  # another index's faces (or a partial insert): rebuild
    s = client.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("row", DataType.INT64, is_primary=True)  # the face's row in the index
    s.add_field("vector", DataType.FLOAT_VECTOR, dim=int(faces.embeddings.shape[1]))
    params = client.prepare_index_params()
    params.add_index(field_name="vector", index_type="FLAT" if lite else "AUTOINDEX", metric_type="IP")
    client.create_collection(collection, schema=s, index_params=params, consistency_level="Strong")
    for start in range(0, len(faces), MILVUS_BATCH):
        block = faces.embeddings[start:start + MILVUS_BATCH]
        client.insert(collection, [{"row": start + i, "vector": v} for i, v in enumerate(block.tolist())])
    return client, collection


def in_milvus(uri: str, faces: IndexedFaces, probes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    client, collection = milvus_collection(uri, faces)
    found = client.search(collection, data=probes.astype(np.float32).tolist(), limit=min(k, 16384),
                          anns_field="vector", search_params={"metric_type": "IP"})
    scores = np.full((len(probes), k), -np.inf, np.float32)
    rows = np.full((len(probes), k), -1, np.int64)
    for p, hits in enumerate(found):
        for j, h in enumerate(sorted(hits, key=lambda h: -h["distance"])[:k]):
            scores[p, j], rows[p, j] = h["distance"], h["id"]
    client.close()
    return scores, rows


def matches(faces: IndexedFaces, scores: np.ndarray, rows: np.ndarray, threshold: float) -> list[list[Match]]:
    out = []
    for s_row, r_row in zip(scores, rows):
        out.append([Match(str(faces.paths[r]), int(faces.face_index[r]), float(s),
                          [round(float(v), 1) for v in faces.boxes[r]])
                    for s, r in zip(s_row.tolist(), r_row.tolist()) if r >= 0 and s >= threshold])
    return out
