"""pytest plugin (`-p tests.compat.face_recognition_alias`): `import face_recognition` gets faceprint's.

Loaded before any test module is collected, so face_recognition's own test suite, run
unmodified from its own folder, imports `face_recognition`, `face_recognition.api`,
`face_recognition.face_recognition_cli` and `face_recognition.face_detection_cli` as
faceprint.compat.face_recognition and its submodules (even when the original library is
installed too).
"""

from __future__ import annotations

import importlib
import sys

ALIASES = ("", ".api", ".face_recognition_cli", ".face_detection_cli")


def install() -> None:
    for suffix in ALIASES:
        sys.modules["face_recognition" + suffix] = importlib.import_module("faceprint.compat.face_recognition" + suffix)


install()
