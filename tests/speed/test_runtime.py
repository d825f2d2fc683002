"""The runtime choice (models/runtime.py): OpenVINO's bf16 agrees with fp32, and every fallback works."""

from __future__ import annotations

import numpy as np
import pytest

from faceprint.errors import InputError


@pytest.fixture(scope="module")
def faces_of(astronaut):
    from faceprint.detectors.yunet import YuNetDetector

    return YuNetDetector().detect(astronaut)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


@pytest.mark.parametrize("kind", ["sface", "dlib-resnet"])
def test_default_runtime_agrees_with_fp32(kind, astronaut, faces_of, monkeypatch):
    from faceprint.models.registry import make_embedder

    default = make_embedder(kind)
    monkeypatch.setenv("FACEPRINT_PRECISION", "f32")
    exact = make_embedder(kind)
    assert exact.runtime.endswith("f32")
    crops = default.crop(astronaut, faces_of)
    mirrored = [c[:, ::-1] for c in crops]  # more than one face's worth of crops, in one batch
    a, b = default.embed_crops(crops + mirrored), exact.embed_crops(crops + mirrored)
    assert a.shape == b.shape == (2 * len(crops), 128)
    assert _cosines(a, b).min() > 0.9995  # bf16 where the CPU has it; identical otherwise


def test_sface_without_openvino_runs_opencv_with_the_same_embeddings(astronaut, faces_of, monkeypatch):
    from faceprint.embedders.sface import SFaceEmbedder

    monkeypatch.setenv("FACEPRINT_PRECISION", "f32")
    ov = SFaceEmbedder()
    monkeypatch.setenv("FACEPRINT_RUNTIME", "onnxruntime")
    cv = SFaceEmbedder()
    assert cv.runtime == "opencv-f32"
    crops = ov.crop(astronaut, faces_of)
    np.testing.assert_allclose(ov.embed_crops(crops), cv.embed_crops(crops), atol=1e-5)


def test_batches_equal_one_at_a_time(astronaut, faces_of):
    from faceprint.embedders.sface import SFaceEmbedder

    emb = SFaceEmbedder()
    crops = emb.crop(astronaut, faces_of) * 3
    together = emb.embed_crops(crops)
    alone = np.concatenate([emb.embed_crops([c]) for c in crops])
    assert _cosines(together, alone).min() > 0.9999


def test_unknown_settings_are_refused(monkeypatch):
    from faceprint.models import runtime

    monkeypatch.setenv("FACEPRINT_PRECISION", "fp8")
    with pytest.raises(InputError, match="FACEPRINT_PRECISION"):
        runtime.precision()
    monkeypatch.setenv("FACEPRINT_RUNTIME", "tensorrt")
    with pytest.raises(InputError, match="FACEPRINT_RUNTIME"):
        runtime.openvino_available()
