"""Face image quality: a score in [0, 1] and the named reasons that lowered it.

In the spirit of ISO/IEC 29794-5 (face image quality), each face gets measures of
capture (size, sharpness, exposure, contrast), of the subject (head pose, eyes and
mouth visible) and one of the recognition system itself, recognizability: how stable
the identity embedding stays when the same face is mirrored and re-cropped a few
pixels off. A face whose embedding moves under such harmless changes sits in a part
of the embedding space the model does not resolve well (the idea behind SER-FIQ and
CR-FIQA, with input perturbations instead of dropout or a trained regressor).

Every measure maps to a component in [0, 1] by a linear ramp from a `bad` to a `good`
value; the quality is the product of the components, and a component below 0.5 (the
measure is past the midpoint, its limit) names a reason. Several components each inside
their limit can still multiply to a middling score (0.85^4 = 0.52), so in the answers a
person reads (`QualityAssessor`), when none is past its limit and the quality is below
`GOOD`, the lowest components are named, until the others alone would reach `GOOD`: a
score below `GOOD` always says why. Code that acts on reasons (video skips views past a
limit) keeps the strict rule, `score(m)`. The measures are kept as a
plain vector (`MEASURES`) so the score can be recomputed from cached measures.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..align import ARCFACE_112
from ..embedders.base import l2_normalise
from ..types import Faces
from .base import LowQualityError, crop_embedder
from .pose import pose_from_5

MEASURES = ("face_size_px", "blur", "luminance", "dark_fraction", "bright_fraction", "contrast",
            "yaw", "pitch", "roll", "eye_texture", "mouth_texture", "stability", "detector_score")
M = {name: i for i, name in enumerate(MEASURES)}

TEMPLATE_IED = float(np.linalg.norm(ARCFACE_112[1] - ARCFACE_112[0]))  # 35.2 px in the 112 crop
# Regions of the 112x112 template: the inner face (exposure), each eye, the mouth.
FACE_REGION = (slice(28, 108), slice(18, 94))
EYE_BOXES = ((slice(44, 60), slice(28, 49)), (slice(44, 60), slice(63, 84)))
MOUTH_BOX = (slice(84, 101), slice(38, 75))


@dataclass(frozen=True)
class Ramp:
    """Component = 0 at `bad`, 1 at `good`, linear between; its limit is the midpoint."""

    reason: str
    measure: str
    bad: float
    good: float
    absolute: bool = False  # ramp on |measure| (pose angles)

    def score(self, values: np.ndarray) -> np.ndarray:
        v = np.abs(values) if self.absolute else values
        s = (v - self.bad) / (self.good - self.bad)
        return np.where(np.isnan(v), 1.0, np.clip(s, 0.0, 1.0))  # unmeasured: no penalty

    @property
    def limit(self) -> float:
        return (self.bad + self.good) / 2


# Limits chosen on LFW and on degraded copies of real photos (tests/analyze): a clean,
# frontal, well-lit LFW face scores 1 on every capture component.
RAMPS: tuple[Ramp, ...] = (
    Ramp("too_small", "face_size_px", 10.0, 30.0),
    Ramp("blurred", "blur", 0.62, 0.42),
    Ramp("underexposed", "luminance", 25.0, 75.0),
    Ramp("overexposed", "bright_fraction", 0.45, 0.05),
    Ramp("low_contrast", "contrast", 15.0, 65.0),
    Ramp("head_yaw", "yaw", 60.0, 20.0, absolute=True),
    Ramp("head_pitch", "pitch", 45.0, 15.0, absolute=True),
    Ramp("head_roll", "roll", 45.0, 15.0, absolute=True),  # reliable only with the 468-point mesh
    Ramp("eyes_not_visible", "eye_texture", 0.10, 0.40),
    Ramp("mouth_not_visible", "mouth_texture", 0.10, 0.40),
    Ramp("low_recognizability", "stability", 0.80, 0.97),  # real photos: 0.90-0.975 on LFW
)
REASONS = tuple(r.reason for r in RAMPS)


def blur_effect(grey: np.ndarray, h: int = 11) -> float:
    """Crété-Roffet no-reference blur, 0 (sharp) .. 1 (flat): how little re-blurring changes edges."""
    f = grey.astype(np.float64)
    worst = 0.0
    for axis, ksize in ((0, (1, h)), (1, (h, 1))):  # cv2 sizes are (width, height)
        blurred = cv2.blur(f, ksize)
        d_f = np.abs(np.diff(f, axis=axis))
        d_b = np.abs(np.diff(blurred, axis=axis))
        inner = (slice(2, -1), slice(2, -1))
        s_f = d_f[inner].sum()
        s_v = np.maximum(0.0, d_f - d_b)[inner].sum()
        worst = max(worst, 1.0 if s_f <= 0 else float((s_f - s_v) / s_f))
    return worst


def _grey(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def _inside(point: np.ndarray, image_size: tuple[int, int], margin: float) -> bool:
    h, w = image_size
    return margin <= point[0] <= w - 1 - margin and margin <= point[1] <= h - 1 - margin


def capture_measures(image: np.ndarray, landmarks: np.ndarray) -> dict[str, float]:
    """Size, sharpness, exposure, contrast and eye/mouth texture of one face."""
    from ..align import align_face

    lm = np.asarray(landmarks, np.float64)
    ied = float(np.linalg.norm(lm[1] - lm[0]))
    # Size as an inter-eye distance, or its equivalent from the eye-to-mouth distance
    # (x 0.866 in the ArcFace template) when a turned head brings the eyes together.
    eye_mouth = float(np.linalg.norm(lm[3:].mean(0) - lm[:2].mean(0)))
    out: dict[str, float] = {"face_size_px": max(ied, 0.866 * eye_mouth)}
    # Sharpness at no more than the face's own resolution: an upsampled small face would
    # look blurred for being small, and "too small" already says that.
    s = min(1.0, out["face_size_px"] / TEMPLATE_IED)
    side = max(24, int(round(112 * s)))
    s = side / 112
    grey_native = _grey(align_face(image, lm, ARCFACE_112 * s, (side, side)))
    region = grey_native[int(28 * s):int(108 * s), int(18 * s):int(94 * s)]
    out["blur"] = blur_effect(region)
    grey = _grey(align_face(image, lm, ARCFACE_112, (112, 112))).astype(np.float64)
    face = grey[FACE_REGION]
    out["luminance"] = float(face.mean())
    out["dark_fraction"] = float((face <= 30).mean())
    out["bright_fraction"] = float((face >= 240).mean())
    p5, p95 = np.percentile(face, [5, 95])
    out["contrast"] = float(p95 - p5)
    # Texture of the eye and mouth patches relative to the whole face's: near 0 when a
    # patch is flat (covered, painted over, cut off by the image border).
    spread = max(float(face.std()), 1.0)
    eye_std = min(float(grey[b].std()) for b in EYE_BOXES)
    margin = 0.1 * ied
    eyes_in = all(_inside(p, image.shape[:2], margin) for p in lm[:2])
    mouth_in = all(_inside(p, image.shape[:2], margin) for p in lm[3:])
    out["eye_texture"] = eye_std / spread if eyes_in else 0.0
    out["mouth_texture"] = float(grey[MOUTH_BOX].std()) / spread if mouth_in else 0.0
    return out


def stability(image: np.ndarray, faces: Faces, embedder: object) -> np.ndarray:
    """(N,) mean cosine between each face's embedding and those of its mirrored and shifted crops."""
    if not len(faces):
        return np.full(len(faces), np.nan)
    emb = crop_embedder(embedder)
    crops = emb.crop(image, faces)
    plain = l2_normalise(emb.embed_crops(crops))
    others = [l2_normalise(emb.embed_crops(emb.mirror(crops)))]
    ied = np.linalg.norm(faces.landmarks[:, 1] - faces.landmarks[:, 0], axis=1)
    for sx, sy in ((1, -1), (-1, 1)):
        # A re-crop 6 % of the eye distance off: well inside a detector's landmark noise.
        d = (0.06 * ied)[:, None] * np.array([sx, sy], np.float32)
        moved = Faces(faces.boxes + np.tile(d, 2), faces.landmarks + d[:, None, :], faces.scores, faces.image_size)
        others.append(l2_normalise(emb.embed_crops(emb.crop(image, moved))))
    return np.mean([np.einsum("ij,ij->i", plain, o) for o in others], axis=0)


def measure(image: np.ndarray, faces: Faces, embedder: object | None = None) -> np.ndarray:
    """(N, len(MEASURES)) float64 measures; `stability` is NaN without an embedder."""
    out = np.full((len(faces), len(MEASURES)), np.nan)
    for i in range(len(faces)):
        for key, value in capture_measures(image, faces.landmarks[i]).items():
            out[i, M[key]] = value
        # The dense mesh's angles when present: 5 detector points understate tilts.
        for keys in (("yaw_468", "pitch_468", "roll_468"), ("yaw", "pitch", "roll")):
            if all(k in faces.columns for k in keys):
                angles = [faces.columns[k][i] for k in keys]
                break
        else:
            angles = pose_from_5(faces.landmarks[i], faces.image_size)
        out[i, M["yaw"]:M["roll"] + 1] = angles
        out[i, M["detector_score"]] = faces.scores[i]
    if embedder is not None and len(faces):
        out[:, M["stability"]] = stability(image, faces, embedder)
    return out


GOOD = 0.8  # a quality below this always names what lowered it


def _named(row: np.ndarray, explain_low: bool) -> list[str]:
    """Components past their limit; if none is (and `explain_low`), the lowest while the others
    multiply below GOOD."""
    named = [i for i, c in enumerate(row) if c < 0.5]
    rest = float(np.prod(row))
    if not named and explain_low:
        for i in np.argsort(row, kind="stable"):
            if rest >= GOOD or row[i] >= 1.0:
                break
            named.append(int(i))
            rest /= float(row[i])
    return [RAMPS[i].reason for i in sorted(named)]


def score(measures: np.ndarray, *, explain_low: bool = False) -> tuple[np.ndarray, list[list[str]]]:
    """(quality (N,), reasons per face) from a (N, len(MEASURES)) array of measures. Reasons
    are the measures past their limit; `explain_low` also names what lowered a score below
    GOOD when none is (for answers people read)."""
    measures = np.atleast_2d(np.asarray(measures, np.float64))
    comps = np.stack([r.score(measures[:, M[r.measure]]) for r in RAMPS], axis=1)
    quality = comps.prod(axis=1)
    return quality, [_named(row, explain_low) for row in comps]


class QualityAssessor:
    """Adds `quality` (N,) in [0, 1], `quality_reasons` (lists of names) and `quality_measures` (dicts).

    `embedder` (any embedder of the `embedders.base` contract; its first network is used)
    enables the recognizability term; without it that term is left out.
    """

    name = "quality"
    columns = ("quality", "quality_reasons", "quality_measures")

    def __init__(self, embedder: object | None = None) -> None:
        self.embedder = embedder

    def assess(self, image: np.ndarray, faces: Faces) -> Faces:
        values = measure(image, faces, self.embedder)
        quality, reasons = score(values, explain_low=True)
        as_dicts = np.empty(len(faces), object)
        why = np.empty(len(faces), object)
        for i in range(len(faces)):
            as_dicts[i] = {k: (None if np.isnan(v) else round(float(v), 4)) for k, v in zip(MEASURES, values[i])}
            why[i] = reasons[i]
        return (faces.with_column("quality", np.round(quality, 4)).with_column("quality_reasons", why)
                .with_column("quality_measures", as_dicts))


def require_quality(faces: Faces, minimum: float, index: int = 0) -> None:
    """Raise `LowQualityError` (with the reasons) when face `index` scores below `minimum`.

    For enrollment: a gallery calls this before storing a template.
    """
    if "quality" not in faces.columns:
        raise ValueError("faces carry no quality column: run QualityAssessor first")
    q = float(faces.columns["quality"][index])
    if q < minimum:
        raise LowQualityError(q, minimum, list(faces.columns["quality_reasons"][index]))
