"""Exact top-k and the HNSW index against a plain argsort."""

from __future__ import annotations

import numpy as np
import pytest

from faceprint.errors import InputError
from faceprint.gallery.pq_index import PqIndex, pq_available
from faceprint.gallery.search import HnswIndex, Searcher, hnsw_available, topk_exact

from .conftest import unit_rows


@pytest.mark.parametrize("block_rows", [7, 1 << 16])
def test_topk_exact_matches_argsort(block_rows):
    m, q = unit_rows(500, seed=3), unit_rows(9, seed=4)
    scores, rows = topk_exact(m, q, 12, block_rows=block_rows)
    full = q @ m.T
    want = np.argsort(-full, axis=1, kind="stable")[:, :12]
    assert (rows == want).all()
    assert np.allclose(scores, np.take_along_axis(full, want, axis=1))
    s1, r1 = topk_exact(m, q[:1], 1000)  # k larger than the gallery: everything, best first
    assert r1.shape == (1, 500) and (np.diff(s1[0]) <= 0).all()


@pytest.mark.skipif(not hnsw_available(), reason="usearch is not installed (pip install 'faceprint[gallery]')")
def test_hnsw_agrees_with_exact_and_reports_exact_scores():
    m = unit_rows(3000, dim=32, seed=5)
    probes = m[:50] + 0.05 * unit_rows(50, dim=32, seed=6)  # near-duplicates: a clear best match
    probes /= np.linalg.norm(probes, axis=1, keepdims=True)
    index = HnswIndex(m)
    for q in (probes[:1], probes):  # one probe and a batch take different usearch paths
        scores, rows = index.search(q, 5)
        assert (rows[:, 0] == np.arange(len(q))).all()
        assert np.allclose(scores, np.einsum("bd,bkd->bk", q, m[rows]), atol=1e-6)
    labels = np.arange(3000) // 2  # two templates per identity
    names = [f"id{i}" for i in range(1500)]
    fast = Searcher(names, labels, m, "max", "hnsw").search(probes, 3)
    slow = Searcher(names, labels, m, "max", "exact").search(probes, 3)
    assert [h[0][0] for h in fast] == [h[0][0] for h in slow]


@pytest.mark.skipif(not pq_available(), reason="faiss is not installed (pip install 'faceprint[gallery]')")
def test_pq_index_agrees_with_exact_and_reports_exact_scores():
    m = unit_rows(6000, dim=64, seed=7)
    probes = m[:40] + 0.5 * unit_rows(40, dim=64, seed=8)  # cos ~0.9 to their row, ~0 to the rest
    probes /= np.linalg.norm(probes, axis=1, keepdims=True)
    index = PqIndex(m)
    assert index.memory_bytes == 6000 * 64 // 4  # 4 bits per pair of dimensions
    for q in (probes[:1], probes):
        scores, rows = index.search(q, 5)
        assert (rows[:, 0] == np.arange(len(q))).all()
        assert np.allclose(scores, np.einsum("bd,bkd->bk", q, m[rows]), atol=1e-6)  # exact re-scores
        assert (np.diff(scores, axis=1) <= 0).all()
    labels = np.arange(6000) // 3
    names = [f"id{i}" for i in range(2000)]
    approx = Searcher(names, labels, m, "max", "pq")
    assert isinstance(approx.approx, PqIndex)
    exact = Searcher(names, labels, m, "max", "exact").search(probes, 3)
    found = approx.search(probes, 3)
    assert [[n for n, _ in h] for h in found] == [[n for n, _ in h] for h in exact]
    assert np.allclose([[s for _, s in h] for h in found], [[s for _, s in h] for h in exact], atol=1e-5)
    # Below the PQ minimum a gallery is searched exactly (as fast, and no training data).
    assert Searcher(names[:100], labels[:300], m[:300], "max", "pq").approx is None
    with pytest.raises(InputError, match="index must be"):
        Searcher(names, labels, m, "max", "ivf")
