"""Acceptance: face_recognition's own test suite, unmodified, passes against faceprint's shim.

The suite (30 tests with their images, MIT) lies in the shared folder, never in this
repository: `$FACEPRINT_DATA/../compat/face_recognition/tests`. It runs in a fresh
interpreter from its own folder, with the plugin `face_recognition_alias` (beside this file)
mapping the module names to faceprint.compat.face_recognition. The folder is read-only in
CI, so nothing may be written there: no pytest cache, no bytecode.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def data_dir() -> Path:
    """`$FACEPRINT_DATA`, else `../shared/data` beside the repository (as tests/conftest.py)."""
    env = os.environ.get("FACEPRINT_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"

EXPECTED = 30  # tests in face_recognition 1.3.0's tests/test_face_recognition.py


def suite_dir() -> Path:
    return data_dir().parent / "compat" / "face_recognition" / "tests"


def run_suite(suite: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    cmd = [sys.executable, "-m", "pytest", "-p", "face_recognition_alias", "-p", "no:cacheprovider",
           "--rootdir", str(suite.parent), "-o", "addopts=", "-q", "-rfEs", str(suite), *extra]
    return subprocess.run(cmd, cwd=suite.parent, env=env, capture_output=True, text=True, timeout=900)


def test_face_recognition_own_suite_passes_unmodified():
    suite = suite_dir()
    if not (suite / "test_face_recognition.py").is_file():
        pytest.skip(f"face_recognition's test suite not found at {suite} (set FACEPRINT_DATA beside shared/compat)")
    done = run_suite(suite)
    tail = (done.stdout + done.stderr)[-3000:]
    assert done.returncode == 0, tail
    summary = re.search(r"(\d+) passed", done.stdout)
    assert summary and int(summary.group(1)) == EXPECTED, tail
    assert not re.search(r"\d+ (failed|skipped|error)", done.stdout), tail


def test_the_suite_ran_ours_not_the_original(tmp_path):
    """The plugin's mapping is what the suite imported (the original may be installed too)."""
    probe = tmp_path / "tests"
    probe.mkdir()
    (probe / "__init__.py").write_text("")
    (probe / "test_probe.py").write_text(
        "import face_recognition, face_recognition.api as api\n"
        "from face_recognition import face_recognition_cli, face_detection_cli\n"
        "def test_mapped():\n"
        "    assert api.__name__ == 'faceprint.compat.face_recognition.api'\n"
        "    assert face_recognition.face_encodings is api.face_encodings\n"
        "    assert face_recognition_cli.__name__.startswith('faceprint.compat.')\n"
        "    assert face_detection_cli.__name__.startswith('faceprint.compat.')\n")
    done = run_suite(probe)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr
