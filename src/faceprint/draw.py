"""Pictures for people: faces outlined on the photo they were found in."""

from __future__ import annotations

import cv2
import numpy as np

from .types import Faces

_LANDMARK_COLOURS = [(0, 200, 255), (0, 200, 255), (255, 80, 80), (80, 255, 80), (80, 255, 80)]


def draw_faces(image: np.ndarray, faces: Faces, labels: list[str] | None = None) -> np.ndarray:
    """A copy of the RGB image with each face's box, landmarks and a label (default: index, score)."""
    out = np.ascontiguousarray(image.copy())
    thick = max(1, round(max(image.shape[:2]) / 400))
    for i in range(len(faces)):
        x1, y1, x2, y2 = (int(round(v)) for v in faces.boxes[i])
        cv2.rectangle(out, (x1, y1), (x2, y2), (40, 220, 40), thick)
        for (x, y), colour in zip(faces.landmarks[i], _LANDMARK_COLOURS):
            cv2.circle(out, (int(round(x)), int(round(y))), thick + 1, colour, -1)
        text = labels[i] if labels else f"#{i} {faces.scores[i]:.2f}"
        scale = 0.4 * thick
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        ty = max(th + 2, y1 - 3)
        cv2.rectangle(out, (x1, ty - th - 2), (x1 + tw + 2, ty + 2), (40, 220, 40), -1)
        cv2.putText(out, text, (x1 + 1, ty), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return out
