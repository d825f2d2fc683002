"""Weak detections covered only when they persist (privacy/weak_tracks.py and the video job), and the
recall detector's upscaled passes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceprint.privacy.cover import cover_mask
from faceprint.privacy.photo import Blurrer
from faceprint.privacy.weak_tracks import WeakTracks

FACE = np.array([100.0, 100.0, 150.0, 160.0], np.float32)


def test_a_box_that_comes_back_is_confirmed_with_its_past():
    wt = WeakTracks(hits=3, window=5)
    for k in range(2):
        now, earlier = wt.update(k, FACE[None] + k, 720)
        assert now == {} and earlier == {}
    now, earlier = wt.update(2, FACE[None] + 2, 720)
    (cid,) = now
    assert np.allclose(now[cid], FACE + 2)
    assert sorted(earlier[cid]) == [0, 1] and np.allclose(earlier[cid][0], FACE)
    # Missed on one run: still covered where it was last seen; seen again: followed.
    now, _ = wt.update(3, np.zeros((0, 4)), 720)
    assert np.allclose(now[cid], FACE + 2)
    now, earlier = wt.update(4, FACE[None] + 4, 720)
    assert np.allclose(now[cid], FACE + 4) and earlier == {}


def test_boxes_that_come_and_go_are_never_covered():
    rng = np.random.default_rng(0)
    wt = WeakTracks(hits=5, window=10)
    for k in range(200):
        x, y = rng.uniform(0, 1200), rng.uniform(0, 650)
        now, earlier = wt.update(k, np.array([[x, y, x + 40, y + 50]]), 720)
        assert now == {} and earlier == {}


def test_chains_end_at_a_cut_after_a_gap_and_huge_boxes_are_ignored():
    wt = WeakTracks(hits=2, window=3)
    wt.update(0, FACE[None], 720)
    wt.end_all()
    assert wt.update(1, FACE[None], 720) == ({}, {})  # the chain before the cut is gone
    for k in range(2, 6):
        assert wt.update(k, np.zeros((0, 4)), 720)[0] == {}
    assert wt.update(6, FACE[None], 720) == ({}, {})  # too long after: a new chain
    huge = np.array([[0, 0, 500, 500]], np.float32)
    for k in range(7, 12):
        assert wt.update(k, huge, 720)[0] == {}
    with pytest.raises(ValueError):
        WeakTracks(hits=4, window=3)


class WeakOnly(Blurrer):
    """A blurrer whose detector is never sure: the face only ever comes as a weak box (not on
    `misses`), beside a weak box at a new random place on every frame."""

    def __init__(self, face: dict[int, list[float]], misses: set[int]) -> None:
        super().__init__("solid")
        self.face, self.misses, self.calls = face, misses, 0
        self.rng = np.random.default_rng(1)
        self.flicker: dict[int, np.ndarray] = {}

    def find_with_weak(self, pixels, *, upscale=True):
        from faceprint.types import Faces

        k = self.calls
        self.calls += 1
        x, y = self.rng.uniform(300, 420), self.rng.uniform(0, 200)
        self.flicker[k] = np.array([x, y, x + 30, y + 40], np.float32)
        weak = [self.flicker[k]] + ([np.array(self.face[k], np.float32)] if k not in self.misses else [])
        return Faces.empty(pixels.shape[:2]), np.zeros((0, 4), np.float32), [], np.array(weak)


def _clip(path, frames: int = 30) -> dict[int, list[float]]:
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (480, 270))
    boxes = {}
    for k in range(frames):
        f = np.zeros((270, 480, 3), np.uint8)
        f[:] = 100  # flat: no scene cut
        boxes[k] = [20.0 + 4 * k, 100.0, 70.0 + 4 * k, 160.0]
        w.write(f)
    w.release()
    return boxes


def _covered(covers, box) -> float:
    x1, y1, x2, y2 = (int(v) for v in box)
    return float(cover_mask((270, 480), np.asarray(covers, np.float32).reshape(-1, 4))[y1:y2, x1:x2].mean())


def test_video_covers_a_persistent_weak_face_back_to_its_first_frame_and_not_the_flicker(tmp_path):
    from faceprint.privacy.video import blur_video

    face = _clip(tmp_path / "c.mp4")
    blurrer = WeakOnly(face, misses={7, 8, 20})
    result = blur_video(tmp_path / "c.mp4", blurrer)
    covers = result.covers_at()
    for k in range(30):  # frames 0-3 are covered back from the 5th box (frame 4); 7, 8, 20 by the chain
        assert _covered(covers.get(k, []), face[k]) >= 0.9, k
    assert all(_covered(covers.get(k, []), blurrer.flicker[k]) == 0 for k in range(30))
    weak_tracks = [t for t in result.to_dict()["tracks"] if t["weak"]]
    assert len(weak_tracks) == 1 and weak_tracks[0]["first_frame"] == 0

    off = blur_video(tmp_path / "c.mp4", WeakOnly(face, misses=set()), weak=False)
    assert off.covers_at() == {}


def test_upscaled_passes_photos_get_two_video_one_huge_none():
    from faceprint.privacy.detect import RecallDetector

    det = RecallDetector()
    assert det._upscale_factors(720, 1280, 2) == [2.0, 3.0]  # a 1280x720 photo: 2x and 3x
    assert det._upscale_factors(720, 1280, 1) == [2.0]  # video: the 2x pass only
    f = det._upscale_factors(1080, 1920, 2)  # each copy capped (2,600 and 4,000 px)
    assert np.allclose(f, [2600 / 1920, 4000 / 1920])
    # 2,400 px: the 2x pass would be 1.08x (skipped); the 3x pass still runs, as the second
    # pass, so it still adds only small faces.
    assert np.allclose(det._upscale_factors(1600, 2400, 2), [0.0, 4000 / 2400])
    assert det._upscale_factors(3000, 4000, 2) == [0.0, 0.0]  # a 12 MP photo is searched as it is
    assert RecallDetector(deep_upscale=0)._upscale_factors(720, 1280, 2) == [2.0, 0.0]
