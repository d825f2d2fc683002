"""Fixtures for the index tests: one Ray per session, 300 LFW images indexed once locally."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

N_LFW = 300
SHARD = 25  # 12 shards of 300 images: several per worker, so order and resume are exercised


@pytest.fixture(scope="session")
def ray_session():
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    if started:
        ray.shutdown()


@pytest.fixture(scope="session")
def lfw_manifest(shared_data: Path, tmp_path_factory) -> Path:
    """A CSV manifest of the first 300 LFW images (paths relative to the manifest's folder)."""
    lfw = shared_data / "lfw_deepfunneled"
    with open(lfw / "labels.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[:N_LFW]
    out = tmp_path_factory.mktemp("lfw") / "manifest.csv"
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["path", "identity"])
        for r in rows:
            w.writerow([str(lfw / r["path"]), r["identity"]])
    return out


@pytest.fixture(scope="session")
def local_index(lfw_manifest: Path, tmp_path_factory) -> Path:
    """The reference: the 300 images indexed by the local engine with 2 worker processes."""
    pytest.importorskip("pyarrow")
    from faceprint.index.engine_local import LocalEngine
    from faceprint.index.job import run_index

    out = tmp_path_factory.mktemp("local") / "index"
    s = run_index(str(lfw_manifest), out, LocalEngine(2), pipeline="fast", shard_size=SHARD, progress=False)
    assert s.processed == N_LFW and s.shards == N_LFW // SHARD
    return out


def sorted_index(out: Path):
    from faceprint.index.shards import read_index

    return read_index(out).sort_by([("path", "ascending"), ("face_index", "ascending")])
