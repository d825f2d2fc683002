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


def _sface() -> object:
    from ..embedders.sface import SFaceEmbedder
    return SFaceEmbedder()


def _dlib_resnet() -> object:
    # dlib's weights run by onnxruntime: the same descriptors as dlib's runtime (within 1e-6), 5x faster
    from ..embedders.dlib_onnx import DlibResNetOnnxEmbedder
    return DlibResNetOnnxEmbedder()


DETECTORS: dict[str, Callable[[], object]] = {"yunet": _yunet, "dlib-hog": _dlib_hog}
EMBEDDERS: dict[str, Callable[[], object]] = {"sface": _sface, "dlib-resnet": _dlib_resnet}


# Classical baselines (issue 9): one factory per registered card name.
def _lab_skin() -> object:
    from ..detectors.lab_skin import LabSkinDetector
    return LabSkinDetector()


from ..embedders.dwt import FILTER_LENGTH as DWT_WAVELETS, LEVELS as DWT_LEVELS  # noqa: E402  (numpy only)


def _dwt(wavelet: str, level: int) -> Callable[[], object]:
    def make() -> object:
        from ..embedders.dwt import DWTEmbedder
        return DWTEmbedder(wavelet, level)
    return make


def _dct(variant: str) -> Callable[[], object]:
    def make() -> object:
        from ..embedders.dct import VARIANTS, DCTEmbedder
        return DCTEmbedder(VARIANTS[variant])
    return make


DETECTORS["lab-skin"] = _lab_skin
EMBEDDERS.update({f"dwt-{w}-{lv}": _dwt(w, lv) for w in DWT_WAVELETS for lv in DWT_LEVELS})
EMBEDDERS.update({n: _dct(n) for n in ("dct-global", "dct-local", "dct")})


def _unknown(kind: str, name: object, valid: list[str]) -> UnknownModelError:
    return UnknownModelError(f"unknown {kind} {name!r}; valid names: {', '.join(sorted(valid))}")


def make_detector(name: str):  # -> Detector
    if name not in DETECTORS:
        raise _unknown("detector", name, list(DETECTORS))
    return DETECTORS[name]()


def make_embedder(name: str, flip: bool = False):  # -> Embedder
    """The network `name`; with `flip`, wrapped to average each face with its mirror image."""
    if name not in EMBEDDERS:
        raise _unknown("embedder", name, list(EMBEDDERS))
    network = EMBEDDERS[name]()
    if not flip:
        return network
    from ..embedders.base import FlipEmbedder
    return FlipEmbedder(network)


def pipeline_card(name: str):
    if not isinstance(name, str) or name not in PIPELINES:
        raise _unknown("model", name, list(PIPELINES))
    return PIPELINES[name]


def model_card(name: str):
    if name not in MODELS:
        raise _unknown("model file", name, list(MODELS))
    return MODELS[name]
