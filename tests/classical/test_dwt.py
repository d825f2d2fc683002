"""DWT features: exactly PyWavelets' coefficients, any wavelet and level 1-4."""

from __future__ import annotations

import numpy as np
import pytest
import pywt

from faceprint.embedders.dwt import FACE_SIZE, DWTEmbedder, dwt_dim, face_crop  # noqa: E402
from faceprint.errors import InputError  # noqa: E402
from faceprint.types import Faces  # noqa: E402


@pytest.fixture(scope="module")
def crop(cameraman):
    return face_crop(np.dstack([cameraman] * 3), np.array([0, 0, 512, 512]))


@pytest.mark.parametrize("wavelet", ["haar", "db2", "db4", "sym3"])
@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_features_are_pywt_approximation_coefficients(crop, wavelet, level):
    emb = DWTEmbedder(wavelet, level)
    expected = pywt.wavedec2(crop.astype(np.float64), wavelet, mode="symmetric", level=level)[0].ravel()
    np.testing.assert_allclose(emb.features(crop, centre=False), expected, rtol=1e-5, atol=1e-3)
    centred = pywt.wavedec2(crop - crop.astype(np.float64).mean(), wavelet, level=level)[0].ravel()
    np.testing.assert_allclose(emb.features(crop), centred, rtol=1e-5, atol=1e-3)
    assert emb.dim == expected.size and emb.name == f"dwt-{wavelet}-{level}"


def test_all_bands_and_declared_sizes(crop):
    emb = DWTEmbedder("db2", 2, bands="all")
    coeffs = pywt.wavedec2(crop.astype(np.float64), "db2", level=2)
    expected = np.concatenate([coeffs[0].ravel(), *(b.ravel() for lv in coeffs[1:] for b in lv)])
    np.testing.assert_allclose(emb.features(crop, centre=False), expected, rtol=1e-5, atol=1e-3)
    for w in ("haar", "db2", "db4"):
        for level in (1, 2, 3, 4):
            n = FACE_SIZE
            for _ in range(level):
                n = pywt.dwt_coeff_len(n, pywt.Wavelet(w).dec_len, "symmetric")
            assert dwt_dim(w, level) == n * n == DWTEmbedder(w, level).dim
            assert dwt_dim(w, level, "all") == DWTEmbedder(w, level, bands="all").dim


def test_coarser_levels_give_shorter_features():
    dims = [DWTEmbedder("haar", level).dim for level in (1, 2, 3, 4)]
    assert dims == [64 * 64, 32 * 32, 16 * 16, 8 * 8]


@pytest.mark.parametrize("kwargs", [{"level": 0}, {"level": 9}, {"wavelet": "nope"}, {"bands": "detail"}])
def test_bad_configuration_is_a_typed_error(kwargs):
    with pytest.raises(InputError):
        DWTEmbedder(**kwargs)


def test_embed_gives_unit_float32_rows_per_face(astronaut):
    boxes = np.array([[170, 60, 280, 180], [0, 0, 100, 100]], np.float32)
    faces = Faces(boxes, np.zeros((2, 5, 2)), np.ones(2), astronaut.shape[:2])
    out = DWTEmbedder("haar", 3).embed(astronaut, faces)
    assert out.shape == (2, 256) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert DWTEmbedder("haar", 3).embed(astronaut, faces[np.zeros(2, bool)]).shape == (0, 256)
