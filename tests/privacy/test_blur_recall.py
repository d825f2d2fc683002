"""Blur recall on real faces (shared data; skipped when absent): the >= 99 % target, and better than
the identification detector as it is. The full table is `python -m faceprint.bench blur`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from faceprint.bench import blur as bench

pytestmark = pytest.mark.data
TARGET = 0.99


@pytest.fixture(scope="module")
def finders():
    return bench.systems(skip_baseline=False)


def _recall(rows, system):
    r = next(r for r in rows if r["system"] == system)
    return r["covered"] / r["faces"]


def test_dlib_group_photos(shared_data, finders):
    rows = bench.dlib_rows(shared_data, finders, 0.9)
    assert rows[0]["faces"] == 43
    assert _recall(rows, "blur") >= TARGET
    assert _recall(rows, "blur") > _recall(rows, "yunet 0.6, no margin")


def test_small_lfw_faces(shared_data, finders):
    rows = bench.lfw_rows(shared_data, finders, [24, 16], 40, 0.9)
    for px in (24, 16):
        mine = [r for r in rows if r["set"] == f"LFW, {px} px faces"]
        # 40 photos hold about 45 faces, so one miss is already under 99 %; the 99 % target is
        # measured on the full run (`python -m faceprint.bench blur`, README "Privacy").
        assert _recall(mine, "blur") >= 0.97, mine
        assert _recall(mine, "blur") > _recall(mine, "yunet 0.6, no margin")


def test_video_clip_every_frame(shared_data, finders, tmp_path: Path):
    from faceprint.privacy.video import blur_video
    from faceprint.video import synthetic

    a, b = "Serena_Williams", "Hugo_Chavez"
    cast = synthetic.cast(shared_data, [a, b], [])
    shots = synthetic.aba_shots(cast, a, b)
    gt = synthetic.render(shots, tmp_path / "aba.mp4", fps=12.0, size=(480, 360))
    truth = bench.face_truth(shots, gt)
    result = blur_video(tmp_path / "aba.mp4", finders["blur"])
    total = bench.score_video(result, truth, (360, 480), 0.9)
    assert total["faces"] >= len(gt.frames) and total["covered"] / total["faces"] >= TARGET, total
    assert np.isfinite(result.fps)
