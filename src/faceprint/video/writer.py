"""The annotated copy: every frame with its tracks' boxes, ids and names (`--out`).

Colours say the state of a track's identity: green named, orange unknown, grey not yet
decided (names are decided once per track and never change; see identity.py). Boxes drawn
thin are the tracker's prediction between detector runs. The file is closed properly even
when the input fails part-way, so what was written stays playable.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import InputError
from .timeline import FrameResult

FOURCC = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "mp4v"}
NAMED, UNKNOWN, PENDING = (40, 200, 40), (255, 150, 0), (170, 170, 170)


def label(face, stranger_hint: str = "unknown") -> tuple[str, tuple[int, int, int]]:
    if not face.decided:
        return f"#{face.track} ...", PENDING
    if face.identity:
        return f"#{face.track} {face.identity}", NAMED
    return f"#{face.track} {stranger_hint}", UNKNOWN


def annotate(image: np.ndarray, result: FrameResult) -> np.ndarray:
    """A copy of the RGB frame with the result's faces drawn."""
    import cv2

    out = np.ascontiguousarray(image.copy())
    thick = max(1, round(max(image.shape[:2]) / 400))
    for f in result.faces:
        text, colour = label(f)
        x1, y1, x2, y2 = (int(round(v)) for v in f.box)
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, thick + (1 if f.detected else 0))
        scale = 0.45 * thick
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        ty = max(th + 2, y1 - 3)
        cv2.rectangle(out, (x1, ty - th - 2), (x1 + tw + 2, ty + 2), colour, -1)
        cv2.putText(out, text, (x1 + 1, ty), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return out


class AnnotatedWriter:
    """Writes annotated frames to a video file (.mp4/.m4v/.mov/.mkv: MPEG-4 part 2; .avi: MJPEG)."""

    def __init__(self, path: str | os.PathLike[str], fps: float, size: tuple[int, int]) -> None:
        import cv2

        self.path = Path(path)
        ext = self.path.suffix.lower()
        if ext not in FOURCC:
            raise InputError(f"--out {str(path)!r}: write one of {', '.join(sorted(FOURCC))}")
        if not self.path.parent.is_dir():
            raise InputError(f"--out {str(path)!r}: the folder does not exist")
        self.size = size
        self._w = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*FOURCC[ext]), float(fps), size)
        if not self._w.isOpened():
            raise InputError(f"--out {str(path)!r}: cannot write a video there")
        self.frames = 0

    def write(self, image: np.ndarray, result: FrameResult) -> None:
        import cv2

        frame = annotate(image, result)
        if (frame.shape[1], frame.shape[0]) != self.size:  # a stream may change size mid-way
            frame = cv2.resize(frame, self.size)
        self._w.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        self.frames += 1

    def close(self) -> None:
        self._w.release()

    def __enter__(self) -> "AnnotatedWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
