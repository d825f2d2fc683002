import json

import pytest

from faceprint.errors import ModelFileError, UnknownModelError
from faceprint.models.card import ModelFile
from faceprint.models.catalog import MODELS, PIPELINES
from faceprint.models.files import locate
from faceprint.models.registry import make_detector, make_embedder, pipeline_card


def test_every_card_file_is_installed_and_hash_checked():
    for card in MODELS.values():
        for f in card.files:
            assert locate(f).is_file(), card.name


def test_wrong_hash_is_refused():
    good = MODELS["sface"].files[0]
    bad = ModelFile(good.package, good.distribution, good.path, "0" * 64)
    with pytest.raises(ModelFileError, match="SHA-256"):
        locate(bad)


def test_missing_package_names_what_to_install():
    with pytest.raises(ModelFileError, match="pip install no-such-carrier"):
        locate(ModelFile("no_such_carrier_pkg", "no-such-carrier", "x.onnx", "0" * 64))


@pytest.mark.parametrize("factory", [pipeline_card, make_detector, make_embedder])
def test_unknown_names_list_the_valid_ones(factory):
    with pytest.raises(UnknownModelError) as err:
        factory("arcface-r100")
    assert "valid names" in str(err.value)


def test_pipeline_ids_name_their_parts():
    assert PIPELINES["fast"].id == "fast/v1:yunet>sface"
    assert "+flip" in PIPELINES["accurate"].id


def test_calibration_covers_every_pipeline():
    from faceprint.thresholds import calibration_for, threshold_for

    for name in PIPELINES:
        record = calibration_for(name)
        assert record is not None, f"{name} is not calibrated: run python -m faceprint.calibrate"
        assert record["id"] == PIPELINES[name].id, "calibration is stale: the pipeline changed since"
        t2, t3, t4 = (threshold_for(name, r) for r in (1e-2, 1e-3, 1e-4))
        assert t2 < t3 < t4  # rarer false matches need a stricter threshold
        assert record["n_impostor_pairs"] >= 100 / 1e-4  # enough impostors to pin FMR 1e-4


def test_uncalibrated_rate_is_refused():
    from faceprint.thresholds import threshold_for
    from faceprint.errors import InputError

    with pytest.raises(InputError, match="calibrated rates"):
        threshold_for("fast", 0.05)


def test_import_is_cheap_and_quiet():
    import subprocess
    import sys

    code = ("import sys, faceprint; heavy = {'cv2', 'dlib', 'onnx', 'PIL'} & set(sys.modules); "
            "print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.replace("'", '"')) == []


def test_backends_are_built_from_their_cards():
    from faceprint.models.registry import DETECTORS, EMBEDDERS

    assert set(DETECTORS) | set(EMBEDDERS) == set(MODELS)  # every shipped card names its factory
    for name in ("yunet", "sface", "dlib-resnet"):
        backend, card = (make_embedder if name in EMBEDDERS else make_detector)(name), MODELS[name]
        assert backend.name == card.name
        if card.task == "embed":
            assert backend.dim == card.embedding_dim  # the size is the card's, not typed in the backend


def test_model_ids_are_structured_and_keep_their_string():
    from faceprint.models.card import ModelId
    from faceprint.models.registry import pipeline_model_id, pipeline_of

    for name, card in PIPELINES.items():
        model = pipeline_model_id(name)
        assert ModelId.parse(str(model)) == model and model.card_id == card.id and model.pipeline == name
        assert pipeline_of(str(model)) == name
        # The string every gallery, cache and .npz written before ModelId holds: the card id,
        # plus "[w=...]" with the fusion weights (5 significant digits) for a fused pipeline.
        legacy = card.id + ("[w=" + ",".join(f"{w:.5g}" for w in model.weights) + "]" if model.weights else "")
        assert str(model) == legacy
    assert PIPELINES["accurate"].model_id((1.0, 2.0)).weights == (1.0, 2.0)
    assert ModelId.parse("custom:yunet>sface") is None and pipeline_of("custom:yunet>sface") is None


def test_a_gallery_written_with_the_old_id_string_still_opens(tmp_path):
    import numpy as np

    from faceprint.thresholds import threshold_for
    from faceprint.gallery import open_gallery
    from faceprint.models.registry import pipeline_model_id

    card = PIPELINES["accurate"]
    weights = pipeline_model_id("accurate").weights
    old_id = card.id + "[w=" + ",".join(f"{w:.5g}" for w in weights) + "]"  # pipeline.py's old formula
    rng = np.random.default_rng(0)
    v = rng.normal(size=(2, 256)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    with open_gallery(tmp_path / "old.db", create=True) as g:
        g.enroll_vectors("a", v[:1], model=old_id)
        g.enroll_vectors("b", v[1:], model=old_id)
    with open_gallery(tmp_path / "old.db") as g:  # no analyzer: the pipeline is read from the stored id
        assert g.threshold(1e-3).value == threshold_for("accurate", 1e-3)
        (answer,) = g.identify_vectors(v[1:], model=old_id)
        assert answer.identity == "b" and answer.model == old_id
