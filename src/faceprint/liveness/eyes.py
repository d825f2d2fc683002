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
