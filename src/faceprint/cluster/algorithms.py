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

# Up to this many faces the graph keeps every pair >= threshold (exact average linkage);
# beyond it each face keeps its LARGE_MAX_DEGREE best, so memory stays O(N * degree) even
# when one person has tens of thousands of faces (all-pairs edges would be quadratic).
EXACT_UP_TO = 20_000
LARGE_MAX_DEGREE = 64

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

    Row blocks of about `_BLOCK_CELLS` entries keep memory at O(N * D + edges), never
    O(N^2). Without `max_degree` only the upper triangle is computed (half the work).
    With it, each face keeps only its `max_degree` most similar neighbours (an edge stays
    when either end keeps it), chosen block by block so the uncapped edges never exist.
    """
    x = check_embeddings(x)
    n = x.shape[0]
    if max_degree is not None and max_degree < 1:
        raise InputError(f"max_degree must be >= 1, got {max_degree}")
    block = block or max(1, min(n, _BLOCK_CELLS // max(n, 1)))
    ii, jj, ss = [], [], []
    for start in range(0, n, block):
        stop = min(n, start + block)
        first_col = start if max_degree is None else 0
        s = x[start:stop] @ x[first_col:].T
        rows = np.arange(stop - start)
        s[rows, rows + start - first_col] = -np.inf  # a face is not its own neighbour
        r, c = np.nonzero(s >= min_sim)
        v = s[r, c]
        c = c + first_col
        if max_degree is None:
            keep = c > r + start  # upper triangle only
        else:
            order = np.lexsort((-v, r))  # by row, most similar first
            r, c, v = r[order], c[order], v[order]
            keep = np.arange(r.size) - np.searchsorted(r, r, side="left") < max_degree
        ii.append((r[keep] + start).astype(np.int32))
        jj.append(c[keep].astype(np.int32))
        ss.append(v[keep].astype(np.float32))
    i = np.concatenate(ii) if ii else np.zeros(0, np.int32)
    j = np.concatenate(jj) if jj else np.zeros(0, np.int32)
    sim = np.concatenate(ss) if ss else np.zeros(0, np.float32)
    if max_degree is not None and i.size:
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        _, first = np.unique(lo.astype(np.int64) * n + hi, return_index=True)  # each edge once
        i, j, sim = lo[first], hi[first], sim[first]
    return Graph(n, i, j, sim)


def default_max_degree(n: int) -> int | None:
    return None if n <= EXACT_UP_TO else LARGE_MAX_DEGREE


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

    The heap holds at most a few entries per cluster: each cluster's best partner at the
    time it was computed. That suffices: the pair of highest average similarity is the
    best pair of one of its two clusters, and an entry whose partner has since changed is
    recomputed when it reaches the top, so the heap top, when valid, is the global best.
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

    adj = graph.adjacency()
    nb: list[np.ndarray | None] = [adj.indices[adj.indptr[v]:adj.indptr[v + 1]] for v in range(n)]
    root_of = np.arange(n)  # face -> the id (a face number) of its current cluster
    members: list[list[int] | None] = [[v] for v in range(n)]
    sums = x.astype(np.float64)  # running sum of each cluster's unit vectors
    size = np.ones(n, np.float64)
    alive = np.ones(n, bool)
    stamp = np.zeros(n, np.int64)  # bumped when a cluster changes: older heap entries are stale
    photos: dict[int, set[int]] = {}
    if photo is not None:
        photos = {v: {int(p)} for v, p in enumerate(photo) if p >= 0}
    tags: dict[int, dict[int, int]] = {}  # cluster -> {constraint index: value}, bound ones only
    for k, c in enumerate(differ):
        for v in np.flatnonzero(c >= 0).tolist():
            tags.setdefault(v, {})[k] = int(c[v])

    def conflict(a: int, b: int) -> bool:
        pa, pb = photos.get(a), photos.get(b)
        if pa and pb and not pa.isdisjoint(pb):
            return True
        ta, tb = tags.get(a), tags.get(b)
        if ta and tb:
            small, big = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
            return any(big.get(k, v) != v for k, v in small.items())
        return False

    def merge(a: int, b: int) -> int:
        if size[a] < size[b]:
            a, b = b, a
        moved = members[b]
        root_of[moved] = a
        members[a].extend(moved)
        members[b] = None
        sums[a] += sums[b]
        size[a] += size[b]
        nb[a] = np.concatenate((nb[a], nb[b]))
        nb[b] = None
        for store in (photos, tags):
            if b in store:
                store.setdefault(a, type(store[b])()).update(store.pop(b))
        alive[b] = False
        stamp[a] += 1
        return a

    heap: list[tuple[float, int, int, int, int]] = []

    def push_best(a: int) -> None:
        cand = np.unique(root_of[nb[a]])
        cand = cand[cand != a]
        nb[a] = cand  # compacted to current clusters
        if cand.size:
            avg = (sums[cand] @ sums[a]) / (size[cand] * size[a])
            j = int(np.argmax(avg))
            if avg[j] >= threshold:
                b = int(cand[j])
                heapq.heappush(heap, (-float(avg[j]), a, b, int(stamp[a]), int(stamp[b])))

    if together is not None:
        first: dict[int, int] = {}
        for v in np.flatnonzero(together >= 0).tolist():
            g = int(together[v])
            if g not in first:
                first[g] = v
                continue
            a, b = int(root_of[first[g]]), int(root_of[v])
            if a != b:
                if conflict(a, b):
                    raise InputError(f"faces {first[g]} and {v} must be together but a constraint keeps them apart")
                merge(a, b)
    for a in np.flatnonzero(alive).tolist():
        push_best(a)

    while heap:
        _, a, b, sa, sb = heapq.heappop(heap)
        if not alive[a] or stamp[a] != sa:
            continue  # `a` changed since: its newer entry covers it
        if not alive[b] or stamp[b] != sb:
            push_best(a)  # the partner changed: find a's best partner now
            continue
        if conflict(a, b):
            # Constraints only grow with clusters, so these two can never merge: unlink them.
            for u, v in ((a, b), (b, a)):
                cand = np.unique(root_of[nb[u]])
                nb[u] = cand[(cand != u) & (cand != v)]
            stamp[a] += 1
            stamp[b] += 1
            push_best(a)
            push_best(b)
            continue
        push_best(merge(a, b))
    return relabel(root_of)


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
