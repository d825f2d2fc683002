"""In-memory nearest-neighbour search over gallery templates: exact (BLAS), PQ scan, HNSW.

Exact search is a float32 matrix product in row blocks of at most SCORE_CELLS scores (so
memory stays flat whatever the gallery size), each block reduced to its k best with
`argpartition`.
The approximate indexes are for large galleries: the product-quantised scan (faiss fast
scan, `pq_index.py`; the one to use) or HNSW (usearch). Each proposes candidates and every
candidate is re-scored with the exact dot product, so the similarities reported are the
true ones and, when the true best is among the candidates, the ranking is too.

Identities, not templates, are ranked. Under the "max" rule an identity scores as its
best template: with at most m templates per identity, the best k*m template rows always
hold the best k identities. Under the "mean" rule an identity scores as the mean of its
templates' similarities, which is the dot product with the mean of its templates
(linearity), so the index holds one (unnormalised) mean vector per identity.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .pq_index import MIN_ROWS as PQ_MIN_ROWS

BLOCK_ROWS = 1 << 16
# Scores held at once (64 MB): few probes -> long blocks. One sgemv over a whole 1M gallery
# is twice as fast as 16 sgemv calls over 64k-row blocks (measured: 46 vs 124 ms).
SCORE_CELLS = 1 << 24
# "auto" stays exact: an approximate index is built in memory when a gallery is opened (it
# is not persisted): seconds per million templates for "pq", many minutes for "hnsw" on 2
# cores, while exact search answers a 1M gallery in about 20 ms. Long-lived
# services with large galleries ask for index="pq".
HNSW_MIN_ROWS: int | None = None
INDEXES = ("auto", "exact", "pq", "hnsw")


def topk_exact(matrix: np.ndarray, probes: np.ndarray, k: int, block_rows: int | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """(scores, rows), each (B, k'), k' = min(k, N), best first: exact inner-product top-k."""
    n = matrix.shape[0]
    b = probes.shape[0]
    block_rows = block_rows or max(BLOCK_ROWS, SCORE_CELLS // max(b, 1))
    k = min(k, n)
    if k <= 0 or b == 0:
        return np.zeros((b, 0), np.float32), np.zeros((b, 0), np.int64)
    best_s = np.full((b, 0), -np.inf, np.float32)
    best_i = np.zeros((b, 0), np.int64)
    for start in range(0, n, block_rows):
        block = matrix[start:start + block_rows]
        s = probes @ block.T  # (B, rows): sgemm / sgemv
        kk = min(k, s.shape[1])
        if kk < s.shape[1]:
            part = np.argpartition(s, -kk, axis=1)[:, -kk:]
        else:
            part = np.broadcast_to(np.arange(s.shape[1]), (b, s.shape[1]))
        cand_s = np.take_along_axis(s, part, axis=1)
        best_s = np.concatenate([best_s, cand_s], axis=1)
        best_i = np.concatenate([best_i, part.astype(np.int64) + start], axis=1)
        if best_s.shape[1] > k:
            keep = np.argpartition(best_s, -k, axis=1)[:, -k:]
            best_s = np.take_along_axis(best_s, keep, axis=1)
            best_i = np.take_along_axis(best_i, keep, axis=1)
    # Ties broken by row number so equal inputs always give equal answers.
    order = np.lexsort((best_i, -best_s), axis=1)
    return np.take_along_axis(best_s, order, axis=1), np.take_along_axis(best_i, order, axis=1)


def hnsw_available() -> bool:
    return importlib.util.find_spec("usearch") is not None


class HnswIndex:
    """usearch HNSW over the rows of a matrix (kept by reference, not copied)."""

    def __init__(self, matrix: np.ndarray, *, connectivity: int = 32, expansion_add: int = 64,
                 expansion_search: int = 256, threads: int = 0) -> None:
        if not hnsw_available():
            raise InputError("the approximate index needs usearch: pip install 'faceprint[gallery]'")
        from usearch.index import Index

        self.matrix = matrix
        self.expansion_search = expansion_search
        self.index = Index(ndim=matrix.shape[1], metric="ip", dtype="f32", connectivity=connectivity,
                           expansion_add=expansion_add, expansion_search=expansion_search)
        if len(matrix):
            # copy=False: the index points into `matrix`, so the vectors are held once.
            self.index.add(np.arange(len(matrix), dtype=np.uint64), matrix, copy=False, threads=threads)

    @property
    def memory_bytes(self) -> int:
        return int(self.index.memory_usage)

    def search(self, probes: np.ndarray, k: int, threads: int = 0) -> tuple[np.ndarray, np.ndarray]:
        n = self.matrix.shape[0]
        k = min(k, n)
        if k <= 0:
            return np.zeros((len(probes), 0), np.float32), np.zeros((len(probes), 0), np.int64)
        # Ask for a few more than k: HNSW's tail is the least reliable part of its answer.
        want = min(n, max(k, 10))
        found = self.index.search(probes, want, threads=threads)
        keys = np.asarray(found.keys, dtype=np.int64).reshape(len(probes), -1)
        # One probe gives `Matches` (its len), several give `BatchMatches` (.counts).
        counts = np.asarray(found.counts if hasattr(found, "counts") else [len(found)]).reshape(-1)
        valid = (keys >= 0) & (np.arange(keys.shape[1])[None, :] < counts[:, None])
        keys = np.where(valid, keys, 0)
        exact = np.einsum("bd,bkd->bk", probes, self.matrix[keys])
        exact = np.where(valid, exact, -np.inf).astype(np.float32)
        order = np.lexsort((keys, -exact), axis=1)[:, :k]
        return np.take_along_axis(exact, order, axis=1), np.take_along_axis(keys, order, axis=1)


@dataclass
class Searcher:
    """Identity-level top-k over an in-memory template matrix, for one score rule.

    `labels[i]` is the identity index of row i of `templates`; `names[j]` the name of
    identity j. `index`: "exact", "hnsw", or "auto" (exact unless `HNSW_MIN_ROWS` is set).
    """

    names: list[str]
    labels: np.ndarray
    templates: np.ndarray
    rule: str = "max"
    index: str = "auto"

    def __post_init__(self) -> None:
        if self.index not in INDEXES:
            raise InputError(f"index must be one of {', '.join(INDEXES)}, got {self.index!r}")
        self.labels = np.asarray(self.labels, np.int64)
        if self.rule == "mean" and len(self.templates):
            counts = np.bincount(self.labels, minlength=len(self.names)).astype(np.float32)
            sums = np.zeros((len(self.names), self.templates.shape[1]), np.float32)
            np.add.at(sums, self.labels, self.templates)
            self.rows = sums / np.maximum(counts, 1)[:, None]
            self.row_label = np.arange(len(self.names), dtype=np.int64)
            self.per_identity = 1
        else:
            self.rows = self.templates
            self.row_label = self.labels
            self.per_identity = int(np.bincount(self.labels).max()) if len(self.labels) else 1
        use_hnsw = self.index == "hnsw" or (self.index == "auto" and HNSW_MIN_ROWS is not None
                                            and len(self.rows) >= HNSW_MIN_ROWS and hnsw_available())
        self.approx = HnswIndex(self.rows) if use_hnsw and len(self.rows) else None
        if self.index == "pq" and len(self.rows) >= PQ_MIN_ROWS:  # smaller: exact is as fast
            from .pq_index import PqIndex

            self.approx = PqIndex(self.rows)

    def search(self, probes: np.ndarray, k: int, *, exact: bool = False) -> list[list[tuple[str, float]]]:
        if k < 1:
            raise InputError(f"top must be at least 1, got {k}")
        k_rows = k * self.per_identity
        if self.approx is not None and not exact:
            scores, rows = self.approx.search(probes, k_rows)
        else:
            scores, rows = topk_exact(self.rows, probes, k_rows)
        out = []
        for s_row, r_row in zip(scores, rows):
            seen: dict[int, float] = {}
            for s, r in zip(s_row, r_row):
                if not np.isfinite(s):
                    continue
                lab = int(self.row_label[r])
                if lab not in seen:
                    seen[lab] = float(s)
                    if len(seen) == k:
                        break
            out.append([(self.names[lab], s) for lab, s in seen.items()])
        return out
