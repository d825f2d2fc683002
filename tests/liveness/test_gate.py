"""The enrolment gate: quality filter with reasons, liveness, and duplicates under another name."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from faceprint.cli import main
from faceprint.gallery.gate import BARS, EnrolmentGate, QualityFilterError, check_level, reasons_for
from faceprint.errors import InputError

GOOD = {"face_size_px": 40.0, "blur": 0.35, "luminance": 120.0, "yaw": 5.0, "pitch": -3.0, "eye_openness": 0.3}


@pytest.mark.parametrize("change, reason", [
    ({"face_size_px": 8.0}, "too_small"), ({"blur": 0.7}, "blurred"), ({"luminance": 20.0}, "dark"),
    ({"yaw": -70.0}, "extreme_pose"), ({"pitch": 50.0}, "extreme_pose"), ({"eye_openness": 0.05}, "eyes_closed"),
])
def test_each_measure_names_its_reason_at_every_level(change, reason):
    for level in ("low", "medium", "high"):
        assert reasons_for({**GOOD, **change}, level) == [reason]
    assert reasons_for({**GOOD, **change}, "none") == []


def test_levels_are_nested_and_unmeasured_eyes_do_not_refuse():
    lo, mid, hi = BARS["low"], BARS["medium"], BARS["high"]
    for i, stricter_is_higher in enumerate((True, False, True, False, False, True)):
        assert (lo[i] <= mid[i] <= hi[i]) if stricter_is_higher else (lo[i] >= mid[i] >= hi[i])
    assert reasons_for({**GOOD, "eye_openness": None}, "high") == []
    with pytest.raises(InputError, match="none, low, medium, high"):
        check_level("auto")


@pytest.fixture(scope="module")
def lfw(shared_data):
    root = shared_data / "lfw_deepfunneled" / "images"
    return {k: root / k.rsplit("_", 1)[0] / f"{k}.jpg" for k in
            ("George_W_Bush_0001", "George_W_Bush_0002", "Colin_Powell_0001")}


def test_a_darkened_copy_of_a_real_photo_is_refused_with_the_reason(fast, lfw, tmp_path):
    from faceprint.gallery import open_gallery
    from faceprint.image import load_image

    image = load_image(lfw["Colin_Powell_0001"])
    dark = (image.astype(np.float32) * 0.25).astype(np.uint8)
    blurred = cv2.GaussianBlur(image, (0, 0), 4)
    with open_gallery(str(tmp_path / "g.db"), fast, create=True) as g:
        for picture, reason in ((dark, "dark"), (blurred, "blurred")):
            with pytest.raises(QualityFilterError) as err:
                g.enroll("Colin", [picture], gate=EnrolmentGate("medium"))
            assert reason in err.value.reasons and "nothing was enrolled" in str(err.value)
        assert g.store.meta() is None  # nothing stored
        g.enroll("Colin", [image], gate=EnrolmentGate("medium"))  # the original passes


def test_same_face_under_another_name_warns_or_is_refused(capsys, lfw, tmp_path):
    db = str(tmp_path / "g.db")
    assert main(["enroll", "--model", "fast", "-g", db, "George", str(lfw["George_W_Bush_0001"])]) == 0
    capsys.readouterr()
    assert main(["enroll", "--model", "fast", "-g", db, "--json", "Colin", str(lfw["Colin_Powell_0001"])]) == 0
    assert json.loads(capsys.readouterr().out)["warnings"] == []
    assert main(["enroll", "--model", "fast", "-g", db, "--refuse-duplicate", "Bush",
                 str(lfw["George_W_Bush_0002"])]) == 2
    assert "matches 'George'" in capsys.readouterr().err
    assert main(["enroll", "--model", "fast", "-g", db, "--json", "Bush", str(lfw["George_W_Bush_0002"])]) == 0
    out = capsys.readouterr()
    assert "matches 'George'" in json.loads(out.out)["warnings"][0] and "warning:" in out.err
    # its own identity is never a duplicate of itself, but "Bush" now holds this face too
    assert main(["enroll", "--model", "fast", "-g", db, "--json", "--append", "--refuse-duplicate", "George",
                 str(lfw["George_W_Bush_0002"])]) == 2  # matches 'Bush' now


def test_a_real_face_shrunk_below_the_size_bar_is_refused_as_too_small(fast, lfw, tmp_path):
    """The size bars are in inter-eye pixels: the same photo, shrunk so its eyes sit under the
    medium bar and placed on a grey canvas, is refused as too small; at full size it passes."""
    from faceprint.gallery import open_gallery
    from faceprint.gallery.gate import face_measures
    from faceprint.image import load_image

    image = load_image(lfw["Colin_Powell_0001"])
    faces = fast.detect(image)
    ied = face_measures(image, faces[faces.pick("central")])["face_size_px"]
    assert ied >= BARS["medium"][0]
    k = 0.8 * BARS["medium"][0] / ied
    small = cv2.resize(image, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    canvas = np.full((image.shape[0], image.shape[1], 3), 128, np.uint8)
    canvas[:small.shape[0], :small.shape[1]] = small
    with open_gallery(str(tmp_path / "g.db"), fast, create=True) as g:
        with pytest.raises(QualityFilterError) as err:
            g.enroll("Colin", [canvas], gate=EnrolmentGate("medium"))
        assert "too_small" in err.value.reasons
        assert err.value.measures["face_size_px"] < BARS["medium"][0]
        g.enroll("Colin", [image], gate=EnrolmentGate("medium"))
