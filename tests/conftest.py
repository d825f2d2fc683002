"""Shared fixtures: real photos that always exist, and the shared data set when present."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """`$FACEPRINT_DATA`, else `../shared/data` beside the repository."""
    env = os.environ.get("FACEPRINT_DATA")
    return Path(env) if env else (REPO.parent / "shared" / "data")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    root = data_dir()
    if not (root / "lfw_deepfunneled" / "labels.csv").is_file():
        pytest.skip(f"real face data not found at {root} (set FACEPRINT_DATA to the shared data folder)")
    return root


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """Eileen Collins, public-domain NASA photo shipped with scikit-image: one face."""
    from skimage import data

    return data.astronaut()


@pytest.fixture(scope="session")
def cameraman() -> np.ndarray:
    """The 'cameraman' photo shipped with scikit-image (grey): one face, another person."""
    from skimage import data

    return data.camera()


@pytest.fixture(scope="session")
def fast():
    from faceprint.pipeline import Analyzer

    return Analyzer.from_name("fast")


@pytest.fixture(scope="session")
def accurate():
    from faceprint.pipeline import Analyzer

    return Analyzer.from_name("accurate")
