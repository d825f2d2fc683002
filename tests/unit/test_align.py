import numpy as np
import pytest

from faceprint.align import ARCFACE_112, align_face, similarity_transform


def test_recovers_a_known_similarity_transform():
    angle, scale, shift = np.deg2rad(17), 2.5, np.array([30.0, -12.0])
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    src = ARCFACE_112 @ rot.T + shift
    m = similarity_transform(src, ARCFACE_112)
    back = src @ m[:, :2].T + m[:, 2]
    np.testing.assert_allclose(back, ARCFACE_112, atol=1e-9)


def test_never_mirrors():
    # A mirrored point set cannot be matched by rotation + scale: the fit must stay a rotation.
    src = ARCFACE_112 * np.array([-1, 1])
    m = similarity_transform(src, ARCFACE_112)
    assert np.linalg.det(m[:, :2]) > 0


def test_align_face_puts_landmarks_on_template():
    image = np.zeros((300, 300, 3), np.uint8)
    pts = ARCFACE_112 * 2 + 40
    for x, y in pts.astype(int):
        image[y - 1:y + 2, x - 1:x + 2] = 255
    crop = align_face(image, pts)
    assert crop.shape == (112, 112, 3)
    for x, y in ARCFACE_112.round().astype(int):
        assert crop[y - 1:y + 2, x - 1:x + 2].max() > 100
    assert crop[5:20, 5:20].max() == 0


@pytest.mark.parametrize("bad", [np.zeros((4, 2)), np.zeros((5, 3))])
def test_rejects_wrong_landmark_count(bad):
    with pytest.raises(ValueError):
        similarity_transform(bad, ARCFACE_112)
