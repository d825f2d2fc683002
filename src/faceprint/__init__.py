"""faceprint: offline face detection, alignment, embedding and verification.

Importing this package loads no model and touches no file: the verbs below load the
named pipeline on first use (one `Analyzer` per name, kept for the process). For
control over loading and threads, build an `Analyzer` yourself.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from .errors import (FaceIndexError, FaceprintError, ImageError, ImageNotFoundError, ImageTooLargeError,
                     InputError, ModelFileError, ModelMismatchError, NoFaceError, ShapeError, UnknownModelError)
from .thresholds import DEFAULT_FMR
from .types import Embedding, Faces, Verdict

__version__ = "0.1.0"

__all__ = [
    "Analyzer", "Faces", "Verdict", "Embedding", "detect", "embed", "compare", "verify", "load_image", "__version__",
    "FaceprintError", "ImageError", "ImageNotFoundError", "ImageTooLargeError", "InputError", "ModelFileError",
    "ModelMismatchError", "NoFaceError", "ShapeError", "UnknownModelError", "FaceIndexError",
    "Gallery", "open_gallery", "analyze", "explain", "track",
]

_analyzers: dict[str, Any] = {}
_analyzers_lock = threading.Lock()


def _analyzer(model: str | None) -> Any:
    from . import validate
    from .models.catalog import DEFAULT_PIPELINE
    from .pipeline import Analyzer

    name = validate.model(model) or DEFAULT_PIPELINE
    with _analyzers_lock:
        if name not in _analyzers:
            _analyzers[name] = Analyzer.from_name(name)
        return _analyzers[name]


def __getattr__(name: str) -> Any:  # lazy names keep `import faceprint` cheap
    if name == "Analyzer":
        from .pipeline import Analyzer
        return Analyzer
    if name in ("Gallery", "open_gallery"):
        from . import gallery
        return getattr(gallery, name)
    if name == "load_image":
        from .image import load_image
        return load_image
    raise AttributeError(f"module 'faceprint' has no attribute {name!r}")


def detect(image: Any, *, model: str | None = None) -> Faces:
    """Faces in an image (path, bytes or RGB array), largest first, with boxes, landmarks and scores."""
    return _analyzer(model).detect(image)


def embed(image: Any, *, model: str | None = None, face: int | None = None, face_rule: str = "largest"
          ) -> Embedding:
    """The (D,) unit embedding of one face: `face` (index, largest first), else the one
    `face_rule` picks ("largest", or "central" for centred crops). It carries the id of the
    model that made it (`.model`); `np.asarray(e)` is the bare vector."""
    analyzer = _analyzer(model)
    return Embedding(analyzer.choose_face(image, face, face_rule).embedding, analyzer.model_id)


def compare(a: Embedding, b: Embedding, *, fmr: float = DEFAULT_FMR, threshold: float | None = None) -> Verdict:
    """Verdict for two embeddings `faceprint.embed` made, with their pipeline's threshold for
    `fmr`; embeddings of two different models are refused (ModelMismatchError)."""
    from .thresholds import Threshold
    from .models.registry import pipeline_of
    from .types import same_model

    made_by = same_model(a, b)  # no model is loaded: the ids and the calibration say it all
    if made_by is None:
        raise InputError("compare needs embeddings that carry their model id (from faceprint.embed); "
                         "for bare vectors use Analyzer.compare")
    t = Threshold.resolve(pipeline_of(made_by), fmr, threshold, model=made_by)
    sim = float(np.dot(np.asarray(a, np.float32), np.asarray(b, np.float32)))
    return Verdict(sim >= t.value, sim, t.value, t.fmr, made_by)


def verify(a: Any, b: Any, *, model: str | None = None, fmr: float = DEFAULT_FMR, threshold: float | None = None,
           face_rule: str = "largest") -> Verdict:
    """Whether the faces of `a` and `b` (the largest, or per `face_rule`) are the same person,
    at the threshold calibrated for `fmr`."""
    return _analyzer(model).verify(a, b, fmr=fmr, threshold=threshold, rule=face_rule)[0]


def analyze(image: Any, *, model: str | None = None, extras: Any = ()) -> Faces:
    """Faces (largest first) with quality (score + reasons), head pose and any `extras` asked for.

    extras: "landmarks" (468 points), "age_gender", "emotion", each an optional install;
    see faceprint.assessors for what the columns mean and how unreliable attributes are.
    """
    from . import validate
    from .assessors import analysis_for
    return analysis_for(_analyzer(model), validate.extras(extras))(image)


def explain(a: Any, b: Any, *, model: str | None = None, fmr: float = DEFAULT_FMR, face_rule: str = "largest") -> Any:
    """Why the faces of `a` and `b` match or not: an `Explanation` with the verdict, maps of
    where they look alike and where they differ, per-region shares and a sentence.
    `.to_dict()` is JSON-ready; `faceprint.explainers.render.render(e)` draws it (docs/explain.md)."""
    from . import validate
    from .explainers.explanation import explain as run
    return run(_analyzer(model), a, b, fmr=validate.fmr(fmr), face_rule=validate.face_rule(face_rule))


def track(source: Any, *, model: str | None = None, gallery: Any = None, every: int | None = None,
          fmr: float = DEFAULT_FMR, **options: Any) -> Any:
    """Faces tracked through a video (file, camera index or stream URL), one identity per track.

    Iterate the returned run for one `FrameResult` per frame, then read `.summary` (tracks and
    timeline), or call `.run()` for the summary alone; see faceprint.video.run.
    """
    from . import validate
    from .video.run import track as run

    return run(source, model=validate.model(model), gallery=gallery, every=every, fmr=validate.fmr(fmr), **options)
