"""Explain a match: library, picture, CLI, typed errors, and the two sanity checks of a map."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from scipy.stats import spearmanr

from faceprint.errors import ImageError, NoFaceError
from faceprint.explainers.explanation import explain
from faceprint.explainers.regions import REGIONS, region_masks
from faceprint.explainers.render import render


def rgb(grey: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.dstack([grey] * 3))


@pytest.fixture(scope="module")
def copy_of(astronaut):
    """The astronaut mirrored and rescaled to 75 %: the same face, not the same pixels."""
    return np.ascontiguousarray(cv2.resize(astronaut[:, ::-1], (384, 384), interpolation=cv2.INTER_AREA))


@pytest.fixture(scope="module")
def same_pair(fast, astronaut, copy_of):
    return explain(fast, astronaut, copy_of)


def test_regions_sit_on_the_template_landmarks():
    from faceprint.align import ARCFACE_112

    masks = region_masks()
    assert set(masks) == set(REGIONS) and all(m.any() for m in masks.values())
    assert sum(m.astype(int) for m in masks.values()).max() == 1  # every pixel in exactly one region
    at = lambda p: next(n for n, m in masks.items() if m[int(p[1]), int(p[0])])  # noqa: E731
    assert [at(p) for p in ARCFACE_112] == ["eyes", "eyes", "nose", "mouth", "mouth"]


def test_same_person_explained_with_regions_sentence_and_picture(same_pair, tmp_path):
    e = same_pair
    assert e.same and e.similarity > 0.8
    # maps made on what the verdict saw (1e-3: bf16 inference, where the CPU has it, differs by ~1e-4)
    assert e.map_similarity == pytest.approx(e.similarity, abs=1e-3)
    d = e.to_dict()
    json.dumps(d, allow_nan=False)
    assert {r["region"] for r in d["regions"]} == set(REGIONS)
    assert d["sentence"].startswith("The similarity comes most from the ")
    assert any(r["name"] in d["sentence"] for r in d["regions"] if r["drop"] == max(x["drop"] for x in d["regions"]))
    assert d["maps"]["shape"] == [112, 112] and np.array(d["maps"]["patch_contribution_a"]).shape == (7, 7)
    # xCos-style SFace patch split: exact (its cells and constant add up to the similarity).
    assert d["xcos"]["similarity"] == pytest.approx(e.similarity, abs=1e-3)
    assert np.array(d["xcos"]["local_cosine"]).shape == (7, 7)
    picture = render(e)
    assert picture.ndim == 3 and picture.shape[1] == 4 * 224 and picture.std() > 20


def test_different_people_show_where_they_differ(fast, astronaut, cameraman):
    e = explain(fast, astronaut, rgb(cameraman))
    assert not e.same
    for maps in (e.a, e.b):  # some patch raises the similarity when hidden: a "differ" spot exists
        assert maps.patch_contribution.min() < -0.005


def test_a_face_with_itself_is_uniformly_alike(fast, astronaut, same_pair):
    """With A == B, hiding a patch of A moves A away from B exactly as far as from itself:
    likeness = contribution / importance is 1 wherever the model looks, and nothing differs."""
    e = explain(fast, astronaut, astronaut)
    for maps in (e.a, e.b):
        like = maps.likeness[~np.isnan(maps.likeness)]
        assert like.size > 0.8 * maps.likeness.size  # defined almost everywhere
        assert np.abs(like - 1).max() < 1e-3  # uniform: coefficient of variation ~0
        assert maps.contribution.min() >= -1e-6  # no "differ" mass
    assert all(r["drop"] >= 0 for r in e.regions)
    assert np.abs(e.patches.local_cosine - 1).max() < 1e-4  # the xCos map: every cell alike
    # A mirrored, rescaled copy is nearly itself: still alike nearly everywhere, barely any differ mass.
    for maps in (same_pair.a, same_pair.b):
        differ = -np.clip(maps.contribution, None, 0).sum() / np.abs(maps.contribution).sum()
        assert differ < 0.02 and np.nanmean(maps.likeness) > 0.7


def test_the_map_changes_with_the_model(fast, astronaut, copy_of):
    """Two different networks weigh the parts of a face differently: their patch maps must agree
    clearly less than one model's maps of two copies of the same pair do. Compared on the inner
    patches: every face model ignores the frame's border, which alone would correlate any two maps."""
    from faceprint.pipeline import Analyzer

    # A 5 x 5 grid keeps dlib's share of the test to seconds (it embeds at ~85 ms per chip).
    inner = lambda e: np.concatenate([m.patch_contribution[1:-1, 1:-1].ravel() for m in (e.a, e.b)])  # noqa: E731
    fast_map = inner(explain(fast, astronaut, copy_of, grid=5))
    across_models = spearmanr(fast_map, inner(explain(Analyzer.from_name("dlib"), astronaut, copy_of, grid=5)))[0]
    # Control: the same model on another copy of the same face (rescaled, not mirrored).
    other_copy = cv2.resize(astronaut, (448, 448), interpolation=cv2.INTER_AREA)
    same_model = spearmanr(fast_map, inner(explain(fast, astronaut, other_copy, grid=5)))[0]
    print(f"rank correlation of inner patch maps: fast vs dlib {across_models:.2f}, fast vs fast on another "
          f"copy {same_model:.2f}")
    assert across_models < 0.6 and same_model > across_models + 0.2


@pytest.mark.parametrize("name", ["accurate", "dwt-haar-3", "dct"])
def test_every_kind_of_embedder_is_explained(name, fast, accurate, astronaut, copy_of):
    """Fusion (with mirrored crops) and the classical embedders: batched embeddings equal the
    embedder's own, and a coarse explanation runs."""
    from faceprint.explainers.occlusion import FaceView, embed_many, patch_masks
    from faceprint.models.registry import make_embedder
    from faceprint.pipeline import Analyzer

    analyzer = accurate if name == "accurate" else Analyzer(fast.detector, make_embedder(name))
    faces = analyzer.detect(astronaut)
    view = FaceView.around(astronaut, faces, 0)
    images = view.occluded(patch_masks(3)[0][:3])
    one_by_one = np.concatenate([analyzer.embedder.embed(img, view.face) for img in images])
    assert np.abs(embed_many(analyzer.embedder, images, view.face) - one_by_one).max() < 1e-5
    e = explain(analyzer, astronaut, copy_of, grid=2, threshold=None if name == "accurate" else 0.5)
    assert e.a.patch_contribution.shape == (2, 2) and np.isfinite(e.a.contribution).all()
    assert e.regions[0]["drop"] > 0
    assert (e.patches is not None) == (name == "accurate")  # the SFace patch map only where SFace is used


def test_top_level_verb_survives_importing_the_package(astronaut, copy_of, same_pair):
    import faceprint
    import faceprint.explainers.faithfulness  # noqa: F401  (a package named `explain` would rebind the verb)

    assert "explain" in faceprint.__all__ and callable(faceprint.explain)
    e = faceprint.explain(astronaut, copy_of, model="fast")
    assert e.similarity == pytest.approx(same_pair.similarity) and e.sentence == same_pair.sentence


def test_bad_inputs_are_typed_errors(fast, astronaut):
    with pytest.raises(ImageError):
        explain(fast, b"not an image at all", astronaut)
    with pytest.raises(NoFaceError):
        explain(fast, np.full((200, 200, 3), 128, np.uint8), astronaut)


def test_cli_writes_picture_and_json(capsys, tmp_path, astronaut, copy_of, cameraman):
    from faceprint.cli import main
    from faceprint.image import load_image, save_image

    a, b, c = tmp_path / "a.png", tmp_path / "b.jpg", tmp_path / "c.png"
    save_image(astronaut, a), save_image(copy_of, b), save_image(rgb(cameraman), c)
    out = tmp_path / "map.png"
    assert main(["explain", str(a), str(b), "--out", str(out), "--json", "--model", "fast", "--grid", "5"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["same"] and rec["regions"] and rec["sentence"] and rec["out"] == str(out)
    assert np.array(rec["maps"]["patch_contribution_a"]).shape == (5, 5)
    assert load_image(out).shape[1] == 4 * 224
    assert main(["explain", str(a), str(c), "--model", "fast"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("different people") and "eye region" in text

    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x00 definitely not a picture")
    blank = tmp_path / "blank.png"
    save_image(np.full((120, 120, 3), 200, np.uint8), blank)
    for bad in (junk, blank):
        assert main(["explain", str(a), str(bad), "--model", "fast"]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("faceprint: error:") and "\n" not in err
