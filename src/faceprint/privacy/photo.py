"""Cover every face of a photo: `Blurrer` (the settings and models, loaded once) and its photo job.

`Blurrer(method="gaussian").photo(image)` returns a `PhotoBlur`: the covered picture and one
record per face found (its detector box, the cover box, score, kept or not). The CLI, the
service and the recall benchmark all go through here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .cover import check_method, cover
from .detect import DEFAULT_MARGIN, DEFAULT_SCORE, RecallDetector, enlarge


@dataclass(frozen=True)
class PhotoBlur:
    image: np.ndarray  # the covered picture (RGB uint8), or the mask for method "mask"
    faces: list[dict[str, Any]] = field(default_factory=list)

    @property
    def covered_boxes(self) -> np.ndarray:
        rows = [f["cover_box"] for f in self.faces if f["covered"]]
        return np.asarray(rows, np.float32).reshape(-1, 4)

    def to_dict(self) -> dict[str, Any]:
        h, w = self.image.shape[:2]
        return {"width": w, "height": h, "faces": self.faces,
                "covered": sum(1 for f in self.faces if f["covered"]),
                "kept": sum(1 for f in self.faces if not f["covered"])}


class Blurrer:
    """Recall-tuned detection + a cover method (+ an optional keep rule); reuse for many inputs."""

    def __init__(self, method: str = "gaussian", *, margin: float = DEFAULT_MARGIN, score: float = DEFAULT_SCORE,
                 upscale: float = 2.0, keep: Any = None, detector: Any = None) -> None:
        self.method = check_method(method)
        self.margin = float(margin)
        self.detector = detector if detector is not None else RecallDetector(score, upscale=upscale)
        self.keep = keep  # a KeepRule, or None: cover everyone

    def find(self, pixels: np.ndarray, *, upscale: bool | int = True) -> tuple[Any, np.ndarray, list[Any]]:
        """(faces, cover boxes, keep answers or [None]*n) for one RGB image; `upscale` as in
        `RecallDetector.detect` (other detectors: their one pass)."""
        if isinstance(self.detector, RecallDetector):
            faces = self.detector.detect(pixels, upscale=upscale)
        else:
            faces = self.detector.detect(pixels)
        return (faces, *self._covers(pixels, faces))

    def find_with_weak(self, pixels: np.ndarray, *, upscale: bool | int = True) -> tuple[Any, np.ndarray, list[Any], np.ndarray]:
        """`find` plus the weak candidate boxes (detector boxes, no margin) for the video job;
        none when the detector is not the recall detector."""
        if not isinstance(self.detector, RecallDetector):
            return (*self.find(pixels, upscale=upscale), np.zeros((0, 4), np.float32))
        faces, weak = self.detector.detect_with_weak(pixels, upscale=upscale)
        return (faces, *self._covers(pixels, faces), weak)

    def _covers(self, pixels: np.ndarray, faces: Any) -> tuple[np.ndarray, list[Any]]:
        boxes = enlarge(faces.boxes, pixels.shape[:2], self.margin)
        answers = self.keep.answer(pixels, faces) if self.keep is not None else [None] * len(faces)
        return boxes, answers

    def photo(self, image: Any) -> PhotoBlur:
        from ..image import load_image

        pixels = load_image(image)
        faces, boxes, answers = self.find(pixels)
        records = []
        for i in range(len(faces)):
            a = answers[i]
            kept = a is not None and a.identity is not None
            rec = {"box": _round(faces.boxes[i]), "cover_box": _round(boxes[i]),
                   "score": round(float(faces.scores[i]), 4), "covered": not kept}
            if self.keep is not None:
                rec["identity"] = a.identity if kept else None
                rec["similarity"] = None if a.similarity is None else round(float(a.similarity), 4)
            records.append(rec)
        result = PhotoBlur(pixels, records)
        return PhotoBlur(cover(pixels, result.covered_boxes, self.method), records)

    def close(self) -> None:
        if self.keep is not None:
            self.keep.close()


def _round(box: np.ndarray) -> list[float]:
    return [round(float(v), 1) for v in box]
