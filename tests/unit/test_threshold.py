"""One Threshold(value, fmr), resolved once; the calibrated rates come from calibration.json."""

import json
from importlib import resources

import numpy as np
import pytest

from faceprint import thresholds
from faceprint.thresholds import Threshold
from faceprint.errors import InputError


def shipped() -> dict:
    return json.loads(resources.files("faceprint.models").joinpath("calibration.json").read_text())


def test_calibrated_rates_are_the_files():
    table = shipped()["pipelines"]
    for name, record in table.items():
        assert thresholds.calibrated_rates(name) == tuple(sorted(map(float, record["thresholds"]), reverse=True))
    every = {float(r) for rec in table.values() for r in rec["thresholds"]}
    assert thresholds.calibrated_rates() == tuple(sorted(every, reverse=True))
    assert thresholds.DEFAULT_FMR in thresholds.calibrated_rates("fast")


def test_resolve_once():
    t = Threshold.resolve("fast", 1e-3)
    assert t == Threshold(thresholds.threshold_for("fast", 1e-3), 1e-3)
    assert Threshold.resolve("fast", 1e-2, t) is t  # an already resolved threshold passes through
    assert Threshold.resolve(None, 1e-3, 0.5) == Threshold(0.5, None)  # by hand: no rate claimed
    with pytest.raises(InputError, match="calibrated rates"):
        Threshold.resolve("fast", 0.123)
    with pytest.raises(InputError, match="no calibrated thresholds"):
        Threshold.resolve(None, 1e-3, model="custom:x>y")


def test_cli_help_lists_the_files_rates():
    from faceprint.cli.options import calibrated_rates

    text = calibrated_rates()
    assert text.split(", ") == [thresholds.rate_text(r) for r in thresholds.calibrated_rates("accurate")]
    assert all(float(r) in thresholds.calibrated_rates() for r in text.split(", "))


def test_analyzer_and_gallery_pass_a_resolved_threshold_down(fast, tmp_path, astronaut):
    from faceprint.gallery import open_gallery

    t = fast.threshold(1e-2)
    assert t == Threshold.resolve("fast", 1e-2)
    e = fast.choose_face(astronaut).embedding
    v = fast.compare(e, e, threshold=t)
    assert (v.threshold, v.fmr) == (t.value, 1e-2)
    with open_gallery(tmp_path / "g.db", fast, create=True) as g:
        g.enroll("astronaut", [astronaut])
        assert g.threshold(1e-2) == t
        (answer,) = g.identify(np.ascontiguousarray(astronaut), threshold=t)
        assert (answer.identity, answer.threshold, answer.fmr) == ("astronaut", t.value, 1e-2)
