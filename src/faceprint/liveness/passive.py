"""Passive liveness from one photo: MiniFASNetV2 + MiniFASNetV1SE (Silent-Face, Apache-2.0), via onnxruntime.

Each network sees its own 80x80 BGR crop of the face (boxes enlarged 2.7 and 4.0 times,
see `crop.py`), raw 0-255 values, and gives 3 logits. As in the original, the two
softmax outputs are averaged; class 1 is "live", classes 0 and 2 are two kinds of attack.
The score is the averaged probability of class 1, and a face is live when the score
reaches `THRESHOLD`.

`THRESHOLD` = 0.5 is not tuned: with 0.5 or more on "live" no other class can win, so it
is the original's argmax rule made one-sided; we have far too few attack photos to fit a
threshold on (docs/liveness.md gives BPCER at other thresholds on real photos).

One signal, not a guarantee: the networks were trained on one vendor's data, and bright
phone screens are known to pass as live.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from ..errors import FaceprintError
from ..types import Faces
from .crop import crop, xywh

THRESHOLD = 0.5
MODEL_ID = "minifasnet/v1:2.7_80x80_MiniFASNetV2+4_0_0_80x80_MiniFASNetV1SE"
LIVE_CLASS = 1
# (catalog card name, crop scale); the scale is the number the original's file name starts with
PARTS = (("minifasnet-v2", 2.7), ("minifasnet-v1se", 4.0))
COLUMNS = ("liveness",)


class NotLiveError(FaceprintError):
    """A face was refused because the liveness check judged it a presentation attack."""

    code = "not_live"

    def __init__(self, score: float, threshold: float, what: str = "the face") -> None:
        super().__init__(f"{what} did not pass the liveness check (score {score:.3f} < threshold {threshold:.3f}): "
                         "it looks like a photo or a screen")
        self.score, self.threshold = score, threshold


def _session(path: Any, threads: int):  # -> onnxruntime.InferenceSession
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # A CPU wheel may list other providers first; the port was checked on CPU.
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class PassiveLiveness:
    """Adds a `liveness` column: per face `{"live": bool, "score", "threshold", "model"}`.

    Load once and reuse (two small ONNX graphs, about 2 ms per face each on one core).
    """

    name = "liveness"
    columns = COLUMNS

    def __init__(self, threshold: float = THRESHOLD, num_threads: int = 1) -> None:
        from ..assessors.base import located, require_runtime
        from ..models.catalog import ANALYSIS_MODELS

        require_runtime("liveness")
        self.threshold = float(threshold)
        self.model = MODEL_ID
        self._parts = []
        for card_name, scale in PARTS:
            path = located("liveness", ANALYSIS_MODELS[card_name].files[0])  # SHA-256 checked
            self._parts.append((_session(path, num_threads), scale))
        self._lock = threading.Lock()

    def crops(self, image: np.ndarray, faces: Faces) -> list[np.ndarray]:
        """Per network, the (N, 80, 80, 3) uint8 BGR crops of every face of an RGB image."""
        bgr = np.ascontiguousarray(np.asarray(image)[:, :, ::-1])
        return [np.stack([crop(bgr, xywh(b), scale) for b in faces.boxes]) if len(faces)
                else np.zeros((0, 80, 80, 3), np.uint8) for _, scale in self._parts]

    def probabilities_of_crops(self, crops: list[np.ndarray]) -> np.ndarray:
        """(N, 3) class probabilities averaged over the networks, from `crops(...)`'s output."""
        total = np.zeros((len(crops[0]), 3), np.float64)
        if not len(total):
            return total
        for (session, _), batch in zip(self._parts, crops):
            x = np.ascontiguousarray(batch.transpose(0, 3, 1, 2).astype(np.float32))  # 0-255, no scaling
            logits = np.asarray(session.run(None, {"input": x})[0], np.float64)
            e = np.exp(logits - logits.max(1, keepdims=True))
            total += e / e.sum(1, keepdims=True)
        return total / len(self._parts)

    def scores(self, image: np.ndarray, faces: Faces) -> np.ndarray:
        """(N,) probability that each face is live, in [0, 1]."""
        return self.probabilities_of_crops(self.crops(image, faces))[:, LIVE_CLASS]

    def assess(self, image: np.ndarray, faces: Faces) -> Faces:
        column = np.empty(len(faces), object)
        for i, s in enumerate(self.scores(image, faces)):
            column[i] = self.verdict(float(s))
        return faces.with_column("liveness", column)

    def verdict(self, score: float) -> dict[str, Any]:
        """The JSON shape every front end prints: `{"live", "score", "threshold", "model"}`."""
        return {"live": bool(score >= self.threshold), "score": round(score, 4), "threshold": self.threshold,
                "model": self.model}

    def require(self, image: np.ndarray, faces: Faces, index: int = 0, what: str = "the face") -> float:
        """The score of face `index`; raises `NotLiveError` when it is below the threshold."""
        score = float(self.scores(image, faces[index:index + 1])[0])
        if score < self.threshold:
            raise NotLiveError(score, self.threshold, what)
        return score


_shared: PassiveLiveness | None = None
_shared_lock = threading.Lock()


def shared() -> PassiveLiveness:
    """One `PassiveLiveness` per process at the default threshold (what the CLI and service hooks use)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = PassiveLiveness()
        return _shared
