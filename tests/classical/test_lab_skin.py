"""The L*a*b* skin detector: finds a real face, nothing in a colour with no skin, grey = whole frame."""

from __future__ import annotations

import numpy as np

from faceprint.detectors.lab_skin import FACE_PROPORTIONS, LabSkinDetector, is_grey, landmarks_from_boxes
from faceprint.evaluate.detection import iou

# Eileen Collins' face in skimage's astronaut, as YuNet boxes it (x1, y1, x2, y2).
ASTRONAUT_FACE = [178, 63, 268, 176]


def test_finds_the_astronauts_face_as_the_largest_region(astronaut):
    faces = LabSkinDetector().detect(astronaut)
    assert len(faces) >= 1 and faces.detector == "lab-skin"
    assert iou(faces.boxes[:1], [ASTRONAUT_FACE])[0, 0] >= 0.5
    assert not faces.columns["whole_frame"].any()
    assert np.all(np.diff(faces.areas) <= 0)  # largest first, like every detector


def test_nothing_in_a_plain_blue_image():
    blue = np.zeros((240, 320, 3), np.uint8)
    blue[..., 2] = 200
    blue[60:180, 100:220] = (40, 60, 230)  # a face-sized blob of another blue
    assert len(LabSkinDetector().detect(blue)) == 0


def test_a_skin_coloured_blob_is_a_candidate_but_a_thin_line_is_not():
    img = np.full((200, 200, 3), 30, np.uint8)
    img[40:150, 60:150] = (224, 172, 140)  # a light skin tone
    img[10:14, 0:200] = (224, 172, 140)
    faces = LabSkinDetector().detect(img)
    assert len(faces) == 1
    np.testing.assert_allclose(faces.boxes[0], [60, 40, 150, 150], atol=2)


def test_grey_image_is_taken_whole_as_a_face_crop(cameraman):
    faces = LabSkinDetector().detect(np.dstack([cameraman] * 3))
    assert is_grey(np.dstack([cameraman] * 3))
    assert len(faces) == 1 and faces.columns["whole_frame"][0] and faces.scores[0] == 0
    np.testing.assert_array_equal(faces.boxes[0], [0, 0, 512, 512])


def test_landmarks_are_fixed_fractions_of_the_box():
    lm = landmarks_from_boxes(np.array([[10, 20, 110, 220]]))
    np.testing.assert_allclose(lm[0], [10, 20] + FACE_PROPORTIONS * [100, 200])
    assert lm[0, 0, 0] < lm[0, 1, 0] and lm[0, 0, 1] < lm[0, 2, 1] < lm[0, 3, 1]
