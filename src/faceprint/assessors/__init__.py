"""Face analysis: each assessor adds named columns to `Faces`.

Always available: `pose` (yaw, pitch, roll) and `quality` (score, reasons, measures).
Optional extras, off unless installed and asked for: `landmarks` (468-point FaceMesh),
`age_gender` and `emotion` (read the unreliability notes in those modules before use),
`liveness` (passive anti-spoofing, `faceprint.liveness`).
Nothing is loaded by importing this package.
"""

from __future__ import annotations

import threading
from typing import Any, Iterable

import numpy as np

from ..types import Faces
from .base import EXTRAS, Assessor, ExtraNotInstalledError, LowQualityError, normalise_extras

__all__ = ["EXTRAS", "Assessor", "ExtraNotInstalledError", "FaceAnalysis", "LowQualityError", "analysis_for",
           "build_assessors"]


def build_assessors(embedder: object | None = None, extras: Iterable[str] | str = (), *,
                    quality: bool = True) -> list[Assessor]:
    """Assessors in the order their columns depend on each other (mesh -> pose -> quality -> attributes)."""
    wanted = normalise_extras(extras)
    out: list[Assessor] = []
    if "landmarks" in wanted:
        from .facemesh import FaceMeshAssessor
        out.append(FaceMeshAssessor())
    from .pose import PoseAssessor
    out.append(PoseAssessor())
    if quality:
        from .quality import QualityAssessor
        out.append(QualityAssessor(embedder))
    if "age_gender" in wanted:
        from .age_gender import AgeGenderAssessor
        out.append(AgeGenderAssessor())
    if "emotion" in wanted:
        from .emotion import EmotionAssessor
        out.append(EmotionAssessor())
    if "liveness" in wanted:
        from ..liveness.passive import PassiveLiveness
        out.append(PassiveLiveness())
    return out


class FaceAnalysis:
    """An `Analyzer`'s detector (and embedder, for recognizability) plus assessors, loaded once."""

    def __init__(self, analyzer: Any, extras: Iterable[str] | str = (), *, quality: bool = True) -> None:
        self.analyzer = analyzer
        self.extras = normalise_extras(extras)
        self.assessors = build_assessors(analyzer.embedder, self.extras, quality=quality)

    def __call__(self, image: Any) -> Faces:
        """Faces (largest first) with every assessor's columns."""
        from ..image import load_image

        pixels = load_image(image)
        faces = self.analyzer.detector.detect(pixels)
        return self.assess(pixels, faces)

    def assess(self, pixels: np.ndarray, faces: Faces) -> Faces:
        for assessor in self.assessors:
            faces = assessor.assess(pixels, faces)
        return faces


_analyses: dict[tuple[str, tuple[str, ...]], FaceAnalysis] = {}
_lock = threading.Lock()


def analysis_for(analyzer: Any, extras: Iterable[str] | str = ()) -> FaceAnalysis:
    """One `FaceAnalysis` per (pipeline id, extras) for the process (what `faceprint.analyze` uses)."""
    key = (analyzer.model_id, normalise_extras(extras))
    with _lock:
        if key not in _analyses:
            _analyses[key] = FaceAnalysis(analyzer, key[1])
        return _analyses[key]
