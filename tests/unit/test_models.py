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
    from faceprint.calibration import calibration_for, threshold_for

    for name in PIPELINES:
        record = calibration_for(name)
        assert record is not None, f"{name} is not calibrated: run python -m faceprint.calibrate"
        assert record["id"] == PIPELINES[name].id, "calibration is stale: the pipeline changed since"
        t2, t3, t4 = (threshold_for(name, r) for r in (1e-2, 1e-3, 1e-4))
        assert t2 < t3 < t4  # rarer false matches need a stricter threshold
        assert record["n_impostor_pairs"] >= 100 / 1e-4  # enough impostors to pin FMR 1e-4


def test_uncalibrated_rate_is_refused():
    from faceprint.calibration import threshold_for
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
