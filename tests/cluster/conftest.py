"""A small photo folder: two people (astronaut, cameraman), copies, one group photo, bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(scope="session")
def threshold_args() -> list[str]:
    """The default threshold comes from calibration.json; until it exists, give one by hand."""
    from faceprint.thresholds import calibration_for

    return [] if calibration_for("fast") else ["--threshold", "0.3"]


@pytest.fixture(scope="session")
def photo_folder(tmp_path_factory) -> Path:
    import cv2
    from skimage import data

    from faceprint.image import save_image

    root = tmp_path_factory.mktemp("photos")
    (root / "trip" / "day 2").mkdir(parents=True)
    astro = data.astronaut()
    camera = np.repeat(data.camera()[:, :, None], 3, axis=2)
    save_image(astro, root / "astronaut.jpg")
    save_image(np.ascontiguousarray(astro[:, ::-1]), root / "trip" / "astronaut mirrored.png")
    save_image(cv2.resize(astro, (384, 384), interpolation=cv2.INTER_AREA), root / "trip" / "day 2" / "small.webp")
    save_image(camera, root / "camera.JPEG")
    save_image(np.ascontiguousarray(camera[:, ::-1]), root / "trip" / "camera_mirrored.bmp")
    save_image(cv2.resize(camera, (700, 700), interpolation=cv2.INTER_CUBIC), root / "camera_big.tif")
    (root / "notes.jpg").write_text("this is not a photo")
    raw = (root / "astronaut.jpg").read_bytes()
    (root / "trip" / "truncated.jpg").write_bytes(raw[: len(raw) // 3])
    (root / "readme.txt").write_text("ignored: not an image extension")
    return root


@pytest.fixture()
def isolated_cache(tmp_path, monkeypatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("FACEPRINT_CACHE", str(cache))
    return cache
