"""CLI wording a newcomer trips over: which image has no face, labelled pair verdicts, the box format."""

from __future__ import annotations

import numpy as np
import pytest

from faceprint.cli import main
from faceprint.image import save_image


@pytest.fixture(scope="module")
def files(tmp_path_factory, astronaut):
    from skimage import data

    d = tmp_path_factory.mktemp("wording")
    save_image(astronaut, d / "astronaut.jpg")
    save_image(np.ascontiguousarray(astronaut[:, ::-1]), d / "mirrored.jpg")
    save_image(data.coffee(), d / "coffee.jpg")
    return d


def test_no_face_says_which_image(capsys, files):
    assert main(["verify", str(files / "astronaut.jpg"), str(files / "coffee.jpg"), "--model", "fast"]) == 2
    err = capsys.readouterr().err
    assert "image B: no face found in" in err and "coffee.jpg" in err and len(err.strip().splitlines()) == 1
    assert main(["verify", str(files / "coffee.jpg"), str(files / "astronaut.jpg"), "--model", "fast"]) == 2
    assert "image A: no face found in" in capsys.readouterr().err


def test_pairs_text_labels_the_expected_verdict(capsys, files):
    (files / "pairs.csv").write_text("path_a,path_b,same\nastronaut.jpg,mirrored.jpg,1\n"
                                     "astronaut.jpg,coffee.jpg,0\nmirrored.jpg,astronaut.jpg\n")
    assert main(["verify", "--pairs", str(files / "pairs.csv"), "--model", "fast"]) == 2
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith("astronaut.jpg mirrored.jpg (expected: same): same person")
    assert lines[1].startswith("mirrored.jpg astronaut.jpg: same person")  # no expectation given
    assert "astronaut.jpg coffee.jpg (expected: different): error: image B: no face found" in err
    assert "True" not in out + err and "False" not in out + err


@pytest.mark.parametrize("command", ["detect", "analyze"])
def test_help_states_the_box_format(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "[x1, y1, x2, y2] in pixels" in text
