"""Building and running the models writes nothing to stderr, and leaves OpenCV's log level as it was."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import cv2
from skimage import data
from faceprint.pipeline import Analyzer
before = cv2.utils.logging.getLogLevel()
faces = Analyzer.from_name("fast").embed_faces(data.astronaut())
assert len(faces) == 1
assert cv2.utils.logging.getLogLevel() == before, "OpenCV's log level was changed for the caller"
"""


def test_first_analyzer_is_silent_on_stderr():
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
