"""`faceprint analyze`: JSON lines, drawings, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from analyze_helpers import degrade, needs_extra

from faceprint.cli import main
from faceprint.image import save_image


@pytest.fixture(scope="module")
def files(tmp_path_factory, astronaut, cameraman):
    d = tmp_path_factory.mktemp("analyze")
    out = {"astronaut": d / "astronaut.jpg", "camera": d / "camera.png", "blurred": d / "blurred.png"}
    save_image(astronaut, out["astronaut"])
    save_image(np.stack([cameraman] * 3, -1), out["camera"])
    save_image(degrade(astronaut, "blurred"), out["blurred"])
    return out


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_has_quality_reasons_and_pose(capsys, files):
    code, out, _ = run(capsys, "analyze", str(files["astronaut"]), str(files["blurred"]), str(files["camera"]),
                       "--json", "--model", "fast")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 3
    clean, blurred, camera = (r["faces"][0] for r in rows)
    assert clean["quality"] > 0.9 and clean["quality_reasons"] == []
    assert "blurred" in blurred["quality_reasons"] and blurred["quality"] < 0.5
    assert camera["yaw"] > 30 and "head_yaw" in camera["quality_reasons"]
    assert rows[0]["model"].startswith("fast/")


def test_draw_writes_a_picture(capsys, files, tmp_path):
    code, out, _ = run(capsys, "analyze", str(files["astronaut"]), "--draw", str(tmp_path / "drawn"),
                       "--model", "fast")
    assert code == 0 and "(good: no measure lowers it much)" in out
    from faceprint.image import load_image
    drawn = load_image(tmp_path / "drawn" / "astronaut.jpg")
    assert drawn.shape == (512, 512, 3)


def test_draw_with_landmarks_shows_the_mesh(capsys, files, tmp_path):
    needs_extra("landmarks")
    code, out, _ = run(capsys, "analyze", str(files["astronaut"]), "--draw", str(tmp_path), "--json",
                       "--extras", "landmarks", "--model", "fast")
    rec = json.loads(out)
    assert code == 0 and len(rec["faces"][0]["landmarks_468"]) == 468 and rec["extras"] == ["landmarks"]
    from faceprint.image import load_image
    drawn = load_image(tmp_path / "astronaut.jpg").astype(int)
    plain = load_image(files["astronaut"]).astype(int)
    mesh = np.array(rec["faces"][0]["landmarks_468"])[:, :2].round().astype(int)
    # the drawing changed the pixels under the mesh points
    assert np.abs(drawn[mesh[:, 1], mesh[:, 0]] - plain[mesh[:, 1], mesh[:, 0]]).sum(1).mean() > 40


def test_missing_file_is_one_line_and_exit_2(capsys, files, tmp_path):
    code, out, err = run(capsys, "analyze", str(tmp_path / "nope.jpg"), str(files["astronaut"]), "--model", "fast")
    assert code == 2 and "nope.jpg" in err and "Traceback" not in err
    assert "astronaut.jpg: 1 face(s)" in out  # the other image is still analysed


def test_unknown_extra_is_a_usage_error(capsys, files):
    with pytest.raises(SystemExit) as exit_:
        main(["analyze", str(files["astronaut"]), "--extras", "beauty"])
    assert exit_.value.code == 2
    assert "valid names" in capsys.readouterr().err


def test_unsolvable_pose_is_null_in_json():
    import numpy as np

    from faceprint.types import Faces

    nan = float("nan")
    faces = Faces(np.zeros((1, 4)), np.zeros((1, 5, 2)), np.ones(1), (10, 10))
    faces = faces.with_column("yaw", np.array([nan])).with_column("q", np.array([{"s": nan, "t": 1.0}], object))
    rec = faces.to_records()[0]
    assert rec["yaw"] is None and rec["q"] == {"s": None, "t": 1.0}
