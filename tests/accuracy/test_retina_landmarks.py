"""RetinaFace's five points (bench accuracy --retina): our decoder on a real photo."""

from __future__ import annotations

import numpy as np
import pytest

from faceprint.errors import ModelFileError
from faceprint.models.files import locate


@pytest.fixture(scope="module")
def retina():
    from faceprint.bench import retina_landmarks

    try:
        locate(retina_landmarks.WEIGHTS)
    except ModelFileError as e:
        pytest.skip(f"RetinaFace weights not installed: {e}")
    return retina_landmarks


@pytest.fixture(scope="module")
def yunet_face(astronaut):
    from faceprint.models.registry import make_detector

    faces = make_detector("yunet").detect(astronaut)
    assert len(faces) == 1
    return np.asarray(faces.boxes[0], float), np.asarray(faces.landmarks[0], float)


def test_points_agree_with_yunet_on_a_real_face(retina, astronaut, yunet_face):
    box, yunet = yunet_face
    points = retina.landmarks_for(astronaut, box)
    assert points is not None and points.shape == (5, 2)
    eye_distance = np.linalg.norm(yunet[1] - yunet[0])
    # two detectors' estimates of the same points: within a fifth of the eye distance
    assert np.max(np.linalg.norm(points - yunet, axis=1)) < 0.2 * eye_distance
    assert points[0, 0] < points[1, 0] and points[3, 0] < points[4, 0]  # image-left eye and mouth corner first
    assert points[0, 1] < points[2, 1] < points[3, 1]  # eyes above the nose above the mouth


def test_mirror_average_moves_each_point_only_a_little(retina, astronaut, yunet_face):
    box, _ = yunet_face
    plain = retina.landmarks_for(astronaut, box)
    averaged = retina.mirror_averaged(astronaut, box)
    eye_distance = np.linalg.norm(plain[1] - plain[0])
    shift = np.linalg.norm(averaged - plain, axis=1)
    # the mirror pass moves each point a little (landmark jitter), never to another point
    assert np.all(shift < 0.1 * eye_distance) and np.any(shift > 0)


def test_no_face_on_a_box_without_one(retina, astronaut):
    # the astronaut photo's lower-left corner holds the flag and the suit, no face
    assert retina.landmarks_for(astronaut, np.array([0.0, 380.0, 120.0, 500.0])) is None
    blank = np.full((200, 200, 3), 127, np.uint8)
    assert retina.landmarks_for(blank, np.array([50.0, 50.0, 150.0, 150.0])) is None
