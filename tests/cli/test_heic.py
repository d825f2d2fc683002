"""One decoder for every command: a real HEIC (made with pillow-heif from the astronaut) is read
by verify, detect and the library alike; without pillow-heif it is refused with the hint."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from faceprint.cli import main

pillow_heif = pytest.importorskip("pillow_heif")


@pytest.fixture(scope="module")
def heic(tmp_path_factory, astronaut) -> Path:
    path = tmp_path_factory.mktemp("heic") / "astronaut.heic"
    pillow_heif.from_bytes(mode="RGB", size=(astronaut.shape[1], astronaut.shape[0]),
                           data=np.ascontiguousarray(astronaut).tobytes()).save(path, quality=90)
    assert path.read_bytes()[4:12] == b"ftypheic"  # a real HEIC container, not a renamed JPEG
    return path


def test_load_image_reads_heic(heic, astronaut):
    from faceprint.image import load_image

    pixels = load_image(heic)
    assert pixels.shape == astronaut.shape and pixels.dtype == np.uint8
    assert np.abs(pixels.astype(int) - astronaut).mean() < 8  # lossy, but the same picture


def test_verify_and_detect_read_heic(heic, tmp_path, capsys, astronaut):
    from faceprint.image import save_image

    jpeg = tmp_path / "astronaut.jpg"
    save_image(astronaut, jpeg)
    assert main(["verify", str(heic), str(jpeg), "--model", "fast", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["same"] is True
    assert main(["detect", str(heic), "--model", "fast", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["faces"]) == 1


def test_without_pillow_heif_a_heic_gets_the_install_hint(heic):
    code = ("import sys; sys.modules['pillow_heif'] = None\n"
            "from faceprint.image import load_image\n"
            "from faceprint.errors import ImageError\n"
            f"try:\n    load_image({str(heic)!r})\nexcept ImageError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "pillow-heif" in out.stdout and "faceprint[heic]" in out.stdout, out.stderr
