"""Fixtures for the gallery tests: one gallery URI per backend, made fresh per test."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

MODEL = "test-model/v1"


def _milvus_missing() -> str | None:
    for mod in ("pymilvus", "milvus_lite"):
        if importlib.util.find_spec(mod) is None:
            return f"{mod} is not installed (pip install 'faceprint[milvus]')"
    return None


@pytest.fixture(params=["sqlite", "milvus-lite"])
def gallery_uri(request, tmp_path) -> str:
    """A gallery URI that does not exist yet, on each backend."""
    if request.param == "milvus-lite":
        reason = _milvus_missing()
        if reason:
            pytest.skip(reason)
        return f"milvus-lite:{tmp_path / 'milvus.db'}?collection=people"
    return str(tmp_path / "gallery.db")


def unit_rows(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)
