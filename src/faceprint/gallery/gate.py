"""The enrolment gate: refuse photos that would make a poor or untrustworthy template.

Modelled on AWS IndexFaces' `QualityFilter` (NONE | LOW | MEDIUM | HIGH) and its unindexed
reasons. Each level is a bar on five measures of the enrolled face; a face below any bar is
refused with every reason it failed:

| reason | measure (assessors/quality.py, or the 468-point mesh) |
|---|---|
| `too_small` | inter-eye distance in pixels (`face_size_px`) |
| `blurred` | no-reference blur effect, 0 sharp .. 1 flat (`blur`) |
| `dark` | mean grey level of the inner face (`luminance`) |
| `extreme_pose` | |yaw| or |pitch| in degrees (mesh angles when the mesh ran) |
| `eyes_closed` | eye aspect ratio of the more open eye (needs the `landmarks` extra; unmeasured without it) |

How the bars were set (docs/liveness.md has the numbers and the commands):

- blur, pose and eyes are about the face itself, so they follow the faces recognition is
  calibrated on: on one photo of each of 2,000 LFW people (`python -m faceprint.bench
  liveness --gate-levels 2000`) each level refuses about the worst 0.5 % (low), 2 % (medium)
  and 10 % (high) on each measure, rounded: blur p99.5/p98/p90 = 0.552/0.513/0.476, |yaw|
  38.0/31.8/21.4, |pitch| 27.8/24.1/17.2, eye aspect ratio p0.5/p2/p10 = 0.199/0.215/0.246;
- size and luminance are about the camera, and LFW's uniform 250x250 news photos (inter-eye
  32-38 px at p0.5-p10, professionally lit) say little about a user's, so they follow what
  the recogniser needs (`--gate-sizes 500`: FNMR at FMR 1e-3 of 500 genuine LFW pairs, one
  photo shrunk or darkened; `fast`, 1.0 % unchanged): size by how much the aligned 112x112
  crop (eyes 35.2 px apart) is enlarged: high 35 px (not at all), medium 24 (1.5x), low 16
  (2.2x); the FNMR did not measurably change down to 12 px (1.0-1.6 %). Luminance where
  the FNMR starts to grow: high 60 (1.0 %), medium 40 (2.0 %), low 30 (2.8 %; 3.8 % at 25).

Optionally the gate also checks passive liveness (`require_live`) and whether the face is
already enrolled under another name at the pipeline's FMR 1e-4 threshold (a warning by
default, a refusal with `refuse_duplicates`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import FaceprintError, InputError
from ..types import Faces

LEVELS = ("none", "low", "medium", "high")
DUPLICATE_FMR = 1e-4

# level -> (min face_size_px, max blur, min luminance, max |yaw|, max |pitch|, min eye openness)
BARS: dict[str, tuple[float, float, float, float, float, float]] = {
    "low": (16.0, 0.55, 30.0, 38.0, 28.0, 0.20),
    "medium": (24.0, 0.51, 40.0, 32.0, 24.0, 0.215),
    "high": (35.0, 0.48, 60.0, 21.0, 17.0, 0.245),
}
REASONS = ("too_small", "blurred", "dark", "extreme_pose", "eyes_closed")


class QualityFilterError(FaceprintError):
    """A photo was refused at enrolment: its face is below the quality filter's bar (`reasons` say why)."""

    code = "low_quality"

    def __init__(self, what: str, level: str, reasons: list[str], measures: dict[str, Any]) -> None:
        shown = ", ".join(f"{k} {v}" for k, v in measures.items() if v is not None)
        super().__init__(f"{what}: refused by the {level!r} quality filter ({', '.join(reasons)}; {shown}); "
                         "nothing was enrolled")
        self.reasons, self.level, self.measures = list(reasons), level, measures


class DuplicateFaceError(FaceprintError):
    """The face is already enrolled under another name (at the FMR 1e-4 threshold)."""

    code = "duplicate"


def check_level(level: str | None) -> str:
    level = (level or "none").strip().lower()
    if level not in LEVELS:
        raise InputError(f"quality filter must be one of {', '.join(LEVELS)}, got {level!r}")
    return level


def eye_openness(mesh: np.ndarray) -> float:
    """Eye aspect ratio of the more open eye from a (468, 3) FaceMesh: lid gap / eye width (open ~0.25-0.35)."""
    from ..liveness.eyes import eye_aspect_ratios

    return float(max(eye_aspect_ratios(mesh)))


def face_measures(image: np.ndarray, faces: Faces, index: int = 0) -> dict[str, float | None]:
    """The five gate measures of face `index` (None when not measured)."""
    from ..assessors.quality import capture_measures
    from ..assessors.pose import pose_from_5, pose_from_mesh

    m = capture_measures(image, faces.landmarks[index])
    mesh = faces.columns.get("landmarks_468")
    yaw, pitch, _ = (pose_from_mesh(mesh[index]) if mesh is not None
                     else pose_from_5(faces.landmarks[index], faces.image_size))
    return {"face_size_px": round(m["face_size_px"], 1), "blur": round(m["blur"], 3),
            "luminance": round(m["luminance"], 1), "yaw": round(float(yaw), 1), "pitch": round(float(pitch), 1),
            "eye_openness": None if mesh is None else round(eye_openness(mesh[index]), 3)}


def reasons_for(measures: dict[str, float | None], level: str) -> list[str]:
    """The gate's reasons to refuse a face with these measures at `level` (empty: accepted)."""
    if level == "none":
        return []
    size, blur, lum, yaw, pitch, eyes = BARS[level]
    out = []
    if measures["face_size_px"] < size:
        out.append("too_small")
    if measures["blur"] > blur:
        out.append("blurred")
    if measures["luminance"] < lum:
        out.append("dark")
    if not (np.isnan(measures["yaw"]) or np.isnan(measures["pitch"])) and (
            abs(measures["yaw"]) > yaw or abs(measures["pitch"]) > pitch):
        out.append("extreme_pose")
    if measures["eye_openness"] is not None and measures["eye_openness"] < eyes:
        out.append("eyes_closed")
    return out


@dataclass
class EnrolmentGate:
    """What `Gallery.enroll(..., gate=)` checks on every photo before anything is stored."""

    quality_filter: str = "none"
    require_live: bool = False
    refuse_duplicates: bool = False
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.quality_filter = check_level(self.quality_filter)
        self._mesh = None

    def _with_mesh(self, image: np.ndarray, faces: Faces) -> Faces:
        """Faces with the 468-point mesh when the landmarks extra is installed (for eyes and pose)."""
        from ..assessors.base import is_installed

        if "landmarks_468" in faces.columns or not is_installed("landmarks"):
            return faces
        if self._mesh is None:
            from ..assessors.facemesh import FaceMeshAssessor

            self._mesh = FaceMeshAssessor()
        return self._mesh.assess(image, faces[:1])

    def check_photo(self, image: np.ndarray, faces: Faces, what: str) -> None:
        """Raise when the largest face of this photo must not be enrolled."""
        if self.quality_filter != "none":
            first = self._with_mesh(image, faces[:1])
            measures = face_measures(image, first, 0)
            reasons = reasons_for(measures, self.quality_filter)
            if reasons:
                raise QualityFilterError(what, self.quality_filter, reasons, measures)
        if self.require_live:
            from ..liveness.passive import shared

            shared().require(image, faces, 0, what)

    def check_duplicates(self, gallery: Any, name: str, vectors: np.ndarray, model: str) -> None:
        """Warn (or refuse) when a photo matches another enrolled identity at FMR 1e-4."""
        if gallery.store.meta() is None:
            return
        answers = gallery.identify_vectors(np.asarray(vectors), model=model, top=2, fmr=DUPLICATE_FMR)
        for k, answer in enumerate(answers):
            others = [c for c in answer.candidates if c.identity != name and c.similarity >= answer.threshold]
            if others:
                msg = (f"photo {k + 1} matches {others[0].identity!r}, already enrolled, at the FMR "
                       f"{DUPLICATE_FMR:g} threshold (similarity {others[0].similarity:.3f})")
                if self.refuse_duplicates:
                    raise DuplicateFaceError(msg + "; nothing was enrolled")
                self.warnings.append(msg)
