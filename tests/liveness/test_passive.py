"""Passive liveness: the shipped MiniFASNet files, the crop rule, and the front ends."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from faceprint.cli import main
from faceprint.liveness.crop import crop, enlarged_box

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="session")
def samples(shared_data) -> Path:
    root = shared_data.parent / "models" / "minifasnet" / "samples"
    if not (root / "image_T1.jpg").is_file():
        pytest.skip(f"MiniFASNet samples not found at {root}")
    return root


@pytest.fixture(scope="module")
def live():
    from faceprint.liveness.passive import PassiveLiveness

    return PassiveLiveness()


def test_cards_point_at_shipped_files_whose_hash_checks():
    from faceprint.models.catalog import ANALYSIS_MODELS
    from faceprint.models.files import sha256_of, status

    for name in ("minifasnet-v2", "minifasnet-v1se"):
        f = ANALYSIS_MODELS[name].files[0]
        st = status(f)
        assert st["installed"] and st["sha256_ok"], st
        assert sha256_of(Path(st["path"])) == f.sha256
        assert "Apache License" in (Path(st["path"]).parent / "LICENSE").read_text()


def test_a_file_whose_hash_differs_is_refused(monkeypatch):
    from dataclasses import replace

    from faceprint.assessors.base import ExtraNotInstalledError
    from faceprint.liveness.passive import PassiveLiveness
    from faceprint.models import catalog

    card = catalog.ANALYSIS_MODELS["minifasnet-v2"]
    bad = replace(card, files=(replace(card.files[0], sha256="0" * 64),))
    monkeypatch.setitem(catalog.ANALYSIS_MODELS, "minifasnet-v2", bad)
    with pytest.raises(ExtraNotInstalledError, match="SHA-256"):
        PassiveLiveness()


def test_crop_box_is_enlarged_about_its_centre_and_kept_inside():
    # a 20x30 box in the middle of a 200x100 image, enlarged 2x: 40x60 about the same centre
    assert enlarged_box(200, 100, (90, 35, 20, 30), 2.0) == (80, 20, 120, 80)
    # near the left edge: slid right, size kept
    assert enlarged_box(200, 100, (0, 35, 20, 30), 2.0) == (0, 20, 40, 80)
    # too big to fit: the scale drops to what fits (99 / 30 = 3.3: 66x99), then slides in
    assert enlarged_box(200, 100, (90, 35, 20, 30), 4.0) == (67, 0, 133, 99)
    image = np.zeros((100, 200, 3), np.uint8)
    image[20:81, 80:121] = 255  # exactly the enlarged box of the first case
    patch = crop(image, (90, 35, 20, 30), 2.0)
    assert patch.shape == (80, 80, 3) and patch.min() == 255


def test_samples_live_and_spoofs(live, fast, samples):
    from faceprint.image import load_image

    scores = {}
    for name in ("image_T1.jpg", "image_F1.jpg", "image_F2.jpg"):
        image = load_image(samples / name)
        scores[name] = float(live.scores(image, fast.detector.detect(image)[:1])[0])
    assert scores["image_T1.jpg"] >= live.threshold
    assert scores["image_F1.jpg"] < live.threshold and scores["image_F2.jpg"] < live.threshold


def test_no_face_gives_no_rows(live):
    from faceprint.types import Faces

    faces = live.assess(np.zeros((50, 50, 3), np.uint8), Faces.empty((50, 50)))
    assert len(faces) == 0 and "liveness" in faces.columns


def test_cli_json_per_face_and_bad_file(capsys, samples, tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    code = main(["liveness", "--model", "fast", "--json", str(samples / "image_T1.jpg"), str(bad)])
    assert code == 2
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    face = lines[0]["faces"][0]
    assert set(face) == {"box", "live", "score", "threshold", "model"} and face["live"] is True
    assert lines[1]["error"]["code"] == "bad_image"


def test_analyze_extra_adds_the_same_fields(capsys, samples):
    assert main(["analyze", "--model", "fast", "--json", "--extras", "liveness", str(samples / "image_F2.jpg")]) == 0
    face = json.loads(capsys.readouterr().out)["faces"][0]
    assert set(face["liveness"]) == {"live", "score", "threshold", "model"} and face["liveness"]["live"] is False


def test_verify_require_live_refuses_a_spoof(capsys, samples):
    t1, f1 = str(samples / "image_T1.jpg"), str(samples / "image_F1.jpg")
    assert main(["verify", "--model", "fast", "--json", "--require-live", t1, t1]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["liveness_a"]["live"] and rec["liveness_b"]["live"]
    assert main(["verify", "--model", "fast", "--require-live", t1, f1]) == 2
    err = capsys.readouterr().err
    assert "did not pass the liveness check" in err and len(err.strip().splitlines()) == 1
