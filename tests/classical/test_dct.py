"""DCT features: zig-zag order, orthonormal DCT, local regions centred on the detector's landmarks."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("scipy")

from faceprint.embedders.dct import (  # noqa: E402
    PART_WEIGHTS, PARTS, REGIONS, DCTEmbedder, crop_landmarks, cut_regions, part_features, region_centres, zigzag)
from faceprint.errors import InputError  # noqa: E402
from faceprint.types import Faces  # noqa: E402


def test_zigzag_is_the_jpeg_order():
    expected = [(0, 0), (0, 1), (1, 0), (2, 0), (1, 1), (0, 2), (0, 3), (1, 2), (2, 1), (3, 0), (3, 1), (2, 2),
                (1, 3), (2, 3), (3, 2), (3, 3)]
    assert [divmod(int(i), 4) for i in zigzag(4, 4)] == expected
    assert sorted(zigzag(40, 25)) == list(range(1000))


def test_part_features_are_the_first_zigzag_coefficients_of_the_orthonormal_dct():
    from scipy.fft import dctn

    x = np.random.default_rng(0).uniform(0, 255, (30, 50))
    full = dctn(x, norm="ortho")
    raw = part_features(x, 6, centre=False)
    np.testing.assert_allclose(raw, [full[0, 0], full[0, 1], full[1, 0], full[2, 0], full[1, 1], full[0, 2]],
                               rtol=1e-5)
    assert abs(part_features(x, 6)[0]) < 1e-3  # centred: no DC term


def test_local_regions_are_cut_around_the_landmarks():
    face = np.arange(128 * 128, dtype=np.float32).reshape(128, 128)
    # (centres chosen so each region starts on a whole pixel: no interpolation to compare)
    lm = np.array([[47.5, 57.5], [87.5, 57.5], [64.0, 90.5], [44.5, 100.5], [84.5, 100.5]])
    r = cut_regions(face, lm)
    np.testing.assert_array_equal(r["eye_left"], face[50:66, 40:56])  # 16 x 16 centred on the eye
    np.testing.assert_array_equal(r["eye_right"], face[50:66, 80:96])
    np.testing.assert_array_equal(r["mouth"], face[86:116, 40:90])  # 30 x 50 between the mouth corners
    np.testing.assert_array_equal(r["nose"], face[59:99, 52:77])  # 25 wide, ~32 px above the tip to ~8 below
    assert {k: v.shape for k, v in r.items()} == {"global": (128, 128), **REGIONS}


def test_regions_follow_the_landmarks_of_whichever_detector_ran(astronaut):
    # Landmarks in image pixels map into the 128 x 128 crop of the box...
    box = np.array([100, 50, 300, 250])
    lm = np.array([[150, 100], [250, 100], [200, 150], [160, 200], [240, 200]], np.float64)
    np.testing.assert_allclose(crop_landmarks(astronaut.shape, box, lm), (lm - [100, 50]) * 128 / 200)
    # ...and moving a landmark moves its region, and only its region.
    emb = DCTEmbedder()
    faces = Faces(box[None], lm[None], np.ones(1), astronaut.shape[:2])
    moved = lm.copy()
    moved[4] += [10, 0]
    a = emb.part_vectors(emb.crop(astronaut, faces)[0])
    b = emb.part_vectors(emb.crop(astronaut, Faces(box[None], moved[None], np.ones(1), astronaut.shape[:2]))[0])
    changed = {p for p in PARTS if not np.allclose(a[p], b[p])}
    assert changed == {"mouth"}
    assert region_centres(crop_landmarks(astronaut.shape, box, moved))["mouth"][0] > \
        region_centres(crop_landmarks(astronaut.shape, box, lm))["mouth"][0]


def test_combined_embedding_scores_are_the_rate_weighted_mean_of_part_cosines(astronaut, cameraman):
    emb = DCTEmbedder()
    faces = Faces(np.array([[170, 60, 280, 180]]), np.array([[[200, 102], [247, 102], [220, 125], [199, 143],
                                                              [240, 144]]]), np.ones(1), (512, 512))
    grey = np.dstack([cameraman] * 3)
    a, b = emb.embed(astronaut, faces), emb.embed(grey, faces)
    pa = emb.part_vectors(emb.crop(astronaut, faces)[0])
    pb = emb.part_vectors(emb.crop(grey, faces)[0])
    cos = [pa[p] @ pb[p] / np.linalg.norm(pa[p]) / np.linalg.norm(pb[p]) for p in PARTS]
    w = [PART_WEIGHTS[p] for p in PARTS]
    assert a.shape == (1, 128) and a.dtype == np.float32
    assert float(a[0] @ b[0]) == pytest.approx(np.dot(w, cos) / sum(w), abs=1e-5)


def test_flip_and_unknown_parts_are_refused():
    from faceprint.embedders.base import FlipEmbedder

    with pytest.raises(InputError, match="flip"):
        FlipEmbedder(DCTEmbedder())
    with pytest.raises(InputError):
        DCTEmbedder(("ears",))
