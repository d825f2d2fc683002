"""Clustering algorithms on hand-made embeddings: exactness, constraints, edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from faceprint.cluster import algorithms as alg
from faceprint.errors import InputError, ShapeError
from faceprint.evaluate.clustering import clustering_report


def unit(*rows: list[float]) -> np.ndarray:
    x = np.array(rows, np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def blobs(n_people: int, max_size: int, dim: int = 32, noise: float = 0.8, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_people, dim))
    sizes = rng.integers(1, max_size + 1, n_people)
    y = np.repeat(np.arange(n_people), sizes)
    x = centres[y] / np.linalg.norm(centres[y], axis=1, keepdims=True)
    x = x + noise * rng.standard_normal((y.size, dim)) / np.sqrt(dim)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), y


# Two tight groups (around e0 and e1) and one face (e2) alone.
THREE = unit([1, 0.1, 0], [1, -0.1, 0], [1, 0, 0.1], [0.1, 1, 0], [-0.1, 1, 0], [0, 0, 1])


def test_two_groups_and_a_singleton():
    labels = alg.average_linkage(THREE, 0.5)
    assert labels.tolist() == [0, 0, 0, 1, 1, 2]  # largest cluster first


@pytest.mark.parametrize("threshold", [0.2, 0.35, 0.5, 0.65])
def test_sparse_average_linkage_equals_scipy(threshold):
    x, _ = blobs(60, 12)
    sparse = alg.average_linkage(x, threshold)
    dense = alg.average_linkage_dense(x, threshold)
    assert clustering_report(dense, sparse)["bcubed_f1"] == 1.0


def test_threshold_is_on_the_average_not_the_best_pair():
    # a-b 0.955 merge first; c is 0.825 similar to b but 0.62 to a: its average 0.72 < t.
    angles = np.array([0.0, 0.3, 0.9])
    x = np.c_[np.cos(angles), np.sin(angles)].astype(np.float32)
    sims = x @ x.T
    t = (sims[0, 2] + sims[1, 2]) / 2 + 0.01  # just above the average of c to {a, b}
    assert sims[1, 2] > t
    labels = alg.average_linkage(x, t)
    assert labels[0] == labels[1] and labels[2] != labels[0]
    assert alg.connected_components(alg.similarity_graph(x, t), t).tolist() == [0, 0, 0]  # single linkage chains


def test_faces_of_one_photo_never_share_a_cluster():
    labels = alg.average_linkage(THREE, 0.5, cannot_same=np.array([7, 7, -1, -1, -1, -1]))
    assert labels[0] != labels[1]
    assert labels[2] in (labels[0], labels[1])
    assert labels[3] == labels[4]


def test_cannot_differ_and_together():
    differ = np.array([0, 1, -1, -1, -1, -1])
    labels = alg.average_linkage(THREE, 0.5, cannot_differ=[differ])
    assert labels[0] != labels[1]
    together = np.array([-1, -1, -1, -1, 3, 3])  # the lone face joins the second group whatever its similarity
    labels = alg.average_linkage(THREE, 0.99, together=together)
    assert labels[4] == labels[5] and labels[3] != labels[4]


def test_together_against_a_photo_constraint_is_an_error():
    with pytest.raises(InputError, match="must be together"):
        alg.average_linkage(THREE, 0.5, cannot_same=np.array([1, 1, -1, -1, -1, -1]),
                            together=np.array([0, 0, -1, -1, -1, -1]))


def test_constraints_hold_on_a_larger_random_set():
    x, _ = blobs(40, 10, seed=3)
    photo = np.arange(x.shape[0]) // 3  # every three consecutive faces share a photo
    labels = alg.average_linkage(x, 0.3, cannot_same=photo)
    for p in np.unique(photo):
        members = labels[photo == p]
        assert len(set(members.tolist())) == members.size


def test_similarity_graph_blocks_and_degree_cap():
    x, _ = blobs(30, 15, seed=1)
    full = alg.similarity_graph(x, 0.3)
    assert alg.similarity_graph(x, 0.3, block=7).n_edges == full.n_edges
    s = x @ x.T
    np.fill_diagonal(s, -1)
    assert full.n_edges == int((np.triu(s, 1) >= 0.3).sum())
    capped = alg.similarity_graph(x, 0.3, max_degree=3, block=11)
    adj = capped.adjacency().toarray()
    for v in range(x.shape[0]):
        best = [u for u in np.argsort(-s[v])[:3] if s[v, u] >= 0.3]
        assert all(adj[v, u] for u in best)
    assert capped.n_edges <= 3 * x.shape[0]
    assert np.all(capped.i < capped.j)


def test_alternatives_on_clear_data():
    x, y = blobs(20, 8, noise=0.5, seed=2)
    g = alg.similarity_graph(x, 0.3)
    for labels in (alg.connected_components(g, 0.5), alg.chinese_whispers(g, 0.5), alg.hdbscan(x, 2)):
        assert clustering_report(y, labels)["bcubed_f1"] > 0.9


def test_edge_cases():
    assert alg.average_linkage(np.zeros((0, 8), np.float32), 0.5).size == 0
    assert alg.average_linkage(unit([1, 0]), 0.5).tolist() == [0]
    with pytest.raises(ShapeError):
        alg.average_linkage(np.zeros(5), 0.5)
    with pytest.raises(InputError, match="NaN"):
        alg.average_linkage(np.full((2, 3), np.nan), 0.5)
    with pytest.raises(ShapeError):
        alg.average_linkage(THREE, 0.5, cannot_same=np.zeros(2, np.int64))


def test_confidence_is_mean_similarity_to_the_others():
    labels = np.array([0, 0, 0, 1, 1, 2])
    conf = alg.cluster_confidence(THREE, labels)
    s = THREE @ THREE.T
    assert conf[0] == pytest.approx((s[0, 1] + s[0, 2]) / 2, abs=1e-6)
    assert conf[3] == pytest.approx(s[3, 4], abs=1e-6)
    assert np.isnan(conf[5])


def test_relabel_orders_by_size_then_first_seen():
    assert alg.relabel(np.array([5, 9, 9, 5, 7, 9])).tolist() == [1, 0, 0, 1, 2, 0]
