"""Approximate search for large galleries: a product-quantised scan, then exact re-scoring.

Every template is coded as D/2 four-bit codes (two dimensions per sub-quantiser, 16
centroids each), and faiss's fast-scan kernel compares a probe with all codes through SIMD
lookup tables: a linear scan, but of 1/16th of the float32 bytes, so a million 128-d
templates take about a millisecond and a half on one core. The `refine` x max(k, 10) best
codes are then re-scored with the exact float32 dot product, so reported similarities are
the true ones and the top is exact whenever the true best is among the candidates.

Why not only HNSW: a graph index navigates by neighbourhood structure, and a gallery of
unrelated people has little; on 1M uniform random distractors usearch HNSW (M=32) needed
ef_search 2,048 (20 ms) for recall@1 0.99, where this scan gives 1.000 at 1.5 ms
(`python -m faceprint.bench gallery`). It also builds in seconds (2 s at 1M), not minutes.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np

from ..errors import InputError

# Under this many rows the exact scan is as fast and needs no training data.
MIN_ROWS = 4096
TRAIN_ROWS = 100_000


def pq_available() -> bool:
    return importlib.util.find_spec("faiss") is not None


def _sub_quantizers(dim: int) -> int:
    return dim // 2 if dim % 2 == 0 else dim  # two dimensions per 4-bit code when possible


def _threads(size: int, worth_it: int) -> int:
    return (os.cpu_count() or 1) if size >= worth_it else 1


class PqIndex:
    """faiss `IndexPQFastScan` codes of the rows of `matrix` (kept by reference) + exact re-scoring."""

    def __init__(self, matrix: np.ndarray, *, refine: int = 50, seed: int = 0) -> None:
        if not pq_available():
            raise InputError("the approximate index needs faiss: pip install 'faceprint[gallery]'")
        import faiss

        if len(matrix) < MIN_ROWS:
            raise InputError(f"the PQ index needs at least {MIN_ROWS} templates (exact search is as fast below)")
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        self.refine = int(refine)
        dim = self.matrix.shape[1]
        self.index = faiss.IndexPQFastScan(dim, _sub_quantizers(dim), 4, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(seed)  # a fixed sample: the same gallery always gets the same codes
        sample = self.matrix if len(self.matrix) <= TRAIN_ROWS else \
            self.matrix[np.sort(rng.choice(len(self.matrix), TRAIN_ROWS, replace=False))]
        # OpenMP threads only pay off on big inputs; on small ones (and on a busy machine) their
        # start-up and spinning cost more than the work.
        faiss.omp_set_num_threads(_threads(len(sample), 50_000))
        self.index.train(sample)
        faiss.omp_set_num_threads(_threads(len(self.matrix), 500_000))
        self.index.add(self.matrix)

    @property
    def memory_bytes(self) -> int:
        return int(self.index.ntotal * self.index.code_size)

    def search(self, probes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        import faiss

        n = self.matrix.shape[0]
        k = min(k, n)
        probes = np.ascontiguousarray(probes, dtype=np.float32)
        if k <= 0 or not len(probes):
            return np.zeros((len(probes), 0), np.float32), np.zeros((len(probes), 0), np.int64)
        want = min(n, max(k, 10) * self.refine)
        # One probe: threads cost more to start than the scan takes; a batch splits across cores.
        faiss.omp_set_num_threads(_threads(len(probes), 8))
        _, keys = self.index.search(probes, want)
        keys = np.asarray(keys, np.int64)
        valid = keys >= 0
        keys = np.where(valid, keys, 0)
        exact = np.einsum("bd,bkd->bk", probes, self.matrix[keys])
        exact = np.where(valid, exact, -np.inf).astype(np.float32)
        order = np.lexsort((keys, -exact), axis=1)[:, :k]
        return np.take_along_axis(exact, order, axis=1), np.take_along_axis(keys, order, axis=1)
