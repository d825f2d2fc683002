"""Clustering of unit face embeddings (pure numpy/scipy; no model, no file).

The production algorithm is `average_linkage`: agglomerative clustering with average
linkage on cosine similarity, stopped at a similarity threshold, run on a sparse graph
so that 100,000 faces never need an N x N matrix. Two facts make it exact, not an
approximation:

* For unit vectors the average cosine similarity between clusters A and B is
  ``sum(A) . sum(B) / (|A| |B|)``: it is computed from one running sum per cluster.
* If that average is >= t, at least one pair across A and B has similarity >= t. So
  the only cluster pairs that can ever merge are those joined by an edge of the graph
  of all pairs >= t (`similarity_graph(x, t)`), and a heap over those edges, each
  rescored from the cluster sums, performs exactly the merges the dense algorithm does.
  (Capping the degree with `max_degree` trades that exactness for bounded memory.)

Constraints are enforced during merging (a merge that would break one is skipped):
`cannot_same[i] == cannot_same[j] >= 0` keeps i and j apart (faces of one photo);
in each array of `cannot_differ`, faces with different values >= 0 are kept apart
(different names given by a user, the two sides of a user's split); faces with the same
value >= 0 in `together` start in one cluster (a user's merge or name).

`connected_components`, `chinese_whispers`, `hdbscan` and `average_linkage_dense` are
the alternatives it was compared with (see `faceprint.bench.cluster`).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import InputError, ShapeError

# Entries of one block of the similarity matrix (float32): bounds the working memory
# of `similarity_graph` at ~128 MB whatever N is.
_BLOCK_CELLS = 1 << 25


@dataclass(frozen=True)
class Graph:
    """A sparse symmetric similarity graph: each undirected edge once, with i < j."""

    n: int
    i: np.ndarray  # (E,) int32
    j: np.ndarray  # (E,) int32
    sim: np.ndarray  # (E,) float32

    @property
    def n_edges(self) -> int:
        return int(self.i.size)

    def adjacency(self):  # -> scipy.sparse.csr_matrix, symmetric
        from scipy import sparse

        data = np.r_[self.sim, self.sim]
        return sparse.csr_matrix((data, (np.r_[self.i, self.j], np.r_[self.j, self.i])), shape=(self.n, self.n))


def check_embeddings(x: np.ndarray) -> np.ndarray:
    """(N, D) float32, finite; rows are re-normalised (cosine = dot product)."""
    a = np.asarray(x, dtype=np.float32)
    if a.ndim != 2:
        raise ShapeError("embeddings", a.shape, "(N, D)")
    if a.size and not np.isfinite(a).all():
        raise InputError("embeddings contain NaN or infinity")
    norms = np.linalg.norm(a, axis=1, keepdims=True)
    return np.ascontiguousarray(a / np.maximum(norms, 1e-12))


def similarity_graph(x: np.ndarray, min_sim: float, *, max_degree: int | None = None,
                     block: int | None = None) -> Graph:
    """All pairs with cosine similarity >= `min_sim`, computed exactly block by block with BLAS.

    Only the upper triangle is computed (half the work), in row blocks of about
    `_BLOCK_CELLS` entries, so memory is O(N * D + edges), never O(N^2). With
    `max_degree`, each face keeps only its `max_degree` most similar neighbours (an edge
    stays when either end keeps it).
    """
    x = check_embeddings(x)
    n = x.shape[0]
    if max_degree is not None and max_degree < 1:
        raise InputError(f"max_degree must be >= 1, got {max_degree}")
    block = block or max(1, min(n, _BLOCK_CELLS // max(n, 1)))
    ii, jj, ss = [], [], []
    for start in range(0, n, block):
        stop = min(n, start + block)
        s = x[start:stop] @ x[start:].T  # rows start..stop vs columns start..n
        s[np.arange(stop - start), np.arange(stop - start)] = -np.inf  # the diagonal
        r, c = np.nonzero(s >= min_sim)
        keep = c > r  # upper triangle: column index (offset by start) above the row
        r, c = r[keep], c[keep]
        ii.append((r + start).astype(np.int32))
        jj.append((c + start).astype(np.int32))
        ss.append(s[r, c].astype(np.float32))
    i = np.concatenate(ii) if ii else np.zeros(0, np.int32)
    j = np.concatenate(jj) if jj else np.zeros(0, np.int32)
    sim = np.concatenate(ss) if ss else np.zeros(0, np.float32)
    if max_degree is not None and i.size:
        i, j, sim = _cap_degree(n, i, j, sim, max_degree)
    return Graph(n, i, j, sim)


def _cap_degree(n: int, i: np.ndarray, j: np.ndarray, sim: np.ndarray, k: int):
    # Each edge appears once per endpoint; rank an endpoint's edges by similarity.
    ends = np.r_[i, j]
    edge = np.r_[np.arange(i.size), np.arange(i.size)]
    order = np.lexsort((-np.r_[sim, sim], ends))
    ends, edge = ends[order], edge[order]
    first = np.searchsorted(ends, ends, side="left")
    rank = np.arange(ends.size) - first
    kept = np.zeros(i.size, bool)
    kept[edge[rank < k]] = True
    return i[kept], j[kept], sim[kept]


def relabel(labels: np.ndarray) -> np.ndarray:
    """Labels 0..C-1, cluster 0 the largest (ties: the one seen first)."""
    labels = np.asarray(labels)
    if labels.size == 0:
        return np.zeros(0, np.int64)
    uniq, first, inverse, counts = np.unique(labels, return_index=True, return_inverse=True, return_counts=True)
    order = np.lexsort((first, -counts))
    new = np.empty(uniq.size, np.int64)
    new[order] = np.arange(uniq.size)
    return new[inverse.ravel()]


def connected_components(graph: Graph, threshold: float) -> np.ndarray:
    """Single linkage: faces joined by any chain of edges >= `threshold` share a cluster."""
    from scipy.sparse.csgraph import connected_components as cc

    keep = graph.sim >= threshold
    g = Graph(graph.n, graph.i[keep], graph.j[keep], graph.sim[keep])
    _, labels = cc(g.adjacency(), directed=False)
    return relabel(labels)


def chinese_whispers(graph: Graph, threshold: float, *, iterations: int = 20, seed: int = 0) -> np.ndarray:
    """Chinese whispers (Biemann 2006; dlib's face clustering) on edges >= `threshold`.

    Each face in turn takes the label with the largest summed edge weight among its
    neighbours, for `iterations` random-order passes or until nothing changes.
    """
    keep = graph.sim >= threshold
    adj = Graph(graph.n, graph.i[keep], graph.j[keep], graph.sim[keep]).adjacency()
    indptr, indices, weights = adj.indptr, adj.indices, adj.data
    labels = np.arange(graph.n)
    rng = np.random.default_rng(seed)
    for _ in range(iterations):
        changed = 0
        for v in rng.permutation(graph.n):
            lo, hi = indptr[v], indptr[v + 1]
            if lo == hi:
                continue
            nb = labels[indices[lo:hi]]
            uniq, inv = np.unique(nb, return_inverse=True)
            best = uniq[np.argmax(np.bincount(inv, weights=weights[lo:hi]))]
            if best != labels[v]:
                labels[v] = best
                changed += 1
        if not changed:
            break
    return relabel(labels)


def average_linkage_dense(x: np.ndarray, threshold: float) -> np.ndarray:
    """Reference average linkage with scipy on the full distance matrix (small N only)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    x = check_embeddings(x)
    if x.shape[0] < 2:
        return np.zeros(x.shape[0], np.int64)
    d = np.clip(1.0 - (x.astype(np.float64) @ x.T.astype(np.float64)), 0.0, None)
    z = linkage(d[np.triu_indices(x.shape[0], 1)], method="average")
    # Merge while the average distance is <= 1 - threshold, i.e. average similarity >= threshold.
    return relabel(fcluster(z, t=1.0 - threshold, criterion="distance"))


def hdbscan(x: np.ndarray, min_cluster_size: int = 2, min_samples: int | None = None) -> np.ndarray:
    """sklearn's HDBSCAN on the embeddings (Euclidean on unit vectors); noise -> singletons."""
    from sklearn.cluster import HDBSCAN

    x = check_embeddings(x)
    labels = HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min_samples, copy=True).fit_predict(x)
    noise = labels < 0
    labels = labels.astype(np.int64)
    labels[noise] = labels.max(initial=-1) + 1 + np.arange(int(noise.sum()))
    return relabel(labels)


def _labels_or_none(values: np.ndarray | None, n: int, what: str) -> np.ndarray | None:
    if values is None:
        return None
    a = np.asarray(values)
    if a.shape != (n,) or a.dtype.kind not in "iu":
        raise ShapeError(what, f"shape {a.shape}, dtype {a.dtype}", f"({n},) integers (-1: none)")
    return a.astype(np.int64)


def average_linkage(x: np.ndarray, threshold: float, *, graph: Graph | None = None,
                    cannot_same: np.ndarray | None = None, cannot_differ: Sequence[np.ndarray] = (),
                    together: np.ndarray | None = None, max_degree: int | None = None) -> np.ndarray:
    """Average-linkage clusters at average cosine similarity >= `threshold`, with constraints.

    `graph` (edges >= threshold) is built when not given. Returns labels 0..C-1, largest
    cluster first. Raises InputError when `together` joins faces a constraint keeps apart.
    """
    x = check_embeddings(x)
    n = x.shape[0]
    if n == 0:
        return np.zeros(0, np.int64)
    if graph is None:
        graph = similarity_graph(x, threshold, max_degree=max_degree)
    elif graph.n != n:
        raise ShapeError("graph", f"{graph.n} nodes", f"{n} nodes, one per embedding")
    photo = _labels_or_none(cannot_same, n, "cannot_same")
    differ = [_labels_or_none(c, n, f"cannot_differ[{k}]") for k, c in enumerate(cannot_differ)]
    together = _labels_or_none(together, n, "together")

    # Union-find parents; a cluster is named by its root.
    parent = np.arange(n)

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    sums = x.astype(np.float64)  # one running sum per cluster root
    size = np.ones(n, np.int64)
    photos: dict[int, set[int]] = {}
    if photo is not None:
        photos = {i: {int(p)} for i, p in enumerate(photo) if p >= 0}
    # constraint index -> value, only for constraints this cluster is bound by
    tags: dict[int, dict[int, int]] = {}
    for k, c in enumerate(differ):
        for i in np.flatnonzero(c >= 0):
            tags.setdefault(int(i), {})[k] = int(c[i])
    neighbours: dict[int, set[int]] = {}
    for a, b in zip(graph.i.tolist(), graph.j.tolist()):
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)

    def conflict(a: int, b: int) -> bool:
        pa, pb = photos.get(a), photos.get(b)
        if pa and pb and not pa.isdisjoint(pb):
            return True
        ta, tb = tags.get(a), tags.get(b)
        if ta and tb:
            small, big = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
            return any(big.get(k, v) != v for k, v in small.items())
        return False

    def union(a: int, b: int) -> int:
        """Merge clusters a and b (roots); returns the surviving root."""
        if size[a] < size[b]:
            a, b = b, a
        parent[b] = a
        sums[a] += sums[b]
        size[a] += size[b]
        for store in (photos, tags):
            if b in store:
                if a in store:
                    store[a].update(store.pop(b))
                else:
                    store[a] = store.pop(b)
        nb = neighbours.pop(b, set())
        na = neighbours.setdefault(a, set())
        if len(nb) > len(na):
            na, nb = nb, na
            neighbours[a] = na
        na.update(nb)
        na.discard(a)
        na.discard(b)
        return a

    if together is not None:
        first: dict[int, int] = {}
        for i in np.flatnonzero(together >= 0).tolist():
            g = int(together[i])
            if g not in first:
                first[g] = i
                continue
            a, b = root(first[g]), root(i)
            if a != b:
                if conflict(a, b):
                    raise InputError(f"faces {first[g]} and {i} must be together but a constraint keeps them apart")
                union(a, b)
        # neighbour sets of merged clusters may now point at absorbed roots
        for r in list(neighbours):
            if parent[r] == r:
                neighbours[r] = {root(v) for v in neighbours[r]} - {r}
            else:
                neighbours.pop(r)

    stamp = np.zeros(n, np.int64)  # bumped at each merge: older heap entries are stale
    heap: list[tuple[float, int, int, int, int]] = []

    def push_from(a: int) -> None:
        nb = [b for b in neighbours.get(a, ()) if b != a]
        if not nb:
            return
        idx = np.fromiter(nb, np.int64, len(nb))
        avg = (sums[idx] @ sums[a]) / (size[idx] * size[a])
        for b, s in zip(idx.tolist(), avg.tolist()):
            if s >= threshold:
                heapq.heappush(heap, (-s, a, b, int(stamp[a]), int(stamp[b])))

    if together is None:
        # Initial pairs are single faces: their average is the edge similarity itself.
        for a, b, s in zip(graph.i.tolist(), graph.j.tolist(), graph.sim.tolist()):
            if s >= threshold:
                heap.append((-s, a, b, 0, 0))
        heapq.heapify(heap)
    else:
        for a in range(n):
            if parent[a] == a:
                push_from(a)

    while heap:
        _, a, b, sa, sb = heapq.heappop(heap)
        if parent[a] != a or parent[b] != b or stamp[a] != sa or stamp[b] != sb:
            continue
        if conflict(a, b):
            continue
        c = union(a, b)
        stamp[c] += 1
        # Re-point the survivor's neighbour set at current roots before rescoring.
        neighbours[c] = {root(v) for v in neighbours.get(c, ())} - {c}
        push_from(c)
    return relabel(np.array([root(i) for i in range(n)]))


def cluster_confidence(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per face, its mean cosine similarity to the other faces of its cluster (NaN if alone)."""
    x = check_embeddings(x).astype(np.float64)
    labels = np.asarray(labels)
    _, inv, counts = np.unique(labels, return_inverse=True, return_counts=True)
    sums = np.zeros((counts.size, x.shape[1]))
    np.add.at(sums, inv, x)
    others = counts[inv] - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        conf = (np.einsum("ij,ij->i", sums[inv], x) - np.einsum("ij,ij->i", x, x)) / others
    conf[others == 0] = np.nan
    return conf
