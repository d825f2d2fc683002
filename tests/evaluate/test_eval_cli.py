"""`faceprint eval` end to end on small real photos (scikit-image's astronaut and camera)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from faceprint.cli import main
from faceprint.image import save_image


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory, astronaut, cameraman) -> Path:
    from skimage import data

    d = tmp_path_factory.mktemp("evalphotos")
    cam = np.stack([cameraman] * 3, -1)
    save_image(astronaut, d / "ast.jpg")
    save_image(np.ascontiguousarray(astronaut[:, ::-1]), d / "ast_m.png")
    save_image(astronaut[20:480, 60:460], d / "ast_crop.png")
    save_image(cam, d / "cam.jpg")
    save_image(np.ascontiguousarray(cam[:, ::-1]), d / "cam_m.png")
    save_image(cam[10:400, 80:470], d / "cam_crop.png")
    save_image(data.coffee(), d / "coffee.jpg")  # no face
    save_image(data.coffee()[::-1], d / "coffee_flip.jpg")
    (d / "pairs.csv").write_text(
        "path_a,path_b,same,fold\n"
        "ast.jpg,ast_m.png,1,1\ncam.jpg,cam_m.png,1,1\nast.jpg,cam.jpg,0,1\nast_m.png,cam_m.png,0,1\n"
        "ast.jpg,ast_crop.png,1,2\ncam.jpg,cam_crop.png,1,2\nast_crop.png,cam.jpg,0,2\ncoffee.jpg,ast.jpg,0,2\n"
        "coffee.jpg,coffee_flip.jpg,1,2\n")
    return d


@pytest.fixture(scope="module")
def report(photo_dir, tmp_path_factory) -> tuple[dict, Path, int]:
    mp = pytest.MonkeyPatch()
    mp.setenv("FACEPRINT_CACHE", str(tmp_path_factory.mktemp("cache")))  # a cold cache, as in CI
    out = tmp_path_factory.mktemp("report")
    try:
        code = main(["eval", "verification", "--pairs", str(photo_dir / "pairs.csv"), "--model", "fast",
                     "--out", str(out), "--bootstrap", "50", "--workers", "1", "--no-progress"])
    finally:
        mp.undo()
    return json.loads((out / "report.json").read_text()), out, code


def test_writes_every_file(report):
    _, out, code = report
    assert code == 0
    for name in ("report.json", "report.md", "report.html", "roc.png", "det.png", "scores.png", "scores.csv"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "roc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (out / "report.html").read_text()
    assert "<img src='roc.png'" in html and "Model card" in html


def test_report_json_schema(report, photo_dir):
    r, _, _ = report
    assert r["schema"] == "faceprint.eval.report/1" and r["protocol"] == "verification"
    assert r["command"].startswith("faceprint eval verification --root") or r["command"].startswith(
        "faceprint eval verification --out")
    assert "--pairs" in r["command"] and "--model fast" in r["command"]
    pairs = r["inputs"]["pairs"]
    assert pairs["sha256"] == hashlib.sha256((photo_dir / "pairs.csv").read_bytes()).hexdigest()
    assert pairs["rows"] == 9 and pairs["columns"] == ["path_a", "path_b", "same", "fold"]
    assert r["inputs"]["images"]["count"] == 8 and len(r["inputs"]["images"]["sha256"]) == 64
    (model,) = r["models"]
    assert model["name"] == "fast" and model["id"].startswith("fast/v1:yunet>sface")
    assert all(len(f["sha256"]) == 64 for p in model["parts"] for f in p["files"])
    res = r["results"]["fast"]
    for key in ("n_pairs", "auc", "eer", "tar_at_far", "omitted_fars", "kfold_accuracy", "roc", "calibrated"):
        assert key in res, key
    assert set(r["model_card"]) >= {"model_details", "intended_use", "factors", "metrics", "evaluation_data",
                                    "caveats_and_recommendations"}
    assert r["fairness"]["evaluated"] is False
    assert r["fairness"]["reason"].startswith("no group columns: fairness not evaluated")
    assert r["quality"]["evaluated"] is False


def test_failed_faces_count_as_errors_not_dropped(report):
    res = report[0]["results"]["fast"]
    assert res["n_pairs"] == 9 and res["images_without_face"] == 2  # both coffee images
    assert res["failed_pairs"] == 2 and res["failed_genuine_pairs"] == 1
    # The coffee "genuine" pair can never be accepted, so at best 8 of 9 pairs are right.
    acc = res["kfold_accuracy"]
    assert acc["folds"] == 2 and max(acc["per_fold"]) <= 1.0 and acc["mean"] <= 1 - 1 / 10 + 1e-9


def test_unsupported_fars_are_omitted_and_said(report):
    r = report[0]
    res = r["results"]["fast"]
    # 4 impostor pairs support no FAR <= 0.1 (that needs 10): all four are omitted, none computed.
    assert res["tar_at_far"] == []
    assert [o["far"] for o in res["omitted_fars"]] == [0.1, 0.01, 0.001, 0.0001]
    assert any("TAR at FAR 0.0001: needs at least 10,000 impostor pairs" in o for o in r["omissions"])


def test_scores_csv_matches_the_json(report):
    import csv

    r, out, _ = report
    rows = list(csv.DictReader(open(out / "scores.csv")))
    assert len(rows) == 9 and rows[8]["fast"] == "-inf"
    from faceprint.evaluate.verification import auc

    s = np.array([float(x["fast"]) for x in rows])
    y = np.array([int(x["same"]) for x in rows])
    assert auc(s, y) == pytest.approx(r["results"]["fast"]["auc"]["value"], abs=1e-12)


@pytest.mark.parametrize("argv, message", [
    (["--pairs", "{d}/missing.csv"], "does not exist"),
    (["--pairs", "{d}/bad_cols.csv"], "unknown column(s) score"),
    (["--pairs", "{d}/one_class.csv"], "only genuine (same=1) pairs"),
    (["--pairs", "{d}/no_file.csv"], "do not exist under"),
    (["--pairs", "{d}/pairs.csv", "--model", "nope"], "unknown model 'nope'"),
])
def test_bad_input_exits_2_with_one_line(photo_dir, tmp_path, capsys, argv, message):
    (photo_dir / "bad_cols.csv").write_text("path_a,path_b,same,score\nast.jpg,cam.jpg,0,1\n")
    (photo_dir / "one_class.csv").write_text("path_a,path_b,same\nast.jpg,ast_m.png,1\n")
    (photo_dir / "no_file.csv").write_text("path_a,path_b,same\nast.jpg,gone.jpg,1\nast.jpg,cam.jpg,0\n")
    code = main(["eval", "verification", *[a.format(d=photo_dir) for a in argv], "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "r" / "report.json").exists()


def test_detection_rejects_unknown_detector(photo_dir, tmp_path, capsys):
    (photo_dir / "boxes.csv").write_text("path,x,y,w,h\nast.jpg,150,60,120,140\n")
    code = main(["eval", "detection", "--boxes", str(photo_dir / "boxes.csv"), "--detector", "nope",
                 "--out", str(tmp_path)])
    assert code == 2 and "unknown detector 'nope'" in capsys.readouterr().err


def test_detection_on_the_astronaut(photo_dir, tmp_path, capsys):
    (photo_dir / "boxes.csv").write_text("path,x,y,w,h\nast.jpg,165,70,110,130\ncoffee.jpg,,,,\n")
    code = main(["eval", "detection", "--boxes", str(photo_dir / "boxes.csv"), "--detector", "yunet",
                 "--out", str(tmp_path), "--no-progress", "--iou", "0.3"])
    assert code == 0
    r = json.loads((tmp_path / "report.json").read_text())["results"]["yunet"]
    assert r["n_gt"] == 1 and r["recall"] == 1.0 and r["iou"] == 0.3
    assert (tmp_path / "tp_fp.png").is_file()
