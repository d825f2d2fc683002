"""The similarity graph of an index's faces, built in row chunks, here or on Ray.

Average linkage (`faceprint.cluster.algorithms`) needs only the graph of pairs at or above
its threshold, each face keeping its `max_degree` best. That graph splits by rows: a chunk
of faces against all faces gives those faces' edges, independently of every other chunk,
so chunks are the unit of work: a loop here, or Ray tasks on a cluster (the embeddings are
put into Ray's object store once and read there by every task without a copy per task).

Two ways to find a chunk's neighbours:
- `exact`: the chunk times all embeddings (BLAS), as `similarity_graph` does: O(N^2 D).
- `ivf`: a faiss inverted-file index (coarse k-means cells, `nprobe` cells scanned per
  face): only faces in nearby cells are compared, about nprobe / nlist of the work, and the
  similarities it returns are exact dot products. Faces of one person sit in neighbouring
  cells, so the graph average linkage needs is kept (the benchmark measures what is lost).
`auto` is exact up to `EXACT_UP_TO` faces and ivf beyond, when faiss is installed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..cluster.algorithms import Graph, check_embeddings
from ..errors import InputError

EXACT_UP_TO = 200_000
CHUNK_ROWS = 50_000
TRAIN_ROWS = 100_000
NPROBE = 16


def _edges_exact(x: np.ndarray, start: int, stop: int, min_sim: float, max_degree: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows start..stop: their `max_degree` best neighbours >= min_sim (exact, in blocks)."""
    ii, jj, ss = [], [], []
    block = max(1, (1 << 25) // max(x.shape[0], 1))  # ~128 MB of float32 scores at a time
    for a in range(start, stop, block):
        b = min(stop, a + block)
        s = x[a:b] @ x.T
        s[np.arange(b - a), np.arange(a, b)] = -np.inf  # not its own neighbour
        k = min(max_degree, x.shape[0] - 1)
        if k <= 0:
            continue
        top = np.argpartition(s, -k, axis=1)[:, -k:]
        v = np.take_along_axis(s, top, axis=1)
        r, c = np.nonzero(v >= min_sim)
        ii.append((r + a).astype(np.int32))
        jj.append(top[r, c].astype(np.int32))
        ss.append(v[r, c].astype(np.float32))
    return _cat(ii, np.int32), _cat(jj, np.int32), _cat(ss, np.float32)


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype)


def build_ivf(x: np.ndarray, seed: int = 0) -> Any:
    """faiss IndexIVFFlat (inner product) over `x`: ~4 sqrt(N) cells, trained on a fixed sample."""
    try:
        import faiss
    except ImportError:
        raise InputError("the ivf graph needs faiss: pip install 'faceprint[gallery]'") from None
    n, d = x.shape
    nlist = max(1, min(int(4 * math.sqrt(n)), n // 39))  # faiss wants >= 39 training points per cell
    quantizer = faiss.IndexFlatIP(d)
    index = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(seed)
    sample = x if n <= TRAIN_ROWS else x[np.sort(rng.choice(n, TRAIN_ROWS, replace=False))]
    index.train(sample)
    index.add(x)
    index.nprobe = min(NPROBE, nlist)
    return index


def _edges_ivf(index: Any, x: np.ndarray, start: int, stop: int, min_sim: float, max_degree: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s, nb = index.search(x[start:stop], max_degree + 1)  # +1: a face finds itself
    rows = np.arange(start, stop)[:, None]
    keep = (nb >= 0) & (nb != rows) & (s >= min_sim)
    r, c = np.nonzero(keep)
    return (r + start).astype(np.int32), nb[r, c].astype(np.int32), s[r, c].astype(np.float32)


def _undirected(n: int, i: np.ndarray, j: np.ndarray, s: np.ndarray) -> Graph:
    """Each edge once (i < j); an edge stays when either end kept it."""
    if not i.size:
        return Graph(n, i, j, s)
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    _, first = np.unique(lo.astype(np.int64) * n + hi, return_index=True)
    return Graph(n, lo[first], hi[first], s[first])


def _chunk_task(x: np.ndarray, index_bytes: Any, start: int, stop: int, min_sim: float, max_degree: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if index_bytes is None:
        return _edges_exact(x, start, stop, min_sim, max_degree)
    import faiss

    faiss.omp_set_num_threads(1)  # one task per CPU: Ray already fills the cores
    return _edges_ivf(faiss.deserialize_index(index_bytes), x, start, stop, min_sim, max_degree)


def build_graph(x: np.ndarray, min_sim: float, *, max_degree: int = 64, method: str = "auto",
                engine: str = "local", address: str | None = None, chunk_rows: int = CHUNK_ROWS) -> Graph:
    """Edges >= `min_sim`, each face keeping its `max_degree` best, chunk by chunk."""
    x = check_embeddings(x)
    n = x.shape[0]
    if method == "auto":
        from ..gallery.pq_index import pq_available  # faiss present?

        method = "ivf" if n > EXACT_UP_TO and pq_available() else "exact"
    if method not in ("exact", "ivf"):
        raise InputError(f"graph method must be auto, exact or ivf, got {method!r}")
    index = build_ivf(x) if method == "ivf" else None
    chunks = [(a, min(n, a + chunk_rows)) for a in range(0, n, chunk_rows)]
    if engine == "local":
        parts = [(_edges_ivf(index, x, a, b, min_sim, max_degree) if index is not None
                  else _edges_exact(x, a, b, min_sim, max_degree)) for a, b in chunks]
    elif engine == "ray":
        parts = _on_ray(x, index, chunks, min_sim, max_degree, address)
    else:
        raise InputError(f"engine must be local or ray, got {engine!r}")
    i, j, s = (np.concatenate([p[k] for p in parts]) if parts else np.zeros(0) for k in range(3))
    return _undirected(n, i.astype(np.int32), j.astype(np.int32), s.astype(np.float32))


def _on_ray(x: np.ndarray, index: Any, chunks: list[tuple[int, int]], min_sim: float, max_degree: int,
            address: str | None) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    from .engine_ray import connect

    connect(address)
    import ray

    task = ray.remote(num_cpus=1)(_chunk_task)
    x_ref = ray.put(x)  # once; every task maps it read-only from the object store
    index_ref = None
    if index is not None:
        import faiss

        index_ref = ray.put(faiss.serialize_index(index))
    return ray.get([task.remote(x_ref, index_ref, a, b, min_sim, max_degree) for a, b in chunks])
