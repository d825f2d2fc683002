"""faceprint.compat.face_recognition on real photos: identical to the original, and what it adds."""

from __future__ import annotations

import numpy as np
import pytest

from faceprint.compat import face_recognition as fr
from faceprint.errors import FaceprintError, InputError, ShapeError
from faceprint.image import save_image


@pytest.fixture(scope="module")
def original():
    # The original sets Pillow's process-wide LOAD_TRUNCATED_IMAGES at import, which would make
    # every later test accept truncated files: put it back at once.
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        return pytest.importorskip("face_recognition", reason="the original face_recognition is not installed "
                                   "(pip install --no-deps face-recognition==1.3.0)")
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


def test_same_boxes_landmarks_and_encodings_as_the_original(original, astronaut):
    assert original.__name__ == "face_recognition" and original.face_encodings is not fr.face_encodings
    assert fr.face_locations(astronaut) == original.face_locations(astronaut)
    assert fr.face_landmarks(astronaut) == original.face_landmarks(astronaut)
    assert fr.face_landmarks(astronaut, model="small") == original.face_landmarks(astronaut, model="small")
    for model in ("small", "large"):
        ours, theirs = fr.face_encodings(astronaut, model=model), original.face_encodings(astronaut, model=model)
        assert len(ours) == len(theirs) >= 1
        assert all(a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(ours, theirs))
    box = [(100, 300, 260, 140)]  # a given box, partly off the face: same as the original too
    assert np.array_equal(fr.face_encodings(astronaut, box)[0], original.face_encodings(astronaut, box)[0])


def test_same_file_reading_as_the_original(original, astronaut, tmp_path):
    path = tmp_path / "a.png"
    save_image(astronaut, path)
    for mode in ("RGB", "L"):
        assert np.array_equal(fr.load_image_file(path, mode), original.load_image_file(str(path), mode))
    with open(path, "rb") as f:
        assert np.array_equal(fr.load_image_file(f), astronaut)


def test_a_reversed_channel_view_works(astronaut):
    """frame[:, :, ::-1] (OpenCV BGR -> RGB, in face_recognition's examples) fails in current dlib; here it works."""
    bgr = np.ascontiguousarray(astronaut[:, :, ::-1])
    view = bgr[:, :, ::-1]
    assert not view.flags.c_contiguous
    assert np.array_equal(fr.face_encodings(view)[0], fr.face_encodings(astronaut)[0])


def _iou(a, b) -> float:
    (t1, r1, b1, l1), (t2, r2, b2, l2) = a, b
    inter = max(0, min(r1, r2) - max(l1, l2)) * max(0, min(b1, b2) - max(t1, t2))
    return inter / ((r1 - l1) * (b1 - t1) + (r2 - l2) * (b2 - t2) - inter)


def test_yunet_gives_hog_like_boxes(astronaut):
    from faceprint.compat.face_recognition import _dlib_models

    hog = fr.face_locations(astronaut, number_of_times_to_upsample=0)[0]
    yunet = fr.face_locations(astronaut, model="yunet")
    assert len(yunet) == 1
    raw = _dlib_models.yunet().detect(astronaut).boxes[0]
    raw_css = (raw[1], raw[2], raw[3], raw[0])
    assert _iou(yunet[0], hog) > max(0.6, _iou(raw_css, hog))  # the mapping moves YuNet's box towards HOG's
    near = fr.face_distance(fr.face_encodings(astronaut, yunet), fr.face_encodings(astronaut, [hog])[0])
    assert near[0] < 0.6  # same face, same person by face_recognition's own tolerance


def test_batch_face_locations_any_detector_any_size(astronaut, cameraman):
    small = np.ascontiguousarray(astronaut[::2, ::2])
    for model in ("hog", "yunet"):
        got = fr.batch_face_locations([astronaut, small], model=model)
        assert got == [fr.face_locations(astronaut, model=model), fr.face_locations(small, model=model)]
    with pytest.raises(ShapeError, match="one size"):
        fr.batch_face_locations([astronaut, small])  # dlib's batched CNN needs one size


def test_compare_faces_at_a_calibrated_false_match_rate(astronaut, cameraman):
    def encode(img):  # the one face YuNet finds in each photo
        (box,) = fr.face_locations(img, model="yunet")
        return fr.face_encodings(img, [box])[0]

    probe = encode(astronaut)
    known = [encode(np.ascontiguousarray(astronaut[:, ::-1])), encode(np.stack([cameraman] * 3, -1))]
    assert fr.compare_faces_at_fmr(known, probe, fmr=1e-3) == [True, False]
    assert fr.compare_faces_at_fmr([], probe) == []
    assert 1e-3 in fr.calibrated_fmrs()
    with pytest.raises(InputError, match="calibrated rates"):
        fr.compare_faces_at_fmr(known, probe, fmr=0.5)


def test_bad_input_is_a_typed_error_naming_it(astronaut, tmp_path):
    with pytest.raises(InputError, match="'hgo'.*hog, cnn, yunet"):
        fr.face_locations(astronaut, model="hgo")
    with pytest.raises(InputError, match="landmarks model"):
        fr.face_landmarks(astronaut, model="medium")
    with pytest.raises(ShapeError, match="uint8"):
        fr.face_encodings(astronaut.astype(np.float32))
    with pytest.raises(InputError, match="upsample"):
        fr.face_locations(astronaut, number_of_times_to_upsample=-1)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(OSError) as caught:  # face_recognition raised Pillow's OSError here
        fr.load_image_file(bad)
    assert isinstance(caught.value, FaceprintError) and "bad.jpg" in str(caught.value)
    with pytest.raises(FileNotFoundError):
        fr.load_image_file(tmp_path / "missing.jpg")
    assert fr.face_distance([], fr.face_encodings(astronaut)[0]).shape == (0,)


def test_faceprint_compat_command(astronaut, tmp_path, capsys):
    from faceprint.cli import main

    save_image(astronaut, tmp_path / "eileen.png")  # lossless: the same pixels as the array
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    assert main(["compat", "face_detection", str(tmp_path), "--model", "yunet"]) == 2  # one photo unreadable
    out, err = capsys.readouterr()
    (line,) = out.splitlines()
    name, *box = line.split(",")
    assert name.endswith("eileen.png") and tuple(map(int, box)) == fr.face_locations(astronaut, model="yunet")[0]
    assert len(err.strip().splitlines()) == 1 and "broken.png" in err
    probe = tmp_path / "probe"
    probe.mkdir()
    save_image(np.ascontiguousarray(astronaut[:, ::-1]), probe / "mirror.jpg")
    known = tmp_path / "known"
    known.mkdir()
    save_image(astronaut, known / "eileen.jpg")
    assert main(["compat", "face_recognition", str(known), str(probe), "--show-distance", "1", "--model", "yunet"]) == 0
    name, who, distance = capsys.readouterr().out.strip().split(",")
    assert name.endswith("mirror.jpg") and who == "eileen" and 0 < float(distance) <= 0.6
    assert main(["compat", "face_detection", "--model", "nope", str(known)]) == 2
    assert "nope" in capsys.readouterr().err
