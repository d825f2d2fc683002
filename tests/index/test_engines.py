"""The two engines give the same index; a killed job resumes without redoing finished shards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from .conftest import N_LFW, SHARD, sorted_index

pytestmark = pytest.mark.data


def assert_same_index(a, b) -> None:
    from faceprint.index.schema import embeddings

    assert a.num_rows == b.num_rows
    assert a.drop(["embedding"]).to_pylist() == b.drop(["embedding"]).to_pylist()
    fa = a.filter(a.column("face_index").is_valid())
    fb = b.filter(b.column("face_index").is_valid())
    ea, eb = embeddings(fa), embeddings(fb)
    assert ea.shape == eb.shape and ea.shape[0] > 0
    assert np.abs(ea - eb).max() <= 1e-6


def test_ray_equals_local(ray_session, lfw_manifest, local_index, tmp_path):
    from faceprint.index.engine_ray import RayEngine
    from faceprint.index.job import run_index

    s = run_index(str(lfw_manifest), tmp_path / "ray", RayEngine(actors=2), pipeline="fast", shard_size=SHARD,
                  progress=False)
    assert (s.engine, s.processed, s.shards_skipped) == ("ray", N_LFW, 0)
    ref = sorted_index(local_index)
    assert ref.column("error").null_count == ref.num_rows  # LFW images all decode
    assert_same_index(sorted_index(tmp_path / "ray"), ref)


def test_killed_job_resumes(lfw_manifest, local_index, tmp_path):
    from faceprint.index.engine_local import LocalEngine
    from faceprint.index.job import run_index

    out = tmp_path / "index"
    cmd = [sys.executable, "-m", "faceprint", "index", str(lfw_manifest), "--out", str(out), "--model", "fast",
           "--workers", "1", "--shard-size", str(SHARD), "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while len(list(out.glob("part-*.parquet"))) < 3:  # let a few shards finish, then kill mid-shard
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the job wrote no shard in time"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
        proc.stderr.close()
    finished = {p.name: p.stat().st_mtime_ns for p in out.glob("part-*.parquet")}
    assert 3 <= len(finished) < N_LFW // SHARD  # killed part-way

    s = run_index(str(lfw_manifest), out, LocalEngine(2), pipeline="fast", shard_size=SHARD, progress=False)
    assert s.shards_skipped == len(finished)
    assert s.processed == N_LFW - SHARD * len(finished)  # only the unfinished shards ran
    assert s.reused == 0  # no image of an unfinished shard is in a finished one
    for name, mtime in finished.items():
        assert (out / name).stat().st_mtime_ns == mtime  # finished shards were not rewritten
    assert not list(out.glob(".*.tmp"))  # what the killed writer left is cleaned up
    assert_same_index(sorted_index(out), sorted_index(local_index))


def test_changed_source_reuses_content(lfw_manifest, local_index, tmp_path):
    """A manifest in another order makes new shards, but no image is computed twice."""
    from faceprint.index.engine_local import LocalEngine
    from faceprint.index.job import run_index
    import shutil

    out = tmp_path / "index"
    shutil.copytree(local_index, out)
    lines = lfw_manifest.read_text().splitlines()
    moved = tmp_path / "reversed.csv"
    moved.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    s = run_index(str(moved), out, LocalEngine(1), pipeline="fast", shard_size=SHARD, progress=False)
    assert s.processed == N_LFW and s.reused == N_LFW  # every image copied from an old shard by its content
    assert len(list(out.glob("part-*.parquet"))) == s.shards  # the old plan's shards are gone
    assert_same_index(sorted_index(out), sorted_index(local_index))
