"""The tracker on its own: boxes and features drawn here, no model."""

from __future__ import annotations

import numpy as np

from faceprint.video.shots import CutDetector
from faceprint.video.tracker import FaceTracker, iou_matrix


def _box(x, y, s=40):
    return np.array([[x, y, x + s, y + s]], np.float32)


def test_a_moving_face_keeps_its_track_through_missed_detections():
    t = FaceTracker(25.0, max_lost_s=1.0)
    ids = set()
    for frame in range(60):
        t.predict()
        if frame % 3 == 0 and not 20 <= frame < 35:  # every 3rd frame, and a 15-frame gap
            ids |= set(t.update(_box(100 + 2 * frame, 80)).tolist())
    assert ids == {1}


def test_a_face_gone_longer_than_max_lost_ends_and_a_new_one_starts():
    t = FaceTracker(25.0, max_lost_s=0.4)
    t.predict()
    assert t.update(_box(100, 80)).tolist() == [1]
    for _ in range(15):
        t.predict()
    assert [tr.id for tr in t.pop_ended()] == [1]
    assert t.update(_box(100, 80)).tolist() == [2]


def test_appearance_vetoes_a_different_face_in_the_same_place():
    a, b = np.eye(4, dtype=np.float32)[:2]
    t = FaceTracker(25.0)
    t.predict()
    first = t.update(_box(100, 80), features=a[None]).tolist()
    t.predict()
    # Same box (motion alone would match it), but a plainly different face: a new track.
    second = t.update(np.r_[_box(100, 80), _box(300, 80)], features=np.stack([b, a])).tolist()
    assert first == [1] and second[0] != 1 and second[1] == 1  # and the known face is found by appearance


def test_lazy_features_are_asked_only_when_motion_is_unsure():
    asked = []

    def feats(idx):
        asked.append(list(idx))
        return np.tile(np.eye(4, dtype=np.float32)[0], (len(idx), 1))

    t = FaceTracker(25.0)
    t.predict()
    t.update(_box(100, 80), features=feats)  # a new track: needs its appearance
    for k in range(1, 5):
        t.predict()
        t.update(_box(100 + k, 80), features=feats)  # plain from motion
    assert asked == [[0]]


def test_end_all_on_a_cut_and_the_cut_detector():
    t = FaceTracker(25.0)
    t.predict()
    t.update(_box(100, 80))
    assert [tr.id for tr in t.end_all()] == [1]
    t.predict()
    assert t.update(_box(100, 80)).tolist() == [2]
    cuts = CutDetector()
    dark, light = np.full((90, 160, 3), 30, np.uint8), np.full((90, 160, 3), 220, np.uint8)
    assert [cuts.is_cut(x) for x in (dark, dark, light, light)] == [False, False, True, False]


def test_iou():
    assert iou_matrix(_box(0, 0, 10), _box(5, 0, 10))[0, 0] == np.float64(50 / 150)
