"""Eye openness from the 468-point FaceMesh: the eye aspect ratio (lid gap over eye width).

Soukupová and Čech's EAR on MediaPipe's eye contour: two vertical lid distances over the
corner-to-corner width, per eye. An open eye gives about 0.25-0.35, a closed one under 0.15;
the ratio does not depend on the face's size in the image.
"""

from __future__ import annotations

import numpy as np

# (outer corner, inner corner, (upper, lower) lid pairs) per eye, in MediaPipe's indices.
EYES = ((33, 133, ((159, 145), (158, 153))), (263, 362, ((386, 374), (385, 380))))


def eye_aspect_ratios(mesh: np.ndarray) -> tuple[float, float]:
    """(image-left eye, image-right eye) aspect ratios of one face's (468, 3) mesh."""
    p = np.asarray(mesh, np.float64)[:, :2]
    out = []
    for outer, inner, lids in EYES:
        width = max(float(np.linalg.norm(p[outer] - p[inner])), 1e-6)
        gap = sum(float(np.linalg.norm(p[a] - p[b])) for a, b in lids) / len(lids)
        out.append(gap / width)
    return out[0], out[1]


def eye_darkness(grey: np.ndarray, mesh: np.ndarray) -> float:
    """Fraction of dark pixels (iris, pupil, lashes) in both eye boxes: drops when the lids close.

    The basic FaceMesh model keeps its eyelid points nearly still when a person closes their
    eyes (on the d14 clip the aspect ratio moves from 0.33 to 0.29), so a blink is read from
    the pixels instead: a box as wide as the eye (corner to corner) and 0.6 of that high,
    centred on the eye, and the share of its pixels darker than 0.55 x the cheek below it.
    An open eye shows the dark iris (about 0.35-0.40 here), a closed one mostly lid skin (0.15-0.20).
    Only changes within one track mean anything; the level depends on the person and the light.
    """
    p = np.asarray(mesh, np.float64)[:, :2]
    h, w = grey.shape[:2]
    out = []
    for outer, inner, _ in EYES:
        a, b = p[outer], p[inner]
        c, width = (a + b) / 2, max(float(np.linalg.norm(a - b)), 2.0)
        x1, x2 = int(max(0, c[0] - 0.5 * width)), int(min(w, c[0] + 0.5 * width))
        y1, y2 = int(max(0, c[1] - 0.3 * width)), int(min(h, c[1] + 0.3 * width))
        cheek = grey[int(min(h - 1, c[1] + 0.6 * width)):int(min(h, c[1] + 1.0 * width)), x1:x2]
        patch = grey[y1:y2, x1:x2]
        if patch.size == 0 or cheek.size == 0:
            return float("nan")
        out.append(float((patch < 0.55 * float(np.median(cheek))).mean()))
    return float(np.mean(out))
