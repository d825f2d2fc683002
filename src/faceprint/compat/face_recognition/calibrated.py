"""What faceprint adds to face_recognition's comparisons: a decision at a known false-match rate.

face_recognition's `tolerance` (Euclidean distance, 0.6) says nothing about how often two
different people pass. faceprint calibrated the same dlib pipeline (HOG boxes, 5-point
chips, dlib ResNet) on LFW (`src/faceprint/models/calibration.json`, pipeline "dlib"): the
cosine similarity of the encodings that lets through 1 in 100, 1,000 or 10,000 impostor
pairs. These functions use those thresholds on face_recognition encodings as they are
(the cosine does not care that they are not unit-length). What tolerance 0.6 itself means
as a rate is measured by `python -m faceprint.bench compat` (see the migration guide).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...thresholds import DEFAULT_FMR, calibration_for, threshold_for

PIPELINE = "dlib"  # faceprint's pipeline that makes face_recognition's encodings


def calibrated_fmrs() -> list[float]:
    """The false-match rates calibrated for face_recognition's encodings (e.g. 1e-2, 1e-3, 1e-4)."""
    record = calibration_for(PIPELINE) or {"thresholds": {}}
    return sorted((float(k) for k in record["thresholds"]), reverse=True)


def face_similarity(face_encodings: Any, face_to_compare: Any) -> np.ndarray:
    """Cosine similarity of each encoding to `face_to_compare` (1 = same direction)."""
    if len(face_encodings) == 0:
        return np.empty((0))
    known = np.asarray(face_encodings, np.float64).reshape(len(face_encodings), -1)
    probe = np.asarray(face_to_compare, np.float64).ravel()
    return (known @ probe) / (np.linalg.norm(known, axis=1) * np.linalg.norm(probe))


def compare_faces_at_fmr(known_face_encodings: Any, face_encoding_to_check: Any, fmr: float = DEFAULT_FMR) -> list:
    """compare_faces with the threshold calibrated for false-match rate `fmr` instead of a tolerance."""
    threshold = threshold_for(PIPELINE, fmr)  # InputError naming the calibrated rates otherwise
    return list(face_similarity(known_face_encodings, face_encoding_to_check) >= threshold)
