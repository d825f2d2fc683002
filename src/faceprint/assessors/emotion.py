"""Facial expression (optional extra `emotion`): the FER mini-Xception `.tflite`, run with LiteRT.

Read this before using the numbers. The model labels *posed facial expressions* with one
of seven words; it does not read what anyone feels. It was trained on FER2013 (48x48
grey web images, noisy labels) and its authors report about 66 % accuracy there, on
the kind of photos it was trained on; on other photos, faces turned away, children,
older people and some groups it is right less often. `emotion_confidence` is the
model's own top probability, not a calibrated chance of being right.

Crop as the `fer` package does: a square around the face with a small margin, here
levelled by the eyes, grey, 64x64, scaled to [-1, 1].
"""

from __future__ import annotations

import math
import threading

import cv2
import numpy as np

from ..types import Faces
from .base import litert_model

LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
SIZE = 64
MARGIN = 1.15  # fer pads a Haar box (tighter than YuNet's) by 10 px on each side


class EmotionAssessor:
    """Adds `emotion` (one of LABELS), `emotion_confidence` and `emotion_scores` (dict per face)."""

    name = "emotion"
    columns = ("emotion", "emotion_confidence", "emotion_scores")

    def __init__(self, num_threads: int = 1) -> None:
        self._net = litert_model("emotion", "emotion", num_threads)
        self._input = self._net.get_input_details()[0]["index"]
        self._output = self._net.get_output_details()[0]["index"]
        self._lock = threading.Lock()

    @staticmethod
    def crop(image: np.ndarray, box: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        x1, y1, x2, y2 = (float(v) for v in box)
        side = max(x2 - x1, y2 - y1) * MARGIN
        (lx, ly), (rx, ry) = landmarks[0], landmarks[1]
        m = cv2.getRotationMatrix2D(((x1 + x2) / 2, (y1 + y2) / 2), math.degrees(math.atan2(ry - ly, rx - lx)),
                                    SIZE / side)
        m[:, 2] += SIZE / 2 - np.array([(x1 + x2) / 2, (y1 + y2) / 2])
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        return cv2.warpAffine(grey, m, (SIZE, SIZE), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)

    def probabilities(self, image: np.ndarray, faces: Faces) -> np.ndarray:
        out = np.zeros((len(faces), len(LABELS)), np.float64)
        for i in range(len(faces)):
            x = (self.crop(image, faces.boxes[i], faces.landmarks[i]).astype(np.float32) / 255.0 - 0.5) * 2.0
            with self._lock:
                self._net.set_tensor(self._input, x[None, :, :, None])
                self._net.invoke()
                out[i] = self._net.get_tensor(self._output).reshape(-1)[: len(LABELS)]
        return out

    def assess(self, image: np.ndarray, faces: Faces) -> Faces:
        p = self.probabilities(image, faces)
        labels = np.array([LABELS[int(k)] for k in p.argmax(1)], dtype=object) if len(faces) else np.empty(0, object)
        scores = np.empty(len(faces), object)
        for i in range(len(faces)):
            scores[i] = {name: round(float(v), 4) for name, v in zip(LABELS, p[i])}
        confidence = np.round(p.max(1, initial=0), 4)
        return faces.with_column("emotion", labels).with_column("emotion_confidence", confidence).with_column(
            "emotion_scores", scores)
