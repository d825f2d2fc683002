"""Names -> factories: the one place a user-facing model name is resolved.

Nothing is loaded until a factory is called; unknown names raise an error that lists
the valid ones instead of falling back silently.
"""

from __future__ import annotations

from typing import Callable

from ..errors import UnknownModelError
from .catalog import MODELS, PIPELINES


def _yunet() -> object:
    from ..detectors.yunet import YuNetDetector
    return YuNetDetector()


def _dlib_hog() -> object:
    from ..detectors.dlib_hog import DlibHogDetector
    return DlibHogDetector()


def _sface(flip: bool) -> object:
    from ..embedders.sface import SFaceEmbedder
    return SFaceEmbedder(flip=flip)


def _dlib_resnet(flip: bool) -> object:
    from ..embedders.dlib_resnet import DlibResNetEmbedder
    return DlibResNetEmbedder(flip=flip)


DETECTORS: dict[str, Callable[[], object]] = {"yunet": _yunet, "dlib-hog": _dlib_hog}
EMBEDDERS: dict[str, Callable[[bool], object]] = {"sface": _sface, "dlib-resnet": _dlib_resnet}


def _unknown(kind: str, name: object, valid: list[str]) -> UnknownModelError:
    return UnknownModelError(f"unknown {kind} {name!r}; valid names: {', '.join(sorted(valid))}")


def make_detector(name: str):  # -> Detector
    if name not in DETECTORS:
        raise _unknown("detector", name, list(DETECTORS))
    return DETECTORS[name]()


def make_embedder(name: str, flip: bool = False):  # -> Embedder
    if name not in EMBEDDERS:
        raise _unknown("embedder", name, list(EMBEDDERS))
    return EMBEDDERS[name](flip)


def pipeline_card(name: str):
    if not isinstance(name, str) or name not in PIPELINES:
        raise _unknown("model", name, list(PIPELINES))
    return PIPELINES[name]


def model_card(name: str):
    if name not in MODELS:
        raise _unknown("model file", name, list(MODELS))
    return MODELS[name]
